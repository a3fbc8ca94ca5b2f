//! The verification report: every stage, every item, every rule with the artifacts it
//! consumed and the queue after it, warnings, and for a failure the stage, the reference's
//! exception class, the item, rule set, rule, artifacts, sublayout path and root cause.
//!
//! The text output, `--format json`, `--format markdown` and the TUI are all views of this
//! one structure.

use crate::model::envelope::Format;
use crate::model::layout::ItemKind;
use crate::model::link::{Artifacts, Link};
use crate::model::rule::ArtifactKind;
use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use std::sync::Arc;

/// The stages of the reference's `in_toto_verify`, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    LoadLayout,
    LayoutSignatures,
    LayoutPayload,
    Expiry,
    Parameters,
    LoadLinks,
    LinkSignatures,
    Sublayouts,
    CommandAlignment,
    ThresholdAgreement,
    ReduceLinks,
    StepRules,
    Inspections,
    InspectionRules,
}

impl Stage {
    pub const ALL: [Stage; 14] = [
        Stage::LoadLayout,
        Stage::LayoutSignatures,
        Stage::LayoutPayload,
        Stage::Expiry,
        Stage::Parameters,
        Stage::LoadLinks,
        Stage::LinkSignatures,
        Stage::Sublayouts,
        Stage::CommandAlignment,
        Stage::ThresholdAgreement,
        Stage::ReduceLinks,
        Stage::StepRules,
        Stage::Inspections,
        Stage::InspectionRules,
    ];

    /// A short human title.
    pub fn title(self) -> &'static str {
        match self {
            Stage::LoadLayout => "load layout",
            Stage::LayoutSignatures => "layout signatures",
            Stage::LayoutPayload => "layout payload",
            Stage::Expiry => "layout expiry",
            Stage::Parameters => "parameter substitution",
            Stage::LoadLinks => "load links",
            Stage::LinkSignatures => "link signatures and thresholds",
            Stage::Sublayouts => "sublayouts",
            Stage::CommandAlignment => "command alignment",
            Stage::ThresholdAgreement => "threshold agreement",
            Stage::ReduceLinks => "reduce links",
            Stage::StepRules => "step rules",
            Stage::Inspections => "inspections",
            Stage::InspectionRules => "inspection rules",
        }
    }
}

/// The outcome of a stage, item, link, rule set or rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    Warning,
    NotReached,
    Skipped,
}

impl Status {
    /// A glyph that does not rely on colour.
    pub fn glyph(self) -> &'static str {
        match self {
            Status::Passed => "✓",
            Status::Failed => "✗",
            Status::Warning => "!",
            Status::NotReached => "·",
            Status::Skipped => "-",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Warning => "warning",
            Status::NotReached => "not reached",
            Status::Skipped => "skipped",
        }
    }
}

/// One stage's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageResult {
    pub stage: Stage,
    pub status: Status,
    /// A one-line account of what the stage found.
    pub detail: String,
}

/// The check of one verification key against the layout's signatures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyCheck {
    pub keyid: String,
    pub ok: bool,
    pub message: String,
}

/// What became of one candidate link file of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum LinkState {
    /// No file at the expected path (or not readable as a file).
    Missing,
    /// The file could not be parsed: verification stops.
    LoadError(String),
    /// Not looked at: an earlier step already stopped verification.
    NotChecked,
    /// The keyid has no key in the layout: the link is skipped.
    Unauthorized(String),
    /// The signature by the authorized key is missing or invalid: the link is skipped.
    BadSignature(String),
    /// Validly signed by the authorized key.
    Verified,
}

/// One candidate link file of a step (`<step>.<keyid[:8]>.link`).
#[derive(Debug, Clone, Serialize)]
pub struct LinkReport {
    /// The authorized keyid the file name was derived from.
    pub keyid: String,
    /// The path that was looked at.
    pub file: String,
    #[serde(flatten)]
    pub state: LinkState,
    pub format: Option<Format>,
    /// Keyids that signed the file.
    pub signed_by: Vec<String>,
    /// The file holds a sublayout.
    pub sublayout: bool,
    /// The recorded command.
    pub command: Option<Vec<String>>,
    /// The recorded `name`, when it differs from the step name (the reference ignores it).
    pub name_mismatch: Option<String>,
    #[serde(skip)]
    pub link: Option<Arc<Link>>,
}

/// One rule's trace: what it consumed and what it left.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleReport {
    /// The rule as written in the layout.
    pub rule: Vec<String>,
    pub status: Status,
    /// Indices (into the rule set's artifacts) this rule consumed.
    pub consumed: Vec<u32>,
    /// For DISALLOW: the queued artifacts it matched (the failure); for REQUIRE: nothing.
    pub matched: Vec<u32>,
    /// For a failed REQUIRE: the required path.
    pub missing: Option<String>,
    /// A remark, e.g. "no link for step 'x'" for a MATCH that could consume nothing.
    pub note: Option<String>,
}

/// The trace of one rule list (`expected_materials` or `expected_products`) of an item.
#[derive(Debug, Clone)]
pub struct RuleSetReport {
    pub kind: ArtifactKind,
    pub status: Status,
    /// The artifacts the queue started with (the item's materials or products).
    pub artifacts: Arc<Artifacts>,
    pub rules: Vec<RuleReport>,
}

impl RuleSetReport {
    /// `expected_materials` / `expected_products`.
    pub fn rule_set(&self) -> &'static str {
        self.kind.rule_set()
    }

    /// The queue after rule `i` (paths, sorted).
    pub fn queue_after(&self, i: usize) -> Vec<&str> {
        let mut queued = vec![true; self.artifacts.len()];
        for r in self.rules.iter().take(i + 1) {
            for &c in &r.consumed {
                queued[c as usize] = false;
            }
        }
        queued
            .iter()
            .enumerate()
            .filter(|(_, q)| **q)
            .map(|(i, _)| self.artifacts.path(i))
            .collect()
    }

    /// The paths a rule consumed.
    pub fn consumed_paths(&self, i: usize) -> Vec<&str> {
        self.rules[i]
            .consumed
            .iter()
            .map(|&c| self.artifacts.path(c as usize))
            .collect()
    }

    /// The paths a rule matched (DISALLOW failure).
    pub fn matched_paths(&self, i: usize) -> Vec<&str> {
        self.rules[i]
            .matched
            .iter()
            .map(|&c| self.artifacts.path(c as usize))
            .collect()
    }

    /// The rule that consumed artifact index `a`, if any.
    pub fn consumer_of(&self, a: usize) -> Option<usize> {
        self.rules
            .iter()
            .position(|r| r.consumed.binary_search(&(a as u32)).is_ok())
    }
}

impl Serialize for RuleSetReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct R<'a> {
            rule: &'a [String],
            status: Status,
            consumed: Vec<&'a str>,
            queue_after: Vec<&'a str>,
            #[serde(skip_serializing_if = "Vec::is_empty")]
            matched: Vec<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            missing: &'a Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            note: &'a Option<String>,
        }
        let rules: Vec<R> = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| R {
                rule: &r.rule,
                status: r.status,
                consumed: self.consumed_paths(i),
                queue_after: if r.status == Status::NotReached {
                    Vec::new()
                } else {
                    self.queue_after(i)
                },
                matched: self.matched_paths(i),
                missing: &r.missing,
                note: &r.note,
            })
            .collect();
        let mut st = s.serialize_struct("RuleSetReport", 4)?;
        st.serialize_field("rule_set", self.rule_set())?;
        st.serialize_field("status", &self.status)?;
        st.serialize_field("queue", &self.artifacts.paths().collect::<Vec<_>>())?;
        st.serialize_field("rules", &rules)?;
        st.end()
    }
}

/// A step of the layout, as verification saw it.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    pub name: String,
    pub status: Status,
    pub threshold: i64,
    pub links: Vec<LinkReport>,
    /// The keyid whose link the rules used (the first verified in `pubkeys` order).
    pub used_link: Option<String>,
    /// The command-alignment warning for this step, if any.
    pub command_warnings: Vec<String>,
    /// The nested report when the step is delegated to a sublayout.
    pub sublayout: Option<Box<Report>>,
    pub materials: Option<RuleSetReport>,
    pub products: Option<RuleSetReport>,
    #[serde(skip)]
    pub link: Option<Arc<Link>>,
}

/// An inspection, as verification saw it.
#[derive(Debug, Clone, Serialize)]
pub struct InspectionReport {
    pub name: String,
    pub status: Status,
    pub run: Vec<String>,
    pub return_value: Option<i64>,
    /// What the command printed (the reference discards it, and the inspection's link
    /// records empty streams as the reference's does); often the reason it failed.
    pub stdout: Option<String>,
    pub stderr: Option<String>,
    /// The inspection link file written to the working directory, if any.
    pub link_file: Option<String>,
    pub error: Option<String>,
    pub materials: Option<RuleSetReport>,
    pub products: Option<RuleSetReport>,
    #[serde(skip)]
    pub link: Option<Arc<Link>>,
}

/// Why an artifact caught by a DISALLOW or REQUIRE was not handled by an earlier rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RootCause {
    pub artifact: String,
    /// The earlier rule that should have consumed the artifact (index in its rule set).
    pub rule_index: Option<usize>,
    pub rule: Option<Vec<String>>,
    /// What went wrong, in one sentence.
    pub explanation: String,
    /// Hash of the artifact in this item, and in the other step where a MATCH looked, each
    /// in full (`alg:hex`, comma-separated).
    pub hashes: Option<(String, Option<String>)>,
}

/// Where and why verification failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    pub stage: Stage,
    /// The exception class the reference (in-toto 3.1.0) raises here.
    pub reference_error: String,
    /// The step or inspection concerned (`null` for the layout itself).
    pub item: Option<String>,
    /// `step` or `inspection`, when `item` is set.
    pub item_kind: Option<ItemKind>,
    /// `expected_materials` or `expected_products` for rule failures.
    #[serde(serialize_with = "crate::model::rule::serialize_rule_set")]
    pub rule_set: Option<ArtifactKind>,
    /// The failing rule as written in the layout.
    pub rule: Option<Vec<String>>,
    pub rule_index: Option<usize>,
    /// The offending artifacts, sorted.
    pub artifacts: Vec<String>,
    /// Names of the sublayout steps the failure happened inside, outermost first.
    pub sublayout_path: Vec<String>,
    pub message: String,
    pub root_causes: Vec<RootCause>,
}

/// Facts about the layout that was verified.
#[derive(Debug, Clone, Serialize, Default)]
pub struct LayoutInfo {
    pub format: Option<Format>,
    pub expires: Option<String>,
    pub expired: Option<bool>,
    pub readme: Option<String>,
    pub key_checks: Vec<KeyCheck>,
}

/// The whole verification result.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// True when every stage passed (and inspections ran).
    pub passed: bool,
    /// Warnings the reference would log (command misalignment, also from sublayouts).
    pub warnings: Vec<String>,
    pub failure: Option<Failure>,
    /// False when verification stopped early on purpose (inspections not confirmed).
    pub complete: bool,
    pub layout: LayoutInfo,
    pub stages: Vec<StageResult>,
    pub steps: Vec<StepReport>,
    pub inspections: Vec<InspectionReport>,
    /// Hints that go beyond the reference (e.g. a link whose `name` differs from its step).
    pub notes: Vec<String>,
    /// Names of keyids (the `.pub` files they were read from), set by the caller; the views
    /// show them beside keyids.
    #[serde(skip_serializing_if = "KeyNames::is_empty")]
    pub key_names: KeyNames,
    #[serde(skip)]
    pub summary: Option<Arc<Link>>,
    #[serde(skip)]
    pub layout_model: Option<Arc<crate::model::layout::Layout>>,
}

impl Report {
    pub(crate) fn new() -> Report {
        Report {
            passed: false,
            warnings: Vec::new(),
            failure: None,
            complete: true,
            layout: LayoutInfo::default(),
            stages: Stage::ALL
                .iter()
                .map(|&stage| StageResult {
                    stage,
                    status: Status::NotReached,
                    detail: String::new(),
                })
                .collect(),
            steps: Vec::new(),
            inspections: Vec::new(),
            notes: Vec::new(),
            key_names: KeyNames::default(),
            summary: None,
            layout_model: None,
        }
    }

    /// The result of one stage.
    pub fn stage(&self, stage: Stage) -> &StageResult {
        self.stages
            .iter()
            .find(|s| s.stage == stage)
            .expect("all stages present")
    }

    pub(crate) fn set_stage(&mut self, stage: Stage, status: Status, detail: impl Into<String>) {
        if let Some(s) = self.stages.iter_mut().find(|s| s.stage == stage) {
            s.status = status;
            s.detail = detail.into();
        }
    }

    pub fn step(&self, name: &str) -> Option<&StepReport> {
        self.steps.iter().find(|s| s.name == name)
    }

    pub fn inspection(&self, name: &str) -> Option<&InspectionReport> {
        self.inspections.iter().find(|s| s.name == name)
    }

    /// The innermost report the failure happened in (following sublayouts).
    pub fn failing_report(&self) -> &Report {
        let mut r = self;
        if let Some(f) = &self.failure {
            for name in &f.sublayout_path {
                match r.step(name).and_then(|s| s.sublayout.as_deref()) {
                    Some(sub) => r = sub,
                    None => break,
                }
            }
        }
        r
    }

    /// The rule set trace the failure points at, if it is a rule failure.
    pub fn failing_rule_set(&self) -> Option<&RuleSetReport> {
        let f = self.failure.as_ref()?;
        let item = f.item.as_deref()?;
        let set = f.rule_set?;
        let r = self.failing_report();
        let (m, p) = if let Some(s) = r.step(item) {
            (s.materials.as_ref(), s.products.as_ref())
        } else {
            let i = r.inspection(item)?;
            (i.materials.as_ref(), i.products.as_ref())
        };
        if set == ArtifactKind::Materials { m } else { p }
    }
}

/// Names for keyids, shown beside them: the file a key was read, imported or generated
/// from (`mallory` for `mallory.pub`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct KeyNames(std::collections::BTreeMap<String, String>);

impl KeyNames {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Add `other`'s names, which win over names already here.
    pub fn extend(&mut self, other: KeyNames) {
        self.0.extend(other.0);
    }

    pub fn insert(&mut self, keyid: &str, name: &str) {
        self.0.insert(keyid.to_string(), name.to_string());
    }

    /// The name of `keyid`, if it has one.
    pub fn name(&self, keyid: &str) -> Option<&str> {
        self.0.get(keyid).map(String::as_str)
    }

    /// The first `n` characters of `keyid`, with its name if it has one.
    pub fn show(&self, keyid: &str, n: usize) -> String {
        let short = crate::py::prefix(keyid, n);
        match self.0.get(keyid) {
            Some(name) => format!("{short} ({name})"),
            None => short.to_string(),
        }
    }

    /// The names for a chain: its verification keys' files and the `.pub` files beside its
    /// layout.
    pub fn for_chain(keys: &[std::path::PathBuf], layout: Option<&std::path::Path>) -> KeyNames {
        let dir = layout.and_then(std::path::Path::parent).map(|d| {
            if d.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                d
            }
        });
        KeyNames::from_files(keys, &dir.into_iter().collect::<Vec<_>>())
    }

    /// Name the keys of `.pub` files (by their file stem): those given, and those in the
    /// folders given. Files that do not read as a public key are left out.
    pub fn from_files(files: &[std::path::PathBuf], dirs: &[&std::path::Path]) -> KeyNames {
        let mut all: Vec<std::path::PathBuf> = files.to_vec();
        for d in dirs {
            if let Ok(rd) = std::fs::read_dir(d) {
                all.extend(
                    rd.filter_map(|e| e.ok())
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|x| x == "pub")),
                );
            }
        }
        let mut names = KeyNames::default();
        for f in all {
            let Some(stem) = f.file_stem().map(|s| s.to_string_lossy().to_string()) else {
                continue;
            };
            if let Ok(keys) = crate::crypto::load_public_keys(std::slice::from_ref(&f)) {
                for k in keys {
                    names
                        .0
                        .entry(k.keyid.clone())
                        .or_insert_with(|| stem.clone());
                }
            }
        }
        names
    }
}
