//! A global allocator that counts the bytes in use and their peak.
//!
//! The counters are per thread and plain cells, not atomics: with atomic counters every
//! allocation paid a locked read-modify-write, which doubled the time of allocation-heavy
//! work (loading the CRM workspace: 5.1 s counted, 2.2 s uncounted). The workloads run on
//! the main thread; allocations of other threads are not counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static IN_USE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grow(bytes: usize) {
    let now = IN_USE.with(|c| {
        let now = c.get().saturating_add(bytes);
        c.set(now);
        now
    });
    PEAK.with(|p| {
        if now > p.get() {
            p.set(now);
        }
    });
}

fn shrink(bytes: usize) {
    IN_USE.with(|c| c.set(c.get().saturating_sub(bytes)));
}

/// The system allocator, counted.
pub struct Counting;

// SAFETY: every call is forwarded unchanged to the system allocator; the counters are
// only bookkeeping in const-initialized thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        shrink(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size >= layout.size() {
                grow(new_size - layout.size());
            } else {
                shrink(layout.size() - new_size);
            }
        }
        p
    }
}

/// Sets the peak to the bytes in use now, and returns them.
pub fn reset_peak() -> usize {
    let now = IN_USE.with(Cell::get);
    PEAK.with(|p| p.set(now));
    now
}

/// The peak since the last reset.
pub fn peak() -> usize {
    PEAK.with(Cell::get)
}
