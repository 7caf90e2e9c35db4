//! Request and response builders with the identifiers RFC 3261 asks for: a top Via with a
//! `z9hG4bK` branch and `rport` (RFC 3581), From/To tags, Call-ID, CSeq, Contact, Max-Forwards and
//! a true Content-Length.

use super::MAGIC_COOKIE;
use super::message::{Header, Message};
use serde::Serialize;
use std::fmt;

/// How a SIP message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Datagrams.
    Udp,
    /// A TCP stream.
    Tcp,
    /// TLS over TCP.
    Tls,
    /// WebSocket (RFC 7118).
    Ws,
    /// WebSocket over TLS.
    Wss,
}

impl Transport {
    /// The Via token (`UDP`, `TCP`, `TLS`, `WS`, `WSS`).
    pub fn via_token(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
        }
    }
    /// The lowercase name used in URIs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
            Transport::Ws => "ws",
            Transport::Wss => "wss",
        }
    }
    /// Parse `udp`, `tcp`, `tls`, `ws`, `wss` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "udp" => Transport::Udp,
            "tcp" => Transport::Tcp,
            "tls" => Transport::Tls,
            "ws" => Transport::Ws,
            "wss" => Transport::Wss,
            _ => return None,
        })
    }
    /// True for connection-oriented transports.
    pub fn is_stream(self) -> bool {
        self != Transport::Udp
    }
    /// True when TLS is involved.
    pub fn is_tls(self) -> bool {
        matches!(self, Transport::Tls | Transport::Wss)
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Hex of `n` unpredictable bytes for branches, tags and Call-IDs. They need uniqueness and
/// unpredictability to off-path peers, not key-grade randomness: std's randomly keyed SipHash over
/// a counter and the clock gives that without seeding a DRBG (aws-lc-rs seeds one per thread with
/// CPU-jitter entropy, which cost ~40 ms of CPU per process and per server thread).
pub fn random_token(n: usize) -> String {
    use std::hash::{BuildHasher, RandomState};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let state = RandomState::new();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut out = String::with_capacity(n * 2);
    let mut i = 0u64;
    while out.len() < n * 2 {
        let c = COUNTER.fetch_add(1, Ordering::Relaxed);
        let word = state.hash_one((c, i, nanos, std::process::id()));
        for b in word.to_le_bytes() {
            if out.len() < n * 2 {
                out.push_str(&format!("{b:02x}"));
            }
        }
        i += 1;
    }
    out
}

/// A fresh RFC 3261 branch (`z9hG4bK` + 16 hex digits).
pub fn new_branch() -> String {
    format!("{MAGIC_COOKIE}{}", random_token(8))
}

/// A fresh From/To tag.
pub fn new_tag() -> String {
    random_token(6)
}

/// The dialog identifiers a sender keeps across requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    /// Call-ID.
    pub call_id: String,
    /// From tag.
    pub from_tag: String,
    /// Next CSeq number.
    pub cseq: u32,
}

impl Ids {
    /// Fresh identifiers, CSeq starting at 1.
    pub fn new() -> Self {
        Ids {
            call_id: format!("{}@voipctl", random_token(12)),
            from_tag: new_tag(),
            cseq: 1,
        }
    }
}

impl Default for Ids {
    fn default() -> Self {
        Ids::new()
    }
}

/// The top Via of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViaSpec {
    /// Transport token.
    pub transport: Transport,
    /// `host:port` where responses should go.
    pub sent_by: String,
    /// Branch (with the magic cookie).
    pub branch: String,
    /// Ask for `rport` (RFC 3581) so responses come back to the source port through NATs.
    pub rport: bool,
}

impl ViaSpec {
    /// The header value.
    pub fn value(&self) -> String {
        format!(
            "SIP/2.0/{} {};branch={}{}",
            self.transport.via_token(),
            self.sent_by,
            self.branch,
            if self.rport { ";rport" } else { "" }
        )
    }
}

/// Everything needed to build one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSpec {
    /// Method (`OPTIONS`, `INVITE`…).
    pub method: String,
    /// Request-URI.
    pub request_uri: String,
    /// From URI (without tag).
    pub from: String,
    /// To URI.
    pub to: String,
    /// To tag (in-dialog requests).
    pub to_tag: Option<String>,
    /// Call-ID, From tag and CSeq number.
    pub ids: Ids,
    /// Top Via.
    pub via: ViaSpec,
    /// Contact URI.
    pub contact: Option<String>,
    /// Max-Forwards.
    pub max_forwards: u8,
    /// User-Agent.
    pub user_agent: Option<String>,
    /// Content-Type of the body.
    pub content_type: Option<String>,
    /// Body.
    pub body: Vec<u8>,
    /// More headers, appended before Content-Length.
    pub extra: Vec<Header>,
}

fn angle(uri: &str) -> String {
    if uri.starts_with('<') || uri.contains('<') {
        uri.to_string()
    } else {
        format!("<{uri}>")
    }
}

/// Build the request: Via, Max-Forwards, From, To, Call-ID, CSeq, Contact, User-Agent, the extra
/// headers, Content-Type, Content-Length, body.
pub fn build_request(spec: &RequestSpec) -> Message {
    let mut m = Message::request(&spec.method, &spec.request_uri);
    m.push("Via", spec.via.value());
    m.push("Max-Forwards", spec.max_forwards.to_string());
    m.push(
        "From",
        format!("{};tag={}", angle(&spec.from), spec.ids.from_tag),
    );
    let mut to = angle(&spec.to);
    if let Some(t) = &spec.to_tag {
        to.push_str(";tag=");
        to.push_str(t);
    }
    m.push("To", to);
    m.push("Call-ID", spec.ids.call_id.clone());
    m.push("CSeq", format!("{} {}", spec.ids.cseq, spec.method));
    if let Some(c) = &spec.contact {
        m.push("Contact", angle(c));
    }
    if let Some(ua) = &spec.user_agent {
        m.push("User-Agent", ua.clone());
    }
    m.headers.extend(spec.extra.iter().cloned());
    if let Some(ct) = &spec.content_type {
        m.push("Content-Type", ct.clone());
    }
    m.push("Content-Length", spec.body.len().to_string());
    m.body = spec.body.clone();
    m
}

/// A minimal SDP audio offer (RFC 4566): PCMU, PCMA and telephone-event on `port`.
pub fn sdp_offer(ip: std::net::IpAddr, port: u16, session: u64) -> String {
    let net = if ip.is_ipv6() { "IP6" } else { "IP4" };
    format!(
        "v=0\r\no=voipctl {session} {session} IN {net} {ip}\r\ns=voipctl\r\nc=IN {net} {ip}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n"
    )
}

fn copy(from: &Message, to: &mut Message, name: &str) {
    for v in from.headers_named(name) {
        to.push(name, v.to_string());
    }
}

/// A response to `request` (RFC 3261 §8.2.6): Via list, From, Call-ID and CSeq copied; To copied
/// with `to_tag` added when it has none (not for 100 Trying).
pub fn response_to(request: &Message, code: u16, reason: &str, to_tag: &str) -> Message {
    let mut m = Message::response(code, reason);
    copy(request, &mut m, "Via");
    copy(request, &mut m, "From");
    if let Some(to) = request.header("To") {
        let to = if super::tag_of(to).is_none() && code > 100 && !to_tag.is_empty() {
            format!("{to};tag={to_tag}")
        } else {
            to.to_string()
        };
        m.push("To", to);
    }
    copy(request, &mut m, "Call-ID");
    copy(request, &mut m, "CSeq");
    m
}

fn cseq_num(m: &Message) -> u32 {
    m.cseq().map(|(n, _)| n).unwrap_or(1)
}

fn request_uri(m: &Message) -> &str {
    match &m.start {
        super::StartLine::Request { uri, .. } => uri,
        super::StartLine::Response { .. } => "",
    }
}

/// The ACK for a final response to `invite`. For a non-2xx response it belongs to the INVITE's
/// transaction (same branch, §17.1.1.3); for a 2xx it is a new transaction: pass `new_branch`.
pub fn ack_for(invite: &Message, response: &Message, new_branch: Option<&str>) -> Message {
    let mut m = Message::request("ACK", request_uri(invite));
    if let Some(via) = invite.header("Via") {
        let top = via.split(',').next().unwrap_or(via).trim();
        let top = match new_branch {
            Some(b) => replace_branch(top, b),
            None => top.to_string(),
        };
        m.push("Via", top);
    }
    m.push("Max-Forwards", "70");
    copy(invite, &mut m, "From");
    match response.header("To") {
        Some(to) => m.push("To", to.to_string()),
        None => {
            copy(invite, &mut m, "To");
            &mut m
        }
    };
    copy(invite, &mut m, "Call-ID");
    m.push("CSeq", format!("{} ACK", cseq_num(invite)));
    m
}

/// The CANCEL for a pending `request` (§9.1): same Request-URI, top Via, From, To, Call-ID and
/// CSeq number.
pub fn cancel_for(request: &Message) -> Message {
    let mut m = Message::request("CANCEL", request_uri(request));
    if let Some(via) = request.header("Via") {
        m.push(
            "Via",
            via.split(',').next().unwrap_or(via).trim().to_string(),
        );
    }
    m.push("Max-Forwards", "70");
    copy(request, &mut m, "From");
    copy(request, &mut m, "To");
    copy(request, &mut m, "Call-ID");
    m.push("CSeq", format!("{} CANCEL", cseq_num(request)));
    m
}

fn replace_branch(via: &str, branch: &str) -> String {
    via.split(';')
        .map(|p| {
            if p.trim()
                .split('=')
                .next()
                .is_some_and(|k| k.trim().eq_ignore_ascii_case("branch"))
            {
                format!("branch={branch}")
            } else {
                p.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(";")
}
