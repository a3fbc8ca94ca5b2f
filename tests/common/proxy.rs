//! A registry front for the tests, in front of the real registry (`registry::Registry`):
//! it forwards every request, and can
//!
//! * answer the distribution-spec v1.1 **referrers API** (`GET /v2/<repo>/referrers/<digest>`)
//!   from the manifests with a `subject` pushed through it, as a v1.1 registry does (the
//!   Debian registry is 2.8 and has none), and
//! * **lie**: serve given bytes for given paths (a manifest declaring a huge layer, a
//!   referrers list without end), or a blob that never ends.
//!
//! One request per connection (`Connection: close`), HTTP/1.1 over plain TCP.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// What the front answers for a path (without its query) instead of the registry.
#[derive(Clone)]
pub enum Answer {
    /// 200 with this content type and body, and these extra headers.
    Bytes {
        content_type: String,
        body: Vec<u8>,
        headers: Vec<(String, String)>,
    },
    /// 200 with `Content-Length: declared` and bytes without end.
    Endless { declared: u64 },
}

#[derive(Default)]
struct State {
    /// Subject digest → descriptors of the manifests referring to it.
    referrers: HashMap<String, Vec<serde_json::Value>>,
    answers: HashMap<String, Answer>,
    referrers_api: bool,
}

pub struct Front {
    /// `127.0.0.1:PORT`
    pub addr: String,
    state: Arc<Mutex<State>>,
}

impl Front {
    /// A front for the registry at `backend` (`127.0.0.1:PORT`); `referrers_api`: whether it
    /// answers the referrers API.
    pub fn start(backend: &str, referrers_api: bool) -> Front {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let state = Arc::new(Mutex::new(State {
            referrers_api,
            ..State::default()
        }));
        let (backend, st) = (backend.to_string(), state.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (backend, st) = (backend.clone(), st.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &backend, &st);
                });
            }
        });
        Front { addr, state }
    }

    /// Answer `path` (e.g. `/v2/app/manifests/sha256:…`) with `a` from now on.
    pub fn answer(&self, path: &str, a: Answer) {
        self.state
            .lock()
            .unwrap()
            .answers
            .insert(path.to_string(), a);
    }

    /// `reference` (`127.0.0.1:REGISTRY/…`) as seen through the front.
    pub fn through(&self, reference: &str) -> String {
        let (_, rest) = reference.split_once('/').unwrap();
        format!("{}/{rest}", self.addr)
    }
}

const INDEX: &str = "application/vnd.oci.image.index.v1+json";

fn serve(client: TcpStream, backend: &str, st: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    let mut first = String::new();
    reader.read_line(&mut first)?;
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
            if !k.eq_ignore_ascii_case("connection") {
                headers.push(line);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let mut parts = first.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or_default().to_string(),
        parts.next().unwrap_or_default().to_string(),
    );
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));

    let answer = st.lock().unwrap().answers.get(path).cloned();
    if let Some(a) = answer {
        return write_answer(&mut client, &method, a);
    }
    if method == "GET" && path.contains("/referrers/") && st.lock().unwrap().referrers_api {
        let subject = path.rsplit_once("/referrers/").unwrap().1;
        let wanted = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("artifactType="))
            .map(|t| t.replace("%2F", "/").replace("%2B", "+"));
        let manifests: Vec<serde_json::Value> = st
            .lock()
            .unwrap()
            .referrers
            .get(subject)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|d| wanted.as_deref().is_none_or(|w| d["artifactType"] == w))
            .collect();
        let index =
            serde_json::json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests});
        let mut extra = Vec::new();
        if wanted.is_some() {
            extra.push(("OCI-Filters-Applied".into(), "artifactType".into()));
        }
        return write_answer(
            &mut client,
            &method,
            Answer::Bytes {
                content_type: INDEX.into(),
                body: index.to_string().into_bytes(),
                headers: extra,
            },
        );
    }

    // Forwarded as it is, one request per connection.
    let mut up = TcpStream::connect(backend)?;
    up.write_all(first.as_bytes())?;
    for h in &headers {
        up.write_all(h.as_bytes())?;
    }
    up.write_all(b"Connection: close\r\n\r\n")?;
    up.write_all(&body)?;
    let mut reply = Vec::new();
    up.read_to_end(&mut reply)?;
    if method == "PUT"
        && path.contains("/manifests/")
        && reply.starts_with(b"HTTP/1.1 201")
        && let Ok(m) = serde_json::from_slice::<serde_json::Value>(&body)
        && let Some(subject) = m["subject"]["digest"].as_str()
    {
        let digest = format!("sha256:{}", super::registry::sha256(&body));
        let d = serde_json::json!({
            "mediaType": m["mediaType"], "digest": digest, "size": body.len(),
            "artifactType": m["artifactType"],
        });
        let mut s = st.lock().unwrap();
        let list = s.referrers.entry(subject.to_string()).or_default();
        if !list.iter().any(|e| e["digest"] == d["digest"]) {
            list.push(d);
        }
    }
    client.write_all(&reply)
}

fn write_answer(client: &mut TcpStream, method: &str, a: Answer) -> std::io::Result<()> {
    match a {
        Answer::Bytes {
            content_type,
            body,
            headers,
        } => {
            let mut head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
                 Docker-Content-Digest: sha256:{}\r\nConnection: close\r\n",
                body.len(),
                super::registry::sha256(&body)
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            client.write_all(head.as_bytes())?;
            if method != "HEAD" {
                client.write_all(&body)?;
            }
            Ok(())
        }
        Answer::Endless { declared } => {
            client.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
                     Content-Length: {declared}\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            )?;
            let chunk = vec![b'x'; 64 << 10];
            loop {
                client.write_all(&chunk)?;
            }
        }
    }
}
