//! The halo contract: every block of every decomposition, computed from the block plus its
//! halo, equals the same points of the whole-array call bit for bit, for every option set.

use ndarray::{Array1, ArrayD, Axis, IxDyn, SliceInfoElem};
use ndarray_gradient::{ArrayGradientExt, BlockPlan, EdgeOrder, GradientError, GradientOptions, Operator};

fn same_bits(a: &ArrayD<f64>, b: &ArrayD<f64>) -> bool {
    a.shape() == b.shape() && a.iter().zip(b.iter()).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// A small deterministic generator (xorshift), so the cases are the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn field(shape: &[usize], rng: &mut Rng) -> ArrayD<f64> {
    ArrayD::from_shape_simple_fn(IxDyn(shape), || (rng.next() % 10_000) as f64 / 997.0 - 3.0)
}

/// Split `n` into consecutive blocks of random lengths (many of length 1 or 2).
fn split(n: usize, rng: &mut Rng) -> Vec<(usize, usize)> {
    let mut blocks = Vec::new();
    let mut start = 0;
    while start < n {
        let len = match rng.below(3) {
            0 => 1,
            1 => 1 + rng.below(3),
            _ => 1 + rng.below(n),
        }
        .min(n - start);
        blocks.push((start, len));
        start += len;
    }
    blocks
}

/// The block plus its halo, read from the whole array; wrapped on periodic axes.
fn with_halo(
    f: &ArrayD<f64>,
    start: &[usize],
    block: &[usize],
    before: &[usize],
    after: &[usize],
    periodic: &[bool],
) -> ArrayD<f64> {
    let shape: Vec<usize> = (0..block.len()).map(|k| block[k] + before[k] + after[k]).collect();
    ArrayD::from_shape_fn(IxDyn(&shape), |idx| {
        let global: Vec<usize> = (0..block.len())
            .map(|k| {
                let g = start[k] as isize - before[k] as isize + idx[k] as isize;
                let n = f.shape()[k] as isize;
                assert!(periodic[k] || (0..n).contains(&g), "halo outside a non-periodic axis");
                g.rem_euclid(n) as usize
            })
            .collect();
        f[IxDyn(&global)]
    })
}

/// What a plan computes, and the whole-array call it must match.
enum Computation<'o, 'a> {
    Gradient,
    Laplacian,
    Operator(&'o Operator<'a, f64>),
}

/// Corners of the halo (samples beyond the block along two or more axes) set to NaN: a plan
/// that says it reads no corners must give the same bits without them.
fn poison_corners(input: &mut ArrayD<f64>, block: &[usize], before: &[usize]) {
    for (idx, v) in input.indexed_iter_mut() {
        let outside = (0..block.len())
            .filter(|&k| idx[k] < before[k] || idx[k] >= before[k] + block[k])
            .count();
        if outside >= 2 {
            *v = f64::NAN;
        }
    }
}

fn check(
    f: &ArrayD<f64>,
    opts: &GradientOptions<'_, f64>,
    periodic: &[bool],
    computation: &Computation<'_, '_>,
    rng: &mut Rng,
    label: &str,
) {
    let (plan, whole) = match computation {
        Computation::Laplacian => match (BlockPlan::laplacian(f.shape(), opts), f.laplacian(opts)) {
            (Ok(p), Ok(w)) => (p, vec![w]),
            (Err(a), Err(b)) => return assert_eq!(a, b, "{label}: the plan refuses what the call refuses"),
            (p, w) => panic!("{label}: plan {:?} vs call {:?}", p.err(), w.err()),
        },
        Computation::Gradient => match (BlockPlan::gradient(f.shape(), opts), f.gradient_with(opts)) {
            (Ok(p), Ok(w)) => (p, w),
            (Err(a), Err(b)) => return assert_eq!(a, b, "{label}: the plan refuses what the call refuses"),
            (p, w) => panic!("{label}: plan {:?} vs call {:?}", p.err(), w.err()),
        },
        Computation::Operator(op) => match (BlockPlan::operator(f.shape(), op, opts), op.apply(f, opts)) {
            (Ok(p), Ok(w)) => (p, vec![w]),
            (Err(a), Err(b)) => return assert_eq!(a, b, "{label}: the plan refuses what the call refuses"),
            (p, w) => panic!("{label}: plan {:?} vs call {:?}", p.err(), w.err()),
        },
    };
    assert_eq!(plan.outputs(), whole.len());
    let splits: Vec<Vec<(usize, usize)>> = f.shape().iter().map(|&n| split(n, rng)).collect();
    let mut assembled: Vec<ArrayD<f64>> = whole.iter().map(|w| ArrayD::from_elem(w.raw_dim(), f64::NAN)).collect();
    // Every block of the decomposition (the product of the per-axis splits).
    let mut counters = vec![0usize; f.ndim()];
    'blocks: loop {
        let start: Vec<usize> = (0..f.ndim()).map(|k| splits[k][counters[k]].0).collect();
        let block: Vec<usize> = (0..f.ndim()).map(|k| splits[k][counters[k]].1).collect();
        let halo = plan.halo(&start, &block).unwrap();
        let mut input = with_halo(f, &start, &block, &halo.before, &halo.after, periodic);
        if !plan.reads_corners() {
            poison_corners(&mut input, &block, &halo.before);
        }
        let mut outs: Vec<ArrayD<f64>> = (0..plan.outputs()).map(|_| ArrayD::zeros(IxDyn(&block))).collect();
        let mut refs: Vec<_> = outs.iter_mut().map(|o| &mut **o).collect();
        plan.compute(input.view(), &start, &block, &mut refs).unwrap();
        let region: Vec<SliceInfoElem> = (0..f.ndim())
            .map(|k| SliceInfoElem::Slice {
                start: start[k] as isize,
                end: Some((start[k] + block[k]) as isize),
                step: 1,
            })
            .collect();
        for (a, o) in assembled.iter_mut().zip(&outs) {
            a.slice_mut(region.as_slice()).assign(o);
        }
        for k in (0..f.ndim()).rev() {
            counters[k] += 1;
            if counters[k] < splits[k].len() {
                continue 'blocks;
            }
            counters[k] = 0;
        }
        break;
    }
    for (k, (a, w)) in assembled.iter().zip(&whole).enumerate() {
        assert!(same_bits(a, w), "{label}: output {k} differs from the whole-array call");
    }
}

#[test]
fn blocks_equal_the_whole_array_bit_for_bit() {
    let mut rng = Rng(0x9e3779b97f4a7c15);
    let shapes: [&[usize]; 6] = [&[1], &[2], &[23], &[9, 14], &[13, 3], &[6, 7, 8]];
    let mut cases = 0;
    for shape in shapes {
        let f = field(shape, &mut rng);
        let nd = shape.len();
        let coords: Vec<Array1<f64>> = shape
            .iter()
            .map(|&n| {
                let mut x = 0.0;
                Array1::from_iter((0..n).map(|_| {
                    x += 0.5 + (rng.next() % 100) as f64 / 100.0;
                    x
                }))
            })
            .collect();
        for variant in 0..10 {
            let mut opts = GradientOptions::new();
            let mut periodic = vec![false; nd];
            let label = format!("{shape:?} variant {variant}");
            match variant {
                0 => {}
                1 => opts = opts.edge_order(EdgeOrder::Second).spacing(0.3),
                2 => opts = opts.coordinates(Axis(0), &coords[0]),
                3 => {
                    opts = opts
                        .coordinates(Axis(nd - 1), &coords[nd - 1])
                        .edge_order(EdgeOrder::Second)
                }
                4 => opts = opts.accuracy(4),
                5 => opts = opts.accuracy(6).derivative(2).coordinates(Axis(0), &coords[0]),
                6 => {
                    opts = opts.periodic(Axis(nd - 1));
                    periodic[nd - 1] = true;
                }
                7 => {
                    opts = opts.accuracy(8).periodic(Axis(0));
                    periodic[0] = true;
                }
                8 => {
                    let span = coords[0][shape[0] - 1] - coords[0][0];
                    opts = opts
                        .coordinates(Axis(0), &coords[0])
                        .period(Axis(0), span + 0.7)
                        .accuracy(4);
                    periodic[0] = true;
                }
                _ => opts = opts.axis_derivative(Axis(nd - 1), 3).axis_accuracy(Axis(0), 2),
            }
            for (name, computation) in [
                ("gradient", Computation::Gradient),
                ("laplacian", Computation::Laplacian),
            ] {
                for _ in 0..3 {
                    check(&f, &opts, &periodic, &computation, &mut rng, &format!("{label} {name}"));
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, 6 * 10 * 2 * 3);
}

/// Any operator (issue 17): mixed partials (whose blocks read the corners of their halo),
/// chains that turn back to an axis (on a periodic axis: inner derivatives needed on wrapped
/// points), sums and differences, scalar and array coefficients, the identity, over the same
/// kinds of axes as the gradient.
#[test]
fn operator_blocks_equal_the_whole_array_bit_for_bit() {
    let mut rng = Rng(0x2545f4914f6cdd1d);
    fn d<'a>(axis: usize, m: usize) -> Operator<'a, f64> {
        Operator::derivative(Axis(axis), m)
    }
    let shapes: [&[usize]; 4] = [&[17], &[9, 14], &[12, 5], &[6, 7, 8]];
    let mut cases = 0;
    for shape in shapes {
        let f = field(shape, &mut rng);
        let c = field(shape, &mut rng);
        let nd = shape.len();
        let last = nd - 1;
        let x0: Array1<f64> = Array1::from_iter((0..shape[0]).map(|i| i as f64 * 0.4 + (i as f64).sin() * 0.1));
        let operators: Vec<(&str, Operator<'_, f64>)> = vec![
            ("mixed", d(0, 1) * d(last, 1)),
            ("mixed of orders 2 and 1", d(last, 2) * d(0, 1)),
            (
                "every axis",
                (0..nd).map(|k| d(k, 1)).reduce(|a, b| a * b).expect("an axis"),
            ),
            ("sum with a difference", d(0, 2) - d(last, 1) + d(0, 1)),
            (
                "coefficients and identity",
                Operator::field(c.view()) * d(0, 1) * d(last, 1) - Operator::coefficient(2.5) * Operator::identity()
                    + Operator::field(c.view()) * d(last, 2),
            ),
            (
                "back to an axis",
                d(0, 1) * Operator::field(c.view()) * d(last, 1) * d(0, 1),
            ),
            ("directional", Operator::directional(&vec![0.6; nd])),
        ];
        let variants: Vec<(GradientOptions<'_, f64>, Vec<bool>)> = vec![
            (GradientOptions::new(), vec![false; nd]),
            (GradientOptions::new().accuracy(4).spacing(0.3), vec![false; nd]),
            (
                GradientOptions::new().coordinates(Axis(0), &x0).accuracy(2),
                vec![false; nd],
            ),
            (GradientOptions::new().periodic(Axis(0)).accuracy(2), {
                let mut p = vec![false; nd];
                p[0] = true;
                p
            }),
            (GradientOptions::new().periodic(Axis(last)).accuracy(6), {
                let mut p = vec![false; nd];
                p[last] = true;
                p
            }),
            (
                GradientOptions::new()
                    .coordinates(Axis(0), &x0)
                    .period(Axis(0), x0[shape[0] - 1] - x0[0] + 0.5),
                {
                    let mut p = vec![false; nd];
                    p[0] = true;
                    p
                },
            ),
            // Refused by the plan as by the call: an operator fixes the derivative orders.
            (GradientOptions::new().derivative(2), vec![false; nd]),
        ];
        for (name, op) in &operators {
            for (v, (opts, periodic)) in variants.iter().enumerate() {
                for _ in 0..3 {
                    let label = format!("{shape:?} {name} variant {v}");
                    check(&f, opts, periodic, &Computation::Operator(op), &mut rng, &label);
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, 4 * 7 * 7 * 3);
}

/// The halo of a mixed partial is the box of its two stencils' reaches: corners included,
/// wider near the true ends where one-sided stencils reach further; a chain along one
/// periodic axis reaches as far as its derivatives together.
#[test]
fn operator_halos_are_boxes() {
    let d = |axis: usize, m: usize| Operator::<f64>::derivative(Axis(axis), m);
    let opts = GradientOptions::new().accuracy(4);
    let plan = BlockPlan::operator(&[50, 40], &(d(0, 1) * d(1, 1)), &opts).unwrap();
    assert!(plan.reads_corners());
    let h = plan.halo(&[20, 10], &[5, 5]).unwrap();
    assert_eq!((h.before, h.after), (vec![2, 2], vec![2, 2]));
    let h = plan.halo(&[0, 35], &[1, 5]).unwrap();
    assert_eq!((h.before, h.after), (vec![0, 2], vec![4, 0]));
    // ∂0 (c ∂0 f) on a periodic axis: two reaches of 2, wrapped past the start.
    let c = ArrayD::from_elem(IxDyn(&[50, 40]), 2.0);
    let chain = d(0, 1) * Operator::field(c.view()) * d(0, 1);
    let plan = BlockPlan::operator(&[50, 40], &chain, &opts.clone().periodic(Axis(0))).unwrap();
    assert!(!plan.reads_corners());
    let h = plan.halo(&[0, 0], &[3, 40]).unwrap();
    assert_eq!((h.before, h.after), (vec![4, 0], vec![4, 0]));
    // Bad input is the whole-array call's error.
    let wrong = ArrayD::from_elem(IxDyn(&[50, 41]), 1.0);
    let err = BlockPlan::operator(&[50, 40], &(Operator::field(wrong.view()) * d(0, 1)), &opts).unwrap_err();
    assert!(matches!(err, GradientError::CoefficientShape { .. }), "{err:?}");
    let err = BlockPlan::operator(&[50, 40], &d(2, 1), &opts).unwrap_err();
    assert!(matches!(err, GradientError::AxisOutOfBounds { .. }), "{err:?}");
}

#[test]
fn halos_are_minimal_and_errors_are_typed() {
    let plan = BlockPlan::gradient(&[100, 50], &GradientOptions::<f64>::new().accuracy(4)).unwrap();
    // Inside: the centred stencil's reach on each differentiated axis.
    let h = plan.halo(&[40, 10], &[10, 10]).unwrap();
    assert_eq!((h.before, h.after), (vec![2, 2], vec![2, 2]));
    // At the start: nothing before; the one-sided stencils of the first points reach 4 ahead.
    let h = plan.halo(&[0, 0], &[1, 50]).unwrap();
    assert_eq!((h.before, h.after), (vec![0, 0], vec![4, 0]));
    assert_eq!(
        plan.halo(&[95, 0], &[10, 50]).unwrap_err(),
        GradientError::BlockOutOfBounds {
            axis: 0,
            start: 95,
            len: 10,
            shape: vec![100, 50]
        }
    );
    let f = ArrayD::<f64>::zeros(IxDyn(&[5, 50]));
    let mut out = [ArrayD::zeros(IxDyn(&[4, 50])), ArrayD::zeros(IxDyn(&[4, 50]))];
    let mut refs: Vec<_> = out.iter_mut().map(|o| &mut **o).collect();
    let err = plan.compute(f.view(), &[40, 0], &[4, 50], &mut refs).unwrap_err();
    assert_eq!(
        err,
        GradientError::BlockShape {
            expected: vec![8, 50],
            got: vec![5, 50]
        }
    );
    assert!(err.to_string().contains("halo"), "{err}");
}
