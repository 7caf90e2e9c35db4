//! Tracker unit tests: relaunch expectations, wakes ending in kills, JetsamEvent attachment.

#![allow(clippy::unwrap_used)]

use crate::commands::logs::records::SummaryMeta;
use crate::logs::{CommonOptions, Pipeline};

/// The summary `analyze` reports, without thresholds.
fn summary(p: Pipeline) -> crate::commands::logs::records::Summary {
    crate::commands::logs::records::Summary::build(SummaryMeta::default(), p.finish().1, &[])
}

fn run(lines: &[&str]) -> crate::commands::logs::records::Summary {
    let mut p = Pipeline::new(&CommonOptions::default()).unwrap();
    for (i, l) in lines.iter().enumerate() {
        let _ = p.line(l, i as u64 + 1);
    }
    summary(p)
}

// The system lines of these tests are real forms (tests/data/ios-log-corpus.jsonl and the session
// excerpts; `every_system_line_in_tests_and_fixtures_is_a_real_form_or_labelled_synthetic`
// checks them): callservicesd's push (iOS 11, twilio/voice-quickstart-ios#152), RunningBoard's
// job, task and termination lines (iOS 14-15), the kernel's memorystatus kill (iOS 11),
// SpringBoard noise (rpetrich/ProSwitcher#60). Only the bundle IDs, pids and times are this
// test's.
const PUSH: &str = "Nov 25 10:00:30 iPhone callservicesd[112] <Notice>: Incoming message has topic: com.example.call.voip bundleID: com.example.call";
const NOISE: &str =
    "Nov 25 10:05:00 iPhone SpringBoard[57] <Notice>: Setting springboard visible = 1";

#[test]
fn a_pushkit_app_is_not_expected_to_relaunch() {
    // The exit comes before the app's first push: once the push (within the relaunch
    // window) shows it is a PushKit app, the expectation is withdrawn and no-relaunch is
    // not raised.
    let s = run(&[
        "Nov 25 10:00:00 iPhone runningboardd[33] <Notice>: Creating and launching job for: application<com.example.call>",
        "Nov 25 10:00:05 iPhone runningboardd[33] <Notice>: [application<com.example.call>:601] termination reported by launchd (2, 9, 9)",
        PUSH,
        NOISE,
    ]);
    let app = &s.apps[0];
    assert_eq!(app.exits[0].signal, Some(9));
    assert_eq!(app.exits[0].pid, Some(601));
    assert_eq!(app.exits[0].relaunch_expected, Some(false));
    assert!(!app.checks.contains_key("no-relaunch"), "{:?}", app.checks);
    // After a push, the exit itself says so.
    let s = run(&[
        PUSH,
        "Nov 25 10:00:31 iPhone runningboardd[33] <Notice>: [application<com.example.call>:601] termination reported by launchd (2, 9, 9)",
        NOISE,
    ]);
    assert_eq!(s.apps[0].exits[0].relaunch_expected, Some(false));
    assert!(!s.apps[0].checks.contains_key("no-relaunch"));
}

#[test]
fn a_legacy_app_is_and_an_over_budget_wake_ending_in_a_kill_is_flagged() {
    let s = run(&[
        "Nov 25 10:00:00 iPhone runningboardd[33] <Notice>: [application<com.example.legacy>:412] Resuming task.",
        "Nov 25 10:00:00 iPhone Legacy[412] <Notice>: VOIPCTL socket.wake",
        "Nov 25 10:00:12 iPhone runningboardd[33] <Notice>: [application<com.example.legacy>:412] termination reported by launchd (2, 9, 9)",
        NOISE,
    ]);
    let app = &s.apps[0];
    // A SIGKILL without its context (a swipe or a kill by the system): relaunch unknown.
    assert_eq!(app.exits[0].relaunch_expected, None);
    assert!(!app.checks.contains_key("no-relaunch"));
    assert_eq!(app.wakes.over_budget, 1);
    assert_eq!(app.checks.get("wake-over-budget"), Some(&1));
    assert_eq!(app.wakes.duration_s.max, Some(12.0));
}

#[test]
fn a_process_name_tied_to_its_bundle_later_joins_the_bundles_app() {
    // Without -b: the app's own lines come first (attributed to its process name); RunningBoard
    // then names pid 601 as com.example.call. One app, its launch and wake included.
    let s = run(&[
        "Nov 25 10:00:00 iPhone ExampleCall[601] <Notice>: VOIPCTL launch state=background",
        "Nov 25 10:00:01 iPhone ExampleCall[601] <Notice>: VOIPCTL socket.wake",
        "Nov 25 10:00:04 iPhone runningboardd[33] <Notice>: [application<com.example.call>:601] Suspending task.",
        "Nov 25 10:00:30 iPhone ExampleCall[601] <Notice>: VOIPCTL socket.wake",
        NOISE,
    ]);
    assert_eq!(s.apps.len(), 1, "{:?}", s.apps);
    let app = &s.apps[0];
    assert_eq!(app.app, "com.example.call");
    assert_eq!(app.launches.total, 1);
    assert_eq!(app.launches.background, 1);
    assert_eq!(app.wakes.count, 2, "{:?}", app.wakes);
    assert_eq!(app.events.get("launch"), Some(&1));
    assert_eq!(app.events.get("suspend"), Some(&1));
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
    crate::commands::logs::records::Summary,
) {
    let mut p = Pipeline::new(&CommonOptions::default()).unwrap();
    for (i, l) in lines.iter().enumerate() {
        let _ = p.line(l, i as u64 + 1);
    }
    let r = p.attach_jetsam(event);
    (r, summary(p))
}

const BOOT: &str = "Nov 25 10:19:59 iPhone runningboardd[33] <Notice>: Creating and launching job for: application<com.example.legacyphone>";
const LAUNCH_561: &str =
    "Nov 25 10:20:00 iPhone LegacyPhone[561] <Notice>: VOIPCTL launch state=background";
const KILL_561: &str = "Nov 25 10:24:10 iPhone kernel[0] <Notice>: 399243.947 memorystatus: killing_specific_process pid 561 [LegacyPhone] (per-process-limit 10) - memorystatus_available_pages: 42511";
const EXIT_561: &str = "Nov 25 10:24:10 iPhone runningboardd[33] <Notice>: [application<com.example.legacyphone>:561] termination reported by launchd (2, 9, 9)";

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
            "Nov 25 10:01:00 iPhone runningboardd[33] <Notice>: [application<com.example.legacyphone>:412] termination reported by launchd (2, 9, 9)",
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
        "2025-11-25 10:19:59.000 Df runningboardd[33:1a2b] [com.apple.runningboard:process] Creating and launching job for: application<com.example.legacyphone>",
        "2025-11-25 10:20:00.000 Df LegacyPhone[561:1a2b] [com.example:App] VOIPCTL launch state=background",
        "2025-11-25 10:24:10.000 Df runningboardd[33:1a2b] [com.apple.runningboard:process] [application<com.example.legacyphone>:561] termination reported by launchd (2, 9, 9)",
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

// ---- issue 13: verdicts from system lines, and "unknown" when the log does not say ------------
//
// Every system line below is copied from a real device log, source in the comment above it.
// Markers (`VOIPCTL …`) are the only lines written here.

use crate::commands::logs::records::{CheckRecord, Summary};
use crate::logs::rules::RuleSet;
use crate::logs::track::verdict::Verdict;

/// github.com/twilio/voice-quickstart-ios/issues/152 (iOS 11, Console.app): a VoIP push for
/// Com.Courtbuddy.Courtbuddy reaches callservicesd, which opens the app (`<private>` bundle IDs).
const COURTBUDDY_PUSH: &[&str] = &[
    "default\t12:05:01.530678 +0530\tcallservicesd\t<private> Delivering message from apsd: <private> 1378142416 <private>",
    "default\t12:05:01.531084 +0530\tcallservicesd\t<private> responding with an ack for message with guid <private>",
    "default\t12:05:01.531573 +0530\tcallservicesd\t<private> making delegate (<private>) calls to deliver message 1378142416 <private> for topic <private>",
    "default\t12:05:01.531790 +0530\tcallservicesd\t<private> calling <private> connection:didReceiveIncomingMessage:",
    "default\t12:05:01.532356 +0530\tcallservicesd\tfor connection: <private> message: <private>",
    "default\t12:05:01.532549 +0530\tcallservicesd\tIncoming message has topic: <private> bundleID: <private>",
    "default\t12:05:01.532725 +0530\tcallservicesd\tApplication <private> is not running. Will attempt to open the application and acquire a process assertion",
    "default\t12:05:01.534875 +0530\tSpringBoard\t[FBSystemService][0x1a3c] Received request to open \"Com.Courtbuddy.Courtbuddy\" from callservicesd:112.",
    "default\t12:05:01.537323 +0530\tSpringBoard\t[FBSystemService] Trusting entitled client <private>.",
    "default\t12:05:01.537807 +0530\tSpringBoard\tReceived trusted open application request for \"Com.Courtbuddy.Courtbuddy\" from <FBProcess: 0x100e6d830; callservicesd (com.apple.TelephonyUtilities); pid: 112>.",
    "default\t12:05:01.552269 +0530\ttrustd\tcert[0]: SubjectCommonName =(leaf)[]> 0",
];
/// Same capture, 0.45 s later: callservicesd starts tracking the call the app reported.
const COURTBUDDY_REPORT: &[&str] = &[
    "default\t12:05:01.979826 +0530\tassertiond\tClient relinquished <BKProcessAssertion: 0x14bd3c220; \"CSDVoIPProcessAssertion-Com.Courtbuddy.Courtbuddy\" (voIP:inf); id:…CBF67115BC69>",
    "default\t12:05:02.999810 +0530\tcallservicesd\tSuggestions: No suggested names found for '<private>'",
    "default\t12:05:02.000110 +0530\tcallservicesd\tInitialized dynamic display context: <private>",
    "default\t12:05:02.005265 +0530\tcallservicesd\tStarted tracking call: <private>",
    "default\t12:05:02.005437 +0530\tcallservicesd\tbundleIdentifier: <private>",
    "default\t12:05:02.005528 +0530\tcallservicesd\tAcquiring process assertion for bundle identifier <private>",
    "default\t12:05:02.005845 +0530\tcallservicesd\tIncremented count of process assertion for bundle identifier <private> to 1",
    "default\t12:05:02.006061 +0530\tcallservicesd\tAsked to dispatch drain the pool",
    "default\t12:05:02.010160 +0530\tassertiond\t[CourtBuddy:3072] Deactivate assertion: <BKProcessAssertion: 0x14be3d7e0; \"Deliver Message\" (suspend:10s); id:…DE1A3BEE13EE>",
    "default\t12:05:02.110820 +0530\tSpringBoard\tcall: <private>",
    "default\t12:05:02.112778 +0530\treplayd\tcall: <private>",
    "default\t12:05:02.153261 +0530\twifid\tcall: <private>",
    "default\t12:05:02.154387 +0530\tmediaserverd\tcall: <private>",
    "default\t12:05:02.154470 +0530\timagent\tcall: <private>",
    "default\t12:05:02.155138 +0530\tcallservicesd\tAdding call <private> to dirty calls pool",
];
/// github.com/microsoftconnect/ms-intune-app-sdk-ios/issues/137 (iOS 14.5 beta 1, Console.app):
/// com.AppCo.MyApp comes to the foreground (role UserInteractiveNonFocal, visibility Foreground)
/// and crashes 0.54 s later.
const MYAPP_FOREGROUND: &[&str] = &[
    "default\t08:00:54.158902-0600\trunningboardd\tRunningBoard\tCalculated state for application<com.AppCo.MyApp>: running-active (role: UserInteractiveNonFocal)",
    "default\t08:00:54.159327-0600\tSpringBoard\tFrontBoard\t[application<com.AppCo.MyApp>:432] Setting process task state to: Running",
    "default\t08:00:54.159594-0600\tSpringBoard\tFrontBoard\t[application<com.AppCo.MyApp>:432] Setting process visibility to: Foreground",
    "default\t08:00:54.165402-0600\trunningboardd\tRunningBoard\tFinished acquiring assertion 34-34-664 (target:[application<com.AppCo.MyApp>:432])",
    "default\t08:00:54.165700-0600\trunningboardd\tRunningBoard\tSuccessfully acquired underlying assertion for [application<com.AppCo.MyApp>:432]",
    "default\t08:00:54.680352-0600\tSpringBoard\tFrontBoard\t[sceneID:com.AppCo.MyApp-default] Scene action [Logical Activate][0x33fb] completed with success: 0",
    "default\t08:00:54.684140-0600\tSpringBoard\tFrontBoard\t[application<com.AppCo.MyApp>:432] Workspace connection invalidated.",
    "default\t08:00:54.684199-0600\tSpringBoard\tFrontBoard\t[application<com.AppCo.MyApp>:432] Workspace connection invalidated.",
    "default\t08:00:54.700689-0600\trunningboardd\tRunningBoard\t[application<com.AppCo.MyApp>:432] termination reported by launchd (2, 10, 10)",
    "default\t08:00:54.701992-0600\trunningboardd\tRunningBoard\tRemoving process: [application<com.AppCo.MyApp>:432]",
    "default\t08:00:54.702044-0600\trunningboardd\tRunningBoard\tRemoving process: [application<com.AppCo.MyApp>:432]",
    "default\t08:00:54.703605-0600\trunningboardd\tRunningBoard\tFinished acquiring assertion 34-63-669 (target:[application<com.AppCo.MyApp>:432](UIScene:com.apple.frontboard.systemappservices::sceneID%3Acom.AppCo.MyApp-default))",
    "default\t08:00:54.703648-0600\trunningboardd\tRunningBoard\tFinished acquiring assertion 34-63-669 (target:[application<com.AppCo.MyApp>:432](UIScene:com.apple.frontboard.systemappservices::sceneID%3Acom.AppCo.MyApp-default))",
    "default\t08:00:54.727174-0600\tpowerd\tpowerd\tProcess runningboardd.34 Released SystemIsActive \"application<com.AppCo.MyApp>;(null):(null);34-63-663:FBApplicationProcess\" age:00:00:00  id:51539641574 [System: SysAct]",
    "default\t08:00:54.746726-0600\tSpringBoard\tUserNotificationsServer\t[com.AppCo.MyApp] com.AppCo.MyApp application state changed to Terminated",
];
/// github.com/element-hq/element-ios/issues/3577 (2020, PushKit-37): a VoIP push reaches the
/// delegate, no call is reported, PushKit kills the app.
const ELEMENT_UNREPORTED: &[&str] = &[
    "2020-08-27 11:36:20.049 Riot[4644:2376191] [PushNotificationService] didReceiveIncomingPushWithPayload: {",
    "    aps =     {",
    "        badge = 0;",
    "    };",
    "}",
    "2020-08-27 11:36:20.049 Riot[4644:2376191] [PushNotificationService] didReceiveIncomingPushWithPayload: application is in bg",
    "2020-08-27 11:36:20.050 Riot[4644:2376191] [PushNotificationService] didReceiveIncomingPushWithPayload: lastCallInvite: (null)",
    "2020-08-27 11:36:20.050 Riot[4644:2376191] [PushNotificationService] didReceiveIncomingPushWithPayload: iOS 13 and in bg, but we don't have the last callInvite event for the event (null). There is something wrong.",
    "2020-08-27 11:36:20.050 Riot[4644:2376191] Apps receving VoIP pushes must post an incoming call (via CallKit or IncomingCallNotifications) in the same run loop as   pushRegistry:didReceiveIncomingPushWithPayload:forType:[withCompletionHandler:] without delay.",
    "2020-08-27 11:36:20.051 Riot[4644:2376191] *** Assertion failure in -[PKPushRegistry _terminateAppIfThereAreUnhandledVoIPPushes], /Library/Caches/com.apple.xbs/Sources/PushKit/PushKit-37/PKPushRegistry.m:343",
];
/// github.com/twilio/voice-quickstart-ios/issues/308 (iOS 13.3.1), as quoted by the poster.
const CSD_KILL: &str =
    "Killing VoIP app <private> because it failed to post an incoming call in time.";
/// github.com/react-native-webrtc/react-native-voip-push-notification/issues/102 (iOS 17).
const PRIVATE_BAN: &str = "Application <private> will not be launched because it failed to report an incoming call too many times (or repeatedly crashed.)";
/// github.com/SimbaBuilds/Juniper_React_Native native_crash_logs.md (2025, iOS 17+, Console.app).
const JARVIS_EXIT: &str = "default\t19:28:27.273510-0500\trunningboardd\t[app<com.hightowerai.MobileJarvisNative(BED36376-5A4B-42A9-9620-6AE0BC5F0283)>:51362] termination reported by launchd (2, 6, 6)";

/// Test-side rules for callservicesd lines this branch's built-in rules do not classify yet
/// (the tracker is what is tested here): the push's delivery and the call's tracking.
const CSD_RULES: &str = r#"
[[rule]]
id = "test.csd-incoming-topic"
family = "push-callservicesd"
literals = ["Incoming message has topic"]
regex = '''Incoming message has topic: (?P<topic>\S+) bundleID: (?P<bundle>\S+)'''
summary = "callservicesd: incoming VoIP push"

[[rule]]
id = "test.csd-started-tracking"
family = "callkit-report"
literals = ["Started tracking call"]
regex = '''Started tracking call'''
summary = "callservicesd tracks a new call"
"#;

fn pipeline(bundles: &[&str], rules: &str, tweak: impl FnOnce(&mut CommonOptions)) -> Pipeline {
    let mut o = CommonOptions::default();
    o.filter.bundles = bundles.iter().map(|b| (*b).to_string()).collect();
    tweak(&mut o);
    let user = if rules.is_empty() {
        Vec::new()
    } else {
        vec![("test rules".to_string(), rules.to_string())]
    };
    Pipeline::with_rules(&o, RuleSet::build(&user).unwrap()).unwrap()
}

fn feed(p: &mut Pipeline, lines: &[&str]) {
    for (i, l) in lines.iter().enumerate() {
        let _ = p.line(l, i as u64 + 1);
    }
}

fn check<'a>(s: &'a Summary, name: &str) -> &'a CheckRecord {
    s.checks.iter().find(|c| c.check.name() == name).unwrap()
}

#[test]
fn a_callkit_report_is_recognised_from_system_lines() {
    let mut p = pipeline(&["Com.Courtbuddy.Courtbuddy"], CSD_RULES, |_| {});
    let lines: Vec<&str> = COURTBUDDY_PUSH
        .iter()
        .chain(COURTBUDDY_REPORT)
        .copied()
        .collect();
    feed(&mut p, &lines);
    let s = summary(p);
    let app = &s.apps[0];
    assert_eq!(app.app, "Com.Courtbuddy.Courtbuddy");
    assert_eq!(
        (app.pushes.received, app.pushes.reported),
        (1, 1),
        "{app:?}"
    );
    assert_eq!(app.pushes.report_latency_s.max, Some(0.475));
    let c = check(&s, "push-not-reported");
    assert_eq!(c.verdict, Verdict::Passed, "{c:?}");
    assert_eq!(c.evidence[0].line, 15);
    assert_eq!(c.evidence[0].text, "Started tracking call: <private>");
    assert_eq!(check(&s, "report-late").verdict, Verdict::Passed);
}

#[test]
fn a_push_with_neither_a_report_nor_a_kill_is_unknown_not_failed() {
    // The same push, the report's chunk without a rule for its report line, and a report
    // window (1 s) that passes before the log ends: no report seen, no kill seen.
    let mut p = pipeline(
        &["Com.Courtbuddy.Courtbuddy"],
        CSD_RULES
            .split("[[rule]]")
            .nth(1)
            .map(|r| format!("[[rule]]{r}"))
            .as_deref()
            .unwrap(),
        |o| {
            o.track.report_window = 0.1;
        },
    );
    // The built-in rules read callservicesd's "Started tracking call" as the report: leave it out.
    let lines: Vec<&str> = COURTBUDDY_PUSH
        .iter()
        .chain(COURTBUDDY_REPORT)
        .copied()
        .filter(|l| !l.contains("Started tracking call"))
        .collect();
    feed(&mut p, &lines);
    let s = summary(p);
    assert_eq!(s.apps[0].pushes.received, 1);
    assert_eq!(s.apps[0].pushes.not_reported, 0);
    let c = check(&s, "push-not-reported");
    assert_eq!((c.verdict, c.count), (Verdict::Unknown, 0), "{c:?}");
    assert!(
        c.detail.starts_with(
            "no CallKit report seen and no kill seen: the log ends 0.6 s after the push"
        ),
        "{}",
        c.detail
    );
    assert_eq!(c.evidence[0].line, 1, "the push: {c:?}");
    // A kill is a definite failure.
    let mut p = pipeline(&[], "", |_| {});
    feed(&mut p, ELEMENT_UNREPORTED);
    let s = summary(p);
    let c = check(&s, "push-not-reported");
    assert_eq!(
        (c.verdict, c.count),
        (Verdict::Failed, 1),
        "{c:?} {:?}",
        s.apps
    );
    assert!(
        c.evidence[0]
            .text
            .contains("Apps receving VoIP pushes must post an incoming call")
    );
}

#[test]
fn the_callservicesd_killing_voip_app_line_is_a_kill() {
    let mut p = pipeline(&["com.example.voip"], "", |_| {});
    feed(&mut p, &[CSD_KILL]);
    let s = summary(p);
    assert_eq!(s.apps[0].app, "com.example.voip");
    assert_eq!(s.apps[0].pushes.callkit_kills, 1);
    let c = check(&s, "callkit-kill");
    assert_eq!((c.verdict, c.count), (Verdict::Failed, 1));
    assert_eq!(c.evidence[0].text, CSD_KILL);
    // The paraphrased iOS 18 form in the corpus is a kill too, not a delivery.
    let corpus = "callservicesd: Delivering 1 VoIP payload(s) to application UrgiDoctor: Apps receiving VoIP pushes must post an incoming call via CallKit... error: Killing VoIP app because it failed to post an incoming call in time.";
    let mut p = pipeline(&["com.example.voip"], "", |_| {});
    feed(&mut p, &[corpus]);
    let s = summary(p);
    assert_eq!(s.apps[0].pushes.callkit_kills, 1);
    assert_eq!(s.apps[0].pushes.received, 0);
}

#[test]
fn a_private_ban_line_goes_to_the_only_watched_app() {
    let mut p = pipeline(&["com.example.voip"], "", |_| {});
    feed(&mut p, &[PRIVATE_BAN]);
    let s = summary(p);
    assert_eq!(s.apps.len(), 1);
    assert_eq!(s.apps[0].app, "com.example.voip");
    assert!(s.apps[0].pushes.banned);
    assert_eq!(check(&s, "ban").verdict, Verdict::Failed);
    // Watching no app or two, the line names no app: nobody's.
    for bundles in [&[][..], &["com.example.voip", "com.example.other"][..]] {
        let mut p = pipeline(bundles, "", |_| {});
        feed(&mut p, &[PRIVATE_BAN]);
        let s = summary(p);
        assert!(s.apps.is_empty(), "{:?}", s.apps);
    }
}

#[test]
fn a_foreground_session_is_not_a_wake() {
    // With a budget shorter than the 0.54 s the app ran, a background wake would be over it.
    let mut p = pipeline(&[], "", |o| o.track.wake_budget = 0.1);
    feed(&mut p, MYAPP_FOREGROUND);
    let s = summary(p);
    let app = &s.apps[0];
    assert_eq!(app.app, "com.AppCo.MyApp");
    assert_eq!(app.wakes.count, 0, "{app:?}");
    assert_eq!(app.wakes.over_budget, 0);
    assert_eq!(check(&s, "wake-over-budget").verdict, Verdict::Unknown);
    assert_eq!(check(&s, "wake-over-budget").count, 0);
    // The SIGBUS exit of an app whose VoIP model the log does not show: no relaunch owed, as
    // far as the log says.
    assert_eq!(app.exits[0].signal, Some(10));
    assert_eq!(app.exits[0].relaunch_expected, None);
    assert_eq!(check(&s, "no-relaunch").verdict, Verdict::Unknown);
}

#[test]
fn a_sigkill_without_its_context_is_not_expected_to_relaunch() {
    use super::process::{Model, expected};
    // A swipe from the app switcher (SIGKILL on today's iOS) and a kill by the system look
    // the same without their context: unknown, not "relaunch expected".
    assert_eq!(expected(Model::Legacy, None, Some(9), false), None);
    // After a kill for a cause (watchdog, jetsam, CallKit), it is the system's.
    assert_eq!(expected(Model::Legacy, None, Some(9), true), Some(true));
    // A crash: relaunched.
    assert_eq!(expected(Model::Legacy, None, Some(11), false), Some(true));
    // exit(0) — how a swipe ended an app on iOS 6/7 — is not relaunched; exit(1) is.
    assert_eq!(expected(Model::Legacy, Some(0), None, false), Some(false));
    assert_eq!(expected(Model::Legacy, Some(1), None, false), Some(true));
    // A PushKit app is never relaunched; an app of unknown model: the log does not say.
    assert_eq!(expected(Model::PushKit, None, Some(11), false), Some(false));
    assert_eq!(expected(Model::Unknown, Some(1), None, false), None);
}

#[test]
fn push_to_talk_pushes_are_not_expected_to_reach_callkit() {
    // No real `.voip-ptt` apsd line was found for the corpus; the topic form is Apple's
    // (PushToTalk documentation: apns-topic `<bundle ID>.voip-ptt`).
    use super::push::is_push_to_talk;
    assert!(is_push_to_talk("com.example.walkie.voip-ptt"));
    assert!(!is_push_to_talk("com.example.walkie.voip"));
    assert!(!is_push_to_talk("com.example.walkie"));
}

#[test]
fn the_pid_of_an_exited_process_is_no_longer_the_app() {
    let mut p = pipeline(&[], "", |_| {});
    feed(&mut p, &[JARVIS_EXIT]);
    assert!(!p.tracker.pid_app.contains_key(&51362), "pids are reused");
    let s = summary(p);
    assert_eq!(s.apps[0].pids, vec![51362]);
    assert_eq!(s.apps[0].exits[0].signal, Some(6));
}

#[test]
fn exits_of_two_processes_close_together_are_two_exits() {
    use super::process::same_exit;
    use super::summary::ExitInfo;
    let exit = |pid: Option<u32>, t: f64| ExitInfo {
        time: String::new(),
        pid,
        status: None,
        signal: Some(6),
        reason: None,
        relaunch_expected: None,
        relaunched_after_s: None,
        relaunched_into: None,
        crash: None,
        t: Some(t),
        line: 1,
        message: String::new(),
    };
    // Several daemons' lines of one death: the same exit.
    assert!(same_exit(&exit(Some(51362), 0.0), true, 0.5, Some(51362)));
    assert!(same_exit(&exit(Some(51362), 0.0), true, 0.5, None));
    // A crash loop: another process, or a launch in between, is another exit.
    assert!(!same_exit(&exit(Some(51362), 0.0), true, 0.5, Some(51400)));
    assert!(!same_exit(&exit(Some(51362), 0.0), false, 0.5, Some(51362)));
    assert!(!same_exit(&exit(None, 0.0), true, 3.5, None));
}

#[test]
fn long_runs_keep_aggregates_not_every_sample() {
    use super::state::App;
    use super::summary::{ExitInfo, Running};
    // Running figures are those of the whole series.
    let xs = [6.0, 15.0, 1.0, 8.5, 0.25];
    let mut r = Running::default();
    xs.iter().for_each(|x| r.push(*x));
    let s = r.stats();
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / xs.len() as f64;
    assert_eq!(s.count, 5);
    assert_eq!((s.min, s.max), (Some(0.25), Some(15.0)));
    assert_eq!(s.mean, Some((mean * 1000.0).round() / 1000.0));
    assert_eq!(s.stddev, Some((var.sqrt() * 1000.0).round() / 1000.0));
    // Exits: the last `keep` stay, the others are counted; indices follow.
    let mut app = App::default();
    for i in 0..7u32 {
        app.exits.push(ExitInfo {
            time: String::new(),
            pid: Some(i),
            status: None,
            signal: None,
            reason: None,
            relaunch_expected: None,
            relaunched_after_s: None,
            relaunched_into: None,
            crash: None,
            t: Some(f64::from(i)),
            line: u64::from(i),
            message: String::new(),
        });
    }
    app.exit_open = Some(6);
    app.awaiting_relaunch = Some(1);
    app.trim(3);
    assert_eq!(app.exits.len(), 3);
    assert_eq!(app.exits_dropped, 4);
    assert_eq!(app.exits[0].pid, Some(4));
    assert_eq!(app.exit_open, Some(2));
    assert_eq!(app.awaiting_relaunch, None, "its exit was dropped");
    // Below twice the limit nothing moves (trimming stays rare).
    app.trim(3);
    assert_eq!((app.exits.len(), app.exits_dropped), (3, 4));
}
