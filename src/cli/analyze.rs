//! `voipctl analyze`, and the log options it shares with `voipctl watch`.

use crate::commands::logs::{AnalyzeOptions, FailOn, Input};
use crate::logs::decode::Level;
use crate::logs::track::{Check, TrackConfig};
use crate::logs::{CommonOptions, FilterOptions};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Arguments of `voipctl analyze`.
#[derive(Debug, Args)]
#[command(
    after_help = "Formats (auto-detected per line): idevicesyslog / syslog_relay, voipctl recordings \
(watch --record), pymobiledevice3 `syslog live` (text and --format json), Xcode console, \
Console.app copies, macOS `log show`/`log stream`, old jailbreak syslog, bare crash-report lines.\n\
Checks for --fail-on: wake-over-budget, keepalive-late, keepalive-over-budget, no-relaunch, \
push-not-reported, report-late, callkit-kill, ban, push-dropped, watchdog, jetsam, bgtime-expired, \
wake-limit, legacy-voip-unsupported, disconnected, or `all`."
)]
pub(crate) struct AnalyzeArgs {
    /// The saved log, or `-` for standard input.
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,
    /// Filters, thresholds, rules.
    #[command(flatten)]
    pub log: LogArgs,
    /// A crash report (`.ips` or `.crash`, e.g. from `idevicecrashreport` or Xcode, or a
    /// system-wide `JetsamEvent-….ips`) to put in the timeline next to the exit it explains;
    /// repeatable.
    #[arg(long = "crash-report", value_name = "FILE")]
    pub crash_reports: Vec<PathBuf>,
}

/// `--level` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LevelArg {
    /// Everything.
    Debug,
    /// Info and above.
    Info,
    /// Notice (Default) and above.
    Notice,
    /// Warnings and above.
    Warning,
    /// Errors and faults.
    Error,
    /// Faults only.
    Fault,
}

/// One `--fail-on` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FailOnArg {
    /// `all[=N]`.
    All(u64),
    /// `CHECK[=N]`.
    One(Check, u64),
}

fn parse_fail_on(s: &str) -> Result<FailOnArg, String> {
    let (name, max) = match s.split_once('=') {
        Some((n, m)) => (
            n.trim(),
            m.trim()
                .parse::<u64>()
                .map_err(|_| format!("`{m}` is not a count (use CHECK or CHECK=N)"))?,
        ),
        None => (s.trim(), 0),
    };
    if name == "all" {
        return Ok(FailOnArg::All(max));
    }
    let names: Vec<&str> = Check::ALL.iter().map(|c| c.name()).collect();
    Check::parse(name)
        .map(|c| FailOnArg::One(c, max))
        .ok_or_else(|| format!("unknown check `{name}`; one of: all, {}", names.join(", ")))
}

fn parse_keepalive(s: &str) -> Result<f64, String> {
    let v = crate::duration::arg(s)?.as_secs_f64();
    if v < 600.0 {
        return Err(
            "iOS requires a keep-alive timeout of at least 600 s (UIMinimumKeepAliveTimeout)"
                .into(),
        );
    }
    Ok(v)
}

fn parse_secs(s: &str) -> Result<f64, String> {
    crate::duration::positive_arg(s).map(|d| d.as_secs_f64())
}

/// Filters, thresholds and rules shared by `analyze` and `watch`.
#[derive(Debug, Args)]
pub(crate) struct LogArgs {
    /// Only events about this app (repeatable); system-wide events stay.
    #[arg(short = 'b', long = "bundle", value_name = "BUNDLE")]
    pub bundles: Vec<String>,
    /// Only lines from this process (repeatable; with one -b, the app's own process name).
    #[arg(long = "process", value_name = "NAME")]
    pub processes: Vec<String>,
    /// Only lines from this pid (repeatable).
    #[arg(long = "pid", value_name = "PID")]
    pub pids: Vec<u32>,
    /// Only lines matching this regex (repeatable: any of them).
    #[arg(long = "match", value_name = "REGEX")]
    pub matches: Vec<String>,
    /// Drop lines matching this regex (repeatable).
    #[arg(long = "exclude", value_name = "REGEX")]
    pub excludes: Vec<String>,
    /// Only lines at this level or above (lines without a level pass).
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub level: Option<LevelArg>,
    /// Also print every line that passes the filters, not only recognised events.
    #[arg(long)]
    pub lines: bool,
    /// Add recognition rules from a TOML file (same format as the built-in ones; repeatable).
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Exit 1 when a check's count is over N (default 0); comma-separated or repeated; `all`.
    #[arg(long = "fail-on", value_name = "CHECK[=N]", value_delimiter = ',', value_parser = parse_fail_on)]
    pub fail_on: Vec<FailOnArg>,
    /// Seconds a woken app may run before it suspends.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub wake_budget: f64,
    /// The app's setKeepAliveTimeout: value (at least 600).
    #[arg(long, value_name = "SECS", default_value = "600", value_parser = parse_keepalive)]
    pub keepalive_timeout: f64,
    /// Seconds a keep-alive handler may run.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub handler_budget: f64,
    /// Seconds after a non-zero exit within which iOS should relaunch the app.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_secs)]
    pub relaunch_window: f64,
    /// Seconds after a VoIP push within which the CallKit report must come.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub report_window: f64,
    /// Exits kept per app for the summary; earlier ones are counted, not listed (memory stays
    /// flat on long runs).
    #[arg(long, value_name = "N", default_value = "100", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep_events: u32,
}

impl LogArgs {
    /// Plain options for the log pipeline, and the `--fail-on` thresholds.
    pub(crate) fn resolve(self) -> (CommonOptions, Vec<FailOn>) {
        let mut fail_on: Vec<FailOn> = Vec::new();
        let mut put = |check: Check, max: u64| {
            fail_on.retain(|f| f.check != check);
            fail_on.push(FailOn { check, max });
        };
        for f in self.fail_on {
            match f {
                FailOnArg::All(max) => Check::ALL.iter().for_each(|c| put(*c, max)),
                FailOnArg::One(c, max) => put(c, max),
            }
        }
        let common = CommonOptions {
            filter: FilterOptions {
                bundles: self.bundles,
                processes: self.processes,
                pids: self.pids,
                matches: self.matches,
                excludes: self.excludes,
                min_level: self.level.map(|l| match l {
                    LevelArg::Debug => Level::Debug,
                    LevelArg::Info => Level::Info,
                    LevelArg::Notice => Level::Notice,
                    LevelArg::Warning => Level::Warning,
                    LevelArg::Error => Level::Error,
                    LevelArg::Fault => Level::Fault,
                }),
            },
            track: TrackConfig {
                wake_budget: self.wake_budget,
                keepalive_timeout: self.keepalive_timeout,
                handler_budget: self.handler_budget,
                relaunch_window: self.relaunch_window,
                report_window: self.report_window,
                keep_events: self.keep_events as usize,
                ..TrackConfig::default()
            },
            rules_files: self.rules,
            show_lines: self.lines,
        };
        (common, fail_on)
    }
}

impl AnalyzeArgs {
    /// Plain options for the command module.
    pub(crate) fn resolve(self) -> AnalyzeOptions {
        let input = if self.file.as_os_str() == "-" {
            Input::Stdin
        } else {
            Input::File(self.file)
        };
        let (common, fail_on) = self.log.resolve();
        AnalyzeOptions {
            input,
            common,
            fail_on,
            crash_reports: self.crash_reports,
        }
    }
}
