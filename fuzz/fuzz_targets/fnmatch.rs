#![no_main]
//! Fuzz target `fnmatch`: see `fuzz/harness.rs` for what it checks.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    intoto_studio_fuzz::harness::run("fnmatch", intoto_studio_fuzz::cases_dir(), data);
});
