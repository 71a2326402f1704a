//! The 2-D heat equation `∂u/∂t = κ ∇²u` on a grid split over MPI ranks.
//!
//! ```text
//! mpirun -n 4 target/release/examples/heat_mpi N STEPS OUT.npy
//! ```
//!
//! An `N × N` grid on the unit square: periodic across (axis 1), held at `u = 0` on the first
//! and last rows (axis 0, not periodic), hot spots to start; `STEPS` explicit Euler steps
//! `u += dt κ ∇²u` with the crate's compact Laplacian, each rank stepping its block after a
//! halo exchange with its neighbours. Rank 0 gathers the final field and writes it to
//! `OUT.npy` (ndarray-npy) and a picture to `OUT.png`. Every point's update reads the same
//! samples whatever the split, so the `.npy` file is the same bits for any number of ranks
//! (`.ci/run` compares one rank against three and four).
//!
//! Prints, on rank 0: the process grid, the total heat, and the wall time split into the
//! Laplacian, the update and the halo exchange (the slowest rank's).

#[path = "../../examples/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use mpi::collective::SystemOperation;
use mpi::traits::*;
use ndarray::{ArrayD, Axis, IxDyn, Zip};
use ndarray_gradient::GradientOptions;
use ndarray_gradient_mpi::{Decomposition, DistPlan, ProcessGrid};

const KAPPA: f64 = 1.0;

/// The starting field: three Gaussian hot spots, zero on the held rows.
fn initial(n: usize) -> ArrayD<f64> {
    let h = 1.0 / (n - 1) as f64;
    let spots = [(0.3, 0.25, 1.0), (0.6, 0.7, 0.7), (0.75, 0.3, 0.5)];
    ArrayD::from_shape_fn(IxDyn(&[n, n]), |idx| {
        let (i, j) = (idx[0], idx[1]);
        if i == 0 || i == n - 1 {
            return 0.0;
        }
        let (y, x) = (i as f64 * h, j as f64 / n as f64);
        spots
            .iter()
            .map(|&(cy, cx, a)| {
                let dx = (x - cx).abs().min(1.0 - (x - cx).abs()); // periodic across
                a * (-((y - cy).powi(2) + dx * dx) / 0.004).exp()
            })
            .sum()
    })
}

fn main() -> ExitCode {
    let universe = mpi::initialize().expect("MPI initialised once");
    let world = universe.world();
    let args: Vec<String> = std::env::args().collect();
    let usage = || {
        if world.rank() == 0 {
            eprintln!(
                "usage: mpirun -n RANKS {} N STEPS OUT.npy   (N ≥ 8, STEPS ≥ 0)",
                args[0]
            );
        }
        ExitCode::FAILURE
    };
    let (Some(n), Some(steps), Some(out)) = (
        args.get(1).and_then(|a| a.parse::<usize>().ok()).filter(|&n| n >= 8),
        args.get(2).and_then(|a| a.parse::<usize>().ok()),
        args.get(3).map(PathBuf::from),
    ) else {
        return usage();
    };
    match run(&world, n, steps, out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rank {}: {e}", world.rank());
            ExitCode::FAILURE
        }
    }
}

fn run(world: &mpi::topology::SimpleCommunicator, n: usize, steps: usize, out: PathBuf) -> common::Result {
    let h = 1.0 / (n - 1) as f64; // rows: 0 and 1 held
    let dt = 0.2 * h * h / KAPPA; // stable: the compact 2-D Laplacian needs dt ≤ h²/(4κ)
    let decomp = Decomposition::new(world, &[n, n], &ProcessGrid::Auto, &[false, true])?;
    let opts = GradientOptions::new()
        .axis_spacing(Axis(0), h)
        .axis_spacing(Axis(1), 1.0 / n as f64)
        .periodic(Axis(1));
    let plan = DistPlan::laplacian(&decomp, &opts)?;
    let root = 0usize;
    let initial = (world.rank() as usize == root).then(|| initial(n));
    let mut u = decomp.scatter(root, initial.as_ref().map(|a| a.view()), plan.halo(), 0.0)?;
    let mut lap = ArrayD::<f64>::zeros(IxDyn(&decomp.block()));
    // The held rows: this block's first and last rows when they are the grid's.
    let (first, len) = (decomp.start()[0], decomp.block()[0]);
    let lo = usize::from(first == 0);
    let rows = lo..(len - usize::from(first + len == n)).max(lo);
    let (mut t_exchange, mut t_laplacian, mut t_update) = (0.0, 0.0, 0.0);
    world.barrier();
    let t0 = mpi::time();
    for _ in 0..steps {
        let a = mpi::time();
        plan.exchange(&mut u)?;
        let b = mpi::time();
        plan.compute(&u, &mut [&mut *lap])?;
        let c = mpi::time();
        let mut block = u.block_mut();
        Zip::from(block.slice_axis_mut(Axis(0), rows.clone().into()))
            .and(lap.slice_axis(Axis(0), rows.clone().into()))
            .for_each(|u, &l| *u += dt * KAPPA * l);
        t_exchange += b - a;
        t_laplacian += c - b;
        t_update += mpi::time() - c;
    }
    let wall = mpi::time() - t0;
    let slowest = |t: f64| {
        let mut m = 0.0;
        world.all_reduce_into(&t, &mut m, SystemOperation::max());
        m
    };
    let (t_exchange, t_laplacian, t_update, wall) = (
        slowest(t_exchange),
        slowest(t_laplacian),
        slowest(t_update),
        slowest(wall),
    );
    let field = decomp.gather(root, u.block())?;
    let Some(field) = field else { return Ok(()) };
    ndarray_npy::write_npy(&out, &field)?;
    let heat: f64 = field.sum() * h / n as f64;
    println!(
        "{n} × {n} grid on {} rank(s) as {:?}, {steps} steps of dt = {dt:.3e} (t = {:.4}): total heat {heat:.6}",
        decomp.size(),
        decomp.dims(),
        steps as f64 * dt,
    );
    println!(
        "wall {:.3} s: Laplacian {:.3} s, update {:.3} s, halo exchange {:.3} s (slowest rank each); wrote {}",
        wall,
        t_laplacian,
        t_update,
        t_exchange,
        out.display()
    );
    let picture = out.with_extension("png");
    render(&field, &decomp, steps as f64 * dt, &picture)?;
    println!("wrote {}", picture.display());
    Ok(())
}

/// The field (at most 256 × 256 cells drawn), with the blocks of the ranks outlined.
fn render(u: &ArrayD<f64>, decomp: &Decomposition, t: f64, path: &std::path::Path) -> common::Result {
    use plotters::prelude::*;
    let n = u.shape()[0];
    let stride = n.div_ceil(256);
    let m = n.div_ceil(stride);
    let centres: Vec<f64> = (0..m).map(|k| (k * stride) as f64 / n as f64).collect();
    let edges = common::edges(&centres);
    let hi = u.iter().cloned().fold(0.0, f64::max).max(1e-300);
    common::save_figure(path, (640, 540), |root| {
        let title = format!("u at t = {t:.4}, {} ranks as {:?}", decomp.size(), decomp.dims());
        let mut chart = common::heatmap(
            root,
            &title,
            ("x (periodic)", "y (u = 0 at both ends)"),
            &edges,
            (&edges, true),
            |i, j| common::colour(colorous::INFERNO, u[[i * stride, j * stride]] / hi),
            (&|t| common::colour(colorous::INFERNO, t), (0.0, hi), "u"),
        )?;
        // The ranks' blocks.
        let white = WHITE.mix(0.6).stroke_width(1);
        for r in 0..decomp.size() {
            let c = decomp.coords_of(r);
            let (s, b) = (decomp.start_of(&c), decomp.block_of(&c));
            let (y0, x0) = (s[0] as f64 / n as f64, s[1] as f64 / n as f64);
            let (y1, x1) = ((s[0] + b[0]) as f64 / n as f64, (s[1] + b[1]) as f64 / n as f64);
            chart.draw_series(std::iter::once(Rectangle::new([(x0, y0), (x1, y1)], white)))?;
        }
        Ok(())
    })
}
