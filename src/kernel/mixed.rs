//! The mixed partial of two central differences in one pass (the `fused` walk of
//! [`route::composed_steps`](super::route::composed_steps)): each interior output plane across
//! the outer axis is computed from the two input planes beside it, every point from the four
//! samples its two differences read ([`difference_of_differences`]), without the intermediate
//! derivative going through a buffer. The caller composes the edges (the planes and rows that
//! take an edge rule) on their own.

use ndarray::{ArrayView, ArrayViewMut, Axis, Dimension};

use super::taps::{Slot, difference_of_differences};
use crate::element::GradientElement;
use crate::stencil::{AxisStencil, Interior};

/// `∂outer ∂inner f` at the output planes `first..first + out.len_of(outer axis)` (interior
/// planes of the outer stencil), at every interior point of the inner stencil, into `out`.
///
/// `f` and `out` are contiguous with the same positive strides and the outer axis outermost in
/// memory, so that a plane is one run of memory and the inner stencil's neighbours are a fixed
/// distance away; both stencils are central differences ([`Interior::Uniform`]).
/// [`route::fuses_central_differences`](super::route::fuses_central_differences) takes this
/// walk only then. A plane's interior points along the inner axis are one run per index of the
/// axes outside it in memory: one run a plane when the inner axis comes right after the outer
/// one, one per row when it is the innermost.
pub(crate) fn central_differences<A, S, D>(
    f: ArrayView<'_, A, D>,
    mut out: ArrayViewMut<'_, S, D>,
    first: usize,
    (outer_axis, outer): (Axis, &AxisStencil<A::Real>),
    (inner_axis, inner): (Axis, &AxisStencil<A::Real>),
) where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    let (Interior::Uniform { two_h: outer_h }, Interior::Uniform { two_h: inner_h }) =
        (&outer.interior, &inner.interior)
    else {
        unreachable!("the route fuses central differences only")
    };
    let planes = out.len_of(outer_axis);
    let (plane, row) = (f.stride_of(outer_axis) as usize, f.stride_of(inner_axis) as usize);
    // The inner axis with the axes inside it in memory: `runs` of them in a plane.
    let span = f.len_of(inner_axis) * row;
    let runs = plane / span.max(1);
    let fs = f
        .as_slice_memory_order()
        .expect("the route fuses contiguous inputs only");
    let os = out
        .as_slice_memory_order_mut()
        .expect("planes across the outermost axis of a contiguous output");
    // A run's interior points, as offsets within its span.
    let (lo, hi) = (inner.lo * row, inner.hi * row);
    if lo >= hi {
        return;
    }
    with_quotient!(A::Output, *inner_h, |qi| {
        with_quotient!(A::Output, *outer_h, |qo| {
            for p in 0..planes {
                let i = first + p;
                for r in 0..runs {
                    let at = r * span + lo;
                    // The points one row before and after, in the planes before and after.
                    let rows = |q: usize| {
                        [
                            &fs[q * plane + at - row..][..hi - lo],
                            &fs[q * plane + at + row..][..hi - lo],
                        ]
                    };
                    let o = &mut os[p * plane + at..p * plane + r * span + hi];
                    difference_of_differences(o, rows(i - 1), rows(i + 1), qi, qo);
                }
            }
        })
    });
    #[cfg(test)]
    FUSED_PLANES.with(|n| n.set(n.get() + planes));
}

#[cfg(test)]
thread_local! {
    /// The planes [`central_differences`] computed on this thread, for the tests that check
    /// that a composition took this walk.
    pub(crate) static FUSED_PLANES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}
