//! Kernels that walk memory. They choose the order in which points are visited; the values
//! come from [`crate::stencil`] (gradient) and [`DiffElement::difference`] (diff).
//!
//! Along an axis whose stride is 1 in both input and output, each lane is a slice and is
//! walked as one. Along any other axis, whole hyperplanes are combined with `Zip` over the
//! input shifted along the axis, so the inner loop runs along contiguous memory (ndarray's own
//! pattern in `diff` and `accumulate_axis_inplace`); walking a strided lane element by element
//! is never done.

use ndarray::{
    Array, ArrayView, ArrayViewMut, Axis, Dimension, Ix1, Ix2, Ix3, Ix4, Ix5, Ix6, ShapeBuilder, Slice, Zip,
};

use crate::element::{DiffElement, GradientElement};
use crate::stencil::{AxisStencil, Divide, Edge, ExactReciprocal, Interior, difference, weighted};

/// Lanes shorter than this are walked as hyperplanes: per-lane overhead would dominate.
const MIN_LANE_LEN: usize = 16;

/// One computation along an axis, generic over the dimension so that dynamic-dimensional
/// arrays can be dispatched to static ones and large arrays split into blocks.
pub(crate) trait AxisKernel<A, B>: Sync {
    fn run<D: Dimension>(&self, f: ArrayView<'_, A, D>, out: ArrayViewMut<'_, B, D>, axis: Axis);
}

/// Runs `kernel` on `f` → `out` along `axis`: dynamic dimensions become static ones (`IxDyn`
/// iteration is several times slower), and large arrays are split into blocks along another
/// axis, one block per rayon task.
pub(crate) fn dispatch<A, B, D, K>(kernel: &K, f: ArrayView<'_, A, D>, out: ArrayViewMut<'_, B, D>, axis: Axis)
where
    A: Sync,
    B: Send + Sync,
    D: Dimension,
    K: AxisKernel<A, B>,
{
    if D::NDIM.is_none() {
        macro_rules! fixed {
            ($($n:literal => $ix:ty),*) => {
                match f.ndim() {
                    $($n => {
                        let f = f.into_dimensionality::<$ix>().expect("ndim matched");
                        let out = out.into_dimensionality::<$ix>().expect("out has the ndim of f");
                        return split(kernel, f, out, axis);
                    })*
                    _ => {}
                }
            };
        }
        fixed!(1 => Ix1, 2 => Ix2, 3 => Ix3, 4 => Ix4, 5 => Ix5, 6 => Ix6);
    }
    split(kernel, f, out, axis)
}

#[cfg(feature = "rayon")]
fn split<A, B, D, K>(kernel: &K, f: ArrayView<'_, A, D>, mut out: ArrayViewMut<'_, B, D>, axis: Axis)
where
    A: Sync,
    B: Send + Sync,
    D: Dimension,
    K: AxisKernel<A, B>,
{
    use ndarray::parallel::prelude::*;
    let total = f.len().max(out.len());
    let threshold = crate::parallel::threshold();
    if total >= threshold {
        // Split along the outermost other axis, so that each block keeps long contiguous runs.
        let other = (0..f.ndim())
            .filter(|&k| k != axis.index() && f.len_of(Axis(k)) >= 2)
            .max_by_key(|&k| (f.len_of(Axis(k)) >= 8, f.stride_of(Axis(k)).unsigned_abs()));
        if let Some(k) = other {
            let len = f.len_of(Axis(k));
            let blocks = (total / crate::parallel::MIN_BLOCK.max(threshold / 4).max(1))
                .clamp(2, 64)
                .min(len);
            let chunk = len.div_ceil(blocks);
            out.axis_chunks_iter_mut(Axis(k), chunk)
                .into_par_iter()
                .zip(f.axis_chunks_iter(Axis(k), chunk))
                .for_each(|(o, fb)| kernel.run(fb, o, axis));
            return;
        }
    }
    kernel.run(f, out, axis)
}

#[cfg(not(feature = "rayon"))]
fn split<A, B, D, K>(kernel: &K, f: ArrayView<'_, A, D>, out: ArrayViewMut<'_, B, D>, axis: Axis)
where
    D: Dimension,
    K: AxisKernel<A, B>,
{
    kernel.run(f, out, axis)
}

/// Whether `axis` can be walked lane by lane as slices.
fn lanes_are_slices<A, B, D: Dimension>(f: &ArrayView<'_, A, D>, out: &ArrayViewMut<'_, B, D>, axis: Axis) -> bool {
    f.len_of(axis) >= MIN_LANE_LEN && f.stride_of(axis) == 1 && out.stride_of(axis) == 1
}

/// A new array shaped like `f` whose memory order follows `f`'s: axes are laid out in the
/// order of decreasing stride (C in, C out; F in, F out; permuted in, permuted out).
pub(crate) fn alloc_like<A, B: Clone + Default, D: Dimension>(
    f: &ArrayView<'_, A, D>,
    len_of_axis: Option<(Axis, usize)>,
) -> Array<B, D> {
    let mut shape = f.raw_dim();
    if let Some((axis, len)) = len_of_axis {
        shape[axis.index()] = len;
    }
    if f.is_standard_layout() {
        return Array::from_elem(shape, B::default());
    }
    let ndim = f.ndim();
    if ndim > 1 && f.view().reversed_axes().is_standard_layout() {
        return Array::from_elem(shape.f(), B::default());
    }
    // Order the axes by decreasing |stride|; ties (and length-1 axes) keep their order.
    let mut order: Vec<usize> = (0..ndim).collect();
    order.sort_by_key(|&k| {
        let s = if f.len_of(Axis(k)) > 1 {
            f.stride_of(Axis(k)).unsigned_abs()
        } else {
            0
        };
        std::cmp::Reverse(s)
    });
    let mut permuted = shape.clone();
    let mut inverse = D::zeros(ndim);
    for (i, &k) in order.iter().enumerate() {
        permuted[i] = shape[k];
        inverse[k] = i;
    }
    Array::from_elem(permuted, B::default()).permuted_axes(inverse)
}

/// The gradient along one axis with a prepared stencil.
pub(crate) struct GradientKernel<'s, R> {
    pub(crate) stencil: &'s AxisStencil<R>,
}

impl<A: GradientElement> AxisKernel<A, A::Output> for GradientKernel<'_, A::Real> {
    fn run<D: Dimension>(&self, f: ArrayView<'_, A, D>, mut out: ArrayViewMut<'_, A::Output, D>, axis: Axis) {
        let st = self.stencil;
        if lanes_are_slices(&f, &out, axis) {
            let lanes = Zip::from(out.lanes_mut(axis)).and(f.lanes(axis));
            match &st.interior {
                Interior::Uniform { two_h } => match ExactReciprocal::of::<A::Output>(*two_h) {
                    Some(q) => lanes.for_each(|o, fl| lane_uniform(slice(fl), slice_mut(o), st, q)),
                    None => lanes.for_each(|o, fl| lane_uniform(slice(fl), slice_mut(o), st, Divide(*two_h))),
                },
                Interior::NonUniform { w } => lanes.for_each(|o, fl| lane_weighted(slice(fl), slice_mut(o), st, w)),
            }
        } else {
            planes(f, out, axis, st);
        }
    }
}

fn slice<'a, A>(lane: ArrayView<'a, A, Ix1>) -> &'a [A] {
    lane.to_slice().expect("lanes_are_slices checked the stride")
}

fn slice_mut<'a, A>(lane: ArrayViewMut<'a, A, Ix1>) -> &'a mut [A] {
    lane.into_slice().expect("lanes_are_slices checked the stride")
}

/// An edge value of one lane.
#[inline(always)]
fn lane_edge<A: GradientElement>(f: &[A], edge: &Edge<A::Real>) -> A::Output {
    let s = edge.start();
    let at = |k: usize| f[k.min(f.len() - 1)].to_output();
    edge.apply([at(s), at(s + 1), at(s + 2)])
}

fn lane_uniform<A, Q>(f: &[A], o: &mut [A::Output], st: &AxisStencil<A::Real>, q: Q)
where
    A: GradientElement,
    Q: crate::stencil::Quotient<A::Output>,
{
    let n = f.len();
    if n > 2 {
        for (o, (lo, hi)) in o[1..n - 1].iter_mut().zip(f.iter().zip(&f[2..])) {
            *o = difference(lo.to_output(), hi.to_output(), q);
        }
    }
    o[0] = lane_edge(f, &st.first);
    o[n - 1] = lane_edge(f, &st.last);
}

fn lane_weighted<A: GradientElement>(f: &[A], o: &mut [A::Output], st: &AxisStencil<A::Real>, w: &[[A::Real; 3]]) {
    let n = f.len();
    if n > 2 {
        let samples = f.iter().zip(&f[1..]).zip(&f[2..]);
        for ((o, w), ((f0, f1), f2)) in o[1..n - 1].iter_mut().zip(w).zip(samples) {
            *o = weighted(*w, f0.to_output(), f1.to_output(), f2.to_output());
        }
    }
    o[0] = lane_edge(f, &st.first);
    o[n - 1] = lane_edge(f, &st.last);
}

/// The hyperplane walk: every output plane from the input planes its stencil reads.
fn planes<A: GradientElement, D: Dimension>(
    f: ArrayView<'_, A, D>,
    mut out: ArrayViewMut<'_, A::Output, D>,
    axis: Axis,
    st: &AxisStencil<A::Real>,
) {
    let n = st.len;
    let plane = |k: usize| f.slice_axis(axis, Slice::from(k..k + 1));
    for (pos, edge) in [(0, &st.first), (n - 1, &st.last)] {
        let s = edge.start();
        Zip::from(out.slice_axis_mut(axis, Slice::from(pos..pos + 1)))
            .and(plane(s))
            .and(plane(s + 1))
            .and(plane((s + 2).min(n - 1)))
            .for_each(|o, &a, &b, &c| *o = edge.apply([a.to_output(), b.to_output(), c.to_output()]));
    }
    if n <= 2 {
        return;
    }
    match &st.interior {
        Interior::Uniform { two_h } => {
            // out[1:-1] = (f[2:] - f[:-2]) / 2h, one Zip over the shifted input.
            let zip = Zip::from(out.slice_axis_mut(axis, Slice::new(1, Some(-1), 1)))
                .and(f.slice_axis(axis, Slice::new(0, Some(-2), 1)))
                .and(f.slice_axis(axis, Slice::from(2..)));
            match ExactReciprocal::of::<A::Output>(*two_h) {
                Some(q) => zip.for_each(|o, &lo, &hi| *o = difference(lo.to_output(), hi.to_output(), q)),
                None => {
                    let q = Divide(*two_h);
                    zip.for_each(|o, &lo, &hi| *o = difference(lo.to_output(), hi.to_output(), q))
                }
            }
        }
        Interior::NonUniform { w } => {
            for (i, &w) in (1..n - 1).zip(w) {
                Zip::from(out.slice_axis_mut(axis, Slice::from(i..i + 1)))
                    .and(plane(i - 1))
                    .and(plane(i))
                    .and(plane(i + 1))
                    .for_each(|o, &a, &b, &c| *o = weighted(w, a.to_output(), b.to_output(), c.to_output()));
            }
        }
    }
}

/// `out = first difference of f` along `axis` (`out` is one shorter along it).
pub(crate) struct FirstDifference;

impl<A: DiffElement> AxisKernel<A, A> for FirstDifference {
    fn run<D: Dimension>(&self, f: ArrayView<'_, A, D>, mut out: ArrayViewMut<'_, A, D>, axis: Axis) {
        if lanes_are_slices(&f, &out, axis) {
            Zip::from(out.lanes_mut(axis)).and(f.lanes(axis)).for_each(|o, fl| {
                let fl = slice(fl);
                for (o, (prev, next)) in slice_mut(o).iter_mut().zip(fl.iter().zip(&fl[1..])) {
                    *o = A::difference(*next, *prev);
                }
            });
        } else {
            Zip::from(out)
                .and(f.slice_axis(axis, Slice::from(..-1)))
                .and(f.slice_axis(axis, Slice::from(1..)))
                .for_each(|o, &prev, &next| *o = A::difference(next, prev));
        }
    }
}

/// Replaces `a[i]` by `a[i + 1] - a[i]` for every `i` but the last, in place along `axis`.
pub(crate) fn difference_in_place<A: DiffElement, D: Dimension>(mut a: ArrayViewMut<'_, A, D>, axis: Axis) {
    let m = a.len_of(axis);
    if m < 2 {
        return;
    }
    if a.stride_of(axis) == 1 {
        for lane in a.lanes_mut(axis) {
            let lane = slice_mut(lane);
            for i in 0..m - 1 {
                lane[i] = A::difference(lane[i + 1], lane[i]);
            }
        }
    } else {
        for i in 0..m - 1 {
            let (left, right) = a.view_mut().split_at(axis, i + 1);
            Zip::from(left.slice_axis_move(axis, Slice::from(i..i + 1)))
                .and(right.slice_axis_move(axis, Slice::from(0..1)))
                .for_each(|p, next| *p = A::difference(*next, *p));
        }
    }
}
