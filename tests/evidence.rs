//! `evidence push|pull|put`, `verify --evidence-from` and `serve` against a real registry
//! (Debian's docker-registry, distribution 2.8: no referrers API, so the referrers tag
//! schema): the one `.ci/run` started on 127.0.0.1 (`INTOTO_STUDIO_REGISTRY`), or one the
//! test starts there (for TLS, credentials, altered storage, or without `.ci/run`).
//! The chain is the conformance case `pass-sublayout-legacy` (the reference passed it; its
//! links include a sublayout folder).

mod common;

use common::registry::{Registry, available, sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const CASE: &str = "tests/fixtures/conformance/cases/pass-sublayout-legacy";

fn studio(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_intoto-studio"))
        .args(args)
        .env("INTOTO_STUDIO_NOW", "2026-01-01T00:00:00Z")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Every file under `dir`: (relative path, bytes), sorted.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

fn case() -> PathBuf {
    Path::new(common::MANIFEST).join(CASE)
}

#[test]
fn evidence_goes_to_the_registry_and_comes_back_byte_identical() {
    if !available() {
        return;
    }
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(case().join("expected.json")).unwrap())
            .unwrap();
    assert_eq!(want["passed"], true);
    let reg = Registry::start_own();
    let image = reg.push_image("app", b"the app layer");
    let hex = image.rsplit_once("@sha256:").unwrap().1.to_string();
    let links = case().join("links");
    let links = links.to_str().unwrap();

    let push = || {
        studio(&[
            "evidence",
            "push",
            &image,
            "--link-dir",
            links,
            "--plain-http",
        ])
    };
    let first = push();
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert!(text(&first).contains("referrers tag"), "{}", text(&first));
    let second = push();
    assert_eq!(
        text(&first),
        text(&second),
        "pushing twice gives the same artifact"
    );
    let index: serde_json::Value =
        serde_json::from_str(&reg.manifest("app", &format!("sha256-{hex}"))).unwrap();
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{index}");
    assert_eq!(
        entries[0]["artifactType"],
        "application/vnd.in-toto.links.v1"
    );
    let artifact = entries[0]["digest"].as_str().unwrap().to_string();
    let manifest: serde_json::Value =
        serde_json::from_str(&reg.manifest("app", &artifact)).unwrap();
    assert_eq!(manifest["subject"]["digest"], format!("sha256:{hex}"));
    assert_eq!(
        manifest["layers"].as_array().unwrap().len(),
        files(&case().join("links")).len()
    );

    // Pulled back byte for byte, sublayout folder included, and the chain verifies.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pulled");
    let pulled = studio(&[
        "evidence",
        "pull",
        &image,
        "--out",
        out.to_str().unwrap(),
        "--plain-http",
    ]);
    assert_eq!(pulled.status.code(), Some(0), "{}", text(&pulled));
    assert!(
        text(&pulled).contains("referrers tag schema"),
        "{}",
        text(&pulled)
    );
    assert_eq!(files(&out), files(&case().join("links")));
    let layout = case().join("root.layout");
    let key = case().join("alice.pub");
    let verified = studio(&[
        "verify",
        "--layout",
        layout.to_str().unwrap(),
        "--verification-keys",
        key.to_str().unwrap(),
        "--link-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(verified.status.code(), Some(0), "{}", text(&verified));

    // A registry that serves other bytes for a layer gives an error and writes nothing.
    let layer = manifest["layers"][0]["digest"].as_str().unwrap();
    let blob = reg.blob_file(layer);
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&blob, &bytes).unwrap();
    let out2 = tmp.path().join("pulled-again");
    let bad = studio(&[
        "evidence",
        "pull",
        &image,
        "--out",
        out2.to_str().unwrap(),
        "--plain-http",
    ]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    assert!(
        text(&bad).contains("(intoto-studio evidence) OSError:"),
        "{}",
        text(&bad)
    );
    assert!(!out2.exists(), "nothing written");

    // An image nothing refers to, and one named by tag.
    let other = reg.push_image("app", b"another layer");
    let none = studio(&[
        "evidence",
        "pull",
        &other,
        "--out",
        out2.to_str().unwrap(),
        "--plain-http",
    ]);
    assert_eq!(none.status.code(), Some(1));
    assert!(
        text(&none).contains("no in-toto evidence refers to"),
        "{}",
        text(&none)
    );
    let tag = studio(&[
        "evidence",
        "pull",
        &format!("{}/app:1", reg.addr),
        "--out",
        "x",
        "--plain-http",
    ]);
    assert_eq!(tag.status.code(), Some(2), "{}", text(&tag));
    assert!(text(&tag).contains("by digest"), "{}", text(&tag));
}

#[test]
fn evidence_put_fills_the_store_of_serve_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let hex = sha256(b"an image manifest");
    let image = format!("registry.example/app@sha256:{hex}");
    let links = case().join("links");
    let put = studio(&[
        "evidence",
        "put",
        "--store",
        store.to_str().unwrap(),
        &image,
        "--link-dir",
        links.to_str().unwrap(),
    ]);
    assert_eq!(put.status.code(), Some(0), "{}", text(&put));
    assert_eq!(files(&store.join("sha256").join(&hex)), files(&links));
    let top: Vec<_> = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(top, ["sha256"]);
    let bad = studio(&[
        "evidence",
        "put",
        "--store",
        store.to_str().unwrap(),
        "registry.example/app@sha256:../../x",
        "--link-dir",
        links.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert_eq!(std::fs::read_dir(store.join("sha256")).unwrap().count(), 1);
}

#[test]
fn serve_admits_an_image_by_the_evidence_in_its_registry() {
    if !available() {
        return;
    }
    use common::admission::{own_chain, pod, pod_review, setup};
    let s = setup();
    let digest = own_chain(&s.dir);
    let own = s.dir.join("own");
    // The image own_chain's push step recorded, pushed for real: its manifest's bytes are
    // the ones the push link has, so its digest is the one bound.
    let reg = Registry::start();
    reg.put_blob("own/app", b"{}");
    reg.put_blob("own/app", &std::fs::read(own.join("work/app.bin")).unwrap());
    let image = reg.push_manifest("own/app", &std::fs::read(own.join("pushed.json")).unwrap());
    assert_eq!(
        image,
        format!("{}/{}@sha256:{digest}", reg.addr, reg.repo("own/app"))
    );
    let links = own.join("links");
    let push = studio(&[
        "evidence",
        "push",
        &image,
        "--link-dir",
        links.to_str().unwrap(),
        "--plain-http",
    ]);
    assert_eq!(push.status.code(), Some(0), "{}", text(&push));
    let policy = s.dir.join("policy.toml");
    let mut p = std::fs::read_to_string(&policy).unwrap();
    p.push_str(&format!(
        "\n[[rule]]\nname = \"registry\"\nimages = [\"{}/own/*\"]\nlayout = \"own/root.layout\"\n\
         owner_keys = [\"own/owner.pub\"]\nevidence = \"oci\"\nregistry = {{ plain_http = true }}\n\
         bind = {{ step = \"push\", artifact = \"image.manifest.json\" }}\n",
        reg.addr
    ).replace("/own/*", &format!("/{}*", reg.repo("own/"))));
    std::fs::write(&policy, p).unwrap();
    let server = common::server::start(&s, &[]);
    let r = server.review(&pod_review(
        "admission.k8s.io/v1",
        "u-reg",
        "Pod",
        pod(&[&image]),
    ));
    assert_eq!(r["response"]["allowed"], true, "{r}");

    // Evidence replaced by a tampered link: denied, with the reason.
    let tampered = s.dir.join("tampered");
    common::copy_dir(&links, &tampered);
    let link = common::admission::link_file(&tampered, "build");
    let t = std::fs::read_to_string(&link).unwrap();
    std::fs::write(&link, t.replace("app.bin", "app.bin.evil")).unwrap();
    let push = studio(&[
        "evidence",
        "push",
        &image,
        "--link-dir",
        tampered.to_str().unwrap(),
        "--plain-http",
    ]);
    assert_eq!(push.status.code(), Some(0), "{}", text(&push));
    let r = server.review(&pod_review(
        "admission.k8s.io/v1",
        "u-reg2",
        "Pod",
        pod(&[&image]),
    ));
    assert_eq!(r["response"]["allowed"], false, "{r}");
    let message = r["response"]["status"]["message"].as_str().unwrap();
    assert!(message.contains("(rule registry)"), "{message}");
    assert!(message.contains("evidence"), "{message}");
}

/// `verify --evidence-from` pulls the links beside the image and judges them as the
/// reference judged them in place: a passing chain passes, a failing one fails on the
/// reference's item, rule and artifact; no evidence, or evidence that fails to come, is a
/// failure with the reason, never a pass.
#[test]
fn verify_takes_its_links_from_the_registry() {
    if !available() {
        return;
    }
    let reg = Registry::start();
    let conformance = Path::new(common::MANIFEST).join("tests/fixtures/conformance");
    let push_case = |name: &str, layer: &[u8]| {
        let image = reg.push_image("app", layer);
        let links = conformance.join("cases").join(name).join("links");
        let push = studio(&[
            "evidence",
            "push",
            &image,
            "--link-dir",
            links.to_str().unwrap(),
            "--plain-http",
        ]);
        assert_eq!(push.status.code(), Some(0), "{}", text(&push));
        image
    };
    let verify = |name: &str, image: &str, more: &[&str]| {
        let dir = conformance.join("cases").join(name);
        let mut args = vec![
            "verify".to_string(),
            "--layout".into(),
            dir.join("root.layout").display().to_string(),
            "--verification-keys".into(),
            dir.join("alice.pub").display().to_string(),
            "--evidence-from".into(),
            image.into(),
            "--plain-http".into(),
            "--no-inspection-links".into(),
        ];
        args.extend(more.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        studio(&args)
    };
    let expected = |name: &str| -> serde_json::Value {
        let p = conformance.join("cases").join(name).join("expected.json");
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };

    for (name, layer) in [
        ("pass-sublayout-legacy", b"layer one".as_slice()),
        ("fail-sublayout-rule-dsse", b"layer two".as_slice()),
    ] {
        let image = push_case(name, layer);
        let out = verify(name, &image, &["--format", "json"]);
        let wrong = common::judge(name, &expected(name), &out);
        assert!(wrong.is_empty(), "{wrong:?}\n{}", text(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let note = report["notes"][0].as_str().unwrap_or_default();
        assert!(
            note.contains("pulled from the registry") && note.contains(&image),
            "{report}"
        );
    }
    let passing = push_case("pass-sublayout-legacy", b"layer three");
    let out = verify("pass-sublayout-legacy", &passing, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("referrers tag schema"),
        "{}",
        text(&out)
    );

    // An image nothing refers to: a failure at loading the links, with the reason.
    let bare = reg.push_image("app", b"no evidence");
    let out = verify("pass-sublayout-legacy", &bare, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["passed"], false);
    assert_eq!(report["failure"]["stage"], "load_links", "{report}");
    assert!(
        report["failure"]["message"]
            .as_str()
            .unwrap()
            .contains("no in-toto evidence refers to"),
        "{report}"
    );
    // A registry that is not there fails too (HTTPS to the plain-HTTP registry).
    let dir = conformance.join("cases/pass-sublayout-legacy");
    let out = studio(&[
        "verify",
        "--layout",
        dir.join("root.layout").to_str().unwrap(),
        "--verification-keys",
        dir.join("alice.pub").to_str().unwrap(),
        "--evidence-from",
        &passing,
        "--registry-timeout",
        "5",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("in its registry"), "{}", text(&out));
    // --evidence-from takes the place of --link-dir, and names the image by digest.
    let both = verify("pass-sublayout-legacy", &passing, &["--link-dir", "links"]);
    assert_eq!(both.status.code(), Some(2), "{}", text(&both));
    let tag = verify("pass-sublayout-legacy", &format!("{}/app:1", reg.addr), &[]);
    assert_eq!(tag.status.code(), Some(2), "{}", text(&tag));
    assert!(text(&tag).contains("by digest"), "{}", text(&tag));
}

/// Registries that want credentials, over TLS trusted through --registry-ca: HTTP basic
/// (htpasswd) and the bearer-token flow (the user and password handed to the token
/// service, or a registry token given as it is), credentials from a Docker config.json by
/// path or $DOCKER_CONFIG; no credentials, wrong ones or an untrusted certificate fail.
#[test]
fn evidence_reaches_registries_that_want_credentials() {
    use common::registry::Access;
    if !available() {
        return;
    }
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let links = case().join("links");
    let links = links.to_str().unwrap();
    for access in [
        Access::Basic {
            user: "alice".into(),
            password: "s3cret".into(),
        },
        Access::Token {
            user: "alice".into(),
            password: "s3cret".into(),
        },
    ] {
        let reg = Registry::start_with(access.clone());
        let image = reg.push_image("app", b"the app layer");
        let ca = reg.ca.clone().unwrap();
        let ca = ca.to_str().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let good = reg.docker_config(
            &tmp.path().join("good"),
            serde_json::json!({"auth": b64("alice:s3cret")}),
        );
        let wrong = reg.docker_config(
            &tmp.path().join("wrong"),
            serde_json::json!({"username": "alice", "password": "guess"}),
        );
        let push = |config: Option<&Path>, trust: bool| {
            let mut args = vec!["evidence", "push", &image, "--link-dir", links];
            if trust {
                args.extend(["--registry-ca", ca]);
            }
            if let Some(c) = config {
                args.extend(["--registry-config", c.to_str().unwrap()]);
            }
            studio(&args)
        };
        let label = format!("{access:?}");
        for (config, trust, what) in [
            (None, true, "no credentials"),
            (Some(wrong.as_path()), true, "a wrong password"),
            (Some(good.as_path()), false, "an untrusted certificate"),
        ] {
            let o = push(config, trust);
            assert_eq!(o.status.code(), Some(1), "{label}, {what}: {}", text(&o));
            let why = if trust { "auth" } else { "certificate" };
            assert!(
                text(&o).to_lowercase().contains(why),
                "{label}, {what}: {}",
                text(&o)
            );
        }
        let issued_before = reg.tokens_issued();
        let o = push(Some(&good), true);
        assert_eq!(o.status.code(), Some(0), "{label}: {}", text(&o));
        if matches!(access, Access::Token { .. }) {
            assert!(
                reg.tokens_issued() > issued_before,
                "the push went through the token service"
            );
        }

        // Pulled with the credentials from $DOCKER_CONFIG, byte-identical.
        let out = tmp.path().join("pulled");
        let pull = Command::new(env!("CARGO_BIN_EXE_intoto-studio"))
            .args(["evidence", "pull", &image, "--registry-ca", ca, "--out"])
            .arg(&out)
            .env("DOCKER_CONFIG", good.parent().unwrap())
            .output()
            .unwrap();
        assert_eq!(pull.status.code(), Some(0), "{label}: {}", text(&pull));
        assert_eq!(files(&out), files(&case().join("links")));

        // A registry token as it is (pull only): pulls, and cannot push.
        if matches!(access, Access::Token { .. }) {
            let token = reg.docker_config(
                &tmp.path().join("token"),
                serde_json::json!({"registrytoken": reg.pull_token("app")}),
            );
            let issued = reg.tokens_issued();
            let out = tmp.path().join("pulled-by-token");
            let pull = studio(&[
                "evidence",
                "pull",
                &image,
                "--registry-ca",
                ca,
                "--registry-config",
                token.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ]);
            assert_eq!(pull.status.code(), Some(0), "{}", text(&pull));
            assert_eq!(files(&out), files(&case().join("links")));
            assert_eq!(reg.tokens_issued(), issued, "the token was used as it is");
            let o = push(Some(&token), true);
            assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        }
    }
}

/// Through a front that answers the distribution-spec v1.1 referrers API (as zot or
/// distribution 3 do; the Debian registry is 2.8 and has none): `push` writes no referrers
/// tag, `pull` finds the artifact through the API, byte-identical, and the registry alone
/// (no API, no tag) has nothing to offer.
#[test]
fn the_referrers_api_is_used_where_the_registry_has_it() {
    if !available() {
        return;
    }
    use common::proxy::Front;
    let reg = Registry::start();
    let front = Front::start(&reg.addr, true);
    let image = reg.push_image("app", b"the app layer");
    let hex = image.rsplit_once("@sha256:").unwrap().1.to_string();
    let via = front.through(&image);
    let links = case().join("links");
    let push = studio(&[
        "evidence",
        "push",
        &via,
        "--link-dir",
        links.to_str().unwrap(),
        "--plain-http",
    ]);
    assert_eq!(push.status.code(), Some(0), "{}", text(&push));
    assert!(!text(&push).contains("referrers tag"), "{}", text(&push));
    let tag: serde_json::Value =
        serde_json::from_str(&reg.manifest("app", &format!("sha256-{hex}"))).unwrap();
    assert!(tag["manifests"].is_null(), "no tag written: {tag}");

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pulled");
    let pull = studio(&[
        "evidence",
        "pull",
        &via,
        "--out",
        out.to_str().unwrap(),
        "--plain-http",
    ]);
    assert_eq!(pull.status.code(), Some(0), "{}", text(&pull));
    assert!(text(&pull).contains("(referrers API)"), "{}", text(&pull));
    assert_eq!(files(&out), files(&links));
    let direct = studio(&[
        "evidence",
        "pull",
        &image,
        "--out",
        tmp.path().join("direct").to_str().unwrap(),
        "--plain-http",
    ]);
    assert_eq!(direct.status.code(), Some(1), "{}", text(&direct));
    assert!(
        text(&direct).contains("no referrers tag"),
        "{}",
        text(&direct)
    );
}

/// A registry that lies gives a clear failure and writes nothing, never evidence: a layer
/// declared huge, a blob that never ends, too many referrers, a referrers list that pages
/// on without end, a manifest with another digest, a manifest over 4 MiB, an artifact
/// about another image.
#[test]
fn a_lying_registry_gives_a_clear_failure_never_evidence() {
    if !available() {
        return;
    }
    use common::proxy::{Answer, Front};
    let reg = Registry::start();
    let front = Front::start(&reg.addr, true);
    let image = reg.push_image("app", b"the app layer");
    let hex = image.rsplit_once("@sha256:").unwrap().1.to_string();
    let via = front.through(&image);
    let repo = reg.repo("app");
    let referrers = format!("/v2/{repo}/referrers/sha256:{hex}");
    let json = |v: &serde_json::Value| Answer::Bytes {
        content_type: "application/vnd.oci.image.manifest.v1+json".into(),
        body: v.to_string().into_bytes(),
        headers: Vec::new(),
    };
    let index = |manifests: Vec<serde_json::Value>, headers: Vec<(String, String)>| {
        Answer::Bytes {
        content_type: "application/vnd.oci.image.index.v1+json".into(),
        body: serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests})
            .to_string()
            .into_bytes(),
        headers,
    }
    };
    // An evidence artifact about `subject` with one layer of `size` bytes and `digest`.
    let artifact = |subject: &str, digest: &str, size: u64| {
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": "application/vnd.in-toto.links.v1",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": format!("sha256:{}", sha256(b"{}")), "size": 2},
            "layers": [{"mediaType": "application/vnd.in-toto.link.v1+json", "digest": digest, "size": size,
                        "annotations": {"org.opencontainers.image.title": "build.407ea2a0.link"}}],
            "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": subject, "size": 100},
        })
    };
    // Serve `m` as a manifest and list it (with `extra` entries) as the image's referrer.
    let offer = |m: &serde_json::Value, extra: usize, headers: Vec<(String, String)>| {
        let bytes = m.to_string();
        let d = format!("sha256:{}", sha256(bytes.as_bytes()));
        front.answer(&format!("/v2/{repo}/manifests/{d}"), json(m));
        let entry = serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": d, "size": bytes.len(), "artifactType": "application/vnd.in-toto.links.v1"});
        front.answer(&referrers, index(vec![entry; 1 + extra], headers));
        d
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pulled");
    let pull = |what: &str, expect: &str| {
        let o = studio(&[
            "evidence",
            "pull",
            &via,
            "--out",
            out.to_str().unwrap(),
            "--plain-http",
            "--registry-timeout",
            "20",
        ]);
        assert_eq!(o.status.code(), Some(1), "{what}: {}", text(&o));
        assert!(text(&o).contains(expect), "{what}: {}", text(&o));
        assert!(!out.exists(), "{what}: nothing written");
    };
    let subject = format!("sha256:{hex}");
    let layer = format!("sha256:{}", sha256(b"a link"));

    offer(&artifact(&subject, &layer, 300 << 20), 0, Vec::new());
    pull(
        "a layer declared at 300 MiB",
        "more evidence than the bounds allow",
    );

    offer(&artifact(&subject, &layer, 6), 0, Vec::new());
    front.answer(
        &format!("/v2/{repo}/blobs/{layer}"),
        Answer::Endless { declared: 1 << 40 },
    );
    pull("a blob without end", &format!("blob {layer}"));

    offer(&artifact(&subject, &layer, 6), 64, Vec::new());
    pull("65 referrers", "more than 64 referrers");

    // A page of referrers about nothing, pointing at a next page without end: only the
    // first page is read.
    front.answer(
        &referrers,
        index(
            Vec::new(),
            vec![(
                "Link".into(),
                format!("<{referrers}?n=1&last=x>; rel=\"next\""),
            )],
        ),
    );
    pull(
        "a referrers list paging on",
        "no in-toto evidence refers to",
    );

    let d = offer(&artifact(&subject, &layer, 6), 0, Vec::new());
    front.answer(
        &format!("/v2/{repo}/manifests/{d}"),
        json(&artifact(&subject, &layer, 7)),
    );
    pull("a manifest with another digest", "Invalid digest");

    let mut big = artifact(&subject, &layer, 6);
    big["annotations"] = serde_json::json!({"padding": "x".repeat(5 << 20)});
    offer(&big, 0, Vec::new());
    pull("a manifest of 5 MiB", "larger than 4 MiB");

    offer(
        &artifact(&format!("sha256:{}", "0".repeat(64)), &layer, 6),
        0,
        Vec::new(),
    );
    pull(
        "an artifact about another image",
        "its subject is another image",
    );
}
