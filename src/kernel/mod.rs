//! The kernels: they walk memory and call [`crate::stencil`]'s formulas at every point.
//!
//! These entry points take every computation of the crate: [`derivatives`] (one output per
//! derivative: `gradient_axis`, `gradient`, the outputs of a [`BlockPlan`](crate::BlockPlan)
//! gradient), [`sum`] (one output, a sum of derivative terms: the Laplacian, divergence, curl,
//! a `BlockPlan` Laplacian), [`norm`] (one output, the root of the sum of the terms' squares:
//! the gradient magnitude) and [`first_difference`] (and [`copy`]) for `diff`. Each puts the
//! axes of every view in its output's memory order, so that every walk goes through memory
//! front to back whatever the layout; summarises the views in a [`route::Layout`]; asks
//! [`route::choose`] which walk fills which output, in how many blocks; and runs that.
//! **Which walk computes a call, and why, is in [`route`] alone.**
//!
//! The walks, one engine file each: `lanes.rs` (Flat, Lanes), `planes.rs` (Planes), `rows.rs`
//! (the row engine), `slabs.rs` (sums and norms through slab accumulators), `difference.rs`
//! (`diff`), `mixed.rs` (a mixed partial of two central differences in one pass, for
//! [`crate::operator`]'s compositions and the Hessian). They share the tap-summing core in `taps.rs` and run their blocks through `split.rs`.
//!
//! Every walk writes every output point at least once: fresh outputs are not zeroed first
//! ([`crate::alloc`]). `tests::every_walk_writes_every_point` counts the writes of every walk.

use ndarray::{ArrayView, ArrayViewMut, Axis, Dimension, Zip};

use crate::element::{DiffElement, GradientElement};
use crate::layout::{MemoryOrder, outermost_axis};
use crate::stencil::{AxisStencil, Interior};

/// Evaluates `$body` with `$q` the quotient by `$d` for elements `$t`: the exact reciprocal
/// when `$d` is a power of two (same bits, a multiplication), else the division. The choice is
/// made once per call, so each loop is compiled for one of the two.
macro_rules! with_quotient {
    ($t:ty, $d:expr, |$q:ident| $body:expr) => {
        match crate::stencil::ExactReciprocal::of::<$t>($d) {
            Some($q) => $body,
            None => {
                let $q = crate::stencil::Divide($d);
                $body
            }
        }
    };
}

/// Runs `$body` with `$e` a static dimension type of `$ndim` axes (1 to 6) when `$d` is
/// dynamic: `IxDyn` iteration is several times slower. The body returns; the code after the
/// macro runs for static dimensions and for more than six axes.
macro_rules! in_static_dim {
    ($d:ty, $ndim:expr, |$e:ident| $body:block) => {
        in_static_dim!(@arms $d, $ndim, $e, $body, 1 Ix1, 2 Ix2, 3 Ix3, 4 Ix4, 5 Ix5, 6 Ix6)
    };
    (@arms $d:ty, $ndim:expr, $e:ident, $body:block, $($n:literal $ix:ident),*) => {
        if const { <$d as ndarray::Dimension>::NDIM.is_none() } {
            match $ndim {
                $($n => {
                    type $e = ndarray::$ix;
                    $body
                })*
                _ => {}
            }
        }
    };
}

pub(crate) mod compact;
mod difference;
mod lanes;
pub(crate) mod mixed;
mod planes;
pub(crate) mod route;
mod rows;
mod slabs;
pub(crate) mod split;
mod taps;
#[cfg(test)]
pub(crate) mod tests;

pub(crate) use compact::compact;
pub(crate) use taps::Slot;

use route::{Job, Layout, Route, TermLayout, Walk};

/// One term of a computation: `± c ∂(f)/∂(axis)` with the stencil of that axis.
pub(crate) struct Term<'a, A, D, R> {
    pub(crate) f: ArrayView<'a, A, D>,
    pub(crate) axis: Axis,
    pub(crate) stencil: &'a AxisStencil<R>,
    /// Whether the term is subtracted from the sum (never the first term).
    pub(crate) subtract: bool,
    /// A coefficient `c` the derivative is multiplied by (`c * value`, after it is computed)
    /// before it joins the sum: an operator's `Coef(c) * Diff(k)` term. Sums only.
    pub(crate) scale: Option<R>,
    /// The index along `axis` in `f` of the output's first point: 0 when `f` has the output's
    /// extent, the halo before a block when `f` is the block with its halo along `axis`
    /// ([`BlockPlan`](crate::BlockPlan)). `f` has the output's extent along every other axis.
    pub(crate) first: usize,
}

impl<'a, A, D: Dimension, R: Copy> Term<'a, A, D, R> {
    /// `∂(f)/∂(axis)`, `f` of the output's shape.
    pub(crate) fn new(f: ArrayView<'a, A, D>, axis: Axis, stencil: &'a AxisStencil<R>) -> Self {
        Term {
            f,
            axis,
            stencil,
            subtract: false,
            scale: None,
            first: 0,
        }
    }

    fn to_dim<E: Dimension>(&self) -> Term<'a, A, E, R> {
        Term {
            f: self
                .f
                .clone()
                .into_dimensionality::<E>()
                .expect("the output's dimensionality"),
            axis: self.axis,
            stencil: self.stencil,
            subtract: self.subtract,
            scale: self.scale,
            first: self.first,
        }
    }

    /// The term with the axes of its input put in `order`.
    fn in_memory_order(&self, order: &MemoryOrder<D>) -> Self {
        if order.is_identity() {
            return self.clone();
        }
        Term {
            f: self.f.clone().permuted_axes(order.permutation()),
            axis: Axis(order.position(self.axis)),
            ..*self
        }
    }

    fn layout<S>(&self, out: &ArrayViewMut<'_, S, D>) -> TermLayout {
        let shared_weights = !matches!(self.stencil.interior, Interior::PerPoint { .. });
        TermLayout::of(
            &self.f,
            out,
            self.axis,
            self.stencil.len,
            shared_weights,
            self.first,
            self.subtract || self.scale.is_some(),
        )
    }
}

impl<A, D: Dimension, R: Copy> Clone for Term<'_, A, D, R> {
    fn clone(&self) -> Self {
        Term {
            f: self.f.clone(),
            ..*self
        }
    }
}

fn into_dim<S, D: Dimension, E: Dimension>(out: ArrayViewMut<'_, S, D>) -> ArrayViewMut<'_, S, E> {
    out.into_dimensionality::<E>().expect("the output's dimensionality")
}

fn into_memory_order<'o, S, D: Dimension>(
    out: ArrayViewMut<'o, S, D>,
    order: &MemoryOrder<D>,
) -> ArrayViewMut<'o, S, D> {
    if order.is_identity() {
        out
    } else {
        out.permuted_axes(order.permutation())
    }
}

/// Whether the row engine can read this term's input by the strides of `out`, a C-contiguous
/// output (in memory order): see [`route::Layout::contiguous`]. The input must have the
/// output's shape too: a block's input that holds a halo after it only (`first == 0`, longer
/// along its axis) has the output's strides when that axis is the last, but its lanes are
/// longer than the output's rows.
fn rows_can_read<A, S, D: Dimension, R>(t: &Term<'_, A, D, R>, out: &ArrayViewMut<'_, S, D>) -> bool {
    t.first == 0 && t.f.shape() == out.shape() && t.f.is_standard_layout() && t.f.strides() == out.strides()
}

/// The derivative of each term into the output of the same position (each output of the
/// term's input's shape, but along its axis where [`Term::first`] leaves room for a halo).
pub(crate) fn derivatives<A, S, D>(terms: &[Term<'_, A, D, A::Real>], outs: Vec<ArrayViewMut<'_, S, D>>)
where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    let ndim = outs.first().map_or(0, |o| o.ndim());
    in_static_dim!(D, ndim, |E| {
        let terms: Vec<Term<'_, A, E, A::Real>> = terms.iter().map(Term::to_dim).collect();
        return derivatives_in_memory_order(&terms, outs.into_iter().map(into_dim::<S, D, E>).collect());
    });
    derivatives_in_memory_order(terms, outs)
}

fn derivatives_in_memory_order<A, S, D>(terms: &[Term<'_, A, D, A::Real>], outs: Vec<ArrayViewMut<'_, S, D>>)
where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    debug_assert_eq!(terms.len(), outs.len(), "one output per term");
    // Each term and its output with the axes of both in the output's memory order (the
    // outputs in place, in the same vector).
    let terms = one_or_many(terms.len(), |s| {
        terms[s].in_memory_order(&MemoryOrder::of_view_mut(&outs[s]))
    });
    let outs: Vec<ArrayViewMut<'_, S, D>> = outs
        .into_iter()
        .map(|out| {
            let order = MemoryOrder::of_view_mut(&out);
            into_memory_order(out, &order)
        })
        .collect();
    let Some(first) = outs.first() else {
        return;
    };
    let term_layouts = one_or_many(terms.len(), |s| terms[s].layout(&outs[s]));
    let layout = Layout {
        contiguous: first.is_standard_layout()
            && terms
                .iter()
                .zip(&outs)
                .all(|(t, o)| o.shape() == first.shape() && o.strides() == first.strides() && rows_can_read(t, first)),
        terms: &term_layouts,
        ..Layout::of_output(Job::Derivatives, first)
    };
    let mut outs = outs.into_iter();
    for route in route::choose(&layout, crate::parallel::threshold()) {
        route::record(&route);
        let terms = &terms[route.outputs.clone()];
        if route.walk == Walk::Rows {
            let sums = terms.iter().map(|t| vec![t.clone()]).collect();
            let outs = outs.by_ref().take(terms.len()).collect();
            let (sums, dims, outs) = rows_of(sums, outs);
            rows::sums_by_rows(&sums, &dims, outs, route.blocks);
        } else {
            let out = outs.next().expect("one output per route");
            run_one_term(route.walk, route.blocks, &terms[0], out);
        }
    }
}

/// `n` values `f(0)`, `f(1)`, …: on the stack when there is one (a call of one term, whose fixed
/// cost matters on small arrays: each vector is an allocation), else in a vector.
fn one_or_many<T>(n: usize, mut f: impl FnMut(usize) -> T) -> OneOrMany<T> {
    if n == 1 {
        OneOrMany::One([f(0)])
    } else {
        OneOrMany::Many((0..n).map(f).collect())
    }
}

/// What [`one_or_many`] returns, read as a slice.
enum OneOrMany<T> {
    One([T; 1]),
    Many(Vec<T>),
}

impl<T> std::ops::Deref for OneOrMany<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            OneOrMany::One(one) => one,
            OneOrMany::Many(many) => many,
        }
    }
}

/// `out = Σ terms`, summed in the order of `terms` (each term's input of the output's shape,
/// but along its axis where [`Term::first`] leaves room for a halo). No terms: zero.
pub(crate) fn sum<A, S, D>(terms: &[Term<'_, A, D, A::Real>], out: ArrayViewMut<'_, S, D>)
where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    in_static_dim!(D, out.ndim(), |E| {
        let terms: Vec<Term<'_, A, E, A::Real>> = terms.iter().map(Term::to_dim).collect();
        return sum_in_memory_order(&terms, into_dim::<S, D, E>(out));
    });
    sum_in_memory_order(terms, out)
}

/// `out = √(Σ terms²)`, the squares added in the order of `terms` (each term's input of the
/// output's shape): the gradient magnitude. No terms: zero.
pub(crate) fn norm<A, S, D>(terms: &[Term<'_, A, D, A::Real>], out: ArrayViewMut<'_, S, D>)
where
    A: GradientElement,
    A::Output: num_traits::Float,
    S: Slot<A::Output>,
    D: Dimension,
{
    in_static_dim!(D, out.ndim(), |E| {
        let terms: Vec<Term<'_, A, E, A::Real>> = terms.iter().map(Term::to_dim).collect();
        return norm_in_memory_order(&terms, into_dim::<S, D, E>(out));
    });
    norm_in_memory_order(terms, out)
}

/// The terms and output of a call with one output, their axes in the output's memory order,
/// and their route.
#[allow(clippy::type_complexity)]
fn one_output<'a, 'o, A, S, D>(
    job: Job,
    terms: &[Term<'a, A, D, A::Real>],
    out: ArrayViewMut<'o, S, D>,
) -> (Vec<Term<'a, A, D, A::Real>>, ArrayViewMut<'o, S, D>, Route)
where
    A: GradientElement,
    D: Dimension,
{
    let order = MemoryOrder::of_view_mut(&out);
    let terms: Vec<Term<'_, A, D, A::Real>> = terms.iter().map(|t| t.in_memory_order(&order)).collect();
    let out = into_memory_order(out, &order);
    let term_layouts: Vec<TermLayout> = terms.iter().map(|t| t.layout(&out)).collect();
    let layout = Layout {
        contiguous: out.is_standard_layout() && terms.iter().all(|t| rows_can_read(t, &out)),
        terms: &term_layouts,
        ..Layout::of_output(job, &out)
    };
    let route = route::choose(&layout, crate::parallel::threshold()).single();
    route::record(&route);
    (terms, out, route)
}

fn sum_in_memory_order<A, S, D>(terms: &[Term<'_, A, D, A::Real>], out: ArrayViewMut<'_, S, D>)
where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    let (terms, out, route) = one_output(Job::Sum, terms, out);
    match route.walk {
        Walk::Zero => zero(out),
        Walk::Rows => {
            let (sums, dims, outs) = rows_of(vec![terms], vec![out]);
            rows::sums_by_rows(&sums, &dims, outs, route.blocks)
        }
        Walk::Slabs => slabs::sum_by_slabs(&terms, out, &route.term_walks, route.blocks),
        walk => run_one_term(walk, route.blocks, &terms[0], out),
    }
}

fn norm_in_memory_order<A, S, D>(terms: &[Term<'_, A, D, A::Real>], out: ArrayViewMut<'_, S, D>)
where
    A: GradientElement,
    A::Output: num_traits::Float,
    S: Slot<A::Output>,
    D: Dimension,
{
    let (terms, out, route) = one_output(Job::Norm, terms, out);
    match route.walk {
        Walk::Zero => zero(out),
        Walk::Rows => {
            let (sums, dims, outs) = rows_of(vec![terms], vec![out]);
            rows::norm_by_rows(&sums, &dims, outs, route.blocks)
        }
        Walk::Slabs => slabs::norm_by_slabs(&terms, out, &route.term_walks, route.blocks),
        other => unreachable!("{other:?} does not take a norm"),
    }
}

/// Zero at every point (an operator over no axes).
fn zero<T: Default, S: Slot<T>, D: Dimension>(out: ArrayViewMut<'_, S, D>) {
    Zip::from(out).for_each(|o| o.set(T::default()))
}

/// `out = f[i + 1] - f[i]` along `axis` (`out` one shorter than `f` along it).
pub(crate) fn first_difference<A, S, D>(f: ArrayView<'_, A, D>, out: ArrayViewMut<'_, S, D>, axis: Axis)
where
    A: DiffElement,
    S: Slot<A>,
    D: Dimension,
{
    in_static_dim!(D, out.ndim(), |E| {
        let f = f.into_dimensionality::<E>().expect("the output's dimensionality");
        return first_difference_in_memory_order(f, into_dim::<S, D, E>(out), axis);
    });
    first_difference_in_memory_order(f, out, axis)
}

fn first_difference_in_memory_order<A, S, D>(f: ArrayView<'_, A, D>, out: ArrayViewMut<'_, S, D>, axis: Axis)
where
    A: DiffElement,
    S: Slot<A>,
    D: Dimension,
{
    let order = MemoryOrder::of_view_mut(&out);
    let (f, axis) = (f.permuted_axes(order.permutation()), Axis(order.position(axis)));
    let out = into_memory_order(out, &order);
    let layout = Layout {
        terms: &[TermLayout::of(&f, &out, axis, f.len_of(axis), false, 0, false)],
        ..Layout::of_output(Job::Difference, &out)
    };
    let route = route::choose(&layout, crate::parallel::threshold()).single();
    route::record(&route);
    let walk = route.walk;
    in_axis_blocks(f.view(), out, axis, 0, route.blocks, |f, o, first| match walk {
        Walk::DifferenceLanes => difference::difference_lanes(f, o, axis, first),
        _ => difference::difference_planes(f, o, axis, first),
    });
}

/// `a[i] = a[i + 1] - a[i]` along `axis` for every `i` but the last, in place: the second and
/// later differences of `diff` (in its work array). Routed as a first difference of the array
/// onto itself, but its blocks are cut across another axis: along `axis` a block would read its
/// neighbour's first point after the neighbour overwrote it.
pub(crate) fn difference_in_place<A: DiffElement, D: Dimension>(a: ArrayViewMut<'_, A, D>, axis: Axis) {
    let order = MemoryOrder::of_view_mut(&a);
    let axis = Axis(order.position(axis));
    let mut a = into_memory_order(a, &order);
    let term = TermLayout::of(&a.view(), &a, axis, a.len_of(axis), false, 0, false);
    let layout = Layout {
        terms: &[term],
        ..Layout::of_output(Job::Difference, &a)
    };
    let route = route::choose(&layout, crate::parallel::threshold()).single();
    route::record(&route);
    let lanes = route.walk == Walk::DifferenceLanes;
    let cut = outermost_axis(a.shape(), a.strides(), Some(axis));
    let Some(k) = cut.filter(|_| route.blocks > 1) else {
        return difference::difference_in_place_block(a, axis, lanes);
    };
    let chunk = a.len_of(k).div_ceil(route.blocks);
    let parts: Vec<_> = a.axis_chunks_iter_mut(k, chunk).collect();
    split::for_each_block(
        parts,
        || (),
        |_, block| difference::difference_in_place_block(block, axis, lanes),
    );
}

/// `out = f`, element by element (`diff` of order 0).
pub(crate) fn copy<A: Copy + Sync, S: Slot<A>, D: Dimension>(f: ArrayView<'_, A, D>, out: ArrayViewMut<'_, S, D>) {
    let order = MemoryOrder::of_view_mut(&out);
    let f = f.permuted_axes(order.permutation());
    let mut out = into_memory_order(out, &order);
    // Where blocks are cut, as for an axis walk along the outermost axis.
    let outermost = (out.ndim() > 0).then(|| TermLayout::of(&f, &out, Axis(0), 0, false, 0, false));
    let layout = Layout {
        terms: outermost.as_slice(),
        ..Layout::of_output(Job::Copy, &out)
    };
    let route = route::choose(&layout, crate::parallel::threshold()).single();
    route::record(&route);
    let copy = |f: ArrayView<'_, A, D>, o: ArrayViewMut<'_, S, D>| Zip::from(o).and(&f).for_each(|o, &x| o.set(x));
    match outermost_axis(out.shape(), out.strides(), None).filter(|_| route.blocks > 1) {
        Some(k) => {
            let chunk = out.len_of(k).div_ceil(route.blocks);
            let parts: Vec<_> = out
                .axis_chunks_iter_mut(k, chunk)
                .zip(f.axis_chunks_iter(k, chunk))
                .collect();
            split::for_each_block(parts, || (), |_, (o, fb)| copy(fb, o));
        }
        None => copy(f, out.view_mut()),
    }
}

/// One term into `out` by an axis walk, in `blocks` blocks.
fn run_one_term<A, S, D>(walk: Walk, blocks: usize, t: &Term<'_, A, D, A::Real>, out: ArrayViewMut<'_, S, D>)
where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    in_axis_blocks(t.f.view(), out, t.axis, t.first, blocks, |f, o, first| {
        derivative_walk(walk, f, o, t.axis, first, t.stencil)
    });
}

/// The output points `first..first + out.len_of(axis)` of one derivative, by the axis walk
/// `walk` (views in memory order; `f` holds every sample those points read).
fn derivative_walk<A, S, D>(
    walk: Walk,
    f: ArrayView<'_, A, D>,
    mut out: ArrayViewMut<'_, S, D>,
    axis: Axis,
    first: usize,
    stencil: &AxisStencil<A::Real>,
) where
    A: GradientElement,
    S: Slot<A::Output>,
    D: Dimension,
{
    match walk {
        Walk::Flat => {
            let fs = f.to_slice_memory_order().expect("the route checked: contiguous");
            let os = out.as_slice_memory_order_mut().expect("the route checked: contiguous");
            lanes::lanes_end_to_end(fs, os, stencil, taps::AsComputed)
        }
        Walk::Lanes => lanes::each_lane(f, out, axis, first, stencil),
        Walk::Planes => planes::plane_walk(f, out, axis, first, stencil),
        other => unreachable!("{other:?} is not a walk along one axis"),
    }
}

/// Runs `run(f, out, first)` on `blocks` blocks cut along the output's outermost axis (where
/// the route cut them, [`route::TermLayout::cut`]): along the differentiated axis, each block
/// gets the output points it holds and the whole input; along another axis, its part of both.
fn in_axis_blocks<A, S, D>(
    f: ArrayView<'_, A, D>,
    mut out: ArrayViewMut<'_, S, D>,
    axis: Axis,
    first: usize,
    blocks: usize,
    run: impl Fn(ArrayView<'_, A, D>, ArrayViewMut<'_, S, D>, usize) + Sync + Send,
) where
    A: Sync,
    S: Send + Sync,
    D: Dimension,
{
    let cut = outermost_axis(out.shape(), out.strides(), None);
    let Some(k) = cut.filter(|_| blocks > 1) else {
        return run(f, out, first);
    };
    let chunk = out.len_of(k).div_ceil(blocks);
    if k == axis {
        let parts: Vec<_> = out.axis_chunks_iter_mut(k, chunk).enumerate().collect();
        split::for_each_block(parts, || (), |_, (i, o)| run(f.view(), o, first + i * chunk));
    } else {
        let parts: Vec<_> = out
            .axis_chunks_iter_mut(k, chunk)
            .zip(f.axis_chunks_iter(k, chunk))
            .collect();
        split::for_each_block(parts, || (), |_, (o, fb)| run(fb, o, first));
    }
}

/// The row engine's view of sums of terms and their outputs (views in memory order, which the
/// route found contiguous in C order): the terms on slices, the shape, the outputs as slices.
#[allow(clippy::type_complexity)]
fn rows_of<'a, 'o, A, S, D>(
    sums: Vec<Vec<Term<'a, A, D, A::Real>>>,
    outs: Vec<ArrayViewMut<'o, S, D>>,
) -> (Vec<Vec<rows::SliceTerm<'a, A, A::Real>>>, Vec<usize>, Vec<&'o mut [S]>)
where
    A: GradientElement,
    D: Dimension,
{
    let dims = outs.first().map_or_else(Vec::new, |o| o.shape().to_vec());
    let sums = sums
        .into_iter()
        .map(|terms| {
            terms
                .into_iter()
                .map(|t| rows::SliceTerm {
                    f: t.f.to_slice().expect("the route checked: contiguous in C order"),
                    axis: t.axis.index(),
                    stencil: t.stencil,
                    subtract: t.subtract,
                    scale: t.scale,
                })
                .collect()
        })
        .collect();
    let outs = outs
        .into_iter()
        .map(|o| o.into_slice().expect("the route checked: contiguous in C order"))
        .collect();
    (sums, dims, outs)
}
