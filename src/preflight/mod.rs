//! The preflight rules: data with stable IDs, a severity per distribution method, a one-line
//! message, an explanation and a fix hint, evaluated on [`AppFacts`] (read by [`crate::bundle`]) — which may come from
//! a bundle on disk or from a phone. Rules that need a part the source cannot provide report
//! [`Verdict::NotChecked`] rather than passing.

mod rules;

pub use rules::RULES;

use crate::bundle::facts::{AppFacts, Target};
use serde::Serialize;
use std::time::SystemTime;

/// How bad a finding is (the one scale of every command).
pub use crate::severity::Severity;

/// How the build is meant to be distributed; decides which findings are errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Distribution {
    /// App Store / TestFlight (the preflight case).
    #[default]
    Appstore,
    /// Ad hoc (listed devices).
    Adhoc,
    /// Development (Xcode, debugger attached).
    Development,
    /// In-house enterprise.
    Enterprise,
}

impl Distribution {
    /// Lowercase name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Distribution::Appstore => "appstore",
            Distribution::Adhoc => "adhoc",
            Distribution::Development => "development",
            Distribution::Enterprise => "enterprise",
        }
    }
}

/// A rule's severity for each distribution method, by name: `Severities::all(W).appstore(E)` is
/// an error for App Store builds and a warning for the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Severities {
    /// App Store / TestFlight.
    pub appstore: Severity,
    /// Ad hoc.
    pub adhoc: Severity,
    /// Development.
    pub development: Severity,
    /// In-house enterprise.
    pub enterprise: Severity,
}

impl Severities {
    /// The same severity for every distribution method.
    pub const fn all(s: Severity) -> Self {
        Severities {
            appstore: s,
            adhoc: s,
            development: s,
            enterprise: s,
        }
    }
    /// The same, with another severity for App Store builds.
    pub const fn appstore(self, s: Severity) -> Self {
        Severities {
            appstore: s,
            ..self
        }
    }
    /// The same, with another severity for development builds.
    pub const fn development(self, s: Severity) -> Self {
        Severities {
            development: s,
            ..self
        }
    }
    /// The severity for one distribution method.
    pub const fn get(self, d: Distribution) -> Severity {
        match d {
            Distribution::Appstore => self.appstore,
            Distribution::Adhoc => self.adhoc,
            Distribution::Development => self.development,
            Distribution::Enterprise => self.enterprise,
        }
    }
}

/// One rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable ID (`VOIP001`).
    pub id: &'static str,
    /// Short slug (`voip-mode-missing`).
    pub name: &'static str,
    /// Family (`background-modes`, `sdk`, `linkage`, `entitlements`, `profile`, `privacy`, `bundle`).
    pub group: &'static str,
    /// What the rule checks, one line.
    pub title: &'static str,
    /// Why it matters.
    pub explanation: &'static str,
    /// What to do.
    pub fix: &'static str,
    /// Severity per distribution method.
    pub severity: Severities,
    check: fn(&Input<'_>, &mut Sink),
}

impl Rule {
    /// Severity of this rule's findings for a distribution method.
    pub fn severity_for(&self, d: Distribution) -> Severity {
        self.severity.get(d)
    }
}

/// Evaluation settings.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Distribution method.
    pub distribution: Distribution,
    /// Profiles expiring within this many days are flagged.
    pub min_days: u32,
    /// "Now", for expiry.
    pub now: SystemTime,
}

/// One finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The rule.
    pub rule: &'static Rule,
    /// Severity for the chosen distribution.
    pub severity: Severity,
    /// The bundle it is about (`Payload/Phone.app`).
    pub component: String,
    /// One line, specific to this bundle.
    pub message: String,
}

impl PartialEq for Rule {
    fn eq(&self, o: &Self) -> bool {
        self.id == o.id
    }
}

/// A rule's verdict.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Nothing found.
    Passed,
    /// Findings (any severity).
    Findings(Vec<Finding>),
    /// The source lacks what the rule needs.
    NotChecked(String),
}

/// One rule and its verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleResult {
    /// The rule.
    pub rule: &'static Rule,
    /// Its verdict.
    pub verdict: Verdict,
}

/// What a rule's check sees.
pub(crate) struct Input<'a> {
    pub facts: &'a AppFacts,
    pub opts: &'a Options,
}

/// Collects one rule's findings.
pub(crate) struct Sink {
    findings: Vec<(Option<Severity>, String, String)>,
    skipped: Vec<String>,
}

impl Sink {
    /// A finding at the rule's severity.
    pub(crate) fn fail(&mut self, t: &Target, msg: impl Into<String>) {
        self.findings.push((None, t.path.clone(), msg.into()));
    }
    /// A finding at a given severity.
    pub(crate) fn fail_at(&mut self, sev: Severity, t: &Target, msg: impl Into<String>) {
        self.findings.push((Some(sev), t.path.clone(), msg.into()));
    }
    /// The rule could not look at something.
    pub(crate) fn skip(&mut self, why: impl Into<String>) {
        self.skipped.push(why.into());
    }
}

/// Evaluate every rule.
pub fn evaluate(facts: &AppFacts, opts: &Options) -> Vec<RuleResult> {
    let input = Input { facts, opts };
    RULES
        .iter()
        .map(|rule| {
            let mut sink = Sink {
                findings: Vec::new(),
                skipped: Vec::new(),
            };
            (rule.check)(&input, &mut sink);
            let base = rule.severity_for(opts.distribution);
            let verdict = if !sink.findings.is_empty() {
                Verdict::Findings(
                    sink.findings
                        .into_iter()
                        .map(|(sev, component, message)| Finding {
                            rule,
                            severity: sev.unwrap_or(base),
                            component,
                            message,
                        })
                        .collect(),
                )
            } else if let Some(first) = sink.skipped.into_iter().next() {
                Verdict::NotChecked(first)
            } else {
                Verdict::Passed
            };
            RuleResult { rule, verdict }
        })
        .collect()
}

/// The rule with this ID.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id.eq_ignore_ascii_case(id))
}
