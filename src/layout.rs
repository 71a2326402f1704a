//! Memory order: which axis of a view is outermost and which innermost in memory.
//!
//! Outputs are allocated in their input's memory order ([`crate::alloc`]), and the kernels put
//! the axes of the views they walk in memory order first ([`crate::kernel`]), so that every walk
//! goes through memory front to back whatever the layout (C, F, permuted, reversed).

use ndarray::{ArrayView, ArrayViewMut, Axis, Dimension};

/// The axes of a view ordered by decreasing |stride|: the order in which a C-ordered walk visits
/// memory front to back. Ties, and axes of length 1 (whose stride means nothing, and which sort
/// last), keep their order. Held in the view's own dimension type, so that it lives on the
/// stack for static dimensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MemoryOrder<D>(D);

impl<D: Dimension> MemoryOrder<D> {
    /// The memory order of a view of this shape and these strides.
    pub(crate) fn of(shape: &[usize], strides: &[isize]) -> Self {
        let key = |k: usize| if shape[k] > 1 { strides[k].unsigned_abs() } else { 0 };
        let mut order = D::zeros(shape.len());
        for (i, k) in order.slice_mut().iter_mut().enumerate() {
            *k = i;
        }
        if !order.slice().windows(2).all(|w| key(w[0]) >= key(w[1])) {
            order.slice_mut().sort_by_key(|&k| std::cmp::Reverse(key(k)));
        }
        MemoryOrder(order)
    }

    /// The memory order of `v`.
    pub(crate) fn of_view<A>(v: &ArrayView<'_, A, D>) -> Self {
        Self::of(v.shape(), v.strides())
    }

    /// The memory order of `v`.
    pub(crate) fn of_view_mut<A>(v: &ArrayViewMut<'_, A, D>) -> Self {
        Self::of(v.shape(), v.strides())
    }

    /// The axes, outermost first.
    pub(crate) fn axes(&self) -> &[usize] {
        self.0.slice()
    }

    /// Whether the axes are already in memory order (C order, 1-D, …).
    pub(crate) fn is_identity(&self) -> bool {
        self.axes().iter().enumerate().all(|(i, &k)| i == k)
    }

    /// Where `axis` goes when the axes are put in this order: 0 is the outermost.
    pub(crate) fn position(&self, axis: Axis) -> usize {
        self.axes()
            .iter()
            .position(|&k| k == axis.index())
            .expect("the order is a permutation of the axes")
    }

    /// The permutation that puts the axes in this order (`permuted_axes(order.permutation())`).
    pub(crate) fn permutation(&self) -> D {
        self.0.clone()
    }

    /// The permutation that undoes [`permutation`](Self::permutation): axis `k` of an array laid
    /// out in memory order is axis `inverse[k]` of it.
    pub(crate) fn inverse(&self) -> D {
        let mut inverse = self.0.clone();
        for (i, &k) in self.axes().iter().enumerate() {
            inverse[k] = i;
        }
        inverse
    }
}

/// The axis of a view with the smallest |stride| among those longer than 1: the axis along which
/// its lanes are most contiguous.
pub(crate) fn innermost_axis(shape: &[usize], strides: &[isize]) -> Option<Axis> {
    (0..shape.len())
        .filter(|&k| shape[k] > 1)
        .min_by_key(|&k| strides[k].unsigned_abs())
        .map(Axis)
}

/// The axis of a view with the largest |stride| among those longer than 1, `except` one: cut
/// along it, a view falls into contiguous pieces when it is contiguous.
pub(crate) fn outermost_axis(shape: &[usize], strides: &[isize], except: Option<Axis>) -> Option<Axis> {
    (0..shape.len())
        .filter(|&k| shape[k] > 1 && Some(Axis(k)) != except)
        .max_by_key(|&k| strides[k].unsigned_abs())
        .map(Axis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array3, ShapeBuilder};

    #[test]
    fn memory_order_of_common_layouts() {
        let c = Array3::<f64>::zeros((2, 3, 4));
        assert_eq!(MemoryOrder::of_view(&c.view()).axes(), &[0, 1, 2]);
        assert_eq!(MemoryOrder::<ndarray::IxDyn>::of(&[2, 3], &[1, 2]).axes(), &[1, 0]);
        assert!(MemoryOrder::of_view(&c.view()).is_identity());
        let f = Array3::<f64>::zeros((2, 3, 4).f());
        let order = MemoryOrder::of_view(&f.view());
        assert_eq!(order.axes(), &[2, 1, 0]);
        assert_eq!(order.position(Axis(2)), 0);
        // Length-1 axes sort last; ties keep their order.
        let t = Array3::<f64>::zeros((4, 1, 5));
        assert_eq!(MemoryOrder::of_view(&t.view()).axes(), &[0, 2, 1]);
        // The permutation and its inverse undo each other.
        let p = f.view().permuted_axes(order.permutation());
        assert!(p.is_standard_layout());
        assert_eq!(p.permuted_axes(order.inverse()).shape(), &[2, 3, 4]);
        assert_eq!(innermost_axis(f.shape(), f.strides()), Some(Axis(0)));
        assert_eq!(outermost_axis(f.shape(), f.strides(), None), Some(Axis(2)));
        assert_eq!(outermost_axis(f.shape(), f.strides(), Some(Axis(2))), Some(Axis(1)));
    }
}
