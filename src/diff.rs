//! `np.diff`: repeated first differences, with optional padding.

use ndarray::{Array, ArrayView, ArrayViewMut, Axis, Dimension, Slice};

use crate::alloc::alloc_like;
use crate::element::DiffElement;
use crate::error::{GradientError, PadSide};
use crate::kernel::{self, Slot, difference_in_place};
use crate::options::Pad;

/// Checks the axis of a `diff` call.
pub(crate) fn check_axis<A, D: Dimension>(a: &ArrayView<'_, A, D>, axis: Axis) -> Result<(), GradientError> {
    if a.ndim() == 0 {
        return Err(GradientError::ZeroDimensional);
    }
    GradientError::check_axis(axis.index(), a.ndim())
}

/// `np.concatenate([prepend, a, append], axis)`, after checking the padding shapes; `None`
/// when there is no padding.
pub(crate) fn pad<A: DiffElement, D: Dimension>(
    a: &ArrayView<'_, A, D>,
    axis: Axis,
    prepend: Option<Pad<'_, A, D>>,
    append: Option<Pad<'_, A, D>>,
) -> Result<Option<Array<A, D>>, GradientError> {
    if prepend.is_none() && append.is_none() {
        return Ok(None);
    }
    let len_of = |side: PadSide, p: &Pad<'_, A, D>| -> Result<usize, GradientError> {
        match p {
            Pad::Scalar(_) => Ok(1),
            Pad::Array(v) => {
                let fits = v.ndim() == a.ndim()
                    && (0..a.ndim()).all(|k| k == axis.index() || v.len_of(Axis(k)) == a.len_of(Axis(k)));
                if fits {
                    Ok(v.len_of(axis))
                } else {
                    Err(GradientError::PadShape {
                        side,
                        axis: axis.index(),
                        expected: a.shape().to_vec(),
                        got: v.shape().to_vec(),
                    })
                }
            }
        }
    };
    let before = prepend.as_ref().map_or(Ok(0), |p| len_of(PadSide::Prepend, p))?;
    let after = append.as_ref().map_or(Ok(0), |p| len_of(PadSide::Append, p))?;
    let len = a.len_of(axis);
    let mut joined: Array<A, D> = alloc_like(a, Some((axis, before + len + after)));
    joined.slice_axis_mut(axis, Slice::from(before..before + len)).assign(a);
    fill_slab(&mut joined, axis, prepend, 0, before);
    fill_slab(&mut joined, axis, append, before + len, after);
    Ok(Some(joined))
}

/// Writes one padding into `joined[start..start + count]` along `axis`.
fn fill_slab<A: DiffElement, D: Dimension>(
    joined: &mut Array<A, D>,
    axis: Axis,
    part: Option<Pad<'_, A, D>>,
    start: usize,
    count: usize,
) {
    let mut slab = joined.slice_axis_mut(axis, Slice::from(start..start + count));
    match part {
        Some(Pad::Scalar(v)) => slab.fill(v),
        Some(Pad::Array(v)) => slab.assign(&v),
        None => {}
    }
}

/// The shape of `diff(a, n, axis)`.
pub(crate) fn result_len<A, D: Dimension>(a: &ArrayView<'_, A, D>, n: usize, axis: Axis) -> usize {
    a.len_of(axis).saturating_sub(n)
}

/// Writes the `n`-th difference of `a` along `axis` into `out`, whose shape has been checked.
pub(crate) fn diff_into_view<A: DiffElement, S: Slot<A>, D: Dimension>(
    a: ArrayView<'_, A, D>,
    n: usize,
    axis: Axis,
    out: ArrayViewMut<'_, S, D>,
) {
    let len = a.len_of(axis);
    if n == 0 {
        return kernel::copy(a, out);
    }
    if n >= len {
        return; // the result is empty along `axis`
    }
    if n == 1 {
        kernel::first_difference(a, out, axis);
        return;
    }
    // n repeated first differences, NumPy's definition: one full pass each, in one buffer.
    let mut work: Array<A, D> = alloc_like(&a, Some((axis, len - 1)));
    kernel::first_difference(a, work.view_mut(), axis);
    for k in 2..n {
        difference_in_place(work.slice_axis_mut(axis, Slice::from(..len - k + 1)), axis);
    }
    let last = work.slice_axis(axis, Slice::from(..len - n + 1));
    kernel::first_difference(last, out, axis);
}
