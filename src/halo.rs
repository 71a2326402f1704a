//! Blocks of an array too large to hold at once: the halo contract.
//!
//! A [`BlockPlan`] is made once for the whole array's shape and options. For any block (its
//! first point and its shape in the whole array) it tells how many samples the block needs
//! beyond itself on each side of each axis ([`BlockPlan::halo`]), and computes the block's
//! part of the whole-array result from the block plus that halo ([`BlockPlan::compute`]).
//! The result is the same points of the whole-array call, bit for bit, for blocks of any
//! length: every point keeps the rule it has in the whole array (one-sided near the true ends,
//! centred inside, wrapped on periodic axes), and the halo holds exactly the samples those
//! rules read. On a periodic axis the halo before the first block and after the last one is
//! the wrapped data (global sample `-1` is sample `n - 1`).
//!
//! This is what a chunked executor (Dask's `map_overlap`, a Zarr reader, an MPI halo exchange)
//! needs: Dask's `da.gradient` refuses chunks shorter than `edge_order + 1`; here a block of one
//! point works.

use ndarray::{ArrayRef, ArrayViewD, Axis, IxDyn, Slice};
use num_traits::Float;

use crate::element::GradientElement;
use crate::error::GradientError;
use crate::kernel::{self, Term};
use crate::operator::{Operator, OwnedOperator, Stencils};
use crate::options::GradientOptions;
use crate::plan::{AxesPlan, FixedOrder, check_output_count, check_output_shape};
use crate::stencil::AxisStencil;

/// How many samples a block needs beyond itself, on each side of each axis.
///
/// # Example
///
/// ```
/// use ndarray_gradient::{BlockPlan, GradientOptions};
///
/// // np.gradient over a 100 × 80 array, computed in blocks.
/// let plan = BlockPlan::gradient(&[100, 80], &GradientOptions::<f64>::new()).unwrap();
/// let halo = plan.halo(&[40, 0], &[20, 80]).unwrap();
/// assert_eq!((halo.before, halo.after), (vec![1, 0], vec![1, 0]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Halo {
    /// Samples needed before the block's first point, per axis.
    pub before: Vec<usize>,
    /// Samples needed after the block's last point, per axis.
    pub after: Vec<usize>,
}

impl Halo {
    /// No halo on any of `ndim` axes: a block that reads nothing beyond itself.
    ///
    /// ```
    /// use ndarray_gradient::Halo;
    /// assert_eq!(Halo::none(2).around(&[4, 5]), vec![4, 5]);
    /// ```
    pub fn none(ndim: usize) -> Self {
        Halo {
            before: vec![0; ndim],
            after: vec![0; ndim],
        }
    }

    /// The shape of a block of shape `block` with this halo around it: the shape of the input
    /// [`BlockPlan::compute`] takes (Dask's `map_overlap` depth, added on both sides).
    ///
    /// ```
    /// use ndarray_gradient::{BlockPlan, GradientOptions};
    /// let plan = BlockPlan::gradient(&[100, 80], &GradientOptions::<f64>::new().accuracy(4)).unwrap();
    /// let halo = plan.halo(&[40, 0], &[20, 80]).unwrap();
    /// assert_eq!(halo.around(&[20, 80]), vec![24, 80]);
    /// ```
    pub fn around(&self, block: &[usize]) -> Vec<usize> {
        block
            .iter()
            .zip(self.before.iter().zip(&self.after))
            .map(|(&n, (&b, &a))| b + n + a)
            .collect()
    }

    /// Room for both halos: the larger of the two on each side of each axis (one buffer that
    /// serves several plans).
    ///
    /// ```
    /// use ndarray_gradient::Halo;
    /// let a = Halo { before: vec![1, 0], after: vec![2, 0] };
    /// let b = Halo { before: vec![0, 3], after: vec![1, 1] };
    /// assert_eq!(a.widest(&b), Halo { before: vec![1, 3], after: vec![2, 1] });
    /// ```
    pub fn widest(&self, other: &Halo) -> Halo {
        let max = |x: &[usize], y: &[usize]| x.iter().zip(y).map(|(&p, &q)| p.max(q)).collect();
        Halo {
            before: max(&self.before, &other.before),
            after: max(&self.after, &other.after),
        }
    }
}

/// The number of a block among the blocks of a grid, in C order: the block at `position` of a
/// grid of `grid[k]` blocks along each axis `k` (a Zarr chunk grid, an MPI process grid).
///
/// ```
/// use ndarray_gradient::halo::block_number;
/// // A grid of 2 × 3 blocks: block [1, 2] is the last of six.
/// assert_eq!(block_number(&[1, 2], &[2, 3]), 5);
/// ```
pub fn block_number(position: &[usize], grid: &[usize]) -> usize {
    position.iter().zip(grid).fold(0, |acc, (&i, &n)| acc * n + i)
}

/// What a block computes.
#[derive(Clone, Debug)]
enum Operation<R> {
    /// One output per axis (in the order of the options' axes).
    Gradient,
    /// One output, the sum of the axes' second derivatives.
    Laplacian,
    /// One output, the operator applied; its stencils (the axes plan is empty).
    Operator(Box<(OwnedOperator<R>, Stencils<R>)>),
}

/// A validated computation on the blocks of an array of a given shape: the halo contract.
/// See the [module documentation](self).
///
/// # Example
///
/// ```
/// use ndarray::{s, Array2, ArrayD, IxDyn};
/// use ndarray_gradient::{ArrayGradientExt, BlockPlan, GradientOptions};
///
/// let f = Array2::from_shape_fn((10, 7), |(i, j)| (i * i + 3 * j) as f64).into_dyn();
/// let opts = GradientOptions::new().accuracy(4);
/// let plan = BlockPlan::gradient(f.shape(), &opts).unwrap();
/// // The rows 6..9, with the halo the plan asks for.
/// let (start, block) = ([6, 0], [3, 7]);
/// let halo = plan.halo(&start, &block).unwrap();
/// let with_halo = f.slice(s![6 - halo.before[0]..9 + halo.after[0], ..]).into_dyn();
/// let mut outs = vec![ArrayD::zeros(IxDyn(&block)), ArrayD::zeros(IxDyn(&block))];
/// let mut refs: Vec<_> = outs.iter_mut().map(|o| &mut **o).collect();
/// plan.compute(with_halo, &start, &block, &mut refs).unwrap();
/// // The same bits as the whole-array call on those rows.
/// let whole = f.gradient_with(&opts).unwrap();
/// assert_eq!(outs[0], whole[0].slice(s![6..9, ..]).into_dyn());
/// assert_eq!(outs[1], whole[1].slice(s![6..9, ..]).into_dyn());
/// ```
#[derive(Clone, Debug)]
pub struct BlockPlan<R> {
    shape: Vec<usize>,
    plan: AxesPlan<R>,
    operation: Operation<R>,
}

impl<R: Float> BlockPlan<R> {
    /// The gradient of an array of shape `shape` with `opts` (every option: spacings and
    /// coordinates of the whole array, edge order, accuracy, derivative order, boundaries, the
    /// axes): one output per axis, as [`gradient_with`](crate::ArrayGradientExt::gradient_with).
    ///
    /// # Errors
    ///
    /// As `gradient_with` on an array of that shape.
    pub fn gradient(shape: &[usize], opts: &GradientOptions<'_, R>) -> Result<Self, GradientError> {
        Ok(BlockPlan {
            shape: shape.to_vec(),
            plan: AxesPlan::of_options(shape, opts, None)?,
            operation: Operation::Gradient,
        })
    }

    /// The Laplacian of an array of shape `shape` with `opts`, as
    /// [`laplacian`](crate::ArrayGradientExt::laplacian): one output.
    ///
    /// # Errors
    ///
    /// As `laplacian` on an array of that shape.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray_gradient::{BlockPlan, GradientOptions};
    /// let opts = GradientOptions::<f64>::new().accuracy(4).periodic(ndarray::Axis(1));
    /// let plan = BlockPlan::laplacian(&[50, 60], &opts).unwrap();
    /// assert_eq!(plan.outputs(), 1);
    /// // A block at the start of the periodic axis needs wrapped samples before it.
    /// assert_eq!(plan.halo(&[10, 0], &[5, 6]).unwrap().before, vec![2, 2]);
    /// ```
    pub fn laplacian(shape: &[usize], opts: &GradientOptions<'_, R>) -> Result<Self, GradientError> {
        Ok(BlockPlan {
            shape: shape.to_vec(),
            plan: AxesPlan::of_options(shape, opts, Some(FixedOrder::LAPLACIAN))?,
            operation: Operation::Laplacian,
        })
    }

    /// Any [`Operator`] (mixed partials, sums, coefficients) of an array of shape `shape` with
    /// `opts`, as [`Operator::apply`]: one output. Coefficient arrays are those of the whole
    /// array (the plan keeps a copy and takes each block's part of them).
    ///
    /// A term that differentiates along two axes reads the corners of the halo too (the
    /// samples diagonal to the block): see [`reads_corners`](Self::reads_corners).
    ///
    /// # Errors
    ///
    /// As [`Operator::apply`] on an array of that shape.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{s, Array2, ArrayD, Axis, IxDyn};
    /// use ndarray_gradient::{BlockPlan, GradientOptions, Operator};
    ///
    /// // findiff: Diff(0) * Diff(1) (acc=2) over a 12 × 9 array, computed on its rows 4..8.
    /// let f = Array2::from_shape_fn((12, 9), |(i, j)| ((i * j) as f64).sin()).into_dyn();
    /// let d2_dxdy = Operator::derivative(Axis(0), 1) * Operator::derivative(Axis(1), 1);
    /// let opts = GradientOptions::new().accuracy(2);
    /// let plan = BlockPlan::operator(f.shape(), &d2_dxdy, &opts).unwrap();
    /// assert!(plan.reads_corners());
    /// let (start, block) = ([4, 0], [4, 9]);
    /// let halo = plan.halo(&start, &block).unwrap();
    /// assert_eq!(halo.before, vec![1, 0]);
    /// let with_halo = f.slice(s![3..9, ..]).into_dyn();
    /// let mut out = ArrayD::zeros(IxDyn(&block));
    /// plan.compute(with_halo, &start, &block, &mut [&mut out]).unwrap();
    /// // The same bits as the whole-array call on those rows.
    /// let whole = d2_dxdy.apply(&f, &opts).unwrap();
    /// assert_eq!(out, whole.slice(s![4..8, ..]).into_dyn());
    /// ```
    pub fn operator(
        shape: &[usize],
        op: &Operator<'_, R>,
        opts: &GradientOptions<'_, R>,
    ) -> Result<Self, GradientError> {
        let stencils = op.plan(shape, opts)?;
        Ok(BlockPlan {
            shape: shape.to_vec(),
            plan: AxesPlan { axes: Vec::new() },
            operation: Operation::Operator(Box::new((OwnedOperator::of(op), stencils))),
        })
    }

    /// Whether a block reads the corners of its halo (the samples beyond it along two or more
    /// axes at once), as an operator with a mixed partial does; otherwise only its faces (the
    /// samples beyond it along one axis at a time), which is all a gradient or a Laplacian reads.
    /// A halo exchange that fills faces only (MPI without corners) suffices exactly when this
    /// is `false`.
    ///
    /// ```
    /// use ndarray::Axis;
    /// use ndarray_gradient::{BlockPlan, GradientOptions, Operator};
    /// let opts = GradientOptions::<f64>::new();
    /// assert!(!BlockPlan::laplacian(&[8, 8], &opts).unwrap().reads_corners());
    /// let lap = Operator::derivative(Axis(0), 2) + Operator::derivative(Axis(1), 2);
    /// assert!(!BlockPlan::operator(&[8, 8], &lap, &opts).unwrap().reads_corners());
    /// let mixed = Operator::derivative(Axis(0), 1) * Operator::derivative(Axis(1), 1);
    /// assert!(BlockPlan::operator(&[8, 8], &mixed, &opts).unwrap().reads_corners());
    /// ```
    pub fn reads_corners(&self) -> bool {
        match &self.operation {
            Operation::Operator(op) => op.0.borrow().reads_corners(),
            Operation::Gradient | Operation::Laplacian => false,
        }
    }

    /// The number of output arrays [`compute`](Self::compute) fills.
    ///
    /// ```
    /// use ndarray_gradient::{BlockPlan, GradientOptions};
    /// assert_eq!(BlockPlan::gradient(&[4, 5, 6], &GradientOptions::<f64>::new()).unwrap().outputs(), 3);
    /// ```
    pub fn outputs(&self) -> usize {
        match self.operation {
            Operation::Gradient => self.plan.axes.len(),
            Operation::Laplacian | Operation::Operator(_) => 1,
        }
    }

    /// The shape of the whole array.
    ///
    /// ```
    /// use ndarray_gradient::{BlockPlan, GradientOptions};
    /// let plan = BlockPlan::gradient(&[4, 5], &GradientOptions::<f64>::new()).unwrap();
    /// assert_eq!(plan.shape(), &[4, 5]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The halo of the block whose first point is `start` and whose shape is `block`: exactly
    /// the samples its points read beyond it (none on the axes not differentiated; more near
    /// the true ends, where one-sided stencils reach further inward). On a periodic axis the
    /// halo may reach before sample 0 or past the last sample: the caller supplies the wrapped
    /// samples there.
    ///
    /// # Errors
    ///
    /// [`GradientError::BlockOutOfBounds`] unless the block lies inside the array.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray_gradient::{BlockPlan, EdgeOrder, GradientOptions};
    /// let opts = GradientOptions::<f64>::new().edge_order(EdgeOrder::Second);
    /// let plan = BlockPlan::gradient(&[100], &opts).unwrap();
    /// // A one-point block at the start: its second-order edge reads samples 0, 1, 2.
    /// assert_eq!(plan.halo(&[0], &[1]).unwrap().after, vec![2]);
    /// assert_eq!(plan.halo(&[50], &[1]).unwrap().after, vec![1]);
    /// ```
    pub fn halo(&self, start: &[usize], block: &[usize]) -> Result<Halo, GradientError> {
        self.check_block(start, block)?;
        if let Operation::Operator(op) = &self.operation {
            let (before, after) = op.0.borrow().block_halo(&op.1, start, block);
            return Ok(Halo { before, after });
        }
        let nd = self.shape.len();
        let (mut before, mut after) = (vec![0; nd], vec![0; nd]);
        for (axis, st) in &self.plan.axes {
            let k = axis.index();
            if let Some((lo, hi)) = st.reach(start[k], block[k]) {
                let first = start[k] as isize;
                let last = (start[k] + block[k]) as isize - 1;
                before[k] = before[k].max((first - lo).max(0) as usize);
                after[k] = after[k].max((hi - last).max(0) as usize);
            }
        }
        Ok(Halo { before, after })
    }

    /// The block's part of the result into `outs` (one array of the block's shape per output,
    /// any layout), from `with_halo`: the block extended by exactly its [`halo`](Self::halo).
    /// The values are the same bits as the same points of the whole-array call.
    ///
    /// # Errors
    ///
    /// [`GradientError::BlockOutOfBounds`]; [`GradientError::BlockShape`] unless `with_halo`
    /// has the block's shape plus its halo; [`GradientError::OutputCount`] and
    /// [`GradientError::OutputShape`] for the outputs. On error no output is changed.
    pub fn compute<A>(
        &self,
        with_halo: ArrayViewD<'_, A>,
        start: &[usize],
        block: &[usize],
        outs: &mut [&mut ArrayRef<A::Output, IxDyn>],
    ) -> Result<(), GradientError>
    where
        A: GradientElement<Real = R>,
    {
        let (halo, expected) = self.check_input(&with_halo, start, block)?;
        check_output_count(self.outputs(), outs.len())?;
        for (j, out) in outs.iter().enumerate() {
            let (output, axis) = self.output_name(j);
            check_output_shape(block, out.shape(), output, axis)?;
        }
        for (j, out) in outs.iter_mut().enumerate() {
            self.output(j, &with_halo, start, block, &halo, &expected, out);
        }
        Ok(())
    }

    /// Output `j` alone of [`compute`](Self::compute) (crate-internal: the Zarr path computes
    /// and writes one output at a time, to hold one output chunk rather than all of them).
    #[cfg_attr(not(feature = "zarr"), allow(dead_code))]
    pub(crate) fn compute_one<A>(
        &self,
        j: usize,
        with_halo: ArrayViewD<'_, A>,
        start: &[usize],
        block: &[usize],
        out: &mut ArrayRef<A::Output, IxDyn>,
    ) -> Result<(), GradientError>
    where
        A: GradientElement<Real = R>,
    {
        let (halo, expected) = self.check_input(&with_halo, start, block)?;
        if j >= self.outputs() {
            return Err(GradientError::OutputCount {
                expected: self.outputs(),
                got: j + 1,
            });
        }
        let (output, axis) = self.output_name(j);
        check_output_shape(block, out.shape(), output, axis)?;
        self.output(j, &with_halo, start, block, &halo, &expected, out);
        Ok(())
    }

    /// The block's halo and the shape `with_halo` must have, after checking both.
    fn check_input<A>(
        &self,
        with_halo: &ArrayViewD<'_, A>,
        start: &[usize],
        block: &[usize],
    ) -> Result<(Halo, Vec<usize>), GradientError> {
        let halo = self.halo(start, block)?;
        let expected = halo.around(block);
        if with_halo.shape() != expected.as_slice() {
            return Err(GradientError::BlockShape {
                expected,
                got: with_halo.shape().to_vec(),
            });
        }
        Ok((halo, expected))
    }

    /// Output `j` as a [`GradientError::OutputShape`] names it: its index and axis for a
    /// gradient, neither for the Laplacian's one output.
    fn output_name(&self, j: usize) -> (Option<usize>, Option<Axis>) {
        match self.operation {
            Operation::Gradient => (Some(j), self.plan.axes.get(j).map(|(axis, _)| *axis)),
            Operation::Laplacian | Operation::Operator(_) => (None, None),
        }
    }

    /// Output `j` into `out` (checked by the caller).
    #[allow(clippy::too_many_arguments)]
    fn output<A>(
        &self,
        j: usize,
        with_halo: &ArrayViewD<'_, A>,
        start: &[usize],
        block: &[usize],
        halo: &Halo,
        expected: &[usize],
        out: &mut ArrayRef<A::Output, IxDyn>,
    ) where
        A: GradientElement<Real = R>,
    {
        // The input of axis k: the block's own range on the other axes, the window on k.
        let input = |k: usize| {
            let mut v = with_halo.view();
            for b in (0..block.len()).filter(|&b| b != k) {
                v.slice_axis_inplace(Axis(b), Slice::from(halo.before[b]..halo.before[b] + block[b]));
            }
            v
        };
        // Each axis's stencil seen from the block with its halo, and its term: the input along
        // that axis, the output's first point `halo.before` into it.
        let window = |axis: Axis, st: &AxisStencil<R>| {
            let k = axis.index();
            st.window(start[k] as isize - halo.before[k] as isize, expected[k])
        };
        let term = |axis: Axis, window| Term {
            first: halo.before[axis.index()],
            ..Term::new(input(axis.index()), axis, window)
        };
        match &self.operation {
            Operation::Gradient => {
                let (axis, st) = &self.plan.axes[j];
                let window = window(*axis, st);
                kernel::derivatives(&[term(*axis, &window)], vec![out.view_mut()]);
            }
            Operation::Laplacian => {
                // The sum of the second derivatives in axis order, in one walk that writes
                // `out` once: the whole-array Laplacian's bits.
                let windows: Vec<AxisStencil<R>> = self.plan.axes.iter().map(|(axis, st)| window(*axis, st)).collect();
                let terms: Vec<Term<'_, A, IxDyn, R>> = self
                    .plan
                    .axes
                    .iter()
                    .zip(&windows)
                    .map(|((axis, _), window)| term(*axis, window))
                    .collect();
                kernel::sum(&terms, out.view_mut());
            }
            Operation::Operator(op) => {
                let origin: Vec<isize> = start
                    .iter()
                    .zip(&halo.before)
                    .map(|(&s, &b)| s as isize - b as isize)
                    .collect();
                op.0.borrow()
                    .apply_block(&op.1, with_halo, &origin, start, block, out.view_mut());
            }
        }
    }

    fn check_block(&self, start: &[usize], block: &[usize]) -> Result<(), GradientError> {
        let nd = self.shape.len();
        let bad = |axis: usize| GradientError::BlockOutOfBounds {
            axis,
            start: start.get(axis).copied().unwrap_or(0),
            len: block.get(axis).copied().unwrap_or(0),
            shape: self.shape.clone(),
        };
        if start.len() != nd || block.len() != nd {
            return Err(bad(start.len().min(block.len()).min(nd.saturating_sub(1))));
        }
        for k in 0..nd {
            if start[k].checked_add(block[k]).is_none_or(|end| end > self.shape[k]) {
                return Err(bad(k));
            }
        }
        Ok(())
    }
}
