//! Finite-difference weights: Fornberg's algorithm, and the standard centred, forward and
//! backward stencils for a derivative order and an accuracy order (findiff's
//! `coefficients()`).
//!
//! Weights on integer offsets (uniform grids) are computed in exact rational arithmetic and
//! rounded once to `f64`, so they are the correctly rounded values of the published tables.
//! Weights at arbitrary real positions (coordinate arrays) are computed in `f64`.

use crate::error::GradientError;
use crate::orders::{MAX_ACCURACY, MAX_DERIVATIVE};

/// One finite-difference stencil on a uniform grid of unit spacing: the derivative at offset 0
/// is `Σ weights[j] · f[offsets[j]]` (divide by `hᵐ` for spacing `h`).
///
/// # Example
///
/// ```
/// use ndarray_gradient::coefficients;
///
/// // findiff.coefficients(deriv=1, acc=4)["center"]
/// let c = coefficients(1, 4).unwrap().center;
/// assert_eq!(c.offsets, vec![-2, -1, 0, 1, 2]);
/// assert_eq!(c.weights, vec![1.0 / 12.0, -2.0 / 3.0, 0.0, 2.0 / 3.0, -1.0 / 12.0]);
/// assert_eq!(c.accuracy, 4);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Stencil {
    /// The sample offsets, in increasing order.
    pub offsets: Vec<isize>,
    /// One weight per offset, each the correctly rounded value of the exact rational weight.
    pub weights: Vec<f64>,
    /// The order of the truncation error: the stencil is exact for polynomials of degree below
    /// `derivative + accuracy`.
    pub accuracy: usize,
}

/// The three standard stencils for a derivative order and an accuracy order, as findiff's
/// `coefficients(deriv=m, acc=p)` returns them.
///
/// # Example
///
/// ```
/// use ndarray_gradient::coefficients;
///
/// // findiff.coefficients(deriv=2, acc=2)
/// let c = coefficients(2, 2).unwrap();
/// assert_eq!(c.center.weights, vec![1.0, -2.0, 1.0]);
/// assert_eq!(c.forward.offsets, vec![0, 1, 2, 3]);
/// assert_eq!(c.forward.weights, vec![2.0, -5.0, 4.0, -1.0]);
/// assert_eq!(c.backward.weights, vec![-1.0, 4.0, -5.0, 2.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Coefficients {
    /// The centred stencil, `-s..=s`.
    pub center: Stencil,
    /// The one-sided stencil starting at the point, `0..w`, of the same accuracy.
    pub forward: Stencil,
    /// The one-sided stencil ending at the point, `-(w-1)..=0`, of the same accuracy.
    pub backward: Stencil,
}

/// The centred, forward and backward stencils of accuracy order `accuracy` for the
/// `derivative`-th derivative: findiff's `coefficients(deriv=derivative, acc=accuracy)`.
///
/// The centred stencil has `2⌊(m+1)/2⌋ − 1 + p` points; the one-sided ones have as many for odd
/// `m` and one more for even `m`, so that all three have accuracy `p`.
///
/// # Errors
///
/// [`GradientError::InvalidDerivative`] unless `1 <= derivative <= MAX_DERIVATIVE`;
/// [`GradientError::InvalidAccuracy`] unless `accuracy` is even and `2 <= accuracy <= MAX_ACCURACY`.
///
/// # Example
///
/// ```
/// use ndarray_gradient::coefficients;
///
/// // findiff.coefficients(deriv=1, acc=2)["forward"]: NumPy's edge_order=2 edge
/// let c = coefficients(1, 2).unwrap();
/// assert_eq!(c.forward.weights, vec![-1.5, 2.0, -0.5]);
/// assert!(coefficients(1, 3).is_err()); // odd accuracy
/// ```
pub fn coefficients(derivative: usize, accuracy: usize) -> Result<Coefficients, GradientError> {
    check_orders(derivative, accuracy)?;
    let (side, width) = widths(derivative, accuracy);
    let side = side as isize;
    let width = width as isize;
    let stencil = |offsets: Vec<isize>| {
        let weights = integer_weights(derivative, &offsets);
        let accuracy = order_of_accuracy(derivative, &offsets);
        Stencil {
            offsets,
            weights,
            accuracy,
        }
    };
    Ok(Coefficients {
        center: stencil((-side..=side).collect()),
        forward: stencil((0..width).collect()),
        backward: stencil((1 - width..=0).collect()),
    })
}

/// The weights of the `derivative`-th derivative at `x0` from samples at `positions` (any
/// distinct real numbers, in any order): Fornberg's algorithm (Math. Comp. 51, 1988), in `f64`.
/// findiff's `coefficients(deriv, offsets=...)` for integer offsets; any real positions here.
///
/// # Errors
///
/// [`GradientError::InvalidDerivative`] for a derivative order of 0 or above `MAX_DERIVATIVE`;
/// [`GradientError::InvalidOffsets`] unless there are more positions than the derivative
/// order, all finite and distinct.
///
/// # Example
///
/// ```
/// use ndarray_gradient::fornberg_weights;
///
/// // The second derivative from three unevenly spaced samples.
/// // findiff: coefficients(deriv=2, offsets=[-1, 0, 2])["coefficients"] (its ⅔ is one ulp above)
/// let w = fornberg_weights(2, 0.0, &[-1.0, 0.0, 2.0]).unwrap();
/// assert_eq!(w, vec![2.0 / 3.0, -1.0, 1.0 / 3.0]);
///
/// // Real positions, which findiff's offsets cannot be. NumPy: np.gradient(f, x) at x = 0
/// // between x = -0.5 and x = 1 weighs f by -hs/(hd(hd + hs)), (hs - hd)/(hd hs), hd/(hs(hd + hs)).
/// let w = fornberg_weights(1, 0.0, &[-0.5, 0.0, 1.0]).unwrap();
/// let expected = [-4.0 / 3.0, 1.0, 1.0 / 3.0]; // hd = 0.5, hs = 1
/// assert!(w.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-15));
/// ```
pub fn fornberg_weights(derivative: usize, x0: f64, positions: &[f64]) -> Result<Vec<f64>, GradientError> {
    check_derivative(derivative)?;
    let invalid = || GradientError::InvalidOffsets {
        derivative,
        count: positions.len(),
    };
    if positions.len() <= derivative || !x0.is_finite() || positions.iter().any(|p| !p.is_finite()) {
        return Err(invalid());
    }
    let mut sorted = positions.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(invalid());
    }
    let rel: Vec<f64> = positions.iter().map(|&p| p - x0).collect();
    let w = fornberg(derivative, &rel);
    if w.iter().all(|v| v.is_finite()) {
        Ok(w)
    } else {
        Err(invalid())
    }
}

pub(crate) fn check_derivative(derivative: usize) -> Result<(), GradientError> {
    if derivative == 0 || derivative > MAX_DERIVATIVE {
        return Err(GradientError::InvalidDerivative { derivative });
    }
    Ok(())
}

pub(crate) fn check_orders(derivative: usize, accuracy: usize) -> Result<(), GradientError> {
    check_derivative(derivative)?;
    if accuracy == 0 || accuracy % 2 == 1 || accuracy > MAX_ACCURACY {
        return Err(GradientError::InvalidAccuracy { accuracy });
    }
    Ok(())
}

/// `(s, w)`: the centred stencil reaches `s` points to each side; the one-sided ones have `w`
/// points (findiff's `num_side` and `num_coef`).
pub(crate) fn widths(derivative: usize, accuracy: usize) -> (usize, usize) {
    let central = 2 * derivative.div_ceil(2) - 1 + accuracy;
    let one_sided = if derivative.is_multiple_of(2) {
        central + 1
    } else {
        central
    };
    (central / 2, one_sided)
}

/// [`integer_weights`], remembered: a stencil's weights depend only on the derivative order
/// and the offsets, and exact rational arithmetic costs tens of microseconds for the widest
/// stencils, which would otherwise be paid on every call.
pub(crate) fn cached_integer_weights(derivative: usize, offsets: &[isize]) -> Vec<f64> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Cache = Mutex<HashMap<(usize, Vec<isize>), Vec<f64>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (derivative, offsets.to_vec());
    if let Ok(map) = cache.lock()
        && let Some(w) = map.get(&key)
    {
        return w.clone();
    }
    let w = integer_weights(derivative, offsets);
    if let Ok(mut map) = cache.lock() {
        map.insert(key, w.clone());
    }
    w
}

/// The weights at integer offsets, from exact rational arithmetic rounded once (falling back
/// to `f64` Fornberg if an intermediate rational outgrows 128 bits).
pub(crate) fn integer_weights(derivative: usize, offsets: &[isize]) -> Vec<f64> {
    exact_integer_weights(derivative, offsets).unwrap_or_else(|| {
        let rel: Vec<f64> = offsets.iter().map(|&o| o as f64).collect();
        fornberg(derivative, &rel)
    })
}

/// The weights at integer offsets from exact rational arithmetic, each rounded once; `None` if
/// an intermediate rational outgrows 128 bits.
pub(crate) fn exact_integer_weights(derivative: usize, offsets: &[isize]) -> Option<Vec<f64>> {
    let rel: Vec<Rational> = offsets.iter().map(|&o| Rational::int(o as i128)).collect();
    let exact = fornberg(derivative, &rel);
    exact
        .iter()
        .all(|r| r.den != 0)
        .then(|| exact.iter().map(|r| r.to_f64()).collect())
}

/// The accuracy order of the stencil on integer `offsets`: the first power `k > m` whose
/// moment `Σ w_j o_jᵏ` of the exact weights does not vanish gives order `k - m`. If the exact
/// arithmetic overflows, the guaranteed order `len - m` is returned.
fn order_of_accuracy(derivative: usize, offsets: &[isize]) -> usize {
    let rel: Vec<Rational> = offsets.iter().map(|&o| Rational::int(o as i128)).collect();
    let exact = fornberg(derivative, &rel);
    for k in derivative + 1..derivative + offsets.len() + 2 {
        let mut moment = Rational::int(0);
        for (w, &o) in exact.iter().zip(offsets) {
            moment = moment + *w * Rational::int((o as i128).pow(k as u32));
        }
        if moment.den == 0 {
            break; // overflow: fall back to the count below
        }
        if moment.num != 0 {
            return k - derivative;
        }
    }
    offsets.len() - derivative
}

/// Arithmetic Fornberg's recursion needs.
trait Field: Copy + std::ops::Add<Output = Self> + std::ops::Sub<Output = Self> + std::ops::Mul<Output = Self> {
    fn int(v: i128) -> Self;
    fn div(self, d: Self) -> Self;
}

impl Field for f64 {
    fn int(v: i128) -> Self {
        v as f64
    }
    fn div(self, d: Self) -> Self {
        self / d
    }
}

/// Fornberg's recursion: the weights of the `m`-th derivative at 0 from samples at `x`.
fn fornberg<F: Field>(m: usize, x: &[F]) -> Vec<F> {
    let n = x.len();
    let zero = F::int(0);
    // c[j][k]: weight of sample j for derivative k.
    let mut c = vec![vec![zero; m + 1]; n];
    c[0][0] = F::int(1);
    let mut c1 = F::int(1);
    let mut c4 = x[0];
    for i in 1..n {
        let mn = i.min(m);
        let mut c2 = F::int(1);
        let c5 = c4;
        c4 = x[i];
        for j in 0..i {
            let c3 = x[i] - x[j];
            c2 = c2 * c3;
            if j == i - 1 {
                for k in (1..=mn).rev() {
                    c[i][k] = (c1 * (F::int(k as i128) * c[i - 1][k - 1] - c5 * c[i - 1][k])).div(c2);
                }
                c[i][0] = (zero - c1 * c5 * c[i - 1][0]).div(c2);
            }
            for k in (1..=mn).rev() {
                c[j][k] = (c4 * c[j][k] - F::int(k as i128) * c[j][k - 1]).div(c3);
            }
            c[j][0] = (c4 * c[j][0]).div(c3);
        }
        c1 = c2;
    }
    c.into_iter().map(|row| row[m]).collect()
}

/// An exact rational `num / den` (`den > 0`, lowest terms); `den == 0` marks an overflow,
/// which then poisons every result computed from it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Rational {
    num: i128,
    den: i128,
}

impl Rational {
    const OVERFLOW: Rational = Rational { num: 0, den: 0 };

    fn new(num: Option<i128>, den: Option<i128>) -> Self {
        let (Some(mut num), Some(mut den)) = (num, den) else {
            return Self::OVERFLOW;
        };
        if den == 0 {
            return Self::OVERFLOW;
        }
        if den < 0 {
            let (Some(n), Some(d)) = (num.checked_neg(), den.checked_neg()) else {
                return Self::OVERFLOW;
            };
            (num, den) = (n, d);
        }
        let g = gcd(num.unsigned_abs(), den.unsigned_abs()) as i128;
        Rational {
            num: num / g.max(1),
            den: den / g.max(1),
        }
    }

    /// The correctly rounded `f64` when numerator and denominator are exact in `f64` (one
    /// rounding, in the division); otherwise within an ulp or two.
    fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl std::ops::Add for Rational {
    type Output = Rational;
    fn add(self, o: Rational) -> Rational {
        if self.den == 0 || o.den == 0 {
            return Self::OVERFLOW;
        }
        let g = gcd(self.den as u128, o.den as u128) as i128;
        let (a, b) = (self.den / g, o.den / g);
        let num = self
            .num
            .checked_mul(b)
            .and_then(|x| o.num.checked_mul(a).and_then(|y| x.checked_add(y)));
        Rational::new(num, self.den.checked_mul(b))
    }
}

impl std::ops::Sub for Rational {
    type Output = Rational;
    #[allow(clippy::suspicious_arithmetic_impl)] // a - b is a + (-b)
    fn sub(self, o: Rational) -> Rational {
        match o.num.checked_neg() {
            Some(num) => self + Rational { num, den: o.den },
            None => Self::OVERFLOW,
        }
    }
}

impl std::ops::Mul for Rational {
    type Output = Rational;
    fn mul(self, o: Rational) -> Rational {
        if self.den == 0 || o.den == 0 {
            return Self::OVERFLOW;
        }
        // Cross-cancel first to keep the numbers small.
        let g1 = gcd(self.num.unsigned_abs(), o.den as u128).max(1) as i128;
        let g2 = gcd(o.num.unsigned_abs(), self.den as u128).max(1) as i128;
        let num = (self.num / g1).checked_mul(o.num / g2);
        let den = (self.den / g2).checked_mul(o.den / g1);
        Rational::new(num, den)
    }
}

impl Field for Rational {
    fn int(v: i128) -> Self {
        Rational { num: v, den: 1 }
    }
    fn div(self, d: Self) -> Self {
        if d.den == 0 || d.num == 0 {
            return Self::OVERFLOW;
        }
        self * Rational::new(Some(d.den), Some(d.num))
    }
}

/// One row of a compact scheme at unit spacing: `Σ lhs[k]·f⁽ᵐ⁾[i + lhs_offsets[k]] =
/// Σ rhs[j]·f[i + rhs_offsets[j]]`, each weight the correctly rounded value of the exact
/// rational one.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CompactRow {
    pub(crate) lhs_offsets: Vec<isize>,
    pub(crate) lhs: Vec<f64>,
    pub(crate) rhs_offsets: Vec<isize>,
    pub(crate) rhs: Vec<f64>,
    /// The order of the truncation error.
    pub(crate) accuracy: usize,
}

/// A compact scheme: its interior row, and the one-sided rows of the first points of an axis
/// (`left[i]` is point `i`); the last points' rows are their mirror images.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CompactRows {
    pub(crate) interior: CompactRow,
    pub(crate) left: Vec<CompactRow>,
}

/// findiff's `CompactScheme.from_accuracy(accuracy, derivative, 2p + 1)` with its one-sided
/// boundary rows (Visbal and Gaitonde): the symmetric left-hand side of `2p + 1` points and
/// the narrowest centred right-hand side that together reach `accuracy` (Lele's schemes), all
/// solved in exact rational arithmetic. `None` if no right-hand side up to `MAX_Q` points to a
/// side reaches it, or an intermediate rational outgrows 128 bits.
pub(crate) fn compact_rows(m: usize, accuracy: usize, p: usize) -> Option<CompactRows> {
    const MAX_Q: usize = 8;
    let (alphas, coefs, q, acc) = (1..=MAX_Q).find_map(|q| {
        let (alphas, coefs) = compact_interior(m, p, q)?;
        let acc = compact_accuracy(m, &alphas, &coefs)?;
        (acc >= accuracy).then_some((alphas, coefs, q, acc))
    })?;
    let interior = CompactRow {
        lhs_offsets: alphas.iter().map(|&(o, _)| o).collect(),
        lhs: alphas.iter().map(|&(_, a)| a.to_f64()).collect(),
        rhs_offsets: coefs.iter().map(|&(o, _)| o).collect(),
        rhs: coefs.iter().map(|&(_, c)| c.to_f64()).collect(),
        accuracy: acc,
    };
    let left = (0..p.max(q))
        .map(|i| compact_boundary_row(m, &alphas, 2 * q + 1, i, acc))
        .collect::<Option<Vec<_>>>()?;
    Some(CompactRows { interior, left })
}

type Taps = Vec<(isize, Rational)>;

fn power(o: isize, k: usize) -> Rational {
    let mut v = Rational::int(1);
    for _ in 0..k {
        v = v * Rational::int(o as i128);
    }
    v
}

/// `k! / (k - m)!`.
fn falling(k: usize, m: usize) -> Rational {
    ((k - m + 1)..=k).fold(Rational::int(1), |v, j| v * Rational::int(j as i128))
}

/// The Taylor condition of order `k` (multiplied by `k!`): `Σ c_j o_jᵏ − k!/(k−m)! Σ α_r r^(k−m)`,
/// zero when the scheme is exact for `xᵏ`.
fn compact_moment(m: usize, alphas: &[(isize, Rational)], coefs: &[(isize, Rational)], k: usize) -> Rational {
    let mut v = Rational::int(0);
    for &(o, c) in coefs {
        v = v + c * power(o, k);
    }
    if k >= m {
        let mut s = Rational::int(0);
        for &(r, a) in alphas {
            s = s + a * power(r, k - m);
        }
        v = v - falling(k, m) * s;
    }
    v
}

/// The accuracy order: the first `k > m` whose condition fails gives `k − m`. `None` on
/// overflow.
fn compact_accuracy(m: usize, alphas: &[(isize, Rational)], coefs: &[(isize, Rational)]) -> Option<usize> {
    (m + 1..m + coefs.len() + alphas.len() + 4).find_map(|k| {
        let v = compact_moment(m, alphas, coefs, k);
        if v.den == 0 {
            Some(None)
        } else {
            (v.num != 0).then_some(Some(k - m))
        }
    })?
}

/// The interior scheme with left-hand offsets `-p..=p` (`α₀ = 1`) and right-hand offsets
/// `-q..=q`, solved jointly from as many Taylor conditions as unknowns (findiff's
/// `_solve_jointly`). `None` if the system is singular or overflows.
fn compact_interior(m: usize, p: usize, q: usize) -> Option<(Taps, Taps)> {
    let (p, q) = (p as isize, q as isize);
    let rhs: Vec<isize> = (-q..=q).collect();
    let lhs: Vec<isize> = (-p..=p).filter(|&k| k != 0).collect();
    let n = rhs.len() + lhs.len();
    let mut a = vec![vec![Rational::int(0); n]; n];
    let mut b = vec![Rational::int(0); n];
    for (k, (row, bk)) in a.iter_mut().zip(&mut b).enumerate() {
        for (j, &o) in rhs.iter().enumerate() {
            row[j] = power(o, k);
        }
        if k >= m {
            for (j, &r) in lhs.iter().enumerate() {
                row[rhs.len() + j] = Rational::int(0) - falling(k, m) * power(r, k - m);
            }
        }
        if k == m {
            *bk = falling(m, m);
        }
    }
    let x = solve_exact(a, b)?;
    let mut alphas: Taps = lhs.iter().zip(&x[rhs.len()..]).map(|(&r, &v)| (r, v)).collect();
    alphas.push((0, Rational::int(1)));
    alphas.sort_by_key(|&(r, _)| r);
    let coefs = rhs.iter().zip(&x[..rhs.len()]).map(|(&o, &v)| (o, v)).collect();
    Some((alphas, coefs))
}

/// The one-sided row of point `i` from the start of an axis (findiff's `_boundary_scheme`): the
/// interior alphas that fall inside the axis, and right-hand offsets from `-i`, widened to the
/// interior's width and then until the row reaches `target` accuracy.
fn compact_boundary_row(
    m: usize,
    interior: &[(isize, Rational)],
    width: usize,
    i: usize,
    target: usize,
) -> Option<CompactRow> {
    let i = i as isize;
    let alphas: Taps = interior.iter().copied().filter(|&(r, _)| r >= -i).collect();
    let mut offsets: Vec<isize> = (-i..).take(width).collect();
    loop {
        let coefs = compact_rhs(m, &alphas, &offsets)?;
        let acc = compact_accuracy(m, &alphas, &coefs)?;
        if acc >= target {
            return Some(CompactRow {
                lhs_offsets: alphas.iter().map(|&(o, _)| o).collect(),
                lhs: alphas.iter().map(|&(_, a)| a.to_f64()).collect(),
                rhs_offsets: offsets,
                rhs: coefs.iter().map(|&(_, c)| c.to_f64()).collect(),
                accuracy: acc,
            });
        }
        if offsets.len() > width + 2 * target + 2 * m {
            return None;
        }
        offsets.push(offsets[offsets.len() - 1] + 1);
    }
}

/// The right-hand coefficients on `offsets` for the given alphas (findiff's
/// `calc_coefs(m, offsets, alphas=...)`): exact for polynomials of degree below the number of
/// offsets.
fn compact_rhs(m: usize, alphas: &[(isize, Rational)], offsets: &[isize]) -> Option<Taps> {
    let n = offsets.len();
    let mut a = vec![vec![Rational::int(0); n]; n];
    let mut b = vec![Rational::int(0); n];
    for (k, (row, bk)) in a.iter_mut().zip(&mut b).enumerate() {
        for (j, &o) in offsets.iter().enumerate() {
            row[j] = power(o, k);
        }
        if k >= m {
            let mut s = Rational::int(0);
            for &(r, al) in alphas {
                s = s + al * power(r, k - m);
            }
            *bk = falling(k, m) * s;
        }
    }
    let x = solve_exact(a, b)?;
    Some(offsets.iter().copied().zip(x).collect())
}

/// Gaussian elimination in exact rationals. `None` if `a` is singular or a rational outgrows
/// 128 bits.
fn solve_exact(mut a: Vec<Vec<Rational>>, mut b: Vec<Rational>) -> Option<Vec<Rational>> {
    let n = b.len();
    for c in 0..n {
        let r = (c..n).find(|&r| a[r][c].num != 0 || a[r][c].den == 0)?;
        a.swap(c, r);
        b.swap(c, r);
        let pivot = a[c][c];
        if pivot.den == 0 {
            return None;
        }
        for r in c + 1..n {
            if a[r][c].num == 0 {
                continue;
            }
            let l = a[r][c].div(pivot);
            let pivot_row = a[c].clone();
            for (x, &p) in a[r][c..n].iter_mut().zip(&pivot_row[c..n]) {
                *x = *x - l * p;
            }
            b[r] = b[r] - l * b[c];
        }
    }
    let mut x = vec![Rational::int(0); n];
    for c in (0..n).rev() {
        let mut s = b[c];
        for k in c + 1..n {
            s = s - a[c][k] * x[k];
        }
        x[c] = s.div(a[c][c]);
    }
    x.iter().all(|v| v.den != 0).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_tables() {
        // Fornberg (1988), Table 1 and the usual tables of central differences.
        let c = coefficients(1, 2).unwrap().center;
        assert_eq!(c.weights, vec![-0.5, 0.0, 0.5]);
        let c = coefficients(1, 6).unwrap().center;
        assert_eq!(
            c.weights,
            vec![
                -1.0 / 60.0,
                3.0 / 20.0,
                -3.0 / 4.0,
                0.0,
                3.0 / 4.0,
                -3.0 / 20.0,
                1.0 / 60.0
            ]
        );
        let c = coefficients(2, 4).unwrap().center;
        assert_eq!(
            c.weights,
            vec![-1.0 / 12.0, 4.0 / 3.0, -5.0 / 2.0, 4.0 / 3.0, -1.0 / 12.0]
        );
        let c = coefficients(4, 2).unwrap().center;
        assert_eq!(c.weights, vec![1.0, -4.0, 6.0, -4.0, 1.0]);
        let c = coefficients(3, 2).unwrap().center;
        assert_eq!(c.weights, vec![-0.5, 1.0, 0.0, -1.0, 0.5]);
        let f = coefficients(1, 4).unwrap().forward;
        assert_eq!(f.weights, vec![-25.0 / 12.0, 4.0, -3.0, 4.0 / 3.0, -1.0 / 4.0]);
        assert_eq!(f.accuracy, 4);
    }

    #[test]
    fn every_supported_order_has_its_accuracy_and_sums_to_zero() {
        for m in 1..=MAX_DERIVATIVE {
            for p in (2..=MAX_ACCURACY).step_by(2) {
                let c = coefficients(m, p).unwrap();
                for s in [&c.center, &c.forward, &c.backward] {
                    // Centred stencils of even order gain one order by symmetry only when
                    // the next moment vanishes; the stated accuracy is at least p.
                    assert!(s.accuracy >= p, "m={m} p={p} {s:?}");
                    let sum: f64 = s.weights.iter().sum();
                    let scale: f64 = s.weights.iter().map(|w| w.abs()).sum();
                    assert!(sum.abs() <= 1e-12 * scale, "m={m} p={p} sum {sum}");
                }
            }
        }
    }

    /// Every stencil the crate builds on integer offsets (uniform spacing, and coordinates or
    /// periodic axes whose steps are all equal) has exact weights: no fallback to `f64`, so
    /// the zero weights of odd derivatives are exactly 0.
    #[test]
    fn every_stencil_in_use_has_exact_weights() {
        for m in 1..=MAX_DERIVATIVE {
            for p in (2..=MAX_ACCURACY).step_by(2) {
                let (s, w) = widths(m, p);
                let (s, w, side) = (s as isize, w as isize, (w / 2) as isize);
                let mut layouts: Vec<Vec<isize>> = vec![
                    (-s..=s).collect(),
                    (-side..=side).collect(),
                    (0..w).collect(),
                    (1 - w..=0).collect(),
                ];
                for i in 0..w {
                    layouts.push((-i..w - i).collect());
                    layouts.push((1 - w + i..=i).collect());
                    layouts.push((i..w + i).collect());
                }
                for offsets in layouts {
                    let exact = exact_integer_weights(m, &offsets);
                    assert!(exact.is_some(), "m={m} p={p} {offsets:?}");
                    if m % 2 == 1 && offsets.first() == offsets.last().map(|o| -o).as_ref() {
                        assert_eq!(exact.unwrap()[offsets.len() / 2], 0.0, "m={m} p={p}");
                    }
                }
            }
        }
    }

    #[test]
    fn rational_and_float_fornberg_agree() {
        for m in 1..=6 {
            let offsets: Vec<isize> = (-6..=6).collect();
            let exact = integer_weights(m, &offsets);
            let rel: Vec<f64> = offsets.iter().map(|&o| o as f64).collect();
            let float = fornberg(m, &rel);
            for (a, b) in exact.iter().zip(&float) {
                assert!((a - b).abs() <= 1e-12 * a.abs().max(1.0), "m={m}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn bad_orders_are_refused() {
        assert_eq!(
            coefficients(0, 2),
            Err(GradientError::InvalidDerivative { derivative: 0 })
        );
        assert_eq!(coefficients(1, 0), Err(GradientError::InvalidAccuracy { accuracy: 0 }));
        assert_eq!(coefficients(1, 5), Err(GradientError::InvalidAccuracy { accuracy: 5 }));
        assert_eq!(
            coefficients(1, MAX_ACCURACY + 2),
            Err(GradientError::InvalidAccuracy {
                accuracy: MAX_ACCURACY + 2
            })
        );
        assert!(fornberg_weights(2, 0.0, &[0.0, 1.0]).is_err());
        assert!(fornberg_weights(1, 0.0, &[0.0, 1.0, 1.0]).is_err());
        assert!(fornberg_weights(1, 0.0, &[0.0, f64::NAN]).is_err());
    }
}
