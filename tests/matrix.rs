//! The matrix of an operator (issue 17, feature `sparse`): its product with the flattened input
//! is `apply` up to the rounding of the summation order, its pattern is the stencils', a
//! composition's matrix is the product of its steps' matrices, and bad input is `apply`'s error.
#![cfg(feature = "sparse")]

use faer::sparse::SparseRowMat;
use ndarray::{Array1, ArrayD, Axis, IxDyn};
use ndarray_gradient::{GradientError, GradientOptions, Operator};

use crate::fixture::Fixture;

fn d<'a>(axis: usize, m: usize) -> Operator<'a, f64> {
    Operator::derivative(Axis(axis), m)
}

fn field(shape: &[usize], seed: u64) -> ArrayD<f64> {
    crate::fixture::xorshift_field(shape, seed)
}

fn row(m: &SparseRowMat<usize, f64>, i: usize) -> Vec<(usize, f64)> {
    m.col_idx_of_row(i).zip(m.val_of_row(i).iter().copied()).collect()
}

fn dense(m: &SparseRowMat<usize, f64>) -> Vec<Vec<f64>> {
    let n = m.nrows();
    (0..n)
        .map(|i| {
            let mut r = vec![0.0; n];
            for (j, w) in row(m, i) {
                r[j] = w;
            }
            r
        })
        .collect()
}

/// Matrix times flattened `f` against `apply`, point by point. Each entry of these operators'
/// matrices is one product of weights (mixed partials along distinct axes, coefficients) or a
/// sum of same-signed ones (the centre of a Laplacian), so both computations are within a few
/// roundings per tap of the exact sum: `8 · (taps + 2) · ε · Σⱼ |Mᵢⱼ fⱼ|` allows for the
/// products of up to three weights, each tap's product and sum in either computation.
#[test]
fn matrix_times_input_is_apply() {
    let x0: Array1<f64> = Array1::from_iter((0..9).map(|i| i as f64 * 0.4 + (i as f64).sin() * 0.1));
    let shape = [9usize, 8, 7];
    let f = field(&shape, 3);
    let c = field(&shape, 5);
    let flat: Vec<f64> = f.iter().copied().collect();
    let cases: Vec<(&str, Operator<'_, f64>, GradientOptions<'_, f64>)> = vec![
        (
            "laplacian acc 4",
            d(0, 2) + d(1, 2) + d(2, 2),
            GradientOptions::new().accuracy(4).spacing(0.3),
        ),
        ("mixed numpy edges", d(0, 1) * d(2, 1), GradientOptions::new()),
        (
            "mixed of three axes",
            d(0, 1) * d(1, 1) * d(2, 1),
            GradientOptions::new().accuracy(2),
        ),
        (
            "coefficients and identity",
            Operator::field(c.view()) * d(1, 2) - Operator::coefficient(0.5) * Operator::identity(),
            GradientOptions::new().accuracy(4),
        ),
        (
            "periodic",
            d(1, 1) * d(2, 3),
            GradientOptions::new().accuracy(4).periodic(Axis(2)),
        ),
        (
            "coordinates",
            d(0, 2) * d(1, 1),
            GradientOptions::new().coordinates(Axis(0), &x0).accuracy(2),
        ),
    ];
    for (name, op, opts) in &cases {
        let m = op.matrix(&shape, opts).unwrap();
        assert_eq!((m.nrows(), m.ncols()), (f.len(), f.len()), "{name}");
        columns_are_apply_of_unit_inputs(name, op, opts, &shape, &m);
        let g = op.apply(&f, opts).unwrap();
        for (i, &gi) in g.iter().enumerate() {
            let r = row(&m, i);
            let mf: f64 = r.iter().map(|&(j, w)| w * flat[j]).sum();
            let scale: f64 = r.iter().map(|&(j, w)| (w * flat[j]).abs()).sum();
            let tol = 8.0 * (r.len() + 2) as f64 * f64::EPSILON * scale;
            assert!(
                (mf - gi).abs() <= tol,
                "{name}: point {i}: {mf} vs {gi} (tolerance {tol})"
            );
        }
    }
}

/// Column `j` of the matrix is `apply` of the `j`-th unit input, at every point of the grid:
/// the same points nonzero (the whole pattern, edges and corners included, is what `apply`
/// reads) and the same values within the bound of [`matrix_times_input_is_apply`] (there
/// `Σⱼ |Mᵢⱼ fⱼ|` is `|Mᵢⱼ|` for a unit input).
fn columns_are_apply_of_unit_inputs(
    name: &str,
    op: &Operator<'_, f64>,
    opts: &GradientOptions<'_, f64>,
    shape: &[usize],
    m: &SparseRowMat<usize, f64>,
) {
    let n: usize = shape.iter().product();
    let mut columns = vec![Vec::new(); n];
    for i in 0..n {
        for (j, w) in row(m, i) {
            columns[j].push((i, w, m.col_idx_of_row(i).len()));
        }
    }
    let mut unit = ArrayD::<f64>::zeros(IxDyn(shape));
    for (j, column) in columns.iter().enumerate() {
        unit.as_slice_mut().unwrap()[j] = 1.0;
        let a = op.apply(&unit, opts).unwrap();
        unit.as_slice_mut().unwrap()[j] = 0.0;
        let reads: Vec<usize> = a
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0.0)
            .map(|(i, _)| i)
            .collect();
        let stored: Vec<usize> = column.iter().map(|&(i, _, _)| i).collect();
        assert_eq!(stored, reads, "{name}: column {j}");
        for &(i, w, taps) in column {
            let tol = 8.0 * (taps + 2) as f64 * f64::EPSILON * w.abs();
            let ai = a.as_slice().unwrap()[i];
            assert!((w - ai).abs() <= tol, "{name}: entry ({i}, {j}): {w} vs {ai}");
        }
    }
}

/// The pattern is the stencil's: a first derivative at accuracy 4 reads four samples inside
/// (its centre weight is zero and left out) and five at the edges; a mixed partial reads the
/// product of its factors' samples; a periodic axis wraps.
#[test]
fn pattern_is_the_stencils() {
    let opts = GradientOptions::new().accuracy(4);
    let m = d(1, 1).matrix(&[3, 10], &opts).unwrap();
    let cols = |m: &SparseRowMat<usize, f64>, i: usize| row(m, i).into_iter().map(|(j, _)| j).collect::<Vec<_>>();
    // Point (1, 5) = row 15: samples 3, 4, 6, 7 of its row; point (1, 0) = row 10: 0..5.
    assert_eq!(cols(&m, 15), vec![13, 14, 16, 17]);
    assert_eq!(cols(&m, 10), vec![10, 11, 12, 13, 14]);
    let m = (d(0, 1) * d(1, 1)).matrix(&[10, 10], &opts).unwrap();
    let expected: Vec<usize> = [3, 4, 6, 7]
        .iter()
        .flat_map(|&i| [3, 4, 6, 7].map(|j| i * 10 + j))
        .collect();
    assert_eq!(cols(&m, 55), expected);
    let m = d(0, 1).matrix(&[6], &opts.clone().periodic(Axis(0))).unwrap();
    assert_eq!(cols(&m, 0), vec![1, 2, 4, 5]);
    assert_eq!(m.compute_nnz(), 6 * 4);
}

/// A composition's matrix is the product of its steps' matrices (here with a coefficient
/// between two derivatives along one axis, findiff's flux form): entry by entry within the
/// rounding of the dense product's sums.
#[test]
fn composition_is_the_product_of_matrices() {
    let shape = [7usize, 6];
    let c = field(&shape, 9);
    let opts = GradientOptions::new().accuracy(2).periodic(Axis(1));
    let n = 42;
    let outer = dense(&d(1, 1).matrix(&shape, &opts).unwrap());
    let inner = dense(&d(0, 1).matrix(&shape, &opts).unwrap());
    let cflat: Vec<f64> = c.iter().copied().collect();
    let op = d(1, 1) * Operator::field(c.view()) * d(0, 1);
    let got = dense(&op.matrix(&shape, &opts).unwrap());
    for i in 0..n {
        for j in 0..n {
            let (sum, abs) = (0..n).fold((0.0, 0.0), |(s, a), k| {
                let t = outer[i][k] * cflat[k] * inner[k][j];
                (s + t, a + t.abs())
            });
            assert!(
                (got[i][j] - sum).abs() <= 4.0 * n as f64 * f64::EPSILON * abs,
                "entry ({i}, {j}): {} vs {sum}",
                got[i][j]
            );
        }
    }
}

/// Bad input: `apply`'s errors, and a grid too large to index.
#[test]
fn matrix_errors_are_applys() {
    let opts = GradientOptions::<f64>::new();
    let a = ArrayD::<f64>::zeros(IxDyn(&[4, 5]));
    let op = Operator::field(a.view()) * d(0, 1);
    let err = op.matrix(&[4, 6], &opts).unwrap_err();
    assert_eq!(
        err,
        GradientError::CoefficientShape {
            term: 0,
            expected: vec![4, 6],
            got: vec![4, 5]
        }
    );
    assert_eq!(
        d(2, 1).matrix(&[4, 6], &opts).unwrap_err(),
        GradientError::AxisOutOfBounds { axis: 2, ndim: 2 }
    );
    assert!(matches!(
        d(0, 1).matrix(&[4, 6], &opts.clone().derivative(2)).unwrap_err(),
        GradientError::ConflictingOptions { .. }
    ));
    let huge = [1usize << 40, 1 << 40];
    let err = d(0, 1).matrix(&huge, &opts).unwrap_err();
    assert_eq!(err, GradientError::MatrixTooLarge { shape: huge.to_vec() });
    assert!(err.to_string().contains("too many points"), "{err}");
}

/// findiff 0.16's `op.matrix(shape)` (`scripts/gen_findiff_matrix_fixtures.py`,
/// `tests/fixtures/findiff_matrix.npz`): the same pattern (the entries that are not zero), and
/// values within `32 ε` of the row's largest entry. findiff solves for its weights in floating
/// point and is off the exact rationals by that much (its third derivative's `9 / h³` at
/// `h = 0.5` is 71.99999999999952, 23 ε from 72), while the crate's are the exact rationals
/// rounded once: that row is checked against the exact values too. The worst seen is printed.
#[test]
fn findiff_matrix_parity() {
    let mut fx = Fixture::open("findiff_matrix.npz");
    let coef: ArrayD<f64> = fx.read("coef_4x5");
    let cases: Vec<(&str, Operator<'_, f64>, GradientOptions<'_, f64>)> = vec![
        ("d0_acc2_n7", d(0, 1), GradientOptions::new().accuracy(2)),
        ("d0sq_acc4_n9", d(0, 2), GradientOptions::new().accuracy(4)),
        (
            "d0cube_acc2_h05_n8",
            d(0, 3),
            GradientOptions::new().accuracy(2).spacing(0.5),
        ),
        (
            "laplacian_acc2_5x6",
            d(0, 2) + d(1, 2),
            GradientOptions::new().accuracy(2),
        ),
        (
            "laplacian_acc4_9x8",
            d(0, 2) + d(1, 2),
            GradientOptions::new().accuracy(4),
        ),
        (
            "mixed01_acc2_5x6",
            d(0, 1) * d(1, 1),
            GradientOptions::new().accuracy(2),
        ),
        (
            "coef_d1_plus_identity_4x5",
            Operator::field(coef.view()) * d(1, 1) + Operator::identity(),
            GradientOptions::new().accuracy(2),
        ),
        (
            "periodic_d1_acc2_5x6",
            d(1, 1),
            GradientOptions::new().accuracy(2).periodic(Axis(1)),
        ),
        (
            "mixed_periodic_acc4_6x7",
            d(0, 1) * d(1, 1),
            GradientOptions::new().accuracy(4).periodic(Axis(1)),
        ),
    ];
    let mut worst = 0.0f64;
    for (name, op, opts) in &cases {
        let shape: Vec<usize> = fx
            .read::<i64>(&format!("{name}__shape"))
            .iter()
            .map(|&n| n as usize)
            .collect();
        let expected: ArrayD<f64> = fx.read(&format!("{name}__dense"));
        let pattern: ArrayD<i64> = fx.read(&format!("{name}__pattern"));
        let m = op.matrix(&shape, opts).unwrap();
        let got = dense(&m);
        let n = m.nrows();
        assert_eq!(expected.shape(), &[n, n], "{name}");
        for i in 0..n {
            assert!(
                row(&m, i).iter().all(|&(_, w)| w != 0.0),
                "{name}: row {i} stores a zero"
            );
            let big = (0..n).map(|j| expected[[i, j]].abs()).fold(0.0, f64::max);
            for j in 0..n {
                // findiff's inexact weights leave a few ulp where exact ones cancel to zero (a
                // Laplacian's centre at an edge: -2 + 2.0000000000000004); the crate has no entry.
                let findiff_rounding = expected[[i, j]].abs() <= 32.0 * f64::EPSILON * big;
                if !findiff_rounding {
                    assert_eq!(got[i][j] != 0.0, pattern[[i, j]] == 1, "{name}: pattern at ({i}, {j})");
                }
                let err = (got[i][j] - expected[[i, j]]).abs() / (f64::EPSILON * big);
                worst = worst.max(err);
                assert!(
                    err <= 32.0,
                    "{name}: ({i}, {j}) {} vs findiff {} ({err:.1} ε)",
                    got[i][j],
                    expected[[i, j]]
                );
            }
        }
    }
    // The exact third derivative at the first point (forward, accuracy 2): [-5/2, 9, -12, 7, -3/2] / h³.
    let m = d(0, 3)
        .matrix(&[8], &GradientOptions::new().accuracy(2).spacing(0.5))
        .unwrap();
    assert_eq!(
        row(&m, 0),
        vec![(0, -20.0), (1, 72.0), (2, -96.0), (3, 56.0), (4, -12.0)]
    );
    eprintln!(
        "findiff matrix parity: {} cases, worst {worst:.2} ε of the row's largest entry",
        cases.len()
    );
}

/// The matrix is the same bits however its rows are cut into blocks (rayon's threads build the
/// blocks of a large grid): 30,000 rows in two blocks against one.
#[test]
fn matrix_is_the_same_in_blocks() {
    let shape = [200usize, 150];
    let c = field(&shape, 9);
    let op = d(0, 2) + Operator::field(c.view()) * d(0, 1) * d(1, 1) - d(1, 2);
    let opts = GradientOptions::new().accuracy(4).spacing(0.1);
    let one = ndarray_gradient::with_parallel_threshold(usize::MAX, || op.matrix(&shape, &opts)).unwrap();
    let split = ndarray_gradient::with_parallel_threshold(0, || op.matrix(&shape, &opts)).unwrap();
    assert_eq!(one.nrows(), 30_000);
    for i in 0..one.nrows() {
        let (a, b) = (row(&one, i), row(&split, i));
        assert_eq!(a.len(), b.len(), "row {i}");
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.0 == y.0 && x.1.to_bits() == y.1.to_bits()),
            "row {i}"
        );
    }
}
