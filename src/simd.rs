//! Wider vector instructions where the processor has them, chosen at run time.
//!
//! The crate is compiled for the baseline of its target (SSE2 on x86-64), where the loop that
//! sums a stencil's taps ([`crate::kernel`]'s `terms_fixed`) works on two `f64` at a time. On a
//! processor with AVX2, [`wide`] runs the same loop compiled for four; with AVX-512, for eight.
//! Measured on this crate's benchmark machine (256³ `f64`, one thread, medians): AVX2 against
//! the baseline, accuracy 8 along the last axis 56.5 → 42.9 ms, accuracy 4 along the middle
//! axis 52.6 → 46.6 ms, the Laplacian 55.7 → 53.0 ms; AVX-512 against AVX2 (five interleaved
//! runs), accuracy 8 along axis 0 52–54 → 44–49 ms (one run of the five: no change) and
//! along the last axis 45–46 → 41–46 ms; accuracy 4 and the Laplacian within the noise
//! (35–37 against 33–38 ms, 52–56 against 51–56 ms): the wide stencils gain, the narrow ones
//! are bound by memory already.
//!
//! The bits do not change. Wider registers give no other arithmetic: every product and every
//! sum is still rounded on its own, in the same order. Fused multiply-add is never used: Rust
//! does not contract `a * b + c` into one (LLVM's `fp-contract` stays off), so although
//! AVX-512 comes with the `fma` feature, no fused instruction is emitted (checked on the
//! benchmark binary: no `vfmadd`/`vfmsub`/`vfnmadd` at all).
//! `tests::every_level_gives_the_same_bits` checks each level against the sum spelled out, on
//! values where a fused or reordered sum would round differently, and the NumPy and findiff
//! parity tests run on whichever level the machine takes.

use std::sync::atomic::{AtomicU8, Ordering};

/// The widest level [`wide`] may use (tests compare the levels): 0 the baseline, 1 up to
/// AVX2, 2 up to AVX-512.
static ALLOWED: AtomicU8 = AtomicU8::new(AVX512);

#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
const BASELINE: u8 = 0;
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
const AVX2: u8 = 1;
const AVX512: u8 = 2;

/// Runs `f`, compiled for the widest vectors the processor has (AVX-512, AVX2, or the
/// baseline). `f` must be an `#[inline(always)]` closure calling an `#[inline(always)]`
/// function that holds the loop, so that the loop is compiled inside the wider function
/// rather than called from it.
#[inline(always)]
pub(crate) fn wide<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    match level() {
        // SAFETY: `with_avx512` is compiled with AVX-512F (and what it implies: AVX2, FMA),
        // so it may only run on a processor that has AVX-512F; `level` has just asked the
        // processor (cpuid, through `is_x86_feature_detected!`, which also checks that the
        // operating system saves the wider registers). Nothing else about `f` is assumed.
        // `tests::dispatch_follows_the_processor` checks that this branch is taken exactly
        // when the processor says so, and never when forbidden.
        AVX512 => return unsafe { with_avx512(f) },
        // SAFETY: as above, for AVX2.
        AVX2 => return unsafe { with_avx2(f) },
        _ => {}
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn with_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// The level [`wide`] takes: the widest the processor has, at most [`ALLOWED`].
#[inline(always)]
fn level() -> u8 {
    #[cfg(target_arch = "x86_64")]
    {
        let allowed = ALLOWED.load(Ordering::Relaxed);
        if allowed >= AVX512 && std::is_x86_feature_detected!("avx512f") {
            AVX512
        } else if allowed >= AVX2 && std::is_x86_feature_detected!("avx2") {
            AVX2
        } else {
            BASELINE
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = ALLOWED.load(Ordering::Relaxed);
        0
    }
}

/// Limits [`wide`] to `level` and below for the whole process; returns the previous limit.
#[cfg(test)]
pub(crate) fn allow_up_to(level: u8) -> u8 {
    ALLOWED.swap(level, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::tests_support::weighted_rows_for_test;

    /// Serializes the tests that switch [`ALLOWED`] for the whole process.
    static SWITCH: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn dispatch_follows_the_processor() {
        let _g = SWITCH.lock().unwrap_or_else(|e| e.into_inner());
        let before = allow_up_to(AVX512);
        #[cfg(target_arch = "x86_64")]
        {
            let expected = if std::is_x86_feature_detected!("avx512f") {
                AVX512
            } else if std::is_x86_feature_detected!("avx2") {
                AVX2
            } else {
                BASELINE
            };
            assert_eq!(level(), expected);
            allow_up_to(AVX2);
            assert!(level() <= AVX2, "AVX-512 forbidden, its branch must not be taken");
            assert_eq!(level() == AVX2, std::is_x86_feature_detected!("avx2"));
        }
        allow_up_to(BASELINE);
        assert_eq!(level(), BASELINE, "forbidden, no wider branch may be taken");
        allow_up_to(before);
    }

    /// Every width of the tap-summing loop, on values whose sums round differently in every
    /// order (so a reordered or fused sum would show), gives the same bits at every level.
    #[test]
    fn every_level_gives_the_same_bits() {
        let _g = SWITCH.lock().unwrap_or_else(|e| e.into_inner());
        let n = 37; // not a multiple of any vector width: the loop's tail is covered too
        let rows: Vec<Vec<f64>> = (0..24)
            .map(|j| {
                (0..n)
                    .map(|k| ((j * 31 + k * 17) as f64 * 0.61).sin() * 10f64.powi((k % 7) as i32 - 3))
                    .collect()
            })
            .collect();
        let weights: Vec<f64> = (0..24).map(|j| (j as f64 * 1.37).cos() / 3.0).collect();
        let before = allow_up_to(AVX512);
        for width in 1..=24 {
            let x: Vec<&[f64]> = rows[..width].iter().map(|r| &r[..]).collect();
            // The order fixed in `stencil::first_term`, spelled out: the expected bits.
            let expected: Vec<f64> = (0..n)
                .map(|k| (1..width).fold(x[0][k] * weights[0], |acc, j| acc + x[j][k] * weights[j]))
                .collect();
            let bits = |v: &[f64]| v.iter().map(|a| a.to_bits()).collect::<Vec<_>>();
            for limit in [BASELINE, AVX2, AVX512] {
                allow_up_to(limit);
                let got = weighted_rows_for_test(&x, &weights[..width]);
                assert_eq!(bits(&got), bits(&expected), "level {}, width {width}", level());
            }
        }
        allow_up_to(before);
    }
}
