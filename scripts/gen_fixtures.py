#!/usr/bin/env python3
"""Generate the NumPy reference fixtures for the `ndarray-gradient` Rust tests.

How to run (from anywhere; paths are derived from this file's location):

    pip install -r scripts/requirements.txt && python3 scripts/gen_fixtures.py

The script writes uncompressed ``.npz`` archives (``np.savez``, not
``np.savez_compressed``) into ``<repo>/tests/fixtures/``.  Every random draw comes from
``np.random.default_rng(<fixed seed per file>)``, so two runs produce byte-identical files
(with the same NumPy version).  After writing, the script re-reads every archive, rebuilds
each case from the stored arrays alone (exactly as the Rust tests must do) and checks that
NumPy reproduces the stored outputs bit for bit.  It then prints a summary.

Semantics reference: /work/shared/reference/numpy-semantics.md (sections 1.5, 1.6 and 2).

Files
=====
One file per element type:

* gradient: ``gradient_f64.npz`` (float64), ``gradient_f32.npz`` (float32),
  ``gradient_c128.npz`` (complex128), ``gradient_c64.npz`` (complex64),
  ``gradient_i32.npz``, ``gradient_i64.npz``, ``gradient_u8.npz``, ``gradient_i8.npz``
  (integer inputs; NumPy casts them to float64, so their outputs are float64);
* diff: ``diff_f64.npz``, ``diff_f32.npz``, ``diff_c128.npz``, ``diff_i8.npz``,
  ``diff_u8.npz``, ``diff_i64.npz``, ``diff_u64.npz``, ``diff_bool.npz``.

Key schema (the contract read by the Rust tests)
================================================
Every key is ``<c>__<field>`` where ``<c>`` is a case name matching
``[a-z0-9]+(_[a-z0-9]+)*`` (so it never contains ``__``), unique within its file, e.g.
``c017_2d_coords_edge2``.  Cases can be enumerated through their ``<c>__layout`` key.
Inside the zip each member is named ``<key>.npy`` (``np.load`` and ndarray-npy's
``NpzReader::by_name`` accept the key without the suffix; ``NpzReader::names`` strips it).
All metadata arrays are int64.

``layout`` (both kinds), a 0-d int64: a transform the test applies to the stored input after
loading and before calling the function under test:

* 0 = as stored;
* 1 = reverse every axis, ``f[::-1, ::-1, ...]`` (negative strides);
* 2 = step 2 on every axis, ``f[::2, ::2, ...]``;
* 3 = reverse the order of the axes, ``f.transpose()`` (a view: a C-stored array becomes
  F-ordered and vice versa).

Expected outputs are always NumPy's result on the TRANSFORMED array, and every shape-related
field below (coordinate lengths, axes, prepend/append shapes) refers to the transformed array.
Inputs may be stored in Fortran order (``np.asfortranarray``); outputs are always stored
C-contiguous (``np.ascontiguousarray``).

Gradient case
-------------
* ``<c>__f``: the input, 1 to 4 dims, dtype of the file (C- or Fortran-ordered).
* ``<c>__layout``: 0-d int64, see above.
* ``<c>__edge``: 0-d int64, the edge order, 1 or 2.
* ``<c>__axes``: 1-D int64, non-negative axes in the order passed to NumPy.  Absent means
  ``axis=None``, i.e. all axes ``0..ndim`` in order.  Below ``axes`` means this list (or
  ``0..ndim`` when absent) and ``L = len(axes)``.
* spacing, exactly one of:
  - nothing: default unit spacing (NumPy's default, the Python float ``1.0``);
  - ``<c>__spacing``: 0-d array of the REAL dtype (float64 for f64/c128/integer inputs,
    float32 for f32/c64): one scalar for all axes, passed to NumPy as a NumPy scalar of that
    dtype (``arr[()]``, e.g. ``np.float32(h)`` for float32 data; this matters for
    bit-exactness in float32);
  - ``<c>__spacing<k>`` for every k = 0..L-1 (the k-th belongs to ``axes[k]``): either a 0-d
    array of the real dtype (a uniform scalar, passed as a NumPy scalar of the real dtype) or
    a 1-D array of the real dtype (coordinates; length = transformed ``f.shape[axes[k]]``).
    Scalars and coordinates can be mixed.  Coordinates may be non-uniform, strictly
    decreasing, or exactly uniform (NumPy then takes its uniform path with ``h = x[1]-x[0]``).
* ``<c>__out<k>`` for k = 0..L-1: NumPy's gradient along ``axes[k]``; dtype = input dtype for
  float/complex inputs, float64 for integer inputs; shape = transformed ``f.shape``.

Diff case
---------
* ``<c>__a``: the input, 1 to 4 dims, dtype of the file.
* ``<c>__layout``: 0-d int64, see above.
* ``<c>__n``: 0-d int64, n >= 0 (n may exceed the axis length: the result axis is empty).
* ``<c>__axis``: 0-d int64, non-negative.
* optional ``<c>__prepend`` / ``<c>__append``: either 0-d of a's dtype (passed to NumPy as a
  NumPy scalar of that dtype, e.g. ``np.uint8(3)``, so no promotion happens) or an array of
  a's dtype with the same ndim as ``a`` whose shape equals the transformed ``a`` except along
  ``axis``, where its length is >= 1.  Never present when n == 0.
* ``<c>__out``: ``np.diff(transformed_a, n=n, axis=axis, prepend=..., append=...)``, same
  dtype as ``a``.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "tests" / "fixtures"

CASE_NAME_RE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
GRAD_FIELD_RE = re.compile(r"^(?:f|layout|edge|axes|spacing|spacing\d+|out\d+)$")
DIFF_FIELD_RE = re.compile(r"^(?:a|layout|n|axis|prepend|append|out)$")

MAX_TOTAL_BYTES = 4 * 1024 * 1024


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def apply_layout(a: np.ndarray, layout: int) -> np.ndarray:
    """The transform the Rust tests apply after loading (a view, never a copy)."""
    if layout == 0:
        return a
    if layout == 1:
        return a[(slice(None, None, -1),) * a.ndim]
    if layout == 2:
        return a[(slice(None, None, 2),) * a.ndim]
    if layout == 3:
        return a.transpose()
    raise ValueError(f"bad layout {layout}")


def stored_shape(tshape, layout: int, parity: int = 0) -> tuple:
    """Shape to store so that apply_layout(stored, layout).shape == tshape."""
    tshape = tuple(int(t) for t in tshape)
    if layout in (0, 1):
        return tshape
    if layout == 2:
        # alternate between 2t-1 and 2t (both give t elements with step 2)
        return tuple(2 * t - ((i + parity) % 2 == 0) for i, t in enumerate(tshape))
    if layout == 3:
        return tshape[::-1]
    raise ValueError(f"bad layout {layout}")


def real_dtype_of(dt: np.dtype) -> np.dtype:
    if dt == np.float32 or dt == np.complex64:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def is_scalar_spec(s) -> bool:
    return isinstance(s, (int, float)) and not isinstance(s, bool)


def same_bits(x: np.ndarray, y: np.ndarray) -> bool:
    return (
        x.dtype == y.dtype
        and x.shape == y.shape
        and np.ascontiguousarray(x).tobytes() == np.ascontiguousarray(y).tobytes()
    )


def expect(outs, expected):
    """Assert outputs equal hand-written golden values (NaN == NaN, exact otherwise)."""
    assert len(outs) == len(expected), (len(outs), len(expected))
    for o, e in zip(outs, expected):
        e = np.array(e, dtype=o.dtype)
        assert o.shape == e.shape, (o.shape, e.shape)
        if o.dtype.kind in "fc":
            ok = np.array_equal(o, e, equal_nan=True)
        else:
            ok = np.array_equal(o, e)
        assert ok, f"golden mismatch:\n got {o!r}\n exp {e!r}"


class Pad:
    """A random prepend/append array of the given length along the diff axis."""

    def __init__(self, length: int):
        assert length >= 1
        self.length = length


# --------------------------------------------------------------------------------------------
# fixture files
# --------------------------------------------------------------------------------------------


class Fixture:
    kind = ""

    def __init__(self, filename: str, dtype, seed: int):
        self.filename = filename
        self.dtype = np.dtype(dtype)
        self.rng = np.random.default_rng(seed)
        self.arrays: dict[str, np.ndarray] = {}
        self.cases: list[str] = []

    # -- naming -------------------------------------------------------------------------
    def _case_name(self, desc: str) -> str:
        name = f"c{len(self.cases):03d}_{desc}"
        assert CASE_NAME_RE.match(name), f"bad case name {name!r}"
        assert name not in self.cases
        self.cases.append(name)
        return name

    def _put(self, case: str, field: str, arr):
        key = f"{case}__{field}"
        assert key not in self.arrays, key
        self.arrays[key] = arr

    # -- random data ----------------------------------------------------------------------
    def rand(self, shape) -> np.ndarray:
        dt, rng = self.dtype, self.rng
        shape = tuple(shape)
        if dt.kind == "f":
            scale = 10.0 ** int(rng.integers(-2, 3))
            return (rng.standard_normal(shape) * scale).astype(dt)
        if dt.kind == "c":
            scale = 10.0 ** int(rng.integers(-2, 3))
            re_ = rng.standard_normal(shape) * scale
            im_ = rng.standard_normal(shape) * scale
            return (re_ + 1j * im_).astype(dt)
        if dt.kind in "iu":
            info = np.iinfo(dt)
            return rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True)
        if dt.kind == "b":
            return rng.random(shape) < 0.5
        raise TypeError(dt)

    def save(self) -> Path:
        path = OUT_DIR / self.filename
        tmp = path.with_name(path.name + ".tmp.npz")
        with open(tmp, "wb") as fh:  # file object: np.savez must not rename it
            np.savez(fh, **self.arrays)
        os.replace(tmp, path)
        return path


class GradientFixture(Fixture):
    kind = "gradient"

    def __init__(self, filename, dtype, seed):
        super().__init__(filename, dtype, seed)
        self.real_dtype = real_dtype_of(self.dtype)
        self.out_dtype = self.dtype if self.dtype.kind in "fc" else np.dtype(np.float64)

    def coords(self, kind: str, n: int) -> np.ndarray:
        """1-D coordinates of the real dtype, length n."""
        rng, rdt = self.rng, self.real_dtype
        if kind == "rand":  # strictly increasing, non-uniform
            x = np.cumsum(rng.uniform(0.05, 1.0, n)) + rng.uniform(-3.0, 3.0)
        elif kind == "dec":  # strictly decreasing, non-uniform
            x = -np.cumsum(rng.uniform(0.05, 1.0, n)) + rng.uniform(-3.0, 3.0)
        elif kind == "unif":  # exact multiples: NumPy's uniform path
            h = [0.25, 0.5, 2.0, 0.125, -0.25][int(rng.integers(0, 5))]
            x = np.arange(n) * h - 1.0
        elif kind == "lin":  # linspace whose diffs are not all bit-equal
            for a, b in [(0.0, 1.0), (0.1, 0.7), (-1.0, 2.3), (0.3, 5.1), (-2.2, 0.9)]:
                x = np.linspace(a, b, n, dtype=rdt)
                if n < 3 or not np.all(np.diff(x) == np.diff(x)[0]):
                    break
            else:
                raise AssertionError(f"no non-uniform linspace for n={n}")
        else:
            raise ValueError(kind)
        x = np.ascontiguousarray(x, dtype=rdt)
        d = np.diff(x)
        if kind in ("rand", "lin", "unif"):
            assert np.all(d > 0) or kind == "unif"
        if kind == "dec":
            assert np.all(d < 0)
        if kind == "unif":
            assert np.all(d == d[0]) and d[0] != 0
        elif n >= 3:
            assert not np.all(d == d[0]), (kind, x)
        return x

    def add(self, desc, f, *, edge=1, axes=None, spacing=None, layout=0, fortran=False):
        """Add one case. `spacing`: None | number | list of per-axis (number | coords kind
        str | explicit 1-D np.ndarray). Returns NumPy's outputs (a list, one per axis)."""
        f = np.asarray(f)
        assert f.dtype == self.dtype, (f.dtype, self.dtype)
        assert 1 <= f.ndim <= 4
        assert edge in (1, 2)
        assert layout in (0, 1, 2, 3)
        assert not fortran or f.ndim >= 2, "Fortran order only matters for ndim >= 2"
        stored = np.asfortranarray(f) if fortran else np.ascontiguousarray(f)
        ft = apply_layout(stored, layout)
        ax_list = list(range(ft.ndim)) if axes is None else [int(a) for a in axes]
        assert len(ax_list) >= 1 and len(set(ax_list)) == len(ax_list)
        assert all(0 <= a < ft.ndim for a in ax_list)
        for a in ax_list:
            assert ft.shape[a] >= edge + 1, f"{desc}: axis {a} of {ft.shape} too short"

        rdt = self.real_dtype
        case = self._case_name(desc)
        fields: dict[str, np.ndarray] = {}
        args = []
        if spacing is None:
            pass
        elif is_scalar_spec(spacing):
            h = rdt.type(spacing)
            args.append(h)
            fields["spacing"] = np.array(h, dtype=rdt)
        else:
            assert len(spacing) == len(ax_list), f"{desc}: one spacing per axis"
            for k, (a, s) in enumerate(zip(ax_list, spacing)):
                n = ft.shape[a]
                if is_scalar_spec(s):
                    h = rdt.type(s)
                    args.append(h)
                    fields[f"spacing{k}"] = np.array(h, dtype=rdt)
                else:
                    x = self.coords(s, n) if isinstance(s, str) else np.asarray(s)
                    assert x.dtype == rdt and x.ndim == 1 and x.shape[0] == n, (desc, x)
                    x = np.ascontiguousarray(x)
                    args.append(x)
                    fields[f"spacing{k}"] = x

        kwargs = {} if axes is None else {"axis": tuple(ax_list)}
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = np.gradient(ft, *args, edge_order=edge, **kwargs)
        outs = [res] if isinstance(res, np.ndarray) else list(res)
        assert len(outs) == len(ax_list), f"{desc}: {len(outs)} outputs for {len(ax_list)} axes"
        for o in outs:
            assert o.dtype == self.out_dtype, (desc, o.dtype)
            assert o.shape == ft.shape, (desc, o.shape, ft.shape)

        self._put(case, "f", stored)
        self._put(case, "layout", np.array(layout, dtype=np.int64))
        self._put(case, "edge", np.array(edge, dtype=np.int64))
        if axes is not None:
            self._put(case, "axes", np.array(ax_list, dtype=np.int64))
        for k, v in fields.items():
            self._put(case, k, v)
        for k, o in enumerate(outs):
            self._put(case, f"out{k}", np.ascontiguousarray(o))
        return outs


class DiffFixture(Fixture):
    kind = "diff"

    def add(self, desc, a, *, n=1, axis=0, layout=0, fortran=False, prepend=None, append=None):
        """Add one case. prepend/append: None | Python/NumPy scalar | Pad(k) | np.ndarray."""
        a = np.asarray(a)
        assert a.dtype == self.dtype, (a.dtype, self.dtype)
        assert 1 <= a.ndim <= 4
        assert n >= 0 and layout in (0, 1, 2, 3)
        assert not fortran or a.ndim >= 2
        stored = np.asfortranarray(a) if fortran else np.ascontiguousarray(a)
        at = apply_layout(stored, layout)
        assert 0 <= axis < at.ndim
        case = self._case_name(desc)

        kw, fields = {}, {}
        for which, v in (("prepend", prepend), ("append", append)):
            if v is None:
                continue
            assert n > 0, "prepend/append with n == 0 is deliberately not covered"
            if isinstance(v, Pad):
                shape = list(at.shape)
                shape[axis] = v.length
                arr = self.rand(shape)
                kw[which] = arr
                fields[which] = arr
            elif isinstance(v, np.ndarray) and v.ndim > 0:
                assert v.dtype == self.dtype and v.ndim == at.ndim
                assert all(
                    (s == t) if i != axis else s >= 1
                    for i, (s, t) in enumerate(zip(v.shape, at.shape))
                ), (desc, v.shape, at.shape)
                kw[which] = np.ascontiguousarray(v)
                fields[which] = kw[which]
            else:
                sc = self.dtype.type(v)  # NumPy scalar of a's dtype: no promotion
                kw[which] = sc
                fields[which] = np.array(sc, dtype=self.dtype)

        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = np.diff(at, n=n, axis=axis, **kw)
        assert out.dtype == self.dtype, (desc, out.dtype)
        length = at.shape[axis] + sum(
            (1 if np.ndim(v) == 0 else v.shape[axis]) for v in kw.values()
        )
        exp_shape = list(at.shape)
        exp_shape[axis] = max(length - n, 0)
        assert out.shape == tuple(exp_shape), (desc, out.shape, exp_shape)

        self._put(case, "a", stored)
        self._put(case, "layout", np.array(layout, dtype=np.int64))
        self._put(case, "n", np.array(n, dtype=np.int64))
        self._put(case, "axis", np.array(axis, dtype=np.int64))
        for k, v in fields.items():
            self._put(case, k, v)
        self._put(case, "out", np.ascontiguousarray(out))
        return out


# --------------------------------------------------------------------------------------------
# systematic case tables
# --------------------------------------------------------------------------------------------

# (name, axes, spacing)
FORMS_1D = [
    ("default", None, None),
    ("h03", None, 0.3),
    ("h01", None, 0.1),
    ("h2", None, 2.0),
    ("h1em3", None, 1e-3),
    ("hneg05", None, -0.5),
    ("axh07", None, [0.7]),  # per-axis scalar (spacing0) in 1-D
    ("coords_rand", None, ["rand"]),
    ("coords_dec", None, ["dec"]),
    ("coords_unif", None, ["unif"]),
    ("coords_lin", None, ["lin"]),
    ("axis0_coords", (0,), ["rand"]),
]

FORMS_2D = [
    ("default", None, None),
    ("h03", None, 0.3),
    ("ax_h01_h2", None, [0.1, 2.0]),
    ("ax_hneg05_h1em3", None, [-0.5, 1e-3]),
    ("coords_rand_rand", None, ["rand", "rand"]),
    ("coords_dec_rand", None, ["dec", "rand"]),
    ("coords_unif_lin", None, ["unif", "lin"]),
    ("mix_h2_rand", None, [2.0, "rand"]),
    ("mix_lin_hneg05", None, ["lin", -0.5]),
    ("axes10_default", (1, 0), None),
    ("axes10_rand_h03", (1, 0), ["rand", 0.3]),
    ("axes10_h01", (1, 0), 0.1),
    ("axes0_default", (0,), None),
    ("axes1_dec", (1,), ["dec"]),
    ("axes1_h2", (1,), 2.0),
    ("axes0_unif", (0,), ["unif"]),
]

FORMS_3D = [
    ("default", None, None),
    ("h03", None, 0.3),
    ("ax_scalars", None, [0.1, -0.5, 1e-3]),
    ("mix_rand_h03_lin", None, ["rand", 0.3, "lin"]),
    ("coords_dec_unif_rand", None, ["dec", "unif", "rand"]),
    ("axes20_dec_h2", (2, 0), ["dec", 2.0]),
    ("axes1_unif", (1,), ["unif"]),
    ("axes210_coords", (2, 1, 0), ["rand", "lin", "dec"]),
    ("axes02_default", (0, 2), None),
    ("axes2_hneg05", (2,), -0.5),
]

FORMS_4D = [
    ("default", None, None),
    ("h03", None, 0.3),
    ("mix", None, ["rand", 0.7, "dec", "unif"]),
    ("coords_all", None, ["rand", "lin", "rand", "dec"]),
    ("axes31_lin_hneg05", (3, 1), ["lin", -0.5]),
    ("axes2_h01", (2,), 0.1),
    ("axes0321", (0, 3, 2, 1), [2.0, "rand", 1e-3, "lin"]),
]

SHAPES = {
    1: [(3,), (4,), (5,), (6,), (7,)],
    2: [(3, 4), (4, 5), (5, 3), (6, 7), (3, 3), (7, 4), (5, 6), (4, 4)],
    3: [(3, 4, 5), (4, 3, 6), (5, 4, 3), (3, 5, 4)],
    4: [(3, 4, 3, 5), (4, 3, 5, 3), (3, 3, 3, 3), (5, 3, 4, 3)],
}
FORMS = {1: FORMS_1D, 2: FORMS_2D, 3: FORMS_3D, 4: FORMS_4D}


def shape_tag(shape) -> str:
    return "x".join(str(s) for s in shape)


def run_gradient_forms(fx: GradientFixture, ndim: int, *, stride=1, offset=0,
                       edges=(1, 2), layouts=(0, 1, 2, 3), shapes=None):
    """Cross the forms of `ndim` with `edges` and take every `stride`-th combination starting
    at `offset`; layouts, Fortran storage and shapes rotate with the running index."""
    shapes = shapes or SHAPES[ndim]
    forms = FORMS[ndim]
    # block k pairs form i with edges[(i + k) % len(edges)]: every (form, edge) pair occurs
    # once, and a strided subset still mixes both edge orders even for even strides
    combos = [(form, edges[(i + k) % len(edges)])
              for k in range(len(edges)) for i, form in enumerate(forms)]
    for j, ((name, axes, spacing), edge) in enumerate(combos[offset::stride]):
        i = j + offset
        layout = layouts[i % len(layouts)]
        fortran = ndim >= 2 and (i // len(layouts)) % 2 == 1
        tshape = shapes[i % len(shapes)]
        sshape = stored_shape(tshape, layout, parity=i)
        f = fx.rand(sshape)
        assert apply_layout(f, layout).shape == tuple(tshape)
        desc = f"{ndim}d_{shape_tag(tshape)}_{name}_e{edge}_l{layout}" + ("_fo" if fortran else "")
        fx.add(desc, f, edge=edge, axes=axes, spacing=spacing, layout=layout, fortran=fortran)


# --------------------------------------------------------------------------------------------
# gradient generators
# --------------------------------------------------------------------------------------------

GOLD_F = [1, 2, 4, 7, 11, 16.0]
GOLD_X = [0, 1, 1.5, 3.5, 4, 6.0]
GOLD_XS = [0.0, 0.1, 0.35, 0.4, 1.0, 1.7, 3.0]


def gen_gradient_f64(fx: GradientFixture):
    f64 = np.float64
    f = np.array(GOLD_F)
    x = np.array(GOLD_X)
    expect(fx.add("golden_f_default", f), [[1.0, 1.5, 2.5, 3.5, 4.5, 5.0]])
    expect(fx.add("golden_f_default_e2", f, edge=2), [[0.5, 1.5, 2.5, 3.5, 4.5, 5.5]])
    expect(fx.add("golden_f_h03", f, spacing=0.3),
           [[3.3333333333333335, 5.0, 8.333333333333334, 11.666666666666668, 15.0,
             16.666666666666668]])
    expect(fx.add("golden_f_h03_e2", f, spacing=0.3, edge=2),
           [[1.666666666666667, 5.0, 8.333333333333334, 11.666666666666668, 15.0,
             18.33333333333333]])
    expect(fx.add("golden_f_x", f, spacing=[x]),
           [[1.0, 2.9999999999999996, 3.5, 6.700000000000001, 6.899999999999999, 2.5]])
    expect(fx.add("golden_f_x_e2", f, spacing=[x], edge=2),
           [[-1.0, 2.9999999999999996, 3.5, 6.700000000000001, 6.899999999999999,
             -1.8999999999999968]])
    s = np.sin(np.linspace(0, 3, 7))
    expect([s], [[0.0, 0.479425538604203, 0.8414709848078965, 0.9974949866040544,
                  0.9092974268256817, 0.5984721441039565, 0.1411200080598672]])
    expect(fx.add("golden_sin_h01", s, spacing=0.1),
           [[4.79425538604203, 4.207354924039482, 2.590347239999257, 0.339132210088926,
             -1.9951142125004895, -3.840887093829072, -4.573521360440893]])
    expect(fx.add("golden_sin_h01_e2", s, spacing=0.1, edge=2),
           [[5.381155848044577, 4.207354924039482, 2.590347239999257, 0.339132210088926,
             -1.9951142125004895, -3.840887093829072, -5.306155627052714]])
    fx.add("golden_sin_xs", s, spacing=[np.array(GOLD_XS)])
    expect(fx.add("golden_sin_xs_e2", s, spacing=[np.array(GOLD_XS)], edge=2),
           [[5.750276414964103, 3.8382343571199566, 2.8417636607384225, 2.8691357306241425,
             -0.28409140306084935, -0.4117567442095162, -0.2918619266275444]])
    m = np.array([[1, 2, 6], [3, 4, 5]], dtype=f64)
    expect(fx.add("golden_2x3_mixed", m, spacing=[2.0, np.array([1.0, 1.5, 3.5])]),
           [[[1, 1, -0.5], [1, 1, -0.5]], [[2, 2, 2], [2, 1.6999999999999993, 0.5]]])
    fx.add("golden_2x3_mixed_l1", m, spacing=[2.0, np.array([3.5, 1.5, 1.0])], layout=1)

    # NaN / inf in the data
    nan1 = np.array([2, 5, np.nan, 9, 12.0])
    expect(fx.add("nan_1d", nan1), [[3, np.nan, 2, np.nan, 3]])
    fx.add("nan_1d_e2", nan1, edge=2)
    fx.add("nan_1d_coords", nan1, spacing=["rand"])
    fx.add("nan_1d_coords_e2", nan1, spacing=["rand"], edge=2)
    nan2 = np.array([1, np.nan, 4, 5, 6.0])
    expect(fx.add("nan_1d_b", nan2), [[np.nan, 1.5, np.nan, 1, 1]])
    fx.add("nan_1d_b_e2_h03", nan2, spacing=0.3, edge=2)
    inf1 = np.array([1, np.inf, 4, 5, 6.0])
    expect(fx.add("inf_1d", inf1), [[np.inf, 1.5, -np.inf, 1, 1]])
    fx.add("inf_1d_e2", inf1, edge=2)
    fx.add("inf_1d_coords_e2", inf1, spacing=["dec"], edge=2)
    fx.add("inf_1d_coords", inf1, spacing=["rand"])
    fx.add("neginf_1d_e2_l1", np.array([1, 3, -np.inf, 5, 6, 8.0]), edge=2, layout=1)
    sp = fx.rand((5, 6))
    sp[1, 2] = np.nan
    sp[3, 4] = np.inf
    sp[0, 5] = -np.inf
    sp[4, 0] = np.inf
    fx.add("special_2d", sp)
    fx.add("special_2d_e2", sp, edge=2)
    fx.add("special_2d_coords", sp, spacing=["rand", "dec"])
    fx.add("special_2d_coords_e2_l1", sp, spacing=["dec", "rand"], edge=2, layout=1)
    fx.add("special_2d_mix_e2_l3_fo", sp, spacing=["lin", 0.3], edge=2, layout=3, fortran=True)

    # 1-D systematic: every form, both edges, lengths 3..7, layouts 0-2 (3 = identity in 1-D)
    run_gradient_forms(fx, 1, layouts=(0, 1, 2))
    run_gradient_forms(fx, 1, stride=3, offset=1, layouts=(0, 1, 2, 3), shapes=[(3,), (5,)])
    # length 2 (edge 1 only; coords of length 2 take the uniform path)
    for k, (name, axes, spacing) in enumerate([
        ("default", None, None), ("h03", None, 0.3), ("hneg05", None, -0.5),
        ("coords_rand", None, ["rand"]), ("coords_dec", None, ["dec"]), ("axh07", None, [0.7]),
    ]):
        layout = (0, 1, 2)[k % 3]
        fx.add(f"1d_2_{name}_e1_l{layout}", fx.rand(stored_shape((2,), layout, k)),
               axes=axes, spacing=spacing, layout=layout)
    # large 1-D
    fx.add("1d_1000_default_e1", fx.rand((1000,)))
    fx.add("1d_1000_coords_rand_e2", fx.rand((1000,)), spacing=["rand"], edge=2)
    fx.add("1d_1000_hneg05_e2_l1", fx.rand((1000,)), spacing=-0.5, edge=2, layout=1)
    fx.add("1d_1000_coords_dec_e1_l2", fx.rand((1999,)), spacing=["dec"], layout=2)
    fx.add("1d_257_h01_e2", fx.rand((257,)), spacing=0.1, edge=2)
    fx.add("1d_257_coords_lin_e2", fx.rand((257,)), spacing=["lin"], edge=2)
    fx.add("1d_257_coords_unif_e1_l1", fx.rand((257,)), spacing=["unif"], layout=1)
    fx.add("1d_200_coords_lin_e1", fx.rand((200,)), spacing=["lin"])
    xs = np.sort(fx.rng.uniform(-10, 10, 200))
    assert np.all(np.diff(xs) > 0)
    fx.add("1d_200_sorted_random_coords_e2", fx.rand((200,)), spacing=[xs], edge=2)
    fx.add("1d_200_linspace01_e2", fx.rand((200,)), spacing=[np.linspace(0, 1, 200)], edge=2)
    fx.add("1d_200_arange_quarter_e2", fx.rand((200,)), spacing=[np.arange(200) * 0.25], edge=2)
    fx.add("1d_200_h1em3_e1_l2", fx.rand((400,)), spacing=1e-3, layout=2)

    # 2-D systematic: every form x both edges, layouts and Fortran storage rotating
    run_gradient_forms(fx, 2)
    # 2-D with an axis of length 2
    fx.add("2d_2x5_default_e1", fx.rand((2, 5)))
    fx.add("2d_2x5_axes1_e2", fx.rand((2, 5)), axes=(1,), edge=2)
    fx.add("2d_5x2_coords_e1_fo", fx.rand((5, 2)), spacing=["rand", "dec"], fortran=True)
    fx.add("2d_2x5_axes10_e1_l3", fx.rand((5, 2)), axes=(1, 0), spacing=[0.3, "rand"], layout=3)
    # large 2-D
    fx.add("2d_64x80_default_e1", fx.rand((64, 80)))
    fx.add("2d_64x80_coords_rand_lin_e2_fo", fx.rand((64, 80)), spacing=["rand", "lin"],
           edge=2, fortran=True)
    fx.add("2d_48x64_axes10_h03_dec_e2_l1", fx.rand((48, 64)), axes=(1, 0),
           spacing=[0.3, "dec"], edge=2, layout=1)
    fx.add("2d_30x40_unif_hneg05_e2_l2", fx.rand(stored_shape((30, 40), 2)),
           spacing=["unif", -0.5], edge=2, layout=2)
    fx.add("2d_40x30_mix_e1_l3", fx.rand((30, 40)), spacing=["rand", 2.0], layout=3)

    # 3-D and 4-D
    run_gradient_forms(fx, 3)
    fx.add("3d_10x12x14_coords_e2_fo", fx.rand((10, 12, 14)), spacing=["rand", "dec", "lin"],
           edge=2, fortran=True)
    fx.add("3d_2x3x4_default_e1", fx.rand((2, 3, 4)))
    fx.add("3d_3x2x4_axes20_e2_l1", fx.rand((3, 2, 4)), axes=(2, 0), spacing=0.1, edge=2,
           layout=1)
    run_gradient_forms(fx, 4)
    fx.add("4d_2x3x4x5_default_e1", fx.rand((2, 3, 4, 5)))
    fx.add("4d_5x6x7x8_h03_e2_l2", fx.rand(stored_shape((5, 6, 7, 8), 2)), spacing=0.3,
           edge=2, layout=2)


def gen_gradient_f32(fx: GradientFixture):
    s = np.sin(np.linspace(0, 3, 7)).astype(np.float32)
    fx.add("golden_sin32_default", s)
    fx.add("golden_sin32_h03_e2", s, spacing=0.3, edge=2)
    fx.add("golden_sin32_h01", s, spacing=0.1)
    fx.add("golden_sin32_xs_e2", s, spacing=[np.array(GOLD_XS, dtype=np.float32)], edge=2)
    fx.add("nan_1d", np.array([2, 5, np.nan, 9, 12], dtype=np.float32))
    fx.add("inf_1d_e2", np.array([1, np.inf, 4, 5, 6], dtype=np.float32), edge=2)
    run_gradient_forms(fx, 1, stride=2, layouts=(0, 1, 2))
    fx.add("1d_2_h03_e1", fx.rand((2,)), spacing=0.3)
    fx.add("1d_300_coords_rand_e2", fx.rand((300,)), spacing=["rand"], edge=2)
    fx.add("1d_300_h1em3_e2_l1", fx.rand((300,)), spacing=1e-3, edge=2, layout=1)
    fx.add("1d_300_default_e2", fx.rand((300,)), edge=2)
    run_gradient_forms(fx, 2, stride=3)
    fx.add("2d_32x40_coords_e2_fo", fx.rand((32, 40)), spacing=["lin", "dec"], edge=2,
           fortran=True)
    run_gradient_forms(fx, 3, stride=4, offset=1)
    run_gradient_forms(fx, 4, stride=5, offset=2)


def gen_gradient_c128(fx: GradientFixture):
    z = np.array([1 + 2j, 2 - 1j, 4 + 0.5j, 7 + 3j, 11 - 2j, 16 + 1j])
    fx.add("golden_like_default", z)
    fx.add("golden_like_x_e2", z, spacing=[np.array(GOLD_X)], edge=2)
    fx.add("golden_like_h03_e2", z, spacing=0.3, edge=2)
    run_gradient_forms(fx, 1, stride=3, layouts=(0, 1, 2))
    fx.add("1d_200_coords_e2", fx.rand((200,)), spacing=["rand"], edge=2)
    run_gradient_forms(fx, 2, stride=3, offset=1)
    fx.add("2d_24x30_mix_e2_l1", fx.rand((24, 30)), spacing=["rand", 0.1], edge=2, layout=1)
    run_gradient_forms(fx, 3, stride=5, offset=2)
    run_gradient_forms(fx, 4, stride=7, offset=3)


def gen_gradient_c64(fx: GradientFixture):
    run_gradient_forms(fx, 1, stride=4, layouts=(0, 1, 2))
    fx.add("1d_100_h01_e2", fx.rand((100,)), spacing=0.1, edge=2)
    fx.add("1d_100_coords_dec_e1", fx.rand((100,)), spacing=["dec"])
    run_gradient_forms(fx, 2, stride=4, offset=2)
    run_gradient_forms(fx, 3, stride=7, offset=1)
    run_gradient_forms(fx, 4, stride=9, offset=4)


def gen_gradient_int(fx: GradientFixture):
    dt = fx.dtype
    info = np.iinfo(dt)
    if dt == np.uint8:
        u = np.array([5, 3, 1, 0, 200], dtype=np.uint8)
        expect(fx.add("spec_u8", u), [[-2.0, -2.0, -1.5, 99.5, 200.0]])
        fx.add("spec_u8_e2", u, edge=2)
        fx.add("spec_u8_coords_dec", u, spacing=["dec"])
        fx.add("spec_u8_h03_l1", u, spacing=0.3, layout=1)
    if dt == np.int8:
        i8 = np.array([-128, 127, 0], dtype=np.int8)
        expect(fx.add("spec_i8", i8), [[255.0, 64.0, -127.0]])
        fx.add("spec_i8_e2", i8, edge=2)
        fx.add("spec_i8_coords_e2", i8, spacing=["rand"], edge=2)
        fx.add("extremes_i8", np.array([127, -128, 127, -128, 0, 127], dtype=np.int8), edge=2)
    if dt == np.int64:
        m = np.array([[2, 5, 8], [3, 6, 9], [4, 7, 10]], dtype=np.int64)
        expect(fx.add("spec_3x3", m), [np.ones((3, 3)), np.full((3, 3), 3.0)])
        fx.add("spec_3x3_e2", m, edge=2)
        fx.add("spec_3x3_e2_l3", m, edge=2, layout=3)
        mx = np.array([[1, 2, 6], [3, 4, 5]], dtype=np.int64)
        expect(fx.add("golden_2x3_mixed", mx, spacing=[2.0, np.array([1.0, 1.5, 3.5])]),
               [[[1, 1, -0.5], [1, 1, -0.5]], [[2, 2, 2], [2, 1.6999999999999993, 0.5]]])
        big = np.array([2**62, -(2**62), 2**62 - 1, -(2**62) + 3, info.max, info.min, 0,
                        2**53 + 1], dtype=np.int64)
        fx.add("near_2pow62", big)
        fx.add("near_2pow62_e2_coords", big, spacing=["rand"], edge=2)
        b2 = fx.rng.integers(2**62 - 1000, 2**62 + 1000, size=(4, 5)) * \
            np.where(fx.rng.random((4, 5)) < 0.5, -1, 1)
        fx.add("near_2pow62_2d_e2", b2.astype(np.int64), edge=2)
    if dt == np.int32:
        ex = np.array([info.max, info.min, info.max, 0, -1, info.min, 1], dtype=np.int32)
        fx.add("extremes_i32", ex)
        fx.add("extremes_i32_e2_h03", ex, spacing=0.3, edge=2)
    # random full-range data through a few forms of each rank
    run_gradient_forms(fx, 1, stride=5, layouts=(0, 1, 2))
    run_gradient_forms(fx, 2, stride=6, offset=1)
    run_gradient_forms(fx, 3, stride=9, offset=2)
    run_gradient_forms(fx, 4, stride=11, offset=3)
    fx.add("1d_150_coords_e2", fx.rand((150,)), spacing=["rand"], edge=2)


# --------------------------------------------------------------------------------------------
# diff generators
# --------------------------------------------------------------------------------------------


def run_diff_systematic(fx: DiffFixture, *, with_nd=True, nd_stride=1):
    # 1-D, n = 0..5 and n >= length (empty result), layouts 0-2 (3 = identity in 1-D)
    for i, n in enumerate([0, 1, 2, 3, 4, 5, 7]):
        layout = (0, 1, 2)[i % 3]
        fx.add(f"1d_5_n{n}_l{layout}", fx.rand(stored_shape((5,), layout, i)), n=n, axis=0,
               layout=layout)
    fx.add("1d_6_n1_l3", fx.rand((6,)), n=1, axis=0, layout=3)
    if not with_nd:
        return
    # N-D: every axis, n rotating, layouts/Fortran rotating
    tshapes = {2: (4, 5), 3: (3, 4, 5), 4: (2, 3, 4, 5)}
    i = 0
    for ndim in (2, 3, 4):
        for axis in range(ndim):
            for n in (1, 2, 3):
                if (i % nd_stride) == 0 and not (ndim == 4 and n == 3 and axis != 3):
                    layout = i % 4
                    fortran = (i // 4) % 2 == 1
                    ts = tshapes[ndim]
                    # layout 3 permutes axes: pick the stored shape so the view has shape ts
                    a = fx.rand(stored_shape(ts, layout, i))
                    fx.add(f"{ndim}d_{shape_tag(ts)}_ax{axis}_n{n}_l{layout}"
                           + ("_fo" if fortran else ""), a, n=n, axis=axis, layout=layout,
                           fortran=fortran)
                i += 1
    # empty result along a non-last axis, and n=0 on a strided view
    fx.add("2d_3x4_ax0_n4_empty", fx.rand((3, 4)), n=4, axis=0)
    fx.add("2d_3x4_ax1_n9_empty_l1", fx.rand((3, 4)), n=9, axis=1, layout=1)
    fx.add("2d_4x5_n0_l1_fo", fx.rand((4, 5)), n=0, axis=1, layout=1, fortran=True)
    fx.add("3d_n0_l2", fx.rand((5, 4, 3)), n=0, axis=2, layout=2)


def run_diff_pads(fx: DiffFixture, scalars, *, stride=1):
    """prepend/append combos; `scalars` are values representable in the dtype."""
    s0, s1 = scalars[0], scalars[1 % len(scalars)]
    combos = [
        ("1d_pre_scalar", (6,), 0, 1, 0, False, s0, None),
        ("1d_app_scalar", (6,), 0, 1, 1, False, None, s1),
        ("1d_both_scalar_n2", (6,), 0, 2, 0, False, s0, s1),
        ("1d_pre_arr3", (5,), 0, 1, 2, False, Pad(3), None),
        ("1d_app_arr1_n3", (5,), 0, 3, 0, False, None, Pad(1)),
        ("1d_both_arr_n4", (4,), 0, 4, 1, False, Pad(2), Pad(3)),
        ("1d_pre_scalar_app_arr_n7", (4,), 0, 7, 0, False, s0, Pad(2)),
        ("2d_ax0_pre_scalar", (3, 4), 0, 1, 0, False, s0, None),
        ("2d_ax1_app_scalar_n2_fo", (3, 4), 1, 2, 0, True, None, s1),
        ("2d_ax1_both_scalar_l3", (4, 3), 1, 1, 3, False, s1, s0),
        ("2d_ax0_pre_arr2_l1", (3, 4), 0, 2, 1, False, Pad(2), None),
        ("2d_ax1_app_arr1_l2", (3, 5), 1, 1, 2, False, None, Pad(1)),
        ("2d_ax0_both_arr_n3_fo", (4, 3), 0, 3, 0, True, Pad(1), Pad(2)),
        ("2d_ax1_pre_arr_app_scalar", (3, 4), 1, 2, 0, False, Pad(3), s0),
        ("3d_ax1_both_scalar_n2", (2, 3, 4), 1, 2, 0, False, s0, s1),
        ("3d_ax2_pre_arr_l3", (3, 4, 2), 2, 1, 3, False, Pad(2), None),
        ("3d_ax0_app_arr_n2_l1", (2, 3, 4), 0, 2, 1, False, None, Pad(2)),
        ("4d_ax3_both_arr", (2, 2, 3, 3), 3, 1, 0, False, Pad(1), Pad(1)),
        ("4d_ax1_pre_scalar_n2_fo", (2, 3, 2, 3), 1, 2, 0, True, s1, None),
    ]
    for i, (name, ts, axis, n, layout, fortran, pre, app) in enumerate(combos):
        if i % stride:
            continue
        a = fx.rand(stored_shape(ts, layout, i))
        fx.add(f"pad_{name}", a, n=n, axis=axis, layout=layout, fortran=fortran,
               prepend=pre, append=app)


def gen_diff_f64(fx: DiffFixture):
    sp = np.array([1, np.nan, np.inf, np.inf, -np.inf])
    expect([fx.add("nan_inf_n1", sp)], [[np.nan, np.nan, np.nan, -np.inf]])
    fx.add("nan_inf_n2", sp, n=2)
    fx.add("nan_inf_n3_l1", sp, n=3, layout=1)
    fx.add("nan_inf_pre_inf", sp, n=1, prepend=np.inf, append=np.nan)
    z = np.array([0.0, -0.0, 0.0, 1.0, -0.0])
    fx.add("signed_zeros", z)
    fx.add("signed_zeros_n2", z, n=2)
    run_diff_systematic(fx)
    run_diff_pads(fx, [0.5, -2.25])
    fx.add("1d_500_n3_l1", fx.rand((500,)), n=3, layout=1)
    fx.add("1d_500_n1", fx.rand((500,)), n=1)
    fx.add("2d_40x50_ax1_n2_fo", fx.rand((40, 50)), n=2, axis=1, fortran=True)
    fx.add("2d_40x50_ax0_n5_l2", fx.rand((80, 100)), n=5, axis=0, layout=2)


def gen_diff_f32(fx: DiffFixture):
    sp = np.array([1, np.nan, np.inf, np.inf, -np.inf], dtype=np.float32)
    expect([fx.add("nan_inf_n1", sp)], [[np.nan, np.nan, np.nan, -np.inf]])
    run_diff_systematic(fx, nd_stride=3)
    run_diff_pads(fx, [0.5, -2.25], stride=3)
    fx.add("1d_300_n4", fx.rand((300,)), n=4)


def gen_diff_c128(fx: DiffFixture):
    fx.add("inf_1d", np.array([1 + 1j, complex(np.inf, 0), complex(np.inf, 1), 2 - 1j]))
    run_diff_systematic(fx, nd_stride=4)
    run_diff_pads(fx, [0.5 - 1j, 2 + 0.25j], stride=4)


def gen_diff_int(fx: DiffFixture):
    dt = fx.dtype
    info = np.iinfo(dt)
    if dt == np.int8:
        expect([fx.add("spec_wrap", np.array([-128, 127, -128], dtype=np.int8))], [[-1, 1]])
        fx.add("spec_wrap_n2", np.array([-128, 127, -128], dtype=np.int8), n=2)
        fx.add("wrap_pre_min", np.array([127, 0, -128], dtype=np.int8), prepend=np.int8(-128),
               append=np.int8(127))
    if dt == np.uint8:
        expect([fx.add("spec_wrap", np.array([1, 0, 255, 3], dtype=np.uint8))], [[255, 255, 4]])
        expect([fx.add("spec_wrap_n2", np.array([0, 5, 1], dtype=np.uint8), n=2)], [[247]])
        expect([fx.add("spec_pre_zero", np.array([1, 0], dtype=np.uint8), prepend=np.uint8(0))],
               [[1, 255]])
        fx.add("wrap_app_255", np.array([3, 2, 1], dtype=np.uint8), n=2, append=np.uint8(255))
    if dt == np.int64:
        expect([fx.add("spec_min_max", np.array([info.min, info.max], dtype=np.int64))], [[-1]])
        fx.add("min_max_n2", np.array([info.min, info.max, info.min, 0], dtype=np.int64), n=2)
        fx.add("near_2pow62", np.array([2**62, -(2**62), 2**62 - 1, -(2**62) + 3],
                                       dtype=np.int64), n=3)
    if dt == np.uint64:
        expect([fx.add("spec_wrap", np.array([0, 1, info.max], dtype=np.uint64))],
               [[1, info.max - 1]])
        fx.add("wrap_n2", np.array([info.max, 0, 5, 2], dtype=np.uint64), n=2)
        fx.add("wrap_pre", np.array([0, 3], dtype=np.uint64), prepend=np.uint64(info.max))
    run_diff_systematic(fx, nd_stride=3)
    run_diff_pads(fx, [info.max, info.min if info.min < 0 else 7], stride=3)


def gen_diff_bool(fx: DiffFixture):
    b = np.array([True, True, False, False, True])
    expect([fx.add("spec_xor_n1", b)], [[False, True, False, True]])
    expect([fx.add("spec_xor_n2", b, n=2)], [[True, True, True]])
    fx.add("spec_xor_n3_l1", b, n=3, layout=1)
    fx.add("pre_true", b, prepend=np.True_)
    run_diff_systematic(fx, nd_stride=3)
    run_diff_pads(fx, [True, False], stride=3)


# --------------------------------------------------------------------------------------------
# registry, verification, summary
# --------------------------------------------------------------------------------------------

# (filename, fixture class, dtype, fixed seed, generator)
FILES = [
    ("gradient_f64.npz", GradientFixture, np.float64, 0x6E0F64, gen_gradient_f64),
    ("gradient_f32.npz", GradientFixture, np.float32, 0x6E0F32, gen_gradient_f32),
    ("gradient_c128.npz", GradientFixture, np.complex128, 0x6E0C128, gen_gradient_c128),
    ("gradient_c64.npz", GradientFixture, np.complex64, 0x6E0C64, gen_gradient_c64),
    ("gradient_i32.npz", GradientFixture, np.int32, 0x6E0132, gen_gradient_int),
    ("gradient_i64.npz", GradientFixture, np.int64, 0x6E0164, gen_gradient_int),
    ("gradient_u8.npz", GradientFixture, np.uint8, 0x6E0708, gen_gradient_int),
    ("gradient_i8.npz", GradientFixture, np.int8, 0x6E0108, gen_gradient_int),
    ("diff_f64.npz", DiffFixture, np.float64, 0xD1FF64, gen_diff_f64),
    ("diff_f32.npz", DiffFixture, np.float32, 0xD1FF32, gen_diff_f32),
    ("diff_c128.npz", DiffFixture, np.complex128, 0xD1FC128, gen_diff_c128),
    ("diff_i8.npz", DiffFixture, np.int8, 0xD1F108, gen_diff_int),
    ("diff_u8.npz", DiffFixture, np.uint8, 0xD1F708, gen_diff_int),
    ("diff_i64.npz", DiffFixture, np.int64, 0xD1F164, gen_diff_int),
    ("diff_u64.npz", DiffFixture, np.uint64, 0xD1F764, gen_diff_int),
    ("diff_bool.npz", DiffFixture, np.bool_, 0xD1FB00, gen_diff_bool),
]


def _scalar(arr: np.ndarray):
    assert arr.ndim == 0
    return arr[()]  # NumPy scalar of the stored dtype


def _int0d(arr: np.ndarray) -> int:
    assert arr.dtype == np.int64 and arr.ndim == 0, (arr.dtype, arr.shape)
    return int(arr)


def verify_file(path: Path, kind: str, dtype: np.dtype) -> int:
    """Rebuild every case from the archive alone (as the Rust tests do) and recompute."""
    dtype = np.dtype(dtype)
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    cases: dict[str, dict[str, np.ndarray]] = {}
    for key, arr in data.items():
        case, sep, field = key.rpartition("__")
        assert sep and CASE_NAME_RE.match(case), key
        assert (GRAD_FIELD_RE if kind == "gradient" else DIFF_FIELD_RE).match(field), key
        cases.setdefault(case, {})[field] = arr

    for case, d in cases.items():
        layout = _int0d(d["layout"])
        assert layout in (0, 1, 2, 3)
        if kind == "gradient":
            f = d["f"]
            assert f.dtype == dtype and 1 <= f.ndim <= 4
            ft = apply_layout(f, layout)
            edge = _int0d(d["edge"])
            assert edge in (1, 2)
            if "axes" in d:
                ax = d["axes"]
                assert ax.dtype == np.int64 and ax.ndim == 1 and ax.size >= 1
                axes = [int(a) for a in ax]
                assert all(0 <= a < ft.ndim for a in axes) and len(set(axes)) == len(axes)
                kwargs = {"axis": tuple(axes)}
            else:
                axes = list(range(ft.ndim))
                kwargs = {}
            L = len(axes)
            rdt = real_dtype_of(dtype)
            out_dt = dtype if dtype.kind in "fc" else np.dtype(np.float64)
            sp_keys = sorted(k for k in d if k.startswith("spacing") and k != "spacing")
            out_keys = sorted(k for k in d if k.startswith("out"))
            assert out_keys == sorted(f"out{k}" for k in range(L)), (case, out_keys, L)
            args = []
            if "spacing" in d:
                assert not sp_keys
                assert d["spacing"].dtype == rdt
                args = [_scalar(d["spacing"])]
            elif sp_keys:
                assert sp_keys == sorted(f"spacing{k}" for k in range(L)), (case, sp_keys)
                for k in range(L):
                    s = d[f"spacing{k}"]
                    assert s.dtype == rdt, (case, k, s.dtype)
                    if s.ndim == 0:
                        args.append(_scalar(s))
                    else:
                        assert s.ndim == 1 and s.shape[0] == ft.shape[axes[k]], (case, k)
                        args.append(s)
            for a in axes:
                assert ft.shape[a] >= edge + 1, case
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                res = np.gradient(ft, *args, edge_order=edge, **kwargs)
            outs = [res] if isinstance(res, np.ndarray) else list(res)
            assert len(outs) == L
            for k in range(L):
                stored = d[f"out{k}"]
                assert stored.dtype == out_dt and stored.flags.c_contiguous, case
                assert same_bits(outs[k], stored), f"{path.name}:{case}: out{k} differs"
        else:
            a = d["a"]
            assert a.dtype == dtype and 1 <= a.ndim <= 4
            at = apply_layout(a, layout)
            n = _int0d(d["n"])
            axis = _int0d(d["axis"])
            assert n >= 0 and 0 <= axis < at.ndim
            kw = {}
            for which in ("prepend", "append"):
                if which in d:
                    assert n > 0, case
                    v = d[which]
                    assert v.dtype == dtype
                    if v.ndim == 0:
                        kw[which] = _scalar(v)
                    else:
                        assert v.ndim == at.ndim and v.shape[axis] >= 1
                        assert all(s == t for i, (s, t) in enumerate(zip(v.shape, at.shape))
                                   if i != axis), case
                        kw[which] = v
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                out = np.diff(at, n=n, axis=axis, **kw)
            stored = d["out"]
            assert stored.dtype == dtype and stored.flags.c_contiguous, case
            assert same_bits(out, stored), f"{path.name}:{case}: out differs"
    return len(cases)


def main() -> int:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    print(f"numpy {np.__version__}; writing to {OUT_DIR}")
    rows = []
    for filename, cls, dtype, seed, gen in FILES:
        fx = cls(filename, dtype, seed)
        gen(fx)
        path = fx.save()
        n_verified = verify_file(path, fx.kind, dtype)
        assert n_verified == len(fx.cases), (filename, n_verified, len(fx.cases))
        rows.append((filename, fx.kind, len(fx.cases), path.stat().st_size))

    expected = {f for f, *_ in FILES}
    for p in sorted(OUT_DIR.glob("*.npz")):
        if p.name not in expected:
            print(f"warning: {p.name} in {OUT_DIR} is not produced by this script")

    width = max(len(r[0]) for r in rows)
    print(f"{'file':<{width}}  {'cases':>5}  {'bytes':>9}")
    for name, _, ncases, size in rows:
        print(f"{name:<{width}}  {ncases:>5}  {size:>9}")
    n_grad = sum(r[2] for r in rows if r[1] == "gradient")
    n_diff = sum(r[2] for r in rows if r[1] == "diff")
    total_bytes = sum(r[3] for r in rows)
    print(f"gradient cases: {n_grad}; diff cases: {n_diff}; total cases: {n_grad + n_diff}; "
          f"total size: {total_bytes} bytes ({total_bytes / 2**20:.2f} MiB)")
    assert n_grad >= 100 and n_grad + n_diff >= 150
    assert total_bytes <= MAX_TOTAL_BYTES, "fixtures too large"
    return 0


if __name__ == "__main__":
    sys.exit(main())
