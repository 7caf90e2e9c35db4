//! The HTTP/2 side: one reqwest client over rustls (aws-lc-rs), ALPN `h2` only, whose pool keeps
//! one long-lived connection to APNs; one request per push; and the classification of what came
//! back (an APNs answer, or a transport failure such as GOAWAY or a stream reset).

use super::cert::ClientIdentity;
use super::jwt::TokenSigner;
use super::reason::{ErrorBody, goaway_reason, parse_error_body};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, HeaderMap, HeaderName, HeaderValue};
use rustls::pki_types::CertificateDer;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Why the client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("set up TLS: {0}")]
    Tls(String),
    #[error("set up the HTTP/2 client")]
    Http(#[source] reqwest::Error),
    #[error("{0}; pass the CA that signed the server's certificate")]
    Ca(#[source] crate::net::tls::PemCertsError),
    #[error("header `{0}` has a value that cannot be sent")]
    Header(String),
    #[error("`{0}` is not a usable APNs URL; pass https://HOST[:PORT]")]
    Url(String),
}

/// How requests are authenticated.
#[derive(Debug, Clone)]
pub(crate) enum Auth {
    /// Provider token (JWT), shared by all requests.
    Token(Arc<TokenSigner>),
    /// TLS client certificate (nothing per request).
    Certificate,
}

/// Read trust anchors for `--ca-cert` (a damaged PEM block is an error, as for `signal`).
pub(crate) fn read_ca(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    crate::net::tls::read_pem_certs(path).map_err(ClientError::Ca)
}

/// The HTTP/2 client and how many connections it has opened.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    connects: Arc<AtomicUsize>,
}

/// Counts the connections reqwest opens, as TLS handshakes. More than one means an earlier one
/// was closed — by a GOAWAY, a reset or an idle close — even when no request was in flight to see
/// it (reqwest keeps a GOAWAY that hits no request, and its reason, to itself).
///
/// It hooks rustls' key-log callback, which rustls calls once per secret of every handshake
/// (resumed ones included) and which costs nothing per request, unlike a layer on reqwest's
/// connector (that one is cloned and dropped with every request). It never asks for a secret
/// (`will_log` is false), and the TLS 1.2 path, which hands one over regardless, drops it unread.
#[derive(Debug)]
struct HandshakeCounter(Arc<AtomicUsize>);

impl rustls::KeyLog for HandshakeCounter {
    fn will_log(&self, label: &str) -> bool {
        // TLS 1.3: asked once per label per handshake; this label once per handshake.
        if label == "CLIENT_HANDSHAKE_TRAFFIC_SECRET" {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
        false
    }

    fn log(&self, label: &str, _client_random: &[u8], _secret: &[u8]) {
        // TLS 1.2 logs its master secret once per handshake without asking `will_log`.
        if label == "CLIENT_RANDOM" {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Build the HTTP/2 client. `ca` replaces the platform's trust store when not empty (a private
/// CA); verification is always on.
pub(crate) fn build_http(
    ca: &[CertificateDer<'static>],
    identity: Option<&ClientIdentity>,
) -> Result<Http, ClientError> {
    let connects = Arc::new(AtomicUsize::new(0));
    // APNs speaks HTTP/2 only: offer nothing else in ALPN.
    let mut tls = crate::net::tls::client_config(
        ca,
        identity.map(|id| (id.chain.clone(), id.key.clone_key())),
        &[b"h2"],
    )
    .map_err(|e| ClientError::Tls(e.to_string()))?;
    tls.key_log = Arc::new(HandshakeCounter(connects.clone()));
    let client = reqwest::Client::builder()
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
        .map_err(ClientError::Http)?;
    Ok(Http { client, connects })
}

/// Everything that is the same for every push of a run.
pub(crate) struct Apns {
    http: reqwest::Client,
    connects: Arc<AtomicUsize>,
    base: String,
    url: reqwest::Url,
    /// Path of `base` (usually empty), kept in front of `/3/device/…`.
    prefix: String,
    auth: Auth,
    headers: HeaderMap,
    payload: bytes::Bytes,
    timeout: Duration,
    /// The headers of every request with the `authorization` value of the signer's current
    /// token, rebuilt only when the token changes: every request shares its bytes.
    bearer: std::sync::Mutex<Option<(Arc<str>, HeaderMap)>>,
    /// Has the server ever answered a request of this run (then a closed connection is not a
    /// refused certificate)?
    answered: std::sync::atomic::AtomicBool,
    /// Has a failure of this run been read as the server refusing the client certificate?
    refused: std::sync::atomic::AtomicBool,
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
pub(crate) fn headers(pairs: &[(String, String)]) -> Result<HeaderMap, ClientError> {
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
pub(crate) enum Reply {
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
pub(crate) struct Transport {
    /// What kind.
    pub kind: TransportKind,
    /// Human text (no secrets: reqwest/h2/rustls messages name URLs and reasons only).
    pub message: String,
    /// Reason from the GOAWAY frame's debug data.
    pub goaway: Option<String>,
}

/// Kinds of transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransportKind {
    /// The server sent GOAWAY.
    GoAway,
    /// The stream was reset (RST_STREAM) or the connection reset/closed.
    Reset,
    /// Could not connect (refused, DNS, unreachable).
    Connect,
    /// TLS handshake failed (certificate, CA).
    Tls,
    /// With certificate auth, the server refused our client certificate: a fatal TLS alert about
    /// it, or the connection closed before anything was ever answered (how APNs refuses one).
    /// Every push of the run would hit it, so it is not retried.
    CertificateRefused,
    /// No answer within --timeout.
    Timeout,
    /// Anything else.
    Other,
}

impl Apns {
    /// A sender for one run.
    pub(crate) fn new(
        http: Http,
        base: String,
        auth: Auth,
        headers: HeaderMap,
        payload: Vec<u8>,
        timeout: Duration,
    ) -> Result<Self, ClientError> {
        let base = base.trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&base).map_err(|_| ClientError::Url(base.clone()))?;
        if url.cannot_be_a_base() || url.host().is_none() {
            return Err(ClientError::Url(base));
        }
        let prefix = url.path().trim_end_matches('/').to_string();
        // Complete from the start, so that nothing below us adds to each request's copy (and
        // grows it): hyper's `content-length` and reqwest's default `accept: */*`, which was
        // sent before as well.
        let mut headers = headers;
        headers
            .entry(CONTENT_LENGTH)
            .or_insert_with(|| HeaderValue::from(payload.len()));
        headers
            .entry(ACCEPT)
            .or_insert_with(|| HeaderValue::from_static("*/*"));
        Ok(Apns {
            http: http.client,
            connects: http.connects,
            base,
            url,
            prefix,
            auth,
            headers,
            payload: bytes::Bytes::from(payload),
            timeout,
            bearer: std::sync::Mutex::new(None),
            answered: std::sync::atomic::AtomicBool::new(false),
            refused: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// With certificate auth: the server never answered and refused (or closed on) the client
    /// certificate, so the errors already say what to check.
    pub(crate) fn certificate_refused(&self) -> bool {
        self.refused.load(Ordering::Relaxed) && !self.answered.load(Ordering::Relaxed)
    }

    /// Connections opened so far (1 when the first one lasted the whole run).
    pub(crate) fn connections(&self) -> usize {
        self.connects.load(Ordering::Relaxed)
    }

    /// The endpoint (no secrets).
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The token signer, with token auth.
    pub(crate) fn signer(&self) -> Option<&TokenSigner> {
        match &self.auth {
            Auth::Token(s) => Some(s),
            Auth::Certificate => None,
        }
    }

    /// The headers of one request: the constant ones, and with token auth the `authorization`
    /// value of the signer's current token.
    fn request_headers(&self) -> Result<HeaderMap, String> {
        let Auth::Token(signer) = &self.auth else {
            return Ok(self.headers.clone());
        };
        let bearer = signer.bearer().map_err(|e| e.to_string())?;
        let mut cache = self
            .bearer
            .lock()
            .map_err(|_| "build the authorization header".to_string())?;
        if let Some((b, h)) = cache.as_ref()
            && Arc::ptr_eq(b, &bearer)
        {
            return Ok(h.clone());
        }
        // Marked sensitive: HPACK sends it as "never indexed", so no intermediary keeps it in a
        // compression table (RFC 7541 §7.1.3). That costs nothing: h2 never puts an
        // `authorization` value in its dynamic table anyway (it follows nghttp2 there), so the
        // token is encoded in every request's header block either way.
        let mut v =
            HeaderValue::from_maybe_shared(bytes::Bytes::copy_from_slice(bearer.as_bytes()))
                .map_err(|_| "build the authorization header".to_string())?;
        v.set_sensitive(true);
        let mut h = self.headers.clone();
        h.insert(AUTHORIZATION, v);
        *cache = Some((bearer, h.clone()));
        Ok(h)
    }

    /// Sort a failed request; with certificate auth, say so when the server refused the
    /// certificate instead of passing on rustls' text.
    fn classify(&self, e: &reqwest::Error) -> Transport {
        let mut t = classify(e);
        if !matches!(self.auth, Auth::Certificate) {
            return t;
        }
        if let Some(alert) = certificate_alert(e) {
            t.kind = TransportKind::CertificateRefused;
            t.message = format!(
                "the server refused the client certificate in the TLS handshake (alert {alert}); {CHECK_CERTIFICATE}"
            );
        } else if t.kind == TransportKind::Reset && !self.answered.load(Ordering::Relaxed) {
            // APNs refuses a certificate by closing the connection without an alert (rustls:
            // "peer closed connection without sending TLS close_notify"). A connection that
            // closes before anything of this run was answered may still be a network hiccup,
            // so it stays retryable, but the message names the likelier cause.
            t.message = format!(
                "the server closed the connection before answering anything, as APNs does when \
                 it refused the client certificate; {CHECK_CERTIFICATE}"
            );
        } else {
            return t;
        }
        self.refused.store(true, Ordering::Relaxed);
        t
    }

    /// Send one push.
    pub(crate) async fn send(&self, token: &str) -> Reply {
        let mut url = self.url.clone();
        url.set_path(&format!("{}/3/device/{token}", self.prefix));
        let headers = match self.request_headers() {
            Ok(h) => h,
            Err(e) => return other(&e),
        };
        let mut req = reqwest::Request::new(reqwest::Method::POST, url);
        *req.headers_mut() = headers;
        *req.version_mut() = reqwest::Version::HTTP_2;
        *req.timeout_mut() = Some(self.timeout);
        *req.body_mut() = Some(self.payload.clone().into());
        let resp = match self.http.execute(req).await {
            Ok(r) => r,
            Err(e) => return Reply::Transport(self.classify(&e)),
        };
        self.answered.store(true, Ordering::Relaxed);
        let status = resp.status().as_u16();
        let h = resp.headers();
        let text = |name: &str| {
            h.get(name).and_then(|v| v.to_str().ok()).map(|s| {
                // Header values are visible ASCII: 100 bytes are 100 characters.
                s.get(..100).unwrap_or(s).to_string()
            })
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
                Err(e) => return Reply::Transport(self.classify(&e)),
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

/// The advice for a client certificate the server refused.
const CHECK_CERTIFICATE: &str = "check that --cert/--p12 is this app's Apple Push Notification service \
     certificate (not a code-signing one), that it has not expired or been revoked, and that it is \
     for this --env (a sandbox certificate is refused by production); with --apns-url, that the \
     server trusts its issuer";

/// TLS alerts a server sends when it will not take the client's certificate. `decrypt_error`
/// is among them: it is what a server sends when the certificate's or the handshake's signature
/// does not verify.
const CERTIFICATE_ALERTS: &[rustls::AlertDescription] = &[
    rustls::AlertDescription::BadCertificate,
    rustls::AlertDescription::UnsupportedCertificate,
    rustls::AlertDescription::CertificateRevoked,
    rustls::AlertDescription::CertificateExpired,
    rustls::AlertDescription::CertificateUnknown,
    rustls::AlertDescription::UnknownCA,
    rustls::AlertDescription::AccessDenied,
    rustls::AlertDescription::CertificateRequired,
    rustls::AlertDescription::DecryptError,
];

/// The TLS alert in this error chain that says the server would not take the client's
/// certificate. rustls' error reaches us as text inside an I/O error ("received fatal alert:
/// BadCertificate"), so the alert is read from the text.
fn certificate_alert(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur = Some(error);
    while let Some(e) = cur {
        let text = e.to_string();
        if let Some((_, alert)) = text.split_once("received fatal alert: ") {
            let alert = alert.split_whitespace().next().unwrap_or_default();
            if CERTIFICATE_ALERTS.iter().any(|a| format!("{a:?}") == alert) {
                return Some(alert.to_string());
            }
        }
        cur = e.source();
    }
    None
}

fn other(msg: &str) -> Reply {
    Reply::Transport(Transport {
        kind: TransportKind::Other,
        message: msg.to_string(),
        goaway: None,
    })
}

/// Sort a reqwest error into a transport kind, reading h2's GOAWAY/RST_STREAM details.
pub(crate) fn classify(e: &reqwest::Error) -> Transport {
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

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::KeyLog;

    #[test]
    fn certificate_alerts_are_read_from_rustls_text_and_others_are_not() {
        let io =
            |text: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, text.to_string());
        for alert in [
            "BadCertificate",
            "CertificateRevoked",
            "UnknownCA",
            "DecryptError",
        ] {
            let e = io(&format!("received fatal alert: {alert}"));
            assert_eq!(certificate_alert(&e).as_deref(), Some(alert));
        }
        for text in [
            "received fatal alert: HandshakeFailure",
            "received fatal alert: ProtocolVersion",
            "peer closed connection without sending TLS close_notify: https://docs.rs/rustls/",
            "connection closed",
        ] {
            assert_eq!(certificate_alert(&io(text)), None, "{text}");
        }
    }

    #[test]
    fn handshakes_are_counted_once_each_and_no_secret_is_asked_for() {
        let n = Arc::new(AtomicUsize::new(0));
        let counter = HandshakeCounter(n.clone());
        // TLS 1.3: rustls asks for each secret of the handshake; none is wanted.
        for label in [
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0",
            "SERVER_TRAFFIC_SECRET_0",
            "EXPORTER_SECRET",
        ] {
            assert!(!counter.will_log(label));
        }
        assert_eq!(n.load(Ordering::Relaxed), 1);
        // TLS 1.2 hands over its master secret without asking: counted, dropped.
        counter.log("CLIENT_RANDOM", &[0; 32], &[0; 48]);
        assert_eq!(n.load(Ordering::Relaxed), 2);
    }
}
