//! The lane walks: along an axis whose stride is 1 in input and output, each lane is a slice.
//!
//! - [`Walk::Flat`](super::Walk::Flat) ([`lanes_end_to_end`]): the arrays are contiguous in
//!   one layout and the axis is innermost, so the lanes lie end to end in memory; the interior
//!   of a block of whole lanes is one pass, then the few end points of each lane are fixed.
//! - [`Walk::Lanes`](super::Walk::Lanes) ([`each_lane`]): lane by lane, each a slice.
//!
//! [`one_lane`] is also how the row engine computes a term along the last axis.

use std::ops::Range;

use ndarray::{ArrayView, ArrayViewMut, Axis, Dimension, Ix1, Zip};

use super::route::FLAT_BLOCK;
use super::taps::{AsComputed, Combine, Slot, TapWeights, difference_on_slice, stencil_on_slice};
use crate::element::GradientElement;
use crate::stencil::{AxisStencil, Interior};

/// The gradient of lanes that lie end to end in `f` and `o` (a stencil with the same weights
/// at every interior point), a block of whole lanes at a time: the interior of all the block's
/// lanes in one pass (the points near where a lane meets the next get a meaningless value
/// there), then the end points of each lane, overwriting them; every value is set through
/// `combine` at its index in `o`.
#[allow(clippy::type_complexity)]
pub(super) fn lanes_end_to_end<A: GradientElement, S: Slot<A::Output>, C: Combine<A::Output>>(
    f: &[A],
    o: &mut [S],
    st: &AxisStencil<A::Real>,
    combine: C,
) {
    let n = st.len;
    let block = n * (FLAT_BLOCK / n.max(1)).max(1);
    let (before, after) = interior_reach(st);
    let mut each_block = |interior: &dyn Fn(&[A], &mut [S], usize)| {
        for (b, (fb, ob)) in f.chunks(block).zip(o.chunks_mut(block)).enumerate() {
            if ob.len() > before + after {
                interior(fb, ob, b * block);
            }
            for (l, (fl, ol)) in fb.chunks(n).zip(ob.chunks_mut(n)).enumerate() {
                lane_edges(fl, ol, 0, st, combine.starting_at(b * block + l * n));
            }
        }
    };
    match &st.interior {
        Interior::Uniform { two_h } => with_quotient!(A::Output, *two_h, |q| each_block(&|fb, ob, at| {
            let m = ob.len();
            difference_on_slice(fb, &mut ob[1..m - 1], 1, q, combine.starting_at(at + 1))
        })),
        Interior::Taps { offsets, w } => each_block(&|fb, ob, at| {
            let m = ob.len();
            let o = &mut ob[before..m - after];
            let c = combine.starting_at(at + before);
            stencil_on_slice(o, fb, before, offsets, TapWeights::Shared(w), c)
        }),
        Interior::PerPoint { .. } => unreachable!("the route takes Flat only for weights shared by every point"),
    }
}

/// Lane by lane along `axis` (stride 1 in `f` and `out`): the output points
/// `first..first + out.len_of(axis)` of each lane, from the whole input lane.
pub(super) fn each_lane<A: GradientElement, S: Slot<A::Output>, D: Dimension>(
    f: ArrayView<'_, A, D>,
    mut out: ArrayViewMut<'_, S, D>,
    axis: Axis,
    first: usize,
    st: &AxisStencil<A::Real>,
) {
    let lanes = Zip::from(out.lanes_mut(axis)).and(f.lanes(axis));
    match &st.interior {
        // The quotient is chosen once per call, not per lane.
        Interior::Uniform { two_h } => with_quotient!(A::Output, *two_h, |q| {
            lanes.for_each(|o, fl| {
                let (fl, o) = (slice(fl), slice_mut(o));
                let r = interior(first, o.len(), st);
                difference_on_slice(fl, &mut o[r.start - first..r.end - first], r.start, q, AsComputed);
                lane_edges(fl, o, first, st, AsComputed);
            })
        }),
        _ => lanes.for_each(|o, fl| one_lane(slice(fl), slice_mut(o), first, st, AsComputed)),
    }
}

/// The output points `first..first + o.len()` of one lane, from the whole lane `f`.
pub(super) fn one_lane<A: GradientElement, S: Slot<A::Output>, C: Combine<A::Output>>(
    f: &[A],
    o: &mut [S],
    first: usize,
    st: &AxisStencil<A::Real>,
    combine: C,
) {
    let r = interior(first, o.len(), st);
    let oi = &mut o[r.start - first..r.end - first];
    let ci = combine.starting_at(r.start - first);
    match &st.interior {
        Interior::Uniform { two_h } => {
            with_quotient!(A::Output, *two_h, |q| difference_on_slice(f, oi, r.start, q, ci))
        }
        Interior::Taps { offsets, w } => stencil_on_slice(oi, f, r.start, offsets, TapWeights::Shared(w), ci),
        Interior::PerPoint { offsets, w } => {
            let weights = TapWeights::PerPoint {
                w,
                from: r.start - st.lo,
            };
            stencil_on_slice(oi, f, r.start, offsets, weights, ci)
        }
    }
    lane_edges(f, o, first, st, combine);
}

/// The edge points (outside `lo..hi`) that fall among the output points `first..first + o.len()`
/// of a lane.
fn lane_edges<A: GradientElement, S: Slot<A::Output>, C: Combine<A::Output>>(
    f: &[A],
    o: &mut [S],
    first: usize,
    st: &AxisStencil<A::Real>,
    combine: C,
) {
    let range = first..first + o.len();
    for (i, rule) in &st.edges {
        if range.contains(i) {
            let v = rule.apply(|off| f[st.sample(*i, off)].to_output());
            o[i - first].set(combine.combine(i - first, v));
        }
    }
}

/// How far the interior rule reaches before and after its point.
fn interior_reach<R: num_traits::Float>(st: &AxisStencil<R>) -> (usize, usize) {
    let offsets = st.interior.offsets();
    let before = offsets.iter().map(|&o| (-o).max(0) as usize).max().unwrap_or(0);
    let after = offsets.iter().map(|&o| o.max(0) as usize).max().unwrap_or(0);
    (before, after)
}

/// The interior points (`lo..hi`) among the output points `first..first + m`.
pub(super) fn interior<R>(first: usize, m: usize, st: &AxisStencil<R>) -> Range<usize> {
    let (a, b) = (first.max(st.lo), (first + m).min(st.hi));
    a..b.max(a)
}

pub(super) fn slice<'a, A>(lane: ArrayView<'a, A, Ix1>) -> &'a [A] {
    lane.to_slice().expect("the route checked that the stride is 1")
}

pub(super) fn slice_mut<'a, A>(lane: ArrayViewMut<'a, A, Ix1>) -> &'a mut [A] {
    lane.into_slice().expect("the route checked that the stride is 1")
}
