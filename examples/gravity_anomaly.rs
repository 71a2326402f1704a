//! Gravity anomaly of a buried body and its horizontal-gradient magnitude (geophysics): a dense
//! rectangular block under a survey grid whose x and y spacings differ, the anomaly `g_z` from
//! the closed-form prism formula, its gradient with `gradient_with` (one spacing per axis), and
//! where the horizontal gradient peaks compared with the block's true edges.
//!
//! Replaces this NumPy code (`y` north along axis 0, `x` east along axis 1, km and mGal):
//!
//! ```python
//! dgdy, dgdx = np.gradient(g, dy, dx)
//! hgm = np.hypot(dgdx, dgdy)                  # mGal/km; its ridges mark steep contacts
//! ```
//!
//! Checks (asserted): the numerical gradient matches the prism's derivative (to the O(h²) of
//! central differences); along the profiles through the block's centre the horizontal gradient
//! peaks over the block's true edges, within half a grid step.
//!
//! Writes `target/examples-out/gravity_anomaly.png`. Run with
//! `cargo run --release --example gravity_anomaly`.

mod common;

use std::path::Path;

use common::{LABEL, TICKS, TITLE};
use ndarray::{Array1, Array2, Axis, Zip};
use ndarray_gradient::{ArrayGradientExt, GradientOptions};
use plotters::prelude::*;

const G: f64 = 6.674_30e-11; // gravitational constant, m³ kg⁻¹ s⁻²
const MGAL: f64 = 1e-5; // 1 mGal in m/s²
/// The survey's extent, km.
pub const EXTENT: (f64, f64) = (8.0, 6.0);

/// A rectangular block: x and y extent (km, east and north), top and bottom depth (km), density
/// contrast (kg/m³).
#[derive(Clone, Copy, Debug)]
pub struct Prism {
    pub x: (f64, f64),
    pub y: (f64, f64),
    pub z: (f64, f64),
    pub density: f64,
}

/// A dense intrusion: 2 km × 1.2 km, from 150 m to 1.5 km deep, 300 kg/m³ denser than its host.
pub const BODY: Prism = Prism {
    x: (3.0, 5.0),
    y: (2.4, 3.6),
    z: (0.15, 1.5),
    density: 300.0,
};

impl Prism {
    /// The vertical attraction (mGal, positive down) at `(x, y)` on the surface: the closed form
    /// of Plouff (1976) as in Blakely, *Potential Theory in Gravity and Magnetic Applications*.
    pub fn gz(&self, x: f64, y: f64) -> f64 {
        let mut sum = 0.0;
        for (i, xi) in [self.x.0, self.x.1].into_iter().enumerate() {
            for (j, yj) in [self.y.0, self.y.1].into_iter().enumerate() {
                for (k, zk) in [self.z.0, self.z.1].into_iter().enumerate() {
                    let (dx, dy, dz) = ((xi - x) * 1e3, (yj - y) * 1e3, zk * 1e3); // metres
                    let r = (dx * dx + dy * dy + dz * dz).sqrt();
                    let sign = if (i + j + k) % 2 == 0 { 1.0 } else { -1.0 };
                    sum += sign * (dz * (dx * dy / (dz * r)).atan() - dx * (r + dy).ln() - dy * (r + dx).ln());
                }
            }
        }
        -G * self.density * sum / MGAL
    }

    /// Its mass, kg.
    pub fn mass(&self) -> f64 {
        self.density * (self.x.1 - self.x.0) * (self.y.1 - self.y.0) * (self.z.1 - self.z.0) * 1e9
    }
}

/// The anomaly on the survey grid and its horizontal gradient.
pub struct Survey {
    /// East coordinates of the columns, km.
    pub x: Array1<f64>,
    /// North coordinates of the rows, km.
    pub y: Array1<f64>,
    /// `g_z`, mGal; axis 0 = y, axis 1 = x.
    pub g: Array2<f64>,
    pub dgdx: Array2<f64>,
    pub dgdy: Array2<f64>,
    /// `|∇ₕ g_z|`, mGal/km.
    pub hgm: Array2<f64>,
}

/// Samples the anomaly on `nx × ny` points over [`EXTENT`] and differentiates it.
pub fn survey(nx: usize, ny: usize) -> Survey {
    let x = Array1::linspace(0.0, EXTENT.0, nx);
    let y = Array1::linspace(0.0, EXTENT.1, ny);
    let (dx, dy) = (x[1] - x[0], y[1] - y[0]);
    let g = Array2::from_shape_fn((ny, nx), |(i, j)| BODY.gz(x[j], y[i]));
    // dgdy, dgdx = np.gradient(g, dy, dx)
    let opts = GradientOptions::new()
        .axis_spacing(Axis(0), dy)
        .axis_spacing(Axis(1), dx);
    let [dgdy, dgdx] = g.gradient_with(&opts).unwrap();
    let hgm = Zip::from(&dgdx).and(&dgdy).map_collect(|&a, &b| a.hypot(b));
    Survey {
        x,
        y,
        g,
        dgdx,
        dgdy,
        hgm,
    }
}

/// The largest error of the numerical gradient against the prism's own derivative (a central
/// difference of the closed form with a 1 mm step), relative to the largest gradient.
pub fn gradient_error(s: &Survey) -> f64 {
    let h = 1e-6; // km
    let mut err = 0.0f64;
    Zip::indexed(&s.dgdx).and(&s.dgdy).for_each(|(i, j), &gx, &gy| {
        let (x, y) = (s.x[j], s.y[i]);
        let ax = (BODY.gz(x + h, y) - BODY.gz(x - h, y)) / (2.0 * h);
        let ay = (BODY.gz(x, y + h) - BODY.gz(x, y - h)) / (2.0 * h);
        err = err.max((gx - ax).hypot(gy - ay));
    });
    err / s.hgm.fold(0.0f64, |a, &b| a.max(b))
}

/// Where the horizontal gradient peaks along the east-west profile through the block's centre
/// (west and east of the centre) and along the north-south one (south and north), km: the
/// largest sample on each side, refined by a parabola through it and its neighbours.
#[derive(Clone, Copy, Debug)]
pub struct Peaks {
    pub x: (f64, f64),
    pub y: (f64, f64),
}

pub fn peaks(s: &Survey) -> Peaks {
    let centre = ((BODY.x.0 + BODY.x.1) / 2.0, (BODY.y.0 + BODY.y.1) / 2.0);
    let nearest = |c: &Array1<f64>, v: f64| {
        (0..c.len())
            .min_by(|&a, &b| (c[a] - v).abs().total_cmp(&(c[b] - v).abs()))
            .unwrap()
    };
    // The coordinate of the largest value on each side of `mid`.
    let split_max = |coords: &Array1<f64>, values: ndarray::ArrayView1<f64>, mid: f64| {
        let best = |side: &dyn Fn(f64) -> bool| {
            let k = (1..coords.len() - 1)
                .filter(|&k| side(coords[k]))
                .max_by(|&a, &b| values[a].total_cmp(&values[b]))
                .unwrap();
            // The vertex of the parabola through the largest sample and its two neighbours.
            let (a, b, c) = (values[k - 1], values[k], values[k + 1]);
            coords[k] + 0.5 * (a - c) / (a - 2.0 * b + c) * (coords[k + 1] - coords[k])
        };
        (best(&|c| c < mid), best(&|c| c > mid))
    };
    let row = nearest(&s.y, centre.1);
    let col = nearest(&s.x, centre.0);
    Peaks {
        x: split_max(&s.x, s.hgm.row(row), centre.0),
        y: split_max(&s.y, s.hgm.column(col), centre.1),
    }
}

fn main() {
    let s = survey(193, 97); // steps of 41.7 m and 62.5 m: the block's edges fall between samples
    let (dx, dy) = (s.x[1] - s.x[0], s.y[1] - s.y[0]);
    let peak_g = s.g.fold(0.0f64, |a, &b| a.max(b));
    let err = gradient_error(&s);
    let p = peaks(&s);
    println!(
        "survey {} x {} points, dx = {:.1} m, dy = {:.1} m; block {:?} km, top {} m, bottom {} m",
        s.x.len(),
        s.y.len(),
        dx * 1e3,
        dy * 1e3,
        (BODY.x, BODY.y),
        BODY.z.0 * 1e3,
        BODY.z.1 * 1e3
    );
    println!(
        "peak anomaly {peak_g:.3} mGal; max horizontal gradient {:.3} mGal/km",
        s.hgm.fold(0.0f64, |a, &b| a.max(b))
    );
    println!(
        "numerical gradient vs the prism's derivative: max error {:.2} % of the largest gradient",
        err * 100.0
    );
    println!("horizontal-gradient peaks on the profiles through the centre vs the true edges:");
    for (name, found, edge, step) in [
        ("west ", p.x.0, BODY.x.0, dx),
        ("east ", p.x.1, BODY.x.1, dx),
        ("south", p.y.0, BODY.y.0, dy),
        ("north", p.y.1, BODY.y.1, dy),
    ] {
        println!(
            "  {name}: peak at {found:.3} km, edge at {edge:.3} km, off by {:+.0} m ({:.2} grid steps)",
            (found - edge) * 1e3,
            (found - edge).abs() / step
        );
    }
    assert!(err < 0.02, "numerical gradient off by {err}");
    assert!((p.x.0 - BODY.x.0).abs() < dx / 2.0 && (p.x.1 - BODY.x.1).abs() < dx / 2.0);
    assert!((p.y.0 - BODY.y.0).abs() < dy / 2.0 && (p.y.1 - BODY.y.1).abs() < dy / 2.0);

    let path = common::out_dir().join("gravity_anomaly.png");
    render(&s, &p, &path).unwrap();
    println!("wrote {}", path.display());
}

/// Anomaly map, horizontal-gradient map (block outline and the peaks marked), and the east-west
/// profile through the centre.
pub fn render(s: &Survey, p: &Peaks, path: &Path) -> common::Result {
    let (xe, ye) = (
        common::edges(s.x.as_slice().unwrap()),
        common::edges(s.y.as_slice().unwrap()),
    );
    let g_hi = s.g.fold(0.0f64, |a, &b| a.max(b));
    let h_hi = s.hgm.fold(0.0f64, |a, &b| a.max(b));
    let outline = || {
        let (x, y) = (BODY.x, BODY.y);
        PathElement::new(
            vec![(x.0, y.0), (x.1, y.0), (x.1, y.1), (x.0, y.1), (x.0, y.0)],
            WHITE.stroke_width(2),
        )
    };
    common::save_figure(path, (1400, 900), |root| {
        let (top, bottom) = root.split_vertically(500);
        let maps = top.split_evenly((1, 2));
        let axes = ("x, east (km)", "y, north (km)");
        let mut map = common::heatmap(
            &maps[0],
            "Gravity anomaly Δg of a buried dense block",
            axes,
            &xe,
            (&ye, false),
            |i, j| common::colour(colorous::VIRIDIS, s.g[[i, j]] / g_hi),
            (&|t| common::colour(colorous::VIRIDIS, t), (0.0, g_hi), "Δg (mGal)"),
        )?;
        map.draw_series([outline()])?
            .label("block's true edges")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], WHITE.stroke_width(2)));
        map.configure_series_labels()
            .background_style(BLACK.mix(0.5))
            .label_font(TICKS.into_font().color(&WHITE))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;

        let mut hgm = common::heatmap(
            &maps[1],
            "Horizontal-gradient magnitude |∇ₕΔg|",
            axes,
            &xe,
            (&ye, false),
            |i, j| common::colour(colorous::INFERNO, s.hgm[[i, j]] / h_hi),
            (
                &|t| common::colour(colorous::INFERNO, t),
                (0.0, h_hi),
                "|∇ₕΔg| (mGal/km)",
            ),
        )?;
        let centre = ((BODY.x.0 + BODY.x.1) / 2.0, (BODY.y.0 + BODY.y.1) / 2.0);
        hgm.draw_series(
            [
                (p.x.0, centre.1),
                (p.x.1, centre.1),
                (centre.0, p.y.0),
                (centre.0, p.y.1),
            ]
            .map(|c| Cross::new(c, 7, CYAN.stroke_width(3))),
        )?
        .label("peak on the centre profiles")
        .legend(|(x, y)| Cross::new((x + 9, y), 5, CYAN.stroke_width(3)));
        hgm.draw_series([outline()])?
            .label("block's true edges")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], WHITE.stroke_width(2)));
        hgm.configure_series_labels()
            .background_style(BLACK.mix(0.5))
            .label_font(TICKS.into_font().color(&WHITE))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;

        // The east-west profile through the centre: anomaly on the left axis, gradient on the right.
        let row = s.y.iter().position(|&v| v >= centre.1).unwrap();
        let mut chart = ChartBuilder::on(&bottom)
            .caption(
                format!("East-west profile through the block, y = {:.2} km", s.y[row]),
                TITLE,
            )
            .margin(8)
            .margin_left(30)
            .margin_right(30)
            .x_label_area_size(46)
            .y_label_area_size(64)
            .right_y_label_area_size(64)
            .build_cartesian_2d(0.0..EXTENT.0, 0.0..g_hi * 1.1)?
            .set_secondary_coord(0.0..EXTENT.0, 0.0..h_hi * 1.1);
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_desc("x, east (km)")
            .y_desc("Δg (mGal)")
            .x_label_formatter(&|v| common::number(*v))
            .y_label_formatter(&|v| common::number(*v))
            .label_style(TICKS)
            .axis_desc_style(LABEL)
            .draw()?;
        chart
            .configure_secondary_axes()
            .y_desc("|∇ₕΔg| (mGal/km)")
            .y_label_formatter(&|v| common::number(*v))
            .label_style(TICKS)
            .axis_desc_style(LABEL)
            .draw()?;
        let blue = RGBColor(31, 119, 180);
        let orange = RGBColor(230, 100, 20);
        chart
            .draw_series(LineSeries::new(
                s.x.iter().zip(s.g.row(row)).map(|(&x, &g)| (x, g)),
                blue.stroke_width(2),
            ))?
            .label("Δg")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], blue.stroke_width(2)));
        chart
            .draw_secondary_series(LineSeries::new(
                s.x.iter().zip(s.hgm.row(row)).map(|(&x, &g)| (x, g)),
                orange.stroke_width(2),
            ))?
            .label("|∇ₕΔg|")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], orange.stroke_width(2)));
        let grey = RGBColor(90, 90, 90);
        chart
            .draw_series(
                [BODY.x.0, BODY.x.1].map(|e| PathElement::new(vec![(e, 0.0), (e, g_hi * 1.1)], grey.stroke_width(1))),
            )?
            .label("true edges")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], grey.stroke_width(1)));
        let peak_h = |x: f64| s.hgm[[row, ((x / EXTENT.0) * (s.x.len() - 1) as f64).round() as usize]];
        chart
            .draw_secondary_series([p.x.0, p.x.1].map(|x| Cross::new((x, peak_h(x)), 6, BLACK.stroke_width(2))))?
            .label("gradient peaks")
            .legend(|(x, y)| Cross::new((x + 9, y), 5, BLACK.stroke_width(2)));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(TICKS)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;
        Ok(())
    })
}
