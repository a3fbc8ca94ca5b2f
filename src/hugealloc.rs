//! The binary's global allocator: the system allocator for ordinary blocks, and for big
//! ones (1 MiB or more) anonymous memory mappings of whole 2 MiB huge pages, aligned to
//! 2 MiB, with the kernel asked for transparent huge pages (`madvise(MADV_HUGEPAGE)`).
//!
//! Verifying a big chain touches a hundred MiB or more of fresh memory (the parsed
//! artifact lists, read buffers, DSSE payloads). With 4 KiB pages every page costs a page
//! fault, which measured a fifth of `verify`'s CPU time on the 10 x 50,000 chain; with
//! 2 MiB pages, where the system allows them (`/sys/kernel/mm/transparent_hugepage/enabled`
//! set to `madvise` or `always`), there is one fault per 2 MiB. Growing or shrinking a big
//! block moves its pages with `mremap` instead of copying them, and a few freed mappings
//! (up to 256 MiB) are kept for the next big blocks, whose pages then need no fault and
//! no zeroing by the kernel (DSSE payloads come and go once per link); a block smaller
//! than the mapping it reuses leaves the rest cached for the next ones. Where huge pages
//! are not available the advice is ignored and the mappings behave as ordinary memory.
//!
//! Huge pages are not always cheaper. In a virtual machine whose host takes back the
//! memory the guest leaves free (free page reporting, which works on free blocks of 2 MiB
//! and up), a huge page often comes from such reclaimed memory, and faulting it in cost
//! about 5 ms here: 0.4 GB/s, against 10 GB/s for recently freed memory and 2.2 GB/s with
//! small pages either way. So each new mapping's first huge page is faulted in at once and
//! timed; after two such faults in a row slower than small pages would have been, the
//! rest of that mapping and all later ones use small pages.
//!
//! Only the binary installs it (`src/main.rs`); the library leaves the choice of allocator
//! to its users.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A huge page (x86-64, and arm64 with 4 KiB base pages).
const HUGE: usize = 2 << 20;
/// Blocks from this size on are mappings of their own.
const BIG: usize = 1 << 20;

pub struct HugePageAlloc;

/// Freed big mappings kept for the next big blocks (address, length): their pages are
/// already there, so reusing them costs no page faults and no zeroing by the kernel.
static CACHE: Mutex<[(usize, usize); 8]> = Mutex::new([(0, 0); 8]);
/// At most this much memory is kept in [`CACHE`].
const CACHE_MAX: usize = 256 << 20;

/// A cached mapping of at least `len` bytes aligned to `align`, cut to `len`.
fn take_cached(len: usize, align: usize) -> Option<*mut u8> {
    let (addr, have) = {
        let mut cache = CACHE.lock().ok()?;
        let slot = cache
            .iter_mut()
            .filter(|(a, l)| *a != 0 && *l >= len && a.is_multiple_of(align))
            .min_by_key(|(_, l)| *l)?;
        std::mem::take(slot)
    };
    // The unused tail (whole huge pages, as both lengths are) stays cached for the next
    // blocks: a freed DSSE payload then also serves the smaller artifact lists.
    if have > len && !put_cached(addr + len, have - len) {
        // SAFETY: the tail of a mapping this allocator owns and nobody uses.
        unsafe { libc::munmap((addr + len) as *mut libc::c_void, have - len) };
    }
    Some(addr as *mut u8)
}

/// Keep a freed mapping for reuse; `false` when the cache is full.
fn put_cached(addr: usize, len: usize) -> bool {
    let Ok(mut cache) = CACHE.lock() else {
        return false;
    };
    let held: usize = cache.iter().map(|(_, l)| l).sum();
    if held + len > CACHE_MAX {
        return false;
    }
    match cache.iter_mut().find(|(a, _)| *a == 0) {
        Some(slot) => {
            *slot = (addr, len);
            true
        }
        None => false,
    }
}

/// Whether a block of this layout is (or would be) a mapping of its own.
fn is_big(layout: Layout) -> bool {
    layout.size() >= BIG && layout.align() <= HUGE
}

/// The length of a big block's mapping: whole huge pages (`None` on overflow).
fn map_len(size: usize) -> Option<usize> {
    size.checked_next_multiple_of(HUGE)
}

/// Set once huge pages proved slow to fault in: new mappings then use small pages.
static SMALL_PAGES: AtomicBool = AtomicBool::new(false);
/// Probes in a row that found a huge page slow to fault in.
static SLOW_PROBES: AtomicUsize = AtomicUsize::new(0);
/// A huge page fault taking longer than this is slower than small pages for the same
/// 2 MiB (about 1 ms at 2.2 GB/s); a fault of recently freed memory takes about 0.2 ms.
const SLOW_FAULT: Duration = Duration::from_millis(1);

/// From now on, small pages: for new mappings, and for the one at `start` (`len` bytes)
/// from its next page fault on.
///
/// # Safety
/// `start` is a mapping of `len` bytes made by [`map`].
unsafe fn use_small_pages(start: usize, len: usize) {
    SMALL_PAGES.store(true, Ordering::Relaxed);
    // SAFETY: as this function's.
    unsafe { advise_small_pages(start, len) };
}

/// Small pages for the mapping at `start` from its next page fault on (a huge page
/// already there stays). Always the whole mapping: advice on a part would split it in
/// two, which `mremap` cannot then grow as one.
///
/// # Safety
/// `start` is a whole mapping of `len` bytes this allocator owns.
unsafe fn advise_small_pages(start: usize, len: usize) {
    // SAFETY: advice on a mapping the caller owns.
    unsafe { libc::madvise(start as *mut libc::c_void, len, libc::MADV_NOHUGEPAGE) };
}

/// A new zero-filled mapping of `len` bytes aligned to [`HUGE`], advised for huge pages
/// unless they proved slow (see the module notes).
fn map(len: usize) -> *mut u8 {
    let Some(reserve) = len.checked_add(HUGE) else {
        return std::ptr::null_mut();
    };
    // SAFETY: a fresh private anonymous mapping; only its own parts are unmapped or advised
    // below, and the probe writes one byte inside it.
    unsafe {
        let raw = libc::mmap(
            std::ptr::null_mut(),
            reserve,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if raw == libc::MAP_FAILED {
            return std::ptr::null_mut();
        }
        let base = raw as usize;
        let start = base.next_multiple_of(HUGE);
        if start > base {
            libc::munmap(raw, start - base);
        }
        let tail = base + reserve - (start + len);
        if tail > 0 {
            libc::munmap((start + len) as *mut libc::c_void, tail);
        }
        if SMALL_PAGES.load(Ordering::Relaxed) {
            advise_small_pages(start, len);
        } else {
            libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
            // Fault the first page in now (with a zero, as it reads already) and time it.
            let t = Instant::now();
            std::ptr::write_volatile(start as *mut u8, 0);
            if t.elapsed() <= SLOW_FAULT {
                SLOW_PROBES.store(0, Ordering::Relaxed);
            } else if SLOW_PROBES.fetch_add(1, Ordering::Relaxed) >= 1 {
                use_small_pages(start, len);
            }
        }
        start as *mut u8
    }
}

// SAFETY: small blocks are `System`'s, with the caller's layout. A big block is a mapping
// of `map_len(layout.size())` bytes made by `map` (or moved by `mremap`), freed with the
// same length: `is_big` and `map_len` depend on the layout alone, which the caller repeats
// for `dealloc` and `realloc`. Mappings are page-aligned and 2 MiB-aligned when made,
// which satisfies every alignment `is_big` accepts; `mremap` keeps page alignment only,
// so only layouts aligned to at most a page are moved that way.
unsafe impl GlobalAlloc for HugePageAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_big(layout) {
            let Some(len) = map_len(layout.size()) else {
                return std::ptr::null_mut();
            };
            return take_cached(len, layout.align()).unwrap_or_else(|| map(len));
        }
        // SAFETY: forwarded as given.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_big(layout) {
            let Some(len) = map_len(layout.size()) else {
                return std::ptr::null_mut();
            };
            if let Some(p) = take_cached(len, layout.align()) {
                // SAFETY: `p` is a mapping of at least `layout.size()` bytes.
                unsafe { std::ptr::write_bytes(p, 0, layout.size()) };
                return p;
            }
            // Fresh anonymous mappings are zero-filled.
            return map(len);
        }
        // SAFETY: forwarded as given.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_big(layout) {
            if let Some(len) = map_len(layout.size())
                && !put_cached(ptr as usize, len)
            {
                // SAFETY: `ptr` is a mapping of `len` bytes made by `alloc`.
                unsafe { libc::munmap(ptr.cast(), len) };
            }
            return;
        }
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees a valid `new_size` for `layout.align()`.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (is_big(layout), is_big(new_layout)) {
            // SAFETY: forwarded as given.
            (false, false) => unsafe { System.realloc(ptr, layout, new_size) },
            (true, true) if layout.align() <= 4096 => {
                let (Some(old_len), Some(new_len)) = (map_len(layout.size()), map_len(new_size))
                else {
                    return std::ptr::null_mut();
                };
                if old_len == new_len {
                    return ptr;
                }
                // SAFETY: `ptr` is a mapping of `old_len` bytes; `mremap` moves or
                // resizes it with its contents and its huge page advice.
                let p = unsafe { libc::mremap(ptr.cast(), old_len, new_len, libc::MREMAP_MAYMOVE) };
                if p == libc::MAP_FAILED {
                    // (Not expected: every block is one mapping with one advice.) A new
                    // block and a copy instead.
                    // SAFETY: the caller's guarantees, forwarded.
                    return unsafe { self.realloc_by_copy(ptr, layout, new_layout) };
                }
                if new_len > old_len && SMALL_PAGES.load(Ordering::Relaxed) {
                    // The grown part keeps the mapping's huge page advice: not any more.
                    // SAFETY: the mapping just made, whole.
                    unsafe { advise_small_pages(p as usize, new_len) };
                }
                p.cast()
            }
            // SAFETY: forwarded as given.
            _ => unsafe { self.realloc_by_copy(ptr, layout, new_layout) },
        }
    }
}

impl HugePageAlloc {
    /// Reallocation as a new block, the bytes both blocks hold, and the old block freed.
    ///
    /// # Safety
    /// As [`GlobalAlloc::realloc`], with `new_layout` the new size and the old alignment.
    unsafe fn realloc_by_copy(&self, ptr: *mut u8, layout: Layout, new_layout: Layout) -> *mut u8 {
        // SAFETY: a new block, then the bytes both blocks hold, then the old block freed
        // with its own layout.
        unsafe {
            let p = self.alloc(new_layout);
            if !p.is_null() {
                std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_layout.size()));
                self.dealloc(ptr, layout);
            }
            p
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_their_bytes_across_reallocations() {
        let a = HugePageAlloc;
        let sizes = [
            100,
            BIG - 1,
            BIG,
            HUGE + 5,
            3 * HUGE,
            9 * HUGE + 1,
            HUGE + 7,
            BIG + 3,
            64,
            10,
        ];
        // SAFETY: each block is used within its size and freed with its layout.
        unsafe {
            let mut layout = Layout::from_size_align(sizes[0], 8).unwrap();
            let mut p = a.alloc(layout);
            assert!(!p.is_null());
            std::ptr::write_bytes(p, 0xab, sizes[0]);
            let mut filled = sizes[0];
            for &n in &sizes[1..] {
                p = a.realloc(p, layout, n);
                assert!(!p.is_null());
                let kept = filled.min(n);
                assert!((0..kept).all(|i| *p.add(i) == 0xab), "bytes kept at {n}");
                layout = Layout::from_size_align(n, 8).unwrap();
                std::ptr::write_bytes(p, 0xab, n);
                filled = n;
            }
            a.dealloc(p, layout);
            let z = Layout::from_size_align(3 * HUGE, 64).unwrap();
            let q = a.alloc_zeroed(z);
            assert!((0..z.size()).step_by(4096).all(|i| *q.add(i) == 0));
            a.dealloc(q, z);
        }
    }

    #[test]
    fn reused_blocks_are_zeroed_and_aligned_when_asked() {
        let a = HugePageAlloc;
        // SAFETY: each block is used within its size and freed with its layout.
        unsafe {
            for round in 0..4 {
                let dirty = Layout::from_size_align(5 * HUGE + 3, 8).unwrap();
                let p = a.alloc(dirty);
                assert!(!p.is_null());
                std::ptr::write_bytes(p, 0xcd, dirty.size());
                a.dealloc(p, dirty);
                let z = Layout::from_size_align(3 * HUGE + round, 4096).unwrap();
                let q = a.alloc_zeroed(z);
                assert!(!q.is_null());
                assert_eq!(q as usize % 4096, 0);
                assert!(
                    std::slice::from_raw_parts(q, z.size())
                        .iter()
                        .all(|&b| b == 0),
                    "round {round}"
                );
                let h = Layout::from_size_align(BIG, HUGE).unwrap();
                let r = a.alloc(h);
                assert_eq!(r as usize % HUGE, 0);
                a.dealloc(r, h);
                a.dealloc(q, z);
            }
        }
    }

    #[test]
    fn fresh_mappings_are_zeroed_aligned_and_whole_with_either_page_size() {
        for small in [false, true] {
            // Both settings are correct for every other test running meanwhile.
            SMALL_PAGES.store(small, Ordering::Relaxed);
            for len in [HUGE, 3 * HUGE] {
                let p = map(len);
                assert!(!p.is_null());
                assert_eq!(p as usize % HUGE, 0);
                // SAFETY: `p` is a fresh mapping of `len` bytes, unmapped once checked.
                unsafe {
                    assert!(std::slice::from_raw_parts(p, len).iter().all(|&b| b == 0));
                    std::ptr::write_bytes(p, 0x5a, len);
                    assert_eq!(*p.add(len - 1), 0x5a);
                    libc::munmap(p.cast(), len);
                }
            }
        }
        SMALL_PAGES.store(false, Ordering::Relaxed);
    }

    #[test]
    fn blocks_grow_after_the_switch_to_small_pages_and_when_split() {
        let a = HugePageAlloc;
        let fill = |p: *mut u8, n: usize| {
            // SAFETY: `p` is a block of at least `n` bytes.
            unsafe {
                (0..n)
                    .step_by(4096)
                    .for_each(|i| *p.add(i) = (i / 4096) as u8)
            }
        };
        let kept = |p: *mut u8, n: usize| {
            // SAFETY: `p` is a block of at least `n` bytes.
            unsafe { (0..n).step_by(4096).all(|i| *p.add(i) == (i / 4096) as u8) }
        };
        // SAFETY: each block is used within its size and freed with its layout.
        unsafe {
            // A mapping switched to small pages, then grown: one piece, so `mremap` works.
            let small = Layout::from_size_align(6 * HUGE, 8).unwrap();
            let p = a.alloc(small);
            assert!(!p.is_null());
            fill(p, small.size());
            use_small_pages(p as usize, small.size());
            let q = a.realloc(p, small, 32 * HUGE);
            assert!(!q.is_null());
            assert!(kept(q, small.size()));
            let grown = Layout::from_size_align(32 * HUGE, 8).unwrap();
            fill(q, grown.size());
            // A mapping whose parts carry different advice cannot be moved as one: the
            // block is copied instead.
            libc::madvise(q.add(HUGE).cast(), 4 * HUGE, libc::MADV_HUGEPAGE);
            let r = a.realloc(q, grown, 40 * HUGE);
            assert!(!r.is_null());
            assert!(kept(r, grown.size()));
            a.dealloc(r, Layout::from_size_align(40 * HUGE, 8).unwrap());
        }
        SMALL_PAGES.store(false, Ordering::Relaxed);
    }
}
