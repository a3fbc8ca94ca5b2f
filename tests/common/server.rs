//! The `serve` binary started for a test or the load benchmark: on 127.0.0.1 with a
//! self-signed certificate, its JSON log lines read as they come, and curl as the client.

use super::admission::Setup;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

pub struct Server {
    pub child: Child,
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    pub addr: SocketAddr,
    /// The certificate the server presents (self-signed: also its CA).
    pub ca: PathBuf,
    pub key: PathBuf,
    pub log: mpsc::Receiver<String>,
    /// Set: the log lines are read and dropped (a long run writes one per review).
    pub discard: Arc<AtomicBool>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A self-signed certificate for 127.0.0.1, written as PEM files `<name>.pem` and
/// `<name>.key.pem`.
pub fn certificate_named(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let (c, k) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.key.pem")),
    );
    std::fs::write(&c, cert.cert.pem()).unwrap();
    std::fs::write(&k, cert.signing_key.serialize_pem()).unwrap();
    (c, k)
}

/// A self-signed certificate for 127.0.0.1 (`cert.pem`, `cert.key.pem`).
pub fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    certificate_named(dir, "cert")
}

/// `serve` on 127.0.0.1 with the setup's `policy.toml` and `extra` arguments, the clock
/// pinned at 2026-01-01.
pub fn start(s: &Setup, extra: &[&str]) -> Server {
    start_with(
        &s.dir.join("policy.toml"),
        &s.dir,
        extra,
        "2026-01-01T00:00:00Z",
    )
}

/// `serve` with a policy, a fresh certificate in `dir`, `extra` arguments and the clock at
/// `now`.
pub fn start_with(policy: &Path, dir: &Path, extra: &[&str], now: &str) -> Server {
    let (cert, key) = certificate(dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_intoto-studio"))
        .args(["serve", "--listen", "127.0.0.1:0", "--policy"])
        .arg(policy)
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .args(extra)
        .env("INTOTO_STUDIO_NOW", now)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let discard = Arc::new(AtomicBool::new(false));
    let dropping = discard.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if dropping.load(Ordering::Relaxed) {
                continue;
            }
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut server = Server {
        child,
        url: String::new(),
        addr: "127.0.0.1:0".parse().unwrap(),
        ca: cert,
        key,
        log: rx,
        discard,
    };
    let line = server.wait_log("listening");
    let v: Value = serde_json::from_str(&line).unwrap();
    server.url = v["addr"].as_str().unwrap().to_string();
    assert!(server.url.starts_with("https://127.0.0.1:"), "{line}");
    server.addr = server.url["https://".len()..].parse().unwrap();
    server
}

impl Server {
    /// The next log line that holds `needle` (every line is JSON, but the pinned clock's
    /// warning at the start).
    pub fn wait_log(&self, needle: &str) -> String {
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

    /// Drop the log lines read so far (a long run writes one per review).
    pub fn drain_log(&self) -> usize {
        self.log.try_iter().count()
    }

    /// The server's resident memory (KiB), from /proc.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// curl, trusting `ca`: (HTTP status, body).
    pub fn request_trusting(&self, ca: &Path, path: &str, body: Option<&str>) -> (u16, String) {
        self.curl(ca, &[], path, body)
    }

    /// curl with `args`, trusting `ca`: (HTTP status, body; status 0 when curl failed).
    pub fn curl(&self, ca: &Path, args: &[&str], path: &str, body: Option<&str>) -> (u16, String) {
        let mut cmd = Command::new("curl");
        cmd.args(args);
        cmd.args(["-sS", "--max-time", "20", "--cacert"])
            .arg(ca)
            .args(["-w", "\n%{http_code}"]);
        // The body from a file: curl then sends its length (and, past 1 MiB, waits for
        // `100 Continue`, so that a refused body is answered rather than cut off).
        let file = tempfile::NamedTempFile::new().unwrap();
        if let Some(b) = body {
            std::fs::write(file.path(), b).unwrap();
            cmd.args(["-H", "Content-Type: application/json", "--data-binary"])
                .arg(format!("@{}", file.path().display()));
        }
        let out = cmd
            .arg(format!("{}{path}", self.url))
            .stderr(Stdio::null())
            .output()
            .expect("curl runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().parse().unwrap_or(0), body.to_string())
    }

    /// curl: (HTTP status, body).
    pub fn request(&self, path: &str, body: Option<&str>) -> (u16, String) {
        self.request_trusting(&self.ca, path, body)
    }

    /// An AdmissionReview sent, its answer (which must be 200 and JSON).
    pub fn review(&self, review: &Value) -> Value {
        let (code, body) = self.request("/verify", Some(&review.to_string()));
        assert_eq!(code, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }
}
