//! How accurate is `np.gradient`, at the edges and inside, with edge order 1 and 2? A smooth
//! function, `f(x) = exp(sin 3x)` on `[0, 2]`, sampled on N = 10 … 10⁵ points, evenly and on a
//! stretched grid given as coordinates; the largest error at the two end points and at the
//! interior points, the observed order of convergence, and the time per call.
//!
//! Replaces this NumPy study:
//!
//! ```python
//! for n in [10, 100, 1000, 10_000, 100_000]:
//!     x = np.linspace(0, 2, n)
//!     for edge_order in (1, 2):
//!         err = np.abs(np.gradient(f(x), x, edge_order=edge_order) - df(x))
//!         print(n, edge_order, max(err[0], err[-1]), err[1:-1].max())
//! ```
//!
//! Checks (asserted): the edge error falls as N⁻¹ with edge order 1 and as N⁻² with edge order
//! 2, the interior error as N⁻² whatever the edge order, on both grids; the interior values do
//! not depend on the edge order.
//!
//! Prints the table (Markdown) and writes `target/examples-out/edge_order_study.png`, the errors
//! against N on log-log axes with the slopes marked. Run with
//! `cargo run --release --example edge_order_study`.

mod common;

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use common::{LABEL, TICKS};
use ndarray::{Array1, Axis};
use ndarray_gradient::{ArrayGradientExt, EdgeOrder, GradientOptions};
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

/// One N: the largest error at the edges (edge order 1, 2), in the interior (the same for
/// both), and the time per call in nanoseconds (edge order 1, 2).
#[derive(Clone, Copy, Debug)]
pub struct Row {
    pub n: usize,
    pub edges: [f64; 2],
    pub interior: f64,
    pub nanos: [f64; 2],
}

/// Measures one N on `grid`; `timing` takes the median time of repeated calls (off: 0).
pub fn measure(grid: Grid, n: usize, timing: bool) -> Row {
    let x = grid.points(n);
    let y = x.mapv(f);
    let exact = x.mapv(df);
    let opts = |order| match grid {
        Grid::Even => GradientOptions::new().spacing(x[1] - x[0]).edge_order(order),
        Grid::Stretched => GradientOptions::new().coordinates(Axis(0), &x).edge_order(order),
    };
    let mut edges = [0.0; 2];
    let mut interior = [0.0; 2];
    let mut nanos = [0.0; 2];
    let mut inner = vec![];
    for (k, order) in [EdgeOrder::First, EdgeOrder::Second].into_iter().enumerate() {
        let o = opts(order);
        let g = y.gradient_axis_with(Axis(0), &o).unwrap();
        let err = (&g - &exact).mapv(f64::abs);
        edges[k] = err[0].max(err[n - 1]);
        interior[k] = err.slice(ndarray::s![1..n - 1]).fold(0.0f64, |a, &b| a.max(b));
        inner.push(g.slice(ndarray::s![1..n - 1]).to_owned());
        if timing {
            nanos[k] = time_per_call(|| {
                black_box(black_box(&y).gradient_axis_with(Axis(0), &o).unwrap());
            });
        }
    }
    assert_eq!(inner[0], inner[1], "interior values depend on the edge order");
    Row {
        n,
        edges,
        interior: interior[0],
        nanos,
    }
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

/// The observed order between consecutive rows: `-log(e₂/e₁) / log(h₂/h₁)` with `h ∝ 1/(N−1)`,
/// for the edges (order 1, 2) and the interior.
pub fn orders(rows: &[Row]) -> Vec<[f64; 3]> {
    rows.windows(2)
        .map(|w| {
            let ratio = ((w[1].n - 1) as f64 / (w[0].n - 1) as f64).ln();
            let p = |a: f64, b: f64| (a / b).ln() / ratio;
            [
                p(w[0].edges[0], w[1].edges[0]),
                p(w[0].edges[1], w[1].edges[1]),
                p(w[0].interior, w[1].interior),
            ]
        })
        .collect()
}

/// The table, in Markdown.
pub fn table(grid: Grid, rows: &[Row]) -> String {
    let ord = orders(rows);
    let mut s = format!(
        "{} grid, `f(x) = exp(sin 3x)` on [0, 2]:\n\n\
         | N | edges, edge order 1 | edges, edge order 2 | interior (both) | order: edges 1 / edges 2 / interior | µs per call, edge order 1 / 2 |\n\
         |---:|---:|---:|---:|:---:|---:|\n",
        match grid {
            Grid::Even => "Even",
            Grid::Stretched => "Stretched (coordinates)",
        }
    );
    for (k, r) in rows.iter().enumerate() {
        let order = if k == 0 {
            "—".to_string()
        } else {
            let o = ord[k - 1];
            format!("{:.2} / {:.2} / {:.2}", o[0], o[1], o[2])
        };
        s += &format!(
            "| {} | {:.2e} | {:.2e} | {:.2e} | {order} | {:.3} / {:.3} |\n",
            r.n,
            r.edges[0],
            r.edges[1],
            r.interior,
            r.nanos[0] / 1e3,
            r.nanos[1] / 1e3
        );
    }
    s
}

/// The decades 10 … 10⁵ and the quarter-decades between them (for the plot).
pub fn sizes(max_exponent: u32) -> Vec<usize> {
    (4..=4 * max_exponent)
        .map(|q| 10f64.powf(f64::from(q) / 4.0).round() as usize)
        .collect()
}

fn main() {
    let mut all = vec![];
    for grid in [Grid::Even, Grid::Stretched] {
        let rows: Vec<Row> = sizes(5).into_iter().map(|n| measure(grid, n, true)).collect();
        let decades: Vec<Row> = rows
            .iter()
            .copied()
            .filter(|r| [10, 100, 1000, 10_000, 100_000].contains(&r.n))
            .collect();
        println!("{}", table(grid, &decades));
        // Between N = 100 and 10⁴, well before rounding errors show.
        for o in &orders(&decades)[1..3] {
            assert!((o[0] - 1.0).abs() < 0.1, "edge order 1 is not first order: {o:?}");
            assert!((o[1] - 2.0).abs() < 0.1, "edge order 2 is not second order: {o:?}");
            assert!((o[2] - 2.0).abs() < 0.1, "interior is not second order: {o:?}");
        }
        all.push((grid, rows));
    }
    let path = common::out_dir().join("edge_order_study.png");
    render(&all, &path).unwrap();
    println!("wrote {}", path.display());
}

/// Errors against N on log-log axes for both grids, with reference slopes N⁻¹ and N⁻².
pub fn render(all: &[(Grid, Vec<Row>)], path: &Path) -> common::Result {
    let values = all
        .iter()
        .flat_map(|(_, rows)| rows.iter().flat_map(|r| [r.edges[0], r.edges[1], r.interior]));
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
    let n_max = all[0].1.last().unwrap().n as f64;
    common::save_figure(path, (1000, 700), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("np.gradient error against the number of points N", common::TITLE)
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
        let colours = [RGBColor(214, 39, 40), RGBColor(31, 119, 180), RGBColor(44, 160, 44)];
        let names = [
            "edges, edge order 1",
            "edges, edge order 2",
            "interior (both edge orders)",
        ];
        for (grid, rows) in all {
            let dashed = *grid == Grid::Stretched;
            for (k, (&colour, name)) in colours.iter().zip(names).enumerate() {
                let pts: Vec<(f64, f64)> = rows
                    .iter()
                    .map(|r| (r.n as f64, [r.edges[0], r.edges[1], r.interior][k]))
                    .collect();
                let style = colour.stroke_width(2);
                let label = format!("{name}, {}", if dashed { "stretched grid" } else { "even grid" });
                let series = if dashed {
                    chart.draw_series(DashedLineSeries::new(pts.iter().copied(), 8, 5, style))?
                } else {
                    chart.draw_series(LineSeries::new(pts.iter().copied(), style))?
                };
                if dashed {
                    series.label(label).legend(move |(x, y)| {
                        EmptyElement::at((x, y))
                            + PathElement::new(vec![(0, 0), (8, 0)], style)
                            + PathElement::new(vec![(12, 0), (20, 0)], style)
                    });
                } else {
                    series
                        .label(label)
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
                }
                chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
            }
        }
        // Reference slopes, drawn through the even grid's edge-order-1 and interior errors at N = 100.
        let even = &all[0].1;
        let at = |n: usize| even.iter().find(|r| r.n == n).unwrap();
        for (slope, anchor, text, below) in [
            (1.0, at(100).edges[0] * 2.5, "slope −1 (error ∝ 1/N)", false),
            (2.0, at(100).edges[1] / 12.0, "slope −2 (error ∝ 1/N²)", true),
        ] {
            let line = |n: f64| anchor * (100.0 / n).powf(slope);
            chart.draw_series(DashedLineSeries::new(
                [(30.0, line(30.0)), (3e4, line(3e4))],
                4,
                4,
                BLACK.stroke_width(1),
            ))?;
            let (tx, ty) = (3e3, line(3e3));
            let offset = if below { (-170, 6) } else { (6, -22) };
            chart.draw_series([EmptyElement::at((tx, ty)) + Text::new(text, offset, TICKS.into_font())])?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(TICKS)
            .position(SeriesLabelPosition::LowerLeft)
            .draw()?;
        Ok(())
    })
}
