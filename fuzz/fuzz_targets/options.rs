//! Random options, shapes, layouts, spacings and coordinates against an independent validity
//! oracle written from the documented rules.
//!
//! The first byte of the input picks one of two parts. Both build one `GradientOptions<f64>` (a
//! random sequence of builder calls, so later per-axis settings replace earlier ones) and an
//! array (0-size and length-1 axes included, lengths biased to the stencil's minimum ± 1).
//!
//! The gradient part (`check`) makes one of three calls (`gradient_axis_with`, `gradient_with`,
//! `laplacian`) on an array of 0 to 4 dimensions, and asserts:
//!
//! 1. no panic;
//! 2. `Err` exactly when the oracle says the input is invalid, and then an error the oracle
//!    lists (the exact value: axis, index, length and minimum included), conflicting options
//!    (an edge order beside an accuracy order, a derivative order above 1, the Laplacian or a
//!    periodic axis; a derivative order other than 2 given to the Laplacian) included;
//! 3. the `_into` form (`gradient_axis_into`, `gradient_into`, `laplacian_into`) into an
//!    output of a random layout equals the allocating form bit for bit, returns the same error
//!    when it fails and then leaves the output untouched; an output of the wrong shape (or one
//!    output too many for `gradient_into`) is refused with `OutputShape` (`OutputCount`);
//! 4. the input in C order, F order, reversed, stepped, reversed-and-stepped and permuted
//!    layouts, and as a fixed-dimension array (`Ix1`..`Ix4`) instead of `IxDyn`, gives the same
//!    bits (or the same error);
//! 5. `gradient_with` equals the single-axis calls, `gradient_magnitude` the root of the sum of
//!    their squares, and `laplacian` the sum of the separate second-derivative calls in axis
//!    order, bit for bit (all documented; for the last two, any two NaNs count as equal: the
//!    harness adds with its own arithmetic, and which NaN a sum of two NaNs returns depends on
//!    the operand order the compiler picked); with the same options `hessian` is an error or
//!    one entry per pair of axes, its first mixed entry the composed first derivatives.
//!
//! The operator part (`check_operator`, issue 17) builds a random `Operator` (1 to 3 terms,
//! each `±` a product of 0 to 3 derivative factors, of any axis and of orders 0 to 9 and
//! beyond, and identities, with a scalar or array coefficient somewhere in the product or
//! none; the terms joined by `+` and `-`), applies it to an array of 0 to 3 dimensions in any
//! of the layouts above, with the options as built or without their `derivative`,
//! `axis_derivative` and `axes` calls (which the operator refuses), and asserts:
//!
//! 1. no panic;
//! 2. `Err` exactly when the oracle says so: a 0-D array, options giving axes or derivative
//!    orders, a coefficient array of another shape, or a derivative the gradient oracle above
//!    refuses for that axis with that order given to every axis; and then an error it names;
//! 3. `apply_into` an output in C order, F order or a random layout equals `apply` bit for bit,
//!    or returns the same error and leaves the output untouched; an output of the wrong shape
//!    is refused (with `OutputShape` for a valid operator) and left untouched;
//! 4. the result has the input's shape and the same bits from C-order and F-order copies of the
//!    input (each result in its input's memory order), from a fixed-dimension array, and under
//!    `with_parallel_threshold(0, ..)` and `with_parallel_threshold(usize::MAX, ..)`;
//! 5. a single product of derivatives with no coefficient, no sign and no two adjacent factors
//!    along one axis equals its `gradient_axis_with` calls composed by hand, innermost first,
//!    bit for bit;
//! 6. every other operator equals its documented evaluation: each term's steps right to left
//!    (derivatives by `gradient_axis_with`, coefficients `c * value`), the terms added left to
//!    right; bit for bit, except that where the harness itself did arithmetic any two NaNs are
//!    taken as equal;
//! 7. through `BlockPlan::operator`, cut into up to three blocks along each axis at random
//!    points, every block computed from itself plus the halo the plan asks for (wrapped past
//!    the ends) gives the same bits as `apply` (any two NaNs taken as equal: Rust leaves a NaN
//!    result's sign and payload unspecified, and the fuzzer found two compiled copies of one
//!    operation giving NaNs of opposite sign), and the plan refuses what `apply` refuses with the same
//!    error.
//!
//! The compact part (`check_compact`, issue 17 item 5) applies a random `CompactScheme` (valid
//! or not) along a random axis of an array of 0 to 3 dimensions in any layout, with random
//! spacing, periodic axes, periods and conflicting options, and asserts that the result or the
//! exact error is the oracle's, and the same bits from other layouts, threads and `apply_into`.
//!
//! Bits are compared with `to_bits`, so NaN results are compared exactly too (sign and payload).
//!
//! Not covered: element types other than `f64`, and the `rayon` split and a mixed partial cut
//! into several blocks (arrays here are far below the smallest block the crate splits off, and
//! a composed derivative's block holds 2^19 points); the threshold checks of the operator part
//! only see that the threshold does not change the route's result at these sizes.

#![no_main]

use std::collections::{BTreeMap, BTreeSet};

use arbitrary::{Result as AResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use ndarray::{
    Array, Array1, ArrayD, ArrayView, ArrayViewD, ArrayViewMut, Axis, Dimension, IxDyn, ShapeBuilder, Slice,
};
use ndarray_gradient::{
    ArrayGradientExt, BlockPlan, Boundary, CompactScheme, EdgeOrder, GradientDim, GradientError, GradientOptions,
    MAX_ACCURACY, MAX_DERIVATIVE, Operator, Spacing, with_parallel_threshold,
};

/// At most this many elements per array (keeps every run well under a millisecond).
const MAX_ELEMENTS: usize = 600;

/// Values that exercise every spacing rule: zero, signed zero, negative, non-finite, huge, tiny.
const SPECIAL: [f64; 24] = [
    1.0,
    0.5,
    2.0,
    -1.0,
    -0.25,
    0.1,
    3.7,
    0.0,
    -0.0,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    1e300,
    -1e300,
    1e-300,
    5e-324,
    1e150,
    1e-150,
    f64::MAX,
    f64::MIN_POSITIVE,
    1e-8,
    1e8,
    -7.5,
    100.0,
];

fn special(u: &mut Unstructured) -> AResult<f64> {
    Ok(*u.choose(&SPECIAL)?)
}

/// A real number: mostly small multiples of 1/8, else a special value or any bit pattern.
fn real(u: &mut Unstructured) -> AResult<f64> {
    Ok(match u.int_in_range(0..=5u8)? {
        0 => special(u)?,
        1 => f64::from_bits(u.arbitrary()?),
        _ => f64::from(u.int_in_range(-40..=40i32)?) / 8.0,
    })
}

/// A positive step: mostly moderate, sometimes a power of two from 2^-80 to 2^80.
fn step(u: &mut Unstructured) -> AResult<f64> {
    Ok(match u.int_in_range(0..=7u8)? {
        0 => 2f64.powi(u.int_in_range(-80..=80i32)?),
        _ => f64::from(u.int_in_range(1..=32i32)?) / 8.0,
    })
}

#[derive(Clone, Debug)]
enum Defect {
    /// `x[k] = x[k - 1]`.
    Repeat,
    /// `x[k]` steps back.
    Reverse,
    /// `x[k]` is replaced by this value (non-finite or huge).
    Value(f64),
}

/// How to build a coordinate array once the axis length is known.
#[derive(Clone, Debug)]
struct CoordSpec {
    /// The array has `n + len_delta` coordinates (wrong length when non-zero).
    len_delta: isize,
    start: f64,
    /// +1 increasing, -1 decreasing.
    dir: f64,
    /// Step pattern, cycled (all steps equal when `equal`).
    steps: Vec<f64>,
    equal: bool,
    defect: Option<(usize, Defect)>,
}

impl CoordSpec {
    fn generate(u: &mut Unstructured) -> AResult<Self> {
        let len_delta = match u.int_in_range(0..=11u8)? {
            0 => -1,
            1 => 1,
            2 => -2,
            _ => 0,
        };
        let start = if u.ratio(1, 6)? {
            real(u)?
        } else {
            f64::from(u.int_in_range(-8..=8i32)?)
        };
        let dir = if u.arbitrary()? { 1.0 } else { -1.0 };
        let k = u.int_in_range(1..=4usize)?;
        let steps = (0..k).map(|_| step(u)).collect::<AResult<Vec<_>>>()?;
        let equal = u.ratio(1, 4)?;
        let defect = if u.ratio(1, 4)? {
            let at = u.int_in_range(0..=40usize)?;
            let d = match u.int_in_range(0..=2u8)? {
                0 => Defect::Repeat,
                1 => Defect::Reverse,
                _ => Defect::Value(special(u)?),
            };
            Some((at, d))
        } else {
            None
        };
        Ok(CoordSpec {
            len_delta,
            start,
            dir,
            steps,
            equal,
            defect,
        })
    }

    fn build(&self, n: usize) -> Array1<f64> {
        let len = (n as isize + self.len_delta).max(0) as usize;
        let mut x = Vec::with_capacity(len);
        for i in 0..len {
            if i == 0 {
                x.push(self.start);
            } else {
                let s = if self.equal {
                    self.steps[0]
                } else {
                    self.steps[(i - 1) % self.steps.len()]
                };
                x.push(x[i - 1] + self.dir * s);
            }
        }
        if let Some((at, d)) = &self.defect
            && len > 0
        {
            let k = at % len;
            match d {
                Defect::Repeat if k > 0 => x[k] = x[k - 1],
                Defect::Reverse if k > 0 => x[k] = x[k - 1] - self.dir * self.steps[0],
                Defect::Value(v) => x[k] = *v,
                _ => {}
            }
        }
        Array1::from(x)
    }
}

#[derive(Clone, Debug)]
enum SpacingSpec {
    Uniform(f64),
    Coords(CoordSpec),
}

/// A period: `span · a + b` of the axis it ends up on (so that periods near the span are
/// common), or a raw value.
#[derive(Clone, Debug)]
enum PeriodSpec {
    Relative(f64, f64),
    Raw(f64),
}

#[derive(Clone, Debug)]
enum BoundarySpec {
    OneSided,
    Periodic,
    Period(PeriodSpec),
}

impl BoundarySpec {
    fn generate(u: &mut Unstructured) -> AResult<Self> {
        Ok(match u.int_in_range(0..=3u8)? {
            0 => BoundarySpec::OneSided,
            1 => BoundarySpec::Periodic,
            _ => BoundarySpec::Period(if u.ratio(2, 3)? {
                let a = *u.choose(&[1.0, 1.0, 1.5, 2.0, 0.5, -1.0])?;
                let b = *u.choose(&[1.0, 0.5, 0.0, -0.5, 1e-9, 3.0, 1e-300])?;
                PeriodSpec::Relative(a, b)
            } else {
                PeriodSpec::Raw(real(u)?)
            }),
        })
    }

    fn is_periodic(&self) -> bool {
        !matches!(self, BoundarySpec::OneSided)
    }
}

/// One builder call.
#[derive(Clone, Debug)]
enum Op {
    Spacing(f64),
    AxisSpacing(usize, SpacingSpec, bool),
    EdgeOrder(EdgeOrder),
    Accuracy(usize),
    AxisAccuracy(usize, usize),
    Derivative(usize),
    AxisDerivative(usize, usize),
    Boundary(BoundarySpec),
    AxisBoundary(usize, BoundarySpec),
    Axes(Vec<usize>),
}

fn gen_axis(u: &mut Unstructured, ndim: usize) -> AResult<usize> {
    // Mostly an existing axis, sometimes one just past the end or far away.
    Ok(match u.int_in_range(0..=31u8)? {
        0 => ndim,
        1 => u.int_in_range(ndim..=ndim + 3)?,
        _ => u.int_in_range(0..=ndim.saturating_sub(1))?,
    })
}

fn gen_accuracy(u: &mut Unstructured) -> AResult<usize> {
    Ok(match u.int_in_range(0..=9u8)? {
        0 => *u.choose(&[0, 1, 3, 5, 11, MAX_ACCURACY + 1, MAX_ACCURACY + 2, usize::MAX])?,
        1 => MAX_ACCURACY,
        _ => 2 * u.int_in_range(1..=MAX_ACCURACY / 2)?,
    })
}

fn gen_derivative(u: &mut Unstructured) -> AResult<usize> {
    Ok(match u.int_in_range(0..=9u8)? {
        0 => *u.choose(&[0, MAX_DERIVATIVE + 1, usize::MAX])?,
        1 => MAX_DERIVATIVE,
        _ => u.int_in_range(1..=4usize)?,
    })
}

impl Op {
    fn generate(u: &mut Unstructured, ndim: usize) -> AResult<Self> {
        Ok(match u.int_in_range(0..=12u8)? {
            0 => Op::Spacing(real(u)?),
            1..=3 => {
                let axis = gen_axis(u, ndim)?;
                let spec = if u.ratio(2, 3)? {
                    SpacingSpec::Coords(CoordSpec::generate(u)?)
                } else {
                    SpacingSpec::Uniform(real(u)?)
                };
                Op::AxisSpacing(axis, spec, u.arbitrary()?)
            }
            4 => Op::EdgeOrder(if u.arbitrary()? {
                EdgeOrder::Second
            } else {
                EdgeOrder::First
            }),
            5 => Op::Accuracy(gen_accuracy(u)?),
            6 => Op::AxisAccuracy(gen_axis(u, ndim)?, gen_accuracy(u)?),
            7 => Op::Derivative(gen_derivative(u)?),
            8 => Op::AxisDerivative(gen_axis(u, ndim)?, gen_derivative(u)?),
            9 => Op::Boundary(BoundarySpec::generate(u)?),
            10 | 11 => Op::AxisBoundary(gen_axis(u, ndim)?, BoundarySpec::generate(u)?),
            _ => {
                let k = u.int_in_range(0..=ndim + 1)?;
                Op::Axes((0..k).map(|_| gen_axis(u, ndim)).collect::<AResult<_>>()?)
            }
        })
    }
}

/// The options as the documentation describes them: global defaults, and per-axis settings
/// where the last call for an axis wins. Spacings and boundaries refer to the op that set them.
#[derive(Clone, Debug)]
struct Model {
    spacing: f64,
    axis_spacing: BTreeMap<usize, usize>,
    axes: Option<Vec<usize>>,
    /// `None`: not given.
    edge: Option<EdgeOrder>,
    accuracy: Option<usize>,
    axis_accuracy: BTreeMap<usize, usize>,
    /// `None`: not given.
    derivative: Option<usize>,
    axis_derivative: BTreeMap<usize, usize>,
    boundary: Option<usize>,
    axis_boundary: BTreeMap<usize, usize>,
}

impl Model {
    fn of(ops: &[Op]) -> Self {
        Self::of_kept(ops, |_| true)
    }

    /// The model of the ops that `keep` keeps (the others are not called).
    fn of_kept(ops: &[Op], keep: impl Fn(&Op) -> bool) -> Self {
        let mut m = Model {
            spacing: 1.0,
            axis_spacing: BTreeMap::new(),
            axes: None,
            edge: None,
            accuracy: None,
            axis_accuracy: BTreeMap::new(),
            derivative: None,
            axis_derivative: BTreeMap::new(),
            boundary: None,
            axis_boundary: BTreeMap::new(),
        };
        for (i, op) in ops.iter().enumerate().filter(|(_, op)| keep(op)) {
            match op {
                Op::Spacing(h) => m.spacing = *h,
                Op::AxisSpacing(a, _, _) => {
                    m.axis_spacing.insert(*a, i);
                }
                Op::EdgeOrder(e) => m.edge = Some(*e),
                Op::Accuracy(p) => m.accuracy = Some(*p),
                Op::AxisAccuracy(a, p) => {
                    m.axis_accuracy.insert(*a, *p);
                }
                Op::Derivative(d) => m.derivative = Some(*d),
                Op::AxisDerivative(a, d) => {
                    m.axis_derivative.insert(*a, *d);
                }
                Op::Boundary(_) => m.boundary = Some(i),
                Op::AxisBoundary(a, _) => {
                    m.axis_boundary.insert(*a, i);
                }
                Op::Axes(list) => m.axes = Some(list.clone()),
            }
        }
        m
    }

    /// Axes with a setting of their own.
    fn configured(&self) -> BTreeSet<usize> {
        let mut s = BTreeSet::new();
        s.extend(self.axis_spacing.keys());
        s.extend(self.axis_accuracy.keys());
        s.extend(self.axis_derivative.keys());
        s.extend(self.axis_boundary.keys());
        s
    }
}

/// Which call is made.
#[derive(Clone, Copy, Debug)]
enum Call {
    Axis(usize),
    All,
    Laplacian,
}

/// The settings of one axis, concrete.
struct AxisSetting<'a> {
    spacing: Spacing<'a, f64>,
    coords: bool,
    accuracy: Option<usize>,
    derivative: usize,
    /// Whether a derivative order was given for this axis (its own or every axis's).
    derivative_given: bool,
    boundary: Boundary<f64>,
}

/// The fewest points a differentiated axis needs (documented for the NumPy forms as edge
/// order + 1; for the accuracy-order stencils findiff's: `s + w - 1` on a uniform spacing,
/// `w` on coordinates, where the centred stencil reaches `s` points each side and the
/// one-sided ones have `w` points; 1 on a periodic axis).
fn min_len(derivative: usize, accuracy: Option<usize>, edge: EdgeOrder, periodic: bool, coords: bool) -> usize {
    if derivative == 1 && matches!(accuracy, None | Some(2)) {
        return if periodic {
            1
        } else if accuracy == Some(2) || edge == EdgeOrder::Second {
            3
        } else {
            2
        };
    }
    let p = accuracy.unwrap_or(2);
    // Centred: 2⌈m/2⌉ - 1 + p points; one-sided: one more for even m.
    let central = 2 * derivative.div_ceil(2) - 1 + p;
    let w = if derivative % 2 == 0 { central + 1 } else { central };
    let s = central / 2;
    if periodic {
        1
    } else if coords {
        w
    } else {
        s + w - 1
    }
}

/// What the oracle expects of a call: `Err` with one of `errors` if there are any, else `Ok`;
/// besides, any error in `tolerated` may replace either.
#[derive(Debug)]
struct Expect {
    /// The rules the input breaks, each as the exact error naming it.
    errors: Vec<GradientError>,
    tolerated: Vec<Tolerated>,
}

#[derive(Debug)]
enum Tolerated {
    /// Valid by the rules, but a spacing is so extreme (|step| outside [2^-8, 2^8], wrap step
    /// included) that the stencil's coefficients may overflow: the crate then refuses it with
    /// `InvalidSpacing` for that axis. Predicting that exactly would mean redoing Fornberg's
    /// algorithm in the oracle, so there either `Ok` or `InvalidSpacing` of this axis passes
    /// (no panic, and every layout/`_into` check still applies).
    Overflow(usize),
    /// Any `InvalidDerivative` (an operator's derivative order that overflows when merged).
    InvalidDerivative,
}

impl Tolerated {
    fn allows(&self, e: &GradientError) -> bool {
        match self {
            Tolerated::Overflow(a) => matches!(e, GradientError::InvalidSpacing { axis, .. } if axis == a),
            Tolerated::InvalidDerivative => matches!(e, GradientError::InvalidDerivative { .. }),
        }
    }
}

/// Whether to print every case and its outcome (`NDARRAY_GRADIENT_FUZZ_DEBUG=1`), e.g. to see
/// what a corpus covers: `cargo +nightly fuzz run options corpus/options -- -runs=0`.
fn debug() -> bool {
    static DEBUG: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("NDARRAY_GRADIENT_FUZZ_DEBUG").is_some_and(|v| v == "1"))
}

/// The range of steps for which the oracle is exact (see `Tolerated::Overflow`).
fn moderate(h: f64) -> bool {
    let a = h.abs();
    (2f64.powi(-8)..=2f64.powi(8)).contains(&a)
}

struct Case {
    ops: Vec<Op>,
    model: Model,
    shape: Vec<usize>,
    call: Call,
    /// The coordinate array of each `AxisSpacing(_, Coords)` op, by op index.
    coords: BTreeMap<usize, Array1<f64>>,
    /// The period of each `Period` boundary op, by op index.
    periods: BTreeMap<usize, f64>,
}

impl Case {
    fn setting(&self, axis: usize) -> AxisSetting<'_> {
        let m = &self.model;
        let (spacing, coords) = match m.axis_spacing.get(&axis) {
            Some(&i) => match &self.ops[i] {
                Op::AxisSpacing(_, SpacingSpec::Uniform(h), _) => (Spacing::Uniform(*h), false),
                Op::AxisSpacing(_, SpacingSpec::Coords(_), _) => {
                    (Spacing::Coordinates(self.coords[&i].view().into()), true)
                }
                _ => unreachable!(),
            },
            None => (Spacing::Uniform(m.spacing), false),
        };
        let boundary = match m.axis_boundary.get(&axis).copied().or(m.boundary) {
            None => Boundary::OneSided,
            Some(i) => self.boundary_of(i),
        };
        AxisSetting {
            spacing,
            coords,
            accuracy: m.axis_accuracy.get(&axis).copied().or(m.accuracy),
            derivative: m.axis_derivative.get(&axis).copied().or(m.derivative).unwrap_or(1),
            derivative_given: m.axis_derivative.contains_key(&axis) || m.derivative.is_some(),
            boundary,
        }
    }

    fn boundary_of(&self, op: usize) -> Boundary<f64> {
        let spec = match &self.ops[op] {
            Op::Boundary(b) | Op::AxisBoundary(_, b) => b,
            _ => unreachable!(),
        };
        match spec {
            BoundarySpec::OneSided => Boundary::OneSided,
            BoundarySpec::Periodic => Boundary::Periodic,
            BoundarySpec::Period(_) => Boundary::PeriodicWithLength(self.periods[&op]),
        }
    }

    fn diff_axes(&self) -> Vec<usize> {
        match self.call {
            Call::Axis(k) => vec![k],
            Call::All | Call::Laplacian => self
                .model
                .axes
                .clone()
                .unwrap_or_else(|| (0..self.shape.len()).collect()),
        }
    }

    /// The oracle, from the documented rules only.
    fn expect(&self) -> Expect {
        let ndim = self.shape.len();
        let diff = self.diff_axes();
        let mut errs = Vec::new();
        let mut overflow = Vec::new();
        for (i, &a) in diff.iter().enumerate() {
            if a >= ndim {
                errs.push(GradientError::AxisOutOfBounds { axis: a, ndim });
            } else if diff[..i].contains(&a) {
                errs.push(GradientError::RepeatedAxis { axis: a });
            }
        }
        let configured = self.model.configured();
        for &a in &configured {
            if a >= ndim {
                errs.push(GradientError::AxisOutOfBounds { axis: a, ndim });
            }
        }
        // Every axis differentiated or configured has its settings checked; a global setting
        // that reaches no such axis applies to nothing and is not an error.
        let relevant: BTreeSet<usize> = diff.iter().copied().chain(configured).filter(|&a| a < ndim).collect();
        for a in relevant {
            let n = self.shape[a];
            let s = self.setting(a);
            let differentiated = diff.contains(&a);
            let laplacian = matches!(self.call, Call::Laplacian);
            // The Laplacian's derivative order is 2; another one given is refused.
            let derivative = if laplacian { 2 } else { s.derivative };
            let mut ok = true;
            let mut bad = |e: GradientError| {
                errs.push(e);
                false
            };
            // Options that another leaves without meaning (documented on ConflictingOptions).
            let conflict = |option, with| GradientError::ConflictingOptions { axis: a, option, with };
            let periodic = !matches!(s.boundary, Boundary::OneSided);
            if laplacian && s.derivative_given && s.derivative != 2 {
                ok = bad(conflict("derivative", "laplacian"));
            } else if self.model.edge.is_some() {
                if s.accuracy.is_some() {
                    ok = bad(conflict("edge_order", "accuracy"));
                } else if laplacian {
                    ok = bad(conflict("edge_order", "laplacian"));
                } else if s.derivative > 1 {
                    ok = bad(conflict("edge_order", "derivative"));
                } else if periodic {
                    ok = bad(conflict("edge_order", "boundary"));
                }
            }
            if !(1..=MAX_DERIVATIVE).contains(&derivative) {
                ok = bad(GradientError::InvalidDerivative { derivative });
            }
            if let Some(p) = s.accuracy
                && (p % 2 == 1 || !(2..=MAX_ACCURACY).contains(&p))
            {
                ok = bad(GradientError::InvalidAccuracy { accuracy: p });
            }
            // The spacing, and the steps it makes (for the overflow zone).
            let mut steps: Vec<f64> = Vec::new();
            let mut spacing_ok = true;
            let (span, dir) = match &s.spacing {
                Spacing::Uniform(h) => {
                    if !h.is_finite() || *h == 0.0 {
                        spacing_ok = bad(GradientError::InvalidSpacing { axis: a, spacing: *h });
                    }
                    steps.push(*h);
                    (*h * n.saturating_sub(1) as f64, h.signum())
                }
                Spacing::Coordinates(x) => {
                    if x.len() != n {
                        spacing_ok = bad(GradientError::CoordinatesLength {
                            axis: a,
                            expected: n,
                            got: x.len(),
                        });
                    } else if let Some(index) = x.iter().position(|v| !v.is_finite()) {
                        spacing_ok = bad(GradientError::CoordinatesNotFinite { axis: a, index });
                    } else {
                        steps = (1..n).map(|i| x[i] - x[i - 1]).collect();
                        let inc = steps.first().is_some_and(|&d| d > 0.0);
                        let wrong = |d: f64| if inc { d <= 0.0 } else { d >= 0.0 };
                        if let Some(index) = steps.iter().position(|&d| wrong(d)) {
                            spacing_ok = bad(GradientError::CoordinatesNotMonotonic { axis: a, index });
                        } else if let Some(&d) = steps.iter().find(|d| !d.is_finite()) {
                            spacing_ok = bad(GradientError::InvalidSpacing { axis: a, spacing: d });
                        }
                    }
                    let span = if x.len() == n && n > 0 { x[n - 1] - x[0] } else { 0.0 };
                    (
                        span,
                        if n >= 2 && x.len() == n {
                            (x[1] - x[0]).signum()
                        } else {
                            1.0
                        },
                    )
                }
            };
            ok &= spacing_ok;
            // The boundary: a period must be finite and exceed the coordinates' span.
            if spacing_ok {
                match s.boundary {
                    Boundary::OneSided => {}
                    Boundary::Periodic if s.coords => ok = bad(GradientError::PeriodRequired { axis: a }),
                    Boundary::Periodic => steps.push(steps[0]),
                    Boundary::PeriodicWithLength(l) => {
                        let wrap = dir * l - span;
                        if l.is_finite() && span.is_finite() && l > span.abs() && wrap.is_finite() {
                            steps.push(wrap);
                        } else {
                            ok = bad(GradientError::InvalidPeriod {
                                axis: a,
                                period: l,
                                span: span.abs(),
                            });
                        }
                    }
                    // Boundary is non-exhaustive; the options here are built from the three above.
                    _ => unreachable!("a boundary kind the oracle does not model"),
                }
            }
            if ok && differentiated {
                let edge = self.model.edge.unwrap_or(EdgeOrder::First);
                let min = min_len(derivative, s.accuracy, edge, periodic, s.coords);
                if n < min {
                    errs.push(GradientError::AxisTooShort { axis: a, len: n, min });
                } else if !steps.iter().all(|&h| moderate(h)) {
                    overflow.push(a);
                }
            }
        }
        let tolerated: Vec<Tolerated> = overflow.into_iter().map(Tolerated::Overflow).collect();
        Expect {
            errors: errs,
            tolerated,
        }
    }

    fn options(&self) -> GradientOptions<'_, f64> {
        self.options_kept(|_| true)
    }

    /// The options of the ops that `keep` keeps (the others are not called).
    fn options_kept(&self, keep: impl Fn(&Op) -> bool) -> GradientOptions<'_, f64> {
        let mut o = GradientOptions::new();
        for (i, op) in self.ops.iter().enumerate().filter(|(_, op)| keep(op)) {
            o = match op {
                Op::Spacing(h) => o.spacing(*h),
                Op::AxisSpacing(a, SpacingSpec::Uniform(h), plain) => {
                    if *plain {
                        o.axis_spacing(Axis(*a), *h)
                    } else {
                        o.axis_spacing(Axis(*a), Spacing::Uniform(*h))
                    }
                }
                Op::AxisSpacing(a, SpacingSpec::Coords(_), short) => {
                    let x = &self.coords[&i];
                    if *short {
                        o.coordinates(Axis(*a), x)
                    } else {
                        o.axis_spacing(Axis(*a), Spacing::Coordinates(x.view().into()))
                    }
                }
                Op::EdgeOrder(e) => o.edge_order(*e),
                Op::Accuracy(p) => o.accuracy(*p),
                Op::AxisAccuracy(a, p) => o.axis_accuracy(Axis(*a), *p),
                Op::Derivative(d) => o.derivative(*d),
                Op::AxisDerivative(a, d) => o.axis_derivative(Axis(*a), *d),
                Op::Boundary(_) => o.boundary(self.boundary_of(i)),
                Op::AxisBoundary(a, b) => match (b, self.boundary_of(i)) {
                    (BoundarySpec::Periodic, _) => o.periodic(Axis(*a)),
                    (BoundarySpec::Period(_), Boundary::PeriodicWithLength(l)) => o.period(Axis(*a), l),
                    (_, b) => o.axis_boundary(Axis(*a), b),
                },
                Op::Axes(list) => o.axes(list.iter().map(|&a| Axis(a))),
            };
        }
        o
    }
}

fn gen_case(u: &mut Unstructured) -> AResult<Case> {
    let ndim = *u.choose(&[1, 1, 2, 2, 2, 3, 3, 4, 1, 2, 3, 0])?;
    let nops = u.int_in_range(0..=6usize)?;
    let ops = (0..nops).map(|_| Op::generate(u, ndim)).collect::<AResult<Vec<_>>>()?;
    let call = match u.int_in_range(0..=2u8)? {
        0 => Call::Axis(gen_axis(u, ndim)?),
        1 => Call::All,
        _ => Call::Laplacian,
    };
    let model = Model::of(&ops);
    let orders: Vec<Vec<usize>> = (0..ndim)
        .map(|a| {
            vec![if matches!(call, Call::Laplacian) {
                2
            } else {
                model.axis_derivative.get(&a).copied().or(model.derivative).unwrap_or(1)
            }]
        })
        .collect();
    finish_case(u, ops, model, call, &orders)
}

/// The shape (lengths biased to the minimum of a stencil of one of `orders[a]` along axis `a`),
/// coordinate arrays and periods of a case whose options and call are chosen.
fn finish_case(u: &mut Unstructured, ops: Vec<Op>, model: Model, call: Call, orders: &[Vec<usize>]) -> AResult<Case> {
    // Lengths: small, or the (nominal) minimum of the axis's stencil ± 1.
    let ndim = orders.len();
    let mut shape = Vec::with_capacity(ndim);
    for a in 0..ndim {
        let derivative = *u.choose(&orders[a])?;
        let accuracy = model.axis_accuracy.get(&a).copied().or(model.accuracy);
        let periodic = match model.axis_boundary.get(&a).copied().or(model.boundary) {
            Some(i) => match &ops[i] {
                Op::Boundary(b) | Op::AxisBoundary(_, b) => b.is_periodic(),
                _ => false,
            },
            None => false,
        };
        let coords = model
            .axis_spacing
            .get(&a)
            .is_some_and(|&i| matches!(ops[i], Op::AxisSpacing(_, SpacingSpec::Coords(_), _)));
        let valid_orders = (1..=MAX_DERIVATIVE).contains(&derivative)
            && accuracy.is_none_or(|p| p % 2 == 0 && (2..=MAX_ACCURACY).contains(&p));
        let n = match u.int_in_range(0..=7u8)? {
            0..=2 => u.int_in_range(0..=4usize)?,
            3..=5 if valid_orders => {
                let min = min_len(
                    derivative,
                    accuracy,
                    model.edge.unwrap_or(EdgeOrder::First),
                    periodic,
                    coords,
                );
                (min + u.int_in_range(0..=2usize)?).saturating_sub(1)
            }
            _ => u.int_in_range(0..=12usize)?,
        };
        shape.push(n);
    }
    // Keep arrays small: shrink the longest axis until the size fits.
    while shape.iter().product::<usize>() > MAX_ELEMENTS {
        let (i, _) = shape.iter().enumerate().max_by_key(|(_, n)| **n).expect("non-empty");
        shape[i] /= 2;
    }
    let mut case = Case {
        ops,
        model,
        shape,
        call,
        coords: BTreeMap::new(),
        periods: BTreeMap::new(),
    };
    // Coordinate arrays, built for the length of their axis (an out-of-range axis gets 3).
    for (i, op) in case.ops.iter().enumerate() {
        if let Op::AxisSpacing(a, SpacingSpec::Coords(c), _) = op {
            let n = case.shape.get(*a).copied().unwrap_or(3);
            case.coords.insert(i, c.build(n));
        }
    }
    // Periods, relative to the span of the axis they end up on (for a global boundary, axis 0).
    let mut periods = BTreeMap::new();
    for (i, op) in case.ops.iter().enumerate() {
        let (axis, spec) = match op {
            Op::Boundary(BoundarySpec::Period(p)) => (0, p),
            Op::AxisBoundary(a, BoundarySpec::Period(p)) => (*a, p),
            _ => continue,
        };
        let l = match spec {
            PeriodSpec::Raw(l) => *l,
            PeriodSpec::Relative(sa, b) => {
                let n = case.shape.get(axis).copied().unwrap_or(0);
                let span = match case
                    .model
                    .axis_spacing
                    .get(&axis)
                    .map(|&j| (&case.ops[j], case.coords.get(&j)))
                {
                    Some((_, Some(x))) if !x.is_empty() => (x[x.len() - 1] - x[0]).abs(),
                    Some((Op::AxisSpacing(_, SpacingSpec::Uniform(h), _), _)) => (h * n.saturating_sub(1) as f64).abs(),
                    Some(_) => 0.0,
                    None => (case.model.spacing * n.saturating_sub(1) as f64).abs(),
                };
                let unit = match case.model.axis_spacing.get(&axis).map(|&j| &case.ops[j]) {
                    Some(Op::AxisSpacing(_, SpacingSpec::Uniform(h), _)) => h.abs(),
                    Some(_) => 1.0,
                    None => case.model.spacing.abs(),
                };
                span * sa + b * unit
            }
        };
        periods.insert(i, l);
    }
    case.periods = periods;
    Ok(case)
}

/// The input in one memory layout, as an owned buffer and the view into it.
enum Layout {
    C,
    F,
    Reversed,
    Stepped,
    ReversedStepped,
    Permuted(Vec<usize>),
}

fn from_logical(v: ArrayViewD<'_, f64>) -> ArrayD<f64> {
    Array::from_shape_vec(v.raw_dim(), v.iter().copied().collect()).expect("shape")
}

/// An owned buffer holding `a` in `layout`, and a function giving the view of it equal to `a`.
struct Laid {
    buf: ArrayD<f64>,
    layout: Layout,
}

const SENTINEL: u64 = 0x7ff8_dead_beef_0001; // a NaN nobody computes

impl Laid {
    fn new(a: ArrayViewD<'_, f64>, layout: Layout) -> Self {
        let buf = match &layout {
            Layout::C => from_logical(a),
            Layout::F => {
                let mut b = ArrayD::from_elem(a.raw_dim().f(), 0.0);
                b.assign(&a);
                b
            }
            Layout::Reversed => from_logical(a.slice_each_axis(|_| Slice::new(0, None, -1))),
            Layout::Stepped | Layout::ReversedStepped => {
                let big: Vec<usize> = a.shape().iter().map(|n| 2 * n + 1).collect();
                let mut b = ArrayD::from_elem(IxDyn(&big), f64::from_bits(SENTINEL));
                let s = if matches!(layout, Layout::Stepped) { 2 } else { -2 };
                b.slice_each_axis_mut(|_| Slice::new(1, None, s)).assign(&a);
                b
            }
            Layout::Permuted(p) => from_logical(a.permuted_axes(IxDyn(p))),
        };
        Laid { buf, layout }
    }

    fn view(&self) -> ArrayViewD<'_, f64> {
        match &self.layout {
            Layout::C | Layout::F => self.buf.view(),
            Layout::Reversed => self.buf.slice_each_axis(|_| Slice::new(0, None, -1)),
            Layout::Stepped => self.buf.slice_each_axis(|_| Slice::new(1, None, 2)),
            Layout::ReversedStepped => self.buf.slice_each_axis(|_| Slice::new(1, None, -2)),
            Layout::Permuted(p) => {
                let mut inv = vec![0; p.len()];
                for (i, &pi) in p.iter().enumerate() {
                    inv[pi] = i;
                }
                self.buf.view().permuted_axes(IxDyn(&inv))
            }
        }
    }

    fn view_mut(&mut self) -> ArrayViewMut<'_, f64, IxDyn> {
        match &self.layout {
            Layout::C | Layout::F => self.buf.view_mut(),
            Layout::Reversed => self.buf.slice_each_axis_mut(|_| Slice::new(0, None, -1)),
            Layout::Stepped => self.buf.slice_each_axis_mut(|_| Slice::new(1, None, 2)),
            Layout::ReversedStepped => self.buf.slice_each_axis_mut(|_| Slice::new(1, None, -2)),
            Layout::Permuted(p) => {
                let mut inv = vec![0; p.len()];
                for (i, &pi) in p.iter().enumerate() {
                    inv[pi] = i;
                }
                self.buf.view_mut().permuted_axes(IxDyn(&inv))
            }
        }
    }
}

fn gen_layout(u: &mut Unstructured, ndim: usize) -> AResult<Layout> {
    Ok(match u.int_in_range(0..=5u8)? {
        0 => Layout::C,
        1 => Layout::F,
        2 => Layout::Reversed,
        3 => Layout::Stepped,
        4 => Layout::ReversedStepped,
        _ => {
            let mut p: Vec<usize> = (0..ndim).collect();
            for i in (1..ndim).rev() {
                let j = u.int_in_range(0..=i)?;
                p.swap(i, j);
            }
            Layout::Permuted(p)
        }
    })
}

fn bits_equal(a: &ArrayViewD<'_, f64>, b: &ArrayViewD<'_, f64>) -> bool {
    a.shape() == b.shape() && a.iter().zip(b.iter()).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// The first element where `a` and `b` differ, for failure messages.
fn first_difference(a: &ArrayViewD<'_, f64>, b: &ArrayViewD<'_, f64>) -> String {
    if a.shape() != b.shape() {
        return format!("shapes {:?} and {:?}", a.shape(), b.shape());
    }
    a.indexed_iter()
        .zip(b.iter())
        .find(|((_, x), y)| x.to_bits() != y.to_bits())
        .map_or_else(String::new, |((i, x), y)| {
            format!(
                "first difference at {:?}: {x:e} ({:#018x}) vs {y:e} ({:#018x})",
                i.slice(),
                x.to_bits(),
                y.to_bits()
            )
        })
}

fn same(a: &Result<Vec<ArrayD<f64>>, GradientError>, b: &Result<Vec<ArrayD<f64>>, GradientError>) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| bits_equal(&x.view(), &y.view())),
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

/// How two outcomes differ, for failure messages.
fn why(a: &Outcome, b: &Outcome) -> String {
    match (a, b) {
        (Ok(a), Ok(b)) => a
            .iter()
            .zip(b)
            .enumerate()
            .map(|(i, (x, y))| (i, first_difference(&x.view(), &y.view())))
            .find(|(_, d)| !d.is_empty())
            .map_or_else(
                || format!("{} vs {} results", a.len(), b.len()),
                |(i, d)| format!("result {i}: {d}"),
            ),
        (a, b) => format!("{:?} vs {:?}", a.as_ref().err(), b.as_ref().err()),
    }
}

type Outcome = Result<Vec<ArrayD<f64>>, GradientError>;

/// The allocating call, on an array of any dimension type.
fn alloc<D: GradientDim>(f: ArrayView<'_, f64, D>, call: Call, opts: &GradientOptions<'_, f64>) -> Outcome {
    match call {
        Call::Axis(k) => f.gradient_axis_with(Axis(k), opts).map(|g| vec![g.into_dyn()]),
        Call::All => {
            let listed: Outcome = f
                .gradient_axes_with(opts)
                .map(|v| v.into_iter().map(|g| g.into_dyn()).collect());
            // gradient_with: the same results in D's own type (an array for a static D), or,
            // for a valid call whose axes a static D does not all list, exactly AxesCount.
            let fixed: Outcome = f.gradient_with(opts).map(|g| {
                let v: Vec<Array<f64, D>> = g.into();
                v.into_iter().map(|g| g.into_dyn()).collect()
            });
            match (&listed, &fixed, D::NDIM) {
                (Ok(l), Err(e), Some(ndim)) if l.len() != ndim => assert_eq!(
                    *e,
                    GradientError::AxesCount { ndim, axes: l.len() },
                    "gradient_with on a static dimension"
                ),
                _ => assert!(
                    same(&listed, &fixed),
                    "gradient_with differs from gradient_axes_with: {}",
                    why(&listed, &fixed)
                ),
            }
            listed
        }
        Call::Laplacian => f.laplacian(opts).map(|g| vec![g.into_dyn()]),
    }
}

/// The `_into` call, into outputs of the given layout pre-filled with a sentinel; returns the
/// outputs (read back in logical order) or the error, after checking that a failed call left
/// the outputs untouched.
fn into(f: ArrayViewD<'_, f64>, call: Call, opts: &GradientOptions<'_, f64>, count: usize, layout: &Layout) -> Outcome {
    let blank = ArrayD::from_elem(f.raw_dim(), f64::from_bits(SENTINEL));
    let relayout = |l: &Layout| match l {
        Layout::C => Layout::C,
        Layout::F => Layout::F,
        Layout::Reversed => Layout::Reversed,
        Layout::Stepped => Layout::Stepped,
        Layout::ReversedStepped => Layout::ReversedStepped,
        Layout::Permuted(p) => Layout::Permuted(p.clone()),
    };
    let mut outs: Vec<Laid> = (0..count).map(|_| Laid::new(blank.view(), relayout(layout))).collect();
    let r = {
        let mut views: Vec<ArrayViewMut<'_, f64, IxDyn>> = outs.iter_mut().map(|o| o.view_mut()).collect();
        match call {
            Call::Axis(k) => f.gradient_axis_into(Axis(k), opts, &mut views[0]),
            Call::All => {
                let mut refs: Vec<&mut ndarray::ArrayRef<f64, IxDyn>> = views.iter_mut().map(|v| &mut **v).collect();
                f.gradient_into(opts, &mut refs)
            }
            Call::Laplacian => f.laplacian_into(opts, &mut views[0]),
        }
    };
    match r {
        Ok(()) => Ok(outs.iter().map(|o| from_logical(o.view())).collect()),
        Err(e) => {
            for o in &outs {
                assert!(
                    o.buf.iter().all(|v| v.to_bits() == SENTINEL),
                    "{call:?}: the _into call failed with {e:?} but changed its output"
                );
            }
            Err(e)
        }
    }
}

/// An array of `shape`: mostly multiples of 1/4 in [-16, 16], sometimes a special value.
fn gen_array(u: &mut Unstructured, shape: &[usize]) -> AResult<ArrayD<f64>> {
    let size: usize = shape.iter().product();
    let mut values = Vec::with_capacity(size);
    for _ in 0..size {
        values.push(if u.ratio(1, 16)? {
            special(u)?
        } else {
            f64::from(u.int_in_range(-64..=64i32)?) / 4.0
        });
    }
    Ok(ArrayD::from_shape_vec(IxDyn(shape), values).expect("shape"))
}

fn check(u: &mut Unstructured) -> AResult<()> {
    let case = gen_case(u)?;
    let opts = case.options();
    let f = gen_array(u, &case.shape)?;
    let ndim = case.shape.len();

    // 1-2: no panic, and Err exactly when the oracle says so.
    let expect = case.expect();
    let reference = alloc(f.view(), case.call, &opts);
    let ctx = || {
        format!(
            "shape {:?}, call {:?}, ops {:?}, coords {:?}, periods {:?}",
            case.shape, case.call, case.ops, case.coords, case.periods
        )
    };
    if debug() {
        let verdict = match &reference {
            Ok(_) => "ok".to_string(),
            Err(e) if expect.errors.is_empty() => format!("tolerated {e:?}"),
            Err(e) => format!("err {e:?}"),
        };
        eprintln!("case {verdict}: {}", ctx());
    }
    match &reference {
        Err(e) if expect.tolerated.iter().any(|t| t.allows(e)) => {}
        Err(e) if expect.errors.is_empty() => panic!("valid input refused with {e:?}: {}", ctx()),
        Err(e) => assert!(
            expect.errors.contains(e),
            "wrong error {e:?}, expected one of {:?}: {}",
            expect.errors,
            ctx()
        ),
        Ok(_) => assert!(
            expect.errors.is_empty(),
            "invalid input accepted (expected one of {:?}): {}",
            expect.errors,
            ctx()
        ),
    }

    // 4: every layout, and the fixed-dimension types, give the same bits or the same error.
    let n_layouts = u.int_in_range(1..=3usize)?;
    for _ in 0..n_layouts {
        let layout = gen_layout(u, ndim)?;
        let laid = Laid::new(f.view(), layout);
        assert!(bits_equal(&laid.view(), &f.view()), "layout construction");
        let got = alloc(laid.view(), case.call, &opts);
        assert!(
            same(&got, &reference),
            "layout {:?} differs ({}): {}",
            laid.view().strides(),
            why(&got, &reference),
            ctx()
        );
    }
    let fixed = match ndim {
        1 => Some(alloc(
            f.view().into_dimensionality::<ndarray::Ix1>().expect("1-D"),
            case.call,
            &opts,
        )),
        2 => Some(alloc(
            f.view().into_dimensionality::<ndarray::Ix2>().expect("2-D"),
            case.call,
            &opts,
        )),
        3 => Some(alloc(
            f.view().into_dimensionality::<ndarray::Ix3>().expect("3-D"),
            case.call,
            &opts,
        )),
        4 => Some(alloc(
            f.view().into_dimensionality::<ndarray::Ix4>().expect("4-D"),
            case.call,
            &opts,
        )),
        _ => None,
    };
    if let Some(fixed) = fixed {
        assert!(
            same(&fixed, &reference),
            "Ix{ndim} differs from IxDyn ({}): {}",
            why(&fixed, &reference),
            ctx()
        );
    }

    // 3: `_into` equals allocating, into an output of a random layout (and a random input one).
    let count = match (&reference, case.call) {
        (Ok(v), _) => v.len(),
        (Err(_), Call::All) => case.diff_axes().len(),
        (Err(_), _) => 1,
    };
    let in_layout = gen_layout(u, ndim)?;
    let out_layout = gen_layout(u, ndim)?;
    let laid = Laid::new(f.view(), in_layout);
    let got = into(laid.view(), case.call, &opts, count, &out_layout);
    assert!(
        same(&got, &reference),
        "_into differs from allocating ({}): {}",
        why(&got, &reference),
        ctx()
    );

    // 3b: an output of the wrong shape, or (`gradient_into`) the wrong number of outputs, is an
    // error that leaves the outputs untouched; for a valid call, exactly that error.
    if ndim > 0 && count > 0 && u.ratio(1, 4)? {
        let mut shape = case.shape.clone();
        let k = u.int_in_range(0..=ndim - 1)?;
        shape[k] += 1;
        let extra = matches!(case.call, Call::All) && u.arbitrary()?;
        let count = if extra { count + 1 } else { count };
        // With `extra`, every output has the right shape and there is one too many; else the
        // first output has one point too many along axis `k`.
        let mut outs: Vec<ArrayD<f64>> = (0..count)
            .map(|i| {
                let s = if extra || i > 0 {
                    case.shape.clone()
                } else {
                    shape.clone()
                };
                ArrayD::from_elem(IxDyn(&s), f64::from_bits(SENTINEL))
            })
            .collect();
        let r = match case.call {
            Call::Axis(k) => f.gradient_axis_into(Axis(k), &opts, &mut outs[0]),
            Call::All => {
                let mut refs: Vec<&mut ndarray::ArrayRef<f64, IxDyn>> = outs.iter_mut().map(|o| &mut **o).collect();
                f.gradient_into(&opts, &mut refs)
            }
            Call::Laplacian => f.laplacian_into(&opts, &mut outs[0]),
        };
        match (&reference, r) {
            (_, Ok(())) => panic!("an output of shape {shape:?} (count {count}) was accepted: {}", ctx()),
            (Ok(_), Err(e)) => assert!(
                if extra {
                    e == GradientError::OutputCount {
                        expected: count - 1,
                        got: count,
                    }
                } else {
                    e == GradientError::OutputShape {
                        // The first output is the wrong one: named by its place and axis
                        // where the call writes several, by its axis where it has one.
                        output: matches!(case.call, Call::All).then_some(0),
                        axis: match case.call {
                            Call::Axis(k) => Some(k),
                            Call::All => case.diff_axes().first().copied(),
                            Call::Laplacian => None,
                        },
                        expected: case.shape.clone(),
                        got: shape.clone(),
                    }
                },
                "wrong error {e:?} for an output of shape {shape:?} (count {count}): {}",
                ctx()
            ),
            (Err(_), Err(_)) => {}
        }
        assert!(
            outs.iter().all(|o| o.iter().all(|v| v.to_bits() == SENTINEL)),
            "a refused _into call changed an output: {}",
            ctx()
        );
    }

    // 5: the documented identities between calls.
    if let Ok(results) = &reference {
        match case.call {
            Call::All => {
                for (g, a) in results.iter().zip(case.diff_axes()) {
                    let single = f.gradient_axis_with(Axis(a), &opts).expect("a planned axis");
                    assert!(
                        bits_equal(&g.view(), &single.view().into_dyn()),
                        "gradient_with[{a}] differs from gradient_axis_with ({}): {}",
                        first_difference(&g.view(), &single.view().into_dyn()),
                        ctx()
                    );
                }
                // The fused magnitude: the gradient's arrays squared and added in axis order.
                // Any two NaNs are equal: which NaN a sum of two returns depends on the operand
                // order the compiler picked, here and in the crate.
                let mut squares: Option<ArrayD<f64>> = None;
                for g in results {
                    squares = Some(match squares {
                        None => g.mapv(|v| v * v),
                        Some(s) => s + g.mapv(|v| v * v),
                    });
                }
                let expected = squares.map_or_else(|| ArrayD::zeros(f.raw_dim()), |s| s.mapv(f64::sqrt));
                let magnitude = f.gradient_magnitude(&opts).expect("the gradient succeeded");
                assert!(
                    bits_equal_any_nan(&magnitude.view(), &expected.view()),
                    "gradient_magnitude differs from the gradient combined ({}): {}",
                    first_difference(&magnitude.view(), &expected.view()),
                    ctx()
                );
                // Constants times the first derivatives, added in axis order (an operator of
                // `Coef(c) * Diff(k)` terms, as `Operator::directional` builds: one sum pass in
                // the crate, each term scaled on its buffer): the gradient's arrays scaled and
                // added. Skipped where the operator refuses the options (a list of axes, a
                // derivative order: the operator gives both).
                let coefs: Vec<f64> = (0..results.len()).map(|i| [0.6, -1.5, 0.0, 2.0][i % 4]).collect();
                let op = case
                    .diff_axes()
                    .into_iter()
                    .zip(&coefs)
                    .map(|(a, &c)| c * Operator::derivative(Axis(a), 1))
                    .reduce(|x, y| x + y);
                if let Some(Ok(got)) = op.map(|op| op.apply(&f, &opts)) {
                    let expected = results
                        .iter()
                        .zip(&coefs)
                        .map(|(g, &c)| g.mapv(|v| c * v))
                        .reduce(|e, t| e + t)
                        .expect("one term or more");
                    assert!(
                        bits_equal_any_nan(&got.view(), &expected.view()),
                        "constants times derivatives differ from the gradient scaled and added ({}): {}",
                        first_difference(&got.view(), &expected.view()),
                        ctx()
                    );
                }
                // The Hessian of the same options: an error (second derivatives need more
                // points; options it refuses) or one entry per pair of the gradient's axes,
                // never a panic (an empty list of axes panicked until 2026-12-05).
                if let Ok(h) = f.hessian(&opts) {
                    let k = results.len();
                    assert_eq!(h.len(), k, "hessian axes: {}", ctx());
                    assert_eq!(
                        h.clone().into_entries().len(),
                        k * (k + 1) / 2,
                        "hessian entries: {}",
                        ctx()
                    );
                    // Its first mixed entry is the composition of the two first derivatives
                    // (fused from the input or through buffers, whichever the route took).
                    if let [a, b, ..] = h.axes() {
                        let first = |axis: Axis| opts.clone().axis_derivative(axis, 1);
                        let inner = f.gradient_axis_with(*b, &first(*b)).expect("the Hessian's derivative");
                        let expected = inner
                            .gradient_axis_with(*a, &first(*a))
                            .expect("the Hessian's derivative");
                        assert!(
                            bits_equal_any_nan(&h[(0, 1)].view(), &expected.view()),
                            "hessian (0, 1) differs from the composed calls ({}): {}",
                            first_difference(&h[(0, 1)].view(), &expected.view()),
                            ctx()
                        );
                    }
                }
            }
            Call::Laplacian => {
                let mut sum: Option<ArrayD<f64>> = None;
                let mut complete = true;
                for a in case.diff_axes() {
                    match f.gradient_axis_with(Axis(a), &opts.clone().axis_derivative(Axis(a), 2)) {
                        Ok(d2) => {
                            sum = Some(match sum {
                                None => d2,
                                Some(s) => s + d2,
                            })
                        }
                        Err(_) => complete = false,
                    }
                }
                // Any two NaNs are equal, as for the magnitude above.
                if complete && let Some(sum) = sum {
                    assert!(
                        bits_equal_any_nan(&results[0].view(), &sum.view()),
                        "laplacian differs from the sum of second derivatives ({}): {}",
                        first_difference(&results[0].view(), &sum.view()),
                        ctx()
                    );
                }
            }
            Call::Axis(_) => {}
        }
    }
    Ok(())
}

// The `Operator` part (issue 17): a random operator applied with random options.

/// One factor of a product.
#[derive(Clone, Debug)]
enum Factor {
    /// `Operator::derivative(Axis(axis), order)`.
    Derivative(usize, usize),
    /// `Operator::identity()`.
    Identity,
}

/// How a coefficient array's shape differs from the input's.
#[derive(Clone, Copy, Debug)]
enum ShapeChange {
    Same,
    /// One point more along this axis.
    Longer(usize),
    /// One point fewer along this axis (the same shape if it has none).
    Shorter(usize),
    /// A length-1 axis appended.
    ExtraAxis,
    /// The last axis dropped.
    DropAxis,
}

impl ShapeChange {
    fn apply(self, shape: &[usize]) -> Vec<usize> {
        let mut s = shape.to_vec();
        match self {
            ShapeChange::Same => {}
            ShapeChange::Longer(a) if a < s.len() => s[a] += 1,
            ShapeChange::Shorter(a) if a < s.len() => s[a] = s[a].saturating_sub(1),
            ShapeChange::Longer(_) | ShapeChange::Shorter(_) | ShapeChange::ExtraAxis => s.push(1),
            ShapeChange::DropAxis => {
                s.pop();
            }
        }
        s
    }
}

#[derive(Clone, Debug)]
enum CoefSpec {
    /// `Operator::coefficient(c)`.
    Scalar(f64),
    /// `Operator::field(a)`, `a` of the input's shape (or not), in a random layout.
    Field(ShapeChange),
}

/// One term: `±` a product of factors, a coefficient among them.
#[derive(Clone, Debug)]
struct TermSpec {
    /// Joined to the terms before it with `-` (else `+`); not used for the first term.
    minus: bool,
    /// Unary `-` of the product.
    negated: bool,
    factors: Vec<Factor>,
    /// The coefficient and its place among the factors (0: the leftmost, applied last).
    coef: Option<(usize, CoefSpec)>,
}

/// A step of a term as the operator holds it: identities dropped, adjacent derivatives along
/// one axis merged into one of the summed order (`None`: the sum overflows).
#[derive(Clone, Copy, Debug, PartialEq)]
enum StepSpec {
    Derivative(usize, Option<usize>),
    Scalar(f64),
    /// The coefficient array of this term.
    Field,
}

impl TermSpec {
    fn generate(u: &mut Unstructured, ndim: usize) -> AResult<Self> {
        let minus = u.ratio(1, 3)?;
        let negated = u.ratio(1, 4)?;
        let n = u.int_in_range(0..=3usize)?;
        let mut factors = Vec::with_capacity(n);
        for _ in 0..n {
            factors.push(if u.ratio(1, 10)? {
                Factor::Identity
            } else {
                Factor::Derivative(gen_axis(u, ndim)?, gen_operator_order(u)?)
            });
        }
        let coef = match u.int_in_range(0..=5u8)? {
            0 | 1 => Some(CoefSpec::Scalar(real(u)?)),
            2 => Some(CoefSpec::Field(match u.int_in_range(0..=9u8)? {
                0 => ShapeChange::Longer(u.int_in_range(0..=ndim.saturating_sub(1))?),
                1 => ShapeChange::Shorter(u.int_in_range(0..=ndim.saturating_sub(1))?),
                2 => ShapeChange::ExtraAxis,
                3 => ShapeChange::DropAxis,
                _ => ShapeChange::Same,
            })),
            _ => None,
        };
        let coef = match coef {
            Some(c) => Some((u.int_in_range(0..=factors.len())?, c)),
            None => None,
        };
        Ok(TermSpec {
            minus,
            negated,
            factors,
            coef,
        })
    }

    /// The steps of the term, outermost (leftmost) first.
    fn steps(&self) -> Vec<StepSpec> {
        let mut items: Vec<StepSpec> = Vec::new();
        for i in 0..=self.factors.len() {
            if let Some((at, c)) = &self.coef
                && *at == i
            {
                items.push(match c {
                    CoefSpec::Scalar(c) => StepSpec::Scalar(*c),
                    CoefSpec::Field(_) => StepSpec::Field,
                });
            }
            match self.factors.get(i) {
                Some(Factor::Derivative(a, m)) => match items.last_mut() {
                    Some(StepSpec::Derivative(b, order)) if *b == *a => *order = order.map(|o| o.saturating_add(*m)),
                    _ => items.push(StepSpec::Derivative(*a, Some(*m))),
                },
                Some(Factor::Identity) | None => {}
            }
        }
        items
    }
}

/// A derivative order of a factor: mostly 1 to 3, sometimes 0 to 9 (0 and 9 are refused) or
/// the extremes.
fn gen_operator_order(u: &mut Unstructured) -> AResult<usize> {
    Ok(match u.int_in_range(0..=15u8)? {
        0 => u.int_in_range(0..=9usize)?,
        1 => *u.choose(&[0, MAX_DERIVATIVE, MAX_DERIVATIVE + 1, usize::MAX])?,
        2..=5 => u.int_in_range(2..=3usize)?,
        _ => 1,
    })
}

/// 1 to 3 terms.
#[derive(Clone, Debug)]
struct OperatorSpec {
    terms: Vec<TermSpec>,
}

impl OperatorSpec {
    fn generate(u: &mut Unstructured, ndim: usize) -> AResult<Self> {
        let n = u.int_in_range(1..=3usize)?;
        let terms = (0..n).map(|_| TermSpec::generate(u, ndim)).collect::<AResult<_>>()?;
        Ok(OperatorSpec { terms })
    }

    /// Whether term `t` is subtracted (its sign once the `-`s are counted).
    fn subtracted(&self, t: usize) -> bool {
        self.terms[t].negated != (t > 0 && self.terms[t].minus)
    }

    /// The orders of the derivatives along `axis` (merged), for the lengths of the shape.
    fn orders_along(&self, axis: usize) -> Vec<usize> {
        let mut orders: Vec<usize> = self
            .terms
            .iter()
            .flat_map(|t| t.steps())
            .filter_map(|s| match s {
                StepSpec::Derivative(a, Some(m)) if a == axis => Some(m),
                _ => None,
            })
            .collect();
        if orders.is_empty() {
            orders.push(1);
        }
        orders
    }

    /// The operator, with `fields[t]` the coefficient array of term `t` (owned when `owned`).
    fn build<'a>(&self, fields: &'a [Option<Laid>], owned: bool) -> Operator<'a, f64> {
        let mut op: Option<Operator<'a, f64>> = None;
        for (t, term) in self.terms.iter().enumerate() {
            let mut factors: Vec<Operator<'a, f64>> = term
                .factors
                .iter()
                .map(|f| match f {
                    Factor::Derivative(a, m) => Operator::derivative(Axis(*a), *m),
                    Factor::Identity => Operator::identity(),
                })
                .collect();
            if let Some((at, c)) = &term.coef {
                factors.insert(
                    *at,
                    match c {
                        CoefSpec::Scalar(c) => Operator::coefficient(*c),
                        CoefSpec::Field(_) => {
                            let a = fields[t].as_ref().expect("a coefficient array").view();
                            if owned {
                                Operator::field(a.to_owned())
                            } else {
                                Operator::field(a)
                            }
                        }
                    },
                );
            }
            let product = factors
                .into_iter()
                .reduce(|a, b| a * b)
                .unwrap_or_else(Operator::identity);
            let product = if term.negated { -product } else { product };
            op = Some(match op {
                None => product,
                Some(sum) if term.minus => sum - product,
                Some(sum) => sum + product,
            });
        }
        op.expect("at least one term")
    }

    /// A single product of derivatives with no coefficient and no sign, no two adjacent factors
    /// along one axis (so none merge): its `(axis, order)` factors, outermost first.
    fn plain_mixed_partial(&self) -> Option<Vec<(usize, usize)>> {
        let [term] = &self.terms[..] else { return None };
        if term.negated || term.coef.is_some() {
            return None;
        }
        let factors: Vec<(usize, usize)> = term
            .factors
            .iter()
            .filter_map(|f| match f {
                Factor::Derivative(a, m) => Some((*a, *m)),
                Factor::Identity => None,
            })
            .collect();
        let unmerged = factors.windows(2).all(|w| w[0].0 != w[1].0);
        (!factors.is_empty() && unmerged).then_some(factors)
    }
}

fn same_result(a: &OpOutcome, b: &OpOutcome) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => bits_equal(&a.view(), &b.view()),
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

fn why_result(a: &OpOutcome, b: &OpOutcome) -> String {
    match (a, b) {
        (Ok(a), Ok(b)) => first_difference(&a.view(), &b.view()),
        (a, b) => format!("{:?} vs {:?}", a.as_ref().err(), b.as_ref().err()),
    }
}

/// Equal bits, except that any two NaNs are equal (for references computed with the harness's
/// own arithmetic, where the NaN an operation returns may depend on the operand order the
/// compiler picked).
fn bits_equal_any_nan(a: &ArrayViewD<'_, f64>, b: &ArrayViewD<'_, f64>) -> bool {
    a.shape() == b.shape()
        && a.iter()
            .zip(b.iter())
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

type OpOutcome = Result<ArrayD<f64>, GradientError>;

/// `apply` on an array of any dimension type.
fn op_apply<D: Dimension>(
    op: &Operator<'_, f64>,
    f: ArrayView<'_, f64, D>,
    opts: &GradientOptions<'_, f64>,
) -> OpOutcome {
    op.apply(&f, opts).map(|g| g.into_dyn())
}

/// `apply_into` an output of `layout` pre-filled with the sentinel: the output read back, or the
/// error after checking that the output is untouched.
fn op_into(
    op: &Operator<'_, f64>,
    f: ArrayViewD<'_, f64>,
    opts: &GradientOptions<'_, f64>,
    layout: Layout,
) -> OpOutcome {
    let blank = ArrayD::from_elem(f.raw_dim(), f64::from_bits(SENTINEL));
    let mut out = Laid::new(blank.view(), layout);
    match op.apply_into(&f, opts, &mut out.view_mut()) {
        Ok(()) => Ok(from_logical(out.view())),
        Err(e) => {
            assert!(
                out.buf.iter().all(|v| v.to_bits() == SENTINEL),
                "apply_into failed with {e:?} but changed its output"
            );
            Err(e)
        }
    }
}

/// The derivative of `order` along `axis` as one `gradient_axis_with` call.
fn partial(f: &ArrayD<f64>, axis: usize, order: usize, opts: &GradientOptions<'_, f64>) -> OpOutcome {
    f.gradient_axis_with(Axis(axis), &opts.clone().axis_derivative(Axis(axis), order))
}

/// The operator evaluated as its documentation describes it, from the crate's one-axis calls
/// and the harness's own arithmetic: each term's steps right to left (a derivative is
/// `gradient_axis_with` with that axis's derivative order, a coefficient `c * value`), the
/// terms added left to right (a first term subtracted is `-1 * value`). With whether the
/// harness did any arithmetic (else the result is the crate's calls alone).
fn by_hand(
    spec: &OperatorSpec,
    f: &ArrayD<f64>,
    fields: &[Option<ArrayD<f64>>],
    opts: &GradientOptions<'_, f64>,
) -> Result<(ArrayD<f64>, bool), GradientError> {
    let mut sum: Option<ArrayD<f64>> = None;
    let mut arithmetic = false;
    for (t, term) in spec.terms.iter().enumerate() {
        let mut value = f.clone();
        for step in term.steps().iter().rev() {
            value = match *step {
                StepSpec::Derivative(a, m) => partial(&value, a, m.expect("checked by the caller"), opts)?,
                StepSpec::Scalar(c) => {
                    arithmetic = true;
                    value.mapv(|x| c * x)
                }
                StepSpec::Field => {
                    arithmetic = true;
                    let c = fields[t].as_ref().expect("a coefficient array");
                    let mut v = value;
                    ndarray::Zip::from(&mut v).and(c).for_each(|x, &c| *x = c * *x);
                    v
                }
            };
        }
        let subtract = spec.subtracted(t);
        sum = Some(match sum {
            None if subtract => {
                arithmetic = true;
                value.mapv(|x| -1.0 * x)
            }
            None => value,
            Some(mut acc) => {
                arithmetic = true;
                ndarray::Zip::from(&mut acc)
                    .and(&value)
                    .for_each(|a, &b| *a = if subtract { *a - b } else { *a + b });
                acc
            }
        });
    }
    Ok((sum.expect("at least one term"), arithmetic))
}

/// What applying the operator must give, from the documented rules: `Err` with one of `errors`
/// if there are any, else `Ok`; any error in `tolerated` may replace either.
fn operator_expect(case: &Case, model: &Model, spec: &OperatorSpec, fields: &[Option<Laid>]) -> Expect {
    let ndim = case.shape.len();
    let conflict = |axis, option| GradientError::ConflictingOptions {
        axis,
        option,
        with: "operator",
    };
    let only = |e| Expect {
        errors: vec![e],
        tolerated: Vec::new(),
    };
    if ndim == 0 {
        return only(GradientError::ZeroDimensional);
    }
    // The operator gives the axes and the derivative orders: options that give them are
    // refused (an empty list of axes gives none).
    if let Some(&a) = model.axes.as_ref().and_then(|l| l.first()) {
        return only(conflict(a, "axes"));
    }
    if model.derivative.is_some() {
        return only(conflict(0, "derivative"));
    }
    if let Some(&a) = model.axis_derivative.keys().next() {
        // The first axis of the array given one, else any axis given one (all out of range).
        let errors = if a < ndim {
            vec![conflict(a, "derivative")]
        } else {
            model
                .axis_derivative
                .keys()
                .map(|&a| conflict(a, "derivative"))
                .collect()
        };
        return Expect {
            errors,
            tolerated: Vec::new(),
        };
    }
    // Each derivative is checked as `gradient_axis_with` checks that axis with that order
    // given to every axis (the operator's order applies to every axis the options configure);
    // each coefficient array must have the input's shape.
    let mut errors = Vec::new();
    let mut tolerated = Vec::new();
    for (t, term) in spec.terms.iter().enumerate() {
        for step in term.steps() {
            match step {
                StepSpec::Derivative(a, order) => {
                    let Some(m) = order else {
                        // The merged order overflows: no order the crate supports, whichever
                        // order the error names.
                        errors.push(GradientError::InvalidDerivative { derivative: usize::MAX });
                        tolerated.push(Tolerated::InvalidDerivative);
                        continue;
                    };
                    let mut model = model.clone();
                    model.derivative = Some(m);
                    let single = Case {
                        ops: case.ops.clone(),
                        model,
                        shape: case.shape.clone(),
                        call: Call::Axis(a),
                        coords: case.coords.clone(),
                        periods: case.periods.clone(),
                    };
                    let e = single.expect();
                    errors.extend(e.errors.into_iter().map(|e| match e {
                        // The order is the operator's: it is the one named.
                        GradientError::ConflictingOptions {
                            axis,
                            option: "edge_order",
                            with: "derivative",
                        } => conflict(axis, "edge_order"),
                        e => e,
                    }));
                    tolerated.extend(e.tolerated);
                }
                StepSpec::Field => {
                    let got = fields[t].as_ref().expect("a coefficient array").view().shape().to_vec();
                    if got != case.shape {
                        errors.push(GradientError::CoefficientShape {
                            term: t,
                            expected: case.shape.clone(),
                            got,
                        });
                    }
                }
                StepSpec::Scalar(_) => {}
            }
        }
    }
    Expect { errors, tolerated }
}

/// The operator part: a random operator (1 to 3 terms, each `±` a product of 0 to 3 derivative
/// factors, with a scalar or array coefficient or none, joined by `+` and `-`) applied with
/// random options (the `derivative`, `axis_derivative` and `axes` calls left out three times in
/// four) to an array of 0 to 3 dimensions in a random layout. Asserts:
///
/// 1. no panic;
/// 2. `Err` exactly when the oracle says so, and then an error it names ([`operator_expect`]);
/// 3. `apply_into` an output in C order, F order and a random layout gives the same bits as
///    `apply`, or the same error and the output untouched; an output of the wrong shape is
///    refused (with `OutputShape` for a valid operator) and left untouched;
/// 4. the result has the input's shape, and the same bits from a C-order and an F-order copy
///    of the input (each result in its input's memory order), from a fixed-dimension array,
///    and with the parallel threshold at 0 and at `usize::MAX`;
/// 5. a single product of derivatives (no coefficient, no sign, no two adjacent factors along
///    one axis) equals the `gradient_axis_with` calls composed by hand, innermost first, bit
///    for bit (`compose_into`'s promise);
/// 6. any other operator equals its documented evaluation ([`by_hand`]): bit for bit where that
///    is the crate's calls alone, else up to the NaN chosen by the harness's own arithmetic.
fn check_operator(u: &mut Unstructured) -> AResult<()> {
    let ndim = *u.choose(&[1, 1, 2, 2, 2, 3, 3, 1, 2, 3, 0])?;
    let nops = u.int_in_range(0..=6usize)?;
    let ops = (0..nops).map(|_| Op::generate(u, ndim)).collect::<AResult<Vec<_>>>()?;
    let spec = OperatorSpec::generate(u, ndim)?;
    let model = Model::of(&ops);
    let orders: Vec<Vec<usize>> = (0..ndim).map(|a| spec.orders_along(a)).collect();
    // The call is not used: the operator gives the axes and orders.
    let case = finish_case(u, ops, model, Call::All, &orders)?;
    let f = gen_array(u, &case.shape)?;
    // The coefficient arrays, each in a random layout.
    let mut fields: Vec<Option<Laid>> = Vec::new();
    let mut field_values: Vec<Option<ArrayD<f64>>> = Vec::new();
    for term in &spec.terms {
        if let Some((_, CoefSpec::Field(change))) = &term.coef {
            let shape = change.apply(&case.shape);
            let a = gen_array(u, &shape)?;
            let layout = gen_layout(u, shape.len())?;
            fields.push(Some(Laid::new(a.view(), layout)));
            field_values.push(Some(a));
        } else {
            fields.push(None);
            field_values.push(None);
        }
    }
    let owned = u.ratio(1, 4)?;
    let strip = u.ratio(3, 4)?;
    let orders_op = |op: &Op| matches!(op, Op::Derivative(_) | Op::AxisDerivative(..) | Op::Axes(_));
    let keep = |op: &Op| !(strip && orders_op(op));
    let opts = case.options_kept(keep);
    let model = Model::of_kept(&case.ops, keep);
    // For the calls composed by hand: the options the operator accepts.
    let plain = case.options_kept(|op| !orders_op(op));
    let in_layout = gen_layout(u, ndim)?;
    let laid = Laid::new(f.view(), in_layout);
    let view = laid.view();
    let ctx = || {
        let fields: Vec<Option<&[usize]>> = field_values.iter().map(|a| a.as_ref().map(|a| a.shape())).collect();
        format!(
            "shape {:?}, input strides {:?}, operator {:?}, coefficient array shapes {fields:?}, ops {:?} ({}), \
             coords {:?}, periods {:?}",
            case.shape,
            view.strides(),
            spec.terms,
            case.ops,
            if strip {
                "derivative and axes calls left out"
            } else {
                "all called"
            },
            case.coords,
            case.periods
        )
    };

    if debug() {
        eprintln!("operator case: {}", ctx());
    }

    // 1-2: no panic (building the operator included), and Err exactly when the oracle says so.
    let op = spec.build(&fields, owned);
    let reference = op_apply(&op, view.clone(), &opts);
    let expect = operator_expect(&case, &model, &spec, &fields);
    if debug() {
        let verdict = match &reference {
            Ok(_) => "ok".to_string(),
            Err(e) if expect.errors.is_empty() => format!("tolerated {e:?}"),
            Err(e) => format!("err {e:?}"),
        };
        eprintln!("operator {verdict}");
    }
    match &reference {
        Err(e) if expect.tolerated.iter().any(|t| t.allows(e)) => {}
        Err(e) if expect.errors.is_empty() => panic!("valid operator refused with {e:?}: {}", ctx()),
        Err(e) => assert!(
            expect.errors.contains(e),
            "wrong error {e:?}, expected one of {:?}: {}",
            expect.errors,
            ctx()
        ),
        Ok(g) => {
            assert!(
                expect.errors.is_empty(),
                "invalid operator accepted (expected one of {:?}): {}",
                expect.errors,
                ctx()
            );
            assert_eq!(g.shape(), &case.shape[..], "result shape: {}", ctx());
        }
    }

    // 3: apply_into, into fresh outputs of either memory order and a random layout.
    for layout in [Layout::C, Layout::F, gen_layout(u, ndim)?] {
        let got = op_into(&op, view.clone(), &opts, layout);
        assert!(
            same_result(&got, &reference),
            "apply_into differs from apply ({}): {}",
            why_result(&got, &reference),
            ctx()
        );
    }
    if ndim > 0 && u.ratio(1, 4)? {
        let mut shape = case.shape.clone();
        shape[u.int_in_range(0..=ndim - 1)?] += 1;
        let mut out = ArrayD::from_elem(IxDyn(&shape), f64::from_bits(SENTINEL));
        match (&reference, op.apply_into(&view, &opts, &mut out)) {
            (_, Ok(())) => panic!("an output of shape {shape:?} was accepted: {}", ctx()),
            (Ok(_), Err(e)) => assert_eq!(
                e,
                GradientError::OutputShape {
                    output: None,
                    axis: None,
                    expected: case.shape.clone(),
                    got: shape.clone(),
                },
                "wrong error for an output of shape {shape:?}: {}",
                ctx()
            ),
            (Err(_), Err(_)) => {}
        }
        assert!(
            out.iter().all(|v| v.to_bits() == SENTINEL),
            "a refused apply_into changed its output: {}",
            ctx()
        );
    }

    // 4: C and F copies of the input (each result in its input's memory order), the
    // fixed-dimension types, and the parallel thresholds give the same bits or error.
    for (order, layout) in [("C", Layout::C), ("F", Layout::F)] {
        let copy = Laid::new(f.view(), layout);
        let got = op.apply(&copy.view(), &opts).map(|g| {
            let in_order = if order == "C" {
                g.is_standard_layout()
            } else {
                g.t().is_standard_layout()
            };
            assert!(
                in_order,
                "the result of a {order}-order input is not in {order} order: {}",
                ctx()
            );
            g
        });
        assert!(
            same_result(&got, &reference),
            "a {order}-order copy differs ({}): {}",
            why_result(&got, &reference),
            ctx()
        );
    }
    let fixed = match ndim {
        0 => op_apply(
            &op,
            view.clone().into_dimensionality::<ndarray::Ix0>().expect("0-D"),
            &opts,
        ),
        1 => op_apply(
            &op,
            view.clone().into_dimensionality::<ndarray::Ix1>().expect("1-D"),
            &opts,
        ),
        2 => op_apply(
            &op,
            view.clone().into_dimensionality::<ndarray::Ix2>().expect("2-D"),
            &opts,
        ),
        _ => op_apply(
            &op,
            view.clone().into_dimensionality::<ndarray::Ix3>().expect("3-D"),
            &opts,
        ),
    };
    assert!(
        same_result(&fixed, &reference),
        "Ix{ndim} differs from IxDyn ({}): {}",
        why_result(&fixed, &reference),
        ctx()
    );
    for threshold in [0, usize::MAX] {
        let got = with_parallel_threshold(threshold, || op_apply(&op, view.clone(), &opts));
        assert!(
            same_result(&got, &reference),
            "parallel threshold {threshold} differs ({}): {}",
            why_result(&got, &reference),
            ctx()
        );
    }
    let got = with_parallel_threshold(0, || op_into(&op, view.clone(), &opts, Layout::F));
    assert!(
        same_result(&got, &reference),
        "apply_into with parallel threshold 0 differs ({}): {}",
        why_result(&got, &reference),
        ctx()
    );

    // 7: the operator block by block through `BlockPlan` (each block from itself plus the halo
    // the plan asks for, wrapped where it runs past an end): the same bits, or the same error.
    let plan = BlockPlan::operator(&case.shape, &op, &opts);
    let plan = match (&reference, plan) {
        (Ok(_), Ok(plan)) => plan,
        (Err(e), Err(p)) => {
            assert_eq!(&p, e, "BlockPlan::operator refuses differently: {}", ctx());
            return Ok(());
        }
        (r, p) => panic!(
            "apply {:?} but BlockPlan::operator {:?}: {}",
            r.as_ref().err(),
            p.err(),
            ctx()
        ),
    };
    let Ok(result) = &reference else { return Ok(()) };
    if !case.shape.contains(&0) {
        blocks_equal_apply(u, &plan, &f, result, &ctx)?;
    }

    // 5-6: the operator as the documentation defines it.
    if let Some(factors) = spec.plain_mixed_partial() {
        let mut hand = Ok(f.clone());
        for &(a, m) in factors.iter().rev() {
            hand = hand.and_then(|g| partial(&g, a, m, &plain));
        }
        match hand {
            Ok(hand) => assert!(
                bits_equal(&result.view(), &hand.view()),
                "a mixed partial differs from the gradient_axis_with calls composed by hand ({}): {}",
                first_difference(&result.view(), &hand.view()),
                ctx()
            ),
            Err(e) => panic!(
                "the operator was accepted but the composed calls refused with {e:?}: {}",
                ctx()
            ),
        }
    } else {
        match by_hand(&spec, &f, &field_values, &plain) {
            Ok((hand, false)) => assert!(
                bits_equal(&result.view(), &hand.view()),
                "the operator differs from its evaluation by the crate's calls ({}): {}",
                first_difference(&result.view(), &hand.view()),
                ctx()
            ),
            Ok((hand, true)) => assert!(
                bits_equal_any_nan(&result.view(), &hand.view()),
                "the operator differs from its evaluation by hand ({}): {}",
                first_difference(&result.view(), &hand.view()),
                ctx()
            ),
            Err(e) => panic!(
                "the operator was accepted but the calls of its evaluation refused with {e:?}: {}",
                ctx()
            ),
        }
    }
    Ok(())
}

/// Check 7 of the operator part: `plan` cut into blocks at random points of each axis.
fn blocks_equal_apply(
    u: &mut Unstructured,
    plan: &BlockPlan<f64>,
    f: &ArrayD<f64>,
    result: &ArrayD<f64>,
    ctx: &dyn Fn() -> String,
) -> AResult<()> {
    let shape = f.shape().to_vec();
    let ndim = shape.len();
    let mut cuts: Vec<Vec<usize>> = Vec::new();
    for &n in &shape {
        let mut c: Vec<usize> = (0..u.int_in_range(0..=2usize)?)
            .map(|_| u.int_in_range(0..=n))
            .collect::<AResult<_>>()?;
        c.extend([0, n]);
        c.sort_unstable();
        c.dedup();
        cuts.push(c);
    }
    let mut assembled = ArrayD::from_elem(IxDyn(&shape), f64::from_bits(SENTINEL));
    let mut pick = vec![0usize; ndim];
    'blocks: loop {
        let start: Vec<usize> = (0..ndim).map(|k| cuts[k][pick[k]]).collect();
        let block: Vec<usize> = (0..ndim).map(|k| cuts[k][pick[k] + 1] - cuts[k][pick[k]]).collect();
        let halo = plan.halo(&start, &block).expect("a block inside the array");
        let ext = halo.around(&block);
        let with_halo = ArrayD::from_shape_fn(IxDyn(&ext), |idx| {
            let global: Vec<usize> = (0..ndim)
                .map(|k| {
                    let g = start[k] as isize - halo.before[k] as isize + idx[k] as isize;
                    g.rem_euclid(shape[k] as isize) as usize
                })
                .collect();
            f[IxDyn(&global)]
        });
        let mut out = ArrayD::from_elem(IxDyn(&block), f64::from_bits(SENTINEL));
        plan.compute(with_halo.view(), &start, &block, &mut [&mut out])
            .unwrap_or_else(|e| panic!("block {start:?} {block:?} refused with {e:?}: {}", ctx()));
        assembled
            .slice_each_axis_mut(|ax| {
                let k = ax.axis.index();
                Slice::from(start[k]..start[k] + block[k])
            })
            .assign(&out);
        for k in (0..ndim).rev() {
            pick[k] += 1;
            if pick[k] + 1 < cuts[k].len() {
                continue 'blocks;
            }
            pick[k] = 0;
        }
        break;
    }
    // NaN sign and payload aside: Rust leaves them unspecified for arithmetic, and the block
    // path and `apply` were seen to give NaNs of opposite sign from the same operations.
    assert!(
        bits_equal_any_nan(&assembled.view(), &result.view()),
        "BlockPlan::operator blocks {cuts:?} differ from apply ({}): {}",
        first_difference(&assembled.view(), &result.view()),
        ctx()
    );

    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    // The first byte picks the part: the gradient calls, an operator or a compact scheme.
    let _ = match u.int_in_range(0..=3u8) {
        Ok(0 | 1) => check(&mut u),
        Ok(2) => check_operator(&mut u),
        _ => check_compact(&mut u),
    };
});

// ---------------------------------------------------------------------------------------------
// The `CompactScheme` part (issue 17, item 5).
// ---------------------------------------------------------------------------------------------

/// Schemes that must be accepted: every one the findiff parity fixtures cover.
const VALID_COMPACT: [(usize, usize, usize); 16] = [
    (1, 4, 3),
    (1, 6, 3),
    (1, 8, 3),
    (1, 10, 3),
    (1, 4, 5),
    (1, 6, 5),
    (1, 8, 5),
    (1, 10, 5),
    (2, 4, 3),
    (2, 6, 3),
    (2, 8, 3),
    (2, 10, 3),
    (2, 4, 5),
    (2, 6, 5),
    (2, 8, 5),
    (2, 10, 5),
];

/// A random compact scheme applied along a random axis with random options; checks:
///
/// 1. no panic; `CompactScheme::new` accepts every scheme in [`VALID_COMPACT`] and refuses
///    others only with `InvalidCompactScheme` naming the request;
/// 2. `apply` returns `Err` exactly when the oracle says so, and then exactly the oracle's
///    error (checks in the documented order: 0-D, axis, options the scheme sets itself or
///    cannot honour, spacing, axis length);
/// 3. the result has the input's shape, and the same bits from a C-order and an F-order copy of
///    the input, under `with_parallel_threshold(0, ..)`, and through `apply_into` an output of
///    a random layout; on `Err`, `apply_into` returns the same error and writes nothing.
fn check_compact(u: &mut Unstructured) -> AResult<()> {
    let (m, acc, lhs) = if u.ratio(3, 4)? {
        *u.choose(&VALID_COMPACT)?
    } else {
        (
            u.int_in_range(0..=3usize)?,
            u.int_in_range(0..=12usize)?,
            u.int_in_range(1..=6usize)?,
        )
    };
    let scheme = match CompactScheme::new(m, acc, lhs) {
        Ok(s) => s,
        Err(e) => {
            assert!(
                !VALID_COMPACT.contains(&(m, acc, lhs)),
                "({m}, {acc}, {lhs}) refused: {e:?}"
            );
            assert_eq!(
                e,
                GradientError::InvalidCompactScheme {
                    derivative: m,
                    accuracy: acc,
                    lhs_points: lhs
                }
            );
            return Ok(());
        }
    };
    let ndim = u.int_in_range(0..=3usize)?;
    let mut shape = Vec::with_capacity(ndim);
    for _ in 0..ndim {
        shape.push(u.int_in_range(0..=14usize)?);
    }
    if shape.iter().product::<usize>() > MAX_ELEMENTS {
        return Ok(());
    }
    let axis = u.int_in_range(0..=ndim)?; // `ndim`: out of bounds
    let other = (ndim >= 2).then(|| (axis + 1) % ndim);
    let target = |u: &mut Unstructured| -> AResult<usize> {
        Ok(match other {
            Some(o) if u.ratio(1, 3)? => o,
            _ => axis,
        })
    };
    let n = shape.get(axis).copied().unwrap_or(0);

    // The options, and the oracle's view of the compact axis.
    let mut opts = GradientOptions::<f64>::new();
    let mut h = 1.0;
    if u.ratio(1, 2)? {
        h = if u.ratio(1, 4)? { special(u)? } else { step(u)? };
        opts = opts.spacing(h);
    }
    if u.ratio(1, 4)? {
        let a = target(u)?;
        let ha = if u.ratio(1, 4)? { special(u)? } else { step(u)? };
        opts = opts.axis_spacing(Axis(a), ha);
        if a == axis {
            h = ha;
        }
    }
    let mut coordinates_here = false;
    let coords = if u.ratio(1, 10)? {
        let a = target(u)?;
        coordinates_here = a == axis;
        Some((
            a,
            Array1::from_shape_fn(shape.get(a).copied().unwrap_or(0), |i| i as f64),
        ))
    } else {
        None
    };
    if let Some((a, x)) = &coords {
        opts = opts.coordinates(Axis(*a), x.view());
    }
    // None, `periodic`, or `period` with n·h, a little more than n·h, or a special value.
    let mut boundary_here = None;
    if u.ratio(1, 2)? {
        let a = target(u)?;
        let boundary = if u.ratio(1, 2)? {
            Boundary::Periodic
        } else {
            let na = shape.get(a).copied().unwrap_or(0) as f64;
            let ha = if a == axis { h } else { 1.0 };
            Boundary::PeriodicWithLength(match u.int_in_range(0..=3u8)? {
                0 | 1 => na * ha,
                2 => na * ha * (1.0 + 1e-9),
                _ => special(u)?,
            })
        };
        opts = opts.axis_boundary(Axis(a), boundary);
        if a == axis {
            boundary_here = Some(boundary);
        }
    }
    let axes_given = u.ratio(1, 12)?;
    if axes_given {
        opts = opts.axes([Axis(0)]);
    }
    let accuracy_given = u.ratio(1, 12)?;
    if accuracy_given {
        opts = opts.accuracy(2 * u.int_in_range(1..=4usize)?);
    }
    let derivative_given = u.ratio(1, 12)?;
    if derivative_given {
        opts = opts.derivative(u.int_in_range(1..=2usize)?);
    }
    let edge_given = u.ratio(1, 12)?;
    if edge_given {
        opts = opts.edge_order(EdgeOrder::Second);
    }

    let conflict = |option| GradientError::ConflictingOptions {
        axis,
        option,
        with: "compact",
    };
    let periodic = boundary_here.is_some();
    let reach = |offsets: &[isize]| offsets.iter().map(|o| o.unsigned_abs()).max().unwrap_or(0);
    let periodic_min = 2 * reach(&scheme.lhs().offsets).max(reach(&scheme.rhs().offsets)) + 1;
    let hm = h.powi(m as i32);
    let expect = if ndim == 0 {
        Some(GradientError::ZeroDimensional)
    } else if axis >= ndim {
        Some(GradientError::AxisOutOfBounds { axis, ndim })
    } else if axes_given {
        Some(conflict("axes"))
    } else if accuracy_given {
        Some(conflict("accuracy"))
    } else if derivative_given {
        Some(conflict("derivative"))
    } else if edge_given {
        Some(conflict("edge_order"))
    } else if coordinates_here {
        Some(conflict("coordinates"))
    } else if matches!(boundary_here, Some(Boundary::PeriodicWithLength(l))
        if !((l - h * n as f64).abs() <= 4.0 * f64::EPSILON * l.abs()))
    {
        Some(conflict("period"))
    } else if !(h.is_finite() && h != 0.0 && hm.is_finite() && hm != 0.0) {
        Some(GradientError::InvalidSpacing { axis, spacing: h })
    } else {
        let min = if periodic { periodic_min } else { scheme.min_len() };
        (n < min).then_some(GradientError::AxisTooShort { axis, len: n, min })
    };

    let f = gen_array(u, &shape)?;
    let in_layout = gen_layout(u, ndim)?;
    let laid = Laid::new(f.view(), in_layout);
    let view = laid.view();
    let ctx = || {
        format!(
            "scheme ({m}, {acc}, {lhs}), shape {shape:?}, axis {axis}, strides {:?}, h {h}, boundary {boundary_here:?}, \
             coordinates {coordinates_here}, axes/accuracy/derivative/edge order given {axes_given} {accuracy_given} \
             {derivative_given} {edge_given}",
            view.strides()
        )
    };
    if debug() {
        eprintln!("compact case: {}", ctx());
    }
    let reference = scheme.apply(&view, Axis(axis), &opts);
    let out_layout = gen_layout(u, ndim)?;
    let mut out = Laid::new(
        ArrayD::from_elem(IxDyn(&shape), f64::from_bits(SENTINEL)).view(),
        out_layout,
    );
    let into = scheme.apply_into(&view, Axis(axis), &opts, &mut out.view_mut());
    if debug() {
        eprintln!("compact verdict: {:?}", reference.as_ref().map(|r| r.len()));
    }
    match (&reference, &expect) {
        (Ok(r), None) => {
            assert_eq!(r.shape(), &shape[..], "{}", ctx());
            assert_eq!(into, Ok(()), "{}", ctx());
            assert!(bits_equal(&r.view(), &out.view()), "apply_into: {}", ctx());
            for copy in [from_logical(view.clone()), {
                let mut b = ArrayD::from_elem(IxDyn(&shape).f(), 0.0);
                b.assign(&view);
                b
            }] {
                let again = scheme.apply(&copy, Axis(axis), &opts).expect("the same input");
                assert!(bits_equal(&r.view(), &again.view()), "another layout: {}", ctx());
            }
            let threaded =
                with_parallel_threshold(0, || scheme.apply(&view, Axis(axis), &opts)).expect("the same call");
            assert!(bits_equal(&r.view(), &threaded.view()), "threshold 0: {}", ctx());
        }
        (Err(e), Some(x)) => {
            assert_eq!(e, x, "{}", ctx());
            assert_eq!(into.as_ref(), Err(x), "apply_into: {}", ctx());
            assert!(
                out.view().iter().all(|v| v.to_bits() == SENTINEL),
                "written on error: {}",
                ctx()
            );
        }
        (got, want) => panic!("got {:?}, expected {want:?}: {}", got.as_ref().map(|_| ()), ctx()),
    }
    Ok(())
}
