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

use num_traits::Zero;

use crate::element::{DiffElement, GradientElement};
use crate::stencil::{
    AxisStencil, Divide, ExactReciprocal, Interior, Rule, add_term, difference, first_term, weighted, weighted_sum,
};

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

/// What becomes of a computed value before it is stored: nothing ([`Put`]), or it is added to
/// (subtracted from) the value at the same point of an earlier sum ([`Onto`]), so that a sum of
/// derivative terms is accumulated in the pass that computes its last term.
pub(crate) trait Finish<T>: Copy {
    /// The value to store at index `k` of the slice being written, given the computed `v`.
    fn at(&self, k: usize, v: T) -> T;
    /// The same finish for the slice starting at index `k`.
    fn from(self, k: usize) -> Self;
    /// The same finish for a slice of `n` points: a loop over `0..n` then reads it without
    /// bounds checks, which lets the compiler vectorize the loop.
    fn within(self, n: usize) -> Self;
}

/// Store the computed value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Put;

impl<T> Finish<T> for Put {
    #[inline(always)]
    fn at(&self, _: usize, v: T) -> T {
        v
    }
    #[inline(always)]
    fn from(self, _: usize) -> Self {
        self
    }
    #[inline(always)]
    fn within(self, _: usize) -> Self {
        self
    }
}

/// Store `prior[k] + v` (or `prior[k] - v` when `SUBTRACT`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Onto<'p, T, const SUBTRACT: bool>(pub(crate) &'p [T]);

impl<T: crate::element::GradientFloat, const SUBTRACT: bool> Finish<T> for Onto<'_, T, SUBTRACT> {
    #[inline(always)]
    fn at(&self, k: usize, v: T) -> T {
        if SUBTRACT { self.0[k] - v } else { self.0[k] + v }
    }
    #[inline(always)]
    fn from(self, k: usize) -> Self {
        Onto(&self.0[k..])
    }
    #[inline(always)]
    fn within(self, n: usize) -> Self {
        Onto(&self.0[..n])
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
    dispatch_from(kernel, f, out, axis, 0)
}

/// [`dispatch`] for the output points `first..first + out.len_of(axis)` along `axis` (a block
/// of a larger result; `f` holds every point those read).
pub(crate) fn dispatch_from<A, B, D, K>(
    kernel: &K,
    f: ArrayView<'_, A, D>,
    out: ArrayViewMut<'_, B, D>,
    axis: Axis,
    first: usize,
) where
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
                        return split(kernel, f, out, axis, first);
                    })*
                    _ => {}
                }
            };
        }
        fixed!(1 => Ix1, 2 => Ix2, 3 => Ix3, 4 => Ix4, 5 => Ix5, 6 => Ix6);
    }
    let (f, out, axis) = in_memory_order(f, out, axis);
    split(kernel, f, out, axis, first)
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
fn split<A, B, D, K>(kernel: &K, f: ArrayView<'_, A, D>, mut out: ArrayViewMut<'_, B, D>, axis: Axis, first: usize)
where
    A: Sync,
    B: Send + Sync,
    D: Dimension,
    K: AxisKernel<A, B>,
{
    use ndarray::parallel::prelude::*;
    let total = f.len().max(out.len());
    if total < crate::parallel::threshold() {
        return kernel.run(f, out, axis, first);
    }
    // Cut along the outermost axis in memory, so that every block is one contiguous run of the
    // output (and of the page faults that fill it).
    let Some(k) = (0..out.ndim())
        .filter(|&k| out.len_of(Axis(k)) >= 2)
        .max_by_key(|&k| out.stride_of(Axis(k)).unsigned_abs())
        .map(Axis)
    else {
        return kernel.run(f, out, axis, first);
    };
    let len = out.len_of(k);
    let blocks = (total / crate::parallel::MIN_BLOCK).clamp(2, 16).min(len);
    let chunk = len.div_ceil(blocks);
    if k == axis {
        // Blocks of output points along the differentiated axis; each reads the input it needs.
        out.axis_chunks_iter_mut(k, chunk)
            .into_par_iter()
            .enumerate()
            .for_each(|(i, o)| kernel.run(f.view(), o, axis, first + i * chunk));
    } else {
        // Independent blocks across the other axis.
        out.axis_chunks_iter_mut(k, chunk)
            .into_par_iter()
            .zip(f.axis_chunks_iter(k, chunk))
            .for_each(|(o, fb)| kernel.run(fb, o, axis, first));
    }
}

#[cfg(not(feature = "rayon"))]
fn split<A, B, D, K>(kernel: &K, f: ArrayView<'_, A, D>, out: ArrayViewMut<'_, B, D>, axis: Axis, first: usize)
where
    D: Dimension,
    K: AxisKernel<A, B>,
{
    kernel.run(f, out, axis, first)
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

/// The innermost axis of a view (smallest stride among those longer than 1).
fn innermost<T, D: Dimension>(v: &ArrayViewMut<'_, T, D>) -> Option<Axis> {
    (0..v.ndim())
        .filter(|&k| v.len_of(Axis(k)) > 1)
        .min_by_key(|&k| v.stride_of(Axis(k)).unsigned_abs())
        .map(Axis)
}

/// Points per plane of a tile of [`tiled_planes`]: planes larger than this are walked a tile at
/// a time, so that the input planes a wide stencil shares with the next planes are still in
/// cache when they are read again.
const PLANE_TILE: usize = 8192;

/// Planes with more points than this are tiled by [`map2_tiled`] (two input planes, `i - 1` and
/// `i + 1`): only planes too large for three of them to stay in the L2 cache. Tiling smaller planes
/// costs more than it saves on a fresh output: a tile's walk through every plane faults in, and
/// the system zeroes, every page of the output long before the next tiles write them back
/// (measured, 256³ axis 0: 47 ms tiled, 40 ms not).
const PAIR_TILE: usize = 1 << 17;

/// The other axis to cut planes along, and the chunk length of a [`PLANE_TILE`], when the planes
/// across `axis` have more than `above` points: the outermost other axis, so that each tile of a
/// plane is contiguous.
fn tiling<T, D: Dimension>(out: &ArrayViewMut<'_, T, D>, axis: Axis, above: usize) -> Option<(Axis, usize)> {
    let plane = out.len() / out.len_of(axis).max(1);
    if plane <= above {
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
    match tiling(&out, axis, PAIR_TILE) {
        Some((k, c)) => {
            let inputs = x.axis_chunks_iter(k, c).zip(y.axis_chunks_iter(k, c));
            for (o, (x, y)) in out.axis_chunks_iter_mut(k, c).zip(inputs) {
                map2(o, x, y, op);
            }
        }
        None => map2(out, x, y, op),
    }
}

/// `out[i] = acc[i]`: an accumulator stored into the output.
pub(crate) fn store<T: Copy, S: Slot<T>, D: Dimension>(out: ArrayViewMut<'_, S, D>, acc: ArrayView<'_, T, D>) {
    let again = acc.clone();
    map2(out, acc, again, |a, _| a)
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
        if matches!(st.interior, Interior::Uniform { .. } | Interior::Taps { .. })
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
            return flat(fs, os, st);
        }
        if lanes_are_slices(&f, &out, axis) {
            let lanes = Zip::from(out.lanes_mut(axis)).and(f.lanes(axis));
            match &st.interior {
                // The quotient is chosen once per call, not per lane.
                Interior::Uniform { two_h } => with_quotient!(A::Output, *two_h, |q| {
                    lanes.for_each(|o, fl| {
                        let (fl, o) = (slice(fl), slice_mut(o));
                        let r = interior(first, o.len(), st);
                        lane_difference(fl, &mut o[r.start - first..r.end - first], r.start, q, Put);
                        lane_edges(fl, o, first, st, Put);
                    })
                }),
                _ => lanes.for_each(|o, fl| lane(slice(fl), slice_mut(o), first, st, Put)),
            }
        } else {
            planes(f, out, axis, first, st);
        }
    }
}

/// Points per block of [`flat`]: the block's input and output stay in cache while its lane
/// ends are fixed.
const FLAT_BLOCK: usize = 4096;

/// The gradient of lanes that lie end to end in `f` and `o` (a stencil with the same weights
/// at every interior point), a block of whole lanes at a time: the interior of all the block's
/// lanes in one flat pass (the points near where a lane meets the next get a meaningless value
/// there), then the end points of each lane, overwriting them.
fn flat<A: GradientElement, S: Slot<A::Output>>(f: &[A], o: &mut [S], st: &AxisStencil<A::Real>) {
    let n = st.len;
    let block = n * (FLAT_BLOCK / n.max(1)).max(1);
    let (before, after) = interior_reach(st);
    let mut run = |q: &dyn Fn(&[A], &mut [S])| {
        for (fb, ob) in f.chunks(block).zip(o.chunks_mut(block)) {
            if ob.len() > before + after {
                q(fb, ob);
            }
            for (fl, ol) in fb.chunks(n).zip(ob.chunks_mut(n)) {
                lane_edges(fl, ol, 0, st, Put);
            }
        }
    };
    match &st.interior {
        Interior::Uniform { two_h } => with_quotient!(A::Output, *two_h, |q| run(&|fb, ob| {
            let m = ob.len();
            lane_difference(fb, &mut ob[1..m - 1], 1, q, Put)
        })),
        Interior::Taps { offsets, w } => run(&|fb, ob| {
            let m = ob.len();
            taps(&mut ob[before..m - after], fb, before, offsets, Weights::Same(w), Put)
        }),
        Interior::PerPoint { .. } => unreachable!("flat is only taken for uniform weights"),
    }
}

/// How far the interior rule reaches before and after its point.
fn interior_reach<R: num_traits::Float>(st: &AxisStencil<R>) -> (usize, usize) {
    let offsets = st.interior.offsets();
    let before = offsets.iter().map(|&o| (-o).max(0) as usize).max().unwrap_or(0);
    let after = offsets.iter().map(|&o| o.max(0) as usize).max().unwrap_or(0);
    (before, after)
}

fn slice<'a, A>(lane: ArrayView<'a, A, Ix1>) -> &'a [A] {
    lane.to_slice().expect("the caller checked that the stride is 1")
}

fn slice_mut<'a, A>(lane: ArrayViewMut<'a, A, Ix1>) -> &'a mut [A] {
    lane.into_slice().expect("the caller checked that the stride is 1")
}

/// The interior points (`lo..hi`) among the output points `first..first + m`.
fn interior<R>(first: usize, m: usize, st: &AxisStencil<R>) -> std::ops::Range<usize> {
    let (a, b) = (first.max(st.lo), (first + m).min(st.hi));
    a..b.max(a)
}

/// The weights of the taps of an interior rule.
#[derive(Clone, Copy)]
enum Weights<'w, R> {
    /// The same weight for every point, one per tap.
    Same(&'w [R]),
    /// `w[j][i - start]` for tap `j` at point `i`.
    PerPoint(&'w [Vec<R>], usize),
}

/// The widest stencil [`weighted_rows`] sums in one pass (wider ones go tap by tap); the
/// widest supported stencil has 21 taps.
const MAX_TAPS: usize = 24;

/// The weights of the rows [`weighted_rows`] sums: one per row, or one per row and point.
#[derive(Clone, Copy)]
enum RowWeights<'w, R> {
    Same(&'w [R]),
    PerPoint(&'w [&'w [R]]),
}

/// `o[k] = Σ_j w_j · x_j[k]`, summed as [`first_term`] fixes, in one pass over the points.
fn weighted_rows<A: GradientElement, S: Slot<A::Output>, F: Finish<A::Output>>(
    o: &mut [S],
    x: &[&[A]],
    w: RowWeights<'_, A::Real>,
    fin: F,
) {
    weighted_rows_of(o, x.len(), |j| x[j], w, fin)
}

/// [`weighted_rows`] with the `t` rows given by `row(j)` (no array of rows to fill first).
/// Dispatched to [`rows_fixed`] for each width up to [`MAX_TAPS`], so that the loop over the
/// taps is unrolled and the loop over the points vectorized.
fn weighted_rows_of<'x, A: GradientElement + 'x, S: Slot<A::Output>, F: Finish<A::Output>>(
    o: &mut [S],
    t: usize,
    row: impl Fn(usize) -> &'x [A],
    w: RowWeights<'_, A::Real>,
    fin: F,
) {
    macro_rules! widths {
        ($($w:literal)*) => {
            match t {
                $($w => return crate::simd::wide(#[inline(always)] || rows_fixed::<$w, A, S, F>(o, std::array::from_fn(|j| row(j)), w, fin)),)*
                _ => {}
            }
        };
    }
    widths!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24);
    // Wider than any stencil the options make (`widest_stencils_fit_the_unrolled_loops`):
    // point by point, the same sum.
    let fin = fin.within(o.len());
    for (k, o) in o.iter_mut().enumerate() {
        let tap = |j: usize| {
            let wj = match w {
                RowWeights::Same(w) => w[j],
                RowWeights::PerPoint(w) => w[j][k],
            };
            (row(j)[k].to_output(), wj)
        };
        o.put(fin.at(k, weighted_sum(t, tap)));
    }
}

/// [`weighted_rows`] for exactly `W` rows.
#[inline(always)]
fn rows_fixed<const W: usize, A: GradientElement, S: Slot<A::Output>, F: Finish<A::Output>>(
    o: &mut [S],
    x: [&[A]; W],
    w: RowWeights<'_, A::Real>,
    fin: F,
) {
    let n = o.len();
    let x: [&[A]; W] = std::array::from_fn(|j| &x[j][..n]);
    let fin = fin.within(n);
    match w {
        RowWeights::Same(w) => terms_fixed::<W, 1, A, S, F>(o, [x], [std::array::from_fn(|j| w[j])], [false], fin),
        RowWeights::PerPoint(w) => {
            let w: [&[A::Real]; W] = std::array::from_fn(|j| &w[j][..n]);
            for (k, o) in o.iter_mut().enumerate() {
                let mut acc = first_term(x[0][k].to_output(), w[0][k]);
                for j in 1..W {
                    acc = add_term(acc, x[j][k].to_output(), w[j][k]);
                }
                o.put(fin.at(k, acc));
            }
        }
    }
}

/// `o[k] = t_0[k] ± t_1[k] ± …` (term `s` subtracted when `subtract[s]`, the terms taken in
/// order), where `t_s[k] = Σ_j w[s][j] · x[s][j][k]` is summed as [`first_term`] fixes: the
/// tap-summing loop, for `T` terms of `W` taps each, in one pass over the points. With one
/// term it is the loop of every weighted stencil; with several, a sum of derivatives (a
/// Laplacian) computed without a row buffer, the same bits as adding the terms' rows.
#[inline(always)]
#[allow(clippy::needless_range_loop)] // rows, weights and signs indexed in step
fn terms_fixed<const W: usize, const T: usize, A: GradientElement, S: Slot<A::Output>, F: Finish<A::Output>>(
    o: &mut [S],
    x: [[&[A]; W]; T],
    w: [[A::Real; W]; T],
    subtract: [bool; T],
    fin: F,
) {
    let n = o.len();
    let x: [[&[A]; W]; T] = std::array::from_fn(|s| std::array::from_fn(|j| &x[s][j][..n]));
    let fin = fin.within(n);
    for (k, o) in o.iter_mut().enumerate() {
        // Plain loops over the arrays (no closure holding them): the rows then stay in
        // registers; a closure over them made the 8-tap stencil twice as slow.
        let mut sum = first_term(x[0][0][k].to_output(), w[0][0]);
        for j in 1..W {
            sum = add_term(sum, x[0][j][k].to_output(), w[0][j]);
        }
        for s in 1..T {
            let mut term = first_term(x[s][0][k].to_output(), w[s][0]);
            for j in 1..W {
                term = add_term(term, x[s][j][k].to_output(), w[s][j]);
            }
            sum = if subtract[s] { sum - term } else { sum + term };
        }
        o.put(fin.at(k, sum));
    }
}

/// `f[at + off..][..n]`.
#[inline(always)]
fn row_at<A>(f: &[A], at: usize, off: isize, n: usize) -> &[A] {
    let s = (at as isize + off) as usize;
    &f[s..s + n]
}

/// `o[k]` is the weighted stencil of point `at + k`, whose tap `j` reads `f[at + k + offsets[j]]`.
fn taps<A: GradientElement, S: Slot<A::Output>, F: Finish<A::Output>>(
    o: &mut [S],
    f: &[A],
    at: usize,
    offsets: &[isize],
    w: Weights<'_, A::Real>,
    fin: F,
) {
    let n = o.len();
    if n == 0 {
        return;
    }
    let row = |j: usize| row_at(f, at, offsets[j], n);
    match w {
        Weights::Same(w) => weighted_rows_of(o, offsets.len(), row, RowWeights::Same(w), fin),
        Weights::PerPoint(w, start) => {
            let ws: Vec<&[A::Real]> = w.iter().map(|wj| &wj[at - start..at - start + n]).collect();
            weighted_rows_of(o, offsets.len(), row, RowWeights::PerPoint(&ws), fin)
        }
    }
}

/// `o[k] = difference(f[at + k - 1], f[at + k + 1], q)`: NumPy's uniform interior on a slice.
fn lane_difference<A, S, Q, F>(f: &[A], o: &mut [S], at: usize, q: Q, fin: F)
where
    A: GradientElement,
    S: Slot<A::Output>,
    Q: crate::stencil::Quotient<A::Output>,
    F: Finish<A::Output>,
{
    let m = o.len();
    if m == 0 {
        return;
    }
    let (lo, hi) = (&f[at - 1..at - 1 + m], &f[at + 1..at + 1 + m]);
    let fin = fin.within(m);
    for (k, (o, (lo, hi))) in o.iter_mut().zip(lo.iter().zip(hi)).enumerate() {
        o.put(fin.at(k, difference(lo.to_output(), hi.to_output(), q)));
    }
}

/// The output points `first..first + o.len()` of one lane, from the whole lane `f`.
fn lane<A: GradientElement, S: Slot<A::Output>, F: Finish<A::Output>>(
    f: &[A],
    o: &mut [S],
    first: usize,
    st: &AxisStencil<A::Real>,
    fin: F,
) {
    let r = interior(first, o.len(), st);
    let oi = &mut o[r.start - first..r.end - first];
    let fi = fin.from(r.start - first);
    match &st.interior {
        Interior::Uniform { two_h } => {
            with_quotient!(A::Output, *two_h, |q| lane_difference(f, oi, r.start, q, fi))
        }
        Interior::Taps { offsets, w } => taps(oi, f, r.start, offsets, Weights::Same(w), fi),
        Interior::PerPoint { offsets, w } => taps(oi, f, r.start, offsets, Weights::PerPoint(w, st.lo), fi),
    }
    lane_edges(f, o, first, st, fin);
}

/// The edge points (outside `lo..hi`) that fall among the output points `first..first + o.len()`
/// of a lane.
fn lane_edges<A: GradientElement, S: Slot<A::Output>, F: Finish<A::Output>>(
    f: &[A],
    o: &mut [S],
    first: usize,
    st: &AxisStencil<A::Real>,
    fin: F,
) {
    let range = first..first + o.len();
    for (i, rule) in &st.edges {
        if range.contains(i) {
            let v = rule.apply(|off| f[st.sample(*i, off)].to_output());
            o[i - first].put(fin.at(i - first, v));
        }
    }
}

/// `out = Σ w[j] * planes[j]` over planes of one shape, summed as [`first_term`] says.
/// Three taps are one pass ([`map3`]); wider stencils accumulate tap by tap in `buf`.
fn combine_planes<A: GradientElement, S: Slot<A::Output>, D: Dimension>(
    out: ArrayViewMut<'_, S, D>,
    planes: &[ArrayView<'_, A, D>],
    w: &[A::Real],
    buf: &mut Vec<A::Output>,
) {
    if let ([p0, p1, p2], &[w0, w1, w2]) = (planes, w) {
        let w = [w0, w1, w2];
        return map3(out, p0.view(), p1.view(), p2.view(), move |a, b, c| {
            weighted(w, a.to_output(), b.to_output(), c.to_output())
        });
    }
    let mut out = out;
    if planes.iter().all(|p| p.strides() == out.strides())
        && let Some(xs) = planes
            .iter()
            .map(|p| p.to_slice_memory_order())
            .collect::<Option<Vec<_>>>()
        && let Some(os) = out.as_slice_memory_order_mut()
    {
        // Shifted whole planes of one contiguous layout: one pass over memory.
        return weighted_rows(os, &xs, RowWeights::Same(w), Put);
    }
    if let Some(k) = innermost(&out)
        && out.stride_of(k) == 1
        && planes.iter().all(|p| p.stride_of(k) == 1)
    {
        // Row by row along the innermost axis, each row a slice.
        let rows: Vec<Vec<ArrayView<'_, A, Ix1>>> = planes.iter().map(|p| p.lanes(k).into_iter().collect()).collect();
        for (r, o) in out.lanes_mut(k).into_iter().enumerate() {
            let row = |j: usize| slice(rows[j][r].view());
            weighted_rows_of(slice_mut(o), rows.len(), row, RowWeights::Same(w), Put);
        }
        return;
    }
    buf.clear();
    buf.resize(out.len(), A::Output::default());
    let mut acc = ArrayViewMut::from_shape(out.raw_dim(), &mut buf[..]).expect("the buffer has the plane's size");
    for (j, (p, &w)) in planes.iter().zip(w).enumerate() {
        if j == 0 {
            map2(acc.view_mut(), p.view(), p.view(), move |x, _| {
                first_term(x.to_output(), w)
            });
        } else {
            Zip::from(acc.view_mut())
                .and(p)
                .for_each(|a, &x| *a = add_term(*a, x.to_output(), w));
        }
    }
    map2(out, acc.view(), acc.view(), |a, _| a);
}

/// The edge planes (points outside `lo..hi`) that fall among the output points
/// `first..first + out.len_of(axis)`.
fn plane_edges<A: GradientElement, S: Slot<A::Output>, D: Dimension>(
    f: &ArrayView<'_, A, D>,
    out: &mut ArrayViewMut<'_, S, D>,
    axis: Axis,
    first: usize,
    st: &AxisStencil<A::Real>,
    buf: &mut Vec<A::Output>,
) {
    let m = out.len_of(axis);
    let plane = |k: usize| f.slice_axis(axis, Slice::from(k..k + 1));
    for (pos, rule) in &st.edges {
        let pos = *pos;
        if !(first..first + m).contains(&pos) {
            continue;
        }
        let o = out.slice_axis_mut(axis, Slice::from(pos - first..pos - first + 1));
        // The rule is chosen once per plane, not per point.
        match rule {
            Rule::Weighted { offsets, w } => {
                let planes: Vec<_> = offsets.iter().map(|&off| plane(st.sample(pos, off))).collect();
                combine_planes(o, &planes, w, buf);
            }
            Rule::Difference { lo, hi, .. } => {
                let lo_off = *lo;
                let (lo, hi) = (plane(st.sample(pos, *lo)), plane(st.sample(pos, *hi)));
                map2(o, lo, hi, move |a, b| {
                    rule.apply(|off| if off == lo_off { a.to_output() } else { b.to_output() })
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
    let mut buf = Vec::new();
    plane_edges(&f, &mut out, axis, first, st, &mut buf);
    let r = interior(first, out.len_of(axis), st);
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
        Interior::Taps { offsets, w } => tiled_planes(out, f, axis, first, r, offsets, |_| w.clone(), &mut buf),
        Interior::PerPoint { offsets, w } => {
            let at = |i: usize| w.iter().map(|wj| wj[i - st.lo]).collect::<Vec<_>>();
            tiled_planes(out, f, axis, first, r, offsets, at, &mut buf)
        }
    }
}

/// The interior points `r` (among the output points `first..`), plane by plane, each plane
/// with the weights `weights(i)`; a tile of every plane at a time when planes are large, so
/// that the input planes a stencil shares with the next are still in cache.
#[allow(clippy::too_many_arguments)]
fn tiled_planes<A: GradientElement, S: Slot<A::Output>, D: Dimension>(
    mut out: ArrayViewMut<'_, S, D>,
    f: ArrayView<'_, A, D>,
    axis: Axis,
    first: usize,
    r: std::ops::Range<usize>,
    offsets: &[isize],
    weights: impl Fn(usize) -> Vec<A::Real>,
    buf: &mut Vec<A::Output>,
) {
    let weights: Vec<Vec<A::Real>> = r.clone().map(&weights).collect();
    let mut run = |mut out: ArrayViewMut<'_, S, D>, f: ArrayView<'_, A, D>| {
        for (i, w) in r.clone().zip(&weights) {
            let planes: Vec<_> = offsets
                .iter()
                .map(|&o| {
                    let k = (i as isize + o) as usize;
                    f.slice_axis(axis, Slice::from(k..k + 1))
                })
                .collect();
            combine_planes(
                out.slice_axis_mut(axis, Slice::from(i - first..i + 1 - first)),
                &planes,
                w,
                buf,
            );
        }
    };
    match tiling(&out, axis, PLANE_TILE) {
        Some((k, c)) => {
            for (o, fb) in out.axis_chunks_iter_mut(k, c).zip(f.axis_chunks_iter(k, c)) {
                run(o, fb);
            }
        }
        None => run(out.view_mut(), f),
    }
}

/// One term of a sum of derivatives on contiguous arrays in C order (after [`in_memory_order`]):
/// `f` is the input's memory, `axis` the differentiated axis.
pub(crate) struct RowTerm<'a, A, R> {
    pub(crate) f: &'a [A],
    pub(crate) axis: usize,
    pub(crate) stencil: &'a AxisStencil<R>,
    pub(crate) subtract: bool,
}

/// The most blocks of rows [`row_sums`] cuts an array into, one rayon task each (a few per
/// thread, so that a thread slowed by other work is helped by the others).
#[cfg_attr(not(feature = "rayon"), allow(dead_code))]
const ROW_BLOCKS: usize = 8;

/// `outs[s] = Σ sums[s]` (terms added, or subtracted, in order) on contiguous arrays in C order
/// of shape `dims`, every output in one walk over the rows in memory order: the input rows a
/// point needs are read while they are in cache, so the input is read from memory about once,
/// whatever the number of terms and outputs, and every output is written front to back (a
/// fresh output's pages are faulted in, zeroed by the system, just before they are written).
/// With `rayon`, large arrays are cut into blocks of rows, one task each; every point is
/// computed by the same formulas whatever the split, so the bits never change.
pub(crate) fn row_sums<A: GradientElement, S: Slot<A::Output>>(
    sums: &[Vec<RowTerm<'_, A, A::Real>>],
    dims: &[usize],
    outs: Vec<&mut [S]>,
) {
    let nd = dims.len();
    let total: usize = dims.iter().product();
    if nd == 0 || total == 0 {
        return;
    }
    let n = dims[nd - 1];
    let rows = total / n;
    #[cfg(feature = "rayon")]
    if total >= crate::parallel::threshold() && rows >= 2 {
        use ndarray::parallel::prelude::*;
        let blocks = (total / crate::parallel::MIN_BLOCK).clamp(2, ROW_BLOCKS).min(rows);
        let per_block = rows.div_ceil(blocks);
        let mut parts: Vec<(usize, Vec<&mut [S]>)> = (0..rows.div_ceil(per_block))
            .map(|b| (b * per_block, Vec::with_capacity(outs.len())))
            .collect();
        for out in outs {
            for ((_, part), piece) in parts.iter_mut().zip(out.chunks_mut(per_block * n)) {
                part.push(piece);
            }
        }
        return parts.into_par_iter().for_each_init(
            || (Vec::new(), Vec::new()),
            |bufs, (first, mut part)| {
                let last = (first + per_block).min(rows);
                sum_rows(sums, dims, first..last, &mut part, first, bufs)
            },
        );
    }
    let mut outs = outs;
    sum_rows(sums, dims, 0..rows, &mut outs, 0, &mut (Vec::new(), Vec::new()));
}

/// The most points [`sum_rows`] takes as one run of rows: the row buffers stay in cache.
const RUN_POINTS: usize = 1 << 14;

/// The rows `rows` (along the last axis, `dims` the shape) of every sum of terms, into `outs`,
/// which hold the rows from `first` on: in one loop over the row's points when the terms are
/// 2 or 3 weighted stencils of one width ([`sum_in_one_loop`]); otherwise each term computed
/// into a row buffer by the same formulas as a single-axis call (shifted rows of the input for
/// the other axes, the lane itself for the last axis), then added in term order.
///
/// Rows next to each other along the second-to-last axis are next to each other in memory, and
/// where every term along that axis has the same taps at each of them (its interior, with
/// weights shared by all points), each term reads them as shifted copies of one long row. Such
/// runs of rows are taken together, so that short rows do not each pay for a call: every point
/// is still computed by the same formula, so the bits do not change.
fn sum_rows<A: GradientElement, S: Slot<A::Output>>(
    sums: &[Vec<RowTerm<'_, A, A::Real>>],
    dims: &[usize],
    rows: std::ops::Range<usize>,
    outs: &mut [&mut [S]],
    first: usize,
    bufs: &mut (Vec<A::Output>, Vec<A::Output>),
) {
    let nd = dims.len();
    let n = dims[nd - 1];
    if n == 0 || rows.is_empty() {
        return;
    }
    let mut strides = vec![1usize; nd];
    let mut idx = vec![0usize; nd];
    for a in (0..nd - 1).rev() {
        strides[a] = strides[a + 1] * dims[a + 1];
    }
    // The multi-index of the first row (its last entry stays 0).
    let mut rest = rows.start;
    for a in (0..nd - 1).rev() {
        idx[a] = rest % dims[a];
        rest /= dims[a];
    }
    // The positions along the second-to-last axis where runs may start and end.
    let band = if nd < 2 {
        0..0
    } else {
        sums.iter()
            .flatten()
            .filter(|t| t.axis == nd - 2)
            .fold(0..dims[nd - 2], |b, t| match t.stencil.interior {
                Interior::PerPoint { .. } => 0..0,
                _ => b.start.max(t.stencil.lo)..b.end.min(t.stencil.hi),
            })
    };
    let most = (RUN_POINTS / n).max(1);
    let mut row_idx = idx.clone();
    let (cur, nxt) = bufs;
    cur.resize(n * most, A::Output::default());
    nxt.resize(n * most, A::Output::default());
    let mut q = rows.start;
    while q < rows.end {
        let r = match nd {
            2.. if band.contains(&idx[nd - 2]) => (band.end - idx[nd - 2]).min(rows.end - q).min(most),
            _ => 1,
        };
        let at = RowAt {
            idx: &idx,
            strides: &strides,
            base: q * n,
            n,
            rows: r,
        };
        for (terms, out) in sums.iter().zip(outs.iter_mut()) {
            let o = &mut out[(q - first) * n..(q - first + r) * n];
            if sum_in_one_loop(terms, at, o) {
                continue;
            }
            if terms.iter().all(|t| t.axis + 1 < nd) {
                // No lane along the last axis: the run is one long row for every term.
                sum_terms(terms, at, o, cur, nxt);
                continue;
            }
            for j in 0..r {
                row_idx.copy_from_slice(&idx);
                if j > 0 {
                    row_idx[nd - 2] += j;
                }
                let row = RowAt {
                    idx: &row_idx,
                    base: (q + j) * n,
                    rows: 1,
                    ..at
                };
                sum_terms(terms, row, &mut o[j * n..(j + 1) * n], cur, nxt);
            }
        }
        // The next row after the run (a run never leaves its plane).
        q += r;
        if nd >= 2 {
            idx[nd - 2] += r - 1;
        }
        for a in (0..nd - 1).rev() {
            idx[a] += 1;
            if idx[a] < dims[a] {
                break;
            }
            idx[a] = 0;
        }
    }
}

/// `o = Σ terms` on the rows `at`, term by term: term 0 into a row buffer, each further term
/// added onto it as it is computed (into the other buffer), the last one straight into `o`.
fn sum_terms<A: GradientElement, S: Slot<A::Output>>(
    terms: &[RowTerm<'_, A, A::Real>],
    at: RowAt<'_>,
    o: &mut [S],
    cur: &mut Vec<A::Output>,
    nxt: &mut Vec<A::Output>,
) {
    let len = at.len();
    let last = terms.len().saturating_sub(1);
    for (j, t) in terms.iter().enumerate() {
        match (j == 0, j == last, t.subtract) {
            (true, true, _) => row_term(t, at, o, Put),
            (true, false, _) => row_term(t, at, &mut cur[..len], Put),
            (false, true, false) => row_term(t, at, o, Onto::<_, false>(&cur[..len])),
            (false, true, true) => row_term(t, at, o, Onto::<_, true>(&cur[..len])),
            (false, false, false) => row_term(t, at, &mut nxt[..len], Onto::<_, false>(&cur[..len])),
            (false, false, true) => row_term(t, at, &mut nxt[..len], Onto::<_, true>(&cur[..len])),
        }
        if j > 0 && j < last {
            std::mem::swap(cur, nxt);
        }
    }
}

/// The widest stencils [`sum_in_one_loop`] takes.
const ONE_LOOP_TAPS: usize = 9;

/// One term's taps on one row, as shifted rows of its input: tap `j` of point `k` reads
/// `f[start[j] + k]` with weight `w[j]`. For a term along the last axis these are the taps of
/// its interior points `lo..hi`; its other points keep their own rules.
struct RowTaps<'a, A, R> {
    f: &'a [A],
    start: [isize; ONE_LOOP_TAPS],
    w: [R; ONE_LOOP_TAPS],
    width: usize,
}

/// The taps of term `t` on the row `at`, when every point of the row (every interior point,
/// along the last axis) is a weighted sum of at most [`ONE_LOOP_TAPS`] shifted rows with the
/// same weights; `None` for NumPy's differences and for weights of their own at every point
/// of the row.
fn row_taps<'a, A: GradientElement>(t: &RowTerm<'a, A, A::Real>, at: RowAt<'_>) -> Option<RowTaps<'a, A, A::Real>> {
    let RowAt { idx, strides, base, .. } = at;
    let st = t.stencil;
    let mut taps = RowTaps {
        f: t.f,
        start: [0; ONE_LOOP_TAPS],
        w: [A::Real::zero(); ONE_LOOP_TAPS],
        width: 0,
    };
    let mut put = |offsets: &[isize], w: &dyn Fn(usize) -> A::Real, start: &dyn Fn(isize) -> isize| {
        if offsets.len() > ONE_LOOP_TAPS {
            return None;
        }
        for (j, &off) in offsets.iter().enumerate() {
            taps.start[j] = start(off);
            taps.w[j] = w(j);
        }
        taps.width = offsets.len();
        Some(())
    };
    if t.axis == idx.len() - 1 {
        let Interior::Taps { offsets, w } = &st.interior else {
            return None;
        };
        put(offsets, &|j| w[j], &|off| base as isize + off)?;
        return Some(taps);
    }
    let (i, s) = (idx[t.axis], strides[t.axis]);
    let start = |off: isize| (base - i * s + st.sample(i, off) * s) as isize;
    if (st.lo..st.hi).contains(&i) {
        match &st.interior {
            Interior::Taps { offsets, w } => put(offsets, &|j| w[j], &start)?,
            // Weights of their own at every point along the axis: the same along the row.
            Interior::PerPoint { offsets, w } => put(offsets, &|j| w[j][i - st.lo], &start)?,
            Interior::Uniform { .. } => return None,
        }
    } else {
        match st.edges.iter().find(|(p, _)| *p == i) {
            Some((_, Rule::Weighted { offsets, w })) => put(offsets, &|j| w[j], &start)?,
            _ => return None,
        }
    }
    Some(taps)
}

/// The sum of 2 or 3 terms of equal width on one row in one loop over its points
/// ([`terms_fixed`]), without the row buffers of the general path; the few points at the ends
/// of the row where a term along the last axis has edge rules are summed point by point, in
/// the same order. The same bits as the general path; `false` (nothing written) when the
/// terms are not of that kind.
fn sum_in_one_loop<A: GradientElement, S: Slot<A::Output>>(
    terms: &[RowTerm<'_, A, A::Real>],
    at: RowAt<'_>,
    o: &mut [S],
) -> bool {
    let t = terms.len();
    let n = at.n;
    let last = at.idx.len() - 1;
    if !(2..=3).contains(&t) {
        return false;
    }
    let mut taps: [Option<RowTaps<'_, A, A::Real>>; 3] = [None, None, None];
    // The points where every term along the last axis uses its interior taps.
    let mut inner = 0..n;
    for (slot, term) in taps.iter_mut().zip(terms) {
        let Some(row) = row_taps(term, at) else {
            return false;
        };
        // The ends of the row below take weighted edge rules only (the only kind next to an
        // interior of taps).
        let weighted_edges = || {
            term.stencil
                .edges
                .iter()
                .all(|(_, rule)| matches!(rule, Rule::Weighted { offsets, .. } if offsets.len() <= MAX_TAPS))
        };
        if term.axis == last && !weighted_edges() {
            return false;
        }
        if term.axis == last {
            inner = inner.start.max(term.stencil.lo)..inner.end.min(term.stencil.hi);
        }
        *slot = Some(row);
    }
    let taps: [&RowTaps<'_, A, A::Real>; 3] = std::array::from_fn(|s| taps[s.min(t - 1)].as_ref().expect("set above"));
    let width = taps[0].width;
    if inner.is_empty() || taps[..t].iter().any(|r| r.width != width) {
        return false;
    }
    let subtract: [bool; 3] = std::array::from_fn(|s| s < t && terms[s].subtract);
    // One loop from the first row's first inner point to the last row's last: the points
    // between rows, at the ends of rows, get a value here that is then replaced below (every
    // tap they read is still inside the run's rows).
    let (from, m) = (inner.start as isize, (at.rows - 1) * n + inner.len());
    let oi = &mut o[inner.start..inner.start + m];
    macro_rules! shapes {
        ($($t:literal $w:literal),*) => {
            match (t, width) {
                $(($t, $w) => crate::simd::wide(#[inline(always)] || {
                    let x: [[&[A]; $w]; $t] = std::array::from_fn(|s| {
                        std::array::from_fn(|j| &taps[s].f[(taps[s].start[j] + from) as usize..][..m])
                    });
                    let w: [[A::Real; $w]; $t] = std::array::from_fn(|s| std::array::from_fn(|j| taps[s].w[j]));
                    terms_fixed::<$w, $t, A, S, Put>(oi, x, w, std::array::from_fn(|s| subtract[s]), Put)
                }),)*
                _ => return false,
            }
        };
    }
    shapes!(2 2, 2 3, 2 4, 2 5, 2 6, 2 7, 2 8, 2 9, 3 2, 3 3, 3 4, 3 5, 3 6, 3 7, 3 8, 3 9);
    // The ends of each row: each term as its own path computes it (its edge rule, or its
    // interior taps), then added in term order. The taps of an end point are found once, for
    // every row of the run: `(index in the first row, weight)`.
    let mut ends: [([usize; MAX_TAPS], [A::Real; MAX_TAPS], usize); 3] =
        [([0; MAX_TAPS], [A::Real::zero(); MAX_TAPS], 0); 3];
    for k in (0..inner.start).chain(inner.end..n) {
        for (s, (term, (at_j, w_j, width_s))) in terms.iter().zip(ends.iter_mut()).enumerate() {
            let st = term.stencil;
            let rule = (term.axis == last && !(st.lo..st.hi).contains(&k)).then(|| {
                let (_, rule) = st
                    .edges
                    .iter()
                    .find(|(p, _)| *p == k)
                    .expect("every point outside lo..hi has a rule");
                rule
            });
            match rule {
                Some(Rule::Weighted { offsets, w }) => {
                    for (j, (&off, &w)) in offsets.iter().zip(w).enumerate() {
                        at_j[j] = at.base + st.sample(k, off);
                        w_j[j] = w;
                    }
                    *width_s = offsets.len();
                }
                Some(Rule::Difference { .. }) => {
                    unreachable!("the edges of a term along the last axis are weighted here")
                }
                None => {
                    let row = taps[s];
                    for j in 0..width {
                        at_j[j] = (row.start[j] + k as isize) as usize;
                        w_j[j] = row.w[j];
                    }
                    *width_s = width;
                }
            }
        }
        for r in 0..at.rows {
            let shift = r * n;
            let term_at = |s: usize| {
                let (at_j, w_j, width_s) = &ends[s];
                weighted_sum(*width_s, |j| (terms[s].f[at_j[j] + shift].to_output(), w_j[j]))
            };
            let mut sum = term_at(0);
            for (s, &sub) in subtract.iter().enumerate().take(t).skip(1) {
                sum = if sub { sum - term_at(s) } else { sum + term_at(s) };
            }
            o[shift + k].put(sum);
        }
    }
    true
}

/// Where a run of rows sits: the multi-index of its first row, the strides, its memory offset,
/// the length of a row and the number of rows (next to each other along the second-to-last
/// axis, where every term not along the last axis reads them as one long row).
#[derive(Clone, Copy)]
struct RowAt<'a> {
    idx: &'a [usize],
    strides: &'a [usize],
    base: usize,
    n: usize,
    rows: usize,
}

impl RowAt<'_> {
    /// The points of the run.
    fn len(&self) -> usize {
        self.rows * self.n
    }
}

/// One term on the row `at` into `dst`, finished by `fin`.
fn row_term<A: GradientElement, S: Slot<A::Output>, F: Finish<A::Output>>(
    t: &RowTerm<'_, A, A::Real>,
    at: RowAt<'_>,
    dst: &mut [S],
    fin: F,
) {
    let RowAt { idx, strides, base, .. } = at;
    let st = t.stencil;
    let a = t.axis;
    if a == idx.len() - 1 {
        debug_assert_eq!(at.rows, 1, "a lane is one row");
        return lane(&t.f[base..base + at.n], dst, 0, st, fin);
    }
    let n = at.len();
    let i = idx[a];
    let s = strides[a];
    // The row at position `g` along `a`, the other indices those of this row.
    let row = |g: usize| {
        let off = base - i * s + g * s;
        &t.f[off..off + n]
    };
    let difference_of = |dst: &mut [S], lo: &[A], hi: &[A], d: A::Real| {
        let fin = fin.within(dst.len());
        with_quotient!(A::Output, d, |q| {
            for (k, (o, (lo, hi))) in dst.iter_mut().zip(lo.iter().zip(hi)).enumerate() {
                o.put(fin.at(k, difference(lo.to_output(), hi.to_output(), q)));
            }
        })
    };
    let weighted_at = |dst: &mut [S], offsets: &[isize], w: &[A::Real]| {
        let rows = |j: usize| row(st.sample(i, offsets[j]));
        weighted_rows_of(dst, offsets.len(), rows, RowWeights::Same(w), fin)
    };
    if (st.lo..st.hi).contains(&i) {
        match &st.interior {
            Interior::Uniform { two_h } => difference_of(dst, row(i - 1), row(i + 1), *two_h),
            Interior::Taps { offsets, w } => weighted_at(dst, offsets, w),
            Interior::PerPoint { offsets, w } => {
                // Point i's weights, the same along the row (on the stack up to MAX_TAPS taps).
                let (mut here, mut wider) = ([A::Real::zero(); MAX_TAPS], Vec::new());
                let here = if w.len() <= MAX_TAPS {
                    for (h, wj) in here.iter_mut().zip(w) {
                        *h = wj[i - st.lo];
                    }
                    &here[..w.len()]
                } else {
                    wider.extend(w.iter().map(|wj| wj[i - st.lo]));
                    &wider[..]
                };
                weighted_at(dst, offsets, here)
            }
        }
    } else {
        let (_, rule) = st
            .edges
            .iter()
            .find(|(p, _)| *p == i)
            .expect("every point outside lo..hi has a rule");
        match rule {
            Rule::Weighted { offsets, w } => weighted_at(dst, offsets, w),
            Rule::Difference { lo, hi, d, .. } => {
                difference_of(dst, row(st.sample(i, *lo)), row(st.sample(i, *hi)), *d)
            }
        }
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

/// Entry points for other modules' tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// `Σ_j w_j · x_j[k]` through the tap-summing loop, into a new vector.
    pub(crate) fn weighted_rows_for_test(x: &[&[f64]], w: &[f64]) -> Vec<f64> {
        let mut o = vec![0.0; x[0].len()];
        weighted_rows(&mut o, x, RowWeights::Same(w), Put);
        o
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{ArrayD, IxDyn, ShapeBuilder};

    use super::*;
    use crate::alloc::alloc_like;
    use crate::diff::diff_into_view;
    use crate::options::{AxisSettings, Boundary, EdgeOrder, Spacing};
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
                    let schemes = [
                        (None, 1, false),
                        (Some(2), 1, false),
                        (Some(4), 1, false),
                        (Some(4), 3, false),
                        (None, 1, true),
                        (Some(6), 2, true),
                    ];
                    for (spacing, edge, (accuracy, derivative, periodic)) in spacings.iter().flat_map(|s| {
                        [EdgeOrder::First, EdgeOrder::Second]
                            .into_iter()
                            .flat_map(move |e| schemes.into_iter().map(move |k| (s, e, k)))
                    }) {
                        let boundary = match (periodic, spacing) {
                            (false, _) => Boundary::OneSided,
                            (true, Spacing::Uniform(_)) => Boundary::Periodic,
                            (true, Spacing::Coordinates(x)) => Boundary::Period(2.0 * x[n - 1] - x[0] + 1.0),
                        };
                        let settings = AxisSettings {
                            spacing: spacing.clone(),
                            edge_order: edge,
                            accuracy,
                            derivative,
                            boundary,
                        };
                        let Ok(stencil) = AxisStencil::new(axis.index(), n, &settings) else {
                            continue; // too short for this stencil
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
                                assert_eq!(missed, 0, "gradient {shape:?} axis {axis:?} {settings:?}");
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

    /// Every stencil the options can make, at the widest derivative order and accuracy, on
    /// uniform, coordinate and periodic axes, fits the loops unrolled up to [`MAX_TAPS`] taps
    /// (and the one-loop sums take only up to [`ONE_LOOP_TAPS`]): the point-by-point
    /// fallbacks beyond it are there for safety, not speed.
    #[test]
    fn widest_stencils_fit_the_unrolled_loops() {
        use crate::coefficients::{MAX_ACCURACY, MAX_DERIVATIVE};
        let n = 64;
        let x = ndarray::Array1::from_shape_fn(n, |i| i as f64 + 0.25 * (i as f64 * 0.7).sin());
        let mut widest = 0;
        for derivative in 1..=MAX_DERIVATIVE {
            for accuracy in (2..=MAX_ACCURACY).step_by(2) {
                for (spacing, boundary) in [
                    (Spacing::Uniform(1.0), Boundary::OneSided),
                    (Spacing::Uniform(1.0), Boundary::Periodic),
                    (Spacing::Coordinates(x.view()), Boundary::OneSided),
                    (Spacing::Coordinates(x.view()), Boundary::Period(x[n - 1] - x[0] + 1.0)),
                ] {
                    let settings = AxisSettings {
                        spacing,
                        edge_order: EdgeOrder::First,
                        accuracy: Some(accuracy),
                        derivative,
                        boundary,
                    };
                    let st = AxisStencil::new(0, n, &settings).expect("64 points are enough");
                    let edges = st.edges.iter().map(|(_, rule)| match rule {
                        Rule::Weighted { offsets, .. } => offsets.len(),
                        Rule::Difference { .. } => 2,
                    });
                    widest = edges.chain([st.interior.offsets().len()]).fold(widest, usize::max);
                }
            }
        }
        assert!(widest <= MAX_TAPS, "a stencil of {widest} taps");
        assert!(widest > ONE_LOOP_TAPS, "the widest stencil is {widest} taps");
    }

    /// The point-by-point fallback of [`weighted_rows_of`] (stencils wider than [`MAX_TAPS`],
    /// which no option makes) is the same sum as the unrolled loops.
    #[test]
    fn stencils_wider_than_the_unrolled_loops_are_the_same_sum() {
        let t = MAX_TAPS + 3;
        let n = 37;
        let rows: Vec<Vec<f64>> = (0..t)
            .map(|j| (0..n).map(|k| ((j * 31 + k * 7) as f64 * 0.13).sin()).collect())
            .collect();
        let w: Vec<f64> = (0..t).map(|j| 1.0 / (j as f64 + 1.5)).collect();
        let per_point: Vec<Vec<f64>> = (0..t)
            .map(|j| (0..n).map(|k| w[j] * (1.0 + k as f64 * 1e-3)).collect())
            .collect();
        let per_point_rows: Vec<&[f64]> = per_point.iter().map(|r| &r[..]).collect();
        for (weights, at) in [
            (
                RowWeights::Same(&w),
                &(|_: usize, j: usize| w[j]) as &dyn Fn(usize, usize) -> f64,
            ),
            (RowWeights::PerPoint(&per_point_rows), &|k, j| per_point[j][k]),
        ] {
            let mut o = vec![0.0; n];
            weighted_rows_of(&mut o, t, |j| &rows[j][..], weights, Put);
            for (k, &v) in o.iter().enumerate() {
                let mut sum = rows[0][k] * at(k, 0);
                for (j, row) in rows.iter().enumerate().skip(1) {
                    sum += row[k] * at(k, j);
                }
                assert_eq!(v.to_bits(), sum.to_bits(), "point {k}");
            }
        }
    }

    /// The row engine writes every point of every output (`alloc::new_arrays_like` relies on
    /// it): all axes in one pass, counted, on arrays large enough to take that path.
    #[test]
    fn one_pass_writes_every_point_of_every_output() {
        for shape in [&[150usize, 120][..], &[4, 5, 900], &[12, 10, 150], &[3, 2, 30, 100]] {
            let c = ArrayD::from_shape_fn(IxDyn(shape), |i| i.slice().iter().sum::<usize>() as f64);
            let fo = {
                let mut a = ArrayD::zeros(IxDyn(shape).f());
                a.assign(&c);
                a
            };
            for (l, f) in [c, fo].into_iter().enumerate() {
                // The row engine needs rows of 64 points or more along the innermost axis.
                let fits = if l == 0 {
                    shape[shape.len() - 1] >= 64
                } else {
                    shape[0] >= 64
                };
                for (accuracy, derivative, periodic) in [
                    (None, 1, false),
                    (Some(4), 2, false),
                    (Some(2), 1, true),
                    (Some(8), 3, false),
                ] {
                    let stencils: Result<Vec<AxisStencil<f64>>, _> = (0..shape.len())
                        .map(|k| {
                            let settings = AxisSettings {
                                spacing: Spacing::Uniform(0.5),
                                edge_order: EdgeOrder::First,
                                accuracy,
                                derivative,
                                boundary: if periodic {
                                    Boundary::Periodic
                                } else {
                                    Boundary::OneSided
                                },
                            };
                            AxisStencil::new(k, shape[k], &settings)
                        })
                        .collect();
                    let Ok(stencils) = stencils else {
                        continue; // an axis too short for this stencil
                    };
                    let axes: Vec<(Axis, &AxisStencil<f64>)> =
                        stencils.iter().enumerate().map(|(k, s)| (Axis(k), s)).collect();
                    for threshold in [0, usize::MAX] {
                        let mut outs: Vec<ArrayD<Count>> =
                            (0..shape.len()).map(|_| alloc_like(&f.view(), None)).collect();
                        let views = outs.iter_mut().map(|o| o.view_mut()).collect();
                        let done = with_parallel_threshold(threshold, || {
                            crate::operators::each_axis_in_one_pass(f.view(), &axes, views).is_ok()
                        });
                        assert_eq!(done, fits, "{shape:?} layout {l}: the one-pass path taken");
                        if !done {
                            continue;
                        }
                        for (k, out) in outs.iter().enumerate() {
                            let missed = out.iter().filter(|c| c.0 == 0).count();
                            assert_eq!(missed, 0, "{shape:?} output {k} {accuracy:?} {derivative} {periodic}");
                        }
                    }
                }
            }
        }
    }
}
