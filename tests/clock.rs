//! The clock is injected: verification, lint and the binary answer for the instant they are
//! given (`VerifyOptions::clock`, `lint(.., now)`, `INTOTO_STUDIO_NOW`), never for today.

use intoto_studio::clock::Clock;
use intoto_studio::crypto::PublicKey;
use intoto_studio::verify::report::{Stage, Status};
use intoto_studio::verify::{VerifyOptions, verify_file};
use std::path::PathBuf;
use std::process::Command;

const CASE: &str = "tests/fixtures/conformance/cases/pass-demo-chain-legacy";
/// The case's layout expires at this instant (reference-judged: it passes today).
const EXPIRES: &str = "2099-12-31T23:59:59Z";

fn case() -> PathBuf {
    PathBuf::from(CASE)
}

fn verify_at(when: &str) -> intoto_studio::verify::Report {
    let key =
        PublicKey::from_pem(&std::fs::read_to_string(case().join("alice.pub")).unwrap()).unwrap();
    let opts = VerifyOptions {
        link_dir: case().join("links"),
        workdir: case().join("workdir"),
        run_inspections: false,
        persist_inspection_links: false,
        clock: Clock::fixed(when).unwrap(),
        ..VerifyOptions::default()
    };
    verify_file(&case().join("root.layout"), &[key], &opts)
}

#[test]
fn expiry_is_judged_at_the_injected_instant() {
    let before = verify_at("2099-12-31T23:59:58Z");
    assert_eq!(before.stage(Stage::Expiry).status, Status::Passed);
    assert_eq!(before.layout.expired, Some(false));
    // The reference counts `expires == now` as expired (in-toto >= 2.1).
    let at = verify_at(EXPIRES);
    assert_eq!(at.stage(Stage::Expiry).status, Status::Failed);
    assert_eq!(
        at.failure.as_ref().unwrap().reference_error,
        "LayoutExpiredError"
    );
    assert!(!verify_at("2150-06-01T00:00:00Z").passed);
}

fn bin(args: &[&str], now: Option<&str>) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_intoto-studio"));
    c.args(args).env_remove(intoto_studio::clock::NOW_ENV);
    if let Some(n) = now {
        c.env(intoto_studio::clock::NOW_ENV, n);
    }
    c.output().unwrap()
}

fn verify_args() -> Vec<String> {
    let p = |s: &str| case().join(s).display().to_string();
    vec![
        "verify".into(),
        "--layout".into(),
        p("root.layout"),
        "--verification-keys".into(),
        p("alice.pub"),
        "--link-dir".into(),
        p("links"),
    ]
}

#[test]
fn the_binary_takes_its_clock_from_the_environment_and_says_so() {
    let args = verify_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = bin(&args, Some("2100-01-01T00:00:00Z"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("LayoutExpiredError"), "{stdout}");
    assert!(
        stderr.contains("the clock is pinned to 2100-01-01T00:00:00Z by INTOTO_STUDIO_NOW"),
        "{stderr}"
    );
}

#[test]
fn an_unreadable_clock_is_a_usage_error_not_the_system_time() {
    let args = verify_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = bin(&args, Some("next tuesday"));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("INTOTO_STUDIO_NOW"), "{stderr}");
}

#[test]
fn lint_warns_by_the_injected_clock() {
    let layout = case().join("root.layout");
    let layout = layout.to_str().unwrap();
    let lint = |now: &str| {
        let out = bin(&["lint", layout, "--format", "json"], Some(now));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let soon = lint("2099-12-21T23:59:59Z");
    assert!(soon.contains("expires-soon"), "{soon}");
    assert!(soon.contains("in 10 days"), "{soon}");
    let late = lint("2100-01-01T00:00:00Z");
    assert!(late.contains("\"expired\""), "{late}");
    let early = lint("2027-07-15T00:00:00Z");
    assert!(!early.contains("expires-soon") && !early.contains("\"expired\""));
}

#[test]
fn lint_of_a_layout_made_at_a_fixed_instant() {
    use intoto_studio::lint::lint;
    use intoto_studio::model::layout::Layout;
    let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
    // A month after the last day of January is the last day of February (28 days).
    let l = Layout::new(at("2027-01-31T10:00:00Z"));
    assert_eq!(l.expires, "2027-02-28T10:00:00Z");
    let codes: Vec<_> = lint(&l, at("2027-01-31T10:00:00Z"))
        .iter()
        .map(|f| f.code.code())
        .collect();
    assert!(codes.contains(&"expires-soon"), "{codes:?}");
}
