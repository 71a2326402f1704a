//! Terrain slope and aspect on a non-uniform grid (geophysics / GIS): a synthetic landscape
//! sampled on a grid that is finer around the main mountain, differentiated with coordinate
//! arrays, then rendered as shaded relief, slope and aspect maps.
//!
//! Replaces this NumPy code (`y` north along axis 0, `x` east along axis 1, metres):
//!
//! ```python
//! dzdy, dzdx = np.gradient(z, y, x, edge_order=2)
//! slope = np.degrees(np.arctan(np.hypot(dzdx, dzdy)))
//! aspect = np.degrees(np.arctan2(-dzdx, -dzdy)) % 360     # compass direction the slope faces
//! ```
//!
//! Checks (asserted): the numerical gradient matches the terrain's analytic gradient, and the
//! error falls about 4× when the grid is refined 2× (second order, even though the grid is
//! non-uniform); slope and aspect match their analytic values.
//!
//! Writes `target/examples-out/terrain_slope.png`: shaded relief, slope, aspect, and the
//! gradient's error against the analytic terrain. Run with
//! `cargo run --release --example terrain_slope`.

mod common;

use std::f64::consts::PI;
use std::path::Path;

use common::TICKS;
use ndarray::{Array1, Array2, Axis, Zip};
use ndarray_gradient::{ArrayGradientExt, EdgeOrder, GradientOptions};
use plotters::prelude::*;

pub const WIDTH: f64 = 12_000.0; // east-west extent, m
pub const HEIGHT: f64 = 9_000.0; // south-north extent, m

/// Gaussian hills: (east, north, width east, width north, height), metres.
const HILLS: [(f64, f64, f64, f64, f64); 3] = [
    (4_000.0, 5_000.0, 1_500.0, 1_500.0, 900.0),
    (8_500.0, 3_000.0, 1_200.0, 2_000.0, 500.0),
    (9_500.0, 7_500.0, 700.0, 700.0, 250.0),
];

/// Elevation (m) and its exact gradient `(dz/dx, dz/dy)` at `(x, y)`: the hills, a regional
/// tilt and rolling waves.
pub fn terrain(x: f64, y: f64) -> (f64, f64, f64) {
    let (kx, ky) = (2.0 * PI / 2_500.0, 2.0 * PI / 3_000.0);
    let mut z = 0.02 * x + 15.0 * (kx * x).sin() * (ky * y).sin();
    let mut dzdx = 0.02 + 15.0 * kx * (kx * x).cos() * (ky * y).sin();
    let mut dzdy = 15.0 * ky * (kx * x).sin() * (ky * y).cos();
    for (x0, y0, sx, sy, h) in HILLS {
        let e = h * (-((x - x0) / sx).powi(2) / 2.0 - ((y - y0) / sy).powi(2) / 2.0).exp();
        z += e;
        dzdx -= e * (x - x0) / (sx * sx);
        dzdy -= e * (y - y0) / (sy * sy);
    }
    (z, dzdx, dzdy)
}

/// `n` coordinates from 0 to `length` whose spacing follows `density` (smaller = finer).
fn stretched(n: usize, length: f64, density: impl Fn(f64) -> f64) -> Array1<f64> {
    let mut x = Array1::zeros(n);
    for j in 1..n {
        x[j] = x[j - 1] + density((j as f64 - 0.5) / (n - 1) as f64);
    }
    let end = x[n - 1];
    x.mapv_into(|v| v * length / end)
}

pub struct Grid {
    pub x: Array1<f64>,
    pub y: Array1<f64>,
    pub z: Array2<f64>,
    pub dzdx: Array2<f64>,
    pub dzdy: Array2<f64>,
}

/// Samples the terrain on an `ny × nx` grid (spacing 2.5× finer near the big mountain in x,
/// growing northwards in y) and differentiates it with coordinates.
pub fn sample(nx: usize, ny: usize) -> Grid {
    let x = stretched(nx, WIDTH, |s| 1.0 - 0.6 * (-((s - 1.0 / 3.0) / 0.15).powi(2)).exp());
    let y = stretched(ny, HEIGHT, |s| 0.75 + 0.5 * s);
    let z = Array2::from_shape_fn((ny, nx), |(i, j)| terrain(x[j], y[i]).0);
    // dzdy, dzdx = np.gradient(z, y, x, edge_order=2)
    let opts = GradientOptions::new()
        .coordinates(Axis(0), &y)
        .coordinates(Axis(1), &x)
        .edge_order(EdgeOrder::Second);
    let [dzdy, dzdx] = z.gradient_with(&opts).unwrap();
    Grid { x, y, z, dzdx, dzdy }
}

/// Largest error of the numerical gradient, slope (degrees) and aspect (degrees, where the
/// slope exceeds 2°) against the analytic terrain.
pub fn errors(grid: &Grid) -> (f64, f64, f64) {
    let (mut grad, mut slope, mut aspect) = (0.0f64, 0.0f64, 0.0f64);
    Zip::indexed(&grid.dzdx).and(&grid.dzdy).for_each(|(i, j), &gx, &gy| {
        let (_, ax, ay) = terrain(grid.x[j], grid.y[i]);
        grad = grad.max((gx - ax).hypot(gy - ay));
        slope = slope.max((slope_deg(gx, gy) - slope_deg(ax, ay)).abs());
        if slope_deg(ax, ay) > 2.0 {
            let d = (aspect_deg(gx, gy) - aspect_deg(ax, ay)).rem_euclid(360.0);
            aspect = aspect.max(d.min(360.0 - d));
        }
    });
    (grad, slope, aspect)
}

pub fn slope_deg(dzdx: f64, dzdy: f64) -> f64 {
    dzdx.hypot(dzdy).atan().to_degrees()
}

/// The compass direction (degrees clockwise from north) the slope faces: the downhill direction.
pub fn aspect_deg(dzdx: f64, dzdy: f64) -> f64 {
    (-dzdx).atan2(-dzdy).to_degrees().rem_euclid(360.0)
}

fn main() {
    let coarse = sample(121, 91);
    let fine = sample(241, 181);
    let spacing = |c: &Array1<f64>| {
        let d = &c.slice(ndarray::s![1..]) - &c.slice(ndarray::s![..-1]);
        (
            d.fold(f64::INFINITY, |a, &b| a.min(b)),
            d.fold(0.0f64, |a, &b| a.max(b)),
        )
    };
    let (e1, s1, a1) = errors(&coarse);
    let (e2, s2, a2) = errors(&fine);
    for (name, g, e, s, a) in [("coarse", &coarse, e1, s1, a1), ("fine", &fine, e2, s2, a2)] {
        let ((xlo, xhi), (ylo, yhi)) = (spacing(&g.x), spacing(&g.y));
        println!(
            "{name:>6} grid {}x{} (dx {xlo:.0}..{xhi:.0} m, dy {ylo:.0}..{yhi:.0} m): max |grad error| {e:.2e}, \
             slope error {s:.4} deg, aspect error {a:.3} deg",
            g.x.len(),
            g.y.len(),
        );
    }
    println!("error ratio coarse/fine: {:.2} (4 for second order)", e1 / e2);
    println!("steepest slope: {:.1} deg", max_slope(&fine));
    assert!(e1 / e2 > 3.5 && e1 / e2 < 4.5, "not second order: ratio {}", e1 / e2);
    assert!(s2 < 0.1 && a2 < 1.0, "slope or aspect off: {s2} deg, {a2} deg");

    let path = common::out_dir().join("terrain_slope.png");
    render(&fine, &path).unwrap();
    println!("wrote {}", path.display());
}

/// The steepest slope on the grid, degrees.
pub fn max_slope(g: &Grid) -> f64 {
    g.dzdx
        .iter()
        .zip(&g.dzdy)
        .map(|(&x, &y)| slope_deg(x, y))
        .fold(0.0, f64::max)
}

/// Four maps on the grid's own cells (north up): shaded relief, slope, aspect, and the
/// gradient's error against the analytic terrain.
pub fn render(g: &Grid, path: &Path) -> common::Result {
    let km = |c: &Array1<f64>| common::edges(&c.iter().map(|v| v / 1e3).collect::<Vec<_>>());
    let (xe, ye) = (km(&g.x), km(&g.y));
    let (zmin, zmax) = (
        g.z.fold(f64::INFINITY, |a, &b| a.min(b)),
        g.z.fold(0.0f64, |a, &b| a.max(b)),
    );
    let steepest = max_slope(g);
    let error = Zip::indexed(&g.dzdx).and(&g.dzdy).map_collect(|(i, j), &gx, &gy| {
        let (_, ax, ay) = terrain(g.x[j], g.y[i]);
        (gx - ax).hypot(gy - ay) * 1e3 // m per km
    });
    let err_hi = error.fold(0.0f64, |a, &b| a.max(b));
    let land = |t: f64| common::colour(colorous::YELLOW_ORANGE_BROWN, 0.1 + 0.8 * t);
    let viridis = |t: f64| common::colour(colorous::VIRIDIS, t);
    let cyclic = |t: f64| common::colour(colorous::SINEBOW, t);
    let inferno = |t: f64| common::colour(colorous::INFERNO, t);
    let axes = ("x, east (km)", "y, north (km)");
    common::save_figure(path, (1520, 1000), |root| {
        let panels = root.split_evenly((2, 2));
        let mut relief = common::heatmap(
            &panels[0],
            "Shaded relief (sun in the north-west)",
            axes,
            &xe,
            (&ye, false),
            |i, j| {
                let RGBColor(r, gr, b) = land((g.z[[i, j]] - zmin) / (zmax - zmin));
                let shade = 0.25 + 0.75 * hillshade(3.0 * g.dzdx[[i, j]], 3.0 * g.dzdy[[i, j]]); // 3x vertical exaggeration
                let f = |c: u8| (f64::from(c) * shade).round() as u8;
                RGBColor(f(r), f(gr), f(b))
            },
            (&land, (zmin, zmax), "elevation (m), unshaded"),
        )?;
        // Every 10th grid line along the bottom and left edges: the grid is finer near the big
        // mountain in x and coarser northwards in y.
        let marks = g.x.iter().step_by(10).map(|&x| (x / 1e3, 0.0, true));
        let marks = marks.chain(g.y.iter().step_by(10).map(|&y| (0.0, y / 1e3, false)));
        relief
            .draw_series(marks.map(|(x, y, vertical)| {
                let end = if vertical { (x, 0.35) } else { (0.35, y) };
                PathElement::new(vec![(x, y), end], BLACK.stroke_width(2))
            }))?
            .label("every 10th grid line")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLACK.stroke_width(2)));
        relief
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .label_font(TICKS)
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
        common::heatmap(
            &panels[1],
            "Slope",
            axes,
            &xe,
            (&ye, false),
            |i, j| viridis(slope_deg(g.dzdx[[i, j]], g.dzdy[[i, j]]) / steepest),
            (&viridis, (0.0, steepest), "slope (°)"),
        )?;
        common::heatmap(
            &panels[2],
            "Aspect (hue), darker where flatter than 15°",
            axes,
            &xe,
            (&ye, false),
            |i, j| {
                let (gx, gy) = (g.dzdx[[i, j]], g.dzdy[[i, j]]);
                let RGBColor(r, gr, b) = cyclic(aspect_deg(gx, gy) / 360.0);
                let k = (slope_deg(gx, gy) / 15.0).min(1.0);
                let f = |c: u8| (f64::from(c) * k).round() as u8;
                RGBColor(f(r), f(gr), f(b))
            },
            (&cyclic, (0.0, 360.0), "aspect: direction faced (° from north)"),
        )?;
        common::heatmap(
            &panels[3],
            "Error of the gradient vs the analytic terrain",
            axes,
            &xe,
            (&ye, false),
            |i, j| inferno(error[[i, j]] / err_hi),
            (&inferno, (0.0, err_hi), "|numerical ∇z − exact ∇z| (m/km)"),
        )?;
        Ok(())
    })
}

/// Illumination in `0..=1` of a surface with this gradient by a sun in the north-west, 45° high.
fn hillshade(dzdx: f64, dzdy: f64) -> f64 {
    let (zenith, azimuth) = (45f64.to_radians(), 315f64.to_radians());
    let slope = dzdx.hypot(dzdy).atan();
    let aspect = aspect_deg(dzdx, dzdy).to_radians();
    (zenith.cos() * slope.cos() + zenith.sin() * slope.sin() * (azimuth - aspect).cos()).max(0.0)
}
