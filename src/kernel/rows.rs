//! The row engine ([`Walk::Rows`](super::Walk::Rows)): sums of derivative terms on arrays that
//! are contiguous in one memory order, one or several outputs in one walk over the rows.
//!
//! The rows are the lanes along the innermost axis, visited in memory order. The input rows a
//! point needs are read while they are in cache, so the input is read from memory about once
//! whatever the number of terms and outputs, and every output is written front to back (a
//! fresh output's pages are faulted in, zeroed by the system, just before they are written).
//!
//! For each run of rows ([`compute_rows`]) every output is computed either in one loop over
//! its points ([`sum_in_one_loop`]: 2 or 3 terms of one width, at most [`ONE_LOOP_ROWS`]
//! shifted rows in all, no buffer), or term by term through row buffers
//! ([`sum_through_buffers`]), each term by the same formulas as a single-axis call
//! ([`term_on_rows`]). Every point is computed by the same formulas whatever
//! the path, the run or the block, so the bits never change.

use num_traits::Zero;

use super::lanes::one_lane;
use super::route::{ONE_LOOP_ROWS, ONE_LOOP_TAPS, RUN_POINTS};
use super::split::for_each_block;
use super::taps::{
    AddedTo, AsComputed, Combine, MAX_TAPS, Slot, TapWeights, difference_of_rows, fixed_width_terms,
    weighted_sum_of_rows,
};
use crate::element::GradientElement;
use crate::stencil::{AxisStencil, Interior, Rule, weighted_sum};

/// One term of a sum of derivatives on arrays contiguous in C order (the axes put in memory
/// order): `f` is the input's memory, `axis` the differentiated axis.
pub(super) struct SliceTerm<'a, A, R> {
    pub(super) f: &'a [A],
    pub(super) axis: usize,
    pub(super) stencil: &'a AxisStencil<R>,
    pub(super) subtract: bool,
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
    for_each_block(
        parts,
        || (Vec::new(), Vec::new()),
        |bufs, (first, mut part)| {
            let last = (first + per_block).min(rows);
            compute_rows(sums, dims, first..last, &mut part, first, bufs)
        },
    );
}

/// The rows `rows` (along the last axis, `dims` the shape) of every sum of terms, into `outs`,
/// which hold the rows from `first` on: in one loop over the row's points when the terms are
/// 2 or 3 weighted stencils of one width ([`sum_in_one_loop`]); otherwise each term computed
/// into a row buffer by the same formulas as a single-axis call (shifted rows of the input for
/// the other axes, the lane itself for the last axis), then added in term order.
///
/// Rows next to each other along the second-to-last axis are next to each other in memory, and
/// where every term along that axis has the same taps at each of them (its interior, with
/// weights shared by all points), each term reads them as shifted copies of one long row. Such
/// runs of rows are taken together, so that short rows do not each pay for a call: every point
/// is still computed by the same formula, so the bits do not change.
fn compute_rows<A: GradientElement, S: Slot<A::Output>>(
    sums: &[Vec<SliceTerm<'_, A, A::Real>>],
    dims: &[usize],
    rows: std::ops::Range<usize>,
    outs: &mut [&mut [S]],
    first: usize,
    bufs: &mut (Vec<A::Output>, Vec<A::Output>),
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
    let most = (RUN_POINTS / n).max(1);
    let mut row_idx = idx.clone();
    let (cur, nxt) = bufs;
    cur.resize(n * most, A::Output::default());
    nxt.resize(n * most, A::Output::default());
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
            let o = &mut out[(q - first) * n..(q - first + r) * n];
            if sum_in_one_loop(terms, at, o) {
                continue;
            }
            if terms.iter().all(|t| t.axis + 1 < nd) {
                // No lane along the last axis: the run is one long row for every term.
                sum_through_buffers(terms, at, o, cur, nxt);
                continue;
            }
            for j in 0..r {
                row_idx.copy_from_slice(&idx);
                if j > 0 {
                    row_idx[nd - 2] += j;
                }
                let row = RowAt {
                    idx: &row_idx,
                    base: (q + j) * n,
                    rows: 1,
                    ..at
                };
                sum_through_buffers(terms, row, &mut o[j * n..(j + 1) * n], cur, nxt);
            }
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
        match (j == 0, j == last) {
            (true, true) => term_on_rows(t, at, o, AsComputed),
            (true, false) => term_on_rows(t, at, &mut cur[..len], AsComputed),
            (false, true) => term_on_rows(t, at, o, added(&cur[..len])),
            (false, false) => term_on_rows(t, at, &mut nxt[..len], added(&cur[..len])),
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

/// One term on the rows `at` into `dst`, combined by `combine`.
fn term_on_rows<A: GradientElement, S: Slot<A::Output>, C: Combine<A::Output>>(
    t: &SliceTerm<'_, A, A::Real>,
    at: RowAt<'_>,
    dst: &mut [S],
    combine: C,
) {
    let RowAt { idx, strides, base, .. } = at;
    let st = t.stencil;
    let a = t.axis;
    if a == idx.len() - 1 {
        debug_assert_eq!(at.rows, 1, "a lane is one row");
        return one_lane(&t.f[base..base + at.n], dst, 0, st, combine);
    }
    let n = at.len();
    let i = idx[a];
    let s = strides[a];
    // The row at position `g` along `a`, the other indices those of this row.
    let row = |g: usize| {
        let off = base - i * s + g * s;
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
