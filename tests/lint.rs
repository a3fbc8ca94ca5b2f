//! Lint checks: each one triggered by a small layout (built in code from the demo layout,
//! or read from `tests/fixtures/lint/`), with its code, severity, item, rule set and index.

use intoto_studio::lint::{
    self, Check, Finding, Severity, has_errors, lint, lint_file, lint_value, load_layout,
    render_text, to_json,
};
use intoto_studio::model::layout::{Inspection, Layout, Step};
use intoto_studio::model::rule::Rule;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const DEMO: &str = "tests/fixtures/conformance/cases/pass-demo-chain-legacy/root.layout";
const DEMO_DSSE: &str = "tests/fixtures/conformance/cases/pass-demo-chain-dsse/root.layout";

fn fixture(name: &str) -> PathBuf {
    Path::new("tests/fixtures/lint").join(name)
}

fn now() -> jiff::Timestamp {
    "2030-01-01T00:00:00Z".parse().unwrap()
}

fn demo() -> Layout {
    load_layout(Path::new(DEMO)).unwrap()
}

fn rules(lines: &[&str]) -> Vec<Rule> {
    lines.iter().map(|l| Rule::parse_line(l).unwrap()).collect()
}

fn step_mut<'a>(l: &'a mut Layout, name: &str) -> &'a mut Step {
    l.steps.iter_mut().find(|s| s.name == name).unwrap()
}

fn with_code<'a>(f: &'a [Finding], code: &str) -> Vec<&'a Finding> {
    f.iter().filter(|x| x.code == code).collect()
}

/// The single finding with this code.
fn one<'a>(f: &'a [Finding], code: &str) -> &'a Finding {
    let found = with_code(f, code);
    assert_eq!(
        found.len(),
        1,
        "expected one {code}, got:\n{}",
        render_text(f)
    );
    found[0]
}

#[track_caller]
fn check(
    f: &Finding,
    severity: Severity,
    item: Option<&str>,
    rule_set: Option<&str>,
    rule_index: Option<usize>,
) {
    assert_eq!(f.severity, severity, "{f:?}");
    assert_eq!(f.item.as_deref(), item, "{f:?}");
    assert_eq!(f.rule_set.map(|k| k.rule_set()), rule_set, "{f:?}");
    assert_eq!(f.rule_index, rule_index, "{f:?}");
    assert!(!f.suggestion.is_empty(), "{f:?}");
    assert!(!f.message.is_empty(), "{f:?}");
}

const MATS: Option<&str> = Some("expected_materials");
const PRODS: Option<&str> = Some("expected_products");

#[test]
fn clean_demo_layouts_have_no_errors_or_warnings() {
    for path in [DEMO, DEMO_DSSE] {
        let f = lint_file(Path::new(path), now()).unwrap();
        assert!(!has_errors(&f), "{}", render_text(&f));
        assert!(
            f.iter().all(|x| x.severity == Severity::Info),
            "{}",
            render_text(&f)
        );
        // The first step has no material rules: an info, not a warning.
        check(
            one(&f, "no-rules"),
            Severity::Info,
            Some("clone"),
            MATS,
            None,
        );
    }
}

#[test]
fn every_pass_conformance_layout_lints_without_errors() {
    // Layouts the reference verifies successfully have no lint error, except for the
    // checks that flag rules the reference silently ignores.
    let mut checked = 0;
    for entry in std::fs::read_dir("tests/fixtures/conformance/cases").unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("pass-") {
            continue;
        }
        let f = lint_file(&dir.join("root.layout"), now()).unwrap();
        assert!(!has_errors(&f), "{name}:\n{}", render_text(&f));
        checked += 1;
    }
    assert!(checked > 5);
}

#[test]
fn match_from_unknown_name_suggests_the_closest() {
    let mut l = demo();
    step_mut(&mut l, "package").expected_materials = rules(&[
        "MATCH demo-project/* WITH PRODUCTS FROM update-verison",
        "DISALLOW *",
    ]);
    let f = lint(&l, now());
    let x = one(&f, "match-unknown-source");
    check(x, Severity::Error, Some("package"), MATS, Some(0));
    assert!(x.message.contains("'update-verison'"), "{}", x.message);
    assert!(
        x.suggestion.contains("'update-version'"),
        "{}",
        x.suggestion
    );

    // Nothing close: list the candidates.
    step_mut(&mut l, "package").expected_materials =
        rules(&["MATCH * WITH PRODUCTS FROM zzzzzzzz", "DISALLOW *"]);
    let f = lint(&l, now());
    let x = one(&f, "match-unknown-source");
    assert!(x.suggestion.contains("'clone'"), "{}", x.suggestion);

    // A MATCH against the item's own name is fine.
    step_mut(&mut l, "package").expected_materials =
        rules(&["MATCH * WITH MATERIALS FROM package", "DISALLOW *"]);
    assert!(with_code(&lint(&l, now()), "match-unknown-source").is_empty());
}

#[test]
fn typo_in_dsse_fixture() {
    let f = lint_file(&fixture("typo.dsse.layout"), now()).unwrap();
    let x = one(&f, "match-unknown-source");
    check(x, Severity::Error, Some("package"), MATS, Some(0));
    assert!(x.suggestion.contains("FROM 'update-version'"));
    // The strict loader reads the unsigned DSSE envelope too.
    assert_eq!(
        load_layout(&fixture("typo.dsse.layout"))
            .unwrap()
            .steps
            .len(),
        3
    );
}

#[test]
fn step_rule_matching_from_an_inspection() {
    let mut l = demo();
    step_mut(&mut l, "package").expected_materials =
        rules(&["MATCH * WITH PRODUCTS FROM untar", "DISALLOW *"]);
    let f = lint(&l, now());
    let x = one(&f, "match-step-from-inspection");
    check(x, Severity::Error, Some("package"), MATS, Some(0));
    // The suggestion names the steps the inspection itself matches from.
    assert!(x.suggestion.contains("'package'"), "{}", x.suggestion);
    assert!(
        x.suggestion.contains("'update-version'"),
        "{}",
        x.suggestion
    );

    // Inspection rules may match from inspections (theirs and others).
    let mut l = demo();
    l.inspect[0].expected_materials = rules(&["MATCH * WITH PRODUCTS FROM untar"]);
    assert!(with_code(&lint(&l, now()), "match-step-from-inspection").is_empty());
    assert!(with_code(&lint(&l, now()), "match-unknown-source").is_empty());
}

#[test]
fn require_after_a_consuming_rule() {
    let mut l = demo();
    step_mut(&mut l, "package").expected_products = rules(&[
        "CREATE demo-project.tar.gz",
        "REQUIRE demo-project.tar.gz",
        "DISALLOW *",
    ]);
    let f = lint(&l, now());
    let x = one(&f, "require-after-consume");
    check(x, Severity::Error, Some("package"), PRODS, Some(1));
    assert!(x.suggestion.contains("before rule #1"), "{}", x.suggestion);

    // REQUIRE first, then the consuming rule: fine (the documented workaround).
    step_mut(&mut l, "package").expected_products = rules(&[
        "REQUIRE demo-project.tar.gz",
        "CREATE demo-project.tar.gz",
        "DISALLOW *",
    ]);
    assert!(
        lint(&l, now())
            .iter()
            .all(|x| !x.code.code().starts_with("require"))
    );

    // ALLOW with a pattern that covers the path.
    step_mut(&mut l, "package").expected_products = rules(&[
        "ALLOW *.tar.gz",
        "REQUIRE demo-project.tar.gz",
        "DISALLOW *",
    ]);
    let f = lint(&l, now());
    assert!(
        one(&f, "require-after-consume")
            .message
            .contains("never pass")
    );

    // CREATE in materials and DELETE in products never consume: no REQUIRE error.
    step_mut(&mut l, "package").expected_products = rules(&["DELETE x", "REQUIRE x", "DISALLOW *"]);
    assert!(with_code(&lint(&l, now()), "require-after-consume").is_empty());

    // MATCH with an IN prefix: the prefix must match too.
    step_mut(&mut l, "package").expected_materials = rules(&[
        "MATCH *.py IN demo-project WITH PRODUCTS FROM update-version",
        "REQUIRE foo.py",
        "REQUIRE demo-project/foo.py",
        "DISALLOW *",
    ]);
    let f = lint(&l, now());
    check(
        one(&f, "require-after-consume"),
        Severity::Error,
        Some("package"),
        MATS,
        Some(2),
    );

    // A MATCH from an unknown step consumes nothing, so it does not count.
    step_mut(&mut l, "package").expected_materials = rules(&[
        "MATCH * WITH PRODUCTS FROM nowhere",
        "REQUIRE a",
        "DISALLOW *",
    ]);
    assert!(with_code(&lint(&l, now()), "require-after-consume").is_empty());
}

#[test]
fn require_after_disallow_and_unreachable_rules() {
    let mut l = demo();
    step_mut(&mut l, "package").expected_products = rules(&[
        "CREATE demo-project.tar.gz",
        "DISALLOW *",
        "REQUIRE x",
        "ALLOW y",
    ]);
    let f = lint(&l, now());
    check(
        one(&f, "require-after-disallow"),
        Severity::Error,
        Some("package"),
        PRODS,
        Some(2),
    );
    check(
        one(&f, "rule-after-disallow-all"),
        Severity::Warning,
        Some("package"),
        PRODS,
        Some(3),
    );
    assert!(with_code(&f, "no-trailing-disallow").is_empty());
}

#[test]
fn require_of_unrecordable_path_and_glob() {
    let mut l = demo();
    step_mut(&mut l, "package").expected_products = rules(&[
        "REQUIRE ./demo-project.tar.gz",
        "REQUIRE *.tar.gz",
        "CREATE demo-project.tar.gz",
        "DISALLOW *",
    ]);
    let f = lint(&l, now());
    let x = one(&f, "require-never-passes");
    check(x, Severity::Error, Some("package"), PRODS, Some(0));
    assert!(
        x.suggestion.contains("'demo-project.tar.gz'"),
        "{}",
        x.suggestion
    );
    check(
        one(&f, "require-glob"),
        Severity::Warning,
        Some("package"),
        PRODS,
        Some(1),
    );
}

#[test]
fn patterns_that_never_match() {
    let mut l = demo();
    step_mut(&mut l, "package").expected_materials = rules(&[
        "CREATE x",
        "MATCH * IN ./demo-project WITH PRODUCTS FROM update-version",
        "MATCH * IN demo-project// WITH PRODUCTS FROM update-version",
        "MATCH * WITH PRODUCTS IN ./out FROM update-version",
        "MATCH * IN demo-project/ WITH PRODUCTS FROM update-version",
        "ALLOW build/",
        "DISALLOW *",
    ]);
    step_mut(&mut l, "package").expected_products =
        rules(&["DELETE x", "CREATE demo-project.tar.gz", "DISALLOW *"]);
    let f = lint(&l, now());
    check(
        one(&f, "create-in-materials"),
        Severity::Warning,
        Some("package"),
        MATS,
        Some(0),
    );
    check(
        one(&f, "delete-in-products"),
        Severity::Warning,
        Some("package"),
        PRODS,
        Some(0),
    );
    let prefixes = with_code(&f, "match-prefix-not-normalised");
    let idx: Vec<_> = prefixes.iter().map(|x| x.rule_index.unwrap()).collect();
    assert_eq!(idx, vec![1, 2, 3], "a trailing single slash is fine");
    assert!(prefixes[0].suggestion.contains("'demo-project'"));
    assert!(prefixes[2].message.contains("destination"));
    let x = one(&f, "pattern-never-matches");
    check(x, Severity::Warning, Some("package"), MATS, Some(5));
    assert!(x.suggestion.contains("'build/*'"), "{}", x.suggestion);
}

#[test]
fn missing_trailing_disallow_and_empty_lists() {
    let mut l = demo();
    step_mut(&mut l, "package").expected_products = rules(&["CREATE demo-project.tar.gz"]);
    l.inspect[0].expected_products = Vec::new();
    let f = lint(&l, now());
    check(
        one(&f, "no-trailing-disallow"),
        Severity::Warning,
        Some("package"),
        PRODS,
        None,
    );
    let empty = with_code(&f, "no-rules");
    assert!(empty.iter().any(|x| x.item.as_deref() == Some("untar")
        && x.rule_set.map(|k| k.rule_set()) == PRODS
        && x.severity == Severity::Info));
    // `DISALLOW **` counts as `DISALLOW *`.
    step_mut(&mut l, "package").expected_products =
        rules(&["CREATE demo-project.tar.gz", "DISALLOW **"]);
    assert!(with_code(&lint(&l, now()), "no-trailing-disallow").is_empty());
}

#[test]
fn thresholds() {
    let mut l = demo();
    step_mut(&mut l, "package").set_threshold(2);
    let f = lint(&l, now());
    let x = one(&f, "threshold-too-high");
    check(x, Severity::Error, Some("package"), None, None);
    assert!(x.suggestion.contains("at most 1"), "{}", x.suggestion);

    // A repeated keyid counts once.
    let pk = step_mut(&mut l, "package").pubkeys[0].clone();
    step_mut(&mut l, "package").pubkeys.push(pk);
    let f = lint(&l, now());
    assert_eq!(with_code(&f, "threshold-too-high").len(), 1);
    check(
        one(&f, "duplicate-pubkey"),
        Severity::Warning,
        Some("package"),
        None,
        None,
    );

    // Two distinct authorized keys reach threshold 2.
    let mut l = demo();
    let other: String = l
        .keys
        .keys()
        .find(|k| !k.starts_with("407e"))
        .unwrap()
        .clone();
    step_mut(&mut l, "package").pubkeys.push(other);
    step_mut(&mut l, "package").set_threshold(2);
    assert!(with_code(&lint(&l, now()), "threshold-too-high").is_empty());

    for t in [0, -1] {
        let mut l = demo();
        step_mut(&mut l, "clone").set_threshold(t);
        let f = lint(&l, now());
        check(
            one(&f, "threshold-below-one"),
            Severity::Error,
            Some("clone"),
            None,
            None,
        );
    }
}

#[test]
fn keys_pubkeys_and_functionaries() {
    let mut l = demo();
    step_mut(&mut l, "clone").pubkeys = vec!["deadbeef".into()];
    step_mut(&mut l, "update-version").pubkeys = Vec::new();
    let f = lint(&l, now());
    let x = one(&f, "pubkey-not-in-keys");
    check(x, Severity::Error, Some("clone"), None, None);
    assert!(x.message.contains("deadbeef"));
    check(
        one(&f, "no-functionaries"),
        Severity::Error,
        Some("update-version"),
        None,
        None,
    );
    // alice's key is now used by no step.
    let x = one(&f, "key-unused");
    check(x, Severity::Warning, None, None, None);
    assert!(x.message.contains("2f898e60"));

    // A truncated keyid: the suggestion names the full one.
    let mut l = demo();
    step_mut(&mut l, "clone").pubkeys = vec!["2f898e60e4f4".into()];
    let f = lint(&l, now());
    assert!(
        one(&f, "pubkey-not-in-keys")
            .suggestion
            .contains("2f898e60e4f4e9f099281979b4bcbbc6922757f96c5771ee4f15a04dd2c70ca4")
    );
}

#[test]
fn inspections_with_empty_or_bad_run() {
    let mut l = demo();
    l.inspect[0].run = Vec::new();
    let f = lint(&l, now());
    let x = one(&f, "inspection-empty-run");
    check(x, Severity::Error, Some("untar"), None, None);
    assert!(x.message.contains("Got non-int return value 'None'"));

    l.inspect[0].run = vec![json!("tar"), json!(0)];
    let f = lint(&l, now());
    check(
        one(&f, "inspection-run-not-string"),
        Severity::Error,
        Some("untar"),
        None,
        None,
    );
}

#[test]
fn duplicate_names_in_a_programmatic_layout() {
    let mut l = demo();
    l.steps.push(Step::new("package"));
    l.inspect.push(Inspection::new("clone"));
    let f = lint(&l, now());
    let dups = with_code(&f, "duplicate-name");
    assert_eq!(dups.len(), 2, "{}", render_text(&f));
    check(dups[0], Severity::Error, Some("package"), None, None);
    check(dups[1], Severity::Error, Some("clone"), None, None);
    assert!(dups[1].message.contains("already a step"));
}

#[test]
fn duplicate_names_from_json_the_strict_parser_rejects() {
    let path = fixture("duplicate-names.json");
    assert!(load_layout(&path).is_err(), "the reference rejects it");
    let f = lint_file(&path, now()).unwrap();
    let dups = with_code(&f, "duplicate-name");
    assert_eq!(dups.len(), 2, "{}", render_text(&f));
    assert_eq!(dups[0].item.as_deref(), Some("build"));
    assert_eq!(dups[1].item.as_deref(), Some("fetch"));
    // The other checks still run.
    assert!(with_code(&f, "invalid-layout").is_empty());
}

#[test]
fn unparsable_rule_from_json() {
    let path = fixture("unparsable-rule.layout");
    assert!(load_layout(&path).is_err());
    let f = lint_file(&path, now()).unwrap();
    let x = one(&f, "rule-unparsable");
    check(x, Severity::Error, Some("build"), MATS, Some(0));
    assert!(x.message.contains("Wrong rule format"), "{}", x.message);
    // The rules after it are still checked.
    check(
        one(&f, "match-unknown-source"),
        Severity::Error,
        Some("build"),
        MATS,
        Some(1),
    );

    // A rule that no longer parses in a layout built in code.
    let mut l = demo();
    step_mut(&mut l, "clone").expected_products.insert(
        0,
        Rule::from_tokens_lenient(vec!["COPY".into(), "x".into()]),
    );
    check(
        one(&lint(&l, now()), "rule-unparsable"),
        Severity::Error,
        Some("clone"),
        PRODS,
        Some(0),
    );
}

#[test]
fn not_a_layout_and_other_invalid_input() {
    let f = lint_file(&fixture("not-a-layout.link"), now()).unwrap();
    check(one(&f, "invalid-layout"), Severity::Error, None, None, None);
    assert!(load_layout(&fixture("not-a-layout.link")).is_err());

    // Other reasons the reference rejects a layout: one invalid-layout finding.
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(DEMO).unwrap()).unwrap();
    v["signed"]["steps"][0]["threshold"] = json!("1");
    let f = lint_value(&v, now());
    assert_eq!(f.len(), 1);
    assert!(
        f[0].message.contains("Invalid threshold"),
        "{}",
        f[0].message
    );

    // A missing file is an error, not a finding.
    assert!(lint_file(&fixture("no-such-file.json"), now()).is_err());
}

#[test]
fn lint_value_accepts_body_metablock_and_bare() {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(DEMO).unwrap()).unwrap();
    assert!(!has_errors(&lint_value(&v, now())));
    assert!(!has_errors(&lint_value(&v["signed"], now())));
}

#[test]
fn names_with_path_components() {
    let mut l = demo();
    l.steps.push(Step::new("sub/dir"));
    l.steps.push(Step::new("../up"));
    l.inspect.push(Inspection::new("/abs"));
    l.inspect.push(Inspection::new("a..b"));
    let f = lint(&l, now());
    check(
        one(&f, "name-path-separator"),
        Severity::Warning,
        Some("sub/dir"),
        None,
        None,
    );
    let esc = with_code(&f, "name-escapes-link-dir");
    let items: Vec<_> = esc.iter().map(|x| x.item.as_deref().unwrap()).collect();
    assert_eq!(items, vec!["../up", "/abs"], "'a..b' is a plain name");
    assert!(esc.iter().all(|x| x.severity == Severity::Error));
}

#[test]
fn expiry() {
    let mut l = demo();
    l.expires = "2029-12-31T23:59:59Z".into();
    let f = lint(&l, now());
    let x = one(&f, "expired");
    check(x, Severity::Error, None, None, None);
    assert!(
        x.suggestion.contains("2031-01-01T00:00:00Z"),
        "{}",
        x.suggestion
    );

    // Equal counts as expired.
    l.expires = "2030-01-01T00:00:00Z".into();
    assert_eq!(with_code(&lint(&l, now()), "expired").len(), 1);

    l.expires = "2030-01-20T00:00:00Z".into();
    let f = lint(&l, now());
    let x = one(&f, "expires-soon");
    check(x, Severity::Warning, None, None, None);
    assert!(x.message.contains("in 19 days"), "{}", x.message);

    l.expires = "2030-02-01T00:00:00Z".into();
    assert!(
        lint(&l, now())
            .iter()
            .all(|x| !x.code.code().starts_with("expire"))
    );

    l.expires = "2030-01-01".into();
    check(
        one(&lint(&l, now()), "expires-invalid"),
        Severity::Error,
        None,
        None,
        None,
    );
}

#[test]
fn parameters_need_param() {
    let mut l = demo();
    step_mut(&mut l, "package").expected_products =
        rules(&["CREATE {NAME}-{VERSION}.tar.gz", "DISALLOW *"]);
    step_mut(&mut l, "package").expected_command = vec![json!("tar"), json!("{NAME}")];
    l.inspect[0].run = vec![json!("tar"), json!("xzf"), json!("{NAME}.tar.gz")];
    step_mut(&mut l, "package").expected_materials =
        rules(&["MATCH * WITH PRODUCTS FROM {PREVIOUS}", "DISALLOW *"]);
    let f = lint(&l, now());
    let params = with_code(&f, "parameter");
    assert_eq!(params.len(), 4, "{}", render_text(&f));
    check(params[0], Severity::Info, Some("package"), None, None);
    check(params[1], Severity::Info, Some("package"), MATS, Some(0));
    check(params[2], Severity::Info, Some("package"), PRODS, Some(0));
    assert!(params[2].message.contains("{NAME}, {VERSION}"));
    assert!(
        params[2]
            .suggestion
            .contains("--param NAME=<value> --param VERSION=<value>")
    );
    check(params[3], Severity::Info, Some("untar"), None, None);
    // A parameterised FROM is not reported as unknown.
    assert!(with_code(&f, "match-unknown-source").is_empty());

    step_mut(&mut l, "clone").expected_products = rules(&["ALLOW a}b", "DISALLOW *"]);
    check(
        one(&lint(&l, now()), "parameter-syntax"),
        Severity::Warning,
        Some("clone"),
        PRODS,
        Some(0),
    );
}

#[test]
fn layout_without_steps() {
    let l = Layout {
        expires: "2099-01-01T00:00:00Z".into(),
        ..Layout::new(now())
    };
    check(
        one(&lint(&l, now()), "no-steps"),
        Severity::Warning,
        None,
        None,
        None,
    );
}

#[test]
fn kitchen_sink_order_and_output() {
    let f = lint_file(&fixture("kitchen-sink.json"), now()).unwrap();
    // Layout-level first, then items in layout order, rules in order.
    let first_item = f.iter().position(|x| x.item.is_some()).unwrap();
    assert!(f[..first_item].iter().all(|x| x.item.is_none()));
    assert!(f[first_item..].iter().all(|x| x.item.is_some()));
    let item_order = ["fetch", "build", "../escape", "check"];
    let positions: Vec<usize> = f[first_item..]
        .iter()
        .map(|x| {
            item_order
                .iter()
                .position(|n| Some(*n) == x.item.as_deref())
                .unwrap()
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] <= w[1]), "{positions:?}");
    let build_mats: Vec<usize> = f
        .iter()
        .filter(|x| x.item.as_deref() == Some("build") && x.rule_set.map(|k| k.rule_set()) == MATS)
        .filter_map(|x| x.rule_index)
        .collect();
    assert!(
        build_mats.windows(2).all(|w| w[0] <= w[1]),
        "{build_mats:?}"
    );

    for code in [
        "expires-soon",
        "key-unused",
        "pubkey-not-in-keys",
        "threshold-too-high",
        "parameter",
        "match-unknown-source",
        "match-step-from-inspection",
        "require-after-consume",
        "create-in-materials",
        "match-prefix-not-normalised",
        "no-trailing-disallow",
        "delete-in-products",
        "pattern-never-matches",
        "rule-after-disallow-all",
        "name-escapes-link-dir",
        "no-functionaries",
        "threshold-below-one",
        "inspection-empty-run",
    ] {
        assert!(
            !with_code(&f, code).is_empty(),
            "{code}:\n{}",
            render_text(&f)
        );
    }
    // The REQUIRE is blamed on the ALLOW, not on the MATCH against an inspection (which
    // consumes nothing).
    assert!(
        one(&f, "require-after-consume")
            .message
            .contains("`ALLOW README.md` (rule #3)")
    );

    // One numbering: where a finding is and the rules it names count alike, from #1, as
    // the rule list shows them.
    let after = one(&f, "rule-after-disallow-all");
    let text = render_text(std::slice::from_ref(after));
    let at = after.rule_index.unwrap();
    let named: usize = after
        .message
        .split("(rule #")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(text.contains(&format!(" #{}:", at + 1)), "{text}");
    assert!(
        named <= at,
        "the earlier rule is #{named}, this one #{}: {text}",
        at + 1
    );

    // Deterministic.
    assert_eq!(f, lint_file(&fixture("kitchen-sink.json"), now()).unwrap());

    let text = render_text(&f);
    assert!(text.contains(
        "error[match-unknown-source] build, expected_materials #1: `MATCH src/* WITH PRODUCTS \
         FROM fecth`"
    ));
    assert!(
        text.contains("  help: change FROM 'fecth' to FROM 'fetch'"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("info"), "{text}");

    let v = to_json(&f);
    let arr = v["findings"].as_array().unwrap();
    assert_eq!(arr.len(), f.len());
    let m = arr
        .iter()
        .find(|x| x["code"] == "match-unknown-source")
        .unwrap();
    assert_eq!(m["severity"], "error");
    assert_eq!(m["item"], "build");
    assert_eq!(m["rule_set"], "expected_materials");
    assert_eq!(m["rule_index"], 0);
    let keyf = arr.iter().find(|x| x["code"] == "key-unused").unwrap();
    assert!(keyf["item"].is_null() && keyf["rule_index"].is_null());
}

#[test]
fn catalogue_is_consistent() {
    let mut codes: Vec<&str> = Check::ALL.iter().map(|c| c.code()).collect();
    for c in &codes {
        assert!(
            c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'),
            "{c} is not kebab-case"
        );
    }
    let n = codes.len();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), n, "duplicate codes");
    assert_eq!(lint::EXPIRY_WARNING_DAYS, 30);
}

/// An empty `expected_command` is flagged (every link of the step that records a
/// command makes verification warn), and an inspection's missing `DISALLOW *` advice says
/// that an inspection records its whole working directory.
#[test]
fn empty_expected_command_and_inspection_advice() {
    let f = lint_file(Path::new(DEMO), now()).unwrap();
    let x = one(&f, "expected-command-empty");
    assert_eq!(x.item.as_deref(), Some("update-version"));
    assert_eq!(x.severity, Severity::Info);
    let mut l = demo();
    l.inspect[0].expected_materials = rules(&["MATCH * WITH PRODUCTS FROM package"]);
    let f = lint(&l, now());
    let insp = with_code(&f, "no-trailing-disallow")
        .into_iter()
        .find(|x| x.item.as_deref() == Some("untar"))
        .expect("flagged");
    assert!(
        insp.suggestion.contains("whole working directory"),
        "{insp:?}"
    );
    step_mut(&mut l, "package").expected_materials = rules(&["ALLOW *"]);
    let f = lint(&l, now());
    let step = with_code(&f, "no-trailing-disallow")
        .into_iter()
        .find(|x| x.item.as_deref() == Some("package"))
        .expect("flagged");
    assert!(!step.suggestion.contains("working directory"), "{step:?}");
}
