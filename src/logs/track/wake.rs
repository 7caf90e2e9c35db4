//! Wakes against the ~10 s budget, keep-alive handler runs and their cadence, background time.

use super::state::{App, SAME};
use super::summary::round3;
use super::verdict::{Book, Check, Evidence, conclusion};
use super::{Cx, TrackConfig};
use crate::logs::rules::{Family, Severity};

/// The app starts running in the background (unless it already is): a wake, and the wake of the
/// open push if it had none yet.
pub(super) fn start_wake(app: &mut App, now: f64, ev: &super::Event) {
    if app.awake_since.is_none() && !app.foreground {
        app.awake_since = Some(now);
        app.wake_ev = Some(Evidence::of(ev));
        app.wake_count += 1;
        if let Some(p) = app.pushes.iter_mut().rev().find(|p| !p.closed)
            && p.woke.is_none()
        {
            p.woke = Some(now);
            app.wake_latency.push(now - p.t);
            if !matches!(ev.family, Family::PushDelegate | Family::SocketWake) {
                let state = match ev.family {
                    Family::Launch => format!(
                        "launched ({})",
                        ev.fields.get("intent").map_or("background", String::as_str)
                    ),
                    _ => "resumed".into(),
                };
                p.phone.running = Some((state, super::push::quote(ev)));
            }
        }
    }
}

/// Resumed, woken by socket data, or given a process assertion. A line that says the app is
/// in the foreground (role UserInteractive…, visibility Foreground) starts the user's session
/// instead: foreground time is not a wake and does not count against the wake budget.
pub(super) fn on_wake(app: &mut App, cx: &mut Cx<'_, '_>) {
    let hint = foreground_hint(cx.hit, &cx.ev.message);
    // A role or visibility right after a launch that did not say its state is that launch's.
    if let Some(fg) = hint
        && app.launch_state_open
        && let Some(l) = app.last_launch.filter(|l| cx.now - l < SAME)
    {
        super::process::settle_launch_state(app, !fg, l, cx.ev);
        return;
    }
    match hint {
        Some(true) => {
            if !app.foreground {
                cx.ev.note = Some("in the foreground: not a background wake".into());
            }
            app.foreground = true;
            app.awake_since = None;
        }
        // Leaving the foreground: background time after a session is not a VoIP wake.
        Some(false) if app.foreground => {
            app.foreground = false;
            cx.ev.note = Some("left the foreground".into());
        }
        _ => start_wake(app, cx.now, cx.ev),
    }
}

/// Whether a state line says the app is in the foreground (`Some(true)`), in the background
/// (`Some(false)`), or does not say. Fields first (`role`, `visibility`), then RunningBoard's
/// state line, whose role is in the message:
/// `Calculated state for application<com.AppCo.MyApp>: running-active (role: UserInteractiveNonFocal)`
/// (github.com/microsoftconnect/ms-intune-app-sdk-ios/issues/137, iOS 14.5) and
/// `… running-active (role: Background)` (github.com/firebase/flutterfire/issues/5702).
pub(super) fn foreground_hint(hit: &crate::logs::rules::Hit<'_>, message: &str) -> Option<bool> {
    let word = |w: &str| {
        if w.starts_with("UserInteractive") || w.eq_ignore_ascii_case("foreground") {
            Some(true)
        } else if w == "NonUserInteractive" || w.eq_ignore_ascii_case("background") {
            Some(false)
        } else {
            None
        }
    };
    if let Some(h) = hit.field("visibility").and_then(word) {
        return Some(h);
    }
    if let Some(h) = hit.field("role").and_then(word) {
        return Some(h);
    }
    let role = message.split_once("(role: ")?.1;
    word(role.split(')').next().unwrap_or(""))
}

/// Suspended: the wake (and a handler run without an end marker) ends here.
pub(super) fn on_suspend(app: &mut App, cx: &mut Cx<'_, '_>) {
    let now = cx.now;
    let cfg = cx.cfg;
    let ev = &mut *cx.ev;
    if std::mem::take(&mut app.foreground) {
        ev.note = Some("suspended after a foreground session (not a wake)".into());
    }
    if let Some(since) = app.awake_since.take() {
        let d = now - since;
        app.wakes.push(d);
        ev.duration_s = Some(round3(d));
        if std::mem::take(&mut app.in_call) {
            ev.note = Some(format!(
                "awake {d:.1} s, in a call reported to CallKit (not on the wake budget)"
            ));
        } else if d > cfg.wake_budget {
            app.wakes_over += 1;
            ev.check = Some(Check::WakeOverBudget);
            ev.severity = Severity::Error;
            ev.note = Some(format!(
                "awake {d:.1} s, over the {:.0} s budget",
                cfg.wake_budget
            ));
        } else {
            ev.note = Some(format!("awake {d:.1} s"));
            cx.book.pass(Check::WakeOverBudget, ev);
        }
    }
    if let Some(h) = app.handler_open.take() {
        let d = now - h;
        app.handler.push(d);
        if d > cfg.handler_budget {
            app.handler_over += 1;
            cx.book.fail(Check::KeepaliveOverBudget, ev);
        } else {
            cx.book.pass(Check::KeepaliveOverBudget, ev);
        }
    }
}

/// A keep-alive handler run starts.
pub(super) fn on_keepalive(app: &mut App, cx: &mut Cx<'_, '_>) {
    let now = cx.now;
    let cfg = cx.cfg;
    let ev = &mut *cx.ev;
    if app.keepalive_last.is_some_and(|l| now - l < SAME) {
        ev.note = Some("same keep-alive run as above".into());
        return;
    }
    if let Some(prev) = app.keepalive_last {
        let gap = now - prev;
        app.keepalive_intervals.push(gap);
        ev.latency_s = Some(round3(gap));
        if gap > 2.0 * cfg.keepalive_timeout {
            app.keepalive_late += 1;
            ev.check = Some(Check::KeepaliveLate);
            ev.severity = Severity::Error;
            ev.note = Some(format!(
                "{gap:.0} s since the last run: a {:.0} s interval passed without one",
                cfg.keepalive_timeout
            ));
        } else {
            ev.note = Some(format!("{gap:.0} s since the last run"));
            cx.book.pass(Check::KeepaliveLate, ev);
        }
    }
    app.keepalive_last = Some(now);
    app.keepalive_count += 1;
    app.handler_open = Some(now);
    start_wake(app, now, cx.ev);
}

/// A keep-alive handler run ends (app marker).
pub(super) fn on_keepalive_end(app: &mut App, cx: &mut Cx<'_, '_>) {
    let now = cx.now;
    let cfg = cx.cfg;
    let ev = &mut *cx.ev;
    if let Some(h) = app.handler_open.take() {
        let d = now - h;
        app.handler.push(d);
        ev.duration_s = Some(round3(d));
        if d > cfg.handler_budget {
            app.handler_over += 1;
            ev.check = Some(Check::KeepaliveOverBudget);
            ev.severity = Severity::Error;
            ev.note = Some(format!(
                "handler ran {d:.1} s, over the {:.0} s budget",
                cfg.handler_budget
            ));
        } else {
            ev.note = Some(format!("handler ran {d:.1} s"));
            cx.book.pass(Check::KeepaliveOverBudget, ev);
        }
    }
}

/// Background time ran out (an error) or is about to (a warning).
pub(super) fn on_bgtime(cx: &mut Cx<'_, '_>) {
    if cx.hit.rule.severity == Severity::Error {
        cx.ev.check = Some(Check::BgtimeExpired);
    }
}

/// A wake that ends in an exit or a kill instead of a suspend: measured, and flagged when it
/// went over the budget (iOS killing an app that overran its wake is the usual story).
pub(super) fn end_wake_by_death(app: &mut App, cx: &mut Cx<'_, '_>) {
    let Some(since) = app.awake_since.take() else {
        return;
    };
    let now = cx.now;
    let cfg = cx.cfg;
    let ev = &*cx.ev;
    let d = now - since;
    app.wakes.push(d);
    if std::mem::take(&mut app.in_call) {
        // A call reported to CallKit keeps the app running: not on the wake budget.
    } else if d > cfg.wake_budget {
        app.wakes_over += 1;
        *app.checks.entry(Check::WakeOverBudget).or_default() += 1;
        let mut c = conclusion(
            cx.name,
            &ev.time,
            ev.offset_s,
            ev.line,
            Family::Suspend,
            Check::WakeOverBudget,
            format!(
                "awake {d:.1} s, over the {:.0} s budget, and the wake ended in an exit or kill, not a suspend",
                cfg.wake_budget
            ),
        );
        c.duration_s = Some(round3(d));
        cx.out.push(c);
    } else {
        cx.book.pass(Check::WakeOverBudget, ev);
    }
}

/// End of input: a background wake still open past the budget is undecided (no suspend, exit or
/// kill seen: the app may have come to the foreground in words not recognised).
pub(super) fn finish_wake(app: &mut App, now: f64, cfg: &TrackConfig, book: &mut Book, name: &str) {
    if let Some(since) = app.awake_since
        && !app.in_call
        && now - since > cfg.wake_budget
    {
        book.undecided(
            Check::WakeOverBudget,
            app.wake_ev.clone().map(|mut e| {
                e.app = Some(name.to_string());
                e
            }),
            format!(
                "awake {:.1} s at the end of the log with no suspend, exit or kill seen",
                now - since
            ),
        );
    }
}
