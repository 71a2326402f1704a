//! Domain-decomposed gradients and Laplacians of [`ndarray_gradient`] over MPI (the `mpi` crate,
//! rsmpi).
//!
//! A global N-D grid is split over the ranks of a communicator as a Cartesian process grid
//! ([`Decomposition`]); each rank holds its block plus the halo the chosen operation needs
//! ([`DistArray`]); a [`DistPlan`] exchanges the halos with the neighbouring ranks (non-blocking
//! sends and receives, periodic wrap) and computes the rank's block of the result through the
//! core crate's halo contract ([`ndarray_gradient::BlockPlan`]): the gathered result is the
//! single-process call on the whole array, bit for bit, for any number of ranks and any process
//! grid.
//!
//! ```no_run
//! use mpi::traits::*;
//! use ndarray::{ArrayD, Axis, IxDyn};
//! use ndarray_gradient::GradientOptions;
//! use ndarray_gradient_mpi::{Decomposition, DistError, DistPlan, ProcessGrid, widest_halo};
//!
//! fn main() -> Result<(), DistError> {
//!     let universe = mpi::initialize().unwrap();
//!     let world = universe.world();
//!     // A 1024 × 1024 grid over the ranks, periodic on axis 1 only (collective; uneven remainders
//!     // go to the first blocks; ProcessGrid::Dims(vec![4, 2]) to choose the process grid).
//!     let decomp = Decomposition::new(&world, &[1024, 1024], &ProcessGrid::Auto, &[false, true])?;
//!     let opts = GradientOptions::new().accuracy(4).periodic(Axis(1));
//!     let lap = DistPlan::laplacian(&decomp, &opts)?; // also DistPlan::derivative(&decomp, axis, &opts)
//!     let grad = DistPlan::gradient(&decomp, &opts)?;
//!     // Rank 0's array, scattered: each rank's block, with room for the wider halo of the two plans.
//!     let f = (world.rank() == 0).then(|| ArrayD::from_shape_fn(IxDyn(&[1024, 1024]), |i| (i[0] * i[1]) as f64));
//!     let mut u = decomp.scatter(0, f.as_ref().map(|f| f.view()), &widest_halo(&[&lap, &grad]), 0.0)?;
//!     lap.exchange(&mut u)?; // non-blocking sends and receives with the neighbours
//!     let mut out = ArrayD::zeros(IxDyn(&decomp.block()));
//!     lap.compute(&u, &mut [&mut *out])?; // this rank's block of the Laplacian, through BlockPlan
//!     let d = grad.apply(&mut u)?; // exchange + compute into new block-shaped arrays
//!     let whole = decomp.gather(0, d[1].view())?; // ∂f/∂x on rank 0 (Some there, None elsewhere)
//!     assert_eq!(whole.is_some(), world.rank() == 0);
//!     Ok(())
//! }
//! ```
//!
//! # Halo exchange
//!
//! Every operation of the core crate differentiates along one axis at a time (the Laplacian is a
//! sum of such terms), so a point reads samples along the axes through it and never diagonal ones:
//! the exchange of a plan is *face* only (`2·ndim` messages at most per rank, a star stencil in
//! PETSc's terms). [`DistPlan::with_corners`] also exchanges edges and corners (a box stencil,
//! up to `3^ndim − 1` messages) for a caller's own stencils that read them.
//!
//! The halo of a block is exact and depends on where it sits: near the true ends of a
//! non-periodic axis the one-sided stencils reach further inward. Each halo comes from the
//! adjacent rank only, so a block thinner than the halo its neighbour needs is refused
//! ([`DistError::ThinnerThanHalo`]), as PETSc's DMDA refuses a local width below the stencil
//! width.
//!
//! # Errors on every rank
//!
//! Every collective constructor ([`Decomposition::new`], [`DistPlan::gradient`], …,
//! [`Decomposition::scatter`], [`Decomposition::gather`]) checks its input and agrees on the
//! outcome with an allreduce before returning, so bad input is an error on every rank, never a
//! hang: a rank whose own input was fine but another's was not gets
//! [`DistError::OtherRank`].

use std::fmt;

use mpi::collective::SystemOperation;
use mpi::datatype::{Equivalence, Partition, PartitionMut};
use mpi::topology::{CartesianCommunicator, Communicator};
use mpi::traits::*;
use mpi::{Count, Rank, Tag};
use ndarray::{ArrayD, ArrayRef, ArrayView, ArrayViewD, ArrayViewMut, ArrayViewMutD, Axis, IxDyn, Slice};
use ndarray_gradient::halo::block_number;
use ndarray_gradient::{BlockPlan, GradientElement, GradientError, GradientOptions, Halo, Operator};
use num_traits::Float;

pub use mpi;

/// The largest number of array dimensions: the exchange tags a message with its direction,
/// one of `3^ndim`, kept below MPI's guaranteed tag bound (32767).
pub const MAX_NDIM: usize = 9;

/// What went wrong, on every rank (see the [crate documentation](crate)).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum DistError {
    /// The ranks were given global shapes of different lengths.
    NdimMismatch {
        /// The fewest dimensions any rank gave.
        min: usize,
        /// The most dimensions any rank gave.
        max: usize,
    },
    /// The ranks were given different global shapes, periodic flags or process grids.
    ShapeMismatch {
        /// The element-wise minimum over the ranks of the shape, then the periodic flags (0 or
        /// 1), then the process grid (0 for [`ProcessGrid::Auto`]).
        min: Vec<usize>,
        /// The element-wise maximum, in the same order.
        max: Vec<usize>,
    },
    /// The periodic flags or the process grid do not have one entry per axis, or the array has
    /// no axis or more than [`MAX_NDIM`].
    Layout {
        /// The number of dimensions of the global shape.
        ndim: usize,
        /// The number of periodic flags given.
        periodic: usize,
        /// The number of process-grid entries given (`None` for [`ProcessGrid::Auto`]).
        grid: Option<usize>,
    },
    /// The process grid does not have as many processes as the communicator has ranks.
    ProcessGrid {
        /// The process grid asked for.
        dims: Vec<usize>,
        /// The number of ranks.
        ranks: usize,
    },
    /// An axis has fewer points than processes along it: some rank would get an empty block.
    AxisTooSmall {
        /// The axis.
        axis: usize,
        /// Its number of points.
        points: usize,
        /// The number of processes along it.
        processes: usize,
    },
    /// No process grid gives every rank at least one point ([`ProcessGrid::Auto`]).
    GridTooSmall {
        /// The global shape.
        shape: Vec<usize>,
        /// The number of ranks.
        ranks: usize,
    },
    /// A block is thinner than the halo its neighbour needs from it.
    ThinnerThanHalo {
        /// The axis.
        axis: usize,
        /// The process coordinate (along `axis`) of the thin block.
        coord: usize,
        /// Its length along `axis`.
        block: usize,
        /// The process coordinate of the neighbour that needs the halo.
        neighbour: usize,
        /// The halo that neighbour needs from it.
        halo: usize,
    },
    /// The options need wrapped samples (a periodic boundary) on an axis the decomposition
    /// does not declare periodic.
    NotPeriodic {
        /// The axis.
        axis: usize,
    },
    /// The core crate refused the call (the same options on every rank give the same error).
    Gradient(GradientError),
    /// An array does not fit this rank's block and halo (a [`DistArray`] of another
    /// decomposition, too small a halo for the plan, or an output of the wrong shape).
    ArrayShape {
        /// The shape expected.
        expected: Vec<usize>,
        /// The shape given.
        got: Vec<usize>,
    },
    /// [`Decomposition::scatter`]: the root's array is missing or not of the global shape.
    RootArray {
        /// The global shape.
        expected: Vec<usize>,
        /// The root's array's shape, if it gave one.
        got: Option<Vec<usize>>,
    },
    /// The root rank does not exist.
    Root {
        /// The root asked for.
        root: usize,
        /// The number of ranks.
        ranks: usize,
    },
    /// Scatter and gather move at most `i32::MAX` elements (MPI counts): for larger arrays,
    /// read and write the blocks on each rank.
    TooLarge {
        /// The number of elements.
        elements: usize,
    },
    /// This rank's input was fine, another rank's was not (the lowest such rank).
    OtherRank {
        /// The rank that failed.
        rank: usize,
    },
}

impl fmt::Display for DistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DistError::NdimMismatch { min, max } => {
                write!(f, "the ranks gave global shapes of {min} to {max} dimensions")
            }
            DistError::ShapeMismatch { min, max } => write!(
                f,
                "the ranks gave different global shapes, periodic flags or process grids (element-wise \
                 minimum {min:?}, maximum {max:?})"
            ),
            DistError::Layout { ndim, periodic, grid } => write!(
                f,
                "a global shape of {ndim} dimensions (1 to {MAX_NDIM}) needs one periodic flag and one \
                 process-grid entry per axis, got {periodic} flags and {grid:?} grid entries"
            ),
            DistError::ProcessGrid { dims, ranks } => {
                write!(f, "the process grid {dims:?} does not have {ranks} processes")
            }
            DistError::AxisTooSmall {
                axis,
                points,
                processes,
            } => write!(
                f,
                "axis {axis} has {} for {}: some rank would get no point",
                count(*points, "point", "points"),
                count(*processes, "process", "processes")
            ),
            DistError::GridTooSmall { shape, ranks } => {
                write!(f, "no process grid splits a grid of shape {shape:?} over {ranks} ranks")
            }
            DistError::ThinnerThanHalo {
                axis,
                coord,
                block,
                neighbour,
                halo,
            } => write!(
                f,
                "the block at process coordinate {coord} of axis {axis} has {}, fewer than \
                 the halo of {halo} its neighbour {neighbour} needs: use fewer processes along axis {axis}, \
                 or ProcessGrid::Auto with Decomposition::for_plans",
                count(*block, "point", "points")
            ),
            DistError::NotPeriodic { axis } => write!(
                f,
                "the options are periodic on axis {axis} but the decomposition is not"
            ),
            DistError::Gradient(e) => write!(f, "{e}"),
            DistError::ArrayShape { expected, got } => {
                write!(f, "expected an array of shape {expected:?}, got {got:?}")
            }
            DistError::RootArray { expected, got } => match got {
                Some(got) => write!(f, "the root's array has shape {got:?}, not the global {expected:?}"),
                None => write!(f, "the root gave no array (global shape {expected:?})"),
            },
            DistError::Root { root, ranks } => write!(f, "no root rank {root} among {ranks} ranks"),
            DistError::TooLarge { elements } => write!(
                f,
                "{elements} elements are more than one MPI scatter or gather moves (i32::MAX)"
            ),
            DistError::OtherRank { rank } => write!(f, "rank {rank} failed (see its error)"),
        }
    }
}

impl std::error::Error for DistError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DistError::Gradient(e) => Some(e),
            _ => None,
        }
    }
}

impl From<GradientError> for DistError {
    fn from(e: GradientError) -> Self {
        DistError::Gradient(e)
    }
}

/// The agreement of every rank on an outcome: `Ok` only when every rank's is; a rank whose own
/// outcome was an error keeps it, the others get [`DistError::OtherRank`] (the lowest failing rank).
fn agree<C: Communicator, T>(comm: &C, local: Result<T, DistError>) -> Result<T, DistError> {
    let size = comm.size();
    let mine: Rank = if local.is_err() { comm.rank() } else { size };
    let mut first: Rank = size;
    comm.all_reduce_into(&mine, &mut first, SystemOperation::min());
    match local {
        Err(e) => Err(e),
        Ok(_) if first < size => Err(DistError::OtherRank { rank: first as usize }),
        ok => ok,
    }
}

/// `"1 point"`, `"2 points"`: a count with the noun that agrees with it.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// How many processes go along each axis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcessGrid {
    /// Chosen among the grids that give every rank at least one point per axis, the same way
    /// on every rank.
    ///
    /// With [`Decomposition::for_plans`], which knows the operations the decomposition will
    /// serve (their [`BlockPlan`]s), only the grids every plan can use are candidates (no block
    /// thinner than the halo its neighbour needs, which [`DistError::ThinnerThanHalo`] would
    /// refuse), and among them the one that exchanges the fewest halo samples per rank (an
    /// axis no plan differentiates can be cut for free), then the smallest largest block (the
    /// balance of the work), then the least halo surface, then the most processes along the
    /// first axes. If no grid is usable, the error is the one the least-surface grid gives.
    ///
    /// With [`Decomposition::new`], which knows no operation: the grid with the least halo
    /// surface (the points of the faces between blocks, per rank), ties going to the most
    /// processes along the first axes, whose faces are contiguous in memory. That grid may cut
    /// a differentiated axis into blocks thinner than its halo where another grid would not;
    /// use [`Decomposition::for_plans`] (or [`ProcessGrid::Dims`]) then.
    Auto,
    /// These processes per axis (their product is the number of ranks; 1 leaves an axis whole).
    Dims(Vec<usize>),
}

/// The first point and the length of block `c` of `p` along an axis of `n` points: the first
/// `n mod p` blocks have one point more (PETSc's DMDA split).
pub fn block_range(n: usize, p: usize, c: usize) -> (usize, usize) {
    let (q, r) = (n / p, n % p);
    (c * q + c.min(r), q + usize::from(c < r))
}

/// A Cartesian decomposition of a global grid over the ranks of a communicator: each rank's
/// block, its neighbours, periodic wrap per axis. Holds its own Cartesian communicator (a new
/// context, so its messages never match the caller's), with the caller's rank numbering.
pub struct Decomposition {
    comm: CartesianCommunicator,
    shape: Vec<usize>,
    dims: Vec<usize>,
    periodic: Vec<bool>,
    coords: Vec<usize>,
    /// The process coordinates of every rank.
    table: Vec<Vec<usize>>,
    /// The rank at each position of the process grid, in row-major order of the coordinates.
    ranks: Vec<Rank>,
}

impl fmt::Debug for Decomposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decomposition")
            .field("shape", &self.shape)
            .field("dims", &self.dims)
            .field("periodic", &self.periodic)
            .field("rank", &self.rank())
            .field("coords", &self.coords)
            .finish()
    }
}

/// The ordered factorisations of `size` into `nd` factors, each at most the axis' length.
fn factorisations(size: usize, shape: &[usize]) -> Vec<Vec<usize>> {
    if shape.is_empty() {
        return if size == 1 { vec![vec![]] } else { vec![] };
    }
    let mut out = Vec::new();
    for f in (1..=size.min(shape[0])).filter(|&f| size.is_multiple_of(f)) {
        for mut rest in factorisations(size / f, &shape[1..]) {
            rest.insert(0, f);
            out.push(rest);
        }
    }
    out
}

/// The halo surface of a process grid: the points of the faces between blocks, per rank.
fn surface(shape: &[usize], dims: &[usize]) -> usize {
    let side: Vec<usize> = shape.iter().zip(dims).map(|(&n, &p)| n.div_ceil(p)).collect();
    (0..shape.len())
        .filter(|&k| dims[k] > 1)
        .map(|k| 2 * (0..shape.len()).filter(|&j| j != k).map(|j| side[j]).product::<usize>())
        .sum()
}

/// The first point and the shape of the block at process coordinates `coords` of the grid
/// `dims` over `shape`.
fn block_at(shape: &[usize], dims: &[usize], coords: &[usize]) -> (Vec<usize>, Vec<usize>) {
    (0..shape.len())
        .map(|k| block_range(shape[k], dims[k], coords[k]))
        .unzip()
}

/// The halo along axis `k` of the block at coordinate `c` of that axis (the halo along `k`
/// depends only on the block's range along `k`): `(before, after)`.
fn axis_halo<R: Float>(
    plan: &BlockPlan<R>,
    shape: &[usize],
    dims: &[usize],
    k: usize,
    c: usize,
) -> Result<(usize, usize), DistError> {
    let mut coords = vec![0; shape.len()];
    coords[k] = c;
    let (start, block) = block_at(shape, dims, &coords);
    let h = plan.halo(&start, &block)?;
    Ok((h.before[k], h.after[k]))
}

/// Whether `plan` can run on the process grid `dims`: every halo comes from the adjacent
/// block, which must be at least that thick, and wraps only on periodic axes.
fn check_halos<R: Float>(plan: &BlockPlan<R>, dims: &[usize], periodic: &[bool]) -> Result<(), DistError> {
    let shape = plan.shape();
    for k in 0..shape.len() {
        let (n, p) = (shape[k], dims[k]);
        for c in 0..p {
            let (before, after) = axis_halo(plan, shape, dims, k, c)?;
            for (needed, side) in [(before, -1isize), (after, 1)] {
                if needed == 0 {
                    continue;
                }
                let from = c as isize + side;
                if !(0..p as isize).contains(&from) && !periodic[k] {
                    return Err(DistError::NotPeriodic { axis: k });
                }
                let from = from.rem_euclid(p as isize) as usize;
                let len = block_range(n, p, from).1;
                if len < needed {
                    return Err(DistError::ThinnerThanHalo {
                        axis: k,
                        coord: from,
                        block: len,
                        neighbour: c,
                        halo: needed,
                    });
                }
            }
        }
    }
    Ok(())
}

/// The halo samples a rank exchanges per step on the grid `dims`, at most: along each cut
/// axis, the widest halo (before plus after) of its blocks times the largest face.
fn halo_volume<R: Float>(plan: &BlockPlan<R>, dims: &[usize]) -> Result<usize, DistError> {
    let shape = plan.shape();
    let side: Vec<usize> = shape.iter().zip(dims).map(|(&n, &p)| n.div_ceil(p)).collect();
    let mut volume = 0;
    for k in (0..shape.len()).filter(|&k| dims[k] > 1) {
        let mut widest = 0;
        for c in 0..dims[k] {
            let (before, after) = axis_halo(plan, shape, dims, k, c)?;
            widest = widest.max(before + after);
        }
        volume += widest * (0..shape.len()).filter(|&j| j != k).map(|j| side[j]).product::<usize>();
    }
    Ok(volume)
}

/// [`ProcessGrid::Auto`]'s choice of a grid of `size` processes over `shape` (see there):
/// the least-surface grid when `plans` is empty, else the best grid every plan can use.
fn choose_grid<R: Float>(
    shape: &[usize],
    size: usize,
    periodic: &[bool],
    plans: &[&BlockPlan<R>],
) -> Result<Vec<usize>, DistError> {
    let candidates = factorisations(size, shape);
    let least_surface = candidates
        .iter()
        .min_by_key(|d| (surface(shape, d), std::cmp::Reverse(d.to_vec())))
        .cloned()
        .ok_or_else(|| DistError::GridTooSmall {
            shape: shape.to_vec(),
            ranks: size,
        })?;
    if plans.is_empty() {
        return Ok(least_surface);
    }
    // (halo samples exchanged, largest block, surface, fewer processes along the first axes
    // last): the smallest wins.
    type Preference = (usize, usize, usize, std::cmp::Reverse<Vec<usize>>);
    let mut best: Option<(Preference, Vec<usize>)> = None;
    for dims in candidates {
        if plans.iter().any(|p| check_halos(p, &dims, periodic).is_err()) {
            continue;
        }
        let mut volume = 0;
        for plan in plans {
            volume += halo_volume(plan, &dims)?;
        }
        let largest: usize = shape.iter().zip(&dims).map(|(&n, &p)| n.div_ceil(p)).product();
        let key = (volume, largest, surface(shape, &dims), std::cmp::Reverse(dims.clone()));
        if best.as_ref().is_none_or(|(b, _)| key < *b) {
            best = Some((key, dims));
        }
    }
    match best {
        Some((_, dims)) => Ok(dims),
        None => {
            for plan in plans {
                check_halos(plan, &least_surface, periodic)?;
            }
            Ok(least_surface) // unreachable: no usable grid means this one fails too
        }
    }
}

impl Decomposition {
    /// Splits a grid of `shape` over the ranks of `comm` (collective: every rank calls it with
    /// the same arguments), periodic or not per axis.
    ///
    /// # Errors
    ///
    /// On every rank: [`DistError::Layout`], [`DistError::NdimMismatch`] and
    /// [`DistError::ShapeMismatch`] when the ranks disagree, [`DistError::ProcessGrid`],
    /// [`DistError::AxisTooSmall`] or [`DistError::GridTooSmall`] when some rank would get
    /// no point.
    pub fn new<C: Communicator>(
        comm: &C,
        shape: &[usize],
        grid: &ProcessGrid,
        periodic: &[bool],
    ) -> Result<Self, DistError> {
        Self::for_plans::<C, f64>(comm, shape, grid, periodic, &[])
    }

    /// [`new`](Self::new) for the operations of `plans` (each made with [`BlockPlan::gradient`]
    /// or [`BlockPlan::laplacian`] on `shape`, the plans [`DistPlan`] will make from the same
    /// options): with [`ProcessGrid::Auto`] the grid is one every plan can use, exchanging the
    /// fewest halo samples (see [`ProcessGrid::Auto`]). With no plans, the same as `new`.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new); [`DistError::ArrayShape`] for a plan of another shape; with
    /// `Auto`, the [`DistError::ThinnerThanHalo`] or [`DistError::NotPeriodic`] that every grid
    /// gives.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use ndarray::Axis;
    /// use ndarray_gradient::{BlockPlan, GradientOptions};
    /// use ndarray_gradient_mpi::{Decomposition, DistPlan, ProcessGrid};
    ///
    /// let universe = ndarray_gradient_mpi::mpi::initialize().unwrap();
    /// let world = universe.world();
    /// // ∂/∂x₂ at accuracy 4 on 9 × 7 × 13 points: on 5 ranks the least-surface grid [1, 1, 5]
    /// // cuts axis 2 thinner than its halo; this chooses [5, 1, 1], which needs no halo.
    /// let shape = [9, 7, 13];
    /// let opts = GradientOptions::<f64>::new().accuracy(4).axes([Axis(2)]);
    /// let plan = BlockPlan::gradient(&shape, &opts).unwrap();
    /// let decomp = Decomposition::for_plans(&world, &shape, &ProcessGrid::Auto, &[false; 3], &[&plan]).unwrap();
    /// let d2 = DistPlan::derivative(&decomp, Axis(2), &opts).unwrap();
    /// # let _ = d2;
    /// ```
    pub fn for_plans<C: Communicator, R: Float>(
        comm: &C,
        shape: &[usize],
        grid: &ProcessGrid,
        periodic: &[bool],
        plans: &[&BlockPlan<R>],
    ) -> Result<Self, DistError> {
        let size = comm.size() as usize;
        let nd = shape.len();
        // The number of dimensions first: the other checks reduce vectors of that length.
        let (mut lo, mut hi) = (0u64, 0u64);
        comm.all_reduce_into(&(nd as u64), &mut lo, SystemOperation::min());
        comm.all_reduce_into(&(nd as u64), &mut hi, SystemOperation::max());
        if lo != hi {
            return Err(DistError::NdimMismatch {
                min: lo as usize,
                max: hi as usize,
            });
        }
        let grid_len = match grid {
            ProcessGrid::Auto => None,
            ProcessGrid::Dims(d) => Some(d.len()),
        };
        let layout = if nd == 0 || nd > MAX_NDIM || periodic.len() != nd || grid_len.is_some_and(|g| g != nd) {
            Err(DistError::Layout {
                ndim: nd,
                periodic: periodic.len(),
                grid: grid_len,
            })
        } else {
            Ok(())
        };
        agree(comm, layout)?;
        let mut mine: Vec<u64> = shape.iter().map(|&n| n as u64).collect();
        mine.extend(periodic.iter().map(|&p| u64::from(p)));
        match grid {
            ProcessGrid::Auto => mine.extend(std::iter::repeat_n(0, nd)),
            ProcessGrid::Dims(d) => mine.extend(d.iter().map(|&p| p as u64)),
        }
        same_on_every_rank(comm, &mine)?;
        // From here every rank has the same arguments: every check below is the same on all.
        let dims = match grid {
            ProcessGrid::Dims(d) => {
                if d.iter().product::<usize>() != size {
                    return Err(DistError::ProcessGrid {
                        dims: d.clone(),
                        ranks: size,
                    });
                }
                if let Some(k) = (0..nd).find(|&k| d[k] > shape[k]) {
                    return Err(DistError::AxisTooSmall {
                        axis: k,
                        points: shape[k],
                        processes: d[k],
                    });
                }
                d.clone()
            }
            ProcessGrid::Auto => {
                let fits = plans.iter().find(|p| p.shape() != shape).map_or(Ok(()), |p| {
                    Err(DistError::ArrayShape {
                        expected: shape.to_vec(),
                        got: p.shape().to_vec(),
                    })
                });
                agree(comm, fits.and_then(|()| choose_grid(shape, size, periodic, plans)))?
            }
        };
        // Plans that differ between ranks could make them choose different grids.
        same_on_every_rank(comm, &dims.iter().map(|&p| p as u64).collect::<Vec<_>>())?;
        let counts: Vec<Count> = dims.iter().map(|&p| p as Count).collect();
        let comm = comm
            .create_cartesian_communicator(&counts, periodic, false)
            .expect("every rank is in a process grid of the communicator's size");
        // The rank of every position from MPI_Cart_coords (rsmpi 0.8.2's `coordinates_to_rank`
        // refuses coordinate 0 on a non-periodic axis).
        let table: Vec<Vec<usize>> = (0..size as Rank)
            .map(|r| comm.rank_to_coordinates(r).iter().map(|&c| c as usize).collect())
            .collect();
        let mut ranks = vec![0; size];
        for (r, c) in table.iter().enumerate() {
            ranks[block_number(c, &dims)] = r as Rank;
        }
        Ok(Decomposition {
            coords: table[comm.rank() as usize].clone(),
            comm,
            shape: shape.to_vec(),
            dims,
            periodic: periodic.to_vec(),
            table,
            ranks,
        })
    }

    /// The Cartesian communicator (same rank numbers as the communicator given to
    /// [`new`](Self::new)).
    pub fn comm(&self) -> &CartesianCommunicator {
        &self.comm
    }
    /// This rank.
    pub fn rank(&self) -> usize {
        self.comm.rank() as usize
    }
    /// The number of ranks.
    pub fn size(&self) -> usize {
        self.comm.size() as usize
    }
    /// The global shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    /// Processes per axis.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }
    /// Which axes wrap around.
    pub fn periodic(&self) -> &[bool] {
        &self.periodic
    }
    /// This rank's position in the process grid.
    pub fn coords(&self) -> &[usize] {
        &self.coords
    }
    /// The first point of the block at process coordinates `coords`.
    pub fn start_of(&self, coords: &[usize]) -> Vec<usize> {
        (0..self.shape.len())
            .map(|k| block_range(self.shape[k], self.dims[k], coords[k]).0)
            .collect()
    }
    /// The shape of the block at process coordinates `coords`.
    pub fn block_of(&self, coords: &[usize]) -> Vec<usize> {
        (0..self.shape.len())
            .map(|k| block_range(self.shape[k], self.dims[k], coords[k]).1)
            .collect()
    }
    /// This rank's first point in the global grid.
    pub fn start(&self) -> Vec<usize> {
        self.start_of(&self.coords)
    }
    /// This rank's block shape.
    pub fn block(&self) -> Vec<usize> {
        self.block_of(&self.coords)
    }
    /// The process coordinates of `rank`.
    pub fn coords_of(&self, rank: usize) -> Vec<usize> {
        self.table[rank].clone()
    }
    /// The rank at process coordinates `coords`.
    pub fn rank_at(&self, coords: &[usize]) -> usize {
        self.ranks[block_number(coords, &self.dims)] as usize
    }

    /// The rank at `coords + offset`, wrapped on periodic axes; `None` past a non-periodic end.
    fn neighbour(&self, offset: &[isize]) -> Option<Rank> {
        let c: Option<Vec<usize>> = (self.dims.iter().zip(&self.coords).zip(&self.periodic).zip(offset))
            .map(|(((&p, &c), &periodic), &d)| {
                let (p, x) = (p as isize, c as isize + d);
                ((0..p).contains(&x) || periodic).then(|| x.rem_euclid(p) as usize)
            })
            .collect();
        Some(self.ranks[block_number(&c?, &self.dims)])
    }

    fn check_root(&self, root: usize) -> Result<(), DistError> {
        if root >= self.size() {
            return Err(DistError::Root {
                root,
                ranks: self.size(),
            });
        }
        let elements = self.shape.iter().product::<usize>();
        if elements > i32::MAX as usize {
            return Err(DistError::TooLarge { elements });
        }
        Ok(())
    }

    /// The blocks of every rank as one buffer, rank after rank, each in C order: the counts
    /// and displacements of a scatter or gather.
    fn partition(&self) -> (Vec<Count>, Vec<Count>) {
        let counts: Vec<Count> = (0..self.size())
            .map(|r| self.block_of(&self.coords_of(r)).iter().product::<usize>() as Count)
            .collect();
        let displs = counts
            .iter()
            .scan(0, |acc, &c| {
                let d = *acc;
                *acc += c;
                Some(d)
            })
            .collect();
        (counts, displs)
    }

    /// Each rank's block of `global` (given on `root`, ignored elsewhere), in a [`DistArray`]
    /// with room for `halo` (filled with `fill` until an exchange). Collective.
    ///
    /// # Errors
    ///
    /// On every rank: [`DistError::Root`], [`DistError::RootArray`], [`DistError::TooLarge`].
    pub fn scatter<A: Equivalence + Copy>(
        &self,
        root: usize,
        global: Option<ArrayViewD<'_, A>>,
        halo: &Halo,
        fill: A,
    ) -> Result<DistArray<A>, DistError> {
        self.check_root(root)?;
        let local = if self.rank() == root {
            match &global {
                Some(g) if g.shape() == self.shape.as_slice() => Ok(()),
                g => Err(DistError::RootArray {
                    expected: self.shape.clone(),
                    got: g.as_ref().map(|g| g.shape().to_vec()),
                }),
            }
        } else {
            Ok(())
        };
        // The root's verdict, on every rank.
        let mut ok = u8::from(local.is_ok());
        self.comm.process_at_rank(root as Rank).broadcast_into(&mut ok);
        local?;
        if ok == 0 {
            return Err(DistError::OtherRank { rank: root });
        }
        let mut u = DistArray::new(self, halo, fill);
        let mut buf = vec![fill; self.block().iter().product()];
        let root_process = self.comm.process_at_rank(root as Rank);
        if self.rank() == root {
            let g = global.expect("checked above");
            let mut all = Vec::with_capacity(g.len());
            for r in 0..self.size() {
                let c = self.coords_of(r);
                all.extend(
                    g.slice_each_axis(|ax| region(&self.start_of(&c), &self.block_of(&c), ax))
                        .iter()
                        .copied(),
                );
            }
            let (counts, displs) = self.partition();
            let partition = Partition::new(&all[..], counts, &displs[..]);
            root_process.scatter_varcount_into_root(&partition, &mut buf[..]);
        } else {
            root_process.scatter_varcount_into(&mut buf[..]);
        }
        u.block_mut()
            .assign(&ArrayView::from_shape(IxDyn(&self.block()), &buf[..]).expect("the block's length"));
        Ok(u)
    }

    /// The global array on `root` (`None` elsewhere) from every rank's `block` (a
    /// [`DistArray::block`] or an output of [`DistPlan::compute`]). Collective.
    ///
    /// # Errors
    ///
    /// On every rank: [`DistError::Root`], [`DistError::TooLarge`], [`DistError::ArrayShape`]
    /// when a rank's block is not its block's shape.
    pub fn gather<A: Equivalence + Copy>(
        &self,
        root: usize,
        block: ArrayViewD<'_, A>,
    ) -> Result<Option<ArrayD<A>>, DistError> {
        self.check_root(root)?;
        let mine = self.block();
        let local = if block.shape() == mine.as_slice() {
            Ok(())
        } else {
            Err(DistError::ArrayShape {
                expected: mine.clone(),
                got: block.shape().to_vec(),
            })
        };
        agree(&self.comm, local)?;
        let buf: Vec<A> = block.iter().copied().collect();
        let root_process = self.comm.process_at_rank(root as Rank);
        if self.rank() != root {
            root_process.gather_varcount_into(&buf[..]);
            return Ok(None);
        }
        let Some(&first) = buf.first() else {
            unreachable!("every block has at least one point")
        };
        let (counts, displs) = self.partition();
        let mut all = vec![first; self.shape.iter().product()];
        {
            let mut partition = PartitionMut::new(&mut all[..], counts.clone(), &displs[..]);
            root_process.gather_varcount_into_root(&buf[..], &mut partition);
        }
        let mut out = ArrayD::from_elem(IxDyn(&self.shape), first);
        for r in 0..self.size() {
            let c = self.coords_of(r);
            let (s, b) = (self.start_of(&c), self.block_of(&c));
            let part = &all[displs[r] as usize..(displs[r] + counts[r]) as usize];
            out.slice_each_axis_mut(|ax| region(&s, &b, ax))
                .assign(&ArrayView::from_shape(IxDyn(&b), part).expect("the block's length"));
        }
        Ok(Some(out))
    }
}

/// The view without its axes of length 1 (none removed if all are, to keep one).
fn squeeze<S: ndarray::RawData>(mut a: ndarray::ArrayBase<S, IxDyn>) -> ndarray::ArrayBase<S, IxDyn> {
    for k in (0..a.ndim()).rev() {
        if a.len_of(Axis(k)) == 1 && a.ndim() > 1 {
            a.index_axis_inplace(Axis(k), 0);
        }
    }
    a
}

/// The slice of the block `start`, `block` on one axis.
fn region(start: &[usize], block: &[usize], ax: ndarray::AxisDescription) -> Slice {
    let k = ax.axis.index();
    Slice::from(start[k]..start[k] + block[k])
}

/// The widest halo of this rank's plans on each side of each axis: the room a [`DistArray`]
/// needs to serve them all (empty for no plan).
pub fn widest_halo<R>(plans: &[&DistPlan<'_, R>]) -> Halo {
    let nd = plans.first().map_or(0, |p| p.block.len());
    widest_of(nd, plans)
}

/// `Err(ShapeMismatch)` on every rank unless every rank passed the same `mine` (collective):
/// the shape, periodicity and process grid, or the grid each rank chose.
fn same_on_every_rank<C: Communicator>(comm: &C, mine: &[u64]) -> Result<(), DistError> {
    let (mut lo, mut hi) = (vec![0u64; mine.len()], vec![0u64; mine.len()]);
    comm.all_reduce_into(mine, &mut lo[..], SystemOperation::min());
    comm.all_reduce_into(mine, &mut hi[..], SystemOperation::max());
    if lo != hi {
        return Err(DistError::ShapeMismatch {
            min: lo.iter().map(|&x| x as usize).collect(),
            max: hi.iter().map(|&x| x as usize).collect(),
        });
    }
    Ok(())
}

/// The widest halo of `plans` on an array of `nd` axes (no halo for no plan).
fn widest_of<R>(nd: usize, plans: &[&DistPlan<'_, R>]) -> Halo {
    plans.iter().fold(Halo::none(nd), |halo, p| halo.widest(&p.halo))
}

/// A rank's block of a distributed array, stored with room for a halo around it.
#[derive(Clone, Debug)]
pub struct DistArray<A> {
    data: ArrayD<A>,
    halo: Halo,
    start: Vec<usize>,
    block: Vec<usize>,
}

impl<A: Clone> DistArray<A> {
    /// This rank's block of `decomp`, with room for `halo` around it, every point `fill`.
    pub fn new(decomp: &Decomposition, halo: &Halo, fill: A) -> Self {
        let block = decomp.block();
        DistArray {
            data: ArrayD::from_elem(IxDyn(&halo.around(&block)), fill),
            halo: halo.clone(),
            start: decomp.start(),
            block,
        }
    }

    /// This rank's block with room for the halo of each plan (the largest on each side).
    pub fn for_plans<R>(decomp: &Decomposition, plans: &[&DistPlan<'_, R>], fill: A) -> Self {
        Self::new(decomp, &widest_of(decomp.shape().len(), plans), fill)
    }
}

impl<A> DistArray<A> {
    /// The rank's block.
    pub fn block(&self) -> ArrayViewD<'_, A> {
        self.data.slice_each_axis(|ax| {
            let k = ax.axis.index();
            Slice::from(self.halo.before[k]..self.halo.before[k] + self.block[k])
        })
    }
    /// The rank's block, to write.
    pub fn block_mut(&mut self) -> ArrayViewMutD<'_, A> {
        let (halo, block) = (&self.halo, &self.block);
        self.data.slice_each_axis_mut(|ax| {
            let k = ax.axis.index();
            Slice::from(halo.before[k]..halo.before[k] + block[k])
        })
    }
    /// The block with its halo around it (the halo holds what the last exchange brought; on a
    /// face-only exchange, edges and corners keep their fill).
    pub fn with_halo(&self) -> ArrayViewD<'_, A> {
        self.data.view()
    }
    /// The room for a halo on each side.
    pub fn halo(&self) -> &Halo {
        &self.halo
    }
    /// The block's first point in the global grid.
    pub fn start(&self) -> &[usize] {
        &self.start
    }
    /// The block's shape.
    pub fn block_shape(&self) -> &[usize] {
        &self.block
    }
}

/// One message of an exchange: the peer, the tag, and the region in block-relative offsets.
#[derive(Clone, Debug)]
struct Transfer {
    rank: Rank,
    tag: Tag,
    region: Vec<(isize, isize)>,
}

impl Transfer {
    fn len(&self) -> usize {
        self.region.iter().map(|&(lo, hi)| (hi - lo) as usize).product()
    }
    fn shape(&self) -> Vec<usize> {
        self.region.iter().map(|&(lo, hi)| (hi - lo) as usize).collect()
    }
}

/// The tag of a message coming from direction `d` (a base-3 code of the offsets).
fn tag_of(d: &[isize]) -> Tag {
    d.iter().rev().fold(0, |acc, &x| acc * 3 + (x + 1) as Tag)
}

/// A [`BlockPlan`] on a [`Decomposition`]: this rank's halo and the messages that fill it.
#[derive(Clone)]
pub struct DistPlan<'d, R> {
    plan: BlockPlan<R>,
    start: Vec<usize>,
    block: Vec<usize>,
    halo: Halo,
    corners: bool,
    receives: Vec<Transfer>,
    sends: Vec<Transfer>,
    decomp: &'d Decomposition,
}

impl<'d, R: Float> DistPlan<'d, R> {
    /// np.gradient with `opts` over the distributed array: one output per differentiated axis.
    /// Collective.
    ///
    /// # Errors
    ///
    /// On every rank: [`DistError::Gradient`] for options the core crate refuses on the global
    /// shape, [`DistError::ThinnerThanHalo`], [`DistError::NotPeriodic`].
    pub fn gradient(decomp: &'d Decomposition, opts: &GradientOptions<'_, R>) -> Result<Self, DistError> {
        Self::new(decomp, BlockPlan::gradient(decomp.shape(), opts))
    }
    /// The derivative along one axis (of the options' derivative order and accuracy): one
    /// output. Collective.
    ///
    /// # Errors
    ///
    /// As [`gradient`](Self::gradient).
    pub fn derivative(decomp: &'d Decomposition, axis: Axis, opts: &GradientOptions<'_, R>) -> Result<Self, DistError> {
        let opts = opts.clone().axes([axis]);
        Self::new(decomp, BlockPlan::gradient(decomp.shape(), &opts))
    }
    /// The Laplacian with `opts` (second derivatives summed over the axes): one output.
    /// Collective.
    ///
    /// # Errors
    ///
    /// As [`gradient`](Self::gradient).
    pub fn laplacian(decomp: &'d Decomposition, opts: &GradientOptions<'_, R>) -> Result<Self, DistError> {
        Self::new(decomp, BlockPlan::laplacian(decomp.shape(), opts))
    }

    /// Any [`Operator`] (mixed partials, sums, coefficients) with `opts`: one output, the
    /// same bits as [`Operator::apply`] on the whole array. An operator with a mixed partial
    /// reads the corners of the halo, so its plan exchanges them (as
    /// [`with_corners`](Self::with_corners)); one without exchanges faces only. Coefficient
    /// arrays are of the global shape, on every rank (each takes its block's part). Collective.
    ///
    /// # Errors
    ///
    /// As [`gradient`](Self::gradient); [`DistError::Gradient`] for what
    /// [`Operator::apply`] refuses on the global shape.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use ndarray::Axis;
    /// use ndarray_gradient::{GradientOptions, Operator};
    /// use ndarray_gradient_mpi::{Decomposition, DistArray, DistPlan, ProcessGrid};
    ///
    /// let universe = ndarray_gradient_mpi::mpi::initialize().unwrap();
    /// let world = universe.world();
    /// // findiff: (Diff(0) * Diff(1))(f) at acc=4, on a 64 × 64 array spread over the ranks.
    /// let decomp = Decomposition::new(&world, &[64, 64], &ProcessGrid::Auto, &[false, false]).unwrap();
    /// let d2_dxdy = Operator::derivative(Axis(0), 1) * Operator::derivative(Axis(1), 1);
    /// let plan = DistPlan::operator(&decomp, &d2_dxdy, &GradientOptions::new().accuracy(4)).unwrap();
    /// let mut u = DistArray::new(&decomp, plan.halo(), 0.0f64);
    /// u.block_mut().fill(1.0);
    /// let out = plan.apply(&mut u).unwrap(); // exchanges faces and corners, then computes
    /// assert_eq!(out[0].shape(), decomp.block().as_slice());
    /// ```
    pub fn operator(
        decomp: &'d Decomposition,
        op: &Operator<'_, R>,
        opts: &GradientOptions<'_, R>,
    ) -> Result<Self, DistError> {
        let plan = Self::new(decomp, BlockPlan::operator(decomp.shape(), op, opts))?;
        Ok(if plan.plan.reads_corners() {
            plan.with_corners()
        } else {
            plan
        })
    }

    fn new(decomp: &'d Decomposition, plan: Result<BlockPlan<R>, GradientError>) -> Result<Self, DistError> {
        let plan = agree(decomp.comm(), plan.map_err(DistError::from))?;
        let local = Self::schedule(decomp, plan);
        agree(decomp.comm(), local)
    }

    /// The halos of every block along every axis, checked; then this rank's messages.
    fn schedule(decomp: &'d Decomposition, plan: BlockPlan<R>) -> Result<Self, DistError> {
        check_halos(&plan, decomp.dims(), decomp.periodic())?;
        let (start, block) = (decomp.start(), decomp.block());
        let halo = plan.halo(&start, &block)?;
        let mut dist = DistPlan {
            plan,
            start,
            block,
            halo,
            corners: false,
            receives: Vec::new(),
            sends: Vec::new(),
            decomp,
        };
        dist.build()?;
        Ok(dist)
    }

    /// The messages of this rank: a receive from each neighbour whose samples the halo needs,
    /// a send to each neighbour whose halo needs this block's samples.
    fn build(&mut self) -> Result<(), DistError> {
        let decomp = self.decomp;
        let nd = decomp.shape().len();
        self.receives.clear();
        self.sends.clear();
        let directions = (0..3usize.pow(nd as u32)).map(|code| {
            (0..nd)
                .map(|k| (code / 3usize.pow(k as u32) % 3) as isize - 1)
                .collect::<Vec<isize>>()
        });
        for d in directions {
            let nonzero = d.iter().filter(|&&x| x != 0).count();
            if nonzero == 0 || (!self.corners && nonzero > 1) {
                continue;
            }
            // Receive: the part of this rank's halo in direction d, from the rank at d.
            let region: Vec<(isize, isize)> = (0..nd)
                .map(|k| match d[k] {
                    -1 => (-(self.halo.before[k] as isize), 0),
                    0 => (0, self.block[k] as isize),
                    _ => (self.block[k] as isize, (self.block[k] + self.halo.after[k]) as isize),
                })
                .collect();
            if region.iter().all(|&(lo, hi)| hi > lo) {
                let rank = decomp.neighbour(&d).expect("checked: a halo past an end is periodic");
                self.receives.push(Transfer {
                    rank,
                    tag: tag_of(&d),
                    region,
                });
            }
            // Send: the rank at d receives from direction -d the part of its halo this block holds.
            let Some(rank) = decomp.neighbour(&d) else { continue };
            let coords: Vec<usize> = (0..nd)
                .map(|k| (decomp.coords()[k] as isize + d[k]).rem_euclid(decomp.dims()[k] as isize) as usize)
                .collect();
            let theirs = self.plan.halo(&decomp.start_of(&coords), &decomp.block_of(&coords))?;
            let b = &self.block;
            let region: Vec<(isize, isize)> = (0..nd)
                .map(|k| match d[k] {
                    // They are before this block: their halo after them is this block's start.
                    -1 => (0, theirs.after[k] as isize),
                    0 => (0, b[k] as isize),
                    _ => ((b[k] - theirs.before[k]) as isize, b[k] as isize),
                })
                .collect();
            if region.iter().all(|&(lo, hi)| hi > lo) {
                let back: Vec<isize> = d.iter().map(|&x| -x).collect();
                self.sends.push(Transfer {
                    rank,
                    tag: tag_of(&back),
                    region,
                });
            }
        }
        Ok(())
    }
}

impl<R: Float> DistPlan<'_, R> {
    /// Also exchange edges and corners (a box stencil: up to `3^ndim − 1` messages per rank),
    /// for a caller's own stencils that read diagonal neighbours. Of the core crate's
    /// operations only an operator with a mixed partial reads them, and
    /// [`operator`](Self::operator) asks for them itself.
    #[must_use]
    pub fn with_corners(mut self) -> Self {
        self.corners = true;
        self.build().expect("the halos were checked when the plan was made");
        self
    }

    /// This rank's halo: exactly the samples its block's points read beyond it.
    pub fn halo(&self) -> &Halo {
        &self.halo
    }
    /// The core crate's plan on the global shape.
    pub fn block_plan(&self) -> &BlockPlan<R> {
        &self.plan
    }
    /// The number of outputs of [`compute`](Self::compute).
    pub fn outputs(&self) -> usize {
        self.plan.outputs()
    }
    /// The number of messages this rank receives and sends in one exchange.
    pub fn messages(&self) -> (usize, usize) {
        (self.receives.len(), self.sends.len())
    }
    /// The elements this rank receives and sends in one exchange.
    pub fn halo_elements(&self) -> (usize, usize) {
        (
            self.receives.iter().map(Transfer::len).sum(),
            self.sends.iter().map(Transfer::len).sum(),
        )
    }

    /// Checks that `u` is this rank's block with room for this plan's halo.
    fn check_array<A>(&self, u: &DistArray<A>) -> Result<(), DistError> {
        let fits = (0..self.block.len())
            .all(|k| u.halo.before[k] >= self.halo.before[k] && u.halo.after[k] >= self.halo.after[k]);
        if u.start != self.start || u.block != self.block || !fits {
            let expected = self.halo.around(&self.block);
            return Err(DistError::ArrayShape {
                expected,
                got: u.data.shape().to_vec(),
            });
        }
        Ok(())
    }

    /// Fills `u`'s halo from the neighbouring ranks (wrapped on periodic axes): non-blocking
    /// receives posted first, then non-blocking sends, then waits for all. Collective over
    /// the neighbours: every rank calls it with its block of the same distributed array.
    ///
    /// # Errors
    ///
    /// [`DistError::ArrayShape`] (before any message) when `u` is not this rank's block with
    /// room for the plan's halo. That is a programming error the same on every rank when the
    /// arrays are made the same way; it is not agreed on, so that an exchange costs no
    /// collective.
    pub fn exchange<A: Equivalence + Copy>(&self, u: &mut DistArray<A>) -> Result<(), DistError> {
        self.check_array(u)?;
        let offset = &u.halo.before;
        let slices = |t: &Transfer| -> Vec<Slice> {
            offset
                .iter()
                .zip(&t.region)
                .map(|(&o, &(lo, hi))| Slice::from((lo + o as isize) as usize..(hi + o as isize) as usize))
                .collect()
        };
        let Some(&fill) = u.data.first() else { return Ok(()) };
        // Packed and unpacked with `assign` (ndarray's Zip: rows at a time) on views without
        // their length-1 axes, so that a face across the last axis copies strided rows rather
        // than rows of one element.
        let sends: Vec<Vec<A>> = self
            .sends
            .iter()
            .map(|t| {
                let sl = slices(t);
                let mut buf = vec![fill; t.len()];
                let dst = ArrayViewMut::from_shape(IxDyn(&t.shape()), &mut buf[..]).expect("the message's length");
                squeeze(dst).assign(&squeeze(u.data.slice_each_axis(|ax| sl[ax.axis.index()])));
                buf
            })
            .collect();
        let mut receives: Vec<Vec<A>> = self.receives.iter().map(|t| vec![fill; t.len()]).collect();
        let comm = self.decomp.comm();
        mpi::request::scope(|scope| {
            let receiving: Vec<_> = self
                .receives
                .iter()
                .zip(receives.iter_mut())
                .map(|(t, buf)| {
                    comm.process_at_rank(t.rank)
                        .immediate_receive_into_with_tag(scope, &mut buf[..], t.tag)
                })
                .collect();
            let sending: Vec<_> = self
                .sends
                .iter()
                .zip(&sends)
                .map(|(t, buf)| {
                    comm.process_at_rank(t.rank)
                        .immediate_send_with_tag(scope, &buf[..], t.tag)
                })
                .collect();
            for r in receiving {
                r.wait();
            }
            for s in sending {
                s.wait();
            }
        });
        for (t, buf) in self.receives.iter().zip(&receives) {
            let part = ArrayView::from_shape(IxDyn(&t.shape()), &buf[..]).expect("the message's length");
            let sl = slices(t);
            squeeze(u.data.slice_each_axis_mut(|ax| sl[ax.axis.index()])).assign(&squeeze(part));
        }
        Ok(())
    }

    /// This rank's block of the result into `outs` (one array of the block's shape per output,
    /// e.g. a [`DistArray::block_mut`] or a plain array), from `u` after an
    /// [`exchange`](Self::exchange): the same bits as those points of the whole-array call.
    /// Local: no message.
    ///
    /// # Errors
    ///
    /// [`DistError::ArrayShape`] for `u`; [`DistError::Gradient`] for the outputs (their number
    /// and shapes).
    pub fn compute<A>(&self, u: &DistArray<A>, outs: &mut [&mut ArrayRef<A::Output, IxDyn>]) -> Result<(), DistError>
    where
        A: GradientElement<Real = R>,
    {
        self.check_array(u)?;
        let view = u.data.slice_each_axis(|ax| {
            let k = ax.axis.index();
            let lo = u.halo.before[k] - self.halo.before[k];
            Slice::from(lo..u.halo.before[k] + self.block[k] + self.halo.after[k])
        });
        self.plan.compute(view, &self.start, &self.block, outs)?;
        Ok(())
    }

    /// [`exchange`](Self::exchange) then [`compute`](Self::compute) into new arrays of the
    /// block's shape.
    ///
    /// # Errors
    ///
    /// As `exchange`.
    pub fn apply<A>(&self, u: &mut DistArray<A>) -> Result<Vec<ArrayD<A::Output>>, DistError>
    where
        A: GradientElement<Real = R> + Equivalence,
    {
        self.exchange(u)?;
        let mut outs: Vec<ArrayD<A::Output>> = (0..self.outputs())
            .map(|_| ArrayD::default(IxDyn(&self.block)))
            .collect();
        let mut refs: Vec<&mut ArrayRef<A::Output, IxDyn>> = outs.iter_mut().map(|o| &mut **o).collect();
        self.compute(u, &mut refs)?;
        Ok(outs)
    }
}

impl<R: fmt::Debug> fmt::Debug for DistPlan<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DistPlan")
            .field("plan", &self.plan)
            .field("start", &self.start)
            .field("block", &self.block)
            .field("halo", &self.halo)
            .field("corners", &self.corners)
            .field("receives", &self.receives)
            .field("sends", &self.sends)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derivative_plan(shape: &[usize], axis: usize, accuracy: usize) -> BlockPlan<f64> {
        let opts = GradientOptions::new().accuracy(accuracy).axes([Axis(axis)]);
        BlockPlan::gradient(shape, &opts).unwrap()
    }

    /// The issue's case: ∂/∂x₂ at accuracy 4 on 9 × 7 × 13 points. On 5 and 6 ranks the
    /// least-surface grid cuts axis 2 into blocks thinner than the one-sided edges' halo (4);
    /// the halo-aware choice leaves axis 2 whole (no halo at all) and balances the blocks.
    #[test]
    fn auto_leaves_the_differentiated_axis_whole_when_cutting_it_fails() {
        let shape = [9, 7, 13];
        let plan = derivative_plan(&shape, 2, 4);
        let periodic = [false; 3];
        for (ranks, blind, aware) in [(5, vec![1, 1, 5], vec![5, 1, 1]), (6, vec![1, 1, 6], vec![3, 2, 1])] {
            assert_eq!(choose_grid::<f64>(&shape, ranks, &periodic, &[]).unwrap(), blind);
            assert!(
                matches!(
                    check_halos(&plan, &blind, &periodic),
                    Err(DistError::ThinnerThanHalo { axis: 2, .. })
                ),
                "{ranks} ranks"
            );
            assert_eq!(
                choose_grid(&shape, ranks, &periodic, &[&plan]).unwrap(),
                aware,
                "{ranks} ranks"
            );
            assert!(check_halos(&plan, &aware, &periodic).is_ok());
            assert_eq!(halo_volume(&plan, &aware).unwrap(), 0);
        }
    }

    /// Where cutting a differentiated axis is needed, the usable grid with the smallest halo
    /// exchange wins; several plans must all fit; with none usable the error is the plan's.
    #[test]
    fn auto_weighs_the_halo_of_every_plan() {
        // The Laplacian at accuracy 2 (halo 1 on every axis) of 40 × 10 on 4 ranks: cutting the
        // long axis only exchanges 2 × 10 samples, the least.
        let opts = GradientOptions::<f64>::new();
        let lap = BlockPlan::laplacian(&[40, 10], &opts).unwrap();
        assert_eq!(choose_grid(&[40, 10], 4, &[false; 2], &[&lap]).unwrap(), vec![4, 1]);
        // Adding ∂/∂x₀ at accuracy 8 (a halo of 4 + 4 between blocks of axis 0): 2 × 2 blocks
        // now exchange less (25 + 20 samples) than 4 × 1 (20 + 80); with 8 ranks the blocks of
        // 5 rows that 8 × 1 would give are too thin for the one-sided edges, so it is not taken.
        let d0 = derivative_plan(&[40, 10], 0, 8);
        assert_eq!(
            halo_volume(&lap, &[2, 2]).unwrap() + halo_volume(&d0, &[2, 2]).unwrap(),
            45
        );
        assert_eq!(
            halo_volume(&lap, &[4, 1]).unwrap() + halo_volume(&d0, &[4, 1]).unwrap(),
            100
        );
        assert_eq!(
            choose_grid(&[40, 10], 4, &[false; 2], &[&lap, &d0]).unwrap(),
            vec![2, 2]
        );
        assert!(check_halos(&d0, &[8, 1], &[false; 2]).is_err());
        let eight = choose_grid(&[40, 10], 8, &[false; 2], &[&lap, &d0]).unwrap();
        assert!(
            eight[0] < 8 && check_halos(&d0, &eight, &[false; 2]).is_ok(),
            "{eight:?}"
        );
        // No grid fits: 4 ranks on 6 points at accuracy 4, the error DistPlan would give.
        let d = derivative_plan(&[6], 0, 4);
        assert!(matches!(
            choose_grid(&[6], 4, &[false], &[&d]),
            Err(DistError::ThinnerThanHalo { axis: 0, .. })
        ));
        // Its message points to the way out.
        let err = choose_grid(&[6], 4, &[false], &[&d]).unwrap_err().to_string();
        assert!(err.contains("Decomposition::for_plans"), "{err}");
        // Deterministic: the same choice every time.
        let plan = derivative_plan(&[9, 7, 13], 2, 4);
        let first = choose_grid(&[9, 7, 13], 6, &[false; 3], &[&plan]).unwrap();
        for _ in 0..3 {
            assert_eq!(choose_grid(&[9, 7, 13], 6, &[false; 3], &[&plan]).unwrap(), first);
        }
    }

    /// Counts in messages agree with their nouns.
    #[test]
    fn messages_agree_with_their_counts() {
        let one = DistError::AxisTooSmall {
            axis: 0,
            points: 1,
            processes: 2,
        };
        assert!(one.to_string().contains("has 1 point for 2 processes"), "{one}");
        let thin = DistError::ThinnerThanHalo {
            axis: 1,
            coord: 3,
            block: 1,
            neighbour: 2,
            halo: 2,
        };
        assert!(thin.to_string().contains("has 1 point, fewer"), "{thin}");
    }
}
