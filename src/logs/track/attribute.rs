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
    "InCallService",
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
pub(super) const PUSH_CONTEXT: f64 = 30.0;

impl Tracker {
    /// `name` (a process name, or the app a pid was given to) is the app `bundle`: lines of that
    /// process go to the bundle from now on, and what was tracked under the name joins it.
    fn link(&mut self, name: &str, bundle: &str) {
        if name == bundle || is_bundle(name) {
            return;
        }
        self.process_app
            .insert(name.to_string(), bundle.to_string());
        let Some(old) = self.apps.remove(name) else {
            return;
        };
        for b in self
            .pid_app
            .values_mut()
            .chain(self.process_app.values_mut())
        {
            if b == name {
                *b = bundle.to_string();
            }
        }
        if let Some((app, _)) = &mut self.last_push
            && app == name
        {
            *app = bundle.to_string();
        }
        for d in self.deaths.iter_mut().filter(|d| d.app == name) {
            d.app = bundle.to_string();
        }
        self.apps.entry(bundle.to_string()).or_default().absorb(old);
    }

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
            // The line ties a pid or a process name to the bundle ID: what was tracked under
            // that process name until now is the same app.
            if let Some(pid) = pid_field
                && let Some(before) = self.pid_app.insert(pid, b.clone())
            {
                self.link(&before, &b);
            }
            if let Some(p) = hit
                .field("process")
                .filter(|p| !p.is_empty() && !SYSTEM_PROCESSES.contains(p))
            {
                self.link(p, &b);
            }
            return Some(b);
        }
        if let Some(pid) = pid_field
            && let Some(b) = self.pid_app.get(&pid)
        {
            return Some(b.clone());
        }
        if let Some(p) = hit.field("process") {
            if let Some(b) = self.process_app.get(p) {
                return Some(b.clone());
            }
            // A system line about an app process by name ("[CourtBuddy:3072] suspend success"):
            // the app whose bundle ID ends in that name.
            if let Some(b) = self
                .apps
                .keys()
                .chain(self.cfg.bundles.iter())
                .find(|b| is_bundle(b) && last_component_matches(b, p))
                .cloned()
            {
                self.process_app.insert(p.to_string(), b.clone());
                return Some(b);
            }
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
