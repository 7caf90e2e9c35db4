//! `voipctl push`: send the prepared pushes ([`crate::push`]), at most `--concurrency` at a time,
//! report one record per token and the summary, and map service failures to the exit code.

pub(crate) mod records;

pub(crate) use records::{PushRecord, PushSummary};

use crate::context::{Ctx, Outcome};
use crate::error::Error;
use crate::push::send::Kind;
use crate::push::{Notice, Options, ServiceFailure, prepare};
use futures_util::StreamExt;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

/// Run `voipctl push`.
pub(crate) async fn run(ctx: &mut Ctx, opts: Options) -> crate::Result<Outcome> {
    let mut notices = Vec::new();
    let p = prepare(&opts, &mut notices);
    tell(ctx, &notices);
    let p = p.map_err(Error::input)?;
    let total = p.tokens.len();
    let progress = ctx.progress(total as u64, "pushing");
    let engine = &p.engine;
    let started = Instant::now();
    let mut done = vec![false; total];
    let mut summary = PushSummary {
        environment: p.environment.clone(),
        endpoint: engine.apns().base().to_string(),
        auth: p.auth_name,
        topic: p.topic.clone(),
        push_type: opts.push_type.as_str().to_string(),
        total,
        succeeded: 0,
        failed: 0,
        not_sent: 0,
        retried: 0,
        reasons: BTreeMap::new(),
        goaway: BTreeMap::new(),
        connections: 0,
        elapsed_ms: 0.0,
        pushes_per_second: 0.0,
        interrupted: false,
    };
    let mut service_failures = 0usize;
    let mut first_service_error: Option<String> = None;
    let mut rejected = false;
    // Each push gets its own copy of its token when it starts (not a second list up front).
    let tokens = &p.tokens;
    let attempts: Vec<AtomicU32> = (0..total).map(|_| AtomicU32::new(0)).collect();
    let attempts = &attempts;
    let mut stream = futures_util::stream::iter(0..total)
        .map(|i| async move { (i, engine.push(tokens[i].clone(), &attempts[i]).await) })
        .buffer_unordered(opts.concurrency.max(1));
    let cancel = ctx.cancel.clone();
    let mut write_err = None;
    loop {
        let next = tokio::select! {
            n = stream.next() => n,
            _ = cancel.cancelled() => { summary.interrupted = true; None }
        };
        let Some((i, (delivery, kind))) = next else {
            break;
        };
        let rec = PushRecord::from(delivery);
        done[i] = true;
        tally(&mut summary, &rec, kind);
        match kind {
            Kind::Service => {
                service_failures += 1;
                if first_service_error.is_none() {
                    first_service_error = rec
                        .error
                        .clone()
                        .or_else(|| rec.reason.clone())
                        .or_else(|| rec.status.map(|s| format!("HTTP {s}")));
                }
            }
            Kind::Rejected | Kind::NotSent => rejected = true,
            Kind::Ok => {}
        }
        progress.inc(1);
        if let Err(e) = ctx.reporter.emit(&rec) {
            write_err = Some(e);
            break;
        }
    }
    drop(stream);
    progress.finish();
    if let Some(e) = write_err {
        return Err(Error::Output(e));
    }
    // Every token ends with exactly one result, even when interrupted.
    for (i, t) in p.tokens.iter().enumerate() {
        if done[i] {
            continue;
        }
        let made = attempts[i].load(Ordering::Relaxed);
        let error = if made > 0 {
            "interrupted before APNs answered"
        } else {
            "not sent: interrupted"
        };
        let rec = PushRecord {
            token: t.clone(),
            ok: false,
            status: None,
            apns_id: None,
            apns_unique_id: None,
            reason: None,
            timestamp: None,
            explanation: None,
            fix: None,
            error: Some(error.into()),
            goaway: None,
            attempts: made,
            retried: Vec::new(),
            latency_ms: 0.0,
        };
        tally(
            &mut summary,
            &rec,
            if made > 0 {
                Kind::Service
            } else {
                Kind::NotSent
            },
        );
        ctx.reporter.emit(&rec)?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    summary.elapsed_ms = elapsed * 1000.0;
    summary.connections = engine.apns().connections();
    let lost = summary.connections.saturating_sub(1);
    if lost > engine.transport_failures() {
        // reqwest reconnects by itself, and keeps a GOAWAY that hit no request to itself.
        ctx.warn(&format!(
            "APNs closed the connection while no push was in flight ({} of {} reconnects): a graceful GOAWAY (e.g. IdleTimeout or Shutdown) or an idle close, whose reason voipctl cannot see; the pushes after it went over a new connection",
            lost - engine.transport_failures(),
            lost
        ));
    }
    let answered = summary.total - summary.not_sent;
    summary.pushes_per_second = if elapsed > 0.0 {
        answered as f64 / elapsed
    } else {
        0.0
    };
    ctx.reporter.finish(&summary, "voipctl push")?;
    if summary.interrupted {
        return Ok(Outcome::Interrupted);
    }
    if service_failures > 0 {
        return Err(Error::network(ServiceFailure {
            failed: service_failures,
            total,
            first: first_service_error.unwrap_or_else(|| "no answer".into()),
            certificate_refused: engine.apns().certificate_refused(),
        }));
    }
    Ok(Outcome::from_failed(rejected))
}

/// Say what preparing the pushes found ([`Notice`]s) on stderr.
pub(crate) fn tell(ctx: &mut Ctx, notices: &[Notice]) {
    for n in notices {
        match n {
            Notice::Note(s) => ctx.note(s),
            Notice::Warning(s) => ctx.warn(s),
        }
    }
}

fn tally(s: &mut PushSummary, rec: &PushRecord, kind: Kind) {
    if rec.attempts > 1 {
        s.retried += 1;
    }
    if let Some(g) = &rec.goaway {
        *s.goaway.entry(g.clone()).or_default() += 1;
    }
    match kind {
        Kind::Ok => s.succeeded += 1,
        Kind::NotSent => {
            s.failed += 1;
            s.not_sent += 1;
            *s.reasons.entry("not_sent".into()).or_default() += 1;
        }
        Kind::Rejected | Kind::Service => {
            s.failed += 1;
            let key = rec
                .reason
                .clone()
                .or_else(|| rec.status.map(|st| format!("HTTP {st}")))
                .unwrap_or_else(|| "network".into());
            *s.reasons.entry(key).or_default() += 1;
        }
    }
}
