//! The per-peer state machine of `signal serve`: which peers are held, since when, their
//! keep-alive cadence, the wakes sent and waiting for an answer, reconnect times, and the counts
//! of the summary. The socket tasks ([`super::peers`]) feed it [`Event`]s; what it concludes comes
//! out as [`Happening`]s (plain data: the command layer makes records of them).

use super::{Cmd, Event};
use crate::signal::session::{Note, opt_ms};
use crate::signal::{WakeKind, ms, now_rfc3339};
use crate::sip::Transport;
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;

/// Rejections (and malformed messages) reported one by one; beyond, only counted.
const REPORT_LIMIT: u64 = 20;

/// What the server concluded from an event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Happening {
    /// A peer connected (`connect`), left (`disconnect`) or was turned away (`reject`).
    Connection {
        event: &'static str,
        conn: Option<u64>,
        transport: Transport,
        peer: SocketAddr,
        at_ms: f64,
        time: String,
        reconnect_after_ms: Option<f64>,
        held_ms: Option<f64>,
        reason: Option<String>,
        messages: Option<u64>,
        keepalives: Option<u64>,
        tls: Option<String>,
    },
    /// A request from a peer (answered unless `--no-answer`).
    Request {
        conn: u64,
        method: String,
        uri: String,
        status: Option<u16>,
        user_agent: Option<String>,
        at_ms: f64,
    },
    /// A keep-alive, with the time since the peer's previous one.
    KeepAlive {
        conn: u64,
        at_ms: f64,
        interval_ms: Option<f64>,
    },
    /// A wake `sent`, `answered` or `unanswered`.
    Wake {
        event: &'static str,
        wake: u64,
        conn: u64,
        transport: Transport,
        peer: SocketAddr,
        at_ms: f64,
        time: String,
        payload: Option<String>,
        answered_ms: Option<f64>,
        answer: Option<String>,
        final_status: Option<u16>,
        final_ms: Option<f64>,
    },
    /// Bytes that are not a message.
    Malformed {
        conn: Option<u64>,
        transport: Transport,
        peer: SocketAddr,
        error: String,
        at_ms: f64,
    },
    /// Something for the user on stderr (a wake that could not be sent, a bad control line).
    Warning(String),
}

/// The counts of the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) connections: u64,
    pub(crate) reconnects: u64,
    pub(crate) disconnects: u64,
    pub(crate) rejected: u64,
    pub(crate) evicted: u64,
    pub(crate) requests: u64,
    pub(crate) keepalives: u64,
    pub(crate) malformed: u64,
    pub(crate) wakes_sent: u64,
    pub(crate) wakes_answered: u64,
    pub(crate) wakes_unanswered: u64,
}

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

/// The state of every peer, fed one [`Event`] at a time by the socket tasks.
pub(crate) struct Central {
    start: Instant,
    held: BTreeMap<u64, Held>,
    last_disconnect: HashMap<(IpAddr, Transport), Instant>,
    pending: BTreeMap<u64, PendingWake>,
    next_wake: u64,
    /// Answer times of the answered wakes (ms).
    pub(crate) answer_ms: Vec<f64>,
    kind: Arc<WakeKind>,
    /// The counts so far.
    pub(crate) tally: Tally,
    /// A `quit` control line was read.
    pub(crate) stop: bool,
}

impl Central {
    /// A central state for wakes of this kind; its clock starts now.
    pub(crate) fn new(kind: WakeKind) -> Central {
        Central {
            start: Instant::now(),
            held: BTreeMap::new(),
            last_disconnect: HashMap::new(),
            pending: BTreeMap::new(),
            next_wake: 0,
            answer_ms: Vec::new(),
            kind: Arc::new(kind),
            tally: Tally::default(),
            stop: false,
        }
    }

    /// When the server started.
    pub(crate) fn start(&self) -> Instant {
        self.start
    }

    /// Milliseconds since the server started.
    pub(crate) fn at_ms(&self) -> f64 {
        ms(self.start.elapsed())
    }

    /// The server stops: wakes still waiting end unanswered, held peers are disconnected.
    pub(crate) fn finish(&mut self, out: &mut Vec<Happening>) {
        let pending: Vec<u64> = self.pending.keys().copied().collect();
        for wake in pending {
            let at_ms = self.at_ms();
            self.note(
                out,
                0,
                Note::WakeDone {
                    wake,
                    answered: None,
                    answer: None,
                    final_status: None,
                    final_after: None,
                },
                at_ms,
            );
        }
        let held: Vec<u64> = self.held.keys().copied().collect();
        for id in held {
            if let Some(h) = self.held.remove(&id) {
                self.disconnected(out, id, h, "server stopped".into(), None);
            }
        }
    }

    /// Send a wake to every held peer, or to `only`.
    pub(crate) fn wake(&mut self, out: &mut Vec<Happening>, only: Option<u64>) {
        let targets: Vec<u64> = self
            .held
            .keys()
            .copied()
            .filter(|id| only.is_none_or(|o| o == *id))
            .collect();
        if targets.is_empty() {
            out.push(Happening::Warning(match only {
                Some(id) => format!("no connection #{id} to wake"),
                None => "no connection to wake yet".into(),
            }));
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
                out.push(Happening::Warning(format!(
                    "connection #{id} is busy; wake skipped"
                )));
            }
        }
    }

    fn control(&mut self, out: &mut Vec<Happening>, line: &str) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (None, _) | (Some("wake"), None) => self.wake(out, None),
            (Some("wake"), Some(n)) => match n.trim_start_matches('#').parse() {
                Ok(id) => self.wake(out, Some(id)),
                Err(_) => out.push(Happening::Warning(format!(
                    "`wake {n}`: give a connection number, e.g. `wake 1`"
                ))),
            },
            (Some("quit" | "stop" | "exit"), _) => self.stop = true,
            (Some(other), _) => out.push(Happening::Warning(format!(
                "unknown control command {other:?}: use `wake`, `wake N` or `quit`"
            ))),
        }
    }

    /// One event from the socket tasks.
    pub(crate) fn handle(&mut self, out: &mut Vec<Happening>, ev: Event) {
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
                self.tally.connections += 1;
                if reconnect.is_some() {
                    self.tally.reconnects += 1;
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
                out.push(Happening::Connection {
                    event: "connect",
                    conn: Some(id),
                    transport,
                    peer,
                    at_ms,
                    time: now_rfc3339(),
                    reconnect_after_ms: reconnect,
                    held_ms: None,
                    reason: None,
                    messages: None,
                    keepalives: None,
                    tls,
                });
            }
            Event::Rejected {
                transport,
                peer,
                reason,
                evicted,
            } => {
                if evicted {
                    self.tally.evicted += 1;
                } else {
                    self.tally.rejected += 1;
                }
                if self.tally.rejected + self.tally.evicted <= REPORT_LIMIT {
                    out.push(Happening::Connection {
                        event: "reject",
                        conn: None,
                        transport,
                        peer,
                        at_ms,
                        time: now_rfc3339(),
                        reconnect_after_ms: None,
                        held_ms: None,
                        reason: Some(reason),
                        messages: None,
                        keepalives: None,
                        tls: None,
                    });
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
                    self.tally.evicted += 1;
                }
                if let Some(h) = self.held.remove(&id) {
                    self.disconnected(out, id, h, reason, Some((messages, keepalives)));
                }
            }
            Event::Note { id, note } => self.note(out, id, note, at_ms),
            Event::Malformed {
                id,
                transport,
                peer,
                error,
            } => {
                self.tally.malformed += 1;
                if self.tally.malformed <= REPORT_LIMIT {
                    out.push(Happening::Malformed {
                        conn: id,
                        transport,
                        peer,
                        error,
                        at_ms,
                    });
                }
            }
            Event::Busy { id } => {
                out.push(Happening::Warning(format!(
                    "connection #{id} has not answered the previous wake yet; wake skipped"
                )));
            }
            Event::Control(line) => self.control(out, line.trim()),
        }
    }

    fn disconnected(
        &mut self,
        out: &mut Vec<Happening>,
        id: u64,
        h: Held,
        reason: String,
        counts: Option<(u64, u64)>,
    ) {
        let now = Instant::now();
        self.tally.disconnects += 1;
        if self.last_disconnect.len() > 4096 {
            self.last_disconnect.clear();
        }
        self.last_disconnect.insert((h.peer.ip(), h.transport), now);
        out.push(Happening::Connection {
            event: "disconnect",
            conn: Some(id),
            transport: h.transport,
            peer: h.peer,
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

    fn note(&mut self, out: &mut Vec<Happening>, id: u64, note: Note, at_ms: f64) {
        match note {
            Note::Request {
                method,
                uri,
                status,
                user_agent,
            } => {
                self.tally.requests += 1;
                out.push(Happening::Request {
                    conn: id,
                    method,
                    uri,
                    status,
                    user_agent,
                    at_ms,
                });
            }
            Note::KeepAlive => {
                self.tally.keepalives += 1;
                let now = Instant::now();
                let interval_ms = self.held.get_mut(&id).and_then(|h| {
                    let prev = h.last_keepalive.replace(now);
                    prev.map(|p| ms(now.duration_since(p)))
                });
                out.push(Happening::KeepAlive {
                    conn: id,
                    at_ms,
                    interval_ms,
                });
            }
            Note::WakeSent { wake, what } => {
                self.tally.wakes_sent += 1;
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
                out.push(Happening::Wake {
                    event: "sent",
                    wake,
                    conn: id,
                    transport,
                    peer,
                    at_ms,
                    time: now_rfc3339(),
                    payload: Some(what),
                    answered_ms: None,
                    answer: None,
                    final_status: None,
                    final_ms: None,
                });
            }
            Note::WakeDone {
                wake,
                answered,
                answer,
                final_status,
                final_after,
            } => {
                let Some(p) = self.pending.remove(&wake) else {
                    return;
                };
                let event = if answered.is_some() {
                    self.tally.wakes_answered += 1;
                    if let Some(a) = answered {
                        self.answer_ms.push(ms(a));
                    }
                    "answered"
                } else {
                    self.tally.wakes_unanswered += 1;
                    "unanswered"
                };
                out.push(Happening::Wake {
                    event,
                    wake,
                    conn: p.conn,
                    transport: p.transport,
                    peer: p.peer,
                    at_ms,
                    time: now_rfc3339(),
                    payload: None,
                    answered_ms: opt_ms(answered),
                    answer,
                    final_status,
                    final_ms: opt_ms(final_after),
                });
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn peer(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn connect(c: &mut Central, id: u64, port: u16) -> (Vec<Happening>, mpsc::Receiver<Cmd>) {
        let (cmd, rx) = mpsc::channel(4);
        let mut out = Vec::new();
        c.handle(
            &mut out,
            Event::Connected {
                id,
                transport: Transport::Tcp,
                peer: peer(port),
                tls: None,
                cmd,
            },
        );
        (out, rx)
    }

    fn disconnect(c: &mut Central, id: u64) -> Vec<Happening> {
        let mut out = Vec::new();
        c.handle(
            &mut out,
            Event::Disconnected {
                id,
                reason: "closed by peer".into(),
                messages: 2,
                keepalives: 1,
                evicted: false,
            },
        );
        out
    }

    fn warnings(out: &[Happening]) -> Vec<&str> {
        out.iter()
            .filter_map(|h| match h {
                Happening::Warning(w) => Some(w.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_peer_that_comes_back_is_a_reconnect_with_its_delay() {
        let mut c = Central::new(WakeKind::Invite);
        let (out, _rx) = connect(&mut c, 1, 5000);
        assert!(matches!(
            &out[..],
            [Happening::Connection {
                event: "connect",
                conn: Some(1),
                reconnect_after_ms: None,
                ..
            }]
        ));
        let out = disconnect(&mut c, 1);
        assert!(matches!(
            &out[..],
            [Happening::Connection {
                event: "disconnect",
                messages: Some(2),
                keepalives: Some(1),
                held_ms: Some(_),
                ..
            }]
        ));
        // Same address, another port: the same app reconnecting.
        let (out, _rx) = connect(&mut c, 2, 5001);
        assert!(matches!(
            &out[..],
            [Happening::Connection {
                event: "connect",
                reconnect_after_ms: Some(_),
                ..
            }]
        ));
        assert_eq!(c.tally.connections, 2);
        assert_eq!(c.tally.reconnects, 1);
        assert_eq!(c.tally.disconnects, 1);
    }

    #[test]
    fn a_disconnect_of_an_unknown_peer_says_nothing() {
        let mut c = Central::new(WakeKind::Invite);
        assert!(disconnect(&mut c, 9).is_empty());
        assert_eq!(c.tally.disconnects, 0);
    }

    #[test]
    fn requests_and_keepalives_are_counted_with_the_keepalive_interval() {
        let mut c = Central::new(WakeKind::Invite);
        let (_, _rx) = connect(&mut c, 1, 5000);
        let mut out = Vec::new();
        let note = |note| Event::Note { id: 1, note };
        c.handle(
            &mut out,
            note(Note::Request {
                method: "REGISTER".into(),
                uri: "sip:example.com".into(),
                status: Some(200),
                user_agent: None,
            }),
        );
        c.handle(&mut out, note(Note::KeepAlive));
        c.handle(&mut out, note(Note::KeepAlive));
        assert!(matches!(
            &out[..],
            [
                Happening::Request {
                    conn: 1,
                    status: Some(200),
                    ..
                },
                Happening::KeepAlive {
                    interval_ms: None,
                    ..
                },
                Happening::KeepAlive {
                    interval_ms: Some(_),
                    ..
                },
            ]
        ));
        assert_eq!((c.tally.requests, c.tally.keepalives), (1, 2));
    }

    #[test]
    fn a_wake_goes_to_the_peer_and_its_answer_is_timed() {
        let mut c = Central::new(WakeKind::Invite);
        let (_, mut rx) = connect(&mut c, 1, 5000);
        let mut out = Vec::new();
        c.wake(&mut out, None);
        assert!(out.is_empty(), "{out:?}");
        let Ok(Cmd::Wake { id, wake, .. }) = rx.try_recv() else {
            panic!("no wake sent to the peer");
        };
        assert_eq!((id, wake), (1, 1));
        c.handle(
            &mut out,
            Event::Note {
                id: 1,
                note: Note::WakeSent {
                    wake,
                    what: "INVITE".into(),
                },
            },
        );
        c.handle(
            &mut out,
            Event::Note {
                id: 1,
                note: Note::WakeDone {
                    wake,
                    answered: Some(Duration::from_millis(40)),
                    answer: Some("180 Ringing".into()),
                    final_status: Some(486),
                    final_after: Some(Duration::from_millis(90)),
                },
            },
        );
        assert!(matches!(
            &out[..],
            [
                Happening::Wake { event: "sent", wake: 1, conn: 1, .. },
                Happening::Wake { event: "answered", answered_ms: Some(a), final_status: Some(486), .. },
            ] if (*a - 40.0).abs() < 1e-9
        ));
        assert_eq!(c.answer_ms, vec![40.0]);
        assert_eq!((c.tally.wakes_sent, c.tally.wakes_answered), (1, 1));
        // A second answer to the same wake is not counted twice.
        out.clear();
        c.handle(
            &mut out,
            Event::Note {
                id: 1,
                note: Note::WakeDone {
                    wake,
                    answered: None,
                    answer: None,
                    final_status: None,
                    final_after: None,
                },
            },
        );
        assert!(out.is_empty());
        assert_eq!(c.tally.wakes_unanswered, 0);
    }

    #[test]
    fn stopping_ends_waiting_wakes_unanswered_and_drops_held_peers() {
        let mut c = Central::new(WakeKind::Invite);
        let (_, _rx) = connect(&mut c, 1, 5000);
        let mut out = Vec::new();
        c.handle(
            &mut out,
            Event::Note {
                id: 1,
                note: Note::WakeSent {
                    wake: 7,
                    what: "INVITE".into(),
                },
            },
        );
        out.clear();
        c.finish(&mut out);
        assert!(matches!(
            &out[..],
            [
                Happening::Wake { event: "unanswered", wake: 7, conn: 1, .. },
                Happening::Connection { event: "disconnect", reason: Some(r), messages: None, .. },
            ] if r == "server stopped"
        ));
        assert_eq!(c.tally.wakes_unanswered, 1);
    }

    #[test]
    fn wakes_without_a_peer_and_bad_control_lines_are_warnings() {
        let mut c = Central::new(WakeKind::Invite);
        let mut out = Vec::new();
        c.handle(&mut out, Event::Control("wake".into()));
        c.handle(&mut out, Event::Control("wake #3".into()));
        c.handle(&mut out, Event::Control("wake three".into()));
        c.handle(&mut out, Event::Control("ring".into()));
        c.handle(&mut out, Event::Busy { id: 2 });
        assert_eq!(
            warnings(&out),
            [
                "no connection to wake yet",
                "no connection #3 to wake",
                "`wake three`: give a connection number, e.g. `wake 1`",
                "unknown control command \"ring\": use `wake`, `wake N` or `quit`",
                "connection #2 has not answered the previous wake yet; wake skipped",
            ]
        );
        assert!(!c.stop);
        c.handle(&mut out, Event::Control("  quit ".into()));
        assert!(c.stop);
    }

    #[test]
    fn a_busy_peer_skips_the_wake() {
        let mut c = Central::new(WakeKind::Invite);
        let (cmd, _rx) = mpsc::channel(1);
        let mut out = Vec::new();
        c.handle(
            &mut out,
            Event::Connected {
                id: 1,
                transport: Transport::Udp,
                peer: peer(5000),
                tls: None,
                cmd,
            },
        );
        out.clear();
        c.wake(&mut out, Some(1));
        c.wake(&mut out, Some(1));
        assert_eq!(warnings(&out), ["connection #1 is busy; wake skipped"]);
    }

    #[test]
    fn rejections_and_malformed_messages_are_reported_up_to_a_limit() {
        let mut c = Central::new(WakeKind::Invite);
        let mut out = Vec::new();
        for _ in 0..REPORT_LIMIT + 5 {
            c.handle(
                &mut out,
                Event::Rejected {
                    transport: Transport::Tcp,
                    peer: peer(6000),
                    reason: "full".into(),
                    evicted: false,
                },
            );
            c.handle(
                &mut out,
                Event::Malformed {
                    id: None,
                    transport: Transport::Udp,
                    peer: peer(6001),
                    error: "not SIP".into(),
                },
            );
        }
        let rejects = out
            .iter()
            .filter(|h| {
                matches!(
                    h,
                    Happening::Connection {
                        event: "reject",
                        ..
                    }
                )
            })
            .count();
        let malformed = out
            .iter()
            .filter(|h| matches!(h, Happening::Malformed { .. }))
            .count();
        assert_eq!(rejects as u64, REPORT_LIMIT);
        assert_eq!(malformed as u64, REPORT_LIMIT);
        assert_eq!(c.tally.rejected, REPORT_LIMIT + 5);
        assert_eq!(c.tally.malformed, REPORT_LIMIT + 5);
    }
}
