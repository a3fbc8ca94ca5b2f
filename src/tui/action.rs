//! Actions: everything that changes the app's state. Terminal events become actions (via
//! the key table or an overlay), effects and background work report through actions, and
//! [`super::app::App::update`] is the only place state changes.

use super::keys::Cmd;
use crate::crypto::{PrivateKey, PublicKey};
use crate::model::edit::ItemRef;
use crate::model::layout::Layout;
use crate::model::rule::ArtifactKind;
use crate::verify::Report;
use std::path::PathBuf;

/// What a single-line input is for.
#[derive(Debug, Clone, PartialEq)]
pub enum InputPurpose {
    AddStep {
        after: Option<usize>,
    },
    AddInspection,
    Rename(ItemRef),
    Threshold(usize),
    ExpectedCommand(usize),
    /// Add (`index: None`, inserted at `insert_at`) or replace a rule.
    Rule {
        item: ItemRef,
        kind: ArtifactKind,
        index: Option<usize>,
        insert_at: usize,
    },
    ImportKey,
    GenerateKey,
    Expiry,
    SaveAs {
        then_quit: bool,
    },
    SignKey,
    SignPassword {
        path: String,
    },
    ExportReport,
    Search,
    /// The owner keys to verify with (shell words), then the link directory.
    ChainKeys,
    ChainLinkDir {
        keys: Vec<PathBuf>,
    },
    WhatIfHash {
        file: String,
        kind: ArtifactKind,
        path: String,
    },
    /// What-if: the time to verify at.
    WhatIfClock,
}

/// What a multi-line editor is for.
#[derive(Debug, Clone, PartialEq)]
pub enum EditorPurpose {
    Readme,
    Run(usize),
}

/// What a confirmation is for.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfirmPurpose {
    QuitUnsaved,
    DeleteItem(ItemRef),
    RemoveKey(String),
    Sign,
    /// No key at the path given to sign with: generate an owner key there.
    GenerateOwnerKey(String),
    Recover,
    RunInspections,
    WhatIfLink {
        file: String,
    },
}

/// What a picker (list selection) is for.
#[derive(Debug, Clone, PartialEq)]
pub enum PickerPurpose {
    Functionaries(usize),
    RuleTemplate {
        item: ItemRef,
        kind: ArtifactKind,
        insert_at: usize,
    },
    WhatIf,
}

/// Why a private key could not be used for signing.
#[derive(Debug, Clone, PartialEq)]
pub enum SignKeyError {
    /// It is encrypted and no password was given: ask for one.
    NeedsPassword,
    /// No file at the path: offer to generate an owner key there.
    Missing,
    Unreadable(String),
}

/// A state change.
#[derive(Debug)]
pub enum Action {
    /// A key-table command.
    Cmd(Cmd),
    /// An input was submitted.
    Submit(InputPurpose, String),
    /// A multi-line editor was submitted.
    SubmitLines(EditorPurpose, Vec<String>),
    /// A confirmation was answered with the key of the chosen option.
    Confirm(ConfirmPurpose, char),
    /// A picker was closed with the chosen rows (checked rows, or the one selected row).
    Picked(PickerPurpose, Vec<usize>),
    /// Close the top overlay.
    CloseOverlay,
    /// A mouse click at a screen cell.
    Click { col: u16, row: u16 },
    /// Mouse wheel over the cell (`col`, `row`): positive scrolls down.
    Scroll { col: u16, row: u16, delta: i16 },
    /// A background verification finished: its report, its generation and the `.link`
    /// files found in the link directory (read by the job, not by the reducer).
    VerifyDone(Box<Report>, u64, Vec<PathBuf>),
    /// Progress of a background verification.
    VerifyProgress(String),
    /// A background verification could not start (its generation, why: e.g. a key file
    /// that does not read).
    VerifyFailed(u64, String),
    /// The layout file was written (or not); `layout` is what it holds.
    Saved {
        path: PathBuf,
        layout: Box<Layout>,
        result: Result<(), String>,
        then_quit: bool,
    },
    /// A key pair was generated and written: the private key's path and the public key.
    /// A key pair was written: a functionary's (added to the layout) or the owner's (to sign
    /// the layout with).
    KeyGenerated {
        path: PathBuf,
        for_signing: bool,
        result: Result<Box<PrivateKey>, String>,
    },
    /// The private key to sign with was read.
    SignKeyRead {
        path: String,
        result: Result<Box<PrivateKey>, SignKeyError>,
    },
    /// Owner keys and link directory were checked (and remembered): verify with them.
    ChainChosen(Result<(super::chosen::Chosen, crate::verify::report::KeyNames), String>),
    /// A public key file was read for the layout.
    KeyImported(PathBuf, Result<Box<PublicKey>, String>),
    /// Files were written (report export, inspection links).
    Wrote(Vec<PathBuf>),
    /// Tab in a path input: complete this text.
    CompletePath(String),
    /// The completion of a path input's `text` (`None`: nothing to add).
    PathCompleted {
        text: String,
        completion: Option<String>,
    },
    /// An effect failed: the message for the status line.
    Failed(String),
    /// A frame was drawn: where things are on screen now.
    Drawn(Box<super::view::HitMap>),
    /// Time passed (autosave, message expiry).
    Tick,
}
