//! `--format html`: the reports of the shipped scenarios (`watch` live from the simulated iPhone,
//! then `analyze` of its recording) and of `check`, opened in a real headless browser (Debian's
//! `chromium`, which `.ci/run` installs). Each page must load with no console message and no
//! request from the page, run its script to the end, and hold the lanes, marks and check rows the
//! JSON output of the same run implies. Screenshots are kept under
//! `target/tmp/html-report/` as artifacts (not compared).

#[path = "support/schema.rs"]
mod schema;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM_MISSING: &str = "chromium is not installed: the HTML report tests open the pages in a real headless browser. \
Install it with `sudo apt-get install chromium` (Debian/Ubuntu; `.ci/run` does), or point CHROMIUM=/path/to/chrome at one";

fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome", "chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!("{CHROMIUM_MISSING}");
}

fn voipctl(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_voipctl"));
    c.args(args).env_remove("NO_COLOR").stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output()
        .unwrap_or_else(|e| panic!("could not run voipctl: {e}"))
}

fn artifacts() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report");
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

/// Run a command, killing it after two minutes.
fn run_limited(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{CHROMIUM_MISSING} ({e})"));
    let out = child.stdout.take();
    let err = child.stderr.take();
    let read = |s: Option<std::process::ChildStdout>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut s) = s {
                let _ = std::io::Read::read_to_end(&mut s, &mut v);
            }
            v
        })
    };
    let out_t = read(out);
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(mut s) = err {
            let _ = std::io::Read::read_to_end(&mut s, &mut v);
        }
        v
    });
    let limit = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break s;
        }
        if Instant::now() > limit {
            let _ = child.kill();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
    }
}

/// Headless chromium with its own profile and none of its background services.
fn browser(profile: &Path, args: &[String]) -> Output {
    let mut c = Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--hide-scrollbars",
        "--mute-audio",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args)
    .env_remove("DBUS_SESSION_BUS_ADDRESS");
    run_limited(c)
}

/// What loading a page showed.
struct Loaded {
    /// The DOM after the scripts ran.
    dom: String,
    /// Console messages (errors, CSP refusals, uncaught exceptions…).
    console: Vec<String>,
    /// Requests the page made (not the browser's own).
    requests: Vec<String>,
}

/// Load `page` (plus an optional `#fragment`), with the console on stderr and a net log.
fn load(page: &Path, fragment: &str) -> Loaded {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let net = dir.path().join("net.json");
    let url = format!("file://{}{fragment}", page.display());
    let out = browser(
        &dir.path().join("profile"),
        &[
            "--enable-logging=stderr".into(),
            "--v=0".into(),
            format!("--log-net-log={}", net.display()),
            "--dump-dom".into(),
            url,
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "chromium failed on {}: {stderr}",
        page.display()
    );
    let console = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    Loaded {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        console,
        requests: page_requests(&net),
    }
}

/// The URL requests of the net log that a page started (the browser's own carry the initiator
/// "not an origin"; a file: page's carry "null").
fn page_requests(net: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(net).unwrap_or_else(|e| panic!("net log: {e}"));
    // Chromium may leave the log without its closing bracket when it exits.
    let v: Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .unwrap_or_else(|e| panic!("net log is not JSON: {e}"));
    let start = v
        .pointer("/constants/logEventTypes/URL_REQUEST_START_JOB")
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("net log has no URL_REQUEST_START_JOB type"));
    v.get("events")
        .and_then(Value::as_array)
        .map(|evs| {
            evs.iter()
                .filter(|e| e.get("type").and_then(Value::as_u64) == Some(start))
                .filter_map(|e| e.get("params"))
                .filter(|p| p.get("url").is_some())
                .filter(|p| p.get("initiator").and_then(Value::as_str) != Some("not an origin"))
                .map(|p| p.to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn screenshot(page: &Path, name: &str) -> PathBuf {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let png = artifacts().join(format!("{name}.png"));
    let _ = std::fs::remove_file(&png);
    let out = browser(
        &dir.path().join("profile"),
        &[
            "--window-size=1400,1800".into(),
            format!("--screenshot={}", png.display()),
            format!("file://{}", page.display()),
        ],
    );
    let head = std::fs::read(&png).unwrap_or_else(|e| {
        panic!(
            "no screenshot of {}: {e}; chromium said: {}",
            page.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(
        head.starts_with(b"\x89PNG"),
        "{} is not a PNG",
        png.display()
    );
    png
}

/// The page is self-contained: no attribute points outside it, no style pulls a URL, and the
/// Content-Security-Policy forbids fetching anything.
fn assert_self_contained(dom: &str) {
    let attr = regex::Regex::new(
        r#"(?i)\s(src|href|xlink:href|action|srcset|poster|data)\s*=\s*"([^"]*)""#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for c in attr.captures_iter(dom) {
        assert!(
            c[2].starts_with('#'),
            "the page refers to something outside itself: {}",
            &c[0]
        );
    }
    let url = regex::Regex::new(r"url\(\s*([^)#\s])").unwrap_or_else(|e| panic!("{e}"));
    assert!(!url.is_match(dom), "a style pulls a URL");
    assert!(dom.contains("default-src 'none'"), "no CSP");
}

fn assert_clean(l: &Loaded, what: &str) {
    assert!(
        l.console.is_empty(),
        "{what}: console messages: {:#?}",
        l.console
    );
    assert!(
        l.requests.is_empty(),
        "{what}: the page made requests: {:#?}",
        l.requests
    );
    assert!(
        l.dom.contains("data-ready=\"1\""),
        "{what}: the page's script did not run to the end"
    );
    assert_self_contained(&l.dom);
}

fn json_lines(out: &[u8]) -> Vec<Value> {
    schema::validate(&String::from_utf8_lossy(out));
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The lanes, marks and check rows that the JSON output of the same analysis implies are in the
/// DOM.
fn assert_matches_json(dom: &str, records: &[Value], what: &str) {
    let mut families = BTreeSet::new();
    let mut apps = BTreeSet::new();
    for r in records {
        match r["type"].as_str() {
            Some("event") => {
                if r["offset_s"].is_number()
                    && let Some(f) = r["family"].as_str()
                {
                    families.insert(f.to_string());
                }
                if let Some(a) = r["app"].as_str() {
                    apps.insert(a.to_string());
                }
            }
            Some("check") => {
                let name = r["check"].as_str().unwrap_or_default();
                let row = format!("<tr data-check=\"{name}\" data-status=\"");
                let at = dom
                    .find(&row)
                    .unwrap_or_else(|| panic!("{what}: no row for check {name}"));
                let status = &dom[at + row.len()..];
                let status = &status[..status.find('"').unwrap_or(0)];
                if let Some(s) = r["status"].as_str() {
                    // The page groups status words into passed / failed / unknown / seen.
                    let want = match s {
                        "pass" | "passed" | "ok" => "passed",
                        "fail" | "failed" | "error" => "failed",
                        "unknown" | "undecided" => "unknown",
                        "seen" => "seen",
                        _ => "other",
                    };
                    assert_eq!(status, want, "{what}: check {name} is {s}");
                } else if r["failed"] == true {
                    assert_eq!(status, "failed", "{what}: check {name}");
                } else if r["count"].as_u64().is_some_and(|c| c > 0) {
                    assert_ne!(status, "passed", "{what}: check {name} was seen");
                }
            }
            _ => {}
        }
    }
    assert!(!families.is_empty(), "{what}: the JSON has no timed event");
    for f in &families {
        assert!(
            dom.contains(&format!("class=\"m f-{f} ")),
            "{what}: no mark for the {f} events"
        );
    }
    for a in &apps {
        assert!(
            dom.contains(&format!("data-lane=\"{a}\"")),
            "{what}: no lane for {a}"
        );
    }
}

mod scenario {
    use super::*;
    use voipctl::sim::{self, Scenario};

    /// `watch` the scenario at `speed` with `--format html --record`, then `analyze` the
    /// recording as HTML and as JSON: (watch page, analyze page, analyze JSON records).
    pub fn reports(
        file: &str,
        speed: f64,
        bundle: &str,
        dir: &Path,
    ) -> (PathBuf, PathBuf, Vec<Value>) {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(file);
        let mut sc = Scenario::load(&p).unwrap_or_else(|e| panic!("{e}"));
        sc.speed = speed;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let sim = rt
            .block_on(sim::start(sc))
            .unwrap_or_else(|e| panic!("{e}"));
        let rec = dir.join("session.jsonl");
        let rec_s = rec.to_str().unwrap_or_default().to_string();
        let out = voipctl(
            &[
                "watch",
                "-b",
                bundle,
                "--duration",
                "8s",
                "--record",
                &rec_s,
                "--format",
                "html",
            ],
            &[("USBMUXD_SOCKET_ADDRESS", &sim.env_value())],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "watch: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let watch = dir.join("watch.html");
        std::fs::write(&watch, &out.stdout).unwrap_or_else(|e| panic!("{e}"));
        drop(sim);
        let out = voipctl(&["analyze", &rec_s, "-b", bundle, "--format", "html"], &[]);
        assert_eq!(out.status.code(), Some(0));
        let analyze = dir.join("analyze.html");
        std::fs::write(&analyze, &out.stdout).unwrap_or_else(|e| panic!("{e}"));
        let out = voipctl(&["--json", "analyze", &rec_s, "-b", bundle], &[]);
        assert_eq!(out.status.code(), Some(0));
        (watch, analyze, json_lines(&out.stdout))
    }
}

#[test]
fn pushkit_scenario_report_opens_in_a_browser() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (watch, analyze, records) =
        scenario::reports("pushkit-callkit.toml", 20.0, "com.example.call", dir.path());
    for (page, what) in [(&watch, "watch"), (&analyze, "analyze")] {
        let l = load(page, "");
        assert_clean(&l, what);
        assert_matches_json(&l.dom, &records, what);
        // The story of the scenario: pushes, reports in time, kills, the ban and its band, the
        // wake that ran over its budget.
        for needle in [
            "data-lane=\"com.example.call\"",
            "class=\"m f-push-callservicesd ",
            "class=\"m f-callkit-report ",
            "class=\"m f-callkit-kill ",
            "class=\"m f-ban ",
            "<rect class=\"ban\"",
            "<rect class=\"over\"",
            "<rect class=\"awake\"",
            "data-check=\"callkit-kill\"",
            "data-check=\"ban\"",
        ] {
            assert!(l.dom.contains(needle), "{what}: no {needle}");
        }
    }
    screenshot(&analyze, "pushkit-callkit");
}

#[test]
fn legacy_scenario_report_opens_in_a_browser_and_zooms() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (watch, analyze, records) = scenario::reports(
        "legacy-voip.toml",
        600.0,
        "com.example.legacyphone",
        dir.path(),
    );
    for (page, what) in [(&watch, "watch"), (&analyze, "analyze")] {
        let l = load(page, "");
        assert_clean(&l, what);
        assert_matches_json(&l.dom, &records, what);
        for needle in [
            "data-lane=\"com.example.legacyphone\"",
            "class=\"m f-keepalive ",
            "class=\"m f-watchdog ",
            "class=\"m f-jetsam ",
            "class=\"m f-exit ",
            "<rect class=\"ka-run\"",
            "<line class=\"ival\"",
            "data-check=\"watchdog\"",
            "data-check=\"jetsam\"",
        ] {
            assert!(l.dom.contains(needle), "{what}: no {needle}");
        }
    }
    // The zoom: a link to a range draws that range (the axis and the inputs follow).
    let l = load(&analyze, "#zoom=1380,1470");
    assert_clean(&l, "zoomed");
    assert!(
        l.dom.contains(">+1400.0 s<"),
        "the axis did not follow the zoom"
    );
    assert!(
        l.dom.contains("+1380.0 s → +1470.0 s"),
        "the range is not shown"
    );
    screenshot(&analyze, "legacy-voip");
}

#[test]
fn check_reports_open_in_a_browser() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for (ipa, code, verdict) in [("Legacy.ipa", 1, "failed"), ("Phone.ipa", 0, "passed")] {
        let path = samples.join(ipa);
        let p = path.to_str().unwrap_or_default();
        let out = voipctl(&["check", p, "--format", "html"], &[]);
        assert_eq!(out.status.code(), Some(code), "{ipa}");
        let page = dir.path().join(format!("{ipa}.html"));
        std::fs::write(&page, &out.stdout).unwrap_or_else(|e| panic!("{e}"));
        let l = load(&page, "");
        assert_clean(&l, ipa);
        assert!(
            l.dom.contains(&format!("class=\"result st-{verdict}\"")),
            "{ipa}: verdict {verdict} not shown"
        );
        let json = json_lines(&voipctl(&["--json", "check", p], &[]).stdout);
        for f in json.iter().filter(|r| r["type"] == "finding") {
            let id = f["id"].as_str().unwrap_or_default();
            assert!(
                l.dom.contains(&format!(">{id}<")),
                "{ipa}: finding {id} not shown"
            );
        }
        if code == 1 {
            screenshot(&page, "check-legacy-ipa");
        }
    }
}

#[test]
fn the_browser_checks_can_fail() {
    // A page with a console error and a request: both must be caught, or the checks above
    // prove nothing.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><img src=\"http://127.0.0.1:9/x.png\">\
         <script>console.error('boom'); throw new Error('uncaught');</script></body></html>",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let l = load(&page, "");
    assert!(
        l.console.iter().any(|c| c.contains("boom")),
        "{:?}",
        l.console
    );
    assert!(
        l.console.iter().any(|c| c.contains("Uncaught")),
        "{:?}",
        l.console
    );
    assert!(
        l.requests.iter().any(|r| r.contains("127.0.0.1:9")),
        "{:?}",
        l.requests
    );
    assert!(!l.dom.contains("data-ready"));
}

#[test]
fn html_is_the_same_whatever_the_colour_settings() {
    let log = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/session-syslog.log");
    let p = log.to_str().unwrap_or_default();
    let plain = voipctl(&["analyze", p, "--format", "html"], &[]);
    let no_color = voipctl(&["analyze", p, "--format", "html"], &[("NO_COLOR", "1")]);
    let always = voipctl(
        &["analyze", p, "--format", "html", "--color", "always"],
        &[],
    );
    assert!(plain.stdout.starts_with(b"<!DOCTYPE html>"));
    assert_eq!(plain.stdout, no_color.stdout);
    assert_eq!(plain.stdout, always.stdout);
    assert!(
        !plain.stdout.contains(&0x1b),
        "no terminal escapes in the page"
    );
}

#[test]
fn html_is_refused_where_there_is_no_page_to_draw() {
    let out = voipctl(&["--format", "html", "devices"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--format html is for `analyze`, `watch`, `check` and `probe`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn probe_report_opens_in_a_browser() {
    use voipctl::sim::{self, Scenario};
    // The reacting simulator (as tests/probe.rs starts it): round 1 reported in time, round 2
    // never reported, so the app is killed and the round gets a diagnosis.
    let udid = "00008110-000A1B2C3D4E5F6A";
    let scenario = format!(
        r#"
[[device]]
udid = "{udid}"
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
[[device.react.round]]
outcome = "in-time"
[[device.react.round]]
outcome = "never"
"#
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let sc = Scenario::parse(&scenario).unwrap_or_else(|e| panic!("{e}"));
    let sim = rt
        .block_on(sim::start(sc))
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .unwrap_or_else(|e| panic!("{e}"));
    let p8 = dir.path().join("AuthKey.p8");
    std::fs::write(&p8, key.serialize_pem()).unwrap_or_else(|e| panic!("{e}"));
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.apns_ca_pem().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    let url = sim
        .apns_url()
        .unwrap_or_else(|| panic!("no APNs look-alike"));
    let out = voipctl(
        &[
            "--format",
            "html",
            "probe",
            "-b",
            "com.example.call",
            "--rounds",
            "2",
            "--token",
            "7c1f5e9a0b2d4c6e8f1a3b5c7d9e0f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c0d2e",
            "--apns-url",
            &url,
            "--ca-cert",
            ca.to_str().unwrap_or_default(),
            "--key",
            p8.to_str().unwrap_or_default(),
            "--key-id",
            "ABC123DEFG",
            "--team-id",
            "TEAM123456",
            "--interval",
            "300ms",
            "--round-timeout",
            "12s",
            "--deadline",
            "2s",
        ],
        &[("USBMUXD_SOCKET_ADDRESS", &sim.env_value())],
    );
    drop(sim);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed round exits 1: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.starts_with(b"<!DOCTYPE html>"));
    let page = dir.path().join("probe.html");
    std::fs::write(&page, &out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let l = load(&page, "");
    assert_clean(&l, "probe");
    for needle in [
        "class=\"result st-failed\"",
        // One lane per round, with its verdict.
        "<tr class=\"probe-lane\" data-round=\"1\" data-udid=\"00008110-000A1B2C3D4E5F6A\" data-verdict=\"reported\"",
        "<tr class=\"probe-lane\" data-round=\"2\" data-udid=\"00008110-000A1B2C3D4E5F6A\" data-verdict=\"killed\"",
        // The stages on the time axis and in the lane's list.
        "<circle class=\"stage\" data-stage=\"sent\"",
        "<circle class=\"stage\" data-stage=\"reported\"",
        "<path class=\"end\" data-end=\"killed\"",
        // The summary's per-stage table.
        "<tr data-stage=\"delivered\"><th scope=\"row\">delivered</th>",
        "<tr data-stage=\"reported\"><th scope=\"row\">reported</th>",
        // Round 2's diagnosis: a chain link seen with its log line, and the fix.
        "<div class=\"diagnosis\" data-round=\"2\">",
        "<tr class=\"chain-link\" data-evidence=\"seen\">",
        "<p class=\"fix\"><b>fix:</b>",
    ] {
        assert!(l.dom.contains(needle), "probe: no {needle}");
    }
    for stage in [
        "sent",
        "accepted",
        "delivered",
        "running",
        "delegate",
        "reported",
    ] {
        assert!(
            l.dom
                .contains(&format!("<li data-stage=\"{stage}\"><b>{stage}</b>")),
            "probe: no stage {stage} in round 1's lane"
        );
    }
    screenshot(&page, "probe");
}

/// Issue 14: `probe --all --format html` is one page with a section per phone — each with its
/// rounds, stage table and diagnoses as its own page would show them — under the run's verdict
/// and the `--all` summary; element ids stay unique.
#[test]
fn probe_all_report_is_one_page_with_a_section_per_phone() {
    use voipctl::sim::{self, Scenario};
    let udids = ["00008110-000A1B2C3D4E5F6A", "00008110-001C2D3E4F5A6B7C"];
    let mut scenario = String::new();
    for (i, (udid, outcome)) in udids.iter().zip(["in-time", "never"]).enumerate() {
        scenario.push_str(&format!(
            r#"
[[device]]
udid = "{udid}"
name = "Farm {i}"
[[device.app]]
bundle_id = "com.example.call"
executable = "ExampleCall"
background_modes = ["voip"]
entitlements = {{ "aps-environment" = "development" }}
[device.react]
bundle_id = "com.example.call"
executable = "ExampleCall"
tokens = ["{tok:064x}"]
[[device.react.round]]
outcome = "{outcome}"
"#,
            tok = i + 1
        ));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let sc = Scenario::parse(&scenario).unwrap_or_else(|e| panic!("{e}"));
    let sim = rt
        .block_on(sim::start(sc))
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .unwrap_or_else(|e| panic!("{e}"));
    let p8 = dir.path().join("AuthKey.p8");
    std::fs::write(&p8, key.serialize_pem()).unwrap_or_else(|e| panic!("{e}"));
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.apns_ca_pem().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    let url = sim
        .apns_url()
        .unwrap_or_else(|| panic!("no APNs look-alike"));
    let tokens: Vec<String> = udids
        .iter()
        .enumerate()
        .map(|(i, u)| format!("{u}={:064x}", i + 1))
        .collect();
    let out = voipctl(
        &[
            "--format",
            "html",
            "probe",
            "--all",
            "-b",
            "com.example.call",
            "--rounds",
            "1",
            "--token",
            &tokens[0],
            "--token",
            &tokens[1],
            "--apns-url",
            &url,
            "--ca-cert",
            ca.to_str().unwrap_or_default(),
            "--key",
            p8.to_str().unwrap_or_default(),
            "--key-id",
            "ABC123DEFG",
            "--team-id",
            "TEAM123456",
            "--round-timeout",
            "12s",
            "--deadline",
            "2s",
        ],
        &[("USBMUXD_SOCKET_ADDRESS", &sim.env_value())],
    );
    drop(sim);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed round on one phone exits 1: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.starts_with(b"<!DOCTYPE html>"));
    let html = String::from_utf8_lossy(&out.stdout);
    assert_eq!(html.matches("<!DOCTYPE html>").count(), 1, "one page");
    let page = dir.path().join("probe-all.html");
    std::fs::write(&page, &out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let l = load(&page, "");
    assert_clean(&l, "probe --all");
    assert!(
        l.dom.contains("class=\"result st-failed\""),
        "the run failed"
    );
    for (udid, verdict, status) in [
        (udids[0], "reported", "passed"),
        (udids[1], "killed", "failed"),
    ] {
        let section = l
            .dom
            .split("<section class=\"phone\" ")
            .find(|x| x.contains(&format!("data-udid=\"{udid}\"")))
            .unwrap_or_else(|| panic!("no section for {udid}"));
        assert!(
            section.contains(&format!("data-status=\"{status}\"")),
            "{udid}"
        );
        assert!(
            section.contains(&format!(
                "<tr class=\"probe-lane\" data-round=\"1\" data-udid=\"{udid}\" data-verdict=\"{verdict}\""
            )),
            "{udid}: no round 1 {verdict}"
        );
        assert!(
            section.contains("<tr data-stage=\"delivered\""),
            "{udid}: stage table"
        );
    }
    // The failed phone's diagnosis is in its section.
    assert!(l.dom.contains("<div class=\"diagnosis\" data-round=\"1\">"));
    assert!(l.dom.contains("<p class=\"fix\"><b>fix:</b>"));
    // Ids are unique across the sections.
    let ids = regex::Regex::new(r#"\sid="([^"]+)""#).unwrap_or_else(|e| panic!("{e}"));
    let mut seen = BTreeSet::new();
    for c in ids.captures_iter(&l.dom) {
        assert!(seen.insert(c[1].to_string()), "id {} twice", &c[1]);
    }
    screenshot(&page, "probe-all");
}
