//! The tap-summing core: the loops every walk runs on slices of memory.
//!
//! A weighted stencil at a run of points is a sum of shifted rows, `o[k] = Σ_j w_j · x_j[k]`
//! ([`weighted_sum_of_rows`]); a sum of several such terms (a Laplacian) is
//! [`fixed_width_terms`]; NumPy's uniform interior is [`difference_on_slice`]. The values come
//! from [`crate::stencil`]'s formulas in their fixed order, so a point has the same bits
//! whichever walk reaches it.
//!
//! The loops are unrolled (const generics) for the widths the options use most, so that the
//! loop over the taps disappears and the loop over the points is vectorized; wider stencils
//! are summed tap by tap over tiles of points, in the same order. They run through
//! [`crate::simd::wide`], which compiles them for AVX2 where the processor has it.

use num_traits::Float;

use crate::element::{GradientElement, GradientFloat};
use crate::stencil::{Quotient, add_term, difference, first_term};

/// Where a walk writes one output point: an element of the caller's array (`T`), or of a fresh
/// array not initialized yet (`MaybeUninit<T>`), which saves zeroing memory that every walk
/// overwrites anyway (see [`crate::alloc::new_array_like`]).
pub(crate) trait Slot<T>: Send + Sync + Sized {
    /// The slot type the slice cores ([`sum_of_rows`]) are compiled for when they write into
    /// slots of this type: `MaybeUninit<T>` for both `T` and `MaybeUninit<T>` (one copy of the
    /// unrolled loops instead of two; `benches/RESULTS-build.md`), a test's counting slot itself.
    type Core: Slot<T, Core = Self::Core>;
    fn set(&mut self, value: T);
    /// These slots as [`Self::Core`] slots (the impls for `T` and `MaybeUninit<T>` are in
    /// [`crate::alloc`]).
    fn as_core(slots: &mut [Self]) -> &mut [Self::Core];
}

/// What becomes of a computed value before it is set: nothing ([`AsComputed`]), or it is added
/// to (subtracted from) the value at the same point of an earlier sum ([`AddedTo`]), so that a
/// sum of derivative terms is accumulated in the pass that computes its last term.
pub(crate) trait Combine<T>: Copy {
    /// The value to set at index `k` of the slice being written, given the computed `v`.
    fn combine(&self, k: usize, v: T) -> T;
    /// The same combination for the slice that starts at index `k` of this one.
    fn starting_at(self, k: usize) -> Self;
    /// The same combination for a slice of `n` points: a loop over `0..n` then reads it
    /// without bounds checks, which lets the compiler vectorize the loop.
    fn bounded(self, n: usize) -> Self;
    /// Whether NumPy's difference loop ([`difference_of_rows`]) is compiled with AVX2 for this
    /// combination (the weighted loops always are): for the values as computed (every
    /// single-axis call, where the loop runs on data in cache for small arrays) and for the
    /// norm's root; not for sums, which take it rarely, so that their loop stays one copy.
    const WIDE: bool = false;
}

/// Set the computed value as it is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AsComputed;

impl<T> Combine<T> for AsComputed {
    // `gradient_axis` of 1,000 points: see `benches/RESULTS-route.md`.
    const WIDE: bool = true;
    #[inline(always)]
    fn combine(&self, _: usize, v: T) -> T {
        v
    }
    #[inline(always)]
    fn starting_at(self, _: usize) -> Self {
        self
    }
    #[inline(always)]
    fn bounded(self, _: usize) -> Self {
        self
    }
}

/// Set `prior[k] + v`, or `prior[k] - v` when `subtract`. The sign is a value, not a type
/// parameter: the slice cores are then compiled once for both signs (the choice is a select
/// inside the vectorized loop; `benches/RESULTS-build.md`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct AddedTo<'p, T> {
    pub(crate) prior: &'p [T],
    pub(crate) subtract: bool,
}

impl<T: GradientFloat> Combine<T> for AddedTo<'_, T> {
    #[inline(always)]
    fn combine(&self, k: usize, v: T) -> T {
        if self.subtract {
            self.prior[k] - v
        } else {
            self.prior[k] + v
        }
    }
    #[inline(always)]
    fn starting_at(self, k: usize) -> Self {
        AddedTo {
            prior: &self.prior[k..],
            ..self
        }
    }
    #[inline(always)]
    fn bounded(self, n: usize) -> Self {
        AddedTo {
            prior: &self.prior[..n],
            ..self
        }
    }
}

/// Set the root of the sum of squares of a norm's terms, the term computed last (`v`) among
/// them: `√(v² + Σ_s parts[s][k]²)` when it is the first of the sum (`NEW_FIRST`), else
/// `√(Σ_s parts[s][k]² + v²)`, the squares added left to right in the sum's order either way
/// (so the same bits as adding them in that order after the fact). The root is taken in the
/// loop that computes `v`, while that loop's reads from memory are under way.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RootOfSquares<'p, T, const P: usize, const NEW_FIRST: bool> {
    pub(crate) parts: [&'p [T]; P],
}

impl<T: Float + GradientFloat, const P: usize, const NEW_FIRST: bool> Combine<T>
    for RootOfSquares<'_, T, P, NEW_FIRST>
{
    // Square roots: four at a time with AVX2, two with SSE2.
    const WIDE: bool = true;
    #[inline(always)]
    fn combine(&self, k: usize, v: T) -> T {
        let squares = match self.parts.split_first() {
            None => v * v,
            Some((first, rest)) if NEW_FIRST => {
                let start = v * v + first[k] * first[k];
                rest.iter().fold(start, |sum, p| sum + p[k] * p[k])
            }
            Some((first, rest)) => {
                let earlier = rest.iter().fold(first[k] * first[k], |sum, p| sum + p[k] * p[k]);
                earlier + v * v
            }
        };
        squares.sqrt()
    }
    #[inline(always)]
    fn starting_at(self, k: usize) -> Self {
        RootOfSquares {
            parts: self.parts.map(|p| &p[k..]),
        }
    }
    #[inline(always)]
    fn bounded(self, n: usize) -> Self {
        RootOfSquares {
            parts: self.parts.map(|p| &p[..n]),
        }
    }
}

/// The widest stencil the fixed-size row arrays hold (wider ones are gathered into a `Vec`); the
/// widest stencil the options make has 21 taps (`tests::widest_stencils_fit_the_unrolled_loops`).
pub(crate) const MAX_TAPS: usize = 24;

/// The weights of the taps of a stencil at a run of points.
#[derive(Clone, Copy)]
pub(crate) enum TapWeights<'w, R> {
    /// One weight per tap, shared by every point (uniform grids).
    Shared(&'w [R]),
    /// Weights of their own at every point (coordinate arrays), stored tap by tap: tap `j` at
    /// point `k` of the run has weight `w[j][from + k]`.
    PerPoint { w: &'w [Vec<R>], from: usize },
}

/// `o[k] = Σ_j w_j · row(j)[k]` over `width` rows, summed as [`first_term`] fixes, then
/// combined by `combine`. The rows are gathered into a slice first, so that the loops below
/// are compiled once per element, slot and combination rather than once per caller's closure.
#[inline(always)]
pub(crate) fn weighted_sum_of_rows<'x, A: GradientElement + 'x, S: Slot<A::Output>, C: Combine<A::Output>>(
    o: &mut [S],
    width: usize,
    row: impl Fn(usize) -> &'x [A],
    w: TapWeights<'_, A::Real>,
    combine: C,
) {
    if width <= MAX_TAPS {
        let mut rows: [&[A]; MAX_TAPS] = [&[]; MAX_TAPS];
        for (j, r) in rows[..width].iter_mut().enumerate() {
            *r = row(j);
        }
        sum_of_rows(S::as_core(o), &rows[..width], w, combine)
    } else {
        let rows: Vec<&[A]> = (0..width).map(row).collect();
        sum_of_rows(S::as_core(o), &rows, w, combine)
    }
}

/// [`weighted_sum_of_rows`] on gathered rows: the loop unrolled for the common widths (up to
/// [`UNROLLED_TAPS`] shared weights, [`UNROLLED_PER_POINT_TAPS`] per-point weights), so that
/// the loop over the taps disappears and the loop over the points is vectorized; wider
/// stencils are summed tap by tap over tiles of points ([`tiled_taps`]), the same operations
/// in the same order at every point. Each width is compiled once more than it is used, so
/// the unrolled set is what the speed tables need and no more (see `benches/RESULTS-build.md`).
fn sum_of_rows<A: GradientElement, S: Slot<A::Output>, C: Combine<A::Output>>(
    o: &mut [S],
    rows: &[&[A]],
    w: TapWeights<'_, A::Real>,
    combine: C,
) {
    let n = o.len();
    macro_rules! widths {
        ($($w:literal)*) => {
            match rows.len() {
                $($w => return crate::simd::wide(#[inline(always)] || {
                    fixed_width_taps::<$w, A, S, C>(o, std::array::from_fn(|j| &rows[j][..n]), w, combine)
                }),)*
                _ => {}
            }
        };
    }
    match w {
        TapWeights::Shared(_) if rows.len() <= UNROLLED_TAPS => widths!(1 2 3 4 5 6 7 8 9),
        TapWeights::PerPoint { .. } if rows.len() <= UNROLLED_PER_POINT_TAPS => widths!(1 2 3 4 5),
        _ => {}
    }
    crate::simd::wide(
        #[inline(always)]
        || tiled_taps(o, rows, w, combine),
    )
}

/// The widest stencil with shared weights whose loop is unrolled ([`sum_of_rows`]): accuracy 8
/// of a first derivative (9 taps).
pub(crate) const UNROLLED_TAPS: usize = 9;
/// The widest stencil with per-point weights (coordinates) whose loop is unrolled: NumPy's
/// 3-point rule and accuracy 4 (5 taps).
pub(crate) const UNROLLED_PER_POINT_TAPS: usize = 5;

/// Points summed at a time by [`tiled_taps`]: the accumulators stay in the L1 cache.
const TILE: usize = 256;

/// [`weighted_sum_of_rows`] for any width: over tiles of [`TILE`] points, the first tap into
/// an accumulator, then each further tap added to it, in tap order; the same operations in
/// the same order at each point as the unrolled loops.
#[inline(always)]
fn tiled_taps<A: GradientElement, S: Slot<A::Output>, C: Combine<A::Output>>(
    o: &mut [S],
    rows: &[&[A]],
    w: TapWeights<'_, A::Real>,
    combine: C,
) {
    let n = o.len();
    let mut acc = [A::Output::default(); TILE];
    let mut start = 0;
    while start < n {
        let m = TILE.min(n - start);
        let acc = &mut acc[..m];
        let weight = |j: usize, k: usize| match w {
            TapWeights::Shared(w) => w[j],
            TapWeights::PerPoint { w, from } => w[j][from + start + k],
        };
        for (k, (a, x)) in acc.iter_mut().zip(&rows[0][start..start + m]).enumerate() {
            *a = first_term(x.to_output(), weight(0, k));
        }
        for (j, row) in rows.iter().enumerate().skip(1) {
            for (k, (a, x)) in acc.iter_mut().zip(&row[start..start + m]).enumerate() {
                *a = add_term(*a, x.to_output(), weight(j, k));
            }
        }
        let c = combine.starting_at(start).bounded(m);
        for (k, (o, a)) in o[start..start + m].iter_mut().zip(acc.iter()).enumerate() {
            o.set(c.combine(k, *a));
        }
        start += m;
    }
}

/// [`weighted_sum_of_rows`] for exactly `W` rows.
#[inline(always)]
fn fixed_width_taps<const W: usize, A: GradientElement, S: Slot<A::Output>, C: Combine<A::Output>>(
    o: &mut [S],
    x: [&[A]; W],
    w: TapWeights<'_, A::Real>,
    combine: C,
) {
    let n = o.len();
    let x: [&[A]; W] = std::array::from_fn(|j| &x[j][..n]);
    let combine = combine.bounded(n);
    match w {
        TapWeights::Shared(w) => {
            fixed_width_terms::<W, 1, A, S, C>(o, [x], [std::array::from_fn(|j| w[j])], [false], combine)
        }
        TapWeights::PerPoint { w, from } => {
            let w: [&[A::Real]; W] = std::array::from_fn(|j| &w[j][from..from + n]);
            for (k, o) in o.iter_mut().enumerate() {
                let mut acc = first_term(x[0][k].to_output(), w[0][k]);
                for j in 1..W {
                    acc = add_term(acc, x[j][k].to_output(), w[j][k]);
                }
                o.set(combine.combine(k, acc));
            }
        }
    }
}

/// `o[k] = t_0[k] ± t_1[k] ± …` (term `s` subtracted when `subtract[s]`, the terms taken in
/// order), where `t_s[k] = Σ_j w[s][j] · x[s][j][k]` is summed as [`first_term`] fixes: `T`
/// terms of `W` taps each in one pass over the points. With one term it is the loop of every
/// weighted stencil; with several, a sum of derivatives (a Laplacian) computed without a row
/// buffer, the same bits as adding the terms' rows.
#[inline(always)]
#[allow(clippy::needless_range_loop)] // rows, weights and signs indexed in step
pub(crate) fn fixed_width_terms<
    const W: usize,
    const T: usize,
    A: GradientElement,
    S: Slot<A::Output>,
    C: Combine<A::Output>,
>(
    o: &mut [S],
    x: [[&[A]; W]; T],
    w: [[A::Real; W]; T],
    subtract: [bool; T],
    combine: C,
) {
    let n = o.len();
    let x: [[&[A]; W]; T] = std::array::from_fn(|s| std::array::from_fn(|j| &x[s][j][..n]));
    let combine = combine.bounded(n);
    for (k, o) in o.iter_mut().enumerate() {
        // Plain loops over the arrays (no closure holding them): the rows then stay in
        // registers; a closure over them made the 8-tap stencil twice as slow.
        let mut sum = first_term(x[0][0][k].to_output(), w[0][0]);
        for j in 1..W {
            sum = add_term(sum, x[0][j][k].to_output(), w[0][j]);
        }
        for s in 1..T {
            let mut term = first_term(x[s][0][k].to_output(), w[s][0]);
            for j in 1..W {
                term = add_term(term, x[s][j][k].to_output(), w[s][j]);
            }
            sum = if subtract[s] { sum - term } else { sum + term };
        }
        o.set(combine.combine(k, sum));
    }
}

/// The output planes [`weighted_sums_of_planes`] computes in one pass.
pub(crate) const JAMMED_PLANES: usize = 4;

/// Whether [`weighted_sums_of_planes`] has a loop for a stencil of these offsets: 3 or 5
/// consecutive ones (second derivatives of accuracy 2 and 4, first derivatives on coordinates),
/// or 4 consecutive but for a missing 0 (the central first derivative of accuracy 4). Each
/// loop costs about 4 KB in every build that differentiates (the downstream size of
/// `benches/RESULTS-build.md`), and wider stencils are left out: in this loop four outputs of
/// 8 taps need more registers than the processor has (accuracy 8 along axis 0 of 4000², 24.8
/// → 54 ms).
pub(crate) fn jams(offsets: &[isize]) -> bool {
    jam_gap(offsets).is_some_and(|gap| matches!((offsets.len(), gap), (3 | 5, false) | (4, true)))
}

/// `Some(false)` for consecutive offsets, `Some(true)` for consecutive ones but for a missing
/// 0 in the middle of an even number of them.
fn jam_gap(offsets: &[isize]) -> Option<bool> {
    let (&o0, w) = (offsets.first()?, offsets.len());
    let gap = w % 2 == 0 && o0 == -(w as isize / 2);
    let at = |j: usize| o0 + j as isize + isize::from(gap && j >= w / 2);
    offsets.iter().enumerate().all(|(j, &o)| o == at(j)).then_some(gap)
}

/// `outs[p][k] = Σ_j w(p)[j] · plane(p + offsets[j])[k]` for [`JAMMED_PLANES`] outputs in one
/// pass over the points, each summed as [`first_term`] fixes: the same bits as
/// [`weighted_sum_of_rows`] on each output alone. The plane walk's neighbouring output planes
/// share most of their stencils' input planes, and computing them together brings each input
/// row into the L1 cache once for all of them rather than once per output, with one register
/// per distinct input row: along axis 0 of 4000², a plain loop with accuracy-4 weights took
/// 18.1 ms one output row per pass and 12.7 ms four at a time, a copy's speed
/// (`benches/RESULTS-operators.md`). The offsets must be ones [`jams`] accepts. Compiled only
/// with AVX2 ([`crate::simd::only_wide`]): `false`, nothing computed, on a processor without.
pub(crate) fn weighted_sums_of_planes<'x, A: GradientElement + 'x, S: Slot<A::Output>>(
    outs: [&mut [S]; JAMMED_PLANES],
    offsets: &[isize],
    plane: impl Fn(isize) -> &'x [A],
    w: impl Fn(usize) -> &'x [A::Real],
) -> bool {
    let outs = outs.map(|o| S::as_core(o));
    let gap = jam_gap(offsets).expect("offsets that `jams` accepts");
    // The distinct input planes, from the first offset of output 0 on.
    let mut rows: [&[A]; MAX_JAMMED_ROWS] = [&[]; MAX_JAMMED_ROWS];
    for (m, r) in rows[..offsets.len() + usize::from(gap) + JAMMED_PLANES - 1]
        .iter_mut()
        .enumerate()
    {
        *r = plane(offsets[0] + m as isize);
    }
    macro_rules! widths {
        ($($w:literal $gap:literal),*) => {
            match (offsets.len(), gap) {
                $(($w, $gap) => {
                    let w: [[A::Real; $w]; JAMMED_PLANES] = std::array::from_fn(|p| std::array::from_fn(|j| w(p)[j]));
                    return crate::simd::only_wide(#[inline(always)] || fixed_width_outputs::<$w, $gap, _, _>(outs, &rows, w)).is_some();
                })*
                _ => unreachable!("offsets that `jams` accepts"),
            }
        };
    }
    widths!(3 false, 5 false, 4 true)
}

/// The most distinct input planes of [`weighted_sums_of_planes`]: 5 taps and the planes of the
/// other outputs.
const MAX_JAMMED_ROWS: usize = 5 + JAMMED_PLANES - 1;

/// The loop of [`weighted_sums_of_planes`] for `W` taps, consecutive or (`GAP`) missing the
/// middle one: tap `j` of output `p` reads `rows[p + j]`, or `rows[p + j + 1]` past the gap.
/// The indices are constants once the loops are unrolled, so each distinct row is one register.
#[inline(always)]
#[allow(clippy::needless_range_loop)] // outputs, rows and weights indexed in step
fn fixed_width_outputs<const W: usize, const GAP: bool, A: GradientElement, S: Slot<A::Output>>(
    outs: [&mut [S]; JAMMED_PLANES],
    rows: &[&[A]; MAX_JAMMED_ROWS],
    w: [[A::Real; W]; JAMMED_PLANES],
) {
    let n = outs[0].len();
    let outs = outs.map(|o| &mut o[..n]);
    // Every tap's row cut to the outputs' length (no bounds checks in the loop); the taps of
    // different outputs that read one row are the same slice, one register.
    let at = |p: usize, j: usize| p + j + usize::from(GAP && j >= W / 2);
    let x: [[&[A]; W]; JAMMED_PLANES] = std::array::from_fn(|p| std::array::from_fn(|j| &rows[at(p, j)][..n]));
    for k in 0..n {
        for p in 0..JAMMED_PLANES {
            let mut sum = first_term(x[p][0][k].to_output(), w[p][0]);
            for j in 1..W {
                sum = add_term(sum, x[p][j][k].to_output(), w[p][j]);
            }
            outs[p][k].set(sum);
        }
    }
}

/// `f[at + off..][..n]`.
#[inline(always)]
pub(crate) fn shifted<A>(f: &[A], at: usize, off: isize, n: usize) -> &[A] {
    let s = (at as isize + off) as usize;
    &f[s..s + n]
}

/// `o[k]` is the weighted stencil of point `at + k` of a lane `f`: tap `j` reads
/// `f[at + k + offsets[j]]`.
pub(crate) fn stencil_on_slice<A: GradientElement, S: Slot<A::Output>, C: Combine<A::Output>>(
    o: &mut [S],
    f: &[A],
    at: usize,
    offsets: &[isize],
    w: TapWeights<'_, A::Real>,
    combine: C,
) {
    let n = o.len();
    if n == 0 {
        return;
    }
    weighted_sum_of_rows(o, offsets.len(), |j| shifted(f, at, offsets[j], n), w, combine)
}

/// `o[k] = difference(f[at + k - 1], f[at + k + 1], q)`: NumPy's uniform interior on a slice.
pub(crate) fn difference_on_slice<A, S, Q, C>(f: &[A], o: &mut [S], at: usize, q: Q, combine: C)
where
    A: GradientElement,
    S: Slot<A::Output>,
    Q: Quotient<A::Output>,
    C: Combine<A::Output>,
{
    let m = o.len();
    if m == 0 {
        return;
    }
    difference_of_rows(o, &f[at - 1..at - 1 + m], &f[at + 1..at + 1 + m], q, combine)
}

/// `o[k] = difference(lo[k], hi[k], q)`: NumPy's difference quotient of two rows.
#[inline(always)]
pub(crate) fn difference_of_rows<A, S, Q, C>(o: &mut [S], lo: &[A], hi: &[A], q: Q, combine: C)
where
    A: GradientElement,
    S: Slot<A::Output>,
    Q: Quotient<A::Output>,
    C: Combine<A::Output>,
{
    let m = o.len();
    let (lo, hi) = (&lo[..m], &hi[..m]);
    let combine = combine.bounded(m);
    if C::WIDE {
        return crate::simd::wide(
            #[inline(always)]
            || difference_loop(o, lo, hi, q, combine),
        );
    }
    difference_loop(o, lo, hi, q, combine)
}

#[inline(always)]
fn difference_loop<A, S, Q, C>(o: &mut [S], lo: &[A], hi: &[A], q: Q, combine: C)
where
    A: GradientElement,
    S: Slot<A::Output>,
    Q: Quotient<A::Output>,
    C: Combine<A::Output>,
{
    for (k, (o, (lo, hi))) in o.iter_mut().zip(lo.iter().zip(hi)).enumerate() {
        o.set(combine.combine(k, difference(lo.to_output(), hi.to_output(), q)));
    }
}

/// `o[k] = difference(difference(below[0][k], below[1][k], inner), difference(above[0][k],
/// above[1][k], inner), outer)`: a central difference of two central differences, the mixed
/// partial of two of NumPy's uniform interiors at a run of points, from the four samples it
/// reads. The inner differences are the values the composition would have stored (rounded the
/// same way), so the bits are those of taking the two derivatives one after the other.
pub(crate) fn difference_of_differences<A, S, Qi, Qo>(
    o: &mut [S],
    below: [&[A]; 2],
    above: [&[A]; 2],
    inner: Qi,
    outer: Qo,
) where
    A: GradientElement,
    S: Slot<A::Output>,
    Qi: Quotient<A::Output>,
    Qo: Quotient<A::Output>,
{
    let o = S::as_core(o);
    crate::simd::wide(
        #[inline(always)]
        || differences_loop(o, below, above, inner, outer),
    )
}

#[inline(always)]
fn differences_loop<A, S, Qi, Qo>(o: &mut [S], below: [&[A]; 2], above: [&[A]; 2], inner: Qi, outer: Qo)
where
    A: GradientElement,
    S: Slot<A::Output>,
    Qi: Quotient<A::Output>,
    Qo: Quotient<A::Output>,
{
    let m = o.len();
    let ([bl, bh], [al, ah]) = (below, above);
    // Sliced to the output's length, so that the loop runs without bounds checks.
    let (bl, bh, al, ah) = (&bl[..m], &bh[..m], &al[..m], &ah[..m]);
    for (k, o) in o.iter_mut().enumerate() {
        let lo = difference(bl[k].to_output(), bh[k].to_output(), inner);
        let hi = difference(al[k].to_output(), ah[k].to_output(), inner);
        o.set(difference(lo, hi, outer));
    }
}

/// `o[k] = √(Σ_s p_s[k]²)` where `p_s = parts[s * piece..][..o.len()]` for `s < count`: the
/// norm of `count` terms' values, the squares added in order of `s` (as [`RootOfSquares`] does
/// for up to three terms, the last computed in the loop; this is for more).
pub(crate) fn norm_of_parts<T: Float, S: Slot<T>>(o: &mut [S], parts: &[T], piece: usize, count: usize) {
    let m = o.len();
    let part = |s: usize| &parts[s * piece..][..m];
    for (k, o) in o.iter_mut().enumerate() {
        let squares = (1..count).fold(part(0)[k] * part(0)[k], |sum, s| sum + part(s)[k] * part(s)[k]);
        o.set(squares.sqrt());
    }
}
