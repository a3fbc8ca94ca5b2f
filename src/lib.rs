//! intoto-studio: author, sign, verify and diagnose in-toto supply-chain layouts.
//!
//! The in-toto core (`model`, `crypto`, `py`, `record`, `verify`, `lint`, `graph`) has no
//! terminal, command-line or server dependency; the TUI (`tui`, feature `tui`) and the
//! command line (`cli` and `tools`, feature `cli`) are views on top of it.

// Text from files is never cut by byte index (a cut inside a character panics): prefixes,
// `get`, `split_at_checked` instead. Tests slice their own ASCII fixtures.
#![cfg_attr(not(test), deny(clippy::string_slice))]

#[cfg(feature = "admission")]
pub mod admission;
#[cfg(feature = "cli")]
pub mod cli;
pub mod clock;
pub mod crypto;
pub mod error;
#[cfg(feature = "evidence")]
pub mod evidence;
pub mod fsutil;
pub mod graph;
pub mod lint;
pub mod memory;
pub mod model;
pub mod process;
pub mod py;
pub mod record;
#[cfg(feature = "server")]
pub mod serve;
#[cfg(feature = "cli")]
pub mod tools;
#[cfg(feature = "tui")]
pub mod tui;
pub mod verify;

pub use error::{Error, Exc, Result};
