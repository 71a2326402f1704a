//! The derivative and accuracy orders the crate supports: the ground floor that the error type
//! and the coefficient tables both read.

/// The highest accuracy order supported (every even order from 2 up to this).
///
/// ```
/// use ndarray_gradient::{GradientOptions, MAX_ACCURACY};
/// let opts = GradientOptions::<f64>::new().accuracy(MAX_ACCURACY); // findiff's acc=12
/// # let _ = opts;
/// assert_eq!(MAX_ACCURACY, 12);
/// ```
pub const MAX_ACCURACY: usize = 12;

/// The highest derivative order supported.
///
/// ```
/// use ndarray_gradient::{coefficients, MAX_DERIVATIVE};
/// assert!(coefficients(MAX_DERIVATIVE, 2).is_ok()); // findiff.coefficients(deriv=8, acc=2)
/// assert!(coefficients(MAX_DERIVATIVE + 1, 2).is_err());
/// ```
pub const MAX_DERIVATIVE: usize = 8;
