//! Agreement with findiff 0.16 (issue 6), read from fixtures that
//! `scripts/gen_findiff_fixtures.py` wrote (the key schema is in that script's docstring).
//!
//! Every array case stores findiff's output (`out`) AND the exact value of the same
//! finite-difference scheme (`exact`: exact rational arithmetic, rounded once), plus `scale`, the
//! sum over the terms of the scheme of `|w_j * f_j|` at each output point. This crate is held to
//! `exact` within `K * EPS * scale` (see `tolerance_k`), and to findiff's `out` within
//! `(K + fd_err) * EPS * scale`, where `fd_err` is findiff's own measured error on that case:
//! findiff computes its weights with `np.linalg.solve` and is far less accurate than this crate
//! for wide one-sided stencils (up to ~1e8 EPS*scale for uniform m = 3, p = 8 edges and ~1e10
//! on coordinate arrays), so `out` alone could not hold this crate to rounding level.
//!
//! Stencils (findiff's choice, which `exact` reproduces): uniform, non-periodic: centred
//! stencil inside, forward stencils starting AT the point for the first `ns` points, backward
//! ending at the point for the last `ns`; periodic: centred everywhere, indices modulo n;
//! coordinate arrays: a DIFFERENT boundary layout: the `nf` points nearest the boundary for the
//! first/last `nf / 2` points and `2 * (nf / 2) + 1` centred points inside (see the script).
//!
//! Each case also runs on a Fortran-ordered copy of the input, which must give the same bits.

use crate::fixture::Fixture;
use ndarray::{Array1, ArrayD, Axis, ShapeBuilder};
use ndarray_gradient::{ArrayGradientExt, GradientOptions, MAX_ACCURACY, MAX_DERIVATIVE, coefficients};

const EPS: f64 = f64::EPSILON;

/// findiff 0.16's stencil widths for derivative order m and accuracy order p:
/// (central width nc, central half width ns, one-sided width nf).
fn widths(m: usize, p: usize) -> (usize, usize, usize) {
    let nc = 2 * m.div_ceil(2) - 1 + p; // 2*floor((m+1)/2) - 1 + p
    let nf = if m.is_multiple_of(2) { nc + 1 } else { nc };
    (nc, nc / 2, nf)
}

#[derive(Clone, Copy, PartialEq)]
enum AxisKind {
    Uniform,
    Periodic,
    Coordinates,
}

/// The largest number of terms of one output point on one axis.
fn terms_per_point(kind: AxisKind, m: usize, p: usize) -> usize {
    let (nc, _, nf) = widths(m, p);
    match kind {
        AxisKind::Uniform => nf.max(nc),
        AxisKind::Periodic => nc,
        AxisKind::Coordinates => nf.max(2 * (nf / 2) + 1),
    }
}

/// The tolerance factor K: the result must be within `K * EPS * scale` of the exact scheme value.
///
/// Write `u = EPS / 2` (the unit roundoff) and `t_j = w_j * f_j` for the exact terms of one
/// output point, `scale = sum_j |t_j|`. With `W` terms:
/// * recursive (or any other order of) summation of `W` terms: at most `(W - 1) * u * scale`;
/// * one rounding per product `w_j * f_j`: at most `u * scale` in total;
/// * the weights. Uniform and periodic axes: the crate's weights are the correctly rounded exact
///   rationals (`u` each); the spacing factor `1/h^m` (computing `h^m`: `m - 1` roundings, the
///   reciprocal or the division: 1, applying it: 1) adds at most `(m + 2) * u` relative, either
///   to each weight or to the sum, which is at most `scale` in magnitude. So the weights cost
///   at most `(m + 3) * u * scale`.
///   Coordinate arrays: the weights come from Fornberg's algorithm in f64 at every point. Its
///   error is relative to the LARGEST weight of the stencil, not to each weight (a nearly-zero
///   weight can have a large relative error), measured at most 19 EPS on every coordinate array
///   of the fixtures; this is bounded by `scale` only when `f` does not concentrate on the
///   small weights, so it gets a generous allowance of `2 * W + 16` EPS*scale (a float64 model
///   of the scheme, Fornberg weights in f64 then summed, measured at most 13.3 EPS*scale over
///   all fixtures, with W <= 13).
///
/// Summing over axes (Laplacian, divergence) or over the two derivatives of a curl component
/// is more summation of the same kind: `W` is then the total number of terms, and the spacing
/// factor is applied per axis, to a part of magnitude at most `scale`.
///
/// Total (EPS = 2u): uniform/periodic `(W + m + 3) / 2`, rounded up generously to `W + m + 4`;
/// coordinates additionally `2 * W + 16`.
fn tolerance_k(w_total: usize, m: usize, any_coordinates: bool) -> f64 {
    let base = (w_total + m + 4) as f64;
    if any_coordinates {
        base + (2 * w_total + 16) as f64
    } else {
        base
    }
}

/// The largest `|got - expected| / (EPS * scale)`; a point with `scale == 0` must match exactly.
fn ratio(got: &ArrayD<f64>, expected: &ArrayD<f64>, scale: &ArrayD<f64>) -> f64 {
    assert_eq!(got.shape(), expected.shape());
    let mut worst = 0.0f64;
    for ((g, e), s) in got.iter().zip(expected).zip(scale) {
        let d = (g - e).abs();
        let r = if *s == 0.0 {
            if d == 0.0 { 0.0 } else { f64::INFINITY }
        } else {
            d / (EPS * s)
        };
        // NaN compares false: make it a failure
        worst = if r.is_nan() { f64::INFINITY } else { worst.max(r) };
    }
    worst
}

struct Case {
    kind: i64,
    f: ArrayD<f64>,
    out: ArrayD<f64>,
    exact: ArrayD<f64>,
    scale: ArrayD<f64>,
    fd_err: f64,
    axis: Option<usize>,
    deriv: usize,
    acc: usize,
    periodic: Vec<bool>,
    /// per spatial axis: Some(h) uniform, or None with coordinates in `coords`
    h: Vec<Option<f64>>,
    coords: Vec<Option<Array1<f64>>>,
}

fn read_case(fx: &mut Fixture, case: &str) -> Case {
    let key = |field: &str| format!("{case}__{field}");
    let kind = fx.int(&key("kind"));
    let f: ArrayD<f64> = fx.read(&key("f"));
    let periodic: Vec<bool> = fx.read::<i64>(&key("periodic")).iter().map(|&v| v == 1).collect();
    let nsp = periodic.len();
    let mut h = vec![None; nsp];
    let mut coords = vec![None; nsp];
    for k in 0..nsp {
        if fx.has(&key(&format!("h{k}"))) {
            h[k] = Some(fx.float(&key(&format!("h{k}"))));
        } else if fx.has(&key(&format!("x{k}"))) {
            let x: ArrayD<f64> = fx.read(&key(&format!("x{k}")));
            coords[k] = Some(x.into_dimensionality().expect("1-D coordinates"));
        }
    }
    Case {
        kind,
        out: fx.read(&key("out")),
        exact: fx.read(&key("exact")),
        scale: fx.read(&key("scale")),
        fd_err: fx.float(&key("fd_err")),
        axis: if kind == 0 {
            Some(fx.int(&key("axis")) as usize)
        } else {
            None
        },
        deriv: fx.int(&key("deriv")) as usize,
        acc: fx.int(&key("acc")) as usize,
        periodic,
        h,
        coords,
        f,
    }
}

impl Case {
    /// The spatial axes the case differentiates.
    fn axes(&self) -> Vec<usize> {
        match self.axis {
            Some(a) => vec![a],
            None => (0..self.periodic.len()).collect(),
        }
    }

    fn axis_kind(&self, k: usize) -> AxisKind {
        if self.coords[k].is_some() {
            AxisKind::Coordinates
        } else if self.periodic[k] {
            AxisKind::Periodic
        } else {
            AxisKind::Uniform
        }
    }

    fn any_coordinates(&self) -> bool {
        self.axes().iter().any(|&k| self.coords[k].is_some())
    }

    /// Total number of terms of one output point: one derivative (kind 0), the sum over the
    /// axes (Laplacian, divergence), or the two derivatives of a curl component (bounded by
    /// the two widest axes).
    fn total_terms(&self) -> usize {
        let mut per_axis: Vec<usize> = self
            .axes()
            .iter()
            .map(|&k| terms_per_point(self.axis_kind(k), self.deriv, self.acc))
            .collect();
        match self.kind {
            3 => {
                per_axis.sort_unstable_by(|a, b| b.cmp(a));
                per_axis.iter().take(2).sum()
            }
            _ => per_axis.iter().sum(),
        }
    }

    fn options(&self) -> GradientOptions<'_, f64> {
        let mut opts = GradientOptions::new();
        for k in self.axes() {
            let ax = Axis(k);
            opts = match (&self.h[k], &self.coords[k]) {
                (Some(h), None) => opts.axis_spacing(ax, *h),
                (None, Some(x)) => opts.coordinates(ax, x),
                _ => panic!("spatial axis {k}: exactly one of h{k} / x{k}"),
            };
            opts = opts.axis_accuracy(ax, self.acc);
            if self.kind == 0 {
                opts = opts.axis_derivative(ax, self.deriv);
            }
            if self.periodic[k] {
                opts = opts.periodic(ax);
            }
        }
        opts
    }

    /// This crate's result on `f` (None: not covered by the API yet; Err: the error, as text).
    fn compute(&self, f: &ArrayD<f64>) -> Option<Result<ArrayD<f64>, String>> {
        let opts = self.options();
        let res = match self.kind {
            0 => f.gradient_axis_with(Axis(self.axis.unwrap()), &opts),
            1 => f.laplacian(&opts),
            2 => f.divergence(&opts),
            3 if f.shape()[0] == 3 => f.curl(&opts),
            3 => f.scalar_curl(&opts),
            k => panic!("unknown kind {k}"),
        };
        Some(res.map_err(|e| format!("{e:?}")))
    }
}

/// Runs every case of an array fixture file; returns (cases run, cases skipped).
fn array_file(file: &str, min_cases: usize) -> (usize, usize) {
    let mut fx = Fixture::open(file);
    let cases = fx.cases("kind");
    assert!(
        cases.len() >= min_cases,
        "{file}: {} cases, expected at least {min_cases}",
        cases.len()
    );
    let mut failures = Vec::new();
    let (mut run, mut skipped) = (0, 0);
    let (mut worst, mut worst_case) = (0.0f64, String::new());
    for case in &cases {
        let c = read_case(&mut fx, case);
        let Some(got) = c.compute(&c.f) else {
            skipped += 1;
            continue;
        };
        run += 1;
        let got = match got {
            Ok(got) => got,
            Err(e) => {
                failures.push(format!("{case}: error {e}"));
                continue;
            }
        };
        if got.shape() != c.exact.shape() {
            failures.push(format!(
                "{case}: shape {:?}, expected {:?}",
                got.shape(),
                c.exact.shape()
            ));
            continue;
        }
        let k = tolerance_k(c.total_terms(), c.deriv, c.any_coordinates());
        let r_exact = ratio(&got, &c.exact, &c.scale);
        if r_exact > worst {
            (worst, worst_case) = (r_exact, case.clone());
        }
        if r_exact > k {
            failures.push(format!(
                "{case}: {r_exact:.3} EPS*scale from the exact scheme (K = {k})"
            ));
        }
        let r_findiff = ratio(&got, &c.out, &c.scale);
        if r_findiff > k + c.fd_err {
            failures.push(format!(
                "{case}: {r_findiff:.3} EPS*scale from findiff (K = {k}, findiff's own error {:.3})",
                c.fd_err
            ));
        }
        // the same bits from a Fortran-ordered input
        let mut f_fortran = ArrayD::<f64>::zeros(c.f.raw_dim().f());
        f_fortran.assign(&c.f);
        let got_f = c
            .compute(&f_fortran)
            .expect("same API coverage")
            .expect("Ok as in C order");
        let same = got.iter().zip(got_f.iter()).all(|(a, b)| a.to_bits() == b.to_bits());
        if !same {
            failures.push(format!("{case}: a Fortran-ordered input gives different bits"));
        }
    }
    eprintln!("{file}: {run} cases run, {skipped} skipped; worst {worst:.3} EPS*scale ({worst_case})");
    assert!(
        failures.is_empty(),
        "{file}: {} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    (run, skipped)
}

#[test]
fn findiff_uniform() {
    array_file("findiff_uniform.npz", 90);
}

#[test]
fn findiff_nonuniform() {
    array_file("findiff_nonuniform.npz", 100);
}

#[test]
fn findiff_periodic() {
    array_file("findiff_periodic.npz", 90);
}

#[test]
fn findiff_operators() {
    let (run, skipped) = array_file("findiff_operators.npz", 70);
    assert_eq!(skipped, 0, "every operator case runs");
    assert!(run >= 65);
}

/// `coefficients(m, p)` equals the exact tables: offsets, correctly rounded weights (checked
/// bit for bit, and against the stored reduced fractions), accuracy order.
#[test]
fn findiff_coefficients() {
    let mut fx = Fixture::open("findiff_coefficients.npz");
    let cases = fx.cases("deriv");
    assert!(cases.len() >= 24);
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let key = |field: &str| format!("{case}__{field}");
        let m = fx.int(&key("deriv")) as usize;
        let p = fx.int(&key("acc")) as usize;
        if m > MAX_DERIVATIVE || p > MAX_ACCURACY {
            continue;
        }
        let c = coefficients(m, p).unwrap_or_else(|e| panic!("{case}: {e:?}"));
        for (name, st) in [
            ("center", &c.center),
            ("forward", &c.forward),
            ("backward", &c.backward),
        ] {
            let offsets: Vec<isize> = fx
                .read::<i64>(&key(&format!("{name}_offsets")))
                .iter()
                .map(|&o| o as isize)
                .collect();
            let exact: Vec<f64> = fx.read::<f64>(&key(&format!("{name}_exact"))).iter().copied().collect();
            let num: Vec<i64> = fx.read::<i64>(&key(&format!("{name}_num"))).iter().copied().collect();
            let den: Vec<i64> = fx.read::<i64>(&key(&format!("{name}_den"))).iter().copied().collect();
            let accuracy = fx.int(&key(&format!("{name}_accuracy"))) as usize;
            if st.offsets != offsets {
                failures.push(format!("{case} {name}: offsets {:?}, expected {offsets:?}", st.offsets));
                continue;
            }
            for (j, ((&w, &e), (&n, &d))) in st.weights.iter().zip(&exact).zip(num.iter().zip(&den)).enumerate() {
                if w.to_bits() != e.to_bits() {
                    failures.push(format!("{case} {name}[{j}]: {w:e}, exact {n}/{d} rounds to {e:e}"));
                }
                // num and den below 2^53 are exact in f64, and one division rounds correctly
                if n.unsigned_abs() < 1 << 53 && d < 1 << 53 && (n as f64 / d as f64).to_bits() != e.to_bits() {
                    failures.push(format!("{case} {name}[{j}]: stored {e:e} is not {n}/{d}"));
                }
            }
            if st.weights.len() != exact.len() {
                failures.push(format!(
                    "{case} {name}: {} weights, expected {}",
                    st.weights.len(),
                    exact.len()
                ));
            }
            if st.accuracy != accuracy {
                failures.push(format!("{case} {name}: accuracy {}, expected {accuracy}", st.accuracy));
            }
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        checked >= 16,
        "only {checked} tables within MAX_DERIVATIVE/MAX_ACCURACY"
    );
}

/// Published tables, read from the fixture's exact fractions (Fornberg 1988, table 1).
#[test]
fn findiff_published_tables() {
    let mut fx = Fixture::open("findiff_coefficients.npz");
    let mut frac = |case: &str, s: &str| -> Vec<(i64, i64)> {
        let n = fx.read::<i64>(&format!("{case}__{s}_num"));
        let d = fx.read::<i64>(&format!("{case}__{s}_den"));
        n.iter().copied().zip(d.iter().copied()).collect()
    };
    assert_eq!(frac("m1_p2", "center"), [(-1, 2), (0, 1), (1, 2)]);
    assert_eq!(frac("m1_p4", "center"), [(1, 12), (-2, 3), (0, 1), (2, 3), (-1, 12)]);
    assert_eq!(frac("m2_p2", "center"), [(1, 1), (-2, 1), (1, 1)]);
    assert_eq!(frac("m2_p4", "center"), [(-1, 12), (4, 3), (-5, 2), (4, 3), (-1, 12)]);
    assert_eq!(frac("m1_p2", "forward"), [(-3, 2), (2, 1), (-1, 2)]);
    assert_eq!(frac("m2_p2", "forward"), [(2, 1), (-5, 1), (4, 1), (-1, 1)]);
    assert_eq!(frac("m4_p2", "center"), [(1, 1), (-4, 1), (6, 1), (-4, 1), (1, 1)]);
    let c = coefficients(1, 4).unwrap().center;
    assert_eq!(c.weights, vec![1.0 / 12.0, -2.0 / 3.0, 0.0, 2.0 / 3.0, -1.0 / 12.0]);
}
