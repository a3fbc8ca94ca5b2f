//! `serve` over real HTTPS on 127.0.0.1 with a real client (curl): AdmissionReviews answered
//! as `admit` decides them, health, readiness and metrics, a body that is no review (400), the
//! policy reloaded (a good one taken, a bad one refused and the old kept), and a graceful
//! shutdown on SIGTERM. Counts, not timings.

mod common;

use common::admission::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Server {
    child: Child,
    url: String,
    ca: PathBuf,
    log: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A self-signed certificate for 127.0.0.1, written as PEM files.
fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&c, cert.cert.pem()).unwrap();
    std::fs::write(&k, cert.signing_key.serialize_pem()).unwrap();
    (c, k)
}

fn start(s: &Setup) -> Server {
    let (cert, key) = certificate(&s.dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_intoto-studio"))
        .args(["serve", "--listen", "127.0.0.1:0", "--policy"])
        .arg(s.dir.join("policy.toml"))
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .env("INTOTO_STUDIO_NOW", "2026-01-01T00:00:00Z")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut server = Server {
        child,
        url: String::new(),
        ca: cert,
        log: rx,
    };
    let line = server.wait_log("listening");
    let v: Value = serde_json::from_str(&line).unwrap();
    server.url = v["addr"].as_str().unwrap().to_string();
    assert!(server.url.starts_with("https://127.0.0.1:"), "{line}");
    server
}

impl Server {
    /// The next log line that holds `needle` (every line is JSON, but the pinned clock's
    /// warning at the start).
    fn wait_log(&self, needle: &str) -> String {
        loop {
            let line = self
                .log
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no log line with {needle}"));
            if line.starts_with("intoto-studio: warning: the clock is pinned") {
                continue;
            }
            serde_json::from_str::<Value>(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// curl: (HTTP status, body).
    fn request(&self, path: &str, body: Option<&str>) -> (u16, String) {
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--max-time", "20", "--cacert"])
            .arg(&self.ca)
            .args(["-w", "\n%{http_code}"]);
        if let Some(b) = body {
            cmd.args(["-H", "Content-Type: application/json", "--data-binary", b]);
        }
        let out = cmd
            .arg(format!("{}{path}", self.url))
            .output()
            .expect("curl runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().parse().unwrap_or(0), body.to_string())
    }

    fn review(&self, review: &Value) -> Value {
        let (code, body) = self.request("/verify", Some(&review.to_string()));
        assert_eq!(code, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }
}

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
    let server = start(&s);
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
    let mut server = start(&s);
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
