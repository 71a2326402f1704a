//! Wider vector instructions where the processor has them, chosen at run time.
//!
//! The crate is compiled for the baseline of its target (SSE2 on x86-64), where the loop that
//! sums a stencil's taps (`kernel::taps::fixed_width_taps`) works on two `f64` at a time. On a
//! processor with AVX2, [`wide`] runs the same loop compiled for four. Measured on this crate's
//! benchmark machine (256³ `f64`, one thread, medians): accuracy 8 along the last axis 56.5 →
//! 42.9 ms, accuracy 4 along the middle axis 52.6 → 46.6 ms, the Laplacian 55.7 → 53.0 ms.
//!
//! An AVX-512 level above AVX2 was tried and left out: against AVX2 (five interleaved runs)
//! it gained on the widest stencils only (accuracy 8 along axis 0 52–54 → 44–49 ms), not on
//! accuracy 4 or the Laplacian, which are bound by memory, while a third copy of every loop
//! made the crate's release build about 20 % slower (54 → 64 s with the quickstart).
//!
//! The bits do not change. AVX2 gives wider registers, not other arithmetic: every product and
//! every sum is still rounded on its own, in the same order (fused multiply-add is a separate
//! feature, `fma`, which is not enabled, and Rust never fuses `a * b + c` unasked).
//! `tests::wide_and_baseline_loops_agree_bit_for_bit` checks this, and the NumPy and findiff
//! parity tests run on whichever path the machine takes.

use std::sync::atomic::{AtomicBool, Ordering};

/// Whether [`wide`] may use AVX2 when the processor has it (tests compare both paths).
static ALLOWED: AtomicBool = AtomicBool::new(true);

/// Runs `f`, compiled with AVX2 when the processor has it. `f` must be an
/// `#[inline(always)]` closure calling an `#[inline(always)]` function that holds the loop, so
/// that the loop is compiled inside the AVX2 function rather than called from it.
#[inline(always)]
pub(crate) fn wide<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if uses_avx2() {
        // SAFETY: `with_avx2` is compiled with AVX2 enabled, so it may only run on a processor
        // that has AVX2; `uses_avx2` has just asked the processor (cpuid, through
        // `is_x86_feature_detected!`, which also checks that the operating system saves the
        // wider registers). Nothing else about `f` is assumed. The test
        // `tests::dispatch_follows_the_processor` checks that this branch is taken exactly when
        // the processor says so, and never once forbidden.
        return unsafe { with_avx2(f) };
    }
    f()
}

/// Runs `f` compiled with AVX2 when the processor has it, as [`wide`] does, and returns `None`
/// otherwise: for loops worth their code only in the wide form, whose callers have another way
/// to the same bits (the plane walk's jammed planes, `kernel::taps::weighted_sums_of_planes`).
#[inline(always)]
pub(crate) fn only_wide<R>(f: impl FnOnce() -> R) -> Option<R> {
    #[cfg(target_arch = "x86_64")]
    if uses_avx2() {
        // SAFETY: as in `wide`: `with_avx2` runs only after `uses_avx2` has asked the
        // processor, and `dispatch_follows_the_processor` checks that answer.
        return Some(unsafe { with_avx2(f) });
    }
    let _ = f;
    None
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Whether [`wide`] takes the AVX2 branch: allowed, and the processor has it.
#[inline(always)]
fn uses_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        ALLOWED.load(Ordering::Relaxed) && std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Allows or forbids AVX2 in [`wide`] for the whole process; returns the previous setting.
#[cfg(test)]
pub(crate) fn allow_wide(yes: bool) -> bool {
    ALLOWED.swap(yes, Ordering::Relaxed)
}

/// Serializes the tests that switch [`ALLOWED`] for the whole process, and those that need it
/// left alone while they run.
#[cfg(test)]
pub(crate) fn wide_switch() -> std::sync::MutexGuard<'static, ()> {
    static SWITCH: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SWITCH.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::tests::weighted_rows_for_test;

    #[test]
    fn dispatch_follows_the_processor() {
        let _g = wide_switch();
        #[cfg(target_arch = "x86_64")]
        assert_eq!(uses_avx2(), std::is_x86_feature_detected!("avx2"));
        let before = allow_wide(false);
        assert!(!uses_avx2(), "forbidden, the AVX2 branch must not be taken");
        allow_wide(before);
    }

    /// Every width of the tap-summing loop, on values whose sums round differently in every
    /// order (so a reordered or fused sum would show), gives the same bits on both paths.
    #[test]
    fn wide_and_baseline_loops_agree_bit_for_bit() {
        let _g = wide_switch();
        let n = 37; // not a multiple of any vector width: the loop's tail is covered too
        let rows: Vec<Vec<f64>> = (0..24)
            .map(|j| {
                (0..n)
                    .map(|k| ((j * 31 + k * 17) as f64 * 0.61).sin() * 10f64.powi((k % 7) as i32 - 3))
                    .collect()
            })
            .collect();
        let weights: Vec<f64> = (0..24).map(|j| (j as f64 * 1.37).cos() / 3.0).collect();
        for width in 1..=24 {
            let x: Vec<&[f64]> = rows[..width].iter().map(|r| &r[..]).collect();
            let before = allow_wide(false);
            let baseline = weighted_rows_for_test(&x, &weights[..width]);
            allow_wide(true);
            let wide = weighted_rows_for_test(&x, &weights[..width]);
            allow_wide(before);
            // The order fixed in `stencil::first_term`, spelled out: the expected bits.
            let expected: Vec<f64> = (0..n)
                .map(|k| (1..width).fold(x[0][k] * weights[0], |acc, j| acc + x[j][k] * weights[j]))
                .collect();
            let bits = |v: &[f64]| v.iter().map(|a| a.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&baseline), bits(&expected), "baseline, width {width}");
            assert_eq!(bits(&wide), bits(&expected), "wide, width {width}");
        }
    }
}
