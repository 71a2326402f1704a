//! Plot set-up shared by the examples. Drawing is `plotters`', colour maps `colorous`', PNG
//! encoding `image`'s; this file only wires them together: where pictures go, the font, a figure
//! saved as a compressed PNG, and a heat map with its colour bar.
//!
//! Text is rendered by plotters' pure-Rust `ab_glyph` path with DejaVu Sans from the `dejavu`
//! crate, registered from bytes, so no system font library is needed (see the README).
#![allow(dead_code)]

use std::error::Error;
use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Once;

use image::ImageEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

pub type Result<T = ()> = std::result::Result<T, Box<dyn Error>>;
pub type Panel<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
pub type Chart<'a> = ChartContext<'a, BitMapBackend<'a>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

pub const TITLE: (&str, u32, FontStyle) = ("sans-serif", 20, FontStyle::Bold);
pub const LABEL: (&str, u32) = ("sans-serif", 15);
pub const TICKS: (&str, u32) = ("sans-serif", 13);

/// `target/examples-out/`, created if needed.
pub fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("examples-out");
    fs::create_dir_all(&dir).expect("cannot create target/examples-out");
    dir
}

/// Draws a `width × height` figure on white with `draw` and writes it to `path` as a PNG at
/// the best compression.
pub fn save_figure(path: &Path, (width, height): (u32, u32), draw: impl FnOnce(&Panel) -> Result) -> Result {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
    let mut pixels = vec![255u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    let file = BufWriter::new(File::create(path)?);
    PngEncoder::new_with_quality(file, CompressionType::Best, FilterType::Adaptive).write_image(
        &pixels,
        width,
        height,
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(())
}

/// The colour of `t` in `0..=1` (clamped) on a colorous colour map.
pub fn colour(map: colorous::Gradient, t: f64) -> RGBColor {
    let c = map.eval_continuous(if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) });
    RGBColor(c.r, c.g, c.b)
}

/// A colour map as a function of `t` in `0..=1`.
pub type Map<'f> = &'f dyn Fn(f64) -> RGBColor;

/// A colour bar: the map from `lo` to `hi`, numbers on its right, `label` (quantity and unit).
pub fn colour_bar(area: &Panel, map: Map, (lo, hi): (f64, f64), label: &str) -> Result {
    let mut bar = ChartBuilder::on(area);
    bar.caption(" ", TITLE) // the same height as a panel's title, so the bar lines up with the plot
        .margin(8)
        .margin_left(20)
        .margin_right(30)
        .x_label_area_size(46)
        .right_y_label_area_size(62);
    let mut bar = bar.build_cartesian_2d(0.0..1.0, lo..hi)?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc(label)
        .y_labels(7)
        .y_label_formatter(&|v| number(*v))
        .label_style(TICKS)
        .axis_desc_style(LABEL)
        .draw()?;
    let steps = 256;
    bar.draw_series((0..steps).map(|k| {
        let (a, b) = (k as f64 / steps as f64, (k + 1) as f64 / steps as f64);
        let c = map((a + b) / 2.0);
        Rectangle::new([(0.0, lo + a * (hi - lo)), (1.0, lo + b * (hi - lo))], c.filled())
    }))?;
    Ok(())
}

/// Axes with a title, tick numbers and axis labels on `area`, over `x` × `y`.
pub fn axes<'a>(
    area: &Panel<'a>,
    title: &str,
    x: (f64, f64),
    y: (f64, f64),
    labels: (&str, &str),
) -> Result<Chart<'a>> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, TITLE)
        .margin(8)
        .x_label_area_size(46)
        .y_label_area_size(64)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(labels.0)
        .y_desc(labels.1)
        .x_label_formatter(&|v| number(*v))
        .y_label_formatter(&|v| number(*v))
        .label_style(TICKS)
        .axis_desc_style(LABEL)
        .draw()?;
    Ok(chart)
}

/// A heat map with a colour bar: cell `(i, j)` spans `x_edges[j]..x_edges[j + 1]` and
/// `y_edges[i]..y_edges[i + 1]` and has the colour `cell(i, j)`; the y axis points down when
/// `y_down` (images). The colour bar shows `bar`: (colour map, range, quantity and unit).
/// Returns the chart for overlays.
#[allow(clippy::too_many_arguments)]
pub fn heatmap<'a>(
    area: &Panel<'a>,
    title: &str,
    labels: (&str, &str),
    x_edges: &[f64],
    (y_edges, y_down): (&[f64], bool),
    cell: impl Fn(usize, usize) -> RGBColor,
    bar: (Map, (f64, f64), &str),
) -> Result<Chart<'a>> {
    let (w, _) = area.dim_in_pixel();
    let (main, right) = area.split_horizontally(w.saturating_sub(140));
    colour_bar(&right, bar.0, bar.1, bar.2)?;
    let span = |e: &[f64]| (e[0], e[e.len() - 1]);
    let (y0, y1) = span(y_edges);
    let y = if y_down { (y1, y0) } else { (y0, y1) };
    let mut chart = axes(&main, title, span(x_edges), y, labels)?;
    chart.draw_series((0..y_edges.len() - 1).flat_map(|i| {
        let cell = &cell;
        (0..x_edges.len() - 1).map(move |j| {
            Rectangle::new(
                [(x_edges[j], y_edges[i]), (x_edges[j + 1], y_edges[i + 1])],
                cell(i, j).filled(),
            )
        })
    }))?;
    Ok(chart)
}

/// A tick number without trailing zeros: `50`, `0.25`, `-1.5`.
pub fn number(v: f64) -> String {
    let s = format!("{:.6}", if v.abs() < 1e-9 { 0.0 } else { v });
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A tick number on a log axis: `10⁻³` for a power of ten, else `2e-3`.
pub fn power_of_ten(v: f64) -> String {
    let e = v.log10().round();
    if (v / 10f64.powf(e) - 1.0).abs() < 1e-9 {
        let sup = |c| match c {
            '-' => '⁻',
            d => ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d as usize - '0' as usize],
        };
        format!("10{}", (e as i32).to_string().chars().map(sup).collect::<String>())
    } else {
        format!("{v:.0e}")
    }
}

/// Cell edges for points at `centres`: midpoints between neighbours, the ends extended by half
/// a step.
pub fn edges(centres: &[f64]) -> Vec<f64> {
    let n = centres.len();
    let mut e = Vec::with_capacity(n + 1);
    e.push(centres[0] - (centres[1] - centres[0]) / 2.0);
    e.extend(centres.windows(2).map(|w| (w[0] + w[1]) / 2.0));
    e.push(centres[n - 1] + (centres[n - 1] - centres[n - 2]) / 2.0);
    e
}
