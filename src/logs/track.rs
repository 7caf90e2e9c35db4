//! Per-app state built from recognised events: wakes against the ~10 s budget, keep-alive cadence,
//! exits and relaunches, push → launch/wake → CallKit report, kills and bans. Pure and
//! synchronous: the same tracker serves `analyze` (a file) and `watch` (the phone).

use super::decode::{Entry, Scale, Stamp};
use super::rules::{Family, Hit, Severity};
use serde::Serialize;
use std::collections::BTreeMap;

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
        }
    }
}

/// A threshold that `--fail-on` can turn into a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// A wake lasted longer than the wake budget.
    WakeOverBudget,
    /// More than two keep-alive timeouts passed without a handler run.
    KeepaliveLate,
    /// A keep-alive handler ran longer than the handler budget.
    KeepaliveOverBudget,
    /// A non-zero exit was not followed by a relaunch within the window.
    NoRelaunch,
    /// A VoIP push was not reported to CallKit.
    PushNotReported,
    /// The report came later than the report window.
    ReportLate,
    /// iOS killed the app for not reporting a call.
    CallkitKill,
    /// callservicesd banned the app from VoIP launches.
    Ban,
    /// apsd/callservicesd dropped a VoIP push.
    PushDropped,
    /// A watchdog kill.
    Watchdog,
    /// A jetsam kill.
    Jetsam,
    /// Background time expired.
    BgtimeExpired,
    /// SpringBoard's VoIP wake limit was hit.
    WakeLimit,
    /// The legacy VoIP model is not supported for this build or iOS.
    LegacyVoipUnsupported,
    /// The phone went away during `watch`.
    Disconnected,
}

impl Check {
    /// Every check, in report order.
    pub const ALL: [Check; 15] = [
        Check::WakeOverBudget,
        Check::KeepaliveLate,
        Check::KeepaliveOverBudget,
        Check::NoRelaunch,
        Check::PushNotReported,
        Check::ReportLate,
        Check::CallkitKill,
        Check::Ban,
        Check::PushDropped,
        Check::Watchdog,
        Check::Jetsam,
        Check::BgtimeExpired,
        Check::WakeLimit,
        Check::LegacyVoipUnsupported,
        Check::Disconnected,
    ];
    /// The kebab-case name (for `--fail-on` and JSON).
    pub fn name(self) -> &'static str {
        match self {
            Check::WakeOverBudget => "wake-over-budget",
            Check::KeepaliveLate => "keepalive-late",
            Check::KeepaliveOverBudget => "keepalive-over-budget",
            Check::NoRelaunch => "no-relaunch",
            Check::PushNotReported => "push-not-reported",
            Check::ReportLate => "report-late",
            Check::CallkitKill => "callkit-kill",
            Check::Ban => "ban",
            Check::PushDropped => "push-dropped",
            Check::Watchdog => "watchdog",
            Check::Jetsam => "jetsam",
            Check::BgtimeExpired => "bgtime-expired",
            Check::WakeLimit => "wake-limit",
            Check::LegacyVoipUnsupported => "legacy-voip-unsupported",
            Check::Disconnected => "disconnected",
        }
    }
    /// Parse a `--fail-on` name.
    pub fn parse(s: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// One timeline event: a recognised line, or something the tracker concluded.
#[derive(Debug, Clone, Serialize, PartialEq)]
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

/// Latency figures.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Stats {
    /// How many values.
    pub count: u64,
    /// Smallest.
    pub min: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
    /// Largest.
    pub max: Option<f64>,
    /// Standard deviation (population).
    pub stddev: Option<f64>,
}

impl Stats {
    fn of(v: &[f64]) -> Stats {
        if v.is_empty() {
            return Stats::default();
        }
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        Stats {
            count: v.len() as u64,
            min: v.iter().copied().reduce(f64::min).map(round3),
            mean: Some(round3(mean)),
            max: v.iter().copied().reduce(f64::max).map(round3),
            stddev: Some(round3(var.sqrt())),
        }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Launch counts of one app.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
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
#[derive(Debug, Clone, Serialize, PartialEq)]
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
    t: Option<f64>,
    #[serde(skip)]
    line: u64,
}

/// A death of a tracked app (an exit with a signal or a non-zero status, a kill): what `watch`
/// looks for a crash report of.
#[derive(Debug, Clone, PartialEq)]
pub struct Death {
    /// The app.
    pub app: String,
    /// The pid that died, when known.
    pub pid: Option<u32>,
    /// Process names seen for the app (crash reports are named after the process).
    pub processes: Vec<String>,
    /// When (Unix seconds on the phone's clock), when the log's stamps say it.
    pub unix: Option<f64>,
    /// The timestamp text of the line.
    pub time: String,
    /// The line (sequence number) of the death.
    pub line: u64,
    /// What killed it: `exit`, `signal`, `callkit-kill`, `watchdog`, `jetsam`.
    pub kind: &'static str,
    t: Option<f64>,
}

impl Death {
    /// The process names a crash report of this death may bear: those seen in the log, and the
    /// last component of the bundle ID (`com.example.call` → `call`).
    pub fn names(&self) -> Vec<String> {
        let mut names = self.processes.clone();
        if let Some(last) = self.app.rsplit('.').next()
            && !last.is_empty()
            && !names.iter().any(|p| p.eq_ignore_ascii_case(last))
        {
            names.push(last.to_string());
        }
        names
    }
}

/// Push figures of one app.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
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
}

/// Keep-alive figures of one app.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
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
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
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
#[derive(Debug, Clone, Serialize, PartialEq)]
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
    /// Exits.
    pub exits: Vec<ExitInfo>,
    /// Pushes.
    pub pushes: Pushes,
    /// Events per family.
    pub events: BTreeMap<String, u64>,
    /// Violations per check.
    pub checks: BTreeMap<String, u64>,
}

#[derive(Debug, Clone)]
struct Push {
    t: f64,
    woke: Option<f64>,
    reported: bool,
    closed: bool,
}

#[derive(Debug, Default, Clone)]
struct App {
    pids: Vec<u32>,
    launches: Launches,
    last_launch: Option<f64>,
    awake_since: Option<f64>,
    wakes: Vec<f64>,
    wake_count: u64,
    wakes_over: u64,
    keepalive_runs: Vec<f64>,
    handler_open: Option<f64>,
    handler: Vec<f64>,
    keepalive_late: u64,
    handler_over: u64,
    exits: Vec<ExitInfo>,
    awaiting_relaunch: Option<usize>,
    /// The last exit, until the next launch.
    exit_open: Option<usize>,
    /// Seen PushKit/CallKit activity (pushes, delegate, reports, kills, bans).
    pushkit: bool,
    /// Seen legacy VoIP-socket activity (socket wakes, keep-alive handler).
    legacy: bool,
    /// When the last death was recorded (one death, several daemons' lines).
    last_death: Option<f64>,
    pushes: Vec<Push>,
    report_latency: Vec<f64>,
    wake_latency: Vec<f64>,
    kills: u64,
    last_kill: Option<f64>,
    bans: u64,
    banned: bool,
    dropped: u64,
    requested_by: Option<(f64, String)>,
    events: BTreeMap<String, u64>,
    checks: BTreeMap<Check, u64>,
}

/// Same-event window: lines closer than this describe one launch/exit/kill seen by several daemons.
const SAME: f64 = 3.0;
/// How far in time a crash report given to `analyze` may be from the death it explains, when
/// both times are known (seconds).
const REPORT_WINDOW: f64 = 120.0;

const SYSTEM_PROCESSES: &[&str] = &[
    "SpringBoard",
    "runningboardd",
    "callservicesd",
    "apsd",
    "assertiond",
    "backboardd",
    "kernel",
    "launchd",
    "FrontBoard",
    "ReportCrash",
    "osanalyticshelper",
    "symptomsd",
    "mediaserverd",
    "dasd",
    "voipctl",
    "identityservicesd",
    "CommCenter",
];

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
    last_push_app: Option<String>,
    deaths: Vec<Death>,
}

/// Turns log stamps into one monotonic-ish seconds scale (syslog stamps have no year; Console
/// copies may have no date).
#[derive(Debug, Default, Clone)]
struct Clock {
    first: Option<f64>,
    last: Option<f64>,
    wrap: f64,
    scale: Option<Scale>,
}

impl Clock {
    fn at(&mut self, s: Option<Stamp>) -> Option<f64> {
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
    fn offset(&self, t: Option<f64>) -> Option<f64> {
        Some(round3(t? - self.first?))
    }
}

fn parse_num(s: Option<&str>) -> Option<i64> {
    s?.trim().parse().ok()
}

fn signal_number(name: &str) -> Option<i64> {
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

/// Looks like a bundle ID (not `<private>`, has a dot).
fn is_bundle(s: &str) -> bool {
    s.contains('.') && !s.starts_with('<') && !s.starts_with('.') && s.len() < 256
}

fn topic_bundle(topic: &str) -> &str {
    topic
        .strip_suffix(".voip-ptt")
        .or_else(|| topic.strip_suffix(".voip"))
        .unwrap_or(topic)
}

fn last_component_matches(bundle: &str, process: &str) -> bool {
    let last = bundle.rsplit('.').next().unwrap_or(bundle);
    let norm = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect::<String>()
    };
    !last.is_empty() && norm(last) == norm(process)
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
            last_push_app: None,
            deaths: Vec::new(),
        }
    }

    /// Note a line's time without an event (keeps the clock and the deadlines moving).
    /// Returns the tracker's conclusions that became due (no relaunch after an exit…).
    pub fn tick(&mut self, stamp: Option<Stamp>, line: u64, time_text: &str) -> Vec<Event> {
        let t = self.clock.at(stamp);
        self.due(t, line, time_text)
    }

    fn wanted(&self, app: &str) -> bool {
        self.cfg.bundles.is_empty() || self.cfg.bundles.iter().any(|b| b == app)
    }

    /// Which app a recognised line is about.
    fn attribute(&mut self, e: &Entry<'_>, hit: &Hit<'_>) -> Option<String> {
        let pid_field = parse_num(hit.field("pid")).and_then(|p| u32::try_from(p).ok());
        let bundle = hit
            .field("bundle")
            .filter(|b| is_bundle(b))
            .map(str::to_string)
            .or_else(|| {
                hit.field("topic")
                    .filter(|t| t.ends_with(".voip") || t.ends_with(".voip-ptt"))
                    .map(|t| topic_bundle(t).to_string())
            });
        if let Some(b) = bundle {
            if let Some(pid) = pid_field {
                self.pid_app.insert(pid, b.clone());
            }
            return Some(b);
        }
        if let Some(pid) = pid_field
            && let Some(b) = self.pid_app.get(&pid)
        {
            return Some(b.clone());
        }
        if let Some(p) = hit.field("process")
            && let Some(b) = self.process_app.get(p)
        {
            return Some(b.clone());
        }
        let process = e.process.as_ref();
        let system = process.is_empty() || SYSTEM_PROCESSES.contains(&process);
        if !system {
            if let Some(pid) = e.pid
                && let Some(b) = self.pid_app.get(&pid).cloned()
            {
                self.process_app.insert(process.to_string(), b.clone());
                return Some(b);
            }
            if let Some(b) = self.process_app.get(process) {
                return Some(b.clone());
            }
            let known = self
                .apps
                .keys()
                .chain(self.cfg.bundles.iter())
                .find(|b| last_component_matches(b, process))
                .cloned()
                .or_else(|| (self.cfg.bundles.len() == 1).then(|| self.cfg.bundles[0].clone()));
            if let Some(b) = known {
                self.process_app.insert(process.to_string(), b.clone());
                if let Some(pid) = e.pid {
                    self.pid_app.insert(pid, b.clone());
                }
                return Some(b);
            }
            return Some(process.to_string());
        }
        // callservicesd lines without a bundle continue the latest push.
        if process == "callservicesd"
            && matches!(
                hit.rule.family,
                Family::LaunchRequest | Family::Assertion | Family::PushCallservicesd
            )
        {
            return self.last_push_app.clone();
        }
        None
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
        out
    }

    fn count_check(&mut self, app: Option<&str>, c: Check) {
        match app.and_then(|a| self.apps.get_mut(a)) {
            Some(a) => *a.checks.entry(c).or_default() += 1,
            None => *self.global_checks.entry(c).or_default() += 1,
        }
    }

    #[allow(clippy::too_many_lines)]
    fn apply(
        &mut self,
        name: &str,
        t: Option<f64>,
        hit: &Hit<'_>,
        ev: &mut Event,
        out: &mut Vec<Event>,
    ) {
        let cfg = self.cfg.clone();
        let family = hit.rule.family;
        if matches!(family, Family::PushApns | Family::PushCallservicesd) {
            self.last_push_app = Some(name.to_string());
        }
        let unix = t.filter(|_| self.clock.scale == Some(Scale::Unix));
        let processes: Vec<String> = self
            .process_app
            .iter()
            .filter(|(_, b)| b.as_str() == name)
            .map(|(p, _)| p.clone())
            .collect();
        let app = self.apps.entry(name.to_string()).or_default();
        *app.events.entry(family.name().to_string()).or_default() += 1;
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
                if !app.legacy
                    && let Some(i) = app.awaiting_relaunch.take()
                    && let Some(x) = app.exits.get_mut(i)
                {
                    x.relaunch_expected = Some(false);
                }
            }
            Family::SocketWake
            | Family::Keepalive
            | Family::KeepaliveEnd
            | Family::LegacyVoipUnsupported => app.legacy = true,
            _ => {}
        }
        let pushkit_only = app.pushkit && !app.legacy;
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
        let now = t.unwrap_or(0.0);
        let start_wake = |app: &mut App| {
            if app.awake_since.is_none() {
                app.awake_since = Some(now);
                app.wake_count += 1;
                if let Some(p) = app.pushes.iter_mut().rev().find(|p| !p.closed)
                    && p.woke.is_none()
                {
                    p.woke = Some(now);
                    app.wake_latency.push(now - p.t);
                }
            }
        };
        match family {
            Family::LaunchRequest => {
                let who = hit
                    .field("requester")
                    .map(str::to_string)
                    .unwrap_or_else(|| ev.process.clone());
                app.requested_by = Some((now, who));
            }
            Family::Launch => {
                let intent = hit.field("intent").unwrap_or("").to_ascii_lowercase();
                let background = intent.contains("background");
                let foreground = intent.contains("foreground") || intent.contains("active");
                if app.last_launch.is_some_and(|l| now - l < SAME) {
                    ev.note = Some("same launch as above".into());
                    if background {
                        start_wake(app);
                    }
                    return;
                }
                app.last_launch = Some(now);
                app.launches.total += 1;
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
                let mut note = format!(
                    "launched into the {}",
                    if background {
                        "background"
                    } else if foreground {
                        "foreground"
                    } else {
                        "?"
                    }
                );
                note = match reason {
                    "voip-push" => format!("{note} for a VoIP push"),
                    "relaunch" => format!("{note}: relaunch after an exit"),
                    "user" => format!("{note} by the user"),
                    _ => format!("{note} by the system (reboot, background fetch…)"),
                };
                app.awaiting_relaunch = None;
                if let Some(i) = app.exit_open.take()
                    && let Some(x) = app.exits.get_mut(i)
                {
                    let after = x.t.map(|xt| round3(now - xt));
                    x.relaunched_after_s = after;
                    x.relaunched_into = Some(
                        if background {
                            "background"
                        } else {
                            "foreground"
                        }
                        .into(),
                    );
                    ev.latency_s = after;
                    if let Some(a) = after {
                        note = format!("{note} ({a:.1} s after the exit)");
                    }
                }
                ev.note = Some(note);
                if background {
                    start_wake(app);
                } else {
                    app.awake_since = None;
                }
            }
            Family::Resume | Family::SocketWake | Family::Assertion => {
                start_wake(app);
            }
            Family::Suspend => {
                if let Some(since) = app.awake_since.take() {
                    let d = now - since;
                    app.wakes.push(d);
                    ev.duration_s = Some(round3(d));
                    if d > cfg.wake_budget {
                        app.wakes_over += 1;
                        ev.check = Some(Check::WakeOverBudget);
                        ev.severity = Severity::Error;
                        ev.note = Some(format!(
                            "awake {d:.1} s, over the {:.0} s budget",
                            cfg.wake_budget
                        ));
                    } else {
                        ev.note = Some(format!("awake {d:.1} s"));
                    }
                }
                if let Some(h) = app.handler_open.take() {
                    let d = now - h;
                    app.handler.push(d);
                    if d > cfg.handler_budget {
                        app.handler_over += 1;
                    }
                }
            }
            Family::Keepalive => {
                if app.keepalive_runs.last().is_some_and(|l| now - l < SAME) {
                    ev.note = Some("same keep-alive run as above".into());
                    return;
                }
                if let Some(prev) = app.keepalive_runs.last() {
                    let gap = now - prev;
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
                    }
                }
                app.keepalive_runs.push(now);
                app.handler_open = Some(now);
                start_wake(app);
            }
            Family::KeepaliveEnd => {
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
                    }
                }
            }
            Family::PushApns => {
                let missed = close_unreported(app, now, &cfg);
                if missed > 0 {
                    out.push(not_reported(name, ev, missed));
                }
                app.pushes.push(Push {
                    t: now,
                    woke: None,
                    reported: false,
                    closed: false,
                });
                if app.banned {
                    ev.note = Some(
                        "the app is banned: callservicesd will not launch it for this push".into(),
                    );
                }
            }
            Family::PushCallservicesd => {
                let open = app
                    .pushes
                    .iter()
                    .rev()
                    .any(|p| !p.closed && now - p.t <= cfg.report_window);
                if !open {
                    let missed = close_unreported(app, now, &cfg);
                    if missed > 0 {
                        out.push(not_reported(name, ev, missed));
                    }
                    app.pushes.push(Push {
                        t: now,
                        woke: None,
                        reported: false,
                        closed: false,
                    });
                }
            }
            Family::PushDelegate => {
                if app.pushes.iter().all(|p| p.closed) {
                    app.pushes.push(Push {
                        t: now,
                        woke: Some(now),
                        reported: false,
                        closed: false,
                    });
                }
                start_wake(app);
            }
            Family::CallkitReport | Family::CallkitReportFailed => {
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
            Family::CallkitKill => {
                if app.last_kill.is_some_and(|k| now - k < SAME) {
                    ev.note = Some("same kill as above".into());
                    return;
                }
                app.last_kill = Some(now);
                app.kills += 1;
                ev.check = Some(Check::CallkitKill);
                end_wake_by_death(name, app, now, &cfg, ev, out);
                if let Some(d) = record_death(
                    name,
                    app,
                    now,
                    unix,
                    ev,
                    "callkit-kill",
                    dead_pid,
                    &processes,
                ) {
                    self.deaths.push(d);
                }
                if let Some(p) = app.pushes.iter_mut().rev().find(|p| !p.closed) {
                    p.closed = true;
                    *app.checks.entry(Check::PushNotReported).or_default() += 1;
                    ev.note = Some(format!(
                        "the push {:.1} s earlier was never reported to CallKit",
                        now - p.t
                    ));
                }
            }
            Family::Ban => {
                app.bans += 1;
                app.banned = true;
                if hit.rule.severity == Severity::Error {
                    ev.check = Some(Check::Ban);
                }
                if let Some(p) = app.pushes.iter_mut().rev().find(|p| !p.closed) {
                    p.closed = true;
                }
            }
            Family::BanLifted => app.banned = false,
            Family::PushDropped => {
                app.dropped += 1;
                ev.check = Some(Check::PushDropped);
            }
            Family::Exit => {
                let (status, signal) = exit_code(hit);
                if let Some(last) = app.exits.last_mut()
                    && last.t.is_some_and(|lt| now - lt < SAME)
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
                        last.relaunch_expected = expected(pushkit_only, last.status, last.signal);
                        if last.relaunch_expected == Some(true) {
                            app.awaiting_relaunch = Some(app.exits.len() - 1);
                        }
                    }
                    if abnormal
                        && let Some(d) =
                            record_death(name, app, now, unix, ev, kind, dead_pid, &processes)
                    {
                        self.deaths.push(d);
                    }
                    return;
                }
                let reason = hit.field("reason").map(str::to_string);
                let status = status.or(reason
                    .as_deref()
                    .filter(|r| r.contains("voluntar"))
                    .map(|_| 0));
                let relaunch_expected = expected(pushkit_only, status, signal);
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
                });
                app.awaiting_relaunch =
                    (relaunch_expected == Some(true)).then(|| app.exits.len() - 1);
                app.exit_open = Some(app.exits.len() - 1);
                end_wake_by_death(name, app, now, &cfg, ev, out);
                app.handler_open = None;
                app.last_launch = None;
                ev.note = Some(match relaunch_expected {
                    Some(true) => {
                        "non-zero exit: iOS should relaunch a VoIP app in the background".into()
                    }
                    Some(false) if pushkit_only => {
                        "PushKit app: iOS does not relaunch it after an exit; the next VoIP push launches it".into()
                    }
                    Some(false) => "exit status 0: iOS does not relaunch the app".into(),
                    None => "exit status unknown".into(),
                });
                // Only a signal leaves a crash report (`exit(1)` does not).
                let abnormal = signal.is_some();
                let kind = if signal.is_some() { "signal" } else { "exit" };
                if abnormal
                    && let Some(d) =
                        record_death(name, app, now, unix, ev, kind, dead_pid, &processes)
                {
                    self.deaths.push(d);
                }
                if status.is_some_and(|s| s != 0) || signal.is_some() {
                    ev.severity = ev.severity.max(Severity::Warn);
                }
            }
            Family::Watchdog | Family::Jetsam => {
                let (check, kind) = if family == Family::Watchdog {
                    (Check::Watchdog, "watchdog")
                } else {
                    (Check::Jetsam, "jetsam")
                };
                ev.check = Some(check);
                end_wake_by_death(name, app, now, &cfg, ev, out);
                if let Some(d) = record_death(name, app, now, unix, ev, kind, dead_pid, &processes)
                {
                    self.deaths.push(d);
                }
            }
            Family::BgtimeExpired => {
                if hit.rule.severity == Severity::Error {
                    ev.check = Some(Check::BgtimeExpired);
                }
            }
            Family::WakeLimit => ev.check = Some(Check::WakeLimit),
            Family::LegacyVoipUnsupported => ev.check = Some(Check::LegacyVoipUnsupported),
            Family::SocketReconnect
            | Family::CrashReport
            | Family::ConfigError
            | Family::Disconnected
            | Family::Reconnected
            | Family::Custom => {}
        }
    }

    /// Conclusions whose deadline passed by `t`.
    fn due(&mut self, t: Option<f64>, line: u64, time_text: &str) -> Vec<Event> {
        let Some(now) = t else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let window = self.cfg.relaunch_window;
        let offset = self.clock.offset(t);
        for (name, app) in &mut self.apps {
            if let Some(i) = app.awaiting_relaunch
                && let Some(x) = app.exits.get(i)
                && x.t.is_some_and(|xt| now - xt > window)
            {
                app.awaiting_relaunch = None;
                *app.checks.entry(Check::NoRelaunch).or_default() += 1;
                out.push(conclusion(
                    name,
                    time_text,
                    offset,
                    line,
                    Family::Exit,
                    Check::NoRelaunch,
                    format!(
                        "not relaunched within {window:.0} s of the non-zero exit at {}",
                        x.time
                    ),
                ));
            }
        }
        out
    }

    /// Deaths of tracked apps noted since the last call (`watch` fetches their crash reports).
    pub fn take_deaths(&mut self) -> Vec<Death> {
        std::mem::take(&mut self.deaths)
    }

    /// The crash report of `death`: attached to that exit (the app summary's `exits[].crash`)
    /// and returned as a timeline event at the death's line.
    pub fn crash_report(&mut self, death: &Death, report: crate::crash::CrashReport) -> Event {
        let offset = self.clock.offset(death.t);
        let pushkit_only;
        {
            let app = self.apps.entry(death.app.clone()).or_default();
            pushkit_only = app.pushkit && !app.legacy;
            *app.events
                .entry(Family::CrashReport.name().to_string())
                .or_default() += 1;
            let near = |x: &ExitInfo| match (x.t, death.t) {
                (Some(a), Some(b)) => (a - b).abs() < SAME,
                _ => false,
            };
            match app.exits.iter().rposition(near) {
                Some(i) => app.exits[i].crash = Some(report.clone()),
                None => app.exits.push(ExitInfo {
                    time: death.time.clone(),
                    pid: death.pid,
                    status: None,
                    signal: report.signal.as_deref().and_then(signal_number),
                    reason: Some(format!("killed ({})", death.kind)),
                    relaunch_expected: pushkit_only.then_some(false),
                    relaunched_after_s: None,
                    relaunched_into: None,
                    crash: Some(report.clone()),
                    t: death.t,
                    line: death.line,
                }),
            }
        }
        let mut fields = BTreeMap::new();
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                fields.insert(k.to_string(), v.clone());
            }
        };
        put("file", &report.file);
        put("bug_type", &report.bug_type);
        put("exception_type", &report.exception_type);
        put("signal", &report.signal);
        put("termination_namespace", &report.termination_namespace);
        put("termination_code", &report.termination_code);
        put("termination_reason", &report.termination_reason);
        put("exception_reason", &report.exception_reason);
        let severity = if report.signal.is_some() || report.termination_code.is_some() {
            Severity::Error
        } else {
            Severity::Warn
        };
        Event {
            time: death.time.clone(),
            offset_s: offset,
            line: death.line,
            rule: "voipctl.crash-report".into(),
            family: Family::CrashReport,
            severity,
            app: Some(death.app.clone()),
            process: "voipctl".into(),
            pid: report.pid.or(death.pid),
            summary: format!(
                "crash report {}: {}",
                report.file.as_deref().unwrap_or("(unnamed)"),
                report.headline()
            ),
            fields,
            duration_s: None,
            latency_s: None,
            check: None,
            note: report.code_meaning.clone(),
            message: String::new(),
        }
    }

    /// A crash report given with the log (`analyze --crash-report`): attached to the app's
    /// exit it belongs to — same pid, else the nearest exit in time (when the log has full
    /// dates), else the last exit with a signal — and returned as a timeline event. `None` when
    /// the report is of no app in the log.
    pub fn attach_crash(&mut self, report: crate::crash::CrashReport) -> Option<Event> {
        let process = report.process.clone().unwrap_or_default();
        let app = report
            .bundle_id
            .clone()
            .filter(|b| self.apps.contains_key(b))
            .or_else(|| self.process_app.get(&process).cloned())
            .or_else(|| {
                self.apps
                    .keys()
                    .find(|b| !process.is_empty() && last_component_matches(b, &process))
                    .cloned()
            })
            .or_else(|| {
                report
                    .bundle_id
                    .clone()
                    .filter(|b| self.cfg.bundles.iter().any(|x| x == b))
            })?;
        if !self.wanted(&app) {
            return None;
        }
        let unix_log = self.clock.scale == Some(Scale::Unix);
        let when = report.unix_time();
        let processes = if process.is_empty() {
            Vec::new()
        } else {
            vec![process]
        };
        let exits = self
            .apps
            .get(&app)
            .map(|a| a.exits.as_slice())
            .unwrap_or(&[]);
        let by_pid = report
            .pid
            .and_then(|pid| exits.iter().rposition(|x| x.pid == Some(pid)));
        let by_time = || {
            let w = when.filter(|_| unix_log)?;
            exits
                .iter()
                .enumerate()
                .filter_map(|(i, x)| Some((i, (x.t? - w).abs())))
                .filter(|(_, d)| *d < REPORT_WINDOW)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(i, _)| i)
        };
        let by_signal = || exits.iter().rposition(|x| x.signal.is_some());
        let death = match by_pid.or_else(by_time).or_else(by_signal) {
            Some(i) => {
                let x = &exits[i];
                Death {
                    app: app.clone(),
                    pid: x.pid.or(report.pid),
                    processes,
                    unix: x.t.filter(|_| unix_log),
                    time: x.time.clone(),
                    line: x.line,
                    kind: if x.signal.is_some() { "signal" } else { "exit" },
                    t: x.t,
                }
            }
            None => Death {
                app: app.clone(),
                pid: report.pid,
                processes,
                unix: when,
                time: report.time.clone().unwrap_or_default(),
                line: 0,
                kind: "crash",
                t: when.filter(|_| unix_log),
            },
        };
        Some(self.crash_report(&death, report))
    }

    /// A JetsamEvent report given with the log (`analyze --crash-report`): it lists many
    /// processes, so each death in the log is looked up in it the way `watch` looks up a death in
    /// the reports it pulls from the phone ([`crate::crash::JetsamEvent::find`], by pid, else by
    /// name, with the same names) — the deaths the tracker noted (jetsam kills, signals, kills)
    /// and the other exits with a pid (by that pid only). When both times are known the report
    /// must be within [`REPORT_WINDOW`] of the death; each listed process explains one death at
    /// most (its pid first, then a jetsam kill, then the nearest in time, then the latest). Each
    /// match is attached like a fetched report ([`Tracker::crash_report`]) and returned as a
    /// timeline event; `Err` says what was looked for when nothing matched.
    pub fn attach_jetsam(
        &mut self,
        event: &crate::crash::JetsamEvent,
    ) -> Result<Vec<Event>, String> {
        let unix_log = self.clock.scale == Some(Scale::Unix);
        let when = event.unix_time().filter(|_| unix_log);
        let near = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < SAME,
            _ => false,
        };
        let mut candidates: Vec<Death> = self
            .deaths
            .iter()
            .filter(|d| self.wanted(&d.app))
            .cloned()
            .collect();
        for (name, app) in &self.apps {
            if !self.wanted(name) {
                continue;
            }
            for x in app.exits.iter().filter(|x| x.pid.is_some()) {
                let covered = candidates
                    .iter()
                    .any(|d| &d.app == name && (d.line == x.line || near(d.t, x.t)));
                if !covered {
                    candidates.push(Death {
                        app: name.clone(),
                        pid: x.pid,
                        processes: self
                            .process_app
                            .iter()
                            .filter(|(_, b)| *b == name)
                            .map(|(p, _)| p.clone())
                            .collect(),
                        unix: x.t.filter(|_| unix_log),
                        time: x.time.clone(),
                        line: x.line,
                        kind: if x.signal.is_some() { "signal" } else { "exit" },
                        t: x.t,
                    });
                }
            }
        }
        // (candidate, report, distance in time)
        let mut hits: Vec<(usize, crate::crash::CrashReport, Option<f64>)> = Vec::new();
        let mut too_far = Vec::new();
        for (i, d) in candidates.iter().enumerate() {
            let Some(r) = event.find(&d.names(), d.pid) else {
                continue;
            };
            let dt = d.unix.zip(when).map(|(a, b)| (a - b).abs());
            if let Some(dt) = dt.filter(|dt| *dt > REPORT_WINDOW) {
                too_far.push(format!(
                    "{} is listed, but {dt:.0} s away from the {} at {}",
                    entry_text(r.process.as_deref(), r.pid),
                    d.kind,
                    d.time
                ));
                continue;
            }
            hits.push((i, r, dt));
        }
        // One death per listed process: the best first, the others dropped.
        let rank = |h: &(usize, crate::crash::CrashReport, Option<f64>)| {
            let d = &candidates[h.0];
            (
                d.pid.is_none(),
                d.kind != "jetsam",
                h.2.map_or(f64::INFINITY, |dt| dt),
                std::cmp::Reverse(d.line),
            )
        };
        hits.sort_by(|a, b| {
            rank(a)
                .partial_cmp(&rank(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut taken: Vec<(Option<u32>, Option<String>)> = Vec::new();
        let mut chosen = Vec::new();
        for (i, r, _) in hits {
            let key = (r.pid, r.process.clone());
            if !taken.contains(&key) {
                taken.push(key);
                chosen.push((i, r));
            }
        }
        if chosen.is_empty() {
            return Err(jetsam_miss(event, &candidates, &too_far));
        }
        chosen.sort_by_key(|(i, _)| candidates[*i].line);
        Ok(chosen
            .into_iter()
            .map(|(i, r)| self.crash_report(&candidates[i], r))
            .collect())
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

    /// End of input: conclude what is still open; returns the last events and the per-app
    /// summaries and the counts per check.
    pub fn finish(
        mut self,
        line: u64,
    ) -> (
        Vec<Event>,
        Vec<AppSummary>,
        BTreeMap<Check, u64>,
        Option<f64>,
    ) {
        let end = self.clock.last;
        let offset = self.clock.offset(end);
        let mut out = Vec::new();
        let cfg = self.cfg.clone();
        for (name, app) in &mut self.apps {
            if let Some(now) = end {
                for p in app.pushes.iter_mut().filter(|p| !p.closed) {
                    p.closed = true;
                    if now - p.t >= cfg.report_window {
                        *app.checks.entry(Check::PushNotReported).or_default() += 1;
                        out.push(conclusion(
                            name,
                            "",
                            offset,
                            line,
                            Family::PushApns,
                            Check::PushNotReported,
                            format!(
                                "the VoIP push at +{:.1} s was never reported to CallKit",
                                p.t - self.clock.first.unwrap_or(p.t)
                            ),
                        ));
                    }
                }
                if let Some(i) = app.awaiting_relaunch.take()
                    && let Some(x) = app.exits.get(i)
                    && x.t.is_some_and(|xt| now - xt > cfg.relaunch_window)
                {
                    *app.checks.entry(Check::NoRelaunch).or_default() += 1;
                    out.push(conclusion(
                        name,
                        "",
                        offset,
                        line,
                        Family::Exit,
                        Check::NoRelaunch,
                        format!(
                            "not relaunched within {:.0} s of the non-zero exit at {}",
                            cfg.relaunch_window, x.time
                        ),
                    ));
                }
            }
            for c in [
                Check::WakeOverBudget,
                Check::KeepaliveLate,
                Check::KeepaliveOverBudget,
            ] {
                let n = match c {
                    Check::WakeOverBudget => app.wakes_over,
                    Check::KeepaliveLate => app.keepalive_late,
                    _ => app.handler_over,
                };
                // Over-budget runs closed by a suspend (not by a marker) were not counted yet.
                let have = app.checks.get(&c).copied().unwrap_or(0);
                if n > have {
                    app.checks.insert(c, n);
                }
            }
        }
        let mut totals = self.global_checks.clone();
        let mut apps = Vec::new();
        for (name, app) in self.apps {
            for (c, n) in &app.checks {
                *totals.entry(*c).or_default() += n;
            }
            let intervals: Vec<f64> = app.keepalive_runs.windows(2).map(|w| w[1] - w[0]).collect();
            let reported = app.pushes.iter().filter(|p| p.reported).count() as u64;
            apps.push(AppSummary {
                app: name,
                pids: app.pids,
                launches: app.launches,
                wakes: Wakes {
                    count: app.wake_count,
                    budget_s: cfg.wake_budget,
                    duration_s: Stats::of(&app.wakes),
                    over_budget: app.wakes_over,
                },
                keepalive: Keepalive {
                    runs: app.keepalive_runs.len() as u64,
                    timeout_s: cfg.keepalive_timeout,
                    interval_s: Stats::of(&intervals),
                    late: app.keepalive_late,
                    handler_s: Stats::of(&app.handler),
                    over_budget: app.handler_over,
                },
                exits: app.exits,
                pushes: Pushes {
                    received: app.pushes.len() as u64,
                    reported,
                    not_reported: app
                        .checks
                        .get(&Check::PushNotReported)
                        .copied()
                        .unwrap_or(0),
                    report_latency_s: Stats::of(&app.report_latency),
                    wake_latency_s: Stats::of(&app.wake_latency),
                    callkit_kills: app.kills,
                    bans: app.bans,
                    banned: app.banned,
                    dropped: app.dropped,
                },
                events: app.events,
                checks: app
                    .checks
                    .iter()
                    .map(|(c, n)| (c.name().to_string(), *n))
                    .collect(),
            });
        }
        let span = match (self.clock.first, self.clock.last) {
            (Some(a), Some(b)) => Some(round3(b - a)),
            _ => None,
        };
        (out, apps, totals, span)
    }
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

/// Whether iOS relaunches the app after this exit: a legacy VoIP-socket app after a non-zero
/// exit or a signal; a PushKit app never (the next VoIP push launches it).
fn expected(pushkit_only: bool, status: Option<i64>, signal: Option<i64>) -> Option<bool> {
    if pushkit_only {
        return Some(false);
    }
    match (status, signal) {
        (_, Some(_)) => Some(true),
        (Some(s), None) => Some(s != 0),
        (None, None) => None,
    }
}

/// A wake that ends in an exit or a kill instead of a suspend: measured, and flagged when it
/// went over the budget (iOS killing an app that overran its wake is the usual story).
fn end_wake_by_death(
    name: &str,
    app: &mut App,
    now: f64,
    cfg: &TrackConfig,
    ev: &Event,
    out: &mut Vec<Event>,
) {
    let Some(since) = app.awake_since.take() else {
        return;
    };
    let d = now - since;
    app.wakes.push(d);
    if d > cfg.wake_budget {
        app.wakes_over += 1;
        *app.checks.entry(Check::WakeOverBudget).or_default() += 1;
        let mut c = conclusion(
            name,
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
        out.push(c);
    }
}

/// Note a death (one per [`SAME`] window; a later line of the same death fills in the pid).
#[allow(clippy::too_many_arguments)]
fn record_death(
    name: &str,
    app: &mut App,
    now: f64,
    unix: Option<f64>,
    ev: &Event,
    kind: &'static str,
    pid: Option<u32>,
    processes: &[String],
) -> Option<Death> {
    if app.last_death.is_some_and(|d| now - d < SAME) {
        return None;
    }
    app.last_death = Some(now);
    Some(Death {
        app: name.to_string(),
        pid,
        processes: processes.to_vec(),
        unix,
        time: ev.time.clone(),
        line: ev.line,
        kind,
        t: Some(now),
    })
}

/// `LegacyPhone[561]`.
fn entry_text(name: Option<&str>, pid: Option<u32>) -> String {
    let name = name.filter(|n| !n.is_empty()).unwrap_or("(unnamed)");
    match pid {
        Some(p) => format!("{name}[{p}]"),
        None => name.to_string(),
    }
}

/// What a JetsamEvent that explains no death was checked against, for the warning.
fn jetsam_miss(event: &crate::crash::JetsamEvent, deaths: &[Death], too_far: &[String]) -> String {
    /// The first few, then how many more.
    fn few<T>(items: &[T], sep: &str, f: impl Fn(&T) -> String) -> String {
        const SHOWN: usize = 4;
        let mut l: Vec<String> = items.iter().take(SHOWN).map(f).collect();
        if items.len() > SHOWN {
            l.push(format!("{} more", items.len() - SHOWN));
        }
        l.join(sep)
    }
    let killed = event.killed();
    let listed = if killed.is_empty() {
        "it lists no process as killed (none has a jetsam reason)".to_string()
    } else {
        let l = few(&killed, ", ", |k| {
            format!("{} ({})", entry_text(Some(&k.name), k.pid), k.reason)
        });
        format!("it lists as killed {l}")
    };
    let looked = if deaths.is_empty() {
        "the log has no exit or kill of a tracked app to attach it to (check -b and the log's time range)".to_string()
    } else {
        let l = few(deaths, "; ", |d| {
            let names = d.names().join("/");
            let who = match d.pid {
                Some(p) if names.is_empty() => format!("pid {p}"),
                Some(p) => format!("pid {p} ({names})"),
                None if names.is_empty() => "an unnamed process".to_string(),
                None => names,
            };
            format!("{who}, the {} of {} at {}", d.kind, d.app, d.time)
        });
        format!("looked for {l}")
    };
    let mut s = format!("{looked}; {listed}");
    for t in too_far.iter().take(4) {
        s.push_str("; ");
        s.push_str(t);
    }
    s
}

fn exit_code(hit: &Hit<'_>) -> (Option<i64>, Option<i64>) {
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

fn conclusion(
    app: &str,
    time: &str,
    offset: Option<f64>,
    line: u64,
    family: Family,
    check: Check,
    summary: String,
) -> Event {
    Event {
        time: time.to_string(),
        offset_s: offset,
        line,
        rule: format!("voipctl.{}", check.name()),
        family,
        severity: Severity::Error,
        app: Some(app.to_string()),
        process: "voipctl".into(),
        pid: None,
        summary,
        fields: BTreeMap::new(),
        duration_s: None,
        latency_s: None,
        check: Some(check),
        note: None,
        message: String::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::logs::records::SummaryMeta;
    use crate::logs::{CommonOptions, Pipeline};

    fn run(lines: &[&str]) -> crate::logs::records::Summary {
        let mut p = Pipeline::new(&CommonOptions::default()).unwrap();
        for (i, l) in lines.iter().enumerate() {
            let _ = p.line(l, i as u64 + 1);
        }
        p.finish(SummaryMeta::default(), &[]).1
    }

    const PUSH: &str = "Nov 25 10:00:30 iPhone apsd[98] <Notice>: <APSCourier: 0x1>: Received message for enabled topic 'com.example.call.voip' onInterface: NonCellular with payload '{}' with priority 10 for device token: NO";

    #[test]
    fn a_pushkit_app_is_not_expected_to_relaunch() {
        // The exit comes before the app's first push: once the push (within the relaunch
        // window) shows it is a PushKit app, the expectation is withdrawn and no-relaunch is
        // not raised.
        let s = run(&[
            "Nov 25 10:00:00 iPhone SpringBoard(FrontBoard)[57] <Notice>: Bootstrapping com.example.call with intent background",
            "Nov 25 10:00:05 iPhone runningboardd[33] <Notice>: [app<com.example.call>:601] termination reported by launchd (2, 9, 9)",
            PUSH,
            "Nov 25 10:05:00 iPhone SpringBoard[57] <Notice>: Screen did turn off",
        ]);
        let app = &s.apps[0];
        assert_eq!(app.exits[0].signal, Some(9));
        assert_eq!(app.exits[0].pid, Some(601));
        assert_eq!(app.exits[0].relaunch_expected, Some(false));
        assert!(!app.checks.contains_key("no-relaunch"), "{:?}", app.checks);
        // After a push, the exit itself says so.
        let s = run(&[
            PUSH,
            "Nov 25 10:00:31 iPhone runningboardd[33] <Notice>: [app<com.example.call>:601] termination reported by launchd (2, 9, 9)",
            "Nov 25 10:05:00 iPhone SpringBoard[57] <Notice>: Screen did turn off",
        ]);
        assert_eq!(s.apps[0].exits[0].relaunch_expected, Some(false));
        assert!(!s.apps[0].checks.contains_key("no-relaunch"));
    }

    #[test]
    fn a_legacy_app_is_and_an_over_budget_wake_ending_in_a_kill_is_flagged() {
        let s = run(&[
            "Nov 25 10:00:00 iPhone runningboardd[33] <Notice>: [app<com.example.legacy>:412] Unsuspending task.",
            "Nov 25 10:00:00 iPhone Legacy[412] <Notice>: VOIPCTL socket.wake",
            "Nov 25 10:00:12 iPhone runningboardd[33] <Notice>: [app<com.example.legacy>:412] termination reported by launchd (2, 9, 9)",
            "Nov 25 10:05:00 iPhone SpringBoard[57] <Notice>: Screen did turn off",
        ]);
        let app = &s.apps[0];
        assert_eq!(app.exits[0].relaunch_expected, Some(true));
        assert_eq!(app.checks.get("no-relaunch"), Some(&1));
        assert_eq!(app.wakes.over_budget, 1);
        assert_eq!(app.checks.get("wake-over-budget"), Some(&1));
        assert_eq!(app.wakes.duration_s.max, Some(12.0));
    }

    /// A JetsamEvent (header line + body) dated `date`, listing SpringBoard alive and the given
    /// `(name, pid, reason)` entries (6400 pages of 16 KiB = 100 MiB each).
    fn jetsam_event(date: &str, entries: &[(&str, u32, &str)]) -> crate::crash::JetsamEvent {
        let mut procs = vec![
            r#"{"name":"SpringBoard","pid":57,"rpages":1210,"states":["daemon"]}"#.to_string(),
        ];
        for (name, pid, reason) in entries {
            procs.push(format!(
                r#"{{"name":"{name}","pid":{pid},"rpages":6400,"states":["suspended"],"reason":"{reason}"}}"#
            ));
        }
        let text = format!(
            "{{\"bug_type\":\"298\",\"timestamp\":\"{date}\"}}\n{{\"date\":\"{date}\",\"pageSize\":16384,\"processes\":[{}]}}",
            procs.join(",")
        );
        crate::crash::JetsamEvent::parse(text.as_bytes(), Some("JetsamEvent-2025-11-25-102410.ips"))
            .unwrap()
    }

    fn run_jetsam(
        lines: &[&str],
        event: &crate::crash::JetsamEvent,
    ) -> (
        Result<Vec<crate::logs::track::Event>, String>,
        crate::logs::records::Summary,
    ) {
        let mut p = Pipeline::new(&CommonOptions::default()).unwrap();
        for (i, l) in lines.iter().enumerate() {
            let _ = p.line(l, i as u64 + 1);
        }
        let r = p.attach_jetsam(event);
        (r, p.finish(SummaryMeta::default(), &[]).1)
    }

    const BOOT: &str = "Nov 25 10:19:59 iPhone SpringBoard(FrontBoard)[57] <Notice>: Bootstrapping com.example.legacyphone with intent background";
    const LAUNCH_561: &str =
        "Nov 25 10:20:00 iPhone LegacyPhone[561] <Notice>: VOIPCTL launch state=background";
    const KILL_561: &str = "Nov 25 10:24:10 iPhone kernel[0] <Notice>: memorystatus: killing_specific_process pid 561 [LegacyPhone] (per-process-limit 0) 421888KB - memorystatus_available_pages: 7234";
    const EXIT_561: &str = "Nov 25 10:24:10 iPhone runningboardd[33] <Notice>: [app<com.example.legacyphone>:561] termination reported by launchd (2, 9, 9)";

    #[test]
    fn a_jetsam_event_explains_the_jetsam_kill_of_the_app_and_nothing_else() {
        let ev = jetsam_event(
            "2025-11-25 10:24:10.42 +0000",
            &[
                ("OtherApp", 700, "highwater"),
                ("LegacyPhone", 561, "per-process-limit"),
            ],
        );
        let (r, s) = run_jetsam(&[BOOT, LAUNCH_561, KILL_561, EXIT_561], &ev);
        let evs = r.unwrap();
        assert_eq!(evs.len(), 1, "{evs:?}");
        assert_eq!(evs[0].rule, "voipctl.crash-report");
        assert_eq!(evs[0].line, 3, "at the kill line");
        assert_eq!(evs[0].pid, Some(561));
        assert!(
            evs[0]
                .summary
                .contains("jetsam: per-process-limit (100 MiB)"),
            "{}",
            evs[0].summary
        );
        assert_eq!(evs[0].fields["bug_type"], "298");
        let app = &s.apps[0];
        assert_eq!(app.app, "com.example.legacyphone");
        // Attached to the exit the kill made, not a new one.
        assert_eq!(app.exits.len(), 1, "{:?}", app.exits);
        let c = app.exits[0].crash.as_ref().unwrap();
        assert_eq!(c.pid, Some(561));
        assert_eq!(c.file.as_deref(), Some("JetsamEvent-2025-11-25-102410.ips"));
        assert!(
            c.termination_reason
                .as_deref()
                .unwrap()
                .starts_with("jetsam: per-process-limit (100 MiB), state suspended"),
            "{c:?}"
        );
        assert_eq!(app.events.get("crash-report"), Some(&1));
    }

    #[test]
    fn a_jetsam_kill_without_an_exit_line_gets_an_exit_like_watch_makes() {
        let ev = jetsam_event(
            "2025-11-25 10:24:10.42 +0000",
            &[("LegacyPhone", 561, "vm-pageshortage")],
        );
        let (r, s) = run_jetsam(&[BOOT, LAUNCH_561, KILL_561], &ev);
        assert_eq!(r.unwrap().len(), 1);
        let x = &s.apps[0].exits[0];
        assert_eq!(x.reason.as_deref(), Some("killed (jetsam)"));
        assert_eq!(x.signal, Some(9));
        assert_eq!(x.pid, Some(561));
        assert!(
            x.crash
                .as_ref()
                .unwrap()
                .termination_reason
                .as_deref()
                .unwrap()
                .starts_with("jetsam: vm-pageshortage")
        );
    }

    #[test]
    fn one_listed_process_explains_one_death_by_pid() {
        // Two deaths of the app (pids 412 then 561); the report lists 561 only.
        let ev = jetsam_event(
            "2025-11-25 10:24:10.42 +0000",
            &[("LegacyPhone", 561, "per-process-limit")],
        );
        let (r, s) = run_jetsam(
            &[
                BOOT,
                "Nov 25 10:00:00 iPhone LegacyPhone[412] <Notice>: VOIPCTL launch state=background",
                "Nov 25 10:01:00 iPhone runningboardd[33] <Notice>: [app<com.example.legacyphone>:412] termination reported by launchd (2, 9, 9)",
                LAUNCH_561,
                KILL_561,
                EXIT_561,
            ],
            &ev,
        );
        assert_eq!(r.unwrap().len(), 1);
        let exits = &s.apps[0].exits;
        assert_eq!(exits.len(), 2);
        assert!(exits[0].crash.is_none());
        assert_eq!(exits[1].crash.as_ref().unwrap().pid, Some(561));
    }

    #[test]
    fn a_jetsam_event_that_explains_nothing_says_what_was_looked_for() {
        // The pid is listed, but under another name (reused): not the app's.
        let ev = jetsam_event(
            "2025-11-25 10:24:10.42 +0000",
            &[("OtherName", 561, "per-process-limit")],
        );
        let (r, s) = run_jetsam(&[BOOT, LAUNCH_561, KILL_561, EXIT_561], &ev);
        let why = r.unwrap_err();
        assert!(why.contains("looked for pid 561 (LegacyPhone)"), "{why}");
        assert!(
            why.contains("jetsam of com.example.legacyphone at Nov 25 10:24:10"),
            "{why}"
        );
        assert!(
            why.contains("it lists as killed OtherName[561] (per-process-limit)"),
            "{why}"
        );
        assert!(s.apps[0].exits.iter().all(|x| x.crash.is_none()));
        // A log without deaths.
        let (r, _) = run_jetsam(&[BOOT, LAUNCH_561], &ev);
        let why = r.unwrap_err();
        assert!(why.contains("no exit or kill of a tracked app"), "{why}");
        // A report listing nobody as killed.
        let (r, _) = run_jetsam(
            &[BOOT, LAUNCH_561, KILL_561],
            &jetsam_event("2025-11-25 10:24:10 +0000", &[]),
        );
        let why = r.unwrap_err();
        assert!(why.contains("lists no process as killed"), "{why}");
    }

    #[test]
    fn with_full_dates_a_jetsam_event_far_from_the_death_is_not_it() {
        let lines = [
            "2025-11-25 10:19:59.000 Df SpringBoard[57:1a2b] [com.apple.FrontBoard:Common] Bootstrapping com.example.legacyphone with intent background",
            "2025-11-25 10:20:00.000 Df LegacyPhone[561:1a2b] [com.example:App] VOIPCTL launch state=background",
            "2025-11-25 10:24:10.000 Df runningboardd[33:1a2b] [com.apple.runningboard:process] [app<com.example.legacyphone>:561] termination reported by launchd (2, 9, 9)",
        ];
        let near = jetsam_event(
            "2025-11-25 10:24:11.00 +0000",
            &[("LegacyPhone", 561, "per-process-limit")],
        );
        let (r, _) = run_jetsam(&lines, &near);
        assert_eq!(r.unwrap().len(), 1);
        let far = jetsam_event(
            "2025-11-25 11:24:10.00 +0000",
            &[("LegacyPhone", 561, "per-process-limit")],
        );
        let (r, s) = run_jetsam(&lines, &far);
        let why = r.unwrap_err();
        assert!(
            why.contains("LegacyPhone[561] is listed, but 3600 s away"),
            "{why}"
        );
        assert!(s.apps[0].exits[0].crash.is_none());
    }
}
