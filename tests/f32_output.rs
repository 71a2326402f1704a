//! Integer input with `f32` results: the same bits as converting to `f32` first (NumPy's
//! `np.gradient(f.astype(np.float32))`), on every layout and option.

use ndarray::{Array3, ArrayD, Axis, IxDyn, ShapeBuilder, Slice};
use ndarray_gradient::{ArrayGradientExt, Boundary, GradientOptions, with_parallel_threshold};

fn same_bits(a: &ArrayD<f32>, b: &ArrayD<f32>) -> bool {
    a.shape() == b.shape() && a.iter().zip(b.iter()).all(|(x, y)| x.to_bits() == y.to_bits())
}

#[test]
fn integer_input_in_f32_equals_converting_first() {
    let base = Array3::from_shape_fn((7, 19, 33), |(i, j, k)| ((i * 37 + j * 11 + k * k) % 256) as u8).into_dyn();
    let f_order = {
        let mut a = ArrayD::zeros(base.raw_dim().f());
        a.assign(&base);
        a
    };
    let mut reversed = base.clone();
    reversed.invert_axis(Axis(2));
    let stepped = {
        let mut big = ArrayD::<u8>::zeros(IxDyn(&[14, 38, 66]));
        big.slice_each_axis_inplace(|_| Slice::new(0, None, 2));
        big.assign(&base);
        big
    };
    let x: Vec<f32> = (0..19).map(|i| (i * i) as f32 * 0.25 + i as f32).collect();
    let x = ndarray::Array1::from(x);
    let options = [
        GradientOptions::new(),
        GradientOptions::new().spacing(0.5).accuracy(4),
        GradientOptions::new().coordinates(Axis(1), &x).derivative(2),
        GradientOptions::new().boundary(Boundary::Periodic).accuracy(6),
    ];
    for opts in &options {
        let converted = base.mapv(|v| v as f32);
        let expected = converted.gradient_with(opts).unwrap();
        for f in [&base, &f_order, &reversed, &stepped] {
            let flip = std::ptr::eq(f, &reversed);
            for threshold in [0, usize::MAX] {
                let got = with_parallel_threshold(threshold, || f.gradient_f32(opts)).unwrap();
                for (k, (g, e)) in got.iter().zip(&expected).enumerate() {
                    let mut e = e.clone();
                    if flip {
                        // `reversed` holds the values mirrored along axis 2: compare with the
                        // gradient of the mirrored converted array.
                        let mut m = converted.clone();
                        m.invert_axis(Axis(2));
                        e = m.gradient_with(opts).unwrap().swap_remove(k);
                    }
                    assert!(same_bits(g, &e), "{opts:?} output {k}");
                }
                let one = f.gradient_axis_f32(Axis(1), opts).unwrap();
                assert_eq!(one.shape(), f.shape());
            }
        }
    }
    // Wider integers round as astype(np.float32).
    let wide = ndarray::array![16_777_217i64, 0, 16_777_219];
    let g = wide.gradient_axis_f32(Axis(0), &GradientOptions::new()).unwrap();
    assert_eq!(g[1], (16_777_220.0f32 - 16_777_216.0) / 2.0);
}
