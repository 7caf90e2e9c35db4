//! `voipctl signal serve`: the server end of an app's signalling connection. It holds every
//! connection, answers REGISTER/OPTIONS and CRLF keep-alives, logs connects, disconnects and
//! reconnects with their timing, and sends wake packets (INVITE or raw bytes) on a schedule or on
//! demand, recording whether and when the app answered: the legacy VoIP-socket wake test.
//!
//! Hostile peers are bounded: at most `--max-connections` peers per transport and
//! `--max-per-address` per address ([`crate::signal::budget`]: at the limit, a peer that has not yet sent
//! one complete message makes room for a newcomer; one that has is never dropped for one), one
//! bounded message per peer ([`Limits`]), a deadline for each message and handshake
//! (`--message-timeout`), write timeouts.

use crate::context::{Ctx, Outcome};
use crate::report::{Body, Output, Record, Style, SummaryRecord};
use crate::signal::budget::{Admit, Budget, Seat};
use crate::signal::net::{self, Link, LinkError, ServerCert, StreamLink, datagram_frame};
use crate::signal::session::{Note, Out, Session, opt_ms};
use crate::signal::{SignalError, WakeKind, ms, now_rfc3339};
use crate::sip::{Limits, Transport};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;

/// One listening socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    /// Transport.
    pub transport: Transport,
    /// Address (port 0: any free port, reported in the `listening` record).
    pub addr: SocketAddr,
}

impl Listen {
    /// Parse `udp://127.0.0.1:5060`, `tcp://…`, `tls://…`, `ws://…`, `wss://…` (a path is ignored).
    pub fn parse(s: &str) -> Result<Listen, String> {
        let t = crate::signal::Target::parse(s, None)?;
        if !s.contains("://") {
            return Err(format!(
                "{s:?}: give a scheme, e.g. tcp://127.0.0.1:5060 or udp://0.0.0.0:5060"
            ));
        }
        let ip: IpAddr = t
            .host
            .parse()
            .map_err(|_| format!("{:?} is not an IP address to listen on", t.host))?;
        Ok(Listen {
            transport: t.transport,
            addr: SocketAddr::new(ip, t.port),
        })
    }
}

/// Resolved options of `signal serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Sockets to listen on.
    pub listen: Vec<Listen>,
    /// TLS certificate chain (PEM); generated (self-signed) when absent.
    pub cert: Option<PathBuf>,
    /// TLS key (PEM).
    pub key: Option<PathBuf>,
    /// Write the (generated) certificate here, for clients' `--ca-cert`.
    pub write_cert: Option<PathBuf>,
    /// Wake packet.
    pub wake: WakeKind,
    /// Send a wake to every peer this often.
    pub wake_every: Option<Duration>,
    /// Read control lines from stdin (`wake`, `wake N`, `quit`).
    pub wake_on_stdin: bool,
    /// How long a wake waits for the app's answer.
    pub wake_timeout: Duration,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Most peers held at once, per transport.
    pub max_connections: usize,
    /// Most peers held at once from one IP address, per transport.
    pub max_per_address: usize,
    /// Deadline for one message (and for TLS/WebSocket handshakes).
    pub message_timeout: Duration,
    /// Drop a peer after this long without data (UDP peers default to 300 s).
    pub idle_timeout: Option<Duration>,
    /// Answer requests (off: only record them).
    pub answer: bool,
    /// Message bounds.
    pub limits: Limits,
}

const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
const UDP_IDLE: Duration = Duration::from_secs(300);
const REPORT_LIMIT: u64 = 20;

enum Event {
    Connected {
        id: u64,
        transport: Transport,
        peer: SocketAddr,
        tls: Option<String>,
        cmd: mpsc::Sender<Cmd>,
    },
    Rejected {
        transport: Transport,
        peer: SocketAddr,
        reason: String,
        evicted: bool,
    },
    Disconnected {
        id: u64,
        reason: String,
        messages: u64,
        keepalives: u64,
        evicted: bool,
    },
    Note {
        id: u64,
        note: Note,
    },
    Malformed {
        id: Option<u64>,
        transport: Transport,
        peer: SocketAddr,
        error: String,
    },
    Busy {
        id: u64,
    },
    Control(String),
}

#[derive(Debug)]
enum Cmd {
    Wake {
        id: u64,
        wake: u64,
        kind: Arc<WakeKind>,
    },
}

struct Shared {
    next_id: AtomicU64,
    opts: ServeOptions,
    events: mpsc::Sender<Event>,
}

/// The seats of one stream transport; a seated peer is evicted through its `Notify`.
type Seats = Arc<Mutex<Budget<Arc<Notify>>>>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The bookkeeping stays consistent even if a holder panicked mid-way (it cannot: no
    // operation on it panics), so a poisoned lock is used as it is.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Gives the seat back however a connection task ends (even when aborted).
struct SeatGuard {
    seats: Seats,
    seat: Seat,
}

impl Drop for SeatGuard {
    fn drop(&mut self) {
        lock(&self.seats).leave(self.seat);
    }
}

const EVICTED: &str =
    "dropped for a newcomer at the connection limit: no complete message sent yet";

// ---------------------------------------------------------------------------------------------
// Records

#[derive(Debug, Serialize, JsonSchema)]
pub struct ListeningRecord {
    transport: Transport,
    addr: String,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    cert: Option<String>,
}

impl Record for ListeningRecord {
    fn output(&self) -> Output<'_> {
        Output::Listening(self)
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        let cert = self
            .cert
            .as_deref()
            .map(|c| format!(" (certificate written to {c})"))
            .unwrap_or_default();
        writeln!(
            w,
            "{} {}{}",
            style.bold("listening on"),
            self.url,
            crate::sanitize::terminal(&cert)
        )
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConnectionRecord {
    /// `connect`, `disconnect` or `reject`.
    event: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    conn: Option<u64>,
    transport: Transport,
    peer: String,
    at_ms: f64,
    time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reconnect_after_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    held_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    messages: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keepalives: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls: Option<String>,
}

fn at(style: &Style, at_ms: f64) -> String {
    style.dim(&format!("{:>9.3}s", at_ms / 1000.0))
}

impl Record for ConnectionRecord {
    fn output(&self) -> Output<'_> {
        Output::Connection(self)
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        let who = format!(
            "#{} {} {}",
            self.conn.map(|c| c.to_string()).unwrap_or("-".into()),
            self.transport,
            self.peer
        );
        let line = match self.event {
            "connect" => {
                let re = self
                    .reconnect_after_ms
                    .map(|r| format!(" (reconnect {:.3} s after the last disconnect)", r / 1000.0))
                    .unwrap_or_default();
                format!("{who} {}{re}", style.ok("connected"))
            }
            "disconnect" => {
                let counts = match (self.messages, self.keepalives) {
                    (Some(m), Some(k)) => format!(" ({m} messages, {k} keep-alives)"),
                    _ => String::new(),
                };
                format!(
                    "{who} {} after {:.3} s: {}{counts}",
                    style.warn("disconnected"),
                    self.held_ms.unwrap_or(0.0) / 1000.0,
                    crate::sanitize::terminal(self.reason.as_deref().unwrap_or(""))
                )
            }
            _ => format!(
                "{who} {}: {}",
                style.error("rejected"),
                crate::sanitize::terminal(self.reason.as_deref().unwrap_or(""))
            ),
        };
        writeln!(w, "{} {line}", at(style, self.at_ms))
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RequestRecord {
    conn: u64,
    method: String,
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<String>,
    at_ms: f64,
}

impl Record for RequestRecord {
    fn output(&self) -> Output<'_> {
        Output::Request(self)
    }
    fn detail(&self) -> bool {
        true
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        let status = self
            .status
            .map(|s| format!(" → {s}"))
            .unwrap_or_else(|| " (not answered)".into());
        writeln!(
            w,
            "{} #{} {} {}{status}",
            at(style, self.at_ms),
            self.conn,
            crate::sanitize::terminal(&self.method),
            crate::sanitize::terminal(&self.uri)
        )
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct KeepAliveRecord {
    conn: u64,
    at_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    interval_ms: Option<f64>,
}

impl Record for KeepAliveRecord {
    fn output(&self) -> Output<'_> {
        Output::Keepalive(self)
    }
    fn detail(&self) -> bool {
        true
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        let every = self
            .interval_ms
            .map(|i| format!(" ({:.3} s after the previous one)", i / 1000.0))
            .unwrap_or_default();
        writeln!(
            w,
            "{} #{} keep-alive ping → pong{every}",
            at(style, self.at_ms),
            self.conn
        )
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct WakeRecord {
    /// `sent`, `answered` or `unanswered`.
    event: &'static str,
    wake: u64,
    conn: u64,
    transport: Transport,
    peer: String,
    at_ms: f64,
    time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answered_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    final_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    final_ms: Option<f64>,
}

impl Record for WakeRecord {
    fn output(&self) -> Output<'_> {
        Output::Wake(self)
    }
    fn junit(&self) -> Option<crate::report::Case> {
        use crate::report::CaseOutcome;
        let outcome = match self.event {
            "answered" => CaseOutcome::Pass,
            "unanswered" => CaseOutcome::Fail {
                message: "the app did not answer the wake".into(),
                text: format!(
                    "connection #{} ({} {})",
                    self.conn, self.transport, self.peer
                ),
            },
            _ => return None,
        };
        Some(crate::report::Case {
            class: "signal serve".into(),
            name: format!("wake {} → #{}", self.wake, self.conn),
            time: self.answered_ms.map(|ms| ms / 1000.0),
            outcome,
        })
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        let head = format!(
            "{} wake {} → #{}",
            at(style, self.at_ms),
            self.wake,
            self.conn
        );
        match self.event {
            "sent" => writeln!(
                w,
                "{head} {} ({})",
                style.info("sent"),
                self.payload.as_deref().unwrap_or("")
            ),
            "answered" => {
                let fin = match (self.final_status, self.final_ms) {
                    (Some(s), Some(f)) => format!("; final {s} after {f:.3} ms"),
                    _ => String::new(),
                };
                writeln!(
                    w,
                    "{head} {} in {:.3} ms: {}{fin}",
                    style.ok("answered"),
                    self.answered_ms.unwrap_or(0.0),
                    crate::sanitize::terminal(self.answer.as_deref().unwrap_or(""))
                )
            }
            _ => writeln!(w, "{head} {}", style.error("not answered")),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MalformedRecord {
    #[serde(skip_serializing_if = "Option::is_none")]
    conn: Option<u64>,
    transport: Transport,
    peer: String,
    error: String,
    at_ms: f64,
}

impl Record for MalformedRecord {
    fn output(&self) -> Output<'_> {
        Output::Malformed(self)
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        writeln!(
            w,
            "{} {} {} {}: {}",
            at(style, self.at_ms),
            self.transport,
            self.peer,
            style.warn("sent something that is not SIP"),
            crate::sanitize::terminal(&self.error)
        )
    }
}

#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct ServeSummary {
    duration_ms: f64,
    connections: u64,
    reconnects: u64,
    disconnects: u64,
    rejected: u64,
    evicted: u64,
    requests: u64,
    keepalives: u64,
    malformed: u64,
    wakes_sent: u64,
    wakes_answered: u64,
    wakes_unanswered: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    wake_answer_ms: Option<crate::signal::RttStats>,
    /// Every wake answered (the summary's `outcome`).
    #[serde(skip)]
    ok: bool,
    #[serde(skip)]
    interrupted: bool,
}

impl SummaryRecord for ServeSummary {
    fn body(&self) -> Body<'_> {
        Body::SignalServe(self)
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
            "--- {:.1} s: {} connections ({} reconnects, {} rejected{}), {} requests, {} keep-alives",
            self.duration_ms / 1000.0,
            self.connections,
            self.reconnects,
            self.rejected,
            if self.evicted > 0 {
                format!(", {} dropped for newcomers", self.evicted)
            } else {
                String::new()
            },
            self.requests,
            self.keepalives
        );
        writeln!(w, "{}", style.bold(&head))?;
        if self.wakes_sent > 0 {
            let line = format!(
                "wakes: {} sent, {} answered, {} not answered",
                self.wakes_sent, self.wakes_answered, self.wakes_unanswered
            );
            let line = if self.wakes_unanswered > 0 {
                style.error(&line)
            } else {
                style.ok(&line)
            };
            write!(w, "{line}")?;
            if let Some(r) = &self.wake_answer_ms {
                write!(
                    w,
                    "; answer time min/avg/max = {:.3}/{:.3}/{:.3} ms",
                    crate::signal::stats::fig(r.min),
                    crate::signal::stats::fig(r.mean),
                    crate::signal::stats::fig(r.max)
                )?;
            }
            writeln!(w)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Peers

async fn emit(shared: &Shared, ev: Event) {
    // The central loop is gone only when serve is ending; nothing left to tell.
    let _ = shared.events.send(ev).await;
}

async fn write_outs(link: &mut Link, out: &mut Vec<Out>) -> Result<(), String> {
    for (bytes, _) in out.drain(..) {
        match tokio::time::timeout(WRITE_TIMEOUT, link.send(&bytes)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(format!("write failed: {e}")),
            Err(_) => {
                return Err(format!(
                    "write timed out after {} s (peer not reading)",
                    WRITE_TIMEOUT.as_secs()
                ));
            }
        }
    }
    Ok(())
}

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionReset => "reset by peer".into(),
        io::ErrorKind::ConnectionAborted => "aborted".into(),
        io::ErrorKind::UnexpectedEof => "closed by peer mid-stream".into(),
        _ => e.to_string(),
    }
}

async fn sleep_opt(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}

/// Set up TLS and/or WebSocket on an accepted TCP connection.
#[allow(clippy::result_large_err)] // the WebSocket callback's error type is tungstenite's
async fn handshake(
    tcp: TcpStream,
    transport: Transport,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: &Shared,
) -> Result<(Link, Option<String>), String> {
    let _ = tcp.set_nodelay(true);
    let limits = shared.opts.limits;
    let mut tls_info = None;
    let io: Box<dyn net::Io> = match (transport.is_tls(), tls) {
        (true, Some(acceptor)) => {
            let s = acceptor
                .accept(tcp)
                .await
                .map_err(|e| format!("TLS handshake failed: {e}"))?;
            let (_, conn) = s.get_ref();
            tls_info = conn.protocol_version().map(|v| format!("{v:?}"));
            Box::new(s)
        }
        (true, None) => return Err("no TLS configuration".into()),
        (false, _) => Box::new(tcp),
    };
    let link = match transport {
        Transport::Ws | Transport::Wss => {
            use tokio_tungstenite::tungstenite::handshake::server::{
                ErrorResponse, Request, Response,
            };
            use tokio_tungstenite::tungstenite::http;
            let callback = |req: &Request, mut resp: Response| {
                let wants_sip = req
                    .headers()
                    .get_all("Sec-WebSocket-Protocol")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(','))
                    .any(|p| p.trim().eq_ignore_ascii_case("sip"));
                if wants_sip {
                    resp.headers_mut().insert(
                        "Sec-WebSocket-Protocol",
                        http::HeaderValue::from_static("sip"),
                    );
                    Ok(resp)
                } else {
                    let mut err = ErrorResponse::new(Some(
                        "SIP over WebSocket needs Sec-WebSocket-Protocol: sip (RFC 7118)".into(),
                    ));
                    *err.status_mut() = http::StatusCode::BAD_REQUEST;
                    Err(err)
                }
            };
            let ws = tokio_tungstenite::accept_hdr_async_with_config(
                io,
                callback,
                Some(net::ws_config(&limits)),
            )
            .await
            .map_err(|e| format!("WebSocket handshake failed: {e}"))?;
            Link::Ws(Box::new(ws))
        }
        _ => Link::Stream(Box::new(StreamLink::new(
            io,
            limits,
            Some(shared.opts.message_timeout),
        ))),
    };
    Ok((link, tls_info))
}

async fn conn_task(
    tcp: TcpStream,
    peer: SocketAddr,
    transport: Transport,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    guard: SeatGuard,
    evict: Arc<Notify>,
) {
    let opts = &shared.opts;
    let local = tcp.local_addr().unwrap_or(peer);
    let handshake = tokio::time::timeout(
        opts.message_timeout,
        handshake(tcp, transport, tls, &shared),
    );
    let (reason, evicted) = tokio::select! {
        r = handshake => match r {
            Ok(Ok(l)) => (Ok(l), false),
            Ok(Err(reason)) => (Err(reason), false),
            Err(_) => (
                Err(format!(
                    "handshake not finished within {:.1} s",
                    opts.message_timeout.as_secs_f64()
                )),
                false,
            ),
        },
        _ = evict.notified() => (Err(EVICTED.to_string()), true),
    };
    let (mut link, tls_info) = match reason {
        Ok(l) => l,
        Err(reason) => {
            drop(guard);
            emit(
                &shared,
                Event::Rejected {
                    transport,
                    peer,
                    reason,
                    evicted,
                },
            )
            .await;
            return;
        }
    };
    let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
    let (cmd_tx, mut cmd_rx) = mpsc::channel::<Cmd>(4);
    emit(
        &shared,
        Event::Connected {
            id,
            transport,
            peer,
            tls: tls_info,
            cmd: cmd_tx,
        },
    )
    .await;
    let mut session = Session::new(transport, peer, local, opts.answer, opts.wake_timeout);
    let mut out: Vec<Out> = Vec::new();
    let mut notes: Vec<Note> = Vec::new();
    let mut last_rx = Instant::now();
    let mut spoke = false;
    let mut evicted = false;
    let reason = loop {
        let idle = opts.idle_timeout.map(|t| last_rx + t);
        tokio::select! {
            r = link.recv_frame(&opts.limits) => match r {
                Ok(Some(frame)) => {
                    last_rx = Instant::now();
                    if !spoke && matches!(frame, crate::sip::Frame::Message(_)) {
                        spoke = true;
                        lock(&guard.seats).spoke(guard.seat);
                    }
                    session.on_frame(frame, &mut out, &mut notes);
                    let written = write_outs(&mut link, &mut out).await;
                    for note in notes.drain(..) {
                        emit(&shared, Event::Note { id, note }).await;
                    }
                    if let Err(e) = written {
                        break e;
                    }
                }
                Ok(None) => break "closed by peer".to_string(),
                Err(LinkError::Parse(e)) => {
                    emit(&shared, Event::Malformed { id: Some(id), transport, peer, error: e.to_string() }).await;
                    break format!("malformed: {e}");
                }
                Err(LinkError::Io(e)) => break io_reason(&e),
                Err(e) => break e.to_string(),
            },
            // Only a peer that has not spoken can be chosen; one that has never is.
            _ = evict.notified(), if !spoke => {
                evicted = true;
                break EVICTED.to_string();
            }
            Some(Cmd::Wake { wake, kind, .. }) = cmd_rx.recv() => {
                match session.wake(wake, &kind) {
                    Some((bytes, note)) => {
                        emit(&shared, Event::Note { id, note }).await;
                        out.push((bytes, None));
                        if let Err(e) = write_outs(&mut link, &mut out).await {
                            break e;
                        }
                    }
                    None => emit(&shared, Event::Busy { id }).await,
                }
            }
            _ = sleep_opt(session.wake_deadline()) => {
                if let Some(note) = session.expire() {
                    emit(&shared, Event::Note { id, note }).await;
                }
            }
            _ = sleep_opt(idle) => {
                break format!("idle for {:.1} s", opts.idle_timeout.unwrap_or_default().as_secs_f64());
            }
        }
    };
    if let Some(note) = session.expire() {
        emit(&shared, Event::Note { id, note }).await;
    }
    if evicted {
        // Its seat is already someone else's: no lingering close.
        drop(link);
    } else {
        let _ = tokio::time::timeout(Duration::from_secs(1), link.close()).await;
    }
    drop(guard);
    emit(
        &shared,
        Event::Disconnected {
            id,
            reason,
            messages: session.messages,
            keepalives: session.keepalives,
            evicted,
        },
    )
    .await;
}

async fn accept_loop(
    listener: TcpListener,
    transport: Transport,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    seats: Seats,
) {
    let mut tasks = JoinSet::new();
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(_) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        while tasks.try_join_next().is_some() {}
        let evict = Arc::new(Notify::new());
        let admitted = lock(&seats).admit(peer.ip(), evict.clone());
        match admitted {
            Admit::Refused(why) => {
                drop(tcp);
                emit(
                    &shared,
                    Event::Rejected {
                        transport,
                        peer,
                        reason: why.to_string(),
                        evicted: false,
                    },
                )
                .await;
            }
            Admit::Seated { seat, evicted } => {
                if let Some(other) = evicted {
                    other.notify_one();
                }
                let guard = SeatGuard {
                    seats: seats.clone(),
                    seat,
                };
                tasks.spawn(conn_task(
                    tcp,
                    peer,
                    transport,
                    shared.clone(),
                    tls.clone(),
                    guard,
                    evict,
                ));
            }
        }
    }
}

struct UdpPeer {
    id: u64,
    seat: Seat,
    session: Session,
    last: Instant,
}

/// UDP peers are seated on their first well-formed datagram (a garbage datagram from a stranger
/// takes no seat); one whose first datagram was a SIP message has spoken, one that only sent
/// CRLF keep-alives has not and can make room for a newcomer.
async fn udp_loop(sock: UdpSocket, shared: Arc<Shared>) {
    let opts = &shared.opts;
    let local = sock
        .local_addr()
        .unwrap_or_else(|_| (IpAddr::from([0, 0, 0, 0]), 0).into());
    let (cmd_tx, mut cmd_rx) = mpsc::channel::<Cmd>(64);
    let mut peers: HashMap<SocketAddr, UdpPeer> = HashMap::new();
    let mut seats: Budget<SocketAddr> = Budget::new(opts.max_connections, opts.max_per_address);
    let mut buf = vec![0u8; net::MAX_DATAGRAM];
    let mut sweep = tokio::time::interval(Duration::from_millis(250));
    let idle = opts.idle_timeout.unwrap_or(UDP_IDLE);
    let mut out: Vec<Out> = Vec::new();
    let mut notes: Vec<Note> = Vec::new();
    loop {
        tokio::select! {
            r = sock.recv_from(&mut buf) => {
                let Ok((n, src)) = r else { continue };
                let known = peers.get(&src).map(|p| p.id);
                let frame = match datagram_frame(&buf[..n], &opts.limits) {
                    Ok(frame) => frame,
                    Err(e) => {
                        emit(&shared, Event::Malformed { id: known, transport: Transport::Udp, peer: src, error: e.to_string() }).await;
                        continue;
                    }
                };
                if known.is_none() {
                    let (seat, evicted) = match seats.admit(src.ip(), src) {
                        Admit::Seated { seat, evicted } => (seat, evicted),
                        Admit::Refused(why) => {
                            emit(&shared, Event::Rejected { transport: Transport::Udp, peer: src, reason: why.to_string(), evicted: false }).await;
                            continue;
                        }
                    };
                    if let Some(p) = evicted.and_then(|addr| peers.remove(&addr)) {
                        emit(&shared, Event::Disconnected { id: p.id, reason: EVICTED.into(), messages: p.session.messages, keepalives: p.session.keepalives, evicted: true }).await;
                    }
                    let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
                    peers.insert(src, UdpPeer {
                        id,
                        seat,
                        session: Session::new(Transport::Udp, src, local, opts.answer, opts.wake_timeout),
                        last: Instant::now(),
                    });
                    emit(&shared, Event::Connected { id, transport: Transport::Udp, peer: src, tls: None, cmd: cmd_tx.clone() }).await;
                }
                let Some(p) = peers.get_mut(&src) else { continue };
                p.last = Instant::now();
                if matches!(frame, crate::sip::Frame::Message(_)) {
                    seats.spoke(p.seat);
                }
                p.session.on_frame(frame, &mut out, &mut notes);
                let id = p.id;
                for (bytes, to) in out.drain(..) {
                    let _ = sock.send_to(&bytes, to.unwrap_or(src)).await;
                }
                for note in notes.drain(..) {
                    emit(&shared, Event::Note { id, note }).await;
                }
            }
            Some(Cmd::Wake { id, wake, kind }) = cmd_rx.recv() => {
                let Some((addr, p)) = peers.iter_mut().find(|(_, p)| p.id == id) else { continue };
                let addr = *addr;
                match p.session.wake(wake, &kind) {
                    Some((bytes, note)) => {
                        emit(&shared, Event::Note { id, note }).await;
                        let _ = sock.send_to(&bytes, addr).await;
                    }
                    None => emit(&shared, Event::Busy { id }).await,
                }
            }
            _ = sweep.tick() => {
                let now = Instant::now();
                let mut gone = Vec::new();
                for (addr, p) in peers.iter_mut() {
                    if p.session.wake_deadline().is_some_and(|d| d <= now)
                        && let Some(note) = p.session.expire()
                    {
                        emit(&shared, Event::Note { id: p.id, note }).await;
                    }
                    if now.duration_since(p.last) >= idle && !p.session.wake_pending() {
                        gone.push(*addr);
                    }
                }
                for addr in gone {
                    if let Some(p) = peers.remove(&addr) {
                        seats.leave(p.seat);
                        let reason = format!("no datagram for {:.1} s", idle.as_secs_f64());
                        emit(&shared, Event::Disconnected { id: p.id, reason, messages: p.session.messages, keepalives: p.session.keepalives, evicted: false }).await;
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The central loop

struct Held {
    transport: Transport,
    peer: SocketAddr,
    since: Instant,
    cmd: mpsc::Sender<Cmd>,
    last_keepalive: Option<Instant>,
}

struct PendingWake {
    conn: u64,
    transport: Transport,
    peer: SocketAddr,
}

struct Central {
    start: Instant,
    held: BTreeMap<u64, Held>,
    last_disconnect: HashMap<(IpAddr, Transport), Instant>,
    pending: BTreeMap<u64, PendingWake>,
    next_wake: u64,
    answer_ms: Vec<f64>,
    kind: Arc<WakeKind>,
    summary: ServeSummary,
    stop: bool,
}

impl Central {
    fn at_ms(&self) -> f64 {
        ms(self.start.elapsed())
    }

    fn wake(&mut self, ctx: &mut Ctx, only: Option<u64>) {
        let targets: Vec<u64> = self
            .held
            .keys()
            .copied()
            .filter(|id| only.is_none_or(|o| o == *id))
            .collect();
        if targets.is_empty() {
            ctx.warn(&match only {
                Some(id) => format!("no connection #{id} to wake"),
                None => "no connection to wake yet".into(),
            });
            return;
        }
        for id in targets {
            let Some(h) = self.held.get(&id) else {
                continue;
            };
            self.next_wake += 1;
            let cmd = Cmd::Wake {
                id,
                wake: self.next_wake,
                kind: self.kind.clone(),
            };
            if h.cmd.try_send(cmd).is_err() {
                ctx.warn(&format!("connection #{id} is busy; wake skipped"));
            }
        }
    }

    fn control(&mut self, ctx: &mut Ctx, line: &str) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (None, _) | (Some("wake"), None) => self.wake(ctx, None),
            (Some("wake"), Some(n)) => match n.trim_start_matches('#').parse() {
                Ok(id) => self.wake(ctx, Some(id)),
                Err(_) => ctx.warn(&format!(
                    "`wake {n}`: give a connection number, e.g. `wake 1`"
                )),
            },
            (Some("quit" | "stop" | "exit"), _) => self.stop = true,
            (Some(other), _) => ctx.warn(&format!(
                "unknown control command {other:?}: use `wake`, `wake N` or `quit`"
            )),
        }
    }

    fn handle(&mut self, ctx: &mut Ctx, ev: Event) -> io::Result<()> {
        let at_ms = self.at_ms();
        match ev {
            Event::Connected {
                id,
                transport,
                peer,
                tls,
                cmd,
            } => {
                let now = Instant::now();
                let reconnect = self
                    .last_disconnect
                    .get(&(peer.ip(), transport))
                    .map(|t| ms(now.duration_since(*t)));
                self.summary.connections += 1;
                if reconnect.is_some() {
                    self.summary.reconnects += 1;
                }
                self.held.insert(
                    id,
                    Held {
                        transport,
                        peer,
                        since: now,
                        cmd,
                        last_keepalive: None,
                    },
                );
                ctx.reporter.emit(&ConnectionRecord {
                    event: "connect",
                    conn: Some(id),
                    transport,
                    peer: peer.to_string(),
                    at_ms,
                    time: now_rfc3339(),
                    reconnect_after_ms: reconnect,
                    held_ms: None,
                    reason: None,
                    messages: None,
                    keepalives: None,
                    tls,
                })?;
            }
            Event::Rejected {
                transport,
                peer,
                reason,
                evicted,
            } => {
                if evicted {
                    self.summary.evicted += 1;
                } else {
                    self.summary.rejected += 1;
                }
                if self.summary.rejected + self.summary.evicted <= REPORT_LIMIT {
                    ctx.reporter.emit(&ConnectionRecord {
                        event: "reject",
                        conn: None,
                        transport,
                        peer: peer.to_string(),
                        at_ms,
                        time: now_rfc3339(),
                        reconnect_after_ms: None,
                        held_ms: None,
                        reason: Some(reason),
                        messages: None,
                        keepalives: None,
                        tls: None,
                    })?;
                }
            }
            Event::Disconnected {
                id,
                reason,
                messages,
                keepalives,
                evicted,
            } => {
                if evicted {
                    self.summary.evicted += 1;
                }
                if let Some(h) = self.held.remove(&id) {
                    self.disconnected(ctx, id, h, reason, Some((messages, keepalives)))?;
                }
            }
            Event::Note { id, note } => self.note(ctx, id, note, at_ms)?,
            Event::Malformed {
                id,
                transport,
                peer,
                error,
            } => {
                self.summary.malformed += 1;
                if self.summary.malformed <= REPORT_LIMIT {
                    ctx.reporter.emit(&MalformedRecord {
                        conn: id,
                        transport,
                        peer: peer.to_string(),
                        error,
                        at_ms,
                    })?;
                }
            }
            Event::Busy { id } => {
                ctx.warn(&format!(
                    "connection #{id} has not answered the previous wake yet; wake skipped"
                ));
            }
            Event::Control(line) => self.control(ctx, line.trim()),
        }
        Ok(())
    }

    fn disconnected(
        &mut self,
        ctx: &mut Ctx,
        id: u64,
        h: Held,
        reason: String,
        counts: Option<(u64, u64)>,
    ) -> io::Result<()> {
        let now = Instant::now();
        self.summary.disconnects += 1;
        if self.last_disconnect.len() > 4096 {
            self.last_disconnect.clear();
        }
        self.last_disconnect.insert((h.peer.ip(), h.transport), now);
        ctx.reporter.emit(&ConnectionRecord {
            event: "disconnect",
            conn: Some(id),
            transport: h.transport,
            peer: h.peer.to_string(),
            at_ms: self.at_ms(),
            time: now_rfc3339(),
            reconnect_after_ms: None,
            held_ms: Some(ms(now.duration_since(h.since))),
            reason: Some(reason),
            messages: counts.map(|c| c.0),
            keepalives: counts.map(|c| c.1),
            tls: None,
        })
    }

    fn note(&mut self, ctx: &mut Ctx, id: u64, note: Note, at_ms: f64) -> io::Result<()> {
        match note {
            Note::Request {
                method,
                uri,
                status,
                user_agent,
            } => {
                self.summary.requests += 1;
                ctx.reporter.emit(&RequestRecord {
                    conn: id,
                    method,
                    uri,
                    status,
                    user_agent,
                    at_ms,
                })?;
            }
            Note::KeepAlive => {
                self.summary.keepalives += 1;
                let now = Instant::now();
                let interval_ms = self.held.get_mut(&id).and_then(|h| {
                    let prev = h.last_keepalive.replace(now);
                    prev.map(|p| ms(now.duration_since(p)))
                });
                ctx.reporter.emit(&KeepAliveRecord {
                    conn: id,
                    at_ms,
                    interval_ms,
                })?;
            }
            Note::WakeSent { wake, what } => {
                self.summary.wakes_sent += 1;
                let (transport, peer) = self
                    .held
                    .get(&id)
                    .map(|h| (h.transport, h.peer))
                    .unwrap_or((Transport::Udp, SocketAddr::from(([0, 0, 0, 0], 0))));
                self.pending.insert(
                    wake,
                    PendingWake {
                        conn: id,
                        transport,
                        peer,
                    },
                );
                ctx.reporter.emit(&WakeRecord {
                    event: "sent",
                    wake,
                    conn: id,
                    transport,
                    peer: peer.to_string(),
                    at_ms,
                    time: now_rfc3339(),
                    payload: Some(what),
                    answered_ms: None,
                    answer: None,
                    final_status: None,
                    final_ms: None,
                })?;
            }
            Note::WakeDone {
                wake,
                answered,
                answer,
                final_status,
                final_after,
            } => {
                let Some(p) = self.pending.remove(&wake) else {
                    return Ok(());
                };
                let event = if answered.is_some() {
                    self.summary.wakes_answered += 1;
                    if let Some(a) = answered {
                        self.answer_ms.push(ms(a));
                    }
                    "answered"
                } else {
                    self.summary.wakes_unanswered += 1;
                    "unanswered"
                };
                ctx.reporter.emit(&WakeRecord {
                    event,
                    wake,
                    conn: p.conn,
                    transport: p.transport,
                    peer: p.peer.to_string(),
                    at_ms,
                    time: now_rfc3339(),
                    payload: None,
                    answered_ms: opt_ms(answered),
                    answer,
                    final_status,
                    final_ms: opt_ms(final_after),
                })?;
            }
        }
        Ok(())
    }
}

/// Run `voipctl signal serve`.
pub async fn run_serve(ctx: &mut Ctx, opts: ServeOptions) -> crate::Result<Outcome> {
    let needs_tls = opts.listen.iter().any(|l| l.transport.is_tls());
    let mut written_cert = None;
    let acceptor = if needs_tls {
        let cert = match (&opts.cert, &opts.key) {
            (Some(c), Some(k)) => ServerCert::load(c, k),
            _ => ServerCert::generate(),
        }
        .map_err(SignalError::into_error)?;
        if let Some(path) = &opts.write_cert {
            std::fs::write(path, &cert.pem).map_err(|e| {
                crate::Error::output_file(SignalError::Cert {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })
            })?;
            written_cert = Some(path.display().to_string());
        }
        let config = cert.server_config().map_err(SignalError::into_error)?;
        Some(tokio_rustls::TlsAcceptor::from(config))
    } else {
        None
    };
    let (tx, mut rx) = mpsc::channel::<Event>(1024);
    let shared = Arc::new(Shared {
        next_id: AtomicU64::new(1),
        opts: opts.clone(),
        events: tx.clone(),
    });
    let mut tasks = JoinSet::new();
    // One budget per stream transport, shared by its listeners (UDP loops keep their own).
    let mut budgets: HashMap<Transport, Seats> = HashMap::new();
    for l in &opts.listen {
        let listen_err = |e: io::Error| {
            SignalError::Listen {
                addr: format!("{}://{}", l.transport, l.addr),
                source: e,
            }
            .into_error()
        };
        let bound = if l.transport == Transport::Udp {
            let sock = UdpSocket::bind(l.addr).await.map_err(listen_err)?;
            let addr = sock.local_addr().map_err(listen_err)?;
            tasks.spawn(udp_loop(sock, shared.clone()));
            addr
        } else {
            let listener = TcpListener::bind(l.addr).await.map_err(listen_err)?;
            let addr = listener.local_addr().map_err(listen_err)?;
            let tls = if l.transport.is_tls() {
                acceptor.clone()
            } else {
                None
            };
            let seats = budgets
                .entry(l.transport)
                .or_insert_with(|| {
                    Arc::new(Mutex::new(Budget::new(
                        opts.max_connections,
                        opts.max_per_address,
                    )))
                })
                .clone();
            tasks.spawn(accept_loop(
                listener,
                l.transport,
                shared.clone(),
                tls,
                seats,
            ));
            addr
        };
        ctx.reporter.emit(&ListeningRecord {
            transport: l.transport,
            addr: bound.to_string(),
            url: format!("{}://{bound}", l.transport),
            cert: if l.transport.is_tls() {
                written_cert.clone()
            } else {
                None
            },
        })?;
    }
    ctx.reporter.flush()?;
    if opts.wake_on_stdin {
        let tx = tx.clone();
        tasks.spawn(async move {
            use tokio::io::AsyncBufReadExt;
            let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if tx.send(Event::Control(line)).await.is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let mut central = Central {
        start: Instant::now(),
        held: BTreeMap::new(),
        last_disconnect: HashMap::new(),
        pending: BTreeMap::new(),
        next_wake: 0,
        answer_ms: Vec::new(),
        kind: Arc::new(opts.wake.clone()),
        summary: ServeSummary {
            ..ServeSummary::default()
        },
        stop: false,
    };
    let end = opts.duration.map(|d| central.start + d);
    let mut wake_timer = opts
        .wake_every
        .map(|every| tokio::time::interval_at(tokio::time::Instant::now() + every, every));
    let mut interrupted = false;
    while !central.stop {
        tokio::select! {
            ev = rx.recv() => match ev {
                Some(ev) => central.handle(ctx, ev)?,
                None => break,
            },
            _ = async {
                match &mut wake_timer {
                    Some(t) => { t.tick().await; }
                    None => std::future::pending::<()>().await,
                }
            } => central.wake(ctx, None),
            _ = sleep_opt(end) => break,
            _ = ctx.cancel.cancelled() => { interrupted = true; break; }
        }
        ctx.reporter.flush()?;
    }
    tasks.abort_all();
    // Whatever was queued before the stop still counts.
    while let Ok(ev) = rx.try_recv() {
        if !matches!(ev, Event::Control(_)) {
            central.handle(ctx, ev)?;
        }
    }
    let pending: Vec<u64> = central.pending.keys().copied().collect();
    for wake in pending {
        central.note(
            ctx,
            0,
            Note::WakeDone {
                wake,
                answered: None,
                answer: None,
                final_status: None,
                final_after: None,
            },
            central.at_ms(),
        )?;
    }
    let held: Vec<u64> = central.held.keys().copied().collect();
    for id in held {
        if let Some(h) = central.held.remove(&id) {
            central.disconnected(ctx, id, h, "server stopped".into(), None)?;
        }
    }
    let mut summary = std::mem::take(&mut central.summary);
    summary.duration_ms = central.at_ms();
    summary.wake_answer_ms = crate::signal::rtt_stats(&central.answer_ms);
    summary.ok = summary.wakes_unanswered == 0;
    summary.interrupted = interrupted;
    ctx.reporter.finish(&summary, "voipctl signal serve")?;
    if interrupted {
        return Ok(Outcome::Interrupted);
    }
    Ok(Outcome::from_failed(!summary.ok))
}
