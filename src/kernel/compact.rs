//! The compact walk ([`super::compact`]): a compact scheme's derivative along one axis, tile by
//! tile. A tile holds whole lanes along the axis; its right-hand side is computed by
//! [`super::derivatives`] (the explicit stencil walks), then every lane of it is solved with
//! the factorised left-hand side while the tile is still in cache. The tile size and whether
//! tiles run on rayon's threads are [`route::compact_tiles`]'s decision.

use ndarray::{Array, ArrayView, ArrayViewMut, Axis, Dimension, Slice, Zip};

use super::Term;
use super::route;
use crate::compact::{BandedLu, CompactSystem};
use crate::element::{GradientElement, GradientFloat};
use crate::layout::MemoryOrder;
use crate::stencil::{add_term, eliminate, first_term};

/// `out` = the compact derivative of `f` along `axis` (`out` of `f`'s shape, any layout).
pub(crate) fn compact<A, D>(
    f: ArrayView<'_, A, D>,
    out: ArrayViewMut<'_, A::Output, D>,
    axis: Axis,
    system: &CompactSystem<A::Real>,
) where
    A: GradientElement,
    D: Dimension,
{
    in_static_dim!(D, out.ndim(), |E| {
        let f = f.into_dimensionality::<E>().expect("the output's dimensionality");
        let out = out.into_dimensionality::<E>().expect("the output's dimensionality");
        return compact_in_memory_order(f, out, axis, system);
    });
    compact_in_memory_order(f, out, axis, system)
}

fn compact_in_memory_order<A, D>(
    f: ArrayView<'_, A, D>,
    out: ArrayViewMut<'_, A::Output, D>,
    axis: Axis,
    system: &CompactSystem<A::Real>,
) where
    A: GradientElement,
    D: Dimension,
{
    let order = MemoryOrder::of_view_mut(&out);
    let axis = Axis(order.position(axis));
    let f = f.permuted_axes(order.permutation());
    let out = out.permuted_axes(order.permutation());
    let (tile_points, parallel) = route::compact_tiles(out.len(), crate::parallel::threshold());
    let mut tiles = Vec::new();
    cut_tiles(f, out, axis, 0, tile_points, &mut tiles);
    super::split::for_each_outer_block(
        parallel,
        tiles,
        || (),
        |_, (f, mut out): (ArrayView<'_, A, D>, ArrayViewMut<'_, A::Output, D>)| {
            super::derivatives(&[Term::new(f, axis, &system.rhs)], vec![out.view_mut()]);
            solve_lanes(&mut out, axis, &system.lhs);
        },
    );
}

/// Cuts `f` and `out` (in memory order) into tiles of whole lanes along `axis` of at most
/// `points` points where the lanes allow: along the outermost other axis first, in chunks of
/// several slabs when a slab is small enough, else slab by slab and then along the next axis.
#[allow(clippy::type_complexity)]
fn cut_tiles<'a, A, T, D: Dimension>(
    f: ArrayView<'a, A, D>,
    out: ArrayViewMut<'a, T, D>,
    axis: Axis,
    next: usize,
    points: usize,
    tiles: &mut Vec<(ArrayView<'a, A, D>, ArrayViewMut<'a, T, D>)>,
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

/// Solves every lane of `x` along `axis` in place: `x ← A⁻¹x` with `A`'s factors, row by row
/// across all lanes at once (each row step one pass over the tile's lanes).
fn solve_lanes<T: GradientFloat, D: Dimension>(x: &mut ArrayViewMut<'_, T, D>, axis: Axis, lu: &BandedLu<T::Real>) {
    let (n, p) = (lu.n, lu.p);
    let row = |i: usize| Slice::from(i..i + 1);
    // Forward: row i minus the multiples of the rows above it.
    for i in 1..n {
        for j in 1..=p.min(i) {
            let l = lu.lower[i * p + j - 1];
            let (above, mut below) = x.view_mut().split_at(axis, i);
            let src = above.slice_axis(axis, row(i - j));
            Zip::from(below.slice_axis_mut(axis, row(0)))
                .and(src)
                .for_each(|d, &s| *d = eliminate(*d, s, l));
        }
    }
    // Backward: row i minus the multiples of the solved rows below it, over the pivot.
    for i in (0..n).rev() {
        let (mut upto, after) = x.view_mut().split_at(axis, i + 1);
        let mut dst = upto.slice_axis_mut(axis, row(i));
        for j in 1..=p.min(n - 1 - i) {
            let u = lu.upper[i * p + j - 1];
            Zip::from(&mut dst)
                .and(after.slice_axis(axis, row(j - 1)))
                .for_each(|d, &s| *d = eliminate(*d, s, u));
        }
        let inv = lu.inv_diag[i];
        dst.map_inplace(|d| *d = d.scale(inv));
    }
    let Some(w) = &lu.cyclic else {
        return;
    };
    // The cyclic corners: x ← y − Z S Wᵀy, lane by lane.
    let r = w.corners.len();
    let sums = |terms: &mut dyn Iterator<Item = (ArrayView<'_, T, D>, T::Real)>| -> Array<T, D> {
        let (first, c) = terms.next().expect("a corner row has entries");
        let mut acc = first.map(|&v| first_term(v, c));
        for (v, c) in terms {
            Zip::from(&mut acc).and(&v).for_each(|a, &v| *a = add_term(*a, v, c));
        }
        acc
    };
    let g: Vec<Array<T, D>> = w
        .corners
        .iter()
        .map(|entries| sums(&mut entries.iter().map(|&(j, c)| (x.slice_axis(axis, row(j)), c))))
        .collect();
    let c: Vec<Array<T, D>> = (0..r)
        .map(|k| sums(&mut (0..r).map(|l| (g[l].view(), w.s[k * r + l]))))
        .collect();
    for i in 0..n {
        let mut dst = x.slice_axis_mut(axis, row(i));
        for (k, ck) in c.iter().enumerate() {
            let z = w.z[i * r + k];
            Zip::from(&mut dst).and(ck).for_each(|d, &s| *d = eliminate(*d, s, z));
        }
    }
}
