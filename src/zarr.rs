//! Gradients, Laplacians and any [`Operator`] of Zarr arrays larger than memory, chunk by chunk
//! (feature `zarr`).
//!
//! [`gradient`], [`laplacian`] and [`operator`] read a Zarr array (v2 or v3, on the local
//! filesystem, as zarr-python writes it) and write a new Zarr v3 group holding the result: one
//! array per differentiated axis named `axis0`, `axis1`, … for the gradient (the number is the
//! input's axis), one array named `laplacian` for the Laplacian, one named `operator` for an
//! operator. Each output array is chunked like the
//! input and uses the input's compression (its array-to-bytes and bytes-to-bytes codecs).
//!
//! The work is a loop over the output chunks in C order, cut into one contiguous run per
//! thread of rayon's pool: each chunk is read with the halo its points need (the
//! [`BlockPlan`] of the whole array says how much; wrapped around on periodic axes), computed
//! with [`BlockPlan::compute`] and written. The values are the bits the in-memory call
//! ([`gradient_with`](crate::ArrayGradientExt::gradient_with),
//! [`laplacian`](crate::ArrayGradientExt::laplacian)) gives on the same data.
//!
//! Only the faces of the halo are read (the samples beyond the chunk along one axis at a
//! time): gradients and Laplacians are sums of one-axis stencils and never read the corners.
//! An operator with a mixed partial does ([`BlockPlan::reads_corners`]); its corners are read
//! from the store for each chunk (a halo's thickness along two axes or more). They are not
//! cached as the faces are: with compressed chunks each corner decodes the chunk it lies in
//! again, up to 4 more decodes per chunk in 2-D and 20 in 3-D.
//! Each input chunk is decoded once: the face before a chunk is cut from the chunk before it
//! when that one is decoded; the face after it along axes 1, 2, … comes from the next chunks
//! of the same thread's run, decoded a little ahead of their turn and kept until it; the face
//! after it along axis 0 is the first planes of the next chunk, which are the start of that
//! chunk's bytes (read alone when uncompressed; with zstd, only the start of its stream is
//! decoded). The exceptions: where two threads' runs meet (a slab of faces read again), on
//! periodic axes (the wrapped faces), with other codecs than none and zstd (the next chunk
//! along axis 0 decoded whole for its first planes) and for chunks thinner than the halo.
//! [`Summary`] counts the reads.
//!
//! Memory: a thread holds the chunks decoded ahead of their turn (at most one row of chunks
//! along the last axes: `g[2] × … × g[n-1]` chunks for a chunk grid `g`, one for one- and
//! two-dimensional arrays), the chunk being computed with its halo, and one output chunk (the
//! outputs are computed and written one at a time), plus the thin faces left for the chunks
//! after and what zarrs allocates to encode a chunk. For a grid of 8 × 4 × 4 chunks that is
//! about 7 chunks per thread, whatever the length of the first axis.
//!
//! # Types
//!
//! Options are [`GradientOptions`] over `f64` for `float64`, `complex128` and integer arrays
//! (integers give `float64` results, as NumPy), over `f32` for `float32` and `complex64`
//! arrays. Another combination is [`ZarrError::UnsupportedDtype`].
//!
//! # Faults
//!
//! Every failure is a [`ZarrError`], never a panic. Until a run has written every chunk, the
//! output group's and arrays' attribute `ndarray_gradient.complete` is `false`; it becomes
//! `true` only at the end of a successful run. A chunk that cannot be read or decoded stops the
//! run with [`ZarrError::ReadChunk`], which names the chunk and lists the output chunks that
//! were written.
//!
//! # Example
//!
//! ```
//! use ndarray::Array2;
//! use ndarray_gradient::{ArrayGradientExt, GradientOptions, zarr};
//! use zarrs::array::{ArrayBuilder, data_type};
//!
//! let dir = std::env::temp_dir().join(format!("ndarray-gradient-zarr-doc-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&dir);
//! // A 40 × 30 float64 array in chunks of 16 × 16 (as zarr-python would write it).
//! let f = Array2::from_shape_fn((40, 30), |(i, j)| ((i * i) as f64).sin() + (j as f64).sqrt()).into_dyn();
//! let store = std::sync::Arc::new(zarrs::filesystem::FilesystemStore::new(dir.join("in.zarr"))?);
//! let array = ArrayBuilder::new(vec![40, 30], vec![16, 16], data_type::float64(), 0.0f64).build(store, "/")?;
//! array.store_metadata()?;
//! array.store_array_subset(&array.subset_all(), f.as_slice().unwrap())?;
//!
//! // np.gradient(f, 0.5, edge_order=2), chunk by chunk, into the group out.zarr.
//! let opts = GradientOptions::new().spacing(0.5).edge_order(ndarray_gradient::EdgeOrder::Second);
//! let summary = zarr::gradient(dir.join("in.zarr"), dir.join("out.zarr"), &opts, &zarr::ZarrOptions::new())?;
//! assert_eq!(summary.arrays, ["axis0", "axis1"]);
//!
//! let whole = f.gradient_with(&opts)?;
//! for (k, name) in summary.arrays.iter().enumerate() {
//!     let out = zarr::read_array::<f64>(dir.join("out.zarr").join(name))?;
//!     assert_eq!(out, whole[k]); // the same bits
//! }
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ndarray::{ArrayD, Axis, IxDyn, Slice};
use num_complex::Complex;
use rayon::prelude::*;
use zarrs::array::codec::{BytesCodec, ZstdCodec};
use zarrs::array::{
    Array, ArrayBuilder, ArrayBytes, ArraySubset, DataType, Element, ElementOwned, FromArrayBytes, data_type,
};
use zarrs::filesystem::FilesystemStore;
use zarrs::group::GroupBuilder;
use zarrs::storage::byte_range::{ByteRange, ByteRangeIterator};
use zarrs::storage::{Bytes, MaybeBytes, MaybeBytesIterator, ReadableStorageTraits, StorageError, StoreKey};

use crate::halo::block_number;
use crate::{BlockPlan, GradientElement, GradientError, GradientOptions, Halo, Operator};

/// The attribute (of the output group and of each output array) that describes the run, a
/// JSON object: `operation` (`"gradient"`, `"laplacian"` or `"operator"`, then also `operator`:
/// the operator in findiff's notation), `options`, `input` (its path),
/// `input_data_type`, `crate_version`, `complete` (`true` only once every chunk is written),
/// and on each gradient array `axis` (the input axis it differentiates) and `output` (its
/// position among the outputs).
///
/// `options` holds plain values, its lists indexed by the input's axes:
/// `axes` (the differentiated axes), `spacing` (a number, or `null` where coordinates were
/// given), `coordinates` (`true` where they were given), `edge_order` (1 or 2), `accuracy` (a
/// number, or `null` for NumPy's formulas), `derivative` (2 on every axis for the Laplacian,
/// `null` for an operator, whose orders are its own), `boundary` (`"one_sided"` or `"periodic"`) and `period` (the period given, or `null`: with a
/// uniform spacing `h` a periodic axis of `n` points has the period `n · h`).
///
/// ```
/// assert_eq!(ndarray_gradient::zarr::ATTRIBUTE, "ndarray_gradient");
/// ```
pub const ATTRIBUTE: &str = "ndarray_gradient";

type Source = Box<dyn Error + Send + Sync>;
type Store = FilesystemStore;

/// Why a Zarr run failed.
///
/// ```
/// use ndarray_gradient::{GradientOptions, zarr};
/// let err = zarr::gradient("/no/such/array.zarr", "/tmp/never-written.zarr",
///                          &GradientOptions::<f64>::new(), &zarr::ZarrOptions::new()).unwrap_err();
/// assert!(matches!(err, zarr::ZarrError::Input { .. }));
/// assert!(err.to_string().contains("/no/such/array.zarr"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ZarrError {
    /// The options do not fit the array (as the in-memory call would refuse them).
    Gradient(GradientError),
    /// The input is missing or is not a readable Zarr array (no or malformed metadata).
    Input {
        /// The input path.
        path: PathBuf,
        /// What the Zarr reader said.
        source: Source,
    },
    /// The input's data type has no gradient with options of this real type.
    UnsupportedDtype {
        /// The input's Zarr data type.
        data_type: String,
        /// The real type of the options (`"f64"` or `"f32"`).
        real: &'static str,
    },
    /// The output path exists and overwriting was not asked for (or it is the input itself).
    OutputExists {
        /// The output path.
        path: PathBuf,
    },
    /// The output group or its arrays could not be created or their metadata written.
    Output {
        /// The output path.
        path: PathBuf,
        /// What the Zarr writer said.
        source: Source,
    },
    /// A chunk of the input could not be read or decoded; the run stopped.
    ReadChunk {
        /// The input chunk that failed, when it could be told (else the output chunk's region
        /// failed to read as a whole).
        input_chunk: Option<Vec<u64>>,
        /// The output chunk being computed.
        output_chunk: Vec<u64>,
        /// The output chunks that were fully written before the run stopped (sorted).
        completed: Vec<Vec<u64>>,
        /// What the Zarr reader said.
        source: Source,
    },
    /// An output chunk could not be encoded or written; the run stopped.
    WriteChunk {
        /// The output chunk.
        output_chunk: Vec<u64>,
        /// The output chunks that were fully written before the run stopped (sorted).
        completed: Vec<Vec<u64>>,
        /// What the Zarr writer said.
        source: Source,
    },
}

impl fmt::Display for ZarrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZarrError::Gradient(e) => write!(f, "{e}"),
            ZarrError::Input { path, source } => {
                write!(f, "cannot open the Zarr array {}: {source}", path.display())
            }
            ZarrError::UnsupportedDtype { data_type, real } => write!(
                f,
                "unsupported data type {data_type} with {real} options (f64 options: float64, complex128 and \
                 integer arrays; f32 options: float32 and complex64 arrays)"
            ),
            ZarrError::OutputExists { path } => write!(
                f,
                "the output {} exists (or is the input); set ZarrOptions::overwrite(true) to replace it",
                path.display()
            ),
            ZarrError::Output { path, source } => {
                write!(f, "cannot create the output {}: {source}", path.display())
            }
            ZarrError::ReadChunk {
                input_chunk,
                output_chunk,
                completed,
                source,
            } => {
                match input_chunk {
                    Some(c) => write!(f, "cannot read input chunk {c:?}")?,
                    None => write!(f, "cannot read the input")?,
                }
                write!(
                    f,
                    " (for output chunk {output_chunk:?}): {source}; stopped with {} complete",
                    chunk_count(completed.len())
                )
            }
            ZarrError::WriteChunk {
                output_chunk,
                completed,
                source,
            } => write!(
                f,
                "cannot write output chunk {output_chunk:?}: {source}; stopped with {} complete",
                chunk_count(completed.len())
            ),
        }
    }
}

/// `"1 output chunk"`, `"3 output chunks"`.
fn chunk_count(n: usize) -> String {
    format!("{n} output chunk{}", if n == 1 { "" } else { "s" })
}

impl Error for ZarrError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            ZarrError::Gradient(e) => Some(e),
            ZarrError::Input { source, .. }
            | ZarrError::Output { source, .. }
            | ZarrError::ReadChunk { source, .. }
            | ZarrError::WriteChunk { source, .. } => Some(source.as_ref()),
            ZarrError::UnsupportedDtype { .. } | ZarrError::OutputExists { .. } => None,
        }
    }
}

impl From<GradientError> for ZarrError {
    fn from(e: GradientError) -> Self {
        ZarrError::Gradient(e)
    }
}

/// Where a run is, passed to the progress callback after each chunk. Non-exhaustive: more
/// counters may be added, so it is read, not built, outside this crate.
///
/// ```
/// use ndarray_gradient::zarr::{Progress, ZarrOptions};
/// let report = |p: &Progress| eprintln!("{}/{} chunks, {:.0} B/s", p.chunks_done, p.chunks_total, p.throughput());
/// let run = ZarrOptions::new().progress(&report);
/// # let _ = run;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Output chunks written so far.
    pub chunks_done: u64,
    /// Output chunks in all.
    pub chunks_total: u64,
    /// Decoded bytes of the input chunks done so far (without their halos).
    pub input_bytes: u64,
    /// Decoded bytes written so far, all outputs together.
    pub output_bytes: u64,
    /// Time since the run started.
    pub elapsed: Duration,
}

impl Progress {
    /// Input bytes per second so far (decoded size); 0 before any time has passed.
    ///
    /// ```
    /// # use ndarray_gradient::zarr::Progress;
    /// let fastest = std::sync::Mutex::new(0.0f64);
    /// let report = |p: &Progress| {
    ///     let mut m = fastest.lock().unwrap();
    ///     *m = m.max(p.throughput());
    /// };
    /// # let _ = ndarray_gradient::zarr::ZarrOptions::new().progress(&report);
    /// ```
    pub fn throughput(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 { self.input_bytes as f64 / s } else { 0.0 }
    }
}

/// How to run: overwrite, threads, progress callback.
///
/// ```
/// use ndarray_gradient::zarr::{Progress, ZarrOptions};
/// let report = |p: &Progress| eprintln!("{}/{} chunks", p.chunks_done, p.chunks_total);
/// let run = ZarrOptions::new().overwrite(true).threads(2).progress(&report);
/// # let _ = run;
/// ```
#[derive(Clone, Copy, Default)]
pub struct ZarrOptions<'p> {
    overwrite: bool,
    threads: Option<usize>,
    progress: Option<&'p (dyn Fn(&Progress) + Sync)>,
}

impl fmt::Debug for ZarrOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZarrOptions")
            .field("overwrite", &self.overwrite)
            .field("threads", &self.threads)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl<'p> ZarrOptions<'p> {
    /// Refuse an existing output, rayon's global thread pool, no progress reports.
    ///
    /// ```
    /// let run = ndarray_gradient::zarr::ZarrOptions::new();
    /// # let _ = run;
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Replace an existing output (a file or a whole directory tree at the output path).
    ///
    /// ```
    /// let run = ndarray_gradient::zarr::ZarrOptions::new().overwrite(true);
    /// # let _ = run;
    /// ```
    #[must_use]
    pub fn overwrite(mut self, yes: bool) -> Self {
        self.overwrite = yes;
        self
    }

    /// Run on a pool of `n` threads of its own (memory: a few chunks per thread).
    ///
    /// ```
    /// let run = ndarray_gradient::zarr::ZarrOptions::new().threads(1);
    /// # let _ = run;
    /// ```
    #[must_use]
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n.max(1));
        self
    }

    /// Call `f` after each output chunk is written (from the worker threads).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// let done = AtomicU64::new(0);
    /// let count = |p: &ndarray_gradient::zarr::Progress| done.store(p.chunks_done, Ordering::Relaxed);
    /// let run = ndarray_gradient::zarr::ZarrOptions::new().progress(&count);
    /// # let _ = run;
    /// ```
    #[must_use]
    pub fn progress(mut self, f: &'p (dyn Fn(&Progress) + Sync)) -> Self {
        self.progress = Some(f);
        self
    }
}

/// What a successful run wrote. Non-exhaustive: more counters may be added.
///
/// ```no_run
/// use ndarray::Axis;
/// use ndarray_gradient::{GradientOptions, zarr};
/// // da.gradient(da.from_zarr("field.zarr"), axis=0), stored: one output array, "axis0"
/// let opts = GradientOptions::<f64>::new().axes([Axis(0)]);
/// let s = zarr::gradient("field.zarr", "grad.zarr", &opts, &zarr::ZarrOptions::new()).unwrap();
/// assert_eq!(s.arrays, ["axis0"]);
/// println!("{} chunks, {} whole reads", s.chunks, s.input_chunk_reads);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// The names of the arrays in the output group, in the order of the options' axes.
    pub arrays: Vec<String>,
    /// The number of output chunks (per array).
    pub chunks: u64,
    /// Decoded bytes of input (without halos).
    pub input_bytes: u64,
    /// Decoded bytes written, all outputs together.
    pub output_bytes: u64,
    /// Input chunks fetched whole from the store to be decoded. Each chunk once is the ideal
    /// (`chunks`); more where the runs of two threads meet and, for codecs other than none and
    /// zstd, one more per chunk for the first planes of the chunk after it along axis 0.
    pub input_chunk_reads: u64,
    /// Partial reads of input chunks (byte ranges: the halo faces of uncompressed chunks, the
    /// start of a zstd stream for the first planes of a chunk).
    pub input_partial_reads: u64,
    /// Bytes fetched from the input store (as stored, compressed or not), all reads together.
    pub input_bytes_fetched: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
}

/// The shape, chunking and data type of a Zarr array, to choose options before a run.
///
/// ```no_run
/// let info = ndarray_gradient::zarr::inspect("data/field.zarr").unwrap();
/// println!("{:?} in chunks of {:?}, {}", info.shape, info.chunk_shape, info.data_type);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArrayInfo {
    /// The array's shape.
    pub shape: Vec<u64>,
    /// The shape of its first chunk.
    pub chunk_shape: Vec<u64>,
    /// Its Zarr data type (v3 name, then the v2 one where they differ).
    pub data_type: String,
    /// Whether it needs `f32` options (float32, complex64) rather than `f64`.
    pub needs_f32: bool,
}

/// Opens the Zarr array at `path` and tells its shape, chunking and data type.
///
/// # Errors
///
/// [`ZarrError::Input`] if there is no readable Zarr array at `path`.
///
/// ```
/// let err = ndarray_gradient::zarr::inspect("/no/such.zarr").unwrap_err();
/// assert!(matches!(err, ndarray_gradient::zarr::ZarrError::Input { .. }));
/// ```
pub fn inspect(path: impl AsRef<Path>) -> Result<ArrayInfo, ZarrError> {
    let array = open_input(path.as_ref())?;
    let dt = array.data_type();
    let first = vec![0; array.dimensionality()];
    let chunk_shape = if array.shape().contains(&0) {
        array.shape().to_vec()
    } else {
        array
            .chunk_shape(&first)
            .map_err(|e| input_err(path.as_ref(), e))?
            .iter()
            .map(|c| c.get())
            .collect()
    };
    Ok(ArrayInfo {
        shape: array.shape().to_vec(),
        chunk_shape,
        data_type: dt.to_string(),
        needs_f32: *dt == data_type::float32() || *dt == data_type::complex64(),
    })
}

/// Reads a whole Zarr array of element type `T` into memory (for tests and small arrays).
///
/// # Errors
///
/// [`ZarrError::Input`] if there is no readable Zarr array at `path`;
/// [`ZarrError::ReadChunk`] if it does not decode as `T`.
///
/// ```
/// let err = ndarray_gradient::zarr::read_array::<f64>("/no/such.zarr").unwrap_err();
/// assert!(matches!(err, ndarray_gradient::zarr::ZarrError::Input { .. }));
/// ```
pub fn read_array<T: ElementOwned>(path: impl AsRef<Path>) -> Result<ArrayD<T>, ZarrError> {
    let array = open_input(path.as_ref())?;
    array
        .retrieve_array_subset::<ArrayD<T>>(&array.subset_all())
        .map_err(|e| ZarrError::ReadChunk {
            input_chunk: None,
            output_chunk: Vec::new(),
            completed: Vec::new(),
            source: Box::new(e),
        })
}

/// The gradient of the Zarr array at `input` with `opts` (spacings and coordinates of the
/// whole array, edge order, accuracy, derivative order, periodic axes, the axes), written to a
/// new Zarr group at `output` with one array per differentiated axis (`axis0`, `axis1`, …).
/// See the [module documentation](self).
///
/// # Errors
///
/// Every [`ZarrError`]: the input missing or malformed, an unsupported data type, options
/// the in-memory call refuses, the output existing (without
/// [`overwrite`](ZarrOptions::overwrite)), a chunk failing to read, decode or write.
///
/// # Example
///
/// ```
/// use ndarray_gradient::{GradientOptions, zarr};
/// let err = zarr::gradient("/no/such.zarr", "/tmp/out.zarr", &GradientOptions::<f64>::new(),
///                          &zarr::ZarrOptions::new()).unwrap_err();
/// assert!(matches!(err, zarr::ZarrError::Input { .. }));
/// ```
pub fn gradient<R: ZarrReal>(
    input: impl AsRef<Path>,
    output: impl AsRef<Path>,
    opts: &GradientOptions<'_, R>,
    run: &ZarrOptions<'_>,
) -> Result<Summary, ZarrError> {
    start(input.as_ref(), output.as_ref(), opts, run, Operation::Gradient)
}

/// The Laplacian of the Zarr array at `input` with `opts`, written to a new Zarr group at
/// `output` holding one array, `laplacian`. As [`gradient`] otherwise.
///
/// # Errors
///
/// As [`gradient`].
///
/// # Example
///
/// ```
/// use ndarray_gradient::{GradientOptions, zarr};
/// let err = zarr::laplacian("/no/such.zarr", "/tmp/out.zarr", &GradientOptions::<f64>::new(),
///                           &zarr::ZarrOptions::new()).unwrap_err();
/// assert!(err.to_string().starts_with("cannot open the Zarr array"));
/// ```
pub fn laplacian<R: ZarrReal>(
    input: impl AsRef<Path>,
    output: impl AsRef<Path>,
    opts: &GradientOptions<'_, R>,
    run: &ZarrOptions<'_>,
) -> Result<Summary, ZarrError> {
    start(input.as_ref(), output.as_ref(), opts, run, Operation::Laplacian)
}

/// Any [`Operator`] (mixed partials, sums, coefficients) applied to the Zarr array at `input`
/// with `opts`, written to a new Zarr group at `output` holding one array, `operator`: the
/// bits of [`Operator::apply`] on the same data. An operator with a mixed partial also reads
/// the corners of each chunk's halo ([`BlockPlan::reads_corners`]), from the store.
/// Coefficient arrays are in memory, of the input's shape. The output's attribute
/// `ndarray_gradient.operator` holds the operator in findiff's notation (its `Display`). As
/// [`gradient`] otherwise.
///
/// # Errors
///
/// As [`gradient`]; [`ZarrError::Gradient`] for what [`Operator::apply`] refuses on an array of
/// the input's shape.
///
/// # Example
///
/// ```
/// use ndarray::{Array2, Axis};
/// use ndarray_gradient::{GradientOptions, Operator, zarr};
/// use zarrs::array::{ArrayBuilder, data_type};
///
/// let dir = std::env::temp_dir().join(format!("ndarray-gradient-zarr-op-doc-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// let f = Array2::from_shape_fn((40, 30), |(i, j)| ((i * j) as f64 * 0.01).sin()).into_dyn();
/// let store = std::sync::Arc::new(zarrs::filesystem::FilesystemStore::new(dir.join("in.zarr"))?);
/// let array = ArrayBuilder::new(vec![40, 30], vec![16, 16], data_type::float64(), 0.0f64).build(store, "/")?;
/// array.store_metadata()?;
/// array.store_array_subset(&array.subset_all(), f.as_slice().unwrap())?;
///
/// // findiff: (Diff(0) * Diff(1))(f) with acc=4, chunk by chunk.
/// let d2_dxdy = Operator::derivative(Axis(0), 1) * Operator::derivative(Axis(1), 1);
/// let opts = GradientOptions::new().accuracy(4);
/// let summary = zarr::operator(dir.join("in.zarr"), dir.join("out.zarr"), &d2_dxdy, &opts, &zarr::ZarrOptions::new())?;
/// assert_eq!(summary.arrays, ["operator"]);
/// let out = zarr::read_array::<f64>(dir.join("out.zarr/operator"))?;
/// assert_eq!(out, d2_dxdy.apply(&f, &opts)?); // the same bits
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn operator<R: ZarrReal>(
    input: impl AsRef<Path>,
    output: impl AsRef<Path>,
    op: &Operator<'_, R>,
    opts: &GradientOptions<'_, R>,
    run: &ZarrOptions<'_>,
) -> Result<Summary, ZarrError> {
    start(input.as_ref(), output.as_ref(), opts, run, Operation::Operator(op))
}

/// One run of [`gradient`], [`laplacian`] or [`operator`], dispatched on the real type.
fn start<R: ZarrReal>(
    input: &Path,
    output: &Path,
    opts: &GradientOptions<'_, R>,
    run: &ZarrOptions<'_>,
    operation: Operation<'_, '_, R>,
) -> Result<Summary, ZarrError> {
    R::dispatch(&Job {
        input,
        output,
        opts,
        run,
        operation,
    })
}

/// The real types of options a Zarr run takes: `f64` and `f32`. Sealed.
///
/// ```
/// fn takes<R: ndarray_gradient::zarr::ZarrReal>() {}
/// takes::<f64>();
/// takes::<f32>();
/// ```
pub trait ZarrReal: private::Sealed + num_traits::Float + fmt::Debug + Send + Sync + 'static {}
impl ZarrReal for f64 {}
impl ZarrReal for f32 {}

mod private {
    use super::*;

    pub struct Job<'a, 'o, 'p, R> {
        pub input: &'a Path,
        pub output: &'a Path,
        pub opts: &'a GradientOptions<'o, R>,
        pub run: &'a ZarrOptions<'a>,
        pub operation: Operation<'a, 'p, R>,
    }

    /// What a run computes.
    pub enum Operation<'a, 'p, R> {
        Gradient,
        Laplacian,
        Operator(&'a Operator<'p, R>),
    }

    pub trait Sealed: Sized {
        fn dispatch(job: &Job<'_, '_, '_, Self>) -> Result<Summary, ZarrError>;
    }

    impl Sealed for f64 {
        fn dispatch(job: &Job<'_, '_, '_, f64>) -> Result<Summary, ZarrError> {
            let array = open_input(job.input)?;
            let dt = array.data_type().clone();
            macro_rules! by_type {
                ($($f:ident => $t:ty),*) => {
                    $(if dt == data_type::$f() { return execute::<$t, f64>(job, array); })*
                };
            }
            by_type!(float64 => f64, complex128 => Complex<f64>, int8 => i8, int16 => i16, int32 => i32,
                     int64 => i64, uint8 => u8, uint16 => u16, uint32 => u32, uint64 => u64);
            Err(ZarrError::UnsupportedDtype {
                data_type: dt.to_string(),
                real: "f64",
            })
        }
    }

    impl Sealed for f32 {
        fn dispatch(job: &Job<'_, '_, '_, f32>) -> Result<Summary, ZarrError> {
            let array = open_input(job.input)?;
            let dt = array.data_type().clone();
            if dt == data_type::float32() {
                return execute::<f32, f32>(job, array);
            }
            if dt == data_type::complex64() {
                return execute::<Complex<f32>, f32>(job, array);
            }
            Err(ZarrError::UnsupportedDtype {
                data_type: dt.to_string(),
                real: "f32",
            })
        }
    }

    /// The output element types: their Zarr data type and a zero fill value.
    pub trait OutElement: Element + Default + Copy + Send + Sync {
        fn data_type() -> DataType;
        fn zero_fill() -> zarrs::array::FillValue;
    }
    impl OutElement for f64 {
        fn data_type() -> DataType {
            data_type::float64()
        }
        fn zero_fill() -> zarrs::array::FillValue {
            0.0f64.into()
        }
    }
    impl OutElement for f32 {
        fn data_type() -> DataType {
            data_type::float32()
        }
        fn zero_fill() -> zarrs::array::FillValue {
            0.0f32.into()
        }
    }
    impl OutElement for Complex<f64> {
        fn data_type() -> DataType {
            data_type::complex128()
        }
        fn zero_fill() -> zarrs::array::FillValue {
            Complex::<f64>::new(0.0, 0.0).into()
        }
    }
    impl OutElement for Complex<f32> {
        fn data_type() -> DataType {
            data_type::complex64()
        }
        fn zero_fill() -> zarrs::array::FillValue {
            Complex::<f32>::new(0.0, 0.0).into()
        }
    }
}

use private::{Job, Operation, OutElement};

fn input_err(path: &Path, e: impl Into<Source>) -> ZarrError {
    ZarrError::Input {
        path: path.to_path_buf(),
        source: e.into(),
    }
}

fn output_err(path: &Path, e: impl Into<Source>) -> ZarrError {
    ZarrError::Output {
        path: path.to_path_buf(),
        source: e.into(),
    }
}

fn open_input(path: &Path) -> Result<Array<Store>, ZarrError> {
    if !path.is_dir() {
        return Err(input_err(path, "no such directory"));
    }
    let store = Arc::new(Store::new(path).map_err(|e| input_err(path, e))?);
    Array::open(store, "/").map_err(|e| input_err(path, e))
}

/// The options of a run as plain JSON (see [`ATTRIBUTE`]): per-axis lists indexed by the
/// input's axes, and the settings that apply to the whole call.
fn options_json<R: num_traits::Float>(
    opts: &GradientOptions<'_, R>,
    nd: usize,
    operation: &Operation<'_, '_, R>,
) -> serde_json::Value {
    use crate::{Boundary, EdgeOrder, Spacing};
    use serde_json::{Value, json};
    let number = |v: R| v.to_f64().map_or(Value::Null, Value::from);
    let settings: Vec<_> = (0..nd).map(|k| opts.settings_of(Axis(k))).collect();
    let axes: Vec<usize> = match opts.get_axes() {
        Some(a) => a.iter().map(|a| a.index()).collect(),
        None => (0..nd).collect(),
    };
    let edge_order = match opts.settings_of(Axis(0)).edge_order {
        EdgeOrder::First => 1,
        EdgeOrder::Second => 2,
    };
    json!({
        "axes": axes,
        "spacing": settings.iter().map(|s| match s.spacing {
            Spacing::Uniform(h) => number(h),
            Spacing::Coordinates(_) => Value::Null,
        }).collect::<Vec<_>>(),
        "coordinates": settings.iter().map(|s| matches!(s.spacing, Spacing::Coordinates(_))).collect::<Vec<_>>(),
        "edge_order": edge_order,
        "accuracy": settings.iter().map(|s| s.accuracy.map_or(Value::Null, Value::from)).collect::<Vec<_>>(),
        // The operator's orders are its own (in `operator`); the Laplacian's are 2.
        "derivative": settings.iter().map(|s| match operation {
            Operation::Gradient => Value::from(s.derivative),
            Operation::Laplacian => Value::from(2),
            Operation::Operator(_) => Value::Null,
        }).collect::<Vec<_>>(),
        "boundary": settings.iter().map(|s| match s.boundary {
            Boundary::OneSided => "one_sided",
            Boundary::Periodic | Boundary::PeriodicWithLength(_) => "periodic",
        }).collect::<Vec<_>>(),
        "period": settings.iter().map(|s| match s.boundary {
            Boundary::PeriodicWithLength(l) => number(l),
            Boundary::OneSided | Boundary::Periodic => Value::Null,
        }).collect::<Vec<_>>(),
    })
}

/// The attribute value describing a run.
fn describe<R: num_traits::Float>(
    job: &Job<'_, '_, '_, R>,
    input: &Array<Store>,
    extra: Option<(usize, usize)>,
) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    let operation = match job.operation {
        Operation::Gradient => "gradient",
        Operation::Laplacian => "laplacian",
        Operation::Operator(op) => {
            m.insert("operator".into(), op.to_string().into());
            "operator"
        }
    };
    m.insert("operation".into(), operation.into());
    if let Some((axis, position)) = extra {
        m.insert("axis".into(), axis.into());
        m.insert("output".into(), position.into());
    }
    m.insert(
        "options".into(),
        options_json(job.opts, input.dimensionality(), &job.operation),
    );
    m.insert("input".into(), job.input.display().to_string().into());
    m.insert("input_data_type".into(), input.data_type().to_string().into());
    m.insert("crate_version".into(), env!("CARGO_PKG_VERSION").into());
    m.insert("complete".into(), false.into());
    serde_json::Value::Object(m)
}

fn mark_complete(attrs: &mut serde_json::Map<String, serde_json::Value>) {
    if let Some(serde_json::Value::Object(m)) = attrs.get_mut(ATTRIBUTE) {
        m.insert("complete".into(), true.into());
    }
}

/// Removes or refuses an existing output.
fn prepare_output(input: &Path, output: &Path, overwrite: bool) -> Result<(), ZarrError> {
    let exists = output.symlink_metadata().is_ok();
    if exists {
        let same = match (input.canonicalize(), output.canonicalize()) {
            (Ok(a), Ok(b)) => a.starts_with(&b) || b.starts_with(&a),
            _ => false,
        };
        if !overwrite || same {
            return Err(ZarrError::OutputExists {
                path: output.to_path_buf(),
            });
        }
        let removed = if output.is_dir() {
            std::fs::remove_dir_all(output)
        } else {
            std::fs::remove_file(output)
        };
        removed.map_err(|e| output_err(output, e))?;
    }
    Ok(())
}

/// Splits the global range `lo..hi` (which may reach outside `0..n` on a periodic axis) into
/// pieces inside `0..n`: `(first sample, length, offset from lo)`.
fn wrapped_pieces(lo: isize, hi: isize, n: usize) -> Vec<(u64, u64, usize)> {
    let n = n as isize;
    let mut pieces = Vec::new();
    let mut p = lo;
    while p < hi {
        let r = p.rem_euclid(n);
        let len = (hi - p).min(n - r);
        pieces.push((r as u64, len as u64, (p - lo) as usize));
        p += len;
    }
    pieces
}

fn execute<T, R>(job: &Job<'_, '_, '_, R>, input: Array<Store>) -> Result<Summary, ZarrError>
where
    T: GradientElement<Real = R> + ElementOwned + Default + Send + Sync,
    T::Output: OutElement,
    R: num_traits::Float + fmt::Debug + Send + Sync,
{
    let started = Instant::now();
    let shape: Vec<usize> = input.shape().iter().map(|&n| n as usize).collect();
    let nd = shape.len();
    let plan = match job.operation {
        Operation::Gradient => BlockPlan::gradient(&shape, job.opts)?,
        Operation::Laplacian => BlockPlan::laplacian(&shape, job.opts)?,
        Operation::Operator(op) => BlockPlan::operator(&shape, op, job.opts)?,
    };
    let axes: Vec<usize> = match job.opts.get_axes() {
        Some(a) => a.iter().map(|a| a.index()).collect(),
        None => (0..nd).collect(),
    };
    let names: Vec<String> = match job.operation {
        Operation::Gradient => axes.iter().map(|k| format!("axis{k}")).collect(),
        Operation::Laplacian => vec!["laplacian".to_string()],
        Operation::Operator(_) => vec!["operator".to_string()],
    };

    // The output group and its arrays, marked incomplete.
    prepare_output(job.input, job.output, job.run.overwrite)?;
    let out_path = job.output;
    let store = Arc::new(Store::new(out_path).map_err(|e| output_err(out_path, e))?);
    let mut group = GroupBuilder::new()
        .build(store.clone(), "/")
        .map_err(|e| output_err(out_path, e))?;
    group
        .attributes_mut()
        .insert(ATTRIBUTE.into(), describe(job, &input, None));
    group.store_metadata().map_err(|e| output_err(out_path, e))?;
    // The input's dimension names, or xarray's `_ARRAY_DIMENSIONS` of a v2 input; none where
    // the input has none (no invented names).
    let dimension_names: Option<Vec<Option<String>>> = match input.dimension_names() {
        Some(names) => Some(names.clone()),
        None => match input.attributes().get("_ARRAY_DIMENSIONS") {
            Some(serde_json::Value::Array(v)) if v.len() == nd => {
                Some(v.iter().map(|n| n.as_str().map(str::to_string)).collect())
            }
            _ => None,
        },
    };
    let mut outputs = Vec::with_capacity(names.len());
    for (position, name) in names.iter().enumerate() {
        let mut builder = ArrayBuilder::new_with_chunk_grid(
            input.chunk_grid().clone(),
            T::Output::data_type(),
            T::Output::zero_fill(),
        );
        builder
            .array_to_bytes_codec(input.codecs().array_to_bytes_codec().clone())
            .bytes_to_bytes_codecs(input.codecs().bytes_to_bytes_codecs().to_vec())
            .dimension_names(dimension_names.clone());
        let extra = matches!(job.operation, Operation::Gradient).then(|| (axes[position], position));
        builder
            .attributes_mut()
            .insert(ATTRIBUTE.into(), describe(job, &input, extra));
        let array = builder
            .build(store.clone(), &format!("/{name}"))
            .map_err(|e| output_err(out_path, e))?;
        array.store_metadata().map_err(|e| output_err(out_path, e))?;
        outputs.push(array);
    }

    // The chunks: the linear range cut into one contiguous piece per thread, each piece in C
    // order (see `Window`); the first failure stops the others.
    let grid: Vec<u64> = input.chunk_grid_shape().to_vec();
    let total: u64 = if shape.contains(&0) { 0 } else { grid.iter().product() };
    let done = AtomicU64::new(0);
    let in_bytes = AtomicU64::new(0);
    let out_bytes = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let completed: Mutex<Vec<Vec<u64>>> = Mutex::new(Vec::new());
    let chunk_started: Vec<AtomicBool> = (0..total).map(|_| AtomicBool::new(false)).collect();
    // Every read of the run goes through the counting store.
    let counted = Arc::new(Counted::new(input.storage()));
    let store_dyn: Arc<dyn ReadableStorageTraits> = counted.clone();
    let input = input.with_storage(store_dyn);
    let shared = Shared {
        faces: Mutex::new(HashMap::new()),
        started: &chunk_started,
        grid: &grid,
        zstd_prefix: zstd_prefix_readable(&input),
    };

    let one_chunk = |linear: u64, window: &mut Window<T, T::Output>, end: u64| -> Result<(), ZarrError> {
        let indices = zarrs::array::unravel_index(linear, &grid).unwrap_or_default();
        let result = chunk::<T, R>(&plan, &input, &outputs, &shared, window, end, &indices, &shape);
        match result {
            Ok((read, written)) => {
                completed.lock().unwrap_or_else(|e| e.into_inner()).push(indices);
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                let i = in_bytes.fetch_add(read, Ordering::Relaxed) + read;
                let o = out_bytes.fetch_add(written, Ordering::Relaxed) + written;
                if let Some(report) = job.run.progress {
                    report(&Progress {
                        chunks_done: d,
                        chunks_total: total,
                        input_bytes: i,
                        output_bytes: o,
                        elapsed: started.elapsed(),
                    });
                }
                Ok(())
            }
            Err(e) => {
                stop.store(true, Ordering::Relaxed);
                Err(e)
            }
        }
    };
    let pieces = |threads: usize| -> Result<(), ZarrError> {
        let n = (threads as u64).clamp(1, total.max(1));
        (0..n).into_par_iter().try_for_each(|p| {
            let (lo, hi) = (p * total / n, (p + 1) * total / n);
            let mut window = Window::new();
            // Each thread computes its chunks one at a time, serially: the parallelism is
            // across chunks (and a thread's memory stays its own window and buffers).
            crate::with_parallel_threshold(usize::MAX, || {
                for linear in lo..hi {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    one_chunk(linear, &mut window, hi)?;
                }
                Ok(())
            })
        })
    };
    let result = match job.run.threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| output_err(out_path, e))?
            .install(|| pieces(n)),
        None => pieces(rayon::current_num_threads()),
    };
    if let Err(mut e) = result {
        let mut list = std::mem::take(&mut *completed.lock().unwrap_or_else(|e| e.into_inner()));
        list.sort();
        if let ZarrError::ReadChunk { completed, .. } | ZarrError::WriteChunk { completed, .. } = &mut e {
            *completed = list;
        }
        return Err(e);
    }

    // Every chunk written: only now mark the arrays and the group complete.
    for array in &mut outputs {
        mark_complete(array.attributes_mut());
        array.store_metadata().map_err(|e| output_err(out_path, e))?;
    }
    mark_complete(group.attributes_mut());
    group.store_metadata().map_err(|e| output_err(out_path, e))?;
    Ok(Summary {
        arrays: names,
        chunks: total,
        input_bytes: in_bytes.into_inner(),
        output_bytes: out_bytes.into_inner(),
        input_chunk_reads: counted.whole.load(Ordering::Relaxed),
        input_partial_reads: counted.partial.load(Ordering::Relaxed),
        input_bytes_fetched: counted.bytes.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    })
}

/// The input store of a run, counting what is fetched from it: whole values (a chunk read to
/// be decoded whole), partial reads (byte ranges: faces of uncompressed chunks, prefixes of
/// zstd streams) and bytes.
struct Counted {
    inner: Arc<dyn ReadableStorageTraits>,
    whole: AtomicU64,
    partial: AtomicU64,
    bytes: AtomicU64,
}

impl Counted {
    fn new(inner: Arc<dyn ReadableStorageTraits>) -> Self {
        Counted {
            inner,
            whole: AtomicU64::new(0),
            partial: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }
}

impl ReadableStorageTraits for Counted {
    fn get(&self, key: &StoreKey) -> Result<MaybeBytes, StorageError> {
        let got = self.inner.get(key)?;
        if let Some(b) = &got {
            self.whole.fetch_add(1, Ordering::Relaxed);
            self.bytes.fetch_add(b.len() as u64, Ordering::Relaxed);
        }
        Ok(got)
    }

    fn get_partial_many<'a>(
        &'a self,
        key: &StoreKey,
        byte_ranges: ByteRangeIterator<'a>,
    ) -> Result<MaybeBytesIterator<'a>, StorageError> {
        // zarrs reads a whole value this way too (one range from 0 to the end).
        let ranges: Vec<ByteRange> = byte_ranges.collect();
        let whole = matches!(ranges.as_slice(), [ByteRange::FromStart(0, None)]);
        let got = self.inner.get_partial_many(key, Box::new(ranges.into_iter()))?;
        Ok(got.map(|parts| {
            let count = if whole { &self.whole } else { &self.partial };
            count.fetch_add(1, Ordering::Relaxed);
            let counted = parts.inspect(|part| {
                if let Ok(b) = part {
                    self.bytes.fetch_add(b.len() as u64, Ordering::Relaxed);
                }
            });
            Box::new(counted) as Box<dyn Iterator<Item = Result<Bytes, StorageError>> + 'a>
        }))
    }

    fn size_key(&self, key: &StoreKey) -> Result<Option<u64>, StorageError> {
        self.inner.size_key(key)
    }

    fn supports_get_partial(&self) -> bool {
        self.inner.supports_get_partial()
    }
}

/// What the chunks of one run share: the faces chunks leave for the neighbours after them.
struct Shared<'a, T> {
    /// Faces of the chunks computed, kept for a neighbour not yet started: keyed by the
    /// neighbour's linear index and the axis. Thin (a halo's thickness); each is taken once.
    faces: Mutex<HashMap<(u64, usize), ArrayD<T>>>,
    /// Whether each chunk has started.
    started: &'a [AtomicBool],
    grid: &'a [u64],
    /// Whether the first planes of a chunk can be had by decoding only the start of its zstd
    /// stream (see `zstd_prefix_readable`).
    zstd_prefix: bool,
}

/// The chunks one thread decoded ahead of their turn, by linear index.
///
/// A thread computes a contiguous run of chunks in C order. The halo after a chunk along
/// axes 1.. lies in chunks of the same thread's run not computed yet (the next chunk along the
/// last axis, the next row along axis 1, …): they are decoded whole once, kept here, and taken
/// out when their own turn comes, so each is decoded once. What a chunk leaves for the chunks
/// after it (its last planes, their halo before) is a thin face in `Shared::faces`. The halo
/// after a chunk along axis 0 (the next slab, far ahead in C order) is not kept whole: it is
/// the first planes of that chunk, a prefix of its bytes in C order, read alone (see
/// `read_after0`).
///
/// Memory: at most one row of chunks is held here, `R = g[2] × … × g[n-1]` chunks for the chunk
/// grid `g` (1 for one- and two-dimensional arrays): the chunks of the current row not yet
/// computed plus those of the next row already decoded.
///
/// It also keeps the thread's buffers (the chunk with its halo, one output) from one chunk to
/// the next: fresh ones would cost their pages' first-touch faults for every chunk.
struct Window<T, O> {
    chunks: HashMap<u64, ArrayD<T>>,
    buf: Option<ArrayD<T>>,
    out: Option<ArrayD<O>>,
}

impl<T, O> Window<T, O> {
    fn new() -> Self {
        Window {
            chunks: HashMap::new(),
            buf: None,
            out: None,
        }
    }
}

/// The linear index of chunk `indices` in `grid` (C order; the chunk count fits in `usize`,
/// as the run holds one flag per chunk).
fn linear_index(indices: &[u64], grid: &[u64]) -> u64 {
    let to_usize = |v: &[u64]| v.iter().map(|&i| i as usize).collect::<Vec<_>>();
    block_number(&to_usize(indices), &to_usize(grid)) as u64
}

/// Whether the input is stored as plain bytes in the platform's order compressed by zstd alone
/// (zarr-python's default for numbers): then the first planes (axis 0) of a chunk are the
/// start of its decompressed stream, and decoding stops there.
fn zstd_prefix_readable(input: &Array<dyn ReadableStorageTraits>) -> bool {
    let codecs = input.codecs();
    let bytes = codecs.array_to_bytes_codec();
    let native = match bytes.as_any().downcast_ref::<BytesCodec>() {
        Some(_) => match bytes.configuration_v3(&Default::default()) {
            Some(c) => match c.get("endian").and_then(|e| e.as_str()) {
                None => true,
                Some(e) => (e == "little") == cfg!(target_endian = "little"),
            },
            None => false,
        },
        None => false,
    };
    native
        && codecs.array_to_array_codecs().is_empty()
        && codecs.bytes_to_bytes_codecs().len() == 1
        && codecs.bytes_to_bytes_codecs()[0]
            .as_any()
            .downcast_ref::<ZstdCodec>()
            .is_some()
}

/// A value of the store read in pieces as it is asked for (to feed a streaming decoder).
struct StoreReader<'a> {
    store: &'a dyn ReadableStorageTraits,
    key: StoreKey,
    pos: u64,
    size: u64,
}

impl std::io::Read for StoreReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let len = (buf.len() as u64).min(self.size - self.pos.min(self.size));
        if len == 0 {
            return Ok(0);
        }
        let got = self
            .store
            .get_partial(&self.key, ByteRange::FromStart(self.pos, Some(len)))
            .map_err(std::io::Error::other)?
            .ok_or_else(|| std::io::Error::other("the chunk vanished"))?;
        let n = got.len().min(buf.len());
        if n == 0 {
            return Err(std::io::Error::other("short read"));
        }
        buf[..n].copy_from_slice(&got[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

/// The first `planes` planes (axis 0) of chunk `chunk`, cut to `extent` on the other axes, by
/// decoding only the start of its zstd stream. `None` where that does not apply (a chunk not
/// stored, which is all fill value, or anything unexpected): the caller then reads it through
/// zarrs, which also reports a broken chunk properly.
fn zstd_prefix<T: ElementOwned>(
    input: &Array<dyn ReadableStorageTraits>,
    chunk: &[u64],
    planes: usize,
    extent: &[usize],
) -> Option<ArrayD<T>> {
    use std::io::Read;
    let full: Vec<u64> = input.chunk_shape(chunk).ok()?.iter().map(|n| n.get()).collect();
    if planes as u64 > full[0] || input.data_type().fixed_size() != Some(size_of::<T>()) {
        return None;
    }
    let mut shape = full;
    shape[0] = planes as u64;
    let len = usize::try_from(shape.iter().product::<u64>()).ok()? * size_of::<T>();
    let store = input.storage();
    let key = input.chunk_key(chunk);
    let size = store.size_key(&key).ok()??;
    let reader = StoreReader {
        store: store.as_ref(),
        key,
        pos: 0,
        size,
    };
    let mut decoder = zstd::stream::read::Decoder::new(reader).ok()?;
    let mut bytes = vec![0u8; len];
    decoder.read_exact(&mut bytes).ok()?;
    let planes_all = ArrayD::<T>::from_array_bytes(ArrayBytes::new_flen(bytes), &shape, input.data_type()).ok()?;
    let cut = planes_all.slice_each_axis(|d| {
        let k = d.axis.index();
        Slice::from(0..if k == 0 { planes } else { extent[k] })
    });
    Some(cut.to_owned())
}

/// Reads, computes and writes one output chunk; returns (input bytes, output bytes).
/// `end` is the end of the calling thread's run of chunks (see [`Window`]).
#[allow(clippy::too_many_arguments)]
fn chunk<T, R>(
    plan: &BlockPlan<R>,
    input: &Array<dyn ReadableStorageTraits>,
    outputs: &[Array<Store>],
    shared: &Shared<'_, T>,
    window: &mut Window<T, T::Output>,
    end: u64,
    indices: &[u64],
    shape: &[usize],
) -> Result<(u64, u64), ZarrError>
where
    T: GradientElement<Real = R> + ElementOwned + Default + Clone,
    T::Output: OutElement,
    R: num_traits::Float,
{
    let task = ChunkTask::locate(plan, input, shared, indices, end, shape)?;
    shared.started[task.linear as usize].store(true, Ordering::Relaxed);
    let mut buf = task.buffer(window);
    let core = task.core(window)?;
    place(&mut buf, &core, &task.halo.before);
    task.leave_faces(&core);
    drop(core);
    task.fill_halo(&mut buf, window)?;
    let written = task.compute_and_write(&buf, window, outputs)?;
    window.buf = Some(buf);
    Ok((task.bounded.num_elements() * size_of::<T>() as u64, written))
}

/// Copies `part` into `buf` at `at`.
fn place<T: Clone>(buf: &mut ArrayD<T>, part: &ArrayD<T>, at: &[usize]) {
    let mut dst = buf.view_mut();
    for (k, (&a, &n)) in at.iter().zip(part.shape()).enumerate() {
        dst.slice_axis_inplace(Axis(k), Slice::from(a..a + n));
    }
    dst.assign(part);
}

/// One output chunk of a run: where it is, its halo, and the steps that read, compute and
/// write it ([`chunk`]).
struct ChunkTask<'r, 's, T, R> {
    plan: &'r BlockPlan<R>,
    input: &'r Array<dyn ReadableStorageTraits>,
    shared: &'r Shared<'s, T>,
    /// The chunk's position in the chunk grid, and its linear index (C order).
    indices: &'r [u64],
    linear: u64,
    /// The end of the calling thread's run of chunks.
    end: u64,
    /// The whole array's shape.
    shape: &'r [usize],
    /// The chunk's extent in the chunk grid, and its part inside the array.
    full: ArraySubset,
    bounded: ArraySubset,
    start: Vec<usize>,
    block: Vec<usize>,
    halo: Halo,
}

impl<'r, 's, T, R> ChunkTask<'r, 's, T, R>
where
    T: GradientElement<Real = R> + ElementOwned + Default + Clone,
    T::Output: OutElement,
    R: num_traits::Float,
{
    /// The chunk at `indices`: its place in the array and the halo its points read.
    fn locate(
        plan: &'r BlockPlan<R>,
        input: &'r Array<dyn ReadableStorageTraits>,
        shared: &'r Shared<'s, T>,
        indices: &'r [u64],
        end: u64,
        shape: &'r [usize],
    ) -> Result<Self, ZarrError> {
        let err = |e: Source| read_error(indices, None, e);
        let full = input.chunk_subset(indices).map_err(|e| err(Box::new(e)))?;
        let bounded = input.chunk_subset_bounded(indices).map_err(|e| err(Box::new(e)))?;
        let start: Vec<usize> = bounded.start().iter().map(|&s| s as usize).collect();
        let block: Vec<usize> = bounded.shape().iter().map(|&s| s as usize).collect();
        let halo = plan.halo(&start, &block)?;
        Ok(ChunkTask {
            plan,
            input,
            shared,
            indices,
            linear: linear_index(indices, shared.grid),
            end,
            shape,
            full,
            bounded,
            start,
            block,
            halo,
        })
    }

    fn read_err(&self, input_chunk: Option<Vec<u64>>, e: Source) -> ZarrError {
        read_error(self.indices, input_chunk, e)
    }

    /// The buffer for the chunk with its halo: the previous chunk's when the shapes agree
    /// (every sample the computation reads, the chunk and the faces of its halo, and the
    /// corners when the plan reads them, is overwritten; corners never read may keep old
    /// values).
    fn buffer(&self, window: &mut Window<T, T::Output>) -> ArrayD<T> {
        let ext = self.halo.around(&self.block);
        match window.buf.take() {
            Some(b) if b.shape() == ext.as_slice() => b,
            _ => ArrayD::default(IxDyn(&ext)),
        }
    }

    /// One whole input chunk (its part inside the array), decoded.
    fn decode(&self, c: &[u64]) -> Result<ArrayD<T>, ZarrError> {
        let err = |e: Source| self.read_err(Some(c.to_vec()), e);
        let cb = self.input.chunk_subset_bounded(c).map_err(|e| err(Box::new(e)))?;
        self.input
            .retrieve_array_subset::<ArrayD<T>>(&cb)
            .map_err(|e| err(Box::new(e)))
    }

    /// The chunk itself: decoded ahead as a neighbour's halo, or now.
    fn core(&self, window: &mut Window<T, T::Output>) -> Result<ArrayD<T>, ZarrError> {
        match window.chunks.remove(&self.linear) {
            Some(c) => Ok(c),
            None => self.decode(self.indices),
        }
    }

    /// Leaves the faces that the next chunks along each axis will need as their halo before
    /// them, for those not started yet.
    fn leave_faces(&self, core: &ArrayD<T>) {
        let grid = self.shared.grid;
        for k in 0..self.indices.len() {
            if self.indices[k] + 1 >= grid[k] {
                continue;
            }
            let mut next = self.indices.to_vec();
            next[k] += 1;
            let nl = linear_index(&next, grid);
            if self.shared.started[nl as usize].load(Ordering::Relaxed) {
                continue;
            }
            let Ok(nb) = self.input.chunk_subset_bounded(&next) else {
                continue;
            };
            let nstart: Vec<usize> = nb.start().iter().map(|&s| s as usize).collect();
            let nblock: Vec<usize> = nb.shape().iter().map(|&s| s as usize).collect();
            let Ok(nh) = self.plan.halo(&nstart, &nblock) else {
                continue;
            };
            let h = nh.before[k];
            if h == 0 || h > self.block[k] {
                continue;
            }
            let face = core
                .slice_axis(Axis(k), Slice::from(self.block[k] - h..self.block[k]))
                .to_owned();
            self.shared
                .faces
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert((nl, k), face);
        }
    }

    /// The faces of the halo into `buf`, wrapped on periodic axes: before, from the face the
    /// chunk before left; after, along axis 0 from the start of the next chunk (see [`Window`]),
    /// along the other axes from whole chunks kept in the window; anything else from the store.
    fn fill_halo(&self, buf: &mut ArrayD<T>, window: &mut Window<T, T::Output>) -> Result<(), ZarrError> {
        let (start, block, halo) = (&self.start, &self.block, &self.halo);
        let nd = block.len();
        let own: Vec<std::ops::Range<u64>> = (0..nd).map(|k| start[k] as u64..(start[k] + block[k]) as u64).collect();
        for k in 0..nd {
            let sides = [
                (start[k] as isize - halo.before[k] as isize, start[k] as isize, 0, true),
                (
                    (start[k] + block[k]) as isize,
                    (start[k] + block[k] + halo.after[k]) as isize,
                    halo.before[k] + block[k],
                    false,
                ),
            ];
            for (lo, hi, at, before) in sides {
                if lo == hi {
                    continue;
                }
                let mut pos = halo.before.clone();
                if before {
                    let left = self
                        .shared
                        .faces
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&(self.linear, k));
                    if let Some(face) = left.filter(|f| f.shape()[k] == halo.before[k]) {
                        pos[k] = 0;
                        place(buf, &face, &pos);
                        continue;
                    }
                }
                let slab_axis = k == 0 && nd > 1;
                if !before && slab_axis && self.shared.zstd_prefix && hi as usize <= self.shape[k] {
                    let mut next = self.indices.to_vec();
                    next[0] += 1;
                    if let Some(face) = zstd_prefix::<T>(self.input, &next, halo.after[0], block) {
                        pos[k] = at;
                        place(buf, &face, &pos);
                        continue;
                    }
                }
                for (first, len, offset) in wrapped_pieces(lo, hi, self.shape[k]) {
                    let mut ranges = own.clone();
                    ranges[k] = first..first + len;
                    pos[k] = at + offset;
                    let part = if slab_axis {
                        self.region_from_store(&ranges)?
                    } else {
                        self.region_from_chunks(window, &ranges)?
                    };
                    place(buf, &part, &pos);
                }
            }
        }
        if self.plan.reads_corners() {
            self.fill_corners(buf)?;
        }
        Ok(())
    }

    /// The corners of the halo (beyond the chunk along two or more axes at once), for a plan
    /// that reads them (an operator with a mixed partial): each read from the store, wrapped on
    /// periodic axes. They are a halo's thickness along two axes or more, but each read decodes
    /// the chunk it lies in (for compressed chunks); keeping them as the faces are kept is left
    /// to do.
    fn fill_corners(&self, buf: &mut ArrayD<T>) -> Result<(), ZarrError> {
        let (start, block, halo) = (&self.start, &self.block, &self.halo);
        let nd = block.len();
        for code in 0..3usize.pow(nd as u32) {
            let side: Vec<usize> = (0..nd).map(|k| code / 3usize.pow(k as u32) % 3).collect();
            if side.iter().filter(|&&d| d != 1).count() < 2 {
                continue;
            }
            // Along each axis: the global range and its place in `buf`, before (0), the
            // chunk's own (1) or after (2).
            let spans: Vec<(isize, isize, usize)> = (0..nd)
                .map(|k| {
                    let (s, e) = (start[k] as isize, (start[k] + block[k]) as isize);
                    match side[k] {
                        0 => (s - halo.before[k] as isize, s, 0),
                        1 => (s, e, halo.before[k]),
                        _ => (e, e + halo.after[k] as isize, halo.before[k] + block[k]),
                    }
                })
                .collect();
            if spans.iter().any(|&(lo, hi, _)| lo == hi) {
                continue;
            }
            let pieces: Vec<Vec<(u64, u64, usize)>> = (0..nd)
                .map(|k| wrapped_pieces(spans[k].0, spans[k].1, self.shape[k]))
                .collect();
            // Every combination of the axes' pieces (more than one only where a corner wraps).
            let mut pick = vec![0usize; nd];
            'pieces: loop {
                let ranges: Vec<std::ops::Range<u64>> = (0..nd)
                    .map(|k| {
                        let (first, len, _) = pieces[k][pick[k]];
                        first..first + len
                    })
                    .collect();
                let pos: Vec<usize> = (0..nd).map(|k| spans[k].2 + pieces[k][pick[k]].2).collect();
                let part = self.region_from_store(&ranges)?;
                place(buf, &part, &pos);
                for k in (0..nd).rev() {
                    pick[k] += 1;
                    if pick[k] < pieces[k].len() {
                        continue 'pieces;
                    }
                    pick[k] = 0;
                }
                break;
            }
        }
        Ok(())
    }

    /// The global region `ranges` from whole chunks: those of this thread's run still to come
    /// are decoded once and kept in the window for their own turn.
    fn region_from_chunks(
        &self,
        window: &mut Window<T, T::Output>,
        ranges: &[std::ops::Range<u64>],
    ) -> Result<ArrayD<T>, ZarrError> {
        let nd = ranges.len();
        let subset = ArraySubset::new_with_ranges(ranges);
        let region_shape: Vec<usize> = ranges.iter().map(|r| (r.end - r.start) as usize).collect();
        let mut region: ArrayD<T> = ArrayD::default(IxDyn(&region_shape));
        let chunks = self
            .input
            .chunks_in_array_subset(&subset)
            .map_err(|e| self.read_err(None, Box::new(e)))?
            .ok_or_else(|| self.read_err(None, "a region outside the chunk grid".into()))?;
        for c in &chunks.indices() {
            let c: &[u64] = &c;
            let l = linear_index(c, self.shared.grid);
            let cb = self
                .input
                .chunk_subset_bounded(c)
                .map_err(|e| self.read_err(Some(c.to_vec()), Box::new(e)))?;
            let transient;
            let data = if l > self.linear && l < self.end {
                match window.chunks.entry(l) {
                    std::collections::hash_map::Entry::Occupied(e) => &*e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => &*e.insert(self.decode(c)?),
                }
            } else {
                transient = self.decode(c)?;
                &transient
            };
            // The part of the region in this chunk.
            let (lo, hi): (Vec<u64>, Vec<u64>) = (0..nd)
                .map(|k| {
                    (
                        ranges[k].start.max(cb.start()[k]),
                        ranges[k].end.min(cb.start()[k] + cb.shape()[k]),
                    )
                })
                .unzip();
            let src = data.slice_each_axis(|d| {
                let k = d.axis.index();
                Slice::from((lo[k] - cb.start()[k]) as usize..(hi[k] - cb.start()[k]) as usize)
            });
            let mut dst = region.view_mut();
            for k in 0..nd {
                dst.slice_axis_inplace(
                    Axis(k),
                    Slice::from((lo[k] - ranges[k].start) as usize..(hi[k] - ranges[k].start) as usize),
                );
            }
            dst.assign(&src);
        }
        Ok(region)
    }

    /// The global region `ranges` straight from the store (zarrs reads only the bytes needed
    /// where the codecs allow: a face of an uncompressed chunk); on failure, finds the input
    /// chunk that fails.
    fn region_from_store(&self, ranges: &[std::ops::Range<u64>]) -> Result<ArrayD<T>, ZarrError> {
        let subset = ArraySubset::new_with_ranges(ranges);
        self.input.retrieve_array_subset::<ArrayD<T>>(&subset).map_err(|e| {
            let culprit = self
                .input
                .chunks_in_array_subset(&subset)
                .ok()
                .flatten()
                .and_then(|chunks| {
                    chunks
                        .indices()
                        .into_iter()
                        .find(|c| {
                            self.input
                                .retrieve_chunk::<zarrs::array::ArrayBytes<'static>>(c)
                                .is_err()
                        })
                        .map(|c| c.to_vec())
                });
            self.read_err(culprit, Box::new(e))
        })
    }

    /// Computes and writes one output at a time, into an array of the full chunk's shape: the
    /// previous chunk's for a chunk inside the array (every sample is computed), a fresh one for
    /// a chunk cut short at the array's end (its padding keeps the zero fill). Returns the bytes
    /// written.
    fn compute_and_write(
        &self,
        buf: &ArrayD<T>,
        window: &mut Window<T, T::Output>,
        outputs: &[Array<Store>],
    ) -> Result<u64, ZarrError> {
        let block = &self.block;
        let chunk_shape: Vec<usize> = self.full.shape().iter().map(|&s| s as usize).collect();
        let mut out = match window.out.take() {
            Some(o) if *block == chunk_shape && o.shape() == chunk_shape.as_slice() => o,
            _ => ArrayD::default(IxDyn(&chunk_shape)),
        };
        let mut written = 0;
        for (j, array) in outputs.iter().enumerate() {
            let mut view = out.slice_each_axis_mut(|d| Slice::from(0..block[d.axis.index()]));
            self.plan.compute_one(j, buf.view(), &self.start, block, &mut view)?;
            let data = out
                .as_slice()
                .expect("an array made by ArrayD::default is in standard layout");
            array
                .store_chunk(self.indices, data)
                .map_err(|e| ZarrError::WriteChunk {
                    output_chunk: self.indices.to_vec(),
                    completed: Vec::new(),
                    source: Box::new(e),
                })?;
            written += self.bounded.num_elements() * size_of::<T::Output>() as u64;
        }
        window.out = Some(out);
        Ok(written)
    }
}

/// A failure to read for the output chunk `output_chunk` (the input chunk that failed, where
/// known).
fn read_error(output_chunk: &[u64], input_chunk: Option<Vec<u64>>, source: Source) -> ZarrError {
    ZarrError::ReadChunk {
        input_chunk,
        output_chunk: output_chunk.to_vec(),
        completed: Vec::new(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::wrapped_pieces;

    #[test]
    fn pieces_wrap_around_the_axis() {
        assert_eq!(wrapped_pieces(-2, 0, 10), vec![(8, 2, 0)]);
        assert_eq!(wrapped_pieces(9, 12, 10), vec![(9, 1, 0), (0, 2, 1)]);
        // A halo longer than the axis wraps more than once.
        assert_eq!(wrapped_pieces(-4, 0, 3), vec![(2, 1, 0), (0, 3, 1)]);
        assert_eq!(wrapped_pieces(5, 5, 3), vec![]);
    }
}
