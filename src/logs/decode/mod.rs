//! Decoding device log lines in every shape real people save them in, auto-detected per line.
//!
//! Logs reach voipctl from many tools, and a saved file may even mix them (a recording pasted into
//! an issue next to Xcode's console). So every line is decoded on its own: the format that
//! decoded the previous line is tried first, then the others, and a line that matches none is a
//! *bare* message (a crash-report field, a continuation line, an Xcode 15 console line) rather than
//! an error. Decoding borrows from the line; only escaped text (vis(3), JSON) is copied.
//! No input makes a decoder panic: they are fuzzed (`fuzz/fuzz_targets/log_line.rs`).

use crate::timestamp::{civil_from_days, days_from_civil};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The prefix style a line was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// syslog_relay / `idevicesyslog`: `Mon dd HH:MM:SS host proc(image)[pid] <Level>: msg`
    /// (also the old jailbreak syslogd files, which have no `<Level>`).
    Syslog,
    /// voipctl's own recording (`watch --record`): JSON Lines around the raw stream.
    Recording,
    /// pymobiledevice3 `syslog live --format json`.
    Pymobiledevice3Json,
    /// pymobiledevice3 `syslog live` text: `YYYY-MM-DD HH:MM:SS.ffffff proc{image}[pid] <LEVEL>: msg`.
    Pymobiledevice3,
    /// Xcode's debug console: `YYYY-MM-DD HH:MM:SS.ffffff+ZZZZ App[pid:tid] msg`.
    Xcode,
    /// macOS `log show`/`log stream` (sysdiagnose archives), default and compact styles.
    LogShow,
    /// Console.app "Copy": tab-separated `type  time  process  [subsystem  category]  message`.
    Console,
    /// Old jailbreak syslog: `Wed May 27 07:34:41 2015: SpringBoard (…): msg`.
    Jailbreak,
    /// A binary os_trace_relay entry (live only; recorded as structured JSON).
    OsTrace,
    /// No recognised prefix: the whole line is the message.
    Bare,
}

impl Format {
    /// Every format, in the order they are tried after the previous line's.
    pub const ALL: [Format; 8] = [
        Format::Syslog,
        Format::Recording,
        Format::Pymobiledevice3Json,
        Format::Pymobiledevice3,
        Format::Xcode,
        Format::LogShow,
        Format::Console,
        Format::Jailbreak,
    ];

    /// The name used in the summary and the README.
    pub fn name(self) -> &'static str {
        match self {
            Format::Syslog => "syslog",
            Format::Recording => "recording",
            Format::Pymobiledevice3Json => "pymobiledevice3-json",
            Format::Pymobiledevice3 => "pymobiledevice3",
            Format::Xcode => "xcode",
            Format::LogShow => "log-show",
            Format::Console => "console",
            Format::Jailbreak => "jailbreak",
            Format::OsTrace => "os-trace",
            Format::Bare => "bare",
        }
    }
}

/// Severity of a line, ordered from least to most severe.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Debug.
    Debug,
    /// Info.
    Info,
    /// Notice / Default.
    Notice,
    /// Warning.
    Warning,
    /// Error.
    Error,
    /// Fault / Critical / Alert / Emergency.
    Fault,
}

impl Level {
    /// Parse the level names the tools print (`Notice`, `<NOTICE>`, `default`, `Df`, `E`…).
    pub fn parse(s: &str) -> Option<Level> {
        let s = s.trim_matches(|c| c == '<' || c == '>' || c == ' ');
        Some(match s.to_ascii_lowercase().as_str() {
            "debug" | "db" | "d" => Level::Debug,
            "info" | "i" => Level::Info,
            "notice" | "default" | "df" | "user_action" | "activity" | "par défaut"
            | "standard" | "standaard" | "predeterminado" | "predefinito" | "padrão" => {
                Level::Notice
            }
            "warning" | "warn" | "w" => Level::Warning,
            "error" | "err" | "e" => Level::Error,
            "fault" | "critical" | "crit" | "alert" | "emergency" | "emerg" | "f" | "fa" => {
                Level::Fault
            }
            _ => return None,
        })
    }
    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Notice => "notice",
            Level::Warning => "warning",
            Level::Error => "error",
            Level::Fault => "fault",
        }
    }
}

/// A point in time as far as the line tells it.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Stamp {
    /// Seconds on this stamp's scale.
    pub secs: f64,
    /// What the seconds count from.
    pub scale: Scale,
}

/// The reference of a [`Stamp`]: only stamps of the same scale can be subtracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd)]
pub enum Scale {
    /// Unix time (a full date was given; time zone applied when given).
    Unix,
    /// From the start of an unknown year (syslog stamps have no year).
    YearRelative,
    /// From the start of an unknown day (Console.app copies may carry only the time).
    DayRelative,
}

impl Stamp {
    /// A Unix stamp.
    pub fn unix(secs: f64) -> Stamp {
        Stamp {
            secs,
            scale: Scale::Unix,
        }
    }

    /// Put a stamp without year (or date) on the Unix scale, using `reference` (Unix seconds,
    /// e.g. when the line was received) for what the stamp does not say: the year nearest to the
    /// reference (a December line read in January is last year's), or the reference's day.
    pub fn anchored(self, reference: f64) -> Stamp {
        if !reference.is_finite() {
            return self;
        }
        match self.scale {
            Scale::Unix => self,
            Scale::DayRelative => {
                let day = (reference / 86400.0).floor() * 86400.0;
                let mut t = day + self.secs;
                if t > reference + 43200.0 {
                    t -= 86400.0;
                }
                Stamp::unix(t)
            }
            Scale::YearRelative => {
                let (year, _, _) = civil_from_days((reference / 86400.0).floor() as i64);
                let doy = (self.secs / 86400.0).floor().clamp(0.0, 364.0) as u32;
                let sod = self.secs - f64::from(doy) * 86400.0;
                let month = DAYS_BEFORE_MONTH
                    .iter()
                    .rposition(|d| *d <= doy)
                    .unwrap_or(0);
                let day = doy - DAYS_BEFORE_MONTH[month] + 1;
                let at = |y: i64| days_from_civil(y, month as u32 + 1, day) as f64 * 86400.0 + sod;
                let mut t = at(year);
                if t > reference + 180.0 * 86400.0 {
                    t = at(year - 1);
                }
                Stamp::unix(t)
            }
        }
    }
}

/// One decoded log line. Strings borrow from the input where no unescaping was needed.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<'a> {
    /// The prefix style.
    pub format: Format,
    /// The timestamp text as written (empty when none).
    pub time_text: Cow<'a, str>,
    /// The timestamp, when it could be read.
    pub time: Option<Stamp>,
    /// The emitting process (executable name), empty when unknown.
    pub process: Cow<'a, str>,
    /// The image (library) that logged, when given.
    pub image: Option<Cow<'a, str>>,
    /// Process ID, when given.
    pub pid: Option<u32>,
    /// Level, when given.
    pub level: Option<Level>,
    /// os_log subsystem, when given.
    pub subsystem: Option<Cow<'a, str>>,
    /// os_log category, when given.
    pub category: Option<Cow<'a, str>>,
    /// The message (vis(3) and JSON escapes decoded).
    pub message: Cow<'a, str>,
}

impl<'a> Entry<'a> {
    /// A line without any recognised prefix.
    pub fn bare(line: &'a str) -> Self {
        Entry {
            format: Format::Bare,
            time_text: Cow::Borrowed(""),
            time: None,
            process: Cow::Borrowed(""),
            image: None,
            pid: None,
            level: None,
            subsystem: None,
            category: None,
            message: Cow::Borrowed(line),
        }
    }

    /// Copy every borrowed field so the entry outlives its buffer.
    pub fn into_owned(self) -> Entry<'static> {
        fn own(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        Entry {
            format: self.format,
            time_text: own(self.time_text),
            time: self.time,
            process: own(self.process),
            image: self.image.map(own),
            pid: self.pid,
            level: self.level,
            subsystem: self.subsystem.map(own),
            category: self.category.map(own),
            message: own(self.message),
        }
    }
}

/// Decodes lines, remembering which format matched last (files are rarely mixed, so the first
/// try nearly always hits).
#[derive(Debug, Clone)]
pub struct Decoder {
    last: Format,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            last: Format::Syslog,
        }
    }
}

impl Decoder {
    /// A decoder with no history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decode one line (without its line terminator). Never fails: unknown shapes are bare.
    pub fn decode<'a>(&mut self, line: &'a str) -> Entry<'a> {
        let line = line.trim_end_matches(['\r', '\n', '\0']);
        if let Some(e) = decode_as(self.last, line) {
            return e;
        }
        for f in Format::ALL {
            if f == self.last {
                continue;
            }
            if let Some(e) = decode_as(f, line) {
                self.last = f;
                return e;
            }
        }
        Entry::bare(line)
    }
}

/// Decode one line in one given format; `None` when the line is not in that format.
pub fn decode_as(format: Format, line: &str) -> Option<Entry<'_>> {
    match format {
        Format::Syslog => syslog(line),
        Format::Recording => recording(line),
        Format::Pymobiledevice3Json => pmd3_json(line),
        Format::Pymobiledevice3 => pmd3_text(line),
        Format::Xcode => xcode(line),
        Format::LogShow => log_show(line),
        Format::Console => console(line),
        Format::Jailbreak => jailbreak(line),
        Format::OsTrace => None,
        Format::Bare => Some(Entry::bare(line)),
    }
}

/// Decode one line with a fresh decoder (for tests, fuzzing and one-off use).
pub fn decode_line(line: &str) -> Entry<'_> {
    Decoder::new().decode(line)
}

mod console;
mod fields;
mod jailbreak;
mod log_show;
mod pmd3;
mod recording;
mod syslog;
mod vis;
mod xcode;

#[cfg(test)]
mod tests;

pub use fields::format_unix;
pub use recording::RecordingLine;
pub use vis::unvis;

use console::*;
use fields::*;
use jailbreak::*;
use log_show::*;
use pmd3::*;
use recording::*;
use syslog::*;
use xcode::*;
