//! examples/npy_mmap_gradient.rs: the gradient of a `.npy` file written into memory-mapped
//! `.npy` files equals the in-memory call bit for bit.
use std::path::Path;

use ndarray::{Array3, ArrayD};
use ndarray_gradient::{ArrayGradientExt, EdgeOrder, GradientOptions};
use ndarray_npy::{read_npy, write_npy};

#[allow(dead_code)]
#[path = "../examples/npy_mmap_gradient.rs"]
mod npy_mmap_gradient;

fn same_bits(a: &ArrayD<f64>, b: &ArrayD<f64>) -> bool {
    a.shape() == b.shape() && a.iter().zip(b.iter()).all(|(x, y)| x.to_bits() == y.to_bits())
}

#[test]
fn mapped_outputs_equal_the_in_memory_gradient() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("npy-mmap");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let f = Array3::from_shape_fn((9, 7, 5), |(i, j, k)| {
        ((i * 31 + j * 7 + k) as f64).sin() * (1.0 + i as f64)
    })
    .into_dyn();
    write_npy(dir.join("f.npy"), &f).unwrap();
    let prefix = dir.join("g").display().to_string();

    // All axes, edge order 2, spacing 0.3.
    let args: Vec<String> = ["--edge-order", "2", "--spacing", "0.3", "f.npy", "g"]
        .map(String::from)
        .to_vec();
    let (opts, axes, positional) = npy_mmap_gradient::options_from(&args).unwrap();
    assert_eq!((axes.as_slice(), positional.len()), (&[][..], 2));
    let paths = npy_mmap_gradient::gradient_npy(&dir.join("f.npy"), &prefix, &opts, &axes).unwrap();
    let whole = f
        .gradient_with(&GradientOptions::new().edge_order(EdgeOrder::Second).spacing(0.3))
        .unwrap();
    assert_eq!(paths.len(), 3);
    for (k, path) in paths.iter().enumerate() {
        assert!(path.ends_with(format!("g_axis{k}.npy")));
        let got: ArrayD<f64> = read_npy(path).unwrap();
        assert!(same_bits(&got, &whole[k]), "axis {k}");
    }

    // One axis, named by its number.
    let args: Vec<String> = ["--axis", "2"].map(String::from).to_vec();
    let (opts, axes, _) = npy_mmap_gradient::options_from(&args).unwrap();
    let paths = npy_mmap_gradient::gradient_npy(&dir.join("f.npy"), &prefix, &opts, &axes).unwrap();
    assert_eq!(paths.len(), 1);
    assert!(paths[0].ends_with("g_axis2.npy"));
    let got: ArrayD<f64> = read_npy(&paths[0]).unwrap();
    assert!(same_bits(&got, &f.gradient().unwrap()[2]));

    // A Fortran-order input (as np.asfortranarray + np.save writes it) maps as well.
    let ft = f.t().to_owned(); // shape (5, 7, 9)
    let fortran = ft.reversed_axes(); // shape (9, 7, 5), Fortran layout
    write_npy(dir.join("fortran.npy"), &fortran).unwrap();
    let paths =
        npy_mmap_gradient::gradient_npy(&dir.join("fortran.npy"), &prefix, &GradientOptions::new(), &[0]).unwrap();
    let got: ArrayD<f64> = read_npy(&paths[0]).unwrap();
    assert!(same_bits(&got, &f.gradient().unwrap()[0]));
    let _ = std::fs::remove_dir_all(&dir);
}
