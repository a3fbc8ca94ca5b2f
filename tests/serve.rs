//! `serve` over real HTTPS on 127.0.0.1 with a real client (curl): AdmissionReviews answered
//! as `admit` decides them, health, readiness and metrics, a body that is no review (400), the
//! policy reloaded (a good one taken, a bad one refused and the old kept), and a graceful
//! shutdown on SIGTERM. Counts, not timings.

mod common;

use common::admission::*;
use common::server::*;
use serde_json::json;
use std::process::Command;

fn metric(text: &str, outcome: &str) -> u64 {
    text.lines()
        .find(|l| l.contains(&format!("outcome=\"{outcome}\"")) && !l.starts_with('#'))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn the_webhook_answers_over_https_and_reloads_its_policy() {
    let s = setup();
    let server = start(&s, &[]);
    assert_eq!(server.request("/healthz", None), (200, "ok\n".into()));
    assert_eq!(server.request("/readyz", None), (200, "ready\n".into()));

    // Allowed and denied, answered in the version asked, the uid echoed, the log names it.
    let good = format!("registry.example/app/web@sha256:{APP_BIN}");
    let r = server.review(&pod_review(
        "admission.k8s.io/v1",
        "uid-good",
        "Pod",
        pod(&[&good]),
    ));
    assert_eq!(r["response"]["uid"], "uid-good");
    assert_eq!(r["response"]["allowed"], true, "{r}");
    server.wait_log("uid-good");
    let bad = format!("registry.example/demo/web@sha256:{TARBALL}");
    let r = server.review(&pod_review(
        "admission.k8s.io/v1beta1",
        "uid-bad",
        "Pod",
        pod(&[&bad]),
    ));
    assert_eq!(r["apiVersion"], "admission.k8s.io/v1beta1");
    assert_eq!(r["response"]["allowed"], false);
    let message = r["response"]["status"]["message"].as_str().unwrap();
    let item = expected("fail-tampered-artifact-legacy")["failing_item"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains(&format!("step {item}")), "{message}");
    let tag = server.review(&pod_review(
        "admission.k8s.io/v1",
        "u",
        "Pod",
        pod(&["registry.example/app/web:1"]),
    ));
    assert_eq!(tag["response"]["allowed"], false);

    // No AdmissionReview: 400; no request: denied.
    assert_eq!(server.request("/verify", Some("{\"kind\": 1")).0, 400);
    let null =
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": null});
    assert_eq!(server.review(&null)["response"]["allowed"], false);

    let (code, m) = server.request("/metrics", None);
    assert_eq!(code, 200);
    assert_eq!(metric(&m, "allowed"), 1, "{m}");
    assert_eq!(metric(&m, "denied"), 2, "{m}");
    assert_eq!(metric(&m, "invalid"), 2, "{m}");

    // A bad new policy is refused and the old one kept; a good one is taken.
    let policy = s.dir.join("policy.toml");
    let old = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(&policy, "unmatched = \"perhaps\"\n").unwrap();
    server.wait_log("new policy refused");
    let r = server.review(&pod_review(
        "admission.k8s.io/v1",
        "u2",
        "Pod",
        pod(&[&good]),
    ));
    assert_eq!(r["response"]["allowed"], true, "the old policy still holds");
    std::fs::write(
        &policy,
        old.replace("unmatched = \"deny\"", "unmatched = \"allow\"") + "\n",
    )
    .unwrap();
    server.wait_log("policy reloaded");
    let other = format!("elsewhere.example/x@sha256:{APP_BIN}");
    let r = server.review(&pod_review(
        "admission.k8s.io/v1",
        "u3",
        "Pod",
        pod(&[&other]),
    ));
    assert_eq!(r["response"]["allowed"], true, "unmatched = allow now: {r}");
    let (_, m) = server.request("/metrics", None);
    assert_eq!(
        (metric(&m, "policy_refused"), metric(&m, "policy_ok")),
        (1, 1),
        "{m}"
    );
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let s = setup();
    let mut server = start(&s, &[]);
    let pid = server.child.id() as i32;
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    server.wait_log("stopped");
    let code = server.child.wait().unwrap().code();
    assert_eq!(code, Some(0));
}

#[test]
fn the_webhook_configuration_sends_every_pod_and_fails_closed() {
    let tmp = tempfile::tempdir().unwrap();
    let (cert, _) = certificate(tmp.path());
    let out = Command::new(env!("CARGO_BIN_EXE_intoto-studio"))
        .args([
            "serve",
            "--print-webhook-config",
            "--service",
            "intoto",
            "--namespace",
            "intoto-system",
            "--ca",
        ])
        .arg(&cert)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = String::from_utf8(out.stdout).unwrap();
    use base64::Engine as _;
    let ca = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&cert).unwrap());
    for needle in [
        "kind: ValidatingWebhookConfiguration",
        "admissionReviewVersions: [\"v1\"]",
        "sideEffects: None",
        "failurePolicy: Fail",
        "timeoutSeconds: 10",
        "path: /verify",
        "port: 8443",
        &format!("caBundle: {ca}"),
        "resources: [\"pods\", \"pods/ephemeralcontainers\", \"replicationcontrollers\"]",
        "resources: [\"jobs\", \"cronjobs\"]",
        "values: [\"kube-system\", \"intoto-system\"]",
        "Intercepting Deployments alone lets bare Pods",
    ] {
        assert!(yaml.contains(needle), "{needle}:\n{yaml}");
    }
    // Without the CA it is a usage error.
    let out = Command::new(env!("CARGO_BIN_EXE_intoto-studio"))
        .args([
            "serve",
            "--print-webhook-config",
            "--service",
            "s",
            "--namespace",
            "n",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_webhook_answers_a_load_over_kept_connections_from_its_cache() {
    let s = setup();
    let server = start(&s, &[]);
    let good = format!("registry.example/app/web@sha256:{APP_BIN}");
    let bad = format!("registry.example/demo/web@sha256:{TARBALL}");
    // The first review of each image is verified; every later one comes from the cache.
    for (uid, image) in [("warm-good", &good), ("warm-bad", &bad)] {
        server.review(&pod_review(
            "admission.k8s.io/v1",
            uid,
            "Pod",
            pod(&[image]),
        ));
    }
    for (image, allowed, requests) in [(&good, true, 2000), (&bad, false, 400)] {
        let load = common::load::Load {
            connections: 16,
            requests,
            template: pod_review("admission.k8s.io/v1", "UID", "Pod", pod(&[image])).to_string(),
            allowed: Some(allowed),
        };
        let stats = common::load::run(server.addr, &std::fs::read(&server.ca).unwrap(), &load);
        assert_eq!(
            (stats.ok, stats.failed),
            (requests, 0),
            "every answer carries its uid and verdict: {:?}",
            stats.bad
        );
        assert_eq!(
            stats.connections_opened, 16,
            "keep-alive held every connection"
        );
        assert_eq!(stats.latencies.len(), requests);
        server.drain_log();
    }
    let (_, m) = server.request("/metrics", None);
    assert_eq!(metric(&m, "allowed"), 2001, "{m}");
    assert_eq!(metric(&m, "denied"), 401, "{m}");
    assert_eq!((metric(&m, "miss"), metric(&m, "hit")), (2, 2400), "{m}");
    assert_eq!(metric(&m, "overloaded"), 0, "{m}");

    // Replaced evidence misses the cache: a tampered link is verified, and denied.
    let link = link_file(
        &s.dir.join(format!("evidence-app/sha256/{APP_BIN}")),
        "release",
    );
    let text = std::fs::read_to_string(&link).unwrap();
    let at = text.find("\"sig\": \"").unwrap() + "\"sig\": \"".len();
    let flipped = if &text[at..at + 1] == "0" { "1" } else { "0" };
    std::fs::write(
        &link,
        format!("{}{flipped}{}", &text[..at], &text[at + 1..]),
    )
    .unwrap();
    let r = server.review(&pod_review(
        "admission.k8s.io/v1",
        "after",
        "Pod",
        pod(&[&good]),
    ));
    assert_eq!(r["response"]["allowed"], false, "{r}");
    let (_, m) = server.request("/metrics", None);
    assert_eq!(metric(&m, "miss"), 3, "{m}");
}

#[test]
fn every_container_of_an_update_is_checked_and_dry_runs_decide_alike() {
    let s = setup();
    let server = start(&s, &[]);
    let good = format!("registry.example/app/web@sha256:{APP_BIN}");
    let unknown = format!("registry.example/app/debug@sha256:{}", "0".repeat(64));
    let spec = |ephemeral: &str| {
        json!({
            "containers": [{"name": "a", "image": good}, {"name": "b", "image": good}],
            "initContainers": [{"name": "i", "image": good}],
            "ephemeralContainers": [{"name": "e", "image": ephemeral}],
        })
    };
    for dry_run in [false, true] {
        for (ephemeral, allowed) in [(&good, true), (&unknown, false)] {
            let mut review = pod_review(
                "admission.k8s.io/v1",
                "u-upd",
                "Pod",
                json!({"spec": spec(ephemeral)}),
            );
            review["request"]["operation"] = json!("UPDATE");
            review["request"]["oldObject"] = json!({"spec": spec(&good)});
            review["request"]["dryRun"] = json!(dry_run);
            let r = server.review(&review);
            assert_eq!(r["response"]["allowed"], allowed, "dryRun {dry_run}: {r}");
            if !allowed {
                let message = r["response"]["status"]["message"].as_str().unwrap();
                assert!(
                    message.contains(&unknown),
                    "the ephemeral container's image: {message}"
                );
                assert!(message.contains("no evidence for this digest"), "{message}");
            }
            let line = server.wait_log("u-upd");
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_eq!(v["dry_run"], dry_run, "{line}");
            // Four containers, their distinct images each decided once.
            let distinct = if allowed { 1 } else { 2 };
            assert_eq!(v["images"].as_array().unwrap().len(), distinct, "{line}");
        }
    }
}

#[test]
fn a_huge_body_is_refused_and_the_server_goes_on() {
    let s = setup();
    let server = start(&s, &[]);
    // 5 MiB of an AdmissionReview-looking body: more than the 4 MiB the webhook reads.
    let padding = "x".repeat(5 << 20);
    let body = format!(
        "{{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\", \"pad\": \"{padding}\"}}"
    );
    // HTTP/1.1: curl waits for `100 Continue` and reads the refusal (over h2 it reports
    // the stream the server resets after answering as an error of its own).
    let (code, text) = server.curl(&server.ca, &["--http1.1"], "/verify", Some(&body));
    assert_eq!(code, 413, "payload too large: {text}");
    let (code, _) = server.request("/verify", Some(&body));
    assert_ne!(code, 200, "refused over h2 too");
    assert_eq!(server.request("/healthz", None), (200, "ok\n".into()));
    let (_, m) = server.request("/metrics", None);
    assert_eq!(metric(&m, "allowed"), 0, "{m}");
}

#[test]
fn a_rotated_certificate_is_served_without_a_restart() {
    let s = setup();
    let server = start(&s, &[]);
    let old = s.dir.join("old.pem");
    std::fs::copy(&server.ca, &old).unwrap();
    assert_eq!(server.request_trusting(&old, "/healthz", None).0, 200);
    // cert-manager writes the new pair over the old files.
    let (cert, key) = certificate_named(&s.dir, "new");
    std::fs::copy(&cert, &server.ca).unwrap();
    std::fs::copy(&key, &server.key).unwrap();
    server.wait_log("certificate reloaded");
    assert_eq!(
        server.request_trusting(&cert, "/healthz", None),
        (200, "ok\n".into())
    );
    assert_eq!(
        server.request_trusting(&old, "/healthz", None).0,
        0,
        "the old certificate is gone"
    );
    // A broken new pair is refused and the current one kept.
    std::fs::write(&server.key, "not a key").unwrap();
    server.wait_log("new certificate refused");
    assert_eq!(server.request_trusting(&cert, "/healthz", None).0, 200);
    let (_, m) = server.request_trusting(&cert, "/metrics", None);
    assert!(metric(&m, "cert_ok") >= 1, "{m}");
    assert!(metric(&m, "cert_refused") >= 1, "{m}");
}

#[test]
fn a_chain_of_our_own_is_admitted_over_https_and_a_tag_is_not() {
    let s = setup();
    let digest = own_chain(&s.dir);
    let server = start(&s, &[]);
    let image = format!("registry.example/own/app@sha256:{digest}");
    let r = server.review(&pod_review(
        "admission.k8s.io/v1",
        "u-own",
        "Pod",
        pod(&[&image]),
    ));
    assert_eq!(r["response"]["allowed"], true, "{r}");
    let r = server.review(&pod_review(
        "admission.k8s.io/v1",
        "u-tag",
        "Pod",
        pod(&["registry.example/own/app:latest"]),
    ));
    assert_eq!(r["response"]["allowed"], false, "{r}");
    let message = r["response"]["status"]["message"].as_str().unwrap();
    assert!(message.contains("(rule own): no digest"), "{message}");
}

#[test]
fn over_capacity_the_webhook_denies_at_once() {
    let s = setup();
    // One decision at a time, each a verification (no cache): 16 connections are more.
    let server = start(&s, &["--max-in-flight", "1", "--cache-entries", "0"]);
    server
        .discard
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let good = format!("registry.example/app/web@sha256:{APP_BIN}");
    let load = common::load::Load {
        connections: 16,
        requests: 400,
        template: pod_review("admission.k8s.io/v1", "UID", "Pod", pod(&[&good])).to_string(),
        allowed: None,
    };
    let stats = common::load::run(server.addr, &std::fs::read(&server.ca).unwrap(), &load);
    assert_eq!((stats.ok, stats.failed), (400, 0), "{:?}", stats.bad);
    assert!(stats.allowed > 0, "some were decided");
    assert!(stats.denied > 0, "some were over capacity");
    for d in &stats.denials {
        assert!(d.contains("overloaded: too many reviews in flight"), "{d}");
    }
    let (_, m) = server.request("/metrics", None);
    assert_eq!(metric(&m, "allowed"), stats.allowed as u64, "{m}");
    assert_eq!(metric(&m, "overloaded"), stats.denied as u64, "{m}");
}
