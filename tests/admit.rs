//! `intoto-studio admit`: recorded AdmissionReviews (v1 and v1beta1, written from the
//! Kubernetes API schema) decided offline against a policy whose chains are conformance
//! cases the reference judged (their `expected.json`), with their links as the evidence of an
//! image whose digest is one of their products.

mod common;

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};

use common::admission::*;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn admit(s: &Setup, review: &Value, format: &str) -> Out {
    let file = s.dir.join("review.json");
    std::fs::write(&file, review.to_string()).unwrap();
    admit_file(s, &file, format)
}

fn admit_file(s: &Setup, file: &Path, format: &str) -> Out {
    admit_file_at(s, file, format, "2026-01-01T00:00:00Z")
}

/// `admit` with the clock at `now`.
fn admit_file_at(s: &Setup, file: &Path, format: &str, now: &str) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_intoto-studio"))
        .arg("admit")
        .arg(file)
        .arg("--policy")
        .arg(s.dir.join("policy.toml"))
        .args(["--format", format])
        .stdin(Stdio::null())
        .env("INTOTO_STUDIO_NOW", now)
        .output()
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json_of(o: &Out) -> Value {
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", o.stdout))
}

#[test]
fn a_verified_bound_image_is_allowed() {
    assert_eq!(expected("pass-all-rule-types-legacy")["passed"], true);
    let s = setup();
    let image = format!("registry.example/app/web@sha256:{APP_BIN}");
    let out = admit(
        &s,
        &pod_review("admission.k8s.io/v1", "u-ok", "Pod", pod(&[&image])),
        "json",
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let v = json_of(&out);
    assert_eq!(v["allowed"], true);
    assert_eq!(v["review"]["response"]["uid"], "u-ok");
    assert_eq!(v["review"]["response"]["allowed"], true);
    assert_eq!(v["review"]["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(
        v["images"][0]["bound_by"],
        format!("product dist/app.bin of step release (sha256:{APP_BIN})")
    );
    let text = admit(
        &s,
        &pod_review("admission.k8s.io/v1", "u-ok", "Pod", pod(&[&image])),
        "text",
    );
    assert!(
        text.stdout.starts_with("ALLOWED (request u-ok)"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_failing_chain_is_denied_with_the_whole_diagnosis() {
    let want = expected("fail-tampered-artifact-legacy");
    let s = setup();
    let image = format!("registry.example/demo/web@sha256:{TARBALL}");
    let review = pod_review("admission.k8s.io/v1", "u-bad", "Pod", pod(&[&image]));
    let out = admit(&s, &review, "json");
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let v = json_of(&out);
    let message = v["review"]["response"]["status"]["message"]
        .as_str()
        .unwrap();
    assert_eq!(v["review"]["response"]["allowed"], false);
    // The image, the rule, the reference's class, the failing item, rule and artifact.
    let item = want["failing_item"].as_str().unwrap();
    let class = want["error_class"].as_str().unwrap();
    for needle in [
        image.as_str(),
        "(rule demo)",
        class,
        &format!("step {item}"),
        "demo-project/foo.py",
    ] {
        assert!(message.contains(needle), "{needle}: {message}");
    }
    if let Some(rule) = want["failing_rule"].as_array() {
        let rule: Vec<&str> = rule.iter().map(|t| t.as_str().unwrap()).collect();
        assert!(
            message.contains(&format!("'{}'", rule.join(" "))),
            "{message}"
        );
    }
    let warnings = v["review"]["response"]["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .all(|w| w.as_str().unwrap().chars().count() <= 120)
    );
    assert_eq!(
        warnings
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect::<Vec<_>>()
            .join(" "),
        message
    );
    // The text view carries the full trace.
    let text = admit(&s, &review, "text");
    assert!(
        text.stdout.starts_with("DENIED (request u-bad)"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("| Failure"), "{}", text.stdout);
}

#[test]
fn every_image_of_every_workload_kind_is_checked() {
    let s = setup();
    let good = format!("registry.example/app/web@sha256:{APP_BIN}");
    let other = format!("registry.example/app/web@sha256:{}", "0".repeat(64));
    let spec = |init: &str| json!({"containers": [{"name": "a", "image": good}], "initContainers": [{"name": "i", "image": init}]});
    for (kind, object) in [
        (
            "Deployment",
            json!({"spec": {"template": {"spec": spec(&other)}}}),
        ),
        (
            "CronJob",
            json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": spec(&other)}}}}}),
        ),
        ("Job", json!({"spec": {"template": {"spec": spec(&other)}}})),
    ] {
        let out = admit(
            &s,
            &pod_review("admission.k8s.io/v1", "u", kind, object),
            "json",
        );
        assert_eq!(out.code, 1, "{kind}: {}", out.stdout);
        let v = json_of(&out);
        assert_eq!(v["images"][0]["allowed"], true, "{kind}");
        let reason = v["images"][1]["reason"].as_str().unwrap();
        assert!(
            reason.contains("no evidence for this digest"),
            "{kind}: {reason}"
        );
    }
    // The evidence of one image does not admit another: the binding fails.
    std::fs::rename(
        s.dir.join(format!("evidence-app/sha256/{APP_BIN}")),
        s.dir
            .join(format!("evidence-app/sha256/{}", "0".repeat(64))),
    )
    .unwrap();
    let out = admit(
        &s,
        &pod_review("admission.k8s.io/v1", "u", "Pod", pod(&[&other])),
        "json",
    );
    assert_eq!(out.code, 1);
    let reason = json_of(&out)["images"][0]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("unbound"), "{reason}");
}

#[test]
fn what_is_not_a_verified_chain_is_denied() {
    let s = setup();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "a tag only",
            pod(&["registry.example/app/web:1.2"]),
            "no digest",
        ),
        (
            "an unmatched image",
            pod(&[&format!("elsewhere.example/x@sha256:{APP_BIN}")]),
            "no policy rule matches",
        ),
        (
            "inspections = deny",
            pod(&[&format!("registry.example/strict/x@sha256:{IMAGE_TAR}")]),
            "inspections = \"deny\"",
        ),
        ("a kind without pods", json!({"spec": {}}), "not checked"),
    ];
    for (what, object, needle) in cases {
        let kind = if what == "a kind without pods" {
            "Service"
        } else {
            "Pod"
        };
        let out = admit(
            &s,
            &pod_review("admission.k8s.io/v1", "u", kind, object),
            "json",
        );
        assert_eq!(out.code, 1, "{what}: {}", out.stdout);
        let message = json_of(&out)["message"].as_str().unwrap().to_string();
        assert!(message.contains(needle), "{what}: {message}");
    }
    // Inspections skipped: admitted, and said in the warnings.
    let image = format!("registry.example/container/x@sha256:{IMAGE_TAR}");
    let out = admit(
        &s,
        &pod_review("admission.k8s.io/v1beta1", "u-b", "Pod", pod(&[&image])),
        "json",
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    let v = json_of(&out);
    assert_eq!(v["review"]["apiVersion"], "admission.k8s.io/v1beta1");
    let warnings = v["review"]["response"]["warnings"].to_string();
    assert!(warnings.contains("inspections were skipped"), "{warnings}");

    // No request: denied; a body that is no AdmissionReview: a usage error; never allowed.
    let null =
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": null});
    let out = admit(&s, &null, "json");
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(json_of(&out)["review"]["response"]["allowed"], false);
    let broken = s.dir.join("broken.json");
    std::fs::write(&broken, "{\"apiVersion\": ").unwrap();
    let out = admit_file(&s, &broken, "json");
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("not an AdmissionReview"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_chain_of_our_own_binds_the_pushed_manifest_and_expires_with_its_layout() {
    let s = setup();
    let digest = own_chain(&s.dir);
    let own = s.dir.join("own");
    // The reference accepts the chain our keygen, sign and run made.
    if let Some(reference) = common::reference() {
        let out = Command::new(reference.join("in-toto-verify"))
            .args([
                "--layout",
                "root.layout",
                "--verification-keys",
                "owner.pub",
                "--link-dir",
                "links",
            ])
            .current_dir(&own)
            .env("PYTHONWARNINGS", "ignore")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let image = format!("registry.example/own/app@sha256:{digest}");
    let review = pod_review("admission.k8s.io/v1", "u-own", "Pod", pod(&[&image]));
    let out = admit(&s, &review, "json");
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        json_of(&out)["images"][0]["bound_by"],
        format!("product image.manifest.json of step push (sha256:{digest})")
    );

    // After the layout's expiry the same evidence admits nothing.
    let out = admit_file_at(
        &s,
        &s.dir.join("review.json"),
        "json",
        "2100-01-01T00:00:00Z",
    );
    assert_eq!(out.code, 1);
    let message = json_of(&out)["message"].as_str().unwrap().to_string();
    assert!(message.contains("layout expiry failed"), "{message}");
    assert!(message.contains("expired"), "{message}");

    // A push that recorded another manifest does not bind this image.
    let pushed = own.join("pushed.json");
    let other = std::fs::read_to_string(&pushed)
        .unwrap()
        .replace("\"size\":8", "\"size\":9");
    std::fs::write(&pushed, other).unwrap();
    let evidence = s.dir.join(format!("evidence-own/sha256/{digest}"));
    let push_link = link_file(&evidence, "push");
    run_push(&own, &evidence);
    assert!(push_link.exists(), "the new push link replaced the old one");
    let out = admit(&s, &review, "json");
    assert_eq!(out.code, 1, "{}", out.stdout);
    let message = json_of(&out)["message"].as_str().unwrap().to_string();
    assert!(message.contains("unbound"), "{message}");
    assert!(
        message.contains("image.manifest.json of step push"),
        "{message}"
    );
}

#[test]
fn admit_tui_needs_an_image_with_a_chain() {
    let s = setup();
    let file = s.dir.join("review.json");
    let review = pod_review(
        "admission.k8s.io/v1",
        "u",
        "Pod",
        pod(&["registry.example/app/web:1.2"]),
    );
    std::fs::write(&file, review.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_intoto-studio"))
        .arg("admit")
        .arg(&file)
        .arg("--policy")
        .arg(s.dir.join("policy.toml"))
        .arg("--tui")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no image of this review has a chain to open"),
        "{err}"
    );
    assert!(err.contains("no digest"), "{err}");
}
