//! The compact walk ([`Walk::Compact`]): a compact scheme's derivative along one axis, tile by
//! tile. A tile holds whole lanes along the axis. Its right-hand side is computed by
//! [`super::derivatives`] (the explicit stencil walks) into a scratch, every lane is solved
//! there with the factorised left-hand side, and the tile is copied out. Along an outer axis
//! the scratch holds rows across the lanes (row `i` holds point `i` of every lane, contiguous)
//! and each solve step is one loop over a row; along the innermost axis it holds whole lanes,
//! solved [`LANE_GROUP`] lanes at a time with their values in registers. Either way the input is read once and the output written once, and the work between stays
//! in cache. The tile size, and whether tiles run on rayon's threads, are
//! [`route::compact_tiles`]'s decision.

use ndarray::{ArrayView, ArrayViewMut, Axis, Dimension, Zip};

use super::route::{self, Route, Walk};
use super::{Slot, Term};
use crate::compact::{BandedLu, CompactSystem};
use crate::element::{GradientElement, GradientFloat};
use crate::layout::MemoryOrder;
use crate::stencil::{add_term, eliminate, first_term};

/// `out` = the compact derivative of `f` along `axis` (`out` of `f`'s shape, any layout).
/// Every point of `out` is written exactly once.
pub(crate) fn compact<A, S, D>(
    f: ArrayView<'_, A, D>,
    out: ArrayViewMut<'_, S, D>,
    axis: Axis,
    system: &CompactSystem<A::Real>,
) where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    in_static_dim!(D, out.ndim(), |E| {
        let f = f.into_dimensionality::<E>().expect("the output's dimensionality");
        let out = out.into_dimensionality::<E>().expect("the output's dimensionality");
        return compact_in_memory_order(f, out, axis, system);
    });
    compact_in_memory_order(f, out, axis, system)
}

fn compact_in_memory_order<A, S, D>(
    f: ArrayView<'_, A, D>,
    out: ArrayViewMut<'_, S, D>,
    axis: Axis,
    system: &CompactSystem<A::Real>,
) where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    let order = MemoryOrder::of_view_mut(&out);
    let axis = Axis(order.position(axis));
    let f = f.permuted_axes(order.permutation());
    let out = out.permuted_axes(order.permutation());
    let (tile_points, parallel) = route::compact_tiles(out.len(), crate::parallel::threshold());
    let mut tiles = Vec::new();
    cut_tiles(f, out, axis, 0, tile_points, &mut tiles);
    route::record(&Route::new(Walk::Compact, if parallel { tiles.len() } else { 1 }, 0..1));
    super::split::for_each_outer_block(parallel, tiles, Vec::new, |scratch, (f, out)| {
        compact_tile(f, out, axis, system, scratch)
    });
}

/// Cuts `f` and `out` (in memory order) into tiles of whole lanes along `axis` of at most
/// `points` points where the lanes allow: along the outermost other axis first, in chunks of
/// several slabs when a slab is small enough, else slab by slab and then along the next axis.
#[allow(clippy::type_complexity)]
fn cut_tiles<'a, A, S, D: Dimension>(
    f: ArrayView<'a, A, D>,
    out: ArrayViewMut<'a, S, D>,
    axis: Axis,
    next: usize,
    points: usize,
    tiles: &mut Vec<(ArrayView<'a, A, D>, ArrayViewMut<'a, S, D>)>,
) {
    let cut = (next..out.ndim()).find(|&a| a != axis.index() && out.len_of(Axis(a)) > 1);
    let Some(a) = cut.filter(|_| out.len() > points) else {
        tiles.push((f, out));
        return;
    };
    let len = out.len_of(Axis(a));
    let slab = out.len() / len;
    let chunk = (points / slab).clamp(1, len);
    let (mut f, mut out) = (f, out);
    loop {
        let take = chunk.min(out.len_of(Axis(a)));
        let rest = out.len_of(Axis(a)) - take;
        let (fh, ft) = f.split_at(Axis(a), take);
        let (oh, ot) = out.split_at(Axis(a), take);
        if slab > points {
            cut_tiles(fh, oh, axis, a + 1, points, tiles);
        } else {
            tiles.push((fh, oh));
        }
        if rest == 0 {
            break;
        }
        (f, out) = (ft, ot);
    }
}

/// Lanes per group when the lanes are contiguous in memory (the derivative along the innermost
/// axis): a group is gathered into rows across its lanes, solved there and scattered back, so
/// that every solve steps through rows whose values are independent.
const LANE_GROUP: usize = 8;

/// One tile: its right-hand side into `scratch`, the lanes solved, and the result copied into
/// `out`. Along an outer axis the scratch holds rows across the lanes (`axis` first) and is
/// solved in place; along the innermost axis it keeps the tile's own layout (whole lanes
/// contiguous, as the right-hand side's walk writes them fastest), and its lanes are solved in
/// groups of [`LANE_GROUP`].
fn compact_tile<A, S, D>(
    f: ArrayView<'_, A, D>,
    mut out: ArrayViewMut<'_, S, D>,
    axis: Axis,
    system: &CompactSystem<A::Real>,
    scratch: &mut Vec<A::Output>,
) where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    let points = out.len();
    if points == 0 {
        return;
    }
    let n = out.len_of(axis);
    let lanes = points / n;
    let innermost = axis.index() == out.ndim() - 1;
    scratch.clear();
    scratch.resize(points, A::Output::default());
    // The scratch holds the tile with its axes in `to_scratch`'s order; `from_scratch` undoes it.
    let mut to_scratch = out.raw_dim();
    let mut from_scratch = out.raw_dim();
    let others = (0..out.ndim()).filter(|&k| k != axis.index());
    let first = if innermost { None } else { Some(axis.index()) };
    for (i, k) in first
        .into_iter()
        .chain(others)
        .chain(innermost.then_some(axis.index()))
        .enumerate()
    {
        to_scratch[i] = k;
        from_scratch[k] = i;
    }
    let mut shape = out.raw_dim();
    for i in 0..out.ndim() {
        shape[i] = out.len_of(Axis(to_scratch[i]));
    }
    {
        let rows = ArrayViewMut::from_shape(shape.clone(), &mut scratch[..]).expect("the scratch holds the tile");
        super::derivatives(
            &[Term::new(f, axis, &system.rhs)],
            vec![rows.permuted_axes(from_scratch.clone())],
        );
    }
    if innermost {
        // Whole lanes, one after the other: solved LANE_GROUP lanes at a time, stepping
        // through their points together (independent values for the processor to overlap).
        let mut groups = scratch.chunks_exact_mut(n * LANE_GROUP);
        for group in &mut groups {
            match system.lhs.p {
                1 => band_sweeps_of_a_group::<_, 1>(group, &system.lhs),
                _ => band_sweeps_of_a_group::<_, 2>(group, &system.lhs),
            }
            cyclic_correction::<_, true>(group, LANE_GROUP, &system.lhs);
        }
        let rest = groups.into_remainder();
        solve::<_, true>(rest, rest.len() / n, &system.lhs);
    } else {
        solve::<_, false>(scratch, lanes, &system.lhs);
    }
    let rows = ArrayView::from_shape(shape, &scratch[..]).expect("the scratch holds the tile");
    Zip::from(&mut out)
        .and(rows.permuted_axes(from_scratch))
        .for_each(|o, &v| o.set(v));
}

/// Solves every lane of `x` in place: `x ← A⁻¹x` with `A`'s factors. `x` holds `lanes` lanes
/// of `A`'s size, as whole lanes one after the other (`LANE_MAJOR`) or as rows across the
/// lanes (row `i` holds point `i` of every lane). Each step is one loop over the lanes, and
/// every lane takes the same steps in the same order whichever the layout.
pub(crate) fn solve<T: GradientFloat, const LANE_MAJOR: bool>(x: &mut [T], lanes: usize, lu: &BandedLu<T::Real>) {
    band_sweeps::<T, LANE_MAJOR>(x, lanes, lu);
    cyclic_correction::<T, LANE_MAJOR>(x, lanes, lu);
}

/// The forward and backward sweeps of the band's factors, as [`solve`] lays out `x`.
pub(crate) fn band_sweeps<T: GradientFloat, const LANE_MAJOR: bool>(x: &mut [T], lanes: usize, lu: &BandedLu<T::Real>) {
    let (n, p) = (lu.n, lu.p);
    assert_eq!(x.len(), n * lanes, "a scratch of whole lanes");
    let at = |i: usize, g: usize| if LANE_MAJOR { g * n + i } else { i * lanes + g };
    // Forward: point i minus the multiples of the points before it.
    for i in 1..n {
        for j in 1..=p.min(i) {
            let c = lu.lower[i * p + j - 1];
            for g in 0..lanes {
                x[at(i, g)] = eliminate(x[at(i, g)], x[at(i - j, g)], c);
            }
        }
    }
    // Backward: point i minus the multiples of the solved points after it, over the pivot.
    for i in (0..n).rev() {
        for j in 1..=p.min(n - 1 - i) {
            let c = lu.upper[i * p + j - 1];
            for g in 0..lanes {
                x[at(i, g)] = eliminate(x[at(i, g)], x[at(i + j, g)], c);
            }
        }
        let inv = lu.inv_diag[i];
        for g in 0..lanes {
            x[at(i, g)] = x[at(i, g)].scale(inv);
        }
    }
}

/// [`band_sweeps`] for [`LANE_GROUP`] whole lanes one after the other, the last points of
/// every lane carried in registers from one step to the next (the steps of a lane depend on
/// each other; the group's lanes do not). The same steps in the same order: the same bits.
/// `P` is the factors' half-bandwidth (1 or 2), fixed at compile time so that the loops over it
/// unroll.
fn band_sweeps_of_a_group<T: GradientFloat, const P: usize>(x: &mut [T], lu: &BandedLu<T::Real>) {
    const G: usize = LANE_GROUP;
    let (n, p) = (lu.n, P);
    assert_eq!(lu.p, P, "the factors' half-bandwidth");
    assert_eq!(x.len(), G * n, "a full group");
    // The group's lanes, split off without allocating (this runs once per 8 lanes).
    let mut rest = x;
    let mut lanes: [&mut [T]; G] = std::array::from_fn(|_| {
        let (lane, tail) = std::mem::take(&mut rest).split_at_mut(n);
        rest = tail;
        lane
    });
    // `near[0]`: the point solved last in each lane, `near[1]` the one before.
    let mut near = [[T::default(); G]; 2];
    for i in 0..n {
        for (g, lane) in lanes.iter_mut().enumerate() {
            let mut v = lane[i];
            for j in 1..=p.min(i) {
                v = eliminate(v, near[j - 1][g], lu.lower[i * p + j - 1]);
            }
            lane[i] = v;
            near[1][g] = near[0][g];
            near[0][g] = v;
        }
    }
    for i in (0..n).rev() {
        let inv = lu.inv_diag[i];
        for (g, lane) in lanes.iter_mut().enumerate() {
            let mut v = lane[i];
            for j in 1..=p.min(n - 1 - i) {
                v = eliminate(v, near[j - 1][g], lu.upper[i * p + j - 1]);
            }
            let v = v.scale(inv);
            lane[i] = v;
            near[1][g] = near[0][g];
            near[0][g] = v;
        }
    }
}

/// The cyclic corners of a periodic axis's matrix (Sherman–Morrison–Woodbury), after the band's
/// sweeps, as [`solve`] lays out `x`.
fn cyclic_correction<T: GradientFloat, const LANE_MAJOR: bool>(x: &mut [T], lanes: usize, lu: &BandedLu<T::Real>) {
    let Some(w) = &lu.cyclic else {
        return;
    };
    let n = lu.n;
    let at = |i: usize, g: usize| if LANE_MAJOR { g * n + i } else { i * lanes + g };
    // The cyclic corners: x ← y − Z S Wᵀy, for every lane; `g[k]` holds (Wᵀy)ₖ and then
    // `c[k]` (S Wᵀy)ₖ of every lane.
    let r = w.corners.len();
    let g: Vec<Vec<T>> = w
        .corners
        .iter()
        .map(|entries| {
            (0..lanes)
                .map(|lane| {
                    let (j0, c0) = entries[0];
                    let first = first_term(x[at(j0, lane)], c0);
                    entries[1..]
                        .iter()
                        .fold(first, |acc, &(j, c)| add_term(acc, x[at(j, lane)], c))
                })
                .collect()
        })
        .collect();
    let c: Vec<Vec<T>> = (0..r)
        .map(|k| {
            (0..lanes)
                .map(|lane| {
                    let first = first_term(g[0][lane], w.s[k * r]);
                    (1..r).fold(first, |acc, l| add_term(acc, g[l][lane], w.s[k * r + l]))
                })
                .collect()
        })
        .collect();
    for i in 0..n {
        for (k, ck) in c.iter().enumerate() {
            let z = w.z[i * r + k];
            for (lane, &cl) in ck.iter().enumerate() {
                x[at(i, lane)] = eliminate(x[at(i, lane)], cl, z);
            }
        }
    }
}
