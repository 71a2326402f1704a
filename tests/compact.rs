//! Compact (Padé) schemes: findiff parity for the schemes and their application, exactness on
//! polynomials, convergence orders, the same bits on every layout and thread split, and errors.

use ndarray::{Array1, Array2, Array3, ArrayD, Axis, ShapeBuilder, s};
use ndarray_gradient::{
    Boundary, CompactScheme, EdgeOrder, GradientError, GradientOptions, MAX_COMPACT_ACCURACY, with_parallel_threshold,
};
use num_complex::Complex64;

use crate::fixture::Fixture;

/// The crate's scheme for findiff's `Diff(acc=acc, compact=lhs)**m`: findiff's second
/// derivative keeps the accuracy its first-derivative scheme reached.
fn findiff_scheme(m: usize, acc: usize, lhs: usize) -> CompactScheme {
    let first = CompactScheme::new(1, acc, lhs).unwrap();
    CompactScheme::new(m, first.accuracy(), lhs).unwrap()
}

/// findiff solves for its weights with `np.linalg.solve` in `f64`; the crate's are the exact
/// rationals rounded once. They agree to rounding: measured worst 1.2e-14 of the largest
/// weight (accuracy 10), tolerance 1e-12.
#[test]
fn findiff_compact_schemes() {
    let mut fx = Fixture::open("findiff_compact.npz");
    let cases = fx.cases("left");
    assert_eq!(cases.len(), 16);
    for case in cases {
        let parse = |k: &str| -> usize {
            let part = case.split('_').find(|p| p.starts_with(k)).unwrap();
            part[k.len()..].parse().unwrap()
        };
        let (m, acc, lhs) = (parse("m"), parse("acc"), parse("lhs"));
        let scheme = findiff_scheme(m, acc, lhs);
        assert_eq!(scheme.accuracy() as i64, fx.int(&format!("{case}__acc")), "{case}");
        for (key, ours) in [("left", scheme.lhs()), ("right", scheme.rhs())] {
            let theirs = fx.read::<f64>(&format!("{case}__{key}"));
            assert_eq!(theirs.len(), ours.weights.len(), "{case} {key}");
            let scale = ours.weights.iter().fold(0.0f64, |a, w| a.max(w.abs()));
            for (a, b) in ours.weights.iter().zip(&theirs) {
                let err = (a - b).abs() / scale;
                assert!(err < 1e-12, "{case} {key}: {a} vs {b}");
            }
        }
    }
}

/// The interior rows are Lele's (J. Comput. Phys. 103, 1992, eqs. 2.1.7–2.1.12 and
/// 2.2.7–2.2.10), the exact rationals rounded once: each weight equals the quotient of its
/// numerator and denominator in `f64` (a correctly rounded division) bit for bit. findiff's own
/// weights carry the rounding of a linear solve (`findiff_compact_schemes`), so these
/// rationals, not findiff's floats, are the exact reference.
#[test]
fn interior_rows_are_leles_rationals() {
    let r = |n: i64, d: i64| n as f64 / d as f64;
    // (derivative, accuracy, left-hand points): left-hand weights, right-hand weights (offsets
    // -p..=p, unit spacing).
    type Scheme = (usize, usize, usize);
    let cases: [(Scheme, Vec<f64>, Vec<f64>); 6] = [
        // α = 1/4, a = 3/2: f′ rows, (a/2)(f₊₁ − f₋₁)
        ((1, 4, 3), vec![r(1, 4), 1.0, r(1, 4)], vec![r(-3, 4), 0.0, r(3, 4)]),
        // α = 1/3, a = 14/9, b = 1/9: a/2 = 7/9, b/4 = 1/36
        (
            (1, 6, 3),
            vec![r(1, 3), 1.0, r(1, 3)],
            vec![r(-1, 36), r(-7, 9), 0.0, r(7, 9), r(1, 36)],
        ),
        // α = 4/9, β = 1/36, a = 40/27, b = 25/54: a/2 = 20/27, b/4 = 25/216
        (
            (1, 8, 5),
            vec![r(1, 36), r(4, 9), 1.0, r(4, 9), r(1, 36)],
            vec![r(-25, 216), r(-20, 27), 0.0, r(20, 27), r(25, 216)],
        ),
        // α = 1/2, β = 1/20, a = 17/12, b = 101/150, c = 1/100: a/2, b/4, c/6
        (
            (1, 10, 5),
            vec![r(1, 20), r(1, 2), 1.0, r(1, 2), r(1, 20)],
            vec![
                r(-1, 600),
                r(-101, 600),
                r(-17, 24),
                0.0,
                r(17, 24),
                r(101, 600),
                r(1, 600),
            ],
        ),
        // f″: α = 1/10, a = 6/5: a (f₊₁ − 2f₀ + f₋₁)
        (
            (2, 4, 3),
            vec![r(1, 10), 1.0, r(1, 10)],
            vec![r(6, 5), r(-12, 5), r(6, 5)],
        ),
        // α = 2/11, a = 12/11, b = 3/11: a (f₊₁ − 2f₀ + f₋₁) + (b/4)(f₊₂ − 2f₀ + f₋₂)
        (
            (2, 6, 3),
            vec![r(2, 11), 1.0, r(2, 11)],
            vec![r(3, 44), r(12, 11), r(-51, 22), r(12, 11), r(3, 44)],
        ),
    ];
    for ((m, acc, lhs), left, right) in cases {
        let scheme = CompactScheme::new(m, acc, lhs).unwrap();
        assert_eq!(scheme.accuracy(), acc, "m {m} acc {acc}");
        for (name, ours, exact) in [("left", scheme.lhs(), &left), ("right", scheme.rhs(), &right)] {
            let p = (exact.len() / 2) as isize;
            assert_eq!(ours.offsets, (-p..=p).collect::<Vec<_>>(), "m {m} acc {acc} {name}");
            let bits = |w: &[f64]| w.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&ours.weights),
                bits(exact),
                "m {m} acc {acc} {name}: {:?}",
                ours.weights
            );
        }
    }
}

/// findiff's `Diff(axis, h, acc, compact, periodic)**m` on smooth data with a random part, the
/// boundary rows included. findiff's weights carry the rounding of its `np.linalg.solve`
/// (interior: 1.2e-14 of the largest weight, above; its one-sided rows solve Vandermonde
/// systems of up to 11 points, less accurately), and both solve the same diagonally dominant
/// system, so the results agree to a small multiple of that, relative to max|f| / hᵐ: measured
/// worst 2.1e-12 (accuracy 8 with five left-hand points, the widest one-sided rows); the
/// tolerance 1e-10 leaves a factor of 50.
#[test]
fn findiff_compact_apply() {
    let mut fx = Fixture::open("findiff_compact.npz");
    let cases = fx.cases("df");
    assert_eq!(cases.len(), 12);
    for case in cases {
        let f: ArrayD<f64> = fx.read(&format!("{case}__f"));
        let expected: ArrayD<f64> = fx.read(&format!("{case}__df"));
        let axis = Axis(fx.int(&format!("{case}__axis")) as usize);
        let h = fx.float(&format!("{case}__h"));
        let m = fx.int(&format!("{case}__m")) as usize;
        let acc = fx.int(&format!("{case}__acc")) as usize;
        let lhs = fx.int(&format!("{case}__lhs")) as usize;
        let mut opts = GradientOptions::new().spacing(h);
        if fx.int(&format!("{case}__periodic")) == 1 {
            opts = opts.axis_boundary(axis, Boundary::Periodic);
        }
        let got = findiff_scheme(m, acc, lhs).apply(&f, axis, &opts).unwrap();
        let scale = f.iter().fold(0.0f64, |a, v| a.max(v.abs())) / h.powi(m as i32);
        let worst = got
            .iter()
            .zip(&expected)
            .fold(0.0f64, |a, (g, e)| a.max((g - e).abs() / scale));
        assert!(worst < 1e-10, "{case}: worst {worst:e}");
    }
}

/// Every row, the one-sided ones near the ends included, is exact for polynomials of degree
/// below `m + accuracy`: the derivative of such a polynomial comes out to rounding.
#[test]
fn polynomials_are_differentiated_exactly() {
    for m in 1..=2 {
        for lhs in [3, 5] {
            for acc in [4, 6, 8] {
                let scheme = CompactScheme::new(m, acc, lhs).unwrap();
                let degree = (m + scheme.accuracy() - 1) as i32;
                let n = scheme.min_len() + 5;
                let h = 1.0 / n as f64;
                let x = Array1::from_shape_fn(n, |i| i as f64 * h);
                let f = x.mapv(|x| x.powi(degree) - 0.5 * x.powi(degree - 1));
                let d =
                    |x: f64, k: i32, p: i32| -> f64 { (0..k).map(|j| (p - j) as f64).product::<f64>() * x.powi(p - k) };
                let exact = x.mapv(|x| d(x, m as i32, degree) - 0.5 * d(x, m as i32, degree - 1));
                let got = scheme.apply(&f, Axis(0), &GradientOptions::new().spacing(h)).unwrap();
                let scale = exact.iter().fold(1.0f64, |a, v| a.max(v.abs()));
                for (i, (g, e)) in got.iter().zip(&exact).enumerate() {
                    assert!(
                        (g - e).abs() < 1e-7 * scale,
                        "m {m} lhs {lhs} acc {acc} point {i}: {g} vs {e}"
                    );
                }
            }
        }
    }
}

/// The error falls as hᵖ: halving the step divides it by about 2ᵖ (sin on a non-periodic
/// axis, boundary rows included; the observed order within 0.5 of the scheme's).
#[test]
fn convergence_orders() {
    for (m, acc, lhs) in [(1, 4, 3), (1, 6, 3), (2, 4, 3), (1, 8, 5), (2, 6, 5)] {
        let scheme = CompactScheme::new(m, acc, lhs).unwrap();
        let error = |n: usize| {
            let h = 2.0 / (n - 1) as f64;
            let f = Array1::from_shape_fn(n, |i| (1.5 * i as f64 * h).sin());
            let exact = Array1::from_shape_fn(n, |i| {
                let x = 1.5 * i as f64 * h;
                if m == 1 { 1.5 * x.cos() } else { -2.25 * x.sin() }
            });
            let got = scheme.apply(&f, Axis(0), &GradientOptions::new().spacing(h)).unwrap();
            got.iter().zip(&exact).fold(0.0f64, |a, (g, e)| a.max((g - e).abs()))
        };
        let order = (error(21) / error(41)).log2();
        assert!(
            (order - scheme.accuracy() as f64).abs() < 0.5 || order > scheme.accuracy() as f64,
            "m {m} acc {acc} lhs {lhs}: order {order}"
        );
    }
}

/// A compact derivative beats the explicit stencil of the same right-hand width: Lele's
/// fourth-order tridiagonal scheme on a 3-point right-hand side has a smaller error than the
/// explicit accuracy-2 stencil on the same points, and the sixth-order one than explicit
/// accuracy 4 (both periodic, a short wave of 8 points per wavelength).
#[test]
fn compact_schemes_resolve_short_waves_better() {
    let n = 64;
    let h = 1.0;
    let k = std::f64::consts::TAU / 8.0;
    let f = Array1::from_shape_fn(n, |i| (k * i as f64).sin());
    let exact = Array1::from_shape_fn(n, |i| k * (k * i as f64).cos());
    let err = |d: &Array1<f64>| d.iter().zip(&exact).fold(0.0f64, |a, (g, e)| a.max((g - e).abs()));
    let opts = GradientOptions::new().spacing(h).periodic_all();
    for (compact_acc, explicit_acc) in [(4, 2), (6, 4)] {
        use ndarray_gradient::ArrayGradientExt;
        let c = CompactScheme::new(1, compact_acc, 3)
            .unwrap()
            .apply(&f, Axis(0), &opts)
            .unwrap();
        let e = f
            .gradient_axis_with(Axis(0), &opts.clone().accuracy(explicit_acc))
            .unwrap();
        assert!(err(&c) < 0.5 * err(&e), "compact {} vs explicit {}", err(&c), err(&e));
    }
}

/// The same bits on every layout (C, Fortran, a transposed view, a strided slice), every
/// thread split, into a fresh array or an existing one, and for complex elements part by part.
#[test]
fn same_bits_on_every_layout_and_split() {
    let shape = (37, 29, 33);
    let f = Array3::from_shape_fn(shape, |(i, j, k)| {
        ((i * 7 + j * 3 + k) as f64 * 0.37).sin() + (i * j) as f64 * 1e-3
    });
    let fortran = {
        let mut a = Array3::zeros(shape.f());
        a.assign(&f);
        a
    };
    let big = Array3::from_shape_fn((74, 29, 66), |(i, j, k)| {
        if i % 2 == 0 && k % 2 == 0 {
            f[[i / 2, j, k / 2]]
        } else {
            f64::NAN
        }
    });
    let strided = big.slice(s![..;2, .., ..;2]);
    for (m, acc, lhs) in [(1, 6, 3), (2, 4, 5)] {
        let scheme = CompactScheme::new(m, acc, lhs).unwrap();
        for periodic in [false, true] {
            let mut opts = GradientOptions::new().spacing(0.25);
            if periodic {
                opts = opts.periodic_all();
            }
            for axis in 0..3 {
                let reference = with_parallel_threshold(usize::MAX, || scheme.apply(&f, Axis(axis), &opts)).unwrap();
                let split = with_parallel_threshold(0, || scheme.apply(&f, Axis(axis), &opts)).unwrap();
                assert_eq!(split, reference);
                assert_eq!(scheme.apply(&fortran, Axis(axis), &opts).unwrap(), reference);
                assert_eq!(scheme.apply(&strided, Axis(axis), &opts).unwrap(), reference);
                let t = f.view().reversed_axes();
                let tr = scheme.apply(&t, Axis(2 - axis), &opts).unwrap();
                assert_eq!(tr.reversed_axes(), reference);
                let mut out = Array3::from_elem(shape.f(), f64::NAN);
                scheme.apply_into(&f, Axis(axis), &opts, &mut out).unwrap();
                assert_eq!(out, reference);
                // Complex elements: the real and imaginary parts are solved by the same steps.
                let fc = f.mapv(|v| Complex64::new(v, -2.0 * v));
                let dc = scheme.apply(&fc, Axis(axis), &opts).unwrap();
                assert_eq!(dc.mapv(|c| c.re), reference);
                assert_eq!(
                    dc.mapv(|c| c.im),
                    scheme.apply(&f.mapv(|v| -2.0 * v), Axis(axis), &opts).unwrap()
                );
            }
        }
    }
}

/// A period of `n · h` is the same uniform periodic grid as `Boundary::Periodic`.
#[test]
fn a_period_of_n_steps_is_periodic() {
    let n = 40;
    let h = std::f64::consts::TAU / n as f64;
    let f = Array2::from_shape_fn((3, n), |(i, j)| ((i + 1) as f64 * j as f64 * h).cos());
    let scheme = CompactScheme::new(1, 4, 3).unwrap();
    let periodic = GradientOptions::new()
        .spacing(h)
        .axis_boundary(Axis(1), Boundary::Periodic);
    let period = GradientOptions::new().spacing(h).period(Axis(1), std::f64::consts::TAU);
    assert_eq!(
        scheme.apply(&f, Axis(1), &period).unwrap(),
        scheme.apply(&f, Axis(1), &periodic).unwrap()
    );
    let other = GradientOptions::new().spacing(h).period(Axis(1), 7.0);
    assert_eq!(
        scheme.apply(&f, Axis(1), &other),
        Err(GradientError::ConflictingOptions {
            axis: 1,
            option: "period",
            with: "compact"
        })
    );
}

/// Every bad argument is a typed error, never a panic, and `apply_into` leaves `out` alone.
#[test]
fn bad_arguments_are_refused() {
    for (m, acc, lhs) in [
        (0, 4, 3),
        (3, 4, 3),
        (1, 3, 3),
        (1, 0, 3),
        (1, MAX_COMPACT_ACCURACY + 2, 3),
        (1, 4, 4),
        (1, 4, 1),
        (1, 4, 7),
    ] {
        assert_eq!(
            CompactScheme::new(m, acc, lhs),
            Err(GradientError::InvalidCompactScheme {
                derivative: m,
                accuracy: acc,
                lhs_points: lhs
            })
        );
    }
    let scheme = CompactScheme::new(1, 4, 3).unwrap();
    let f = Array2::<f64>::ones((8, 4));
    let plain = GradientOptions::new();
    assert_eq!(
        scheme.apply(&f, Axis(2), &plain),
        Err(GradientError::AxisOutOfBounds { axis: 2, ndim: 2 })
    );
    assert_eq!(
        scheme.apply(&f, Axis(1), &plain),
        Err(GradientError::AxisTooShort {
            axis: 1,
            len: 4,
            min: 5
        })
    );
    let short = Array2::<f64>::ones((8, 2));
    assert_eq!(
        scheme.apply(&short, Axis(1), &plain.clone().periodic_all()),
        Err(GradientError::AxisTooShort {
            axis: 1,
            len: 2,
            min: 3
        })
    );
    assert_eq!(
        scheme.apply(&ndarray::arr0(1.0), Axis(0), &plain),
        Err(GradientError::ZeroDimensional)
    );
    let x = Array1::linspace(0.0, 1.0, 8);
    let conflicts: Vec<(GradientOptions<'_, f64>, &str)> = vec![
        (plain.clone().accuracy(4), "accuracy"),
        (plain.clone().derivative(2), "derivative"),
        (plain.clone().edge_order(EdgeOrder::Second), "edge_order"),
        (plain.clone().coordinates(Axis(0), &x), "coordinates"),
        (plain.clone().axes([Axis(0)]), "axes"),
    ];
    for (opts, option) in conflicts {
        let err = scheme.apply(&f, Axis(0), &opts).unwrap_err();
        assert_eq!(
            err,
            GradientError::ConflictingOptions {
                axis: 0,
                option,
                with: "compact"
            }
        );
        assert!(err.to_string().contains("compact"), "{err}");
    }
    for h in [0.0, f64::NAN, f64::INFINITY, 1e-200] {
        let opts = GradientOptions::new().spacing(h);
        let err = CompactScheme::new(2, 4, 3)
            .unwrap()
            .apply(&f, Axis(0), &opts)
            .unwrap_err();
        assert!(
            matches!(err, GradientError::InvalidSpacing { axis: 0, .. }),
            "{h}: {err}"
        );
    }
    let mut out = Array2::from_elem((8, 5), 7.0);
    assert!(matches!(
        scheme.apply_into(&f, Axis(0), &plain, &mut out),
        Err(GradientError::OutputShape { .. })
    ));
    assert!(out.iter().all(|&v| v == 7.0));
    let message = CompactScheme::new(1, 4, 4).unwrap_err().to_string();
    assert!(message.contains("3 or 5 left-hand points"), "{message}");
}
