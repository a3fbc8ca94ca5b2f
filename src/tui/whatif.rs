//! What-if mode: hypothetical changes to a chain, in memory only. A [`WhatIf`] is a
//! [`LinkSource`] over the real link files that changes artifact hashes (as if the
//! functionary had recorded and signed them), drops links or strips their signatures, and
//! can move the clock; nothing is ever written to disk.

use super::doc::Document;
use crate::Exc;
use crate::model::envelope::{Metadata, Payload};
use crate::model::layout::Layout;
use crate::model::link::{HashDict, Link};
use crate::model::rule::ArtifactKind;
use crate::verify::{FsLinks, LinkSource};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// A change to one link file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkEdit {
    pub dropped: bool,
    pub unsigned: bool,
    /// (kind, path) → new sha256 hex.
    pub hashes: BTreeMap<(u8, String), String>,
}

/// All hypothetical changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WhatIf {
    /// Per link file (as the report names it).
    pub links: BTreeMap<String, LinkEdit>,
    /// Verify as if it were this time.
    pub clock: Option<jiff::Timestamp>,
}

fn kind_id(kind: ArtifactKind) -> u8 {
    match kind {
        ArtifactKind::Materials => 0,
        ArtifactKind::Products => 1,
    }
}

impl WhatIf {
    /// The what-if menu.
    pub fn menu() -> Vec<String> {
        vec![
            "change an artifact's hash (in the link browser)".into(),
            "drop a link or strip its signature (in the link browser)".into(),
            "edit a rule (in the Chain tab; the owner's signature is assumed)".into(),
            "verify at another time (asks for it; offers one past the expiry)".into(),
        ]
    }

    pub fn set_hash(&mut self, file: &str, kind: ArtifactKind, path: &str, hex: &str) {
        self.links
            .entry(file.to_string())
            .or_default()
            .hashes
            .insert((kind_id(kind), path.to_string()), hex.to_string());
    }

    pub fn drop_link(&mut self, file: &str) {
        self.links.entry(file.to_string()).or_default().dropped = true;
    }

    pub fn strip_signature(&mut self, file: &str) {
        self.links.entry(file.to_string()).or_default().unsigned = true;
    }

    pub fn is_empty(&self) -> bool {
        self.links.is_empty() && self.clock.is_none()
    }

    /// One line for the banner; `layout_edits` are the edits to the layout's copy.
    pub fn describe(&self, layout_edits: &[String]) -> String {
        let mut parts: Vec<String> = layout_edits.to_vec();
        for (file, e) in &self.links {
            let name = Path::new(file)
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| file.clone());
            if e.dropped {
                parts.push(format!("{name} dropped"));
            }
            if e.unsigned {
                parts.push(format!("{name} unsigned"));
            }
            for ((_, p), h) in &e.hashes {
                parts.push(format!("{p} in {name} → {}", crate::py::prefix(h, 8)));
            }
        }
        if let Some(c) = self.clock {
            parts.push(format!(
                "clock at {}",
                crate::model::layout::format_expires(crate::model::layout::utc_civil(c))
            ));
        }
        if parts.is_empty() {
            "WHAT-IF: hypothetical view (nothing is written); no change yet".into()
        } else {
            format!(
                "WHAT-IF: hypothetical view (nothing is written) — {}",
                parts.join("; ")
            )
        }
    }

    /// The layout to verify: the document as it is now (rule edits included).
    pub fn layout_metadata(&self, doc: &Document) -> Metadata {
        doc.to_metadata()
    }
}

/// What differs between the real layout and what-if's copy, one phrase per item.
pub fn layout_edits(real: &Layout, copy: &Layout) -> Vec<String> {
    let mut out = Vec::new();
    for s in &copy.steps {
        match real.steps.iter().find(|r| r.name == s.name) {
            None => out.push(format!("step '{}' added", s.name)),
            Some(r) if r != s => {
                if r.expected_materials != s.expected_materials
                    || r.expected_products != s.expected_products
                {
                    out.push(format!("rules of '{}' edited", s.name));
                } else {
                    out.push(format!("step '{}' edited", s.name));
                }
            }
            Some(_) => {}
        }
    }
    for r in &real.steps {
        if !copy.steps.iter().any(|s| s.name == r.name) {
            out.push(format!("step '{}' removed", r.name));
        }
    }
    for i in &copy.inspect {
        match real.inspect.iter().find(|r| r.name == i.name) {
            None => out.push(format!("inspection '{}' added", i.name)),
            Some(r) if r != i => out.push(format!("inspection '{}' edited", i.name)),
            Some(_) => {}
        }
    }
    for r in &real.inspect {
        if !copy.inspect.iter().any(|i| i.name == r.name) {
            out.push(format!("inspection '{}' removed", r.name));
        }
    }
    if out.is_empty() && real != copy {
        out.push("layout edited".into());
    }
    out
}

/// The link source for a what-if replay.
pub struct WhatIfLinks<'a> {
    pub what_if: &'a WhatIf,
}

impl WhatIfLinks<'_> {
    fn edit(&self, path: &Path) -> Option<&LinkEdit> {
        self.what_if.links.get(&path.display().to_string())
    }
}

impl LinkSource for WhatIfLinks<'_> {
    fn load(&self, path: &Path) -> crate::Result<Arc<Metadata>> {
        let Some(edit) = self.edit(path) else {
            return FsLinks.load(path);
        };
        if edit.dropped {
            return Err(crate::Error::new(
                Exc::FileNotFoundError,
                format!("(what-if) dropped: '{}'", path.display()),
            ));
        }
        let md = FsLinks.load(path)?;
        if edit.hashes.is_empty() {
            return Ok(md);
        }
        let Ok(Payload::Link(link)) = md.payload() else {
            return Ok(md);
        };
        let mut link: Link = (**link).clone();
        for ((k, p), hex) in &edit.hashes {
            let arts = if *k == 0 {
                Arc::make_mut(&mut link.materials)
            } else {
                Arc::make_mut(&mut link.products)
            };
            arts.set(p, HashDict::sha256(hex));
        }
        let mut new = Metadata::new(Payload::Link(Arc::new(link)), md.format());
        // Keep the signer list for display; the signature check is overridden below.
        if let (
            Metadata::Legacy {
                signatures: old, ..
            },
            Metadata::Legacy { signatures, .. },
        ) = (&*md, &mut new)
        {
            *signatures = old.clone();
        }
        Ok(Arc::new(new))
    }

    fn signature_override(&self, path: &Path) -> Option<bool> {
        let e = self.edit(path)?;
        if e.unsigned {
            Some(false)
        } else if !e.hashes.is_empty() {
            Some(true)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::{VerifyOptions, verify_metadata};
    use std::path::PathBuf;

    fn case(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/conformance/cases")
            .join(name)
    }

    #[test]
    fn hash_change_drop_and_strip() {
        let dir = case("pass-sublayout-legacy");
        let md = Metadata::load(&dir.join("root.layout")).unwrap();
        let keys = crate::crypto::load_public_keys(&[dir.join("alice.pub")]).unwrap();
        let opts = VerifyOptions {
            link_dir: dir.join("links"),
            ..Default::default()
        };
        let base = verify_metadata(
            &md,
            &keys,
            &opts,
            &WhatIfLinks {
                what_if: &WhatIf::default(),
            },
        );
        assert!(base.passed);

        let file = dir
            .join("links/package.2f898e60.link")
            .display()
            .to_string();
        let mut w = WhatIf::default();
        w.set_hash(&file, ArtifactKind::Materials, "bin/hello", "00ff");
        let r = verify_metadata(&md, &keys, &opts, &WhatIfLinks { what_if: &w });
        let f = r.failure.expect("a changed material no longer matches");
        assert_eq!(f.reference_error, "RuleVerificationError");
        assert_eq!(f.item.as_deref(), Some("package"));

        let mut w = WhatIf::default();
        w.drop_link(&file);
        let r = verify_metadata(&md, &keys, &opts, &WhatIfLinks { what_if: &w });
        assert_eq!(r.failure.unwrap().reference_error, "LinkNotFoundError");

        let mut w = WhatIf::default();
        w.strip_signature(&file);
        let r = verify_metadata(&md, &keys, &opts, &WhatIfLinks { what_if: &w });
        assert_eq!(
            r.failure.unwrap().reference_error,
            "ThresholdVerificationError"
        );
    }
}
