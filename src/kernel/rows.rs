//! The row engine ([`Walk::Rows`](super::Walk::Rows)): sums of derivative terms, or their norm,
//! on arrays that are contiguous in one memory order, one or several outputs in one walk over
//! the rows.
//!
//! The rows are the lanes along the innermost axis, visited in memory order. The input rows a
//! point needs are read while they are in cache, so the input is read from memory about once
//! whatever the number of terms and outputs, and every output is written front to back (a
//! fresh output's pages are faulted in, zeroed by the system, just before they are written).
//!
//! For each run of rows ([`compute_rows`]) every sum is computed either in one loop over its
//! points ([`sum_in_one_loop`]: 2 or 3 terms of one width, at most [`ONE_LOOP_ROWS`] shifted
//! rows in all, no buffer), or term by term through row buffers ([`sum_through_buffers`]),
//! each term by the same formulas as a single-axis call ([`term_on_rows`]). A norm
//! ([`norm_of_run`]) takes pieces that fit in the L1 cache: every term but the last into a
//! buffer, the last into the output, squares added and the root taken in its loop. Every point
//! is computed by the same formulas whatever the path, the run or the block, so the bits never
//! change.

use num_traits::{Float, Zero};

use super::lanes::{lanes_end_to_end, one_lane};
use super::route::{LANES_OF_A_RUN_BELOW, NORM_PIECE_POINTS, ONE_LOOP_ROWS, ONE_LOOP_TAPS, RUN_POINTS};
use super::split::for_each_block;
use super::taps::{
    AddedTo, AsComputed, Combine, MAX_TAPS, RootOfSquares, Slot, TapWeights, difference_of_rows, fixed_width_terms,
    norm_of_parts, weighted_sum_of_rows,
};
use crate::element::{GradientElement, GradientFloat};
use crate::stencil::{AxisStencil, Interior, Rule, weighted_sum};

/// One term of a sum of derivatives on arrays contiguous in C order (the axes put in memory
/// order): `f` is the input's memory, `axis` the differentiated axis.
pub(super) struct SliceTerm<'a, A, R> {
    pub(super) f: &'a [A],
    pub(super) axis: usize,
    pub(super) stencil: &'a AxisStencil<R>,
    pub(super) subtract: bool,
    /// `c`, when the term's value is `c` times its derivative ([`super::Term::scale`]).
    pub(super) scale: Option<R>,
}

/// `outs[s] = Σ sums[s]` (terms added, or subtracted, in order) on contiguous arrays in C order
/// of shape `dims`, every output in one walk over the rows in memory order, cut into `blocks`
/// runs of rows (one task each with `rayon`).
pub(super) fn sums_by_rows<A: GradientElement, S: Slot<A::Output>>(
    sums: &[Vec<SliceTerm<'_, A, A::Real>>],
    dims: &[usize],
    outs: Vec<&mut [S]>,
    blocks: usize,
) {
    by_runs(sums, dims, outs, blocks, RUN_POINTS, sum_of_run);
}

/// `out = √(Σ terms²)` (the squares added in the order of `terms`) on contiguous arrays in C
/// order of shape `dims`, in one walk over the rows, cut into `blocks` runs of rows: each term
/// computed into a buffer of at most [`NORM_PIECE_POINTS`] points, by the same formulas as a
/// single-axis call, then the buffers combined into `out` while they are in cache.
pub(super) fn norm_by_rows<A: GradientElement, S: Slot<A::Output>>(
    terms: &[Vec<SliceTerm<'_, A, A::Real>>],
    dims: &[usize],
    out: Vec<&mut [S]>,
    blocks: usize,
) where
    A::Output: Float,
{
    by_runs(terms, dims, out, blocks, NORM_PIECE_POINTS, norm_of_run);
}

/// A run of rows's scratch: two buffers of the run's size, and the multi-index of one row.
#[derive(Default)]
struct RunScratch<T> {
    cur: Vec<T>,
    nxt: Vec<T>,
    row_idx: Vec<usize>,
}

/// Runs `run(sums[s], rows, outs[s] on those rows, scratch)` for every output on every run of
/// rows (at most `run_points` points, or one row), walking the rows in memory order, cut into
/// `blocks` runs of rows (one task each with `rayon`).
fn by_runs<A: GradientElement, S: Slot<A::Output>>(
    sums: &[Vec<SliceTerm<'_, A, A::Real>>],
    dims: &[usize],
    outs: Vec<&mut [S]>,
    blocks: usize,
    run_points: usize,
    run: impl Fn(&[SliceTerm<'_, A, A::Real>], RowAt<'_>, &mut [S], &mut RunScratch<A::Output>) + Sync + Send,
) {
    let nd = dims.len();
    let total: usize = dims.iter().product();
    if nd == 0 || total == 0 {
        return;
    }
    let n = dims[nd - 1];
    let rows = total / n;
    let per_block = rows.div_ceil(blocks.clamp(1, rows));
    let mut parts: Vec<(usize, Vec<&mut [S]>)> = (0..rows.div_ceil(per_block))
        .map(|b| (b * per_block, Vec::with_capacity(outs.len())))
        .collect();
    for out in outs {
        for ((_, part), piece) in parts.iter_mut().zip(out.chunks_mut(per_block * n)) {
            part.push(piece);
        }
    }
    for_each_block(parts, RunScratch::default, |scratch, (first, mut part)| {
        let last = (first + per_block).min(rows);
        compute_rows(sums, dims, first..last, &mut part, first, run_points, scratch, &run)
    });
}

/// The rows `rows` (along the last axis, `dims` the shape) of every sum of terms, into `outs`,
/// which hold the rows from `first` on, by `run` on runs of at most `run_points` points.
///
/// Rows next to each other along the second-to-last axis are next to each other in memory, and
/// where every term along that axis has the same taps at each of them (its interior, with
/// weights shared by all points), each term reads them as shifted copies of one long row. Such
/// runs of rows are taken together, so that short rows do not each pay for a call: every point
/// is still computed by the same formula, so the bits do not change.
#[allow(clippy::too_many_arguments)]
fn compute_rows<A: GradientElement, S: Slot<A::Output>>(
    sums: &[Vec<SliceTerm<'_, A, A::Real>>],
    dims: &[usize],
    rows: std::ops::Range<usize>,
    outs: &mut [&mut [S]],
    first: usize,
    run_points: usize,
    scratch: &mut RunScratch<A::Output>,
    run: &impl Fn(&[SliceTerm<'_, A, A::Real>], RowAt<'_>, &mut [S], &mut RunScratch<A::Output>),
) {
    let nd = dims.len();
    let n = dims[nd - 1];
    if n == 0 || rows.is_empty() {
        return;
    }
    let mut strides = vec![1usize; nd];
    let mut idx = vec![0usize; nd];
    for a in (0..nd - 1).rev() {
        strides[a] = strides[a + 1] * dims[a + 1];
    }
    // The multi-index of the first row (its last entry stays 0).
    let mut rest = rows.start;
    for a in (0..nd - 1).rev() {
        idx[a] = rest % dims[a];
        rest /= dims[a];
    }
    // The positions along the second-to-last axis where runs may start and end.
    let band = if nd < 2 {
        0..0
    } else {
        sums.iter()
            .flatten()
            .filter(|t| t.axis == nd - 2)
            .fold(0..dims[nd - 2], |b, t| match t.stencil.interior {
                Interior::PerPoint { .. } => 0..0,
                _ => b.start.max(t.stencil.lo)..b.end.min(t.stencil.hi),
            })
    };
    let most = (run_points / n).max(1);
    let mut q = rows.start;
    while q < rows.end {
        let r = match nd {
            2.. if band.contains(&idx[nd - 2]) => (band.end - idx[nd - 2]).min(rows.end - q).min(most),
            _ => 1,
        };
        let at = RowAt {
            idx: &idx,
            strides: &strides,
            base: q * n,
            n,
            rows: r,
        };
        for (terms, out) in sums.iter().zip(outs.iter_mut()) {
            run(terms, at, &mut out[(q - first) * n..(q - first + r) * n], scratch);
        }
        // The next row after the run (a run never leaves its plane).
        q += r;
        if nd >= 2 {
            idx[nd - 2] += r - 1;
        }
        for a in (0..nd - 1).rev() {
            idx[a] += 1;
            if idx[a] < dims[a] {
                break;
            }
            idx[a] = 0;
        }
    }
}

/// `o = Σ terms` on the run of rows `at`: in one loop over the run's points when the terms are
/// 2 or 3 weighted stencils of one width ([`sum_in_one_loop`]); otherwise each term computed
/// by the same formulas as a single-axis call (shifted rows of the input for the other axes,
/// lanes for the last axis: [`term_on_run`]) and added in term order through the buffers, over
/// the whole run when it has no term along the last axis or its rows are shorter than
/// [`LANES_OF_A_RUN_BELOW`], else row by row.
fn sum_of_run<A: GradientElement, S: Slot<A::Output>>(
    terms: &[SliceTerm<'_, A, A::Real>],
    at: RowAt<'_>,
    o: &mut [S],
    scratch: &mut RunScratch<A::Output>,
) {
    if sum_in_one_loop(terms, at, o) {
        return;
    }
    let RunScratch { cur, nxt, row_idx } = scratch;
    for buf in [&mut *cur, &mut *nxt] {
        if buf.len() < at.len() {
            buf.resize(at.len(), A::Output::default());
        }
    }
    let nd = at.idx.len();
    if at.n < LANES_OF_A_RUN_BELOW || terms.iter().all(|t| t.axis + 1 < nd) {
        return sum_through_buffers(terms, at, o, cur, nxt);
    }
    // Longer rows one at a time, so that the buffers stay in the L1 cache.
    let n = at.n;
    for j in 0..at.rows {
        row_idx.clear();
        row_idx.extend_from_slice(at.idx);
        if j > 0 {
            row_idx[nd - 2] += j;
        }
        let row = RowAt {
            idx: row_idx,
            base: at.base + j * n,
            rows: 1,
            ..at
        };
        sum_through_buffers(terms, row, &mut o[j * n..(j + 1) * n], cur, nxt);
    }
}

/// `o = √(Σ terms²)` on the run of rows `at`, a piece of at most [`NORM_PIECE_POINTS`] points at
/// a time (a run of several rows is one piece; a longer row is cut): each term but one into its
/// part of the scratch by the same formulas as a single-axis call, then that one into `o`, its
/// square added to theirs in the terms' order and the root taken in its loop
/// ([`RootOfSquares`]). More than three terms: every term into the scratch, then
/// [`norm_of_parts`].
///
/// The term computed last is the one along the outermost axis when it is the first of the sum
/// (as in C order), else the last: the loop that reads the rows not yet in cache (the next ones
/// along the outer axis) then takes the roots and writes `o`, and the roots are computed while
/// its reads are under way.
fn norm_of_run<A: GradientElement, S: Slot<A::Output>>(
    terms: &[SliceTerm<'_, A, A::Real>],
    at: RowAt<'_>,
    o: &mut [S],
    scratch: &mut RunScratch<A::Output>,
) where
    A::Output: Float,
{
    let len = at.len();
    let piece = len.min(NORM_PIECE_POINTS);
    debug_assert!(at.rows == 1 || len <= NORM_PIECE_POINTS, "a run of rows is one piece");
    let count = terms.len();
    let buf = &mut scratch.cur;
    if buf.len() < count * piece {
        buf.resize(count * piece, A::Output::default());
    }
    let outermost = (0..count).min_by_key(|&s| terms[s].axis).unwrap_or(0);
    let new_first = count > 1 && outermost == 0;
    let last = if new_first { 0 } else { count - 1 };
    let mut from = 0;
    while from < len {
        let m = piece.min(len - from);
        let out = &mut o[from..from + m];
        if count > 3 {
            for (t, part) in terms.iter().zip(buf.chunks_mut(piece)) {
                term_on_run(t, at, from, &mut part[..m], AsComputed);
            }
            norm_of_parts(out, buf, piece, count);
        } else {
            let earlier = (0..count).filter(|&s| s != last);
            for (s, part) in earlier.zip(buf.chunks_mut(piece)) {
                term_on_run(&terms[s], at, from, &mut part[..m], AsComputed);
            }
            let part = |s: usize| &buf[s * piece..][..m];
            let t = &terms[last];
            // The earlier terms' parts, `$p` of them, the last term first of the sum or not.
            macro_rules! last_term {
                ($p:literal, $new_first:literal) => {{
                    let parts = std::array::from_fn(part);
                    term_on_run(t, at, from, out, RootOfSquares::<_, $p, $new_first> { parts })
                }};
            }
            match (count, new_first) {
                (1, _) => last_term!(0, false),
                (2, false) => last_term!(1, false),
                (2, true) => last_term!(1, true),
                (_, false) => last_term!(2, false),
                (_, true) => last_term!(2, true),
            }
        }
        from += m;
    }
}

/// Term `t` on the points `from..from + dst.len()` of the run `at`, combined by `combine`: a
/// term along the last axis of a run of several rows as lanes end to end (weights shared by
/// every point), or row by row (a lane is one row).
fn term_on_run<A: GradientElement, S: Slot<A::Output>, C: Combine<A::Output>>(
    t: &SliceTerm<'_, A, A::Real>,
    at: RowAt<'_>,
    from: usize,
    dst: &mut [S],
    combine: C,
) {
    if t.axis + 1 < at.idx.len() || at.rows == 1 {
        return term_on_rows(t, at, from, dst, combine);
    }
    debug_assert_eq!(from, 0, "a run of rows is one piece");
    if !matches!(t.stencil.interior, Interior::PerPoint { .. }) {
        return lanes_end_to_end(&t.f[at.base..at.base + at.len()], dst, t.stencil, combine);
    }
    for (j, row) in dst.chunks_mut(at.n).enumerate() {
        let row_at = RowAt {
            base: at.base + j * at.n,
            rows: 1,
            ..at
        };
        term_on_rows(t, row_at, 0, row, combine.starting_at(j * at.n));
    }
}

/// `o = Σ terms` on the rows `at`, term by term: term 0 into a row buffer, each further term
/// added onto it as it is computed (into the other buffer), the last one straight into `o`.
fn sum_through_buffers<A: GradientElement, S: Slot<A::Output>>(
    terms: &[SliceTerm<'_, A, A::Real>],
    at: RowAt<'_>,
    o: &mut [S],
    cur: &mut Vec<A::Output>,
    nxt: &mut Vec<A::Output>,
) {
    let len = at.len();
    let last = terms.len().saturating_sub(1);
    for (j, t) in terms.iter().enumerate() {
        let added = |prior| AddedTo {
            prior,
            subtract: t.subtract,
        };
        match (j == 0, j == last, t.scale) {
            (true, true, None) => term_on_run(t, at, 0, o, AsComputed),
            (true, false, None) => term_on_run(t, at, 0, &mut cur[..len], AsComputed),
            (false, true, None) => term_on_run(t, at, 0, o, added(&cur[..len])),
            (false, false, None) => term_on_run(t, at, 0, &mut nxt[..len], added(&cur[..len])),
            // A term times its coefficient: computed into a buffer, scaled and combined there
            // (`c * value`, then added to or subtracted from the sum so far, as the operator's
            // general evaluation does), so that the loops of plain terms stay as they are.
            (_, _, Some(c)) => {
                let (value, prior) = if j == 0 {
                    (&mut *cur, None)
                } else {
                    (&mut *nxt, Some(&cur[..len]))
                };
                term_on_run(t, at, 0, &mut value[..len], AsComputed);
                let combined = |k: usize, v: A::Output| match prior {
                    None => v.scale(c),
                    Some(p) if t.subtract => p[k] - v.scale(c),
                    Some(p) => p[k] + v.scale(c),
                };
                if j == last {
                    o.iter_mut()
                        .zip(&value[..len])
                        .enumerate()
                        .for_each(|(k, (o, &v))| o.set(combined(k, v)));
                } else {
                    value[..len]
                        .iter_mut()
                        .enumerate()
                        .for_each(|(k, v)| *v = combined(k, *v));
                }
            }
        }
        if j > 0 && j < last {
            std::mem::swap(cur, nxt);
        }
    }
}

/// One term's taps on one row, as shifted rows of its input: tap `j` of point `k` reads
/// `f[start[j] + k]` with weight `w[j]`. For a term along the last axis these are the taps of
/// its interior points `lo..hi`; its other points keep their own rules.
struct RowTaps<'a, A, R> {
    f: &'a [A],
    start: [isize; ONE_LOOP_TAPS],
    w: [R; ONE_LOOP_TAPS],
    width: usize,
}

/// The taps of term `t` on the row `at`, when every point of the row (every interior point,
/// along the last axis) is a weighted sum of at most [`ONE_LOOP_TAPS`] shifted rows with the
/// same weights; `None` for NumPy's differences and for weights of their own at every point
/// of the row.
fn row_taps<'a, A: GradientElement>(t: &SliceTerm<'a, A, A::Real>, at: RowAt<'_>) -> Option<RowTaps<'a, A, A::Real>> {
    let RowAt { idx, strides, base, .. } = at;
    let st = t.stencil;
    let mut taps = RowTaps {
        f: t.f,
        start: [0; ONE_LOOP_TAPS],
        w: [A::Real::zero(); ONE_LOOP_TAPS],
        width: 0,
    };
    let mut put = |offsets: &[isize], w: &dyn Fn(usize) -> A::Real, start: &dyn Fn(isize) -> isize| {
        if offsets.len() > ONE_LOOP_TAPS {
            return None;
        }
        for (j, &off) in offsets.iter().enumerate() {
            taps.start[j] = start(off);
            taps.w[j] = w(j);
        }
        taps.width = offsets.len();
        Some(())
    };
    if t.axis == idx.len() - 1 {
        let Interior::Taps { offsets, w } = &st.interior else {
            return None;
        };
        put(offsets, &|j| w[j], &|off| base as isize + off)?;
        return Some(taps);
    }
    let (i, s) = (idx[t.axis], strides[t.axis]);
    let start = |off: isize| (base - i * s + st.sample(i, off) * s) as isize;
    if (st.lo..st.hi).contains(&i) {
        match &st.interior {
            Interior::Taps { offsets, w } => put(offsets, &|j| w[j], &start)?,
            // Weights of their own at every point along the axis: the same along the row.
            Interior::PerPoint { offsets, w } => put(offsets, &|j| w[j][i - st.lo], &start)?,
            Interior::Uniform { .. } => return None,
        }
    } else {
        match st.edges.iter().find(|(p, _)| *p == i) {
            Some((_, Rule::Weighted { offsets, w })) => put(offsets, &|j| w[j], &start)?,
            _ => return None,
        }
    }
    Some(taps)
}

/// The sum of 2 or 3 terms of equal width (at most [`ONE_LOOP_ROWS`] shifted rows) on one row
/// in one loop over its points ([`fixed_width_terms`]), without the row buffers of the general
/// path; the few points at the ends of the row where a term along the last axis has edge rules
/// are summed point by point, in the same order. The same bits as the general path; `false`
/// (nothing written) when the terms are not of that kind.
fn sum_in_one_loop<A: GradientElement, S: Slot<A::Output>>(
    terms: &[SliceTerm<'_, A, A::Real>],
    at: RowAt<'_>,
    o: &mut [S],
) -> bool {
    let t = terms.len();
    let n = at.n;
    // Coefficients are applied through the row buffers.
    if terms.iter().any(|term| term.scale.is_some()) {
        return false;
    }
    let last = at.idx.len() - 1;
    if !(2..=3).contains(&t) {
        return false;
    }
    let mut taps: [Option<RowTaps<'_, A, A::Real>>; 3] = [None, None, None];
    // The points where every term along the last axis uses its interior taps.
    let mut inner = 0..n;
    for (slot, term) in taps.iter_mut().zip(terms) {
        let Some(row) = row_taps(term, at) else {
            return false;
        };
        // The ends of the row below take weighted edge rules only (the only kind next to an
        // interior of taps).
        let weighted_edges = || {
            term.stencil
                .edges
                .iter()
                .all(|(_, rule)| matches!(rule, Rule::Weighted { offsets, .. } if offsets.len() <= MAX_TAPS))
        };
        if term.axis == last && !weighted_edges() {
            return false;
        }
        if term.axis == last {
            inner = inner.start.max(term.stencil.lo)..inner.end.min(term.stencil.hi);
        }
        *slot = Some(row);
    }
    let taps: [&RowTaps<'_, A, A::Real>; 3] = std::array::from_fn(|s| taps[s.min(t - 1)].as_ref().expect("set above"));
    let width = taps[0].width;
    if inner.is_empty() || taps[..t].iter().any(|r| r.width != width) || t * width > ONE_LOOP_ROWS {
        return false;
    }
    let subtract: [bool; 3] = std::array::from_fn(|s| s < t && terms[s].subtract);
    // One loop from the first row's first inner point to the last row's last: the points
    // between rows, at the ends of rows, get a value here that is then replaced below (every
    // tap they read is still inside the run's rows).
    let (from, m) = (inner.start as isize, (at.rows - 1) * n + inner.len());
    let oi = &mut o[inner.start..inner.start + m];
    macro_rules! shapes {
        ($($t:literal $w:literal),*) => {
            match (t, width) {
                $(($t, $w) => crate::simd::wide(#[inline(always)] || {
                    let x: [[&[A]; $w]; $t] = std::array::from_fn(|s| {
                        std::array::from_fn(|j| &taps[s].f[(taps[s].start[j] + from) as usize..][..m])
                    });
                    let w: [[A::Real; $w]; $t] = std::array::from_fn(|s| std::array::from_fn(|j| taps[s].w[j]));
                    fixed_width_terms::<$w, $t, A, S, AsComputed>(oi, x, w, std::array::from_fn(|s| subtract[s]), AsComputed)
                }),)*
                _ => return false,
            }
        };
    }
    // Every shape of at most `ONE_LOOP_ROWS` rows.
    shapes!(2 2, 2 3, 2 4, 2 5, 2 6, 2 7, 2 8, 2 9, 3 2, 3 3, 3 4, 3 5, 3 6);
    // The ends of each row: each term as its own path computes it (its edge rule, or its
    // interior taps), then added in term order. The taps of an end point are found once, for
    // every row of the run: `(index in the first row, weight)`.
    let mut ends: [([usize; MAX_TAPS], [A::Real; MAX_TAPS], usize); 3] =
        [([0; MAX_TAPS], [A::Real::zero(); MAX_TAPS], 0); 3];
    for k in (0..inner.start).chain(inner.end..n) {
        for (s, (term, (at_j, w_j, width_s))) in terms.iter().zip(ends.iter_mut()).enumerate() {
            let st = term.stencil;
            let rule = (term.axis == last && !(st.lo..st.hi).contains(&k)).then(|| {
                let (_, rule) = st
                    .edges
                    .iter()
                    .find(|(p, _)| *p == k)
                    .expect("every point outside lo..hi has a rule");
                rule
            });
            match rule {
                Some(Rule::Weighted { offsets, w }) => {
                    for (j, (&off, &w)) in offsets.iter().zip(w).enumerate() {
                        at_j[j] = at.base + st.sample(k, off);
                        w_j[j] = w;
                    }
                    *width_s = offsets.len();
                }
                Some(Rule::Difference { .. }) => {
                    unreachable!("the edges of a term along the last axis are weighted here")
                }
                None => {
                    let row = taps[s];
                    for j in 0..width {
                        at_j[j] = (row.start[j] + k as isize) as usize;
                        w_j[j] = row.w[j];
                    }
                    *width_s = width;
                }
            }
        }
        for r in 0..at.rows {
            let shift = r * n;
            let term_at = |s: usize| {
                let (at_j, w_j, width_s) = &ends[s];
                weighted_sum(*width_s, |j| (terms[s].f[at_j[j] + shift].to_output(), w_j[j]))
            };
            let mut sum = term_at(0);
            for (s, &sub) in subtract.iter().enumerate().take(t).skip(1) {
                sum = if sub { sum - term_at(s) } else { sum + term_at(s) };
            }
            o[shift + k].set(sum);
        }
    }
    true
}

/// Where a run of rows sits: the multi-index of its first row, the strides, its memory offset,
/// the length of a row and the number of rows (next to each other along the second-to-last
/// axis, where every term not along the last axis reads them as one long row).
#[derive(Clone, Copy)]
struct RowAt<'a> {
    idx: &'a [usize],
    strides: &'a [usize],
    base: usize,
    n: usize,
    rows: usize,
}

impl RowAt<'_> {
    /// The points of the run.
    fn len(&self) -> usize {
        self.rows * self.n
    }
}

/// One term on the points `from..from + dst.len()` of the rows `at` into `dst`, combined by
/// `combine`.
fn term_on_rows<A: GradientElement, S: Slot<A::Output>, C: Combine<A::Output>>(
    t: &SliceTerm<'_, A, A::Real>,
    at: RowAt<'_>,
    from: usize,
    dst: &mut [S],
    combine: C,
) {
    let RowAt { idx, strides, base, .. } = at;
    let st = t.stencil;
    let a = t.axis;
    if a == idx.len() - 1 {
        debug_assert_eq!(at.rows, 1, "a lane is one row");
        return one_lane(&t.f[base..base + at.n], dst, from, st, combine);
    }
    let n = dst.len();
    let i = idx[a];
    let s = strides[a];
    // The row at position `g` along `a`, the other indices those of this row.
    let row = |g: usize| {
        let off = base - i * s + g * s + from;
        &t.f[off..off + n]
    };
    let difference_of = |dst: &mut [S], lo: &[A], hi: &[A], d: A::Real| {
        with_quotient!(A::Output, d, |q| difference_of_rows(dst, lo, hi, q, combine))
    };
    let weighted_at = |dst: &mut [S], offsets: &[isize], w: &[A::Real]| {
        let rows = |j: usize| row(st.sample(i, offsets[j]));
        weighted_sum_of_rows(dst, offsets.len(), rows, TapWeights::Shared(w), combine)
    };
    if (st.lo..st.hi).contains(&i) {
        match &st.interior {
            Interior::Uniform { two_h } => difference_of(dst, row(i - 1), row(i + 1), *two_h),
            Interior::Taps { offsets, w } => weighted_at(dst, offsets, w),
            Interior::PerPoint { offsets, w } => {
                // Point i's weights, the same along the row (on the stack up to MAX_TAPS taps).
                let (mut here, mut wider) = ([A::Real::zero(); MAX_TAPS], Vec::new());
                let here = if w.len() <= MAX_TAPS {
                    for (h, wj) in here.iter_mut().zip(w) {
                        *h = wj[i - st.lo];
                    }
                    &here[..w.len()]
                } else {
                    wider.extend(w.iter().map(|wj| wj[i - st.lo]));
                    &wider[..]
                };
                weighted_at(dst, offsets, here)
            }
        }
    } else {
        let (_, rule) = st
            .edges
            .iter()
            .find(|(p, _)| *p == i)
            .expect("every point outside lo..hi has a rule");
        match rule {
            Rule::Weighted { offsets, w } => weighted_at(dst, offsets, w),
            Rule::Difference { lo, hi, d, .. } => {
                difference_of(dst, row(st.sample(i, *lo)), row(st.sample(i, *hi)), *d)
            }
        }
    }
}
