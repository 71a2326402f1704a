//! 2-D heat equation `∂u/∂t = κ ∇²u` on a periodic unit square, explicit Euler time steps,
//! the Laplacian built from two `gradient` passes per axis.
//!
//! Replaces this NumPy loop:
//!
//! ```python
//! for step in range(steps):
//!     up = np.pad(u, 2, mode="wrap")                      # periodic ghost cells
//!     lap = sum(np.gradient(np.gradient(up, h, axis=k), h, axis=k) for k in (0, 1))
//!     u = u + dt * kappa * lap[2:-2, 2:-2]
//! ```
//!
//! Two checks, both asserted:
//! - a single Fourier mode `cos(2πmx) cos(2πny)` decays at the analytic rate `κ 4π² (m² + n²)`
//!   (to the scheme's O(h²) + O(dt) error), and exactly as the discrete scheme predicts;
//! - the total heat of a field of hot spots is conserved (periodic boundaries).
//!
//! Writes `target/examples-out/heat_equation.png`: the hot spots at three times.
//! Run with `cargo run --release --example heat_equation`.

mod common;

use std::f64::consts::PI;

use common::{Image, inferno};
use ndarray::{Array2, Axis, s};
use ndarray_gradient::{ArrayGradientExt, GradientOptions};

const N: usize = 128; // grid points per side
const KAPPA: f64 = 1.0; // diffusivity
const H: f64 = 1.0 / N as f64; // grid spacing on the unit square
const DT: f64 = 0.25 * H * H / KAPPA; // stable: the two-pass Laplacian needs dt <= h²/κ

fn main() {
    // --- Check 1: decay of a Fourier mode --------------------------------------------------
    let (m, n) = (2.0, 1.0);
    let mode = Array2::from_shape_fn((N, N), |(i, j)| {
        (2.0 * PI * m * y(i)).cos() * (2.0 * PI * n * x(j)).cos()
    });
    let amplitude = |u: &Array2<f64>| (u * &mode).sum() / mode.mapv(|v| v * v).sum();
    let steps = 640;
    let mut u = mode.clone();
    for _ in 0..steps {
        step(&mut u);
    }
    let t = steps as f64 * DT;
    let measured = -amplitude(&u).ln() / t;
    let analytic = KAPPA * 4.0 * PI * PI * (m * m + n * n);
    // The scheme's own prediction: np.gradient twice is the wide stencil (u[i+2] - 2u[i] + u[i-2]) / 4h²,
    // whose eigenvalue for this mode is -(sin(2πmh)² + sin(2πnh)²) / h²; Euler multiplies by (1 + dt λ) per step.
    let lambda = -((2.0 * PI * m * H).sin().powi(2) + (2.0 * PI * n * H).sin().powi(2)) / (H * H);
    let discrete = -(steps as f64) * (1.0 + DT * KAPPA * lambda).ln() / t;
    let rel = (measured - analytic).abs() / analytic;
    println!("Fourier mode (m, n) = ({m}, {n}) after {steps} steps, t = {t:.6}:");
    println!("  decay rate measured  {measured:.4}");
    println!("  analytic κ4π²(m²+n²) {analytic:.4}   relative error {rel:.2e} (O(h²) + O(dt))");
    println!(
        "  scheme's prediction  {discrete:.4}   relative difference {:.1e}",
        (measured - discrete).abs() / discrete
    );
    assert!(rel < 1e-2, "decay rate off by {rel}");
    assert!(
        (measured - discrete).abs() < 1e-9 * discrete,
        "the scheme is not the expected stencil"
    );

    // --- Check 2: heat conservation, and the picture ------------------------------------------
    let spots = [
        (0.3, 0.3, 0.05, 1.0),
        (0.7, 0.35, 0.03, 0.9),
        (0.45, 0.75, 0.08, 0.7),
        (0.85, 0.8, 0.02, 1.0),
    ];
    let mut u = Array2::from_shape_fn((N, N), |(i, j)| {
        spots
            .iter()
            .map(|&(cx, cy, r, amp)| amp * gaussian(periodic_dist2(x(j) - cx, y(i) - cy), r))
            .sum::<f64>()
    });
    let heat0 = u.sum() * H * H;
    let hi = u.fold(0.0f64, |a, &b| a.max(b));
    let mut panels = vec![panel(&u, 0.0, hi)];
    let mut done = 0;
    for snapshot in [32, 200] {
        for _ in done..snapshot {
            step(&mut u);
        }
        done = snapshot;
        panels.push(panel(&u, done as f64 * DT, hi));
    }
    let time = done as f64 * DT;
    let heat1 = u.sum() * H * H;
    let drift = (heat1 - heat0).abs() / heat0;
    println!("Hot spots, t = 0 to {time:.4}: total heat {heat0:.12} -> {heat1:.12}, relative change {drift:.1e}");
    assert!(drift < 1e-12, "heat not conserved: {drift}");

    let path = Image::hstack(&panels).save_png("heat_equation.png").unwrap();
    println!("wrote {}", path.display());
}

/// One explicit Euler step `u += dt κ ∇²u`.
fn step(u: &mut Array2<f64>) {
    let lap = laplacian(u);
    u.scaled_add(DT * KAPPA, &lap);
}

/// The periodic Laplacian: pad two ghost cells by wrapping, differentiate twice along each axis
/// with `np.gradient`, keep the interior.
fn laplacian(u: &Array2<f64>) -> Array2<f64> {
    let (rows, cols) = u.dim();
    let padded = Array2::from_shape_fn((rows + 4, cols + 4), |(i, j)| {
        u[[(i + rows - 2) % rows, (j + cols - 2) % cols]]
    });
    let opts = GradientOptions::new().spacing(H);
    let mut lap = Array2::zeros((rows, cols));
    for axis in [Axis(0), Axis(1)] {
        let first = padded.gradient_axis_with(axis, &opts).unwrap();
        let second = first.gradient_axis_with(axis, &opts).unwrap();
        lap += &second.slice(s![2..rows + 2, 2..cols + 2]);
    }
    lap
}

fn x(j: usize) -> f64 {
    j as f64 * H
}

fn y(i: usize) -> f64 {
    i as f64 * H
}

fn gaussian(d2: f64, r: f64) -> f64 {
    (-d2 / (2.0 * r * r)).exp()
}

/// Squared distance on the unit torus.
fn periodic_dist2(dx: f64, dy: f64) -> f64 {
    let wrap = |d: f64| d - d.round();
    wrap(dx).powi(2) + wrap(dy).powi(2)
}

fn panel(u: &Array2<f64>, t: f64, hi: f64) -> Image {
    Image::heatmap(u.view(), 0.0, hi, inferno)
        .flipped()
        .scaled(3)
        .titled(&format!("T = {t:.5}"))
        .with_colorbar(0.0, hi, inferno)
}
