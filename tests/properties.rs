//! Property tests (proptest):
//!
//! * canonical JSON: for generated JSON values without floats, `canonical` is a fixed point
//!   through parsing (`canonical(parse(canonical(v))) == canonical(v)`), its output is valid
//!   JSON that parses back to `v` (when no string holds a control character, which
//!   securesystemslib writes raw), and `dumps` in both styles parses back to the same
//!   canonical bytes;
//! * rules: `parse(print(rule)) == rule` for generated rules, through the token form
//!   (`RuleKind::to_tokens` → `Rule::from_tokens`) and the line form (`Rule::to_line` →
//!   `Rule::parse_line`), keyword case kept as written;
//! * the verifier never panics (and never accepts a changed signed link or layout) on
//!   byte-level and JSON-level mutations of conformance cases, run in-process through the
//!   fuzz harness's in-memory `LinkSource` (`fuzz/harness.rs`).

#[path = "../fuzz/harness.rs"]
mod harness;

use intoto_studio::model::rule::{ArtifactKind, Rule, RuleKind, join_line, split_line};
use intoto_studio::py::json;
use proptest::prelude::*;
use serde_json::{Map, Number, Value};
use std::path::{Path, PathBuf};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conformance/cases")
}

// ---------------------------------------------------------------------------------------
// JSON values

fn any_string(control: bool) -> impl Strategy<Value = String> {
    if control {
        prop_oneof![
            ".*",
            "[a-z\\\\\"/ ]{0,8}",
            "[\\x00-\\x1f\\x7f\u{80}-\u{ff}\u{2028}\u{fdd0}\u{ffff}\u{10000}-\u{10ffff}]{0,6}",
        ]
        .boxed()
    } else {
        prop_oneof![
            "[^\\x00-\\x1f]*",
            "[a-z\\\\\"/ ]{0,8}",
            "[\\x7f\u{80}-\u{ff}\u{2028}\u{fdd0}\u{ffff}\u{10000}-\u{10ffff}]{0,6}",
        ]
        .boxed()
    }
}

fn int_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Integers beyond 64 bits (10^40 and the like): kept exactly.
        ("[1-9][0-9]{19,60}", any::<bool>()).prop_map(|(digits, neg)| {
            let text = if neg { format!("-{digits}") } else { digits };
            Value::Number(serde_json::from_str::<Number>(&text).expect("an integer"))
        }),
    ]
}

fn json_value(control: bool) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        int_number(),
        any_string(control).prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any_string(control), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn canonical_json_round_trips(v in json_value(false)) {
        let c1 = json::canonical(&v).expect("no floats: canonicalisable");
        let text = std::str::from_utf8(&c1).expect("UTF-8");
        let back = json::loads(text.as_bytes()).map(|(v, _)| v).expect("canonical output is valid JSON");
        prop_assert_eq!(&back, &v, "canonical output parses to the same value");
        prop_assert_eq!(json::canonical(&back).unwrap(), c1);
    }

    #[test]
    fn canonical_json_is_stable_through_dumps(v in json_value(true)) {
        let c1 = json::canonical(&v).expect("no floats: canonicalisable");
        for style in [json::DumpStyle::Pretty, json::DumpStyle::OneLine] {
            let dumped = json::dumps(&v, style);
            prop_assert!(dumped.is_ascii(), "dumps is ASCII-only");
            let back = json::loads(dumped.as_bytes()).map(|(v, _)| v).expect("dumps output is valid JSON");
            prop_assert_eq!(&back, &v);
            prop_assert_eq!(json::canonical(&back).unwrap(), c1.clone());
        }
    }

    #[test]
    fn canonical_json_rejects_every_float(v in json_value(false), at in any::<prop::sample::Index>(),
                                          f in prop_oneof![Just("1.5"), Just("1e3"), Just("-0.0"), Just("1E-7")]) {
        // Put a float somewhere in the value: canonical JSON must refuse the whole value.
        let float = Value::Number(serde_json::from_str::<Number>(f).unwrap());
        let mut v = Value::Array(vec![v]);
        let mut slots = Vec::new();
        collect_slots(&v, &mut Vec::new(), &mut slots);
        let path = at.get(&slots).clone();
        insert_at(&mut v, &path, float);
        prop_assert!(json::canonical(&v).is_err());
    }
}

/// Paths to every array in `v` (where a value can be pushed).
fn collect_slots(v: &Value, path: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    if let Value::Array(a) = v {
        out.push(path.clone());
        for (i, item) in a.iter().enumerate() {
            path.push(i);
            collect_slots(item, path, out);
            path.pop();
        }
    } else if let Value::Object(m) = v {
        for (i, item) in m.values().enumerate() {
            path.push(i);
            collect_slots(item, path, out);
            path.pop();
        }
    }
}

fn insert_at(v: &mut Value, path: &[usize], new: Value) {
    match (v, path.split_first()) {
        (Value::Array(a), None) => a.push(new),
        (Value::Array(a), Some((i, rest))) => insert_at(&mut a[*i], rest, new),
        (Value::Object(m), Some((i, rest))) => {
            let item = m.values_mut().nth(*i).unwrap();
            insert_at(item, rest, new)
        }
        _ => unreachable!("slots point at arrays"),
    }
}

// ---------------------------------------------------------------------------------------
// Rules

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_./*?-]{1,12}",
        "[a-z*\\[\\]!]{0,6}",
        ".{0,10}",
        "[ '\"\\\\\t]{0,4}",
    ]
}

/// A keyword in random letter case (the reference matches keywords case-insensitively).
fn keyword(word: &'static str) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<bool>(), word.len()).prop_map(move |upper| {
        word.chars()
            .zip(upper)
            .map(|(c, u)| {
                if u {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    })
}

fn rule_kind() -> impl Strategy<Value = RuleKind> {
    let dest = prop_oneof![Just(ArtifactKind::Materials), Just(ArtifactKind::Products)];
    prop_oneof![
        token().prop_map(RuleKind::Create),
        token().prop_map(RuleKind::Delete),
        token().prop_map(RuleKind::Modify),
        token().prop_map(RuleKind::Allow),
        token().prop_map(RuleKind::Disallow),
        token().prop_map(RuleKind::Require),
        (
            token(),
            prop_oneof![Just(String::new()), token()],
            dest,
            prop_oneof![Just(String::new()), token()],
            token()
        )
            .prop_map(
                |(pattern, source_prefix, dest_type, dest_prefix, dest_name)| {
                    RuleKind::Match {
                        pattern,
                        source_prefix,
                        dest_type,
                        dest_prefix,
                        dest_name,
                    }
                }
            ),
    ]
}

/// A rule as a layout author may write it: keywords in any case.
fn written_rule() -> impl Strategy<Value = Vec<String>> {
    let generic = (
        prop_oneof![
            keyword("create"),
            keyword("delete"),
            keyword("modify"),
            keyword("allow"),
            keyword("disallow"),
            keyword("require")
        ],
        token(),
    )
        .prop_map(|(k, p)| vec![k, p]);
    let matching = (
        keyword("match"),
        token(),
        prop::option::of((keyword("in"), token())),
        keyword("with"),
        prop_oneof![keyword("materials"), keyword("products")],
        prop::option::of((keyword("in"), token())),
        keyword("from"),
        token(),
    )
        .prop_map(|(m, p, src, w, t, dst, f, step)| {
            let mut v = vec![m, p];
            if let Some((i, s)) = src {
                v.extend([i, s]);
            }
            v.extend([w, t]);
            if let Some((i, d)) = dst {
                v.extend([i, d]);
            }
            v.extend([f, step]);
            v
        });
    prop_oneof![generic, matching]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn rule_tokens_round_trip(kind in rule_kind()) {
        let rule = Rule::from_kind(kind.clone());
        let parsed = Rule::from_tokens(rule.tokens().to_vec()).expect("printed rules parse");
        prop_assert_eq!(parsed.kind().unwrap(), &kind);
        prop_assert_eq!(&parsed, &rule);
    }

    #[test]
    fn rule_line_round_trip(kind in rule_kind()) {
        let rule = Rule::from_kind(kind);
        let line = rule.to_line();
        let parsed = Rule::parse_line(&line).expect("to_line output parses");
        prop_assert_eq!(parsed, rule, "line {:?}", line);
    }

    #[test]
    fn written_rules_keep_their_tokens(tokens in written_rule()) {
        let rule = Rule::from_tokens(tokens.clone()).expect("a well-formed rule parses");
        prop_assert_eq!(rule.tokens(), &tokens[..], "printed back exactly as written");
        let again = Rule::parse_line(&rule.to_line()).expect("line form parses");
        prop_assert_eq!(&again, &rule);
        // Its typed form means the same rule.
        let typed = Rule::from_kind(rule.kind().unwrap().clone());
        prop_assert_eq!(typed.kind().unwrap(), rule.kind().unwrap());
    }

    #[test]
    fn join_and_split_lines_round_trip(tokens in prop::collection::vec(token(), 0..8)) {
        prop_assert_eq!(split_line(&join_line(&tokens)).unwrap(), tokens);
    }

    #[test]
    fn rule_parsing_never_panics(tokens in prop::collection::vec(token(), 0..12), line in ".{0,40}") {
        let _ = Rule::from_tokens(tokens);
        let _ = Rule::parse_line(&line);
    }
}

// ---------------------------------------------------------------------------------------
// The verifier on mutated conformance cases

#[derive(Debug, Clone)]
enum Mutation {
    Flip(prop::sample::Index, u8),
    Insert(prop::sample::Index, Vec<u8>),
    Delete(prop::sample::Index, usize),
    Truncate(prop::sample::Index),
    /// Replace a JSON node (picked among all nodes, DSSE payloads decoded) by a new value.
    Json(prop::sample::Index, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let special = prop_oneof![
        json_value(true),
        Just(Value::Number(serde_json::from_str("1.5").unwrap())),
        Just(Value::Number(serde_json::from_str("1e400").unwrap())),
        Just(serde_json::json!("../../etc/passwd")),
        Just(serde_json::json!({"sha256": "zz"})),
        Just(serde_json::json!([["DISALLOW", "*"]])),
        Just(serde_json::json!([[
            "MATCH", "*", "WITH", "PRODUCTS", "FROM", "nothing"
        ]])),
    ];
    prop_oneof![
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (
            any::<prop::sample::Index>(),
            prop::collection::vec(any::<u8>(), 1..8)
        )
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<prop::sample::Index>(), 1..16usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        (any::<prop::sample::Index>(), special).prop_map(|(i, v)| Mutation::Json(i, v)),
        (any::<prop::sample::Index>(), special_json_token())
            .prop_map(|(i, v)| Mutation::Json(i, v)),
    ]
}

fn special_json_token() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(serde_json::json!(0)),
        Just(serde_json::json!(-1)),
        Just(Value::Number(
            serde_json::from_str("10000000000000000000000000000000000000000").unwrap()
        )),
        Just(serde_json::json!("")),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
    ]
}

/// All node paths of a JSON value (object keys and array indices).
fn node_paths(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(path.clone());
    match v {
        Value::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                path.push(Value::from(i));
                node_paths(item, path, out);
                path.pop();
            }
        }
        Value::Object(m) => {
            for (k, item) in m {
                path.push(Value::String(k.clone()));
                node_paths(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn replace_node(v: &mut Value, path: &[Value], new: Value) {
    match path.split_first() {
        None => *v = new,
        Some((Value::Number(i), rest)) => {
            replace_node(&mut v[i.as_u64().unwrap() as usize], rest, new)
        }
        Some((Value::String(k), rest)) => replace_node(&mut v[k.as_str()], rest, new),
        _ => unreachable!(),
    }
}

fn apply(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    let mut b = bytes.to_vec();
    let at = |i: &prop::sample::Index, len: usize| if len == 0 { 0 } else { i.index(len) };
    match m {
        Mutation::Flip(i, x) => {
            if !b.is_empty() {
                let p = at(i, b.len());
                b[p] ^= x | 1;
            }
        }
        Mutation::Insert(i, ins) => {
            let p = at(i, b.len() + 1);
            b.splice(p..p, ins.iter().copied());
        }
        Mutation::Delete(i, n) => {
            let p = at(i, b.len());
            let end = (p + n).min(b.len());
            b.drain(p..end);
        }
        Mutation::Truncate(i) => b.truncate(at(i, b.len() + 1)),
        Mutation::Json(i, new) => {
            let Ok(mut v) = serde_json::from_slice::<Value>(&b) else {
                return b;
            };
            // A DSSE payload is mutated inside (and re-encoded), keeping its signatures.
            let dsse = v.get("payload").and_then(Value::as_str).and_then(|p| {
                use base64::Engine as _;
                let raw = base64::engine::general_purpose::STANDARD.decode(p).ok()?;
                serde_json::from_slice::<Value>(&raw).ok()
            });
            let mut target = dsse.clone().unwrap_or_else(|| v.clone());
            let mut paths = Vec::new();
            node_paths(&target, &mut Vec::new(), &mut paths);
            let path = i.get(&paths).clone();
            replace_node(&mut target, &path, new.clone());
            if dsse.is_some() {
                use base64::Engine as _;
                v["payload"] = Value::String(
                    base64::engine::general_purpose::STANDARD
                        .encode(serde_json::to_vec(&target).unwrap()),
                );
            } else {
                v = target;
            }
            b = serde_json::to_vec_pretty(&v).unwrap();
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn verify_never_panics_on_mutated_links(
        pick in any::<prop::sample::Index>(),
        muts in prop::collection::vec(mutation(), 1..4),
    ) {
        let corpus = harness::corpus(&cases_dir());
        let i = pick.index(corpus.links.len());
        let (ci, path) = &corpus.links[i];
        let mut bytes = corpus.cases[*ci].files[path].to_vec();
        for m in &muts {
            bytes = apply(&bytes, m);
        }
        let mut input = vec![i as u8];
        // The harness picks the link with one byte; keep the choice when there are more links.
        if corpus.links.len() > 256 {
            return Ok(());
        }
        input.extend_from_slice(&bytes);
        harness::verify_link(&cases_dir(), &input);
    }

    #[test]
    fn verify_never_panics_on_mutated_layouts(
        pick in any::<prop::sample::Index>(),
        muts in prop::collection::vec(mutation(), 1..4),
    ) {
        let corpus = harness::corpus(&cases_dir());
        let ci = pick.index(corpus.cases.len());
        let case = &corpus.cases[ci];
        let mut bytes = case.files[&case.layout].to_vec();
        for m in &muts {
            bytes = apply(&bytes, m);
        }
        let mut input = vec![ci as u8];
        input.extend_from_slice(&bytes);
        harness::verify_layout(&cases_dir(), &input);
    }

    #[test]
    fn metadata_parsing_never_panics(
        pick in any::<prop::sample::Index>(),
        muts in prop::collection::vec(mutation(), 1..4),
    ) {
        let corpus = harness::corpus(&cases_dir());
        let (ci, path) = &corpus.links[pick.index(corpus.links.len())];
        let mut bytes = corpus.cases[*ci].files[path].to_vec();
        for m in &muts {
            bytes = apply(&bytes, m);
        }
        harness::metadata(&bytes);
        harness::canonical_json(&bytes);
    }
}

/// The mutations above reach the verifier: an unmutated link passes its case's verdict,
/// and a JSON-level change of a signed field is caught by the signature check.
#[test]
fn mutations_reach_the_signature_check() {
    use intoto_studio::model::envelope::Metadata;
    let corpus = harness::corpus(&cases_dir());
    let (ci, path) = corpus
        .links
        .iter()
        .find(|(ci, p)| {
            corpus.cases[*ci].name == "pass-demo-chain-legacy"
                && p.file_name().unwrap() == "clone.2f898e60.link"
        })
        .unwrap();
    let case = &corpus.cases[*ci];
    let bytes = case.files[path].to_vec();
    let mut v: Value = serde_json::from_slice(&bytes).unwrap();
    v["signed"]["products"] = serde_json::json!({"evil": {"sha256": "00"}});
    let changed = serde_json::to_vec(&v).unwrap();
    let md = Metadata::from_bytes(&changed).unwrap();
    let bob = intoto_studio::crypto::PublicKey::from_pem(
        &std::fs::read_to_string(cases_dir().join("pass-demo-chain-legacy/bob.pub")).unwrap(),
    )
    .unwrap();
    assert!(
        Metadata::from_bytes(&bytes)
            .unwrap()
            .verify_signature(&bob)
            .is_ok()
    );
    assert!(md.verify_signature(&bob).is_err());
}
