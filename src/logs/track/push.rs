//! VoIP pushes and what must follow them: the CallKit report within the window, or the kill
//! and, after repeated kills, the ban.

use super::crash::note_death;
use super::state::{App, Push, SAME};
use super::summary::round3;
use super::verdict::{Check, conclusion};
use super::wake::{end_wake_by_death, start_wake};
use super::{Cx, Event, TrackConfig};
use crate::logs::rules::{Family, Severity};

/// apsd received a VoIP push for the app.
pub(super) fn on_apns(app: &mut App, cx: &mut Cx<'_, '_>) {
    let now = cx.now;
    let missed = close_unreported(app, now, cx.cfg);
    if missed > 0 {
        cx.out.push(not_reported(cx.name, cx.ev, missed));
    }
    app.pushes.push(Push {
        t: now,
        woke: None,
        reported: false,
        closed: false,
    });
    if app.banned {
        cx.ev.note =
            Some("the app is banned: callservicesd will not launch it for this push".into());
    }
}

/// callservicesd received or delivered the push (a new push when apsd's line was not seen).
pub(super) fn on_callservicesd(app: &mut App, cx: &mut Cx<'_, '_>) {
    let now = cx.now;
    let open = app
        .pushes
        .iter()
        .rev()
        .any(|p| !p.closed && now - p.t <= cx.cfg.report_window);
    if !open {
        let missed = close_unreported(app, now, cx.cfg);
        if missed > 0 {
            cx.out.push(not_reported(cx.name, cx.ev, missed));
        }
        app.pushes.push(Push {
            t: now,
            woke: None,
            reported: false,
            closed: false,
        });
    }
}

/// The app's PushKit delegate got the push.
pub(super) fn on_delegate(app: &mut App, cx: &mut Cx<'_, '_>) {
    let now = cx.now;
    if app.pushes.iter().all(|p| p.closed) {
        app.pushes.push(Push {
            t: now,
            woke: Some(now),
            reported: false,
            closed: false,
        });
    }
    start_wake(app, now);
}

/// The call was reported to CallKit (or CallKit refused the report, which still counts).
pub(super) fn on_report(app: &mut App, cx: &mut Cx<'_, '_>) {
    let now = cx.now;
    let cfg = cx.cfg;
    let ev = &mut *cx.ev;
    if let Some(p) = app.pushes.iter_mut().rev().find(|p| !p.closed) {
        p.reported = true;
        p.closed = true;
        let l = now - p.t;
        app.report_latency.push(l);
        ev.latency_s = Some(round3(l));
        if l > cfg.report_window {
            ev.check = Some(Check::ReportLate);
            ev.severity = Severity::Error;
            ev.note = Some(format!(
                "reported {l:.2} s after the push, over the {:.0} s window",
                cfg.report_window
            ));
        } else {
            ev.note = Some(format!("reported {l:.2} s after the push"));
        }
    }
}

/// iOS killed the app for not reporting a call.
pub(super) fn on_kill(app: &mut App, cx: &mut Cx<'_, '_>) {
    let now = cx.now;
    if app.last_kill.is_some_and(|k| now - k < SAME) {
        cx.ev.note = Some("same kill as above".into());
        return;
    }
    app.last_kill = Some(now);
    app.kills += 1;
    cx.ev.check = Some(Check::CallkitKill);
    end_wake_by_death(app, cx);
    note_death(app, cx, "callkit-kill");
    if let Some(p) = app.pushes.iter_mut().rev().find(|p| !p.closed) {
        p.closed = true;
        *app.checks.entry(Check::PushNotReported).or_default() += 1;
        cx.ev.note = Some(format!(
            "the push {:.1} s earlier was never reported to CallKit",
            now - p.t
        ));
    }
}

/// callservicesd banned the app from VoIP launches (or says it is banned).
pub(super) fn on_ban(app: &mut App, cx: &mut Cx<'_, '_>) {
    app.bans += 1;
    app.banned = true;
    if cx.hit.rule.severity == Severity::Error {
        cx.ev.check = Some(Check::Ban);
    }
    if let Some(p) = app.pushes.iter_mut().rev().find(|p| !p.closed) {
        p.closed = true;
    }
}

/// A push for the app was dropped.
pub(super) fn on_dropped(app: &mut App, cx: &mut Cx<'_, '_>) {
    app.dropped += 1;
    cx.ev.check = Some(Check::PushDropped);
}

/// Close the app's open pushes; returns how many went unreported past the window.
fn close_unreported(app: &mut App, now: f64, cfg: &TrackConfig) -> u64 {
    let mut missed = 0;
    for p in app.pushes.iter_mut().filter(|p| !p.closed) {
        p.closed = true;
        if now - p.t >= cfg.report_window {
            missed += 1;
        }
    }
    if missed > 0 {
        *app.checks.entry(Check::PushNotReported).or_default() += missed;
    }
    missed
}

fn not_reported(app: &str, ev: &Event, missed: u64) -> Event {
    conclusion(
        app,
        &ev.time,
        ev.offset_s,
        ev.line,
        Family::PushApns,
        Check::PushNotReported,
        format!("{missed} earlier VoIP push(es) never reported to CallKit"),
    )
}

/// End of input: the pushes still open are concluded.
pub(super) fn finish_pushes(
    name: &str,
    app: &mut App,
    now: f64,
    first: Option<f64>,
    cfg: &TrackConfig,
    at: (Option<f64>, u64),
) -> Vec<Event> {
    let mut out = Vec::new();
    for p in app.pushes.iter_mut().filter(|p| !p.closed) {
        p.closed = true;
        if now - p.t >= cfg.report_window {
            *app.checks.entry(Check::PushNotReported).or_default() += 1;
            out.push(conclusion(
                name,
                "",
                at.0,
                at.1,
                Family::PushApns,
                Check::PushNotReported,
                format!(
                    "the VoIP push at +{:.1} s was never reported to CallKit",
                    p.t - first.unwrap_or(p.t)
                ),
            ));
        }
    }
    out
}
