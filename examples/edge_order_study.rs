//! How accurate is `np.gradient`, at the edges and inside, with edge order 1 and 2, and the
//! crate's accuracy orders 4, 6 and 8? A smooth function, `f(x) = exp(sin 3x)` on `[0, 2]`,
//! sampled on N = 10 … 10⁵ points, evenly and on a stretched grid given as coordinates; the
//! largest error at the edges (the points with one-sided stencils: 1 at each end for the edge
//! orders, p/2 for accuracy p) and at the interior points, the observed order of convergence,
//! and the time per call.
//!
//! Replaces this NumPy / findiff study:
//!
//! ```python
//! for n in [10, 100, 1000, 10_000, 100_000]:
//!     x = np.linspace(0, 2, n)
//!     for edge_order in (1, 2):
//!         err = np.abs(np.gradient(f(x), x, edge_order=edge_order) - df(x))
//!         print(n, edge_order, max(err[0], err[-1]), err[1:-1].max())
//!     for p in (4, 6, 8):
//!         err = np.abs(findiff.Diff(0, x, acc=p)(f(x)) - df(x))
//!         print(n, p, max(err[:p//2].max(), err[-p//2:].max()), err[p//2:-p//2].max())
//! ```
//!
//! For the high orders the error reaches the rounding floor (a few 10⁻¹²) by N ≈ 300–600, so
//! the observed order is a least-squares fit over the sizes N ≥ 100 whose error is at least
//! 100× the rounding level ε·max|f|/h (see [`observed_orders`]); the table says how each was
//! obtained.
//!
//! Checks (asserted): every settled observed order within ±0.3 of its scheme's order (edge
//! order 1: 1 at the edges, 2 inside; edge order 2: 2; accuracy p: p), on both grids, and the
//! local orders of the unsettled ones above p − 1 ([`check_orders`]); the interior values do
//! not depend on the edge order; accuracy 2 is edge order 2 bit for bit.
//!
//! The second half is resolving power: how short a wave each scheme differentiates well, for
//! the first and the second derivative. A first-derivative scheme applied to `sin(w j)`
//! (h = 1) returns `w′ cos(w j)`, a second-derivative one applied to `cos(w j)` returns
//! `−w″ cos(w j)`; the modified wavenumbers are `w′ = w` and `w″ = w²` for exact derivatives.
//! Explicit centred stencils of accuracy 2, 4, 6 (3, 5, 7 points) are compared with compact
//! (Padé) schemes ([`CompactScheme`], findiff's `CompactScheme`) whose right-hand sides read as
//! many points, with Lele's resolving efficiency: the fraction of `[0, π]` where
//! `|w′ − w| ≤ 10⁻³ w` (`|w″ − w²| ≤ 10⁻³ w²`). Checked (in `tests/examples.rs`): the plotted
//! curves are the crate's own results on periodic sines and cosines, and every compact scheme
//! resolves more than the explicit stencil of its width, for both derivatives.
//!
//! ```python
//! for acc, lhs in [(4, 3), (6, 3), (8, 5), (10, 5)]:
//!     d = findiff.Diff(0, 1.0, acc=acc, compact=lhs)  # on a periodic axis
//!     w_mod = d(np.sin(w * j))[0]                     # measured at j = 0, as here
//!     w_mod2 = -(d**2)(np.cos(w * j))[0]              # the second derivative's w″
//! ```
//!
//! Prints the tables (Markdown) and writes `target/examples-out/edge_order_study.png`, the
//! errors against N on log-log axes with the slopes and the rounding level marked,
//! `target/examples-out/edge_order_study_resolving.png`, `w′` against `w`, and
//! `target/examples-out/edge_order_study_resolving_second.png`, `w″` against `w`. Run with
//! `cargo run --release --example edge_order_study`.

mod common;

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use common::{LABEL, TICKS};
use ndarray::{Array1, Axis};
use ndarray_gradient::{
    ArrayGradientExt, CompactScheme, EdgeOrder, GradientError, GradientOptions, Stencil, coefficients,
};
use plotters::prelude::*;

const LENGTH: f64 = 2.0;

fn f(x: f64) -> f64 {
    (3.0 * x).sin().exp()
}

fn df(x: f64) -> f64 {
    3.0 * (3.0 * x).cos() * f(x)
}

/// The sample points: evenly spaced (scalar spacing), or stretched (coordinates), finer at the
/// left end: `x = L s (1 + s) / 2` for evenly spaced `s` in `[0, 1]`, steps growing 3× across.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Grid {
    Even,
    Stretched,
}

impl Grid {
    pub fn points(self, n: usize) -> Array1<f64> {
        let s = Array1::linspace(0.0, 1.0, n);
        match self {
            Grid::Even => s * LENGTH,
            Grid::Stretched => s.mapv(|s| LENGTH * s * (1.0 + s) / 2.0),
        }
    }
}

/// How the derivative is taken: NumPy's edge orders, or an accuracy order `p` (findiff's
/// `acc=p`: the centred stencil of order `p` inside, one-sided stencils of the same order at the
/// `p/2` points nearest each end). `accuracy(2)` is edge order 2 bit for bit (asserted in
/// [`measure`]), so it has no column of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Edge(EdgeOrder),
    Accuracy(usize),
}

/// The schemes of the table, in its order: edge order 1 and 2, accuracy 4, 6 and 8.
pub const SCHEMES: [Scheme; 5] = [
    Scheme::Edge(EdgeOrder::First),
    Scheme::Edge(EdgeOrder::Second),
    Scheme::Accuracy(4),
    Scheme::Accuracy(6),
    Scheme::Accuracy(8),
];

impl Scheme {
    /// The points at each end with one-sided stencils ("edges"); the others are "interior".
    pub fn edge_points(self) -> usize {
        match self {
            Scheme::Edge(_) => 1,
            Scheme::Accuracy(p) => p / 2,
        }
    }

    /// The theoretical order of convergence at the edges and in the interior.
    pub fn expected(self) -> [f64; 2] {
        match self {
            Scheme::Edge(EdgeOrder::First) => [1.0, 2.0],
            Scheme::Edge(EdgeOrder::Second) => [2.0, 2.0],
            Scheme::Accuracy(p) => [p as f64; 2],
        }
    }

    pub fn name(self) -> String {
        match self {
            Scheme::Edge(EdgeOrder::First) => "edge order 1".into(),
            Scheme::Edge(EdgeOrder::Second) => "edge order 2".into(),
            Scheme::Accuracy(p) => format!("accuracy {p}"),
        }
    }

    fn options(self, grid: Grid, x: &Array1<f64>) -> GradientOptions<'_, f64> {
        let o = match grid {
            Grid::Even => GradientOptions::new().spacing(x[1] - x[0]),
            Grid::Stretched => GradientOptions::new().coordinates(Axis(0), x),
        };
        match self {
            Scheme::Edge(order) => o.edge_order(order),
            Scheme::Accuracy(p) => o.accuracy(p),
        }
    }
}

/// One scheme at one N: the largest error at the edge points and at the interior points, and
/// the time per call in nanoseconds (0 when not timed).
#[derive(Clone, Copy, Debug, Default)]
pub struct Errors {
    pub edges: f64,
    pub interior: f64,
    pub nanos: f64,
}

impl Errors {
    /// The largest error over all points.
    pub fn max(&self) -> f64 {
        self.edges.max(self.interior)
    }

    /// The edge (0) or interior (1) error.
    pub fn part(&self, k: usize) -> f64 {
        [self.edges, self.interior][k]
    }
}

/// One N: the errors of every scheme, in the order of [`SCHEMES`].
#[derive(Clone, Copy, Debug)]
pub struct Row {
    pub n: usize,
    pub errors: [Errors; 5],
}

/// Measures one N on `grid`; `timing` takes the median time of repeated calls (off: 0).
pub fn measure(grid: Grid, n: usize, timing: bool) -> Row {
    let x = grid.points(n);
    let y = x.mapv(f);
    let exact = x.mapv(df);
    let mut errors = [Errors::default(); 5];
    let mut results = vec![];
    for (k, scheme) in SCHEMES.into_iter().enumerate() {
        let o = scheme.options(grid, &x);
        let g = match y.gradient_axis_with(Axis(0), &o) {
            Ok(g) => g,
            // Accuracy 8 on uniform spacing needs 12 points (findiff's one-sided stencils).
            Err(GradientError::AxisTooShort { .. }) => {
                errors[k] = Errors {
                    edges: f64::NAN,
                    interior: f64::NAN,
                    nanos: 0.0,
                };
                results.push(Array1::zeros(0));
                continue;
            }
            Err(e) => panic!("{e}"),
        };
        let err = (&g - &exact).mapv(f64::abs);
        let s = scheme.edge_points();
        let max = |a: ndarray::ArrayView1<f64>| a.fold(0.0f64, |m, &b| m.max(b));
        errors[k] = Errors {
            edges: max(err.slice(ndarray::s![..s])).max(max(err.slice(ndarray::s![n - s..]))),
            interior: max(err.slice(ndarray::s![s..n - s])),
            nanos: 0.0,
        };
        if timing {
            errors[k].nanos = time_per_call(|| {
                black_box(black_box(&y).gradient_axis_with(Axis(0), &o).unwrap());
            });
        }
        results.push(g);
    }
    let inner = |g: &Array1<f64>| g.slice(ndarray::s![1..n - 1]).to_owned();
    assert_eq!(
        inner(&results[0]),
        inner(&results[1]),
        "interior values depend on the edge order"
    );
    let acc2 = Scheme::Accuracy(2).options(grid, &x);
    assert_eq!(
        y.gradient_axis_with(Axis(0), &acc2).unwrap(),
        results[1],
        "accuracy 2 is not edge order 2 bit for bit"
    );
    Row { n, errors }
}

/// Median over 7 samples of the time per call, each sample at least 2 ms of calls.
fn time_per_call(mut call: impl FnMut()) -> f64 {
    let mut reps = 1u32;
    loop {
        let start = Instant::now();
        for _ in 0..reps {
            call();
        }
        if start.elapsed().as_secs_f64() > 2e-3 {
            break;
        }
        reps *= 2;
    }
    let mut samples: Vec<f64> = (0..7)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..reps {
                call();
            }
            start.elapsed().as_secs_f64() * 1e9 / f64::from(reps)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[3]
}

/// The rounding level of a derivative on `grid` with `n` points: `ε · max|f| / h_min`, the size
/// of the error that rounding `f` alone causes in a difference quotient (`max|f| = e`; the
/// stretched grid's smallest step is half the even grid's).
pub fn rounding(grid: Grid, n: usize) -> f64 {
    let h = LENGTH / (n - 1) as f64;
    let h_min = match grid {
        Grid::Even => h,
        Grid::Stretched => h / 2.0,
    };
    f64::EPSILON * std::f64::consts::E / h_min
}

/// An error counts for the observed order when it is at least this many times the rounding
/// level (so rounding changes it by under 1 %)...
pub const ABOVE_ROUNDING: f64 = 100.0;
/// ...and N is at least this: below it the high-order stencils span too much of the interval
/// to be in the asymptotic range (accuracy 8's one-sided stencils span 9 steps, a twelfth of
/// [0, 2] at N = 100).
pub const MIN_N: usize = 100;

/// An observed order of convergence: the least-squares slope of `−log(error)` against
/// `log(N − 1)` over the sizes `from..=to` (`points` of them), and the smallest and largest of
/// the local orders between consecutive sizes there.
#[derive(Clone, Copy, Debug)]
pub struct Fit {
    pub order: f64,
    pub from: usize,
    pub to: usize,
    pub points: usize,
    pub local: (f64, f64),
    /// The local orders at the first and the last pair of sizes.
    pub trend: (f64, f64),
}

/// The local orders may differ by this much for the order to count as settled.
pub const SETTLED: f64 = 0.3;

impl Fit {
    /// At least 3 sizes, and their local orders agree within [`SETTLED`]: the fitted order is a
    /// measured order.
    pub fn settled(&self) -> bool {
        self.points >= 3 && self.local.1 - self.local.0 <= SETTLED
    }
}

/// Whether `error` at `n` counts for the observed order.
pub fn usable(grid: Grid, n: usize, error: f64) -> bool {
    n >= MIN_N && error >= ABOVE_ROUNDING * rounding(grid, n)
}

/// The observed order of each scheme at the edges (`[k][0]`) and in the interior (`[k][1]`),
/// fitted over the sizes in `rows` where the error is [`usable`]; `None` with fewer than 2 (an
/// order from 2 sizes is shown but not checked).
pub fn observed_orders(grid: Grid, rows: &[Row]) -> [[Option<Fit>; 2]; 5] {
    std::array::from_fn(|k| {
        std::array::from_fn(|part| {
            let pts: Vec<(usize, f64)> = rows
                .iter()
                .map(|r| (r.n, r.errors[k].part(part)))
                .filter(|&(n, e)| usable(grid, n, e))
                .collect();
            if pts.len() < 2 {
                return None;
            }
            let xy: Vec<(f64, f64)> = pts.iter().map(|&(n, e)| (((n - 1) as f64).ln(), -e.ln())).collect();
            let m = xy.len() as f64;
            let (mx, my) = (
                xy.iter().map(|p| p.0).sum::<f64>() / m,
                xy.iter().map(|p| p.1).sum::<f64>() / m,
            );
            let sxy: f64 = xy.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
            let sxx: f64 = xy.iter().map(|p| (p.0 - mx).powi(2)).sum();
            let locals: Vec<f64> = xy.windows(2).map(|w| (w[1].1 - w[0].1) / (w[1].0 - w[0].0)).collect();
            Some(Fit {
                order: sxy / sxx,
                from: pts[0].0,
                to: pts[pts.len() - 1].0,
                points: pts.len(),
                local: locals
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v))),
                trend: (locals[0], locals[locals.len() - 1]),
            })
        })
    })
}

/// Checks the observed orders against the theory, wherever an order is measurable (at least
/// 3 usable sizes): a settled order (local orders within [`SETTLED`] of each other) must be
/// within ±0.3 of the scheme's order `p`; where the local order is still changing when rounding
/// takes over (the one-sided stencils of accuracy 6 and 8 on the stretched grid: 6.8 → 7.5 and
/// 7.2 → 7.7 between N = 100 and 316), every local order must exceed `p − 1`.
pub fn check_orders(grid: Grid, rows: &[Row]) -> Result<(), String> {
    for (scheme, fits) in SCHEMES.into_iter().zip(observed_orders(grid, rows)) {
        for (part, fit) in fits.into_iter().enumerate() {
            let Some(fit) = fit.filter(|f| f.points >= 3) else {
                continue;
            };
            let p = scheme.expected()[part];
            let ok = if fit.settled() {
                (fit.order - p).abs() < 0.3
            } else {
                fit.local.0 > p - 1.0
            };
            if !ok {
                return Err(format!(
                    "{grid:?}, {}, {}: expected order {p}, observed {fit:?}",
                    scheme.name(),
                    ["edges", "interior"][part],
                ));
            }
        }
    }
    Ok(())
}

/// The table, in Markdown: the errors at the decades in `rows`, and the observed orders fitted
/// over `all` (the quarter-decade sizes).
pub fn table(grid: Grid, rows: &[Row], all: &[Row]) -> String {
    let mut s = format!(
        "{} grid, `f(x) = exp(sin 3x)` on [0, 2]; max |error| at the edges (the one-sided points: 1 \
         at each end for the edge orders, p/2 for accuracy p) and in the interior:\n\n\
         | N | edge order 1: edges | edge order 2 (= accuracy 2): edges | edge order 1 and 2: interior | \
         accuracy 4: edges / interior | accuracy 6: edges / interior | accuracy 8: edges / interior | \
         µs per call: edge order 1 / 2, accuracy 4 / 6 / 8 |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|\n",
        match grid {
            Grid::Even => "Even",
            Grid::Stretched => "Stretched (coordinates)",
        }
    );
    let cell = |n: usize, e: f64| {
        if e.is_nan() {
            return "—".to_string(); // the axis is too short for the scheme
        }
        let mark = if usable(grid, n, e) || n < MIN_N { "" } else { "†" };
        format!("{e:.1e}{mark}")
    };
    for r in rows {
        let e = &r.errors;
        let times: Vec<String> = e.iter().map(|e| significant(e.nanos / 1e3)).collect();
        s += &format!(
            "| {} | {} | {} | {} | {} / {} | {} / {} | {} / {} | {} |\n",
            r.n,
            cell(r.n, e[0].edges),
            cell(r.n, e[1].edges),
            cell(r.n, e[0].interior),
            cell(r.n, e[2].edges),
            cell(r.n, e[2].interior),
            cell(r.n, e[3].edges),
            cell(r.n, e[3].interior),
            cell(r.n, e[4].edges),
            cell(r.n, e[4].interior),
            times.join(" / ")
        );
    }
    let fits = observed_orders(grid, all);
    let o = |f: Option<Fit>| match f {
        Some(f) if f.settled() => format!("{:.2} ({}–{})", f.order, f.from, f.to),
        Some(f) if f.points == 2 => format!("≈{:.1} ({}–{})", f.order, f.from, f.to),
        Some(f) => format!("{:.1}→{:.1}‡ ({}–{})", f.trend.0, f.trend.1, f.from, f.to),
        None => "—".to_string(),
    };
    s += &format!(
        "| observed order (N range) | {} | {} | {} | {} / {} | {} / {} | {} / {} | |\n",
        o(fits[0][0]),
        o(fits[1][0]),
        o(fits[0][1]),
        o(fits[2][0]),
        o(fits[2][1]),
        o(fits[3][0]),
        o(fits[3][1]),
        o(fits[4][0]),
        o(fits[4][1]),
    );
    s += &format!(
        "\nObserved order: the least-squares slope of −log(error) against log(N − 1) over the \
         quarter-decade sizes N = 10^(k/4) ≥ {MIN_N} whose error is at least {ABOVE_ROUNDING:.0}× the \
         rounding level ε·max|f|/h_min (the N range is given; † marks the errors below that, \
         dominated by rounding and not fitted); ≈: only 2 sizes qualify (not checked); ‡: the local \
         order between consecutive sizes still changes by more than {SETTLED} when rounding takes \
         over (first → last shown), so no settled order is measurable in f64.\n"
    );
    s
}

/// Three significant digits, no exponent: `0.0652`, `5.13`, `1182`.
fn significant(v: f64) -> String {
    if v <= 0.0 {
        return "—".into();
    }
    let digits = (2 - v.log10().floor() as i32).max(0) as usize;
    format!("{v:.digits$}")
}

/// The decades 10 … 10⁵ and the quarter-decades between them.
pub fn sizes(max_exponent: u32) -> Vec<usize> {
    (4..=4 * max_exponent)
        .map(|q| 10f64.powf(f64::from(q) / 4.0).round() as usize)
        .collect()
}

fn main() {
    let mut all = vec![];
    let decades = [10, 100, 1000, 10_000, 100_000];
    for grid in [Grid::Even, Grid::Stretched] {
        let rows: Vec<Row> = sizes(5)
            .into_iter()
            .map(|n| measure(grid, n, decades.contains(&n)))
            .collect();
        let printed: Vec<Row> = rows.iter().copied().filter(|r| decades.contains(&r.n)).collect();
        println!("{}", table(grid, &printed, &rows));
        if let Err(e) = check_orders(grid, &rows) {
            panic!("{e}");
        }
        all.push((grid, rows));
    }
    let path = common::out_dir().join("edge_order_study.png");
    render(&all, &path).unwrap();
    println!("wrote {}", path.display());

    for derivative in DERIVATIVES {
        let order = if derivative == 1 { "first" } else { "second" };
        println!(
            "Resolving power, {order} derivative:\n\n{}",
            resolving_table(derivative)
        );
        let path = common::out_dir().join(resolving_picture(derivative));
        render_resolving(derivative, &path).unwrap();
        println!("wrote {}", path.display());
    }
}

/// The curves of the plot: (label, colour, scheme index in [`SCHEMES`], the value of a row).
/// Edge orders: edges and interior apart; accuracy orders: the largest error over all points.
#[allow(clippy::type_complexity)]
const CURVES: [(&str, RGBColor, fn(&Row) -> f64, f64); 6] = [
    ("edge order 1, edges", RGBColor(214, 39, 40), |r| r.errors[0].edges, 1.0),
    (
        "edge order 2 (= accuracy 2), edges",
        RGBColor(31, 119, 180),
        |r| r.errors[1].edges,
        2.0,
    ),
    (
        "edge order 1 and 2, interior",
        RGBColor(44, 160, 44),
        |r| r.errors[0].interior,
        2.0,
    ),
    (
        "accuracy 4, all points",
        RGBColor(148, 103, 189),
        |r| r.errors[2].max(),
        4.0,
    ),
    (
        "accuracy 6, all points",
        RGBColor(230, 130, 20),
        |r| r.errors[3].max(),
        6.0,
    ),
    (
        "accuracy 8, all points",
        RGBColor(140, 86, 75),
        |r| r.errors[4].max(),
        8.0,
    ),
];

/// Errors against N on log-log axes for both grids (even solid, stretched dashed), with
/// reference slopes beside the even grid's curves and the rounding level.
pub fn render(all: &[(Grid, Vec<Row>)], path: &Path) -> common::Result {
    let values = all
        .iter()
        .flat_map(|(_, rows)| rows.iter().flat_map(|r| CURVES.iter().map(move |c| (c.2)(r))));
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
    let lo = lo.min(rounding(Grid::Even, all[0].1[0].n));
    let n_max = all[0].1.last().unwrap().n as f64;
    common::save_figure(path, (1100, 800), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Gradient error against the number of points N: edge orders and accuracy orders",
                common::TITLE,
            )
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d((8.0..n_max * 1.3).log_scale(), (lo / 3.0..hi * 3.0).log_scale())?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_desc("number of points N on [0, 2]")
            .y_desc("max |gradient − f′|  (|f′| ≤ 8.2)")
            .x_label_formatter(&|v| common::power_of_ten(*v))
            .y_label_formatter(&|v| common::power_of_ten(*v))
            .label_style(TICKS)
            .axis_desc_style(LABEL)
            .draw()?;
        for (grid, rows) in all {
            let dashed = *grid == Grid::Stretched;
            for &(name, colour, value, _) in &CURVES {
                let pts: Vec<(f64, f64)> = rows
                    .iter()
                    .map(|r| (r.n as f64, value(r)))
                    .filter(|p| p.1.is_finite())
                    .collect();
                let style = colour.stroke_width(2);
                if dashed {
                    chart.draw_series(DashedLineSeries::new(pts.iter().copied(), 8, 5, style))?;
                } else {
                    chart
                        .draw_series(LineSeries::new(pts.iter().copied(), style))?
                        .label(name)
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
                }
                chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
            }
        }
        // Line styles: which grid.
        let grey = RGBColor(90, 90, 90).stroke_width(2);
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label("solid: even grid (spacing h)")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], grey));
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label("dashed: stretched grid (coordinates)")
            .legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (8, 0)], grey)
                    + PathElement::new(vec![(12, 0), (20, 0)], grey)
            });
        // The rounding level on the even grid: errors cannot fall much below it.
        let floor: Vec<(f64, f64)> = all[0]
            .1
            .iter()
            .map(|r| (r.n as f64, rounding(Grid::Even, r.n)))
            .collect();
        chart
            .draw_series(DashedLineSeries::new(floor, 2, 4, BLACK.stroke_width(2)))?
            .label("rounding level ε·max|f|/h (even grid)")
            .legend(|(x, y)| {
                let dot = |k: i32| PathElement::new(vec![(6 * k, 0), (6 * k + 2, 0)], BLACK.stroke_width(2));
                EmptyElement::at((x, y)) + dot(0) + dot(1) + dot(2) + dot(3)
            });
        // Reference slopes (dashed black, labelled in the curve's colour): −1 and −2 below the
        // even grid's edge-order curves, over the middle of their range; −4, −6, −8 as a fan in
        // the empty lower left, where the steep curves would leave no room beside them.
        let even = &all[0].1;
        let at = |n: usize| even.iter().find(|r| r.n == n).unwrap();
        let fan = (15.0, 1e-6);
        for &(_, colour, value, slope) in CURVES.iter().filter(|c| c.0 != CURVES[2].0) {
            let ((n0, anchor), (a, b)) = if slope <= 2.0 {
                ((1000.0, value(at(1000)) / 8.0), (300.0, 6000.0))
            } else {
                (fan, (fan.0, fan.0 * 2.5))
            };
            let line = |n: f64| anchor * (n0 / n).powf(slope);
            chart.draw_series(DashedLineSeries::new(
                [(a, line(a)), (b, line(b))],
                4,
                4,
                BLACK.stroke_width(1),
            ))?;
            let font = ("sans-serif", 14, FontStyle::Bold).into_font().color(&colour);
            let text = format!("slope −{slope}");
            chart.draw_series([EmptyElement::at((b, line(b))) + Text::new(text, (6, -8), font)])?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(TICKS)
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Resolving power: explicit centred stencils against compact (Padé) schemes of the same width.
// ---------------------------------------------------------------------------------------------

/// A scheme in the resolving-power study of the first or second derivative: an explicit
/// centred stencil of accuracy `p` (`np.gradient`'s interior for the first derivative at
/// `p = 2`, findiff's `Diff(0, h, acc=p)**derivative`), or a compact scheme (findiff's
/// `CompactScheme`, here [`CompactScheme::new(derivative, accuracy, lhs_points)`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolver {
    Explicit {
        derivative: usize,
        accuracy: usize,
    },
    Compact {
        derivative: usize,
        accuracy: usize,
        lhs_points: usize,
    },
}

/// The derivative orders of the study.
pub const DERIVATIVES: [usize; 2] = [1, 2];

/// The schemes compared for the `derivative`-th derivative: explicit accuracy 2, 4, 6
/// (right-hand widths 3, 5, 7), and compact schemes whose right-hand sides have those widths
/// (the same accuracy and left-hand points for both derivatives: tridiagonal accuracy 4 and 6,
/// pentadiagonal 8 and 10 read 3, 5, 5 and 7 points of `f`).
pub const fn resolvers(derivative: usize) -> [Resolver; 7] {
    [
        Resolver::explicit(derivative, 2),
        Resolver::explicit(derivative, 4),
        Resolver::explicit(derivative, 6),
        Resolver::compact(derivative, 4, 3),
        Resolver::compact(derivative, 6, 3),
        Resolver::compact(derivative, 8, 5),
        Resolver::compact(derivative, 10, 5),
    ]
}

/// The largest relative error `|w′ − w| / w` (first derivative) or `|w″ − w²| / w²` (second)
/// a wavenumber may have to count as resolved (Lele 1992's resolving efficiency at ε = 10⁻³).
pub const RESOLVED: f64 = 1e-3;

/// The modified wavenumber's symbol: `w′` for the first derivative, `w″` for the second.
pub fn modified_symbol(derivative: usize) -> &'static str {
    match derivative {
        1 => "w′",
        2 => "w″",
        _ => panic!("derivative {derivative}: the study has the first and second"),
    }
}

/// The exact derivative's modified wavenumber, `wᵐ` (`w′ = w`, `w″ = w²`).
pub fn exact_wavenumber(derivative: usize, w: f64) -> f64 {
    w.powi(derivative as i32)
}

impl Resolver {
    pub const fn explicit(derivative: usize, accuracy: usize) -> Self {
        Resolver::Explicit { derivative, accuracy }
    }

    pub const fn compact(derivative: usize, accuracy: usize, lhs_points: usize) -> Self {
        Resolver::Compact {
            derivative,
            accuracy,
            lhs_points,
        }
    }

    pub fn derivative(self) -> usize {
        match self {
            Resolver::Explicit { derivative, .. } | Resolver::Compact { derivative, .. } => derivative,
        }
    }

    pub fn accuracy(self) -> usize {
        match self {
            Resolver::Explicit { accuracy, .. } | Resolver::Compact { accuracy, .. } => accuracy,
        }
    }

    /// Left-hand points: 1 for an explicit stencil, 3 tridiagonal, 5 pentadiagonal.
    pub fn lhs_points(self) -> usize {
        match self {
            Resolver::Explicit { .. } => 1,
            Resolver::Compact { lhs_points, .. } => lhs_points,
        }
    }

    /// The crate's compact scheme, `None` for an explicit stencil.
    pub fn compact_scheme(self) -> Option<CompactScheme> {
        match self {
            Resolver::Compact {
                derivative,
                accuracy,
                lhs_points,
            } => Some(CompactScheme::new(derivative, accuracy, lhs_points).expect("a valid scheme")),
            Resolver::Explicit { .. } => None,
        }
    }

    /// The explicit centred weights (`coefficients(derivative, accuracy)`), `None` for a
    /// compact scheme.
    fn explicit_stencil(self) -> Option<Stencil> {
        match self {
            Resolver::Explicit { derivative, accuracy } => Some(coefficients(derivative, accuracy).unwrap().center),
            Resolver::Compact { .. } => None,
        }
    }

    /// Points on the right-hand side (the explicit stencil's width): the samples of `f` read
    /// per output point.
    pub fn width(self) -> usize {
        match self.compact_scheme() {
            Some(s) => s.rhs().offsets.len(),
            None => self.explicit_stencil().unwrap().offsets.len(),
        }
    }

    pub fn name(self) -> String {
        match self {
            Resolver::Explicit { accuracy, .. } => format!("explicit, accuracy {accuracy}"),
            Resolver::Compact {
                accuracy,
                lhs_points: 3,
                ..
            } => format!("compact tridiagonal, accuracy {accuracy}"),
            Resolver::Compact { accuracy, .. } => format!("compact pentadiagonal, accuracy {accuracy}"),
        }
    }

    /// The modified wavenumber with `h = 1`. First derivative: the scheme applied to
    /// `sin(w j)` gives `w′ cos(w j)`; explicit `w′ = Σ c_j sin(j w)`. Second derivative: the
    /// scheme applied to `cos(w j)` gives `−w″ cos(w j)`; explicit `w″ = −Σ c_j cos(j w)`.
    /// Compact: [`CompactScheme::modified_wavenumber`], the same quantities.
    pub fn modified_wavenumber(self, w: f64) -> f64 {
        self.wavenumber_curve()(w)
    }

    /// [`Self::modified_wavenumber`] as a function, the weights computed once (they are exact
    /// rationals, slow to derive in a debug build).
    pub fn wavenumber_curve(self) -> Box<dyn Fn(f64) -> f64> {
        if let Some(s) = self.compact_scheme() {
            return Box::new(move |w| s.modified_wavenumber(w));
        }
        let c = self.explicit_stencil().unwrap();
        let taps = move |wave: fn(f64) -> f64, w: f64| -> f64 {
            c.offsets
                .iter()
                .zip(&c.weights)
                .map(|(&j, &c)| c * wave(j as f64 * w))
                .sum()
        };
        match self.derivative() {
            1 => Box::new(move |w| taps(f64::sin, w)),
            2 => Box::new(move |w| -taps(f64::cos, w)),
            m => panic!("derivative {m}: the study has the first and second"),
        }
    }

    /// The same, measured by the crate on a periodic grid of `n` points, `w = 2π k / n`, read
    /// at `j = 0`: the derivative of `sin(w j)` (where `cos(w j) = 1`), or minus the second
    /// derivative of `cos(w j)` (where `cos(w j) = 1`).
    pub fn measured_wavenumber(self, n: usize, k: usize) -> f64 {
        let w = 2.0 * std::f64::consts::PI * k as f64 / n as f64;
        let wave = if self.derivative() == 1 { f64::sin } else { f64::cos };
        let f = Array1::from_shape_fn(n, |j| wave(w * j as f64));
        let opts = GradientOptions::new().periodic(Axis(0));
        let d = match self.compact_scheme() {
            Some(s) => s.apply(&f, Axis(0), &opts).unwrap(),
            None => f
                .gradient_axis_with(Axis(0), &opts.accuracy(self.accuracy()).derivative(self.derivative()))
                .unwrap(),
        };
        if self.derivative() == 1 { d[0] } else { -d[0] }
    }

    /// The fraction of `[0, π]` resolved: the first sampled `w` (of 20001 evenly spaced) where
    /// the relative error `|w′ − w| / w` (or `|w″ − w²| / w²`) exceeds [`RESOLVED`], over π.
    pub fn efficiency(self) -> f64 {
        let samples = 20_000;
        let step = std::f64::consts::PI / samples as f64;
        let curve = self.wavenumber_curve();
        let m = self.derivative();
        (1..=samples)
            .map(|i| i as f64 * step)
            .find(|&w| {
                let exact = exact_wavenumber(m, w);
                (curve(w) - exact).abs() > RESOLVED * exact
            })
            .map_or(1.0, |w| (w - step) / std::f64::consts::PI)
    }
}

/// The resolving-power table (Markdown) of the `derivative`-th derivative: each scheme's
/// widths, accuracy, resolving efficiency and the modified wavenumber at a wave of four points
/// per wavelength (`w = π/2`).
pub fn resolving_table(derivative: usize) -> String {
    let symbol = modified_symbol(derivative);
    let exact = exact_wavenumber(derivative, std::f64::consts::FRAC_PI_2);
    let mut s = format!(
        "| scheme | points read per output | left-hand points | accuracy | resolved fraction of [0, π] (ε = 10⁻³) | {symbol} at w = π/2 (exact {exact:.3}) |\n|---|---|---|---|---|---|\n",
    );
    for r in resolvers(derivative) {
        s += &format!(
            "| {} | {} | {} | {} | {:.3} | {:.4} |\n",
            r.name(),
            r.width(),
            r.lhs_points(),
            r.accuracy(),
            r.efficiency(),
            r.modified_wavenumber(std::f64::consts::FRAC_PI_2)
        );
    }
    s
}

/// The file name of the resolving-power picture of the `derivative`-th derivative.
pub fn resolving_picture(derivative: usize) -> &'static str {
    match derivative {
        1 => "edge_order_study_resolving.png",
        2 => "edge_order_study_resolving_second.png",
        _ => panic!("derivative {derivative}: the study has the first and second"),
    }
}

/// The modified wavenumber against `w` on `[0, π]` for every scheme of
/// [`resolvers(derivative)`] (explicit dashed, compact solid, one colour per right-hand
/// width), with the exact derivative's `w′ = w` or `w″ = w²`.
pub fn render_resolving(derivative: usize, path: &Path) -> common::Result {
    use std::f64::consts::PI;
    let colour = |width: usize| match width {
        3 => RGBColor(214, 39, 40),
        5 => RGBColor(31, 119, 180),
        _ => RGBColor(44, 160, 44),
    };
    let symbol = modified_symbol(derivative);
    let (title, y_desc, exact_label) = match derivative {
        1 => (
            "Resolving power of first-derivative schemes (dashed explicit, solid compact)",
            "modified wavenumber w′ = k′·h  (radians per step)".to_string(),
            "exact derivative: w′ = w",
        ),
        _ => (
            "Resolving power of second-derivative schemes (dashed explicit, solid compact)",
            format!("modified wavenumber {symbol} = k″·h²  (radians² per step²)"),
            "exact second derivative: w″ = w²",
        ),
    };
    let top = exact_wavenumber(derivative, PI);
    let samples = 400;
    let exact: Vec<(f64, f64)> = (0..=samples)
        .map(|i| {
            let w = PI * i as f64 / samples as f64;
            (w, exact_wavenumber(derivative, w))
        })
        .collect();
    common::save_figure(path, (1000, 760), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, common::TITLE)
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..PI, 0.0..top)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_desc("scaled wavenumber w = k·h  (radians per grid step; π = 2 points per wave)")
            .y_desc(y_desc)
            .x_label_formatter(&|v| format!("{v:.1}"))
            // w″ reaches π² ≈ 9.87: whole numbers.
            .y_label_formatter(&|v| {
                if derivative == 1 {
                    format!("{v:.1}")
                } else {
                    format!("{v:.0}")
                }
            })
            .label_style(TICKS)
            .axis_desc_style(LABEL)
            .draw()?;
        chart
            .draw_series(LineSeries::new(exact, BLACK.stroke_width(1)))?
            .label(exact_label)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1)));
        for r in resolvers(derivative) {
            let c = colour(r.width());
            let style = c.stroke_width(2);
            let curve = r.wavenumber_curve();
            let pts: Vec<(f64, f64)> = (0..=samples)
                .map(|i| {
                    let w = PI * i as f64 / samples as f64;
                    (w, curve(w))
                })
                .collect();
            let label = format!(
                "{} points: {} ({:.0} % resolved)",
                r.width(),
                r.name(),
                100.0 * r.efficiency()
            );
            if r.compact_scheme().is_some() {
                let thick = c.stroke_width(if r.lhs_points() == 5 { 4 } else { 2 });
                chart
                    .draw_series(LineSeries::new(pts, thick))?
                    .label(label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], thick));
            } else {
                chart
                    .draw_series(DashedLineSeries::new(pts, 8, 5, style))?
                    .label(label)
                    .legend(move |(x, y)| {
                        EmptyElement::at((x, y))
                            + PathElement::new(vec![(0, 0), (8, 0)], style)
                            + PathElement::new(vec![(12, 0), (20, 0)], style)
                    });
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(TICKS)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;
        Ok(())
    })
}
