//! NumPy's `np.gradient` and `np.diff` for [`ndarray`], bit for bit.
//!
//! ```
//! use ndarray::{array, Axis};
//! use ndarray_gradient::ArrayGradientExt;
//!
//! let f = array![[3.0, 7.0, 2.0], [8.0, 9.0, 1.0], [4.0, 6.0, 5.0]];
//! let g = f.gradient().unwrap();                     // dy, dx = np.gradient(f)
//! assert_eq!(g[1], array![[4.0, -0.5, -5.0], [1.0, -3.5, -8.0], [2.0, 0.5, -1.0]]);
//! let d = f.diff(1, Axis(1)).unwrap();               // np.diff(f, axis=1)
//! assert_eq!(d, array![[4.0, -5.0], [1.0, -8.0], [2.0, -1.0]]);
//! ```
//!
//! Bring [`ArrayGradientExt`] into scope and call its methods on any array: `Array`,
//! `ArrayView`, `ArcArray`, `CowArray`, of any dimensionality.
//!
//! # Exactness
//!
//! For `f64` and integer arrays every result is the same IEEE value NumPy 2.x computes: the
//! same formulas, in the same operation order, without fused multiply-add. `f32` arrays match
//! NumPy called with `float32` spacing or coordinates; complex arrays match NumPy's complex
//! arithmetic. NaN and infinity propagate as in NumPy. The parity tests compare against
//! fixtures written by NumPy, with `to_bits()`.
//!
//! # For NumPy users
//!
//! | NumPy | this crate |
//! |---|---|
//! | `np.gradient(f)` | [`f.gradient()`](ArrayGradientExt::gradient) → one array per axis: `[Array; N]` (`let [dy, dx] = f.gradient()?`), a `Vec` for `IxDyn` |
//! | `np.gradient(f, axis=k)` | [`f.gradient_axis(Axis(k))`](ArrayGradientExt::gradient_axis) |
//! | `np.gradient(f, h)` | `f.gradient_with(&GradientOptions::new().spacing(h))` |
//! | `np.gradient(f, h0, h1)` | `.axis_spacing(Axis(0), h0).axis_spacing(Axis(1), h1)` |
//! | `np.gradient(f, x)` (coordinates) | `.coordinates(Axis(0), &x)` |
//! | `np.gradient(f, h0, x1)` (mixed) | `.axis_spacing(Axis(0), h0).coordinates(Axis(1), &x1)` |
//! | `np.gradient(f, axis=(1, 0))` | `.axes([Axis(1), Axis(0)])` |
//! | `np.gradient(f, h, axis=k)` | `f.gradient_axis_with(Axis(k), &GradientOptions::new().spacing(h))` |
//! | `np.gradient(f, edge_order=2)` | `.edge_order(EdgeOrder::Second)` |
//! | `np.diff(a)` (last axis) | [`a.diff(1, Axis(a.ndim() - 1))`](ArrayGradientExt::diff) |
//! | `np.diff(a, n, axis=k)` | `a.diff(n, Axis(k))` |
//! | `np.diff(a, prepend=v, append=w)` | [`a.diff_with(1, axis, Some(Pad::Scalar(v)), Some(Pad::Array(w.view())))`](ArrayGradientExt::diff_with) |
//! | (no NumPy form) | [`gradient_axis_into`](ArrayGradientExt::gradient_axis_into), [`gradient_into`](ArrayGradientExt::gradient_into), [`diff_into`](ArrayGradientExt::diff_into): write into your arrays |
//!
//! Spacings and coordinates have the element's real type: `f64` for `f64`, integer and
//! `Complex<f64>` arrays, `f32` for `f32` and `Complex<f32>` arrays.
//!
//! # Errors instead of NumPy's warnings
//!
//! Every bad argument is a [`GradientError`], never a panic. Where NumPy silently returns
//! `inf`/`NaN` (zero spacing, repeated coordinates) this crate refuses the call; see the README
//! for the full list of deliberate differences.
//!
//! # Features
//!
//! - `rayon`: large arrays are split across rayon's thread pool (see
//!   [`with_parallel_threshold`]). Results are bit-identical to the serial ones.
#![warn(missing_docs)]
// `unsafe` is allowed in two small modules only, each with its SAFETY arguments and the tests
// that would catch their violation: `alloc` (outputs written without zeroing them first) and
// `simd` (the tap-summing loop compiled for AVX2 when the processor has it).
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[allow(unsafe_code)]
mod alloc;
mod coefficients;
mod diff;
mod dims;
mod element;
mod error;
mod ext;
mod gradient;
pub mod halo;
mod kernel;
mod layout;
mod operators;
mod options;
mod orders;
mod parallel;
mod plan;
#[allow(unsafe_code)]
mod simd;
mod stencil;
#[cfg(feature = "zarr")]
#[cfg_attr(docsrs, doc(cfg(feature = "zarr")))]
pub mod zarr;

pub use coefficients::{Coefficients, Stencil, coefficients, fornberg_weights};
pub use dims::GradientDim;
pub use element::{DiffElement, GradientElement, GradientFloat, IntoF32};
pub use error::{GradientError, PadSide};
pub use ext::ArrayGradientExt;
pub use halo::{BlockPlan, Halo};
pub use options::{Boundary, EdgeOrder, GradientOptions, Pad, Spacing};
pub use orders::{MAX_ACCURACY, MAX_DERIVATIVE};
pub use parallel::{DEFAULT_PARALLEL_THRESHOLD, with_parallel_threshold};

// The README's Rust examples are compiled and run as doctests, so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
