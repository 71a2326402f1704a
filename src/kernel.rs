//! Kernels that walk memory. They choose the order in which points are visited; the values
//! come from [`crate::stencil`] (gradient) and [`DiffElement::difference`] (diff).
//!
//! - Along an axis whose stride is 1 in both input and output, each lane is a slice; when the
//!   arrays are contiguous the lanes lie end to end and the interior of all of them is one
//!   flat pass.
//! - Along any other axis, whole hyperplanes are combined with the input shifted along the
//!   axis (ndarray's own pattern in `diff` and `accumulate_axis_inplace`), as slices when they
//!   are contiguous, else row by row along the innermost axis.
//! - Axes are first put in memory order, so every walk goes through memory front to back;
//!   walking a strided lane element by element is never done on the hot path.
//!
//! Every output point is written at least once by these walks (fresh outputs are not zeroed
//! first), which `tests::every_point_is_written_once_or_more` checks.

use std::mem::MaybeUninit;

use ndarray::{ArrayView, ArrayViewMut, Axis, Dimension, Ix1, Ix2, Ix3, Ix4, Ix5, Ix6, Slice, Zip};

use crate::element::{DiffElement, GradientElement};
use crate::stencil::{AxisStencil, Divide, Edge, ExactReciprocal, Interior, difference, weighted};

/// Evaluates `$body` with `$q` the quotient by `$d` for elements `$t`: the exact reciprocal
/// when `$d` is a power of two (same bits, a multiplication), else the division. The choice is
/// made once per call, so each loop is compiled for one of the two.
macro_rules! with_quotient {
    ($t:ty, $d:expr, |$q:ident| $body:expr) => {
        match ExactReciprocal::of::<$t>($d) {
            Some($q) => $body,
            None => {
                let $q = Divide($d);
                $body
            }
        }
    };
}

/// Lanes shorter than this are walked as hyperplanes: per-lane overhead would dominate.
const MIN_LANE_LEN: usize = 16;

/// Where a kernel writes one output point: an element of the caller's array (`T`), or of a
/// fresh array not initialized yet (`MaybeUninit<T>`), which saves zeroing memory that every
/// kernel overwrites anyway (see [`crate::alloc::new_array_like`]).
pub(crate) trait Slot<T>: Send + Sync {
    fn put(&mut self, value: T);
}

impl<T: Send + Sync> Slot<T> for T {
    #[inline(always)]
    fn put(&mut self, value: T) {
        *self = value;
    }
}

impl<T: Send + Sync> Slot<T> for MaybeUninit<T> {
    #[inline(always)]
    fn put(&mut self, value: T) {
        self.write(value);
    }
}

/// One computation along an axis, generic over the dimension so that dynamic-dimensional
/// arrays can be dispatched to static ones and large arrays split into blocks.
pub(crate) trait AxisKernel<A, B>: Sync {
    /// Computes the output points `first..first + out.len_of(axis)` along `axis` from `f`, which
    /// holds the whole input along `axis` (and the block's part of the other axes).
    fn run<D: Dimension>(&self, f: ArrayView<'_, A, D>, out: ArrayViewMut<'_, B, D>, axis: Axis, first: usize);
}

/// Runs `kernel` on `f` → `out` along `axis`: dynamic dimensions become static ones (`IxDyn`
/// iteration is several times slower), axes are put in memory order, and large arrays are
/// split into blocks along their outermost axis, one block per rayon task.
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
                        let (f, out, axis) = in_memory_order(f, out, axis);
                        return split(kernel, f, out, axis);
                    })*
                    _ => {}
                }
            };
        }
        fixed!(1 => Ix1, 2 => Ix2, 3 => Ix3, 4 => Ix4, 5 => Ix5, 6 => Ix6);
    }
    let (f, out, axis) = in_memory_order(f, out, axis);
    split(kernel, f, out, axis)
}

/// Reorders the axes of both views (the same way) so that the output's strides decrease, as in
/// C order. `Zip` and lanes then visit memory front to back, whatever the input's layout
/// (F order, permuted axes); the values are the same, only the visiting order changes.
fn in_memory_order<'f, 'o, A, B, D: Dimension>(
    f: ArrayView<'f, A, D>,
    out: ArrayViewMut<'o, B, D>,
    axis: Axis,
) -> (ArrayView<'f, A, D>, ArrayViewMut<'o, B, D>, Axis) {
    let order = crate::alloc::axes_by_decreasing_stride(out.shape(), out.strides());
    if order.iter().enumerate().all(|(i, &k)| i == k) {
        return (f, out, axis); // already in memory order (C order, 1-D, ...)
    }
    let mut perm = D::zeros(out.ndim());
    for (i, &k) in order.iter().enumerate() {
        perm[i] = k;
    }
    let axis = Axis(order.iter().position(|&k| k == axis.index()).expect("a permutation"));
    (f.permuted_axes(perm.clone()), out.permuted_axes(perm), axis)
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
    if total < crate::parallel::threshold() {
        return kernel.run(f, out, axis, 0);
    }
    // Cut along the outermost axis in memory, so that every block is one contiguous run of the
    // output (and of the page faults that fill it).
    let Some(k) = (0..out.ndim())
        .filter(|&k| out.len_of(Axis(k)) >= 2)
        .max_by_key(|&k| out.stride_of(Axis(k)).unsigned_abs())
        .map(Axis)
    else {
        return kernel.run(f, out, axis, 0);
    };
    let len = out.len_of(k);
    let blocks = (total / crate::parallel::MIN_BLOCK).clamp(2, 16).min(len);
    let chunk = len.div_ceil(blocks);
    if k == axis {
        // Blocks of output points along the differentiated axis; each reads the input it needs.
        out.axis_chunks_iter_mut(k, chunk)
            .into_par_iter()
            .enumerate()
            .for_each(|(i, o)| kernel.run(f.view(), o, axis, i * chunk));
    } else {
        // Independent blocks across the other axis.
        out.axis_chunks_iter_mut(k, chunk)
            .into_par_iter()
            .zip(f.axis_chunks_iter(k, chunk))
            .for_each(|(o, fb)| kernel.run(fb, o, axis, 0));
    }
}

#[cfg(not(feature = "rayon"))]
fn split<A, B, D, K>(kernel: &K, f: ArrayView<'_, A, D>, out: ArrayViewMut<'_, B, D>, axis: Axis)
where
    D: Dimension,
    K: AxisKernel<A, B>,
{
    kernel.run(f, out, axis, 0)
}

/// `out[i] = op(x[i], y[i], z[i])` over four arrays of one shape, walking memory as
/// contiguously as their layouts allow:
/// 1. all contiguous with the same strides (e.g. shifted whole planes of a C- or F-ordered
///    array): element `k` in memory is the same index in each, one slice loop;
/// 2. otherwise lane by lane along the output's innermost axis: a slice loop per lane where the
///    stride is 1 in all of them (the rows of a middle-axis plane), a strided loop otherwise
///    (a column), so that the inner loop is always as long as possible.
///
/// Slice loops are what the compiler vectorizes; `Zip`'s generic strides are not.
#[inline(always)]
fn map3<A: Copy, T, S: Slot<T>, D: Dimension>(
    mut out: ArrayViewMut<'_, S, D>,
    x: ArrayView<'_, A, D>,
    y: ArrayView<'_, A, D>,
    z: ArrayView<'_, A, D>,
    op: impl Fn(A, A, A) -> T + Copy,
) {
    let slices = |o: &mut [S], x: &[A], y: &[A], z: &[A]| map_slices(o, x, y, z, op);
    let same_order = [&x, &y, &z].iter().all(|v| v.strides() == out.strides());
    if let (true, Some(xs), Some(ys), Some(zs)) = (
        same_order,
        x.to_slice_memory_order(),
        y.to_slice_memory_order(),
        z.to_slice_memory_order(),
    ) && let Some(os) = out.as_slice_memory_order_mut()
    {
        return slices(os, xs, ys, zs);
    }
    // Lanes along the output's innermost axis (smallest stride among those longer than 1).
    let Some(k) = (0..out.ndim())
        .filter(|&k| out.len_of(Axis(k)) > 1)
        .min_by_key(|&k| out.stride_of(Axis(k)).unsigned_abs())
        .map(Axis)
    else {
        // At most one element.
        return Zip::from(out)
            .and(x)
            .and(y)
            .and(z)
            .for_each(|o, &x, &y, &z| o.put(op(x, y, z)));
    };
    let unit = [out.stride_of(k), x.stride_of(k), y.stride_of(k), z.stride_of(k)] == [1; 4];
    let lanes = Zip::from(out.lanes_mut(k))
        .and(x.lanes(k))
        .and(y.lanes(k))
        .and(z.lanes(k));
    if unit {
        lanes.for_each(|o, x, y, z| slices(slice_mut(o), slice(x), slice(y), slice(z)));
    } else {
        lanes.for_each(|o, x, y, z| {
            Zip::from(o)
                .and(x)
                .and(y)
                .and(z)
                .for_each(|o, &x, &y, &z| o.put(op(x, y, z)))
        });
    }
}

/// The slice loop of [`map3`]. A function of its own, with `op` by value, so that the compiler
/// knows `o` aliases nothing `op` reads: the coefficients stay in registers and the loop is
/// vectorized.
#[inline(always)]
fn map_slices<A: Copy, T, S: Slot<T>>(o: &mut [S], x: &[A], y: &[A], z: &[A], op: impl Fn(A, A, A) -> T) {
    for (o, ((&x, &y), &z)) in o.iter_mut().zip(x.iter().zip(y).zip(z)) {
        o.put(op(x, y, z));
    }
}

/// Points per plane of a tile: planes larger than this are walked a tile at a time, so that
/// input planes `i - 1` and `i + 1` are still in cache when they are read again for the next
/// planes.
const PLANE_TILE: usize = 8192;

/// The other axis to cut planes along, and the chunk length, when the planes across `axis` are
/// larger than a tile: the outermost other axis, so that each tile of a plane is contiguous.
fn tiling<T, D: Dimension>(out: &ArrayViewMut<'_, T, D>, axis: Axis) -> Option<(Axis, usize)> {
    let plane = out.len() / out.len_of(axis).max(1);
    if plane <= PLANE_TILE {
        return None;
    }
    let k = (0..out.ndim())
        .filter(|&k| k != axis.index() && out.len_of(Axis(k)) > 1)
        .max_by_key(|&k| out.stride_of(Axis(k)).unsigned_abs())
        .map(Axis)?;
    let per_row = plane / out.len_of(k);
    Some((k, (PLANE_TILE / per_row.max(1)).max(1)))
}

/// [`map2`] over shifted stacks of planes across `axis`, a tile of every plane at a time.
fn map2_tiled<A: Copy, T, S: Slot<T>, D: Dimension>(
    mut out: ArrayViewMut<'_, S, D>,
    x: ArrayView<'_, A, D>,
    y: ArrayView<'_, A, D>,
    axis: Axis,
    op: impl Fn(A, A) -> T + Copy,
) {
    match tiling(&out, axis) {
        Some((k, c)) => {
            let inputs = x.axis_chunks_iter(k, c).zip(y.axis_chunks_iter(k, c));
            for (o, (x, y)) in out.axis_chunks_iter_mut(k, c).zip(inputs) {
                map2(o, x, y, op);
            }
        }
        None => map2(out, x, y, op),
    }
}

/// `out[i] = op(x[i], y[i])`: [`map3`] with two inputs.
#[inline(always)]
fn map2<A: Copy, T, S: Slot<T>, D: Dimension>(
    out: ArrayViewMut<'_, S, D>,
    x: ArrayView<'_, A, D>,
    y: ArrayView<'_, A, D>,
    op: impl Fn(A, A) -> T + Copy,
) {
    let z = y.clone();
    map3(out, x, y, z, move |x, y, _| op(x, y))
}

/// Whether `axis` can be walked lane by lane as slices.
fn lanes_are_slices<A, B, D: Dimension>(f: &ArrayView<'_, A, D>, out: &ArrayViewMut<'_, B, D>, axis: Axis) -> bool {
    f.len_of(axis) >= MIN_LANE_LEN && f.stride_of(axis) == 1 && out.stride_of(axis) == 1
}

/// The gradient along one axis with a prepared stencil.
pub(crate) struct GradientKernel<'s, R> {
    pub(crate) stencil: &'s AxisStencil<R>,
}

impl<A: GradientElement, S: Slot<A::Output>> AxisKernel<A, S> for GradientKernel<'_, A::Real> {
    fn run<D: Dimension>(&self, f: ArrayView<'_, A, D>, mut out: ArrayViewMut<'_, S, D>, axis: Axis, first: usize) {
        let st = self.stencil;
        if let Interior::Uniform { two_h } = st.interior
            && first == 0
            && out.len_of(axis) == st.len
            && f.stride_of(axis) == 1
            && f.strides() == out.strides()
            && f.to_slice_memory_order().is_some()
            && out.view().to_slice_memory_order().is_some()
        {
            // Contiguous, same layout, axis innermost: the lanes lie end to end in memory.
            let fs = f.to_slice_memory_order().expect("checked above");
            let os = out.as_slice_memory_order_mut().expect("checked above");
            with_quotient!(A::Output, two_h, |q| flat_uniform(fs, os, st, q));
            return;
        }
        if lanes_are_slices(&f, &out, axis) {
            let lanes = Zip::from(out.lanes_mut(axis)).and(f.lanes(axis));
            match &st.interior {
                Interior::Uniform { two_h } => with_quotient!(A::Output, *two_h, |q| {
                    lanes.for_each(|o, fl| lane_uniform(slice(fl), slice_mut(o), first, st, q))
                }),
                Interior::NonUniform { w } => {
                    lanes.for_each(|o, fl| lane_weighted(slice(fl), slice_mut(o), first, st, w))
                }
            }
        } else {
            planes(f, out, axis, first, st);
        }
    }
}

/// Points per block of [`flat_uniform`]: the block's input and output stay in cache while its
/// lane ends are fixed.
const FLAT_BLOCK: usize = 4096;

/// The uniform gradient of lanes that lie end to end in `f` and `o`, a block of whole lanes at
/// a time: the interior of all the block's lanes in one flat pass (the points where a lane meets
/// the next get a meaningless value there), then the two ends of each lane, overwriting them.
fn flat_uniform<A, S, Q>(f: &[A], o: &mut [S], st: &AxisStencil<A::Real>, q: Q)
where
    A: GradientElement,
    S: Slot<A::Output>,
    Q: crate::stencil::Quotient<A::Output>,
{
    let n = st.len;
    let block = n * (FLAT_BLOCK / n).max(1);
    for (fb, ob) in f.chunks(block).zip(o.chunks_mut(block)) {
        let m = ob.len();
        if m > 2 {
            map_slices(&mut ob[1..m - 1], &fb[..m - 2], &fb[2..], &fb[2..], move |lo, hi, _| {
                difference(lo.to_output(), hi.to_output(), q)
            });
        }
        for (fl, ol) in fb.chunks(n).zip(ob.chunks_mut(n)) {
            lane_edges(fl, ol, 0, st);
        }
    }
}

fn slice<'a, A>(lane: ArrayView<'a, A, Ix1>) -> &'a [A] {
    lane.to_slice().expect("the caller checked that the stride is 1")
}

fn slice_mut<'a, A>(lane: ArrayViewMut<'a, A, Ix1>) -> &'a mut [A] {
    lane.into_slice().expect("the caller checked that the stride is 1")
}

/// The interior points (`1..n-1`) among the output points `first..first + m`.
fn interior(first: usize, m: usize, n: usize) -> std::ops::Range<usize> {
    let (a, b) = (first.max(1), (first + m).min(n - 1));
    a..b.max(a)
}

/// An edge value of one lane.
#[inline(always)]
fn lane_edge<A: GradientElement>(f: &[A], edge: &Edge<A::Real>) -> A::Output {
    let s = edge.start();
    let at = |k: usize| f[k.min(f.len() - 1)].to_output();
    edge.apply([at(s), at(s + 1), at(s + 2)])
}

/// The edges that fall among the output points `first..first + o.len()` of a lane.
fn lane_edges<A: GradientElement, S: Slot<A::Output>>(f: &[A], o: &mut [S], first: usize, st: &AxisStencil<A::Real>) {
    let n = f.len();
    if first == 0 {
        o[0].put(lane_edge(f, &st.first));
    }
    if first + o.len() == n {
        o[n - 1 - first].put(lane_edge(f, &st.last));
    }
}

fn lane_uniform<A, S, Q>(f: &[A], o: &mut [S], first: usize, st: &AxisStencil<A::Real>, q: Q)
where
    A: GradientElement,
    S: Slot<A::Output>,
    Q: crate::stencil::Quotient<A::Output>,
{
    let r = interior(first, o.len(), f.len());
    let (lo, hi) = (&f[r.start - 1..r.end - 1], &f[r.start + 1..r.end + 1]);
    map_slices(&mut o[r.start - first..r.end - first], lo, hi, hi, move |lo, hi, _| {
        difference(lo.to_output(), hi.to_output(), q)
    });
    lane_edges(f, o, first, st);
}

fn lane_weighted<A: GradientElement, S: Slot<A::Output>>(
    f: &[A],
    o: &mut [S],
    first: usize,
    st: &AxisStencil<A::Real>,
    w: &[[A::Real; 3]],
) {
    let r = interior(first, o.len(), f.len());
    let samples = f[r.start - 1..r.end - 1]
        .iter()
        .zip(&f[r.start..r.end])
        .zip(&f[r.start + 1..r.end + 1]);
    let weights = &w[r.start - 1..r.end - 1];
    for ((o, w), ((f0, f1), f2)) in o[r.start - first..r.end - first].iter_mut().zip(weights).zip(samples) {
        o.put(weighted(*w, f0.to_output(), f1.to_output(), f2.to_output()));
    }
    lane_edges(f, o, first, st);
}

/// The edge planes (points `0` and `n - 1`) that fall among the output points
/// `first..first + out.len_of(axis)`.
fn plane_edges<A: GradientElement, S: Slot<A::Output>, D: Dimension>(
    f: &ArrayView<'_, A, D>,
    out: &mut ArrayViewMut<'_, S, D>,
    axis: Axis,
    first: usize,
    st: &AxisStencil<A::Real>,
) {
    let n = st.len;
    let m = out.len_of(axis);
    let plane = |k: usize| f.slice_axis(axis, Slice::from(k..k + 1));
    for (pos, edge) in [(0, &st.first), (n - 1, &st.last)] {
        if !(first..first + m).contains(&pos) {
            continue;
        }
        let s = edge.start();
        let o = out.slice_axis_mut(axis, Slice::from(pos - first..pos - first + 1));
        let (f0, f1, f2) = (plane(s), plane(s + 1), plane((s + 2).min(n - 1)));
        // The rule is chosen once per plane, not per point.
        match *edge {
            Edge::Weighted { w, .. } => map3(o, f0, f1, f2, move |a, b, c| {
                weighted(w, a.to_output(), b.to_output(), c.to_output())
            }),
            Edge::Difference { .. } => {
                let edge = *edge;
                map2(o, f0, f1, move |a, b| {
                    edge.apply([a.to_output(), b.to_output(), b.to_output()])
                })
            }
        }
    }
}

/// The hyperplane walk: every output plane from the input planes its stencil reads.
fn planes<A: GradientElement, S: Slot<A::Output>, D: Dimension>(
    f: ArrayView<'_, A, D>,
    mut out: ArrayViewMut<'_, S, D>,
    axis: Axis,
    first: usize,
    st: &AxisStencil<A::Real>,
) {
    plane_edges(&f, &mut out, axis, first, st);
    let n = st.len;
    let r = interior(first, out.len_of(axis), n);
    if r.is_empty() {
        return;
    }
    match &st.interior {
        Interior::Uniform { two_h } => {
            // out[a:b] = (f[a+1:b+1] - f[a-1:b-1]) / 2h, one pass over the shifted input.
            let out = out.slice_axis_mut(axis, Slice::from(r.start - first..r.end - first));
            let lo = f.slice_axis(axis, Slice::from(r.start - 1..r.end - 1));
            let hi = f.slice_axis(axis, Slice::from(r.start + 1..r.end + 1));
            with_quotient!(A::Output, *two_h, |q| {
                map2_tiled(out, lo, hi, axis, move |lo, hi| {
                    difference(lo.to_output(), hi.to_output(), q)
                })
            })
        }
        Interior::NonUniform { w } => match tiling(&out, axis) {
            Some((k, c)) => {
                for (o, fb) in out.axis_chunks_iter_mut(k, c).zip(f.axis_chunks_iter(k, c)) {
                    weighted_planes(o, fb, axis, first, r.clone(), w);
                }
            }
            None => weighted_planes(out, f.view(), axis, first, r, w),
        },
    }
}

/// The non-uniform interior points `r` (among the output points `first..`), plane by plane,
/// each plane with its own weights.
fn weighted_planes<A: GradientElement, S: Slot<A::Output>, D: Dimension>(
    mut out: ArrayViewMut<'_, S, D>,
    f: ArrayView<'_, A, D>,
    axis: Axis,
    first: usize,
    r: std::ops::Range<usize>,
    w: &[[A::Real; 3]],
) {
    let plane = |k: usize| f.slice_axis(axis, Slice::from(k..k + 1));
    for i in r {
        let w = w[i - 1];
        map3(
            out.slice_axis_mut(axis, Slice::from(i - first..i + 1 - first)),
            plane(i - 1),
            plane(i),
            plane(i + 1),
            move |a, b, c| weighted(w, a.to_output(), b.to_output(), c.to_output()),
        );
    }
}

/// `out = first difference of f` along `axis` (`out` is one shorter along it).
pub(crate) struct FirstDifference;

impl<A: DiffElement, S: Slot<A>> AxisKernel<A, S> for FirstDifference {
    fn run<D: Dimension>(&self, f: ArrayView<'_, A, D>, mut out: ArrayViewMut<'_, S, D>, axis: Axis, first: usize) {
        // Output point i reads f[i] and f[i + 1].
        let m = out.len_of(axis);
        let f = f.slice_axis(axis, Slice::from(first..first + m + 1));
        if lanes_are_slices(&f, &out, axis) {
            Zip::from(out.lanes_mut(axis)).and(f.lanes(axis)).for_each(|o, fl| {
                let fl = slice(fl);
                for (o, (prev, next)) in slice_mut(o).iter_mut().zip(fl.iter().zip(&fl[1..])) {
                    o.put(A::difference(*next, *prev));
                }
            });
        } else {
            let prev = f.slice_axis(axis, Slice::from(..-1));
            let next = f.slice_axis(axis, Slice::from(1..));
            map2_tiled(out, prev, next, axis, move |prev, next| A::difference(next, prev));
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

#[cfg(test)]
mod tests {
    use ndarray::{ArrayD, IxDyn, ShapeBuilder};

    use super::*;
    use crate::alloc::alloc_like;
    use crate::diff::diff_into_view;
    use crate::options::{EdgeOrder, Spacing};
    use crate::parallel::with_parallel_threshold;

    /// An output slot that counts how often it is written.
    #[derive(Clone, Copy, Debug, Default)]
    struct Count(u8);

    impl Slot<f64> for Count {
        fn put(&mut self, _: f64) {
            self.0 += 1;
        }
    }

    /// The input layouts the crate meets: C, F, reversed, stepped, permuted.
    fn layouts(shape: &[usize]) -> Vec<ArrayD<f64>> {
        let c = ArrayD::from_shape_fn(IxDyn(shape), |i| i.slice().iter().sum::<usize>() as f64);
        let f = c
            .as_standard_layout()
            .into_owned()
            .reversed_axes()
            .as_standard_layout()
            .into_owned()
            .reversed_axes();
        let mut reversed = c.clone();
        (0..shape.len()).for_each(|k| reversed.invert_axis(Axis(k)));
        let big: Vec<usize> = shape.iter().map(|&n| 2 * n).collect();
        let mut stepped = ArrayD::zeros(IxDyn(&big));
        stepped.slice_each_axis_inplace(|_| Slice::new(0, None, 2));
        // Memory order rotated: axis 1 outermost, axis 0 innermost.
        let nd = shape.len();
        let rot: Vec<usize> = (1..nd).chain(0..1).collect();
        let inv: Vec<usize> = (0..nd).map(|k| rot.iter().position(|&o| o == k).unwrap()).collect();
        let permuted = c
            .clone()
            .permuted_axes(rot)
            .as_standard_layout()
            .into_owned()
            .permuted_axes(inv);
        vec![c, f, reversed, stepped, permuted]
    }

    /// The uninitialised outputs of `alloc::new_array_like` are sound only if every kernel writes
    /// every output point: count the writes on every path.
    #[test]
    fn every_point_is_written_once_or_more() {
        let shapes: [&[usize]; 7] = [&[2], &[3], &[40], &[3, 17], &[17, 2], &[4, 3, 20], &[2, 3, 2, 18]];
        for shape in shapes {
            for f in layouts(shape) {
                for axis in (0..shape.len()).map(Axis) {
                    let n = f.len_of(axis);
                    let x: Vec<f64> = (0..n).map(|i| (i * i) as f64 + i as f64).collect();
                    let x = ndarray::Array1::from(x);
                    let spacings = [
                        Spacing::Uniform(1.0),
                        Spacing::Uniform(0.3),
                        Spacing::Coordinates(x.view()),
                    ];
                    for (spacing, edge) in spacings
                        .iter()
                        .flat_map(|s| [(s, EdgeOrder::First), (s, EdgeOrder::Second)])
                    {
                        let Ok(stencil) = AxisStencil::new(axis.index(), n, spacing, edge) else {
                            continue; // too short for this edge order
                        };
                        for threshold in [0, usize::MAX] {
                            for mut out in [
                                alloc_like::<_, Count, _>(&f.view(), None),
                                ArrayD::default(f.raw_dim().f()),
                            ] {
                                with_parallel_threshold(threshold, || {
                                    dispatch(&GradientKernel { stencil: &stencil }, f.view(), out.view_mut(), axis)
                                });
                                let missed = out.iter().filter(|c| c.0 == 0).count();
                                assert_eq!(missed, 0, "gradient {shape:?} axis {axis:?} {spacing:?} {edge:?}");
                            }
                        }
                    }
                    for k in 0..=n + 1 {
                        for threshold in [0, usize::MAX] {
                            let mut out = alloc_like::<_, Count, _>(&f.view(), Some((axis, n.saturating_sub(k))));
                            with_parallel_threshold(threshold, || diff_into_view(f.view(), k, axis, out.view_mut()));
                            assert!(out.iter().all(|c| c.0 == 1), "diff n={k} {shape:?} axis {axis:?}");
                        }
                    }
                }
            }
        }
    }
}
