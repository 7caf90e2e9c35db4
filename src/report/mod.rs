//! One reporter for every command. Commands hand it typed records; it renders them as human text
//! (with or without colour), JSON Lines, a JUnit XML document, or a self-contained HTML page,
//! chosen once at start-up.
//!
//! Each capability defines its own record types next to its logic and implements [`Record`] for
//! them; the reporter knows nothing about checks, devices or pushes. JSON Lines output is one
//! object per line with a `type` field first, and ends with a `summary` record that carries
//! [`SCHEMA_VERSION`].

mod html;
mod junit;
mod progress;
mod style;

pub use junit::Case;
pub use junit::Outcome as CaseOutcome;
pub use junit::write_suites as write_junit_suites;
pub use progress::Progress;
pub use style::Style;

use serde::Serialize;
use std::io::{self, Write};

/// Version of the JSON Lines schema documented in the README. Bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

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
pub trait Record: Serialize {
    /// The JSON `type` of this record (`finding`, `device`, `event`…).
    fn kind(&self) -> &'static str;
    /// Human rendering: whole lines, each ending in `\n`. Untrusted text goes through
    /// [`crate::sanitize::terminal`].
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()>;
    /// A JUnit test case, for records that are verdicts.
    fn junit(&self) -> Option<Case> {
        None
    }
    /// The schema version a `summary` record carries (a command whose records changed shape
    /// carries a later version than [`SCHEMA_VERSION`]).
    fn schema_version(&self) -> u32 {
        SCHEMA_VERSION
    }
}

/// Writes records to the data stream (stdout) in the chosen format.
pub struct Reporter {
    format: Format,
    out: Box<dyn Write + Send>,
    style: Style,
    cases: Vec<Case>,
    html: Box<html::Collector>,
    /// The final document or summary was written.
    finished: bool,
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
            finished: false,
        }
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
    pub fn emit<R: Record>(&mut self, r: &R) -> io::Result<()> {
        match self.format {
            Format::Human => r.human(&mut self.out, &self.style),
            Format::Json => write_json_line(&mut self.out, r.kind(), r, None),
            Format::Junit => {
                if let Some(c) = r.junit() {
                    self.cases.push(c);
                }
                Ok(())
            }
            Format::Html => {
                let v = serde_json::to_value(r).map_err(io::Error::other)?;
                self.html.push(r.kind(), v);
                Ok(())
            }
        }
    }

    /// Report the final summary and flush. `suite` names the JUnit test suite.
    pub fn finish<R: Record>(&mut self, summary: &R, suite: &str) -> io::Result<()> {
        self.finished = true;
        match self.format {
            Format::Human => summary.human(&mut self.out, &self.style)?,
            Format::Json => write_json_line(
                &mut self.out,
                summary.kind(),
                summary,
                Some(summary.schema_version()),
            )?,
            Format::Junit => {
                if let Some(c) = summary.junit() {
                    self.cases.push(c);
                }
                junit::write(&mut self.out, suite, &self.cases)?;
            }
            Format::Html => {
                let v = serde_json::to_value(summary).map_err(io::Error::other)?;
                html::write(&mut self.out, suite, &self.html, &v)?;
            }
        }
        self.out.flush()
    }

    /// The command could not run to its summary (`error` is the message and its causes). JUnit
    /// output still gets a document — the cases gathered so far and a `<testcase>` named after
    /// the command with an `<error>` — so that CI shows why rather than a missing report. The
    /// other formats say nothing more on stdout: the error goes to stderr.
    pub fn fail(&mut self, command: &str, error: &[String]) -> io::Result<()> {
        if self.finished || self.format != Format::Junit {
            return Ok(());
        }
        self.finished = true;
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
        self.out.flush()
    }

    /// The JUnit cases gathered so far (`--all` merges each device's into one document).
    pub fn take_cases(&mut self) -> Vec<Case> {
        std::mem::take(&mut self.cases)
    }

    /// The data stream itself, for commands whose output is a document rather than records
    /// (completions, the man page).
    pub fn raw(&mut self) -> &mut dyn Write {
        &mut self.out
    }

    /// Flush buffered output (live commands call this after each batch).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// `{"type":"<kind>", …fields of r…}` on one line, keeping r's field order.
fn write_json_line<R: Serialize>(
    out: &mut dyn Write,
    kind: &str,
    r: &R,
    schema: Option<u32>,
) -> io::Result<()> {
    let body = serde_json::to_string(r).map_err(io::Error::other)?;
    let mut line = String::with_capacity(body.len() + kind.len() + 32);
    line.push_str("{\"type\":");
    line.push_str(&serde_json::to_string(kind).map_err(io::Error::other)?);
    if let Some(v) = schema {
        line.push_str(&format!(",\"schema_version\":{v}"));
    }
    match body.strip_prefix('{') {
        Some("}") | None => line.push('}'),
        Some(rest) => {
            line.push(',');
            line.push_str(rest);
        }
    }
    line.push('\n');
    out.write_all(line.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Serialize)]
    struct Thing {
        name: &'static str,
        n: u32,
    }
    impl Record for Thing {
        fn kind(&self) -> &'static str {
            "thing"
        }
        fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
            writeln!(w, "{} {}", style.bold(self.name), self.n)
        }
    }
    #[derive(Serialize)]
    struct Empty {}
    impl Record for Empty {
        fn kind(&self) -> &'static str {
            "summary"
        }
        fn human(&self, _: &mut dyn Write, _: &Style) -> io::Result<()> {
            Ok(())
        }
    }

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

    #[test]
    fn json_lines_put_type_first_and_version_on_summary() -> io::Result<()> {
        let buf = Buf::default();
        let mut r = Reporter::new(Format::Json, Box::new(buf.clone()), Style::plain());
        r.emit(&Thing {
            name: "a\u{1b}",
            n: 2,
        })?;
        r.finish(&Empty {}, "t")?;
        let text = String::from_utf8(buf.0.lock().map_err(|_| io::Error::other("p"))?.clone())
            .map_err(io::Error::other)?;
        assert_eq!(
            text,
            "{\"type\":\"thing\",\"name\":\"a\\u001b\",\"n\":2}\n{\"type\":\"summary\",\"schema_version\":1}\n"
        );
        Ok(())
    }
}
