//! Times this crate on the cases of `scripts/bench_vs_numpy.py` and prints one JSON object per
//! line. The script runs NumPy on the same cases in the same run and prints the ratio table;
//! run this binary alone to time the crate only:
//!
//! ```text
//! cargo run --release --features rayon --example bench_cases -- [--quick] [CASE_PREFIX...]
//! ```
//!
//! Every case is timed as the median of repeated calls after a warm-up; allocating cases
//! include the allocation (and its page faults), as NumPy's do.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ndarray::{Array, Array1, ArrayD, Axis, Dimension, IxDyn, ShapeBuilder};
use ndarray_gradient::{ArrayGradientExt, EdgeOrder, GradientOptions, Operator, with_parallel_threshold};
use num_complex::Complex64;

/// Median and minimum time of one call of `f`, over samples repeated until `budget` is spent
/// (at least `min_reps`). Calls shorter than 50 µs are timed in batches, one sample being the
/// mean of a batch, so that the clock and stray interrupts do not dominate.
fn time(budget: Duration, min_reps: usize, mut f: impl FnMut()) -> (f64, f64) {
    f(); // warm-up: page in, fill caches, let the allocator settle
    let t = Instant::now();
    f();
    let once = t.elapsed().as_secs_f64();
    let batch = ((50e-6 / once.max(1e-9)) as usize).clamp(1, 10_000);
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < min_reps || (start.elapsed() < budget && samples.len() < 10_000) {
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        samples.push(t.elapsed().as_secs_f64() / batch as f64);
    }
    samples.sort_by(f64::total_cmp);
    (samples[samples.len() / 2], samples[0])
}

/// The test function of every case: smooth, no zeros, different along every axis.
fn field<D: Dimension>(shape: D, fortran: bool) -> Array<f64, D> {
    let shape = if fortran {
        shape.f()
    } else {
        shape.into_shape_with_order()
    };
    let mut k = 0.0_f64;
    Array::from_shape_simple_fn(shape, || {
        k += 1.0;
        (k * 0.001).sin() + 0.5 * (k * 0.37).cos()
    })
}

fn coords(n: usize) -> Array1<f64> {
    // Non-uniform: every step differs.
    Array1::from_shape_fn(n, |i| i as f64 + 0.25 * ((i as f64) * 0.7).sin())
}

struct Case {
    name: String,
    elements: usize,
    run: Box<dyn FnMut()>,
}

fn case(name: impl Into<String>, elements: usize, run: impl FnMut() + 'static) -> Case {
    Case {
        name: name.into(),
        elements,
        run: Box::new(run),
    }
}

/// Adds the same case serial and (with the `rayon` feature) parallel.
fn schedules(cases: &mut Vec<Case>, name: &str, elements: usize, run: impl Fn() + Clone + 'static) {
    let serial = run.clone();
    cases.push(case(format!("{name}/serial"), elements, move || {
        with_parallel_threshold(usize::MAX, &serial)
    }));
    if cfg!(feature = "rayon") {
        cases.push(case(format!("{name}/parallel"), elements, move || {
            with_parallel_threshold(ndarray_gradient::DEFAULT_PARALLEL_THRESHOLD, &run)
        }));
    }
}

fn all_cases() -> Vec<Case> {
    let mut cases = Vec::new();

    // Small arrays: per-call overhead. Static dimensions, as such arrays are usually held.
    let f1 = field(ndarray::Ix1(1000), false);
    small(&mut cases, "1000", f1);
    let f2 = field(ndarray::Ix2(32, 32), false);
    small(&mut cases, "32x32", f2);

    // The matrix of the 2-D Laplacian at accuracy 4 on 1024² (issue 17; feature `sparse`;
    // findiff's `.matrix(shape)` is the peer).
    #[cfg(feature = "sparse")]
    cases.push(case("matrix_lap2d_acc4/1024x1024/C", 1024 * 1024, || {
        let lap = Operator::<f64>::derivative(Axis(0), 2) + Operator::derivative(Axis(1), 2);
        black_box(lap.matrix(&[1024, 1024], &GradientOptions::new().accuracy(4)).unwrap());
    }));

    // The 2-D Poisson problem on 512² at accuracy 2 with zero Dirichlet values on the four
    // sides, from the matrix to the solution (issue 17; findiff's `PDE(L, f, bc).solve()`,
    // SciPy's SuperLU, is the peer).
    #[cfg(feature = "sparse")]
    cases.push(case("solve_poisson2d_acc2/512x512/C", 512 * 512, || {
        black_box(poisson_512());
    }));

    // Large arrays, every axis, C and F order.
    for (name, shape) in [
        ("1024x1024", vec![1024, 1024]),
        ("4096x4096", vec![4096, 4096]),
        ("64x64x64", vec![64, 64, 64]),
        ("256x256x256", vec![256, 256, 256]),
    ] {
        for fortran in [false, true] {
            let order = if fortran { "F" } else { "C" };
            // One array per shape and order, shared by every case (`Arc`): a deep copy per
            // case would hold about 90 copies of 128 MiB per large shape and order.
            let f = Arc::new(field(IxDyn(&shape), fortran));
            let n = f.len();
            let tag = format!("{name}/{order}");
            // The floors: a fresh copy on one thread and split across rayon's (the same calls
            // as the allocating cases: what two threads can do at best for them).
            let f1 = f.clone();
            cases.push(case(format!("copy/{tag}"), n, move || {
                black_box(with_parallel_threshold(usize::MAX, || fresh_copy(&f1)));
            }));
            if cfg!(feature = "rayon") {
                let f1 = f.clone();
                cases.push(case(format!("copy_parallel/{tag}"), n, move || {
                    black_box(with_parallel_threshold(
                        ndarray_gradient::DEFAULT_PARALLEL_THRESHOLD,
                        || fresh_copy(&f1),
                    ));
                }));
            }
            // The floor of `gradient()`: one fresh copy per output.
            let f1 = f.clone();
            cases.push(case(format!("copies/{tag}"), n, move || {
                black_box(with_parallel_threshold(usize::MAX, || fresh_copies(&f1)));
            }));
            if cfg!(feature = "rayon") {
                let f1 = f.clone();
                cases.push(case(format!("copies_parallel/{tag}"), n, move || {
                    black_box(with_parallel_threshold(
                        ndarray_gradient::DEFAULT_PARALLEL_THRESHOLD,
                        || fresh_copies(&f1),
                    ));
                }));
            }
            let f1 = f.clone();
            // Zeroed allocations are not touched until a case runs.
            let mut out = ArrayD::<f64>::zeros(IxDyn(&shape).set_f(fortran));
            cases.push(case(format!("assign/{tag}"), n, move || {
                out.assign(&*f1);
                black_box(&out);
            }));
            for axis in 0..shape.len() {
                // Static dimension, as most users hold their arrays.
                let fs = f.clone();
                schedules(&mut cases, &format!("gradient_axis/{tag}/axis{axis}"), n, move || {
                    with_static(&fs, |a| black_box(a.gradient_axis(Axis(axis)).is_ok()));
                });
                let fd = f.clone();
                schedules(
                    &mut cases,
                    &format!("gradient_axis_dyn/{tag}/axis{axis}"),
                    n,
                    move || {
                        black_box(fd.gradient_axis(Axis(axis)).unwrap());
                    },
                );
                let fc = f.clone();
                let x = coords(shape[axis]);
                schedules(&mut cases, &format!("coordinates/{tag}/axis{axis}"), n, move || {
                    let opts = GradientOptions::new().coordinates(Axis(axis), &x);
                    with_static(&fc, |a| black_box(a.gradient_axis_with(Axis(axis), &opts).is_ok()));
                });
                let fe = f.clone();
                schedules(&mut cases, &format!("edge2/{tag}/axis{axis}"), n, move || {
                    let opts = GradientOptions::new().edge_order(EdgeOrder::Second);
                    with_static(&fe, |a| black_box(a.gradient_axis_with(Axis(axis), &opts).is_ok()));
                });
                let fi = f.clone();
                let mut out = ArrayD::<f64>::zeros(IxDyn(&shape).set_f(fortran));
                cases.push(case(
                    format!("gradient_axis_into/{tag}/axis{axis}/serial"),
                    n,
                    move || {
                        with_parallel_threshold(usize::MAX, || {
                            fi.gradient_axis_into(Axis(axis), &GradientOptions::new(), &mut out)
                                .unwrap()
                        });
                        black_box(&out);
                    },
                ));
                // Beyond NumPy: accuracy orders, a second derivative, coordinates at accuracy 4,
                // a periodic axis.
                for p in [2, 4, 8] {
                    let fa = f.clone();
                    schedules(&mut cases, &format!("acc{p}/{tag}/axis{axis}"), n, move || {
                        let opts = GradientOptions::new().accuracy(p);
                        with_static(&fa, |a| black_box(a.gradient_axis_with(Axis(axis), &opts).is_ok()));
                    });
                }
                // The compact first derivative, Lele's tridiagonal scheme of accuracy 4 (issue
                // 17: at most twice the explicit accuracy-4 call, `acc4` above).
                let fc = f.clone();
                let scheme = ndarray_gradient::CompactScheme::new(1, 4, 3).expect("a scheme");
                schedules(&mut cases, &format!("compact1_acc4/{tag}/axis{axis}"), n, move || {
                    black_box(scheme.apply(&*fc, Axis(axis), &GradientOptions::new()).unwrap());
                });
                let fd2 = f.clone();
                schedules(&mut cases, &format!("deriv2/{tag}/axis{axis}"), n, move || {
                    let opts = GradientOptions::new().derivative(2);
                    with_static(&fd2, |a| black_box(a.gradient_axis_with(Axis(axis), &opts).is_ok()));
                });
                let fc4 = f.clone();
                let x4 = coords(shape[axis]);
                schedules(&mut cases, &format!("coords_acc4/{tag}/axis{axis}"), n, move || {
                    let opts = GradientOptions::new().coordinates(Axis(axis), &x4).accuracy(4);
                    with_static(&fc4, |a| black_box(a.gradient_axis_with(Axis(axis), &opts).is_ok()));
                });
                let fp = f.clone();
                schedules(&mut cases, &format!("periodic/{tag}/axis{axis}"), n, move || {
                    let opts = GradientOptions::new().periodic(Axis(axis));
                    with_static(&fp, |a| black_box(a.gradient_axis_with(Axis(axis), &opts).is_ok()));
                });
                for k in [1, 3] {
                    let fd = f.clone();
                    schedules(&mut cases, &format!("diff{k}/{tag}/axis{axis}"), n, move || {
                        with_static(&fd, |a| black_box(a.diff(k, Axis(axis)).is_ok()));
                    });
                }
            }
            let fa = f.clone();
            schedules(&mut cases, &format!("gradient/{tag}"), n, move || {
                with_static(&fa, |a| black_box(a.gradient().is_ok()));
            });
            let fl = f.clone();
            schedules(&mut cases, &format!("laplacian/{tag}"), n, move || {
                with_static(&fl, |a| black_box(a.laplacian(&GradientOptions::new()).is_ok()));
            });
            // Operators (issue 17): the Hessian (its floor: one fresh copy per distinct entry),
            // the fused gradient magnitude (floor: one copy) and the mixed partial ∂²/∂x₀∂x₁.
            let fh = f.clone();
            schedules(&mut cases, &format!("hessian/{tag}"), n, move || {
                black_box(fh.hessian(&GradientOptions::new().accuracy(2)).unwrap());
            });
            let fh = f.clone();
            let entries = shape.len() * (shape.len() + 1) / 2;
            cases.push(case(format!("hessian_floor/{tag}"), n, move || {
                black_box(with_parallel_threshold(usize::MAX, || {
                    (0..entries).map(|_| fresh_copy(&fh)).collect::<Vec<_>>()
                }));
            }));
            let fg = f.clone();
            schedules(&mut cases, &format!("magnitude/{tag}"), n, move || {
                black_box(fg.gradient_magnitude(&GradientOptions::new()).unwrap());
            });
            for p in [2, 4] {
                let fm = f.clone();
                schedules(&mut cases, &format!("mixed01_acc{p}/{tag}"), n, move || {
                    let op = Operator::derivative(Axis(0), 1) * Operator::derivative(Axis(1), 1);
                    black_box(op.apply(&*fm, &GradientOptions::new().accuracy(p)).unwrap());
                });
            }
        }
        // Other element types, C order, last axis.
        let f = field(IxDyn(&shape), false);
        let n = f.len();
        let last = shape.len() - 1;
        let f32s = Arc::new(f.mapv(|v| v as f32));
        // The floor of the f32-result cases: a fresh f32 array plus one copy.
        let f32c = f32s.clone();
        cases.push(case(format!("copy_f32/{name}/C"), n, move || {
            black_box(fresh_copy(&f32c));
        }));
        schedules(&mut cases, &format!("f32/{name}/C/axis0"), n, move || {
            black_box(f32s.gradient_axis(Axis(0)).unwrap());
        });
        // u8 input with f32 results, against converting to f32 first (what the `_f32` methods
        // save: a pass over the array and a temporary of its size in f32).
        let u8s = Arc::new(f.mapv(|v| ((v + 1.5) * 80.0) as u8));
        let u8c = u8s.clone();
        schedules(&mut cases, &format!("u8_f32/{name}/C/axis0"), n, move || {
            black_box(u8s.gradient_axis_f32(Axis(0), &GradientOptions::new()).unwrap());
        });
        schedules(&mut cases, &format!("u8_convert_f32/{name}/C/axis0"), n, move || {
            black_box(u8c.mapv(|v| v as f32).gradient_axis(Axis(0)).unwrap());
        });
        let cs = Arc::new(f.mapv(|v| Complex64::new(v, -v)));
        let cc = cs.clone();
        cases.push(case(format!("copy_complex128/{name}/C"), n, move || {
            black_box(fresh_copy(&cc));
        }));
        schedules(&mut cases, &format!("complex128/{name}/C/axis{last}"), n, move || {
            black_box(cs.gradient_axis(Axis(last)).unwrap());
        });
    }
    cases
}

fn small<D: ndarray_gradient::GradientDim + 'static>(cases: &mut Vec<Case>, name: &str, f: Array<f64, D>) {
    let n = f.len();
    let f1 = f.clone();
    schedules(cases, &format!("gradient/{name}"), n, move || {
        black_box(f1.gradient().unwrap());
    });
    cases.push(case(format!("copy/{name}"), n, move || {
        black_box(fresh_copy(&f));
    }));
}

/// The floor of an allocating call: a fresh array allocated as the crate allocates its results
/// (in the input's memory order; huge pages when large, as NumPy's) plus one copy of `f`.
/// `diff(0, axis)` is exactly that (`np.diff(f, n=0)` is a copy); `to_owned` would fault its
/// pages in 4 KiB on Linux and be slower than the calls it is the floor of. Large arrays are
/// copied in blocks on rayon's threads unless the threshold says otherwise.
fn fresh_copy<A: ndarray_gradient::DiffElement, D: Dimension>(f: &Array<A, D>) -> Array<A, D> {
    f.diff(0, Axis(0)).expect("n = 0 along an existing axis")
}

/// One fresh copy per axis: the floor of `gradient()`, which writes one output per axis.
fn fresh_copies<A: ndarray_gradient::DiffElement, D: Dimension>(f: &Array<A, D>) -> Vec<Array<A, D>> {
    (0..f.ndim()).map(|_| fresh_copy(f)).collect()
}

/// Runs `f` on the array converted to its static dimension (2-D or 3-D here).
fn with_static<R>(a: &ArrayD<f64>, f: impl Fn(&dyn StaticCall) -> R) -> R {
    match a.ndim() {
        1 => f(&a.view().into_dimensionality::<ndarray::Ix1>().unwrap()),
        2 => f(&a.view().into_dimensionality::<ndarray::Ix2>().unwrap()),
        _ => f(&a.view().into_dimensionality::<ndarray::Ix3>().unwrap()),
    }
}

/// The calls the benchmark makes, object-safe so `with_static` can hand out any dimension.
trait StaticCall {
    fn gradient_axis(&self, axis: Axis) -> Result<(), ndarray_gradient::GradientError>;
    fn gradient_axis_with(
        &self,
        axis: Axis,
        opts: &GradientOptions<'_, f64>,
    ) -> Result<(), ndarray_gradient::GradientError>;
    fn gradient(&self) -> Result<(), ndarray_gradient::GradientError>;
    fn diff(&self, n: usize, axis: Axis) -> Result<(), ndarray_gradient::GradientError>;
    fn laplacian(&self, opts: &GradientOptions<'_, f64>) -> Result<(), ndarray_gradient::GradientError>;
}

impl<D: ndarray_gradient::GradientDim> StaticCall for ndarray::ArrayView<'_, f64, D> {
    fn gradient_axis(&self, axis: Axis) -> Result<(), ndarray_gradient::GradientError> {
        black_box(ArrayGradientExt::gradient_axis(self, axis)?);
        Ok(())
    }
    fn gradient_axis_with(
        &self,
        axis: Axis,
        opts: &GradientOptions<'_, f64>,
    ) -> Result<(), ndarray_gradient::GradientError> {
        black_box(ArrayGradientExt::gradient_axis_with(self, axis, opts)?);
        Ok(())
    }
    fn gradient(&self) -> Result<(), ndarray_gradient::GradientError> {
        black_box(ArrayGradientExt::gradient(self)?);
        Ok(())
    }
    fn diff(&self, n: usize, axis: Axis) -> Result<(), ndarray_gradient::GradientError> {
        black_box(ArrayGradientExt::diff(self, n, axis)?);
        Ok(())
    }
    fn laplacian(&self, opts: &GradientOptions<'_, f64>) -> Result<(), ndarray_gradient::GradientError> {
        black_box(ArrayGradientExt::laplacian(self, opts)?);
        Ok(())
    }
}

/// `VmRSS` and `VmHWM` of this process, in bytes (Linux).
fn rss_and_peak() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|k| k * 1024)
    };
    Some((kb("VmRSS:")?, kb("VmHWM:")?))
}

/// Peak memory of an allocating call beyond the input: the high-water mark is reset (Linux
/// `clear_refs`) once the input exists, so the growth is the outputs plus any temporaries.
fn peak_memory() {
    let measure = |name: &str, output_bytes: usize, run: &dyn Fn() -> usize| {
        // Once before measuring: a first call pages in the binary's code it runs, which the
        // RSS counts (`RssFile` grew by 1.8 MB in the first case, `RssAnon` by 60 kB after it),
        // and starts rayon's threads. Neither is memory the call holds.
        run();
        if std::fs::write("/proc/self/clear_refs", "5").is_err() {
            return;
        }
        let Some((before, _)) = rss_and_peak() else { return };
        let kept = run();
        let Some((_, peak)) = rss_and_peak() else { return };
        println!(
            "{{\"case\": \"peak/{name}\", \"extra_bytes\": {}, \"output_bytes\": {output_bytes}, \"kept\": {kept}}}",
            peak.saturating_sub(before)
        );
    };
    let f2 = field(ndarray::Ix2(4096, 4096), false);
    let bytes2 = f2.len() * 8;
    for axis in 0..2 {
        measure(&format!("gradient_axis/4096x4096/C/axis{axis}"), bytes2, &|| {
            f2.gradient_axis(Axis(axis)).unwrap().len()
        });
    }
    let f3 = field(ndarray::Ix3(256, 256, 256), false);
    let bytes3 = f3.len() * 8;
    measure("gradient/256x256x256/C", 3 * bytes3, &|| f3.gradient().unwrap().len());
    let x = coords(256);
    measure("coordinates/256x256x256/C/axis0", bytes3, &|| {
        f3.gradient_axis_with(Axis(0), &GradientOptions::new().coordinates(Axis(0), &x))
            .unwrap()
            .len()
    });
}

/// `Δu = f` on 512² points of the unit square, `u = 0` on its sides, `f` the cases' field.
#[cfg(feature = "sparse")]
fn poisson_512() -> ndarray::Array2<f64> {
    use ndarray::s;
    use ndarray_gradient::BoundaryConditions;
    let f = field(ndarray::Ix2(512, 512), false);
    let lap = Operator::derivative(Axis(0), 2) + Operator::derivative(Axis(1), 2);
    let bc = BoundaryConditions::new()
        .dirichlet(s![0, ..], 0.0)
        .dirichlet(s![-1, ..], 0.0)
        .dirichlet(s![.., 0], 0.0)
        .dirichlet(s![.., -1], 0.0);
    let opts = GradientOptions::new().spacing(1.0 / 511.0).accuracy(2);
    lap.solve(&f, &bc, &opts).expect("a well-posed problem")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `--save-poisson PATH`: the Poisson case's solution as .npy, for the script to compare
    // with findiff's.
    #[cfg(feature = "sparse")]
    if let Some(k) = args.iter().position(|a| a == "--save-poisson") {
        let path = args.get(k + 1).expect("--save-poisson PATH");
        ndarray_npy::write_npy(path, &poisson_512()).expect("cannot write the solution");
        return;
    }
    if args.iter().any(|a| a == "--peak-memory") {
        return peak_memory();
    }
    let quick = args.iter().any(|a| a == "--quick");
    let list = args.iter().any(|a| a == "--list");
    let prefixes: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let budget = Duration::from_millis(if quick { 150 } else { 600 });
    for mut c in all_cases() {
        if !prefixes.is_empty() && !prefixes.iter().any(|p| c.name.starts_with(p.as_str())) {
            continue;
        }
        if list {
            println!("{}", c.name);
            continue;
        }
        let (median, min) = time(budget, 5, &mut c.run);
        println!(
            "{{\"case\": \"{}\", \"elements\": {}, \"median_s\": {:e}, \"min_s\": {:e}}}",
            c.name, c.elements, median, min
        );
    }
}
