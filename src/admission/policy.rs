//! The admission policy (TOML): which images need which verified chain.

use crate::py::fnmatch::Pattern;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What to do with an image no rule matches, or with a rule's failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Unmatched {
    #[default]
    Deny,
    Allow,
    Warn,
}

/// `enforce`: a failure denies; `warn`: admitted, the reason sent as warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Enforce,
    Warn,
}

/// Layouts with inspections: refused (`deny`), or verified without running them (`skip`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Inspections {
    #[default]
    Deny,
    Skip,
}

/// The product of a step whose sha256 must be the image digest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bind {
    pub step: String,
    pub artifact: String,
}

/// One `[[rule]]`. Paths are relative to the policy file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    /// Globs (fnmatch) on the image name: registry and repository, no tag or digest.
    pub images: Vec<String>,
    pub layout: PathBuf,
    pub owner_keys: Vec<PathBuf>,
    /// Where the image's links are: a directory store (`<evidence>/sha256/<hex>/`), `"oci"`
    /// (the image's own registry) or `"oci://REGISTRY/REPO"` (artifacts referring to the
    /// image's digest there), see [`Rule::evidence_source`].
    pub evidence: PathBuf,
    /// How to reach the registry of `oci` evidence.
    #[serde(default)]
    pub registry: RegistryConfig,
    pub bind: Bind,
    #[serde(default)]
    pub inspections: Inspections,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

/// `registry = { plain_http = true, ca = "ca.pem", config = "config.json" }` (paths
/// relative to the policy file).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    #[serde(default)]
    pub plain_http: bool,
    pub ca: Option<PathBuf>,
    pub config: Option<PathBuf>,
}

/// Where a rule's evidence is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceSource {
    Dir(PathBuf),
    /// In a registry: the image's own repository (`None`) or `REGISTRY/REPO`.
    Oci(Option<String>),
}

impl Rule {
    /// Where this rule's evidence is.
    pub fn evidence_source(&self) -> EvidenceSource {
        match self.evidence.to_str() {
            Some("oci") => EvidenceSource::Oci(None),
            Some(s) if let Some(repo) = s.strip_prefix("oci://") => {
                EvidenceSource::Oci(Some(repo.trim_end_matches('/').to_string()))
            }
            _ => EvidenceSource::Dir(self.evidence.clone()),
        }
    }
}

/// The policy file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub unmatched: Unmatched,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
}

fn default_timeout() -> u64 {
    8
}

/// The most a policy file may hold (it is read whole).
const MAX_POLICY_BYTES: u64 = 1 << 20;

impl Policy {
    /// Read a policy; its relative paths are resolved against the file's folder.
    pub fn load(path: &Path) -> Result<Policy, String> {
        let text = crate::fsutil::read_regular_to_string(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if text.len() as u64 > MAX_POLICY_BYTES {
            return Err(format!("{}: more than 1 MiB", path.display()));
        }
        let mut p = Policy::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for r in &mut p.rules {
            r.layout = base.join(&r.layout);
            if matches!(r.evidence_source(), EvidenceSource::Dir(_)) {
                r.evidence = base.join(&r.evidence);
            }
            for p in [&mut r.registry.ca, &mut r.registry.config]
                .into_iter()
                .flatten()
            {
                *p = base.join(&*p);
            }
            for k in &mut r.owner_keys {
                *k = base.join(&*k);
            }
        }
        Ok(p)
    }

    /// Parse and check a policy's text.
    pub fn parse(text: &str) -> Result<Policy, String> {
        let p: Policy = toml::from_str(text).map_err(|e| e.to_string())?;
        if p.timeout_seconds == 0 || p.timeout_seconds > 30 {
            return Err(
                "timeout_seconds must be between 1 and 30 (Kubernetes waits at most 30)".into(),
            );
        }
        let mut names = std::collections::BTreeSet::new();
        for r in &p.rules {
            if !names.insert(&r.name) {
                return Err(format!("two rules are named '{}'", r.name));
            }
            if r.images.is_empty() {
                return Err(format!("rule '{}' has no images", r.name));
            }
            if r.owner_keys.is_empty() {
                return Err(format!("rule '{}' has no owner_keys", r.name));
            }
            for reserved in ["IMAGE", "IMAGE_DIGEST"] {
                if r.params.contains_key(reserved) {
                    return Err(format!(
                        "rule '{}': the parameter {reserved} is set per image",
                        r.name
                    ));
                }
            }
        }
        Ok(p)
    }

    /// The first rule whose globs match the image name.
    pub fn rule_for(&self, name: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.images.iter().any(|g| Pattern::new(g).matches(name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
unmatched = "warn"
[[rule]]
name = "app"
images = ["registry.example/app/*"]
layout = "app/root.layout"
owner_keys = ["app/owner.pub"]
evidence = "evidence"
bind = { step = "push", artifact = "image.manifest.json" }
inspections = "skip"
params = { REGISTRY = "registry.example" }
"#;

    #[test]
    fn a_policy_parses_with_its_defaults() {
        let p = Policy::parse(GOOD).unwrap();
        assert_eq!(p.unmatched, Unmatched::Warn);
        assert_eq!(p.timeout_seconds, 8);
        let r = &p.rules[0];
        assert_eq!((r.mode, r.inspections), (Mode::Enforce, Inspections::Skip));
        assert_eq!(p.rule_for("registry.example/app/web").unwrap().name, "app");
        assert!(p.rule_for("registry.example/other/web").is_none());
    }

    #[test]
    fn evidence_is_a_folder_or_a_registry() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("policy.toml");
        let text = GOOD.to_string()
            + &GOOD[GOOD.find("[[rule]]").unwrap()..]
                .replace("name = \"app\"", "name = \"oci\"")
                .replace("evidence = \"evidence\"", "evidence = \"oci://r.example/ev/\"\nregistry = { plain_http = true, ca = \"ca.pem\" }");
        std::fs::write(&file, text).unwrap();
        let p = Policy::load(&file).unwrap();
        assert_eq!(
            p.rules[0].evidence_source(),
            EvidenceSource::Dir(tmp.path().join("evidence"))
        );
        assert_eq!(
            p.rules[1].evidence_source(),
            EvidenceSource::Oci(Some("r.example/ev".into()))
        );
        assert!(p.rules[1].registry.plain_http);
        assert_eq!(
            p.rules[1].registry.ca.as_deref(),
            Some(tmp.path().join("ca.pem").as_path())
        );
        let mut r = p.rules[0].clone();
        r.evidence = "oci".into();
        assert_eq!(r.evidence_source(), EvidenceSource::Oci(None));
    }

    #[test]
    fn bad_policies_are_refused_with_the_reason() {
        for (text, why) in [
            ("unmatched = \"maybe\"", "unknown variant"),
            ("timeout_seconds = 0", "between 1 and 30"),
            ("colour = 1", "unknown field"),
            (
                &GOOD.replace("evidence = \"evidence\"\n", ""),
                "missing field `evidence`",
            ),
            (
                &format!("{GOOD}{}", &GOOD[GOOD.find("[[rule]]").unwrap()..]),
                "two rules",
            ),
            (&GOOD.replace("REGISTRY", "IMAGE"), "set per image"),
        ] {
            let e = Policy::parse(text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}
