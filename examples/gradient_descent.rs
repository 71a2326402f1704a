//! Gradient descent on a sampled function: the Rosenbrock function
//! `f(x, y) = (1 - x)² + 100 (y - x²)²` tabulated on a grid, its numerical gradient from
//! `gradient_with` (a different spacing per axis), and a descent that follows the bilinearly
//! interpolated numerical gradient from (-1.2, 1) down the curved valley to the minimum (1, 1).
//!
//! Replaces this NumPy code:
//!
//! ```python
//! x, y = np.linspace(-2, 2, 801), np.linspace(-1, 3, 641)
//! f = (1 - x) ** 2 + 100 * (y[:, None] - x ** 2) ** 2        # axis 0 = y, axis 1 = x
//! dfdy, dfdx = np.gradient(f, y[1] - y[0], x[1] - x[0])
//! # ... then descend with scipy.interpolate.RegularGridInterpolator((y, x), dfdx) etc.
//! ```
//!
//! Checks (asserted): at interior grid points the numerical gradient is the analytic one plus
//! the central-difference error `h²/6 ∂³f/∂x³ = 400 h² x` (exact for a quartic) in x, and exact
//! in y (f is quadratic in y); the descent ends near (1, 1), beside a descent that uses the
//! analytic gradient.
//!
//! Writes `target/examples-out/gradient_descent.png`: log10 f with the descent paths.
//! Run with `cargo run --release --example gradient_descent`.

mod common;

use std::path::Path;

use common::TICKS;
use ndarray::{Array1, Array2, Axis, s};
use ndarray_gradient::{ArrayGradientExt, GradientOptions};
use plotters::prelude::*;

pub const X: (f64, f64) = (-2.0, 2.0); // the grid's extent in x
pub const Y: (f64, f64) = (-1.0, 3.0);
pub const START: (f64, f64) = (-1.2, 1.0);
pub const RATE: f64 = 1e-3; // step size; stable while it is below 2 / (largest Hessian eigenvalue)
pub const STEPS: usize = 60_000;

pub fn rosenbrock(x: f64, y: f64) -> f64 {
    (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2)
}

pub fn rosenbrock_gradient(x: f64, y: f64) -> (f64, f64) {
    (-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x))
}

/// The function tabulated on an `ny × nx` grid, and its numerical gradient.
pub struct Sampled {
    pub x: Array1<f64>,
    pub y: Array1<f64>,
    pub f: Array2<f64>,
    pub dfdx: Array2<f64>,
    pub dfdy: Array2<f64>,
}

impl Sampled {
    pub fn new(nx: usize, ny: usize) -> Self {
        let x = Array1::linspace(X.0, X.1, nx);
        let y = Array1::linspace(Y.0, Y.1, ny);
        let f = Array2::from_shape_fn((ny, nx), |(i, j)| rosenbrock(x[j], y[i]));
        // dfdy, dfdx = np.gradient(f, hy, hx)
        let opts = GradientOptions::new()
            .axis_spacing(Axis(0), y[1] - y[0])
            .axis_spacing(Axis(1), x[1] - x[0]);
        let [dfdy, dfdx] = f.gradient_with(&opts).unwrap();
        Sampled { x, y, f, dfdx, dfdy }
    }

    /// The numerical gradient, bilinearly interpolated at `(px, py)`.
    pub fn gradient_at(&self, px: f64, py: f64) -> (f64, f64) {
        let cell = |c: &Array1<f64>, v: f64| {
            let t = ((v - c[0]) / (c[1] - c[0])).clamp(0.0, (c.len() - 1) as f64);
            let k = (t as usize).min(c.len() - 2);
            (k, t - k as f64)
        };
        let ((j, tx), (i, ty)) = (cell(&self.x, px), cell(&self.y, py));
        let lerp = |a: &Array2<f64>| {
            let lower = a[[i, j]] * (1.0 - tx) + a[[i, j + 1]] * tx;
            let upper = a[[i + 1, j]] * (1.0 - tx) + a[[i + 1, j + 1]] * tx;
            lower * (1.0 - ty) + upper * ty
        };
        (lerp(&self.dfdx), lerp(&self.dfdy))
    }
}

/// The numerical gradient's error at interior points: the largest error in df/dx, its
/// prediction `400 hx² max|x|`, what is left after removing `400 hx² x`, and the largest error
/// in df/dy.
#[derive(Clone, Copy, Debug)]
pub struct InteriorErrors {
    pub dfdx: f64,
    pub predicted: f64,
    pub residual: f64,
    pub dfdy: f64,
}

pub fn interior_errors(grid: &Sampled) -> InteriorErrors {
    let (x, y) = (&grid.x, &grid.y);
    let hx = x[1] - x[0];
    let (mut err_x, mut err_y, mut residual) = (0.0f64, 0.0f64, 0.0f64);
    let (ny, nx) = grid.f.dim();
    for ((i, j), &gx) in grid.dfdx.slice(s![1..ny - 1, 1..nx - 1]).indexed_iter() {
        let (i, j) = (i + 1, j + 1);
        let (ax, ay) = rosenbrock_gradient(x[j], y[i]);
        err_x = err_x.max((gx - ax).abs());
        err_y = err_y.max((grid.dfdy[[i, j]] - ay).abs());
        residual = residual.max((gx - ax - 400.0 * hx * hx * x[j]).abs());
    }
    let predicted = 400.0 * hx * hx * x[1].abs().max(x[nx - 2].abs()); // largest interior |x|
    InteriorErrors {
        dfdx: err_x,
        predicted,
        residual,
        dfdy: err_y,
    }
}

/// Where the descent on the grid's interpolated numerical gradient ends, and its distance to
/// the minimum (1, 1).
pub fn descent_miss(grid: &Sampled) -> ((f64, f64), f64) {
    let end = *descend(|px, py| grid.gradient_at(px, py)).last().unwrap();
    (end, (end.0 - 1.0).hypot(end.1 - 1.0))
}

fn main() {
    let fine = Sampled::new(801, 641);
    let (hx, hy) = (fine.x[1] - fine.x[0], fine.y[1] - fine.y[0]);

    // Check 1: the numerical gradient's error at interior points is the predicted O(h²) term.
    let e = interior_errors(&fine);
    println!(
        "numerical vs analytic gradient, interior of the {}x{} grid (hx = {hx:.5}, hy = {hy:.5}):",
        fine.x.len(),
        fine.y.len()
    );
    println!(
        "  max |error| in df/dx: {:.6}   predicted 400 hx² max|x| = {:.6}",
        e.dfdx, e.predicted
    );
    println!(
        "  after removing the predicted 400 hx² x: {:.1e}   (rounding)",
        e.residual
    );
    println!("  max |error| in df/dy: {:.1e}   (exact: f is quadratic in y)", e.dfdy);
    assert!((e.dfdx - e.predicted).abs() < 1e-9 && e.residual < 1e-9 && e.dfdy < 1e-9);

    // Check 2: descend along the interpolated numerical gradient on a coarse and the fine grid.
    // The valley floor is nearly flat (f = (1 - x)² along y = x²), so the O(h²) gradient error
    // moves the end point by O(h²) too: halving h should bring it about 4x closer to (1, 1).
    println!("gradient descent from {START:?}, {STEPS} steps of {RATE}:");
    let coarse = Sampled::new(401, 321);
    let mut misses = vec![];
    for grid in [&coarse, &fine] {
        let (end, miss) = descent_miss(grid);
        let f_end = rosenbrock(end.0, end.1);
        println!(
            "  {}x{} grid: ends at ({:.4}, {:.4}), f = {f_end:.1e}, distance to the minimum (1, 1) {miss:.4}",
            grid.x.len(),
            grid.y.len(),
            end.0,
            end.1
        );
        misses.push(miss);
    }
    let exact = *descend(rosenbrock_gradient).last().unwrap();
    println!("  analytic gradient: ends at ({:.4}, {:.4})", exact.0, exact.1);
    println!(
        "  distance ratio coarse/fine: {:.2} (4 for O(h²))",
        misses[0] / misses[1]
    );
    assert!(misses[1] < 0.02, "did not reach the minimum");
    assert!(misses[0] / misses[1] > 3.0, "the end point does not converge as O(h²)");

    let path = common::out_dir().join("gradient_descent.png");
    render(&fine, &path).unwrap();
    println!("wrote {}", path.display());
}

/// `STEPS` steps of `p -= RATE * grad(p)` from `START`; every point visited.
pub fn descend(grad: impl Fn(f64, f64) -> (f64, f64)) -> Vec<(f64, f64)> {
    let mut p = START;
    let mut path = vec![p];
    for _ in 0..STEPS {
        let (gx, gy) = grad(p.0, p.1);
        p = (p.0 - RATE * gx, p.1 - RATE * gy);
        path.push(p);
    }
    path
}

/// log10 f as a heat map (y up), the descent paths with the numerical and the analytic
/// gradient, the start and the minimum.
pub fn render(grid: &Sampled, path: &Path) -> common::Result {
    // Every `stride`-th grid point is a cell of the picture: about 400 cells across.
    let stride = (grid.x.len() / 400).max(1);
    let xs: Vec<f64> = grid.x.iter().step_by(stride).copied().collect();
    let ys: Vec<f64> = grid.y.iter().step_by(stride).copied().collect();
    let log_f = grid.f.slice(s![..;stride, ..;stride]).mapv(|v| (v + 1e-3).log10());
    let (lo, hi) = (-3.0, log_f.fold(0.0f64, |a, &b| a.max(b)));
    let viridis = |t: f64| common::colour(colorous::VIRIDIS, t);
    let numerical: Vec<(f64, f64)> = descend(|px, py| grid.gradient_at(px, py))
        .into_iter()
        .step_by(50)
        .collect();
    let analytic: Vec<(f64, f64)> = descend(rosenbrock_gradient).into_iter().step_by(50).collect();
    common::save_figure(path, (900, 760), |root| {
        let mut chart = common::heatmap(
            root,
            &format!(
                "Gradient descent on the Rosenbrock function, {} × {} grid",
                grid.x.len(),
                grid.y.len()
            ),
            ("x", "y"),
            &common::edges(&xs),
            (&common::edges(&ys), false),
            |i, j| viridis((log_f[[i, j]] - lo) / (hi - lo)),
            (&viridis, (lo, hi), "log₁₀(f + 10⁻³), f dimensionless"),
        )?;
        let white = WHITE.stroke_width(3);
        chart
            .draw_series(LineSeries::new(numerical.iter().copied(), white))?
            .label(format!("{STEPS} steps on the numerical gradient"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], white));
        let red = RGBColor(240, 60, 60);
        chart
            .draw_series(DashedLineSeries::new(
                analytic.iter().copied(),
                8,
                6,
                red.stroke_width(2),
            ))?
            .label("same steps on the analytic gradient")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red.stroke_width(2)));
        chart
            .draw_series([Circle::new(START, 7, WHITE.filled())])?
            .label(format!("start ({}, {})", START.0, START.1))
            .legend(|(x, y)| Circle::new((x + 10, y), 5, WHITE.filled()));
        chart
            .draw_series([TriangleMarker::new((1.0, 1.0), 9, RGBColor(255, 200, 0).filled())])?
            .label("minimum (1, 1)")
            .legend(|(x, y)| TriangleMarker::new((x + 10, y), 6, RGBColor(255, 200, 0).filled()));
        chart
            .configure_series_labels()
            .background_style(BLACK.mix(0.6))
            .label_font(TICKS.into_font().color(&WHITE))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;
        Ok(())
    })
}
