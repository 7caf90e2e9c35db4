//! A local APNs look-alike for tests and the benchmark: HTTP/2 over TLS (hyper + tokio-rustls)
//! on 127.0.0.1 with a generated CA. It checks what APNs checks — the JWT's ES256 signature and
//! claims (or the client certificate), the path, every apns-* header, the payload size — and
//! answers like APNs, or as told per device token: any reason, 429, 500, GOAWAY frames with a
//! reason in their debug data, slow replies and stream resets.
//!
//! Shared by `tests/push.rs` and the benchmark server (`benches/apns-bench`), which includes this
//! file by path; it depends only on crates from crates.io.

#![allow(dead_code)]

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;

/// What the server does when it cannot do as asked.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A failure the server can inject.
#[derive(Debug, Clone)]
pub enum Failure {
    /// Answer with this status and reason.
    Status(u16, String),
    /// Send GOAWAY (last stream 0) with `{"reason":…}` as debug data, then close.
    GoAway(String),
    /// Reset the stream (RST_STREAM INTERNAL_ERROR).
    Reset,
}

/// How to answer pushes to one device token.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// 200.
    Ok,
    /// Always fail like this.
    Always(Failure),
    /// Fail like this for the first n attempts, then 200.
    Flaky(usize, Failure),
    /// Wait, then 200.
    Slow(Duration),
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Require a client certificate signed by the CA (certificate auth) instead of a JWT.
    pub client_auth: bool,
    /// ES256 public key (SPKI PEM) that must have signed the JWT.
    pub jwt_public_pem: Option<String>,
    /// Expected JWT `kid`.
    pub key_id: String,
    /// Expected JWT `iss`.
    pub team_id: String,
    /// Topics that are accepted (empty: any).
    pub topics: Vec<String>,
    /// SETTINGS_MAX_CONCURRENT_STREAMS.
    pub max_concurrent_streams: u32,
    /// Per-token behaviour; others get `default`.
    pub behaviours: HashMap<String, Behaviour>,
    /// Behaviour for tokens not listed.
    pub default: Behaviour,
    /// Keep every request for inspection (turn off for the benchmark).
    pub record: bool,
    /// Send apns-unique-id (as the sandbox does).
    pub unique_id: bool,
    /// On the first connection, once this many answers have been written, send GOAWAY
    /// (NO_ERROR, last stream = the last one answered, `{"reason":…}`) and close: a graceful
    /// GOAWAY that hits no request in flight when the client sends one at a time.
    pub goaway_when_idle: Option<(usize, String)>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            client_auth: false,
            jwt_public_pem: None,
            key_id: "ABC123DEFG".into(),
            team_id: "TEAM123456".into(),
            topics: Vec::new(),
            max_concurrent_streams: 1000,
            behaviours: HashMap::new(),
            default: Behaviour::Ok,
            record: true,
            unique_id: true,
            goaway_when_idle: None,
        }
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Device token from the path.
    pub token: String,
    /// Headers (lowercase names), in order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// Answer status.
    pub status: u16,
    /// Answer reason.
    pub reason: Option<String>,
}

/// Counters and records.
#[derive(Debug, Default)]
pub struct Stats {
    /// TLS connections accepted.
    pub connections: AtomicUsize,
    /// Requests handled.
    pub requests: AtomicUsize,
    /// 200 answers.
    pub ok: AtomicUsize,
    /// Requests being handled now.
    pub in_flight: AtomicUsize,
    /// Most requests handled at once.
    pub peak_in_flight: AtomicUsize,
    /// Every request (when `record`).
    pub seen: Mutex<Vec<Seen>>,
    /// Distinct JWTs seen.
    pub jwts: Mutex<HashSet<String>>,
}

/// A generated CA and what it issued.
pub struct Pki {
    /// CA certificate, PEM.
    pub ca_pem: String,
    ca_params: CertificateParams,
    ca_key: KeyPair,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pki")
    }
}

/// An issued certificate.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Certificate PEM.
    pub cert_pem: String,
    /// Certificate DER.
    pub cert_der: Vec<u8>,
    /// PKCS#8 key PEM.
    pub key_pem: String,
    /// PKCS#8 key DER.
    pub key_der: Vec<u8>,
}

impl Issued {
    /// From PEM certificate and PKCS#8 key.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Issued, BoxError> {
        let cert = rustls_pemfile::certs(&mut cert_pem.as_bytes())
            .next()
            .ok_or("no certificate")??;
        let key = rustls_pemfile::pkcs8_private_keys(&mut key_pem.as_bytes())
            .next()
            .ok_or("no PKCS#8 key")??;
        Ok(Issued {
            cert_pem: cert_pem.to_string(),
            cert_der: cert.to_vec(),
            key_pem: key_pem.to_string(),
            key_der: key.secret_pkcs8_der().to_vec(),
        })
    }
}

/// Apple's push-certificate extensions for a test client certificate.
#[derive(Debug, Clone, Default)]
pub struct PushCertSpec {
    /// Subject UID (topic of single-topic certificates).
    pub uid: String,
    /// Development OID.
    pub development: bool,
    /// Production OID.
    pub production: bool,
    /// Topic extension entries.
    pub topics: Vec<String>,
}

fn der_utf8(s: &str) -> Vec<u8> {
    let mut v = vec![0x0c];
    der_len(&mut v, s.len());
    v.extend_from_slice(s.as_bytes());
    v
}
fn der_len(v: &mut Vec<u8>, n: usize) {
    if n < 0x80 {
        v.push(n as u8);
    } else if n < 0x100 {
        v.extend([0x81, n as u8]);
    } else {
        v.extend([0x82, (n >> 8) as u8, n as u8]);
    }
}
fn der_seq(parts: &[Vec<u8>]) -> Vec<u8> {
    let body = parts.concat();
    let mut v = vec![0x30];
    der_len(&mut v, body.len());
    v.extend(body);
    v
}

impl Pki {
    /// A new CA.
    pub fn new() -> Result<Pki, BoxError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::CommonName, "voipctl test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate()?;
        let ca = params.self_signed(&ca_key)?;
        Ok(Pki {
            ca_pem: ca.pem(),
            ca_params: params,
            ca_key,
        })
    }

    fn issue(&self, params: CertificateParams) -> Result<Issued, BoxError> {
        let key = KeyPair::generate()?;
        let issuer = Issuer::from_params(&self.ca_params, &self.ca_key);
        let cert = params.signed_by(&key, &issuer)?;
        Ok(Issued {
            cert_pem: cert.pem(),
            cert_der: cert.der().to_vec(),
            key_pem: key.serialize_pem(),
            key_der: key.serialize_der(),
        })
    }

    /// A server certificate for these names (IP addresses become IP SANs).
    pub fn server(&self, names: &[&str]) -> Result<Issued, BoxError> {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(names)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "apns test server");
        self.issue(params)
    }

    /// A client certificate with Apple's push extensions.
    pub fn push_client(&self, spec: &PushCertSpec) -> Result<Issued, BoxError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(
            DnType::CustomDnType(vec![0, 9, 2342, 19200300, 100, 1, 1]),
            spec.uid.clone(),
        );
        params
            .distinguished_name
            .push(DnType::CommonName, format!("VoIP Services: {}", spec.uid));
        let null = vec![0x05, 0x00];
        if spec.development {
            params
                .custom_extensions
                .push(CustomExtension::from_oid_content(
                    &[1, 2, 840, 113635, 100, 6, 3, 1],
                    null.clone(),
                ));
        }
        if spec.production {
            params
                .custom_extensions
                .push(CustomExtension::from_oid_content(
                    &[1, 2, 840, 113635, 100, 6, 3, 2],
                    null,
                ));
        }
        if !spec.topics.is_empty() {
            let mut parts = Vec::new();
            for t in &spec.topics {
                parts.push(der_utf8(t));
                let kind = if t.ends_with(".voip") { "voip" } else { "app" };
                parts.push(der_seq(&[der_utf8(kind)]));
            }
            params
                .custom_extensions
                .push(CustomExtension::from_oid_content(
                    &[1, 2, 840, 113635, 100, 6, 3, 6],
                    der_seq(&parts),
                ));
        }
        self.issue(params)
    }
}

/// A running server.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Counters and records.
    pub stats: Arc<Stats>,
    /// Stops accepting when dropped.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Server {
    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }
}

struct State {
    config: Config,
    stats: Arc<Stats>,
    attempts: Mutex<HashMap<String, usize>>,
    verified: Mutex<HashSet<String>>,
    decoding: Option<jsonwebtoken::DecodingKey>,
    next_id: AtomicUsize,
}

/// Start a server on `bind` (use 127.0.0.1:0) presenting `server_cert`, trusting the CA in
/// `ca_pem` for client certificates.
pub async fn start(
    ca_pem: &str,
    server_cert: &Issued,
    config: Config,
    bind: SocketAddr,
) -> Result<Server, BoxError> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = if config.client_auth {
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_pemfile::certs(&mut ca_pem.as_bytes()) {
            roots.add(c?)?;
        }
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()?;
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let mut tls = builder.with_single_cert(
        vec![CertificateDer::from(server_cert.cert_der.clone())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_cert.key_der.clone())),
    )?;
    tls.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let listener = TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let stats = Arc::new(Stats::default());
    let decoding = match &config.jwt_public_pem {
        Some(pem) => Some(jsonwebtoken::DecodingKey::from_ec_pem(pem.as_bytes())?),
        None => None,
    };
    let state = Arc::new(State {
        config,
        stats: stats.clone(),
        attempts: Mutex::new(HashMap::new()),
        verified: Mutex::new(HashSet::new()),
        decoding,
        next_id: AtomicUsize::new(1),
    });
    let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = &mut stop_rx => break,
            };
            let Ok((tcp, _)) = accepted else { continue };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let state = state.clone();
            let max_streams = state.config.max_concurrent_streams;
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let before = state.stats.connections.fetch_add(1, Ordering::SeqCst);
                let inject: Arc<Mutex<Option<Vec<u8>>>> = Arc::new(Mutex::new(None));
                let io = hyper_util::rt::TokioIo::new(Injector {
                    inner: tls,
                    inject: inject.clone(),
                    pending: Vec::new(),
                    header: Vec::new(),
                    remaining: 0,
                    dead: false,
                    when_idle: state
                        .config
                        .goaway_when_idle
                        .clone()
                        .filter(|_| before == 0),
                    answered: 0,
                    last_stream: 0,
                });
                let svc = hyper::service::service_fn(move |req| {
                    let state = state.clone();
                    let inject = inject.clone();
                    async move { handle(state, inject, req).await }
                });
                let _ =
                    hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .max_concurrent_streams(max_streams)
                        .serve_connection(io, svc)
                        .await;
            });
        }
    });
    Ok(Server {
        addr,
        stats,
        _stop: stop_tx,
    })
}

fn err(s: &str) -> std::io::Error {
    std::io::Error::other(s.to_string())
}

type Answer = Result<Response<Full<Bytes>>, std::io::Error>;

fn reply(status: u16, reason: Option<&str>, apns_id: &str, unique: Option<String>) -> Answer {
    let mut b = Response::builder()
        .status(status)
        .header("apns-id", apns_id);
    if let Some(u) = unique {
        b = b.header("apns-unique-id", u);
    }
    let body = match reason {
        Some(r) if status == 410 => format!(r#"{{"reason":"{r}","timestamp":1700000000000}}"#),
        Some(r) => format!(r#"{{"reason":"{r}"}}"#),
        None => String::new(),
    };
    b.body(Full::new(Bytes::from(body)))
        .map_err(std::io::Error::other)
}

fn goaway_frame(reason: &str) -> Vec<u8> {
    goaway_frame_after(0, reason)
}

/// GOAWAY (NO_ERROR) saying streams up to `last` were processed, with `{"reason":…}`.
fn goaway_frame_after(last: u32, reason: &str) -> Vec<u8> {
    let debug = format!(r#"{{"reason":"{reason}"}}"#);
    let len = 8 + debug.len();
    let mut f = vec![
        (len >> 16) as u8,
        (len >> 8) as u8,
        len as u8,
        0x7,
        0,
        0,
        0,
        0,
        0,
    ];
    f.extend(last.to_be_bytes()); // last stream processed (0: none)
    f.extend([0, 0, 0, 0]); // NO_ERROR
    f.extend(debug.as_bytes());
    f
}

struct InFlight<'a>(&'a Stats);
impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn is_uuid(s: &str) -> bool {
    let g: Vec<&str> = s.split('-').collect();
    g.len() == 5
        && g.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| {
            p.len() == n
                && p.chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Claims {
    iss: String,
    iat: u64,
}

/// Base64 as APNs reads JWTs: base64url without padding, and also standard base64 with padding
/// (which the `a2` crate sends and APNs accepts).
fn b64_lenient(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let t: String = s
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(t)
        .ok()
}

/// Check the ES256 signature over the header and claims *as sent*, and decode both.
fn verify_jwt(
    jwt: &str,
    key: &jsonwebtoken::DecodingKey,
) -> Option<(serde_json::Map<String, serde_json::Value>, Claims)> {
    use base64::Engine;
    let mut parts = jwt.split('.');
    let (h, c, sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header = serde_json::from_slice(&b64_lenient(h)?).ok()?;
    let claims = serde_json::from_slice(&b64_lenient(c)?).ok()?;
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b64_lenient(sig)?);
    let message = &jwt[..h.len() + 1 + c.len()];
    jsonwebtoken::crypto::verify(
        &sig,
        message.as_bytes(),
        key,
        jsonwebtoken::Algorithm::ES256,
    )
    .ok()
    .filter(|ok| *ok)?;
    Some((header, claims))
}

/// APNs' checks, in APNs' order. Returns (status, reason) of a rejection.
fn check(
    state: &State,
    method: &hyper::Method,
    h: &hyper::HeaderMap,
    token: &str,
    body: &[u8],
) -> Option<(u16, &'static str)> {
    if method != hyper::Method::POST {
        return Some((405, "MethodNotAllowed"));
    }
    if token.is_empty() {
        return Some((400, "MissingDeviceToken"));
    }
    if !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Some((400, "BadDeviceToken"));
    }
    for name in [
        "apns-push-type",
        "apns-topic",
        "apns-priority",
        "apns-expiration",
        "apns-id",
        "apns-collapse-id",
        "authorization",
    ] {
        if h.get_all(name).iter().count() > 1 {
            return Some((400, "DuplicateHeaders"));
        }
    }
    let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok());
    // Auth.
    if !state.config.client_auth {
        let Some(auth) = get("authorization") else {
            return Some((403, "MissingProviderToken"));
        };
        // The scheme is case-insensitive (a2 sends "Bearer").
        let Some(jwt) = auth
            .get(..7)
            .filter(|s| s.eq_ignore_ascii_case("bearer "))
            .map(|_| &auth[7..])
        else {
            return Some((403, "InvalidProviderToken"));
        };
        let known = state
            .verified
            .lock()
            .map(|v| v.contains(jwt))
            .unwrap_or(false);
        if !known {
            let Some(key) = &state.decoding else {
                return Some((403, "InvalidProviderToken"));
            };
            let Some((header, claims)) = verify_jwt(jwt, key) else {
                return Some((403, "InvalidProviderToken"));
            };
            if header.get("alg").and_then(|a| a.as_str()) != Some("ES256")
                || header.get("kid").and_then(|k| k.as_str()) != Some(state.config.key_id.as_str())
                || claims.iss != state.config.team_id
            {
                return Some((403, "InvalidProviderToken"));
            }
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            if claims.iat + 3600 < now || claims.iat > now + 60 {
                return Some((403, "ExpiredProviderToken"));
            }
            if let Ok(mut v) = state.verified.lock() {
                v.insert(jwt.to_string());
            }
            if let Ok(mut j) = state.stats.jwts.lock() {
                j.insert(jwt.to_string());
            }
        }
    } else if h.contains_key("authorization") {
        return Some((403, "InvalidProviderToken"));
    }
    // Headers.
    let push_type = get("apns-push-type").unwrap_or("alert");
    let known_types = [
        "alert",
        "background",
        "voip",
        "complication",
        "fileprovider",
        "mdm",
        "location",
        "liveactivity",
        "pushtotalk",
    ];
    if !known_types.contains(&push_type) {
        return Some((400, "InvalidPushType"));
    }
    let Some(topic) = get("apns-topic") else {
        return Some((400, "MissingTopic"));
    };
    if push_type == "voip" && !topic.ends_with(".voip") {
        return Some((400, "InvalidPushType"));
    }
    if !state.config.topics.is_empty() && !state.config.topics.iter().any(|t| t == topic) {
        return Some((400, "TopicDisallowed"));
    }
    if let Some(p) = get("apns-priority")
        && !matches!(p, "10" | "5" | "1")
    {
        return Some((400, "BadPriority"));
    }
    if let Some(e) = get("apns-expiration")
        && e.parse::<u64>().is_err()
    {
        return Some((400, "BadExpirationDate"));
    }
    if let Some(id) = get("apns-id")
        && !is_uuid(id)
    {
        return Some((400, "BadMessageId"));
    }
    if let Some(c) = get("apns-collapse-id")
        && c.len() > 64
    {
        return Some((400, "BadCollapseId"));
    }
    if body.is_empty() {
        return Some((400, "PayloadEmpty"));
    }
    let limit = if push_type == "voip" { 5120 } else { 4096 };
    if body.len() > limit {
        return Some((413, "PayloadTooLarge"));
    }
    None
}

async fn handle(
    state: Arc<State>,
    inject: Arc<Mutex<Option<Vec<u8>>>>,
    req: Request<Incoming>,
) -> Answer {
    let stats = &state.stats;
    stats.requests.fetch_add(1, Ordering::SeqCst);
    let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    stats.peak_in_flight.fetch_max(now, Ordering::SeqCst);
    let _guard = InFlight(stats);
    let path = req.uri().path().to_string();
    let token = match path.strip_prefix("/3/device/") {
        Some(t) => t.to_string(),
        None => {
            let id = format!("{:08x}-0000-4000-8000-000000000000", 0);
            return reply(404, Some("BadPath"), &id, None);
        }
    };
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let apns_id = req
        .headers()
        .get("apns-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| {
            let n = state.next_id.fetch_add(1, Ordering::Relaxed);
            format!("{n:08x}-0000-4000-8000-000000000001")
        });
    let unique = state.config.unique_id.then(|| {
        format!(
            "{:08x}-1111-4000-8000-000000000002",
            state.next_id.fetch_add(1, Ordering::Relaxed)
        )
    });
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    let verdict = check(&state, &parts.method, &parts.headers, &token, &body);
    let attempt = {
        let mut a = state.attempts.lock().map_err(|_| err("poisoned"))?;
        let n = a.entry(token.clone()).or_insert(0);
        *n += 1;
        *n
    };
    let behaviour = state
        .config
        .behaviours
        .get(&token)
        .cloned()
        .unwrap_or_else(|| state.config.default.clone());
    let mut outcome: (u16, Option<String>) = match verdict {
        Some((s, r)) => (s, Some(r.to_string())),
        None => (200, None),
    };
    if outcome.0 == 200 {
        let failure = match &behaviour {
            Behaviour::Ok => None,
            Behaviour::Always(f) => Some(f.clone()),
            Behaviour::Flaky(n, f) if attempt <= *n => Some(f.clone()),
            Behaviour::Flaky(..) => None,
            Behaviour::Slow(d) => {
                tokio::time::sleep(*d).await;
                None
            }
        };
        match failure {
            None => {}
            Some(Failure::Status(s, r)) => outcome = (s, Some(r)),
            Some(Failure::Reset) => return Err(err("reset by test server")),
            Some(Failure::GoAway(r)) => {
                if let Ok(mut i) = inject.lock() {
                    *i = Some(goaway_frame(&r));
                }
                outcome = (503, Some("Shutdown".into()));
            }
        }
    }
    if outcome.0 == 200 {
        stats.ok.fetch_add(1, Ordering::SeqCst);
    }
    if state.config.record
        && let Ok(mut seen) = stats.seen.lock()
    {
        seen.push(Seen {
            token,
            headers,
            body: body.to_vec(),
            status: outcome.0,
            reason: outcome.1.clone(),
        });
    }
    reply(outcome.0, outcome.1.as_deref(), &apns_id, unique)
}

/// Wraps the TLS stream so a handler can make the connection send a raw GOAWAY frame (with
/// debug data, which neither hyper nor h2 can send) at the next frame boundary, then close.
struct Injector<S> {
    inner: S,
    inject: Arc<Mutex<Option<Vec<u8>>>>,
    pending: Vec<u8>,
    header: Vec<u8>,
    remaining: usize,
    dead: bool,
    /// Graceful GOAWAY once this many answers are out (see `Config::goaway_when_idle`).
    when_idle: Option<(usize, String)>,
    /// Streams the server has ended (HEADERS or DATA with END_STREAM).
    answered: usize,
    last_stream: u32,
}

impl<S> Injector<S> {
    fn track(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.remaining > 0 {
                let n = self.remaining.min(data.len());
                self.remaining -= n;
                data = &data[n..];
            } else {
                let need = 9 - self.header.len();
                let n = need.min(data.len());
                self.header.extend_from_slice(&data[..n]);
                data = &data[n..];
                if self.header.len() == 9 {
                    let h = &self.header;
                    self.remaining =
                        ((h[0] as usize) << 16) | ((h[1] as usize) << 8) | h[2] as usize;
                    // DATA or HEADERS with END_STREAM: an answer is complete.
                    if h[3] <= 1 && h[4] & 1 == 1 {
                        self.answered += 1;
                        self.last_stream =
                            u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff;
                    }
                    self.header.clear();
                }
            }
        }
    }
    fn at_boundary(&self) -> bool {
        self.remaining == 0 && self.header.is_empty()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Injector<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.dead {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Injector<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        if this.dead {
            return Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()));
        }
        if this.pending.is_empty()
            && this.at_boundary()
            && let Ok(mut i) = this.inject.lock()
            && let Some(frame) = i.take()
        {
            this.pending = frame;
        }
        if !this.pending.is_empty() {
            while !this.pending.is_empty() {
                match Pin::new(&mut this.inner).poll_write(cx, &this.pending) {
                    Poll::Ready(Ok(n)) => {
                        this.pending.drain(..n);
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            let _ = Pin::new(&mut this.inner).poll_flush(cx);
            let _ = Pin::new(&mut this.inner).poll_shutdown(cx);
            this.dead = true;
            return Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()));
        }
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                this.track(&buf[..n]);
                if this.at_boundary()
                    && this
                        .when_idle
                        .as_ref()
                        .is_some_and(|(n, _)| this.answered >= *n)
                    && let Some((_, reason)) = this.when_idle.take()
                {
                    // Written on the next flush, right after the answers.
                    this.pending = goaway_frame_after(this.last_stream, &reason);
                }
                Poll::Ready(Ok(n))
            }
            other => other,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.dead {
            return Poll::Ready(Ok(()));
        }
        if !this.pending.is_empty() {
            if let Poll::Ready(Err(e)) = Pin::new(&mut this.inner).poll_flush(cx) {
                return Poll::Ready(Err(e));
            }
            while !this.pending.is_empty() {
                match Pin::new(&mut this.inner).poll_write(cx, &this.pending) {
                    Poll::Ready(Ok(n)) => {
                        this.pending.drain(..n);
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            let _ = Pin::new(&mut this.inner).poll_flush(cx);
            let _ = Pin::new(&mut this.inner).poll_shutdown(cx);
            this.dead = true;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
