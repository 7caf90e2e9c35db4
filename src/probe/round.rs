//! One round: a trigger and the phone's timeline after it, joined by the round's time window
//! (rounds never overlap: the next trigger is sent after this one concluded) and by the app's
//! bundle ID and process where the lines name them. Pure: lines in, verdict out.

use super::stage::{End, Mark, Stage};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;

/// A recognised line of the phone, with when it was stamped and received.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct Seen {
    /// The rule that recognised it.
    pub rule: String,
    /// The process that wrote it.
    pub process: String,
    /// The message.
    pub line: String,
    /// The phone's stamp (Unix seconds), when the line has a full one.
    #[serde(skip)]
    pub stamp: Option<f64>,
    /// The stamp's resolution, seconds.
    #[serde(skip)]
    pub res: f64,
    /// Host time it was received (Unix seconds).
    #[serde(skip)]
    pub received: f64,
}

/// The host side of a trigger.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct Answer {
    /// HTTP status (push).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `apns-id` of the answer (push).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apns_id: Option<String>,
    /// APNs reason (push).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the reason means.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// What usually fixes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Why there is no answer (network, no app connected…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How a round ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "ProbeVerdict")]
pub enum Verdict {
    /// The call was reported to CallKit within the deadline.
    Reported,
    /// Reported, after the deadline.
    Late,
    /// iOS killed the app.
    Killed,
    /// callservicesd refused to launch the app.
    Banned,
    /// The phone dropped the push.
    Dropped,
    /// Accepted, and nothing reached the phone's log within the round timeout.
    Lost,
    /// Delivered, then nothing until the round timeout: the app did not run.
    Stalled,
    /// The app ran, and neither a CallKit report nor a kill showed within the round timeout:
    /// iOS kills an app that does not report, so the report most likely happened without a line
    /// this log shows (no marker). Neither passed nor failed.
    Unknown,
    /// APNs refused the push.
    Rejected,
    /// The trigger could not be sent or got no answer.
    NotSent,
}

impl Verdict {
    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Reported => "reported",
            Verdict::Late => "late",
            Verdict::Killed => "killed",
            Verdict::Banned => "banned",
            Verdict::Dropped => "dropped",
            Verdict::Lost => "lost",
            Verdict::Stalled => "stalled",
            Verdict::Unknown => "unknown",
            Verdict::Rejected => "rejected",
            Verdict::NotSent => "not-sent",
        }
    }

    /// A passed round.
    pub fn ok(self) -> bool {
        self == Verdict::Reported
    }
}

/// A round in progress, or done.
#[derive(Debug, Clone)]
pub(crate) struct Round {
    /// 1-based.
    pub n: u32,
    /// Host time the trigger was sent (Unix seconds).
    pub sent: f64,
    /// Host time of the answer (APNs 200 / socket write done).
    pub accepted: Option<f64>,
    /// The answer.
    pub answer: Answer,
    /// The trigger was refused or unanswered: the round is over at once.
    pub failed_to_send: bool,
    /// The first line of each stage.
    pub stages: BTreeMap<Stage, Seen>,
    /// App state when it ran (`launched (background)`, `resumed`).
    pub state: Option<String>,
    /// The phone said the app was not running (cold launch).
    pub cold: bool,
    /// How it ended without a report.
    pub end: Option<(End, &'static str, Seen)>,
    /// Other lines worth showing (exits, configuration errors, lines after the end).
    pub notes: Vec<Seen>,
    /// When it concluded (report or end), host monotonic clock.
    pub concluded: Option<Instant>,
}

impl Round {
    /// A round whose trigger is sent now (`sent`: host Unix seconds).
    pub(crate) fn new(n: u32, sent: f64) -> Round {
        Round {
            n,
            sent,
            accepted: None,
            answer: Answer::default(),
            failed_to_send: false,
            stages: BTreeMap::new(),
            state: None,
            cold: false,
            end: None,
            notes: Vec::new(),
            concluded: None,
        }
    }

    /// Done: reported, ended, or the trigger failed.
    pub(crate) fn is_concluded(&self) -> bool {
        self.concluded.is_some() || self.failed_to_send
    }

    /// Take one line's meaning. Returns true when it concluded the round.
    pub(crate) fn observe(&mut self, mark: Mark, seen: Seen) -> bool {
        if self.is_concluded() {
            if !matches!(mark, Mark::Stage(..)) && self.notes.len() < 32 {
                self.notes.push(seen);
            }
            return false;
        }
        match mark {
            Mark::Stage(stage, state, cold) => {
                self.cold |= cold;
                if stage == Stage::Running
                    && let Some(s) = state
                {
                    // A launch line refines an earlier "resumed" (RunningBoard logs the new
                    // process active before the app's own launch line).
                    if self.state.as_deref().is_none_or(|old| old == "resumed") {
                        self.state = Some(s);
                    }
                }
                self.stages.entry(stage).or_insert(seen);
                if stage == Stage::Reported {
                    self.concluded = Some(Instant::now());
                    return true;
                }
                false
            }
            Mark::End(end, why) => {
                self.end = Some((end, why, seen));
                self.concluded = Some(Instant::now());
                true
            }
            Mark::Note => {
                if self.notes.len() < 32 {
                    self.notes.push(seen);
                }
                false
            }
        }
    }

    /// The furthest stage reached.
    pub(crate) fn furthest(&self) -> Stage {
        let mut f = Stage::Sent;
        if self.accepted.is_some() {
            f = Stage::Accepted;
        }
        if let Some((s, _)) = self.stages.iter().next_back() {
            f = f.max(*s);
        }
        f
    }

    /// Milliseconds from sending to `stage`, with the phone's clock put on the host's by
    /// `offset_ms` (phone minus host).
    pub(crate) fn ms_to(&self, stage: Stage, offset_ms: Option<f64>) -> Option<f64> {
        match stage {
            Stage::Sent => Some(0.0),
            Stage::Accepted => self.accepted.map(|a| (a - self.sent) * 1000.0),
            _ => {
                let s = self.stages.get(&stage)?;
                let stamp = s.stamp?;
                Some((stamp - self.sent) * 1000.0 - offset_ms?)
            }
        }
    }

    /// The verdict, given the deadline for the report and the clock offset.
    pub(crate) fn verdict(&self, deadline_ms: f64, offset_ms: Option<f64>) -> Verdict {
        if self.failed_to_send {
            return if self.answer.status.is_some() {
                Verdict::Rejected
            } else {
                Verdict::NotSent
            };
        }
        if let Some((end, ..)) = &self.end {
            return match end {
                End::Killed => Verdict::Killed,
                End::Banned => Verdict::Banned,
                End::Dropped => Verdict::Dropped,
            };
        }
        if self.stages.contains_key(&Stage::Reported) {
            // With no clock estimate, the host's receive time bounds the report from above.
            let ms = self.ms_to(Stage::Reported, offset_ms).or_else(|| {
                self.stages
                    .get(&Stage::Reported)
                    .map(|s| (s.received - self.sent) * 1000.0)
            });
            return if ms.is_some_and(|m| m > deadline_ms) {
                Verdict::Late
            } else {
                Verdict::Reported
            };
        }
        if self.stages.is_empty() {
            Verdict::Lost
        } else if self.furthest() >= Stage::Running {
            Verdict::Unknown
        } else {
            Verdict::Stalled
        }
    }
}
