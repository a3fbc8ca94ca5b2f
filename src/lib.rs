//! intoto-studio: author, sign, verify and diagnose in-toto supply-chain layouts.
//!
//! The in-toto core (`model`, `crypto`, `verify`, `record`) has no terminal-UI dependency;
//! the TUI (`tui`) and the command line (`cli`) are views on top of it.

pub mod cli;
pub mod clock;
pub mod crypto;
pub mod error;
pub mod fsutil;
pub mod graph;
pub mod lint;
pub mod memory;
pub mod model;
pub mod process;
pub mod py;
pub mod record;
pub mod tools;
pub mod tui;
pub mod verify;

pub use error::{Error, Result};
