//! What `gradient()` returns for each dimensionality: a fixed-size array of results for the
//! static dimensions `Ix0` … `Ix6`, so that `let [gy, gx] = f.gradient()?;` destructures, and a
//! `Vec` for `IxDyn`, whose number of axes is known only at run time.

use ndarray::{Array, Dim, Dimension, IxDyn};

mod private {
    pub trait Sealed {}
}

/// The dimension types of ndarray, with the type that holds one result per axis.
///
/// [`gradient`](crate::ArrayGradientExt::gradient), [`gradient_with`](crate::ArrayGradientExt::gradient_with)
/// and [`gradient_f32`](crate::ArrayGradientExt::gradient_f32) return `D::Gradients<T>`:
///
/// | dimension | `Gradients<T>` |
/// |---|---|
/// | `Ix1` … `Ix6` (`Ix0`) | `[Array<T, D>; N]`, one array per axis (none for `Ix0`) |
/// | `IxDyn` | `Vec<Array<T, IxDyn>>` |
///
/// Every ndarray dimension type implements it, and no other type can (the trait is sealed).
/// Code generic over `D: Dimension` that calls `gradient()` adds the bound `D: GradientDim`,
/// and can use the result through `AsRef<[Array<T, D>]>`, `IntoIterator` or `Into<Vec<_>>`.
///
/// # Example
///
/// ```
/// use ndarray::{array, Array, ArrayD};
/// use ndarray_gradient::{ArrayGradientExt, GradientDim};
///
/// // dy, dx = np.gradient(f)
/// let f = array![[1.0, 2.0, 4.0], [2.0, 5.0, 9.0]];
/// let [dy, dx] = f.gradient().unwrap();
/// assert_eq!(dy, array![[1.0, 3.0, 5.0], [1.0, 3.0, 5.0]]);
/// assert_eq!(dx, array![[1.0, 1.5, 2.0], [3.0, 3.5, 4.0]]);
///
/// // IxDyn: the number of axes is known at run time, so a Vec.
/// let g: Vec<ArrayD<f64>> = f.clone().into_dyn().gradient().unwrap();
/// assert_eq!(g.len(), 2);
///
/// // Generic code: the bound, and the results as a slice.
/// fn largest<D: GradientDim>(f: &Array<f64, D>) -> f64 {
///     let g = f.gradient().unwrap();
///     g.as_ref().iter().flatten().fold(0.0, |m, v| m.max(v.abs()))
/// }
/// assert_eq!(largest(&f), 5.0);
/// ```
pub trait GradientDim: Dimension + private::Sealed {
    /// One array of type `Array<T, Self>` per axis: `[Array<T, Self>; N]` for `Ix0` … `Ix6`,
    /// `Vec<Array<T, IxDyn>>` for `IxDyn`.
    type Gradients<T>: AsRef<[Array<T, Self>]>
        + AsMut<[Array<T, Self>]>
        + IntoIterator<Item = Array<T, Self>>
        + Into<Vec<Array<T, Self>>>
        + TryFrom<Vec<Array<T, Self>>>;
}

macro_rules! fixed {
    ($($n:literal),*) => {$(
        impl private::Sealed for Dim<[usize; $n]> {}
        impl GradientDim for Dim<[usize; $n]> {
            type Gradients<T> = [Array<T, Self>; $n];
        }
    )*};
}
fixed!(0, 1, 2, 3, 4, 5, 6);

impl private::Sealed for IxDyn {}
impl GradientDim for IxDyn {
    type Gradients<T> = Vec<Array<T, IxDyn>>;
}

/// The results of a call that computed one per axis (checked by the caller: for a static
/// dimension, exactly `D::NDIM` of them), in the type `D` returns them in.
pub(crate) fn collect<T, D: GradientDim>(results: Vec<Array<T, D>>) -> D::Gradients<T> {
    match D::Gradients::<T>::try_from(results) {
        Ok(g) => g,
        Err(_) => unreachable!("the number of results is checked against D::NDIM before any is computed"),
    }
}
