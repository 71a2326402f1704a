//! When arrays are split across threads (the `rayon` feature).
//!
//! Large arrays are cut into blocks along an axis other than the one differentiated, and the
//! blocks are computed on rayon's thread pool. Every block runs the same serial kernel, so the
//! result is bit-identical to the serial one and does not depend on the number of threads.
//! Small arrays stay on the calling thread, where thread start-up would cost more than it saves.

use std::cell::Cell;

/// Arrays with at least this many elements are split across threads by default (with the
/// `rayon` feature). Below it, thread hand-off costs more than it saves on two cores.
///
/// ```
/// use ndarray::Array2;
/// use ndarray_gradient::{ArrayGradientExt, DEFAULT_PARALLEL_THRESHOLD, with_parallel_threshold};
///
/// let f = Array2::<f64>::ones((300, 300)); // 90,000 elements: above the default
/// assert!(f.len() >= DEFAULT_PARALLEL_THRESHOLD);
/// let g = with_parallel_threshold(DEFAULT_PARALLEL_THRESHOLD, || f.gradient()).unwrap();
/// assert!(g[0].iter().all(|&v| v == 0.0)); // np.gradient(np.ones((300, 300)))[0]
/// ```
pub const DEFAULT_PARALLEL_THRESHOLD: usize = 1 << 16;

/// The smallest block worth a task of its own.
#[cfg_attr(not(feature = "rayon"), allow(dead_code))]
pub(crate) const MIN_BLOCK: usize = 1 << 14;

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
#[cfg_attr(not(feature = "rayon"), allow(dead_code))]
pub(crate) fn threshold() -> usize {
    THRESHOLD.with(|t| t.get())
}
