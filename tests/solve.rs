//! Boundary-value problems (issue 17, feature `sparse`): `Operator::solve` against findiff's
//! `PDE.solve()`, against solutions known exactly, points chosen as ndarray's `s![]` chooses
//! them, and every bad problem a typed error.
#![cfg(feature = "sparse")]
// `s![1..-1]` is ndarray's "all but the first and last", not an empty range.
#![allow(clippy::reversed_empty_ranges)]

use ndarray::{Array1, Array2, ArrayD, Axis, NewAxis, SliceInfoElem, s};
use ndarray_gradient::{BoundaryConditions, BoundaryValue, GradientError, GradientOptions, Operator};

use crate::fixture::Fixture;

fn d<'a>(axis: usize, m: usize) -> Operator<'a, f64> {
    Operator::derivative(Axis(axis), m)
}

fn laplacian<'a>() -> Operator<'a, f64> {
    d(0, 2) + d(1, 2)
}

/// findiff 0.16's `PDE(L, f, bc).solve()` (SciPy's SuperLU) against `Operator::solve` (faer's
/// LU) on the same problems. The two systems differ by findiff's weights, a few ulps off the
/// exact rationals, and the two solvers round differently (other pivots, other orderings): by
/// the usual perturbation bound the solutions differ by at most about `κ₁ · ε` relative, times
/// a modest factor for the sizes of the perturbations. The tolerance is
/// `64 · κ₁ · ε · max|u|`, `κ₁` the system's 1-norm condition number computed densely by the
/// generator (2.6·10³ to 4.9·10⁶ here).
#[test]
fn findiff_pde_solve_parity() {
    let mut fx = Fixture::open("findiff_pde.npz");
    let mut worst = 0.0f64;
    let names = [
        "poisson_dirichlet_acc2_24x20",
        "poisson_neumann_acc4_20x18",
        "robin_1d_acc2_n41",
        "variable_coefficient_acc2_16x14",
        "periodic_acc2_16x12",
    ];
    for name in names {
        let f: ArrayD<f64> = fx.read(&format!("{name}__f"));
        let g: ArrayD<f64> = fx.read(&format!("{name}__g"));
        let expected: ArrayD<f64> = fx.read(&format!("{name}__u"));
        let cond = fx.float(&format!("{name}__cond"));
        let coef_key = format!("{name}__coef0");
        let coef: Option<ArrayD<f64>> = fx.has(&coef_key).then(|| fx.read(&coef_key));
        let u = match name {
            "poisson_dirichlet_acc2_24x20" => {
                let opts = GradientOptions::new()
                    .accuracy(2)
                    .axis_spacing(Axis(0), 0.05)
                    .axis_spacing(Axis(1), 0.07);
                let bc = BoundaryConditions::new()
                    .dirichlet(s![0, ..], &g)
                    .dirichlet(s![-1, ..], &g)
                    .dirichlet(s![.., 0], &g)
                    .dirichlet(s![.., -1], &g);
                laplacian().solve(&f, &bc, &opts)
            }
            "poisson_neumann_acc4_20x18" => {
                let opts = GradientOptions::new()
                    .accuracy(4)
                    .axis_spacing(Axis(0), 0.06)
                    .axis_spacing(Axis(1), 0.05);
                let bc = BoundaryConditions::new()
                    .dirichlet(s![0, ..], &g)
                    .dirichlet(s![-1, ..], &g)
                    .dirichlet(s![1..-1, -1], &g)
                    .neumann(s![1..-1, 0], d(1, 1), &g);
                laplacian().solve(&f, &bc, &opts)
            }
            "robin_1d_acc2_n41" => {
                let opts = GradientOptions::new().accuracy(2).spacing(0.025);
                let robin = Operator::coefficient(2.0) * Operator::identity() + d(0, 1);
                let bc = BoundaryConditions::new()
                    .dirichlet(s![0], 1.0)
                    .neumann(s![-1], robin, 3.0);
                (d(0, 2) - Operator::identity()).solve(&f, &bc, &opts)
            }
            "variable_coefficient_acc2_16x14" => {
                let c = coef.as_ref().expect("the coefficient array");
                let opts = GradientOptions::new().accuracy(2).spacing(0.1);
                let bc = BoundaryConditions::new()
                    .dirichlet(s![0, ..], 0.0)
                    .dirichlet(s![-1, ..], 0.0)
                    .dirichlet(s![.., 0], 0.0)
                    .dirichlet(s![.., -1], 0.0);
                (Operator::field(c.view()) * d(0, 2) + d(1, 2)).solve(&f, &bc, &opts)
            }
            "periodic_acc2_16x12" => {
                let opts = GradientOptions::new()
                    .accuracy(2)
                    .axis_spacing(Axis(0), 2.0 * std::f64::consts::PI / 16.0)
                    .axis_spacing(Axis(1), 0.1)
                    .periodic(Axis(0));
                let bc = BoundaryConditions::new()
                    .dirichlet(s![.., 0], &g)
                    .dirichlet(s![.., -1], &g);
                laplacian().solve(&f, &bc, &opts)
            }
            _ => unreachable!(),
        }
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let scale = expected.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let tolerance = 64.0 * cond * f64::EPSILON * scale;
        let error = (&u - &expected).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(
            error <= tolerance,
            "{name}: max |u - findiff| = {error:e} > {tolerance:e} (κ₁ = {cond:e})"
        );
        worst = worst.max(error / (cond * f64::EPSILON * scale));
    }
    eprintln!("findiff PDE.solve parity: worst error {worst:.2} κ₁ε·max|u|");
}

/// Second-order schemes are exact on quadratics and fourth-order ones on quartics (every
/// stencil, one-sided edges included): the solution of a problem whose exact solution is one
/// is that solution, to within the solve's rounding.
#[test]
fn polynomial_solutions_are_exact() {
    let (nx, ny, h) = (17, 13, 0.125);
    let x = |i: usize| i as f64 * h;
    // u = x²y − y² + 3x (quadratic in each variable): Δu = 2y − 2.
    let u = Array2::from_shape_fn((nx, ny), |(i, j)| x(i) * x(i) * x(j) - x(j) * x(j) + 3.0 * x(i));
    let f = Array2::from_shape_fn((nx, ny), |(_, j)| 2.0 * x(j) - 2.0);
    // ∂u/∂x = 2xy + 3 on the face x = 0.
    let ux = Array2::from_shape_fn((nx, ny), |(i, j)| 2.0 * x(i) * x(j) + 3.0);
    for accuracy in [2, 4] {
        let opts = GradientOptions::new().accuracy(accuracy).spacing(h);
        let bc = BoundaryConditions::new()
            .neumann(s![0, 1..-1], d(0, 1), &ux)
            .dirichlet(s![-1, ..], &u)
            .dirichlet(s![.., 0], &u)
            .dirichlet(s![.., -1], &u);
        let got = laplacian().solve(&f, &bc, &opts).unwrap();
        let error = (&got - &u).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(error < 1e-11, "accuracy {accuracy}: max error {error:e}");
    }
}

/// The points a condition sets are the ones `a.slice(points)` views, for indices, ranges,
/// steps (negative ones included) and negative bounds: the identity operator with a Dirichlet
/// value of 1 solves to the indicator of the selection.
#[test]
fn points_are_what_ndarray_slicing_selects() {
    let shape = (7, 6);
    let selections: Vec<Vec<SliceInfoElem>> = vec![
        s![0, ..].as_ref().to_vec(),
        s![-1, 1..-1].as_ref().to_vec(),
        s![.., -2].as_ref().to_vec(),
        s![1..6;2, ..;-3].as_ref().to_vec(),
        s![..;-2, 4..].as_ref().to_vec(),
        s![-3.., -5..-1;2].as_ref().to_vec(),
        s![2..2, ..].as_ref().to_vec(),
        s![3].as_ref().to_vec(),
        s![.., NewAxis, 1].as_ref().to_vec(),
    ];
    for points in selections {
        let bc = BoundaryConditions::new().dirichlet(&points, 1.0);
        let got = Operator::identity()
            .solve(&Array2::<f64>::zeros(shape), &bc, &GradientOptions::new())
            .unwrap();
        let mut expected = Array2::<f64>::zeros(shape);
        let mut selected = expected.view_mut().into_dyn();
        let mut axis = 0;
        for elem in &points {
            match *elem {
                SliceInfoElem::Index(i) => {
                    let i = if i < 0 {
                        (selected.len_of(Axis(axis)) as isize + i) as usize
                    } else {
                        i as usize
                    };
                    selected.collapse_axis(Axis(axis), i);
                    axis += 1;
                }
                SliceInfoElem::Slice { start, end, step } => {
                    selected.slice_axis_inplace(Axis(axis), ndarray::Slice { start, end, step });
                    axis += 1;
                }
                SliceInfoElem::NewAxis => {}
            }
        }
        selected.fill(1.0);
        assert_eq!(got, expected, "{points:?}");
    }
}

/// Conditions that agree where they meet are one condition there; two different equations at a
/// point are refused, naming both conditions and the point.
#[test]
fn conflicting_conditions_are_refused() {
    let f = Array2::<f64>::zeros((6, 5));
    let opts = GradientOptions::new().accuracy(2);
    let agree = BoundaryConditions::new()
        .dirichlet(s![0, ..], 0.0)
        .dirichlet(s![.., 0], 0.0)
        .dirichlet(s![-1, ..], 0.0)
        .dirichlet(s![.., -1], 0.0);
    assert!(laplacian().solve(&f, &agree, &opts).is_ok());

    let values = BoundaryConditions::new()
        .dirichlet(s![0, ..], 0.0)
        .dirichlet(s![-1, ..], 0.0)
        .dirichlet(s![.., -1], 1.0);
    let err = laplacian().solve(&f, &values, &opts).unwrap_err();
    assert_eq!(
        err,
        GradientError::BoundaryConflict {
            first: 0,
            second: 2,
            point: vec![0, 4]
        }
    );
    assert!(err.to_string().contains("point [0, 4]"), "{err}");

    let kinds = BoundaryConditions::new()
        .dirichlet(s![1..-1, 0], 0.0)
        .dirichlet(s![-1, ..], 0.0)
        .neumann(s![.., -1], d(1, 1), 0.0);
    assert_eq!(
        laplacian().solve(&f, &kinds, &opts).unwrap_err(),
        GradientError::BoundaryConflict {
            first: 1,
            second: 2,
            point: vec![5, 4]
        }
    );
    // The same operator and value twice is one equation.
    let twice = BoundaryConditions::new()
        .dirichlet(s![.., 0], 0.0)
        .dirichlet(s![-1, ..], 0.0)
        .neumann(s![..-1, -1], d(1, 1), 0.0)
        .neumann(s![2, -1], d(1, 1), 0.0);
    assert!(laplacian().solve(&f, &twice, &opts).is_ok());
    // The same operator with another value is not.
    let other = twice.clone().neumann(s![3, -1], d(1, 1), 0.5);
    assert_eq!(
        laplacian().solve(&f, &other, &opts).unwrap_err(),
        GradientError::BoundaryConflict {
            first: 2,
            second: 4,
            point: vec![3, 4]
        }
    );
}

#[test]
fn points_outside_the_grid_are_refused() {
    let f = Array2::<f64>::zeros((6, 5));
    let opts = GradientOptions::new();
    let outside = |points: &[SliceInfoElem]| {
        let bc = BoundaryConditions::new()
            .dirichlet(s![0, ..], 0.0)
            .dirichlet(points, 0.0);
        Operator::identity().solve(&f, &bc, &opts).unwrap_err()
    };
    let refused = |axis: usize, points: SliceInfoElem| GradientError::BoundaryPoints {
        condition: 1,
        axis,
        points,
        shape: vec![6, 5],
    };
    assert_eq!(outside(s![6, ..].as_ref()), refused(0, SliceInfoElem::Index(6)));
    assert_eq!(outside(s![-7, ..].as_ref()), refused(0, SliceInfoElem::Index(-7)));
    assert_eq!(outside(s![.., 2..9].as_ref()), refused(1, s![.., 2..9].as_ref()[1]));
    assert_eq!(outside(s![.., -9..].as_ref()), refused(1, s![.., -9..].as_ref()[1]));
    let zero_step = [SliceInfoElem::Slice {
        start: 0,
        end: None,
        step: 0,
    }];
    assert_eq!(outside(&zero_step), refused(0, zero_step[0]));
    assert_eq!(outside(s![0, 0, 0].as_ref()), refused(2, SliceInfoElem::Index(0)));
    assert_eq!(
        outside(s![6, ..].as_ref()).to_string(),
        "boundary condition 1 selects index 6 along axis 0, outside the grid of shape [6, 5]"
    );
    assert_eq!(
        outside(s![0, 0, 0].as_ref()).to_string(),
        "boundary condition 1 selects along axis 2, but the grid of shape [6, 5] has 2 axes"
    );
}

#[test]
fn value_arrays_of_another_shape_are_refused() {
    let f = Array2::<f64>::zeros((6, 5));
    let g = Array2::<f64>::zeros((5, 6));
    let bc = BoundaryConditions::new()
        .dirichlet(s![0, ..], 0.0)
        .neumann(s![-1, ..], d(0, 1), &g);
    assert_eq!(
        laplacian()
            .solve(&f, &bc, &GradientOptions::new().accuracy(2))
            .unwrap_err(),
        GradientError::BoundaryShape {
            condition: Some(1),
            expected: vec![6, 5],
            got: vec![5, 6]
        }
    );
}

/// A Neumann-only Poisson problem fixes its solution only up to a constant: refused as
/// singular, in both element types and at every accuracy, and solvable once one point gets a
/// Dirichlet value.
#[test]
fn singular_systems_are_refused() {
    fn neumann_only<R: num_traits::Float + faer::traits::ComplexField>(
        n: usize,
        accuracy: usize,
        gauge: bool,
    ) -> Result<Array2<R>, GradientError> {
        let d = |axis: usize, m: usize| Operator::<R>::derivative(Axis(axis), m);
        let mut bc = BoundaryConditions::new()
            .neumann(s![0, ..], d(0, 1), R::zero())
            .neumann(s![-1, ..], d(0, 1), R::zero())
            .neumann(s![1..-1, 0], d(1, 1), R::zero())
            .neumann(s![1..-1, -1], d(1, 1), R::zero());
        if gauge {
            bc = bc.dirichlet(s![n / 2, n / 2], R::one());
        }
        let f = Array2::<R>::zeros((n, n));
        let h = R::one() / R::from(n - 1).unwrap();
        (d(0, 2) + d(1, 2)).solve(&f, &bc, &GradientOptions::new().accuracy(accuracy).spacing(h))
    }
    for n in [9, 40] {
        for accuracy in [2, 4] {
            let f64_err = neumann_only::<f64>(n, accuracy, false).unwrap_err();
            assert!(
                matches!(f64_err, GradientError::SingularSystem { rcond } if rcond < f64::EPSILON),
                "f64, n = {n}, accuracy {accuracy}: {f64_err:?}"
            );
            let f32_err = neumann_only::<f32>(n, accuracy, false).unwrap_err();
            assert!(
                matches!(f32_err, GradientError::SingularSystem { rcond } if rcond < f32::EPSILON as f64),
                "f32, n = {n}, accuracy {accuracy}: {f32_err:?}"
            );
        }
    }
    // Pinned at one point, the solution of Δu = 0 with zero fluxes is that constant.
    let u = neumann_only::<f64>(40, 2, true).unwrap();
    assert!(u.iter().all(|v| (v - 1.0).abs() < 1e-9), "{}", u[[0, 0]]);
    let err = neumann_only::<f64>(9, 2, false).unwrap_err();
    assert!(err.to_string().contains("give one point a Dirichlet value"), "{err}");
}

/// Every error of `matrix` reaches `solve`, for the operator and for a condition's operator.
#[test]
fn operator_errors_reach_solve() {
    let f = Array1::<f64>::zeros(8);
    let bc = BoundaryConditions::new().dirichlet(s![0], 0.0).dirichlet(s![-1], 0.0);
    assert_eq!(
        d(1, 2).solve(&f, &bc, &GradientOptions::new()).unwrap_err(),
        GradientError::AxisOutOfBounds { axis: 1, ndim: 1 }
    );
    let bad = BoundaryConditions::new()
        .dirichlet(s![0], 0.0)
        .neumann(s![-1], d(0, 1), 0.0);
    let short = Array1::<f64>::zeros(2);
    assert!(matches!(
        d(0, 2)
            .solve(&short, &bad, &GradientOptions::new().accuracy(4))
            .unwrap_err(),
        GradientError::AxisTooShort { axis: 0, .. }
    ));
}

/// The same problem solved twice is the same bits (faer runs without threads here).
#[test]
fn solving_is_deterministic() {
    let n = 33;
    let f = Array2::from_shape_fn((n, n), |(i, j)| ((i * 7 + j * 3) % 11) as f64 - 5.0);
    let bc = BoundaryConditions::new()
        .dirichlet(s![0, ..], 0.0)
        .dirichlet(s![-1, ..], 0.0)
        .neumann(s![1..-1, 0], d(1, 1), 1.0)
        .dirichlet(s![1..-1, -1], 0.0);
    let opts = GradientOptions::new().accuracy(4).spacing(1.0 / 32.0);
    let a = laplacian().solve(&f, &bc, &opts).unwrap();
    let b = laplacian().solve(&f, &bc, &opts).unwrap();
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
}

/// A problem factorised once solves any number of right-hand sides, each the same bits as a
/// solve from scratch; a right-hand side of another shape is refused.
#[test]
fn a_factorised_problem_solves_many_right_hand_sides() {
    let (n, m) = (24, 19);
    let bc = BoundaryConditions::new()
        .dirichlet(s![0, ..], 1.0)
        .dirichlet(s![-1, ..], 0.0)
        .neumann(s![1..-1, 0], d(1, 1), -0.5)
        .dirichlet(s![1..-1, -1], 0.0);
    let opts = GradientOptions::new().accuracy(4).spacing(0.05);
    let op = laplacian() - Operator::coefficient(3.0) * Operator::identity();
    let problem = op.boundary_value_problem(&[n, m], &bc, &opts).unwrap();
    assert_eq!(problem.shape(), &[n, m]);
    let rcond = problem.reciprocal_condition();
    assert!((f64::EPSILON..1.0).contains(&rcond), "{rcond}");
    assert_eq!(problem.matrix().nrows(), n * m);
    for seed in 0..3u64 {
        let f = Array2::from_shape_fn((n, m), |(i, j)| {
            ((i * 31 + j * 17 + seed as usize * 7) % 13) as f64 - 6.0
        });
        let again = problem.solve(&f).unwrap();
        let fresh = op.solve(&f, &bc, &opts).unwrap();
        assert!(
            again.iter().zip(&fresh).all(|(a, b)| a.to_bits() == b.to_bits()),
            "seed {seed}"
        );
        // The Dirichlet rows hold: u = 1 on the first row, whatever f is there.
        assert!(again.row(0).iter().all(|&u| (u - 1.0).abs() < 1e-12));
    }
    let err = problem.solve(&Array2::<f64>::zeros((m, n))).unwrap_err();
    assert_eq!(
        err,
        GradientError::BoundaryShape {
            condition: None,
            expected: vec![n, m],
            got: vec![m, n]
        }
    );
    assert!(
        err.to_string().starts_with("the right-hand side has shape [19, 24]"),
        "{err}"
    );
}

/// A grid without points solves to an empty array, and a condition can select nothing.
#[test]
fn empty_grids_and_selections() {
    let opts = GradientOptions::new();
    let bc = BoundaryConditions::new().dirichlet(s![0..0], 1.0);
    let u = Operator::<f64>::identity()
        .solve(&Array1::zeros(0), &bc, &opts)
        .unwrap();
    assert_eq!(u.len(), 0);
    let u = Operator::<f64>::identity()
        .solve(&Array2::zeros((3, 0)), &BoundaryConditions::new(), &opts)
        .unwrap();
    assert_eq!(u.shape(), &[3, 0]);
}

/// A value array is read by index, whatever its memory layout: a transposed view gives the
/// same solution as its standard-layout copy.
#[test]
fn value_arrays_of_any_layout() {
    let g = Array2::from_shape_fn((9, 9), |(i, j)| (i * 10 + j) as f64);
    let (view, copy) = (g.t(), g.t().to_owned());
    let opts = GradientOptions::new().accuracy(2);
    let solve = |bc: BoundaryConditions<'_, f64>| laplacian().solve(&Array2::zeros((9, 9)), &bc, &opts).unwrap();
    let a = solve(
        BoundaryConditions::new()
            .dirichlet(s![0, ..], BoundaryValue::Field(view.into_dyn()))
            .dirichlet(s![-1, ..], BoundaryValue::Field(view.into_dyn()))
            .dirichlet(s![1..-1, 0], BoundaryValue::Field(view.into_dyn()))
            .dirichlet(s![1..-1, -1], BoundaryValue::Field(view.into_dyn())),
    );
    let b = solve(
        BoundaryConditions::new()
            .dirichlet(s![0, ..], &copy)
            .dirichlet(s![-1, ..], &copy)
            .dirichlet(s![1..-1, 0], &copy)
            .dirichlet(s![1..-1, -1], &copy),
    );
    assert_eq!(a, b);
    assert_eq!(a[[0, 3]], 30.0);
}
