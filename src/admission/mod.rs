//! Admission decisions: may this object's images run? Each image is matched to a policy rule,
//! its in-toto chain verified from the evidence store, and the verified chain bound to the
//! image digest. Everything that is not a verified, bound chain is a denial with a reason:
//! an error, a timeout or a panic never admits an image.
//!
//! `intoto-studio admit` decides offline for a recorded AdmissionReview; `serve` will answer
//! the API server with the same decision.

pub mod cache;
pub mod policy;
pub mod review;

use crate::verify::report::{Report, Status};
use policy::{Inspections, Mode, Policy, Rule, Unmatched};
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

/// The decision on one image.
#[derive(Debug, Clone, Serialize)]
pub struct ImageDecision {
    pub image: String,
    /// The policy rule that matched, if any.
    pub rule: Option<String>,
    pub allowed: bool,
    /// Why (for a denial, the whole diagnosis in one paragraph).
    pub reason: String,
    /// Admitted only because of `mode = "warn"` or `unmatched = "warn"`, or inspections
    /// skipped: said as warnings.
    pub warnings: Vec<String>,
    /// Which product bound the chain to the image.
    pub bound_by: Option<String>,
    /// The verification, when one ran (none when the outcome came from the cache).
    pub report: Option<Report>,
    /// Whether the outcome came from the verification cache.
    pub cached: bool,
}

/// The decision on a whole AdmissionReview.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub uid: String,
    pub allowed: bool,
    /// `status.message`: the first denial, or why the object itself is refused.
    pub message: String,
    /// Warning lines (at most 120 characters each) for the API client.
    pub warnings: Vec<String>,
    pub images: Vec<ImageDecision>,
}

/// Decide on a parsed request; with a cache, outcomes of earlier verifications of the same
/// files are used (see [`cache`]).
pub fn decide(
    policy: &Policy,
    req: &kube_core::admission::AdmissionRequest<kube_core::DynamicObject>,
    clock: &crate::clock::Clock,
    cache: Option<&cache::Cache>,
) -> Decision {
    let deny = |message: String| Decision {
        uid: req.uid.clone(),
        allowed: false,
        warnings: wrap_lines(&message),
        message,
        images: Vec::new(),
    };
    if req.operation == kube_core::admission::Operation::Delete {
        return Decision {
            uid: req.uid.clone(),
            allowed: true,
            message: String::new(),
            warnings: Vec::new(),
            images: Vec::new(),
        };
    }
    let Some(object) = &req.object else {
        return deny("the request has no object to check".into());
    };
    let object = match serde_json::to_value(object) {
        Ok(v) => v,
        Err(e) => return deny(format!("the object does not read: {e}")),
    };
    let images = match review::images(&req.kind.kind, &object) {
        Ok(i) => i,
        Err(e) => return deny(e),
    };
    let budget = Duration::from_secs(policy.timeout_seconds);
    let started = std::time::Instant::now();
    let mut decisions: Vec<ImageDecision> = Vec::new();
    for image in images {
        let left = budget.saturating_sub(started.elapsed());
        decisions.push(decide_image(policy, &image, clock, left, cache));
    }
    let allowed = decisions.iter().all(|d| d.allowed);
    let message = decisions
        .iter()
        .find(|d| !d.allowed)
        .map(|d| d.reason.clone())
        .unwrap_or_default();
    let mut warnings = Vec::new();
    for d in &decisions {
        if !d.allowed {
            warnings.extend(wrap_lines(&d.reason));
        }
        for w in &d.warnings {
            warnings.extend(wrap_lines(w));
        }
    }
    Decision {
        uid: req.uid.clone(),
        allowed,
        message,
        warnings,
        images: decisions,
    }
}

/// The image reference split: its name for the policy globs and its sha256 digest.
fn split_image(image: &str) -> Result<(String, Option<String>), String> {
    let r: oci_spec::distribution::Reference = image
        .parse()
        .map_err(|e| format!("image {image}: not an image reference: {e}"))?;
    let name = format!("{}/{}", r.registry(), r.repository());
    let digest = match r.digest() {
        None => None,
        Some(d) => match d.strip_prefix("sha256:") {
            Some(hex)
                if hex.len() == 64
                    && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
            {
                Some(hex.to_string())
            }
            _ => {
                return Err(format!(
                    "image {image}: only sha256 digests are checked, not '{d}'"
                ));
            }
        },
    };
    Ok((name, digest))
}

fn decide_image(
    policy: &Policy,
    image: &str,
    clock: &crate::clock::Clock,
    budget: Duration,
    cache: Option<&cache::Cache>,
) -> ImageDecision {
    let mut d = ImageDecision {
        image: image.to_string(),
        rule: None,
        allowed: false,
        reason: String::new(),
        warnings: Vec::new(),
        bound_by: None,
        report: None,
        cached: false,
    };
    let (name, digest) = match split_image(image) {
        Ok(x) => x,
        Err(e) => {
            d.reason = e;
            return d;
        }
    };
    let Some(rule) = policy.rule_for(&name) else {
        let why = format!("image {image}: no policy rule matches {name}");
        match policy.unmatched {
            Unmatched::Deny => d.reason = format!("{why} (unmatched = \"deny\")"),
            Unmatched::Allow => d.allowed = true,
            Unmatched::Warn => {
                d.allowed = true;
                d.warnings
                    .push(format!("{why}; admitted (unmatched = \"warn\")"));
            }
        }
        return d;
    };
    d.rule = Some(rule.name.clone());
    let Some(hex) = digest else {
        d.reason = format!(
            "image {image} (rule {}): no digest; pin the image by digest (name@sha256:…) — a tag \
             can be moved, and no registry is contacted to resolve it",
            rule.name
        );
        return d;
    };
    let outcome = image_outcome(rule, image, &name, &hex, clock, budget, cache, &mut d);
    match outcome {
        cache::Outcome::Verified { bound_by, warnings } => {
            d.allowed = true;
            d.bound_by = Some(bound_by);
            d.warnings = warnings;
        }
        cache::Outcome::Refused(reason) => {
            d.reason = format!("image {image} (rule {}): {reason}", rule.name);
            if rule.mode == Mode::Warn {
                d.allowed = true;
                d.warnings
                    .push(format!("{}; admitted (mode = \"warn\")", d.reason));
            }
        }
    }
    d
}

/// The outcome for an image under its rule: from the cache, or by fetching its evidence (a
/// registry's) and verifying it; `d` gets the report and whether the cache answered.
#[allow(clippy::too_many_arguments)]
fn image_outcome(
    rule: &Rule,
    image: &str,
    name: &str,
    hex: &str,
    clock: &crate::clock::Clock,
    budget: Duration,
    cache: Option<&cache::Cache>,
    d: &mut ImageDecision,
) -> cache::Outcome {
    // Evidence from a registry is fetched into a scratch folder (dropped with it) first,
    // within the budget; verification gets what is left.
    let started = std::time::Instant::now();
    // A registry that fails is a refusal, decided again next time (never cached).
    let fetched = match fetch_evidence(rule, name, hex, budget) {
        Ok(f) => f,
        Err(e) => return cache::Outcome::Refused(e),
    };
    let evidence = match &fetched {
        Some(dir) => dir.path().join("links"),
        None => rule.evidence.join("sha256").join(hex),
    };
    let budget = budget.saturating_sub(started.elapsed());
    let key = cache.and_then(|_| cache::key(rule, image, hex, &evidence));
    let hit = match (cache, &key) {
        (Some(c), Some(k)) => c.get(k, clock.now()),
        _ => None,
    };
    match hit {
        Some(o) => {
            d.cached = true;
            o
        }
        None => {
            let (outcome, expires, ran) =
                match verify_image(rule, image, hex, &evidence, clock, budget) {
                    Ok(v) => {
                        d.report = Some(v.report);
                        let o = cache::Outcome::Verified {
                            bound_by: v.bound_by,
                            warnings: v.warnings,
                        };
                        (o, v.layout_expires, true)
                    }
                    Err(r) => {
                        // Only a verification that reached its verdict is kept: the report says
                        // it did. Loading errors and timeouts are decided again next time.
                        let ran = r.report.is_some();
                        d.report = r.report.map(|r| *r);
                        (cache::Outcome::Refused(r.reason), None, ran)
                    }
                };
            if let (Some(c), Some(k), true) = (cache, key, ran) {
                c.put(k, outcome.clone(), clock.now(), expires);
            }
            outcome
        }
    }
}

/// Fetch the evidence of a rule whose evidence is in a registry into a scratch folder
/// (`<scratch>/links`); `None` for a directory store.
fn fetch_evidence(
    rule: &Rule,
    name: &str,
    hex: &str,
    budget: Duration,
) -> Result<Option<crate::fsutil::ScratchDir>, String> {
    use crate::evidence::registry;
    let repo = match rule.evidence_source() {
        policy::EvidenceSource::Dir(_) => return Ok(None),
        policy::EvidenceSource::Oci(None) => name.to_string(),
        policy::EvidenceSource::Oci(Some(repo)) => repo,
    };
    let at = format!("{repo}@sha256:{hex}");
    let opts = registry::RegistryOptions::for_image(
        &at,
        rule.registry.plain_http,
        rule.registry.ca.as_deref(),
        rule.registry.config.as_deref(),
        budget,
    )?;
    let (scratch, _) = registry::pull_to_scratch(&at, &opts)
        .map_err(|e| format!("the evidence in the registry: {e}"))?;
    Ok(Some(scratch))
}

/// A verified, bound chain.
struct Verified {
    report: Report,
    bound_by: String,
    warnings: Vec<String>,
    /// When the first of the root layout and its sublayouts expires.
    layout_expires: Option<jiff::Timestamp>,
}

/// A refusal, with the report when verification ran to its verdict.
struct Refused {
    reason: String,
    report: Option<Box<Report>>,
}

fn refused(reason: String) -> Refused {
    Refused {
        reason,
        report: None,
    }
}

/// Verify the image's chain from `evidence` and its binding to the digest `hex`, within
/// `budget`.
fn verify_image(
    rule: &Rule,
    image: &str,
    hex: &str,
    evidence: &Path,
    clock: &crate::clock::Clock,
    budget: Duration,
) -> Result<Verified, Refused> {
    let md = crate::model::envelope::Metadata::load(&rule.layout).map_err(|e| {
        refused(format!(
            "the layout {} does not load: {e}",
            rule.layout.display()
        ))
    })?;
    let keys = crate::crypto::load_public_keys(&rule.owner_keys)
        .map_err(|e| refused(format!("an owner key does not load: {e}")))?;
    let has_inspections = match md.payload() {
        Ok(crate::model::envelope::Payload::Layout(l)) => !l.inspect.is_empty(),
        _ => false,
    };
    if has_inspections && rule.inspections == Inspections::Deny {
        return Err(refused(
            "the layout has inspections, and the rule says inspections = \"deny\" (a webhook \
             runs no commands; \"skip\" verifies without them)"
                .into(),
        ));
    }
    if !evidence.is_dir() {
        return Err(refused(format!(
            "no evidence for this digest: {} is no directory",
            evidence.display()
        )));
    }
    let params = params_for(rule, image, hex);
    let opts = crate::verify::VerifyOptions {
        link_dir: evidence.to_path_buf(),
        params: Some(params),
        // Inspections never run here: with inspections = "skip" verification stops before
        // them (the report says so).
        run_inspections: !has_inspections,
        persist_inspection_links: false,
        clock: *clock,
        ..Default::default()
    };
    // Verification on its own thread: past the budget the image is denied (the thread's
    // result is dropped); a panic is a denial too.
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("admission-verify".into())
        .spawn(move || {
            let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                crate::verify::verify_metadata(&md, &keys, &opts, &crate::verify::FsLinks)
            }));
            let _ = tx.send(report);
        });
    if let Err(e) = spawned {
        return Err(refused(format!("verification could not start: {e}")));
    }
    let report = match rx.recv_timeout(budget) {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => return Err(refused("verification failed unexpectedly (a panic)".into())),
        Err(_) => {
            return Err(refused(format!(
                "verification did not finish within {} s",
                budget.as_secs()
            )));
        }
    };
    if let Some(why) = explain(&report) {
        return Err(Refused {
            reason: why,
            report: Some(Box::new(report)),
        });
    }
    let mut warnings: Vec<String> = report.warnings.clone();
    if !report.complete {
        warnings.push(format!(
            "image {image} (rule {}): the layout's inspections were skipped (inspections = \"skip\")",
            rule.name
        ));
    }
    match bound_by(&report, rule, hex) {
        Ok(bound_by) => Ok(Verified {
            layout_expires: earliest_expiry(&report),
            report,
            bound_by,
            warnings,
        }),
        Err(reason) => Err(Refused {
            reason,
            report: Some(Box::new(report)),
        }),
    }
}

/// The rule's parameters, with `IMAGE` and `IMAGE_DIGEST` of this image.
fn params_for(rule: &Rule, image: &str, hex: &str) -> std::collections::BTreeMap<String, String> {
    let mut params = rule.params.clone();
    params.insert("IMAGE".into(), image.to_string());
    params.insert("IMAGE_DIGEST".into(), format!("sha256:{hex}"));
    params
}

/// The chain an image was judged on, as `verify` and the TUI open it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JudgedChain {
    pub image: String,
    pub rule: String,
    pub allowed: bool,
    pub layout: std::path::PathBuf,
    pub owner_keys: Vec<std::path::PathBuf>,
    pub link_dir: std::path::PathBuf,
    pub params: std::collections::BTreeMap<String, String>,
}

impl Decision {
    /// The chain to look at: the first denied image's that a rule matched (the first
    /// image's with a chain when none was denied); `None` when no image has a chain to
    /// open (unmatched, or no digest).
    pub fn chain_in_question(&self, policy: &Policy) -> Option<JudgedChain> {
        let judged = |i: &ImageDecision| {
            let rule = policy
                .rules
                .iter()
                .find(|r| Some(&r.name) == i.rule.as_ref())?;
            let (_, hex) = split_image(&i.image).ok()?;
            let hex = hex?;
            Some(JudgedChain {
                image: i.image.clone(),
                rule: rule.name.clone(),
                allowed: i.allowed,
                layout: rule.layout.clone(),
                owner_keys: rule.owner_keys.clone(),
                link_dir: rule.evidence.join("sha256").join(&hex),
                params: params_for(rule, &i.image, &hex),
            })
        };
        let chains: Vec<JudgedChain> = self.images.iter().filter_map(judged).collect();
        chains
            .iter()
            .find(|c| !c.allowed)
            .or(chains.first())
            .cloned()
    }
}

/// When the first layout of a verified chain expires: the root layout's `expires` or a
/// sublayout's, whichever comes first.
fn earliest_expiry(r: &Report) -> Option<jiff::Timestamp> {
    let own = r.layout.expires.as_deref().and_then(|e| {
        crate::model::layout::parse_expires(e)
            .ok()?
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp())
    });
    r.steps
        .iter()
        .filter_map(|s| s.sublayout.as_deref().and_then(earliest_expiry))
        .chain(own)
        .min()
}

/// Why a report is no pass, in one paragraph (`None`: every check passed, inspections
/// perhaps skipped).
fn explain(r: &Report) -> Option<String> {
    let Some(f) = &r.failure else {
        // No failure: a pass, or stopped before the inspections on purpose.
        let stopped = r.stages.iter().any(|s| s.status == Status::Failed);
        return (stopped || (!r.passed && r.complete))
            .then(|| "verification did not pass".to_string());
    };
    let mut s = format!("{} failed ({})", f.stage.title(), f.reference_error);
    if !f.sublayout_path.is_empty() {
        s.push_str(&format!(" in sublayout {}", f.sublayout_path.join(" › ")));
    }
    if let (Some(item), Some(kind)) = (&f.item, &f.item_kind) {
        s.push_str(&format!(": {kind} {item}"));
    }
    if let Some(rule) = &f.rule {
        s.push_str(&format!(": '{}'", rule.join(" ")));
    }
    match (f.root_causes.first(), f.artifacts.first()) {
        (Some(c), _) => s.push_str(&format!(" — {}: {}", c.artifact, c.explanation)),
        (None, Some(a)) => s.push_str(&format!(" — {a}: {}", first_line(&f.message))),
        (None, None) => s.push_str(&format!(" — {}", first_line(&f.message))),
    }
    Some(s)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// The product that binds the verified chain to the image: `bind.artifact` of the link
/// `bind.step` was verified with, whose sha256 must be the image digest.
fn bound_by(r: &Report, rule: &Rule, hex: &str) -> Result<String, String> {
    let (step, artifact) = (&rule.bind.step, &rule.bind.artifact);
    let s = r
        .step(step)
        .ok_or_else(|| format!("the layout has no step '{step}' to bind the image to"))?;
    let link = s
        .link
        .as_deref()
        .ok_or_else(|| format!("step {step} has no verified link to bind the image to"))?;
    let hashes = link.products.get(artifact).ok_or_else(|| {
        format!("step {step} recorded no product '{artifact}' to bind the image to")
    })?;
    match hashes.get("sha256") {
        Some(h) if h == hex => Ok(format!("product {artifact} of step {step} (sha256:{h})")),
        Some(h) => Err(format!(
            "unbound: the verified chain is for another image — product {artifact} of step \
             {step} has sha256:{h}, the image is sha256:{hex}"
        )),
        None => Err(format!(
            "step {step} recorded no sha256 for {artifact} to bind the image to"
        )),
    }
}

/// Split a reason into warning lines of at most 120 characters (what the API server passes
/// on whole), at spaces where it can.
pub fn wrap_lines(text: &str) -> Vec<String> {
    const MAX: usize = 120;
    let mut out = Vec::new();
    for line in crate::verify::render::wrap_words(text, MAX) {
        let chars: Vec<char> = line.chars().collect();
        out.extend(chars.chunks(MAX).map(|c| c.iter().collect::<String>()));
    }
    out.retain(|l| !l.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_lines_stay_short_and_lose_nothing() {
        let text = format!("{} {}", "word ".repeat(60).trim(), "x".repeat(300));
        let lines = wrap_lines(&text);
        assert!(lines.iter().all(|l| l.chars().count() <= 120), "{lines:?}");
        assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
    }

    #[test]
    fn a_chain_expires_with_its_first_layout_sublayouts_included() {
        let case = Path::new("tests/fixtures/conformance/cases/pass-sublayout-legacy");
        let md = crate::model::envelope::Metadata::load(&case.join("root.layout")).unwrap();
        let keys = crate::crypto::load_public_keys(&[case.join("alice.pub")]).unwrap();
        let opts = crate::verify::VerifyOptions {
            link_dir: case.join("links"),
            clock: crate::clock::Clock::fixed("2026-01-01T00:00:00Z").unwrap(),
            ..Default::default()
        };
        let mut r = crate::verify::verify_metadata(&md, &keys, &opts, &crate::verify::FsLinks);
        assert!(r.passed, "{:?}", r.failure);
        let root: jiff::Timestamp = r.layout.expires.as_deref().unwrap().parse().unwrap();
        assert_eq!(earliest_expiry(&r), Some(root));
        let sub = r
            .steps
            .iter_mut()
            .find_map(|s| s.sublayout.as_deref_mut())
            .expect("the case has a sublayout");
        sub.layout.expires = Some("2026-02-01T00:00:00Z".into());
        assert_eq!(
            earliest_expiry(&r),
            Some("2026-02-01T00:00:00Z".parse().unwrap()),
            "the sublayout expires first"
        );
    }

    #[test]
    fn images_split_into_name_and_digest() {
        let hex = "a".repeat(64);
        assert_eq!(
            split_image(&format!("registry.example/app/web@sha256:{hex}")).unwrap(),
            ("registry.example/app/web".to_string(), Some(hex.clone()))
        );
        assert_eq!(
            split_image("nginx:1.27").unwrap(),
            ("docker.io/library/nginx".to_string(), None)
        );
        assert!(split_image("r/x@sha512:abcd").is_err());
        assert!(split_image("UPPER/Case").is_err());
    }
}
