//! What the tracker hands out at the end: the per-app summary (`apps[]` in the JSON summary).

use super::TrackConfig;
use super::state::App;
use super::verdict::Check;
use serde::Serialize;
use std::collections::BTreeMap;

/// Latency and interval figures: the one stats shape (no percentiles here: see `stats`).
pub use crate::stats::Stats;

/// Count, min, max, mean and variance of a series, kept as it grows (Welford): memory stays
/// flat however long the run.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Running {
    n: u64,
    min: f64,
    max: f64,
    mean: f64,
    m2: f64,
}

impl Running {
    /// Add one value.
    pub(super) fn push(&mut self, x: f64) {
        if self.n == 0 {
            self.min = x;
            self.max = x;
        } else {
            self.min = self.min.min(x);
            self.max = self.max.max(x);
        }
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Add all the values of `o` (Chan et al.'s parallel update).
    pub(super) fn merge(&mut self, o: &Running) {
        if o.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *o;
            return;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        self.mean += d * o.n as f64 / n as f64;
        self.m2 += o.m2 + d * d * (self.n as f64 * o.n as f64) / n as f64;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
        self.n = n;
    }

    /// The figures.
    pub(super) fn stats(&self) -> Stats {
        if self.n == 0 {
            return Stats::default();
        }
        Stats {
            count: self.n,
            min: Some(round3(self.min)),
            mean: Some(round3(self.mean)),
            max: Some(round3(self.max)),
            stddev: Some(round3((self.m2 / self.n as f64).max(0.0).sqrt())),
            // Running aggregates keep no values: memory stays flat, percentiles are unknown.
            p50: None,
            p95: None,
            p99: None,
        }
    }
}

pub(super) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Launch counts of one app.
#[derive(Debug, Clone, Default, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Launches {
    /// All launches.
    pub total: u64,
    /// Into the background.
    pub background: u64,
    /// Into the foreground.
    pub foreground: u64,
    /// Why: `voip-push`, `relaunch`, `user`, `system`.
    pub by_reason: BTreeMap<String, u64>,
}

/// One exit of the app.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct ExitInfo {
    /// When (log text).
    pub time: String,
    /// The pid that exited, when known.
    pub pid: Option<u32>,
    /// Exit status, when known.
    pub status: Option<i64>,
    /// Signal number, when known.
    pub signal: Option<i64>,
    /// Reason text (voluntary, a termination namespace…).
    pub reason: Option<String>,
    /// iOS relaunches a legacy VoIP-socket app after a non-zero exit (not after exit 0); a
    /// PushKit app is not relaunched after an exit: the next VoIP push launches it.
    pub relaunch_expected: Option<bool>,
    /// Seconds until the next launch, if it came.
    pub relaunched_after_s: Option<f64>,
    /// `background` or `foreground`, if launched again.
    pub relaunched_into: Option<String>,
    /// The crash report fetched from the phone for this death (`watch`), or given to `analyze`
    /// with `--crash-report`.
    pub crash: Option<crate::crash::CrashReport>,
    #[serde(skip)]
    pub(super) t: Option<f64>,
    #[serde(skip)]
    pub(super) line: u64,
    /// The exit's log message.
    #[serde(skip)]
    pub(super) message: String,
}

/// Push figures of one app.
#[derive(Debug, Clone, Default, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Pushes {
    /// VoIP pushes seen (apsd, or callservicesd when apsd did not log).
    pub received: u64,
    /// Reported to CallKit.
    pub reported: u64,
    /// Not reported (killed, or no report before the next push or the end).
    pub not_reported: u64,
    /// Push → CallKit report, seconds.
    pub report_latency_s: Stats,
    /// Push → app launch or wake, seconds.
    pub wake_latency_s: Stats,
    /// CallKit-enforcement kills.
    pub callkit_kills: u64,
    /// Ban messages.
    pub bans: u64,
    /// Banned at the end of the log.
    pub banned: bool,
    /// Dropped pushes.
    pub dropped: u64,
    /// Push-to-Talk pushes (`.voip-ptt`): not counted in `received`, no CallKit report expected.
    pub push_to_talk: u64,
}

/// Keep-alive figures of one app.
#[derive(Debug, Clone, Default, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Keepalive {
    /// Handler runs.
    pub runs: u64,
    /// The configured timeout.
    pub timeout_s: f64,
    /// Seconds between runs (stddev = jitter).
    pub interval_s: Stats,
    /// Intervals over twice the timeout (an interval without a run).
    pub late: u64,
    /// Handler run time (marker begin → end, or begin → suspend).
    pub handler_s: Stats,
    /// Runs over the handler budget.
    pub over_budget: u64,
}

/// Wake figures of one app.
#[derive(Debug, Clone, Default, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Wakes {
    /// Wakes (resume, socket data, push assertion, keep-alive, background launch).
    pub count: u64,
    /// The budget.
    pub budget_s: f64,
    /// Wake → suspend durations.
    pub duration_s: Stats,
    /// Wakes over the budget.
    pub over_budget: u64,
}

/// Everything known about one app at the end.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct AppSummary {
    /// Bundle ID (or process name when unknown).
    pub app: String,
    /// Pids seen.
    pub pids: Vec<u32>,
    /// Launches.
    pub launches: Launches,
    /// Wakes.
    pub wakes: Wakes,
    /// Keep-alive.
    pub keepalive: Keepalive,
    /// Exits (the last `--keep-events` of them).
    pub exits: Vec<ExitInfo>,
    /// Earlier exits not kept in `exits` (counted in every figure all the same).
    pub exits_dropped: u64,
    /// Pushes.
    pub pushes: Pushes,
    /// Events per family.
    pub events: BTreeMap<String, u64>,
    /// Violations per check.
    pub checks: BTreeMap<String, u64>,
}

impl App {
    /// Over-budget runs closed by a suspend (not by a marker) were not counted as checks yet.
    pub(super) fn settle_counts(&mut self) {
        for (c, n) in [
            (Check::WakeOverBudget, self.wakes_over),
            (Check::KeepaliveLate, self.keepalive_late),
            (Check::KeepaliveOverBudget, self.handler_over),
        ] {
            let have = self.checks.get(&c).copied().unwrap_or(0);
            if n > have {
                self.checks.insert(c, n);
            }
        }
    }

    /// The app's summary at the end.
    pub(super) fn summary(self, name: String, cfg: &TrackConfig) -> AppSummary {
        AppSummary {
            app: name,
            pids: self.pids,
            launches: self.launches,
            wakes: Wakes {
                count: self.wake_count,
                budget_s: cfg.wake_budget,
                duration_s: self.wakes.stats(),
                over_budget: self.wakes_over,
            },
            keepalive: Keepalive {
                runs: self.keepalive_count,
                timeout_s: cfg.keepalive_timeout,
                interval_s: self.keepalive_intervals.stats(),
                late: self.keepalive_late,
                handler_s: self.handler.stats(),
                over_budget: self.handler_over,
            },
            exits: self.exits,
            exits_dropped: self.exits_dropped,
            pushes: Pushes {
                received: self.pushes_received,
                reported: self.pushes_reported,
                not_reported: self
                    .checks
                    .get(&Check::PushNotReported)
                    .copied()
                    .unwrap_or(0),
                report_latency_s: self.report_latency.stats(),
                wake_latency_s: self.wake_latency.stats(),
                callkit_kills: self.kills,
                bans: self.bans,
                banned: self.banned,
                dropped: self.dropped,
                push_to_talk: self.ptt_pushes,
            },
            events: self.events,
            checks: self
                .checks
                .iter()
                .map(|(c, n)| (c.name().to_string(), *n))
                .collect(),
        }
    }
}
