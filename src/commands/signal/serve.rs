//! `voipctl signal serve`: runs the server of [`crate::signal::serve`] and reports what it
//! concludes — one record per listening socket, connection, request, keep-alive, wake and
//! malformed message, then the summary.

pub(crate) use crate::signal::serve::{Listen, ServeOptions};

use crate::context::{Ctx, Outcome};
use crate::report::{Body, Output, Record, Style, SummaryRecord};
use crate::signal::serve::{Central, Happening, Server, Tally, sleep_opt};
use crate::sip::Transport;
use schemars::JsonSchema;
use serde::Serialize;
use std::io::{self, Write};

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

/// Report what the server concluded: records on stdout, warnings on stderr.
fn say(ctx: &mut Ctx, out: &mut Vec<Happening>) -> io::Result<()> {
    for h in out.drain(..) {
        match h {
            Happening::Connection {
                event,
                conn,
                transport,
                peer,
                at_ms,
                time,
                reconnect_after_ms,
                held_ms,
                reason,
                messages,
                keepalives,
                tls,
            } => ctx.reporter.emit(&ConnectionRecord {
                event,
                conn,
                transport,
                peer: peer.to_string(),
                at_ms,
                time,
                reconnect_after_ms,
                held_ms,
                reason,
                messages,
                keepalives,
                tls,
            })?,
            Happening::Request {
                conn,
                method,
                uri,
                status,
                user_agent,
                at_ms,
            } => ctx.reporter.emit(&RequestRecord {
                conn,
                method,
                uri,
                status,
                user_agent,
                at_ms,
            })?,
            Happening::KeepAlive {
                conn,
                at_ms,
                interval_ms,
            } => ctx.reporter.emit(&KeepAliveRecord {
                conn,
                at_ms,
                interval_ms,
            })?,
            Happening::Wake {
                event,
                wake,
                conn,
                transport,
                peer,
                at_ms,
                time,
                payload,
                answered_ms,
                answer,
                final_status,
                final_ms,
            } => ctx.reporter.emit(&WakeRecord {
                event,
                wake,
                conn,
                transport,
                peer: peer.to_string(),
                at_ms,
                time,
                payload,
                answered_ms,
                answer,
                final_status,
                final_ms,
            })?,
            Happening::Malformed {
                conn,
                transport,
                peer,
                error,
                at_ms,
            } => ctx.reporter.emit(&MalformedRecord {
                conn,
                transport,
                peer: peer.to_string(),
                error,
                at_ms,
            })?,
            Happening::Warning(w) => ctx.warn(&w),
        }
    }
    Ok(())
}

/// Run `voipctl signal serve`.
pub(crate) async fn run_serve(ctx: &mut Ctx, opts: ServeOptions) -> crate::Result<Outcome> {
    let (acceptor, written_cert) = Server::tls(&opts)?;
    let mut server = Server::new(&opts, acceptor);
    for l in &opts.listen {
        let bound = server.listen(l).await?;
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
        server.control_from_stdin();
    }
    let mut rx = server.events();
    let mut central = Central::new(opts.wake.clone());
    let mut out = Vec::new();
    let end = opts.duration.map(|d| central.start() + d);
    let mut wake_timer = opts
        .wake_every
        .map(|every| tokio::time::interval_at(tokio::time::Instant::now() + every, every));
    let mut interrupted = false;
    while !central.stop {
        tokio::select! {
            ev = rx.recv() => match ev {
                Some(ev) => central.handle(&mut out, ev),
                None => break,
            },
            _ = async {
                match &mut wake_timer {
                    Some(t) => { t.tick().await; }
                    None => std::future::pending::<()>().await,
                }
            } => central.wake(&mut out, None),
            _ = sleep_opt(end) => break,
            _ = ctx.cancel.cancelled() => { interrupted = true; break; }
        }
        say(ctx, &mut out)?;
        ctx.reporter.flush()?;
    }
    server.stop();
    // Whatever was queued before the stop still counts.
    while let Ok(ev) = rx.try_recv() {
        if !ev.is_control() {
            central.handle(&mut out, ev);
            say(ctx, &mut out)?;
        }
    }
    central.finish(&mut out);
    say(ctx, &mut out)?;
    let summary = summary(&central.tally, &central, interrupted);
    ctx.reporter.finish(&summary, "voipctl signal serve")?;
    if interrupted {
        return Ok(Outcome::Interrupted);
    }
    Ok(Outcome::from_failed(!summary.ok))
}

fn summary(t: &Tally, central: &Central, interrupted: bool) -> ServeSummary {
    let Tally {
        connections,
        reconnects,
        disconnects,
        rejected,
        evicted,
        requests,
        keepalives,
        malformed,
        wakes_sent,
        wakes_answered,
        wakes_unanswered,
    } = *t;
    ServeSummary {
        duration_ms: central.at_ms(),
        connections,
        reconnects,
        disconnects,
        rejected,
        evicted,
        requests,
        keepalives,
        malformed,
        wakes_sent,
        wakes_answered,
        wakes_unanswered,
        wake_answer_ms: crate::signal::rtt_stats(&central.answer_ms),
        ok: wakes_unanswered == 0,
        interrupted,
    }
}
