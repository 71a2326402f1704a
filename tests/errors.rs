//! Every `GradientError` variant: which call produces it, with which fields, and what its message
//! says. Also the inputs that look suspicious but are valid (empty or size-1 axes that are not
//! differentiated, `diff` with `n >= len`), and that `_into` outputs survive a failed call.

use std::error::Error;

use ndarray::prelude::*;
use ndarray_gradient::{ArrayGradientExt, EdgeOrder, GradientError, GradientOptions, Pad, PadSide, Spacing};

/// Asserts that the error's message contains every one of `parts`.
fn assert_message_has(err: &GradientError, parts: &[&str]) {
    let msg = err.to_string();
    for part in parts {
        assert!(msg.contains(part), "message {msg:?} does not mention {part:?}");
    }
}

/// A value no computation in this file produces, to detect writes into `_into` outputs.
const UNTOUCHED: f64 = -7.25;

fn f23() -> Array2<f64> {
    array![[1.0, 2.0, 4.0], [2.0, 5.0, 9.0]]
}

// ---------------------------------------------------------------------------------------------
// AxisOutOfBounds

#[test]
fn gradient_axis_out_of_bounds() {
    let err = f23().gradient_axis(Axis(2)).unwrap_err();
    assert_eq!(err, GradientError::AxisOutOfBounds { axis: 2, ndim: 2 });
    assert_message_has(&err, &["axis 2", "dimension 2"]);
}

#[test]
fn gradient_with_axes_out_of_bounds() {
    let opts = GradientOptions::new().axes([Axis(0), Axis(3)]);
    let err = f23().gradient_with(&opts).unwrap_err();
    assert_eq!(err, GradientError::AxisOutOfBounds { axis: 3, ndim: 2 });
    assert_message_has(&err, &["axis 3", "dimension 2"]);
}

#[test]
fn spacing_for_a_missing_axis_is_out_of_bounds() {
    let opts = GradientOptions::new().axis_spacing(Axis(5), 1.0);
    let err = f23().gradient_with(&opts).unwrap_err();
    assert_eq!(err, GradientError::AxisOutOfBounds { axis: 5, ndim: 2 });
    assert_message_has(&err, &["axis 5", "dimension 2"]);

    // Also when only another axis is differentiated, and for coordinates.
    let x = array![0.0, 1.0, 2.0];
    let opts = GradientOptions::new().coordinates(Axis(2), &x);
    let err = f23().gradient_axis_with(Axis(1), &opts).unwrap_err();
    assert_eq!(err, GradientError::AxisOutOfBounds { axis: 2, ndim: 2 });
}

#[test]
fn diff_axis_out_of_bounds() {
    let a = array![1, 2, 4];
    let err = a.diff(1, Axis(1)).unwrap_err();
    assert_eq!(err, GradientError::AxisOutOfBounds { axis: 1, ndim: 1 });
    assert_message_has(&err, &["axis 1", "dimension 1"]);

    // n == 0 does not skip the check (unlike NumPy, which returns `a` unvalidated).
    let err = a.diff(0, Axis(4)).unwrap_err();
    assert_eq!(err, GradientError::AxisOutOfBounds { axis: 4, ndim: 1 });
    let err = a.diff_with(1, Axis(1), Some(Pad::Scalar(0)), None).unwrap_err();
    assert_eq!(err, GradientError::AxisOutOfBounds { axis: 1, ndim: 1 });
}

#[test]
fn diff_into_axis_out_of_bounds() {
    let mut out = Array2::from_elem((2, 3), UNTOUCHED);
    let err = f23().diff_into(1, Axis(2), &mut out).unwrap_err();
    assert_eq!(err, GradientError::AxisOutOfBounds { axis: 2, ndim: 2 });
    assert_message_has(&err, &["axis 2", "dimension 2"]);
    assert!(out.iter().all(|&v| v == UNTOUCHED));
}

#[test]
fn gradient_axis_into_axis_out_of_bounds() {
    let mut out = Array2::from_elem((2, 3), UNTOUCHED);
    let err = f23()
        .gradient_axis_into(Axis(7), &GradientOptions::new(), &mut out)
        .unwrap_err();
    assert_eq!(err, GradientError::AxisOutOfBounds { axis: 7, ndim: 2 });
    assert_message_has(&err, &["axis 7", "dimension 2"]);
    assert!(out.iter().all(|&v| v == UNTOUCHED));
}

// ---------------------------------------------------------------------------------------------
// RepeatedAxis

#[test]
fn repeated_axis() {
    let opts = GradientOptions::new().axes([Axis(1), Axis(0), Axis(1)]);
    let err = f23().gradient_with(&opts).unwrap_err();
    assert_eq!(err, GradientError::RepeatedAxis { axis: 1 });
    assert_message_has(&err, &["axis 1"]);

    let (mut g0, mut g1, mut g2) = (f23(), f23(), f23());
    let err = f23()
        .gradient_into(&opts, &mut [&mut g0, &mut g1, &mut g2])
        .unwrap_err();
    assert_eq!(err, GradientError::RepeatedAxis { axis: 1 });
    assert_eq!((g0, g1, g2), (f23(), f23(), f23()));
}

// ---------------------------------------------------------------------------------------------
// AxisTooShort

#[test]
fn edge_order_one_needs_two_points() {
    let err = array![5.0].gradient_axis(Axis(0)).unwrap_err();
    assert_eq!(
        err,
        GradientError::AxisTooShort {
            axis: 0,
            len: 1,
            min: 2
        }
    );
    assert_message_has(&err, &["axis 0", "has 1 point,", "at least 2"]);
    assert!(!err.to_string().contains("1 points"), "{err}");
}

#[test]
fn edge_order_two_needs_three_points() {
    let f = array![[1.0, 2.0], [3.0, 5.0], [4.0, 9.0]];
    let opts = GradientOptions::new().edge_order(EdgeOrder::Second);
    let err = f.gradient_axis_with(Axis(1), &opts).unwrap_err();
    assert_eq!(
        err,
        GradientError::AxisTooShort {
            axis: 1,
            len: 2,
            min: 3
        }
    );
    assert_message_has(&err, &["axis 1", "2 points", "at least 3"]);
    // The same length is enough for edge order 1.
    assert!(f.gradient_axis(Axis(1)).is_ok());
}

#[test]
fn zero_length_axis_is_too_short() {
    let f = Array2::<f64>::zeros((3, 0));
    let err = f.gradient_axis(Axis(1)).unwrap_err();
    assert_eq!(
        err,
        GradientError::AxisTooShort {
            axis: 1,
            len: 0,
            min: 2
        }
    );
    assert_message_has(&err, &["axis 1", "0 points", "at least 2"]);
}

#[test]
fn all_axes_fail_on_the_short_one() {
    let f = array![[1.0], [2.0], [4.0]]; // shape (3, 1)
    let err = f.gradient().unwrap_err();
    assert_eq!(
        err,
        GradientError::AxisTooShort {
            axis: 1,
            len: 1,
            min: 2
        }
    );
    assert_message_has(&err, &["axis 1", "has 1 point,", "at least 2"]);

    // Every argument is checked before any output is written: axis 0 could be computed, but
    // its output stays untouched.
    let mut g0 = Array2::from_elem((3, 1), UNTOUCHED);
    let mut g1 = Array2::from_elem((3, 1), UNTOUCHED);
    let err = f
        .gradient_into(&GradientOptions::new(), &mut [&mut g0, &mut g1])
        .unwrap_err();
    assert_eq!(
        err,
        GradientError::AxisTooShort {
            axis: 1,
            len: 1,
            min: 2
        }
    );
    assert!(g0.iter().chain(&g1).all(|&v| v == UNTOUCHED));
}

#[test]
fn short_coordinates_report_the_short_axis() {
    // NumPy raises IndexError from `diffx[0]` here; this crate reports the real problem.
    let f = array![3.0];
    let x = array![1.0];
    let opts = GradientOptions::new().coordinates(Axis(0), &x);
    let err = f.gradient_axis_with(Axis(0), &opts).unwrap_err();
    assert_eq!(
        err,
        GradientError::AxisTooShort {
            axis: 0,
            len: 1,
            min: 2
        }
    );
}

// ---------------------------------------------------------------------------------------------
// CoordinatesLength

#[test]
fn coordinates_of_the_wrong_length() {
    let x = array![0.0, 1.0, 2.0, 3.0];
    let opts = GradientOptions::new().coordinates(Axis(1), &x);
    let err = f23().gradient_with(&opts).unwrap_err();
    assert_eq!(
        err,
        GradientError::CoordinatesLength {
            axis: 1,
            expected: 3,
            got: 4
        }
    );
    assert_message_has(&err, &["axis 1", "4 values", "3 points"]);

    let short = array![0.0, 1.0];
    let opts = GradientOptions::new().coordinates(Axis(1), &short);
    let err = f23().gradient_axis_with(Axis(1), &opts).unwrap_err();
    assert_eq!(
        err,
        GradientError::CoordinatesLength {
            axis: 1,
            expected: 3,
            got: 2
        }
    );
}

// ---------------------------------------------------------------------------------------------
// InvalidSpacing

#[test]
fn zero_and_infinite_spacing_are_invalid() {
    let f = array![1.0, 2.0, 4.0];
    for h in [0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY] {
        let err = f.gradient_with(&GradientOptions::new().spacing(h)).unwrap_err();
        assert_eq!(err, GradientError::InvalidSpacing { axis: 0, spacing: h });
        let shown = h.to_string(); // "0", "-0", "inf", "-inf"
        assert_message_has(&err, &["axis 0", &shown]);
    }
}

#[test]
fn nan_spacing_is_invalid() {
    let f = array![[1.0, 2.0], [4.0, 8.0]];
    let opts = GradientOptions::new().axis_spacing(Axis(1), Spacing::Uniform(f64::NAN));
    let err = f.gradient_with(&opts).unwrap_err();
    assert!(
        matches!(err, GradientError::InvalidSpacing { axis: 1, spacing } if spacing.is_nan()),
        "{err:?}"
    );
    // The spacing is compared by bits, so the error equals itself and its clone.
    assert_eq!(err, err.clone());
    assert_eq!(
        err,
        GradientError::InvalidSpacing {
            axis: 1,
            spacing: f64::NAN
        }
    );
    assert_message_has(&err, &["axis 1", "NaN"]);
}

#[test]
fn spacing_of_an_axis_not_differentiated_is_still_checked() {
    // NumPy cannot express this; here every spacing given is validated.
    let opts = GradientOptions::new().axis_spacing(Axis(1), 0.0);
    let err = f23().gradient_axis_with(Axis(0), &opts).unwrap_err();
    assert_eq!(err, GradientError::InvalidSpacing { axis: 1, spacing: 0.0 });
    let x = array![0.0, 2.0, 1.0];
    let opts = GradientOptions::new().coordinates(Axis(1), &x).axes([Axis(0)]);
    let err = f23().gradient_with(&opts).unwrap_err();
    assert_eq!(err, GradientError::CoordinatesNotMonotonic { axis: 1, index: 1 });
}

#[test]
fn spacing_whose_coefficients_overflow_is_invalid() {
    // NumPy: 2h overflows and the interior silently becomes 0.
    let f = array![1.0, 2.0, 4.0, 7.0];
    let err = f.gradient_with(&GradientOptions::new().spacing(1e308)).unwrap_err();
    assert_eq!(
        err,
        GradientError::InvalidSpacing {
            axis: 0,
            spacing: 1e308
        }
    );
    // NumPy: -1.5 / h overflows and the second-order edges are inf.
    let opts = GradientOptions::new().spacing(5e-324).edge_order(EdgeOrder::Second);
    let err = f.gradient_with(&opts).unwrap_err();
    assert_eq!(
        err,
        GradientError::InvalidSpacing {
            axis: 0,
            spacing: 5e-324
        }
    );
    // Finite coordinates whose step overflows: NumPy gives NaN.
    let x = array![-1e308, 1e308, 1.5e308, 1.7e308];
    let err = f
        .gradient_with(&GradientOptions::new().coordinates(Axis(0), &x))
        .unwrap_err();
    assert_eq!(
        err,
        GradientError::InvalidSpacing {
            axis: 0,
            spacing: f64::INFINITY
        }
    );
    assert_message_has(&err, &["axis 0", "inf"]);
}

#[test]
fn invalid_f32_spacing_is_reported_as_f64() {
    let f = array![1.0f32, 2.0, 4.0];
    let err = f
        .gradient_axis_with(Axis(0), &GradientOptions::new().spacing(f32::INFINITY))
        .unwrap_err();
    assert_eq!(
        err,
        GradientError::InvalidSpacing {
            axis: 0,
            spacing: f64::INFINITY
        }
    );
}

#[test]
fn spacing_is_checked_before_the_axis_length() {
    // Both the spacing and the length are wrong: the spacing is reported (NumPy's order).
    let f = array![1.0];
    let err = f.gradient_with(&GradientOptions::new().spacing(0.0)).unwrap_err();
    assert_eq!(err, GradientError::InvalidSpacing { axis: 0, spacing: 0.0 });
}

// ---------------------------------------------------------------------------------------------
// CoordinatesNotFinite

#[test]
fn non_finite_coordinates() {
    let f = array![1.0, 2.0, 4.0, 7.0];
    for (x, index) in [
        (array![0.0, 1.0, f64::NAN, 3.0], 2),
        (array![f64::NEG_INFINITY, 1.0, 2.0, 3.0], 0),
        (array![0.0, 1.0, 2.0, f64::INFINITY], 3),
        (array![0.0, f64::NAN, f64::INFINITY, 3.0], 1),
    ] {
        let opts = GradientOptions::new().coordinates(Axis(0), &x);
        let err = f.gradient_axis_with(Axis(0), &opts).unwrap_err();
        assert_eq!(err, GradientError::CoordinatesNotFinite { axis: 0, index }, "{x}");
        assert_message_has(&err, &["axis 0", &format!("coordinate {index}")]);
    }
}

// ---------------------------------------------------------------------------------------------
// CoordinatesNotMonotonic

fn monotonic_error(x: Array1<f64>) -> GradientError {
    let f = Array1::<f64>::zeros(x.len());
    let opts = GradientOptions::new().coordinates(Axis(0), &x);
    f.gradient_axis_with(Axis(0), &opts).unwrap_err()
}

#[test]
fn repeated_coordinate_reports_its_index() {
    // x[1] == x[2]: the pair starting at index 1 breaks strict monotonicity.
    let err = monotonic_error(array![0.0, 1.0, 1.0, 2.0]);
    assert_eq!(err, GradientError::CoordinatesNotMonotonic { axis: 0, index: 1 });
    assert_message_has(&err, &["axis 0", "index 1"]);

    // A repeat at the very start, and in decreasing coordinates.
    let err = monotonic_error(array![1.0, 1.0, 2.0]);
    assert_eq!(err, GradientError::CoordinatesNotMonotonic { axis: 0, index: 0 });
    let err = monotonic_error(array![3.0, 2.0, 2.0, 1.0]);
    assert_eq!(err, GradientError::CoordinatesNotMonotonic { axis: 0, index: 1 });
}

#[test]
fn direction_change_in_the_middle() {
    let err = monotonic_error(array![0.0, 1.0, 3.0, 2.0, 4.0]);
    assert_eq!(err, GradientError::CoordinatesNotMonotonic { axis: 0, index: 2 });
    assert_message_has(&err, &["axis 0", "index 2"]);

    let err = monotonic_error(array![5.0, 4.0, 6.0]);
    assert_eq!(err, GradientError::CoordinatesNotMonotonic { axis: 0, index: 1 });
}

#[test]
fn decreasing_coordinates_are_accepted() {
    let f = array![[0.0, 1.0, 2.0, 3.0], [0.0, 2.0, 4.0, 6.0]];
    let x = array![3.0, 2.0, 0.5, 0.0];
    let opts = GradientOptions::new().coordinates(Axis(1), &x);
    let g = f.gradient_axis_with(Axis(1), &opts).unwrap();
    // f increases while x decreases: the first-order edges are -1 (row 0) and -2 (row 1).
    assert_eq!(g[[0, 0]], -1.0);
    assert_eq!(g[[1, 3]], -4.0);
    assert!(g.iter().all(|&v| v < 0.0), "{g}");
}

// ---------------------------------------------------------------------------------------------
// PadShape

#[test]
fn prepend_with_the_wrong_other_dimension() {
    let a = array![[1, 2, 3], [4, 5, 6]]; // (2, 3), differenced along axis 1
    let bad = Array2::<i32>::zeros((3, 1));
    let err = a.diff_with(1, Axis(1), Some(Pad::Array(bad.view())), None).unwrap_err();
    assert_eq!(
        err,
        GradientError::PadShape {
            side: PadSide::Prepend,
            axis: 1,
            expected: vec![2, 3],
            got: vec![3, 1],
        }
    );
    assert_message_has(&err, &["prepend", "axis 1", "[3, 1]", "[2, 3]"]);
}

#[test]
fn append_with_the_wrong_other_dimension() {
    let a = array![[1, 2, 3], [4, 5, 6]]; // (2, 3), differenced along axis 0
    let fits = Array2::<i32>::zeros((5, 3)); // any length along the differenced axis
    let bad = Array2::<i32>::zeros((3, 1));
    let err = a
        .diff_with(1, Axis(0), Some(Pad::Array(fits.view())), Some(Pad::Array(bad.view())))
        .unwrap_err();
    assert_eq!(
        err,
        GradientError::PadShape {
            side: PadSide::Append,
            axis: 0,
            expected: vec![2, 3],
            got: vec![3, 1],
        }
    );
    assert_message_has(&err, &["append", "axis 0", "[3, 1]", "[2, 3]"]);
}

#[test]
fn pad_with_the_wrong_number_of_dimensions() {
    let a = ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![1.0, 2.0, 4.0, 7.0, 11.0, 16.0]).unwrap();
    let flat = ArrayD::<f64>::zeros(IxDyn(&[3]));
    let err = a
        .diff_with(1, Axis(1), None, Some(Pad::Array(flat.view())))
        .unwrap_err();
    assert_eq!(
        err,
        GradientError::PadShape {
            side: PadSide::Append,
            axis: 1,
            expected: vec![2, 3],
            got: vec![3],
        }
    );
    assert_message_has(&err, &["append", "axis 1", "[3]", "[2, 3]"]);

    let deep = ArrayD::<f64>::zeros(IxDyn(&[2, 1, 1]));
    let err = a
        .diff_with(1, Axis(1), Some(Pad::Array(deep.view())), None)
        .unwrap_err();
    assert_eq!(
        err,
        GradientError::PadShape {
            side: PadSide::Prepend,
            axis: 1,
            expected: vec![2, 3],
            got: vec![2, 1, 1],
        }
    );
}

// ---------------------------------------------------------------------------------------------
// OutputShape and OutputCount

#[test]
fn gradient_axis_into_wrong_output_shape() {
    let mut out = Array2::from_elem((3, 2), UNTOUCHED);
    let err = f23()
        .gradient_axis_into(Axis(0), &GradientOptions::new(), &mut out)
        .unwrap_err();
    assert_eq!(
        err,
        GradientError::OutputShape {
            output: None,
            axis: Some(0),
            expected: vec![2, 3],
            got: vec![3, 2]
        }
    );
    assert_eq!(
        err.to_string(),
        "the output array (along axis 0) has shape [3, 2], but the result has shape [2, 3]"
    );
    assert!(out.iter().all(|&v| v == UNTOUCHED));
}

#[test]
fn gradient_into_wrong_output_shape() {
    let mut g0 = Array2::from_elem((2, 3), UNTOUCHED);
    let mut g1 = Array2::from_elem((2, 4), UNTOUCHED);
    let err = f23()
        .gradient_into(&GradientOptions::new(), &mut [&mut g0, &mut g1])
        .unwrap_err();
    assert_eq!(
        err,
        GradientError::OutputShape {
            output: Some(1),
            axis: Some(1),
            expected: vec![2, 3],
            got: vec![2, 4]
        }
    );
    // It names the output to fix: its place in the list and the axis it is the derivative along.
    assert_eq!(
        err.to_string(),
        "output 1 (along axis 1) has shape [2, 4], but the result has shape [2, 3]"
    );
    // The first output had the right shape, and is still untouched.
    assert!(g0.iter().chain(&g1).all(|&v| v == UNTOUCHED));
}

#[test]
fn diff_into_wrong_output_shape() {
    let mut out = Array2::from_elem((2, 3), UNTOUCHED);
    let err = f23().diff_into(1, Axis(1), &mut out).unwrap_err();
    assert_eq!(
        err,
        GradientError::OutputShape {
            output: None,
            axis: Some(1),
            expected: vec![2, 2],
            got: vec![2, 3]
        }
    );
    assert_message_has(&err, &["[2, 3]", "[2, 2]", "axis 1"]);
    assert!(out.iter().all(|&v| v == UNTOUCHED));

    // n >= len: the expected shape has an empty axis.
    let mut out = Array2::from_elem((2, 1), UNTOUCHED);
    let err = f23().diff_into(5, Axis(1), &mut out).unwrap_err();
    assert_eq!(
        err,
        GradientError::OutputShape {
            output: None,
            axis: Some(1),
            expected: vec![2, 0],
            got: vec![2, 1]
        }
    );
}

#[test]
fn gradient_into_wrong_output_count() {
    let mut g0 = Array2::from_elem((2, 3), UNTOUCHED);
    let err = f23()
        .gradient_into(&GradientOptions::new(), &mut [&mut g0])
        .unwrap_err();
    assert_eq!(err, GradientError::OutputCount { expected: 2, got: 1 });
    assert_message_has(&err, &["1 output array was given", "2 axes"]);
    assert!(g0.iter().all(|&v| v == UNTOUCHED));

    let mut g1 = Array2::from_elem((2, 3), UNTOUCHED);
    let opts = GradientOptions::new().axes([Axis(1)]);
    let err = f23().gradient_into(&opts, &mut [&mut g0, &mut g1]).unwrap_err();
    assert_eq!(err, GradientError::OutputCount { expected: 1, got: 2 });
    assert_message_has(&err, &["2 output arrays were given", "for 1 axis:"]);
    assert!(!err.to_string().contains("1 axes"), "{err}");
    assert!(g0.iter().chain(&g1).all(|&v| v == UNTOUCHED));
}

// ---------------------------------------------------------------------------------------------
// ZeroDimensional

#[test]
fn diff_of_a_zero_dimensional_array() {
    let a = arr0(3.0);
    let err = a.diff(1, Axis(0)).unwrap_err();
    assert_eq!(err, GradientError::ZeroDimensional);
    assert_message_has(&err, &["dimension"]);

    assert_eq!(a.diff(0, Axis(0)).unwrap_err(), GradientError::ZeroDimensional);
    assert_eq!(
        a.diff_with(1, Axis(0), Some(Pad::Scalar(1.0)), None).unwrap_err(),
        GradientError::ZeroDimensional
    );
    let mut out = arr0(UNTOUCHED);
    assert_eq!(
        a.diff_into(1, Axis(0), &mut out).unwrap_err(),
        GradientError::ZeroDimensional
    );
    assert_eq!(out[()], UNTOUCHED);
}

// ---------------------------------------------------------------------------------------------
// The error type itself

fn gradient_through_box(f: &Array1<f64>) -> Result<Array1<f64>, Box<dyn Error>> {
    Ok(f.gradient_axis(Axis(0))?)
}

#[test]
fn error_type_works_as_a_boxed_std_error() {
    let boxed = gradient_through_box(&array![1.0]).unwrap_err();
    assert!(boxed.source().is_none());
    assert_eq!(
        boxed.to_string(),
        GradientError::AxisTooShort {
            axis: 0,
            len: 1,
            min: 2
        }
        .to_string()
    );
    let err = boxed
        .downcast_ref::<GradientError>()
        .expect("a GradientError inside the box");
    assert_eq!(
        *err,
        GradientError::AxisTooShort {
            axis: 0,
            len: 1,
            min: 2
        }
    );
    assert!(gradient_through_box(&array![1.0, 3.0]).is_ok());
}

#[test]
fn error_type_is_clone_and_partial_eq() {
    let err = GradientError::PadShape {
        side: PadSide::Append,
        axis: 0,
        expected: vec![1, 2],
        got: vec![3],
    };
    let copy = err.clone();
    assert_eq!(copy, err);
    assert_ne!(copy, GradientError::ZeroDimensional);
    assert_ne!(
        GradientError::AxisTooShort {
            axis: 0,
            len: 1,
            min: 2
        },
        GradientError::AxisTooShort {
            axis: 0,
            len: 1,
            min: 3
        }
    );
    fn assert_traits<E: Error + Clone + PartialEq + Send + Sync + 'static>() {}
    assert_traits::<GradientError>();
}

#[test]
fn into_outputs_unchanged_on_spacing_errors() {
    let f = f23();
    let repeated = array![1.0, 1.0]; // for axis 0
    let bad = [
        GradientOptions::new().spacing(0.0),
        GradientOptions::new().coordinates(Axis(0), &repeated),
        GradientOptions::new()
            .edge_order(EdgeOrder::Second)
            .axes([Axis(0), Axis(1)]),
    ];
    for opts in &bad {
        let mut g0 = Array2::from_elem((2, 3), UNTOUCHED);
        let mut g1 = Array2::from_elem((2, 3), UNTOUCHED);
        assert!(f.gradient_into(opts, &mut [&mut g0, &mut g1]).is_err());
        assert!(g0.iter().chain(&g1).all(|&v| v == UNTOUCHED));
        assert!(f.gradient_axis_into(Axis(0), opts, &mut g0).is_err());
        assert!(g0.iter().all(|&v| v == UNTOUCHED));
    }
}

// ---------------------------------------------------------------------------------------------
// Valid inputs that look like errors

#[test]
fn empty_axis_that_is_not_differentiated_is_fine() {
    let f = Array2::<f64>::zeros((3, 0));
    let g = f.gradient_axis(Axis(0)).unwrap();
    assert_eq!(g.shape(), &[3, 0]);

    let g = f.gradient_axes_with(&GradientOptions::new().axes([Axis(0)])).unwrap();
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].shape(), &[3, 0]);

    let mut out = Array2::<f64>::zeros((3, 0));
    f.gradient_axis_into(Axis(0), &GradientOptions::new(), &mut out)
        .unwrap();
}

#[test]
fn size_one_axis_that_is_not_differentiated_is_fine() {
    let f = Array2::<f64>::ones((1, 3));
    assert_eq!(f.gradient_axis(Axis(1)).unwrap(), Array2::<f64>::zeros((1, 3)));
    let f = array![[[1.0], [3.0], [7.0]]]; // (1, 3, 1)
    let opts = GradientOptions::new().axes([Axis(1)]).spacing(2.0);
    assert_eq!(
        f.gradient_axes_with(&opts).unwrap(),
        vec![array![[[1.0], [1.5], [2.0]]]]
    );
}

#[test]
fn gradient_of_a_zero_dimensional_array_is_empty() {
    let f = arr0(2.5);
    let none: [Array0<f64>; 0] = f.gradient().unwrap();
    assert!(none.is_empty());
    assert_eq!(
        f.clone().into_dyn().gradient().unwrap(),
        Vec::<ndarray::ArrayD<f64>>::new()
    );
    f.gradient_into(&GradientOptions::new(), &mut []).unwrap();
    // But a single axis does not exist.
    assert_eq!(
        f.gradient_axis(Axis(0)).unwrap_err(),
        GradientError::AxisOutOfBounds { axis: 0, ndim: 0 }
    );
}

#[test]
fn empty_axes_list_gives_no_results() {
    // axis=() in NumPy. Nothing is differentiated, so nothing is too short.
    let f = array![1.0];
    assert!(
        f.gradient_axes_with(&GradientOptions::new().axes([]))
            .unwrap()
            .is_empty()
    );
    assert!(
        f.into_dyn()
            .gradient_with(&GradientOptions::new().axes([]))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn diff_with_n_at_least_len_is_empty() {
    let a = array![1, 4, 9];
    for n in [3, 4, 100] {
        assert_eq!(a.diff(n, Axis(0)).unwrap(), Array1::<i32>::zeros(0), "n = {n}");
    }
    let f = f23();
    assert_eq!(f.diff(3, Axis(1)).unwrap().shape(), &[2, 0]);
    assert_eq!(f.diff(9, Axis(0)).unwrap().shape(), &[0, 3]);
    let mut out = Array2::<f64>::zeros((2, 0));
    f.diff_into(7, Axis(1), &mut out).unwrap();
    // An empty axis stays empty.
    assert_eq!(Array1::<f64>::zeros(0).diff(1, Axis(0)).unwrap().len(), 0);
}

#[test]
fn diff_with_n_zero_is_a_copy() {
    let f = f23();
    let view = f.t(); // a non-standard layout
    let copy = view.diff(0, Axis(1)).unwrap();
    assert_eq!(copy, view);
    let mut out = Array2::zeros((3, 2));
    view.diff_into(0, Axis(0), &mut out).unwrap();
    assert_eq!(out, view);
}

/// One value of every variant: each equals its clone and differs from every other, and says
/// something (a hand-written `PartialEq` arm forgotten for a new variant fails here).
#[test]
fn every_variant_equals_itself_and_no_other() {
    use GradientError::*;
    let all = vec![
        AxisOutOfBounds { axis: 1, ndim: 1 },
        RepeatedAxis { axis: 0 },
        AxisTooShort {
            axis: 0,
            len: 1,
            min: 2,
        },
        CoordinatesLength {
            axis: 0,
            expected: 3,
            got: 2,
        },
        InvalidSpacing {
            axis: 0,
            spacing: f64::NAN,
        },
        CoordinatesNotFinite { axis: 0, index: 1 },
        CoordinatesNotMonotonic { axis: 0, index: 1 },
        PadShape {
            side: PadSide::Prepend,
            axis: 0,
            expected: vec![2],
            got: vec![3, 1],
        },
        OutputShape {
            output: None,
            axis: None,
            expected: vec![2],
            got: vec![3],
        },
        OutputCount { expected: 2, got: 1 },
        AxesCount { ndim: 2, axes: 1 },
        ZeroDimensional,
        InvalidDerivative { derivative: 0 },
        InvalidAccuracy { accuracy: 3 },
        InvalidOffsets {
            derivative: 2,
            count: 2,
        },
        InvalidPeriod {
            axis: 0,
            period: 1.0,
            span: 2.0,
        },
        PeriodRequired { axis: 0 },
        BlockOutOfBounds {
            axis: 0,
            start: 5,
            len: 6,
            shape: vec![10],
        },
        BlockShape {
            expected: vec![4],
            got: vec![3],
        },
        FieldShape {
            components: 3,
            shape: vec![2, 4, 4, 4],
        },
    ];
    for (i, a) in all.iter().enumerate() {
        assert!(!a.to_string().is_empty());
        for (j, b) in all.iter().enumerate() {
            assert_eq!(a == b, i == j, "{a:?} vs {b:?}");
        }
        assert_eq!(a, &a.clone());
    }
}

// ---------------------------------------------------------------------------------------------
// Counts in messages: singular for one, plural otherwise

#[test]
fn messages_agree_with_their_counts() {
    let message = |e: GradientError| e.to_string();
    let one_coordinate = message(GradientError::CoordinatesLength {
        axis: 0,
        expected: 1,
        got: 1,
    });
    assert!(
        one_coordinate.contains("have 1 value,") && one_coordinate.contains("has 1 point:"),
        "{one_coordinate}"
    );
    let many = message(GradientError::CoordinatesLength {
        axis: 0,
        expected: 3,
        got: 2,
    });
    assert!(
        many.contains("have 2 values,") && many.contains("has 3 points:"),
        "{many}"
    );
    let offsets = message(GradientError::InvalidOffsets {
        derivative: 1,
        count: 1,
    });
    assert!(offsets.starts_with("1 position was given"), "{offsets}");
    let offsets = message(GradientError::InvalidOffsets {
        derivative: 2,
        count: 2,
    });
    assert!(offsets.starts_with("2 positions were given"), "{offsets}");
    let block = message(GradientError::BlockOutOfBounds {
        axis: 0,
        start: 4,
        len: 1,
        shape: vec![4],
    });
    assert!(block.contains("with 1 point on axis 0"), "{block}");
    // From real calls: fornberg_weights with one position, and a one-point coordinate array.
    let err = ndarray_gradient::fornberg_weights(1, 0.0, &[0.0]).unwrap_err();
    assert_message_has(&err, &["1 position was given"]);
    let x = array![0.0];
    let err = array![1.0, 2.0]
        .gradient_axis_with(Axis(0), &GradientOptions::new().coordinates(Axis(0), &x))
        .unwrap_err();
    assert_message_has(&err, &["have 1 value,", "has 2 points"]);
}

// FieldShape: curl on a 2-D field points to scalar_curl

#[test]
fn curl_of_a_two_dimensional_field_names_scalar_curl() {
    let field = Array3::<f64>::zeros((2, 5, 6));
    let err = field.curl(&GradientOptions::new()).unwrap_err();
    assert_eq!(
        err,
        GradientError::FieldShape {
            components: 3,
            shape: vec![2, 5, 6]
        }
    );
    assert_message_has(&err, &["3 components", "use scalar_curl"]);
    // A 3-D field of the wrong shape gets no such hint, nor does divergence.
    let err = Array4::<f64>::zeros((2, 4, 4, 4))
        .curl(&GradientOptions::new())
        .unwrap_err();
    assert!(!err.to_string().contains("scalar_curl"), "{err}");
    let err = Array3::<f64>::zeros((3, 4, 4))
        .divergence(&GradientOptions::new())
        .unwrap_err();
    assert!(!err.to_string().contains("scalar_curl"), "{err}");
    // What the hint says works.
    assert!(field.scalar_curl(&GradientOptions::new()).is_ok());
}

/// Options that another option makes meaningless are refused, naming both, where they used to
/// be silently ignored (issue 19): an edge order beside an accuracy order, a derivative order
/// above 1, the Laplacian or a periodic axis; a derivative order given to an operator.
#[test]
fn conflicting_options_name_both() {
    let f = Array2::from_shape_fn((8, 9), |(i, j)| (i * i + 3 * j) as f64);
    let conflict = |axis, option, with| GradientError::ConflictingOptions { axis, option, with };
    let first = GradientOptions::new().edge_order(EdgeOrder::First);
    let cases: Vec<(&str, Result<(), GradientError>, GradientError)> = vec![
        (
            "accuracy(4).edge_order(First)",
            f.gradient_with(&GradientOptions::new().accuracy(4).edge_order(EdgeOrder::First))
                .map(drop),
            conflict(0, "edge_order", "accuracy"),
        ),
        (
            "derivative(2).edge_order(Second)",
            f.gradient_axis_with(
                Axis(1),
                &GradientOptions::new().derivative(2).edge_order(EdgeOrder::Second),
            )
            .map(drop),
            conflict(1, "edge_order", "derivative"),
        ),
        (
            "periodic(1).edge_order(Second)",
            f.gradient_axis_with(
                Axis(1),
                &GradientOptions::new().periodic(Axis(1)).edge_order(EdgeOrder::Second),
            )
            .map(drop),
            conflict(1, "edge_order", "boundary"),
        ),
        (
            "laplacian(derivative(3))",
            f.laplacian(&GradientOptions::new().derivative(3)).map(drop),
            conflict(0, "derivative", "laplacian"),
        ),
        (
            "laplacian(edge_order(First))",
            f.laplacian(&first).map(drop),
            conflict(0, "edge_order", "laplacian"),
        ),
        (
            "divergence(derivative(2))",
            Array3::<f64>::zeros((2, 5, 6))
                .divergence(&GradientOptions::new().axis_derivative(Axis(1), 2))
                .map(drop),
            conflict(1, "derivative", "divergence"),
        ),
        (
            "curl(derivative(2))",
            Array4::<f64>::zeros((3, 4, 5, 6))
                .curl(&GradientOptions::new().derivative(2))
                .map(drop),
            conflict(0, "derivative", "curl"),
        ),
        (
            "BlockPlan::laplacian(derivative(1))",
            ndarray_gradient::BlockPlan::laplacian(&[8, 9], &GradientOptions::<f64>::new().derivative(1)).map(drop),
            conflict(0, "derivative", "laplacian"),
        ),
        (
            "a per-axis accuracy on an axis not differentiated",
            f.gradient_axis_with(Axis(0), &first.clone().axis_accuracy(Axis(1), 4))
                .map(drop),
            conflict(1, "edge_order", "accuracy"),
        ),
    ];
    for (name, got, expected) in cases {
        let err = got.expect_err(name);
        assert_eq!(err, expected, "{name}");
        let message = err.to_string();
        let (option, with) = match &expected {
            GradientError::ConflictingOptions { option, with, .. } => (*option, *with),
            _ => unreachable!(),
        };
        assert!(message.contains(option) && message.contains(with), "{name}: {message}");
    }
    // What is not a conflict: the edge order of NumPy's first derivatives (with an accuracy on
    // another axis), the operator's own derivative order, and the divergence's edges.
    let per_axis = GradientOptions::new()
        .edge_order(EdgeOrder::Second)
        .axis_accuracy(Axis(1), 4);
    assert!(
        f.gradient_axis_with(Axis(0), &per_axis).is_err(),
        "axis 1 is configured"
    );
    let other_axis = GradientOptions::new()
        .edge_order(EdgeOrder::Second)
        .axis_derivative(Axis(0), 1);
    assert!(f.gradient_with(&other_axis).is_ok());
    assert!(f.laplacian(&GradientOptions::new().derivative(2)).is_ok());
    let field = Array3::from_shape_fn((2, 5, 6), |(c, i, j)| (c + i * j) as f64);
    assert!(
        field
            .divergence(&GradientOptions::new().edge_order(EdgeOrder::Second))
            .is_ok()
    );
}

/// The README's list of error variants is the enum's, in the enum's order.
#[test]
fn readme_lists_every_error_variant() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("src/error.rs")).unwrap();
    let body = &source[source.find("pub enum GradientError {").unwrap()..];
    let body = &body[..body.find("\n}\n").unwrap()];
    let variants: Vec<&str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("    ")) // one level in: the variants
        .filter(|l| l.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|l| l.trim_end_matches([' ', '{', ',']))
        .collect();
    assert!(variants.len() > 15, "{variants:?}");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let list = &readme[readme.find("The variants (a test checks").unwrap()..];
    let list = &list[..list.find(". NaN").unwrap()];
    let listed: Vec<&str> = list.split('`').skip(1).step_by(2).collect();
    assert_eq!(listed, variants);
}
