//! Bit-for-bit parity with NumPy, read from fixtures that `scripts/gen_fixtures.py` wrote with
//! NumPy 2.x (the key schema is in that script's docstring).
//!
//! Every case runs through every way this crate can compute it: the allocating methods on the
//! dynamic-dimensional array and on its static-dimensional view, each single axis, the `_into`
//! methods with C- and F-ordered outputs, each with threads forced on and forced off. So every
//! kernel path (contiguous lanes, hyperplanes, stepped and reversed strides, `IxDyn` dispatch,
//! `_into`, parallel blocks) is held to NumPy's bits.

use crate::fixture::Fixture;
use ndarray::{Array, ArrayD, ArrayViewD, Axis, Dimension, Ix1, Ix2, Ix3, Ix4, IxDyn, ShapeBuilder, Slice};
use ndarray_gradient::{
    ArrayGradientExt, DiffElement, EdgeOrder, GradientElement, GradientError, GradientOptions, Pad, Spacing,
    with_parallel_threshold,
};
use ndarray_npy::ReadableElement;
use num_complex::Complex;

/// Equality as the parity contract defines it: the same bits for real numbers and integers;
/// `==` per component for complex numbers (NumPy's complex multiply can flip the sign of a
/// zero), with NaN equal to NaN.
trait SameAsNumpy: Copy + std::fmt::Debug {
    fn same(self, other: Self) -> bool;
}

impl SameAsNumpy for f64 {
    fn same(self, other: Self) -> bool {
        self.to_bits() == other.to_bits()
    }
}
impl SameAsNumpy for f32 {
    fn same(self, other: Self) -> bool {
        self.to_bits() == other.to_bits()
    }
}
impl<T: num_traits::Float + std::fmt::Debug> SameAsNumpy for Complex<T> {
    fn same(self, other: Self) -> bool {
        let eq = |a: T, b: T| a == b || (a.is_nan() && b.is_nan());
        eq(self.re, other.re) && eq(self.im, other.im)
    }
}
macro_rules! exact {
    ($($t:ty),*) => {$(impl SameAsNumpy for $t { fn same(self, other: Self) -> bool { self == other } })*};
}
exact!(i8, i64, u8, u64, bool);
impl SameAsNumpy for i32 {
    fn same(self, other: Self) -> bool {
        self == other
    }
}

/// The fixture's layout transform: 0 as stored, 1 every axis reversed, 2 every axis stepped by
/// 2, 3 axes in reverse order.
fn transform<T>(a: &ArrayD<T>, layout: i64) -> ArrayViewD<'_, T> {
    let mut v = a.view();
    match layout {
        0 => {}
        1 => (0..v.ndim()).for_each(|k| v.invert_axis(Axis(k))),
        2 => v.slice_each_axis_inplace(|_| Slice::new(0, None, 2)),
        3 => v = v.reversed_axes(),
        other => panic!("unknown layout {other}"),
    }
    v
}

/// Compares one result with NumPy's; records a message on mismatch.
fn compare<T: SameAsNumpy, D: Dimension>(
    failures: &mut Vec<String>,
    case: &str,
    path: &str,
    got: &Array<T, D>,
    expected: &ArrayD<T>,
) {
    if got.shape() != expected.shape() {
        failures.push(format!(
            "{case} [{path}]: shape {:?}, NumPy {:?}",
            got.shape(),
            expected.shape()
        ));
        return;
    }
    let bad = got.iter().zip(expected.iter()).position(|(g, e)| !g.same(*e));
    if let Some(i) = bad {
        let (g, e) = (got.iter().nth(i).unwrap(), expected.iter().nth(i).unwrap());
        failures.push(format!(
            "{case} [{path}]: element {i} (logical order) is {g:?}, NumPy {e:?}"
        ));
    }
}

/// Runs `f` with threads forced on and forced off (without the `rayon` feature both are serial).
fn both_schedules<R>(mut f: impl FnMut(&str) -> R) -> Vec<R> {
    vec![
        with_parallel_threshold(usize::MAX, || f("serial")),
        with_parallel_threshold(0, || f("parallel")),
    ]
}

/// Runs a closure on the array converted to its static dimension type (Ix1..Ix4).
macro_rules! with_static_dim {
    ($view:expr, |$v:ident| $body:expr) => {
        match $view.ndim() {
            1 => {
                let $v = $view.into_dimensionality::<Ix1>().unwrap();
                $body
            }
            2 => {
                let $v = $view.into_dimensionality::<Ix2>().unwrap();
                $body
            }
            3 => {
                let $v = $view.into_dimensionality::<Ix3>().unwrap();
                $body
            }
            4 => {
                let $v = $view.into_dimensionality::<Ix4>().unwrap();
                $body
            }
            n => panic!("fixtures have 1 to 4 dimensions, not {n}"),
        }
    };
}

fn gradient_file<T>(file: &str, min_cases: usize)
where
    T: GradientElement + ReadableElement,
    T::Real: ReadableElement,
    T::Output: ReadableElement + SameAsNumpy,
{
    let mut fx = Fixture::open(file);
    let cases = fx.cases("layout");
    assert!(
        cases.len() >= min_cases,
        "{file}: {} cases, expected at least {min_cases}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let key = |field: &str| format!("{case}__{field}");
        let stored: ArrayD<T> = fx.read(&key("f"));
        let layout = fx.int(&key("layout"));
        let f = transform(&stored, layout);
        let edge = match fx.int(&key("edge")) {
            1 => EdgeOrder::First,
            2 => EdgeOrder::Second,
            e => panic!("{case}: edge order {e}"),
        };
        let axes: Vec<Axis> = if fx.has(&key("axes")) {
            fx.read::<i64>(&key("axes")).iter().map(|&a| Axis(a as usize)).collect()
        } else {
            (0..f.ndim()).map(Axis).collect()
        };
        let spacing_keys: Vec<String> = (0..axes.len())
            .map(|k| key(&format!("spacing{k}")))
            .filter(|k| fx.has(k))
            .collect();
        let spacings: Vec<ArrayD<T::Real>> = spacing_keys.iter().map(|k| fx.read(k)).collect();
        let common: Option<T::Real> = fx
            .has(&key("spacing"))
            .then(|| fx.read::<T::Real>(&key("spacing")).into_iter().next().unwrap());
        let expected: Vec<ArrayD<T::Output>> = (0..axes.len()).map(|k| fx.read(&key(&format!("out{k}")))).collect();

        let mut opts = GradientOptions::new().edge_order(edge);
        if fx.has(&key("axes")) {
            opts = opts.axes(axes.iter().copied());
        }
        if let Some(h) = common {
            opts = opts.spacing(h);
        }
        assert!(
            spacings.is_empty() || spacings.len() == axes.len(),
            "{case}: spacing count"
        );
        for (&axis, s) in axes.iter().zip(&spacings) {
            let spacing = match s.ndim() {
                0 => Spacing::Uniform(s[[]]),
                _ => Spacing::Coordinates(s.view().into_dimensionality::<ndarray::Ix1>().unwrap().into()),
            };
            opts = opts.axis_spacing(axis, spacing);
        }

        both_schedules(|schedule| {
            // All axes at once, dynamic dimension.
            match f.gradient_with(&opts) {
                Ok(got) => {
                    for (k, (g, e)) in got.iter().zip(&expected).enumerate() {
                        compare(
                            &mut failures,
                            case,
                            &format!("{schedule} gradient_with IxDyn out{k}"),
                            g,
                            e,
                        );
                    }
                    if got.len() != expected.len() {
                        failures.push(format!("{case}: {} results, NumPy {}", got.len(), expected.len()));
                    }
                }
                Err(e) => failures.push(format!("{case} [{schedule} gradient_with]: {e}")),
            }
            // All axes, static dimension: gradient_with where the fixture lists every axis (a
            // fixed-size array), else it is AxesCount and gradient_axes_with gives the Vec.
            with_static_dim!(f.view(), |v| match if axes.len() == v.ndim() {
                v.gradient_with(&opts).map(Vec::from)
            } else {
                assert!(
                    matches!(v.gradient_with(&opts), Err(GradientError::AxesCount { .. })),
                    "{case}: gradient_with of a subset"
                );
                v.gradient_axes_with(&opts)
            } {
                Ok(got) => {
                    for (k, (g, e)) in got.iter().zip(&expected).enumerate() {
                        compare(
                            &mut failures,
                            case,
                            &format!("{schedule} gradient_with static out{k}"),
                            g,
                            e,
                        );
                    }
                }
                Err(e) => failures.push(format!("{case} [{schedule} static]: {e}")),
            });
            // One axis at a time, and into caller-provided C- and F-ordered arrays.
            for (k, &axis) in axes.iter().enumerate() {
                match f.gradient_axis_with(axis, &opts) {
                    Ok(g) => compare(
                        &mut failures,
                        case,
                        &format!("{schedule} gradient_axis_with {k}"),
                        &g,
                        &expected[k],
                    ),
                    Err(e) => failures.push(format!("{case} [{schedule} gradient_axis_with]: {e}")),
                }
                for fortran in [false, true] {
                    let mut out = ArrayD::<T::Output>::default(f.raw_dim().set_f(fortran));
                    match f.gradient_axis_into(axis, &opts, &mut out) {
                        Ok(()) => compare(
                            &mut failures,
                            case,
                            &format!("{schedule} gradient_axis_into fortran={fortran} {k}"),
                            &out,
                            &expected[k],
                        ),
                        Err(e) => failures.push(format!("{case} [{schedule} gradient_axis_into]: {e}")),
                    }
                }
            }
            let mut outs: Vec<ArrayD<T::Output>> = (0..axes.len())
                .map(|k| ArrayD::default(f.raw_dim().set_f(k % 2 == 1)))
                .collect();
            let mut refs: Vec<&mut ndarray::ArrayRefD<T::Output>> = outs.iter_mut().map(|o| &mut **o).collect();
            match f.gradient_into(&opts, &mut refs) {
                Ok(()) => {
                    for (k, (g, e)) in outs.iter().zip(&expected).enumerate() {
                        compare(&mut failures, case, &format!("{schedule} gradient_into out{k}"), g, e);
                    }
                }
                Err(e) => failures.push(format!("{case} [{schedule} gradient_into]: {e}")),
            }
        });
    }
    assert!(
        failures.is_empty(),
        "{file}: {} mismatches with NumPy in {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// A stored `prepend`/`append`: 0-d is a scalar, anything else an array.
fn pad<T: Copy>(p: &Option<ArrayD<T>>) -> Option<Pad<'_, T, IxDyn>> {
    p.as_ref().map(|p| match p.ndim() {
        0 => Pad::Scalar(p[[]]),
        _ => Pad::Array(p.view()),
    })
}

fn diff_file<T>(file: &str, min_cases: usize)
where
    T: DiffElement + ReadableElement + SameAsNumpy,
{
    let mut fx = Fixture::open(file);
    let cases = fx.cases("layout");
    assert!(
        cases.len() >= min_cases,
        "{file}: {} cases, expected at least {min_cases}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let key = |field: &str| format!("{case}__{field}");
        let stored: ArrayD<T> = fx.read(&key("a"));
        let a = transform(&stored, fx.int(&key("layout")));
        let n = fx.int(&key("n")) as usize;
        let axis = Axis(fx.int(&key("axis")) as usize);
        let prepend: Option<ArrayD<T>> = fx.has(&key("prepend")).then(|| fx.read(&key("prepend")));
        let append: Option<ArrayD<T>> = fx.has(&key("append")).then(|| fx.read(&key("append")));
        let expected: ArrayD<T> = fx.read(&key("out"));
        let padded = prepend.is_some() || append.is_some();

        both_schedules(|schedule| {
            match a.diff_with(n, axis, pad(&prepend), pad(&append)) {
                Ok(got) => compare(
                    &mut failures,
                    case,
                    &format!("{schedule} diff_with IxDyn"),
                    &got,
                    &expected,
                ),
                Err(e) => failures.push(format!("{case} [{schedule} diff_with]: {e}")),
            }
            if padded {
                return;
            }
            with_static_dim!(a.view(), |v| match v.diff(n, axis) {
                Ok(got) => compare(&mut failures, case, &format!("{schedule} diff static"), &got, &expected),
                Err(e) => failures.push(format!("{case} [{schedule} diff static]: {e}")),
            });
            for fortran in [false, true] {
                let mut out = ArrayD::<T>::default(expected.raw_dim().set_f(fortran));
                match a.diff_into(n, axis, &mut out) {
                    Ok(()) => compare(
                        &mut failures,
                        case,
                        &format!("{schedule} diff_into fortran={fortran}"),
                        &out,
                        &expected,
                    ),
                    Err(e) => failures.push(format!("{case} [{schedule} diff_into]: {e}")),
                }
            }
        });
    }
    assert!(
        failures.is_empty(),
        "{file}: {} mismatches with NumPy in {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn gradient_f64() {
    gradient_file::<f64>("gradient_f64.npz", 150);
}

#[test]
fn gradient_f32() {
    gradient_file::<f32>("gradient_f32.npz", 40);
}

#[test]
fn gradient_complex128() {
    gradient_file::<Complex<f64>>("gradient_c128.npz", 30);
}

#[test]
fn gradient_complex64() {
    gradient_file::<Complex<f32>>("gradient_c64.npz", 20);
}

#[test]
fn gradient_i32() {
    gradient_file::<i32>("gradient_i32.npz", 15);
}

#[test]
fn gradient_i64() {
    gradient_file::<i64>("gradient_i64.npz", 20);
}

#[test]
fn gradient_u8() {
    gradient_file::<u8>("gradient_u8.npz", 15);
}

#[test]
fn gradient_i8() {
    gradient_file::<i8>("gradient_i8.npz", 15);
}

#[test]
fn diff_f64() {
    diff_file::<f64>("diff_f64.npz", 60);
}

#[test]
fn diff_f32() {
    diff_file::<f32>("diff_f32.npz", 30);
}

#[test]
fn diff_complex128() {
    diff_file::<Complex<f64>>("diff_c128.npz", 20);
}

#[test]
fn diff_i8() {
    diff_file::<i8>("diff_i8.npz", 30);
}

#[test]
fn diff_u8() {
    diff_file::<u8>("diff_u8.npz", 30);
}

#[test]
fn diff_i64() {
    diff_file::<i64>("diff_i64.npz", 30);
}

#[test]
fn diff_u64() {
    diff_file::<u64>("diff_u64.npz", 30);
}

#[test]
fn diff_bool() {
    diff_file::<bool>("diff_bool.npz", 30);
}
