//! Seeded random tests of properties that hold for every input:
//!
//! - no call panics, and each fails exactly when its input is invalid (predicted independently);
//! - the memory layout of the input never changes a bit of the result, and the output's memory
//!   order follows the input's;
//! - the gradient is exact (up to rounding) for linear functions, and for quadratics where the
//!   stencil is second order; it is antisymmetric under `x -> -x` and commutes with reversal;
//! - `diff(n)` is `n` first differences, wraps for integers, is XOR for `bool`, and pads by
//!   concatenation;
//! - integer input computes like its `f64` conversion, and the parallel threshold changes no bit.

use std::fmt::Debug;

use ndarray::prelude::*;
use ndarray::{Slice, Zip};
use ndarray_gradient::{
    ArrayGradientExt, DiffElement, EdgeOrder, GradientElement, GradientError, GradientOptions, Pad, PadSide, Spacing,
    with_parallel_threshold,
};
use ndarray_rand::RandomExt;
use ndarray_rand::rand::seq::SliceRandom;
use ndarray_rand::rand::{Rng, SeedableRng, rngs::StdRng};
use ndarray_rand::rand_distr::Uniform;

// =============================================================================================
// Random inputs

fn seeded(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn pick<T: Copy>(rng: &mut StdRng, pool: &[T]) -> T {
    pool[rng.random_range(0..pool.len())]
}

fn random_edge_order(rng: &mut StdRng) -> EdgeOrder {
    pick(rng, &[EdgeOrder::First, EdgeOrder::Second])
}

/// Axis lengths 0..=7 (empty and size-1 axes included); now and then one axis of 16..=20, long
/// enough for the kernels' contiguous-lane path.
fn random_shape(rng: &mut StdRng, ndim: usize) -> Vec<usize> {
    let mut shape: Vec<usize> = (0..ndim).map(|_| rng.random_range(0..=7)).collect();
    if ndim > 0 && rng.random_bool(0.25) {
        let k = rng.random_range(0..ndim);
        shape[k] = rng.random_range(16..=20);
    }
    shape
}

/// Lengths of at least `min` along every axis (for tests that need every axis valid).
fn random_long_shape(rng: &mut StdRng, ndim: usize, min: usize) -> Vec<usize> {
    random_shape(rng, ndim).into_iter().map(|n| n.max(min)).collect()
}

fn random_values(rng: &mut StdRng, shape: &[usize]) -> ArrayD<f64> {
    ArrayD::random_using(IxDyn(shape), Uniform::new(-10.0, 10.0).unwrap(), rng)
}

/// Strictly increasing, with random steps in [0.5, 1.5].
fn increasing_coordinates(rng: &mut StdRng, len: usize) -> Array1<f64> {
    let mut x = rng.random_range(-3.0..3.0);
    Array1::from_shape_fn(len, |_| {
        let here = x;
        x += rng.random_range(0.5..1.5);
        here
    })
}

/// Valid coordinates of three kinds: increasing, decreasing, and equally spaced by an exact
/// step (which takes NumPy's uniform path).
fn valid_coordinates(rng: &mut StdRng, len: usize) -> Array1<f64> {
    match rng.random_range(0..3) {
        0 => increasing_coordinates(rng, len),
        1 => -increasing_coordinates(rng, len),
        _ => {
            let (x0, h) = (pick(rng, &[-2.0, 0.0, 1.5]), pick(rng, &[0.25, -0.5, 2.0]));
            Array1::from_shape_fn(len, |i| x0 + i as f64 * h)
        }
    }
}

/// Coordinates that are valid about two times in three; otherwise repeated, non-monotonic,
/// non-finite or of the wrong length.
fn maybe_invalid_coordinates(rng: &mut StdRng, len: usize) -> Array1<f64> {
    let mut x = valid_coordinates(rng, len);
    match rng.random_range(0..12) {
        0 if len >= 2 => {
            let k = rng.random_range(0..len - 1);
            x[k + 1] = x[k];
        }
        1 if len >= 2 => {
            let k = rng.random_range(0..len - 1);
            x.swap(k, k + 1);
        }
        2 if len >= 1 => {
            let k = rng.random_range(0..len);
            x[k] = pick(rng, &[f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
        }
        3 => {
            let wrong_len = if len > 0 && rng.random_bool(0.5) {
                len - 1
            } else {
                len + 1
            };
            x = valid_coordinates(rng, wrong_len);
        }
        _ => {}
    }
    x
}

// =============================================================================================
// Memory layouts

#[derive(Clone, Copy, Debug)]
enum Layout {
    C,
    F,
    NegativeStrides,
    Stepped,
    Permuted,
}

const LAYOUTS: [Layout; 5] = [
    Layout::C,
    Layout::F,
    Layout::NegativeStrides,
    Layout::Stepped,
    Layout::Permuted,
];

/// A copy of `c` with the same shape and values, laid out as `layout`. `filler` goes into the
/// memory a stepped array skips, so that a kernel reading it would be caught.
fn lay_out<A, D>(c: &Array<A, D>, layout: Layout, filler: A, rng: &mut StdRng) -> Array<A, D>
where
    A: Copy + PartialEq + Debug,
    D: Dimension,
{
    let ndim = c.ndim();
    let arranged = match layout {
        Layout::C => c.as_standard_layout().into_owned(),
        Layout::F => c.t().as_standard_layout().into_owned().reversed_axes(),
        Layout::NegativeStrides => {
            let flipped: Vec<Axis> = (0..ndim).map(Axis).filter(|_| rng.random_bool(0.6)).collect();
            let mut a = c.clone();
            flipped.iter().for_each(|&k| a.invert_axis(k));
            let mut a = a.as_standard_layout().into_owned();
            flipped.iter().for_each(|&k| a.invert_axis(k));
            a
        }
        Layout::Stepped => {
            let mut dim = c.raw_dim();
            for k in 0..ndim {
                dim[k] *= 2;
            }
            let mut big = Array::from_elem(dim, filler);
            big.slice_each_axis_mut(|_| Slice::new(0, None, 2)).assign(c);
            big.slice_each_axis_inplace(|_| Slice::new(0, None, 2));
            big
        }
        Layout::Permuted => {
            let mut order: Vec<usize> = (0..ndim).collect();
            order.shuffle(rng);
            let (mut perm, mut inverse) = (D::zeros(ndim), D::zeros(ndim));
            for (i, &k) in order.iter().enumerate() {
                perm[i] = k;
                inverse[k] = i;
            }
            let stored = c.view().permuted_axes(perm).as_standard_layout().into_owned();
            stored.permuted_axes(inverse)
        }
    };
    assert_eq!(&arranged, c, "{layout:?} copy");
    arranged
}

fn assert_same_bits<D: Dimension>(got: &ArrayRef<f64, D>, want: &ArrayRef<f64, D>, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}");
    for (g, w) in got.iter().zip(want.iter()) {
        assert_eq!(g.to_bits(), w.to_bits(), "{what}: {g:e} != {w:e}");
    }
}

fn assert_all_same_bits<D: Dimension>(got: &[Array<f64, D>], want: &[Array<f64, D>], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert_same_bits(g, w, &format!("{what}, result {k}"));
    }
}

fn is_fortran<A, D: Dimension>(a: &ArrayRef<A, D>) -> bool {
    a.t().is_standard_layout()
}

// =============================================================================================
// Gradient options as data, so that the expected outcome can be predicted

#[derive(Clone, Debug)]
enum AxisSpacing {
    Uniform(f64),
    Coordinates(Array1<f64>),
}

#[derive(Clone, Debug)]
struct Spec {
    global: f64,
    /// At most one entry per axis; the axis may not exist.
    per_axis: Vec<(usize, AxisSpacing)>,
    axes: Option<Vec<usize>>,
    edge_order: EdgeOrder,
}

impl Spec {
    fn defaults() -> Self {
        Spec {
            global: 1.0,
            per_axis: Vec::new(),
            axes: None,
            edge_order: EdgeOrder::First,
        }
    }

    fn build(&self) -> GradientOptions<'_, f64> {
        let mut opts = GradientOptions::new().spacing(self.global).edge_order(self.edge_order);
        for (k, s) in &self.per_axis {
            opts = match s {
                AxisSpacing::Uniform(h) => opts.axis_spacing(Axis(*k), Spacing::Uniform(*h)),
                AxisSpacing::Coordinates(x) => opts.coordinates(Axis(*k), x),
            };
        }
        if let Some(axes) = &self.axes {
            opts = opts.axes(axes.iter().map(|&k| Axis(k)));
        }
        opts
    }

    fn spacing_of(&self, axis: usize) -> AxisSpacing {
        self.per_axis
            .iter()
            .find(|(k, _)| *k == axis)
            .map_or(AxisSpacing::Uniform(self.global), |(_, s)| s.clone())
    }

    /// The axes `gradient_with` differentiates, in output order (possibly invalid).
    fn requested_axes(&self, ndim: usize) -> Vec<usize> {
        self.axes.clone().unwrap_or_else(|| (0..ndim).collect())
    }
}

/// Any options: spacings, coordinates and axes that are sometimes invalid.
fn random_spec(rng: &mut StdRng, shape: &[usize]) -> Spec {
    let ndim = shape.len();
    let global = pick(rng, &[1.0, 1.0, 0.5, -2.0, 0.3, 0.0, f64::NAN, f64::INFINITY]);
    let mut per_axis = Vec::new();
    for (k, &len) in shape.iter().enumerate() {
        match rng.random_range(0..4) {
            0 => per_axis.push((k, AxisSpacing::Uniform(pick(rng, &[0.7, -1.5, 4.0, 0.0, f64::NAN])))),
            1 => per_axis.push((k, AxisSpacing::Coordinates(maybe_invalid_coordinates(rng, len)))),
            _ => {}
        }
    }
    if rng.random_bool(0.05) {
        per_axis.push((ndim + rng.random_range(0..2), AxisSpacing::Uniform(1.0)));
    }
    let axes = rng.random_bool(0.5).then(|| {
        let count = rng.random_range(0..=ndim + 1);
        (0..count).map(|_| rng.random_range(0..ndim + 1)).collect()
    });
    Spec {
        global,
        per_axis,
        axes,
        edge_order: random_edge_order(rng),
    }
}

/// Valid options that differentiate a random non-empty subset of the axes long enough for the
/// edge order (in random order), or `None` when no axis is long enough.
fn random_valid_spec(rng: &mut StdRng, shape: &[usize]) -> Option<Spec> {
    let edge_order = random_edge_order(rng);
    let mut axes: Vec<usize> = (0..shape.len()).filter(|&k| shape[k] >= edge_order.min_len()).collect();
    if axes.is_empty() {
        return None;
    }
    axes.shuffle(rng);
    axes.truncate(rng.random_range(1..=axes.len()));
    let mut per_axis = Vec::new();
    for &k in &axes {
        match rng.random_range(0..3) {
            0 => per_axis.push((k, AxisSpacing::Uniform(pick(rng, &[0.7, -1.5, 4.0, 0.1])))),
            1 => per_axis.push((k, AxisSpacing::Coordinates(valid_coordinates(rng, shape[k])))),
            _ => {}
        }
    }
    Some(Spec {
        global: pick(rng, &[1.0, 0.5, -2.0, 0.3]),
        per_axis,
        axes: Some(axes),
        edge_order,
    })
}

// =============================================================================================
// Predicting the outcome of a call

/// What a call must do. With `errors` it must fail, with one of `errors` or `allowed`; without,
/// it must succeed or fail with one of `allowed`.
#[derive(Debug, Default)]
struct Expected {
    errors: Vec<GradientError>,
    allowed: Vec<GradientError>,
}

/// Compared through `Debug` because `InvalidSpacing { spacing: NaN }` is not `==` to itself.
fn same_error(a: &GradientError, b: &GradientError) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

impl Expected {
    fn check<T>(&self, result: Result<T, GradientError>, what: &str) -> Option<T> {
        match result {
            Ok(v) => {
                assert!(
                    self.errors.is_empty(),
                    "{what}: Ok, but expected one of {:?}",
                    self.errors
                );
                Some(v)
            }
            Err(e) => {
                let known = self.errors.iter().chain(&self.allowed).any(|x| same_error(x, &e));
                assert!(known, "{what}: unexpected {e:?}; expected one of {self:?}");
                None
            }
        }
    }
}

/// First index `i` where `x[i]`, `x[i + 1]` do not go in the direction of `x[0]`, `x[1]`.
fn first_non_monotonic(x: &Array1<f64>) -> Option<usize> {
    let steps: Vec<f64> = x.windows(2).into_iter().map(|w| w[1] - w[0]).collect();
    let up = *steps.first()? > 0.0;
    steps.iter().position(|&d| if up { d <= 0.0 } else { d >= 0.0 })
}

fn spacing_errors(axis: usize, len: usize, spacing: &AxisSpacing) -> Vec<GradientError> {
    let mut errors = Vec::new();
    match spacing {
        AxisSpacing::Uniform(h) => {
            if !h.is_finite() || *h == 0.0 {
                errors.push(GradientError::InvalidSpacing { axis, spacing: *h });
            }
        }
        AxisSpacing::Coordinates(x) => {
            if x.len() != len {
                errors.push(GradientError::CoordinatesLength {
                    axis,
                    expected: len,
                    got: x.len(),
                });
            }
            if let Some(index) = x.iter().position(|v| !v.is_finite()) {
                errors.push(GradientError::CoordinatesNotFinite { axis, index });
            } else if let Some(index) = first_non_monotonic(x) {
                errors.push(GradientError::CoordinatesNotMonotonic { axis, index });
            }
        }
    }
    errors
}

/// The outcome of differentiating `axes` (as requested) with `spec` on an array of `shape`.
fn expect_gradient(spec: &Spec, shape: &[usize], axes: &[usize]) -> Expected {
    let ndim = shape.len();
    let mut exp = Expected::default();
    for (i, &k) in axes.iter().enumerate() {
        if k >= ndim {
            exp.errors.push(GradientError::AxisOutOfBounds { axis: k, ndim });
        } else if axes[..i].contains(&k) {
            exp.errors.push(GradientError::RepeatedAxis { axis: k });
        } else {
            exp.errors.extend(spacing_errors(k, shape[k], &spec.spacing_of(k)));
            let min = spec.edge_order.min_len();
            if shape[k] < min {
                exp.errors.push(GradientError::AxisTooShort {
                    axis: k,
                    len: shape[k],
                    min,
                });
            }
        }
    }
    for (k, s) in &spec.per_axis {
        if *k >= ndim {
            exp.errors.push(GradientError::AxisOutOfBounds { axis: *k, ndim });
        } else if !axes.contains(k) {
            // A bad spacing for an axis that is not differentiated may be reported or ignored:
            // NumPy has no way to express it, and the crate does not promise either.
            exp.allowed.extend(spacing_errors(*k, shape[*k], s));
        }
    }
    exp
}

/// The outcome of `diff_*` along `axis` (output shape checks are added by the caller).
fn expect_diff(shape: &[usize], axis: usize) -> Expected {
    let ndim = shape.len();
    let mut exp = Expected::default();
    if ndim == 0 {
        exp.errors.push(GradientError::ZeroDimensional);
    } else if axis >= ndim {
        exp.errors.push(GradientError::AxisOutOfBounds { axis, ndim });
    }
    exp
}

/// An output shape: right most of the time, otherwise one axis too long or one axis more.
fn maybe_wrong_shape(rng: &mut StdRng, shape: &[usize]) -> Vec<usize> {
    let mut out = shape.to_vec();
    if rng.random_bool(0.2) {
        if out.is_empty() || rng.random_bool(0.3) {
            out.push(1);
        } else {
            let k = rng.random_range(0..out.len());
            out[k] += 1;
        }
    }
    out
}

fn expect_output_shape(
    exp: &mut Expected,
    expected: &[usize],
    got: &[usize],
    output: Option<usize>,
    axis: Option<usize>,
) {
    if expected != got {
        exp.errors.push(GradientError::OutputShape {
            output,
            axis,
            expected: expected.to_vec(),
            got: got.to_vec(),
        });
    }
}

// =============================================================================================
// Never a panic; Err exactly for invalid input

const UNTOUCHED: f64 = -7.25;

/// An axis of the array most of the time, otherwise one past the end.
fn random_axis(rng: &mut StdRng, ndim: usize) -> usize {
    if ndim > 0 && rng.random_bool(0.85) {
        rng.random_range(0..ndim)
    } else {
        ndim + rng.random_range(0..2)
    }
}

fn check_gradient_calls(f: &ArrayD<f64>, spec: &Spec, rng: &mut StdRng) {
    let shape = f.shape();
    let ndim = f.ndim();
    let opts = spec.build();

    let axes = spec.requested_axes(ndim);
    let exp = expect_gradient(spec, shape, &axes);
    if let Some(gs) = exp.check(f.gradient_with(&opts), "gradient_with") {
        assert_eq!(gs.len(), axes.len());
        assert!(gs.iter().all(|g| g.shape() == shape));
    }

    let all: Vec<usize> = (0..ndim).collect();
    if let Some(gs) = expect_gradient(&Spec::defaults(), shape, &all).check(f.gradient(), "gradient") {
        assert_eq!(gs.len(), ndim);
    }

    let axis = random_axis(rng, ndim);
    let exp = expect_gradient(spec, shape, &[axis]);
    if let Some(g) = exp.check(f.gradient_axis_with(Axis(axis), &opts), "gradient_axis_with") {
        assert_eq!(g.shape(), shape);
    }
    let exp_default = expect_gradient(&Spec::defaults(), shape, &[axis]);
    exp_default.check(f.gradient_axis(Axis(axis)), "gradient_axis");

    // gradient_axis_into: on error the output is untouched.
    let mut exp = exp;
    let out_shape = maybe_wrong_shape(rng, shape);
    expect_output_shape(&mut exp, shape, &out_shape, None, Some(axis));
    let mut out = ArrayD::from_elem(IxDyn(&out_shape), UNTOUCHED);
    if exp
        .check(f.gradient_axis_into(Axis(axis), &opts, &mut out), "gradient_axis_into")
        .is_none()
    {
        assert!(
            out.iter().all(|&v| v == UNTOUCHED),
            "gradient_axis_into wrote before failing"
        );
    }

    // gradient_into with the right or a wrong number of outputs.
    let mut exp = expect_gradient(spec, shape, &axes);
    let count = match rng.random_range(0..6) {
        0 => axes.len() + 1,
        1 if !axes.is_empty() => axes.len() - 1,
        _ => axes.len(),
    };
    if count != axes.len() {
        exp.errors.push(GradientError::OutputCount {
            expected: axes.len(),
            got: count,
        });
    }
    let mut outs: Vec<ArrayD<f64>> = (0..count)
        .map(|i| {
            let out_shape = maybe_wrong_shape(rng, shape);
            // Past the last axis the count is wrong, which is reported first.
            expect_output_shape(&mut exp, shape, &out_shape, Some(i), axes.get(i).copied());
            ArrayD::from_elem(IxDyn(&out_shape), UNTOUCHED)
        })
        .collect();
    let mut refs: Vec<&mut ArrayRef<f64, IxDyn>> = outs.iter_mut().map(|o| &mut **o).collect();
    if exp.check(f.gradient_into(&opts, &mut refs), "gradient_into").is_none() {
        assert!(
            outs.iter().flatten().all(|&v| v == UNTOUCHED),
            "gradient_into wrote before failing"
        );
    }
}

/// A `diff_with` padding that owns its array.
#[derive(Clone, Debug)]
enum OwnedPad<A> {
    Scalar(A),
    Array(ArrayD<A>),
}

impl<A: Copy> OwnedPad<A> {
    fn as_pad(&self) -> Pad<'_, A, IxDyn> {
        match self {
            OwnedPad::Scalar(v) => Pad::Scalar(*v),
            OwnedPad::Array(a) => Pad::Array(a.view()),
        }
    }

    /// How many elements it adds along `axis`.
    fn len_along(&self, axis: Axis) -> usize {
        match self {
            OwnedPad::Scalar(_) => 1,
            OwnedPad::Array(a) => a.len_of(axis),
        }
    }
}

/// A padding for `diff_with`: none, a scalar, a fitting array (any length along `axis`), or an
/// array of the wrong shape, with the error it must cause.
fn random_pad<A: Copy>(
    rng: &mut StdRng,
    shape: &[usize],
    axis: usize,
    value: A,
    side: PadSide,
) -> (Option<OwnedPad<A>>, Option<GradientError>) {
    match rng.random_range(0..4) {
        0 => (None, None),
        1 => (Some(OwnedPad::Scalar(value)), None),
        kind => {
            let mut pad_shape = shape.to_vec();
            if let Some(len) = pad_shape.get_mut(axis) {
                *len = rng.random_range(0..=2);
            }
            let fits = kind == 2 || shape.is_empty() || axis >= shape.len();
            if !fits {
                // Another dimension differs, or the number of dimensions does.
                let others: Vec<usize> = (0..shape.len()).filter(|&k| k != axis).collect();
                if others.is_empty() || rng.random_bool(0.3) {
                    pad_shape.push(1);
                } else {
                    pad_shape[pick(rng, &others)] += 1;
                }
            }
            let error = (!fits).then(|| GradientError::PadShape {
                side,
                axis,
                expected: shape.to_vec(),
                got: pad_shape.clone(),
            });
            (
                Some(OwnedPad::Array(ArrayD::from_elem(IxDyn(&pad_shape), value))),
                error,
            )
        }
    }
}

fn check_diff_calls<A>(a: &ArrayD<A>, pad_value: A, rng: &mut StdRng)
where
    A: DiffElement + PartialEq + Debug,
{
    let shape = a.shape();
    let ndim = a.ndim();
    let axis = random_axis(rng, ndim);
    let n = rng.random_range(0..=8);
    let diffed_shape = |len_change: usize| -> Vec<usize> {
        let mut s = shape.to_vec();
        s[axis] = (s[axis] + len_change).saturating_sub(n);
        s
    };

    if let Some(d) = expect_diff(shape, axis).check(a.diff(n, Axis(axis)), "diff") {
        assert_eq!(d.shape(), diffed_shape(0));
    }

    let mut exp = expect_diff(shape, axis);
    let (prepend, prepend_error) = random_pad(rng, shape, axis, pad_value, PadSide::Prepend);
    let (append, append_error) = random_pad(rng, shape, axis, pad_value, PadSide::Append);
    if exp.errors.is_empty() {
        exp.errors.extend(prepend_error.into_iter().chain(append_error));
    }
    let result = a.diff_with(
        n,
        Axis(axis),
        prepend.as_ref().map(OwnedPad::as_pad),
        append.as_ref().map(OwnedPad::as_pad),
    );
    if let Some(d) = exp.check(result, "diff_with") {
        let padding: usize = prepend.iter().chain(&append).map(|p| p.len_along(Axis(axis))).sum();
        assert_eq!(d.shape(), diffed_shape(padding));
    }

    // diff_into: on error the output is untouched.
    let mut exp = expect_diff(shape, axis);
    let out_shape = if exp.errors.is_empty() {
        let want = diffed_shape(0);
        let got = maybe_wrong_shape(rng, &want);
        expect_output_shape(&mut exp, &want, &got, None, Some(axis));
        got
    } else {
        shape.to_vec()
    };
    let mut out = ArrayD::from_elem(IxDyn(&out_shape), pad_value);
    if exp.check(a.diff_into(n, Axis(axis), &mut out), "diff_into").is_none() {
        assert!(out.iter().all(|&v| v == pad_value), "diff_into wrote before failing");
    }
}

#[test]
fn no_call_panics_and_errors_match_the_input() {
    let mut rng = seeded(1);
    for _ in 0..1500 {
        let ndim = rng.random_range(0..=4);
        let shape = random_shape(&mut rng, ndim);
        let c = random_values(&mut rng, &shape);
        let layout = pick(&mut rng, &LAYOUTS);
        let f = lay_out(&c, layout, f64::NAN, &mut rng);
        let spec = random_spec(&mut rng, &shape);

        check_gradient_calls(&f, &spec, &mut rng);
        check_diff_calls(&f, 0.5, &mut rng);
        // Integers over their whole range, to catch overflow panics in debug builds.
        let bytes = lay_out(&c.mapv(|v| (v * 12.8) as i8), layout, 0, &mut rng);
        check_diff_calls(&bytes, i8::MIN, &mut rng);
        let bools = lay_out(&c.mapv(|v| v > 0.0), layout, false, &mut rng);
        check_diff_calls(&bools, true, &mut rng);
    }
}

// =============================================================================================
// Layout independence

#[test]
fn every_layout_gives_the_bits_of_the_standard_layout() {
    let mut rng = seeded(2);
    for _ in 0..250 {
        let ndim = rng.random_range(1..=4);
        let shape = random_shape(&mut rng, ndim);
        let c = random_values(&mut rng, &shape);
        let spec = random_valid_spec(&mut rng, &shape);
        let opts = spec.as_ref().map(Spec::build);
        let diff_axis = Axis(rng.random_range(0..ndim));
        let n = rng.random_range(0..=3);
        let want_grad = opts.as_ref().map(|o| c.gradient_with(o).unwrap());
        let want_diff = c.diff(n, diff_axis).unwrap();
        let want_padded = c.diff_with(n, diff_axis, Some(Pad::Scalar(0.5)), None).unwrap();

        for layout in LAYOUTS {
            let f = lay_out(&c, layout, f64::NAN, &mut rng);
            let what = format!("{layout:?} {shape:?}");
            if let (Some(opts), Some(want)) = (&opts, &want_grad) {
                let got = f.gradient_with(opts).unwrap();
                assert_all_same_bits(&got, want, &format!("gradient_with, {what}"));
                for g in &got {
                    check_memory_order(&f, g, &what);
                }
                let axes = spec.as_ref().unwrap().requested_axes(ndim);
                for (k, want) in axes.iter().zip(want) {
                    let mut into_c = ArrayD::from_elem(IxDyn(&shape), UNTOUCHED);
                    let mut into_f = ArrayD::from_elem(IxDyn(&shape).f(), UNTOUCHED);
                    f.gradient_axis_into(Axis(*k), opts, &mut into_c).unwrap();
                    f.gradient_axis_into(Axis(*k), opts, &mut into_f).unwrap();
                    assert_same_bits(&into_c, want, &format!("gradient_axis_into C, {what}"));
                    assert_same_bits(&into_f, want, &format!("gradient_axis_into F, {what}"));
                }
            }

            let got = f.diff(n, diff_axis).unwrap();
            assert_same_bits(&got, &want_diff, &format!("diff({n}), {what}"));
            check_memory_order(&f, &got, &what);
            let padded = f.diff_with(n, diff_axis, Some(Pad::Scalar(0.5)), None).unwrap();
            assert_same_bits(&padded, &want_padded, &format!("diff_with({n}), {what}"));
            check_memory_order(&f, &padded, &what);
            let mut into_c = ArrayD::from_elem(want_diff.raw_dim(), UNTOUCHED);
            let mut into_f = ArrayD::from_elem(want_diff.raw_dim().f(), UNTOUCHED);
            f.diff_into(n, diff_axis, &mut into_c).unwrap();
            f.diff_into(n, diff_axis, &mut into_f).unwrap();
            assert_same_bits(&into_c, &want_diff, &format!("diff_into C, {what}"));
            assert_same_bits(&into_f, &want_diff, &format!("diff_into F, {what}"));
        }
    }
}

/// C in, C out; F in, F out (as NumPy's `empty_like`). An input that is both (at most one axis
/// longer than 1) counts as C: a padded `diff` may then make the output truly 2-D, and C.
fn check_memory_order<D: Dimension>(input: &ArrayRef<f64, D>, out: &ArrayRef<f64, D>, what: &str) {
    let strides = out.strides();
    if input.is_standard_layout() {
        assert!(out.is_standard_layout(), "C input, output strides {strides:?}: {what}");
    } else if is_fortran(input) {
        assert!(is_fortran(out), "F input, output strides {strides:?}: {what}");
    }
}

#[test]
fn fixed_dimension_layouts_give_the_same_bits() {
    // The same property through statically-dimensioned arrays, and with `s![..;-1]` slicing.
    let mut rng = seeded(3);
    for _ in 0..100 {
        let (rows, cols) = (rng.random_range(2..=20), rng.random_range(2..=20));
        let c: Array2<f64> = Array2::random_using((rows, cols), Uniform::new(-5.0, 5.0).unwrap(), &mut rng);
        let opts = GradientOptions::new().edge_order(if rows >= 3 && cols >= 3 {
            random_edge_order(&mut rng)
        } else {
            EdgeOrder::First
        });
        let want = c.gradient_with(&opts).unwrap();

        let reversed_c = c.slice(s![..;-1, ..]).to_owned();
        let reversed = reversed_c.slice(s![..;-1, ..]); // the values of c, with a negative stride
        let fortran = c.t().as_standard_layout().into_owned().reversed_axes();
        assert!(is_fortran(&fortran) && !fortran.is_standard_layout());
        assert_all_same_bits(&reversed.gradient_with(&opts).unwrap(), &want, "s![..;-1, ..]");
        assert_all_same_bits(&fortran.gradient_with(&opts).unwrap(), &want, "F");
        assert!(fortran.gradient_with(&opts).unwrap().iter().all(|g| is_fortran(g)));

        let n = rng.random_range(1..=3);
        let want = c.diff(n, Axis(1)).unwrap();
        assert_same_bits(&reversed.diff(n, Axis(1)).unwrap(), &want, "diff s![..;-1, ..]");
        assert_same_bits(&fortran.diff(n, Axis(1)).unwrap(), &want, "diff F");
    }
}

// =============================================================================================
// Exactness on polynomials

/// A grid: coordinates per axis, and the spacing the gradient is told (a uniform step `h`
/// whose points are `x0 + i*h`, or the coordinates themselves).
struct Grid {
    x: Vec<Array1<f64>>,
    uniform: Vec<Option<f64>>,
}

fn random_grid(rng: &mut StdRng, shape: &[usize]) -> Grid {
    let mut grid = Grid {
        x: Vec::new(),
        uniform: Vec::new(),
    };
    for &len in shape {
        if rng.random_bool(0.4) {
            let (x0, h) = (rng.random_range(-3.0..3.0), pick(rng, &[0.5, 0.7, -1.25, 1.5]));
            grid.x.push(Array1::from_shape_fn(len, |i| x0 + i as f64 * h));
            grid.uniform.push(Some(h));
        } else {
            grid.x.push(valid_coordinates(rng, len));
            grid.uniform.push(None);
        }
    }
    grid
}

impl Grid {
    fn options(&self, edge_order: EdgeOrder) -> GradientOptions<'_, f64> {
        let mut opts = GradientOptions::new().edge_order(edge_order);
        for (k, (x, h)) in self.x.iter().zip(&self.uniform).enumerate() {
            opts = match h {
                Some(h) => opts.axis_spacing(Axis(k), Spacing::Uniform(*h)),
                None => opts.coordinates(Axis(k), x),
            };
        }
        opts
    }

    fn shape(&self) -> Vec<usize> {
        self.x.iter().map(|x| x.len()).collect()
    }

    /// `sum_k term(k, x_k)` at every grid point.
    fn sample(&self, term: impl Fn(usize, f64) -> f64) -> ArrayD<f64> {
        ArrayD::from_shape_fn(IxDyn(&self.shape()), |idx| {
            (0..self.x.len()).map(|k| term(k, self.x[k][idx[k]])).sum()
        })
    }
}

/// Rounding only: the inputs are O(100) and the steps at least 0.5, so the rounding error is
/// about 1e-12; a real stencil error would be O(1).
fn assert_close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: got {got}, want {want}"
    );
}

fn random_slopes(rng: &mut StdRng, ndim: usize) -> Vec<f64> {
    (0..ndim)
        .map(|_| rng.random_range(0.5..3.0) * pick(rng, &[-1.0, 1.0]))
        .collect()
}

#[test]
fn gradient_of_a_linear_function_is_its_slope() {
    let mut rng = seeded(4);
    for _ in 0..200 {
        let ndim = rng.random_range(2..=3);
        let shape = random_long_shape(&mut rng, ndim, 3);
        let grid = random_grid(&mut rng, &shape);
        let (a, b) = (rng.random_range(-10.0..10.0), random_slopes(&mut rng, ndim));
        let f = grid.sample(|k, x| b[k] * x) + a;
        for edge_order in [EdgeOrder::First, EdgeOrder::Second] {
            let g = f.gradient_with(&grid.options(edge_order)).unwrap();
            for (k, gk) in g.iter().enumerate() {
                for &v in gk {
                    assert_close(v, b[k], &format!("axis {k} of {shape:?}, {edge_order:?}"));
                }
            }
        }
    }
}

#[test]
fn gradient_of_a_quadratic_is_exact_where_the_stencil_is_second_order() {
    let mut rng = seeded(5);
    for _ in 0..200 {
        let ndim = rng.random_range(2..=3);
        let shape = random_long_shape(&mut rng, ndim, 3);
        let grid = random_grid(&mut rng, &shape);
        let (b, c) = (random_slopes(&mut rng, ndim), random_slopes(&mut rng, ndim));
        let f = grid.sample(|k, x| b[k] * x + c[k] * x * x) + 1.0;
        let derivative = |k: usize, x: f64| b[k] + 2.0 * c[k] * x;

        let second = f.gradient_with(&grid.options(EdgeOrder::Second)).unwrap();
        let first = f.gradient_with(&grid.options(EdgeOrder::First)).unwrap();
        for k in 0..ndim {
            let x = &grid.x[k];
            let n = x.len();
            for (i, (s, fo)) in second[k]
                .axis_iter(Axis(k))
                .zip(first[k].axis_iter(Axis(k)))
                .enumerate()
            {
                let exact = derivative(k, x[i]);
                // One-sided first differences of a quadratic are off by exactly c * step.
                let first_order = match i {
                    0 => exact + c[k] * (x[1] - x[0]),
                    i if i == n - 1 => exact - c[k] * (x[n - 1] - x[n - 2]),
                    _ => exact,
                };
                let what = format!("axis {k} point {i} of {shape:?}");
                s.iter()
                    .for_each(|&v| assert_close(v, exact, &format!("edge order 2, {what}")));
                fo.iter()
                    .for_each(|&v| assert_close(v, first_order, &format!("edge order 1, {what}")));
            }
        }
    }
}

// =============================================================================================
// Symmetries

/// `==` on floats: bit equality, except that `0.0 == -0.0`. A zero difference `t - t` is `+0.0`
/// in both computations, so after a division by the negated step (or a negation of the whole
/// result) the two zeros need not have the same sign. Every other value must match bit for bit.
fn assert_exact_up_to_zero_sign<D: Dimension>(got: ArrayView<f64, D>, want: ArrayView<f64, D>, what: &str) {
    assert_eq!(got.shape(), want.shape());
    Zip::from(&got)
        .and(&want)
        .for_each(|&g, &w| assert!(g == w, "{what}: {g:e} != {w:e}"));
}

/// A random array, an axis of it with at least `min_len` points, and a spacing for that axis:
/// a uniform step or coordinates (`None` for the uniform step).
fn random_axis_case(rng: &mut StdRng, min_len: usize) -> (ArrayD<f64>, usize, f64, Option<Array1<f64>>) {
    let ndim = rng.random_range(1..=3);
    let mut shape = random_long_shape(rng, ndim, 1);
    let axis = rng.random_range(0..ndim);
    shape[axis] = shape[axis].max(min_len);
    let f = random_values(rng, &shape);
    let h = pick(rng, &[1.0, 0.5, 0.3, -2.0, 7.0]);
    let x = rng.random_bool(0.6).then(|| valid_coordinates(rng, shape[axis]));
    (f, axis, h, x)
}

fn axis_options<'a>(
    axis: usize,
    h: f64,
    x: Option<&'a Array1<f64>>,
    edge_order: EdgeOrder,
) -> GradientOptions<'a, f64> {
    let opts = GradientOptions::new().edge_order(edge_order);
    match x {
        Some(x) => opts.coordinates(Axis(axis), x),
        None => opts.axis_spacing(Axis(axis), Spacing::Uniform(h)),
    }
}

#[test]
fn negating_the_coordinates_negates_the_gradient_exactly() {
    // With x -> -x every step d -> -d exactly (round-to-nearest is symmetric), so every stencil
    // coefficient changes sign exactly (each is an odd function of the steps built from exact
    // negations), and so does the result: no rounding differs.
    let mut rng = seeded(6);
    for _ in 0..400 {
        let edge_order = random_edge_order(&mut rng);
        let (f, axis, h, x) = random_axis_case(&mut rng, edge_order.min_len());
        let neg_x = x.as_ref().map(|x| -x);
        let g = f
            .gradient_axis_with(Axis(axis), &axis_options(axis, h, x.as_ref(), edge_order))
            .unwrap();
        let g_neg = f
            .gradient_axis_with(Axis(axis), &axis_options(axis, -h, neg_x.as_ref(), edge_order))
            .unwrap();
        let what = format!("axis {axis} of {:?}, {edge_order:?}, x = {x:?}", f.shape());
        assert_exact_up_to_zero_sign(g_neg.view(), (-&g).view(), &what);
    }
}

#[test]
fn reversing_the_array_and_its_coordinates_reverses_the_gradient() {
    // Reversal swaps the roles of the two neighbours and negates every step. Where the formula
    // is a single difference, `(f[i+1] - f[i-1]) / 2h` or a first-order edge, that is exact.
    // Where it is a weighted sum of three terms (non-uniform interior, second-order edges), the
    // same three products are added in mirrored order, which rounds differently: only close.
    let mut rng = seeded(7);
    for _ in 0..400 {
        let edge_order = random_edge_order(&mut rng);
        let (f, axis, h, x) = random_axis_case(&mut rng, edge_order.min_len());
        let ax = Axis(axis);
        let n = f.len_of(ax);
        let g = f
            .gradient_axis_with(ax, &axis_options(axis, h, x.as_ref(), edge_order))
            .unwrap();

        let mut f_rev = f.clone();
        f_rev.invert_axis(ax);
        let x_rev = x.as_ref().map(|x| x.slice(s![..;-1]).to_owned());
        let mut g_rev = f_rev
            .gradient_axis_with(ax, &axis_options(axis, -h, x_rev.as_ref(), edge_order))
            .unwrap();
        g_rev.invert_axis(ax); // back in the original order

        let uniform = x.as_ref().is_none_or(steps_all_equal);
        for i in 0..n {
            let edge = i == 0 || i == n - 1;
            let single_difference = if edge { edge_order == EdgeOrder::First } else { uniform };
            let (got, want) = (g_rev.index_axis(ax, i), g.index_axis(ax, i));
            let what = format!("point {i} of axis {axis}, {:?}, {edge_order:?}, x = {x:?}", f.shape());
            if single_difference {
                assert_exact_up_to_zero_sign(got, want, &what);
            } else {
                Zip::from(&got).and(&want).for_each(|&a, &b| assert_close(a, b, &what));
            }
        }
    }
}

/// Whether all the steps of `x` are exactly equal (NumPy's test for the uniform formulas).
fn steps_all_equal(x: &Array1<f64>) -> bool {
    let steps: Vec<f64> = x.windows(2).into_iter().map(|w| w[1] - w[0]).collect();
    steps.iter().all(|&d| d == steps[0])
}

// =============================================================================================
// diff

/// `np.diff(a, n, axis)` by its definition: `n` times `a[1:] - a[:-1]` with `sub`.
fn reference_diff<A: Copy>(a: &ArrayD<A>, n: usize, axis: Axis, sub: impl Fn(A, A) -> A) -> ArrayD<A> {
    let mut d = a.to_owned();
    for _ in 0..n {
        if d.len_of(axis) == 0 {
            break;
        }
        d = Zip::from(d.slice_axis(axis, Slice::from(1..)))
            .and(d.slice_axis(axis, Slice::from(..-1)))
            .map_collect(|&next, &prev| sub(next, prev));
    }
    d
}

#[test]
fn diff_n_is_n_first_differences() {
    let mut rng = seeded(8);
    for _ in 0..300 {
        let ndim = rng.random_range(1..=4);
        let shape = random_shape(&mut rng, ndim);
        let c = random_values(&mut rng, &shape);
        let f = lay_out(&c, pick(&mut rng, &LAYOUTS), f64::NAN, &mut rng);
        let axis = Axis(rng.random_range(0..ndim));
        let n = rng.random_range(0..=shape[axis.index()] + 1);

        let mut repeated = c.clone();
        for _ in 0..n {
            repeated = repeated.diff(1, axis).unwrap();
        }
        let what = format!("diff({n}) along {axis:?} of {shape:?}");
        assert_same_bits(&f.diff(n, axis).unwrap(), &repeated, &what);
        assert_same_bits(&reference_diff(&c, n, axis, |a, b| a - b), &repeated, &what);
    }
}

#[test]
fn integer_diff_wraps_around() {
    // NumPy: np.diff(np.int8([-128, 127, -128])) == [-1, 1]; unsigned values are modular.
    assert_eq!(array![-128i8, 127, -128].diff(1, Axis(0)).unwrap(), array![-1, 1]);
    assert_eq!(array![-128i8, 127, -128].diff(2, Axis(0)).unwrap(), array![2]);
    assert_eq!(array![0u8, 5, 1].diff(2, Axis(0)).unwrap(), array![247]);
    assert_eq!(array![i64::MIN, i64::MAX].diff(1, Axis(0)).unwrap(), array![-1]);

    let mut rng = seeded(9);
    let extremes = [i8::MIN, i8::MIN + 1, -1, 0, 1, i8::MAX - 1, i8::MAX];
    for _ in 0..300 {
        let ndim = rng.random_range(1..=3);
        let shape = random_shape(&mut rng, ndim);
        let c = ArrayD::from_shape_simple_fn(IxDyn(&shape), || pick(&mut rng, &extremes));
        let a = lay_out(&c, pick(&mut rng, &LAYOUTS), 0, &mut rng);
        let axis = Axis(rng.random_range(0..ndim));
        let n = rng.random_range(0..=4);
        let want = reference_diff(&c, n, axis, i8::wrapping_sub);
        assert_eq!(a.diff(n, axis).unwrap(), want, "diff({n}) along {axis:?} of {c}");

        let wide = c.mapv(|v| i64::from(v) << 56); // near i64::MIN / i64::MAX
        assert_eq!(
            wide.diff(n, axis).unwrap(),
            reference_diff(&wide, n, axis, i64::wrapping_sub)
        );
        let unsigned = c.mapv(|v| v as u8);
        assert_eq!(
            unsigned.diff(n, axis).unwrap(),
            reference_diff(&unsigned, n, axis, u8::wrapping_sub)
        );
    }
}

#[test]
fn bool_diff_is_xor() {
    let mut rng = seeded(10);
    for _ in 0..300 {
        let ndim = rng.random_range(1..=3);
        let shape = random_shape(&mut rng, ndim);
        let c = ArrayD::from_shape_simple_fn(IxDyn(&shape), || rng.random_bool(0.5));
        let a = lay_out(&c, pick(&mut rng, &LAYOUTS), false, &mut rng);
        let axis = Axis(rng.random_range(0..ndim));
        let n = rng.random_range(0..=4);
        let want = reference_diff(&c, n, axis, |next, prev| next ^ prev);
        assert_eq!(a.diff(n, axis).unwrap(), want, "diff({n}) along {axis:?} of {c}");
    }
}

#[test]
fn padded_diff_is_diff_of_the_concatenation() {
    let mut rng = seeded(11);
    for _ in 0..300 {
        let ndim = rng.random_range(1..=3);
        let shape = random_shape(&mut rng, ndim);
        let c = random_values(&mut rng, &shape);
        let a = lay_out(&c, pick(&mut rng, &LAYOUTS), f64::NAN, &mut rng);
        let axis = Axis(rng.random_range(0..ndim));

        // A padding as given to diff_with, and the array it stands for.
        let random_padding = |rng: &mut StdRng| -> (Option<OwnedPad<f64>>, ArrayD<f64>) {
            let mut pad_shape = shape.clone();
            match rng.random_range(0..3) {
                0 => {
                    pad_shape[axis.index()] = 0;
                    (None, ArrayD::zeros(IxDyn(&pad_shape)))
                }
                1 => {
                    let v = rng.random_range(-10.0..10.0);
                    pad_shape[axis.index()] = 1;
                    (Some(OwnedPad::Scalar(v)), ArrayD::from_elem(IxDyn(&pad_shape), v))
                }
                _ => {
                    pad_shape[axis.index()] = rng.random_range(0..=3);
                    let p = random_values(rng, &pad_shape);
                    (Some(OwnedPad::Array(p.clone())), p)
                }
            }
        };
        let (prepend, pre) = random_padding(&mut rng);
        let (append, app) = random_padding(&mut rng);
        let joined = ndarray::concatenate(axis, &[pre.view(), c.view(), app.view()]).unwrap();

        for n in [0, 1, 2, 5] {
            let got = a
                .diff_with(
                    n,
                    axis,
                    prepend.as_ref().map(OwnedPad::as_pad),
                    append.as_ref().map(OwnedPad::as_pad),
                )
                .unwrap();
            let what = format!(
                "diff_with({n}) along {axis:?}, {shape:?} padded to {:?}",
                joined.shape()
            );
            assert_same_bits(&got, &joined.diff(n, axis).unwrap(), &what);
        }
    }
}

// =============================================================================================
// Element types and threads

/// Integer gradients are computed on the `f64` conversion of every element.
fn check_integer_gradient<I>(rng: &mut StdRng, random: impl Fn(&mut StdRng) -> I, to_f64: impl Fn(I) -> f64)
where
    I: GradientElement<Real = f64, Output = f64> + PartialEq + Debug + Default,
{
    for _ in 0..100 {
        let ndim = rng.random_range(1..=3);
        let shape = random_shape(rng, ndim);
        let c = ArrayD::from_shape_simple_fn(IxDyn(&shape), || random(rng));
        let a = lay_out(&c, pick(rng, &LAYOUTS), I::default(), rng);
        let Some(spec) = random_valid_spec(rng, &shape) else {
            continue;
        };
        let opts = spec.build();
        let want = c.mapv(&to_f64).gradient_with(&opts).unwrap();
        let what = format!("{} of shape {shape:?}", std::any::type_name::<I>());
        assert_all_same_bits(&a.gradient_with(&opts).unwrap(), &want, &what);
    }
}

#[test]
fn integer_gradient_is_the_gradient_of_the_f64_conversion() {
    let mut rng = seeded(12);
    // Full-range i64 and u64 include values above 2^53, which the conversion rounds.
    check_integer_gradient(&mut rng, |r| r.random::<i64>(), |v| v as f64);
    check_integer_gradient(&mut rng, |r| r.random::<u64>(), |v| v as f64);
    check_integer_gradient(&mut rng, |r| r.random::<i8>(), f64::from);
    check_integer_gradient(&mut rng, |r| r.random::<u8>(), f64::from);
    check_integer_gradient(&mut rng, |r| r.random_range(-1000i32..1000), f64::from);
}

#[test]
fn parallel_threshold_changes_no_bit() {
    // Passes with and without the `rayon` feature; with it, threshold 0 splits every array.
    let mut rng = seeded(13);
    for iteration in 0..150 {
        let ndim = rng.random_range(1..=4);
        let mut shape = random_shape(&mut rng, ndim);
        if iteration % 50 == 0 {
            // Now and then an array large enough to be cut into more than two blocks.
            shape = vec![rng.random_range(300..400), rng.random_range(150..200)];
        }
        let ndim = shape.len();
        let c = random_values(&mut rng, &shape);
        let f = lay_out(&c, pick(&mut rng, &LAYOUTS), f64::NAN, &mut rng);
        let spec = random_valid_spec(&mut rng, &shape);
        let opts = spec.as_ref().map(Spec::build);
        let axis = Axis(rng.random_range(0..ndim));
        let n = rng.random_range(1..=3);

        let run = |threshold: usize| {
            with_parallel_threshold(threshold, || {
                let grads = opts.as_ref().map(|o| f.gradient_with(o).unwrap()).unwrap_or_default();
                let mut into_f = ArrayD::from_elem(IxDyn(&shape).f(), UNTOUCHED);
                let into = opts.as_ref().map(|o| {
                    let k = spec.as_ref().unwrap().requested_axes(ndim)[0];
                    f.gradient_axis_into(Axis(k), o, &mut into_f).unwrap();
                    into_f
                });
                let diffed = f.diff(n, axis).unwrap();
                let mut diff_out = ArrayD::from_elem(diffed.raw_dim().f(), UNTOUCHED);
                f.diff_into(n, axis, &mut diff_out).unwrap();
                (grads, into, diffed, diff_out)
            })
        };
        let (serial, split) = (run(usize::MAX), run(0));
        let what = format!("shape {shape:?}");
        assert_all_same_bits(&split.0, &serial.0, &format!("gradient_with, {what}"));
        if let (Some(a), Some(b)) = (&split.1, &serial.1) {
            assert_same_bits(a, b, &format!("gradient_axis_into, {what}"));
        }
        assert_same_bits(&split.2, &serial.2, &format!("diff, {what}"));
        assert_same_bits(&split.3, &serial.3, &format!("diff_into, {what}"));
    }
}
