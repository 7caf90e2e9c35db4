//! `voipctl signal send`: one or more requests (or raw payloads) to a signalling server, with the
//! reply status and round-trip time of each, and statistics over the run.

use crate::context::{Ctx, Outcome};
use crate::report::{Body, Output, Record, Style, SummaryRecord};
use crate::signal::net::{self, Link, LinkError, Target};
use crate::signal::{RttStats, SignalError, ms, preview};
use crate::sip::{self, Frame, Ids, Limits, Message, RequestSpec, Transport, ViaSpec};
use schemars::JsonSchema;
use serde::Serialize;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Payload {
    /// A SIP request built by voipctl (`OPTIONS`, `REGISTER`, `INVITE`, `MESSAGE`, `NOTIFY`,
    /// `CANCEL`, `BYE`).
    Sip(String),
    /// Bytes as given (text, hex or a file).
    Raw(Vec<u8>),
}

/// Which final statuses count as success: `2xx`-style classes or exact codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// A class: 2 for 2xx.
    Class(u16),
    /// One code.
    Code(u16),
}

impl Expect {
    /// Parse `2xx` or `486`.
    pub(crate) fn parse(s: &str) -> Result<Expect, String> {
        let s = s.trim().to_ascii_lowercase();
        if let Some(c) = s.strip_suffix("xx")
            && let Ok(d) = c.parse::<u16>()
            && (1..=6).contains(&d)
        {
            return Ok(Expect::Class(d));
        }
        match s.parse::<u16>() {
            Ok(c) if (100..=699).contains(&c) => Ok(Expect::Code(c)),
            _ => Err(format!("{s:?} is not a status (examples: 2xx, 486)")),
        }
    }
    fn matches(self, code: u16) -> bool {
        match self {
            Expect::Class(c) => code / 100 == c,
            Expect::Code(c) => code == c,
        }
    }
}

/// Resolved options of `signal send`.
#[derive(Debug, Clone)]
pub(crate) struct SendOptions {
    /// Where.
    pub target: Target,
    /// What.
    pub payload: Payload,
    /// Request-URI (default `sip:host:port`).
    pub uri: Option<String>,
    /// From URI.
    pub from: Option<String>,
    /// To URI.
    pub to: Option<String>,
    /// Body for MESSAGE/NOTIFY/any request.
    pub body: Option<String>,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Rounds.
    pub count: u32,
    /// Time between the starts of rounds.
    pub interval: Duration,
    /// Wait this long for a final reply (and for connecting).
    pub timeout: Duration,
    /// Statuses that count as success (SIP only).
    pub expect: Vec<Expect>,
    /// Wait for replies at all.
    pub wait: bool,
    /// Trust only this CA (PEM) for TLS/WSS.
    pub ca_cert: Option<PathBuf>,
    /// TLS server name (SNI and verification), default the host.
    pub server_name: Option<String>,
    /// Parser bounds for replies.
    pub limits: Limits,
}

/// `connected` record.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ConnectedRecord {
    target: String,
    transport: Transport,
    local: String,
    peer: String,
    connect_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls: Option<String>,
}

impl Record for ConnectedRecord {
    fn output(&self) -> Output<'_> {
        Output::Connected(self)
    }
    fn detail(&self) -> bool {
        true
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        let tls = self
            .tls
            .as_deref()
            .map(|t| format!(", {t}"))
            .unwrap_or_default();
        writeln!(
            w,
            "{} {} {} → {} in {:.3} ms{}",
            style.dim("connected"),
            self.transport,
            self.local,
            self.peer,
            self.connect_ms,
            crate::sanitize::terminal(&tls)
        )
    }
}

/// A provisional response seen before the final one.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Provisional {
    status: u16,
    reason: String,
    ms: f64,
}

/// `round` record: one request and its outcome.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SignalRoundRecord")]
pub struct RoundRecord {
    seq: u32,
    request: String,
    bytes: usize,
    /// `ok`, `unexpected` (a status outside --expect), `timeout`, `sent` (--no-wait).
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rtt_ms: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    provisional: Vec<Provisional>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_bytes: Option<usize>,
}

impl Record for RoundRecord {
    fn output(&self) -> Output<'_> {
        Output::Round(self)
    }
    fn junit(&self) -> Option<crate::report::Case> {
        use crate::report::CaseOutcome;
        let outcome = match self.result {
            "ok" | "sent" => CaseOutcome::Pass,
            "timeout" => CaseOutcome::Fail {
                message: "no reply".into(),
                text: format!("{} #{} got no final reply", self.request, self.seq),
            },
            _ => CaseOutcome::Fail {
                message: format!(
                    "unexpected status {}",
                    self.status.map(|s| s.to_string()).unwrap_or_default()
                ),
                text: self.reason.clone().unwrap_or_default(),
            },
        };
        Some(crate::report::Case {
            class: "signal send".into(),
            name: format!("{} #{}", self.request, self.seq),
            time: self.rtt_ms.map(|ms| ms / 1000.0),
            outcome,
        })
    }
    fn detail(&self) -> bool {
        // `-q` keeps the rounds that did not get the expected answer.
        self.result == "ok"
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        let head = format!("{} #{}", self.request, self.seq);
        let mut line = match (self.result, self.status, self.rtt_ms) {
            ("timeout", ..) => format!("{head}  {}", style.error("no reply")),
            ("sent", ..) => format!("{head}  sent {} bytes", self.bytes),
            (r, Some(code), Some(rtt)) => {
                let status = format!(
                    "{code} {}",
                    crate::sanitize::terminal(self.reason.as_deref().unwrap_or(""))
                );
                let status = if r == "ok" {
                    style.ok(&status)
                } else {
                    style.warn(&status)
                };
                format!("{head}  {status}  {rtt:.3} ms")
            }
            (_, None, Some(rtt)) => format!(
                "{head}  {} bytes: {}  {rtt:.3} ms",
                self.reply_bytes.unwrap_or(0),
                crate::sanitize::terminal(self.reply.as_deref().unwrap_or(""))
            ),
            _ => head,
        };
        if !self.provisional.is_empty() {
            let p: Vec<String> = self
                .provisional
                .iter()
                .map(|p| format!("{} after {:.3} ms", p.status, p.ms))
                .collect();
            line.push_str(&style.dim(&format!("  (provisional: {})", p.join(", "))));
        }
        if style.verbose > 0
            && let Some(s) = &self.server
        {
            line.push_str(&style.dim(&format!("  server: {}", crate::sanitize::terminal(s))));
        }
        writeln!(w, "{line}")
    }
}

/// `summary` of `signal send`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SendSummary {
    target: String,
    transport: Transport,
    sent: u32,
    received: u32,
    lost: u32,
    loss_pct: f64,
    unexpected: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    rtt_ms: Option<RttStats>,
    /// No failure, and with replies awaited none lost or unexpected (the summary's `outcome`).
    #[serde(skip)]
    ok: bool,
    #[serde(skip)]
    interrupted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl SummaryRecord for SendSummary {
    fn body(&self) -> Body<'_> {
        Body::SignalSend(self)
    }
    fn outcome(&self) -> Outcome {
        if self.interrupted {
            Outcome::Interrupted
        } else {
            Outcome::from_failed(!self.ok)
        }
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        let head = format!(
            "--- {}: {} sent, {} answered, {:.1}% loss",
            self.target, self.sent, self.received, self.loss_pct
        );
        let head = if self.ok {
            style.bold(&head)
        } else {
            style.error(&head)
        };
        write!(w, "{head}")?;
        if self.unexpected > 0 {
            write!(w, ", {} unexpected status", self.unexpected)?;
        }
        if let Some(r) = &self.rtt_ms {
            write!(
                w,
                "\nrtt min/avg/max/p50/p95 = {:.3}/{:.3}/{:.3}/{:.3}/{:.3} ms",
                crate::signal::stats::fig(r.min),
                crate::signal::stats::fig(r.mean),
                crate::signal::stats::fig(r.max),
                crate::signal::stats::fig(r.p50),
                crate::signal::stats::fig(r.p95)
            )?;
        }
        writeln!(w)
    }
}

/// What one round produced.
struct Reply {
    status: Option<u16>,
    reason: Option<String>,
    rtt: Duration,
    provisional: Vec<Provisional>,
    server: Option<String>,
    raw: Option<Vec<u8>>,
    final_msg: Option<Message>,
}

fn link_error(addr: &str, e: LinkError) -> SignalError {
    match e {
        LinkError::Io(e) => match e.kind() {
            io::ErrorKind::ConnectionRefused => SignalError::Refused { addr: addr.into() },
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => SignalError::Reset { addr: addr.into() },
            io::ErrorKind::UnexpectedEof => SignalError::Closed { addr: addr.into() },
            _ => net::tls_error(addr, e),
        },
        LinkError::Parse(e) => SignalError::Protocol {
            addr: addr.into(),
            reason: e.to_string(),
        },
        LinkError::Ws(e) => SignalError::Protocol {
            addr: addr.into(),
            reason: format!("WebSocket: {e}"),
        },
        e @ LinkError::Slow(_) => SignalError::Protocol {
            addr: addr.into(),
            reason: e.to_string(),
        },
    }
}

struct Builder<'a> {
    opts: &'a SendOptions,
    ids: Ids,
    local: SocketAddr,
}

impl Builder<'_> {
    fn request(&mut self, method: &str) -> Message {
        let o = self.opts;
        let t = &o.target;
        let local_ip = self.local.ip();
        let local_host = if local_ip.is_ipv6() {
            format!("[{local_ip}]")
        } else {
            local_ip.to_string()
        };
        let sent_by = if self.local.is_ipv6() {
            format!("[{}]:{}", self.local.ip(), self.local.port())
        } else {
            self.local.to_string()
        };
        let transport_param = if t.transport == Transport::Udp {
            String::new()
        } else {
            format!(";transport={}", t.transport)
        };
        let is_register = method.eq_ignore_ascii_case("REGISTER");
        let request_uri = o
            .uri
            .clone()
            .unwrap_or_else(|| format!("sip:{}", t.host_port()));
        let from = o
            .from
            .clone()
            .unwrap_or_else(|| format!("sip:voipctl@{local_host}"));
        let to = o.to.clone().unwrap_or_else(|| {
            if is_register {
                from.clone()
            } else {
                request_uri.clone()
            }
        });
        let mut extra: Vec<sip::Header> = Vec::new();
        let mut body = o.body.clone().unwrap_or_default().into_bytes();
        let mut content_type = (!body.is_empty()).then(|| "text/plain".to_string());
        match method.to_ascii_uppercase().as_str() {
            "OPTIONS" => extra.push(sip::Header::new("Accept", "application/sdp")),
            "REGISTER" => extra.push(sip::Header::new("Expires", "60")),
            "INVITE" if o.body.is_none() => {
                body = sip::sdp_offer(local_ip, 4000, u64::from(self.ids.cseq)).into_bytes();
                content_type = Some("application/sdp".into());
            }
            "MESSAGE" if o.body.is_none() => {
                body = b"voipctl test message".to_vec();
                content_type = Some("text/plain".into());
            }
            "NOTIFY" => {
                extra.push(sip::Header::new("Event", "check-sync"));
                extra.push(sip::Header::new("Subscription-State", "active"));
            }
            _ => {}
        }
        extra.extend(
            o.headers
                .iter()
                .map(|(n, v)| sip::Header::new(n.clone(), v.clone())),
        );
        let spec = RequestSpec {
            method: method.to_ascii_uppercase(),
            request_uri,
            from,
            to,
            to_tag: None,
            ids: self.ids.clone(),
            via: ViaSpec {
                transport: t.transport,
                sent_by,
                branch: sip::new_branch(),
                rport: true,
            },
            contact: (!method.eq_ignore_ascii_case("CANCEL")).then(|| {
                format!(
                    "sip:voipctl@{sent_host}{transport_param}",
                    sent_host = self_sent(&self.local)
                )
            }),
            max_forwards: 70,
            user_agent: Some(format!("voipctl/{}", env!("CARGO_PKG_VERSION"))),
            content_type,
            body,
            extra,
        };
        self.ids.cseq = self.ids.cseq.wrapping_add(1);
        sip::build_request(&spec)
    }
}

fn self_sent(local: &SocketAddr) -> String {
    if local.is_ipv6() {
        format!("[{}]:{}", local.ip(), local.port())
    } else {
        local.to_string()
    }
}

/// Wait for the final response to the request with this branch and method.
async fn await_sip(
    link: &mut Link,
    branch: &str,
    method: &str,
    start: Instant,
    deadline: tokio::time::Instant,
    limits: &Limits,
) -> Result<Option<Reply>, LinkError> {
    let mut provisional = Vec::new();
    loop {
        let frame = match tokio::time::timeout_at(deadline, link.recv_frame(limits)).await {
            Err(_) => return Ok(None),
            Ok(r) => r?,
        };
        let Some(frame) = frame else {
            return Err(LinkError::Io(io::Error::from(io::ErrorKind::UnexpectedEof)));
        };
        let m = match frame {
            Frame::Message(m) => m,
            Frame::Ping => {
                link.send(b"\r\n").await?;
                continue;
            }
            Frame::Pong => continue,
        };
        if !sip::matches_transaction(branch, method, &m) {
            continue;
        }
        let (code, reason) = match &m.start {
            sip::StartLine::Response { code, reason } => (*code, reason.clone()),
            sip::StartLine::Request { .. } => continue,
        };
        if code < 200 {
            provisional.push(Provisional {
                status: code,
                reason,
                ms: ms(start.elapsed()),
            });
            continue;
        }
        let server = m
            .header("Server")
            .or_else(|| m.header("User-Agent"))
            .map(str::to_string);
        return Ok(Some(Reply {
            status: Some(code),
            reason: Some(reason),
            rtt: start.elapsed(),
            provisional,
            server,
            raw: None,
            final_msg: Some(m),
        }));
    }
}

async fn await_raw(
    link: &mut Link,
    start: Instant,
    deadline: tokio::time::Instant,
    limits: &Limits,
) -> Result<Option<Reply>, LinkError> {
    let data = match tokio::time::timeout_at(deadline, link.recv_raw()).await {
        Err(_) => return Ok(None),
        Ok(r) => r?,
    };
    let Some(data) = data else {
        return Err(LinkError::Io(io::Error::from(io::ErrorKind::UnexpectedEof)));
    };
    let rtt = start.elapsed();
    let parsed = sip::parse_datagram(&data, limits).ok();
    Ok(Some(Reply {
        status: parsed.as_ref().and_then(Message::status),
        reason: parsed.as_ref().and_then(|m| match &m.start {
            sip::StartLine::Response { reason, .. } => Some(reason.clone()),
            sip::StartLine::Request { .. } => None,
        }),
        rtt,
        provisional: Vec::new(),
        server: None,
        raw: Some(data),
        final_msg: None,
    }))
}

/// Run `voipctl signal send`.
pub(crate) async fn run_send(ctx: &mut Ctx, opts: SendOptions) -> crate::Result<Outcome> {
    let addr = opts.target.host_port();
    let tls = if opts.target.transport.is_tls() {
        Some(net::client_tls(opts.ca_cert.as_deref()).map_err(SignalError::into_error)?)
    } else {
        None
    };
    let t0 = Instant::now();
    let connecting = net::connect(&opts.target, tls, opts.server_name.as_deref(), &opts.limits);
    let connected = tokio::select! {
        r = tokio::time::timeout(opts.timeout, connecting) => match r {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return Err(e.into_error()),
            Err(_) => return Err(SignalError::ConnectTimeout { addr, secs: opts.timeout.as_secs_f64() }.into_error()),
        },
        _ = ctx.cancel.cancelled() => return Err(crate::Error::Interrupted),
    };
    let mut link = connected.link;
    ctx.reporter.emit(&ConnectedRecord {
        target: opts.target.url(),
        transport: opts.target.transport,
        local: connected.local.to_string(),
        peer: connected.peer.to_string(),
        connect_ms: ms(t0.elapsed()),
        tls: connected.tls,
    })?;
    let mut builder = Builder {
        opts: &opts,
        ids: Ids::new(),
        local: connected.local,
    };
    let mut sent = 0u32;
    let mut received = 0u32;
    let mut unexpected = 0u32;
    let mut rtts: Vec<f64> = Vec::new();
    let mut failure: Option<SignalError> = None;
    let mut interrupted = false;
    let what = match &opts.payload {
        Payload::Sip(m) => m.to_ascii_uppercase(),
        Payload::Raw(_) => "raw bytes".into(),
    };
    for seq in 1..=opts.count.max(1) {
        let round_start = tokio::time::Instant::now();
        let (bytes, sip_req) = match &opts.payload {
            Payload::Sip(method) => {
                let m = builder.request(method);
                (m.to_bytes(), Some(m))
            }
            Payload::Raw(b) => (b.clone(), None),
        };
        let start = Instant::now();
        if let Err(e) = link.send(&bytes).await {
            failure = Some(link_error(&addr, e));
            break;
        }
        sent += 1;
        let request = match &sip_req {
            Some(m) => m.method().unwrap_or("SIP").to_string(),
            None => "raw".to_string(),
        };
        let mut record = RoundRecord {
            seq,
            request,
            bytes: bytes.len(),
            result: "sent",
            status: None,
            reason: None,
            rtt_ms: None,
            provisional: Vec::new(),
            server: None,
            reply: None,
            reply_bytes: None,
        };
        if opts.wait {
            let deadline = round_start + opts.timeout;
            let waited = match &sip_req {
                Some(m) => {
                    let branch = m.top_branch().unwrap_or_default().to_string();
                    let method = m.method().unwrap_or_default().to_string();
                    tokio::select! {
                        r = await_sip(&mut link, &branch, &method, start, deadline, &opts.limits) => Some(r),
                        _ = ctx.cancel.cancelled() => None,
                    }
                }
                None => tokio::select! {
                    r = await_raw(&mut link, start, deadline, &opts.limits) => Some(r),
                    _ = ctx.cancel.cancelled() => None,
                },
            };
            match waited {
                None => {
                    interrupted = true;
                    break;
                }
                Some(Err(e)) => {
                    failure = Some(link_error(&addr, e));
                    record.result = "timeout";
                    ctx.reporter.emit(&record)?;
                    break;
                }
                Some(Ok(None)) => record.result = "timeout",
                Some(Ok(Some(reply))) => {
                    received += 1;
                    rtts.push(ms(reply.rtt));
                    let ok = match (sip_req.is_some(), reply.status) {
                        (true, Some(code)) => opts.expect.iter().any(|e| e.matches(code)),
                        _ => true,
                    };
                    if !ok {
                        unexpected += 1;
                    }
                    record.result = if ok { "ok" } else { "unexpected" };
                    record.status = reply.status;
                    record.reason = reply.reason;
                    record.rtt_ms = Some(ms(reply.rtt));
                    record.provisional = reply.provisional;
                    record.server = reply.server;
                    record.reply_bytes = reply.raw.as_ref().map(Vec::len);
                    record.reply = reply.raw.as_deref().map(preview);
                    if let (Some(inv), Some(fin)) = (&sip_req, &reply.final_msg)
                        && inv.method() == Some("INVITE")
                        && let Err(e) = finish_invite(&mut link, inv, fin, &opts, deadline).await
                    {
                        ctx.warn(&format!("could not end the call cleanly: {e}"));
                    }
                }
            }
        }
        ctx.reporter.emit(&record)?;
        ctx.reporter.flush()?;
        if seq < opts.count && !opts.interval.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep_until(round_start + opts.interval) => {}
                _ = ctx.cancel.cancelled() => { interrupted = true; break; }
            }
        }
    }
    link.close().await;
    let lost = sent.saturating_sub(received);
    let waited = opts.wait;
    let summary = SendSummary {
        target: opts.target.url(),
        transport: opts.target.transport,
        sent,
        received,
        lost: if waited { lost } else { 0 },
        loss_pct: if sent > 0 && waited {
            (f64::from(lost) * 1000.0 / f64::from(sent)).round() / 10.0
        } else {
            0.0
        },
        unexpected,
        rtt_ms: crate::signal::rtt_stats(&rtts),
        ok: failure.is_none() && (!waited || (lost == 0 && unexpected == 0)),
        interrupted,
        error: failure.as_ref().map(|e| e.to_string()),
    };
    ctx.reporter.finish(&summary, "voipctl signal send")?;
    if let Some(e) = failure {
        return Err(e.into_error());
    }
    if interrupted {
        return Ok(Outcome::Interrupted);
    }
    if waited && sent > 0 && received == 0 {
        return Err(SignalError::NoReply {
            addr,
            secs: opts.timeout.as_secs_f64(),
            what,
        }
        .into_error());
    }
    Ok(Outcome::from_failed(!summary.ok))
}

/// After a final response to our INVITE: ACK it, and hang up a call that was answered.
async fn finish_invite(
    link: &mut Link,
    invite: &Message,
    response: &Message,
    opts: &SendOptions,
    deadline: tokio::time::Instant,
) -> Result<(), LinkError> {
    let code = response.status().unwrap_or(0);
    if code < 300 {
        let ack = sip::ack_for(invite, response, Some(&sip::new_branch()));
        link.send(&ack.to_bytes()).await?;
        let mut bye = sip::ack_for(invite, response, Some(&sip::new_branch()));
        bye.start = sip::StartLine::Request {
            method: "BYE".into(),
            uri: match &invite.start {
                sip::StartLine::Request { uri, .. } => uri.clone(),
                sip::StartLine::Response { .. } => String::new(),
            },
        };
        let n = invite.cseq().map(|(n, _)| n).unwrap_or(1);
        bye.set("CSeq", format!("{} BYE", n.wrapping_add(1)));
        link.send(&bye.to_bytes()).await?;
        let branch = bye.top_branch().unwrap_or_default().to_string();
        let _ = await_sip(link, &branch, "BYE", Instant::now(), deadline, &opts.limits).await;
    } else {
        let ack = sip::ack_for(invite, response, None);
        link.send(&ack.to_bytes()).await?;
    }
    Ok(())
}
