//! Edge detection on a photograph with `gradient`: NASA's public-domain portrait of astronaut
//! Eileen Collins (`examples/data/astronaut.png`, 8-bit grey), read with `image`, differentiated
//! as `u8` pixels directly with `f32` results (`gradient_f32`: half the memory of NumPy's
//! `f64`, and no converted copy of the image), then the edge magnitude and the edge
//! orientation.
//!
//! Replaces this NumPy code:
//!
//! ```python
//! img = np.asarray(Image.open("astronaut.png"))      # uint8, shape (rows, columns)
//! gy, gx = np.gradient(img.astype(np.float32))       # axis 0 = rows (down), axis 1 = columns
//! magnitude = np.hypot(gx, gy)                       # grey levels per pixel
//! orientation = np.degrees(np.arctan2(gy, gx))       # direction of steepest brightening
//! ```
//!
//! Checks (asserted): the `f32` gradient of the `u8` pixels is bit for bit the gradient of the
//! same pixels converted to `f32`, and inside the picture it is the central difference
//! `(I[j+1] - I[j-1]) / 2`;
//! on a synthetic tilted edge the measured orientation is the edge's true normal.
//!
//! Writes `target/examples-out/image_edges.png`: the photograph, the edge magnitude and the
//! orientation (hue) weighted by the magnitude (brightness). Run with
//! `cargo run --release --example image_edges`.

mod common;

use std::path::Path;

use ndarray::{Array2, Zip, s};
use ndarray_gradient::{ArrayGradientExt, GradientOptions};
use plotters::prelude::*;

/// The committed photograph (see `examples/data/README.md` for its source and licence).
pub const PHOTO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/astronaut.png");

/// Reads an image file as 8-bit grey pixels, shape (rows, columns).
pub fn load(path: &str) -> Result<Array2<u8>, Box<dyn std::error::Error>> {
    let img = image::open(path)?.to_luma8();
    let (w, h) = img.dimensions();
    Ok(Array2::from_shape_vec((h as usize, w as usize), img.into_raw())?)
}

/// The gradient of an image and what is derived from it.
pub struct Edges {
    /// ∂I/∂row (down) and ∂I/∂column (right), grey levels per pixel.
    pub gy: Array2<f32>,
    pub gx: Array2<f32>,
    /// `hypot(gx, gy)`, grey levels per pixel.
    pub magnitude: Array2<f32>,
    /// `atan2(gy, gx)` in degrees: the direction in which the image brightens fastest,
    /// measured from the column axis towards the row axis (clockwise on screen).
    pub orientation: Array2<f32>,
}

pub fn edges(img: &Array2<u8>) -> Edges {
    // gy, gx = np.gradient(img.astype(np.float32)): the u8 pixels go in as they are.
    let [gy, gx] = img.gradient_f32(&GradientOptions::new()).unwrap();
    let magnitude = Zip::from(&gx).and(&gy).map_collect(|&x, &y| x.hypot(y));
    let orientation = Zip::from(&gx).and(&gy).map_collect(|&x, &y| y.atan2(x).to_degrees());
    Edges {
        gy,
        gx,
        magnitude,
        orientation,
    }
}

/// A smooth edge (a tanh step 6 px wide, u8 levels 28 to 228) across a `size × size` image,
/// brightening towards `angle` degrees (from the column axis towards the row axis).
pub fn tilted_edge(size: usize, angle: f64) -> Array2<u8> {
    let (c, s) = (angle.to_radians().cos(), angle.to_radians().sin());
    let mid = size as f64 / 2.0;
    Array2::from_shape_fn((size, size), |(i, j)| {
        let d = (j as f64 - mid) * c + (i as f64 - mid) * s;
        (128.0 + 100.0 * (d / 3.0).tanh()).round() as u8
    })
}

/// The largest difference (degrees) between the measured orientation and `angle`, over the
/// pixels at least 2 px inside the image where the edge is strong (at least half its peak).
pub fn orientation_error(e: &Edges, angle: f64) -> f64 {
    let peak = e.magnitude.fold(0.0f32, |a, &b| a.max(b));
    let (r, c) = e.magnitude.dim();
    let mut worst = 0.0f64;
    Zip::from(e.magnitude.slice(s![2..r - 2, 2..c - 2]))
        .and(e.orientation.slice(s![2..r - 2, 2..c - 2]))
        .for_each(|&m, &o| {
            if m >= peak / 2.0 {
                let d = (f64::from(o) - angle).rem_euclid(360.0);
                worst = worst.max(d.min(360.0 - d));
            }
        });
    worst
}

/// Checks on the photograph: the u8 gradient in f32 against the gradient of the converted
/// pixels (bit for bit) and against the central difference written out. Returns the number of
/// interior pixels compared.
pub fn check_photo(img: &Array2<u8>, e: &Edges) -> usize {
    let as_f32 = img.mapv(f32::from).gradient().unwrap();
    let same_bits = |a: &Array2<f32>, b: &Array2<f32>| a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
    assert!(same_bits(&e.gy, &as_f32[0]) && same_bits(&e.gx, &as_f32[1]));
    let (r, c) = img.dim();
    for i in 1..r - 1 {
        for j in 1..c - 1 {
            let cx = (f32::from(img[[i, j + 1]]) - f32::from(img[[i, j - 1]])) / 2.0;
            let cy = (f32::from(img[[i + 1, j]]) - f32::from(img[[i - 1, j]])) / 2.0;
            assert_eq!((e.gx[[i, j]], e.gy[[i, j]]), (cx, cy), "pixel ({i}, {j})");
        }
    }
    (r - 2) * (c - 2)
}

/// `t` clamped to `0..=1` and rounded to one of `n + 1` levels: fewer distinct colours, so the
/// noisy gradient pictures compress several times better, with no visible difference.
fn levels(t: f64, n: u32) -> f64 {
    (t.clamp(0.0, 1.0) * f64::from(n)).round() / f64::from(n)
}

/// The value below which a fraction `q` of the entries lie.
pub fn quantile(a: &Array2<f32>, q: f64) -> f64 {
    let mut v: Vec<f64> = a.iter().map(|&x| f64::from(x)).collect();
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let img = load(PHOTO).expect("cannot read examples/data/astronaut.png");
    let e = edges(&img);
    let compared = check_photo(&img, &e);
    let (rows, cols) = img.dim();
    println!("{PHOTO}: {cols} x {rows} pixels, 8-bit grey");
    println!(
        "  u8 gradient in f32 = gradient of the f32 pixels bit for bit; = (I[j+1] - I[j-1]) / 2 at all {compared} interior pixels"
    );
    let peak = e.magnitude.fold(0.0f32, |a, &b| a.max(b));
    println!(
        "  edge magnitude: median {:.1}, 99th percentile {:.1}, largest {peak:.1} grey levels/pixel",
        quantile(&e.magnitude, 0.5),
        quantile(&e.magnitude, 0.99)
    );
    for angle in [-150.0, -60.0, 30.0, 100.0] {
        let err = orientation_error(&edges(&tilted_edge(96, angle)), angle);
        println!("  synthetic edge brightening towards {angle:>6.1} deg: orientation within {err:.2} deg");
        assert!(err < 2.0, "orientation off by {err} deg at {angle} deg");
    }

    let path = common::out_dir().join("image_edges.png");
    render(&img, &e, &path).unwrap();
    println!("wrote {}", path.display());
}

/// The photograph, the edge magnitude, the orientation as hue with the magnitude as brightness.
pub fn render(img: &Array2<u8>, e: &Edges, path: &Path) -> common::Result {
    let (rows, cols) = img.dim();
    let xe: Vec<f64> = (0..=cols).map(|v| v as f64).collect();
    let ye: Vec<f64> = (0..=rows).map(|v| v as f64).collect();
    let labels = ("column (pixel)", "row (pixel)");
    // Colour scales end at the 99.5th percentile, so that a few very strong edges do not leave
    // the rest dark.
    let top = quantile(&e.magnitude, 0.995);
    let grey = |t: f64| common::colour(colorous::GREYS, 1.0 - t);
    let inferno = |t: f64| common::colour(colorous::INFERNO, t);
    let cyclic = |t: f64| common::colour(colorous::SINEBOW, t);
    let panel_w = rows as u32 + 232;
    common::save_figure(path, (3 * panel_w, rows as u32 + 100), |root| {
        let panels = root.split_evenly((1, 3));
        common::heatmap(
            &panels[0],
            "Photograph (NASA, public domain)",
            labels,
            &xe,
            (&ye, true),
            |i, j| grey(f64::from(img[[i, j]]) / 255.0),
            (&grey, (0.0, 255.0), "brightness I (grey level)"),
        )?;
        common::heatmap(
            &panels[1],
            "Edge magnitude |∇I|",
            labels,
            &xe,
            (&ye, true),
            |i, j| inferno(levels(f64::from(e.magnitude[[i, j]]) / top, 64)),
            (&inferno, (0.0, top), "|∇I| (grey levels / pixel)"),
        )?;
        common::heatmap(
            &panels[2],
            "Edge direction (hue), |∇I| (brightness)",
            labels,
            &xe,
            (&ye, true),
            |i, j| {
                let RGBColor(r, g, b) = cyclic(levels((f64::from(e.orientation[[i, j]]) + 180.0) / 360.0, 36));
                let k = levels(f64::from(e.magnitude[[i, j]]) / top, 16);
                let f = |c: u8| (f64::from(c) * k).round() as u8;
                RGBColor(f(r), f(g), f(b))
            },
            (&cyclic, (-180.0, 180.0), "gradient direction (°): 0 right, 90 down"),
        )?;
        Ok(())
    })
}
