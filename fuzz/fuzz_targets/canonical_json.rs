#![no_main]
//! Fuzz target `canonical_json`: see `fuzz/harness.rs` for what it checks.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    intoto_studio_fuzz::harness::run("canonical_json", intoto_studio_fuzz::cases_dir(), data);
});
