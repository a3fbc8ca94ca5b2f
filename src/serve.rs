//! `serve`: the admission webhook. HTTPS only (rustls, HTTP/1.1 and h2), `POST /verify`
//! answers AdmissionReviews with [`crate::admission::decide`]; `GET /healthz`, `/readyz`,
//! `/metrics` (Prometheus text). Every decision runs on the blocking pool with a bounded
//! number in flight; over capacity, past the budget or on a panic the answer is a denial.
//! The policy and the TLS certificate are reloaded when their files change (a bad new policy
//! is refused and the old one kept); SIGTERM and SIGINT shut down gracefully.

use crate::admission::{self, policy::Policy, review};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

/// The `ValidatingWebhookConfiguration` for the webhook behind Service `service` in
/// `namespace` (YAML: written out rather than serialised so that it can carry the comments a
/// cluster admin needs).
pub fn webhook_config(
    ca_pem: &[u8],
    service: &str,
    namespace: &str,
    port: u16,
    timeout: u8,
) -> String {
    use base64::Engine as _;
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    let q = |s: &str| serde_json::Value::from(s).to_string();
    format!(
        r#"# The intoto-studio admission webhook: no Pod runs unless each of its images has an in-toto
# chain that verifies and is bound to the image digest.
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: intoto-studio
webhooks:
  - name: verify.intoto-studio.dev
    admissionReviewVersions: ["v1"]
    sideEffects: None
    # Fail closed: when the webhook cannot be reached, nothing is admitted.
    failurePolicy: Fail
    timeoutSeconds: {timeout}
    matchPolicy: Equivalent
    clientConfig:
      service:
        name: {service}
        namespace: {namespace}
        path: /verify
        port: {port}
      caBundle: {ca}
    # Pods and every kind that makes them. Intercepting Deployments alone lets bare Pods
    # (and Jobs, CronJobs, DaemonSets, ...) through: anyone who may create a Pod would run
    # an unverified image. The Pod rule is the one that cannot be gone around; the others
    # refuse a bad workload at once instead of leaving it failing to create its Pods.
    rules:
      - apiGroups: [""]
        apiVersions: ["v1"]
        operations: ["CREATE", "UPDATE"]
        resources: ["pods", "pods/ephemeralcontainers", "replicationcontrollers"]
        scope: Namespaced
      - apiGroups: ["apps"]
        apiVersions: ["v1"]
        operations: ["CREATE", "UPDATE"]
        resources: ["deployments", "replicasets", "statefulsets", "daemonsets"]
        scope: Namespaced
      - apiGroups: ["batch"]
        apiVersions: ["v1"]
        operations: ["CREATE", "UPDATE"]
        resources: ["jobs", "cronjobs"]
        scope: Namespaced
    # Leave out kube-system and the webhook's own namespace, so that the cluster and the
    # webhook itself can always start.
    namespaceSelector:
      matchExpressions:
        - key: kubernetes.io/metadata.name
          operator: NotIn
          values: ["kube-system", {ns}]
"#,
        service = q(service),
        namespace = q(namespace),
        ns = q(namespace),
    )
}

/// The program name in `serve`'s error lines.
pub const PROG: &str = "intoto-studio serve";

/// A runtime error that stops the server: the one error line of every subcommand; exit 1.
fn fatal(e: impl std::fmt::Display) -> i32 {
    let e = crate::Error::new(crate::Exc::OSError, e.to_string());
    crate::tools::eprint_line(&crate::tools::error_line(PROG, &e));
    1
}

/// What `serve` needs to start.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub policy: PathBuf,
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    pub listen: SocketAddr,
    /// How often the policy and certificate files are looked at.
    pub reload_every: Duration,
    /// Decisions in flight at most; more are denied at once ("overloaded").
    pub max_in_flight: usize,
    /// Verification outcomes kept (0: none), and for how long at most.
    pub cache_entries: usize,
    pub cache_ttl: Duration,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: String,
}

struct Metrics {
    registry: Registry,
    reviews: Family<Outcome, Counter>,
    reloads: Family<Outcome, Counter>,
    cache: Family<Outcome, Counter>,
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::default();
        let reviews = Family::<Outcome, Counter>::default();
        let reloads = Family::<Outcome, Counter>::default();
        let cache = Family::<Outcome, Counter>::default();
        registry.register(
            "intoto_admission_reviews",
            "AdmissionReviews answered, by outcome (allowed, denied, invalid, overloaded, timeout, error)",
            reviews.clone(),
        );
        registry.register(
            "intoto_policy_reloads",
            "Policy and certificate reloads, by outcome (policy_ok, policy_refused, cert_ok, cert_refused)",
            reloads.clone(),
        );
        registry.register(
            "intoto_verification_cache",
            "Image verifications looked up in the cache, by outcome (hit, miss)",
            cache.clone(),
        );
        // Every series from the start, at 0, so that a dashboard sees them before they move.
        for o in [
            "allowed",
            "denied",
            "invalid",
            "overloaded",
            "timeout",
            "error",
        ] {
            drop(reviews.get_or_create(&Outcome { outcome: o.into() }));
        }
        for o in ["policy_ok", "policy_refused", "cert_ok", "cert_refused"] {
            drop(reloads.get_or_create(&Outcome { outcome: o.into() }));
        }
        for o in ["hit", "miss"] {
            drop(cache.get_or_create(&Outcome { outcome: o.into() }));
        }
        Metrics {
            registry,
            reviews,
            reloads,
            cache,
        }
    }

    fn count(family: &Family<Outcome, Counter>, outcome: &str) {
        family
            .get_or_create(&Outcome {
                outcome: outcome.into(),
            })
            .inc();
    }
}

struct AppState {
    policy: RwLock<Arc<Policy>>,
    metrics: Metrics,
    slots: Arc<tokio::sync::Semaphore>,
    clock: crate::clock::Clock,
    cache: Option<admission::cache::Cache>,
}

/// One structured log line (JSON) on stderr.
fn log(level: &str, fields: serde_json::Value) {
    let mut v = serde_json::json!({
        "ts": jiff::Timestamp::now().to_string(),
        "level": level,
    });
    if let (Some(o), serde_json::Value::Object(f)) = (v.as_object_mut(), fields) {
        o.extend(f);
    }
    crate::tools::eprint_line(&v.to_string());
}

/// Start the webhook and serve until SIGTERM or SIGINT. Returns the exit code.
pub fn run(opts: ServeOptions) -> i32 {
    let policy = match Policy::load(&opts.policy) {
        Ok(p) => p,
        Err(e) => return crate::tools::usage_error(PROG, &format!("policy {e}")),
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Decisions are CPU-bound: a blocking pool of a few threads per core keeps them off the
    // reactor without a thread (and an allocator heap) for each of the reviews in flight,
    // which wait in its queue instead, inside their budget.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads((2 * cores).max(4))
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fatal(e),
    };
    rt.block_on(serve(opts, policy))
}

async fn serve(opts: ServeOptions, policy: Policy) -> i32 {
    let tls =
        match axum_server::tls_rustls::RustlsConfig::from_pem_file(&opts.tls_cert, &opts.tls_key)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                return crate::tools::usage_error(
                    PROG,
                    &format!(
                        "TLS certificate {} / key {}: {e}",
                        opts.tls_cert.display(),
                        opts.tls_key.display()
                    ),
                );
            }
        };
    let state = Arc::new(AppState {
        policy: RwLock::new(Arc::new(policy)),
        metrics: Metrics::new(),
        slots: Arc::new(tokio::sync::Semaphore::new(opts.max_in_flight.max(1))),
        clock: crate::clock::Clock::process().unwrap_or_default(),
        cache: admission::cache::Cache::new(opts.cache_entries, opts.cache_ttl),
    });
    let app = Router::new()
        .route("/verify", post(verify))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(|| async { "ready\n" }))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(review::MAX_BODY))
        .with_state(state.clone());
    let handle = axum_server::Handle::new();
    tokio::spawn(watch(opts.clone(), state.clone(), tls.clone()));
    tokio::spawn(shutdown_on_signal(handle.clone()));
    let server = axum_server::bind_rustls(opts.listen, tls)
        .handle(handle.clone())
        .serve(app.into_make_service());
    let announce = {
        let handle = handle.clone();
        async move {
            if let Some(addr) = handle.listening().await {
                log(
                    "info",
                    serde_json::json!({"msg": "listening", "addr": format!("https://{addr}")}),
                );
            }
        }
    };
    tokio::spawn(announce);
    match server.await {
        Ok(()) => {
            log("info", serde_json::json!({"msg": "stopped"}));
            0
        }
        Err(e) => fatal(e),
    }
}

async fn shutdown_on_signal(handle: axum_server::Handle<SocketAddr>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    log("info", serde_json::json!({"msg": "shutting down"}));
    handle.graceful_shutdown(Some(Duration::from_secs(10)));
}

fn stamp(paths: &[&Path]) -> Vec<Option<(SystemTime, u64)>> {
    paths
        .iter()
        .map(|p| {
            std::fs::metadata(p)
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len())))
        })
        .collect()
}

/// Reload the policy and the certificate when their files change (a mounted ConfigMap or
/// Secret is replaced by a symlink swap: the stamp of the path changes).
async fn watch(
    opts: ServeOptions,
    state: Arc<AppState>,
    tls: axum_server::tls_rustls::RustlsConfig,
) {
    let mut policy_stamp = stamp(&[&opts.policy]);
    let mut cert_stamp = stamp(&[&opts.tls_cert, &opts.tls_key]);
    loop {
        tokio::time::sleep(opts.reload_every).await;
        let now = stamp(&[&opts.policy]);
        if now != policy_stamp {
            policy_stamp = now;
            match Policy::load(&opts.policy) {
                Ok(p) => {
                    if let Ok(mut slot) = state.policy.write() {
                        *slot = Arc::new(p);
                    }
                    Metrics::count(&state.metrics.reloads, "policy_ok");
                    log("info", serde_json::json!({"msg": "policy reloaded"}));
                }
                Err(e) => {
                    Metrics::count(&state.metrics.reloads, "policy_refused");
                    log(
                        "error",
                        serde_json::json!({"msg": "new policy refused, the old one is kept", "error": e}),
                    );
                }
            }
        }
        let now = stamp(&[&opts.tls_cert, &opts.tls_key]);
        if now != cert_stamp {
            cert_stamp = now;
            match tls
                .reload_from_pem_file(&opts.tls_cert, &opts.tls_key)
                .await
            {
                Ok(()) => {
                    Metrics::count(&state.metrics.reloads, "cert_ok");
                    log("info", serde_json::json!({"msg": "certificate reloaded"}));
                }
                Err(e) => {
                    Metrics::count(&state.metrics.reloads, "cert_refused");
                    log(
                        "error",
                        serde_json::json!({"msg": "new certificate refused, the old one is kept", "error": e.to_string()}),
                    );
                }
            }
        }
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut out = String::new();
    if prometheus_client::encoding::text::encode(&mut out, &state.metrics.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

fn json_response(status: StatusCode, v: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

async fn verify(State(state): State<Arc<AppState>>, request: axum::extract::Request) -> Response {
    // A declared length over the bound is refused before the body is read: no `100
    // Continue` is sent, so the client hears the 413 instead of a reset mid-upload.
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let too_large = || {
        Metrics::count(&state.metrics.reviews, "invalid");
        let why = format!("the body is larger than {} MiB", review::MAX_BODY >> 20);
        log(
            "warn",
            serde_json::json!({"msg": "bad request body", "error": why}),
        );
        (StatusCode::PAYLOAD_TOO_LARGE, format!("{why}\n")).into_response()
    };
    if declared.is_some_and(|n| n > review::MAX_BODY as u64) {
        return too_large();
    }
    let body: Bytes = match axum::body::to_bytes(request.into_body(), review::MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return too_large(),
    };
    let req = match review::parse(&body) {
        Ok(Some(r)) => r,
        Ok(None) => {
            Metrics::count(&state.metrics.reviews, "invalid");
            let why = "the AdmissionReview has no request: nothing to admit";
            log("warn", serde_json::json!({"msg": why}));
            return json_response(StatusCode::OK, review::refuse_without_request(why));
        }
        Err(e) => {
            Metrics::count(&state.metrics.reviews, "invalid");
            log(
                "warn",
                serde_json::json!({"msg": "bad request body", "error": e}),
            );
            return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response();
        }
    };
    let policy = match state.policy.read() {
        Ok(p) => p.clone(),
        Err(_) => {
            return deny(&state, &req, "error", "the policy is unavailable".into());
        }
    };
    let Ok(permit) = state.slots.clone().try_acquire_owned() else {
        return deny(
            &state,
            &req,
            "overloaded",
            "overloaded: too many reviews in flight; try again".into(),
        );
    };
    let budget = Duration::from_secs(policy.timeout_seconds);
    let clock = state.clock;
    let r = req.clone();
    let shared = state.clone();
    let job = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        admission::decide(&policy, &r, &clock, shared.cache.as_ref())
    });
    let d = match tokio::time::timeout(budget + Duration::from_millis(500), job).await {
        Ok(Ok(d)) => d,
        Ok(Err(_)) => {
            return deny(
                &state,
                &req,
                "error",
                "the decision failed (a panic)".into(),
            );
        }
        Err(_) => {
            return deny(
                &state,
                &req,
                "timeout",
                format!("no decision within {} s", budget.as_secs()),
            );
        }
    };
    let outcome = if d.allowed { "allowed" } else { "denied" };
    Metrics::count(&state.metrics.reviews, outcome);
    if state.cache.is_some() {
        for i in d.images.iter().filter(|i| i.rule.is_some()) {
            Metrics::count(&state.metrics.cache, if i.cached { "hit" } else { "miss" });
        }
    }
    log(
        if d.allowed { "info" } else { "warn" },
        serde_json::json!({
            "msg": "review", "uid": d.uid, "allowed": d.allowed, "message": d.message,
            "images": d.images.iter().map(|i| &i.image).collect::<Vec<_>>(),
            "cached": d.images.iter().filter(|i| i.cached).count(),
            "dry_run": req.dry_run,
        }),
    );
    json_response(
        StatusCode::OK,
        review::respond(&req, d.allowed, &d.message, d.warnings),
    )
}

fn deny(
    state: &AppState,
    req: &kube_core::admission::AdmissionRequest<kube_core::DynamicObject>,
    outcome: &str,
    message: String,
) -> Response {
    Metrics::count(&state.metrics.reviews, outcome);
    log(
        "warn",
        serde_json::json!({"msg": "review", "uid": req.uid, "allowed": false, "message": message}),
    );
    json_response(
        StatusCode::OK,
        review::respond(req, false, &message, admission::wrap_lines(&message)),
    )
}
