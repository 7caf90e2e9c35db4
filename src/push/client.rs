//! The HTTP/2 side: one reqwest client over rustls (aws-lc-rs), ALPN `h2` only, whose pool keeps
//! one long-lived connection to APNs; one request per push; and the classification of what came
//! back (an APNs answer, or a transport failure such as GOAWAY or a stream reset).

use super::cert::ClientIdentity;
use super::jwt::TokenSigner;
use super::reason::{ErrorBody, goaway_reason, parse_error_body};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use rustls::pki_types::CertificateDer;
use std::sync::Arc;
use std::time::Duration;

/// Why the client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("could not set up TLS: {0}")]
    Tls(String),
    #[error("could not set up the HTTP/2 client")]
    Http(#[source] reqwest::Error),
    #[error(
        "{path} holds no PEM certificate to trust; pass the CA that signed the server's certificate"
    )]
    NoCa { path: String },
    #[error("could not read {path}")]
    ReadCa {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("header `{0}` has a value that cannot be sent")]
    Header(String),
}

/// How requests are authenticated.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Provider token (JWT), shared by all requests.
    Token(Arc<TokenSigner>),
    /// TLS client certificate (nothing per request).
    Certificate,
}

/// Read trust anchors for `--ca-cert`.
pub fn read_ca(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let bytes = std::fs::read(path).map_err(|source| ClientError::ReadCa {
        path: path.display().to_string(),
        source,
    })?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut &bytes[..])
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(ClientError::NoCa {
            path: path.display().to_string(),
        });
    }
    Ok(certs)
}

/// Build the HTTP/2 client. `ca` replaces the platform's trust store when not empty (a private
/// CA); verification is always on.
pub fn build_http(
    ca: &[CertificateDer<'static>],
    identity: Option<&ClientIdentity>,
) -> Result<reqwest::Client, ClientError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Tls(e.to_string()))?;
    let builder = if ca.is_empty() {
        use rustls_platform_verifier::BuilderVerifierExt;
        builder
            .with_platform_verifier()
            .map_err(|e| ClientError::Tls(e.to_string()))?
    } else {
        let mut roots = rustls::RootCertStore::empty();
        for c in ca {
            roots
                .add(c.clone())
                .map_err(|e| ClientError::Tls(format!("bad CA certificate: {e}")))?;
        }
        builder.with_root_certificates(roots)
    };
    let mut tls = match identity {
        Some(id) => builder
            .with_client_auth_cert(id.chain.clone(), id.key.clone_key())
            // rustls' message names the problem (key does not match the certificate…), never the key.
            .map_err(|e| ClientError::Tls(format!("the client certificate cannot be used: {e}")))?,
        None => builder.with_no_client_auth(),
    };
    // APNs speaks HTTP/2 only: offer nothing else in ALPN.
    tls.alpn_protocols = vec![b"h2".to_vec()];
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .pool_max_idle_per_host(1)
        .pool_idle_timeout(None)
        .connect_timeout(Duration::from_secs(15))
        .http2_keep_alive_interval(Some(Duration::from_secs(60)))
        .http2_keep_alive_while_idle(true)
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        // Retries are ours (send.rs): they must see GOAWAY reasons and respect permanent ones.
        .retry(reqwest::retry::never())
        .build()
        .map_err(ClientError::Http)
}

/// Everything that is the same for every push of a run.
pub struct Apns {
    http: reqwest::Client,
    base: String,
    auth: Auth,
    headers: HeaderMap,
    payload: bytes::Bytes,
    timeout: Duration,
}

impl std::fmt::Debug for Apns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Apns")
            .field("base", &self.base)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

/// Build the constant headers.
pub fn headers(pairs: &[(String, String)]) -> Result<HeaderMap, ClientError> {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        let name =
            HeaderName::from_bytes(k.as_bytes()).map_err(|_| ClientError::Header(k.clone()))?;
        let value = HeaderValue::from_str(v).map_err(|_| ClientError::Header(k.clone()))?;
        map.insert(name, value);
    }
    Ok(map)
}

/// What one request ended with.
#[derive(Debug, Clone)]
pub enum Reply {
    /// APNs answered.
    Answer {
        status: u16,
        apns_id: Option<String>,
        apns_unique_id: Option<String>,
        body: ErrorBody,
        retry_after: Option<Duration>,
    },
    /// The request did not get an answer.
    Transport(Transport),
}

/// A failure below HTTP.
#[derive(Debug, Clone)]
pub struct Transport {
    /// What kind.
    pub kind: TransportKind,
    /// Human text (no secrets: reqwest/h2/rustls messages name URLs and reasons only).
    pub message: String,
    /// Reason from the GOAWAY frame's debug data.
    pub goaway: Option<String>,
}

/// Kinds of transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// The server sent GOAWAY.
    GoAway,
    /// The stream was reset (RST_STREAM) or the connection reset/closed.
    Reset,
    /// Could not connect (refused, DNS, unreachable).
    Connect,
    /// TLS handshake failed (certificate, CA, client certificate).
    Tls,
    /// No answer within --timeout.
    Timeout,
    /// Anything else.
    Other,
}

impl Apns {
    /// A sender for one run.
    pub fn new(
        http: reqwest::Client,
        base: String,
        auth: Auth,
        headers: HeaderMap,
        payload: Vec<u8>,
        timeout: Duration,
    ) -> Self {
        Apns {
            http,
            base: base.trim_end_matches('/').to_string(),
            auth,
            headers,
            payload: bytes::Bytes::from(payload),
            timeout,
        }
    }

    /// The endpoint (no secrets).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The token signer, with token auth.
    pub fn signer(&self) -> Option<&TokenSigner> {
        match &self.auth {
            Auth::Token(s) => Some(s),
            Auth::Certificate => None,
        }
    }

    /// Send one push.
    pub async fn send(&self, token: &str) -> Reply {
        let url = format!("{}/3/device/{token}", self.base);
        let mut rb = self
            .http
            .post(url)
            .version(reqwest::Version::HTTP_2)
            .headers(self.headers.clone())
            .timeout(self.timeout)
            .body(self.payload.clone());
        if let Auth::Token(signer) = &self.auth {
            match signer.bearer() {
                Ok(b) => match HeaderValue::from_str(&b) {
                    Ok(mut v) => {
                        v.set_sensitive(true);
                        rb = rb.header(AUTHORIZATION, v);
                    }
                    Err(_) => return other("could not build the authorization header"),
                },
                Err(e) => return other(&e.to_string()),
            }
        }
        let resp = match rb.send().await {
            Ok(r) => r,
            Err(e) => return Reply::Transport(classify(&e)),
        };
        let status = resp.status().as_u16();
        let h = resp.headers();
        let text = |name: &str| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(100).collect::<String>())
        };
        let apns_id = text("apns-id");
        let apns_unique_id = text("apns-unique-id");
        let retry_after = text("retry-after")
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(60)));
        let body = if status == 200 {
            ErrorBody::default()
        } else {
            match resp.bytes().await {
                Ok(b) => parse_error_body(&b[..b.len().min(16 * 1024)]),
                Err(e) => return Reply::Transport(classify(&e)),
            }
        };
        Reply::Answer {
            status,
            apns_id,
            apns_unique_id,
            body,
            retry_after,
        }
    }
}

fn other(msg: &str) -> Reply {
    Reply::Transport(Transport {
        kind: TransportKind::Other,
        message: msg.to_string(),
        goaway: None,
    })
}

/// Sort a reqwest error into a transport kind, reading h2's GOAWAY/RST_STREAM details.
pub fn classify(e: &reqwest::Error) -> Transport {
    use std::error::Error as _;
    let mut kind = if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_connect() {
        TransportKind::Connect
    } else {
        TransportKind::Other
    };
    let mut goaway = None;
    let mut deepest = e.to_string();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(s) = cur {
        if let Some(h2e) = s.downcast_ref::<h2::Error>() {
            if h2e.is_go_away() {
                kind = TransportKind::GoAway;
                goaway = goaway_reason(&h2e.to_string());
            } else if h2e.is_reset() || (h2e.is_io() && kind == TransportKind::Other) {
                kind = TransportKind::Reset;
            }
        } else if s.downcast_ref::<rustls::Error>().is_some() {
            kind = TransportKind::Tls;
        } else if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            if matches!(
                io.kind(),
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof
            ) && kind == TransportKind::Other
            {
                kind = TransportKind::Reset;
            }
            if io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
            {
                kind = TransportKind::Tls;
            }
        }
        let text = s.to_string();
        if kind == TransportKind::Other && text.contains("connection closed") {
            kind = TransportKind::Reset;
        }
        deepest = text;
        cur = s.source();
    }
    if kind == TransportKind::Connect && deepest.to_ascii_lowercase().contains("certificate") {
        kind = TransportKind::Tls;
    }
    let message = match kind {
        TransportKind::Timeout => "no answer in time (--timeout)".to_string(),
        _ => deepest,
    };
    Transport {
        kind,
        message: message.chars().take(400).collect(),
        goaway,
    }
}
