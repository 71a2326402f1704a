//! Operators built from several derivatives: the Laplacian, the divergence and the curl. Each
//! is a sum of derivative terms that [`kernel::sum`] computes in one walk writing a single
//! output (which walk is the kernels' route): the result equals the separate derivative calls
//! added in the order of the terms, bit for bit, and the input is read from memory about once.

use ndarray::{ArrayView, ArrayViewMut, Axis, Dimension, RemoveAxis};

use crate::element::GradientElement;
use crate::kernel::{self, Slot, Term};
use crate::plan::AxesPlan;

/// The Laplacian: the planned axes' second derivatives (the plan's stencils), summed in axis
/// order.
pub(crate) fn laplacian<A, S, D>(plan: &AxesPlan<A::Real>, f: ArrayView<'_, A, D>, out: ArrayViewMut<'_, S, D>)
where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    let terms: Vec<_> = plan
        .axes
        .iter()
        .map(|(axis, stencil)| Term::new(f.view(), *axis, stencil))
        .collect();
    kernel::sum(&terms, out);
}

/// The divergence: component `c` of the field differentiated along the `c`-th planned axis.
pub(crate) fn divergence<A, S, D>(
    plan: &AxesPlan<A::Real>,
    field: ArrayView<'_, A, D>,
    out: ArrayViewMut<'_, S, D::Smaller>,
) where
    A: GradientElement,
    S: Slot<A::Output>,
    D: RemoveAxis,
{
    let terms: Vec<_> = plan
        .axes
        .iter()
        .enumerate()
        .map(|(c, (axis, stencil))| Term::new(field.index_axis(Axis(0), c), *axis, stencil))
        .collect();
    kernel::sum(&terms, out);
}

/// One component of the curl, `∂(i) F(j) − ∂(j) F(i)`, into `out`.
pub(crate) fn curl_component<A, S, D>(
    plan: &AxesPlan<A::Real>,
    field: &ArrayView<'_, A, D>,
    (i, j): (usize, usize),
    out: ArrayViewMut<'_, S, D::Smaller>,
) where
    A: GradientElement,
    S: Slot<A::Output>,
    D: RemoveAxis,
{
    let term = |axis: usize, c: usize, subtract: bool| Term {
        subtract,
        ..Term::new(field.index_axis(Axis(0), c), Axis(axis), plan.stencil(axis))
    };
    kernel::sum(&[term(i, j, false), term(j, i, true)], out);
}

/// The three components of a 3-D curl: `(∂1F2 − ∂2F1, ∂2F0 − ∂0F2, ∂0F1 − ∂1F0)`.
pub(crate) fn curl<A, S, D>(plan: &AxesPlan<A::Real>, field: ArrayView<'_, A, D>, mut out: ArrayViewMut<'_, S, D>)
where
    A: GradientElement,
    S: Slot<A::Output>,
    D: RemoveAxis,
{
    for (c, pair) in [(1, 2), (2, 0), (0, 1)].into_iter().enumerate() {
        curl_component(plan, &field, pair, out.index_axis_mut(Axis(0), c));
    }
}
