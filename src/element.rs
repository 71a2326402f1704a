//! Element types: which arrays the methods accept and in which type they compute.
//!
//! The traits are sealed: the set of types is fixed so that every one of them can be tested
//! against NumPy.

use std::fmt::Debug;
use std::ops::{Add, Neg, Sub};

use num_complex::Complex;
use num_traits::Float;

mod sealed {
    pub trait Sealed {}
}
use sealed::Sealed;

/// The types a gradient is computed in: `f32`, `f64`, `Complex<f32>` and `Complex<f64>`.
///
/// `Real` is the type of spacings, coordinates and stencil coefficients. The two operations
/// below are the only arithmetic, besides `+` and `-`, that a stencil does; for complex numbers
/// they reproduce NumPy's complex ufunc loops, where a real operand is promoted to complex.
///
/// # Example
///
/// ```
/// use ndarray_gradient::GradientFloat;
/// use num_complex::Complex64;
///
/// // np.complex128(3+6j) / 2.0 and 0.5 * np.complex128(3+6j)
/// assert_eq!(Complex64::new(3.0, 6.0).div_real(2.0), Complex64::new(1.5, 3.0));
/// assert_eq!(Complex64::new(3.0, 6.0).scale(0.5), Complex64::new(1.5, 3.0));
/// ```
pub trait GradientFloat:
    Copy
    + Default
    + Send
    + Sync
    + Debug
    + PartialEq
    + Add<Output = Self>
    + Sub<Output = Self>
    + Neg<Output = Self>
    + 'static
    + Sealed
{
    /// The real type of spacings and coefficients (`f32` or `f64`).
    type Real: Float + Send + Sync + Debug + 'static;

    /// `c * self`, as NumPy multiplies an element by a real coefficient.
    ///
    /// ```
    /// use ndarray_gradient::GradientFloat;
    /// assert_eq!(3.0f64.scale(-1.5), -4.5); // -1.5 * np.float64(3.0)
    /// ```
    fn scale(self, c: Self::Real) -> Self;

    /// `self / d`, as NumPy divides an element by a real spacing.
    ///
    /// ```
    /// use ndarray_gradient::GradientFloat;
    /// assert_eq!(1.0f32.div_real(3.0), 1.0f32 / 3.0); // np.float32(1) / np.float32(3)
    /// ```
    fn div_real(self, d: Self::Real) -> Self;

    /// Whether `x / d` equals `x * (1 / d)` bit for bit whenever `1 / d` is exact (`d` a power
    /// of two). True for IEEE division of real numbers; false for complex numbers, whose NumPy
    /// division has its own operation order.
    #[doc(hidden)]
    const EXACT_RECIPROCAL: bool;
}

macro_rules! real_float {
    ($($t:ty),*) => {$(
        impl Sealed for $t {}
        impl GradientFloat for $t {
            type Real = $t;
            #[inline(always)]
            fn scale(self, c: $t) -> $t {
                c * self
            }
            #[inline(always)]
            fn div_real(self, d: $t) -> $t {
                self / d
            }
            const EXACT_RECIPROCAL: bool = true;
        }
    )*};
}
real_float!(f32, f64);

macro_rules! complex_float {
    ($($t:ty),*) => {$(
        impl Sealed for Complex<$t> {}
        impl GradientFloat for Complex<$t> {
            type Real = $t;
            #[inline(always)]
            fn scale(self, c: $t) -> Self {
                // NumPy: (c + 0j) * z; for finite values this is (c * re, c * im).
                Complex::new(c * self.re, c * self.im)
            }
            #[inline(always)]
            fn div_real(self, d: $t) -> Self {
                // NumPy's complex division (Smith's method) with divisor d + 0j: |d| >= |0| picks
                // the branch below. Written out so the bits match, zero signs included.
                if d == 0.0 {
                    return Complex::new(self.re / d.abs(), self.im / d.abs());
                }
                let rat = 0.0 / d;
                let scl = 1.0 / (d + 0.0 * rat);
                Complex::new((self.re + self.im * rat) * scl, (self.im - self.re * rat) * scl)
            }
            const EXACT_RECIPROCAL: bool = false;
        }
    )*};
}
complex_float!(f32, f64);

/// The element types `gradient` accepts, and the type it computes and returns.
///
/// Floating-point and complex arrays keep their type. Every primitive integer type is converted
/// to `f64` element by element as it is read (NumPy's `f.astype(float64)`, without the
/// temporary array), so an integer array's gradient is an `f64` array.
///
/// # Example
///
/// ```
/// use ndarray::{array, Axis};
/// use ndarray_gradient::ArrayGradientExt;
///
/// // np.gradient(np.array([5, 3, 1, 0, 200], dtype=np.uint8)) -> float64
/// let f = array![5u8, 3, 1, 0, 200];
/// let g: ndarray::Array1<f64> = f.gradient_axis(Axis(0)).unwrap();
/// assert_eq!(g, array![-2.0, -2.0, -1.5, 99.5, 200.0]);
/// ```
pub trait GradientElement: Copy + Send + Sync + 'static + Sealed {
    /// The real type of spacings and coordinates: `f32` for `f32` and `Complex<f32>`, `f64`
    /// otherwise.
    type Real: Float + Send + Sync + Debug + 'static;
    /// The element type of the result. A result can be differentiated again (an
    /// [`Operator`](crate::Operator)'s mixed partials), in its own type.
    type Output: GradientFloat<Real = Self::Real> + GradientElement<Real = Self::Real, Output = Self::Output>;
    /// Converts one element to the type the gradient is computed in (NumPy's
    /// `astype(float64)` for integers, the identity otherwise).
    ///
    /// ```
    /// use ndarray_gradient::GradientElement;
    /// assert_eq!((-128i8).to_output(), -128.0);
    /// assert_eq!(u64::MAX.to_output(), 18446744073709551615.0); // rounded, as np.float64(2**64 - 1)
    /// ```
    fn to_output(self) -> Self::Output;
}

macro_rules! keeps_type {
    ($($t:ty => $r:ty),*) => {$(
        impl GradientElement for $t {
            type Real = $r;
            type Output = $t;
            #[inline(always)]
            fn to_output(self) -> $t {
                self
            }
        }
    )*};
}
keeps_type!(f32 => f32, f64 => f64, Complex<f32> => f32, Complex<f64> => f64);

macro_rules! integer {
    ($($t:ty),*) => {$(
        impl Sealed for $t {}
        impl GradientElement for $t {
            type Real = f64;
            type Output = f64;
            #[inline(always)]
            fn to_output(self) -> f64 {
                // Round to nearest, as NumPy's astype(float64).
                self as f64
            }
        }
    )*};
}
integer!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

/// Element types whose gradient can be computed and returned in `f32` instead of `f64`:
/// every primitive integer type (and `f32` itself). For 8- and 16-bit integers every value is
/// exact in `f32`; wider ones round as NumPy's `astype(np.float32)`. The gradient of a `u8`
/// image in `f32` needs half the memory of the `f64` one (cucim#340).
///
/// # Example
///
/// ```
/// use ndarray::{array, Axis};
/// use ndarray_gradient::{ArrayGradientExt, GradientOptions, IntoF32};
///
/// assert_eq!(200u8.into_f32(), 200.0);
/// assert_eq!(16_777_217u32.into_f32(), 16_777_216.0); // np.uint32(2**24 + 1).astype(np.float32)
/// let img = array![[0u8, 10, 40], [5, 25, 90]];
/// // np.gradient(img.astype(np.float32), axis=1)
/// let g = img.gradient_axis_f32(Axis(1), &GradientOptions::new()).unwrap();
/// assert_eq!(g, array![[10.0f32, 20.0, 30.0], [20.0, 42.5, 65.0]]);
/// ```
pub trait IntoF32: Copy + Send + Sync + 'static + Sealed {
    /// The value as `f32`, rounded to nearest (`astype(np.float32)`). Named `into_f32`, not
    /// `to_f32`, so that it does not clash with `num_traits::ToPrimitive::to_f32` (which
    /// returns an `Option`) when both traits are in scope.
    ///
    /// ```
    /// use ndarray_gradient::IntoF32;
    /// use num_traits::ToPrimitive;
    /// assert_eq!((-3i16).into_f32(), -3.0); // np.int16(-3).astype(np.float32)
    /// assert_eq!((-3i16).to_f32(), Some(-3.0)); // num_traits' method, unambiguous beside it
    /// ```
    fn into_f32(self) -> f32;
}

macro_rules! into_f32 {
    ($($t:ty),*) => {$(
        impl IntoF32 for $t {
            #[inline(always)]
            fn into_f32(self) -> f32 {
                self as f32
            }
        }
    )*};
}
into_f32!(f32, i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

/// An element read as `f32`: the same bytes as `I` (`repr(transparent)`), so an array of `I`
/// can be viewed as one of `InF32<I>` (see [`crate::alloc::as_f32_view`]) and differentiated in
/// `f32` by the ordinary kernels, converting each element as it is read.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct InF32<I>(pub(crate) I);

impl<I> Sealed for InF32<I> {}

impl<I: IntoF32> GradientElement for InF32<I> {
    type Real = f32;
    type Output = f32;
    #[inline(always)]
    fn to_output(self) -> f32 {
        self.0.into_f32()
    }
}

/// The element types `diff` accepts. `diff` keeps the element type.
///
/// The difference is NumPy's: IEEE subtraction for floats and complex numbers, two's-complement
/// wrapping subtraction for integers (never an overflow panic, also in debug builds), and XOR
/// (`not_equal`) for `bool`.
///
/// # Example
///
/// ```
/// use ndarray_gradient::DiffElement;
///
/// assert_eq!(i8::difference(127, -128), -1); // np.diff(np.int8([-128, 127])) -> [-1]
/// assert_eq!(u8::difference(0, 1), 255);
/// assert!(bool::difference(true, false));
/// ```
pub trait DiffElement: Copy + Default + Send + Sync + 'static + Sealed {
    /// `next - prev` in NumPy's sense for this type.
    ///
    /// ```
    /// use ndarray_gradient::DiffElement;
    /// assert_eq!(f64::difference(0.5, 0.25), 0.25); // np.subtract(0.5, 0.25)
    /// ```
    fn difference(next: Self, prev: Self) -> Self;
}

macro_rules! diff_subtract {
    ($($t:ty),*) => {$(
        impl DiffElement for $t {
            #[inline(always)]
            fn difference(next: Self, prev: Self) -> Self {
                next - prev
            }
        }
    )*};
}
diff_subtract!(f32, f64, Complex<f32>, Complex<f64>);

macro_rules! diff_wrapping {
    ($($t:ty),*) => {$(
        impl DiffElement for $t {
            #[inline(always)]
            fn difference(next: Self, prev: Self) -> Self {
                next.wrapping_sub(prev)
            }
        }
    )*};
}
diff_wrapping!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl Sealed for bool {}
impl DiffElement for bool {
    #[inline(always)]
    fn difference(next: Self, prev: Self) -> Self {
        next ^ prev
    }
}
