//! The finite-difference arithmetic: NumPy's formulas, in NumPy's operation order.
//!
//! This is the only module that computes a derivative value. The kernels decide how memory is
//! walked and call [`difference`] and [`weighted`] for every output point; [`AxisStencil::new`]
//! validates a spacing and turns it into the coefficients those two formulas take.

use num_traits::Float;

use crate::element::GradientFloat;
use crate::error::GradientError;
use crate::options::{EdgeOrder, Spacing};

/// A division of an element by a real spacing.
pub(crate) trait Quotient<T>: Copy + Send + Sync {
    fn apply(self, x: T) -> T;
}

/// `x / d`, the plain IEEE (or NumPy complex) division.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Divide<R>(pub(crate) R);

impl<T: GradientFloat> Quotient<T> for Divide<T::Real> {
    #[inline(always)]
    fn apply(self, x: T) -> T {
        x.div_real(self.0)
    }
}

/// `x * (1 / d)` where `1 / d` is exact, so that the product is the correctly rounded `x / d`:
/// the same bits as [`Divide`], at the cost of a multiplication instead of a division.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExactReciprocal<R>(R);

impl<T: GradientFloat> Quotient<T> for ExactReciprocal<T::Real> {
    #[inline(always)]
    fn apply(self, x: T) -> T {
        x.scale(self.0)
    }
}

impl<R: Float> ExactReciprocal<R> {
    /// `Some` when dividing elements of type `T` by `d` can be a multiplication by `1 / d`
    /// with the same bits (see [`exact_reciprocal`]).
    pub(crate) fn of<T: GradientFloat<Real = R>>(d: R) -> Option<Self> {
        if !T::EXACT_RECIPROCAL {
            return None;
        }
        exact_reciprocal(d).map(ExactReciprocal)
    }
}

/// `1 / d` when `d` is a power of two whose reciprocal is representable exactly, so that
/// `x * (1/d)` rounds exactly like `x / d` for every real `x` (both are the exact quotient,
/// rounded once). The default spacing `1.0` gives `h = 1` and `2h = 2`, both such divisors.
fn exact_reciprocal<R: Float>(d: R) -> Option<R> {
    if !d.is_finite() || d == R::zero() {
        return None;
    }
    let (mantissa, _, _) = d.integer_decode();
    let r = R::one() / d;
    (mantissa.is_power_of_two() && r.is_finite() && r != R::zero() && r * d == R::one()).then_some(r)
}

/// `(hi - lo) / d`: the uniform interior (with `d = 2h`) and the first-order edges.
#[inline(always)]
pub(crate) fn difference<T: GradientFloat, Q: Quotient<T>>(lo: T, hi: T, q: Q) -> T {
    q.apply(hi - lo)
}

/// `((w0 * f0) + (w1 * f1)) + (w2 * f2)`: the non-uniform interior and the second-order edges.
#[inline(always)]
pub(crate) fn weighted<T: GradientFloat>(w: [T::Real; 3], f0: T, f1: T, f2: T) -> T {
    (f0.scale(w[0]) + f1.scale(w[1])) + f2.scale(w[2])
}

/// The rule at one end of an axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Edge<R> {
    /// First order: `(f[start + 1] - f[start]) / d`; `recip` is `1 / d` when that is exact.
    Difference { start: usize, d: R, recip: Option<R> },
    /// Second order: `weighted(w, f[start], f[start + 1], f[start + 2])`.
    Weighted { start: usize, w: [R; 3] },
}

impl<R: Float> Edge<R> {
    fn difference(start: usize, d: R) -> Self {
        Edge::Difference {
            start,
            d,
            recip: exact_reciprocal(d),
        }
    }

    /// The first sample the rule reads.
    pub(crate) fn start(&self) -> usize {
        match *self {
            Edge::Difference { start, .. } | Edge::Weighted { start, .. } => start,
        }
    }

    /// The value at this edge from its samples `s[0..3]` (`s[2]` is unused by first order).
    #[inline(always)]
    pub(crate) fn apply<T: GradientFloat<Real = R>>(&self, s: [T; 3]) -> T {
        match *self {
            Edge::Difference { recip: Some(r), .. } if T::EXACT_RECIPROCAL => {
                difference(s[0], s[1], ExactReciprocal(r))
            }
            Edge::Difference { d, .. } => difference(s[0], s[1], Divide(d)),
            Edge::Weighted { w, .. } => weighted(w, s[0], s[1], s[2]),
        }
    }
}

/// The rule for the points `1..n-1` of an axis.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Interior<R> {
    /// `difference(f[i-1], f[i+1], 2h)`.
    Uniform { two_h: R },
    /// `weighted(w[i-1], f[i-1], f[i], f[i+1])`.
    NonUniform { w: Vec<[R; 3]> },
}

/// Everything needed to differentiate along one axis of a given length.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AxisStencil<R> {
    pub(crate) len: usize,
    pub(crate) interior: Interior<R>,
    pub(crate) first: Edge<R>,
    pub(crate) last: Edge<R>,
}

/// A validated spacing after NumPy's reduction of coordinates: uniform when every difference
/// is exactly equal.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Steps<R> {
    Uniform(R),
    NonUniform(Vec<R>),
}

impl<R: Float> Steps<R> {
    /// Checks a spacing for an axis of length `len`: a scalar must be finite and non-zero;
    /// coordinates must be one per point, finite, strictly monotonic, with finite steps.
    pub(crate) fn new(axis: usize, len: usize, spacing: &Spacing<'_, R>) -> Result<Self, GradientError> {
        let invalid = |h: R| GradientError::InvalidSpacing {
            axis,
            spacing: h.to_f64().unwrap_or(f64::NAN),
        };
        match spacing {
            Spacing::Uniform(h) => {
                if !h.is_finite() || *h == R::zero() {
                    return Err(invalid(*h));
                }
                Ok(Steps::Uniform(*h))
            }
            Spacing::Coordinates(x) => {
                if x.len() != len {
                    return Err(GradientError::CoordinatesLength {
                        axis,
                        expected: len,
                        got: x.len(),
                    });
                }
                if let Some(index) = x.iter().position(|v| !v.is_finite()) {
                    return Err(GradientError::CoordinatesNotFinite { axis, index });
                }
                // np.diff(x): differences in the coordinates' own type.
                let d: Vec<R> = x.windows(2).into_iter().map(|w| w[1] - w[0]).collect();
                let Some(&d0) = d.first() else {
                    return Ok(Steps::Uniform(R::one())); // fewer than 2 points: AxisTooShort follows
                };
                let increasing = d0 > R::zero();
                let wrong_way = |di: R| if increasing { di <= R::zero() } else { di >= R::zero() };
                if let Some(index) = d.iter().position(|&di| wrong_way(di)) {
                    return Err(GradientError::CoordinatesNotMonotonic { axis, index });
                }
                if let Some(&di) = d.iter().find(|di| !di.is_finite()) {
                    return Err(invalid(di)); // finite coordinates whose difference overflows
                }
                // NumPy: `(diffx == diffx[0]).all()` selects the uniform formulas.
                if d.iter().all(|&di| di == d0) {
                    Ok(Steps::Uniform(d0))
                } else {
                    Ok(Steps::NonUniform(d))
                }
            }
        }
    }
}

impl<R: Float> AxisStencil<R> {
    /// Validates `spacing` for an axis of length `len` and computes its coefficients.
    ///
    /// Besides NumPy's own checks, a spacing so extreme that a coefficient overflows (`2h`,
    /// `1.5 / h`, `dx1 * (dx1 + dx2)`, ...) is refused: NumPy would silently return `0`, `inf`
    /// or `nan` there.
    pub(crate) fn new(
        axis: usize,
        len: usize,
        spacing: &Spacing<'_, R>,
        edge_order: EdgeOrder,
    ) -> Result<Self, GradientError> {
        let steps = Steps::new(axis, len, spacing)?;
        if len < edge_order.min_len() {
            return Err(GradientError::AxisTooShort {
                axis,
                len,
                min: edge_order.min_len(),
            });
        }
        let stencil = Self::from_steps(len, &steps, edge_order);
        if !stencil.is_finite() {
            let h = match &steps {
                Steps::Uniform(h) => *h,
                Steps::NonUniform(d) => {
                    let max = d.iter().fold(R::zero(), |m, &v| m.max(v.abs()));
                    let min = d.iter().fold(R::infinity(), |m, &v| m.min(v.abs()));
                    // Name the step whose size is the further from 1, the likely culprit.
                    if max.ln() > -min.ln() { max } else { min }
                }
            };
            return Err(GradientError::InvalidSpacing {
                axis,
                spacing: h.to_f64().unwrap_or(f64::NAN),
            });
        }
        Ok(stencil)
    }

    /// Whether every coefficient and every intermediate product is finite and every divisor
    /// non-zero (a zero divisor shows as an infinite coefficient).
    fn is_finite(&self) -> bool {
        let edge_ok = |e: &Edge<R>| match e {
            Edge::Difference { d, .. } => d.is_finite() && *d != R::zero(),
            Edge::Weighted { w, .. } => w.iter().all(|c| c.is_finite()),
        };
        let interior_ok = match &self.interior {
            Interior::Uniform { two_h } => two_h.is_finite(),
            Interior::NonUniform { w } => w.iter().flatten().all(|c| c.is_finite()),
        };
        interior_ok && edge_ok(&self.first) && edge_ok(&self.last)
    }

    fn from_steps(n: usize, steps: &Steps<R>, edge_order: EdgeOrder) -> Self {
        let two = R::one() + R::one();
        let c = |v: f64| R::from(v).expect("small constant is representable");
        // A product that overflows or underflows to zero makes the coefficient non-finite, or
        // zero where it should not be: `den` returns NaN then, which `is_finite` catches.
        let den = |p: R| if p.is_finite() && p != R::zero() { p } else { R::nan() };
        match *steps {
            Steps::Uniform(h) => {
                let (first, last) = match edge_order {
                    EdgeOrder::First => (Edge::difference(0, h), Edge::difference(n - 2, h)),
                    EdgeOrder::Second => (
                        Edge::Weighted {
                            start: 0,
                            w: [c(-1.5) / h, two / h, c(-0.5) / h],
                        },
                        Edge::Weighted {
                            start: n - 3,
                            w: [c(0.5) / h, -two / h, c(1.5) / h],
                        },
                    ),
                };
                AxisStencil {
                    len: n,
                    interior: Interior::Uniform { two_h: two * h },
                    first,
                    last,
                }
            }
            Steps::NonUniform(ref d) => {
                let w = d
                    .windows(2)
                    .map(|p| {
                        let (dx1, dx2) = (p[0], p[1]);
                        [
                            (-dx2) / den(dx1 * (dx1 + dx2)),
                            (dx2 - dx1) / den(dx1 * dx2),
                            dx1 / den(dx2 * (dx1 + dx2)),
                        ]
                    })
                    .collect();
                let (first, last) = match edge_order {
                    EdgeOrder::First => (Edge::difference(0, d[0]), Edge::difference(n - 2, d[n - 2])),
                    EdgeOrder::Second => {
                        let (dx1, dx2) = (d[0], d[1]);
                        let first = [
                            -(two * dx1 + dx2) / den(dx1 * (dx1 + dx2)),
                            (dx1 + dx2) / den(dx1 * dx2),
                            -dx1 / den(dx2 * (dx1 + dx2)),
                        ];
                        let (dx1, dx2) = (d[n - 3], d[n - 2]);
                        let last = [
                            dx2 / den(dx1 * (dx1 + dx2)),
                            -(dx2 + dx1) / den(dx1 * dx2),
                            (two * dx2 + dx1) / den(dx2 * (dx1 + dx2)),
                        ];
                        (
                            Edge::Weighted { start: 0, w: first },
                            Edge::Weighted { start: n - 3, w: last },
                        )
                    }
                };
                AxisStencil {
                    len: n,
                    interior: Interior::NonUniform { w },
                    first,
                    last,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn exact_reciprocal_only_for_powers_of_two() {
        assert!(ExactReciprocal::<f64>::of::<f64>(2.0).is_some());
        assert!(ExactReciprocal::<f64>::of::<f64>(0.125).is_some());
        assert!(ExactReciprocal::<f64>::of::<f64>(-4.0).is_some());
        assert!(ExactReciprocal::<f64>::of::<f64>(0.6).is_none());
        assert!(ExactReciprocal::<f64>::of::<f64>(3.0).is_none());
        // 1 / 2^-1074 overflows: not exact.
        assert!(ExactReciprocal::<f64>::of::<f64>(f64::from_bits(1)).is_none());
        assert!(ExactReciprocal::<f32>::of::<num_complex::Complex32>(2.0).is_none());
    }

    #[test]
    fn reciprocal_matches_division_bit_for_bit() {
        let q = ExactReciprocal::<f64>::of::<f64>(2.0).unwrap();
        for x in [1.0, 3.0, f64::MIN_POSITIVE, 5e-324, 1.7976931348623157e308, -0.0] {
            let a: f64 = q.apply(x);
            let b: f64 = Divide(2.0).apply(x);
            assert_eq!(a.to_bits(), b.to_bits(), "{x}");
        }
    }

    #[test]
    fn overflowing_coefficients_are_refused() {
        // 2h overflows (NumPy: interior 0); 1.5 / h overflows (NumPy: inf edges).
        for (h, edge) in [(1e308, EdgeOrder::First), (5e-324, EdgeOrder::Second)] {
            let err = AxisStencil::new(0, 5, &Spacing::Uniform(h), edge).unwrap_err();
            assert_eq!(err, GradientError::InvalidSpacing { axis: 0, spacing: h });
        }
        // dx1 * (dx1 + dx2) overflows although every step is finite.
        let x = array![0.0, 1e200, 3e200, 4e200];
        let err = AxisStencil::new(2, 4, &Spacing::Coordinates(x.view()), EdgeOrder::First).unwrap_err();
        assert!(matches!(err, GradientError::InvalidSpacing { axis: 2, .. }));
        // Modest values are fine.
        assert!(AxisStencil::new(0, 4, &Spacing::Uniform(1e-300), EdgeOrder::First).is_ok());
    }

    #[test]
    fn equal_coordinate_steps_take_the_uniform_path() {
        let x = array![0.0, 0.25, 0.5, 0.75];
        let s = AxisStencil::new(0, 4, &Spacing::Coordinates(x.view()), EdgeOrder::First).unwrap();
        assert_eq!(s.interior, Interior::Uniform { two_h: 0.5 });
        let x = array![0.0, 0.1, 0.35];
        let s = AxisStencil::new(0, 3, &Spacing::Coordinates(x.view()), EdgeOrder::First).unwrap();
        assert!(matches!(s.interior, Interior::NonUniform { .. }));
    }
}
