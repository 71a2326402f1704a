//! The lowest energies of the quantum harmonic oscillator from the matrix of its Hamiltonian:
//! `H = −½ d²/dx² + ½ x²` (units of ħω and the oscillator length), whose eigenvalues are
//! exactly `n + ½`.
//!
//! findiff's version:
//!
//! ```python
//! H = Coef(-0.5) * Diff(0, h, acc=p)**2 + Coef(0.5 * x**2) * Identity()
//! M = H.matrix(x.shape)[1:-1, 1:-1]            # ψ = 0 at ±L: the inner points
//! E = np.sort(np.linalg.eigvals(M.toarray()).real)[:6]
//! ```
//!
//! Here: `Operator::matrix` of the same operator (the crate's exact stencil weights), the inner
//! rows and columns, and faer's dense eigensolver. At accuracy 4 and 6 the rows next to the
//! walls hold one-sided stencils, so the matrix is not symmetric: the general eigensolver is
//! used, and the lowest eigenvalues come out real.
//!
//! At accuracy 6 the one-sided 8-point stencils of the wall rows also give the matrix four
//! *wall modes*: eigenvectors with most of their weight on the ten points next to a wall and
//! eigenvalues near −350, far below the ground state (findiff's matrix, with the same stencils,
//! has them too). They are no states of the oscillator, whose low states vanish at the walls;
//! the example names them by where their weight lies, counts them, and leaves them out.
//!
//! Checked (asserted): the six lowest energies at accuracy 2, 4 and 6 are within 10⁻², 5·10⁻⁵
//! and 5·10⁻⁷ of `n + ½` on 321 points over [−8, 8] (errors of about h² E², h⁴ E³ …), and real;
//! accuracy 2 and 4 have no wall mode. Writes
//! `target/examples-out/eigenvalues.png`: the potential and the four lowest states, each drawn
//! at the height of its energy.
//! Run with `cargo run --release --features sparse --example eigenvalues`.

mod common;

use std::path::Path;

use ndarray::{Array1, Axis};
use ndarray_gradient::faer::Mat;
use ndarray_gradient::{GradientOptions, Operator};
use plotters::prelude::*;

/// The box `[−L, L]` (far enough that the lowest states vanish at its walls) and its points.
pub const HALF_WIDTH: f64 = 8.0;
pub const POINTS: usize = 321;
pub const LOWEST: usize = 6;
/// Points next to each wall where a wall mode has most of its weight.
const WALL: usize = 10;

pub fn grid(points: usize) -> Array1<f64> {
    Array1::linspace(-HALF_WIDTH, HALF_WIDTH, points)
}

/// The Hamiltonian's matrix on the inner points (`ψ = 0` on the walls) as a dense matrix.
pub fn hamiltonian(accuracy: usize, points: usize) -> Mat<f64> {
    let x = grid(points);
    let h = x[1] - x[0];
    let potential = x.mapv(|x| 0.5 * x * x);
    let op = Operator::coefficient(-0.5) * Operator::derivative(Axis(0), 2)
        + Operator::field(potential.view()) * Operator::identity();
    let m = op
        .matrix(&[points], &GradientOptions::new().spacing(h).accuracy(accuracy))
        .expect("a valid operator");
    let inner = points - 2;
    let mut dense = Mat::<f64>::zeros(inner, inner);
    for i in 1..points - 1 {
        for (j, &w) in m.col_idx_of_row(i).zip(m.val_of_row(i)) {
            if (1..points - 1).contains(&j) {
                dense[(i - 1, j - 1)] = w;
            }
        }
    }
    dense
}

/// The lowest energies and their states (each scaled to a largest magnitude of 1, sign chosen
/// so that it starts positive), at one accuracy order.
pub struct Spectrum {
    pub accuracy: usize,
    /// How many wall modes lie below the lowest state.
    pub wall_modes: usize,
    pub energies: Vec<f64>,
    /// The largest imaginary part among the lowest eigenvalues.
    pub imaginary: f64,
    pub states: Vec<Vec<f64>>,
}

pub fn spectrum(accuracy: usize, points: usize) -> Spectrum {
    let eigen = hamiltonian(accuracy, points)
        .eigen()
        .expect("the eigensolver converges");
    let s = eigen.S();
    let u = eigen.U();
    // A mode with most of its weight within `WALL` points of a wall is a wall mode (see the
    // module's doc): no state of the oscillator, whose lowest states vanish there.
    let wall_mode = |k: usize| {
        let weight = |i: usize| u[(i, k)].norm().powi(2);
        let total: f64 = (0..u.nrows()).map(weight).sum();
        let walls: f64 = (0..WALL).chain(u.nrows() - WALL..u.nrows()).map(weight).sum();
        walls > 0.5 * total
    };
    let mut order: Vec<usize> = (0..s.dim()).collect();
    order.sort_by(|&a, &b| s[a].re.total_cmp(&s[b].re));
    let wall_modes = order.iter().take_while(|&&k| wall_mode(k)).count();
    let physical: Vec<usize> = order.iter().copied().filter(|&k| !wall_mode(k)).collect();
    let lowest = &physical[..LOWEST];
    let states = lowest
        .iter()
        .map(|&k| {
            let column = eigen.U().col(k);
            // A real eigenvalue's vector is real up to one complex factor: divide it out.
            let big = (0..column.nrows())
                .max_by(|&a, &b| column[a].norm().total_cmp(&column[b].norm()))
                .unwrap_or(0);
            let phase = column[big];
            let mut state: Vec<f64> = (0..column.nrows()).map(|i| (column[i] / phase).re).collect();
            let first = state.iter().find(|v| v.abs() > 1e-3).copied().unwrap_or(1.0);
            if first < 0.0 {
                state.iter_mut().for_each(|v| *v = -*v);
            }
            state
        })
        .collect();
    Spectrum {
        accuracy,
        wall_modes,
        energies: lowest.iter().map(|&k| s[k].re).collect(),
        imaginary: lowest.iter().map(|&k| s[k].im.abs()).fold(0.0, f64::max),
        states,
    }
}

pub const ACCURACIES: [usize; 3] = [2, 4, 6];
pub const TOLERANCE: [f64; 3] = [1e-2, 5e-5, 5e-7];

fn main() {
    let spectra: Vec<Spectrum> = ACCURACIES.iter().map(|&p| spectrum(p, POINTS)).collect();
    let h = 2.0 * HALF_WIDTH / (POINTS - 1) as f64;
    println!("Harmonic oscillator, {POINTS} points on [−{HALF_WIDTH}, {HALF_WIDTH}] (h = {h}): E_n − (n + ½)");
    print!("| n | exact |");
    for p in ACCURACIES {
        print!(" accuracy {p} |");
    }
    println!("\n|---|---|{}", "---|".repeat(ACCURACIES.len()));
    print!("| wall modes below E₀ | |");
    for s in &spectra {
        print!(" {} |", s.wall_modes);
    }
    println!();
    for n in 0..LOWEST {
        print!("| {n} | {} |", n as f64 + 0.5);
        for s in &spectra {
            print!(" {:+.2e} |", s.energies[n] - (n as f64 + 0.5));
        }
        println!();
    }
    for (s, tolerance) in spectra.iter().zip(TOLERANCE) {
        for (n, e) in s.energies.iter().enumerate() {
            let error = (e - (n as f64 + 0.5)).abs();
            assert!(error < tolerance, "accuracy {}: E_{n} off by {error:e}", s.accuracy);
        }
        assert!(
            s.imaginary < 1e-9,
            "accuracy {}: imaginary part {}",
            s.accuracy,
            s.imaginary
        );
        assert!(
            s.accuracy == 6 || s.wall_modes == 0,
            "accuracy {}: {} wall modes",
            s.accuracy,
            s.wall_modes
        );
    }

    let path = common::out_dir().join("eigenvalues.png");
    render(&spectra[1], &path).unwrap();
    println!("wrote {}", path.display());
}

/// The potential, and each of the four lowest states drawn around the line of its energy.
pub fn render(spectrum: &Spectrum, path: &Path) -> common::Result {
    let x = grid(spectrum.states[0].len() + 2);
    let inner: Vec<f64> = x.iter().skip(1).take(x.len() - 2).copied().collect();
    let shown = 4;
    common::save_figure(path, (900, 620), |root| {
        let mut chart = common::axes(
            root,
            &format!(
                "Harmonic oscillator: lowest states ψₙ (scaled) at their energies, accuracy {}, {} points",
                spectrum.accuracy,
                x.len()
            ),
            (-5.5, 5.5),
            (0.0, shown as f64 + 1.7),
            ("position x (oscillator lengths √(ħ/mω))", "energy E (ħω)"),
        )?;
        chart
            .draw_series(LineSeries::new(
                inner
                    .iter()
                    .map(|&x| (x, 0.5 * x * x))
                    .filter(|p| p.1 <= shown as f64 + 1.7),
                BLACK.stroke_width(2),
            ))?
            .label("potential V(x) = x²/2")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2)));
        for n in 0..shown {
            let e = spectrum.energies[n];
            let colour = [
                RGBColor(31, 119, 180),
                RGBColor(214, 39, 40),
                RGBColor(44, 160, 44),
                RGBColor(148, 103, 189),
            ][n];
            chart.draw_series(LineSeries::new(
                vec![(-5.5, e), (5.5, e)],
                colour.mix(0.35).stroke_width(1),
            ))?;
            chart
                .draw_series(LineSeries::new(
                    inner.iter().zip(&spectrum.states[n]).map(|(&x, &v)| (x, e + 0.4 * v)),
                    colour.stroke_width(2),
                ))?
                .label(format!("ψ{n}, E = {e:.6} (exact {})", n as f64 + 0.5))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperMiddle)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(common::TICKS)
            .draw()?;
        Ok(())
    })
}
