//! The bounded parser: one message from a datagram, or a stream of messages and RFC 5626
//! keep-alives from a byte stream that arrives in arbitrary pieces.

use super::message::{Header, Message, StartLine, canonical_name};

/// Size bounds applied before anything is buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Start line plus headers, including the blank line.
    pub max_head: usize,
    /// Body (Content-Length).
    pub max_body: usize,
    /// Number of header lines (after unfolding).
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head: 16 * 1024,
            max_body: 64 * 1024,
            max_headers: 128,
        }
    }
}

impl Limits {
    /// The most a [`Framer`] ever holds: one unfinished message plus one read.
    pub fn max_buffer(&self) -> usize {
        self.max_head + self.max_body + 64 * 1024
    }
}

/// Why bytes are not a SIP message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// No end of headers within the limit.
    #[error("message headers exceed {limit} bytes")]
    HeadTooLarge {
        /// The limit.
        limit: usize,
    },
    /// Content-Length above the limit.
    #[error("message body of {len} bytes exceeds {limit} bytes")]
    BodyTooLarge {
        /// Declared length.
        len: u64,
        /// The limit.
        limit: usize,
    },
    /// Too many header lines.
    #[error("message has more than {limit} headers")]
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// The peer sent more than a framer may hold.
    #[error("peer sent more than {limit} bytes without completing a message")]
    BufferFull {
        /// The limit.
        limit: usize,
    },
    /// Neither a request line nor a status line.
    #[error("malformed start line {0:?}")]
    BadStartLine(String),
    /// Not SIP/2.0.
    #[error("unsupported protocol version {0:?}")]
    BadVersion(String),
    /// A status code outside 100–699.
    #[error("malformed status code {0:?}")]
    BadStatus(String),
    /// A header line without a name and colon.
    #[error("malformed header line {0:?}")]
    BadHeader(String),
    /// Content-Length is not a number, or two disagree.
    #[error("malformed Content-Length {0:?}")]
    BadContentLength(String),
    /// A datagram shorter than its Content-Length.
    #[error("body is {got} bytes but Content-Length says {expected}")]
    ShortBody {
        /// Declared.
        expected: usize,
        /// Present.
        got: usize,
    },
    /// No end of headers in a datagram.
    #[error("message ends before the blank line that closes the headers")]
    Incomplete,
}

/// What a stream carries: messages and RFC 5626 keep-alives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A SIP message.
    Message(Message),
    /// Double CRLF: the peer wants a pong.
    Ping,
    /// Single CRLF: the answer to our ping.
    Pong,
}

/// Index just past the blank line ending the head, searching lines from `from` (a line start).
/// Returns `Err(next_line_start)` when not found yet. Bare LF line ends are accepted.
fn find_head_end(buf: &[u8], from: usize) -> Result<usize, usize> {
    let mut start = from;
    while let Some(rel) = memchr::memchr(b'\n', &buf[start..]) {
        let nl = start + rel;
        let line = &buf[start..nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() && start > 0 {
            return Ok(nl + 1);
        }
        start = nl + 1;
    }
    Err(start)
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
}

fn parse_start(line: &str) -> Result<StartLine, ParseError> {
    let bad = || ParseError::BadStartLine(line.chars().take(80).collect());
    if line
        .as_bytes()
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
    {
        let mut it = line.splitn(3, ' ');
        let version = it.next().unwrap_or_default();
        if !version.eq_ignore_ascii_case("SIP/2.0") {
            return Err(ParseError::BadVersion(version.chars().take(20).collect()));
        }
        let code_s = it.next().ok_or_else(bad)?;
        let code: u16 = code_s
            .parse()
            .ok()
            .filter(|c| (100..=699).contains(c) && code_s.len() == 3)
            .ok_or_else(|| ParseError::BadStatus(code_s.chars().take(20).collect()))?;
        let reason = it.next().unwrap_or_default().trim().to_string();
        return Ok(StartLine::Response { code, reason });
    }
    let (method, rest) = line.split_once(' ').ok_or_else(bad)?;
    let (uri, version) = rest.trim().rsplit_once(' ').ok_or_else(bad)?;
    let uri = uri.trim();
    if !is_token(method) || uri.is_empty() || uri.contains(char::is_whitespace) {
        return Err(bad());
    }
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        return Err(ParseError::BadVersion(version.chars().take(20).collect()));
    }
    Ok(StartLine::Request {
        method: method.to_string(),
        uri: uri.to_string(),
    })
}

/// Parse a head (start line, headers, blank line) into a bodiless message and its declared
/// Content-Length.
fn parse_head(head: &[u8], limits: &Limits) -> Result<(Message, Option<usize>), ParseError> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let start = parse_start(lines.next().unwrap_or_default())?;
    let mut headers: Vec<Header> = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            let last = headers
                .last_mut()
                .ok_or_else(|| ParseError::BadHeader(line.chars().take(80).collect()))?;
            let more = line.trim();
            if !more.is_empty() {
                if !last.value.is_empty() {
                    last.value.push(' ');
                }
                last.value.push_str(more);
            }
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| ParseError::BadHeader(line.chars().take(80).collect()))?;
        let name = name.trim();
        if !is_token(name) {
            return Err(ParseError::BadHeader(line.chars().take(80).collect()));
        }
        if headers.len() >= limits.max_headers {
            return Err(ParseError::TooManyHeaders {
                limit: limits.max_headers,
            });
        }
        headers.push(Header::new(name, value.trim()));
    }
    let mut length: Option<usize> = None;
    for h in &headers {
        if !canonical_name(&h.name).eq_ignore_ascii_case("Content-Length") {
            continue;
        }
        let v = h.value.trim();
        let bad = || ParseError::BadContentLength(v.chars().take(20).collect());
        if v.is_empty() || v.len() > 10 || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: u64 = v.parse().map_err(|_| bad())?;
        if n > limits.max_body as u64 {
            return Err(ParseError::BodyTooLarge {
                len: n,
                limit: limits.max_body,
            });
        }
        let n = n as usize;
        if length.is_some_and(|l| l != n) {
            return Err(bad());
        }
        length = Some(n);
    }
    Ok((
        Message {
            start,
            headers,
            body: Vec::new(),
        },
        length,
    ))
}

/// Parse one message from a datagram (UDP, or one WebSocket message): bytes after
/// Content-Length are ignored, a missing Content-Length means "the rest" (RFC 3261 §18.3).
/// Leading CRLFs are skipped.
pub fn parse_datagram(buf: &[u8], limits: &Limits) -> Result<Message, ParseError> {
    let mut buf = buf;
    while let Some(rest) = buf.strip_prefix(b"\r\n") {
        buf = rest;
    }
    let end = match find_head_end(buf, 0) {
        Ok(end) => end,
        Err(_) if buf.len() > limits.max_head => {
            return Err(ParseError::HeadTooLarge {
                limit: limits.max_head,
            });
        }
        Err(_) => return Err(ParseError::Incomplete),
    };
    if end > limits.max_head {
        return Err(ParseError::HeadTooLarge {
            limit: limits.max_head,
        });
    }
    let (mut msg, length) = parse_head(&buf[..end], limits)?;
    let rest = &buf[end..];
    let body = match length {
        Some(n) if n > rest.len() => {
            return Err(ParseError::ShortBody {
                expected: n,
                got: rest.len(),
            });
        }
        Some(n) => &rest[..n],
        None if rest.len() > limits.max_body => {
            return Err(ParseError::BodyTooLarge {
                len: rest.len() as u64,
                limit: limits.max_body,
            });
        }
        None => rest,
    };
    msg.body = body.to_vec();
    Ok(msg)
}

/// Parse exactly one complete message, as [`parse_datagram`] with default limits.
pub fn parse_message(buf: &[u8]) -> Result<Message, ParseError> {
    parse_datagram(buf, &Limits::default())
}

/// Splits a byte stream (TCP, TLS) into frames. Feed it whatever each read returned with
/// [`Framer::push`], then take frames with [`Framer::next_frame`] until it returns `None`. It holds
/// at most [`Limits::max_buffer`] bytes; after an error the stream's framing is lost and the
/// connection should be closed.
#[derive(Debug)]
pub struct Framer {
    buf: Vec<u8>,
    limits: Limits,
    /// Where the head scan resumes (start of the first unscanned line).
    scan: usize,
    /// A parsed head waiting for its body: (head length, message, body length).
    pending: Option<(usize, Message, usize)>,
}

impl Framer {
    /// An empty framer.
    pub fn new(limits: Limits) -> Self {
        Framer {
            buf: Vec::new(),
            limits,
            scan: 0,
            pending: None,
        }
    }

    /// Bytes held.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// True when a message has started but is not complete (slow-sender detection).
    pub fn in_message(&self) -> bool {
        !self.buf.is_empty() && !self.lone_crlf_pending()
    }

    /// Add bytes from the stream.
    pub fn push(&mut self, data: &[u8]) -> Result<(), ParseError> {
        let limit = self.limits.max_buffer();
        if self.buf.len() + data.len() > limit {
            return Err(ParseError::BufferFull { limit });
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// True when all that is held is a CRLF that may be a pong or the start of a ping.
    pub fn lone_crlf_pending(&self) -> bool {
        self.buf == b"\r\n" || self.buf == b"\r\n\r"
    }

    /// Settle a held lone CRLF as a pong (call when the peer went quiet after sending it).
    pub fn take_pong(&mut self) -> Option<Frame> {
        if self.buf == b"\r\n" {
            self.buf.clear();
            return Some(Frame::Pong);
        }
        None
    }

    fn consume(&mut self, n: usize) {
        self.buf.drain(..n);
        self.scan = 0;
    }

    /// The next complete frame, `Ok(None)` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, ParseError> {
        if self.pending.is_none() && self.buf.starts_with(b"\r\n") {
            if self.buf.starts_with(b"\r\n\r\n") {
                self.consume(4);
                return Ok(Some(Frame::Ping));
            }
            if self.buf.len() >= 4 || (self.buf.len() == 3 && self.buf[2] != b'\r') {
                self.consume(2);
                return Ok(Some(Frame::Pong));
            }
            return Ok(None);
        }
        if self.pending.is_none() {
            if self.buf.is_empty() {
                return Ok(None);
            }
            let end = match find_head_end(&self.buf, self.scan) {
                Ok(end) => end,
                Err(next) => {
                    self.scan = next;
                    if self.buf.len() > self.limits.max_head {
                        return Err(ParseError::HeadTooLarge {
                            limit: self.limits.max_head,
                        });
                    }
                    return Ok(None);
                }
            };
            if end > self.limits.max_head {
                return Err(ParseError::HeadTooLarge {
                    limit: self.limits.max_head,
                });
            }
            let (msg, length) = parse_head(&self.buf[..end], &self.limits)?;
            // Content-Length is mandatory on streams; a missing one is read as 0.
            self.pending = Some((end, msg, length.unwrap_or(0)));
        }
        let ready = matches!(&self.pending, Some((end, _, len)) if self.buf.len() >= end + len);
        if !ready {
            return Ok(None);
        }
        let Some((end, mut msg, len)) = self.pending.take() else {
            return Ok(None);
        };
        msg.body = self.buf[end..end + len].to_vec();
        self.consume(end + len);
        Ok(Some(Frame::Message(msg)))
    }
}
