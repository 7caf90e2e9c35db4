//! Tracker unit tests: relaunch expectations, wakes ending in kills, JetsamEvent attachment.

#![allow(clippy::unwrap_used)]

use crate::logs::records::SummaryMeta;
use crate::logs::{CommonOptions, Pipeline};

fn run(lines: &[&str]) -> crate::logs::records::Summary {
    let mut p = Pipeline::new(&CommonOptions::default()).unwrap();
    for (i, l) in lines.iter().enumerate() {
        let _ = p.line(l, i as u64 + 1);
    }
    p.finish(SummaryMeta::default(), &[]).1
}

const PUSH: &str = "Nov 25 10:00:30 iPhone apsd[98] <Notice>: <APSCourier: 0x1>: Received message for enabled topic 'com.example.call.voip' onInterface: NonCellular with payload '{}' with priority 10 for device token: NO";

#[test]
fn a_pushkit_app_is_not_expected_to_relaunch() {
    // The exit comes before the app's first push: once the push (within the relaunch
    // window) shows it is a PushKit app, the expectation is withdrawn and no-relaunch is
    // not raised.
    let s = run(&[
        "Nov 25 10:00:00 iPhone SpringBoard(FrontBoard)[57] <Notice>: Bootstrapping com.example.call with intent background",
        "Nov 25 10:00:05 iPhone runningboardd[33] <Notice>: [app<com.example.call>:601] termination reported by launchd (2, 9, 9)",
        PUSH,
        "Nov 25 10:05:00 iPhone SpringBoard[57] <Notice>: Screen did turn off",
    ]);
    let app = &s.apps[0];
    assert_eq!(app.exits[0].signal, Some(9));
    assert_eq!(app.exits[0].pid, Some(601));
    assert_eq!(app.exits[0].relaunch_expected, Some(false));
    assert!(!app.checks.contains_key("no-relaunch"), "{:?}", app.checks);
    // After a push, the exit itself says so.
    let s = run(&[
        PUSH,
        "Nov 25 10:00:31 iPhone runningboardd[33] <Notice>: [app<com.example.call>:601] termination reported by launchd (2, 9, 9)",
        "Nov 25 10:05:00 iPhone SpringBoard[57] <Notice>: Screen did turn off",
    ]);
    assert_eq!(s.apps[0].exits[0].relaunch_expected, Some(false));
    assert!(!s.apps[0].checks.contains_key("no-relaunch"));
}

#[test]
fn a_legacy_app_is_and_an_over_budget_wake_ending_in_a_kill_is_flagged() {
    let s = run(&[
        "Nov 25 10:00:00 iPhone runningboardd[33] <Notice>: [app<com.example.legacy>:412] Unsuspending task.",
        "Nov 25 10:00:00 iPhone Legacy[412] <Notice>: VOIPCTL socket.wake",
        "Nov 25 10:00:12 iPhone runningboardd[33] <Notice>: [app<com.example.legacy>:412] termination reported by launchd (2, 9, 9)",
        "Nov 25 10:05:00 iPhone SpringBoard[57] <Notice>: Screen did turn off",
    ]);
    let app = &s.apps[0];
    assert_eq!(app.exits[0].relaunch_expected, Some(true));
    assert_eq!(app.checks.get("no-relaunch"), Some(&1));
    assert_eq!(app.wakes.over_budget, 1);
    assert_eq!(app.checks.get("wake-over-budget"), Some(&1));
    assert_eq!(app.wakes.duration_s.max, Some(12.0));
}

/// A JetsamEvent (header line + body) dated `date`, listing SpringBoard alive and the given
/// `(name, pid, reason)` entries (6400 pages of 16 KiB = 100 MiB each).
fn jetsam_event(date: &str, entries: &[(&str, u32, &str)]) -> crate::crash::JetsamEvent {
    let mut procs =
        vec![r#"{"name":"SpringBoard","pid":57,"rpages":1210,"states":["daemon"]}"#.to_string()];
    for (name, pid, reason) in entries {
        procs.push(format!(
            r#"{{"name":"{name}","pid":{pid},"rpages":6400,"states":["suspended"],"reason":"{reason}"}}"#
        ));
    }
    let text = format!(
        "{{\"bug_type\":\"298\",\"timestamp\":\"{date}\"}}\n{{\"date\":\"{date}\",\"pageSize\":16384,\"processes\":[{}]}}",
        procs.join(",")
    );
    crate::crash::JetsamEvent::parse(text.as_bytes(), Some("JetsamEvent-2025-11-25-102410.ips"))
        .unwrap()
}

fn run_jetsam(
    lines: &[&str],
    event: &crate::crash::JetsamEvent,
) -> (
    Result<Vec<crate::logs::track::Event>, String>,
    crate::logs::records::Summary,
) {
    let mut p = Pipeline::new(&CommonOptions::default()).unwrap();
    for (i, l) in lines.iter().enumerate() {
        let _ = p.line(l, i as u64 + 1);
    }
    let r = p.attach_jetsam(event);
    (r, p.finish(SummaryMeta::default(), &[]).1)
}

const BOOT: &str = "Nov 25 10:19:59 iPhone SpringBoard(FrontBoard)[57] <Notice>: Bootstrapping com.example.legacyphone with intent background";
const LAUNCH_561: &str =
    "Nov 25 10:20:00 iPhone LegacyPhone[561] <Notice>: VOIPCTL launch state=background";
const KILL_561: &str = "Nov 25 10:24:10 iPhone kernel[0] <Notice>: memorystatus: killing_specific_process pid 561 [LegacyPhone] (per-process-limit 0) 421888KB - memorystatus_available_pages: 7234";
const EXIT_561: &str = "Nov 25 10:24:10 iPhone runningboardd[33] <Notice>: [app<com.example.legacyphone>:561] termination reported by launchd (2, 9, 9)";

#[test]
fn a_jetsam_event_explains_the_jetsam_kill_of_the_app_and_nothing_else() {
    let ev = jetsam_event(
        "2025-11-25 10:24:10.42 +0000",
        &[
            ("OtherApp", 700, "highwater"),
            ("LegacyPhone", 561, "per-process-limit"),
        ],
    );
    let (r, s) = run_jetsam(&[BOOT, LAUNCH_561, KILL_561, EXIT_561], &ev);
    let evs = r.unwrap();
    assert_eq!(evs.len(), 1, "{evs:?}");
    assert_eq!(evs[0].rule, "voipctl.crash-report");
    assert_eq!(evs[0].line, 3, "at the kill line");
    assert_eq!(evs[0].pid, Some(561));
    assert!(
        evs[0]
            .summary
            .contains("jetsam: per-process-limit (100 MiB)"),
        "{}",
        evs[0].summary
    );
    assert_eq!(evs[0].fields["bug_type"], "298");
    let app = &s.apps[0];
    assert_eq!(app.app, "com.example.legacyphone");
    // Attached to the exit the kill made, not a new one.
    assert_eq!(app.exits.len(), 1, "{:?}", app.exits);
    let c = app.exits[0].crash.as_ref().unwrap();
    assert_eq!(c.pid, Some(561));
    assert_eq!(c.file.as_deref(), Some("JetsamEvent-2025-11-25-102410.ips"));
    assert!(
        c.termination_reason
            .as_deref()
            .unwrap()
            .starts_with("jetsam: per-process-limit (100 MiB), state suspended"),
        "{c:?}"
    );
    assert_eq!(app.events.get("crash-report"), Some(&1));
}

#[test]
fn a_jetsam_kill_without_an_exit_line_gets_an_exit_like_watch_makes() {
    let ev = jetsam_event(
        "2025-11-25 10:24:10.42 +0000",
        &[("LegacyPhone", 561, "vm-pageshortage")],
    );
    let (r, s) = run_jetsam(&[BOOT, LAUNCH_561, KILL_561], &ev);
    assert_eq!(r.unwrap().len(), 1);
    let x = &s.apps[0].exits[0];
    assert_eq!(x.reason.as_deref(), Some("killed (jetsam)"));
    assert_eq!(x.signal, Some(9));
    assert_eq!(x.pid, Some(561));
    assert!(
        x.crash
            .as_ref()
            .unwrap()
            .termination_reason
            .as_deref()
            .unwrap()
            .starts_with("jetsam: vm-pageshortage")
    );
}

#[test]
fn one_listed_process_explains_one_death_by_pid() {
    // Two deaths of the app (pids 412 then 561); the report lists 561 only.
    let ev = jetsam_event(
        "2025-11-25 10:24:10.42 +0000",
        &[("LegacyPhone", 561, "per-process-limit")],
    );
    let (r, s) = run_jetsam(
        &[
            BOOT,
            "Nov 25 10:00:00 iPhone LegacyPhone[412] <Notice>: VOIPCTL launch state=background",
            "Nov 25 10:01:00 iPhone runningboardd[33] <Notice>: [app<com.example.legacyphone>:412] termination reported by launchd (2, 9, 9)",
            LAUNCH_561,
            KILL_561,
            EXIT_561,
        ],
        &ev,
    );
    assert_eq!(r.unwrap().len(), 1);
    let exits = &s.apps[0].exits;
    assert_eq!(exits.len(), 2);
    assert!(exits[0].crash.is_none());
    assert_eq!(exits[1].crash.as_ref().unwrap().pid, Some(561));
}

#[test]
fn a_jetsam_event_that_explains_nothing_says_what_was_looked_for() {
    // The pid is listed, but under another name (reused): not the app's.
    let ev = jetsam_event(
        "2025-11-25 10:24:10.42 +0000",
        &[("OtherName", 561, "per-process-limit")],
    );
    let (r, s) = run_jetsam(&[BOOT, LAUNCH_561, KILL_561, EXIT_561], &ev);
    let why = r.unwrap_err();
    assert!(why.contains("looked for pid 561 (LegacyPhone)"), "{why}");
    assert!(
        why.contains("jetsam of com.example.legacyphone at Nov 25 10:24:10"),
        "{why}"
    );
    assert!(
        why.contains("it lists as killed OtherName[561] (per-process-limit)"),
        "{why}"
    );
    assert!(s.apps[0].exits.iter().all(|x| x.crash.is_none()));
    // A log without deaths.
    let (r, _) = run_jetsam(&[BOOT, LAUNCH_561], &ev);
    let why = r.unwrap_err();
    assert!(why.contains("no exit or kill of a tracked app"), "{why}");
    // A report listing nobody as killed.
    let (r, _) = run_jetsam(
        &[BOOT, LAUNCH_561, KILL_561],
        &jetsam_event("2025-11-25 10:24:10 +0000", &[]),
    );
    let why = r.unwrap_err();
    assert!(why.contains("lists no process as killed"), "{why}");
}

#[test]
fn with_full_dates_a_jetsam_event_far_from_the_death_is_not_it() {
    let lines = [
        "2025-11-25 10:19:59.000 Df SpringBoard[57:1a2b] [com.apple.FrontBoard:Common] Bootstrapping com.example.legacyphone with intent background",
        "2025-11-25 10:20:00.000 Df LegacyPhone[561:1a2b] [com.example:App] VOIPCTL launch state=background",
        "2025-11-25 10:24:10.000 Df runningboardd[33:1a2b] [com.apple.runningboard:process] [app<com.example.legacyphone>:561] termination reported by launchd (2, 9, 9)",
    ];
    let near = jetsam_event(
        "2025-11-25 10:24:11.00 +0000",
        &[("LegacyPhone", 561, "per-process-limit")],
    );
    let (r, _) = run_jetsam(&lines, &near);
    assert_eq!(r.unwrap().len(), 1);
    let far = jetsam_event(
        "2025-11-25 11:24:10.00 +0000",
        &[("LegacyPhone", 561, "per-process-limit")],
    );
    let (r, s) = run_jetsam(&lines, &far);
    let why = r.unwrap_err();
    assert!(
        why.contains("LegacyPhone[561] is listed, but 3600 s away"),
        "{why}"
    );
    assert!(s.apps[0].exits[0].crash.is_none());
}
