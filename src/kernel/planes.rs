//! The plane walk ([`Walk::Planes`](super::Walk::Planes)): along an axis that is not innermost
//! in memory (or whose lanes are too short to walk one by one), every output plane across the
//! axis is combined from the input planes its stencil reads, shifted along the axis: ndarray's
//! own pattern in `diff` and `accumulate_axis_inplace`. Each combination walks memory as
//! contiguously as the planes allow ([`map3`]); large planes are taken a tile at a time
//! ([`super::route::plane_tiles`]) so that the input planes a stencil shares with the next
//! planes are still in cache when they are read again. Contiguous planes across the outermost
//! axis are computed four at a time where the stencil, the planes' spacing and the L1 cache
//! allow ([`jammed_planes`], [`super::route::jams_planes`]), so that each input row is read
//! into the L1 cache once for the four.

use ndarray::{ArrayView, ArrayViewMut, Axis, Dimension, Ix1, Slice, Zip};

use super::lanes::{interior, slice, slice_mut};
use super::route::{jams_planes, plane_tiles};
use super::taps::{AsComputed, JAMMED_PLANES, Slot, TapWeights, jams, weighted_sum_of_rows, weighted_sums_of_planes};
use crate::element::GradientElement;
use crate::layout::innermost_axis;
use crate::stencil::{AxisStencil, Interior, Rule, add_term, difference, first_term, weighted};

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
pub(super) fn map3<A: Copy, T, S: Slot<T>, D: Dimension>(
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
    // Lanes along the output's innermost axis.
    let Some(k) = innermost_axis(out.shape(), out.strides()) else {
        // At most one element.
        return Zip::from(out)
            .and(x)
            .and(y)
            .and(z)
            .for_each(|o, &x, &y, &z| o.set(op(x, y, z)));
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
                .for_each(|o, &x, &y, &z| o.set(op(x, y, z)))
        });
    }
}

/// The slice loop of [`map3`]. A function of its own, with `op` by value, so that the compiler
/// knows `o` aliases nothing `op` reads: the coefficients stay in registers and the loop is
/// vectorized.
#[inline(always)]
fn map_slices<A: Copy, T, S: Slot<T>>(o: &mut [S], x: &[A], y: &[A], z: &[A], op: impl Fn(A, A, A) -> T) {
    for (o, ((&x, &y), &z)) in o.iter_mut().zip(x.iter().zip(y).zip(z)) {
        o.set(op(x, y, z));
    }
}

/// [`map2`] over shifted stacks of planes across `axis`, a tile of every plane at a time.
pub(super) fn map2_tiled<A: Copy, T, S: Slot<T>, D: Dimension>(
    mut out: ArrayViewMut<'_, S, D>,
    x: ArrayView<'_, A, D>,
    y: ArrayView<'_, A, D>,
    axis: Axis,
    op: impl Fn(A, A) -> T + Copy,
) {
    match plane_tiles(&out, axis) {
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
pub(super) fn store<T: Copy, S: Slot<T>, D: Dimension>(out: ArrayViewMut<'_, S, D>, acc: ArrayView<'_, T, D>) {
    let again = acc.clone();
    map2(out, acc, again, |a, _| a)
}

/// `out[i] = op(x[i], y[i])`: [`map3`] with two inputs.
#[inline(always)]
pub(super) fn map2<A: Copy, T, S: Slot<T>, D: Dimension>(
    out: ArrayViewMut<'_, S, D>,
    x: ArrayView<'_, A, D>,
    y: ArrayView<'_, A, D>,
    op: impl Fn(A, A) -> T + Copy,
) {
    let z = y.clone();
    map3(out, x, y, z, move |x, y, _| op(x, y))
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
        return weighted_sum_of_rows(os, xs.len(), |j| xs[j], TapWeights::Shared(w), AsComputed);
    }
    if let Some(k) = innermost_axis(out.shape(), out.strides())
        && out.stride_of(k) == 1
        && planes.iter().all(|p| p.stride_of(k) == 1)
    {
        // Row by row along the innermost axis, each row a slice.
        let rows: Vec<Vec<ArrayView<'_, A, Ix1>>> = planes.iter().map(|p| p.lanes(k).into_iter().collect()).collect();
        for (r, o) in out.lanes_mut(k).into_iter().enumerate() {
            let row = |j: usize| slice(rows[j][r].view());
            weighted_sum_of_rows(slice_mut(o), rows.len(), row, TapWeights::Shared(w), AsComputed);
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
    store(out, acc.view());
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

/// The plane walk: every output plane from the input planes its stencil reads.
pub(super) fn plane_walk<A: GradientElement, S: Slot<A::Output>, D: Dimension>(
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
        // Contiguous planes across the outermost axis: four output planes per pass.
        let mut jammed = r.start;
        let ps: usize = out.shape()[1..].iter().product();
        if axis.index() == 0
            && ps > 0
            && jams(offsets)
            && jams_planes(&[ps * size_of::<A>(), ps * size_of::<S>()], crate::cache::l1_data_ways)
            && f.shape()[1..] == out.shape()[1..]
            && let (Some(fs), Some(os)) = (f.as_slice(), out.as_slice_mut())
        {
            jammed = jammed_planes(os, fs, ps, first, r.clone(), offsets, &weights);
        }
        for (i, w) in (jammed..r.end).zip(&weights[jammed - r.start..]) {
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
    match plane_tiles(&out, axis) {
        Some((k, c)) => {
            for (o, fb) in out.axis_chunks_iter_mut(k, c).zip(f.axis_chunks_iter(k, c)) {
                run(o, fb);
            }
        }
        None => run(out.view_mut(), f),
    }
}

/// The interior planes `r` of [`tiled_planes`] on C-contiguous views across their outermost
/// axis, whose planes are contiguous runs of `ps` points (plane `i` of the output is plane
/// `i - first` of `os`, plane `k` of the input `fs[k * ps..][..ps]`): [`JAMMED_PLANES`] at a
/// time through [`weighted_sums_of_planes`]; returns the first plane not computed.
fn jammed_planes<A: GradientElement, S: Slot<A::Output>>(
    os: &mut [S],
    fs: &[A],
    ps: usize,
    first: usize,
    r: std::ops::Range<usize>,
    offsets: &[isize],
    weights: &[Vec<A::Real>],
) -> usize {
    let mut i = r.start;
    while i + JAMMED_PLANES <= r.end {
        let group = &mut os[(i - first) * ps..(i - first + JAMMED_PLANES) * ps];
        let mut planes = group.chunks_exact_mut(ps);
        let outs: [&mut [S]; JAMMED_PLANES] = std::array::from_fn(|_| planes.next().expect("a group's planes"));
        let plane = |d: isize| &fs[(i as isize + d) as usize * ps..][..ps];
        if !weighted_sums_of_planes(outs, offsets, plane, |p| &weights[i + p - r.start]) {
            return i; // no AVX2
        }
        #[cfg(test)]
        JAMMED_GROUPS.with(|n| n.set(n.get() + 1));
        i += JAMMED_PLANES;
    }
    i
}

#[cfg(test)]
thread_local! {
    /// The groups of planes [`jammed_planes`] computed on this thread, for the tests that check
    /// that a call took them.
    pub(super) static JAMMED_GROUPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}
