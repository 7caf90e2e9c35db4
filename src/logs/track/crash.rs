//! Crash and jetsam reports attached to the deaths the log shows, and the deaths themselves
//! (what `watch` looks up a crash report for).

use super::attribute::last_component_matches;
use super::process::signal_number;
use super::state::{App, REPORT_WINDOW, SAME};
use super::summary::ExitInfo;
use super::verdict::Check;
use super::{Cx, Event, Tracker};
use crate::logs::decode::Scale;
use crate::logs::rules::{Family, Severity};
use std::collections::BTreeMap;

/// A death of a tracked app (an exit with a signal or a non-zero status, a kill): what `watch`
/// looks for a crash report of.
#[derive(Debug, Clone, PartialEq)]
pub struct Death {
    /// The app.
    pub app: String,
    /// The pid that died, when known.
    pub pid: Option<u32>,
    /// Process names seen for the app (crash reports are named after the process).
    pub processes: Vec<String>,
    /// When (Unix seconds on the phone's clock), when the log's stamps say it.
    pub unix: Option<f64>,
    /// The timestamp text of the line.
    pub time: String,
    /// The line (sequence number) of the death.
    pub line: u64,
    /// What killed it: `exit`, `signal`, `callkit-kill`, `watchdog`, `jetsam`.
    pub kind: &'static str,
    t: Option<f64>,
}

impl Death {
    /// The process names a crash report of this death may bear: those seen in the log, and the
    /// last component of the bundle ID (`com.example.call` → `call`).
    pub fn names(&self) -> Vec<String> {
        let mut names = self.processes.clone();
        if let Some(last) = self.app.rsplit('.').next()
            && !last.is_empty()
            && !names.iter().any(|p| p.eq_ignore_ascii_case(last))
        {
            names.push(last.to_string());
        }
        names
    }
}

/// A watchdog or jetsam kill of the app.
pub(super) fn on_system_kill(app: &mut App, cx: &mut Cx<'_, '_>) {
    let (check, kind) = if cx.hit.rule.family == Family::Watchdog {
        (Check::Watchdog, "watchdog")
    } else {
        (Check::Jetsam, "jetsam")
    };
    cx.ev.check = Some(check);
    app.last_system_kill = Some(cx.now);
    super::wake::end_wake_by_death(app, cx);
    note_death(app, cx, kind);
}

/// Note a death (one per [`SAME`] window; a later line of the same death fills in the pid).
pub(super) fn note_death(app: &mut App, cx: &mut Cx<'_, '_>, kind: &'static str) {
    let now = cx.now;
    if app.last_death.is_some_and(|d| now - d < SAME) {
        return;
    }
    app.last_death = Some(now);
    cx.deaths.push(Death {
        app: cx.name.to_string(),
        pid: cx.dead_pid,
        processes: cx.processes.to_vec(),
        unix: cx.unix,
        time: cx.ev.time.clone(),
        line: cx.ev.line,
        kind,
        t: Some(now),
    });
}

impl Tracker {
    pub fn take_deaths(&mut self) -> Vec<Death> {
        std::mem::take(&mut self.deaths)
    }

    /// The crash report of `death`: attached to that exit (the app summary's `exits[].crash`)
    /// and returned as a timeline event at the death's line.
    pub fn crash_report(&mut self, death: &Death, report: crate::crash::CrashReport) -> Event {
        let offset = self.clock.offset(death.t);
        let pushkit_only;
        {
            let app = self.apps.entry(death.app.clone()).or_default();
            pushkit_only = app.pushkit && !app.legacy;
            *app.events
                .entry(Family::CrashReport.name().to_string())
                .or_default() += 1;
            let near = |x: &ExitInfo| match (x.t, death.t) {
                (Some(a), Some(b)) => (a - b).abs() < SAME,
                _ => false,
            };
            match app.exits.iter().rposition(near) {
                Some(i) => app.exits[i].crash = Some(report.clone()),
                None => app.exits.push(ExitInfo {
                    time: death.time.clone(),
                    pid: death.pid,
                    status: None,
                    signal: report.signal.as_deref().and_then(signal_number),
                    reason: Some(format!("killed ({})", death.kind)),
                    relaunch_expected: pushkit_only.then_some(false),
                    relaunched_after_s: None,
                    relaunched_into: None,
                    crash: Some(report.clone()),
                    t: death.t,
                    line: death.line,
                    message: format!("killed ({})", death.kind),
                }),
            }
        }
        let mut fields = BTreeMap::new();
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                fields.insert(k.to_string(), v.clone());
            }
        };
        put("file", &report.file);
        put("bug_type", &report.bug_type);
        put("exception_type", &report.exception_type);
        put("signal", &report.signal);
        put("termination_namespace", &report.termination_namespace);
        put("termination_code", &report.termination_code);
        put("termination_reason", &report.termination_reason);
        put("exception_reason", &report.exception_reason);
        let severity = if report.signal.is_some() || report.termination_code.is_some() {
            Severity::Error
        } else {
            Severity::Warning
        };
        Event {
            time: death.time.clone(),
            offset_s: offset,
            line: death.line,
            rule: "voipctl.crash-report".into(),
            family: Family::CrashReport,
            severity,
            app: Some(death.app.clone()),
            process: "voipctl".into(),
            pid: report.pid.or(death.pid),
            summary: format!(
                "crash report {}: {}",
                report.file.as_deref().unwrap_or("(unnamed)"),
                report.headline()
            ),
            fields,
            duration_s: None,
            latency_s: None,
            check: None,
            note: report.code_meaning.clone(),
            message: String::new(),
        }
    }

    /// A crash report given with the log (`analyze --crash-report`): attached to the app's
    /// exit it belongs to — same pid, else the nearest exit in time (when the log has full
    /// dates), else the last exit with a signal — and returned as a timeline event. `None` when
    /// the report is of no app in the log.
    pub fn attach_crash(&mut self, report: crate::crash::CrashReport) -> Option<Event> {
        let process = report.process.clone().unwrap_or_default();
        let app = report
            .bundle_id
            .clone()
            .filter(|b| self.apps.contains_key(b))
            .or_else(|| self.process_app.get(&process).cloned())
            .or_else(|| {
                self.apps
                    .keys()
                    .find(|b| !process.is_empty() && last_component_matches(b, &process))
                    .cloned()
            })
            .or_else(|| {
                report
                    .bundle_id
                    .clone()
                    .filter(|b| self.cfg.bundles.iter().any(|x| x == b))
            })?;
        if !self.wanted(&app) {
            return None;
        }
        let unix_log = self.clock.scale == Some(Scale::Unix);
        let when = report.unix_time();
        let processes = if process.is_empty() {
            Vec::new()
        } else {
            vec![process]
        };
        let exits = self
            .apps
            .get(&app)
            .map(|a| a.exits.as_slice())
            .unwrap_or(&[]);
        let by_pid = report
            .pid
            .and_then(|pid| exits.iter().rposition(|x| x.pid == Some(pid)));
        let by_time = || {
            let w = when.filter(|_| unix_log)?;
            exits
                .iter()
                .enumerate()
                .filter_map(|(i, x)| Some((i, (x.t? - w).abs())))
                .filter(|(_, d)| *d < REPORT_WINDOW)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(i, _)| i)
        };
        let by_signal = || exits.iter().rposition(|x| x.signal.is_some());
        let death = match by_pid.or_else(by_time).or_else(by_signal) {
            Some(i) => {
                let x = &exits[i];
                Death {
                    app: app.clone(),
                    pid: x.pid.or(report.pid),
                    processes,
                    unix: x.t.filter(|_| unix_log),
                    time: x.time.clone(),
                    line: x.line,
                    kind: if x.signal.is_some() { "signal" } else { "exit" },
                    t: x.t,
                }
            }
            None => Death {
                app: app.clone(),
                pid: report.pid,
                processes,
                unix: when,
                time: report.time.clone().unwrap_or_default(),
                line: 0,
                kind: "crash",
                t: when.filter(|_| unix_log),
            },
        };
        Some(self.crash_report(&death, report))
    }

    /// A JetsamEvent report given with the log (`analyze --crash-report`): it lists many
    /// processes, so each death in the log is looked up in it the way `watch` looks up a death in
    /// the reports it pulls from the phone ([`crate::crash::JetsamEvent::find`], by pid, else by
    /// name, with the same names) — the deaths the tracker noted (jetsam kills, signals, kills)
    /// and the other exits with a pid (by that pid only). When both times are known the report
    /// must be within `REPORT_WINDOW` of the death; each listed process explains one death at
    /// most (its pid first, then a jetsam kill, then the nearest in time, then the latest). Each
    /// match is attached like a fetched report ([`Tracker::crash_report`]) and returned as a
    /// timeline event; `Err` says what was looked for when nothing matched.
    pub fn attach_jetsam(
        &mut self,
        event: &crate::crash::JetsamEvent,
    ) -> Result<Vec<Event>, String> {
        let unix_log = self.clock.scale == Some(Scale::Unix);
        let when = event.unix_time().filter(|_| unix_log);
        let near = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < SAME,
            _ => false,
        };
        let mut candidates: Vec<Death> = self
            .deaths
            .iter()
            .filter(|d| self.wanted(&d.app))
            .cloned()
            .collect();
        for (name, app) in &self.apps {
            if !self.wanted(name) {
                continue;
            }
            for x in app.exits.iter().filter(|x| x.pid.is_some()) {
                let covered = candidates
                    .iter()
                    .any(|d| &d.app == name && (d.line == x.line || near(d.t, x.t)));
                if !covered {
                    candidates.push(Death {
                        app: name.clone(),
                        pid: x.pid,
                        processes: self
                            .process_app
                            .iter()
                            .filter(|(_, b)| *b == name)
                            .map(|(p, _)| p.clone())
                            .collect(),
                        unix: x.t.filter(|_| unix_log),
                        time: x.time.clone(),
                        line: x.line,
                        kind: if x.signal.is_some() { "signal" } else { "exit" },
                        t: x.t,
                    });
                }
            }
        }
        // (candidate, report, distance in time)
        let mut hits: Vec<(usize, crate::crash::CrashReport, Option<f64>)> = Vec::new();
        let mut too_far = Vec::new();
        for (i, d) in candidates.iter().enumerate() {
            let Some(r) = event.find(&d.names(), d.pid) else {
                continue;
            };
            let dt = d.unix.zip(when).map(|(a, b)| (a - b).abs());
            if let Some(dt) = dt.filter(|dt| *dt > REPORT_WINDOW) {
                too_far.push(format!(
                    "{} is listed, but {dt:.0} s away from the {} at {}",
                    entry_text(r.process.as_deref(), r.pid),
                    d.kind,
                    d.time
                ));
                continue;
            }
            hits.push((i, r, dt));
        }
        // One death per listed process: the best first, the others dropped.
        let rank = |h: &(usize, crate::crash::CrashReport, Option<f64>)| {
            let d = &candidates[h.0];
            (
                d.pid.is_none(),
                d.kind != "jetsam",
                h.2.map_or(f64::INFINITY, |dt| dt),
                std::cmp::Reverse(d.line),
            )
        };
        hits.sort_by(|a, b| {
            rank(a)
                .partial_cmp(&rank(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut taken: Vec<(Option<u32>, Option<String>)> = Vec::new();
        let mut chosen = Vec::new();
        for (i, r, _) in hits {
            let key = (r.pid, r.process.clone());
            if !taken.contains(&key) {
                taken.push(key);
                chosen.push((i, r));
            }
        }
        if chosen.is_empty() {
            return Err(jetsam_miss(event, &candidates, &too_far));
        }
        chosen.sort_by_key(|(i, _)| candidates[*i].line);
        Ok(chosen
            .into_iter()
            .map(|(i, r)| self.crash_report(&candidates[i], r))
            .collect())
    }
}

/// `LegacyPhone[561]`.
fn entry_text(name: Option<&str>, pid: Option<u32>) -> String {
    let name = name.filter(|n| !n.is_empty()).unwrap_or("(unnamed)");
    match pid {
        Some(p) => format!("{name}[{p}]"),
        None => name.to_string(),
    }
}

/// What a JetsamEvent that explains no death was checked against, for the warning.
fn jetsam_miss(event: &crate::crash::JetsamEvent, deaths: &[Death], too_far: &[String]) -> String {
    /// The first few, then how many more.
    fn few<T>(items: &[T], sep: &str, f: impl Fn(&T) -> String) -> String {
        const SHOWN: usize = 4;
        let mut l: Vec<String> = items.iter().take(SHOWN).map(f).collect();
        if items.len() > SHOWN {
            l.push(format!("{} more", items.len() - SHOWN));
        }
        l.join(sep)
    }
    let killed = event.killed();
    let listed = if killed.is_empty() {
        "it lists no process as killed (none has a jetsam reason)".to_string()
    } else {
        let l = few(&killed, ", ", |k| {
            format!("{} ({})", entry_text(Some(&k.name), k.pid), k.reason)
        });
        format!("it lists as killed {l}")
    };
    let looked = if deaths.is_empty() {
        "the log has no exit or kill of a tracked app to attach it to (check -b and the log's time range)".to_string()
    } else {
        let l = few(deaths, "; ", |d| {
            let names = d.names().join("/");
            let who = match d.pid {
                Some(p) if names.is_empty() => format!("pid {p}"),
                Some(p) => format!("pid {p} ({names})"),
                None if names.is_empty() => "an unnamed process".to_string(),
                None => names,
            };
            format!("{who}, the {} of {} at {}", d.kind, d.app, d.time)
        });
        format!("looked for {l}")
    };
    let mut s = format!("{looked}; {listed}");
    for t in too_far.iter().take(4) {
        s.push_str("; ");
        s.push_str(t);
    }
    s
}
