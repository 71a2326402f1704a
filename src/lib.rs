//! NumPy's `np.gradient` and `np.diff` for [`ndarray`], bit for bit, and what people leave
//! NumPy for findiff to get: higher accuracy orders, higher derivatives, periodic axes, the
//! Laplacian, divergence and curl; in memory, block by block, or out of core on Zarr arrays.
//!
//! This page is the guide; each item's own page has the details. The README (on the crate's
//! registry page and in the repository) tells the same story for a first look, with measured
//! speeds and worked examples.
//!
//! # Quick start
//!
//! Bring [`ArrayGradientExt`] into scope and call its methods on any array (`Array`,
//! `ArrayView`, `ArcArray`, `CowArray`, of any dimensionality, `IxDyn` included). Options go
//! in a [`GradientOptions`], a builder.
//!
//! ```
//! use ndarray::{array, Axis};
//! use ndarray_gradient::{ArrayGradientExt, GradientError, GradientOptions};
//!
//! fn main() -> Result<(), GradientError> {
//!     let f = array![[3.0, 7.0, 2.0], [8.0, 9.0, 1.0], [4.0, 6.0, 5.0]];
//!     let g = f.gradient()?; // dy, dx = np.gradient(f)
//!     assert_eq!(g[1], array![[4.0, -0.5, -5.0], [1.0, -3.5, -8.0], [2.0, 0.5, -1.0]]);
//!     // np.gradient(f, 0.5, axis=1)
//!     let gx = f.gradient_axis_with(Axis(1), &GradientOptions::new().spacing(0.5))?;
//!     assert_eq!(gx[[0, 0]], 8.0);
//!     let d = f.diff(1, Axis(1))?; // np.diff(f, axis=1)
//!     assert_eq!(d, array![[4.0, -5.0], [1.0, -8.0], [2.0, -1.0]]);
//!     Ok(())
//! }
//! ```
//!
//! # For NumPy users
//!
//! | NumPy | this crate |
//! |---|---|
//! | `np.gradient(f)` | [`f.gradient()`](ArrayGradientExt::gradient) → one array per axis: `[Array; N]` (`let [dy, dx] = f.gradient()?`), a `Vec` for `IxDyn` |
//! | `np.gradient(f, axis=k)` | [`f.gradient_axis(Axis(k))`](ArrayGradientExt::gradient_axis) |
//! | `np.gradient(f, h)` | [`f.gradient_with(&GradientOptions::new().spacing(h))`](ArrayGradientExt::gradient_with) |
//! | `np.gradient(f, h0, h1)` | [`.axis_spacing(Axis(0), h0).axis_spacing(Axis(1), h1)`](GradientOptions::axis_spacing) |
//! | `np.gradient(f, x)` (coordinates) | [`.coordinates(Axis(0), &x)`](GradientOptions::coordinates) |
//! | `np.gradient(f, h0, x1)` (mixed) | `.axis_spacing(Axis(0), h0).coordinates(Axis(1), &x1)` |
//! | `np.gradient(f, axis=(1, 0))` | [`.axes([Axis(1), Axis(0)])`](GradientOptions::axes) |
//! | `np.gradient(f, h, axis=k)` | [`f.gradient_axis_with(Axis(k), &GradientOptions::new().spacing(h))`](ArrayGradientExt::gradient_axis_with) |
//! | `np.gradient(f, edge_order=2)` | [`.edge_order(EdgeOrder::Second)`](GradientOptions::edge_order) |
//! | `np.stack(np.gradient(f))` | [`f.gradient_stacked(&opts)`](ArrayGradientExt::gradient_stacked) |
//! | `np.gradient(img.astype(np.float32))` | [`img.gradient_f32(&opts)`](ArrayGradientExt::gradient_f32), no converted copy |
//! | `np.diff(a)` (last axis) | [`a.diff(1, Axis(a.ndim() - 1))`](ArrayGradientExt::diff) |
//! | `np.diff(a, n, axis=k)` | `a.diff(n, Axis(k))` |
//! | `np.diff(a, prepend=v, append=w)` | [`a.diff_with(1, axis, Some(Pad::Scalar(v)), Some(Pad::Array(w.view())))`](ArrayGradientExt::diff_with) |
//! | `out=` (NumPy has none for these) | the `_into` methods: [below](#writing-into-your-arrays) |
//!
//! Spacings and coordinates have the element's real type: `f64` for `f64`, integer and
//! `Complex<f64>` arrays, `f32` for `f32` and `Complex<f32>` arrays. Integer arrays give `f64`
//! results, as NumPy's; `diff` keeps the element type (integers wrap, `bool` is XOR). The
//! README lists every deliberate difference from NumPy, each tested.
//!
//! # Beyond NumPy
//!
//! Every option is set for all axes or per axis, and one call mixes them freely.
//!
//! - **Spacing and coordinates**: a scalar spacing ([`spacing`](GradientOptions::spacing),
//!   [`axis_spacing`](GradientOptions::axis_spacing)) or the coordinates of the samples
//!   ([`coordinates`](GradientOptions::coordinates), strictly monotonic), per axis.
//! - **Accuracy order** ([`accuracy`](GradientOptions::accuracy),
//!   [`axis_accuracy`](GradientOptions::axis_accuracy)): any even order 2 to [`MAX_ACCURACY`],
//!   centred inside and one-sided stencils of the same order near the ends, findiff's
//!   `acc=p`. `accuracy(2)` of a first derivative is NumPy's `edge_order=2`, bit for bit.
//! - **Derivative order** ([`derivative`](GradientOptions::derivative),
//!   [`axis_derivative`](GradientOptions::axis_derivative)): a genuine m-th-derivative
//!   stencil, m = 1 to [`MAX_DERIVATIVE`] (findiff's `Diff(k)**m`), not repeated first
//!   differences.
//! - **Periodic axes** ([`periodic`](GradientOptions::periodic), with a uniform spacing;
//!   [`period`](GradientOptions::period) with the period's length, which coordinates need;
//!   [`Boundary`] for the general form): the stencils wrap around. A periodic first derivative
//!   at the default accuracy is NumPy's gradient of `np.pad(f, 1, mode="wrap")`, bit for bit.
//! - **Operators**, each one pass into one output:
//!   [`laplacian`](ArrayGradientExt::laplacian) (the sum of the second derivatives, equal bit for
//!   bit to the sum of the separate calls), [`divergence`](ArrayGradientExt::divergence),
//!   [`curl`](ArrayGradientExt::curl) and [`scalar_curl`](ArrayGradientExt::scalar_curl) of
//!   fields stored with a leading component axis. **For these three, axis numbers in the
//!   options are spatial**: `Axis(0)` is the field's axis 1 (its first axis after the
//!   components), whereas [`gradient_with`](ArrayGradientExt::gradient_with) on the same array
//!   counts every axis.
//! - **Operators of any shape** ([`Operator`]): findiff's `Diff`, `Coef` and `Identity`
//!   algebra: mixed partials (`Operator::derivative(Axis(0), 1) * Operator::derivative(Axis(1),
//!   1)`, a composition edges included, computed block by block without a whole intermediate
//!   array), sums, differences, scalar and array coefficients, directional derivatives. And the
//!   quantities built from them: [`hessian`](ArrayGradientExt::hessian) (each distinct second
//!   partial once, a [`Hessian`]), [`jacobian`](ArrayGradientExt::jacobian) of a vector field
//!   (spatial axis numbers, as the divergence), and the fused
//!   [`gradient_magnitude`](ArrayGradientExt::gradient_magnitude) (one pass, one output).
//!   With the `sparse` feature, the matrix of an operator on a grid (`Operator::matrix`,
//!   findiff's `op.matrix(shape)`) and boundary-value problems (`Operator::solve` with
//!   `BoundaryConditions`, findiff's `PDE(L, f, bc).solve()`).
//! - **Coefficients**: [`coefficients(m, p)`](coefficients()) gives the centred and one-sided
//!   stencils as exact rationals rounded once (findiff's `coefficients(deriv=m, acc=p)`),
//!   [`fornberg_weights`] the weights at any offsets.
//!
//! Conflicting options are an error naming both ([`GradientError::ConflictingOptions`]): an
//! edge order beside an accuracy order, a derivative order above 1, the Laplacian or a periodic
//! axis; a derivative order other than an operator's given to that operator.
//!
//! ```
//! use ndarray::{Array1, Array2, Array3, Axis};
//! use ndarray_gradient::{ArrayGradientExt, GradientOptions, coefficients};
//!
//! // A sixth-order second derivative (findiff.Diff(0, h, acc=6)**2).
//! let x = Array1::linspace(0.0, 1.0, 50);
//! let f = x.mapv(|t: f64| (3.0 * t).sin());
//! let opts = GradientOptions::new().spacing(x[1] - x[0]).derivative(2).accuracy(6);
//! let d2 = f.gradient_axis_with(Axis(0), &opts).unwrap();
//! assert!((d2[10] + 9.0 * (3.0 * x[10]).sin()).abs() < 1e-6);
//!
//! // Coordinates with a period: findiff raises NotImplementedError here.
//! let t = Array1::from_iter((0..40).map(|i| i as f64 * 0.15 + 0.01 * (i % 3) as f64));
//! let u = t.mapv(f64::sin);
//! let opts = GradientOptions::new().coordinates(Axis(0), &t).period(Axis(0), 6.0).accuracy(4);
//! assert_eq!(u.gradient_axis_with(Axis(0), &opts).unwrap().len(), 40);
//!
//! // The Laplacian of a field periodic on both axes, in one pass.
//! let w = Array2::from_shape_fn((32, 32), |(i, j)| ((i + 2 * j) as f64 * 0.2).cos());
//! let lap = w.laplacian(&GradientOptions::new().periodic(Axis(0)).periodic(Axis(1))).unwrap();
//! assert_eq!(lap.shape(), &[32, 32]);
//!
//! // The divergence of F = (y, x) stored as shape (2, 8, 8): Axis(0) of the options is y.
//! let field = Array3::from_shape_fn((2, 8, 8), |(c, i, j)| if c == 0 { i as f64 } else { j as f64 });
//! assert!(field.divergence(&GradientOptions::new()).unwrap().iter().all(|&v| v == 2.0));
//!
//! // findiff.coefficients(deriv=1, acc=4)
//! let c = coefficients(1, 4).unwrap();
//! assert_eq!(c.center.weights, vec![1.0 / 12.0, -2.0 / 3.0, 0.0, 2.0 / 3.0, -1.0 / 12.0]);
//! ```
//!
//! [`CompactScheme`] is findiff's `CompactScheme`: Lele's compact (Padé) schemes for a first or
//! second derivative along one axis, which solve a banded system per lane (tridiagonal or
//! pentadiagonal; cyclic on a periodic axis) and resolve much shorter waves than an explicit
//! stencil reading as many points. Their weights are exact rationals, rounded once.
//!
//! ```
//! use ndarray::{Array1, Axis};
//! use ndarray_gradient::{CompactScheme, GradientOptions};
//!
//! // findiff.Diff(0, h, acc=4, compact=3) on a periodic axis.
//! let n = 64;
//! let h = std::f64::consts::TAU / n as f64;
//! let f = Array1::from_shape_fn(n, |i| (i as f64 * h).sin());
//! let opts = GradientOptions::new().spacing(h).periodic(Axis(0));
//! let d = CompactScheme::new(1, 4, 3).unwrap().apply(&f, Axis(0), &opts).unwrap();
//! assert!((0..n).all(|i| (d[i] - (i as f64 * h).cos()).abs() < 1e-6));
//! ```
//!
//! # Writing into your arrays
//!
//! [`gradient_axis_into`](ArrayGradientExt::gradient_axis_into),
//! [`gradient_into`](ArrayGradientExt::gradient_into),
//! [`laplacian_into`](ArrayGradientExt::laplacian_into),
//! [`divergence_into`](ArrayGradientExt::divergence_into) and
//! [`diff_into`](ArrayGradientExt::diff_into) write into arrays you own, of any layout (a
//! slice of a larger array, a memory-mapped file, an array reused every time step): no
//! allocation, and the same bits as the allocating call. On error nothing is written.
//!
//! ```
//! use ndarray::{Array2, Axis, s};
//! use ndarray_gradient::{ArrayGradientExt, GradientOptions};
//!
//! let f = Array2::from_shape_fn((6, 5), |(i, j)| (i * i + j) as f64);
//! let mut both = Array2::<f64>::zeros((6, 10)); // ∂f/∂y and ∂f/∂x side by side
//! let opts = GradientOptions::new().spacing(0.5);
//! f.gradient_axis_into(Axis(0), &opts, &mut both.slice_mut(s![.., ..5])).unwrap();
//! f.gradient_axis_into(Axis(1), &opts, &mut both.slice_mut(s![.., 5..])).unwrap();
//! assert_eq!(both.slice(s![.., 5..]), f.gradient_axis_with(Axis(1), &opts).unwrap());
//! ```
//!
//! # Errors
//!
//! No public function panics on bad input: every bad argument is a [`GradientError`] whose
//! message names the axis and the sizes, checked before anything is computed or written. Where
//! NumPy silently returns `inf` or `NaN` (a zero spacing, repeated coordinates) this crate
//! refuses the call. NaN and infinity in the *data* propagate exactly as in NumPy.
//!
//! ```
//! use ndarray::{array, Axis};
//! use ndarray_gradient::{ArrayGradientExt, GradientError, GradientOptions};
//!
//! let f = array![1.0, 4.0, 9.0];
//! let x = array![0.0, 1.0, 1.0]; // a repeated coordinate: NaN and a warning in NumPy
//! let err = f.gradient_axis_with(Axis(0), &GradientOptions::new().coordinates(Axis(0), &x));
//! assert!(matches!(err, Err(GradientError::CoordinatesNotMonotonic { .. })));
//! assert!(matches!(f.gradient_axis(Axis(3)), Err(GradientError::AxisOutOfBounds { .. })));
//! ```
//!
//! # Arrays larger than memory
//!
//! A [`BlockPlan`] (module [`halo`]), made once for the whole array's shape and options, says
//! how many samples any block needs beyond itself on each side of each axis (its [`Halo`]), and
//! computes the block's part of the result from the block plus that halo: the same bits as the
//! whole-array call, for blocks of any length, one point included. On a periodic axis the halo
//! before the first block and after the last is the wrapped data. Any chunked or distributed
//! executor can call the crate through it: the [`zarr`] module below, the MPI companion crate
//! `ndarray-gradient-mpi` (in the repository's `mpi/` folder), Dask's `map_overlap`.
//! [`BlockPlan::operator`] does the same for any [`Operator`]: its halo is the box the chain of
//! steps reads, with corners for a mixed partial ([`BlockPlan::reads_corners`]).
//!
//! ```
//! use ndarray::{Array2, ArrayD, IxDyn, s};
//! use ndarray_gradient::{ArrayGradientExt, BlockPlan, GradientOptions};
//!
//! let f = Array2::from_shape_fn((30, 8), |(i, j)| ((i * j) as f64).sqrt()).into_dyn();
//! let opts = GradientOptions::new().accuracy(4);
//! let plan = BlockPlan::gradient(f.shape(), &opts).unwrap();
//! let whole = f.gradient_with(&opts).unwrap();
//! for (r0, r1) in [(0, 1), (1, 20), (20, 30)] {
//!     let halo = plan.halo(&[r0, 0], &[r1 - r0, 8]).unwrap();
//!     let block = f.slice(s![r0 - halo.before[0]..r1 + halo.after[0], ..]);
//!     let mut outs = vec![ArrayD::zeros(IxDyn(&[r1 - r0, 8])); plan.outputs()];
//!     let mut refs: Vec<_> = outs.iter_mut().map(|o| &mut **o).collect();
//!     plan.compute(block.into_dyn(), &[r0, 0], &[r1 - r0, 8], &mut refs).unwrap();
//!     assert_eq!(outs[1], whole[1].slice(s![r0..r1, ..]).into_dyn()); // the same bits
//! }
//! ```
//!
//! With the `zarr` feature, [`zarr::gradient`][zarr-gradient],
//! [`zarr::laplacian`][zarr-laplacian] and [`zarr::operator`][zarr-operator] read a Zarr v2 or
//! v3 array from the filesystem (as zarr-python writes it: float, complex and integer data;
//! zstd, blosc, gzip, sharded; C or F order) and write a Zarr v3 group, one array per
//! differentiated axis (`axis0`, `axis1`, …), or `laplacian`, or `operator`, chunked like the
//! input. The work runs chunk by chunk on rayon's threads with
//! a few chunks in memory per thread, each input chunk decoded about once, and gives the
//! in-memory call's bits. Progress goes to an optional callback; every fault is a
//! [`zarr::ZarrError`][zarr-error]; an output is marked complete only after its last chunk.
//! The example program `zarr_gradient` does the same from the command line.
//!
//! ```
//! # #[cfg(feature = "zarr")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ndarray::Axis;
//! use ndarray_gradient::GradientOptions;
//! use ndarray_gradient::zarr::{self, ZarrOptions};
//! # let dir = std::env::temp_dir().join(format!("lib-zarr-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&dir);
//! # let f = ndarray::Array3::<f64>::from_shape_fn((20, 12, 9), |(i, j, k)| (i * j + k) as f64).into_dyn();
//! # let store = std::sync::Arc::new(zarrs::filesystem::FilesystemStore::new(dir.join("field.zarr"))?);
//! # let a = zarrs::array::ArrayBuilder::new(vec![20, 12, 9], vec![8, 8, 8], zarrs::array::data_type::float64(), 0.0f64).build(store, "/")?;
//! # a.store_metadata()?;
//! # a.store_array_subset(&a.subset_all(), f.as_slice().unwrap())?;
//! # let (input, output) = (dir.join("field.zarr"), dir.join("grad.zarr"));
//!
//! // field.zarr (20 × 12 × 9 float64 in chunks of 8³) → grad.zarr/axis0, axis1, axis2
//! let opts = GradientOptions::<f64>::new().accuracy(4).periodic(Axis(2));
//! let summary = zarr::gradient(&input, &output, &opts, &ZarrOptions::new().overwrite(true))?;
//! assert_eq!(summary.arrays, ["axis0", "axis1", "axis2"]);
//! let g2 = zarr::read_array::<f64>(output.join("axis2"))?;
//! use ndarray_gradient::ArrayGradientExt;
//! assert_eq!(g2, f.gradient_axis_with(Axis(2), &opts)?); // the in-memory call's bits
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "zarr"))]
//! # fn main() {}
//! ```
//!
//! # Features
//!
//! All three are off by default.
//!
//! - `rayon`: arrays of at least [`DEFAULT_PARALLEL_THRESHOLD`] elements are cut into blocks
//!   along their outermost axis and computed on rayon's thread pool (through ndarray's own
//!   `rayon` feature); [`with_parallel_threshold`] changes the threshold on the calling
//!   thread. Every block runs the serial kernel, so the results are the serial bits whatever
//!   the number of threads.
//! - `zarr`: the [`zarr`] module. It turns on `rayon` too (chunks in parallel) and brings
//!   zarrs 0.23 with the filesystem store and the codecs zarr-python writes (zstd, blosc, gzip,
//!   crc32c, sharding, transpose), serde_json and zstd. It needs **Rust 1.91** (zarrs' minimum),
//!   where the crate without it needs 1.88, and a **C and C++ compiler**: zstd, blosc, lz4 and
//!   zlib are compiled from their bundled C sources and blosc's snappy from C++, with the `cc`
//!   crate (no system library).
//! - `sparse`: `Operator::matrix`, the sparse matrix of an operator on a grid as a faer
//!   `SparseRowMat` (faer re-exported as `faer`, for its sparse solvers), and `Operator::solve`
//!   with `BoundaryConditions` and `BoundaryValue`, boundary-value problems solved by faer's
//!   sparse LU (`Operator::boundary_value_problem` keeps the factorisation for many solves). It brings faer 0.24 without its rayon, random-number and `.npy` features.
//!
//! # Exactness and determinism
//!
//! For `f64` and integer arrays, every call that NumPy also has gives the same IEEE value as
//! NumPy 2.x: the same formulas in the same operation order, without fused multiply-add. `f32`
//! arrays match NumPy called with `float32` spacing or coordinates; complex arrays match NumPy's
//! complex arithmetic (`==` for finite values). The tests compare bit patterns (`to_bits()`)
//! with fixtures written by NumPy, and the findiff options with findiff 0.16 and with exact
//! rational values.
//!
//! Every weighted stencil is summed `w₀f₀ + w₁f₁ + …` in offset order, each product and sum
//! rounded. The kernels only choose the order in which points are visited, so a result is the
//! same bits for every memory layout, every block split ([`BlockPlan`], Zarr chunks, MPI
//! ranks), every thread count, and with or without AVX2. Uniform weights are exact rationals
//! rounded once; weights on uneven coordinates come from Fornberg's algorithm in `f64` (the
//! README states their error bound).
//!
//! # Performance
//!
//! Against NumPy on the same arrays, one thread: 20–26× faster on small arrays (call
//! overhead); 1.75–2.7× for gradients of large ones, where a fresh output's page faults cost as
//! much as the arithmetic (the `_into` methods cost one copy of the array), while `diff`, a
//! single memory-bound pass as in NumPy, runs at 0.8–1.0× NumPy's speed. Against findiff,
//! 3–15× on 256³. With `rayon`, about 1.6–2.1× more on two cores. The README's table
//! summarises; `benches/README.md` in the repository has the runs, the targets and how to
//! reproduce them.
//!
// Links to the `zarr` module resolve only when it is compiled; without the feature they point
// to the Features section above, so `cargo doc` is clean either way.
#![cfg_attr(
    feature = "zarr",
    doc = "[`zarr`]: crate::zarr\n[zarr-gradient]: crate::zarr::gradient\n\
           [zarr-laplacian]: crate::zarr::laplacian\n[zarr-error]: crate::zarr::ZarrError\n\
           [zarr-operator]: crate::zarr::operator"
)]
#![cfg_attr(
    not(feature = "zarr"),
    doc = "[`zarr`]: #features\n[zarr-gradient]: #features\n[zarr-laplacian]: #features\n\
           [zarr-error]: #features\n[zarr-operator]: #features"
)]
#![warn(missing_docs)]
// `unsafe` is allowed in two small modules only, each with its SAFETY arguments and the tests
// that would catch their violation: `alloc` (outputs written without zeroing them first) and
// `simd` (the tap-summing loop compiled for AVX2 when the processor has it).
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[allow(unsafe_code)]
mod alloc;
mod cache;
mod coefficients;
mod compact;
mod derived;
mod diff;
mod dims;
mod element;
mod error;
mod ext;
mod gradient;
pub mod halo;
mod kernel;
mod layout;
#[cfg(feature = "sparse")]
mod matrix;
mod operator;
mod operators;
mod options;
mod orders;
mod parallel;
mod plan;
#[allow(unsafe_code)]
mod simd;
#[cfg(feature = "sparse")]
mod solve;
mod stencil;
#[cfg(feature = "zarr")]
#[cfg_attr(docsrs, doc(cfg(feature = "zarr")))]
pub mod zarr;

pub use coefficients::{Coefficients, Stencil, coefficients, fornberg_weights};
pub use compact::{CompactScheme, MAX_COMPACT_ACCURACY, MAX_COMPACT_LHS_POINTS};
pub use derived::Hessian;
pub use dims::GradientDim;
pub use element::{DiffElement, GradientElement, GradientFloat, IntoF32};
pub use error::{GradientError, PadSide};
pub use ext::ArrayGradientExt;
/// faer, whose `SparseRowMat` [`Operator::matrix`] returns (feature `sparse`): the version this
/// crate builds with, for naming its types and calling its solvers.
#[cfg(feature = "sparse")]
pub use faer;
pub use halo::{BlockPlan, Halo};
pub use operator::Operator;
pub use options::{Boundary, EdgeOrder, GradientOptions, Pad, Spacing};
pub use orders::{MAX_ACCURACY, MAX_DERIVATIVE};
pub use parallel::{DEFAULT_PARALLEL_THRESHOLD, with_parallel_threshold};
#[cfg(feature = "sparse")]
pub use solve::{BoundaryConditions, BoundaryValue, BoundaryValueProblem};

// The README's Rust examples are compiled and run as doctests, so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
