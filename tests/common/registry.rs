//! A real OCI registry for the tests: Debian's `docker-registry` (the CNCF distribution
//! registry 2.8, which has no referrers API), started on 127.0.0.1 with a throwaway config
//! and storage, and images pushed to it with curl over the distribution API.
//!
//! `.ci/run` installs it; set `INTOTO_STUDIO_SKIP_REGISTRY=1` to skip these tests where it
//! is missing (`.ci/run` never skips).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BINARY: &str = "/usr/bin/docker-registry";

pub struct Registry {
    child: Child,
    /// `127.0.0.1:PORT`
    pub addr: String,
    /// Its storage folder (blobs under `docker/registry/v2/blobs/sha256/`).
    pub storage: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the registry tests run here: the binary is there, or skipping was asked for.
pub fn available() -> bool {
    if Path::new(BINARY).exists() {
        return true;
    }
    assert!(
        std::env::var_os("INTOTO_STUDIO_SKIP_REGISTRY").is_some(),
        "{BINARY} is missing (apt-get install docker-registry, as .ci/run does), or set \
         INTOTO_STUDIO_SKIP_REGISTRY=1"
    );
    false
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Registry {
    pub fn start() -> Registry {
        let tmp = tempfile::tempdir().unwrap();
        let storage = tmp.path().join("data");
        let port = free_port();
        let config = tmp.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
                 http:\n  addr: 127.0.0.1:{port}\n",
                storage.display()
            ),
        )
        .unwrap();
        let child = Command::new(BINARY)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let r = Registry {
            child,
            addr: format!("127.0.0.1:{port}"),
            storage,
            _tmp: tmp,
        };
        let start = Instant::now();
        while r.curl(&["-o", "/dev/null", "-w", "%{http_code}", &r.url("/v2/")]) != "200" {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the registry did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        r
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn curl(&self, args: &[&str]) -> String {
        let out = Command::new("curl").arg("-sS").args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// PUT `body` to `url`; returns the HTTP status.
    fn put(&self, url: &str, content_type: &str, body: &[u8]) -> String {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), body).unwrap();
        self.curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "PUT",
            "-H",
            &format!("Content-Type: {content_type}"),
            "--data-binary",
            &format!("@{}", file.path().display()),
            url,
        ])
    }

    /// Upload a blob to `repo`; returns its digest.
    pub fn put_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = format!("sha256:{}", sha256(bytes));
        let head = self.curl(&[
            "-i",
            "-X",
            "POST",
            &self.url(&format!("/v2/{repo}/blobs/uploads/")),
        ]);
        let location = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("location")
                    .then(|| v.trim().to_string())
            })
            .expect("an upload location");
        let location = if location.starts_with("http") {
            location
        } else {
            self.url(&location)
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        let code = self.put(
            &format!("{location}{sep}digest={digest}"),
            "application/octet-stream",
            bytes,
        );
        assert_eq!(code, "201", "blob upload");
        digest
    }

    /// Push a manifest's exact bytes to `repo` (its blobs must be there); returns the image
    /// reference by digest (`127.0.0.1:PORT/repo@sha256:…`).
    pub fn push_manifest(&self, repo: &str, manifest: &[u8]) -> String {
        let digest = format!("sha256:{}", sha256(manifest));
        let code = self.put(
            &self.url(&format!("/v2/{repo}/manifests/{digest}")),
            "application/vnd.oci.image.manifest.v1+json",
            manifest,
        );
        assert_eq!(code, "201", "manifest upload");
        format!("{}/{repo}@{digest}", self.addr)
    }

    /// Push a minimal OCI image (an empty config and one layer) to `repo`; returns the
    /// image reference by digest (`127.0.0.1:PORT/repo@sha256:…`).
    pub fn push_image(&self, repo: &str, layer: &[u8]) -> String {
        let config = self.put_blob(repo, b"{}");
        let layer_digest = self.put_blob(repo, layer);
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer.len()}],
        })
        .to_string();
        self.push_manifest(repo, manifest.as_bytes())
    }

    /// The raw bytes the registry serves for `repo`'s manifest `reference` (tag or digest).
    pub fn manifest(&self, repo: &str, reference: &str) -> String {
        self.curl(&[
            "-H", "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json",
            &self.url(&format!("/v2/{repo}/manifests/{reference}")),
        ])
    }

    /// The file in which the registry keeps a blob.
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.storage
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
