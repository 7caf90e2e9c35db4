//! One reporter for every command. Commands hand it typed records; it renders them as human text
//! (with or without colour), JSON Lines, a JUnit XML document, or a self-contained HTML page,
//! chosen once at start-up. Commands never look at the format: the reporter owns it, and with
//! it the aligned tables, the group headings, colour and `-q`.
//!
//! Every record is a variant of the one output model, [`Output`] (`#[serde(tag = "type")]`):
//! a record type is a struct with named fields, so it always serialises to an object whose
//! fields sit next to `type` (nothing is spliced as text). Every command ends with one
//! [`Summary`] shape: `command`, `schema_version`, `outcome`, then the command's own fields.
//! `voipctl schema` prints the JSON Schema of all of it, generated from these types.

mod html;
mod junit;
pub(crate) mod output;
mod progress;
mod style;
mod table;

pub(crate) use junit::Case;
pub(crate) use junit::Outcome as CaseOutcome;
pub(crate) use output::{Body, Line, Output, Summary};
pub(crate) use progress::Progress;
pub(crate) use style::Style;
pub(crate) use table::Row;

use crate::context::Outcome;
use std::io::{self, Write};

/// Version of the JSON Lines schema (`voipctl schema`, documented in the README), the same for
/// every command. Bumped on any incompatible change; the CHANGELOG says what changed.
pub(crate) const SCHEMA_VERSION: u32 = 3;

/// Output format, chosen once per run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Text for people; colour when allowed.
    Human,
    /// JSON Lines on stdout.
    Json,
    /// A JUnit XML document at the end (for CI test reports).
    Junit,
    /// One self-contained HTML page at the end, drawn from the records' JSON values.
    Html,
}

/// Something a command reports: a finding, a device, a log event, a push result…
pub trait Record {
    /// This record in the output model (its JSON `type` and fields).
    fn output(&self) -> Output<'_>;
    /// Human rendering: whole lines, each ending in `\n`. Untrusted text goes through
    /// [`crate::sanitize::terminal`]. Records shown as table rows ([`Record::row`]) leave it
    /// empty.
    fn human(&self, _w: &mut dyn Write, _style: &Style) -> io::Result<()> {
        Ok(())
    }
    /// A JUnit test case, for records that are verdicts.
    fn junit(&self) -> Option<Case> {
        None
    }
    /// Detail that `-q` leaves out of human output (JSON, JUnit and HTML always carry it).
    fn detail(&self) -> bool {
        false
    }
    /// A heading above this record's human lines, printed when it differs from the last one
    /// (the component of a finding, the phone of an app list).
    fn heading(&self) -> Option<String> {
        None
    }
    /// This record as a row of an aligned table: consecutive rows with the same header make
    /// one table in human output.
    fn row(&self) -> Option<Row> {
        None
    }
}

/// The last record of a command: its own fields ([`Body`]) and how the run ended.
pub trait SummaryRecord {
    /// The command's own summary fields, tagged with the command.
    fn body(&self) -> Body<'_>;
    /// How the run ended (`ok`, `failed`, `interrupted`).
    fn outcome(&self) -> Outcome;
    /// Human rendering.
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()>;
    /// A JUnit test case, when the summary itself is a verdict.
    fn junit(&self) -> Option<Case> {
        None
    }
}

/// Writes records to the data stream (stdout) in the chosen format.
pub struct Reporter {
    format: Format,
    out: Box<dyn Write + Send>,
    style: Style,
    cases: Vec<Case>,
    html: Box<html::Collector>,
    /// The phone every JSON record is about (`--all` runs one reporter per phone).
    device: Option<String>,
    /// The last heading printed (human).
    heading: Option<String>,
    /// Table rows waiting for the table to end (human).
    table: Vec<Row>,
    /// The final document or summary was written.
    finished: bool,
    /// The summary of the page, once written (`--all` draws every phone's part on one page).
    html_summary: Option<serde_json::Value>,
}

/// One phone's part of an `--all` page: its records and its summary, as its own page would
/// have drawn them.
#[derive(Debug)]
pub struct HtmlPart {
    /// The phone.
    pub name: String,
    collector: Box<html::Collector>,
    summary: serde_json::Value,
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reporter")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl Reporter {
    /// A reporter writing to `out`.
    pub fn new(format: Format, out: Box<dyn Write + Send>, style: Style) -> Self {
        Reporter {
            format,
            out,
            style,
            cases: Vec::new(),
            html: Box::default(),
            device: None,
            heading: None,
            table: Vec::new(),
            finished: false,
            html_summary: None,
        }
    }

    /// Every JSON record this reporter writes carries `"device": udid` (`--all`).
    pub fn for_device(mut self, udid: &str) -> Self {
        self.device = Some(udid.to_string());
        self
    }

    /// `--all` output of a phone is merged line by line: true when those lines are for people
    /// (and get the phone's prefix).
    pub fn prefixes_lines(&self) -> bool {
        self.format == Format::Human
    }

    /// The chosen format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The human style (colour, verbosity).
    pub fn style(&self) -> &Style {
        &self.style
    }

    /// Report one record.
    pub fn emit<R: Record + ?Sized>(&mut self, r: &R) -> io::Result<()> {
        match self.format {
            Format::Human => self.human(r),
            Format::Json => self.json_line(r.output()),
            Format::Junit => {
                if let Some(c) = r.junit() {
                    self.cases.push(c);
                }
                Ok(())
            }
            Format::Html => {
                let v = serde_json::to_value(r.output()).map_err(io::Error::other)?;
                let kind = v
                    .get("type")
                    .and_then(|t| t.as_str())
                    .unwrap_or_default()
                    .to_string();
                self.html.push(&kind, v);
                Ok(())
            }
        }
    }

    /// A verdict that only JUnit shows as a test case (a rule that passed, was not checked…);
    /// the other formats ignore it.
    pub fn case(&mut self, c: Case) {
        if self.format == Format::Junit {
            self.cases.push(c);
        }
    }

    fn human<R: Record + ?Sized>(&mut self, r: &R) -> io::Result<()> {
        if self.style.quiet && r.detail() {
            return Ok(());
        }
        let heading = r.heading();
        let row = r.row();
        let same_table = match (&row, self.table.last()) {
            (Some(a), Some(b)) => a.header == b.header && heading == self.heading,
            _ => false,
        };
        if !same_table {
            self.end_table()?;
        }
        if let Some(h) = heading
            && self.heading.as_ref() != Some(&h)
        {
            writeln!(self.out, "{}", self.style.bold(&h))?;
            self.heading = Some(h);
        }
        match row {
            Some(row) => {
                self.table.push(row);
                Ok(())
            }
            None => r.human(&mut self.out, &self.style),
        }
    }

    fn end_table(&mut self) -> io::Result<()> {
        if self.table.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.table);
        table::write(&mut self.out, &self.style, &rows)
    }

    fn json_line(&mut self, record: Output<'_>) -> io::Result<()> {
        match self.device.as_deref() {
            // The common case goes straight to the writer (no `flatten` map on the hot path
            // of `analyze`).
            None => serde_json::to_writer(&mut self.out, &record),
            Some(device) => serde_json::to_writer(
                &mut self.out,
                &Line {
                    record,
                    device: Some(device),
                },
            ),
        }
        .map_err(io::Error::other)?;
        self.out.write_all(b"\n")
    }

    /// Report the final summary and flush. `suite` names the JUnit test suite.
    pub fn finish<S: SummaryRecord + ?Sized>(&mut self, s: &S, suite: &str) -> io::Result<()> {
        self.finished = true;
        let summary = Summary {
            schema_version: SCHEMA_VERSION,
            outcome: s.outcome(),
            body: s.body(),
        };
        match self.format {
            Format::Human => {
                self.end_table()?;
                s.human(&mut self.out, &self.style)?;
            }
            Format::Json => self.json_line(Output::Summary(summary))?,
            Format::Junit => {
                if let Some(c) = s.junit() {
                    self.cases.push(c);
                }
                // A phone's run in `--all`: its cases go into the one document of the run.
                if self.device.is_none() {
                    junit::write(&mut self.out, suite, &self.cases)?;
                }
            }
            Format::Html => {
                let v = serde_json::to_value(Output::Summary(summary)).map_err(io::Error::other)?;
                // A phone's run in `--all`: its part goes on the one page of the run.
                if self.device.is_none() {
                    html::write(&mut self.out, suite, &self.html, &v)?;
                }
                self.html_summary = Some(v);
            }
        }
        self.out.flush()
    }

    /// The end of an `--all` run: JUnit gets one document with a test suite per phone
    /// (`suites`), HTML one page with a part per phone (`parts`); the other formats get the
    /// summary.
    pub fn finish_suites<S: SummaryRecord + ?Sized>(
        &mut self,
        s: &S,
        suite: &str,
        suites: &[(String, Vec<Case>)],
        parts: &[HtmlPart],
    ) -> io::Result<()> {
        match self.format {
            Format::Junit => {
                self.finished = true;
                junit::write_suites(&mut self.out, suites)?;
            }
            Format::Html => {
                self.finished = true;
                let summary = Summary {
                    schema_version: SCHEMA_VERSION,
                    outcome: s.outcome(),
                    body: s.body(),
                };
                let v = serde_json::to_value(Output::Summary(summary)).map_err(io::Error::other)?;
                let parts: Vec<(&str, &html::Collector, &serde_json::Value)> = parts
                    .iter()
                    .map(|p| (p.name.as_str(), p.collector.as_ref(), &p.summary))
                    .collect();
                html::write_parts(&mut self.out, &format!("voipctl {suite}"), &parts, &v)?;
            }
            Format::Human | Format::Json => return self.finish(s, suite),
        }
        self.out.flush()
    }

    /// The command could not run to its summary (`error` is the message and its causes). JUnit
    /// output still gets a document — the cases gathered so far and a `<testcase>` named after
    /// the command with an `<error>` — so that CI shows why rather than a missing report. The
    /// other formats say nothing more on stdout: the error goes to stderr.
    pub fn fail(&mut self, command: &str, error: &[String]) -> io::Result<()> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        match self.format {
            Format::Human => self.end_table()?,
            Format::Junit if self.device.is_none() => {
                let mut cases = std::mem::take(&mut self.cases);
                cases.push(Case {
                    class: "voipctl".into(),
                    name: command.into(),
                    time: None,
                    outcome: CaseOutcome::Error {
                        message: error.first().cloned().unwrap_or_default(),
                        text: error.join("\ncaused by: "),
                    },
                });
                junit::write(&mut self.out, &format!("voipctl {command}"), &cases)?;
            }
            Format::Junit | Format::Json | Format::Html => {}
        }
        self.out.flush()
    }

    /// The JUnit cases gathered so far (`--all` merges each device's into one document).
    pub fn take_cases(&mut self) -> Vec<Case> {
        std::mem::take(&mut self.cases)
    }

    /// The records and summary of a finished HTML page, for an `--all` page with a part per
    /// phone; `None` before [`Reporter::finish`] or in another format.
    pub fn take_html(&mut self, name: &str) -> Option<HtmlPart> {
        let summary = self.html_summary.take()?;
        Some(HtmlPart {
            name: name.to_string(),
            collector: std::mem::take(&mut self.html),
            summary,
        })
    }

    /// The data stream itself, for commands whose output is a document rather than records
    /// (completions, the man page, the schema) and for `--all`'s merged streams.
    pub fn raw(&mut self) -> &mut dyn Write {
        &mut self.out
    }

    /// Flush buffered output (live commands call this after each batch): a table waiting for
    /// its end is written first.
    pub fn flush(&mut self) -> io::Result<()> {
        self.end_table()?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::logs::records::LineRecord;
    use crate::commands::sim::SimSummary;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl Buf {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().map(|b| b.clone()).unwrap_or_default())
                .into_owned()
        }
    }

    fn line(message: &str) -> LineRecord {
        LineRecord {
            line: 3,
            time: "t".into(),
            process: "p".into(),
            pid: None,
            level: None,
            subsystem: None,
            category: None,
            message: message.into(),
        }
    }

    fn summary() -> SimSummary {
        SimSummary {
            devices: 1,
            seconds: 0.5,
            interrupted: false,
        }
    }

    fn run(format: Format, style: Style, device: Option<&str>) -> io::Result<String> {
        let buf = Buf::default();
        let mut r = Reporter::new(format, Box::new(buf.clone()), style);
        if let Some(d) = device {
            r = r.for_device(d);
        }
        r.emit(&line("a\u{1b}"))?;
        r.finish(&summary(), "t")?;
        Ok(buf.text())
    }

    #[test]
    fn json_lines_put_type_first_and_one_summary_shape() -> io::Result<()> {
        assert_eq!(
            run(Format::Json, Style::plain(), None)?,
            "{\"type\":\"line\",\"line\":3,\"time\":\"t\",\"process\":\"p\",\"pid\":null,\"level\":null,\"subsystem\":null,\"category\":null,\"message\":\"a\\u001b\"}\n\
             {\"type\":\"summary\",\"schema_version\":3,\"outcome\":\"ok\",\"command\":\"sim\",\"devices\":1,\"seconds\":0.5}\n"
        );
        // `--all`: the phone is a field of every record.
        let tagged = run(Format::Json, Style::plain(), Some("U1"))?;
        for l in tagged.lines() {
            let v: serde_json::Value = serde_json::from_str(l).map_err(io::Error::other)?;
            assert_eq!(v["device"], "U1", "{l}");
        }
        Ok(())
    }

    /// `-q` shortens human output only: JSON carries every record.
    #[test]
    fn quiet_trims_people_output_not_json() -> io::Result<()> {
        let quiet = Style {
            quiet: true,
            ..Style::plain()
        };
        assert_eq!(
            run(Format::Json, quiet, None)?,
            run(Format::Json, Style::plain(), None)?
        );
        assert!(run(Format::Human, Style::plain(), None)?.contains("a\\x1b"));
        assert!(!run(Format::Human, quiet, None)?.contains("a\\x1b"));
        Ok(())
    }

    #[test]
    fn rows_make_one_table_under_their_heading() -> io::Result<()> {
        struct R(&'static str, &'static str);
        impl Record for R {
            fn output(&self) -> Output<'_> {
                unreachable!("human only")
            }
            fn heading(&self) -> Option<String> {
                Some(format!("== {} ==", self.0))
            }
            fn row(&self) -> Option<Row> {
                Some(Row {
                    header: &["NAME"],
                    cells: vec![self.1.into()],
                    highlight: false,
                    error: None,
                })
            }
        }
        let buf = Buf::default();
        let mut r = Reporter::new(Format::Human, Box::new(buf.clone()), Style::plain());
        for rec in [R("a", "x"), R("a", "longer"), R("b", "y")] {
            r.emit(&rec)?;
        }
        r.finish(&summary(), "t")?;
        assert_eq!(
            buf.text(),
            "== a ==\nNAME\nx\nlonger\n== b ==\nNAME\ny\nsimulator stopped after 0.5s\n"
        );
        Ok(())
    }

    /// Every record type is an object with a `type` of its own, and every summary carries
    /// `command`, `schema_version` and `outcome`.
    #[test]
    fn the_schema_covers_every_record_as_an_object() {
        let schema = output::schema();
        let text = schema.to_string();
        for kind in [
            "finding",
            "rule",
            "device_check",
            "device",
            "device_event",
            "device_info",
            "device_value",
            "app",
            "device_error",
            "event",
            "line",
            "check",
            "device_joined",
            "device_left",
            "push",
            "connected",
            "round",
            "listening",
            "connection",
            "request",
            "keepalive",
            "wake",
            "malformed",
            "probe_round",
            "probe_threshold",
            "sim_ready",
            "summary",
        ] {
            assert!(text.contains(&format!("\"const\":\"{kind}\"")), "no {kind}");
        }
        for command in [
            "check",
            "check --list-rules",
            "check --device",
            "devices",
            "info",
            "apps",
            "analyze",
            "watch",
            "watch --all",
            "push",
            "signal send",
            "signal serve",
            "probe",
            "probe --all",
            "sim",
        ] {
            assert!(
                text.contains(&format!("\"const\":\"{command}\"")),
                "no {command}"
            );
        }
        assert!(text.contains("\"schema_version\"") && text.contains("\"outcome\""));
        assert!(text.contains("\"warning\"") && !text.contains("\"warn\""));
    }
}
