//! `np.gradient`: the derivative along each planned axis, into new arrays or the caller's.
//! Which walk computes each output is the kernels' route ([`crate::kernel`]).

use ndarray::{Array, ArrayView, ArrayViewMut, Axis, Dimension};

use crate::alloc::{new_arrays_like, new_stacked_like};
use crate::element::GradientElement;
use crate::kernel::{self, Slot, Term};
use crate::plan::AxesPlan;

/// The derivative along every planned axis, each in a new array laid out like `f`.
pub(crate) fn gradient_owned<A: GradientElement, D: Dimension>(
    f: ArrayView<'_, A, D>,
    plan: &AxesPlan<A::Real>,
) -> Vec<Array<A::Output, D>> {
    new_arrays_like(&f, plan.axes.len(), |outs| gradient_to(f.view(), plan, outs))
}

/// The derivative along every planned axis stacked along a new leading axis, each component
/// laid out like `f`.
pub(crate) fn gradient_stacked<A: GradientElement, D: Dimension>(
    f: ArrayView<'_, A, D>,
    plan: &AxesPlan<A::Real>,
) -> Array<A::Output, D::Larger> {
    new_stacked_like(&f, plan.axes.len(), |mut out| {
        let components = out
            .axis_iter_mut(Axis(0))
            .map(|c| {
                c.into_dimensionality::<D>()
                    .expect("a component has the input's dimensionality")
            })
            .collect();
        gradient_to(f.view(), plan, components);
    })
}

/// The derivative along every planned axis into `outs` (one per axis, shapes checked).
pub(crate) fn gradient_to<A: GradientElement, S: Slot<A::Output>, D: Dimension>(
    f: ArrayView<'_, A, D>,
    plan: &AxesPlan<A::Real>,
    outs: Vec<ArrayViewMut<'_, S, D>>,
) {
    // One axis (`gradient_axis`): its term on the stack, one allocation fewer in a call whose
    // fixed cost matters on small arrays.
    if let [(axis, stencil)] = &plan.axes[..] {
        return kernel::derivatives(&[Term::new(f, *axis, stencil)], outs);
    }
    let terms: Vec<Term<'_, A, D, A::Real>> = plan
        .axes
        .iter()
        .map(|(axis, stencil)| Term::new(f.view(), *axis, stencil))
        .collect();
    kernel::derivatives(&terms, outs);
}
