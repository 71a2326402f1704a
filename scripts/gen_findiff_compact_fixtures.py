#!/usr/bin/env python3
"""Generate findiff 0.16 parity fixtures for compact schemes (``CompactScheme``).

How to run (paths are derived from this file's location; scripts/requirements.txt installed):

    python scripts/gen_findiff_compact_fixtures.py

Output: ``<repo>/tests/fixtures/findiff_compact.npz``.

* ``scheme_m{M}_acc{P}_lhs{L}__left`` / ``__right`` (float64, 1-D) / ``__acc`` (int64, 0-d), for
  M in 1, 2, L in 3, 5 and P in 4, 6, 8, 10 (16 schemes): the interior scheme of
  ``CompactScheme.from_accuracy(P, 1, L).for_deriv(M)`` (for M = 2 findiff's ``Diff(...)**2``):
  the left-hand weights at ``-p..p`` (``scheme.left`` by offset), the right-hand weights at
  ``-q..q`` for unit spacing (``scheme.rhs_coefficients(M)``), and the accuracy order findiff
  reports (``scheme.get_accuracy(M)``).
* ``apply_NAME__f`` / ``__df`` (float64, the array's shape) and ``__axis`` / ``__m`` / ``__acc``
  / ``__lhs`` / ``__periodic`` (int64, 0-d; periodic 0 or 1) / ``__h`` (float64, 0-d), one set
  per row of ``APPLY`` (12 cases): an array, findiff's
  ``Diff(axis, h, acc=P, compact=L, periodic=...)**M`` of it, and the settings. Near the ends of
  a non-periodic axis ``__df`` comes from findiff's one-sided boundary rows (Visbal and
  Gaitonde); the rows themselves (findiff's matrix ``L⁻¹R``) are not written.

``tests/compact.rs`` reads them: ``findiff_compact_schemes`` compares the crate's weights and
accuracy with the ``scheme_*`` keys, ``findiff_compact_apply`` its derivatives with ``__df``.
"""

from pathlib import Path

import numpy as np
import findiff
from findiff import CompactScheme, Diff

assert findiff.__version__ == "0.16.0", findiff.__version__

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "findiff_compact.npz"

rng = np.random.default_rng(2027)
data = {}

SCHEMES = [(m, acc, lhs) for m in (1, 2) for lhs in (3, 5) for acc in (4, 6, 8, 10)]

for m, acc, lhs in SCHEMES:
    scheme = CompactScheme.from_accuracy(acc, 1, lhs).for_deriv(m)
    key = f"scheme_m{m}_acc{acc}_lhs{lhs}"
    left = np.array([scheme.left[k] for k in sorted(scheme.left)], dtype=float)
    right = np.array(scheme.rhs_coefficients(m), dtype=float)
    data[key + "__left"] = left
    data[key + "__right"] = right
    data[key + "__acc"] = np.int64(scheme.get_accuracy(m))


def smooth(shape, axis, h):
    """A smooth field with a random part: findiff and the crate see the same samples."""
    idx = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    x = idx[axis] * h
    return np.sin(1.3 * x + 0.4) + 0.3 * np.cos(2.1 * x) + 1e-3 * rng.standard_normal(shape)


APPLY = [
    # name, shape, axis, h, m, acc, lhs, periodic
    ("d1_acc4_lhs3", (40,), 0, 0.1, 1, 4, 3, False),
    ("d1_acc6_lhs3", (40,), 0, 0.1, 1, 6, 3, False),
    ("d1_acc8_lhs5", (40,), 0, 0.1, 1, 8, 5, False),
    ("d2_acc4_lhs3", (40,), 0, 0.1, 2, 4, 3, False),
    ("d2_acc6_lhs5", (40,), 0, 0.1, 2, 6, 5, False),
    ("d1_acc4_lhs3_periodic", (32,), 0, 2 * np.pi / 32, 1, 4, 3, True),
    ("d1_acc6_lhs5_periodic", (32,), 0, 2 * np.pi / 32, 1, 6, 5, True),
    ("d2_acc4_lhs3_periodic", (32,), 0, 2 * np.pi / 32, 2, 4, 3, True),
    ("d1_acc6_lhs3_3d_axis0", (14, 9, 11), 0, 0.2, 1, 6, 3, False),
    ("d1_acc6_lhs3_3d_axis1", (14, 9, 11), 1, 0.2, 1, 6, 3, False),
    ("d2_acc4_lhs3_3d_axis2", (14, 9, 11), 2, 0.2, 2, 4, 3, False),
    ("d1_acc4_lhs3_3d_axis2_periodic", (6, 5, 16), 2, 0.3, 1, 4, 3, True),
]

for name, shape, axis, h, m, acc, lhs, periodic in APPLY:
    f = smooth(shape, axis, h)
    d = Diff(axis, h, acc=acc, compact=lhs, periodic=periodic) ** m
    key = f"apply_{name}"
    data[key + "__f"] = f
    data[key + "__df"] = d(f)
    data[key + "__axis"] = np.int64(axis)
    data[key + "__h"] = np.float64(h)
    data[key + "__m"] = np.int64(m)
    data[key + "__acc"] = np.int64(acc)
    data[key + "__lhs"] = np.int64(lhs)
    data[key + "__periodic"] = np.int64(periodic)

np.savez(OUT, **data)
print(f"wrote {len(data)} arrays to {OUT}")
