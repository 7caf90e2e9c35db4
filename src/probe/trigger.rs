//! The two ways a round starts: a VoIP push through APNs (the `push` machinery: same auth,
//! environment and topic checks, retries and explained reasons), or a wake packet on the app's
//! VoIP socket (the `signal serve` peer logic: REGISTER/OPTIONS answered, keep-alives, a SIP
//! INVITE or raw bytes as the wake). TCP only for the socket.

use super::round::Answer;
use crate::signal::WakeKind;
use crate::sip::{Framer, Limits, Transport};
use std::net::SocketAddr;
use std::sync::atomic::AtomicU32;
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, watch};

/// Host time now, Unix seconds.
pub(crate) fn now_unix() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// What sending one trigger gave.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fired {
    /// Host time of the answer (APNs 200 / write done).
    pub(crate) accepted: Option<f64>,
    /// Status, apns-id, reason…
    pub(crate) answer: Answer,
    /// A network/service failure (not a refusal): counts towards exit 5.
    pub(crate) service_failure: bool,
}

/// A way to start a round.
pub(crate) enum Trigger {
    Push {
        sender: Box<crate::push::Sender>,
    },
    Signal {
        latest: watch::Receiver<Option<mpsc::Sender<WakeCmd>>>,
        wait: Duration,
    },
}

impl std::fmt::Debug for Trigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trigger::Push { .. } => f.write_str("Trigger::Push"),
            Trigger::Signal { .. } => f.write_str("Trigger::Signal"),
        }
    }
}

/// Ask the connection task to send a wake.
#[derive(Debug)]
pub(crate) struct WakeCmd {
    n: u64,
    done: oneshot::Sender<Result<f64, String>>,
}

impl Trigger {
    /// `push` or `signal`.
    pub(crate) fn via(&self) -> &'static str {
        match self {
            Trigger::Push { .. } => "push",
            Trigger::Signal { .. } => "signal",
        }
    }

    /// Send round `n`'s trigger.
    pub(crate) async fn fire(&mut self, n: u32) -> Fired {
        match self {
            Trigger::Push { sender } => {
                let Some(token) = sender.tokens.first().cloned() else {
                    return Fired::default();
                };
                let attempts = AtomicU32::new(0);
                let (rec, kind) = sender.engine.push(token, &attempts).await;
                let ok = rec.ok;
                Fired {
                    accepted: ok.then(now_unix),
                    service_failure: matches!(kind, crate::push::send::Kind::Service),
                    answer: Answer {
                        status: rec.status,
                        apns_id: rec.apns_id,
                        reason: rec.reason,
                        explanation: rec.explanation,
                        fix: rec.fix,
                        error: rec.error,
                    },
                }
            }
            Trigger::Signal { latest, wait } => {
                let tx = match tokio::time::timeout(*wait, latest.wait_for(Option::is_some)).await {
                    Ok(Ok(c)) => c.clone(),
                    _ => None,
                };
                let Some(tx) = tx else {
                    return Fired {
                        answer: Answer {
                            error: Some(format!(
                                "no app connected to the signalling socket within {wait:?}"
                            )),
                            ..Answer::default()
                        },
                        ..Fired::default()
                    };
                };
                let (done, rx) = oneshot::channel();
                let sent = tx
                    .send(WakeCmd {
                        n: u64::from(n),
                        done,
                    })
                    .await;
                let r = match sent {
                    Ok(()) => rx
                        .await
                        .unwrap_or_else(|_| Err("the app's socket closed".into())),
                    Err(_) => Err("the app's socket closed".into()),
                };
                match r {
                    Ok(at) => Fired {
                        accepted: Some(at),
                        ..Fired::default()
                    },
                    Err(e) => Fired {
                        answer: Answer {
                            error: Some(e),
                            ..Answer::default()
                        },
                        ..Fired::default()
                    },
                }
            }
        }
    }
}

/// Listen for the app's VoIP socket on `addr` (TCP). Returns the bound address and the trigger.
pub(crate) async fn serve_signal(
    addr: SocketAddr,
    wake: WakeKind,
    wait: Duration,
) -> std::io::Result<(SocketAddr, Trigger)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let (tx, rx) = watch::channel(None);
    tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let (cmd_tx, cmd_rx) = mpsc::channel(4);
            // The newest connection is the app's current socket (apps reconnect).
            tx.send_replace(Some(cmd_tx));
            tokio::spawn(peer_task(stream, peer, local, wake.clone(), cmd_rx));
        }
    });
    Ok((local, Trigger::Signal { latest: rx, wait }))
}

async fn peer_task(
    mut stream: tokio::net::TcpStream,
    peer: SocketAddr,
    local: SocketAddr,
    wake: WakeKind,
    mut cmds: mpsc::Receiver<WakeCmd>,
) {
    let mut session = crate::signal::session_for_probe(Transport::Tcp, peer, local);
    let mut framer = Framer::new(Limits::default());
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            r = stream.read(&mut buf) => {
                let n = match r {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if framer.push(&buf[..n]).is_err() {
                    return;
                }
                let mut out = Vec::new();
                loop {
                    match framer.next_frame() {
                        Ok(Some(f)) => crate::signal::on_frame_for_probe(&mut session, f, &mut out),
                        Ok(None) => break,
                        Err(_) => return,
                    }
                }
                for bytes in out {
                    if stream.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
            }
            c = cmds.recv() => {
                let Some(c) = c else { return };
                let bytes = crate::signal::wake_for_probe(&mut session, c.n, &wake);
                let r = match stream.write_all(&bytes).await {
                    Ok(()) => Ok(now_unix()),
                    Err(e) => Err(format!("write the wake to the app's socket: {e}")),
                };
                let failed = r.is_err();
                let _ = c.done.send(r);
                if failed {
                    return;
                }
            }
        }
    }
}
