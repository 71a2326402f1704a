//! Linear differential operators of any shape (findiff's `Diff`, `Coef` and `Identity`
//! algebra): a sum of terms, each a chain of steps applied right to left, a step being a
//! derivative along one axis or a pointwise multiplication by a coefficient.
//!
//! Each derivative step runs through the kernels ([`kernel::derivatives`]) with the stencil of
//! its axis and order; a chain of derivatives is computed block by block across its outer axis
//! ([`compose_into`]), and an operator whose terms are all plain derivatives (a Laplacian-like
//! sum) is one [`kernel::sum`] pass into the output. The arithmetic is findiff's:
//! a product is a composition (`(A * B)(f) = A(B(f))`, edges included), a coefficient
//! multiplies the value it is applied to, and terms are added left to right.

use std::ops::{Add, Mul, Neg, Sub};

use ndarray::{
    Array, ArrayD, ArrayRef, ArrayView, ArrayViewD, ArrayViewMut, ArrayViewMutD, Axis, CowArray, Dimension, IxDyn,
    Slice, Zip,
};
use num_traits::Float;

use crate::alloc::{alloc_like, new_array_like};
use crate::element::{GradientElement, GradientFloat};
use crate::error::GradientError;
use crate::kernel::{self, Slot, Term, route, split};
use crate::layout::outermost_axis;
use crate::options::GradientOptions;
use crate::plan::{AxesPlan, FixedOrder, check_output_shape, refuse_derivative};
use crate::stencil::{AxisStencil, Interior};

/// A linear differential operator: derivatives along any axes and of any order, their
/// products (mixed partials), sums and differences, scalar and array coefficients, and the
/// identity. findiff's `Diff`, `Coef` and `Identity` expressions.
///
/// Build one with [`Operator::derivative`], [`Operator::identity`], [`Operator::coefficient`]
/// and [`Operator::field`], combined with `*` (composition: `(a * b)(f) = a(b(f))`), `+`, `-`
/// and unary `-`; then [`apply`](Operator::apply) it to arrays. The spacing, coordinates,
/// accuracy order and boundary of each axis come from the [`GradientOptions`] given to
/// `apply`, exactly as for [`gradient_with`](crate::ArrayGradientExt::gradient_with) (so a
/// first derivative has NumPy's edges unless an accuracy order is given: findiff's default
/// `acc=2` is `.accuracy(2)`); the derivative orders come from the operator.
///
/// Products are distributed over sums (`c * (a + b)` is computed as `c * a + c * b`) and
/// adjacent derivatives along one axis merge into one stencil, as in findiff; an operator
/// that nests sums inside products can therefore round differently from findiff's
/// evaluation of the same expression (never by more than the rounding of the extra terms).
///
/// # Example
///
/// ```
/// use ndarray::{Array2, Axis};
/// use ndarray_gradient::{GradientOptions, Operator};
///
/// // findiff: d2_dxdy = Diff(0, h) * Diff(1, h); d2_dxdy(f)
/// let h = 0.1;
/// let f = Array2::from_shape_fn((20, 30), |(i, j)| (i as f64 * h) * (j as f64 * h).powi(2));
/// let d2_dxdy = Operator::derivative(Axis(0), 1) * Operator::derivative(Axis(1), 1);
/// let g = d2_dxdy.apply(&f, &GradientOptions::new().spacing(h)).unwrap();
/// // ∂²(x y²)/∂x∂y = 2y, exact for a second-order scheme on a quadratic
/// assert!((g[[7, 12]] - 2.0 * 12.0 * h).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct Operator<'a, R> {
    pub(crate) terms: Vec<Product<'a, R>>,
}

/// One term: `±` its steps applied right to left (the last step first).
#[derive(Clone, Debug)]
pub(crate) struct Product<'a, R> {
    pub(crate) subtract: bool,
    pub(crate) steps: Vec<Step<'a, R>>,
}

#[derive(Clone, Debug)]
pub(crate) enum Step<'a, R> {
    /// The derivative of this order along the axis.
    Derivative { axis: Axis, order: usize },
    /// `c * value`.
    Scalar(R),
    /// `c[i] * value[i]` at every point, `c` of the input's shape.
    Field(CowArray<'a, R, IxDyn>),
}

impl<'a, R: Float> Operator<'a, R> {
    /// The derivative of order `order` (1 to [`MAX_DERIVATIVE`](crate::MAX_DERIVATIVE)) along
    /// `axis`: findiff's `Diff(axis) ** order`, one stencil of that order (not repeated first
    /// derivatives). The order is checked by [`apply`](Self::apply).
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions, Operator};
    ///
    /// let f = array![1.0, 2.0, 4.0, 7.0, 11.0];
    /// // With default options, a first derivative is np.gradient(f) (edge order 1) ...
    /// let d = Operator::derivative(Axis(0), 1);
    /// assert_eq!(d.apply(&f, &GradientOptions::new()).unwrap(), f.gradient_axis(Axis(0)).unwrap());
    /// // ... and findiff's default, Diff(0) with acc=2, is accuracy(2)
    /// let findiff_default = GradientOptions::new().accuracy(2);
    /// assert_eq!(d.apply(&f, &findiff_default).unwrap(), ndarray::array![0.5, 1.5, 2.5, 3.5, 4.5]);
    /// ```
    pub fn derivative(axis: Axis, order: usize) -> Self {
        Self::of_steps(vec![Step::Derivative { axis, order }])
    }

    /// The identity: `f` itself (converted to the result's element type). findiff's
    /// `Identity()`.
    ///
    /// ```
    /// use ndarray::Axis;
    /// use ndarray_gradient::{GradientOptions, Operator};
    ///
    /// // (Diff(0)**2 + Identity())(f): f'' + f = 0 for f = sin
    /// let h = 0.01;
    /// let f = ndarray::Array1::from_shape_fn(200, |i| (i as f64 * h).sin());
    /// let op = Operator::derivative(Axis(0), 2) + Operator::identity();
    /// let r = op.apply(&f, &GradientOptions::new().spacing(h)).unwrap();
    /// assert!(r.iter().all(|v| v.abs() < 1e-4));
    /// ```
    pub fn identity() -> Self {
        Self::of_steps(Vec::new())
    }

    /// Multiplication by the constant `c`: findiff's `Coef(c)` (or a number in an
    /// expression). `Operator::coefficient(c) * op`, or `c * op` for an `f64` number, is
    /// `c * op(f)`.
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{GradientOptions, Operator};
    ///
    /// let f = array![0.0, 1.0, 4.0, 9.0];
    /// let op = Operator::coefficient(0.5) * Operator::derivative(Axis(0), 2); // Coef(0.5) * Diff(0)**2
    /// let r = op.apply(&f, &GradientOptions::new()).unwrap();
    /// assert_eq!(r, array![1.0, 1.0, 1.0, 1.0]);
    /// // A number on either side of an operator is a coefficient too: 0.5 * Diff(0)**2
    /// assert_eq!((0.5 * Operator::derivative(Axis(0), 2)).apply(&f, &GradientOptions::new()).unwrap(), r);
    /// ```
    pub fn coefficient(c: R) -> Self {
        Self::of_steps(vec![Step::Scalar(c)])
    }

    /// Pointwise multiplication by an array of the input's shape: findiff's `Coef(a)` with an
    /// array `a`. `Operator::field(a) * op` is `a * op(f)`, point by point.
    ///
    /// # Errors
    ///
    /// [`apply`](Self::apply) returns [`GradientError::CoefficientShape`] unless `a` has the
    /// input's shape.
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{GradientOptions, Operator};
    ///
    /// let f = array![0.0, 1.0, 2.0, 3.0];
    /// let a = array![1.0, 2.0, 3.0, 4.0];
    /// // (Coef(a) * Diff(0))(f) = a * f'
    /// let op = Operator::field(a.view()) * Operator::derivative(Axis(0), 1);
    /// assert_eq!(op.apply(&f, &GradientOptions::new()).unwrap(), a);
    /// ```
    pub fn field<D: Dimension>(a: impl Into<CowArray<'a, R, D>>) -> Self {
        Self::of_steps(vec![Step::Field(a.into().into_dyn())])
    }

    /// The directional derivative along `v`: `Σₖ v[k] ∂f/∂xₖ`, the terms added in axis order
    /// (findiff: `Coef(v[0]) * Diff(0) + Coef(v[1]) * Diff(1) + …`). `v` is used as given, not
    /// normalised; an empty `v` is the zero operator. Axis `k` of `v` must exist in the array
    /// the operator is applied to ([`GradientError::AxisOutOfBounds`]).
    ///
    /// ```
    /// use ndarray::Array2;
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions, Operator};
    ///
    /// // f = 3x + 4y: its derivative along (0.6, 0.8) is 0.6 * 3 + 0.8 * 4 = 5
    /// let f = Array2::from_shape_fn((6, 7), |(i, j)| 3.0 * i as f64 + 4.0 * j as f64);
    /// let d = Operator::directional(&[0.6, 0.8]).apply(&f, &GradientOptions::new()).unwrap();
    /// assert!(d.iter().all(|&v| (v - 5.0).abs() < 1e-12));
    ///
    /// // findiff: (Coef(0.6) * Diff(0, h) + Coef(0.8) * Diff(1, h))(f), findiff's default acc=2;
    /// // NumPy: g0, g1 = np.gradient(f, h, edge_order=2); 0.6 * g0 + 0.8 * g1 (the same bits)
    /// let f = f.mapv(|v| (0.1 * v).sin());
    /// let opts = GradientOptions::new().spacing(0.5).accuracy(2);
    /// let [g0, g1] = f.gradient_with(&opts).unwrap();
    /// let d = Operator::directional(&[0.6, 0.8]).apply(&f, &opts).unwrap();
    /// assert_eq!(d, 0.6 * &g0 + 0.8 * &g1);
    /// ```
    pub fn directional(v: &[R]) -> Self {
        let terms = v
            .iter()
            .enumerate()
            .map(|(k, &c)| Self::coefficient(c) * Self::derivative(Axis(k), 1));
        terms
            .reduce(|a, b| a + b)
            .unwrap_or_else(|| Self::coefficient(R::zero()) * Self::identity())
    }

    fn of_steps(steps: Vec<Step<'a, R>>) -> Self {
        Operator {
            terms: vec![Product { subtract: false, steps }],
        }
    }

    /// The composition `self(other(f))`, distributed over the terms of both (`(a + b) * c`
    /// is `a * c + b * c`). Adjacent derivatives along one axis merge into one stencil of the
    /// summed order, as findiff's `Diff(0) * Diff(0)` is `Diff(0) ** 2`.
    fn compose(self, other: Self) -> Self {
        let mut terms = Vec::with_capacity(self.terms.len() * other.terms.len());
        for left in &self.terms {
            for right in &other.terms {
                let mut steps = left.steps.clone();
                for step in right.steps.iter().cloned() {
                    match (steps.last_mut(), &step) {
                        (Some(Step::Derivative { axis, order }), Step::Derivative { axis: a, order: m })
                            if axis == a =>
                        {
                            *order = order.saturating_add(*m)
                        }
                        _ => steps.push(step),
                    }
                }
                terms.push(Product {
                    subtract: left.subtract != right.subtract,
                    steps,
                });
            }
        }
        Operator { terms }
    }

    /// The stencils of every derivative step of the operator on an array of `shape`, and
    /// every other argument checked: one `(axis, order)` stencil each, built once.
    pub(crate) fn plan(&self, shape: &[usize], opts: &GradientOptions<'_, R>) -> Result<Stencils<R>, GradientError> {
        if shape.is_empty() {
            return Err(GradientError::ZeroDimensional);
        }
        if let Some(&axis) = opts.get_axes().and_then(<[Axis]>::first) {
            return Err(GradientError::ConflictingOptions {
                axis: axis.index(),
                option: "axes",
                with: "operator",
            });
        }
        refuse_derivative(opts, shape.len(), "operator")?;
        let mut stencils = Stencils::new();
        for (t, term) in self.terms.iter().enumerate() {
            for step in &term.steps {
                match step {
                    Step::Derivative { axis, order } => {
                        stencils.add(shape, opts, *axis, *order, "operator")?;
                    }
                    Step::Field(a) if a.shape() != shape => {
                        return Err(GradientError::CoefficientShape {
                            term: t,
                            expected: shape.to_vec(),
                            got: a.shape().to_vec(),
                        });
                    }
                    Step::Field(_) | Step::Scalar(_) => {}
                }
            }
        }
        Ok(stencils)
    }

    /// Whether every term is one derivative, or a constant times one (`Coef(c) * Diff(k)`, a
    /// directional derivative's terms), and nothing else: then the whole operator is one
    /// [`kernel::sum`] pass, each term's value `c * derivative` as [`evaluate`](Self::evaluate)
    /// computes it.
    fn is_sum_of_derivatives(&self) -> bool {
        self.terms.iter().all(|t| scaled_derivative(&t.steps).is_some()) && !self.terms[0].subtract
    }

    /// The operator applied to `f`: a new array of `f`'s shape, in `f`'s memory order.
    ///
    /// # Errors
    ///
    /// Those of [`gradient_with`](crate::ArrayGradientExt::gradient_with) for every axis the
    /// operator differentiates (an axis out of range, too short for its stencil, bad
    /// spacing or coordinates, a bad accuracy or derivative order);
    /// [`GradientError::CoefficientShape`] for a coefficient array of another shape;
    /// [`GradientError::ConflictingOptions`] for options that set a derivative order or a list
    /// of axes (the operator gives both); [`GradientError::ZeroDimensional`] for a 0-D array.
    ///
    /// ```
    /// use ndarray::{Array2, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions, Operator};
    ///
    /// let f = Array2::from_shape_fn((16, 16), |(i, j)| ((i * j) as f64).sin());
    /// let opts = GradientOptions::new().spacing(0.5).accuracy(4);
    /// // findiff: (Diff(0, 0.5, acc=4)**2 + Diff(1, 0.5, acc=4)**2)(f), the Laplacian
    /// let lap = (Operator::derivative(Axis(0), 2) + Operator::derivative(Axis(1), 2)).apply(&f, &opts).unwrap();
    /// assert_eq!(lap, f.laplacian(&opts).unwrap()); // bit for bit
    /// ```
    pub fn apply<A, D>(
        &self,
        f: &ArrayRef<A, D>,
        opts: &GradientOptions<'_, R>,
    ) -> Result<Array<A::Output, D>, GradientError>
    where
        A: GradientElement<Real = R>,
        D: Dimension,
    {
        let f = f.view();
        let stencils = self.plan(f.shape(), opts)?;
        if self.is_sum_of_derivatives() {
            return Ok(new_array_like(&f, None, |out| {
                kernel::sum(&self.derivative_terms(&f, &stencils), out)
            }));
        }
        Ok(self.evaluate(&f, &stencils))
    }

    /// [`apply`](Self::apply) written into `out` (the input's shape, any layout).
    ///
    /// # Errors
    ///
    /// As [`apply`](Self::apply), and [`GradientError::OutputShape`]. On error `out` is
    /// unchanged.
    ///
    /// ```
    /// use ndarray::{array, Array1, Axis};
    /// use ndarray_gradient::{GradientOptions, Operator};
    ///
    /// let f = array![0.0, 1.0, 4.0, 9.0, 16.0];
    /// let mut out = Array1::zeros(5);
    /// // (Diff(0)**2 - 2 * Identity())(f)
    /// let op = Operator::derivative(Axis(0), 2) - Operator::coefficient(2.0) * Operator::identity();
    /// op.apply_into(&f, &GradientOptions::new(), &mut out).unwrap();
    /// assert_eq!(out, array![2.0, 0.0, -6.0, -16.0, -30.0]);
    /// ```
    pub fn apply_into<A, D>(
        &self,
        f: &ArrayRef<A, D>,
        opts: &GradientOptions<'_, R>,
        out: &mut ArrayRef<A::Output, D>,
    ) -> Result<(), GradientError>
    where
        A: GradientElement<Real = R>,
        D: Dimension,
    {
        let f = f.view();
        let stencils = self.plan(f.shape(), opts)?;
        check_output_shape(f.shape(), out.shape(), None, None)?;
        if self.is_sum_of_derivatives() {
            kernel::sum(&self.derivative_terms(&f, &stencils), out.view_mut());
        } else if let Some(run) = self.single_product(&stencils) {
            compose_into(&run, f, out.view_mut());
        } else {
            out.assign(&self.evaluate(&f, &stencils));
        }
        Ok(())
    }

    /// The derivatives of an operator that is one product of derivatives (a mixed partial),
    /// outermost first, with their stencils.
    fn single_product<'s>(&self, stencils: &'s Stencils<R>) -> Option<Vec<(Axis, &'s AxisStencil<R>)>> {
        let [term] = &self.terms[..] else { return None };
        if term.subtract || term.steps.is_empty() {
            return None;
        }
        term.steps
            .iter()
            .map(|step| match step {
                Step::Derivative { axis, order } => Some((*axis, stencil_of(stencils, *axis, *order))),
                _ => None,
            })
            .collect()
    }

    /// The kernel terms of an operator whose every term is one derivative.
    fn derivative_terms<'f, A, D: Dimension>(
        &self,
        f: &ArrayView<'f, A, D>,
        stencils: &'f Stencils<R>,
    ) -> Vec<Term<'f, A, D, R>> {
        self.terms
            .iter()
            .map(|term| {
                let (scale, axis, order) = scaled_derivative(&term.steps).expect("checked by is_sum_of_derivatives");
                Term {
                    subtract: term.subtract,
                    scale,
                    ..Term::new(f.clone(), axis, stencil_of(stencils, axis, order))
                }
            })
            .collect()
    }

    /// The general case: each term into its own array, added left to right.
    fn evaluate<A, D>(&self, f: &ArrayView<'_, A, D>, stencils: &Stencils<R>) -> Array<A::Output, D>
    where
        A: GradientElement<Real = R>,
        D: Dimension,
    {
        let mut sum: Option<Array<A::Output, D>> = None;
        for term in &self.terms {
            let value = evaluate_product(&term.steps, f, stencils);
            sum = Some(match sum {
                // Negation, not `* -1` (which the compiler may or may not turn into a
                // negation, so that a NaN's sign would depend on the path).
                None if term.subtract => value.mapv_into(|v| -v),
                None => value,
                Some(mut acc) => {
                    let add = |a: &mut A::Output, &b: &A::Output| *a = if term.subtract { *a - b } else { *a + b };
                    Zip::from(&mut acc).and(&value).for_each(add);
                    acc
                }
            });
        }
        sum.expect("an operator has at least one term")
    }
}

/// A term's steps as `(c, axis, order)` when they are one derivative (`c` none) or a constant
/// times one (`Coef(c) * Diff(axis)**order`).
fn scaled_derivative<R: Copy>(steps: &[Step<'_, R>]) -> Option<(Option<R>, Axis, usize)> {
    match *steps {
        [Step::Derivative { axis, order }] => Some((None, axis, order)),
        [Step::Scalar(c), Step::Derivative { axis, order }] => Some((Some(c), axis, order)),
        _ => None,
    }
}

/// A box of the whole array in global coordinates: its first point on each axis (below 0, or
/// its points past the end, on a periodic axis whose wrapped samples it holds) and its shape.
#[derive(Clone, Debug, PartialEq)]
struct Region {
    lo: Vec<isize>,
    len: Vec<usize>,
}

impl Region {
    /// `f` (which holds the box whose first point is `origin`) cut to this region.
    fn cut<'v, T>(&self, f: &ArrayViewD<'v, T>, origin: &[isize]) -> ArrayViewD<'v, T> {
        let mut v = f.clone();
        v.slice_each_axis_inplace(|ax| {
            let k = ax.axis.index();
            let first = (self.lo[k] - origin[k]) as usize;
            Slice::from(first..first + self.len[k])
        });
        v
    }
}

/// Computing an operator on one block of the array from the block plus its halo, the points
/// keeping their whole-array rules and operands (the same bits as [`Operator::apply`]): what a
/// [`BlockPlan`](crate::BlockPlan) of an operator runs.
///
/// Each step of a term reads a box (its region) that the step after it in the chain (the one
/// applied before it) must fill: a derivative along `k` widens the box along `k` by the reach
/// of its stencil over the box's points, corners included when the chain turns to another
/// axis. The halo of the block is the widest box any term reads.
impl<R: Float> Operator<'_, R> {
    /// The regions of a term's steps, outermost first: `[0]` the block, `[i + 1]` what step `i`
    /// reads.
    fn regions(steps: &[Step<'_, R>], stencils: &Stencils<R>, start: &[usize], block: &[usize]) -> Vec<Region> {
        let mut regions = vec![Region {
            lo: start.iter().map(|&s| s as isize).collect(),
            len: block.to_vec(),
        }];
        for step in steps {
            let mut next = regions.last().expect("the block").clone();
            if let Step::Derivative { axis, order } = step {
                let k = axis.index();
                if let Some((lo, hi)) = stencil_of(stencils, *axis, *order).reach_unwrapped(next.lo[k], next.len[k]) {
                    next.len[k] = (hi - lo + 1) as usize;
                    next.lo[k] = lo;
                }
            }
            regions.push(next);
        }
        regions
    }

    /// The samples the block `start`, `block` reads beyond itself, before and after it on each
    /// axis: the widest region of any term.
    pub(crate) fn block_halo(
        &self,
        stencils: &Stencils<R>,
        start: &[usize],
        block: &[usize],
    ) -> (Vec<usize>, Vec<usize>) {
        let nd = start.len();
        let (mut before, mut after) = (vec![0; nd], vec![0; nd]);
        if block.contains(&0) {
            return (before, after);
        }
        for term in &self.terms {
            let read = Self::regions(&term.steps, stencils, start, block)
                .pop()
                .expect("the block");
            for k in 0..nd {
                let end = (start[k] + block[k]) as isize;
                before[k] = before[k].max((start[k] as isize - read.lo[k]).max(0) as usize);
                after[k] = after[k].max((read.lo[k] + read.len[k] as isize - end).max(0) as usize);
            }
        }
        (before, after)
    }

    /// Whether a term differentiates along two axes: then a block reads the corners of its
    /// halo (the samples diagonal to it), not only its faces.
    pub(crate) fn reads_corners(&self) -> bool {
        self.terms.iter().any(|term| {
            let mut axes = term.steps.iter().filter_map(|s| match s {
                Step::Derivative { axis, .. } => Some(*axis),
                _ => None,
            });
            axes.next().is_some_and(|first| axes.any(|a| a != first))
        })
    }

    /// The block `start`, `block` of the operator applied to the whole array, into `out` (the
    /// block's shape), from `with_halo`: the box of the whole array whose first point is
    /// `origin` and that holds every sample the block reads ([`block_halo`](Self::block_halo)),
    /// wrapped ones included. The same three cases as [`apply`](Self::apply), in the same
    /// arithmetic.
    pub(crate) fn apply_block<A>(
        &self,
        stencils: &Stencils<R>,
        with_halo: &ArrayViewD<'_, A>,
        origin: &[isize],
        start: &[usize],
        block: &[usize],
        mut out: ArrayViewMutD<'_, A::Output>,
    ) where
        A: GradientElement<Real = R>,
    {
        if block.contains(&0) {
            return;
        }
        let block_region = Region {
            lo: start.iter().map(|&s| s as isize).collect(),
            len: block.to_vec(),
        };
        if self.is_sum_of_derivatives() {
            // One kernel::sum pass, as a Laplacian block: each term reads the block's range on
            // the other axes and all of `with_halo` along its own, through its window.
            let held = Region {
                lo: origin.to_vec(),
                len: with_halo.shape().to_vec(),
            };
            let windows: Vec<AxisStencil<R>> = self
                .terms
                .iter()
                .map(|term| {
                    let (_, axis, order) = scaled_derivative(&term.steps).expect("checked by is_sum_of_derivatives");
                    let k = axis.index();
                    stencil_of(stencils, axis, order).window_unwrapped(held.lo[k], held.len[k])
                })
                .collect();
            let terms: Vec<Term<'_, A, IxDyn, R>> = self
                .terms
                .iter()
                .zip(&windows)
                .map(|(term, window)| {
                    let (scale, axis, _) = scaled_derivative(&term.steps).expect("checked by is_sum_of_derivatives");
                    let k = axis.index();
                    let mut read = block_region.clone();
                    (read.lo[k], read.len[k]) = (held.lo[k], held.len[k]);
                    Term {
                        subtract: term.subtract,
                        scale,
                        first: (start[k] as isize - held.lo[k]) as usize,
                        ..Term::new(read.cut(with_halo, origin), axis, window)
                    }
                })
                .collect();
            return kernel::sum(&terms, out);
        }
        for (t, term) in self.terms.iter().enumerate() {
            let regions = Self::regions(&term.steps, stencils, start, block);
            let value = block_product(&term.steps, stencils, with_halo, origin, &regions);
            debug_assert_eq!(regions[0], block_region);
            // As `evaluate`: the first term (negated if subtracted), then each added or subtracted.
            let subtract = term.subtract;
            Zip::from(&mut out).and(&value).for_each(|o, &v| {
                *o = match (t, subtract) {
                    (0, false) => v,
                    (0, true) => -v,
                    (_, false) => *o + v,
                    (_, true) => *o - v,
                }
            });
        }
    }
}

/// An operator with its coefficient arrays copied, for a plan that outlives the arrays
/// ([`BlockPlan::operator`](crate::BlockPlan::operator)); [`borrow`](Self::borrow) gives the
/// operator back, its coefficients borrowed from here.
#[derive(Clone, Debug)]
pub(crate) struct OwnedOperator<R> {
    terms: Vec<(bool, Vec<OwnedStep<R>>)>,
}

#[derive(Clone, Debug)]
enum OwnedStep<R> {
    Derivative { axis: Axis, order: usize },
    Scalar(R),
    Field(ArrayD<R>),
}

impl<R: Float> OwnedOperator<R> {
    pub(crate) fn of(op: &Operator<'_, R>) -> Self {
        let step = |s: &Step<'_, R>| match s {
            Step::Derivative { axis, order } => OwnedStep::Derivative {
                axis: *axis,
                order: *order,
            },
            Step::Scalar(c) => OwnedStep::Scalar(*c),
            Step::Field(c) => OwnedStep::Field(c.to_owned()),
        };
        OwnedOperator {
            terms: op
                .terms
                .iter()
                .map(|t| (t.subtract, t.steps.iter().map(step).collect()))
                .collect(),
        }
    }

    pub(crate) fn borrow(&self) -> Operator<'_, R> {
        fn step<R: Copy>(s: &OwnedStep<R>) -> Step<'_, R> {
            match s {
                OwnedStep::Derivative { axis, order } => Step::Derivative {
                    axis: *axis,
                    order: *order,
                },
                OwnedStep::Scalar(c) => Step::Scalar(*c),
                OwnedStep::Field(c) => Step::Field(CowArray::from(c.view())),
            }
        }
        Operator {
            terms: self
                .terms
                .iter()
                .map(|(subtract, steps)| Product {
                    subtract: *subtract,
                    steps: steps.iter().map(step).collect(),
                })
                .collect(),
        }
    }
}

/// One term of a block ([`Operator::apply_block`]): its steps applied to the region they read,
/// the last step first, each into the region of the step before it.
fn block_product<A>(
    steps: &[Step<'_, A::Real>],
    stencils: &Stencils<A::Real>,
    with_halo: &ArrayViewD<'_, A>,
    origin: &[isize],
    regions: &[Region],
) -> ArrayD<A::Output>
where
    A: GradientElement,
{
    let k = steps.len();
    let input = regions[k].cut(with_halo, origin);
    let Some(last) = steps.last() else {
        return input.mapv(A::to_output);
    };
    let mut value = region_step(last, stencils, input, &regions[k], &regions[k - 1]);
    for i in (0..k - 1).rev() {
        value = region_step(&steps[i], stencils, value.view(), &regions[i + 1], &regions[i]);
    }
    value
}

/// One step from the region `from` (which `f` holds) to the region `to`.
fn region_step<B>(
    step: &Step<'_, B::Real>,
    stencils: &Stencils<B::Real>,
    f: ArrayViewD<'_, B>,
    from: &Region,
    to: &Region,
) -> ArrayD<B::Output>
where
    B: GradientElement,
{
    match step {
        Step::Derivative { axis, order } => {
            let k = axis.index();
            let window = stencil_of(stencils, *axis, *order).window_unwrapped(from.lo[k], from.len[k]);
            let term = Term {
                first: (to.lo[k] - from.lo[k]) as usize,
                ..Term::new(f.view(), *axis, &window)
            };
            new_array_like(&f, Some((*axis, to.len[k])), |out| {
                kernel::derivatives(&[term], vec![out])
            })
        }
        Step::Scalar(c) => f.mapv(|x| x.to_output().scale(*c)),
        Step::Field(c) => {
            let c = wrapped(c.view(), to);
            let mut v = f.mapv(B::to_output);
            Zip::from(&mut v).and(&c).for_each(|x, &c| *x = x.scale(c));
            v
        }
    }
}

/// The part of a whole-array coefficient `c` at `region`, wrapped around where the region
/// runs past an end (only on periodic axes).
fn wrapped<'c, R: Clone>(c: ArrayViewD<'c, R>, region: &Region) -> CowArray<'c, R, IxDyn> {
    let inside = |k: usize| region.lo[k] >= 0 && region.lo[k] + region.len[k] as isize <= c.len_of(Axis(k)) as isize;
    if (0..c.ndim()).all(inside) {
        let origin = vec![0; c.ndim()];
        return CowArray::from(region.cut(&c, &origin));
    }
    // The region's indices on each axis, wrapped; gathered axis by axis, the first straight
    // from `c` (no copy of the whole coefficient array).
    let indices = |k: usize| -> Vec<usize> {
        let n = c.len_of(Axis(k)) as isize;
        (0..region.len[k] as isize)
            .map(|i| (region.lo[k] + i).rem_euclid(n) as usize)
            .collect()
    };
    let mut a = c.select(Axis(0), &indices(0));
    for k in 1..c.ndim() {
        a = a.select(Axis(k), &indices(k));
    }
    CowArray::from(a)
}

/// The stencil of every `(axis, order)` derivative of an operator on one shape, built once.
#[derive(Clone, Debug)]
pub(crate) struct Stencils<R>(Vec<((Axis, usize), AxisStencil<R>)>);

impl<R: Float> Stencils<R> {
    pub(crate) fn new() -> Self {
        Stencils(Vec::new())
    }

    /// Plans the derivative of `order` along `axis` of an array of `shape`, unless planned:
    /// every argument checked as `gradient_with` checks it, the order fixed by the caller
    /// (`name`, for the error of a derivative order given in the options).
    pub(crate) fn add(
        &mut self,
        shape: &[usize],
        opts: &GradientOptions<'_, R>,
        axis: Axis,
        order: usize,
        name: &'static str,
    ) -> Result<(), GradientError> {
        if self.0.iter().any(|(key, _)| *key == (axis, order)) {
            return Ok(());
        }
        let fixed = FixedOrder {
            name,
            derivative: order,
        };
        let mut plan = AxesPlan::new(shape, &[axis], opts, Some(fixed))?;
        let (_, stencil) = plan.axes.pop().expect("one axis planned");
        self.0.push(((axis, order), stencil));
        Ok(())
    }
}

pub(crate) fn stencil_of<R>(stencils: &Stencils<R>, axis: Axis, order: usize) -> &AxisStencil<R> {
    &stencils
        .0
        .iter()
        .find(|(key, _)| *key == (axis, order))
        .expect("planned")
        .1
}

/// One term's steps applied to `f`, the last step first: each run of derivatives composed
/// ([`compose_into`]), each coefficient multiplied in place.
fn evaluate_product<A, D>(
    steps: &[Step<'_, A::Real>],
    f: &ArrayView<'_, A, D>,
    stencils: &Stencils<A::Real>,
) -> Array<A::Output, D>
where
    A: GradientElement,
    D: Dimension,
{
    let mut value: Option<Array<A::Output, D>> = None;
    let mut rest = steps;
    while let Some(last) = rest.last() {
        if let Step::Derivative { .. } = last {
            // The run of derivatives at the end of `rest`, outermost first.
            let start = rest
                .iter()
                .rposition(|s| !matches!(s, Step::Derivative { .. }))
                .map_or(0, |i| i + 1);
            let run: Vec<(Axis, &AxisStencil<A::Real>)> = rest[start..]
                .iter()
                .map(|s| match s {
                    Step::Derivative { axis, order } => (*axis, stencil_of(stencils, *axis, *order)),
                    _ => unreachable!("a run of derivatives"),
                })
                .collect();
            value = Some(match &value {
                None => new_array_like(f, None, |out| compose_into(&run, f.clone(), out)),
                Some(v) => new_array_like(&v.view(), None, |out| compose_into(&run, v.view(), out)),
            });
            rest = &rest[..start];
            continue;
        }
        let mut v = value.take().unwrap_or_else(|| f.mapv(A::to_output));
        match last {
            Step::Scalar(c) => v.mapv_inplace(|x| x.scale(*c)),
            Step::Field(c) => {
                let c = c.view().into_dimensionality::<D>().expect("checked by plan");
                Zip::from(&mut v).and(&c).for_each(|x, &c| *x = x.scale(c));
            }
            Step::Derivative { .. } => unreachable!("handled above"),
        }
        value = Some(v);
        rest = &rest[..rest.len() - 1];
    }
    value.unwrap_or_else(|| f.mapv(A::to_output))
}

/// The derivatives of `steps` (outermost first) applied to `f`, the last first, into `out`.
///
/// Two or more, and the outermost axis of `f` in memory not differentiated, or only by the
/// derivative applied first ([`route::composed_slabs`]): the array is cut across that axis into
/// slabs of [`route::composed_blocks`] planes, and each slab composed on its own as below; a
/// first derivative along the cut reads the input's samples beyond the slab through the slab's
/// window of its stencil ([`AxisStencil::window`]). Every point keeps its whole-array operands
/// and rule.
pub(crate) fn compose_into<A, S, D>(
    steps: &[(Axis, &AxisStencil<A::Real>)],
    f: ArrayView<'_, A, D>,
    mut out: ArrayViewMut<'_, S, D>,
) where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    let along: Vec<(Axis, bool)> = steps.iter().map(|(a, st)| (*a, st.periodic)).collect();
    let threshold = crate::parallel::threshold();
    match route::composed_slabs(f.shape(), f.strides(), &along) {
        Some(route::ComposedSlabs::Untouched(k)) => {
            let n = f.len_of(k);
            let (block, parallel) = route::composed_blocks(n, f.len() / n, 0, threshold);
            if block < n {
                let slabs: Vec<_> = out
                    .axis_chunks_iter_mut(k, block)
                    .zip(f.axis_chunks_iter(k, block))
                    .collect();
                return split::for_each_outer_block(
                    parallel,
                    slabs,
                    || (),
                    |_, (out, f)| compose_across_outer_axis(steps, f, out),
                );
            }
        }
        Some(route::ComposedSlabs::FirstApplied(k)) => {
            let ([outer @ .., (_, first)], n) = (steps, f.len_of(k)) else {
                unreachable!("two or more derivatives")
            };
            let (block, parallel) = route::composed_blocks(n, f.len() / n, first.interior_width(), threshold);
            if block < n {
                let slabs = split::blocks_across(&mut out, k, block);
                let buffer = || alloc_like::<A, A::Output, D>(&f, Some((k, block)));
                let run = |buffer: &mut Array<A::Output, D>, (s, out): (usize, ArrayViewMut<'_, S, D>)| {
                    let m = out.len_of(k);
                    let (read, window) = first.block_window(s, m);
                    let term = Term {
                        first: s - read.start,
                        ..Term::new(f.slice_axis(k, Slice::from(read)), k, &window)
                    };
                    let mut temp = buffer.slice_axis_mut(k, Slice::from(0..m));
                    kernel::derivatives(&[term], vec![temp.view_mut()]);
                    compose_across_outer_axis(outer, temp.view(), out);
                };
                return split::for_each_outer_block(parallel, slabs, buffer, run);
            }
        }
        None => {}
    }
    compose_across_outer_axis(steps, f, out)
}

/// [`compose_into`] within one slab (or the whole array).
///
/// Two along different axes, the outer one not periodic: [`compose_two`]'s steps. Three or
/// more, the outer one not periodic and not repeated inside: the array is cut across the outer
/// axis into blocks of [`route::composed_blocks`] planes; each block's inner derivatives are
/// computed for the block and the samples its outer stencil reads beyond it (its halo,
/// [`AxisStencil::reach`]) into a buffer reused from block to block, and the outer derivative
/// of the block is taken from that buffer with the block's window of the stencil
/// ([`AxisStencil::window`]), as a [`BlockPlan`](crate::BlockPlan) block is. Every point keeps
/// its whole-array rule and operands, so the result is the same bits as composing whole arrays,
/// which is what the other cases do.
fn compose_across_outer_axis<A, S, D>(
    steps: &[(Axis, &AxisStencil<A::Real>)],
    f: ArrayView<'_, A, D>,
    mut out: ArrayViewMut<'_, S, D>,
) where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    let [(axis, outer), inner @ ..] = steps else {
        unreachable!("at least one derivative")
    };
    let (axis, outer) = (*axis, *outer);
    if inner.is_empty() {
        return kernel::derivatives(&[Term::new(f, axis, outer)], vec![out]);
    }
    let n = f.len_of(axis);
    if outer.periodic || inner.iter().any(|(a, _)| *a == axis) || n == 0 {
        let temp = new_array_like(&f, None, |t| compose_across_outer_axis(inner, f.view(), t));
        return kernel::derivatives(&[Term::new(temp.view(), axis, outer)], vec![out]);
    }
    if let [(inner_axis, inner)] = inner {
        return compose_two(axis, outer, *inner_axis, inner, f, out);
    }
    let (block, parallel) =
        route::composed_blocks(n, f.len() / n, outer.interior_width(), crate::parallel::threshold());
    let longest = (0..n)
        .step_by(block)
        .filter_map(|s| outer.reach(s, block.min(n - s)))
        .map(|(lo, hi)| (hi - lo + 1) as usize)
        .max()
        .unwrap_or(0);
    let blocks = split::blocks_across(&mut out, axis, block);
    // One buffer per thread, reused for its blocks.
    let buffer = || alloc_like::<A, A::Output, D>(&f, Some((axis, longest)));
    let run = |buffer: &mut Array<A::Output, D>, (s, out): (usize, ArrayViewMut<'_, S, D>)| {
        let (read, window) = outer.block_window(s, out.len_of(axis));
        let mut temp = buffer.slice_axis_mut(axis, Slice::from(0..read.len()));
        compose_across_outer_axis(inner, f.slice_axis(axis, Slice::from(read.clone())), temp.view_mut());
        let term = Term {
            first: s - read.start,
            ..Term::new(temp.view(), axis, &window)
        };
        kernel::derivatives(&[term], vec![out]);
    };
    split::for_each_outer_block(parallel, blocks, buffer, run);
}

/// `∂outer ∂inner f` into `out`, two different axes, the outer one not periodic, as
/// [`route::composed_steps`] says: the output is cut into pieces across the outer axis, each
/// of which slides across it a step of planes at a time. A step computes the inner derivative
/// only for the planes it reads that the previous step did not (into a buffer per thread, which
/// keeps the planes still needed at its front), then the outer derivative of the step's planes
/// from the buffer through the step's window of the outer stencil
/// ([`AxisStencil::block_window`]). Every point keeps its whole-array rule and operands, so the
/// result is the same bits as composing whole arrays. Two central differences in one layout
/// skip the buffer where the route says so ([`central_differences`]).
fn compose_two<A, S, D>(
    outer_axis: Axis,
    outer: &AxisStencil<A::Real>,
    inner_axis: Axis,
    inner: &AxisStencil<A::Real>,
    f: ArrayView<'_, A, D>,
    mut out: ArrayViewMut<'_, S, D>,
) where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    let n = f.len_of(outer_axis);
    let outermost = outermost_axis(f.shape(), f.strides(), None) == Some(outer_axis);
    let central = central_differences_in_one_layout(outer, inner, &f, &out);
    let plan = route::composed_steps(
        n,
        f.len() / n,
        outer.interior_width(),
        outermost,
        central,
        crate::parallel::threshold(),
    );
    if plan.fused {
        return central_differences(((outer_axis, outer), (inner_axis, inner)), f, out, plan);
    }
    // The steps' windows of the outer stencil, the same for every piece.
    let steps: Vec<_> = (0..n)
        .step_by(plan.planes)
        .map(|s| outer.block_window(s, plan.planes.min(n - s)))
        .collect();
    let held = steps.iter().map(|(read, _)| read.len()).max().unwrap_or(0);
    let pieces = split::blocks_across(&mut out, outer_axis, plan.piece);
    let buffer = || alloc_like::<A, A::Output, D>(&f, Some((outer_axis, held)));
    let run = |buffer: &mut Array<A::Output, D>, (p, mut out): (usize, ArrayViewMut<'_, S, D>)| {
        let end = p + out.len_of(outer_axis);
        // The planes of the inner derivative held: global plane `g` at `g - have.start`.
        let mut have = 0..0;
        for s in (p..end).step_by(plan.planes) {
            let (read, window) = &steps[s / plan.planes];
            if have.start <= read.start && read.start < have.end {
                // The planes still needed moved to the front, `from` planes at a time so that
                // no copy overlaps its source.
                let (from, keep) = (read.start - have.start, have.end.min(read.end) - read.start);
                for c in (0..keep).step_by(from.max(1)).filter(|_| from > 0) {
                    let k = from.min(keep - c);
                    let (mut to, rest) = buffer.view_mut().split_at(outer_axis, from + c);
                    to.slice_axis_mut(outer_axis, Slice::from(c..c + k))
                        .assign(&rest.slice_axis(outer_axis, Slice::from(0..k)));
                }
                have = read.start..read.start + keep;
            } else {
                have = read.start..read.start;
            }
            if have.end < read.end {
                let at = have.len()..read.len();
                let term = Term::new(
                    f.slice_axis(outer_axis, Slice::from(have.end..read.end)),
                    inner_axis,
                    inner,
                );
                kernel::derivatives(&[term], vec![buffer.slice_axis_mut(outer_axis, Slice::from(at))]);
                have.end = read.end;
            }
            let term = Term {
                first: s - read.start,
                ..Term::new(
                    buffer.slice_axis(outer_axis, Slice::from(0..read.len())),
                    outer_axis,
                    window,
                )
            };
            let len = plan.planes.min(end - s);
            kernel::derivatives(
                &[term],
                vec![out.slice_axis_mut(outer_axis, Slice::from(s - p..s - p + len))],
            );
        }
    };
    split::for_each_outer_block(plan.parallel, pieces, buffer, run);
}

/// Whether `outer` and `inner` are central differences (NumPy's uniform interior, neither
/// periodic) and `f` and `out` contiguous with the same positive strides: what
/// [`route::fuses_central_differences`] is told as `central`.
pub(crate) fn central_differences_in_one_layout<A, S, D: Dimension>(
    outer: &AxisStencil<A::Real>,
    inner: &AxisStencil<A::Real>,
    f: &ArrayView<'_, A, D>,
    out: &ArrayViewMut<'_, S, D>,
) -> bool
where
    A: GradientElement,
{
    matches!(
        (&outer.interior, &inner.interior),
        (Interior::Uniform { .. }, Interior::Uniform { .. })
    ) && !inner.periodic
        && !outer.periodic
        && f.strides() == out.strides()
        && f.strides().iter().all(|&s| s > 0)
        && f.as_slice_memory_order().is_some()
        && out.as_slice_memory_order().is_some()
}

/// [`compose_two`] of two central differences, as [`route::composed_steps`] says
/// ([`ComposedSteps::fused`](route::ComposedSteps::fused)): the output cut across the outer axis
/// into the plan's pieces (for the threads), each walked a step of planes at a time in memory
/// order ([`central_differences_of_planes`]).
fn central_differences<A, S, D>(
    stencils: (Along<'_, A::Real>, Along<'_, A::Real>),
    f: ArrayView<'_, A, D>,
    mut out: ArrayViewMut<'_, S, D>,
    plan: route::ComposedSteps,
) where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    let outer_axis = stencils.0.0;
    let pieces = split::blocks_across(&mut out, outer_axis, plan.piece);
    split::for_each_outer_block(
        plan.parallel,
        pieces,
        || (),
        |_, (p, mut piece)| {
            for (s, step) in split::blocks_across(&mut piece, outer_axis, plan.planes) {
                central_differences_of_planes(stencils, &f, step, p + s);
            }
        },
    );
}

/// `∂outer ∂inner f` of two central differences ([`route::fuses_central_differences`]) at the
/// output planes of `out` across the outer axis, the first of them plane `first`. The interior
/// planes of the outer axis at the interior points of the inner one are computed in one pass
/// from `f` ([`kernel::mixed`]); every other point (the edge rows of the planes, the edge
/// planes' interior rows) is composed on its own by [`compose_box`]. The boxes do not overlap
/// and cover the planes. (The callers walk a few planes at a time in memory order, edges
/// included, not all edges first: a fresh output's pages are then written while the kernel's
/// zeroing of them is still in cache.)
pub(crate) fn central_differences_of_planes<A, S, D>(
    stencils: (Along<'_, A::Real>, Along<'_, A::Real>),
    f: &ArrayView<'_, A, D>,
    mut out: ArrayViewMut<'_, S, D>,
    first: usize,
) where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    let ((outer_axis, outer), (inner_axis, inner)) = stencils;
    let (n, m) = (f.len_of(outer_axis), f.len_of(inner_axis));
    let meet = |a: &std::ops::Range<usize>, b: std::ops::Range<usize>| a.start.max(b.start)..a.end.min(b.end);
    let planes = first..first + out.len_of(outer_axis);
    let interior = meet(&planes, outer.lo..outer.hi);
    let boxes = [
        (planes.clone(), 0..inner.lo),
        (meet(&planes, 0..outer.lo), inner.lo..inner.hi),
        (meet(&planes, outer.hi..n), inner.lo..inner.hi),
        (planes.clone(), inner.hi..m),
    ];
    for (box_planes, rows) in &boxes[..3] {
        compose_box(stencils, f, (&mut out, first), box_planes.clone(), rows.clone());
    }
    if !interior.is_empty() {
        let at = interior.start - first..interior.end - first;
        kernel::mixed::central_differences(
            f.view(),
            out.slice_axis_mut(outer_axis, Slice::from(at)),
            interior.start,
            stencils.0,
            stencils.1,
        );
    }
    let (box_planes, rows) = &boxes[3];
    compose_box(stencils, f, (&mut out, first), box_planes.clone(), rows.clone());
}

/// A derivative along an axis: the axis and its stencil.
pub(crate) type Along<'s, R> = (Axis, &'s AxisStencil<R>);

/// `∂outer ∂inner f` at the output points of `planes` across the outer axis and `rows` across
/// the inner one (all points of the other axes), into those points of `out` (whose first plane
/// across the outer axis is plane `first`): the inner derivative of the samples the box's
/// outer rules read, through the inner stencil's window for `rows`
/// ([`AxisStencil::block_window`]), into a buffer; then the outer derivative of the box from
/// it, through the outer stencil's window for `planes`. Every point keeps its whole-array rule
/// and operands.
fn compose_box<A, S, D>(
    ((outer_axis, outer), (inner_axis, inner)): (Along<'_, A::Real>, Along<'_, A::Real>),
    f: &ArrayView<'_, A, D>,
    (out, first): (&mut ArrayViewMut<'_, S, D>, usize),
    planes: std::ops::Range<usize>,
    rows: std::ops::Range<usize>,
) where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    if planes.is_empty() || rows.is_empty() {
        return;
    }
    let (read_planes, outer_window) = outer.block_window(planes.start, planes.len());
    let (read_rows, inner_window) = inner.block_window(rows.start, rows.len());
    let mut input = f.view();
    input.slice_axis_inplace(outer_axis, Slice::from(read_planes.clone()));
    input.slice_axis_inplace(inner_axis, Slice::from(read_rows.clone()));
    let mut temp = alloc_like::<A, A::Output, D>(&input, Some((inner_axis, rows.len())));
    let term = Term {
        first: rows.start - read_rows.start,
        ..Term::new(input, inner_axis, &inner_window)
    };
    kernel::derivatives(&[term], vec![temp.view_mut()]);
    let mut target = out.view_mut();
    target.slice_axis_inplace(outer_axis, Slice::from(planes.start - first..planes.end - first));
    target.slice_axis_inplace(inner_axis, Slice::from(rows));
    let term = Term {
        first: planes.start - read_planes.start,
        ..Term::new(temp.view(), outer_axis, &outer_window)
    };
    kernel::derivatives(&[term], vec![target]);
}

/// findiff's notation: `Diff(0) * Diff(1)`, `Diff(0)**2`, `Coef(0.5)`, `Coef(array[20, 30])`
/// for an array coefficient (its shape), `Identity()`, terms joined by ` + ` and ` - `. For
/// logs and the description a Zarr run stores with its output.
///
/// ```
/// use ndarray::Axis;
/// use ndarray_gradient::Operator;
/// let op = Operator::<f64>::derivative(Axis(0), 2) * Operator::derivative(Axis(1), 1)
///     - Operator::coefficient(0.5) * Operator::identity();
/// assert_eq!(op.to_string(), "Diff(0)**2 * Diff(1) - Coef(0.5)");
/// ```
impl<R: Float> std::fmt::Display for Operator<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (t, term) in self.terms.iter().enumerate() {
            match (t, term.subtract) {
                (0, false) => {}
                (0, true) => f.write_str("-")?,
                (_, false) => f.write_str(" + ")?,
                (_, true) => f.write_str(" - ")?,
            }
            if term.steps.is_empty() {
                f.write_str("Identity()")?;
            }
            for (i, step) in term.steps.iter().enumerate() {
                if i > 0 {
                    f.write_str(" * ")?;
                }
                match step {
                    Step::Derivative { axis, order: 1 } => write!(f, "Diff({})", axis.index())?,
                    Step::Derivative { axis, order } => write!(f, "Diff({})**{order}", axis.index())?,
                    Step::Scalar(c) => write!(f, "Coef({})", c.to_f64().unwrap_or(f64::NAN))?,
                    Step::Field(c) => write!(f, "Coef(array{:?})", c.shape())?,
                }
            }
        }
        Ok(())
    }
}

impl<'a, R: Float> Mul for Operator<'a, R> {
    type Output = Operator<'a, R>;
    /// The composition `self(rhs(f))`: findiff's `*` of two expressions.
    fn mul(self, rhs: Self) -> Self {
        self.compose(rhs)
    }
}

impl<'a, R: Float> Add for Operator<'a, R> {
    type Output = Operator<'a, R>;
    /// The sum `self(f) + rhs(f)`, terms added left to right.
    fn add(mut self, rhs: Self) -> Self {
        self.terms.extend(rhs.terms);
        self
    }
}

impl<'a, R: Float> Sub for Operator<'a, R> {
    type Output = Operator<'a, R>;
    /// The difference `self(f) - rhs(f)`.
    fn sub(self, rhs: Self) -> Self {
        self + -rhs
    }
}

impl<'a, R: Float> Neg for Operator<'a, R> {
    type Output = Operator<'a, R>;
    /// `-self(f)`.
    fn neg(mut self) -> Self {
        for term in &mut self.terms {
            term.subtract = !term.subtract;
        }
        self
    }
}

/// `c * op` for an `f64` number: `c * op(f)`, findiff's `c * Diff(0)` with a number `c`; the
/// same as `Operator::coefficient(c) * op` (whose documentation has an example). Only for
/// `f64`, so that a literal such as `0.5 * Operator::derivative(Axis(0), 2)` needs no type
/// annotation; an `f32` operator takes `Operator::coefficient(c) * op`.
impl<'a> Mul<Operator<'a, f64>> for f64 {
    type Output = Operator<'a, f64>;
    fn mul(self, rhs: Operator<'a, f64>) -> Operator<'a, f64> {
        Operator::coefficient(self) * rhs
    }
}

/// `op * c`: `op(c * f)`, the composition with the number applied first (findiff's
/// `Diff(0) * Coef(c)`); the same as `op * Operator::coefficient(c)`, and equal to `c * op`
/// up to rounding.
impl<'a, R: Float> Mul<R> for Operator<'a, R> {
    type Output = Operator<'a, R>;
    fn mul(self, rhs: R) -> Operator<'a, R> {
        self * Operator::coefficient(rhs)
    }
}
