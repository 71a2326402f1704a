//! `Operator` (issue 17): findiff's operator algebra, checked against the crate's own calls
//! composed by hand (same bits: the operator runs the same stencils in the same order) and
//! every bad argument a typed error. findiff parity is in `findiff_operators.rs`.

use ndarray::{Array, Array1, Array2, Array3, ArrayD, Axis, Dimension, IxDyn, ShapeBuilder, array, s};
use ndarray_gradient::{
    ArrayGradientExt, Boundary, EdgeOrder, GradientError, GradientOptions, Operator, with_parallel_threshold,
};
use num_complex::Complex64;

fn same_bits<D: Dimension>(a: &Array<f64, D>, b: &Array<f64, D>) -> bool {
    a.shape() == b.shape() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn d<'a>(axis: usize, order: usize) -> Operator<'a, f64> {
    Operator::derivative(Axis(axis), order)
}

fn smooth3(shape: (usize, usize, usize)) -> Array3<f64> {
    Array3::from_shape_fn(shape, |(i, j, k)| {
        let (x, y, z) = (i as f64 * 0.05, j as f64 * 0.07, k as f64 * 0.03);
        (x * 1.3 + y).sin() * (z - y * 0.5).cos() + x * y * z
    })
}

/// The derivative of order `m` along `axis` with `opts`: one `gradient_axis_with` call.
fn partial<D: Dimension>(f: &Array<f64, D>, axis: usize, m: usize, opts: &GradientOptions<'_, f64>) -> Array<f64, D> {
    f.gradient_axis_with(Axis(axis), &opts.clone().axis_derivative(Axis(axis), m))
        .unwrap()
}

/// A mixed partial is the composition of the one-axis calls, bit for bit: blocked across the
/// outer axis (arrays large enough for several blocks) or not, in any layout, with every kind
/// of axis.
#[test]
fn mixed_partials_are_the_composed_calls() {
    let x1: Array1<f64> = Array1::from_shape_fn(60, |j| j as f64 * 0.07 + (j as f64 * 0.9).sin() * 0.02);
    let cases: Vec<(&str, GradientOptions<'_, f64>)> = vec![
        ("numpy edges", GradientOptions::new().spacing(0.3)),
        ("accuracy 2", GradientOptions::new().spacing(0.3).accuracy(2)),
        (
            "accuracy 6",
            GradientOptions::new().axis_spacing(Axis(0), 0.2).accuracy(6),
        ),
        (
            "coordinates inner",
            GradientOptions::new().coordinates(Axis(1), &x1).accuracy(4),
        ),
        ("periodic inner", GradientOptions::new().periodic(Axis(1)).accuracy(4)),
        ("periodic outer", GradientOptions::new().periodic(Axis(0)).accuracy(2)),
    ];
    // 300 planes of 60 × 40: several blocks across axis 0.
    let f = smooth3((300, 60, 40));
    for (name, opts) in &cases {
        for (outer, inner) in [(0, 1), (1, 0), (0, 2), (2, 1)] {
            let op = d(outer, 1) * d(inner, 1);
            let expected = partial(&partial(&f, inner, 1, opts), outer, 1, opts);
            let got = op.apply(&f, opts).unwrap();
            assert!(same_bits(&got, &expected), "{name}: ∂{outer}∂{inner}");
            // Fortran order and a strided view, and into an output of either order.
            let fo = {
                let mut a = Array3::zeros(f.raw_dim().f());
                a.assign(&f);
                a
            };
            assert!(same_bits(&op.apply(&fo, opts).unwrap(), &expected), "{name}: F order");
            let mut wide = Array3::zeros((300, 60, 80));
            wide.slice_mut(s![.., .., ..;2]).assign(&f);
            assert!(
                same_bits(&op.apply(&wide.slice(s![.., .., ..;2]), opts).unwrap(), &expected),
                "{name}: strided"
            );
            let mut out = Array3::from_elem(f.raw_dim().f(), f64::NAN);
            op.apply_into(&f, opts, &mut out).unwrap();
            assert!(
                same_bits(&out.as_standard_layout().to_owned(), &expected),
                "{name}: into"
            );
        }
    }
    // Orders above one and three factors.
    let opts = GradientOptions::new().spacing(0.5).accuracy(4);
    let expected = partial(&partial(&f, 1, 1, &opts), 0, 2, &opts);
    assert!(same_bits(&(d(0, 2) * d(1, 1)).apply(&f, &opts).unwrap(), &expected));
    let expected = partial(&partial(&partial(&f, 2, 1, &opts), 1, 1, &opts), 0, 1, &opts);
    assert!(same_bits(
        &(d(0, 1) * d(1, 1) * d(2, 1)).apply(&f, &opts).unwrap(),
        &expected
    ));
    // The outer axis again inside (not blocked): ∂0 ∂1 ∂0.
    let expected = partial(&partial(&partial(&f, 0, 1, &opts), 1, 1, &opts), 0, 1, &opts);
    assert!(same_bits(
        &(d(0, 1) * d(1, 1) * d(0, 1)).apply(&f, &opts).unwrap(),
        &expected
    ));
}

/// A 2-D mixed partial over many steps of a long axis, and short axes down to the stencil's
/// minimum, where one step reads the whole axis; in both memory orders and both orders of the
/// factors, so that the array is cut across the outer derivative's axis or across the first
/// derivative's (whose slabs read the input beyond them); on one thread (every step slides on
/// from the one before, keeping the planes it still needs) and split across threads (each
/// piece starts its own).
#[test]
fn mixed_partials_of_long_and_short_axes() {
    // NumPy's central differences (a spacing whose reciprocal is exact, one whose is not, and
    // second-order edges) take the fused walk in C order (`kernel::mixed`) and the steps in F
    // order.
    for (threads, opts) in [
        ("one thread", GradientOptions::new().accuracy(4)),
        ("one thread, accuracy 8", GradientOptions::new().accuracy(8)),
        ("split", GradientOptions::new().accuracy(4)),
        ("one thread, central differences", GradientOptions::new().spacing(0.3)),
        ("split, central differences", GradientOptions::new().spacing(0.5)),
        (
            "split, central differences, second-order edges",
            GradientOptions::new().spacing(0.3).edge_order(EdgeOrder::Second),
        ),
    ] {
        let threshold = if threads.starts_with("split") { 0 } else { usize::MAX };
        with_parallel_threshold(threshold, || mixed_partials_of_shapes(&opts, threads));
    }
}

fn mixed_partials_of_shapes(opts: &GradientOptions<'_, f64>, threads: &str) {
    let opts = opts.clone();
    for shape in [(20_000, 40), (40, 20_000), (6, 6), (6, 300), (1000, 6), (12, 12)] {
        if threads.contains("accuracy 8") && shape.0.min(shape.1) < 12 {
            continue; // shorter than the stencil
        }
        let f = Array2::from_shape_fn(shape, |(i, j)| ((i * 31 + j * 17) % 23) as f64 - 0.5 * j as f64);
        let fortran = {
            let mut a = Array2::zeros(f.raw_dim().f());
            a.assign(&f);
            a
        };
        for (outer, inner) in [(0, 1), (1, 0)] {
            let expected = partial(&partial(&f, inner, 1, &opts), outer, 1, &opts);
            let op = d(outer, 1) * d(inner, 1);
            assert!(
                same_bits(&op.apply(&f, &opts).unwrap(), &expected),
                "{shape:?} ∂{outer}∂{inner}, {threads}"
            );
            assert!(
                same_bits(&op.apply(&fortran, &opts).unwrap(), &expected),
                "{shape:?} ∂{outer}∂{inner} F order, {threads}"
            );
        }
    }
}

/// Adjacent derivatives along one axis merge into one stencil of the summed order (findiff's
/// `Diff(0) * Diff(0)` is `Diff(0)**2`), not two first derivatives.
#[test]
fn same_axis_products_merge() {
    let f = Array1::from_shape_fn(40, |i| (i as f64 * 0.2).sin());
    let opts = GradientOptions::new().accuracy(4);
    let merged = (d(0, 1) * d(0, 1)).apply(&f, &opts).unwrap();
    assert!(same_bits(&merged, &partial(&f, 0, 2, &opts)));
    assert!(!same_bits(&merged, &partial(&partial(&f, 0, 1, &opts), 0, 1, &opts)));
}

/// Every derivative order (1 to `MAX_DERIVATIVE`) with every kind of axis: the operator's
/// derivative is the one-axis call of that order, bit for bit, and a number times it (`c * op`,
/// `op * c`) is that call scaled.
#[test]
fn every_order_is_the_one_axis_call() {
    let f = Array2::from_shape_fn((41, 37), |(i, j)| {
        ((i as f64) * 0.11).sin() * (1.0 + (j as f64 * 0.07).powi(2))
    });
    let x1 = Array1::from_shape_fn(37, |j| j as f64 * 0.2 + 0.03 * (j as f64 * 0.9).sin());
    for m in 1..=ndarray_gradient::MAX_DERIVATIVE {
        for opts in [
            GradientOptions::new().accuracy(2).spacing(0.3),
            GradientOptions::new().accuracy(4).coordinates(Axis(1), &x1),
            GradientOptions::new().accuracy(6).periodic(Axis(0)),
        ] {
            for axis in 0..2 {
                let expected = partial(&f, axis, m, &opts);
                assert!(
                    same_bits(&d(axis, m).apply(&f, &opts).unwrap(), &expected),
                    "order {m}, axis {axis}"
                );
                let scaled = expected.mapv(|v| 2.5 * v);
                assert!(same_bits(&(2.5 * d(axis, m)).apply(&f, &opts).unwrap(), &scaled));
                // op * c scales the input first: the same value up to rounding, so only the
                // composition's own bits are asserted.
                let prescaled = partial(&f.mapv(|v| v * 0.5), axis, m, &opts);
                assert!(same_bits(&(d(axis, m) * 0.5).apply(&f, &opts).unwrap(), &prescaled));
            }
        }
    }
    // f32 operators take f32 numbers on the right (2·f then the difference: exact, a power of
    // two), and a literal on the left of an operator whose type is not known yet is an f64.
    let g = f.mapv(|v| v as f32);
    let op = Operator::derivative(Axis(0), 1) * 2.0_f32;
    let plain = g.gradient_axis(Axis(0)).unwrap();
    assert_eq!(op.apply(&g, &GradientOptions::new()).unwrap(), plain.mapv(|v| 2.0 * v));
    let untyped = 0.5 * Operator::derivative(Axis(1), 1);
    assert!(same_bits(
        &untyped.apply(&f, &GradientOptions::new()).unwrap(),
        &f.gradient_axis(Axis(1)).unwrap().mapv(|v| 0.5 * v)
    ));
}

/// Sums, differences and negation add the terms left to right, as the separate calls would
/// be added; a sum of plain derivatives (one kernel pass) and the general evaluation agree.
#[test]
fn sums_are_the_terms_added_in_order() {
    let f = smooth3((30, 20, 25));
    let opts = GradientOptions::new().spacing(0.25).accuracy(4).periodic(Axis(2));
    let (a, b, c) = (
        partial(&f, 0, 2, &opts),
        partial(&f, 1, 1, &opts),
        partial(&f, 2, 3, &opts),
    );
    let expected = (&a - &b) + &c;
    let op = d(0, 2) - d(1, 1) + d(2, 3);
    assert!(same_bits(&op.apply(&f, &opts).unwrap(), &expected));
    // The same sum through the general path (an identity term times zero forces it).
    let general = d(0, 2) - d(1, 1) + d(2, 3) + Operator::coefficient(0.0) * Operator::identity();
    assert!(same_bits(&general.apply(&f, &opts).unwrap(), &(&expected + 0.0)));
    // Negation: -(∂0²) - ∂1 is (-a) - b.
    let neg = (-d(0, 2) - d(1, 1)).apply(&f, &opts).unwrap();
    assert!(same_bits(&neg, &(&a.mapv(|v| -v) - &b)));
    // The Laplacian as an operator is the Laplacian, bit for bit.
    let lap = (d(0, 2) + d(1, 2) + d(2, 2)).apply(&f, &opts).unwrap();
    assert!(same_bits(&lap, &f.laplacian(&opts).unwrap()));
}

/// A sum of constants times derivatives (`Coef(c) * Diff(k)`, the terms of a directional
/// derivative) runs as one sum pass: each term `c * ∂f` then added in order, the bits of the
/// separate calls scaled and added, on every walk of the sum (rows of a C-ordered array, slabs
/// of an F-ordered or strided one, split across threads or not, one term alone).
#[test]
fn constant_times_derivative_terms_are_one_pass() {
    let f = smooth3((30, 20, 25));
    let mut fo = Array3::zeros(f.raw_dim().f());
    fo.assign(&f);
    let strided = f.slice(s![..;2, .., 1..]).to_owned();
    let strided_view = f.slice(s![..;2, .., 1..]);
    // (coefficient, axis, order, subtracted)
    let cases: [&[(f64, usize, usize, bool)]; 4] = [
        &[(0.6, 0, 1, false), (0.8, 1, 1, false), (-1.5, 2, 1, true)],
        &[(2.5, 1, 2, false)],
        &[(1.0, 0, 1, false), (0.25, 2, 2, false), (3.0, 1, 1, true)],
        &[(0.3, 0, 1, false), (-0.7, 1, 1, false), (0.1, 2, 1, false)],
    ];
    for opts in [
        GradientOptions::new().accuracy(2).spacing(0.3),
        GradientOptions::new().accuracy(4).periodic(Axis(2)),
        GradientOptions::new(),
    ] {
        for terms in cases {
            let op = terms
                .iter()
                .map(|&(c, k, m, sub)| (c * d(k, m), sub))
                .reduce(|(a, _), (b, sub)| (if sub { a - b } else { a + b }, false))
                .unwrap()
                .0;
            let expected = |f: &Array3<f64>| {
                terms
                    .iter()
                    .fold(None, |acc: Option<Array3<f64>>, &(c, k, m, sub)| {
                        let t = partial(f, k, m, &opts).mapv(|v| c * v);
                        Some(match acc {
                            None => t,
                            Some(a) if sub => a - &t,
                            Some(a) => a + &t,
                        })
                    })
                    .unwrap()
            };
            for (name, input, want) in [
                ("C", &f, expected(&f)),
                ("F", &fo, expected(&fo)),
                ("strided", &strided, expected(&strided)),
            ] {
                for threshold in [usize::MAX, 1 << 10] {
                    let got = with_parallel_threshold(threshold, || op.apply(input, &opts)).unwrap();
                    assert!(same_bits(&got, &want), "{name}, {terms:?}, threshold {threshold}");
                }
            }
            // A strided view of the input, and into an existing array.
            let got = op.apply(&strided_view, &opts).unwrap();
            assert!(same_bits(&got, &expected(&strided)), "strided view, {terms:?}");
            let mut out = Array3::from_elem(f.raw_dim(), f64::NAN);
            op.apply_into(&f, &opts, &mut out).unwrap();
            assert!(same_bits(&out, &expected(&f)), "into, {terms:?}");
        }
    }
    // The directional derivative is the same sum.
    let opts = GradientOptions::new().accuracy(2);
    let v = [0.3, -0.7, 0.1];
    let got = Operator::directional(&v).apply(&f, &opts).unwrap();
    let want = (partial(&f, 0, 1, &opts).mapv(|x| 0.3 * x) + &partial(&f, 1, 1, &opts).mapv(|x| -0.7 * x))
        + &partial(&f, 2, 1, &opts).mapv(|x| 0.1 * x);
    assert!(same_bits(&got, &want));
}

/// Coefficients multiply the value they are applied to, `c * value` as findiff's `Coef(c) *`
/// (NumPy's `c * array`), before or between derivatives (the flux form `∂0 (a ∂1 f)`).
#[test]
fn coefficients_multiply_pointwise() {
    let f = Array2::from_shape_fn((24, 18), |(i, j)| ((i as f64) * 0.3).cos() + (j as f64 * 0.2).powi(2));
    let a = Array2::from_shape_fn((24, 18), |(i, j)| 1.0 + 0.1 * i as f64 - 0.03 * j as f64);
    let opts = GradientOptions::new().accuracy(2).spacing(0.1);
    // Coef(a) * Diff(0)**2 + Diff(1) + Identity
    let op = Operator::field(a.view()) * d(0, 2) + d(1, 1) + Operator::identity();
    let expected = (&a * &partial(&f, 0, 2, &opts) + &partial(&f, 1, 1, &opts)) + &f;
    assert!(same_bits(&op.apply(&f, &opts).unwrap(), &expected));
    // Coef(2.5) * Diff(0) - Diff(1)**2
    let op = Operator::coefficient(2.5) * d(0, 1) - d(1, 2);
    let expected = partial(&f, 0, 1, &opts).mapv(|v| 2.5 * v) - partial(&f, 1, 2, &opts);
    assert!(same_bits(&op.apply(&f, &opts).unwrap(), &expected));
    // Diff(0) * Coef(a) * Diff(1): the flux form
    let op = d(0, 1) * Operator::field(a.view()) * d(1, 1);
    let expected = partial(&(&a * &partial(&f, 1, 1, &opts)), 0, 1, &opts);
    assert!(same_bits(&op.apply(&f, &opts).unwrap(), &expected));
    // An owned coefficient array, and a coefficient of a product of sums distributed.
    let op = Operator::field(a.clone()) * (d(0, 1) + d(1, 1));
    let expected = &a * &partial(&f, 0, 1, &opts) + &a * &partial(&f, 1, 1, &opts);
    assert!(same_bits(&op.apply(&f, &opts).unwrap(), &expected));
}

/// Integer and complex inputs: integers are read as `f64` (as the gradient reads them), and a
/// complex mixed partial is the composed complex calls.
#[test]
fn integer_and_complex_inputs() {
    let fi = Array2::from_shape_fn((9, 11), |(i, j)| (i * i * j) as i32 - 40);
    let ff = fi.mapv(f64::from);
    let fc = Array2::from_shape_fn((9, 11), |(i, j)| Complex64::new(i as f64 * 0.5, (j * i) as f64));
    // Accuracy 4 (the steps), and NumPy's central differences (the fused walk).
    for opts in [GradientOptions::new().accuracy(4), GradientOptions::new().spacing(0.3)] {
        let op = d(0, 1) * d(1, 1) + Operator::identity();
        assert!(same_bits(
            &op.apply(&fi, &opts).unwrap(),
            &op.apply(&ff, &opts).unwrap()
        ));
        assert!(same_bits(
            &(d(0, 1) * d(1, 1)).apply(&fi, &opts).unwrap(),
            &partial(&partial(&ff, 1, 1, &opts), 0, 1, &opts)
        ));
        let got = (d(0, 1) * d(1, 1)).apply(&fc, &opts).unwrap();
        let inner = fc.gradient_axis_with(Axis(1), &opts).unwrap();
        let expected = inner.gradient_axis_with(Axis(0), &opts).unwrap();
        assert!(
            got.iter()
                .zip(&expected)
                .all(|(x, y)| x.re.to_bits() == y.re.to_bits() && x.im.to_bits() == y.im.to_bits())
        );
    }
}

/// Every bad argument is a typed error naming what to fix, and `apply_into` leaves its output
/// unchanged on error.
#[test]
fn bad_arguments_are_errors() {
    let f = Array2::from_shape_fn((6, 7), |(i, j)| (i + j) as f64);
    let opts = GradientOptions::new();
    let wrong = Array1::<f64>::zeros(7);
    let cases: Vec<(Operator<'_, f64>, GradientOptions<'_, f64>, GradientError)> = vec![
        (
            d(2, 1),
            opts.clone(),
            GradientError::AxisOutOfBounds { axis: 2, ndim: 2 },
        ),
        (
            d(0, 0),
            opts.clone(),
            GradientError::InvalidDerivative { derivative: 0 },
        ),
        (
            d(0, 1) * d(1, 9),
            opts.clone(),
            GradientError::InvalidDerivative { derivative: 9 },
        ),
        (
            d(0, 1) + Operator::field(wrong.view()) * d(1, 1),
            opts.clone(),
            GradientError::CoefficientShape {
                term: 1,
                expected: vec![6, 7],
                got: vec![7],
            },
        ),
        (
            d(0, 1),
            opts.clone().axes([Axis(1)]),
            GradientError::ConflictingOptions {
                axis: 1,
                option: "axes",
                with: "operator",
            },
        ),
        (
            d(0, 1),
            opts.clone().axis_derivative(Axis(1), 2),
            GradientError::ConflictingOptions {
                axis: 1,
                option: "derivative",
                with: "operator",
            },
        ),
        (
            d(1, 2),
            opts.clone().edge_order(ndarray_gradient::EdgeOrder::Second),
            GradientError::ConflictingOptions {
                axis: 1,
                option: "edge_order",
                with: "operator",
            },
        ),
        (
            d(0, 1) * d(1, 1),
            opts.clone().accuracy(8),
            GradientError::AxisTooShort {
                axis: 0,
                len: 6,
                min: 12,
            },
        ),
        (
            d(1, 1),
            opts.clone()
                .axis_boundary(Axis(1), Boundary::Periodic)
                .coordinates(Axis(1), array![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
            GradientError::PeriodRequired { axis: 1 },
        ),
    ];
    for (op, opts, expected) in cases {
        let err = op.apply(&f, &opts).unwrap_err();
        assert_eq!(err, expected, "{op:?}");
        assert!(!err.to_string().is_empty());
        let mut out = Array2::from_elem((6, 7), 3.5);
        assert_eq!(op.apply_into(&f, &opts, &mut out).unwrap_err(), expected);
        assert!(out.iter().all(|&v| v == 3.5));
    }
    let mut out = Array2::from_elem((7, 6), 3.5);
    assert_eq!(
        d(0, 1).apply_into(&f, &opts, &mut out).unwrap_err(),
        GradientError::OutputShape {
            output: None,
            axis: None,
            expected: vec![6, 7],
            got: vec![7, 6]
        }
    );
    let zero_d = ArrayD::<f64>::zeros(IxDyn(&[]));
    assert_eq!(
        Operator::identity().apply(&zero_d, &opts).unwrap_err(),
        GradientError::ZeroDimensional
    );
    let msg = GradientError::ConflictingOptions {
        axis: 1,
        option: "axes",
        with: "operator",
    }
    .to_string();
    assert!(msg.contains("remove axes"), "{msg}");
}

/// findiff 0.16 parity of operator expressions (mixed partials of every axis kind, sums with
/// scalar and array coefficients, flux forms), read from the fixtures that
/// `scripts/gen_findiff_operator_fixtures.py` wrote (its docstring has the key schema).
///
/// Each case holds findiff's result (`out`), the exact value of the same scheme (`exact`:
/// rational arithmetic with no rounding between the steps, rounded once) and `scale`, the
/// composed sum of `|w|` times the previous pass's scale (`|f|` for the first). This crate is
/// held to `exact` within `K * EPS * scale`, where `K` adds up, over the passes of every term,
/// the single-derivative allowance of `findiff_parity::tolerance_k` (`W + m + 4` for a stencil
/// of `W` terms and order `m`, plus `2 W + 16` on coordinates); one more per coefficient and per
/// added term. An error of `K₁ EPS scale₁` in one pass becomes at most `K₁ EPS Σ|w| scale₁ =
/// K₁ EPS scale₂` through the next, which is why the allowances add up. It is held to findiff's
/// `out` within `(K + fd_err) * EPS * scale`, `fd_err` being findiff's own measured error
/// (its weights come from a linear solve: up to 877 EPS * scale on these cases). Each case also
/// runs on a Fortran-ordered copy, which must give the same bits.
#[test]
fn findiff_parity_of_expressions() {
    use crate::fixture::Fixture;
    const EPS: f64 = f64::EPSILON;
    /// findiff 0.16's stencil width for derivative order m and accuracy p, the most terms of
    /// one point on a uniform (or periodic) axis and on a coordinate axis.
    fn terms(m: usize, p: usize, coordinates: bool) -> usize {
        let nc = 2 * m.div_ceil(2) - 1 + p;
        let nf = if m.is_multiple_of(2) { nc + 1 } else { nc };
        if coordinates {
            nf.max(2 * (nf / 2) + 1)
        } else {
            nf.max(nc)
        }
    }
    let mut fx = Fixture::open("findiff_operator_exprs.npz");
    let cases = fx.cases("nterms");
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let (mut worst_exact, mut worst_findiff) = (0.0f64, 0.0f64);
    for case in &cases {
        let key = |field: &str| format!("{case}__{field}");
        let f: ArrayD<f64> = fx.read(&key("f"));
        let p = fx.int(&key("acc")) as usize;
        let periodic: Vec<i64> = fx.read::<i64>(&key("periodic")).into_iter().collect();
        let mut coords = vec![false; f.ndim()];
        let mut opts = GradientOptions::new().accuracy(p);
        for k in 0..f.ndim() {
            if fx.has(&key(&format!("h{k}"))) {
                opts = opts.axis_spacing(Axis(k), fx.float(&key(&format!("h{k}"))));
            } else {
                let x: ArrayD<f64> = fx.read(&key(&format!("x{k}")));
                opts = opts.coordinates(Axis(k), x.into_dimensionality::<ndarray::Ix1>().unwrap());
                coords[k] = true;
            }
            if periodic[k] == 1 {
                opts = opts.periodic(Axis(k));
            }
        }
        let mut op: Option<Operator<'_, f64>> = None;
        let mut k_total = 0.0;
        for j in 0..fx.int(&key("nterms")) {
            let t = |field: &str| key(&format!("t{j}_{field}"));
            let factors: ArrayD<i64> = fx.read(&t("factors"));
            let factors: Vec<(usize, usize)> = factors.outer_iter().map(|r| (r[0] as usize, r[1] as usize)).collect();
            for &(axis, m) in &factors {
                let w = terms(m, p, coords[axis]);
                k_total += (w + m + 4) as f64 + if coords[axis] { (2 * w + 16) as f64 } else { 0.0 };
            }
            let derivative = |&(axis, m): &(usize, usize)| Operator::derivative(Axis(axis), m);
            let mut term = if fx.has(&t("inner_field")) {
                let a: ArrayD<f64> = fx.read(&t("inner_field"));
                k_total += 1.0;
                derivative(&factors[0]) * Operator::field(a) * derivative(&factors[1])
            } else {
                factors
                    .iter()
                    .map(derivative)
                    .reduce(|a, b| a * b)
                    .unwrap_or_else(Operator::identity)
            };
            if fx.has(&t("coef")) {
                term = Operator::coefficient(fx.float(&t("coef"))) * term;
                k_total += 1.0;
            } else if fx.has(&t("field")) {
                let a: ArrayD<f64> = fx.read(&t("field"));
                term = Operator::field(a) * term;
                k_total += 1.0;
            }
            let sign = fx.int(&t("sign"));
            op = Some(match op {
                None => {
                    assert_eq!(sign, 1, "{case}: the first term is added");
                    term
                }
                Some(sum) => {
                    k_total += 1.0;
                    if sign == 1 { sum + term } else { sum - term }
                }
            });
        }
        let op = op.expect("a term");
        let got = op.apply(&f, &opts).unwrap();
        let (exact, scale, out): (ArrayD<f64>, ArrayD<f64>, ArrayD<f64>) =
            (fx.read(&key("exact")), fx.read(&key("scale")), fx.read(&key("out")));
        let fd_err = fx.float(&key("fd_err"));
        for (i, (((g, e), s), o)) in got.iter().zip(&exact).zip(&scale).zip(&out).enumerate() {
            let unit = EPS * s.max(f64::MIN_POSITIVE);
            let (to_exact, to_findiff) = ((g - e).abs() / unit, (g - o).abs() / unit);
            assert!(
                to_exact <= k_total,
                "{case}[{i}]: {g} vs exact {e}: {to_exact} EPS*scale > K = {k_total}"
            );
            assert!(
                to_findiff <= k_total + fd_err,
                "{case}[{i}]: {g} vs findiff {o}: {to_findiff} EPS*scale > {k_total} + {fd_err}"
            );
            worst_exact = worst_exact.max(to_exact);
            worst_findiff = worst_findiff.max(to_findiff);
        }
        let mut fortran = ArrayD::zeros(f.raw_dim().f());
        fortran.assign(&f);
        assert!(
            same_bits(&op.apply(&fortran, &opts).unwrap(), &got),
            "{case}: Fortran order"
        );
    }
    // The measured worst is 1.66 EPS*scale (a float64 model of the scheme in the generator:
    // 1.7); `K` is far looser than that on wide stencils, so this catches a change of the
    // summation that `K` would let through.
    println!(
        "{} cases: worst {worst_exact:.2} EPS*scale from exact, {worst_findiff:.2} from findiff",
        cases.len()
    );
    assert!(worst_exact < 8.0, "worst {worst_exact} EPS*scale from the exact values");
}

/// The Hessian's entries are the second-derivative calls (diagonal) and the composed first
/// derivatives `∂ᵢ(∂ⱼ f)` (above it), bit for bit, on every kind of axis, in any layout; `get`
/// is symmetric; the axes of the options choose and order the rows.
#[test]
fn hessian_entries_are_the_composed_calls() {
    let f = smooth3((300, 30, 40));
    let x2 = Array1::from_shape_fn(40, |k| (k as f64 * 0.05).powf(1.3));
    let fo = {
        let mut a = Array3::zeros(f.raw_dim().f());
        a.assign(&f);
        a
    };
    for opts in [
        GradientOptions::new().spacing(0.2).accuracy(2),
        GradientOptions::new()
            .accuracy(4)
            .coordinates(Axis(2), &x2)
            .periodic(Axis(1)),
        GradientOptions::new().accuracy(6).periodic(Axis(0)),
        // Every axis wraps: entry by entry, no blocks.
        GradientOptions::new().accuracy(2).periodic_all(),
    ] {
        let h = f.hessian(&opts).unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(h.axes(), &[Axis(0), Axis(1), Axis(2)]);
        for i in 0..3 {
            for j in 0..3 {
                let expected = if i == j {
                    partial(&f, i, 2, &opts)
                } else {
                    let (a, b) = (i.min(j), i.max(j));
                    partial(&partial(&f, b, 1, &opts), a, 1, &opts)
                };
                assert!(same_bits(&h[(i, j)], &expected), "({i}, {j})");
                assert!(std::ptr::eq(h.get(i, j).unwrap(), &h[(i, j)]));
            }
        }
        // Out of range: no entry, not a panic.
        assert!(h.get(3, 0).is_none() && h.get(0, 3).is_none() && h.get(7, 9).is_none());
        assert_eq!(
            fo.hessian(&opts)
                .unwrap()
                .into_entries()
                .iter()
                .zip(h.clone().into_entries())
                .filter(|(a, b)| !same_bits(a, b))
                .count(),
            0
        );
        assert_eq!(h.into_entries().len(), 6);
    }
    // On one thread the same bits (the steps' buffers, and central differences fused from the
    // input); axes that leave out the outermost axis (the blocks are cut along an axis no entry
    // differentiates).
    for opts in [GradientOptions::new().accuracy(4), GradientOptions::new().spacing(0.3)] {
        let h = f.hessian(&opts).unwrap();
        let serial = ndarray_gradient::with_parallel_threshold(usize::MAX, || f.hessian(&opts)).unwrap();
        assert!(
            h.clone()
                .into_entries()
                .iter()
                .zip(serial.into_entries())
                .all(|(a, b)| same_bits(a, &b))
        );
    }
    let opts = GradientOptions::new().accuracy(4);
    let h = f.hessian(&opts.clone().axes([Axis(2), Axis(1)])).unwrap();
    assert!(same_bits(&h[(0, 1)], &partial(&partial(&f, 1, 1, &opts), 2, 1, &opts)));
    assert!(same_bits(&h[(1, 1)], &partial(&f, 1, 2, &opts)));
    // One axis: the one entry is the second derivative, and no mixed entry reads a first one.
    let line = Array1::from_shape_fn(50, |k| (k as f64 * 0.1).sin());
    let h = line.hessian(&opts).unwrap();
    assert_eq!(h.len(), 1);
    assert!(same_bits(&h[(0, 0)], &partial(&line, 0, 2, &opts)));
    // No axes: no entries (it panicked before, slicing the axes after the first).
    let none = f.hessian(&GradientOptions::new().axes([])).unwrap();
    assert!(none.is_empty() && none.axes().is_empty() && none.get(0, 0).is_none());
    // Two dimensions, central differences (the mixed entry fused).
    let plane = Array2::from_shape_fn((70, 45), |(i, j)| ((i * 13 + j * 7) % 17) as f64 * 0.3 - j as f64);
    let central = GradientOptions::new().spacing(0.7);
    let h = plane.hessian(&central).unwrap();
    assert!(same_bits(
        &h[(0, 1)],
        &partial(&partial(&plane, 1, 1, &central), 0, 1, &central)
    ));
    assert!(same_bits(&h[(1, 1)], &partial(&plane, 1, 2, &central)));
    // Axes [2, 0]: row 0 is axis 2, entry (0, 1) is ∂2(∂0 f).
    let opts = GradientOptions::new().accuracy(2).axes([Axis(2), Axis(0)]);
    let h = f.hessian(&opts).unwrap();
    assert_eq!(h.axes(), &[Axis(2), Axis(0)]);
    let plain = GradientOptions::new().accuracy(2);
    assert!(same_bits(
        &h[(1, 0)],
        &partial(&partial(&f, 0, 1, &plain), 2, 1, &plain)
    ));
    // The options that do not fit a Hessian.
    assert_eq!(
        f.hessian(&GradientOptions::new().derivative(2)).unwrap_err(),
        GradientError::ConflictingOptions {
            axis: 0,
            option: "derivative",
            with: "hessian"
        }
    );
    assert_eq!(
        f.hessian(&GradientOptions::new().edge_order(ndarray_gradient::EdgeOrder::Second))
            .unwrap_err(),
        GradientError::ConflictingOptions {
            axis: 0,
            option: "edge_order",
            with: "hessian"
        }
    );
    assert_eq!(
        Array1::<f64>::zeros(2).hessian(&GradientOptions::new()).unwrap_err(),
        GradientError::AxisTooShort {
            axis: 0,
            len: 2,
            min: 4
        }
    );
}

/// The fused gradient magnitude is `√(Σ g²)` of the gradient's arrays, the squares added in
/// axis order, bit for bit: on one thread or two, for wide stencils, coordinates and wrapping
/// axes, in any layout (contiguous ones through the rows: short rows of many points, rows
/// longer than a piece of the norm, short rows; strided ones through slabs), for integers and
/// `f32`, over a subset of axes.
#[test]
fn gradient_magnitude_is_the_gradient_combined() {
    fn combined<D: Dimension>(f: &Array<f64, D>, opts: &GradientOptions<'_, f64>) -> Array<f64, D> {
        let g = f.gradient_axes_with(opts).unwrap();
        let mut sum = g[0].mapv(|v| v * v);
        for gk in &g[1..] {
            sum.zip_mut_with(gk, |s, &v| *s += v * v);
        }
        sum.mapv(f64::sqrt)
    }
    for shape in [(300, 30, 40), (40, 30, 70), (20, 9, 1300)] {
        let f = smooth3(shape);
        let n0 = shape.0;
        let x0 = Array1::from_shape_fn(n0, |i| i as f64 * 0.01 + (i as f64).sin() * 0.002);
        let cases = [
            GradientOptions::new(),
            GradientOptions::new().accuracy(6).spacing(0.3),
            GradientOptions::new().coordinates(Axis(0), &x0).accuracy(4),
            GradientOptions::new().periodic(Axis(0)),
            GradientOptions::new().periodic_all(),
            GradientOptions::new()
                .axes([Axis(2), Axis(0)])
                .edge_order(ndarray_gradient::EdgeOrder::Second),
        ];
        let fo = {
            let mut a = Array3::zeros(f.raw_dim().f());
            a.assign(&f);
            a
        };
        for (c, opts) in cases.iter().enumerate() {
            let expected = combined(&f, opts);
            for threshold in [0, usize::MAX] {
                let got = ndarray_gradient::with_parallel_threshold(threshold, || f.gradient_magnitude(opts)).unwrap();
                assert!(same_bits(&got, &expected), "{shape:?} case {c}, threshold {threshold}");
            }
            assert!(
                same_bits(&fo.gradient_magnitude(opts).unwrap(), &expected),
                "{shape:?} case {c}: F order"
            );
            // A strided view (coordinates of the whole axis 0 do not fit it).
            if c != 2 {
                let strided = f.slice(s![..;2, .., ..]);
                let expected = combined(&strided.to_owned(), opts);
                assert!(
                    same_bits(&strided.gradient_magnitude(opts).unwrap(), &expected),
                    "{shape:?} case {c}: strided"
                );
            }
        }
    }
    let f = smooth3((300, 30, 40));
    // Integers read as f64; f32 in f32.
    let fi = Array2::from_shape_fn((70, 90), |(i, j)| (i * j % 17) as i16 - 8);
    let ff = fi.mapv(f64::from);
    assert!(same_bits(
        &fi.gradient_magnitude(&GradientOptions::new()).unwrap(),
        &combined(&ff, &GradientOptions::new())
    ));
    let f32s = Array2::from_shape_fn((70, 90), |(i, j)| (i as f32 * 0.1).sin() * j as f32);
    let [g0, g1] = f32s.gradient().unwrap();
    let expected = (&g0 * &g0 + &g1 * &g1).mapv(f32::sqrt);
    assert_eq!(f32s.gradient_magnitude(&GradientOptions::new()).unwrap(), expected);
    // Four axes: the squares added one axis at a time.
    let f4 = ndarray::Array4::from_shape_fn((9, 8, 7, 6), |(i, j, k, l)| ((i * j + k * l) as f64 * 0.3).sin());
    assert!(same_bits(
        &f4.gradient_magnitude(&GradientOptions::new()).unwrap(),
        &combined(&f4, &GradientOptions::new())
    ));
    // No axes: the square root of an empty sum.
    let none = f.gradient_magnitude(&GradientOptions::new().axes([])).unwrap();
    assert!(none.iter().all(|&v| v == 0.0) && none.shape() == f.shape());
    assert_eq!(
        f.gradient_magnitude(&GradientOptions::new().axes([Axis(3)]))
            .unwrap_err(),
        GradientError::AxisOutOfBounds { axis: 3, ndim: 3 }
    );
}

/// The Jacobian's row `c` is the gradient of component `c` with the same options (spatial axis
/// numbers), bit for bit, in any layout; the options' axes choose and order the columns.
#[test]
fn jacobian_rows_are_the_components_gradients() {
    let field = ndarray::Array4::from_shape_fn((3, 20, 15, 12), |(c, i, j, k)| {
        ((c + 1) as f64 * i as f64 * 0.1).sin() + (j * k) as f64 * 0.01 * (c as f64 - 1.0)
    });
    let x1 = Array1::from_shape_fn(15, |j| (j as f64 * 0.2).powf(1.1));
    let fortran = {
        let mut a = ndarray::Array4::zeros(field.raw_dim().f());
        a.assign(&field);
        a
    };
    for opts in [
        GradientOptions::new(),
        GradientOptions::new()
            .accuracy(4)
            .coordinates(Axis(1), &x1)
            .periodic(Axis(2)),
        GradientOptions::new()
            .axes([Axis(2), Axis(0)])
            .axis_spacing(Axis(0), 0.25),
    ] {
        for f in [&field, &fortran] {
            let j = f.jacobian(&opts).unwrap();
            for c in 0..3 {
                let g = field.index_axis(Axis(0), c).gradient_axes_with(&opts).unwrap();
                assert_eq!(j.shape()[1], g.len());
                for (k, gk) in g.iter().enumerate() {
                    assert!(same_bits(&j.slice(s![c, k, .., .., ..]).to_owned(), gk), "J[{c}, {k}]");
                }
            }
        }
    }
    assert_eq!(
        field.jacobian(&GradientOptions::new().derivative(2)).unwrap_err(),
        GradientError::ConflictingOptions {
            axis: 0,
            option: "derivative",
            with: "jacobian"
        }
    );
    assert_eq!(
        field.jacobian(&GradientOptions::new().axes([Axis(3)])).unwrap_err(),
        GradientError::AxisOutOfBounds { axis: 3, ndim: 3 }
    );
}

/// Merged orders that would overflow saturate and are refused by `apply` (the fuzz target found
/// `usize::MAX + 2` wrapping to a first derivative).
#[test]
fn merged_orders_never_wrap() {
    let f = array![1.0, 2.0, 4.0, 7.0, 11.0];
    let op = d(0, usize::MAX) * d(0, 2);
    assert_eq!(
        op.apply(&f, &GradientOptions::new()).unwrap_err(),
        GradientError::InvalidDerivative { derivative: usize::MAX }
    );
}
