//! Criterion benchmarks: per-axis gradient, all axes, coordinates, edge order 2, diff n = 1 and
//! 3, `_into`; f32, f64 and complex; C and F order; serial and (with `--features rayon`)
//! parallel; with a plain copy of the same array as the floor in every group. Beyond NumPy:
//! accuracy 4 and 8, a second derivative, coordinates at accuracy 4, a periodic axis and the
//! Laplacian (`stencils/...`, with accuracy 2 of the same call as their reference), and u8
//! input with f32 results against converting to f32 first (`gradient_axis_f32/u8/...`).
//!
//! ```text
//! cargo bench --features rayon --bench gradient -- 'gradient_axis/f64/C/4096x4096'
//! cargo bench --features rayon --bench gradient -- 'stencils/f64/C/256x256x256'
//! ```
//!
//! `scripts/bench_vs_numpy.py` times the same cases against NumPy in one run.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::{Array1, ArrayD, Axis, IxDyn, ShapeBuilder};
use ndarray_gradient::{ArrayGradientExt, EdgeOrder, GradientElement, GradientOptions, with_parallel_threshold};
use ndarray_rand::RandomExt;
use ndarray_rand::rand::SeedableRng;
use ndarray_rand::rand::rngs::StdRng;
use ndarray_rand::rand_distr::Uniform;
use num_complex::Complex;

const SIZES: [&[usize]; 6] = [
    &[1000],
    &[32, 32],
    &[1024, 1024],
    &[4096, 4096],
    &[64, 64, 64],
    &[256, 256, 256],
];

fn random(shape: &[usize], fortran: bool) -> ArrayD<f64> {
    let mut rng = StdRng::seed_from_u64(7);
    let shape = IxDyn(shape).set_f(fortran);
    ArrayD::random_using(shape, Uniform::new(-1.0, 1.0).unwrap(), &mut rng)
}

fn name(shape: &[usize]) -> String {
    shape.iter().map(|n| n.to_string()).collect::<Vec<_>>().join("x")
}

/// The schedules to compare: serial always, parallel with the `rayon` feature.
fn schedules() -> Vec<(&'static str, usize)> {
    let mut s = vec![("serial", usize::MAX)];
    if cfg!(feature = "rayon") {
        s.push(("parallel", ndarray_gradient::DEFAULT_PARALLEL_THRESHOLD));
    }
    s
}

fn configure<'c>(c: &'c mut Criterion, group: &str) -> criterion::BenchmarkGroup<'c, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(group);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    g
}

fn bench_axes<A>(c: &mut Criterion, dtype: &str, convert: impl Fn(&ArrayD<f64>) -> ArrayD<A>)
where
    A: GradientElement<Real = f64> + Clone,
{
    for shape in SIZES {
        for fortran in [false, true] {
            if shape.len() == 1 && fortran {
                continue;
            }
            let order = if fortran { "F" } else { "C" };
            let f = convert(&random(shape, fortran));
            let mut g = configure(c, &format!("gradient_axis/{dtype}/{order}/{}", name(shape)));
            g.throughput(Throughput::Elements(f.len() as u64));
            g.bench_function("copy", |b| b.iter(|| black_box(f.to_owned())));
            for axis in 0..shape.len() {
                for (schedule, threshold) in schedules() {
                    let id = BenchmarkId::new(format!("axis{axis}"), schedule);
                    g.bench_function(id, |b| {
                        b.iter(|| {
                            with_parallel_threshold(threshold, || black_box(f.gradient_axis(Axis(axis)).unwrap()))
                        })
                    });
                }
            }
            g.finish();
        }
    }
}

fn gradient_axis(c: &mut Criterion) {
    bench_axes(c, "f64", |f| f.clone());
    bench_axes(c, "complex128", |f| f.mapv(|v| Complex::new(v, -v)));
}

fn gradient_axis_f32(c: &mut Criterion) {
    for shape in SIZES {
        let f = random(shape, false).mapv(|v| v as f32);
        let mut g = configure(c, &format!("gradient_axis/f32/C/{}", name(shape)));
        g.throughput(Throughput::Elements(f.len() as u64));
        g.bench_function("copy", |b| b.iter(|| black_box(f.to_owned())));
        for axis in 0..shape.len() {
            g.bench_function(format!("axis{axis}"), |b| {
                b.iter(|| black_box(f.gradient_axis(Axis(axis)).unwrap()))
            });
        }
        g.finish();
    }
}

fn gradient_all_axes(c: &mut Criterion) {
    for shape in SIZES {
        let f = random(shape, false);
        let mut g = configure(c, &format!("gradient/f64/C/{}", name(shape)));
        g.throughput(Throughput::Elements(f.len() as u64));
        g.bench_function("copy", |b| b.iter(|| black_box(f.to_owned())));
        for (schedule, threshold) in schedules() {
            g.bench_function(schedule, |b| {
                b.iter(|| with_parallel_threshold(threshold, || black_box(f.gradient().unwrap())))
            });
        }
        let x: Vec<Array1<f64>> = shape
            .iter()
            .map(|&n| Array1::from_shape_fn(n, |i| i as f64 + 0.25 * (i as f64 * 0.7).sin()))
            .collect();
        let coords = x
            .iter()
            .enumerate()
            .fold(GradientOptions::new(), |o, (k, x)| o.coordinates(Axis(k), x));
        g.bench_function("coordinates", |b| {
            b.iter(|| black_box(f.gradient_with(&coords).unwrap()))
        });
        let edge2 = GradientOptions::new().edge_order(EdgeOrder::Second);
        g.bench_function("edge_order_2", |b| {
            b.iter(|| black_box(f.gradient_with(&edge2).unwrap()))
        });
        g.finish();
    }
}

fn into(c: &mut Criterion) {
    for shape in [&[4096, 4096][..], &[256, 256, 256]] {
        let f = random(shape, false);
        let mut out = ArrayD::<f64>::zeros(IxDyn(shape));
        let mut g = configure(c, &format!("into/f64/C/{}", name(shape)));
        g.throughput(Throughput::Elements(f.len() as u64));
        g.bench_function("assign", |b| b.iter(|| out.assign(black_box(&f))));
        for axis in 0..shape.len() {
            g.bench_function(format!("gradient_axis_into/axis{axis}"), |b| {
                b.iter(|| {
                    f.gradient_axis_into(Axis(axis), &GradientOptions::new(), &mut out)
                        .unwrap()
                })
            });
        }
        let mut d_shape = shape.to_vec();
        d_shape[0] -= 1;
        let mut d = ArrayD::<f64>::zeros(IxDyn(&d_shape));
        {
            g.bench_function("diff_into/n1/axis0", |b| {
                b.iter(|| f.diff_into(1, Axis(0), &mut d).unwrap())
            });
        }
        g.finish();
    }
}

fn diff(c: &mut Criterion) {
    for shape in SIZES {
        for fortran in [false, true] {
            if shape.len() == 1 && fortran {
                continue;
            }
            let order = if fortran { "F" } else { "C" };
            let f = random(shape, fortran);
            let mut g = configure(c, &format!("diff/f64/{order}/{}", name(shape)));
            g.throughput(Throughput::Elements(f.len() as u64));
            g.bench_function("copy", |b| b.iter(|| black_box(f.to_owned())));
            for axis in 0..shape.len() {
                for n in [1, 3] {
                    for (schedule, threshold) in schedules() {
                        let id = BenchmarkId::new(format!("n{n}/axis{axis}"), schedule);
                        g.bench_function(id, |b| {
                            b.iter(|| with_parallel_threshold(threshold, || black_box(f.diff(n, Axis(axis)).unwrap())))
                        });
                    }
                }
            }
            g.finish();
        }
    }
}

/// The options beyond NumPy, per axis: accuracy orders, a second derivative, coordinates at
/// accuracy 4 and a periodic axis (accuracy 2 is the reference the others are read against).
fn stencil_options<'a>(axis: usize, x: &'a Array1<f64>) -> Vec<(&'static str, GradientOptions<'a, f64>)> {
    vec![
        ("acc2", GradientOptions::new().accuracy(2)),
        ("acc4", GradientOptions::new().accuracy(4)),
        ("acc8", GradientOptions::new().accuracy(8)),
        ("deriv2", GradientOptions::new().derivative(2)),
        (
            "coords_acc4",
            GradientOptions::new().coordinates(Axis(axis), x).accuracy(4),
        ),
        ("periodic", GradientOptions::new().periodic(Axis(axis))),
    ]
}

fn stencils(c: &mut Criterion) {
    for shape in SIZES {
        for fortran in [false, true] {
            if shape.len() == 1 && fortran {
                continue;
            }
            let order = if fortran { "F" } else { "C" };
            let f = random(shape, fortran);
            let mut g = configure(c, &format!("stencils/f64/{order}/{}", name(shape)));
            g.throughput(Throughput::Elements(f.len() as u64));
            g.bench_function("copy", |b| b.iter(|| black_box(f.to_owned())));
            for (axis, &len) in shape.iter().enumerate() {
                let x = Array1::from_shape_fn(len, |i| i as f64 + 0.25 * (i as f64 * 0.7).sin());
                for (label, opts) in stencil_options(axis, &x) {
                    for (schedule, threshold) in schedules() {
                        let id = BenchmarkId::new(format!("{label}/axis{axis}"), schedule);
                        g.bench_function(id, |b| {
                            b.iter(|| {
                                with_parallel_threshold(threshold, || {
                                    black_box(f.gradient_axis_with(Axis(axis), &opts).unwrap())
                                })
                            })
                        });
                    }
                }
            }
            let laplacian = GradientOptions::new();
            for (schedule, threshold) in schedules() {
                g.bench_function(BenchmarkId::new("laplacian", schedule), |b| {
                    b.iter(|| with_parallel_threshold(threshold, || black_box(f.laplacian(&laplacian).unwrap())))
                });
            }
            g.finish();
        }
    }
}

fn u8_f32(c: &mut Criterion) {
    for shape in SIZES {
        let u8s = random(shape, false).mapv(|v| ((v + 1.0) * 120.0) as u8);
        let f32s = u8s.mapv(|v| v as f32);
        let mut g = configure(c, &format!("gradient_axis_f32/u8/C/{}", name(shape)));
        g.throughput(Throughput::Elements(u8s.len() as u64));
        // The floor of an f32 result: a fresh f32 array plus one copy.
        g.bench_function("copy_f32", |b| b.iter(|| black_box(f32s.to_owned())));
        let opts = GradientOptions::new();
        for axis in 0..shape.len() {
            for (schedule, threshold) in schedules() {
                g.bench_function(BenchmarkId::new(format!("axis{axis}"), schedule), |b| {
                    b.iter(|| {
                        with_parallel_threshold(threshold, || {
                            black_box(u8s.gradient_axis_f32(Axis(axis), &opts).unwrap())
                        })
                    })
                });
            }
            // What the `_f32` methods save: converting to f32 first (NumPy's only way).
            g.bench_function(format!("convert_first/axis{axis}"), |b| {
                b.iter(|| black_box(u8s.mapv(|v| v as f32).gradient_axis(Axis(axis)).unwrap()))
            });
        }
        g.finish();
    }
}

criterion_group!(
    benches,
    gradient_axis,
    gradient_axis_f32,
    gradient_all_axes,
    into,
    diff,
    stencils,
    u8_f32
);
criterion_main!(benches);
