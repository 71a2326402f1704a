#!/usr/bin/env python3
"""Generate the findiff reference fixtures for the `ndarray-gradient` Rust tests (issue 6).

How to run (from anywhere; paths are derived from this file's location):

    python3 -m venv /tmp/venv-findiff
    /tmp/venv-findiff/bin/pip install -r scripts/requirements.txt
    /tmp/venv-findiff/bin/python scripts/gen_findiff_fixtures.py

The script needs findiff 0.16.0 exactly (it asserts the version: the stencil choices below are
findiff 0.16's), NumPy and mpmath (findiff pulls in SciPy and SymPy).  It writes uncompressed
``.npz`` archives (``np.savez``) into ``<repo>/tests/fixtures/``.  Every random draw comes from
``np.random.default_rng(<fixed seed per file>)``, so two runs produce identical files (with the
same NumPy/findiff versions).  After writing, the script re-reads every archive, rebuilds each
case from the stored arrays alone (as the Rust tests must do), checks that findiff reproduces
the stored outputs bit for bit, checks that findiff's output equals the claimed stencils with
findiff's own float64 weights up to rounding (so the stencil layout below is findiff's),
recomputes the exact scheme values a second, independent way (mpmath at 50 digits) and compares
them with the stored exact rational values, and reports findiff's own error against the exact
scheme in units of ``eps * scale``.  It then prints a summary.

What is stored: findiff's output AND the exact value of the same scheme
=======================================================================
findiff computes its stencil weights numerically (``np.linalg.solve`` of a Vandermonde system),
so its outputs carry weight errors that grow with the stencil width.  A Rust implementation with
better (e.g. exactly rounded) weights would differ from findiff by more than its own rounding.
Every array case therefore stores, next to findiff's output ``out``:

* ``exact``: the same finite-difference scheme (same stencil at every point, see "Schemes")
  evaluated without rounding error and rounded once to float64 (nearest, ties to even).  The
  inputs, spacings and coordinates are taken as the exact binary values of the stored float64
  numbers (h = 0.3 means the double nearest 0.3).  The weights are exact rationals from
  Fornberg's algorithm in ``fractions.Fraction`` arithmetic (uniform grids: on the integer
  offsets, divided by ``h**m``; coordinate arrays: on the exact coordinate values), the
  products and sums are exact rationals, and the one rounding is Python's correctly rounded
  ``Fraction -> float``.  The self-check recomputes every value independently with mpmath at
  50 digits (Fornberg weights at 50 digits, sums at 50 digits): the unrounded values agree to
  1e-45 of ``scale``; after rounding they differ only where the exact value is a float64 tie
  (this happens: with weights like 1/12 and dyadic inputs, the exact value is often a short
  dyadic number), which is why the stored value comes from the rationals.
* ``scale``: per output point, the sum over all terms of the scheme of ``|w_j * f_j|`` where
  ``w_j`` includes the ``1/h**m`` factor (uniform) or is the coordinate weight (non-uniform);
  for the Laplacian and divergence the sum runs over the terms of all axes, for the curl over
  the terms of both derivatives of the component.  Computed at 50 digits, rounded to float64.

A float64 evaluation of a scheme with ``W`` terms whose weights each carry a relative error of
at most ``c * eps`` is within about ``(W + c + 2) * eps * scale`` of ``exact`` (recursive
summation: ``(W - 1) * eps``; one rounding per product; ``c`` for the weights; up to 2 for a
final ``1/h**m``); the Rust tests use ``K * eps * scale`` with K chosen that way.  The summary
prints, per group, the worst ``max |out - exact| / (eps * scale)`` of findiff itself and of a
plain float64 model of the scheme (correctly rounded weights, or float64 Fornberg weights for
coordinate arrays; products summed in offset order; then ``* (1/h**m)``), i.e. what a careful
float64 implementation should expect.

Schemes (findiff 0.16's choice of stencil, reproduced by ``exact``)
===================================================================
Derivative order m >= 1, accuracy order p (even).  Let
``nc = 2*floor((m+1)/2) - 1 + p`` (central stencil width), ``ns = nc // 2`` and
``nf = nc + (1 if m is even else 0)`` (one-sided stencil width).

* Uniform spacing h, not periodic (``Diff(axis, h, acc=p)**m``): points ``i < ns`` use the
  forward stencil with offsets ``0..nf-1`` (it starts AT the point), points ``i >= n - ns`` the
  backward stencil with offsets ``-(nf-1)..0`` (it ends at the point), the others the centred
  stencil ``-ns..ns``; all weights divided by ``h**m``.  findiff needs ``n >= ns + nf - 1``
  (shorter axes raise ``IndexError: Shift slice out of bounds``).
* Uniform, periodic (``Diff(axis, h, periodic=True, acc=p)**m``): the centred stencil at every
  point, indices taken modulo n.  Stored only for ``n >= 2*ns + 1`` (shorter axes would alias
  stencil points; findiff silently sums the aliased terms).
* Coordinate array x, not periodic (``Diff(axis, x, acc=p)**m``): NOT the uniform layout.  With
  ``nside = nf // 2``: points ``i < nside`` use the ``nf`` points ``0..nf-1`` (the stencil
  nearest the boundary, which does NOT start at the point: offsets ``-i..nf-1-i``), points
  ``i >= n - nside`` the points ``n-nf..n-1``, the others the ``2*nside+1`` points
  ``i-nside..i+nside`` (for even m this is nf+1 points, one more than the one-sided ones).
  Weights per point from the actual coordinates.  findiff needs ``n >= nf``.  Periodic
  coordinate arrays raise ``NotImplementedError`` in findiff and are not covered.
* Laplacian: sum over the axes of the m = 2 scheme of each axis (each with its own spacing or
  coordinates, one accuracy p for all).  findiff: ``Laplacian(h=[..], acc=p)``, or
  ``Laplacian(coords=[..], acc=p)`` when any axis has coordinates (an entry of ``coords`` may be
  a number: that axis is uniform).  findiff's Laplacian has no periodic option; the periodic
  Laplacian cases store ``zeros + sum_k (Diff(k, h_k, periodic=True, acc=p)**2)(f)``, which is
  the same arithmetic as ``Laplacian``.
* Divergence of a field of shape ``(N, n_0, .., n_{N-1})``: ``sum_c d f[c] / d x_c`` (m = 1),
  findiff ``Divergence(h=[..], acc=p)`` or ``Divergence(coords=[..], acc=p[, periodic=True])``.
* Curl: 3-D field ``(3, n0, n1, n2)`` -> ``(3, n0, n1, n2)``:
  ``(d1 f2 - d2 f1, d2 f0 - d0 f2, d0 f1 - d1 f0)``; 2-D field ``(2, n0, n1)`` -> ``(n0, n1)``:
  ``d0 f1 - d1 f0`` (findiff ``Curl(h=[..]|coords=[..], acc=p[, periodic=True])``).

Files
=====
* ``findiff_uniform.npz``: ``Diff`` on uniform spacing, one-sided boundaries (kind 0).
* ``findiff_nonuniform.npz``: ``Diff`` on coordinate arrays (kind 0).
* ``findiff_periodic.npz``: ``Diff`` on uniform periodic axes (kind 0).
* ``findiff_operators.npz``: Laplacian (kind 1), divergence (kind 2), curl (kind 3).
* ``findiff_coefficients.npz``: ``coefficients(deriv=m, acc=p)`` tables (see below).

Key schema, array cases (the contract read by the Rust tests)
=============================================================
Every key is ``<c>__<field>``, ``<c>`` matching ``[a-z0-9]+(_[a-z0-9]+)*`` (never contains
``__``), unique within its file, e.g. ``c012_2d_ax1_m3_p4_h03_sin``.  Array cases are
enumerated through their ``<c>__kind`` key.  All metadata arrays are int64, all data float64,
all arrays C-contiguous.  "Spatial axes": the axes of ``f`` for kind 0 and 1; the axes of
``f`` after the leading component axis for kinds 2 and 3 (spatial axis k = array axis k + 1).

* ``kind``: 0-d; 0 = derivative along one axis, 1 = Laplacian, 2 = divergence, 3 = curl.
* ``f``: the input, float64.  Kind 0/1: 1-3 dims.  Kind 2: ``(N, n_0, .., n_{N-1})``, N = 2 or 3.
  Kind 3: ``(3, n0, n1, n2)`` or ``(2, n0, n1)``.
* ``out``: findiff's result, float64.  Shape of ``f`` for kinds 0 and 1; ``f.shape[1:]`` for
  kind 2 and for the 2-D curl; ``f.shape`` for the 3-D curl.
* ``exact``, ``scale``: float64, shape of ``out`` (see above).
* ``fd_err``: 0-d float64, findiff's own error on this case: ``max |out - exact| / (eps *
  scale)`` over the points with ``scale > 0`` (where ``scale == 0``, ``out == exact``).  It is
  large where findiff's numeric weights are poor (one-sided stencils of high order, coordinate
  arrays of high order); compare with findiff's ``out`` at ``(K + fd_err) * eps * scale``.
* ``axis``: kind 0 only, 0-d: the axis differentiated.
* ``axes``: kinds 1-3, 1-D: the spatial axes the operator sums over (always all spatial axes,
  ``0..ndim_spatial``, in order).
* ``deriv``: 0-d, the derivative order m (kind 0: 1-4; Laplacian: 2; divergence, curl: 1).
* ``acc``: 0-d, the accuracy order p (even, 2-8), the same for every axis of the case.
* ``periodic``: 1-D, length = number of spatial axes, 1 where that spatial axis is periodic
  (kind 0: only ``axis`` can be 1).  Periodic axes always have a uniform spacing.
* spacing: for every spatial axis k the case differentiates (kind 0: only ``axis``), exactly one of
  ``h<k>`` (0-d float64, uniform spacing > 0) or ``x<k>`` (1-D float64, strictly increasing
  coordinates, length = that axis' length).  Cases with ``x<k>`` use findiff's coordinate-array
  scheme even where the coordinates happen to be exactly uniform (cases named ``*_xunif_*``).

Key schema, coefficient cases (``findiff_coefficients.npz``)
============================================================
Case ``m<m>_p<p>`` for m = 1..6 and p = 2, 4, .., 10 (enumerated through ``<c>__deriv``):

* ``deriv``, ``acc``: 0-d int64.
* for ``s`` in ``center``, ``forward``, ``backward``:
  - ``<s>_offsets``: 1-D int64 (ascending; center ``-ns..ns``, forward ``0..nf-1``,
    backward ``-(nf-1)..0``);
  - ``<s>_weights``: 1-D float64, findiff's numeric weights (``coefficients(m, p)``), as findiff
    computes them (not correctly rounded);
  - ``<s>_exact``: 1-D float64, the exact rational weights correctly rounded;
  - ``<s>_num``, ``<s>_den``: 1-D int64, the exact weights as reduced fractions (den > 0);
  - ``<s>_accuracy``: 0-d int64, the exact accuracy order of the stencil (from the rationals:
    the first nonzero moment); it equals p for every stored table;
  - ``<s>_fd_accuracy``: 0-d int64, the accuracy findiff reports (``coefficients(m, p)``); it
    is too high for some wide one-sided stencils, whose numeric weights are inaccurate.
"""

from __future__ import annotations

import math
import os
import re
import sys
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np

import findiff
import mpmath
from findiff import Curl, Diff, Divergence, Laplacian, coefficients

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "tests" / "fixtures"

FINDIFF_VERSION = "0.16.0"
MP_DPS = 50
EPS = float(np.finfo(np.float64).eps)
MAX_TOTAL_BYTES = 3 * 1024 * 1024

CASE_NAME_RE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
ARRAY_FIELD_RE = re.compile(
    r"^(?:kind|f|out|exact|scale|fd_err|axis|axes|deriv|acc|periodic|h\d+|x\d+)$"
)
COEF_FIELD_RE = re.compile(
    r"^(?:deriv|acc|(?:center|forward|backward)_(?:offsets|weights|exact|num|den|accuracy|fd_accuracy))$"
)

KIND_DIFF, KIND_LAPLACIAN, KIND_DIVERGENCE, KIND_CURL = 0, 1, 2, 3
ACCS = (2, 4, 6, 8)
DERIVS = (1, 2, 3, 4)

mpmath.mp.dps = MP_DPS
MPF = mpmath.mpf


# --------------------------------------------------------------------------------------------
# stencils
# --------------------------------------------------------------------------------------------


def widths(m: int, p: int) -> tuple[int, int, int]:
    """(nc, ns, nf): central width, central half width, one-sided width (findiff 0.16)."""
    nc = 2 * ((m + 1) // 2) - 1 + p
    nf = nc + 1 if m % 2 == 0 else nc
    return nc, nc // 2, nf


def min_len_uniform(m: int, p: int) -> int:
    _, ns, nf = widths(m, p)
    return ns + nf - 1


def min_len_periodic(m: int, p: int) -> int:
    return 2 * widths(m, p)[1] + 1


def min_len_coords(m: int, p: int) -> int:
    return widths(m, p)[2]


def fornberg(z, xs, m, zero, one):
    """Weights of the m-th derivative at z from values at xs (Fornberg 1988/1998), in any field
    (Fraction, mpf or float)."""
    n = len(xs)
    c = [[zero] * (m + 1) for _ in range(n)]
    c[0][0] = one
    c1 = one
    c4 = xs[0] - z
    for i in range(1, n):
        mn = min(i, m)
        c2 = one
        c5 = c4
        c4 = xs[i] - z
        for j in range(i):
            c3 = xs[i] - xs[j]
            c2 = c2 * c3
            if j == i - 1:
                for k in range(mn, 0, -1):
                    c[i][k] = c1 * (k * c[i - 1][k - 1] - c5 * c[i - 1][k]) / c2
                c[i][0] = -c1 * c5 * c[i - 1][0] / c2
            for k in range(mn, 0, -1):
                c[j][k] = (c4 * c[j][k] - k * c[j][k - 1]) / c3
            c[j][0] = c4 * c[j][0] / c3
        c1 = c2
    return [c[j][m] for j in range(n)]


_EXACT_COEF_CACHE: dict = {}


def exact_coefs(m: int, offsets) -> list[Fraction]:
    key = (m, tuple(offsets))
    if key not in _EXACT_COEF_CACHE:
        w = fornberg(Fraction(0), [Fraction(o) for o in offsets], m, Fraction(0), Fraction(1))
        _EXACT_COEF_CACHE[key] = w
    return _EXACT_COEF_CACHE[key]


def uniform_offsets(m: int, p: int) -> dict[str, list[int]]:
    _, ns, nf = widths(m, p)
    return {
        "center": list(range(-ns, ns + 1)),
        "forward": list(range(0, nf)),
        "backward": list(range(-nf + 1, 1)),
    }


def stencil_layout(n: int, m: int, p: int, kind: str) -> list[list[int]]:
    """For each output index i, the absolute input indices of its stencil, in term order."""
    _, ns, nf = widths(m, p)
    rows = []
    if kind == "uniform":
        assert n >= min_len_uniform(m, p)
        offs = uniform_offsets(m, p)
        for i in range(n):
            o = offs["forward"] if i < ns else offs["backward"] if i >= n - ns else offs["center"]
            rows.append([i + k for k in o])
    elif kind == "periodic":
        assert n >= min_len_periodic(m, p)
        for i in range(n):
            rows.append([(i + k) % n for k in range(-ns, ns + 1)])
    elif kind == "coords":
        assert n >= min_len_coords(m, p)
        nside = nf // 2
        for i in range(n):
            if i < nside:
                rows.append(list(range(0, nf)))
            elif i >= max(nside, n - nside):
                rows.append(list(range(n - nf, n)))
            else:
                rows.append(list(range(i - nside, i + nside + 1)))
    else:
        raise ValueError(kind)
    for r in rows:
        assert all(0 <= j < n for j in r) and len(set(r)) == len(r)
    return rows


class AxisScheme:
    """The weighted stencils of one axis: rows[i] = (indices, weights incl. 1/h**m)."""

    def __init__(self, n: int, m: int, p: int, h=None, x=None, periodic=False):
        assert (h is None) != (x is None)
        self.n, self.m, self.p, self.h, self.x, self.periodic = n, m, p, h, x, periodic
        if x is not None:
            assert not periodic
            x = np.asarray(x, dtype=np.float64)
            assert x.shape == (n,) and np.all(np.diff(x) > 0)
            self.layout = stencil_layout(n, m, p, "coords")
        else:
            assert h > 0
            self.layout = stencil_layout(n, m, p, "periodic" if periodic else "uniform")

    def weights(self, num: str):
        """Per-row weights in 'frac' (exact), 'mp' (50 digits) or 'f64' (model) arithmetic."""
        m, n = self.m, self.n
        out = []
        if self.x is None:
            _, ns, _ = widths(m, self.p)
            hf = Fraction(float(self.h))
            for i, idx in enumerate(self.layout):
                if self.periodic or ns <= i < n - ns:
                    offs = list(range(-ns, ns + 1))
                else:
                    offs = [j - i for j in idx]
                w = exact_coefs(m, offs)
                if num == "frac":
                    out.append([wj / hf**m for wj in w])
                elif num == "mp":
                    hm = MPF(float(self.h)) ** m
                    out.append([MPF(wj.numerator) / MPF(wj.denominator) / hm for wj in w])
                elif num == "f64":  # correctly rounded weights; 1/h**m applied after the sum
                    out.append([float(wj) for wj in w])
                elif num == "fdw":  # findiff's own float64 weights, the rest at 50 digits
                    sk = ("center" if self.periodic or ns <= i < n - ns
                          else "forward" if i < ns else "backward")
                    fw = _findiff_uniform_weights(m, self.p)[sk]
                    assert fw[0] == offs
                    hm = MPF(float(self.h)) ** m
                    out.append([MPF(wj) / hm for wj in fw[1]])
                else:
                    raise ValueError(num)
        else:
            x = self.x
            fdw = _findiff_coord_weights(m, self.p, x) if num == "fdw" else None
            for i, idx in enumerate(self.layout):
                if num == "frac":
                    xs = [Fraction(float(x[j])) for j in idx]
                    out.append(fornberg(Fraction(float(x[i])), xs, m, Fraction(0), Fraction(1)))
                elif num == "mp":
                    xs = [MPF(float(x[j])) for j in idx]
                    out.append(fornberg(MPF(float(x[i])), xs, m, MPF(0), MPF(1)))
                elif num == "f64":
                    xs = [float(x[j]) for j in idx]
                    out.append(fornberg(float(x[i]), xs, m, 0.0, 1.0))
                elif num == "fdw":
                    assert fdw[i][0] == idx, (i, fdw[i][0], idx)
                    out.append([MPF(wj) for wj in fdw[i][1]])
                else:
                    raise ValueError(num)
        return out

    def apply(self, f: np.ndarray, axis: int, num: str):
        """Object arrays (value, abs-term sum) for 'frac'/'mp'; float64 arrays for 'f64'."""
        assert f.shape[axis] == self.n
        ws = self.weights(num)
        fm = np.moveaxis(f, axis, -1)
        flat = np.ascontiguousarray(fm).reshape(-1, self.n)
        if num == "f64":
            val = np.empty(flat.shape)
            post = 1.0 / float(self.h) ** self.m if self.x is None else 1.0
            for r, lane in enumerate(flat):
                lane = [float(v) for v in lane]
                for i, (idx, w) in enumerate(zip(self.layout, ws)):
                    s = 0.0
                    for j, wj in zip(idx, w):
                        s += wj * lane[j]
                    val[r, i] = s * post
            return np.moveaxis(val.reshape(fm.shape), -1, axis), None
        conv = Fraction if num == "frac" else MPF  # 'mp' and 'fdw' work at 50 digits
        zero = Fraction(0) if num == "frac" else MPF(0)
        val = np.empty(flat.shape, dtype=object)
        sc = np.empty(flat.shape, dtype=object)
        for r, lane in enumerate(flat):
            lane = [conv(float(v)) for v in lane]
            for i, (idx, w) in enumerate(zip(self.layout, ws)):
                s = zero
                a = zero
                for j, wj in zip(idx, w):
                    t = wj * lane[j]
                    s += t
                    a += abs(t)
                val[r, i] = s
                sc[r, i] = a
        val = np.moveaxis(val.reshape(fm.shape), -1, axis)
        sc = np.moveaxis(sc.reshape(fm.shape), -1, axis)
        return val, sc


def _fd_weight(w) -> float:
    """findiff adds a term unweighted when |1 - w| < 1e-14 (operators.apply_to_array)."""
    w = float(w)
    return 1.0 if abs(1 - w) < 1.0e-14 else w


def _findiff_uniform_weights(m: int, p: int) -> dict:
    """findiff's numeric uniform weights: stencil kind -> (offsets, float weights)."""
    fd = coefficients(m, p)
    return {s: ([int(o) for o in fd[s]["offsets"]], [_fd_weight(w) for w in fd[s]["coefficients"]])
            for s in ("center", "forward", "backward")}


def _findiff_coord_weights(m: int, p: int, x: np.ndarray) -> list:
    """findiff's numeric weights on coordinates, per point: (absolute indices, weights)."""
    from findiff.coefs import calc_coefs_non_uni_batched

    sch = calc_coefs_non_uni_batched(m, p, x)
    n, nb = len(x), sch["num_bndry"]
    rows = [None] * n
    for r, (w, o) in enumerate(zip(sch["forward"]["coefficients"], sch["forward"]["offsets"])):
        rows[r] = ([r + int(k) for k in o], [float(v) for v in w])
    bstart = n - len(sch["backward"]["coefficients"])
    for r, (w, o) in enumerate(zip(sch["backward"]["coefficients"], sch["backward"]["offsets"])):
        i = bstart + r
        rows[i] = ([i + int(k) for k in o], [float(v) for v in w])
    co = [int(k) for k in sch["center"]["offsets"]]
    for r, w in enumerate(sch["center"]["coefficients"]):
        i = nb + r
        assert rows[i] is None
        rows[i] = ([i + k for k in co], [float(v) for v in w])
    assert all(r is not None for r in rows)
    return rows


def to_f64(v) -> float:
    """Round an exact Fraction or an mpf to the nearest float64 (ties to even)."""
    if isinstance(v, Fraction):
        return float(v)  # int/int true division: correctly rounded
    sign, man, exp, _ = v._mpf_  # value = (-1)**sign * man * 2**exp
    assert v == v and abs(v) != mpmath.inf
    fr = Fraction(int(man)) * (Fraction(2) ** int(exp))
    return float(-fr if sign else fr)


def round_obj(a: np.ndarray) -> np.ndarray:
    out = np.empty(a.shape, dtype=np.float64)
    for idx in np.ndindex(a.shape):
        out[idx] = to_f64(a[idx])
    return out


# --------------------------------------------------------------------------------------------
# the operator described by a case's metadata
# --------------------------------------------------------------------------------------------


class CaseSpec:
    """Everything needed to evaluate a case, from metadata only."""

    def __init__(self, kind, f_shape, *, axis=None, deriv, acc, periodic, spacing):
        # spacing: dict spatial axis -> ("h", float) | ("x", ndarray)
        self.kind, self.f_shape, self.axis = kind, tuple(f_shape), axis
        self.deriv, self.acc = deriv, acc
        self.periodic = list(periodic)
        self.spacing = spacing
        if kind in (KIND_DIFF, KIND_LAPLACIAN):
            self.sshape = self.f_shape
        else:
            self.sshape = self.f_shape[1:]
        self.nsp = len(self.sshape)
        assert len(self.periodic) == self.nsp
        if kind == KIND_DIFF:
            assert set(spacing) == {axis}
            assert all(p == 0 for k, p in enumerate(self.periodic) if k != axis)
        else:
            assert set(spacing) == set(range(self.nsp))
            assert deriv == (2 if kind == KIND_LAPLACIAN else 1)
        if kind == KIND_DIVERGENCE:
            assert self.f_shape[0] == self.nsp
        if kind == KIND_CURL:
            assert self.f_shape[0] == self.nsp and self.nsp in (2, 3)
        for k, (t, v) in spacing.items():
            if t == "x":
                assert not self.periodic[k]
                assert v.shape == (self.sshape[k],)

    @property
    def out_shape(self):
        if self.kind == KIND_DIFF or self.kind == KIND_LAPLACIAN:
            return self.f_shape
        if self.kind == KIND_DIVERGENCE or (self.kind == KIND_CURL and self.nsp == 2):
            return self.sshape
        return self.f_shape

    def axis_scheme(self, k: int, m: int) -> AxisScheme:
        t, v = self.spacing[k]
        n = self.sshape[k]
        if t == "h":
            return AxisScheme(n, m, self.acc, h=v, periodic=bool(self.periodic[k]))
        return AxisScheme(n, m, self.acc, x=v)

    def terms(self):
        """The operator as a list of (sign, component or None, spatial axis, m) in findiff's
        evaluation order; per output component for the 3-D curl."""
        if self.kind == KIND_DIFF:
            return [[(1, None, self.axis, self.deriv)]]
        if self.kind == KIND_LAPLACIAN:
            return [[(1, None, k, 2) for k in range(self.nsp)]]
        if self.kind == KIND_DIVERGENCE:
            return [[(1, c, c, 1) for c in range(self.nsp)]]
        if self.nsp == 2:
            return [[(1, 1, 0, 1), (-1, 0, 1, 1)]]
        return [
            [(1, 2, 1, 1), (-1, 1, 2, 1)],
            [(1, 0, 2, 1), (-1, 2, 0, 1)],
            [(1, 1, 0, 1), (-1, 0, 1, 1)],
        ]

    # -- findiff ---------------------------------------------------------------------------
    def _grid_arg(self, k):
        t, v = self.spacing[k]
        return float(v) if t == "h" else v

    def findiff(self, f: np.ndarray) -> np.ndarray:
        p = self.acc
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if self.kind == KIND_DIFF:
                k = self.axis
                d = Diff(k, self._grid_arg(k), periodic=bool(self.periodic[k]), acc=p)
                return (d ** self.deriv)(f)
            any_x = any(t == "x" for t, _ in self.spacing.values())
            any_per = any(self.periodic)
            grids = [self._grid_arg(k) for k in range(self.nsp)]
            if self.kind == KIND_LAPLACIAN:
                if any_per:
                    # findiff's Laplacian has no periodic option: the same arithmetic by hand
                    res = np.zeros_like(f)
                    for k in range(self.nsp):
                        d = Diff(k, grids[k], periodic=bool(self.periodic[k]), acc=p) ** 2
                        res = res + d(f)
                    return res
                if any_x:
                    return Laplacian(coords=grids, acc=p)(f)
                return Laplacian(h=grids, acc=p)(f)
            cls = Divergence if self.kind == KIND_DIVERGENCE else Curl
            if any_per:
                assert all(self.periodic) and not any_x
                return cls(coords=grids, periodic=True, acc=p)(f)
            if any_x:
                return cls(coords=grids, acc=p)(f)
            return cls(h=grids, acc=p)(f)

    # -- exact / model ---------------------------------------------------------------------
    def evaluate(self, f: np.ndarray, num: str, rounded: bool = True):
        """'frac'/'mp': (value, scale) rounded to float64 (or the unrounded object arrays when
        rounded=False); 'f64': (float64 model, None)."""
        comps = []
        for comp_terms in self.terms():
            val = None
            sc = None
            for sign, c, k, m in comp_terms:
                g = f if c is None else f[c]
                v, s = self.axis_scheme(k, m).apply(g, k, num)
                v = v if sign > 0 else -v
                val = v if val is None else val + v
                if s is not None:
                    sc = s if sc is None else sc + s
            comps.append((val, sc))
        if num == "f64":
            vals = [v for v, _ in comps]
            out = vals[0] if len(vals) == 1 else np.stack(vals)
            return out, None
        if rounded:
            comps = [(round_obj(v), round_obj(s)) for v, s in comps]
        if len(comps) == 1:
            return comps[0]
        return np.stack([v for v, _ in comps]), np.stack([s for _, s in comps])

    def nterms(self) -> int:
        """Largest number of terms W in one output point (for the tolerance of the tests)."""
        total = []
        for comp_terms in self.terms():
            total.append(sum(max(len(r) for r in self.axis_scheme(k, m).layout)
                             for _, _, k, m in comp_terms))
        return max(total)


def error_ratio(out, exact, scale) -> float:
    """max |out - exact| / (eps * scale); points with scale 0 must match exactly."""
    diff = np.abs(out - exact)
    zero = scale == 0
    assert np.all(diff[zero] == 0), "nonzero difference where scale == 0"
    if np.all(zero):
        return 0.0
    return float(np.max(diff[~zero] / (EPS * scale[~zero])))


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------


def uniform_coords(n, h, x0=-0.7):
    return x0 + h * np.arange(n, dtype=np.float64)


def jittered_coords(rng, n, h, strength, x0=None):
    x0 = float(rng.uniform(-2.0, 2.0)) if x0 is None else x0
    jit = rng.uniform(-strength, strength, n)
    x = x0 + h * (np.arange(n) + jit)
    assert np.all(np.diff(x) > 0)
    return np.ascontiguousarray(x, dtype=np.float64)


def graded_coords(n, x0=0.2, x1=3.0, power=1.7):
    t = np.linspace(0.0, 1.0, n)
    x = x0 + (x1 - x0) * t**power
    assert np.all(np.diff(x) > 0)
    return np.ascontiguousarray(x, dtype=np.float64)


def func_1d(name: str, x: np.ndarray, rng, *, periodic_len=None, deg=4) -> np.ndarray:
    """A smooth function of the coordinates, normalised to t in [0, 1] (or [0, 1) periodic)."""
    if periodic_len is not None:
        t = (x - x[0]) / periodic_len
        if name == "sin":
            return np.sin(2 * np.pi * t + 0.4)
        if name == "exp":
            return np.exp(np.sin(2 * np.pi * t))
        if name == "gauss":
            return np.exp(-4.0 * (1.0 - np.cos(2 * np.pi * (t - 0.37))))
        if name == "poly":  # a trigonometric polynomial
            return 0.5 + np.cos(2 * np.pi * t) - 0.3 * np.sin(6 * np.pi * t)
        raise ValueError(name)
    span = x[-1] - x[0]
    t = (x - x[0]) / span
    if name == "sin":
        return np.sin(2 * np.pi * 1.3 * t + 0.4)
    if name == "exp":
        return np.exp(1.5 * t - 0.3)
    if name == "gauss":
        return np.exp(-(((t - 0.45) / 0.2) ** 2))
    if name == "poly":  # degree deg in the raw coordinate (exactness tests)
        c = rng.uniform(-1.0, 1.0, deg + 1)
        return np.polyval(c, x)
    raise ValueError(name)


def make_input(rng, fname, axes_coords, *, periodic_lens=None, deg=4):
    """f on the tensor grid of axes_coords: random, or a product of 1-D functions."""
    shape = tuple(len(c) for c in axes_coords)
    if fname == "rand":
        scale = 10.0 ** int(rng.integers(-2, 3))
        return rng.standard_normal(shape) * scale
    f = np.ones(shape)
    for k, c in enumerate(axes_coords):
        pl = None if periodic_lens is None else periodic_lens[k]
        g = func_1d(fname, c, rng, periodic_len=pl, deg=deg)
        sh = [1] * len(shape)
        sh[k] = len(c)
        f = f * g.reshape(sh)
    return np.ascontiguousarray(f, dtype=np.float64)


def fmt_h(h: float) -> str:
    s = repr(float(h)).replace("-", "m").replace(".", "").replace("+", "")
    return "h" + s.rstrip("0") if s.rstrip("0") else "h0"


# --------------------------------------------------------------------------------------------
# fixture files
# --------------------------------------------------------------------------------------------


class Fixture:
    def __init__(self, filename: str, seed: int, group: str):
        self.filename = filename
        self.rng = np.random.default_rng(seed)
        self.group = group
        self.arrays: dict[str, np.ndarray] = {}
        self.cases: list[str] = []
        self.stats: list[tuple[str, str, float, float, int]] = []  # (case, sub, fd, model, W)

    def _case_name(self, desc: str) -> str:
        name = f"c{len(self.cases):03d}_{desc}"
        assert CASE_NAME_RE.match(name), f"bad case name {name!r}"
        assert name not in self.cases
        self.cases.append(name)
        return name

    def _put(self, case: str, field: str, arr):
        key = f"{case}__{field}"
        assert key not in self.arrays, key
        arr = np.array(arr, order="C")  # (np.ascontiguousarray would make 0-d arrays 1-D)
        assert arr.dtype in (np.float64, np.int64), (key, arr.dtype)
        self.arrays[key] = arr

    def add(self, desc: str, spec: CaseSpec, f: np.ndarray, sub: str = ""):
        f = np.ascontiguousarray(f, dtype=np.float64)
        assert f.shape == spec.f_shape
        assert np.all(np.isfinite(f))
        out = spec.findiff(f)
        assert out.dtype == np.float64 and out.shape == spec.out_shape, (desc, out.shape)
        exact, scale = spec.evaluate(f, "frac")
        model, _ = spec.evaluate(f, "f64")
        assert exact.shape == out.shape and scale.shape == out.shape
        case = self._case_name(desc)
        self._put(case, "kind", np.array(spec.kind, dtype=np.int64))
        self._put(case, "f", f)
        self._put(case, "out", out)
        self._put(case, "exact", exact)
        self._put(case, "scale", scale)
        if spec.kind == KIND_DIFF:
            self._put(case, "axis", np.array(spec.axis, dtype=np.int64))
        else:
            self._put(case, "axes", np.arange(spec.nsp, dtype=np.int64))
        self._put(case, "deriv", np.array(spec.deriv, dtype=np.int64))
        self._put(case, "acc", np.array(spec.acc, dtype=np.int64))
        self._put(case, "periodic", np.array(spec.periodic, dtype=np.int64))
        for k, (t, v) in sorted(spec.spacing.items()):
            if t == "h":
                self._put(case, f"h{k}", np.array(float(v), dtype=np.float64))
            else:
                self._put(case, f"x{k}", np.asarray(v, dtype=np.float64))
        fd_err = error_ratio(out, exact, scale)
        self._put(case, "fd_err", np.array(fd_err, dtype=np.float64))
        self.stats.append((case, sub or self.group, fd_err,
                           error_ratio(model, exact, scale), spec.nterms()))
        return case

    def save(self) -> Path:
        path = OUT_DIR / self.filename
        tmp = path.with_name(path.name + ".tmp.npz")
        with open(tmp, "wb") as fh:
            np.savez(fh, **self.arrays)
        os.replace(tmp, path)
        return path


# --------------------------------------------------------------------------------------------
# case tables
# --------------------------------------------------------------------------------------------

FUNCS = ("sin", "exp", "gauss", "poly", "rand")


def diff_spec(f_shape, axis, m, p, *, h=None, x=None, periodic=False):
    per = [0] * len(f_shape)
    per[axis] = int(periodic)
    sp = {axis: ("h", float(h))} if x is None else {axis: ("x", x)}
    return CaseSpec(KIND_DIFF, f_shape, axis=axis, deriv=m, acc=p, periodic=per, spacing=sp)


def axis_len(rng, lo, hi, need):
    return max(int(rng.integers(lo, hi + 1)), need)


def other_coords(shape, axis, h_other=0.5):
    return [uniform_coords(n, h_other, x0=0.1 * k) for k, n in enumerate(shape)]


def gen_uniform(fx: Fixture):
    rng = fx.rng
    hs_cycle = [1.0, 0.3, 0.3, 1.0, 0.05, 2.5, 0.3, 1.0]
    ci = 0
    for m in DERIVS:
        for p in ACCS:
            need = min_len_uniform(m, p)
            # 1-D: h = 1.0 smooth, h = 0.3 other smooth / random, and the shortest legal axis
            for h, fname in ((1.0, FUNCS[ci % 4]), (0.3, FUNCS[(ci + 1) % 5])):
                n = axis_len(rng, 8, 40, need)
                c = uniform_coords(n, h)
                f = make_input(rng, fname, [c], deg=p + m - 1)
                fx.add(f"1d_m{m}_p{p}_{fmt_h(h)}_{fname}", diff_spec(f.shape, 0, m, p, h=h), f,
                       "uniform 1-D")
            fname = FUNCS[(ci + 2) % 5]
            c = uniform_coords(need, 0.3)
            f = make_input(rng, fname, [c], deg=p + m - 1)
            fx.add(f"1d_short_n{need}_m{m}_p{p}_{fname}", diff_spec(f.shape, 0, m, p, h=0.3), f,
                   "uniform short")
            # 2-D along each axis
            for axis in (0, 1):
                h = hs_cycle[ci % len(hs_cycle)]
                ci += 1
                shape = [axis_len(rng, 8, 12, 0), axis_len(rng, 9, 15, 0)]
                shape[axis] = max(shape[axis], need)
                shape[1 - axis] = min(shape[1 - axis], 7)
                cs = other_coords(shape, axis)
                cs[axis] = uniform_coords(shape[axis], h)
                fname = FUNCS[ci % 5]
                f = make_input(rng, fname, cs, deg=p + m - 1)
                fx.add(f"2d_ax{axis}_m{m}_p{p}_{fmt_h(h)}_{fname}",
                       diff_spec(f.shape, axis, m, p, h=h), f, "uniform 2-D")
    # 3-D along each axis, a few (m, p)
    for m, p in ((1, 2), (2, 4), (3, 2), (4, 6), (1, 8)):
        need = min_len_uniform(m, p)
        for axis in (0, 1, 2):
            shape = [6, 7, 8]
            shape[axis] = max(shape[axis], need)
            if shape[axis] > 8:
                shape = [min(s, 5) if k != axis else s for k, s in enumerate(shape)]
            h = (0.3, 1.0, 0.7)[axis]
            cs = other_coords(shape, axis)
            cs[axis] = uniform_coords(shape[axis], h)
            fname = FUNCS[(m + p + axis) % 5]
            f = make_input(rng, fname, cs, deg=p + m - 1)
            fx.add(f"3d_ax{axis}_m{m}_p{p}_{fmt_h(h)}_{fname}",
                   diff_spec(f.shape, axis, m, p, h=h), f, "uniform 3-D")


def gen_nonuniform(fx: Fixture):
    rng = fx.rng
    ci = 0
    for m in DERIVS:
        for p in ACCS:
            need = min_len_coords(m, p)
            # 1-D: jittered smooth, jittered random, graded smooth, shortest legal axis
            n = axis_len(rng, 10, 40, need + 4)
            x = jittered_coords(rng, n, 0.3, 0.3)
            fname = FUNCS[ci % 4]
            f = make_input(rng, fname, [x], deg=p + m - 1)
            fx.add(f"1d_jit_m{m}_p{p}_{fname}", diff_spec(f.shape, 0, m, p, x=x), f,
                   "coords 1-D")
            n = axis_len(rng, 10, 40, need + 4)
            x = jittered_coords(rng, n, 1.0, 0.4)
            f = make_input(rng, "rand", [x])
            fx.add(f"1d_jit_m{m}_p{p}_rand", diff_spec(f.shape, 0, m, p, x=x), f, "coords 1-D")
            n = axis_len(rng, 10, 40, need + 4)
            x = graded_coords(n)
            fname = FUNCS[(ci + 1) % 4]
            f = make_input(rng, fname, [x], deg=p + m - 1)
            fx.add(f"1d_graded_m{m}_p{p}_{fname}", diff_spec(f.shape, 0, m, p, x=x), f,
                   "coords 1-D")
            x = jittered_coords(rng, need, 0.5, 0.25)
            fname = FUNCS[(ci + 2) % 5]
            f = make_input(rng, fname, [x], deg=p + m - 1)
            fx.add(f"1d_short_n{need}_m{m}_p{p}_{fname}", diff_spec(f.shape, 0, m, p, x=x), f,
                   "coords short")
            # 2-D along each axis
            for axis in (0, 1):
                ci += 1
                shape = [axis_len(rng, 8, 12, 0), axis_len(rng, 9, 15, 0)]
                shape[axis] = max(shape[axis], need + 3)
                shape[1 - axis] = min(shape[1 - axis], 7)
                cs = other_coords(shape, axis)
                x = jittered_coords(rng, shape[axis], 0.2, 0.3)
                cs[axis] = x
                fname = FUNCS[ci % 5]
                f = make_input(rng, fname, cs, deg=p + m - 1)
                fx.add(f"2d_ax{axis}_jit_m{m}_p{p}_{fname}",
                       diff_spec(f.shape, axis, m, p, x=x), f, "coords 2-D")
    # exactly uniform coordinates through the coordinate-array scheme
    for m, p in ((1, 2), (2, 2), (1, 4), (3, 4), (4, 6)):
        n = max(14, min_len_coords(m, p) + 3)
        x = uniform_coords(n, 0.25)
        f = make_input(rng, "sin", [x])
        fx.add(f"1d_xunif_m{m}_p{p}_sin", diff_spec(f.shape, 0, m, p, x=x), f, "coords xunif")
    # 3-D along each axis
    for m, p in ((1, 2), (2, 2), (3, 4), (1, 6)):
        need = min_len_coords(m, p)
        for axis in (0, 1, 2):
            shape = [6, 7, 8]
            shape[axis] = max(shape[axis], need + 1)
            if shape[axis] > 8:
                shape = [min(s, 5) if k != axis else s for k, s in enumerate(shape)]
            cs = other_coords(shape, axis)
            x = jittered_coords(rng, shape[axis], 0.4, 0.3)
            cs[axis] = x
            fname = FUNCS[(m + p + axis) % 5]
            f = make_input(rng, fname, cs, deg=p + m - 1)
            fx.add(f"3d_ax{axis}_jit_m{m}_p{p}_{fname}", diff_spec(f.shape, axis, m, p, x=x), f,
                   "coords 3-D")


def gen_periodic(fx: Fixture):
    rng = fx.rng
    ci = 0
    for m in DERIVS:
        for p in ACCS:
            need = min_len_periodic(m, p)
            for h_len, fname in ((None, FUNCS[ci % 4]), (0.3, "rand")):
                n = axis_len(rng, 8, 40, need)
                h = 2 * np.pi / n if h_len is None else h_len
                c = uniform_coords(n, h, x0=0.0)
                f = make_input(rng, fname, [c], periodic_lens=[n * h])
                fx.add(f"1d_per_m{m}_p{p}_n{n}_{fname}",
                       diff_spec(f.shape, 0, m, p, h=h, periodic=True), f, "periodic 1-D")
            c = uniform_coords(need, 1.0, x0=0.0)
            fname = FUNCS[(ci + 1) % 4]
            f = make_input(rng, fname, [c], periodic_lens=[float(need)])
            fx.add(f"1d_per_short_n{need}_m{m}_p{p}_{fname}",
                   diff_spec(f.shape, 0, m, p, h=1.0, periodic=True), f, "periodic short")
            for axis in (0, 1):
                ci += 1
                shape = [axis_len(rng, 8, 12, 0), axis_len(rng, 9, 15, 0)]
                shape[axis] = max(shape[axis], need)
                shape[1 - axis] = min(shape[1 - axis], 7)
                h = (0.3, 1.0)[(ci // 2) % 2]
                cs = other_coords(shape, axis)
                cs[axis] = uniform_coords(shape[axis], h, x0=0.0)
                pl = [None] * 2
                pl[axis] = shape[axis] * h
                fname = FUNCS[ci % 4]
                if fname == "rand" or ci % 3 == 0:
                    f = make_input(rng, "rand", cs)
                    fname = "rand"
                else:
                    g = func_1d(fname, cs[axis], rng, periodic_len=pl[axis])
                    o = func_1d("exp", cs[1 - axis], rng)
                    f = np.outer(g, o) if axis == 0 else np.outer(o, g)
                fx.add(f"2d_ax{axis}_per_m{m}_p{p}_{fmt_h(h)}_{fname}",
                       diff_spec(f.shape, axis, m, p, h=h, periodic=True), f, "periodic 2-D")
    for m, p in ((1, 2), (2, 4), (3, 2), (4, 2)):
        need = min_len_periodic(m, p)
        for axis in (0, 1, 2):
            shape = [6, 7, 8]
            shape[axis] = max(shape[axis], need)
            f = fx.rng.standard_normal(shape)
            fx.add(f"3d_ax{axis}_per_m{m}_p{p}_rand",
                   diff_spec(f.shape, axis, m, p, h=0.7, periodic=True), f, "periodic 3-D")


def op_spec(kind, f_shape, acc, grids, periodic=None):
    """grids: per spatial axis a float (h) or a 1-D array (coordinates)."""
    sp = {}
    for k, g in enumerate(grids):
        sp[k] = ("h", float(g)) if np.ndim(g) == 0 else ("x", np.asarray(g, dtype=np.float64))
    nsp = len(grids)
    per = [0] * nsp if periodic is None else [int(b) for b in periodic]
    deriv = 2 if kind == KIND_LAPLACIAN else 1
    return CaseSpec(kind, f_shape, deriv=deriv, acc=acc, periodic=per, spacing=sp)


def grid_coords(g, n, periodic=False):
    if np.ndim(g) == 0:
        return uniform_coords(n, float(g), x0=0.0 if periodic else -0.7)
    return np.asarray(g)


def gen_operators(fx: Fixture):
    rng = fx.rng

    def lap_case(desc, shape, acc, grids, fname, periodic=None, sub="laplacian"):
        cs = [grid_coords(g, n, bool(periodic and periodic[k]))
              for k, (g, n) in enumerate(zip(grids, shape))]
        pls = None
        if periodic is not None:
            pls = [n * float(g) if per else None
                   for g, n, per in zip(grids, shape, periodic)]
        if fname == "rand":
            f = make_input(rng, "rand", cs)
        elif pls is not None:
            f = np.ones(shape)
            for k, c in enumerate(cs):
                g = func_1d(fname if pls[k] else "exp", c, rng, periodic_len=pls[k])
                sh = [1] * len(shape)
                sh[k] = len(c)
                f = f * g.reshape(sh)
        else:
            f = make_input(rng, fname, cs, deg=acc + 1)
        fx.add(desc, op_spec(KIND_LAPLACIAN, f.shape, acc, grids, periodic), f, sub)

    # Laplacian, uniform: same h, different h per axis, 2-D and 3-D
    for acc in ACCS:
        need = min_len_uniform(2, acc)
        n0, n1 = max(10, need), max(12, need + 1)
        lap_case(f"lap_2d_p{acc}_h1_sin", (n0, n1), acc, [1.0, 1.0], "sin")
        lap_case(f"lap_2d_p{acc}_h03_h07_gauss", (n0, n1), acc, [0.3, 0.7], "gauss")
        lap_case(f"lap_2d_p{acc}_h005_h2_rand", (n0, n1), acc, [0.05, 2.0], "rand")
    for acc in (2, 4):
        need = min_len_uniform(2, acc)
        shape = (max(5, need), max(6, need), max(7, need))
        lap_case(f"lap_3d_p{acc}_h03_exp", shape, acc, [0.3, 0.3, 0.3], "exp")
        lap_case(f"lap_3d_p{acc}_hmix_rand", shape, acc, [0.3, 1.0, 0.7], "rand")
        lap_case(f"lap_1d_p{acc}_h03_poly", (12,), acc, [0.3], "poly")
    # Laplacian on coordinate arrays (all axes, and mixed with a uniform axis)
    for acc in (2, 4, 6):
        need = min_len_coords(2, acc)
        n0, n1 = max(10, need + 2), max(11, need + 3)
        x0 = jittered_coords(rng, n0, 0.3, 0.3)
        x1 = jittered_coords(rng, n1, 0.5, 0.25)
        lap_case(f"lap_2d_p{acc}_xx_sin", (n0, n1), acc, [x0, x1], "sin", sub="laplacian coords")
        lap_case(f"lap_2d_p{acc}_xh_rand", (n0, n1), acc, [x0, 0.4], "rand",
                 sub="laplacian coords")
        lap_case(f"lap_2d_p{acc}_hx_gauss", (n0, n1), acc, [0.3, x1], "gauss",
                 sub="laplacian coords")
    for acc in (2, 4):
        need = min_len_uniform(2, acc)  # >= min_len_coords; axis 1 of the mixed case is uniform
        shape = (max(5, need), max(6, need), max(7, need))
        xs = [jittered_coords(rng, n, 0.3, 0.3) for n in shape]
        lap_case(f"lap_3d_p{acc}_xxx_exp", shape, acc, xs, "exp", sub="laplacian coords")
        lap_case(f"lap_3d_p{acc}_xhx_rand", shape, acc, [xs[0], 0.5, xs[2]], "rand",
                 sub="laplacian coords")
    # periodic Laplacian (composed from periodic Diff**2, see the docstring)
    for acc in (2, 4, 6):
        need = min_len_periodic(2, acc)
        n0, n1 = max(10, need), max(12, need)
        lap_case(f"lap_2d_per_p{acc}_sin", (n0, n1), acc, [2 * np.pi / n0, 0.3], "sin",
                 periodic=[1, 1], sub="laplacian periodic")
        lap_case(f"lap_2d_per0_p{acc}_rand", (n0, n1), acc, [0.3, 0.7], "rand",
                 periodic=[1, 0], sub="laplacian periodic")
    lap_case("lap_3d_per_p2_rand", (5, 6, 7), 2, [0.3, 1.0, 0.7], "rand", periodic=[1, 1, 1],
             sub="laplacian periodic")

    # Divergence
    def vec_case(kind, desc, sshape, acc, grids, fname, periodic=None, sub=""):
        nsp = len(sshape)
        ncomp = nsp
        cs = [grid_coords(g, n, bool(periodic)) for g, n in zip(grids, sshape)]
        comps = []
        for c in range(ncomp):
            if fname == "rand":
                comps.append(make_input(rng, "rand", cs))
            elif periodic:
                g = np.ones(sshape)
                for k, ck in enumerate(cs):
                    t = (ck - ck[0]) / (len(ck) * float(grids[k]))
                    sh = [1] * nsp
                    sh[k] = len(ck)
                    g = g * np.sin(2 * np.pi * (t + 0.1 * (c + 1) * (k + 1))).reshape(sh)
                comps.append(g + 0.5)
            else:
                comps.append(make_input(rng, FUNCS[(c + len(fname)) % 4], cs, deg=acc + 1))
        f = np.ascontiguousarray(np.stack(comps))
        per = [1] * nsp if periodic else None
        fx.add(desc, op_spec(kind, f.shape, acc, grids, per), f, sub)

    for acc in ACCS:
        need = min_len_uniform(1, acc)
        sh2 = (max(9, need), max(11, need + 1))
        vec_case(KIND_DIVERGENCE, f"div_2d_p{acc}_h03_h1_smooth", sh2, acc, [0.3, 1.0], "smooth",
                 sub="divergence")
        vec_case(KIND_DIVERGENCE, f"div_2d_p{acc}_h07_h07_rand", sh2, acc, [0.7, 0.7], "rand",
                 sub="divergence")
    for acc in (2, 4):
        need = min_len_uniform(1, acc)
        sh3 = (max(5, need), max(6, need), max(7, need))
        vec_case(KIND_DIVERGENCE, f"div_3d_p{acc}_hmix_smooth", sh3, acc, [0.3, 1.0, 0.7],
                 "smooth", sub="divergence")
        vec_case(KIND_DIVERGENCE, f"div_3d_p{acc}_h05_rand", sh3, acc, [0.5, 0.5, 0.5], "rand",
                 sub="divergence")
    for acc in (2, 4, 6):
        need = min_len_coords(1, acc)
        sh2 = (max(9, need + 2), max(11, need + 3))
        xs = [jittered_coords(rng, n, 0.3, 0.3) for n in sh2]
        vec_case(KIND_DIVERGENCE, f"div_2d_p{acc}_xx_smooth", sh2, acc, xs, "smooth",
                 sub="divergence coords")
        vec_case(KIND_DIVERGENCE, f"div_2d_p{acc}_xh_rand", sh2, acc, [xs[0], 0.4], "rand",
                 sub="divergence coords")
    sh3 = (5, 6, 7)
    xs = [jittered_coords(rng, n, 0.3, 0.3) for n in sh3]
    vec_case(KIND_DIVERGENCE, "div_3d_p2_xxx_rand", sh3, 2, xs, "rand", sub="divergence coords")
    vec_case(KIND_DIVERGENCE, "div_2d_per_p4_smooth", (12, 14), 4, [0.3, 0.5], "smooth",
             periodic=True, sub="divergence periodic")
    vec_case(KIND_DIVERGENCE, "div_3d_per_p2_rand", (5, 6, 7), 2, [0.3, 1.0, 0.7], "rand",
             periodic=True, sub="divergence periodic")

    # Curl (3-D vector curl and 2-D scalar curl)
    for acc in (2, 4, 6):
        need = min_len_uniform(1, acc)
        sh3 = (max(5, need), max(6, need), max(7, need))
        if acc == 6:
            sh3 = (need, need, need)
        vec_case(KIND_CURL, f"curl_3d_p{acc}_hmix_smooth", sh3, acc, [0.3, 1.0, 0.7], "smooth",
                 sub="curl")
        vec_case(KIND_CURL, f"curl_3d_p{acc}_h05_rand", sh3, acc, [0.5, 0.5, 0.5], "rand",
                 sub="curl")
    for acc in (2, 4, 8):
        need = min_len_uniform(1, acc)
        sh2 = (max(9, need), max(11, need + 1))
        vec_case(KIND_CURL, f"curl_2d_p{acc}_h03_h07_smooth", sh2, acc, [0.3, 0.7], "smooth",
                 sub="curl")
        vec_case(KIND_CURL, f"curl_2d_p{acc}_h1_rand", sh2, acc, [1.0, 1.0], "rand", sub="curl")
    xs = [jittered_coords(rng, n, 0.3, 0.3) for n in (5, 6, 7)]
    vec_case(KIND_CURL, "curl_3d_p2_xxx_smooth", (5, 6, 7), 2, xs, "smooth", sub="curl coords")
    vec_case(KIND_CURL, "curl_3d_p2_xhx_rand", (5, 6, 7), 2, [xs[0], 0.5, xs[2]], "rand",
             sub="curl coords")
    xs2 = [jittered_coords(rng, n, 0.3, 0.3) for n in (10, 12)]
    vec_case(KIND_CURL, "curl_2d_p4_xx_rand", (10, 12), 4, xs2, "rand", sub="curl coords")
    vec_case(KIND_CURL, "curl_3d_per_p2_rand", (5, 6, 7), 2, [0.3, 1.0, 0.7], "rand",
             periodic=True, sub="curl periodic")
    vec_case(KIND_CURL, "curl_2d_per_p4_smooth", (10, 12), 4, [0.3, 0.5], "smooth",
             periodic=True, sub="curl periodic")


# --------------------------------------------------------------------------------------------
# coefficients
# --------------------------------------------------------------------------------------------

COEF_DERIVS = range(1, 7)
COEF_ACCS = (2, 4, 6, 8, 10)


def stencil_order(m: int, offsets, w) -> int:
    """The exact accuracy order of a stencil with exact weights."""
    k = m + 1
    while True:
        moment = sum(wj * Fraction(o) ** k for o, wj in zip(offsets, w))
        if moment != 0:
            return k - m
        k += 1


class CoefFixture:
    def __init__(self, filename: str):
        self.filename = filename
        self.arrays: dict[str, np.ndarray] = {}
        self.cases: list[str] = []
        self.max_rel = 0.0
        self.max_rel_at = ""
        self.max_rel_small = 0.0
        self.accuracy_notes: list[str] = []

    def generate(self):
        for m in COEF_DERIVS:
            for p in COEF_ACCS:
                case = f"m{m}_p{p}"
                assert CASE_NAME_RE.match(case)
                self.cases.append(case)
                put = lambda field, a: self.arrays.__setitem__(f"{case}__{field}", a)  # noqa
                put("deriv", np.array(m, dtype=np.int64))
                put("acc", np.array(p, dtype=np.int64))
                fd = coefficients(deriv=m, acc=p)
                offs = uniform_offsets(m, p)
                for s in ("center", "forward", "backward"):
                    o = [int(v) for v in np.asarray(fd[s]["offsets"])]
                    assert o == offs[s], (case, s, o, offs[s])
                    w = exact_coefs(m, o)
                    assert sum(w) == 0
                    num = np.array([v.numerator for v in w], dtype=object)
                    den = np.array([v.denominator for v in w], dtype=object)
                    assert all(abs(int(v)) < 2**62 for v in num) and all(
                        0 < int(v) < 2**62 for v in den), (case, s)
                    wf = np.array(fd[s]["coefficients"], dtype=np.float64)
                    ex = np.array([float(v) for v in w], dtype=np.float64)
                    rel = float(np.max(np.abs(wf - ex) / np.max(np.abs(ex))))
                    if rel > self.max_rel:
                        self.max_rel, self.max_rel_at = rel, f"{case} {s}"
                    if m <= 4 and p <= 8:
                        self.max_rel_small = max(self.max_rel_small, rel)
                    order = stencil_order(m, o, w)
                    fd_acc = int(fd[s]["accuracy"])
                    if fd_acc != order:
                        self.accuracy_notes.append(f"{case} {s}: findiff says {fd_acc}, "
                                                   f"exact order {order}")
                    assert order == p, (case, s, order)
                    put(f"{s}_offsets", np.array(o, dtype=np.int64))
                    put(f"{s}_weights", wf)
                    put(f"{s}_exact", ex)
                    put(f"{s}_num", num.astype(np.int64))
                    put(f"{s}_den", den.astype(np.int64))
                    put(f"{s}_accuracy", np.array(order, dtype=np.int64))
                    put(f"{s}_fd_accuracy", np.array(fd_acc, dtype=np.int64))
        # findiff's own symbolic tables agree with the Fraction-Fornberg weights
        for m in range(1, 5):
            for p in ACCS:
                sym = coefficients(deriv=m, acc=p, symbolic=True)
                for s in ("center", "forward", "backward"):
                    w = exact_coefs(m, [int(v) for v in sym[s]["offsets"]])
                    got = [Fraction(int(c.p), int(c.q)) for c in sym[s]["coefficients"]]
                    assert got == w, (m, p, s, got, w)

    def save(self) -> Path:
        path = OUT_DIR / self.filename
        tmp = path.with_name(path.name + ".tmp.npz")
        with open(tmp, "wb") as fh:
            np.savez(fh, **self.arrays)
        os.replace(tmp, path)
        return path


def verify_coefficients(path: Path) -> int:
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    cases: dict[str, dict[str, np.ndarray]] = {}
    for key, arr in data.items():
        case, sep, field = key.rpartition("__")
        assert sep and CASE_NAME_RE.match(case) and COEF_FIELD_RE.match(field), key
        cases.setdefault(case, {})[field] = arr
    for case, d in cases.items():
        m, p = int(d["deriv"]), int(d["acc"])
        fd = coefficients(deriv=m, acc=p)
        for s in ("center", "forward", "backward"):
            o = d[f"{s}_offsets"]
            assert o.dtype == np.int64 and list(o) == [int(v) for v in fd[s]["offsets"]]
            w = [Fraction(int(a), int(b)) for a, b in zip(d[f"{s}_num"], d[f"{s}_den"])]
            assert all(int(b) > 0 for b in d[f"{s}_den"])
            assert all(math.gcd(int(a), int(b)) == 1 for a, b in zip(d[f"{s}_num"], d[f"{s}_den"]))
            # the rationals solve the moment conditions exactly: sum w o^k = k! [k == m]
            for k in range(len(o)):
                mom = sum(wj * Fraction(int(oj)) ** k for wj, oj in zip(w, o))
                assert mom == (math.factorial(m) if k == m else 0), (case, s, k)
            assert np.array_equal(d[f"{s}_exact"], np.array([float(v) for v in w]))
            assert np.array_equal(d[f"{s}_weights"], np.array(fd[s]["coefficients"], dtype=float))
            assert int(d[f"{s}_fd_accuracy"]) == int(fd[s]["accuracy"])
            assert int(d[f"{s}_accuracy"]) == p == stencil_order(m, [int(v) for v in o], w)
    return len(cases)


# --------------------------------------------------------------------------------------------
# verification of the array files
# --------------------------------------------------------------------------------------------


def _int0d(a: np.ndarray) -> int:
    assert a.dtype == np.int64 and a.ndim == 0, (a.dtype, a.shape)
    return int(a)


def spec_from_stored(d: dict[str, np.ndarray]) -> CaseSpec:
    kind = _int0d(d["kind"])
    f = d["f"]
    per = d["periodic"]
    assert per.dtype == np.int64 and per.ndim == 1 and set(per.tolist()) <= {0, 1}
    spacing = {}
    for key, v in d.items():
        mt = re.fullmatch(r"([hx])(\d+)", key)
        if mt:
            k = int(mt.group(2))
            assert k not in spacing, key
            assert v.dtype == np.float64
            if mt.group(1) == "h":
                assert v.ndim == 0 and float(v) > 0
                spacing[k] = ("h", float(v))
            else:
                assert v.ndim == 1 and np.all(np.diff(v) > 0)
                spacing[k] = ("x", v)
    kw = {}
    if kind == KIND_DIFF:
        assert "axes" not in d
        kw["axis"] = _int0d(d["axis"])
    else:
        assert "axis" not in d
        nsp = f.ndim if kind == KIND_LAPLACIAN else f.ndim - 1
        assert d["axes"].dtype == np.int64 and list(d["axes"]) == list(range(nsp))
    return CaseSpec(kind, f.shape, deriv=_int0d(d["deriv"]), acc=_int0d(d["acc"]),
                    periodic=per.tolist(), spacing=spacing, **kw)


FDW_WORST = [0.0]


def verify_file(path: Path, stats) -> tuple[int, int]:
    """Returns (number of cases, number of exact values where mpmath != Fraction rounding)."""
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    cases: dict[str, dict[str, np.ndarray]] = {}
    for key, arr in data.items():
        case, sep, field = key.rpartition("__")
        assert sep and CASE_NAME_RE.match(case) and ARRAY_FIELD_RE.match(field), key
        assert arr.flags.c_contiguous
        cases.setdefault(case, {})[field] = arr
    by_name = {s[0]: s for s in stats}
    mismatches = 0
    fdw_worst = FDW_WORST
    for case, d in cases.items():
        spec = spec_from_stored(d)
        f = d["f"]
        assert f.dtype == np.float64
        out = spec.findiff(f)
        assert out.dtype == d["out"].dtype and out.shape == d["out"].shape, case
        assert out.tobytes() == d["out"].tobytes(), f"{path.name}:{case}: findiff differs"
        exact, scale = d["exact"], d["scale"]
        assert exact.shape == out.shape and scale.shape == out.shape
        assert np.all(scale >= 0) and np.all(np.isfinite(scale))
        # independent second evaluation: mpmath at 50 digits (weights from mpmath Fornberg for
        # coordinates, from the rationals for uniform grids); unrounded, it must agree with the
        # exact rational value to 1e-45 of the scale, and its float64 rounding may differ from
        # the stored correctly rounded value only at (near-)ties
        fr_val, fr_sc = spec.evaluate(f, "frac", rounded=False)
        mp_val, mp_sc = spec.evaluate(f, "mp", rounded=False)
        for idx in np.ndindex(exact.shape):
            e = fr_val[idx]
            assert to_f64(e) == exact[idx] and to_f64(fr_sc[idx]) == scale[idx], (case, idx)
            tol = MPF(10) ** -45 * MPF(scale[idx])
            assert abs(mp_val[idx] - MPF(e.numerator) / MPF(e.denominator)) <= tol, (case, idx)
            assert abs(mp_sc[idx] - MPF(fr_sc[idx].numerator) / fr_sc[idx].denominator) <= tol
            if to_f64(mp_val[idx]) != exact[idx]:
                assert abs(to_f64(mp_val[idx]) - exact[idx]) <= np.spacing(abs(exact[idx]))
                mismatches += 1
        ratio = error_ratio(out, exact, scale)
        assert ratio == by_name[case][2]
        assert float(d["fd_err"]) == ratio and d["fd_err"].ndim == 0
        # findiff uses the stencils we claim: its output equals the same stencils with its own
        # (inaccurate, np.linalg.solve) float64 weights up to summation rounding; a different
        # stencil would be off by a truncation error, orders of magnitude more
        fdw, _ = spec.evaluate(f, "fdw")
        r_fdw = error_ratio(out, fdw, scale)
        assert r_fdw <= 64, f"{path.name}:{case}: findiff vs its own weights {r_fdw:.3g}"
        fdw_worst[0] = max(fdw_worst[0], r_fdw)
    return len(cases), mismatches


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------

FILES = [
    ("findiff_uniform.npz", 0xF1D0, "uniform", gen_uniform),
    ("findiff_nonuniform.npz", 0xF1D1, "coords", gen_nonuniform),
    ("findiff_periodic.npz", 0xF1D2, "periodic", gen_periodic),
    ("findiff_operators.npz", 0xF1D3, "operators", gen_operators),
]


def main() -> int:
    assert findiff.__version__ == FINDIFF_VERSION, findiff.__version__
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    print(f"findiff {findiff.__version__}, numpy {np.__version__}, mpmath {mpmath.__version__} "
          f"(dps {MP_DPS}); writing to {OUT_DIR}")
    rows = []
    all_stats = []
    for filename, seed, group, gen in FILES:
        fx = Fixture(filename, seed, group)
        gen(fx)
        path = fx.save()
        n, mism = verify_file(path, fx.stats)
        assert n == len(fx.cases)
        rows.append((filename, n, path.stat().st_size, mism))
        all_stats.extend(fx.stats)

    cf = CoefFixture("findiff_coefficients.npz")
    cf.generate()
    path = cf.save()
    n = verify_coefficients(path)
    assert n == len(cf.cases)
    rows.append((cf.filename, n, path.stat().st_size, 0))

    width = max(len(r[0]) for r in rows)
    print(f"\n{'file':<{width}}  {'cases':>5}  {'bytes':>9}  mp!=exact")
    for name, ncases, size, mism in rows:
        print(f"{name:<{width}}  {ncases:>5}  {size:>9}  {mism:>9}")
    total = sum(r[2] for r in rows)
    print(f"total: {sum(r[1] for r in rows)} cases, {total} bytes ({total / 2**20:.2f} MiB)")

    print("\nerror against the exact scheme, max over points of |y - exact| / (eps * scale):")
    print(f"{'group':<22} {'cases':>5} {'W max':>5}  {'findiff worst':>13}  {'(case)':<40} "
          f"{'f64 model':>9}")
    groups: dict[str, list] = {}
    for st in all_stats:
        groups.setdefault(st[1], []).append(st)
    for g, sts in groups.items():
        worst = max(sts, key=lambda s: s[2])
        print(f"{g:<22} {len(sts):>5} {max(s[4] for s in sts):>5}  {worst[2]:>13.3g}  "
              f"{worst[0]:<40} {max(s[3] for s in sts):>9.3g}")
    print(f"\ncoefficients: {len(cf.cases)} tables (m 1-{max(COEF_DERIVS)}, p 2-{max(COEF_ACCS)});"
          f" findiff's numeric weights vs exact: max relative error (to the largest weight) "
          f"{cf.max_rel:.3g} = {cf.max_rel / EPS:.3g} eps ({cf.max_rel_at}); for m <= 4, p <= 8: "
          f"{cf.max_rel_small / EPS:.3g} eps")
    print(f"findiff vs the same stencils with its own float64 weights (stencil-choice check): "
          f"worst {FDW_WORST[0]:.3g} eps*scale")
    if cf.accuracy_notes:
        print("findiff's reported accuracy differs from the exact order for:")
        for note in cf.accuracy_notes:
            print("  " + note)
    assert total <= MAX_TOTAL_BYTES, "fixtures too large"
    return 0


if __name__ == "__main__":
    sys.exit(main())
