//! The load generator of the admission webhook: `connections` keep-alive HTTPS connections
//! (HTTP/1.1, one review in flight on each, a closed loop), each sending the next of
//! `requests` AdmissionReviews until all are answered. It checks every answer (status 200,
//! the review's own uid, the expected verdict) and records each latency, from the first byte
//! written to the last byte of the answer read.
//!
//! Used by `tests/serve.rs` (a small run, asserting counts) and by `benches/admission.rs`
//! (the measured run, docs/performance.md).
//!
//! Each worker holds one hyper HTTP/1.1 client connection over tokio-rustls rather than a
//! pooled client: the generator must hold exactly one connection per worker and count every
//! reconnect, which a pool hides.

use http_body_util::BodyExt as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What to send.
pub struct Load {
    pub connections: usize,
    pub requests: usize,
    /// An AdmissionReview whose uid is `UID`; each request gets its own (`u-<n>`).
    pub template: String,
    /// `Some(true)` if every answer must allow, `Some(false)` if every answer must deny,
    /// `None` if either will do (they are counted).
    pub allowed: Option<bool>,
}

/// What came back.
#[derive(Debug, Default)]
pub struct Stats {
    /// Answers that were 200, carried the request's uid and the expected verdict.
    pub ok: usize,
    /// The first few answers that were not (and transport errors).
    pub bad: Vec<String>,
    pub failed: usize,
    /// Of the good answers: how many allowed, how many denied.
    pub allowed: usize,
    pub denied: usize,
    /// The first few denials' answers.
    pub denials: Vec<String>,
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
        stats.allowed += s.allowed;
        stats.denied += s.denied;
        stats.connections_opened += s.connections_opened;
        stats.latencies.extend(s.latencies);
        stats.bad.extend(s.bad);
        stats.bad.truncate(5);
        stats.denials.extend(s.denials);
        stats.denials.truncate(5);
    }
    stats.elapsed = started.elapsed();
    stats
}

type Sender = hyper::client::conn::http1::SendRequest<http_body_util::Full<bytes::Bytes>>;

/// A TLS connection with hyper's HTTP/1.1 client on it (its driver spawned).
async fn connect(
    addr: SocketAddr,
    connector: &tokio_rustls::TlsConnector,
) -> Result<Sender, String> {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    let tls = connector
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    let (sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

async fn worker(
    addr: SocketAddr,
    connector: tokio_rustls::TlsConnector,
    next: Arc<AtomicUsize>,
    requests: usize,
    template: &str,
    allowed: Option<bool>,
) -> Stats {
    let mut stats = Stats::default();
    let mut conn: Option<Sender> = None;
    loop {
        let n = next.fetch_add(1, Ordering::Relaxed);
        if n >= requests {
            return stats;
        }
        let uid = format!("u-{n}");
        let body = template.replace("UID", &uid);
        let request = hyper::Request::post("/verify")
            .header(hyper::header::HOST, addr.to_string())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .unwrap();
        if conn.as_ref().is_some_and(|c| c.is_closed()) {
            conn = None;
        }
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
        match exchange(c, request).await {
            Ok((status, answer, close)) => {
                let latency = t0.elapsed();
                let verdict = if answer.contains("\"allowed\":true") {
                    Some(true)
                } else if answer.contains("\"allowed\":false") {
                    Some(false)
                } else {
                    None
                };
                let good = status == 200
                    && answer.contains(&format!("\"uid\":\"{uid}\""))
                    && verdict.is_some()
                    && (allowed.is_none() || verdict == allowed);
                if good {
                    stats.ok += 1;
                    if verdict == Some(true) {
                        stats.allowed += 1;
                    } else {
                        stats.denied += 1;
                        if stats.denials.len() < 5 {
                            stats.denials.push(answer);
                        }
                    }
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

/// One request sent, its response read: (status, body, whether the server closes).
async fn exchange(
    c: &mut Sender,
    request: hyper::Request<http_body_util::Full<bytes::Bytes>>,
) -> Result<(u16, String, bool), String> {
    c.ready().await.map_err(|e| format!("connection: {e}"))?;
    let response = c
        .send_request(request)
        .await
        .map_err(|e| format!("request: {e}"))?;
    let status = response.status().as_u16();
    let close = response
        .headers()
        .get(hyper::header::CONNECTION)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("body: {e}"))?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned(), close))
}
