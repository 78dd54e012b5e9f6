//! The allocator of the WebAssembly module: dlmalloc, as in the standard library, over a
//! system allocator that grows the memory geometrically.
//!
//! The standard one grows the memory by what each request needs, 64 KiB at a time. Every
//! growth replaces the memory's `ArrayBuffer` in the JavaScript engine, which with a large
//! heap costs a garbage collection: a workspace of a few hundred megabytes grew the memory
//! thousands of times. Growing by an eighth of the memory at least (1 MiB at least) makes
//! that a few dozen times, for at most an eighth of the memory left unused.

#![allow(unsafe_code)]

use core::arch::wasm32;
use core::cell::UnsafeCell;
use core::ptr;
use std::alloc::{GlobalAlloc, Layout};

use dlmalloc::{Allocator, Dlmalloc};

const PAGE: usize = 65536;

/// Grows the memory by at least an eighth of its size.
struct Geometric;

// SAFETY: `alloc` returns a fresh region obtained from `memory.grow`, never handed out
// before; nothing is ever given back (`free` and `free_part` refuse), as for the standard
// wasm system allocator.
unsafe impl Allocator for Geometric {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        let current = wasm32::memory_size(0).saturating_mul(PAGE);
        let wanted = size.max(current / 8).max(1 << 20);
        for bytes in [wanted, size] {
            let pages = bytes.div_ceil(PAGE);
            let previous = wasm32::memory_grow(0, pages);
            if previous != usize::MAX {
                return ((previous * PAGE) as *mut u8, pages * PAGE, 0);
            }
        }
        (ptr::null_mut(), 0, 0)
    }

    fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
        ptr::null_mut()
    }

    fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
        false
    }

    fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
        false
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        false
    }

    fn allocates_zeros(&self) -> bool {
        true
    }

    fn page_size(&self) -> usize {
        PAGE
    }
}

/// dlmalloc over [`Geometric`]. The module is single-threaded (built without the atomics
/// feature), so no lock is needed.
pub struct Heap(UnsafeCell<Dlmalloc<Geometric>>);

// SAFETY: wasm32-unknown-unknown without the `atomics` target feature has one thread.
unsafe impl Sync for Heap {}

// SAFETY: every call forwards to dlmalloc with the layout the caller gave; dlmalloc upholds
// the `GlobalAlloc` contract; there is one thread, and dlmalloc never allocates while
// serving a call, so the exclusive borrow of the cell is never aliased.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        (*self.0.get()).malloc(layout.size(), layout.align())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        (*self.0.get()).calloc(layout.size(), layout.align())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        (*self.0.get()).free(ptr, layout.size(), layout.align())
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        (*self.0.get()).realloc(ptr, layout.size(), layout.align(), new_size)
    }
}

#[global_allocator]
static HEAP: Heap = Heap(UnsafeCell::new(Dlmalloc::new_with_allocator(Geometric)));
