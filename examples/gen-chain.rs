//! Generate a large, validly signed in-toto supply chain for benchmarks.
//!
//! ```text
//! cargo run --release --example gen-chain -- --steps 10 --artifacts 50000 --format legacy OUT
//! ```
//!
//! Writes `OUT/root.layout` (signed by the owner), `OUT/owner.pub`, the functionaries'
//! public keys (`OUT/bob.pub`, `OUT/carl.pub`) and `OUT/links/<step>.<keyid[:8]>.link`.
//!
//! The chain is a line of steps `step-00 … step-NN`; every link records `--artifacts`
//! products with realistic paths (`node_modules/pkg-123/lib/file-4.js`, `src/…`, `assets/…`)
//! and deterministic SHA-256 hashes (derived from the path and the step, no files are read):
//!
//! * `step-00` has no materials and creates all its products
//!   (`expected_materials: DISALLOW *`, `expected_products: CREATE *, DISALLOW *`);
//! * `step-i` (i ≥ 1) has exactly the products of `step-(i-1)` as materials
//!   (`MATCH * WITH PRODUCTS FROM step-(i-1)`, `DISALLOW *`); its products keep most of
//!   them unchanged, modify about 10 %, delete about 1 % and create as many new ones
//!   (`MATCH * WITH PRODUCTS FROM step-(i-1)`, `MODIFY *.js`, `MODIFY *`, `CREATE *`,
//!   `DISALLOW *`).
//!
//! Every rule passes, so both `intoto-studio verify` and the reference's `in-toto-verify`
//! accept the chain. The signing keys are the TEST-ONLY keys of `tests/fixtures/keys/`.
//!
//! The output is deterministic: the same arguments give the same bytes (ed25519 signatures
//! are deterministic and the layout expires at 2100-01-01T00:00:00Z).

use intoto_studio::crypto::PrivateKey;
use intoto_studio::model::envelope::{Format, Metadata, Payload};
use intoto_studio::model::layout::{Layout, Step};
use intoto_studio::model::link::{Artifacts, HashDict, Link};
use intoto_studio::model::rule::Rule;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What to generate.
#[derive(Debug, Clone)]
pub struct ChainSpec {
    pub steps: usize,
    pub artifacts: usize,
    pub format: Format,
}

/// Where the TEST-ONLY keys are (relative to the crate root).
pub fn keys_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keys")
}

fn load_private(name: &str) -> PrivateKey {
    let path = keys_dir().join(format!("TEST-ONLY-{name}-ed25519.private.pem"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    PrivateKey::from_pem(&text, None).expect("TEST-ONLY key loads")
}

fn copy_public(name: &str, to: &Path) -> std::io::Result<()> {
    // Read and write rather than copy: the fixtures are read-only files.
    let text = std::fs::read(keys_dir().join(format!("TEST-ONLY-{name}-ed25519.pub.pem")))?;
    std::fs::write(to, text)
}

/// The k-th path of the initial tree: mostly npm packages, some sources and assets.
fn initial_path(k: usize) -> String {
    let group = k / 37;
    let file = k % 37;
    match group % 10 {
        0..=6 => format!("node_modules/pkg-{group}/lib/file-{file}.js"),
        7 => format!(
            "node_modules/@scope-{}/pkg-{group}/dist/index-{file}.d.ts",
            group % 13
        ),
        8 => format!("src/component-{group}/module-{file}.rs"),
        _ => format!("assets/img-{group}/icon-{file}.png"),
    }
}

/// A path created by step `step`.
fn created_path(step: usize, j: usize) -> String {
    format!("build/step-{step:02}/obj-{}/gen-{j}.o", j / 50)
}

/// A small deterministic mixing function (splitmix64).
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The SHA-256 hex "content hash" of `path` as written by `step` (any deterministic text).
fn content_hash(path: &str, step: usize) -> String {
    let mut h = Sha256::new();
    h.update(path.as_bytes());
    h.update([0u8]);
    h.update((step as u64).to_le_bytes());
    intoto_studio::py::hex::hex(h.finalize())
}

fn step_name(i: usize) -> String {
    format!("step-{i:02}")
}

fn rules(lines: &[String]) -> Vec<Rule> {
    lines
        .iter()
        .map(|l| Rule::parse_line(l).expect("rule parses"))
        .collect()
}

fn byproducts() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("return-value".into(), Value::from(0));
    m.insert("stderr".into(), Value::String(String::new()));
    m.insert("stdout".into(), Value::String(String::new()));
    m
}

fn command(i: usize) -> Vec<Value> {
    vec![
        Value::String("make".into()),
        Value::String(format!("stage-{i:02}")),
    ]
}

fn to_artifacts(entries: &[(String, String)]) -> Arc<Artifacts> {
    Arc::new(Artifacts::from_pairs(
        entries
            .iter()
            .map(|(p, h)| (p.as_str().into(), HashDict::sha256(h)))
            .collect(),
    ))
}

/// Write the chain into `out`; returns the total size of the link files in bytes.
pub fn generate(spec: &ChainSpec, out: &Path) -> std::io::Result<u64> {
    let links_dir = out.join("links");
    std::fs::create_dir_all(&links_dir)?;
    let owner = load_private("alice");
    let functionaries = [load_private("bob"), load_private("carl")];
    copy_public("alice", &out.join("owner.pub"))?;
    copy_public("bob", &out.join("bob.pub"))?;
    copy_public("carl", &out.join("carl.pub"))?;

    let mut layout = Layout {
        expires: "2100-01-01T00:00:00Z".into(),
        readme: format!(
            "generated benchmark chain: {} steps x {} artifacts",
            spec.steps, spec.artifacts
        ),
        ..Layout::new(jiff::Timestamp::UNIX_EPOCH)
    };
    let ids: Vec<String> = functionaries
        .iter()
        .map(|k| layout.add_key(k.public_key().clone()))
        .collect();

    let m = spec.artifacts;
    let churn = (m / 100).max(1).min(m);
    let mut total = 0u64;
    // The current products (path, hash), in any order.
    let mut current: Vec<(String, String)> = Vec::new();
    for i in 0..spec.steps {
        let name = step_name(i);
        let signer = &functionaries[i % 2];
        let mut step = Step::new(&name);
        step.pubkeys = vec![ids[i % 2].clone()];
        step.expected_command = command(i);
        let materials = current.clone();
        let products: Vec<(String, String)> = if i == 0 {
            step.expected_materials = rules(&["DISALLOW *".into()]);
            step.expected_products = rules(&["CREATE *".into(), "DISALLOW *".into()]);
            (0..m)
                .map(|k| {
                    let p = initial_path(k);
                    let h = content_hash(&p, 0);
                    (p, h)
                })
                .collect()
        } else {
            let prev = step_name(i - 1);
            step.expected_materials = rules(&[
                format!("MATCH * WITH PRODUCTS FROM {prev}"),
                "DISALLOW *".into(),
            ]);
            step.expected_products = rules(&[
                format!("MATCH * WITH PRODUCTS FROM {prev}"),
                "MODIFY *.js".into(),
                "MODIFY *".into(),
                "CREATE *".into(),
                "DISALLOW *".into(),
            ]);
            let mut next: Vec<(String, String)> = Vec::with_capacity(m);
            let mut deleted = 0usize;
            for (k, (p, h)) in materials.iter().enumerate() {
                let r = mix(((i as u64) << 40) ^ k as u64);
                if deleted < churn && r.is_multiple_of(97) {
                    deleted += 1;
                    continue;
                }
                if r % 10 == 1 {
                    next.push((p.clone(), content_hash(p, i)));
                } else {
                    next.push((p.clone(), h.clone()));
                }
            }
            for j in 0..deleted {
                let p = created_path(i, j);
                let h = content_hash(&p, i);
                next.push((p, h));
            }
            next
        };
        let link = Link {
            name: Value::String(name.clone()),
            command: command(i),
            materials: to_artifacts(&materials),
            products: to_artifacts(&products),
            byproducts: byproducts(),
            environment: Map::new(),
        };
        let mut md = Metadata::new(Payload::Link(Arc::new(link)), spec.format);
        md.sign(signer).map_err(std::io::Error::other)?;
        let bytes = md.to_bytes();
        total += bytes.len() as u64;
        let keyid = &signer.public_key().keyid;
        std::fs::write(
            links_dir.join(format!("{name}.{}.link", &keyid[..8])),
            bytes,
        )?;
        layout.steps.push(step);
        current = products;
    }
    let mut md = Metadata::new(Payload::Layout(Box::new(layout)), spec.format);
    md.sign(&owner).map_err(std::io::Error::other)?;
    std::fs::write(out.join("root.layout"), md.to_bytes())?;
    Ok(total)
}

const USAGE: &str = "usage: gen-chain --steps N --artifacts M --format legacy|dsse OUT";

#[allow(dead_code)]
fn main() {
    let mut args = std::env::args().skip(1);
    let (mut steps, mut artifacts, mut format, mut out) =
        (10usize, 1000usize, Format::Legacy, None);
    while let Some(a) = args.next() {
        let mut value = |what: &str| {
            args.next().unwrap_or_else(|| {
                eprintln!("{what} needs a value\n{USAGE}");
                std::process::exit(2)
            })
        };
        match a.as_str() {
            "--steps" => steps = value("--steps").parse().expect("--steps N"),
            "--artifacts" => artifacts = value("--artifacts").parse().expect("--artifacts M"),
            "--format" => {
                format = match value("--format").as_str() {
                    "legacy" => Format::Legacy,
                    "dsse" => Format::Dsse,
                    other => {
                        eprintln!("unknown format '{other}'\n{USAGE}");
                        std::process::exit(2)
                    }
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            _ if out.is_none() && !a.starts_with('-') => out = Some(PathBuf::from(a)),
            _ => {
                eprintln!("unexpected argument '{a}'\n{USAGE}");
                std::process::exit(2)
            }
        }
    }
    let Some(out) = out else {
        eprintln!("{USAGE}");
        std::process::exit(2)
    };
    if steps == 0 {
        eprintln!("--steps must be at least 1");
        std::process::exit(2)
    }
    let spec = ChainSpec {
        steps,
        artifacts,
        format,
    };
    match generate(&spec, &out) {
        Ok(total) => println!(
            "{}: {steps} steps x {artifacts} artifacts ({}), links {total} bytes",
            out.display(),
            format.as_str()
        ),
        Err(e) => {
            eprintln!("gen-chain: {e}");
            std::process::exit(1)
        }
    }
}
