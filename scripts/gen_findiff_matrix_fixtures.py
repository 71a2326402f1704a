#!/usr/bin/env python3
"""Generate findiff 0.16 parity fixtures for ``Operator::matrix`` (findiff's ``op.matrix(shape)``).

How to run (paths are derived from this file's location; scripts/requirements.txt installed):

    python scripts/gen_findiff_matrix_fixtures.py

Output: ``<repo>/tests/fixtures/findiff_matrix.npz``.  For each case ``NAME`` (the operator and
the grid are written out in ``CASES`` below, and again in ``tests/matrix.rs``, which builds the
same operator with the crate):

* ``NAME__shape``: the grid's shape (int64);
* ``NAME__dense``: findiff's matrix, ``op.matrix(shape).toarray()`` (float64, points in C order,
  as ``f.reshape(-1)``), small grids only;
* ``NAME__pattern``: 1 where findiff's sparse matrix stores an entry whose value is not zero
  (findiff may store explicit zeros, which are no part of a pattern).

The Rust test compares values with a stated tolerance: findiff computes its uniform-grid
weights by a floating-point solve, so its entries are off from the exact rationals by a few
units in the last place, while the crate's are the exact rationals rounded once.
"""

from pathlib import Path

import numpy as np
import findiff

assert findiff.__version__ == "0.16.0", findiff.__version__

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "findiff_matrix.npz"


def D(axis, h=1.0, acc=2, periodic=False):
    return findiff.Diff(axis, h, acc=acc, periodic=periodic)


rng = np.random.default_rng(17)
coef_4x5 = np.round(rng.uniform(0.5, 2.0, (4, 5)), 3)

CASES = {
    # name: (shape, findiff operator)
    "d0_acc2_n7": ((7,), D(0)),
    "d0sq_acc4_n9": ((9,), D(0, acc=4) ** 2),
    "d0cube_acc2_h05_n8": ((8,), D(0, h=0.5) ** 3),
    "laplacian_acc2_5x6": ((5, 6), D(0) ** 2 + D(1) ** 2),
    "laplacian_acc4_9x8": ((9, 8), D(0, acc=4) ** 2 + D(1, acc=4) ** 2),
    "mixed01_acc2_5x6": ((5, 6), D(0) * D(1)),
    "coef_d1_plus_identity_4x5": ((4, 5), findiff.Coef(coef_4x5) * D(1) + findiff.Identity()),
    "periodic_d1_acc2_5x6": ((5, 6), D(1, periodic=True)),
    "mixed_periodic_acc4_6x7": ((6, 7), D(0, acc=4) * D(1, acc=4, periodic=True)),
}


def main():
    out = {"coef_4x5": coef_4x5}
    for name, (shape, op) in CASES.items():
        m = op.matrix(shape).tocsr()
        dense = m.toarray()
        pattern = (dense != 0).astype(np.int64)
        out[f"{name}__shape"] = np.array(shape, dtype=np.int64)
        out[f"{name}__dense"] = dense
        out[f"{name}__pattern"] = pattern
    tmp = OUT.with_suffix(".tmp.npz")
    np.savez(tmp, **out)
    tmp.replace(OUT)
    print(f"wrote {len(CASES)} cases to {OUT}")


if __name__ == "__main__":
    main()
