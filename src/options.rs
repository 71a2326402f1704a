//! The options that turn a call into any `np.gradient` / `np.diff` call form.

use ndarray::{ArrayView, Axis, CowArray, Ix1};
use num_traits::Float;

/// How the one-sided differences at the two ends of an axis are taken (NumPy's `edge_order`).
///
/// A type with exactly the two values NumPy supports: `edge_order=0`, `1.5` or `3` cannot be
/// written.
///
/// # Example
///
/// ```
/// use ndarray::{array, Axis};
/// use ndarray_gradient::{ArrayGradientExt, EdgeOrder, GradientOptions};
///
/// let f = array![1.0, 4.0, 9.0, 16.0];
/// // np.gradient(f, edge_order=2): exact for a quadratic at the ends too.
/// let opts = GradientOptions::new().edge_order(EdgeOrder::Second);
/// let g = f.gradient_axis_with(Axis(0), &opts).unwrap();
/// assert_eq!(g, array![2.0, 4.0, 6.0, 8.0]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum EdgeOrder {
    /// First-order one-sided differences (`edge_order=1`, NumPy's default). Needs 2 points.
    #[default]
    First,
    /// Second-order one-sided differences (`edge_order=2`). Needs 3 points.
    Second,
}

impl EdgeOrder {
    /// The fewest points an axis needs for this edge order (NumPy's `edge_order + 1`).
    ///
    /// ```
    /// use ndarray_gradient::EdgeOrder;
    /// assert_eq!(EdgeOrder::First.min_len(), 2);
    /// assert_eq!(EdgeOrder::Second.min_len(), 3);
    /// ```
    #[must_use]
    pub fn min_len(self) -> usize {
        match self {
            EdgeOrder::First => 2,
            EdgeOrder::Second => 3,
        }
    }
}

/// The sample spacing along one axis: one of NumPy's `varargs` entries.
///
/// Coordinates are a [`CowArray`]: borrowed (`x.view()`, `(&x).into()`) or owned
/// (`Array1::from(vec).into()`), so options that own their coordinates have no lifetime to
/// carry (`GradientOptions<'static, f64>`).
///
/// # Example
///
/// ```
/// use ndarray::{array, Axis};
/// use ndarray_gradient::{ArrayGradientExt, GradientOptions, Spacing};
///
/// let f = array![1.0, 2.0, 4.0, 7.0, 11.0, 16.0];
/// let x = array![0.0, 1.0, 1.5, 3.5, 4.0, 6.0];
/// // np.gradient(f, x)
/// let opts = GradientOptions::new().axis_spacing(Axis(0), Spacing::Coordinates(x.view().into()));
/// let g = f.gradient_axis_with(Axis(0), &opts).unwrap();
/// assert_eq!(g, array![1.0, 2.9999999999999996, 3.5, 6.700000000000001, 6.899999999999999, 2.5]);
/// // The same coordinates owned by the options:
/// let owned = GradientOptions::new().axis_spacing(Axis(0), Spacing::Coordinates(x.clone().into()));
/// assert_eq!(f.gradient_axis_with(Axis(0), &owned).unwrap(), g);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Spacing<'a, R> {
    /// The same distance between every pair of neighbours (a NumPy scalar). Must be finite and
    /// non-zero; it may be negative.
    Uniform(R),
    /// The coordinate of every point along the axis (a NumPy 1-D array). Must be finite and
    /// strictly increasing or strictly decreasing, one per point. When all the differences are
    /// exactly equal, NumPy's uniform formulas are used with the first difference, as NumPy
    /// does. Borrowed or owned.
    Coordinates(CowArray<'a, R, Ix1>),
}

/// The options of `np.gradient`: spacing per axis, the axes, and the edge order.
///
/// Built with chained calls; every setting has NumPy's default (unit spacing, all axes,
/// [`EdgeOrder::First`]). Spacing is given per axis by axis number, which expresses every
/// NumPy `varargs` form: a single scalar for all axes ([`spacing`](Self::spacing)), or a scalar
/// or coordinate array for any axis ([`axis_spacing`](Self::axis_spacing),
/// [`coordinates`](Self::coordinates)), mixed freely.
///
/// # Example
///
/// ```
/// use ndarray::{array, Axis};
/// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
///
/// let f = array![[1.0, 2.0, 6.0], [3.0, 4.0, 5.0]];
/// let x = array![1.0, 1.5, 3.5];
/// // np.gradient(f, 2., x)
/// let opts = GradientOptions::new()
///     .axis_spacing(Axis(0), 2.0)
///     .coordinates(Axis(1), &x);
/// let g = f.gradient_with(&opts).unwrap();
/// assert_eq!(g[0], array![[1.0, 1.0, -0.5], [1.0, 1.0, -0.5]]);
/// assert_eq!(g[1], array![[2.0, 2.0, 2.0], [2.0, 1.6999999999999993, 0.5]]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GradientOptions<'a, R> {
    spacing: R,
    per_axis: Vec<(Axis, Spacing<'a, R>)>,
    axes: Option<Vec<Axis>>,
    /// `None`: not given (NumPy's default, first order).
    edge_order: Option<EdgeOrder>,
    accuracy: Option<usize>,
    per_axis_accuracy: Vec<(Axis, usize)>,
    /// `None`: not given (first derivatives).
    derivative: Option<usize>,
    per_axis_derivative: Vec<(Axis, usize)>,
    boundary: Boundary<R>,
    per_axis_boundary: Vec<(Axis, Boundary<R>)>,
}

/// What a stencil does at the two ends of an axis.
///
/// # Example
///
/// ```
/// use ndarray::{array, Axis};
/// use ndarray_gradient::{ArrayGradientExt, Boundary, GradientOptions};
///
/// let f = array![0.0, 1.0, 0.0, -1.0]; // one period of a sampled sine
/// // np.gradient(np.pad(f, 1, mode="wrap"))[1:-1]
/// let opts = GradientOptions::new().axis_boundary(Axis(0), Boundary::Periodic);
/// assert_eq!(f.gradient_axis_with(Axis(0), &opts).unwrap(), array![1.0, 0.0, -1.0, 0.0]);
/// ```
// Non-exhaustive: findiff and SciPy have more boundary kinds (reflecting, mirrored) that may
// be added without breaking matches.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub enum Boundary<R> {
    /// One-sided stencils near the ends (NumPy's edges, or findiff's one-sided stencils of the
    /// same accuracy when an accuracy order is set).
    #[default]
    OneSided,
    /// The axis wraps around: the sample after the last is the first. With a uniform spacing
    /// `h` the period is `n · h`; coordinates need [`Boundary::PeriodicWithLength`].
    Periodic,
    /// Periodic with this period `L` (the length of one period along the axis, in the units of
    /// the spacing): the sample after `x[n-1]` is `x[0]` shifted by `L` (in the direction of
    /// the coordinates). With a uniform spacing `h`, the coordinates are taken as
    /// `0, h, 2h, …`, so a period other than `n · h` gives a non-uniform wrap step.
    /// [`GradientOptions::period`] sets it on one axis.
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, Boundary, GradientOptions};
    /// let x = array![0.0, 1.0, 3.0];
    /// let f = array![1.0, 2.0, 4.0];
    /// // Periodic with period 4: after x = 3 comes x = 4 (the first sample again).
    /// let opts = GradientOptions::new().coordinates(Axis(0), &x).axis_boundary(Axis(0), Boundary::PeriodicWithLength(4.0));
    /// let g = f.gradient_axis_with(Axis(0), &opts).unwrap();
    /// assert_eq!(g, f.gradient_axis_with(Axis(0), &GradientOptions::new().coordinates(Axis(0), &x).period(Axis(0), 4.0)).unwrap());
    /// ```
    PeriodicWithLength(R),
}

/// The settings that apply to one axis, after the per-axis choices override the defaults.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AxisSettings<'a, R> {
    pub(crate) spacing: Spacing<'a, R>,
    pub(crate) edge_order: EdgeOrder,
    pub(crate) accuracy: Option<usize>,
    pub(crate) derivative: usize,
    pub(crate) boundary: Boundary<R>,
    /// Whether the edge order and the derivative order were given (by the caller, for this
    /// axis or every axis) rather than left at their defaults: a given option that another
    /// option makes meaningless is refused ([`GradientError::ConflictingOptions`](crate::GradientError::ConflictingOptions)).
    pub(crate) edge_order_given: bool,
    pub(crate) derivative_given: bool,
}

impl<R: Float> Default for GradientOptions<'_, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R> From<R> for Spacing<'_, R> {
    fn from(h: R) -> Self {
        Spacing::Uniform(h)
    }
}

impl<'a, R: Float> GradientOptions<'a, R> {
    /// NumPy's defaults: `np.gradient(f)` (unit spacing on every axis, all axes, edge order 1).
    ///
    /// ```
    /// use ndarray::array;
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    /// let f = array![1.0, 2.0, 4.0, 7.0];
    /// assert_eq!(f.gradient_with(&GradientOptions::new()).unwrap(), f.gradient().unwrap());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        GradientOptions {
            spacing: R::one(),
            per_axis: Vec::new(),
            axes: None,
            edge_order: None,
            accuracy: None,
            per_axis_accuracy: Vec::new(),
            derivative: None,
            per_axis_derivative: Vec::new(),
            boundary: Boundary::OneSided,
            per_axis_boundary: Vec::new(),
        }
    }

    /// One scalar spacing for every axis that has no spacing of its own:
    /// `np.gradient(f, h)`.
    ///
    /// ```
    /// use ndarray::array;
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    /// let f = array![1.0, 2.0, 4.0, 7.0, 11.0, 16.0];
    /// let g = f.gradient_with(&GradientOptions::new().spacing(0.3)).unwrap(); // np.gradient(f, 0.3)
    /// assert_eq!(g[0][0], 3.3333333333333335);
    /// ```
    #[must_use]
    pub fn spacing(mut self, h: R) -> Self {
        self.spacing = h;
        self
    }

    /// The spacing of one axis: a scalar (`h` or `Spacing::Uniform(h)`) or coordinates
    /// (`Spacing::Coordinates(x.view().into())`, or [`coordinates`](Self::coordinates)); it
    /// replaces any spacing set before for that axis. `np.gradient(f, h0, x1)` is
    /// `.axis_spacing(Axis(0), h0)` and `.coordinates(Axis(1), &x1)`.
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions, Spacing};
    /// let f = array![[1.0, 2.0], [5.0, 8.0]];
    /// // np.gradient(f, 2.0, 0.5)
    /// let opts = GradientOptions::new()
    ///     .axis_spacing(Axis(0), Spacing::Uniform(2.0))
    ///     .axis_spacing(Axis(1), 0.5); // a plain number is a uniform spacing
    /// let g = f.gradient_with(&opts).unwrap();
    /// assert_eq!(g[0], array![[2.0, 3.0], [2.0, 3.0]]);
    /// assert_eq!(g[1], array![[2.0, 2.0], [6.0, 6.0]]);
    /// ```
    #[must_use]
    pub fn axis_spacing(mut self, axis: Axis, spacing: impl Into<Spacing<'a, R>>) -> Self {
        self.per_axis.retain(|(a, _)| *a != axis);
        self.per_axis.push((axis, spacing.into()));
        self
    }

    /// Shorthand for `.axis_spacing(axis, Spacing::Coordinates(x.into()))`: `np.gradient(f, x)`.
    ///
    /// `x` is borrowed (`&x` of an `Array1`, a view, `&[f64]`, `&Vec<f64>`) or owned (an
    /// `Array1`; a `Vec` as `Array1::from(v)`): owned coordinates let the options outlive the
    /// data they came from, as `GradientOptions<'static, f64>` in a struct.
    ///
    /// ```
    /// use ndarray::{array, Array1, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    /// let x = array![0.0, 1.0, 3.0, 6.0];
    /// let f = x.mapv(|v: f64| v * v);
    /// // np.gradient(x**2, x)
    /// let g = f.gradient_axis_with(Axis(0), &GradientOptions::new().coordinates(Axis(0), &x));
    /// assert_eq!(g.unwrap(), array![1.0, 2.0, 6.0, 9.0]);
    ///
    /// // Options that own their coordinates: no borrow, any lifetime.
    /// let owned: GradientOptions<'static, f64> = GradientOptions::new().coordinates(Axis(0), Array1::from(vec![0.0, 1.0, 3.0, 6.0]));
    /// assert_eq!(f.gradient_axis_with(Axis(0), &owned).unwrap(), array![1.0, 2.0, 6.0, 9.0]);
    /// ```
    #[must_use]
    pub fn coordinates(self, axis: Axis, x: impl Into<CowArray<'a, R, Ix1>>) -> Self {
        self.axis_spacing(axis, Spacing::Coordinates(x.into()))
    }

    /// The axes to differentiate, in the order the results are returned: NumPy's `axis=`
    /// tuple (`axis=(1, 0)` is `.axes([Axis(1), Axis(0)])`). An empty list gives no results,
    /// like `axis=()`. Read by [`gradient_axes_with`](crate::ArrayGradientExt::gradient_axes_with)
    /// (any list), [`gradient_with`](crate::ArrayGradientExt::gradient_with) (every axis, in
    /// any order, on arrays of static dimension, whose result has one array per axis),
    /// [`gradient_into`](crate::ArrayGradientExt::gradient_into), [`gradient_stacked`](crate::ArrayGradientExt::gradient_stacked),
    /// the Laplacian and the divergence; the single-axis methods take their axis as an argument.
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    /// let f = array![[1.0, 2.0, 4.0], [2.0, 5.0, 9.0]];
    /// // np.gradient(f, axis=(1, 0))
    /// let g = f.gradient_with(&GradientOptions::new().axes([Axis(1), Axis(0)])).unwrap();
    /// assert_eq!(g[0], array![[1.0, 1.5, 2.0], [3.0, 3.5, 4.0]]);
    /// assert_eq!(g[1], array![[1.0, 3.0, 5.0], [1.0, 3.0, 5.0]]);
    /// ```
    #[must_use]
    pub fn axes(mut self, axes: impl IntoIterator<Item = Axis>) -> Self {
        self.axes = Some(axes.into_iter().collect());
        self
    }

    /// The edge order, NumPy's `edge_order=`.
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, EdgeOrder, GradientOptions};
    /// let f = array![1.0, 2.0, 4.0, 7.0, 11.0, 16.0];
    /// // np.gradient(f, 0.3, edge_order=2)
    /// let opts = GradientOptions::new().spacing(0.3).edge_order(EdgeOrder::Second);
    /// assert_eq!(f.gradient_axis_with(Axis(0), &opts).unwrap()[0], 1.666666666666667);
    /// ```
    #[must_use]
    pub fn edge_order(mut self, edge_order: EdgeOrder) -> Self {
        self.edge_order = Some(edge_order);
        self
    }

    /// The accuracy order for every axis without one of its own: the interior uses the
    /// centred stencil of this order and the points near the ends one-sided stencils of the
    /// same order (findiff's `Diff(axis, h, acc=p)`), so the whole result has order `p`. Any
    /// even order from 2 to [`MAX_ACCURACY`](crate::MAX_ACCURACY).
    ///
    /// Without an accuracy order the first derivative is NumPy's (`edge_order` applies).
    /// `accuracy(2)` for the first derivative is NumPy's `edge_order=2`, bit for bit; other
    /// orders use weights from [`coefficients`](crate::coefficients()) (uniform spacing) or
    /// [`fornberg_weights`](crate::fornberg_weights) at the actual coordinates.
    ///
    /// ```
    /// use ndarray::{Array1, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    /// let f = Array1::from_iter((0..8).map(|i| (i as f64).powi(4)));
    /// // findiff.Diff(0, 1.0, acc=4)(f): exact for a quartic, ends included
    /// let g = f.gradient_axis_with(Axis(0), &GradientOptions::new().accuracy(4)).unwrap();
    /// let exact = Array1::from_iter((0..8).map(|i| 4.0 * (i as f64).powi(3)));
    /// assert!(g.iter().zip(&exact).all(|(a, b)| (a - b).abs() < 1e-9));
    /// ```
    #[must_use]
    pub fn accuracy(mut self, p: usize) -> Self {
        self.accuracy = Some(p);
        self
    }

    /// The accuracy order of one axis (see [`accuracy`](Self::accuracy)).
    ///
    /// ```
    /// use ndarray::{Array2, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    /// let f = Array2::from_shape_fn((6, 9), |(i, j)| (i * j) as f64);
    /// let opts = GradientOptions::new().axis_accuracy(Axis(1), 6);
    /// assert_eq!(f.gradient_axis_with(Axis(1), &opts).unwrap()[[2, 4]], 2.0);
    /// ```
    #[must_use]
    pub fn axis_accuracy(mut self, axis: Axis, p: usize) -> Self {
        self.per_axis_accuracy.retain(|(a, _)| *a != axis);
        self.per_axis_accuracy.push((axis, p));
        self
    }

    /// The derivative order for every axis without one of its own (default 1): a genuine
    /// `m`-th-derivative stencil, findiff's `Diff(axis, h, acc=p)**m`, not `m` repeated first
    /// derivatives. Without an accuracy order, accuracy 2 is used for `m > 1`.
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    /// let f = array![0.0, 1.0, 4.0, 9.0, 16.0];
    /// // findiff.Diff(0, 1.0)**2 applied to x²
    /// let d2 = f.gradient_axis_with(Axis(0), &GradientOptions::new().derivative(2)).unwrap();
    /// assert_eq!(d2, array![2.0, 2.0, 2.0, 2.0, 2.0]);
    /// ```
    #[must_use]
    pub fn derivative(mut self, m: usize) -> Self {
        self.derivative = Some(m);
        self
    }

    /// The derivative order of one axis (see [`derivative`](Self::derivative)).
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    /// let f = array![[0.0, 1.0, 8.0, 27.0, 64.0, 125.0], [0.0, -1.0, -8.0, -27.0, -64.0, -125.0]];
    /// // findiff.Diff(1, 1.0)**3: six points are the fewest its one-sided stencils need
    /// let opts = GradientOptions::new().axis_derivative(Axis(1), 3);
    /// let d3 = f.gradient_axis_with(Axis(1), &opts).unwrap();
    /// assert_eq!(d3.row(0), array![6.0, 6.0, 6.0, 6.0, 6.0, 6.0]); // d³(x³)/dx³
    /// ```
    #[must_use]
    pub fn axis_derivative(mut self, axis: Axis, m: usize) -> Self {
        self.per_axis_derivative.retain(|(a, _)| *a != axis);
        self.per_axis_derivative.push((axis, m));
        self
    }

    /// The boundary for every axis without one of its own.
    ///
    /// ```
    /// use ndarray::array;
    /// use ndarray_gradient::{ArrayGradientExt, Boundary, GradientOptions};
    /// let f = array![[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]];
    /// let g = f.gradient_with(&GradientOptions::new().boundary(Boundary::Periodic)).unwrap();
    /// assert_eq!(g[1].row(0), array![-1.0, 1.5, -0.5]);
    /// ```
    #[must_use]
    pub fn boundary(mut self, boundary: Boundary<R>) -> Self {
        self.boundary = boundary;
        self
    }

    /// The boundary of one axis.
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, Boundary, GradientOptions};
    /// let f = array![1.0, 2.0, 4.0];
    /// let opts = GradientOptions::new().axis_boundary(Axis(0), Boundary::Periodic);
    /// assert_eq!(f.gradient_axis_with(Axis(0), &opts).unwrap(), array![-1.0, 1.5, -0.5]);
    /// ```
    #[must_use]
    pub fn axis_boundary(mut self, axis: Axis, boundary: Boundary<R>) -> Self {
        self.per_axis_boundary.retain(|(a, _)| *a != axis);
        self.per_axis_boundary.push((axis, boundary));
        self
    }

    /// Shorthand for `.axis_boundary(axis, Boundary::Periodic)`: the axis wraps around, with
    /// period `n · h` for a uniform spacing `h`. No peer's `np.gradient` has this (numpy#21357);
    /// findiff's `Diff(axis, h, periodic=True)`.
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    /// let f = array![0.0, 1.0, 0.0, -1.0];
    /// let g = f.gradient_axis_with(Axis(0), &GradientOptions::new().periodic(Axis(0))).unwrap();
    /// assert_eq!(g, array![1.0, 0.0, -1.0, 0.0]);
    /// ```
    #[must_use]
    pub fn periodic(self, axis: Axis) -> Self {
        self.axis_boundary(axis, Boundary::Periodic)
    }

    /// Shorthand for `.axis_boundary(axis, Boundary::PeriodicWithLength(period))`: periodic with a given
    /// period, which coordinate arrays need (findiff raises NotImplementedError for periodic
    /// non-uniform grids; here they work).
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    /// use std::f64::consts::PI;
    /// let x = array![0.0, 1.0, 2.5, 4.0, 5.5];              // uneven samples of [0, 2π)
    /// let f = x.mapv(f64::sin);
    /// let opts = GradientOptions::new().coordinates(Axis(0), &x).period(Axis(0), 2.0 * PI).accuracy(4);
    /// let g = f.gradient_axis_with(Axis(0), &opts).unwrap();
    /// assert!((g[0] - 1.0).abs() < 0.2); // cos(0), from samples on both sides of the wrap
    /// ```
    #[must_use]
    pub fn period(self, axis: Axis, period: R) -> Self {
        self.axis_boundary(axis, Boundary::PeriodicWithLength(period))
    }

    /// Every axis periodic: shorthand for `.boundary(Boundary::Periodic)`, findiff's
    /// `periodic=True` on every `Diff` of an operator (an axis given a boundary of its own with
    /// [`axis_boundary`](Self::axis_boundary) or [`period`](Self::period) keeps it).
    ///
    /// ```
    /// use ndarray::Array2;
    /// use ndarray_gradient::{ArrayGradientExt, Boundary, GradientOptions};
    /// let u = Array2::from_shape_fn((8, 6), |(i, j)| ((i * 3 + j) % 5) as f64);
    /// // findiff.Laplacian(periodic=True)-style: both axes wrap around
    /// let all = GradientOptions::new().periodic_all();
    /// assert_eq!(all, GradientOptions::new().boundary(Boundary::Periodic));
    /// let lap = u.laplacian(&all).unwrap();
    /// assert_eq!(lap.sum(), 0.0); // a periodic Laplacian of integers sums to zero exactly
    /// ```
    #[must_use]
    pub fn periodic_all(self) -> Self {
        self.boundary(Boundary::Periodic)
    }

    /// Every setting that applies to `axis` (coordinates borrowed from `self`, not copied).
    pub(crate) fn settings_of(&self, axis: Axis) -> AxisSettings<'_, R> {
        let find = |list: &[(Axis, _)]| list.iter().find(|(a, _)| *a == axis).map(|(_, v)| *v);
        AxisSettings {
            spacing: self.spacing_of(axis),
            edge_order: self.edge_order.unwrap_or(EdgeOrder::First),
            accuracy: find(&self.per_axis_accuracy).or(self.accuracy),
            derivative: find(&self.per_axis_derivative).or(self.derivative).unwrap_or(1),
            boundary: self
                .per_axis_boundary
                .iter()
                .find(|(a, _)| *a == axis)
                .map_or(self.boundary, |(_, b)| *b),
            edge_order_given: self.edge_order.is_some(),
            derivative_given: find(&self.per_axis_derivative).or(self.derivative).is_some(),
        }
    }

    /// The axes set with [`axes`](Self::axes), or `None` for all axes.
    pub(crate) fn get_axes(&self) -> Option<&[Axis]> {
        self.axes.as_deref()
    }

    /// The axes given a setting of their own.
    pub(crate) fn configured_axes(&self) -> impl Iterator<Item = Axis> + '_ {
        let spaced = self.per_axis.iter().map(|(a, _)| *a);
        let accurate = self.per_axis_accuracy.iter().map(|(a, _)| *a);
        let derived = self.per_axis_derivative.iter().map(|(a, _)| *a);
        let bounded = self.per_axis_boundary.iter().map(|(a, _)| *a);
        spaced.chain(accurate).chain(derived).chain(bounded)
    }

    /// The spacing that applies to `axis`, coordinates as a view of the options' own (owned
    /// coordinates are not copied for each call).
    pub(crate) fn spacing_of(&self, axis: Axis) -> Spacing<'_, R> {
        match self.per_axis.iter().find(|(a, _)| *a == axis) {
            Some((_, Spacing::Uniform(h))) => Spacing::Uniform(*h),
            Some((_, Spacing::Coordinates(x))) => Spacing::Coordinates(x.view().into()),
            None => Spacing::Uniform(self.spacing),
        }
    }
}

/// A value to put before or after the array along the differenced axis (NumPy's `prepend=` /
/// `append=` of `np.diff`).
///
/// A scalar is repeated over a slab one element thick, as NumPy broadcasts it. An array must
/// match the input in every dimension except the differenced axis, where it may have any
/// length, as `np.concatenate` requires. The value has the array's element type: unlike NumPy,
/// a padding never changes the result's type.
///
/// # Example
///
/// ```
/// use ndarray::{array, Axis};
/// use ndarray_gradient::{ArrayGradientExt, Pad};
///
/// let a = array![1, 3, 6];
/// // np.diff(a, prepend=0)
/// assert_eq!(a.diff_with(1, Axis(0), Some(Pad::Scalar(0)), None).unwrap(), array![1, 2, 3]);
/// // np.diff(a, append=[10])
/// let tail = array![10];
/// let d = a.diff_with(1, Axis(0), None, Some(Pad::Array(tail.view()))).unwrap();
/// assert_eq!(d, array![2, 3, 4]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pad<'a, A, D: ndarray::Dimension> {
    /// One value, broadcast over the other axes.
    Scalar(A),
    /// An array with the input's dimensionality.
    Array(ArrayView<'a, A, D>),
}
