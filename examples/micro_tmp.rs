use ndarray::{Array1, Array2};
use ndarray_gradient::*;
use std::hint::black_box;
fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let f = Array2::from_shape_fn((32, 32), |(i, j)| ((i * 32 + j) as f64 * 0.01).sin());
    let g = Array1::from_shape_fn(1000, |i| (i as f64 * 0.01).sin());
    for _ in 0..10000 {
        match which.as_str() {
            "2d" => {
                black_box(f.gradient().unwrap());
            }
            "1d" => {
                black_box(g.gradient().unwrap());
            }
            "copy" => {
                black_box(f.to_owned());
            }
            _ => {}
        }
    }
}
