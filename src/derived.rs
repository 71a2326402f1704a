//! Quantities derived from several derivatives that users reach for: the Hessian (every second
//! partial, the symmetric ones computed once), the Jacobian of a vector field, and the gradient
//! magnitude (fused: the input read once, one array written, the per-axis derivatives held a
//! piece at a time, [`kernel::norm`]).

use ndarray::{Array, ArrayView, ArrayViewMut, Axis, Dimension, RemoveAxis, Slice};
use num_traits::Float;

use crate::alloc::{alloc_like, new_array_like};
use crate::element::GradientElement;
use crate::error::GradientError;
use crate::kernel::{self, Term, route, split};
use crate::layout::outermost_axis;
use crate::operator::{
    Stencils, central_differences_in_one_layout, central_differences_of_planes, compose_into, stencil_of,
};
use crate::options::GradientOptions;
use crate::parallel::threshold;
use crate::plan::{AxesPlan, FixedOrder, refuse_derivative};
use crate::stencil::AxisStencil;

/// The second partial derivatives `∂²f/∂xᵢ∂xⱼ` of an array along its axes (all, or those of
/// [`GradientOptions::axes`]), from [`ArrayGradientExt::hessian`](crate::ArrayGradientExt::hessian).
/// Each of the `n (n + 1) / 2` distinct entries is computed once and stored once;
/// [`get`](Self::get) and indexing (`h[(i, j)]`) give entry `(i, j)` or `(j, i)` alike.
///
/// # Example
///
/// ```
/// use ndarray::Array2;
/// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
///
/// // findiff: Diff(0)**2, Diff(0) * Diff(1), Diff(1)**2 (acc=2), each applied to f
/// // f = x² y on a unit grid: H = [[2y, 2x], [2x, 0]]
/// let f = Array2::from_shape_fn((6, 7), |(i, j)| (i * i * j) as f64);
/// let h = f.hessian(&GradientOptions::new().accuracy(2)).unwrap();
/// assert_eq!(h.len(), 2);
/// assert_eq!(h[(0, 1)][[3, 4]], 6.0);
/// assert_eq!(h[(1, 0)][[3, 4]], 6.0); // the same array
/// assert_eq!(h[(0, 0)][[3, 4]], 8.0);
/// assert_eq!(h[(1, 1)][[3, 4]], 0.0);
/// ```
#[derive(Clone)]
pub struct Hessian<T, D> {
    axes: Vec<Axis>,
    /// The upper triangle, row by row: (0, 0), (0, 1), …, (0, n − 1), (1, 1), …
    entries: Vec<Array<T, D>>,
}

impl<T: std::fmt::Debug, D: Dimension> std::fmt::Debug for Hessian<T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hessian")
            .field("axes", &self.axes)
            .field("entries", &self.entries)
            .finish()
    }
}

impl<T: PartialEq, D: Dimension> PartialEq for Hessian<T, D> {
    fn eq(&self, other: &Self) -> bool {
        self.axes == other.axes && self.entries == other.entries
    }
}

impl<T, D: Dimension> Hessian<T, D> {
    /// The number of axes `n`: the Hessian is `n × n`.
    ///
    /// ```
    /// use ndarray::{Array3, Axis};
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    ///
    /// // findiff: the entries Diff(i) * Diff(j) for the axes chosen, here 0 and 2
    /// let f = Array3::<f64>::zeros((4, 5, 6));
    /// let h = f.hessian(&GradientOptions::new().axes([Axis(0), Axis(2)])).unwrap();
    /// assert_eq!(h.len(), 2);
    /// assert_eq!(h.axes(), &[Axis(0), Axis(2)]);
    /// ```
    pub fn len(&self) -> usize {
        self.axes.len()
    }

    /// Whether no axis was differentiated: only when [`GradientOptions::axes`] was given no
    /// axis.
    ///
    /// ```
    /// use ndarray::Array2;
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    ///
    /// let f = Array2::<f64>::zeros((4, 5));
    /// assert!(!f.hessian(&GradientOptions::new()).unwrap().is_empty());
    /// assert!(f.hessian(&GradientOptions::new().axes([])).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.axes.is_empty()
    }

    /// The array axes of the rows and columns, in order (see [`len`](Self::len)).
    pub fn axes(&self) -> &[Axis] {
        &self.axes
    }

    /// Entry `(i, j)`: `∂²f/∂xᵢ∂xⱼ` for the `i`-th and `j`-th axes of [`axes`](Self::axes)
    /// (findiff's `Diff(i) * Diff(j)`, or `Diff(i)**2` on the diagonal); `None` unless both
    /// are below [`len`](Self::len). `h[(i, j)]` is the same entry, and panics instead.
    ///
    /// ```
    /// use ndarray::Array2;
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions, Operator};
    /// use ndarray::Axis;
    ///
    /// let f = Array2::from_shape_fn((9, 10), |(i, j)| ((i * j) as f64 * 0.1).sin());
    /// let opts = GradientOptions::new().accuracy(4);
    /// let h = f.hessian(&opts).unwrap();
    /// // findiff: (Diff(0, acc=4) * Diff(1, acc=4))(f), bit for bit
    /// let d01 = Operator::derivative(Axis(0), 1) * Operator::derivative(Axis(1), 1);
    /// assert_eq!(h.get(0, 1), Some(&d01.apply(&f, &opts).unwrap()));
    /// assert_eq!(h.get(1, 0), h.get(0, 1));
    /// assert_eq!(h.get(0, 2), None);
    /// ```
    pub fn get(&self, i: usize, j: usize) -> Option<&Array<T, D>> {
        let n = self.axes.len();
        let (i, j) = (i.min(j), i.max(j));
        (j < n).then(|| &self.entries[i * n - i * (i + 1) / 2 + j])
    }

    /// The distinct entries, the upper triangle row by row: `(0, 0), (0, 1), …, (0, n − 1),
    /// (1, 1), …, (n − 1, n − 1)`.
    ///
    /// ```
    /// use ndarray::Array2;
    /// use ndarray_gradient::{ArrayGradientExt, GradientOptions};
    ///
    /// let f = Array2::from_shape_fn((5, 6), |(i, j)| (i * i + i * j) as f64);
    /// let h = f.hessian(&GradientOptions::new().accuracy(2)).unwrap();
    /// let expected: Vec<_> = [(0, 0), (0, 1), (1, 1)].iter().map(|&(i, j)| h[(i, j)].clone()).collect();
    /// assert_eq!(h.into_entries(), expected);
    /// ```
    pub fn into_entries(self) -> Vec<Array<T, D>> {
        self.entries
    }
}

impl<T, D: Dimension> std::ops::Index<(usize, usize)> for Hessian<T, D> {
    type Output = Array<T, D>;
    /// Entry `(i, j)`, as [`get`](Hessian::get).
    ///
    /// # Panics
    ///
    /// If `i` or `j` is not below [`len`](Hessian::len), as indexing does.
    fn index(&self, (i, j): (usize, usize)) -> &Array<T, D> {
        let n = self.axes.len();
        self.get(i, j)
            .unwrap_or_else(|| panic!("entry ({i}, {j}) of a {n} × {n} Hessian"))
    }
}

/// The Hessian of `f` (see [`Hessian`]): the diagonal entries are second-derivative stencils
/// (findiff's `Diff(i)**2`), entry `(i, j)`, `i < j`, the composition `∂ᵢ(∂ⱼ f)` (findiff's
/// `Diff(i) * Diff(j)`), blocked as [`compose_into`] does.
pub(crate) fn hessian<A, D>(
    f: ArrayView<'_, A, D>,
    opts: &GradientOptions<'_, A::Real>,
) -> Result<Hessian<A::Output, D>, GradientError>
where
    A: GradientElement,
    D: Dimension,
{
    if f.ndim() == 0 {
        return Err(GradientError::ZeroDimensional);
    }
    refuse_derivative(opts, f.ndim(), "hessian")?;
    // The axes checked as for `gradient_with`; the derivative orders are the Hessian's own.
    let axes: Vec<Axis> = AxesPlan::new(f.shape(), &axes_of(opts, f.ndim()), opts, None)?
        .axes
        .into_iter()
        .map(|(axis, _)| axis)
        .collect();
    if axes.is_empty() {
        // No axes (`.axes([])`): no entries, as `gradient_with` gives no derivatives.
        return Ok(Hessian {
            axes,
            entries: Vec::new(),
        });
    }
    let mut stencils = Stencils::new();
    for &axis in &axes {
        stencils.add(f.shape(), opts, axis, 1, "hessian")?;
        stencils.add(f.shape(), opts, axis, 2, "hessian")?;
    }
    if let Some(entries) = hessian_in_blocks(&f, &axes, &stencils) {
        return Ok(Hessian { axes, entries });
    }
    let mut entries = Vec::with_capacity(axes.len() * (axes.len() + 1) / 2);
    for (i, &a) in axes.iter().enumerate() {
        for &b in &axes[i..] {
            let steps: Vec<(Axis, &AxisStencil<A::Real>)> = if a == b {
                vec![(a, stencil_of(&stencils, a, 2))]
            } else {
                vec![(a, stencil_of(&stencils, a, 1)), (b, stencil_of(&stencils, b, 1))]
            };
            entries.push(new_array_like(&f, None, |out| compose_into(&steps, f.view(), out)));
        }
    }
    Ok(Hessian { axes, entries })
}

/// Every entry of the Hessian in one sweep over `f`: cut into blocks across an axis `c` along
/// which no stencil wraps (the outermost in memory of those), each block computes the first
/// derivatives `gⱼ = ∂ⱼ f` the mixed entries read (every axis's but the first) once, over the
/// block and the halo the first-derivative stencil of `c` reads, into buffers that stay in
/// cache, and every entry of the block from them: `∂ᵢ gⱼ` (along `c` through the block's
/// window of the stencil, as [`compose_into`] does), and the
/// diagonal from `f`. When every mixed entry is two central differences that
/// [`route::fuses_central_differences`] allows (C order), no first derivative is kept: each
/// mixed entry of a block is computed from `f` in one pass ([`central_entries_of_block`];
/// 256³ at accuracy 2, one thread: 1.39–1.45× → 1.16–1.17× the floor of its six outputs,
/// `benches/RESULTS-operators.md`). Each value has the operands and stencil of the
/// entry-by-entry computation, so the same bits. `None` when every axis wraps (or has one
/// point).
fn hessian_in_blocks<A, D>(
    f: &ArrayView<'_, A, D>,
    axes: &[Axis],
    stencils: &Stencils<A::Real>,
) -> Option<Vec<Array<A::Output, D>>>
where
    A: GradientElement,
    D: Dimension,
{
    let st = |axis: Axis, m: usize| stencil_of(stencils, axis, m);
    let c = cut_axis(f, |k| axes.iter().any(|a| a.index() == k && st(*a, 1).periodic))?;
    let n = f.len_of(c);
    let cut_is_axis = axes.contains(&c);
    // The samples along `c` the first derivatives of the block of `len` planes from `s` read.
    let reach = |s: usize, len: usize| -> (usize, usize) {
        if cut_is_axis {
            let (lo, hi) = st(c, 1).reach(s, len).expect("a block of points");
            (lo as usize, hi as usize + 1)
        } else {
            (s, s + len)
        }
    };
    let width = if cut_is_axis { st(c, 1).interior_width() } else { 0 };
    let count = axes.len() * (axes.len() + 1) / 2;
    // The first derivatives the mixed entries read: entry (i, j), i < j, is ∂ᵢ gⱼ, so every
    // axis's but the first.
    let inner = &axes[1..];
    let (block, parallel) = route::composed_blocks(n, f.len() / n * inner.len().max(1), width, threshold());
    let longest = (0..n)
        .step_by(block)
        .map(|s| {
            let (lo, hi) = reach(s, block.min(n - s));
            hi - lo
        })
        .max()
        .unwrap_or(0);
    // Zeroed outputs: written block by block below, through the kernels.
    let mut entries: Vec<Array<A::Output, D>> = (0..count).map(|_| alloc_like(f, None)).collect();
    // Every mixed entry of two central differences computed in one pass from `f`, a block's
    // planes at a time ([`central_differences_of_planes`]): its outer axis the cut (the
    // outermost in memory), or the outermost of a plane across the cut when neither of its
    // axes is the cut. Then no first derivative is kept.
    let fused = {
        let outermost = outermost_axis(f.shape(), f.strides(), None);
        let sample = entries[0].view_mut();
        // The outermost axis of a plane across `c`.
        let plane_strides: Vec<isize> = (0..f.ndim())
            .map(|k| if k == c.index() { 0 } else { f.strides()[k] })
            .collect();
        let in_plane = outermost_axis(f.shape(), &plane_strides, Some(c));
        axes.iter().enumerate().all(|(p, &a)| {
            axes[p + 1..].iter().all(|&b| {
                let central = central_differences_in_one_layout(st(a, 1), st(b, 1), f, &sample);
                let outer_first = if a == c {
                    outermost == Some(a)
                } else {
                    // A plane across `c` is then contiguous, with `a` outermost in it.
                    b != c && outermost == Some(c) && in_plane == Some(a)
                };
                route::fuses_central_differences(central, outer_first)
            })
        })
    };
    let mut chunks: Vec<_> = entries.iter_mut().map(|e| e.axis_chunks_iter_mut(c, block)).collect();
    type Block<'o, T, D> = (usize, Vec<ArrayViewMut<'o, T, D>>);
    let blocks: Vec<Block<'_, A::Output, D>> = (0..n.div_ceil(block))
        .map(|b| {
            (
                b * block,
                chunks
                    .iter_mut()
                    .map(|it| it.next().expect("one chunk per block"))
                    .collect(),
            )
        })
        .collect();
    // Per thread: the first derivatives over a block and its halo along `c`.
    let buffers = || -> Vec<Array<A::Output, D>> {
        if fused {
            return Vec::new();
        }
        inner.iter().map(|_| alloc_like(f, Some((c, longest)))).collect()
    };
    let run = |g: &mut Vec<Array<A::Output, D>>, (s, outs): Block<'_, A::Output, D>| {
        let e = s + outs[0].len_of(c);
        if fused {
            return central_entries_of_block(f, axes, stencils, c, s, outs);
        }
        let (lo, hi) = reach(s, e - s);
        // gⱼ over [lo, hi) along c; g_c itself over the block only (its window).
        let window_c1 = cut_is_axis.then(|| st(c, 1).window(lo as isize, hi - lo));
        let inputs: Vec<Term<'_, A, D, A::Real>> = inner
            .iter()
            .map(|&j| match (&window_c1, j == c) {
                (Some(w), true) => Term {
                    first: s - lo,
                    ..Term::new(f.slice_axis(c, Slice::from(lo..hi)), c, w)
                },
                _ => Term::new(f.slice_axis(c, Slice::from(lo..hi)), j, st(j, 1)),
            })
            .collect();
        let views: Vec<ArrayViewMut<'_, A::Output, D>> = inner
            .iter()
            .zip(g.iter_mut())
            .map(|(&j, b)| {
                let len = if j == c { e - s } else { hi - lo };
                b.slice_axis_mut(c, Slice::from(0..len))
            })
            .collect();
        kernel::derivatives(&inputs, views);
        // gⱼ (in `g[j - 1]`) restricted to the block (g_c is the block already).
        let on_block = |j: usize| -> ArrayView<'_, A::Output, D> {
            if axes[j] == c {
                g[j - 1].slice_axis(c, Slice::from(0..e - s))
            } else {
                g[j - 1].slice_axis(c, Slice::from(s - lo..e - lo))
            }
        };
        let mut terms: Vec<Term<'_, A::Output, D, A::Real>> = Vec::with_capacity(count);
        let mut diagonal_outs = Vec::new();
        let mut mixed_outs = Vec::new();
        let mut outs = outs.into_iter();
        for (p, &a) in axes.iter().enumerate() {
            #[allow(clippy::needless_range_loop)] // q names both an axis and its buffer
            for q in p..axes.len() {
                let out = outs.next().expect("one output per entry");
                if p == q {
                    diagonal_outs.push(out);
                    continue;
                }
                terms.push(match (&window_c1, a == c) {
                    // ∂c gq: the window of c's stencil over gq's block and halo.
                    (Some(w), true) => Term {
                        first: s - lo,
                        ..Term::new(g[q - 1].slice_axis(c, Slice::from(0..hi - lo)), c, w)
                    },
                    _ => Term::new(on_block(q), a, st(a, 1)),
                });
                mixed_outs.push(out);
            }
        }
        diagonal_of_block(f, axes, stencils, c, s, diagonal_outs);
        kernel::derivatives(&terms, mixed_outs);
    };
    split::for_each_outer_block(parallel, blocks, buffers, run);
    Some(entries)
}

/// The Hessian's diagonal entries of the block of planes from `s` across `c` (`outs`, one per
/// axis of `axes`, in order): the second derivatives of `f`, along `c` through the block's
/// window of the stencil over the samples it reads, in one kernel call.
fn diagonal_of_block<A, D>(
    f: &ArrayView<'_, A, D>,
    axes: &[Axis],
    stencils: &Stencils<A::Real>,
    c: Axis,
    s: usize,
    outs: Vec<ArrayViewMut<'_, A::Output, D>>,
) where
    A: GradientElement,
    D: Dimension,
{
    let e = s + outs[0].len_of(c);
    let windows: Vec<_> = axes
        .iter()
        .map(|&a| (a == c).then(|| stencil_of(stencils, a, 2).block_window(s, e - s)))
        .collect();
    let terms: Vec<Term<'_, A, D, A::Real>> = axes
        .iter()
        .zip(&windows)
        .map(|(&a, window)| match window {
            Some((read, w)) => Term {
                first: s - read.start,
                ..Term::new(f.slice_axis(c, Slice::from(read.clone())), c, w)
            },
            None => Term::new(f.slice_axis(c, Slice::from(s..e)), a, stencil_of(stencils, a, 2)),
        })
        .collect();
    kernel::derivatives(&terms, outs);
}

/// The Hessian entries of the block of planes from `s` across `c` (in `outs`, entry by entry
/// in the Hessian's order) when every mixed entry is fused ([`hessian_in_blocks`]): the
/// diagonal's second derivatives from `f`, then each mixed entry by
/// [`central_differences_of_planes`], over the block when its outer axis is `c`, else a plane
/// across `c` at a time.
fn central_entries_of_block<A, D>(
    f: &ArrayView<'_, A, D>,
    axes: &[Axis],
    stencils: &Stencils<A::Real>,
    c: Axis,
    s: usize,
    outs: Vec<ArrayViewMut<'_, A::Output, D>>,
) where
    A: GradientElement,
    D: Dimension,
{
    let st = |axis: Axis, m: usize| stencil_of(stencils, axis, m);
    let mut diagonal_outs = Vec::new();
    let mut mixed = Vec::new();
    let mut outs = outs.into_iter();
    for (p, &a) in axes.iter().enumerate() {
        for &b in &axes[p..] {
            let out = outs.next().expect("one output per entry");
            if a == b {
                diagonal_outs.push(out);
            } else {
                mixed.push(((a, st(a, 1)), (b, st(b, 1)), out));
            }
        }
    }
    diagonal_of_block(f, axes, stencils, c, s, diagonal_outs);
    for (outer, inner, mut out) in mixed {
        if outer.0 == c {
            central_differences_of_planes((outer, inner), f, out, s);
        } else {
            for (k, plane) in out.axis_chunks_iter_mut(c, 1).enumerate() {
                let f = f.slice_axis(c, Slice::from(s + k..s + k + 1));
                central_differences_of_planes((outer, inner), &f, plane, 0);
            }
        }
    }
}

/// The Jacobian `J[c, k] = ∂F_c/∂x_k` of a field of shape `(components, n₀, …)` over the
/// spatial axes of `opts` (numbered without the component axis, as for the divergence): an
/// array of shape `(components, axes, n₀, …)`, each `(c, k)` entry laid out like a component.
pub(crate) fn jacobian<A, D>(
    field: ArrayView<'_, A, D>,
    opts: &GradientOptions<'_, A::Real>,
) -> Result<Array<A::Output, D::Larger>, GradientError>
where
    A: GradientElement,
    D: RemoveAxis,
{
    let plan = AxesPlan::of_options(&field.shape()[1..], opts, Some(FixedOrder::JACOBIAN))?;
    let model = field.view().insert_axis(Axis(1));
    Ok(new_array_like(&model, Some((Axis(1), plan.axes.len())), |out| {
        let mut out = out.into_dyn();
        for (c, mut row) in out.axis_iter_mut(Axis(0)).enumerate() {
            let outs = row
                .axis_iter_mut(Axis(0))
                .map(|o| {
                    o.into_dimensionality::<D::Smaller>()
                        .expect("a component's dimensionality")
                })
                .collect();
            crate::gradient::gradient_to(field.index_axis(Axis(0), c), &plan, outs);
        }
    }))
}

/// The gradient magnitude `√(Σₖ (∂f/∂xₖ)²)` over the axes of `opts`, the squares added in axis
/// order, in one pass through [`kernel::norm`]: each piece of every derivative is combined into
/// the output while it is in cache, never written out whole. The same bits as `gradient_with`
/// followed by the same arithmetic.
pub(crate) fn gradient_magnitude<A, D>(
    f: ArrayView<'_, A, D>,
    opts: &GradientOptions<'_, A::Real>,
) -> Result<Array<A::Output, D>, GradientError>
where
    A: GradientElement,
    A::Output: Float,
    D: Dimension,
{
    let plan = AxesPlan::of_options(f.shape(), opts, None)?;
    let terms: Vec<Term<'_, A, D, A::Real>> = plan
        .axes
        .iter()
        .map(|(axis, st)| Term::new(f.view(), *axis, st))
        .collect();
    Ok(new_array_like(&f, None, |out| kernel::norm(&terms, out)))
}

/// The axis to cut `f` into blocks across: the outermost in memory of those longer than one
/// point along which no stencil `wraps` (a block's halo is then read from `f` itself). `None`
/// when there is none.
fn cut_axis<A, D: Dimension>(f: &ArrayView<'_, A, D>, wraps: impl Fn(usize) -> bool) -> Option<Axis> {
    // A wrapping axis counts as one point long, which `outermost_axis` passes over.
    let shape: Vec<usize> = (0..f.ndim())
        .map(|k| if wraps(k) { 1 } else { f.len_of(Axis(k)) })
        .collect();
    outermost_axis(&shape, f.strides(), None)
}

/// The axes of `opts`, all of an array of `ndim` axes by default.
fn axes_of<R: Float>(opts: &GradientOptions<'_, R>, ndim: usize) -> Vec<Axis> {
    opts.get_axes()
        .map_or_else(|| (0..ndim).map(Axis).collect(), <[Axis]>::to_vec)
}
