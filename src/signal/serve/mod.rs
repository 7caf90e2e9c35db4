//! `signal serve`'s engine: the server end of an app's signalling connection. It holds every
//! connection, answers REGISTER/OPTIONS and CRLF keep-alives, times connects, disconnects and
//! reconnects, and sends wake packets (INVITE or raw bytes), recording whether and when the app
//! answered: the legacy VoIP-socket wake test. The runner and its records are in
//! `commands::signal`.
//!
//! Hostile peers are bounded: at most `--max-connections` peers per transport and
//! `--max-per-address` per address (`signal::budget`: at the limit, a peer that has not
//! yet sent one complete message makes room for a newcomer; one that has is never dropped for
//! one), one bounded message per peer ([`Limits`]), a deadline for each message and handshake
//! (`--message-timeout`), write timeouts.
//!
//! Files: `peers.rs` (the socket tasks), `central.rs` (the per-peer state machine, which turns
//! their events into `Happening`s).

mod central;
mod peers;

pub(crate) use central::{Central, Happening, Tally};

use crate::signal::budget::Budget;
use crate::signal::net::ServerCert;
use crate::signal::session::Note;
use crate::signal::{SignalError, WakeKind};
use crate::sip::{Limits, Transport};
use peers::{Seats, Shared};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// One listening socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listen {
    /// Transport.
    pub transport: Transport,
    /// Address (port 0: any free port, reported in the `listening` record).
    pub addr: SocketAddr,
}

impl Listen {
    /// Parse `udp://127.0.0.1:5060`, `tcp://…`, `tls://…`, `ws://…`, `wss://…` (a path is ignored).
    pub(crate) fn parse(s: &str) -> Result<Listen, String> {
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
pub(crate) struct ServeOptions {
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

/// What a socket task tells the central state.
pub(crate) enum Event {
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

impl Event {
    /// A control line (from stdin), not news from a socket.
    pub(crate) fn is_control(&self) -> bool {
        matches!(self, Event::Control(_))
    }
}

#[derive(Debug)]
/// What the central state asks a peer's task to do.
pub(crate) enum Cmd {
    Wake {
        id: u64,
        wake: u64,
        kind: Arc<WakeKind>,
    },
}

/// A server being started: listeners are added one by one ([`Server::listen`]), then the events
/// of every socket task are taken ([`Server::events`]).
pub(crate) struct Server {
    shared: Arc<Shared>,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    /// One budget per stream transport, shared by its listeners (UDP loops keep their own).
    budgets: HashMap<Transport, Seats>,
    tx: Option<mpsc::Sender<Event>>,
    rx: Option<mpsc::Receiver<Event>>,
    tasks: JoinSet<()>,
}

impl Server {
    /// Load (or generate) the certificate when a listener needs TLS; write it where
    /// `--write-cert` says. Returns the acceptor and the path written.
    pub(crate) fn tls(
        opts: &ServeOptions,
    ) -> Result<(Option<tokio_rustls::TlsAcceptor>, Option<String>), crate::Error> {
        if !opts.listen.iter().any(|l| l.transport.is_tls()) {
            return Ok((None, None));
        }
        let cert = match (&opts.cert, &opts.key) {
            (Some(c), Some(k)) => ServerCert::load(c, k),
            _ => ServerCert::generate(),
        }
        .map_err(SignalError::into_error)?;
        let mut written = None;
        if let Some(path) = &opts.write_cert {
            std::fs::write(path, &cert.pem).map_err(|e| {
                crate::Error::output_file(SignalError::Cert {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })
            })?;
            written = Some(path.display().to_string());
        }
        let config = cert.server_config().map_err(SignalError::into_error)?;
        Ok((Some(tokio_rustls::TlsAcceptor::from(config)), written))
    }

    /// A server with these options, no listener yet.
    pub(crate) fn new(opts: &ServeOptions, acceptor: Option<tokio_rustls::TlsAcceptor>) -> Server {
        let (tx, rx) = mpsc::channel::<Event>(1024);
        Server {
            shared: Arc::new(Shared {
                next_id: AtomicU64::new(1),
                opts: opts.clone(),
                events: tx.clone(),
            }),
            acceptor,
            budgets: HashMap::new(),
            tx: Some(tx),
            rx: Some(rx),
            tasks: JoinSet::new(),
        }
    }

    /// Bind one listening socket and start serving it; the address it is bound to.
    pub(crate) async fn listen(&mut self, l: &Listen) -> Result<SocketAddr, crate::Error> {
        let listen_err = |e: std::io::Error| {
            SignalError::Listen {
                addr: format!("{}://{}", l.transport, l.addr),
                source: e,
            }
            .into_error()
        };
        let shared = &self.shared;
        let bound = if l.transport == Transport::Udp {
            let sock = UdpSocket::bind(l.addr).await.map_err(listen_err)?;
            let addr = sock.local_addr().map_err(listen_err)?;
            self.tasks.spawn(peers::udp_loop(sock, shared.clone()));
            addr
        } else {
            let listener = TcpListener::bind(l.addr).await.map_err(listen_err)?;
            let addr = listener.local_addr().map_err(listen_err)?;
            let tls = if l.transport.is_tls() {
                self.acceptor.clone()
            } else {
                None
            };
            let opts = &shared.opts;
            let seats = self
                .budgets
                .entry(l.transport)
                .or_insert_with(|| {
                    Arc::new(Mutex::new(Budget::new(
                        opts.max_connections,
                        opts.max_per_address,
                    )))
                })
                .clone();
            self.tasks.spawn(peers::accept_loop(
                listener,
                l.transport,
                shared.clone(),
                tls,
                seats,
            ));
            addr
        };
        Ok(bound)
    }

    /// Read control lines (`wake`, `wake N`, `quit`) from standard input.
    pub(crate) fn control_from_stdin(&mut self) {
        let Some(tx) = self.tx.clone() else {
            return;
        };
        self.tasks.spawn(async move {
            use tokio::io::AsyncBufReadExt;
            let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if tx.send(Event::Control(line)).await.is_err() {
                    break;
                }
            }
        });
    }

    /// The events of every socket task (once; no control source can be added after).
    pub(crate) fn events(&mut self) -> mpsc::Receiver<Event> {
        self.tx = None;
        self.rx.take().unwrap_or_else(|| mpsc::channel(1).1)
    }

    /// Stop every task (what was queued stays in the receiver).
    pub(crate) fn stop(&mut self) {
        self.tasks.abort_all();
    }
}

/// Sleep until `t`, or forever.
pub(crate) async fn sleep_opt(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}
