//! `voipctl analyze`: the real binary on saved logs, the JSON Lines contract, exit codes, and the
//! corpus of real iPhone log lines gathered from public issue trackers and forums.

#[path = "support/schema.rs"]
mod schema;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn voipctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_voipctl"))
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("could not run voipctl: {e}"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---- the JSON schema, pinned with test-side structs ------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct EventJson {
    #[serde(rename = "type")]
    kind: String,
    time: String,
    offset_s: Option<f64>,
    line: u64,
    rule: String,
    family: String,
    severity: String,
    app: Option<String>,
    process: String,
    pid: Option<u32>,
    summary: String,
    fields: BTreeMap<String, String>,
    duration_s: Option<f64>,
    latency_s: Option<f64>,
    check: Option<String>,
    note: Option<String>,
    message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct CheckJson {
    /// Present on `check` records, absent inside the summary.
    #[serde(rename = "type", default)]
    kind: Option<String>,
    check: String,
    verdict: String,
    count: u64,
    max: Option<u64>,
    failed: bool,
    detail: String,
    evidence: Vec<EvidenceJson>,
    /// Failed and undecided push checks: the cause chain of the first case.
    #[serde(default)]
    diagnosis: Option<DiagnosisJson>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DiagnosisJson {
    chain: Vec<LinkJson>,
    fix: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkJson {
    step: String,
    evidence: String,
    #[serde(default)]
    line: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct EvidenceJson {
    line: u64,
    time: String,
    app: Option<String>,
    text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct StatsJson {
    count: u64,
    min: Option<f64>,
    mean: Option<f64>,
    max: Option<f64>,
    stddev: Option<f64>,
    p50: Option<f64>,
    p95: Option<f64>,
    p99: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct AppJson {
    app: String,
    pids: Vec<u32>,
    launches: LaunchesJson,
    wakes: WakesJson,
    keepalive: KeepaliveJson,
    exits: Vec<ExitJson>,
    exits_dropped: u64,
    pushes: PushesJson,
    events: BTreeMap<String, u64>,
    checks: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct LaunchesJson {
    total: u64,
    background: u64,
    foreground: u64,
    by_reason: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct WakesJson {
    count: u64,
    budget_s: f64,
    duration_s: StatsJson,
    over_budget: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct KeepaliveJson {
    runs: u64,
    timeout_s: f64,
    interval_s: StatsJson,
    late: u64,
    handler_s: StatsJson,
    over_budget: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ExitJson {
    time: String,
    pid: Option<u32>,
    status: Option<i64>,
    signal: Option<i64>,
    reason: Option<String>,
    relaunch_expected: Option<bool>,
    relaunched_after_s: Option<f64>,
    relaunched_into: Option<String>,
    crash: Option<CrashJson>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct CrashJson {
    file: Option<String>,
    format: String,
    bug_type: Option<String>,
    process: Option<String>,
    bundle_id: Option<String>,
    pid: Option<u32>,
    time: Option<String>,
    os_version: Option<String>,
    exception_type: Option<String>,
    signal: Option<String>,
    exception_codes: Option<String>,
    exception_reason: Option<String>,
    termination_namespace: Option<String>,
    termination_code: Option<String>,
    termination_reason: Option<String>,
    code_meaning: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct PushesJson {
    received: u64,
    reported: u64,
    not_reported: u64,
    report_latency_s: StatsJson,
    wake_latency_s: StatsJson,
    callkit_kills: u64,
    bans: u64,
    banned: bool,
    dropped: u64,
    push_to_talk: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct GapJson {
    from: String,
    to: Option<String>,
    duration_s: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SummaryJson {
    #[serde(rename = "type")]
    kind: String,
    schema_version: u32,
    source: String,
    lines: u64,
    bytes: u64,
    truncated_lines: u64,
    formats: BTreeMap<String, u64>,
    events: u64,
    span_s: Option<f64>,
    gaps: Vec<GapJson>,
    recording: Option<String>,
    apps: Vec<AppJson>,
    checks: Vec<CheckJson>,
    outcome: String,
    command: String,
}

struct Parsed {
    events: Vec<EventJson>,
    checks: Vec<CheckJson>,
    summary: SummaryJson,
}

fn parse_json_lines(out: &str) -> Parsed {
    schema::validate(out);
    let mut events = Vec::new();
    let mut checks = Vec::new();
    let mut summary = None;
    for line in out.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("bad JSON line {line}: {e}"));
        assert!(summary.is_none(), "a record after the summary: {line}");
        match v["type"].as_str() {
            Some("event") => events.push(
                serde_json::from_value(v).unwrap_or_else(|e| panic!("event schema: {e}: {line}")),
            ),
            Some("check") => checks.push(
                serde_json::from_value(v).unwrap_or_else(|e| panic!("check schema: {e}: {line}")),
            ),
            Some("summary") => {
                summary = Some(
                    serde_json::from_value(v)
                        .unwrap_or_else(|e| panic!("summary schema: {e}: {line}")),
                )
            }
            // `--lines`: the unrecognised lines.
            Some("line") => {}
            other => panic!("unexpected record type {other:?}"),
        }
    }
    Parsed {
        events,
        checks,
        summary: summary.unwrap_or_else(|| panic!("no summary in {out}")),
    }
}

// ---- the corpus --------------------------------------------------------------------------------

/// One line of `tests/data/ios-log-corpus.jsonl`: a real device log line copied exactly from a
/// public source, with what voipctl's classifier must make of it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CorpusLine {
    source: String,
    ios: String,
    style: String,
    /// The family voipctl must give; `null`: the line must give no event (noise, or a system
    /// line that voipctl ignores on purpose, with a `reason`).
    family: Option<String>,
    /// The rule that must recognise it; `null` with a family: not recognised yet (`recognised`).
    rule: Option<String>,
    /// `false`: voipctl should give `family` but cannot yet; counted as a recall miss.
    recognised: Option<bool>,
    /// Why the line gives no event, or why it is not recognised yet.
    reason: Option<String>,
    /// What the line says, in words (from the researcher who collected it).
    #[allow(dead_code)]
    meaning: Option<String>,
    line: String,
}

fn corpus() -> Vec<CorpusLine> {
    let text = std::fs::read_to_string(data("ios-log-corpus.jsonl"))
        .unwrap_or_else(|e| panic!("corpus: {e}"));
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("corpus line {}: {e}", i + 1))
        })
        .collect()
}

/// The iOS major version a corpus line names (`iOS 14.5 beta 1 (2021)` → 14), if any.
fn ios_major(ios: &str) -> Option<u32> {
    let i = ios.find("iOS ")?;
    let digits: String = ios[i + 4..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[test]
#[allow(clippy::print_stdout)] // the figures are the point: shown with --no-capture
fn corpus_of_real_iphone_lines_is_classified_as_expected() {
    let corpus = corpus();
    let rules = voipctl::logs::rules::RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
    let mut failures = Vec::new();
    // family → (lines of that family, lines given that family)
    let mut recall: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let mut misses = Vec::new();
    let (mut noise, mut noise_events) = (0, 0);
    let mut sources = std::collections::BTreeSet::new();
    let mut versions = std::collections::BTreeSet::new();
    let mut styles: BTreeMap<&str, u32> = BTreeMap::new();
    for (i, c) in corpus.iter().enumerate() {
        let n = i + 1;
        assert!(
            c.source.starts_with("https://"),
            "line {n} has no source URL"
        );
        assert!(!c.style.is_empty() && !c.ios.is_empty(), "line {n}");
        sources.insert(c.source.as_str());
        versions.extend(ios_major(&c.ios));
        let entry = voipctl::logs::decode::decode_line(&c.line);
        *styles.entry(entry.format.name()).or_default() += 1;
        let hit = rules.classify(&entry);
        let got_rule = hit.as_ref().map(|h| h.rule.id.clone());
        let got_family = hit.as_ref().map(|h| h.rule.family.name().to_string());
        let what = format!("line {n} ({}, {}, {})", c.style, c.ios, c.source);
        match (&c.family, &c.rule) {
            (None, _) => {
                noise += 1;
                if let Some(r) = &got_rule {
                    noise_events += 1;
                    failures.push(format!("{what}: no event expected, got {r}: {}", c.line));
                }
                if c.rule.is_some() || c.recognised.is_some() {
                    failures.push(format!("{what}: a line without a family has no rule"));
                }
            }
            (Some(family), expected_rule) => {
                let r = recall.entry(family.clone()).or_default();
                r.0 += 1;
                if got_family.as_ref() == Some(family) {
                    r.1 += 1;
                }
                match expected_rule {
                    Some(rule) => {
                        if got_rule.as_ref() != Some(rule) {
                            failures.push(format!(
                                "{what}: expected {rule}/{family}, got {got_rule:?}/{got_family:?}: {}",
                                c.line
                            ));
                        }
                    }
                    None => {
                        if c.recognised != Some(false) || c.reason.is_none() {
                            failures.push(format!(
                                "{what}: a family without a rule needs \"recognised\": false and a reason"
                            ));
                        }
                        match &got_rule {
                            // Recognised now: the corpus must say so (no silent drift).
                            Some(r) if got_family.as_ref() == Some(family) => failures.push(
                                format!("{what}: now recognised by {r}: set \"rule\": \"{r}\""),
                            ),
                            Some(r) => failures.push(format!(
                                "{what}: expected {family} (not recognised yet), got {r}/{got_family:?}: {}",
                                c.line
                            )),
                            None => misses.push(format!(
                                "  {family}: {} [{}]",
                                c.line.chars().take(110).collect::<String>(),
                                c.reason.as_deref().unwrap_or("")
                            )),
                        }
                    }
                }
            }
        }
    }
    let total: u32 = recall.values().map(|r| r.0).sum();
    let right: u32 = recall.values().map(|r| r.1).sum();
    println!(
        "corpus: {} lines from {} sources, iOS {:?}",
        corpus.len(),
        sources.len(),
        versions
    );
    println!("prefix styles decoded: {styles:?}");
    println!("recall per family (lines given the right family / lines of that family):");
    for (f, (n, ok)) in &recall {
        println!(
            "  {f:<24} {ok:>4} / {n:<4} {:5.1} %",
            100.0 * f64::from(*ok) / f64::from(*n)
        );
    }
    println!(
        "  {:<24} {right:>4} / {total:<4} {:5.1} %",
        "all",
        100.0 * f64::from(right) / f64::from(total.max(1))
    );
    println!("lines that must give no event: {noise}; events on them: {noise_events}");
    println!(
        "not recognised yet ({}):\n{}",
        misses.len(),
        misses.join("\n")
    );
    assert!(corpus.len() >= 400, "corpus too small: {}", corpus.len());
    assert!(sources.len() >= 40, "too few sources: {}", sources.len());
    assert!(
        noise >= 200,
        "too few lines that must give no event: {noise}"
    );
    assert!(versions.len() >= 8, "iOS versions: {versions:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[allow(clippy::print_stdout)] // the figures are the point: shown with --no-capture
fn every_cited_builtin_rule_has_a_real_line_in_the_corpus() {
    let corpus = corpus();
    let rules = voipctl::logs::rules::RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
    let mut uncited = Vec::new();
    let mut wrong = Vec::new();
    for r in rules.rules() {
        let sampled = corpus.iter().any(|c| c.rule.as_deref() == Some(&r.id));
        // App markers are voipctl's own vocabulary, not system wording.
        if r.id.starts_with("marker.") {
            continue;
        }
        if r.cited && !sampled {
            wrong.push(format!(
                "rule {} is cited but no corpus line expects it: add the real line, or set cited = false",
                r.id
            ));
        } else if !r.cited && sampled {
            wrong.push(format!(
                "rule {} has a real line in the corpus: drop cited = false",
                r.id
            ));
        } else if !r.cited {
            uncited.push(r.id.as_str());
        }
    }
    println!("rules without a public sample (cited = false): {uncited:?}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// ---- analyze end to end ---------------------------------------------------------------------

#[test]
fn analyze_syslog_session_json() {
    let path = data("session-syslog.log");
    let out = voipctl(&["--json", "analyze", path.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let p = parse_json_lines(&text(&out.stdout));
    assert!(p.events.iter().all(|e| e.kind == "event"));
    assert_eq!(p.checks.len(), 15);
    // Every check has a verdict; a failed one names the lines it rests on.
    let check = |name: &str| {
        p.checks
            .iter()
            .find(|c| c.check == name)
            .unwrap_or_else(|| panic!("no {name} check"))
    };
    let kill = check("callkit-kill");
    assert_eq!(kill.verdict, "failed");
    assert_eq!(kill.evidence[0].line, 10, "{kill:?}");
    assert!(kill.evidence[0].text.starts_with("Killing app because"));
    let nr = check("push-not-reported");
    assert_eq!((nr.verdict.as_str(), nr.count), ("failed", 1), "{nr:?}");
    assert_eq!(nr.evidence[0].line, 10);
    let relaunch = check("no-relaunch");
    assert_eq!(relaunch.verdict, "passed", "{relaunch:?}");
    assert_eq!(relaunch.evidence[0].line, 12);
    assert_eq!(check("watchdog").verdict, "passed");
    assert_eq!(check("watchdog").detail, "none seen");
    assert_eq!(check("report-late").verdict, "unknown");
    assert!(!check("report-late").detail.is_empty());
    let s = p.summary;
    assert_eq!(s.kind, "summary");
    assert_eq!(s.schema_version, 3);
    assert_eq!(s.command, "analyze");
    assert_eq!(s.lines, 15);
    assert_eq!(s.formats.get("syslog"), Some(&14));
    assert_eq!(s.outcome, "ok");
    let app = &s.apps[0];
    assert_eq!(app.app, "com.example.voip");
    assert_eq!(app.launches.total, 2);
    assert_eq!(app.launches.by_reason.get("relaunch"), Some(&1));
    assert_eq!(app.wakes.over_budget, 1);
    assert_eq!(app.keepalive.runs, 2);
    assert_eq!(app.exits[0].signal, Some(9));
    assert_eq!(app.exits[0].relaunched_after_s, Some(2.0));
    assert_eq!(app.exits[0].relaunched_into.as_deref(), Some("background"));
    assert_eq!(app.pushes.callkit_kills, 1);
    assert!(app.pushes.banned);
    let kill = p
        .events
        .iter()
        .find(|e| e.family == "callkit-kill")
        .unwrap_or_else(|| panic!("no kill event"));
    assert_eq!(kill.check.as_deref(), Some("callkit-kill"));
    assert_eq!(kill.app.as_deref(), Some("com.example.voip"));
}

#[test]
fn fail_on_thresholds_exit_1_and_junit_lists_checks() {
    let path = data("session-syslog.log");
    let path = path.to_str().unwrap_or_default();
    let out = voipctl(&["analyze", path, "--fail-on", "ban,wake-over-budget=1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let human = text(&out.stdout);
    assert!(human.contains("FAIL"), "{human}");
    assert!(human.contains("[callkit-kill]"), "{human}");
    let out = voipctl(&["analyze", path, "--fail-on", "wake-over-budget=1"]);
    assert_eq!(out.status.code(), Some(0));
    let out = voipctl(&["--format", "junit", "analyze", path, "--fail-on", "all"]);
    assert_eq!(out.status.code(), Some(1));
    let xml = text(&out.stdout);
    assert!(
        xml.contains("<testcase classname=\"voipctl.logs\" name=\"ban\">"),
        "{xml}"
    );
    assert!(
        xml.contains("<testcase classname=\"voipctl.logs\" name=\"watchdog\"/>"),
        "{xml}"
    );
}

#[test]
fn analyze_reads_stdin_and_pymobiledevice3_json() {
    let input =
        std::fs::read(data("session-pymobiledevice3.jsonl")).unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_voipctl"))
        .args(["--json", "analyze", "-", "-b", "com.example.pk"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    child
        .stdin
        .take()
        .unwrap_or_else(|| panic!("stdin"))
        .write_all(&input)
        .unwrap_or_else(|e| panic!("{e}"));
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let p = parse_json_lines(&text(&out.stdout));
    assert_eq!(p.summary.source, "-");
    assert_eq!(p.summary.formats.get("pymobiledevice3-json"), Some(&7));
    let app = &p.summary.apps[0];
    assert_eq!(app.app, "com.example.pk");
    assert_eq!(app.pushes.received, 2);
    assert_eq!(app.pushes.reported, 1);
    assert_eq!(app.pushes.not_reported, 1);
    assert_eq!(app.pushes.report_latency_s.max, Some(0.55));
    let report = p
        .events
        .iter()
        .find(|e| e.family == "callkit-report")
        .unwrap_or_else(|| panic!("no report"));
    assert_eq!(report.latency_s, Some(0.55));
    assert_eq!(report.app.as_deref(), Some("com.example.pk"));
}

#[test]
fn analyze_errors_have_their_exit_codes() {
    let out = voipctl(&["analyze", "/nonexistent/voipctl.log"]);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: read the log file /nonexistent/voipctl.log"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rules = dir.path().join("bad.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nid='x'\nfamily='custom'\nliterals=[]\nregex='a'\nsummary='s'\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let log = data("session-syslog.log");
    let out = voipctl(&[
        "analyze",
        log.to_str().unwrap_or_default(),
        "--rules",
        rules.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("add `literals`"),
        "{}",
        text(&out.stderr)
    );

    let out = voipctl(&[
        "analyze",
        log.to_str().unwrap_or_default(),
        "--fail-on",
        "nope",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = voipctl(&[
        "analyze",
        log.to_str().unwrap_or_default(),
        "--keepalive-timeout",
        "300",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("at least 600"));
}

#[test]
fn user_rules_and_filters() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rules = dir.path().join("mine.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nid = 'my.unrelated'\nfamily = 'custom'\nliterals = ['unrelated']\nregex = 'something (?P<what>\\w+)'\nsummary = 'custom: {what}'\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let log = data("session-syslog.log");
    let log = log.to_str().unwrap_or_default();
    let out = voipctl(&[
        "--json",
        "analyze",
        log,
        "--rules",
        rules.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let p = parse_json_lines(&text(&out.stdout));
    let custom = p
        .events
        .iter()
        .find(|e| e.rule == "my.unrelated")
        .unwrap_or_else(|| panic!("custom rule did not fire"));
    assert_eq!(custom.summary, "custom: unrelated");
    // --exclude drops lines before recognition; --process keeps only one process.
    let out = voipctl(&[
        "--json",
        "analyze",
        log,
        "--exclude",
        "Bootstrapping|launching job",
    ]);
    let p = parse_json_lines(&text(&out.stdout));
    assert!(p.events.iter().all(|e| e.family != "launch"));
    let out = voipctl(&["--json", "analyze", log, "--process", "callservicesd"]);
    let p = parse_json_lines(&text(&out.stdout));
    assert!(
        p.events.iter().all(|e| e.process == "callservicesd"),
        "{:?}",
        p.events
    );
    assert_eq!(p.events.len(), 3);
    let out = voipctl(&["--json", "analyze", log, "--lines", "--match", "unrelated"]);
    let out = text(&out.stdout);
    assert!(
        out.lines()
            .any(|l| l.starts_with("{\"type\":\"line\"") && l.contains("something unrelated")),
        "{out}"
    );
}

#[test]
fn human_output_is_sanitised_and_uncoloured_when_piped() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("evil.log");
    std::fs::write(
        &log,
        // Synthetic input (a terminal escape inside a bundle ID): only the output's sanitising
        // is asserted.
        "Nov 25 17:00:00 iPhone SpringBoard[58] <Notice>: Bootstrapping com.evil\u{1b}[31m with intent background\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = voipctl(&["analyze", log.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(0));
    let human = text(&out.stdout);
    assert!(!human.contains('\u{1b}'), "{human}");
    assert!(human.contains("summary:"), "{human}");
}

// ---- watch against the simulated iPhone ---------------------------------------------------------

mod live {
    use super::*;
    use std::io::{BufRead, BufReader, Read};
    use std::sync::mpsc;
    use std::time::{Duration, Instant, UNIX_EPOCH};
    use voipctl::sim::{self, Scenario, Sim};

    /// A simulator on its own runtime for the length of a test.
    pub struct Fixture {
        pub sim: Sim,
        _rt: tokio::runtime::Runtime,
    }

    impl Fixture {
        pub fn new(mut scenario: Scenario, speed: Option<f64>) -> Fixture {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("{e}"));
            if let Some(s) = speed {
                scenario.speed = s;
            }
            let sim = rt
                .block_on(sim::start(scenario))
                .unwrap_or_else(|e| panic!("{e}"));
            Fixture { sim, _rt: rt }
        }
        pub fn udid(&self) -> String {
            self.sim.udids()[0].clone()
        }
    }

    /// A running `voipctl watch`: stdout lines arrive on a channel as they are printed.
    pub struct Watch {
        child: std::process::Child,
        lines: mpsc::Receiver<String>,
        seen: Vec<String>,
        stderr: std::thread::JoinHandle<String>,
    }

    impl Watch {
        pub fn start(f: &Fixture, args: &[&str]) -> Watch {
            let mut child = Command::new(env!("CARGO_BIN_EXE_voipctl"))
                .args(args)
                .env("USBMUXD_SOCKET_ADDRESS", f.sim.env_value())
                .env("NO_COLOR", "1")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("spawn voipctl: {e}"));
            let out = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
            let mut err = child.stderr.take().unwrap_or_else(|| panic!("stderr"));
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                for l in BufReader::new(out).lines().map_while(Result::ok) {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
            });
            let stderr = std::thread::spawn(move || {
                let mut s = String::new();
                let _ = err.read_to_string(&mut s);
                s
            });
            Watch {
                child,
                lines: rx,
                seen: Vec::new(),
                stderr,
            }
        }

        /// Wait (up to 60 s) for a stdout line containing `needle`.
        pub fn wait_for(&mut self, needle: &str) {
            let limit = Instant::now() + Duration::from_secs(60);
            if self.seen.iter().any(|l| l.contains(needle)) {
                return;
            }
            while let Some(left) = limit.checked_duration_since(Instant::now()) {
                match self.lines.recv_timeout(left) {
                    Ok(l) => {
                        let hit = l.contains(needle);
                        self.seen.push(l);
                        if hit {
                            return;
                        }
                    }
                    Err(_) => break,
                }
            }
            let _ = self.child.kill();
            panic!(
                "no line with {needle:?} within 60 s; got:\n{}",
                self.seen.join("\n")
            );
        }

        /// Wait (up to 60 s) until `n` stdout lines contain `needle`.
        pub fn wait_count(&mut self, needle: &str, n: usize) {
            let limit = Instant::now() + Duration::from_secs(60);
            while self.seen.iter().filter(|l| l.contains(needle)).count() < n {
                let Some(left) = limit.checked_duration_since(Instant::now()) else {
                    break;
                };
                match self.lines.recv_timeout(left) {
                    Ok(l) => self.seen.push(l),
                    Err(_) => break,
                }
            }
            if self.seen.iter().filter(|l| l.contains(needle)).count() < n {
                let _ = self.child.kill();
                panic!(
                    "fewer than {n} lines with {needle:?} within 60 s; got:\n{}",
                    self.seen.join("\n")
                );
            }
        }

        pub fn pid(&self) -> u32 {
            self.child.id()
        }

        pub fn signal(&self, sig: &str) {
            let st = Command::new("kill")
                .args([sig, &self.child.id().to_string()])
                .status()
                .unwrap_or_else(|e| panic!("kill: {e}"));
            assert!(st.success());
        }

        /// Wait (up to 60 s) for the exit; all of stdout, stderr and the exit code.
        pub fn finish(mut self) -> (Vec<String>, String, Option<i32>) {
            let limit = Instant::now() + Duration::from_secs(60);
            let status = loop {
                if let Some(s) = self.child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
                    break s;
                }
                if Instant::now() > limit {
                    let _ = self.child.kill();
                    panic!("voipctl watch did not stop; got:\n{}", self.seen.join("\n"));
                }
                if let Ok(l) = self.lines.recv_timeout(Duration::from_millis(50)) {
                    self.seen.push(l);
                }
            };
            while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(5)) {
                self.seen.push(l);
            }
            let err = self.stderr.join().unwrap_or_default();
            (self.seen, err, status.code())
        }
    }

    pub fn scenario(name: &str) -> Scenario {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name);
        Scenario::load(&p).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The log entries of a recording (not the header, not connection events): (µs, message).
    pub fn recorded(path: &Path) -> (Vec<(i64, String)>, Vec<String>) {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
        let mut entries = Vec::new();
        let mut events = Vec::new();
        for (i, l) in text.lines().enumerate() {
            let v: serde_json::Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("recording line {}: {e}: {l}", i + 1));
            if i == 0 {
                assert_eq!(v["voipctl_recording"], 1, "header: {l}");
                continue;
            }
            if let Some(e) = v["event"].as_str() {
                events.push(e.to_string());
                continue;
            }
            let t = v["t"].as_f64().unwrap_or_else(|| panic!("no t: {l}"));
            let msg = match v["message"].as_str() {
                Some(m) => m.to_string(),
                None => {
                    let line = v["line"].as_str().unwrap_or_else(|| panic!("no line: {l}"));
                    line.split_once(">: ")
                        .map(|(_, m)| m.to_string())
                        .unwrap_or_default()
                }
            };
            entries.push(((t * 1e6).round() as i64, msg));
        }
        (entries, events)
    }

    pub fn sent(f: &Fixture) -> Vec<(i64, String)> {
        f.sim
            .sent(&f.udid())
            .into_iter()
            .map(|s| {
                // os_trace carries whole microseconds.
                let us =
                    s.at.duration_since(UNIX_EPOCH)
                        .unwrap_or_default()
                        .as_micros();
                (i64::try_from(us).unwrap_or(i64::MAX), s.message)
            })
            .collect()
    }
}

#[test]
fn watch_pushkit_scenario_then_sigterm_prints_summary_and_flushes_record() {
    let f = live::Fixture::new(live::scenario("pushkit-callkit.toml"), Some(20.0));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rec = dir.path().join("rec.jsonl");
    let mut w = live::Watch::start(
        &f,
        &[
            "--json",
            "watch",
            "-b",
            "com.example.call",
            "--duration",
            "120",
            "--record",
            rec.to_str().unwrap_or_default(),
        ],
    );
    w.wait_for("\"rule\":\"marker.mark\"");
    // Both kills leave a crash report on the phone: watch fetches each and puts it in the
    // timeline.
    w.wait_count("\"family\":\"crash-report\"", 2);
    w.signal("-TERM");
    let (lines, err, code) = w.finish();
    assert_eq!(code, Some(130), "{err}");
    let p = parse_json_lines(&lines.join("\n"));
    let crashes: Vec<&EventJson> = p
        .events
        .iter()
        .filter(|e| e.family == "crash-report")
        .collect();
    assert_eq!(crashes.len(), 2, "{crashes:?}");
    for (c, pid) in crashes.iter().zip([601, 644]) {
        assert_eq!(c.rule, "voipctl.crash-report");
        assert_eq!(c.app.as_deref(), Some("com.example.call"));
        assert_eq!(c.pid, Some(pid));
        assert_eq!(c.fields.get("signal").map(String::as_str), Some("SIGABRT"));
        assert_eq!(
            c.fields.get("termination_namespace").map(String::as_str),
            Some("SIGNAL")
        );
        assert_eq!(
            c.fields.get("termination_code").map(String::as_str),
            Some("6")
        );
        assert!(
            c.fields["exception_reason"].contains("never posted an incoming call"),
            "{c:?}"
        );
        assert!(c.fields["file"].starts_with("ExampleCall-") && c.fields["file"].ends_with(".ips"));
    }
    assert!(!err.contains("crash reports cannot be read"), "{err}");
    assert_eq!(p.summary.outcome, "interrupted");
    assert_eq!(p.summary.source, format!("device {}", f.udid()));
    assert!(p.summary.formats.get("os-trace").copied().unwrap_or(0) > 0);
    let app = p
        .summary
        .apps
        .iter()
        .find(|a| a.app == "com.example.call")
        .unwrap_or_else(|| panic!("{:?}", p.summary.apps));
    assert_eq!(app.pushes.received, 5);
    assert_eq!(app.pushes.reported, 2);
    assert_eq!(app.pushes.callkit_kills, 2);
    assert_eq!(app.pushes.bans, 1);
    assert!(
        app.pushes.banned,
        "banned at the end: nothing lifted the ban"
    );
    assert_eq!(app.launches.by_reason.get("voip-push"), Some(&2));
    // A PushKit app is not relaunched after an exit (the next push launches it): no
    // no-relaunch check, and each exit carries its crash report.
    assert_eq!(app.exits.len(), 2, "{:?}", app.exits);
    for x in &app.exits {
        assert_eq!(x.signal, Some(6));
        assert_eq!(x.relaunch_expected, Some(false));
        let c = x
            .crash
            .as_ref()
            .unwrap_or_else(|| panic!("no crash on {x:?}"));
        assert_eq!(c.format, "ips-json");
        assert_eq!(c.exception_type.as_deref(), Some("EXC_CRASH"));
        assert_eq!(c.termination_reason.as_deref(), Some("Abort trap: 6"));
    }
    assert_eq!(app.exits[1].relaunched_after_s, None);
    assert!(!app.checks.contains_key("no-relaunch"), "{:?}", app.checks);
    assert_eq!(p.summary.recording.as_deref(), rec.to_str());
    // Everything the simulator sent is in the recording, in order, and the file is complete.
    let (entries, _) = live::recorded(&rec);
    assert_eq!(entries, live::sent(&f));
    assert_eq!(entries.len() as u64, p.summary.lines);
    // analyze reads the recording and comes to the same conclusions.
    let out = voipctl(&[
        "--json",
        "analyze",
        rec.to_str().unwrap_or_default(),
        "-b",
        "com.example.call",
    ]);
    let q = parse_json_lines(&text(&out.stdout));
    let again = &q.summary.apps[0];
    assert_eq!(again.pushes.received, 5);
    assert_eq!(again.pushes.callkit_kills, 2);
    assert!(q.summary.formats.get("recording").copied().unwrap_or(0) > 30);
    assert_eq!(q.summary.lines, p.summary.lines + 1);
}

#[test]
fn watch_legacy_scenario_over_syslog_relay_and_ctrl_c() {
    let f = live::Fixture::new(live::scenario("legacy-voip.toml"), Some(600.0));
    let mut w = live::Watch::start(
        &f,
        &[
            "--json",
            "watch",
            "--syslog-relay",
            "-b",
            "com.example.legacyphone",
            "--duration",
            "120",
        ],
    );
    // The user kill at 25:00 is the last recognised line of the story.
    w.wait_for("exited voluntarily");
    w.wait_for("termination reported by launchd (0, 0, 0)");
    // The watchdog kill's crash report, fetched from the phone.
    w.wait_for("\"family\":\"crash-report\"");
    // The jetsam kill's entry in the system-wide JetsamEvent report.
    w.wait_for("per-process-limit (412 MiB)");
    w.signal("-INT");
    let (lines, err, code) = w.finish();
    assert_eq!(code, Some(130), "{err}");
    let p = parse_json_lines(&lines.join("\n"));
    assert!(p.summary.formats.get("syslog").copied().unwrap_or(0) > 0);
    let app = &p.summary.apps[0];
    assert_eq!(app.app, "com.example.legacyphone");
    assert_eq!(app.launches.total, 4);
    assert_eq!(app.launches.background, 4);
    assert_eq!(app.launches.by_reason.get("relaunch"), Some(&3));
    assert_eq!(app.keepalive.runs, 2);
    assert_eq!(app.keepalive.interval_s.mean, Some(600.0));
    assert_eq!(app.keepalive.late, 0);
    // The handler runs 2.8 s, but syslog_relay stamps have whole seconds: 2 or 3 s depending on
    // where the scenario's start falls within a second.
    let handler = app.keepalive.handler_s.max;
    assert!(
        matches!(handler, Some(s) if s == 2.0 || s == 3.0),
        "{handler:?}"
    );
    assert_eq!(app.events.get("socket-wake"), Some(&3));
    assert_eq!(app.exits.len(), 4);
    assert_eq!(app.exits[0].status, Some(1));
    assert_eq!(app.exits[0].relaunch_expected, Some(true));
    // exit(1) leaves no crash report; the watchdog kill (SIGKILL) does.
    assert!(app.exits[0].crash.is_none());
    let kill = &app.exits[1];
    assert_eq!(kill.signal, Some(9));
    assert_eq!(kill.relaunch_expected, Some(true));
    assert_eq!(kill.relaunched_into.as_deref(), Some("background"));
    let c = kill.crash.as_ref().unwrap_or_else(|| panic!("{kill:?}"));
    assert_eq!(c.termination_namespace.as_deref(), Some("FRONTBOARD"));
    assert_eq!(c.termination_code.as_deref(), Some("0x8badf00d"));
    assert_eq!(c.signal.as_deref(), Some("SIGKILL"));
    assert_eq!(c.pid, Some(530));
    assert!(
        c.code_meaning
            .as_deref()
            .unwrap_or("")
            .starts_with("watchdog")
    );
    assert_eq!(app.checks.get("watchdog"), Some(&1));
    let ev = p
        .events
        .iter()
        .find(|e| e.family == "crash-report")
        .unwrap_or_else(|| panic!("no crash-report event"));
    assert_eq!(ev.fields["termination_code"], "0x8badf00d");
    assert!(ev.summary.contains("0x8badf00d"), "{}", ev.summary);
    // The hung wake (11.2 s) ended in the kill, not a suspend: flagged.
    let over = p
        .events
        .iter()
        .find(|e| e.check.as_deref() == Some("wake-over-budget"))
        .unwrap_or_else(|| panic!("no wake-over-budget event"));
    assert!(over.duration_s.is_some_and(|d| d > 10.0), "{over:?}");
    // Relaunched 1.8 s after the exit; whole-second stamps make that 1 or 2 s.
    let after = app.exits[0].relaunched_after_s;
    assert!(
        matches!(after, Some(s) if s == 1.0 || s == 2.0),
        "{after:?}"
    );
    assert_eq!(app.exits[0].relaunched_into.as_deref(), Some("background"));
    // The jetsam kill (pid 561): its report is the system-wide JetsamEvent (bug_type 298).
    let jet = &app.exits[2];
    assert_eq!(jet.signal, Some(9));
    assert_eq!(jet.relaunched_into.as_deref(), Some("background"));
    let c = jet.crash.as_ref().unwrap_or_else(|| panic!("{jet:?}"));
    assert_eq!(c.bug_type.as_deref(), Some("298"));
    assert_eq!(c.pid, Some(561));
    assert!(
        c.termination_reason
            .as_deref()
            .unwrap_or("")
            .starts_with("jetsam: per-process-limit (412 MiB)"),
        "{c:?}"
    );
    assert!(c.file.as_deref().unwrap_or("").starts_with("JetsamEvent-"));
    assert_eq!(app.checks.get("jetsam"), Some(&1));
    let reports: Vec<_> = p
        .events
        .iter()
        .filter(|e| e.family == "crash-report")
        .collect();
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert!(
        reports[1]
            .summary
            .contains("jetsam: per-process-limit (412 MiB)"),
        "{}",
        reports[1].summary
    );
    assert_eq!(app.exits[3].status, Some(0));
    assert_eq!(app.exits[3].relaunch_expected, Some(false));
    assert!(app.wakes.count >= 5, "{:?}", app.wakes);
    assert_eq!(app.wakes.over_budget, 1);
}

fn detach_scenario(udid: &str, reattach: bool) -> voipctl::sim::Scenario {
    let re = if reattach {
        ", reattach = \"1.2s\""
    } else {
        ""
    };
    voipctl::sim::Scenario::parse(&format!(
        r#"
clock = "first-log-client"
[[device]]
udid = "{udid}"
name = "Detach iPhone"
[device.faults]
detach = [{{ at = "0.6s"{re} }}]
[[device.log]]
at = "0.1s"
process = "ExampleCall"
pid = 700
message = "VOIPCTL socket.reconnect ok=1"
[[device.log]]
at = "0.1s"
process = "ExampleCall"
pid = 700
message = "tick before, during and after the cable pull"
repeat = 150
every = "0.01"
[[device.log]]
at = "2.5s"
process = "ExampleCall"
pid = 700
message = "VOIPCTL mark end"
"#
    ))
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn watch_survives_a_detach_mid_stream_without_losing_a_line() {
    for syslog in [false, true] {
        let f = live::Fixture::new(detach_scenario("00008110-00DE7AC400000001", true), None);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let rec = dir.path().join("rec.jsonl");
        let mut args = vec![
            "--json",
            "watch",
            "--duration",
            "120",
            "--record",
            rec.to_str().unwrap_or_default(),
        ];
        if syslog {
            args.push("--syslog-relay");
        }
        let mut w = live::Watch::start(&f, &args);
        w.wait_for("\"family\":\"reconnected\"");
        w.wait_for("\"rule\":\"marker.mark\"");
        w.signal("-TERM");
        let (lines, err, code) = w.finish();
        assert_eq!(code, Some(130), "{err}");
        let p = parse_json_lines(&lines.join("\n"));
        // The gap is in the timeline and in the summary.
        let kinds: Vec<&str> = p.events.iter().map(|e| e.family.as_str()).collect();
        let d = kinds
            .iter()
            .position(|k| *k == "disconnected")
            .unwrap_or_else(|| panic!("{kinds:?}"));
        let r = kinds
            .iter()
            .position(|k| *k == "reconnected")
            .unwrap_or_else(|| panic!("{kinds:?}"));
        assert!(d < r);
        assert_eq!(p.summary.gaps.len(), 1, "{:?}", p.summary.gaps);
        assert!(p.summary.gaps[0].to.is_some());
        assert!(p.summary.gaps[0].duration_s.is_some_and(|s| s > 0.0));
        let disc = p
            .summary
            .checks
            .iter()
            .find(|c| c.check == "disconnected")
            .unwrap_or_else(|| panic!("no check"));
        assert_eq!(disc.count, 1);
        // No line the simulator wrote while connected is lost.
        let (entries, events) = live::recorded(&rec);
        assert_eq!(events, vec!["disconnected", "reconnected"]);
        let sent = live::sent(&f);
        assert!(
            sent.len() > 20 && sent.len() < 152,
            "the gap should have cost lines: {}",
            sent.len()
        );
        if syslog {
            // syslog_relay stamps have whole seconds: compare the messages in order.
            let a: Vec<&String> = entries.iter().map(|e| &e.1).collect();
            let b: Vec<&String> = sent.iter().map(|e| &e.1).collect();
            assert_eq!(a, b);
        } else {
            assert_eq!(entries, sent);
        }
        assert_eq!(p.summary.lines, sent.len() as u64);
    }
}

#[test]
fn watch_exit_on_disconnect_reports_then_exits_4() {
    let f = live::Fixture::new(detach_scenario("00008110-00DE7AC400000002", false), None);
    let w = live::Watch::start(
        &f,
        &[
            "--json",
            "watch",
            "--exit-on-disconnect",
            "--duration",
            "120",
        ],
    );
    let (lines, err, code) = w.finish();
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("disconnected"), "{err}");
    let p = parse_json_lines(&lines.join("\n"));
    assert_eq!(p.summary.gaps.len(), 1);
    assert!(p.summary.gaps[0].to.is_none());
    assert_ne!(p.summary.outcome, "interrupted");
}

#[test]
fn watch_without_the_crash_service_says_so_once_and_goes_on() {
    watch_with_unreadable_crash_reports(false, "InvalidService");
}

#[test]
fn watch_with_crash_reports_refused_by_a_locked_phone_goes_on() {
    watch_with_unreadable_crash_reports(true, "locked");
}

fn watch_with_unreadable_crash_reports(locked: bool, why: &str) {
    let mut sc = live::scenario("pushkit-callkit.toml");
    if locked {
        sc.devices[0].faults.crash_reports_locked = true;
    } else {
        sc.devices[0].faults.no_crash_reports = true;
    }
    let f = live::Fixture::new(sc, Some(20.0));
    let mut w = live::Watch::start(&f, &["--json", "watch", "-b", "com.example.call"]);
    w.wait_for("\"rule\":\"marker.mark\"");
    w.signal("-TERM");
    let (lines, err, code) = w.finish();
    assert_eq!(code, Some(130), "{err}");
    assert_eq!(
        err.matches("crash reports cannot be read").count(),
        1,
        "{err}"
    );
    assert!(err.contains(why), "{err}");
    let p = parse_json_lines(&lines.join("\n"));
    assert!(p.events.iter().all(|e| e.family != "crash-report"));
    let app = &p.summary.apps[0];
    assert_eq!(app.pushes.callkit_kills, 2);
    assert!(app.exits.iter().all(|x| x.crash.is_none()));
}

#[test]
fn watch_no_crash_reports_does_not_look() {
    let f = live::Fixture::new(live::scenario("pushkit-callkit.toml"), Some(40.0));
    let mut w = live::Watch::start(
        &f,
        &[
            "--json",
            "watch",
            "-b",
            "com.example.call",
            "--no-crash-reports",
        ],
    );
    w.wait_for("\"rule\":\"marker.mark\"");
    w.signal("-TERM");
    let (lines, err, code) = w.finish();
    assert_eq!(code, Some(130), "{err}");
    assert!(!err.contains("crash report"), "{err}");
    let p = parse_json_lines(&lines.join("\n"));
    assert!(p.events.iter().all(|e| e.family != "crash-report"));
    assert_eq!(p.summary.apps[0].exits.len(), 2);
}

#[test]
fn analyze_puts_a_crash_report_next_to_the_exit_it_explains() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("device.log");
    std::fs::write(
        &log,
        // System lines in real forms (tests/data/sessions/r2-04…, ios-log-corpus.jsonl: iOS 14.5).
        "Nov 25 10:00:00 iPhone runningboardd[33] <Notice>: Creating and launching job for: application<com.example.legacyphone>\n\
         Nov 25 10:00:01 iPhone LegacyPhone[412] <Notice>: VOIPCTL launch state=background\n\
         Nov 25 10:00:02 iPhone LegacyPhone[412] <Notice>: VOIPCTL socket.wake\n\
         Nov 25 10:05:00 iPhone runningboardd[33] <Notice>: [application<com.example.legacyphone>:412] termination reported by launchd (2, 11, 11)\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let crash = dir.path().join("LegacyPhone-2025-11-25-100500.crash");
    std::fs::write(
        &crash,
        "Incident Identifier: 6D3C1A2B-0000-4000-8000-000000000412\n\
         Process:             LegacyPhone [412]\n\
         Identifier:          com.example.legacyphone\n\
         Date/Time:           2025-11-25 10:05:00.1200 +0000\n\
         OS Version:          iPhone OS 15.8.2 (19H384)\n\n\
         Exception Type:  EXC_BAD_ACCESS (SIGSEGV)\n\
         Exception Codes: KERN_INVALID_ADDRESS at 0x0000000000000010\n\
         Termination Reason: SIGNAL 11 Segmentation fault: 11\n\
         Triggered by Thread:  0\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = voipctl(&[
        "--json",
        "analyze",
        log.to_str().unwrap_or_default(),
        "--crash-report",
        crash.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let p = parse_json_lines(&text(&out.stdout));
    let ev = p
        .events
        .iter()
        .find(|e| e.family == "crash-report")
        .unwrap_or_else(|| panic!("no crash-report event"));
    assert_eq!(ev.line, 4, "attached to the exit line");
    assert_eq!(ev.app.as_deref(), Some("com.example.legacyphone"));
    assert_eq!(ev.fields["signal"], "SIGSEGV");
    assert_eq!(ev.fields["termination_code"], "11");
    let x = &p.summary.apps[0].exits[0];
    assert_eq!(x.pid, Some(412));
    assert_eq!(x.signal, Some(11));
    let c = x.crash.as_ref().unwrap_or_else(|| panic!("{x:?}"));
    assert_eq!(c.format, "crash-text");
    assert_eq!(c.exception_type.as_deref(), Some("EXC_BAD_ACCESS"));
    assert_eq!(
        c.termination_reason.as_deref(),
        Some("Segmentation fault: 11")
    );
    assert_eq!(
        c.file.as_deref(),
        Some("LegacyPhone-2025-11-25-100500.crash")
    );
    // Not a crash report: an input error (exit 3) naming the file.
    let out = voipctl(&[
        "analyze",
        log.to_str().unwrap_or_default(),
        "--crash-report",
        log.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("as a crash report"),
        "{}",
        text(&out.stderr)
    );
}

/// A JetsamEvent report (bug_type 298, header line + body) as iOS writes it: SpringBoard alive,
/// the app killed (per-process-limit, 26368 pages of 16 KiB = 412 MiB), another app killed too.
const JETSAM_EVENT: &str = r#"{"bug_type":"298","timestamp":"2025-11-25 10:24:10.00 +0000","os_version":"iPhone OS 15.8.2 (19H384)","incident_id":"1F0E2D3C-5A6B-4C7D-8E9F-0A1B2C3D4E5F"}
{
  "crashReporterKey" : "c0ffee",
  "product" : "iPhone10,4",
  "date" : "2025-11-25 10:24:10.42 +0000",
  "build" : "iPhone OS 15.8.2 (19H384)",
  "largestProcess" : "LegacyPhone",
  "pageSize" : 16384,
  "processes" : [
  {"uuid" : "aa11bb22-0000-4000-8000-000000000001", "states" : ["daemon", "idle"], "rpages" : 1210, "pid" : 57, "name" : "SpringBoard"},
  {"uuid" : "aa11bb22-0000-4000-8000-000000000003", "states" : ["suspended"], "rpages" : 3200, "reason" : "vm-pageshortage", "pid" : 702, "name" : "OtherApp"},
  {"uuid" : "aa11bb22-0000-4000-8000-000000000002", "states" : ["suspended"], "rpages" : 26368, "reason" : "per-process-limit", "pid" : 561, "name" : "LegacyPhone"}
  ]
}
"#;

/// `voipctl --json analyze` on `log` with the JetsamEvent above as `--crash-report`.
fn analyze_with_jetsam_event(log: &str) -> Output {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log_file = dir.path().join("device.log");
    std::fs::write(&log_file, log).unwrap_or_else(|e| panic!("{e}"));
    let jetsam = dir.path().join("JetsamEvent-2025-11-25-102410.ips");
    std::fs::write(&jetsam, JETSAM_EVENT).unwrap_or_else(|e| panic!("{e}"));
    voipctl(&[
        "--json",
        "analyze",
        log_file.to_str().unwrap_or_default(),
        "--crash-report",
        jetsam.to_str().unwrap_or_default(),
    ])
}

#[test]
fn analyze_attaches_a_jetsam_event_entry_to_the_jetsam_kill() {
    let out = analyze_with_jetsam_event(
        // System lines in real forms (ios-log-corpus.jsonl: RunningBoard iOS 14-15, the kernel's
        // memorystatus line of iOS 11).
        "Nov 25 10:20:00 iPhone runningboardd[33] <Notice>: Creating and launching job for: application<com.example.legacyphone>\n\
         Nov 25 10:20:01 iPhone LegacyPhone[561] <Notice>: VOIPCTL launch state=background\n\
         Nov 25 10:20:02 iPhone runningboardd[33] <Notice>: [application<com.example.legacyphone>:561] Suspending task.\n\
         Nov 25 10:24:10 iPhone kernel[0] <Notice>: 399243.947 memorystatus: killing_specific_process pid 561 [LegacyPhone] (per-process-limit 10) - memorystatus_available_pages: 42511\n\
         Nov 25 10:24:10 iPhone runningboardd[33] <Notice>: [application<com.example.legacyphone>:561] termination reported by launchd (2, 9, 9)\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
    let p = parse_json_lines(&text(&out.stdout));
    // One crash-report event, for the app only (OtherApp is not in the log), at the kill line.
    let reports: Vec<&EventJson> = p
        .events
        .iter()
        .filter(|e| e.family == "crash-report")
        .collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let ev = reports[0];
    assert_eq!(ev.rule, "voipctl.crash-report");
    assert_eq!(ev.line, 4, "at the jetsam kill line");
    assert_eq!(ev.app.as_deref(), Some("com.example.legacyphone"));
    assert_eq!(ev.pid, Some(561));
    assert_eq!(ev.fields["bug_type"], "298");
    assert_eq!(ev.fields["signal"], "SIGKILL");
    assert_eq!(ev.fields["file"], "JetsamEvent-2025-11-25-102410.ips");
    assert!(
        ev.summary.contains("jetsam: per-process-limit (412 MiB)"),
        "{}",
        ev.summary
    );
    assert!(
        ev.note.as_deref().unwrap_or("").contains("memory limit"),
        "{ev:?}"
    );
    // The summary's exit carries the entry, as `watch` attaches it.
    let app = &p.summary.apps[0];
    assert_eq!(app.app, "com.example.legacyphone");
    assert_eq!(app.checks.get("jetsam"), Some(&1));
    assert_eq!(app.events.get("crash-report"), Some(&1));
    assert_eq!(app.exits.len(), 1, "{:?}", app.exits);
    let x = &app.exits[0];
    assert_eq!(x.pid, Some(561));
    assert_eq!(x.signal, Some(9));
    let c = x.crash.as_ref().unwrap_or_else(|| panic!("{x:?}"));
    assert_eq!(c.format, "ips-json");
    assert_eq!(c.bug_type.as_deref(), Some("298"));
    assert_eq!(c.process.as_deref(), Some("LegacyPhone"));
    assert_eq!(c.pid, Some(561));
    assert_eq!(c.signal.as_deref(), Some("SIGKILL"));
    assert_eq!(c.time.as_deref(), Some("2025-11-25 10:24:10.42 +0000"));
    assert_eq!(c.os_version.as_deref(), Some("iPhone OS 15.8.2 (19H384)"));
    assert_eq!(
        c.termination_reason.as_deref(),
        Some("jetsam: per-process-limit (412 MiB), state suspended, largest process LegacyPhone")
    );
    assert_eq!(c.file.as_deref(), Some("JetsamEvent-2025-11-25-102410.ips"));
}

#[test]
fn analyze_warns_once_when_a_jetsam_event_explains_no_exit() {
    // The app's pid 412 dies on a signal; the JetsamEvent lists its earlier pid 561 and another
    // app killed, not 412.
    let out = analyze_with_jetsam_event(
        "Nov 25 10:00:00 iPhone runningboardd[33] <Notice>: Creating and launching job for: application<com.example.legacyphone>\n\
         Nov 25 10:00:01 iPhone LegacyPhone[412] <Notice>: VOIPCTL launch state=background\n\
         Nov 25 10:05:00 iPhone runningboardd[33] <Notice>: [application<com.example.legacyphone>:412] termination reported by launchd (2, 9, 9)\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert_eq!(err.matches("warning:").count(), 1, "{err}");
    for want in [
        "JetsamEvent report JetsamEvent-2025-11-25-102410.ips explains no exit in this log",
        "looked for pid 412 (LegacyPhone), the signal of com.example.legacyphone at Nov 25 10:05:00;",
        "it lists as killed OtherApp[702] (vm-pageshortage), LegacyPhone[561] (per-process-limit)",
    ] {
        assert!(err.contains(want), "{want:?} not in {err}");
    }
    let p = parse_json_lines(&text(&out.stdout));
    assert!(p.events.iter().all(|e| e.family != "crash-report"));
    assert!(p.summary.apps[0].exits.iter().all(|x| x.crash.is_none()));
}

/// The peak resident memory of a process (Linux), in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Issue 17: a phone (or anything at the usbmuxd address) sends one 256 MiB syslog_relay entry.
/// `watch` cuts it at 1 MiB, says so in the summary, keeps its memory far below the entry's
/// size, and reads the whole story that follows.
#[test]
#[allow(clippy::print_stderr)] // the peak memory, for the record
fn watch_cuts_an_endless_syslog_line_and_goes_on() {
    const ENDLESS: u64 = 256 << 20;
    let mut scenario = live::scenario("legacy-voip.toml");
    scenario.devices[0].faults.endless_line = Some(ENDLESS);
    let f = live::Fixture::new(scenario, Some(600.0));
    let mut w = live::Watch::start(
        &f,
        &[
            "--json",
            "watch",
            "--syslog-relay",
            "-b",
            "com.example.legacyphone",
            "--duration",
            "120",
        ],
    );
    // The last recognised line of the story comes after the endless one.
    w.wait_for("termination reported by launchd (0, 0, 0)");
    let hwm = vm_hwm_kib(w.pid());
    w.signal("-INT");
    let (lines, err, code) = w.finish();
    assert_eq!(code, Some(130), "{err}");
    let p = parse_json_lines(&lines.join("\n"));
    assert_eq!(p.summary.truncated_lines, 1);
    let app = &p.summary.apps[0];
    assert_eq!(app.launches.total, 4);
    assert_eq!(app.exits.len(), 4);
    eprintln!("watch peak memory (VmHWM) with a {ENDLESS}-byte entry: {hwm:?} KiB");
    if let Some(kib) = hwm {
        assert!(
            kib < 96 * 1024,
            "watch held {kib} KiB for a {ENDLESS}-byte entry"
        );
    }
}

/// Issue 17: a phone floods 1.06 MiB syslog_relay entries faster than the analysis takes them. Each
/// is cut at 1 MiB and counted, the story that follows is read whole, and the queue between the
/// reader and the analysis is bounded in bytes (8 MiB), not only in entries (4,096 entries of 1 MiB
/// would be 4 GiB): `watch` stays far below the flood's size. (A debug build: an idle `watch`
/// peaks at ~48-55 MiB; under this flood 65-72 MiB, and 122-125 MiB with the queue bounded by
/// entries only.)
#[test]
#[allow(clippy::print_stderr)] // the peak memory, for the record
fn watch_memory_stays_bounded_under_a_flood_of_long_lines() {
    const COUNT: u64 = 96;
    const BYTES: u64 = (1 << 20) + (64 << 10);
    let mut scenario = live::scenario("legacy-voip.toml");
    scenario.devices[0].faults.long_lines = Some(voipctl::sim::scenario::LongLines {
        count: COUNT,
        bytes: BYTES,
    });
    let f = live::Fixture::new(scenario, Some(600.0));
    let mut w = live::Watch::start(
        &f,
        &[
            "--json",
            "watch",
            "--syslog-relay",
            "-b",
            "com.example.legacyphone",
            "--duration",
            "120",
        ],
    );
    w.wait_for("termination reported by launchd (0, 0, 0)");
    let hwm = vm_hwm_kib(w.pid());
    w.signal("-INT");
    let (lines, err, code) = w.finish();
    assert_eq!(code, Some(130), "{err}");
    let p = parse_json_lines(&lines.join("\n"));
    assert_eq!(p.summary.truncated_lines, COUNT);
    let app = &p.summary.apps[0];
    assert_eq!(app.launches.total, 4);
    assert_eq!(app.exits.len(), 4);
    eprintln!("watch peak memory (VmHWM) under {COUNT} entries of {BYTES} bytes: {hwm:?} KiB");
    if let Some(kib) = hwm {
        assert!(
            kib < 96 * 1024,
            "watch held {kib} KiB under a flood of {COUNT} entries of {BYTES} bytes"
        );
    }
}

// ---- issue 13: the verdict does not depend on --lines, the filters or the noise ----------------

/// A real crash and the quiet that follows, in one Console.app capture: (is noise, line).
/// github.com/SimbaBuilds/Juniper_React_Native/blob/12fd8b83d3c2e209cc91221122d41c1e6969a33f/native_crash_logs.md
/// (2025, iOS 17+): com.hightowerai.MobileJarvisNative dies of SIGABRT at 19:28:27; the last
/// line, 74 minutes later, is wifid noise. The first line is an app marker (the only kind of
/// line written here), so that the app is a VoIP-socket app that iOS owes a relaunch.
const CRASH_THEN_QUIET: &[(bool, &str)] = &[
    (
        false,
        "default\t19:28:20.000000-0500\tMobileJarvisNative\tVOIPCTL socket.wake",
    ),
    (
        false,
        "default\t19:28:27.263825-0500\tkernel\tMobileJarvisNative[51362] Corpse allowed 1 of 5",
    ),
    (
        false,
        "default\t19:28:27.267102-0500\tSpringBoard\tcom.hightowerai.MobileJarvisNative(51362) lostConnection (invalidation)",
    ),
    (
        false,
        "default\t19:28:27.267497-0500\tSpringBoard\t[app<com.hightowerai.MobileJarvisNative>:51362] Now flagged as pending exit for reason: workspace client connection invalidated",
    ),
    (
        true,
        "default\t19:28:27.268591-0500\tSpringBoard\t[coordinator] using MRU target <com.apple.frontboard.systemappservices/FBSceneManager:sceneID%3Acom.hightowerai.MobileJarvisNative-default pid:51362>",
    ),
    (
        true,
        "default\t19:28:27.268644-0500\tSpringBoard\t[coordinator] informing scene controller 'com.apple.springboard' of focusTarget: <com.apple.frontboard.systemappservices/FBSceneManager:sceneID%3Acom.hightowerai.MobileJarvisNative-default pid:51362>",
    ),
    (
        true,
        "default\t19:28:27.269526-0500\tSpringBoard\t[coordinator] keyboard arbiter suggested <nothing> and we replied <com.apple.frontboard.systemappservices/FBSceneManager:sceneID%3Acom.hightowerai.MobileJarvisNative-default pid:51362>",
    ),
    (
        true,
        "error\t19:28:27.269850-0500\tSpringBoard\tAdvisor: No handle found for currently focused PID: 51362; sceneIdentity: com.apple.frontboard.systemappservices/FBSceneManager:sceneID%3Acom.hightowerai.MobileJarvisNative-default",
    ),
    (
        false,
        "default\t19:28:27.271564-0500\trunningboardd\tXPC connection invalidated: [app<com.hightowerai.MobileJarvisNative(BED36376-5A4B-42A9-9620-6AE0BC5F0283)>:51362]",
    ),
    (
        false,
        "default\t19:28:27.273510-0500\trunningboardd\t[app<com.hightowerai.MobileJarvisNative(BED36376-5A4B-42A9-9620-6AE0BC5F0283)>:51362] termination reported by launchd (2, 6, 6)",
    ),
    (
        false,
        "default\t19:28:27.273556-0500\trunningboardd\tRemoving process: [app<com.hightowerai.MobileJarvisNative(BED36376-5A4B-42A9-9620-6AE0BC5F0283)>:51362]",
    ),
    (
        false,
        "default\t19:28:27.273811-0500\trunningboardd\tRemoving assertions for terminated process: [app<com.hightowerai.MobileJarvisNative(BED36376-5A4B-42A9-9620-6AE0BC5F0283)>:51362]",
    ),
    (
        false,
        "default\t19:28:27.278755-0500\trunningboardd\tCalculated state for app<com.hightowerai.MobileJarvisNative(BED36376-5A4B-42A9-9620-6AE0BC5F0283)>: none (role: None) (endowments: (null))",
    ),
    (
        false,
        "default\t19:28:27.279007-0500\tSpringBoard\t[app<com.hightowerai.MobileJarvisNative>:51362] Process exited: <RBSProcessExitContext| specific, status:<RBSProcessExitStatus| domain:signal(2) code:SIGABRT(6)>>.",
    ),
    (
        false,
        "default\t19:28:27.279037-0500\tSpringBoard\t[app<com.hightowerai.MobileJarvisNative>:51362] Setting process task state to: Not Running",
    ),
    (
        false,
        "default\t19:28:27.279638-0500\tSpringBoard\tProcess exited: <FBApplicationProcess: 0x86622f300; app<com.hightowerai.MobileJarvisNative>:51362(vA570D)> -> <RBSProcessExitContext| specific, status:<RBSProcessExitStatus| domain:signal(2) code:SIGABRT(6)>>",
    ),
    (
        false,
        "default\t19:28:27.290338-0500\tcallservicesd\tReceived state update for 51362 (app<com.hightowerai.MobileJarvisNative(BED36376-5A4B-42A9-9620-6AE0BC5F0283)>, none-NotVisible",
    ),
    (
        false,
        "default\t19:28:27.290998-0500\tlocationd\t{\"msg\":\"#dic AppMonitor received Termination\", \"pid\":51362, \"bundleId\":\"com.hightowerai.MobileJarvisNative\", \"isUserKill\":0}",
    ),
    (
        false,
        "default\t19:28:27.291910-0500\tlocationd\t{\"msg\":\"RBS #dic AppMonitor received Termination\", \"pid\":51362, \"bundleId\":\"com.hightowerai.MobileJarvisNative\", \"isUserKill\":0}",
    ),
    (
        true,
        "default\t19:28:27.292435-0500\tlocationd\t{\"msg\":\"#Warning #ClientResolution the passed keyPath is not registered. Resolving to #nullCKP\", \"InputCKP\":\"icom.hightowerai.MobileJarvisNative:\"}",
    ),
    (
        true,
        "default\t19:28:27.293853-0500\tlocationd\t{\"msg\":\"#CLIUA Marking change\", \"clientKey\":\"icom.hightowerai.MobileJarvisNative:\", \"reason\":\"Process state from RunningBoard\", \"AssertionLevel\":\"kCLClientInUseLevelDirectUserEngagement\", \"coming\":0}",
    ),
    (
        true,
        "default\t19:28:27.294397-0500\tWirelessRadioManagerd\tReceived state update for 51362 (app<com.hightowerai.MobileJarvisNative(BED36376-5A4B-42A9-9620-6AE0BC5F0283)>, none-NotVisible",
    ),
    (
        false,
        "default\t19:28:27.298578-0500\tSpringBoard\t[com.hightowerai.MobileJarvisNative] com.hightowerai.MobileJarvisNative application state changed to <RBSProcessState| task:none debug:none>",
    ),
    (
        false,
        "default\t19:28:27.298775-0500\tSpringBoard\t[com.hightowerai.MobileJarvisNative] Ignore becoming background for application without push registration",
    ),
    (
        true,
        "default\t19:28:27.307265-0500\tSpringBoard\t[com.apple.springboard] removing scene: com.apple.frontboard.systemappservices/FBSceneManager:sceneID%3Acom.hightowerai.MobileJarvisNative-default pid: 51362 for reason: didRemoveExternalForegroundApplicationSceneHandle",
    ),
    (
        true,
        "default\t19:28:27.314918-0500\tcameracaptured\t<<<< FigCaptureDisplayLayoutMonitor >>>> -[FigCaptureDisplayLayoutMonitor _parseFBSDisplayLayout:]: <FigCaptureDisplayLayoutMonitor: 0x85416d5c0 Main Display> <FBSDisplayLayout: 0x859b50e80; displayIdentity: Main> {    bounds = {{0, 0}, {390, 844}};    interfaceOrientation = \"portrait (1)\";    backlightLevel = 100;    backlightState = 2;    elements = {        <SBSDisplayLayoutElement: 0x85b5edc00; com.apple.springboard.home-screen; frame: {{0, 0}, {390, 844}}; level: 0; role: primary>;        <SBSDisplayLayoutElement: 0x85b5eedf0; sceneID:com.hightowerai.MobileJarvisNative-default; bundleID: com.hightowerai.MobileJarvisNative; frame: {{0, 0}, {390, 844}}; level: 1; role: primary>;    }    timestamp = October 14, 2025 at 7:28:27 PM CDT;}",
    ),
    (
        true,
        "default\t19:28:27.329225-0500\tSpringBoard\t<SBSceneSnapshotRequestor: 0x8648f3f00; debugName: LCD> [sceneID:com.hightowerai.MobileJarvisNative-default] Requesting 2 snapshot(s) because the scene actually moved to the background",
    ),
    (
        true,
        "default\t19:28:27.330208-0500\tbluetoothd\tSystemUI unknown identifier: 'sceneID:com.hightowerai.MobileJarvisNative-default' / 'com.hightowerai.MobileJarvisNative'",
    ),
    (
        true,
        "default\t19:28:27.338681-0500\tsymptomsd\tcom.hightowerai.MobileJarvisNative: Foreground: false",
    ),
    (
        true,
        "default\t19:28:27.345608-0500\tbackboardd\tnew scene host settings: contextID:924739A4 <sceneID:com.hightowerai.MobileJarvisNative-default> foreground -> inactive",
    ),
    (
        true,
        "default\t19:28:27.358617-0500\tSpringBoard\tGot response for <FBSceneSnapshotAction: 0x86b609e00; sceneID:com.hightowerai.MobileJarvisNative-default>: <NSError: 0x86fd32c10; domain: BSActionErrorDomain; code: 6 (\"anulled\")>",
    ),
    (
        true,
        "error\t19:28:27.404687-0500\tsymptomsd\tCOSMCtrl _foregroundAppActivity incoming bundle com.hightowerai.MobileJarvisNative has nil supplied UUID, finds existing FEA71535-E2E6-335F-B002-9DFD4EAAB236",
    ),
    (
        false,
        "default\t19:28:27.921082-0500\tReportCrash\tFormulating fatal 309 report for corpse[51362] MobileJarvisNative",
    ),
    (
        false,
        "default\t19:28:27.934591-0500\tReportCrash\tloadStoreInfo [platform 2] com.hightowerai.MobileJarvisNative from file:///private/var/containers/Bundle/Application/1BD390BE-4C15-43CE-9F11-6E65FCA29E52/MobileJarvisNative.app/",
    ),
    (
        false,
        "default\t19:28:27.950825-0500\tosanalyticshelper\tcreating type 309 as /private/var/containers/Shared/SystemGroup/systemgroup.com.apple.osanalytics/DiagnosticReports/.MobileJarvisNative-2025-10-14-192827.ips",
    ),
    (
        false,
        "default\t19:28:27.970020-0500\tosanalyticshelper\tSaved type '309(<private>)' report (19 of max 25) at /private/var/containers/Shared/SystemGroup/systemgroup.com.apple.osanalytics/DiagnosticReports/MobileJarvisNative-2025-10-14-192827.ips",
    ),
    (
        false,
        "default\t19:28:27.976022-0500\tReportCrash\tclient log create type 309 result success: /private/var/containers/Shared/SystemGroup/systemgroup.com.apple.osanalytics/DiagnosticReports/MobileJarvisNative-2025-10-14-192827.ips",
    ),
    (
        false,
        "default\t19:28:27.986422-0500\tReportCrash\tcom.hightowerai.MobileJarvisNative is not a MetricKit client",
    ),
    (
        false,
        "default\t19:28:28.009593-0500\tReportCrash\trecordCrashEvent; isBeta 0, log: '/private/var/containers/Shared/SystemGroup/systemgroup.com.apple.osanalytics/DiagnosticReports/MobileJarvisNative-2025-10-14-192827.ips'",
    ),
    (
        true,
        "default\t19:28:28.877171-0500\tSpringBoard\tVerify background audio activity for com.hightowerai.MobileJarvisNative, Recording: 0",
    ),
    (
        true,
        "default\t20:42:13.648363-0500\twifid\tWiFiDeviceManagerCatsSetLowLatencyApp: CATSUpdate en0: fgApp:com.hightowerai.MobileJarvisNative b=0x0 rc=0",
    ),
];

#[test]
fn verdicts_are_the_same_with_lines_filters_and_noise() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |name: &str, noise: bool| {
        let path = dir.path().join(name);
        let text: Vec<&str> = CRASH_THEN_QUIET
            .iter()
            .enumerate()
            // Without noise: the events' lines and the last line (the log's end).
            .filter(|(i, (is_noise, _))| noise || !is_noise || *i == CRASH_THEN_QUIET.len() - 1)
            .map(|(_, (_, l))| *l)
            .collect();
        std::fs::write(&path, text.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
        path.to_string_lossy().into_owned()
    };
    let noisy = write("noisy.log", true);
    let quiet = write("quiet.log", false);
    let verdicts = |args: &[&str]| {
        let mut all = vec![
            "--json",
            "analyze",
            "-b",
            "com.hightowerai.MobileJarvisNative",
        ];
        all.extend_from_slice(args);
        let out = voipctl(&all);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let p = parse_json_lines(&text(&out.stdout));
        p.checks
            .iter()
            .map(|c| (c.check.clone(), c.verdict.clone(), c.count))
            .collect::<Vec<_>>()
    };
    let base = verdicts(&[&noisy]);
    let relaunch = base
        .iter()
        .find(|c| c.0 == "no-relaunch")
        .unwrap_or_else(|| panic!("no no-relaunch check"));
    assert_eq!((relaunch.1.as_str(), relaunch.2), ("failed", 1), "{base:?}");
    for args in [
        vec![noisy.as_str(), "--lines"],
        vec![noisy.as_str(), "--exclude", "wifid"],
        vec![noisy.as_str(), "--match", "VOIPCTL|termination reported"],
        vec![noisy.as_str(), "--lines", "--exclude", "SpringBoard"],
        vec![quiet.as_str()],
        vec![quiet.as_str(), "--lines"],
    ] {
        assert_eq!(verdicts(&args), base, "{args:?}");
    }
    // Cut before the quiet: the log ends before the relaunch window closes — unknown.
    let cut = dir.path().join("cut.log");
    let lines: Vec<&str> = CRASH_THEN_QUIET[..CRASH_THEN_QUIET.len() - 1]
        .iter()
        .map(|(_, l)| *l)
        .collect();
    std::fs::write(&cut, lines.join("\n")).unwrap_or_else(|e| panic!("{e}"));
    let out = voipctl(&[
        "--json",
        "analyze",
        "-b",
        "com.hightowerai.MobileJarvisNative",
        cut.to_str().unwrap_or_default(),
    ]);
    let p = parse_json_lines(&text(&out.stdout));
    let c = p
        .checks
        .iter()
        .find(|c| c.check == "no-relaunch")
        .unwrap_or_else(|| panic!("no no-relaunch check"));
    assert_eq!(c.verdict, "unknown", "{c:?}");
    assert!(
        c.detail.contains("before the 60 s relaunch window closed"),
        "{c:?}"
    );
}

// ---- golden sessions: real excerpts, with what their sidecar makes certain ---------------------

/// The push checks that carry probe's cause chain when they fail (or stay undecided).
const CHAINED: [&str; 5] = [
    "push-not-reported",
    "report-late",
    "callkit-kill",
    "ban",
    "push-dropped",
];

/// Issue 14: a failed push check of `analyze` ends in the cause chain `probe` gives a failed
/// round — each link seen (with its log line) or inferred, and the fix — and an undecided one
/// says in its chain what the log lacks. On every golden session (real excerpts), with the
/// element-ios one (a VoIP push that PushKit kills the app for) pinned link by link.
#[test]
fn failed_push_checks_of_golden_sessions_carry_the_cause_chain() {
    let dir = data("sessions");
    let mut chains = 0;
    for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")) {
        let p = e.unwrap_or_else(|e| panic!("{e}")).path();
        if p.extension().and_then(|x| x.to_str()) != Some("log") {
            continue;
        }
        let out = voipctl(&["--json", "analyze", p.to_str().unwrap_or_default()]);
        let summary = parse_json_lines(&text(&out.stdout)).summary;
        for c in &summary.checks {
            let chained = CHAINED.contains(&c.check.as_str());
            match (&c.diagnosis, c.verdict.as_str()) {
                (Some(d), "failed" | "unknown") => {
                    assert!(chained, "{}: {} has a chain", p.display(), c.check);
                    assert!(!d.fix.is_empty());
                    assert!(d.chain.iter().all(|l| match l.evidence.as_str() {
                        "seen" => l.line.as_deref().is_some_and(|x| !x.is_empty()),
                        "inferred" => l.line.is_none(),
                        _ => false,
                    }));
                    if c.verdict == "unknown" {
                        assert!(
                            d.chain.iter().any(|l| l.evidence == "inferred"
                                && l.step.contains("neither a CallKit report nor a kill")),
                            "{}: {:?}",
                            p.display(),
                            d.chain
                        );
                    }
                    chains += 1;
                }
                (Some(_), v) => panic!("{}: a {v} check {} has a chain", p.display(), c.check),
                (None, "failed") => {
                    assert!(
                        !chained,
                        "{}: failed {} without a chain",
                        p.display(),
                        c.check
                    )
                }
                (None, _) => {}
            }
        }
    }
    assert!(chains >= 2, "chains: {chains}");

    let log = data("sessions/r2-06-element-pushkit-unreported-voip-push.log");
    let out = voipctl(&["--json", "analyze", log.to_str().unwrap_or_default()]);
    let summary = parse_json_lines(&text(&out.stdout)).summary;
    for name in ["callkit-kill", "push-not-reported"] {
        let c = summary
            .checks
            .iter()
            .find(|c| c.check == name)
            .unwrap_or_else(|| panic!("no {name}"));
        assert_eq!(c.verdict, "failed");
        let d = c
            .diagnosis
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no chain"));
        let links: Vec<(&str, &str, Option<&str>)> = d
            .chain
            .iter()
            .map(|l| (l.evidence.as_str(), l.step.as_str(), l.line.as_deref()))
            .collect();
        assert_eq!(links.len(), 4, "{links:?}");
        assert_eq!(
            links[0],
            (
                "seen",
                "PushKit delivered the push to the app's delegate",
                Some("Riot: [PushNotificationService] didReceiveIncomingPushWithPayload: {")
            )
        );
        assert_eq!(
            links[1],
            ("inferred", "no CallKit report before the kill", None)
        );
        assert_eq!(links[2].0, "seen");
        assert!(
            links[2].2.is_some_and(
                |l| l.starts_with("Riot: Apps receving VoIP pushes must post an incoming call")
            ),
            "{links:?}"
        );
        assert_eq!(links[3].0, "inferred");
        assert!(links[3].1.contains("banned"));
        assert!(d.fix.contains("reportNewIncomingCall"));
    }
    // People read the same chain under the failed check, and JUnit carries it.
    let human = voipctl(&[
        "--color",
        "never",
        "analyze",
        log.to_str().unwrap_or_default(),
    ]);
    let h = text(&human.stdout);
    assert!(
        h.contains("why seen     PushKit delivered the push to the app's delegate"),
        "{h}"
    );
    assert!(
        h.contains("why inferred no CallKit report before the kill"),
        "{h}"
    );
    assert!(h.contains("fix report the incoming call to CallKit"), "{h}");
    let junit = voipctl(&[
        "--format",
        "junit",
        "analyze",
        "--fail-on",
        "callkit-kill=0",
        log.to_str().unwrap_or_default(),
    ]);
    let j = text(&junit.stdout);
    assert!(
        j.contains("inferred: no CallKit report before the kill"),
        "{j}"
    );
}

/// The sidecar of a real session excerpt (`tests/data/sessions/NAME.json`): where it comes from and
/// the per-app facts the excerpt makes certain (`null`: the excerpt cannot tell).
#[derive(Debug, Deserialize)]
struct SessionSidecar {
    source: String,
    ios: String,
    app: String,
    expected: SessionExpected,
}

#[derive(Debug, Deserialize)]
struct SessionExpected {
    pushes: Option<u64>,
    reports: Option<u64>,
    kills: Option<u64>,
    bans: Option<u64>,
    launches: Vec<SessionLaunch>,
    exits: Vec<SessionExit>,
}

#[derive(Debug, Deserialize)]
struct SessionLaunch {
    state: String,
}

#[derive(Debug, Deserialize)]
struct SessionExit {
    relaunch_due: Option<bool>,
}

/// Facts a golden session gets wrong today, with why. The test fails when one of them becomes
/// right (so the list shrinks as recognition and the tracker improve) or a new one appears.
const KNOWN_GAPS: &[(&str, &str, &str)] = &[
    (
        "r2-01-twilio-courtbuddy-push-launch",
        "launches",
        "the excerpt ends at callservicesd's open request (recognised as launch-request): no process-start line, and the tracker counts a launch only from one",
    ),
    (
        "r2-01-twilio-courtbuddy-push-launch",
        "launches in background",
        "as above: no launch counted",
    ),
    (
        "r2-02-twilio-courtbuddy-call-reported",
        "reports",
        "the report (callservicesd 'Started tracking call', recognised as callkit-report) names no app (<private>) and answers a push before the excerpt: the tracker counts reports of pushes it saw",
    ),
    (
        "r2-04-flutterfire-background-launch",
        "launches in background",
        "the only background evidence is RBSCPUAccessGrant role:Background on a continuation line of the assertion; the launch line (RunningBoard job) has no intent",
    ),
    (
        "r2-06-element-pushkit-unreported-voip-push",
        "exits",
        "the excerpt is the app's own log up to PushKit's kill (counted): the tracker records no exit without an exit line",
    ),
    (
        "r3-01-rn-app-foreground-crash-sigabrt",
        "relaunch due",
        "a foreground crash (SIGABRT) of an app with no VoIP evidence: the tracker expects a relaunch after any signal exit",
    ),
];

#[test]
#[allow(clippy::print_stdout)] // the figures are the point: shown with --no-capture
fn golden_sessions_give_the_facts_their_sidecars_make_certain() {
    let dir = data("sessions");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
        .collect();
    names.sort();
    assert!(names.len() >= 15, "golden sessions: {}", names.len());
    let mut table = Vec::new();
    let mut gaps = Vec::new();
    for name in &names {
        let side: SessionSidecar = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{name}.json")))
                .unwrap_or_else(|e| panic!("{name}: {e}")),
        )
        .unwrap_or_else(|e| panic!("{name}.json: {e}"));
        assert!(side.source.starts_with("https://"), "{name}: no source");
        assert!(!side.ios.is_empty(), "{name}");
        let log = dir.join(format!("{name}.log"));
        // The app's bundle ID when the sidecar names one: its first word with a dot.
        let bundle = side
            .app
            .split([' ', ';', '(', ')'])
            .find(|w| w.contains('.') && !w.ends_with('.'));
        let mut args = vec!["--json", "analyze", log.to_str().unwrap_or_default()];
        if let Some(b) = bundle {
            args.extend(["-b", b]);
        }
        let out = voipctl(&args);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{name}: {}",
            text(&out.stderr)
        );
        let p = parse_json_lines(&text(&out.stdout));
        let apps = &p.summary.apps;
        let sum = |f: &dyn Fn(&AppJson) -> u64| apps.iter().map(f).sum::<u64>();
        let e = &side.expected;
        let mut facts: Vec<(&str, Option<String>, String)> = vec![
            (
                "pushes",
                e.pushes.map(|n| n.to_string()),
                sum(&|a| a.pushes.received).to_string(),
            ),
            (
                "reports",
                e.reports.map(|n| n.to_string()),
                sum(&|a| a.pushes.reported).to_string(),
            ),
            (
                "kills",
                e.kills.map(|n| n.to_string()),
                sum(&|a| a.pushes.callkit_kills).to_string(),
            ),
            (
                "bans",
                e.bans.map(|n| n.to_string()),
                sum(&|a| a.pushes.bans).to_string(),
            ),
            (
                "launches",
                Some(e.launches.len().to_string()),
                sum(&|a| a.launches.total).to_string(),
            ),
            (
                "exits",
                Some(e.exits.len().to_string()),
                apps.iter()
                    .map(|a| a.exits.len())
                    .sum::<usize>()
                    .to_string(),
            ),
        ];
        for state in ["background", "foreground"] {
            let want = e.launches.iter().filter(|l| l.state == state).count();
            if want > 0 {
                let got = sum(&|a| {
                    if state == "background" {
                        a.launches.background
                    } else {
                        a.launches.foreground
                    }
                });
                facts.push((
                    if state == "background" {
                        "launches in background"
                    } else {
                        "launches in foreground"
                    },
                    Some(want.to_string()),
                    got.to_string(),
                ));
            }
        }
        let got_exits: Vec<&ExitJson> = apps.iter().flat_map(|a| &a.exits).collect();
        for (i, x) in e.exits.iter().enumerate() {
            if let Some(due) = x.relaunch_due {
                facts.push((
                    "relaunch due",
                    Some(due.to_string()),
                    got_exits
                        .get(i)
                        .map(|g| format!("{:?}", g.relaunch_expected))
                        .unwrap_or_else(|| "no exit".into()),
                ));
            }
        }
        for (fact, want, got) in facts {
            let Some(want) = want else {
                table.push(format!("{name:<58} {fact:<24} {:>8} {got:>8}  -", "?"));
                continue;
            };
            let ok = want == got || format!("Some({want})") == got;
            let known = KNOWN_GAPS.iter().find(|(n, f, _)| n == name && *f == fact);
            table.push(format!(
                "{name:<58} {fact:<24} {want:>8} {got:>8}  {}",
                match (ok, known) {
                    (true, None) => "ok",
                    (true, Some(_)) => "ok (listed as a gap: remove it)",
                    (false, Some(_)) => "known gap",
                    (false, None) => "WRONG",
                }
            ));
            if ok == known.is_some() {
                gaps.push(format!("{name} {fact}: expected {want}, got {got}"));
            }
        }
    }
    println!(
        "{:<58} {:<24} {:>8} {:>8}  verdict",
        "session", "fact", "expected", "got"
    );
    println!("{}", table.join("\n"));
    println!("known gaps ({}):", KNOWN_GAPS.len());
    for (n, f, why) in KNOWN_GAPS {
        println!("  {n} {f}: {why}");
    }
    assert!(
        gaps.is_empty(),
        "facts that are wrong and not known gaps, or known gaps now right:\n{}",
        gaps.join("\n")
    );
}

/// Without `-b`, a golden session's events are one app, not split between the process name and
/// the bundle ID; and the VoIP push callservicesd handles for `<private>` is the app it then asks
/// SpringBoard to open (r2-01: twilio/voice-quickstart-ios#152, iOS 11).
#[test]
fn without_b_a_golden_session_is_one_app_and_its_private_push_is_the_opened_app() {
    let dir = data("sessions");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    names.sort();
    for log in &names {
        let out = voipctl(&["--json", "analyze", log.to_str().unwrap_or_default()]);
        let p = parse_json_lines(&text(&out.stdout));
        let apps: Vec<&str> = p.summary.apps.iter().map(|a| a.app.as_str()).collect();
        assert!(apps.len() <= 1, "{}: {apps:?}", log.display());
        if log.ends_with("r2-01-twilio-courtbuddy-push-launch.log") {
            assert_eq!(apps, ["Com.Courtbuddy.Courtbuddy"]);
            let app = &p.summary.apps[0];
            assert_eq!(app.pushes.received, 1, "{app:?}");
        }
    }
}

// ---- scenarios speak real wording ----------------------------------------------------------------

/// A line reduced to its form: bundle IDs and topics, process names after a pid, UUIDs, hex,
/// `<private>` and numbers replaced,
/// so that the same wording about another app, pid or time compares equal.
fn log_form(message: &str) -> String {
    use std::sync::LazyLock;
    static SUBST: LazyLock<Vec<(regex::Regex, &str)>> = LazyLock::new(|| {
        [
            (
                r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}",
                "<uuid>",
            ),
            (r"0x[0-9A-Fa-f]+", "0x#"),
            (r"<private>", "<id>"),
            (r"pid \d+ \[[^\]]+\]", "pid # [<process>]"),
            (r"\b[A-Za-z][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)+\b", "<id>"),
            (r"\d+", "#"),
            (r"\s+", " "),
        ]
        .into_iter()
        .map(|(p, r)| {
            (
                regex::Regex::new(p).unwrap_or_else(|e| panic!("{p}: {e}")),
                r,
            )
        })
        .collect()
    });
    let mut s = message.trim().to_string();
    for (re, with) in SUBST.iter() {
        s = re.replace_all(&s, *with).into_owned();
    }
    s
}

/// The `(process, message)` lines of the scenario texts embedded in test sources.
fn test_scenario_lines(source: &str) -> Vec<(String, String)> {
    let re = regex::Regex::new(
        r#"(?m)^process = "([^"]+)"\n(?:pid = \d+\n)?(?:image = "[^"]*"\n)?message = "((?:[^"\\]|\\.)*)""#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    re.captures_iter(source)
        .map(|c| (c[1].to_string(), c[2].replace("\\\"", "\"")))
        .collect()
}

/// The forms (see [`log_form`]) of every real line: the corpus and the golden session excerpts.
fn real_forms() -> std::collections::HashSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut forms = std::collections::HashSet::new();
    for c in corpus() {
        forms.insert(log_form(
            &voipctl::logs::decode::decode_line(&c.line).message,
        ));
        // As posted: markdown quotes and emphasis, indentation, a tool's own prefix, a syslog
        // line without its date.
        let line = c.line.trim_start_matches(['>', '*', '-', ' ', '\t']);
        let line = line.split_once("[IOSDeviceLog] ").map_or(line, |(_, l)| l);
        let message = voipctl::logs::decode::decode_line(line).message;
        forms.insert(log_form(&message));
        for sep in ["]: ", ">: "] {
            if let Some((_, tail)) = message.split_once(sep) {
                forms.insert(log_form(tail));
            }
        }
    }
    let sessions = root.join("tests/data/sessions");
    for e in std::fs::read_dir(&sessions).unwrap_or_else(|e| panic!("{e}")) {
        let path = e.unwrap_or_else(|e| panic!("{e}")).path();
        if path.extension().is_some_and(|x| x == "log") {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
            for l in text.lines() {
                forms.insert(log_form(&voipctl::logs::decode::decode_line(l).message));
            }
        }
    }
    forms
}

/// The system processes whose lines must be real (an app's own lines are its own words).
const SYSTEM: &[&str] = &[
    "SpringBoard",
    "runningboardd",
    "callservicesd",
    "apsd",
    "assertiond",
    "backboardd",
    "kernel",
    "launchd",
    "ReportCrash",
    "dasd",
    "UserEventAgent",
    "symptomsd",
    "locationd",
    "wifid",
    "mediaserverd",
];

#[test]
#[allow(clippy::print_stdout)] // the figures are the point: shown with --no-capture
fn every_system_line_a_scenario_plays_is_a_form_seen_on_a_real_device() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let forms = real_forms();
    let rules = voipctl::logs::rules::RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
    // (where, process, message, app processes of that scenario)
    let mut lines: Vec<(String, String, String, Vec<String>)> = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("scenarios"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for f in &files {
        let sc = voipctl::sim::Scenario::parse(
            &std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for d in &sc.devices {
            let apps: Vec<String> = d
                .apps
                .iter()
                .flat_map(|a| a.executable.iter().chain(a.name.iter()).cloned())
                .collect();
            for l in &d.log {
                lines.push((
                    f.display().to_string(),
                    l.process.clone(),
                    l.message.clone(),
                    apps.clone(),
                ));
            }
        }
    }
    for t in [
        "tests/logs.rs",
        "tests/device.rs",
        "tests/cli.rs",
        "tests/check.rs",
        "tests/probe.rs",
        "tests/html.rs",
    ] {
        let text = std::fs::read_to_string(root.join(t)).unwrap_or_else(|e| panic!("{t}: {e}"));
        for (process, message) in test_scenario_lines(&text) {
            lines.push((t.to_string(), process, message, Vec::new()));
        }
    }
    assert!(lines.len() > 50, "scenario lines: {}", lines.len());
    let system = SYSTEM;
    let mut unseen = Vec::new();
    let mut checked = 0;
    for (file, process, message, apps) in &lines {
        if message.starts_with("VOIPCTL ") {
            continue;
        }
        // An app's own words (not a system process, and no rule reads them as iOS wording).
        let entry = voipctl::logs::decode::Entry::bare(message);
        let app_process =
            !system.contains(&process.as_str()) && (apps.is_empty() || apps.contains(process));
        if app_process && rules.classify(&entry).is_none() {
            continue;
        }
        checked += 1;
        if !forms.contains(&log_form(message)) {
            unseen.push(format!("{file}: {process}: {message}"));
        }
    }
    println!(
        "{checked} system lines of scenarios checked against {} real forms",
        forms.len()
    );
    assert!(
        unseen.is_empty(),
        "scenario lines never seen on a device (rewrite them into a real form from tests/data):\n{}",
        unseen.join("\n")
    );
}

/// The text lines of a source file's string literals (and of data files as they are): each
/// physical line, and each `\n`-separated piece of a literal, unescaped enough to decode.
fn literal_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        for piece in raw.split("\\n") {
            let mut l = piece.trim().trim_start_matches('"');
            while let Some(r) = [",", ";", "\\", "\")", "\""]
                .iter()
                .find_map(|end| l.strip_suffix(end))
            {
                l = r;
            }
            let l = l
                .replace("\\\"", "\"")
                .replace("\\t", "\t")
                .replace("\\\\", "\\");
            if !l.is_empty() {
                out.push((n + 1, l));
            }
        }
    }
    out
}

/// Fixtures speak real wording too: every system line in a test, a fixture file, a scenario's
/// crash report body or the benchmark's generator is a form of a real line (the corpus or a
/// session excerpt), or says it is synthetic (a comment with "synthetic" on it or just above
/// it: input for decoding or robustness that asserts no verdict).
#[test]
#[allow(clippy::print_stdout)] // the figures are the point: shown with --no-capture
fn every_system_line_in_tests_and_fixtures_is_a_real_form_or_labelled_synthetic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let forms = real_forms();
    let mut files: Vec<PathBuf> = [
        "tests/logs.rs",
        "tests/device.rs",
        "tests/probe.rs",
        "tests/html.rs",
        "tests/snapshots.rs",
        "tests/data/session-syslog.log",
        "tests/data/session-pymobiledevice3.jsonl",
        "benches/gen_log.py",
    ]
    .iter()
    .map(|f| root.join(f))
    .collect();
    for dir in ["src/logs", "src/logs/track", "src/sim", "src/probe"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap_or_else(|e| panic!("{dir}: {e}")) {
            let p = e.unwrap_or_else(|e| panic!("{e}")).path();
            if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let mut checked = 0;
    let mut synthetic = 0;
    let mut made_up = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let source: Vec<&str> = text.lines().collect();
        for (n, l) in literal_lines(&text) {
            let e = voipctl::logs::decode::decode_line(&l);
            if e.format == voipctl::logs::decode::Format::Bare
                || !SYSTEM.contains(&e.process.as_ref())
                || e.message.starts_with("VOIPCTL ")
            {
                continue;
            }
            let labelled = source[n.saturating_sub(4)..n]
                .iter()
                .any(|s| s.to_ascii_lowercase().contains("synthetic"));
            if labelled {
                synthetic += 1;
                continue;
            }
            checked += 1;
            if !forms.contains(&log_form(&e.message)) {
                made_up.push(format!(
                    "{}:{n}: {}: {}",
                    f.strip_prefix(root).unwrap_or(f).display(),
                    e.process,
                    e.message
                ));
            }
        }
    }
    println!(
        "{checked} system lines of tests and fixtures are real forms; {synthetic} labelled synthetic"
    );
    assert!(checked > 20, "too few lines found: {checked}");
    assert!(
        made_up.is_empty(),
        "system lines with no real form (use a corpus line, or label the test's input synthetic):\n{}",
        made_up.join("\n")
    );
}

/// The prefix styles no public sample shows on a device line (pymobiledevice3's `syslog live`
/// text and `--format json`; voipctl's own `watch --record`): every real syslog line of the
/// corpus, put in that style, reads as the same entry and the same event. The pymobiledevice3
/// prefix is built as its `format_line` (`pymobiledevice3/cli/syslog.py`) and its JSON mode write
/// them (github.com/doronz88/pymobiledevice3, commit 62e2957); the recording is voipctl's own
/// (`{"t":…,"line":…}`, the raw syslog_relay text). The messages are the corpus's, unchanged.
#[test]
#[allow(clippy::print_stdout)] // the figures are the point: shown with --no-capture
fn real_lines_read_the_same_in_pymobiledevice3_and_recording_styles() {
    use voipctl::logs::decode::{Format, decode_line};
    let rules = voipctl::logs::rules::RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
    let rule = |e: &voipctl::logs::decode::Entry<'_>| rules.classify(e).map(|h| h.rule.id.clone());
    let mut n = 0;
    let mut events = 0;
    for c in corpus() {
        let e = decode_line(&c.line);
        let Some(pid) = e
            .pid
            .filter(|_| e.format == Format::Syslog && !e.process.is_empty())
        else {
            continue;
        };
        n += 1;
        let want = rule(&e);
        events += usize::from(want.is_some());
        let level = e
            .level
            .map_or("NOTICE".to_string(), |l| l.name().to_ascii_uppercase());
        let image = e.image.as_deref().unwrap_or(&e.process);
        let text = format!(
            "2025-11-25 17:09:56.250000 {}{{{image}}}[{pid}] <{level}>: {}",
            e.process, e.message
        );
        let json = serde_json::json!({
            "pid": pid, "procid": pid, "thread_id": 1, "timestamp": "2025-11-25T17:09:56.250000",
            "level": level, "image_name": format!("/usr/lib/{image}"), "image_offset": 0,
            "image_uuid": null, "process_image_uuid": null,
            "filename": format!("/usr/libexec/{}", e.process), "mach_timestamp": 0,
            "message": e.message, "label": null,
        })
        .to_string();
        // As `watch --record` writes it: `t` first.
        let rec = format!(
            r#"{{"t":1764090596.25,"line":{}}}"#,
            serde_json::to_string(&c.line).unwrap_or_default()
        );
        for (style, line, format) in [
            ("pymobiledevice3", &text, Format::Pymobiledevice3),
            ("pymobiledevice3 json", &json, Format::Pymobiledevice3Json),
            ("recording", &rec, Format::Recording),
        ] {
            let d = decode_line(line);
            assert_eq!(d.format, format, "{style}: {line}");
            assert_eq!(
                (d.process.as_ref(), d.pid, d.message.as_ref()),
                (e.process.as_ref(), Some(pid), e.message.as_ref()),
                "{style}: {line}"
            );
            assert_eq!(rule(&d), want, "{style}: {line}");
        }
    }
    println!("{n} real syslog lines ({events} events) read the same in 3 more styles");
    assert!(n > 100 && events > 15, "{n} lines, {events} events");
}

// ---- issue 13: false readings of real lines --------------------------------------------------------

/// `voipctl --json analyze` on `log` (written to a temporary file), with `args` after the file.
fn analyze_text(log: &str, args: &[&str]) -> Parsed {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("device.log");
    std::fs::write(&file, log).unwrap_or_else(|e| panic!("{e}"));
    let mut all = vec!["--json", "analyze", file.to_str().unwrap_or_default()];
    all.extend_from_slice(args);
    let out = voipctl(&all);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        text(&out.stderr)
    );
    parse_json_lines(&text(&out.stdout))
}

#[test]
fn issue_13_callservicesd_killing_a_voip_app_is_a_kill_not_a_delivery() {
    // https://developer.apple.com/forums/thread/801446 (iOS 18, 2025), as posted.
    let p = analyze_text(
        "callservicesd: Delivering 1 VoIP payload(s) to application UrgiDoctor: Apps receiving VoIP pushes must post an incoming call via CallKit... error: Killing VoIP app because it failed to post an incoming call in time.\n",
        &[],
    );
    let families: Vec<&str> = p.events.iter().map(|e| e.family.as_str()).collect();
    assert_eq!(families, ["callkit-kill"], "{:?}", p.events);
    assert_eq!(p.events[0].rule, "callkit.csd-kill");
}

#[test]
fn issue_13_a_released_voip_assertion_is_a_release_not_a_hold() {
    // https://github.com/twilio/voice-quickstart-ios/issues/152 (iOS 11, Console.app), and
    // https://github.com/BelledonneCommunications/linphone-iphone/issues/758 (2021, runningboardd).
    let p = analyze_text(
        "default\t12:05:01.979826 +0530\tassertiond\tClient relinquished <BKProcessAssertion: 0x14bd3c220; \"CSDVoIPProcessAssertion-Com.Courtbuddy.Courtbuddy\" (voIP:inf); id:…CBF67115BC69>\n\
         18:29:27.247808+0200\trunningboardd\tInvalidating assertion 32-143-27197 (target:[application<xxxx>:1958]) from originator [daemon<com.apple.telephonyutilities.callservicesd>:143]\n",
        &[],
    );
    let families: Vec<&str> = p.events.iter().map(|e| e.family.as_str()).collect();
    assert_eq!(families, ["suspend", "suspend"], "{:?}", p.events);
    assert_eq!(
        p.events[0].app.as_deref(),
        Some("Com.Courtbuddy.Courtbuddy")
    );
}

/// The fields a verdict needs, captured from real lines of the corpus (found by a piece of them).
#[test]
fn real_lines_give_the_fields_the_tracker_reads() {
    let corpus = corpus();
    let rules = voipctl::logs::rules::RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
    let fields = |piece: &str| -> (String, BTreeMap<String, String>) {
        let c = corpus
            .iter()
            .find(|c| c.line.contains(piece))
            .unwrap_or_else(|| panic!("no corpus line with {piece:?}"));
        let e = voipctl::logs::decode::decode_line(&c.line);
        let h = rules
            .classify(&e)
            .unwrap_or_else(|| panic!("not recognised: {}", c.line));
        (h.rule.id.clone(), h.fields.clone())
    };
    let f = |m: &BTreeMap<String, String>, k: &str| m.get(k).cloned().unwrap_or_default();
    // Who asked for a kill, and why (user vs system kill).
    let (id, m) = fields("killed from app switcher");
    assert_eq!(id, "exit.sb-terminate-application");
    assert_eq!(f(&m, "reason"), "killed from app switcher");
    let (id, m) = fields("explanation:BG Kill");
    assert_eq!(id, "exit.termination-request");
    assert_eq!(f(&m, "requester"), "osservice<com.apple.dasd>:76");
    assert_eq!(f(&m, "reason"), "BG Kill Demo");
    let (_, m) = fields("code:0xDEAD6502");
    assert_eq!(f(&m, "requester"), "daemon<com.apple.mobile.installd>:166");
    assert_eq!(f(&m, "code"), "0xDEAD6502");
    assert_eq!(f(&m, "reason"), "FBSApplicationTerminationAssertion");
    // Background or foreground, as today's iOS says it.
    let (id, m) = fields("Set darwin role to: NonUserInteractive");
    assert_eq!(id, "state.rbs-darwin-role");
    assert_eq!(f(&m, "role"), "NonUserInteractive");
    let (_, m) = fields("visibility: Background>");
    assert_eq!(f(&m, "visibility"), "Background");
    assert_eq!(f(&m, "pid"), "1957");
    let (id, m) = fields("Initial launch assertion state: ForegroundFocal");
    assert_eq!(id, "launch.fb-initial-state");
    assert_eq!(f(&m, "intent"), "ForegroundFocal");
    // Exit status and signal from today's exit contexts.
    let (id, m) = fields(
        "Process exited: <RBSProcessExitContext| specific, status:<RBSProcessExitStatus| domain:signal(2) code:SIGABRT(6)>>.",
    );
    assert_eq!(id, "exit.fb-process-exited");
    assert_eq!(
        (f(&m, "domain"), f(&m, "code")),
        ("signal".into(), "6".into())
    );
    assert_eq!(f(&m, "pid"), "51362");
}
