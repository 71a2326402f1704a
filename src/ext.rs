//! The extension trait: `gradient` and `diff` as methods on ndarray arrays.

use ndarray::{Array, ArrayBase, ArrayRef, Axis, Data, Dimension, RemoveAxis};

use crate::alloc::{as_f32_view, new_array_like};
use num_traits::Float;

use crate::derived::{self, Hessian};
use crate::diff;
use crate::dims::{self, GradientDim};
use crate::element::{DiffElement, GradientElement, IntoF32};
use crate::error::GradientError;
use crate::gradient;
use crate::operators;
use crate::options::{GradientOptions, Pad};
use crate::plan::{AxesPlan, FixedOrder, check_axes_count, check_output_count, check_output_shape};

mod private {
    pub trait Sealed {}
    impl<S: ndarray::Data, D> Sealed for ndarray::ArrayBase<S, D> {}
    impl<A, D> Sealed for ndarray::ArrayRef<A, D> {}
}

/// NumPy's `np.gradient` and `np.diff` as methods on any ndarray array.
///
/// Implemented for [`ArrayBase`] with any data that can be read (`Array`, `ArrayView`,
/// `ArrayViewMut`, `ArcArray`, `CowArray`) and for [`ArrayRef`] (ndarray 0.17's recommended
/// parameter type, `&ArrayRef<A, D>`), of any dimensionality, `IxDyn` included. The trait is
/// sealed. Bring it into scope with `use ndarray_gradient::ArrayGradientExt;`.
///
/// Every method returns `Err(GradientError)` for bad input and never panics on it.
///
/// ```
/// use ndarray::{array, ArrayRef2, Axis};
/// use ndarray_gradient::ArrayGradientExt;
///
/// // np.gradient(f, axis=0) in a function that takes ndarray 0.17's `&ArrayRef`
/// fn rate(r: &ArrayRef2<f64>) -> ndarray::Array2<f64> {
///     r.gradient_axis(Axis(0)).unwrap()
/// }
/// assert_eq!(rate(&array![[1.0, 2.0], [4.0, 8.0]]), array![[3.0, 6.0], [3.0, 6.0]]);
/// ```
///
/// # `diff` and ndarray's own `diff`
///
/// ndarray 0.17 has an inherent `diff(n, axis)` on [`ArrayRef`], which panics when
/// `n >= len` and returns the array, not a `Result`. On every array type above
/// (`Array`, views, `ArcArray`, `CowArray`, and references to them) method lookup finds this
/// trait's `diff` first, so `a.diff(1, Axis(0))` is this crate's. On a bare `&ArrayRef` (a
/// function parameter typed `&ArrayRef<A, D>`) the inherent method wins over any trait's, so
/// `r.diff(..)` is ndarray's; call this crate's as `r.view().diff(..)` or
/// `ArrayGradientExt::diff(r, ..)`. Every other method of this trait has no namesake in
/// ndarray and works on `&ArrayRef` directly.
///
/// ```
/// use ndarray::{array, Array1, ArrayRef1, Axis};
/// use ndarray_gradient::{ArrayGradientExt, GradientError};
///
/// fn steps(r: &ArrayRef1<i32>) -> Result<Array1<i32>, GradientError> {
///     let ours: Result<Array1<i32>, GradientError> = r.view().diff(1, Axis(0));
///     let same = ArrayGradientExt::diff(r, 1, Axis(0));
///     let ndarrays: Array1<i32> = r.diff(1, Axis(0)); // inherent: no Result, panics if n >= len
///     assert_eq!(ours, same);
///     assert_eq!(ours.as_ref().unwrap(), &ndarrays);
///     ours
/// }
/// assert_eq!(steps(&array![1, 4, 9]).unwrap(), array![3, 5]);
/// // On an array the method is this crate's: n >= len is an empty result, not a panic.
/// let a = array![1, 4, 9];
/// assert_eq!(a.diff(5, Axis(0)).unwrap().len(), 0);
/// assert_eq!((&a).diff(5, Axis(0)).unwrap().len(), 0);
/// ```
pub trait ArrayGradientExt<A, D: Dimension>: private::Sealed {
    /// The gradient along every axis with unit spacing and first-order edges:
    /// `np.gradient(f)`. One array per axis, in axis order: `[Array; N]` for an array of
    /// static dimension, so `let [dy, dx] = f.gradient()?;` destructures, and a `Vec` for
    /// `IxDyn` (see [`GradientDim`]); no results for a 0-d array.
    ///
    /// Interior points use central differences, `(f[i+1] - f[i-1]) / 2`, the two ends one-sided
    /// differences. Integer arrays are computed and returned in `f64`.
    ///
    /// # Errors
    ///
    /// [`GradientError::AxisTooShort`] if an axis has fewer than 2 points.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::array;
    /// use ndarray_gradient::ArrayGradientExt;
    ///
    /// let f = array![[2, 5, 8], [3, 6, 9], [4, 7, 10]];
    /// let g = f.gradient().unwrap(); // np.gradient(f)
    /// assert_eq!(g[0], array![[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]);
    /// assert_eq!(g[1], array![[3.0, 3.0, 3.0], [3.0, 3.0, 3.0], [3.0, 3.0, 3.0]]);
    ///
    /// // dy, dx = np.gradient(f)
    /// let [dy, dx] = f.gradient().unwrap();
    /// assert_eq!((dy[[0, 0]], dx[[0, 0]]), (1.0, 3.0));
    /// // An IxDyn array has as many results as axes, known at run time: a Vec.
    /// let g: Vec<_> = f.into_dyn().gradient().unwrap();
    /// assert_eq!(g.len(), 2);
    /// ```
    fn gradient(&self) -> Result<D::Gradients<A::Output>, GradientError>
    where
        A: GradientElement,
        D: GradientDim;

    /// The gradient along one axis with unit spacing and first-order edges:
    /// `np.gradient(f, axis=k)`.
    ///
    /// # Errors
    ///
    /// [`GradientError::AxisOutOfBounds`], [`GradientError::AxisTooShort`].
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::ArrayGradientExt;
    ///
    /// let f = array![2.0, 5.0, f64::NAN, 9.0, 12.0];
    /// let g = f.gradient_axis(Axis(0)).unwrap(); // np.gradient(f)
    /// assert_eq!(g[0], 3.0);
    /// assert!(g[1].is_nan() && g[3].is_nan());
    /// assert_eq!((g[2], g[4]), (2.0, 3.0));
    /// ```
    fn gradient_axis(&self, axis: Axis) -> Result<Array<A::Output, D>, GradientError>
    where
        A: GradientElement;

    /// The gradient with options: any spacing per axis, the order of the axes, the edge order.
    /// `np.gradient(f, *varargs, axis=..., edge_order=...)`. One array per axis, in the order
    /// of [`GradientOptions::axes`] (all axes in order if not set), returned as
    /// [`gradient`](Self::gradient) returns them: `[Array; N]` for a static dimension, a `Vec`
    /// for `IxDyn`.
    ///
    /// With a static dimension the options must list every axis (in any order), since the
    /// result has one array per axis; for a subset (NumPy's `axis=(1,)` on a 2-D array) call
    /// [`gradient_axes_with`](Self::gradient_axes_with), which returns a `Vec`, or
    /// [`gradient_axis_with`](Self::gradient_axis_with) for one axis. On `IxDyn` arrays any
    /// list is accepted, as by `gradient_axes_with`.
    ///
    /// # Errors
    ///
    /// [`GradientError::AxesCount`] for a static dimension whose axes the options do not all
    /// list; [`GradientError::AxisOutOfBounds`] and [`GradientError::RepeatedAxis`] for the axes;
    /// [`GradientError::InvalidSpacing`], [`GradientError::CoordinatesLength`],
    /// [`GradientError::CoordinatesNotFinite`], [`GradientError::CoordinatesNotMonotonic`] for
    /// the spacings; [`GradientError::AxisTooShort`]. Every argument is checked before any
    /// result is computed.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, EdgeOrder, GradientOptions};
    ///
    /// let f = array![[3.0, 7.0, 2.0], [8.0, 9.0, 1.0], [4.0, 6.0, 5.0]];
    /// // dx, dy = np.gradient(f, axis=(1, 0), edge_order=2)
    /// let opts = GradientOptions::new().axes([Axis(1), Axis(0)]).edge_order(EdgeOrder::Second);
    /// let [dx, dy] = f.gradient_with(&opts).unwrap();
    /// assert_eq!(dx.row(0), array![8.5, -0.5, -9.5]);
    /// assert_eq!(dy.column(0), array![9.5, 0.5, -8.5]);
    /// ```
    fn gradient_with(&self, opts: &GradientOptions<'_, A::Real>) -> Result<D::Gradients<A::Output>, GradientError>
    where
        A: GradientElement,
        D: GradientDim;

    /// The gradient along the axes of [`GradientOptions::axes`] (all by default), any number
    /// of them, as a `Vec` in that order: `np.gradient(f, *varargs, axis=(...))` with NumPy's
    /// tuple of any length. [`gradient_with`](Self::gradient_with) returns a fixed-size array
    /// instead where the dimension is static, and so needs every axis.
    ///
    /// # Errors
    ///
    /// As [`gradient_with`](Self::gradient_with), without [`GradientError::AxesCount`].
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    ///
    /// let f = array![[[1.0, 2.0], [4.0, 8.0]], [[3.0, 5.0], [9.0, 16.0]]];
    /// // dz, dx = np.gradient(f, 0.5, axis=(2, 0))
    /// let opts = GradientOptions::new().spacing(0.5).axes([Axis(2), Axis(0)]);
    /// let g = f.gradient_axes_with(&opts).unwrap();
    /// assert_eq!(g.len(), 2);
    /// assert_eq!(g[0][[1, 1, 0]], 14.0);
    /// assert_eq!(g[1][[1, 1, 0]], 10.0);
    /// // np.gradient(f, axis=()) is an empty tuple
    /// assert!(f.gradient_axes_with(&GradientOptions::new().axes([])).unwrap().is_empty());
    /// ```
    fn gradient_axes_with(
        &self,
        opts: &GradientOptions<'_, A::Real>,
    ) -> Result<Vec<Array<A::Output, D>>, GradientError>
    where
        A: GradientElement;

    /// The gradient along one axis with options: `np.gradient(f, h_or_x, axis=k,
    /// edge_order=...)`. The spacing is the one `opts` gives `axis`; `axis` takes the place of
    /// any [`GradientOptions::axes`] selection.
    ///
    /// # Errors
    ///
    /// As [`gradient_with`](Self::gradient_with).
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, EdgeOrder, GradientOptions};
    ///
    /// let f = array![1.0, 2.0, 4.0, 7.0, 11.0, 16.0];
    /// let x = array![0.0, 1.0, 1.5, 3.5, 4.0, 6.0];
    /// // np.gradient(f, x, edge_order=2)
    /// let opts = GradientOptions::new().coordinates(Axis(0), &x).edge_order(EdgeOrder::Second);
    /// let g = f.gradient_axis_with(Axis(0), &opts).unwrap();
    /// assert_eq!(g, array![-1.0, 2.9999999999999996, 3.5, 6.700000000000001, 6.899999999999999, -1.8999999999999968]);
    /// ```
    fn gradient_axis_with(
        &self,
        axis: Axis,
        opts: &GradientOptions<'_, A::Real>,
    ) -> Result<Array<A::Output, D>, GradientError>
    where
        A: GradientElement;

    /// [`gradient_axis_with`](Self::gradient_axis_with) written into `out`, an array of the
    /// input's shape and any memory layout, without allocating. NumPy has no `out=` for
    /// `gradient`.
    ///
    /// # Errors
    ///
    /// As [`gradient_with`](Self::gradient_with), and [`GradientError::OutputShape`] if `out`
    /// does not have the input's shape. On error `out` is unchanged.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{array, Array2, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    ///
    /// let f = array![[1.0, 2.0, 4.0], [2.0, 5.0, 9.0]];
    /// let mut out = Array2::zeros((2, 3));
    /// // out[...] = np.gradient(f, 0.5, axis=1)
    /// f.gradient_axis_into(Axis(1), &GradientOptions::new().spacing(0.5), &mut out).unwrap();
    /// assert_eq!(out, array![[2.0, 3.0, 4.0], [6.0, 7.0, 8.0]]);
    /// ```
    fn gradient_axis_into(
        &self,
        axis: Axis,
        opts: &GradientOptions<'_, A::Real>,
        out: &mut ArrayRef<A::Output, D>,
    ) -> Result<(), GradientError>
    where
        A: GradientElement;

    /// [`gradient_with`](Self::gradient_with) written into `outs`, one array per axis
    /// differentiated (in the same order), each of the input's shape and any layout.
    ///
    /// # Errors
    ///
    /// As [`gradient_with`](Self::gradient_with), [`GradientError::OutputCount`] if the number
    /// of outputs is not the number of axes, [`GradientError::OutputShape`] if one has the
    /// wrong shape. On error no output is changed.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{array, Array2};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    ///
    /// let f = array![[1.0, 2.0, 4.0], [2.0, 5.0, 9.0]];
    /// let (mut g0, mut g1) = (Array2::zeros((2, 3)), Array2::zeros((2, 3)));
    /// f.gradient_into(&GradientOptions::new(), &mut [&mut g0, &mut g1]).unwrap();
    /// assert_eq!(g0, array![[1.0, 3.0, 5.0], [1.0, 3.0, 5.0]]);
    /// assert_eq!(g1, array![[1.0, 1.5, 2.0], [3.0, 3.5, 4.0]]);
    /// ```
    fn gradient_into(
        &self,
        opts: &GradientOptions<'_, A::Real>,
        outs: &mut [&mut ArrayRef<A::Output, D>],
    ) -> Result<(), GradientError>
    where
        A: GradientElement;

    /// [`gradient_axis_with`](Self::gradient_axis_with) computed and returned in `f32`, for
    /// integer arrays (8- and 16-bit images above all) that would otherwise give `f64`:
    /// `np.gradient(f.astype(np.float32), axis=k)` without the converted copy. Spacings and
    /// coordinates are `f32`.
    ///
    /// # Errors
    ///
    /// As [`gradient_axis_with`](Self::gradient_axis_with).
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    ///
    /// let img = array![[0u8, 255, 0], [0, 255, 255]];
    /// let gx = img.gradient_axis_f32(Axis(1), &GradientOptions::new()).unwrap();
    /// assert_eq!(gx, array![[255.0f32, 0.0, -255.0], [255.0, 127.5, 0.0]]);
    /// ```
    fn gradient_axis_f32(&self, axis: Axis, opts: &GradientOptions<'_, f32>) -> Result<Array<f32, D>, GradientError>
    where
        A: IntoF32;

    /// [`gradient_with`](Self::gradient_with) computed and returned in `f32` (see
    /// [`gradient_axis_f32`](Self::gradient_axis_f32)), as `gradient_with` returns it: with a
    /// static dimension the options list every axis (for a subset, call `gradient_axis_f32`
    /// per axis).
    ///
    /// # Errors
    ///
    /// As [`gradient_with`](Self::gradient_with).
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::array;
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    ///
    /// let img = array![[10u16, 20], [30, 60]];
    /// let [gy, gx] = img.gradient_f32(&GradientOptions::new()).unwrap();
    /// assert_eq!(gy, array![[20.0f32, 40.0], [20.0, 40.0]]);
    /// assert_eq!(gx, array![[10.0f32, 10.0], [30.0, 30.0]]);
    /// ```
    fn gradient_f32(&self, opts: &GradientOptions<'_, f32>) -> Result<D::Gradients<f32>, GradientError>
    where
        A: IntoF32,
        D: GradientDim;

    /// The gradient along every axis of `opts` (all by default), stacked along a new leading
    /// axis: `np.stack(np.gradient(f))` without the copy (array-api#468), findiff's
    /// `Gradient`. Component `k` is the derivative along the `k`-th axis differentiated, with
    /// that axis's settings (spacing, accuracy, derivative order, boundary).
    ///
    /// # Errors
    ///
    /// As [`gradient_with`](Self::gradient_with).
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::array;
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    ///
    /// let f = array![[1.0, 2.0, 4.0], [2.0, 5.0, 9.0]];
    /// let g = f.gradient_stacked(&GradientOptions::new()).unwrap(); // np.stack(np.gradient(f))
    /// assert_eq!(g.shape(), &[2, 2, 3]);
    /// assert_eq!(g.index_axis(ndarray::Axis(0), 1), array![[1.0, 1.5, 2.0], [3.0, 3.5, 4.0]]);
    /// ```
    fn gradient_stacked(
        &self,
        opts: &GradientOptions<'_, A::Real>,
    ) -> Result<Array<A::Output, D::Larger>, GradientError>
    where
        A: GradientElement;

    /// The Laplacian `Σₖ ∂²f/∂xₖ²` over the axes of `opts` (all by default), each axis with its
    /// own spacing, accuracy and boundary (its derivative order is 2 whatever `opts` says):
    /// findiff's `Laplacian(h=[...], acc=p)`. Computed in one pass into a single output; the
    /// result equals the sum of the separate second-derivative calls, in axis order, bit for
    /// bit.
    ///
    /// # Errors
    ///
    /// As [`gradient_with`](Self::gradient_with).
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::Array2;
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    ///
    /// // f = x² + 3y² on a grid of spacing 0.5: ∇²f = 8 everywhere.
    /// let f = Array2::from_shape_fn((5, 6), |(i, j)| {
    ///     let (x, y) = (i as f64 * 0.5, j as f64 * 0.5);
    ///     x * x + 3.0 * y * y
    /// });
    /// let lap = f.laplacian(&GradientOptions::new().spacing(0.5)).unwrap();
    /// assert!(lap.iter().all(|&v| (v - 8.0).abs() < 1e-12));
    /// ```
    fn laplacian(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D>, GradientError>
    where
        A: GradientElement;

    /// [`laplacian`](Self::laplacian) written into `out` (the input's shape, any layout).
    ///
    /// # Errors
    ///
    /// As [`laplacian`](Self::laplacian), and [`GradientError::OutputShape`]. On error `out`
    /// is unchanged.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{array, Array1};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    ///
    /// let f = array![0.0, 1.0, 0.0, -1.0];
    /// let mut out = Array1::zeros(4);
    /// f.laplacian_into(&GradientOptions::new().boundary(ndarray_gradient::Boundary::Periodic), &mut out).unwrap();
    /// assert_eq!(out, array![0.0, -2.0, 0.0, 2.0]);
    /// ```
    fn laplacian_into(
        &self,
        opts: &GradientOptions<'_, A::Real>,
        out: &mut ArrayRef<A::Output, D>,
    ) -> Result<(), GradientError>
    where
        A: GradientElement;

    /// The divergence `Σₖ ∂Fₖ/∂xₖ` of a vector field stored with its components along a
    /// leading axis: `self` has shape `(k, n₀, …)` and component `c` is differentiated along
    /// the `c`-th axis of `opts` (all spatial axes by default). findiff's `Divergence`.
    /// Derivative order 1; accuracy, spacing and boundary per axis.
    ///
    /// **Axis numbers in `opts` are spatial axes**: the component axis (array axis 0) is not
    /// counted, so `Axis(0)` in `opts` is the field's array axis 1. [`gradient_with`](Self::gradient_with)
    /// on the same field counts every axis, the component axis included: options built for
    /// one and reused for the other put every per-axis setting (spacing, coordinates, accuracy,
    /// boundary) one axis off, and a Jacobian assembled that way is silently wrong.
    ///
    /// # Errors
    ///
    /// [`GradientError::FieldShape`] unless the leading axis has one component per axis; the
    /// errors of [`gradient_with`](Self::gradient_with) for the spatial axes.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{Array3, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    ///
    /// // F = (x, y) on a 4×5 grid: div F = 2.
    /// let field = Array3::from_shape_fn((2, 4, 5), |(c, i, j)| if c == 0 { i as f64 } else { j as f64 });
    /// let div = field.divergence(&GradientOptions::new()).unwrap();
    /// assert!(div.iter().all(|&v| v == 2.0));
    ///
    /// // Spacing 0.5 on spatial axis 0 (array axis 1, of length 4): ∂F₀/∂x₀ = 1 / 0.5.
    /// let opts = GradientOptions::new().axis_spacing(Axis(0), 0.5);
    /// assert!(field.divergence(&opts).unwrap().iter().all(|&v| v == 3.0));
    /// ```
    fn divergence(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D::Smaller>, GradientError>
    where
        A: GradientElement,
        D: RemoveAxis;

    /// [`divergence`](Self::divergence) written into `out` (the shape of one component).
    ///
    /// # Errors
    ///
    /// As [`divergence`](Self::divergence), and [`GradientError::OutputShape`].
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{Array2, Array3};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    /// let field = Array3::from_shape_fn((2, 4, 5), |(c, i, j)| if c == 0 { i as f64 } else { -(j as f64) });
    /// let mut div = Array2::ones((4, 5));
    /// field.divergence_into(&GradientOptions::new(), &mut div).unwrap();
    /// assert!(div.iter().all(|&v| v == 0.0));
    /// ```
    fn divergence_into(
        &self,
        opts: &GradientOptions<'_, A::Real>,
        out: &mut ArrayRef<A::Output, D::Smaller>,
    ) -> Result<(), GradientError>
    where
        A: GradientElement,
        D: RemoveAxis;

    /// The curl of a 3-D vector field of shape `(3, n₀, n₁, n₂)`:
    /// `(∂₁F₂ − ∂₂F₁, ∂₂F₀ − ∂₀F₂, ∂₀F₁ − ∂₁F₀)`, stacked the same way. findiff's `Curl`.
    /// Each axis has its own spacing, accuracy and boundary from `opts`.
    ///
    /// **Axis numbers in `opts` are spatial axes**: the component axis (array axis 0) is not
    /// counted, so `Axis(0)` in `opts` is the field's array axis 1. [`gradient_with`](Self::gradient_with)
    /// on the same field counts every axis, the component axis included: options built for
    /// one and reused for the other put every per-axis setting (spacing, coordinates, accuracy,
    /// boundary) one axis off, and a Jacobian assembled that way is silently wrong.
    ///
    /// # Errors
    ///
    /// [`GradientError::FieldShape`] unless the field has shape `(3, n₀, n₁, n₂)`; the errors
    /// of [`gradient_with`](Self::gradient_with) for the spatial axes.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{Array4, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    ///
    /// // A rigid rotation about axis 2, F = (−x₁, x₀, 0): curl F = (0, 0, 2).
    /// let field = Array4::from_shape_fn((3, 4, 4, 4), |(c, i, j, _)| match c {
    ///     0 => -(j as f64),
    ///     1 => i as f64,
    ///     _ => 0.0,
    /// });
    /// let curl = field.curl(&GradientOptions::new()).unwrap();
    /// assert!(curl.index_axis(Axis(0), 2).iter().all(|&v| v == 2.0));
    /// assert!(curl.index_axis(Axis(0), 0).iter().all(|&v| v == 0.0));
    /// ```
    fn curl(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D>, GradientError>
    where
        A: GradientElement,
        D: RemoveAxis;

    /// The scalar curl `∂₀F₁ − ∂₁F₀` of a 2-D vector field of shape `(2, n₀, n₁)`.
    ///
    /// **Axis numbers in `opts` are spatial axes**: the component axis (array axis 0) is not
    /// counted, so `Axis(0)` in `opts` is the field's array axis 1. [`gradient_with`](Self::gradient_with)
    /// on the same field counts every axis, the component axis included: options built for
    /// one and reused for the other put every per-axis setting (spacing, coordinates, accuracy,
    /// boundary) one axis off, and a Jacobian assembled that way is silently wrong.
    ///
    /// # Errors
    ///
    /// [`GradientError::FieldShape`] unless the field has shape `(2, n₀, n₁)`; the errors of
    /// [`gradient_with`](Self::gradient_with) for the spatial axes.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{Array3, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    /// let field = Array3::from_shape_fn((2, 5, 5), |(c, i, j)| if c == 0 { -(j as f64) } else { i as f64 });
    /// let w = field.scalar_curl(&GradientOptions::new()).unwrap();
    /// assert!(w.iter().all(|&v| v == 2.0));
    /// // Spacing 0.5 on spatial axis 1 (x₁, array axis 2): ∂₁F₀ = −1 / 0.5.
    /// let opts = GradientOptions::new().axis_spacing(Axis(1), 0.5);
    /// assert!(field.scalar_curl(&opts).unwrap().iter().all(|&v| v == 3.0));
    /// ```
    fn scalar_curl(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D::Smaller>, GradientError>
    where
        A: GradientElement,
        D: RemoveAxis;

    /// Every second partial derivative `∂²f/∂xᵢ∂xⱼ` along the axes of `opts` (all by default),
    /// each distinct one computed once: a [`Hessian`]. The diagonal entries are
    /// second-derivative stencils (findiff's `Diff(i)**2`); entry `(i, j)`, `i < j`, is
    /// `∂ᵢ(∂ⱼ f)`, findiff's `Diff(i) * Diff(j)` (edges included), as
    /// [`Operator`](crate::Operator) composes it. Spacing, coordinates, accuracy and boundary
    /// per axis as in [`gradient_with`](Self::gradient_with); give an accuracy order for
    /// findiff's default edges (`acc=2`: `.accuracy(2)`).
    ///
    /// # Errors
    ///
    /// Those of [`gradient_with`](Self::gradient_with) for each axis, for first and second
    /// derivatives; [`GradientError::ConflictingOptions`] for a derivative order in `opts` (the
    /// Hessian fixes its own) or an edge order (second derivatives take their edges from the
    /// accuracy order).
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{Array3, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions, Operator};
    ///
    /// let f = Array3::from_shape_fn((8, 9, 10), |(i, j, k)| ((i * j + k) as f64 * 0.1).sin());
    /// let opts = GradientOptions::new().spacing(0.1).accuracy(4);
    /// let h = f.hessian(&opts).unwrap();
    /// assert_eq!(h.into_entries().len(), 6); // (0,0) (0,1) (0,2) (1,1) (1,2) (2,2)
    /// // Entry (0, 2) is findiff's (Diff(0, 0.1, acc=4) * Diff(2, 0.1, acc=4))(f), bit for bit.
    /// let h = f.hessian(&opts).unwrap();
    /// let d02 = Operator::derivative(Axis(0), 1) * Operator::derivative(Axis(2), 1);
    /// assert_eq!(h.get(2, 0), Some(&d02.apply(&f, &opts).unwrap()));
    /// ```
    fn hessian(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Hessian<A::Output, D>, GradientError>
    where
        A: GradientElement;

    /// The Jacobian `J[c, k] = ∂F_c/∂x_k` of a vector field stored with its components along a
    /// leading axis: `self` has shape `(components, n₀, …)`, the result `(components, axes,
    /// n₀, …)`, one row per component and one column per spatial axis of `opts` (all by
    /// default). NumPy: `np.stack([np.stack(np.gradient(F[c])) for c in range(len(F))])`.
    ///
    /// **Axis numbers in `opts` are spatial axes**, as for [`divergence`](Self::divergence) and
    /// [`curl`](Self::curl): `Axis(0)` is the field's array axis 1. (Assembling a Jacobian from
    /// [`gradient_with`](Self::gradient_with) on the whole field counts the component axis too,
    /// and options reused between the two put every setting one axis off.)
    ///
    /// # Errors
    ///
    /// Those of [`gradient_with`](Self::gradient_with) for the spatial axes; a derivative order
    /// other than 1 in `opts` is [`GradientError::ConflictingOptions`].
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{Array3, Axis, s};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    ///
    /// // F = (x y, x + 3y) on a grid of spacing 0.5 along spatial axis 0 (x) and 1 along y.
    /// let field = Array3::from_shape_fn((2, 6, 7), |(c, i, j)| {
    ///     let (x, y) = (i as f64 * 0.5, j as f64);
    ///     if c == 0 { x * y } else { x + 3.0 * y }
    /// });
    /// // NumPy: J = np.stack([np.stack(np.gradient(F[c], 0.5, 1.0)) for c in range(2)])
    /// let opts = GradientOptions::new().axis_spacing(Axis(0), 0.5);
    /// let j = field.jacobian(&opts).unwrap();
    /// assert_eq!(j.shape(), &[2, 2, 6, 7]);
    /// assert_eq!(j[[0, 0, 2, 3]], 3.0); // ∂(xy)/∂x = y
    /// assert_eq!(j[[0, 1, 2, 3]], 1.0); // ∂(xy)/∂y = x
    /// assert!(j.slice(s![1, 1, .., ..]).iter().all(|&v| v == 3.0));
    /// // J[c, k] is np.gradient(F[c], 0.5, 1.0)[k], bit for bit
    /// let [d0, d1] = field.index_axis(Axis(0), 0).gradient_with(&opts).unwrap();
    /// assert_eq!((j.slice(s![0, 0, .., ..]), j.slice(s![0, 1, .., ..])), (d0.view(), d1.view()));
    /// ```
    fn jacobian(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D::Larger>, GradientError>
    where
        A: GradientElement,
        D: RemoveAxis;

    /// The gradient magnitude `√(Σₖ (∂f/∂xₖ)²)` over the axes of `opts` (all by default), in
    /// one pass that reads `f` about once and writes one array: NumPy's
    /// `np.sqrt(sum(g**2 for g in np.gradient(f)))` without the per-axis arrays, bit for bit
    /// (the squares added in axis order). Every option of [`gradient_with`](Self::gradient_with)
    /// applies. Real element types (integers read as `f64`); no axes give zeros.
    ///
    /// # Errors
    ///
    /// As [`gradient_with`](Self::gradient_with).
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::Array2;
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    ///
    /// // f = 3x + 4y: |∇f| = 5
    /// let f = Array2::from_shape_fn((50, 60), |(i, j)| 3.0 * i as f64 + 4.0 * j as f64);
    /// let m = f.gradient_magnitude(&GradientOptions::new()).unwrap();
    /// assert!(m.iter().all(|&v| v == 5.0));
    /// // NumPy: np.sqrt(sum(g**2 for g in np.gradient(f))), bit for bit
    /// let f = f.mapv(|v| (0.1 * v).sin());
    /// let [g0, g1] = f.gradient().unwrap();
    /// let m = f.gradient_magnitude(&GradientOptions::new()).unwrap();
    /// assert_eq!(m, (&g0 * &g0 + &g1 * &g1).mapv(f64::sqrt));
    /// ```
    fn gradient_magnitude(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D>, GradientError>
    where
        A: GradientElement,
        A::Output: Float;

    /// The `n`-th discrete difference along `axis`: `np.diff(a, n, axis)`.
    ///
    /// Computed as `n` repeated first differences, as NumPy does, so floating-point results
    /// are NumPy's bits. The element type is kept: integers wrap (two's complement, no panic in
    /// debug builds), `bool` uses XOR. `n == 0` returns a copy; `n >= len` returns an array
    /// with an empty `axis`.
    ///
    /// # Errors
    ///
    /// [`GradientError::ZeroDimensional`], [`GradientError::AxisOutOfBounds`].
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::ArrayGradientExt;
    ///
    /// let x = array![1, 2, 4, 7, 0];
    /// assert_eq!(x.diff(1, Axis(0)).unwrap(), array![1, 2, 3, -7]); // np.diff(x)
    /// assert_eq!(x.diff(2, Axis(0)).unwrap(), array![1, 1, -10]);  // np.diff(x, n=2)
    /// assert_eq!(x.diff(9, Axis(0)).unwrap().len(), 0);            // np.diff(x, n=9)
    /// let u = array![1u8, 0, 255, 3];
    /// assert_eq!(u.diff(1, Axis(0)).unwrap(), array![255, 255, 4]); // wraps, as NumPy
    /// ```
    fn diff(&self, n: usize, axis: Axis) -> Result<Array<A, D>, GradientError>
    where
        A: DiffElement;

    /// [`diff`](Self::diff) of the array with values put before and after it along `axis`:
    /// `np.diff(a, n, axis, prepend=..., append=...)`. See [`Pad`] for the shapes accepted.
    ///
    /// With `n == 0` the result is the padded array. (NumPy 2.x returns `a` and drops the
    /// padding there, numpy/numpy#23040.)
    ///
    /// # Errors
    ///
    /// As [`diff`](Self::diff), and [`GradientError::PadShape`] when a padding array does not
    /// fit.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, Pad};
    ///
    /// let x = array![[1.0, 3.0], [6.0, 10.0]];
    /// // np.diff(x, axis=0, prepend=0.0): undoes a cumulative sum
    /// let d = x.diff_with(1, Axis(0), Some(Pad::Scalar(0.0)), None).unwrap();
    /// assert_eq!(d, array![[1.0, 3.0], [5.0, 7.0]]);
    /// ```
    fn diff_with(
        &self,
        n: usize,
        axis: Axis,
        prepend: Option<Pad<'_, A, D>>,
        append: Option<Pad<'_, A, D>>,
    ) -> Result<Array<A, D>, GradientError>
    where
        A: DiffElement;

    /// [`diff`](Self::diff) written into `out`, whose shape must be the input's with `axis`
    /// shortened by `n` (to no less than 0); any memory layout.
    ///
    /// # Errors
    ///
    /// As [`diff`](Self::diff), and [`GradientError::OutputShape`].
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{array, Array1, Axis};
    /// use ndarray_gradient::ArrayGradientExt;
    ///
    /// let x = array![1.0, 2.0, 4.0, 7.0];
    /// let mut out = Array1::zeros(3);
    /// x.diff_into(1, Axis(0), &mut out).unwrap(); // np.diff(x, out=...) has no NumPy form
    /// assert_eq!(out, array![1.0, 2.0, 3.0]);
    /// ```
    fn diff_into(&self, n: usize, axis: Axis, out: &mut ArrayRef<A, D>) -> Result<(), GradientError>
    where
        A: DiffElement;
}

// The bodies live here, on `ArrayRef`, which every readable array dereferences to; the
// `ArrayBase` impl below only forwards, so each method is compiled once per element and
// dimension, not once per storage type too.
impl<A, D> ArrayGradientExt<A, D> for ArrayRef<A, D>
where
    D: Dimension,
{
    fn gradient(&self) -> Result<D::Gradients<A::Output>, GradientError>
    where
        A: GradientElement,
        D: GradientDim,
    {
        self.gradient_with(&GradientOptions::new())
    }

    fn gradient_axis(&self, axis: Axis) -> Result<Array<A::Output, D>, GradientError>
    where
        A: GradientElement,
    {
        self.gradient_axis_with(axis, &GradientOptions::new())
    }

    fn gradient_with(&self, opts: &GradientOptions<'_, A::Real>) -> Result<D::Gradients<A::Output>, GradientError>
    where
        A: GradientElement,
        D: GradientDim,
    {
        let plan = AxesPlan::of_options(self.shape(), opts, None)?;
        check_axes_count::<D>(plan.axes.len())?;
        Ok(dims::collect(gradient::gradient_owned(self.view(), &plan)))
    }

    fn gradient_axes_with(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Vec<Array<A::Output, D>>, GradientError>
    where
        A: GradientElement,
    {
        let plan = AxesPlan::of_options(self.shape(), opts, None)?;
        Ok(gradient::gradient_owned(self.view(), &plan))
    }

    fn gradient_axis_with(
        &self,
        axis: Axis,
        opts: &GradientOptions<'_, A::Real>,
    ) -> Result<Array<A::Output, D>, GradientError>
    where
        A: GradientElement,
    {
        let f = self.view();
        let plan = AxesPlan::new(f.shape(), &[axis], opts, None)?;
        Ok(new_array_like(&f, None, |out| {
            gradient::gradient_to(f.view(), &plan, vec![out])
        }))
    }

    fn gradient_axis_into(
        &self,
        axis: Axis,
        opts: &GradientOptions<'_, A::Real>,
        out: &mut ArrayRef<A::Output, D>,
    ) -> Result<(), GradientError>
    where
        A: GradientElement,
    {
        let plan = AxesPlan::new(self.shape(), &[axis], opts, None)?;
        check_output_shape(self.shape(), out.shape(), None, Some(axis))?;
        gradient::gradient_to(self.view(), &plan, vec![out.view_mut()]);
        Ok(())
    }

    fn gradient_into(
        &self,
        opts: &GradientOptions<'_, A::Real>,
        outs: &mut [&mut ArrayRef<A::Output, D>],
    ) -> Result<(), GradientError>
    where
        A: GradientElement,
    {
        let plan = AxesPlan::of_options(self.shape(), opts, None)?;
        check_output_count(plan.axes.len(), outs.len())?;
        for (i, (out, (axis, _))) in outs.iter().zip(&plan.axes).enumerate() {
            check_output_shape(self.shape(), out.shape(), Some(i), Some(*axis))?;
        }
        gradient::gradient_to(self.view(), &plan, outs.iter_mut().map(|o| o.view_mut()).collect());
        Ok(())
    }

    fn gradient_axis_f32(&self, axis: Axis, opts: &GradientOptions<'_, f32>) -> Result<Array<f32, D>, GradientError>
    where
        A: IntoF32,
    {
        as_f32_view(&self.view()).gradient_axis_with(axis, opts)
    }

    fn gradient_f32(&self, opts: &GradientOptions<'_, f32>) -> Result<D::Gradients<f32>, GradientError>
    where
        A: IntoF32,
        D: GradientDim,
    {
        as_f32_view(&self.view()).gradient_with(opts)
    }

    fn gradient_stacked(
        &self,
        opts: &GradientOptions<'_, A::Real>,
    ) -> Result<Array<A::Output, D::Larger>, GradientError>
    where
        A: GradientElement,
    {
        let plan = AxesPlan::of_options(self.shape(), opts, None)?;
        Ok(gradient::gradient_stacked(self.view(), &plan))
    }

    fn laplacian(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D>, GradientError>
    where
        A: GradientElement,
    {
        let f = self.view();
        let plan = AxesPlan::of_options(f.shape(), opts, Some(FixedOrder::LAPLACIAN))?;
        Ok(new_array_like(&f, None, |out| {
            operators::laplacian(&plan, f.view(), out)
        }))
    }

    fn laplacian_into(
        &self,
        opts: &GradientOptions<'_, A::Real>,
        out: &mut ArrayRef<A::Output, D>,
    ) -> Result<(), GradientError>
    where
        A: GradientElement,
    {
        let plan = AxesPlan::of_options(self.shape(), opts, Some(FixedOrder::LAPLACIAN))?;
        check_output_shape(self.shape(), out.shape(), None, None)?;
        operators::laplacian(&plan, self.view(), out.view_mut());
        Ok(())
    }

    fn divergence(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D::Smaller>, GradientError>
    where
        A: GradientElement,
        D: RemoveAxis,
    {
        let field = self.view();
        let plan = AxesPlan::divergence(field.shape(), opts)?;
        let component = field.index_axis(Axis(0), 0);
        Ok(new_array_like(&component, None, |out| {
            operators::divergence(&plan, field.view(), out)
        }))
    }

    fn divergence_into(
        &self,
        opts: &GradientOptions<'_, A::Real>,
        out: &mut ArrayRef<A::Output, D::Smaller>,
    ) -> Result<(), GradientError>
    where
        A: GradientElement,
        D: RemoveAxis,
    {
        let plan = AxesPlan::divergence(self.shape(), opts)?;
        check_output_shape(&self.shape()[1..], out.shape(), None, None)?;
        operators::divergence(&plan, self.view(), out.view_mut());
        Ok(())
    }

    fn curl(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D>, GradientError>
    where
        A: GradientElement,
        D: RemoveAxis,
    {
        let field = self.view();
        let plan = AxesPlan::curl(field.shape(), opts, 3)?;
        Ok(new_array_like(&field, None, |out| {
            operators::curl(&plan, field.view(), out)
        }))
    }

    fn scalar_curl(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D::Smaller>, GradientError>
    where
        A: GradientElement,
        D: RemoveAxis,
    {
        let field = self.view();
        let plan = AxesPlan::curl(field.shape(), opts, 2)?;
        let component = field.index_axis(Axis(0), 0);
        Ok(new_array_like(&component, None, |out| {
            operators::curl_component(&plan, &field, (0, 1), out)
        }))
    }

    fn hessian(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Hessian<A::Output, D>, GradientError>
    where
        A: GradientElement,
    {
        derived::hessian(self.view(), opts)
    }

    fn jacobian(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D::Larger>, GradientError>
    where
        A: GradientElement,
        D: RemoveAxis,
    {
        derived::jacobian(self.view(), opts)
    }

    fn gradient_magnitude(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D>, GradientError>
    where
        A: GradientElement,
        A::Output: Float,
    {
        derived::gradient_magnitude(self.view(), opts)
    }

    fn diff(&self, n: usize, axis: Axis) -> Result<Array<A, D>, GradientError>
    where
        A: DiffElement,
    {
        self.diff_with(n, axis, None, None)
    }

    fn diff_with(
        &self,
        n: usize,
        axis: Axis,
        prepend: Option<Pad<'_, A, D>>,
        append: Option<Pad<'_, A, D>>,
    ) -> Result<Array<A, D>, GradientError>
    where
        A: DiffElement,
    {
        let a = self.view();
        diff::check_axis(&a, axis)?;
        let padded = diff::pad(&a, axis, prepend, append)?;
        let a = padded.as_ref().map_or(a, |p| p.view());
        let len = diff::result_len(&a, n, axis);
        Ok(new_array_like(&a, Some((axis, len)), |out| {
            diff::diff_into_view(a.view(), n, axis, out)
        }))
    }

    fn diff_into(&self, n: usize, axis: Axis, out: &mut ArrayRef<A, D>) -> Result<(), GradientError>
    where
        A: DiffElement,
    {
        let a = self.view();
        diff::check_axis(&a, axis)?;
        let mut expected = a.shape().to_vec();
        expected[axis.index()] = diff::result_len(&a, n, axis);
        check_output_shape(&expected, out.shape(), None, Some(axis))?;
        diff::diff_into_view(a, n, axis, out.view_mut());
        Ok(())
    }
}

// Kept beside the `ArrayRef` impl so that `a.diff(..)` on an array is this crate's: method
// lookup tries `&ArrayBase` (this impl) before it dereferences to `ArrayRef`, whose inherent
// `diff` panics.
impl<A, S, D> ArrayGradientExt<A, D> for ArrayBase<S, D>
where
    S: Data<Elem = A>,
    D: Dimension,
{
    fn gradient(&self) -> Result<D::Gradients<A::Output>, GradientError>
    where
        A: GradientElement,
        D: GradientDim,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::gradient(self)
    }

    fn gradient_axis(&self, axis: Axis) -> Result<Array<A::Output, D>, GradientError>
    where
        A: GradientElement,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::gradient_axis(self, axis)
    }

    fn gradient_with(&self, opts: &GradientOptions<'_, A::Real>) -> Result<D::Gradients<A::Output>, GradientError>
    where
        A: GradientElement,
        D: GradientDim,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::gradient_with(self, opts)
    }

    fn gradient_axes_with(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Vec<Array<A::Output, D>>, GradientError>
    where
        A: GradientElement,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::gradient_axes_with(self, opts)
    }

    fn gradient_axis_with(
        &self,
        axis: Axis,
        opts: &GradientOptions<'_, A::Real>,
    ) -> Result<Array<A::Output, D>, GradientError>
    where
        A: GradientElement,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::gradient_axis_with(self, axis, opts)
    }

    fn gradient_axis_into(
        &self,
        axis: Axis,
        opts: &GradientOptions<'_, A::Real>,
        out: &mut ArrayRef<A::Output, D>,
    ) -> Result<(), GradientError>
    where
        A: GradientElement,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::gradient_axis_into(self, axis, opts, out)
    }

    fn gradient_into(
        &self,
        opts: &GradientOptions<'_, A::Real>,
        outs: &mut [&mut ArrayRef<A::Output, D>],
    ) -> Result<(), GradientError>
    where
        A: GradientElement,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::gradient_into(self, opts, outs)
    }

    fn gradient_axis_f32(&self, axis: Axis, opts: &GradientOptions<'_, f32>) -> Result<Array<f32, D>, GradientError>
    where
        A: IntoF32,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::gradient_axis_f32(self, axis, opts)
    }

    fn gradient_f32(&self, opts: &GradientOptions<'_, f32>) -> Result<D::Gradients<f32>, GradientError>
    where
        A: IntoF32,
        D: GradientDim,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::gradient_f32(self, opts)
    }

    fn gradient_stacked(
        &self,
        opts: &GradientOptions<'_, A::Real>,
    ) -> Result<Array<A::Output, D::Larger>, GradientError>
    where
        A: GradientElement,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::gradient_stacked(self, opts)
    }

    fn laplacian(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D>, GradientError>
    where
        A: GradientElement,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::laplacian(self, opts)
    }

    fn laplacian_into(
        &self,
        opts: &GradientOptions<'_, A::Real>,
        out: &mut ArrayRef<A::Output, D>,
    ) -> Result<(), GradientError>
    where
        A: GradientElement,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::laplacian_into(self, opts, out)
    }

    fn divergence(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D::Smaller>, GradientError>
    where
        A: GradientElement,
        D: RemoveAxis,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::divergence(self, opts)
    }

    fn divergence_into(
        &self,
        opts: &GradientOptions<'_, A::Real>,
        out: &mut ArrayRef<A::Output, D::Smaller>,
    ) -> Result<(), GradientError>
    where
        A: GradientElement,
        D: RemoveAxis,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::divergence_into(self, opts, out)
    }

    fn curl(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D>, GradientError>
    where
        A: GradientElement,
        D: RemoveAxis,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::curl(self, opts)
    }

    fn scalar_curl(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D::Smaller>, GradientError>
    where
        A: GradientElement,
        D: RemoveAxis,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::scalar_curl(self, opts)
    }

    fn hessian(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Hessian<A::Output, D>, GradientError>
    where
        A: GradientElement,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::hessian(self, opts)
    }

    fn jacobian(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D::Larger>, GradientError>
    where
        A: GradientElement,
        D: RemoveAxis,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::jacobian(self, opts)
    }

    fn gradient_magnitude(&self, opts: &GradientOptions<'_, A::Real>) -> Result<Array<A::Output, D>, GradientError>
    where
        A: GradientElement,
        A::Output: Float,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::gradient_magnitude(self, opts)
    }

    fn diff(&self, n: usize, axis: Axis) -> Result<Array<A, D>, GradientError>
    where
        A: DiffElement,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::diff(self, n, axis)
    }

    fn diff_with(
        &self,
        n: usize,
        axis: Axis,
        prepend: Option<Pad<'_, A, D>>,
        append: Option<Pad<'_, A, D>>,
    ) -> Result<Array<A, D>, GradientError>
    where
        A: DiffElement,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::diff_with(self, n, axis, prepend, append)
    }

    fn diff_into(&self, n: usize, axis: Axis, out: &mut ArrayRef<A, D>) -> Result<(), GradientError>
    where
        A: DiffElement,
    {
        <ArrayRef<A, D> as ArrayGradientExt<A, D>>::diff_into(self, n, axis, out)
    }
}
