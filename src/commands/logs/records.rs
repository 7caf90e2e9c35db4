//! What `analyze` and `watch` report: `event` records (the timeline), `line` records (`--lines`),
//! `check` records (one per threshold, the JUnit test cases) and the `summary`. The JSON shapes
//! are in `voipctl schema` and the README (`json-schema`), and pinned by `tests/logs.rs`.

use super::FailOn;
use crate::context::Outcome;
use crate::logs::decode::{Entry, Level};
use crate::logs::track::{AppSummary, Check, Event, Evidence, Finished, Verdict};
use crate::report::{Body, Case, CaseOutcome, Output, Record, Style, SummaryRecord};
use crate::sanitize::terminal;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

fn severity_paint(style: &Style, sev: crate::logs::rules::Severity, s: &str) -> String {
    match sev {
        crate::logs::rules::Severity::Error => style.error(s),
        crate::logs::rules::Severity::Warning => style.warn(s),
        crate::logs::rules::Severity::Info => s.to_string(),
    }
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut o: String = s.chars().take(n.saturating_sub(1)).collect();
    o.push('…');
    o
}

impl Record for Event {
    fn output(&self) -> Output<'_> {
        Output::Event(self)
    }
    fn detail(&self) -> bool {
        // `-q` keeps the events that violate a check.
        self.check.is_none()
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        let time = if self.time.is_empty() {
            self.offset_s
                .map(|o| format!("+{o:.3}s"))
                .unwrap_or_default()
        } else {
            self.time.clone()
        };
        let app = self.app.as_deref().unwrap_or("-");
        let mut text = terminal(&self.summary).into_owned();
        if let Some(n) = &self.note {
            text.push_str(" — ");
            text.push_str(&terminal(n));
        }
        let family = format!("{:<18}", self.family.name());
        let mut line = format!(
            "{} {} {} {}",
            style.dim(&format!("{:<15}", terminal(&time))),
            style.bold(&format!("{:<28}", short(&terminal(app), 28))),
            severity_paint(style, self.severity, &family),
            severity_paint(style, self.severity, &text),
        );
        if let Some(c) = self.check {
            line.push(' ');
            line.push_str(&style.error(&format!("[{}]", c.name())));
        }
        if style.verbose > 0 {
            line.push(' ');
            line.push_str(&style.dim(&format!("({} line {})", self.rule, self.line)));
        }
        writeln!(w, "{line}")?;
        if style.verbose > 1 && !self.message.is_empty() {
            writeln!(w, "{:>16}{}", "", style.dim(&terminal(&self.message)))?;
        }
        Ok(())
    }
}

/// An unrecognised line that passed the filters (`--lines`).
#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct LineRecord {
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

impl LineRecord {
    /// From a decoded entry.
    pub fn from_entry(e: &Entry<'_>, line: u64) -> Self {
        crate::logs::Line::from_entry(e, line).into()
    }
}

impl From<crate::logs::Line> for LineRecord {
    fn from(l: crate::logs::Line) -> Self {
        let crate::logs::Line {
            line,
            time,
            process,
            pid,
            level,
            subsystem,
            category,
            message,
        } = l;
        LineRecord {
            line,
            time,
            process,
            pid,
            level,
            subsystem,
            category,
            message,
        }
    }
}

impl Record for LineRecord {
    fn output(&self) -> Output<'_> {
        Output::Line(self)
    }
    fn detail(&self) -> bool {
        true
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        let pid = self.pid.map(|p| format!("[{p}]")).unwrap_or_default();
        writeln!(
            w,
            "{} {}{} {}",
            style.dim(&format!("{:<15}", terminal(&self.time))),
            style.dim(&terminal(&self.process)),
            style.dim(&pid),
            terminal(&self.message)
        )
    }
}

/// One check's verdict (a JUnit test case).
#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct CheckRecord {
    /// The check.
    pub check: Check,
    /// `passed`, `failed` or `unknown`: what the log shows.
    pub verdict: Verdict,
    /// Violations counted.
    pub count: u64,
    /// The `--fail-on` threshold (null: not a failure condition in this run).
    pub max: Option<u64>,
    /// Over the threshold.
    pub failed: bool,
    /// The verdict in words: what was seen, or — for `unknown` — what was missing.
    pub detail: String,
    /// The lines the verdict rests on (the first few).
    pub evidence: Vec<Evidence>,
    /// A failed or undecided push check: the cause chain of its first case (each link seen,
    /// with its line, or inferred) and the fix — the chain `probe` gives a failed round.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<crate::diagnosis::Diagnosis>,
}

/// The cause chain under a check of the human summary.
fn chain_lines(
    w: &mut dyn Write,
    style: &Style,
    d: &crate::diagnosis::Diagnosis,
) -> io::Result<()> {
    for l in &d.chain {
        let how = match l.evidence {
            crate::diagnosis::Evidence::Seen => style.ok("seen    "),
            crate::diagnosis::Evidence::Inferred => style.warn("inferred"),
        };
        writeln!(
            w,
            "       {} {} {}",
            style.dim("why"),
            how,
            terminal(&short(&l.step, 160))
        )?;
        if let Some(line) = &l.line {
            writeln!(
                w,
                "                     {}",
                style.dim(&terminal(&short(line, 140)))
            )?;
        }
    }
    writeln!(w, "       {} {}", style.bold("fix"), terminal(&d.fix))
}

impl Record for CheckRecord {
    fn output(&self) -> Output<'_> {
        Output::Check(self)
    }
    fn human(&self, _w: &mut dyn Write, _style: &Style) -> io::Result<()> {
        // Shown in the summary table for people.
        Ok(())
    }
    fn junit(&self) -> Option<Case> {
        let outcome = match (self.max, self.failed) {
            (None, _) => CaseOutcome::Skip("not a --fail-on check in this run".into()),
            (Some(_), false) => CaseOutcome::Pass,
            (Some(max), true) => CaseOutcome::Fail {
                message: format!("{} {} (allowed {max})", self.check.name(), self.count),
                text: {
                    let mut t = format!(
                        "{}; see the timeline events with \"check\":\"{}\"",
                        self.detail,
                        self.check.name()
                    );
                    for e in &self.evidence {
                        t.push_str(&format!("\nline {}: {}", e.line, e.text));
                    }
                    if let Some(d) = &self.diagnosis {
                        t.push_str("\nwhy:");
                        for l in &d.chain {
                            let how = match l.evidence {
                                crate::diagnosis::Evidence::Seen => "seen",
                                crate::diagnosis::Evidence::Inferred => "inferred",
                            };
                            t.push_str(&format!("\n  {how}: {}", l.step));
                            if let Some(line) = &l.line {
                                t.push_str(&format!(" — {line}"));
                            }
                        }
                        t.push_str(&format!("\nfix: {}", d.fix));
                    }
                    t
                },
            },
        };
        Some(Case {
            class: "voipctl.logs".into(),
            name: self.check.name().into(),
            time: None,
            outcome,
        })
    }
}

/// A period without the phone (watch).
#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct Gap {
    /// When the connection was lost (UTC).
    pub from: String,
    /// When it came back (UTC), null if it did not.
    pub to: Option<String>,
    /// Seconds without the phone.
    pub duration_s: Option<f64>,
}

/// Where the log came from, for the summary.
#[derive(Debug, Clone, Default)]
pub struct SummaryMeta {
    /// `analyze` or `watch`.
    pub command: &'static str,
    /// File path, `-`, or `device <udid>`.
    pub source: String,
    /// Bytes read.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Lines cut at the maximum line length.
    pub truncated_lines: u64,
    /// Disconnections (watch).
    pub gaps: Vec<Gap>,
    /// Stopped by Ctrl-C/SIGTERM.
    pub interrupted: bool,
    /// Recording written (watch --record).
    pub recording: Option<String>,
}

/// The last record of `analyze`/`watch`.
#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
#[schemars(rename = "LogSummary")]
pub struct Summary {
    /// `analyze` or `watch` (the summary's `command`).
    #[serde(skip)]
    pub command: &'static str,
    /// File path, `-`, or `device <udid>`.
    pub source: String,
    /// Lines read.
    pub lines: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Lines cut at the maximum line length.
    pub truncated_lines: u64,
    /// Decoded lines per detected format.
    pub formats: BTreeMap<String, u64>,
    /// Timeline events.
    pub events: u64,
    /// Seconds from the first to the last timestamp.
    pub span_s: Option<f64>,
    /// Disconnections (watch).
    pub gaps: Vec<Gap>,
    /// Recording written (watch --record).
    pub recording: Option<String>,
    /// Per app.
    pub apps: Vec<AppSummary>,
    /// Per check: count, threshold, verdict.
    pub checks: Vec<CheckRecord>,
    /// A `--fail-on` threshold was exceeded (exit code 1; the summary's `outcome`).
    #[serde(skip)]
    pub failed: bool,
    /// Stopped by Ctrl-C/SIGTERM (exit code 130; the summary's `outcome`).
    #[serde(skip)]
    pub interrupted: bool,
}

impl Summary {
    /// Assemble the summary from what the pipeline concluded; `failed` follows the `--fail-on`
    /// thresholds.
    pub fn build(meta: SummaryMeta, ended: crate::logs::Ended, fail_on: &[FailOn]) -> Summary {
        let crate::logs::Ended {
            formats,
            events,
            finished,
        } = ended;
        let Finished {
            apps,
            counts,
            verdicts,
            span: span_s,
            ..
        } = finished;
        let checks: Vec<CheckRecord> = Check::ALL
            .iter()
            .map(|c| {
                let count = counts.get(c).copied().unwrap_or(0);
                let max = fail_on.iter().find(|f| f.check == *c).map(|f| f.max);
                let v = verdicts.get(c);
                CheckRecord {
                    check: *c,
                    verdict: v.map_or(Verdict::Unknown, |v| v.verdict),
                    count,
                    max,
                    failed: max.is_some_and(|m| count > m),
                    detail: v.map(|v| v.detail.clone()).unwrap_or_default(),
                    evidence: v.map(|v| v.evidence.clone()).unwrap_or_default(),
                    diagnosis: v.and_then(|v| v.diagnosis.clone()),
                }
            })
            .collect();
        Summary {
            command: meta.command,
            source: meta.source,
            lines: meta.lines,
            bytes: meta.bytes,
            truncated_lines: meta.truncated_lines,
            formats: formats
                .into_iter()
                .map(|(f, n)| (f.name().to_string(), n))
                .collect(),
            events,
            span_s,
            gaps: meta.gaps,
            recording: meta.recording,
            apps,
            failed: checks.iter().any(|c| c.failed),
            checks,
            interrupted: meta.interrupted,
        }
    }
}

fn opt(v: Option<f64>, unit: &str) -> String {
    v.map(|x| format!("{x:.1}{unit}"))
        .unwrap_or_else(|| "-".into())
}

impl SummaryRecord for Summary {
    fn body(&self) -> Body<'_> {
        if self.command == "watch" {
            Body::Watch(self)
        } else {
            Body::Analyze(self)
        }
    }
    fn outcome(&self) -> Outcome {
        if self.interrupted {
            Outcome::Interrupted
        } else {
            Outcome::from_failed(self.failed)
        }
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        writeln!(w)?;
        let formats: Vec<String> = self
            .formats
            .iter()
            .map(|(f, n)| format!("{f} {n}"))
            .collect();
        writeln!(
            w,
            "{} {} — {} lines, {} events{}{}",
            style.bold("summary:"),
            terminal(&self.source),
            self.lines,
            self.events,
            self.span_s
                .map(|s| format!(", {}", human_span(s)))
                .unwrap_or_default(),
            if formats.is_empty() {
                String::new()
            } else {
                format!(" (decoded: {})", formats.join(", "))
            }
        )?;
        if self.truncated_lines > 0 {
            writeln!(
                w,
                "  {} lines were longer than 1 MiB and cut",
                self.truncated_lines
            )?;
        }
        for g in &self.gaps {
            writeln!(
                w,
                "  {} {} → {}{}",
                style.warn("disconnected:"),
                g.from,
                g.to.as_deref().unwrap_or("(not back)"),
                g.duration_s
                    .map(|d| format!(" ({d:.1} s without the phone)"))
                    .unwrap_or_default()
            )?;
        }
        if let Some(r) = &self.recording {
            writeln!(w, "  recording: {}", terminal(r))?;
        }
        if self.apps.is_empty() {
            writeln!(w, "  no VoIP app activity recognised")?;
        } else {
            writeln!(
                w,
                "  {:<28} {:>9} {:>10} {:>8} {:>10} {:>14} {:>9} {:>15} {:>6}",
                "app",
                "launches",
                "wakes",
                "max",
                "keepalive",
                "interval±jit",
                "exits",
                "pushes rep/kill",
                "banned"
            )?;
            for a in &self.apps {
                let relaunched = a
                    .exits
                    .iter()
                    .filter(|x| x.relaunched_after_s.is_some())
                    .count();
                let interval = match (a.keepalive.interval_s.mean, a.keepalive.interval_s.stddev) {
                    (Some(m), Some(s)) => format!("{m:.0}±{s:.0}s"),
                    _ => "-".into(),
                };
                writeln!(
                    w,
                    "  {:<28} {:>9} {:>10} {:>8} {:>10} {:>14} {:>9} {:>15} {:>6}",
                    short(&terminal(&a.app), 28),
                    format!(
                        "{} ({}/{})",
                        a.launches.total, a.launches.background, a.launches.foreground
                    ),
                    format!("{} ({}!)", a.wakes.count, a.wakes.over_budget),
                    opt(a.wakes.duration_s.max, "s"),
                    format!("{} ({}!)", a.keepalive.runs, a.keepalive.late),
                    interval,
                    format!(
                        "{} ({}↻)",
                        a.exits.len() as u64 + a.exits_dropped,
                        relaunched
                    ),
                    format!(
                        "{} {}/{}",
                        a.pushes.received, a.pushes.reported, a.pushes.callkit_kills
                    ),
                    if a.pushes.banned { "YES" } else { "no" },
                )?;
            }
        }
        for a in &self.apps {
            if a.exits_dropped > 0 {
                writeln!(
                    w,
                    "  {} {}: {} earlier exits counted but not listed (--keep-events)",
                    style.dim("kept:"),
                    short(&terminal(&a.app), 28),
                    a.exits_dropped
                )?;
            }
            for x in &a.exits {
                if let Some(c) = &x.crash {
                    writeln!(
                        w,
                        "  {} {} {} — {}{}",
                        style.warn("crash:"),
                        short(&terminal(&a.app), 28),
                        terminal(&x.time),
                        terminal(&short(&c.headline(), 160)),
                        c.file
                            .as_deref()
                            .map(|f| format!(" ({})", terminal(f)))
                            .unwrap_or_default()
                    )?;
                }
            }
        }
        let mut quiet_pass = Vec::new();
        let mut quiet_unknown = Vec::new();
        let mut chained: Vec<&CheckRecord> = Vec::new();
        for c in &self.checks {
            let shown = c.max.is_some() || !c.evidence.is_empty() || c.verdict == Verdict::Failed;
            if !shown {
                match c.verdict {
                    Verdict::Passed => quiet_pass.push(c),
                    _ => quiet_unknown.push(c),
                }
                continue;
            }
            let verdict = match c.verdict {
                Verdict::Failed => style.error("FAIL"),
                Verdict::Passed => style.ok("ok"),
                Verdict::Unknown => style.warn("?"),
            };
            let threshold = match (c.max, c.failed) {
                (Some(m), true) => format!(" (over the --fail-on {m})"),
                (Some(m), false) => format!(" (--fail-on {m}: within)"),
                (None, _) => String::new(),
            };
            writeln!(
                w,
                "  {verdict:<4} {:<24} {}{threshold}",
                c.check.name(),
                terminal(&c.detail)
            )?;
            for e in &c.evidence {
                writeln!(
                    w,
                    "       {} {}",
                    style.dim(&format!("line {}", e.line)),
                    terminal(&short(&e.text, 140))
                )?;
            }
            if let Some(d) = &c.diagnosis {
                match chained.iter().find(|e| e.diagnosis.as_ref() == Some(d)) {
                    Some(e) => writeln!(
                        w,
                        "       {} the same chain as {} above",
                        style.dim("why"),
                        e.check.name()
                    )?,
                    None => chain_lines(w, style, d)?,
                }
                chained.push(c);
            }
        }
        if !quiet_pass.is_empty() {
            let names: Vec<&str> = quiet_pass.iter().map(|c| c.check.name()).collect();
            writeln!(w, "  {:<4} none seen: {}", style.ok("ok"), names.join(", "))?;
        }
        if !quiet_unknown.is_empty() {
            if style.verbose > 0 {
                for c in &quiet_unknown {
                    writeln!(
                        w,
                        "  {:<4} {:<24} {}",
                        style.warn("?"),
                        c.check.name(),
                        terminal(&c.detail)
                    )?;
                }
            } else {
                let names: Vec<&str> = quiet_unknown.iter().map(|c| c.check.name()).collect();
                writeln!(
                    w,
                    "  {:<4} nothing to judge: {} (-v says what is missing)",
                    style.warn("?"),
                    names.join(", ")
                )?;
            }
        }
        let failed_checks: Vec<&str> = self
            .checks
            .iter()
            .filter(|c| c.verdict == Verdict::Failed)
            .map(|c| c.check.name())
            .collect();
        let result = if self.failed {
            style.error("FAILED: a --fail-on threshold was exceeded")
        } else if self.interrupted {
            style.warn("interrupted")
        } else if !failed_checks.is_empty() {
            style.warn(&format!(
                "failed checks: {} (no --fail-on threshold exceeded)",
                failed_checks.join(", ")
            ))
        } else {
            style.ok("ok")
        };
        writeln!(w, "  result: {result}")
    }
}

fn human_span(s: f64) -> String {
    let s = s.max(0.0);
    if s < 120.0 {
        format!("{s:.1} s")
    } else if s < 7200.0 {
        format!("{:.0} min {:.0} s", (s / 60.0).floor(), s % 60.0)
    } else {
        format!(
            "{:.0} h {:.0} min",
            (s / 3600.0).floor(),
            (s % 3600.0) / 60.0
        )
    }
}
