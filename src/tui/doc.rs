//! The document being edited: a layout, where it lives, its signatures, undo/redo, atomic
//! saving and autosave.

use crate::Exc;
use crate::crypto::PrivateKey;
use crate::error::{Error, Result};
use crate::fsutil::{WriteOptions, atomic_write};
use crate::model::envelope::{Format, Metadata, Payload};
use crate::model::layout::Layout;
use std::path::{Path, PathBuf};

const UNDO_LIMIT: usize = 500;

/// The signature state of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignState {
    Unsigned,
    /// Signed by these keyids, and unchanged since.
    Signed(Vec<String>),
    /// It was signed, but has been edited since: saving writes it unsigned.
    Stale(Vec<String>),
}

/// A layout being edited.
#[derive(Debug, Clone)]
pub struct Document {
    pub layout: Layout,
    pub path: Option<PathBuf>,
    /// The format used when saving.
    pub format: Format,
    /// The signed metadata, for the layout as it was when signed or loaded.
    signed: Option<Metadata>,
    /// The layout as last saved or loaded.
    saved: Layout,
    undo: Vec<(Layout, String)>,
    redo: Vec<(Layout, String)>,
}

impl Document {
    /// A new, empty layout, made at `now`.
    pub fn new(now: jiff::Timestamp) -> Document {
        let layout = Layout::new(now);
        Document {
            saved: layout.clone(),
            layout,
            path: None,
            format: Format::Legacy,
            signed: None,
            undo: Vec::new(),
            redo: Vec::new(),
        }
    }

    /// Open a layout file.
    pub fn open(path: &Path) -> Result<Document> {
        let md = Metadata::load(path).map_err(|e| e.context(path.display()))?;
        let layout = match md.payload().map_err(|e| e.context(path.display()))? {
            Payload::Layout(l) => (**l).clone(),
            Payload::Link(_) => {
                return Err(Error::new(
                    Exc::ValueError,
                    format!("{} is a link, not a layout", path.display()),
                ));
            }
        };
        let has_sigs = !md.signature_keyids().is_empty();
        Ok(Document {
            saved: layout.clone(),
            layout,
            path: Some(path.to_path_buf()),
            format: md.format(),
            signed: has_sigs.then_some(md),
            undo: Vec::new(),
            redo: Vec::new(),
        })
    }

    /// Whether there are unsaved changes.
    pub fn is_dirty(&self) -> bool {
        self.layout != self.saved
    }

    /// The signature state.
    pub fn sign_state(&self) -> SignState {
        match &self.signed {
            None => SignState::Unsigned,
            Some(md) => {
                let ids = md.signature_keyids();
                if self.signed_layout() == Some(&self.layout) {
                    SignState::Signed(ids)
                } else {
                    SignState::Stale(ids)
                }
            }
        }
    }

    fn signed_layout(&self) -> Option<&Layout> {
        match self.signed.as_ref()?.payload().ok()? {
            Payload::Layout(l) => Some(l),
            Payload::Link(_) => None,
        }
    }

    /// Apply an edit; it becomes one undo step (nothing is recorded if it changed nothing).
    pub fn edit<T>(&mut self, label: &str, f: impl FnOnce(&mut Layout) -> Result<T>) -> Result<T> {
        let before = self.layout.clone();
        match f(&mut self.layout) {
            Ok(v) => {
                if self.layout != before {
                    self.undo.push((before, label.to_string()));
                    if self.undo.len() > UNDO_LIMIT {
                        self.undo.remove(0);
                    }
                    self.redo.clear();
                }
                Ok(v)
            }
            Err(e) => {
                self.layout = before;
                Err(e)
            }
        }
    }

    /// Undo the last edit; returns its label.
    pub fn undo(&mut self) -> Option<String> {
        let (prev, label) = self.undo.pop()?;
        let cur = std::mem::replace(&mut self.layout, prev);
        self.redo.push((cur, label.clone()));
        Some(label)
    }

    /// Redo; returns the label.
    pub fn redo(&mut self) -> Option<String> {
        let (next, label) = self.redo.pop()?;
        let cur = std::mem::replace(&mut self.layout, next);
        self.undo.push((cur, label.clone()));
        Some(label)
    }

    /// The metadata to write: signed if the layout is unchanged since signing, else
    /// unsigned in the document's format.
    pub fn to_metadata(&self) -> Metadata {
        match &self.signed {
            Some(md)
                if self.signed_layout() == Some(&self.layout) && md.format() == self.format =>
            {
                md.clone()
            }
            _ => Metadata::new(Payload::Layout(Box::new(self.layout.clone())), self.format),
        }
    }

    /// What saving to `path` (or the current path) writes: the target and the file's bytes.
    pub fn save_bytes(&self, path: Option<&Path>) -> Result<(PathBuf, Vec<u8>)> {
        let target = match path.or(self.path.as_deref()) {
            Some(p) => p.to_path_buf(),
            None => return Err(Error::new(Exc::ValueError, "no file name yet: use save-as")),
        };
        Ok((target, self.to_metadata().to_bytes()))
    }

    /// Record that `layout` was saved as `path`.
    pub fn mark_saved(&mut self, path: PathBuf, layout: Layout) {
        self.saved = layout;
        self.path = Some(path);
    }

    /// Save atomically (keeping a `.bak` of the previous file) to `path` or the current path.
    pub fn save(&mut self, path: Option<&Path>) -> Result<PathBuf> {
        let (target, bytes) = self.save_bytes(path)?;
        write_layout_file(&target, &bytes)?;
        self.mark_saved(target.clone(), self.layout.clone());
        Ok(target)
    }

    /// Sign the current layout with `key` in `format`. If it is already signed (unchanged,
    /// same format) the signature is added; otherwise it replaces the old signatures.
    pub fn sign(&mut self, key: &PrivateKey, format: Format) -> Result<()> {
        let mut md = match &self.signed {
            Some(md) if self.signed_layout() == Some(&self.layout) && md.format() == format => {
                md.clone()
            }
            _ => Metadata::new(Payload::Layout(Box::new(self.layout.clone())), format),
        };
        if let Metadata::Legacy { signatures, .. } = &mut md {
            let id = &key.public_key().keyid;
            signatures.retain(|s| s.keyid.as_deref() != Some(id));
        }
        md.sign(key)?;
        self.format = format;
        self.signed = Some(md);
        Ok(())
    }

    /// The file name shown in the title.
    pub fn title(&self) -> String {
        self.path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(new layout)".into())
    }
}

/// Write a layout file atomically, keeping a `.bak` of the previous one.
pub fn write_layout_file(path: &Path, bytes: &[u8]) -> Result<()> {
    atomic_write(
        path,
        bytes,
        WriteOptions {
            backup: true,
            ..Default::default()
        },
    )
}

/// Autosave: a copy of unsaved work in the user's data directory, offered back at the next
/// start after a crash.
pub mod autosave {
    use super::*;
    use serde_json::{Value, json};

    /// The autosave directory of the binary (`$INTOTO_STUDIO_DATA_DIR` or the platform data
    /// dir); the TUI itself takes its directory from [`crate::tui::app::Options`].
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(d) = std::env::var_os("INTOTO_STUDIO_DATA_DIR") {
            return Some(PathBuf::from(d).join("autosave"));
        }
        directories::ProjectDirs::from("", "", "intoto-studio")
            .map(|p| p.data_dir().join("autosave"))
    }

    /// The absolute, canonical form of a document path, also for a file that does not
    /// exist yet (its folder canonical, then its name): `a.layout` typed in two folders
    /// is two documents.
    pub fn canonical(p: &Path) -> PathBuf {
        if let Ok(c) = std::fs::canonicalize(p) {
            return c;
        }
        let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        match (abs.parent(), abs.file_name()) {
            (Some(dir), Some(name)) => std::fs::canonicalize(dir)
                .map(|d| d.join(name))
                .unwrap_or(abs.clone()),
            _ => abs,
        }
    }

    /// The autosave file in `dir` for a document path (`untitled` for a new layout).
    pub fn file_for(dir: &Path, path: Option<&Path>) -> PathBuf {
        let key = match path {
            Some(p) => {
                use sha2::Digest;
                let abs = canonical(p);
                crate::py::hex::hex(&sha2::Sha256::digest(abs.to_string_lossy().as_bytes())[..12])
            }
            None => "untitled".to_string(),
        };
        dir.join(format!("{key}.json"))
    }

    /// What an autosave keeps of a document.
    #[derive(Debug, Clone)]
    pub struct Snapshot {
        pub path: Option<PathBuf>,
        pub format: Format,
        pub layout: Layout,
        pub at: jiff::Timestamp,
    }

    impl Snapshot {
        pub fn of(doc: &Document, at: jiff::Timestamp) -> Snapshot {
            Snapshot {
                path: doc.path.clone(),
                format: doc.format,
                layout: doc.layout.clone(),
                at,
            }
        }
    }

    /// Write the unsaved layout into `dir`.
    pub fn write(dir: &Path, s: &Snapshot) -> Result<()> {
        let file = file_for(dir, s.path.as_deref());
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| crate::py::oserror::path_error(&e, parent))?;
        }
        let v = json!({
            "path": s.path.as_deref().map(|p| canonical(p).display().to_string()),
            "format": s.format.as_str(),
            "saved_at": s.at.to_string(),
            "layout": s.layout.to_value(),
        });
        atomic_write(
            &file,
            serde_json::to_string(&v).unwrap_or_default().as_bytes(),
            WriteOptions {
                mode: Some(0o600),
                ..Default::default()
            },
        )
    }

    /// Remove the autosave in `dir` (after a save or a clean exit).
    pub fn clear(dir: &Path, path: Option<&Path>) {
        let _ = std::fs::remove_file(file_for(dir, path));
    }

    /// An autosave in `dir` that differs from what is on disk, if there is one.
    pub fn pending(dir: &Path, doc: &Document) -> Option<(Layout, String)> {
        let file = file_for(dir, doc.path.as_deref());
        let text = crate::fsutil::read_regular_to_string(&file).ok()?;
        let v: Value = serde_json::from_str(&text).ok()?;
        // Only this document's own autosave (the file records whose it is).
        let whose = doc
            .path
            .as_deref()
            .map(|p| canonical(p).display().to_string());
        if v.get("path").and_then(Value::as_str).map(str::to_string) != whose {
            return None;
        }
        let layout = Layout::from_value(v.get("layout")?).ok()?;
        if layout == doc.layout {
            let _ = std::fs::remove_file(&file);
            return None;
        }
        let when = v
            .get("saved_at")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        Some((layout, when))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::edit;

    const T0: &str = "2026-01-01T00:00:00Z";

    #[test]
    fn undo_redo_and_dirty() {
        let mut d = Document::new(T0.parse().unwrap());
        assert!(!d.is_dirty());
        d.edit("add", |l| edit::add_step(l, "a", None).map(|_| ()))
            .unwrap();
        d.edit("add", |l| edit::add_step(l, "b", None).map(|_| ()))
            .unwrap();
        assert!(d.is_dirty());
        assert_eq!(d.undo().as_deref(), Some("add"));
        assert_eq!(d.layout.steps.len(), 1);
        d.redo();
        assert_eq!(d.layout.steps.len(), 2);
        // A failed edit changes nothing and records nothing.
        assert!(d.edit("dup", |l| edit::add_step(l, "a", None)).is_err());
        assert_eq!(d.layout.steps.len(), 2);
        d.undo();
        d.undo();
        assert!(!d.is_dirty());
        assert!(d.undo().is_none());
    }

    #[test]
    fn save_sign_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("root.layout");
        let mut d = Document::new(T0.parse().unwrap());
        d.edit("add", |l| edit::add_step(l, "build", None).map(|_| ()))
            .unwrap();
        let key = PrivateKey::from_pem(
            include_str!("../../tests/fixtures/keys/TEST-ONLY-alice-ed25519.private.pem"),
            None,
        )
        .unwrap();
        d.sign(&key, Format::Dsse).unwrap();
        assert!(matches!(d.sign_state(), SignState::Signed(_)));
        d.save(Some(&p)).unwrap();
        assert!(!d.is_dirty());
        let again = Document::open(&p).unwrap();
        assert_eq!(again.format, Format::Dsse);
        assert!(
            matches!(again.sign_state(), SignState::Signed(ids) if ids == vec![key.public_key().keyid.clone()])
        );
        Metadata::load(&p)
            .unwrap()
            .verify_signature(key.public_key())
            .unwrap();
        // An edit makes the signature stale; saving writes the layout unsigned.
        let mut d = again;
        d.edit("add", |l| edit::add_step(l, "test", None).map(|_| ()))
            .unwrap();
        assert!(matches!(d.sign_state(), SignState::Stale(_)));
        d.save(None).unwrap();
        assert!(Metadata::load(&p).unwrap().signature_keyids().is_empty());
        assert!(crate::fsutil::backup_path(&p).exists());
    }
}
