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
    /// The last launch's line did not say background or foreground: a line of the same launch
    /// may still say it.
    pub(super) launch_state_open: bool,
    /// The exit (index into `exits`) that the open launch relaunches, its state to fill in.
    pub(super) relaunch_state_for: Option<usize>,
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

fn later(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

fn earlier(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

impl App {
    /// Take in `o`, what was tracked under the app's process name before the log linked that
    /// name (or pid) to the bundle ID: counts add up, times keep the earlier start and the later
    /// end, exits and open pushes join in time order. Conclusions already drawn stay as they
    /// were (a deadline passed before the link is not re-judged).
    pub(super) fn absorb(&mut self, mut o: App) {
        for p in o.pids.drain(..) {
            if !self.pids.contains(&p) {
                self.pids.push(p);
            }
        }
        self.launches.total += o.launches.total;
        self.launches.background += o.launches.background;
        self.launches.foreground += o.launches.foreground;
        for (k, v) in o.launches.by_reason {
            *self.launches.by_reason.entry(k).or_default() += v;
        }
        if o.last_launch > self.last_launch {
            self.launch_state_open = o.launch_state_open;
        }
        self.last_launch = later(self.last_launch, o.last_launch);
        if earlier(self.awake_since, o.awake_since) == o.awake_since && o.awake_since.is_some() {
            self.wake_ev = o.wake_ev;
        }
        self.awake_since = earlier(self.awake_since, o.awake_since);
        self.in_call |= o.in_call;
        self.foreground |= o.foreground;
        self.last_system_kill = later(self.last_system_kill, o.last_system_kill);
        self.ptt_pushes += o.ptt_pushes;
        self.wakes.merge(&o.wakes);
        self.wake_count += o.wake_count;
        self.wakes_over += o.wakes_over;
        self.keepalive_last = later(self.keepalive_last, o.keepalive_last);
        self.keepalive_count += o.keepalive_count;
        self.keepalive_intervals.merge(&o.keepalive_intervals);
        self.handler_open = earlier(self.handler_open, o.handler_open);
        self.handler.merge(&o.handler);
        self.keepalive_late += o.keepalive_late;
        self.handler_over += o.handler_over;
        // Exits in time order; the indices into them follow.
        let base = self.exits.len();
        let mut all: Vec<(usize, ExitInfo)> = std::mem::take(&mut self.exits)
            .into_iter()
            .chain(o.exits)
            .enumerate()
            .collect();
        all.sort_by(|a, b| {
            let t = |x: &ExitInfo| x.t.unwrap_or(f64::MAX);
            t(&a.1).total_cmp(&t(&b.1))
        });
        let new_index = |old: usize| all.iter().position(|(i, _)| *i == old);
        let ours = |i: Option<usize>| i.and_then(new_index);
        let theirs = |i: Option<usize>| i.and_then(|i| new_index(base + i));
        let pick = |a: Option<usize>, b: Option<usize>| match (a, b) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        };
        self.awaiting_relaunch = pick(ours(self.awaiting_relaunch), theirs(o.awaiting_relaunch));
        self.exit_open = pick(ours(self.exit_open), theirs(o.exit_open));
        self.relaunch_state_for = pick(ours(self.relaunch_state_for), theirs(o.relaunch_state_for));
        self.exits = all.into_iter().map(|(_, x)| x).collect();
        self.exits_dropped += o.exits_dropped;
        self.pushkit |= o.pushkit;
        self.legacy |= o.legacy;
        self.last_death = later(self.last_death, o.last_death);
        self.pushes.extend(o.pushes);
        self.pushes.sort_by(|a, b| a.t.total_cmp(&b.t));
        self.pushes_received += o.pushes_received;
        self.pushes_reported += o.pushes_reported;
        self.report_latency.merge(&o.report_latency);
        self.wake_latency.merge(&o.wake_latency);
        self.kills += o.kills;
        self.last_kill = later(self.last_kill, o.last_kill);
        self.bans += o.bans;
        self.banned |= o.banned;
        self.dropped += o.dropped;
        if o.requested_by.as_ref().map(|r| r.0) > self.requested_by.as_ref().map(|r| r.0) {
            self.requested_by = o.requested_by;
        }
        for (k, v) in o.events {
            *self.events.entry(k).or_default() += v;
        }
        for (k, v) in o.checks {
            *self.checks.entry(k).or_default() += v;
        }
    }

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
        self.relaunch_state_for = shift(self.relaunch_state_for);
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
