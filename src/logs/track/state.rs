//! The small per-app state the family handlers work on, and the clock that puts every line on
//! one time scale.

use super::summary::{ExitInfo, Launches, Running, round3};
use super::verdict::Check;

use crate::logs::decode::{Scale, Stamp};
use std::collections::BTreeMap;

/// Same-event window: lines closer than this describe one launch/exit/kill seen by several daemons.
pub(super) const SAME: f64 = 3.0;
/// How far in time a crash report given to `analyze` may be from the death it explains, when
/// both times are known (seconds).
pub(super) const REPORT_WINDOW: f64 = 120.0;

/// A VoIP push waiting for its CallKit report (or its kill).
#[derive(Debug, Clone)]
pub(super) struct Push {
    /// The push's line, for the verdict.
    pub(super) ev: super::verdict::Evidence,
    pub(super) t: f64,
    pub(super) woke: Option<f64>,
    pub(super) reported: bool,
    pub(super) closed: bool,
    /// What the log showed of it so far, for the cause chain.
    pub(super) phone: crate::diagnosis::Phone,
}

#[derive(Debug, Default, Clone)]
pub(super) struct App {
    pub(super) pids: Vec<u32>,
    pub(super) launches: Launches,
    pub(super) last_launch: Option<f64>,
    pub(super) awake_since: Option<f64>,
    /// A call was reported to CallKit during the current wake: the app runs for the call, not
    /// on the wake budget.
    pub(super) in_call: bool,
    /// In the foreground (the user's session): not a wake, not judged against the wake budget.
    pub(super) foreground: bool,
    /// When iOS last killed the app for a cause (watchdog, jetsam, CallKit, background time): a
    /// SIGKILL right after it is the system's, not the user's.
    pub(super) last_system_kill: Option<f64>,
    /// Push-to-Talk pushes (`.voip-ptt`): reported to the PushToTalk framework, not CallKit.
    pub(super) ptt_pushes: u64,
    /// The line that started the current wake.
    pub(super) wake_ev: Option<super::verdict::Evidence>,
    pub(super) wakes: Running,
    pub(super) wake_count: u64,
    pub(super) wakes_over: u64,
    /// The last keep-alive run, how many, and the intervals between them.
    pub(super) keepalive_last: Option<f64>,
    pub(super) keepalive_count: u64,
    pub(super) keepalive_intervals: Running,
    pub(super) handler_open: Option<f64>,
    pub(super) handler: Running,
    pub(super) keepalive_late: u64,
    pub(super) handler_over: u64,
    /// The last exits (see [`App::trim`]).
    pub(super) exits: Vec<ExitInfo>,
    /// Exits dropped from `exits`.
    pub(super) exits_dropped: u64,
    pub(super) awaiting_relaunch: Option<usize>,
    /// The last exit, until the next launch.
    pub(super) exit_open: Option<usize>,
    /// Seen PushKit/CallKit activity (pushes, delegate, reports, kills, bans).
    pub(super) pushkit: bool,
    /// Seen legacy VoIP-socket activity (socket wakes, keep-alive handler).
    pub(super) legacy: bool,
    /// When the last death was recorded (one death, several daemons' lines).
    pub(super) last_death: Option<f64>,
    /// The pushes still open (closed ones are counted and dropped).
    pub(super) pushes: Vec<Push>,
    pub(super) pushes_received: u64,
    pub(super) pushes_reported: u64,
    pub(super) report_latency: Running,
    pub(super) wake_latency: Running,
    pub(super) kills: u64,
    pub(super) last_kill: Option<f64>,
    pub(super) bans: u64,
    pub(super) banned: bool,
    pub(super) dropped: u64,
    pub(super) requested_by: Option<(f64, String)>,
    pub(super) events: BTreeMap<String, u64>,
    pub(super) checks: BTreeMap<Check, u64>,
}

impl App {
    /// A new push waits for its report.
    pub(super) fn add_push(&mut self, p: Push) {
        self.pushes_received += 1;
        self.pushes.push(p);
    }

    /// Keep memory flat over a long run: closed pushes are dropped (they are counted), and of
    /// the exits only the last `keep` stay (when there are twice as many, so that trimming is
    /// rare); the indices into `exits` follow.
    pub(super) fn trim(&mut self, keep: usize) {
        self.pushes.retain(|p| !p.closed);
        let keep = keep.max(1);
        if self.exits.len() <= 2 * keep {
            return;
        }
        let cut = self.exits.len() - keep;
        self.exits.drain(..cut);
        self.exits_dropped += cut as u64;
        let shift = |i: Option<usize>| i.and_then(|i| i.checked_sub(cut));
        self.awaiting_relaunch = shift(self.awaiting_relaunch);
        self.exit_open = shift(self.exit_open);
    }
}

/// Turns log stamps into one monotonic-ish seconds scale (syslog stamps have no year; Console
/// copies may have no date).
#[derive(Debug, Default, Clone)]
pub(super) struct Clock {
    pub(super) first: Option<f64>,
    pub(super) last: Option<f64>,
    pub(super) wrap: f64,
    pub(super) scale: Option<Scale>,
}

impl Clock {
    pub(super) fn at(&mut self, s: Option<Stamp>) -> Option<f64> {
        let Some(s) = s else {
            return self.last;
        };
        let scale = *self.scale.get_or_insert(s.scale);
        let mut t = s.secs + self.wrap;
        if scale == s.scale
            && let Some(last) = self.last
        {
            let period = match scale {
                Scale::YearRelative => Some(365.0 * 86400.0),
                Scale::DayRelative => Some(86400.0),
                Scale::Unix => None,
            };
            if let Some(p) = period
                && t < last - p / 2.0
            {
                self.wrap += p;
                t += p;
            }
        }
        self.first.get_or_insert(t);
        self.last = Some(t);
        Some(t)
    }
    pub(super) fn offset(&self, t: Option<f64>) -> Option<f64> {
        Some(round3(t? - self.first?))
    }
}

pub(super) fn parse_num(s: Option<&str>) -> Option<i64> {
    s?.trim().parse().ok()
}
