//! Boundary-value problems (feature `sparse`, `src/solve.rs`) against an independent oracle
//! written from the documented rules.
//!
//! From the fuzz input it builds a grid of 0 to 2 dimensions (axis lengths 0 to 12), options
//! (a spacing, sometimes a special value: 0, −0, NaN, ±∞, negative, 10^±300; an accuracy of 2
//! or 4 or none; sometimes a periodic axis), an operator (1 to 3 terms joined by `+` and `-`,
//! each a derivative of order 1 or 2 along any axis, out of range included, an identity times a
//! coefficient, or a coefficient array, sometimes of the wrong shape, times a derivative), 0 to
//! 5 boundary conditions (Dirichlet, Neumann with a first derivative, Robin `a·I + b·∂`, or the
//! identity; on points chosen by random `SliceInfoElem` lists: indices and ranges inside and
//! outside the grid, negative indices and steps, a zero step, `NewAxis`, too many axes; a
//! constant value, special values included, or a value array of the grid's shape or another),
//! and a right-hand side (special values included). It asserts:
//!
//! 1. no panic, for any of these inputs (0-D and 0-size grids, conflicting conditions,
//!    singular systems such as a Neumann-only Poisson problem, NaN and ∞ included);
//! 2. `Operator::solve` returns `Err` exactly when the oracle says so, and then exactly the
//!    oracle's error, in the order the crate checks: the operator's errors (a 0-D grid is
//!    `ZeroDimensional`; an axis out of range, an invalid spacing (on a differentiated axis,
//!    or on the periodic axis when the operator differentiates at all, as `options` models
//!    the gradient's checks), an axis too short for its stencil, a coefficient array of
//!    another shape: one of those the oracle lists, and exactly the error `Operator::matrix`
//!    gives for that shape, as documented), then each condition in turn: points outside the
//!    grid (`BoundaryPoints`, naming the condition, the axis and the offending
//!    `SliceInfoElem`), a value array of another shape (`BoundaryShape`), its operator's
//!    errors (as above), and a point where an earlier condition set another equation
//!    (`BoundaryConflict`, naming the condition that first set the point, this one and a point
//!    where they differ; two equations are the same when their rows (the Dirichlet row `u[p]`,
//!    or row `p` of the condition operator's `matrix`) and values have the same bits, as the
//!    crate compares them). Past those, the only error allowed is `SingularSystem` with an
//!    `rcond` below machine epsilon, NaN or 0. One corner is left loose, as in the `options`
//!    target: a valid spacing outside [2⁻⁸, 2⁸] may also give `InvalidSpacing`;
//! 3. `boundary_value_problem(shape, ..)` returns the same error, or a problem whose `shape()`
//!    is the grid's, whose `reciprocal_condition()` is at least machine epsilon (as documented;
//!    1 for a grid without points), and whose `matrix()` is the operator's matrix with every
//!    boundary point's row replaced by its condition's (the unit row for Dirichlet, the
//!    condition operator's `matrix` row otherwise), bit for bit;
//! 4. `boundary_value_problem(..)?.solve(rhs)` gives the same bits as `Operator::solve` (the
//!    latter is documented as exactly that call), and so do a second solve with the same
//!    problem, a C-order and an F-order copy of the right-hand side, and a fixed-dimension
//!    (`Ix1`, `Ix2`) copy; the solution has the grid's shape; a right-hand side of another
//!    shape is refused with `BoundaryShape { condition: None, .. }`;
//! 5. an accepted system has only finite entries; when the inputs are finite (the system's entries, the right-hand side and the conditions'
//!    values) and the solution cannot overflow (`‖b‖₁ / (rcond · ‖A‖₁) < 10²⁹⁰`, a margin of
//!    10¹⁸ for the estimate of `‖A⁻¹‖₁` being low), the solution is finite and its residual
//!    `b − A u` (`b` the right-hand side with the conditions' values at boundary points, as
//!    documented) satisfies `‖b − A u‖₁ ≤ 4n / rcond · ‖A‖₁ (ε ‖u‖₁ + n η)` (n points,
//!    η = 2⁻¹⁰⁷⁴ the subnormal step). Why: the docs promise a relative error of about
//!    `ε / rcond` in the solution, and `‖b − A u‖ = ‖A (u* − u)‖ ≤ ‖A‖ ‖u* − u‖`; the factor
//!    `4n` covers the growth of rounding with the size in the standard bound for an LU solve
//!    (`γ_{3n}`) and the estimate of `‖A⁻¹‖₁` being low by a small factor; `n η` the absolute
//!    error of gradual underflow (the fuzzer's first find: `b = 5e-324` solved to `u = 0`).
//!    A backward-stable solve with refinement stays far inside it (its residual is a few
//!    `ε ‖A‖ ‖u‖`); a wrong factorisation or a dropped row does not.
//!    Each Dirichlet point's value is checked against its condition with the same bound (its
//!    row of the residual is `g[p] − u[p]`).
//!
//! Bits are compared with `to_bits`, so NaN results are compared exactly (sign and payload).
//!
//! Not covered: `f32` (the crate's `SingularSystem` threshold is the element type's epsilon),
//! coordinates, per-axis spacings and edge orders, and grids large enough for faer's
//! supernodal paths or `MatrixTooLarge`.

#![no_main]

use arbitrary::{Result as AResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use ndarray::{Array, ArrayD, ArrayViewD, Axis, Ix1, Ix2, IxDyn, ShapeBuilder, SliceInfo, SliceInfoElem};
use ndarray_gradient::faer::sparse::SparseRowMat;
use ndarray_gradient::{
    BoundaryConditions, BoundaryValue, BoundaryValueProblem, GradientError, GradientOptions, Operator,
};

/// Values that exercise every rule: zero, signed zero, negative, non-finite, huge, tiny.
const SPECIAL: [f64; 14] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    1e300,
    -1e300,
    1e-300,
    5e-324,
    f64::MAX,
    1e-8,
];

/// True one time in `k`; false once the input is used up (`Unstructured::ratio` would say
/// true there), so that short inputs take the common path.
fn rare(u: &mut Unstructured, k: u32) -> AResult<bool> {
    Ok(u.int_in_range(1..=k)? == k)
}

/// A real number: mostly small multiples of 1/8, else a special value.
fn real(u: &mut Unstructured) -> AResult<f64> {
    Ok(if rare(u, 8)? {
        *u.choose(&SPECIAL)?
    } else {
        f64::from(u.int_in_range(-40..=40i32)?) / 8.0
    })
}

/// An array of `shape` with values from [`real`] (special values only sometimes at all).
fn gen_array(u: &mut Unstructured, shape: &[usize], specials: bool) -> AResult<ArrayD<f64>> {
    let n: usize = shape.iter().product();
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(if specials {
            real(u)?
        } else {
            f64::from(u.int_in_range(-40..=40i32)?) / 8.0
        });
    }
    Ok(ArrayD::from_shape_vec(IxDyn(shape), v).expect("n values"))
}

/// A shape near `shape`, sometimes `shape` itself.
fn gen_shape_like(u: &mut Unstructured, shape: &[usize]) -> AResult<Vec<usize>> {
    Ok(match u.int_in_range(0..=5u8)? {
        0 => shape.iter().rev().copied().collect(),
        1 => shape.iter().map(|&n| n + 1).collect(),
        2 => {
            let mut s = shape.to_vec();
            s.push(2);
            s
        }
        3 => shape.iter().skip(1).copied().collect(),
        _ => shape.to_vec(),
    })
}

/// The fewest points a differentiated axis needs: `options`' rule (`s + w − 1` for the
/// accuracy-order stencils, `w` one-sided points, `s` reach of the centred one; the NumPy
/// form's `edge order + 1` for a first derivative without an accuracy; 1 on a periodic axis).
fn min_len(derivative: usize, accuracy: Option<usize>, periodic: bool) -> usize {
    if periodic {
        return 1;
    }
    if derivative == 1 && matches!(accuracy, None | Some(2)) {
        // Second-order one-sided edges need 3 points, NumPy's default first-order ones 2.
        return if accuracy == Some(2) { 3 } else { 2 };
    }
    let p = accuracy.unwrap_or(2);
    let central = 2 * derivative.div_ceil(2) - 1 + p;
    let w = if derivative.is_multiple_of(2) {
        central + 1
    } else {
        central
    };
    w + central / 2 - 1
}

/// The grid, the options, and what the oracle knows of them.
struct Grid {
    shape: Vec<usize>,
    h: f64,
    accuracy: Option<usize>,
    periodic: Option<usize>,
}

impl Grid {
    fn opts(&self) -> GradientOptions<'static, f64> {
        let mut o = GradientOptions::new().spacing(self.h);
        if let Some(p) = self.accuracy {
            o = o.accuracy(p);
        }
        if let Some(a) = self.periodic {
            o = o.periodic(Axis(a));
        }
        o
    }

    /// The errors a derivative of order `m` along `axis` may give: (required, tolerated).
    fn derivative_errors(
        &self,
        axis: usize,
        m: usize,
        errors: &mut Vec<GradientError>,
        tolerated: &mut Vec<GradientError>,
    ) {
        let ndim = self.shape.len();
        if axis >= ndim {
            errors.push(GradientError::AxisOutOfBounds { axis, ndim });
            return;
        }
        let h = self.h;
        let spacing = GradientError::InvalidSpacing { axis, spacing: h };
        if !(h.is_finite() && h != 0.0) {
            errors.push(spacing);
        } else if !(2f64.powi(-8)..=2f64.powi(8)).contains(&h.abs()) {
            // The stencil's weights (h^-m times a rational) may overflow: `options`' loose corner.
            tolerated.push(spacing);
        }
        let len = self.shape[axis];
        let min = min_len(m, self.accuracy, self.periodic == Some(axis));
        if len < min {
            errors.push(GradientError::AxisTooShort { axis, len, min });
        }
    }
}

/// One term of an operator.
#[derive(Clone, Debug)]
enum TermSpec {
    /// `±∂^m/∂x_a^m`.
    Derivative(usize, usize, bool),
    /// `c·I`.
    Scaled(f64),
    /// `field · ∂^m/∂x_a^m`, the field's shape given.
    Field(Vec<usize>, usize, usize),
}

#[derive(Clone, Debug)]
struct OperatorSpec {
    terms: Vec<TermSpec>,
}

impl OperatorSpec {
    fn gen_main(u: &mut Unstructured, ndim: usize) -> AResult<Self> {
        let count = u.int_in_range(1..=3usize)?;
        let mut terms = Vec::with_capacity(count);
        for _ in 0..count {
            let axis = if rare(u, 16)? {
                ndim
            } else {
                u.int_in_range(0..=ndim.saturating_sub(1))?
            };
            let m = u.int_in_range(1..=2usize)?;
            terms.push(match u.int_in_range(0..=5u8)? {
                4 => TermSpec::Scaled(real(u)?),
                5 => TermSpec::Field(Vec::new(), axis, m), // shape filled in by the caller
                _ => TermSpec::Derivative(axis, m, rare(u, 4)?),
            });
        }
        Ok(OperatorSpec { terms })
    }

    /// A condition's operator: `∂/∂x_a`, Robin `a·I + b·∂/∂x_a`, or the identity.
    fn gen_condition(u: &mut Unstructured, ndim: usize) -> AResult<Self> {
        let axis = if rare(u, 16)? {
            ndim
        } else {
            u.int_in_range(0..=ndim.saturating_sub(1))?
        };
        let terms = match u.int_in_range(0..=5u8)? {
            4 => vec![TermSpec::Scaled(real(u)?), TermSpec::Derivative(axis, 1, false)],
            5 => vec![TermSpec::Scaled(1.0)],
            _ => vec![TermSpec::Derivative(axis, 1, rare(u, 8)?)],
        };
        Ok(OperatorSpec { terms })
    }

    fn build<'a>(&self, fields: &'a [ArrayD<f64>]) -> Operator<'a, f64> {
        let mut fields = fields.iter();
        let mut op: Option<Operator<'a, f64>> = None;
        for t in &self.terms {
            let term = match t {
                TermSpec::Derivative(a, m, negate) => {
                    let d = Operator::derivative(Axis(*a), *m);
                    if *negate { -d } else { d }
                }
                TermSpec::Scaled(c) => Operator::coefficient(*c) * Operator::identity(),
                TermSpec::Field(_, a, m) => {
                    Operator::field(fields.next().expect("one array per field term").view())
                        * Operator::derivative(Axis(*a), *m)
                }
            };
            op = Some(match op {
                None => term,
                Some(op) => op + term,
            });
        }
        op.expect("at least one term")
    }

    /// The oracle's errors for this operator on the grid: (required, tolerated).
    fn errors(&self, grid: &Grid) -> (Vec<GradientError>, Vec<GradientError>) {
        let mut errors = Vec::new();
        let mut tolerated = Vec::new();
        if grid.shape.is_empty() {
            return (vec![GradientError::ZeroDimensional], tolerated);
        }
        // With each derivative, every axis the options configure has its settings checked,
        // differentiated or not (`options`' rule: the operator checks each derivative as
        // `gradient_axis_with` would): here the periodic axis's spacing. An operator without
        // derivatives checks nothing.
        let differentiates = self.terms.iter().any(|t| !matches!(t, TermSpec::Scaled(_)));
        if let Some(a) = grid.periodic
            && differentiates
            && !(grid.h.is_finite() && grid.h != 0.0)
        {
            errors.push(GradientError::InvalidSpacing {
                axis: a,
                spacing: grid.h,
            });
        }
        for (t, term) in self.terms.iter().enumerate() {
            match term {
                TermSpec::Derivative(a, m, _) => grid.derivative_errors(*a, *m, &mut errors, &mut tolerated),
                TermSpec::Scaled(_) => {}
                TermSpec::Field(shape, a, m) => {
                    if *shape != grid.shape {
                        errors.push(GradientError::CoefficientShape {
                            term: t,
                            expected: grid.shape.clone(),
                            got: shape.clone(),
                        });
                    }
                    grid.derivative_errors(*a, *m, &mut errors, &mut tolerated);
                }
            }
        }
        (errors, tolerated)
    }
}

/// What a condition's value is.
#[derive(Clone, Debug)]
enum ValueSpec {
    Constant(f64),
    /// Index into the harness's value arrays.
    Field(usize),
}

#[derive(Clone, Debug)]
struct ConditionSpec {
    points: Vec<SliceInfoElem>,
    /// `None` for Dirichlet.
    op: Option<OperatorSpec>,
    value: ValueSpec,
}

/// An index or range bound along an axis of `len` points: mostly inside, sometimes just
/// outside, rarely extreme.
fn gen_bound(u: &mut Unstructured, len: usize) -> AResult<isize> {
    let l = len as isize;
    Ok(match u.int_in_range(0..=15u8)? {
        0..=10 => u.int_in_range(-l..=l.max(1) - 1)?,
        11 => l + 1,
        12 => -l - 1,
        13 => l,
        14 => -l,
        _ => *u.choose(&[isize::MIN, isize::MAX, isize::MIN + 1])?,
    })
}

fn gen_points(u: &mut Unstructured, shape: &[usize]) -> AResult<Vec<SliceInfoElem>> {
    let count = match u.int_in_range(0..=9u8)? {
        0 => 0,
        1 => shape.len() + 1,
        _ => shape.len(),
    };
    let mut points = Vec::with_capacity(count + 1);
    for k in 0..count {
        if rare(u, 20)? {
            points.push(SliceInfoElem::NewAxis);
        }
        let len = shape.get(k).copied().unwrap_or(1);
        points.push(match u.int_in_range(0..=2u8)? {
            0 => SliceInfoElem::Index(gen_bound(u, len)?),
            1 => SliceInfoElem::Slice {
                start: 0,
                end: None,
                step: 1,
            },
            _ => SliceInfoElem::Slice {
                start: if rare(u, 3)? { 0 } else { gen_bound(u, len)? },
                end: if rare(u, 3)? { None } else { Some(gen_bound(u, len)?) },
                step: *u.choose(&[1, 1, 1, 1, 2, 3, -1, -1, -2, 0, isize::MIN, isize::MAX])?,
            },
        });
    }
    Ok(points)
}

/// The oracle's selection: `Err((axis, elem))` for the first element outside the grid (after
/// the `NewAxis` ones, which consume no axis), else the points, C-order indices in the order
/// ndarray's slicing of the grid visits them (missing trailing axes taken whole).
fn select(points: &[SliceInfoElem], shape: &[usize]) -> Result<Vec<usize>, (usize, SliceInfoElem)> {
    let mut axis = 0;
    for &elem in points {
        let inside = |i: isize, len: usize| {
            let (i, len) = (i as i128, len as i128);
            -len <= i && i <= len
        };
        let ok = match elem {
            SliceInfoElem::NewAxis => continue,
            _ if axis >= shape.len() => false,
            SliceInfoElem::Index(i) => inside(i, shape[axis]) && (i as i128) < shape[axis] as i128,
            SliceInfoElem::Slice { start, end, step } => {
                inside(start, shape[axis]) && end.is_none_or(|e| inside(e, shape[axis])) && step != 0
            }
        };
        if !ok {
            return Err((axis, elem));
        }
        axis += 1;
    }
    let grid = Array::from_shape_vec(IxDyn(shape), (0..shape.iter().product()).collect::<Vec<usize>>()).expect("n");
    let mut elems = points.to_vec();
    elems.extend((axis..shape.len()).map(|_| SliceInfoElem::from(..)));
    let info = SliceInfo::<Vec<SliceInfoElem>, IxDyn, IxDyn>::try_from(elems).expect("a valid slice");
    Ok(grid.slice(info).iter().copied().collect())
}

/// A boundary point's equation in the oracle: the condition that set it, its row as
/// `(column, bits)`, and its value.
type PointEquation = (usize, Vec<(usize, u64)>, f64);

/// Row `p` of a compressed-row matrix as `(column, bits)`.
fn row_bits(a: &SparseRowMat<usize, f64>, p: usize) -> Vec<(usize, u64)> {
    a.col_idx_of_row(p)
        .zip(a.val_of_row(p))
        .map(|(j, w)| (j, w.to_bits()))
        .collect()
}

fn bits(a: &ArrayViewD<'_, f64>) -> Vec<u64> {
    a.iter().map(|v| v.to_bits()).collect()
}

fn debug() -> bool {
    static DEBUG: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("NDARRAY_GRADIENT_FUZZ_DEBUG").is_some_and(|v| v == "1"))
}

/// What the oracle expects.
enum Expect {
    /// Exactly this error.
    Exactly(GradientError),
    /// One of `errors` (non-empty), or one of `tolerated`; and exactly `matrix`'s error.
    Operator {
        errors: Vec<GradientError>,
        tolerated: Vec<GradientError>,
        matrix: Option<GradientError>,
    },
    /// One of the conflicts `(first, point)` of condition `second`.
    Conflict {
        second: usize,
        options: Vec<(usize, Vec<usize>)>,
    },
    /// `Ok`, or `SingularSystem`.
    Solvable,
}

fn unravel(mut p: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (k, &len) in shape.iter().enumerate().rev() {
        index[k] = p % len;
        p /= len;
    }
    index
}

/// Checks the operator oracle: `Some(expectation)` if the operator must or may fail.
fn operator_expect(spec: &OperatorSpec, op: &Operator<'_, f64>, grid: &Grid) -> Option<Expect> {
    let (errors, tolerated) = spec.errors(grid);
    let matrix = op.matrix(&grid.shape, &grid.opts()).err();
    if errors.is_empty() && tolerated.is_empty() {
        assert!(matrix.is_none(), "matrix refuses a valid operator: {matrix:?}");
        return None;
    }
    if errors.is_empty() && matrix.is_none() {
        return None;
    }
    Some(Expect::Operator {
        errors,
        tolerated,
        matrix,
    })
}

fn check(u: &mut Unstructured) -> AResult<()> {
    let ndim = *u.choose(&[1, 1, 2, 2, 2, 1, 2, 0])?;
    let mut shape = Vec::with_capacity(ndim);
    for _ in 0..ndim {
        shape.push(if rare(u, 12)? { 0 } else { u.int_in_range(1..=12usize)? });
    }
    let h = if rare(u, 8)? {
        *u.choose(&[0.0, -0.0, f64::NAN, f64::INFINITY, -1.0, -0.5, 1e-300, 1e300, 1e-3, 1e3])?
    } else {
        *u.choose(&[1.0, 0.5, 0.25, 0.1, 2.0, 1.0 / 11.0])?
    };
    let accuracy = *u.choose(&[None, Some(2), Some(2), Some(4), Some(4)])?;
    let periodic = if ndim > 0 && rare(u, 6)? {
        Some(u.int_in_range(0..=ndim - 1)?)
    } else {
        None
    };
    let grid = Grid {
        shape: shape.clone(),
        h,
        accuracy,
        periodic,
    };
    let opts = grid.opts();

    // The operator and its coefficient arrays.
    let mut spec = OperatorSpec::gen_main(u, ndim)?;
    let mut fields = Vec::new();
    for t in &mut spec.terms {
        if let TermSpec::Field(s, _, _) = t {
            *s = if rare(u, 6)? {
                gen_shape_like(u, &shape)?
            } else {
                shape.clone()
            };
            let specials = rare(u, 8)?;
            fields.push(gen_array(u, s, specials)?);
        }
    }
    // The conditions, their value arrays, and the right-hand side.
    let count = u.int_in_range(0..=5usize)?;
    let mut conditions = Vec::with_capacity(count);
    let mut values: Vec<ArrayD<f64>> = Vec::new();
    for _ in 0..count {
        let points = gen_points(u, &shape)?;
        let op = if rare(u, 3)? {
            Some(OperatorSpec::gen_condition(u, ndim)?)
        } else {
            None
        };
        let value = if rare(u, 3)? {
            let s = if rare(u, 8)? {
                gen_shape_like(u, &shape)?
            } else {
                shape.clone()
            };
            let specials = rare(u, 8)?;
            values.push(gen_array(u, &s, specials)?);
            ValueSpec::Field(values.len() - 1)
        } else if u.ratio(1, 2)? {
            ValueSpec::Constant(real(u)?)
        } else {
            // The same value as another condition's, so that conditions meet and agree.
            ValueSpec::Constant(0.0)
        };
        conditions.push(ConditionSpec { points, op, value });
    }
    let specials = rare(u, 8)?;
    let rhs = gen_array(u, &shape, specials)?;

    let op = spec.build(&fields);
    let cond_ops: Vec<Option<Operator<'_, f64>>> =
        conditions.iter().map(|c| c.op.as_ref().map(|s| s.build(&[]))).collect();
    let mut bc = BoundaryConditions::new();
    for (c, cond) in conditions.iter().enumerate() {
        let value: BoundaryValue<'_, f64> = match cond.value {
            ValueSpec::Constant(v) => v.into(),
            ValueSpec::Field(i) => (&values[i]).into(),
        };
        bc = match &cond_ops[c] {
            None => bc.dirichlet(&cond.points, value),
            Some(o) => bc.neumann(&cond.points, o.clone(), value),
        };
    }
    let ctx = || {
        format!(
            "shape {shape:?}, h {h}, accuracy {accuracy:?}, periodic {periodic:?}, operator {spec:?} (field shapes \
             {:?}), conditions {conditions:?} (value shapes {:?})",
            fields.iter().map(|f| f.shape().to_vec()).collect::<Vec<_>>(),
            values.iter().map(|f| f.shape().to_vec()).collect::<Vec<_>>()
        )
    };
    if debug() {
        eprintln!("solve case: {}", ctx());
    }

    // The oracle, in the crate's order: the operator, then each condition in turn.
    let n: usize = shape.iter().product();
    // Each boundary point's equation: (condition, row, value bits).
    let mut equations: Vec<Option<PointEquation>> = vec![None; n];
    let mut expect = operator_expect(&spec, &op, &grid);
    if expect.is_none() {
        'conditions: for (c, cond) in conditions.iter().enumerate() {
            let points = match select(&cond.points, &shape) {
                Ok(p) => p,
                Err((axis, points)) => {
                    expect = Some(Expect::Exactly(GradientError::BoundaryPoints {
                        condition: c,
                        axis,
                        points,
                        shape: shape.clone(),
                    }));
                    break;
                }
            };
            if let ValueSpec::Field(i) = cond.value
                && values[i].shape() != &shape[..]
            {
                expect = Some(Expect::Exactly(GradientError::BoundaryShape {
                    condition: Some(c),
                    expected: shape.clone(),
                    got: values[i].shape().to_vec(),
                }));
                break;
            }
            let rows = match (&cond.op, &cond_ops[c]) {
                (Some(s), Some(o)) => {
                    if let Some(e) = operator_expect(s, o, &grid) {
                        expect = Some(e);
                        break;
                    }
                    match o.matrix(&shape, &opts) {
                        Ok(m) => Some(m),
                        // A tolerated error that `matrix` gives: `solve` must give it too.
                        Err(e) => {
                            expect = Some(Expect::Exactly(e));
                            break;
                        }
                    }
                }
                _ => None,
            };
            let mut conflicts = Vec::new();
            for p in points {
                let row = match &rows {
                    None => vec![(p, 1f64.to_bits())],
                    Some(m) => row_bits(m, p),
                };
                let value = match cond.value {
                    ValueSpec::Constant(v) => v,
                    ValueSpec::Field(i) => values[i][IxDyn(&unravel(p, &shape))],
                };
                match &equations[p] {
                    Some((first, r, v)) if *r != row || v.to_bits() != value.to_bits() => {
                        conflicts.push((*first, unravel(p, &shape)));
                    }
                    Some(_) => {}
                    None => equations[p] = Some((c, row, value)),
                }
            }
            if !conflicts.is_empty() {
                expect = Some(Expect::Conflict {
                    second: c,
                    options: conflicts,
                });
                break 'conditions;
            }
        }
    }
    let expect = expect.unwrap_or(Expect::Solvable);

    // The calls.
    let solved = op.solve(&rhs, &bc, &opts);
    let problem = op.boundary_value_problem(&shape, &bc, &opts);
    if debug() {
        eprintln!("solve verdict: {:?}", solved.as_ref().map(|s| s.len()));
    }
    match (&solved, &problem) {
        (Err(a), Err(b)) => assert_eq!(a, b, "solve and boundary_value_problem differ: {}", ctx()),
        (Ok(_), Ok(_)) => {}
        _ => panic!(
            "solve {:?} but boundary_value_problem {:?}: {}",
            solved.as_ref().err(),
            problem.as_ref().err(),
            ctx()
        ),
    }
    match (&expect, &solved) {
        (Expect::Exactly(e), Err(got)) => assert_eq!(got, e, "{}", ctx()),
        (
            Expect::Operator {
                errors,
                tolerated,
                matrix,
            },
            got,
        ) => {
            let got = got.as_ref().err();
            assert_eq!(
                got,
                matrix.as_ref(),
                "solve and matrix differ on the operator: {}",
                ctx()
            );
            if let Some(got) = got {
                assert!(
                    errors.contains(got) || tolerated.contains(got),
                    "{got:?} is none of {errors:?} / {tolerated:?}: {}",
                    ctx()
                );
            }
        }
        (Expect::Conflict { second, options }, Err(got)) => match got {
            GradientError::BoundaryConflict {
                first,
                second: s,
                point,
            } if s == second && options.contains(&(*first, point.clone())) => {}
            _ => panic!(
                "{got:?}, expected a conflict of condition {second} among {options:?}: {}",
                ctx()
            ),
        },
        (Expect::Solvable, Err(GradientError::SingularSystem { rcond })) => {
            assert!(
                rcond.is_nan() || *rcond < f64::EPSILON,
                "singular with rcond {rcond:e}: {}",
                ctx()
            );
        }
        (Expect::Solvable, Ok(_)) => {}
        (_, got) => panic!(
            "got {:?}, the oracle expects another outcome: {}",
            got.as_ref().err(),
            ctx()
        ),
    }
    let (Ok(solution), Ok(problem)) = (solved, problem) else {
        return Ok(());
    };
    check_solution(&rhs, &solution, &problem, &op, &opts, &equations, &conditions, &ctx);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn check_solution(
    rhs: &ArrayD<f64>,
    solution: &ArrayD<f64>,
    problem: &BoundaryValueProblem<f64>,
    op: &Operator<'_, f64>,
    opts: &GradientOptions<'_, f64>,
    equations: &[Option<PointEquation>],
    conditions: &[ConditionSpec],
    ctx: &dyn Fn() -> String,
) {
    let shape = rhs.shape();
    let n = rhs.len();
    assert_eq!(solution.shape(), shape, "{}", ctx());
    assert_eq!(problem.shape(), shape, "{}", ctx());
    let rcond = problem.reciprocal_condition();
    if n == 0 {
        assert_eq!(rcond, 1.0, "{}", ctx());
    }
    assert!(rcond >= f64::EPSILON, "rcond {rcond:e}: {}", ctx());

    // The matrix: the operator's, each boundary point's row its condition's.
    let a = problem.matrix();
    let plain = op.matrix(shape, opts).expect("the operator was accepted");
    assert_eq!((a.nrows(), a.ncols()), (n, n), "{}", ctx());
    for (p, eq) in equations.iter().enumerate() {
        let want = match eq {
            Some((_, row, _)) => row.clone(),
            None => row_bits(&plain, p),
        };
        assert_eq!(row_bits(a, p), want, "row {p} of the system: {}", ctx());
    }

    // The same bits: again, from the problem, from C/F-order and fixed-dimension copies.
    let want = bits(&solution.view());
    let same = |got: &ArrayViewD<'_, f64>, what: &str| {
        assert_eq!(bits(got), want, "{what}: {}", ctx());
    };
    same(&problem.solve(rhs).expect("the grid's shape").view(), "problem.solve");
    same(
        &problem.solve(rhs).expect("the grid's shape").view(),
        "problem.solve again",
    );
    let c_copy = rhs.as_standard_layout().into_owned();
    let mut f_copy = ArrayD::zeros(IxDyn(shape).f());
    f_copy.assign(rhs);
    same(&problem.solve(&c_copy).expect("C order").view(), "C-order rhs");
    same(&problem.solve(&f_copy).expect("F order").view(), "F-order rhs");
    match shape.len() {
        1 => {
            let fixed = rhs.clone().into_dimensionality::<Ix1>().expect("1-D");
            same(&problem.solve(&fixed).expect("Ix1").into_dyn().view(), "Ix1 rhs");
        }
        2 => {
            let fixed = f_copy.clone().into_dimensionality::<Ix2>().expect("2-D");
            same(
                &problem.solve(&fixed).expect("Ix2").into_dyn().view(),
                "Ix2 F-order rhs",
            );
        }
        _ => {}
    }
    let mut wrong = shape.to_vec();
    wrong.push(1);
    assert_eq!(
        problem.solve(&ArrayD::<f64>::zeros(IxDyn(&wrong))).unwrap_err(),
        GradientError::BoundaryShape {
            condition: None,
            expected: shape.to_vec(),
            got: wrong
        },
        "{}",
        ctx()
    );
    if n == 0 {
        return;
    }

    // The residual. `b` is the right-hand side with the conditions' values at boundary points.
    let mut b: Vec<f64> = rhs.iter().copied().collect();
    for (p, eq) in equations.iter().enumerate() {
        if let Some((_, _, v)) = eq {
            b[p] = *v;
        }
    }
    let x: Vec<f64> = solution.iter().copied().collect();
    let entries_finite = (0..n).all(|i| a.val_of_row(i).iter().all(|w| w.is_finite()));
    assert!(
        entries_finite || n == 0,
        "a system with a non-finite entry was accepted: {}",
        ctx()
    );
    let mut column_sums = vec![0.0f64; n];
    for i in 0..n {
        for (j, w) in a.col_idx_of_row(i).zip(a.val_of_row(i)) {
            column_sums[j] += w.abs();
        }
    }
    let norm_a = column_sums.iter().fold(0.0f64, |m, &v| m.max(v));
    let norm_b: f64 = b.iter().map(|v| v.abs()).sum();
    if !(b.iter().all(|v| v.is_finite()) && norm_b.is_finite()) {
        return;
    }
    // (NaN fails the comparison too.)
    if norm_b / (rcond * norm_a) >= 1e290 || (norm_b / (rcond * norm_a)).is_nan() {
        return;
    }
    assert!(
        x.iter().all(|v| v.is_finite()),
        "a non-finite solution from finite inputs (‖b‖₁ {norm_b:e}, ‖A‖₁ {norm_a:e}, rcond {rcond:e}): {}",
        ctx()
    );
    let norm_x: f64 = x.iter().map(|v| v.abs()).sum();
    // Gradual underflow adds an absolute error of up to η/2 (η = 2⁻¹⁰⁷⁴, the subnormal step) to
    // each operation; `n η` beside `ε ‖u‖₁` covers it (seen: b = 5e-324 solved to u = 0).
    let eta = f64::from_bits(1);
    let bound = 4.0 * n as f64 / rcond * norm_a * (f64::EPSILON * norm_x + n as f64 * eta);
    if !bound.is_finite() {
        return;
    }
    let residual: Vec<f64> = (0..n)
        .map(|i| {
            a.col_idx_of_row(i)
                .zip(a.val_of_row(i))
                .fold(b[i], |s, (j, &w)| s - w * x[j])
        })
        .collect();
    let norm_r: f64 = residual.iter().map(|v| v.abs()).sum();
    assert!(
        norm_r <= bound,
        "‖b − A u‖₁ = {norm_r:e} > 4n/rcond·‖A‖₁(ε‖u‖₁ + nη) = {bound:e} (rcond {rcond:e}): {}",
        ctx()
    );
    // Dirichlet points: u[p] = g[p] to within the same bound.
    for (p, eq) in equations.iter().enumerate() {
        if let Some((c, _, g)) = eq
            && conditions[*c].op.is_none()
        {
            assert!(
                (x[p] - g).abs() <= bound,
                "Dirichlet point {p}: u = {:e}, g = {g:e}, bound {bound:e}: {}",
                x[p],
                ctx()
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = check(&mut u);
});
