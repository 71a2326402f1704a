#!/usr/bin/env python3
"""Generate findiff parity fixtures for operator EXPRESSIONS (``Diff`` / ``Coef`` / ``Identity``
algebra: mixed partials, sums, differences, scalar and array coefficients, flux forms) for the
``ndarray-gradient`` Rust tests (``Operator``).

How to run (paths are derived from this file's location):

    python scripts/gen_findiff_operator_fixtures.py [--out NAME.npz]   # with scripts/requirements.txt installed

Same requirements as ``scripts/gen_findiff_fixtures.py`` (findiff 0.16.0 exactly, NumPy,
mpmath), whose stencil machinery this script imports (``AxisScheme``, ``fornberg``,
``error_ratio``, ``make_input``, the coordinate helpers, ``round_obj``); read its docstring for
findiff 0.16's stencil layouts ("Schemes") and for what ``exact`` / ``scale`` / ``fd_err`` mean
for a single derivative.  Output: ``<repo>/tests/fixtures/findiff_operator_exprs.npz``
(uncompressed, written atomically; the zip members carry a fixed timestamp, so two runs give
byte-identical files with the same NumPy/findiff versions).  NOTE: the file name is NOT
``findiff_operators.npz``: that file already exists and holds the Laplacian / divergence / curl
cases of ``gen_findiff_fixtures.py`` (read by ``tests/findiff_parity.rs::findiff_operators``).

The operator of a case (findiff 0.16 semantics, ``findiff/operators.py``)
=======================================================================
A case is a linear operator ``L = T_0 + s_1 T_1 + ... + s_{K-1} T_{K-1}`` (terms added left to
right, signs ``s_j = +-1``, ``s_0 = +1``).  A term is a product of factors applied RIGHT TO LEFT
(findiff's ``Mul(A, B)(f) = A(B(f))``, a composition, edges included):

* plain term:  ``T = C * D_0 * D_1 * ... * D_{nf-1}``, i.e. ``T(f) = C(D_0(D_1(...D_{nf-1}(f))))``:
  ``D_{nf-1}`` is applied to ``f`` first, the coefficient ``C`` last.  ``C`` is absent, a scalar
  ``c`` (``c * value``) or an array ``a`` of ``f``'s shape (``a * value`` pointwise).
  ``nf = 0`` is the identity term (``Identity()``, or ``Coef(c) * Identity()``).
* flux term:   ``T = D_0 * A * D_1`` with ``A`` an array of ``f``'s shape:
  ``T(f) = D_0(a * D_1(f))`` (e.g. ``d/dx0 (a * df/dx1)``; ``D_0`` and ``D_1`` may share an axis,
  ``d/dx (a df/dx)``: the coefficient in between keeps findiff from merging them).

A factor ``D = (axis k, order m)`` is findiff's ``Diff(k, grid_k, periodic=per_k, acc=p) ** m``:
one stencil of order ``m`` along axis ``k`` (NOT ``m`` repeated first derivatives), with the
case's accuracy order ``p``, axis ``k``'s spacing ``h_k`` (uniform) or coordinates ``x_k``, and
its periodic flag.  Within a plain term no two ADJACENT factors have the same axis (findiff
would merge ``Diff(k) * Diff(k)`` into ``Diff(k) ** 2``: that is written as the single factor
``(k, 2)``); non-adjacent repeats (``D0 * D1 * D0``) are allowed by the schema but not used.

findiff's expression is built exactly as follows (``build_findiff_expr``):

    term   = Diff(..)**m_0 * Diff(..)**m_1 * ...          (left-associative Python product)
    term   = Coef(c) * term        | Coef(a) * term       (scalar / array coefficient)
    term   = Diff(..)**m_0 * Coef(a) * Diff(..)**m_1      (flux term)
    term   = Identity() | Coef(c) * Identity() | Coef(a) * Identity()   (nf = 0)
    expr   = term_0;  expr = expr + term_j  (s_j = +1)  or  expr - term_j  (s_j = -1)
    out    = expr(f)

(``A - B`` is findiff's ``Add(-1 * B, A)``: ``(-B(f)) + A(f)``, the same float64 value as
``A(f) - B(f)``.)

Stored values
=============
* ``out``: findiff's result.
* ``exact``: the same scheme (each factor with findiff's stencil layout, see the base script)
  evaluated in exact rational arithmetic (``fractions.Fraction``) with NO rounding between
  steps: the inputs, spacings, coordinates and coefficients are the exact binary values of the
  stored float64 numbers; each factor is applied to the previous factor's exact (unrounded)
  result; coefficients multiply exactly; the terms are summed exactly; the result is rounded
  ONCE to float64 (nearest, ties to even).
* ``scale``: per output point, sum over terms of the composed absolute-term sum: the first
  factor applied gives ``sum_j |w_j| |f_j|``; each later factor gives ``sum_j |w_j| s_j`` from
  the previous pass's scale ``s``; a coefficient multiplies the scale by ``|c|`` (``|a|``
  pointwise); an identity term contributes ``|C| |f|``.  Rounded once to float64.  A float64
  evaluation whose every pass errs by at most ``K_pass * eps`` times its own absolute-term sum
  is within about ``(sum of the K_pass along the chain + terms) * eps * scale`` of ``exact``.
* ``fd_err``: findiff's own error ``max |out - exact| / (eps * scale)`` over points with
  ``scale > 0`` (``base.error_ratio``; where ``scale == 0``, ``out == exact``).

Key schema (the contract read by the Rust tests)
================================================
Every key is ``<c>__<field>``; ``<c>`` matches ``[a-z0-9]+(_[a-z0-9]+)*`` (never contains
``__``), e.g. ``c004_mixed_d0d1_p4_h03_h1_sin``.  Enumerate the cases through their
``<c>__nterms`` key.  All integer arrays are int64, all others float64, all C-contiguous.
Let ``N = f.ndim`` (2 or 3).

* ``f``: float64, the input, N-D.
* ``acc``: int64 0-d, the accuracy order p (2, 4 or 6), the same for every factor of the case.
* ``periodic``: int64 1-D of length N, 1 where that axis is periodic (only axes with ``h<k>``;
  undifferentiated axes are always 0).
* for EVERY axis k in 0..N (also axes no factor differentiates) exactly one of
  ``h<k>``: float64 0-d, uniform spacing > 0, or
  ``x<k>``: float64 1-D of length ``f.shape[k]``, strictly increasing coordinates (findiff's
  coordinate-array scheme; never periodic).
* ``nterms``: int64 0-d, K >= 1.
* for each term j in 0..K:
  - ``t<j>_sign``: int64 0-d, +1 or -1 (``t0_sign`` is always +1).
  - ``t<j>_factors``: int64, shape ``(nf, 2)``, rows ``(axis, order)``, LEFTMOST factor first
    (row 0 is applied last).  ``nf`` may be 0 (shape ``(0, 2)``: identity term).  Orders 1-3.
  - ``t<j>_coef``: float64 0-d, only when the term has a scalar coefficient.
  - ``t<j>_field``: float64 of ``f``'s shape, only when the term has an array coefficient
    (leftmost: multiplies after all factors).  Never together with ``t<j>_coef``.
  - ``t<j>_inner_field``: float64 of ``f``'s shape, only for a flux term: it multiplies between
    factor 0 and factor 1 (after factor 1 is applied, before factor 0).  A flux term has
    exactly 2 factors and no ``t<j>_coef`` / ``t<j>_field``.
* ``out``, ``exact``, ``scale``: float64 of ``f``'s shape (see above); ``scale >= 0``.
* ``fd_err``: float64 0-d.

Every axis is long enough for each factor along it: ``n >= ns + nf - 1`` (uniform),
``n >= 2 ns + 1`` (periodic), ``n >= nf`` (coordinates), with (nc, ns, nf) = base.widths(m, p).

Self-checks (run every time; the script fails on any)
=====================================================
* The exact evaluation of one factor (this script's object-array pass) equals
  ``base.AxisScheme.apply(f, axis, 'frac')`` exactly (values and scales), for the first pass of
  every term.
* Mixed partials commute exactly: the exact values of ``D0*D1`` and ``D1*D0`` on the same input
  are identical rationals (and for ``D0*D1*D2`` vs ``D2*D1*D0``).
* After writing, the file is re-read; each case is rebuilt from its stored arrays alone; findiff
  reproduces ``out`` bit for bit; ``exact`` / ``scale`` are recomputed from the stored arrays
  and match; a second, independent evaluation at 50 digits (mpmath, mpmath Fornberg weights)
  agrees with the unrounded rationals to 1e-40 of ``scale``; ``fd_err`` is recomputed; and
  findiff's ``out`` is within 64 eps*scale of the same chains evaluated with findiff's OWN
  float64 weights (base ``'fdw'``) at 50 digits, which shows that the stencil layouts and the
  composition order are findiff's (``fd_err`` beyond that is findiff's weight error).
* The summary prints, per group, findiff's worst ``fd_err`` and that of a plain float64 model
  (correctly rounded weights, or float64 Fornberg weights on coordinates, each pass as in the
  base script, coefficients and terms in float64) - what a careful float64 implementation
  should expect.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import warnings
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_findiff_fixtures as base  # noqa: E402

import findiff  # noqa: E402
import mpmath  # noqa: E402
from findiff import Coef, Diff, Identity  # noqa: E402

OUT_NAME = "findiff_operator_exprs.npz"
SEED = 0xF1D4
EPS = base.EPS
MPF = base.MPF  # base sets mpmath.mp.dps = 50
MAX_BYTES = 1024 * 1024

FIELD_RE = re.compile(
    r"^(?:f|acc|periodic|h\d+|x\d+|nterms|out|exact|scale|fd_err"
    r"|t\d+_(?:sign|factors|coef|field|inner_field))$"
)


# --------------------------------------------------------------------------------------------
# the operator of a case
# --------------------------------------------------------------------------------------------


class Term:
    """sign * [coef | field] * D_0 * D_1 * ... (right to left), or the flux D_0 * inner * D_1."""

    def __init__(self, factors, *, sign=1, coef=None, field=None, inner=None):
        self.factors = [(int(k), int(m)) for k, m in factors]
        self.sign = int(sign)
        self.coef = None if coef is None else float(coef)
        self.field = None if field is None else np.ascontiguousarray(field, dtype=np.float64)
        self.inner = None if inner is None else np.ascontiguousarray(inner, dtype=np.float64)
        assert self.sign in (1, -1)
        assert self.coef is None or self.field is None
        if self.inner is not None:
            assert len(self.factors) == 2 and self.coef is None and self.field is None
        else:
            for (k0, _), (k1, _) in zip(self.factors, self.factors[1:]):
                assert k0 != k1, "adjacent same-axis factors: findiff merges them"
        for _, m in self.factors:
            assert 1 <= m <= 3

    def steps(self):
        """The steps in application order (first applied first): ('d', k, m) | ('c', c) |
        ('a', array)."""
        if self.inner is not None:
            (k0, m0), (k1, m1) = self.factors
            return [("d", k1, m1), ("a", self.inner), ("d", k0, m0)]
        st = [("d", k, m) for k, m in reversed(self.factors)]
        if self.coef is not None:
            st.append(("c", self.coef))
        if self.field is not None:
            st.append(("a", self.field))
        return st

    def label(self) -> str:
        d = "".join(f"d{k}" + (f"^{m}" if m > 1 else "") for k, m in self.factors)
        if self.inner is not None:
            (k0, m0), (k1, m1) = self.factors
            d = f"d{k0}^{m0}[a]d{k1}^{m1}"
        c = f"({self.coef:g})*" if self.coef is not None and self.coef < 0 else \
            f"{self.coef:g}*" if self.coef is not None else "a*" if self.field is not None else ""
        return ("-" if self.sign < 0 else "+") + c + (d or "I")


class OpCase:
    """Everything needed to evaluate a case, from its metadata (as stored) only."""

    def __init__(self, f_shape, acc, grids, terms, periodic=None):
        # grids: per axis a float (uniform spacing h) or a 1-D array (coordinates x)
        self.f_shape = tuple(int(n) for n in f_shape)
        self.ndim = len(self.f_shape)
        self.acc = int(acc)
        self.grids = [float(g) if np.ndim(g) == 0 else np.ascontiguousarray(g, dtype=np.float64)
                      for g in grids]
        self.periodic = [0] * self.ndim if periodic is None else [int(b) for b in periodic]
        self.terms = list(terms)
        assert len(self.grids) == self.ndim == len(self.periodic) and self.terms
        assert self.terms[0].sign == 1
        used = set()
        for t in self.terms:
            for k, m in t.factors:
                assert 0 <= k < self.ndim
                used.add(k)
                self.scheme(k, m)  # checks the axis length against findiff's minimum
            for a in (t.field, t.inner):
                assert a is None or a.shape == self.f_shape
        for k, g in enumerate(self.grids):
            if isinstance(g, float):
                assert g > 0
            else:
                assert g.shape == (self.f_shape[k],) and np.all(np.diff(g) > 0)
                assert not self.periodic[k]
            assert not (self.periodic[k] and k not in used)

    def scheme(self, k: int, m: int) -> base.AxisScheme:
        cache = self.__dict__.setdefault("_schemes", {})
        if (k, m) not in cache:
            g, n = self.grids[k], self.f_shape[k]
            if isinstance(g, float):
                cache[(k, m)] = base.AxisScheme(n, m, self.acc, h=g,
                                                periodic=bool(self.periodic[k]))
            else:
                cache[(k, m)] = base.AxisScheme(n, m, self.acc, x=g)
        return cache[(k, m)]

    # -- findiff ---------------------------------------------------------------------------
    def diff(self, k: int, m: int):
        return Diff(k, self.grids[k], periodic=bool(self.periodic[k]), acc=self.acc) ** m

    def findiff_term(self, t: Term):
        if t.inner is not None:
            (k0, m0), (k1, m1) = t.factors
            return self.diff(k0, m0) * Coef(t.inner) * self.diff(k1, m1)
        if t.factors:
            prod = self.diff(*t.factors[0])
            for k, m in t.factors[1:]:
                prod = prod * self.diff(k, m)
        else:
            prod = Identity()
        if t.coef is not None:
            prod = Coef(t.coef) * prod
        elif t.field is not None:
            prod = Coef(t.field) * prod
        return prod

    def build_findiff_expr(self):
        expr = self.findiff_term(self.terms[0])
        for t in self.terms[1:]:
            term = self.findiff_term(t)
            expr = expr + term if t.sign > 0 else expr - term
        return expr

    def findiff(self, f: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = self.build_findiff_expr()(f)
        return np.asarray(out)

    # -- exact (Fraction) and 50-digit (mpmath) evaluation, no rounding between steps -------
    def apply_obj(self, val, sc, k: int, m: int, num: str):
        """One factor on object arrays (exact Fractions for 'frac', mpf for 'mp'): returns the
        new values and the new scale (sum_j |w_j| * sc_j).  Unlike base.AxisScheme.apply, the
        lanes are NOT converted through float64."""
        sch = self.scheme(k, m)
        ws = sch.weights(num)
        aws = [[abs(w) for w in row] for row in ws]
        zero = Fraction(0) if num == "frac" else MPF(0)
        vm = np.moveaxis(val, k, -1)
        smv = np.moveaxis(sc, k, -1)
        shape = vm.shape
        vflat = vm.reshape(-1, sch.n)
        sflat = smv.reshape(-1, sch.n)
        nv = np.empty(vflat.shape, dtype=object)
        ns = np.empty(vflat.shape, dtype=object)
        for r in range(vflat.shape[0]):
            lane, slane = list(vflat[r]), list(sflat[r])
            for i, (idx, w, aw) in enumerate(zip(sch.layout, ws, aws)):
                s = zero
                a = zero
                for j, wj, awj in zip(idx, w, aw):
                    s += wj * lane[j]
                    a += awj * slane[j]
                nv[r, i] = s
                ns[r, i] = a
        nv = np.moveaxis(nv.reshape(shape), -1, k)
        ns = np.moveaxis(ns.reshape(shape), -1, k)
        return nv, ns

    @staticmethod
    def to_obj(a: np.ndarray, num: str) -> np.ndarray:
        conv = Fraction if num == "frac" else MPF
        out = np.empty(a.shape, dtype=object)
        for idx in np.ndindex(a.shape):
            out[idx] = conv(float(a[idx]))
        return out

    def eval_term(self, t: Term, f_obj, num: str):
        val = f_obj
        sc = np.abs(f_obj)
        for st in t.steps():
            if st[0] == "d":
                val, sc = self.apply_obj(val, sc, st[1], st[2], num)
            elif st[0] == "c":
                c = Fraction(st[1]) if num == "frac" else MPF(st[1])
                val = val * c
                sc = sc * abs(c)
            else:
                a = self.to_obj(st[1], num)
                val = val * a
                sc = sc * np.abs(a)
        if t.sign < 0:
            val = -val
        return val, sc

    def evaluate(self, f: np.ndarray, num: str = "frac", rounded: bool = True, check=False):
        """'frac' / 'mp': (value, scale), unrounded object arrays or rounded once to float64.
        check=True: the first pass of every term must equal base.AxisScheme.apply exactly."""
        f_obj = self.to_obj(f, num)
        val = sc = None
        for t in self.terms:
            if check and num == "frac" and t.steps():
                st = t.steps()[0]
                if st[0] == "d":
                    v1, s1 = self.apply_obj(f_obj, np.abs(f_obj), st[1], st[2], "frac")
                    bv, bs = self.scheme(st[1], st[2]).apply(f, st[1], "frac")
                    assert v1.shape == bv.shape and all(
                        a == b for a, b in zip(v1.flat, bv.flat)), "exact pass != base values"
                    assert all(a == b for a, b in zip(s1.flat, bs.flat)), "scale != base"
            v, s = self.eval_term(t, f_obj, num)
            val = v if val is None else val + v
            sc = s if sc is None else sc + s
        if rounded:
            return base.round_obj(val), base.round_obj(sc)
        return val, sc

    # -- float64 model (for the summary only) ----------------------------------------------
    def model(self, f: np.ndarray) -> np.ndarray:
        res = None
        for t in self.terms:
            v = f.copy()
            for st in t.steps():
                if st[0] == "d":
                    v, _ = self.scheme(st[1], st[2]).apply(v, st[1], "f64")
                else:  # scalar or array coefficient, as findiff: c * value
                    v = st[1] * v
            v = v if t.sign > 0 else -v
            res = v if res is None else res + v
        return res

    def label(self) -> str:
        return " ".join(t.label() for t in self.terms).lstrip("+")


# --------------------------------------------------------------------------------------------
# storing and reading
# --------------------------------------------------------------------------------------------


def case_arrays(case: OpCase, f, out, exact, scale, fd_err) -> dict[str, np.ndarray]:
    arr: dict[str, np.ndarray] = {}

    def put(field, a, dtype):
        a = np.array(a, dtype=dtype, order="C")
        assert FIELD_RE.match(field), field
        assert field not in arr
        arr[field] = a

    put("f", f, np.float64)
    put("acc", case.acc, np.int64)
    put("periodic", case.periodic, np.int64)
    for k, g in enumerate(case.grids):
        if isinstance(g, float):
            put(f"h{k}", g, np.float64)
        else:
            put(f"x{k}", g, np.float64)
    put("nterms", len(case.terms), np.int64)
    for j, t in enumerate(case.terms):
        put(f"t{j}_sign", t.sign, np.int64)
        put(f"t{j}_factors", np.array(t.factors, dtype=np.int64).reshape(len(t.factors), 2),
            np.int64)
        if t.coef is not None:
            put(f"t{j}_coef", t.coef, np.float64)
        if t.field is not None:
            put(f"t{j}_field", t.field, np.float64)
        if t.inner is not None:
            put(f"t{j}_inner_field", t.inner, np.float64)
    put("out", out, np.float64)
    put("exact", exact, np.float64)
    put("scale", scale, np.float64)
    put("fd_err", fd_err, np.float64)
    return arr


def _i0(a) -> int:
    assert a.dtype == np.int64 and a.ndim == 0, (a.dtype, a.shape)
    return int(a)


def case_from_stored(d: dict[str, np.ndarray]) -> OpCase:
    """Rebuild a case from its stored arrays alone (what the Rust test does)."""
    f = d["f"]
    assert f.dtype == np.float64 and f.ndim in (2, 3)
    nd = f.ndim
    per = d["periodic"]
    assert per.dtype == np.int64 and per.shape == (nd,) and set(per.tolist()) <= {0, 1}
    grids = []
    for k in range(nd):
        hk, xk = d.get(f"h{k}"), d.get(f"x{k}")
        assert (hk is None) != (xk is None), k
        if hk is not None:
            assert hk.dtype == np.float64 and hk.ndim == 0
            grids.append(float(hk))
        else:
            assert xk.dtype == np.float64 and xk.shape == (f.shape[k],)
            grids.append(xk)
    assert not any(re.fullmatch(r"[hx](\d+)", key) and int(key[1:]) >= nd for key in d)
    nterms = _i0(d["nterms"])
    terms = []
    for j in range(nterms):
        fa = d[f"t{j}_factors"]
        assert fa.dtype == np.int64 and fa.ndim == 2 and fa.shape[1] == 2
        kw = {}
        if f"t{j}_coef" in d:
            c = d[f"t{j}_coef"]
            assert c.dtype == np.float64 and c.ndim == 0
            kw["coef"] = float(c)
        for fld, name in (("field", "field"), ("inner_field", "inner")):
            if f"t{j}_{fld}" in d:
                a = d[f"t{j}_{fld}"]
                assert a.dtype == np.float64 and a.shape == f.shape
                kw[name] = a
        terms.append(Term(fa.tolist(), sign=_i0(d[f"t{j}_sign"]), **kw))
    assert not any(re.match(r"t(\d+)_", key) and int(re.match(r"t(\d+)_", key).group(1)) >= nterms
                   for key in d)
    return OpCase(f.shape, _i0(d["acc"]), grids, terms, periodic=per.tolist())


def save_npz(path: Path, arrays: dict[str, np.ndarray]):
    """Like np.savez (uncompressed members '<key>.npy', zip64 headers as NumPy writes them), but
    with a fixed member timestamp (byte-identical reruns), written to a temporary file and
    renamed into place (atomic)."""
    tmp = path.with_name(path.name + ".tmp.npz")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, a in arrays.items():
            buf = io.BytesIO()
            a = np.array(a, order="C")  # (np.ascontiguousarray would make 0-d arrays 1-D)
            np.lib.format.write_array(buf, a, allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            with zf.open(info, "w", force_zip64=True) as fh:
                fh.write(buf.getvalue())
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------------


class Gen:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.arrays: dict[str, np.ndarray] = {}
        self.cases: list[str] = []
        self.stats: list[tuple] = []  # (case, group, fd_err, model_err, label)
        self.exact_unrounded: dict[str, np.ndarray] = {}

    def coords(self, g, n, periodic=False):
        if np.ndim(g) == 0:
            return base.uniform_coords(n, float(g), x0=0.0 if periodic else -0.7)
        return np.asarray(g)

    def input(self, shape, grids, fname, periodic=None, deg=5):
        """f: 'rand', or a product of smooth 1-D functions (periodic along periodic axes)."""
        per = periodic or [0] * len(shape)
        cs = [self.coords(g, n, bool(p)) for g, n, p in zip(grids, shape, per)]
        if fname == "rand":
            return base.make_input(self.rng, "rand", cs)
        pls = [n * float(g) if p else None for g, n, p in zip(grids, shape, per)]
        return base.make_input(self.rng, fname, cs, periodic_lens=pls, deg=deg)

    def field(self, shape, kind="rand"):
        """A coefficient array: random in [0.5, 2) or a smooth positive function of the index."""
        if kind == "rand":
            return self.rng.uniform(0.5, 2.0, shape)
        idx = np.indices(shape).astype(np.float64)
        phase = self.rng.uniform(0, 1, len(shape))
        s = sum(np.sin(0.7 * (k + 1) * idx[k] / shape[k] * np.pi + phase[k])
                for k in range(len(shape)))
        return 1.5 + 0.5 * s / len(shape)

    def add(self, desc: str, case: OpCase, f: np.ndarray, group: str):
        name = f"c{len(self.cases):03d}_{desc}"
        assert base.CASE_NAME_RE.match(name) and "__" not in name, name
        assert name not in self.cases
        f = np.ascontiguousarray(f, dtype=np.float64)
        assert f.shape == case.f_shape and np.all(np.isfinite(f))
        out = case.findiff(f)
        assert out.dtype == np.float64 and out.shape == f.shape, (name, out.shape)
        val, sc = case.evaluate(f, "frac", rounded=False, check=True)
        exact, scale = base.round_obj(val), base.round_obj(sc)
        assert exact.shape == scale.shape == f.shape
        for a in (out, exact, scale):
            assert np.all(np.isfinite(a)), name
        assert np.all(scale >= 0)
        fd_err = base.error_ratio(out, exact, scale)
        model_err = base.error_ratio(case.model(f), exact, scale)
        # a wrong stencil layout or composition order would be off by a truncation error,
        # i.e. many orders of magnitude above rounding
        assert fd_err < 1e5, (name, fd_err)
        for field, a in case_arrays(case, f, out, exact, scale, fd_err).items():
            self.arrays[f"{name}__{field}"] = a
        self.cases.append(name)
        self.exact_unrounded[name] = val
        self.stats.append((name, group, fd_err, model_err, case.label()))
        return name


def two_d_shape(need0, need1, lo=(9, 10)):
    return (max(lo[0], need0), max(lo[1], need1))


def generate(g: Gen):
    rng = g.rng
    mu, mp_, mc = base.min_len_uniform, base.min_len_periodic, base.min_len_coords
    T = Term

    # -- mixed partials, uniform 2-D, h = (0.3, 1.0) -------------------------------------------
    mixed_inputs = {}
    for acc in (2, 4, 6):
        need = mu(1, acc)
        shape = two_d_shape(need, need + 1)
        grids = [0.3, 1.0]
        for fname in ("sin", "rand"):
            f = g.input(shape, grids, fname)
            c = OpCase(shape, acc, grids, [T([(0, 1), (1, 1)])])
            name = g.add(f"mixed_d0d1_p{acc}_h03_h1_{fname}", c, f, "mixed uniform 2-D")
            mixed_inputs[(acc, fname)] = (f, name)
    # the other order, on the same inputs: the exact values must be identical (they commute)
    for acc in (2, 4):
        f, first = mixed_inputs[(acc, "sin")]
        c = OpCase(f.shape, acc, [0.3, 1.0], [T([(1, 1), (0, 1)])])
        name = g.add(f"mixed_d1d0_p{acc}_h03_h1_sin", c, f, "mixed uniform 2-D")
        assert all(a == b for a, b in zip(g.exact_unrounded[name].flat,
                                          g.exact_unrounded[first].flat)), "D0 D1 != D1 D0"
    # orders 2 x 1 and 1 x 2
    for acc in (2, 4):
        shape = two_d_shape(mu(2, acc), mu(2, acc) + 1)
        grids = [0.3, 1.0]
        f = g.input(shape, grids, "gauss")
        g.add(f"mixed_d0sq_d1_p{acc}_h03_h1_gauss", OpCase(shape, acc, grids, [T([(0, 2), (1, 1)])]),
              f, "mixed uniform 2-D")
        grids = [0.5, 0.25]
        f = g.input(shape, grids, "rand")
        g.add(f"mixed_d0_d1sq_p{acc}_h05_h025_rand",
              OpCase(shape, acc, grids, [T([(0, 1), (1, 2)])]), f, "mixed uniform 2-D")

    # -- 3-D -------------------------------------------------------------------------------
    for acc in (2, 4):
        need = mu(1, acc)
        shape = (max(7, need), max(8, need), max(7, need + 1))
        grids = [0.3, 1.0, 0.7]
        f = g.input(shape, grids, "exp")
        g.add(f"mixed3_d0d2_p{acc}_hmix_exp", OpCase(shape, acc, grids, [T([(0, 1), (2, 1)])]),
              f, "mixed uniform 3-D")
        f = g.input(shape, grids, "rand")
        c = OpCase(shape, acc, grids, [T([(0, 1), (1, 1), (2, 1)])])
        first = g.add(f"mixed3_d0d1d2_p{acc}_hmix_rand", c, f, "mixed uniform 3-D")
        if acc == 2:  # reversed order on the same input: identical exact values
            c = OpCase(shape, acc, grids, [T([(2, 1), (1, 1), (0, 1)])])
            name = g.add(f"mixed3_d2d1d0_p{acc}_hmix_rand", c, f, "mixed uniform 3-D")
            assert all(a == b for a, b in zip(g.exact_unrounded[name].flat,
                                              g.exact_unrounded[first].flat))

    # -- periodic ----------------------------------------------------------------------------
    for acc, per in ((2, [1, 0]), (4, [1, 0]), (4, [0, 1]), (2, [1, 1]), (4, [1, 1])):
        need = max(mu(1, acc), mp_(1, acc))
        shape = two_d_shape(need, need + 2, lo=(10, 12))
        grids = [2 * np.pi / shape[0] if per[0] else 0.3, 0.5]
        tag = "per" + "".join(str(p) for p in per)
        fname = "sin" if acc == 2 else "rand"
        f = g.input(shape, grids, fname, periodic=per)
        g.add(f"mixed_d0d1_{tag}_p{acc}_{fname}", OpCase(shape, acc, grids, [T([(0, 1), (1, 1)])],
                                                         periodic=per), f, "mixed periodic")
    shape = (10, 11)
    grids = [0.3, 0.7]
    f = g.input(shape, grids, "sin", periodic=[1, 1])
    g.add("mixed_d0sq_d1_per11_p2_sin",
          OpCase(shape, 2, grids, [T([(0, 2), (1, 1)])], periodic=[1, 1]), f, "mixed periodic")

    # -- coordinates -------------------------------------------------------------------------
    for acc, kind in ((2, "x0"), (4, "x1"), (2, "xx"), (4, "xx")):
        need = max(mu(1, acc), mc(1, acc)) + 2
        shape = two_d_shape(need, need + 1, lo=(10, 11))
        x0 = base.jittered_coords(rng, shape[0], 0.3, 0.3)
        x1 = base.graded_coords(shape[1])
        grids = [x0 if kind in ("x0", "xx") else 0.3, x1 if kind in ("x1", "xx") else 1.0]
        fname = "sin" if kind != "xx" or acc == 2 else "rand"
        f = g.input(shape, grids, fname)
        g.add(f"mixed_d0d1_{kind}_p{acc}_{fname}", OpCase(shape, acc, grids, [T([(0, 1), (1, 1)])]),
              f, "mixed coords")
    shape = (10, 11)
    x0 = base.jittered_coords(rng, shape[0], 0.3, 0.3)
    f = g.input(shape, [x0, 0.5], "gauss")
    g.add("mixed_d0sq_d1_xh_p2_gauss", OpCase(shape, 2, [x0, 0.5], [T([(0, 2), (1, 1)])]), f,
          "mixed coords")
    x1 = base.jittered_coords(rng, 12, 0.4, 0.25)
    grids = [2 * np.pi / 10, x1]
    f = g.input((10, 12), grids, "sin", periodic=[1, 0])
    g.add("mixed_d0d1_per0_x1_p2_sin",
          OpCase((10, 12), 2, grids, [T([(0, 1), (1, 1)])], periodic=[1, 0]), f, "mixed coords")

    # -- linear combinations (2-D) -----------------------------------------------------------
    for acc in (2, 4):
        shape = two_d_shape(mu(2, acc), mu(2, acc) + 1, lo=(10, 11))
        grids = [0.3, 1.0]
        a = g.field(shape, "rand")
        f = g.input(shape, grids, "sin" if acc == 2 else "rand")
        c = OpCase(shape, acc, grids, [T([(0, 2)], field=a), T([(1, 1)]), T([])])
        g.add(f"combo_ad0sq_d1_id_p{acc}", c, f, "combination")
        f = g.input(shape, grids, "exp")
        c = OpCase(shape, acc, grids, [T([(0, 1)], coef=2.5), T([(1, 2)], sign=-1)])
        g.add(f"combo_25d0_m_d1sq_p{acc}", c, f, "combination")
        b = g.field(shape, "smooth")
        f = g.input(shape, grids, "gauss" if acc == 2 else "rand")
        c = OpCase(shape, acc, grids, [T([(0, 2)]), T([(1, 2)]), T([], field=b, sign=-1)])
        g.add(f"helmholtz_a_p{acc}", c, f, "combination")
    shape = (10, 11)
    grids = [0.25, 0.1]
    f = g.input(shape, grids, "rand")
    a = g.field(shape, "rand")
    c = OpCase(shape, 2, grids, [T([(0, 1), (1, 1)], field=a), T([(0, 2)], coef=0.1, sign=-1),
                                 T([], coef=-3.0)])
    g.add("combo_ad0d1_m01d0sq_m3id_p2", c, f, "combination")
    x0 = base.jittered_coords(rng, 11, 0.3, 0.3)
    grids = [x0, 0.5]
    f = g.input((11, 10), grids, "sin")
    a = g.field((11, 10), "smooth")
    c = OpCase((11, 10), 2, grids, [T([(0, 1), (1, 1)], field=a), T([(0, 2)]), T([(1, 3)], sign=-1)])
    g.add("combo_xh_ad0d1_d0sq_m_d1cu_p2", c, f, "combination coords")
    f = g.input((10, 12), [0.3, 0.5], "sin", periodic=[0, 1])
    c = OpCase((10, 12), 4, [0.3, 0.5], [T([(1, 2)], coef=0.5), T([(0, 1)]), T([], coef=1.0)],
               periodic=[0, 1])
    g.add("combo_per01_05d1sq_d0_id_p4", c, f, "combination")

    # -- flux forms: D0 * a * D0 (d/dx (a df/dx)) and D0 * a * D1 ---------------------------
    for acc in (2, 4):
        shape = two_d_shape(mu(1, acc), mu(1, acc) + 1, lo=(10, 11))
        grids = [0.3, 0.7]
        a = g.field(shape, "smooth")
        f = g.input(shape, grids, "sin")
        g.add(f"flux_d0ad0_p{acc}", OpCase(shape, acc, grids, [T([(0, 1), (0, 1)], inner=a)]), f,
              "flux")
        a = g.field(shape, "rand")
        f = g.input(shape, grids, "rand")
        g.add(f"flux_d0ad1_p{acc}", OpCase(shape, acc, grids, [T([(0, 1), (1, 1)], inner=a)]), f,
              "flux")
    # div(a grad f) = d0 (a d0 f) + d1 (a d1 f), minus a Laplacian-like term
    shape = (11, 12)
    a = g.field(shape, "smooth")
    f = g.input(shape, [0.3, 0.5], "gauss")
    c = OpCase(shape, 2, [0.3, 0.5], [T([(0, 1), (0, 1)], inner=a), T([(1, 1), (1, 1)], inner=a),
                                      T([(0, 2)], sign=-1)])
    g.add("flux_div_agrad_m_d0sq_p2", c, f, "flux")
    x0 = base.jittered_coords(rng, 11, 0.3, 0.3)
    a = g.field((11, 10), "rand")
    f = g.input((11, 10), [x0, 0.5], "sin")
    g.add("flux_d0ad0_x0_p2", OpCase((11, 10), 2, [x0, 0.5], [T([(0, 1), (0, 1)], inner=a)]), f,
          "flux coords")
    f = g.input((10, 12), [2 * np.pi / 10, 0.5], "sin", periodic=[1, 0])
    a = g.field((10, 12), "smooth")
    g.add("flux_d0ad0_per10_p2", OpCase((10, 12), 2, [2 * np.pi / 10, 0.5],
                                        [T([(0, 1), (0, 1)], inner=a)], periodic=[1, 0]), f, "flux")

    # -- 3-D sums ------------------------------------------------------------------------------
    for acc in (2, 4):
        need = mu(2, acc)
        shape = (max(7, mu(1, acc)), max(8, mu(1, acc)), max(7, need))
        grids = [0.3, 1.0, 0.7]
        f = g.input(shape, grids, "sin" if acc == 2 else "rand")
        c = OpCase(shape, acc, grids, [T([(0, 1), (1, 1)]), T([(2, 2)], coef=0.5)])
        g.add(f"sum3_d0d1_05d2sq_p{acc}", c, f, "3-D sum")
    shape = (7, 8, 9)
    grids = [0.3, 1.0, 0.7]
    a = g.field(shape, "rand")
    f = g.input(shape, grids, "rand")
    c = OpCase(shape, 2, grids, [T([(2, 1), (0, 1)], field=a), T([(1, 1), (1, 1)], inner=a),
                                 T([(0, 1), (1, 1), (2, 1)], sign=-1), T([], coef=0.5)])
    g.add("sum3_ad2d0_d1ad1_m_d0d1d2_05id_p2", c, f, "3-D sum")


# --------------------------------------------------------------------------------------------
# verification
# --------------------------------------------------------------------------------------------


def verify(path: Path, g: Gen):
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    assert list(data) == list(g.arrays)
    cases: dict[str, dict[str, np.ndarray]] = {}
    for key, a in data.items():
        case, sep, field = key.rpartition("__")
        assert sep and base.CASE_NAME_RE.match(case) and FIELD_RE.match(field), key
        assert a.flags.c_contiguous and a.dtype in (np.float64, np.int64), key
        assert np.array_equal(a, g.arrays[key]) and a.dtype == g.arrays[key].dtype, key
        cases.setdefault(case, {})[field] = a
    assert sorted(cases) == sorted(g.cases)
    by_name = {s[0]: s for s in g.stats}
    worst_mp = worst_fdw = 0.0
    for name, d in cases.items():
        c = case_from_stored(d)
        f = d["f"]
        out = c.findiff(f)
        assert out.tobytes() == d["out"].tobytes(), f"{name}: findiff differs"
        exact, scale = d["exact"], d["scale"]
        assert exact.shape == scale.shape == f.shape == out.shape
        fr_val, fr_sc = c.evaluate(f, "frac", rounded=False)
        assert np.array_equal(base.round_obj(fr_val), exact), name
        assert np.array_equal(base.round_obj(fr_sc), scale), name
        mp_val, mp_sc = c.evaluate(f, "mp", rounded=False)
        for idx in np.ndindex(f.shape):
            s = fr_sc[idx]
            tol = MPF(10) ** -40 * MPF(s.numerator) / MPF(s.denominator)
            e = fr_val[idx]
            dv = abs(mp_val[idx] - MPF(e.numerator) / MPF(e.denominator))
            ds = abs(mp_sc[idx] - MPF(s.numerator) / MPF(s.denominator))
            assert dv <= tol and ds <= tol, (name, idx)
            if s != 0:
                worst_mp = max(worst_mp, float(dv / (MPF(s.numerator) / MPF(s.denominator))))
        # findiff uses the stencils and the composition claimed here: its output equals the
        # same chain with findiff's own (inaccurate, np.linalg.solve) float64 weights, evaluated
        # at 50 digits, up to rounding (a different stencil or order would be off by a
        # truncation error, orders of magnitude more)
        fdw_val, _ = c.evaluate(f, "fdw", rounded=False)
        r_fdw = base.error_ratio(out, base.round_obj(fdw_val), scale)
        assert r_fdw <= 64, f"{name}: findiff vs its own weights {r_fdw:.3g}"
        worst_fdw = max(worst_fdw, r_fdw)
        r = base.error_ratio(out, exact, scale)
        assert d["fd_err"].ndim == 0 and float(d["fd_err"]) == r == by_name[name][2], name
    return len(cases), worst_mp, worst_fdw


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=OUT_NAME, help="file name under tests/fixtures/")
    args = ap.parse_args()
    assert findiff.__version__ == base.FINDIFF_VERSION, findiff.__version__
    assert args.out != "findiff_operators.npz", "that file belongs to gen_findiff_fixtures.py"
    path = base.OUT_DIR / args.out
    print(f"findiff {findiff.__version__}, numpy {np.__version__}, mpmath {mpmath.__version__}; "
          f"writing {path}")

    # self-test: a single-factor, single-term case equals base.AxisScheme.apply exactly
    rng = np.random.default_rng(1)
    for grids, per, (k, m), acc in (([0.3, 1.0], [0, 0], (1, 2), 4),
                                    ([base.graded_coords(9), 0.5], [0, 0], (0, 1), 2),
                                    ([0.3, 0.7], [1, 0], (0, 3), 2)):
        f = rng.standard_normal((9, 10))
        c = OpCase(f.shape, acc, grids, [Term([(k, m)])], periodic=per)
        val, sc = c.evaluate(f, "frac", rounded=False)
        bv, bs = c.scheme(k, m).apply(f, k, "frac")
        assert all(a == b for a, b in zip(val.flat, bv.flat))
        assert all(a == b for a, b in zip(sc.flat, bs.flat))

    g = Gen(SEED)
    generate(g)
    save_npz(path, g.arrays)
    n, worst_mp, worst_fdw = verify(path, g)
    assert n == len(g.cases)
    size = path.stat().st_size
    print(f"{n} cases, {len(g.arrays)} arrays, {size} bytes; mpmath (50 digits) vs exact "
          f"rationals: worst {worst_mp:.2g} * scale; findiff vs the same chains with its own "
          f"float64 weights (stencil/composition check): worst {worst_fdw:.3g} eps*scale")
    assert size <= MAX_BYTES

    print(f"\n{'case':<40} {'shape':<11} {'p':>1}  {'fd_err':>8}  {'f64 model':>9}  operator")
    for name, group, fd, mod, label in g.stats:
        shape = "x".join(str(s) for s in g.arrays[f"{name}__f"].shape)
        p = int(g.arrays[f"{name}__acc"])
        print(f"{name:<40} {shape:<11} {p:>1}  {fd:>8.3g}  {mod:>9.3g}  {label}")
    print(f"\n{'group':<20} {'cases':>5}  {'max fd_err':>10}  {'(case)':<40} {'f64 model':>9}")
    groups: dict[str, list] = {}
    for st in g.stats:
        groups.setdefault(st[1], []).append(st)
    for grp, sts in groups.items():
        w = max(sts, key=lambda s: s[2])
        print(f"{grp:<20} {len(sts):>5}  {w[2]:>10.3g}  {w[0]:<40} {max(s[3] for s in sts):>9.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
