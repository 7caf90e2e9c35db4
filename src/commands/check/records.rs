//! The records `voipctl check` reports: `finding`, `rule` (with `--list-rules`; also one JUnit
//! test case per rule) and `summary`.

use crate::preflight::{Distribution, Finding, Rule, RuleResult, Severity, Verdict};
use crate::report::{Case, Record, Style};
use crate::sanitize::terminal;
use serde::Serialize;
use std::io::{self, Write};

/// One finding.
#[derive(Debug, Serialize)]
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
    #[serde(skip)]
    first_in_component: bool,
}

impl FindingRecord {
    pub(crate) fn new(f: &Finding, first_in_component: bool) -> Self {
        FindingRecord {
            id: f.rule.id,
            rule: f.rule.name,
            group: f.rule.group,
            severity: f.severity,
            component: f.component.clone(),
            message: f.message.clone(),
            explanation: f.rule.explanation,
            fix: f.rule.fix,
            first_in_component,
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
    fn kind(&self) -> &'static str {
        "finding"
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        if self.first_in_component {
            writeln!(w, "{}", style.bold(&terminal(&self.component)))?;
        }
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

/// A rule's verdict as a JUnit test case (reported only with `--format junit`).
#[derive(Debug, Serialize)]
pub struct RuleCase {
    id: &'static str,
    #[serde(skip)]
    case: Case,
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
            id: r.rule.id,
            case: Case {
                class: format!("check.{}", r.rule.group),
                name: format!("{} {}", r.rule.id, r.rule.name),
                time: None,
                outcome,
            },
        }
    }
}

impl Record for RuleCase {
    fn kind(&self) -> &'static str {
        "rule_result"
    }
    fn human(&self, _: &mut dyn Write, _: &Style) -> io::Result<()> {
        Ok(())
    }
    fn junit(&self) -> Option<Case> {
        Some(self.case.clone())
    }
}

/// A rule not checked, and why.
#[derive(Debug, Serialize)]
pub struct NotChecked {
    /// Rule ID.
    pub id: &'static str,
    /// Why.
    pub reason: String,
}

/// The final record of `voipctl check`.
#[derive(Debug, Serialize)]
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
    /// `pass` or `fail`.
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

impl Record for Summary {
    fn kind(&self) -> &'static str {
        "summary"
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
#[derive(Debug, Serialize)]
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
    fn kind(&self) -> &'static str {
        "rule"
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
#[derive(Debug, Serialize)]
pub struct RulesSummary {
    /// Number of rules.
    pub rules: usize,
    /// Distribution the severities are for.
    pub distribution: &'static str,
}

impl Record for RulesSummary {
    fn kind(&self) -> &'static str {
        "summary"
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
