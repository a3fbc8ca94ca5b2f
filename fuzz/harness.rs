//! The fuzz harnesses, shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`, through
//! `fuzz/src/lib.rs`) and by the stable replay test (`tests/fuzz_regressions.rs`), which runs
//! every file under `fuzz/regressions/<target>/` through the same function without
//! cargo-fuzz. A harness panics exactly when it finds a bug: a panic inside the crate, or a
//! broken invariant (a round trip that does not round-trip, a signature that verifies over
//! content that was changed).
//!
//! Every harness takes the raw fuzz input; harnesses that need the conformance corpus take
//! its folder too (`tests/fixtures/conformance/cases`).

#![allow(dead_code)]

use intoto_studio::Exc;
use intoto_studio::crypto::PublicKey;
use intoto_studio::model::envelope::{Metadata, Payload};
use intoto_studio::model::rule::{Rule, join_line, split_line};
use intoto_studio::py::fnmatch::Pattern;
use intoto_studio::py::json::{self, DumpStyle};
use intoto_studio::verify::{self, LinkSource, VerifyOptions};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The names of all harnesses (= fuzz target names = folders under `fuzz/regressions`).
pub const TARGETS: &[&str] = &[
    "metadata",
    "canonical_json",
    "rule_parse",
    "fnmatch",
    "verify_link",
    "verify_layout",
];

/// Run the harness called `target` on `data`.
pub fn run(target: &str, cases: &Path, data: &[u8]) {
    match target {
        "metadata" => metadata(data),
        "canonical_json" => canonical_json(data),
        "rule_parse" => rule_parse(data),
        "fnmatch" => fnmatch(data),
        "verify_link" => verify_link(cases, data),
        "verify_layout" => verify_layout(cases, data),
        other => panic!("no harness called {other}"),
    }
}

/// `Metadata::from_bytes` on anything; what parses must also survive every accessor, be
/// written back, and the written bytes must parse again to the same metadata.
pub fn metadata(data: &[u8]) {
    let Ok(md) = Metadata::from_bytes(data) else {
        return;
    };
    let _ = md.signature_keyids();
    let _ = md.format();
    if let Ok(p) = md.payload() {
        let _ = p.type_name();
        let _ = p.to_value();
        let _ = p.canonical();
        let _ = p.dsse_bytes();
    }
    // A key that signed nothing here: verification must fail cleanly, never panic.
    let _ = md.verify_signature(owner_key());
    let written = md.to_bytes();
    let again = Metadata::from_bytes(&written).unwrap_or_else(|e| {
        panic!(
            "written metadata does not parse again: {e}\n{}",
            String::from_utf8_lossy(&written)
        )
    });
    assert_eq!(again.format(), md.format(), "format changed on rewrite");
    assert_eq!(
        again.signature_keyids(),
        md.signature_keyids(),
        "signatures changed on rewrite"
    );
    match (md.payload(), again.payload()) {
        // A layout without `expires` gets "now + 1 month" each time it is read (as in the
        // reference): a DSSE payload, written back as it was, may be read again a second
        // later, so layouts are compared without `expires`.
        (Ok(a @ Payload::Layout(_)), Ok(b @ Payload::Layout(_))) => {
            let without_expires = |p: &Payload| {
                let mut v = p.to_value();
                if let Some(m) = v.as_object_mut() {
                    m.remove("expires");
                }
                json::canonical(&v).ok()
            };
            assert_eq!(
                without_expires(a),
                without_expires(b),
                "signed layout changed on rewrite"
            );
        }
        (Ok(a), Ok(b)) => assert_eq!(
            a.canonical().ok(),
            b.canonical().ok(),
            "signed bytes changed on rewrite"
        ),
        (Err(a), Err(b)) => assert_eq!(a.class, b.class, "payload error changed on rewrite"),
        (a, b) => panic!(
            "payload changed on rewrite: {:?} vs {:?}",
            a.map(|p| p.type_name()),
            b.map(|p| p.type_name())
        ),
    }
}

fn owner_key() -> &'static PublicKey {
    static KEY: OnceLock<PublicKey> = OnceLock::new();
    KEY.get_or_init(|| {
        PublicKey::from_pem(
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n",
        )
        .expect("a valid ed25519 key")
    })
}

fn parse(data: &[u8]) -> intoto_studio::Result<Value> {
    json::loads(data).map(|(v, _)| v)
}

/// Equal values, floats compared by value (serde_json rewrites a float's text, `1e2`; the
/// reader keeps it as written, which is all canonical JSON needs to refuse it).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y))
            if !json::number_is_int(x) || !json::number_is_int(y) =>
        {
            x.as_f64() == y.as_f64()
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && same_value(v1, v2))
        }
        _ => a == b,
    }
}

fn has_number_token_key(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.iter().any(has_number_token_key),
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| k == "$serde_json::private::Number" || has_number_token_key(v)),
        _ => false,
    }
}

fn has_control_chars(v: &Value) -> bool {
    match v {
        Value::String(s) => s.chars().any(|c| (c as u32) < 0x20),
        Value::Array(a) => a.iter().any(has_control_chars),
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| k.chars().any(|c| (c as u32) < 0x20) || has_control_chars(v)),
        _ => false,
    }
}

/// Canonical JSON: parse → canonical → parse → canonical is stable; canonical output of a
/// value without control characters in strings is valid JSON (securesystemslib writes
/// control characters raw, which no JSON parser accepts, so those are only checked for
/// stability through `dumps`); `dumps` in both styles parses back to the same canonical
/// bytes.
pub fn canonical_json(data: &[u8]) {
    let parsed = parse(data);
    // Where serde_json reads the text (standard JSON), the Python-dialect reader reads the
    // same value; only an integer Python refuses (over 4,300 digits) may differ, and an
    // object keyed by serde_json's private number token, which serde_json reads as a number.
    if let Ok(standard) = serde_json::from_slice::<Value>(data) {
        match &parsed {
            Ok(v) if has_number_token_key(v) => {}
            Ok(v) => assert!(
                same_value(v, &standard),
                "json::loads and serde_json differ: {v} vs {standard}"
            ),
            Err(e) => assert_eq!(e.class, "ValueError", "only json::loads refuses it: {e}"),
        }
    }
    let Ok(v) = parsed else {
        return;
    };
    let _ = json::py_repr(&v);
    let canon = json::canonical(&v);
    for style in [DumpStyle::Pretty, DumpStyle::OneLine] {
        let dumped = json::dumps(&v, style);
        let back = parse(dumped.as_bytes())
            .unwrap_or_else(|e| panic!("dumps({style:?}) output is not JSON: {e}\n{dumped}"));
        match &canon {
            Ok(c) => assert_eq!(
                &json::canonical(&back).expect("still canonicalisable"),
                c,
                "dumps({style:?}) changed the value"
            ),
            Err(_) => assert!(
                json::canonical(&back).is_err(),
                "dumps({style:?}) hid a float"
            ),
        }
    }
    let Ok(c1) = canon else { return };
    let s = std::str::from_utf8(&c1).expect("canonical JSON is UTF-8");
    if has_control_chars(&v) {
        return;
    }
    let v2 =
        parse(s.as_bytes()).unwrap_or_else(|e| panic!("canonical output is not JSON: {e}\n{s}"));
    let c2 = json::canonical(&v2).expect("re-parsed canonical JSON is canonicalisable");
    assert_eq!(c1, c2, "canonical JSON is not a fixed point");
}

/// Rules: tokens (split at NUL bytes) → `Rule::from_tokens`; a parsed rule is printed back
/// exactly (`tokens()`), survives `to_line` → `parse_line`, and its typed form gives the same
/// kind again. Also the whole input as one line through `parse_line`.
pub fn rule_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let tokens: Vec<String> = text.split('\0').map(str::to_string).collect();
    if let Ok(rule) = Rule::from_tokens(tokens.clone()) {
        assert_eq!(rule.tokens(), &tokens[..], "tokens not kept as written");
        check_rule(&rule);
    }
    // The line form.
    assert_eq!(
        split_line(&join_line(&tokens)).expect("a joined line splits"),
        tokens,
        "join_line/split_line round trip"
    );
    if let Ok(rule) = Rule::parse_line(&text) {
        check_rule(&rule);
    }
}

fn check_rule(rule: &Rule) {
    let kind = rule.kind().expect("a parsed rule has a kind").clone();
    let line = rule.to_line();
    let again =
        Rule::parse_line(&line).unwrap_or_else(|e| panic!("to_line {line:?} does not parse: {e}"));
    assert_eq!(&again, rule, "to_line/parse_line round trip of {line:?}");
    let typed = Rule::from_kind(kind.clone());
    let reparsed = Rule::from_tokens(typed.tokens().to_vec())
        .unwrap_or_else(|e| panic!("pack_rule form does not parse: {e}"));
    assert_eq!(reparsed.kind().unwrap(), &kind, "kind → tokens → kind");
    let _ = rule.joined();
    let _ = kind.pattern();
    let _ = kind.consumes();
}

/// fnmatch: the input is `pattern NUL name NUL name ...`; matching never panics and agrees
/// with the one-off helper, a literal pattern matches only itself, a pattern always matches
/// after prefixing `*` to a name it matched, and `*` + pattern matches everything the
/// pattern matches.
pub fn fnmatch(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let pattern = parts.next().unwrap_or("");
    let p = Pattern::new(pattern);
    let star = Pattern::new(&format!("*{pattern}"));
    for name in parts.chain(std::iter::once(pattern)) {
        let m = p.matches(name);
        assert_eq!(
            m,
            intoto_studio::py::fnmatch::fnmatch(name, pattern),
            "Pattern and fnmatch disagree on {pattern:?} / {name:?}"
        );
        if let Some(lit) = p.literal() {
            assert_eq!(m, lit == name, "literal pattern {pattern:?} vs {name:?}");
        }
        if m {
            assert!(
                star.matches(name),
                "'*' + {pattern:?} does not match {name:?}"
            );
            assert!(
                star.matches(&format!("x/{name}")),
                "'*' + {pattern:?} does not match 'x/' + {name:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Verification on mutated conformance cases.

/// One conformance case, in memory.
pub struct Case {
    pub name: String,
    /// Every file of the case (layout, keys, links, sublayout links) by absolute path.
    pub files: BTreeMap<PathBuf, Arc<[u8]>>,
    pub layout: PathBuf,
    pub link_dir: PathBuf,
    pub keys: Vec<PublicKey>,
}

/// Link files of all cases, in a stable order: (case index, path).
pub struct Corpus {
    pub cases: Vec<Case>,
    pub links: Vec<(usize, PathBuf)>,
    /// The signed content ([`signed_content`]) of every metadata file of every case: what
    /// some real key really signed. A mutated file that verifies must carry one of these
    /// (the fuzzer can splice in another case's genuine file signed by the same key).
    pub signed: std::collections::HashSet<Vec<u8>>,
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn read_tree(dir: &Path, into: &mut BTreeMap<PathBuf, Arc<[u8]>>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "workdir") {
                continue;
            }
            read_tree(&p, into);
        } else if let Ok(bytes) = std::fs::read(&p) {
            into.insert(p, bytes.into());
        }
    }
}

/// Load every conformance case (once per process).
pub fn corpus(cases_dir: &Path) -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let cases_dir = &std::fs::canonicalize(cases_dir)
            .unwrap_or_else(|e| panic!("{}: {e}", cases_dir.display()));
        let mut names: Vec<String> = std::fs::read_dir(cases_dir)
            .unwrap_or_else(|e| panic!("{}: {e}", cases_dir.display()))
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        let mut cases = Vec::new();
        let mut links = Vec::new();
        for name in names {
            let dir = cases_dir.join(&name);
            let Ok(text) = std::fs::read_to_string(dir.join("expected.json")) else {
                continue;
            };
            let expected: Value = serde_json::from_str(&text).expect("expected.json");
            let cwd = dir.join(expected["cwd"].as_str().unwrap_or("."));
            let argv: Vec<String> = expected["command"]
                .as_array()
                .expect("command")
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect();
            let (mut layout, mut link_dir, mut key_paths) = (None, cwd.clone(), Vec::new());
            let mut i = 1;
            while i < argv.len() {
                match argv[i].as_str() {
                    "--layout" | "-l" => {
                        layout = Some(normalize(&cwd.join(&argv[i + 1])));
                        i += 2;
                    }
                    "--link-dir" => {
                        link_dir = normalize(&cwd.join(&argv[i + 1]));
                        i += 2;
                    }
                    "--verification-keys" => {
                        i += 1;
                        while i < argv.len() && !argv[i].starts_with('-') {
                            key_paths.push(normalize(&cwd.join(&argv[i])));
                            i += 1;
                        }
                    }
                    _ => i += 1,
                }
            }
            let keys: Vec<PublicKey> = key_paths
                .iter()
                .filter_map(|p| PublicKey::from_pem(&std::fs::read_to_string(p).ok()?).ok())
                .collect();
            let mut files = BTreeMap::new();
            read_tree(&dir, &mut files);
            let idx = cases.len();
            for p in files.keys() {
                if p.extension().is_some_and(|e| e == "link") {
                    links.push((idx, p.clone()));
                }
            }
            cases.push(Case {
                name,
                files,
                layout: layout.expect("--layout in the case's command"),
                link_dir: normalize(&link_dir),
                keys,
            });
        }
        assert!(
            !links.is_empty(),
            "no link files in {}",
            cases_dir.display()
        );
        let signed = cases
            .iter()
            .flat_map(|c| c.files.values())
            .filter_map(|bytes| Metadata::from_bytes(bytes).ok())
            .filter_map(|md| signed_content(&md))
            .collect();
        Corpus {
            cases,
            links,
            signed,
        }
    })
}

/// A link source over a case in memory, with one file replaced.
pub struct MemLinks<'a> {
    pub case: &'a Case,
    pub replaced: Option<(PathBuf, &'a [u8])>,
}

impl LinkSource for MemLinks<'_> {
    fn load(&self, path: &Path) -> intoto_studio::Result<Arc<Metadata>> {
        let path = normalize(path);
        // Nothing outside the case's link directory may ever be asked for.
        assert!(
            path.starts_with(&self.case.link_dir),
            "verification asked for {} outside the link directory {}",
            path.display(),
            self.case.link_dir.display()
        );
        if let Some((p, bytes)) = &self.replaced
            && *p == path
        {
            return Metadata::from_bytes(bytes).map(Arc::new);
        }
        match self.case.files.get(&path) {
            Some(bytes) => Metadata::from_bytes(bytes).map(Arc::new),
            None => Err(intoto_studio::Error::new(
                Exc::FileNotFoundError,
                format!("[Errno 2] No such file or directory: '{}'", path.display()),
            )),
        }
    }
}

fn options(case: &Case, assume_signed: bool) -> VerifyOptions {
    VerifyOptions {
        link_dir: case.link_dir.clone(),
        run_inspections: false,
        persist_inspection_links: false,
        workdir: PathBuf::from("/nonexistent-fuzz-workdir"),
        // A fixed clock: the corpus's layouts expire in the future.
        clock: intoto_studio::clock::Clock::Fixed(
            jiff::Timestamp::from_second(1_767_225_600).expect("2026-01-01"),
        ),
        assume_layout_signed: assume_signed,
        ..VerifyOptions::default()
    }
}

fn exercise_report(r: &verify::Report) {
    let _ = verify::render::text(r, verify::render::Detail::Verbose);
    let _ = verify::render::text(r, verify::render::Detail::Normal);
    let _ = verify::render::markdown(r);
    let _ = serde_json::to_string(r).expect("a report serialises");
    if r.passed {
        assert!(r.failure.is_none(), "passed with a failure");
    }
}

/// What a signature over `md` covers: the canonical JSON of the normalised payload (legacy)
/// or the payload bytes (DSSE).
fn signed_content(md: &Metadata) -> Option<Vec<u8>> {
    match md {
        Metadata::Legacy { signed, .. } => signed.canonical().ok(),
        Metadata::Dsse { payload, .. } => Some(payload.to_vec()),
    }
}

/// The first byte picks a link file of the conformance corpus, the rest replaces it; the
/// case is verified in-process (inspections off). Invariants: no panic; nothing outside the
/// link directory is read; a replaced link that still verifies under the key its file name
/// names carries exactly the signed content of the original.
pub fn verify_link(cases_dir: &Path, data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let corpus = corpus(cases_dir);
    let (ci, path) = &corpus.links[sel as usize % corpus.links.len()];
    let case = &corpus.cases[*ci];
    let src = MemLinks {
        case,
        replaced: Some((path.clone(), rest)),
    };
    let md = match Metadata::load_from_case(case) {
        Some(md) => md,
        None => return,
    };
    let report = verify::verify_metadata(&md, &case.keys, &options(case, false), &src);
    exercise_report(&report);
    // No forged link: if the mutated file verifies under a key of the layout whose keyid
    // starts with the file name's keyid part, its signed content is the original's.
    let (Ok(new), Some(orig_bytes)) = (Metadata::from_bytes(rest), case.files.get(path)) else {
        return;
    };
    let Ok(orig) = Metadata::from_bytes(orig_bytes) else {
        return;
    };
    let Some(kid8) = path
        .file_stem()
        .and_then(|s| s.to_str())
        .and_then(|s| s.rsplit('.').next())
    else {
        return;
    };
    for l in all_layout_keys(case) {
        if l.keyid.starts_with(kid8) && new.verify_signature(&l).is_ok() {
            let content = signed_content(&new);
            assert!(
                content == signed_content(&orig)
                    || content.as_ref().is_some_and(|c| corpus.signed.contains(c)),
                "a changed link of {} verifies under key {} with content nobody signed",
                case.name,
                l.keyid
            );
        }
    }
}

fn all_layout_keys(case: &Case) -> Vec<PublicKey> {
    let mut out = Vec::new();
    for (p, bytes) in &case.files {
        let is_layout = p == &case.layout || p.extension().is_some_and(|e| e == "link");
        if !is_layout {
            continue;
        }
        if let Ok(md) = Metadata::from_bytes(bytes)
            && let Ok(Payload::Layout(l)) = md.payload()
        {
            out.extend(l.keys.values().map(|k| k.key.clone()));
        }
    }
    out
}

trait LoadFromCase {
    fn load_from_case(case: &Case) -> Option<Metadata>;
}

impl LoadFromCase for Metadata {
    fn load_from_case(case: &Case) -> Option<Metadata> {
        Metadata::from_bytes(case.files.get(&case.layout)?).ok()
    }
}

/// The first byte picks a conformance case, the rest replaces its layout. Verified twice:
/// with the real owner keys (a pass needs the original signed content) and as if the owner
/// had signed it (what-if mode: explores the semantics of any layout). The parsed layout also
/// goes through lint and the graph.
pub fn verify_layout(cases_dir: &Path, data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let corpus = corpus(cases_dir);
    let case = &corpus.cases[sel as usize % corpus.cases.len()];
    let Ok(md) = Metadata::from_bytes(rest) else {
        return;
    };
    let src = MemLinks {
        case,
        replaced: None,
    };
    let report = verify::verify_metadata(&md, &case.keys, &options(case, false), &src);
    exercise_report(&report);
    if report.passed {
        let orig = Metadata::load_from_case(case).expect("the original layout parses");
        let content = signed_content(&md);
        assert!(
            content == signed_content(&orig)
                || content.as_ref().is_some_and(|c| corpus.signed.contains(c)),
            "a changed layout of {} passed with the owner's keys and content nobody signed",
            case.name
        );
    }
    let report = verify::verify_metadata(&md, &case.keys, &options(case, true), &src);
    exercise_report(&report);
    if let Ok(Payload::Layout(l)) = md.payload() {
        let now = jiff::Timestamp::from_second(1_767_225_600).expect("2026-01-01");
        let _ = intoto_studio::lint::lint(l, now);
        let g = intoto_studio::graph::Graph::from_layout(l);
        let _ = g.to_text();
        let _ = g.to_dot();
        let _ = g.to_mermaid();
        let _ = intoto_studio::lint::lint_value(&l.to_value(), now);
    }
}
