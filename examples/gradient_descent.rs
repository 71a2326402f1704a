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
//! Writes `target/examples-out/gradient_descent.png`: log10 f with the path.
//! Run with `cargo run --release --example gradient_descent`.

mod common;

use common::{Image, RED, WHITE, viridis};
use ndarray::{Array1, Array2, Axis, s};
use ndarray_gradient::{ArrayGradientExt, GradientOptions};

const X: (f64, f64) = (-2.0, 2.0); // the grid's extent in x
const Y: (f64, f64) = (-1.0, 3.0);
const START: (f64, f64) = (-1.2, 1.0);
const RATE: f64 = 1e-3; // step size; stable while it is below 2 / (largest Hessian eigenvalue)
const STEPS: usize = 60_000;

fn rosenbrock(x: f64, y: f64) -> f64 {
    (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2)
}

fn rosenbrock_gradient(x: f64, y: f64) -> (f64, f64) {
    (-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x))
}

/// The function tabulated on an `ny × nx` grid, and its numerical gradient.
struct Sampled {
    x: Array1<f64>,
    y: Array1<f64>,
    f: Array2<f64>,
    dfdx: Array2<f64>,
    dfdy: Array2<f64>,
}

impl Sampled {
    fn new(nx: usize, ny: usize) -> Self {
        let x = Array1::linspace(X.0, X.1, nx);
        let y = Array1::linspace(Y.0, Y.1, ny);
        let f = Array2::from_shape_fn((ny, nx), |(i, j)| rosenbrock(x[j], y[i]));
        // dfdy, dfdx = np.gradient(f, hy, hx)
        let opts = GradientOptions::new()
            .axis_spacing(Axis(0), y[1] - y[0])
            .axis_spacing(Axis(1), x[1] - x[0]);
        let mut g = f.gradient_with(&opts).unwrap();
        let (dfdx, dfdy) = (g.pop().unwrap(), g.pop().unwrap());
        Sampled { x, y, f, dfdx, dfdy }
    }

    /// The numerical gradient, bilinearly interpolated at `(px, py)`.
    fn gradient_at(&self, px: f64, py: f64) -> (f64, f64) {
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

fn main() {
    let fine = Sampled::new(801, 641);
    let (x, y) = (&fine.x, &fine.y);
    let (hx, hy) = (x[1] - x[0], y[1] - y[0]);

    // Check 1: the numerical gradient's error at interior points is the predicted O(h²) term.
    let (mut err_x, mut err_y, mut residual) = (0.0f64, 0.0f64, 0.0f64);
    let (ny, nx) = fine.f.dim();
    for ((i, j), &gx) in fine.dfdx.slice(s![1..ny - 1, 1..nx - 1]).indexed_iter() {
        let (i, j) = (i + 1, j + 1);
        let (ax, ay) = rosenbrock_gradient(x[j], y[i]);
        err_x = err_x.max((gx - ax).abs());
        err_y = err_y.max((fine.dfdy[[i, j]] - ay).abs());
        residual = residual.max((gx - ax - 400.0 * hx * hx * x[j]).abs());
    }
    let predicted = 400.0 * hx * hx * x[1].abs().max(x[nx - 2].abs()); // largest interior |x|
    println!(
        "numerical vs analytic gradient, interior of the {}x{} grid (hx = {hx:.5}, hy = {hy:.5}):",
        x.len(),
        y.len()
    );
    println!("  max |error| in df/dx: {err_x:.6}   predicted 400 hx² max|x| = {predicted:.6}");
    println!("  after removing the predicted 400 hx² x: {residual:.1e}   (rounding)");
    println!("  max |error| in df/dy: {err_y:.1e}   (exact: f is quadratic in y)");
    assert!((err_x - predicted).abs() < 1e-9 && residual < 1e-9 && err_y < 1e-9);

    // Check 2: descend along the interpolated numerical gradient on a coarse and the fine grid.
    // The valley floor is nearly flat (f = (1 - x)² along y = x²), so the O(h²) gradient error
    // moves the end point by O(h²) too: halving h should bring it about 4x closer to (1, 1).
    println!("gradient descent from {START:?}, {STEPS} steps of {RATE}:");
    let coarse = Sampled::new(401, 321);
    let mut misses = vec![];
    for grid in [&coarse, &fine] {
        let end = *descend(|px, py| grid.gradient_at(px, py)).last().unwrap();
        let miss = (end.0 - 1.0).hypot(end.1 - 1.0);
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

    let path = descend(|px, py| fine.gradient_at(px, py));
    let file = render(&fine, &path).save_png("gradient_descent.png").unwrap();
    println!("wrote {}", file.display());
}

/// `STEPS` steps of `p -= RATE * grad(p)` from `START`; every point visited.
fn descend(grad: impl Fn(f64, f64) -> (f64, f64)) -> Vec<(f64, f64)> {
    let mut p = START;
    let mut path = vec![p];
    for _ in 0..STEPS {
        let (gx, gy) = grad(p.0, p.1);
        p = (p.0 - RATE * gx, p.1 - RATE * gy);
        path.push(p);
    }
    path
}

/// log10(f) as a heat map (y up), the descent path in white, start and minimum in red.
fn render(grid: &Sampled, path: &[(f64, f64)]) -> Image {
    let (f, x, y) = (&grid.f, &grid.x, &grid.y);
    let size = 600;
    let log_f = f.mapv(|v| (v + 1e-3).log10());
    let (lo, hi) = (-3.0, log_f.fold(0.0f64, |a, &b| a.max(b)));
    let (nx, ny) = (x.len(), y.len());
    // Pixel (px, py) shows the nearest grid value; row 0 is the top (largest y).
    let mut img = Image::from_fn(size, size, |px, py| {
        let j = (px * nx) / size;
        let i = ny - 1 - (py * ny) / size;
        common::colour(log_f[[i, j]], lo, hi, viridis)
    });
    let to_pixel = |(px, py): (f64, f64)| {
        let u = (px - x[0]) / (x[nx - 1] - x[0]) * size as f64;
        let v = (y[ny - 1] - py) / (y[ny - 1] - y[0]) * size as f64;
        (u as i64, v as i64)
    };
    for pair in path.windows(2) {
        img.line(to_pixel(pair[0]), to_pixel(pair[1]), WHITE);
    }
    img.disc(to_pixel(START), 5, RED);
    img.disc(to_pixel((1.0, 1.0)), 5, RED);
    img.disc(to_pixel(*path.last().unwrap()), 2, WHITE);
    img.text(to_pixel(START).0 - 40, to_pixel(START).1 - 20, "START", 2, WHITE);
    img.text(
        to_pixel((1.0, 1.0)).0 + 10,
        to_pixel((1.0, 1.0)).1 + 8,
        "MIN (1,1)",
        2,
        WHITE,
    );
    img.titled("ROSENBROCK LOG10 F, DESCENT PATH")
        .with_colorbar(lo, hi, viridis)
}
