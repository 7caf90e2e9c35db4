//! VoIP pushes and what must follow them: the CallKit report within the window, or the kill
//! and, after repeated kills, the ban.

use super::crash::note_death;
use super::state::{App, Push, SAME};
use super::summary::round3;
use super::verdict::{Book, Check, Evidence};
use super::wake::{end_wake_by_death, start_wake};
use super::{Cx, Event, TrackConfig};
use crate::diagnosis::{self as chain, Hop, Phone, Trigger};
use crate::logs::rules::Severity;

/// A line as the cause chain quotes it: `process: message`.
pub(super) fn quote(ev: &Event) -> String {
    let text = if ev.message.is_empty() {
        &ev.summary
    } else {
        &ev.message
    };
    format!("{}: {text}", ev.process)
}

/// The push a line is about: the last one still open.
fn open_push(app: &mut App) -> Option<&mut Push> {
    app.pushes.iter_mut().rev().find(|p| !p.closed)
}

/// apsd received a VoIP push for the app.
pub(super) fn on_apns(app: &mut App, cx: &mut Cx<'_, '_>) {
    let now = cx.now;
    if cx.hit.field("topic").is_some_and(is_push_to_talk) {
        app.ptt_pushes += 1;
        cx.ev.note = Some(
            "Push-to-Talk push: the app reports it to the PushToTalk framework, not to CallKit"
                .into(),
        );
        return;
    }
    close_open(app, cx);
    app.add_push(Push {
        ev: Evidence::of(cx.ev),
        t: now,
        woke: None,
        reported: false,
        closed: false,
        phone: Phone {
            delivered: Some(quote(cx.ev)),
            ..Phone::default()
        },
    });
    if app.banned {
        cx.ev.note =
            Some("the app is banned: callservicesd will not launch it for this push".into());
    }
}

/// A Push-to-Talk push's topic (`<bundle ID>.voip-ptt`, Apple's PushToTalk documentation): it
/// is not reported to CallKit, so no report is expected for it.
pub(super) fn is_push_to_talk(topic: &str) -> bool {
    topic.trim().ends_with(".voip-ptt")
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
        close_open(app, cx);
        app.add_push(Push {
            ev: Evidence::of(cx.ev),
            t: now,
            woke: None,
            reported: false,
            closed: false,
            phone: Phone {
                delivered: Some(quote(cx.ev)),
                ..Phone::default()
            },
        });
    } else if let Some(p) = open_push(app) {
        p.phone.delivered.get_or_insert_with(|| quote(cx.ev));
    }
}

/// The app's PushKit delegate got the push.
pub(super) fn on_delegate(app: &mut App, cx: &mut Cx<'_, '_>) {
    let now = cx.now;
    if app.pushes.iter().all(|p| p.closed) {
        app.add_push(Push {
            ev: Evidence::of(cx.ev),
            t: now,
            woke: Some(now),
            reported: false,
            closed: false,
            phone: Phone::default(),
        });
    }
    if let Some(p) = open_push(app) {
        p.phone.delegate.get_or_insert_with(|| quote(cx.ev));
    }
    start_wake(app, now, cx.ev);
}

/// The call was reported to CallKit (or CallKit refused the report, which still counts).
pub(super) fn on_report(app: &mut App, cx: &mut Cx<'_, '_>) {
    let now = cx.now;
    let cfg = cx.cfg;
    let ev = &mut *cx.ev;
    if app.awake_since.is_some() {
        app.in_call = true;
    }
    if let Some(p) = app.pushes.iter_mut().rev().find(|p| !p.closed) {
        app.pushes_reported += 1;
        p.reported = true;
        p.closed = true;
        let l = now - p.t;
        app.report_latency.push(l);
        ev.latency_s = Some(round3(l));
        cx.book.pass(Check::PushNotReported, ev);
        p.phone.reported = Some(quote(ev));
        if l > cfg.report_window {
            ev.check = Some(Check::ReportLate);
            ev.severity = Severity::Error;
            ev.note = Some(format!(
                "reported {l:.2} s after the push, over the {:.0} s window",
                cfg.report_window
            ));
            // Where the time went: before the app ran, or in the app after it ran.
            let hop = p.woke.map(|w| {
                if w - p.t >= now - w {
                    if p.phone.running.is_some() {
                        Hop::Launch
                    } else {
                        Hop::BeforeApp
                    }
                } else {
                    Hop::InApp
                }
            });
            let what = format!(
                "reported {l:.2} s after the push, over the {:.0} s window{}",
                cfg.report_window,
                p.woke.map_or(String::new(), |w| format!(
                    "; the app ran {:.2} s after the push and reported {:.2} s later",
                    w - p.t,
                    now - w
                ))
            );
            cx.book.diagnose_failed(
                Check::ReportLate,
                chain::late(&p.phone, Trigger::Push, what, hop),
            );
        } else {
            ev.note = Some(format!("reported {l:.2} s after the push"));
            cx.book.pass(Check::ReportLate, ev);
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
    app.last_system_kill = Some(now);
    app.kills += 1;
    cx.ev.check = Some(Check::CallkitKill);
    end_wake_by_death(app, cx);
    note_death(app, cx, "callkit-kill");
    let phone = open_push(app).map(|p| p.phone.clone()).unwrap_or_default();
    let d = chain::killed(
        &phone,
        Trigger::Push,
        "no CallKit report for a VoIP push",
        Some(quote(cx.ev)),
        &[],
    );
    cx.book.diagnose_failed(Check::CallkitKill, d.clone());
    if let Some(p) = app.pushes.iter_mut().rev().find(|p| !p.closed) {
        p.closed = true;
        cx.book.diagnose_failed(Check::PushNotReported, d);
        *app.checks.entry(Check::PushNotReported).or_default() += 1;
        cx.ev.note = Some(format!(
            "the push {:.1} s earlier was never reported to CallKit",
            now - p.t
        ));
        cx.book.fail(Check::PushNotReported, cx.ev);
    }
}

/// callservicesd banned the app from VoIP launches (or says it is banned).
pub(super) fn on_ban(app: &mut App, cx: &mut Cx<'_, '_>) {
    app.bans += 1;
    app.banned = true;
    let kills = app.kills as usize;
    let phone = match open_push(app) {
        Some(p) => {
            p.closed = true;
            p.phone.clone()
        }
        None => Phone::default(),
    };
    if cx.hit.rule.severity == Severity::Error {
        cx.ev.check = Some(Check::Ban);
        cx.book
            .diagnose_failed(Check::Ban, chain::banned(&phone, Some(quote(cx.ev)), kills));
    }
}

/// A push for the app was dropped.
pub(super) fn on_dropped(app: &mut App, cx: &mut Cx<'_, '_>) {
    app.dropped += 1;
    cx.ev.check = Some(Check::PushDropped);
    let phone = open_push(app).map(|p| p.phone.clone()).unwrap_or_default();
    cx.book.diagnose_failed(
        Check::PushDropped,
        chain::dropped(&phone, Some(quote(cx.ev))),
    );
}

/// A new push while earlier ones are open: with neither a report nor a kill seen, the log
/// does not say whether they were reported (iOS 13+ kills an app that does not report, and that
/// kill was not seen; the report may be in wording not recognised).
fn close_open(app: &mut App, cx: &mut Cx<'_, '_>) {
    for p in app.pushes.iter_mut().filter(|p| !p.closed) {
        p.closed = true;
        let why = format!(
            "no CallKit report seen and no kill seen before the next push ({:.1} s later, line {})",
            cx.now - p.t,
            cx.ev.line
        );
        cx.book.diagnose_undecided(
            Check::PushNotReported,
            chain::unreported(&p.phone, Trigger::Push, &why),
        );
        cx.book
            .undecided(Check::PushNotReported, Some(p.ev.clone()), why);
    }
}

/// End of input: the pushes still open are undecided (no report and no kill seen).
pub(super) fn finish_pushes(app: &mut App, now: f64, cfg: &TrackConfig, book: &mut Book) {
    for p in app.pushes.iter_mut().filter(|p| !p.closed) {
        p.closed = true;
        let after = now - p.t;
        let why = if after < cfg.report_window {
            format!(
                "the log ends {after:.1} s after the push, before the {:.0} s report window closed",
                cfg.report_window
            )
        } else {
            format!(
                "no CallKit report seen and no kill seen: the log ends {after:.1} s after the push"
            )
        };
        book.diagnose_undecided(
            Check::PushNotReported,
            chain::unreported(&p.phone, Trigger::Push, &why),
        );
        book.undecided(Check::PushNotReported, Some(p.ev.clone()), why);
    }
}
