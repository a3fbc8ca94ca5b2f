//! The load generator of the admission webhook: `connections` keep-alive HTTPS connections
//! (HTTP/1.1, one review in flight on each, a closed loop), each sending the next of
//! `requests` AdmissionReviews until all are answered. It checks every answer (status 200,
//! the review's own uid, the expected verdict) and records each latency, from the first byte
//! written to the last byte of the answer read.
//!
//! Used by `tests/serve.rs` (a small run, asserting counts) and by `benches/admission.rs`
//! (the measured run, docs/performance.md).
//!
//! The client is written on tokio-rustls and httparse rather than an HTTP client crate:
//! the generator must hold exactly one connection per worker and see every reconnect (a
//! pooled client hides both), and hyper's client half needs a crate this build does not
//! carry.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What to send.
pub struct Load {
    pub connections: usize,
    pub requests: usize,
    /// An AdmissionReview whose uid is `UID`; each request gets its own (`u-<n>`).
    pub template: String,
    /// `true` if every answer must allow, `false` if every answer must deny.
    pub allowed: bool,
}

/// What came back.
#[derive(Debug, Default)]
pub struct Stats {
    /// Answers that were 200, carried the request's uid and the expected verdict.
    pub ok: usize,
    /// The first few answers that were not (and transport errors).
    pub bad: Vec<String>,
    pub failed: usize,
    /// TCP+TLS connections opened (equal to `connections` when keep-alive held).
    pub connections_opened: usize,
    pub latencies: Vec<Duration>,
    pub elapsed: Duration,
}

impl Stats {
    /// The latency at quantile `q` (0..=1).
    pub fn quantile(&self, q: f64) -> Duration {
        let mut l = self.latencies.clone();
        l.sort();
        if l.is_empty() {
            return Duration::ZERO;
        }
        l[((l.len() - 1) as f64 * q).round() as usize]
    }

    /// Answers per second over the whole run.
    pub fn rate(&self) -> f64 {
        (self.ok + self.failed) as f64 / self.elapsed.as_secs_f64()
    }
}

/// Send `load` to the server at `addr` that presents a certificate `ca_pem` signed
/// (self-signed certificates: the certificate itself).
pub fn run(addr: SocketAddr, ca_pem: &[u8], load: &Load) -> Stats {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run_async(addr, ca_pem, load))
}

async fn run_async(addr: SocketAddr, ca_pem: &[u8], load: &Load) -> Stats {
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..load.connections {
        let (connector, next) = (connector.clone(), next.clone());
        let template = load.template.clone();
        let (requests, allowed) = (load.requests, load.allowed);
        workers.push(tokio::spawn(async move {
            worker(addr, connector, next, requests, &template, allowed).await
        }));
    }
    let mut stats = Stats::default();
    for w in workers {
        let s = w.await.unwrap();
        stats.ok += s.ok;
        stats.failed += s.failed;
        stats.connections_opened += s.connections_opened;
        stats.latencies.extend(s.latencies);
        if stats.bad.len() < 5 {
            stats.bad.extend(s.bad.into_iter().take(5));
        }
    }
    stats.elapsed = started.elapsed();
    stats
}

type Tls = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

async fn connect(addr: SocketAddr, connector: &tokio_rustls::TlsConnector) -> Result<Tls, String> {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    connector
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())
}

async fn worker(
    addr: SocketAddr,
    connector: tokio_rustls::TlsConnector,
    next: Arc<AtomicUsize>,
    requests: usize,
    template: &str,
    allowed: bool,
) -> Stats {
    let mut stats = Stats::default();
    let mut conn: Option<Tls> = None;
    let mut buf = Vec::with_capacity(64 * 1024);
    let verdict = format!("\"allowed\":{allowed}");
    loop {
        let n = next.fetch_add(1, Ordering::Relaxed);
        if n >= requests {
            return stats;
        }
        let uid = format!("u-{n}");
        let body = template.replace("UID", &uid);
        let request = format!(
            "POST /verify HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if conn.is_none() {
            match connect(addr, &connector).await {
                Ok(c) => {
                    stats.connections_opened += 1;
                    conn = Some(c);
                }
                Err(e) => {
                    stats.fail(format!("connect: {e}"));
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let t0 = Instant::now();
        match exchange(c, request.as_bytes(), &mut buf).await {
            Ok((status, answer, close)) => {
                let latency = t0.elapsed();
                let good = status == 200
                    && answer.contains(&format!("\"uid\":\"{uid}\""))
                    && answer.contains(&verdict);
                if good {
                    stats.ok += 1;
                    stats.latencies.push(latency);
                } else {
                    stats.fail(format!("{status}: {answer}"));
                }
                if close {
                    conn = None;
                }
            }
            Err(e) => {
                stats.fail(e);
                conn = None;
            }
        }
    }
}

impl Stats {
    fn fail(&mut self, why: String) {
        self.failed += 1;
        if self.bad.len() < 5 {
            self.bad.push(why);
        }
    }
}

/// One request written, its response read: (status, body, whether the server closes).
async fn exchange(
    c: &mut Tls,
    request: &[u8],
    buf: &mut Vec<u8>,
) -> Result<(u16, String, bool), String> {
    c.write_all(request)
        .await
        .map_err(|e| format!("write: {e}"))?;
    c.flush().await.map_err(|e| format!("flush: {e}"))?;
    buf.clear();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut resp = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(head) = resp.parse(buf).map_err(|e| e.to_string())? {
            let status = resp.code.unwrap_or(0);
            let header = |name: &str| {
                resp.headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case(name))
                    .map(|h| String::from_utf8_lossy(h.value).to_ascii_lowercase())
            };
            let len: usize = header("content-length")
                .and_then(|v| v.trim().parse().ok())
                .ok_or("no content-length")?;
            let close = header("connection").is_some_and(|v| v.contains("close"));
            while buf.len() < head + len {
                let n = c.read(&mut chunk).await.map_err(|e| format!("read: {e}"))?;
                if n == 0 {
                    return Err("closed mid-body".into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = String::from_utf8_lossy(&buf[head..head + len]).into_owned();
            return Ok((status, body, close));
        }
        let n = c.read(&mut chunk).await.map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("closed before the answer".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}
