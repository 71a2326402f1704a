//! The slab walk ([`Walk::Slabs`]): a sum or the norm of derivative terms on views that the
//! row engine does not take (strided, of different layouts, or reading a halo), a slab of
//! planes across the outermost axis at a time. The first term is computed into a slab-sized
//! accumulator, each further term into a second one and added (or subtracted) point by point
//! (for a norm: squared, and the squares added, the root taken at the end), then the slab is
//! stored: each term by its own walk (the route's `term_walks`), so the result equals the
//! separate derivative calls combined in order, bit for bit, and the input is read from memory
//! about once, not once per term.

use ndarray::{ArrayView, ArrayViewMut, Axis, Dimension, Slice, Zip};
use num_traits::Float;

use super::planes::store;
use super::route::{Walk, slab_planes};
use super::split::for_each_block;
use super::taps::Slot;
use super::{Term, derivative_walk};
use crate::element::{GradientElement, GradientFloat};

/// `out = Σ terms` (views in the output's memory order), slab by slab, in `blocks` contiguous
/// runs of slabs; `walks[s]` is the walk of term `s` inside a slab.
pub(super) fn sum_by_slabs<A, S, D>(
    terms: &[Term<'_, A, D, A::Real>],
    out: ArrayViewMut<'_, S, D>,
    walks: &[Walk],
    blocks: usize,
) where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    let fold = |j: usize,
                t: &Term<'_, A, D, A::Real>,
                mut acc: ArrayViewMut<'_, A::Output, D>,
                tmp: ArrayView<'_, A::Output, D>| {
        // The term's value is `c * derivative` when it has a coefficient, as the operator's
        // general evaluation computes it.
        let scaled = |v: A::Output| t.scale.map_or(v, |c| v.scale(c));
        if j == 0 {
            if t.scale.is_some() {
                acc.map_inplace(|a| *a = scaled(*a));
            }
            return;
        }
        let op = if t.subtract {
            |a: A::Output, b: A::Output| a - b
        } else {
            |a: A::Output, b: A::Output| a + b
        };
        Zip::from(&mut acc).and(&tmp).for_each(|a, &b| *a = op(*a, scaled(b)));
    };
    by_slabs(terms, out, walks, blocks, fold, |_| {});
}

/// `out = √(Σ terms²)` (the squares added in the order of `terms`), slab by slab, as
/// [`sum_by_slabs`].
pub(super) fn norm_by_slabs<A, S, D>(
    terms: &[Term<'_, A, D, A::Real>],
    out: ArrayViewMut<'_, S, D>,
    walks: &[Walk],
    blocks: usize,
) where
    A: GradientElement,
    A::Output: Float,
    S: Slot<A::Output>,
    D: Dimension,
{
    let fold = |j: usize,
                _: &Term<'_, A, D, A::Real>,
                mut acc: ArrayViewMut<'_, A::Output, D>,
                tmp: ArrayView<'_, A::Output, D>| {
        if j == 0 {
            acc.map_inplace(|a| *a = *a * *a);
        } else {
            Zip::from(&mut acc).and(&tmp).for_each(|a, &b| *a = *a + b * b);
        }
    };
    let root = |mut acc: ArrayViewMut<'_, A::Output, D>| acc.map_inplace(|a| *a = a.sqrt());
    by_slabs(terms, out, walks, blocks, fold, root);
}

/// The slab walk of `out` from `terms`: after term `j` is computed (term 0 into the
/// accumulator, the others into the second buffer), `fold(j, term, accumulator, buffer)`;
/// `finish(accumulator)` before the slab is stored.
fn by_slabs<A, S, D>(
    terms: &[Term<'_, A, D, A::Real>],
    mut out: ArrayViewMut<'_, S, D>,
    walks: &[Walk],
    blocks: usize,
    fold: impl Fn(usize, &Term<'_, A, D, A::Real>, ArrayViewMut<'_, A::Output, D>, ArrayView<'_, A::Output, D>)
    + Sync
    + Send,
    finish: impl Fn(ArrayViewMut<'_, A::Output, D>) + Sync + Send,
) where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    if out.ndim() == 0 || out.is_empty() {
        return;
    }
    let slab = slab_planes(out.len_of(Axis(0)), out.len());
    let slabs: Vec<(usize, ArrayViewMut<'_, S, D>)> = out
        .axis_chunks_iter_mut(Axis(0), slab)
        .enumerate()
        .map(|(i, o)| (i * slab, o))
        .collect();
    let per_block = slabs.len().div_ceil(blocks.max(1));
    let mut runs: Vec<Vec<(usize, ArrayViewMut<'_, S, D>)>> = Vec::new();
    for item in slabs {
        match runs.last_mut() {
            Some(run) if run.len() < per_block => run.push(item),
            _ => runs.push(vec![item]),
        }
    }
    for_each_block(
        runs,
        || (Vec::new(), Vec::new()),
        |bufs, run| {
            for (first, o) in run {
                slab_of_terms(terms, o, first, walks, bufs, &fold, &finish);
            }
        },
    );
}

/// The planes `first..first + o.len_of(Axis(0))` of `out` in [`by_slabs`].
fn slab_of_terms<A, S, D>(
    terms: &[Term<'_, A, D, A::Real>],
    o: ArrayViewMut<'_, S, D>,
    first: usize,
    walks: &[Walk],
    (acc, tmp): &mut (Vec<A::Output>, Vec<A::Output>),
    fold: &impl Fn(usize, &Term<'_, A, D, A::Real>, ArrayViewMut<'_, A::Output, D>, ArrayView<'_, A::Output, D>),
    finish: &impl Fn(ArrayViewMut<'_, A::Output, D>),
) where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    let shape = o.raw_dim();
    let m = o.len_of(Axis(0));
    for buf in [&mut *acc, &mut *tmp] {
        buf.clear();
        buf.resize(o.len(), A::Output::default());
    }
    let mut acc = ArrayViewMut::from_shape(shape.clone(), &mut acc[..]).expect("sized to the slab");
    let mut tmp = ArrayViewMut::from_shape(shape, &mut tmp[..]).expect("sized to the slab");
    for (j, (t, &walk)) in terms.iter().zip(walks).enumerate() {
        let target = if j == 0 { acc.view_mut() } else { tmp.view_mut() };
        if t.axis == Axis(0) {
            // Across the slab's planes: the walk reads the planes around them from `f`.
            derivative_walk(walk, t.f.view(), target, Axis(0), t.first + first, t.stencil);
        } else {
            let f = t.f.slice_axis(Axis(0), Slice::from(first..first + m));
            derivative_walk(walk, f, target, t.axis, t.first, t.stencil);
        }
        fold(j, t, acc.view_mut(), tmp.view());
    }
    finish(acc.view_mut());
    store(o, acc.view());
}
