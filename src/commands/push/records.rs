//! What `voipctl push` reports: one `push` record per device token (exactly one, whatever
//! happened) and one `summary`.

use crate::context::Outcome;
use crate::report::{Body, Case, CaseOutcome, Output, Record, Style, SummaryRecord};
use crate::sanitize::terminal;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The final result for one device token.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PushRecord {
    /// Device token (lowercase hex).
    pub token: String,
    /// APNs accepted the push (HTTP 200).
    pub ok: bool,
    /// HTTP status of the last answer (absent when none came).
    pub status: Option<u16>,
    /// `apns-id` of the answer.
    pub apns_id: Option<String>,
    /// `apns-unique-id` (sandbox only): look it up in the Push Notifications Console.
    pub apns_unique_id: Option<String>,
    /// APNs reason string, as sent.
    pub reason: Option<String>,
    /// `timestamp` from the error body (ms since the epoch; with Unregistered).
    pub timestamp: Option<u64>,
    /// What the reason means.
    pub explanation: Option<String>,
    /// The likely fix.
    pub fix: Option<String>,
    /// Why there is no answer (connection failure, timeout, not sent).
    pub error: Option<String>,
    /// Reason carried by a GOAWAY frame seen while sending this push.
    pub goaway: Option<String>,
    /// Requests made for this token (1 = no retry; 0 = never sent).
    pub attempts: u32,
    /// Why earlier attempts were retried, in order.
    pub retried: Vec<String>,
    /// Time from the first attempt to the final result, in milliseconds.
    pub latency_ms: f64,
}

impl From<crate::push::send::Delivery> for PushRecord {
    fn from(d: crate::push::send::Delivery) -> Self {
        let crate::push::send::Delivery {
            token,
            ok,
            status,
            apns_id,
            apns_unique_id,
            reason,
            timestamp,
            explanation,
            fix,
            error,
            goaway,
            attempts,
            retried,
            latency_ms,
        } = d;
        PushRecord {
            token,
            ok,
            status,
            apns_id,
            apns_unique_id,
            reason,
            timestamp,
            explanation,
            fix,
            error,
            goaway,
            attempts,
            retried,
            latency_ms,
        }
    }
}

impl PushRecord {
    fn short_token(&self) -> String {
        if self.token.len() > 16 {
            format!(
                "{}…{}",
                &self.token[..8],
                &self.token[self.token.len() - 8..]
            )
        } else {
            self.token.clone()
        }
    }

    fn headline(&self) -> String {
        match (self.status, &self.reason, &self.error) {
            (Some(s), Some(r), _) => format!("{s} {r}"),
            (Some(s), None, _) => format!("{s}"),
            (None, _, Some(e)) => e.clone(),
            (None, _, None) => "failed".into(),
        }
    }
}

impl Record for PushRecord {
    fn output(&self) -> Output<'_> {
        Output::Push(self)
    }

    fn detail(&self) -> bool {
        // `-q` keeps the failures.
        self.ok
    }

    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        if self.ok {
            let id = self
                .apns_unique_id
                .as_deref()
                .or(self.apns_id.as_deref())
                .map(|i| format!(" {}", style.dim(&terminal(i))))
                .unwrap_or_default();
            let retried = if self.attempts > 1 {
                style.dim(&format!(" (after {} attempts)", self.attempts))
            } else {
                String::new()
            };
            return writeln!(
                w,
                "{} {} {}{id}{retried}",
                style.ok("sent"),
                self.short_token(),
                self.status.unwrap_or(200)
            );
        }
        writeln!(
            w,
            "{} {} {}",
            style.error("FAIL"),
            self.short_token(),
            style.bold(&terminal(&self.headline()))
        )?;
        if let Some(g) = &self.goaway {
            writeln!(w, "     GOAWAY from the server: {}", terminal(g))?;
        }
        if let Some(e) = &self.explanation {
            writeln!(w, "     {}", terminal(e))?;
        }
        if let Some(f) = &self.fix {
            writeln!(w, "     {} {}", style.info("fix:"), terminal(f))?;
        }
        if !self.retried.is_empty() && style.verbose > 0 {
            writeln!(
                w,
                "     {}",
                style.dim(&format!(
                    "retried after: {}",
                    terminal(&self.retried.join(", "))
                ))
            )?;
        }
        Ok(())
    }

    fn junit(&self) -> Option<Case> {
        let outcome = if self.ok {
            CaseOutcome::Pass
        } else {
            let mut text = String::new();
            for part in [&self.explanation, &self.fix, &self.error, &self.goaway]
                .into_iter()
                .flatten()
            {
                text.push_str(part);
                text.push('\n');
            }
            CaseOutcome::Fail {
                message: self.headline(),
                text,
            }
        };
        Some(Case {
            class: "voipctl.push".into(),
            name: self.token.clone(),
            time: Some(self.latency_ms / 1000.0),
            outcome,
        })
    }
}

/// The one summary of a push run.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PushSummary {
    /// `production`, `sandbox` or `custom`.
    pub environment: String,
    /// Endpoint URL.
    pub endpoint: String,
    /// `token` or `certificate`.
    pub auth: &'static str,
    /// `apns-topic` sent (absent when the certificate decides).
    pub topic: Option<String>,
    /// `apns-push-type`.
    pub push_type: String,
    /// Device tokens.
    pub total: usize,
    /// Accepted by APNs.
    pub succeeded: usize,
    /// Rejected, failed or not sent.
    pub failed: usize,
    /// Never sent (run stopped by a reason every push would hit, or interrupted).
    pub not_sent: usize,
    /// Tokens that needed more than one attempt.
    pub retried: usize,
    /// Failures by reason (or by `network` / `not_sent`).
    pub reasons: BTreeMap<String, usize>,
    /// GOAWAY reasons seen, with counts.
    pub goaway: BTreeMap<String, usize>,
    /// Connections opened to APNs (1 when the first lasted the whole run; more after a GOAWAY,
    /// a reset or an idle close, even one no push was in flight to see).
    pub connections: usize,
    /// Wall time of the sending, in milliseconds.
    pub elapsed_ms: f64,
    /// Pushes answered per second.
    pub pushes_per_second: f64,
    /// Ctrl-C stopped the run (the summary's `outcome`).
    #[serde(skip)]
    pub interrupted: bool,
}

impl SummaryRecord for PushSummary {
    fn body(&self) -> Body<'_> {
        Body::Push(self)
    }

    fn outcome(&self) -> Outcome {
        if self.interrupted {
            Outcome::Interrupted
        } else {
            Outcome::from_failed(self.failed > 0)
        }
    }

    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        let verdict = if self.failed == 0 {
            style.ok("ok")
        } else {
            style.error("FAILED")
        };
        writeln!(
            w,
            "{verdict}: {} of {} pushes accepted ({} {}, {} via {}) in {:.2} s, {:.0}/s",
            self.succeeded,
            self.total,
            self.push_type,
            terminal(self.topic.as_deref().unwrap_or("(certificate topic)")),
            self.environment,
            terminal(&self.endpoint),
            self.elapsed_ms / 1000.0,
            self.pushes_per_second
        )?;
        if !self.reasons.is_empty() {
            let parts: Vec<String> = self
                .reasons
                .iter()
                .map(|(r, n)| format!("{} ×{n}", terminal(r)))
                .collect();
            writeln!(w, "  failures: {}", parts.join(", "))?;
        }
        if !self.goaway.is_empty() {
            let parts: Vec<String> = self
                .goaway
                .iter()
                .map(|(r, n)| format!("{} ×{n}", terminal(r)))
                .collect();
            writeln!(w, "  GOAWAY from the server: {}", parts.join(", "))?;
        }
        if self.retried > 0 {
            writeln!(w, "  {} pushes needed a retry", self.retried)?;
        }
        if self.connections > 1 {
            writeln!(
                w,
                "  APNs closed the connection {} times; voipctl reconnected",
                self.connections - 1
            )?;
        }
        if self.interrupted {
            writeln!(w, "  interrupted: {} pushes were not sent", self.not_sent)?;
        }
        Ok(())
    }
}
