//! The shapes of the API itself: the types calls return and accept (issue 19, items 5 to 7).

use ndarray::{Array1, Array2, Array3, ArrayD, ArrayRef, ArrayRef1, ArrayRef2, Axis, IxDyn, array};
use ndarray_gradient::{ArrayGradientExt, Boundary, GradientDim, GradientError, GradientOptions, Spacing};

fn same_bits<D: ndarray::Dimension>(a: &ndarray::Array<f64, D>, b: &ndarray::Array<f64, D>) -> bool {
    a.shape() == b.shape() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn field() -> Array2<f64> {
    Array2::from_shape_fn((5, 7), |(i, j)| ((i * 7 + j) as f64 * 0.3).sin() + (i * j) as f64)
}

/// Every method is callable on a `&ArrayRef` (ndarray 0.17's parameter type) and gives the
/// bits of the same call on the array.
#[test]
fn every_method_works_on_an_array_ref() {
    fn through_ref(r: &ArrayRef2<f64>, opts: &GradientOptions<'_, f64>) -> Vec<Array2<f64>> {
        let [g0, g1] = r.gradient_with(opts).unwrap();
        let mut out = Array2::zeros(r.raw_dim());
        r.gradient_axis_into(Axis(1), opts, &mut out).unwrap();
        vec![
            g0,
            g1,
            r.gradient().unwrap()[1].clone(),
            r.gradient_axis(Axis(0)).unwrap(),
            r.gradient_axis_with(Axis(1), opts).unwrap(),
            out,
            r.gradient_axes_with(&opts.clone().axes([Axis(1)])).unwrap().remove(0),
            r.laplacian(&GradientOptions::new()).unwrap(),
            r.gradient_stacked(opts).unwrap().index_axis(Axis(0), 1).to_owned(),
            // diff: the trait's, by path; `r.diff` would be ndarray's inherent method.
            ArrayGradientExt::diff(r, 2, Axis(1)).unwrap(),
        ]
    }
    let f = field();
    let x = Array1::linspace(0.0, 3.0, 7).mapv(|v: f64| v * v);
    let opts = GradientOptions::new()
        .coordinates(Axis(1), &x)
        .axis_spacing(Axis(0), 0.5);
    let via_ref = through_ref(&f, &opts);
    let [g0, g1] = f.gradient_with(&opts).unwrap();
    let expected = [
        g0,
        g1.clone(),
        f.gradient().unwrap()[1].clone(),
        f.gradient_axis(Axis(0)).unwrap(),
        g1.clone(),
        g1.clone(),
        g1,
        f.laplacian(&GradientOptions::new()).unwrap(),
        f.gradient_axis_with(Axis(1), &opts).unwrap(),
        f.diff(2, Axis(1)).unwrap(),
    ];
    for (k, (a, b)) in via_ref.iter().zip(&expected).enumerate() {
        assert!(same_bits(a, b), "call {k}");
    }

    // The operators and the f32 and integer paths too.
    let v = Array3::from_shape_fn((2, 4, 5), |(c, i, j)| (c * 3 + i * j) as f64);
    let r: &ArrayRef<f64, ndarray::Ix3> = &v;
    assert!(same_bits(
        &r.divergence(&GradientOptions::new()).unwrap(),
        &v.divergence(&GradientOptions::new()).unwrap()
    ));
    assert!(same_bits(
        &r.scalar_curl(&GradientOptions::new()).unwrap(),
        &v.scalar_curl(&GradientOptions::new()).unwrap()
    ));
    let img = array![[0u8, 10, 40], [5, 25, 90]];
    let r: &ArrayRef2<u8> = &img;
    let [gy, gx] = r.gradient_f32(&GradientOptions::new()).unwrap();
    assert_eq!(gx, array![[10.0f32, 20.0, 30.0], [20.0, 42.5, 65.0]]);
    assert_eq!(gy, array![[5.0f32, 15.0, 50.0], [5.0, 15.0, 50.0]]);
}

/// On a bare `&ArrayRef` the inherent `ArrayRef::diff` is what `r.diff` calls (it panics where
/// this crate's returns an empty array); on arrays and views `a.diff` is this crate's.
#[test]
fn diff_on_an_array_ref_is_ndarrays_and_on_arrays_ours() {
    fn inherent(r: &ArrayRef1<i32>, n: usize) -> Array1<i32> {
        r.diff(n, Axis(0)) // no Result: ndarray's
    }
    let a = array![1, 4, 9, 16];
    assert_eq!(inherent(&a, 1), array![3, 5, 7]);
    let panicked = std::panic::catch_unwind(|| inherent(&array![1, 4], 5)).is_err();
    assert!(panicked, "ndarray's inherent diff panics for n >= len");
    // This crate's, on every array type and on the reference through a view or by path.
    assert_eq!(a.diff(5, Axis(0)).unwrap().len(), 0);
    assert_eq!(a.view().diff(5, Axis(0)).unwrap().len(), 0);
    assert_eq!(a.to_shared().diff(5, Axis(0)).unwrap().len(), 0);
    assert_eq!(ndarray::CowArray::from(a.view()).diff(5, Axis(0)).unwrap().len(), 0);
    let r: &ArrayRef1<i32> = &a;
    assert_eq!(r.view().diff(5, Axis(0)).unwrap().len(), 0);
    assert_eq!(ArrayGradientExt::diff(r, 5, Axis(0)).unwrap().len(), 0);
}

/// `gradient` and `gradient_with` destructure on static dimensions, return a `Vec` on `IxDyn`;
/// `gradient_with` on a static dimension needs every axis, `gradient_axes_with` takes any list.
#[test]
fn gradients_destructure_on_static_dimensions() {
    let f = field();
    let [gy, gx] = f.gradient().unwrap();
    assert!(same_bits(&gy, &f.gradient_axis(Axis(0)).unwrap()));
    assert!(same_bits(&gx, &f.gradient_axis(Axis(1)).unwrap()));
    // Every axis in another order: still one array per axis, in that order.
    let [dx, dy] = f
        .gradient_with(&GradientOptions::new().axes([Axis(1), Axis(0)]))
        .unwrap();
    assert!(same_bits(&dx, &gx) && same_bits(&dy, &gy));

    // A subset: refused by gradient_with, with the fix in the message.
    let opts = GradientOptions::new().axes([Axis(1)]);
    let err = f.gradient_with(&opts).unwrap_err();
    assert_eq!(err, GradientError::AxesCount { ndim: 2, axes: 1 });
    assert_eq!(
        err.to_string(),
        "the options list 1 axis, but gradient_with on an array of dimension 2 returns one result \
         per axis: list every axis, or call gradient_axes_with for a subset"
    );
    assert_eq!(
        array![[1u8, 2], [3, 4]]
            .gradient_f32(&GradientOptions::new().axes([]))
            .unwrap_err(),
        GradientError::AxesCount { ndim: 2, axes: 0 }
    );
    // An invalid list is reported as such, before the count.
    assert_eq!(
        f.gradient_with(&GradientOptions::new().axes([Axis(3)])).unwrap_err(),
        GradientError::AxisOutOfBounds { axis: 3, ndim: 2 }
    );
    let listed = f.gradient_axes_with(&opts).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(same_bits(&listed[0], &gx));
    assert_eq!(
        f.gradient_axes_with(&GradientOptions::new()).unwrap(),
        vec![gy.clone(), gx.clone()]
    );

    // IxDyn: a Vec, and any list.
    let d: ArrayD<f64> = f.clone().into_dyn();
    let g: Vec<ArrayD<f64>> = d.gradient().unwrap();
    assert_eq!(g, vec![gy.into_dyn(), gx.clone().into_dyn()]);
    let g = d.gradient_with(&opts).unwrap();
    assert_eq!(g, vec![gx.into_dyn()]);
    assert!(d.gradient_with(&GradientOptions::new().axes([])).unwrap().is_empty());

    // Generic code over the dimension: the bound and the slice view of the results.
    fn count<D: GradientDim>(f: &ndarray::Array<f64, D>) -> usize {
        let g = f.gradient().unwrap();
        let n = g.as_ref().len();
        let v: Vec<_> = g.into();
        assert_eq!(v.len(), n);
        n
    }
    assert_eq!(count(&field()), 2);
    assert_eq!(count(&ArrayD::<f64>::zeros(IxDyn(&[2, 3, 4]))), 3);
    assert_eq!(count(&ndarray::arr0(1.0)), 0);
}

/// A solver keeps its options, coordinates included, as `GradientOptions<'static, f64>`: the
/// options own the coordinates, so the vector they came from can be dropped.
#[test]
fn options_own_their_coordinates() {
    struct Solver {
        opts: GradientOptions<'static, f64>,
    }
    impl Solver {
        fn new(n: usize) -> Self {
            let x: Vec<f64> = (0..n).map(|i| (i as f64).powf(1.5)).collect();
            let opts = GradientOptions::new()
                .coordinates(Axis(0), Array1::from(x.clone()))
                .edge_order(ndarray_gradient::EdgeOrder::Second);
            drop(x); // compiles only because the options borrow nothing from `x`
            Solver { opts }
        }
        fn rate(&self, u: &ArrayRef1<f64>) -> Array1<f64> {
            u.gradient_axis_with(Axis(0), &self.opts).unwrap()
        }
    }
    let solver = Solver::new(9);
    let x = Array1::from_iter((0..9).map(|i| (i as f64).powf(1.5)));
    let u = x.mapv(|v| v.sin());
    let borrowed = GradientOptions::new()
        .coordinates(Axis(0), &x)
        .edge_order(ndarray_gradient::EdgeOrder::Second);
    assert!(same_bits(
        &solver.rate(&u),
        &u.gradient_axis_with(Axis(0), &borrowed).unwrap()
    ));
    // Cloned options clone the coordinates with them; equal options compare equal.
    let copy = solver.opts.clone();
    drop(solver);
    assert!(same_bits(
        &u.gradient_axis_with(Axis(0), &copy).unwrap(),
        &u.gradient_axis_with(Axis(0), &borrowed).unwrap()
    ));
    let owned_again = GradientOptions::new()
        .coordinates(Axis(0), x.clone())
        .edge_order(ndarray_gradient::EdgeOrder::Second);
    assert_eq!(copy, owned_again);

    // Spacing::Coordinates holds either kind.
    let owned = Spacing::Coordinates(x.clone().into());
    let viewed = Spacing::Coordinates(x.view().into());
    assert_eq!(owned, viewed);
    // A wrong owned array is refused as a borrowed one is.
    let bad: GradientOptions<'static, f64> = GradientOptions::new().coordinates(Axis(0), Array1::from(vec![0.0, 1.0]));
    assert_eq!(
        u.gradient_axis_with(Axis(0), &bad).unwrap_err(),
        GradientError::CoordinatesLength {
            axis: 0,
            expected: 9,
            got: 2
        }
    );
    // Periodic with a length, on owned coordinates.
    let periodic = GradientOptions::new()
        .coordinates(Axis(0), x.clone())
        .axis_boundary(Axis(0), Boundary::PeriodicWithLength(30.0));
    assert!(u.gradient_axis_with(Axis(0), &periodic).is_ok());
}
