//! `voipctl watch`.

use super::analyze::LogArgs;
use super::device::DeviceArgs;
use crate::logs::WatchOptions;
use clap::Args;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// Arguments of `voipctl watch`.
#[derive(Debug, Args)]
#[command(
    after_help = "Stops on Ctrl-C, SIGTERM, --duration or --until, and always prints the \
summary (and flushes --record) first. When the phone goes away the gap is marked and voipctl \
waits for it to come back (--exit-on-disconnect: summary, then exit 4). `voipctl analyze FILE` \
reads a --record file. Checks for --fail-on: see `voipctl analyze --help`."
)]
pub struct WatchArgs {
    /// Which phone.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Filters, thresholds, rules.
    #[command(flatten)]
    pub log: LogArgs,
    /// Read com.apple.syslog_relay even where os_trace_relay is available.
    #[arg(long)]
    pub syslog_relay: bool,
    /// Stop when the phone goes away (summary, then exit 4) instead of waiting for it.
    #[arg(long)]
    pub exit_on_disconnect: bool,
    /// Save the raw stream to FILE (voipctl's recording format; `voipctl analyze FILE` reads it).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Stop after this long: seconds, or with a unit (`90s`, `5m`, `1h`).
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::positive_arg)]
    pub duration: Option<Duration>,
    /// Stop at this time: RFC 3339 (`2026-11-25T18:30:00Z`) or `HH:MM[:SS]` (UTC, the next one).
    #[arg(long, value_name = "TIME", value_parser = parse_until)]
    pub until: Option<SystemTime>,
}

fn parse_until(s: &str) -> Result<SystemTime, String> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(SystemTime::from(t));
    }
    let parts: Vec<&str> = s.split(':').collect();
    let num = |p: &str, max: u32| p.parse::<u32>().ok().filter(|v| *v <= max);
    let (h, m, sec) = match parts.as_slice() {
        [h, m] => (num(h, 23), num(m, 59), Some(0)),
        [h, m, sec] => (num(h, 23), num(m, 59), num(sec, 59)),
        _ => (None, None, None),
    };
    let (Some(h), Some(m), Some(sec)) = (h, m, sec) else {
        return Err(format!(
            "`{s}` is not a time: use RFC 3339 (2026-11-25T18:30:00Z) or HH:MM[:SS] in UTC"
        ));
    };
    let now = time::OffsetDateTime::now_utc();
    let today = now.replace_time(
        time::Time::from_hms(h as u8, m as u8, sec as u8).map_err(|e| e.to_string())?,
    );
    let at = if today <= now {
        today + time::Duration::days(1)
    } else {
        today
    };
    Ok(SystemTime::from(at))
}

impl WatchArgs {
    /// Plain options for the command module.
    pub fn resolve(self) -> Result<WatchOptions, crate::Error> {
        Ok(WatchOptions {
            sel: self.device.resolve()?,
            common: self.log.resolve(),
            syslog_relay: self.syslog_relay,
            exit_on_disconnect: self.exit_on_disconnect,
            record: self.record,
            duration: self.duration,
            until: self.until,
        })
    }
}
