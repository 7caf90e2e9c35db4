//! `voipctl probe` end to end against the simulated iPhone: the simulator serves an APNs
//! look-alike (or opens the app's VoIP socket to the probe) and answers each trigger with the
//! log lines a real phone writes, with the outcome its scenario gives for that round. The real
//! binary runs against it; its JSON records and JUnit document are checked, with the cause chain
//! of every failed round.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

#[path = "support/schema.rs"]
mod schema;
use serde::Deserialize;
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use voipctl::sim::{self, Scenario, Sim};

const UDID: &str = "00008110-000A1B2C3D4E5F6A";
const TOKEN: &str = "7c1f5e9a0b2d4c6e8f1a3b5c7d9e0f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c0d2e";
const KEY_ID: &str = "ABC123DEFG";
const TEAM_ID: &str = "TEAM123456";

struct Fixture {
    sim: Sim,
    _rt: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new(toml: &str) -> Fixture {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let scenario = Scenario::parse(toml).unwrap_or_else(|e| panic!("{e}"));
        let sim = rt.block_on(sim::start(scenario)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        std::fs::write(dir.path().join("AuthKey.p8"), key.serialize_pem()).unwrap();
        if let Some(ca) = sim.apns_ca_pem() {
            std::fs::write(dir.path().join("ca.pem"), ca).unwrap();
        }
        Fixture { sim, _rt: rt, dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn push_args(&self) -> Vec<String> {
        [
            "--token",
            TOKEN,
            "--apns-url",
            &self.sim.apns_url().unwrap(),
            "--ca-cert",
            &self.path("ca.pem"),
            "--key",
            &self.path("AuthKey.p8"),
            "--key-id",
            KEY_ID,
            "--team-id",
            TEAM_ID,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn voipctl(&self, args: &[String]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_voipctl"));
        c.args(args)
            .env("USBMUXD_SOCKET_ADDRESS", self.sim.env_value())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        let out = c.output().unwrap();
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        out
    }
}

fn scenario(react: &str) -> String {
    format!(
        r#"
[[device]]
udid = "{UDID}"
name = "Probe iPhone"
[[device.app]]
bundle_id = "com.example.call"
name = "Example Call"
executable = "ExampleCall"
background_modes = ["audio", "voip"]
entitlements = {{ "aps-environment" = "development" }}
[device.react]
bundle_id = "com.example.call"
executable = "ExampleCall"
clock_offset_ms = 2500
{react}
"#
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Link {
    step: String,
    evidence: String,
    line: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Diagnosis {
    chain: Vec<Link>,
    fix: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StageTime {
    stage: String,
    ms: Option<f64>,
    #[serde(default)]
    line: Option<String>,
}

/// The `probe_round` record, pinned: a field added or renamed fails here.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Round {
    #[serde(rename = "type")]
    kind: String,
    sent: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    explanation: Option<String>,
    #[serde(default)]
    fix: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    end: Option<String>,
    udid: String,
    round: u32,
    via: String,
    verdict: String,
    ok: bool,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    apns_id: Option<String>,
    stages: Vec<StageTime>,
    #[serde(default)]
    app_state: Option<String>,
    #[serde(default)]
    diagnosis: Option<Diagnosis>,
}

fn records(o: &Output, kind: &str) -> Vec<serde_json::Value> {
    schema::validate(&String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{e}: {l}"))
        })
        .filter(|v| v["type"] == kind)
        .collect()
}

fn rounds(o: &Output) -> Vec<Round> {
    records(o, "probe_round")
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect()
}

fn stage<'a>(r: &'a Round, name: &str) -> Option<&'a StageTime> {
    r.stages.iter().find(|s| s.stage == name)
}

fn has_link(d: &Diagnosis, evidence: &str, needle: &str) -> bool {
    d.chain.iter().any(|l| {
        l.evidence == evidence
            && (l.step.contains(needle) || l.line.as_deref().is_some_and(|x| x.contains(needle)))
    })
}

#[test]
fn probe_over_push_in_time_late_killed_banned() {
    let f = Fixture::new(&scenario(
        r#"
[[device.react.round]]
outcome = "in-time"
[[device.react.round]]
outcome = "late"
launch = "10s"
report = "500ms"
[[device.react.round]]
outcome = "never"
[[device.react.round]]
outcome = "banned"
"#,
    ));
    let mut args: Vec<String> = ["--json", "probe", "-b", "com.example.call", "--rounds", "4"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(f.push_args());
    args.extend(
        [
            "--interval",
            "300ms",
            "--round-timeout",
            "12s",
            "--deadline",
            "2s",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let out = f.voipctl(&args);
    assert_eq!(out.status.code(), Some(1), "failed rounds exit 1");
    let rs = rounds(&out);
    let verdicts: Vec<&str> = rs.iter().map(|r| r.verdict.as_str()).collect();
    assert_eq!(verdicts, ["reported", "late", "killed", "banned"]);
    for (i, r) in rs.iter().enumerate() {
        assert_eq!(
            (r.round, r.udid.as_str(), r.via.as_str()),
            (i as u32 + 1, UDID, "push")
        );
        assert_eq!(r.status, Some(200));
        assert_eq!(r.apns_id.as_deref().map(str::len), Some(36));
    }

    // In time: every stage, in order, with its line; no diagnosis.
    let ok = &rs[0];
    assert!(ok.ok && ok.diagnosis.is_none());
    let names: Vec<&str> = ok.stages.iter().map(|s| s.stage.as_str()).collect();
    assert_eq!(
        names,
        [
            "sent",
            "accepted",
            "delivered",
            "running",
            "delegate",
            "reported"
        ]
    );
    assert!(ok.stages.iter().all(|s| s.ms.is_some()));
    assert_eq!(ok.app_state.as_deref(), Some("launched (background)"));
    assert!(
        stage(ok, "delivered")
            .unwrap()
            .line
            .as_deref()
            .unwrap()
            .contains("callservicesd")
    );

    // Late: reported, with the slow hop named (the cold launch) and a fix.
    let late = rs[1].diagnosis.as_ref().unwrap();
    assert!(has_link(late, "inferred", "over the 2000 ms deadline"));
    assert!(
        has_link(late, "inferred", "delivered → running"),
        "{late:?}"
    );
    assert!(late.fix.contains("launch"));
    // The app was still running: resumed, not launched.
    assert_eq!(rs[1].app_state.as_deref(), Some("resumed"));

    // Never reported: killed, with the kill line seen and the missing report inferred.
    let kill = rs[2].diagnosis.as_ref().unwrap();
    assert!(has_link(kill, "seen", "PushKit delivered the push"));
    assert!(has_link(kill, "inferred", "no CallKit report"));
    assert!(has_link(
        kill,
        "seen",
        "Killing app because it never posted an incoming call"
    ));
    assert!(has_link(kill, "inferred", "banned"));
    assert!(kill.fix.contains("reportNewIncomingCall"));

    // Banned: the ban line seen, the earlier kill counted, how to lift it.
    let ban = rs[3].diagnosis.as_ref().unwrap();
    assert!(has_link(
        ban,
        "seen",
        "will not be launched because it failed to report"
    ));
    assert!(has_link(ban, "inferred", "1 seen before the ban"));
    assert!(ban.fix.contains("kill counts"));
    assert!(stage(&rs[3], "running").is_none());

    // The summary: stage statistics and the clock offset (the scenario's phone is 2.5 s ahead).
    let s = &records(&out, "summary")[0];
    assert_eq!(s["rounds"], 4);
    assert_eq!(s["passed"], 1);
    assert_eq!(s["verdicts"]["killed"], 1);
    assert_eq!(s["stages"]["reported"]["count"], 2);
    // The banned round's delivery lines (apsd, callservicesd) are recognised by no built-in rule
    // yet: its ban line is the evidence.
    assert!(s["stages"]["delivered"]["count"].as_u64().unwrap() >= 3);
    let off = s["clock"]["offset_ms"].as_f64().unwrap();
    let unc = s["clock"]["uncertainty_ms"].as_f64().unwrap();
    assert!((off - 2500.0).abs() <= unc + 1.0, "offset {off} ± {unc}");
    assert!(s["overhead_us"]["count"].as_u64().unwrap() > 0);
    let th = records(&out, "probe_threshold");
    assert_eq!(th.len(), 1);
    assert_eq!(
        (th[0]["spec"].as_str(), th[0]["ok"].as_bool()),
        (Some("failed=0"), Some(false))
    );
    assert_eq!(f.sim.triggers(UDID), 4);
}

#[test]
fn probe_over_push_lost_and_rejected_and_junit() {
    let f = Fixture::new(&scenario(
        "tokens = [\"7c1f5e9a0b2d4c6e8f1a3b5c7d9e0f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c0d2e\"]\n[[device.react.round]]\noutcome = \"lost\"\n",
    ));
    // Lost: APNs accepted it, nothing reached the phone; the build is a development one and the
    // push went to production through the look-alike URL.
    let mut args: Vec<String> = [
        "--format",
        "junit",
        "probe",
        "-b",
        "com.example.call",
        "--rounds",
        "1",
        "--env",
        "production",
        "--round-timeout",
        "1s",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(f.push_args());
    let out = f.voipctl(&args);
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(
        xml.contains(&format!("<testsuite name=\"voipctl probe {UDID}\"")),
        "{xml}"
    );
    assert!(xml.contains("name=\"round 1\""));
    assert!(xml.contains("round 1: lost"));
    assert!(
        xml.contains("aps-environment is development, but the push went to production"),
        "{xml}"
    );
    assert!(xml.contains("failures=\"2\""), "round and failed=0: {xml}");

    // Rejected: another token is not this phone's: APNs says BadDeviceToken, explained.
    let mut args: Vec<String> = ["--json", "probe", "-b", "com.example.call", "--rounds", "1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut push = f.push_args();
    push[1] = "00".repeat(32);
    args.extend(push);
    let out = f.voipctl(&args);
    assert_eq!(out.status.code(), Some(1));
    let r = &rounds(&out)[0];
    assert_eq!((r.verdict.as_str(), r.status), ("rejected", Some(400)));
    let d = r.diagnosis.as_ref().unwrap();
    assert!(has_link(d, "seen", "BadDeviceToken"));
    assert!(!d.fix.is_empty());
}

#[test]
fn probe_over_signal_in_time_late_killed_and_no_ban() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let f = Fixture::new(&scenario(&format!(
        r#"
running = true
signal = "tcp://127.0.0.1:{port}"
[[device.react.round]]
outcome = "in-time"
[[device.react.round]]
outcome = "late"
[[device.react.round]]
outcome = "never"
[[device.react.round]]
outcome = "banned"
"#
    )));
    let args: Vec<String> = [
        "--json",
        "probe",
        "-b",
        "com.example.call",
        "--via",
        "signal",
        "--listen",
        &format!("tcp://127.0.0.1:{port}"),
        "--rounds",
        "4",
        "--interval",
        "300ms",
        "--round-timeout",
        "6s",
        "--deadline",
        "1500ms",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = f.voipctl(&args);
    assert_eq!(out.status.code(), Some(1));
    let rs = rounds(&out);
    let verdicts: Vec<&str> = rs.iter().map(|r| r.verdict.as_str()).collect();
    // A socket wake cannot be banned: the phone's "banned" round wakes nothing (lost).
    assert_eq!(verdicts, ["reported", "late", "killed", "lost"]);
    assert!(rs.iter().all(|r| r.via == "signal"));
    let names: Vec<&str> = rs[0].stages.iter().map(|s| s.stage.as_str()).collect();
    assert_eq!(
        names,
        ["sent", "accepted", "running", "delegate", "reported"]
    );
    assert_eq!(rs[0].app_state.as_deref(), Some("resumed"));
    let late = rs[1].diagnosis.as_ref().unwrap();
    assert!(has_link(late, "inferred", "over the 1500 ms deadline"));
    let kill = rs[2].diagnosis.as_ref().unwrap();
    assert!(has_link(kill, "seen", "socket woke it"));
    assert!(has_link(
        kill,
        "seen",
        "has active assertions beyond permitted time"
    ));
    assert!(kill.fix.contains("10 s"));
    let lost = rs[3].diagnosis.as_ref().unwrap();
    assert!(has_link(lost, "inferred", "not woken"));
}

#[test]
fn probe_usage_errors() {
    let f = Fixture::new(&scenario("[[device.react.round]]\noutcome = \"lost\"\n"));
    for (args, needle) in [
        (vec!["probe", "-b", "com.example.call"], "--token"),
        (
            vec!["probe", "-b", "com.example.call", "--token", TOKEN],
            "--key",
        ),
        (
            vec![
                "probe",
                "-b",
                "x",
                "--via",
                "signal",
                "--listen",
                "udp://127.0.0.1:5060",
            ],
            "TCP only",
        ),
        (
            vec!["probe", "-b", "x", "--fail-on", "rung=1s"],
            "unknown stage",
        ),
    ] {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let out = f.voipctl(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(needle),
            "{args:?}"
        );
    }
    let _ = Duration::ZERO;
}

/// Run a command for at most `limit`, with its output.
fn run_limited(mut c: Command, limit: Duration) -> Output {
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    let id = child.id();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let d2 = done.clone();
    let guard = std::thread::spawn(move || {
        let until = std::time::Instant::now() + limit;
        while std::time::Instant::now() < until {
            if d2.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
    });
    let out = child.wait_with_output().unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = guard.join();
    out
}

fn watch(env: &str, extra: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_voipctl"));
    c.args(["--json", "watch", "--duration", "5s", "--no-crash-reports"])
        .args(extra)
        .env("USBMUXD_SOCKET_ADDRESS", env)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    run_limited(c, Duration::from_secs(60))
}

/// What must survive a record → replay → watch round trip: each event and the verdicts.
fn essence(o: &Output) -> (Vec<String>, serde_json::Value) {
    let mut events = Vec::new();
    let mut summary = serde_json::Value::Null;
    for v in String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    {
        match v["type"].as_str() {
            Some("event") => events.push(format!(
                "{} | {} | {} | {} | {} | {}",
                v["time"], v["rule"], v["family"], v["app"], v["summary"], v["message"]
            )),
            Some("summary") => {
                summary = serde_json::json!({
                    "checks": v["checks"],
                    "failed": v["failed"],
                    "apps": v["apps"],
                    "events": v["events"],
                });
            }
            _ => {}
        }
    }
    (events, summary)
}

#[test]
fn replay_round_trip_gives_the_same_events_and_verdicts() {
    let text = voipctl::sim::BUILTIN
        .iter()
        .find(|(n, _)| *n == "pushkit-callkit")
        .unwrap()
        .1
        .replace(
            "clock = \"first-log-client\"",
            "clock = \"first-log-client\"\nspeed = 25",
        );
    let f = Fixture::new(&text);
    let rec = f.path("rec.jsonl");
    let first = watch(&f.sim.env_value(), &["--record", &rec]);
    let (events_a, summary_a) = essence(&first);
    assert!(events_a.len() > 20, "{events_a:?}");
    assert!(events_a.iter().any(|e| e.contains("callkit-kill")));

    // Replay the recording through a `voipctl sim --replay` process, and watch it again.
    let mut sim = Command::new(env!("CARGO_BIN_EXE_voipctl"))
        // The recording's times are the entries' own stamps: at the first run's speed.
        .args([
            "--json",
            "sim",
            "--duration",
            "30s",
            "--replay",
            &rec,
            "--speed",
            "25",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(sim.stdout.as_mut().unwrap()),
        &mut first_line,
    )
    .unwrap();
    schema::validate(&first_line);
    let ready: serde_json::Value = serde_json::from_str(&first_line).unwrap();
    let second = watch(ready["usbmuxd"].as_str().unwrap(), &[]);
    let _ = sim.kill();
    let _ = sim.wait();
    let (events_b, summary_b) = essence(&second);
    assert_eq!(events_a, events_b);
    assert_eq!(summary_a, summary_b);
}

/// Issue 14: `watch` on the simulated phone (the built-in PushKit scenario: two unreported pushes
/// killed, then a ban) gives its failed push checks probe's cause chain: the kill's chain starts
/// at apsd's line and the app's delegate, the ban's names the kills before it.
#[test]
fn watch_summaries_carry_the_cause_chain_of_failed_push_checks() {
    let text = voipctl::sim::BUILTIN
        .iter()
        .find(|(n, _)| *n == "pushkit-callkit")
        .unwrap()
        .1
        .replace(
            "clock = \"first-log-client\"",
            "clock = \"first-log-client\"\nspeed = 25",
        );
    let f = Fixture::new(&text);
    let out = watch(&f.sim.env_value(), &["-b", "com.example.call"]);
    let summary = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["type"] == "summary")
        .unwrap_or_else(|| panic!("no summary: {}", String::from_utf8_lossy(&out.stderr)));
    let check = |name: &str| {
        summary["checks"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["check"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no check {name}"))
    };
    let links = |c: &serde_json::Value| -> Vec<(String, String, String)> {
        c["diagnosis"]["chain"]
            .as_array()
            .unwrap_or_else(|| panic!("no chain: {c}"))
            .iter()
            .map(|l| {
                (
                    l["evidence"].as_str().unwrap_or("").to_string(),
                    l["step"].as_str().unwrap_or("").to_string(),
                    l["line"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let kill = check("callkit-kill");
    assert_eq!(kill["verdict"], "failed");
    let k = links(&kill);
    assert_eq!(k[0].0, "seen");
    assert_eq!(k[0].1, "delivered on the phone");
    assert!(
        k[0].2
            .starts_with("callservicesd: Incoming message has topic"),
        "{k:?}"
    );
    assert!(k[0].2.contains("com.example.call.voip"), "{k:?}");
    assert!(
        k.iter().any(|l| l.0 == "seen"
            && l.1.contains("delegate")
            && l.2.contains("VOIPCTL push.received")),
        "{k:?}"
    );
    assert!(k.contains(&(
        "inferred".into(),
        "no CallKit report before the kill".into(),
        String::new()
    )));
    assert!(
        k.iter().any(|l| l.0 == "seen"
            && l.1.starts_with("iOS killed the app")
            && l.2.contains("must post an incoming call via CallKit")),
        "{k:?}"
    );
    assert!(
        kill["diagnosis"]["fix"]
            .as_str()
            .unwrap_or("")
            .contains("reportNewIncomingCall")
    );
    let ban = check("ban");
    assert_eq!(ban["verdict"], "failed");
    let b = links(&ban);
    assert!(
        b[0].2
            .starts_with("callservicesd: Incoming message has topic"),
        "{b:?}"
    );
    assert!(
        b.iter().any(|l| l.0 == "seen"
            && l.1.ends_with("banned")
            && l.2.contains(
                "will not be launched because it failed to report an incoming call too many times"
            )),
        "{b:?}"
    );
    assert!(
        b.iter()
            .any(|l| l.0 == "inferred" && l.1.contains("(2 seen before the ban)")),
        "{b:?}"
    );
    assert!(
        ban["diagnosis"]["fix"]
            .as_str()
            .unwrap_or("")
            .contains("kill counts")
    );
    // A check that passed has no chain.
    assert!(check("report-late")["diagnosis"].is_null());
}

const UDIDS: [&str; 3] = [
    "00008110-000A1B2C3D4E5F6A",
    "00008110-001C2D3E4F5A6B7C",
    "00008120-00112233445566AA",
];

fn farm(faults: &[&str; 3]) -> String {
    let mut t = String::new();
    for (i, u) in UDIDS.iter().enumerate() {
        t.push_str(&format!(
            r#"
[[device]]
udid = "{u}"
name = "Farm {i}"
[device.faults]
{fault}
[[device.app]]
bundle_id = "com.example.call"
executable = "ExampleCall"
background_modes = ["voip"]
[[device.log]]
at = "100ms"
process = "ExampleCall"
pid = 601
message = "VOIPCTL mark tick"
repeat = 30
every = "300ms"
[device.react]
bundle_id = "com.example.call"
executable = "ExampleCall"
tokens = ["{tok:064x}"]
[[device.react.round]]
outcome = "in-time"
"#,
            fault = faults[i],
            tok = i + 1
        ));
    }
    t
}

#[test]
fn probe_all_three_phones_one_testsuite_each_and_one_leaves() {
    let f = Fixture::new(&farm(&["", "", "detach = [{ at = \"1500ms\" }]"]));
    let mut args: Vec<String> = [
        "--format",
        "junit",
        "probe",
        "--all",
        "-b",
        "com.example.call",
        "--rounds",
        "4",
        "--interval",
        "500ms",
        "--round-timeout",
        "3s",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut push = f.push_args();
    push.drain(..2);
    args.extend(push);
    for (i, u) in UDIDS.iter().enumerate() {
        args.push("--token".into());
        args.push(format!("{u}={:064x}", i + 1));
    }
    let out = f.voipctl(&args);
    let xml = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "a phone left: {xml}");
    assert_eq!(xml.matches("<testsuite ").count(), 3, "{xml}");
    for u in UDIDS {
        assert!(
            xml.contains(&format!("<testsuite name=\"voipctl probe {u}\"")),
            "{xml}"
        );
    }
    // The two that stayed: four passing rounds each.
    for u in &UDIDS[..2] {
        let suite = xml
            .split(&format!("<testsuite name=\"voipctl probe {u}\""))
            .nth(1)
            .unwrap();
        let suite = suite.split("</testsuite>").next().unwrap();
        assert!(suite.contains("tests=\"5\" failures=\"0\""), "{u}: {suite}");
    }
    // The one that left: its rounds so far, and a failing `device` case saying so.
    let gone = xml
        .split(&format!("<testsuite name=\"voipctl probe {}\"", UDIDS[2]))
        .nth(1)
        .unwrap();
    assert!(gone.contains("name=\"device\""), "{gone}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("went away mid-run"));
}

/// Issue 14: `probe --all --via signal` with one listener per phone (`--listen UDID=URL`): each
/// simulated phone's app keeps its VoIP socket to its own port, so each phone's wakes reach its
/// own app; one JUnit testsuite per phone, one phone detached mid-run.
#[test]
fn probe_all_via_signal_one_listener_per_phone() {
    let ports: Vec<u16> = (0..3)
        .map(|_| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        })
        .collect();
    let mut t = String::new();
    for (i, u) in UDIDS.iter().enumerate() {
        let fault = if i == 2 {
            "detach = [{ at = \"2500ms\" }]"
        } else {
            ""
        };
        t.push_str(&format!(
            r#"
[[device]]
udid = "{u}"
name = "Farm {i}"
[device.faults]
{fault}
[[device.app]]
bundle_id = "com.example.call"
executable = "ExampleCall"
background_modes = ["voip"]
[device.react]
bundle_id = "com.example.call"
executable = "ExampleCall"
running = true
signal = "tcp://127.0.0.1:{port}"
[[device.react.round]]
outcome = "in-time"
"#,
            port = ports[i]
        ));
    }
    let f = Fixture::new(&t);
    let mut args: Vec<String> = [
        "--format",
        "junit",
        "probe",
        "--all",
        "-b",
        "com.example.call",
        "--via",
        "signal",
        "--rounds",
        "4",
        "--interval",
        "500ms",
        "--round-timeout",
        "3s",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (u, p) in UDIDS.iter().zip(&ports) {
        args.push("--listen".into());
        args.push(format!("{u}=tcp://127.0.0.1:{p}"));
    }
    let out = f.voipctl(&args);
    let xml = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "a phone left: {xml}");
    assert_eq!(xml.matches("<testsuite ").count(), 3, "{xml}");
    let suite = |u: &str| -> String {
        xml.split(&format!("<testsuite name=\"voipctl probe {u}\""))
            .nth(1)
            .unwrap_or_else(|| panic!("no testsuite for {u}: {xml}"))
            .split("</testsuite>")
            .next()
            .unwrap()
            .to_string()
    };
    // The two that stayed: four rounds each, all reported through their own socket.
    for u in &UDIDS[..2] {
        let s = suite(u);
        assert!(s.contains("tests=\"5\" failures=\"0\""), "{u}: {s}");
    }
    let gone = suite(UDIDS[2]);
    assert!(gone.contains("name=\"device\""), "{gone}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("went away mid-run"));

    // The same rounds as JSON: each phone's rounds came over signal, and every round of the
    // phones that stayed passed (a wake sent to another phone's app would leave a round lost).
    let mut json_args = args.clone();
    json_args[0] = "--json".into();
    json_args.remove(1);
    // (The first simulator goes first: its apps would reconnect to the same ports.)
    drop(f);
    let f2 = Fixture::new(&t.replace("detach = [{ at = \"2500ms\" }]", ""));
    let out = f2.voipctl(&json_args);
    let rs = records(&out, "probe_round");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{:#?}",
        String::from_utf8_lossy(&out.stderr),
        rs.iter()
            .map(|r| (
                r["device"].clone(),
                r["round"].clone(),
                r["verdict"].clone(),
                r["diagnosis"].clone()
            ))
            .collect::<Vec<_>>()
    );
    for u in UDIDS {
        let mine: Vec<&serde_json::Value> = rs.iter().filter(|r| r["device"] == u).collect();
        assert_eq!(mine.len(), 4, "{u}: {rs:?}");
        assert!(
            mine.iter()
                .all(|r| r["via"] == "signal" && r["verdict"] == "reported"),
            "{u}: {mine:?}"
        );
    }
    // Without a listener per phone, --all --via signal says what to give.
    let out = f2.voipctl(&[
        "probe".into(),
        "--all".into(),
        "-b".into(),
        "com.example.call".into(),
        "--via".into(),
        "signal".into(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--listen UDID=tcp://HOST:PORT"));
}

#[test]
fn watch_all_tags_records_and_reports_leaving_and_joining() {
    let f = Fixture::new(&farm(&[
        "",
        "detach = [{ at = \"1s\", reattach = \"2s\" }]",
        "",
    ]));
    let out = watch(&f.sim.env_value(), &["--all"]);
    schema::validate(&String::from_utf8_lossy(&out.stdout));
    let recs: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Every phone's events carry its UDID, right after `type`.
    for u in UDIDS {
        assert!(
            recs.iter()
                .any(|r| r["type"] == "event" && r["device"] == u && r["rule"] == "marker.mark"),
            "{u}"
        );
    }
    let first_line = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(first_line.starts_with("{\"type\":"), "{first_line}");
    assert!(
        recs.iter()
            .any(|r| r["type"] == "device_left" && r["udid"] == UDIDS[1])
    );
    assert!(
        recs.iter()
            .any(|r| r["type"] == "device_joined" && r["udid"] == UDIDS[1])
    );
    let last = recs.last().unwrap();
    assert_eq!(
        (last["type"].as_str(), last["command"].as_str()),
        (Some("summary"), Some("watch --all"))
    );
    assert_eq!(last["devices"].as_array().unwrap().len(), 3);
}

/// The usbmuxd socket relayed over TCP (as `socat TCP-LISTEN,fork UNIX-CONNECT` does for a
/// remote farm): every device command works through it.
#[test]
fn simulated_phones_through_a_tcp_relay() {
    let f = Fixture::new(&farm(&["", "", ""]));
    let target = f.sim.env_value();
    let relay = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = relay.local_addr().unwrap();
    std::thread::spawn(move || {
        for c in relay.incoming() {
            let Ok(client) = c else { continue };
            let Ok(server) = std::net::TcpStream::connect(&target) else {
                continue;
            };
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut c1, mut s1) = (client, server);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c1, &mut s1);
                let _ = s1.shutdown(std::net::Shutdown::Both);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut s2, &mut c2);
                let _ = c2.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    let mut c = Command::new(env!("CARGO_BIN_EXE_voipctl"));
    c.args(["--json", "devices"])
        .env("USBMUXD_SOCKET_ADDRESS", addr.to_string())
        .stdin(Stdio::null());
    let out = run_limited(c, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for u in UDIDS {
        assert!(text.contains(u), "{text}");
    }
    // A probe through the relay, with the log stream and the pair record going over it too.
    let mut args: Vec<String> = [
        "--json",
        "probe",
        "-u",
        UDIDS[0],
        "-b",
        "com.example.call",
        "--rounds",
        "1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut push = f.push_args();
    push[1] = format!("{:064x}", 1);
    args.extend(push);
    let mut c = Command::new(env!("CARGO_BIN_EXE_voipctl"));
    c.args(&args)
        .env("USBMUXD_SOCKET_ADDRESS", addr.to_string())
        .stdin(Stdio::null());
    let out = run_limited(c, Duration::from_secs(60));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(rounds(&out)[0].verdict, "reported");
}

/// idevicesyslog text replayed through syslog_relay: `watch` sees what `analyze` sees in the file.
#[test]
fn replayed_idevicesyslog_text_reads_as_the_file_does() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/session-syslog.log");
    let analyzed = {
        let mut c = Command::new(env!("CARGO_BIN_EXE_voipctl"));
        c.args(["--json", "analyze", file]).stdin(Stdio::null());
        run_limited(c, Duration::from_secs(30))
    };
    let mut sim = Command::new(env!("CARGO_BIN_EXE_voipctl"))
        .args([
            "--json",
            "sim",
            "--duration",
            "30s",
            "--replay",
            file,
            "--speed",
            "200",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(sim.stdout.as_mut().unwrap()),
        &mut first_line,
    )
    .unwrap();
    let ready: serde_json::Value = serde_json::from_str(&first_line).unwrap();
    let watched = watch(ready["usbmuxd"].as_str().unwrap(), &["--syslog-relay"]);
    let _ = sim.kill();
    let _ = sim.wait();
    let (a, sa) = essence(&analyzed);
    let (w, sw) = essence(&watched);
    assert_eq!(a.len(), 14);
    assert_eq!(a, w);
    assert_eq!(sa["checks"], sw["checks"]);
}

/// Start `voipctl sim --replay FILE` and watch it (`extra`: watch options); the watch output.
fn watch_replay(file: &std::path::Path, extra: &[&str]) -> Output {
    let mut sim = Command::new(env!("CARGO_BIN_EXE_voipctl"))
        .args(["--json", "sim", "--duration", "30s", "--replay"])
        .arg(file)
        .args(["--speed", "200"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(sim.stdout.as_mut().unwrap()),
        &mut first_line,
    )
    .unwrap();
    let ready: serde_json::Value = serde_json::from_str(&first_line).unwrap();
    let watched = watch(ready["usbmuxd"].as_str().unwrap(), extra);
    let _ = sim.kill();
    let _ = sim.wait();
    watched
}

/// The events of a watch without their time text (which each format writes its own way).
fn events_untimed(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "event")
        .map(|v| {
            format!(
                "{} | {} | {} | {} | {} | {} | {}",
                v["line"],
                v["rule"],
                v["family"],
                v["app"],
                v["process"],
                v["summary"],
                v["message"]
            )
        })
        .collect()
}

/// Issue 14: a pymobiledevice3 `syslog live --format json` file replayed through the simulated
/// phone gives `watch` the same events as the idevicesyslog text of the same lines.
///
/// The lines are the real iOS 14.2 session of github.com/dotnet/macios/issues/10086 (an app
/// resumed, bootstrapped, then killed by the watchdog), taken from the corpus at test time: every
/// corpus line of that source, in the corpus's order. The JSON objects carry the field names
/// pymobiledevice3 writes, from `format_json_line` in `pymobiledevice3/cli/syslog.py`
/// (github.com/doronz88/pymobiledevice3, read in release 11.45.0): `pid`, `procid`, `thread_id`,
/// `timestamp` (`datetime.isoformat()`: local time, no zone, and no fraction when the
/// microseconds are 0, as here), `level` (the `SyslogLogLevel` name, `NOTICE`), `image_name`,
/// `image_offset`, `image_uuid`, `process_image_uuid`, `filename`, `mach_timestamp`, `message`
/// and `label` (`null`, or `{subsystem, category}`). idevicesyslog shows the process and image
/// names only, so `filename` and `image_name` hold those names (pymobiledevice3 writes paths,
/// whose last component is the name); the year (2020) is the issue's.
#[test]
fn replayed_pymobiledevice3_json_reads_as_the_idevicesyslog_text() {
    let corpus = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/ios-log-corpus.jsonl"
    );
    let re = regex::Regex::new(
        r"^(\w{3}) +(\d+) (\d\d:\d\d:\d\d) (\S+) ([^\s(\[]+)(?:\(([^)]+)\))?\[(\d+)\] <(\w+)>: (.*)$",
    )
    .unwrap();
    let mut text = String::new();
    let mut json = String::new();
    for l in std::fs::read_to_string(corpus).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        if v["source"] != "https://github.com/dotnet/macios/issues/10086"
            || !v["style"]
                .as_str()
                .unwrap_or("")
                .starts_with("idevicesyslog")
        {
            continue;
        }
        let line = v["line"].as_str().unwrap();
        let c = re
            .captures(line)
            .unwrap_or_else(|| panic!("not idevicesyslog: {line}"));
        assert_eq!(&c[1], "Nov");
        assert_eq!(&c[8], "Notice");
        let pid: u32 = c[7].parse().unwrap();
        let process = &c[5];
        let image = c.get(6).map_or(process, |m| m.as_str());
        text.push_str(line);
        text.push('\n');
        let obj = serde_json::json!({
            "pid": pid,
            "procid": pid,
            "thread_id": null,
            "timestamp": format!("2020-11-{:02}T{}", c[2].parse::<u32>().unwrap(), &c[3]),
            "level": "NOTICE",
            "image_name": image,
            "image_offset": 0,
            "image_uuid": null,
            "process_image_uuid": null,
            "filename": process,
            "mach_timestamp": 0,
            "message": &c[9],
            "label": null,
        });
        json.push_str(&obj.to_string());
        json.push('\n');
    }
    assert!(text.lines().count() >= 30, "{text}");
    let dir = tempfile::tempdir().unwrap();
    let text_file = dir.path().join("ipad.log");
    let json_file = dir.path().join("ipad.jsonl");
    std::fs::write(&text_file, &text).unwrap();
    std::fs::write(&json_file, &json).unwrap();
    // Both through syslog_relay (the text idevicesyslog reads) and the JSON through
    // os_trace_relay too (pymobiledevice3's own source).
    let from_text = events_untimed(&watch_replay(&text_file, &["--syslog-relay"]));
    let from_json = events_untimed(&watch_replay(&json_file, &["--syslog-relay"]));
    let from_json_ostrace = events_untimed(&watch_replay(&json_file, &[]));
    assert!(
        from_text.iter().any(|e| e.contains("\"launch\""))
            && from_text.iter().any(|e| e.contains("\"exit\""))
            && from_text.iter().any(|e| e.contains("\"resume\"")),
        "{from_text:#?}"
    );
    assert_eq!(from_text, from_json);
    assert_eq!(from_text, from_json_ostrace);
}
