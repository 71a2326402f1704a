//! The kernels' own tests: every walk writes every point (what `alloc`'s uninitialised outputs
//! rely on), the route chosen for a grid of calls, and the tap-summing core's edge cases.

use std::collections::BTreeSet;

use ndarray::{Array1, ArrayD, ArrayViewD, ArrayViewMutD, Axis, Dimension, IxDyn, ShapeBuilder, Slice, s};

use super::route::{MAX_BLOCKS, ONE_LOOP_TAPS, Route, Walk, taken};
use super::taps::{
    AddedTo, AsComputed, MAX_TAPS, Slot, TapWeights, UNROLLED_PER_POINT_TAPS, UNROLLED_TAPS, weighted_sum_of_rows,
};
use super::{Term, copy, derivatives, first_difference, norm, sum};
use crate::alloc::alloc_like;
use crate::options::{AxisSettings, Boundary, EdgeOrder, Spacing};
use crate::parallel::with_parallel_threshold;
use crate::stencil::{AxisStencil, Rule};

/// An output slot that counts how often it is written.
#[derive(Clone, Copy, Debug, Default)]
struct Count(u8);

impl Slot<f64> for Count {
    type Core = Count;
    fn set(&mut self, _: f64) {
        self.0 = self.0.saturating_add(1);
    }
    fn as_core(slots: &mut [Count]) -> &mut [Count] {
        slots
    }
}

/// The input layouts the crate meets: C, F, reversed, stepped, permuted.
fn layouts(shape: &[usize]) -> Vec<ArrayD<f64>> {
    let c = ArrayD::from_shape_fn(IxDyn(shape), |i| i.slice().iter().sum::<usize>() as f64);
    let f = {
        let mut a = ArrayD::zeros(IxDyn(shape).f());
        a.assign(&c);
        a
    };
    let mut reversed = c.clone();
    (0..shape.len()).for_each(|k| reversed.invert_axis(Axis(k)));
    let big: Vec<usize> = shape.iter().map(|&n| 2 * n).collect();
    let mut stepped = ArrayD::zeros(IxDyn(&big));
    stepped.slice_each_axis_inplace(|_| Slice::new(0, None, 2));
    stepped.assign(&c);
    // Memory order rotated: axis 1 outermost, axis 0 innermost.
    let nd = shape.len();
    let rot: Vec<usize> = (1..nd).chain(0..1).collect();
    let inv: Vec<usize> = (0..nd).map(|k| rot.iter().position(|&o| o == k).unwrap()).collect();
    let permuted = c
        .clone()
        .permuted_axes(rot)
        .as_standard_layout()
        .into_owned()
        .permuted_axes(inv);
    vec![c, f, reversed, stepped, permuted]
}

/// The settings of an axis of length `n`: spacing, edge order, accuracy, derivative, periodic.
fn settings_for(n: usize, x: &Array1<f64>, full: bool) -> Vec<AxisSettings<'_, f64>> {
    let spacings = [
        Spacing::Uniform(1.0),
        Spacing::Uniform(0.3),
        Spacing::Coordinates(x.view().into()),
    ];
    let schemes: &[(Option<usize>, usize, bool)] = if full {
        &[
            (None, 1, false),
            (Some(2), 1, false),
            (Some(4), 1, false),
            (Some(4), 3, false),
            (None, 1, true),
            (Some(6), 2, true),
        ]
    } else {
        &[(None, 1, false), (Some(4), 2, false), (Some(2), 1, true)]
    };
    let edges: &[EdgeOrder] = if full {
        &[EdgeOrder::First, EdgeOrder::Second]
    } else {
        &[EdgeOrder::First]
    };
    let mut all = Vec::new();
    for spacing in spacings {
        for &edge_order in edges {
            for &(accuracy, derivative, periodic) in schemes {
                let boundary = match (periodic, &spacing) {
                    (false, _) => Boundary::OneSided,
                    (true, Spacing::Uniform(_)) => Boundary::Periodic,
                    (true, Spacing::Coordinates(x)) => Boundary::PeriodicWithLength(2.0 * x[n - 1] - x[0] + 1.0),
                };
                all.push(AxisSettings {
                    spacing: spacing.clone(),
                    edge_order,
                    accuracy,
                    derivative,
                    boundary,
                    edge_order_given: false,
                    derivative_given: false,
                });
            }
        }
    }
    all
}

/// Uneven coordinates for an axis of `n` points.
fn uneven(n: usize) -> Array1<f64> {
    Array1::from_shape_fn(n, |i| (i * i) as f64 + i as f64)
}

/// Fresh counting outputs of the shape of `f`, in its memory order or in F order.
fn count_outputs(f: &ArrayViewD<'_, f64>, k: usize, f_order: bool) -> Vec<ArrayD<Count>> {
    (0..k)
        .map(|_| {
            if f_order {
                ArrayD::default(f.raw_dim().f())
            } else {
                alloc_like::<_, Count, _>(f, None)
            }
        })
        .collect()
}

fn views(outs: &mut [ArrayD<Count>]) -> Vec<ArrayViewMutD<'_, Count>> {
    outs.iter_mut().map(|o| o.view_mut()).collect()
}

/// Runs `f` on both thread splits (everything split, nothing split), recording the routes.
fn on_both_splits(seen: &mut Vec<Route>, mut f: impl FnMut()) {
    for threshold in [0, usize::MAX] {
        let ((), routes) = taken(|| with_parallel_threshold(threshold, &mut f));
        assert!(!routes.is_empty(), "a call that records no route");
        seen.extend(routes);
    }
}

fn assert_all_written(outs: &[ArrayD<Count>], what: &dyn Fn() -> String) {
    for (k, out) in outs.iter().enumerate() {
        let missed = out.iter().filter(|c| c.0 == 0).count();
        assert_eq!(missed, 0, "output {k} of {}", what());
    }
}

/// The points where two arrays of one shape differ in their bits.
fn differing_bits(a: &ArrayD<f64>, b: &ArrayD<f64>) -> usize {
    a.iter().zip(b).filter(|(x, y)| x.to_bits() != y.to_bits()).count()
}

/// `c` copied into F order: the same values, walked along axis 0 by the lane walks.
fn f_ordered(c: &ArrayD<f64>) -> ArrayD<f64> {
    let mut f = ArrayD::zeros(c.raw_dim().f());
    f.assign(c);
    f
}

/// A shape whose planes across axis 0 are tiled (more than `route::TILED_PLANES_ABOVE` points),
/// in tiles of 20 rows and a remainder; the axis long enough for the lane walk.
const TILED: [usize; 3] = [17, 330, 400];

/// The plane walk over tiles of large planes gives the bits of the lane walks over whole lanes:
/// the tiles change only the order in which points are computed.
#[test]
fn tiled_planes_are_the_lanes_sum() {
    assert!(TILED[1] * TILED[2] > super::route::TILED_PLANES_ABOVE);
    let c = layouts(&TILED)[0].clone();
    let f = f_ordered(&c);
    let x = uneven(TILED[0]);
    for settings in settings_for(TILED[0], &x, false) {
        let stencil = AxisStencil::new(0, TILED[0], &settings).expect("long enough");
        let run = |input: &ArrayD<f64>| {
            let mut out = input.mapv(|_| 0.0); // in the input's memory order
            let ((), routes) = taken(|| {
                with_parallel_threshold(usize::MAX, || {
                    derivatives(&[Term::new(input.view(), Axis(0), &stencil)], vec![out.view_mut()])
                })
            });
            (out, routes[0].walk)
        };
        let ((planes, walk_c), (lanes, walk_f)) = (run(&c), run(&f));
        assert_eq!(walk_c, Walk::Planes, "{settings:?}");
        assert!(matches!(walk_f, Walk::Flat | Walk::Lanes), "{settings:?}: {walk_f:?}");
        assert_eq!(differing_bits(&planes, &lanes), 0, "{settings:?}");
    }
}

/// The plane walk's jammed planes (four output planes per pass, `planes::jammed_planes`) give
/// the bits of the lane walks, for every stencil they take: first and second derivatives at
/// accuracy 2–8, on uniform steps and on coordinates, with and without blocks.
#[test]
fn jammed_planes_are_the_lanes_sum() {
    use super::planes::JAMMED_GROUPS;
    let _switch = crate::simd::wide_switch(); // AVX2 left on: the jammed loop needs it
    let shape = [40usize, 60, 70]; // planes 33,600 bytes apart: jammed
    assert!(super::route::jams_planes(
        &[shape[1] * shape[2] * size_of::<f64>()],
        || 8
    ));
    let c = ArrayD::from_shape_fn(IxDyn(&shape), |i| {
        let (a, b, d) = (i[0] as f64, i[1] as f64, i[2] as f64);
        (0.37 * a).sin() * (0.11 * b + 0.05 * d).cos() + 0.01 * a * a
    });
    let f = f_ordered(&c);
    let x = uneven(shape[0]);
    let mut jammed_stencils = 0;
    for spacing in [Spacing::Uniform(0.3), Spacing::Coordinates(x.view().into())] {
        for accuracy in [2, 4, 6, 8] {
            for derivative in [1, 2] {
                let settings = AxisSettings {
                    spacing: spacing.clone(),
                    edge_order: EdgeOrder::First,
                    accuracy: Some(accuracy),
                    derivative,
                    boundary: Boundary::OneSided,
                    edge_order_given: false,
                    derivative_given: false,
                };
                let stencil = AxisStencil::new(0, shape[0], &settings).expect("long enough");
                for threshold in [0, usize::MAX] {
                    let run = |input: &ArrayD<f64>| {
                        let mut out = input.mapv(|_| 0.0);
                        let before = JAMMED_GROUPS.with(|n| n.get());
                        with_parallel_threshold(threshold, || {
                            derivatives(&[Term::new(input.view(), Axis(0), &stencil)], vec![out.view_mut()])
                        });
                        (out, JAMMED_GROUPS.with(|n| n.get()) - before)
                    };
                    let ((planes, groups), (lanes, none)) = (run(&c), run(&f));
                    assert_eq!(none, 0);
                    jammed_stencils += usize::from(groups > 0);
                    assert_eq!(
                        differing_bits(&planes, &lanes),
                        0,
                        "{settings:?}, threshold {threshold}"
                    );
                }
            }
        }
    }
    // The stencils `taps::jams` takes, at least on one thread (the blocks of the other split
    // run on rayon's threads, whose groups this thread does not count): accuracy 2 and 4 of
    // the second derivative and accuracy 4 of the first on uniform steps, accuracy 2 of both
    // and 4 of the first on coordinates. Only with AVX2.
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        assert!(jammed_stencils >= 6, "{jammed_stencils} stencils jammed");
    }
}

/// Which plane walks take four planes per pass: the stencils `taps::jams` has a loop for, and
/// the plane spacings `route::jams_planes` allows: not a multiple of 2 KiB, where the rows
/// would share one set of the L1 cache, unless that set has room for all of them (12 ways).
#[test]
fn jammed_planes_of_a_grid_of_stencils_and_spacings() {
    use super::route::jams_planes;
    use super::taps::jams;
    let yes: [&[isize]; 5] = [
        &[-1, 0, 1],
        &[-2, -1, 0, 1, 2],
        &[-2, -1, 1, 2],
        &[0, 1, 2],
        &[-4, -3, -2, -1, 0],
    ];
    let no: [&[isize]; 7] = [
        &[-1, 1],                      // NumPy's difference (two taps)
        &[-3, -2, -1, 1, 2, 3],        // accuracy 6: too wide for the kept loops
        &[-4, -3, -2, -1, 1, 2, 3, 4], // accuracy 8
        &[-3, -2, -1, 0, 1, 2, 3],     // seven points
        &[-2, 0, 2],                   // not consecutive
        &[-1, 1, 2, 3],                // a gap, but not at 0 in the middle
        &[],
    ];
    assert!(yes.iter().all(|o| jams(o)));
    assert!(
        no.iter().all(|o| !jams(o)),
        "{:?}",
        no.iter().filter(|o| jams(o)).collect::<Vec<_>>()
    );
    // Plane spacings in bytes: 4000² and 200³ of f64 jam; 4096², 256³ and multiples of 2 KiB
    // do not; both input and output must allow it.
    for (strides, expected) in [
        (&[32_000usize][..], true),
        (&[320_000], true),
        (&[33_600], true),
        (&[1024], true),
        (&[32_768], false),
        (&[524_288], false),
        (&[2048], false),
        (&[6144], false),
        (&[32_000, 16_000], true),
        (&[32_000, 32_768], false),
    ] {
        assert_eq!(jams_planes(strides, || 8), expected, "{strides:?}, 8 ways");
        assert_eq!(jams_planes(strides, || 0), expected, "{strides:?}, ways unknown");
        assert_eq!(jams_planes(strides, || 11), expected, "{strides:?}, 11 ways");
        // A set of 12 lines holds a pass's rows, whatever their spacing.
        assert!(jams_planes(strides, || 12), "{strides:?}, 12 ways");
        assert!(jams_planes(strides, || 16), "{strides:?}, 16 ways");
    }
    // The cache is asked only when the spacing does not decide.
    assert!(jams_planes(&[32_000], || unreachable!("not asked")));
    assert_eq!(super::route::JAMMED_LINES, 8 + super::taps::JAMMED_PLANES);
}

/// The uninitialised outputs of `alloc::new_array_like` are sound only if every walk writes
/// every point of its outputs: count the writes of every walk, on every layout, with and
/// without blocks, and check that every walk of [`Walk`] (and every walk a term takes inside a
/// slab) was counted.
#[test]
fn every_walk_writes_every_point() {
    let mut seen: Vec<Route> = Vec::new();

    // One derivative per output, one axis at a time: the axis walks, and the row engine along
    // a middle axis of the large shape.
    let small: [&[usize]; 7] = [&[2], &[3], &[40], &[3, 17], &[17, 2], &[4, 3, 20], &[2, 3, 2, 18]];
    let large: [&[usize]; 2] = [&[6, 40, 70], &[70, 300, 2]];
    for (shape, full) in small
        .iter()
        .map(|s| (*s, true))
        .chain(large.iter().map(|s| (*s, false)))
    {
        for f in layouts(shape) {
            for axis in (0..shape.len()).map(Axis) {
                let n = f.len_of(axis);
                let x = uneven(n);
                for settings in settings_for(n, &x, full) {
                    let Ok(stencil) = AxisStencil::new(axis.index(), n, &settings) else {
                        continue; // too short for this stencil
                    };
                    for f_order in [false, true] {
                        let mut outs = count_outputs(&f.view(), 1, f_order);
                        on_both_splits(&mut seen, || {
                            derivatives(&[Term::new(f.view(), axis, &stencil)], views(&mut outs))
                        });
                        assert_all_written(&outs, &|| format!("{shape:?} axis {axis:?} {settings:?}"));
                    }
                }
            }
        }
    }

    // Planes too large to walk whole, along the outermost axis of a C-ordered input: a tile of
    // every plane at a time (`route::plane_tiles`), for every kind of interior.
    let tiled = layouts(&TILED)[0].clone();
    let x = uneven(TILED[0]);
    for settings in settings_for(TILED[0], &x, false) {
        let stencil = AxisStencil::new(0, TILED[0], &settings).expect("long enough");
        for f_order in [false, true] {
            let mut outs = count_outputs(&tiled.view(), 1, f_order);
            on_both_splits(&mut seen, || {
                derivatives(&[Term::new(tiled.view(), Axis(0), &stencil)], views(&mut outs))
            });
            assert_all_written(&outs, &|| format!("{TILED:?} axis 0 {settings:?}"));
        }
    }

    // Every axis at once: the row engine's several outputs in one pass, or one walk per axis.
    for shape in [
        &[150usize, 120][..],
        &[4, 5, 900],
        &[12, 10, 150],
        &[3, 2, 30, 100],
        &[40, 600, 3],
    ] {
        for f in layouts(shape).into_iter().take(2) {
            let xs: Vec<Array1<f64>> = shape.iter().map(|&n| uneven(n)).collect();
            for s in 0..3 {
                let stencils: Vec<AxisStencil<f64>> = (0..shape.len())
                    .filter_map(|k| AxisStencil::new(k, shape[k], &settings_for(shape[k], &xs[k], false)[s]).ok())
                    .collect();
                if stencils.len() < shape.len() {
                    continue;
                }
                let terms: Vec<_> = stencils
                    .iter()
                    .enumerate()
                    .map(|(k, st)| Term::new(f.view(), Axis(k), st))
                    .collect();
                let mut outs = count_outputs(&f.view(), shape.len(), false);
                on_both_splits(&mut seen, || derivatives(&terms, views(&mut outs)));
                assert_all_written(&outs, &|| format!("all axes of {shape:?}, settings {s}"));
            }
        }
    }

    // Sums of terms: 2 or 3 terms of one width (one loop), of different widths or per-point
    // weights (row buffers), subtracted (a curl), on every layout (the row engine when
    // contiguous, slabs otherwise), and a block with its halo (slabs).
    for shape in [&[20usize, 30][..], &[5, 6, 40], &[30, 4, 5], &[2, 3, 200], &[4, 1100]] {
        let xs: Vec<Array1<f64>> = shape.iter().map(|&n| uneven(n)).collect();
        for f in layouts(shape) {
            for (s0, s1) in [(0, 0), (1, 1), (0, 1), (1, 2), (2, 2)] {
                let st = |k: usize, s: usize| AxisStencil::new(k, shape[k], &settings_for(shape[k], &xs[k], false)[s]);
                let nd = shape.len();
                let Ok(stencils) = (0..nd)
                    .map(|k| st(k, if k % 2 == 0 { s0 } else { s1 }))
                    .collect::<Result<Vec<_>, _>>()
                else {
                    continue;
                };
                for subtract in [false, true] {
                    let terms: Vec<_> = stencils
                        .iter()
                        .enumerate()
                        .map(|(k, st)| Term {
                            subtract: subtract && k == 1,
                            ..Term::new(f.view(), Axis(k), st)
                        })
                        .collect();
                    // The same terms with coefficients (an operator's `Coef(c) * Diff(k)`),
                    // which take the row buffers: all of them, and the first alone.
                    let scaled: Vec<_> = terms
                        .iter()
                        .map(|t| Term {
                            scale: Some(0.5),
                            ..t.clone()
                        })
                        .collect();
                    for (terms, what) in [
                        (&terms[..], ""),
                        (&scaled[..], " scaled"),
                        (&scaled[..1], " one scaled"),
                    ] {
                        for f_order in [false, true] {
                            let mut outs = count_outputs(&f.view(), 1, f_order);
                            on_both_splits(&mut seen, || sum(terms, outs[0].view_mut()));
                            assert_all_written(&outs, &|| format!("sum{what} on {shape:?} ({s0}, {s1}) {subtract}"));
                        }
                    }
                    if !subtract {
                        for f_order in [false, true] {
                            let mut outs = count_outputs(&f.view(), 1, f_order);
                            on_both_splits(&mut seen, || norm(&terms, outs[0].view_mut()));
                            assert_all_written(&outs, &|| format!("norm on {shape:?} ({s0}, {s1})"));
                        }
                    }
                }
            }
        }
    }
    // A block of rows 5..12 of a 20 × 30 array with a halo of 2 along axis 0 (a BlockPlan).
    let whole = layouts(&[20, 30]).swap_remove(0);
    let x20 = uneven(20);
    let settings = &settings_for(20, &x20, false)[1];
    let (st0, st1) = (
        AxisStencil::new(0, 20, settings).unwrap(),
        AxisStencil::new(1, 30, settings).unwrap(),
    );
    let window = st0.window(3, 11);
    let terms = [
        Term {
            first: 2,
            ..Term::new(whole.slice(s![3..14, ..]).into_dyn(), Axis(0), &window)
        },
        Term::new(whole.slice(s![5..12, ..]).into_dyn(), Axis(1), &st1),
    ];
    let mut outs = vec![ArrayD::<Count>::default(IxDyn(&[7, 30]))];
    on_both_splits(&mut seen, || sum(&terms, outs[0].view_mut()));
    assert_all_written(&outs, &|| "a block with its halo".into());
    // A sum of no terms.
    let mut outs = vec![ArrayD::<Count>::default(IxDyn(&[3, 4]))];
    on_both_splits(&mut seen, || sum::<f64, _, _>(&[], outs[0].view_mut()));
    assert_all_written(&outs, &|| "an empty sum".into());

    // `diff`: the first difference and the copy of order 0, exactly once per point.
    for shape in [&[2usize][..], &[40], &[3, 17], &[17, 2], &[4, 3, 20]] {
        for f in layouts(shape) {
            for axis in (0..shape.len()).map(Axis) {
                let n = f.len_of(axis);
                let mut out = alloc_like::<_, Count, _>(&f.view(), Some((axis, n - 1)));
                let ((), routes) = taken(|| {
                    with_parallel_threshold(0, || first_difference(f.view(), out.view_mut(), axis));
                    with_parallel_threshold(usize::MAX, || first_difference(f.view(), out.view_mut(), axis));
                });
                seen.extend(routes);
                assert!(out.iter().all(|c| c.0 == 2), "diff {shape:?} axis {axis:?}");
                let mut out = alloc_like::<_, Count, _>(&f.view(), None);
                let ((), routes) = taken(|| {
                    with_parallel_threshold(0, || copy(f.view(), out.view_mut()));
                    with_parallel_threshold(usize::MAX, || copy(f.view(), out.view_mut()));
                });
                seen.extend(routes);
                assert!(out.iter().all(|c| c.0 == 2), "copy {shape:?}");
            }
        }
    }

    // Compositions (mixed partials, `operator::compose_into`): their steps, slabs and blocks of
    // derivative calls must together cover the output. Two steps of a long axis (each step at
    // least `COMPOSED_STEP_POINTS`), both orders of the factors, every layout (slabs across
    // another axis when the outer axis is not the outermost in memory), a periodic outer
    // axis, and three factors (blocks).
    let fused_before = super::mixed::FUSED_PLANES.with(|n| n.get());
    for (shape, chains) in [
        (&[1400usize, 100][..], &[&[0usize, 1][..], &[1, 0]][..]),
        (&[9, 8, 30], &[&[0, 1], &[1, 2], &[2, 0], &[0, 1, 2]]),
    ] {
        let xs: Vec<Array1<f64>> = shape.iter().map(|&n| uneven(n)).collect();
        for (l, f) in layouts(shape).into_iter().enumerate() {
            for s in [0, 4, 5, 7] {
                let Ok(stencils) = (0..shape.len())
                    .map(|k| AxisStencil::new(k, shape[k], &settings_for(shape[k], &xs[k], false)[s]))
                    .collect::<Result<Vec<_>, _>>()
                else {
                    continue;
                };
                for chain in chains {
                    if shape[0] > 1000 && l > 1 && s > 0 {
                        continue; // the long shape's other layouts once
                    }
                    let steps: Vec<(Axis, &AxisStencil<f64>)> =
                        chain.iter().map(|&k| (Axis(k), &stencils[k])).collect();
                    let mut outs = count_outputs(&f.view(), 1, false);
                    // Split, the pieces' walks run on rayon's threads, which `taken` does not
                    // hear: no route is asserted here.
                    for threshold in [0, usize::MAX] {
                        with_parallel_threshold(threshold, || {
                            crate::operator::compose_into(&steps, f.view(), outs[0].view_mut())
                        });
                    }
                    assert_all_written(&outs, &|| {
                        format!("composition {chain:?} of {shape:?}, layout {l}, settings {s}")
                    });
                }
            }
        }
    }

    // Two central differences on C-ordered inputs took the fused walk (on this thread when not
    // split), so its writes were counted above.
    assert!(
        super::mixed::FUSED_PLANES.with(|n| n.get()) > fused_before,
        "the fused walk never taken"
    );

    // Compact schemes: every layout, along every axis (whole lanes in groups and a remainder,
    // or rows across the lanes), periodic or not, in one tile or several.
    for shape in [&[9usize][..], &[11, 13], &[5, 7, 12], &[600, 1000]] {
        let all = if shape.len() == 2 && shape[0] == 600 {
            1
        } else {
            usize::MAX
        };
        for f in layouts(shape).into_iter().take(all) {
            for axis in (0..shape.len()).map(Axis) {
                for (m, acc, lhs) in [(1, 4, 3), (2, 6, 5)] {
                    let scheme = crate::CompactScheme::new(m, acc, lhs).unwrap();
                    for periodic in [false, true] {
                        let mut opts = crate::GradientOptions::new();
                        if periodic {
                            opts = opts.periodic_all();
                        }
                        let Ok(system) = scheme.system(shape, axis, &opts) else {
                            continue; // too short for this scheme
                        };
                        for f_order in [false, true] {
                            let mut outs = count_outputs(&f.view(), 1, f_order);
                            on_both_splits(&mut seen, || {
                                super::compact(f.view(), outs[0].view_mut(), axis, &system)
                            });
                            let missed = outs[0].iter().filter(|c| c.0 != 2).count();
                            assert_eq!(
                                missed, 0,
                                "compact {shape:?} axis {axis:?} ({m}, {acc}, {lhs}) periodic {periodic}"
                            );
                        }
                    }
                }
            }
        }
    }

    let walks: BTreeSet<Walk> = seen.iter().map(|r| r.walk).collect();
    assert_eq!(walks, Walk::ALL.into_iter().collect(), "walks never counted");
    let in_slabs: BTreeSet<Walk> = seen.iter().flat_map(|r| r.term_walks.iter().copied()).collect();
    assert_eq!(in_slabs, [Walk::Flat, Walk::Lanes, Walk::Planes].into_iter().collect());
    let blocks: BTreeSet<usize> = seen.iter().map(|r| r.blocks).collect();
    assert!(
        blocks.contains(&1) && blocks.iter().any(|&b| b > 1),
        "blocks {blocks:?}"
    );
    assert!(blocks.iter().all(|&b| b <= MAX_BLOCKS));
}

/// Every stencil the options can make, at the widest derivative order and accuracy, on
/// uniform, coordinate and periodic axes, fits the loops unrolled up to [`MAX_TAPS`] taps
/// (and the one-loop sums take only up to [`ONE_LOOP_TAPS`]): the point-by-point fallbacks
/// beyond it are there for safety, not speed.
#[test]
fn widest_stencils_fit_the_unrolled_loops() {
    use crate::orders::{MAX_ACCURACY, MAX_DERIVATIVE};
    let n = 64;
    let x = Array1::from_shape_fn(n, |i| i as f64 + 0.25 * (i as f64 * 0.7).sin());
    let mut widest = 0;
    for derivative in 1..=MAX_DERIVATIVE {
        for accuracy in (2..=MAX_ACCURACY).step_by(2) {
            for (spacing, boundary) in [
                (Spacing::Uniform(1.0), Boundary::OneSided),
                (Spacing::Uniform(1.0), Boundary::Periodic),
                (Spacing::Coordinates(x.view().into()), Boundary::OneSided),
                (
                    Spacing::Coordinates(x.view().into()),
                    Boundary::PeriodicWithLength(x[n - 1] - x[0] + 1.0),
                ),
            ] {
                let settings = AxisSettings {
                    spacing,
                    edge_order: EdgeOrder::First,
                    accuracy: Some(accuracy),
                    derivative,
                    boundary,
                    edge_order_given: false,
                    derivative_given: false,
                };
                let st = AxisStencil::new(0, n, &settings).expect("64 points are enough");
                let edges = st.edges.iter().map(|(_, rule)| match rule {
                    Rule::Weighted { offsets, .. } => offsets.len(),
                    Rule::Difference { .. } => 2,
                });
                widest = edges.chain([st.interior.offsets().len()]).fold(widest, usize::max);
            }
        }
    }
    assert!(widest <= MAX_TAPS, "a stencil of {widest} taps");
    assert!(widest > ONE_LOOP_TAPS, "the widest stencil is {widest} taps");
}

/// Every width of [`weighted_sum_of_rows`], unrolled ([`UNROLLED_TAPS`],
/// [`UNROLLED_PER_POINT_TAPS`]) or summed over tiles (wider, up to past [`MAX_TAPS`]), is the
/// same sum point by point, at lengths shorter than a tile and spanning several tiles, set as
/// computed, added to an earlier sum and subtracted from it.
#[test]
fn every_width_of_the_tap_loop_is_the_same_sum() {
    let widest = MAX_TAPS + 3;
    for n in [1, 37, 600] {
        let rows: Vec<Vec<f64>> = (0..widest)
            .map(|j| (0..n).map(|k| ((j * 31 + k * 7) as f64 * 0.13).sin()).collect())
            .collect();
        let w: Vec<f64> = (0..widest).map(|j| 1.0 / (j as f64 + 1.5)).collect();
        let per_point: Vec<Vec<f64>> = (0..widest)
            .map(|j| (0..n + 2).map(|k| w[j] * (1.0 + k as f64 * 1e-3)).collect())
            .collect();
        let prior: Vec<f64> = (0..n).map(|k| (k as f64 * 0.37).cos()).collect();
        for t in 1..=widest {
            for (weights, at) in [
                (
                    TapWeights::Shared(&w),
                    &(|_: usize, j: usize| w[j]) as &dyn Fn(usize, usize) -> f64,
                ),
                (TapWeights::PerPoint { w: &per_point, from: 2 }, &|k, j| {
                    per_point[j][k + 2]
                }),
            ] {
                let mut set = vec![0.0; n];
                weighted_sum_of_rows(&mut set, t, |j| &rows[j][..], weights, AsComputed);
                let mut added = vec![0.0; n];
                weighted_sum_of_rows(
                    &mut added,
                    t,
                    |j| &rows[j][..],
                    weights,
                    AddedTo {
                        prior: &prior,
                        subtract: false,
                    },
                );
                let mut subtracted = vec![0.0; n];
                weighted_sum_of_rows(
                    &mut subtracted,
                    t,
                    |j| &rows[j][..],
                    weights,
                    AddedTo {
                        prior: &prior,
                        subtract: true,
                    },
                );
                for k in 0..n {
                    let mut sum = rows[0][k] * at(k, 0);
                    for (j, row) in rows.iter().enumerate().take(t).skip(1) {
                        sum += row[k] * at(k, j);
                    }
                    assert_eq!(set[k].to_bits(), sum.to_bits(), "{t} taps, point {k} of {n}");
                    assert_eq!(
                        added[k].to_bits(),
                        (prior[k] + sum).to_bits(),
                        "{t} taps, point {k} of {n}"
                    );
                    assert_eq!(
                        subtracted[k].to_bits(),
                        (prior[k] - sum).to_bits(),
                        "{t} taps, point {k} of {n}"
                    );
                }
            }
        }
    }
    const {
        assert!(
            UNROLLED_TAPS < MAX_TAPS && UNROLLED_PER_POINT_TAPS < MAX_TAPS,
            "the tiled loop is tested"
        )
    };
}

/// `Σ_j w_j · x_j[k]` through the tap-summing loop, into a new vector (for `simd`'s tests).
pub(crate) fn weighted_rows_for_test(x: &[&[f64]], w: &[f64]) -> Vec<f64> {
    let mut o = vec![0.0; x[0].len()];
    weighted_sum_of_rows(&mut o, x.len(), |j| x[j], TapWeights::Shared(w), AsComputed);
    o
}

/// The routes a call takes on the calling thread with this parallel threshold, as
/// `Walk/blocks` (and the term walks of a slab walk in brackets).
fn routes_of(threshold: usize, f: impl FnOnce()) -> Vec<String> {
    let ((), routes) = taken(|| with_parallel_threshold(threshold, f));
    routes
        .iter()
        .map(|r| {
            let inner = if r.term_walks.is_empty() {
                String::new()
            } else {
                format!("{:?}", r.term_walks)
            };
            format!("{:?}/{}{inner}", r.walk, r.blocks)
        })
        .collect()
}

/// The walk chosen for a grid of calls: shapes (large and small, long and short rows, 1-D to
/// 3-D), layouts (C, F, strided, outputs of mixed layouts, a block with its halo), axes (the
/// outermost, middle and innermost in memory, all, a subset, none), stencil kinds (NumPy's
/// interior, weights per point on coordinates, second derivatives, differences) and thread
/// splits (none, everything). Each expectation says why; a change to any branch of
/// `route::choose` fails here. `SPLIT` cuts every call of 2 units or more into
/// `points / MIN_BLOCK` blocks, at least 2 and at most `MAX_BLOCKS` (8), no more than its units:
/// 2 for most arrays here.
#[test]
fn routes_of_a_grid_of_calls() {
    use crate::{ArrayGradientExt, BlockPlan, GradientOptions};
    const SERIAL: usize = usize::MAX;
    const SPLIT: usize = 0;
    let field = |shape: &[usize]| {
        ArrayD::from_shape_fn(IxDyn(shape), |i| i.slice().iter().map(|&v| v as f64).sum::<f64>().sin())
    };
    // 16,800 points (above ONE_PASS_MIN_LEN), rows of 70 (above ONE_PASS_MIN_ROW).
    let a = field(&[6, 40, 70]);
    let a_f = {
        let mut t = ArrayD::zeros(IxDyn(&[6, 40, 70]).f());
        t.assign(&a);
        t
    };
    let wide = field(&[6, 40, 140]);
    let strided = wide.slice(s![.., .., ..;2]).into_dyn();
    // Every other plane: rows of stride 1, planes apart.
    let thick = field(&[12, 40, 70]);
    let every_other_plane = thick.slice(s![..;2, .., ..]).into_dyn();
    // 60 planes of 2,800 points: 3 slabs of 23 planes.
    let tall = field(&[60, 40, 140]);
    let tall_strided = tall.slice(s![.., .., ..;2]).into_dyn();
    // 42,000 points in rows of 2 (below ONE_PASS_MIN_ROW); 120 points; 40 points.
    let b = field(&[70, 300, 2]);
    let small = field(&[4, 5, 6]);
    let line = field(&[40]);
    let line_x = uneven(40);
    let grid = field(&[150, 120]);
    let x = Array1::from_shape_fn(70, |i| i as f64 + 0.25 * (i as f64 * 0.7).sin());
    let np = GradientOptions::<f64>::new();
    let v = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    /// A call: its name, the parallel threshold, the call, the routes expected.
    type Case<'c> = (&'static str, usize, Box<dyn Fn() + 'c>, Vec<String>);
    let cases: Vec<Case<'_>> = vec![
        // One derivative: the outermost axis walks planes; a middle axis of a large
        // contiguous array takes the rows; the innermost lanes lie end to end (Flat).
        (
            "outermost",
            SERIAL,
            Box::new(|| drop(a.gradient_axis(Axis(0)))),
            v(&["Planes/1"]),
        ),
        (
            "middle",
            SERIAL,
            Box::new(|| drop(a.gradient_axis(Axis(1)))),
            v(&["Rows/1"]),
        ),
        (
            "innermost",
            SERIAL,
            Box::new(|| drop(a.gradient_axis(Axis(2)))),
            v(&["Flat/1"]),
        ),
        // Split: across the outermost axis (6 planes), 2 blocks; along the axis itself when it
        // is the outermost; the rows in runs of rows.
        (
            "outermost split",
            SPLIT,
            Box::new(|| drop(a.gradient_axis(Axis(0)))),
            v(&["Planes/2"]),
        ),
        (
            "middle split",
            SPLIT,
            Box::new(|| drop(a.gradient_axis(Axis(1)))),
            v(&["Rows/2"]),
        ),
        (
            "innermost split",
            SPLIT,
            Box::new(|| drop(a.gradient_axis(Axis(2)))),
            v(&["Flat/2"]),
        ),
        // 1-D: the only axis is cut along itself, so the lanes (Flat needs whole lanes).
        (
            "1-D",
            SERIAL,
            Box::new(|| drop(line.gradient_axis(Axis(0)))),
            v(&["Flat/1"]),
        ),
        (
            "1-D split",
            SPLIT,
            Box::new(|| drop(line.gradient_axis(Axis(0)))),
            v(&["Lanes/2"]),
        ),
        // Weights per point (coordinates): no Flat.
        (
            "coordinates innermost",
            SERIAL,
            Box::new(|| drop(a.gradient_axis_with(Axis(2), &np.clone().coordinates(Axis(2), &x)))),
            v(&["Lanes/1"]),
        ),
        // Lanes of stride 1 that do not lie end to end (every other plane): lane by lane.
        (
            "every other plane, innermost",
            SERIAL,
            Box::new(|| drop(every_other_plane.gradient_axis(Axis(2)))),
            v(&["Lanes/1"]),
        ),
        // Lanes shorter than MIN_LANE_LEN (6 points, weights per point): planes.
        (
            "short lanes, coordinates",
            SERIAL,
            Box::new(|| {
                let x = Array1::from_vec(vec![0.0, 1.0, 1.5, 3.0, 3.25, 5.0]);
                drop(small.gradient_axis_with(Axis(2), &GradientOptions::new().coordinates(Axis(2), &x)))
            }),
            v(&["Planes/1"]),
        ),
        // F order: the result is F too; axis 0 is innermost in memory, axis 2 outermost.
        (
            "F axis 0",
            SERIAL,
            Box::new(|| drop(a_f.gradient_axis(Axis(0)))),
            v(&["Flat/1"]),
        ),
        (
            "F axis 1",
            SERIAL,
            Box::new(|| drop(a_f.gradient_axis(Axis(1)))),
            v(&["Rows/1"]),
        ),
        (
            "F axis 2",
            SERIAL,
            Box::new(|| drop(a_f.gradient_axis(Axis(2)))),
            v(&["Planes/1"]),
        ),
        // Strided input: no slices, so planes (the rows need contiguous views).
        (
            "strided innermost",
            SERIAL,
            Box::new(|| drop(strided.gradient_axis(Axis(2)))),
            v(&["Planes/1"]),
        ),
        (
            "strided middle",
            SERIAL,
            Box::new(|| drop(strided.gradient_axis(Axis(1)))),
            v(&["Planes/1"]),
        ),
        // Every axis: one pass of the row engine for all three outputs.
        ("all axes", SERIAL, Box::new(|| drop(a.gradient())), v(&["Rows/1"])),
        ("all axes split", SPLIT, Box::new(|| drop(a.gradient())), v(&["Rows/2"])),
        (
            "stacked",
            SERIAL,
            Box::new(|| drop(a.gradient_stacked(&np))),
            v(&["Rows/1"]),
        ),
        // Rows of 2 with the innermost axis differentiated: one walk per axis, the middle
        // one still through the rows; without the innermost axis, one pass.
        (
            "short rows",
            SERIAL,
            Box::new(|| drop(b.gradient())),
            v(&["Planes/1", "Rows/1", "Flat/1"]),
        ),
        (
            "short rows, outer axes",
            SERIAL,
            Box::new(|| drop(b.gradient_with(&np.clone().axes([Axis(0), Axis(1)])))),
            v(&["Rows/1"]),
        ),
        // Small: one walk per axis, no rows (even along the middle axis).
        (
            "small",
            SERIAL,
            Box::new(|| drop(small.gradient())),
            v(&["Planes/1", "Planes/1", "Flat/1"]),
        ),
        // Outputs of two layouts: no common order, one walk per output in its own order.
        (
            "mixed outputs",
            SERIAL,
            Box::new(|| {
                let mut c = ArrayD::zeros(a.raw_dim());
                let mut f = ArrayD::zeros(a.raw_dim().f());
                let mut g = ArrayD::zeros(a.raw_dim());
                a.gradient_into(&np, &mut [&mut c, &mut f, &mut g]).unwrap()
            }),
            v(&["Planes/1", "Planes/1", "Flat/1"]),
        ),
        // Sums: contiguous views take the rows whatever their size; one term alone is a
        // derivative; none is zero.
        ("laplacian", SERIAL, Box::new(|| drop(a.laplacian(&np))), v(&["Rows/1"])),
        (
            "laplacian small",
            SERIAL,
            Box::new(|| drop(small.laplacian(&np))),
            v(&["Rows/1"]),
        ),
        (
            "laplacian small split",
            SPLIT,
            Box::new(|| drop(small.laplacian(&np))),
            v(&["Rows/2"]),
        ),
        (
            "laplacian of one axis",
            SERIAL,
            Box::new(|| drop(a.laplacian(&np.clone().axes([Axis(1)])))),
            v(&["Rows/1"]),
        ),
        (
            "laplacian of the innermost axis",
            SERIAL,
            Box::new(|| drop(a.laplacian(&np.clone().axes([Axis(2)])))),
            v(&["Flat/1"]),
        ),
        (
            "laplacian of one strided axis",
            SERIAL,
            Box::new(|| drop(strided.laplacian(&np.clone().axes([Axis(0)])))),
            v(&["Planes/1"]),
        ),
        (
            "laplacian of no axis",
            SERIAL,
            Box::new(|| drop(a.laplacian(&np.clone().axes([])))),
            v(&["Zero/1"]),
        ),
        // A constant times one derivative is a sum of one term whose value is scaled before
        // it is stored: not a derivative's walk (which stores it as computed) but the sum's,
        // rows here where "innermost" takes Flat; and a directional derivative of three terms.
        (
            "constant times a derivative",
            SERIAL,
            Box::new(|| drop((2.0 * crate::Operator::derivative(Axis(2), 1)).apply(&a, &np))),
            v(&["Rows/1"]),
        ),
        (
            "directional",
            SERIAL,
            Box::new(|| drop(crate::Operator::directional(&[0.2, 0.3, 0.4]).apply(&a, &np))),
            v(&["Rows/1"]),
        ),
        (
            "directional strided",
            SERIAL,
            Box::new(|| drop(crate::Operator::directional(&[0.2, 0.3, 0.4]).apply(&strided, &np))),
            v(&["Slabs/1[Planes, Planes, Planes]"]),
        ),
        // The gradient magnitude: one output from every term, by the rows when contiguous in
        // one memory order (whatever the size and the length of the rows), by slabs otherwise.
        // No axis: zero.
        (
            "magnitude",
            SERIAL,
            Box::new(|| drop(a.gradient_magnitude(&np))),
            v(&["Rows/1"]),
        ),
        (
            "magnitude split",
            SPLIT,
            Box::new(|| drop(a.gradient_magnitude(&np))),
            v(&["Rows/2"]),
        ),
        (
            "magnitude F order",
            SERIAL,
            Box::new(|| drop(a_f.gradient_magnitude(&np))),
            v(&["Rows/1"]),
        ),
        (
            "magnitude small",
            SERIAL,
            Box::new(|| drop(small.gradient_magnitude(&np))),
            v(&["Rows/1"]),
        ),
        (
            "magnitude on coordinates",
            SERIAL,
            Box::new(|| drop(a.gradient_magnitude(&np.clone().coordinates(Axis(2), &x)))),
            v(&["Rows/1"]),
        ),
        (
            "magnitude of one axis",
            SERIAL,
            Box::new(|| drop(a.gradient_magnitude(&np.clone().axes([Axis(0)])))),
            v(&["Rows/1"]),
        ),
        (
            "magnitude rows of 2",
            SERIAL,
            Box::new(|| drop(b.gradient_magnitude(&np))),
            v(&["Rows/1"]),
        ),
        (
            "magnitude strided",
            SERIAL,
            Box::new(|| drop(strided.gradient_magnitude(&np))),
            v(&["Slabs/1[Planes, Planes, Planes]"]),
        ),
        (
            "magnitude of no axis",
            SERIAL,
            Box::new(|| drop(a.gradient_magnitude(&np.clone().axes([])))),
            v(&["Zero/1"]),
        ),
        // Strided: slabs, every term by planes inside a slab (no stride 1 along any axis).
        (
            "laplacian strided",
            SERIAL,
            Box::new(|| drop(strided.laplacian(&np))),
            v(&["Slabs/1[Planes, Planes, Planes]"]),
        ),
        // One slab of 6 planes cannot be split; 3 slabs make 3 blocks.
        (
            "laplacian strided split",
            SPLIT,
            Box::new(|| drop(strided.laplacian(&np))),
            v(&["Slabs/1[Planes, Planes, Planes]"]),
        ),
        (
            "laplacian tall strided split",
            SPLIT,
            Box::new(|| drop(tall_strided.laplacian(&np))),
            v(&["Slabs/3[Planes, Planes, Planes]"]),
        ),
        (
            "divergence",
            SERIAL,
            Box::new(|| drop(field(&[2, 150, 120]).divergence(&np))),
            v(&["Rows/1"]),
        ),
        (
            "curl",
            SERIAL,
            Box::new(|| drop(field(&[3, 4, 5, 6]).curl(&np))),
            v(&["Rows/1", "Rows/1", "Rows/1"]),
        ),
        (
            "scalar curl",
            SERIAL,
            Box::new(|| drop(field(&[2, 20, 30]).scalar_curl(&np))),
            v(&["Rows/1"]),
        ),
        // A block with its halo: the axis-0 term reads past the block (slabs); inside a slab
        // the axis-1 term's lanes lie end to end (Flat), or are walked one by one with
        // weights per point.
        (
            "block laplacian",
            SERIAL,
            Box::new(|| {
                block(
                    &grid,
                    &BlockPlan::laplacian(grid.shape(), &np).unwrap(),
                    [10, 0],
                    [30, 120],
                )
            }),
            v(&["Slabs/1[Planes, Flat]"]),
        ),
        (
            "block laplacian, coordinates",
            SERIAL,
            Box::new(|| {
                let x = Array1::from_shape_fn(120, |i| i as f64 + 0.25 * (i as f64 * 0.7).sin());
                let opts = GradientOptions::new().coordinates(Axis(1), &x);
                block(
                    &grid,
                    &BlockPlan::laplacian(grid.shape(), &opts).unwrap(),
                    [10, 0],
                    [30, 120],
                )
            }),
            v(&["Slabs/1[Planes, Lanes]"]),
        ),
        // A block's gradient: each output its own derivative of the block with its halo;
        // not the whole axis, so no Flat.
        (
            "block gradient",
            SERIAL,
            Box::new(|| {
                block(
                    &grid,
                    &BlockPlan::gradient(grid.shape(), &np).unwrap(),
                    [10, 20],
                    [30, 40],
                )
            }),
            v(&["Planes/1", "Lanes/1"]),
        ),
        // A 1-D block with its halo: stride 1 and contiguous, but not the whole axis: no Flat.
        (
            "1-D block gradient",
            SERIAL,
            Box::new(|| {
                let plan = BlockPlan::gradient(&[40], &np).unwrap();
                let halo = plan.halo(&[10], &[20]).unwrap();
                let with_halo = line.slice(s![10 - halo.before[0]..30 + halo.after[0]]).into_dyn();
                let mut out = ArrayD::zeros(IxDyn(&[20]));
                plan.compute(with_halo, &[10], &[20], &mut [&mut out]).unwrap();
            }),
            v(&["Lanes/1"]),
        ),
        // Inside a slab, a term along the outermost axis holds only the slab's part of the axis:
        // never Flat there, even where the lanes lie end to end (1-D, a term with a halo beside
        // a whole one; no public call makes this sum).
        (
            "1-D slabs",
            SERIAL,
            Box::new(|| {
                let settings = &settings_for(40, &line_x, false)[0];
                let st = AxisStencil::new(0, 40, settings).unwrap();
                let window = st.window(9, 22);
                let halo_term = Term {
                    first: 1,
                    ..Term::new(line.slice(s![9..31]).into_dyn(), Axis(0), &window)
                };
                let st20 = AxisStencil::new(0, 20, settings).unwrap();
                let whole_term = Term::new(line.slice(s![10..30]).into_dyn(), Axis(0), &st20);
                let mut out = ArrayD::<f64>::zeros(IxDyn(&[20]));
                sum(&[halo_term, whole_term], out.view_mut());
            }),
            v(&["Slabs/1[Lanes, Lanes]"]),
        ),
        // diff: lanes along the innermost axis, planes across the others, a copy for n = 0;
        // for n = 3 one first difference into a work array, one in place there (its blocks cut
        // across another axis) and one into the result, each split like a first difference.
        (
            "diff innermost",
            SERIAL,
            Box::new(|| drop(a.diff(1, Axis(2)))),
            v(&["DifferenceLanes/1"]),
        ),
        (
            "diff outermost",
            SERIAL,
            Box::new(|| drop(a.diff(1, Axis(0)))),
            v(&["DifferencePlanes/1"]),
        ),
        (
            "diff outermost split",
            SPLIT,
            Box::new(|| drop(a.diff(1, Axis(0)))),
            v(&["DifferencePlanes/2"]),
        ),
        ("diff 0", SERIAL, Box::new(|| drop(a.diff(0, Axis(0)))), v(&["Copy/1"])),
        (
            "diff 0 split",
            SPLIT,
            Box::new(|| drop(a.diff(0, Axis(0)))),
            v(&["Copy/2"]),
        ),
        (
            "diff 3",
            SERIAL,
            Box::new(|| drop(a.diff(3, Axis(2)))),
            v(&["DifferenceLanes/1", "DifferenceLanes/1", "DifferenceLanes/1"]),
        ),
        (
            "diff 3 split",
            SPLIT,
            Box::new(|| drop(a.diff(3, Axis(0)))),
            v(&["DifferencePlanes/2", "DifferencePlanes/2", "DifferencePlanes/2"]),
        ),
    ];
    let mut failures = Vec::new();
    for (name, threshold, call, expected) in &cases {
        let got = routes_of(*threshold, call);
        if &got != expected {
            failures.push(format!("{name}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "routes changed:\n{}", failures.join("\n"));
}

/// Computes every output of `plan` on the block at `start` of shape `block` of `f`.
fn block(f: &ArrayD<f64>, plan: &crate::BlockPlan<f64>, start: [usize; 2], block: [usize; 2]) {
    let halo = plan.halo(&start, &block).unwrap();
    let with_halo = f.slice(s![
        start[0] - halo.before[0]..start[0] + block[0] + halo.after[0],
        start[1] - halo.before[1]..start[1] + block[1] + halo.after[1]
    ]);
    let mut outs: Vec<ArrayD<f64>> = (0..plan.outputs()).map(|_| ArrayD::zeros(IxDyn(&block))).collect();
    let mut refs: Vec<_> = outs.iter_mut().map(|o| &mut **o).collect();
    plan.compute(with_halo.into_dyn(), &start, &block, &mut refs).unwrap();
}

/// The blocks of a composed derivative (a mixed partial): `COMPOSED_BLOCK_POINTS` of planes per
/// block, never fewer than four stencil widths (the halo planes computed twice stay a quarter of
/// the work at most), never more than the axis; on rayon's threads only when the array reaches
/// the threshold and there are several blocks.
#[test]
fn composed_blocks_of_a_grid_of_shapes() {
    use super::route::{COMPOSED_BLOCK_POINTS, composed_blocks};
    let threshold = crate::DEFAULT_PARALLEL_THRESHOLD;
    // (planes, points per plane, stencil width, threshold) -> (planes per block, parallel)
    let cases = [
        // 256³ across axis 0, accuracy 2 (width 2): 8 planes of 65,536 points.
        ((256, 1 << 16, 2, threshold), (8, true)),
        // Accuracy 4 (width 4): four widths, 16 planes, outweigh the 8 of the point budget.
        ((256, 1 << 16, 4, threshold), (16, true)),
        // 4096² across axis 0: 128 rows of 4,096.
        ((4096, 4096, 2, threshold), (128, true)),
        // Serial by the threshold.
        ((4096, 4096, 2, usize::MAX), (128, false)),
        // One block holds the whole axis: nothing to split.
        ((64, 64, 2, 0), (64, false)),
        // Planes larger than the budget: still four widths of them.
        ((100, COMPOSED_BLOCK_POINTS * 2, 2, threshold), (8, true)),
        // An axis shorter than four widths: one block.
        ((5, 10, 4, 0), (5, false)),
    ];
    for ((len, plane, width, threshold), expected) in cases {
        assert_eq!(
            composed_blocks(len, plane, width, threshold),
            expected,
            "{len} planes of {plane}, width {width}"
        );
    }
}

/// The steps of a composition of two derivatives (a mixed partial): twice the outer stencil's
/// width, at least 4 planes and `COMPOSED_STEP_POINTS` points, never more than the axis; pieces
/// for the threads (a whole number of steps each, at most `MAX_BLOCKS`) only from the threshold
/// on and with several steps.
#[test]
fn composed_steps_of_a_grid_of_shapes() {
    use super::route::{COMPOSED_STEP_POINTS, ComposedSteps, composed_steps};
    let threshold = crate::DEFAULT_PARALLEL_THRESHOLD;
    let steps = |planes, piece, parallel| ComposedSteps {
        planes,
        piece,
        parallel,
        fused: false,
    };
    // (planes, points per plane, stencil width, threshold) -> steps
    let cases = [
        // 256³, accuracy 2 and 4: steps of 4 and 8 planes (the width, not the point budget);
        // 8 pieces of 32 planes.
        ((256, 1 << 16, 2, usize::MAX), steps(4, 256, false)),
        ((256, 1 << 16, 4, usize::MAX), steps(8, 256, false)),
        ((256, 1 << 16, 4, threshold), steps(8, 32, true)),
        // 4096² along axis 0: the point budget, 32 rows a step.
        (
            (4096, 4096, 2, usize::MAX),
            steps(COMPOSED_STEP_POINTS / 4096, 4096, false),
        ),
        // 25 steps of 4 planes in at most 8 pieces: 4 steps a piece (7 pieces).
        ((100, COMPOSED_STEP_POINTS, 2, threshold), steps(4, 16, true)),
        // One step holds the whole axis: nothing to split.
        ((64, 64, 2, 0), steps(64, 64, false)),
        // An axis shorter than a step: one step of the whole axis.
        ((3, 1 << 20, 4, 0), steps(3, 3, false)),
        // Planes above the threshold but only two steps: two pieces.
        ((8, 1 << 20, 2, threshold), steps(4, 4, true)),
    ];
    // The outer axis not the outermost in memory: one step of the whole axis, on one thread.
    assert_eq!(
        composed_steps(256, 2048, 4, false, false, usize::MAX),
        steps(256, 256, false)
    );
    assert_eq!(
        composed_steps(256, 1 << 16, 4, false, false, threshold),
        steps(256, 256, false)
    );
    for ((len, plane, width, threshold), expected) in cases {
        assert_eq!(
            composed_steps(len, plane, width, true, false, threshold),
            expected,
            "{len} planes of {plane}, width {width}"
        );
        // Two central differences: the same pieces, the interior fused.
        assert_eq!(
            composed_steps(len, plane, width, true, true, threshold),
            ComposedSteps {
                fused: true,
                ..expected
            },
            "{len} planes of {plane}, central differences"
        );
    }
    // Fused only along the outermost axis, where each plane's interior is one run.
    assert!(!composed_steps(256, 1 << 16, 2, false, true, usize::MAX).fused);
}

/// The slabs a composed derivative (a mixed partial) is first cut into: across the outermost
/// axis in memory when no derivative is along it, or only the one applied first and it does
/// not wrap; otherwise none (it is cut across its outer derivative's axis).
#[test]
fn composed_slabs_follow_the_memory_order() {
    use super::route::ComposedSlabs::{FirstApplied, Untouched};
    use super::route::composed_slabs;
    let c: (&[usize], &[isize]) = (&[256, 256, 256], &[65536, 256, 1]);
    let f: (&[usize], &[isize]) = (&[256, 256, 256], &[1, 256, 65536]);
    let f2: (&[usize], &[isize]) = (&[4096, 4096], &[1, 4096]);
    let d = |k: usize| (Axis(k), false);
    let wraps = |k: usize| (Axis(k), true);
    let cases = [
        // ∂0∂1 in C order: the outer derivative is along the outermost axis.
        (c, vec![d(0), d(1)], None),
        // ∂1∂0: the first applied is, and it alone.
        (c, vec![d(1), d(0)], Some(FirstApplied(Axis(0)))),
        // ... unless it wraps.
        (c, vec![d(1), wraps(0)], None),
        // ∂2∂1: the outermost axis is untouched, whatever wraps.
        (c, vec![wraps(2), wraps(1)], Some(Untouched(Axis(0)))),
        // ∂0∂1 in F order (axis 2 outermost), and ∂0∂2 there.
        (f, vec![d(0), d(1)], Some(Untouched(Axis(2)))),
        (f, vec![d(0), d(2)], Some(FirstApplied(Axis(2)))),
        // ∂0∂1 of a 2-D array in F order.
        (f2, vec![d(0), d(1)], Some(FirstApplied(Axis(1)))),
        // The outermost axis twice, or one derivative only: no slabs.
        (c, vec![d(0), d(1), d(0)], None),
        (f, vec![d(0)], None),
    ];
    for ((shape, strides), along, expected) in cases {
        assert_eq!(
            composed_slabs(shape, strides, &along),
            expected,
            "{shape:?} {strides:?} {along:?}"
        );
    }
}

/// The blocks of an operator's matrix: serial below the threshold, else at most `MAX_BLOCKS`
/// blocks of at least `MATRIX_BLOCK_ROWS` rows.
#[cfg(feature = "sparse")]
#[test]
fn matrix_blocks_of_a_grid_of_sizes() {
    use super::route::{MATRIX_BLOCK_ROWS, MAX_BLOCKS, matrix_blocks};
    let threshold = crate::DEFAULT_PARALLEL_THRESHOLD;
    let cases = [
        // 1024²: eight blocks of 131,072 rows.
        ((1 << 20, threshold), (1 << 17, true)),
        // 512²: eight blocks of 32,768 rows.
        ((1 << 18, threshold), (1 << 15, true)),
        // Just at the threshold: four blocks of the smallest size.
        ((threshold, threshold), (MATRIX_BLOCK_ROWS, true)),
        // Below the threshold, or one thread: one block.
        ((1000, threshold), (1000, false)),
        ((1 << 20, usize::MAX), (1 << 20, false)),
        // Every size split when the threshold is 0, down to one block of a small grid.
        ((100, 0), (100, false)),
        ((0, 0), (1, false)),
    ];
    for ((n, threshold), expected) in cases {
        assert_eq!(matrix_blocks(n, threshold), expected, "{n} rows, threshold {threshold}");
        let (block, _) = expected;
        assert!(n.div_ceil(block) <= MAX_BLOCKS.max(1));
    }
}

/// Compact derivatives are cut into tiles of `COMPACT_TILE_POINTS`, on rayon's threads when
/// the array reaches the threshold and there are several tiles.
#[test]
fn compact_tiles_of_a_grid_of_sizes() {
    use super::route::{COMPACT_TILE_POINTS, compact_tiles};
    let threshold = crate::DEFAULT_PARALLEL_THRESHOLD;
    assert_eq!(COMPACT_TILE_POINTS, 1 << 19);
    let cases = [
        // 256³: tiles of 2¹⁹ points, in parallel.
        ((1 << 24, threshold), (1 << 19, true)),
        // One tile: on the calling thread, whatever the threshold.
        ((1 << 19, 0), (1 << 19, false)),
        ((1000, 0), (1 << 19, false)),
        // Below the threshold, or one thread: serial.
        ((1 << 24, usize::MAX), (1 << 19, false)),
        ((600_000, 0), (1 << 19, true)),
    ];
    for ((points, threshold), expected) in cases {
        assert_eq!(
            compact_tiles(points, threshold),
            expected,
            "{points} points, threshold {threshold}"
        );
    }
}

/// The Hessian's mixed entries of central differences take the fused walk ([`super::mixed`])
/// when every one can (C order: the cut axis outermost, each other entry's outer axis outermost
/// in a plane across it), and none does in F order, where the entries read the cut axis as
/// their inner one. (`tests/operators.rs` checks the bits against the composed calls.)
#[test]
fn hessian_fuses_central_differences_in_c_order() {
    use crate::{ArrayGradientExt, GradientOptions};
    let c = ndarray::Array3::from_shape_fn((20, 9, 7), |(i, j, k)| ((i * 7 + j * 3 + k) % 11) as f64);
    let mut f = ndarray::Array3::zeros(c.raw_dim().f());
    f.assign(&c);
    let opts = GradientOptions::new().spacing(0.3);
    let fused_planes = |a: &ndarray::Array3<f64>| {
        let before = super::mixed::FUSED_PLANES.with(|n| n.get());
        with_parallel_threshold(usize::MAX, || a.hessian(&opts).unwrap());
        super::mixed::FUSED_PLANES.with(|n| n.get()) - before
    };
    // (0, 1) and (0, 2): the 18 interior planes of axis 0; (1, 2): 7 interior planes of axis 1
    // in each of the 20 planes across axis 0.
    assert_eq!(fused_planes(&c), 18 + 18 + 20 * 7);
    assert_eq!(fused_planes(&f), 0);
}
