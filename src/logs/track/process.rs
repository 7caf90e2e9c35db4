//! Process life: launch requests and launches (background or foreground, and why), exits and
//! whether iOS should relaunch the app after them.

use super::Cx;
use super::crash::note_death;
use super::state::{App, SAME, parse_num};
use super::summary::{ExitInfo, round3};
use super::verdict::{Check, conclusion};
use super::wake::{end_wake_by_death, start_wake};
use crate::logs::rules::{Family, Hit, Severity};

/// Someone asked for the app to be launched (callservicesd for a VoIP push…).
pub(super) fn on_launch_request(app: &mut App, cx: &mut Cx<'_, '_>) {
    let who = cx
        .hit
        .field("requester")
        .map(str::to_string)
        .unwrap_or_else(|| cx.ev.process.clone());
    app.requested_by = Some((cx.now, who));
}

/// The app process started.
pub(super) fn on_launch(app: &mut App, cx: &mut Cx<'_, '_>) {
    let now = cx.now;
    let cfg = cx.cfg;
    let hit = cx.hit;
    let ev = &mut *cx.ev;
    let intent = hit.field("intent").unwrap_or("").to_ascii_lowercase();
    let background = intent.contains("background");
    let foreground = intent.contains("foreground") || intent.contains("active");
    if let Some(l) = app.last_launch.filter(|l| now - l < SAME) {
        ev.note = Some("same launch as above".into());
        // The first line of a launch often does not say into which state (FrontBoard's
        // "Asked to bootstrap", RunningBoard's job): a line of the same launch that does
        // completes it, and a background launch's wake started with the process.
        if app.launch_state_open && (background || foreground) {
            settle_launch_state(app, background, l, ev);
        } else if background {
            start_wake(app, now, ev);
        }
        return;
    }
    app.last_launch = Some(now);
    app.launches.total += 1;
    app.foreground = foreground && !background;
    app.launch_state_open = !(background || foreground);
    app.relaunch_state_for = None;
    if background {
        app.launches.background += 1;
    } else if foreground {
        app.launches.foreground += 1;
    }
    let open_push = app
        .pushes
        .iter()
        .rev()
        .find(|p| !p.closed && now - p.t <= cfg.report_window.max(30.0));
    let requester = app
        .requested_by
        .take()
        .filter(|(rt, _)| now - rt <= 30.0)
        .map(|(_, w)| w);
    let reason = if open_push.is_some()
        || requester
            .as_deref()
            .is_some_and(|r| r.contains("callservicesd"))
    {
        "voip-push"
    } else if app.awaiting_relaunch.is_some() {
        "relaunch"
    } else if foreground {
        "user"
    } else {
        "system"
    };
    *app.launches.by_reason.entry(reason.into()).or_default() += 1;
    let mut note = if background {
        "launched into the background".to_string()
    } else if foreground {
        "launched into the foreground".to_string()
    } else {
        "launched (this line does not say into which state)".to_string()
    };
    note = match reason {
        "voip-push" => format!("{note} for a VoIP push"),
        "relaunch" => format!("{note}: relaunch after an exit"),
        "user" => format!("{note} by the user"),
        _ => format!("{note} by the system (reboot, background fetch…)"),
    };
    if app.awaiting_relaunch.take().is_some() {
        cx.book.pass(Check::NoRelaunch, ev);
    }
    if let Some(i) = app.exit_open.take()
        && let Some(x) = app.exits.get_mut(i)
    {
        let after = x.t.map(|xt| round3(now - xt));
        x.relaunched_after_s = after;
        x.relaunched_into = if background {
            Some("background".into())
        } else if foreground {
            Some("foreground".into())
        } else {
            app.relaunch_state_for = Some(i);
            None
        };
        ev.latency_s = after;
        if let Some(a) = after {
            note = format!("{note} ({a:.1} s after the exit)");
        }
    }
    ev.note = Some(note);
    if background {
        start_wake(app, now, ev);
    } else {
        app.awake_since = None;
    }
}

/// The open launch at `launched` (its first line did not say into which state) turns out to be
/// into the background or the foreground: count it so, and a background launch's wake started
/// with the process.
pub(super) fn settle_launch_state(
    app: &mut App,
    background: bool,
    launched: f64,
    ev: &mut super::Event,
) {
    app.launch_state_open = false;
    app.foreground = !background;
    let state = if background {
        "background"
    } else {
        "foreground"
    };
    if background {
        app.launches.background += 1;
    } else {
        app.launches.foreground += 1;
    }
    if let Some(x) = app
        .relaunch_state_for
        .take()
        .and_then(|i| app.exits.get_mut(i))
    {
        x.relaunched_into = Some(state.into());
    }
    ev.note = Some(format!("the launch above was into the {state}"));
    if background {
        start_wake(app, launched, ev);
    } else {
        app.awake_since = None;
    }
}

/// The app exited (or was killed): status, signal, reason, and whether a relaunch is due.
pub(super) fn on_exit(app: &mut App, cx: &mut Cx<'_, '_>) {
    let now = cx.now;
    let hit = cx.hit;
    let t = cx.t;
    let pushkit_only = app.pushkit && !app.legacy;
    let model = Model::of(app);
    let dead_pid = cx.dead_pid;
    let (status, signal) = exit_code(hit);
    let system_kill = app.last_system_kill.is_some_and(|k| now - k < SAME);
    app.foreground = false;
    let ev = &mut *cx.ev;
    // Several daemons log one death: a line close in time, of the same pid (or one that does
    // not say), with no launch in between, is the same exit. Two deaths of two processes are
    // two exits however close (a crash loop).
    let open = app.exit_open.is_some() && app.exit_open == app.exits.len().checked_sub(1);
    if let Some(last) = app.exits.last_mut()
        && same_exit(last, open, now, dead_pid)
    {
        last.status = last.status.or(status);
        last.signal = last.signal.or(signal);
        last.pid = last.pid.or(dead_pid);
        ev.note = Some("same exit as above".into());
        let abnormal = last.signal.is_some();
        let kind = if last.signal.is_some() {
            "signal"
        } else {
            "exit"
        };
        if last.relaunch_expected.is_none() {
            last.relaunch_expected = expected(model, last.status, last.signal, system_kill);
            if last.relaunch_expected == Some(true) {
                app.awaiting_relaunch = Some(app.exits.len() - 1);
            }
        }
        if abnormal {
            note_death(app, cx, kind);
        }
        return;
    }
    let reason = hit.field("reason").map(str::to_string);
    let status = status.or(reason
        .as_deref()
        .filter(|r| r.contains("voluntar"))
        .map(|_| 0));
    let relaunch_expected = expected(model, status, signal, system_kill);
    app.exits.push(ExitInfo {
        time: ev.time.clone(),
        pid: dead_pid,
        status,
        signal,
        reason,
        relaunch_expected,
        relaunched_after_s: None,
        relaunched_into: None,
        crash: None,
        t,
        line: ev.line,
        message: ev.message.clone(),
    });
    app.awaiting_relaunch = (relaunch_expected == Some(true)).then(|| app.exits.len() - 1);
    app.exit_open = Some(app.exits.len() - 1);
    end_wake_by_death(app, cx);
    let ev = &mut *cx.ev;
    app.handler_open = None;
    app.last_launch = None;
    ev.note = Some(match relaunch_expected {
        Some(true) => "a crash, a kill by the system or a non-zero exit: iOS should relaunch a VoIP-socket app in the background".into(),
        Some(false) if pushkit_only => {
            "PushKit app: iOS does not relaunch it after an exit; the next VoIP push launches it"
                .into()
        }
        Some(false) => "exit status 0: iOS does not relaunch the app (on iOS 6/7, a swipe from the app switcher ended an app this way)".into(),
        None if model == Model::Unknown => "no sign yet of the VoIP model the app uses (VoIP socket or PushKit): the log does not say whether iOS owes it a relaunch".into(),
        None if signal == Some(9) => "SIGKILL without its context: a swipe from the app switcher (not relaunched) or a kill by the system (relaunched); the log does not say which".into(),
        None => "exit status unknown".into(),
    });
    // Only a signal leaves a crash report (`exit(1)` does not).
    let abnormal = signal.is_some();
    let kind = if signal.is_some() { "signal" } else { "exit" };
    if abnormal {
        note_death(app, cx, kind);
    }
    if status.is_some_and(|s| s != 0) || signal.is_some() {
        cx.ev.severity = cx.ev.severity.max(Severity::Warning);
    }
}

/// Whether an exit line at `now` of `pid` is `last`, the exit already recorded: several daemons
/// log one death, so a line close in time ([`SAME`]), of the same pid (or one that does not
/// say), with no launch since (`open`) is the same exit. Two deaths of two processes are two
/// exits however close together (a crash loop).
pub(super) fn same_exit(last: &ExitInfo, open: bool, now: f64, pid: Option<u32>) -> bool {
    open && last.t.is_some_and(|lt| now - lt < SAME)
        && (last.pid.is_none() || pid.is_none() || last.pid == pid)
}

/// The VoIP model the app's activity shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Model {
    /// PushKit only (pushes, CallKit, kills, bans): not relaunched after an exit.
    PushKit,
    /// The legacy VoIP socket (socket wakes, keep-alive): relaunched after a crash.
    Legacy,
    /// Neither seen yet.
    Unknown,
}

impl Model {
    pub(super) fn of(app: &App) -> Model {
        match (app.pushkit, app.legacy) {
            (_, true) => Model::Legacy,
            (true, false) => Model::PushKit,
            (false, false) => Model::Unknown,
        }
    }
}

/// Whether iOS relaunches the app after this exit. A PushKit app: never (the next VoIP push
/// launches it). A legacy VoIP-socket app: after a crash (a signal other than SIGKILL) or a
/// non-zero status, yes; after exit status 0, no. A SIGKILL is a swipe from the app switcher
/// (on today's iOS; not relaunched) or a kill by the system (relaunched): yes only when the
/// system's reason was seen just before (`system_kill`), else unknown.
pub(super) fn expected(
    model: Model,
    status: Option<i64>,
    signal: Option<i64>,
    system_kill: bool,
) -> Option<bool> {
    match model {
        Model::PushKit => return Some(false),
        // Only a VoIP-socket app is owed a relaunch; without a sign of either model the log
        // does not say.
        Model::Unknown => return None,
        Model::Legacy => {}
    }
    match (status, signal) {
        (_, Some(9)) => system_kill.then_some(true),
        (_, Some(_)) => Some(true),
        (Some(s), None) => Some(s != 0),
        (None, None) => None,
    }
}

pub(super) fn exit_code(hit: &Hit<'_>) -> (Option<i64>, Option<i64>) {
    let mut status = parse_num(hit.field("status"));
    let mut signal =
        parse_num(hit.field("signal")).or_else(|| hit.field("signame").and_then(signal_number));
    if let (Some(domain), Some(code)) = (hit.field("domain"), parse_num(hit.field("code"))) {
        match domain.to_ascii_lowercase().as_str() {
            "2" | "signal" => signal = signal.or(Some(code)),
            "1" | "exit" => status = status.or(Some(code)),
            _ => {}
        }
    }
    (status, signal)
}

pub(super) fn signal_number(name: &str) -> Option<i64> {
    let n = name.trim().trim_start_matches("SIG").to_ascii_uppercase();
    let n = n.split([':', ' ']).next().unwrap_or("");
    Some(match n {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "ILL" => 4,
        "TRAP" => 5,
        "ABRT" | "ABORT" => 6,
        "FPE" => 8,
        "KILL" | "KILLED" => 9,
        "BUS" => 10,
        "SEGV" => 11,
        "SYS" => 12,
        "PIPE" => 13,
        "ALRM" => 14,
        "TERM" | "TERMINATED" => 15,
        _ => return None,
    })
}

/// A relaunch that did not come within the window, once `now` is past it.
pub(super) fn due_relaunch(
    name: &str,
    app: &mut App,
    now: f64,
    window: f64,
    at: (&str, Option<f64>, u64),
) -> Option<super::Event> {
    let i = app.awaiting_relaunch?;
    let x = app.exits.get(i)?;
    if !x.t.is_some_and(|xt| now - xt > window) {
        return None;
    }
    app.awaiting_relaunch = None;
    *app.checks.entry(Check::NoRelaunch).or_default() += 1;
    Some(conclusion(
        name,
        at.0,
        at.1,
        at.2,
        Family::Exit,
        Check::NoRelaunch,
        format!(
            "not relaunched within {window:.0} s of the exit at line {} ({})",
            x.line, x.time
        ),
    ))
}

/// End of input: exits whose relaunch the log leaves open — the window had not passed, or the
/// exit does not say whether iOS owes a relaunch (a SIGKILL without its context).
pub(super) fn finish_exits(
    name: &str,
    app: &mut App,
    end: Option<f64>,
    cfg: &super::TrackConfig,
    book: &mut super::verdict::Book,
) {
    let pushkit_only = app.pushkit && !app.legacy;
    if let Some(i) = app.awaiting_relaunch.take()
        && let Some(x) = app.exits.get(i)
    {
        let after = end.zip(x.t).map(|(e, t)| e - t).unwrap_or(0.0);
        book.undecided(
            Check::NoRelaunch,
            Some(exit_evidence(name, x)),
            format!(
                "the log ends {after:.1} s after the exit, before the {:.0} s relaunch window closed",
                cfg.relaunch_window
            ),
        );
    }
    if pushkit_only {
        return;
    }
    for x in app
        .exits
        .iter()
        .filter(|x| x.relaunch_expected.is_none() && x.relaunched_after_s.is_none())
    {
        book.undecided(
            Check::NoRelaunch,
            Some(exit_evidence(name, x)),
            "an exit without its status or context: the log does not say whether iOS owes a relaunch (a user's swipe from the app switcher is not relaunched, a crash or a system kill is)".into(),
        );
    }
}

fn exit_evidence(name: &str, x: &ExitInfo) -> super::verdict::Evidence {
    super::verdict::Evidence {
        line: x.line,
        time: x.time.clone(),
        app: Some(name.to_string()),
        text: x.message.clone(),
    }
}
