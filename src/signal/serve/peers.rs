//! The socket tasks of `signal serve`: accepting (TCP, TLS, WebSocket) and reading datagrams
//! (UDP), the seat budget per transport, one task per stream peer running its SIP session. They
//! tell the central state ([`super::central`]) what happened through [`Event`]s.

use super::{Cmd, Event, ServeOptions, sleep_opt};
use crate::signal::budget::{Admit, Budget, Seat};
use crate::signal::net::{self, Link, LinkError, StreamLink, datagram_frame};
use crate::signal::session::{Note, Out, Session};
use crate::sip::Transport;
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;

const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
const UDP_IDLE: Duration = Duration::from_secs(300);

/// What every socket task shares.
pub(super) struct Shared {
    pub(super) next_id: AtomicU64,
    pub(super) opts: ServeOptions,
    pub(super) events: mpsc::Sender<Event>,
}

/// The seats of one stream transport; a seated peer is evicted through its `Notify`.
pub(super) type Seats = Arc<Mutex<Budget<Arc<Notify>>>>;

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

pub(super) async fn accept_loop(
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
pub(super) async fn udp_loop(sock: UdpSocket, shared: Arc<Shared>) {
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
