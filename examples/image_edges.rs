//! Edge detection with `gradient`: a synthetic grey image (a bright circle and a dark square on a
//! left-to-right ramp), its gradient, the gradient magnitude and direction.
//!
//! Replaces this NumPy code:
//!
//! ```python
//! gy, gx = np.gradient(img)          # axis 0 = rows (down), axis 1 = columns (right)
//! magnitude = np.hypot(gx, gy)
//! direction = np.arctan2(gy, gx)
//! ```
//!
//! Checks (asserted): the magnitude is large exactly on the shape boundaries (pixels with a
//! 4-neighbour in another shape) and elsewhere is the ramp's slope at most; on the circle's
//! boundary the gradient points into the circle (uphill, towards the bright side).
//!
//! Writes `target/examples-out/image_edges.png`: the image, the edge magnitude, and the edge
//! direction as hue. Run with `cargo run --release --example image_edges`.

mod common;

use common::{Image, gray, hsv, inferno};
use ndarray::{Array2, Zip};
use ndarray_gradient::ArrayGradientExt;

const SIZE: usize = 256;
const CIRCLE: (f64, f64, f64) = (100.0, 90.0, 55.0); // centre row, centre column, radius
const SQUARE: (usize, usize, usize, usize) = (140, 220, 150, 230); // rows, columns (half-open)
const RAMP: (f64, f64) = (0.2, 0.5); // background brightness at the left and right edges

fn main() {
    // Label every pixel with its shape, then paint: 0 background ramp, 1 circle, 2 square.
    let labels = Array2::from_shape_fn((SIZE, SIZE), |(i, j)| {
        let (ci, cj, r) = CIRCLE;
        let (r0, r1, c0, c1) = SQUARE;
        if (i as f64 - ci).hypot(j as f64 - cj) <= r {
            1u8
        } else if (r0..r1).contains(&i) && (c0..c1).contains(&j) {
            2
        } else {
            0
        }
    });
    let slope = (RAMP.1 - RAMP.0) / (SIZE - 1) as f64;
    let img = Array2::from_shape_fn((SIZE, SIZE), |(i, j)| match labels[[i, j]] {
        1 => 1.0,
        2 => 0.0,
        _ => RAMP.0 + slope * j as f64,
    });

    // gy, gx = np.gradient(img)
    let g = img.gradient().unwrap();
    let (gy, gx) = (&g[0], &g[1]);
    let magnitude = Zip::from(gx).and(gy).map_collect(|&x, &y| x.hypot(y));

    // A pixel is on a boundary if a 4-neighbour has another label: exactly the pixels whose
    // central differences straddle a jump.
    let on_boundary = Array2::from_shape_fn((SIZE, SIZE), |(i, j)| {
        let l = labels[[i, j]];
        let differs = |a: usize, b: usize| labels[[a, b]] != l;
        (i > 0 && differs(i - 1, j))
            || (i + 1 < SIZE && differs(i + 1, j))
            || (j > 0 && differs(i, j - 1))
            || (j + 1 < SIZE && differs(i, j + 1))
    });
    let (mut min_on, mut max_off, mut count) = (f64::INFINITY, 0.0f64, 0);
    Zip::from(&magnitude).and(&on_boundary).for_each(|&m, &b| {
        if b {
            min_on = min_on.min(m);
            count += 1;
        } else {
            max_off = max_off.max(m);
        }
    });
    println!("boundary pixels: {count}");
    println!("  smallest |grad| on a boundary:  {min_on:.4}");
    println!("  largest |grad| off boundaries: {max_off:.6} (the ramp's slope is {slope:.6})");
    println!("  contrast: {:.0}x", min_on / max_off);
    assert!(min_on > 0.04, "a boundary pixel has a weak edge: {min_on}");
    assert!(max_off <= slope * (1.0 + 1e-9), "an edge off the boundaries: {max_off}");

    // On the circle's rim the gradient points uphill, into the bright circle.
    let (ci, cj, _) = CIRCLE;
    let outward = Zip::indexed(gx)
        .and(gy)
        .and(&on_boundary)
        .fold(0, |bad, (i, j), &x, &y, &b| {
            let near_circle = labels[[i, j]] == 1 || (i as f64 - ci).hypot(j as f64 - cj) < CIRCLE.2 + 2.0;
            let inward = x * (cj - j as f64) + y * (ci - i as f64) > 0.0;
            bad + usize::from(b && near_circle && !inward)
        });
    println!("  circle-rim pixels whose gradient points outward: {outward}");
    assert_eq!(outward, 0);

    let peak = magnitude.fold(0.0f64, |a, &b| a.max(b));
    let direction = Image::from_fn(SIZE, SIZE, |j, i| {
        let turns = gy[[i, j]].atan2(gx[[i, j]]) / std::f64::consts::TAU;
        hsv(turns, 1.0, (magnitude[[i, j]] / peak).sqrt())
    });
    let figure = Image::hstack(&[
        Image::heatmap(img.view(), 0.0, 1.0, gray)
            .scaled(2)
            .titled("IMAGE")
            .with_colorbar(0.0, 1.0, gray),
        Image::heatmap(magnitude.view(), 0.0, peak, inferno)
            .scaled(2)
            .titled("EDGE MAGNITUDE")
            .with_colorbar(0.0, peak, inferno),
        direction.scaled(2).titled("EDGE DIRECTION (HUE)"),
    ]);
    let path = figure.save_png("image_edges.png").unwrap();
    println!("wrote {}", path.display());
}
