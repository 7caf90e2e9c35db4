//! `voipctl watch`.

use super::analyze::LogArgs;
use super::device::DeviceArgs;
use crate::commands::logs::WatchOptions;
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
pub(crate) struct WatchArgs {
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
    /// Stop at this time: `HH:MM[:SS]` (local, the next one), `HH:MM[:SS]Z` (UTC) or RFC 3339.
    #[arg(long, value_name = "TIME", value_parser = parse_until)]
    pub until: Option<SystemTime>,
    /// Do not fetch crash reports from the phone when a watched app dies (by default the
    /// newest report of the process is read from com.apple.crashreportcopymobile and its
    /// termination reason/code put in the timeline).
    #[arg(long)]
    pub no_crash_reports: bool,
    /// Every attached phone at once (phones that attach later join; one that goes away is
    /// reported); JSON records get a `device` field, JUnit a testsuite per phone.
    #[arg(long, conflicts_with = "udid")]
    pub all: bool,
}

fn parse_until(s: &str) -> Result<SystemTime, String> {
    // Read the zone while the process has one thread (clap runs before the runtime starts); the
    // time crate refuses to read it later, and then only `HH:MMZ` / RFC 3339 are accepted.
    let now = time::OffsetDateTime::now_local().ok();
    until(s, now, time::OffsetDateTime::now_utc()).map(SystemTime::from)
}

/// `--until`: RFC 3339, `HH:MM[:SS]` in this computer's zone (`now_local`), or `HH:MM[:SS]Z` in
/// UTC — the next such moment after now.
fn until(
    s: &str,
    now_local: Option<time::OffsetDateTime>,
    now_utc: time::OffsetDateTime,
) -> Result<time::OffsetDateTime, String> {
    use time::format_description::well_known::Rfc3339;
    let s = s.trim();
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let bad = || {
        format!(
            "`{s}` is not a time: use HH:MM[:SS] (local time), HH:MM[:SS]Z (UTC) or RFC 3339 \
             (2026-11-25T18:30:00Z)"
        )
    };
    let (clock, now) = match s.strip_suffix(['Z', 'z']) {
        Some(c) => (c, now_utc),
        None => (
            s,
            now_local.ok_or_else(|| {
                format!(
                    "the local time zone cannot be read here; give `{s}Z` (UTC) or an RFC 3339 \
                     time instead"
                )
            })?,
        ),
    };
    let num = |p: &str, max: u8| p.parse::<u8>().ok().filter(|v| *v <= max);
    let parts: Vec<&str> = clock.split(':').collect();
    let (h, m, sec) = match parts.as_slice() {
        [h, m] => (num(h, 23), num(m, 59), Some(0)),
        [h, m, sec] => (num(h, 23), num(m, 59), num(sec, 59)),
        _ => (None, None, None),
    };
    let (Some(h), Some(m), Some(sec)) = (h, m, sec) else {
        return Err(bad());
    };
    let today = now.replace_time(time::Time::from_hms(h, m, sec).map_err(|_| bad())?);
    Ok(if today <= now {
        today + time::Duration::days(1)
    } else {
        today
    })
}

impl WatchArgs {
    /// Plain options for the command module.
    pub(crate) fn resolve(self) -> Result<WatchOptions, crate::Error> {
        let sel = self.device.resolve()?;
        let (common, fail_on) = self.log.resolve();
        Ok(WatchOptions {
            sel,
            common,
            fail_on,
            syslog_relay: self.syslog_relay,
            exit_on_disconnect: self.exit_on_disconnect,
            record: self.record,
            duration: self.duration,
            until: self.until,
            crash_reports: !self.no_crash_reports,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::until;
    use time::macros::{datetime, offset};

    #[test]
    fn until_is_the_next_such_moment_in_the_right_zone() {
        let utc = datetime!(2026-11-25 19:00:00 UTC);
        let local = utc.to_offset(offset!(+1));
        // 21:30 local (+01:00) is 20:30 UTC today.
        assert_eq!(
            until("21:30", Some(local), utc).unwrap(),
            datetime!(2026-11-25 20:30:00 UTC)
        );
        // 19:30Z is later today in UTC; 18:00Z has passed, so tomorrow.
        assert_eq!(
            until("19:30Z", None, utc).unwrap(),
            datetime!(2026-11-25 19:30:00 UTC)
        );
        assert_eq!(
            until("18:00:05Z", None, utc).unwrap(),
            datetime!(2026-11-26 18:00:05 UTC)
        );
        // 19:30 local (+01:00) is 18:30 UTC, already past: tomorrow.
        assert_eq!(
            until("19:30", Some(local), utc).unwrap(),
            datetime!(2026-11-26 18:30:00 UTC)
        );
        assert_eq!(
            until("2026-11-25T18:30:00Z", None, utc).unwrap(),
            datetime!(2026-11-25 18:30:00 UTC)
        );
    }

    #[test]
    fn bad_times_are_explained() {
        let utc = datetime!(2026-11-25 19:00:00 UTC);
        assert!(
            until("25:00", Some(utc), utc)
                .unwrap_err()
                .contains("HH:MM")
        );
        assert!(until("12", Some(utc), utc).is_err());
        assert!(until("12:60Z", None, utc).is_err());
        assert!(until("12:30", None, utc).unwrap_err().contains("12:30Z"));
    }
}
