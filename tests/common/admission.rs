//! The admission fixtures: a policy whose chains are conformance cases the reference judged
//! (their `expected.json`), with their links as the evidence of an image whose digest is one
//! of their products, and AdmissionReviews written from the Kubernetes API schema.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};

pub const CASES: &str = "tests/fixtures/conformance/cases";
/// sha256 of `dist/app.bin`, a product of `release` in `pass-all-rule-types-legacy`.
pub const APP_BIN: &str = "92a2c4f97e2007be23468865635ca77cf5a7cafabadc84251f3eaf86a12ca632";
/// sha256 of `image.tar`, a product of `build` in `pass-container-build-legacy`.
pub const IMAGE_TAR: &str = "1ef76026abeccb9f244f541351eacc3d63ecbb94ea081fce976aa2d3e56e5875";
/// sha256 of `demo-project.tar.gz` in `fail-tampered-artifact-legacy`'s package link.
pub const TARBALL: &str = "4ef4891b6466cc10976dd20882266633bd8b0c4f6c56c8017ef026ceff9350f9";

pub struct Setup {
    pub _tmp: tempfile::TempDir,
    pub dir: PathBuf,
}

pub fn case(name: &str) -> PathBuf {
    Path::new(super::MANIFEST).join(CASES).join(name)
}

pub fn expected(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(case(name).join("expected.json")).unwrap())
        .unwrap()
}

/// A policy with three rules, each a conformance case, and the evidence of their images.
pub fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let mut policy = String::from("unmatched = \"deny\"\ntimeout_seconds = 8\n");
    for (rule, name, images, step, artifact, hex, inspections) in [
        (
            "app",
            "pass-all-rule-types-legacy",
            "registry.example/app/*",
            "release",
            "dist/app.bin",
            APP_BIN,
            "deny",
        ),
        (
            "container",
            "pass-container-build-legacy",
            "registry.example/container/*",
            "build",
            "image.tar",
            IMAGE_TAR,
            "skip",
        ),
        (
            "strict",
            "pass-container-build-legacy",
            "registry.example/strict/*",
            "build",
            "image.tar",
            IMAGE_TAR,
            "deny",
        ),
        (
            "demo",
            "fail-tampered-artifact-legacy",
            "registry.example/demo/*",
            "package",
            "demo-project.tar.gz",
            TARBALL,
            "skip",
        ),
    ] {
        super::copy_dir(&case(name), &dir.join(rule));
        let evidence = dir.join(format!("evidence-{rule}/sha256/{hex}"));
        super::copy_dir(&case(name).join("links"), &evidence);
        policy.push_str(&format!(
            "\n[[rule]]\nname = \"{rule}\"\nimages = [\"{images}\"]\nlayout = \"{rule}/root.layout\"\n\
             owner_keys = [\"{rule}/alice.pub\"]\nevidence = \"evidence-{rule}\"\n\
             bind = {{ step = \"{step}\", artifact = \"{artifact}\" }}\ninspections = \"{inspections}\"\n"
        ));
    }
    std::fs::write(dir.join("policy.toml"), policy).unwrap();
    Setup { _tmp: tmp, dir }
}

pub fn pod_review(version: &str, uid: &str, kind: &str, object: Value) -> Value {
    json!({
        "apiVersion": version,
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": if kind == "Pod" { "" } else { "apps" }, "version": "v1", "kind": kind},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": "default",
            "operation": "CREATE",
            "userInfo": {"username": "alice"},
            "object": object,
            "oldObject": null,
            "dryRun": false,
        }
    })
}

pub fn pod(images: &[&str]) -> Value {
    let containers: Vec<Value> = images
        .iter()
        .enumerate()
        .map(|(i, im)| json!({"name": format!("c{i}"), "image": im}))
        .collect();
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": containers}})
}

/// Run our binary in `cwd` with the clock pinned at 2026-01-01; it must succeed. Returns
/// its standard output, trimmed.
pub fn run_studio(args: &[&str], cwd: &Path) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_intoto-studio"))
        .args(args)
        .current_dir(cwd)
        .env("INTOTO_STUDIO_NOW", "2026-01-01T00:00:00Z")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The `push` step of [`own_chain`] (in `<own>/work`, signed by `<own>/bob`): it takes
/// `app.bin` and records `image.manifest.json`, a copy of `<own>/pushed.json`; its link goes
/// to `link_dir`.
pub fn run_push(own: &Path, link_dir: &Path) {
    let key = own.join("bob");
    run_studio(
        &[
            "run",
            "-n",
            "push",
            "--signing-key",
            key.to_str().unwrap(),
            "-d",
            link_dir.to_str().unwrap(),
            "-m",
            "app.bin",
            "-p",
            "image.manifest.json",
            "--",
            "cp",
            "../pushed.json",
            "image.manifest.json",
        ],
        &own.join("work"),
    );
}

/// The link file of `step` in `dir` (`<step>.<keyid[:8]>.link`).
pub fn link_file(dir: &Path, step: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&format!("{step}.")))
                && p.is_file()
        })
        .unwrap_or_else(|| panic!("no link of {step} in {}", dir.display()))
}

/// A chain made with our own `keygen`, `sign` and `run`: `build` creates `app.bin`, `push`
/// takes it and records `image.manifest.json`, the OCI manifest it pushed (as `crane
/// manifest` writes it), whose sha256 is the image digest. The layout expires at the end
/// of 2099 (as the conformance cases do). Written to `<dir>/own/` (`root.layout`, `owner.pub`, the keys) with the links
/// as the evidence of the manifest's digest under `<dir>/evidence-own/`; a rule `own` for
/// `registry.example/own/*` is appended to `<dir>/policy.toml`. Returns the digest (hex).
pub fn own_chain(dir: &Path) -> String {
    let own = dir.join("own");
    let work = own.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let run = run_studio;
    run(&["keygen", "owner"], &own);
    run(&["keygen", "bob"], &own);
    let bob_id = run(&["key", "id", "bob.pub"], &own);
    let bob: Value = serde_json::from_str(&run(&["key", "layout", "bob.pub"], &own)).unwrap();
    let step = |name: &str, materials: Value, products: Value| {
        json!({
            "_type": "step", "name": name, "expected_command": [],
            "expected_materials": materials, "expected_products": products,
            "pubkeys": [bob_id], "threshold": 1,
        })
    };
    let layout = json!({
        "signatures": [],
        "signed": {
            "_type": "layout",
            "expires": "2099-12-31T23:59:59Z",
            "readme": "build, then push the image whose manifest binds the chain",
            "keys": {bob_id.clone(): bob},
            "steps": [
                step("build", json!([["DISALLOW", "*"]]),
                     json!([["CREATE", "app.bin"], ["DISALLOW", "*"]])),
                step("push", json!([["MATCH", "app.bin", "WITH", "PRODUCTS", "FROM", "build"], ["DISALLOW", "*"]]),
                     json!([["CREATE", "image.manifest.json"], ["DISALLOW", "*"]])),
            ],
            "inspect": [],
        }
    });
    std::fs::write(own.join("root.layout"), layout.to_string()).unwrap();
    run(&["sign", "-f", "root.layout", "-k", "owner"], &own);
    let key = own.join("bob");
    let key = key.to_str().unwrap();
    let links = own.join("links");
    let links_s = links.to_str().unwrap().to_string();
    std::fs::create_dir_all(&links).unwrap();
    run(
        &[
            "run",
            "-n",
            "build",
            "--signing-key",
            key,
            "-d",
            &links_s,
            "-p",
            "app.bin",
            "--",
            "sh",
            "-c",
            "printf 'the app\\n' > app.bin",
        ],
        &work,
    );
    // The manifest a registry would hold for an image whose one layer is app.bin.
    let sha = |b: &[u8]| {
        use sha2::Digest as _;
        sha2::Sha256::digest(b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
    };
    let config = b"{}";
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": format!("sha256:{}", sha(config)), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": format!("sha256:{}", sha(&std::fs::read(work.join("app.bin")).unwrap())),
                    "size": 8}],
    })
    .to_string();
    std::fs::write(own.join("pushed.json"), &manifest).unwrap();
    run_push(&own, &links);
    let digest = sha(manifest.as_bytes());
    super::copy_dir(&links, &dir.join(format!("evidence-own/sha256/{digest}")));
    let mut policy = std::fs::read_to_string(dir.join("policy.toml")).unwrap_or_default();
    policy.push_str(
        "\n[[rule]]\nname = \"own\"\nimages = [\"registry.example/own/*\"]\nlayout = \"own/root.layout\"\n\
         owner_keys = [\"own/owner.pub\"]\nevidence = \"evidence-own\"\n\
         bind = { step = \"push\", artifact = \"image.manifest.json\" }\n",
    );
    std::fs::write(dir.join("policy.toml"), policy).unwrap();
    digest
}
