//! What `voipctl probe` reports: one `probe_round` record per round (as it concludes), one
//! `probe_threshold` record per `--fail-on`, one `summary`. JUnit: a test case per round and per
//! threshold, in one testsuite per device.

use crate::context::Outcome;
use crate::probe::clock::Offset;
use crate::probe::diagnose::{Diagnosis, Evidence};
use crate::probe::round::{Answer, Verdict};
use crate::probe::stats::StageStats;
use crate::report::{Body, Case, CaseOutcome, Output, Record, Style, SummaryRecord};
use crate::sanitize::terminal;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// When a stage was reached.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StageTime {
    /// The stage.
    pub stage: &'static str,
    /// Milliseconds after sending (phone stages: on the host's clock, through the offset
    /// estimate; absent while the offset is unknown).
    pub ms: Option<f64>,
    /// The log line (process: message) for phone stages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
}

/// `{"type":"probe_round"}`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "ProbeRoundRecord")]
pub struct RoundRecord {
    /// The phone.
    pub udid: String,
    /// 1-based.
    pub round: u32,
    /// `push` or `signal`.
    pub via: &'static str,
    /// How it ended.
    pub verdict: Verdict,
    /// Passed.
    pub ok: bool,
    /// Host time it was sent (UTC).
    pub sent: String,
    /// The trigger's answer (status, apns-id, reason…).
    #[serde(flatten)]
    pub answer: Answer,
    /// Stages reached, in order.
    pub stages: Vec<StageTime>,
    /// The app's state when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_state: Option<String>,
    /// Why it ended without a report (kill reason, ban…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Cause chain and fix, for rounds that did not pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<Diagnosis>,
}

impl Record for RoundRecord {
    fn output(&self) -> Output<'_> {
        Output::ProbeRound(self)
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        let verdict = match self.verdict {
            Verdict::Reported => style.ok("reported"),
            Verdict::Late => style.warn("LATE"),
            Verdict::Unknown => style.warn("UNKNOWN"),
            v => style.error(&v.name().to_uppercase()),
        };
        let mut path = Vec::new();
        for s in &self.stages {
            path.push(match s.ms {
                Some(ms) if s.stage != "sent" => format!("{} {ms:.0} ms", s.stage),
                _ => s.stage.to_string(),
            });
        }
        writeln!(
            w,
            "round {:>3}  {}  {}{}",
            self.round,
            verdict,
            terminal(&path.join(" → ")),
            self.app_state
                .as_ref()
                .map(|s| format!("  [{}]", terminal(s)))
                .unwrap_or_default()
        )?;
        if let Some(d) = &self.diagnosis {
            for l in &d.chain {
                let mark = match l.evidence {
                    Evidence::Seen => style.dim("seen    "),
                    Evidence::Inferred => style.warn("inferred"),
                };
                writeln!(w, "    {mark} {}", terminal(&l.step))?;
                if let Some(line) = &l.line
                    && style.verbose > 0
                {
                    writeln!(w, "             {}", style.dim(&terminal(line)))?;
                }
            }
            writeln!(w, "    {} {}", style.bold("fix:"), terminal(&d.fix))?;
        }
        Ok(())
    }
    fn junit(&self) -> Option<Case> {
        let outcome = if self.ok {
            CaseOutcome::Pass
        } else if self.verdict == Verdict::Unknown {
            CaseOutcome::Skip(
                "unknown: neither a CallKit report nor a kill showed in the log".into(),
            )
        } else {
            let text = self
                .diagnosis
                .as_ref()
                .map(|d| {
                    let mut t: Vec<String> = d
                        .chain
                        .iter()
                        .map(|l| {
                            format!(
                                "[{}] {}{}",
                                match l.evidence {
                                    Evidence::Seen => "seen",
                                    Evidence::Inferred => "inferred",
                                },
                                l.step,
                                l.line
                                    .as_ref()
                                    .map(|x| format!(" — {x}"))
                                    .unwrap_or_default()
                            )
                        })
                        .collect();
                    t.push(format!("fix: {}", d.fix));
                    t.join("\n")
                })
                .unwrap_or_default();
            CaseOutcome::Fail {
                message: format!("round {}: {}", self.round, self.verdict.name()),
                text,
            }
        };
        Some(Case {
            class: format!("probe.{}", self.udid),
            name: format!("round {}", self.round),
            time: self
                .stages
                .iter()
                .rev()
                .find_map(|s| s.ms)
                .map(|ms| ms / 1000.0),
            outcome,
        })
    }
}

/// `{"type":"probe_threshold"}`: one `--fail-on`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ThresholdRecord {
    /// The phone.
    pub udid: String,
    /// As given (`reported.p95=2s`, `failed=0`).
    pub spec: String,
    /// The measured value (ms, or a count); absent when no round reached the stage.
    pub value: Option<f64>,
    /// The limit (ms or count).
    pub limit: f64,
    /// Within the limit.
    pub ok: bool,
}

impl Record for ThresholdRecord {
    fn output(&self) -> Output<'_> {
        Output::ProbeThreshold(self)
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        let v = self
            .value
            .map_or("no value (no round reached the stage)".into(), |v| {
                format!("{v:.1}")
            });
        let mark = if self.ok {
            style.ok("ok  ")
        } else {
            style.error("FAIL")
        };
        writeln!(
            w,
            "{mark} --fail-on {}: {v} (limit {})",
            self.spec, self.limit
        )
    }
    fn junit(&self) -> Option<Case> {
        Some(Case {
            class: format!("probe.{}", self.udid),
            name: format!("--fail-on {}", self.spec),
            time: None,
            outcome: if self.ok {
                CaseOutcome::Pass
            } else {
                CaseOutcome::Fail {
                    message: format!("{} over the limit", self.spec),
                    text: format!("value {:?}, limit {}", self.value, self.limit),
                }
            },
        })
    }
}

/// How the phone's clock was put on the host's.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ClockRecord {
    /// The method, in words.
    pub method: &'static str,
    /// The estimate, when there is one.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub offset: Option<Offset>,
    /// Why there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown: Option<String>,
}

/// Where the largest of `overhead_us` went: the time its line waited for the round loop and the
/// time spent on it, its round, and how long the OS kept probe's thread off a CPU in that round.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct OverheadMax {
    /// The time the line waited for the round loop (the thread busy with other work — the push
    /// connection, writing a record — or not running at all), microseconds.
    pub wait_us: Option<f64>,
    /// The time spent on the line itself (decode, classify, stage, round), microseconds.
    pub work_us: Option<f64>,
    /// The round of the largest.
    pub round: Option<u32>,
    /// The longest time spent on any one line itself, microseconds.
    pub work_max_us: Option<f64>,
    /// How long the OS kept probe's thread off a CPU during that round (Linux `schedstat` run
    /// delay; null elsewhere): when it covers `wait_us`, the tail is the host not running probe,
    /// not probe's code.
    pub round_run_delay_us: Option<f64>,
}

/// `{"type":"summary"}` of `probe`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ProbeSummary {
    /// The phone.
    pub udid: String,
    /// The app.
    pub bundle: String,
    /// `push` or `signal`.
    pub via: &'static str,
    /// Where the phone's log came from.
    pub source: &'static str,
    /// Rounds run.
    pub rounds: usize,
    /// Rounds that passed.
    pub passed: usize,
    /// Rounds that did not.
    pub failed: usize,
    /// Rounds the log cannot decide (neither passed nor failed).
    pub unknown: usize,
    /// Rounds per verdict.
    pub verdicts: BTreeMap<&'static str, usize>,
    /// Per stage, ms from sending.
    pub stages: BTreeMap<&'static str, StageStats>,
    /// The report deadline, ms.
    pub deadline_ms: f64,
    /// The clock offset between host and phone.
    pub clock: ClockRecord,
    /// Time probe itself adds between a line arriving from the phone and its stage being
    /// recorded, microseconds (`count`: lines that became a stage or an end).
    pub overhead_us: StageStats,
    /// Where the largest of `overhead_us` went.
    pub overhead_max: OverheadMax,
    /// `--fail-on` thresholds that failed.
    pub thresholds_failed: usize,
    /// Stopped by Ctrl-C (the summary's `outcome`).
    #[serde(skip)]
    pub interrupted: bool,
}

impl SummaryRecord for ProbeSummary {
    fn body(&self) -> Body<'_> {
        Body::Probe(self)
    }
    fn outcome(&self) -> Outcome {
        if self.interrupted {
            Outcome::Interrupted
        } else {
            Outcome::from_failed(self.thresholds_failed > 0)
        }
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        writeln!(
            w,
            "{} {} on {} via {}: {} of {} rounds passed{}",
            style.bold("probe"),
            terminal(&self.bundle),
            terminal(&self.udid),
            self.via,
            self.passed,
            self.rounds,
            if self.unknown > 0 {
                format!(", {} unknown", self.unknown)
            } else {
                String::new()
            }
        )?;
        let v: Vec<String> = self
            .verdicts
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        if !v.is_empty() {
            writeln!(w, "  {}", v.join(", "))?;
        }
        if !self.stages.is_empty() {
            writeln!(
                w,
                "  {:<10} {:>6} {:>9} {:>9} {:>9}",
                "stage", "rounds", "p50 ms", "p95 ms", "max ms"
            )?;
            for st in super::Stage::ALL {
                if let Some(s) = self.stages.get(st.name()) {
                    writeln!(
                        w,
                        "  {:<10} {:>6} {:>9.1} {:>9.1} {:>9.1}",
                        st.name(),
                        s.count,
                        s.p50.unwrap_or_default(),
                        s.p95.unwrap_or_default(),
                        s.max.unwrap_or_default()
                    )?;
                }
            }
        }
        match (&self.clock.offset, &self.clock.unknown) {
            (Some(o), _) => writeln!(
                w,
                "  phone clock {:+.1} ms ± {:.1} ms from the host ({} lines; {})",
                o.offset_ms, o.uncertainty_ms, o.lines, self.clock.method
            )?,
            (None, Some(why)) => writeln!(w, "  phone clock offset unknown: {}", terminal(why))?,
            _ => {}
        }
        if self.interrupted {
            writeln!(w, "  {}", style.warn("interrupted"))?;
        }
        Ok(())
    }
}
