//! Transports for both sides: UDP datagrams, TCP and TLS streams framed by Content-Length, and
//! WebSocket messages (RFC 7118, subprotocol `sip`). One [`Link`] type hides the difference; the
//! SIP logic above it only sees frames or raw bytes. TLS is rustls with aws-lc-rs everywhere.

use super::SignalError;
use crate::sip::{Frame, Framer, Limits, ParseError, Transport, parse_datagram};
use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{self, Message as WsMessage, protocol::WebSocketConfig};

/// Any byte stream: TCP or TLS over TCP.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The largest datagram or WebSocket message we accept.
pub(crate) const MAX_DATAGRAM: usize = 65_535;

/// WebSocket limits matching the SIP limits.
pub(crate) fn ws_config(limits: &Limits) -> WebSocketConfig {
    let max = limits.max_head + limits.max_body;
    WebSocketConfig::default()
        .max_message_size(Some(max))
        .max_frame_size(Some(max))
}

/// What went wrong on an established link.
#[derive(Debug)]
pub(crate) enum LinkError {
    /// Socket error (reset, refused…).
    Io(io::Error),
    /// The peer's bytes are not SIP (or exceed the limits).
    Parse(ParseError),
    /// WebSocket protocol error.
    Ws(tungstenite::Error),
    /// A message started but did not complete in time (slow sender).
    Slow(std::time::Duration),
}

impl From<io::Error> for LinkError {
    fn from(e: io::Error) -> Self {
        LinkError::Io(e)
    }
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkError::Io(e) => write!(f, "{e}"),
            LinkError::Parse(e) => write!(f, "{e}"),
            LinkError::Ws(e) => write!(f, "WebSocket: {e}"),
            LinkError::Slow(d) => write!(
                f,
                "slow sender: a message was still incomplete after {:.1} s",
                d.as_secs_f64()
            ),
        }
    }
}

/// A byte stream and its framer. `slow` bounds how long one message may take to arrive.
pub(crate) struct StreamLink {
    pub io: Box<dyn Io>,
    pub framer: Framer,
    pub slow: Option<std::time::Duration>,
    started: Option<tokio::time::Instant>,
}

impl StreamLink {
    pub(crate) fn new(io: Box<dyn Io>, limits: Limits, slow: Option<std::time::Duration>) -> Self {
        StreamLink {
            io,
            framer: Framer::new(limits),
            slow,
            started: None,
        }
    }
}

/// One connected link to one peer.
pub(crate) enum Link {
    /// A connected UDP socket (client side).
    Udp(UdpSocket),
    /// TCP or TLS, with the stream framer.
    Stream(Box<StreamLink>),
    /// WebSocket over TCP or TLS.
    Ws(Box<WebSocketStream<Box<dyn Io>>>),
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Link::Udp(_) => "Link::Udp",
            Link::Stream(..) => "Link::Stream",
            Link::Ws(_) => "Link::Ws",
        })
    }
}

/// Classify a datagram or WebSocket message: CRLF keep-alives or one SIP message.
pub(crate) fn datagram_frame(data: &[u8], limits: &Limits) -> Result<Frame, ParseError> {
    match data {
        b"\r\n\r\n" => Ok(Frame::Ping),
        b"\r\n" => Ok(Frame::Pong),
        _ => parse_datagram(data, limits).map(Frame::Message),
    }
}

impl Link {
    /// Send bytes (one datagram, one stream write, or one WebSocket message).
    pub(crate) async fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        match self {
            Link::Udp(s) => {
                s.send(bytes).await?;
            }
            Link::Stream(s) => {
                s.io.write_all(bytes).await?;
                s.io.flush().await?;
            }
            Link::Ws(ws) => {
                let msg = match std::str::from_utf8(bytes) {
                    Ok(t) => WsMessage::text(t),
                    Err(_) => WsMessage::binary(bytes.to_vec()),
                };
                ws.send(msg).await.map_err(ws_error)?;
            }
        }
        Ok(())
    }

    /// The next frame; `Ok(None)` when the peer closed the link.
    pub(crate) async fn recv_frame(&mut self, limits: &Limits) -> Result<Option<Frame>, LinkError> {
        match self {
            Link::Udp(s) => {
                let mut buf = vec![0u8; MAX_DATAGRAM];
                loop {
                    let n = s.recv(&mut buf).await?;
                    match datagram_frame(&buf[..n], limits) {
                        Ok(f) => return Ok(Some(f)),
                        // A stray malformed datagram does not end a UDP exchange.
                        Err(_) => continue,
                    }
                }
            }
            Link::Stream(s) => {
                let mut buf = [0u8; 16 * 1024];
                loop {
                    if let Some(f) = s.framer.next_frame().map_err(LinkError::Parse)? {
                        s.started = s.framer.in_message().then(tokio::time::Instant::now);
                        return Ok(Some(f));
                    }
                    let read = s.io.read(&mut buf);
                    let n = match (s.started, s.slow) {
                        (Some(t0), Some(slow)) => tokio::time::timeout_at(t0 + slow, read)
                            .await
                            .map_err(|_| LinkError::Slow(slow))??,
                        _ => read.await?,
                    };
                    if n == 0 {
                        return Ok(s.framer.take_pong());
                    }
                    s.framer.push(&buf[..n]).map_err(LinkError::Parse)?;
                    if s.started.is_none() && s.framer.in_message() {
                        s.started = Some(tokio::time::Instant::now());
                    }
                }
            }
            Link::Ws(ws) => loop {
                match ws.next().await {
                    None => return Ok(None),
                    Some(Err(e)) => return Err(ws_error(e)),
                    Some(Ok(WsMessage::Text(t))) => {
                        return datagram_frame(t.as_bytes(), limits)
                            .map(Some)
                            .map_err(LinkError::Parse);
                    }
                    Some(Ok(WsMessage::Binary(b))) => {
                        return datagram_frame(&b, limits)
                            .map(Some)
                            .map_err(LinkError::Parse);
                    }
                    Some(Ok(WsMessage::Close(_))) => return Ok(None),
                    Some(Ok(_)) => continue,
                }
            },
        }
    }

    /// Raw bytes as they come (one datagram, one read, one WebSocket message); `None` on close.
    pub(crate) async fn recv_raw(&mut self) -> Result<Option<Vec<u8>>, LinkError> {
        match self {
            Link::Udp(s) => {
                let mut buf = vec![0u8; MAX_DATAGRAM];
                let n = s.recv(&mut buf).await?;
                buf.truncate(n);
                Ok(Some(buf))
            }
            Link::Stream(s) => {
                let mut buf = vec![0u8; 16 * 1024];
                let n = s.io.read(&mut buf).await?;
                buf.truncate(n);
                Ok((n > 0).then_some(buf))
            }
            Link::Ws(ws) => loop {
                match ws.next().await {
                    None | Some(Ok(WsMessage::Close(_))) => return Ok(None),
                    Some(Err(e)) => return Err(ws_error(e)),
                    Some(Ok(WsMessage::Text(t))) => return Ok(Some(t.as_bytes().to_vec())),
                    Some(Ok(WsMessage::Binary(b))) => return Ok(Some(b.to_vec())),
                    Some(Ok(_)) => continue,
                }
            },
        }
    }

    /// Close politely (WebSocket close frame, TLS close_notify, TCP FIN).
    pub(crate) async fn close(&mut self) {
        match self {
            Link::Udp(_) => {}
            Link::Stream(s) => {
                let _ = s.io.shutdown().await;
            }
            Link::Ws(ws) => {
                let _ = SinkExt::close(&mut **ws).await;
            }
        }
    }
}

fn ws_error(e: tungstenite::Error) -> LinkError {
    match e {
        tungstenite::Error::Io(io) => LinkError::Io(io),
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
            LinkError::Io(io::Error::from(io::ErrorKind::ConnectionAborted))
        }
        e => LinkError::Ws(e),
    }
}

/// Certificates from a PEM file.
pub(crate) fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, SignalError> {
    let bad = |reason: String| SignalError::Cert {
        path: path.display().to_string(),
        reason,
    };
    use crate::net::tls::PemCertsError;
    crate::net::tls::read_pem_certs(path).map_err(|e| match e {
        PemCertsError::Read { source, .. } => bad(source.to_string()),
        PemCertsError::Bad { reason, .. } => bad(reason),
        PemCertsError::Empty { .. } => bad("no PEM CERTIFICATE blocks in it".into()),
    })
}

/// TLS client configuration: the platform's trust store, or only the CAs in `ca` when given.
pub(crate) fn client_tls(ca: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, SignalError> {
    use crate::net::tls::{ClientTlsError, client_config};
    let roots = match ca {
        Some(path) => read_certs(path)?,
        None => Vec::new(),
    };
    let config = client_config(&roots, None, &[]).map_err(|e| match (e, ca) {
        (ClientTlsError::Ca(e), Some(path)) => SignalError::Cert {
            path: path.display().to_string(),
            reason: e.to_string(),
        },
        (e, _) => SignalError::TlsSetup(e.to_string()),
    })?;
    Ok(Arc::new(config))
}

/// A server certificate: from PEM files, or generated (self-signed for localhost, 127.0.0.1, ::1).
#[derive(Debug)]
pub(crate) struct ServerCert {
    /// The chain.
    pub certs: Vec<CertificateDer<'static>>,
    /// The key.
    pub key: PrivateKeyDer<'static>,
    /// PEM of the leaf, for `--write-cert`.
    pub pem: String,
}

impl ServerCert {
    /// Load `cert` and `key` PEM files.
    pub(crate) fn load(cert: &Path, key: &Path) -> Result<Self, SignalError> {
        let certs = read_certs(cert)?;
        let data = std::fs::read(key).map_err(|e| SignalError::Cert {
            path: key.display().to_string(),
            reason: e.to_string(),
        })?;
        let key_der = crate::net::tls::pem_private_key(&data).ok_or_else(|| SignalError::Cert {
            path: key.display().to_string(),
            reason: "no PEM private key in it".into(),
        })?;
        let pem = std::fs::read_to_string(cert).unwrap_or_default();
        Ok(ServerCert {
            certs,
            key: key_der,
            pem,
        })
    }

    /// A fresh self-signed certificate.
    pub(crate) fn generate() -> Result<Self, SignalError> {
        let names = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ];
        let ck = rcgen::generate_simple_self_signed(names)
            .map_err(|e| SignalError::TlsSetup(e.to_string()))?;
        let key = PrivateKeyDer::try_from(ck.signing_key.serialize_der())
            .map_err(|e| SignalError::TlsSetup(e.to_string()))?;
        Ok(ServerCert {
            certs: vec![ck.cert.der().clone()],
            key,
            pem: ck.cert.pem(),
        })
    }

    /// The rustls server configuration.
    pub(crate) fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, SignalError> {
        let config = rustls::ServerConfig::builder_with_provider(crate::net::tls::provider())
            .with_safe_default_protocol_versions()
            .and_then(|b| {
                b.with_no_client_auth()
                    .with_single_cert(self.certs.clone(), self.key.clone_key())
            })
            .map_err(|e| SignalError::TlsSetup(e.to_string()))?;
        Ok(Arc::new(config))
    }
}

/// Where `send` goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// Transport.
    pub transport: Transport,
    /// Host name or IP literal (without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// WebSocket path.
    pub path: String,
}

impl Target {
    /// Parse `udp://h:p`, `tcp://`, `tls://`, `ws://h:p/path`, `wss://`, `sip:[user@]h[:p][;transport=x]`,
    /// `sips:…`, or `h[:p]` (with `default` as transport).
    pub(crate) fn parse(s: &str, default: Option<Transport>) -> Result<Target, String> {
        let s = s.trim();
        let (transport, rest, explicit) = if let Some((scheme, rest)) = s.split_once("://") {
            let t = Transport::parse(scheme).ok_or_else(|| {
                format!("unknown scheme {scheme:?}: use udp://, tcp://, tls://, ws:// or wss://")
            })?;
            (t, rest, true)
        } else if let Some(rest) = s.strip_prefix("sips:") {
            (Transport::Tls, rest, true)
        } else if let Some(rest) = s.strip_prefix("sip:") {
            let mut t = Transport::Udp;
            let mut explicit = false;
            for p in rest.split(';').skip(1) {
                if let Some(v) = p.strip_prefix("transport=") {
                    t = Transport::parse(v).ok_or_else(|| format!("unknown transport {v:?}"))?;
                    explicit = true;
                }
            }
            (t, rest, explicit)
        } else {
            (Transport::Udp, s, false)
        };
        let transport = match (explicit, default) {
            (false, Some(d)) => d,
            _ => transport,
        };
        let rest = rest.split(';').next().unwrap_or_default();
        let rest = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
        let (hostport, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].to_string()),
            None => (rest, "/".to_string()),
        };
        let default_port = match transport {
            Transport::Udp | Transport::Tcp => 5060,
            Transport::Tls => 5061,
            Transport::Ws => 80,
            Transport::Wss => 443,
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("unclosed [ in {s:?}"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| format!("bad port {p:?}"))?,
                None => default_port,
            };
            (h.to_string(), port)
        } else if hostport.matches(':').count() > 1 {
            (hostport.to_string(), default_port)
        } else {
            match hostport.split_once(':') {
                Some((h, p)) => (
                    h.to_string(),
                    p.parse().map_err(|_| format!("bad port {p:?}"))?,
                ),
                None => (hostport.to_string(), default_port),
            }
        };
        if host.is_empty() {
            return Err(format!("no host in {s:?}"));
        }
        Ok(Target {
            transport,
            host,
            port,
            path,
        })
    }

    /// `host:port` with IPv6 brackets.
    pub(crate) fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// `scheme://host:port[/path]`.
    pub(crate) fn url(&self) -> String {
        match self.transport {
            Transport::Ws | Transport::Wss => {
                format!("{}://{}{}", self.transport, self.host_port(), self.path)
            }
            t => format!("{t}://{}", self.host_port()),
        }
    }
}

/// A freshly connected link and what we learned while connecting.
#[derive(Debug)]
pub(crate) struct Connected {
    pub link: Link,
    pub local: SocketAddr,
    pub peer: SocketAddr,
    /// TLS version and cipher suite, when TLS is used.
    pub tls: Option<String>,
}

fn connect_error(addr: &str, e: io::Error) -> SignalError {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => SignalError::Refused { addr: addr.into() },
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
            SignalError::Reset { addr: addr.into() }
        }
        _ => SignalError::Io {
            addr: addr.into(),
            source: e,
        },
    }
}

/// Resolve, connect and (for TLS/WS) handshake. The caller bounds the time.
pub(crate) async fn connect(
    target: &Target,
    tls: Option<Arc<rustls::ClientConfig>>,
    server_name: Option<&str>,
    limits: &Limits,
) -> Result<Connected, SignalError> {
    let hp = target.host_port();
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((target.host.as_str(), target.port))
        .await
        .map_err(|e| SignalError::Resolve {
            host: target.host.clone(),
            reason: e.to_string(),
        })?
        .collect();
    let peer = *addrs.first().ok_or_else(|| SignalError::Resolve {
        host: target.host.clone(),
        reason: "no addresses".into(),
    })?;
    if target.transport == Transport::Udp {
        let bind: SocketAddr = if peer.is_ipv6() {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        };
        let sock = UdpSocket::bind(bind)
            .await
            .map_err(|e| connect_error(&hp, e))?;
        sock.connect(peer)
            .await
            .map_err(|e| connect_error(&hp, e))?;
        let local = sock.local_addr().map_err(|e| connect_error(&hp, e))?;
        return Ok(Connected {
            link: Link::Udp(sock),
            local,
            peer,
            tls: None,
        });
    }
    let tcp = TcpStream::connect(peer)
        .await
        .map_err(|e| connect_error(&hp, e))?;
    let _ = tcp.set_nodelay(true);
    let local = tcp.local_addr().map_err(|e| connect_error(&hp, e))?;
    let mut tls_info = None;
    let io: Box<dyn Io> = if target.transport.is_tls() {
        let config = tls.ok_or_else(|| SignalError::TlsSetup("no TLS configuration".into()))?;
        let name = server_name.unwrap_or(&target.host).to_string();
        let name = ServerName::try_from(name.clone())
            .map_err(|_| SignalError::TlsSetup(format!("invalid server name {name:?}")))?;
        let stream = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| tls_error(&hp, e))?;
        let (_, conn) = stream.get_ref();
        tls_info = Some(format!(
            "{} {}",
            conn.protocol_version()
                .map(|v| format!("{v:?}"))
                .unwrap_or_default(),
            conn.negotiated_cipher_suite()
                .map(|c| format!("{:?}", c.suite()))
                .unwrap_or_default()
        ));
        Box::new(stream)
    } else {
        Box::new(tcp)
    };
    let link = match target.transport {
        Transport::Ws | Transport::Wss => {
            use tokio_tungstenite::tungstenite::client::IntoClientRequest;
            let url = target.url();
            let mut req =
                url.as_str()
                    .into_client_request()
                    .map_err(|e| SignalError::WebSocket {
                        url: url.clone(),
                        reason: e.to_string(),
                    })?;
            req.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                tungstenite::http::HeaderValue::from_static("sip"),
            );
            let (ws, _resp) =
                tokio_tungstenite::client_async_with_config(req, io, Some(ws_config(limits)))
                    .await
                    .map_err(|e| SignalError::WebSocket {
                        url: url.clone(),
                        reason: e.to_string(),
                    })?;
            Link::Ws(Box::new(ws))
        }
        _ => Link::Stream(Box::new(StreamLink::new(io, *limits, None))),
    };
    Ok(Connected {
        link,
        local,
        peer,
        tls: tls_info,
    })
}

/// TLS failures get their own error so the user is pointed at `--ca-cert`.
pub(crate) fn tls_error(addr: &str, e: io::Error) -> SignalError {
    let is_tls = e
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
    if is_tls {
        SignalError::Tls {
            addr: addr.into(),
            reason: e.to_string(),
        }
    } else {
        connect_error(addr, e)
    }
}
