//! Operators built from several derivatives: the Laplacian, the divergence and the curl, each
//! computed in one pass that writes a single output, and the gradient stacked in one array.
//!
//! A sum of derivative terms is computed a slab of planes at a time (planes across the
//! outermost axis in memory): the first term is written into a slab-sized accumulator, each
//! further term into a second one and added (or subtracted) point by point, then the slab is
//! stored. Every term runs through the same kernel as a single-axis call, so an operator equals
//! the sum of the separate derivative calls bit for bit, in the order of the axes; and the
//! input is read from memory about once, not once per axis.

use ndarray::{ArrayView, ArrayViewMut, Axis, Dimension, Ix1, Ix2, Ix3, Ix4, Ix5, Ix6, RemoveAxis, Slice};

use crate::element::GradientElement;
use crate::error::GradientError;
use crate::kernel::{AxisKernel, GradientKernel, RowTerm, Slot, dispatch_from, row_sums, store};
use crate::options::GradientOptions;
use crate::stencil::AxisStencil;

/// One term of a sum of derivatives: `sign · ∂(f)/∂(axis)` with the stencil of that axis.
pub(crate) struct Term<'a, A, D, R> {
    pub(crate) f: ArrayView<'a, A, D>,
    pub(crate) axis: Axis,
    pub(crate) stencil: &'a AxisStencil<R>,
    /// Whether the term is subtracted (never the first term).
    pub(crate) subtract: bool,
    /// The index along `axis` in `f` of the output's first point: 0 when `f` has the output's
    /// shape, the halo before a block when `f` is the block with its halo along `axis`
    /// (`BlockPlan`); `f` has the output's extent along every other axis.
    pub(crate) first: usize,
}

/// Points per slab: the two accumulators stay in the L2 cache.
const SLAB: usize = 1 << 16;

/// `out = Σ terms`, summed in the order of `terms`. Every input has the shape of `out`, but
/// along its own axis where its [`Term::first`] leaves room for a halo.
pub(crate) fn sum_of_terms<A, S, D>(terms: &[Term<'_, A, D, A::Real>], out: ArrayViewMut<'_, S, D>)
where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    if terms.is_empty() {
        // An operator over no axes is zero.
        let zero = A::Output::default();
        return ndarray::Zip::from(out).for_each(|o| o.put(zero));
    }
    if let [t] = terms
        && !t.subtract
    {
        return dispatch_from(&GradientKernel { stencil: t.stencil }, t.f.view(), out, t.axis, t.first);
    }
    if D::NDIM.is_none() {
        macro_rules! fixed {
            ($($n:literal => $ix:ty),*) => {
                match out.ndim() {
                    $($n => {
                        let terms: Vec<Term<'_, A, $ix, A::Real>> = terms
                            .iter()
                            .map(|t| Term {
                                f: t.f.view().into_dimensionality::<$ix>().expect("ndim matched"),
                                axis: t.axis,
                                stencil: t.stencil,
                                subtract: t.subtract,
                                first: t.first,
                            })
                            .collect();
                        let out = out.into_dimensionality::<$ix>().expect("ndim matched");
                        return fused(&terms, out);
                    })*
                    _ => {}
                }
            };
        }
        fixed!(1 => Ix1, 2 => Ix2, 3 => Ix3, 4 => Ix4, 5 => Ix5, 6 => Ix6);
    }
    fused(terms, out)
}

/// [`sum_of_terms`] with the axes put in the output's memory order, slab by slab.
fn fused<A, S, D>(terms: &[Term<'_, A, D, A::Real>], out: ArrayViewMut<'_, S, D>)
where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    if out.ndim() == 0 || out.is_empty() {
        return;
    }
    // Memory order: the outermost axis becomes axis 0, and slabs are contiguous runs of it.
    let order = crate::alloc::axes_by_decreasing_stride(out.shape(), out.strides());
    let mut perm = D::zeros(out.ndim());
    for (i, &k) in order.iter().enumerate() {
        perm[i] = k;
    }
    let mut out = out.permuted_axes(perm.clone());
    let terms: Vec<Term<'_, A, D, A::Real>> = terms
        .iter()
        .map(|t| Term {
            f: t.f.view().permuted_axes(perm.clone()),
            axis: Axis(order.iter().position(|&k| k == t.axis.index()).expect("a permutation")),
            stencil: t.stencil,
            subtract: t.subtract,
            first: t.first,
        })
        .collect();
    if out.is_standard_layout()
        && terms.iter().all(|t| t.first == 0)
        && let Some(fs) = terms.iter().map(|t| t.f.to_slice()).collect::<Option<Vec<_>>>()
    {
        return contiguous(&terms, &fs, out);
    }
    let n0 = out.len_of(Axis(0));
    let plane = out.len() / n0;
    let slab = (SLAB / plane.max(1)).clamp(1, n0);
    let run = |(s, o): (usize, ArrayViewMut<'_, S, D>), bufs: &mut (Vec<A::Output>, Vec<A::Output>)| {
        slab_of_terms(&terms, o, s * slab, bufs)
    };
    let slabs = out.axis_chunks_iter_mut(Axis(0), slab).enumerate();
    #[cfg(feature = "rayon")]
    if slabs.len() > 1 && plane * n0 >= crate::parallel::threshold() {
        return out_par(slabs, run);
    }
    let mut bufs = (Vec::new(), Vec::new());
    for item in slabs {
        run(item, &mut bufs);
    }
}

/// [`sum_of_terms`] when every input and the output are contiguous in C order: the row engine
/// ([`row_sums`]).
fn contiguous<A, S, D>(terms: &[Term<'_, A, D, A::Real>], fs: &[&[A]], mut out: ArrayViewMut<'_, S, D>)
where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    let dims = out.shape().to_vec();
    let row_terms: Vec<RowTerm<'_, A, A::Real>> = terms
        .iter()
        .zip(fs)
        .map(|(t, f)| RowTerm {
            f,
            axis: t.axis.index(),
            stencil: t.stencil,
            subtract: t.subtract,
        })
        .collect();
    let os = out.as_slice_mut().expect("standard layout");
    row_sums(&[row_terms], &dims, vec![os]);
}

/// Arrays smaller than this take one kernel per axis in [`each_axis_in_one_pass`]: they are in
/// cache anyway, and the per-axis kernels have less overhead per call.
const ONE_PASS_MIN_LEN: usize = 1 << 14;

/// Rows shorter than this take one kernel per axis when one of the axes is the innermost in
/// memory: the row engine computes that axis a row at a time, and its cost per row would
/// dominate. Along the other axes it takes runs of rows, whatever their length.
const ONE_PASS_MIN_ROW: usize = 64;

/// The derivative of `f` along each of `axes` into the output of the same position, in one pass
/// that reads the input once for all of them (the row engine, [`row_sums`]), when `f` and every
/// output are contiguous in the same memory order and large enough for it to pay; otherwise
/// nothing is written and the outputs are given back.
pub(crate) fn each_axis_in_one_pass<'o, A, S, D>(
    f: ArrayView<'_, A, D>,
    axes: &[(Axis, &AxisStencil<A::Real>)],
    outs: Vec<ArrayViewMut<'o, S, D>>,
) -> Result<(), Vec<ArrayViewMut<'o, S, D>>>
where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    let order = crate::alloc::axes_by_decreasing_stride(f.shape(), f.strides());
    let innermost = order.last().copied();
    let rows_fit = innermost.is_some_and(|k| f.len_of(Axis(k)) >= ONE_PASS_MIN_ROW)
        || axes.iter().all(|(axis, _)| Some(axis.index()) != innermost);
    let fits = f.ndim() >= 2
        && f.len() >= ONE_PASS_MIN_LEN
        && rows_fit
        && f.strides().iter().all(|&s| s >= 0)
        && f.as_slice_memory_order().is_some()
        && outs.len() == axes.len()
        && outs
            .iter()
            .all(|o| o.shape() == f.shape() && o.strides() == f.strides());
    if !fits {
        return Err(outs);
    }
    let mut perm = D::zeros(f.ndim());
    for (i, &k) in order.iter().enumerate() {
        perm[i] = k;
    }
    let f = f.permuted_axes(perm.clone());
    let Some(fs) = f.to_slice() else {
        return Err(outs);
    };
    let dims = f.shape().to_vec();
    let sums: Vec<Vec<RowTerm<'_, A, A::Real>>> = axes
        .iter()
        .map(|(axis, stencil)| {
            vec![RowTerm {
                f: fs,
                axis: order.iter().position(|&k| k == axis.index()).expect("a permutation"),
                stencil,
                subtract: false,
            }]
        })
        .collect();
    let slices: Vec<&mut [S]> = outs
        .into_iter()
        .map(|o| {
            o.permuted_axes(perm.clone())
                .into_slice()
                .expect("the strides of the contiguous input, permuted to C order")
        })
        .collect();
    row_sums(&sums, &dims, slices);
    Ok(())
}

#[cfg(feature = "rayon")]
fn out_par<'o, S: Send + Sync + 'o, D: Dimension, T: Send>(
    slabs: std::iter::Enumerate<ndarray::iter::AxisChunksIterMut<'o, S, D>>,
    run: impl Fn((usize, ArrayViewMut<'o, S, D>), &mut (Vec<T>, Vec<T>)) + Sync + Send,
) {
    use ndarray::parallel::prelude::*;
    let items: Vec<(usize, ArrayViewMut<'o, S, D>)> = slabs.collect();
    items
        .into_par_iter()
        .for_each_init(|| (Vec::new(), Vec::new()), |bufs, item| run(item, bufs));
}

/// The planes `first..first + o.len_of(Axis(0))` of the sum of `terms`.
fn slab_of_terms<A, S, D>(
    terms: &[Term<'_, A, D, A::Real>],
    o: ArrayViewMut<'_, S, D>,
    first: usize,
    (acc, tmp): &mut (Vec<A::Output>, Vec<A::Output>),
) where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    let shape = o.raw_dim();
    let m = o.len_of(Axis(0));
    for buf in [&mut *acc, &mut *tmp] {
        buf.clear();
        buf.resize(o.len(), A::Output::default());
    }
    let mut acc = ArrayViewMut::from_shape(shape.clone(), &mut acc[..]).expect("sized to the slab");
    let mut tmp = ArrayViewMut::from_shape(shape, &mut tmp[..]).expect("sized to the slab");
    for (j, t) in terms.iter().enumerate() {
        let target = if j == 0 { acc.view_mut() } else { tmp.view_mut() };
        let kernel = GradientKernel { stencil: t.stencil };
        if t.axis == Axis(0) {
            // Across the slab's planes: the kernel reads the planes around them from `f`.
            kernel.run(t.f.view(), target, Axis(0), t.first + first);
        } else {
            let f = t.f.slice_axis(Axis(0), Slice::from(first..first + m));
            kernel.run(f, target, t.axis, t.first);
        }
        if j > 0 {
            let op = if t.subtract {
                |a: A::Output, b: A::Output| a - b
            } else {
                |a: A::Output, b: A::Output| a + b
            };
            ndarray::Zip::from(acc.view_mut())
                .and(tmp.view())
                .for_each(|a, &b| *a = op(*a, b));
        }
    }
    store(o, acc.view());
}

/// Checks the shape of a vector field: `components` along the leading axis, and `spatial` axes
/// after it.
pub(crate) fn check_field(shape: &[usize], components: usize, spatial: usize) -> Result<(), crate::GradientError> {
    if shape.len() != spatial + 1 || shape[0] != components || components == 0 {
        return Err(crate::GradientError::FieldShape {
            components,
            shape: shape.to_vec(),
        });
    }
    Ok(())
}

/// The stencils of `axes` for a derivative of order `derivative` (the operator's), each with
/// the axis's other settings, after checking the whole call.
fn stencils<A, D: Dimension, R: num_traits::Float>(
    f: &ArrayView<'_, A, D>,
    axes: &[Axis],
    opts: &GradientOptions<'_, R>,
    derivative: usize,
) -> Result<Vec<AxisStencil<R>>, GradientError> {
    crate::gradient::check_shape_call(f.shape(), axes, opts, Some(derivative))?;
    axes.iter()
        .map(|&axis| {
            let mut settings = opts.settings_of(axis);
            settings.derivative = derivative;
            AxisStencil::new(axis.index(), f.len_of(axis), &settings)
        })
        .collect()
}

fn axes_of<R: num_traits::Float>(opts: &GradientOptions<'_, R>, ndim: usize) -> Vec<Axis> {
    opts.get_axes()
        .map_or_else(|| (0..ndim).map(Axis).collect(), <[Axis]>::to_vec)
}

/// A validated Laplacian: the axes and their second-derivative stencils.
pub(crate) struct Laplacian<R> {
    axes: Vec<(Axis, AxisStencil<R>)>,
}

impl<R: num_traits::Float> Laplacian<R> {
    pub(crate) fn new<A, D: Dimension>(
        f: &ArrayView<'_, A, D>,
        opts: &GradientOptions<'_, R>,
    ) -> Result<Self, GradientError> {
        let axes = axes_of(opts, f.ndim());
        let stencils = stencils(f, &axes, opts, 2)?;
        Ok(Laplacian {
            axes: axes.into_iter().zip(stencils).collect(),
        })
    }

    pub(crate) fn run<A, S, D>(&self, f: ArrayView<'_, A, D>, out: ArrayViewMut<'_, S, D>)
    where
        A: GradientElement<Real = R>,
        S: Slot<A::Output>,
        D: Dimension,
    {
        let terms: Vec<_> = self
            .axes
            .iter()
            .map(|(axis, stencil)| Term {
                f: f.view(),
                axis: *axis,
                stencil,
                subtract: false,
                first: 0,
            })
            .collect();
        sum_of_terms(&terms, out);
    }
}

/// A validated divergence: component `c` of the field is differentiated along `axes[c]`.
pub(crate) struct Divergence<R> {
    axes: Vec<(Axis, AxisStencil<R>)>,
}

impl<R: num_traits::Float> Divergence<R> {
    pub(crate) fn new<A, D: RemoveAxis>(
        field: &ArrayView<'_, A, D>,
        opts: &GradientOptions<'_, R>,
    ) -> Result<Self, GradientError> {
        let spatial = field.ndim().saturating_sub(1);
        let axes = axes_of(opts, spatial);
        check_field(field.shape(), axes.len(), spatial)?;
        let component = field.index_axis(Axis(0), 0);
        let stencils = stencils(&component, &axes, opts, 1)?;
        Ok(Divergence {
            axes: axes.into_iter().zip(stencils).collect(),
        })
    }

    pub(crate) fn run<A, S, D>(&self, field: ArrayView<'_, A, D>, out: ArrayViewMut<'_, S, D::Smaller>)
    where
        A: GradientElement<Real = R>,
        S: Slot<A::Output>,
        D: RemoveAxis,
    {
        let terms: Vec<_> = self
            .axes
            .iter()
            .enumerate()
            .map(|(c, (axis, stencil))| Term {
                f: field.index_axis(Axis(0), c),
                axis: *axis,
                stencil,
                subtract: false,
                first: 0,
            })
            .collect();
        sum_of_terms(&terms, out);
    }
}

/// A validated curl of a 3-D field of 3 components, or of a 2-D field of 2 (the scalar curl).
pub(crate) struct Curl<R> {
    stencils: Vec<AxisStencil<R>>,
}

impl<R: num_traits::Float> Curl<R> {
    pub(crate) fn new<A, D: RemoveAxis>(
        field: &ArrayView<'_, A, D>,
        opts: &GradientOptions<'_, R>,
        spatial: usize,
    ) -> Result<Self, GradientError> {
        check_field(field.shape(), spatial, spatial)?;
        let axes: Vec<Axis> = (0..spatial).map(Axis).collect();
        let stencils = stencils(&field.index_axis(Axis(0), 0), &axes, opts, 1)?;
        Ok(Curl { stencils })
    }

    /// `∂(i) F(j) − ∂(j) F(i)` into `out`.
    pub(crate) fn component<A, S, D>(
        &self,
        field: &ArrayView<'_, A, D>,
        (i, j): (usize, usize),
        out: ArrayViewMut<'_, S, D::Smaller>,
    ) where
        A: GradientElement<Real = R>,
        S: Slot<A::Output>,
        D: RemoveAxis,
    {
        let term = |axis: usize, c: usize, subtract: bool| Term {
            f: field.index_axis(Axis(0), c),
            axis: Axis(axis),
            stencil: &self.stencils[axis],
            subtract,
            first: 0,
        };
        sum_of_terms(&[term(i, j, false), term(j, i, true)], out);
    }

    /// The three components of a 3-D curl: `(∂1F2 − ∂2F1, ∂2F0 − ∂0F2, ∂0F1 − ∂1F0)`.
    pub(crate) fn run3<A, S, D>(&self, field: ArrayView<'_, A, D>, mut out: ArrayViewMut<'_, S, D>)
    where
        A: GradientElement<Real = R>,
        S: Slot<A::Output>,
        D: RemoveAxis,
    {
        for (c, pair) in [(1, 2), (2, 0), (0, 1)].into_iter().enumerate() {
            self.component(&field, pair, out.index_axis_mut(Axis(0), c));
        }
    }
}
