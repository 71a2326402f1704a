//! Strong and weak scaling of a Laplacian time step (a benchmark, not a test).
//!
//! ```text
//! mpirun -n K target/release/examples/scaling strong N STEPS   # an N³ grid split over K ranks
//! mpirun -n K target/release/examples/scaling weak N STEPS     # an (N·K) × N × N grid: N³ per rank
//! ```
//!
//! Each step: the halo exchange (periodic on every axis, compact second-order Laplacian, halo 1),
//! then the Laplacian of the block and `u += dt ∇²u`. Prints one Markdown table row: the ranks,
//! the process grid, the grid, and per step the slowest rank's computation and exchange times
//! (medians over the steps), the halo each rank receives, and the computation's throughput.

use mpi::collective::SystemOperation;
use mpi::traits::*;
use ndarray::{ArrayD, Axis, IxDyn, Zip};
use ndarray_gradient::GradientOptions;
use ndarray_gradient_mpi::{Decomposition, DistArray, DistPlan, ProcessGrid};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let universe = mpi::initialize().expect("MPI initialised once");
    let world = universe.world();
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("strong", String::as_str);
    let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(256);
    let steps: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(10);
    let size = world.size() as usize;
    let shape = match mode {
        "weak" => vec![n * size, n, n],
        _ => vec![n, n, n],
    };
    // SCALING_OPEN=1: not periodic (one rank then has no halo at all).
    let periodic = std::env::var_os("SCALING_OPEN").is_none();
    let decomp = Decomposition::new(&world, &shape, &ProcessGrid::Auto, &[periodic; 3]).unwrap();
    let mut opts = GradientOptions::new().spacing(1.0 / n as f64);
    for k in (0..3).filter(|_| periodic) {
        opts = opts.periodic(Axis(k));
    }
    let plan = DistPlan::laplacian(&decomp, &opts).unwrap();
    let mut u = DistArray::for_plans(&decomp, &[&plan], 0.0f64);
    let start = decomp.start();
    u.block_mut().indexed_iter_mut().for_each(|(i, v)| {
        let x: f64 = (0..3).map(|k| (start[k] + i[k]) as f64).sum();
        *v = (x * 0.01).sin();
    });
    let mut lap = ArrayD::<f64>::zeros(IxDyn(&decomp.block()));
    let dt = 1e-9;
    let (mut exchange, mut compute) = (Vec::new(), Vec::new());
    for step in 0..=steps {
        world.barrier();
        let a = mpi::time();
        plan.exchange(&mut u).unwrap();
        let b = mpi::time();
        plan.compute(&u, &mut [&mut *lap]).unwrap();
        Zip::from(u.block_mut()).and(&lap).for_each(|u, &l| *u += dt * l);
        let c = mpi::time();
        // The slowest rank's times (the step waits for it).
        let (mut e, mut p) = (0.0, 0.0);
        world.all_reduce_into(&(b - a), &mut e, SystemOperation::max());
        world.all_reduce_into(&(c - b), &mut p, SystemOperation::max());
        if step > 0 {
            // step 0 warms up (first touch of the pages, connections)
            exchange.push(e);
            compute.push(p);
        }
    }
    let (received, _) = plan.halo_elements();
    let mut most = 0u64;
    world.all_reduce_into(&(received as u64), &mut most, SystemOperation::max());
    if size == 1 && mode == "strong" {
        // The same step as one whole-array call, for the cost of the block path.
        let mut f = u.block().to_owned();
        let mut times = Vec::new();
        for _ in 0..=steps.min(5) {
            let a = mpi::time();
            let l = ndarray_gradient::ArrayGradientExt::laplacian(&f, &opts).unwrap();
            Zip::from(&mut f).and(&l).for_each(|u, &l| *u += dt * l);
            times.push(mpi::time() - a);
        }
        eprintln!(
            "whole-array laplacian + update, one process: {:.1} ms",
            median(times) * 1e3
        );
    }
    if world.rank() == 0 {
        let (e, p) = (median(exchange) * 1e3, median(compute) * 1e3);
        let points = decomp.block().iter().product::<usize>().max(1);
        let per_rank = shape.iter().product::<usize>() / size;
        println!(
            "| {mode} | {size} | {:?} | {:?} | {p:.1} | {e:.1} | {:.1} | {:.2} | {:.2} |",
            decomp.dims(),
            shape,
            p + e,
            most as f64 * 8.0 / 1e6,
            p * 1e6 / per_rank.max(points) as f64,
        );
    }
}
