//! Which app a recognised line is about: the bundle ID in the line, a push topic, a pid or a
//! process name seen before, `-b`/`--process`, or the push callservicesd is handling.

use super::Tracker;
use super::state::parse_num;
use crate::logs::decode::Entry;
use crate::logs::rules::{Family, Hit};

pub(super) const SYSTEM_PROCESSES: &[&str] = &[
    "SpringBoard",
    "runningboardd",
    "callservicesd",
    "apsd",
    "assertiond",
    "backboardd",
    "kernel",
    "launchd",
    "FrontBoard",
    "ReportCrash",
    "osanalyticshelper",
    "symptomsd",
    "mediaserverd",
    "dasd",
    "voipctl",
    "identityservicesd",
    "CommCenter",
];

/// Looks like a bundle ID (not `<private>`, has a dot).
fn is_bundle(s: &str) -> bool {
    s.contains('.') && !s.starts_with('<') && !s.starts_with('.') && s.len() < 256
}

pub(super) fn topic_bundle(topic: &str) -> &str {
    topic
        .strip_suffix(".voip-ptt")
        .or_else(|| topic.strip_suffix(".voip"))
        .unwrap_or(topic)
}

pub(super) fn last_component_matches(bundle: &str, process: &str) -> bool {
    let last = bundle.rsplit('.').next().unwrap_or(bundle);
    let norm = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect::<String>()
    };
    !last.is_empty() && norm(last) == norm(process)
}

/// How long after a push a system line that names no app is taken to be about that push's app
/// (seconds): the report window iOS enforces is far shorter.
const PUSH_CONTEXT: f64 = 30.0;

impl Tracker {
    pub(super) fn wanted(&self, app: &str) -> bool {
        self.cfg.bundles.is_empty() || self.cfg.bundles.iter().any(|b| b == app)
    }

    /// Which app a recognised line is about.
    pub(super) fn attribute(&mut self, e: &Entry<'_>, hit: &Hit<'_>) -> Option<String> {
        let pid_field = parse_num(hit.field("pid")).and_then(|p| u32::try_from(p).ok());
        let bundle = hit
            .field("bundle")
            .filter(|b| is_bundle(b))
            .map(str::to_string)
            .or_else(|| {
                hit.field("topic")
                    .filter(|t| t.ends_with(".voip") || t.ends_with(".voip-ptt"))
                    .map(|t| topic_bundle(t).to_string())
            });
        if let Some(b) = bundle {
            if let Some(pid) = pid_field {
                self.pid_app.insert(pid, b.clone());
            }
            return Some(b);
        }
        if let Some(pid) = pid_field
            && let Some(b) = self.pid_app.get(&pid)
        {
            return Some(b.clone());
        }
        if let Some(p) = hit.field("process")
            && let Some(b) = self.process_app.get(p)
        {
            return Some(b.clone());
        }
        let process = e.process.as_ref();
        let system = process.is_empty() || SYSTEM_PROCESSES.contains(&process);
        if !system {
            if let Some(pid) = e.pid
                && let Some(b) = self.pid_app.get(&pid).cloned()
            {
                self.process_app.insert(process.to_string(), b.clone());
                return Some(b);
            }
            if let Some(b) = self.process_app.get(process) {
                return Some(b.clone());
            }
            let known = self
                .apps
                .keys()
                .chain(self.cfg.bundles.iter())
                .find(|b| last_component_matches(b, process))
                .cloned()
                .or_else(|| (self.cfg.bundles.len() == 1).then(|| self.cfg.bundles[0].clone()));
            if let Some(b) = known {
                self.process_app.insert(process.to_string(), b.clone());
                if let Some(pid) = e.pid {
                    self.pid_app.insert(pid, b.clone());
                }
                return Some(b);
            }
            return Some(process.to_string());
        }
        // A system line about an app it does not name (`<private>`, or no name at all): the
        // only app watched with -b, else the push being handled when the line is one of the
        // push's own (callservicesd's delivery, the report, the kill, the ban).
        let push_line = matches!(
            hit.rule.family,
            Family::LaunchRequest
                | Family::Assertion
                | Family::PushCallservicesd
                | Family::CallkitReport
                | Family::CallkitReportFailed
                | Family::CallkitKill
                | Family::Ban
        );
        if !push_line {
            return None;
        }
        if self.cfg.bundles.len() == 1 {
            return Some(self.cfg.bundles[0].clone());
        }
        let now = self.clock.last;
        match &self.last_push {
            // callservicesd lines continue the latest push.
            Some((app, _)) if process == "callservicesd" => Some(app.clone()),
            // Other lines only while that push waits for its report.
            Some((app, Some(t))) if now.is_some_and(|n| n - t <= PUSH_CONTEXT) => Some(app.clone()),
            _ => None,
        }
    }
}
