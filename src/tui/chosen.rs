//! The owner keys and link directory chosen in the TUI (`C`) for a layout, remembered in the
//! data directory beside the autosaves (`chains/<hash of the layout's canonical path>.json`)
//! and used the next time that layout is opened without `--verification-keys`.

use super::doc::autosave;
use crate::fsutil::{WriteOptions, atomic_write};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// A chain's choice: owner key files and link directory, as absolute paths.
#[derive(Debug, Clone, PartialEq)]
pub struct Chosen {
    pub keys: Vec<PathBuf>,
    pub link_dir: Option<PathBuf>,
}

fn file_for(dir: &Path, layout: &Path) -> PathBuf {
    autosave::file_for(&dir.join("chains"), Some(layout))
}

/// What was chosen for `layout`, if anything (a file that does not read as one is ignored).
pub fn load(dir: &Path, layout: &Path) -> Option<Chosen> {
    let text = crate::fsutil::read_regular_to_string(&file_for(dir, layout)).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    if v["layout"].as_str()? != autosave::canonical(layout).to_string_lossy() {
        return None;
    }
    let keys = v["keys"]
        .as_array()?
        .iter()
        .map(|k| k.as_str().map(PathBuf::from))
        .collect::<Option<Vec<_>>>()?;
    let link_dir = v["link_dir"].as_str().map(PathBuf::from);
    (!keys.is_empty()).then_some(Chosen { keys, link_dir })
}

/// Remember `chosen` for `layout` (written atomically).
pub fn store(dir: &Path, layout: &Path, chosen: &Chosen) -> crate::Result<()> {
    let file = file_for(dir, layout);
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent).map_err(|e| crate::py::oserror::path_error(&e, parent))?;
    }
    let v = json!({
        "layout": autosave::canonical(layout).to_string_lossy(),
        "keys": chosen.keys.iter().map(|k| k.to_string_lossy()).collect::<Vec<_>>(),
        "link_dir": chosen.link_dir.as_ref().map(|d| d.to_string_lossy()),
    });
    let bytes = serde_json::to_vec_pretty(&v).unwrap_or_default();
    atomic_write(&file, &bytes, WriteOptions::default())
}

/// Check a choice typed in the TUI and make its paths absolute: every key file must read as
/// a public key, the link directory must be a directory.
pub fn check(keys: &[PathBuf], link_dir: Option<&Path>) -> Result<Chosen, String> {
    if keys.is_empty() {
        return Err("name at least one owner public key".into());
    }
    crate::crypto::load_public_keys(keys).map_err(|e| e.to_string())?;
    if let Some(d) = link_dir
        && !d.is_dir()
    {
        return Err(format!("{}: not a directory", d.display()));
    }
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    Ok(Chosen {
        keys: keys.iter().map(|k| abs(k)).collect(),
        link_dir: link_dir.map(abs),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_is_kept_per_layout() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let a = tmp.path().join("a.layout");
        let b = tmp.path().join("b.layout");
        let chosen = Chosen {
            keys: vec![tmp.path().join("owner.pub")],
            link_dir: Some(tmp.path().join("links")),
        };
        assert_eq!(load(&data, &a), None);
        store(&data, &a, &chosen).unwrap();
        assert_eq!(load(&data, &a), Some(chosen));
        assert_eq!(load(&data, &b), None);
    }
}
