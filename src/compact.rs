//! Compact (Padé, implicit) finite differences along one axis: findiff's `CompactScheme`.
//!
//! A compact scheme couples the derivatives of neighbouring points,
//! `Σₖ αₖ f⁽ᵐ⁾[i+k] = Σⱼ cⱼ f[i+j] / hᵐ`, so each lane along the axis is a banded linear system
//! (tridiagonal for three left-hand points). For the same stencil width it is several orders
//! more accurate than an explicit stencil and resolves much shorter waves (Lele, J. Comput.
//! Phys. 103, 1992).
//!
//! [`CompactScheme::new`] solves for the weights in exact rational arithmetic, near the ends
//! too (one-sided rows of the interior accuracy, Visbal and Gaitonde, as findiff builds them).
//! [`CompactScheme::apply`] computes the right-hand side with the crate's stencil kernels and
//! solves every lane with one factorisation of the left-hand matrix, which depends only on
//! the axis length: the walk is [`kernel::compact`](crate::kernel::compact). On a periodic
//! axis the matrix is cyclic, solved through the Sherman–Morrison–Woodbury formula.
//!
//! Every lane is solved with the same operations in the same order, so the result is the same
//! bits whatever the memory layout, the tiles or the number of threads.

use ndarray::{Array, ArrayRef, Axis, Dimension};
use num_traits::Float;

use crate::coefficients::{CompactRows, Stencil, compact_rows};
use crate::element::GradientElement;
use crate::error::GradientError;
use crate::options::{Boundary, GradientOptions, Spacing};
use crate::stencil::{AxisStencil, Interior, Rule};

/// The most left-hand points a compact scheme may have (a pentadiagonal left-hand side).
///
/// findiff builds wider ones (`compact=7` and up); [`CompactScheme::new`] refuses them.
///
/// ```
/// use ndarray_gradient::{CompactScheme, GradientError, MAX_COMPACT_LHS_POINTS};
///
/// // findiff: CompactScheme.from_accuracy(4, 1, 5), the scheme of Diff(0, h, acc=4, compact=5)
/// let s = CompactScheme::new(1, 4, MAX_COMPACT_LHS_POINTS).unwrap();
/// let (a, b) = (17.0 / 57.0, -1.0 / 114.0); // Lele's pentadiagonal sixth-order scheme
/// assert_eq!(s.lhs().weights, vec![b, a, 1.0, a, b]);
/// assert_eq!(s.accuracy(), 6); // findiff's get_accuracy(1)
/// // findiff: Diff(0, h, acc=4, compact=7) is a heptadiagonal scheme; here an error.
/// let wider = CompactScheme::new(1, 4, MAX_COMPACT_LHS_POINTS + 2);
/// let expected = GradientError::InvalidCompactScheme { derivative: 1, accuracy: 4, lhs_points: 7 };
/// assert_eq!(wider, Err(expected));
/// ```
pub const MAX_COMPACT_LHS_POINTS: usize = 5;

/// The highest accuracy order a compact scheme may ask for.
///
/// findiff goes on (`CompactScheme.from_accuracy(12, 1, 3)` has an 11-point right-hand side);
/// [`CompactScheme::new`] refuses a higher order.
///
/// ```
/// use ndarray_gradient::{CompactScheme, GradientError, MAX_COMPACT_ACCURACY};
///
/// // findiff: CompactScheme.from_accuracy(10, 1, 3), the scheme of Diff(0, h, acc=10, compact=3)
/// let s = CompactScheme::new(1, MAX_COMPACT_ACCURACY, 3).unwrap();
/// assert_eq!(s.lhs().weights, vec![0.4, 1.0, 0.4]);
/// assert_eq!(s.rhs().offsets, (-4..=4).collect::<Vec<_>>());
/// // findiff: Diff(0, h, acc=12, compact=3); here an error.
/// let higher = CompactScheme::new(1, MAX_COMPACT_ACCURACY + 2, 3);
/// let expected = GradientError::InvalidCompactScheme { derivative: 1, accuracy: 12, lhs_points: 3 };
/// assert_eq!(higher, Err(expected));
/// ```
pub const MAX_COMPACT_ACCURACY: usize = 10;

/// A compact finite-difference scheme for the first or second derivative: findiff's
/// `CompactScheme.from_accuracy(acc, deriv, num_left)`, the scheme of `Diff(axis, h, acc=…,
/// compact=…)`.
///
/// Its weights are exact rationals rounded once to `f64`. The interior schemes are Lele's:
/// with three left-hand points, `¼ f′ᵢ₋₁ + f′ᵢ + ¼ f′ᵢ₊₁ = ¾ (fᵢ₊₁ − fᵢ₋₁) / h` at accuracy 4,
/// `⅓, 1, ⅓` with a five-point right-hand side at accuracy 6.
///
/// # Example
///
/// ```
/// use ndarray::{Array1, Axis};
/// use ndarray_gradient::{CompactScheme, GradientOptions};
///
/// // findiff: CompactScheme.from_accuracy(4, 1, 3)
/// let scheme = CompactScheme::new(1, 4, 3).unwrap();
/// assert_eq!(scheme.lhs().weights, vec![0.25, 1.0, 0.25]);
/// assert_eq!(scheme.rhs().weights, vec![-0.75, 0.0, 0.75]);
/// assert_eq!(scheme.accuracy(), 4);
///
/// // findiff: Diff(0, h, acc=4, compact=3)(f)
/// let h = 0.05;
/// let f = Array1::from_shape_fn(64, |i| (i as f64 * h).sin());
/// let df = scheme.apply(&f, Axis(0), &GradientOptions::new().spacing(h)).unwrap();
/// for (i, d) in df.iter().enumerate() {
///     assert!((d - (i as f64 * h).cos()).abs() < 2e-6);
/// }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CompactScheme {
    derivative: usize,
    rows: CompactRows,
    lhs: Stencil,
    rhs: Stencil,
}

impl CompactScheme {
    /// The compact scheme for the `derivative`-th derivative (1 or 2) with `lhs_points`
    /// left-hand points (3: tridiagonal, 5: pentadiagonal) and the narrowest centred
    /// right-hand side that reaches accuracy order `accuracy` (findiff's
    /// `CompactScheme.from_accuracy(accuracy, derivative, lhs_points)`; for the second
    /// derivative, findiff's `Diff(…, acc=p, compact=L)**2`). The scheme may be more
    /// accurate than asked: [`accuracy`](Self::accuracy) says how accurate it is.
    ///
    /// # Errors
    ///
    /// [`GradientError::InvalidCompactScheme`] unless `derivative` is 1 or 2, `lhs_points`
    /// is 3 or 5, and `accuracy` is even, from 2 to [`MAX_COMPACT_ACCURACY`].
    ///
    /// ```
    /// use ndarray_gradient::CompactScheme;
    ///
    /// // Lele's sixth-order tridiagonal scheme: ⅓, 1, ⅓ = (14/9 δ₁ + 1/9 δ₂)
    /// // findiff: CompactScheme.from_accuracy(6, 1, 3) (its weights agree to rounding)
    /// let s = CompactScheme::new(1, 6, 3).unwrap();
    /// assert_eq!(s.lhs().weights, vec![1.0 / 3.0, 1.0, 1.0 / 3.0]);
    /// assert_eq!(s.rhs().offsets, vec![-2, -1, 0, 1, 2]);
    /// assert_eq!(s.rhs().weights, vec![-1.0 / 36.0, -7.0 / 9.0, 0.0, 7.0 / 9.0, 1.0 / 36.0]);
    ///
    /// // The fourth-order second derivative: 1/10, 1, 1/10 = 6/5 (f₊ − 2f + f₋)
    /// // findiff: CompactScheme.from_accuracy(4, 1, 3).for_deriv(2), Diff(0, h, acc=4, compact=3)**2
    /// let s = CompactScheme::new(2, 4, 3).unwrap();
    /// assert_eq!(s.lhs().weights, vec![0.1, 1.0, 0.1]);
    /// assert_eq!(s.rhs().weights, vec![1.2, -2.4, 1.2]);
    /// ```
    pub fn new(derivative: usize, accuracy: usize, lhs_points: usize) -> Result<Self, GradientError> {
        let invalid = GradientError::InvalidCompactScheme {
            derivative,
            accuracy,
            lhs_points,
        };
        if !(1..=2).contains(&derivative)
            || !(3..=MAX_COMPACT_LHS_POINTS).contains(&lhs_points)
            || lhs_points.is_multiple_of(2)
            || !(2..=MAX_COMPACT_ACCURACY).contains(&accuracy)
            || !accuracy.is_multiple_of(2)
        {
            return Err(invalid);
        }
        let rows = compact_rows(derivative, accuracy, lhs_points / 2).ok_or(invalid)?;
        let stencil = |offsets: &[isize], weights: &[f64]| Stencil {
            offsets: offsets.to_vec(),
            weights: weights.to_vec(),
            accuracy: rows.interior.accuracy,
        };
        Ok(CompactScheme {
            derivative,
            lhs: stencil(&rows.interior.lhs_offsets, &rows.interior.lhs),
            rhs: stencil(&rows.interior.rhs_offsets, &rows.interior.rhs),
            rows,
        })
    }

    /// The derivative order.
    ///
    /// ```
    /// use ndarray_gradient::CompactScheme;
    /// // findiff: CompactScheme.from_accuracy(4, 1, 3).for_deriv(2).deriv == 2
    /// assert_eq!(CompactScheme::new(2, 4, 3).unwrap().derivative(), 2);
    /// assert_eq!(CompactScheme::new(1, 4, 3).unwrap().derivative(), 1);
    /// ```
    pub fn derivative(&self) -> usize {
        self.derivative
    }

    /// The accuracy order of the interior scheme, which the one-sided rows near the ends reach
    /// too (findiff's `get_accuracy`).
    ///
    /// ```
    /// use ndarray_gradient::CompactScheme;
    /// // findiff: CompactScheme.from_accuracy(2, 1, 3).get_accuracy(1) == 4
    /// assert_eq!(CompactScheme::new(1, 2, 3).unwrap().accuracy(), 4);
    /// ```
    pub fn accuracy(&self) -> usize {
        self.rows.interior.accuracy
    }

    /// The interior left-hand side: the weights `αₖ` of the derivatives at offsets `-p..=p`
    /// (findiff's `scheme.left`).
    ///
    /// ```
    /// use ndarray_gradient::CompactScheme;
    /// // findiff: CompactScheme.from_accuracy(4, 1, 3).left == {-1: 0.25, 0: 1, 1: 0.25}
    /// // (findiff's ¼ is 0.24999999999999994, from np.linalg.solve; the crate's is exact)
    /// let lhs = CompactScheme::new(1, 4, 3).unwrap().lhs().clone();
    /// assert_eq!(lhs.offsets, vec![-1, 0, 1]);
    /// assert_eq!(lhs.weights, vec![0.25, 1.0, 0.25]);
    /// ```
    pub fn lhs(&self) -> &Stencil {
        &self.lhs
    }

    /// The interior right-hand side at unit spacing: the weights `cⱼ` of the samples
    /// (findiff's `scheme.right` and `rhs_coefficients()`).
    ///
    /// ```
    /// use ndarray_gradient::CompactScheme;
    /// // findiff: s = CompactScheme.from_accuracy(4, 1, 3)
    /// //          s.right == [-1, 0, 1]; s.rhs_coefficients() == [-0.75, 0.0, 0.75]
    /// let rhs = CompactScheme::new(1, 4, 3).unwrap().rhs().clone();
    /// assert_eq!(rhs.offsets, vec![-1, 0, 1]);
    /// assert_eq!(rhs.weights, vec![-0.75, 0.0, 0.75]);
    /// ```
    pub fn rhs(&self) -> &Stencil {
        &self.rhs
    }

    /// The fewest points an axis needs on a non-periodic axis: every one-sided row near each
    /// end fits, and the two ends' rows do not overlap.
    ///
    /// findiff has no such minimum: on a shorter axis it narrows its one-sided rows, below the
    /// scheme's accuracy.
    ///
    /// ```
    /// use ndarray::{Array1, Axis};
    /// use ndarray_gradient::{CompactScheme, GradientError, GradientOptions};
    ///
    /// // Row 0 of the fourth-order scheme reads f[0..5] (and f′[0], f′[1]).
    /// let s = CompactScheme::new(1, 4, 3).unwrap();
    /// assert_eq!(s.min_len(), 5);
    /// // findiff: Diff(0, 1.0, acc=4, compact=3)(f) on 4 points (row 0 third-order); here an error
    /// let short = s.apply(&Array1::<f64>::zeros(4), Axis(0), &GradientOptions::new());
    /// assert_eq!(short, Err(GradientError::AxisTooShort { axis: 0, len: 4, min: 5 }));
    /// ```
    pub fn min_len(&self) -> usize {
        let reach = self.rows.left.iter().enumerate().map(|(i, row)| {
            let last = row
                .rhs_offsets
                .iter()
                .chain(&row.lhs_offsets)
                .max()
                .copied()
                .unwrap_or(0);
            (i as isize + last + 1) as usize
        });
        reach.max().unwrap_or(1).max(2 * self.rows.left.len())
    }

    /// The fewest points a periodic axis needs: the stencils do not reach around to
    /// themselves.
    fn min_periodic_len(&self) -> usize {
        let reach = |s: &Stencil| s.offsets.iter().map(|o| o.unsigned_abs()).max().unwrap_or(0);
        2 * reach(&self.lhs).max(reach(&self.rhs)) + 1
    }

    /// The modified wavenumber at the scaled wavenumber `w` (`0..=π`): the scheme applied to
    /// `e^{iwx/h}` gives `(iw′)ᵐ` times it, and this is the real part of `w′ᵐ`, which is `wᵐ`
    /// for an exact derivative (findiff's `modified_wavenumber`). It measures how short a
    /// wave the scheme resolves.
    ///
    /// ```
    /// use ndarray_gradient::CompactScheme;
    /// // findiff: CompactScheme.from_accuracy(4, 1, 3).modified_wavenumber(1.0)
    /// let s = CompactScheme::new(1, 4, 3).unwrap();
    /// // 3 sin(w) / (2 + cos(w))
    /// let w = 1.0f64;
    /// assert!((s.modified_wavenumber(w) - 3.0 * w.sin() / (2.0 + w.cos())).abs() < 1e-15);
    /// ```
    pub fn modified_wavenumber(&self, w: f64) -> f64 {
        let symbol = |s: &Stencil| {
            s.offsets.iter().zip(&s.weights).fold((0.0, 0.0), |(re, im), (&o, &c)| {
                let phase = o as f64 * w;
                (re + c * phase.cos(), im + c * phase.sin())
            })
        };
        let (nr, ni) = symbol(&self.rhs);
        let (dr, di) = symbol(&self.lhs);
        // (num / den) / iᵐ, real part.
        let den = dr * dr + di * di;
        let (qr, qi) = ((nr * dr + ni * di) / den, (ni * dr - nr * di) / den);
        match self.derivative % 4 {
            1 => qi,
            2 => -qr,
            3 => -qi,
            _ => qr,
        }
    }

    /// The `derivative`-th derivative of `f` along `axis` by this scheme: findiff's
    /// `Diff(axis, h, acc=…, compact=…)(f)` (or its square for the second derivative). A new
    /// array of `f`'s shape, in `f`'s memory order.
    ///
    /// `opts` gives the spacing (a uniform one: compact schemes need equal steps) and the
    /// boundary of `axis` ([`Boundary::Periodic`] for a cyclic system); the scheme gives the
    /// derivative and accuracy orders.
    ///
    /// # Errors
    ///
    /// [`GradientError::AxisOutOfBounds`]; [`GradientError::AxisTooShort`] below
    /// [`min_len`](Self::min_len) points (or `2·reach + 1` on a periodic axis);
    /// [`GradientError::InvalidSpacing`] for a spacing that is zero, not finite, or whose
    /// `hᵐ` overflows; [`GradientError::ConflictingOptions`] for options that set coordinates,
    /// a period other than `n·h`, an accuracy order, a derivative order, an edge order or a
    /// list of axes (the scheme fixes those); [`GradientError::ZeroDimensional`].
    ///
    /// ```
    /// use ndarray::{Array2, Axis};
    /// use ndarray_gradient::{CompactScheme, GradientOptions};
    ///
    /// // findiff: Diff(1, h, periodic=True, acc=6, compact=3)(f)
    /// let n = 64;
    /// let h = std::f64::consts::TAU / n as f64;
    /// let f = Array2::from_shape_fn((3, n), |(k, j)| ((k + 1) as f64 * j as f64 * h).sin());
    /// let opts = GradientOptions::new().spacing(h).periodic_all();
    /// let df = CompactScheme::new(1, 6, 3).unwrap().apply(&f, Axis(1), &opts).unwrap();
    /// let exact = Array2::from_shape_fn((3, n), |(k, j)| (k + 1) as f64 * ((k + 1) as f64 * j as f64 * h).cos());
    /// assert!(df.iter().zip(&exact).all(|(d, e)| (d - e).abs() < 1e-5)); // (3h)⁶-size error at k = 3
    /// ```
    pub fn apply<A, D>(
        &self,
        f: &ArrayRef<A, D>,
        axis: Axis,
        opts: &GradientOptions<'_, A::Real>,
    ) -> Result<Array<A::Output, D>, GradientError>
    where
        A: GradientElement,
        D: Dimension,
    {
        let f = f.view();
        let system = self.system(f.shape(), axis, opts)?;
        Ok(crate::alloc::new_array_like(&f, None, |out| {
            crate::kernel::compact(f.view(), out, axis, &system)
        }))
    }

    /// [`apply`](Self::apply) written into `out` (the input's shape, any layout).
    ///
    /// # Errors
    ///
    /// As [`apply`](Self::apply), and [`GradientError::OutputShape`]. On error `out` is
    /// unchanged.
    ///
    /// ```
    /// use ndarray::{Array1, Axis};
    /// use ndarray_gradient::{CompactScheme, GradientOptions};
    ///
    /// // findiff: (Diff(0, 1.0, acc=4, compact=3)**2)(f)
    /// let f = Array1::from_shape_fn(16, |i| (i * i) as f64);
    /// let mut out = Array1::zeros(16);
    /// let scheme = CompactScheme::new(2, 4, 3).unwrap();
    /// scheme.apply_into(&f, Axis(0), &GradientOptions::new(), &mut out).unwrap();
    /// assert!(out.iter().all(|d| (d - 2.0).abs() < 1e-12)); // (x²)″ = 2, exactly up to rounding
    /// // The same bits as apply
    /// assert_eq!(out, scheme.apply(&f, Axis(0), &GradientOptions::new()).unwrap());
    /// ```
    pub fn apply_into<A, D>(
        &self,
        f: &ArrayRef<A, D>,
        axis: Axis,
        opts: &GradientOptions<'_, A::Real>,
        out: &mut ArrayRef<A::Output, D>,
    ) -> Result<(), GradientError>
    where
        A: GradientElement,
        D: Dimension,
    {
        let f = f.view();
        let system = self.system(f.shape(), axis, opts)?;
        crate::plan::check_output_shape(f.shape(), out.shape(), None, None)?;
        crate::kernel::compact(f, out.view_mut(), axis, &system);
        Ok(())
    }

    /// Every argument checked, and the system of `axis` on an array of `shape`: the
    /// right-hand side as a stencil, the left-hand side factorised.
    pub(crate) fn system<R: Float>(
        &self,
        shape: &[usize],
        axis: Axis,
        opts: &GradientOptions<'_, R>,
    ) -> Result<CompactSystem<R>, GradientError> {
        if shape.is_empty() {
            return Err(GradientError::ZeroDimensional);
        }
        GradientError::check_axis(axis.index(), shape.len())?;
        let k = axis.index();
        let conflict = |option| GradientError::ConflictingOptions {
            axis: k,
            option,
            with: "compact",
        };
        if opts.get_axes().is_some() {
            return Err(conflict("axes"));
        }
        let settings = opts.settings_of(axis);
        if settings.accuracy.is_some() {
            return Err(conflict("accuracy"));
        }
        if settings.derivative_given {
            return Err(conflict("derivative"));
        }
        if settings.edge_order_given {
            return Err(conflict("edge_order"));
        }
        let h = match settings.spacing {
            Spacing::Uniform(h) => h,
            Spacing::Coordinates(_) => return Err(conflict("coordinates")),
        };
        let n = shape[k];
        let periodic = match settings.boundary {
            Boundary::OneSided => false,
            Boundary::Periodic => true,
            Boundary::PeriodicWithLength(period) => {
                // A period of n·h (to rounding) keeps the grid uniform across the wrap.
                let whole = h * R::from(n).unwrap_or(R::nan());
                let slack = R::from(4.0).expect("small constant") * R::epsilon() * period.abs();
                // Written so that a NaN period or step fails the check too.
                let within = (period - whole).abs() <= slack;
                if !within {
                    return Err(conflict("period"));
                }
                true
            }
        };
        let hm = h.powi(self.derivative as i32);
        if !(h.is_finite() && h != R::zero() && hm.is_finite() && hm != R::zero()) {
            return Err(GradientError::InvalidSpacing {
                axis: k,
                spacing: h.to_f64().unwrap_or(f64::NAN),
            });
        }
        let min = if periodic {
            self.min_periodic_len()
        } else {
            self.min_len()
        };
        if n < min {
            return Err(GradientError::AxisTooShort { axis: k, len: n, min });
        }
        // Zero weights (the centre of odd derivatives) read nothing, as in the explicit stencils.
        let taps = |offsets: &[isize], c: &[f64]| -> (Vec<isize>, Vec<R>) {
            offsets
                .iter()
                .zip(c)
                .filter(|(_, c)| **c != 0.0)
                .map(|(&o, &c)| (o, R::from(c).expect("a weight") / hm))
                .unzip()
        };
        let rows = &self.rows;
        let (offsets, w) = taps(&rows.interior.rhs_offsets, &rows.interior.rhs);
        let interior = Interior::Taps {
            offsets: offsets.clone(),
            w: w.clone(),
        };
        let rhs = if periodic {
            // The points whose stencil wraps take the interior weights as an edge rule.
            let reach = rows
                .interior
                .rhs_offsets
                .iter()
                .map(|o| o.unsigned_abs())
                .max()
                .unwrap_or(0);
            let edges = (0..reach)
                .chain(n - reach..n)
                .map(|i| {
                    let rule = Rule::Weighted {
                        offsets: offsets.clone(),
                        w: w.clone(),
                    };
                    (i, rule)
                })
                .collect();
            AxisStencil {
                len: n,
                periodic: true,
                lo: reach,
                hi: n - reach,
                interior,
                edges,
            }
        } else {
            let m = rows.left.len();
            let sign = if self.derivative % 2 == 1 { -1.0 } else { 1.0 };
            let left = rows.left.iter().enumerate().map(|(i, row)| {
                let (offsets, w) = taps(&row.rhs_offsets, &row.rhs);
                (i, Rule::Weighted { offsets, w })
            });
            // The rows of the last points mirror the first ones.
            let right = rows.left.iter().enumerate().rev().map(|(i, row)| {
                let mirrored: Vec<isize> = row.rhs_offsets.iter().rev().map(|o| -o).collect();
                let c: Vec<f64> = row.rhs.iter().rev().map(|c| sign * c).collect();
                let (offsets, w) = taps(&mirrored, &c);
                (n - 1 - i, Rule::Weighted { offsets, w })
            });
            AxisStencil {
                len: n,
                periodic: false,
                lo: m,
                hi: n - m,
                interior,
                edges: left.chain(right).collect(),
            }
        };
        let lhs =
            BandedLu::factorise(self.lhs_matrix(n, periodic)).ok_or(GradientError::SingularSystem { rcond: 0.0 })?;
        Ok(CompactSystem { rhs, lhs: lhs.cast() })
    }

    /// The left-hand matrix on `n` points, row by row as `(column, weight)`.
    fn lhs_matrix(&self, n: usize, periodic: bool) -> Vec<Vec<(usize, f64)>> {
        let rows = &self.rows;
        let m = rows.left.len();
        (0..n)
            .map(|i| {
                let at = |offsets: &[isize], w: &[f64], mirror: bool| -> Vec<(usize, f64)> {
                    offsets
                        .iter()
                        .zip(w)
                        .map(|(&o, &a)| {
                            let o = if mirror { -o } else { o };
                            ((i as isize + o).rem_euclid(n as isize) as usize, a)
                        })
                        .collect()
                };
                if periodic || (m..n - m).contains(&i) {
                    at(&rows.interior.lhs_offsets, &rows.interior.lhs, false)
                } else if i < m {
                    at(&rows.left[i].lhs_offsets, &rows.left[i].lhs, false)
                } else {
                    let row = &rows.left[n - 1 - i];
                    at(&row.lhs_offsets, &row.lhs, true)
                }
            })
            .collect()
    }
}

/// Everything a compact derivative along one axis needs: the right-hand side as an explicit
/// stencil (spacing included) and the factorised left-hand side.
#[derive(Clone, Debug)]
pub(crate) struct CompactSystem<R> {
    pub(crate) rhs: AxisStencil<R>,
    pub(crate) lhs: BandedLu<R>,
}

/// The LU factors of a banded matrix of half-bandwidth `p` (no pivoting: the compact
/// schemes' matrices are diagonally dominant), and for a cyclic matrix the
/// Sherman–Morrison–Woodbury correction of its corners.
#[derive(Clone, Debug)]
pub(crate) struct BandedLu<R> {
    pub(crate) n: usize,
    pub(crate) p: usize,
    /// `lower[i·p + j − 1]`: the multiple of row `i − j` subtracted from row `i`.
    pub(crate) lower: Vec<R>,
    /// `upper[i·p + j − 1]`: the entry of row `i` in column `i + j`.
    pub(crate) upper: Vec<R>,
    /// `1 / uᵢᵢ`.
    pub(crate) inv_diag: Vec<R>,
    pub(crate) cyclic: Option<Woodbury<R>>,
}

/// `A = T + U Wᵀ` with `T` the band of a cyclic `A` and `U` the unit columns of the rows with
/// corner entries: `A⁻¹b = y − Z S Wᵀy` with `y = T⁻¹b`, `Z = T⁻¹U`, `S = (I + WᵀZ)⁻¹`.
#[derive(Clone, Debug)]
pub(crate) struct Woodbury<R> {
    /// The corner entries of each such row, `(column, weight)`.
    pub(crate) corners: Vec<Vec<(usize, R)>>,
    /// `z[i·r + k]`, `r` the number of corner rows.
    pub(crate) z: Vec<R>,
    /// `s[k·r + l]`.
    pub(crate) s: Vec<R>,
}

impl BandedLu<f64> {
    /// The factors of the matrix whose row `i` has entries `rows[i]`: the band `|i − j| ≤ p`
    /// is factorised, entries outside it are cyclic corners. `None` if a pivot vanishes.
    fn factorise(rows: Vec<Vec<(usize, f64)>>) -> Option<Self> {
        let n = rows.len();
        let p = rows
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.iter().map(move |&(j, _)| i.abs_diff(j)))
            .filter(|&d| 2 * d <= n)
            .max()
            .unwrap_or(0);
        let width = 2 * p + 1;
        let mut band = vec![0.0; n * width];
        let mut corners = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let mut outside = Vec::new();
            for &(j, a) in row {
                if i.abs_diff(j) <= p {
                    band[i * width + j + p - i] += a;
                } else {
                    outside.push((j, a));
                }
            }
            if !outside.is_empty() {
                corners.push((i, outside));
            }
        }
        let mut lu = BandedLu {
            n,
            p,
            lower: vec![0.0; n * p],
            upper: vec![0.0; n * p],
            inv_diag: vec![0.0; n],
            cyclic: None,
        };
        for c in 0..n {
            let pivot = band[c * width + p];
            if pivot == 0.0 || !pivot.is_finite() {
                return None;
            }
            for r in c + 1..=(c + p).min(n - 1) {
                let l = band[r * width + c + p - r] / pivot;
                lu.lower[r * p + (r - c) - 1] = l;
                for col in c + 1..=(c + p).min(n - 1) {
                    band[r * width + col + p - r] -= l * band[c * width + col + p - c];
                }
            }
        }
        for i in 0..n {
            lu.inv_diag[i] = 1.0 / band[i * width + p];
            for j in 1..=p.min(n - 1 - i) {
                lu.upper[i * p + j - 1] = band[i * width + p + j];
            }
        }
        if !corners.is_empty() {
            let r = corners.len();
            let mut z = vec![0.0; n * r];
            for (k, &(row, _)) in corners.iter().enumerate() {
                let mut e = vec![0.0; n];
                e[row] = 1.0;
                lu.solve_band(&mut e);
                for i in 0..n {
                    z[i * r + k] = e[i];
                }
            }
            // I + WᵀZ, inverted by Gauss–Jordan with partial pivoting.
            let mut m = vec![0.0; r * r];
            for (k, (_, entries)) in corners.iter().enumerate() {
                for l in 0..r {
                    let wz: f64 = entries.iter().map(|&(j, w)| w * z[j * r + l]).sum();
                    m[k * r + l] = wz + if k == l { 1.0 } else { 0.0 };
                }
            }
            let s = invert(m, r)?;
            lu.cyclic = Some(Woodbury {
                corners: corners.into_iter().map(|(_, e)| e).collect(),
                z,
                s,
            });
        }
        Some(lu)
    }

    /// `x ← T⁻¹x` for the band `T`, in `f64` (for setting up the cyclic correction): the
    /// kernel's own sweeps on one lane.
    fn solve_band(&self, x: &mut [f64]) {
        crate::kernel::compact::band_sweeps::<f64, true>(x, 1, self);
    }

    /// The factors in the elements' real type.
    fn cast<R: Float>(self) -> BandedLu<R> {
        let to = |v: Vec<f64>| -> Vec<R> { v.into_iter().map(|x| R::from(x).expect("a factor")).collect() };
        BandedLu {
            n: self.n,
            p: self.p,
            lower: to(self.lower),
            upper: to(self.upper),
            inv_diag: to(self.inv_diag),
            cyclic: self.cyclic.map(|w| Woodbury {
                corners: w
                    .corners
                    .into_iter()
                    .map(|e| e.into_iter().map(|(j, a)| (j, R::from(a).expect("a weight"))).collect())
                    .collect(),
                z: to(w.z),
                s: to(w.s),
            }),
        }
    }
}

/// The inverse of the `r × r` matrix `m` (row-major); `None` if it is singular.
fn invert(mut m: Vec<f64>, r: usize) -> Option<Vec<f64>> {
    let mut inv = vec![0.0; r * r];
    for i in 0..r {
        inv[i * r + i] = 1.0;
    }
    for c in 0..r {
        let piv = (c..r).max_by(|&a, &b| m[a * r + c].abs().total_cmp(&m[b * r + c].abs()))?;
        if m[piv * r + c] == 0.0 || !m[piv * r + c].is_finite() {
            return None;
        }
        for k in 0..r {
            m.swap(c * r + k, piv * r + k);
            inv.swap(c * r + k, piv * r + k);
        }
        let d = m[c * r + c];
        for k in 0..r {
            m[c * r + k] /= d;
            inv[c * r + k] /= d;
        }
        for row in 0..r {
            if row != c {
                let l = m[row * r + c];
                for k in 0..r {
                    m[row * r + k] -= l * m[c * r + k];
                    inv[row * r + k] -= l * inv[c * r + k];
                }
            }
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The factors solve their matrix: `A · (A⁻¹ e) = e` to rounding for every supported
    /// scheme, on short and long axes, periodic or not.
    #[test]
    fn factors_solve_their_matrix() {
        for m in 1..=2 {
            for lhs in [3, 5] {
                for acc in (2..=MAX_COMPACT_ACCURACY).step_by(2) {
                    let scheme = CompactScheme::new(m, acc, lhs).unwrap();
                    for periodic in [false, true] {
                        let min = if periodic {
                            scheme.min_periodic_len()
                        } else {
                            scheme.min_len()
                        };
                        for n in [min, min + 1, min + 7, 64] {
                            let a = scheme.lhs_matrix(n, periodic);
                            let lu = BandedLu::factorise(a.clone()).unwrap();
                            let b: Vec<f64> = (0..n).map(|i| ((i * 7 + 3) % 11) as f64 - 5.0).collect();
                            // The kernel's solve (band sweeps and cyclic correction) on one lane.
                            let mut x = b.clone();
                            crate::kernel::compact::solve::<f64, true>(&mut x, 1, &lu);
                            for (i, row) in a.iter().enumerate() {
                                let ax: f64 = row.iter().map(|&(j, w)| w * x[j]).sum();
                                assert!(
                                    (ax - b[i]).abs() < 1e-13 * 8.0,
                                    "m {m} lhs {lhs} acc {acc} n {n} periodic {periodic} row {i}: {ax} vs {}",
                                    b[i]
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
