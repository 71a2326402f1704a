//! Velocity and acceleration from positions sampled at uneven times (physics): a projectile with
//! air drag, tracked like a GPS receiver does — five times a second, each fix at a slightly
//! irregular time — differentiated with the timestamps as coordinates.
//!
//! Replaces this NumPy code:
//!
//! ```python
//! vx = np.gradient(x, t, edge_order=2)       # t: the timestamps, unevenly spaced
//! ax = np.gradient(vx, t, edge_order=2)
//! # higher accuracy: findiff.Diff(0, t, acc=4)(x), then of vx
//! ```
//!
//! The drag is linear in the velocity (`a = -g ŷ - k v`), so the true track, velocity and
//! acceleration have closed forms to compare against. Checks (asserted): with edge order 2 the
//! velocity error at the two ends falls to the interior's level, with edge order 1 it does not;
//! the interior points are the same for both edge orders; the error falls about 4× when the
//! sampling is twice as dense (second order on the uneven times); treating the times as evenly
//! spaced is far worse. With accuracy orders 4 and 6 (findiff's `acc=p`, weights at the actual
//! times: `GradientOptions::new().coordinates(Axis(0), &t).accuracy(4)`), the largest errors fall
//! more than 100× below edge order 2's and again below accuracy 4's, and accuracy 4's fall
//! more than 10× when the sampling is twice as dense (16 for fourth order).
//!
//! Writes `target/examples-out/projectile.png`. Run with
//! `cargo run --release --example projectile`.

mod common;

use std::path::Path;

use common::{LABEL, TICKS, TITLE};
use ndarray::{Array1, Axis};
use ndarray_gradient::{ArrayGradientExt, EdgeOrder, GradientOptions};
use plotters::prelude::*;

const G: f64 = 9.81; // m/s²
const K: f64 = 0.15; // drag rate, 1/s
const V0: (f64, f64) = (35.0, 45.0); // launch velocity, m/s

/// Position (m), velocity (m/s) and acceleration (m/s²), each as (x, y) components.
#[derive(Clone, Copy, Debug)]
pub struct State {
    pub pos: (f64, f64),
    pub vel: (f64, f64),
    pub acc: (f64, f64),
}

/// The true state at time `t` (s).
pub fn exact(t: f64) -> State {
    let e = (-K * t).exp();
    let (vx, vy) = (V0.0 * e, (V0.1 + G / K) * e - G / K);
    let x = V0.0 / K * (1.0 - e);
    let y = (V0.1 + G / K) / K * (1.0 - e) - G * t / K;
    State {
        pos: (x, y),
        vel: (vx, vy),
        acc: (-K * vx, -G - K * vy),
    }
}

/// The time of flight: when the projectile is back at `y = 0`.
pub fn flight_time() -> f64 {
    let (mut lo, mut hi) = (1.0, 100.0);
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if exact(mid).pos.1 > 0.0 { lo = mid } else { hi = mid }
    }
    lo
}

/// `n` timestamps from launch to landing, nominally evenly spaced, each but the first and last
/// moved by up to ±35 % of the nominal step (a fixed pseudo-random pattern).
pub fn timestamps(n: usize) -> Array1<f64> {
    let end = flight_time();
    let step = end / (n - 1) as f64;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    Array1::from_shape_fn(n, |k| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let jitter = (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0; // in [-1, 1)
        if k == 0 || k == n - 1 {
            k as f64 * step
        } else {
            (k as f64 + 0.35 * jitter) * step
        }
    })
}

/// A track: the timestamps, the sampled positions, the true velocity and acceleration.
pub struct Track {
    pub t: Array1<f64>,
    pub pos: [Array1<f64>; 2],
    pub vel: [Array1<f64>; 2],
    pub acc: [Array1<f64>; 2],
}

pub fn track(n: usize) -> Track {
    let t = timestamps(n);
    let at = |f: fn(&State) -> f64| t.mapv(|s| f(&exact(s)));
    Track {
        pos: [at(|e| e.pos.0), at(|e| e.pos.1)],
        vel: [at(|e| e.vel.0), at(|e| e.vel.1)],
        acc: [at(|e| e.acc.0), at(|e| e.acc.1)],
        t,
    }
}

/// How the derivatives are taken: with the timestamps as coordinates (edge order 1 or 2, or an
/// accuracy order: findiff's `acc=p` with weights at the actual times), or pretending the
/// samples are evenly spaced at the mean step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Method {
    Timestamps(EdgeOrder),
    Accuracy(usize),
    EvenSpacing,
}

/// The methods of the table, in its order.
pub const METHODS: [Method; 5] = [
    Method::Timestamps(EdgeOrder::First),
    Method::Timestamps(EdgeOrder::Second),
    Method::Accuracy(4),
    Method::Accuracy(6),
    Method::EvenSpacing,
];

/// Estimated velocity and acceleration: `vx = np.gradient(x, t)`, `ax = np.gradient(vx, t)`.
pub fn estimate(track: &Track, method: Method) -> ([Array1<f64>; 2], [Array1<f64>; 2]) {
    let t = &track.t;
    let opts = match method {
        Method::Timestamps(order) => GradientOptions::new().coordinates(Axis(0), t).edge_order(order),
        Method::Accuracy(p) => GradientOptions::new().coordinates(Axis(0), t).accuracy(p),
        Method::EvenSpacing => {
            let mean = (t[t.len() - 1] - t[0]) / (t.len() - 1) as f64;
            GradientOptions::new().spacing(mean).edge_order(EdgeOrder::Second)
        }
    };
    let d = |f: &Array1<f64>| f.gradient_axis_with(Axis(0), &opts).unwrap();
    let vel = [d(&track.pos[0]), d(&track.pos[1])];
    let acc = [d(&vel[0]), d(&vel[1])];
    (vel, acc)
}

/// Largest error (vector norm) at the interior samples and at the two end samples.
#[derive(Clone, Copy, Debug)]
pub struct Errors {
    pub interior: f64,
    pub ends: f64,
}

pub fn errors(est: &[Array1<f64>; 2], exact: &[Array1<f64>; 2]) -> Errors {
    let n = exact[0].len();
    let err = |k: usize| (est[0][k] - exact[0][k]).hypot(est[1][k] - exact[1][k]);
    Errors {
        interior: (1..n - 1).map(err).fold(0.0, f64::max),
        ends: err(0).max(err(n - 1)),
    }
}

impl Errors {
    /// The largest error over all samples.
    pub fn max(&self) -> f64 {
        self.interior.max(self.ends)
    }
}

/// Velocity and acceleration errors of each method of [`METHODS`] on `track`, in that order.
pub fn study(track: &Track) -> Vec<(Method, Errors, Errors)> {
    METHODS
        .into_iter()
        .map(|m| {
            let (v, a) = estimate(track, m);
            (m, errors(&v, &track.vel), errors(&a, &track.acc))
        })
        .collect()
}

pub fn describe(m: Method) -> String {
    match m {
        Method::Timestamps(EdgeOrder::First) => "timestamps, edge order 1".into(),
        Method::Timestamps(_) => "timestamps, edge order 2".into(),
        Method::Accuracy(p) => format!("timestamps, accuracy {p}"),
        Method::EvenSpacing => "even spacing assumed, edge order 2".into(),
    }
}

fn main() {
    let n = 40;
    let tr = track(n);
    let steps = &tr.t.slice(ndarray::s![1..]) - &tr.t.slice(ndarray::s![..-1]);
    println!(
        "projectile with linear drag (k = {K} /s), {n} fixes over {:.2} s, time steps {:.3}..{:.3} s",
        tr.t[n - 1],
        steps.fold(f64::INFINITY, |a, &b| a.min(b)),
        steps.fold(0.0f64, |a, &b| a.max(b)),
    );
    println!("max error                             velocity (m/s)          acceleration (m/s²)");
    println!("                                      interior   ends         interior   ends");
    let rows = study(&tr);
    for (m, v, a) in &rows {
        println!(
            "  {:<34}  {:<9.2e}  {:<9.2e}    {:<9.2e}  {:<9.2e}",
            describe(*m),
            v.interior,
            v.ends,
            a.interior,
            a.ends
        );
    }
    let (o1, o2, even) = (rows[0].1, rows[1].1, rows[4].1);
    let dense_rows = study(&track(2 * n - 1));
    let dense = dense_rows[1].1;
    for (k, p) in [(2, 4), (3, 6)] {
        let (v, a) = (rows[k].1, rows[k].2);
        println!(
            "  accuracy {p} against edge order 2 (largest errors): velocity {:.2e}× smaller, acceleration {:.2e}× smaller; twice as dense: velocity {:.1}× smaller ({} for order {p})",
            o2.max() / v.max(),
            rows[1].2.max() / a.max(),
            v.max() / dense_rows[k].1.max(),
            1 << p
        );
    }
    println!(
        "  twice as dense ({} fixes), edge order 2: velocity interior {:.2e}, ends {:.2e} (ratio {:.1}, 4 for second order)",
        2 * n - 1,
        dense.interior,
        dense.ends,
        o2.interior / dense.interior
    );
    assert!(o1.ends > 5.0 * o2.ends, "edge order 2 does not help at the ends");
    assert!(
        o2.ends < 3.0 * o2.interior,
        "edge order 2 ends not at the interior's level"
    );
    assert_eq!(
        o1.interior, o2.interior,
        "the interior does not depend on the edge order"
    );
    assert!(o2.interior / dense.interior > 3.0, "not second order");
    let (acc4, acc6) = (&rows[2], &rows[3]);
    assert!(
        acc4.1.max() * 100.0 < o2.max() && acc4.2.max() * 100.0 < rows[1].2.max(),
        "accuracy 4 is not far better than edge order 2"
    );
    assert!(
        acc6.1.max() * 100.0 < acc4.1.max() && acc6.2.max() * 100.0 < acc4.2.max(),
        "accuracy 6 is not far better than accuracy 4"
    );
    assert!(
        acc4.1.max() / dense_rows[2].1.max() > 10.0,
        "accuracy 4 is not fourth order on uneven times"
    );
    assert!(
        even.interior > 20.0 * o2.interior,
        "ignoring the timestamps should cost accuracy"
    );

    let path = common::out_dir().join("projectile.png");
    render(&tr, &path).unwrap();
    println!("wrote {}", path.display());
}

/// Track, velocity, acceleration (true curves and estimates), and the velocity error per fix.
pub fn render(tr: &Track, path: &Path) -> common::Result {
    let fine = Array1::linspace(0.0, tr.t[tr.t.len() - 1], 400);
    let curve = |f: fn(&State) -> f64| -> Vec<(f64, f64)> { fine.iter().map(|&s| (s, f(&exact(s)))).collect() };
    let (v1, a1) = estimate(tr, Method::Timestamps(EdgeOrder::First));
    let (v2, a2) = estimate(tr, Method::Timestamps(EdgeOrder::Second));
    let points = |a: &Array1<f64>| -> Vec<(f64, f64)> { tr.t.iter().copied().zip(a.iter().copied()).collect() };
    let blue = RGBColor(31, 119, 180);
    let orange = RGBColor(230, 110, 20);
    let green = RGBColor(44, 160, 44);
    let t_end = tr.t[tr.t.len() - 1];
    let legend_line =
        |c: RGBColor| move |(x, y): (i32, i32)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2));
    common::save_figure(path, (1400, 940), |root| {
        let panels = root.split_evenly((2, 2));

        // Track.
        let xs = &tr.pos[0];
        let x_end = xs[xs.len() - 1] * 1.05;
        let y_top = tr.pos[1].fold(0.0f64, |a, &b| a.max(b)) * 1.15;
        let mut c = common::axes(
            &panels[0],
            "Track: height against distance",
            (0.0, x_end),
            (0.0, y_top),
            ("x (m)", "y (m)"),
        )?;
        c.draw_series(LineSeries::new(
            fine.iter().map(|&s| exact(s).pos),
            blue.stroke_width(2),
        ))?
        .label("true path")
        .legend(legend_line(blue));
        c.draw_series(
            xs.iter()
                .zip(&tr.pos[1])
                .map(|(&x, &y)| Circle::new((x, y), 4, BLACK.filled())),
        )?
        .label(format!("{} fixes at uneven times", tr.t.len()))
        .legend(|(x, y)| Circle::new((x + 9, y), 4, BLACK.filled()));
        legend(&mut c, SeriesLabelPosition::UpperRight)?;

        // Velocity and acceleration: true curves, estimates with edge order 2 (dots) and 1 (crosses).
        for (panel, title, label, truth, est2, est1, fx, fy, corner) in [
            (
                &panels[1],
                "Velocity: true and np.gradient(x, t)",
                "velocity (m/s)",
                &tr.vel,
                &v2,
                &v1,
                (|e: &State| e.vel.0) as fn(&State) -> f64,
                (|e: &State| e.vel.1) as fn(&State) -> f64,
                SeriesLabelPosition::LowerLeft,
            ),
            (
                &panels[2],
                "Acceleration: true and np.gradient(vx, t)",
                "acceleration (m/s²)",
                &tr.acc,
                &a2,
                &a1,
                |e: &State| e.acc.0,
                |e: &State| e.acc.1,
                SeriesLabelPosition::LowerRight,
            ),
        ] {
            let all = truth.iter().chain(est2).chain(est1).flat_map(|a| a.iter().copied());
            let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
            let pad = (hi - lo) * 0.08;
            let mut c = common::axes(panel, title, (0.0, t_end), (lo - pad, hi + pad), ("time t (s)", label))?;
            for (k, colour, name) in [(0, blue, "x"), (1, orange, "y")] {
                c.draw_series(LineSeries::new(
                    curve(if k == 0 { fx } else { fy }),
                    colour.stroke_width(2),
                ))?
                .label(format!("true, {name} component"))
                .legend(legend_line(colour));
                let grey = RGBColor(70, 70, 70);
                let crosses = c.draw_series(
                    points(&est1[k])
                        .into_iter()
                        .map(|p| Cross::new(p, 5, grey.stroke_width(2))),
                )?;
                if k == 1 {
                    crosses
                        .label("estimate, edge order 1 (x and y)")
                        .legend(move |(x, y)| Cross::new((x + 9, y), 5, grey.stroke_width(2)));
                }
                c.draw_series(points(&est2[k]).into_iter().map(|p| Circle::new(p, 4, colour.filled())))?
                    .label(format!("estimate, edge order 2 ({name})"))
                    .legend(move |(x, y)| Circle::new((x + 9, y), 4, colour.filled()));
            }
            legend(&mut c, corner)?;
        }

        // Velocity error per fix, log scale, for every method; the legend gives each method's
        // largest velocity and acceleration errors.
        let err = |v: &[Array1<f64>; 2]| -> Vec<(f64, f64)> {
            (0..tr.t.len())
                .map(|k| {
                    (
                        tr.t[k],
                        (v[0][k] - tr.vel[0][k]).hypot(v[1][k] - tr.vel[1][k]).max(1e-14),
                    )
                })
                .collect()
        };
        let rows = study(tr);
        let curves: Vec<_> = rows
            .iter()
            .map(|&(m, v, a)| {
                let colour = match m {
                    Method::Timestamps(EdgeOrder::First) => BLACK,
                    Method::Timestamps(_) => orange,
                    Method::Accuracy(4) => RGBColor(148, 103, 189),
                    Method::Accuracy(_) => RGBColor(140, 86, 75),
                    Method::EvenSpacing => green,
                };
                let name = format!(
                    "{}: {} m/s, {} m/s²",
                    if m == Method::EvenSpacing {
                        "even spacing assumed".to_string()
                    } else {
                        describe(m)
                    },
                    short(v.max()),
                    short(a.max())
                );
                (err(&estimate(tr, m).0), colour, name)
            })
            .collect();
        let all = curves.iter().flat_map(|c| c.0.iter().map(|p| p.1));
        let (lo, hi) = all.fold((f64::INFINITY, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
        // Room above the curves for the legend.
        let mut c = ChartBuilder::on(&panels[3])
            .caption("Velocity error at each fix", TITLE)
            .margin(8)
            .x_label_area_size(46)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..t_end, (lo / 3.0..hi * 1e5).log_scale())?;
        c.configure_mesh()
            .light_line_style(WHITE)
            .x_desc("time t (s)")
            .y_desc("|v estimated − v true| (m/s)")
            .y_label_formatter(&|v| common::power_of_ten(*v))
            .label_style(TICKS)
            .axis_desc_style(LABEL)
            .draw()?;
        for (data, colour, name) in curves {
            c.draw_series(LineSeries::new(data.iter().copied(), colour.stroke_width(2)))?
                .label(name)
                .legend(legend_line(colour));
            c.draw_series(data.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
        }
        c.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label("(legend: largest velocity and acceleration errors)");
        legend(&mut c, SeriesLabelPosition::UpperRight)?;
        Ok(())
    })
}

/// A number with two significant digits: `0.023`, `1.9`, `48`, `2.1e-5`.
fn short(v: f64) -> String {
    if (1e-3..100.0).contains(&v) {
        let digits = (1 - v.log10().floor() as i32).max(0) as usize;
        format!("{v:.digits$}")
    } else {
        format!("{v:.1e}")
    }
}

/// The legend of `chart`'s labelled series, in a framed box at `pos`.
fn legend<'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, BitMapBackend<'a>, CT>,
    pos: SeriesLabelPosition,
) -> common::Result {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(TICKS)
        .position(pos)
        .draw()?;
    Ok(())
}
