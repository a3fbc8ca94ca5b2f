//! The admission webhook under load: `cargo bench --bench admission` (QUICK=1 for a smoke
//! run). Starts the real `serve` binary on 127.0.0.1 with a self-signed certificate and
//! drives it with the load generator of `tests/common/load.rs` over keep-alive HTTPS
//! (HTTP/1.1, 64 connections, one review in flight on each). Prints:
//!
//! * **cached**: AdmissionReviews per second and the latency quantiles for a demo-size chain
//!   (the conformance case `pass-all-rule-types-legacy`: three steps) answered from the
//!   verification cache after its first verification;
//! * **memory**: the server's resident memory after 10,000 reviews and every 10,000 more, to 200,000;
//! * **uncached**: the decision time of a 10 steps x 50,000 artifacts chain
//!   (`examples/gen-chain.rs`, TEST-ONLY keys) with the cache off, one review at a time.
//!
//! `SKIP_BIG=1` leaves out the uncached chain. Every answer is checked (its uid and verdict); a wrong answer fails the run. The numbers
//! and the machine they were taken on are in docs/performance.md.

#[path = "../tests/common/mod.rs"]
mod common;

#[allow(dead_code)]
#[path = "../examples/gen-chain.rs"]
mod gen_chain;

use common::admission::*;
use common::load::{Load, Stats, run};
use common::server::{Server, start, start_with};
use intoto_studio::model::envelope::{Format, Metadata, Payload};
use std::time::Duration;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn load(server: &Server, image: &str, connections: usize, requests: usize) -> Stats {
    let template = pod_review("admission.k8s.io/v1", "UID", "Pod", pod(&[image])).to_string();
    let ca = std::fs::read(&server.ca).unwrap();
    let l = Load {
        connections,
        requests,
        template,
        allowed: Some(true),
    };
    let stats = run(server.addr, &ca, &l);
    assert_eq!(
        (stats.ok, stats.failed),
        (requests, 0),
        "wrong answers: {:?}",
        stats.bad
    );
    stats
}

fn report(label: &str, s: &Stats) {
    println!(
        "{label}: {} reviews in {:.2} s = {:.0}/s; latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} connection(s) opened",
        s.ok,
        s.elapsed.as_secs_f64(),
        s.rate(),
        ms(s.quantile(0.5)),
        ms(s.quantile(0.9)),
        ms(s.quantile(0.99)),
        ms(s.quantile(1.0)),
        s.connections_opened,
    );
}

fn main() {
    let quick = std::env::var_os("QUICK").is_some();
    let (connections, requests, total) = if quick {
        (64, 5_000, 20_000)
    } else {
        (64, 30_000, 200_000)
    };
    let (steps, artifacts) = if quick { (3, 2_000) } else { (10, 50_000) };

    // Cached: the demo-size chain.
    let s = setup();
    let server = start(&s, &[]);
    server
        .discard
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let good = format!("registry.example/app/web@sha256:{APP_BIN}");
    load(&server, &good, 1, 1);
    let warm = load(&server, &good, connections, 2_000);
    report("warm-up", &warm);
    let cached = load(&server, &good, connections, requests);
    report(&format!("cached, {connections} connections"), &cached);

    // Memory over `total` reviews in all (those above included).
    let mut sent = 2_001 + requests;
    let first = sent.min(10_000);
    if sent < first {
        load(&server, &good, connections, first - sent);
        sent = first;
    }
    let rss_start = server.rss_kib();
    let mut series = vec![format!("{rss_start}")];
    while sent < total {
        let n = (total - sent).min(10_000);
        load(&server, &good, connections, n);
        sent += n;
        series.push(server.rss_kib().to_string());
    }
    let rss_end = server.rss_kib();
    println!(
        "memory: resident {rss_start} KiB after {first} reviews, {rss_end} KiB after {sent} ({:+} KiB); every 10,000: {}",
        rss_end as i64 - rss_start as i64,
        series.join(" ")
    );
    drop(server);
    if std::env::var_os("SKIP_BIG").is_some() {
        return;
    }

    // Uncached: the big chain, the cache off.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let chain = dir.join("chain");
    gen_chain::generate(
        &gen_chain::ChainSpec {
            steps,
            artifacts,
            format: Format::Legacy,
        },
        &chain,
    )
    .unwrap();
    let last = std::fs::read_dir(chain.join("links"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "link"))
        .max()
        .unwrap();
    let step = last
        .file_name()
        .unwrap()
        .to_string_lossy()
        .split('.')
        .next()
        .unwrap()
        .to_string();
    let md = Metadata::load(&last).unwrap();
    let Ok(Payload::Link(link)) = md.payload() else {
        panic!("{} is no link", last.display());
    };
    let (artifact, hashes) = link.products.iter().next().unwrap();
    let hex = hashes.get("sha256").unwrap().to_string();
    std::fs::create_dir_all(dir.join("ev/sha256")).unwrap();
    std::fs::rename(chain.join("links"), dir.join(format!("ev/sha256/{hex}"))).unwrap();
    let policy = dir.join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[[rule]]\nname = \"big\"\nimages = [\"registry.example/big/*\"]\n\
             layout = \"chain/root.layout\"\nowner_keys = [\"chain/owner.pub\"]\n\
             evidence = \"ev\"\nbind = {{ step = \"{step}\", artifact = \"{artifact}\" }}\n"
        ),
    )
    .unwrap();
    let server = start_with(
        &policy,
        dir,
        &["--cache-entries", "0"],
        "2026-01-01T00:00:00Z",
    );
    server
        .discard
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let image = format!("registry.example/big/app@sha256:{hex}");
    let uncached = load(&server, &image, 1, 5);
    report(
        &format!("uncached {steps} x {artifacts} chain, one at a time"),
        &uncached,
    );
}
