//! 2-D heat equation `∂u/∂t = κ ∇²u` on a periodic unit square, explicit Euler time steps,
//! with the crate's periodic Laplacian (one pass, no ghost cells).
//!
//! Replaces this NumPy loop, which pads by hand (NumPy has no periodic boundaries,
//! numpy#21357) and applies `np.gradient` twice (a wide stencil, `(u[i+2] - 2u[i] + u[i-2]) / 4h²`):
//!
//! ```python
//! for step in range(steps):
//!     up = np.pad(u, 2, mode="wrap")                      # periodic ghost cells
//!     lap = sum(np.gradient(np.gradient(up, h, axis=k), h, axis=k) for k in (0, 1))
//!     u = u + dt * kappa * lap[2:-2, 2:-2]
//! ```
//!
//! Here: `u.laplacian(&GradientOptions::new().spacing(h).boundary(Boundary::Periodic))`, the
//! compact stencil `(u[i+1] - 2u[i] + u[i-1]) / h²` on both axes (findiff's
//! `Laplacian(h=[h, h])` with periodic axes).
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
use std::path::Path;

use ndarray::Array2;
use ndarray_gradient::{ArrayGradientExt, Boundary, GradientOptions};

const KAPPA: f64 = 1.0; // diffusivity

/// The grid: `n × n` points on the periodic unit square, and a stable explicit time step.
#[derive(Clone, Copy, Debug)]
pub struct Grid {
    pub n: usize,
}

impl Grid {
    /// Grid spacing.
    pub fn h(self) -> f64 {
        1.0 / self.n as f64
    }
    /// Time step; stable: the compact 2-D Laplacian needs `dt <= h²/(4κ)`.
    pub fn dt(self) -> f64 {
        0.2 * self.h() * self.h() / KAPPA
    }
    fn coord(self, k: usize) -> f64 {
        k as f64 * self.h()
    }
    /// The number of steps that reaches time `t`.
    pub fn steps_to(self, t: f64) -> usize {
        (t / self.dt()).round() as usize
    }
}

/// One explicit Euler step `u += dt κ ∇²u`.
pub fn step(grid: Grid, u: &mut Array2<f64>) {
    let lap = laplacian(u, grid.h());
    u.scaled_add(grid.dt() * KAPPA, &lap);
}

/// The periodic Laplacian on a grid of spacing `h`.
pub fn laplacian(u: &Array2<f64>, h: f64) -> Array2<f64> {
    let opts = GradientOptions::new().spacing(h).boundary(Boundary::Periodic);
    u.laplacian(&opts).expect("a periodic axis of any length is valid")
}

/// Decay rates of the Fourier mode `cos(2πmy) cos(2πnx)` up to time `t`: measured, analytic
/// `κ 4π² (m² + n²)`, and the discrete scheme's own prediction.
#[derive(Clone, Copy, Debug)]
pub struct ModeDecay {
    pub steps: usize,
    pub t: f64,
    pub measured: f64,
    pub analytic: f64,
    pub discrete: f64,
}

pub fn mode_decay(grid: Grid, (m, n): (f64, f64), t: f64) -> ModeDecay {
    let size = grid.n;
    let mode = Array2::from_shape_fn((size, size), |(i, j)| {
        (2.0 * PI * m * grid.coord(i)).cos() * (2.0 * PI * n * grid.coord(j)).cos()
    });
    let amplitude = |u: &Array2<f64>| (u * &mode).sum() / mode.mapv(|v| v * v).sum();
    let steps = grid.steps_to(t);
    let mut u = mode.clone();
    for _ in 0..steps {
        step(grid, &mut u);
    }
    let (h, dt) = (grid.h(), grid.dt());
    let t = steps as f64 * dt;
    // The compact stencil (u[i+1] - 2u[i] + u[i-1]) / h² has the eigenvalue
    // -4 (sin(πmh)² + sin(πnh)²) / h² for this mode; Euler multiplies by (1 + dt κ λ) per step.
    let lambda = -4.0 * ((PI * m * h).sin().powi(2) + (PI * n * h).sin().powi(2)) / (h * h);
    ModeDecay {
        steps,
        t,
        measured: -amplitude(&u).ln() / t,
        analytic: KAPPA * 4.0 * PI * PI * (m * m + n * n),
        discrete: -(steps as f64) * (1.0 + dt * KAPPA * lambda).ln() / t,
    }
}

/// Hot spots diffusing: the field at each requested time, and the total heat at the start and
/// the end.
pub struct HotSpots {
    pub grid: Grid,
    pub frames: Vec<(f64, Array2<f64>)>,
    pub heat: (f64, f64),
}

/// Hot spots: centre x, centre y, radius, amplitude (in units of the hottest spot).
const SPOTS: [(f64, f64, f64, f64); 4] = [
    (0.3, 0.3, 0.05, 1.0),
    (0.7, 0.35, 0.03, 0.9),
    (0.45, 0.75, 0.08, 0.7),
    (0.85, 0.8, 0.02, 1.0),
];

pub fn hot_spots(grid: Grid, times: &[f64]) -> HotSpots {
    let mut u = Array2::from_shape_fn((grid.n, grid.n), |(i, j)| {
        SPOTS
            .iter()
            .map(|&(cx, cy, r, amp)| amp * gaussian(periodic_dist2(grid.coord(j) - cx, grid.coord(i) - cy), r))
            .sum::<f64>()
    });
    let area = grid.h() * grid.h();
    let heat0 = u.sum() * area;
    let mut frames = vec![];
    let mut done = 0;
    for &t in times {
        let target = grid.steps_to(t);
        for _ in done..target {
            step(grid, &mut u);
        }
        done = target;
        frames.push((done as f64 * grid.dt(), u.clone()));
    }
    let heat1 = u.sum() * area;
    HotSpots {
        grid,
        frames,
        heat: (heat0, heat1),
    }
}

fn gaussian(d2: f64, r: f64) -> f64 {
    (-d2 / (2.0 * r * r)).exp()
}

/// Squared distance on the unit torus.
fn periodic_dist2(dx: f64, dy: f64) -> f64 {
    let wrap = |d: f64| d - d.round();
    wrap(dx).powi(2) + wrap(dy).powi(2)
}

fn main() {
    let grid = Grid { n: 128 };
    // --- Check 1: decay of a Fourier mode --------------------------------------------------
    let d = mode_decay(grid, (2.0, 1.0), 0.01);
    let rel = (d.measured - d.analytic).abs() / d.analytic;
    println!("Fourier mode (m, n) = (2, 1) after {} steps, t = {:.6}:", d.steps, d.t);
    println!("  decay rate measured  {:.4}", d.measured);
    println!(
        "  analytic κ4π²(m²+n²) {:.4}   relative error {rel:.2e} (O(h²) + O(dt))",
        d.analytic
    );
    println!(
        "  scheme's prediction  {:.4}   relative difference {:.1e}",
        d.discrete,
        (d.measured - d.discrete).abs() / d.discrete
    );
    assert!(rel < 1e-2, "decay rate off by {rel}");
    assert!(
        (d.measured - d.discrete).abs() < 1e-9 * d.discrete,
        "the scheme is not the expected stencil"
    );

    // --- Check 2: heat conservation, and the picture ------------------------------------------
    let spots = hot_spots(grid, &[0.0, 0.0005, 0.003]);
    let (heat0, heat1) = spots.heat;
    let drift = (heat1 - heat0).abs() / heat0;
    let time = spots.frames.last().unwrap().0;
    println!("Hot spots, t = 0 to {time:.4}: total heat {heat0:.12} -> {heat1:.12}, relative change {drift:.1e}");
    assert!(drift < 1e-12, "heat not conserved: {drift}");

    let path = common::out_dir().join("heat_equation.png");
    render(&spots, &path).unwrap();
    println!("wrote {}", path.display());
}

/// The field at each time as a heat map on one colour scale, y up.
pub fn render(spots: &HotSpots, path: &Path) -> common::Result {
    let n = spots.grid.n;
    let centres: Vec<f64> = (0..n).map(|k| spots.grid.coord(k)).collect();
    let edges = common::edges(&centres);
    let hi = spots.frames[0].1.fold(0.0f64, |a, &b| a.max(b));
    let width = 540 * spots.frames.len() as u32;
    common::save_figure(path, (width, 450), |root| {
        for (panel, (t, u)) in root.split_evenly((1, spots.frames.len())).iter().zip(&spots.frames) {
            common::heatmap(
                panel,
                &format!("Heat at t κ/L² = {t:.4}"),
                ("x / L", "y / L"),
                &edges,
                (&edges, false),
                |i, j| common::colour(colorous::INFERNO, u[[i, j]] / hi),
                (
                    &|t| common::colour(colorous::INFERNO, t),
                    (0.0, hi),
                    "temperature u / u₀ (u₀: hottest initial spot)",
                ),
            )?;
        }
        Ok(())
    })
}
