//! Quickstart: the three `np.gradient` / `np.diff` snippets of NumPy's guide, in Rust.
//!
//! Replaces this NumPy session, and prints what NumPy prints:
//!
//! ```python
//! >>> f = np.array([[2, 5, 8], [3, 6, 9], [4, 7, 10]])
//! >>> print(np.gradient(f, axis=0))   # all ones
//! >>> print(np.gradient(f, axis=1))   # all threes
//! >>> f = np.array([[3, 7, 2], [8, 9, 1], [4, 6, 5]])
//! >>> dy, dx = np.gradient(f)          # axis 0 (rows) first, then axis 1 (columns)
//! >>> print(dx); print(dy)
//! >>> a = np.array([2, 5, np.nan, 9, 12])
//! >>> print(np.gradient(a))            # NaN spreads to its neighbours only
//! >>> print(np.diff(a))
//! ```
//!
//! Every printed result is also compared with NumPy's values, so the example fails loudly
//! instead of printing wrong numbers. Run it with `cargo run --release --example quickstart`.

use ndarray::{Array, Axis, Dimension, array};
use ndarray_gradient::ArrayGradientExt;

fn main() {
    println!(">>> f = np.array([[2, 5, 8], [3, 6, 9], [4, 7, 10]])");
    let f = array![[2, 5, 8], [3, 6, 9], [4, 7, 10]];
    println!(">>> print(np.gradient(f, axis=0))");
    let g0 = f.gradient_axis(Axis(0)).unwrap(); // integers in, f64 out, as NumPy
    show(&g0, &array![[1., 1., 1.], [1., 1., 1.], [1., 1., 1.]]);
    println!(">>> print(np.gradient(f, axis=1))");
    let g1 = f.gradient_axis(Axis(1)).unwrap();
    show(&g1, &array![[3., 3., 3.], [3., 3., 3.], [3., 3., 3.]]);

    println!("\n>>> f = np.array([[3, 7, 2], [8, 9, 1], [4, 6, 5]])");
    let f = array![[3, 7, 2], [8, 9, 1], [4, 6, 5]];
    println!(">>> dy, dx = np.gradient(f)");
    let g = f.gradient().unwrap(); // one array per axis, in axis order: [d/d(axis 0), d/d(axis 1)]
    let (dy, dx) = (&g[0], &g[1]);
    println!(">>> print(dx)");
    show(dx, &array![[4., -0.5, -5.], [1., -3.5, -8.], [2., 0.5, -1.]]);
    println!(">>> print(dy)");
    show(dy, &array![[5., 2., -1.], [0.5, -0.5, 1.5], [-4., -3., 4.]]);

    println!("\n>>> a = np.array([2, 5, np.nan, 9, 12])");
    let a = array![2., 5., f64::NAN, 9., 12.];
    println!(">>> print(np.gradient(a))");
    show(
        &a.gradient_axis(Axis(0)).unwrap(),
        &array![3., f64::NAN, 2., f64::NAN, 3.],
    );
    println!(">>> print(np.diff(a))");
    show(&a.diff(1, Axis(0)).unwrap(), &array![3., f64::NAN, f64::NAN, 3.]);
}

/// Prints `got` as NumPy's `print` would, after checking it is NumPy's result `want`
/// (bit for bit, NaN where NumPy has NaN).
fn show<D: Dimension>(got: &Array<f64, D>, want: &Array<f64, D>) {
    let same = got.shape() == want.shape()
        && got
            .iter()
            .zip(want)
            .all(|(g, w)| g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()));
    assert!(same, "differs from NumPy:\n{got}\nNumPy gives:\n{want}");
    println!("{}", numpy_str(got));
}

/// NumPy's `str()` of a 1-D or 2-D float array in fixed notation: shortest digits up to 8
/// decimals, decimal points aligned, `nan`/`inf` right-aligned, rows on their own lines.
/// (NumPy's switch to scientific notation for very large or small values is not mimicked.)
fn numpy_str<D: Dimension>(a: &Array<f64, D>) -> String {
    let parts: Vec<(String, String)> = a
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                return (
                    String::new(),
                    if v.is_nan() {
                        "nan"
                    } else if v > 0.0 {
                        "inf"
                    } else {
                        "-inf"
                    }
                    .into(),
                );
            }
            let s = format!("{v:.8}");
            let s = s.trim_end_matches('0');
            let (int, frac) = s.split_once('.').unwrap();
            (int.to_string(), format!(".{frac}"))
        })
        .collect();
    let finite = parts.iter().filter(|(int, _)| !int.is_empty());
    let right = finite.clone().map(|(_, frac)| frac.len()).max().unwrap_or(1);
    let left = finite.map(|(int, _)| int.len()).max().unwrap_or(0);
    let width = parts
        .iter()
        .map(|(i, f)| if i.is_empty() { f.len() } else { 0 })
        .max()
        .unwrap_or(0);
    let left = left.max(width.saturating_sub(right));
    let cells: Vec<String> = parts
        .iter()
        .map(|(int, frac)| match int.is_empty() {
            true => format!("{frac:>w$}", w = left + right),
            false => format!("{int:>left$}{frac:<right$}"),
        })
        .collect();
    let row_len = if a.ndim() == 2 { a.shape()[1] } else { a.len() };
    let rows: Vec<String> = cells
        .chunks(row_len.max(1))
        .map(|r| format!("[{}]", r.join(" ")))
        .collect();
    match a.ndim() {
        1 => rows.concat(),
        2 => format!("[{}]", rows.join("\n ")),
        n => unimplemented!("numpy_str prints 1-D and 2-D arrays, not {n}-D"),
    }
}
