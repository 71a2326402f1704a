//! The one error type of the crate.

use std::fmt;

use crate::orders::{MAX_ACCURACY, MAX_DERIVATIVE};

/// Which side of the array a `diff` padding belongs to, in [`GradientError::PadShape`].
///
/// # Example
///
/// ```
/// use ndarray::{array, Axis};
/// use ndarray_gradient::{ArrayGradientExt, GradientError, Pad, PadSide};
///
/// let a = array![[1, 2], [3, 4]];
/// let wrong = array![[0, 0, 0]];
/// // np.diff(a, axis=0, append=[[0, 0, 0]]) raises ValueError in np.concatenate
/// let err = a.diff_with(1, Axis(0), None, Some(Pad::Array(wrong.view()))).unwrap_err();
/// assert!(matches!(err, GradientError::PadShape { side: PadSide::Append, .. }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PadSide {
    /// NumPy's `prepend=`.
    Prepend,
    /// NumPy's `append=`.
    Append,
}

impl fmt::Display for PadSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PadSide::Prepend => "prepend",
            PadSide::Append => "append",
        })
    }
}

/// Every way a call into this crate can be refused.
///
/// No public function of this crate panics on bad input: each bad argument is one of these
/// variants, and its message names the axis and the sizes involved, so that it says what to fix.
///
/// # Example
///
/// ```
/// use ndarray::{array, Axis};
/// use ndarray_gradient::{ArrayGradientExt, GradientError};
///
/// let f = array![1.0, 2.0, 4.0];
/// // np.gradient(f, axis=1) raises AxisError; here it is a typed error.
/// let err = f.gradient_axis(Axis(1)).unwrap_err();
/// assert_eq!(err, GradientError::AxisOutOfBounds { axis: 1, ndim: 1 });
/// assert_eq!(err.to_string(), "axis 1 is out of bounds for an array of dimension 1");
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum GradientError {
    /// The axis does not exist in the array.
    AxisOutOfBounds {
        /// The axis that was asked for.
        axis: usize,
        /// The number of dimensions of the array.
        ndim: usize,
    },
    /// The same axis was listed twice in [`GradientOptions::axes`](crate::GradientOptions::axes).
    RepeatedAxis {
        /// The axis listed more than once.
        axis: usize,
    },
    /// The axis has fewer points than the stencil needs (NumPy: edge order + 1; see
    /// [`GradientOptions::accuracy`](crate::GradientOptions::accuracy) for the others).
    AxisTooShort {
        /// The axis being differentiated.
        axis: usize,
        /// Its length.
        len: usize,
        /// The smallest length that works.
        min: usize,
    },
    /// A coordinate array does not have one coordinate per point of its axis.
    CoordinatesLength {
        /// The axis the coordinates belong to.
        axis: usize,
        /// The length of that axis.
        expected: usize,
        /// The length of the coordinate array.
        got: usize,
    },
    /// A spacing is zero, infinite or NaN, or so large or small that the stencil's
    /// coefficients overflow (NumPy returns `0`, `inf` or `nan` there).
    InvalidSpacing {
        /// The axis the spacing belongs to.
        axis: usize,
        /// The spacing (or the offending coordinate step), as `f64`. Errors compare it by bits,
        /// so an error with a NaN spacing equals its clone.
        spacing: f64,
    },
    /// A coordinate is infinite or NaN.
    CoordinatesNotFinite {
        /// The axis the coordinates belong to.
        axis: usize,
        /// The position of the first non-finite coordinate.
        index: usize,
    },
    /// The coordinates are neither strictly increasing nor strictly decreasing.
    CoordinatesNotMonotonic {
        /// The axis the coordinates belong to.
        axis: usize,
        /// The first position `i` where `x[i]`, `x[i + 1]` break the direction set by `x[0]`, `x[1]`
        /// (or repeat a value).
        index: usize,
    },
    /// A `diff` padding array does not fit the array it pads.
    PadShape {
        /// Whether it was the prepended or the appended array.
        side: PadSide,
        /// The axis being differentiated.
        axis: usize,
        /// The shape of the array being differentiated.
        expected: Vec<usize>,
        /// The shape of the padding array.
        got: Vec<usize>,
    },
    /// An output array given to an `_into` method does not have the shape of the result.
    ///
    /// ```
    /// use ndarray::{array, Array2};
    /// use ndarray_gradient::{ArrayGradientExt, GradientError, GradientOptions};
    ///
    /// let f = array![[1.0, 2.0, 4.0], [2.0, 5.0, 9.0]];
    /// let (mut g0, mut g1) = (Array2::zeros((2, 3)), Array2::zeros((3, 2)));
    /// // dy, dx = np.gradient(f), into arrays of your own: the second has the wrong shape
    /// let err = f.gradient_into(&GradientOptions::new(), &mut [&mut g0, &mut g1]).unwrap_err();
    /// assert_eq!(err, GradientError::OutputShape { output: Some(1), axis: Some(1), expected: vec![2, 3], got: vec![3, 2] });
    /// assert_eq!(err.to_string(), "output 1 (along axis 1) has shape [3, 2], but the result has shape [2, 3]");
    /// ```
    OutputShape {
        /// Which output, counting from 0, for the methods that write several
        /// ([`gradient_into`](crate::ArrayGradientExt::gradient_into),
        /// [`BlockPlan::compute`](crate::BlockPlan::compute)); `None` for those that write one.
        output: Option<usize>,
        /// The axis that output is computed along, where it has one (a derivative or a
        /// difference); `None` for the Laplacian and the divergence.
        axis: Option<usize>,
        /// The shape the result has.
        expected: Vec<usize>,
        /// The shape of the output array given.
        got: Vec<usize>,
    },
    /// An `_into` method was given a different number of output arrays than axes it computes.
    OutputCount {
        /// The number of axes differentiated.
        expected: usize,
        /// The number of output arrays given.
        got: usize,
    },
    /// [`gradient_with`](crate::ArrayGradientExt::gradient_with) (or
    /// [`gradient_f32`](crate::ArrayGradientExt::gradient_f32)) on an array of static
    /// dimension returns one array per axis, `[Array; N]`, but the options'
    /// [`axes`](crate::GradientOptions::axes) list another number of axes. For a subset of the
    /// axes use [`gradient_axes_with`](crate::ArrayGradientExt::gradient_axes_with), which
    /// returns a `Vec`; `IxDyn` arrays accept any list.
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientError, GradientOptions};
    ///
    /// let f = array![[1.0, 2.0, 4.0], [2.0, 5.0, 9.0]];
    /// let opts = GradientOptions::new().axes([Axis(1)]);
    /// // np.gradient(f, axis=(1,)) gives a 1-tuple: here a Vec of one
    /// assert_eq!(f.gradient_with(&opts).unwrap_err(), GradientError::AxesCount { ndim: 2, axes: 1 });
    /// assert_eq!(f.gradient_axes_with(&opts).unwrap().len(), 1);
    /// ```
    AxesCount {
        /// The number of axes of the array, and of results `gradient_with` returns.
        ndim: usize,
        /// The number of axes the options list.
        axes: usize,
    },
    /// `diff` of a zero-dimensional array (it has no axis to difference along).
    ZeroDimensional,
    /// A derivative order of 0 or above [`MAX_DERIVATIVE`].
    InvalidDerivative {
        /// The derivative order asked for.
        derivative: usize,
    },
    /// An accuracy order that is odd, 0, or above [`MAX_ACCURACY`].
    InvalidAccuracy {
        /// The accuracy order asked for.
        accuracy: usize,
    },
    /// [`CompactScheme::new`](crate::CompactScheme::new) was asked for a scheme it does not
    /// build: a derivative order other than 1 or 2, left-hand points other than 3 or 5, or an
    /// accuracy order that is odd, 0, or above [`MAX_COMPACT_ACCURACY`](crate::MAX_COMPACT_ACCURACY).
    InvalidCompactScheme {
        /// The derivative order asked for.
        derivative: usize,
        /// The accuracy order asked for.
        accuracy: usize,
        /// The number of left-hand points asked for.
        lhs_points: usize,
    },
    /// [`fornberg_weights`](crate::fornberg_weights) was given too few positions for the
    /// derivative order, or positions that repeat or are not finite.
    InvalidOffsets {
        /// The derivative order asked for.
        derivative: usize,
        /// The number of positions given.
        count: usize,
    },
    /// A periodic axis's period does not exceed the span of its coordinates (the first and
    /// last coordinate would meet or overlap after wrapping), or is not finite.
    InvalidPeriod {
        /// The periodic axis.
        axis: usize,
        /// The period given.
        period: f64,
        /// `|x[n-1] - x[0]|`, which the period must exceed.
        span: f64,
    },
    /// A periodic axis with coordinates was given no period (set one with
    /// [`GradientOptions::period`](crate::GradientOptions::period)).
    PeriodRequired {
        /// The periodic axis.
        axis: usize,
    },
    /// A block given to a [`BlockPlan`](crate::BlockPlan) does not lie inside the whole array
    /// (or its position has the wrong number of axes).
    BlockOutOfBounds {
        /// The first axis where it does not fit.
        axis: usize,
        /// The block's first index on that axis.
        start: usize,
        /// The block's length on that axis.
        len: usize,
        /// The whole array's shape.
        shape: Vec<usize>,
    },
    /// The input of a block is not the block extended by exactly its halo.
    BlockShape {
        /// The block's shape plus its halo on each side.
        expected: Vec<usize>,
        /// The shape given.
        got: Vec<usize>,
    },
    /// A vector field for `divergence` or `curl` does not have one component per
    /// differentiated axis along its leading axis (or, for `curl`, is not a 3-D field of 3
    /// components or a 2-D field of 2).
    FieldShape {
        /// The number of components the operator needs.
        components: usize,
        /// The shape of the field given.
        shape: Vec<usize>,
    },
    /// A coefficient array of an [`Operator`](crate::Operator) does not have the shape of the
    /// array the operator is applied to.
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{GradientError, GradientOptions, Operator};
    ///
    /// let f = array![1.0, 2.0, 4.0];
    /// let a = array![1.0, 2.0];
    /// let op = Operator::derivative(Axis(0), 1) + Operator::field(a.view()) * Operator::identity();
    /// let err = op.apply(&f, &GradientOptions::new()).unwrap_err();
    /// assert_eq!(err, GradientError::CoefficientShape { term: 1, expected: vec![3], got: vec![2] });
    /// assert_eq!(err.to_string(), "the coefficient array of term 1 has shape [2], but the operator is applied to an array of shape [3]");
    /// ```
    CoefficientShape {
        /// Which term of the operator, counting from 0 in the order they were added.
        term: usize,
        /// The shape of the input.
        expected: Vec<usize>,
        /// The shape of the coefficient array.
        got: Vec<usize>,
    },
    /// A grid with more points than the matrix of an operator can index (its point count
    /// overflows, or its row pointers alone would not fit in memory): `Operator::matrix`
    /// (feature `sparse`).
    ///
    /// ```
    /// use ndarray_gradient::GradientError;
    /// let err = GradientError::MatrixTooLarge { shape: vec![1 << 40, 1 << 40] };
    /// assert!(err.to_string().contains("too many points"));
    /// ```
    MatrixTooLarge {
        /// The grid's shape.
        shape: Vec<usize>,
    },
    /// A boundary condition selects points outside the grid (`BoundaryConditions`, feature
    /// `sparse`): an index or slice bound past the end of its axis (negative ones count from the
    /// end, as in ndarray's `s![]`), a slice step of zero, or more axes than the grid has.
    ///
    /// ```
    /// use ndarray::SliceInfoElem;
    /// use ndarray_gradient::GradientError;
    /// let err = GradientError::BoundaryPoints { condition: 1, axis: 0, points: SliceInfoElem::Index(9), shape: vec![8, 8] };
    /// assert_eq!(err.to_string(), "boundary condition 1 selects index 9 along axis 0, outside the grid of shape [8, 8]");
    /// ```
    BoundaryPoints {
        /// Which condition, counting from 0 in the order they were added.
        condition: usize,
        /// The axis of the selection that is outside the grid.
        axis: usize,
        /// That axis's part of the selection.
        points: ndarray::SliceInfoElem,
        /// The grid's shape.
        shape: Vec<usize>,
    },
    /// Two boundary conditions give one point different equations (findiff lets the later one
    /// win; here it is refused, since one of them would be silently dropped). Conditions that
    /// agree on a point, such as two faces' Dirichlet value at their shared corner, are allowed.
    ///
    /// ```
    /// use ndarray_gradient::GradientError;
    /// let err = GradientError::BoundaryConflict { first: 0, second: 2, point: vec![0, 0] };
    /// assert!(err.to_string().starts_with("boundary conditions 0 and 2 give point [0, 0] different equations"));
    /// ```
    BoundaryConflict {
        /// The first condition (in the order they were added) that sets the point.
        first: usize,
        /// The later condition that sets it differently.
        second: usize,
        /// The point, as an index of the grid.
        point: Vec<usize>,
    },
    /// The array of a boundary condition's values does not have the grid's shape (the
    /// right-hand side's), or a right-hand side does not have the shape its
    /// `BoundaryValueProblem` was set up on.
    ///
    /// ```
    /// use ndarray_gradient::GradientError;
    /// let err = GradientError::BoundaryShape { condition: Some(0), expected: vec![4, 4], got: vec![4] };
    /// assert_eq!(err.to_string(), "the values of boundary condition 0 have shape [4], but the grid (the right-hand side) has shape [4, 4]");
    /// ```
    BoundaryShape {
        /// Which condition's values, counting from 0 in the order they were added; `None` for
        /// a right-hand side given to `BoundaryValueProblem::solve`.
        condition: Option<usize>,
        /// The grid's shape (the right-hand side's, or the problem's).
        expected: Vec<usize>,
        /// The shape given.
        got: Vec<usize>,
    },
    /// The linear system of a boundary-value problem is singular to working precision: its
    /// estimated reciprocal condition number (1-norm) is below the element type's machine
    /// epsilon (LAPACK's test in `xGESVX`), or the factorization found no pivot. A Poisson
    /// problem with Neumann conditions only is one: its solution is fixed only up to a constant
    /// until one point gets a Dirichlet value.
    ///
    /// ```
    /// use ndarray_gradient::GradientError;
    /// let err = GradientError::SingularSystem { rcond: 1e-18 };
    /// assert!(err.to_string().starts_with("the boundary-value problem is singular"));
    /// ```
    SingularSystem {
        /// The estimated reciprocal condition number (`0` when the factorization found no
        /// pivot), as `f64`. Errors compare it by bits.
        rcond: f64,
    },
    /// An option was given that another option of the same axis leaves without meaning, so it
    /// would be silently ignored: an edge order beside an accuracy order (which sets the edges'
    /// order too), beside a derivative order above 1 or the Laplacian (their edges have the
    /// accuracy order), or on a periodic axis (no edges); a derivative order given to an
    /// operator that fixes its own (`laplacian`: 2, `divergence` and `curl`: 1).
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, EdgeOrder, GradientError, GradientOptions};
    ///
    /// let f = array![1.0, 2.0, 4.0, 7.0, 11.0, 16.0];
    /// let opts = GradientOptions::new().accuracy(4).edge_order(EdgeOrder::First);
    /// let err = f.gradient_axis_with(Axis(0), &opts).unwrap_err();
    /// assert_eq!(err, GradientError::ConflictingOptions { axis: 0, option: "edge_order", with: "accuracy" });
    /// ```
    ConflictingOptions {
        /// The axis where the two options meet.
        axis: usize,
        /// The option that would be ignored.
        option: &'static str,
        /// The option (or operator) that makes it meaningless.
        with: &'static str,
    },
}

impl fmt::Display for GradientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use GradientError::*;
        match self {
            AxisOutOfBounds { axis, ndim } => {
                write!(f, "axis {axis} is out of bounds for an array of dimension {ndim}")
            }
            RepeatedAxis { axis } => write!(f, "axis {axis} is listed more than once"),
            AxisTooShort { axis, len, min } => write!(
                f,
                "axis {axis} has {}, too few for the gradient: \
                 this stencil needs at least {min}",
                count(*len, "point", "points")
            ),
            CoordinatesLength { axis, expected, got } => write!(
                f,
                "the coordinates for axis {axis} have {}, \
                 but the axis has {}: give one coordinate per point",
                count(*got, "value", "values"),
                count(*expected, "point", "points")
            ),
            InvalidSpacing { axis, spacing } => write!(
                f,
                "the spacing for axis {axis} is {spacing}: it must be finite and non-zero"
            ),
            CoordinatesNotFinite { axis, index } => write!(
                f,
                "coordinate {index} of axis {axis} is not finite: coordinates must be finite numbers"
            ),
            CoordinatesNotMonotonic { axis, index } => write!(
                f,
                "the coordinates of axis {axis} are not strictly monotonic at index {index}: \
                 they must strictly increase or strictly decrease"
            ),
            PadShape {
                side,
                axis,
                expected,
                got,
            } => write!(
                f,
                "the {side} array has shape {got:?}, which does not fit an array of shape \
                 {expected:?} along axis {axis}: all dimensions except axis {axis} must match"
            ),
            OutputShape {
                output,
                axis,
                expected,
                got,
            } => {
                match output {
                    Some(i) => write!(f, "output {i}")?,
                    None => f.write_str("the output array")?,
                }
                if let Some(axis) = axis {
                    write!(f, " (along axis {axis})")?;
                }
                write!(f, " has shape {got:?}, but the result has shape {expected:?}")
            }
            OutputCount { expected, got } => write!(
                f,
                "{} given for {}: give one per axis",
                count(*got, "output array was", "output arrays were"),
                count(*expected, "axis", "axes")
            ),
            AxesCount { ndim, axes } => write!(
                f,
                "the options list {}, but gradient_with on an array of dimension {ndim} returns one \
                 result per axis: list every axis, or call gradient_axes_with for a subset",
                count(*axes, "axis", "axes")
            ),
            ZeroDimensional => f.write_str("diff needs an array with at least one dimension, but this one has none"),
            InvalidDerivative { derivative } => write!(
                f,
                "derivative order {derivative} is not supported: use 1 to {}",
                MAX_DERIVATIVE
            ),
            InvalidAccuracy { accuracy } => write!(
                f,
                "accuracy order {accuracy} is not supported: use an even number from 2 to {}",
                MAX_ACCURACY
            ),
            InvalidCompactScheme {
                derivative,
                accuracy,
                lhs_points,
            } => write!(
                f,
                "no compact scheme for derivative order {derivative}, accuracy order {accuracy} and \
                 {lhs_points} left-hand points: use derivative 1 or 2, 3 or 5 left-hand points, and an \
                 even accuracy from 2 to {}",
                crate::compact::MAX_COMPACT_ACCURACY
            ),
            InvalidOffsets {
                derivative,
                count: given,
            } => write!(
                f,
                "{} given for a derivative of order {derivative}: give at least \
                 {} distinct, finite positions",
                count(*given, "position was", "positions were"),
                derivative + 1
            ),
            InvalidPeriod { axis, period, span } => write!(
                f,
                "the period of axis {axis} is {period}, but its coordinates span {span}: \
                 the period must be finite and larger than the span"
            ),
            PeriodRequired { axis } => write!(
                f,
                "axis {axis} is periodic with coordinates but has no period: set it with .period(axis, L)"
            ),
            BlockOutOfBounds {
                axis,
                start,
                len,
                shape,
            } => write!(
                f,
                "the block starting at {start} with {} on axis {axis} does not fit in an array \
                 of shape {shape:?}",
                count(*len, "point", "points")
            ),
            BlockShape { expected, got } => write!(
                f,
                "the block with its halo has shape {got:?}, but the plan needs {expected:?}: \
                 pass the block extended by exactly BlockPlan::halo"
            ),
            FieldShape { components, shape } => {
                write!(
                    f,
                    "the vector field has shape {shape:?}, but this operator needs {} \
                     along the first axis, one per differentiated axis of the others",
                    count(*components, "component", "components")
                )?;
                // Only `curl` asks for 3 components of a field with 3 axes; a field of 2
                // components on 2 spatial axes is what `scalar_curl` takes.
                if *components == 3 && shape.len() == 3 && shape[0] == 2 {
                    f.write_str(": for a 2-D field of shape (2, n0, n1), use scalar_curl")?;
                }
                Ok(())
            }
            CoefficientShape { term, expected, got } => write!(
                f,
                "the coefficient array of term {term} has shape {got:?}, but the operator is applied to an \
                 array of shape {expected:?}"
            ),
            MatrixTooLarge { shape } => write!(
                f,
                "a grid of shape {shape:?} has too many points for the matrix of an operator; use apply, or \
                 BlockPlan::operator for blocks"
            ),
            BoundaryPoints {
                condition,
                axis,
                points,
                shape,
            } => {
                if *axis >= shape.len() {
                    return write!(
                        f,
                        "boundary condition {condition} selects along axis {axis}, but the grid of shape \
                         {shape:?} has {}",
                        count(shape.len(), "axis", "axes")
                    );
                }
                let what = match *points {
                    ndarray::SliceInfoElem::Index(i) => format!("index {i}"),
                    ndarray::SliceInfoElem::Slice { step: 0, .. } => "a slice with step 0".to_string(),
                    ndarray::SliceInfoElem::Slice { start, end, step } => match end {
                        Some(end) => format!("the slice {start}..{end};{step}"),
                        None => format!("the slice {start}..;{step}"),
                    },
                    ndarray::SliceInfoElem::NewAxis => "a new axis".to_string(),
                };
                write!(
                    f,
                    "boundary condition {condition} selects {what} along axis {axis}, outside the grid of \
                     shape {shape:?}"
                )
            }
            BoundaryConflict { first, second, point } => write!(
                f,
                "boundary conditions {first} and {second} give point {point:?} different equations: \
                 give each point one condition (leave it out of one of the two selections)"
            ),
            BoundaryShape {
                condition: Some(condition),
                expected,
                got,
            } => write!(
                f,
                "the values of boundary condition {condition} have shape {got:?}, but the grid (the \
                 right-hand side) has shape {expected:?}"
            ),
            BoundaryShape {
                condition: None,
                expected,
                got,
            } => write!(
                f,
                "the right-hand side has shape {got:?}, but the boundary-value problem was set up on a \
                 grid of shape {expected:?}"
            ),
            SingularSystem { rcond } => write!(
                f,
                "the boundary-value problem is singular to working precision (estimated reciprocal \
                 condition number {rcond:e}): with Neumann conditions only, give one point a Dirichlet \
                 value to fix the solution's constant"
            ),
            ConflictingOptions { axis, option, with } => {
                let why = match (*option, *with) {
                    ("edge_order", "accuracy") => {
                        "an accuracy order sets the order of the edges too (accuracy(2) is NumPy's \
                         edge_order=2); give one of them"
                    }
                    ("edge_order", "boundary") => "a periodic axis has no edges; remove edge_order",
                    ("edge_order", _) => {
                        "derivatives above the first take one-sided stencils of the accuracy order \
                         at the edges; set that with accuracy, not edge_order"
                    }
                    ("axes", "compact") => "a compact scheme differentiates along the axis it is given; remove axes",
                    ("coordinates", "compact") => {
                        "compact schemes here need a uniform spacing; give the axis a spacing, or use an \
                         explicit stencil (accuracy) on coordinates"
                    }
                    ("period", "compact") => {
                        "a compact scheme on a periodic axis needs a period of n times the spacing (a \
                         uniform grid across the wrap); use Boundary::Periodic"
                    }
                    (_, "compact") => {
                        "the compact scheme fixes the derivative and accuracy orders and its own edges; remove the option"
                    }
                    ("axes", _) => "an operator names the axes it differentiates; remove axes",
                    ("derivative", "operator") => {
                        "an operator gives the derivative order of each of its terms; remove derivative"
                    }
                    _ => "the operator fixes the derivative order; remove derivative",
                };
                write!(f, "the options {option} and {with} conflict on axis {axis}: {why}")
            }
        }
    }
}

/// `"1 point"`, `"2 points"`: a count with the noun that agrees with it.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl GradientError {
    /// `Err(AxisOutOfBounds)` unless `axis` exists in an array of `ndim` dimensions.
    pub(crate) fn check_axis(axis: usize, ndim: usize) -> Result<(), GradientError> {
        if axis >= ndim {
            return Err(GradientError::AxisOutOfBounds { axis, ndim });
        }
        Ok(())
    }
}

impl PartialEq for GradientError {
    fn eq(&self, other: &Self) -> bool {
        use GradientError::*;
        match (self, other) {
            (AxisOutOfBounds { axis: a, ndim: n }, AxisOutOfBounds { axis: b, ndim: m }) => (a, n) == (b, m),
            (RepeatedAxis { axis: a }, RepeatedAxis { axis: b }) => a == b,
            (
                AxisTooShort {
                    axis: a,
                    len: l,
                    min: n,
                },
                AxisTooShort {
                    axis: b,
                    len: k,
                    min: m,
                },
            ) => (a, l, n) == (b, k, m),
            (
                CoordinatesLength {
                    axis: a,
                    expected: e,
                    got: g,
                },
                CoordinatesLength {
                    axis: b,
                    expected: f,
                    got: h,
                },
            ) => (a, e, g) == (b, f, h),
            (InvalidSpacing { axis: a, spacing: s }, InvalidSpacing { axis: b, spacing: t }) => {
                a == b && s.to_bits() == t.to_bits()
            }
            (CoordinatesNotFinite { axis: a, index: i }, CoordinatesNotFinite { axis: b, index: j }) => {
                (a, i) == (b, j)
            }
            (CoordinatesNotMonotonic { axis: a, index: i }, CoordinatesNotMonotonic { axis: b, index: j }) => {
                (a, i) == (b, j)
            }
            (
                PadShape {
                    side: s,
                    axis: a,
                    expected: e,
                    got: g,
                },
                PadShape {
                    side: t,
                    axis: b,
                    expected: f,
                    got: h,
                },
            ) => (s, a, e, g) == (t, b, f, h),
            (
                OutputShape {
                    output: o,
                    axis: a,
                    expected: e,
                    got: g,
                },
                OutputShape {
                    output: p,
                    axis: b,
                    expected: f,
                    got: h,
                },
            ) => (o, a, e, g) == (p, b, f, h),
            (OutputCount { expected: e, got: g }, OutputCount { expected: f, got: h }) => (e, g) == (f, h),
            (AxesCount { ndim: n, axes: a }, AxesCount { ndim: m, axes: b }) => (n, a) == (m, b),
            (ZeroDimensional, ZeroDimensional) => true,
            (InvalidDerivative { derivative: a }, InvalidDerivative { derivative: b }) => a == b,
            (InvalidAccuracy { accuracy: a }, InvalidAccuracy { accuracy: b }) => a == b,
            (
                InvalidCompactScheme {
                    derivative: a,
                    accuracy: b,
                    lhs_points: c,
                },
                InvalidCompactScheme {
                    derivative: d,
                    accuracy: e,
                    lhs_points: g,
                },
            ) => (a, b, c) == (d, e, g),
            (
                InvalidOffsets {
                    derivative: a,
                    count: c,
                },
                InvalidOffsets {
                    derivative: b,
                    count: d,
                },
            ) => (a, c) == (b, d),
            (
                InvalidPeriod {
                    axis: a,
                    period: p,
                    span: s,
                },
                InvalidPeriod {
                    axis: b,
                    period: q,
                    span: t,
                },
            ) => a == b && p.to_bits() == q.to_bits() && s.to_bits() == t.to_bits(),
            (PeriodRequired { axis: a }, PeriodRequired { axis: b }) => a == b,
            (
                FieldShape {
                    components: c,
                    shape: s,
                },
                FieldShape {
                    components: d,
                    shape: t,
                },
            ) => (c, s) == (d, t),
            (
                BlockOutOfBounds {
                    axis: a,
                    start: s,
                    len: l,
                    shape: h,
                },
                BlockOutOfBounds {
                    axis: b,
                    start: t,
                    len: m,
                    shape: k,
                },
            ) => (a, s, l, h) == (b, t, m, k),
            (BlockShape { expected: e, got: g }, BlockShape { expected: f, got: h }) => (e, g) == (f, h),
            (MatrixTooLarge { shape: a }, MatrixTooLarge { shape: b }) => a == b,
            (
                BoundaryPoints {
                    condition: a,
                    axis: x,
                    points: p,
                    shape: s,
                },
                BoundaryPoints {
                    condition: b,
                    axis: y,
                    points: q,
                    shape: t,
                },
            ) => (a, x, p, s) == (b, y, q, t),
            (
                BoundaryConflict {
                    first: a,
                    second: b,
                    point: p,
                },
                BoundaryConflict {
                    first: c,
                    second: d,
                    point: q,
                },
            ) => (a, b, p) == (c, d, q),
            (
                BoundaryShape {
                    condition: a,
                    expected: e,
                    got: g,
                },
                BoundaryShape {
                    condition: b,
                    expected: f,
                    got: h,
                },
            ) => (a, e, g) == (b, f, h),
            (SingularSystem { rcond: a }, SingularSystem { rcond: b }) => a.to_bits() == b.to_bits(),
            (
                CoefficientShape {
                    term: a,
                    expected: e,
                    got: g,
                },
                CoefficientShape {
                    term: b,
                    expected: f,
                    got: h,
                },
            ) => (a, e, g) == (b, f, h),
            (
                ConflictingOptions {
                    axis: a,
                    option: o,
                    with: w,
                },
                ConflictingOptions {
                    axis: b,
                    option: p,
                    with: v,
                },
            ) => (a, o, w) == (b, p, v),
            _ => false,
        }
    }
}

/// Equality is total: the float fields are compared by their bits.
impl Eq for GradientError {}

impl std::error::Error for GradientError {}
