//! The device log, turned into what a VoIP developer needs to know: `voipctl analyze` (a saved
//! log) and `voipctl watch` (the phone, live).
//!
//! Data flows one way: lines ([`lines`]) → decoded entries ([`decode`], every format people save
//! logs in, auto-detected) → recognised events ([`rules`], data with stable IDs, extensible with
//! `--rules`) → per-app state ([`track`]: wakes, keep-alive cadence, exits/relaunches,
//! push → CallKit report, kills, bans) → the reporter ([`records`]). Everything up to the reporter
//! is synchronous and knows nothing about where the lines come from, so `analyze` and `watch`
//! share it through [`Pipeline`].

pub mod decode;
pub mod lines;
pub mod rules;
pub mod track;

pub(crate) mod crashes;

use decode::{Decoder, Entry, Format, Level};
use regex::Regex;
use rules::RuleSet;
use std::collections::BTreeMap;
use std::path::PathBuf;
use track::{Event, TrackConfig, Tracker};

/// Errors of the log commands.
#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    /// The log file cannot be opened or read.
    #[error("read the log file {}", .0.display())]
    Read(PathBuf, #[source] std::io::Error),
    /// Standard input cannot be read.
    #[error("read the log from standard input")]
    Stdin(#[source] std::io::Error),
    /// A `--rules` file cannot be read.
    #[error("read the rules file {}", .0.display())]
    RulesFile(PathBuf, #[source] std::io::Error),
    /// A rules file is malformed.
    #[error(transparent)]
    Rules(#[from] rules::RulesError),
    /// A `--match`/`--exclude` regex is malformed.
    #[error("compile the --{0} regex")]
    Regex(&'static str, #[source] regex::Error),
    /// A `--crash-report` file cannot be read.
    #[error("read the crash report {}", .0.display())]
    CrashFile(PathBuf, #[source] std::io::Error),
    /// A `--crash-report` file is not a crash report.
    #[error("use {} as a crash report", .0.display())]
    CrashReport(PathBuf, #[source] crate::crash::CrashError),
    /// `--record` cannot be written.
    #[error("write the recording {}", .0.display())]
    Record(PathBuf, #[source] std::io::Error),
}

/// Which lines to analyse (the filters users know from idevicesyslog and pymobiledevice3).
#[derive(Debug, Clone, Default)]
pub struct FilterOptions {
    /// `-b/--bundle`: only events about these apps (plus system-wide ones).
    pub bundles: Vec<String>,
    /// `--process`: only lines from these processes.
    pub processes: Vec<String>,
    /// `--pid`: only lines from these pids.
    pub pids: Vec<u32>,
    /// `--match`: only lines matching one of these regexes.
    pub matches: Vec<String>,
    /// `--exclude`: no line matching one of these regexes.
    pub excludes: Vec<String>,
    /// `--level`: only lines at this level or above (lines without a level pass).
    pub min_level: Option<Level>,
}

/// Options shared by `analyze` and `watch`.
#[derive(Debug, Clone, Default)]
pub struct CommonOptions {
    /// Line filters.
    pub filter: FilterOptions,
    /// Thresholds.
    pub track: TrackConfig,
    /// `--rules` files.
    pub rules_files: Vec<PathBuf>,
    /// `--lines`: print every line that passes the filters, not only recognised ones.
    pub show_lines: bool,
}

#[derive(Debug)]
struct Filter {
    processes: Vec<String>,
    pids: Vec<u32>,
    matches: Vec<Regex>,
    excludes: Vec<Regex>,
    min_level: Option<Level>,
}

impl Filter {
    fn new(o: &FilterOptions) -> Result<Filter, LogsError> {
        let compile = |v: &[String], what: &'static str| {
            v.iter()
                .map(|r| Regex::new(r).map_err(|e| LogsError::Regex(what, e)))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Filter {
            processes: o.processes.clone(),
            pids: o.pids.clone(),
            matches: compile(&o.matches, "match")?,
            excludes: compile(&o.excludes, "exclude")?,
            min_level: o.min_level,
        })
    }

    fn raw_ok(&self, raw: &str) -> bool {
        (self.matches.is_empty() || self.matches.iter().any(|r| r.is_match(raw)))
            && !self.excludes.iter().any(|r| r.is_match(raw))
    }

    fn entry_ok(&self, e: &Entry<'_>) -> bool {
        (self.processes.is_empty() || self.processes.iter().any(|p| p == e.process.as_ref()))
            && (self.pids.is_empty() || e.pid.is_some_and(|p| self.pids.contains(&p)))
            && match (self.min_level, e.level) {
                (Some(min), Some(l)) => l >= min,
                _ => true,
            }
    }
}

/// What a line produced.
#[derive(Debug)]
pub enum Output {
    /// A timeline event.
    Event(Box<Event>),
    /// An unrecognised line (with `--lines`).
    Line(Line),
}

/// An unrecognised line that passed the filters (`--lines`), owned.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Line number (watch: sequence number).
    pub line: u64,
    /// Timestamp text.
    pub time: String,
    /// Process.
    pub process: String,
    /// Pid.
    pub pid: Option<u32>,
    /// Level.
    pub level: Option<Level>,
    /// Subsystem.
    pub subsystem: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Message.
    pub message: String,
}

impl Line {
    /// From a decoded entry.
    pub fn from_entry(e: &Entry<'_>, line: u64) -> Self {
        Line {
            line,
            time: e.time_text.to_string(),
            process: e.process.to_string(),
            pid: e.pid,
            level: e.level,
            subsystem: e.subsystem.as_deref().map(str::to_string),
            category: e.category.as_deref().map(str::to_string),
            message: e.message.to_string(),
        }
    }
}

/// What the pipeline knows at the end of the input, besides its last events.
#[derive(Debug)]
pub struct Ended {
    /// Decoded lines per detected format.
    pub formats: BTreeMap<Format, u64>,
    /// Timeline events, the last ones included.
    pub events: u64,
    /// The tracker's conclusions: per-app summaries, counts and verdicts per check.
    pub finished: track::Finished,
}

/// decode → filter → classify → track, one line at a time.
#[derive(Debug)]
pub struct Pipeline {
    rules: RuleSet,
    decoder: Decoder,
    filter: Filter,
    tracker: Tracker,
    show_lines: bool,
    formats: BTreeMap<Format, u64>,
    events: u64,
    last_line: u64,
}

impl Pipeline {
    /// Build from the options (reads the `--rules` files).
    pub fn new(o: &CommonOptions) -> Result<Pipeline, LogsError> {
        let mut user = Vec::new();
        for p in &o.rules_files {
            let text =
                std::fs::read_to_string(p).map_err(|e| LogsError::RulesFile(p.clone(), e))?;
            user.push((p.display().to_string(), text));
        }
        Pipeline::with_rules(o, RuleSet::build(&user)?)
    }

    /// Build from the options with rules compiled beforehand (`o.rules_files` is not read): a
    /// caller that analyses many inputs compiles the rules once and clones them.
    pub fn with_rules(o: &CommonOptions, rules: RuleSet) -> Result<Pipeline, LogsError> {
        let mut track = o.track.clone();
        track.bundles = o.filter.bundles.clone();
        track.processes = o.filter.processes.clone();
        Ok(Pipeline {
            rules,
            decoder: Decoder::new(),
            filter: Filter::new(&o.filter)?,
            tracker: Tracker::new(track),
            show_lines: o.show_lines,
            formats: BTreeMap::new(),
            events: 0,
            last_line: 0,
        })
    }

    /// The literal prefilter, unless every line must be looked at (`--lines`).
    pub fn prefilter(&self) -> Option<&lines::Prefilter> {
        (!self.show_lines).then(|| self.rules.prefilter())
    }

    /// Feed one raw line (its 1-based number in the input).
    pub fn line(&mut self, raw: &str, number: u64) -> Vec<Output> {
        self.last_line = number;
        let entry = self.decoder.decode(raw);
        if !self.filter.raw_ok(raw) {
            return self.tick_entry(&entry, number);
        }
        self.entry(&entry, number)
    }

    /// Feed one raw line received live at `received` (Unix seconds): a stamp without a year (or
    /// date) is put in the receive time's year (or day).
    pub fn line_received(&mut self, raw: &str, number: u64, received: f64) -> Vec<Output> {
        self.last_line = number;
        let mut entry = self.decoder.decode(raw);
        entry.time = entry.time.map(|s| s.anchored(received));
        if !self.filter.raw_ok(raw) {
            return self.tick_entry(&entry, number);
        }
        self.entry(&entry, number)
    }

    /// A line that cannot produce an event (filtered out, or skipped by the prefilter) still
    /// moves the clock: deadlines (no relaunch, the report window) run on every line's time, so
    /// the verdicts do not depend on `--lines`, the filters or how quiet the log is.
    pub fn tick_line(&mut self, raw: &str, number: u64) -> Vec<Output> {
        self.last_line = number;
        let entry = self.decoder.decode(raw);
        self.tick_entry(&entry, number)
    }

    /// [`Pipeline::tick_line`] for a line received live at `received` (Unix seconds).
    pub fn tick_line_received(&mut self, raw: &str, number: u64, received: f64) -> Vec<Output> {
        self.last_line = number;
        let mut entry = self.decoder.decode(raw);
        entry.time = entry.time.map(|s| s.anchored(received));
        self.tick_entry(&entry, number)
    }

    /// [`Pipeline::tick_line`] for an entry that came decoded.
    pub fn tick_entry(&mut self, entry: &Entry<'_>, number: u64) -> Vec<Output> {
        self.last_line = number;
        let out: Vec<Output> = self
            .tracker
            .tick(entry.time, number, &entry.time_text)
            .into_iter()
            .map(|e| Output::Event(Box::new(e)))
            .collect();
        self.events += out.len() as u64;
        out
    }

    /// The number of the last line fed.
    pub fn last_line(&self) -> u64 {
        self.last_line
    }

    /// Whether a line with this text can produce anything (`false`: skip it, as `analyze`'s
    /// prefilter does).
    pub fn wants(&self, text: &str) -> bool {
        self.show_lines || self.rules.prefilter().is_match(text.as_bytes())
    }

    /// Feed one entry that came decoded (os_trace_relay): `--match`/`--exclude` apply to its
    /// message.
    pub fn entry_live(&mut self, entry: &Entry<'_>, number: u64) -> Vec<Output> {
        self.last_line = number;
        if !self.filter.raw_ok(&entry.message) {
            return self.tick_entry(entry, number);
        }
        self.entry(entry, number)
    }

    /// Feed one decoded entry.
    pub fn entry(&mut self, entry: &Entry<'_>, number: u64) -> Vec<Output> {
        self.last_line = number;
        *self.formats.entry(entry.format).or_default() += 1;
        if !self.filter.entry_ok(entry) {
            return self.tick_entry(entry, number);
        }
        match self.rules.classify(entry) {
            Some(hit) => {
                let evs = self.tracker.observe(entry, &hit, number);
                self.events += evs.len() as u64;
                evs.into_iter()
                    .map(|e| Output::Event(Box::new(e)))
                    .collect()
            }
            None => {
                let mut out: Vec<Output> = self
                    .tracker
                    .tick(entry.time, number, &entry.time_text)
                    .into_iter()
                    .map(|e| Output::Event(Box::new(e)))
                    .collect();
                self.events += out.len() as u64;
                if self.show_lines {
                    out.push(Output::Line(Line::from_entry(entry, number)));
                }
                out
            }
        }
    }

    /// Mark a disconnect/reconnect in the timeline (live only).
    pub fn gap(
        &mut self,
        stamp: Option<decode::Stamp>,
        time_text: &str,
        family: rules::Family,
        summary: String,
    ) -> Event {
        self.events += 1;
        self.tracker
            .gap(stamp, self.last_line, time_text, family, summary)
    }

    /// Deaths of tracked apps since the last call (for crash-report look-ups).
    pub fn take_deaths(&mut self) -> Vec<track::Death> {
        self.tracker.take_deaths()
    }

    /// A crash report found for `death`: the timeline event (the report is attached to the exit
    /// in the summary).
    pub fn crash_report(
        &mut self,
        death: &track::Death,
        report: crate::crash::CrashReport,
    ) -> Event {
        self.events += 1;
        self.tracker.crash_report(death, report)
    }

    /// A crash report given with the log (`analyze --crash-report`): its timeline event,
    /// attached to the exit it explains; `None` when it is of no app in the log.
    pub fn attach_crash(&mut self, report: crate::crash::CrashReport) -> Option<Event> {
        let ev = self.tracker.attach_crash(report);
        if ev.is_some() {
            self.events += 1;
        }
        ev
    }

    /// A JetsamEvent report given with the log: a timeline event for each death it explains
    /// (attached to that exit); `Err` says what was looked for when it explains none.
    pub fn attach_jetsam(
        &mut self,
        event: &crate::crash::JetsamEvent,
    ) -> Result<Vec<Event>, String> {
        let evs = self.tracker.attach_jetsam(event)?;
        self.events += evs.len() as u64;
        Ok(evs)
    }

    /// End of input: the last events and the conclusions.
    pub fn finish(self) -> (Vec<Event>, Ended) {
        let mut finished = self.tracker.finish(self.last_line);
        let tail = std::mem::take(&mut finished.tail);
        let events = self.events + tail.len() as u64;
        let ended = Ended {
            formats: self.formats,
            events,
            finished,
        };
        (tail, ended)
    }
}
