//! Accuracy orders, derivative orders, periodic boundaries and the operators: exactness,
//! convergence, agreement between call forms and memory layouts, and NumPy identities.

use ndarray::{Array, Array1, ArrayD, Axis, Dimension, Ix2, IxDyn, ShapeBuilder, Slice, s};
use ndarray_gradient::{
    ArrayGradientExt, Boundary, EdgeOrder, GradientError, GradientOptions, MAX_ACCURACY, MAX_DERIVATIVE,
    with_parallel_threshold,
};

fn same_bits<D: Dimension>(a: &Array<f64, D>, b: &Array<f64, D>) -> bool {
    a.shape() == b.shape() && a.iter().zip(b.iter()).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// A smooth test array of the given shape with no special symmetry.
fn smooth(shape: &[usize]) -> ArrayD<f64> {
    ArrayD::from_shape_fn(IxDyn(shape), |i| {
        i.slice()
            .iter()
            .enumerate()
            .map(|(k, &v)| ((k + 1) as f64 * 0.37 * v as f64 + 0.2 * k as f64).sin())
            .sum::<f64>()
            + 0.01 * i.slice().iter().map(|&v| (v * v) as f64).sum::<f64>()
    })
}

/// Strictly increasing coordinates with uneven steps.
fn jittered(n: usize, seed: u64) -> Array1<f64> {
    let mut x = 0.0;
    Array1::from_iter((0..n).map(|i| {
        let r = ((i as u64 * 2654435761 + seed * 40503) % 1000) as f64 / 1000.0;
        let v = x;
        x += 0.7 + 0.6 * r;
        v
    }))
}

/// The layouts a kernel can meet: C, F, reversed axes, stepped.
fn layouts(c: &ArrayD<f64>) -> Vec<ArrayD<f64>> {
    let f = {
        let mut a = ArrayD::zeros(c.raw_dim().f());
        a.assign(c);
        a
    };
    let mut reversed = c.clone();
    for k in 0..c.ndim() {
        reversed.invert_axis(Axis(k));
    }
    let reversed_back = {
        let mut b = reversed.to_owned();
        for k in 0..c.ndim() {
            b.invert_axis(Axis(k));
        }
        b
    };
    let big: Vec<usize> = c.shape().iter().map(|&n| 2 * n).collect();
    let mut stepped = ArrayD::zeros(IxDyn(&big));
    stepped.slice_each_axis_inplace(|_| Slice::new(0, None, 2));
    stepped.assign(c);
    vec![c.clone(), f, reversed_back, stepped]
}

/// The option sets exercised on every path.
fn option_sets() -> Vec<(String, GradientOptions<'static, f64>)> {
    let mut sets = Vec::new();
    for p in [2, 4, 8] {
        for m in 1..=4 {
            let (name, opts) = accuracy_set(p, false);
            sets.push((format!("{name} m{m}"), opts.derivative(m)));
            let (name, opts) = accuracy_set(p, true);
            sets.push((format!("{name} m{m}"), opts.derivative(m)));
        }
    }
    sets
}

/// Accuracy `p` on a spacing of 0.3, or periodic: the settings of [`option_sets`] but the
/// derivative order (the Laplacian fixes its own, and refuses a different one).
fn accuracy_set(p: usize, periodic: bool) -> (String, GradientOptions<'static, f64>) {
    if periodic {
        (
            format!("p{p} periodic"),
            GradientOptions::new().accuracy(p).boundary(Boundary::Periodic),
        )
    } else {
        (format!("p{p}"), GradientOptions::new().accuracy(p).spacing(0.3))
    }
}

#[test]
fn layouts_threads_and_into_agree_bit_for_bit() {
    for shape in [&[40][..], &[17, 23], &[9, 12, 20], &[3, 18, 2, 16]] {
        let base = smooth(shape);
        for (name, opts) in option_sets() {
            for axis in (0..shape.len()).map(Axis) {
                let reference = match base.gradient_axis_with(axis, &opts) {
                    Ok(r) => r,
                    Err(GradientError::AxisTooShort { .. }) => continue,
                    Err(e) => panic!("{name}: {e}"),
                };
                for f in layouts(&base) {
                    for threshold in [0, usize::MAX] {
                        let got = with_parallel_threshold(threshold, || f.gradient_axis_with(axis, &opts)).unwrap();
                        assert!(
                            same_bits(&got, &reference),
                            "{name} {shape:?} {axis:?} threshold {threshold}"
                        );
                        let mut out = ArrayD::zeros(f.raw_dim().f());
                        with_parallel_threshold(threshold, || f.gradient_axis_into(axis, &opts, &mut out)).unwrap();
                        assert!(same_bits(&out, &reference), "into: {name} {shape:?} {axis:?}");
                    }
                }
            }
        }
    }
    // The Laplacian on every layout and thread split, and into a caller's array.
    for shape in [&[40][..], &[17, 23], &[9, 12, 20], &[3, 18, 2, 16]] {
        let base = smooth(shape);
        for (name, opts) in [2, 4, 8]
            .into_iter()
            .flat_map(|p| [accuracy_set(p, false), accuracy_set(p, true)])
        {
            let lap = match base.laplacian(&opts) {
                Ok(l) => l,
                Err(GradientError::AxisTooShort { .. }) => continue,
                Err(e) => panic!("{name}: {e}"),
            };
            for f in layouts(&base) {
                for threshold in [0, usize::MAX] {
                    let got = with_parallel_threshold(threshold, || f.laplacian(&opts)).unwrap();
                    assert!(
                        same_bits(&got, &lap),
                        "laplacian {name} {shape:?} threshold {threshold}"
                    );
                }
                let mut out = ArrayD::zeros(f.raw_dim().f());
                f.laplacian_into(&opts, &mut out).unwrap();
                assert!(same_bits(&out, &lap), "laplacian_into {name} {shape:?}");
            }
        }
    }
}

/// `gradient()` over several axes of a large contiguous array reads the input once for all
/// axes (the row engine), and so does a single-axis call along a middle axis in memory; each
/// result must still be the per-axis kernels' (the reference: the strided layout, which takes
/// them), bit for bit, on every layout and thread split, allocating, `_into` and stacked.
#[test]
fn all_axes_in_one_pass_equal_the_single_axis_calls() {
    fn check(name: &str, shape: &[usize], base: &ArrayD<f64>, opts: &GradientOptions<'_, f64>) {
        let strided = layouts(base).pop().expect("the stepped layout");
        assert!(
            strided.as_slice_memory_order().is_none(),
            "the reference takes the per-axis kernels"
        );
        let reference: Vec<ArrayD<f64>> = match (0..shape.len())
            .map(|k| strided.gradient_axis_with(Axis(k), opts))
            .collect()
        {
            Ok(r) => r,
            Err(GradientError::AxisTooShort { .. }) => return, // covered by the other shapes
            Err(e) => panic!("{name}: {e}"),
        };
        for (l, f) in layouts(base).into_iter().enumerate() {
            let thresholds: &[usize] = if l == 0 { &[0, usize::MAX] } else { &[usize::MAX] };
            for &threshold in thresholds {
                let all = with_parallel_threshold(threshold, || f.gradient_with(opts)).unwrap();
                for (k, (a, b)) in all.iter().zip(&reference).enumerate() {
                    assert!(
                        same_bits(a, b),
                        "{name} {shape:?} layout {l} axis {k} threshold {threshold}"
                    );
                }
                for (k, b) in reference.iter().enumerate() {
                    let a = with_parallel_threshold(threshold, || f.gradient_axis_with(Axis(k), opts)).unwrap();
                    assert!(
                        same_bits(&a, b),
                        "single axis: {name} {shape:?} layout {l} axis {k} threshold {threshold}"
                    );
                    let mut into = ArrayD::zeros(f.raw_dim());
                    if l == 1 {
                        into = into.reversed_axes().as_standard_layout().into_owned().reversed_axes();
                    }
                    with_parallel_threshold(threshold, || f.gradient_axis_into(Axis(k), opts, &mut into)).unwrap();
                    assert!(
                        same_bits(&into, b),
                        "single axis into: {name} {shape:?} layout {l} axis {k} threshold {threshold}"
                    );
                }
                let stacked = with_parallel_threshold(threshold, || f.gradient_stacked(opts)).unwrap();
                for (k, b) in reference.iter().enumerate() {
                    let a = stacked.index_axis(Axis(0), k).to_owned();
                    assert!(
                        same_bits(&a, b),
                        "stacked: {name} {shape:?} layout {l} axis {k} threshold {threshold}"
                    );
                }
            }
            let mut outs: Vec<ArrayD<f64>> = (0..shape.len()).map(|_| ArrayD::zeros(f.raw_dim())).collect();
            let mut refs: Vec<&mut ndarray::ArrayRef<f64, IxDyn>> = outs.iter_mut().map(|o| &mut **o).collect();
            f.gradient_into(opts, &mut refs).unwrap();
            for (k, (a, b)) in outs.iter().zip(&reference).enumerate() {
                assert!(same_bits(a, b), "into: {name} {shape:?} layout {l} axis {k}");
            }
        }
    }
    for shape in [&[130, 140][..], &[6, 40, 70], &[70, 6, 40]] {
        let base = smooth(shape);
        let coords: Vec<Array1<f64>> = shape.iter().enumerate().map(|(k, &n)| jittered(n, k as u64)).collect();
        let mut coordinates = GradientOptions::new().edge_order(EdgeOrder::Second);
        for (k, x) in coords.iter().enumerate() {
            coordinates = coordinates.coordinates(Axis(k), x);
        }
        let last = shape.len() - 1;
        let mixed = GradientOptions::new()
            .axis_accuracy(Axis(0), 6)
            .axis_derivative(Axis(0), 3)
            .periodic(Axis(0))
            .coordinates(Axis(last), &coords[last]);
        check("numpy", shape, &base, &GradientOptions::new());
        check(
            "numpy edge 2",
            shape,
            &base,
            &GradientOptions::new().edge_order(EdgeOrder::Second),
        );
        check("coordinates", shape, &base, &coordinates);
        check("mixed", shape, &base, &mixed);
        for (name, opts) in option_sets() {
            check(&name, shape, &base, &opts);
        }
    }
}

/// The row engine takes the rows of a plane in runs (one loop over several rows) where every
/// term along the second-to-last axis has the same taps at each: a plane of more points than
/// one run (200 × 90) ends runs inside the plane, coordinates along that axis (weights of
/// their own at every row) take the rows one at a time, and short rows (8 points) take the
/// row engine for the middle axis only (`gradient()` then computes each axis as its
/// single-axis call does). `gradient()`, the single-axis calls
/// along the middle axis and the Laplacian must still be the per-axis kernels', bit for bit.
#[test]
fn runs_of_rows_equal_the_single_axis_kernels() {
    for shape in [[10, 200, 90], [8, 500, 8]] {
        runs_of_rows_on(shape);
    }
}

fn runs_of_rows_on(shape: [usize; 3]) {
    let base = smooth(&shape);
    let strided = layouts(&base).pop().expect("the stepped layout");
    let x: Vec<Array1<f64>> = shape
        .iter()
        .enumerate()
        .map(|(k, &n)| jittered(n, k as u64 + 7))
        .collect();
    let sets = [
        ("numpy", GradientOptions::new()),
        (
            "p4 periodic",
            GradientOptions::new().accuracy(4).boundary(Boundary::Periodic),
        ),
        ("p2 m2", GradientOptions::new().derivative(2).spacing(0.3)),
        (
            "coordinates on the middle axis",
            GradientOptions::new().accuracy(4).coordinates(Axis(1), &x[1]),
        ),
    ];
    for (name, opts) in sets {
        let reference: Vec<ArrayD<f64>> = (0..3)
            .map(|k| strided.gradient_axis_with(Axis(k), &opts).unwrap())
            .collect();
        for threshold in [0, usize::MAX] {
            let all = with_parallel_threshold(threshold, || base.gradient_with(&opts)).unwrap();
            for (k, (a, b)) in all.iter().zip(&reference).enumerate() {
                assert!(same_bits(a, b), "{name} {shape:?} axis {k} threshold {threshold}");
            }
            let middle = with_parallel_threshold(threshold, || base.gradient_axis_with(Axis(1), &opts)).unwrap();
            assert!(
                same_bits(&middle, &reference[1]),
                "{name} {shape:?} middle axis threshold {threshold}"
            );
        }
        let second = |k: usize| {
            strided
                .gradient_axis_with(Axis(k), &opts.clone().axis_derivative(Axis(k), 2))
                .unwrap()
        };
        let expected = second(0) + second(1) + second(2);
        for threshold in [0, usize::MAX] {
            let lap = with_parallel_threshold(threshold, || base.laplacian(&opts)).unwrap();
            assert!(
                same_bits(&lap, &expected),
                "laplacian {name} {shape:?} threshold {threshold}"
            );
        }
    }
}

#[test]
fn static_dimensions_match_dynamic() {
    let f = smooth(&[14, 19]);
    let f2 = f.clone().into_dimensionality::<ndarray::Ix2>().unwrap();
    let opts = GradientOptions::new().accuracy(6).derivative(2);
    let a = f.laplacian(&opts).unwrap();
    let b = f2.laplacian(&opts).unwrap().into_dyn();
    assert!(same_bits(&a, &b));
}

#[test]
fn mixed_per_axis_settings_equal_separate_calls() {
    let f = smooth(&[16, 21, 12]);
    let x = jittered(21, 3);
    let opts = GradientOptions::new()
        .axis_accuracy(Axis(0), 6)
        .axis_derivative(Axis(0), 2)
        .coordinates(Axis(1), &x)
        .axis_accuracy(Axis(1), 4)
        .periodic(Axis(2))
        .axis_spacing(Axis(2), 0.25);
    let all = f.gradient_with(&opts).unwrap();
    let separate = [
        f.gradient_axis_with(Axis(0), &GradientOptions::new().accuracy(6).derivative(2))
            .unwrap(),
        f.gradient_axis_with(Axis(1), &GradientOptions::new().coordinates(Axis(1), &x).accuracy(4))
            .unwrap(),
        f.gradient_axis_with(Axis(2), &GradientOptions::new().periodic(Axis(2)).spacing(0.25))
            .unwrap(),
    ];
    for (k, (a, b)) in all.iter().zip(&separate).enumerate() {
        assert!(same_bits(a, b), "axis {k}");
    }
    // Stacked: the same components along a leading axis.
    let stacked = f.gradient_stacked(&opts).unwrap();
    for (k, b) in separate.iter().enumerate() {
        assert!(same_bits(&stacked.index_axis(Axis(0), k).to_owned(), b), "stacked {k}");
    }
}

#[test]
fn operators_equal_the_sum_of_their_derivatives() {
    let f = smooth(&[12, 15, 10]);
    let x = jittered(15, 7);
    let opts = GradientOptions::new()
        .axis_accuracy(Axis(0), 4)
        .coordinates(Axis(1), &x)
        .periodic(Axis(2))
        .axis_spacing(Axis(2), 0.5);
    let d2 = |k: usize| {
        f.gradient_axis_with(Axis(k), &opts.clone().axis_derivative(Axis(k), 2))
            .unwrap()
    };
    let expected = &(&d2(0) + &d2(1)) + &d2(2);
    assert!(same_bits(&f.laplacian(&opts).unwrap(), &expected));

    // Divergence of F = (f, 2f, -f): component c along axis c.
    let field = ndarray::stack(Axis(0), &[f.view(), (&f * 2.0).view(), (-&f).view()]).unwrap();
    let d1 = |k: usize, c: usize| field.index_axis(Axis(0), c).gradient_axis_with(Axis(k), &opts).unwrap();
    let expected = &(&d1(0, 0) + &d1(1, 1)) + &d1(2, 2);
    assert!(same_bits(&field.divergence(&opts).unwrap(), &expected));

    // Curl: (∂1F2 − ∂2F1, ∂2F0 − ∂0F2, ∂0F1 − ∂1F0).
    let curl = field.curl(&opts).unwrap();
    for (c, (i, j)) in [(1, 2), (2, 0), (0, 1)].into_iter().enumerate() {
        let expected = &d1(i, j) - &d1(j, i);
        assert!(
            same_bits(&curl.index_axis(Axis(0), c).to_owned(), &expected),
            "component {c}"
        );
    }
    let plane = field
        .slice(s![0..2, .., .., 0])
        .to_owned()
        .into_dimensionality::<ndarray::Ix3>()
        .unwrap();
    let opts = GradientOptions::new()
        .axis_accuracy(Axis(0), 4)
        .coordinates(Axis(1), &x);
    let w = plane.scalar_curl(&opts).unwrap();
    let g = |k: usize, c: usize| plane.index_axis(Axis(0), c).gradient_axis_with(Axis(k), &opts).unwrap();
    assert!(same_bits(&w, &(&g(0, 1) - &g(1, 0))));
}

/// Sums of two or three terms of one stencil width (a Laplacian, a divergence, a curl with the
/// same settings on every axis) take one loop per row, without row buffers; the ends of rows,
/// edge rows, periodic wraps, coordinates and subtraction must still give the sum of the
/// single-axis calls in term order, bit for bit, on both thread splits and on a strided layout
/// (which takes the general path).
///
/// Rows of a plane are taken in runs (one loop over several rows): the shapes include short
/// rows (9 points: many rows per run, the ends of every row inside the loop's span);
/// `runs_of_rows_equal_the_single_axis_kernels` has runs that end inside a plane.
#[test]
fn operators_in_one_loop_equal_the_sum_of_single_axis_calls() {
    for shape in [&[17usize, 23][..], &[9, 12, 20], &[12, 70, 66], &[12, 70, 9]] {
        let nd = shape.len();
        let f = smooth(shape);
        let coords: Vec<Array1<f64>> = (0..nd).map(|k| jittered(shape[k], k as u64 + 3)).collect();
        let mut sets = Vec::new();
        for p in [2, 4, 6, 8] {
            sets.push((format!("p{p}"), GradientOptions::new().accuracy(p).spacing(0.3)));
            sets.push((
                format!("p{p} periodic"),
                GradientOptions::new().accuracy(p).boundary(Boundary::Periodic),
            ));
            let mut on_coordinates = GradientOptions::new().accuracy(p);
            for (k, x) in coords.iter().enumerate() {
                on_coordinates = on_coordinates.coordinates(Axis(k), x);
            }
            sets.push((format!("p{p} coordinates"), on_coordinates));
        }
        let strided = |a: &ArrayD<f64>| {
            let big: Vec<usize> = a.shape().iter().map(|&n| 2 * n).collect();
            let mut b = ArrayD::zeros(IxDyn(&big));
            b.slice_each_axis_inplace(|_| Slice::new(0, None, 2));
            b.assign(a);
            b
        };
        for (name, opts) in sets {
            let d = |g: &ArrayD<f64>, k: usize, m: usize| {
                g.gradient_axis_with(Axis(k), &opts.clone().axis_derivative(Axis(k), m))
            };
            // Too short an axis for the widest stencils: the typed error, nothing to compare.
            let Ok(second) = (0..nd).map(|k| d(&f, k, 2)).collect::<Result<Vec<_>, _>>() else {
                continue;
            };
            let expected = second[1..].iter().fold(second[0].clone(), |acc, t| acc + t);
            for threshold in [0, usize::MAX] {
                for g in [f.clone(), strided(&f)] {
                    let lap = with_parallel_threshold(threshold, || g.laplacian(&opts)).unwrap();
                    assert!(same_bits(&lap, &expected), "laplacian {name} {shape:?} {threshold}");
                }
            }
            // A field whose components differ: component c is f scaled and shifted.
            let parts: Vec<ArrayD<f64>> = (0..nd).map(|c| &f * (c as f64 + 1.5) - c as f64).collect();
            let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
            let field = ndarray::stack(Axis(0), &views).unwrap();
            let d1 = |k: usize, c: usize| d(&parts[c], k, 1).unwrap();
            let expected = (1..nd).fold(d1(0, 0), |acc, c| acc + d1(c, c));
            for threshold in [0, usize::MAX] {
                let div = with_parallel_threshold(threshold, || field.divergence(&opts)).unwrap();
                assert!(same_bits(&div, &expected), "divergence {name} {shape:?} {threshold}");
            }
            match nd {
                2 => {
                    let w = field.scalar_curl(&opts).unwrap();
                    assert!(same_bits(&w, &(d1(0, 1) - d1(1, 0))), "scalar curl {name} {shape:?}");
                }
                _ => {
                    let curl = field.curl(&opts).unwrap();
                    for (c, (i, j)) in [(1, 2), (2, 0), (0, 1)].into_iter().enumerate() {
                        let expected = d1(i, j) - d1(j, i);
                        let got = curl.index_axis(Axis(0), c).to_owned();
                        assert!(same_bits(&got, &expected), "curl {c} {name} {shape:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn accuracy_two_is_numpys_second_order_edges() {
    let f = smooth(&[13, 9]);
    let x = jittered(13, 1);
    for base in [
        GradientOptions::new().spacing(0.7),
        GradientOptions::new().coordinates(Axis(0), &x),
    ] {
        let a = f.gradient_axis_with(Axis(0), &base.clone().accuracy(2)).unwrap();
        let b = f
            .gradient_axis_with(Axis(0), &base.clone().edge_order(EdgeOrder::Second))
            .unwrap();
        assert!(same_bits(&a, &b));
    }
}

/// Periodic first derivatives at the default accuracy are NumPy's gradient of the array padded
/// with one wrapped sample per side (and the coordinates extended by one period), bit for bit.
/// The padded call runs through the NumPy-exact path, held to NumPy's bits by the parity tests.
#[test]
fn periodic_is_numpy_on_the_wrapped_array() {
    let f = smooth(&[11, 7]).into_dimensionality::<Ix2>().unwrap();
    let n = 11;
    let padded = ndarray::concatenate(Axis(0), &[f.slice(s![n - 1.., ..]), f.view(), f.slice(s![..1, ..])]).unwrap();
    let h = 0.3;
    let numpy = padded
        .gradient_axis_with(Axis(0), &GradientOptions::new().spacing(h))
        .unwrap()
        .slice_axis(Axis(0), Slice::from(1..n + 1))
        .to_owned();
    let ours = f
        .gradient_axis_with(Axis(0), &GradientOptions::new().spacing(h).periodic(Axis(0)))
        .unwrap();
    assert!(same_bits(&ours, &numpy));

    let x = jittered(n, 5);
    let period = x[n - 1] - x[0] + 0.9;
    let xp = Array1::from_iter(
        std::iter::once(x[n - 1] - period)
            .chain(x.iter().copied())
            .chain(std::iter::once(x[0] + period)),
    );
    let numpy = padded
        .gradient_axis_with(Axis(0), &GradientOptions::new().coordinates(Axis(0), &xp))
        .unwrap()
        .slice_axis(Axis(0), Slice::from(1..n + 1))
        .to_owned();
    let opts = GradientOptions::new().coordinates(Axis(0), &x).period(Axis(0), period);
    assert!(same_bits(&f.gradient_axis_with(Axis(0), &opts).unwrap(), &numpy));
}

/// Polynomials of degree `< p + m` are differentiated exactly up to rounding. Bound: each
/// output is a sum of `W` products of weights (relative error ≤ a few ε) and samples, so the
/// error is at most `c · W · ε · Σ|w_j f_j|`; with samples up to `|f|max` and `Σ|w_j|` up to
/// `2^(2m+p)/h^m` for these stencils, `1e-9` relative to `|f|max / h^m` covers every case
/// here with a wide margin, while a wrong weight errs by O(1).
#[test]
fn polynomials_are_differentiated_exactly() {
    for m in 1..=4usize {
        for p in (2..=8).step_by(2) {
            let deg = (p + m - 1) as i32;
            let n = 3 * (p + m) + 4;
            let h = 0.5;
            for uniform in [true, false] {
                let x = if uniform {
                    Array1::from_iter((0..n).map(|i| i as f64 * h))
                } else {
                    jittered(n, (m * 10 + p) as u64).mapv(|v| v * h)
                };
                let poly = |t: f64, k: i32| t.powi(k);
                let f = x.mapv(|t| poly(t - 3.0, deg));
                let falling = |k: i32| (0..m as i32).map(|j| (k - j) as f64).product::<f64>();
                let exact = x.mapv(|t| falling(deg) * poly(t - 3.0, deg - m as i32));
                let opts = GradientOptions::new().accuracy(p).derivative(m);
                let opts = if uniform {
                    opts.spacing(h)
                } else {
                    opts.coordinates(Axis(0), &x)
                };
                let got = f.gradient_axis_with(Axis(0), &opts).unwrap();
                let fmax = f.iter().fold(0.0f64, |a, v| a.max(v.abs()));
                let hmin = if uniform { h } else { 0.7 * h };
                let bound = 1e-9 * fmax / hmin.powi(m as i32);
                for (i, (g, e)) in got.iter().zip(&exact).enumerate() {
                    assert!(
                        (g - e).abs() <= bound,
                        "m={m} p={p} uniform={uniform} point {i}: {g} vs {e} (bound {bound:e})"
                    );
                }
            }
        }
    }
}

/// The observed order of the error over a grid refinement, measured on the whole array
/// (edges included), for smooth functions on uniform, jittered and periodic grids: within ±0.3
/// of the accuracy order.
#[test]
fn convergence_order_is_the_accuracy_order() {
    type Fun = (&'static str, fn(f64, usize) -> f64);
    // f and its m-th derivative.
    let functions: [Fun; 3] = [
        ("sin", |t, m| (t + m as f64 * std::f64::consts::FRAC_PI_2).sin()),
        ("exp", |t, _| t.exp()),
        ("gauss", |t, m| {
            // d^m/dt^m exp(-t²/2) = (-1)^m He_m(t) exp(-t²/2), He the probabilists' Hermite.
            let (mut a, mut b) = (1.0, t);
            let he = match m {
                0 => 1.0,
                _ => {
                    for k in 1..m {
                        (a, b) = (b, t * b - k as f64 * a);
                    }
                    b
                }
            };
            (if m % 2 == 1 { -he } else { he }) * (-t * t / 2.0).exp()
        }),
    ];
    let mut report = Vec::new();
    let mut unmeasurable = Vec::new();
    // The orders f64 can resolve. On grids with ends, a one-sided stencil of high order only
    // reaches its asymptotic range where rounding (ε/hᵐ times weights that grow fast with the
    // width) already exceeds its error: for p + m ≥ 7 there is no window in double precision
    // (measured: the local order still falls from p + 2 when rounding takes over), so those
    // orders are checked by `leading_error_term_has_the_accuracy_order` on polynomials,
    // whose error has no higher-order terms. Periodic grids have no one-sided stencils and
    // are measured up to m + p = 11.
    let cases = [
        (1, 2),
        (2, 2),
        (3, 2),
        (4, 2),
        (1, 4),
        (2, 4),
        (1, 6),
        (2, 6),
        (3, 6),
        (1, 8),
        (2, 8),
        (3, 8),
    ];
    for (m, p) in cases {
        for (name, fun) in &functions {
            for grid in ["uniform", "jittered", "periodic"] {
                if grid == "periodic" && *name != "sin" {
                    continue; // only the sine is periodic
                }
                if grid != "periodic" && p + m > 6 {
                    continue; // no asymptotic window in f64 (see above)
                }
                let error = |n: usize| -> f64 {
                    let (a, b) = if grid == "periodic" {
                        (0.0, 2.0 * std::f64::consts::PI)
                    } else {
                        (-1.0, 1.0)
                    };
                    let len = b - a;
                    let x: Array1<f64> = match grid {
                        "uniform" => Array1::from_iter((0..n).map(|i| a + len * i as f64 / (n - 1) as f64)),
                        "periodic" => Array1::from_iter((0..n).map(|i| a + len * i as f64 / n as f64)),
                        _ => {
                            // A smoothly stretched grid with a jitter of ±10% of the step.
                            let h = 1.0 / (n - 1) as f64;
                            Array1::from_iter((0..n).map(|i| {
                                let j = if i == 0 || i == n - 1 {
                                    0.0
                                } else {
                                    0.1 * (i as f64 * 2.399).sin()
                                };
                                let xi = h * (i as f64 + j);
                                a + len * (xi + 0.15 * (std::f64::consts::PI * xi).sin())
                            }))
                        }
                    };
                    let scale = if *name == "gauss" { 1.0 } else { 2.0 }; // steep enough that an 8th-order error stays above rounding
                    let f = x.mapv(|t| fun(scale * t, 0));
                    let exact = x.mapv(|t| scale.powi(m as i32) * fun(scale * t, m));
                    let opts = GradientOptions::new().accuracy(p).derivative(m);
                    let opts = match grid {
                        "uniform" => opts.spacing(x[1] - x[0]),
                        "periodic" => opts.spacing(x[1] - x[0]).periodic(Axis(0)),
                        _ => opts.coordinates(Axis(0), &x),
                    };
                    let g = f.gradient_axis_with(Axis(0), &opts).unwrap();
                    g.iter().zip(&exact).fold(0.0f64, |e, (g, x)| e.max((g - x).abs()))
                };
                // The asymptotic range ends where rounding begins: sweep the grid size by
                // factors of 2^(1/4), keep the sizes whose error is at least 10² times the
                // rounding level ε·max|f|·Σ|w|/hᵐ (Σ|w| of the widest one-sided stencil),
                // and take the order over the finest factor-2 refinement among them (where
                // the pre-asymptotic terms have died out the most).
                let len = if grid == "periodic" {
                    2.0 * std::f64::consts::PI
                } else {
                    2.0
                };
                let c = ndarray_gradient::coefficients(m, p).unwrap();
                let spread: f64 = c.forward.weights.iter().map(|w| w.abs()).sum();
                let fmax = if *name == "exp" { 2f64.exp() } else { 1.0 };
                let mut kept: Vec<(f64, f64)> = Vec::new();
                let mut size = (2 * (p + m) + 2) as f64;
                while size < 20_000.0 {
                    let n = size as usize;
                    let h = len / n as f64;
                    let e = error(n);
                    if e < 1e2 * f64::EPSILON * fmax * spread / h.powi(m as i32) {
                        break; // finer grids only add rounding
                    }
                    kept.push((n as f64, e));
                    size *= 2f64.powf(0.25);
                }
                if kept.len() < 5 {
                    unmeasurable.push(format!("{name} {grid} m={m} p={p}"));
                    continue;
                }
                let ((n1, e1), (n2, e2)) = (kept[kept.len() - 5], kept[kept.len() - 1]);
                let order = (e1 / e2).ln() / (n2 / n1).ln();
                report.push(format!("{name} {grid} m={m} p={p}: {order:.2} ({e1:.1e} -> {e2:.1e})"));
                assert!(
                    (order - p as f64).abs() <= 0.3,
                    "{name} {grid} m={m} p={p}: order {order:.2} ({e1:e} -> {e2:e})"
                );
            }
        }
    }
    println!("{}", report.join("\n"));
    assert!(
        unmeasurable.is_empty(),
        "no asymptotic range above rounding: {unmeasurable:?}"
    );
}

/// The truncation error of a polynomial of degree `p + m` is its leading term alone, `C · hᵖ`
/// times a constant derivative, with no higher-order terms: halving `h` divides it by exactly
/// `2ᵖ` at every point, so the order measured on the whole array is `p` up to rounding, on
/// coarse grids where rounding is negligible. This checks every derivative order 1–4 and
/// accuracy order 2–8, including those whose smooth-function convergence f64 cannot resolve.
#[test]
fn leading_error_term_has_the_accuracy_order() {
    for m in 1..=4usize {
        for p in (2..=8).step_by(2) {
            let c = ndarray_gradient::coefficients(m, p).unwrap();
            let n1 = c.center.offsets.len() / 2 + c.forward.offsets.len() + 4;
            let error = |n: usize| -> f64 {
                let h = 2.0 / (n - 1) as f64;
                let x = Array1::from_iter((0..n).map(|i| -1.0 + h * i as f64));
                let deg = (p + m) as i32;
                let f = x.mapv(|t| (t - 0.3).powi(deg));
                let falling: f64 = (0..m as i32).map(|j| (deg - j) as f64).product();
                let exact = x.mapv(|t| falling * (t - 0.3).powi(deg - m as i32));
                let opts = GradientOptions::new().spacing(h).accuracy(p).derivative(m);
                let g = f.gradient_axis_with(Axis(0), &opts).unwrap();
                g.iter().zip(&exact).fold(0.0f64, |e, (g, x)| e.max((g - x).abs()))
            };
            let order = (error(n1) / error(2 * n1 - 1)).log2();
            assert!((order - p as f64).abs() <= 0.3, "m={m} p={p}: order {order:.3}");
        }
    }
}

#[test]
fn bad_orders_and_periods_are_typed_errors() {
    let f = smooth(&[10]);
    let call = |opts: GradientOptions<'_, f64>| f.gradient_axis_with(Axis(0), &opts).unwrap_err();
    assert_eq!(
        call(GradientOptions::new().accuracy(3)),
        GradientError::InvalidAccuracy { accuracy: 3 }
    );
    assert_eq!(
        call(GradientOptions::new().accuracy(0)),
        GradientError::InvalidAccuracy { accuracy: 0 }
    );
    assert_eq!(
        call(GradientOptions::new().accuracy(MAX_ACCURACY + 2)),
        GradientError::InvalidAccuracy {
            accuracy: MAX_ACCURACY + 2
        }
    );
    assert_eq!(
        call(GradientOptions::new().derivative(0)),
        GradientError::InvalidDerivative { derivative: 0 }
    );
    assert_eq!(
        call(GradientOptions::new().derivative(MAX_DERIVATIVE + 1)),
        GradientError::InvalidDerivative {
            derivative: MAX_DERIVATIVE + 1
        }
    );
    // Too short for the stencil: the message says how many points it needs.
    let err = call(GradientOptions::new().accuracy(8));
    assert_eq!(
        err,
        GradientError::AxisTooShort {
            axis: 0,
            len: 10,
            min: 12
        }
    );
    assert!(err.to_string().contains("at least 12"), "{err}");
    // Periodic coordinates need a period larger than their span.
    let x = jittered(10, 2);
    let span = x[9] - x[0];
    assert_eq!(
        call(GradientOptions::new().coordinates(Axis(0), &x).periodic(Axis(0))),
        GradientError::PeriodRequired { axis: 0 }
    );
    assert_eq!(
        call(GradientOptions::new().coordinates(Axis(0), &x).period(Axis(0), span)),
        GradientError::InvalidPeriod {
            axis: 0,
            period: span,
            span
        }
    );
    assert!(matches!(
        call(
            GradientOptions::new()
                .coordinates(Axis(0), &x)
                .period(Axis(0), f64::NAN)
        ),
        GradientError::InvalidPeriod { axis: 0, .. }
    ));
    // A setting for an axis the call does not differentiate is still checked.
    let g = smooth(&[10, 10]);
    assert_eq!(
        g.gradient_axis_with(Axis(0), &GradientOptions::new().axis_accuracy(Axis(1), 5))
            .unwrap_err(),
        GradientError::InvalidAccuracy { accuracy: 5 }
    );
    assert_eq!(
        g.gradient_axis_with(Axis(0), &GradientOptions::new().axis_accuracy(Axis(2), 4))
            .unwrap_err(),
        GradientError::AxisOutOfBounds { axis: 2, ndim: 2 }
    );
    // Vector fields of the wrong shape.
    let field = smooth(&[3, 6, 6]);
    assert_eq!(
        field.curl(&GradientOptions::new()).unwrap_err(),
        GradientError::FieldShape {
            components: 3,
            shape: vec![3, 6, 6]
        }
    );
    assert_eq!(
        field.divergence(&GradientOptions::new()).unwrap_err(),
        GradientError::FieldShape {
            components: 2,
            shape: vec![3, 6, 6]
        }
    );
    // Operators fix their derivative order: a different one in the options, also per axis
    // (found by the fuzz target), is refused rather than ignored; the same one is accepted.
    let q = ndarray::array![0.0, 1.0, 4.0, 9.0, 16.0, 25.0];
    for opts in [
        GradientOptions::new().derivative(0),
        GradientOptions::new().axis_derivative(Axis(0), 3),
        GradientOptions::new().derivative(1).axis_spacing(Axis(0), 1.0),
    ] {
        assert_eq!(
            q.laplacian(&opts).unwrap_err(),
            GradientError::ConflictingOptions {
                axis: 0,
                option: "derivative",
                with: "laplacian"
            }
        );
    }
    assert_eq!(
        q.laplacian(&GradientOptions::new().derivative(2)).unwrap(),
        ndarray::array![2.0, 2.0, 2.0, 2.0, 2.0, 2.0]
    );
    // Periodic axes of any length work, even a single point.
    let one = smooth(&[1]);
    let d = one
        .gradient_axis_with(Axis(0), &GradientOptions::new().periodic(Axis(0)).accuracy(4))
        .unwrap();
    assert_eq!(d[0], 0.0);
}

/// The README's claims about NaN in the data, as stated there: NumPy's call propagates it as
/// NumPy does (`[2, 5, NaN, 9, 12]` → `[3, NaN, 2, NaN, 3]`); zero weights (the centre of odd
/// derivatives) read nothing, so a NaN or infinity at a point does not reach that point's own
/// odd derivative on a uniform spacing, on coordinates whose steps are all equal, and inside a
/// periodic axis whose only other step is the wrap step; on uneven coordinates the point's own
/// result is NaN too. Each neighbour within the stencil's reach is NaN, every other point not.
#[test]
fn nan_in_the_data_goes_where_the_readme_says() {
    let [got] = ndarray::array![2.0, 5.0, f64::NAN, 9.0, 12.0].gradient().unwrap();
    let want = [3.0, f64::NAN, 2.0, f64::NAN, 3.0];
    assert!(got.iter().zip(want).all(|(g, w)| g.to_bits() == w.to_bits()), "{got}");

    let (n, bad) = (40, 20); // far enough from the ends that no edge stencil reads it
    let even = Array1::from_iter((0..n).map(|i| 1.0 + 0.25 * i as f64));
    let uneven = jittered(n, 3);
    for (m, p) in [(1, 4), (3, 2), (1, 8), (5, 2)] {
        let reach = ndarray_gradient::coefficients(m, p).unwrap().center.offsets.len() / 2;
        // On coordinates (findiff's layout) the centred stencil has 2⌊w/2⌋ + 1 points.
        let coordinate_reach = ndarray_gradient::coefficients(m, p).unwrap().forward.offsets.len() / 2;
        let base = GradientOptions::new().accuracy(p).derivative(m);
        let cases: Vec<(&str, GradientOptions<'_, f64>, usize, bool)> = vec![
            ("uniform", base.clone().spacing(0.25), reach, false),
            (
                "equal coordinates",
                base.clone().coordinates(Axis(0), &even),
                coordinate_reach,
                false,
            ),
            (
                "periodic, period not n·h",
                base.clone().spacing(0.25).period(Axis(0), 0.25 * n as f64 + 0.1),
                coordinate_reach,
                false,
            ),
            (
                "uneven coordinates",
                base.clone().coordinates(Axis(0), &uneven),
                coordinate_reach,
                true,
            ),
        ];
        for (name, opts, reach, own_nan) in cases {
            for poison in [f64::NAN, f64::INFINITY] {
                let mut f = uneven.mapv(|x| (0.3 * x).sin());
                f[bad] = poison;
                let g = f.gradient_axis_with(Axis(0), &opts).unwrap();
                for (i, v) in g.iter().enumerate() {
                    let near = i.abs_diff(bad) <= reach;
                    let expect_finite = !near || (i == bad && !own_nan);
                    assert_eq!(
                        v.is_finite(),
                        expect_finite,
                        "{name} m={m} p={p} {poison} at {bad}: point {i} is {v}"
                    );
                }
            }
        }
    }
}

/// The axis numbers in the options of `divergence`, `curl` and `scalar_curl` are spatial: the
/// component axis is not counted, so `Axis(0)` there is the field's array axis 1. The same
/// options given to `gradient_with` on the field count every axis: reused between the two, they
/// put each setting one axis off (issue 19, item 4).
#[test]
fn operator_axes_are_spatial_not_array_axes() {
    // F = (3x₀², 0) on a 5×4 grid: ∂₀F₀ = 6x₀ in grid units; with spacing 0.5 on spatial axis 0,
    // x₀ = 0.5·i and ∂₀F₀ = 3i.
    let field = Array::from_shape_fn(
        (2, 5, 4),
        |(c, i, _)| if c == 0 { 3.0 * (0.5 * i as f64).powi(2) } else { 0.0 },
    );
    let opts = GradientOptions::new().axis_spacing(Axis(0), 0.5).accuracy(2);
    let div = field.divergence(&opts).unwrap();
    let component0 = field.index_axis(Axis(0), 0);
    // Spatial axis 0 is array axis 1 of the field, axis 0 of a component: spacing 0.5 there.
    let along_array_axis_1 = component0.gradient_axis_with(Axis(0), &opts).unwrap();
    assert!(same_bits(&div, &along_array_axis_1));
    assert_eq!(div[[2, 1]], 6.0); // 3 · 2, exact for a quadratic at accuracy 2
    // Had the spacing gone to array axis 0 (the components), spatial axis 0 would have unit
    // spacing and the result would be half as large.
    let unit = component0
        .gradient_axis_with(Axis(0), &GradientOptions::new().accuracy(2))
        .unwrap();
    assert_eq!(unit[[2, 1]], 3.0);

    // gradient_with on the field counts the component axis: the same spacing option goes to
    // the component axis and leaves the first spatial axis (array axis 1) at unit spacing.
    let spaced = GradientOptions::new().axis_spacing(Axis(0), 0.5);
    let jacobian = field.gradient_with(&spaced).unwrap();
    let unit = component0.gradient_axis(Axis(0)).unwrap();
    assert_eq!(unit[[2, 1]], 3.0);
    assert!(same_bits(&jacobian[1].index_axis(Axis(0), 0).to_owned(), &unit));
    // ... while divergence with the same options differentiates spatial axis 0 with spacing 0.5.
    assert_eq!(field.divergence(&spaced).unwrap()[[2, 1]], 6.0);

    // A per-axis option naming spatial axis 2 does not exist for a field with 2 spatial axes.
    let err = field
        .divergence(&GradientOptions::new().axis_spacing(Axis(2), 0.5))
        .unwrap_err();
    assert_eq!(err, GradientError::AxisOutOfBounds { axis: 2, ndim: 2 });

    // The curl too: a period on spatial axis 1 applies to array axis 2.
    let field3 = Array::from_shape_fn((3, 4, 5, 6), |(c, i, j, k)| ((c + 1) * i + 2 * j * j + k) as f64);
    let opts = GradientOptions::new().periodic(Axis(1));
    let curl = field3.curl(&opts).unwrap();
    let d = |k: usize, c: usize| {
        field3
            .index_axis(Axis(0), c)
            .gradient_axis_with(Axis(k), &opts)
            .unwrap()
    };
    assert!(same_bits(
        &curl.index_axis(Axis(0), 0).to_owned(),
        &(&d(1, 2) - &d(2, 1))
    ));
}
