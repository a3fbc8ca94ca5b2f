//! One module per tab, each with the tab's own state, its commands (methods on
//! [`super::app::App`], called by the reducer) and its drawing (from `&App`).

pub mod chain;
pub mod keys;
pub mod layout;
pub mod lint;
pub mod state;
pub mod verify;
