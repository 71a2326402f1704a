//! Which walk computes a call, and why: the one place where it is decided.
//!
//! Every call of the crate that computes a derivative, a sum of derivatives (Laplacian,
//! divergence, curl, a block of [`BlockPlan`](crate::BlockPlan)), the norm of derivatives (the
//! gradient magnitude) or a difference reaches [`super`]'s entry points with its views, which
//! put the axes of every view in its output's memory order and summarise them in a [`Layout`].
//! [`choose`] reads that summary and returns the [`Route`]s: which [`Walk`] fills which
//! outputs, cut into how many blocks. The engines (`lanes.rs`, `planes.rs`, `rows.rs`,
//! `slabs.rs`, `difference.rs`) then run exactly that; they decide nothing about the route
//! themselves, only the inner loops the route's walk implies.
//!
//! # The walks
//!
//! | walk | when | engine |
//! |---|---|---|
//! | [`Walk::Rows`] | every view contiguous in one memory order (and, for derivatives, large enough: [`ONE_PASS_MIN_LEN`], [`ONE_PASS_MIN_ROW`]); for one derivative only along a middle axis | all outputs in one walk over the rows; a norm in pieces of [`NORM_PIECE_POINTS`] |
//! | [`Walk::Flat`] | one derivative along the innermost axis of contiguous views of one layout, weights shared by all points, the whole axis | the lanes end to end as one slice |
//! | [`Walk::Lanes`] | the axis has stride 1 in input and output, lanes of [`MIN_LANE_LEN`] or more | lane by lane |
//! | [`Walk::Planes`] | any other single derivative | shifted planes across the axis |
//! | [`Walk::Slabs`] | a sum of several terms, or a norm, on views that are not all contiguous in one order, or that read a halo | slab by slab through two accumulators, each term by its own walk inside the slab |
//! | [`Walk::DifferenceLanes`], [`Walk::DifferencePlanes`] | `diff`'s first difference, as Lanes / Planes; also its in-place second and later differences, whose blocks are cut across another axis | |
//! | [`Walk::Copy`] | `diff(0)`: the input itself | element by element, in blocks across the outermost axis |
//! | [`Walk::Zero`] | a sum of no terms (a Laplacian over no axes) | |
//! | [`Walk::Compact`] | a compact scheme's derivative ([`crate::CompactScheme`]) | tile by tile ([`compact_tiles`]): each tile's right-hand side by the walks above into a scratch (rows across the lanes; whole lanes along the innermost axis), the banded solve there, the tile copied out |
//!
//! Why these: along the innermost axis a lane is a slice, and contiguous lanes are one slice;
//! along the others, shifted whole planes are slices when the views are contiguous, and rows of
//! them otherwise. The row engine reads the input once for several outputs or terms, which
//! pays when there are several of them, and along a middle axis, where it was measured faster
//! than the planes (256³ axis 1, one thread, allocating: NumPy's interior 44 → 39 ms,
//! accuracy 8 58 → 43 ms); along the outermost axis the planes are faster (accuracy 8: 55
//! against 73 ms through the rows).
//!
//! # Blocks
//!
//! With the `rayon` feature a call of at least [`threshold`](crate::parallel::threshold) points
//! (the largest view) is cut into blocks, run on rayon's pool: along the outermost axis in
//! memory for the axis walks and the slabs (each block a contiguous part of the output), into
//! runs of rows for the row engine. Every point is computed by the same formula in any block,
//! so the bits never depend on the split. A cut along the differentiated axis gives each block
//! a part of the axis, which [`Walk::Flat`] cannot take (it needs whole lanes): such calls take
//! the lanes instead.
//!
//! Inside the plane walk, [`jams_planes`] says whether contiguous planes across the outermost
//! axis are computed four at a time (the same bits, fewer reads of the rows they share), from
//! their spacing and the ways of the processor's L1 data cache ([`crate::cache`]).
//!
//! Under `cfg(test)` every route taken is recorded on the calling thread (`taken`), so that
//! the tests in `kernel/tests.rs` assert the walk chosen for a grid of calls.

use std::ops::Range;

use ndarray::{ArrayView, ArrayViewMut, Axis, Dimension};

use crate::layout::outermost_axis;

/// Arrays with at least this many elements are split across threads by default (with the
/// `rayon` feature). Below it, thread hand-off costs more than it saves on two cores.
///
/// ```
/// use ndarray::Array2;
/// use ndarray_gradient::{ArrayGradientExt, DEFAULT_PARALLEL_THRESHOLD, with_parallel_threshold};
///
/// let f = Array2::<f64>::ones((300, 300)); // 90,000 elements: above the default
/// assert!(f.len() >= DEFAULT_PARALLEL_THRESHOLD);
/// let g = with_parallel_threshold(DEFAULT_PARALLEL_THRESHOLD, || f.gradient()).unwrap();
/// assert!(g[0].iter().all(|&v| v == 0.0)); // np.gradient(np.ones((300, 300)))[0]
/// ```
pub const DEFAULT_PARALLEL_THRESHOLD: usize = 1 << 16;

/// The fewest points worth a block of their own: a call is cut into at most
/// `points / MIN_BLOCK` blocks.
pub(crate) const MIN_BLOCK: usize = 1 << 14;

/// The most blocks a call is cut into: a few per thread, so that a thread slowed by other work
/// is helped by the others, and few enough that each block is a long contiguous run.
pub(crate) const MAX_BLOCKS: usize = 8;

/// Lanes shorter than this are walked as planes: the cost of a lane would dominate.
pub(crate) const MIN_LANE_LEN: usize = 16;

/// Points per block of [`Walk::Flat`]: the block's input and output stay in cache while the
/// ends of its lanes are fixed.
pub(crate) const FLAT_BLOCK: usize = 4096;

/// Points per plane of a tile of the plane walk ([`plane_tiles`]): the input planes a stencil
/// shares with the next planes are still in cache when they are read again.
pub(crate) const PLANE_TILE: usize = 8192;

/// Planes with more points than this are walked a tile at a time, whatever the stencil's
/// width: only planes too large for the planes a stencil reads to stay in the cache. Tiling
/// smaller planes costs more than it saves on a fresh output: a tile's walk through every plane
/// faults in, and the system zeroes, every page of the output long before the next tiles write
/// them back. Measured (256³ along axis 0, one thread, `benches/RESULTS-operators.md`): NumPy's
/// interior 47 ms tiled, 40 ms not; accuracy 4 31.3–31.7 tiled, 24.5–25.7 not; accuracy 8
/// 40.4–41.9 tiled, 37.6–38.5 not.
pub(crate) const TILED_PLANES_ABOVE: usize = 1 << 17;

/// Arrays smaller than this take one walk per axis rather than the row engine when several
/// derivatives are asked for: they are in cache anyway, and the per-axis walks have less
/// overhead per call.
pub(crate) const ONE_PASS_MIN_LEN: usize = 1 << 14;

/// Rows shorter than this take one walk per axis when one of the derivatives is along the
/// innermost axis: the row engine computes that axis a row at a time, and its cost per row
/// would dominate (measured: `gradient()` of 4194304 × 4 95–105 ms per axis, 142–147 ms through
/// the rows). Along the other axes it takes runs of rows, whatever their length.
pub(crate) const ONE_PASS_MIN_ROW: usize = 64;

/// The most points the row engine takes as one run of rows: its two row buffers stay in cache.
pub(crate) const RUN_POINTS: usize = 1 << 14;

/// Rows shorter than this are summed a whole run at a time by the row engine even when a term
/// is along them (that term's lanes end to end); longer ones a row at a time, so that the sum's
/// buffers stay in the L1 cache. Measured (divergence, one thread, `benches/RESULTS-route.md`):
/// 2 × 200,000 × 4 7.4–13.2 ms a row at a time, 3.4–3.5 a run at a time; 3 × 128³ 5.6–6.4 a
/// row at a time, 6.7–7.6 a run at a time.
pub(crate) const LANES_OF_A_RUN_BELOW: usize = 64;

/// The most shifted rows (terms × taps) the row engine sums in one loop ([`Walk::Rows`] with 2
/// or 3 terms of equal width); larger sums go through its row buffers, a term at a time, which
/// is faster once the loop's weights and row pointers no longer fit in registers. Measured
/// (minima of interleaved runs, one thread, `benches/RESULTS-build.md`), one loop against
/// buffers: 3 terms of 6 taps (divergence, accuracy 6, 3 × 128³) 8.0 against 11.4 ms; 2 of 9
/// (Laplacian, accuracy 8, 4096²) 53 against 59 ms; 3 of 7 (Laplacian, accuracy 6, 256³) 76
/// against 76 ms; 3 of 9 (Laplacian, accuracy 8, 256³) 130 against 92 ms.
pub(crate) const ONE_LOOP_ROWS: usize = 18;

/// The widest term of a sum the row engine takes in one loop: two terms of it make
/// [`ONE_LOOP_ROWS`].
pub(crate) const ONE_LOOP_TAPS: usize = ONE_LOOP_ROWS / 2;

/// Points per slab of [`Walk::Slabs`]: the two slab-sized accumulators stay in the L2 cache.
pub(crate) const SLAB: usize = 1 << 16;

/// Points of the intermediate results a block of a composed derivative holds at once: the
/// slabs a mixed partial is first cut into ([`composed_slabs`]), the Hessian's sweep, and
/// compositions of three derivatives or more, whose inner derivatives are computed for a block
/// of planes across the outer axis (and its halo) before the outer derivative of that block is
/// written out, so the intermediate stays in the last-level cache instead of making a round
/// trip through memory. (Two derivatives slide instead: [`composed_steps`].)
pub(crate) const COMPOSED_BLOCK_POINTS: usize = 1 << 19;

/// The planes per block of a composed derivative along an axis of `len` planes of `plane`
/// points each, whose outer stencil reads `width` planes beyond a block: [`COMPOSED_BLOCK_POINTS`]
/// worth, but at least four times the width, so that the planes computed twice (the halos of
/// neighbouring blocks) stay a small part of the work.
/// Whether the blocks run on rayon's threads (each block's walks then on its thread alone):
/// when the array has `threshold` points or more ([`crate::with_parallel_threshold`]) and there
/// are several blocks.
pub(crate) fn composed_blocks(len: usize, plane: usize, width: usize, threshold: usize) -> (usize, bool) {
    let block = (COMPOSED_BLOCK_POINTS / plane.max(1))
        .max(4 * width)
        .clamp(1, len.max(1));
    (block, len * plane >= threshold && block < len)
}

/// The fewest output points a step of [`composed_steps`] covers. Measured (4096² `f64`, ∂0∂1,
/// one thread, allocating, `benches/RESULTS-operators.md`): 2¹⁶ 26.4–33.5 ms at accuracy 2 and
/// 31.1–32.4 at accuracy 4; 2¹⁷ 25.1–25.2 and 30.0–30.2; 2¹⁸ 25.2–25.6 and 30.6–30.8; 2¹⁹
/// 25.3–26.7 and 30.3–31.2; 2²⁰ 27.4–31.8 and 33.3–41.0.
pub(crate) const COMPOSED_STEP_POINTS: usize = 1 << 17;

/// How a composition of two derivatives along different axes walks ([`composed_steps`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ComposedSteps {
    /// Output planes across the outer axis per step. Each step computes only the planes of the
    /// inner derivative it reads that the previous step did not already hold (a sliding
    /// window), then the outer derivative of the step's planes from them.
    pub(crate) planes: usize,
    /// Planes across the outer axis per piece: each piece slides on its own (the halo planes
    /// between pieces are computed twice), so that pieces run on different threads. A
    /// multiple of `planes`; the whole axis when not cut.
    pub(crate) piece: usize,
    /// Whether the pieces run on rayon's threads.
    pub(crate) parallel: bool,
    /// Whether the interior (the points where both derivatives take their interior rule) is
    /// computed in one pass from the input, plane by plane ([`super::mixed`]), and only the
    /// edges through the steps' buffer: for two central differences, which read four samples a
    /// point. Measured (`f64`, C order, ∂0∂1, accuracy 2, one thread, into an existing array,
    /// four alternated rounds, `benches/RESULTS-operators.md`): 256³ 14.5–15.3 → 11.3–11.6 ms;
    /// ∂0∂2 of 256³ 18.4–20.5 → 13.6–13.8; 4096² 12.2–15.3 → 7.7–12.9 ms. Allocating, 256³ went
    /// from 1.56× to 1.35× the floor. Wider
    /// stencils are not fused: every inner sum would be computed once per outer tap (a
    /// scratch loop at accuracy 4 took 35–38 ms into an existing 256³ array, against the
    /// steps' 15.5–17.1).
    pub(crate) fused: bool,
}

/// The walk of a composition of two derivatives along different axes, the outer one not
/// periodic: `len` planes across the outer axis of `plane` points each, and an outer stencil
/// reading `width` planes beyond a step.
///
/// Steps of twice the width, at least 4 planes and at least [`COMPOSED_STEP_POINTS`]: the
/// planes kept from one step to the next are moved to the front of the buffer at most once,
/// and each step's calls cover enough points that their fixed cost stays small. The inner derivative is computed once per plane; the
/// step's planes of it (three widths: 6 MiB of `f64` for 256³ at accuracy 4) stay in the
/// last-level cache. Measured (256³ `f64`, C order, ∂0∂1, one thread, into an existing array,
/// `benches/RESULTS-operators.md`): against blocks of 16 planes that recompute their halo,
/// accuracy 2 30.4 → 25.6 ms; cutting the inner axis into tiles as well, so that a step's
/// planes fit the L2 cache, was slower at every tile size tried (45–55 ms at accuracy 4,
/// against 33–35): the walks then run on short strided rows. Unless the outer axis is the
/// `outermost` in memory, one step holds the whole axis: only there is each step's part of
/// the output contiguous. (It is not when [`composed_slabs`] has cut the array across another
/// axis first. Steps then made the walks strided and slower, 256³ at accuracy 4: ∂0∂1 in F
/// order, cutting the lanes along axis 0, 37 → 98–127 ms; ∂1∂0 in F order 30–33 → 42–44;
/// ∂1∂2 in C order 30–33 → 35–38.) With the `threshold` reached and the `rayon` feature, the
/// axis is cut into up to [`MAX_BLOCKS`] pieces for the threads; without it, one piece.
///
/// `central`: both derivatives are central differences (NumPy's uniform interior, neither
/// periodic), and the input and the output are contiguous in one memory order with positive
/// strides ([`ComposedSteps::fused`], [`fuses_central_differences`]). The fused walk's pieces
/// are the steps' pieces.
pub(crate) fn composed_steps(
    len: usize,
    plane: usize,
    width: usize,
    outermost: bool,
    central: bool,
    threshold: usize,
) -> ComposedSteps {
    let len = len.max(1);
    let planes = if outermost {
        (2 * width).max(4).max(COMPOSED_STEP_POINTS / plane.max(1)).min(len)
    } else {
        len
    };
    let steps = len.div_ceil(planes);
    // Pieces recompute their halos: only worth it when they run on threads.
    let parallel = len * plane >= splits_from(threshold) && steps > 1;
    let pieces = if parallel { MAX_BLOCKS.min(steps) } else { 1 };
    ComposedSteps {
        planes,
        piece: steps.div_ceil(pieces) * planes,
        parallel,
        fused: fuses_central_differences(central, outermost),
    }
}

/// Whether a mixed partial of two central differences is computed in one pass from the input
/// ([`super::mixed`]; measured at [`ComposedSteps::fused`]): when `central` (see
/// [`composed_steps`]) and the outer axis is the `outermost` in memory, so that each output
/// plane across it is one run of memory beside the two input planes it reads. The Hessian's
/// sweep asks the same for its mixed entries, a plane of its block at a time when the outer
/// axis is not the one it cuts.
pub(crate) fn fuses_central_differences(central: bool, outermost: bool) -> bool {
    central && outermost
}

/// How a composed derivative (a mixed partial) is first cut into slabs across the outermost
/// axis of its input in memory, so that the walks inside keep the long rows of the memory order
/// (`None`: it is cut across its outer derivative's axis alone, [`composed_blocks`]).
/// Measured (256³ `f64` in F order, one thread, ∂0∂1, `benches/RESULTS-operators.md`): cut
/// across axis 0 alone, the innermost in memory, every walk ran on rows a block's few planes
/// long, 127 ms at accuracy 2 and 464 ms at accuracy 4, against 35 and 45 ms in C order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ComposedSlabs {
    /// No derivative is along the axis: each slab is the same composition on fewer points,
    /// nothing computed twice.
    Untouched(Axis),
    /// Only the derivative applied first (the last factor) is along the axis, and it does not
    /// wrap: each slab's first derivative reads the input beyond the slab (its halo) through
    /// the slab's window of the stencil, and the other derivatives run on the slab.
    FirstApplied(Axis),
}

/// [`ComposedSlabs`] for an input of `shape` and `strides` and derivatives along `along`
/// (outermost first, with whether each wraps), two or more of them.
pub(crate) fn composed_slabs(shape: &[usize], strides: &[isize], along: &[(Axis, bool)]) -> Option<ComposedSlabs> {
    let k = outermost_axis(shape, strides, None)?;
    let [.., (first, periodic)] = along else { return None };
    match along.iter().filter(|(a, _)| *a == k).count() {
        _ if along.len() < 2 => None,
        0 => Some(ComposedSlabs::Untouched(k)),
        1 if *first == k && !periodic => Some(ComposedSlabs::FirstApplied(k)),
        _ => None,
    }
}

/// Points of a piece of a norm ([`Job::Norm`]) in the row engine: each term is computed into a
/// buffer of this size, and the buffers combined into the output, while they are in the L1
/// cache (three terms of `f64`: 24 KiB). Rows longer than this are cut into pieces.
pub(crate) const NORM_PIECE_POINTS: usize = 1 << 10;

/// Points of a compact derivative's tile ([`Walk::Compact`]): whole lanes along the axis, whose
/// right-hand side, solve and copy-out stay in the last-level cache (4 MiB of `f64`). Measured on
/// 256³ `f64`, accuracy 4, one thread (`benches/RESULTS-operators.md`): 2¹⁵ points took 91, 78
/// and 108 ms along axes 0, 1, 2 (the per-tile walks of small planes dominate), 2¹⁹ took 50, 49
/// and 50 ms, 2²⁰ 49, 51 and 51 ms.
pub(crate) const COMPACT_TILE_POINTS: usize = 1 << 19;

/// The points per tile of a compact derivative of an array of `points` points, and whether the
/// tiles run on rayon's threads (from `threshold` points on, when there are several tiles).
/// Every lane is solved the same way in any tile, so the tiles change only who solves it.
pub(crate) fn compact_tiles(points: usize, threshold: usize) -> (usize, bool) {
    (COMPACT_TILE_POINTS, points >= threshold && points > COMPACT_TILE_POINTS)
}

/// Rows of an operator's matrix per block at least: each block's rows go to one thread, whose
/// scratch (two accumulators the size of the grid) is reused across the blocks it takes.
#[cfg(feature = "sparse")]
pub(crate) const MATRIX_BLOCK_ROWS: usize = 1 << 14;

/// The rows per block of the matrix of an operator on `n` points, and whether the blocks run
/// on rayon's threads: from the parallel threshold on, in at most [`MAX_BLOCKS`] blocks of at
/// least [`MATRIX_BLOCK_ROWS`] rows. Every row is built on its own, so the blocks change only
/// who builds it.
#[cfg(feature = "sparse")]
pub(crate) fn matrix_blocks(n: usize, threshold: usize) -> (usize, bool) {
    let n = n.max(1);
    if n < threshold {
        return (n, false);
    }
    let block = n.div_ceil(MAX_BLOCKS).max(MATRIX_BLOCK_ROWS).min(n);
    (block, block < n)
}

/// How a call walks memory. See the [module documentation](self) for when each is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Walk {
    Flat,
    Lanes,
    Planes,
    Rows,
    Slabs,
    DifferenceLanes,
    DifferencePlanes,
    Copy,
    Zero,
    Compact,
}

impl Walk {
    /// Every walk, for the tests that must cover them all.
    #[cfg(test)]
    pub(crate) const ALL: [Walk; 10] = [
        Walk::Flat,
        Walk::Lanes,
        Walk::Planes,
        Walk::Rows,
        Walk::Slabs,
        Walk::DifferenceLanes,
        Walk::DifferencePlanes,
        Walk::Copy,
        Walk::Zero,
        Walk::Compact,
    ];
}

/// What [`choose`] decided for some of a call's outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Route {
    pub(crate) walk: Walk,
    /// The number of blocks (1: the whole call on the calling thread).
    pub(crate) blocks: usize,
    /// The outputs of the call this route fills (with their terms, for derivatives).
    pub(crate) outputs: Range<usize>,
    /// For [`Walk::Slabs`]: the walk of each term inside a slab (Flat, Lanes or Planes).
    pub(crate) term_walks: Vec<Walk>,
}

impl Route {
    pub(crate) fn new(walk: Walk, blocks: usize, outputs: Range<usize>) -> Self {
        Route {
            walk,
            blocks,
            outputs,
            term_walks: Vec::new(),
        }
    }
}

/// What a call computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Job {
    /// One output per term, each the term's derivative.
    Derivatives,
    /// One output, the sum of the terms in order.
    Sum,
    /// One output, the first difference along the term's axis.
    Difference,
    /// One output, a copy of the input.
    Copy,
    /// One output, the square root of the sum of the terms' squares, added in order (the
    /// gradient magnitude).
    Norm,
}

/// One term of a call as [`choose`] sees it, in its output's memory order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TermLayout {
    /// The place of the differentiated axis in memory order: 0 is the outermost.
    pub(crate) place: usize,
    /// The input's length along the axis.
    pub(crate) len: usize,
    /// The output covers the stencil's whole axis from its first point (no halo, no block).
    pub(crate) whole: bool,
    /// The interior weights are shared by every point (not per point, as on coordinates).
    pub(crate) shared_weights: bool,
    /// Stride 1 along the axis in the input and in the output.
    pub(crate) unit_stride: bool,
    /// Input and output contiguous with the same strides: the lanes lie end to end in both.
    pub(crate) end_to_end: bool,
    /// Inside a slab of [`Walk::Slabs`] (a C-ordered accumulator of the output's shape):
    /// stride 1 along the axis in the input, and the input contiguous in C order.
    pub(crate) slab_unit_stride: bool,
    pub(crate) slab_end_to_end: bool,
    /// The term's value changes before it is stored: subtracted from the sum (the curl's
    /// second term) or multiplied by a coefficient (an operator's `Coef(c) * Diff(k)`). A sum
    /// of one such term cannot take a derivative's walk, which stores the value as computed.
    pub(crate) combined: bool,
    /// The output's outermost axis in memory order that is longer than 1 (where blocks are cut)
    /// and its length.
    pub(crate) cut: Option<(usize, usize)>,
    /// Points of the larger of the term's input and output.
    pub(crate) points: usize,
}

impl TermLayout {
    /// The facts about one term whose views are in its output's memory order.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn of<A, S, D: Dimension>(
        f: &ArrayView<'_, A, D>,
        out: &ArrayViewMut<'_, S, D>,
        axis: Axis,
        stencil_len: usize,
        shared_weights: bool,
        first: usize,
        combined: bool,
    ) -> Self {
        let unit = f.stride_of(axis) == 1;
        let contiguous = f.to_slice_memory_order().is_some();
        TermLayout {
            place: axis.index(),
            len: f.len_of(axis),
            whole: first == 0 && out.len_of(axis) == stencil_len,
            shared_weights,
            unit_stride: unit && out.stride_of(axis) == 1,
            end_to_end: f.strides() == out.strides() && contiguous && out.view().to_slice_memory_order().is_some(),
            slab_unit_stride: unit && c_stride(out.shape(), axis.index()) == 1,
            slab_end_to_end: contiguous && (0..f.ndim()).all(|k| f.strides()[k] == c_stride(out.shape(), k)),
            combined,
            cut: outermost_axis(out.shape(), out.strides(), None).map(|k| (k.index(), out.len_of(k))),
            points: f.len().max(out.len()),
        }
    }
}

/// The stride of axis `k` of a C-ordered array of this shape.
fn c_stride(shape: &[usize], k: usize) -> isize {
    shape[k + 1..].iter().map(|&n| n.max(1) as isize).product()
}

/// The memory layout summary of a call, computed once from its views (their axes in memory
/// order) by [`super`]'s entry points: everything [`choose`] reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Layout<'t> {
    pub(crate) job: Job,
    pub(crate) ndim: usize,
    /// Every output is contiguous in C order (after the axes are put in memory order), with the
    /// same shape and strides, and every term's input is contiguous with the output's strides
    /// and starts at its first point (it may reach further along the outermost axis: a halo
    /// after a block): every view is a slice that the row engine indexes by the output's
    /// strides.
    pub(crate) contiguous: bool,
    /// Points of the output (the first output's, for several).
    pub(crate) points: usize,
    /// The length of the output's innermost axis in memory order (a row).
    pub(crate) row_len: usize,
    /// The length of the output's outermost axis in memory order (its planes).
    pub(crate) planes: usize,
    /// One per term, in the call's order (borrowed: a call of one term keeps it on the stack).
    pub(crate) terms: &'t [TermLayout],
}

impl Layout<'static> {
    /// The facts about the output (in memory order) of a call with no terms, not contiguous.
    pub(crate) fn of_output<S, D: Dimension>(job: Job, out: &ArrayViewMut<'_, S, D>) -> Self {
        let dims = out.shape();
        Layout {
            job,
            ndim: dims.len(),
            contiguous: false,
            points: out.len(),
            row_len: dims.last().copied().unwrap_or(1),
            planes: dims.first().copied().unwrap_or(1),
            terms: &[],
        }
    }
}

/// The size from which a call is split, given the `threshold` in force: none without the
/// `rayon` feature, whose blocks would only run one after the other.
fn splits_from(threshold: usize) -> usize {
    if cfg!(feature = "rayon") { threshold } else { usize::MAX }
}

/// The routes of a call, in the order of its outputs: one walk for all of them, or one per
/// output (derivatives that do not share a pass).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Routes {
    One(Route),
    PerOutput(Vec<Route>),
}

impl Routes {
    /// The route of a call with one output.
    pub(crate) fn single(self) -> Route {
        match self {
            Routes::One(route) => route,
            Routes::PerOutput(_) => unreachable!("a call of one output has one route"),
        }
    }
}

impl IntoIterator for Routes {
    type Item = Route;
    type IntoIter = std::iter::Chain<std::option::IntoIter<Route>, std::vec::IntoIter<Route>>;
    fn into_iter(self) -> Self::IntoIter {
        match self {
            Routes::One(route) => Some(route).into_iter().chain(Vec::new()),
            Routes::PerOutput(routes) => None.into_iter().chain(routes),
        }
    }
}

/// The routes of a call: which walk fills which outputs, in how many blocks. `threshold` is
/// the size from which calls are split ([`crate::with_parallel_threshold`]); without the
/// `rayon` feature nothing is split.
pub(crate) fn choose(layout: &Layout<'_>, threshold: usize) -> Routes {
    let threshold = splits_from(threshold);
    let n = layout.terms.len();
    Routes::One(match layout.job {
        Job::Copy => {
            let blocks = layout.terms.first().map_or(1, |t| axis_blocks(t, threshold).0);
            Route::new(Walk::Copy, blocks, 0..1)
        }
        Job::Difference => {
            let t = &layout.terms[0];
            let (blocks, _) = axis_blocks(t, threshold);
            let walk = if lanes_fit(t.len, t.unit_stride) {
                Walk::DifferenceLanes
            } else {
                Walk::DifferencePlanes
            };
            Route::new(walk, blocks, 0..1)
        }
        Job::Derivatives if n >= 2 && rows_fit_derivatives(layout) => {
            Route::new(Walk::Rows, row_blocks(layout, threshold), 0..n)
        }
        Job::Derivatives if n == 1 => one_derivative(layout, 0, threshold),
        Job::Derivatives => return Routes::PerOutput((0..n).map(|s| one_derivative(layout, s, threshold)).collect()),
        Job::Sum | Job::Norm if n == 0 => Route::new(Walk::Zero, 1, 0..1),
        Job::Sum if n == 1 && !layout.terms[0].combined => one_derivative(layout, 0, threshold),
        Job::Sum | Job::Norm if layout.contiguous => Route::new(Walk::Rows, row_blocks(layout, threshold), 0..1),
        Job::Sum | Job::Norm => slabs(layout, threshold),
    })
}

/// The slab walk of a call's one output, each term by its walk inside a slab.
fn slabs(layout: &Layout<'_>, threshold: usize) -> Route {
    let mut route = Route::new(Walk::Slabs, slab_blocks(layout, threshold), 0..1);
    route.term_walks = layout.terms.iter().map(walk_in_slab).collect();
    route
}

/// The route of term `s` alone, into output `s` (a derivative) or the only output (a sum of
/// one term): the row engine along a middle axis of contiguous views, else the axis walks.
fn one_derivative(layout: &Layout<'_>, s: usize, threshold: usize) -> Route {
    let t = &layout.terms[s];
    let outputs = match layout.job {
        Job::Derivatives => s..s + 1,
        _ => 0..1,
    };
    let middle = t.place > 0 && t.place + 1 < layout.ndim;
    if middle && large_contiguous(layout) {
        return Route::new(Walk::Rows, row_blocks(layout, threshold), outputs);
    }
    let (blocks, along_axis) = axis_blocks(t, threshold);
    let walk = if t.shared_weights && t.whole && t.unit_stride && t.end_to_end && !along_axis {
        Walk::Flat
    } else if lanes_fit(t.len, t.unit_stride) {
        Walk::Lanes
    } else {
        Walk::Planes
    };
    Route::new(walk, blocks, outputs)
}

/// The walk of a term inside a slab of [`Walk::Slabs`]: as [`one_derivative`]'s axis walks,
/// against the slab's C-ordered accumulator. Along the outermost axis a slab holds part of the
/// axis, so never Flat there.
fn walk_in_slab(t: &TermLayout) -> Walk {
    if t.shared_weights && t.whole && t.place > 0 && t.slab_unit_stride && t.slab_end_to_end {
        Walk::Flat
    } else if lanes_fit(t.len, t.slab_unit_stride) {
        Walk::Lanes
    } else {
        Walk::Planes
    }
}

fn lanes_fit(len: usize, unit_stride: bool) -> bool {
    len >= MIN_LANE_LEN && unit_stride
}

/// The row engine's condition for several derivatives at once: contiguous, large, and rows long
/// enough where the innermost axis is among those differentiated.
fn rows_fit_derivatives(layout: &Layout<'_>) -> bool {
    let innermost = layout.ndim.saturating_sub(1);
    let rows_fit = layout.row_len >= ONE_PASS_MIN_ROW || layout.terms.iter().all(|t| t.place != innermost);
    large_contiguous(layout) && rows_fit
}

/// Contiguous and large enough for the row engine to pay (several derivatives need two axes,
/// a middle axis three, so the number of axes needs no check of its own).
fn large_contiguous(layout: &Layout<'_>) -> bool {
    layout.contiguous && layout.points >= ONE_PASS_MIN_LEN
}

/// `points / MIN_BLOCK` blocks, at least 2 and at most [`MAX_BLOCKS`], and no more than
/// `units` (the things that can be cut apart, at least 1); 1 below the threshold.
fn blocks(points: usize, units: usize, threshold: usize) -> usize {
    if points < threshold {
        return 1;
    }
    (points / MIN_BLOCK).clamp(2, MAX_BLOCKS).min(units).max(1)
}

/// The blocks of an axis walk, and whether they are cut along the differentiated axis.
fn axis_blocks(t: &TermLayout, threshold: usize) -> (usize, bool) {
    match t.cut {
        Some((k, len)) => {
            let b = blocks(t.points, len, threshold);
            (b, b > 1 && k == t.place)
        }
        None => (1, false),
    }
}

fn row_blocks(layout: &Layout<'_>, threshold: usize) -> usize {
    let rows = layout.points / layout.row_len.max(1);
    blocks(layout.points, rows, threshold)
}

/// The planes of a slab of [`Walk::Slabs`] for an output of `points` points in `planes`
/// planes across its outermost axis.
pub(crate) fn slab_planes(planes: usize, points: usize) -> usize {
    let plane = points / planes.max(1);
    (SLAB / plane.max(1)).clamp(1, planes.max(1))
}

fn slab_blocks(layout: &Layout<'_>, threshold: usize) -> usize {
    let slabs = layout.planes.div_ceil(slab_planes(layout.planes, layout.points));
    blocks(layout.points, slabs, threshold)
}

/// Whether the plane walk computes [`JAMMED_PLANES`](super::taps::JAMMED_PLANES) neighbouring
/// output planes per pass over their points, for planes `strides` bytes apart (the input's and
/// the output's) on a processor whose L1 data cache has `ways` lines per set
/// ([`crate::cache::l1_data_ways`], asked only when the spacing alone does not decide): when
/// the rows a pass reads and writes at once fit the sets they fall on. Four outputs of a
/// 5-point stencil read 8 input rows and write 4, [`JAMMED_LINES`] in all, and rows a multiple
/// of 4 KiB apart all fall on one set (of a cache of 4 KiB per way, as every x86 L1 data cache
/// of 32 or 48 KiB); rows `g = gcd(stride, 4096)` bytes apart in the low 12 bits spread over
/// `4096 / g` sets, 3 lines each when `g ≤ 1024`. So: spacings with `g ≤ 1024` on any
/// processor, any spacing where a set holds all [`JAMMED_LINES`].
/// Measured (one thread, accuracy 4 along axis 0 into an existing array,
/// `benches/RESULTS-operators.md`): on an 8-way cache (Zen 4), 4000² (32,000-byte rows)
/// 21.5–23.9 → 12.8–13.1 ms, 4096² (32 KiB rows) 20.1 → 29.7 ms, so not there; on a 12-way
/// cache (Zen 5), 4096² 12.2 → 10.2 ms, 256³ 12.2 → 11.1 ms, 1024² 0.49–0.56 → 0.41–0.43 ms.
pub(crate) fn jams_planes(strides: &[usize], ways: impl FnOnce() -> usize) -> bool {
    let gcd = |mut a: usize, mut b: usize| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    strides.iter().all(|&s| gcd(s, 4096) <= 1024) || ways() >= JAMMED_LINES
}

/// The cache lines a pass of four jammed planes holds at once: up to 8 input rows (a 5-point
/// stencil, or a 4-point one with its gap, across four outputs) and the 4 output rows.
pub(crate) const JAMMED_LINES: usize = 12;

/// The other axis to cut the planes across `axis` along, and the chunk length of a tile of
/// [`PLANE_TILE`] points, when those planes have more than [`TILED_PLANES_ABOVE`] points: the
/// outermost other axis, so that each tile of a plane is contiguous. `None`: walk whole planes.
pub(crate) fn plane_tiles<T, D: Dimension>(out: &ArrayViewMut<'_, T, D>, axis: Axis) -> Option<(Axis, usize)> {
    let plane = out.len() / out.len_of(axis).max(1);
    if plane <= TILED_PLANES_ABOVE {
        return None;
    }
    let k = outermost_axis(out.shape(), out.strides(), Some(axis))?;
    let per_row = plane / out.len_of(k);
    Some((k, (PLANE_TILE / per_row.max(1)).max(1)))
}

#[cfg(test)]
thread_local! {
    static TAKEN: std::cell::RefCell<Option<Vec<Route>>> = const { std::cell::RefCell::new(None) };
}

/// Notes that `route` is being run (under `cfg(test)`, on the calling thread, when `taken`
/// is listening; nothing otherwise).
#[inline(always)]
pub(crate) fn record(route: &Route) {
    #[cfg(test)]
    TAKEN.with(|t| {
        if let Some(list) = t.borrow_mut().as_mut() {
            list.push(route.clone());
        }
    });
    #[cfg(not(test))]
    let _ = route;
}

/// Runs `f` and returns the routes it ran on this thread, in order.
#[cfg(test)]
pub(crate) fn taken<T>(f: impl FnOnce() -> T) -> (T, Vec<Route>) {
    let before = TAKEN.with(|t| t.replace(Some(Vec::new())));
    let value = f();
    let list = TAKEN.with(|t| t.replace(before)).unwrap_or_default();
    (value, list)
}
