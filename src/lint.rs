//! Static checks of a layout: the findings the `lint` subcommand prints and the TUI's live
//! lint panel shows.
//!
//! Every check is derived from how the reference (in-toto 3.1.0) verifies a layout: a
//! finding is an **error** when verification with this layout is bound to fail or to be
//! meaningless (e.g. a `MATCH` against a name that has no link, a `REQUIRE` that can never
//! pass, a threshold no set of functionaries can reach), a **warning** when the layout
//! verifies but probably not as intended (leftover artifacts implicitly allowed, patterns
//! that can never match, ...), and **info** for things to know (parameters that need
//! `--param`).
//!
//! Findings come in a deterministic order: layout-level findings first, then each step and
//! inspection in layout order; within an item, item-level findings, then its
//! `expected_materials` rules and its `expected_products` rules in order. Every finding of a
//! single rule carries the rule set and the rule index (0-based); findings about a whole
//! rule list (e.g. no trailing `DISALLOW *`) carry the rule set without an index.
//!
//! [`lint`] takes a parsed [`Layout`] (which may have been built programmatically, e.g. by
//! the editor, so duplicate names and unparsable rules are checked too); [`lint_value`] and
//! [`lint_file`] also accept JSON the strict parser rejects for those two reasons.

use crate::Exc;
use crate::error::{Error, Result};
use crate::model::envelope::{self, Metadata, Payload};
use crate::model::layout::{Inspection, Layout, Step, format_expires, parse_expires, utc_civil};
use crate::model::params;
use crate::model::rule::{ArtifactKind, Rule, RuleKind};
use crate::py::fnmatch::Pattern;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Verification with this layout fails, or is meaningless.
    Error,
    /// Verification works, but probably not as intended.
    Warning,
    /// Worth knowing.
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// The check.
    pub code: Check,
    /// The step or inspection concerned; `None` for the layout itself.
    pub item: Option<String>,
    /// `"expected_materials"` or `"expected_products"` for rule findings.
    #[serde(serialize_with = "crate::model::rule::serialize_rule_set")]
    pub rule_set: Option<ArtifactKind>,
    /// The index (0-based) of the rule in its rule set.
    pub rule_index: Option<usize>,
    pub message: String,
    /// What to change (never empty).
    pub suggestion: String,
    /// The change, when it can be made for the user (the TUI's `f`); not in JSON.
    #[serde(skip)]
    pub fix: Option<Fix>,
}

/// A change to the layout that does what a finding suggests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Append `DISALLOW *` to the finding's rule list.
    AppendDisallowAll,
    /// Remove this key from `keys`.
    RemoveKey(String),
    /// Set the step's threshold.
    SetThreshold(i64),
    /// Keep each keyid of the step's `pubkeys` once.
    DedupePubkeys,
    /// Move the finding's rule to this index (before the `DISALLOW *` it follows).
    MoveRuleTo(usize),
    /// Set `expires`.
    SetExpires(String),
    /// Make the finding's MATCH rule take its artifacts FROM this item.
    MatchFrom(String),
}

impl Fix {
    /// What applying it does, for a hint.
    pub fn label(&self) -> String {
        match self {
            Fix::AppendDisallowAll => "append `DISALLOW *`".into(),
            Fix::RemoveKey(id) => {
                format!("remove the key {} from `keys`", crate::py::prefix(id, 8))
            }
            Fix::SetThreshold(n) => format!("set the threshold to {n}"),
            Fix::DedupePubkeys => "remove the repeated keyids".into(),
            Fix::MoveRuleTo(j) => format!("move the rule to #{}", j + 1),
            Fix::SetExpires(e) => format!("set `expires` to {e}"),
            Fix::MatchFrom(n) => format!("MATCH FROM '{n}'"),
        }
    }
}

impl Finding {
    /// Make the change [`Finding::fix`] describes; an error when the layout no longer has
    /// what the finding was about.
    pub fn apply_fix(&self, layout: &mut Layout) -> Result<()> {
        let gone = || {
            Error::new(
                Exc::ValueError,
                "the layout changed since this finding: lint again",
            )
        };
        let fix = self.fix.as_ref().ok_or_else(|| {
            Error::new(
                Exc::ValueError,
                "this finding has no automatic fix: see its advice",
            )
        })?;
        let item = self
            .item
            .as_deref()
            .and_then(|n| crate::model::edit::find(layout, n));
        let step = || match item {
            Some(r) if r.kind == crate::model::edit::ItemKind::Step => Ok(r.index),
            _ => Err(gone()),
        };
        match fix {
            Fix::SetExpires(e) => layout.expires = e.clone(),
            Fix::RemoveKey(id) => {
                layout.keys.remove(id).ok_or_else(gone)?;
            }
            Fix::SetThreshold(n) => {
                let i = step()?;
                layout.steps[i].threshold = *n;
                layout.steps[i].threshold_json = None;
            }
            Fix::DedupePubkeys => {
                let i = step()?;
                let mut seen = BTreeSet::new();
                layout.steps[i].pubkeys.retain(|k| seen.insert(k.clone()));
            }
            Fix::AppendDisallowAll | Fix::MoveRuleTo(_) | Fix::MatchFrom(_) => {
                let (Some(item), Some(kind)) = (item, self.rule_set) else {
                    return Err(gone());
                };
                let rules = crate::model::edit::rules_mut(layout, item, kind).ok_or_else(gone)?;
                let at = self.rule_index.filter(|&i| i < rules.len());
                match (fix, at) {
                    (Fix::AppendDisallowAll, _) => {
                        rules.push(Rule::from_kind(RuleKind::Disallow("*".into())))
                    }
                    (Fix::MoveRuleTo(j), Some(i)) if *j < i => {
                        let r = rules.remove(i);
                        rules.insert(*j, r);
                    }
                    (Fix::MatchFrom(n), Some(i)) => {
                        let mut t = rules[i].tokens().to_vec();
                        let is_match = matches!(rules[i].kind(), Ok(RuleKind::Match { .. }));
                        match t.last_mut() {
                            Some(last) if is_match => *last = n.clone(),
                            _ => return Err(gone()),
                        }
                        rules[i] = Rule::from_tokens(t)?;
                    }
                    _ => return Err(gone()),
                }
            }
        }
        Ok(())
    }
}

/// Declares [`Check`] from its table: variant = code, severity, what it detects.
macro_rules! checks {
    ($($variant:ident = $code:literal, $sev:ident, $what:literal;)*) => {
        /// Every check: its code, its severity and what it detects.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Check {
            $($variant,)*
        }

        impl Check {
            /// Every check, in the order the documentation lists them.
            pub const ALL: &[Check] = &[$(Check::$variant,)*];

            /// The stable kebab-case code (in text and JSON output).
            pub const fn code(self) -> &'static str {
                match self {
                    $(Check::$variant => $code,)*
                }
            }

            pub const fn severity(self) -> Severity {
                match self {
                    $(Check::$variant => Severity::$sev,)*
                }
            }

            /// What the check detects.
            pub const fn description(self) -> &'static str {
                match self {
                    $(Check::$variant => $what,)*
                }
            }
        }
    };
}

checks! {
    InvalidLayout = "invalid-layout", Error, "the file or value is not a layout the reference accepts";
    ExpiresInvalid = "expires-invalid", Error, "`expires` is not YYYY-MM-DDTHH:MM:SSZ";
    Expired = "expired", Error, "the layout has expired";
    ExpiresSoon = "expires-soon", Warning, "the layout expires within 30 days";
    NoSteps = "no-steps", Warning, "the layout has no steps: no link is checked";
    KeyIdMismatch = "key-id-mismatch", Warning, "an entry of `keys` is named differently from the keyid inside it";
    KeyUnused = "key-unused", Warning, "a key in `keys` is authorized for no step";
    DuplicateName = "duplicate-name", Error, "two steps or inspections have the same name";
    NameNotString = "name-not-string", Warning, "a name is not a JSON string";
    NameEmpty = "name-empty", Warning, "a name is empty";
    NamePathSeparator = "name-path-separator", Warning, "a name contains `/` or `\\` (link file names are built from it)";
    NameEscapesLinkDir = "name-escapes-link-dir", Error, "a name is absolute or has a `..` component: its link file lies outside the link directory";
    NoFunctionaries = "no-functionaries", Error, "a step authorizes no key";
    ExpectedCommandEmpty = "expected-command-empty", Info, "a step's `expected_command` is empty: every link that records a command draws a warning";
    DuplicatePubkey = "duplicate-pubkey", Warning, "a step lists the same keyid twice";
    PubkeyNotInKeys = "pubkey-not-in-keys", Error, "an authorized keyid has no key in `keys`: its links are never accepted";
    ThresholdBelowOne = "threshold-below-one", Error, "a step's threshold is 0 or negative";
    ThresholdTooHigh = "threshold-too-high", Error, "a step's threshold exceeds its usable authorized keys";
    InspectionEmptyRun = "inspection-empty-run", Error, "an inspection has no command";
    InspectionRunNotString = "inspection-run-not-string", Error, "an inspection's `run` has an element that is not a string";
    Parameter = "parameter", Info, "`{NAME}` parameters need `--param NAME=VALUE`";
    ParameterSyntax = "parameter-syntax", Warning, "braces that fail parameter substitution";
    RuleUnparsable = "rule-unparsable", Error, "a rule does not parse";
    MatchUnknownSource = "match-unknown-source", Error, "MATCH ... FROM a name that is no step or inspection";
    MatchStepFromInspection = "match-step-from-inspection", Error, "a step rule MATCHes FROM an inspection (never available to step rules)";
    MatchPrefixNotNormalised = "match-prefix-not-normalised", Warning, "a MATCH `IN` prefix that recorded paths never have (`./x`, `a//b`)";
    PatternNeverMatches = "pattern-never-matches", Warning, "a pattern that no recorded artifact path can match";
    CreateInMaterials = "create-in-materials", Warning, "CREATE in expected_materials never consumes anything";
    DeleteInProducts = "delete-in-products", Warning, "DELETE in expected_products never consumes anything";
    RequireNeverPasses = "require-never-passes", Error, "REQUIRE of a path no recorded artifact can have";
    RequireGlob = "require-glob", Warning, "REQUIRE with a wildcard (REQUIRE takes a literal path)";
    RequireAfterConsume = "require-after-consume", Error, "REQUIRE after a rule that already consumes its path";
    RequireAfterDisallow = "require-after-disallow", Error, "REQUIRE after a DISALLOW that matches its path";
    RuleAfterDisallowAll = "rule-after-disallow-all", Warning, "a rule after `DISALLOW *` (the queue is empty by then)";
    NoTrailingDisallow = "no-trailing-disallow", Warning, "a rule list without `DISALLOW *`: leftover artifacts are implicitly allowed";
    NoRules = "no-rules", Info, "an empty rule list: every artifact is accepted";
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Check {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// Tests and tools compare findings with codes as written.
impl PartialEq<&str> for Check {
    fn eq(&self, other: &&str) -> bool {
        self.code() == *other
    }
}

/// A layout expiring within this many days gets an `expires-soon` warning.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// Lint a layout. `now` is the clock for the expiry checks.
pub fn lint(layout: &Layout, now: jiff::Timestamp) -> Vec<Finding> {
    let mut cx = Ctx::new(layout);
    cx.layout_checks(now);
    let items = items(layout);
    for (i, item) in items.iter().enumerate() {
        cx.item_checks(item, &items[..i]);
    }
    cx.out
}

/// Lint a layout given as JSON: the signed body, a legacy metablock (`signed`) or a DSSE
/// envelope. Unlike [`Layout::from_value`], duplicate names and unparsable rules become
/// findings next to all the other checks; anything else the reference rejects becomes an
/// `invalid-layout` finding.
pub fn lint_value(value: &Value, now: jiff::Timestamp) -> Vec<Finding> {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    lint_json(&bytes, Some(value), now)
}

/// Lint a layout file in either format, signed or not (also a bare layout object).
/// Errors only when the file cannot be read; content the reference rejects gives
/// `invalid-layout` findings (see [`lint_value`]).
pub fn lint_file(path: &Path, now: jiff::Timestamp) -> Result<Vec<Finding>> {
    let bytes = envelope::read_file(path)?;
    Ok(lint_json(&bytes, None, now))
}

/// Load a layout file in either format (legacy metablock or DSSE), signed or not; a bare
/// layout object (no envelope) is accepted too. Signatures are not checked.
pub fn load_layout(path: &Path) -> Result<Layout> {
    let bytes = envelope::read_file(path)?;
    parse_layout_bytes(&bytes).map_err(|e| match e.class {
        Exc::NotALayout => {
            Error::format(format!("'{}' holds a link, not a layout", path.display()))
        }
        _ => e,
    })
}

/// The strict parse of [`load_layout`].
fn parse_layout_bytes(bytes: &[u8]) -> Result<Layout> {
    match Metadata::from_bytes(bytes) {
        Ok(md) => match md.payload()? {
            Payload::Layout(l) => Ok((**l).clone()),
            Payload::Link(_) => Err(Error::new(Exc::NotALayout, "this is a link, not a layout")),
        },
        Err(e) if e.class == Exc::InvalidMetadata => {
            let (value, _) = crate::py::json::loads(bytes).map_err(|_| e.clone())?;
            match value.as_object() {
                Some(m)
                    if !m.contains_key("payload")
                        && !m.contains_key("signed")
                        && (m.get("_type").and_then(Value::as_str) == Some("layout")
                            || (m.get("_type").is_none() && m.contains_key("steps"))) =>
                {
                    Layout::from_value(&value)
                }
                _ => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// Whether the lenient parse handles the reason the strict parse failed.
fn lenient_handles(e: &Error) -> bool {
    e.class == Exc::FormatError
        && (e.message.starts_with("There is already a")
            || e.message.starts_with("Wrong rule format"))
}

fn lint_json(bytes: &[u8], value: Option<&Value>, now: jiff::Timestamp) -> Vec<Finding> {
    let strict = match parse_layout_bytes(bytes) {
        Ok(layout) => return lint(&layout, now),
        Err(e) => e,
    };
    if !lenient_handles(&strict) {
        return vec![invalid_layout(&strict)];
    }
    let parsed;
    let value = match value {
        Some(v) => v,
        None => match crate::py::json::loads(bytes) {
            Ok((v, _)) => {
                parsed = v;
                &parsed
            }
            Err(_) => return vec![invalid_layout(&strict)],
        },
    };
    let lenient = layout_body(value).and_then(|b| lenient_layout(&b));
    match lenient {
        Ok(layout) => {
            let mut findings = lint(&layout, now);
            if let Err(e) = crate::py::json::check_encodable(&layout.to_value(), None) {
                findings.insert(0, invalid_layout(&e));
            }
            if !has_errors(&findings) {
                findings.insert(0, invalid_layout(&strict));
            }
            findings
        }
        Err(e) => {
            let mut findings = vec![invalid_layout(&strict)];
            if e != strict {
                findings.push(invalid_layout(&e));
            }
            findings
        }
    }
}

/// Whether any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// `{"findings": [...]}`.
pub fn to_json(findings: &[Finding]) -> Value {
    json!({ "findings": findings })
}

/// Human-readable findings, one block per finding, and a summary line.
///
/// ```text
/// error[match-unknown-source] package, expected_materials #1: ...
///   help: ...
/// ```
pub fn render_text(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let _ = write!(out, "{}[{}]", f.severity.as_str(), f.code);
        let mut loc = Vec::new();
        match f.item.as_deref() {
            Some("") => loc.push("''".to_string()),
            Some(item) => loc.push(item.to_string()),
            None => {}
        }
        match (&f.rule_set, f.rule_index) {
            (Some(set), Some(i)) => loc.push(format!("{} #{}", set.rule_set(), i + 1)),
            (Some(set), None) => loc.push(set.rule_set().to_string()),
            _ => {}
        }
        if loc.is_empty() {
            let _ = writeln!(out, " layout: {}", f.message);
        } else {
            let _ = writeln!(out, " {}: {}", loc.join(", "), f.message);
        }
        let _ = writeln!(out, "  help: {}", f.suggestion);
    }
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    if findings.is_empty() {
        out.push_str("no findings\n");
    } else {
        let (e, w, i) = (
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Info),
        );
        let _ = writeln!(
            out,
            "{e} error{}, {w} warning{}, {i} info",
            plural(e),
            plural(w)
        );
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

// ---------------------------------------------------------------------------------------
// Loading helpers

fn invalid_layout(e: &Error) -> Finding {
    Finding {
        severity: Severity::Error,
        code: Check::InvalidLayout,
        item: None,
        rule_set: None,
        rule_index: None,
        message: if e.class == Exc::NotALayout {
            "this is a link, not a layout".to_string()
        } else {
            format!("the reference rejects this layout: {e}")
        },
        suggestion: "fix the field named in the message so that the layout parses (see the \
                     in-toto layout format: steps, inspect, keys, expires, readme)"
            .into(),
        fix: None,
    }
}

/// The layout object inside a value that may be an envelope (the strict parse has already
/// accepted the envelope).
fn layout_body(value: &Value) -> Result<Value> {
    let Some(m) = value.as_object() else {
        return Err(Error::new(Exc::InvalidMetadata, ""));
    };
    if let Some(Value::String(p)) = m.get("payload") {
        let bytes = crate::py::base64::b64dec(p)?;
        crate::py::json::loads(&bytes).map(|(v, _)| v)
    } else if let Some(signed) = m.get("signed") {
        Ok(signed.clone())
    } else {
        Ok(value.clone())
    }
}

/// Build a layout the way the reference does, except that duplicate names are kept and
/// rules that do not parse are kept unparsed.
fn lenient_layout(body: &Value) -> Result<Layout> {
    let m = body
        .as_object()
        .ok_or_else(|| Error::format("Invalid Metadata format"))?;
    let (Some(Value::Array(steps)), Some(Value::Array(inspect))) =
        (m.get("steps"), m.get("inspect"))
    else {
        return Layout::from_value(body);
    };
    let mut shell = m.clone();
    shell.insert("steps".into(), Value::Array(Vec::new()));
    shell.insert("inspect".into(), Value::Array(Vec::new()));
    let mut layout = Layout::from_value(&Value::Object(shell))?;
    for s in steps {
        let (v, mats, prods) = split_rules(s);
        let mut step = Step::from_value(&v)?;
        if let Some(r) = mats {
            step.expected_materials = r;
        }
        if let Some(r) = prods {
            step.expected_products = r;
        }
        layout.steps.push(step);
    }
    for i in inspect {
        let (v, mats, prods) = split_rules(i);
        let mut insp = Inspection::from_value(&v)?;
        if let Some(r) = mats {
            insp.expected_materials = r;
        }
        if let Some(r) = prods {
            insp.expected_products = r;
        }
        layout.inspect.push(insp);
    }
    Ok(layout)
}

type SplitItem = (Value, Option<Vec<Rule>>, Option<Vec<Rule>>);

/// Take the rule lists out of an item when they are lists of string lists, parsed
/// leniently; anything else stays for the strict parser to report.
fn split_rules(item: &Value) -> SplitItem {
    let mut item = item.clone();
    let mut take = |field: &str| -> Option<Vec<Rule>> {
        let m = item.as_object_mut()?;
        let Some(Value::Array(list)) = m.get(field) else {
            return None;
        };
        let mut rules = Vec::with_capacity(list.len());
        for r in list {
            let Value::Array(tokens) = r else { return None };
            let tokens = tokens
                .iter()
                .map(|t| t.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()?;
            rules.push(Rule::from_tokens_lenient(tokens));
        }
        m.remove(field);
        Some(rules)
    };
    let mats = take("expected_materials");
    let prods = take("expected_products");
    (item, mats, prods)
}

// ---------------------------------------------------------------------------------------
// The checks

/// A step or an inspection.
struct Item<'a> {
    name: &'a str,
    name_json: Option<&'a Value>,
    step: Option<&'a Step>,
    inspection: Option<&'a Inspection>,
}

impl Item<'_> {
    fn is_step(&self) -> bool {
        self.step.is_some()
    }

    fn kind_word(&self) -> &'static str {
        if self.is_step() { "step" } else { "inspection" }
    }

    fn rules(&self, kind: ArtifactKind) -> &[Rule] {
        match (self.step, self.inspection) {
            (Some(s), _) => s.rules(kind),
            (_, Some(i)) => i.rules(kind),
            _ => &[],
        }
    }

    /// The name as the reference compares names (`None`, ints, ... stay distinct).
    fn name_value(&self) -> Value {
        self.name_json
            .cloned()
            .unwrap_or_else(|| Value::String(self.name.to_string()))
    }
}

fn items(layout: &Layout) -> Vec<Item<'_>> {
    let steps = layout.steps.iter().map(|s| Item {
        name: &s.name,
        name_json: s.name_json.as_ref(),
        step: Some(s),
        inspection: None,
    });
    let insps = layout.inspect.iter().map(|i| Item {
        name: &i.name,
        name_json: i.name_json.as_ref(),
        step: None,
        inspection: Some(i),
    });
    steps.chain(insps).collect()
}

struct Ctx<'a> {
    layout: &'a Layout,
    /// Names a MATCH can find: string-named steps and inspections.
    steps: Vec<&'a str>,
    inspections: Vec<&'a str>,
    /// Subkey id → main keyid (GPG-style `subkeys` in key dicts).
    main_of_subkey: BTreeMap<String, String>,
    out: Vec<Finding>,
}

impl<'a> Ctx<'a> {
    fn new(layout: &'a Layout) -> Ctx<'a> {
        let mut main_of_subkey = BTreeMap::new();
        for (id, k) in &layout.keys {
            if let Some(Value::Object(sub)) = k.dict.get("subkeys") {
                for s in sub.keys() {
                    main_of_subkey.insert(s.clone(), id.clone());
                }
            }
        }
        Ctx {
            layout,
            steps: layout
                .steps
                .iter()
                .filter(|s| s.name_json.is_none())
                .map(|s| s.name.as_str())
                .collect(),
            inspections: layout
                .inspect
                .iter()
                .filter(|i| i.name_json.is_none())
                .map(|i| i.name.as_str())
                .collect(),
            main_of_subkey,
            out: Vec::new(),
        }
    }

    fn layout_finding(&mut self, code: Check, message: String, suggestion: String) {
        self.out.push(Finding {
            severity: code.severity(),
            code,
            item: None,
            rule_set: None,
            rule_index: None,
            message,
            suggestion,
            fix: None,
        });
    }

    fn item_finding(&mut self, code: Check, item: &str, message: String, suggestion: String) {
        self.out.push(Finding {
            severity: code.severity(),
            code,
            item: Some(item.to_string()),
            rule_set: None,
            rule_index: None,
            message,
            suggestion,
            fix: None,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn rule_finding(
        &mut self,
        code: Check,
        item: &str,
        kind: ArtifactKind,
        index: Option<usize>,
        message: String,
        suggestion: String,
    ) {
        self.out.push(Finding {
            severity: code.severity(),
            code,
            item: Some(item.to_string()),
            rule_set: Some(kind),
            rule_index: index,
            message,
            suggestion,
            fix: None,
        });
    }

    /// Attach a fix to the finding just made.
    fn fix(&mut self, fix: Fix) {
        if let Some(f) = self.out.last_mut() {
            f.fix = Some(fix);
        }
    }

    // -- layout level ---------------------------------------------------------------------

    fn layout_checks(&mut self, now: jiff::Timestamp) {
        let layout = self.layout;
        // The reference compares `expires` as a UTC civil date-time.
        let now = utc_civil(now);
        let later = format_expires(
            now.checked_add(jiff::SignedDuration::from_hours(24 * 365))
                .unwrap_or(now),
        );
        match parse_expires(&layout.expires) {
            Err(e) => self.layout_finding(
                Check::ExpiresInvalid,
                format!(
                    "`expires` is '{}', which the reference rejects: {}",
                    layout.expires, e.message
                ),
                format!("write `expires` as YYYY-MM-DDTHH:MM:SSZ in UTC, e.g. {later}"),
            ),
            Ok(t) if t <= now => {
                self.layout_finding(
                    Check::Expired,
                    format!(
                        "the layout expired at {} (verification fails with LayoutExpiredError)",
                        layout.expires
                    ),
                    format!(
                        "set `expires` to a later date, e.g. {later}, and sign the layout again"
                    ),
                );
                self.fix(Fix::SetExpires(later.clone()));
            }
            Ok(t) => {
                let left = t.duration_since(now).as_secs();
                if left < EXPIRY_WARNING_DAYS * 86_400 {
                    let days = left / 86_400;
                    let when = match days {
                        0 => "in less than a day".to_string(),
                        1 => "in 1 day".to_string(),
                        d => format!("in {d} days"),
                    };
                    self.layout_finding(
                        Check::ExpiresSoon,
                        format!("the layout expires at {} ({when})", layout.expires),
                        format!(
                            "set `expires` to a later date, e.g. {later}, and sign the layout \
                             again"
                        ),
                    );
                    self.fix(Fix::SetExpires(later.clone()));
                }
            }
        }

        if layout.steps.is_empty() {
            self.layout_finding(
                Check::NoSteps,
                "the layout has no steps: verification checks no link at all".into(),
                "add the steps of the supply chain, each with its functionaries' keyids in \
                 `pubkeys`"
                    .into(),
            );
        }

        for (id, k) in &layout.keys {
            if &k.key.keyid != id {
                self.layout_finding(
                    Check::KeyIdMismatch,
                    format!(
                        "the entry '{id}' of `keys` holds a key whose keyid is '{}': link files \
                         are looked up by the entry name but signatures by the inner keyid",
                        k.key.keyid
                    ),
                    format!(
                        "name the entry '{}' (and use that keyid in the steps' pubkeys)",
                        k.key.keyid
                    ),
                );
            }
        }

        let used: BTreeSet<&str> = layout
            .steps
            .iter()
            .flat_map(|s| s.pubkeys.iter().map(String::as_str))
            .collect();
        for (id, k) in &layout.keys {
            let sub_used = matches!(k.dict.get("subkeys"), Some(Value::Object(sub))
                if sub.keys().any(|s| used.contains(s.as_str())));
            if !used.contains(id.as_str()) && !sub_used {
                self.layout_finding(
                    Check::KeyUnused,
                    format!("the key '{id}' in `keys` is authorized for no step"),
                    format!(
                        "add '{id}' to the `pubkeys` of the step(s) its owner performs, or \
                         remove it from `keys`"
                    ),
                );
                self.fix(Fix::RemoveKey(id.clone()));
            }
        }
    }

    // -- item level -----------------------------------------------------------------------

    fn item_checks(&mut self, item: &Item<'_>, earlier: &[Item<'_>]) {
        let name = item.name;
        let nv = item.name_value();
        if let Some(prev) = earlier.iter().find(|p| p.name_value() == nv) {
            self.item_finding(
                Check::DuplicateName,
                name,
                format!(
                    "there is already a {} named '{name}'; names must be unique across steps \
                     and inspections (the reference rejects the layout)",
                    prev.kind_word()
                ),
                format!(
                    "rename this {} to a name no other item uses",
                    item.kind_word()
                ),
            );
        }
        self.name_checks(item);
        if let Some(step) = item.step {
            self.step_checks(step);
        }
        if let Some(insp) = item.inspection {
            self.inspection_checks(insp);
        }
        for kind in [ArtifactKind::Materials, ArtifactKind::Products] {
            self.rule_checks(item, kind);
        }
    }

    fn name_checks(&mut self, item: &Item<'_>) {
        let name = item.name;
        let file = if item.is_step() {
            format!("{name}.<keyid[:8]>.link")
        } else {
            format!("{name}.link")
        };
        if let Some(v) = item.name_json {
            self.item_finding(
                Check::NameNotString,
                name,
                format!(
                    "the {} name is the JSON value {v}, not a string: the reference uses \
                     str(name) = '{name}' for its link file, and no MATCH rule can refer to it",
                    item.kind_word()
                ),
                "give it a string name".into(),
            );
        } else if name.is_empty() {
            self.item_finding(
                Check::NameEmpty,
                name,
                format!(
                    "the {} has an empty name; its link file would be '{file}'",
                    item.kind_word()
                ),
                "give it a short descriptive name, e.g. 'build'".into(),
            );
        }
        let has_sep = name.contains(['/', '\\']);
        let absolute = name.starts_with(['/', '\\'])
            || (name.len() >= 2
                && name.as_bytes()[1] == b':'
                && name.as_bytes()[0].is_ascii_alphabetic());
        let dotdot = has_sep && name.split(['/', '\\']).any(|c| c == "..");
        let safe = name
            .split(['/', '\\'])
            .filter(|c| !c.is_empty() && *c != "." && *c != "..")
            .collect::<Vec<_>>()
            .join("-");
        let safe = if safe.is_empty() {
            "step".to_string()
        } else {
            safe
        };
        if absolute || dotdot {
            self.item_finding(
                Check::NameEscapesLinkDir,
                name,
                format!(
                    "the name '{name}' makes the link file '{file}' lie outside the link \
                     directory{}",
                    if item.is_step() {
                        ""
                    } else {
                        " (the inspection link is written relative to the working directory)"
                    }
                ),
                format!("rename it without path components, e.g. '{safe}'"),
            );
        } else if has_sep {
            self.item_finding(
                Check::NamePathSeparator,
                name,
                format!(
                    "the name '{name}' contains a path separator: its link file '{file}' lies \
                     in a subdirectory ('\\' is one on Windows only), which in-toto-run does \
                     not create"
                ),
                format!("rename it without '/' or '\\', e.g. '{safe}'"),
            );
        }
    }

    fn step_checks(&mut self, step: &Step) {
        let name = step.name.as_str();
        let layout = self.layout;
        if step.pubkeys.is_empty() {
            self.item_finding(
                Check::NoFunctionaries,
                name,
                format!(
                    "step '{name}' authorizes no functionary (`pubkeys` is empty): no link can \
                     be accepted for it, so verification fails"
                ),
                format!(
                    "add the keyid of the functionary who performs '{name}' to its `pubkeys`, \
                     and the key to the layout's `keys`"
                ),
            );
        }
        if step.expected_command.is_empty() {
            self.item_finding(
                Check::ExpectedCommandEmpty,
                name,
                format!(
                    "step '{name}' has an empty `expected_command`: verification warns for \
                     every link of it that records a command (the reference compares them)"
                ),
                format!(
                    "set `expected_command` of '{name}' to the command its functionary runs, \
                     e.g. [\"make\", \"build\"]"
                ),
            );
        }
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut mains: BTreeSet<String> = BTreeSet::new();
        for pk in &step.pubkeys {
            if !seen.insert(pk) {
                self.item_finding(
                    Check::DuplicatePubkey,
                    name,
                    format!("step '{name}' lists the keyid '{pk}' more than once; it counts once"),
                    format!("remove the repeated '{pk}' from `pubkeys`"),
                );
                self.fix(Fix::DedupePubkeys);
                continue;
            }
            if layout.keys.contains_key(pk) {
                mains.insert(pk.clone());
            } else if let Some(main) = self.main_of_subkey.get(pk) {
                mains.insert(main.clone());
            } else {
                let similar = layout.keys.keys().find(|k| {
                    k.starts_with(pk.as_str())
                        || pk.starts_with(k.as_str())
                        || (k.chars().count() >= 8
                            && pk.chars().count() >= 8
                            && crate::py::prefix(k, 8) == crate::py::prefix(pk, 8))
                });
                let suggestion = match similar {
                    Some(k) => format!(
                        "did you mean the key '{k}'? Use its full keyid in `pubkeys`, or add \
                         the key '{pk}' to `keys`"
                    ),
                    None => format!(
                        "add the public key with keyid '{pk}' to the layout's `keys`, or remove \
                         it from the step's `pubkeys`"
                    ),
                };
                self.item_finding(
                    Check::PubkeyNotInKeys,
                    name,
                    format!(
                        "step '{name}' authorizes the keyid '{pk}', which is not in the \
                         layout's `keys`: links signed with it are never accepted"
                    ),
                    suggestion,
                );
            }
        }
        let usable = mains.len() as i64;
        let threshold = step
            .threshold_json
            .as_ref()
            .map(crate::py::json::py_str)
            .unwrap_or_else(|| step.threshold.to_string());
        if step.threshold < 1 {
            self.item_finding(
                Check::ThresholdBelowOne,
                name,
                format!(
                    "step '{name}' has threshold {threshold}: without links the reference \
                     fails with a bare StopIteration, with links it behaves like 1"
                ),
                "set the threshold to 1 (or to how many functionaries must agree)".into(),
            );
            self.fix(Fix::SetThreshold(1));
        } else if usable > 0 && step.threshold > usable {
            self.item_finding(
                Check::ThresholdTooHigh,
                name,
                format!(
                    "step '{name}' requires {threshold} links from different functionaries, but \
                     only {usable} distinct authorized key{} with an entry in `keys` can sign \
                     them: the threshold can never be met",
                    if usable == 1 { "" } else { "s" }
                ),
                format!(
                    "lower the threshold to at most {usable}, or authorize more functionaries \
                     (add their keyids to `pubkeys` and their keys to `keys`)"
                ),
            );
            self.fix(Fix::SetThreshold(usable));
        }
        self.param_list(name, "expected_command", &step.expected_command);
    }

    fn inspection_checks(&mut self, insp: &Inspection) {
        let name = insp.name.as_str();
        if insp.run.is_empty() {
            self.item_finding(
                Check::InspectionEmptyRun,
                name,
                format!(
                    "inspection '{name}' has an empty `run`: the reference fails with \
                     \"BadReturnValueError: Got non-int return value 'None'.\""
                ),
                "set `run` to the command the inspection executes, e.g. [\"tar\", \"xzf\", \
                 \"<archive>\"]; an inspection that only checks rules still needs a command \
                 that exits 0, e.g. [\"true\"]"
                    .into(),
            );
        }
        if let Some(v) = insp.run.iter().find(|v| !v.is_string()) {
            self.item_finding(
                Check::InspectionRunNotString,
                name,
                format!(
                    "inspection '{name}' has the non-string `run` element {v}: the reference \
                     fails with \"FormatError: expected str, got '{} ({})'\" when it runs the \
                     inspection",
                    crate::py::json::py_str(v),
                    crate::py::json::py_type(v)
                ),
                format!(
                    "write the element as a string, e.g. \"{}\"",
                    crate::py::json::py_str(v)
                ),
            );
        }
        self.param_list(name, "run", &insp.run);
    }

    /// Parameters in `expected_command` or `run`.
    fn param_list(&mut self, item: &str, field: &str, values: &[Value]) {
        let strings: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        let names = placeholder_names(strings.iter().copied());
        if !names.is_empty() {
            self.item_finding(
                Check::Parameter,
                item,
                format!("`{field}` uses the parameter(s) {}", braces(&names)),
                param_suggestion(&names),
            );
        }
        if let Some((s, e)) = strings.iter().find_map(|s| syntax_error(s).map(|e| (s, e))) {
            self.item_finding(
                Check::ParameterSyntax,
                item,
                format!("`{field}` element '{s}' fails parameter substitution: {e}"),
                "write literal braces as '{{' and '}}' (they are unescaped only when parameters \
                 are substituted)"
                    .into(),
            );
        }
    }

    // -- rules ------------------------------------------------------------------------------

    fn rule_checks(&mut self, item: &Item<'_>, kind: ArtifactKind) {
        let rules = item.rules(kind);
        let name = item.name;
        let set = kind.rule_set();
        let mut disallow_all: Option<usize> = None;
        for (i, rule) in rules.iter().enumerate() {
            let rk = match rule.kind() {
                Ok(rk) => rk,
                Err(e) => {
                    self.rule_finding(
                        Check::RuleUnparsable,
                        name,
                        kind,
                        Some(i),
                        format!(
                            "`{}` is not a valid rule: {}",
                            rule.joined(),
                            e.message.split_whitespace().collect::<Vec<_>>().join(" ")
                        ),
                        "write it as CREATE|DELETE|MODIFY|ALLOW|DISALLOW <pattern>, REQUIRE \
                         <path>, or MATCH <pattern> [IN <prefix>] WITH (MATERIALS|PRODUCTS) [IN \
                         <prefix>] FROM <step>"
                            .into(),
                    );
                    continue;
                }
            };
            let text = rule.joined();
            let ph = placeholder_names(rule.tokens().iter().map(String::as_str));
            if !ph.is_empty() {
                self.rule_finding(
                    Check::Parameter,
                    name,
                    kind,
                    Some(i),
                    format!("`{text}` uses the parameter(s) {}", braces(&ph)),
                    param_suggestion(&ph),
                );
            }
            if let Some((t, e)) = rule
                .tokens()
                .iter()
                .find_map(|t| syntax_error(t).map(|e| (t, e)))
            {
                self.rule_finding(
                    Check::ParameterSyntax,
                    name,
                    kind,
                    Some(i),
                    format!("`{text}`: '{t}' fails parameter substitution: {e}"),
                    "write literal braces as '{{' and '}}' (they are unescaped only when \
                     parameters are substituted)"
                        .into(),
                );
            }
            if let (Some(j), false) = (disallow_all, matches!(rk, RuleKind::Require(_))) {
                let jn = j + 1; // numbered as the rule list shows them
                self.rule_finding(
                    Check::RuleAfterDisallowAll,
                    name,
                    kind,
                    Some(i),
                    format!(
                        "`{text}` comes after `{}` (rule #{jn}): once that rule passes nothing is \
                         left in the queue, so this rule has no effect",
                        rules[j].joined()
                    ),
                    format!("move `{text}` before rule #{jn}, or remove it"),
                );
                self.fix(Fix::MoveRuleTo(j));
            }
            match rk {
                RuleKind::Match {
                    pattern,
                    source_prefix,
                    dest_type: _,
                    dest_prefix,
                    dest_name,
                } => {
                    self.match_source(item, kind, i, &text, dest_name);
                    for (which, prefix) in [("source", source_prefix), ("destination", dest_prefix)]
                    {
                        if prefix.is_empty() || has_params(prefix) {
                            continue;
                        }
                        if let Some(why) = prefix_problem(prefix) {
                            self.rule_finding(
                                Check::MatchPrefixNotNormalised,
                                name,
                                kind,
                                Some(i),
                                format!(
                                    "`{text}`: the {which} prefix '{prefix}' {why}; the \
                                     reference compares prefixes literally, so this MATCH \
                                     consumes nothing"
                                ),
                                format!("write the prefix as '{}'", normalise_prefix(prefix)),
                            );
                        }
                    }
                    self.pattern_check(name, kind, i, &text, pattern);
                }
                RuleKind::Create(p) => {
                    if kind == ArtifactKind::Materials {
                        self.rule_finding(
                            Check::CreateInMaterials,
                            name,
                            kind,
                            Some(i),
                            format!(
                                "`{text}` is in expected_materials, where CREATE never consumes \
                                 anything (a material cannot have been created by this step)"
                            ),
                            format!(
                                "move `{text}` to expected_products, or use MATCH/ALLOW for the \
                                 material"
                            ),
                        );
                    } else {
                        self.pattern_check(name, kind, i, &text, p);
                    }
                }
                RuleKind::Delete(p) => {
                    if kind == ArtifactKind::Products {
                        self.rule_finding(
                            Check::DeleteInProducts,
                            name,
                            kind,
                            Some(i),
                            format!(
                                "`{text}` is in expected_products, where DELETE never consumes \
                                 anything (a deleted file is not among the products)"
                            ),
                            format!("move `{text}` to expected_materials"),
                        );
                    } else {
                        self.pattern_check(name, kind, i, &text, p);
                    }
                }
                RuleKind::Modify(p) | RuleKind::Allow(p) | RuleKind::Disallow(p) => {
                    self.pattern_check(name, kind, i, &text, p);
                }
                RuleKind::Require(path) => {
                    self.require_checks(name, item.is_step(), kind, rules, i, path)
                }
            }
            if let RuleKind::Disallow(p) = rk
                && disallow_all.is_none()
                && is_match_all(p)
            {
                disallow_all = Some(i);
            }
        }
        if rules.is_empty() {
            self.rule_finding(
                Check::NoRules,
                name,
                kind,
                None,
                format!(
                    "{set} of '{name}' is empty: every {} is accepted",
                    kind.as_str().strip_suffix('s').unwrap_or(kind.as_str())
                ),
                format!(
                    "if '{name}' should only see known artifacts, add rules for them and end \
                     the list with `DISALLOW *`"
                ),
            );
        } else if disallow_all.is_none() {
            self.rule_finding(
                Check::NoTrailingDisallow,
                name,
                kind,
                None,
                format!(
                    "{set} of '{name}' does not end with `DISALLOW *`: artifacts no rule \
                     consumes are implicitly allowed"
                ),
                if item.is_step() {
                    format!(
                        "append `DISALLOW *` to {set} (after an ALLOW for anything else that \
                         may legitimately appear)"
                    )
                } else {
                    format!(
                        "an inspection records its whole working directory as materials and \
                         products, so before appending `DISALLOW *` to {set}, MATCH or ALLOW \
                         everything the directory legitimately holds (the files the chain \
                         delivers, and e.g. `ALLOW *.link` for written inspection links)"
                    )
                },
            );
            // An inspection needs its own ALLOWs first: no automatic DISALLOW there.
            if item.is_step() {
                self.fix(Fix::AppendDisallowAll);
            }
        }
    }

    /// MATCH ... FROM `dest`: must name an item whose link the rule can see.
    fn match_source(
        &mut self,
        item: &Item<'_>,
        kind: ArtifactKind,
        i: usize,
        text: &str,
        dest: &str,
    ) {
        if has_params(dest) {
            return;
        }
        let name = item.name;
        let is_step = self.steps.contains(&dest);
        let is_insp = self.inspections.contains(&dest);
        if is_insp && !is_step && item.is_step() {
            let feeding: Vec<String> = self
                .layout
                .inspect
                .iter()
                .filter(|x| x.name == dest)
                .flat_map(|x| x.expected_materials.iter().chain(&x.expected_products))
                .filter_map(|r| match r.kind() {
                    Ok(RuleKind::Match { dest_name, .. })
                        if self.steps.contains(&dest_name.as_str()) =>
                    {
                        Some(dest_name.clone())
                    }
                    _ => None,
                })
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let hint = if feeding.is_empty() {
                String::new()
            } else {
                format!(" ('{dest}' itself matches from {})", quoted_list(&feeding))
            };
            self.rule_finding(
                Check::MatchStepFromInspection,
                name,
                kind,
                Some(i),
                format!(
                    "`{text}`: '{dest}' is an inspection; step rules are verified before \
                     inspections run, so they never see inspection links and this MATCH \
                     consumes nothing"
                ),
                format!(
                    "MATCH FROM the step whose link records these artifacts{hint}, or move this \
                     rule into an inspection"
                ),
            );
        } else if !is_step && !is_insp {
            let candidates: Vec<&str> = if item.is_step() {
                self.steps.clone()
            } else {
                self.steps
                    .iter()
                    .chain(&self.inspections)
                    .copied()
                    .collect()
            };
            let mut fix = None;
            let suggestion = match closest(dest, &candidates) {
                Some(c) => {
                    fix = Some(Fix::MatchFrom(c.to_string()));
                    format!("change FROM '{dest}' to FROM '{c}'")
                }
                None if candidates.is_empty() => {
                    format!("add a step named '{dest}', or remove this rule")
                }
                None => format!(
                    "change FROM '{dest}' to one of {}, or add a step named '{dest}'",
                    quoted_list(&candidates)
                ),
            };
            self.rule_finding(
                Check::MatchUnknownSource,
                name,
                kind,
                Some(i),
                format!(
                    "`{text}`: '{dest}' is no step or inspection of this layout, so there is \
                     no link to match against and this MATCH silently consumes nothing"
                ),
                suggestion,
            );
            if let Some(fix) = fix {
                self.fix(fix);
            }
        }
    }

    fn pattern_check(&mut self, item: &str, kind: ArtifactKind, i: usize, text: &str, p: &str) {
        if has_params(p) {
            return;
        }
        if let Some(why) = path_problem(p) {
            self.rule_finding(
                Check::PatternNeverMatches,
                item,
                kind,
                Some(i),
                format!("`{text}`: the pattern '{p}' {why}, so it never matches an artifact"),
                format!("write the pattern as '{}'", normalise_pattern(p)),
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn require_checks(
        &mut self,
        item: &str,
        is_step: bool,
        kind: ArtifactKind,
        rules: &[Rule],
        i: usize,
        path: &str,
    ) {
        let text = rules[i].joined();
        if has_params(path) {
            return;
        }
        if let Some(why) = path_problem(path) {
            self.rule_finding(
                Check::RequireNeverPasses,
                item,
                kind,
                Some(i),
                format!("`{text}`: the path '{path}' {why}, so this REQUIRE always fails"),
                format!(
                    "require the path as it is recorded, e.g. '{}'",
                    normalise_pattern(path)
                ),
            );
            return;
        }
        if Pattern::new(path).literal().is_none() {
            self.rule_finding(
                Check::RequireGlob,
                item,
                kind,
                Some(i),
                format!(
                    "`{text}`: REQUIRE takes a literal path, not a pattern; it passes only if \
                     an artifact is literally named '{path}'"
                ),
                "REQUIRE each needed file by its exact path".into(),
            );
        }
        for (j, earlier) in rules.iter().enumerate().take(i) {
            let jn = j + 1; // numbered as the rule list shows them
            let Ok(rk) = earlier.kind() else { continue };
            if rk.to_tokens().iter().any(|t| has_params(t)) {
                continue;
            }
            if let RuleKind::Match { dest_name, .. } = rk {
                // A MATCH against a link the rule cannot see consumes nothing.
                let visible = self.steps.contains(&dest_name.as_str())
                    || (!is_step && self.inspections.contains(&dest_name.as_str()));
                if !visible {
                    continue;
                }
            }
            let etext = earlier.joined();
            if consumes_literal(rk, kind, path) {
                let always = matches!(rk, RuleKind::Allow(_));
                self.rule_finding(
                    Check::RequireAfterConsume,
                    item,
                    kind,
                    Some(i),
                    format!(
                        "`{text}` comes after `{etext}` (rule #{jn}), which removes '{path}' from \
                         the queue {}; REQUIRE only looks at what is still queued, so it {}",
                        if always {
                            "whenever it is there"
                        } else {
                            "when it applies"
                        },
                        if always {
                            "can never pass"
                        } else {
                            "fails exactly when that rule did its job"
                        }
                    ),
                    format!(
                        "move `{text}` before rule #{jn} (REQUIRE does not consume; keep \
                         `{etext}` after it)"
                    ),
                );
                return;
            }
            if let RuleKind::Disallow(p) = rk
                && Pattern::new(p).matches(path)
            {
                self.rule_finding(
                    Check::RequireAfterDisallow,
                    item,
                    kind,
                    Some(i),
                    format!(
                        "`{text}` comes after `{etext}` (rule #{jn}), which fails if '{path}' \
                             is still queued; if it is not, REQUIRE fails: it can never pass"
                    ),
                    format!(
                        "move `{text}` before rule #{jn}, followed by a rule that consumes \
                             '{path}' (e.g. `ALLOW {path}`)"
                    ),
                );
                return;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Helpers

/// Whether a rule (in the rule set `kind`) can remove the literal path from the queue.
fn consumes_literal(rk: &RuleKind, kind: ArtifactKind, path: &str) -> bool {
    let m = |p: &str| Pattern::new(p).matches(path);
    match rk {
        RuleKind::Allow(p) | RuleKind::Modify(p) => m(p),
        RuleKind::Create(p) => kind == ArtifactKind::Products && m(p),
        RuleKind::Delete(p) => kind == ArtifactKind::Materials && m(p),
        RuleKind::Match {
            pattern,
            source_prefix,
            ..
        } => {
            if source_prefix.is_empty() {
                m(pattern)
            } else {
                let ns = source_prefix_string(source_prefix);
                path.strip_prefix(ns.as_str())
                    .is_some_and(|rest| Pattern::new(pattern).matches(rest))
            }
        }
        RuleKind::Disallow(_) | RuleKind::Require(_) => false,
    }
}

/// `os.path.join(prefix, "").replace("\\", "/")`.
fn source_prefix_string(prefix: &str) -> String {
    let joined = if prefix.ends_with('/') {
        prefix.to_string()
    } else {
        format!("{prefix}/")
    };
    joined.replace('\\', "/")
}

/// A pattern made only of `*`: matches everything.
fn is_match_all(p: &str) -> bool {
    !p.is_empty() && p.chars().all(|c| c == '*')
}

/// Why recorded (normalised) artifact paths can never match this pattern or path.
fn path_problem(p: &str) -> Option<&'static str> {
    if p.is_empty() {
        Some("is empty")
    } else if p == "." || p.starts_with("./") {
        Some("starts with './', which recorded paths never do (they are normalised)")
    } else if p.contains("//") {
        Some("contains '//', which recorded paths never do (they are normalised)")
    } else if p.contains("/./") || p.ends_with("/.") {
        Some("has a '.' component, which recorded paths never have (they are normalised)")
    } else if p.ends_with('/') {
        Some("ends with '/', but only files are recorded, never directories")
    } else {
        None
    }
}

fn normalise_pattern(p: &str) -> String {
    if p.is_empty() {
        return "*".into();
    }
    let trailing = p.ends_with('/');
    let parts: Vec<&str> = p
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let mut s = parts.join("/");
    if p.starts_with('/') {
        s.insert(0, '/');
    }
    if trailing {
        s.push_str("/*");
    }
    if s.is_empty() { "*".into() } else { s }
}

fn prefix_problem(p: &str) -> Option<&'static str> {
    if p == "." {
        Some("is '.'")
    } else if p.starts_with("./") {
        Some("starts with './'")
    } else if p.contains("//") {
        Some("contains '//'")
    } else if p.contains("/./") || p.ends_with("/.") {
        Some("has a '.' component")
    } else {
        None
    }
}

fn normalise_prefix(p: &str) -> String {
    let parts: Vec<&str> = p
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let mut s = parts.join("/");
    if p.starts_with('/') {
        s.insert(0, '/');
    }
    s
}

fn has_params(s: &str) -> bool {
    !params::placeholders(s).is_empty()
}

/// The distinct `{NAME}` parameters used by some strings, in order of appearance.
fn placeholder_names<'s>(strings: impl Iterator<Item = &'s str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in strings {
        for n in params::placeholders(s) {
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out
}

/// The error parameter substitution gives for a string, with every parameter it uses set.
fn syntax_error(s: &str) -> Option<String> {
    if !s.contains(['{', '}']) {
        return None;
    }
    let vals: BTreeMap<String, String> = params::placeholders(s)
        .into_iter()
        .map(|n| (n, "x".to_string()))
        .collect();
    params::format(s, &vals).err().map(|e| e.to_string())
}

fn braces(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{{{n}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn param_suggestion(names: &[String]) -> String {
    let flags = names
        .iter()
        .map(|n| format!("--param {n}=<value>"))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "verify with `{flags}`; without parameters the text is used literally (the reference \
         in-toto-verify CLI cannot substitute parameters)"
    )
}

fn quoted_list<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|n| format!("'{}'", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The candidate with the smallest edit distance, if it is close enough to be a typo.
fn closest<'c>(name: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let lower = name.to_lowercase();
    if let Some(c) = candidates.iter().find(|c| c.to_lowercase() == lower) {
        return Some(c);
    }
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(name, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.chars().count() / 3) && *d < c.chars().count())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> jiff::Timestamp {
        "2030-01-01T00:00:00Z".parse().unwrap()
    }

    fn rule(line: &str) -> Rule {
        Rule::parse_line(line).unwrap()
    }

    fn layout_with(steps: Vec<Step>, inspect: Vec<Inspection>) -> Layout {
        Layout {
            steps,
            inspect,
            expires: "2031-01-01T00:00:00Z".into(),
            ..Layout::new(now())
        }
    }

    fn codes(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.code.code()).collect()
    }

    #[test]
    fn every_code_is_catalogued_and_suggestions_are_set() {
        let mut a = Step::new("a/../b");
        a.expected_materials = vec![
            rule("CREATE x"),
            rule("MATCH * IN ./src WITH PRODUCTS FROM nope"),
            rule("ALLOW x"),
            rule("REQUIRE x"),
            rule("REQUIRE ./y"),
            rule("REQUIRE *.py"),
            rule("MODIFY {P}"),
            rule("ALLOW a}"),
        ];
        a.expected_products = vec![rule("DELETE x"), rule("DISALLOW *"), rule("ALLOW z/")];
        a.set_threshold(0);
        a.pubkeys = vec!["ab".into(), "ab".into()];
        let mut i = Inspection::new("");
        i.expected_materials = vec![Rule::from_tokens_lenient(vec!["BOGUS".into()])];
        let mut l = layout_with(vec![a.clone(), Step::new("a/../b")], vec![i]);
        l.expires = "2030-01-10T00:00:00Z".into();
        let f = lint(&l, now());
        for x in &f {
            assert!(!x.suggestion.is_empty(), "{x:?}");
            assert_eq!(x.code.severity(), x.severity, "{}", x.code);
            if x.rule_set.is_some() && !matches!(x.code, Check::NoRules | Check::NoTrailingDisallow)
            {
                assert!(x.rule_index.is_some(), "{x:?}");
            }
        }
        for c in [
            "expires-soon",
            "duplicate-name",
            "name-escapes-link-dir",
            "name-empty",
            "duplicate-pubkey",
            "pubkey-not-in-keys",
            "threshold-below-one",
            "create-in-materials",
            "match-unknown-source",
            "match-prefix-not-normalised",
            "require-after-consume",
            "require-never-passes",
            "require-glob",
            "parameter",
            "parameter-syntax",
            "delete-in-products",
            "rule-after-disallow-all",
            "pattern-never-matches",
            "rule-unparsable",
            "inspection-empty-run",
        ] {
            assert!(codes(&f).contains(&c), "{c} missing from {:#?}", codes(&f));
        }
    }

    /// Every fix does what its finding suggests: after it, lint no longer reports that
    /// finding, and nothing else new appears but what the fix itself implies.
    #[test]
    fn fixes_remove_their_findings() {
        let key = |name: &str| {
            let path = format!(
                "{}/tests/fixtures/keys/TEST-ONLY-{name}-ed25519.pub.pem",
                env!("CARGO_MANIFEST_DIR")
            );
            crate::crypto::PublicKey::from_pem(&std::fs::read_to_string(path).unwrap()).unwrap()
        };
        let mut l = layout_with(vec![], vec![]);
        let alice = l.add_key(key("alice"));
        l.add_key(key("bob"));
        let mut clone = Step::new("clone");
        clone.pubkeys = vec![alice.clone(), alice.clone()];
        clone.threshold = 2;
        clone.expected_command = vec![Value::from("git")];
        clone.expected_products = vec![rule("CREATE *")];
        let mut build = Step::new("build");
        build.pubkeys = vec![alice.clone()];
        build.threshold = 0;
        build.expected_command = vec![Value::from("make")];
        build.expected_materials = vec![
            rule("MATCH * WITH PRODUCTS FROM clnoe"),
            rule("DISALLOW *"),
            rule("ALLOW extra"),
        ];
        build.expected_products = vec![rule("CREATE bin"), rule("DISALLOW *")];
        l.steps = vec![clone, build];
        l.expires = "2029-01-01T00:00:00Z".into();
        let before = lint(&l, now());
        let fixable: Vec<&Finding> = before.iter().filter(|f| f.fix.is_some()).collect();
        let mut fixed: Vec<&str> = fixable.iter().map(|f| f.code.code()).collect();
        fixed.sort();
        assert_eq!(
            fixed,
            [
                "duplicate-pubkey",
                "expired",
                "key-unused",
                "match-unknown-source",
                "no-trailing-disallow",
                "rule-after-disallow-all",
                "threshold-below-one",
                "threshold-too-high",
            ],
            "{before:#?}"
        );
        let same = |a: &Finding, b: &Finding| {
            a.code == b.code && a.item == b.item && a.rule_set == b.rule_set
        };
        for f in fixable {
            let mut fixed = l.clone();
            f.apply_fix(&mut fixed).unwrap();
            let after = lint(&fixed, now());
            assert!(
                !after.iter().any(|a| same(a, f)),
                "{f:?} still there: {after:#?}"
            );
            // Nothing new but what removing a duplicate exposes.
            for a in &after {
                assert!(before.iter().any(|b| same(a, b)), "{f:?} brought {a:?}");
            }
        }
        // A fix for a layout that changed since is an error, not a panic or a wrong edit.
        let f = before
            .iter()
            .find(|f| f.code == Check::RuleAfterDisallowAll)
            .unwrap();
        let mut gone = l.clone();
        gone.steps[1].expected_materials.clear();
        assert!(f.apply_fix(&mut gone).is_err());
        let plain = before.iter().find(|f| f.fix.is_none()).unwrap();
        assert!(plain.apply_fix(&mut l.clone()).is_err());
    }

    #[test]
    fn consumption_of_literal_paths() {
        let k = |l: &str| rule(l).kind().unwrap().clone();
        use ArtifactKind::*;
        assert!(consumes_literal(&k("ALLOW *.py"), Materials, "a/b.py"));
        assert!(!consumes_literal(&k("CREATE x"), Materials, "x"));
        assert!(consumes_literal(&k("CREATE x"), Products, "x"));
        assert!(!consumes_literal(&k("DELETE x"), Products, "x"));
        assert!(consumes_literal(&k("DELETE x"), Materials, "x"));
        let m = k("MATCH *.c IN src WITH PRODUCTS FROM s");
        assert!(consumes_literal(&m, Materials, "src/a.c"));
        assert!(!consumes_literal(&m, Materials, "a.c"));
        assert!(!consumes_literal(&m, Materials, "srcx/a.c"));
        let m = k("MATCH *.c IN src/ WITH PRODUCTS FROM s");
        assert!(consumes_literal(&m, Materials, "src/a.c"));
        assert!(!consumes_literal(&k("DISALLOW *"), Materials, "x"));
    }

    #[test]
    fn typo_suggestions() {
        assert_eq!(closest("clnoe", &["clone", "package"]), Some("clone"));
        assert_eq!(closest("Clone", &["clone"]), Some("clone"));
        assert_eq!(closest("xyz", &["clone", "package"]), None);
        assert_eq!(closest("x", &["ab"]), None);
    }

    #[test]
    fn normalisation_suggestions() {
        assert_eq!(normalise_pattern("./a//b/"), "a/b/*");
        assert_eq!(normalise_prefix("./build//"), "build");
        assert_eq!(path_problem("a/b.py"), None);
        assert!(path_problem("dir/").is_some());
        assert_eq!(prefix_problem("build/"), None);
        assert!(prefix_problem("build//").is_some());
    }

    #[test]
    fn render_and_json() {
        let l = layout_with(vec![Step::new("s")], vec![]);
        let f = lint(&l, now());
        let text = render_text(&f);
        assert!(text.contains("error[no-functionaries] s: "), "{text}");
        assert!(text.contains("  help: "), "{text}");
        assert!(text.ends_with("info\n"), "{text}");
        assert_eq!(render_text(&[]), "no findings\n");
        let v = to_json(&f);
        assert_eq!(v["findings"][0]["severity"], "error");
        assert_eq!(v["findings"][0]["code"], "no-functionaries");
        assert_eq!(v["findings"][0]["item"], "s");
        assert!(v["findings"][0]["rule_index"].is_null());
    }
}
