//! The simulator's APNs look-alike: HTTP/2 over TLS on loopback with a generated CA (give its
//! PEM to `push`/`probe` with `--ca-cert`). It answers as APNs documents: `POST
//! /3/device/<token>` with an `apns-topic`, an `apns-id` in every answer, 400
//! `BadDeviceToken` for a token no simulated phone has, 400 `DeviceTokenNotForTopic` when the
//! topic is not the phone's app's, 413 `PayloadTooLarge` over 5 KiB. A push it accepts is a
//! trigger for that phone's `[device.react]` script ([`super::react`]).
//!
//! It checks the request's shape, not its credentials: token auth only, and any bearer token is
//! accepted (the signature checks of real APNs are tested against `tests/support/apns_server.rs`).

use super::SimState;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The largest VoIP payload APNs accepts.
const MAX_PAYLOAD: usize = 5120;

/// The look-alike's CA and server certificate.
#[derive(Debug)]
pub(crate) struct ApnsPki {
    /// The CA to trust (PEM).
    pub(crate) ca_pem: String,
    pub(crate) server: Arc<rustls::ServerConfig>,
}

/// Make a CA and a certificate for `localhost` / `127.0.0.1` / `::1`, signed by it.
pub(crate) fn pki() -> Result<ApnsPki, String> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let e = |e: rcgen::Error| e.to_string();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "voipctl sim APNs CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let ca_key = KeyPair::generate().map_err(e)?;
    let ca = ca_params.self_signed(&ca_key).map_err(e)?;
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let mut params = CertificateParams::new(vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ])
    .map_err(e)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "voipctl sim APNs");
    let key = KeyPair::generate().map_err(e)?;
    let cert = params.signed_by(&key, &issuer).map_err(e)?;
    let provider = crate::net::tls::provider();
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
                key.serialize_der(),
            )),
        )
        .map_err(|e| e.to_string())?;
    server.alpn_protocols = vec![b"h2".to_vec()];
    Ok(ApnsPki {
        ca_pem: ca.pem(),
        server: Arc::new(server),
    })
}

/// Serve on `listener` until the simulator stops.
pub(crate) async fn serve(
    state: Arc<SimState>,
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let mut stop = state.stop.subscribe();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.wait_for(|s| *s) => return,
        };
        let Ok((tcp, _)) = accepted else { continue };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let state = state.clone();
        let mut stop = state.stop.subscribe();
        tokio::spawn(async move {
            tokio::select! {
                _ = connection(state.clone(), acceptor, tcp) => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        });
    }
}

async fn connection(
    state: Arc<SimState>,
    acceptor: tokio_rustls::TlsAcceptor,
    tcp: tokio::net::TcpStream,
) {
    let Ok(tls) = acceptor.accept(tcp).await else {
        return;
    };
    let Ok(mut conn) = h2::server::Builder::new()
        .max_concurrent_streams(1000)
        .handshake::<_, bytes::Bytes>(tls)
        .await
    else {
        return;
    };
    while let Some(Ok((req, respond))) = conn.accept().await {
        let state = state.clone();
        tokio::spawn(async move {
            let _ = request(state, req, respond).await;
        });
    }
}

fn header<'a>(h: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn request(
    state: Arc<SimState>,
    req: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<bytes::Bytes>,
) -> Result<(), h2::Error> {
    let (parts, mut body) = req.into_parts();
    let apns_id = header(&parts.headers, "apns-id")
        .filter(|s| s.len() == 36)
        .map_or_else(super::pki::random_uuid, str::to_lowercase);
    let mut payload = Vec::new();
    let mut too_large = false;
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        let _ = body.flow_control().release_capacity(chunk.len());
        if payload.len() + chunk.len() > MAX_PAYLOAD {
            too_large = true;
        } else {
            payload.extend_from_slice(&chunk);
        }
    }
    let verdict = judge(&state, &parts, &payload, too_large);
    let (status, reason) = match verdict {
        Ok(dev) => {
            state.trigger(dev, super::react::Trigger::Push);
            (200, None)
        }
        Err((s, r)) => (s, Some(r)),
    };
    let resp = http::Response::builder()
        .status(status)
        .header("apns-id", apns_id.as_str())
        .body(())
        .map_err(|_| h2::Error::from(h2::Reason::INTERNAL_ERROR))?;
    match reason {
        None => {
            respond.send_response(resp, true)?;
        }
        Some(r) => {
            let mut stream = respond.send_response(resp, false)?;
            stream.send_data(bytes::Bytes::from(format!("{{\"reason\":\"{r}\"}}")), true)?;
        }
    }
    Ok(())
}

/// Which phone takes the push, or APNs' answer when none does.
fn judge(
    state: &SimState,
    parts: &http::request::Parts,
    payload: &[u8],
    too_large: bool,
) -> Result<usize, (u16, &'static str)> {
    if parts.method != http::Method::POST {
        return Err((405, "MethodNotAllowed"));
    }
    let Some(token) = parts.uri.path().strip_prefix("/3/device/") else {
        return Err((404, "BadPath"));
    };
    let h = &parts.headers;
    if header(h, "authorization").is_none() {
        return Err((403, "MissingProviderToken"));
    }
    let Some(topic) = header(h, "apns-topic") else {
        return Err((400, "MissingTopic"));
    };
    if too_large {
        return Err((413, "PayloadTooLarge"));
    }
    if serde_json::from_slice::<serde_json::Value>(payload).is_err() {
        return Err((400, "PayloadEmpty"));
    }
    if token.is_empty() || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err((400, "BadDeviceToken"));
    }
    let token = token.to_ascii_lowercase();
    let reacting = || {
        state
            .devices
            .iter()
            .enumerate()
            .filter_map(|(i, d)| d.spec.react.as_ref().map(|r| (i, r)))
    };
    let listed = reacting().find(|(_, r)| r.tokens.iter().any(|t| t.eq_ignore_ascii_case(&token)));
    let (dev, react) = match listed {
        Some(x) => x,
        None => {
            // Phones that list no token take any token, for the app whose topic this is.
            let open: Vec<_> = reacting().filter(|(_, r)| r.tokens.is_empty()).collect();
            match open
                .iter()
                .find(|(_, r)| r.topic() == topic)
                .or(open.first())
            {
                Some(x) => *x,
                None => return Err((400, "BadDeviceToken")),
            }
        }
    };
    if react.topic() != topic {
        return Err((400, "DeviceTokenNotForTopic"));
    }
    Ok(dev)
}
