//! The traced verifier: every stage of the reference's `in_toto_verify`, in its order and
//! with its semantics, recording what each stage found in a [`Report`].
//!
//! Stages (first failure decides): layout signatures → payload → expiry → parameters →
//! link loading → link signatures and thresholds → sublayouts → command alignment
//! (warning only) → threshold agreement → reduction to one link per step → step rules →
//! inspections → inspection rules.

pub mod explain;
pub mod inspect;
mod prefetch;
pub mod render;
pub mod report;
pub mod rules;

use crate::Exc;
use crate::crypto::PublicKey;
use crate::crypto::kid8;
use crate::error::Error;
use crate::model::envelope::{Metadata, Payload};
use crate::model::layout::{ItemKind, Layout};
use crate::model::link::Link;
use crate::model::params;
use crate::model::rule::ArtifactKind;
use crate::py::json::{py_repr, py_str};
use prefetch::{Content, Loaded};
use rayon::prelude::*;
use report::*;
use rules::LinkMap;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use report::Report;

/// How to verify.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Where link files are looked up (`--link-dir`, default `.`).
    pub link_dir: PathBuf,
    /// `--param NAME=VALUE` substitutions (`None`: no substitution at all, as the
    /// reference CLI).
    pub params: Option<BTreeMap<String, String>>,
    /// Timeout for each inspection command.
    pub inspection_timeout: Duration,
    /// Run inspections (the TUI asks first; when false verification stops before them and
    /// the report is marked incomplete).
    pub run_inspections: bool,
    /// Write `<inspection>.link` into the working directory (the reference does).
    pub persist_inspection_links: bool,
    /// The directory inspections run in and record (the reference uses the process's
    /// working directory).
    pub workdir: PathBuf,
    /// The clock for the expiry check (default: the process clock). What-if mode moves it.
    pub clock: crate::clock::Clock,
    /// What-if mode only: treat the layout as validly signed by the given keys (as if the
    /// owner re-signed after editing a rule). Never set by the command line.
    pub assume_layout_signed: bool,
    /// Called with a short description as each stage starts (the TUI shows it).
    pub progress: Option<Progress>,
}

/// A progress callback.
#[derive(Clone)]
pub struct Progress(Arc<dyn Fn(&str) + Send + Sync>);

impl Progress {
    pub fn new(f: impl Fn(&str) + Send + Sync + 'static) -> Progress {
        Progress(Arc::new(f))
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            link_dir: PathBuf::from("."),
            params: None,
            inspection_timeout: Duration::from_secs(10),
            run_inspections: true,
            persist_inspection_links: true,
            workdir: PathBuf::from("."),
            clock: crate::clock::Clock::process().unwrap_or_default(),
            assume_layout_signed: false,
            progress: None,
        }
    }
}

/// Where link files come from: the file system, or an overlay of in-memory edits
/// (what-if mode).
pub trait LinkSource: Sync {
    /// Load the metadata file at `path`. I/O errors (class `FileNotFoundError`,
    /// `IsADirectoryError`, ...) mean "no file there"; other errors stop verification.
    fn load(&self, path: &Path) -> crate::Result<Arc<Metadata>>;

    /// Force the outcome of the signature check of the file at `path` (what-if mode):
    /// `Some(false)` treats it as unsigned, `Some(true)` as validly signed.
    fn signature_override(&self, _path: &Path) -> Option<bool> {
        None
    }
}

/// Links read from disk.
pub struct FsLinks;

impl LinkSource for FsLinks {
    fn load(&self, path: &Path) -> crate::Result<Arc<Metadata>> {
        if path.is_dir() {
            return Err(Error::new(
                Exc::IsADirectoryError,
                format!("[Errno 21] Is a directory: '{}'", path.display()),
            ));
        }
        Metadata::load(path).map(Arc::new)
    }
}

/// Verify the layout file at `layout_path` with the owner keys `keys`.
pub fn verify_file(layout_path: &Path, keys: &[PublicKey], opts: &VerifyOptions) -> Report {
    match Metadata::load(layout_path) {
        Ok(md) => verify_metadata(&md, keys, opts, &FsLinks),
        Err(e) => load_failure(e.context(layout_path.display())),
    }
}

/// A report for a layout that could not be read.
pub fn load_failure(e: Error) -> Report {
    failure_before(Stage::LoadLayout, e)
}

/// A report for links that could not be fetched (from a registry): nothing was verified.
pub fn links_failure(e: Error) -> Report {
    failure_before(Stage::LoadLinks, e)
}

/// A report for owner keys that could not be read (the layout was): its signatures were
/// never checked.
pub fn key_failure(e: Error) -> Report {
    let mut r = failure_before(Stage::LayoutSignatures, e.context("verification key"));
    r.set_stage(Stage::LoadLayout, Status::Passed, "read");
    r
}

/// A report that fails at `stage`, before verification proper started.
fn failure_before(stage: Stage, e: Error) -> Report {
    let mut r = Report::new();
    r.set_stage(stage, Status::Failed, e.to_string());
    r.failure = Some(Failure {
        stage,
        reference_error: e.class.to_string(),
        item: None,
        item_kind: None,
        rule_set: None,
        rule: None,
        rule_index: None,
        artifacts: Vec::new(),
        sublayout_path: Vec::new(),
        message: e.message,
        root_causes: Vec::new(),
    });
    r
}

/// How deep sublayouts may nest. Each level adds at least `x.<keyid:8>/` (11 bytes) to the
/// path of the next level's links and Linux opens no path longer than 4096 bytes, so the
/// reference never gets deeper than about 370 levels; past this limit verification fails
/// with `RecursionError` (as Python would, were the paths openable) instead of recursing.
pub const MAX_SUBLAYOUT_DEPTH: usize = 1000;

/// The stack verification runs on. Sublayouts are verified recursively, as in the
/// reference; [`MAX_SUBLAYOUT_DEPTH`] levels fit in 8 MiB of an optimised build, so this is
/// room to spare (debug builds take more) whatever thread (a TUI worker, a server task)
/// asked. Only touched pages are ever backed by memory.
const VERIFY_STACK: usize = 64 << 20;

/// Verify loaded layout metadata (on a thread of its own, with [`VERIFY_STACK`]).
pub fn verify_metadata(
    md: &Metadata,
    keys: &[PublicKey],
    opts: &VerifyOptions,
    source: &dyn LinkSource,
) -> Report {
    let run = || {
        let mut v = Verifier {
            opts,
            source,
            report: Report::new(),
            step_name: String::new(),
            depth: 0,
        };
        let _ = v.run(md, keys);
        let r = &mut v.report;
        r.passed = r.failure.is_none() && r.complete;
        v.report
    };
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("verify".into())
            .stack_size(VERIFY_STACK)
            .spawn_scoped(scope, run);
        match spawned {
            // A panic in verification is a failure with its message, never a pass.
            Ok(handle) => handle.join().unwrap_or_else(|panic| {
                let text = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                load_failure(Error::new(
                    Exc::RuntimeError,
                    format!("verification stopped by an internal error: {text}"),
                ))
            }),
            Err(e) => load_failure(Error::new(
                Exc::RuntimeError,
                format!("cannot start the verification thread: {e}"),
            )),
        }
    })
}

struct Verifier<'a> {
    opts: &'a VerifyOptions,
    source: &'a dyn LinkSource,
    report: Report,
    /// The step this (sub)layout stands for (`""` at the top).
    step_name: String,
    /// How many layouts enclose this one (0 at the top).
    depth: usize,
}

/// Marker: verification stopped (the failure is in the report).
struct Stop;

/// A candidate link file and what happened to it.
struct Candidate {
    keyid: String,
    path: PathBuf,
    /// The layout key (keyid) that verifies this file, if any (known before loading).
    key_id: Option<String>,
    /// The file was read and parsed.
    loaded: bool,
    /// What the file carries, once loaded.
    content: Option<Content>,
    /// The signature check, done as soon as the file was parsed (`None`: no key to check
    /// with, or the source overrides the check).
    signature: Option<crate::Result<()>>,
    /// After the signature stage: the link (or the sublayout's summary link) if verified.
    verified: bool,
    /// The key used for counting toward the threshold.
    main_keyid: Option<String>,
    link: Option<Arc<Link>>,
}

/// The result of one rule set: its trace and the failure, if any.
type RuleSetOutcome = (RuleSetReport, Option<rules::RuleFailure>);

/// An item's name and its two rule lists.
type RuleItem<'l> = (
    &'l str,
    &'l [crate::model::rule::Rule],
    &'l [crate::model::rule::Rule],
);

/// The rule lists of the steps.
fn step_rule_items(layout: &Layout) -> Vec<RuleItem<'_>> {
    layout.steps.iter().map(|s| s.named_rules()).collect()
}

/// Every item's two rule sets against the links in scope, in parallel (`None` for an item
/// without a link).
fn evaluate_rule_sets(items: &[RuleItem<'_>], links: &LinkMap) -> Vec<Option<[RuleSetOutcome; 2]>> {
    items
        .par_iter()
        .with_max_len(1)
        .map(|(name, mats, prods)| {
            let link = links.get(*name)?;
            Some([
                rules::verify_rule_set(name, link, ArtifactKind::Materials, mats, links),
                rules::verify_rule_set(name, link, ArtifactKind::Products, prods, links),
            ])
        })
        .collect()
}

/// Main keys of GPG-style subkeys (`subkeys` in a key dict): subkey id → main key id.
fn subkey_owners(layout: &Layout) -> BTreeMap<String, String> {
    let mut main_for_sub: BTreeMap<String, String> = BTreeMap::new();
    for (id, k) in &layout.keys {
        if let Some(Value::Object(sub)) = k.dict.get("subkeys") {
            for s in sub.keys() {
                main_for_sub.insert(s.clone(), id.clone());
            }
        }
    }
    main_for_sub
}

/// The layout key that verifies a link signed by `keyid` for `step`, if any.
fn signing_key_id(
    layout: &Layout,
    step: &crate::model::layout::Step,
    keyid: &str,
    main_for_sub: &BTreeMap<String, String>,
) -> Option<String> {
    for authorized in &step.pubkeys {
        let auth_key = layout.keys.get(authorized);
        if auth_key.is_some() && keyid == authorized {
            return Some(authorized.clone());
        }
        if let Some(main) = main_for_sub.get(authorized)
            && keyid == authorized
        {
            return Some(main.clone());
        }
        if let Some(k) = auth_key
            && matches!(k.dict.get("subkeys"), Some(Value::Object(s)) if s.contains_key(keyid))
        {
            return Some(authorized.clone());
        }
    }
    None
}

/// `<link_dir>/<name>` unless `name` would leave `link_dir` (absolute, or `..`).
fn inside(dir: &Path, name: &str) -> Option<PathBuf> {
    let rel = Path::new(name);
    let mut depth = 0i32;
    for c in rel.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(dir.join(rel))
}

fn threshold_text(step: &crate::model::layout::Step) -> String {
    step.threshold_json
        .as_ref()
        .map(py_str)
        .unwrap_or_else(|| step.threshold.to_string())
}

impl Verifier<'_> {
    fn progress(&self, what: impl FnOnce() -> String) {
        if let Some(p) = &self.opts.progress {
            let prefix = if self.step_name.is_empty() {
                String::new()
            } else {
                format!("sublayout {}: ", self.step_name)
            };
            (p.0)(&format!("{prefix}{}", what()));
        }
    }

    fn fail(&mut self, stage: Stage, e: Error, item: Option<(&str, ItemKind)>) -> Stop {
        self.report.set_stage(stage, Status::Failed, e.to_string());
        self.report.failure = Some(Failure {
            stage,
            reference_error: e.class.to_string(),
            item: item.map(|(n, _)| n.to_string()),
            item_kind: item.map(|(_, k)| k),
            rule_set: None,
            rule: None,
            rule_index: None,
            artifacts: Vec::new(),
            sublayout_path: Vec::new(),
            message: e.message,
            root_causes: Vec::new(),
        });
        if let Some((name, kind)) = item {
            self.set_item_status(name, kind, Status::Failed);
        }
        Stop
    }

    fn set_item_status(&mut self, name: &str, kind: ItemKind, status: Status) {
        if kind == ItemKind::Step {
            if let Some(s) = self.report.steps.iter_mut().find(|s| s.name == name) {
                s.status = status;
            }
        } else if let Some(s) = self.report.inspections.iter_mut().find(|s| s.name == name) {
            s.status = status;
        }
    }

    fn run(&mut self, md: &Metadata, keys: &[PublicKey]) -> Result<(), Stop> {
        let r = &mut self.report;
        r.layout.format = Some(md.format());
        r.set_stage(
            Stage::LoadLayout,
            Status::Passed,
            format!("{} metadata", md.format().as_str()),
        );

        // The reference's stages, in its order; the first failure stops.
        self.layout_signatures(md, keys)?;
        let mut layout = self.layout_payload(md)?;
        self.expiry(&layout)?;
        self.parameters(&mut layout)?;
        let layout = Arc::new(layout);
        self.report.layout_model = Some(layout.clone());
        self.init_items(&layout);
        let mut per_step = self.load_links(&layout)?;
        self.verify_link_signatures(&layout, &mut per_step)?;
        self.verify_sublayouts(&layout, &mut per_step)?;
        self.command_alignment(&layout, &per_step);
        self.threshold_agreement(&layout, &per_step)?;
        let reduced = self.reduce(&layout, &per_step)?;
        self.item_rules(&layout, true, &reduced)?;
        if let Some(combined) = self.run_inspections(&layout, &reduced)? {
            self.item_rules(&layout, false, &combined)?;
        }
        self.summary(&layout, &reduced);
        Ok(())
    }

    /// Stage 1: every given key must have signed the layout.
    fn layout_signatures(&mut self, md: &Metadata, keys: &[PublicKey]) -> Result<(), Stop> {
        let mut seen = Vec::new();
        let keys: Vec<&PublicKey> = keys
            .iter()
            .filter(|k| {
                if seen.contains(&&k.keyid) {
                    false
                } else {
                    seen.push(&k.keyid);
                    true
                }
            })
            .collect();
        if keys.is_empty() {
            return Err(self.fail(
                Stage::LayoutSignatures,
                Error::new(
                    Exc::SignatureVerificationError,
                    "Layout signature verification requires at least one key.",
                ),
                None,
            ));
        }
        let checks: Vec<(String, crate::Result<()>)> = keys
            .iter()
            .map(|k| {
                let res = if self.opts.assume_layout_signed {
                    Ok(())
                } else {
                    md.verify_signature(k)
                };
                (k.keyid.clone(), res)
            })
            .collect();
        self.report.layout.key_checks = checks
            .iter()
            .map(|(id, res)| KeyCheck {
                keyid: id.clone(),
                ok: res.is_ok(),
                message: match res {
                    Ok(()) => "valid signature".into(),
                    Err(e) => e.message.clone(),
                },
            })
            .collect();
        if let Some((_, Err(e))) = checks.into_iter().find(|(_, r)| r.is_err()) {
            return Err(self.fail(Stage::LayoutSignatures, e, None));
        }
        self.report.set_stage(
            Stage::LayoutSignatures,
            Status::Passed,
            format!(
                "signed by every given key ({})",
                keys.iter()
                    .map(|k| kid8(&k.keyid))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        Ok(())
    }

    /// Stage 2: the layout inside the metadata.
    fn layout_payload(&mut self, md: &Metadata) -> Result<Layout, Stop> {
        let layout: Layout = match md.payload() {
            Ok(Payload::Layout(l)) => (**l).clone(),
            Ok(Payload::Link(_)) => {
                return Err(self.fail(
                    Stage::LayoutPayload,
                    Error::new(
                        Exc::AttributeError,
                        "'Link' object has no attribute 'expires' (this is a link, not a layout)",
                    ),
                    None,
                ));
            }
            Err(e) => return Err(self.fail(Stage::LayoutPayload, e, None)),
        };
        self.report
            .set_stage(Stage::LayoutPayload, Status::Passed, "a layout");
        self.report.layout.expires = Some(layout.expires.clone());
        self.report.layout.readme = Some(layout.readme.clone());
        Ok(layout)
    }

    /// Stage 3: expiry (`expires <= now` fails).
    fn expiry(&mut self, layout: &Layout) -> Result<(), Stop> {
        let now = crate::model::layout::utc_civil(self.opts.clock.now());
        match layout.expires_at() {
            Ok(t) if t <= now => {
                self.report.layout.expired = Some(true);
                return Err(self.fail(
                    Stage::Expiry,
                    Error::new(Exc::LayoutExpiredError, "Layout expired"),
                    None,
                ));
            }
            Ok(_) => {
                self.report.layout.expired = Some(false);
                self.report.set_stage(
                    Stage::Expiry,
                    Status::Passed,
                    format!("expires {}", layout.expires),
                );
            }
            Err(e) => return Err(self.fail(Stage::Expiry, e, None)),
        }
        Ok(())
    }

    /// Stage 4: parameter substitution (top level only, and only when asked for).
    fn parameters(&mut self, layout: &mut Layout) -> Result<(), Stop> {
        match &self.opts.params {
            Some(p) if self.step_name.is_empty() => {
                if let Err(e) = params::substitute(layout, p) {
                    return Err(self.fail(Stage::Parameters, e, None));
                }
                self.report.set_stage(
                    Stage::Parameters,
                    Status::Passed,
                    format!("{} parameter(s) substituted", p.len()),
                );
            }
            _ => self
                .report
                .set_stage(Stage::Parameters, Status::Skipped, "no parameters"),
        }
        Ok(())
    }

    fn init_items(&mut self, layout: &Layout) {
        self.report.steps = layout
            .steps
            .iter()
            .map(|s| StepReport {
                name: s.name.clone(),
                status: Status::NotReached,
                threshold: s.threshold,
                links: Vec::new(),
                used_link: None,
                command_warnings: Vec::new(),
                sublayout: None,
                materials: None,
                products: None,
                link: None,
            })
            .collect();
        self.report.inspections = layout
            .inspect
            .iter()
            .map(|i| InspectionReport {
                name: i.name.clone(),
                status: Status::NotReached,
                run: i.run_strings(),
                return_value: None,
                stdout: None,
                stderr: None,
                link_file: None,
                error: None,
                materials: None,
                products: None,
                link: None,
            })
            .collect();
    }

    /// Stage 5: `<link_dir>/<step>.<keyid[:8]>.link` for every authorized keyid.
    ///
    /// Every file is read, parsed and signature-checked in one parallel pass (a check
    /// has no side effects, so doing it early only matters for speed and memory); the
    /// results are then judged stage by stage in the reference's order.
    fn load_links(&mut self, layout: &Layout) -> Result<Vec<Vec<Candidate>>, Stop> {
        self.progress(|| "loading links".into());
        let link_dir = &self.opts.link_dir;
        let main_for_sub = subkey_owners(layout);
        // Candidates per step, keyids unique (the reference keys a dict by keyid).
        let mut per_step: Vec<Vec<Candidate>> = Vec::with_capacity(layout.steps.len());
        for step in &layout.steps {
            let mut cands: Vec<Candidate> = Vec::new();
            for authorized in &step.pubkeys {
                let mut ids = vec![authorized.clone()];
                if let Some(Value::Object(sub)) = layout
                    .keys
                    .get(authorized)
                    .and_then(|k| k.dict.get("subkeys"))
                {
                    ids.extend(sub.keys().cloned());
                }
                for keyid in ids {
                    if cands.iter().any(|c| c.keyid == keyid) {
                        continue;
                    }
                    let file = format!("{}.{}.link", step.name, kid8(&keyid));
                    let path = inside(link_dir, &file).unwrap_or_default();
                    let key_id = signing_key_id(layout, step, &keyid, &main_for_sub);
                    cands.push(Candidate {
                        keyid,
                        path,
                        key_id,
                        loaded: false,
                        content: None,
                        signature: None,
                        verified: false,
                        main_keyid: None,
                        link: None,
                    });
                }
            }
            per_step.push(cands);
        }
        // Read, parse and check every candidate in parallel, one task per file.
        let requests: Vec<prefetch::Request<'_>> = per_step
            .iter()
            .flatten()
            .map(|c| prefetch::Request {
                path: &c.path,
                key: c
                    .key_id
                    .as_ref()
                    .and_then(|k| layout.keys.get(k))
                    .map(|k| &k.key),
            })
            .collect();
        let mut flat = prefetch::prefetch(&requests, self.source);
        drop(requests);
        flat.reverse();
        let results: Vec<Vec<Option<crate::Result<Loaded>>>> = per_step
            .iter()
            .map(|cands| {
                cands
                    .iter()
                    .map(|_| flat.pop().expect("one result per candidate"))
                    .collect()
            })
            .collect();
        for (si, (step, results)) in layout.steps.iter().zip(results).enumerate() {
            if !results.is_empty() && step.name.contains('\0') {
                // Python's `open()` refuses such a path before touching the file system.
                let e = Error::new(Exc::ValueError, "embedded null byte");
                return Err(self.fail(Stage::LoadLinks, e, Some((&step.name, ItemKind::Step))));
            }
            let mut found = 0usize;
            for (ci, res) in results.into_iter().enumerate() {
                let cand = &mut per_step[si][ci];
                let mut lr = LinkReport {
                    keyid: cand.keyid.clone(),
                    file: if cand.path.as_os_str().is_empty() {
                        format!(
                            "{}.{}.link (outside the link directory: not read)",
                            step.name,
                            kid8(&cand.keyid)
                        )
                    } else {
                        cand.path.display().to_string()
                    },
                    state: LinkState::Missing,
                    format: None,
                    signed_by: Vec::new(),
                    sublayout: false,
                    command: None,
                    name_mismatch: None,
                    link: None,
                };
                match res {
                    None => {}
                    Some(Ok(loaded)) => {
                        found += 1;
                        lr.state = LinkState::NotChecked;
                        lr.format = Some(loaded.format);
                        lr.signed_by = loaded.signed_by;
                        match &loaded.content {
                            Content::Link(l) => {
                                lr.command = Some(l.command_strings());
                                if l.name != Value::String(step.name.clone()) {
                                    lr.name_mismatch = Some(l.name_str());
                                }
                                lr.link = Some(l.clone());
                            }
                            Content::Other(md) => {
                                if let Ok(Payload::Layout(_)) = md.payload() {
                                    lr.sublayout = true;
                                }
                            }
                        }
                        cand.loaded = true;
                        cand.content = Some(loaded.content);
                        cand.signature = loaded.signature;
                    }
                    Some(Err(e)) if e.is_os_error() => {}
                    Some(Err(e)) => {
                        lr.state = LinkState::LoadError(e.to_string());
                        self.report.steps[si].links.push(lr);
                        let e =
                            Error::new(e.class, format!("{}: {}", cand.path.display(), e.message));
                        return Err(self.fail(Stage::LoadLinks, e, None));
                    }
                }
                self.report.steps[si].links.push(lr);
            }
            let threshold = step.threshold;
            if (found as i64) < threshold {
                let e = Error::new(
                    Exc::LinkNotFoundError,
                    format!(
                        "Step '{}' requires '{}' link metadata file(s), found '{}'.",
                        step.name,
                        threshold_text(step),
                        found
                    ),
                );
                return Err(self.fail(Stage::LoadLinks, e, Some((&step.name, ItemKind::Step))));
            }
        }
        let total: usize = per_step
            .iter()
            .map(|c| c.iter().filter(|c| c.loaded).count())
            .sum();
        self.report.set_stage(
            Stage::LoadLinks,
            Status::Passed,
            format!("{total} link file(s) found"),
        );
        Ok(per_step)
    }

    /// Stage 6: keep links validly signed by an authorized key; count distinct keys.
    fn verify_link_signatures(
        &mut self,
        layout: &Layout,
        per_step: &mut [Vec<Candidate>],
    ) -> Result<(), Stop> {
        self.progress(|| "checking link signatures".into());
        // Which key verifies each candidate (decided before loading), and the check
        // done while loading.
        let mut jobs: Vec<(usize, usize, Option<String>)> = Vec::new();
        for (si, cands) in per_step.iter().enumerate() {
            for (ci, c) in cands.iter().enumerate() {
                if c.loaded {
                    jobs.push((si, ci, c.key_id.clone()));
                }
            }
        }
        let source = self.source;
        let results: Vec<Option<crate::Result<()>>> = jobs
            .iter()
            .map(|(si, ci, key_id)| {
                let c = &mut per_step[*si][*ci];
                key_id.as_ref().and_then(|k| layout.keys.get(k))?;
                Some(match source.signature_override(&c.path) {
                    Some(true) => Ok(()),
                    Some(false) => Err(Error::new(
                        Exc::SignatureVerificationError,
                        "signature stripped (what-if)",
                    )),
                    None => c.signature.take().unwrap_or_else(|| {
                        Err(Error::new(
                            Exc::RuntimeError,
                            "the link source changed its signature override during verification",
                        ))
                    }),
                })
            })
            .collect();
        let mut j = 0;
        for (si, step) in layout.steps.iter().enumerate() {
            // Distinct signing keys, not distinct keyids: one key listed under two keyids
            // must not satisfy a threshold of two (the reference counts keyids, trusting the
            // layout not to list a key twice; see SECURITY.md).
            let mut used: Vec<Vec<u8>> = Vec::new();
            while j < jobs.len() && jobs[j].0 == si {
                let (_, ci, key_id) = &jobs[j];
                let res = &results[j];
                j += 1;
                let lr_idx = *ci;
                match (key_id, res) {
                    (None, _) | (_, None) => {
                        self.report.steps[si].links[lr_idx].state = LinkState::Unauthorized(
                            format!(
                                "keyid '{}' is not authorized to sign links for step '{}' (no such key in the layout)",
                                per_step[si][*ci].keyid, step.name
                            ),
                        );
                    }
                    (Some(kid), Some(Ok(()))) => {
                        let (main, identity) = layout
                            .keys
                            .get(kid)
                            .map(|k| (k.key.keyid.clone(), k.key.identity()))
                            .unwrap_or_default();
                        used.push(identity);
                        let c = &mut per_step[si][*ci];
                        c.verified = true;
                        c.main_keyid = Some(main);
                        self.report.steps[si].links[lr_idx].state = LinkState::Verified;
                    }
                    (Some(_), Some(Err(e))) if e.class == Exc::SignatureVerificationError => {
                        self.report.steps[si].links[lr_idx].state =
                            LinkState::BadSignature(e.message.clone());
                    }
                    (Some(_), Some(Err(e))) => {
                        let e = Error::new(
                            e.class,
                            format!("{}: {}", per_step[si][*ci].path.display(), e.message),
                        );
                        return Err(self.fail(Stage::LinkSignatures, e, None));
                    }
                }
            }
            used.sort();
            used.dedup();
            if (used.len() as i64) < step.threshold {
                let e = Error::new(
                    Exc::ThresholdVerificationError,
                    format!(
                        "Step '{}' requires at least '{}' links validly signed by different authorized functionaries. Only found '{}'",
                        step.name,
                        threshold_text(step),
                        used.len()
                    ),
                );
                return Err(self.fail(
                    Stage::LinkSignatures,
                    e,
                    Some((&step.name, ItemKind::Step)),
                ));
            }
        }
        self.report.set_stage(
            Stage::LinkSignatures,
            Status::Passed,
            "every step has enough validly signed links",
        );
        Ok(())
    }

    /// Stage 7: verify delegated sublayouts recursively; replace them by summary links.
    fn verify_sublayouts(
        &mut self,
        layout: &Layout,
        per_step: &mut [Vec<Candidate>],
    ) -> Result<(), Stop> {
        let mut any = false;
        for (si, step) in layout.steps.iter().enumerate() {
            for ci in 0..per_step[si].len() {
                if !per_step[si][ci].verified {
                    continue;
                }
                let md = match per_step[si][ci]
                    .content
                    .as_ref()
                    .expect("verified links are loaded")
                {
                    Content::Link(l) => {
                        per_step[si][ci].link = Some(l.clone());
                        continue;
                    }
                    Content::Other(md) => md.clone(),
                };
                let payload = match md.payload() {
                    Ok(p) => p,
                    Err(e) => {
                        let e = Error::new(
                            e.class,
                            format!("{}: {}", per_step[si][ci].path.display(), e.message),
                        );
                        return Err(self.fail(Stage::Sublayouts, e, None));
                    }
                };
                match payload {
                    Payload::Link(l) => per_step[si][ci].link = Some(l.clone()),
                    Payload::Layout(_) => {
                        any = true;
                        if self.depth + 1 > MAX_SUBLAYOUT_DEPTH {
                            let e = Error::new(
                                Exc::RecursionError,
                                format!(
                                    "maximum recursion depth exceeded: sublayouts nest more \
                                     than {MAX_SUBLAYOUT_DEPTH} levels deep"
                                ),
                            );
                            return Err(self.fail(
                                Stage::Sublayouts,
                                e,
                                Some((&step.name, ItemKind::Step)),
                            ));
                        }
                        let keyid = per_step[si][ci].keyid.clone();
                        let Some(key) = layout.keys.get(&keyid) else {
                            let e = Error::format(format!(
                                "expected dict, got 'None (<class 'NoneType'>)' (no key '{keyid}' for the sublayout)"
                            ));
                            return Err(self.fail(
                                Stage::Sublayouts,
                                e,
                                Some((&step.name, ItemKind::Step)),
                            ));
                        };
                        let sub_dir = inside(
                            &self.opts.link_dir,
                            &format!("{}.{}", step.name, kid8(&keyid)),
                        )
                        .unwrap_or_else(|| self.opts.link_dir.join("\u{0}refused"));
                        let sub_opts = VerifyOptions {
                            link_dir: sub_dir,
                            params: None,
                            ..self.opts.clone()
                        };
                        let mut sub = Verifier {
                            opts: &sub_opts,
                            source: self.source,
                            report: Report::new(),
                            step_name: step.name.clone(),
                            depth: self.depth + 1,
                        };
                        let _ = sub.run(&md, std::slice::from_ref(&key.key));
                        let mut sub_report = sub.report;
                        sub_report.passed = sub_report.failure.is_none() && sub_report.complete;
                        self.report
                            .warnings
                            .extend(sub_report.warnings.iter().cloned());
                        let failed = sub_report.failure.clone();
                        let complete = sub_report.complete;
                        let summary = sub_report.summary.clone();
                        self.report.steps[si].sublayout = Some(Box::new(sub_report));
                        if let Some(mut f) = failed {
                            f.sublayout_path.insert(0, step.name.clone());
                            self.report.set_stage(
                                Stage::Sublayouts,
                                Status::Failed,
                                format!(
                                    "sublayout '{}' failed: {}",
                                    step.name,
                                    f.message.lines().next().unwrap_or("")
                                ),
                            );
                            self.report.steps[si].status = Status::Failed;
                            self.report.failure = Some(f);
                            return Err(Stop);
                        }
                        if !complete {
                            self.report.complete = false;
                        }
                        per_step[si][ci].link = summary;
                    }
                }
            }
        }
        self.report.set_stage(
            Stage::Sublayouts,
            if any { Status::Passed } else { Status::Skipped },
            if any {
                "every sublayout verified"
            } else {
                "no sublayouts"
            },
        );
        Ok(())
    }

    /// Stage 8: a recorded command differing from `expected_command` is a warning.
    fn command_alignment(&mut self, layout: &Layout, per_step: &[Vec<Candidate>]) {
        let mut n = 0;
        for (si, step) in layout.steps.iter().enumerate() {
            for c in per_step[si].iter().filter(|c| c.verified) {
                let Some(link) = &c.link else { continue };
                if link.command != step.expected_command {
                    let w = format!(
                        "Run command '{}' differs from expected command '{}'",
                        py_repr(&Value::Array(link.command.clone())),
                        py_repr(&Value::Array(step.expected_command.clone()))
                    );
                    self.report.steps[si].command_warnings.push(w.clone());
                    self.report.warnings.push(w);
                    n += 1;
                }
            }
        }
        if n == 0 {
            self.report.set_stage(
                Stage::CommandAlignment,
                Status::Passed,
                "recorded commands match",
            );
        } else {
            self.report.set_stage(
                Stage::CommandAlignment,
                Status::Warning,
                format!("{n} command(s) differ (warning only)"),
            );
        }
    }

    /// Stage 9: links of a step with threshold > 1 must record identical artifacts.
    fn threshold_agreement(
        &mut self,
        layout: &Layout,
        per_step: &[Vec<Candidate>],
    ) -> Result<(), Stop> {
        for (si, step) in layout.steps.iter().enumerate() {
            if step.threshold <= 1 {
                continue;
            }
            let links: Vec<&Candidate> = per_step[si].iter().filter(|c| c.verified).collect();
            let Some(first) = links.first() else { continue };
            let (Some(fl), fk) = (&first.link, &first.keyid) else {
                continue;
            };
            for c in &links[1..] {
                let Some(l) = &c.link else { continue };
                let same = |a: &Arc<crate::model::link::Artifacts>,
                            b: &Arc<crate::model::link::Artifacts>| {
                    Arc::ptr_eq(a, b) || a == b
                };
                if !same(&fl.materials, &l.materials) || !same(&fl.products, &l.products) {
                    let e = Error::new(
                        Exc::ThresholdVerificationError,
                        format!(
                            "Links '{}.{}.link' and '{}.{}.link' have different artifacts!",
                            step.name,
                            kid8(fk),
                            step.name,
                            kid8(&c.keyid)
                        ),
                    );
                    return Err(self.fail(
                        Stage::ThresholdAgreement,
                        e,
                        Some((&step.name, ItemKind::Step)),
                    ));
                }
            }
        }
        self.report.set_stage(
            Stage::ThresholdAgreement,
            Status::Passed,
            "links of each step agree",
        );
        Ok(())
    }

    /// Stage 10: the first verified link (in `pubkeys` order) stands for the step.
    fn reduce(&mut self, layout: &Layout, per_step: &[Vec<Candidate>]) -> Result<LinkMap, Stop> {
        let mut reduced = LinkMap::new();
        for (si, step) in layout.steps.iter().enumerate() {
            match per_step[si].iter().find(|c| c.verified) {
                Some(c) => {
                    let link = c.link.clone().unwrap_or_default();
                    self.report.steps[si].used_link = Some(c.keyid.clone());
                    self.report.steps[si].link = Some(link.clone());
                    reduced.insert(step.name.clone(), link);
                }
                None => {
                    let e = Error::new(
                        Exc::StopIteration,
                        format!(
                            "step '{}' has no verified link, which its threshold of {} allows; the reference crashes here",
                            step.name,
                            threshold_text(step)
                        ),
                    );
                    // The reference's bare StopIteration names no step.
                    self.report.steps[si].status = Status::Failed;
                    return Err(self.fail(Stage::ReduceLinks, e, None));
                }
            }
        }
        self.report
            .set_stage(Stage::ReduceLinks, Status::Passed, "one link per step");
        Ok(reduced)
    }

    /// Stages 11 and 13: the artifact rules of steps (or inspections).
    fn item_rules(&mut self, layout: &Layout, steps: bool, links: &LinkMap) -> Result<(), Stop> {
        if steps {
            self.progress(|| "checking step rules".into());
        }
        let step_names: Vec<String> = layout.steps.iter().map(|s| s.name.clone()).collect();
        let insp_names: Vec<String> = layout.inspect.iter().map(|s| s.name.clone()).collect();
        let stage = if steps {
            Stage::StepRules
        } else {
            Stage::InspectionRules
        };
        let kind_name = if steps {
            ItemKind::Step
        } else {
            ItemKind::Inspection
        };
        let items = if steps {
            step_rule_items(layout)
        } else {
            layout.inspect.iter().map(|s| s.named_rules()).collect()
        };
        let scope = explain::Scope {
            steps: &step_names,
            inspections: &insp_names,
            step_rules: steps,
        };
        // Rule sets are independent and have no side effects: evaluate them all in
        // parallel, then judge them in the reference's order (the first failure stops).
        let mut evaluated = evaluate_rule_sets(&items, links);
        for (idx, (name, mats, prods)) in items.into_iter().enumerate() {
            let Some(link) = links.get(name).cloned() else {
                continue;
            };
            let [mat_result, prod_result] = evaluated[idx].take().expect("evaluated above");
            for (kind, rules, (set_report, failure)) in [
                (ArtifactKind::Materials, mats, mat_result),
                (ArtifactKind::Products, prods, prod_result),
            ] {
                let rf = failure.map(|f| {
                    let causes = if f.class == Exc::RuleVerificationError {
                        explain::root_causes(
                            name,
                            kind,
                            &link,
                            rules,
                            &set_report,
                            f.rule_index,
                            &f.artifacts,
                            links,
                            &scope,
                        )
                    } else {
                        Vec::new()
                    };
                    (f, causes)
                });
                let slot = if steps {
                    let s = &mut self.report.steps[idx];
                    if kind == ArtifactKind::Materials {
                        &mut s.materials
                    } else {
                        &mut s.products
                    }
                } else {
                    let s = &mut self.report.inspections[idx];
                    if kind == ArtifactKind::Materials {
                        &mut s.materials
                    } else {
                        &mut s.products
                    }
                };
                *slot = Some(set_report);
                if let Some((f, causes)) = rf {
                    let e = Error::new(f.class, f.message.clone());
                    if f.class != Exc::RuleVerificationError {
                        // The reference crashes here (a rule that no longer parses after
                        // substitution, or a prefix join that leaves the artifacts) and
                        // names no item or rule.
                        let e = Error::new(
                            e.class,
                            format!(
                                "in {} of '{name}', rule #{} '{}': {}",
                                kind.rule_set(),
                                f.rule_index + 1,
                                rules[f.rule_index].joined(),
                                e.message
                            ),
                        );
                        self.set_item_status(name, kind_name, Status::Failed);
                        return Err(self.fail(stage, e, None));
                    }
                    self.fail(stage, e, Some((name, kind_name)));
                    let fl = self.report.failure.as_mut().expect("just set");
                    fl.rule_set = Some(kind);
                    fl.rule = Some(rules[f.rule_index].tokens().to_vec());
                    fl.rule_index = Some(f.rule_index);
                    let mut arts = f.artifacts;
                    arts.sort();
                    fl.artifacts = arts;
                    fl.root_causes = causes;
                    return Err(Stop);
                }
            }
            self.set_item_status(name, kind_name, Status::Passed);
        }
        self.report
            .set_stage(stage, Status::Passed, "every rule passed");
        Ok(())
    }

    /// Stage 12: run every inspection in the working directory.
    /// Then (stage 13) the inspection rules run on the returned links: the steps' and the
    /// inspections'; `None` when there are none to check (no inspections, or not run).
    fn run_inspections(
        &mut self,
        layout: &Layout,
        reduced: &LinkMap,
    ) -> Result<Option<LinkMap>, Stop> {
        if !self.opts.run_inspections && !layout.inspect.is_empty() {
            self.report.complete = false;
            self.report.set_stage(
                Stage::Inspections,
                Status::Skipped,
                "inspections not run (not confirmed)",
            );
            self.report.set_stage(
                Stage::InspectionRules,
                Status::Skipped,
                "inspections not run",
            );
            for i in &mut self.report.inspections {
                i.status = Status::Skipped;
            }
            return Ok(None);
        }
        self.progress(|| "running inspections".into());
        let mut with_inspections = reduced.clone();
        let combined = &mut with_inspections;
        for (idx, insp) in layout.inspect.iter().enumerate() {
            let mut output = inspect::Output::default();
            let res = inspect::run_inspection(
                &insp.name,
                &insp.run,
                &self.opts.workdir,
                self.opts.inspection_timeout,
                &mut output,
            );
            let r = &mut self.report.inspections[idx];
            r.stdout = Some(output.stdout).filter(|t| !t.is_empty());
            r.stderr = Some(output.stderr).filter(|t| !t.is_empty());
            match res {
                Ok(link) => {
                    let link = Arc::new(link);
                    let r = &mut self.report.inspections[idx];
                    r.return_value = link.return_value();
                    r.link = Some(link.clone());
                    if self.opts.persist_inspection_links
                        && let Some(path) =
                            inside(&self.opts.workdir, &format!("{}.link", insp.name))
                    {
                        let md = Metadata::new(
                            Payload::Link(link.clone()),
                            crate::model::envelope::Format::Legacy,
                        );
                        match crate::fsutil::write_regular_no_follow(&path, &md.to_bytes()) {
                            Ok(()) => r.link_file = Some(path.display().to_string()),
                            Err(e) => {
                                return Err(self.fail(
                                    Stage::Inspections,
                                    e,
                                    Some((&insp.name, ItemKind::Inspection)),
                                ));
                            }
                        }
                    }
                    combined.insert(insp.name.clone(), link);
                }
                Err(e) => {
                    self.report.inspections[idx].error = Some(e.to_string());
                    if let Some(rv) = e.message.strip_prefix("Got non-zero return value '") {
                        self.report.inspections[idx].return_value =
                            rv.split('\'').next().and_then(|n| n.parse().ok());
                    }
                    return Err(self.fail(
                        Stage::Inspections,
                        e,
                        Some((&insp.name, ItemKind::Inspection)),
                    ));
                }
            }
        }
        let n = layout.inspect.len();
        self.report.set_stage(
            Stage::Inspections,
            if n == 0 {
                Status::Skipped
            } else {
                Status::Passed
            },
            if n == 0 {
                "no inspections".to_string()
            } else {
                format!("{n} inspection(s) exited 0")
            },
        );
        if n == 0 {
            self.report
                .set_stage(Stage::InspectionRules, Status::Skipped, "no inspections");
            return Ok(None);
        }
        Ok(Some(with_inspections))
    }

    /// The summary link: materials of the first step, products of the last.
    fn summary(&mut self, layout: &Layout, reduced: &LinkMap) {
        let mut s = Link::default();
        if let (Some(first), Some(last)) = (layout.steps.first(), layout.steps.last())
            && let (Some(f), Some(l)) = (reduced.get(&first.name), reduced.get(&last.name))
        {
            s.materials = f.materials.clone();
            s.products = l.products.clone();
            s.byproducts = l.byproducts.clone();
            s.command = l.command.clone();
            s.name = Value::String(self.step_name.clone());
        }
        self.report.summary = Some(Arc::new(s));
    }
}
