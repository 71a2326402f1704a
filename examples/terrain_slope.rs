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
//! Writes `target/examples-out/terrain_slope.png`. Run with
//! `cargo run --release --example terrain_slope`.

mod common;

use std::f64::consts::PI;

use common::{Image, Rgb, WHITE, hsv, viridis};
use ndarray::{Array1, Array2, Axis, Zip};
use ndarray_gradient::{ArrayGradientExt, EdgeOrder, GradientOptions};

const WIDTH: f64 = 12_000.0; // east-west extent, m
const HEIGHT: f64 = 9_000.0; // south-north extent, m

/// Gaussian hills: (east, north, width east, width north, height), metres.
const HILLS: [(f64, f64, f64, f64, f64); 3] = [
    (4_000.0, 5_000.0, 1_500.0, 1_500.0, 900.0),
    (8_500.0, 3_000.0, 1_200.0, 2_000.0, 500.0),
    (9_500.0, 7_500.0, 700.0, 700.0, 250.0),
];

/// Elevation (m) and its exact gradient `(dz/dx, dz/dy)` at `(x, y)`: the hills, a regional
/// tilt and rolling waves.
fn terrain(x: f64, y: f64) -> (f64, f64, f64) {
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

struct Grid {
    x: Array1<f64>,
    y: Array1<f64>,
    z: Array2<f64>,
    dzdx: Array2<f64>,
    dzdy: Array2<f64>,
}

/// Samples the terrain on an `ny × nx` grid (spacing 2.5× finer near the big mountain in x,
/// growing northwards in y) and differentiates it with coordinates.
fn sample(nx: usize, ny: usize) -> Grid {
    let x = stretched(nx, WIDTH, |s| 1.0 - 0.6 * (-((s - 1.0 / 3.0) / 0.15).powi(2)).exp());
    let y = stretched(ny, HEIGHT, |s| 0.75 + 0.5 * s);
    let z = Array2::from_shape_fn((ny, nx), |(i, j)| terrain(x[j], y[i]).0);
    // dzdy, dzdx = np.gradient(z, y, x, edge_order=2)
    let opts = GradientOptions::new()
        .coordinates(Axis(0), &y)
        .coordinates(Axis(1), &x)
        .edge_order(EdgeOrder::Second);
    let mut g = z.gradient_with(&opts).unwrap();
    let (dzdx, dzdy) = (g.pop().unwrap(), g.pop().unwrap());
    Grid { x, y, z, dzdx, dzdy }
}

/// Largest error of the numerical gradient, slope (degrees) and aspect (degrees, where the
/// slope exceeds 2°) against the analytic terrain.
fn errors(grid: &Grid) -> (f64, f64, f64) {
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

fn slope_deg(dzdx: f64, dzdy: f64) -> f64 {
    dzdx.hypot(dzdy).atan().to_degrees()
}

/// The compass direction (degrees clockwise from north) the slope faces: the downhill direction.
fn aspect_deg(dzdx: f64, dzdy: f64) -> f64 {
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
    let max_slope = fine
        .dzdx
        .iter()
        .zip(&fine.dzdy)
        .map(|(&x, &y)| slope_deg(x, y))
        .fold(0.0, f64::max);
    println!("steepest slope: {max_slope:.1} deg");
    assert!(e1 / e2 > 3.5 && e1 / e2 < 4.5, "not second order: ratio {}", e1 / e2);
    assert!(s2 < 0.1 && a2 < 1.0, "slope or aspect off: {s2} deg, {a2} deg");

    let path = render(&fine, max_slope).save_png("terrain_slope.png").unwrap();
    println!("wrote {}", path.display());
}

/// Three panels on a uniform pixel grid (north up), sampled from the non-uniform grid by
/// bilinear interpolation: shaded relief, slope, aspect.
fn render(g: &Grid, max_slope: f64) -> Image {
    let metres_per_pixel = 25.0;
    let (w, h) = (
        (WIDTH / metres_per_pixel) as usize,
        (HEIGHT / metres_per_pixel) as usize,
    );
    let (zmin, zmax) = (
        g.z.fold(f64::INFINITY, |a, &b| a.min(b)),
        g.z.fold(0.0f64, |a, &b| a.max(b)),
    );
    // Pixel (px, py) -> the interpolated elevation and gradient there.
    let at = |px: usize, py: usize| {
        let x = (px as f64 + 0.5) * metres_per_pixel;
        let y = HEIGHT - (py as f64 + 0.5) * metres_per_pixel;
        let (j, tx) = locate(&g.x, x);
        let (i, ty) = locate(&g.y, y);
        let lerp = |a: &Array2<f64>| {
            let top = a[[i, j]] * (1.0 - tx) + a[[i, j + 1]] * tx;
            let bottom = a[[i + 1, j]] * (1.0 - tx) + a[[i + 1, j + 1]] * tx;
            top * (1.0 - ty) + bottom * ty
        };
        (lerp(&g.z), lerp(&g.dzdx), lerp(&g.dzdy))
    };
    let mut relief = Image::from_fn(w, h, |px, py| {
        let (z, gx, gy) = at(px, py);
        let shade = 0.2 + 0.8 * hillshade(3.0 * gx, 3.0 * gy); // 3x vertical exaggeration
        hypsometric((z - zmin) / (zmax - zmin)).map(|c| (c as f64 * shade).round() as u8)
    });
    // Ticks at every 5th grid line along the bottom and left edges show the non-uniform grid.
    for &x in g.x.iter().step_by(5) {
        let px = (x / metres_per_pixel) as i64;
        relief.line((px, h as i64 - 8), (px, h as i64 - 1), WHITE);
    }
    for &y in g.y.iter().step_by(5) {
        let py = ((HEIGHT - y) / metres_per_pixel) as i64;
        relief.line((0, py), (7, py), WHITE);
    }
    let slope = Image::from_fn(w, h, |px, py| {
        let (_, gx, gy) = at(px, py);
        viridis(slope_deg(gx, gy) / max_slope)
    });
    let aspect = Image::from_fn(w, h, |px, py| {
        let (_, gx, gy) = at(px, py);
        hsv(aspect_deg(gx, gy) / 360.0, 1.0, (slope_deg(gx, gy) / 15.0).min(1.0))
    });
    Image::hstack(&[
        relief.titled("SHADED RELIEF (SUN NW)"),
        slope.titled("SLOPE (DEG)").with_colorbar(0.0, max_slope, viridis),
        aspect.titled("ASPECT: RED FACES N, CYAN S"),
    ])
}

/// The index of the grid interval holding `v` and the fraction of the way across it.
fn locate(coords: &Array1<f64>, v: f64) -> (usize, f64) {
    let c = coords.as_slice().unwrap();
    let k = c.partition_point(|&x| x <= v).clamp(1, c.len() - 1) - 1;
    (k, ((v - c[k]) / (c[k + 1] - c[k])).clamp(0.0, 1.0))
}

/// Illumination in `0..=1` of a surface with this gradient by a sun in the north-west, 45° high.
fn hillshade(dzdx: f64, dzdy: f64) -> f64 {
    let (zenith, azimuth) = (45f64.to_radians(), 315f64.to_radians());
    let slope = dzdx.hypot(dzdy).atan();
    let aspect = aspect_deg(dzdx, dzdy).to_radians();
    (zenith.cos() * slope.cos() + zenith.sin() * slope.sin() * (azimuth - aspect).cos()).max(0.0)
}

/// Elevation colours: lowland green, upland tan, brown, then snow.
fn hypsometric(t: f64) -> Rgb {
    let stops: [(f64, [f64; 3]); 5] = [
        (0.0, [60.0, 120.0, 60.0]),
        (0.3, [160.0, 180.0, 100.0]),
        (0.6, [170.0, 130.0, 80.0]),
        (0.85, [220.0, 210.0, 200.0]),
        (1.0, [255.0, 255.0, 255.0]),
    ];
    let t = t.clamp(0.0, 1.0);
    let k = stops.iter().rposition(|s| s.0 <= t).unwrap().min(stops.len() - 2);
    let ((t0, c0), (t1, c1)) = (stops[k], stops[k + 1]);
    let f = (t - t0) / (t1 - t0);
    [0, 1, 2].map(|n| (c0[n] + (c1[n] - c0[n]) * f).round() as u8)
}
