//! Running the blocks of a call: on rayon's pool with the `rayon` feature, one after the other
//! on the calling thread otherwise. How many blocks, and where they are cut, is the route's
//! decision ([`super::route`]); every engine runs its blocks through [`for_each_block`].

/// Runs `run(state, block)` for every block, each block with a `state` made by `init` (row
/// buffers, say) and reused for the next blocks of the same thread. One block runs on the
/// calling thread.
pub(crate) fn for_each_block<T: Send, B>(
    blocks: Vec<T>,
    init: impl Fn() -> B + Sync + Send,
    run: impl Fn(&mut B, T) + Sync + Send,
) {
    #[cfg(feature = "rayon")]
    if blocks.len() > 1 {
        use ndarray::parallel::prelude::*;
        return blocks.into_par_iter().for_each_init(init, run);
    }
    let mut state = init();
    for block in blocks {
        run(&mut state, block);
    }
}

/// `out` cut across `axis` into blocks of `block` points along it (the last may be shorter),
/// each with the index along `axis` of its first point.
pub(crate) fn blocks_across<'a, S, D: ndarray::Dimension + 'a>(
    out: &'a mut ndarray::ArrayViewMut<'_, S, D>,
    axis: ndarray::Axis,
    block: usize,
) -> Vec<(usize, ndarray::ArrayViewMut<'a, S, D>)> {
    out.axis_chunks_iter_mut(axis, block)
        .enumerate()
        .map(|(b, o)| (b * block, o))
        .collect()
}

/// The blocks of a call cut outside the kernels (a composed derivative, the Hessian's sweep,
/// the gradient magnitude), with `state` per thread: on rayon's threads when `parallel`, each
/// block's own walks then kept on its thread (the blocks are the parallel work), else one after
/// the other on the calling thread with one `state`.
pub(crate) fn for_each_outer_block<T: Send, B>(
    parallel: bool,
    blocks: Vec<T>,
    init: impl Fn() -> B + Sync + Send,
    run: impl Fn(&mut B, T) + Sync + Send,
) {
    if parallel {
        for_each_block(blocks, init, |state, block| {
            crate::parallel::with_parallel_threshold(usize::MAX, || run(state, block))
        });
    } else {
        let mut state = init();
        for block in blocks {
            run(&mut state, block);
        }
    }
}
