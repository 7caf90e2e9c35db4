//! The checks a log is judged by, and the tracker's own conclusions (`voipctl.<check>` events).

use super::Event;
use crate::diagnosis::Diagnosis;
use crate::logs::rules::{Family, Severity};
use serde::Serialize;
use std::collections::BTreeMap;

/// A threshold that `--fail-on` can turn into a failure.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// A wake lasted longer than the wake budget.
    WakeOverBudget,
    /// More than two keep-alive timeouts passed without a handler run.
    KeepaliveLate,
    /// A keep-alive handler ran longer than the handler budget.
    KeepaliveOverBudget,
    /// A non-zero exit was not followed by a relaunch within the window.
    NoRelaunch,
    /// A VoIP push was not reported to CallKit.
    PushNotReported,
    /// The report came later than the report window.
    ReportLate,
    /// iOS killed the app for not reporting a call.
    CallkitKill,
    /// callservicesd banned the app from VoIP launches.
    Ban,
    /// apsd/callservicesd dropped a VoIP push.
    PushDropped,
    /// A watchdog kill.
    Watchdog,
    /// A jetsam kill.
    Jetsam,
    /// Background time expired.
    BgtimeExpired,
    /// SpringBoard's VoIP wake limit was hit.
    WakeLimit,
    /// The legacy VoIP model is not supported for this build or iOS.
    LegacyVoipUnsupported,
    /// The phone went away during `watch`.
    Disconnected,
}

impl Check {
    /// Every check, in report order.
    pub const ALL: [Check; 15] = [
        Check::WakeOverBudget,
        Check::KeepaliveLate,
        Check::KeepaliveOverBudget,
        Check::NoRelaunch,
        Check::PushNotReported,
        Check::ReportLate,
        Check::CallkitKill,
        Check::Ban,
        Check::PushDropped,
        Check::Watchdog,
        Check::Jetsam,
        Check::BgtimeExpired,
        Check::WakeLimit,
        Check::LegacyVoipUnsupported,
        Check::Disconnected,
    ];
    /// The kebab-case name (for `--fail-on` and JSON).
    pub fn name(self) -> &'static str {
        match self {
            Check::WakeOverBudget => "wake-over-budget",
            Check::KeepaliveLate => "keepalive-late",
            Check::KeepaliveOverBudget => "keepalive-over-budget",
            Check::NoRelaunch => "no-relaunch",
            Check::PushNotReported => "push-not-reported",
            Check::ReportLate => "report-late",
            Check::CallkitKill => "callkit-kill",
            Check::Ban => "ban",
            Check::PushDropped => "push-dropped",
            Check::Watchdog => "watchdog",
            Check::Jetsam => "jetsam",
            Check::BgtimeExpired => "bgtime-expired",
            Check::WakeLimit => "wake-limit",
            Check::LegacyVoipUnsupported => "legacy-voip-unsupported",
            Check::Disconnected => "disconnected",
        }
    }
    /// Parse a `--fail-on` name.
    pub fn parse(s: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// An event the tracker concluded (no log line says it): `voipctl.<check>`.
pub(super) fn conclusion(
    app: &str,
    time: &str,
    offset: Option<f64>,
    line: u64,
    family: Family,
    check: Check,
    summary: String,
) -> Event {
    Event {
        time: time.to_string(),
        offset_s: offset,
        line,
        rule: format!("voipctl.{}", check.name()),
        family,
        severity: Severity::Error,
        app: Some(app.to_string()),
        process: "voipctl".into(),
        pid: None,
        summary,
        fields: BTreeMap::new(),
        duration_s: None,
        latency_s: None,
        check: Some(check),
        note: None,
        message: String::new(),
    }
}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The log shows it went right (or, for a check of something that must not happen, that it
    /// did not happen while the app was being watched).
    Passed,
    /// The log shows it went wrong.
    Failed,
    /// The log does not say: what was missing is in the detail.
    Unknown,
}

impl Verdict {
    /// `passed`, `failed`, `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Unknown => "unknown",
        }
    }
}

/// A log line a verdict rests on.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Evidence {
    /// Line number in the input (`watch`: the entry's sequence number).
    pub line: u64,
    /// The timestamp as the log wrote it (`""` for a conclusion at the end of the log).
    pub time: String,
    /// The app.
    pub app: Option<String>,
    /// The log message, or the tracker's conclusion in words.
    pub text: String,
}

impl Evidence {
    /// The evidence an event is.
    pub fn of(ev: &Event) -> Evidence {
        let mut text = if ev.message.is_empty() {
            ev.summary.clone()
        } else {
            ev.message.clone()
        };
        if let Some(n) = &ev.note
            && ev.message.is_empty()
        {
            text = format!("{text} ({n})");
        }
        Evidence {
            line: ev.line,
            time: ev.time.clone(),
            app: ev.app.clone(),
            text,
        }
    }
}

/// One check's verdict and what it rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckVerdict {
    /// Passed, failed or unknown.
    pub verdict: Verdict,
    /// In words: what was seen, or — for unknown — what was missing.
    pub detail: String,
    /// The lines the verdict rests on (the first few).
    pub evidence: Vec<Evidence>,
    /// For a failed or undecided push check: the cause chain of its first case, as `probe`
    /// gives it for a failed round.
    pub diagnosis: Option<Diagnosis>,
}

/// Lines kept per check and kind (failures, passes, undecided cases).
const KEEP: usize = 5;

#[derive(Debug, Default, Clone)]
struct Page {
    failed: Vec<Evidence>,
    passed: u64,
    passed_ev: Vec<Evidence>,
    undecided: Vec<(Option<Evidence>, String)>,
    undecided_n: u64,
    /// The cause chain of the first failure, and of the first undecided case.
    diag_failed: Option<Diagnosis>,
    diag_undecided: Option<Diagnosis>,
}

/// What every check rests on, collected while the log is read: the lines that violate it, the
/// lines that show it went right, and the cases the log leaves open (with why).
#[derive(Debug, Default, Clone)]
pub(super) struct Book {
    pages: BTreeMap<Check, Page>,
}

impl Book {
    /// Events that carry a check are its failures.
    pub(super) fn note_events(&mut self, evs: &[Event]) {
        for ev in evs {
            if let Some(c) = ev.check {
                self.fail(c, ev);
            }
        }
    }

    /// `ev` is a violation of `c`.
    pub(super) fn fail(&mut self, c: Check, ev: &Event) {
        let p = self.pages.entry(c).or_default();
        let e = Evidence::of(ev);
        if p.failed.len() < KEEP && !p.failed.contains(&e) {
            p.failed.push(e);
        }
    }

    /// `ev` shows `c` went right once.
    pub(super) fn pass(&mut self, c: Check, ev: &Event) {
        let p = self.pages.entry(c).or_default();
        p.passed += 1;
        if p.passed_ev.len() < KEEP {
            p.passed_ev.push(Evidence::of(ev));
        }
    }

    /// A case of `c` the log leaves open: the line it is about (if any) and why.
    pub(super) fn undecided(&mut self, c: Check, ev: Option<Evidence>, why: String) {
        let p = self.pages.entry(c).or_default();
        p.undecided_n += 1;
        if p.undecided.len() < KEEP {
            p.undecided.push((ev, why));
        }
    }

    /// The cause chain of a failure of `c` (the first one is kept).
    pub(super) fn diagnose_failed(&mut self, c: Check, d: Diagnosis) {
        self.pages
            .entry(c)
            .or_default()
            .diag_failed
            .get_or_insert(d);
    }

    /// The cause chain of a case of `c` the log leaves open (the first one is kept).
    pub(super) fn diagnose_undecided(&mut self, c: Check, d: Diagnosis) {
        self.pages
            .entry(c)
            .or_default()
            .diag_undecided
            .get_or_insert(d);
    }

    /// The verdict of every check, from the violations counted (`counts`) and the book.
    /// `activity`: some app activity was recognised (a check of something that must not happen
    /// passes only when there was an app to watch).
    pub(super) fn verdicts(
        &self,
        counts: &BTreeMap<Check, u64>,
        activity: bool,
    ) -> BTreeMap<Check, CheckVerdict> {
        let empty = Page::default();
        Check::ALL
            .iter()
            .map(|&c| {
                let p = self.pages.get(&c).unwrap_or(&empty);
                let n = counts.get(&c).copied().unwrap_or(0);
                let v = if n > 0 {
                    CheckVerdict {
                        verdict: Verdict::Failed,
                        detail: failed_text(c, n),
                        evidence: p.failed.clone(),
                        diagnosis: p.diag_failed.clone(),
                    }
                } else if p.undecided_n > 0 {
                    let mut why: Vec<String> = Vec::new();
                    for (_, w) in &p.undecided {
                        if !why.contains(w) {
                            why.push(w.clone());
                        }
                    }
                    let mut detail = why.join("; ");
                    if p.undecided_n as usize > p.undecided.len() {
                        detail.push_str(&format!(" ({} cases in all)", p.undecided_n));
                    }
                    if p.passed > 0 {
                        detail.push_str(&format!("; {}", passed_text(c, p.passed)));
                    }
                    CheckVerdict {
                        verdict: Verdict::Unknown,
                        detail,
                        evidence: p.undecided.iter().filter_map(|(e, _)| e.clone()).collect(),
                        diagnosis: p.diag_undecided.clone(),
                    }
                } else if p.passed > 0 {
                    CheckVerdict {
                        verdict: Verdict::Passed,
                        detail: passed_text(c, p.passed),
                        evidence: p.passed_ev.clone(),
                        diagnosis: None,
                    }
                } else if let Some(missing) = nothing_to_judge(c) {
                    CheckVerdict {
                        verdict: Verdict::Unknown,
                        detail: missing.to_string(),
                        evidence: Vec::new(),
                        diagnosis: None,
                    }
                } else if activity || c == Check::Disconnected {
                    CheckVerdict {
                        verdict: Verdict::Passed,
                        detail: "none seen".to_string(),
                        evidence: Vec::new(),
                        diagnosis: None,
                    }
                } else {
                    CheckVerdict {
                        verdict: Verdict::Unknown,
                        detail: "no VoIP app activity recognised in the log".to_string(),
                        evidence: Vec::new(),
                        diagnosis: None,
                    }
                };
                (c, v)
            })
            .collect()
    }
}

fn failed_text(c: Check, n: u64) -> String {
    let what = match c {
        Check::WakeOverBudget => "background wake(s) over the budget",
        Check::KeepaliveLate => "keep-alive interval(s) without a handler run",
        Check::KeepaliveOverBudget => "keep-alive handler run(s) over the budget",
        Check::NoRelaunch => "exit(s) not followed by the relaunch iOS owes a VoIP app",
        Check::PushNotReported => "VoIP push(es) not reported to CallKit",
        Check::ReportLate => "CallKit report(s) later than the window",
        Check::CallkitKill => "kill(s) for not reporting a call to CallKit",
        Check::Ban => "ban(s) from VoIP launches",
        Check::PushDropped => "VoIP push(es) dropped",
        Check::Watchdog => "watchdog kill(s)",
        Check::Jetsam => "jetsam kill(s)",
        Check::BgtimeExpired => "background time expiry(ies)",
        Check::WakeLimit => "VoIP wake limit hit(s)",
        Check::LegacyVoipUnsupported => "legacy VoIP refusal(s)",
        Check::Disconnected => "disconnection(s) of the phone",
    };
    format!("{n} {what}")
}

fn passed_text(c: Check, n: u64) -> String {
    let what = match c {
        Check::WakeOverBudget => "background wake(s) within the budget",
        Check::KeepaliveLate => "keep-alive interval(s) on time",
        Check::KeepaliveOverBudget => "keep-alive handler run(s) within the budget",
        Check::NoRelaunch => "relaunch(es) after an exit that called for one",
        Check::PushNotReported => "VoIP push(es) reported to CallKit",
        Check::ReportLate => "CallKit report(s) within the window",
        _ => "case(s) seen going right",
    };
    format!("{n} {what}")
}

/// For a check of something that must happen: what the log would need to show to judge it.
fn nothing_to_judge(c: Check) -> Option<&'static str> {
    Some(match c {
        Check::WakeOverBudget => {
            "no background wake with its end (suspend, exit or kill) in the log"
        }
        Check::KeepaliveLate => "fewer than two keep-alive handler runs in the log",
        Check::KeepaliveOverBudget => "no keep-alive handler run with its end in the log",
        Check::NoRelaunch => "no exit after which iOS should relaunch the app",
        Check::PushNotReported => "no VoIP push for CallKit in the log",
        Check::ReportLate => "no CallKit report with the time of its push",
        _ => return None,
    })
}
