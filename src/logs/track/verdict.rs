//! The checks a log is judged by, and the tracker's own conclusions (`voipctl.<check>` events).

use super::Event;
use crate::logs::rules::{Family, Severity};
use serde::Serialize;
use std::collections::BTreeMap;

/// A threshold that `--fail-on` can turn into a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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
