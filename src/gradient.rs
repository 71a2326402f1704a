//! `np.gradient`: validating a call, then running one kernel per axis, or one pass over the
//! input for all axes of a large contiguous array.

use ndarray::{Array, ArrayRef, ArrayView, ArrayViewMut, Axis, Dimension};

use crate::alloc::{new_array_like, new_arrays_like};
use crate::element::GradientElement;
use crate::error::GradientError;
use crate::kernel::{GradientKernel, Slot, dispatch};
use crate::options::GradientOptions;
use crate::stencil::AxisStencil;

/// A validated call: the axes in output order, each with its stencil.
pub(crate) struct Plan<R> {
    pub(crate) axes: Vec<(Axis, AxisStencil<R>)>,
}

/// Checks the axes (in range, not repeated) and every spacing given, also for axes not
/// differentiated in this call.
pub(crate) fn check_call<A, D: Dimension, R: num_traits::Float>(
    f: &ArrayView<'_, A, D>,
    axes: &[Axis],
    opts: &GradientOptions<'_, R>,
) -> Result<(), GradientError> {
    check_shape_call(f.shape(), axes, opts, None)
}

/// [`check_call`] for an array of this shape; `derivative`, when given, is the operator's own
/// derivative order, which replaces the options' (a Laplacian ignores theirs).
pub(crate) fn check_shape_call<R: num_traits::Float>(
    shape: &[usize],
    axes: &[Axis],
    opts: &GradientOptions<'_, R>,
    derivative: Option<usize>,
) -> Result<(), GradientError> {
    let ndim = shape.len();
    for (i, &axis) in axes.iter().enumerate() {
        GradientError::check_axis(axis.index(), ndim)?;
        if axes[..i].contains(&axis) {
            return Err(GradientError::RepeatedAxis { axis: axis.index() });
        }
    }
    for axis in opts.configured_axes() {
        GradientError::check_axis(axis.index(), ndim)?;
        let mut settings = opts.settings_of(axis);
        if let Some(m) = derivative {
            settings.derivative = m;
        }
        AxisStencil::check_settings(axis.index(), shape[axis.index()], &settings)?;
    }
    Ok(())
}

pub(crate) fn stencil<A, D: Dimension, R: num_traits::Float>(
    f: &ArrayView<'_, A, D>,
    axis: Axis,
    opts: &GradientOptions<'_, R>,
) -> Result<AxisStencil<R>, GradientError> {
    AxisStencil::new(axis.index(), f.len_of(axis), &opts.settings_of(axis))
}

/// The stencil of a single-axis call, after checking the whole call.
pub(crate) fn single_axis<A, D: Dimension, R: num_traits::Float>(
    f: &ArrayView<'_, A, D>,
    axis: Axis,
    opts: &GradientOptions<'_, R>,
) -> Result<AxisStencil<R>, GradientError> {
    check_call(f, &[axis], opts)?;
    stencil(f, axis, opts)
}

impl<R: num_traits::Float> Plan<R> {
    /// Checks every argument before any work is done: axes (in range, not repeated), then the
    /// spacings, then each axis's length against the edge order.
    pub(crate) fn new<A, D: Dimension>(
        f: &ArrayView<'_, A, D>,
        axes: Option<&[Axis]>,
        opts: &GradientOptions<'_, R>,
    ) -> Result<Self, GradientError> {
        let all: Vec<Axis>;
        let axes = match axes {
            Some(list) => list,
            None => {
                all = (0..f.ndim()).map(Axis).collect();
                &all
            }
        };
        check_call(f, axes, opts)?;
        let axes = axes
            .iter()
            .map(|&axis| Ok((axis, stencil(f, axis, opts)?)))
            .collect::<Result<_, GradientError>>()?;
        Ok(Plan { axes })
    }
}

/// The gradient along one axis, in a new array laid out like `f`.
pub(crate) fn gradient_axis_owned<A: GradientElement, D: Dimension>(
    f: ArrayView<'_, A, D>,
    axis: Axis,
    stencil: &AxisStencil<A::Real>,
) -> Array<A::Output, D> {
    new_array_like(&f, None, |out| gradient_axis_to(f.view(), axis, stencil, out))
}

/// The gradient along one axis into `out`. Along a middle axis in memory (neither outermost
/// nor innermost) of a large contiguous array, the row engine computes each output row from
/// the shifted rows of its plane, which was measured faster there than the plane walk (256³,
/// axis 1, one thread, allocating: NumPy's interior 44 → 39 ms, accuracy 8 58 → 43 ms); along
/// the outermost axis the plane walk is faster (accuracy 8: 55 against 73 ms with the row
/// engine), and along the innermost the lanes are contiguous. The same bits either way.
pub(crate) fn gradient_axis_to<A: GradientElement, S: Slot<A::Output>, D: Dimension>(
    f: ArrayView<'_, A, D>,
    axis: Axis,
    stencil: &AxisStencil<A::Real>,
    out: ArrayViewMut<'_, S, D>,
) {
    // Only arrays of three or more axes have a middle axis (1-D and 2-D calls skip the lookup).
    let middle = f.ndim() >= 3 && {
        let order = crate::alloc::axes_by_decreasing_stride(f.shape(), f.strides());
        let p = order.iter().position(|&k| k == axis.index());
        p.is_some_and(|p| p > 0 && p + 1 < order.len())
    };
    let out = if middle {
        match crate::operators::each_axis_in_one_pass(f.view(), &[(axis, stencil)], vec![out]) {
            Ok(()) => return,
            Err(mut outs) => outs.pop().expect("the output given back"),
        }
    } else {
        out
    };
    dispatch(&GradientKernel { stencil }, f, out, axis)
}

/// The gradient along every planned axis, each in a new array laid out like `f`.
pub(crate) fn gradient_owned<A: GradientElement, D: Dimension>(
    f: ArrayView<'_, A, D>,
    plan: &Plan<A::Real>,
) -> Vec<Array<A::Output, D>> {
    if plan.axes.len() < 2 {
        return plan
            .axes
            .iter()
            .map(|(axis, stencil)| gradient_axis_owned(f.view(), *axis, stencil))
            .collect();
    }
    new_arrays_like(&f, plan.axes.len(), |outs| gradient_of_axes(f.view(), plan, outs))
}

/// The gradient along every planned axis into `outs`: all axes in one pass over the input
/// (the row engine) when the input and every output are contiguous in one memory order, else
/// each axis as its single-axis call computes it. Each point is computed by the same formulas
/// either way.
pub(crate) fn gradient_of_axes<A: GradientElement, S: Slot<A::Output>, D: Dimension>(
    f: ArrayView<'_, A, D>,
    plan: &Plan<A::Real>,
    outs: Vec<ArrayViewMut<'_, S, D>>,
) {
    let axes: Vec<(Axis, &AxisStencil<A::Real>)> = plan.axes.iter().map(|(a, s)| (*a, s)).collect();
    if let Err(outs) = crate::operators::each_axis_in_one_pass(f.view(), &axes, outs) {
        for ((axis, stencil), out) in plan.axes.iter().zip(outs) {
            gradient_axis_to(f.view(), *axis, stencil, out);
        }
    }
}

/// Checks that every output has the shape of `f`.
pub(crate) fn check_outputs<A, B, D: Dimension>(
    f: &ArrayView<'_, A, D>,
    outs: &[&mut ArrayRef<B, D>],
    expected_count: usize,
) -> Result<(), GradientError> {
    if outs.len() != expected_count {
        return Err(GradientError::OutputCount {
            expected: expected_count,
            got: outs.len(),
        });
    }
    for out in outs {
        if out.shape() != f.shape() {
            return Err(GradientError::OutputShape {
                expected: f.shape().to_vec(),
                got: out.shape().to_vec(),
            });
        }
    }
    Ok(())
}

/// The gradient along every planned axis, into the caller's arrays (shapes checked).
pub(crate) fn gradient_into<A: GradientElement, D: Dimension>(
    f: ArrayView<'_, A, D>,
    plan: &Plan<A::Real>,
    outs: &mut [&mut ArrayRef<A::Output, D>],
) {
    gradient_of_axes(f, plan, outs.iter_mut().map(|o| o.view_mut()).collect());
}
