//! The sparse matrix of an [`Operator`] on a grid (feature `sparse`): findiff's
//! `op.matrix(shape)`, as a faer [`SparseRowMat`] (for faer's sparse LU and Cholesky solvers,
//! implicit time steppers and eigenproblems).
//!
//! Row `i` holds the weights that [`Operator::apply`] gives sample `j` in output point `i`,
//! points numbered in C order (`f.iter()`'s order, NumPy's `f.reshape(-1)`): each derivative
//! step's weights are the stencil's own ([`AxisStencil::rule_at`], the rules `apply` runs),
//! a product's entries the products of its steps' weights, a sum's the sums of its terms'. The
//! pattern is the stencil's: one entry per sample a point reads (a weight the stencil leaves
//! out, as findiff's zero centre of an odd derivative, is no entry), entries of one row sorted
//! by column.
//!
//! Each row is built on its own from the steps of every term, right to left as a row vector
//! times each step's matrix (a sparse accumulator the size of the grid, reused row to row):
//! no matrix of a step, and no sparse product of matrices, is ever formed.
//!
//! Why faer and not `sprs`: the boundary-value solves ([`Operator::solve`]) need a sparse LU of
//! a general square matrix (a Neumann row, a first derivative or a periodic axis makes the
//! system unsymmetric), and faer has one in Rust, with its Cholesky and condition estimate.
//! `sprs` stores the same compressed rows, but its factorizations are an LDLᵀ for symmetric
//! matrices (`sprs-ldl`) and bindings to SuiteSparse, a system library that a fresh machine
//! would have to install. A `sprs` user can build a `CsMat` from the same compressed rows
//! (row pointers, column indices and values).

use faer::sparse::{SparseRowMat, SymbolicSparseRowMat};
use num_traits::Float;

use std::ops::Range;

use crate::error::GradientError;
use crate::kernel::{route, split};
use crate::operator::{Operator, Step, stencil_of};
use crate::options::GradientOptions;
use crate::stencil::{AxisStencil, Rule};

/// The samples each point of one axis reads and their weights: `taps[p]` is `(sample, weight)`
/// for point `p`, wrapped on a periodic axis.
fn axis_taps<R: Float>(st: &AxisStencil<R>) -> Vec<Vec<(usize, R)>> {
    (0..st.len)
        .map(|p| match st.rule_at(p) {
            // `(f[hi] - f[lo]) / d`: the weights `±1 / d`.
            Rule::Difference { lo, hi, d, .. } => {
                let r = R::one() / d;
                vec![(st.sample(p, lo), -r), (st.sample(p, hi), r)]
            }
            Rule::Weighted { offsets, w } => offsets.iter().zip(w).map(|(&o, w)| (st.sample(p, o), w)).collect(),
        })
        .collect()
}

/// A sparse vector being summed into: values by index, and the indices touched.
struct Accumulator<R> {
    value: Vec<R>,
    seen: Vec<bool>,
    touched: Vec<usize>,
}

impl<R: Float> Accumulator<R> {
    fn new(n: usize) -> Self {
        Accumulator {
            value: vec![R::zero(); n],
            seen: vec![false; n],
            touched: Vec::new(),
        }
    }

    fn add(&mut self, i: usize, v: R) {
        if self.seen[i] {
            self.value[i] = self.value[i] + v;
        } else {
            self.seen[i] = true;
            self.value[i] = v;
            self.touched.push(i);
        }
    }

    /// The entries, by increasing index, into `out` (emptied first); the accumulator is left
    /// empty.
    fn drain_into(&mut self, out: &mut Vec<(usize, R)>) {
        out.clear();
        self.touched.sort_unstable();
        for &i in &self.touched {
            out.push((i, self.value[i]));
            self.seen[i] = false;
        }
        self.touched.clear();
    }
}

/// One step of a term, ready to multiply a row vector by.
enum RowStep<R> {
    Derivative { taps: Vec<Vec<(usize, R)>>, stride: usize },
    Scalar(R),
    Field(Vec<R>),
}

impl<R: Float> Operator<'_, R> {
    /// The matrix of the operator on a grid of `shape` with `opts`: `N × N` for the
    /// `N = shape.iter().product()` points in C order, whose product with `f` flattened in C
    /// order is [`apply`](Self::apply)`(f)` up to the rounding of the summation order (the
    /// matrix's entries are products of weights, rounded once; `apply` sums each step in turn).
    /// findiff's `op.matrix(shape)`.
    ///
    /// Row `i` holds the weights `apply` gives each sample in output point `i`: each derivative
    /// step's are its stencil's own, a product's entries the products of its steps' weights, a
    /// sum's the sums of its terms'. The pattern is the stencil's (one entry per sample a point
    /// reads; a weight the stencil leaves out, as the zero centre of an odd derivative, is no
    /// entry; nor is an entry whose terms cancel exactly, as a Laplacian's centre at an edge
    /// where the one-sided and centred weights sum to zero: SciPy's sum of matrices, and so
    /// findiff's, drops those too), the entries of a row sorted by column. Building it never forms a matrix per step:
    /// each row is the unit row vector times the steps, right to left.
    ///
    /// # Errors
    ///
    /// As [`apply`](Self::apply) on an array of that shape;
    /// [`GradientError::MatrixTooLarge`] when the grid has more points than a matrix can index.
    ///
    /// # Example
    ///
    /// ```
    /// use ndarray::{Array2, Axis};
    /// use ndarray_gradient::{GradientOptions, Operator};
    ///
    /// // findiff: (Diff(0)**2 + Diff(1)**2).matrix((4, 5)), the 2-D Laplacian's matrix.
    /// let lap = Operator::<f64>::derivative(Axis(0), 2) + Operator::derivative(Axis(1), 2);
    /// let opts = GradientOptions::new().accuracy(2);
    /// let m = lap.matrix(&[4, 5], &opts).unwrap();
    /// assert_eq!((m.nrows(), m.ncols()), (20, 20));
    /// // An interior point (1, 2) = row 7: the five-point stencil.
    /// let row: Vec<(usize, f64)> = m.col_idx_of_row(7).zip(m.val_of_row(7).iter().copied()).collect();
    /// assert_eq!(row, vec![(2, 1.0), (6, 1.0), (7, -4.0), (8, 1.0), (12, 1.0)]);
    ///
    /// // The matrix times f is the operator applied to f.
    /// let f = Array2::from_shape_fn((4, 5), |(i, j)| (i * i + j * j * j) as f64);
    /// let g = lap.apply(&f, &opts).unwrap();
    /// for (i, gi) in g.iter().enumerate() {
    ///     let mf: f64 = m.col_idx_of_row(i).zip(m.val_of_row(i)).map(|(j, w)| w * f.as_slice().unwrap()[j]).sum();
    ///     assert!((mf - gi).abs() < 1e-12);
    /// }
    /// ```
    pub fn matrix(
        &self,
        shape: &[usize],
        opts: &GradientOptions<'_, R>,
    ) -> Result<SparseRowMat<usize, R>, GradientError>
    where
        R: Send + Sync,
    {
        let rows = MatrixRows::new(self, shape, opts)?;
        let n = rows.len();
        let (block, parallel) = route::matrix_blocks(n, crate::parallel::threshold());
        let blocks: Vec<Range<usize>> = (0..n).step_by(block).map(|s| s..(s + block).min(n)).collect();
        let mut parts: Vec<Option<RowBlock<R>>> = blocks.iter().map(|_| None).collect();
        let jobs: Vec<_> = blocks.into_iter().zip(parts.iter_mut()).collect();
        split::for_each_outer_block(
            parallel,
            jobs,
            || rows.scratch(),
            |scratch, (range, part)| *part = Some(rows.block(range, scratch)),
        );
        let parts: Vec<RowBlock<R>> = parts.into_iter().flatten().collect();
        let entries = parts.iter().map(|p| p.col_idx.len()).sum();
        let mut row_ptr = Vec::with_capacity(n + 1);
        let mut col_idx = Vec::with_capacity(entries);
        let mut values = Vec::with_capacity(entries);
        row_ptr.push(0);
        for part in parts {
            let base = col_idx.len();
            row_ptr.extend(part.row_end.iter().map(|&e| base + e));
            col_idx.extend(part.col_idx);
            values.extend(part.values);
        }
        let symbolic = SymbolicSparseRowMat::new_checked(n, n, row_ptr, None, col_idx);
        Ok(SparseRowMat::new(symbolic, values))
    }
}

/// Consecutive rows of a matrix: where each row ends in `col_idx` (counted from the block's
/// first entry), and the entries.
pub(crate) struct RowBlock<R> {
    row_end: Vec<usize>,
    col_idx: Vec<usize>,
    values: Vec<R>,
}

/// The scratch of building rows: the accumulators (the grid's size) and two sparse vectors.
pub(crate) struct RowScratch<R> {
    step_sum: Accumulator<R>,
    row_sum: Accumulator<R>,
    v: Vec<(usize, R)>,
    next: Vec<(usize, R)>,
    row: Vec<(usize, R)>,
}

/// The rows of an operator's matrix on a grid, one at a time, in any order (the matrix, and
/// the rows a boundary condition puts into a system, are built from these).
pub(crate) struct MatrixRows<R> {
    n: usize,
    /// Each term: whether it is subtracted, and its steps outermost first.
    terms: Vec<(bool, Vec<RowStep<R>>)>,
}

impl<R: Float> MatrixRows<R> {
    /// The rows of `op` on a grid of `shape`: refused as [`Operator::matrix`] refuses.
    pub(crate) fn new(
        op: &Operator<'_, R>,
        shape: &[usize],
        opts: &GradientOptions<'_, R>,
    ) -> Result<Self, GradientError> {
        let stencils = op.plan(shape, opts)?;
        let n = shape
            .iter()
            .try_fold(1usize, |acc, &k| acc.checked_mul(k))
            .filter(|&n| n <= isize::MAX as usize / 64)
            .ok_or_else(|| GradientError::MatrixTooLarge { shape: shape.to_vec() })?;
        let strides: Vec<usize> = (0..shape.len()).map(|k| shape[k + 1..].iter().product()).collect();
        let terms = op
            .terms
            .iter()
            .map(|term| {
                let steps = term
                    .steps
                    .iter()
                    .map(|step| match step {
                        Step::Derivative { axis, order } => RowStep::Derivative {
                            taps: axis_taps(stencil_of(&stencils, *axis, *order)),
                            stride: strides[axis.index()],
                        },
                        Step::Scalar(c) => RowStep::Scalar(*c),
                        Step::Field(c) => RowStep::Field(c.iter().copied().collect()),
                    })
                    .collect();
                (term.subtract, steps)
            })
            .collect();
        Ok(MatrixRows { n, terms })
    }

    /// The number of points of the grid (rows and columns of the matrix).
    pub(crate) fn len(&self) -> usize {
        self.n
    }

    /// Scratch for [`row`](Self::row) and [`block`](Self::block), reusable for any rows.
    pub(crate) fn scratch(&self) -> RowScratch<R> {
        RowScratch {
            step_sum: Accumulator::new(self.n),
            row_sum: Accumulator::new(self.n),
            v: Vec::new(),
            next: Vec::new(),
            row: Vec::new(),
        }
    }

    /// The rows `rows`, one after the other.
    fn block(&self, rows: Range<usize>, scratch: &mut RowScratch<R>) -> RowBlock<R> {
        let mut part = RowBlock {
            row_end: Vec::with_capacity(rows.len()),
            col_idx: Vec::new(),
            values: Vec::new(),
        };
        let mut row = std::mem::take(&mut scratch.row);
        for r in rows {
            self.row(r, scratch, &mut row);
            part.col_idx.extend(row.iter().map(|&(j, _)| j));
            part.values.extend(row.iter().map(|&(_, w)| w));
            part.row_end.push(part.col_idx.len());
        }
        scratch.row = row;
        part
    }

    /// Row `r`, `(column, weight)` by increasing column, into `out` (emptied first).
    pub(crate) fn row(&self, r: usize, scratch: &mut RowScratch<R>, out: &mut Vec<(usize, R)>) {
        let RowScratch {
            step_sum,
            row_sum,
            v,
            next,
            ..
        } = scratch;
        for (subtract, steps) in &self.terms {
            // Row r of the term: e_r times each step's matrix, outermost first.
            v.clear();
            v.push((r, R::one()));
            for step in steps {
                match step {
                    RowStep::Derivative { taps, stride } => {
                        let len = taps.len();
                        for &(j, vj) in v.iter() {
                            let p = (j / stride) % len;
                            for &(q, w) in &taps[p] {
                                step_sum.add(j - p * stride + q * stride, vj * w);
                            }
                        }
                        step_sum.drain_into(next);
                        std::mem::swap(v, next);
                    }
                    RowStep::Scalar(c) => v.iter_mut().for_each(|(_, vj)| *vj = *vj * *c),
                    RowStep::Field(c) => v.iter_mut().for_each(|(j, vj)| *vj = *vj * c[*j]),
                }
            }
            for &(j, vj) in v.iter() {
                row_sum.add(j, if *subtract { -vj } else { vj });
            }
        }
        row_sum.drain_into(out);
        // An entry whose terms cancel exactly is no entry (as SciPy adds sparse matrices).
        out.retain(|(_, w)| *w != R::zero());
    }
}
