//! The usbmuxd address, in every form real tools accept. libusbmuxd reads `UNIX:/path`,
//! `host:port` and `[v6]:port`; pymobiledevice3 a bare `/path`; go-ios `unix:///path` and
//! `tcp://host:port`. `127.0.0.1:PORT` is the one form every client parses, which is why
//! `voipctl sim` prints it.

use idevice::usbmuxd::UsbmuxdAddr;
use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};

/// The environment variable every usbmuxd client reads.
pub const ENV_VAR: &str = "USBMUXD_SOCKET_ADDRESS";

/// Where usbmuxd listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MuxAddr {
    /// A Unix-domain socket (macOS and Linux default `/var/run/usbmuxd`).
    Unix(String),
    /// A TCP address (Windows `127.0.0.1:27015`, relays, `voipctl sim`).
    Tcp(SocketAddr),
}

/// Why an address could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "understand the usbmuxd address {0:?}: use UNIX:/path, /path, host:port or [v6]:port (for example 127.0.0.1:27015)"
)]
pub struct AddrError(pub String);

impl MuxAddr {
    /// The platform default: `/var/run/usbmuxd` on Unix, `127.0.0.1:27015` elsewhere.
    pub fn platform_default() -> Self {
        if cfg!(unix) {
            MuxAddr::Unix(UsbmuxdAddr::SOCKET_FILE.to_string())
        } else {
            MuxAddr::Tcp(SocketAddr::from((
                [127, 0, 0, 1],
                UsbmuxdAddr::DEFAULT_PORT,
            )))
        }
    }

    /// `--usbmuxd` if given, else `USBMUXD_SOCKET_ADDRESS` if set and non-empty, else the default.
    pub fn resolve(flag: Option<&str>) -> Result<Self, AddrError> {
        if let Some(f) = flag {
            return Self::parse(f);
        }
        match std::env::var(ENV_VAR) {
            Ok(v) if !v.trim().is_empty() => Self::parse(&v),
            _ => Ok(Self::platform_default()),
        }
    }

    /// Parse one address string; a `host:port` with a name is resolved.
    pub fn parse(s: &str) -> Result<Self, AddrError> {
        Self::parse_with(s, true)
    }

    /// Parse without ever touching DNS (names are rejected): the pure part, for tests and fuzzing.
    pub fn parse_literal(s: &str) -> Result<Self, AddrError> {
        Self::parse_with(s, false)
    }

    fn parse_with(s: &str, resolve: bool) -> Result<Self, AddrError> {
        let t = s.trim();
        let err = || AddrError(s.to_string());
        if t.is_empty() {
            return Err(err());
        }
        let unix = t
            .strip_prefix("unix://")
            .or_else(|| t.strip_prefix("UNIX:"))
            .or_else(|| t.strip_prefix("unix:"));
        if let Some(rest) = unix {
            return if rest.is_empty() {
                Err(err())
            } else {
                Ok(MuxAddr::Unix(rest.to_string()))
            };
        }
        if let Some(rest) = t.strip_prefix("tcp://") {
            return Self::parse_tcp(rest, resolve).ok_or_else(err);
        }
        if t.starts_with('/') || t.starts_with('.') {
            return Ok(MuxAddr::Unix(t.to_string()));
        }
        Self::parse_tcp(t, resolve).ok_or_else(err)
    }

    fn parse_tcp(s: &str, resolve: bool) -> Option<Self> {
        if let Ok(a) = s.parse::<SocketAddr>() {
            return Some(MuxAddr::Tcp(a));
        }
        // host:port with a name (a relay on another machine).
        let (host, port) = s.rsplit_once(':')?;
        let port: u16 = port.parse().ok()?;
        if !resolve || host.is_empty() || host.contains(':') {
            return None;
        }
        (host, port)
            .to_socket_addrs()
            .ok()?
            .next()
            .map(MuxAddr::Tcp)
    }

    /// The form to hand to other tools in `USBMUXD_SOCKET_ADDRESS`.
    pub fn env_value(&self) -> String {
        match self {
            MuxAddr::Unix(p) => format!("UNIX:{p}"),
            MuxAddr::Tcp(a) => a.to_string(),
        }
    }

    /// The idevice crate's address type.
    pub(crate) fn to_idevice(&self) -> Result<UsbmuxdAddr, AddrError> {
        match self {
            #[cfg(unix)]
            MuxAddr::Unix(p) => Ok(UsbmuxdAddr::UnixSocket(p.clone())),
            #[cfg(not(unix))]
            MuxAddr::Unix(p) => Err(AddrError(p.clone())),
            MuxAddr::Tcp(a) => Ok(UsbmuxdAddr::TcpSocket(*a)),
        }
    }

    /// Is this the platform default (used to phrase "is usbmuxd running?").
    pub fn is_default(&self) -> bool {
        *self == Self::platform_default()
    }
}

impl fmt::Display for MuxAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MuxAddr::Unix(p) => write!(f, "{p}"),
            MuxAddr::Tcp(a) => write!(f, "{a}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_real_tools_use() {
        let tcp = |s: &str| MuxAddr::Tcp(s.parse().unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(
            MuxAddr::parse("UNIX:/var/run/usbmuxd"),
            Ok(MuxAddr::Unix("/var/run/usbmuxd".into()))
        );
        assert_eq!(
            MuxAddr::parse("/tmp/mux.sock"),
            Ok(MuxAddr::Unix("/tmp/mux.sock".into()))
        );
        assert_eq!(
            MuxAddr::parse("unix:///tmp/m"),
            Ok(MuxAddr::Unix("/tmp/m".into()))
        );
        assert_eq!(
            MuxAddr::parse("127.0.0.1:27015"),
            Ok(tcp("127.0.0.1:27015"))
        );
        assert_eq!(MuxAddr::parse("[::1]:5000"), Ok(tcp("[::1]:5000")));
        assert_eq!(MuxAddr::parse("tcp://127.0.0.1:9"), Ok(tcp("127.0.0.1:9")));
        assert_eq!(
            MuxAddr::parse("localhost:27015").map(|a| matches!(a, MuxAddr::Tcp(_))),
            Ok(true)
        );
        assert!(MuxAddr::parse("").is_err());
        assert!(MuxAddr::parse("UNIX:").is_err());
        assert!(MuxAddr::parse("host:notaport").is_err());
        assert!(MuxAddr::parse("::1").is_err());
    }

    #[test]
    fn env_value_round_trips() {
        for s in ["UNIX:/var/run/usbmuxd", "127.0.0.1:27015", "[::1]:1"] {
            let a = MuxAddr::parse(s).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(a.env_value(), s);
            assert_eq!(MuxAddr::parse(&a.env_value()), Ok(a));
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = MuxAddr::parse_literal(&s);
        }

        #[test]
        fn socket_addresses_parse(ip in proptest::prelude::any::<std::net::IpAddr>(), port in 0u16..) {
            let a = SocketAddr::new(ip, port);
            proptest::prop_assert_eq!(MuxAddr::parse(&a.to_string()), Ok(MuxAddr::Tcp(a)));
        }
    }
}
