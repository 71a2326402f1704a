//! The size from which calls are split across threads (the `rayon` feature): a setting per
//! thread, changed for the length of a closure by [`with_parallel_threshold`]. How a call is
//! cut into blocks is the kernels' route ([`crate::kernel`]); every block runs the same
//! formulas, so the result is bit-identical to the serial one whatever the number of threads.

use std::cell::Cell;

pub use crate::kernel::route::DEFAULT_PARALLEL_THRESHOLD;

thread_local! {
    static THRESHOLD: Cell<usize> = const { Cell::new(DEFAULT_PARALLEL_THRESHOLD) };
}

/// Runs `f` with a different size threshold for parallel work on the calling thread: arrays of
/// at least `min_len` elements are split across rayon's threads. `0` splits every array that
/// can be split, `usize::MAX` keeps everything on the calling thread. The previous threshold is
/// restored afterwards, also if `f` panics. Without the `rayon` feature this has no effect.
///
/// The results are the same bits whatever the threshold: only the speed changes.
///
/// # Example
///
/// ```
/// use ndarray::Array2;
/// use ndarray_gradient::{ArrayGradientExt, with_parallel_threshold};
///
/// let f = Array2::from_shape_fn((64, 64), |(i, j)| (i * j) as f64);
/// let serial = with_parallel_threshold(usize::MAX, || f.gradient()).unwrap();
/// let split = with_parallel_threshold(0, || f.gradient()).unwrap();
/// assert_eq!(serial, split);
/// ```
pub fn with_parallel_threshold<T>(min_len: usize, f: impl FnOnce() -> T) -> T {
    struct Restore(usize);
    impl Drop for Restore {
        fn drop(&mut self) {
            THRESHOLD.with(|t| t.set(self.0));
        }
    }
    let _restore = Restore(THRESHOLD.with(|t| t.replace(min_len)));
    f()
}

/// The threshold in force on this thread.
pub(crate) fn threshold() -> usize {
    THRESHOLD.with(|t| t.get())
}
