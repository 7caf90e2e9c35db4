//! The device commands and the simulated iPhone, end to end: voipctl's `devices`, `info`, `apps`
//! and `sim` run as real processes against an in-process simulator (every fault → a clear error,
//! exit code 4, no hang), the live-log library API against the same simulator, and the
//! third-party clients (libimobiledevice tools, pymobiledevice3) against it too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;
#[path = "support/schema.rs"]
mod schema;

use serde::Deserialize;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use voipctl::device::{self, DeviceError, MuxAddr, Selector};
use voipctl::sim::{self, Scenario, Sim};

const UDID: &str = "00008110-000A1B2C3D4E5F6A";
const UDID2: &str = "00008110-001C2D3E4F5A6B7C";

/// A simulator running on its own runtime for the length of a test.
struct Fixture {
    sim: Sim,
    rt: tokio::runtime::Runtime,
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
        Fixture { sim, rt }
    }

    fn one(faults: &str) -> Fixture {
        Fixture::new(&format!(
            "[[device]]\nudid = \"{UDID}\"\nname = \"Test iPhone\"\n{faults}\n{APPS}\n"
        ))
    }

    fn env(&self) -> String {
        self.sim.env_value()
    }

    fn voipctl(&self, args: &[&str]) -> Output {
        let mut c = common::voipctl();
        c.args(args)
            .env("USBMUXD_SOCKET_ADDRESS", self.env())
            .env("NO_COLOR", "1");
        run(c, Duration::from_secs(60))
    }
}

const APPS: &str = r#"
[[device.app]]
bundle_id = "com.example.call"
name = "Example Call"
version = "7.1.0"
build = "7100"
background_modes = ["audio", "voip"]
signer = "Apple Development: QA"
entitlements = { "aps-environment" = "production" }
[[device.app]]
bundle_id = "com.example.chat"
name = "Chat"
background_modes = ["remote-notification"]
[[device.app]]
bundle_id = "com.example.notes"
[[device.log]]
at = "0s"
process = "callservicesd"
pid = 112
message = "Incoming message has topic: com.example.call.voip bundleID: com.example.call"
repeat = 3
every = "100ms"
"#;

/// Run a command with no stdin, a time limit, and captured output.
fn run(mut c: Command, limit: Duration) -> Output {
    c.stdin(Stdio::null());
    let desc = format!("{c:?}");
    let (out, killed) = common::output_within(c, limit);
    assert!(!killed, "{desc} did not finish within {limit:?}");
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tool(name: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !found {
        // In CI the peer is installed by .ci/run: a missing one is a failure, not a skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is not installed, but CI must run this interop test (.ci/run installs it)"
        );
        eprintln!("skipping: {name} is not installed (.ci/run installs it)");
    }
    found
}

// ---- JSON pinned with test-side types ---------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceJson {
    #[serde(rename = "type")]
    kind: String,
    udid: String,
    name: Option<String>,
    model: Option<String>,
    ios: Option<String>,
    build: Option<String>,
    connection: String,
    address: Option<String>,
    device_id: u32,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SummaryJson {
    #[serde(rename = "type")]
    kind: String,
    schema_version: u32,
    outcome: String,
    command: String,
    devices: usize,
    failed: usize,
    apps: Option<usize>,
    events: Option<usize>,
    checks_failed: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppJson {
    #[serde(rename = "type")]
    kind: String,
    udid: String,
    bundle_id: String,
    name: Option<String>,
    version: Option<String>,
    build: Option<String>,
    background_modes: Vec<String>,
    voip: bool,
    entitlements: serde_json::Map<String, serde_json::Value>,
    path: Option<String>,
    signer: Option<String>,
    app_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InfoJson {
    #[serde(rename = "type")]
    kind: String,
    udid: String,
    domain: Option<String>,
    values: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValueJson {
    #[serde(rename = "type")]
    kind: String,
    udid: String,
    key: String,
    domain: Option<String>,
    value: serde_json::Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventJson {
    #[serde(rename = "type")]
    kind: String,
    event: String,
    udid: Option<String>,
    device_id: u32,
    connection: Option<String>,
    time: String,
}

fn lines(o: &Output) -> Vec<serde_json::Value> {
    schema::validate(&text(&o.stdout));
    text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn as_<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{e}: {v}"))
}

// ---- devices / info / apps ----------------------------------------------------------------------

#[test]
fn devices_lists_the_simulated_iphone() {
    let f = Fixture::one("");
    let o = f.voipctl(&["devices"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.starts_with("UDID "), "{out}");
    assert!(
        out.contains(UDID) && out.contains("Test iPhone") && out.contains("17.5.1"),
        "{out}"
    );

    let o = f.voipctl(&["devices", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let l = lines(&o);
    assert_eq!(l.len(), 2);
    let d: DeviceJson = as_(&l[0]);
    assert_eq!(d.kind, "device");
    assert_eq!(d.udid, UDID);
    assert_eq!(d.name.as_deref(), Some("Test iPhone"));
    assert_eq!(d.model.as_deref(), Some("iPhone14,5"));
    assert_eq!(d.ios.as_deref(), Some("17.5.1"));
    assert_eq!(d.build.as_deref(), Some("21F90"));
    assert_eq!(d.connection, "usb");
    assert!(d.address.is_none() && d.error.is_none() && d.device_id > 0);
    let s: SummaryJson = as_(&l[1]);
    assert_eq!(
        (
            s.kind.as_str(),
            s.schema_version,
            s.outcome.as_str(),
            s.command.as_str()
        ),
        ("summary", 3, "ok", "devices")
    );
    assert_eq!((s.devices, s.failed, s.apps, s.events), (1, 0, None, None));
}

#[test]
fn info_reads_every_value_and_one_key() {
    let f = Fixture::one("");
    let o = f.voipctl(&["info", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let l = lines(&o);
    let i: InfoJson = as_(&l[0]);
    assert_eq!((i.kind.as_str(), i.udid.as_str()), ("device_info", UDID));
    assert!(i.domain.is_none());
    assert_eq!(i.values["UniqueDeviceID"], UDID);
    assert_eq!(i.values["ProductVersion"], "17.5.1");
    let _: SummaryJson = as_(&l[1]);

    let o = f.voipctl(&["info", "--key", "ProductVersion"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o.stdout), "17.5.1\n");

    let o = f.voipctl(&["info", "-k", "DeviceName", "--json"]);
    let v: ValueJson = as_(&lines(&o)[0]);
    assert_eq!(
        (v.kind.as_str(), v.udid.as_str(), v.key.as_str()),
        ("device_value", UDID, "DeviceName")
    );
    assert_eq!(
        (v.value, v.domain),
        (serde_json::json!("Test iPhone"), None)
    );

    let o = f.voipctl(&["info", "-k", "NoSuchKey"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(
        text(&o.stderr).contains("MissingValue"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn apps_lists_background_modes_and_filters_voip() {
    let f = Fixture::one("");
    let o = f.voipctl(&["apps", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let l = lines(&o);
    assert_eq!(l.len(), 4);
    let a: AppJson = as_(&l[0]);
    assert_eq!((a.kind.as_str(), a.udid.as_str()), ("app", UDID));
    assert_eq!(a.bundle_id, "com.example.call");
    assert_eq!(a.name.as_deref(), Some("Example Call"));
    assert_eq!(
        (a.version.as_deref(), a.build.as_deref()),
        (Some("7.1.0"), Some("7100"))
    );
    assert_eq!(a.background_modes, ["audio", "voip"]);
    assert!(a.voip);
    assert_eq!(a.entitlements["aps-environment"], "production");
    assert!(
        a.path
            .as_deref()
            .is_some_and(|p| p.ends_with("/ExampleCall.app"))
    );
    assert_eq!(a.signer.as_deref(), Some("Apple Development: QA"));
    assert_eq!(a.app_type.as_deref(), Some("User"));
    let s: SummaryJson = as_(&l[3]);
    assert_eq!((s.apps, s.devices), (Some(3), 1));

    let o = f.voipctl(&["apps", "--voip"]);
    assert_eq!(o.status.code(), Some(0));
    let out = text(&o.stdout);
    assert!(
        out.contains("com.example.call") && !out.contains("com.example.chat"),
        "{out}"
    );
    assert!(out.contains("1 device, 1 app"), "{out}");
}

fn two_devices() -> Fixture {
    Fixture::new(&format!(
        "[[device]]\nudid = \"{UDID}\"\n{APPS}\n[[device]]\nudid = \"{UDID2}\"\nname = \"Second\"\nconnection = \"both\"\naddress = \"192.168.7.9\"\n"
    ))
}

#[test]
fn several_devices_need_a_choice_and_all_runs_on_each() {
    let f = two_devices();
    let o = f.voipctl(&["info", "-k", "DeviceName"]);
    assert_eq!(o.status.code(), Some(4));
    let err = text(&o.stderr);
    assert!(
        err.contains("pass -u UDID") && err.contains(UDID) && err.contains(UDID2),
        "{err}"
    );

    let o = f.voipctl(&["info", "-k", "DeviceName", "-u", UDID2]);
    assert_eq!(text(&o.stdout), "Second\n");
    // The serial without the dash (as some tools print it) selects the same device.
    let o = f.voipctl(&["info", "-k", "DeviceName", "-u", &UDID2.replace('-', "")]);
    assert_eq!(text(&o.stdout), "Second\n");

    let o = f.voipctl(&["devices", "--json"]);
    let l = lines(&o);
    let devs: Vec<DeviceJson> = l[..3].iter().map(as_).collect();
    assert_eq!(devs.iter().filter(|d| d.connection == "network").count(), 1);
    let net = devs.iter().find(|d| d.connection == "network").unwrap();
    assert_eq!(
        (net.udid.as_str(), net.address.as_deref()),
        (UDID2, Some("192.168.7.9"))
    );

    let o = f.voipctl(&["info", "-n", "-k", "DeviceName"]);
    assert_eq!(text(&o.stdout), "Second\n", "{}", text(&o.stderr));
    let o = f.voipctl(&["devices", "-n"]);
    let out = text(&o.stdout);
    assert!(
        out.contains(UDID2) && !out.contains(UDID) && out.contains("network 192.168.7.9"),
        "{out}"
    );

    let o = f.voipctl(&["apps", "--all", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let s: SummaryJson = as_(lines(&o).last().unwrap());
    assert_eq!((s.devices, s.apps), (2, Some(3)));

    let o = f.voipctl(&["info", "--all", "-k", "UniqueDeviceID"]);
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!("{UDID} {UDID}")) && out.contains(&format!("{UDID2} {UDID2}")),
        "{out}"
    );
}

#[test]
fn no_device_and_no_usbmuxd_say_how_to_fix_it() {
    let f = Fixture::one("");
    assert!(f.sim.detach(UDID));
    let o = f.voipctl(&["devices"]);
    assert_eq!(o.status.code(), Some(4));
    let err = text(&o.stderr);
    assert!(
        err.contains("none is attached") && err.contains("tap Trust"),
        "{err}"
    );
    let o = f.voipctl(&["info", "-u", UDID]);
    assert_eq!(o.status.code(), Some(4));
    assert!(
        text(&o.stderr).contains("is not attached"),
        "{}",
        text(&o.stderr)
    );

    // A phone on Wi-Fi only: found with -n, and the error without it says so.
    let f = Fixture::new(&format!(
        "[[device]]\nudid = \"{UDID2}\"\nconnection = \"network\"\n"
    ));
    let o = f.voipctl(&["info", "-k", "UniqueDeviceID"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(text(&o.stderr).contains("add -n"), "{}", text(&o.stderr));
    let o = f.voipctl(&["info", "-n", "-k", "UniqueDeviceID"]);
    assert_eq!(text(&o.stdout), format!("{UDID2}\n"), "{}", text(&o.stderr));

    // Nothing listens on a port we just closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let o = run(
        {
            let mut c = common::voipctl();
            c.args(["devices", "--usbmuxd", &port.to_string()]);
            c
        },
        Duration::from_secs(30),
    );
    assert_eq!(o.status.code(), Some(4));
    let err = text(&o.stderr);
    assert!(
        err.contains("nothing is listening") && err.contains("USBMUXD_SOCKET_ADDRESS"),
        "{err}"
    );

    let o = run(
        {
            let mut c = common::voipctl();
            c.args(["devices"])
                .env("USBMUXD_SOCKET_ADDRESS", "host:notaport");
            c
        },
        Duration::from_secs(30),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
}

#[test]
fn each_fault_is_a_clear_error_with_exit_4() {
    for (faults, needle) in [
        ("locked = true", "unlock it"),
        ("pairing = \"pending\"", "tap Trust"),
        ("pairing = \"denied\"", "Don't Trust"),
        ("pairing = \"invalid-host\"", "idevicepair unpair"),
        ("pairing = \"none\"", "not paired"),
        (
            "malformed = \"lockdown\"",
            "unexpected reply from the device",
        ),
        (
            "malformed = \"installation-proxy\"",
            "unexpected reply from the device",
        ),
    ] {
        let f = Fixture::one(&format!("[device.faults]\n{faults}\n"));
        let cmd: &[&str] = if faults.contains("installation") {
            &["apps"]
        } else {
            &["info"]
        };
        let o = f.voipctl(cmd);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(4), "{faults}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(needle),
            "{faults}: {err}"
        );
        assert!(o.stdout.is_empty(), "{faults}");
    }
}

#[test]
fn slow_and_malformed_replies_do_not_hang() {
    let f = Fixture::one("[device.faults]\nslow = \"60s\"\n");
    let started = Instant::now();
    let o = f.voipctl(&["info", "--timeout", "1"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(
        text(&o.stderr).contains("no answer after 1s"),
        "{}",
        text(&o.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(30));

    let f = Fixture::one("[device.faults]\nmalformed = \"usbmuxd\"\n");
    let o = f.voipctl(&["devices"]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("read the device list"),
        "{}",
        text(&o.stderr)
    );
}

#[cfg(unix)]
#[test]
fn sigterm_during_a_slow_device_exits_130_at_once() {
    let f = Fixture::one("[device.faults]\nslow = \"120s\"\n");
    let child = Killed(
        common::voipctl()
            .args(["info", "--timeout", "100"])
            .env("USBMUXD_SOCKET_ADDRESS", f.env())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while f.sim.lockdown_requests() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "voipctl never reached lockdownd"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut child = child;
    Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
}

fn read_json_line(r: &mut impl BufRead) -> serde_json::Value {
    let mut l = String::new();
    r.read_line(&mut l).unwrap();
    serde_json::from_str(&l).unwrap_or_else(|e| panic!("{e}: {l:?}"))
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn devices_watch_streams_detach_and_reattach() {
    let f = Fixture::one("");
    let mut child = Killed(
        common::voipctl()
            .args(["devices", "--watch", "--json", "--duration", "60"])
            .env("USBMUXD_SOCKET_ADDRESS", f.env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let d: DeviceJson = as_(&read_json_line(&mut out));
    assert_eq!(d.udid, UDID);
    // Wait until the watcher's Listen connection is open before pulling the cable.
    let start = Instant::now();
    while f.sim.listen_clients() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the watcher never listened"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    f.sim.detach(UDID);
    let e: EventJson = as_(&read_json_line(&mut out));
    assert_eq!(
        (e.kind.as_str(), e.event.as_str(), e.udid.as_deref()),
        ("device_event", "detached", Some(UDID))
    );
    assert_eq!(e.device_id, d.device_id);
    assert!(e.time.ends_with('Z') && e.connection.as_deref() == Some("usb"));
    f.sim.attach(UDID);
    let e: EventJson = as_(&read_json_line(&mut out));
    assert_eq!(
        (e.event.as_str(), e.udid.as_deref()),
        ("attached", Some(UDID))
    );
    assert_ne!(e.device_id, d.device_id);
}

// ---- the live-log library API -------------------------------------------------------------------

/// Run a library-level check on the fixture's runtime, within a minute.
fn bounded(f: &Fixture, fut: impl std::future::Future<Output = ()>) {
    f.rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(60), fut)
            .await
            .unwrap_or_else(|_| panic!("did not finish within a minute"));
    });
}

fn selector(f: &Fixture) -> Selector {
    let mut s = Selector::new(MuxAddr::parse(&f.env()).unwrap());
    s.timeout = Duration::from_secs(20);
    s
}

#[test]
fn syslog_stream_reports_a_detach_and_resumes_after_reattach() {
    let f = Fixture::new(&format!(
        r#"
clock = "launch"
[[device]]
udid = "{UDID}"
name = "Live Phone"
faults = {{ detach = [{{ at = "1.5s", reattach = "2s" }}] }}
[[device.log]]
at = "0.5s"
process = "SpringBoard"
pid = 57
image = "FrontBoard"
message = "Bootstrapping app<com.example.call> with intent foreground-interactive"
[[device.log]]
at = "2.5s"
process = "ExampleCall"
pid = 601
message = "after the reattach"
"#
    ));
    let sel = selector(&f);
    bounded(&f, async {
        let dev = device::select(&sel).await.unwrap();
        let mut s = dev.syslog().await.unwrap();
        let line = s.next().await.unwrap();
        assert!(
            line.contains(
                " Live-Phone SpringBoard(FrontBoard)[57] <Notice>: Bootstrapping app<com.example.call>"
            ),
            "{line}"
        );
        let e = s.next().await.unwrap_err();
        assert!(e.is_disconnect(), "{e}");
        let dev = device::live::wait_attached(&sel, UDID, Duration::from_secs(20))
            .await
            .unwrap();
        let mut s = dev.syslog().await.unwrap();
        let line = s.next().await.unwrap();
        assert!(
            line.ends_with("ExampleCall[601] <Notice>: after the reattach"),
            "{line}"
        );
    });
}

#[test]
fn os_trace_stream_decodes_entries_and_survives_bad_ones() {
    let f = Fixture::new(&format!(
        r#"
[[device]]
udid = "{UDID}"
faults = {{ malformed = "os-trace" }}
[[device.log]]
at = "0s"
process = "callservicesd"
pid = 112
level = "Error"
subsystem = "com.apple.calls"
category = "voip"
message = "entry"
repeat = 6
every = "10ms"
"#
    ));
    let sel = selector(&f);
    bounded(&f, async {
        let dev = device::select(&sel).await.unwrap();
        let mut s = dev.os_trace(None).await.unwrap();
        let mut good = 0;
        let mut bad = 0;
        for _ in 0..6 {
            match s.next().await.unwrap() {
                Ok(e) => {
                    assert_eq!(
                        (e.pid, e.process(), e.message.as_str()),
                        (112, "callservicesd", "entry")
                    );
                    assert_eq!(e.level, device::ostrace::Level::Error);
                    assert_eq!(e.subsystem.as_deref(), Some("com.apple.calls"));
                    good += 1;
                }
                Err(_) => bad += 1,
            }
        }
        assert_eq!((good, bad), (4, 2));
    });
}

#[test]
fn many_concurrent_clients_are_served() {
    // A line every 100 ms for a minute: every log client gets one however late it connects.
    let f = Fixture::one(
        "[[device.log]]\nat = 0\nprocess = \"callservicesd\"\npid = 112\nmessage = \"Incoming message has topic: com.example.call.voip bundleID: com.example.call\"\nrepeat = 600\nevery = \"100ms\"\n",
    );
    let sel = selector(&f);
    bounded(&f, async {
        let dev = device::select(&sel).await.unwrap();
        // Sessions, app lists, log streams and Listen connections all at once.
        let sessions = (0..24).map(|_| dev.values(Some("DeviceName"), None));
        let apps = (0..8).map(|_| dev.browse_apps(device::apps::AppKind::User, None, None));
        let logs = (0..4).map(|_| async {
            let mut s = dev.syslog().await.unwrap();
            s.next().await.unwrap()
        });
        let watchers = (0..4).map(|_| device::live::Watcher::start(&sel));
        let (v, a, l, w) = futures_util::future::join4(
            futures_util::future::join_all(sessions),
            futures_util::future::join_all(apps),
            futures_util::future::join_all(logs),
            futures_util::future::join_all(watchers),
        )
        .await;
        for r in v {
            assert_eq!(r.unwrap().as_string(), Some("Test iPhone"));
        }
        for r in a {
            assert_eq!(r.unwrap().len(), 3);
        }
        for line in l {
            assert!(
                line.contains("Incoming message has topic: com.example.call.voip"),
                "{line}"
            );
        }
        assert!(w.iter().all(Result::is_ok));
    });
}

#[test]
fn library_errors_are_typed() {
    let f = Fixture::one("[device.faults]\nlocked = true\n");
    let sel = selector(&f);
    bounded(&f, async {
        let dev = device::select(&sel).await.unwrap();
        // Basic values need no session: they work on a locked phone.
        let v = dev.basic_values().await.unwrap();
        assert_eq!(
            v.get("PasswordProtected").and_then(|b| b.as_boolean()),
            Some(true)
        );
        match dev.syslog().await {
            Err(DeviceError::Locked { udid }) => assert_eq!(udid, UDID),
            other => panic!("{other:?}"),
        }
    });
}

// ---- check --device -------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceCheckJson {
    #[serde(rename = "type")]
    kind: String,
    udid: String,
    bundle: String,
    result: String,
    errors: usize,
    warnings: usize,
    not_checked: usize,
}

const DEV_SIGNED: &str = r#"
[[device.app]]
bundle_id = "com.example.call"
name = "Example Call"
executable = "ExampleCall"
background_modes = ["audio", "voip"]
info = { DTSDKName = "iphoneos17.5", NSMicrophoneUsageDescription = "calls" }
entitlements = { "aps-environment" = "development", "get-task-allow" = true, "application-identifier" = "ABCDE12345.com.example.call", "com.apple.developer.team-identifier" = "ABCDE12345" }
"#;

#[test]
fn check_device_runs_the_preflight_on_the_installed_build() {
    let f = Fixture::new(&format!("[[device]]\nudid = \"{UDID}\"\n{DEV_SIGNED}"));
    let o = f.voipctl(&["check", "--device", "-b", "com.example.call", "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let l = lines(&o);
    let ids: Vec<&str> = l
        .iter()
        .filter(|v| v["type"] == "finding")
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert!(!ids.is_empty());
    assert!(
        l.iter()
            .any(|v| v["type"] == "finding"
                && v["message"].as_str().unwrap().contains("get-task-allow")),
        "{l:?}"
    );
    let s = l.last().unwrap();
    assert_eq!(
        (
            s["type"].as_str(),
            s["source"].as_str(),
            s["outcome"].as_str()
        ),
        (Some("summary"), Some("device"), Some("failed"))
    );
    assert!(
        s["not_checked"].as_array().is_some_and(|a| !a.is_empty()),
        "{s}"
    );

    // The same build is fine for development.
    let o = f.voipctl(&[
        "check",
        "--device",
        "-b",
        "com.example.call",
        "--distribution",
        "development",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(
        text(&o.stdout).contains("PASS com.example.call on"),
        "{}",
        text(&o.stdout)
    );

    let o = f.voipctl(&["check", "--device", "-b", "com.example.missing"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(
        text(&o.stderr).contains("it is not installed"),
        "{}",
        text(&o.stderr)
    );

    let o = f.voipctl(&["check", "--device"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn check_device_all_reports_each_device() {
    let f = Fixture::new(&format!(
        "[[device]]\nudid = \"{UDID}\"\n{DEV_SIGNED}\n[[device]]\nudid = \"{UDID2}\"\n"
    ));
    let o = f.voipctl(&[
        "check",
        "--device",
        "-b",
        "com.example.call",
        "--all",
        "--json",
        "--distribution",
        "development",
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o.stderr));
    let l = lines(&o);
    let c: DeviceCheckJson = as_(l.iter().find(|v| v["type"] == "device_check").unwrap());
    assert_eq!(
        (
            c.kind.as_str(),
            c.udid.as_str(),
            c.bundle.as_str(),
            c.result.as_str()
        ),
        ("device_check", UDID, "com.example.call", "pass")
    );
    assert_eq!(c.errors, 0);
    assert!(c.warnings <= 2, "{c:?}");
    assert!(c.not_checked > 0);
    let e = l.iter().find(|v| v["type"] == "device_error").unwrap();
    assert_eq!(e["udid"], UDID2);
    let s: SummaryJson = as_(l.last().unwrap());
    assert_eq!(
        (s.command.as_str(), s.devices, s.failed, s.checks_failed),
        ("check --device", 2, 1, Some(0))
    );
}

// ---- voipctl sim --------------------------------------------------------------------------------

#[test]
fn sim_command_prints_the_address_first_and_serves_it() {
    let mut child = Killed(
        common::voipctl()
            .args(["sim", "pushkit-callkit", "--duration", "60"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let addr = first
        .trim()
        .strip_prefix("USBMUXD_SOCKET_ADDRESS=")
        .unwrap_or_else(|| panic!("{first}"));
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let mut c = common::voipctl();
    c.args(["apps", "--voip", "--json"])
        .env("USBMUXD_SOCKET_ADDRESS", addr);
    let o = run(c, Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let a: AppJson = as_(&lines(&o)[0]);
    assert_eq!(a.bundle_id, "com.example.call");
}

#[test]
fn sim_json_ready_record_and_bad_scenarios() {
    let mut c = common::voipctl();
    c.args(["sim", "--json", "--duration", "0.2"]);
    let o = run(c, Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let l = lines(&o);
    assert_eq!(l[0]["type"], "sim_ready");
    assert!(
        l[0]["env"]
            .as_str()
            .unwrap()
            .starts_with("USBMUXD_SOCKET_ADDRESS=127.0.0.1:")
    );
    assert_eq!(l[0]["devices"][0], sim::DEFAULT_UDID);
    assert_eq!(l[1]["type"], "summary");

    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.toml");
    std::fs::write(&p, "[[device]]\nudid = \"x\"\nlocked = true\n").unwrap();
    let mut c = common::voipctl();
    c.args(["sim", p.to_str().unwrap()]);
    let o = run(c, Duration::from_secs(30));
    assert_eq!(o.status.code(), Some(3));
    assert!(
        text(&o.stderr).contains("unknown field"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn shipped_scenarios_parse() {
    for (name, text) in sim::BUILTIN {
        let s = Scenario::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            !s.devices[0].apps.is_empty()
                && (!s.devices[0].log.is_empty() || s.devices[0].react.is_some()),
            "{name}"
        );
    }
}

#[cfg(unix)]
#[test]
fn unix_socket_address_forms_work() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usbmuxd");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _sim = rt
        .block_on(sim::start_on(
            Scenario::single(UDID),
            sim::Listen::Unix(path.clone()),
        ))
        .unwrap();
    for form in [
        format!("UNIX:{}", path.display()),
        path.display().to_string(),
    ] {
        let mut c = common::voipctl();
        c.args(["info", "-k", "UniqueDeviceID", "--usbmuxd", &form]);
        let o = run(c, Duration::from_secs(60));
        assert_eq!(
            text(&o.stdout),
            format!("{UDID}\n"),
            "{form}: {}",
            text(&o.stderr)
        );
    }
}

// ---- third-party clients against the simulator --------------------------------------------------

fn tool_output(f: &Fixture, prog: &str, args: &[&str]) -> Output {
    let mut c = Command::new(prog);
    c.args(args).env("USBMUXD_SOCKET_ADDRESS", f.env());
    run(c, Duration::from_secs(120))
}

#[test]
fn libimobiledevice_tools_work_against_the_sim() {
    if !tool("idevice_id") {
        return;
    }
    let f = Fixture::one("");
    let o = tool_output(&f, "idevice_id", &["-l"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o.stdout).trim(), UDID);

    let o = tool_output(&f, "ideviceinfo", &["-u", UDID]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!("UniqueDeviceID: {UDID}")) && out.contains("DeviceName: Test iPhone"),
        "{out}"
    );
    let o = tool_output(&f, "ideviceinfo", &["-u", UDID, "-k", "ProductVersion"]);
    assert_eq!(text(&o.stdout), "17.5.1\n");

    if tool("ideviceinstaller") {
        let o = tool_output(&f, "ideviceinstaller", &["-u", UDID, "-l"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let out = text(&o.stdout);
        assert!(
            out.contains("com.example.call, \"7100\", \"Example Call\""),
            "{out}"
        );
        assert!(out.contains("com.example.chat"), "{out}");
    }
}

#[test]
fn idevicesyslog_receives_the_scenario_lines() {
    if !tool("idevicesyslog") {
        return;
    }
    let f = Fixture::one("");
    // idevicesyslog's stdout is a pipe here: unbuffer it so lines arrive as they are logged.
    let mut child = Killed(
        Command::new("stdbuf")
            .args(["-o0", "idevicesyslog", "-u", UDID])
            .env("USBMUXD_SOCKET_ADDRESS", f.env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let out = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = 0;
    while seen < 3 {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("saw {seen} lines: {e}"));
        if line.contains("callservicesd[112] <Notice>: Incoming message has topic: com.example.call.voip bundleID: com.example.call") {
            seen += 1;
        }
    }
}

#[test]
fn pymobiledevice3_works_against_the_sim() {
    if !tool("pymobiledevice3") {
        return;
    }
    let f = Fixture::one("");
    let o = tool_output(&f, "pymobiledevice3", &["usbmux", "list"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o.stdout)));
    assert_eq!(v[0]["UniqueDeviceID"], UDID);
    assert_eq!(v[0]["ConnectionType"], "USB");

    let o = tool_output(&f, "pymobiledevice3", &["lockdown", "info", "--udid", UDID]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o.stdout)));
    assert_eq!(v["DeviceName"], "Test iPhone");

    let o = tool_output(&f, "pymobiledevice3", &["apps", "list", "--udid", UDID]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o.stdout)));
    assert_eq!(v["com.example.call"]["UIBackgroundModes"][1], "voip");
}

// ---- crash reports: com.apple.crashreportmover + com.apple.crashreportcopymobile (AFC) -----------

/// A phone with two crash reports from the start (clock = launch): an iOS 15+ `.ips` of a
/// CallKit-enforcement kill and a legacy `.crash` of a SIGSEGV.
fn crash_phone(faults: &str) -> Fixture {
    Fixture::new(&format!(
        r#"
clock = "launch"
[[device]]
udid = "{UDID}"
{faults}
[[device.crash]]
at = "0s"
process = "ExampleCall"
bundle_id = "com.example.call"
pid = 601
signal = "SIGKILL"
termination_namespace = "FRONTBOARD"
termination_code = 0xbaadca11
# the iOS 17.4.1 form (hiennguyen92/flutter_callkit_incoming#522)
reasons = ["<RBSTerminateContext| domain:10 code:0xBAADCA11 explanation:<no explanation given> reportType:CrashLog maxTerminationResistance:Interactive>"]
[[device.crash]]
at = "0s"
process = "LegacyPhone"
bundle_id = "com.example.legacyphone"
pid = 412
format = "crash"
exception_type = "EXC_BAD_ACCESS"
signal = "SIGSEGV"
exception_codes = "KERN_INVALID_ADDRESS at 0x0000000000000010"
termination_namespace = "SIGNAL"
termination_code = 11
termination_indicator = "Segmentation fault: 11"
"#
    ))
}

fn parse_report(path: &std::path::Path) -> voipctl::crash::CrashReport {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path.file_name().and_then(|n| n.to_str());
    voipctl::crash::parse(&bytes, name).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn reports_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

#[test]
fn crash_report_library_lists_reads_and_finds_the_report() {
    use voipctl::device::afc::{op, status};
    use voipctl::device::crash::{CrashQuery, find_crash};
    let f = crash_phone("");
    bounded(&f, async {
        let dev = device::select(&selector(&f)).await.unwrap();
        dev.flush_crash_reports().await.unwrap();
        let mut dir = dev.crash_reports().await.unwrap();
        let names = dir.list("/").await.unwrap();
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(names.contains(&"Retired".to_string()));
        let ips = names.iter().find(|n| n.ends_with(".ips")).unwrap().clone();
        assert!(ips.starts_with("ExampleCall-"), "{ips}");
        let info = dir.info(&format!("/{ips}")).await.unwrap();
        assert!(!info.is_dir && info.size > 500, "{info:?}");
        assert!(dir.info("/Retired").await.unwrap().is_dir);
        let bytes = dir.read(&format!("/{ips}"), 1 << 20).await.unwrap();
        assert_eq!(bytes.len() as u64, info.size);
        // Errors come back as AFC status codes, and the connection goes on.
        match dir.info("/nope.ips").await {
            Err(DeviceError::Afc { code, .. }) => assert_eq!(code, status::OBJECT_NOT_FOUND),
            other => panic!("{other:?}"),
        }
        match dir.request(0x30, &[], op::DATA).await {
            Err(DeviceError::Afc { code, .. }) => assert_eq!(code, status::OP_NOT_SUPPORTED),
            other => panic!("{other:?}"),
        }
        match dir.request(op::MAKE_DIR, b"/x", op::STATUS).await {
            Err(DeviceError::Afc { code, .. }) => assert_eq!(code, status::PERM_DENIED),
            other => panic!("{other:?}"),
        }
        let mut open = 2u64.to_le_bytes().to_vec();
        open.extend_from_slice(format!("/{ips}").as_bytes());
        match dir.request(op::FILE_OPEN, &open, op::FILE_OPEN_RES).await {
            Err(DeviceError::Afc { code, .. }) => assert_eq!(code, status::PERM_DENIED),
            other => panic!("{other:?}"),
        }
        assert_eq!(dir.list("/Retired").await.unwrap(), Vec::<String>::new());
        // The look-up watch makes: by process name and pid.
        let q = CrashQuery {
            processes: vec!["ExampleCall".into()],
            bundle: Some("com.example.call".into()),
            pid: Some(601),
            ..CrashQuery::default()
        };
        let found = find_crash(&dev, &q).await.unwrap().unwrap();
        assert_eq!(found.name, ips);
        assert_eq!(found.report.termination_code.as_deref(), Some("0xbaadca11"));
        assert_eq!(
            found.report.termination_namespace.as_deref(),
            Some("FRONTBOARD")
        );
        let q = CrashQuery {
            processes: vec!["LegacyPhone".into()],
            ..CrashQuery::default()
        };
        let found = find_crash(&dev, &q).await.unwrap().unwrap();
        assert_eq!(found.report.signal.as_deref(), Some("SIGSEGV"));
        assert_eq!(
            found.report.termination_reason.as_deref(),
            Some("Segmentation fault: 11")
        );
        // The log never showed the executable's name: the newest reports, by bundle ID.
        let q = CrashQuery {
            processes: vec!["call".into()],
            bundle: Some("com.example.call".into()),
            pid: Some(601),
            ..CrashQuery::default()
        };
        let by_bundle = find_crash(&dev, &q).await.unwrap().unwrap();
        assert_eq!(by_bundle.name, ips);
        let q = CrashQuery {
            processes: vec!["call".into()],
            bundle: Some("com.example.other".into()),
            ..CrashQuery::default()
        };
        assert!(find_crash(&dev, &q).await.unwrap().is_none());
        // Another pid, or a report older than the death: not it.
        let q = CrashQuery {
            processes: vec!["ExampleCall".into()],
            pid: Some(999),
            ..CrashQuery::default()
        };
        assert!(find_crash(&dev, &q).await.unwrap().is_none());
        let q = CrashQuery {
            processes: vec!["ExampleCall".into()],
            since: Some(found.mtime + 3600.0),
            ..CrashQuery::default()
        };
        assert!(find_crash(&dev, &q).await.unwrap().is_none());
    });
    // A phone without the services: a typed error, not a hang.
    let f = crash_phone("[device.faults]\nno_crash_reports = true");
    bounded(&f, async {
        let dev = device::select(&selector(&f)).await.unwrap();
        match dev.flush_crash_reports().await {
            Err(DeviceError::InvalidService { service, .. }) => {
                assert!(service.contains("crashreportmover"), "{service}")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            dev.crash_reports().await,
            Err(DeviceError::InvalidService { .. })
        ));
    });
}

#[test]
fn find_crash_takes_a_jetsam_event_only_when_it_lists_the_process_with_a_reason() {
    use voipctl::device::crash::{CrashQuery, find_crash};
    // Two system-wide reports: A lists ExampleCall alive (no reason) and OtherApp killed; B lists
    // LegacyPhone killed (per-process-limit, 6400 pages of 16 KiB).
    let f = crash_phone(
        r#"
[[device.crash]]
at = "0s"
process = "JetsamEvent"
name = "JetsamEvent-2025-11-25-100000.ips"
content = '''
{"bug_type":"298","timestamp":"2025-11-25 10:00:00.00 +0000","os_version":"iPhone OS 17.5.1 (21F90)","incident_id":"A"}
{"date":"2025-11-25 10:00:00.10 +0000","largestProcess":"ExampleCall","pageSize":16384,"processes":[
{"name":"ExampleCall","pid":601,"rpages":9000,"states":["frontmost"]},
{"name":"OtherApp","pid":700,"rpages":640,"states":["suspended"],"reason":"highwater"}]}
'''
[[device.crash]]
at = "0s"
process = "JetsamEvent"
name = "JetsamEvent-2025-11-25-100100.ips"
content = '''
{"bug_type":"298","timestamp":"2025-11-25 10:01:00.00 +0000","os_version":"iPhone OS 17.5.1 (21F90)","incident_id":"B"}
{"date":"2025-11-25 10:01:00.10 +0000","largestProcess":"LegacyPhone","pageSize":16384,"processes":[
{"name":"LegacyPhone","pid":412,"rpages":6400,"states":["suspended"],"reason":"per-process-limit"}]}
'''
"#,
    );
    bounded(&f, async {
        let dev = device::select(&selector(&f)).await.unwrap();
        let jetsam = |p: &str, pid: u32| CrashQuery {
            processes: vec![p.into()],
            pid: Some(pid),
            jetsam: true,
            ..CrashQuery::default()
        };
        // A jetsam death: the JetsamEvent entry, before the process's own (older) crash report.
        let found = find_crash(&dev, &jetsam("LegacyPhone", 412))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.name, "JetsamEvent-2025-11-25-100100.ips");
        assert_eq!(found.report.bug_type.as_deref(), Some("298"));
        assert_eq!(found.report.pid, Some(412));
        assert!(
            found
                .report
                .termination_reason
                .as_deref()
                .unwrap_or("")
                .starts_with("jetsam: per-process-limit (100 MiB)"),
            "{:?}",
            found.report
        );
        // Listed without a reason (alive): not its report; its own .ips is.
        let found = find_crash(&dev, &jetsam("ExampleCall", 601))
            .await
            .unwrap()
            .unwrap();
        assert!(found.name.starts_with("ExampleCall-"), "{}", found.name);
        // The pid is there but under another name (reused): not it.
        assert!(
            find_crash(&dev, &jetsam("OtherName", 412))
                .await
                .unwrap()
                .is_none()
        );
        // By name alone; and not when the report is older than the death.
        let q = CrashQuery {
            processes: vec!["OtherApp".into()],
            jetsam: true,
            ..CrashQuery::default()
        };
        let found = find_crash(&dev, &q).await.unwrap().unwrap();
        assert_eq!(found.report.pid, Some(700));
        let q = CrashQuery {
            since: Some(found.mtime + 3600.0),
            ..q
        };
        assert!(find_crash(&dev, &q).await.unwrap().is_none());
        // Not a jetsam death: JetsamEvent files are not looked at.
        let q = CrashQuery {
            processes: vec!["LegacyPhone".into()],
            pid: Some(412),
            ..CrashQuery::default()
        };
        let found = find_crash(&dev, &q).await.unwrap().unwrap();
        assert_eq!(found.report.signal.as_deref(), Some("SIGSEGV"));
    });
}

#[test]
fn idevicecrashreport_copies_the_simulated_reports() {
    if !tool("idevicecrashreport") {
        return;
    }
    let f = crash_phone("");
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    // -k: copy, keep them on the phone.
    let o = tool_output(&f, "idevicecrashreport", &["-u", UDID, "-k", dir]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    assert!(text(&o.stdout).contains("Copy: "), "{}", text(&o.stdout));
    assert!(out.path().join("Retired").is_dir());
    let files = reports_in(out.path());
    assert_eq!(files.len(), 2, "{files:?}");
    let ips = parse_report(&files[0]);
    assert_eq!(ips.process.as_deref(), Some("ExampleCall"));
    assert_eq!(ips.bug_type.as_deref(), Some("309"));
    assert_eq!(ips.termination_code.as_deref(), Some("0xbaadca11"));
    let legacy = parse_report(&files[1]);
    assert_eq!(legacy.signal.as_deref(), Some("SIGSEGV"));
    // Kept: a second run copies them again.
    let again = tempfile::tempdir().unwrap();
    let o = tool_output(
        &f,
        "idevicecrashreport",
        &["-u", UDID, "-k", again.path().to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(reports_in(again.path()).len(), 2);
    // Without -k the reports are moved: removed from the phone.
    let moved = tempfile::tempdir().unwrap();
    let o = tool_output(
        &f,
        "idevicecrashreport",
        &["-u", UDID, moved.path().to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("Move: "), "{}", text(&o.stdout));
    assert_eq!(reports_in(moved.path()).len(), 2);
    let empty = tempfile::tempdir().unwrap();
    let o = tool_output(
        &f,
        "idevicecrashreport",
        &["-u", UDID, "-k", empty.path().to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(reports_in(empty.path()).is_empty());
}

#[test]
fn pymobiledevice3_lists_and_pulls_the_simulated_reports() {
    if !tool("pymobiledevice3") {
        return;
    }
    let f = crash_phone("");
    let o = tool_output(&f, "pymobiledevice3", &["crash", "ls", "--udid", UDID]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let ls = text(&o.stdout);
    assert!(ls.lines().any(|l| l == "/Retired"), "{ls}");
    assert!(
        ls.lines()
            .any(|l| l.starts_with("/ExampleCall-") && l.ends_with(".ips")),
        "{ls}"
    );
    assert!(
        ls.lines()
            .any(|l| l.starts_with("/LegacyPhone-") && l.ends_with(".crash")),
        "{ls}"
    );
    let o = tool_output(&f, "pymobiledevice3", &["crash", "flush", "--udid", UDID]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = tempfile::tempdir().unwrap();
    let o = tool_output(
        &f,
        "pymobiledevice3",
        &[
            "crash",
            "pull",
            "--udid",
            UDID,
            out.path().to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let files = reports_in(out.path());
    assert_eq!(files.len(), 2, "{files:?}");
    let ips = parse_report(&files[0]);
    assert_eq!(ips.pid, Some(601));
    assert_eq!(ips.termination_namespace.as_deref(), Some("FRONTBOARD"));
    let legacy = parse_report(&files[1]);
    assert_eq!(legacy.process.as_deref(), Some("LegacyPhone"));
    assert_eq!(legacy.pid, Some(412));
}
