//! Loading within the memory the process may use. Under `ulimit -v` (`RLIMIT_AS`) an
//! allocation that does not fit makes a Rust program abort; the reference answers
//! `MemoryError` and exits 1. A file big enough to matter is therefore only read after
//! checking that the address space it needs is left, counting the loads in flight on
//! other threads; otherwise loading fails with `MemoryError`, which fails verification
//! like any other unreadable file (the read buffer itself is reserved fallibly by
//! `fsutil::read_open_into`, whose out-of-memory error is a `MemoryError` too). Both numbers come from `/proc/self` (no system call
//! wrappers needed).

use crate::Exc;
use crate::error::Error;
use std::sync::atomic::{AtomicU64, Ordering};

/// Files smaller than this are read without a check (their parse cannot matter).
const CHECK_FROM: u64 = 16 << 20;

/// Address space a load takes per byte of file: the bytes themselves while parsing plus
/// the parsed artifacts, measured at about 1.75 (peak resident) for big links; with
/// margin, since the allocator maps more than it touches.
const NEED_PER_BYTE: f64 = 2.5;

/// Address space claimed by loads in flight.
static CLAIMED: AtomicU64 = AtomicU64::new(0);

/// Address space claimed for one load; given back on drop (by then the parsed data shows
/// in the process's own size).
#[must_use]
pub struct Claim(u64);

impl Drop for Claim {
    fn drop(&mut self) {
        CLAIMED.fetch_sub(self.0, Ordering::AcqRel);
    }
}

/// `RLIMIT_AS` (soft) from `/proc/self/limits`, or `None` when unlimited or unknown.
fn address_space_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    limits
        .lines()
        .find_map(|l| l.strip_prefix("Max address space"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The process's current virtual size (`VmSize`) in bytes.
fn address_space_used() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmSize:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Claim what loading a `size`-byte file needs, or the `MemoryError` to fail with.
pub fn claim_for_file(size: u64, what: &str) -> Result<Claim, Error> {
    if size < CHECK_FROM {
        return Ok(Claim(0));
    }
    let need = (size as f64 * NEED_PER_BYTE) as u64;
    let Some(limit) = address_space_limit() else {
        return Ok(Claim(0));
    };
    let used = address_space_used().unwrap_or(0);
    let claimed = CLAIMED.fetch_add(need, Ordering::AcqRel);
    let left = limit.saturating_sub(used).saturating_sub(claimed);
    if need > left {
        CLAIMED.fetch_sub(need, Ordering::AcqRel);
        return Err(memory_error(size, need, left, what));
    }
    Ok(Claim(need))
}

fn memory_error(size: u64, need: u64, left: u64, what: &str) -> Error {
    const MIB: u64 = 1 << 20;
    Error::new(
        Exc::MemoryError,
        format!(
            "{what}: loading this {} MiB file needs about {} MiB and only {} MiB of address \
             space are left (ulimit -v)",
            size.div_ceil(MIB),
            need.div_ceil(MIB),
            left / MIB
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_files_are_not_checked_and_claims_are_given_back() {
        let c = claim_for_file(1000, "x").unwrap();
        assert_eq!(c.0, 0);
        drop(c);
        // Whatever the limit here, a claim never stays counted after its drop.
        let before = CLAIMED.load(Ordering::Acquire);
        if let Ok(c) = claim_for_file(CHECK_FROM, "x") {
            drop(c);
        }
        assert_eq!(CLAIMED.load(Ordering::Acquire), before);
    }

    #[test]
    fn the_error_names_the_sizes() {
        let e = memory_error(234 << 20, 585 << 20, 300 << 20, "links/a.link");
        assert_eq!(e.class, "MemoryError");
        assert!(
            e.message.contains("234 MiB file needs about 585 MiB"),
            "{}",
            e.message
        );
        assert!(e.message.contains("300 MiB"), "{}", e.message);
    }

    #[test]
    fn proc_numbers_are_read() {
        assert!(address_space_used().is_some_and(|u| u > 0));
    }
}
