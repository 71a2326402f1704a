//! The finite-difference arithmetic: NumPy's formulas, in NumPy's operation order.
//!
//! This is the only module that computes a derivative value. The kernels decide how memory is
//! walked and call [`difference`], [`first_term`] and [`add_term`] (or [`Rule::apply`], which
//! uses them) for every output point; [`AxisStencil::new`] validates an axis's settings and
//! turns them into the coefficients those formulas take: NumPy's own for the NumPy call forms,
//! Fornberg weights ([`mod@crate::coefficients`]) for the other accuracy and derivative orders.

use num_traits::Float;

use crate::element::GradientFloat;
use crate::error::GradientError;
use crate::options::{AxisSettings, Boundary, EdgeOrder, Spacing};

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

/// `(hi - lo) / d`: NumPy's uniform interior (with `d = 2h`) and its first-order edges.
#[inline(always)]
pub(crate) fn difference<T: GradientFloat, Q: Quotient<T>>(lo: T, hi: T, q: Q) -> T {
    q.apply(hi - lo)
}

/// `((w0 * f0) + (w1 * f1)) + (w2 * f2)`: [`first_term`] and [`add_term`] for three samples,
/// in one expression (NumPy's non-uniform interior and second-order edges).
#[inline(always)]
pub(crate) fn weighted<T: GradientFloat>(w: [T::Real; 3], f0: T, f1: T, f2: T) -> T {
    add_term(add_term(first_term(f0, w[0]), f1, w[1]), f2, w[2])
}

/// The first term of a weighted stencil, `w * f`.
///
/// Every weighted stencil, whatever its width, is summed the same way: `w[0] * f[0]`, then
/// `+ w[j] * f[j]` for `j = 1, 2, …` in increasing offset order, each product and each sum
/// rounded (no fused multiply-add). The kernels may visit memory in any order, but each
/// output point is this sum, so results do not depend on layout, blocks or threads.
#[inline(always)]
pub(crate) fn first_term<T: GradientFloat>(f: T, w: T::Real) -> T {
    f.scale(w)
}

/// `acc + w * f`: the next term of a weighted stencil (see [`first_term`]).
#[inline(always)]
pub(crate) fn add_term<T: GradientFloat>(acc: T, f: T, w: T::Real) -> T {
    acc + f.scale(w)
}

/// `x − l · y`: one elimination step of a compact scheme's banded solve ([`crate::compact`]),
/// rounded after the product and after the difference (no fused multiply-add). Every lane takes
/// the same steps in the same order, so its result does not depend on layout, tiles or threads.
#[inline(always)]
pub(crate) fn eliminate<T: GradientFloat>(x: T, y: T, l: T::Real) -> T {
    x - y.scale(l)
}

/// `Σ_j w_j · f_j` over the `width` taps `tap(j) = (f_j, w_j)`, summed as [`first_term`]
/// fixes: one point of a weighted stencil, for the paths that compute a point at a time (edge
/// rules, the ends of a row, stencils wider than the unrolled loops).
#[inline(always)]
pub(crate) fn weighted_sum<T: GradientFloat>(width: usize, tap: impl Fn(usize) -> (T, T::Real)) -> T {
    let (f, w) = tap(0);
    let mut acc = first_term(f, w);
    for j in 1..width {
        let (f, w) = tap(j);
        acc = add_term(acc, f, w);
    }
    acc
}

/// How one output point is computed from the samples at `i + offset`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Rule<R> {
    /// `(f[i + hi] - f[i + lo]) / d` (NumPy's first-order edges; `recip` is `1 / d` when that
    /// is exact).
    Difference {
        lo: isize,
        hi: isize,
        d: R,
        recip: Option<R>,
    },
    /// `Σ w[j] * f[i + offsets[j]]`, summed as [`first_term`] says.
    Weighted { offsets: Vec<isize>, w: Vec<R> },
}

impl<R: Float> Rule<R> {
    fn difference(lo: isize, hi: isize, d: R) -> Self {
        Rule::Difference {
            lo,
            hi,
            d,
            recip: exact_reciprocal(d),
        }
    }

    /// The value from the sample at each offset (`sample(o)` is `f[i + o]`).
    #[inline(always)]
    pub(crate) fn apply<T: GradientFloat<Real = R>>(&self, sample: impl Fn(isize) -> T) -> T {
        match self {
            Rule::Difference { lo, hi, recip, .. } if recip.is_some() && T::EXACT_RECIPROCAL => {
                difference(sample(*lo), sample(*hi), ExactReciprocal(recip.expect("checked")))
            }
            Rule::Difference { lo, hi, d, .. } => difference(sample(*lo), sample(*hi), Divide(*d)),
            Rule::Weighted { offsets, w } => weighted_sum(w.len(), |j| (sample(offsets[j]), w[j])),
        }
    }

    fn is_finite(&self) -> bool {
        match self {
            Rule::Difference { d, .. } => d.is_finite() && *d != R::zero(),
            Rule::Weighted { w, .. } => w.iter().all(|c| c.is_finite()),
        }
    }
}

/// The rule for the interior points `lo..hi` of an axis.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Interior<R> {
    /// `difference(f[i-1], f[i+1], 2h)`: NumPy's uniform interior.
    Uniform { two_h: R },
    /// `Σ w[j] * f[i + offsets[j]]`, the same weights at every point (uniform grids).
    Taps { offsets: Vec<isize>, w: Vec<R> },
    /// `Σ w[j][i - lo] * f[i + offsets[j]]`: weights of their own at every point (coordinate
    /// arrays), stored tap by tap so that a kernel reads each tap's weights in order.
    PerPoint { offsets: Vec<isize>, w: Vec<Vec<R>> },
}

impl<R: Float> Interior<R> {
    /// The offsets the interior rule reads, in summation order.
    pub(crate) fn offsets(&self) -> &[isize] {
        match self {
            Interior::Uniform { .. } => &[-1, 1],
            Interior::Taps { offsets, .. } | Interior::PerPoint { offsets, .. } => offsets,
        }
    }

    fn is_finite(&self) -> bool {
        match self {
            Interior::Uniform { two_h } => two_h.is_finite(),
            Interior::Taps { w, .. } => w.iter().all(|c| c.is_finite()),
            Interior::PerPoint { w, .. } => w.iter().flatten().all(|c| c.is_finite()),
        }
    }
}

/// Everything needed to differentiate along one axis of a given length: the interior rule
/// for the points `lo..hi`, and a rule of its own for each other point.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AxisStencil<R> {
    pub(crate) len: usize,
    /// Whether offsets that leave `0..len` wrap around.
    pub(crate) periodic: bool,
    pub(crate) lo: usize,
    pub(crate) hi: usize,
    pub(crate) interior: Interior<R>,
    /// The rules of the points outside `lo..hi`, in increasing point order.
    pub(crate) edges: Vec<(usize, Rule<R>)>,
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

/// The coordinates of an axis as the general stencils see them: the point positions, and for
/// a periodic axis the step from the last point to the first point of the next period.
struct Grid<R> {
    steps: Steps<R>,
    /// `Some(step)` for a periodic axis.
    wrap: Option<R>,
    /// Whether the spacing was given as coordinates.
    coordinates: bool,
}

impl<R: Float> Grid<R> {
    fn new(axis: usize, len: usize, settings: &AxisSettings<'_, R>) -> Result<Self, GradientError> {
        let steps = Steps::new(axis, len, &settings.spacing)?;
        let wrap = match (settings.boundary, &settings.spacing) {
            (Boundary::OneSided, _) => None,
            (Boundary::Periodic, Spacing::Uniform(h)) => Some(*h),
            (Boundary::Periodic, Spacing::Coordinates(_)) => return Err(GradientError::PeriodRequired { axis }),
            (Boundary::PeriodicWithLength(period), spacing) => {
                // The span x[n-1] - x[0] in the direction of the coordinates, rounded (for the
                // error message and the overflow check).
                let span = match spacing {
                    Spacing::Uniform(h) => *h * R::from(len.saturating_sub(1)).unwrap_or(R::infinity()),
                    Spacing::Coordinates(x) if len > 0 => x[len - 1] - x[0],
                    Spacing::Coordinates(_) => R::zero(),
                };
                let dir = match &steps {
                    Steps::Uniform(h) => h.signum(),
                    Steps::NonUniform(d) => d[0].signum(),
                };
                let step = match exact_span(spacing, len) {
                    Some(exact) => wrap_step(dir * period, exact),
                    None => dir * period - span,
                };
                if !(period.is_finite() && span.is_finite() && step.is_finite() && step * dir > R::zero()) {
                    return Err(GradientError::InvalidPeriod {
                        axis,
                        period: period.to_f64().unwrap_or(f64::NAN),
                        span: span.abs().to_f64().unwrap_or(f64::NAN),
                    });
                }
                Some(step)
            }
        };
        // A periodic axis whose wrap step equals its uniform step is uniform.
        let steps = match (steps, wrap) {
            (Steps::Uniform(h), Some(w)) if w != h && len > 1 => Steps::NonUniform(vec![h; len - 1]),
            (steps, _) => steps,
        };
        let coordinates = matches!(settings.spacing, Spacing::Coordinates(_));
        Ok(Grid {
            steps,
            wrap,
            coordinates,
        })
    }

    /// The spacing for the accuracy-order stencils when they take the uniform scheme: a
    /// uniform spacing given as a number (with, if periodic, the same wrap step). Coordinates
    /// always take the non-uniform scheme, as in findiff, even when their steps are equal.
    fn uniform_scheme(&self) -> Option<R> {
        if self.coordinates { None } else { self.is_uniform() }
    }

    fn is_uniform(&self) -> Option<R> {
        match self.steps {
            Steps::Uniform(h) => Some(h),
            Steps::NonUniform(_) => None,
        }
    }

    /// The step from point `k` to point `k + 1` (`k = len - 1` is the wrap step).
    fn step(&self, k: usize) -> R {
        match &self.steps {
            Steps::Uniform(h) => *h,
            Steps::NonUniform(d) => d.get(k).copied().or(self.wrap).expect("a step or the wrap"),
        }
    }

    /// The step shared by every step between the samples `i + offsets` (increasing offsets,
    /// wrapped on a periodic axis), or `None` if they are not all equal.
    fn common_step(&self, len: usize, i: usize, offsets: &[isize]) -> Option<R> {
        let (&first, &last) = (offsets.first()?, offsets.last()?);
        let step_at = |k: isize| self.step(k.rem_euclid(len as isize) as usize);
        let h = step_at(i as isize + first);
        (i as isize + first..i as isize + last)
            .all(|k| step_at(k) == h)
            .then_some(h)
    }

    /// The position of sample `i + o` relative to point `i`, in `f64`, unwrapping periodic
    /// offsets across as many periods as needed.
    fn relative(&self, len: usize, i: usize, o: isize) -> f64 {
        let mut x = 0.0;
        let mut k = i as isize;
        let to_f64 = |v: R| v.to_f64().unwrap_or(f64::NAN);
        while k < i as isize + o {
            x += to_f64(self.step(k.rem_euclid(len as isize) as usize));
            k += 1;
        }
        while k > i as isize + o {
            k -= 1;
            x -= to_f64(self.step(k.rem_euclid(len as isize) as usize));
        }
        x
    }
}

/// The span `x[n-1] - x[0]` of an axis, exactly, as the unevaluated sum `hi + lo` of two `f64`:
/// `h · (n - 1)` for a uniform spacing `h` (exact for axes of fewer than 2⁵³ points), the
/// difference of the end coordinates otherwise. `None` where it overflows, or where the error
/// term of a product is not exact because it underflows (`|h · (n - 1)|` below about 2⁻⁹⁶⁹).
fn exact_span<R: Float>(spacing: &Spacing<'_, R>, len: usize) -> Option<(f64, f64)> {
    let to_f64 = |v: R| v.to_f64().unwrap_or(f64::NAN); // exact for f32 and f64
    let (hi, lo) = match spacing {
        Spacing::Uniform(h) => two_product(to_f64(*h), len.saturating_sub(1) as f64)?,
        Spacing::Coordinates(x) if len > 0 => two_sum(to_f64(x[len - 1]), -to_f64(x[0])),
        Spacing::Coordinates(_) => (0.0, 0.0),
    };
    let tiny = 2f64.powi(-969);
    let product_exact = !matches!(spacing, Spacing::Uniform(_)) || hi == 0.0 || hi.abs() >= tiny;
    (hi.is_finite() && lo.is_finite() && product_exact).then_some((hi, lo))
}

/// The step across the wrap of a periodic axis, `signed_period - (hi + lo)` for the exact span
/// `hi + lo` (see [`exact_span`]): within one ulp of the exact value, and correctly rounded
/// when the period and the span are within a factor of two of each other (the usual case, a
/// period of about `n · h`, where `L - fl(h · (n - 1))` loses up to `log2(n)` bits).
///
/// `(s, t) = two_sum(L, -hi)` is `L - hi` exactly; then `s + (t - lo)` rounds twice at most.
/// When `L` and `hi` are within a factor of two, `t = 0` (Sterbenz) and the result is `s - lo`
/// rounded once. Otherwise `|s| ≥ max(|L|, |hi|) / 2`, so `|t - lo|` is at most 1.5 ulp of
/// `s`; its rounding error, `2⁻⁵³` of that, adds far less than half an ulp to the final
/// rounding's half ulp. `f32` axes take the same `f64` arithmetic (their values, and their
/// products by `n - 1 < 2²⁹`, are exact there) and one more rounding, to `f32`: within one ulp
/// of `f32`, and correctly rounded wherever the `f64` result was exact.
fn wrap_step<R: Float>(signed_period: R, (hi, lo): (f64, f64)) -> R {
    let period = signed_period.to_f64().unwrap_or(f64::NAN);
    let (s, t) = two_sum(period, -hi);
    R::from(s + (t - lo)).unwrap_or(R::nan())
}

/// `a + b = s + t` exactly, `s = fl(a + b)` (Knuth's two-sum; any finite `a`, `b` whose sum
/// does not overflow).
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let b_virtual = s - a;
    let a_virtual = s - b_virtual;
    (s, (a - a_virtual) + (b - b_virtual))
}

/// `a · b = p + e` exactly, `p = fl(a · b)`, when nothing overflows or underflows: Dekker's
/// two-product on Veltkamp's splits, in plain multiplications and additions. `e` could also be
/// `a.mul_add(b, -p)`, exact as well (the standard library falls back to a software fused
/// multiply-add where the processor has none), but the crate uses no fused multiply-add
/// anywhere, and this keeps it so at no cost worth counting (one call per periodic axis).
fn two_product(a: f64, b: f64) -> Option<(f64, f64)> {
    let p = a * b;
    let (ah, al) = split(a)?;
    let (bh, bl) = split(b)?;
    let e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
    (p.is_finite() && e.is_finite()).then_some((p, e))
}

/// `a = hi + lo` with `hi` and `lo` of at most 26 significant bits each (Veltkamp), so that
/// products of halves are exact; `None` where `a · (2²⁷ + 1)` overflows.
fn split(a: f64) -> Option<(f64, f64)> {
    const SPLITTER: f64 = 134_217_729.0; // 2^27 + 1
    let c = SPLITTER * a;
    let hi = c - (c - a);
    c.is_finite().then_some((hi, a - hi))
}

impl<R: Float> AxisStencil<R> {
    /// Validates the settings of an axis of length `len` and computes its coefficients.
    ///
    /// Besides NumPy's own checks, a spacing so extreme that a coefficient overflows (`2h`,
    /// `1.5 / h`, `dx1 * (dx1 + dx2)`, ...) is refused: NumPy would silently return `0`, `inf`
    /// or `nan` there.
    pub(crate) fn new(axis: usize, len: usize, settings: &AxisSettings<'_, R>) -> Result<Self, GradientError> {
        let stencil = Self::checked(axis, len, settings)?;
        let min = stencil.min_len;
        if len < min {
            return Err(GradientError::AxisTooShort { axis, len, min });
        }
        let stencil = stencil.build(len);
        if !stencil.is_finite() {
            return Err(GradientError::InvalidSpacing {
                axis,
                spacing: culprit(&Steps::new(axis, len, &settings.spacing)?),
            });
        }
        Ok(stencil)
    }

    /// Checks everything but the axis length: the orders, the spacing and the boundary. For
    /// axes a call does not differentiate.
    pub(crate) fn check_settings(axis: usize, len: usize, settings: &AxisSettings<'_, R>) -> Result<(), GradientError> {
        Self::checked(axis, len, settings).map(|_| ())
    }

    fn checked<'s>(axis: usize, len: usize, settings: &AxisSettings<'s, R>) -> Result<Scheme<R>, GradientError> {
        crate::coefficients::check_derivative(settings.derivative)?;
        if let Some(p) = settings.accuracy {
            crate::coefficients::check_orders(settings.derivative, p)?;
        }
        let grid = Grid::new(axis, len, settings)?;
        let numpy = settings.derivative == 1 && matches!(settings.accuracy, None | Some(2));
        let periodic = grid.wrap.is_some();
        let (kind, min_len) = if numpy && !periodic {
            let edge = if settings.accuracy == Some(2) {
                EdgeOrder::Second
            } else {
                settings.edge_order
            };
            (Kind::Numpy(edge), edge.min_len())
        } else if numpy {
            (Kind::NumpyPeriodic, 1)
        } else {
            let p = settings.accuracy.unwrap_or(2);
            let (s, w) = crate::coefficients::widths(settings.derivative, p);
            // findiff: uniform one-sided stencils start at the point (s + w - 1 points needed);
            // on coordinates the w points nearest the end serve the s points there.
            let min = match (periodic, grid.uniform_scheme()) {
                (true, _) => 1,
                (false, Some(_)) => s + w - 1,
                (false, None) => w,
            };
            (
                Kind::Fornberg {
                    m: settings.derivative,
                    p,
                },
                min,
            )
        };
        Ok(Scheme { grid, kind, min_len })
    }

    fn is_finite(&self) -> bool {
        self.interior.is_finite() && self.edges.iter().all(|(_, r)| r.is_finite())
    }

    /// The sample index that offset `o` from point `i` reads, wrapped on a periodic axis.
    #[inline(always)]
    pub(crate) fn sample(&self, i: usize, o: isize) -> usize {
        let g = i as isize + o;
        if self.periodic {
            g.rem_euclid(self.len as isize) as usize
        } else {
            g as usize
        }
    }
}

impl<R: Float> AxisStencil<R> {
    /// The same rules seen from a window of `len` samples whose first is the global sample
    /// `origin` (negative, or past the end, for the wrapped samples of a periodic axis): every
    /// point of the axis inside the window keeps its rule, and reads the window at
    /// `i - origin + offset`, never wrapping. For computing a block from the block plus its halo.
    pub(crate) fn window(&self, origin: isize, len: usize) -> AxisStencil<R> {
        let clamp = |g: usize| (g as isize - origin).clamp(0, len as isize) as usize;
        let (lo, hi) = (clamp(self.lo), clamp(self.hi).max(clamp(self.lo)));
        let interior = match &self.interior {
            Interior::PerPoint { offsets, w } => {
                // Window point lo' is global point lo' + origin, whose weights sit at lo' + origin - self.lo.
                let skip = (lo as isize + origin - self.lo as isize).max(0) as usize;
                Interior::PerPoint {
                    offsets: offsets.clone(),
                    w: w.iter()
                        .map(|wj| wj[skip.min(wj.len())..(skip + hi - lo).min(wj.len())].to_vec())
                        .collect(),
                }
            }
            other => other.clone(),
        };
        let edges = self
            .edges
            .iter()
            .filter(|(p, _)| (origin..origin + len as isize).contains(&(*p as isize)))
            .map(|(p, rule)| ((*p as isize - origin) as usize, rule.clone()))
            .collect();
        AxisStencil {
            len,
            periodic: false,
            lo,
            hi,
            interior,
            edges,
        }
    }

    /// The rule of point `p` (`0..len`), whether interior or edge: the interior rule written
    /// as a [`Rule`] with the same operands in the same order, so that it computes the same
    /// bits.
    pub(crate) fn rule_at(&self, p: usize) -> Rule<R> {
        if (self.lo..self.hi).contains(&p) {
            return match &self.interior {
                Interior::Uniform { two_h } => Rule::difference(-1, 1, *two_h),
                Interior::Taps { offsets, w } => Rule::Weighted {
                    offsets: offsets.clone(),
                    w: w.clone(),
                },
                Interior::PerPoint { offsets, w } => Rule::Weighted {
                    offsets: offsets.clone(),
                    w: w.iter().map(|wj| wj[p - self.lo]).collect(),
                },
            };
        }
        let at = self.edges.binary_search_by_key(&p, |(q, _)| *q);
        self.edges[at.expect("every point outside lo..hi has an edge rule")]
            .1
            .clone()
    }

    /// [`window`](Self::window) for any window of a periodic axis, also one whose points run
    /// past the ends (global point `p` is point `p mod len`, with its rule): for composed
    /// operators, whose inner derivatives are needed on the halo of an outer one along the
    /// same periodic axis. Every rule is an edge rule (a point at a time), which only these
    /// rare chains pay. On an axis that is not periodic, or a window within `0..len`, it is
    /// `window`.
    pub(crate) fn window_unwrapped(&self, origin: isize, len: usize) -> AxisStencil<R> {
        let n = self.len as isize;
        if !self.periodic || (origin >= 0 && origin + len as isize <= n) {
            return self.window(origin, len);
        }
        let edges = (0..len)
            .filter_map(|i| {
                let rule = self.rule_at((origin + i as isize).rem_euclid(n) as usize);
                let offsets = match &rule {
                    Rule::Difference { lo, hi, .. } => vec![*lo, *hi],
                    Rule::Weighted { offsets, .. } => offsets.clone(),
                };
                let inside = offsets.iter().all(|&o| (0..len as isize).contains(&(i as isize + o)));
                inside.then_some((i, rule))
            })
            .collect();
        AxisStencil {
            len,
            periodic: false,
            lo: 0,
            hi: 0,
            interior: match &self.interior {
                Interior::PerPoint { offsets, w } => Interior::PerPoint {
                    offsets: offsets.clone(),
                    w: vec![Vec::new(); w.len()],
                },
                other => other.clone(),
            },
            edges,
        }
    }

    /// [`reach`](Self::reach) of the points `start..start + m` given unwrapped (`start` below 0
    /// or points from `len` on, on a periodic axis): each period's piece shifted by its
    /// period. The same as `reach` for points within `0..len`.
    pub(crate) fn reach_unwrapped(&self, start: isize, m: usize) -> Option<(isize, isize)> {
        let n = self.len as isize;
        if start >= 0 && start + m as isize <= n || !self.periodic || n == 0 {
            return self.reach(start.max(0) as usize, m);
        }
        let (mut lo, mut hi, mut p) = (isize::MAX, isize::MIN, start);
        let end = start + m as isize;
        while p < end {
            let shift = p.div_euclid(n) * n;
            let piece = (end - p).min(n - (p - shift));
            if let Some((a, b)) = self.reach((p - shift) as usize, piece as usize) {
                (lo, hi) = (lo.min(a + shift), hi.max(b + shift));
            }
            p += piece;
        }
        (lo <= hi).then_some((lo, hi))
    }

    /// What a block of the output points `start..start + m` computed on its own needs (axis not
    /// periodic): the samples it reads (`lo..hi`) and the block's window of the stencil over
    /// them, which keeps every point's whole-array rule and operands when the block's first
    /// point is `start - lo` into them ([`crate::kernel::Term::first`]).
    pub(crate) fn block_window(&self, start: usize, m: usize) -> (std::ops::Range<usize>, AxisStencil<R>) {
        let (lo, hi) = self.reach(start, m).expect("a block of points");
        let (lo, hi) = (lo as usize, hi as usize + 1);
        (lo..hi, self.window(lo as isize, hi - lo))
    }

    /// How many samples beyond itself an interior point reads, both sides together: the halo
    /// a block of points costs along this axis.
    pub(crate) fn interior_width(&self) -> usize {
        self.reach(self.len / 2, 1).map_or(0, |(lo, hi)| (hi - lo) as usize)
    }

    /// The first and last global sample (unwrapped: below 0 or from `len` on for a periodic
    /// axis) that the output points `start..start + m` read; `None` for no points.
    pub(crate) fn reach(&self, start: usize, m: usize) -> Option<(isize, isize)> {
        if m == 0 {
            return None;
        }
        let end = start + m;
        let mut lo = isize::MAX;
        let mut hi = isize::MIN;
        let (a, b) = (start.max(self.lo), end.min(self.hi));
        if a < b {
            let offsets = self.interior.offsets();
            lo = lo.min(a as isize + offsets.iter().min().copied().unwrap_or(0));
            hi = hi.max(b as isize - 1 + offsets.iter().max().copied().unwrap_or(0));
        }
        for (p, rule) in &self.edges {
            if (start..end).contains(p) {
                let offsets = match rule {
                    Rule::Difference { lo, hi, .. } => vec![*lo, *hi],
                    Rule::Weighted { offsets, .. } => offsets.clone(),
                };
                for o in offsets {
                    lo = lo.min(*p as isize + o);
                    hi = hi.max(*p as isize + o);
                }
            }
        }
        Some((lo, hi))
    }
}

/// The step to name in an `InvalidSpacing` error: the one whose size is furthest from 1.
fn culprit<R: Float>(steps: &Steps<R>) -> f64 {
    let h = match steps {
        Steps::Uniform(h) => *h,
        Steps::NonUniform(d) => {
            let max = d.iter().fold(R::zero(), |m, &v| m.max(v.abs()));
            let min = d.iter().fold(R::infinity(), |m, &v| m.min(v.abs()));
            if max.ln() > -min.ln() { max } else { min }
        }
    };
    h.to_f64().unwrap_or(f64::NAN)
}

/// Which family of formulas an axis uses.
enum Kind {
    /// NumPy's `np.gradient` with this edge order.
    Numpy(EdgeOrder),
    /// NumPy's interior formula at every point, with wrapped neighbours.
    NumpyPeriodic,
    /// Weights of derivative order `m` and accuracy order `p` (findiff's scheme).
    Fornberg { m: usize, p: usize },
}

/// A checked axis, before its weights are computed.
struct Scheme<R> {
    grid: Grid<R>,
    kind: Kind,
    min_len: usize,
}

impl<R: Float> Scheme<R> {
    fn build(self, n: usize) -> AxisStencil<R> {
        match self.kind {
            Kind::Numpy(edge) => numpy(n, &self.grid.steps, edge),
            Kind::NumpyPeriodic => numpy_periodic(n, &self.grid),
            Kind::Fornberg { m, p } => fornberg(n, &self.grid, m, p),
        }
    }
}

fn c<R: Float>(v: f64) -> R {
    R::from(v).expect("a small constant is representable")
}

/// A product that overflows or underflows to zero makes a coefficient non-finite or zero
/// where it should not be: NaN then, which `is_finite` catches.
fn den<R: Float>(p: R) -> R {
    if p.is_finite() && p != R::zero() { p } else { R::nan() }
}

/// NumPy's three weights for the interior point between steps `dx1` and `dx2`.
fn numpy_interior<R: Float>(dx1: R, dx2: R) -> [R; 3] {
    [
        (-dx2) / den(dx1 * (dx1 + dx2)),
        (dx2 - dx1) / den(dx1 * dx2),
        dx1 / den(dx2 * (dx1 + dx2)),
    ]
}

fn tap_major<R: Copy>(per_point: &[Vec<R>], width: usize) -> Vec<Vec<R>> {
    (0..width).map(|j| per_point.iter().map(|w| w[j]).collect()).collect()
}

/// NumPy's `np.gradient` along an axis of `n >= edge.min_len()` points.
fn numpy<R: Float>(n: usize, steps: &Steps<R>, edge_order: EdgeOrder) -> AxisStencil<R> {
    let two = c::<R>(2.0);
    let weighted = |offsets: [isize; 3], w: [R; 3]| Rule::Weighted {
        offsets: offsets.to_vec(),
        w: w.to_vec(),
    };
    let (interior, first, last) = match *steps {
        Steps::Uniform(h) => {
            let (first, last) = match edge_order {
                EdgeOrder::First => (Rule::difference(0, 1, h), Rule::difference(-1, 0, h)),
                EdgeOrder::Second => (
                    weighted([0, 1, 2], [c::<R>(-1.5) / h, two / h, c::<R>(-0.5) / h]),
                    weighted([-2, -1, 0], [c::<R>(0.5) / h, -two / h, c::<R>(1.5) / h]),
                ),
            };
            (Interior::Uniform { two_h: two * h }, first, last)
        }
        Steps::NonUniform(ref d) => {
            // Tap-major from the start: three vectors, not one small one per point.
            let mut w: Vec<Vec<R>> = (0..3).map(|_| Vec::with_capacity(n.saturating_sub(2))).collect();
            for p in d.windows(2) {
                for (wj, c) in w.iter_mut().zip(numpy_interior(p[0], p[1])) {
                    wj.push(c);
                }
            }
            let (first, last) = match edge_order {
                EdgeOrder::First => (Rule::difference(0, 1, d[0]), Rule::difference(-1, 0, d[n - 2])),
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
                    (weighted([0, 1, 2], first), weighted([-2, -1, 0], last))
                }
            };
            let interior = Interior::PerPoint {
                offsets: vec![-1, 0, 1],
                w,
            };
            (interior, first, last)
        }
    };
    AxisStencil {
        len: n,
        periodic: false,
        lo: 1,
        hi: n - 1,
        interior,
        edges: vec![(0, first), (n - 1, last)],
    }
}

/// NumPy's interior formula at every point of a periodic axis: the same bits as `np.gradient`
/// of the array padded by one wrapped sample on each side (`np.pad(f, 1, mode="wrap")`), with
/// the coordinates extended by one period.
fn numpy_periodic<R: Float>(n: usize, grid: &Grid<R>) -> AxisStencil<R> {
    let (lo, hi) = (1.min(n), n.saturating_sub(1).max(1.min(n)));
    let edge_points: Vec<usize> = (0..lo).chain(hi..n).collect();
    match grid.is_uniform() {
        Some(h) => {
            let two_h = c::<R>(2.0) * h;
            AxisStencil {
                len: n,
                periodic: true,
                lo,
                hi,
                interior: Interior::Uniform { two_h },
                edges: edge_points
                    .into_iter()
                    .map(|i| (i, Rule::difference(-1, 1, two_h)))
                    .collect(),
            }
        }
        None => {
            let weights = |i: usize| numpy_interior(grid.step((i + n - 1) % n), grid.step(i));
            let mut per_point: Vec<Vec<R>> = (0..3).map(|_| Vec::with_capacity(hi - lo)).collect();
            for i in lo..hi {
                for (wj, c) in per_point.iter_mut().zip(weights(i)) {
                    wj.push(c);
                }
            }
            AxisStencil {
                len: n,
                periodic: true,
                lo,
                hi,
                interior: Interior::PerPoint {
                    offsets: vec![-1, 0, 1],
                    w: per_point,
                },
                edges: edge_points
                    .into_iter()
                    .map(|i| {
                        let w = weights(i).to_vec();
                        (
                            i,
                            Rule::Weighted {
                                offsets: vec![-1, 0, 1],
                                w,
                            },
                        )
                    })
                    .collect(),
            }
        }
    }
}

/// findiff's scheme: the centred stencil of accuracy `p` for the `m`-th derivative inside,
/// and one-sided stencils of the same accuracy at the `s` points nearest each end (forward
/// ones starting at the point, backward ones ending at it); on a periodic axis the centred
/// stencil everywhere, wrapping. Weights from exact rationals on uniform grids, from Fornberg's
/// algorithm at the actual positions otherwise.
fn fornberg<R: Float>(n: usize, grid: &Grid<R>, m: usize, p: usize) -> AxisStencil<R> {
    let (s, w) = crate::coefficients::widths(m, p);
    let periodic = grid.wrap.is_some();
    let wi = w as isize;
    match grid.uniform_scheme() {
        Some(h) => {
            let (lo, hi) = (s.min(n), n.saturating_sub(s).max(s.min(n)));
            let si = s as isize;
            let centre: Vec<isize> = (-si..=si).collect();
            let hm = h.powi(m as i32);
            let scaled = |offsets: &[isize]| -> (Vec<isize>, Vec<R>) {
                let weights = crate::coefficients::cached_integer_weights(m, offsets);
                // Zero weights (the centre of odd derivatives) read nothing, as in NumPy.
                offsets
                    .iter()
                    .zip(weights)
                    .filter(|(_, c)| *c != 0.0)
                    .map(|(&o, c)| (o, R::from(c).map_or(R::nan(), |c| c / den(hm))))
                    .unzip()
            };
            let (offsets, wts) = scaled(&centre);
            let edges = (0..lo)
                .chain(hi..n)
                .map(|i| {
                    let one_sided: Vec<isize> = if periodic {
                        centre.clone()
                    } else if i < lo {
                        (0..wi).collect()
                    } else {
                        (1 - wi..=0).collect()
                    };
                    let (offsets, w) = scaled(&one_sided);
                    (i, Rule::Weighted { offsets, w })
                })
                .collect();
            AxisStencil {
                len: n,
                periodic,
                lo,
                hi,
                interior: Interior::Taps { offsets, w: wts },
                edges,
            }
        }
        None => {
            // findiff 0.16 on coordinates: a centred stencil has no symmetry bonus on an uneven
            // grid, so it takes 2⌊w/2⌋ + 1 points (w, or w + 1 for even m) to reach order p;
            // the ⌊w/2⌋ points nearest each end use the w points nearest that end.
            let side = w / 2;
            let (lo, hi) = (side.min(n), n.saturating_sub(side).max(side.min(n)));
            let si = side as isize;
            let centre: Vec<isize> = (-si..=si).collect();
            let offsets_of = |i: usize| -> Vec<isize> {
                if periodic {
                    centre.clone()
                } else if i < lo {
                    let i = i as isize;
                    (-i..wi - i).collect()
                } else {
                    let k = (n - 1 - i) as isize;
                    (1 - wi + k..=k).collect()
                }
            };
            let weights_at = |i: usize, offsets: &[isize]| -> Vec<R> {
                // Every step of the stencil equal: the samples sit at exactly o·h, and the
                // weights are the exact rationals over hᵐ, computed as the uniform scheme does.
                if let Some(h) = grid.common_step(n, i, offsets) {
                    let hm = h.powi(m as i32);
                    return crate::coefficients::cached_integer_weights(m, offsets)
                        .into_iter()
                        .map(|c| R::from(c).map_or(R::nan(), |c| c / den(hm)))
                        .collect();
                }
                let x: Vec<f64> = offsets.iter().map(|&o| grid.relative(n, i, o)).collect();
                let mut w =
                    crate::coefficients::fornberg_weights(m, 0.0, &x).unwrap_or_else(|_| vec![f64::NAN; offsets.len()]);
                mirror_symmetric(m, &x, &mut w);
                w.into_iter().map(|v| R::from(v).unwrap_or(R::nan())).collect()
            };
            let per_point: Vec<Vec<R>> = (lo..hi).map(|i| weights_at(i, &centre)).collect();
            let edges = (0..lo)
                .chain(hi..n)
                .map(|i| {
                    let (offsets, w) = nonzero_taps(&offsets_of(i), &weights_at(i, &offsets_of(i)));
                    (i, Rule::Weighted { offsets, w })
                })
                .collect();
            // The same weights at every interior point (every step equal): one tap list, and
            // zero weights (the centre of odd derivatives) read nothing, as in the uniform
            // scheme. Otherwise every point reads every tap, an exact 0 weight included.
            let interior = match per_point.first() {
                Some(first) if per_point.iter().all(|w| w == first) => {
                    let (offsets, w) = nonzero_taps(&centre, first);
                    Interior::Taps { offsets, w }
                }
                _ => Interior::PerPoint {
                    w: tap_major(&per_point, centre.len()),
                    offsets: centre,
                },
            };
            AxisStencil {
                len: n,
                periodic,
                lo,
                hi,
                interior,
                edges,
            }
        }
    }
}

/// The taps whose weight is not zero: a zero weight reads nothing, so that a NaN or an
/// infinity in its sample does not reach the result (`0 · NaN` is NaN), as in NumPy.
fn nonzero_taps<R: Float>(offsets: &[isize], w: &[R]) -> (Vec<isize>, Vec<R>) {
    offsets
        .iter()
        .zip(w)
        .filter(|(_, c)| **c != R::zero())
        .map(|(&o, &c)| (o, c))
        .unzip()
}

/// Fornberg's weights in `f64` at positions `x` that mirror each other about 0
/// (`x[len-1-j] == -x[j]` exactly): the exact weights are symmetric for an even derivative and
/// antisymmetric for an odd one, the centre weight of an odd one exactly 0. Rounding breaks
/// that by a few ulp; each mirrored pair is set to the mean of its two computed values, and
/// the centre of an odd derivative to 0.
fn mirror_symmetric(m: usize, x: &[f64], w: &mut [f64]) {
    let len = x.len();
    if len != w.len() || (0..len).any(|j| x[len - 1 - j] != -x[j]) {
        return;
    }
    let sign = if m % 2 == 1 { -1.0 } else { 1.0 };
    for j in 0..len / 2 {
        let mean = (w[j] + sign * w[len - 1 - j]) / 2.0;
        (w[j], w[len - 1 - j]) = (mean, sign * mean);
    }
    if len % 2 == 1 && m % 2 == 1 {
        w[len / 2] = 0.0;
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

    fn settings(spacing: Spacing<'_, f64>, edge_order: EdgeOrder) -> AxisSettings<'_, f64> {
        AxisSettings {
            spacing,
            edge_order,
            accuracy: None,
            derivative: 1,
            boundary: Boundary::OneSided,
            edge_order_given: false,
            derivative_given: false,
        }
    }

    #[test]
    fn overflowing_coefficients_are_refused() {
        // 2h overflows (NumPy: interior 0); 1.5 / h overflows (NumPy: inf edges).
        for (h, edge) in [(1e308, EdgeOrder::First), (5e-324, EdgeOrder::Second)] {
            let err = AxisStencil::new(0, 5, &settings(Spacing::Uniform(h), edge)).unwrap_err();
            assert_eq!(err, GradientError::InvalidSpacing { axis: 0, spacing: h });
        }
        // dx1 * (dx1 + dx2) overflows although every step is finite.
        let x = array![0.0, 1e200, 3e200, 4e200];
        let err =
            AxisStencil::new(2, 4, &settings(Spacing::Coordinates(x.view().into()), EdgeOrder::First)).unwrap_err();
        assert!(matches!(err, GradientError::InvalidSpacing { axis: 2, .. }));
        // Modest values are fine.
        assert!(AxisStencil::new(0, 4, &settings(Spacing::Uniform(1e-300), EdgeOrder::First)).is_ok());
    }

    /// `v = m · 2^e` with an integer `m`, exactly (any finite `f64`).
    fn parts(v: f64) -> (i128, i16) {
        let (mantissa, exponent, sign) = Float::integer_decode(v);
        (i128::from(sign) * mantissa as i128, exponent)
    }

    /// `Σ m_j · 2^(e_j)` over `terms = [(m, e)]`, as an integer in units of `2^e0`: exact, or a
    /// panic (in this test only) if the chosen values would not fit in an `i128`.
    fn scaled(terms: &[(i128, i16)], e0: i16) -> i128 {
        terms.iter().fold(0i128, |acc, &(m, e)| {
            let shift = u32::try_from(e - e0).expect("e0 is the smallest exponent");
            assert!(
                m == 0 || m.unsigned_abs().leading_zeros() > shift + 1,
                "test values too far apart"
            );
            acc.checked_add(m << shift).expect("no overflow")
        })
    }

    /// Whether `got` (an `f64`, or an `f32` widened) is within one ulp of the exact value
    /// `Σ terms` (the exact value lies strictly between the neighbours of `got` in its own
    /// format), and whether it is the nearest such number (correctly rounded).
    fn rounding_of(got: f64, neighbours: (f64, f64), terms: &[(i128, i16)]) -> (bool, bool) {
        let points = [parts(neighbours.0), parts(got), parts(neighbours.1)];
        let e0 = terms.iter().chain(&points).map(|&(_, e)| e).min().unwrap();
        let exact = scaled(terms, e0);
        let [below, at, above] = points.map(|p| scaled(&[p], e0));
        let faithful = below < exact && exact < above;
        let nearest = (at - exact).abs() <= (below - exact).abs() && (at - exact).abs() <= (above - exact).abs();
        (faithful, faithful && nearest)
    }

    fn grid_wrap<R: Float>(len: usize, spacing: Spacing<'_, R>, period: R) -> R {
        let settings = AxisSettings {
            spacing,
            edge_order: EdgeOrder::First,
            accuracy: Some(4),
            derivative: 1,
            boundary: Boundary::PeriodicWithLength(period),
            edge_order_given: false,
            derivative_given: false,
        };
        Grid::new(0, len, &settings).unwrap().wrap.unwrap()
    }

    /// Lengths from 2 to 10⁶, about 20 per decade.
    fn lengths() -> Vec<usize> {
        let mut n: Vec<usize> = (0..=120)
            .map(|k| 10f64.powf(k as f64 / 20.0).round() as usize + 1)
            .collect();
        n.extend([999_999, 1_000_000, 1 << 19, (1 << 19) + 1]);
        n.dedup();
        n
    }

    /// The step across the wrap, `L - h · (n - 1)` and `L - (x[n-1] - x[0])`, against the exact
    /// value of those expressions on the given floating-point numbers (scaled integers): within
    /// one ulp always, correctly rounded when the period is about the span. The plain
    /// `L - fl(h · (n - 1))` fails this from 4 points on, and its error grows with `n` (up to
    /// 4.8·10⁵ ulp for these periods of `n · h` at 10⁶ points).
    #[test]
    fn wrap_step_is_within_an_ulp_of_the_exact_value() {
        let mut cases = 0;
        for h in [
            0.1,
            1.0 / 3.0,
            0.7,
            -0.1,
            2.0 * std::f64::consts::PI / 1000.0,
            1e-3,
            12.345,
        ] {
            for n in lengths() {
                let k = (n - 1) as f64;
                let dir = h.signum();
                // A period of n·h (rounded), of about n·h, and of three times the span.
                for (period, near) in [
                    ((n as f64 * h).abs(), true),
                    ((k + 0.37) * h.abs(), true),
                    (3.0 * k * h.abs(), false),
                ] {
                    let (mh, eh) = parts(h);
                    let (mp, ep) = parts(dir * period);
                    let terms = [(mp, ep), (-mh * (n as i128 - 1), eh)];
                    let step = if n <= 100_000 {
                        grid_wrap(n, Spacing::Uniform(h), period)
                    } else {
                        wrap_step(dir * period, exact_span(&Spacing::Uniform(h), n).unwrap())
                    };
                    let (faithful, nearest) = rounding_of(step, (step.next_down(), step.next_up()), &terms);
                    assert!(faithful, "h={h} n={n} L={period}: step {step:e}");
                    assert!(
                        nearest || !near,
                        "h={h} n={n} L={period}: step {step:e} not correctly rounded"
                    );
                    cases += 1;
                }
                // Coordinates starting at 0.3: only the end points matter.
                let x0 = 0.3 * dir;
                let x = ndarray::array![x0, x0 + h / 2.0, x0 + k * h];
                let period = (n as f64 * h).abs();
                let step = grid_wrap(x.len(), Spacing::Coordinates(x.view().into()), period);
                let (m2, e2) = parts(x[2]);
                let (m0, e0) = parts(x[0]);
                let (mp, ep) = parts(dir * period);
                let terms = [(mp, ep), (-m2, e2), (m0, e0)];
                let (faithful, nearest) = rounding_of(step, (step.next_down(), step.next_up()), &terms);
                assert!(faithful && nearest, "x0={x0} h={h} n={n}: step {step:e}");
                cases += 1;
            }
            // f32 axes: exact in f64, rounded once to f32.
            let h32 = h as f32;
            for n in lengths() {
                let period = n as f32 * h32.abs();
                let dir = h32.signum();
                let step = wrap_step(dir * period, exact_span(&Spacing::Uniform(h32), n).unwrap());
                let (mh, eh) = parts(f64::from(h32));
                let (mp, ep) = parts(f64::from(dir * period));
                let terms = [(mp, ep), (-mh * (n as i128 - 1), eh)];
                let around = (f64::from(step.next_down()), f64::from(step.next_up()));
                let (faithful, nearest) = rounding_of(f64::from(step), around, &terms);
                assert!(faithful && nearest, "f32 h={h32} n={n}: step {step:e}");
                cases += 1;
            }
        }
        assert!(cases > 3000, "{cases} cases");
    }

    fn fornberg_settings(
        spacing: Spacing<'_, f64>,
        m: usize,
        p: usize,
        boundary: Boundary<f64>,
    ) -> AxisSettings<'_, f64> {
        AxisSettings {
            spacing,
            edge_order: EdgeOrder::First,
            accuracy: Some(p),
            derivative: m,
            boundary,
            edge_order_given: false,
            derivative_given: false,
        }
    }

    /// `c / hᵐ` for the exact integer-offset weights `c`: what the uniform scheme computes.
    fn exact_over(m: usize, offsets: &[isize], h: f64) -> Vec<f64> {
        crate::coefficients::exact_integer_weights(m, offsets)
            .unwrap()
            .into_iter()
            .map(|c| c / h.powi(m as i32))
            .collect()
    }

    /// Coordinates with equal steps, and a uniform spacing with a period other than `n · h`:
    /// every stencil whose steps are all equal has the exact weights of the uniform scheme (not
    /// Fornberg's in `f64`, whose centre weight of an odd derivative is a rounding-size
    /// non-zero), and its zero weights are not taps.
    #[test]
    fn equal_steps_get_the_exact_weights_and_no_zero_taps() {
        let n = 24;
        for h in [0.25, -0.25, 0.1] {
            let x = ndarray::Array1::from_iter((0..n).map(|i| 3.0 + i as f64 * h));
            let equal = x.windows(2).into_iter().all(|w| w[1] - w[0] == x[1] - x[0]);
            for (m, p) in [(1, 4), (3, 2), (1, 6), (2, 2), (5, 4)] {
                let (_, w) = crate::coefficients::widths(m, p);
                let side = (w / 2) as isize;
                let centre: Vec<isize> = (-side..=side).filter(|&o| m % 2 == 0 || o != 0).collect();
                let settings = fornberg_settings(Spacing::Coordinates(x.view().into()), m, p, Boundary::OneSided);
                let st = AxisStencil::new(0, n, &settings).unwrap();
                if !equal {
                    // 3 + 0.1·i: steps that differ in their last bits are not equal steps.
                    assert!(matches!(st.interior, Interior::PerPoint { .. }), "h={h}");
                    continue;
                }
                let d = x[1] - x[0];
                let Interior::Taps { offsets, w } = &st.interior else {
                    panic!("h={h} m={m} p={p}: {:?}", st.interior)
                };
                assert_eq!(offsets, &centre, "h={h} m={m} p={p}");
                assert_eq!(w, &exact_over(m, &centre, d), "h={h} m={m} p={p}");
                for (i, rule) in &st.edges {
                    let Rule::Weighted { offsets, w } = rule else { panic!() };
                    assert!(w.iter().all(|&c| c != 0.0));
                    assert_eq!(w, &exact_over(m, offsets, d), "h={h} m={m} p={p} point {i}");
                }
                // Periodic with a period of n·h (wrap step = h): every point exact.
                let period = (x[n - 1] - x[0]) + d;
                let settings = fornberg_settings(
                    Spacing::Coordinates(x.view().into()),
                    m,
                    p,
                    Boundary::PeriodicWithLength(period.abs()),
                );
                let st = AxisStencil::new(0, n, &settings).unwrap();
                assert_eq!(
                    st.interior,
                    Interior::Taps {
                        offsets: centre.clone(),
                        w: exact_over(m, &centre, d)
                    }
                );
                for (_, rule) in &st.edges {
                    assert_eq!(
                        rule,
                        &Rule::Weighted {
                            offsets: centre.clone(),
                            w: exact_over(m, &centre, d)
                        }
                    );
                }
            }
        }
        // A uniform spacing with a period that is not n·h: the interior is exact; the points
        // whose stencil crosses the wrap have Fornberg's weights, none of them zero.
        let (h, m, p) = (0.1, 1, 4);
        let period = 0.1 * n as f64 + 0.05;
        let st = AxisStencil::new(
            0,
            n,
            &fornberg_settings(Spacing::Uniform(h), m, p, Boundary::PeriodicWithLength(period)),
        )
        .unwrap();
        assert_eq!(
            st.interior,
            Interior::Taps {
                offsets: vec![-2, -1, 1, 2],
                w: exact_over(m, &[-2, -1, 1, 2], h)
            }
        );
        assert_eq!(st.edges.len(), 4);
        for (_, rule) in &st.edges {
            let Rule::Weighted { offsets, w } = rule else { panic!() };
            assert_eq!(offsets, &vec![-2, -1, 0, 1, 2]);
            assert!(w[2] != 0.0); // the positions are not symmetric: a true non-zero weight
        }
    }

    /// Positions that mirror each other about a point on an uneven grid (steps 2, 1 | 1, 2):
    /// the weights are exactly antisymmetric (odd derivative) or symmetric (even), the centre
    /// of an odd derivative exactly 0. Such a point still reads its centre tap (the interior's
    /// one tap list serves uneven points too).
    #[test]
    fn mirrored_positions_give_mirrored_weights() {
        let steps = [1.3, 0.7, 2.0, 1.0, 1.0, 2.0, 0.9, 1.1, 0.6, 1.5];
        let x = ndarray::Array1::from_iter(std::iter::once(0.0).chain(steps.iter().scan(0.0, |acc, d| {
            *acc += d;
            Some(*acc)
        })));
        let n = x.len();
        let mirrored = 4; // steps 2, 1 before it and 1, 2 after it
        for (m, p) in [(1, 4), (3, 2), (2, 2)] {
            let st = AxisStencil::new(
                0,
                n,
                &fornberg_settings(Spacing::Coordinates(x.view().into()), m, p, Boundary::OneSided),
            )
            .unwrap();
            let Interior::PerPoint { offsets, w } = &st.interior else {
                panic!()
            };
            assert_eq!(offsets, &vec![-2, -1, 0, 1, 2]);
            let at: Vec<f64> = w.iter().map(|wj| wj[mirrored - st.lo]).collect();
            let sign = if m % 2 == 1 { -1.0 } else { 1.0 };
            for j in 0..5 {
                assert!(at[j] == sign * at[4 - j], "m={m} p={p} tap {j}: {at:?}");
            }
            if m % 2 == 1 {
                assert_eq!(at[2], 0.0);
                // Its neighbours are not mirrored: their centre weight is a true non-zero.
                assert!(w[2][mirrored - 1 - st.lo] != 0.0);
            }
        }
    }

    /// Fornberg's weights in `f64` on uneven grids against the exact rationals (integer
    /// coordinates, so that the exact weights are `exact_integer_weights` of the integer
    /// offsets), steps varying by up to 10×, derivative orders 1 to 4, accuracy 2 to 8: each
    /// weight is within `20 ε · Σ|w_j|` of its exact value, `Σ|w_j|` the stencil's (not within a
    /// few ε of itself). The README states this bound.
    #[test]
    fn uneven_weights_are_within_a_few_eps_of_the_stencil_sum() {
        let mut worst = 0.0f64;
        let mut state = 12345u64;
        let mut next = |k: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % k
        };
        for choices in [&[1i64, 2, 3][..], &[1, 2, 3, 5, 10]] {
            for _grid in 0..6 {
                let n = 40;
                let mut xs = vec![0i64];
                for _ in 1..n {
                    xs.push(xs.last().unwrap() + choices[next(choices.len() as u64) as usize]);
                }
                let x = ndarray::Array1::from_iter(xs.iter().map(|&v| v as f64));
                for m in 1..=4 {
                    for p in (2..=8).step_by(2) {
                        let settings =
                            fornberg_settings(Spacing::Coordinates(x.view().into()), m, p, Boundary::OneSided);
                        let st = AxisStencil::new(0, n, &settings).unwrap();
                        let mut check = |i: usize, offsets: &[isize], w: &[f64]| {
                            // The stencil's samples, zero-weight taps (dropped) included.
                            let all: Vec<isize> = (offsets[0]..=offsets[offsets.len() - 1]).collect();
                            let at = |o: isize| (xs[(i as isize + o) as usize] - xs[i]) as isize;
                            let rel: Vec<isize> = all.iter().map(|&o| at(o)).collect();
                            let exact = crate::coefficients::exact_integer_weights(m, &rel).unwrap();
                            let sum: f64 = exact.iter().map(|c| c.abs()).sum();
                            for (j, &o) in all.iter().enumerate() {
                                let got = offsets.iter().position(|&k| k == o).map_or(0.0, |k| w[k]);
                                worst = worst.max((got - exact[j]).abs() / (f64::EPSILON * sum));
                            }
                        };
                        match &st.interior {
                            Interior::PerPoint { offsets, w } => {
                                for i in st.lo..st.hi {
                                    let wi: Vec<f64> = w.iter().map(|wj| wj[i - st.lo]).collect();
                                    check(i, offsets, &wi);
                                }
                            }
                            other => panic!("{other:?}"),
                        }
                        for (i, rule) in &st.edges {
                            let Rule::Weighted { offsets, w } = rule else { panic!() };
                            check(*i, offsets, w);
                        }
                    }
                }
            }
        }
        // Measured: 17.8, for fourth derivatives at accuracy 8 (at most 8 below the fourth).
        assert!(worst <= 20.0, "worst weight error {worst:.2} ε·Σ|w|");
    }

    #[test]
    fn equal_coordinate_steps_take_the_uniform_path() {
        let x = array![0.0, 0.25, 0.5, 0.75];
        let s = AxisStencil::new(0, 4, &settings(Spacing::Coordinates(x.view().into()), EdgeOrder::First)).unwrap();
        assert_eq!(s.interior, Interior::Uniform { two_h: 0.5 });
        let x = array![0.0, 0.1, 0.35];
        let s = AxisStencil::new(0, 3, &settings(Spacing::Coordinates(x.view().into()), EdgeOrder::First)).unwrap();
        assert!(matches!(s.interior, Interior::PerPoint { .. }));
    }
}
