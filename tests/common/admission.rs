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
