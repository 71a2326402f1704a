//! The Zarr path: every output chunk equals the in-memory call bit for bit (uncompressed and
//! compressed, odd chunkings, periodic axes, coordinates, accuracy orders, every supported
//! element type), and every fault is a typed error that leaves the output marked incomplete.
#![cfg(feature = "zarr")]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::{Array1, ArrayD, Axis, IxDyn};
use ndarray_gradient::zarr::{self, Progress, ZarrError, ZarrOptions};
use ndarray_gradient::{ArrayGradientExt, EdgeOrder, GradientError, GradientOptions, Operator};
use num_complex::Complex;
use zarrs::array::BytesToBytesCodecTraits;
use zarrs::array::codec::{GzipCodec, ZstdCodec};
use zarrs::array::{ArrayBuilder, DataType, Element, FillValue, data_type};
use zarrs::filesystem::FilesystemStore;

/// A fresh folder for one test.
fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("zarr-tests").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[derive(Clone, Copy)]
enum Codec {
    None,
    Zstd,
    Gzip,
}

fn write<T: Element + Copy>(
    path: &Path,
    f: &ArrayD<T>,
    chunks: &[u64],
    dt: DataType,
    fill: impl Into<FillValue>,
    codec: Codec,
) {
    let store = Arc::new(FilesystemStore::new(path).unwrap());
    let shape: Vec<u64> = f.shape().iter().map(|&n| n as u64).collect();
    let fill: FillValue = fill.into();
    let mut builder = ArrayBuilder::new(shape, chunks.to_vec(), dt, fill);
    let codecs: Vec<Arc<dyn BytesToBytesCodecTraits>> = match codec {
        Codec::None => vec![],
        Codec::Zstd => vec![Arc::new(ZstdCodec::new(3, false))],
        Codec::Gzip => vec![Arc::new(GzipCodec::new(5).unwrap())],
    };
    builder.bytes_to_bytes_codecs(codecs);
    let array = builder.build(store, "/").unwrap();
    array.store_metadata().unwrap();
    let data: Vec<T> = f.iter().copied().collect();
    array.store_array_subset(&array.subset_all(), data.as_slice()).unwrap();
}

fn field(shape: &[usize], seed: u64) -> ArrayD<f64> {
    crate::fixture::xorshift_field(shape, seed)
}

fn same_bits<T: Copy + std::fmt::Debug, B: Eq>(a: &ArrayD<T>, b: &ArrayD<T>, bits: impl Fn(T) -> B) -> bool {
    a.shape() == b.shape() && a.iter().zip(b.iter()).all(|(x, y)| bits(*x) == bits(*y))
}

/// `f` as uncompressed float64 chunks: the array most fault tests start from.
fn write_f64(path: &Path, f: &ArrayD<f64>, chunks: &[u64]) {
    write(path, f, chunks, data_type::float64(), 0f64, Codec::None);
}

/// The error of `zarr::gradient` from `d/input` into `d/out.zarr`, a run that must fail.
fn refused<R: zarr::ZarrReal>(
    d: &Path,
    input: &str,
    opts: &GradientOptions<'_, R>,
    run: &ZarrOptions<'_>,
) -> ZarrError {
    zarr::gradient(d.join(input), d.join("out.zarr"), opts, run).unwrap_err()
}

/// Runs the Zarr gradient and compares every output with the in-memory gradient.
fn check_gradient(name: &str, f: &ArrayD<f64>, chunks: &[u64], codec: Codec, opts: &GradientOptions<'_, f64>) {
    let d = dir(name);
    write(&d.join("in.zarr"), f, chunks, data_type::float64(), 0.0f64, codec);
    let summary = zarr::gradient(d.join("in.zarr"), d.join("out.zarr"), opts, &ZarrOptions::new()).unwrap();
    let whole = f.gradient_with(opts).unwrap();
    assert_eq!(summary.arrays.len(), whole.len(), "{name}");
    for (name_k, w) in summary.arrays.iter().zip(&whole) {
        let got = zarr::read_array::<f64>(d.join("out.zarr").join(name_k)).unwrap();
        assert!(same_bits(&got, w, f64::to_bits), "{name}: {name_k} differs");
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn gradient_uncompressed_chunks_not_dividing_the_shape() {
    let f = field(&[23, 17], 1);
    check_gradient("uncompressed", &f, &[5, 4], Codec::None, &GradientOptions::new());
    check_gradient(
        "uncompressed-e2",
        &f,
        &[7, 16],
        Codec::None,
        &GradientOptions::new().edge_order(EdgeOrder::Second).spacing(0.3),
    );
}

#[test]
fn gradient_compressed_zstd_and_gzip_3d_accuracy() {
    let f = field(&[12, 9, 10], 2);
    check_gradient(
        "zstd-acc4",
        &f,
        &[5, 4, 3],
        Codec::Zstd,
        &GradientOptions::new().accuracy(4),
    );
    check_gradient(
        "gzip-acc6",
        &f,
        &[4, 9, 7],
        Codec::Gzip,
        &GradientOptions::new().accuracy(6),
    );
}

#[test]
fn gradient_chunks_of_one_point() {
    let f = field(&[9, 6], 3);
    check_gradient(
        "ones-e2",
        &f,
        &[1, 1],
        Codec::None,
        &GradientOptions::new().edge_order(EdgeOrder::Second),
    );
    check_gradient(
        "ones-acc4",
        &f,
        &[1, 2],
        Codec::Zstd,
        &GradientOptions::new().accuracy(4),
    );
}

#[test]
fn gradient_periodic_and_coordinates_and_derivative() {
    let f = field(&[14, 11], 4);
    let x = Array1::from_shape_fn(14, |i| (i as f64).powf(1.3) * 0.7);
    let opts = GradientOptions::new()
        .coordinates(Axis(0), &x)
        .periodic(Axis(1))
        .accuracy(4);
    check_gradient("periodic-coords", &f, &[3, 2], Codec::Zstd, &opts);
    // A periodic axis split into chunks of one, with a stencil wider than a chunk.
    let opts = GradientOptions::new().periodic(Axis(0)).periodic(Axis(1)).accuracy(8);
    check_gradient("periodic-acc8-ones", &f, &[1, 3], Codec::None, &opts);
    // A periodic axis shorter than the stencil's reach: the halo wraps more than once.
    let g = field(&[3, 8], 5);
    check_gradient(
        "periodic-short",
        &g,
        &[1, 5],
        Codec::None,
        &GradientOptions::new().periodic(Axis(0)).accuracy(4),
    );
    // Second derivatives, and only the axes asked for.
    let opts = GradientOptions::new().derivative(2).accuracy(2).axes([Axis(1)]);
    check_gradient("second-derivative-axis1", &f, &[4, 4], Codec::None, &opts);
}

#[test]
fn only_the_axes_asked_for_are_written_and_named_by_axis() {
    let d = dir("axis-names");
    let f = field(&[6, 7, 8], 6);
    write(
        &d.join("in.zarr"),
        &f,
        &[3, 3, 3],
        data_type::float64(),
        0.0f64,
        Codec::None,
    );
    let opts = GradientOptions::new().axes([Axis(2), Axis(0)]);
    let s = zarr::gradient(d.join("in.zarr"), d.join("out.zarr"), &opts, &ZarrOptions::new()).unwrap();
    assert_eq!(s.arrays, ["axis2", "axis0"]);
    assert!(d.join("out.zarr/axis2/zarr.json").exists() && !d.join("out.zarr/axis1").exists());
    let whole = f.gradient_with(&opts).unwrap();
    assert_eq!(zarr::read_array::<f64>(d.join("out.zarr/axis2")).unwrap(), whole[0]);
    assert_eq!(zarr::read_array::<f64>(d.join("out.zarr/axis0")).unwrap(), whole[1]);
}

#[test]
fn laplacian_matches_in_memory_periodic_accuracy() {
    let d = dir("laplacian");
    let f = field(&[13, 10, 7], 7);
    write(
        &d.join("in.zarr"),
        &f,
        &[4, 3, 7],
        data_type::float64(),
        0.0f64,
        Codec::Zstd,
    );
    let opts = GradientOptions::new().periodic(Axis(1)).accuracy(4).spacing(0.25);
    let s = zarr::laplacian(d.join("in.zarr"), d.join("out.zarr"), &opts, &ZarrOptions::new()).unwrap();
    assert_eq!(s.arrays, ["laplacian"]);
    let got = zarr::read_array::<f64>(d.join("out.zarr/laplacian")).unwrap();
    assert!(same_bits(&got, &f.laplacian(&opts).unwrap(), f64::to_bits));
}

/// Any operator through the Zarr path (issue 17): mixed partials, whose chunks read the
/// corners of their halo (wrapped on periodic axes, and chunks thinner than the halo), an
/// array coefficient, a chain back to a periodic axis; the output the in-memory
/// `Operator::apply` bit for bit, its attributes naming the operator.
#[test]
fn operators_match_in_memory_with_corners() {
    let d = |axis: usize, m: usize| Operator::<f64>::derivative(Axis(axis), m);
    let f = field(&[13, 10, 7], 11);
    let c = field(&[13, 10, 7], 12).mapv(|v| 1.0 + v * 1e-3);
    type Case<'a> = (&'a str, Operator<'a, f64>, GradientOptions<'a, f64>, Vec<u64>, Codec);
    let cases: Vec<Case<'_>> = vec![
        (
            "mixed",
            d(0, 1) * d(1, 1),
            GradientOptions::new().accuracy(4),
            vec![4, 3, 7],
            Codec::Zstd,
        ),
        (
            "mixed periodic, thin chunks",
            d(2, 1) * d(1, 2) * d(0, 1),
            GradientOptions::new().accuracy(2).periodic(Axis(1)).periodic(Axis(2)),
            vec![2, 1, 3],
            Codec::None,
        ),
        (
            "coefficient, sum, back to an axis",
            Operator::field(c.view()) * d(0, 1) * d(2, 1) + d(1, 1) * Operator::field(c.view()) * d(1, 1)
                - Operator::coefficient(3.0) * Operator::identity(),
            GradientOptions::new().accuracy(2).periodic(Axis(1)).spacing(0.5),
            vec![5, 4, 3],
            Codec::Gzip,
        ),
    ];
    for (name, op, opts, chunks, codec) in &cases {
        let dd = dir(&format!("operator-{}", name.replace([' ', ','], "-")));
        write(&dd.join("in.zarr"), &f, chunks, data_type::float64(), 0.0f64, *codec);
        let s = zarr::operator(dd.join("in.zarr"), dd.join("out.zarr"), op, opts, &ZarrOptions::new()).unwrap();
        assert_eq!(s.arrays, ["operator"]);
        let got = zarr::read_array::<f64>(dd.join("out.zarr/operator")).unwrap();
        assert!(same_bits(&got, &op.apply(&f, opts).unwrap(), f64::to_bits), "{name}");
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dd.join("out.zarr/operator/zarr.json")).unwrap()).unwrap();
        let attrs = &meta["attributes"]["ndarray_gradient"];
        assert_eq!(attrs["operation"], "operator", "{name}");
        assert_eq!(attrs["operator"], op.to_string(), "{name}");
        assert_eq!(attrs["complete"], true, "{name}");
        let _ = std::fs::remove_dir_all(&dd);
    }
    // What the in-memory call refuses, the run refuses before writing anything.
    let dd = dir("operator-refused");
    write_f64(&dd.join("in.zarr"), &f, &[4, 4, 4]);
    let wrong = ArrayD::<f64>::zeros(IxDyn(&[13, 10]));
    let op = Operator::field(wrong.view()) * d(0, 1);
    let err = zarr::operator(
        dd.join("in.zarr"),
        dd.join("out.zarr"),
        &op,
        &GradientOptions::new(),
        &ZarrOptions::new(),
    )
    .unwrap_err();
    assert!(
        matches!(err, ZarrError::Gradient(GradientError::CoefficientShape { .. })),
        "{err:?}"
    );
    assert!(!dd.join("out.zarr").exists());
}

#[test]
fn integer_f32_and_complex_inputs() {
    let d = dir("types");
    // int32 → float64, as np.gradient.
    let fi = field(&[11, 9], 8).mapv(|v| (v * 1000.0) as i32);
    write(&d.join("i32.zarr"), &fi, &[4, 4], data_type::int32(), 0i32, Codec::Zstd);
    zarr::gradient(
        d.join("i32.zarr"),
        d.join("i32-out.zarr"),
        &GradientOptions::<f64>::new(),
        &ZarrOptions::new(),
    )
    .unwrap();
    let whole = fi.gradient().unwrap();
    for (k, w) in whole.iter().enumerate() {
        let got = zarr::read_array::<f64>(d.join(format!("i32-out.zarr/axis{k}"))).unwrap();
        assert!(same_bits(&got, w, f64::to_bits));
    }
    // uint8 too.
    let fu = fi.mapv(|v| v as u8);
    write(&d.join("u8.zarr"), &fu, &[5, 2], data_type::uint8(), 0u8, Codec::None);
    zarr::gradient(
        d.join("u8.zarr"),
        d.join("u8-out.zarr"),
        &GradientOptions::<f64>::new(),
        &ZarrOptions::new(),
    )
    .unwrap();
    let got = zarr::read_array::<f64>(d.join("u8-out.zarr/axis1")).unwrap();
    assert!(same_bits(&got, &fu.gradient().unwrap()[1], f64::to_bits));
    // float32 with f32 options.
    let ff = field(&[10, 8], 9).mapv(|v| v as f32);
    write(
        &d.join("f32.zarr"),
        &ff,
        &[3, 3],
        data_type::float32(),
        0f32,
        Codec::Zstd,
    );
    let opts = GradientOptions::<f32>::new().accuracy(4).spacing(0.5);
    zarr::gradient(d.join("f32.zarr"), d.join("f32-out.zarr"), &opts, &ZarrOptions::new()).unwrap();
    let whole = ff.gradient_with(&opts).unwrap();
    let got = zarr::read_array::<f32>(d.join("f32-out.zarr/axis0")).unwrap();
    assert!(same_bits(&got, &whole[0], f32::to_bits));
    // complex128.
    let fc = field(&[7, 6], 10).mapv(|v| Complex::new(v, -v / 3.0));
    write(
        &d.join("c128.zarr"),
        &fc,
        &[2, 4],
        data_type::complex128(),
        Complex::new(0.0f64, 0.0),
        Codec::None,
    );
    zarr::gradient(
        d.join("c128.zarr"),
        d.join("c128-out.zarr"),
        &GradientOptions::<f64>::new(),
        &ZarrOptions::new(),
    )
    .unwrap();
    let got = zarr::read_array::<Complex<f64>>(d.join("c128-out.zarr/axis0")).unwrap();
    assert!(same_bits(&got, &fc.gradient().unwrap()[0], |c: Complex<f64>| (
        c.re.to_bits(),
        c.im.to_bits()
    )));
}

#[test]
fn metadata_names_the_operation_and_marks_completion() {
    let d = dir("metadata");
    let f = field(&[8, 9], 11);
    write(
        &d.join("in.zarr"),
        &f,
        &[3, 4],
        data_type::float64(),
        0.0f64,
        Codec::Zstd,
    );
    let opts = GradientOptions::<f64>::new().accuracy(4);
    zarr::gradient(d.join("in.zarr"), d.join("out.zarr"), &opts, &ZarrOptions::new()).unwrap();
    let group: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("out.zarr/zarr.json")).unwrap()).unwrap();
    assert_eq!(group["node_type"], "group");
    assert_eq!(group["attributes"]["ndarray_gradient"]["operation"], "gradient");
    assert_eq!(group["attributes"]["ndarray_gradient"]["complete"], true);
    // The options as plain JSON, lists indexed by the input's axes.
    assert_eq!(
        group["attributes"]["ndarray_gradient"]["options"],
        serde_json::json!({
            "axes": [0, 1],
            "spacing": [1.0, 1.0],
            "coordinates": [false, false],
            "edge_order": 1,
            "accuracy": [4, 4],
            "derivative": [1, 1],
            "boundary": ["one_sided", "one_sided"],
            "period": [null, null],
        })
    );
    let array: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("out.zarr/axis1/zarr.json")).unwrap()).unwrap();
    assert_eq!(
        array["chunk_grid"]["configuration"]["chunk_shape"],
        serde_json::json!([3, 4])
    );
    assert_eq!(array["data_type"], "float64");
    assert_eq!(array["fill_value"], 0.0);
    // The input has no dimension names: none are invented.
    assert!(array["dimension_names"].is_null(), "{}", array["dimension_names"]);
    assert_eq!(array["attributes"]["ndarray_gradient"]["axis"], 1);
    assert_eq!(array["attributes"]["ndarray_gradient"]["complete"], true);
    assert!(
        array["codecs"].to_string().contains("zstd"),
        "the input's codec is kept"
    );
}

/// Per-axis options in the attribute (coordinates, a period, spacings, accuracy, derivative
/// orders, the axes asked for; the Laplacian's second derivatives), and the input's dimension
/// names kept as they are, unnamed ones included.
#[test]
fn metadata_options_per_axis_and_dimension_names() {
    let d = dir("metadata-axes");
    let f = field(&[8, 9, 5], 12);
    let store = Arc::new(FilesystemStore::new(d.join("in.zarr")).unwrap());
    let mut builder = ArrayBuilder::new(vec![8, 9, 5], vec![4, 4, 5], data_type::float64(), 0.0f64);
    builder.dimension_names(Some([Some("time"), None, Some("x")]));
    let array = builder.build(store, "/").unwrap();
    array.store_metadata().unwrap();
    let data: Vec<f64> = f.iter().copied().collect();
    array.store_array_subset(&array.subset_all(), data.as_slice()).unwrap();
    let x = ndarray::Array1::from_iter((0..9).map(|i| (i as f64).powf(1.2)));
    let opts = GradientOptions::<f64>::new()
        .spacing(0.25)
        .coordinates(Axis(1), &x)
        .period(Axis(1), 20.0)
        .axis_spacing(Axis(2), -2.0)
        .periodic(Axis(2))
        .axis_accuracy(Axis(0), 6)
        .axis_derivative(Axis(2), 2)
        .axes([Axis(2), Axis(1)]);
    zarr::gradient(d.join("in.zarr"), d.join("out.zarr"), &opts, &ZarrOptions::new()).unwrap();
    let meta =
        |path: &str| -> serde_json::Value { serde_json::from_slice(&std::fs::read(d.join(path)).unwrap()).unwrap() };
    let expected = serde_json::json!({
        "axes": [2, 1],
        "spacing": [0.25, null, -2.0],
        "coordinates": [false, true, false],
        "edge_order": 1,
        "accuracy": [6, null, null],
        "derivative": [1, 1, 2],
        "boundary": ["one_sided", "periodic", "periodic"],
        "period": [null, 20.0, null],
    });
    assert_eq!(
        meta("out.zarr/zarr.json")["attributes"]["ndarray_gradient"]["options"],
        expected
    );
    let axis1 = meta("out.zarr/axis1/zarr.json");
    assert_eq!(axis1["attributes"]["ndarray_gradient"]["options"], expected);
    assert_eq!(axis1["attributes"]["ndarray_gradient"]["axis"], 1);
    assert_eq!(axis1["attributes"]["ndarray_gradient"]["output"], 1);
    assert_eq!(axis1["dimension_names"], serde_json::json!(["time", null, "x"]));

    // The Laplacian: derivative 2 on every axis, whatever the options say.
    let opts = GradientOptions::<f64>::new().periodic(Axis(0));
    zarr::laplacian(d.join("in.zarr"), d.join("lap.zarr"), &opts, &ZarrOptions::new()).unwrap();
    let lap = meta("lap.zarr/laplacian/zarr.json");
    let options = &lap["attributes"]["ndarray_gradient"]["options"];
    assert_eq!(options["derivative"], serde_json::json!([2, 2, 2]));
    assert_eq!(
        options["boundary"],
        serde_json::json!(["periodic", "one_sided", "one_sided"])
    );
    assert_eq!(lap["attributes"]["ndarray_gradient"]["operation"], "laplacian");
}

#[test]
fn progress_reports_every_chunk() {
    let d = dir("progress");
    let f = field(&[10, 10], 12);
    write(
        &d.join("in.zarr"),
        &f,
        &[3, 5],
        data_type::float64(),
        0.0f64,
        Codec::None,
    );
    let calls = AtomicU64::new(0);
    let last = std::sync::Mutex::new(None::<Progress>);
    let report = |p: &Progress| {
        calls.fetch_add(1, Ordering::Relaxed);
        let mut l = last.lock().unwrap();
        if l.as_ref().is_none_or(|q| p.chunks_done > q.chunks_done) {
            *l = Some(p.clone());
        }
    };
    let run = ZarrOptions::new().threads(2).progress(&report);
    let s = zarr::gradient(
        d.join("in.zarr"),
        d.join("out.zarr"),
        &GradientOptions::<f64>::new(),
        &run,
    )
    .unwrap();
    assert_eq!(s.chunks, 8);
    assert_eq!(calls.load(Ordering::Relaxed), 8);
    let p = last.lock().unwrap().clone().unwrap();
    assert_eq!((p.chunks_done, p.chunks_total), (8, 8));
    assert_eq!(p.input_bytes, 800);
    assert_eq!(p.output_bytes, 1600);
    assert_eq!(s.input_bytes, 800);
}

/// Runs the gradient of `f` stored in `chunks` with `codec` on `threads` threads, checks the bits
/// against the in-memory call and returns the run's summary.
fn counted_run(
    name: &str,
    f: &ArrayD<f64>,
    chunks: &[u64],
    codec: Codec,
    opts: &GradientOptions<'_, f64>,
    threads: usize,
) -> zarr::Summary {
    let d = dir(name);
    write(&d.join("in.zarr"), f, chunks, data_type::float64(), 0.0f64, codec);
    let s = zarr::gradient(
        d.join("in.zarr"),
        d.join("out.zarr"),
        opts,
        &ZarrOptions::new().threads(threads),
    )
    .unwrap();
    let whole = f.gradient_with(opts).unwrap();
    for (name_k, w) in s.arrays.iter().zip(&whole) {
        let got = zarr::read_array::<f64>(d.join("out.zarr").join(name_k)).unwrap();
        assert!(same_bits(&got, w, f64::to_bits), "{name} {name_k}");
    }
    s
}

#[test]
fn each_input_chunk_is_decoded_once() {
    // 4 × 3 × 5 chunks, the last ones cut short on every axis.
    let f = field(&[30, 17, 23], 21);
    let chunks = [8, 6, 5];
    let n = 4 * 3 * 5;
    for opts in [
        GradientOptions::<f64>::new(),
        GradientOptions::new().edge_order(EdgeOrder::Second),
        GradientOptions::new().accuracy(4),
    ] {
        // zstd, one thread: every chunk fetched and decoded whole exactly once; the halo after
        // a chunk along axis 0 is the start of the next chunk's zstd stream (a partial read).
        let s = counted_run("decoded-once-zstd", &f, &chunks, Codec::Zstd, &opts, 1);
        assert_eq!(s.chunks, n);
        assert_eq!(s.input_chunk_reads, n, "{opts:?}");
        assert!(s.input_partial_reads >= 3 * 3 * 5, "{opts:?}: {s:?}");
        // Two threads: their runs meet at a slab boundary (chunk 30 of 60), where the faces of
        // at most one slab (3 × 5 chunks) are read again.
        let s = counted_run("decoded-once-zstd-2", &f, &chunks, Codec::Zstd, &opts, 2);
        assert!(
            s.input_chunk_reads >= n && s.input_chunk_reads <= n + 15,
            "{opts:?}: {s:?}"
        );
        // gzip cannot stop early: the first planes of the next chunk along axis 0 cost one more
        // whole read, and nothing else does.
        let s = counted_run("decoded-once-gzip", &f, &chunks, Codec::Gzip, &opts, 1);
        assert_eq!(s.input_chunk_reads, n + 3 * 3 * 5, "{opts:?}");
        // Uncompressed: every byte fetched once, plus the faces along axis 0 (a halo of at most
        // 2 of 8 planes: a quarter).
        let s = counted_run("decoded-once-none", &f, &chunks, Codec::None, &opts, 1);
        let stored = (f.len() * 8) as u64;
        assert!(
            s.input_bytes_fetched <= stored + stored / 4,
            "{opts:?}: {s:?} vs {stored}"
        );
    }
}

// ----- faults -----

#[test]
fn missing_input_is_an_input_error() {
    let d = dir("missing");
    let err = refused(&d, "nope.zarr", &GradientOptions::<f64>::new(), &ZarrOptions::new());
    assert!(
        matches!(&err, ZarrError::Input { path, .. } if path.ends_with("nope.zarr")),
        "{err}"
    );
    assert!(!d.join("out.zarr").exists(), "nothing written");
    // A folder that holds no array.
    std::fs::create_dir_all(d.join("empty.zarr")).unwrap();
    let err = refused(&d, "empty.zarr", &GradientOptions::<f64>::new(), &ZarrOptions::new());
    assert!(matches!(err, ZarrError::Input { .. }), "{err}");
}

#[test]
fn malformed_metadata_is_an_input_error() {
    let d = dir("malformed");
    std::fs::create_dir_all(d.join("bad.zarr")).unwrap();
    std::fs::write(
        d.join("bad.zarr/zarr.json"),
        b"{\"zarr_format\": 3, \"node_type\": \"array\", \"shape\": [4",
    )
    .unwrap();
    let err = refused(&d, "bad.zarr", &GradientOptions::<f64>::new(), &ZarrOptions::new());
    assert!(matches!(err, ZarrError::Input { .. }), "{err}");
    assert!(std::error::Error::source(&err).is_some());
    // A v2 array with a shape that is not a list.
    std::fs::create_dir_all(d.join("bad2.zarr")).unwrap();
    std::fs::write(
        d.join("bad2.zarr/.zarray"),
        br#"{"zarr_format": 2, "shape": "big", "chunks": [2], "dtype": "<f8", "compressor": null, "fill_value": 0, "order": "C", "filters": null}"#,
    )
    .unwrap();
    let err = refused(&d, "bad2.zarr", &GradientOptions::<f64>::new(), &ZarrOptions::new());
    assert!(matches!(err, ZarrError::Input { .. }), "{err}");
}

#[test]
fn unsupported_dtype_is_refused() {
    let d = dir("dtype");
    let b = ArrayD::from_shape_fn(IxDyn(&[4, 4]), |i| (i[0] + i[1]) % 2 == 0);
    write(&d.join("bool.zarr"), &b, &[2, 2], data_type::bool(), false, Codec::None);
    let err = refused(&d, "bool.zarr", &GradientOptions::<f64>::new(), &ZarrOptions::new());
    assert!(
        matches!(&err, ZarrError::UnsupportedDtype { data_type, real: "f64" } if data_type.starts_with("bool")),
        "{err}"
    );
    // float32 data with f64 options, and float64 data with f32 options.
    let f = field(&[4, 4], 1).mapv(|v| v as f32);
    write(
        &d.join("f32.zarr"),
        &f,
        &[2, 2],
        data_type::float32(),
        0f32,
        Codec::None,
    );
    let err = refused(&d, "f32.zarr", &GradientOptions::<f64>::new(), &ZarrOptions::new());
    assert!(matches!(err, ZarrError::UnsupportedDtype { real: "f64", .. }), "{err}");
    write_f64(&d.join("f64.zarr"), &field(&[4, 4], 1), &[2, 2]);
    let err = refused(&d, "f64.zarr", &GradientOptions::<f32>::new(), &ZarrOptions::new());
    assert!(matches!(err, ZarrError::UnsupportedDtype { real: "f32", .. }), "{err}");
    assert!(!d.join("out.zarr").exists());
}

#[test]
fn options_the_array_refuses_are_gradient_errors() {
    let d = dir("options");
    write_f64(&d.join("in.zarr"), &field(&[4, 4], 1), &[2, 2]);
    let err = refused(&d, "in.zarr", &GradientOptions::new().spacing(0.0), &ZarrOptions::new());
    assert!(
        matches!(err, ZarrError::Gradient(GradientError::InvalidSpacing { .. })),
        "{err}"
    );
    let x = Array1::from_vec(vec![0.0, 1.0, 2.0]); // the wrong length for axis 0
    let err = refused(
        &d,
        "in.zarr",
        &GradientOptions::new().coordinates(Axis(0), &x),
        &ZarrOptions::new(),
    );
    assert!(matches!(err, ZarrError::Gradient(_)), "{err}");
    assert!(!d.join("out.zarr").exists(), "refused before anything is written");
}

#[test]
fn existing_output_is_refused_unless_overwrite() {
    let d = dir("exists");
    let f = field(&[6, 5], 13);
    write_f64(&d.join("in.zarr"), &f, &[2, 2]);
    std::fs::create_dir_all(d.join("out.zarr")).unwrap();
    std::fs::write(d.join("out.zarr/keep.txt"), b"mine").unwrap();
    let err = refused(&d, "in.zarr", &GradientOptions::<f64>::new(), &ZarrOptions::new());
    assert!(
        matches!(&err, ZarrError::OutputExists { path } if path.ends_with("out.zarr")),
        "{err}"
    );
    assert!(d.join("out.zarr/keep.txt").exists(), "left alone");
    zarr::gradient(
        d.join("in.zarr"),
        d.join("out.zarr"),
        &GradientOptions::<f64>::new(),
        &ZarrOptions::new().overwrite(true),
    )
    .unwrap();
    assert!(!d.join("out.zarr/keep.txt").exists());
    assert_eq!(
        zarr::read_array::<f64>(d.join("out.zarr/axis0")).unwrap(),
        f.gradient().unwrap()[0]
    );
    // Never the input itself, even with overwrite.
    let err = zarr::gradient(
        d.join("in.zarr"),
        d.join("in.zarr"),
        &GradientOptions::<f64>::new(),
        &ZarrOptions::new().overwrite(true),
    )
    .unwrap_err();
    assert!(matches!(err, ZarrError::OutputExists { .. }), "{err}");
    assert!(d.join("in.zarr/zarr.json").exists());
}

#[test]
fn a_corrupt_chunk_stops_the_run_names_the_chunk_and_leaves_the_output_incomplete() {
    let d = dir("corrupt");
    let f = field(&[12, 12], 14);
    write(&d.join("in.zarr"), &f, &[4, 4], data_type::float64(), 0f64, Codec::Zstd);
    // Chunk (2, 1) no longer decodes.
    let key = d.join("in.zarr/c/2/1");
    assert!(key.exists());
    std::fs::write(&key, b"not zstd at all").unwrap();
    let err = refused(
        &d,
        "in.zarr",
        &GradientOptions::<f64>::new(),
        &ZarrOptions::new().threads(1),
    );
    let ZarrError::ReadChunk {
        input_chunk,
        output_chunk,
        completed,
        ..
    } = &err
    else {
        panic!("expected ReadChunk, got {err}");
    };
    assert_eq!(input_chunk.as_deref(), Some(&[2u64, 1][..]), "{err}");
    // On one thread the chunks go in order: (1, 1) is the first whose halo reaches (2, 1).
    assert_eq!(output_chunk, &vec![1, 1]);
    assert_eq!(completed, &vec![vec![0, 0], vec![0, 1], vec![0, 2], vec![1, 0]]);
    assert!(err.to_string().contains("[2, 1]"), "{err}");
    // The group exists and says it is not complete.
    let group: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("out.zarr/zarr.json")).unwrap()).unwrap();
    assert_eq!(group["attributes"]["ndarray_gradient"]["complete"], false);
    let axis0: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("out.zarr/axis0/zarr.json")).unwrap()).unwrap();
    assert_eq!(axis0["attributes"]["ndarray_gradient"]["complete"], false);
    // The completed chunks hold the right values.
    let whole = f.gradient().unwrap();
    let got = zarr::read_array::<f64>(d.join("out.zarr/axis0")).unwrap();
    assert_eq!(got.slice(ndarray::s![0..4, ..]), whole[0].slice(ndarray::s![0..4, ..]));
    // A missing chunk file is not an error in Zarr (it reads as the fill value); a chunk that
    // is a directory instead of a file is.
    std::fs::remove_file(&key).unwrap();
    std::fs::create_dir_all(&key).unwrap();
    let err = zarr::gradient(
        d.join("in.zarr"),
        d.join("out2.zarr"),
        &GradientOptions::<f64>::new(),
        &ZarrOptions::new(),
    )
    .unwrap_err();
    assert!(matches!(err, ZarrError::ReadChunk { .. }), "{err}");
}
