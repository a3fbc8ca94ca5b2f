//! Evidence in an OCI registry, with the maintained `oci-client`: pushed as an artifact whose
//! `subject` is the image manifest, found again through the referrers API, or, where the
//! registry has none (distribution 2.x), through the referrers tag schema (an index tagged
//! `sha256-<hex>` listing the artifacts), as distribution-spec v1.1 prescribes.
//!
//! Everything read from the registry is bounded (manifest and blob sizes, the number of
//! referrers, the time) and checked (each manifest's and blob's sha256, the subject, the
//! layer names): a registry that lies gives an error, never evidence.

use super::*;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use std::time::Duration;

/// The most referrers of an image looked at.
pub const MAX_REFERRERS: usize = 64;

const INDEX_TYPE: &str = "application/vnd.oci.image.index.v1+json";
const SUBJECT_TYPES: &[&str] = &[
    MANIFEST_TYPE,
    INDEX_TYPE,
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// How to reach the registry.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// HTTP instead of HTTPS (only when asked).
    pub plain_http: bool,
    pub auth: Auth,
    /// Extra CA certificates (PEM) to trust besides the system's roots.
    pub ca_pem: Option<Vec<u8>>,
    /// The whole operation's budget.
    pub timeout: Duration,
}

/// Registry credentials.
#[derive(Debug, Clone, Default)]
pub enum Auth {
    #[default]
    Anonymous,
    /// A user name and password: HTTP basic, or handed to the registry's token service
    /// when it asks for a bearer token.
    Basic(String, String),
    /// A registry token sent as it is (`registrytoken` of a Docker config).
    Bearer(String),
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            plain_http: false,
            auth: Auth::Anonymous,
            ca_pem: None,
            timeout: Duration::from_secs(60),
        }
    }
}

impl RegistryOptions {
    /// The options for reaching the registry of `image` (`REGISTRY/REPO@sha256:…`): the
    /// CA file and Docker `config.json` given, read here (their credentials for that
    /// registry, anonymous when it is not listed), within `timeout`.
    pub fn for_image(
        image: &str,
        plain_http: bool,
        ca: Option<&Path>,
        config: Option<&Path>,
        timeout: Duration,
    ) -> Result<RegistryOptions, String> {
        let read =
            |p: &Path| crate::fsutil::read_regular(p).map_err(|e| format!("{}: {e}", p.display()));
        let auth = match config {
            Some(p) => docker_config_auth(&read(p)?, &registry_of(image)?)
                .map_err(|e| format!("{}: {e}", p.display()))?,
            None => Auth::Anonymous,
        };
        Ok(RegistryOptions {
            plain_http,
            auth,
            ca_pem: ca.map(read).transpose()?,
            timeout,
        })
    }
}

/// Pull the evidence of `image` into a fresh private scratch folder, as `<scratch>/links`
/// (removed when the folder is dropped).
pub fn pull_to_scratch(
    image: &str,
    opts: &RegistryOptions,
) -> Result<(crate::fsutil::ScratchDir, Pulled), String> {
    let scratch = crate::fsutil::ScratchDir::new("intoto-studio-evidence")
        .map_err(|e| format!("no scratch folder for the evidence: {e}"))?;
    let pulled = pull(image, &scratch.path().join("links"), opts)?;
    Ok((scratch, pulled))
}

/// The credentials for `registry` in a Docker `config.json` (the format of a Kubernetes
/// `dockerconfigjson` pull secret): `auths.<registry>.auth` (base64 `user:password`) or
/// its `username` and `password`; anonymous when the registry is not listed.
pub fn docker_config_auth(config: &[u8], registry: &str) -> Result<Auth, String> {
    use base64::Engine as _;
    let v: serde_json::Value =
        serde_json::from_slice(config).map_err(|e| format!("not a Docker config.json: {e}"))?;
    let auths = &v["auths"];
    let entry = [
        registry.to_string(),
        format!("https://{registry}"),
        format!("http://{registry}"),
        format!("https://{registry}/v1/"),
    ]
    .iter()
    .find_map(|k| auths.get(k))
    .cloned();
    let Some(e) = entry else {
        return Ok(Auth::Anonymous);
    };
    if let Some(t) = e["registrytoken"].as_str() {
        return Ok(Auth::Bearer(t.into()));
    }
    if e.get("identitytoken").is_some() {
        return Err(format!(
            "auths.{registry}.identitytoken: OAuth identity tokens are not supported; give \
             a username and password or a registrytoken"
        ));
    }
    if let (Some(u), Some(p)) = (e["username"].as_str(), e["password"].as_str()) {
        return Ok(Auth::Basic(u.into(), p.into()));
    }
    let Some(a) = e["auth"].as_str() else {
        return Ok(Auth::Anonymous);
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(a.trim())
        .map_err(|e| format!("auths.{registry}.auth is not base64: {e}"))?;
    let text =
        String::from_utf8(decoded).map_err(|_| format!("auths.{registry}.auth is not UTF-8"))?;
    let (u, p) = text
        .split_once(':')
        .ok_or_else(|| format!("auths.{registry}.auth is not user:password"))?;
    Ok(Auth::Basic(u.into(), p.into()))
}

/// The digest (hex) of an image reference by digest, or why it is none.
pub fn check_image(image: &str) -> Result<String, String> {
    let r: Reference = image
        .parse()
        .map_err(|e| format!("{image}: not an image reference: {e}"))?;
    match r.digest().and_then(|d| d.strip_prefix("sha256:")) {
        Some(h) => Ok(check_hex(h)?.to_string()),
        None => Err(format!("{image}: name the image by digest (name@sha256:…)")),
    }
}

/// The registry host of an image reference (as a Docker config names it).
pub fn registry_of(image: &str) -> Result<String, String> {
    let r: Reference = image
        .parse()
        .map_err(|e| format!("{image}: not an image reference: {e}"))?;
    Ok(r.registry().to_string())
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The artifact manifest's digest (`sha256:…`).
    pub artifact: String,
    pub files: usize,
    /// Whether the referrers tag schema was written (the registry has no referrers API).
    pub tag_schema: bool,
}

/// What a pull found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    /// The evidence artifacts read (`sha256:…`).
    pub artifacts: Vec<String>,
    pub files: usize,
    /// "referrers API" or "referrers tag schema".
    pub via: &'static str,
}

struct Target {
    client: Client,
    auth: RegistryAuth,
    image: Reference,
    hex: String,
}

impl Target {
    fn new(image: &str, opts: &RegistryOptions) -> Result<Target, String> {
        let hex = check_image(image)?;
        let r: Reference = image
            .parse()
            .map_err(|e| format!("{image}: not an image reference: {e}"))?;
        let client = Client::new(ClientConfig {
            protocol: if opts.plain_http {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            connect_timeout: Some(Duration::from_secs(10)),
            read_timeout: Some(Duration::from_secs(30)),
            extra_root_certificates: opts
                .ca_pem
                .iter()
                .map(|pem| oci_client::client::Certificate {
                    encoding: oci_client::client::CertificateEncoding::Pem,
                    data: pem.clone(),
                })
                .collect(),
            ..Default::default()
        });
        let auth = match &opts.auth {
            Auth::Anonymous => RegistryAuth::Anonymous,
            Auth::Basic(u, p) => RegistryAuth::Basic(u.clone(), p.clone()),
            Auth::Bearer(t) => RegistryAuth::Bearer(t.clone()),
        };
        Ok(Target {
            client,
            auth,
            image: r,
            hex,
        })
    }

    /// Authenticate for `op` before the first request: the registry's challenge decides
    /// between basic and the bearer-token flow (oci-client keeps the token for the calls
    /// that take no credentials, such as the referrers API).
    async fn authenticate(&self, op: oci_client::RegistryOperation) -> Result<(), String> {
        self.client
            .auth(&self.image, &self.auth, op)
            .await
            .map(|_| ())
            .map_err(|e| format!("reaching {}: {}", self.image.registry(), why(&e)))
    }

    fn at_digest(&self, digest: &str) -> Reference {
        Reference::with_digest(
            self.image.registry().to_string(),
            self.image.repository().to_string(),
            digest.to_string(),
        )
    }

    fn tag_schema(&self) -> Reference {
        Reference::with_tag(
            self.image.registry().to_string(),
            self.image.repository().to_string(),
            format!("sha256-{}", self.hex),
        )
    }

    /// A manifest's bytes, bounded, whose sha256 must be `digest` when one is given.
    async fn manifest(&self, r: &Reference, types: &[&str]) -> Result<Vec<u8>, String> {
        let (bytes, _) = self
            .client
            .pull_manifest_raw(r, &self.auth, types)
            .await
            .map_err(|e| format!("{r}: {}", why(&e)))?;
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(format!("{r}: the manifest is larger than 4 MiB"));
        }
        if let Some(d) = r.digest()
            && format!("sha256:{}", sha256_hex(&bytes)) != d
        {
            return Err(format!(
                "{r}: the registry sent a manifest with another digest"
            ));
        }
        Ok(bytes.to_vec())
    }

    /// A blob's bytes, at most `size` (its descriptor's), checked against its digest.
    async fn blob(&self, digest: &str, size: u64) -> Result<Vec<u8>, String> {
        let layer = OciDescriptor {
            digest: digest.to_string(),
            size: size as i64,
            ..Default::default()
        };
        let mut out = Bounded {
            bytes: Vec::new(),
            limit: size as usize,
        };
        self.client
            .pull_blob(&self.at_digest(digest), &layer, &mut out)
            .await
            .map_err(|e| format!("blob {digest}: {}", why(&e)))?;
        if out.bytes.len() as u64 != size || format!("sha256:{}", sha256_hex(&out.bytes)) != digest
        {
            return Err(format!("blob {digest}: the registry sent other bytes"));
        }
        Ok(out.bytes)
    }
}

/// An error with its causes (`error sending request: … : invalid peer certificate: …`).
fn why(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

/// An `AsyncWrite` into memory that refuses to grow past its limit (a registry sending
/// more than a layer's declared size).
struct Bounded {
    bytes: Vec<u8>,
    limit: usize,
}

impl tokio::io::AsyncWrite for Bounded {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.bytes.len() + buf.len() > self.limit {
            return std::task::Poll::Ready(Err(std::io::Error::other(
                "more bytes than the descriptor's size",
            )));
        }
        self.bytes.extend_from_slice(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

fn block_on<T>(
    timeout: Duration,
    f: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        match tokio::time::timeout(timeout, f).await {
            Ok(r) => r,
            Err(_) => Err(format!(
                "the registry did not answer within {} s",
                timeout.as_secs()
            )),
        }
    })
}

/// Push the links of `link_dir` as the evidence artifact of `image` (`name@sha256:…`).
pub fn push(image: &str, link_dir: &Path, opts: &RegistryOptions) -> Result<Pushed, String> {
    let t = Target::new(image, opts)?;
    let files = collect(link_dir)?;
    block_on(opts.timeout, push_async(t, files))
}

async fn push_async(t: Target, files: Vec<EvidenceFile>) -> Result<Pushed, String> {
    t.authenticate(oci_client::RegistryOperation::Push).await?;
    let subject_bytes = t.manifest(&t.image, SUBJECT_TYPES).await?;
    let subject_type = serde_json::from_slice::<serde_json::Value>(&subject_bytes)
        .ok()
        .and_then(|v| v["mediaType"].as_str().map(String::from))
        .unwrap_or_else(|| MANIFEST_TYPE.to_string());
    let subject = serde_json::json!({
        "mediaType": subject_type,
        "digest": format!("sha256:{}", t.hex),
        "size": subject_bytes.len(),
    });
    let (manifest, digest) = artifact_manifest(&subject, &files);
    let empty: &[u8] = b"{}";
    let blobs = std::iter::once(empty).chain(files.iter().map(|f| f.bytes.as_slice()));
    for b in blobs {
        let d = format!("sha256:{}", sha256_hex(b));
        let r = t.at_digest(&d);
        let there = t.client.blob_exists(&r, &d).await.unwrap_or(false);
        if !there {
            t.client
                .push_blob(&r, b.to_vec(), &d)
                .await
                .map_err(|e| format!("pushing blob {d}: {}", why(&e)))?;
        }
    }
    let content_type = http::HeaderValue::from_static(MANIFEST_TYPE);
    t.client
        .push_manifest_raw(&t.at_digest(&digest), manifest.clone(), content_type)
        .await
        .map_err(|e| format!("pushing the artifact manifest: {}", why(&e)))?;
    // A registry with the referrers API lists the artifact by itself; else the tag schema.
    let has_api = t
        .client
        .pull_referrers(&t.image, Some(ARTIFACT_TYPE))
        .await
        .is_ok();
    if !has_api {
        let tag = t.tag_schema();
        let mut index = match t.manifest(&tag, &[INDEX_TYPE]).await {
            Ok(b) => serde_json::from_slice::<serde_json::Value>(&b)
                .map_err(|e| format!("{tag}: not an index: {e}"))?,
            Err(_) => serde_json::json!({
                "schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": [],
            }),
        };
        let Some(entries) = index["manifests"].as_array_mut() else {
            return Err(format!("{tag}: not an index"));
        };
        if !entries.iter().any(|e| e["digest"] == digest.as_str()) {
            entries.push(serde_json::json!({
                "mediaType": MANIFEST_TYPE,
                "digest": digest,
                "size": manifest.len(),
                "artifactType": ARTIFACT_TYPE,
            }));
            let content_type = http::HeaderValue::from_static(INDEX_TYPE);
            t.client
                .push_manifest_raw(&tag, index.to_string().into_bytes(), content_type)
                .await
                .map_err(|e| format!("pushing the referrers tag {tag}: {}", why(&e)))?;
        }
    }
    Ok(Pushed {
        artifact: digest,
        files: files.len(),
        tag_schema: !has_api,
    })
}

/// Fetch every evidence artifact that refers to `image` and write its links into `out`.
pub fn pull(image: &str, out: &Path, opts: &RegistryOptions) -> Result<Pulled, String> {
    let t = Target::new(image, opts)?;
    let (files, pulled) = block_on(opts.timeout, pull_async(t))?;
    write_link_dir(out, &files)?;
    Ok(pulled)
}

async fn pull_async(t: Target) -> Result<(Vec<EvidenceFile>, Pulled), String> {
    t.authenticate(oci_client::RegistryOperation::Pull).await?;
    let (digests, via) = match t.client.pull_referrers(&t.image, Some(ARTIFACT_TYPE)).await {
        Ok(index) => (
            index
                .manifests
                .into_iter()
                .map(|m| m.digest)
                .collect::<Vec<_>>(),
            "referrers API",
        ),
        Err(_) => {
            let tag = t.tag_schema();
            let bytes = t.manifest(&tag, &[INDEX_TYPE]).await.map_err(|e| {
                format!(
                    "no in-toto evidence refers to {}: the registry has no referrers API and \
                     no referrers tag ({e})",
                    t.image
                )
            })?;
            let v: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| format!("{tag}: not an index: {e}"))?;
            let digests = v["manifests"]
                .as_array()
                .ok_or_else(|| format!("{tag}: not an index"))?
                .iter()
                .filter(|e| e["artifactType"] == ARTIFACT_TYPE)
                .filter_map(|e| e["digest"].as_str().map(String::from))
                .collect();
            (digests, "referrers tag schema")
        }
    };
    if digests.len() > MAX_REFERRERS {
        return Err(format!("{}: more than {MAX_REFERRERS} referrers", t.image));
    }
    let mut files: Vec<EvidenceFile> = Vec::new();
    let mut artifacts = Vec::new();
    let mut total = 0u64;
    for d in digests {
        let bytes = t.manifest(&t.at_digest(&d), &[MANIFEST_TYPE]).await?;
        let m: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| format!("{d}: not a manifest: {e}"))?;
        if m["artifactType"] != ARTIFACT_TYPE {
            continue;
        }
        if m["subject"]["digest"] != format!("sha256:{}", t.hex).as_str() {
            return Err(format!("{d}: its subject is another image"));
        }
        for layer in m["layers"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            let (Some(ld), Some(size), Some(title)) = (
                layer["digest"].as_str(),
                layer["size"].as_u64(),
                layer["annotations"][TITLE].as_str(),
            ) else {
                return Err(format!("{d}: a layer without digest, size or title"));
            };
            if layer["mediaType"] != LINK_TYPE {
                return Err(format!(
                    "{d}: layer {title} is not a link ({})",
                    layer["mediaType"]
                ));
            }
            check_title(title)?;
            total += size;
            if size > MAX_FILE_BYTES || total > MAX_TOTAL_BYTES || files.len() >= MAX_FILES {
                return Err(format!(
                    "{d}: more evidence than the bounds allow (layer {title})"
                ));
            }
            let bytes = t.blob(ld, size).await?;
            match files.iter().find(|f| f.path == title) {
                Some(f) if f.bytes == bytes => {}
                Some(_) => return Err(format!("two evidence artifacts hold different {title}")),
                None => files.push(EvidenceFile {
                    path: title.to_string(),
                    bytes,
                }),
            }
        }
        artifacts.push(d);
    }
    if artifacts.is_empty() {
        return Err(format!("no in-toto evidence refers to {}", t.image));
    }
    let pulled = Pulled {
        files: files.len(),
        artifacts,
        via,
    };
    Ok((files, pulled))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_come_from_a_docker_config() {
        let config = br#"{"auths": {"registry.example": {"auth": "YWxpY2U6czNjcmV0"},
            "https://other.example": {"username": "bob", "password": "pw"}}}"#;
        let basic = |u: &str, p: &str| format!("{:?}", Auth::Basic(u.into(), p.into()));
        let got = |r: &str| format!("{:?}", docker_config_auth(config, r).unwrap());
        assert_eq!(got("registry.example"), basic("alice", "s3cret"));
        assert_eq!(got("other.example"), basic("bob", "pw"));
        assert_eq!(got("nowhere.example"), format!("{:?}", Auth::Anonymous));
        let tokens = br#"{"auths": {"t.example": {"registrytoken": "abc"},
            "i.example": {"identitytoken": "refresh"}}}"#;
        assert_eq!(
            format!("{:?}", docker_config_auth(tokens, "t.example").unwrap()),
            format!("{:?}", Auth::Bearer("abc".into()))
        );
        assert!(
            docker_config_auth(tokens, "i.example")
                .unwrap_err()
                .contains("not supported")
        );
        assert!(docker_config_auth(b"{", "r").is_err());
        assert!(docker_config_auth(br#"{"auths": {"r": {"auth": "!!"}}}"#, "r").is_err());
    }

    #[test]
    fn only_images_named_by_digest_are_targets() {
        let o = RegistryOptions::default();
        assert!(
            check_image("registry.example/app:1")
                .unwrap_err()
                .contains("by digest")
        );
        assert!(Target::new("registry.example/app:1", &o).is_err());
        let hex = "a".repeat(64);
        let Ok(t) = Target::new(&format!("127.0.0.1:5000/app@sha256:{hex}"), &o) else {
            panic!("a reference by digest is a target");
        };
        assert_eq!(t.tag_schema().tag(), Some(format!("sha256-{hex}").as_str()));
    }
}
