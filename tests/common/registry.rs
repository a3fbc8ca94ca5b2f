//! A real OCI registry for the tests: Debian's `docker-registry` (the CNCF distribution
//! registry 2.8, which has no referrers API), started on 127.0.0.1 with a throwaway config
//! and storage, and images pushed to it with curl over the distribution API. It runs over
//! plain HTTP, or over TLS with basic auth (an htpasswd file) or with the bearer-token flow
//! (a token service run by the test, whose tokens the registry checks against its
//! certificate).
//!
//! `.ci/run` installs it; set `INTOTO_STUDIO_SKIP_REGISTRY=1` to skip these tests where it
//! is missing (`.ci/run` never skips).

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const BINARY: &str = "/usr/bin/docker-registry";

/// How clients must reach the registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// Plain HTTP, anonymous.
    Open,
    /// TLS (the certificate is `Registry::ca`) and HTTP basic auth.
    Basic { user: String, password: String },
    /// TLS and bearer tokens from a token service that takes the user and password.
    Token { user: String, password: String },
}

pub struct Registry {
    /// `None` for the registry `.ci/run` started.
    child: Option<Child>,
    /// `127.0.0.1:PORT`
    pub addr: String,
    /// Its storage folder (blobs under `docker/registry/v2/blobs/sha256/`); `None` for the
    /// registry `.ci/run` started.
    storage: Option<PathBuf>,
    /// Put before every repository name: the test's own corner of a shared registry.
    prefix: String,
    /// The registry's certificate, to trust (TLS only).
    pub ca: Option<PathBuf>,
    pub access: Access,
    /// The token service (token access only).
    tokens: Option<TokenService>,
    _tmp: Option<tempfile::TempDir>,
}

impl Drop for Registry {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The environment variable by which `.ci/run` names the registry it started
/// (`127.0.0.1:PORT`).
pub const SHARED: &str = "INTOTO_STUDIO_REGISTRY";

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

const SERVICE: &str = "intoto-studio-test-registry";
const ISSUER: &str = "intoto-studio-test-tokens";

impl Registry {
    /// An open registry over plain HTTP: the one `.ci/run` started (`$INTOTO_STUDIO_REGISTRY`),
    /// with repositories of this call's own, else one of our own.
    pub fn start() -> Registry {
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        let Ok(addr) = std::env::var(SHARED) else {
            return Registry::start_with(Access::Open);
        };
        let n = CALLS.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let r = Registry {
            child: None,
            addr,
            storage: None,
            prefix: format!("t{}-{n}-{nanos}/", std::process::id()),
            ca: None,
            access: Access::Open,
            tokens: None,
            _tmp: None,
        };
        let code = r.curl(&["-o", "/dev/null", "-w", "%{http_code}", &r.url("/v2/")]);
        assert_eq!(code, "200", "the registry {SHARED} names does not answer");
        r
    }

    /// An open registry of our own, whose storage the test may alter.
    pub fn start_own() -> Registry {
        Registry::start_with(Access::Open)
    }

    /// `name` as this registry's test keeps it (under its own prefix on a shared registry).
    pub fn repo(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    pub fn start_with(access: Access) -> Registry {
        let tmp = tempfile::tempdir().unwrap();
        let storage = tmp.path().join("data");
        let port = free_port();
        let config = tmp.path().join("config.yml");
        let mut yaml = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: 127.0.0.1:{port}\n",
            storage.display()
        );
        let mut ca = None;
        let mut tokens = None;
        if access != Access::Open {
            let (cert, key) = super::server::certificate_named(tmp.path(), "registry");
            yaml.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                cert.display(),
                key.display()
            ));
            ca = Some(cert);
        }
        match &access {
            Access::Open => {}
            Access::Basic { user, password } => {
                let file = tmp.path().join("htpasswd");
                let hash = bcrypt::hash(password, 4).unwrap();
                std::fs::write(&file, format!("{user}:{hash}\n")).unwrap();
                yaml.push_str(&format!(
                    "auth:\n  htpasswd:\n    realm: test\n    path: {}\n",
                    file.display()
                ));
            }
            Access::Token { user, password } => {
                let t = TokenService::start(tmp.path(), user, password);
                yaml.push_str(&format!(
                    "auth:\n  token:\n    realm: http://{}/token\n    service: {SERVICE}\n\
                     \x20   issuer: {ISSUER}\n    rootcertbundle: {}\n",
                    t.addr,
                    t.cert.display()
                ));
                tokens = Some(t);
            }
        }
        std::fs::write(&config, yaml).unwrap();
        let child = Command::new(BINARY)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let r = Registry {
            child: Some(child),
            addr: format!("127.0.0.1:{port}"),
            storage: Some(storage),
            prefix: String::new(),
            ca,
            access,
            tokens,
            _tmp: Some(tmp),
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

    /// How many tokens the token service has issued.
    pub fn tokens_issued(&self) -> usize {
        self.tokens
            .as_ref()
            .map_or(0, |t| t.issued.load(Ordering::SeqCst))
    }

    pub fn url(&self, path: &str) -> String {
        let scheme = if self.ca.is_some() { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }

    /// curl with what the registry wants: its certificate trusted, the credentials (a token
    /// for every repository action, straight from the token service).
    fn curl(&self, args: &[&str]) -> String {
        let mut c = Command::new("curl");
        c.arg("-sS");
        if let Some(ca) = &self.ca {
            c.arg("--cacert").arg(ca);
        }
        match &self.access {
            Access::Open => {}
            Access::Basic { user, password } => {
                c.arg("-u").arg(format!("{user}:{password}"));
            }
            Access::Token { .. } => {
                let t = self.tokens.as_ref().unwrap();
                let scopes: Vec<String> = args
                    .iter()
                    .filter_map(|a| a.split_once("/v2/").map(|(_, p)| p))
                    .filter_map(|p| {
                        ["/blobs/", "/manifests/"]
                            .iter()
                            .find_map(|m| p.split_once(m).map(|(repo, _)| repo.to_string()))
                    })
                    .map(|repo| format!("repository:{repo}:pull,push"))
                    .collect();
                c.arg("-H")
                    .arg(format!("Authorization: Bearer {}", t.mint(&scopes)));
            }
        }
        let out = c.args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A Docker `config.json` in `dir` with `entry` as this registry's `auths` entry.
    pub fn docker_config(&self, dir: &Path, entry: serde_json::Value) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let p = dir.join("config.json");
        let v = serde_json::json!({"auths": {self.addr.clone(): entry}});
        std::fs::write(&p, v.to_string()).unwrap();
        p
    }

    /// A registry token for `repo` (pull only), as a Docker config's `registrytoken`.
    pub fn pull_token(&self, repo: &str) -> String {
        let repo = self.repo(repo);
        self.tokens
            .as_ref()
            .expect("a registry with token access")
            .mint(&[format!("repository:{repo}:pull")])
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
        let repo = self.repo(repo);
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
        let repo = self.repo(repo);
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
        let repo = self.repo(repo);
        self.curl(&[
            "-H", "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json",
            &self.url(&format!("/v2/{repo}/manifests/{reference}")),
        ])
    }

    /// The file in which the registry keeps a blob.
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.storage
            .as_ref()
            .expect("a registry of the test's own (Registry::start_own)")
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

/// The token service of a registry with token access: `GET /token?scope=…&service=…` with
/// the right basic credentials gets a JWT (ES256, its certificate in `x5c`, which the
/// registry trusts) granting the scopes asked for; anything else gets 401.
struct TokenService {
    addr: String,
    cert: PathBuf,
    key: Arc<rcgen::KeyPair>,
    cert_der: Arc<Vec<u8>>,
    issued: Arc<AtomicUsize>,
}

impl TokenService {
    fn start(dir: &Path, user: &str, password: &str) -> TokenService {
        use base64::Engine as _;
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["tokens".to_string()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        let cert_file = dir.join("tokens.pem");
        std::fs::write(&cert_file, cert.pem()).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let t = TokenService {
            addr: listener.local_addr().unwrap().to_string(),
            cert: cert_file,
            key: Arc::new(key),
            cert_der: Arc::new(cert.der().to_vec()),
            issued: Arc::new(AtomicUsize::new(0)),
        };
        let want = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        let (key, der, issued) = (t.key.clone(), t.cert_der.clone(), t.issued.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    continue;
                }
                let mut authorized = false;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':')
                        && k.eq_ignore_ascii_case("authorization")
                        && v.trim() == want
                    {
                        authorized = true;
                    }
                }
                let target = first.split_whitespace().nth(1).unwrap_or_default();
                let scopes: Vec<String> = target
                    .split_once('?')
                    .map(|(_, q)| q)
                    .unwrap_or_default()
                    .split('&')
                    .filter_map(|kv| kv.strip_prefix("scope="))
                    .map(|v| {
                        v.replace("%3A", ":")
                            .replace("%2C", ",")
                            .replace("%2F", "/")
                    })
                    .collect();
                let reply = if authorized {
                    issued.fetch_add(1, Ordering::SeqCst);
                    let token = mint(&key, &der, &scopes);
                    let body = serde_json::json!({"token": token, "expires_in": 3600}).to_string();
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                } else {
                    "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_string()
                };
                let _ = stream.write_all(reply.as_bytes());
            }
        });
        t
    }

    fn mint(&self, scopes: &[String]) -> String {
        mint(&self.key, &self.cert_der, scopes)
    }
}

/// A JWT the registry accepts: ES256 over `header.claims`, the signer's certificate in
/// `x5c`, `access` as the scopes (`repository:NAME:ACTIONS`) say; valid for an hour of the
/// registry's (real) clock.
fn mint(key: &rcgen::KeyPair, cert_der: &[u8], scopes: &[String]) -> String {
    use base64::Engine as _;
    use p256::ecdsa::signature::Signer as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let access: Vec<serde_json::Value> = scopes
        .iter()
        .filter_map(|s| {
            let mut parts = s.splitn(3, ':');
            let (t, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
            Some(serde_json::json!({"type": t, "name": name, "actions": actions.split(',').collect::<Vec<_>>()}))
        })
        .collect();
    let header = serde_json::json!({
        "typ": "JWT", "alg": "ES256",
        "x5c": [base64::engine::general_purpose::STANDARD.encode(cert_der)],
    });
    let claims = serde_json::json!({
        "iss": ISSUER, "sub": "tester", "aud": SERVICE,
        "exp": now + 3600, "nbf": now - 60, "iat": now - 60,
        "jti": format!("{now}-{}", access.len()),
        "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let sk = <p256::ecdsa::SigningKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_der(
        &key.serialize_der(),
    )
    .unwrap();
    let sig: p256::ecdsa::Signature = sk.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", b64(&sig.to_bytes()))
}
