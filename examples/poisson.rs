//! A 2-D Poisson problem with a known solution, solved at accuracy 2, 4 and 6: the error falls
//! as hᵖ, and the 512² problem is timed.
//!
//! `Δu = f` on the unit square with Dirichlet values on three sides and a Neumann condition
//! (`∂u/∂x` given) on the side `x = 0`, where `u = sin(πx) cos(2πy) + x y² + eˣ` is the
//! manufactured solution (`f = Δu`). findiff's version:
//!
//! ```python
//! L = Diff(0, h, acc=p)**2 + Diff(1, h, acc=p)**2
//! bc = BoundaryConditions(shape)
//! bc[1:, 0] = u; bc[1:, -1] = u; bc[-1, :] = u        # Dirichlet
//! bc[0, :] = (Diff(0, h, acc=p), ux)                   # Neumann on x = 0
//! v = PDE(L, f, bc).solve()
//! ```
//!
//! Here: `(∂₀² + ∂₁²).solve(&f, &bc, &opts)`, the system built by the crate from the same
//! stencils it applies and factorised by faer's sparse LU.
//!
//! Checked (asserted): the observed order of the maximum error between successive grids is at
//! least the accuracy order (less 0.3). At accuracy 4 and 6 it is higher on these grids (about
//! 5.7 and 7.5, as with findiff, whose errors are the same to three digits): the error there is
//! still dominated by terms of higher order near the boundary. Writes `target/examples-out/poisson.png`: the solution,
//! its error at accuracy 4, and the convergence of all three.
//! Run with `cargo run --release --features sparse --example poisson`.

mod common;

use std::f64::consts::PI;
use std::path::Path;
use std::time::Instant;

use ndarray::{Array2, Axis, s};
use ndarray_gradient::{BoundaryConditions, GradientOptions, Operator};
use plotters::prelude::*;

/// The manufactured solution.
pub fn exact(x: f64, y: f64) -> f64 {
    (PI * x).sin() * (2.0 * PI * y).cos() + x * y * y + x.exp()
}

/// `∂u/∂x`, the Neumann value on `x = 0`.
fn exact_x(x: f64, y: f64) -> f64 {
    PI * (PI * x).cos() * (2.0 * PI * y).cos() + y * y + x.exp()
}

/// `Δu`, the right-hand side.
fn laplacian_of_exact(x: f64, y: f64) -> f64 {
    -5.0 * PI * PI * (PI * x).sin() * (2.0 * PI * y).cos() + 2.0 * x + x.exp()
}

/// One solve on `n × n` points at accuracy `p`: the solution and its largest error.
pub struct Solution {
    pub n: usize,
    pub accuracy: usize,
    pub u: Array2<f64>,
    pub max_error: f64,
    pub seconds: f64,
}

pub fn solve(n: usize, accuracy: usize) -> Solution {
    let h = 1.0 / (n - 1) as f64;
    let grid = |f: fn(f64, f64) -> f64| Array2::from_shape_fn((n, n), |(i, j)| f(i as f64 * h, j as f64 * h));
    let (u, ux, f) = (grid(exact), grid(exact_x), grid(laplacian_of_exact));
    let start = Instant::now();
    let lap = Operator::derivative(Axis(0), 2) + Operator::derivative(Axis(1), 2);
    let bc = BoundaryConditions::new()
        .dirichlet(s![1.., 0], &u)
        .dirichlet(s![1.., -1], &u)
        .dirichlet(s![-1, ..], &u)
        .neumann(s![0, ..], Operator::derivative(Axis(0), 1), &ux);
    let opts = GradientOptions::new().spacing(h).accuracy(accuracy);
    let v = lap.solve(&f, &bc, &opts).expect("a well-posed problem");
    let seconds = start.elapsed().as_secs_f64();
    let max_error = (&v - &u).iter().fold(0.0f64, |m, e| m.max(e.abs()));
    Solution {
        n,
        accuracy,
        u: v,
        max_error,
        seconds,
    }
}

/// The grids of the convergence study: fine enough to be in the asymptotic range, coarse
/// enough that accuracy 6 stays above the solve's rounding.
pub const SIZES: [usize; 4] = [17, 33, 65, 129];
pub const ACCURACIES: [usize; 3] = [2, 4, 6];

/// `table[a][k]`: the solve at `ACCURACIES[a]` on `sizes[k]`.
pub fn convergence(sizes: &[usize]) -> Vec<Vec<Solution>> {
    ACCURACIES
        .iter()
        .map(|&p| sizes.iter().map(|&n| solve(n, p)).collect())
        .collect()
}

/// Every observed order between successive grids is at least the accuracy order less 0.3.
pub fn check_orders(table: &[Vec<Solution>]) {
    for (row, p) in table.iter().zip(ACCURACIES) {
        for pair in row.windows(2) {
            let q = order(pair[0].max_error, pair[1].max_error);
            assert!(
                q > p as f64 - 0.3,
                "accuracy {p}: observed order {q:.2} between {}² and {}²",
                pair[0].n,
                pair[1].n
            );
        }
    }
}

/// The observed order between two grids whose spacings differ by a factor of 2.
pub fn order(coarse: f64, fine: f64) -> f64 {
    (coarse / fine).log2()
}

fn main() {
    let table = convergence(&SIZES);
    println!("Poisson on the unit square, max |u - u_exact| (observed order between grids):");
    print!("| points |");
    for p in ACCURACIES {
        print!(" accuracy {p} |");
    }
    println!();
    println!("|---|{}", "---|".repeat(ACCURACIES.len()));
    for (k, n) in SIZES.iter().enumerate() {
        print!("| {n}² |");
        for row in &table {
            let e = row[k].max_error;
            if k == 0 {
                print!(" {e:.2e} |");
            } else {
                print!(" {e:.2e} ({:.2}) |", order(row[k - 1].max_error, e));
            }
        }
        println!();
    }
    check_orders(&table);

    let big = solve(513, 2);
    println!(
        "513² points (262,144 unknowns), accuracy 2: solved in {:.2} s, max error {:.2e}",
        big.seconds, big.max_error
    );

    let path = common::out_dir().join("poisson.png");
    render(&table, &path).unwrap();
    println!("wrote {}", path.display());
}

/// The solution and its error at accuracy 4 on the finest grid of `table`, and the error
/// against the spacing for every accuracy (log-log, with hᵖ guides).
pub fn render(table: &[Vec<Solution>], path: &Path) -> common::Result {
    let finest = table[1].last().expect("at least one grid");
    let sizes: Vec<usize> = table[0].iter().map(|s| s.n).collect();
    let n = finest.n;
    let h = 1.0 / (n - 1) as f64;
    let centres: Vec<f64> = (0..n).map(|k| k as f64 * h).collect();
    let edges = common::edges(&centres);
    let (lo, hi) = finest.u.fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let error = Array2::from_shape_fn((n, n), |(i, j)| {
        (finest.u[[i, j]] - exact(i as f64 * h, j as f64 * h)).abs()
    });
    let e_hi = error.fold(0.0f64, |m, &v| m.max(v));
    // The colour bar in units of a power of ten, so that its numbers read.
    let unit = 10f64.powf(e_hi.log10().floor());
    common::save_figure(path, (1650, 480), |root| {
        let panels = root.split_evenly((1, 3));
        // The grid's axis 0 is x (horizontal), axis 1 is y (vertical): cell (row, column) of the
        // picture is (y index, x index).
        common::heatmap(
            &panels[0],
            &format!("Solution u, {n}² points, accuracy 4"),
            ("x / L", "y / L"),
            &edges,
            (&edges, false),
            |i, j| common::colour(colorous::VIRIDIS, (finest.u[[j, i]] - lo) / (hi - lo)),
            (&|t| common::colour(colorous::VIRIDIS, t), (lo, hi), "u (dimensionless)"),
        )?;
        common::heatmap(
            &panels[1],
            "Error |u − u_exact|, accuracy 4",
            ("x / L", "y / L"),
            &edges,
            (&edges, false),
            |i, j| common::colour(colorous::INFERNO, error[[j, i]] / e_hi),
            (
                &|t| common::colour(colorous::INFERNO, t),
                (0.0, e_hi / unit),
                &format!("absolute error ({} units of u)", common::power_of_ten(unit)),
            ),
        )?;
        // Across: log₂(1 / h), so that the study's spacings 1/16 … 1/128 are evenly spaced ticks.
        let across = |n: usize| ((n - 1) as f64).log2();
        let (h_lo, h_hi) = (across(sizes[0]) - 0.4, across(sizes[sizes.len() - 1]) + 0.4);
        let all: Vec<f64> = table.iter().flatten().map(|s| s.max_error).collect();
        let e_lo = all.iter().fold(f64::MAX, |m, &v| m.min(v)) / 10.0;
        let e_top = all.iter().fold(0.0f64, |m, &v| m.max(v)) * 10.0;
        let mut chart = ChartBuilder::on(&panels[2])
            .caption("Convergence: max error against h", common::TITLE)
            .margin(8)
            .margin_right(24)
            .x_label_area_size(46)
            .y_label_area_size(70)
            .build_cartesian_2d(h_lo..h_hi, (e_lo..e_top).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("grid spacing h / L (log scale)")
            .x_labels(5)
            .y_desc("max |u − u_exact| (units of u)")
            .light_line_style(WHITE.mix(0.0))
            .x_label_formatter(&|v| {
                if (v - v.round()).abs() < 1e-6 {
                    format!("1/{}", 2f64.powf(v.round()))
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| common::power_of_ten(*v))
            .label_style(common::TICKS)
            .axis_desc_style(common::LABEL)
            .draw()?;
        let colours = [RGBColor(31, 119, 180), RGBColor(214, 39, 40), RGBColor(44, 160, 44)];
        for ((row, p), colour) in table.iter().zip(ACCURACIES).zip(colours) {
            let points: Vec<(f64, f64)> = row.iter().map(|s| (across(s.n), s.max_error)).collect();
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))?
                .label(format!("accuracy {p} (dashed: h{})", ['²', '⁴', '⁶'][p / 2 - 1]))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
            chart.draw_series(points.iter().map(|&c| Circle::new(c, 4, colour.filled())))?;
            // The guide C·hᵖ through the coarsest point.
            let (h0, e0) = points[0];
            let guide: Vec<(f64, f64)> = points
                .iter()
                .map(|&(a, _)| (a, e0 * 2f64.powf(-(a - h0) * p as f64)))
                .collect();
            chart.draw_series(DashedLineSeries::new(guide, 6, 4, colour.mix(0.6).stroke_width(1)))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(common::TICKS)
            .draw()?;
        Ok(())
    })
}
