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
