//! What `serve` does with one peer (a TCP/TLS/WS connection or a UDP source address): answer
//! its requests and keep-alives, send it wake packets, and notice when it answers them. Pure apart
//! from the clock, so it is shared by every transport.

use super::ms;
use crate::sip::{self, Frame, Ids, Message, RequestSpec, Transport, ViaSpec};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What a wake packet is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WakeKind {
    /// A SIP INVITE to the registered contact (what a SIP server sends for an incoming call).
    Invite,
    /// These bytes.
    Raw(Vec<u8>),
}

/// Something for the central loop to report.
#[derive(Debug)]
pub(crate) enum Note {
    Request {
        method: String,
        uri: String,
        status: Option<u16>,
        user_agent: Option<String>,
    },
    KeepAlive,
    WakeSent {
        wake: u64,
        what: String,
    },
    WakeDone {
        wake: u64,
        answered: Option<Duration>,
        answer: Option<String>,
        final_status: Option<u16>,
        final_after: Option<Duration>,
    },
}

#[derive(Debug)]
struct Pending {
    wake: u64,
    sent: Instant,
    deadline: Instant,
    invite: Option<Message>,
    first: Option<(Duration, String)>,
}

/// Bytes to send: to the peer, or (UDP responses) to the address the top Via asks for.
pub(crate) type Out = (Vec<u8>, Option<SocketAddr>);

/// One peer's state.
#[derive(Debug)]
pub(crate) struct Session {
    pub transport: Transport,
    pub peer: SocketAddr,
    pub local: SocketAddr,
    pub answer: bool,
    pub wake_timeout: Duration,
    to_tag: String,
    contact: Option<String>,
    aor: Option<String>,
    pending: Option<Pending>,
    pub messages: u64,
    pub keepalives: u64,
}

fn host(addr: &SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => a.to_string(),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    }
}

/// The URI inside a name-addr (`"x" <sip:a@b>;expires=1` → `sip:a@b`).
fn uri_of(value: &str) -> String {
    match (value.find('<'), value.find('>')) {
        (Some(a), Some(b)) if a < b => value[a + 1..b].to_string(),
        _ => value.split(';').next().unwrap_or(value).trim().to_string(),
    }
}

/// Add `received`/`rport` to the top Via of a response (RFC 3261 §18.2.1, RFC 3581).
fn stamp_via(resp: &mut Message, src: SocketAddr) {
    let Some(h) = resp
        .headers
        .iter_mut()
        .find(|h| sip::canonical_name(&h.name).eq_ignore_ascii_case("Via"))
    else {
        return;
    };
    let (top, rest) = match h.value.split_once(',') {
        Some((t, r)) => (t.to_string(), Some(r.to_string())),
        None => (h.value.clone(), None),
    };
    let sent_by_host = top
        .split(';')
        .next()
        .and_then(|s| s.split_whitespace().nth(1))
        .map(|hp| {
            if let Some(v6) = hp.strip_prefix('[') {
                v6.split(']').next().unwrap_or_default().to_string()
            } else {
                hp.split(':').next().unwrap_or_default().to_string()
            }
        })
        .unwrap_or_default();
    let mut parts: Vec<String> = top.split(';').map(str::to_string).collect();
    let mut want_received = sent_by_host != src.ip().to_string();
    for p in parts.iter_mut().skip(1) {
        if p.trim().eq_ignore_ascii_case("rport") {
            *p = format!("rport={}", src.port());
            want_received = true;
        }
    }
    if want_received && sip::via_param(&top, "received").is_none() {
        parts.push(format!("received={}", src.ip()));
    }
    let mut v = parts.join(";");
    if let Some(r) = rest {
        v.push(',');
        v.push_str(&r);
    }
    h.value = v;
}

/// Where a UDP response goes (RFC 3261 §18.2.2 with RFC 3581): the source port when `rport` was
/// asked for, else the sent-by port at the source address.
fn udp_reply_addr(req: &Message, src: SocketAddr) -> SocketAddr {
    let Some(via) = req.header("Via") else {
        return src;
    };
    let top = via.split(',').next().unwrap_or(via);
    if sip::via_param(top, "rport").is_some() {
        return src;
    }
    let port = top
        .split(';')
        .next()
        .and_then(|s| s.split_whitespace().nth(1))
        .and_then(|hp| hp.rsplit_once(':').filter(|(h, _)| !h.ends_with(':')))
        .and_then(|(_, p)| p.trim_end_matches(']').parse().ok())
        .unwrap_or(5060);
    SocketAddr::new(src.ip(), port)
}

impl Session {
    pub(crate) fn new(
        transport: Transport,
        peer: SocketAddr,
        local: SocketAddr,
        answer: bool,
        wake_timeout: Duration,
    ) -> Self {
        Session {
            transport,
            peer,
            local,
            answer,
            wake_timeout,
            to_tag: sip::new_tag(),
            contact: None,
            aor: None,
            pending: None,
            messages: 0,
            keepalives: 0,
        }
    }

    /// When the pending wake gives up.
    pub(crate) fn wake_deadline(&self) -> Option<Instant> {
        self.pending.as_ref().map(|p| p.deadline)
    }

    /// A wake is outstanding.
    pub(crate) fn wake_pending(&self) -> bool {
        self.pending.is_some()
    }

    fn answered(&mut self, what: &str) {
        if let Some(p) = &mut self.pending
            && p.first.is_none()
        {
            p.first = Some((p.sent.elapsed(), what.to_string()));
        }
    }

    fn done(&mut self, final_status: Option<u16>) -> Option<Note> {
        let p = self.pending.take()?;
        let final_after = final_status.map(|_| p.sent.elapsed());
        Some(Note::WakeDone {
            wake: p.wake,
            answered: p.first.as_ref().map(|f| f.0),
            answer: p.first.map(|f| f.1),
            final_status,
            final_after,
        })
    }

    /// The wake gave up (timeout or the link went away).
    pub(crate) fn expire(&mut self) -> Option<Note> {
        let fin = None;
        self.done(fin)
    }

    /// Handle one frame from the peer.
    pub(crate) fn on_frame(&mut self, frame: Frame, out: &mut Vec<Out>, notes: &mut Vec<Note>) {
        match frame {
            Frame::Ping => {
                self.keepalives += 1;
                self.answered("keep-alive ping");
                out.push((b"\r\n".to_vec(), None));
                notes.push(Note::KeepAlive);
                if self.pending.as_ref().is_some_and(|p| p.invite.is_none())
                    && let Some(n) = self.done(None)
                {
                    notes.push(n);
                }
            }
            Frame::Pong => {
                self.answered("keep-alive pong");
                if self.pending.as_ref().is_some_and(|p| p.invite.is_none())
                    && let Some(n) = self.done(None)
                {
                    notes.push(n);
                }
            }
            Frame::Message(m) => {
                self.messages += 1;
                if m.is_response() {
                    self.on_response(m, out, notes);
                } else {
                    self.on_request(m, out, notes);
                }
            }
        }
    }

    fn on_response(&mut self, m: Message, out: &mut Vec<Out>, notes: &mut Vec<Note>) {
        let code = m.status().unwrap_or(0);
        let summary = m.summary_line();
        let Some(p) = &self.pending else {
            return;
        };
        let Some(invite) = p.invite.clone() else {
            self.answered(&summary);
            if let Some(n) = self.done(None) {
                notes.push(n);
            }
            return;
        };
        let branch = invite.top_branch().unwrap_or_default().to_string();
        if !sip::matches_transaction(&branch, "INVITE", &m) {
            return;
        }
        self.answered(&summary);
        if code < 200 {
            return;
        }
        if code < 300 {
            let ack = sip::ack_for(&invite, &m, Some(&sip::new_branch()));
            out.push((ack.to_bytes(), None));
            let mut bye = sip::ack_for(&invite, &m, Some(&sip::new_branch()));
            if let sip::StartLine::Request { method, .. } = &mut bye.start {
                *method = "BYE".into();
            }
            let n = invite.cseq().map(|(n, _)| n).unwrap_or(1);
            bye.set("CSeq", format!("{} BYE", n.wrapping_add(1)));
            out.push((bye.to_bytes(), None));
        } else {
            let ack = sip::ack_for(&invite, &m, None);
            out.push((ack.to_bytes(), None));
        }
        if let Some(n) = self.done(Some(code)) {
            notes.push(n);
        }
    }

    fn on_request(&mut self, m: Message, out: &mut Vec<Out>, notes: &mut Vec<Note>) {
        let method = m.method().unwrap_or_default().to_ascii_uppercase();
        let uri = match &m.start {
            sip::StartLine::Request { uri, .. } => uri.clone(),
            sip::StartLine::Response { .. } => String::new(),
        };
        self.answered(&method);
        if self.pending.as_ref().is_some_and(|p| p.invite.is_none())
            && let Some(n) = self.done(None)
        {
            notes.push(n);
        }
        let (code, reason) = match method.as_str() {
            "ACK" => (0, ""),
            "REGISTER" => (200, "OK"),
            "OPTIONS" | "MESSAGE" | "NOTIFY" | "BYE" | "INFO" | "SUBSCRIBE" | "PUBLISH" => {
                (200, "OK")
            }
            "CANCEL" => (481, "Call/Transaction Does Not Exist"),
            "INVITE" => (486, "Busy Here"),
            _ => (501, "Not Implemented"),
        };
        let user_agent = m.header("User-Agent").map(str::to_string);
        let status = (self.answer && code != 0).then_some(code);
        if let Some(code) = status {
            let mut resp = sip::response_to(&m, code, reason, &self.to_tag);
            stamp_via(&mut resp, self.peer);
            match method.as_str() {
                "REGISTER" => {
                    let expires = m.header("Expires").unwrap_or("3600").trim().to_string();
                    for c in m.headers_named("Contact") {
                        if c.trim() == "*" {
                            continue;
                        }
                        let v = if sip::via_param(c, "expires").is_some() {
                            c.to_string()
                        } else {
                            format!("{c};expires={expires}")
                        };
                        resp.push("Contact", v);
                    }
                    if let Some(c) = m.header("Contact").filter(|c| c.trim() != "*") {
                        self.contact = Some(uri_of(c));
                    }
                    self.aor = m.header("To").map(uri_of);
                }
                "OPTIONS" => {
                    resp.push(
                        "Allow",
                        "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE, NOTIFY",
                    );
                    resp.push("Accept", "application/sdp");
                }
                _ => {}
            }
            resp.push("Server", format!("voipctl/{}", env!("CARGO_PKG_VERSION")));
            let to = (self.transport == Transport::Udp).then(|| udp_reply_addr(&m, self.peer));
            out.push((resp.to_bytes(), to));
        }
        notes.push(Note::Request {
            method,
            uri,
            status,
            user_agent,
        });
    }

    /// Build the wake packet, or `None` while a wake is still outstanding.
    pub(crate) fn wake(&mut self, wake: u64, kind: &WakeKind) -> Option<(Vec<u8>, Note)> {
        if self.pending.is_some() {
            return None;
        }
        let now = Instant::now();
        let (bytes, invite, what) = match kind {
            WakeKind::Raw(b) => (b.clone(), None, format!("{} raw bytes", b.len())),
            WakeKind::Invite => {
                let m = self.invite();
                (m.to_bytes(), Some(m), "INVITE".to_string())
            }
        };
        self.pending = Some(Pending {
            wake,
            sent: now,
            deadline: now + self.wake_timeout,
            invite,
            first: None,
        });
        Some((bytes, Note::WakeSent { wake, what }))
    }

    fn invite(&self) -> Message {
        let local = host(&self.local);
        let tp = if self.transport == Transport::Udp {
            String::new()
        } else {
            format!(";transport={}", self.transport)
        };
        let target = self
            .contact
            .clone()
            .unwrap_or_else(|| format!("sip:app@{}{tp}", host(&self.peer)));
        let spec = RequestSpec {
            method: "INVITE".into(),
            request_uri: target.clone(),
            from: format!("sip:wake@{local}"),
            to: self.aor.clone().unwrap_or(target),
            to_tag: None,
            ids: Ids::new(),
            via: ViaSpec {
                transport: self.transport,
                sent_by: local.clone(),
                branch: sip::new_branch(),
                rport: true,
            },
            contact: Some(format!("sip:wake@{local}{tp}")),
            max_forwards: 70,
            user_agent: Some(format!("voipctl/{}", env!("CARGO_PKG_VERSION"))),
            content_type: Some("application/sdp".into()),
            body: sip::sdp_offer(self.local.ip(), 4000, 1).into_bytes(),
            extra: vec![sip::Header::new("Subject", "voipctl wake test")],
        };
        sip::build_request(&spec)
    }
}

/// Milliseconds for a note's duration.
pub(crate) fn opt_ms(d: Option<Duration>) -> Option<f64> {
    d.map(ms)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn session(t: Transport) -> Session {
        Session::new(
            t,
            "10.0.0.2:5070".parse().unwrap(),
            "127.0.0.1:5060".parse().unwrap(),
            true,
            Duration::from_secs(10),
        )
    }

    fn request(via: &str, method: &str) -> Message {
        let raw = format!(
            "{method} sip:127.0.0.1 SIP/2.0\r\nVia: {via}\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n\
             Call-ID: c1\r\nCSeq: 1 {method}\r\nContact: <sip:app@10.0.0.2:5070>\r\nExpires: 120\r\n\r\n"
        );
        sip::parse_message(raw.as_bytes()).unwrap()
    }

    #[test]
    fn register_is_answered_with_rport_and_contact() {
        let mut s = session(Transport::Udp);
        let (mut out, mut notes) = (Vec::new(), Vec::new());
        s.on_frame(
            Frame::Message(request(
                "SIP/2.0/UDP 192.168.1.9:5070;branch=z9hG4bK1;rport",
                "REGISTER",
            )),
            &mut out,
            &mut notes,
        );
        let (bytes, to) = &out[0];
        assert_eq!(*to, Some("10.0.0.2:5070".parse().unwrap()));
        let resp = sip::parse_message(bytes).unwrap();
        assert_eq!(resp.status(), Some(200));
        assert_eq!(
            resp.header("Via"),
            Some("SIP/2.0/UDP 192.168.1.9:5070;branch=z9hG4bK1;rport=5070;received=10.0.0.2")
        );
        assert_eq!(
            resp.header("Contact"),
            Some("<sip:app@10.0.0.2:5070>;expires=120")
        );
        assert!(sip::tag_of(resp.header("To").unwrap()).is_some());
        assert!(matches!(
            &notes[0],
            Note::Request {
                status: Some(200),
                ..
            }
        ));
    }

    #[test]
    fn udp_replies_follow_via_without_rport() {
        let req = request("SIP/2.0/UDP 10.0.0.2:5099;branch=z9hG4bK1", "OPTIONS");
        assert_eq!(
            udp_reply_addr(&req, "10.0.0.2:40000".parse().unwrap()),
            "10.0.0.2:5099".parse().unwrap()
        );
        let req = request("SIP/2.0/UDP host;branch=z9hG4bK1", "OPTIONS");
        assert_eq!(
            udp_reply_addr(&req, "10.0.0.2:40000".parse().unwrap()),
            "10.0.0.2:5060".parse().unwrap()
        );
    }

    #[test]
    fn keepalive_ping_gets_a_pong_and_answers_a_raw_wake() {
        let mut s = session(Transport::Tcp);
        let (bytes, sent) = s.wake(1, &WakeKind::Raw(b"wake".to_vec())).unwrap();
        assert_eq!(bytes, b"wake");
        assert!(matches!(sent, Note::WakeSent { wake: 1, .. }));
        assert!(
            s.wake(2, &WakeKind::Raw(vec![])).is_none(),
            "one wake at a time"
        );
        let (mut out, mut notes) = (Vec::new(), Vec::new());
        s.on_frame(Frame::Ping, &mut out, &mut notes);
        assert_eq!(out[0].0, b"\r\n");
        assert!(matches!(notes[0], Note::KeepAlive));
        assert!(matches!(
            &notes[1],
            Note::WakeDone {
                wake: 1,
                answered: Some(_),
                ..
            }
        ));
        assert!(!s.wake_pending());
    }

    #[test]
    fn invite_wake_waits_for_the_final_response_and_acks_it() {
        let mut s = session(Transport::Tcp);
        let (bytes, _) = s.wake(7, &WakeKind::Invite).unwrap();
        let invite = sip::parse_message(&bytes).unwrap();
        assert_eq!(invite.method(), Some("INVITE"));
        assert_eq!(invite.header("Content-Type"), Some("application/sdp"));
        let (mut out, mut notes) = (Vec::new(), Vec::new());
        let ringing = sip::response_to(&invite, 180, "Ringing", "x");
        s.on_frame(Frame::Message(ringing), &mut out, &mut notes);
        assert!(notes.is_empty() && s.wake_pending());
        let busy = sip::response_to(&invite, 486, "Busy Here", "x");
        s.on_frame(Frame::Message(busy), &mut out, &mut notes);
        let ack = sip::parse_message(&out[0].0).unwrap();
        assert_eq!(ack.method(), Some("ACK"));
        assert_eq!(ack.top_branch(), invite.top_branch());
        match &notes[0] {
            Note::WakeDone {
                answer,
                final_status,
                ..
            } => {
                assert_eq!(answer.as_deref(), Some("180 Ringing"));
                assert_eq!(*final_status, Some(486));
            }
            n => panic!("{n:?}"),
        }
        assert!(s.expire().is_none());
    }
}
