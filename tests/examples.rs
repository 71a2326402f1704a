//! The examples' computations at small sizes, with their numbers asserted, and every picture
//! they draw: written, decoded, of the expected size, under 400 KB, not blank.
//!
//! Each example file is compiled here as a module (its `main` unused), so these tests run the
//! very functions the examples run.
// Each example declares `mod common;`, so the plot set-up is compiled once per example module.
#![allow(clippy::duplicate_mod)]

use std::path::{Path, PathBuf};

use ndarray::Array1;
use ndarray_gradient::EdgeOrder;

#[allow(dead_code)]
#[path = "../examples/edge_order_study.rs"]
mod edge_order_study;
#[cfg(feature = "sparse")]
#[allow(dead_code)]
#[path = "../examples/eigenvalues.rs"]
mod eigenvalues;
#[allow(dead_code)]
#[path = "../examples/gradient_descent.rs"]
mod gradient_descent;
#[allow(dead_code)]
#[path = "../examples/gravity_anomaly.rs"]
mod gravity_anomaly;
#[allow(dead_code)]
#[path = "../examples/heat_equation.rs"]
mod heat_equation;
#[allow(dead_code)]
#[path = "../examples/image_edges.rs"]
mod image_edges;
#[cfg(feature = "sparse")]
#[allow(dead_code)]
#[path = "../examples/poisson.rs"]
mod poisson;
#[allow(dead_code)]
#[path = "../examples/projectile.rs"]
mod projectile;
#[allow(dead_code)]
#[path = "../examples/terrain_slope.rs"]
mod terrain_slope;
#[cfg(feature = "zarr")]
#[allow(dead_code)]
#[path = "../examples/zarr_gradient.rs"]
mod zarr_gradient;

/// Where the tests draw: a folder of their own, so they never overwrite the examples' output.
fn out(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("examples-test-out");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The PNG at `path` decodes, is `width × height`, is under 400 KB, and shows more than a few
/// colours (something was drawn).
fn assert_picture(path: &Path, (width, height): (u32, u32)) {
    let bytes = std::fs::metadata(path).unwrap().len();
    assert!(bytes < 400_000, "{} is {bytes} bytes", path.display());
    let img = image::open(path).unwrap_or_else(|e| panic!("{} does not decode: {e}", path.display()));
    assert_eq!((img.width(), img.height()), (width, height), "{}", path.display());
    let rgb = img.to_rgb8();
    let mut colours: Vec<[u8; 3]> = rgb.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        colours.len() > 50,
        "{} has only {} colours",
        path.display(),
        colours.len()
    );
}

#[test]
fn projectile_velocity_and_acceleration_errors() {
    use projectile::{Method, errors, estimate, exact, flight_time, study, timestamps, track};
    // The closed form is consistent: lands at y = 0, and the acceleration is -g ŷ - k v.
    let end = flight_time();
    assert!(exact(end).pos.1.abs() < 1e-9 && end > 5.0);
    let t = timestamps(20);
    assert!(
        t.windows(2).into_iter().all(|w| w[1] > w[0]),
        "timestamps not increasing"
    );
    let steps: Vec<f64> = t.windows(2).into_iter().map(|w| w[1] - w[0]).collect();
    let (lo, hi) = steps
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(l, h), &s| (l.min(s), h.max(s)));
    assert!(hi > 1.5 * lo, "timestamps are not uneven: {lo}..{hi}");

    let tr = track(20);
    let rows = study(&tr);
    let (o1, o2, even) = (rows[0].1, rows[1].1, rows[4].1);
    assert!(
        o1.ends > 5.0 * o2.ends,
        "edge order 2 ends {} vs order 1 {}",
        o2.ends,
        o1.ends
    );
    assert!(o2.ends < 3.0 * o2.interior);
    assert_eq!(o1.interior, o2.interior);
    assert!(even.interior > 20.0 * o2.interior);
    assert!(o2.interior < 0.2, "velocity error {} m/s", o2.interior);
    // Second order on uneven times: twice as dense, about 4× smaller.
    let dense = study(&track(39))[1].1;
    let ratio = o2.interior / dense.interior;
    assert!(ratio > 3.0 && ratio < 5.5, "ratio {ratio}");
    // Acceleration with edge order 2 is far better at the ends than with edge order 1.
    let (_, a1) = estimate(&tr, Method::Timestamps(EdgeOrder::First));
    let (_, a2) = estimate(&tr, Method::Timestamps(EdgeOrder::Second));
    assert!(errors(&a1, &tr.acc).ends > 5.0 * errors(&a2, &tr.acc).ends);
    // Accuracy orders on the uneven timestamps (`.coordinates(Axis(0), &t).accuracy(p)`).
    assert_eq!(rows[2].0, Method::Accuracy(4));
    assert_eq!(rows[3].0, Method::Accuracy(6));
    let (v4, a4, v6, a6) = (rows[2].1, rows[2].2, rows[3].1, rows[3].2);
    let a2 = rows[1].2;
    // Measured at 20 fixes (largest error over all fixes): velocity 0.163 m/s (edge order 2),
    // 3.45e-4 (accuracy 4, 473× smaller), 8.95e-7 (accuracy 6, 385× smaller again);
    // acceleration 0.842 m/s², 2.76e-3 (305×), 8.56e-6 (322×).
    assert!(
        v4.max() * 100.0 < o2.max() && a4.max() * 100.0 < a2.max(),
        "accuracy 4 {v4:?} {a4:?} against edge order 2 {o2:?} {a2:?}"
    );
    assert!(
        v6.max() * 100.0 < v4.max() && a6.max() * 100.0 < a4.max(),
        "accuracy 6 {v6:?} {a6:?} against accuracy 4 {v4:?} {a4:?}"
    );
    // Orders 4 and 6 on the uneven times: twice as dense, 15.2× and 59.0× smaller (16, 64).
    let dense = study(&track(39));
    let (r4, r6) = (v4.max() / dense[2].1.max(), v6.max() / dense[3].1.max());
    assert!(r4 > 12.0 && r4 < 20.0, "accuracy 4 ratio {r4}");
    assert!(r6 > 45.0 && r6 < 80.0, "accuracy 6 ratio {r6}");

    let path = out("projectile.png");
    projectile::render(&tr, &path).unwrap();
    assert_picture(&path, (1400, 940));
}

#[test]
fn image_edges_on_the_photograph_and_a_tilted_edge() {
    let img = image_edges::load(image_edges::PHOTO).unwrap();
    assert_eq!(img.dim(), (256, 256));
    let e = image_edges::edges(&img);
    assert_eq!(image_edges::check_photo(&img, &e), 254 * 254);
    // A photograph has strong edges and mostly smooth areas.
    let median = image_edges::quantile(&e.magnitude, 0.5);
    let top = image_edges::quantile(&e.magnitude, 0.99);
    assert!(
        top > 10.0 * median && top > 50.0,
        "median {median}, 99th percentile {top}"
    );
    for angle in [-170.0, -90.0, -20.0, 45.0, 135.0] {
        let err = image_edges::orientation_error(&image_edges::edges(&image_edges::tilted_edge(48, angle)), angle);
        assert!(err < 2.0, "orientation off by {err} deg at {angle} deg");
    }
    // The check would notice a wrong orientation.
    let flipped = image_edges::orientation_error(&image_edges::edges(&image_edges::tilted_edge(48, 45.0)), -135.0);
    assert!(flipped > 170.0);

    let path = out("image_edges.png");
    image_edges::render(&img, &e, &path).unwrap();
    assert_picture(&path, (3 * (256 + 232), 356));
}

#[test]
fn gravity_gradient_peaks_over_the_block_edges() {
    use gravity_anomaly::{BODY, gradient_error, peaks, survey};
    // Far away the block attracts like a point mass: g_z = G M z / r³.
    let (cx, cy, cz) = (4.0, 3.0, (BODY.z.0 + BODY.z.1) / 2.0);
    let far = 40.0; // km
    let r = (far * far + cz * cz).sqrt() * 1e3;
    let point = 6.674_30e-11 * BODY.mass() * cz * 1e3 / r.powi(3) / 1e-5;
    let prism = BODY.gz(cx + far, cy);
    assert!(
        (prism / point - 1.0).abs() < 1e-3,
        "prism {prism} vs point mass {point} mGal"
    );

    let s = survey(97, 49); // dx = 83.3 m, dy = 125 m: the edges fall between samples
    let (dx, dy) = (s.x[1] - s.x[0], s.y[1] - s.y[0]);
    assert!((dx - 8.0 / 96.0).abs() < 1e-12 && (dy - 0.125).abs() < 1e-12);
    let p = peaks(&s);
    for (found, edge, step) in [
        (p.x.0, BODY.x.0, dx),
        (p.x.1, BODY.x.1, dx),
        (p.y.0, BODY.y.0, dy),
        (p.y.1, BODY.y.1, dy),
    ] {
        assert!(
            (found - edge).abs() < step / 2.0,
            "peak at {found} km, edge at {edge} km"
        );
        assert!(
            (found - edge).abs() > 1e-6,
            "the refined peak landed exactly on the edge: not refined?"
        );
    }
    // The peaks lie just outside the block (west of the west edge, east of the east edge...).
    assert!(
        p.x.0 < BODY.x.0 && p.x.1 > BODY.x.1 && p.y.0 < BODY.y.0 && p.y.1 > BODY.y.1,
        "{p:?}"
    );
    // Second order with different spacings per axis: halving both steps cuts the error ~4×.
    let (coarse, fine) = (gradient_error(&s), gradient_error(&survey(193, 97)));
    assert!(
        coarse / fine > 3.0 && coarse / fine < 5.0,
        "error ratio {}",
        coarse / fine
    );
    assert!(fine < 0.02);

    let path = out("gravity_anomaly.png");
    gravity_anomaly::render(&s, &p, &path).unwrap();
    assert_picture(&path, (1400, 900));
}

#[test]
fn terrain_slope_is_second_order_on_the_stretched_grid() {
    use terrain_slope::{errors, sample};
    let (coarse, fine) = (sample(61, 46), sample(121, 91));
    let spacing = |c: &Array1<f64>| {
        let d: Vec<f64> = c.windows(2).into_iter().map(|w| w[1] - w[0]).collect();
        d.iter().fold(0.0f64, |a, &b| a.max(b)) / d.iter().fold(f64::INFINITY, |a, &b| a.min(b))
    };
    assert!(
        spacing(&fine.x) > 2.0 && spacing(&fine.y) > 1.4,
        "the grid is not stretched"
    );
    let ((e1, _, _), (e2, s2, a2)) = (errors(&coarse), errors(&fine));
    assert!(e1 / e2 > 3.5 && e1 / e2 < 4.5, "ratio {}", e1 / e2);
    assert!(s2 < 0.5 && a2 < 3.0, "slope error {s2} deg, aspect error {a2} deg");
    let steepest = terrain_slope::max_slope(&fine);
    assert!(steepest > 15.0 && steepest < 30.0, "steepest slope {steepest} deg");

    let path = out("terrain_slope.png");
    terrain_slope::render(&fine, &path).unwrap();
    assert_picture(&path, (1520, 1000));
}

#[test]
fn gradient_descent_numbers() {
    use gradient_descent::{Sampled, descent_miss, interior_errors};
    let fine = Sampled::new(401, 321);
    let e = interior_errors(&fine);
    assert!(
        (e.dfdx - e.predicted).abs() < 1e-9 && e.residual < 1e-9 && e.dfdy < 1e-9,
        "{e:?}"
    );
    assert!(
        e.predicted > 1e-3,
        "the predicted error is not tiny: the check means something"
    );
    let coarse = Sampled::new(201, 161);
    let ((_, miss_c), (end, miss_f)) = (descent_miss(&coarse), descent_miss(&fine));
    assert!(miss_f < 0.1 && end.0 > 0.9, "ended at {end:?}");
    assert!(
        miss_c / miss_f > 3.0,
        "end point not converging as O(h²): {miss_c} / {miss_f}"
    );

    let path = out("gradient_descent.png");
    gradient_descent::render(&fine, &path).unwrap();
    assert_picture(&path, (900, 760));
}

#[test]
fn heat_equation_decay_and_conservation() {
    use heat_equation::{Grid, hot_spots, mode_decay};
    let grid = Grid { n: 32 };
    let d = mode_decay(grid, (2.0, 1.0), 0.01);
    assert!((d.measured - d.discrete).abs() < 1e-9 * d.discrete, "{d:?}");
    assert!((d.measured - d.analytic).abs() < 0.03 * d.analytic, "{d:?}");
    // The error against the analytic rate is O(h²): 4× smaller on a grid twice as fine.
    let d2 = mode_decay(Grid { n: 64 }, (2.0, 1.0), 0.01);
    let ratio = (d.measured - d.analytic).abs() / (d2.measured - d2.analytic).abs();
    assert!(ratio > 3.5 && ratio < 4.5, "ratio {ratio}");

    let spots = hot_spots(grid, &[0.0, 0.0005, 0.003]);
    let (h0, h1) = spots.heat;
    assert!((h1 - h0).abs() < 1e-12 * h0, "heat {h0} -> {h1}");
    let peak = |k: usize| spots.frames[k].1.fold(0.0f64, |a, &b| a.max(b));
    assert!(peak(2) < peak(1) && peak(1) < peak(0), "the peaks do not decay");

    let path = out("heat_equation.png");
    heat_equation::render(&spots, &path).unwrap();
    assert_picture(&path, (1620, 450));
}

#[test]
fn edge_order_study_orders() {
    use edge_order_study::{Grid, SCHEMES, Scheme, check_orders, measure, observed_orders, sizes, table};
    assert_eq!(sizes(2), vec![10, 18, 32, 56, 100]);
    let mut all = vec![];
    for grid in [Grid::Even, Grid::Stretched] {
        // Quarter decades 10 … 10⁴ (the example goes to 10⁵); `measure` itself asserts that the
        // interior does not depend on the edge order and that accuracy 2 is edge order 2 bit
        // for bit.
        let rows: Vec<_> = sizes(4).into_iter().map(|n| measure(grid, n, false)).collect();
        check_orders(grid, &rows).unwrap();
        let fits = observed_orders(grid, &rows);
        // Settled orders, within ±0.3 of the theory (measured, both grids: 1.00, 2.01, 2.00;
        // accuracy 4: 4.00 / 4.00 even, 3.90 / 3.91 stretched; accuracy 6 interior 5.99).
        let mut settled = vec![
            (0, 0, 1.0),
            (1, 0, 2.0),
            (0, 1, 2.0),
            (1, 1, 2.0),
            (2, 0, 4.0),
            (2, 1, 4.0),
            (3, 1, 6.0),
        ];
        if grid == Grid::Even {
            settled.push((3, 0, 6.0)); // 6.27 over N = 100…562
        }
        for (k, part, p) in settled {
            let fit = fits[k][part].unwrap_or_else(|| panic!("{grid:?} {:?}: no order", SCHEMES[k]));
            assert!(
                fit.settled() && fit.points >= 3 && (fit.order - p).abs() < 0.3,
                "{grid:?} {:?} part {part}: {fit:?}, expected {p}",
                SCHEMES[k]
            );
        }
        // Accuracy 8 reaches rounding before its order settles (even: 2 usable sizes; the
        // stretched grid's edges: local order 7.2 → 7.7, checked above to stay above 7), but
        // at N = 100 its interior is far below accuracy 6's (measured 84× even, 60× stretched).
        assert_eq!(SCHEMES[4], Scheme::Accuracy(8));
        let r100 = rows.iter().find(|r| r.n == 100).unwrap();
        assert!(
            r100.errors[4].interior * 30.0 < r100.errors[3].interior,
            "{grid:?}: {r100:?}"
        );
        // With edge order 2 the ends are as accurate as the interior; with 1 they are not.
        let last = rows.last().unwrap().errors;
        assert!(
            last[1].edges < last[0].interior && last[0].edges > 100.0 * last[0].interior,
            "{last:?}"
        );
        let decades: Vec<_> = rows
            .iter()
            .copied()
            .filter(|r| [10, 100, 1000, 10_000].contains(&r.n))
            .collect();
        let md = table(grid, &decades, &rows);
        assert_eq!(md.lines().filter(|l| l.starts_with("| 1")).count(), 4, "{md}");
        assert!(md.contains("| observed order"), "{md}");
        all.push((grid, rows));
    }
    let path = out("edge_order_study.png");
    edge_order_study::render(&all, &path).unwrap();
    assert_picture(&path, (1100, 800));
}

/// The resolving-power half of the edge-order study, first and second derivatives: the curves
/// drawn are what the crate computes, and a compact scheme resolves more of `[0, π]` than the
/// explicit stencil that reads as many points.
#[test]
fn edge_order_study_resolving_power() {
    use edge_order_study::{DERIVATIVES, Resolver, render_resolving, resolvers, resolving_picture, resolving_table};
    use std::f64::consts::{FRAC_PI_2, PI};
    // The plotted curves are the crate's own results on periodic waves (h = 1, 64 points, every
    // wavenumber 2πk/64 up to π): explicit through `gradient_axis_with` (`.derivative(m)`),
    // compact through `CompactScheme::apply`; w′ from sin(w j), w″ from cos(w j). The two
    // differ only by the rounding of the sums and of the banded solve: at most 2.8e-14 (first
    // derivative, |w′| ≤ π) and 3.6e-14 (second, |w″| ≤ π², weights up to Σ|c| = 6.0) when
    // measured, so 1e-12 leaves a factor of 30. A wrong sign, a missing 1/h², the wrong wave or
    // a scheme of another order is off by more than 10⁻³ at some k.
    for derivative in DERIVATIVES {
        for r in resolvers(derivative) {
            assert_eq!(r.derivative(), derivative);
            for k in 1..=32 {
                let w = 2.0 * PI * k as f64 / 64.0;
                let (m, e) = (r.measured_wavenumber(64, k), r.modified_wavenumber(w));
                assert!((m - e).abs() < 1e-12, "{r:?} k {k}: measured {m}, formula {e}");
            }
        }
    }
    // First derivative, closed forms at w = π/2: explicit accuracy 4 (8 sin w − sin 2w)/6 =
    // 4/3; the tridiagonal accuracy-4 scheme 3 sin w / (2 + cos w) = 3/2.
    assert!((Resolver::explicit(1, 4).modified_wavenumber(FRAC_PI_2) - 4.0 / 3.0).abs() < 1e-15);
    assert!((Resolver::compact(1, 4, 3).modified_wavenumber(FRAC_PI_2) - 1.5).abs() < 1e-15);
    // Second derivative at w = π/2 (exact π²/4 ≈ 2.467): explicit accuracy 2 (f₊ − 2f + f₋)
    // has w″ = 2 − 2 cos w = 2; explicit accuracy 4 5/2 − 8/3 cos w + 1/6 cos 2w = 7/3; the
    // tridiagonal accuracy-4 scheme (1/10, 1, 1/10 = 6/5 (f₊ − 2f + f₋)) 12/5 (1 − cos w) /
    // (1 + cos w / 5) = 12/5.
    assert!((Resolver::explicit(2, 2).modified_wavenumber(FRAC_PI_2) - 2.0).abs() < 1e-15);
    assert!((Resolver::explicit(2, 4).modified_wavenumber(FRAC_PI_2) - 7.0 / 3.0).abs() < 1e-15);
    assert!((Resolver::compact(2, 4, 3).modified_wavenumber(FRAC_PI_2) - 2.4).abs() < 1e-15);
    // At the two-point wave w = π the first derivative of every centred scheme is 0 (sin πj
    // vanishes on the grid), while the second is not: 4 for explicit accuracy 2, and
    // 24/5 / (4/5) = 6 for the tridiagonal accuracy-4 scheme.
    for r in resolvers(1) {
        assert!(r.modified_wavenumber(PI).abs() < 1e-14, "{r:?}");
    }
    assert!((Resolver::explicit(2, 2).modified_wavenumber(PI) - 4.0).abs() < 1e-14);
    assert!((Resolver::compact(2, 4, 3).modified_wavenumber(PI) - 6.0).abs() < 1e-14);
    // Explicit accuracy 2: first derivative w′ = sin w, relative error ≈ w²/6, resolved up
    // to √(6·10⁻³); second derivative w″ = 2 − 2 cos w = w² − w⁴/12 + …, relative error
    // ≈ w²/12, resolved up to √(12·10⁻³).
    let e2 = Resolver::explicit(1, 2).efficiency();
    assert!((e2 - (6e-3f64).sqrt() / PI).abs() < 2e-4, "{e2}");
    let e2 = Resolver::explicit(2, 2).efficiency();
    assert!((e2 - (12e-3f64).sqrt() / PI).abs() < 2e-4, "{e2}");
    for derivative in DERIVATIVES {
        let schemes = resolvers(derivative);
        // Same width, more resolved: every compact scheme beats the explicit stencil reading
        // as many points by half as much again (measured, first derivative: width 3: 0.205
        // against 0.025; 5: 0.351 and 0.482 against 0.133; 7: 0.561 against 0.233; second:
        // width 3: 0.222 against 0.035; 5: 0.383 and 0.512 against 0.176; 7: 0.596 against
        // 0.295).
        for c in schemes.iter().filter(|r| r.compact_scheme().is_some()) {
            let explicit = schemes
                .iter()
                .find(|r| r.compact_scheme().is_none() && r.width() == c.width())
                .unwrap_or_else(|| panic!("no explicit stencil of width {}", c.width()));
            assert!(
                c.efficiency() > 1.5 * explicit.efficiency(),
                "{c:?} {} against {explicit:?} {}",
                c.efficiency(),
                explicit.efficiency()
            );
        }
        // Within each family, a higher accuracy resolves more (the list is in accuracy order).
        for family in [&schemes[..3], &schemes[3..]] {
            for pair in family.windows(2) {
                assert!(pair[1].efficiency() > pair[0].efficiency(), "{pair:?}");
            }
        }
        // The second derivative's schemes resolve a larger fraction than the first's of the
        // same construction (their error starts at the same order, with a smaller constant).
        if derivative == 2 {
            for (second, first) in schemes.iter().zip(resolvers(1)) {
                assert!(second.efficiency() > first.efficiency(), "{second:?} against {first:?}");
            }
        }
        let md = resolving_table(derivative);
        assert_eq!(
            md.lines()
                .filter(|l| l.starts_with("| explicit") || l.starts_with("| compact"))
                .count(),
            7,
            "{md}"
        );
        let path = out(resolving_picture(derivative));
        render_resolving(derivative, &path).unwrap();
        assert_picture(&path, (1000, 760));
    }
}

/// The pictures need no system library: nothing in the lock file reaches the system's fonts
/// (plotters' default `ttf` feature would bring font-kit, which links fontconfig and FreeType).
#[test]
fn no_system_font_library_in_the_dependency_graph() {
    let lock = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock")).unwrap();
    let names: Vec<&str> = lock.lines().filter_map(|l| l.strip_prefix("name = \"")).collect();
    assert!(names.iter().any(|n| n.starts_with("plotters\"")) && names.iter().any(|n| n.starts_with("ab_glyph\"")));
    for banned in [
        "font-kit",
        "freetype",
        "fontconfig",
        "yeslogic-fontconfig-sys",
        "servo-fontconfig",
    ] {
        assert!(
            !names.iter().any(|n| n.starts_with(banned)),
            "{banned} is in Cargo.lock"
        );
    }
}

/// The zarr_gradient command with coordinates (a `.npy` file for one axis, a list for the
/// other), an accuracy order and a derivative order: its outputs are the in-memory call's bits;
/// malformed coordinates are refused with a message.
#[cfg(feature = "zarr")]
#[test]
fn zarr_gradient_command_takes_coordinates() {
    use ndarray::{Array2, Axis};
    use ndarray_gradient::{ArrayGradientExt, GradientOptions, zarr};
    use zarrs::array::{ArrayBuilder, data_type};

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("zarr-gradient-command");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let f = Array2::from_shape_fn((13, 9), |(i, j)| {
        ((i * i) as f64 * 0.1).sin() + (j as f64).sqrt() * i as f64
    });
    let store = std::sync::Arc::new(zarrs::filesystem::FilesystemStore::new(dir.join("in.zarr")).unwrap());
    let array = ArrayBuilder::new(vec![13, 9], vec![5, 4], data_type::float64(), 0.0f64)
        .build(store, "/")
        .unwrap();
    array.store_metadata().unwrap();
    array
        .store_array_subset(&array.subset_all(), f.as_slice().unwrap())
        .unwrap();
    // Stretched coordinates along axis 0 (a .npy file), uneven ones along axis 1 (a list).
    let x0 = Array1::from_shape_fn(13, |i| (i as f64 * 0.3).powi(2) + i as f64);
    ndarray_npy::write_npy(dir.join("x0.npy"), &x0).unwrap();
    let x1 = Array1::from(vec![0.0, 0.5, 1.5, 2.0, 3.25, 4.0, 5.5, 6.0, 7.5]);
    let list = x1.iter().map(f64::to_string).collect::<Vec<_>>().join(",");

    let command = |extra: &[String]| {
        let mut args = vec![
            dir.join("in.zarr").display().to_string(),
            dir.join("out.zarr").display().to_string(),
            "--overwrite".into(),
            "--quiet".into(),
        ];
        args.extend_from_slice(extra);
        zarr_gradient::parse(args)
    };
    let args = command(&[
        "--coordinates".into(),
        format!("0={}", dir.join("x0.npy").display()),
        "--coordinates".into(),
        format!("1={list}"),
        "--accuracy".into(),
        "4".into(),
        "--derivative".into(),
        "2".into(),
    ])
    .unwrap();
    let summary = zarr_gradient::run::<f64>(&args, &indicatif::ProgressBar::hidden()).unwrap();
    let opts = GradientOptions::new()
        .coordinates(Axis(0), &x0)
        .coordinates(Axis(1), &x1)
        .accuracy(4)
        .derivative(2);
    let whole = f.clone().into_dyn().gradient_with(&opts).unwrap();
    assert_eq!(summary.arrays, ["axis0", "axis1"]);
    for (name, w) in summary.arrays.iter().zip(&whole) {
        let got = zarr::read_array::<f64>(dir.join("out.zarr").join(name)).unwrap();
        assert!(
            got.iter().zip(w.iter()).all(|(a, b)| a.to_bits() == b.to_bits()),
            "{name}"
        );
    }
    // Without coordinates the result differs (the option is not ignored).
    let plain = command(&[]).unwrap();
    zarr_gradient::run::<f64>(&plain, &indicatif::ProgressBar::hidden()).unwrap();
    let got = zarr::read_array::<f64>(dir.join("out.zarr").join("axis0")).unwrap();
    assert_ne!(got, whole[0]);

    // Malformed coordinates: a message, no panic.
    assert!(
        command(&["--coordinates".into(), "0".into()])
            .unwrap_err()
            .contains("K=FILE.npy")
    );
    let bad = command(&["--coordinates".into(), "1=0,1,x".into()]).unwrap();
    let err = zarr_gradient::run::<f64>(&bad, &indicatif::ProgressBar::hidden()).unwrap_err();
    assert!(err.to_string().contains("not a number: x"), "{err}");
    let missing = command(&["--coordinates".into(), "0=/no/such.npy".into()]).unwrap();
    let err = zarr_gradient::run::<f64>(&missing, &indicatif::ProgressBar::hidden()).unwrap_err();
    assert!(err.to_string().contains("/no/such.npy"), "{err}");
    // Coordinates of the wrong length are the gradient's own error.
    let short = command(&["--coordinates".into(), "1=0,1,2".into()]).unwrap();
    assert!(zarr_gradient::run::<f64>(&short, &indicatif::ProgressBar::hidden()).is_err());
}

/// The zarr_gradient command as a user meets it: `--help` lists every flag and exits 0; every
/// error is printed as `error: …` with a non-zero status; an existing output says to pass
/// `--overwrite`; `--spacing K=H` and `--period K=L` give the in-memory call's bits; periodic
/// coordinates without a period point to `--period`; contradicting flags name both.
#[cfg(feature = "zarr")]
#[test]
fn zarr_gradient_command_help_errors_spacing_and_period() {
    use ndarray::{Array2, Axis};
    use ndarray_gradient::{ArrayGradientExt, GradientOptions, zarr};
    use zarrs::array::{ArrayBuilder, data_type};

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("zarr-gradient-flags");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let f = Array2::from_shape_fn((11, 8), |(i, j)| ((i * j) as f64 * 0.3).sin() + 0.1 * (i * i) as f64);
    let store = std::sync::Arc::new(zarrs::filesystem::FilesystemStore::new(dir.join("in.zarr")).unwrap());
    let array = ArrayBuilder::new(vec![11, 8], vec![4, 3], data_type::float64(), 0.0f64)
        .build(store, "/")
        .unwrap();
    array.store_metadata().unwrap();
    array
        .store_array_subset(&array.subset_all(), f.as_slice().unwrap())
        .unwrap();
    let (input, output) = (dir.join("in.zarr"), dir.join("out.zarr"));
    let run = |extra: &[&str]| -> (u8, String, String) {
        let mut args = vec![
            input.display().to_string(),
            output.display().to_string(),
            "--quiet".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = zarr_gradient::command(args, &mut out, &mut err);
        (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
    };
    let read = |name: &str| zarr::read_array::<f64>(output.join(name)).unwrap();
    let same = |a: &ndarray::ArrayD<f64>, b: &ndarray::ArrayD<f64>| {
        a.shape() == b.shape() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    };

    // --help: every flag of the synopsis and of the parser, exit 0, nothing on stderr.
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert_eq!(
        zarr_gradient::command(vec!["--help".to_string()], &mut out, &mut err),
        0
    );
    let help = String::from_utf8(out).unwrap();
    assert!(err.is_empty());
    let source = include_str!("../examples/zarr_gradient.rs");
    let parsed: Vec<&str> = source
        .split('"')
        .filter(|s| s.starts_with("--") && s.len() > 2 && s[2..].chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        .collect();
    assert!(parsed.len() >= 17, "{parsed:?}");
    for flag in parsed.iter().chain(&["-h"]) {
        assert!(help.contains(flag), "--help does not list {flag}");
    }
    for flag in zarr_gradient::USAGE
        .split([' ', '[', ']'])
        .filter(|s| s.starts_with("--"))
    {
        assert!(help.contains(flag), "--help does not list {flag}");
    }

    // Errors: each starts with "error:", exit status non-zero, nothing on stdout.
    for (extra, status, says) in [
        (&["--bogus"][..], 2, "unknown option --bogus"),
        (&["--axis", "0", "--laplacian"][..], 2, "--axis 0 and --laplacian"),
        (
            &["--laplacian", "--derivative", "3"][..],
            2,
            "--derivative 3 and --laplacian",
        ),
        (
            &["--spacing", "1=0.5", "--coordinates", "1=0,1,2,3,4,5,6,7"][..],
            2,
            "--spacing 1=… and --coordinates 1=…",
        ),
        (
            &["--periodic", "1", "--period", "1=9"][..],
            2,
            "--periodic 1 and --period 1=…",
        ),
        (&["--spacing", "1=x"][..], 2, "not a number: x"),
        (&["--period", "1"][..], 2, "expected K=L"),
        (
            &["--coordinates", "0=0,1,2,3,4,5,6,7,8,9,10", "--periodic", "0"][..],
            1,
            "pass --period 0=L",
        ),
        (&["--axis", "5"][..], 1, "axis 5"),
    ] {
        let (code, out, err) = run(extra);
        assert_eq!(code, status, "{extra:?}: {err}");
        assert!(err.starts_with("error: ") && err.contains(says), "{extra:?}: {err}");
        assert!(out.is_empty(), "{extra:?}");
    }
    assert!(!output.exists(), "a refused command wrote its output");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert_eq!(
        zarr_gradient::command(vec!["/no/such.zarr".to_string(), "x".into()], &mut out, &mut err),
        1
    );
    assert!(
        String::from_utf8(err)
            .unwrap()
            .starts_with("error: cannot open the Zarr array /no/such.zarr")
    );

    // --spacing K=H (and a scalar for the other axes): np.gradient(f, 0.5, 2.0).
    let (code, _, err) = run(&["--spacing", "2", "--spacing", "0=0.5"]);
    assert_eq!(code, 0, "{err}");
    let opts = GradientOptions::new().spacing(2.0).axis_spacing(Axis(0), 0.5);
    let whole = f.clone().into_dyn().gradient_with(&opts).unwrap();
    assert!(same(&read("axis0"), &whole[0]) && same(&read("axis1"), &whole[1]));
    assert!(!same(
        &read("axis0"),
        &f.clone()
            .into_dyn()
            .gradient_with(&GradientOptions::new().spacing(2.0))
            .unwrap()[0]
    ));

    // The output exists now: refused, naming --overwrite.
    let (code, _, err) = run(&[]);
    assert_eq!(code, 1);
    assert!(err.starts_with("error: ") && err.contains("pass --overwrite"), "{err}");

    // --period K=L with coordinates: the in-memory call's bits.
    let x = Array1::from_iter((0..11).map(|i| (i as f64).powf(1.3)));
    let list = x.iter().map(f64::to_string).collect::<Vec<_>>().join(",");
    let (code, _, err) = run(&[
        "--overwrite",
        "--coordinates",
        &format!("0={list}"),
        "--period",
        "0=25.5",
        "--axis",
        "0",
        "--accuracy",
        "4",
    ]);
    assert_eq!(code, 0, "{err}");
    let opts = GradientOptions::new()
        .coordinates(Axis(0), &x)
        .period(Axis(0), 25.5)
        .axes([Axis(0)])
        .accuracy(4);
    assert!(same(
        &read("axis0"),
        &f.clone().into_dyn().gradient_with(&opts).unwrap()[0]
    ));
    assert!(!output.join("axis1").exists());
}

/// The README's relative links and pictures resolve on the package registry's page through
/// the manifest's `repository` (crates.io makes them absolute against it), so each must name a
/// file or folder of the repository; the package itself ships only what a dependent compiles.
#[test]
fn readme_links_resolve_in_the_repository_and_the_package_is_lean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut relative = 0;
    for link in readme.split("](").skip(1).filter_map(|s| s.split(')').next()) {
        if link.starts_with("http") || link.starts_with('#') {
            continue;
        }
        let path = link.split('#').next().unwrap();
        assert!(
            root.join(path).exists(),
            "README links to {link}, which is not in the repository"
        );
        relative += 1;
    }
    assert!(relative >= 10, "{relative} relative links");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("\nrepository = \"https://github.com/"),
        "no GitHub repository"
    );
    assert!(manifest.contains("\ndocumentation = \"https://docs.rs/ndarray-gradient\""));
    let include = manifest
        .lines()
        .find(|l| l.starts_with("include = "))
        .expect("an include list");
    for shipped in ["/src/", "/README.md", "/LICENSE-MIT", "/LICENSE-APACHE"] {
        assert!(include.contains(shipped), "{shipped} not shipped");
    }
    for left_out in [
        "tests", "fixtures", "examples", "pictures", "scripts", "benches", "fuzz", "mpi", ".ci",
    ] {
        assert!(!include.contains(left_out), "{left_out} shipped: {include}");
    }
}

#[cfg(feature = "sparse")]
#[test]
fn poisson_convergence_orders() {
    // The example's two coarsest grids (it goes to 129²): the same orders, asserted by the
    // example's own check, and its picture.
    let table = poisson::convergence(&poisson::SIZES[..3]);
    poisson::check_orders(&table);
    // Accuracy 6 on 65² is within 10⁻⁷ of the manufactured solution.
    assert!(table[2][2].max_error < 1e-7, "{}", table[2][2].max_error);
    let path = out("poisson.png");
    poisson::render(&table, &path).unwrap();
    assert_picture(&path, (1650, 480));
}

#[cfg(feature = "sparse")]
#[test]
fn harmonic_oscillator_energies() {
    use eigenvalues::{ACCURACIES, LOWEST, TOLERANCE, spectrum};
    // Half the example's points (a dense eigensolver in a debug build): h twice as large, so
    // the errors are up to 2ᵖ times the example's bounds.
    let spectra: Vec<_> = ACCURACIES.iter().map(|&p| spectrum(p, 161)).collect();
    for (s, tolerance) in spectra.iter().zip(TOLERANCE) {
        assert_eq!(s.energies.len(), LOWEST);
        let bound = tolerance * 2f64.powi(s.accuracy as i32);
        for (n, e) in s.energies.iter().enumerate() {
            assert!(
                (e - (n as f64 + 0.5)).abs() < bound,
                "accuracy {}: E{n} = {e}",
                s.accuracy
            );
        }
        assert!(
            s.imaginary < 1e-9,
            "accuracy {}: imaginary part {}",
            s.accuracy,
            s.imaginary
        );
    }
    // Wall modes only at accuracy 6 (its one-sided wall rows), four of them.
    assert_eq!(spectra.iter().map(|s| s.wall_modes).collect::<Vec<_>>(), vec![0, 0, 4]);
    let path = out("eigenvalues.png");
    eigenvalues::render(&spectra[1], &path).unwrap();
    assert_picture(&path, (900, 620));
}
