//! Run under MPI: `mpirun --oversubscribe -n K target/debug/deps/distributed-…` for K = 1, 2, 3,
//! 4 (`.ci/run` does; `cargo test -p ndarray-gradient-mpi` runs it as one rank).
//!
//! For every process grid of K ranks over 1-D, 2-D and 3-D global shapes with uneven
//! remainders, every option set the halo contract supports (edge orders, spacings, coordinates,
//! accuracy, derivative order, per-axis settings, periodic axes and periods), decompositions
//! periodic or not, and gradient, one-axis derivative and Laplacian: the result scattered from
//! rank 0, exchanged, computed on each rank and gathered is the whole-array call, bit for bit;
//! a refusal is a block thinner than its neighbour's halo, the same error on every rank, and
//! true. The exchange fills exactly the halo (faces only, or edges and corners too) with the
//! global samples, wrapped on periodic axes. Every kind of bad input is a typed error on every
//! rank. A failure aborts every rank with a non-zero exit.

use mpi::collective::SystemOperation;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use ndarray::{Array1, ArrayD, Axis, IxDyn};
use ndarray_gradient::{ArrayGradientExt, BlockPlan, EdgeOrder, GradientError, GradientOptions, Operator};
use ndarray_gradient_mpi::{Decomposition, DistArray, DistError, DistPlan, ProcessGrid, block_range};

/// A small deterministic generator (xorshift): every rank draws the same numbers.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn field(shape: &[usize], rng: &mut Rng) -> ArrayD<f64> {
    ArrayD::from_shape_simple_fn(IxDyn(shape), || (rng.next() % 10_000) as f64 / 997.0 - 3.0)
}

fn same_bits(a: &ArrayD<f64>, b: &ArrayD<f64>) -> bool {
    a.shape() == b.shape() && a.iter().zip(b.iter()).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Aborts every rank (a non-zero exit of `mpirun`) unless `ok` holds on every rank.
fn check_all(world: &SimpleCommunicator, ok: bool, what: &str) {
    let mut all = 0u8;
    world.all_reduce_into(&u8::from(ok), &mut all, SystemOperation::min());
    if all == 0 {
        if !ok {
            eprintln!("rank {}: FAILED: {what}", world.rank());
        }
        world.barrier();
        world.abort(1);
    }
}

/// Whether every rank holds the same text (its hash reduced to its min and max).
fn same_everywhere(world: &SimpleCommunicator, text: &str) -> bool {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    let h = h.finish();
    let (mut lo, mut hi) = (0u64, 0u64);
    world.all_reduce_into(&h, &mut lo, SystemOperation::min());
    world.all_reduce_into(&h, &mut hi, SystemOperation::max());
    lo == hi
}

/// The ordered factorisations of `size` into `nd` factors.
fn grids(size: usize, nd: usize) -> Vec<Vec<usize>> {
    if nd == 0 {
        return if size == 1 { vec![vec![]] } else { vec![] };
    }
    let mut out = Vec::new();
    for f in (1..=size).filter(|&f| size.is_multiple_of(f)) {
        for mut rest in grids(size / f, nd - 1) {
            rest.insert(0, f);
            out.push(rest);
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Gradient,
    Derivative,
    Laplacian,
    /// `c ∂₀∂ₗ − ½ ∂ₗ` (ₗ the last axis; `c` a coefficient array): a mixed partial, whose halo
    /// has corners, with an array coefficient and a sum (issue 17).
    Operator,
}

/// [`Op::Operator`] on arrays of `shape`, its coefficient array `c`.
fn operator<'c>(c: &'c ArrayD<f64>) -> Operator<'c, f64> {
    let last = Axis(c.ndim() - 1);
    Operator::field(c.view()) * Operator::derivative(Axis(0), 1) * Operator::derivative(last, 1)
        - Operator::coefficient(0.5) * Operator::derivative(last, 1)
}

#[derive(Default)]
struct Tally {
    identical: usize,
    refused: usize,
    refused_by_core: usize,
    exchanges: usize,
}

/// One case: the distributed result against the whole-array call.
#[allow(clippy::too_many_arguments)]
fn case(
    world: &SimpleCommunicator,
    f: &ArrayD<f64>,
    grid: &[usize],
    periodic: &[bool],
    opts: &GradientOptions<'_, f64>,
    op: Op,
    label: &str,
    tally: &mut Tally,
) {
    let nd = f.ndim();
    let decomp = Decomposition::new(world, f.shape(), &ProcessGrid::Dims(grid.to_vec()), periodic);
    check_all(
        world,
        decomp.is_ok(),
        &format!("{label}: decomposition {:?}", decomp.as_ref().err()),
    );
    let decomp = decomp.unwrap();
    let last = Axis(nd - 1);
    let c = f.mapv(|v| 1.0 + 0.25 * v.sin());
    let plan = match op {
        Op::Gradient => DistPlan::gradient(&decomp, opts),
        Op::Derivative => DistPlan::derivative(&decomp, last, opts),
        Op::Laplacian => DistPlan::laplacian(&decomp, opts),
        Op::Operator => DistPlan::operator(&decomp, &operator(&c), opts),
    };
    let whole = match op {
        Op::Gradient => f.gradient_with(opts),
        Op::Derivative => f.gradient_with(&opts.clone().axes([last])),
        Op::Laplacian => f.laplacian(opts).map(|l| vec![l]),
        Op::Operator => operator(&c).apply(f, opts).map(|r| vec![r]),
    };
    let plan = match (plan, whole) {
        (Ok(plan), Ok(whole)) => (plan, whole),
        (Err(e), whole) => {
            // Refused: the same error on every rank, and a true one.
            check_all(
                world,
                same_everywhere(world, &format!("{e:?}")),
                &format!("{label}: {e:?} on some ranks only"),
            );
            let true_refusal = match &e {
                DistError::Gradient(g) => whole.as_ref().err() == Some(g),
                &DistError::ThinnerThanHalo {
                    axis,
                    coord,
                    block,
                    neighbour,
                    halo,
                } => {
                    // The neighbour's halo on that side, from the core crate's plan.
                    let (n, p) = (f.shape()[axis], grid[axis]);
                    let plan = match op {
                        Op::Gradient => BlockPlan::gradient(f.shape(), opts),
                        Op::Derivative => BlockPlan::gradient(f.shape(), &opts.clone().axes([last])),
                        Op::Laplacian => BlockPlan::laplacian(f.shape(), opts),
                        Op::Operator => BlockPlan::operator(f.shape(), &operator(&c), opts),
                    }
                    .unwrap();
                    let (mut start, mut len) = (vec![0; nd], f.shape().to_vec());
                    (start[axis], len[axis]) = block_range(n, p, neighbour);
                    let h = plan.halo(&start, &len).unwrap();
                    let side = if coord == (neighbour + p - 1) % p {
                        h.before[axis]
                    } else {
                        h.after[axis]
                    };
                    block == block_range(n, p, coord).1 && block < halo && side == halo
                }
                _ => false,
            };
            check_all(world, true_refusal, &format!("{label}: unexpected refusal {e:?}"));
            if std::env::var_os("SHOW_REFUSED").is_some() && world.rank() == 0 {
                eprintln!("{label}: {e}");
            }
            if matches!(e, DistError::Gradient(_)) {
                tally.refused_by_core += 1;
            } else {
                tally.refused += 1;
            }
            return;
        }
        (Ok(_), Err(e)) => {
            check_all(
                world,
                false,
                &format!("{label}: the whole-array call fails ({e:?}) but the plan does not"),
            );
            unreachable!()
        }
    };
    let (plan, whole) = plan;
    let halo = plan.halo().clone();
    let root_view = (world.rank() == 0).then(|| f.view());
    let mut u = decomp.scatter(0, root_view, &halo, f64::NAN).unwrap();
    check_all(
        world,
        same_bits(
            &u.block().to_owned(),
            &f.slice_each_axis(|ax| {
                let k = ax.axis.index();
                let s = decomp.start()[k];
                ndarray::Slice::from(s..s + decomp.block()[k])
            })
            .to_owned(),
        ),
        &format!("{label}: scatter"),
    );
    let outs = plan.apply(&mut u).unwrap();
    check_all(world, outs.len() == whole.len(), &format!("{label}: number of outputs"));
    for (k, (out, w)) in outs.iter().zip(&whole).enumerate() {
        let gathered = decomp.gather(0, out.view()).unwrap();
        if world.rank() == 0 {
            let g = gathered.unwrap();
            check_all(
                world,
                same_bits(&g, w),
                &format!("{label}: output {k} differs from the whole-array call"),
            );
        } else {
            check_all(world, gathered.is_none(), &format!("{label}: gather off the root"));
        }
    }
    // The exchange: the halo holds the global samples (wrapped), edges and corners only with
    // corners asked for, which an operator with a mixed partial does itself.
    check_all(
        world,
        plan.block_plan().reads_corners() == (op == Op::Operator && nd > 1),
        &format!("{label}: corners read"),
    );
    for corners in [plan.block_plan().reads_corners(), true] {
        let plan = if corners {
            plan.clone().with_corners()
        } else {
            plan.clone()
        };
        let mut u = decomp
            .scatter(0, (world.rank() == 0).then(|| f.view()), &halo, f64::NAN)
            .unwrap();
        plan.exchange(&mut u).unwrap();
        let start = decomp.start();
        let block = decomp.block();
        let mut ok = true;
        for (idx, &v) in u.with_halo().indexed_iter() {
            let mut outside = 0;
            let global: Vec<usize> = (0..nd)
                .map(|k| {
                    let g = start[k] as isize - halo.before[k] as isize + idx[k] as isize;
                    if idx[k] < halo.before[k] || idx[k] >= halo.before[k] + block[k] {
                        outside += 1;
                    }
                    g.rem_euclid(f.shape()[k] as isize) as usize
                })
                .collect();
            let expected = if outside <= 1 || corners {
                f[IxDyn(&global)]
            } else {
                f64::NAN
            };
            ok &= v.to_bits() == expected.to_bits();
        }
        check_all(world, ok, &format!("{label}: exchange (corners: {corners})"));
        tally.exchanges += 1;
    }
    tally.identical += 1;
}

fn main() {
    let universe = mpi::initialize().unwrap();
    let world = universe.world();
    // A panic on one rank aborts them all (unwinding would finalise MPI and wait for the others).
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default_hook(info);
        mpi::topology::SimpleCommunicator::world().abort(1);
    }));
    let size = world.size() as usize;
    let rank = world.rank() as usize;
    let mut rng = Rng(0x9e3779b97f4a7c15);
    let mut tally = Tally::default();
    let shapes: [&[usize]; 4] = [&[37], &[19, 13], &[10, 23], &[14, 13, 13]];
    for shape in shapes {
        let nd = shape.len();
        let f = field(shape, &mut rng);
        let coords: Vec<Array1<f64>> = shape
            .iter()
            .map(|&n| {
                let mut x = 0.0;
                Array1::from_iter((0..n).map(|_| {
                    x += 0.5 + (rng.next() % 100) as f64 / 100.0;
                    x
                }))
            })
            .collect();
        for variant in 0..11 {
            let mut opts = GradientOptions::new();
            let mut periodic = vec![false; nd];
            match variant {
                0 => {}
                1 => opts = opts.edge_order(EdgeOrder::Second).spacing(0.3),
                2 => opts = opts.coordinates(Axis(0), &coords[0]),
                3 => {
                    opts = opts
                        .coordinates(Axis(nd - 1), &coords[nd - 1])
                        .edge_order(EdgeOrder::Second)
                }
                4 => opts = opts.accuracy(4),
                5 => opts = opts.accuracy(6).derivative(2).coordinates(Axis(0), &coords[0]),
                6 => {
                    opts = opts.periodic(Axis(nd - 1));
                    periodic[nd - 1] = true;
                }
                7 => {
                    opts = opts.accuracy(8).periodic(Axis(0));
                    periodic[0] = true;
                }
                8 => {
                    let span = coords[0][shape[0] - 1] - coords[0][0];
                    opts = opts
                        .coordinates(Axis(0), &coords[0])
                        .period(Axis(0), span + 0.7)
                        .accuracy(4);
                    periodic[0] = true;
                }
                9 => opts = opts.axis_derivative(Axis(nd - 1), 3).axis_accuracy(Axis(0), 2),
                _ => {
                    // Every axis periodic, fourth-order accurate, with a spacing per axis.
                    for (k, p) in periodic.iter_mut().enumerate() {
                        opts = opts.periodic(Axis(k)).axis_spacing(Axis(k), 0.1 * (k + 1) as f64);
                        *p = true;
                    }
                    opts = opts.accuracy(4);
                }
            }
            let all_periodic = vec![true; nd];
            for grid in grids(size, nd)
                .into_iter()
                .filter(|g| (0..nd).all(|k| g[k] <= shape[k]))
            {
                // The decomposition as periodic as the options, then periodic on every axis
                // (harmless where the options are not).
                for decomp_periodic in [&periodic, &all_periodic] {
                    for op in [Op::Gradient, Op::Derivative, Op::Laplacian, Op::Operator] {
                        let label = format!(
                            "shape {shape:?} variant {variant} grid {grid:?} periodic {decomp_periodic:?} {op:?}"
                        );
                        case(&world, &f, &grid, decomp_periodic, &opts, op, &label, &mut tally);
                    }
                }
            }
        }
    }
    errors(&world, size, rank);
    auto_grids(&world, size, &mut rng);
    if rank == 0 {
        println!(
            "{size} rank(s): {} cases bit-identical to the whole-array call, {} refused (block thinner than the halo), {} refused as the whole-array call, {} exchanges checked; errors typed on every rank",
            tally.identical, tally.refused, tally.refused_by_core, tally.exchanges
        );
    }
    // Most cases run: the refusals are the thin-block corners of 4 ranks on 8 to 13 points.
    check_all(&world, tally.identical >= 3 * tally.refused, "too many refusals");
}

/// Every kind of bad input: a typed error on every rank (the same where every rank's input
/// is bad, the failing rank's own and `OtherRank` elsewhere where only one rank's is).
fn errors(world: &SimpleCommunicator, size: usize, rank: usize) {
    let opts = GradientOptions::<f64>::new();
    let expect = |got: Option<DistError>, want: DistError, what: &str| {
        let ok = got.as_ref() == Some(&want);
        if !ok {
            eprintln!("rank {rank}: {what}: got {got:?}, want {want:?}");
        }
        check_all(world, ok, what);
    };
    let new = |shape: &[usize], grid: ProcessGrid, periodic: &[bool]| Decomposition::new(world, shape, &grid, periodic);
    if size > 1 {
        // Mismatched global shapes between ranks.
        expect(
            new(&[20 + rank, 6], ProcessGrid::Auto, &[false, false]).err(),
            DistError::ShapeMismatch {
                min: vec![20, 6, 0, 0, 0, 0],
                max: vec![20 + size - 1, 6, 0, 0, 0, 0],
            },
            "mismatched shapes",
        );
        let shape: Vec<usize> = if rank == 0 { vec![12, 12] } else { vec![144] };
        let periodic = vec![false; shape.len()];
        expect(
            new(&shape, ProcessGrid::Auto, &periodic).err(),
            DistError::NdimMismatch { min: 1, max: 2 },
            "mismatched numbers of dimensions",
        );
        // Periodic flags that differ.
        expect(
            new(&[30], ProcessGrid::Auto, &[rank == 1]).err(),
            DistError::ShapeMismatch {
                min: vec![30, 0, 0],
                max: vec![30, 1, 0],
            },
            "mismatched periodic flags",
        );
        // A grid too small for the ranks.
        expect(
            new(&[size - 1], ProcessGrid::Auto, &[false]).err(),
            DistError::GridTooSmall {
                shape: vec![size - 1],
                ranks: size,
            },
            "grid too small (automatic process grid)",
        );
        expect(
            new(&[size - 1, 50], ProcessGrid::Dims(vec![size, 1]), &[false, false]).err(),
            DistError::AxisTooSmall {
                axis: 0,
                points: size - 1,
                processes: size,
            },
            "axis too small (process grid given)",
        );
    }
    expect(
        new(&[40], ProcessGrid::Dims(vec![size + 1]), &[false]).err(),
        DistError::ProcessGrid {
            dims: vec![size + 1],
            ranks: size,
        },
        "process grid of the wrong size",
    );
    expect(
        new(&[40, 3], ProcessGrid::Auto, &[false]).err(),
        DistError::Layout {
            ndim: 2,
            periodic: 1,
            grid: None,
        },
        "one periodic flag for two axes",
    );
    // A block thinner than the halo: 2 points per rank, accuracy 8 needs 4 (periodic: the
    // same halo everywhere, also for one rank, which wraps onto itself).
    let decomp = new(&[2 * size], ProcessGrid::Auto, &[true]).unwrap();
    expect(
        DistPlan::gradient(&decomp, &opts.clone().accuracy(8).periodic(Axis(0))).err(),
        DistError::ThinnerThanHalo {
            axis: 0,
            coord: size - 1,
            block: 2,
            neighbour: 0,
            halo: 4,
        },
        "block thinner than the halo",
    );
    // Periodic options on a decomposition that does not wrap.
    let decomp = new(&[10 * size, 7], ProcessGrid::Auto, &[false, false]).unwrap();
    expect(
        DistPlan::laplacian(&decomp, &opts.clone().periodic(Axis(0))).err(),
        DistError::NotPeriodic { axis: 0 },
        "periodic options, non-periodic decomposition",
    );
    // Options the core crate refuses, on every rank; then on the last rank only.
    expect(
        DistPlan::gradient(&decomp, &opts.clone().accuracy(3)).err(),
        DistError::Gradient(GradientError::InvalidAccuracy { accuracy: 3 }),
        "options refused everywhere",
    );
    let bad = if rank == size - 1 {
        opts.clone().accuracy(3)
    } else {
        opts.clone()
    };
    expect(
        DistPlan::gradient(&decomp, &bad).err(),
        if rank == size - 1 {
            DistError::Gradient(GradientError::InvalidAccuracy { accuracy: 3 })
        } else {
            DistError::OtherRank { rank: size - 1 }
        },
        "options refused on one rank",
    );
    // Scatter: the root's array of the wrong shape; gather: one rank's block of the wrong shape.
    let halo = ndarray_gradient::Halo {
        before: vec![0, 0],
        after: vec![0, 0],
    };
    let wrong = ArrayD::<f64>::zeros(IxDyn(&[3, 3]));
    expect(
        decomp.scatter(0, (rank == 0).then(|| wrong.view()), &halo, 0.0).err(),
        if rank == 0 {
            DistError::RootArray {
                expected: vec![10 * size, 7],
                got: Some(vec![3, 3]),
            }
        } else {
            DistError::OtherRank { rank: 0 }
        },
        "scatter of a wrong-shaped array",
    );
    expect(
        decomp
            .scatter(size, None::<ndarray::ArrayViewD<'_, f64>>, &halo, 0.0)
            .err(),
        DistError::Root {
            root: size,
            ranks: size,
        },
        "scatter from a rank that does not exist",
    );
    let u = DistArray::new(&decomp, &halo, 1.0f64);
    let block = if rank == size - 1 { wrong.view() } else { u.block() };
    expect(
        decomp.gather(0, block).err(),
        if rank == size - 1 {
            DistError::ArrayShape {
                expected: decomp.block(),
                got: vec![3, 3],
            }
        } else {
            DistError::OtherRank { rank: size - 1 }
        },
        "gather of a wrong-shaped block",
    );
    // A plan's exchange refuses an array without room for its halo (before any message).
    let decomp = new(&[10 * size], ProcessGrid::Auto, &[true]).unwrap();
    let plan = DistPlan::laplacian(&decomp, &opts.clone().periodic(Axis(0))).unwrap();
    let none = ndarray_gradient::Halo {
        before: vec![0],
        after: vec![0],
    };
    let mut small = DistArray::new(&decomp, &none, 0.0f64);
    check_all(
        world,
        plan.exchange(&mut small)
            == Err(DistError::ArrayShape {
                expected: vec![decomp.block()[0] + 2],
                got: decomp.block(),
            }),
        "exchange without room",
    );
}

/// `ProcessGrid::Auto` with the plans known (`Decomposition::for_plans`): a grid the operation
/// can use, and the whole-array call's bits. On 4 ranks, ∂/∂x₂ at accuracy 4 on 4 × 3 × 9
/// points: the least-surface grid (`Decomposition::new`) cuts axis 2 into blocks of 3, 2, 2, 2,
/// thinner than the one-sided edges' halo of 4, and is refused; the halo-aware one is 4 × 1 × 1.
fn auto_grids(world: &SimpleCommunicator, size: usize, rng: &mut Rng) {
    let check = |shape: &[usize], opts: &GradientOptions<'_, f64>, laplacian: bool, f: &ArrayD<f64>| {
        let label = format!("Auto for plans: shape {shape:?} laplacian {laplacian} on {size} ranks");
        let plan = if laplacian {
            BlockPlan::laplacian(shape, opts)
        } else {
            BlockPlan::gradient(shape, opts)
        }
        .unwrap();
        let periodic = vec![false; shape.len()];
        let decomp = Decomposition::for_plans(world, shape, &ProcessGrid::Auto, &periodic, &[&plan]);
        check_all(world, decomp.is_ok(), &format!("{label}: {:?}", decomp.as_ref().err()));
        let decomp = decomp.unwrap();
        let dist = if laplacian {
            DistPlan::laplacian(&decomp, opts)
        } else {
            DistPlan::derivative(&decomp, Axis(2), opts)
        };
        check_all(
            world,
            dist.is_ok(),
            &format!("{label}: grid {:?}: {:?}", decomp.dims(), dist.as_ref().err()),
        );
        let dist = dist.unwrap();
        let mut u = decomp
            .scatter(0, (world.rank() == 0).then(|| f.view()), dist.halo(), f64::NAN)
            .unwrap();
        let out = dist.apply(&mut u).unwrap();
        let gathered = decomp.gather(0, out[0].view()).unwrap();
        if world.rank() == 0 {
            let whole = if laplacian {
                f.laplacian(opts).unwrap()
            } else {
                f.gradient_with(opts).unwrap().remove(0)
            };
            check_all(world, same_bits(&gathered.unwrap(), &whole), &format!("{label}: bits"));
        } else {
            check_all(world, gathered.is_none(), &format!("{label}: gather off the root"));
        }
        decomp.dims().to_vec()
    };
    let d2 = GradientOptions::new().accuracy(4).axes([Axis(2)]);
    for shape in [&[4usize, 3, 9][..], &[9, 7, 13]] {
        let f = field(shape, rng);
        let dims = check(shape, &d2, false, &f);
        if shape == [9, 7, 13] {
            // The Laplacian cuts something on every grid: the least halo that fits.
            check(shape, &GradientOptions::new().accuracy(4), true, &f);
        }
        if shape == [4, 3, 9] && size == 4 {
            check_all(world, dims == [4, 1, 1], &format!("Auto for plans chose {dims:?}"));
            // Without the plans: the least-surface grid, which the derivative refuses.
            let blind = Decomposition::new(world, shape, &ProcessGrid::Auto, &[false; 3]).unwrap();
            let refused = DistPlan::derivative(&blind, Axis(2), &d2);
            check_all(
                world,
                blind.dims() == [1, 1, 4] && matches!(refused, Err(DistError::ThinnerThanHalo { axis: 2, .. })),
                &format!("least-surface grid {:?}: {:?}", blind.dims(), refused.err()),
            );
        }
    }
}
