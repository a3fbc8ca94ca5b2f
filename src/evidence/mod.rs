//! Evidence that travels with the image: a link directory (sublayout folders too) as one OCI
//! artifact whose `subject` is the image manifest, and the directory store of `serve`.
//!
//! The artifact (documented in docs/evidence.md):
//!
//! * an OCI image manifest (`application/vnd.oci.image.manifest.v1+json`) with
//!   `artifactType` [`ARTIFACT_TYPE`], the empty config ([`EMPTY_TYPE`], `{}`), and
//!   `subject` the image manifest's descriptor;
//! * one layer per file of the link directory, media type [`LINK_TYPE`], its path relative
//!   to the directory in the annotation `org.opencontainers.image.title`, in path order.
//!
//! No time stamps or other varying fields: the same links give the same manifest bytes, so
//! pushing them twice gives the same artifact (the same digest).

pub mod registry;

use std::path::{Component, Path, PathBuf};

/// `artifactType` of an evidence artifact.
pub const ARTIFACT_TYPE: &str = "application/vnd.in-toto.links.v1";
/// Media type of each layer: one link file (legacy Metablock or DSSE envelope, JSON).
pub const LINK_TYPE: &str = "application/vnd.in-toto.link.v1+json";
/// The empty config of an artifact manifest.
pub const EMPTY_TYPE: &str = "application/vnd.oci.empty.v1+json";
/// The OCI image manifest media type.
pub const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// The annotation that names a layer's file.
pub const TITLE: &str = "org.opencontainers.image.title";

/// The most files an evidence artifact holds, the most bytes one file may have, and the most
/// for all of them together.
pub const MAX_FILES: usize = 1_000;
pub const MAX_FILE_BYTES: u64 = 256 << 20;
pub const MAX_TOTAL_BYTES: u64 = 1 << 30;
/// The most bytes of a manifest or an index read from a registry.
pub const MAX_MANIFEST_BYTES: usize = 4 << 20;

/// One file of a link directory: its path relative to the directory (`/`-separated) and its
/// bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// The sha256 of `bytes`, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `hex` if it is a sha256 digest in lowercase hex.
pub fn check_hex(hex: &str) -> Result<&str, String> {
    if hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(hex)
    } else {
        Err(format!(
            "'{hex}' is no sha256 digest (64 lowercase hex digits)"
        ))
    }
}

/// Every file of a link directory, in path order: regular files at the top and in folders one
/// level down (sublayout link folders), nothing else (a symbolic link or a FIFO is refused).
pub fn collect(dir: &Path) -> Result<Vec<EvidenceFile>, String> {
    let mut files = Vec::new();
    let mut total = 0u64;
    walk(dir, "", 0, &mut files, &mut total)?;
    if files.is_empty() {
        return Err(format!("{}: no link files", dir.display()));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn walk(
    dir: &Path,
    prefix: &str,
    depth: usize,
    files: &mut Vec<EvidenceFile>,
    total: &mut u64,
) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for e in entries {
        let e = e.map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = e.file_name();
        let Some(name) = name.to_str() else {
            return Err(format!("{}: a file name that is not UTF-8", dir.display()));
        };
        let path = e.path();
        let t = e
            .file_type()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let rel = format!("{prefix}{name}");
        if t.is_dir() {
            if depth >= 1 {
                return Err(format!(
                    "{}: folders nest one level at most",
                    path.display()
                ));
            }
            walk(&path, &format!("{rel}/"), depth + 1, files, total)?;
        } else if t.is_file() {
            let bytes = crate::fsutil::read_regular(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            if bytes.len() as u64 > MAX_FILE_BYTES {
                return Err(format!("{}: larger than 256 MiB", path.display()));
            }
            *total += bytes.len() as u64;
            if *total > MAX_TOTAL_BYTES || files.len() >= MAX_FILES {
                return Err(format!(
                    "{}: more than {MAX_FILES} files or 1 GiB of evidence",
                    dir.display()
                ));
            }
            files.push(EvidenceFile { path: rel, bytes });
        } else {
            return Err(format!(
                "{}: neither a file nor a folder (a symbolic link?)",
                path.display()
            ));
        }
    }
    Ok(())
}

/// The relative path a layer names, checked: `/`-separated normal components (no `..`, no
/// absolute path, no empty or hidden tricks), one folder level at most.
pub fn check_title(title: &str) -> Result<PathBuf, String> {
    let p = Path::new(title);
    let parts: Vec<_> = p.components().collect();
    let ok = !title.is_empty()
        && !title.contains('\\')
        && parts.len() <= 2
        && parts.iter().all(|c| matches!(c, Component::Normal(_)))
        && p.to_str() == Some(title)
        && !title.ends_with('/');
    if ok {
        Ok(p.to_path_buf())
    } else {
        Err(format!(
            "the layer title '{title}' is no safe relative file name"
        ))
    }
}

/// A descriptor (JSON) of a blob.
fn descriptor(media_type: &str, bytes: &[u8]) -> serde_json::Value {
    serde_json::json!({
        "mediaType": media_type,
        "digest": format!("sha256:{}", sha256_hex(bytes)),
        "size": bytes.len(),
    })
}

/// The artifact manifest for `files` whose subject is `subject` (the image manifest's
/// descriptor): its bytes (deterministic) and its digest (`sha256:…`).
pub fn artifact_manifest(subject: &serde_json::Value, files: &[EvidenceFile]) -> (Vec<u8>, String) {
    let layers: Vec<serde_json::Value> = files
        .iter()
        .map(|f| {
            let mut d = descriptor(LINK_TYPE, &f.bytes);
            d["annotations"] = serde_json::json!({ TITLE: f.path });
            d
        })
        .collect();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "artifactType": ARTIFACT_TYPE,
        "config": descriptor(EMPTY_TYPE, b"{}"),
        "layers": layers,
        "subject": subject,
    });
    let bytes = manifest.to_string().into_bytes();
    let digest = format!("sha256:{}", sha256_hex(&bytes));
    (bytes, digest)
}

/// Write evidence files into `out` (which must not exist, or be an empty folder) as a link
/// directory `verify` takes. Every path is checked first; two layers naming one file is an
/// error.
pub fn write_link_dir(out: &Path, files: &[EvidenceFile]) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for f in files {
        check_title(&f.path)?;
        if !seen.insert(f.path.as_str()) {
            return Err(format!("two layers are named '{}'", f.path));
        }
    }
    if out.exists()
        && std::fs::read_dir(out)
            .map_err(|e| format!("{}: {e}", out.display()))?
            .next()
            .is_some()
    {
        return Err(format!("{}: not empty", out.display()));
    }
    for f in files {
        let path = out.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, &f.bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Put a link directory into the directory store of `serve`: `<store>/sha256/<hex>/`
/// becomes a copy of `link_dir`, atomically (a complete copy is renamed into place; the old
/// evidence, if any, is replaced whole). Nothing is written outside `<store>/sha256/`.
pub fn put(store: &Path, hex: &str, link_dir: &Path) -> Result<PathBuf, String> {
    let hex = check_hex(hex)?;
    let files = collect(link_dir)?;
    let base = store.join("sha256");
    std::fs::create_dir_all(&base).map_err(|e| format!("{}: {e}", base.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{hex}.new-"))
        .tempdir_in(&base)
        .map_err(|e| format!("{}: {e}", base.display()))?;
    write_link_dir(tmp.path(), &files)?;
    let target = base.join(hex);
    let old = base.join(format!(".{hex}.old-{}", std::process::id()));
    let had_old = target.exists();
    if had_old {
        std::fs::rename(&target, &old).map_err(|e| format!("{}: {e}", target.display()))?;
    }
    let staged = tmp.keep();
    if let Err(e) = std::fs::rename(&staged, &target) {
        if had_old {
            let _ = std::fs::rename(&old, &target);
        }
        let _ = std::fs::remove_dir_all(&staged);
        return Err(format!("{}: {e}", target.display()));
    }
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(d: &Path) {
        std::fs::create_dir_all(d.join("sub.12345678")).unwrap();
        std::fs::write(d.join("build.aaaaaaaa.link"), "{\"b\": 1}").unwrap();
        std::fs::write(d.join("sub.12345678/inner.bbbbbbbb.link"), "{\"i\": 1}").unwrap();
    }

    #[test]
    fn the_manifest_is_the_same_for_the_same_links() {
        let tmp = tempfile::tempdir().unwrap();
        tree(tmp.path());
        let files = collect(tmp.path()).unwrap();
        assert_eq!(
            files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
            ["build.aaaaaaaa.link", "sub.12345678/inner.bbbbbbbb.link"]
        );
        let subject =
            serde_json::json!({"mediaType": MANIFEST_TYPE, "digest": "sha256:00", "size": 1});
        let (a, da) = artifact_manifest(&subject, &files);
        let (b, db) = artifact_manifest(&subject, &collect(tmp.path()).unwrap());
        assert_eq!((a.clone(), da.clone()), (b, db));
        let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
        assert_eq!(v["artifactType"], ARTIFACT_TYPE);
        assert_eq!(v["subject"], subject);
        assert_eq!(
            v["layers"][1]["annotations"][TITLE],
            "sub.12345678/inner.bbbbbbbb.link"
        );
        assert_eq!(da, format!("sha256:{}", sha256_hex(&a)));
    }

    #[test]
    fn unsafe_titles_are_refused() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/b/c",
            "a\\b",
            "a/",
            "./a",
        ] {
            assert!(check_title(bad).is_err(), "{bad}");
        }
        for good in ["x.link", "sub.1234/x.link"] {
            assert!(check_title(good).is_ok(), "{good}");
        }
        let tmp = tempfile::tempdir().unwrap();
        let twice = vec![
            EvidenceFile {
                path: "a".into(),
                bytes: vec![],
            },
            EvidenceFile {
                path: "a".into(),
                bytes: vec![1],
            },
        ];
        assert!(
            write_link_dir(&tmp.path().join("o"), &twice)
                .unwrap_err()
                .contains("two layers")
        );
    }

    #[test]
    fn put_replaces_the_evidence_whole_and_writes_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let links = tmp.path().join("links");
        tree(&links);
        let store = tmp.path().join("store");
        let hex = "a".repeat(64);
        let at = put(&store, &hex, &links).unwrap();
        assert_eq!(at, store.join("sha256").join(&hex));
        assert!(at.join("sub.12345678/inner.bbbbbbbb.link").is_file());
        // New evidence replaces the old whole: a file left out is gone.
        std::fs::remove_dir_all(links.join("sub.12345678")).unwrap();
        put(&store, &hex, &links).unwrap();
        assert!(!at.join("sub.12345678").exists());
        let names: Vec<_> = std::fs::read_dir(store.join("sha256"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            names,
            [std::ffi::OsString::from(&hex)],
            "no staging left behind"
        );
        assert!(put(&store, "../../x", &links).is_err());
        assert!(put(&store, &"A".repeat(64), &links).is_err());
    }
}
