//! Effects: the work the reducer asks for and the event loop does. [`super::app::App::update`]
//! changes state only; whatever touches the file system (saving, reading and writing keys,
//! autosave, exporting) or takes long (verification) comes back from it as an [`Effect`],
//! which [`run`] carries out, reporting the outcome as an [`Action`] that goes through the
//! reducer like any other.

use super::action::{Action, SignKeyError};
use super::doc::{self, autosave};
use crate::Exc;
use crate::crypto::{KeyKind, PrivateKey, PublicKey};
use crate::fsutil::{WriteOptions, atomic_write};
use crate::model::layout::Layout;
use crate::verify::VerifyOptions;
use std::path::PathBuf;

/// A request for background work.
#[derive(Debug, Clone)]
pub enum Job {
    Verify {
        layout: Box<crate::model::envelope::Metadata>,
        /// The owner's public key files (read by the job).
        key_paths: Vec<PathBuf>,
        opts: VerifyOptions,
        generation: u64,
        what_if: Option<super::whatif::WhatIf>,
        /// Run inspections in a scratch copy of the chain's workdir folder.
        scratch_inspections: bool,
    },
}

/// Work for the event loop.
#[derive(Debug)]
pub enum Effect {
    /// Write the layout file `path` (keeping a `.bak` of the old one), then forget the
    /// autosaves of `forget` in `autosave_dir`; `layout` is what the bytes hold.
    Save {
        path: PathBuf,
        bytes: Vec<u8>,
        layout: Box<Layout>,
        autosave_dir: Option<PathBuf>,
        forget: Vec<Option<PathBuf>>,
        then_quit: bool,
    },
    /// Generate an ed25519 key pair: the private key at `path` (0600), the public one at
    /// `path.pub` (which must not exist yet).
    GenerateKey { path: PathBuf, for_signing: bool },
    /// Read a private key to sign with.
    ReadSignKey {
        path: String,
        password: Option<String>,
    },
    /// Read a public key to add to the layout.
    ImportKey { path: PathBuf },
    /// Keep unsaved work.
    Autosave {
        dir: PathBuf,
        snapshot: Box<autosave::Snapshot>,
    },
    /// Forget the autosave of a document (after a clean save or quit, or when declined).
    ClearAutosave { dir: PathBuf, path: Option<PathBuf> },
    /// Write files (exported reports, inspection links), all or until one fails.
    WriteFiles { files: Vec<(PathBuf, Vec<u8>)> },
    /// Complete a typed path from its folder's entries.
    CompletePath { text: String },
    /// Check the owner keys and link directory chosen for the chain, remember them for
    /// the layout at `remember` (in the data directory `dir`).
    ChooseChain {
        keys: Vec<PathBuf>,
        link_dir: Option<PathBuf>,
        remember: Option<(PathBuf, PathBuf)>,
    },
    /// Verify in the background.
    Verify(Job),
}

/// Carry out an effect other than [`Effect::Verify`] (which the caller runs on a thread of
/// its own, see [`super::run_job`]); the action reports how it went.
pub fn run(effect: Effect) -> Option<Action> {
    Some(match effect {
        Effect::Save {
            path,
            bytes,
            layout,
            autosave_dir,
            forget,
            then_quit,
        } => {
            let result = doc::write_layout_file(&path, &bytes).map_err(|e| e.to_string());
            if result.is_ok()
                && let Some(dir) = &autosave_dir
            {
                for p in &forget {
                    autosave::clear(dir, p.as_deref());
                }
            }
            Action::Saved {
                path,
                layout,
                result,
                then_quit,
            }
        }
        Effect::GenerateKey { path, for_signing } => Action::KeyGenerated {
            result: generate_key(&path).map(Box::new).map_err(|e| e.to_string()),
            path,
            for_signing,
        },
        Effect::ReadSignKey { path, password } => {
            let result = crate::fsutil::read_regular_to_string(std::path::Path::new(&path))
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => SignKeyError::Missing,
                    _ => SignKeyError::Unreadable(e.to_string()),
                })
                .and_then(|text| {
                    PrivateKey::from_pem(&text, password.as_deref().map(str::as_bytes)).map_err(
                        |e| {
                            if e.class == Exc::TypeError && password.is_none() {
                                SignKeyError::NeedsPassword
                            } else {
                                SignKeyError::Unreadable(e.message)
                            }
                        },
                    )
                });
            Action::SignKeyRead {
                path,
                result: result.map(Box::new),
            }
        }
        Effect::ChooseChain {
            keys,
            link_dir,
            remember,
        } => Action::ChainChosen(super::chosen::check(&keys, link_dir.as_deref()).and_then(
            |chosen| {
                if let Some((dir, layout)) = &remember {
                    super::chosen::store(dir, layout, &chosen).map_err(|e| e.to_string())?;
                }
                let names = crate::verify::report::KeyNames::from_files(&chosen.keys, &[]);
                Ok((chosen, names))
            },
        )),
        Effect::ImportKey { path } => {
            let result = crate::fsutil::read_regular_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|t| PublicKey::from_pem(&t).map_err(|e| e.to_string()));
            Action::KeyImported(path, result.map(Box::new))
        }
        Effect::Autosave { dir, snapshot } => match autosave::write(&dir, &snapshot) {
            Ok(()) => return None,
            Err(e) => Action::Failed(format!("autosave failed: {}", e.message)),
        },
        Effect::ClearAutosave { dir, path } => {
            autosave::clear(&dir, path.as_deref());
            return None;
        }
        Effect::WriteFiles { files } => {
            let mut written = Vec::new();
            for (path, bytes) in files {
                if let Err(e) = atomic_write(&path, &bytes, WriteOptions::default()) {
                    return Some(Action::Failed(e.to_string()));
                }
                written.push(path);
            }
            Action::Wrote(written)
        }
        Effect::CompletePath { text } => Action::PathCompleted {
            completion: super::dialogs::complete_path(&text),
            text,
        },
        Effect::Verify(_) => return None,
    })
}

fn generate_key(path: &std::path::Path) -> crate::Result<PrivateKey> {
    let key = PrivateKey::generate(KeyKind::Ed25519)?;
    let pem = key.to_pkcs8_pem(None)?;
    let pub_path = PathBuf::from(format!("{}.pub", path.display()));
    if pub_path.exists() {
        return Err(crate::Error::new(
            Exc::FileExistsError,
            format!("{} exists", pub_path.display()),
        ));
    }
    atomic_write(path, pem.as_bytes(), WriteOptions::private_key())?;
    atomic_write(
        &pub_path,
        key.public_pem().as_bytes(),
        WriteOptions {
            create_new: true,
            ..Default::default()
        },
    )?;
    Ok(key)
}
