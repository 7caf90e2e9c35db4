//! Per-app state built from recognised events: wakes against the ~10 s budget, keep-alive cadence,
//! exits and relaunches, push → CallKit report, kills and bans. Pure and synchronous: the same
//! tracker serves `analyze` (a file) and `watch` (the phone).
//!
//! [`Tracker::observe`] works out which app a line is about (`attribute`) and hands the line to
//! the handler of its family, each over the app's small state (`state`): process life
//! (`process`), pushes and CallKit (`push`), wakes and keep-alive (`wake`), deaths and
//! crash reports (`crash`). The checks and the tracker's own conclusions are in `verdict`.

mod attribute;
mod crash;
mod process;
mod push;
mod state;
mod summary;
mod verdict;
mod wake;

#[cfg(test)]
mod tests;

pub use crash::Death;
pub use summary::{AppSummary, ExitInfo, Keepalive, Launches, Pushes, Stats, Wakes};
pub use verdict::{Check, CheckVerdict, Evidence, Verdict};

use super::decode::{Entry, Scale, Stamp};
use super::rules::{Family, Hit, Severity};
use attribute::SYSTEM_PROCESSES;
use serde::Serialize;
use state::{App, Clock, parse_num};
use std::collections::BTreeMap;
use summary::round3;

/// callservicesd's lines of one push (delivery, ack, topic) come within this many seconds.
const SAME_PUSH: f64 = 3.0;

/// Thresholds of the analysis (from the command line).
#[derive(Debug, Clone)]
pub struct TrackConfig {
    /// Seconds a woken app may run before suspending (iOS gives ~10 s).
    pub wake_budget: f64,
    /// `setKeepAliveTimeout:` value the app uses (≥ 600 s).
    pub keepalive_timeout: f64,
    /// Seconds a keep-alive handler may run.
    pub handler_budget: f64,
    /// Seconds after a non-zero exit within which a relaunch is expected.
    pub relaunch_window: f64,
    /// Seconds after a push within which the CallKit report is expected.
    pub report_window: f64,
    /// Track only these apps (empty: every app seen).
    pub bundles: Vec<String>,
    /// Process names of the app (`--process`), attributed to the only `-b` bundle.
    pub processes: Vec<String>,
    /// Exits (and deaths) kept per app for the summary (`--keep-events`); earlier ones are
    /// counted, not kept, so memory does not grow with the run's length.
    pub keep_events: usize,
}

impl Default for TrackConfig {
    fn default() -> Self {
        TrackConfig {
            wake_budget: 10.0,
            keepalive_timeout: 600.0,
            handler_budget: 10.0,
            relaunch_window: 60.0,
            report_window: 10.0,
            bundles: Vec::new(),
            processes: Vec::new(),
            keep_events: 100,
        }
    }
}

/// One timeline event: a recognised line, or something the tracker concluded.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Event {
    /// The timestamp as the log wrote it.
    pub time: String,
    /// Seconds since the first timestamped line of the input (null when the log has no times).
    pub offset_s: Option<f64>,
    /// Line number in the input (for `watch`: the entry's sequence number).
    pub line: u64,
    /// Rule ID (`voipctl.*` for the tracker's own conclusions).
    pub rule: String,
    /// Family.
    pub family: Family,
    /// Severity.
    pub severity: Severity,
    /// The app (bundle ID, or process name when the bundle is unknown).
    pub app: Option<String>,
    /// Emitting process.
    pub process: String,
    /// Emitting pid.
    pub pid: Option<u32>,
    /// What happened, in words.
    pub summary: String,
    /// Captured fields.
    pub fields: BTreeMap<String, String>,
    /// Duration of what ended here (wake, handler run), seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    /// Latency of what ended here (push → report, exit → relaunch), seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_s: Option<f64>,
    /// The check this event violates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<Check>,
    /// The tracker's explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The log message.
    pub message: String,
}

/// Turns recognised lines into timeline events and a per-app summary.
#[derive(Debug)]
pub struct Tracker {
    cfg: TrackConfig,
    apps: BTreeMap<String, App>,
    pid_app: BTreeMap<u32, String>,
    process_app: BTreeMap<String, String>,
    clock: Clock,
    /// Events not tied to an app (bans lifted, disconnects…).
    global_checks: BTreeMap<Check, u64>,
    /// The app of the latest push, and when it came.
    last_push: Option<(String, Option<f64>)>,
    /// A VoIP push callservicesd handled for an app it did not name (`<private>`), and when:
    /// the app callservicesd then asks to open is its app.
    orphan_push: Option<(f64, verdict::Evidence)>,
    deaths: Vec<Death>,
    /// What each check rests on.
    book: verdict::Book,
}

/// What the tracker concluded at the end of the input.
#[derive(Debug)]
pub struct Finished {
    /// The last timeline events (conclusions due at the end).
    pub tail: Vec<Event>,
    /// Per app.
    pub apps: Vec<AppSummary>,
    /// Violations per check.
    pub counts: BTreeMap<Check, u64>,
    /// Verdict per check.
    pub verdicts: BTreeMap<Check, CheckVerdict>,
    /// Seconds from the first to the last timestamp.
    pub span: Option<f64>,
}

/// What a family handler gets besides the app's state: the line's event (to annotate), where to
/// put conclusions and deaths, and the line's time.
pub(super) struct Cx<'a, 'h> {
    cfg: &'a TrackConfig,
    /// The app.
    name: &'a str,
    /// The line's time on the tracker's clock (`None`: the log has no times).
    t: Option<f64>,
    /// `t`, or 0.
    now: f64,
    /// `t` when the log's stamps are Unix times.
    unix: Option<f64>,
    hit: &'a Hit<'h>,
    ev: &'a mut Event,
    out: &'a mut Vec<Event>,
    deaths: &'a mut Vec<Death>,
    /// The pid that died, if this line is a death.
    dead_pid: Option<u32>,
    /// Process names seen for the app.
    processes: &'a [String],
    /// Where passes and open cases are noted (violations are the events with a check).
    book: &'a mut verdict::Book,
}

impl Tracker {
    /// A tracker with these thresholds.
    pub fn new(cfg: TrackConfig) -> Self {
        let mut process_app = BTreeMap::new();
        if cfg.bundles.len() == 1 {
            for p in &cfg.processes {
                process_app.insert(p.clone(), cfg.bundles[0].clone());
            }
        }
        Tracker {
            cfg,
            apps: BTreeMap::new(),
            pid_app: BTreeMap::new(),
            process_app,
            clock: Clock::default(),
            global_checks: BTreeMap::new(),
            last_push: None,
            orphan_push: None,
            deaths: Vec::new(),
            book: verdict::Book::default(),
        }
    }

    /// Note a line's time without an event (keeps the clock and the deadlines moving).
    /// Returns the tracker's conclusions that became due (no relaunch after an exit…).
    pub fn tick(&mut self, stamp: Option<Stamp>, line: u64, time_text: &str) -> Vec<Event> {
        let t = self.clock.at(stamp);
        let evs = self.due(t, line, time_text);
        self.book.note_events(&evs);
        evs
    }

    /// Record a recognised line; returns the events for the timeline (the line's own event
    /// first, then any conclusion that became due).
    pub fn observe(&mut self, e: &Entry<'_>, hit: &Hit<'_>, line: u64) -> Vec<Event> {
        let t = self.clock.at(e.time);
        let mut out = self.due(t, line, &e.time_text);
        let app = self.attribute(e, hit);
        if let Some(a) = &app
            && !self.wanted(a)
            && hit.rule.family != Family::BanLifted
        {
            self.book.note_events(&out);
            return out;
        }
        let mut ev = Event {
            time: e.time_text.to_string(),
            offset_s: self.clock.offset(t),
            line,
            rule: hit.rule.id.clone(),
            family: hit.rule.family,
            severity: hit.rule.severity,
            app: app.clone(),
            process: e.process.to_string(),
            pid: e.pid,
            summary: hit.summary(),
            fields: hit.fields.clone(),
            duration_s: None,
            latency_s: None,
            check: None,
            note: None,
            message: e.message.to_string(),
        };
        match app {
            Some(a) => {
                if let Some(pid) = e.pid
                    && !SYSTEM_PROCESSES.contains(&e.process.as_ref())
                {
                    self.pid_app.entry(pid).or_insert_with(|| a.clone());
                }
                self.apply(&a, t, hit, &mut ev, &mut out);
            }
            None => {
                if matches!(
                    hit.rule.family,
                    Family::PushCallservicesd | Family::PushApns
                ) && let Some(t) = t
                    && self
                        .orphan_push
                        .as_ref()
                        .is_none_or(|(pt, _)| t - pt > SAME_PUSH)
                {
                    self.orphan_push = Some((t, verdict::Evidence::of(&ev)));
                }
                if hit.rule.family == Family::BanLifted {
                    for app in self.apps.values_mut() {
                        app.banned = false;
                    }
                }
            }
        }
        if let Some(c) = ev.check {
            self.count_check(ev.app.as_deref(), c);
        }
        out.insert(0, ev);
        self.book.note_events(&out);
        out
    }

    fn count_check(&mut self, app: Option<&str>, c: Check) {
        match app.and_then(|a| self.apps.get_mut(a)) {
            Some(a) => *a.checks.entry(c).or_default() += 1,
            None => *self.global_checks.entry(c).or_default() += 1,
        }
    }

    fn apply(
        &mut self,
        name: &str,
        t: Option<f64>,
        hit: &Hit<'_>,
        ev: &mut Event,
        out: &mut Vec<Event>,
    ) {
        let family = hit.rule.family;
        if matches!(family, Family::PushApns | Family::PushCallservicesd) {
            self.last_push = Some((name.to_string(), t));
        }
        let unix = t.filter(|_| self.clock.scale == Some(Scale::Unix));
        let processes: Vec<String> = self
            .process_app
            .iter()
            .filter(|(_, b)| b.as_str() == name)
            .map(|(p, _)| p.clone())
            .collect();
        // callservicesd opens the app for the push it did not name: that push is this app's.
        // A push line that names the app right after callservicesd's unnamed one: the same push.
        if matches!(family, Family::PushApns | Family::PushCallservicesd)
            && self
                .orphan_push
                .as_ref()
                .is_some_and(|(pt, _)| t.is_some_and(|now| now - pt <= SAME_PUSH))
        {
            self.orphan_push = None;
        }
        let orphan = if family == Family::LaunchRequest
            && (ev.process == "callservicesd"
                || hit
                    .field("requester")
                    .is_some_and(|r| r.contains("callservicesd")))
        {
            self.orphan_push
                .take()
                .filter(|(pt, _)| t.is_some_and(|now| now - pt <= attribute::PUSH_CONTEXT))
        } else {
            None
        };
        if let Some((pt, _)) = &orphan {
            self.last_push = Some((name.to_string(), Some(*pt)));
        }
        let app = self.apps.entry(name.to_string()).or_default();
        *app.events.entry(family.name().to_string()).or_default() += 1;
        if let Some((pt, mut pev)) = orphan {
            pev.app = Some(name.to_string());
            let phone = crate::diagnosis::Phone {
                delivered: Some(pev.text.clone()),
                ..crate::diagnosis::Phone::default()
            };
            app.add_push(state::Push {
                ev: pev,
                t: pt,
                woke: None,
                reported: false,
                closed: false,
                phone,
            });
            *app.events
                .entry(Family::PushCallservicesd.name().to_string())
                .or_default() += 1;
            note_model(app, Family::PushCallservicesd);
        }
        note_model(app, family);
        let dead_pid = ev
            .pid
            .filter(|_| !SYSTEM_PROCESSES.contains(&ev.process.as_str()))
            .or_else(|| parse_num(hit.field("pid")).and_then(|p| u32::try_from(p).ok()))
            .or_else(|| app.pids.last().copied());
        if let Some(pid) = ev
            .pid
            .filter(|_| !SYSTEM_PROCESSES.contains(&ev.process.as_str()))
            && !app.pids.contains(&pid)
        {
            app.pids.push(pid);
        }
        if let Some(pid) = parse_num(hit.field("pid")).and_then(|p| u32::try_from(p).ok())
            && !app.pids.contains(&pid)
        {
            app.pids.push(pid);
        }
        let mut cx = Cx {
            cfg: &self.cfg,
            name,
            t,
            now: t.unwrap_or(0.0),
            unix,
            hit,
            ev,
            out,
            deaths: &mut self.deaths,
            dead_pid,
            processes: &processes,
            book: &mut self.book,
        };
        match family {
            Family::LaunchRequest => process::on_launch_request(app, &mut cx),
            Family::Launch => process::on_launch(app, &mut cx),
            Family::Exit => process::on_exit(app, &mut cx),
            Family::Resume | Family::SocketWake | Family::Assertion => wake::on_wake(app, &mut cx),
            Family::Suspend => wake::on_suspend(app, &mut cx),
            Family::Keepalive => wake::on_keepalive(app, &mut cx),
            Family::KeepaliveEnd => wake::on_keepalive_end(app, &mut cx),
            Family::BgtimeExpired => wake::on_bgtime(&mut cx),
            Family::PushApns => push::on_apns(app, &mut cx),
            Family::PushCallservicesd => push::on_callservicesd(app, &mut cx),
            Family::PushDelegate => push::on_delegate(app, &mut cx),
            Family::CallkitReport | Family::CallkitReportFailed => push::on_report(app, &mut cx),
            Family::CallkitKill => push::on_kill(app, &mut cx),
            Family::Ban => push::on_ban(app, &mut cx),
            Family::BanLifted => app.banned = false,
            Family::PushDropped => push::on_dropped(app, &mut cx),
            Family::Watchdog | Family::Jetsam => crash::on_system_kill(app, &mut cx),
            Family::WakeLimit => cx.ev.check = Some(Check::WakeLimit),
            Family::LegacyVoipUnsupported => cx.ev.check = Some(Check::LegacyVoipUnsupported),
            Family::SocketReconnect
            | Family::CrashReport
            | Family::ConfigError
            | Family::Disconnected
            | Family::Reconnected
            | Family::Custom => {}
        }
        // The pid is free again once its process is gone: iOS reuses pids.
        if matches!(
            family,
            Family::Exit | Family::Jetsam | Family::Watchdog | Family::CallkitKill
        ) && let Some(pid) = dead_pid
            && self.pid_app.get(&pid).is_some_and(|a| a == name)
        {
            self.pid_app.remove(&pid);
        }
        let keep = self.cfg.keep_events;
        if let Some(app) = self.apps.get_mut(name) {
            app.trim(keep);
        }
        if self.deaths.len() > 2 * keep.max(1) {
            let cut = self.deaths.len() - keep.max(1);
            self.deaths.drain(..cut);
        }
    }

    /// Conclusions whose deadline passed by `t`.
    fn due(&mut self, t: Option<f64>, line: u64, time_text: &str) -> Vec<Event> {
        let Some(now) = t else {
            return Vec::new();
        };
        let window = self.cfg.relaunch_window;
        let offset = self.clock.offset(t);
        self.apps
            .iter_mut()
            .filter_map(|(name, app)| {
                process::due_relaunch(name, app, now, window, (time_text, offset, line))
            })
            .collect()
    }

    /// A gap in a live stream (the phone went away and maybe came back).
    pub fn gap(
        &mut self,
        stamp: Option<Stamp>,
        line: u64,
        time_text: &str,
        family: Family,
        summary: String,
    ) -> Event {
        let t = self.clock.at(stamp);
        if family == Family::Disconnected {
            *self.global_checks.entry(Check::Disconnected).or_default() += 1;
        }
        Event {
            time: time_text.to_string(),
            offset_s: self.clock.offset(t),
            line,
            rule: format!("voipctl.{}", family.name()),
            family,
            severity: family.default_severity(),
            app: None,
            process: "voipctl".into(),
            pid: None,
            summary,
            fields: BTreeMap::new(),
            duration_s: None,
            latency_s: None,
            check: (family == Family::Disconnected).then_some(Check::Disconnected),
            note: None,
            message: String::new(),
        }
    }

    /// End of input (`line`: the last line's number): conclude what is still open; the last
    /// events, the per-app summaries, the counts and the verdict of every check.
    pub fn finish(mut self, line: u64) -> Finished {
        let end = self.clock.last;
        let offset = self.clock.offset(end);
        let mut out = Vec::new();
        let cfg = self.cfg.clone();
        for (name, app) in &mut self.apps {
            if let Some(now) = end {
                push::finish_pushes(app, now, &cfg, &mut self.book);
                out.extend(process::due_relaunch(
                    name,
                    app,
                    now,
                    cfg.relaunch_window,
                    ("", offset, line),
                ));
                wake::finish_wake(app, now, &cfg, &mut self.book, name);
            }
            process::finish_exits(name, app, end, &cfg, &mut self.book);
            app.settle_counts();
        }
        self.book.note_events(&out);
        let mut counts = self.global_checks.clone();
        let mut apps = Vec::new();
        let activity = !self.apps.is_empty();
        for (name, app) in self.apps {
            for (c, n) in &app.checks {
                *counts.entry(*c).or_default() += n;
            }
            apps.push(app.summary(name, &cfg));
        }
        let span = match (self.clock.first, self.clock.last) {
            (Some(a), Some(b)) => Some(round3(b - a)),
            _ => None,
        };
        let verdicts = self.book.verdicts(&counts, activity);
        Finished {
            tail: out,
            apps,
            counts,
            verdicts,
            span,
        }
    }
}

/// Which VoIP model the app's activity shows: PushKit (pushes, CallKit, kills, bans) or the
/// legacy VoIP socket (socket wakes, keep-alive).
fn note_model(app: &mut App, family: Family) {
    match family {
        Family::PushApns
        | Family::PushCallservicesd
        | Family::PushDelegate
        | Family::CallkitReport
        | Family::CallkitReportFailed
        | Family::CallkitKill
        | Family::Ban => {
            app.pushkit = true;
            // An app seen exiting before its first push turns out to be a PushKit app: it
            // is not relaunched after the exit, the push launches it.
            if !app.legacy {
                if let Some(i) = app.awaiting_relaunch.take()
                    && let Some(x) = app.exits.get_mut(i)
                {
                    x.relaunch_expected = Some(false);
                }
                for x in app
                    .exits
                    .iter_mut()
                    .filter(|x| x.relaunch_expected.is_none())
                {
                    x.relaunch_expected = Some(false);
                }
            }
        }
        Family::SocketWake
        | Family::Keepalive
        | Family::KeepaliveEnd
        | Family::LegacyVoipUnsupported => app.legacy = true,
        _ => {}
    }
}
