//! `voipctl signal`: both ends of the signalling connection a VoIP app keeps to its server.
//!
//! `send` plays the client (a SIP ping, a request or raw bytes, with round-trip statistics);
//! `serve` plays the server the app's legacy VoIP socket connects to: it holds the connection,
//! answers REGISTER, OPTIONS and CRLF keep-alives, and sends the wake packets whose arrival makes
//! iOS wake the app — then records whether and when the app answered. SIP itself lives in
//! [`crate::sip`] (pure); this module is the I/O around it.

pub(crate) mod budget;
pub(crate) mod net;
pub(crate) mod serve;
pub(crate) mod session;
pub(crate) mod stats;

pub(crate) use net::Target;
pub(crate) use session::WakeKind;
pub(crate) use stats::{RttStats, rtt_stats};

use std::time::Duration;

/// `probe --via signal`: a peer as `serve` keeps one (requests answered, wakes built).
pub(crate) fn session_for_probe(
    transport: crate::sip::Transport,
    peer: std::net::SocketAddr,
    local: std::net::SocketAddr,
) -> session::Session {
    session::Session::new(transport, peer, local, true, Duration::from_secs(30))
}

/// `probe --via signal`: handle one frame from the app; answers go to `out`.
pub(crate) fn on_frame_for_probe(
    s: &mut session::Session,
    frame: crate::sip::Frame,
    out: &mut Vec<Vec<u8>>,
) {
    let (mut o, mut notes) = (Vec::new(), Vec::new());
    s.on_frame(frame, &mut o, &mut notes);
    out.extend(o.into_iter().map(|(b, _)| b));
}

/// `probe --via signal`: the bytes of wake `n` (an earlier wake still outstanding is given up).
pub(crate) fn wake_for_probe(s: &mut session::Session, n: u64, kind: &WakeKind) -> Vec<u8> {
    if s.wake_pending() {
        let _ = s.expire();
    }
    s.wake(n, kind).map(|(b, _)| b).unwrap_or_default()
}

/// Why signalling could not run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SignalError {
    /// DNS.
    #[error("resolve {host}: {reason}")]
    Resolve {
        /// The name.
        host: String,
        /// Resolver message.
        reason: String,
    },
    /// Nobody listens there.
    #[error(
        "connect to {addr}: connection refused (is a SIP server listening there? try `voipctl signal serve` on that port to check the path)"
    )]
    Refused {
        /// host:port.
        addr: String,
    },
    /// The peer reset the connection.
    #[error("talk to {addr}: the connection was reset by the peer")]
    Reset {
        /// host:port.
        addr: String,
    },
    /// The peer closed before answering.
    #[error("get a reply from {addr}: the peer closed the connection")]
    Closed {
        /// host:port.
        addr: String,
    },
    /// Connect or handshake took too long.
    #[error(
        "connect to {addr}: no connection within {secs:.1} s (check host, port, firewall; raise --timeout)"
    )]
    ConnectTimeout {
        /// host:port.
        addr: String,
        /// Timeout.
        secs: f64,
    },
    /// No reply at all.
    #[error(
        "get a reply from {addr}: nothing came back within {secs:.1} s (is the port right, and does the server answer {what}?)"
    )]
    NoReply {
        /// host:port.
        addr: String,
        /// Timeout.
        secs: f64,
        /// What was sent.
        what: String,
    },
    /// TLS handshake failed.
    #[error(
        "complete the TLS handshake with {addr}: {reason} (for a private or self-signed CA pass it with --ca-cert FILE; check --server-name)"
    )]
    Tls {
        /// host:port.
        addr: String,
        /// rustls' reason.
        reason: String,
    },
    /// TLS could not be configured.
    #[error("set up TLS: {0}")]
    TlsSetup(String),
    /// WebSocket upgrade failed.
    #[error(
        "open a WebSocket to {url}: {reason} (the server must accept subprotocol `sip`, RFC 7118)"
    )]
    WebSocket {
        /// ws:// URL.
        url: String,
        /// Reason.
        reason: String,
    },
    /// The peer's bytes broke SIP framing or the limits.
    #[error("read from {addr}: {reason}")]
    Protocol {
        /// host:port.
        addr: String,
        /// Parse error.
        reason: String,
    },
    /// Other socket errors.
    #[error("talk to {addr}")]
    Io {
        /// host:port.
        addr: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A certificate or key file.
    #[error("read {path}: {reason}")]
    Cert {
        /// Path.
        path: String,
        /// Reason.
        reason: String,
    },
    /// A payload file.
    #[error("read payload file {path}")]
    Payload {
        /// Path.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Binding a listener.
    #[error("listen on {addr} (is the port in use? pick another with --listen, or port 0 for any)")]
    Listen {
        /// The address.
        addr: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl SignalError {
    /// Exit-code category: files are input errors, everything else is the network.
    pub(crate) fn into_error(self) -> crate::Error {
        match self {
            SignalError::Cert { .. } | SignalError::Payload { .. } => crate::Error::input(self),
            _ => crate::Error::network(self),
        }
    }
}

/// Milliseconds with microsecond precision, for JSON.
pub(crate) fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// `serve.rs` takes it from here; the one definition is [`crate::timestamp::now_rfc3339`].
pub(crate) use crate::timestamp::now_rfc3339;

/// A short printable description of bytes from a peer: the first line, or a hex prefix.
pub(crate) fn preview(data: &[u8]) -> String {
    let first = data.split(|b| *b == b'\n').next().unwrap_or_default();
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    let text = String::from_utf8_lossy(&first[..first.len().min(120)]).into_owned();
    if !text.is_empty() && text.chars().all(|c| !c.is_control()) {
        text
    } else {
        data.iter().take(32).map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sip::Transport;

    #[test]
    fn targets() {
        let t = Target::parse("tcp://127.0.0.1:5070", None).unwrap();
        assert_eq!((t.transport, t.port), (Transport::Tcp, 5070));
        let t = Target::parse("sip:alice@example.com;transport=tls", None).unwrap();
        assert_eq!(
            (t.transport, t.host.as_str(), t.port),
            (Transport::Tls, "example.com", 5061)
        );
        let t = Target::parse("wss://[::1]:8443/sip", None).unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("::1", 8443, "/sip")
        );
        assert_eq!(t.url(), "wss://[::1]:8443/sip");
        let t = Target::parse("example.com", Some(Transport::Tcp)).unwrap();
        assert_eq!((t.transport, t.port), (Transport::Tcp, 5060));
        assert!(Target::parse("ftp://x", None).is_err());
        assert!(Target::parse("udp://:5060", None).is_err());
        assert!(Target::parse("udp://h:99999", None).is_err());
    }

    #[test]
    fn previews_are_printable() {
        assert_eq!(preview(b"SIP/2.0 200 OK\r\nVia: x\r\n"), "SIP/2.0 200 OK");
        assert_eq!(preview(&[0x1b, 0x00]), "1b00");
    }
}
