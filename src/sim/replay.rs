//! `voipctl sim --replay FILE`: a recorded device log played through the simulated phone's
//! syslog_relay and os_trace_relay with its original timing, so that a field log from a user's
//! phone becomes a CI fixture for `watch`.
//!
//! Reads what `analyze` reads: a `watch --record` file (syslog_relay lines are written back
//! byte for byte; os_trace entries with their fields), idevicesyslog / syslog_relay text, and
//! pymobiledevice3 (JSON or text) and the other formats of [`crate::logs::decode`]. Each entry
//! keeps its own stamp; the gaps between entries are kept (divided by `--speed`). A line without
//! a prefix continues the entry before it (multi-line messages).

use super::scenario::{LogSpec, MAX_ENTRIES};
use crate::logs::decode::{Decoder, Format, Level, RecordingLine, Scale};
use std::time::{Duration, SystemTime};

/// Why a file cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The file could not be read.
    #[error("read the log to replay {path}")]
    Io {
        /// Which file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Nothing in it is a log entry with a time.
    #[error(
        "{0}: no log entry with a timestamp; replay reads `watch --record` files, idevicesyslog text and pymobiledevice3 logs"
    )]
    Empty(String),
    /// Too many entries.
    #[error("{0}: over {MAX_ENTRIES} entries; cut the log first")]
    TooLong(String),
}

fn level_word(l: Option<Level>) -> &'static str {
    match l {
        Some(Level::Debug) => "Debug",
        Some(Level::Info) => "Info",
        Some(Level::Error | Level::Warning) => "Error",
        Some(Level::Fault) => "Fault",
        Some(Level::Notice) | None => "Notice",
    }
}

fn one_word(p: &str) -> String {
    let w: String = p
        .chars()
        .map(|c| {
            if c.is_whitespace() || c == '[' {
                '_'
            } else {
                c
            }
        })
        .collect();
    if w.is_empty() { "unknown".into() } else { w }
}

fn system_time(secs: f64) -> Option<SystemTime> {
    (secs.is_finite() && (0.0..1.0e11).contains(&secs))
        .then(|| SystemTime::UNIX_EPOCH + Duration::from_secs_f64(secs))
}

/// Turn a log's text into timeline entries (`at` from the first entry). `now` (Unix seconds)
/// gives stamps without a year or date their year/day. `name` names the file in errors.
pub fn parse(text: &str, now: f64, name: &str) -> Result<Vec<LogSpec>, ReplayError> {
    let mut decoder = Decoder::new();
    let mut out: Vec<(f64, LogSpec)> = Vec::new();
    for raw in text.lines() {
        let raw = raw.trim_end_matches('\r');
        if raw.is_empty() {
            continue;
        }
        if out.len() >= MAX_ENTRIES {
            return Err(ReplayError::TooLong(name.to_string()));
        }
        // A voipctl recording: the raw line and the receive time as they were.
        if raw.starts_with("{\"voipctl_recording\":") {
            continue;
        }
        if raw.starts_with("{\"t\":")
            && let Ok(r) = serde_json::from_str::<RecordingLine<'_>>(raw)
        {
            if !r.t.is_finite() {
                continue;
            }
            if let Some(line) = r.line {
                let e = Decoder::new().decode(&line);
                let stamp = e.time.map_or(r.t, |s| s.anchored(r.t).secs);
                out.push((
                    r.t,
                    LogSpec {
                        at: Duration::ZERO,
                        process: one_word(&e.process),
                        pid: e.pid.unwrap_or(0),
                        image: e.image.as_deref().map(str::to_string),
                        level: level_word(e.level).into(),
                        message: e.message.to_string(),
                        subsystem: e.subsystem.as_deref().map(str::to_string),
                        category: e.category.as_deref().map(str::to_string),
                        repeat: 1,
                        every: None,
                        stamp: system_time(stamp),
                        raw: Some(line.to_string()),
                    },
                ));
            } else if let Some(message) = r.message {
                out.push((
                    r.t,
                    LogSpec {
                        at: Duration::ZERO,
                        process: one_word(r.process.as_deref().unwrap_or("")),
                        pid: r.pid.unwrap_or(0),
                        image: r.image.as_deref().map(str::to_string),
                        level: level_word(r.level).into(),
                        message: message.to_string(),
                        subsystem: r.subsystem.as_deref().map(str::to_string),
                        category: r.category.as_deref().map(str::to_string),
                        repeat: 1,
                        every: None,
                        stamp: system_time(r.t),
                        raw: None,
                    },
                ));
            }
            // Connection events (disconnected/reconnected) are not log entries.
            continue;
        }
        let e = decoder.decode(raw);
        if e.format == Format::Bare || e.time.is_none() {
            // A continuation of the entry before (multi-line message), or noise before any.
            if let Some((_, last)) = out.last_mut() {
                last.message.push('\n');
                last.message.push_str(raw);
                if let Some(r) = last.raw.as_mut() {
                    r.push('\n');
                    r.push_str(raw);
                }
            }
            continue;
        }
        let Some(stamp) = e
            .time
            .map(|s| s.anchored(now))
            .filter(|s| s.scale == Scale::Unix)
        else {
            continue;
        };
        out.push((
            stamp.secs,
            LogSpec {
                at: Duration::ZERO,
                process: one_word(&e.process),
                pid: e.pid.unwrap_or(0),
                image: e.image.as_deref().map(str::to_string),
                level: level_word(e.level).into(),
                message: e.message.to_string(),
                subsystem: e.subsystem.as_deref().map(str::to_string),
                category: e.category.as_deref().map(str::to_string),
                repeat: 1,
                every: None,
                stamp: system_time(stamp.secs),
                // syslog_relay text is written back as it was.
                raw: (e.format == Format::Syslog).then(|| raw.to_string()),
            },
        ));
    }
    let Some(first) = out.first().map(|(t, _)| *t) else {
        return Err(ReplayError::Empty(name.to_string()));
    };
    // Original gaps, in file order (a stamp that goes back does not reorder lines).
    let mut last = 0.0f64;
    Ok(out
        .into_iter()
        .map(|(t, mut spec)| {
            let rel = (t - first).max(last);
            last = rel;
            spec.at = Duration::from_secs_f64(rel.clamp(0.0, 1.0e9));
            spec
        })
        .collect())
}

/// Read and parse a file to replay.
pub fn load(path: &std::path::Path, now: f64) -> Result<Vec<LogSpec>, ReplayError> {
    let bytes = std::fs::read(path).map_err(|e| ReplayError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    parse(
        &String::from_utf8_lossy(&bytes),
        now,
        &path.display().to_string(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: f64 = 1_764_064_801.0; // 2025-11-25

    #[test]
    fn recordings_keep_raw_lines_and_gaps() {
        let text = concat!(
            "{\"voipctl_recording\":1,\"udid\":\"x\",\"source\":\"syslog_relay\"}\n",
            // synthetic: decoder/plumbing input (prefix splitting, escapes), no verdict asserted
            "{\"t\":1764064801.5,\"line\":\"Nov 25 10:00:01 iPhone callservicesd[112] <Notice>: hello\"}\n",
            "{\"t\":1764064802.0,\"event\":\"disconnected\"}\n",
            "{\"t\":1764064803.25,\"message\":\"VOIPCTL call.reported\",\"process\":\"ExampleCall\",\"pid\":601,\"level\":\"notice\"}\n",
        );
        let v = parse(text, NOW, "rec").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(
            v[0].raw.as_deref(),
            Some("Nov 25 10:00:01 iPhone callservicesd[112] <Notice>: hello")
        );
        assert_eq!((v[0].process.as_str(), v[0].pid), ("callservicesd", 112));
        assert_eq!(v[1].at, Duration::from_millis(1750));
        assert_eq!(v[1].message, "VOIPCTL call.reported");
        assert_eq!(
            v[1].stamp,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs_f64(1764064803.25))
        );
    }

    #[test]
    fn idevicesyslog_text_with_a_continuation() {
        // synthetic: decoder/plumbing input (prefix splitting, escapes), no verdict asserted
        let text = "Nov 25 10:00:01 iPhone SpringBoard(FrontBoard)[57] <Notice>: first\nsecond line\nNov 25 10:00:04 iPhone runningboardd[33] <Error>: later\n";
        let v = parse(text, NOW, "t").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].message, "first\nsecond line");
        assert_eq!(v[0].image.as_deref(), Some("FrontBoard"));
        assert_eq!(v[1].at, Duration::from_secs(3));
        assert_eq!(v[1].level, "Error");
        assert!(parse("nothing here\n", NOW, "x").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,400}") {
            let _ = parse(&s, NOW, "p");
        }
    }
}
