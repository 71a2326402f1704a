//! The gradient of a Zarr array larger than memory, chunk by chunk, with a progress bar.
//!
//! ```text
//! cargo run --release --features zarr --example zarr_gradient -- IN OUT [--axis K]... \
//!     [--edge-order 1|2] [--spacing H] [--spacing K=H]... [--coordinates K=FILE.npy|K=X0,X1,...]... \
//!     [--accuracy P] [--derivative M] [--periodic K]... [--period K=L]... [--laplacian] \
//!     [--threads N] [--overwrite] [--quiet]
//! ```
//!
//! `--help` prints every flag ([`HELP`]). IN is a Zarr v2 or v3 array (a directory, as
//! zarr-python writes it) of float64, float32, complex or integer data; OUT becomes a Zarr v3
//! group with one array per differentiated axis, `axis0`, `axis1`, … (or `laplacian` with
//! `--laplacian`), chunked like IN. Peak memory is a few chunks per thread, whatever the
//! array's size. Every error is printed as `error: …` with a non-zero exit status.
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use ndarray::{Array1, Axis};
use ndarray_gradient::zarr::{self, Progress, ZarrError, ZarrOptions, ZarrReal};
use ndarray_gradient::{EdgeOrder, GradientError, GradientOptions};

/// The command line, parsed.
#[derive(Debug, Default)]
pub struct Args {
    input: String,
    output: String,
    /// `--help`: print [`HELP`] and stop.
    pub help: bool,
    axes: Vec<usize>,
    edge_order: Option<usize>,
    /// `--spacing H`: every axis without a spacing of its own.
    spacing: Option<f64>,
    /// `--spacing K=H`, in the order given.
    axis_spacing: Vec<(usize, f64)>,
    accuracy: Option<usize>,
    derivative: Option<usize>,
    /// (axis, a `.npy` path or a comma-separated list), as given.
    coordinates: Vec<(usize, String)>,
    periodic: Vec<usize>,
    /// `--period K=L`.
    period: Vec<(usize, f64)>,
    laplacian: bool,
    threads: Option<usize>,
    overwrite: bool,
    quiet: bool,
    /// For scripts/bench_zarr.py: read and write the same chunks, no computation.
    floor: bool,
    /// For scripts/bench_zarr.py: read the whole array into memory, time `gradient_with`.
    in_memory: bool,
}

/// The one-line synopsis, printed with every command-line error.
pub const USAGE: &str = "usage: zarr_gradient IN OUT [--axis K]... [--edge-order 1|2] [--spacing H] \
                         [--spacing K=H]... [--coordinates K=FILE.npy|K=X0,X1,...]... [--accuracy P] \
                         [--derivative M] [--periodic K]... [--period K=L]... [--laplacian] [--threads N] \
                         [--overwrite] [--quiet]";

/// `--help`: every flag.
pub const HELP: &str = "\
zarr_gradient: the gradient (or the Laplacian) of a Zarr array, chunk by chunk.

usage: zarr_gradient IN OUT [options]

  IN    a Zarr v2 or v3 array (a directory) of float64, float32, complex or integer data
  OUT   the Zarr v3 group to write: one array per differentiated axis (axis0, axis1, ...),
        or one array `laplacian` with --laplacian

options:
  --axis K                  differentiate along axis K (repeat for several; default: every axis)
  --spacing H               the sample spacing of every axis without one of its own (default 1)
  --spacing K=H             the sample spacing of axis K (repeat per axis), as np.gradient(f, h0, h1, ...)
  --coordinates K=FILE.npy  the coordinates of axis K's samples, a 1-D float64 .npy file
  --coordinates K=X0,X1,... the same as a comma-separated list, one value per sample
  --edge-order 1|2          NumPy's edge_order (default 1)
  --accuracy P              accuracy order, an even number from 2 to 12 (findiff's stencils)
  --derivative M            derivative order, 1 to 8 (default 1)
  --periodic K              axis K wraps around; with a spacing h its period is n*h
  --period K=L              axis K wraps around with period L (coordinates need one)
  --laplacian               write the Laplacian (second derivatives summed over every axis)
                            instead of the gradient; not with --axis or --derivative
  --threads N               worker threads (default: one per core)
  --overwrite               replace OUT if it exists
  --quiet                   no progress bar and no summary line
  -h, --help                print this help and exit
  --bench-floor             (scripts/bench_zarr.py) copy the chunks, no computation
  --bench-in-memory         (scripts/bench_zarr.py) time the in-memory call on the whole array
";

/// `K=V` for `flag`, with K an axis number and V parsed by `value`.
fn axis_value<V>(flag: &str, v: &str, value: impl Fn(&str) -> Option<V>, form: &str) -> Result<(usize, V), String> {
    let (k, rest) = v.split_once('=').ok_or(format!("{flag}: expected {form}, not {v}"))?;
    let k = k
        .trim()
        .parse::<usize>()
        .map_err(|_| format!("{flag}: not an axis number: {k}"))?;
    let rest = value(rest).ok_or(format!("{flag} {k}: not a number: {rest}"))?;
    Ok((k, rest))
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut a = Args::default();
    let mut positional = Vec::new();
    let mut it = args.into_iter();
    let real = |s: &str| s.trim().parse::<f64>().ok();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let number = |name: &str, v: String| v.parse::<usize>().map_err(|_| format!("{name}: not a number: {v}"));
        match arg.as_str() {
            "--axis" => a.axes.push(number("--axis", value("--axis")?)?),
            "--periodic" => a.periodic.push(number("--periodic", value("--periodic")?)?),
            "--period" => a.period.push(axis_value("--period", &value("--period")?, real, "K=L")?),
            "--edge-order" => a.edge_order = Some(number("--edge-order", value("--edge-order")?)?),
            "--accuracy" => a.accuracy = Some(number("--accuracy", value("--accuracy")?)?),
            "--derivative" => a.derivative = Some(number("--derivative", value("--derivative")?)?),
            "--coordinates" => {
                let v = value("--coordinates")?;
                let spec = axis_value(
                    "--coordinates",
                    &v,
                    |s| Some(s.to_string()),
                    "K=FILE.npy or K=X0,X1,...",
                )?;
                a.coordinates.push(spec);
            }
            "--threads" => a.threads = Some(number("--threads", value("--threads")?)?),
            "--spacing" => {
                let v = value("--spacing")?;
                if v.contains('=') {
                    a.axis_spacing.push(axis_value("--spacing", &v, real, "H or K=H")?);
                } else {
                    a.spacing = Some(real(&v).ok_or(format!("--spacing: not a number: {v}"))?);
                }
            }
            "--laplacian" => a.laplacian = true,
            "--overwrite" => a.overwrite = true,
            "--quiet" => a.quiet = true,
            "--bench-floor" => a.floor = true,
            "--bench-in-memory" => a.in_memory = true,
            "-h" | "--help" => {
                a.help = true;
                return Ok(a);
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => positional.push(arg),
        }
    }
    let given = positional.len();
    let [input, output] =
        <[String; 2]>::try_from(positional).map_err(|_| format!("expected IN and OUT, got {given} paths"))?;
    (a.input, a.output) = (input, output);
    conflicts(&a)?;
    Ok(a)
}

/// Flags that contradict each other: an error naming both, never one silently ignored.
fn conflicts(a: &Args) -> Result<(), String> {
    if a.laplacian {
        if let Some(k) = a.axes.first() {
            return Err(format!(
                "--axis {k} and --laplacian cannot be combined: the Laplacian sums the second derivatives \
                 over every axis (for one axis, --derivative 2 --axis {k} writes axis{k})"
            ));
        }
        if let Some(m) = a.derivative {
            return Err(format!(
                "--derivative {m} and --laplacian cannot be combined: the Laplacian is second derivatives"
            ));
        }
    }
    for (k, _) in &a.axis_spacing {
        if a.coordinates.iter().any(|(j, _)| j == k) {
            return Err(format!(
                "--spacing {k}=… and --coordinates {k}=… both set axis {k}'s spacing: give one"
            ));
        }
    }
    let repeated = |list: Vec<usize>, flag: &str| -> Result<(), String> {
        match list.iter().enumerate().find(|(i, k)| list[..*i].contains(k)) {
            Some((_, k)) => Err(format!("{flag} {k} is given twice: give it once")),
            None => Ok(()),
        }
    };
    repeated(a.axis_spacing.iter().map(|p| p.0).collect(), "--spacing")?;
    repeated(a.coordinates.iter().map(|p| p.0).collect(), "--coordinates")?;
    repeated(a.period.iter().map(|p| p.0).collect(), "--period")?;
    for (k, _) in &a.period {
        if a.periodic.contains(k) {
            return Err(format!(
                "--periodic {k} and --period {k}=… both make axis {k} periodic: give one (--period sets its period)"
            ));
        }
    }
    Ok(())
}

/// The coordinates given with `--coordinates`, read (a `.npy` file of float64) or parsed (a
/// comma-separated list), in real type `R`.
fn coordinates<R: ZarrReal>(a: &Args) -> Result<Vec<(usize, Array1<R>)>, String> {
    a.coordinates
        .iter()
        .map(|(k, spec)| {
            let values: Vec<f64> = if spec.ends_with(".npy") {
                let x: Array1<f64> = ndarray_npy::read_npy(spec)
                    .map_err(|e| format!("--coordinates {k}: cannot read {spec} as a 1-D float64 .npy: {e}"))?;
                x.to_vec()
            } else {
                spec.split(',')
                    .map(|v| {
                        v.trim()
                            .parse::<f64>()
                            .map_err(|_| format!("--coordinates {k}: not a number: {v}"))
                    })
                    .collect::<Result<_, _>>()?
            };
            let x = values
                .iter()
                .map(|&v| R::from(v).ok_or(format!("--coordinates {k}: {v} not representable")))
                .collect::<Result<Array1<R>, _>>()?;
            Ok((*k, x))
        })
        .collect()
}

/// The options for real type `R` (f64, or f32 for float32 and complex64 arrays), borrowing the
/// coordinates read by [`coordinates`].
fn options<'c, R: ZarrReal>(a: &Args, coords: &'c [(usize, Array1<R>)]) -> Result<GradientOptions<'c, R>, String> {
    let real = |flag: &str, v: f64| R::from(v).ok_or(format!("{flag}: {v} is not representable"));
    let mut opts = GradientOptions::<R>::new();
    if !a.axes.is_empty() {
        opts = opts.axes(a.axes.iter().map(|&k| Axis(k)));
    }
    match a.edge_order {
        None | Some(1) => {}
        Some(2) => opts = opts.edge_order(EdgeOrder::Second),
        Some(e) => return Err(format!("--edge-order must be 1 or 2, not {e}")),
    }
    if let Some(h) = a.spacing {
        opts = opts.spacing(real("--spacing", h)?);
    }
    for &(k, h) in &a.axis_spacing {
        opts = opts.axis_spacing(Axis(k), real("--spacing", h)?);
    }
    for (k, x) in coords {
        opts = opts.coordinates(Axis(*k), x);
    }
    if let Some(p) = a.accuracy {
        opts = opts.accuracy(p);
    }
    if let Some(m) = a.derivative {
        opts = opts.derivative(m);
    }
    for &k in &a.periodic {
        opts = opts.periodic(Axis(k));
    }
    for &(k, l) in &a.period {
        opts = opts.period(Axis(k), real("--period", l)?);
    }
    Ok(opts)
}

/// A library error as this command's user should read it: in terms of its flags.
fn explain(e: Box<dyn std::error::Error>) -> String {
    match e.downcast_ref::<ZarrError>() {
        Some(ZarrError::OutputExists { path }) => format!(
            "the output {} exists (or is the input): pass --overwrite to replace it",
            path.display()
        ),
        Some(ZarrError::Gradient(GradientError::PeriodRequired { axis })) => format!(
            "axis {axis} is periodic with coordinates but has no period: pass --period {axis}=L \
             instead of --periodic {axis}"
        ),
        _ => e.to_string(),
    }
}

pub fn run<R: ZarrReal>(a: &Args, bar: &ProgressBar) -> Result<zarr::Summary, String> {
    let coords = coordinates::<R>(a)?;
    let opts = options::<R>(a, &coords)?;
    let report = |p: &Progress| {
        bar.set_length(p.chunks_total);
        bar.set_position(p.chunks_done);
        bar.set_message(format!("{:.0} MB/s", p.throughput() / 1e6));
    };
    let mut run = ZarrOptions::new().overwrite(a.overwrite).progress(&report);
    if let Some(n) = a.threads {
        run = run.threads(n);
    }
    let summary = if a.laplacian {
        zarr::laplacian(&a.input, &a.output, &opts, &run)
    } else {
        zarr::gradient(&a.input, &a.output, &opts, &run)
    };
    summary.map_err(|e| explain(e.into()))
}

/// The whole command on `args` (without the program name), writing to `out` and `err`: the
/// process's exit status (0 done or `--help`, 1 refused or failed, 2 a malformed command line).
pub fn command(args: impl IntoIterator<Item = String>, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    // A closed stream leaves nothing to report to: the status still says what happened.
    let a = match parse(args) {
        Ok(a) => a,
        Err(e) => {
            let _ = writeln!(err, "error: {e}\n{USAGE}\n(--help lists every flag)");
            return 2;
        }
    };
    if a.help {
        let _ = write!(out, "{HELP}");
        return 0;
    }
    let info = match zarr::inspect(&a.input) {
        Ok(i) => i,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return 1;
        }
    };
    if a.floor || a.in_memory {
        let result = if a.floor {
            bench::floor(&a, info.shape.len())
        } else {
            bench::in_memory(&a)
        };
        return match result {
            Ok(()) => 0,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                1
            }
        };
    }
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} chunks  {elapsed_precise}  {msg}")
            .expect("a valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let result = if info.needs_f32 {
        run::<f32>(&a, &bar)
    } else {
        run::<f64>(&a, &bar)
    };
    bar.finish_and_clear();
    match result {
        Ok(s) => {
            if !a.quiet {
                let secs = s.elapsed.as_secs_f64();
                let _ = writeln!(
                    out,
                    "{} ({:?} {}, chunks {:?}) -> {}: {} in {} chunks, {:.2} s, {:.0} MB/s of input \
                     (read: {} whole chunks, {} partial reads, {:.1} MB fetched)",
                    a.input,
                    info.shape,
                    info.data_type,
                    info.chunk_shape,
                    a.output,
                    s.arrays.join(", "),
                    s.chunks,
                    secs,
                    s.input_bytes as f64 / secs.max(1e-9) / 1e6,
                    s.input_chunk_reads,
                    s.input_partial_reads,
                    s.input_bytes_fetched as f64 / 1e6
                );
            }
            0
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            1
        }
    }
}

fn main() -> ExitCode {
    let code = command(std::env::args().skip(1), &mut std::io::stdout(), &mut std::io::stderr());
    ExitCode::from(code)
}

/// The two reference runs of scripts/bench_zarr.py (f64 data only).
mod bench {
    use std::sync::Arc;
    use std::time::Instant;

    use ndarray::ArrayD;
    use ndarray_gradient::ArrayGradientExt;
    use rayon::prelude::*;
    use zarrs::array::{Array, ArrayBuilder};
    use zarrs::filesystem::FilesystemStore;

    use super::Args;

    type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

    /// The floor: every chunk read once and written once per output array (as many as the
    /// gradient writes), with the input's codecs, no computation.
    pub fn floor(a: &Args, ndim: usize) -> Result<()> {
        let started = Instant::now();
        let input = Array::open(Arc::new(FilesystemStore::new(&a.input)?), "/")?;
        if std::path::Path::new(&a.output).exists() {
            std::fs::remove_dir_all(&a.output)?;
        }
        let store = Arc::new(FilesystemStore::new(&a.output)?);
        zarrs::group::GroupBuilder::new()
            .build(store.clone(), "/")?
            .store_metadata()?;
        let n = if a.axes.is_empty() { ndim } else { a.axes.len() };
        let outputs = (0..n)
            .map(|k| {
                let mut b =
                    ArrayBuilder::new_with_chunk_grid(input.chunk_grid().clone(), input.data_type().clone(), 0.0f64);
                b.array_to_bytes_codec(input.codecs().array_to_bytes_codec().clone())
                    .bytes_to_bytes_codecs(input.codecs().bytes_to_bytes_codecs().to_vec());
                let out = b.build(store.clone(), &format!("/copy{k}"))?;
                out.store_metadata()?;
                Ok(out)
            })
            .collect::<Result<Vec<_>>>()?;
        let grid = input.chunk_grid_shape().to_vec();
        let total: u64 = grid.iter().product();
        let work = || {
            (0..total).into_par_iter().try_for_each(|i| -> Result<()> {
                let idx = zarrs::array::unravel_index(i, &grid).unwrap_or_default();
                let chunk: Vec<f64> = input.retrieve_chunk(&idx)?;
                for out in &outputs {
                    out.store_chunk(&idx, chunk.as_slice())?;
                }
                Ok(())
            })
        };
        match a.threads {
            Some(t) => rayon::ThreadPoolBuilder::new().num_threads(t).build()?.install(work)?,
            None => work()?,
        }
        println!("floor_seconds {:.3}", started.elapsed().as_secs_f64());
        Ok(())
    }

    /// The in-memory call on the whole array: the time of `gradient_with` alone (the array
    /// read first, outside the timing).
    pub fn in_memory(a: &Args) -> Result<()> {
        let f: ArrayD<f64> = ndarray_gradient::zarr::read_array(&a.input)?;
        let coords = super::coordinates::<f64>(a)?;
        let opts = super::options::<f64>(a, &coords)?;
        let work = || {
            let started = Instant::now();
            let g = f.gradient_with(&opts);
            (started.elapsed(), g)
        };
        let (elapsed, g) = match a.threads {
            Some(t) => rayon::ThreadPoolBuilder::new().num_threads(t).build()?.install(work),
            None => work(),
        };
        let g = g?;
        println!("in_memory_seconds {:.3} outputs {}", elapsed.as_secs_f64(), g.len());
        Ok(())
    }
}
