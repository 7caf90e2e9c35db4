//! JUnit XML, the format CI systems ingest for test reports: one `<testsuite>` per run, one
//! `<testcase>` per verdict (a finding, a threshold, a push, a probe round).

use std::io::{self, Write};

/// One JUnit test case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// `classname`: what was tested (rule family, device, token…).
    pub class: String,
    /// `name`: the check (rule ID…).
    pub name: String,
    /// Seconds, when measured.
    pub time: Option<f64>,
    /// What happened.
    pub outcome: Outcome,
}

/// Verdict of a case.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Passed.
    Pass,
    /// Failed with a short message and a longer text.
    Fail { message: String, text: String },
    /// Not applicable or not run, with why.
    Skip(String),
    /// The command could not run (JUnit's `<error>`: not a failed check, a broken run).
    Error { message: String, text: String },
}

pub(crate) fn write(out: &mut dyn Write, suite: &str, cases: &[Case]) -> io::Result<()> {
    write_suites(out, &[(suite.to_string(), cases.to_vec())])
}

/// Failures, errors and skipped cases.
fn count<'a>(cases: impl IntoIterator<Item = &'a Case>) -> (usize, usize, usize) {
    let (mut failures, mut errors, mut skipped) = (0, 0, 0);
    for c in cases {
        match c.outcome {
            Outcome::Fail { .. } => failures += 1,
            Outcome::Error { .. } => errors += 1,
            Outcome::Skip(_) => skipped += 1,
            Outcome::Pass => {}
        }
    }
    (failures, errors, skipped)
}

/// One document with a `<testsuite>` per entry (`--all`: one per device).
pub(super) fn write_suites(out: &mut dyn Write, suites: &[(String, Vec<Case>)]) -> io::Result<()> {
    let all: Vec<&Case> = suites.iter().flat_map(|(_, c)| c).collect();
    let (failures, errors, skipped) = count(all.iter().copied());
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    writeln!(
        out,
        "<testsuites name=\"voipctl\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">",
        all.len()
    )?;
    for (suite, cases) in suites {
        let (failures, errors, skipped) = count(cases);
        writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">",
            escape(suite),
            cases.len()
        )?;
        for c in cases {
            let time = c
                .time
                .map(|t| format!(" time=\"{t:.3}\""))
                .unwrap_or_default();
            write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\"{time}",
                escape(&c.class),
                escape(&c.name)
            )?;
            match &c.outcome {
                Outcome::Pass => writeln!(out, "/>")?,
                Outcome::Fail { message, text } => writeln!(
                    out,
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                    escape(message),
                    escape(text)
                )?,
                Outcome::Error { message, text } => writeln!(
                    out,
                    ">\n      <error message=\"{}\">{}</error>\n    </testcase>",
                    escape(message),
                    escape(text)
                )?,
                Outcome::Skip(why) => writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    escape(why)
                )?,
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// XML attribute/text escaping; characters XML 1.0 cannot carry become U+FFFD.
pub(crate) fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\t' | '\n' | '\r' => o.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_invalid_chars() {
        assert_eq!(
            escape("a<b & \"c\"\u{1}"),
            "a&lt;b &amp; &quot;c&quot;\u{fffd}"
        );
    }
}
