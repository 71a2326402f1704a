//! Allocation of outputs: their memory order, and huge pages for large ones.
//!
//! A fresh output is zeroed memory that the operating system maps page by page on first
//! write. With 4 KiB pages a 128 MB output takes 32,768 page faults, which cost more than the
//! arithmetic. On Linux, memory given `madvise(MADV_HUGEPAGE)` before its first write is mapped
//! in 2 MiB pages instead (when transparent huge pages are in `madvise` or `always` mode);
//! NumPy does the same for every array of 4 MiB or more. Elsewhere this is a plain zeroed
//! allocation.
//!
//! Outputs take the memory order of their input, so that the kernels walk input and output in
//! the same order.
//!
//! The kernels write through [`Slot`]. The impls here hand the slice cores `MaybeUninit<T>`
//! slots for a fresh output and for the caller's array alike, so the cores are compiled once
//! for both.

use std::mem::MaybeUninit;

use ndarray::{Array, ArrayView, ArrayViewMut, Axis, Dimension, ShapeBuilder};

use crate::element::{InF32, IntoF32};
use crate::kernel::Slot;
use crate::layout::MemoryOrder;

// Where the kernels write: an element of the caller's array (`T`), or of a fresh array not
// initialised yet (`MaybeUninit<T>`). Both hand the slice cores `MaybeUninit<T>` slots, so the
// cores are compiled once for the two.
impl<T: Send + Sync> Slot<T> for T {
    type Core = MaybeUninit<T>;
    #[inline(always)]
    fn set(&mut self, value: T) {
        *self = value;
    }
    #[inline(always)]
    fn as_core(slots: &mut [T]) -> &mut [MaybeUninit<T>] {
        // SAFETY: `MaybeUninit<T>` has the size, alignment and validity of `T` (any `T` value
        // is a valid `MaybeUninit<T>`), so the cast is a reborrow of the same memory. What
        // could break `T`'s initialisation is writing an uninitialised `MaybeUninit<T>` through
        // the result; the only code that receives it is generic over `S: Slot<T>` (the slice
        // cores of `kernel::taps`), which can only write a slot through `Slot::set`, that is
        // `MaybeUninit::write` of an initialised `T`. The test
        // `kernel::tests::every_width_of_the_tap_loop_is_the_same_sum` writes every width of
        // the cores into an initialised `f64` slice through this cast and checks the bits of
        // every point.
        unsafe { &mut *(slots as *mut [T] as *mut [MaybeUninit<T>]) }
    }
}

impl<T: Send + Sync> Slot<T> for MaybeUninit<T> {
    type Core = MaybeUninit<T>;
    #[inline(always)]
    fn set(&mut self, value: T) {
        MaybeUninit::write(self, value);
    }
    #[inline(always)]
    fn as_core(slots: &mut [MaybeUninit<T>]) -> &mut [MaybeUninit<T>] {
        slots
    }
}

/// A zeroed array shaped like `f` (with `axis` resized if given), in `f`'s memory order. For
/// work buffers; results are made with [`new_array_like`].
pub(crate) fn alloc_like<A, B: Clone + Default, D: Dimension>(
    f: &ArrayView<'_, A, D>,
    len_of_axis: Option<(Axis, usize)>,
) -> Array<B, D> {
    let shape = shape_of(f, len_of_axis);
    let data = zeroed_vec(shape.size());
    in_memory_order_of(f, shape, data)
}

/// A result array shaped like `f` (with `axis` resized if given), in `f`'s memory order, whose
/// every element `fill` writes. The memory is not zeroed first: `fill` would overwrite it all.
pub(crate) fn new_array_like<A, B, D: Dimension>(
    f: &ArrayView<'_, A, D>,
    len_of_axis: Option<(Axis, usize)>,
    fill: impl FnOnce(ArrayViewMut<'_, MaybeUninit<B>, D>),
) -> Array<B, D> {
    let mut out = uninit_like(f, len_of_axis);
    fill(out.view_mut());
    // SAFETY: `fill` writes every element of `out`. It is always one of the kernels' entry
    // points (`kernel::derivatives`, `kernel::sum`, `kernel::norm`, `kernel::first_difference`,
    // `kernel::copy`, `kernel::compact`, or `diff::diff_into_view`, which calls them or has no
    // element to write), or `operator::compose_into` (a composition of derivatives), whose
    // steps, slabs and blocks of `kernel::derivatives` calls together cover its output; and
    // every walk they take writes every point of its outputs:
    // `kernel::tests::every_walk_writes_every_point` counts the writes of every walk (sums,
    // norms and compositions included) on every layout and block split, and fails unless every
    // walk of `kernel::route::Walk` was counted.
    unsafe { out.assume_init() }
}

/// `k` result arrays shaped like `f`, each in `f`'s memory order, whose every element `fill`
/// writes (the gradient along several axes in one pass).
pub(crate) fn new_arrays_like<A, B, D: Dimension>(
    f: &ArrayView<'_, A, D>,
    k: usize,
    fill: impl FnOnce(Vec<ArrayViewMut<'_, MaybeUninit<B>, D>>),
) -> Vec<Array<B, D>> {
    let mut outs: Vec<Array<MaybeUninit<B>, D>> = (0..k).map(|_| uninit_like(f, None)).collect();
    fill(outs.iter_mut().map(|o| o.view_mut()).collect());
    outs.into_iter()
        // SAFETY: `fill` is `gradient::gradient_to`, which fills every output through
        // `kernel::derivatives`; every element is written, as for `new_array_like` (the same
        // test, `kernel::tests::every_walk_writes_every_point`, counts the writes of every walk,
        // the row engine's several outputs in one pass included).
        .map(|o| unsafe { o.assume_init() })
        .collect()
}

/// An array shaped like `f` (with `axis` resized if given), in `f`'s memory order, not
/// initialized; large ones ask for huge pages.
fn uninit_like<A, B, D: Dimension>(
    f: &ArrayView<'_, A, D>,
    len_of_axis: Option<(Axis, usize)>,
) -> Array<MaybeUninit<B>, D> {
    let shape = shape_of(f, len_of_axis);
    let n = shape.size();
    let data = Box::<[B]>::new_uninit_slice(n).into_vec();
    if let Some(bytes) = n.checked_mul(std::mem::size_of::<B>())
        && bytes >= HUGE_PAGE_THRESHOLD
    {
        advise_huge_pages(data.as_ptr().cast(), bytes);
    }
    in_memory_order_of(f, shape, data)
}

/// `k` result arrays shaped like `f` stacked along a new leading axis, each component in
/// `f`'s memory order, whose every element `fill` writes (as [`new_array_like`]).
pub(crate) fn new_stacked_like<A, B, D: Dimension>(
    f: &ArrayView<'_, A, D>,
    k: usize,
    fill: impl FnOnce(ArrayViewMut<'_, MaybeUninit<B>, D::Larger>),
) -> Array<B, D::Larger> {
    let n = f.len();
    // The strides of one component, read off a zero-sized array laid out like a result.
    let one = in_memory_order_of(f, f.raw_dim(), vec![(); n]);
    let mut shape = f.raw_dim().insert_axis(Axis(0));
    shape[0] = k;
    let mut strides = shape.clone();
    strides[0] = n;
    for (i, &s) in one.strides().iter().enumerate() {
        strides[i + 1] = s as usize; // in_memory_order_of lays out with positive strides
    }
    let total = n.checked_mul(k).expect("the stacked result fits in memory");
    let data = Box::<[B]>::new_uninit_slice(total).into_vec();
    if let Some(bytes) = total.checked_mul(std::mem::size_of::<B>())
        && bytes >= HUGE_PAGE_THRESHOLD
    {
        advise_huge_pages(data.as_ptr().cast(), bytes);
    }
    let mut out = Array::from_shape_vec(shape.strides(strides), data).expect("strides within the vector");
    fill(out.view_mut());
    // SAFETY: `fill` is `gradient::gradient_to` on the `k` components (the views along axis
    // 0, which cover every element), through `kernel::derivatives`: every element is written,
    // as for `new_array_like` (`kernel::tests::every_walk_writes_every_point`).
    unsafe { out.assume_init() }
}

/// A view of the same elements read as `f32` (the `_f32` gradient methods): no conversion pass
/// and no temporary array; the kernels convert each element as they read it. Measured (u8
/// input, f32 result, axis 0, one thread): 4096² 9.8 ms against 27.3 ms for converting first
/// (`mapv(|v| v as f32)` then the gradient), 256³ 11.0 ms against 35.9 ms.
pub(crate) fn as_f32_view<'a, I: IntoF32, D: Dimension>(v: &ArrayView<'a, I, D>) -> ArrayView<'a, InF32<I>, D> {
    let raw = v.raw_view().cast::<InF32<I>>();
    // SAFETY: `InF32<I>` is `#[repr(transparent)]` over `I`, so it has the same size, alignment
    // and valid bit patterns, and `cast` keeps the shape and strides (it panics if the sizes
    // differ, which `tests::f32_view_reads_every_element_once` would show). The elements are
    // valid and immutably borrowed for `'a`, the lifetime of the view we were given, and the
    // new view is read-only, so no aliasing rule changes.
    unsafe { raw.deref_into_view() }
}

fn shape_of<A, D: Dimension>(f: &ArrayView<'_, A, D>, len_of_axis: Option<(Axis, usize)>) -> D {
    let mut shape = f.raw_dim();
    if let Some((axis, len)) = len_of_axis {
        shape[axis.index()] = len;
    }
    shape
}

/// `data` as an array of `shape` whose memory order follows `f`'s: axes are laid out in the
/// order of decreasing stride (C in, C out; F in, F out; permuted in, permuted out).
fn in_memory_order_of<A, T, D: Dimension>(f: &ArrayView<'_, A, D>, shape: D, data: Vec<T>) -> Array<T, D> {
    let ndim = f.ndim();
    if f.is_standard_layout() || ndim <= 1 {
        return Array::from_shape_vec(shape, data).expect("the vector has the shape's size");
    }
    if f.view().reversed_axes().is_standard_layout() {
        return Array::from_shape_vec(shape.f(), data).expect("the vector has the shape's size");
    }
    let order = MemoryOrder::of_view(f);
    let mut permuted = shape.clone();
    for (i, &k) in order.axes().iter().enumerate() {
        permuted[i] = shape[k];
    }
    Array::from_shape_vec(permuted, data)
        .expect("the vector has the shape's size")
        .permuted_axes(order.inverse())
}

/// Outputs at least this large (in bytes) ask for huge pages, as NumPy's threshold.
const HUGE_PAGE_THRESHOLD: usize = 4 << 20;

/// `n` default (all-zero) values in a vector whose memory is backed by huge pages when the
/// platform allows it.
fn zeroed_vec<T: Clone + Default>(n: usize) -> Vec<T> {
    // For primitive element types `vec!` allocates with `calloc`, whose large blocks are fresh
    // mappings not touched yet, so the advice below comes before the first write.
    let v = vec![T::default(); n];
    let bytes = n.saturating_mul(std::mem::size_of::<T>());
    if bytes >= HUGE_PAGE_THRESHOLD {
        advise_huge_pages(v.as_ptr().cast(), bytes);
    }
    v
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(start: *const u8, len: usize) {
    const HUGE_PAGE: usize = 2 << 20;
    let begin = (start as usize).div_ceil(HUGE_PAGE) * HUGE_PAGE;
    let end = (start as usize + len) / HUGE_PAGE * HUGE_PAGE;
    if end > begin {
        // SAFETY: [begin, end) lies inside the live allocation `start..start + len` owned by the
        // caller's vector, and `begin` is page aligned as madvise requires. MADV_HUGEPAGE only
        // changes how the kernel backs the pages; it never changes their contents, so no Rust
        // value is affected. A failure (e.g. huge pages disabled) leaves ordinary pages, and is
        // ignored on purpose.
        unsafe {
            libc::madvise(begin as *mut libc::c_void, end - begin, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_start: *const u8, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_vectors_are_zeroed_and_sized() {
        for n in [0, 1, 1000, (HUGE_PAGE_THRESHOLD / 8) + 12345] {
            let v: Vec<f64> = zeroed_vec(n);
            assert_eq!(v.len(), n);
            assert!(v.iter().all(|x| x.to_bits() == 0));
        }
        let c: Vec<num_complex::Complex32> = zeroed_vec(HUGE_PAGE_THRESHOLD);
        assert!(c.iter().all(|z| z.re == 0.0 && z.im == 0.0));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn advice_is_harmless_on_any_range() {
        let mut v: Vec<u8> = zeroed_vec(HUGE_PAGE_THRESHOLD * 2 + 17);
        v[HUGE_PAGE_THRESHOLD] = 7;
        // Advising again, on a touched range and on unaligned edges, leaves the contents as they are.
        advise_huge_pages(v.as_ptr().wrapping_add(3), v.len() - 3);
        advise_huge_pages(v.as_ptr(), 1);
        assert_eq!(v[HUGE_PAGE_THRESHOLD], 7);
        assert_eq!(v.iter().map(|&b| b as usize).sum::<usize>(), 7);
    }

    /// The `f32` view reads every element of every layout (reversed, stepped, permuted) at its
    /// own index, with the input's shape and strides: a wrong cast or a lost stride shows here.
    #[test]
    fn f32_view_reads_every_element_once() {
        let a = ndarray::Array3::from_shape_fn((3, 4, 5), |(i, j, k)| (i * 20 + j * 5 + k) as u16);
        let mut reversed = a.view();
        reversed.invert_axis(Axis(1));
        let stepped = a.slice(ndarray::s![.., ..;2, 1..;3]);
        let permuted = a.view().permuted_axes([2, 0, 1]);
        for v in [a.view(), reversed, stepped, permuted] {
            let f = as_f32_view(&v);
            assert_eq!(f.shape(), v.shape());
            assert_eq!(f.strides(), v.strides());
            for (x, y) in f.iter().zip(v.iter()) {
                assert_eq!(x.0, *y);
            }
        }
    }
}
