//! The records `voipctl check` reports: `finding`, `rule` (with `--list-rules`; also one JUnit
//! test case per rule) and `summary`.

use crate::context::Outcome;
use crate::preflight::{Distribution, Finding, Rule, RuleResult, Severity, Verdict};
use crate::report::{Body, Case, Output, Record, Style, SummaryRecord};
use crate::sanitize::terminal;
use schemars::JsonSchema;
use serde::Serialize;
use std::io::{self, Write};

/// One finding.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FindingRecord {
    /// Rule ID (`VOIP014`).
    pub id: &'static str,
    /// Rule slug.
    pub rule: &'static str,
    /// Rule family.
    pub group: &'static str,
    /// `error`, `warning` or `info`.
    pub severity: Severity,
    /// The bundle it is about.
    pub component: String,
    /// One line.
    pub message: String,
    /// Why it matters.
    pub explanation: &'static str,
    /// What to do.
    pub fix: &'static str,
    /// It fails the run (errors; warnings with `--strict`): the findings `-q` keeps.
    #[serde(skip)]
    fails: bool,
}

impl FindingRecord {
    pub(crate) fn new(f: &Finding, fails: bool) -> Self {
        FindingRecord {
            id: f.rule.id,
            rule: f.rule.name,
            group: f.rule.group,
            severity: f.severity,
            component: f.component.clone(),
            message: f.message.clone(),
            explanation: f.rule.explanation,
            fix: f.rule.fix,
            fails,
        }
    }
}

fn label(style: &Style, s: Severity) -> String {
    let text = format!("{:<7}", s.name());
    match s {
        Severity::Error => style.error(&text),
        Severity::Warning => style.warn(&text),
        Severity::Info => style.info(&text),
    }
}

impl Record for FindingRecord {
    fn output(&self) -> Output<'_> {
        Output::Finding(self)
    }
    fn heading(&self) -> Option<String> {
        Some(terminal(&self.component).into_owned())
    }
    fn detail(&self) -> bool {
        !self.fails
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        writeln!(
            w,
            "  {} {} {}",
            label(style, self.severity),
            style.bold(self.id),
            terminal(&self.message)
        )?;
        if style.verbose > 0 {
            writeln!(w, "          {} {}", style.dim("why:"), self.explanation)?;
        }
        writeln!(w, "          {} {}", style.dim("fix:"), self.fix)
    }
}

/// A rule's verdict as a JUnit test case (shown only by JUnit output: [`Reporter::case`]).
///
/// [`Reporter::case`]: crate::report::Reporter::case
#[derive(Debug)]
pub(crate) struct RuleCase {
    /// The test case.
    pub case: Case,
}

impl RuleCase {
    pub(crate) fn new(r: &RuleResult, fails: &dyn Fn(Severity) -> bool) -> Self {
        use crate::report::CaseOutcome as o;
        let outcome = match &r.verdict {
            Verdict::Passed => o::Pass,
            Verdict::NotChecked(why) => o::Skip(format!("not checked: {why}")),
            Verdict::Findings(fs) => {
                let failing: Vec<&Finding> = fs.iter().filter(|f| fails(f.severity)).collect();
                if failing.is_empty() {
                    o::Pass
                } else {
                    let text = failing
                        .iter()
                        .map(|f| format!("{} {}: {}", f.severity.name(), f.component, f.message))
                        .chain([
                            format!("why: {}", r.rule.explanation),
                            format!("fix: {}", r.rule.fix),
                        ])
                        .collect::<Vec<_>>()
                        .join("\n");
                    o::Fail {
                        message: failing
                            .first()
                            .map(|f| f.message.clone())
                            .unwrap_or_default(),
                        text,
                    }
                }
            }
        };
        RuleCase {
            case: Case {
                class: format!("check.{}", r.rule.group),
                name: format!("{} {}", r.rule.id, r.rule.name),
                time: None,
                outcome,
            },
        }
    }
}

/// A rule not checked, and why.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NotChecked {
    /// Rule ID.
    pub id: &'static str,
    /// Why.
    pub reason: String,
}

/// The final record of `voipctl check`.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "CheckSummary")]
pub struct Summary {
    /// The path checked.
    pub path: String,
    /// `ipa`, `app`, `xcarchive`, `plist`, `macho` or `device`.
    pub source: String,
    /// The distribution method the severities are for.
    pub distribution: &'static str,
    /// Where it came from: `flag`, `profile` (the app's embedded profile) or `default`.
    pub distribution_from: super::DistributionSource,
    /// The app checked (`Payload/Phone.app`).
    pub app: String,
    /// `--strict`.
    pub strict: bool,
    /// `pass` or `fail` (the summary's `outcome` says it to machines).
    #[serde(skip)]
    pub result: &'static str,
    /// Error findings.
    pub errors: usize,
    /// Warning findings.
    pub warnings: usize,
    /// Info findings.
    pub infos: usize,
    /// Rules evaluated.
    pub rules: usize,
    /// Rules with no finding.
    pub passed: usize,
    /// Rules the source could not feed.
    pub not_checked: Vec<NotChecked>,
    /// App extensions checked.
    pub extensions: usize,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl SummaryRecord for Summary {
    fn body(&self) -> Body<'_> {
        Body::Check(self)
    }
    fn outcome(&self) -> Outcome {
        Outcome::from_failed(self.result == "fail")
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        if style.verbose > 0 {
            for n in &self.not_checked {
                writeln!(
                    w,
                    "  {} {} {}",
                    style.dim("skipped"),
                    style.bold(n.id),
                    terminal(&n.reason)
                )?;
            }
        }
        use super::DistributionSource as D;
        match self.distribution_from {
            D::Profile => writeln!(
                w,
                "distribution: {}, from the embedded profile{}",
                self.distribution,
                if self.distribution == "appstore" {
                    ""
                } else {
                    "; `--distribution appstore` to preflight an upload"
                }
            )?,
            D::Default if self.source != "device" => writeln!(
                w,
                "distribution: appstore (no embedded profile; `--distribution` to choose another)"
            )?,
            _ => {}
        }
        let verdict = if self.result == "fail" {
            style.error("FAIL")
        } else {
            style.ok("PASS")
        };
        let ext = if self.extensions > 0 {
            format!(" + {}", plural(self.extensions, "extension", "extensions"))
        } else {
            String::new()
        };
        let notes = if self.infos > 0 {
            format!(", {}", plural(self.infos, "note", "notes"))
        } else {
            String::new()
        };
        let skipped = match (self.not_checked.len(), style.verbose) {
            (0, _) => String::new(),
            (n, 0) => format!(", {n} not checked (-v lists them)"),
            (n, _) => format!(", {n} not checked"),
        };
        writeln!(
            w,
            "{verdict} {}{ext} ({}{}): {}, {}{notes}; {} of {} rules passed{skipped}",
            terminal(&self.path),
            self.distribution,
            if self.strict { ", strict" } else { "" },
            plural(self.errors, "error", "errors"),
            plural(self.warnings, "warning", "warnings"),
            self.passed,
            self.rules,
        )
    }
}

/// One rule of `--list-rules`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RuleRecord {
    /// ID.
    pub id: &'static str,
    /// Slug.
    pub name: &'static str,
    /// Family.
    pub group: &'static str,
    /// Severity for the chosen `--distribution`.
    pub severity: Severity,
    /// What it checks.
    pub title: &'static str,
    /// Why.
    pub explanation: &'static str,
    /// Fix.
    pub fix: &'static str,
}

impl RuleRecord {
    pub(crate) fn new(r: &'static Rule, d: Distribution) -> Self {
        RuleRecord {
            id: r.id,
            name: r.name,
            group: r.group,
            severity: r.severity_for(d),
            title: r.title,
            explanation: r.explanation,
            fix: r.fix,
        }
    }
}

impl Record for RuleRecord {
    fn output(&self) -> Output<'_> {
        Output::Rule(self)
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        writeln!(
            w,
            "{} {} {:<17} {}",
            style.bold(self.id),
            label(style, self.severity),
            self.group,
            self.title
        )?;
        if style.verbose > 0 {
            writeln!(w, "        {} {}", style.dim("why:"), self.explanation)?;
            writeln!(w, "        {} {}", style.dim("fix:"), self.fix)?;
        }
        Ok(())
    }
}

/// Summary of `--list-rules`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RulesSummary {
    /// Number of rules.
    pub rules: usize,
    /// Distribution the severities are for.
    pub distribution: &'static str,
}

impl SummaryRecord for RulesSummary {
    fn body(&self) -> Body<'_> {
        Body::ListRules(self)
    }
    fn outcome(&self) -> Outcome {
        Outcome::Ok
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        writeln!(
            w,
            "{} rules; severities for --distribution {} (-v: explanations and fixes)",
            self.rules, self.distribution
        )
        .and_then(|_| {
            let _ = style;
            Ok(())
        })
    }
}
