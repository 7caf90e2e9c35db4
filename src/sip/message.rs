//! The message model and its encoder.

use serde::Serialize;

/// The first line of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StartLine {
    /// `METHOD uri SIP/2.0`
    Request {
        /// Method token, as sent (`INVITE`).
        method: String,
        /// Request-URI, as sent.
        uri: String,
    },
    /// `SIP/2.0 code reason`
    Response {
        /// Status code, 100–699.
        code: u16,
        /// Reason phrase (may be empty).
        reason: String,
    },
}

/// One header field. Folded values are unfolded to single spaces by the parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Name as sent (compact forms such as `v` are kept; look-ups expand them).
    pub name: String,
    /// Value, trimmed.
    pub value: String,
}

impl Header {
    /// A header.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A SIP request or response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Request or status line.
    pub start: StartLine,
    /// Header fields in order.
    pub headers: Vec<Header>,
    /// Body (`Content-Length` bytes).
    pub body: Vec<u8>,
}

/// The long form of a header name: compact forms (RFC 3261 §7.3.3 and later RFCs) expanded,
/// well-known names in their usual capitalisation, anything else unchanged.
pub fn canonical_name(name: &str) -> &str {
    const COMPACT: [(&str, &str); 20] = [
        ("i", "Call-ID"),
        ("m", "Contact"),
        ("e", "Content-Encoding"),
        ("l", "Content-Length"),
        ("c", "Content-Type"),
        ("f", "From"),
        ("s", "Subject"),
        ("k", "Supported"),
        ("t", "To"),
        ("v", "Via"),
        ("o", "Event"),
        ("r", "Refer-To"),
        ("b", "Referred-By"),
        ("u", "Allow-Events"),
        ("x", "Session-Expires"),
        ("a", "Accept-Contact"),
        ("j", "Reject-Contact"),
        ("d", "Request-Disposition"),
        ("y", "Identity"),
        ("n", "Identity-Info"),
    ];
    if name.len() == 1 {
        for (short, long) in COMPACT {
            if name.eq_ignore_ascii_case(short) {
                return long;
            }
        }
    }
    name
}

fn same_name(a: &str, b: &str) -> bool {
    canonical_name(a).eq_ignore_ascii_case(canonical_name(b))
}

impl Message {
    /// A request with no headers yet.
    pub fn request(method: &str, uri: &str) -> Self {
        Message {
            start: StartLine::Request {
                method: method.to_string(),
                uri: uri.to_string(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A response with no headers yet.
    pub fn response(code: u16, reason: &str) -> Self {
        Message {
            start: StartLine::Response {
                code,
                reason: reason.to_string(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// True for responses.
    pub fn is_response(&self) -> bool {
        matches!(self.start, StartLine::Response { .. })
    }

    /// The method of a request, else `None`.
    pub fn method(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code of a response, else `None`.
    pub fn status(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request { .. } => None,
        }
    }

    /// `"200 OK"` for a response, `"OPTIONS sip:…"` for a request.
    pub fn summary_line(&self) -> String {
        match &self.start {
            StartLine::Request { method, uri } => format!("{method} {uri}"),
            StartLine::Response { code, reason } => format!("{code} {reason}"),
        }
    }

    /// Append a header.
    pub fn push(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.headers.push(Header::new(name, value));
        self
    }

    /// The first value of a header (compact forms match their long names).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| same_name(&h.name, name))
            .map(|h| h.value.as_str())
    }

    /// Every value of a header, in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |h| same_name(&h.name, name))
            .map(|h| h.value.as_str())
    }

    /// Replace the first value of a header (or append it).
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.headers.iter_mut().find(|h| same_name(&h.name, name)) {
            Some(h) => h.value = value,
            None => self.headers.push(Header::new(name, value)),
        }
    }

    /// `(number, method)` from CSeq.
    pub fn cseq(&self) -> Option<(u32, &str)> {
        let v = self.header("CSeq")?;
        let mut it = v.split_whitespace();
        let n = it.next()?.parse().ok()?;
        let m = it.next()?;
        Some((n, m))
    }

    /// The top Via's branch parameter.
    pub fn top_branch(&self) -> Option<&str> {
        let via = self.header("Via")?;
        super::via_param(via.split(',').next()?, "branch")
    }

    /// The wire form; see [`encode`].
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self)
    }
}

/// Encode a message. The `Content-Length` header is always written and always true: an existing
/// one (long or compact) gets the body's length, a missing one is added at the end.
pub fn encode(m: &Message) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + m.body.len());
    match &m.start {
        StartLine::Request { method, uri } => {
            out.extend_from_slice(method.as_bytes());
            out.push(b' ');
            out.extend_from_slice(uri.as_bytes());
            out.extend_from_slice(b" SIP/2.0\r\n");
        }
        StartLine::Response { code, reason } => {
            out.extend_from_slice(format!("SIP/2.0 {code} ").as_bytes());
            out.extend_from_slice(reason.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    let mut length_written = false;
    for h in &m.headers {
        out.extend_from_slice(h.name.as_bytes());
        out.extend_from_slice(b": ");
        if same_name(&h.name, "Content-Length") {
            if length_written {
                // A second Content-Length would make the framing ambiguous: drop it.
                out.truncate(out.len() - h.name.len() - 2);
                continue;
            }
            out.extend_from_slice(m.body.len().to_string().as_bytes());
            length_written = true;
        } else {
            out.extend_from_slice(h.value.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }
    if !length_written {
        out.extend_from_slice(format!("Content-Length: {}\r\n", m.body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&m.body);
    out
}
