//! Boundary-value problems (feature `sparse`): findiff's `PDE(L, f, bc).solve()` as
//! [`Operator::solve`], with [`BoundaryConditions`] for findiff's `BoundaryConditions`.
//!
//! The system is the operator's matrix ([`MatrixRows`], the rows [`Operator::matrix`] has)
//! with the row of every boundary point replaced by its condition's equation: `u[p] = g[p]`
//! for a Dirichlet point, row `p` of the condition's own operator `= g[p]` for a Neumann (or
//! Robin) point. It is built row by row straight into compressed rows, factorised by faer's
//! sparse LU with partial pivoting, and checked for singularity by an estimate of its
//! condition number before the solution is returned.

use faer::linalg::solvers::SolveCore;
use faer::sparse::linalg::solvers::Lu;
use faer::sparse::{SparseRowMat, SymbolicSparseRowMat};
use faer::{ColMut, Conj};
use ndarray::{Array, ArrayRef, ArrayViewD, Dimension, IxDyn, SliceInfoElem};
use num_traits::Float;

use crate::error::GradientError;
use crate::matrix::MatrixRows;
use crate::operator::Operator;
use crate::options::GradientOptions;

/// The value a boundary condition sets: one for every point it selects, or an array of the
/// grid's shape read at each of them (findiff's scalar or array right-hand side of a
/// condition).
///
/// # Example
///
/// ```
/// use ndarray::{s, Array1, Axis};
/// use ndarray_gradient::{BoundaryConditions, BoundaryValue, GradientOptions, Operator};
///
/// let one: BoundaryValue<'_, f64> = 1.0.into();
/// let g = Array1::from_shape_fn(5, |i| 0.75 * i as f64); // g[4] = 3
/// let field: BoundaryValue<'_, f64> = (&g).into();
/// assert!(matches!(one, BoundaryValue::Constant(1.0)));
/// assert!(matches!(field, BoundaryValue::Field(_)));
/// // findiff: bc = BoundaryConditions((5,)); bc[0] = 1.0; bc[-1:] = g
/// //          PDE(Diff(0, 1.0)**2, np.zeros(5), bc).solve() == [1, 1.5, 2, 2.5, 3]
/// let bc = BoundaryConditions::new().dirichlet(s![0], one).dirichlet(s![-1..], field);
/// let u = Operator::derivative(Axis(0), 2).solve(&Array1::zeros(5), &bc, &GradientOptions::new()).unwrap();
/// assert!((u[1] - 1.5).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum BoundaryValue<'a, R> {
    /// The same value at every selected point.
    Constant(R),
    /// `g[p]` at each selected point `p`; `g` has the grid's shape.
    Field(ArrayViewD<'a, R>),
}

impl<R> From<R> for BoundaryValue<'_, R>
where
    R: Float,
{
    fn from(value: R) -> Self {
        BoundaryValue::Constant(value)
    }
}

impl<'a, R, D: Dimension> From<&'a ArrayRef<R, D>> for BoundaryValue<'a, R> {
    fn from(values: &'a ArrayRef<R, D>) -> Self {
        BoundaryValue::Field(values.view().into_dyn())
    }
}

impl<'a, R, D: Dimension> From<&'a ndarray::Array<R, D>> for BoundaryValue<'a, R> {
    fn from(values: &'a ndarray::Array<R, D>) -> Self {
        BoundaryValue::Field(values.view().into_dyn())
    }
}

/// What a condition makes a point's equation.
#[derive(Clone, Debug)]
enum Equation<'a, R> {
    /// `u[p] = g[p]`.
    Dirichlet,
    /// `(op u)[p] = g[p]`.
    Operator(Operator<'a, R>),
}

#[derive(Clone, Debug)]
struct Condition<'a, R> {
    points: Vec<SliceInfoElem>,
    equation: Equation<'a, R>,
    value: BoundaryValue<'a, R>,
}

/// Boundary conditions of a boundary-value problem: Dirichlet values and Neumann (or Robin)
/// conditions on chosen points of the grid, for [`Operator::solve`]. findiff's
/// `BoundaryConditions(shape)`, with `bc[0, :] = g` as
/// `.dirichlet(s![0, ..], g)` and `bc[0, :] = (Diff(0), g)` as
/// `.neumann(s![0, ..], Operator::derivative(Axis(0), 1), g)`.
///
/// Points are chosen with ndarray's [`s!`](ndarray::s) (indices, ranges, steps; negative ones
/// count from the end, `s![-1, ..]` is the last row), and the grid is the right-hand side's
/// shape, so conditions are checked when the problem is solved: a selection outside the grid is
/// [`GradientError::BoundaryPoints`], and two conditions that give one point different
/// equations are [`GradientError::BoundaryConflict`] (findiff lets the later one win; here
/// one of them would be dropped unseen). Conditions that agree where they meet, as two faces'
/// Dirichlet values at their shared corner, are fine.
///
/// # Example
///
/// ```
/// use ndarray::{s, Axis};
/// use ndarray_gradient::{BoundaryConditions, Operator};
///
/// // findiff: bc = BoundaryConditions(shape)
/// //          bc[0, :] = 0; bc[-1, :] = 1; bc[1:-1, 0] = (Diff(1), 0); bc[1:-1, -1] = 0
/// let bc = BoundaryConditions::<f64>::new()
///     .dirichlet(s![0, ..], 0.0)
///     .dirichlet(s![-1, ..], 1.0)
///     .neumann(s![1..-1, 0], Operator::derivative(Axis(1), 1), 0.0)
///     .dirichlet(s![1..-1, -1], 0.0);
/// assert_eq!(bc.len(), 4);
/// ```
#[derive(Clone, Debug)]
pub struct BoundaryConditions<'a, R> {
    conditions: Vec<Condition<'a, R>>,
}

impl<R> Default for BoundaryConditions<'_, R> {
    fn default() -> Self {
        BoundaryConditions { conditions: Vec::new() }
    }
}

impl<'a, R: Float> BoundaryConditions<'a, R> {
    /// No conditions yet. findiff's `BoundaryConditions(shape)`; the shape is the right-hand
    /// side's, given when the problem is solved.
    ///
    /// ```
    /// use ndarray::array;
    /// use ndarray_gradient::{BoundaryConditions, GradientOptions, Operator};
    ///
    /// // findiff: PDE(Identity(), f, BoundaryConditions(f.shape)).solve() == f
    /// let bc = BoundaryConditions::new();
    /// let f = array![1.0, 2.0, 3.0];
    /// assert_eq!(Operator::identity().solve(&f, &bc, &GradientOptions::new()).unwrap(), f);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of conditions added (they are numbered from 0 in this order in errors).
    /// findiff keeps no count of its assignments (`bc.row_inds()` lists the rows they set).
    ///
    /// ```
    /// use ndarray::{s, Array2, Axis};
    /// use ndarray_gradient::{BoundaryConditions, GradientError, GradientOptions, Operator};
    ///
    /// // findiff: bc[0, :] = 0; bc[:, 0] = 1 (the later one wins at the corner)
    /// let bc = BoundaryConditions::new().dirichlet(s![0, ..], 0.0).dirichlet(s![.., 0], 1.0);
    /// assert_eq!(bc.len(), 2);
    /// // Here conditions 0 and 1 conflict at the corner [0, 0].
    /// let op = Operator::derivative(Axis(0), 2);
    /// let err = op.solve(&Array2::zeros((4, 4)), &bc, &GradientOptions::new()).unwrap_err();
    /// assert_eq!(err, GradientError::BoundaryConflict { first: 0, second: 1, point: vec![0, 0] });
    /// ```
    pub fn len(&self) -> usize {
        self.conditions.len()
    }

    /// Whether no condition has been added.
    ///
    /// ```
    /// use ndarray::s;
    /// use ndarray_gradient::BoundaryConditions;
    ///
    /// // findiff: len(BoundaryConditions(shape).row_inds()) == 0
    /// assert!(BoundaryConditions::<f64>::new().is_empty());
    /// // findiff: bc[0] = 0.0 makes bc.row_inds() == [0]
    /// assert!(!BoundaryConditions::new().dirichlet(s![0], 0.0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }

    /// A Dirichlet condition, `u = value` at the points `points` selects (findiff's
    /// `bc[points] = value`).
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{s, Array1, Axis};
    /// use ndarray_gradient::{BoundaryConditions, GradientOptions, Operator};
    ///
    /// // u'' = 0 on 11 points, u[0] = 1, u[-1] = 3: the straight line between them.
    /// // findiff: bc = BoundaryConditions((11,)); bc[0] = 1.0; bc[-1] = 3.0
    /// //          u = PDE(Diff(0, 0.1)**2, np.zeros(11), bc).solve()
    /// let bc = BoundaryConditions::new().dirichlet(s![0], 1.0).dirichlet(s![-1], 3.0);
    /// let u = Operator::derivative(Axis(0), 2)
    ///     .solve(&Array1::<f64>::zeros(11), &bc, &GradientOptions::new().spacing(0.1))
    ///     .unwrap();
    /// assert!((u[5] - 2.0).abs() < 1e-12);
    /// ```
    #[must_use]
    pub fn dirichlet(mut self, points: impl AsRef<[SliceInfoElem]>, value: impl Into<BoundaryValue<'a, R>>) -> Self {
        self.conditions.push(Condition {
            points: points.as_ref().to_vec(),
            equation: Equation::Dirichlet,
            value: value.into(),
        });
        self
    }

    /// A Neumann condition, `(op u) = value` at the points `points` selects, `op` any
    /// operator: a derivative for Neumann, `a·I + b·∂` for Robin (findiff's
    /// `bc[points] = (op, value)`, and its Robin form `(alpha, op, beta, value)` as
    /// `a * Operator::identity() + b * op` for `f64` numbers). The row of `op` at each point
    /// is the one [`Operator::matrix`] has, one-sided at the edges.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{s, Array1, Axis};
    /// use ndarray_gradient::{BoundaryConditions, GradientOptions, Operator};
    ///
    /// // u'' = 2 on [0, 1], u(0) = 0, u'(1) = 2: u = x².
    /// // findiff: bc = BoundaryConditions((21,)); bc[0] = 0.0; bc[-1] = (Diff(0, h, acc=2), 2.0)
    /// //          u = PDE(Diff(0, h, acc=2)**2, np.full(21, 2.0), bc).solve()
    /// let h = 0.05;
    /// let bc = BoundaryConditions::new()
    ///     .dirichlet(s![0], 0.0)
    ///     .neumann(s![-1], Operator::derivative(Axis(0), 1), 2.0);
    /// let opts = GradientOptions::new().spacing(h).accuracy(2);
    /// let u = Operator::derivative(Axis(0), 2).solve(&Array1::from_elem(21, 2.0_f64), &bc, &opts).unwrap();
    /// assert!((u[10] - 0.25).abs() < 1e-10);
    /// ```
    #[must_use]
    pub fn neumann(
        mut self,
        points: impl AsRef<[SliceInfoElem]>,
        op: Operator<'a, R>,
        value: impl Into<BoundaryValue<'a, R>>,
    ) -> Self {
        self.conditions.push(Condition {
            points: points.as_ref().to_vec(),
            equation: Equation::Operator(op),
            value: value.into(),
        });
        self
    }
}

/// The points `points` selects on a grid of `shape`, as C-order indices, in the selection's
/// order; ndarray's slicing rules, refused where ndarray would panic.
fn selected_points(points: &[SliceInfoElem], shape: &[usize], condition: usize) -> Result<Vec<usize>, GradientError> {
    let refuse = |axis: usize, points: SliceInfoElem| GradientError::BoundaryPoints {
        condition,
        axis,
        points,
        shape: shape.to_vec(),
    };
    let mut per_axis: Vec<Vec<usize>> = Vec::with_capacity(shape.len());
    // A new axis selects nothing of the grid: it is skipped, as it consumes no axis of it.
    for &elem in points.iter().filter(|e| !matches!(e, SliceInfoElem::NewAxis)) {
        let axis = per_axis.len();
        let Some(&len) = shape.get(axis) else {
            return Err(refuse(axis, elem));
        };
        let absolute = |i: isize| -> Option<usize> {
            let i = if i < 0 {
                i.checked_add(isize::try_from(len).ok()?)?
            } else {
                i
            };
            usize::try_from(i).ok().filter(|&i| i <= len)
        };
        let indices = match elem {
            SliceInfoElem::Index(i) => vec![absolute(i).filter(|&i| i < len).ok_or_else(|| refuse(axis, elem))?],
            SliceInfoElem::Slice { start, end, step } => {
                let start = absolute(start).ok_or_else(|| refuse(axis, elem))?;
                let end = match end {
                    Some(end) => absolute(end).ok_or_else(|| refuse(axis, elem))?,
                    None => len,
                }
                .max(start);
                if step == 0 {
                    return Err(refuse(axis, elem));
                }
                let stride = step.unsigned_abs();
                if step < 0 {
                    // ndarray: a negative step walks the range from its end.
                    (start..end).rev().step_by(stride).collect()
                } else {
                    (start..end).step_by(stride).collect()
                }
            }
            SliceInfoElem::NewAxis => unreachable!("filtered above"),
        };
        per_axis.push(indices);
    }
    per_axis.extend(shape[per_axis.len()..].iter().map(|&len| (0..len).collect()));
    // Every combination, the last axis fastest, as C-order indices.
    let mut flat = vec![0usize];
    for (axis, indices) in per_axis.iter().enumerate() {
        let stride: usize = shape[axis + 1..].iter().product();
        flat = flat
            .iter()
            .flat_map(|&base| indices.iter().map(move |&i| base + i * stride))
            .collect();
    }
    Ok(flat)
}

/// The C-order index `p` of a grid of `shape` as an index per axis.
fn unravel(mut p: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (k, &len) in shape.iter().enumerate().rev() {
        index[k] = p % len;
        p /= len;
    }
    index
}

/// A boundary point's equation: its row (`(column, weight)` by column) and right-hand side,
/// and the condition that set it.
struct PointEquation<R> {
    condition: usize,
    row: Vec<(usize, R)>,
    value: R,
}

/// Whether two equations are the same to the bit (so that two conditions may meet at a point).
fn same_equation<R: Float>(a: &PointEquation<R>, b: &PointEquation<R>) -> bool {
    let bits = |v: R| v.to_f64().map(f64::to_bits);
    a.row.len() == b.row.len()
        && a.row
            .iter()
            .zip(&b.row)
            .all(|(x, y)| x.0 == y.0 && bits(x.1) == bits(y.1))
        && bits(a.value) == bits(b.value)
}

/// The equations of every boundary point, by C-order index (`None` for points without one).
fn boundary_equations<R: Float>(
    bc: &BoundaryConditions<'_, R>,
    shape: &[usize],
    opts: &GradientOptions<'_, R>,
) -> Result<Vec<Option<PointEquation<R>>>, GradientError> {
    let n = shape.iter().product();
    let mut equations: Vec<Option<PointEquation<R>>> = (0..n).map(|_| None).collect();
    for (c, condition) in bc.conditions.iter().enumerate() {
        let points = selected_points(&condition.points, shape, c)?;
        if let BoundaryValue::Field(values) = &condition.value
            && values.shape() != shape
        {
            return Err(GradientError::BoundaryShape {
                condition: Some(c),
                expected: shape.to_vec(),
                got: values.shape().to_vec(),
            });
        }
        // A Neumann condition's rows, with their scratch; a Dirichlet point's row is `u[p]`.
        let mut rows = match &condition.equation {
            Equation::Dirichlet => None,
            Equation::Operator(op) => {
                let rows = MatrixRows::new(op, shape, opts)?;
                let scratch = rows.scratch();
                Some((rows, scratch))
            }
        };
        for p in points {
            let value = match &condition.value {
                BoundaryValue::Constant(v) => *v,
                BoundaryValue::Field(values) => values[IxDyn(&unravel(p, shape))],
            };
            let mut row = Vec::new();
            match &mut rows {
                None => row.push((p, R::one())),
                Some((rows, scratch)) => rows.row(p, scratch, &mut row),
            }
            let equation = PointEquation {
                condition: c,
                row,
                value,
            };
            match &equations[p] {
                Some(earlier) if !same_equation(earlier, &equation) => {
                    return Err(GradientError::BoundaryConflict {
                        first: earlier.condition,
                        second: c,
                        point: unravel(p, shape),
                    });
                }
                Some(_) => {}
                None => equations[p] = Some(equation),
            }
        }
    }
    Ok(equations)
}

impl<R: Float + faer::traits::ComplexField> Operator<'_, R> {
    /// Solves `self u = rhs` with the boundary conditions `bc` on the grid of `rhs`'s shape:
    /// findiff's `PDE(L, rhs, bc).solve()`. The same as
    /// [`boundary_value_problem`](Self::boundary_value_problem)`(rhs.shape(), bc, opts)?.solve(rhs)`;
    /// keep the problem to solve it again for other right-hand sides without factorising again.
    ///
    /// The system is the operator's [`matrix`](Self::matrix) with the row of each boundary
    /// point replaced by its condition's equation (as findiff builds it), solved by faer's
    /// sparse LU with partial pivoting. Before the solution is returned, the system's 1-norm
    /// condition number is estimated (Hager and Higham's estimator, LAPACK's `xLACN2`, a few
    /// more solves with the factors); a system singular to working precision is refused.
    ///
    /// The system's matrix is exact and built in a fixed order, so it is the same bits on
    /// every machine. The solution is faer's, which picks its vector kernels (with fused
    /// multiply-adds where the CPU has them) at run time: the same bits on every run on one
    /// machine, and on others equal to within the solve's rounding (about the condition
    /// number times the machine epsilon, relative).
    ///
    /// # Errors
    ///
    /// - As [`matrix`](Self::matrix) for `rhs`'s shape, and for each Neumann condition's
    ///   operator.
    /// - [`GradientError::BoundaryPoints`] when a condition selects points outside the grid;
    ///   [`GradientError::BoundaryShape`] when a condition's value array does not have the
    ///   grid's shape; [`GradientError::BoundaryConflict`] when two conditions give one point
    ///   different equations.
    /// - [`GradientError::SingularSystem`] when the system is singular to working precision:
    ///   its estimated reciprocal condition number is below machine epsilon, or the
    ///   factorisation finds no pivot (a Neumann-only Poisson problem is one).
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{s, Array2, Axis};
    /// use ndarray_gradient::{BoundaryConditions, GradientOptions, Operator};
    ///
    /// // findiff: L = Diff(0, h)**2 + Diff(1, h)**2
    /// //          bc = BoundaryConditions(shape); bc[0, :] = bc[-1, :] = bc[:, 0] = bc[:, -1] = g
    /// //          u = PDE(L, 0 * g, bc).solve()
    /// // Laplace's equation with u = x² − y² on the edges: u is x² − y² inside too.
    /// let (n, h) = (21, 0.05);
    /// let g = Array2::from_shape_fn((n, n), |(i, j)| (i as f64 * h).powi(2) - (j as f64 * h).powi(2));
    /// let lap = Operator::derivative(Axis(0), 2) + Operator::derivative(Axis(1), 2);
    /// let bc = BoundaryConditions::new()
    ///     .dirichlet(s![0, ..], &g)
    ///     .dirichlet(s![-1, ..], &g)
    ///     .dirichlet(s![.., 0], &g)
    ///     .dirichlet(s![.., -1], &g);
    /// let opts = GradientOptions::new().spacing(h).accuracy(2);
    /// let u = lap.solve(&Array2::zeros((n, n)), &bc, &opts).unwrap();
    /// assert!((&u - &g).iter().all(|e| e.abs() < 1e-12));
    /// ```
    pub fn solve<D: Dimension>(
        &self,
        rhs: &ArrayRef<R, D>,
        bc: &BoundaryConditions<'_, R>,
        opts: &GradientOptions<'_, R>,
    ) -> Result<Array<R, D>, GradientError> {
        self.boundary_value_problem(rhs.shape(), bc, opts)?.solve(rhs)
    }

    /// The boundary-value problem `self u = f` with the conditions `bc` on a grid of `shape`,
    /// its system built and factorised once, for [`BoundaryValueProblem::solve`] with any
    /// number of right-hand sides (implicit time steps, say). findiff's `PDE` object, whose
    /// matrix is kept between solves; here the factorisation is kept too.
    ///
    /// # Errors
    ///
    /// As [`solve`](Self::solve).
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{s, Array1, Axis};
    /// use ndarray_gradient::{BoundaryConditions, GradientOptions, Operator};
    ///
    /// // Implicit Euler steps of u_t = u_xx, u = 0 at both ends: (I − dt ∂²) uⁿ⁺¹ = uⁿ.
    /// // findiff: pde = PDE(Identity() - Coef(dt) * Diff(0, h)**2, u, bc)
    /// //          for _ in range(100): pde.rhs = u; u = pde.solve()
    /// let (n, h, dt) = (51, 0.02, 1e-3);
    /// let step = Operator::identity() - Operator::coefficient(dt) * Operator::derivative(Axis(0), 2);
    /// let bc = BoundaryConditions::new().dirichlet(s![0], 0.0).dirichlet(s![-1], 0.0);
    /// let problem = step.boundary_value_problem(&[n], &bc, &GradientOptions::new().spacing(h)).unwrap();
    /// let mut u = Array1::from_shape_fn(n, |i| (std::f64::consts::PI * i as f64 * h).sin());
    /// for _ in 0..100 {
    ///     u = problem.solve(&u).unwrap();
    /// }
    /// // The mode decays as exp(−π² t) to O(dt + h²).
    /// let expected = (-std::f64::consts::PI.powi(2) * 0.1).exp();
    /// assert!((u[25] - expected).abs() < 5e-3);
    /// ```
    pub fn boundary_value_problem(
        &self,
        shape: &[usize],
        bc: &BoundaryConditions<'_, R>,
        opts: &GradientOptions<'_, R>,
    ) -> Result<BoundaryValueProblem<R>, GradientError> {
        let rows = MatrixRows::new(self, shape, opts)?;
        let mut scratch = rows.scratch();
        let n = rows.len();
        let equations = boundary_equations(bc, shape, opts)?;

        // The system in compressed rows, and the boundary rows' values, in C order.
        let mut row_ptr = Vec::with_capacity(n + 1);
        let mut col_idx = Vec::new();
        let mut values = Vec::new();
        let mut boundary = Vec::new();
        let mut row = Vec::new();
        row_ptr.push(0);
        for (p, equation) in equations.iter().enumerate() {
            let entries = match equation {
                Some(equation) => {
                    boundary.push((p, equation.value));
                    &equation.row
                }
                None => {
                    rows.row(p, &mut scratch, &mut row);
                    &row
                }
            };
            for &(j, w) in entries {
                col_idx.push(j);
                values.push(w);
            }
            row_ptr.push(col_idx.len());
        }
        drop((rows, scratch, equations));
        let matrix = SparseRowMat::new(SymbolicSparseRowMat::new_checked(n, n, row_ptr, None, col_idx), values);
        // A grid without points has nothing to factorise: its solution is empty.
        if n == 0 {
            return Ok(BoundaryValueProblem {
                shape: shape.to_vec(),
                matrix,
                lu: None,
                boundary,
                rcond: R::one(),
            });
        }
        let singular = |rcond: f64| GradientError::SingularSystem { rcond };
        let lu = matrix.sp_lu().map_err(|_| singular(0.0))?;
        let rcond = R::one() / (norm1(&matrix) * inverse_norm1_estimate(&lu, n));
        if rcond.is_nan() || rcond < R::epsilon() {
            return Err(singular(rcond.to_f64().unwrap_or(f64::NAN)));
        }
        let lu = Some(lu);
        Ok(BoundaryValueProblem {
            shape: shape.to_vec(),
            matrix,
            lu,
            boundary,
            rcond,
        })
    }
}

/// A boundary-value problem with its system factorised (from
/// [`Operator::boundary_value_problem`]): solve it for any number of right-hand sides.
///
/// # Example
///
/// ```
/// use ndarray::{s, Array1, Axis};
/// use ndarray_gradient::{BoundaryConditions, GradientOptions, Operator};
///
/// // findiff: pde = PDE(Diff(0, h)**2, f, bc); pde.solve(), then pde.rhs = g; pde.solve()
/// let bc = BoundaryConditions::new().dirichlet(s![0], 0.0).dirichlet(s![-1], 0.0);
/// let problem = Operator::derivative(Axis(0), 2)
///     .boundary_value_problem(&[11], &bc, &GradientOptions::new().spacing(0.1))
///     .unwrap();
/// // u'' = 2, u(0) = u(1) = 0: u = x² − x (exact at second order).
/// let u = problem.solve(&Array1::from_elem(11, 2.0_f64)).unwrap();
/// assert!((u[5] + 0.25).abs() < 1e-12);
/// assert!(problem.reciprocal_condition() > 1e-4);
/// ```
pub struct BoundaryValueProblem<R: faer::traits::ComplexField> {
    shape: Vec<usize>,
    matrix: SparseRowMat<usize, R>,
    /// The factors; `None` for a grid without points.
    lu: Option<Lu<usize, R>>,
    /// The boundary points in C order and their values (the right-hand side there).
    boundary: Vec<(usize, R)>,
    rcond: R,
}

impl<R: Float + faer::traits::ComplexField> BoundaryValueProblem<R> {
    /// The grid's shape: findiff's `pde.bcs.shape` (the shape given to
    /// `BoundaryConditions(shape)`).
    ///
    /// ```
    /// use ndarray::{s, Axis};
    /// use ndarray_gradient::{BoundaryConditions, GradientOptions, Operator};
    ///
    /// // findiff: bc = BoundaryConditions((4, 6)); bc[0, :] = 0.0; bc[-1, :] = 0.0; bc.shape
    /// let bc = BoundaryConditions::new().dirichlet(s![0, ..], 0.0).dirichlet(s![-1, ..], 0.0);
    /// let lap = Operator::derivative(Axis(0), 2) + Operator::derivative(Axis(1), 2);
    /// let problem = lap.boundary_value_problem(&[4, 6], &bc, &GradientOptions::new()).unwrap();
    /// assert_eq!(problem.shape(), &[4, 6]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The estimated reciprocal condition number of the system in the 1-norm (at least machine
    /// epsilon, else the problem was refused as singular): the solution's relative error from
    /// rounding is about machine epsilon over this.
    ///
    /// ```
    /// use ndarray::{s, Axis};
    /// use ndarray_gradient::{BoundaryConditions, GradientOptions, Operator};
    ///
    /// // NumPy, of findiff's system A (see matrix): 1 / np.linalg.cond(A.toarray(), 1)
    /// let bc = BoundaryConditions::new().dirichlet(s![0], 0.0_f64).dirichlet(s![-1], 0.0);
    /// let problem = Operator::derivative(Axis(0), 2)
    ///     .boundary_value_problem(&[5], &bc, &GradientOptions::new())
    ///     .unwrap();
    /// let rc = problem.reciprocal_condition();
    /// // NumPy's is 0.1: ‖A‖₁ = 4 (column 2: 1 + 2 + 1), ‖A⁻¹‖₁ = 5/2 (column 0: 1 + ¾ + ½ + ¼).
    /// // The estimate of ‖A⁻¹‖₁ is a lower bound, here column 2's 2 (½ + 1 + ½): 1/8.
    /// assert!(rc >= 0.1 && (rc - 0.125).abs() < 1e-12);
    /// ```
    pub fn reciprocal_condition(&self) -> R {
        self.rcond
    }

    /// The system's matrix: the operator's, each boundary point's row its condition's.
    ///
    /// ```
    /// use ndarray::{s, Axis};
    /// use ndarray_gradient::{BoundaryConditions, GradientOptions, Operator};
    ///
    /// // findiff, as PDE.solve builds it: A = lil_matrix(L.matrix((5,))); nz = list(bc.row_inds())
    /// //                                   A[nz, :] = bc.lhs[nz, :]   (L = Diff(0, 1.0)**2)
    /// let bc = BoundaryConditions::new().dirichlet(s![0], 0.0).dirichlet(s![-1], 0.0);
    /// let op = Operator::derivative(Axis(0), 2);
    /// let problem = op.boundary_value_problem(&[5], &bc, &GradientOptions::new()).unwrap();
    /// let a = problem.matrix();
    /// let row = |i| (a.col_idx_of_row(i).collect::<Vec<_>>(), a.val_of_row(i).to_vec());
    /// assert_eq!(row(0), (vec![0], vec![1.0])); // bc[0] = 0.0: u[0] = 0
    /// assert_eq!(row(2), (vec![1, 2, 3], vec![1.0, -2.0, 1.0])); // the row of L
    /// ```
    pub fn matrix(&self) -> &SparseRowMat<usize, R> {
        &self.matrix
    }

    /// The solution for the right-hand side `rhs` (its values at boundary points are replaced
    /// by the conditions' values, as findiff does).
    ///
    /// # Errors
    ///
    /// [`GradientError::BoundaryShape`] (with no condition) when `rhs` does not have the
    /// problem's shape.
    ///
    /// ```
    /// use ndarray::{s, Array1, Axis};
    /// use ndarray_gradient::{BoundaryConditions, GradientOptions, Operator};
    ///
    /// // findiff: pde = PDE(Diff(0, 1.0)**2, np.full(5, 2.0), bc); pde.solve() == [0, -3, -4, -3, 0]
    /// let bc = BoundaryConditions::new().dirichlet(s![0], 0.0).dirichlet(s![-1], 0.0);
    /// let (op, opts) = (Operator::derivative(Axis(0), 2), GradientOptions::new());
    /// let problem = op.boundary_value_problem(&[5], &bc, &opts).unwrap();
    /// let f = Array1::from_elem(5, 2.0_f64);
    /// let u = problem.solve(&f).unwrap(); // u = x² − 4x: f's 2.0 at the ends is replaced by 0
    /// assert!((u[2] + 4.0).abs() < 1e-12);
    /// assert_eq!(u, op.solve(&f, &bc, &opts).unwrap()); // the one-shot call, bit for bit
    /// ```
    pub fn solve<D: Dimension>(&self, rhs: &ArrayRef<R, D>) -> Result<Array<R, D>, GradientError> {
        if rhs.shape() != self.shape.as_slice() {
            return Err(GradientError::BoundaryShape {
                condition: None,
                expected: self.shape.clone(),
                got: rhs.shape().to_vec(),
            });
        }
        let a = &self.matrix;
        let n = a.nrows();
        let mut b: Vec<R> = rhs.iter().copied().collect();
        for &(p, value) in &self.boundary {
            b[p] = value;
        }
        let Some(lu) = &self.lu else {
            return Ok(Array::from_shape_vec(rhs.raw_dim(), b).expect("a grid without points"));
        };
        let solve = |v: &mut Vec<R>| lu.solve_in_place_with_conj(Conj::No, ColMut::from_slice_mut(v).as_mat_mut());
        let mut x = b.clone();
        solve(&mut x);
        // Iterative refinement (LAPACK's xGERFS): x += A⁻¹(b − A x) while the residual at
        // least halves, at most three times. Partial pivoting in a sparse LU can lose digits
        // where the one-sided rows of a high accuracy order meet (seen: 1.4·10⁻⁷ instead of
        // 3.6·10⁻¹⁰ for the accuracy-6 Poisson example on 129²); one step wins them back.
        let mut last = R::infinity();
        for _ in 0..3 {
            let mut r: Vec<R> = (0..n)
                .map(|i| {
                    a.col_idx_of_row(i)
                        .zip(a.val_of_row(i))
                        .fold(b[i], |s, (j, &w)| s - w * x[j])
                })
                .collect();
            let size = r.iter().fold(R::zero(), |m, v| m.max(v.abs()));
            if size.is_nan() || size + size >= last {
                break;
            }
            last = size;
            solve(&mut r);
            x.iter_mut().zip(&r).for_each(|(x, r)| *x += *r);
        }
        Ok(Array::from_shape_vec(rhs.raw_dim(), x).expect("one value per point of the grid"))
    }
}

impl<R: faer::traits::ComplexField + std::fmt::Debug> std::fmt::Debug for BoundaryValueProblem<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundaryValueProblem")
            .field("shape", &self.shape)
            .field("boundary_points", &self.boundary.len())
            .field("rcond", &self.rcond)
            .finish_non_exhaustive()
    }
}

/// `‖A‖₁`, the largest column sum of absolute values.
fn norm1<R: Float>(a: &SparseRowMat<usize, R>) -> R {
    let mut column_sums = vec![R::zero(); a.ncols()];
    for r in 0..a.nrows() {
        for (j, &w) in a.col_idx_of_row(r).zip(a.val_of_row(r)) {
            column_sums[j] = column_sums[j] + w.abs();
        }
    }
    column_sums.into_iter().fold(R::zero(), R::max)
}

/// A lower estimate of `‖A⁻¹‖₁` from `A`'s factors: Hager's method with Higham's refinements
/// (LAPACK's `xLACN2`, at most five iterations, then the alternating test vector), each step
/// a solve with `A` or `Aᵀ`. Usually exact, and within a small factor otherwise; a singular
/// system's is at least of the order of `1 / (ε ‖A‖)`.
fn inverse_norm1_estimate<R, S>(lu: &S, n: usize) -> R
where
    R: Float + faer::traits::ComplexField,
    S: SolveCore<R>,
{
    let solve = |x: &mut Vec<R>, transpose: bool| {
        let x = ColMut::from_slice_mut(x).as_mat_mut();
        if transpose {
            lu.solve_transpose_in_place_with_conj(Conj::No, x);
        } else {
            lu.solve_in_place_with_conj(Conj::No, x);
        }
    };
    let norm = |x: &[R]| x.iter().fold(R::zero(), |s, v| s + v.abs());
    let size = R::from(n).unwrap_or_else(R::max_value);
    let mut x = vec![R::one() / size; n];
    solve(&mut x, false);
    let mut estimate = norm(&x);
    // `zᵀx` of the vector `x` was solved from: `Σz / n` for the first, `z[j]` for `e_j`.
    let mut previous_column = None;
    for _ in 0..5 {
        let mut z: Vec<R> = x
            .iter()
            .map(|&v| if v < R::zero() { -R::one() } else { R::one() })
            .collect();
        solve(&mut z, true);
        if z.iter().any(|v| !v.is_finite()) {
            return R::infinity();
        }
        let (j, largest) =
            z.iter().enumerate().fold(
                (0, R::zero()),
                |best, (i, v)| if v.abs() > best.1 { (i, v.abs()) } else { best },
            );
        let along_previous = match previous_column {
            None => z.iter().fold(R::zero(), |s, &v| s + v) / size,
            Some(k) => z[k],
        };
        // A local maximum: no column promises a larger `‖A⁻¹ x‖₁`.
        if largest <= along_previous || previous_column == Some(j) {
            break;
        }
        previous_column = Some(j);
        x.iter_mut().for_each(|v| *v = R::zero());
        x[j] = R::one();
        solve(&mut x, false);
        let next = norm(&x);
        if next.is_nan() || next <= estimate {
            break;
        }
        estimate = next;
    }
    // Higham's extra test vector, alternating in sign and growing, for the cases Hager's
    // iteration misses.
    let mut alt: Vec<R> = (0..n)
        .map(|i| {
            let ramp = R::one() + R::from(i).unwrap_or_else(R::zero) / R::from(n.max(2) - 1).unwrap_or_else(R::one);
            if i % 2 == 0 { ramp } else { -ramp }
        })
        .collect();
    solve(&mut alt, false);
    let alternative = R::from(2.0).unwrap_or_else(R::one) * norm(&alt) / (R::from(3.0).unwrap_or_else(R::one) * size);
    if alternative.is_nan() || estimate.is_nan() {
        return R::infinity();
    }
    estimate.max(alternative)
}
