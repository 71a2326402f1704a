#!/usr/bin/env python3
"""Generate findiff 0.16 parity fixtures for ``Operator::solve`` (findiff's ``PDE(L, f, bc).solve()``).

How to run (paths are derived from this file's location; scripts/requirements.txt installed):

    python scripts/gen_findiff_pde_fixtures.py

Output: ``<repo>/tests/fixtures/findiff_pde.npz``.  For each case ``NAME`` (the operator, the
right-hand side and the boundary conditions are written out in ``CASES`` below, and again in
``tests/solve.rs``, which builds the same problem with the crate):

* ``NAME__f``: the right-hand side (float64, the grid's shape);
* ``NAME__g``: the boundary values, an array of the grid's shape read at the boundary points;
* ``NAME__u``: findiff's solution, ``PDE(L, f, bc).solve()`` (SciPy's SuperLU);
* ``NAME__cond``: the 1-norm condition number of findiff's system (``L`` with its boundary rows
  replaced), from a dense ``np.linalg.cond(A, 1)``: the Rust test's tolerance is stated in it.

Conditions that meet at a point agree there (a corner shared by two Dirichlet faces gets the
same value from both): findiff lets a later condition override an earlier one, the crate refuses
two different equations at one point, and these cases are the problems both accept.
"""

from pathlib import Path

import numpy as np
import scipy.sparse as sparse
import findiff
from findiff import Coef, Diff, Identity, PDE, BoundaryConditions

assert findiff.__version__ == "0.16.0", findiff.__version__

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "findiff_pde.npz"

rng = np.random.default_rng(2026)


def grid(shape, h):
    return np.meshgrid(*[np.arange(n) * hk for n, hk in zip(shape, h)], indexing="ij")


def system_cond(L, bc, shape):
    """findiff's system, as PDE.solve builds it, and its 1-norm condition number."""
    A = sparse.lil_matrix(L.matrix(shape))
    nz = list(bc.row_inds())
    A[nz, :] = bc.lhs[nz, :]
    return np.linalg.cond(A.toarray(), 1)


def poisson_dirichlet_acc2():
    shape, h = (24, 20), (0.05, 0.07)
    x, y = grid(shape, h)
    g = np.sin(2 * x) * np.cosh(y) + x * y
    f = -3.0 * np.sin(2 * x) * np.cosh(y)
    L = Diff(0, h[0], acc=2) ** 2 + Diff(1, h[1], acc=2) ** 2
    bc = BoundaryConditions(shape)
    bc[0, :] = g
    bc[-1, :] = g
    bc[:, 0] = g
    bc[:, -1] = g
    return shape, L, f, g, bc


def poisson_neumann_acc4():
    shape, h = (20, 18), (0.06, 0.05)
    x, y = grid(shape, h)
    u = np.exp(-x) * np.sin(3 * y) + x**2
    g = u.copy()
    # On the face y = 0 the condition is ∂u/∂y = 3 exp(-x).
    g[:, 0] = 3 * np.exp(-x[:, 0])
    f = -8 * np.exp(-x) * np.sin(3 * y) + 2
    L = Diff(0, h[0], acc=4) ** 2 + Diff(1, h[1], acc=4) ** 2
    bc = BoundaryConditions(shape)
    bc[0, :] = g
    bc[-1, :] = g
    bc[1:-1, -1] = g
    bc[1:-1, 0] = (Diff(1, h[1], acc=4), g)
    return shape, L, f, g, bc


def robin_1d_acc2():
    shape, h = (41,), (0.025,)
    (x,) = grid(shape, h)
    f = np.cos(3 * x)
    L = Diff(0, h[0], acc=2) ** 2 - Identity()
    g = np.zeros(shape)
    g[0], g[-1] = 1.0, 3.0
    bc = BoundaryConditions(shape)
    # Scalars: findiff 0.16 cannot read an array value at a single index (bc[0] = g fails).
    bc[0] = 1.0
    bc[-1] = (2.0, Diff(0, h[0], acc=2), 1.0, 3.0)
    return shape, L, f, g, bc


def variable_coefficient_acc2():
    shape, h = (16, 14), (0.1, 0.1)
    c = np.round(rng.uniform(0.5, 2.0, shape), 3)
    f = np.round(rng.uniform(-1.0, 1.0, shape), 3)
    L = Coef(c) * Diff(0, h[0], acc=2) ** 2 + Diff(1, h[1], acc=2) ** 2
    g = np.zeros(shape)
    bc = BoundaryConditions(shape)
    bc[0, :] = 0.0
    bc[-1, :] = 0.0
    bc[:, 0] = 0.0
    bc[:, -1] = 0.0
    return shape, L, f, g, bc, c


def periodic_acc2():
    shape, h = (16, 12), (2 * np.pi / 16, 0.1)
    x, y = grid(shape, h)
    f = np.sin(x) * (1 + y)
    L = Diff(0, h[0], acc=2, periodic=True) ** 2 + Diff(1, h[1], acc=2) ** 2
    g = np.cos(x) * 0.5
    bc = BoundaryConditions(shape)
    bc[:, 0] = g
    bc[:, -1] = g
    return shape, L, f, g, bc


CASES = {
    "poisson_dirichlet_acc2_24x20": poisson_dirichlet_acc2,
    "poisson_neumann_acc4_20x18": poisson_neumann_acc4,
    "robin_1d_acc2_n41": robin_1d_acc2,
    "variable_coefficient_acc2_16x14": variable_coefficient_acc2,
    "periodic_acc2_16x12": periodic_acc2,
}


def main():
    out = {}
    for name, make in CASES.items():
        shape, L, f, g, bc, *extra = make()
        u = PDE(L, f, bc).solve()
        out[f"{name}__f"] = f
        out[f"{name}__g"] = g
        out[f"{name}__u"] = u
        out[f"{name}__cond"] = np.array(system_cond(L, bc, shape))
        for i, e in enumerate(extra):
            out[f"{name}__coef{i}"] = e
        print(f"{name}: cond1 = {out[f'{name}__cond']:.3e}, max|u| = {np.abs(u).max():.3e}")
    tmp = OUT.with_suffix(".tmp.npz")
    np.savez(tmp, **out)
    tmp.replace(OUT)
    print(f"wrote {len(CASES)} cases to {OUT}")


if __name__ == "__main__":
    main()
