//! Micro and end-to-end benchmarks (criterion): `cargo bench --bench perf [-- FILTER]`.
//!
//! Groups: `parse` (reading a 100,000-artifact link), `canonical` (its canonical JSON),
//! `signature` (ed25519 over that link, legacy and DSSE), `sha512` (four messages one by
//! one and in the four lanes of `sha512x`), `rules` (a 50,000-artifact
//! MATCH / MODIFY / CREATE / DISALLOW rule set), `verify` (end to end on a generated
//! 10 x 5,000 chain, both formats), `record` (hashing a temporary tree) and `tui` (one
//! frame of a 30-node graph; one frame of the link browser scrolling through a link of
//! 50,000 materials and as many products).
//!
//! The data is generated at start in a temporary directory with the generator of
//! `examples/gen-chain.rs` (TEST-ONLY keys). See docs/performance.md for the comparison
//! with the reference implementation (bench/compare.sh).

#[allow(dead_code)]
#[path = "../examples/gen-chain.rs"]
mod gen_chain;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use intoto_studio::crypto::PublicKey;
use intoto_studio::graph::Graph;
use intoto_studio::model::envelope::{Format, Metadata, Payload};
use intoto_studio::model::layout::{Layout, Step};
use intoto_studio::model::link::Link;
use intoto_studio::model::rule::{ArtifactKind, Rule};
use intoto_studio::record::{RecordOptions, record_artifacts};
use intoto_studio::tui;
use intoto_studio::tui::ChainFlags;
use intoto_studio::tui::app::{App, GraphMode, Options};
use intoto_studio::tui::graph_view::{GraphView, NodeInfo};
use intoto_studio::tui::keys::KeyMap;
use intoto_studio::tui::theme::Theme;
use intoto_studio::verify::rules::{LinkMap, verify_rule_set};
use intoto_studio::verify::{VerifyOptions, verify_file};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::collections::HashMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A generated chain in a temporary directory (removed on drop).
struct Chain {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn chain(steps: usize, artifacts: usize, format: Format) -> Chain {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().to_path_buf();
    gen_chain::generate(
        &gen_chain::ChainSpec {
            steps,
            artifacts,
            format,
        },
        &root,
    )
    .expect("generate chain");
    Chain { _dir: dir, root }
}

fn link_file(root: &Path, step: &str) -> PathBuf {
    std::fs::read_dir(root.join("links"))
        .expect("links dir")
        .map(|e| e.expect("entry").path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{step}.")))
        })
        .expect("link file")
}

fn public_key(root: &Path, name: &str) -> PublicKey {
    PublicKey::from_pem(&std::fs::read_to_string(root.join(name)).expect("key")).expect("pem")
}

fn link_of(md: &Metadata) -> Arc<Link> {
    match md.payload().expect("payload") {
        Payload::Link(l) => l.clone(),
        Payload::Layout(_) => panic!("not a link"),
    }
}

fn bench_link(c: &mut Criterion) {
    // step-01 of a 2 x 50,000 chain: 50,000 materials and 50,000 products.
    for format in [Format::Legacy, Format::Dsse] {
        let ch = chain(2, 50_000, format);
        let path = link_file(&ch.root, "step-01");
        let bytes = std::fs::read(&path).expect("read link");
        let md = Metadata::from_bytes(&bytes).expect("parse");
        let key = public_key(&ch.root, "carl.pub");
        let name = format.as_str();

        let mut g = c.benchmark_group("parse");
        g.sample_size(20)
            .throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(BenchmarkId::new("link-100k-artifacts", name), |b| {
            b.iter(|| Metadata::from_bytes(black_box(&bytes)).expect("parse"))
        });
        g.finish();

        let mut g = c.benchmark_group("signature");
        g.sample_size(20);
        g.bench_function(BenchmarkId::new("ed25519-link-100k-artifacts", name), |b| {
            b.iter(|| md.verify_signature(black_box(&key)).expect("valid"))
        });
        g.finish();

        if format == Format::Legacy {
            let link = link_of(&md);
            let mut buf = Vec::new();
            link.canonical_into(&mut buf).expect("canonical");
            let mut g = c.benchmark_group("canonical");
            g.sample_size(20)
                .throughput(Throughput::Bytes(buf.len() as u64));
            g.bench_function("link-100k-artifacts", |b| {
                b.iter(|| {
                    buf.clear();
                    link.canonical_into(&mut buf).expect("canonical");
                    black_box(buf.len())
                })
            });
            g.bench_function("link-100k-artifacts-via-value", |b| {
                b.iter(|| intoto_studio::py::json::canonical(&link.to_value()).expect("ok"))
            });
            g.finish();
        }
    }
}

fn bench_rules(c: &mut Criterion) {
    let ch = chain(2, 50_000, Format::Legacy);
    let prev = link_of(&Metadata::load(&link_file(&ch.root, "step-00")).expect("load"));
    let link = link_of(&Metadata::load(&link_file(&ch.root, "step-01")).expect("load"));
    let mut links = LinkMap::new();
    links.insert("step-00".into(), prev);
    links.insert("step-01".into(), link.clone());
    let rules = |lines: &[&str]| -> Vec<Rule> {
        lines
            .iter()
            .map(|l| Rule::parse_line(l).expect("rule"))
            .collect()
    };
    let materials = rules(&["MATCH * WITH PRODUCTS FROM step-00", "DISALLOW *"]);
    let products = rules(&[
        "MATCH * WITH PRODUCTS FROM step-00",
        "MODIFY *.js",
        "MODIFY *",
        "CREATE *",
        "DISALLOW *",
    ]);
    let prefixed = rules(&[
        "MATCH node_modules/* IN . WITH PRODUCTS IN . FROM step-00",
        "MATCH pkg-1*/lib/*.js IN node_modules WITH PRODUCTS IN node_modules FROM step-00",
        "ALLOW node_modules/*",
        "DISALLOW src/*",
        "ALLOW *",
    ]);
    let mut g = c.benchmark_group("rules");
    g.sample_size(30).throughput(Throughput::Elements(50_000));
    for (name, kind, rs) in [
        (
            "materials-match-disallow",
            ArtifactKind::Materials,
            &materials,
        ),
        (
            "products-match-modify-create-disallow",
            ArtifactKind::Products,
            &products,
        ),
        ("products-prefixed-match", ArtifactKind::Products, &prefixed),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let (report, failure) = verify_rule_set("step-01", &link, kind, rs, &links);
                black_box((report, failure))
            })
        });
    }
    g.finish();
}

fn bench_verify(c: &mut Criterion) {
    let mut g = c.benchmark_group("verify");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for format in [Format::Legacy, Format::Dsse] {
        let ch = chain(10, 5_000, format);
        let keys = vec![public_key(&ch.root, "owner.pub")];
        let opts = VerifyOptions {
            link_dir: ch.root.join("links"),
            persist_inspection_links: false,
            ..VerifyOptions::default()
        };
        let layout = ch.root.join("root.layout");
        assert!(verify_file(&layout, &keys, &opts).passed, "chain verifies");
        g.bench_function(BenchmarkId::new("chain-10x5000", format.as_str()), |b| {
            b.iter(|| {
                let report = verify_file(&layout, &keys, &opts);
                assert!(report.passed);
                report
            })
        });
    }
    g.finish();
}

fn bench_record(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let small = dir.path().join("small");
    let big = dir.path().join("big");
    for i in 0..2_000 {
        let d = small.join(format!("pkg-{}", i / 50));
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join(format!("file-{i}.js")), vec![(i % 251) as u8; 1024]).expect("write");
    }
    std::fs::create_dir_all(&big).expect("mkdir");
    for i in 0..4 {
        std::fs::write(big.join(format!("blob-{i}.bin")), vec![i as u8; 16 << 20]).expect("write");
    }
    let opts = RecordOptions {
        base_path: Some(dir.path().to_path_buf()),
        ..RecordOptions::default()
    };
    let mut g = c.benchmark_group("record");
    g.sample_size(10);
    g.throughput(Throughput::Elements(2_000));
    g.bench_function("2000-small-files", |b| {
        b.iter(|| record_artifacts(&["small"], &opts, None).expect("record"))
    });
    g.throughput(Throughput::Bytes(4 * (16 << 20)));
    g.bench_function("4x16MiB-files", |b| {
        b.iter(|| record_artifacts(&["big"], &opts, None).expect("record"))
    });
    g.finish();
}

/// A layout of 30 steps in 6 layers of 5, each consuming two steps of the layer before.
/// SHA-512 of four 4 MiB messages: one after the other with `sha2`, and at once in the
/// four lanes of `sha512x` (the hashing inside ed25519 checks of many links).
fn bench_sha512(c: &mut Criterion) {
    use intoto_studio::crypto::sha512x::{self, Slices, Source};
    use sha2::Digest as _;
    let msgs: Vec<Vec<u8>> = (0..4u8)
        .map(|k| (0..4usize << 20).map(|i| (i as u8) ^ k).collect())
        .collect();
    let mut g = c.benchmark_group("sha512");
    g.throughput(Throughput::Bytes(4 * (4 << 20)));
    g.bench_function("4x4MiB-one-by-one", |b| {
        b.iter(|| {
            msgs.iter()
                .map(|m| sha2::Sha512::digest(black_box(m)))
                .collect::<Vec<_>>()
        })
    });
    g.bench_function("4x4MiB-four-lanes", |b| {
        b.iter(|| {
            let mut sources: Vec<Slices> = msgs.iter().map(|m| Slices::new(vec![m])).collect();
            let mut refs: Vec<&mut dyn Source> =
                sources.iter_mut().map(|s| s as &mut dyn Source).collect();
            sha512x::digest_all(black_box(&mut refs))
        })
    });
    g.finish();
}

fn layout_30() -> Layout {
    let mut layout = Layout::new(jiff::Timestamp::UNIX_EPOCH);
    let name = |l: usize, k: usize| format!("stage{l}-step{k}");
    for l in 0..6 {
        for k in 0..5 {
            let mut step = Step::new(name(l, k));
            if l > 0 {
                for from in [k, (k + 1) % 5] {
                    step.expected_materials.push(
                        Rule::parse_line(&format!(
                            "MATCH src/* WITH PRODUCTS FROM {}",
                            name(l - 1, from)
                        ))
                        .expect("rule"),
                    );
                }
            }
            step.expected_materials
                .push(Rule::parse_line("DISALLOW *").expect("rule"));
            step.expected_products
                .push(Rule::parse_line("CREATE *").expect("rule"));
            layout.steps.push(step);
        }
    }
    layout
}

fn bench_tui(c: &mut Criterion) {
    let layout = layout_30();
    let graph = Graph::from_layout(&layout);
    let info: HashMap<String, NodeInfo> = HashMap::new();
    let theme = Theme::dark();
    let highlight: Vec<(String, String)> = Vec::new();
    let area = Rect::new(0, 0, 200, 60);
    let mut g = c.benchmark_group("tui");
    g.sample_size(50);
    for (name, mode) in [
        ("auto", GraphMode::Auto),
        ("left-right", GraphMode::LeftRight),
        ("top-down", GraphMode::TopDown),
    ] {
        g.bench_function(BenchmarkId::new("graph-frame-30-nodes", name), |b| {
            let mut buf = Buffer::empty(area);
            b.iter(|| {
                buf.reset();
                let view = GraphView {
                    graph: &graph,
                    info: &info,
                    selected: Some("stage3-step2"),
                    highlight: &highlight,
                    theme: &theme,
                    mode,
                    labels: true,
                };
                black_box(view.render(area, &mut buf))
            })
        });
    }
    g.bench_function("graph-layout-30-nodes", |b| {
        b.iter(|| Graph::from_layout(black_box(&layout)))
    });

    // The link browser on a verified 2 x 50,000 chain: a page down and a whole frame.
    let data = chain(2, 50_000, Format::Legacy);
    let flags = ChainFlags {
        layout: Some(data.root.join("root.layout")),
        verification_keys: vec![data.root.join("owner.pub")],
        link_dir: Some(data.root.join("links")),
        ..Default::default()
    };
    let opened = tui::resolve_chain(None, &flags).expect("chain");
    let options = Options {
        path: None,
        chain: Default::default(),
        theme: Theme::dark(),
        keymap: KeyMap::default(),
        mouse: false,
        run_inspections: false,
        clock: Default::default(),
        autosave_dir: None,
    };
    let mut app = tui::build_app(&opened, options).expect("app");
    let mut jobs = Vec::new();
    let first = app.take_effects();
    tui::drive(&mut app, first, &mut |job| jobs.push(job));
    for job in jobs {
        let done = tui::run_job(job, None);
        tui::dispatch(&mut app, done, &mut |_| {});
    }
    let press = |app: &mut App, code: KeyCode| {
        tui::dispatch_key(app, KeyEvent::new(code, KeyModifiers::NONE), &mut |_| {})
    };
    press(&mut app, KeyCode::Char('5'));
    press(&mut app, KeyCode::Char('L'));
    let report = app.verify.report.clone().expect("verified");
    assert!(report.passed, "the generated chain verifies");
    app.report_view.link = report
        .steps
        .iter()
        .flat_map(|s| s.links.iter())
        .position(|l| l.file.contains("step-01."))
        .expect("step-01's link");
    let mut term = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    g.bench_function("link-browser-frame-100k-artifacts", |b| {
        b.iter(|| {
            if app.report_view.art_row > 99_000 {
                press(&mut app, KeyCode::Home);
            }
            press(&mut app, KeyCode::PageDown);
            term.draw(|f| {
                tui::ui::draw(f, &app);
            })
            .expect("draw");
            black_box(term.backend().buffer().area)
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_link,
    bench_sha512,
    bench_rules,
    bench_verify,
    bench_record,
    bench_tui
);
criterion_main!(benches);
