//! `diff`'s first difference, `out[i] = f[i + 1] - f[i]` along an axis
//! ([`Walk::DifferenceLanes`](super::Walk::DifferenceLanes) lane by lane, or
//! [`Walk::DifferencePlanes`](super::Walk::DifferencePlanes) as two shifted stacks of planes),
//! and the in-place difference that `diff` repeats for `n ≥ 3` (one block of it).

use ndarray::{ArrayView, ArrayViewMut, Axis, Dimension, Slice, Zip};

use super::lanes::{slice, slice_mut};
use super::planes::map2_tiled;
use super::taps::Slot;
use crate::element::DiffElement;

/// The output points `first..first + out.len_of(axis)` of the first difference, lane by lane
/// (stride 1 along `axis` in `f` and `out`).
pub(super) fn difference_lanes<A: DiffElement, S: Slot<A>, D: Dimension>(
    f: ArrayView<'_, A, D>,
    mut out: ArrayViewMut<'_, S, D>,
    axis: Axis,
    first: usize,
) {
    let f = reads(f, &out, axis, first);
    Zip::from(out.lanes_mut(axis)).and(f.lanes(axis)).for_each(|o, fl| {
        let fl = slice(fl);
        for (o, (prev, next)) in slice_mut(o).iter_mut().zip(fl.iter().zip(&fl[1..])) {
            o.set(A::difference(*next, *prev));
        }
    });
}

/// The output points `first..first + out.len_of(axis)` of the first difference, from the two
/// stacks of planes `f[i]` and `f[i + 1]`.
pub(super) fn difference_planes<A: DiffElement, S: Slot<A>, D: Dimension>(
    f: ArrayView<'_, A, D>,
    out: ArrayViewMut<'_, S, D>,
    axis: Axis,
    first: usize,
) {
    let f = reads(f, &out, axis, first);
    let prev = f.slice_axis(axis, Slice::from(..-1));
    let next = f.slice_axis(axis, Slice::from(1..));
    map2_tiled(out, prev, next, axis, move |prev, next| A::difference(next, prev));
}

/// The samples the output points `first..first + m` read: `f[first..first + m + 1]`.
fn reads<'f, A, S, D: Dimension>(
    f: ArrayView<'f, A, D>,
    out: &ArrayViewMut<'_, S, D>,
    axis: Axis,
    first: usize,
) -> ArrayView<'f, A, D> {
    let m = out.len_of(axis);
    f.slice_axis_move(axis, Slice::from(first..first + m + 1))
}

/// Replaces `a[i]` by `a[i + 1] - a[i]` for every `i` but the last, in place along `axis`: the
/// second and later differences of `diff`, in a work array it owns (initialized memory). A
/// block of [`super::difference_in_place`], never cut along `axis` (each point reads the next
/// one before it is overwritten). `lanes`: stride 1 along `axis`, lane by lane; otherwise plane
/// by plane.
pub(super) fn difference_in_place_block<A: DiffElement, D: Dimension>(
    mut a: ArrayViewMut<'_, A, D>,
    axis: Axis,
    lanes: bool,
) {
    let m = a.len_of(axis);
    if m < 2 {
        return;
    }
    if lanes {
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
