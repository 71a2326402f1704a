//! Validating a call before any work is done: options and a shape become the axes in output
//! order, each with its stencil ([`AxesPlan`]), and the outputs given to an `_into` call are
//! checked against the result. Used by the gradient, the operators and [`BlockPlan`](crate::BlockPlan).

use ndarray::Axis;
use num_traits::Float;

use crate::error::GradientError;
use crate::options::{AxisSettings, Boundary, GradientOptions};
use crate::stencil::AxisStencil;

/// An operator that fixes the derivative order of its terms: its name (for error messages) and
/// that order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FixedOrder {
    pub(crate) name: &'static str,
    pub(crate) derivative: usize,
}

impl FixedOrder {
    pub(crate) const LAPLACIAN: FixedOrder = FixedOrder {
        name: "laplacian",
        derivative: 2,
    };
    pub(crate) const DIVERGENCE: FixedOrder = FixedOrder {
        name: "divergence",
        derivative: 1,
    };
    pub(crate) const JACOBIAN: FixedOrder = FixedOrder {
        name: "jacobian",
        derivative: 1,
    };
    pub(crate) const CURL: FixedOrder = FixedOrder {
        name: "curl",
        derivative: 1,
    };
}

/// A validated call: the axes in output order, each with its stencil.
#[derive(Clone, Debug)]
pub(crate) struct AxesPlan<R> {
    pub(crate) axes: Vec<(Axis, AxisStencil<R>)>,
}

impl<R: Float> AxesPlan<R> {
    /// Checks every argument of a call on an array of `shape` that differentiates `axes`, then
    /// builds their stencils: the axes (in range, not repeated), then every setting the options
    /// give an axis of its own (also for axes not differentiated in this call), then each
    /// axis's length against its stencil. An `operator` fixes the derivative order of every
    /// axis: a different one given in the options is refused, as are options that another
    /// option makes meaningless ([`conflict`]).
    pub(crate) fn new(
        shape: &[usize],
        axes: &[Axis],
        opts: &GradientOptions<'_, R>,
        operator: Option<FixedOrder>,
    ) -> Result<Self, GradientError> {
        let ndim = shape.len();
        for (i, &axis) in axes.iter().enumerate() {
            GradientError::check_axis(axis.index(), ndim)?;
            if axes[..i].contains(&axis) {
                return Err(GradientError::RepeatedAxis { axis: axis.index() });
            }
        }
        let settings = |axis: Axis| {
            let mut settings = opts.settings_of(axis);
            conflict(axis, &settings, operator)?;
            if let Some(op) = operator {
                settings.derivative = op.derivative;
            }
            Ok::<_, GradientError>(settings)
        };
        for axis in opts.configured_axes() {
            GradientError::check_axis(axis.index(), ndim)?;
            AxisStencil::check_settings(axis.index(), shape[axis.index()], &settings(axis)?)?;
        }
        let mut plan = AxesPlan {
            axes: Vec::with_capacity(axes.len()),
        };
        for &axis in axes {
            let stencil = AxisStencil::new(axis.index(), shape[axis.index()], &settings(axis)?)?;
            plan.axes.push((axis, stencil));
        }
        Ok(plan)
    }

    /// The axes of the options ([`GradientOptions::axes`], all by default) of an array of
    /// `shape`, with the options' derivative order or `derivative`.
    pub(crate) fn of_options(
        shape: &[usize],
        opts: &GradientOptions<'_, R>,
        operator: Option<FixedOrder>,
    ) -> Result<Self, GradientError> {
        let all: Vec<Axis>;
        let axes = match opts.get_axes() {
            Some(list) => list,
            None => {
                all = (0..shape.len()).map(Axis).collect();
                &all
            }
        };
        Self::new(shape, axes, opts, operator)
    }

    /// The divergence of a field of shape `(k, n₀, …)`: the options' axes of the spatial shape,
    /// one per component.
    pub(crate) fn divergence(field: &[usize], opts: &GradientOptions<'_, R>) -> Result<Self, GradientError> {
        let spatial = field.get(1..).unwrap_or_default();
        let components = opts.get_axes().map_or(spatial.len(), <[Axis]>::len);
        check_field(field, components, spatial.len())?;
        Self::of_options(spatial, opts, Some(FixedOrder::DIVERGENCE))
    }

    /// The curl of a field of `spatial` components over `spatial` axes (3, or 2 for the scalar
    /// curl): every spatial axis, first derivatives.
    pub(crate) fn curl(field: &[usize], opts: &GradientOptions<'_, R>, spatial: usize) -> Result<Self, GradientError> {
        check_field(field, spatial, spatial)?;
        let axes: Vec<Axis> = (0..spatial).map(Axis).collect();
        Self::new(&field[1..], &axes, opts, Some(FixedOrder::CURL))
    }

    /// The stencil of the `j`-th axis.
    pub(crate) fn stencil(&self, j: usize) -> &AxisStencil<R> {
        &self.axes[j].1
    }
}

/// `Err(ConflictingOptions)` where an option given for `axis` has no meaning beside another:
/// a derivative order other than the operator's, or an edge order beside an accuracy order, a
/// derivative order above 1 (whose stencils take their edges from the accuracy order) or a
/// periodic boundary (no edges).
fn conflict<R>(axis: Axis, s: &AxisSettings<'_, R>, operator: Option<FixedOrder>) -> Result<(), GradientError> {
    let refuse = |option, with| {
        Err(GradientError::ConflictingOptions {
            axis: axis.index(),
            option,
            with,
        })
    };
    if let Some(op) = operator
        && s.derivative_given
        && s.derivative != op.derivative
    {
        return refuse("derivative", op.name);
    }
    if !s.edge_order_given {
        return Ok(());
    }
    if s.accuracy.is_some() {
        return refuse("edge_order", "accuracy");
    }
    match operator {
        Some(op) if op.derivative > 1 => return refuse("edge_order", op.name),
        None if s.derivative > 1 => return refuse("edge_order", "derivative"),
        _ => {}
    }
    if !matches!(s.boundary, Boundary::OneSided) {
        return refuse("edge_order", "boundary");
    }
    Ok(())
}

/// Checks the shape of a vector field: `components` along the leading axis, and `spatial` axes
/// after it.
fn check_field(shape: &[usize], components: usize, spatial: usize) -> Result<(), GradientError> {
    if shape.len() != spatial + 1 || shape[0] != components || components == 0 {
        return Err(GradientError::FieldShape {
            components,
            shape: shape.to_vec(),
        });
    }
    Ok(())
}

/// `Err(AxesCount)` unless a call that returns one result per axis of a `D` (a fixed-size
/// array for a static dimension) computes exactly that many; any count for `IxDyn`.
pub(crate) fn check_axes_count<D: ndarray::Dimension>(count: usize) -> Result<(), GradientError> {
    match D::NDIM {
        Some(ndim) if ndim != count => Err(GradientError::AxesCount { ndim, axes: count }),
        _ => Ok(()),
    }
}

/// `Err(OutputCount)` unless `got` outputs were given for `expected` results.
pub(crate) fn check_output_count(expected: usize, got: usize) -> Result<(), GradientError> {
    if expected != got {
        return Err(GradientError::OutputCount { expected, got });
    }
    Ok(())
}

/// `Err(OutputShape)` unless an output has the result's shape; `output` (which of several) and
/// `axis` (the one it is computed along) go into the error, to name the output to fix.
pub(crate) fn check_output_shape(
    expected: &[usize],
    got: &[usize],
    output: Option<usize>,
    axis: Option<Axis>,
) -> Result<(), GradientError> {
    if expected != got {
        return Err(GradientError::OutputShape {
            output,
            axis: axis.map(|a| a.index()),
            expected: expected.to_vec(),
            got: got.to_vec(),
        });
    }
    Ok(())
}

/// `Err(ConflictingOptions)` when `opts` give a derivative order to an operation that fixes
/// its own.
pub(crate) fn refuse_derivative<R: Float>(
    opts: &GradientOptions<'_, R>,
    ndim: usize,
    name: &'static str,
) -> Result<(), GradientError> {
    for axis in (0..ndim).map(Axis).chain(opts.configured_axes()) {
        if opts.settings_of(axis).derivative_given {
            return Err(GradientError::ConflictingOptions {
                axis: axis.index(),
                option: "derivative",
                with: name,
            });
        }
    }
    Ok(())
}
