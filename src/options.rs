//! The options that turn a call into any `np.gradient` / `np.diff` call form.

use ndarray::{ArrayView, ArrayView1, Axis};
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
    pub fn min_len(self) -> usize {
        match self {
            EdgeOrder::First => 2,
            EdgeOrder::Second => 3,
        }
    }
}

/// The sample spacing along one axis: one of NumPy's `varargs` entries.
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
/// let opts = GradientOptions::new().axis_spacing(Axis(0), Spacing::Coordinates(x.view()));
/// let g = f.gradient_axis_with(Axis(0), &opts).unwrap();
/// assert_eq!(g, array![1.0, 2.9999999999999996, 3.5, 6.700000000000001, 6.899999999999999, 2.5]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Spacing<'a, R> {
    /// The same distance between every pair of neighbours (a NumPy scalar). Must be finite and
    /// non-zero; it may be negative.
    Uniform(R),
    /// The coordinate of every point along the axis (a NumPy 1-D array). Must be finite and
    /// strictly increasing or strictly decreasing, one per point. When all the differences are
    /// exactly equal, NumPy's uniform formulas are used with the first difference, as NumPy
    /// does.
    Coordinates(ArrayView1<'a, R>),
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
    edge_order: EdgeOrder,
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
    pub fn new() -> Self {
        GradientOptions {
            spacing: R::one(),
            per_axis: Vec::new(),
            axes: None,
            edge_order: EdgeOrder::First,
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
    pub fn spacing(mut self, h: R) -> Self {
        self.spacing = h;
        self
    }

    /// The spacing of one axis: a scalar (`h` or `Spacing::Uniform(h)`) or coordinates
    /// (`Spacing::Coordinates(x.view())`); it replaces any spacing set before for that axis.
    /// `np.gradient(f, h0, x1)` is `.axis_spacing(Axis(0), h0)` and
    /// `.axis_spacing(Axis(1), Spacing::Coordinates(x1.view()))`.
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
    pub fn axis_spacing(mut self, axis: Axis, spacing: impl Into<Spacing<'a, R>>) -> Self {
        self.per_axis.retain(|(a, _)| *a != axis);
        self.per_axis.push((axis, spacing.into()));
        self
    }

    /// Shorthand for `.axis_spacing(axis, Spacing::Coordinates(x))`: `np.gradient(f, x)`.
    ///
    /// ```
    /// use ndarray::{array, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    /// let x = array![0.0, 1.0, 3.0, 6.0];
    /// let f = x.mapv(|v: f64| v * v);
    /// // np.gradient(x**2, x)
    /// let g = f.gradient_axis_with(Axis(0), &GradientOptions::new().coordinates(Axis(0), &x));
    /// assert_eq!(g.unwrap(), array![1.0, 2.0, 6.0, 9.0]);
    /// ```
    pub fn coordinates(self, axis: Axis, x: impl Into<ArrayView1<'a, R>>) -> Self {
        self.axis_spacing(axis, Spacing::Coordinates(x.into()))
    }

    /// The axes to differentiate, in the order the results are returned: NumPy's `axis=`
    /// tuple (`axis=(1, 0)` is `.axes([Axis(1), Axis(0)])`). An empty list gives no results,
    /// like `axis=()`. Only [`gradient_with`](crate::ArrayGradientExt::gradient_with) and
    /// [`gradient_into`](crate::ArrayGradientExt::gradient_into) read it; the
    /// single-axis methods take their axis as an argument.
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
    pub fn edge_order(mut self, edge_order: EdgeOrder) -> Self {
        self.edge_order = edge_order;
        self
    }

    /// The edge order set.
    pub(crate) fn get_edge_order(&self) -> EdgeOrder {
        self.edge_order
    }

    /// The axes set with [`axes`](Self::axes), or `None` for all axes.
    pub(crate) fn get_axes(&self) -> Option<&[Axis]> {
        self.axes.as_deref()
    }

    /// The axes given a spacing of their own.
    pub(crate) fn spaced_axes(&self) -> impl Iterator<Item = Axis> + '_ {
        self.per_axis.iter().map(|(a, _)| *a)
    }

    /// The spacing that applies to `axis`.
    pub(crate) fn spacing_of(&self, axis: Axis) -> Spacing<'a, R> {
        self.per_axis
            .iter()
            .find(|(a, _)| *a == axis)
            .map(|(_, s)| s.clone())
            .unwrap_or(Spacing::Uniform(self.spacing))
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
#[derive(Clone, Debug, PartialEq)]
pub enum Pad<'a, A, D: ndarray::Dimension> {
    /// One value, broadcast over the other axes.
    Scalar(A),
    /// An array with the input's dimensionality.
    Array(ArrayView<'a, A, D>),
}
