//! `voipctl check`: every finding, every source, every output format, every exit code, and bad
//! input. Bundles are built in code by `fixture` (no binary test data besides `samples/`, which
//! a test regenerates and compares).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;

#[path = "support/schema.rs"]
mod schema;
use fixture::{Bundle, Kind, Macho, Spec, arr, dict, s};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

// ---------- pinned JSON ----------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JFinding {
    r#type: String,
    id: String,
    rule: String,
    group: String,
    severity: String,
    component: String,
    message: String,
    explanation: String,
    fix: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JNotChecked {
    id: String,
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JSummary {
    r#type: String,
    schema_version: u32,
    path: String,
    source: String,
    distribution: String,
    distribution_from: String,
    app: String,
    strict: bool,
    outcome: String,
    command: String,
    errors: usize,
    warnings: usize,
    infos: usize,
    rules: usize,
    passed: usize,
    not_checked: Vec<JNotChecked>,
    extensions: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JRule {
    r#type: String,
    id: String,
    name: String,
    group: String,
    severity: String,
    title: String,
    explanation: String,
    fix: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JRulesSummary {
    r#type: String,
    schema_version: u32,
    outcome: String,
    command: String,
    rules: usize,
    distribution: String,
}

// ---------- running ----------

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);
impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
impl Buf {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

struct Out {
    code: u8,
    stdout: String,
    stderr: String,
}

/// `voipctl ARGS…` in this process.
fn run(args: &[&str]) -> Out {
    let out = Buf::default();
    let err = Buf::default();
    let mut argv = vec!["voipctl"];
    argv.extend_from_slice(args);
    let code = voipctl::run(
        argv,
        voipctl::Streams {
            out: Box::new(out.clone()),
            err: Box::new(err.clone()),
            out_tty: false,
            err_tty: false,
        },
    );
    Out {
        code: code.as_u8(),
        stdout: out.text(),
        stderr: err.text(),
    }
}

struct Json {
    code: u8,
    findings: Vec<JFinding>,
    summary: JSummary,
}

impl Json {
    fn ids(&self) -> BTreeSet<&str> {
        self.findings.iter().map(|f| f.id.as_str()).collect()
    }
    fn has(&self, id: &str, severity: &str) -> bool {
        self.findings
            .iter()
            .any(|f| f.id == id && f.severity == severity)
    }
    fn msg(&self, id: &str) -> String {
        self.findings
            .iter()
            .filter(|f| f.id == id)
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join(" | ")
    }
}

fn json(path: &Path, extra: &[&str]) -> Json {
    let p = path.to_str().unwrap();
    let mut args = vec!["check", "--json", p];
    args.extend_from_slice(extra);
    let out = run(&args);
    schema::validate(&out.stdout);
    let mut findings = Vec::new();
    let mut summary = None;
    for line in out.stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        match v["type"].as_str() {
            Some("finding") => findings.push(serde_json::from_value(v).unwrap()),
            Some("summary") => summary = Some(serde_json::from_value(v).unwrap()),
            other => panic!("unexpected record type {other:?}: {line}"),
        }
    }
    let summary = summary.unwrap_or_else(|| panic!("no summary; stderr: {}", out.stderr));
    Json {
        code: out.code,
        findings,
        summary,
    }
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write_ipa(dir: &Path, name: &str, b: &Bundle) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, b.ipa()).unwrap();
    p
}

fn check_spec(spec: &Spec, extra: &[&str]) -> Json {
    let d = tmp();
    let p = write_ipa(d.path(), "App.ipa", &spec.build());
    json(&p, extra)
}

fn t() -> plist::Value {
    plist::Value::Boolean(true)
}

// ---------- the good app and the samples ----------

#[test]
fn good_app_passes_with_only_the_china_note() {
    let j = check_spec(&Spec::good(), &[]);
    assert_eq!(j.code, 0, "{:?}", j.findings);
    assert_eq!(j.ids(), BTreeSet::from(["VOIP021"]), "{:?}", j.findings);
    assert_eq!(j.summary.outcome, "ok");
    assert_eq!(j.summary.command, "check");
    assert_eq!(j.summary.source, "ipa");
    assert_eq!(j.summary.rules, j.summary.passed + 1);
    assert!(j.summary.not_checked.is_empty());
}

#[test]
fn committed_samples_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for (name, bytes) in fixture::samples() {
        let committed = std::fs::read(dir.join(name)).unwrap_or_default();
        assert!(
            committed == bytes,
            "samples/{name} is stale: run `cargo run --example gen_samples` and commit samples/"
        );
    }
}

#[test]
fn sample_legacy_fails_and_sample_phone_passes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let legacy = json(&dir.join("Legacy.ipa"), &[]);
    assert_eq!(legacy.code, 1);
    assert_eq!(
        legacy.ids(),
        BTreeSet::from(["VOIP002", "VOIP004", "VOIP014", "VOIP050"])
    );
    let phone = json(&dir.join("Phone.ipa"), &[]);
    assert_eq!(phone.code, 0, "{:?}", phone.findings);
    assert_eq!(phone.summary.extensions, 1);
}

// ---------- every finding ----------

#[test]
fn background_mode_findings() {
    let j = check_spec(&Spec::good().mode(&["audio", "remote-notification"]), &[]);
    assert!(j.has("VOIP001", "error"), "{}", j.msg("VOIP001"));
    assert!(j.msg("VOIP001").contains("PushKit and CallKit"));

    let mut legacy = Spec::good();
    legacy.macho.dylibs = vec![(fixture::UIKIT, false)];
    legacy.macho.strings = vec![];
    let j = check_spec(&legacy, &[]);
    assert!(j.has("VOIP002", "warning"));

    let j = check_spec(&Spec::good().mode(&["voip", "audio", "telepathy"]), &[]);
    assert!(j.has("VOIP003", "error"));
    assert!(j.msg("VOIP003").contains("telepathy"));
    let j = check_spec(
        &Spec::good().mode(&["voip", "audio", "telepathy"]),
        &["--distribution", "development"],
    );
    assert!(j.has("VOIP003", "warning"));
    let j = check_spec(&Spec::good().set("UIBackgroundModes", s("voip")), &[]);
    assert!(j.msg("VOIP003").contains("not an array"));

    let j = check_spec(
        &Spec::good().mode(&["VoIP", " audio", "Remote_Notification"]),
        &[],
    );
    assert!(j.has("VOIP004", "error"));
    assert!(
        j.msg("VOIP004").contains("did you mean \"voip\""),
        "{}",
        j.msg("VOIP004")
    );
    assert!(
        j.msg("VOIP004")
            .contains("did you mean \"remote-notification\"")
    );
    assert!(!j.ids().contains("VOIP003"));

    let j = check_spec(&Spec::good().mode(&["voip", "audio", "processing"]), &[]);
    assert!(j.has("VOIP005", "error"));
    let ok = Spec::good().mode(&["voip", "audio", "processing"]).set(
        "BGTaskSchedulerPermittedIdentifiers",
        arr(&["com.example.refresh"]),
    );
    assert!(!check_spec(&ok, &[]).ids().contains("VOIP005"));

    let j = check_spec(&Spec::good().mode(&["voip"]), &[]);
    assert!(j.has("VOIP006", "warning"));

    let j = check_spec(&Spec::good().no_ent("aps-environment"), &[]);
    assert!(j.has("VOIP007", "warning"));
}

#[test]
fn sdk_findings() {
    let j = check_spec(&Spec::good().set("DTSDKName", s("iphoneos16.4")), &[]);
    assert!(j.has("VOIP010", "warning"));
    assert!(j.msg("VOIP010").contains("16.4"), "{}", j.msg("VOIP010"));

    let j = check_spec(&Spec::good().set("MinimumOSVersion", s("14.0")), &[]);
    assert!(j.has("VOIP011", "warning"));
    let j = check_spec(&Spec::good().unset("MinimumOSVersion"), &[]);
    assert!(j.msg("VOIP011").contains("missing"));

    let mut lck = Spec::good();
    lck.macho.dylibs.push((fixture::LCK, false));
    let j = check_spec(&lck, &[]);
    assert!(j.has("VOIP012", "error"), "{:?}", j.ids());
    assert!(j.msg("VOIP012").contains("LiveCommunicationKit"));
    lck.macho.dylibs.pop();
    lck.macho.dylibs.push((fixture::LCK, true));
    assert!(!check_spec(&lck, &[]).ids().contains("VOIP012"));

    let mut unreported = Spec::good();
    unreported.macho.strings = vec!["PKPushRegistry"];
    let j = check_spec(&unreported, &[]);
    assert!(j.has("VOIP013", "warning"));

    let mut legacy = Spec::good();
    legacy.macho.strings.push("NSStreamNetworkServiceTypeVoIP");
    let j = check_spec(&legacy, &[]);
    assert!(j.has("VOIP014", "error"));
    assert!(!j.ids().contains("VOIP015"));

    legacy.macho.sdk = (15, 5, 0);
    let legacy = legacy
        .set("DTSDKName", s("iphoneos15.5"))
        .set("DTPlatformVersion", s("15.5"));
    let j = check_spec(&legacy, &[]);
    assert!(j.has("VOIP015", "warning"), "{:?}", j.ids());
    assert!(!j.ids().contains("VOIP014"));
}

#[test]
fn linkage_findings() {
    let mut p = Spec::good();
    p.macho.dylibs = vec![(fixture::UIKIT, false), (fixture::PUSHKIT, false)];
    let j = check_spec(&p, &[]);
    assert!(j.has("VOIP020", "error"));
    assert!(!j.ids().contains("VOIP021"));

    p.macho.sdk = (12, 4, 0);
    let p = p
        .set("DTSDKName", s("iphoneos12.4"))
        .set("DTPlatformVersion", s("12.4"));
    let j = check_spec(&p, &[]);
    assert!(j.has("VOIP020", "warning"), "{:?}", j.findings);

    let j = check_spec(&Spec::good(), &["--distribution", "development"]);
    assert!(!j.ids().contains("VOIP021"));
}

#[test]
fn entitlement_findings() {
    let mut s1 = Spec::good().no_ent("aps-environment");
    s1.profile_ents = Some(Spec::good().ents);
    let j = check_spec(&s1, &[]);
    assert!(j.has("VOIP030", "error"));
    let j = check_spec(&s1, &["--distribution", "adhoc"]);
    assert!(j.has("VOIP030", "warning"));

    let j = check_spec(&Spec::good().ent("aps-environment", s("development")), &[]);
    assert!(j.has("VOIP031", "error"));
    assert!(j.msg("VOIP031").contains("\"production\""));

    let j = check_spec(&Spec::good().ent("get-task-allow", t()), &[]);
    assert!(j.has("VOIP032", "error"));

    let j = check_spec(
        &Spec::good().ent("application-identifier", s("TEAM123456.com.example.other")),
        &[],
    );
    assert!(j.has("VOIP033", "error"));
    let j = check_spec(
        &Spec::good().ent("com.apple.developer.team-identifier", s("OTHERTEAM1")),
        &[],
    );
    assert!(j.msg("VOIP033").contains("OTHERTEAM1"));

    let j = check_spec(
        &Spec::good().ent("com.apple.developer.pushkit.unrestricted-voip", t()),
        &[],
    );
    assert!(j.has("VOIP034", "warning"));

    let mut nse = Spec::extension("Notifications", "com.apple.usernotifications.service");
    nse.macho.strings = vec!["reportNewIncomingVoIPPushPayload:completion:"];
    let mut app = Spec::good();
    app.plugins = vec![nse.build()];
    let j = check_spec(&app, &[]);
    assert!(j.has("VOIP035", "error"));
    assert!(j.findings.iter().any(
        |f| f.id == "VOIP035" && f.component == "Payload/Phone.app/PlugIns/Notifications.appex"
    ));
    let nse = nse.ent("com.apple.developer.usernotifications.filtering", t());
    app.plugins = vec![nse.build()];
    assert!(!check_spec(&app, &[]).ids().contains("VOIP035"));

    let lpc = Spec::extension("Provider", "com.apple.networkextension.app-push");
    let mut app = Spec::good();
    app.plugins = vec![lpc.build()];
    let j = check_spec(&app, &[]);
    assert!(j.has("VOIP036", "error"));
    assert_eq!(j.findings.iter().filter(|f| f.id == "VOIP036").count(), 2);
    let ne = plist::Value::Array(vec![s("app-push-provider")]);
    let lpc = lpc.ent(
        "com.apple.developer.networking.networkextension",
        ne.clone(),
    );
    let mut app = Spec::good().ent(
        "com.apple.developer.networking.networkextension",
        ne.clone(),
    );
    app.plugins = vec![lpc.build()];
    assert!(!check_spec(&app, &[]).ids().contains("VOIP036"));
    let lonely = Spec::good().ent("com.apple.developer.networking.networkextension", ne);
    let j = check_spec(&lonely, &[]);
    assert!(j.has("VOIP036", "warning"), "{:?}", j.findings);

    let mut unsigned = Spec::good();
    unsigned.signed = false;
    let j = check_spec(&unsigned, &[]);
    assert!(j.has("VOIP037", "error"));
    assert!(
        j.summary
            .not_checked
            .iter()
            .any(|n| n.id == "VOIP031" && n.reason.contains("no code signature")),
        "{:?}",
        j.summary.not_checked
    );
    let j = check_spec(&unsigned, &["--distribution", "development"]);
    assert!(j.has("VOIP037", "warning"));
}

#[test]
fn profile_findings() {
    let mut none = Spec::good();
    none.profile = None;
    let j = check_spec(&none, &[]);
    assert!(j.has("VOIP040", "error"));

    let j = check_spec(&Spec::good(), &["--distribution", "adhoc"]);
    assert!(j.has("VOIP041", "error"));
    assert!(j.msg("VOIP041").contains("appstore"));
    for (kind, dist, gta) in [
        (Kind::Adhoc, "adhoc", false),
        (Kind::Enterprise, "enterprise", false),
        (Kind::Development, "development", true),
    ] {
        let mut sp = Spec::good().ent("get-task-allow", plist::Value::Boolean(gta));
        if dist == "development" {
            sp = sp.ent("aps-environment", s("development"));
        }
        sp.profile = Some((kind, fixture::TEAM.into(), 2099));
        let j = check_spec(&sp, &["--distribution", dist]);
        assert!(!j.ids().contains("VOIP041"), "{dist}: {:?}", j.findings);
        assert_eq!(j.code, 0, "{dist}: {:?}", j.findings);
    }

    let mut old = Spec::good();
    old.profile = Some((Kind::Appstore, fixture::TEAM.into(), 2001));
    let j = check_spec(&old, &[]);
    assert!(j.has("VOIP042", "error"));
    assert!(j.msg("VOIP042").contains("expired on 2001-01-01"));
    let j = check_spec(&Spec::good(), &["--min-days", "400000"]);
    assert!(j.has("VOIP042", "warning"), "{:?}", j.findings);
    assert_eq!(j.code, 0);
    let j = check_spec(&Spec::good(), &["--min-days", "400000", "--strict"]);
    assert_eq!(j.code, 1);
    assert!(j.summary.strict);

    let mut team = Spec::good();
    team.profile = Some((Kind::Appstore, "OTHERTEAM1".into(), 2099));
    let j = check_spec(&team, &[]);
    assert!(j.has("VOIP043", "error"));

    let mut extra = Spec::good().ent("com.apple.developer.siri", t());
    extra.profile_ents = Some(Spec::good().ents);
    let j = check_spec(&extra, &[]);
    assert!(j.has("VOIP044", "error"));
    assert!(j.msg("VOIP044").contains("com.apple.developer.siri"));
    let mut wild = Spec::good();
    wild.profile_ents = Some(
        Spec::good()
            .ent("application-identifier", s("TEAM123456.*"))
            .ent("aps-environment", s("production"))
            .ents,
    );
    assert!(!check_spec(&wild, &[]).ids().contains("VOIP044"));
    let mut differs = Spec::good();
    differs.profile_ents = Some(Spec::good().ent("aps-environment", s("development")).ents);
    assert!(
        check_spec(&differs, &[])
            .msg("VOIP044")
            .contains("aps-environment")
    );
}

#[test]
fn purpose_and_bundle_findings() {
    let j = check_spec(
        &Spec::good().set("NSMicrophoneUsageDescription", s("  ")),
        &[],
    );
    assert!(j.has("VOIP050", "error"));
    let j = check_spec(&Spec::good().unset("NSCameraUsageDescription"), &[]);
    assert!(j.has("VOIP051", "warning"));
    assert_eq!(j.code, 0);
    let mut no_exe = Spec::good();
    no_exe.with_exe = false;
    let j = check_spec(&no_exe, &[]);
    assert!(j.has("VOIP060", "error"));
    let j = check_spec(
        &Spec::good().set("CFBundleExecutable", s("../../etc/passwd")),
        &[],
    );
    assert!(j.has("VOIP060", "error"));
}

#[test]
fn every_rule_is_covered_by_a_test() {
    // Keep this list in step with the tests above: each ID is asserted somewhere in this file.
    let src = include_str!("check.rs");
    let out = run(&["check", "--list-rules", "--json"]);
    schema::validate(&out.stdout);
    for line in out.stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["type"] == "rule" {
            let r: JRule = serde_json::from_value(v).unwrap();
            let needle = format!("\"{}\"", r.id);
            assert!(src.contains(&needle), "{} is not asserted by a test", r.id);
        } else {
            let _: JRulesSummary = serde_json::from_value(v).unwrap();
        }
    }
}

// ---------- sources ----------

#[test]
fn app_directory_xcarchive_and_plists() {
    let d = tmp();
    let mut spec = Spec::good();
    spec.binary_plist = true;
    let app = spec.build().write_dir(d.path());
    let j = json(&app, &[]);
    assert_eq!(j.code, 0, "{:?}", j.findings);
    assert_eq!(j.summary.source, "app");
    assert!(j.findings.iter().all(|f| f.component == "Phone.app"));

    let unzipped = d.path().join("unzipped");
    std::fs::create_dir_all(unzipped.join("Payload")).unwrap();
    Spec::good().build().write_dir(&unzipped.join("Payload"));
    let j = json(&unzipped, &[]);
    assert_eq!(j.code, 0, "{:?}", j.findings);
    assert_eq!(j.findings[0].component, "Payload/Phone.app");

    let arch = d.path().join("Phone.xcarchive");
    let apps = arch.join("Products/Applications");
    std::fs::create_dir_all(&apps).unwrap();
    Spec::good().mode(&["voip"]).build().write_dir(&apps);
    let j = json(&arch, &[]);
    assert_eq!(j.summary.source, "xcarchive");
    assert!(j.has("VOIP006", "warning"));
    assert_eq!(j.findings[0].component, "Products/Applications/Phone.app");

    for (name, bytes) in [
        (
            "Info.plist",
            fixture::xml(&Spec::good().mode(&["voip", "vopi"]).info),
        ),
        (
            "Binary.plist",
            fixture::binary(&Spec::good().mode(&["voip", "vopi"]).info),
        ),
    ] {
        let p = d.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let j = json(&p, &[]);
        assert_eq!(j.summary.source, "plist");
        assert!(j.has("VOIP003", "error"), "{name}");
        assert_eq!(j.code, 1);
        let nc: BTreeSet<&str> = j
            .summary
            .not_checked
            .iter()
            .map(|n| n.id.as_str())
            .collect();
        for id in [
            "VOIP020", "VOIP014", "VOIP031", "VOIP040", "VOIP044", "VOIP060",
        ] {
            assert!(nc.contains(id), "{id} should be not checked: {nc:?}");
        }
    }
}

#[test]
fn fat_binaries_use_the_arm64_slices() {
    let arm64 = Macho {
        dylibs: vec![(fixture::PUSHKIT, false), (fixture::CALLKIT, false)],
        strings: vec!["reportNewIncomingCall"],
        entitlements: Some(Some(fixture::ents_xml(&fixture::good_ents(
            "com.example.phone",
        )))),
        ..Macho::default()
    };
    let arm64e = Macho {
        subtype: 2,
        ..arm64.clone()
    };
    let x86 = Macho {
        cpu: fixture::CPU_X86_64,
        dylibs: vec![(fixture::PUSHKIT, false)],
        ..Macho::default()
    };
    let fat = fixture::fat(&[
        (fixture::CPU_X86_64, 3, x86.build()),
        (fixture::CPU_ARM64, 0, arm64.build()),
        (fixture::CPU_ARM64, 2, arm64e.build()),
    ]);
    let facts = voipctl::bundle::macho::parse(&fat).unwrap();
    let archs: Vec<&str> = facts.slices.iter().map(|s| s.arch.as_str()).collect();
    assert_eq!(archs, ["x86_64", "arm64", "arm64e"]);
    let (exe, ents) = voipctl::bundle::facts::from_macho(facts);
    assert!(exe.links("CallKit").is_some());
    assert!(
        ents.get()
            .is_some_and(|d| d.contains_key("aps-environment"))
    );

    let mut b = Spec::good().build();
    b.exe = Some(("Phone".into(), fat));
    let d = tmp();
    let j = json(&write_ipa(d.path(), "Fat.ipa", &b), &[]);
    assert_eq!(j.code, 0, "{:?}", j.findings);

    let old = Macho {
        version_min: true,
        sdk: (16, 0, 0),
        strings: vec!["setKeepAliveTimeout:handler:"],
        ..Macho::default()
    };
    let f = voipctl::bundle::macho::parse(&old.build()).unwrap();
    assert_eq!(f.slices[0].build.map(|b| b.sdk), Some((16, 0, 0)));
    assert!(f.markers.contains("setKeepAliveTimeout:handler:"));
}

#[test]
fn device_style_facts_report_not_checked() {
    use voipctl::bundle::facts::{AppFacts, Part};
    use voipctl::preflight::{Distribution, Options, Verdict, evaluate};
    let mut facts = AppFacts::from_info("device", "com.example.phone", Spec::good().info);
    facts.app.entitlements = Part::Present(dict(&Spec::good().ent("get-task-allow", t()).ents));
    let opts = Options {
        distribution: Distribution::Appstore,
        min_days: 30,
        now: std::time::SystemTime::now(),
    };
    let results = evaluate(&facts, &opts);
    let verdict = |id: &str| {
        results
            .iter()
            .find(|r| r.rule.id == id)
            .map(|r| r.verdict.clone())
            .unwrap()
    };
    assert!(matches!(verdict("VOIP032"), Verdict::Findings(_)));
    assert!(matches!(verdict("VOIP033"), Verdict::Passed));
    assert!(matches!(verdict("VOIP020"), Verdict::NotChecked(_)));
    assert!(matches!(verdict("VOIP042"), Verdict::NotChecked(_)));
    assert!(matches!(verdict("VOIP050"), Verdict::Passed));
    // Issue 16: a phone hands out neither frameworks nor privacy manifests.
    for id in ["VOIP022", "VOIP052", "VOIP053", "VOIP055", "VOIP062"] {
        assert!(matches!(verdict(id), Verdict::NotChecked(_)), "{id}");
    }
}

// ---------- output formats ----------

#[test]
fn human_output_groups_colours_and_explains() {
    let d = tmp();
    let p = write_ipa(d.path(), "Legacy.ipa", &fixture::legacy_app());
    let p = p.to_str().unwrap();
    let plain = run(&["check", p]);
    assert_eq!(plain.code, 1);
    let lines: Vec<&str> = plain.stdout.lines().collect();
    assert_eq!(lines[0], "Payload/Legacy.app");
    assert!(
        lines[1].starts_with("  error   VOIP004 "),
        "{}",
        plain.stdout
    );
    assert!(plain.stdout.contains("          fix: "));
    assert!(!plain.stdout.contains("why:"));
    assert!(!plain.stdout.contains('\x1b'));
    assert!(
        lines.last().unwrap().starts_with("FAIL ")
            && lines.last().unwrap().contains("4 errors, 1 warning"),
        "{}",
        plain.stdout
    );
    let verbose = run(&["check", "-v", p]);
    assert!(verbose.stdout.contains("why: "));
    let colour = run(&["--color", "always", "check", p]);
    assert!(colour.stdout.contains("\x1b["));
    let quiet = run(&["check", "-q", p]);
    assert!(!quiet.stdout.contains("VOIP002"), "warnings hidden by -q");
    assert!(quiet.stdout.contains("VOIP014"));
}

#[test]
fn junit_has_one_testcase_per_rule() {
    let d = tmp();
    let p = write_ipa(d.path(), "Legacy.ipa", &fixture::legacy_app());
    let out = run(&["check", "--format", "junit", p.to_str().unwrap()]);
    assert_eq!(out.code, 1);
    let x = out.stdout;
    assert!(x.starts_with("<?xml"));
    let rules = voipctl::preflight::RULES.len();
    assert_eq!(x.matches("<testcase ").count(), rules, "{x}");
    assert!(
        x.contains(&format!("tests=\"{rules}\" failures=\"3\"")),
        "{x}"
    );
    assert!(x.contains("name=\"VOIP014 legacy-voip-socket-crash\""));
    // Three failing rules (VOIP004 has two findings); warnings fail only with --strict.
    let strict = run(&[
        "check",
        "--format",
        "junit",
        "--strict",
        p.to_str().unwrap(),
    ]);
    assert!(
        strict.stdout.contains("failures=\"4\""),
        "{}",
        strict.stdout
    );
    // Not-checked rules are skipped test cases.
    let plist = d.path().join("Info.plist");
    std::fs::write(&plist, fixture::xml(&Spec::good().info)).unwrap();
    let out = run(&["check", "--format", "junit", plist.to_str().unwrap()]);
    assert!(out.stdout.contains("<skipped message=\"not checked: "));
}

#[test]
fn list_rules_in_every_format() {
    let human = run(&["check", "--list-rules"]);
    assert_eq!(human.code, 0);
    assert!(human.stdout.contains("VOIP001 error"));
    let dev = run(&[
        "check",
        "--list-rules",
        "--json",
        "--distribution",
        "development",
    ]);
    let r: JRule = dev
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["id"] == "VOIP032")
        .map(|v| serde_json::from_value(v).unwrap())
        .unwrap();
    assert_eq!(r.severity, "warning");
}

/// The rules of `--list-rules --json` for one distribution method, by ID.
fn listed_rules(distribution: &str) -> std::collections::BTreeMap<String, JRule> {
    let out = run(&[
        "check",
        "--list-rules",
        "--json",
        "--distribution",
        distribution,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "rule")
        .map(|v| serde_json::from_value::<JRule>(v).unwrap())
        .map(|r| (r.id.clone(), r))
        .collect()
}

/// Issue 15: splitting the rule table into families with named severities changed no ID, text or
/// severity. `tests/data/rules-before-split.jsonl` was taken from the table before the split.
#[test]
fn rules_are_unchanged_by_the_split_into_families() {
    let golden = include_str!("data/rules-before-split.jsonl");
    let by: Vec<_> = ["appstore", "adhoc", "development", "enterprise"]
        .into_iter()
        .map(|d| (d, listed_rules(d)))
        .collect();
    for line in golden.lines() {
        let g: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = g["id"].as_str().unwrap();
        for (d, rules) in &by {
            let r = rules.get(id).unwrap_or_else(|| panic!("{id} is gone"));
            assert_eq!(r.name, g["name"], "{id}");
            assert_eq!(r.group, g["group"], "{id}");
            assert_eq!(r.title, g["title"], "{id}");
            assert_eq!(r.explanation, g["explanation"], "{id}");
            assert_eq!(r.fix, g["fix"], "{id}");
            assert_eq!(r.severity, g[*d], "{id} for {d}");
        }
    }
}

/// The README's rule table lists every rule with its App Store severity and family.
#[test]
fn readme_rule_table_matches_list_rules() {
    let readme = include_str!("../README.md");
    let table: std::collections::BTreeMap<String, (String, String)> = readme
        .lines()
        .filter(|l| l.starts_with("| VOIP"))
        .map(|l| {
            let c: Vec<&str> = l.split('|').map(str::trim).collect();
            (c[1].to_string(), (c[2].to_string(), c[3].to_string()))
        })
        .collect();
    let rules = listed_rules("appstore");
    let ids: Vec<&String> = rules.keys().collect();
    assert_eq!(
        table.keys().collect::<Vec<_>>(),
        ids,
        "README rule table IDs"
    );
    for (id, r) in &rules {
        assert_eq!(
            table[id],
            (r.severity.clone(), r.group.clone()),
            "README row {id}"
        );
    }
}

// ---------- exit codes and bad input ----------

#[test]
fn exit_codes() {
    let d = tmp();
    assert_eq!(run(&["check", "--distribution", "nope", "x.ipa"]).code, 2);
    assert_eq!(run(&["check"]).code, 2);
    let missing = run(&["check", d.path().join("nope.ipa").to_str().unwrap()]);
    assert_eq!(missing.code, 3);
    assert!(
        missing.stderr.starts_with("error: open"),
        "{}",
        missing.stderr
    );
    assert!(missing.stdout.is_empty());
}

fn bad(name: &str, bytes: &[u8], want: &str) {
    let d = tmp();
    let p = d.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    let out = run(&["check", p.to_str().unwrap()]);
    assert_eq!(out.code, 3, "{name}: {}", out.stderr);
    assert!(out.stdout.is_empty(), "{name}");
    assert!(out.stderr.contains(want), "{name}: {}", out.stderr);
    assert!(out.stderr.starts_with("error: "), "{name}: {}", out.stderr);
}

#[test]
fn bad_archives_are_exit_3() {
    let good = fixture::good_app().ipa();
    bad(
        "Truncated.ipa",
        &good[..good.len() / 2],
        "corrupt or truncated zip",
    );
    bad("Empty.ipa", b"", "corrupt or truncated zip");
    // Flip bytes inside the first entry's compressed data: inflate or CRC fails.
    let mut corrupt = good.clone();
    for b in &mut corrupt[60..90] {
        *b ^= 0x5a;
    }
    bad("Corrupt.ipa", &corrupt, "from the archive");
    bad(
        "NoPayload.ipa",
        &fixture::zip_of(&[("Phone.app/Info.plist".into(), b"x".to_vec())]),
        "no Payload/<name>.app",
    );
    let bomb = fixture::zip_of(&[("Payload/Bomb.app/Info.plist".into(), vec![b' '; 9 << 20])]);
    assert!(bomb.len() < 100_000);
    bad("Bomb.ipa", &bomb, "zip bomb");
    bad(
        "NotPlist.ipa",
        &fixture::zip_of(&[(
            "Payload/X.app/Info.plist".into(),
            b"<?xml version=\"1.0\"?><plist><dict><key>a</key>".to_vec(),
        )]),
        "Payload/X.app/Info.plist is not a property list",
    );
    bad(
        "Array.ipa",
        &fixture::zip_of(&[(
            "Payload/X.app/Info.plist".into(),
            b"<?xml version=\"1.0\"?><plist version=\"1.0\"><array/></plist>".to_vec(),
        )]),
        "not a dictionary",
    );
    bad(
        "NoInfo.ipa",
        &fixture::zip_of(&[("Payload/X.app/X".into(), b"x".to_vec())]),
        "Payload/X.app/Info.plist is missing",
    );
}

#[test]
fn hostile_executables_and_profiles_are_exit_3() {
    let mut b = fixture::good_app();
    let mut exe = Macho::default().build();
    exe[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
    b.exe = Some(("Phone".into(), exe));
    bad(
        "Ncmds.ipa",
        &b.ipa(),
        "implausible Mach-O load command count",
    );
    let mut exe = Macho::default().build();
    exe[20..24].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
    b.exe = Some(("Phone".into(), exe));
    bad(
        "Sizeofcmds.ipa",
        &b.ipa(),
        "implausible Mach-O load command size",
    );
    let mut exe = Macho::default().build();
    let len = exe.len();
    exe.truncate(len - 20);
    b.exe = Some(("Phone".into(), exe));
    bad("Short.ipa", &b.ipa(), "truncated Mach-O");
    b.exe = Some(("Phone".into(), b"#!/bin/sh\necho hi\n".to_vec()));
    bad("Script.ipa", &b.ipa(), "not a Mach-O executable");
    let mut b = fixture::good_app();
    b.profile = Some(b"not a profile".to_vec());
    bad(
        "Profile.ipa",
        &b.ipa(),
        "embedded.mobileprovision: not a CMS-signed provisioning profile",
    );
    bad("Garbage.plist", b"{ not a plist", "is not a property list");
    bad(
        "Thing.txt",
        b"hello",
        "is not an .ipa, .app, .xcarchive or Info.plist",
    );
}

#[test]
fn symlinks_and_non_utf8_names_are_refused() {
    // A symlink entry where Info.plist should be.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    w.add_symlink("Payload/X.app/Info.plist", "/etc/passwd", o)
        .unwrap();
    let z = w.finish().unwrap().into_inner();
    bad(
        "Link.ipa",
        &z,
        "Payload/X.app/Info.plist is a symbolic link",
    );

    // An app folder whose name is not UTF-8: patch a placeholder in the raw archive bytes.
    let mut z = fixture::zip_of(&[(
        "Payload/QQQ.app/Info.plist".into(),
        fixture::xml(&Spec::good().info),
    )]);
    let mut i = 0;
    while let Some(at) = z[i..].windows(3).position(|w| w == b"QQQ") {
        z[i + at..i + at + 3].copy_from_slice(&[0xff, 0xfe, 0x1b]);
        i += at + 3;
    }
    bad("Latin.ipa", &z, "is not UTF-8");

    #[cfg(unix)]
    {
        let d = tmp();
        let app = Spec::good().build().write_dir(d.path());
        std::fs::remove_file(app.join("Phone")).unwrap();
        std::os::unix::fs::symlink("/bin/sh", app.join("Phone")).unwrap();
        let out = run(&["check", app.to_str().unwrap()]);
        assert_eq!(out.code, 3);
        assert!(
            out.stderr.contains("Phone.app/Phone is a symbolic link"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn the_binary_reports_the_same_exit_codes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for (name, code) in [("Legacy.ipa", 1), ("Phone.ipa", 0)] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_voipctl"))
            .args(["check", "--json"])
            .arg(dir.join(name))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{name}");
        let last = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or("")
            .to_string();
        let _: JSummary = serde_json::from_str(&last).unwrap();
    }
}

// ---------- issue 16: the bundles real VoIP apps ship ----------

fn macho_with(dylibs: &[&'static str], strings: &[&'static str]) -> Macho {
    let mut d = vec![(fixture::UIKIT, false)];
    d.extend(dylibs.iter().map(|p| (*p, false)));
    Macho {
        dylibs: d,
        // "x" first, so that every later string is preceded by a NUL as in a real string table.
        strings: std::iter::once("x")
            .chain(strings.iter().copied())
            .collect(),
        ..Macho::default()
    }
}

fn human(path: &Path, extra: &[&str]) -> Out {
    let mut args = vec!["check", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args)
}

fn not_checked(j: &Json, id: &str) -> Option<String> {
    j.summary
        .not_checked
        .iter()
        .find(|n| n.id == id)
        .map(|n| n.reason.clone())
}

#[test]
fn issue_16_sdk_framework_with_pushkit_and_callkit_needs_the_voip_mode() {
    // The app itself links neither; its vendor SDK links both (by @rpath from the app).
    let mut app = Spec::good().mode(&["audio", "remote-notification"]);
    app.macho = macho_with(&["@rpath/VoipSDK.framework/VoipSDK"], &[]);
    let sdk = macho_with(
        &[fixture::PUSHKIT, fixture::CALLKIT],
        &["reportNewIncomingCallWithUUID:update:completion:"],
    );
    let app = app.framework("VoipSDK", sdk.build(), None);
    let j = check_spec(&app, &[]);
    assert_eq!(j.code, 1, "{:?}", j.findings);
    assert!(j.has("VOIP001", "error"));
    assert_eq!(
        j.msg("VOIP001"),
        "Frameworks/VoipSDK.framework links PushKit and CallKit but UIBackgroundModes has no `voip`"
    );
    assert!(j.has("VOIP022", "info"));
    assert_eq!(
        j.msg("VOIP022"),
        "Frameworks/VoipSDK.framework is a VoIP SDK (PushKit, CallKit)"
    );
    assert!(
        j.findings
            .iter()
            .all(|f| f.component == "Payload/Phone.app")
    );

    // With the mode the same app passes (the SDK's findings are notes).
    let ok = check_spec(
        &app.clone().mode(&["audio", "voip", "remote-notification"]),
        &[],
    );
    assert_eq!(ok.code, 0, "{:?}", ok.findings);
    assert_eq!(ok.ids(), BTreeSet::from(["VOIP021", "VOIP022"]));

    // Legacy VoIP sockets inside an SDK (a dylib here) are named too; WebRTC/SIP by name.
    let mut legacy = Spec::good();
    legacy.extra.push((
        "Frameworks/libsipstack.dylib".into(),
        macho_with(&[], &["kCFStreamNetworkServiceTypeVoIP"]).build(),
    ));
    let legacy = legacy.framework("WebRTC", macho_with(&[], &[]).build(), None);
    let j = check_spec(&legacy, &[]);
    assert_eq!(j.code, 1);
    assert!(j.has("VOIP014", "error"));
    assert!(
        j.msg("VOIP014")
            .contains("Frameworks/libsipstack.dylib uses kCFStreamNetworkServiceTypeVoIP"),
        "{}",
        j.msg("VOIP014")
    );
    assert!(
        j.msg("VOIP022")
            .contains("WebRTC.framework is a VoIP SDK (WebRTC)")
    );

    // A framework folder without its executable stops the app at launch.
    let mut broken = Spec::good();
    broken.extra.push((
        "Frameworks/Gone.framework/Info.plist".into(),
        fixture::xml(&dict(&[("CFBundleExecutable", s("Gone"))])),
    ));
    let j = check_spec(&broken, &[]);
    assert!(j.has("VOIP062", "error"));
    assert_eq!(
        j.msg("VOIP062"),
        "Frameworks/Gone.framework has no executable"
    );
    assert_eq!(j.code, 1);
}

#[test]
fn issue_16_frameworks_nested_in_frameworks_are_scanned() {
    // Outer.framework embeds Inner.framework (its own Frameworks/) and a dylib at its top level;
    // the VoIP linkage is only in the nested ones.
    let mut app = Spec::good().mode(&["audio", "remote-notification"]);
    app.macho = macho_with(&["@rpath/Outer.framework/Outer"], &[]);
    let app = app.framework("Outer", macho_with(&[], &[]).build(), None);
    let mut app = app;
    let inner = "Frameworks/Outer.framework/Frameworks/Inner.framework";
    app.extra.push((
        format!("{inner}/Info.plist"),
        fixture::xml(&dict(&[
            ("CFBundleIdentifier", s("com.vendor.Inner")),
            ("CFBundleExecutable", s("Inner")),
        ])),
    ));
    app.extra.push((
        format!("{inner}/Inner"),
        macho_with(
            &[fixture::PUSHKIT, fixture::CALLKIT],
            &["reportNewIncomingCallWithUUID:update:completion:"],
        )
        .build(),
    ));
    app.extra.push((
        "Frameworks/Outer.framework/libsipcore.dylib".into(),
        macho_with(&[], &["kCFStreamNetworkServiceTypeVoIP"]).build(),
    ));
    let check = |j: &Json| {
        assert_eq!(j.code, 1, "{:?}", j.findings);
        assert_eq!(
            j.msg("VOIP001"),
            format!(
                "{inner}.framework links PushKit and CallKit but UIBackgroundModes has no `voip`"
            )
            .replace(".framework.framework", ".framework")
        );
        assert!(
            j.msg("VOIP014").contains(
                "Frameworks/Outer.framework/libsipcore.dylib uses kCFStreamNetworkServiceTypeVoIP"
            ),
            "{}",
            j.msg("VOIP014")
        );
    };
    // From the .ipa and from the same bundle unpacked on disk.
    check(&check_spec(&app, &[]));
    let d = tmp();
    let dir = app.build().write_dir(d.path());
    check(&json(&dir, &[]));

    // Depth is bounded: a dylib inside the third nested framework is scanned, one inside the
    // fifth is not looked at.
    let nested = |levels: usize| {
        let mut spec = Spec::good();
        let mut at = String::from("Frameworks");
        for n in 1..=levels {
            at = format!("{at}/L{n}.framework");
            spec.extra
                .push((format!("{at}/L{n}"), macho_with(&[], &[]).build()));
            if n < levels {
                at = format!("{at}/Frameworks");
            }
        }
        spec.extra.push((
            format!("{at}/libdeep.dylib"),
            macho_with(&[fixture::PUSHKIT], &[]).build(),
        ));
        check_spec(&spec, &[])
    };
    let j = nested(3);
    assert!(
        j.msg("VOIP022")
            .ends_with("L3.framework/libdeep.dylib is a VoIP SDK (PushKit)"),
        "{:?}",
        j.findings
    );
    let j = nested(5);
    assert!(!j.ids().contains("VOIP022"), "{:?}", j.findings);

    // A nested framework folder that is a symbolic link out of the bundle is not followed.
    #[cfg(unix)]
    {
        let d = tmp();
        let outside = d.path().join("outside/Evil.framework");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(
            outside.join("Evil"),
            macho_with(&[fixture::PUSHKIT], &[]).build(),
        )
        .unwrap();
        let mut plain = Spec::good();
        plain = plain.framework("Outer", macho_with(&[], &[]).build(), None);
        let dir = plain.build().write_dir(&d.path().join("in"));
        let nested = dir.join("Frameworks/Outer.framework/Frameworks");
        std::fs::create_dir_all(&nested).unwrap();
        std::os::unix::fs::symlink(&outside, nested.join("Evil.framework")).unwrap();
        let j = json(&dir, &[]);
        assert_eq!(j.code, 0, "{:?}", j.findings);
        assert!(!j.ids().contains("VOIP020"), "{:?}", j.findings);
    }
}

/// The receipt Xcode writes into an exported .ipa for an XCFramework (keys of Swift Build's
/// CodeSignatureInfo; the unsigned one as github.com/blokadaorg/blokada/pull/1137 quotes it).
fn receipt(library: &str, signed: bool) -> Vec<u8> {
    let mut d = dict(&[
        ("signed", plist::Value::Boolean(signed)),
        ("isSecureTimestamp", plist::Value::Boolean(false)),
        (
            "metadata",
            plist::Value::Dictionary(dict(&[
                ("library", s(&format!("{library}.framework"))),
                ("platform", s("ios")),
            ])),
        ),
    ]);
    if signed {
        d.insert("signatureType".into(), s("AppleDeveloperProgram"));
        d.insert("signatureIdentifier".into(), s("EQHXZ8M8AV"));
    }
    fixture::binary(&d)
}

#[test]
fn issue_16_commonly_used_sdks_need_their_manifest_and_signature() {
    // FirebaseMessaging (on Apple's list) without a privacy manifest: ITMS-91061.
    let app = Spec::good().framework("FirebaseMessaging", macho_with(&[], &[]).build(), None);
    let d = tmp();
    let ipa = |name: &str, extra: &[(String, Vec<u8>)]| {
        let p = d.path().join(name);
        std::fs::write(&p, app.build().ipa_with(extra)).unwrap();
        p
    };
    let unsigned = ipa(
        "unsigned.ipa",
        &[(
            "Signatures/FirebaseMessaging.xcframework-ios.signature".into(),
            receipt("FirebaseMessaging", false),
        )],
    );
    let j = json(&unsigned, &[]);
    assert_eq!(j.code, 1, "{:?}", j.findings);
    assert!(j.has("VOIP056", "error"));
    assert_eq!(
        j.msg("VOIP056"),
        "Frameworks/FirebaseMessaging.framework is FirebaseMessaging, one of Apple's commonly used SDKs, and has no PrivacyInfo.xcprivacy (ITMS-91061)"
    );
    // ITMS-91065: the receipt says the XCFramework was not signed.
    assert!(j.has("VOIP057", "error"));
    assert_eq!(
        j.msg("VOIP057"),
        "Frameworks/FirebaseMessaging.framework is FirebaseMessaging, one of Apple's commonly used SDKs, and its XCFramework was not signed (Signatures/FirebaseMessaging.xcframework-ios.signature: signed = false; ITMS-91065)"
    );
    // Not an App Store build: notes only.
    let j = json(&unsigned, &["--distribution", "adhoc"]);
    assert!(j.has("VOIP056", "info") && j.has("VOIP057", "info"));

    // Signed, with a manifest: both pass.
    let good = Spec::good().framework(
        "FirebaseMessaging",
        macho_with(&[], &[]).build(),
        Some(fixture::xml(&dict(&[]))),
    );
    let p = d.path().join("good.ipa");
    std::fs::write(
        &p,
        good.build().ipa_with(&[(
            "Signatures/FirebaseMessaging.xcframework-ios.signature".into(),
            receipt("FirebaseMessaging", true),
        )]),
    )
    .unwrap();
    let j = json(&p, &[]);
    assert_eq!(j.code, 0, "{:?}", j.findings);
    assert!(!j.ids().contains("VOIP056") && !j.ids().contains("VOIP057"));
    assert_eq!(not_checked(&j, "VOIP057"), None);

    // No receipts at all, a receipt for another SDK, a receipt that does not parse, and an
    // unpacked .app: "not checked", with why — never a pass.
    let why = |p: &Path| not_checked(&json(p, &[]), "VOIP057").expect("VOIP057 not checked");
    assert!(why(&ipa("none.ipa", &[])).contains("the .ipa has no Signatures/ receipts"));
    let other = ipa(
        "other.ipa",
        &[(
            "Signatures/Lottie.xcframework-ios.signature".into(),
            receipt("Lottie", true),
        )],
    );
    assert!(why(&other).contains("has no Signatures/ receipt for it: built from source"));
    let junk = ipa(
        "junk.ipa",
        &[(
            "Signatures/FirebaseMessaging.xcframework-ios.signature".into(),
            b"not a plist".to_vec(),
        )],
    );
    assert!(why(&junk).starts_with("Signatures/FirebaseMessaging.xcframework-ios.signature: "));
    let dir = app.build().write_dir(&d.path().join("unpacked"));
    let j = json(&dir, &[]);
    assert!(j.has("VOIP056", "error"));
    assert!(
        not_checked(&j, "VOIP057")
            .unwrap()
            .contains("re-signed by your team")
    );

    // Matched by CFBundleIdentifier too, and inside another framework.
    let mut by_id = Spec::good();
    let fw = "Frameworks/Outer.framework/Frameworks/Net.framework";
    by_id.extra.push((
        format!("{fw}/Info.plist"),
        fixture::xml(&dict(&[
            ("CFBundleIdentifier", s("org.cocoapods.Alamofire")),
            ("CFBundleExecutable", s("Net")),
        ])),
    ));
    by_id
        .extra
        .push((format!("{fw}/Net"), macho_with(&[], &[]).build()));
    let j = check_spec(&by_id, &[]);
    assert_eq!(
        j.msg("VOIP056"),
        format!(
            "{fw} is Alamofire, one of Apple's commonly used SDKs, and has no PrivacyInfo.xcprivacy (ITMS-91061)"
        )
    );
}

#[test]
fn issue_16_encrypted_executables_are_not_checked_rather_than_passed() {
    // PushKit without any mention of reportNewIncomingCall: a warning when the strings are
    // readable, "not checked" when FairPlay hides them.
    let mut plain = Spec::good();
    plain.macho.strings = vec!["PKPushRegistry"];
    let j = check_spec(&plain, &[]);
    assert!(j.has("VOIP013", "warning"));
    let mut enc = plain.clone();
    enc.macho.extra_cmds = vec![fixture::encryption_cmd(32, 64, 1)];
    let j = check_spec(&enc, &[]);
    assert_eq!(j.code, 0, "{:?}", j.findings);
    assert!(!j.ids().contains("VOIP013"));
    let why = not_checked(&j, "VOIP013").expect("VOIP013 not checked");
    assert!(why.contains("FairPlay-encrypted"), "{why}");
    assert!(not_checked(&j, "VOIP053").is_some());
    // cryptid 0 (decrypted) is read as usual.
    let mut dec = plain.clone();
    dec.macho.extra_cmds = vec![fixture::encryption_cmd(32, 64, 0)];
    assert!(check_spec(&dec, &[]).has("VOIP013", "warning"));
    // What is found in an encrypted file still counts.
    let mut found = enc.clone();
    found.macho.strings = vec!["PKPushRegistry", "setKeepAliveTimeout:handler:"];
    let j = check_spec(&found, &[]);
    assert!(j.has("VOIP014", "error"));
    assert_eq!(j.code, 1);
    // The human summary says how many rules could not be checked.
    let d = tmp();
    let out = human(&write_ipa(d.path(), "Enc.ipa", &enc.build()), &["-v"]);
    assert!(out.stdout.contains("skipped VOIP013"), "{}", out.stdout);
}

#[test]
fn issue_16_bare_macho_executables() {
    let d = tmp();
    let p = d.path().join("Phone");
    std::fs::write(&p, Spec::good().build().exe.unwrap().1).unwrap();
    let j = json(&p, &[]);
    assert_eq!(j.code, 0, "{:?}", j.findings);
    assert_eq!(j.summary.source, "macho");
    assert_eq!(j.summary.distribution, "appstore");
    assert_eq!(j.summary.distribution_from, "default");
    for id in [
        "VOIP001", "VOIP003", "VOIP022", "VOIP040", "VOIP050", "VOIP052", "VOIP062",
    ] {
        assert!(
            not_checked(&j, id).is_some(),
            "{id}: {:?}",
            j.summary.not_checked
        );
    }
    assert!(
        not_checked(&j, "VOIP001")
            .unwrap()
            .contains("no Info.plist (a bare executable)")
    );
    // What the executable alone shows is still judged.
    let bad = macho_with(&[], &["setKeepAliveTimeout:handler:"]).build();
    std::fs::write(&p, fixture::fat(&[(fixture::CPU_ARM64, 0, bad)])).unwrap();
    let j = json(&p, &[]);
    assert_eq!(j.code, 1);
    assert!(j.has("VOIP014", "error"));
}

#[test]
fn issue_16_two_apps_in_payload_need_a_choice() {
    let a = Spec::good();
    let mut b = Spec::good().mode(&["audio"]);
    b.name = "Other".into();
    b.info.insert("CFBundleExecutable".into(), s("Other"));
    let mut files = Vec::new();
    for bundle in [a.build(), b.build()] {
        for (p, bytes) in bundle.all_files() {
            files.push((format!("Payload/{p}"), bytes));
        }
    }
    let d = tmp();
    let ipa = d.path().join("Two.ipa");
    std::fs::write(&ipa, fixture::zip_of(&files)).unwrap();
    let out = human(&ipa, &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains(
            "Payload/ holds 2 apps (Other.app, Phone.app); choose one with --app Other.app"
        ),
        "{}",
        out.stderr
    );
    let j = json(&ipa, &["--app", "Phone"]);
    assert_eq!(j.code, 0, "{:?}", j.findings);
    assert_eq!(j.summary.app, "Payload/Phone.app");
    let j = json(&ipa, &["--app", "Other.app"]);
    assert_eq!(j.code, 1);
    assert_eq!(j.summary.app, "Payload/Other.app");
    assert!(j.has("VOIP001", "error"));
    let out = human(&ipa, &["--app", "Nope"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("has no app \"Nope\""), "{}", out.stderr);
}

#[test]
fn issue_16_sections_past_the_end_of_the_file_are_input_errors() {
    let m = Macho {
        extra_cmds: vec![fixture::segment_cmd("__TEXT", "__cstring", 4096, 50 << 20)],
        ..Macho::default()
    };
    let mut b = fixture::good_app();
    b.exe = Some(("Phone".into(), m.build()));
    bad(
        "PastEof.ipa",
        &b.ipa(),
        "section __TEXT,__cstring ends at offset 52432896, past the end of the file",
    );
    // In a fat file the slice's own size is the limit.
    b.exe = Some((
        "Phone".into(),
        fixture::fat(&[(fixture::CPU_ARM64, 0, m.build())]),
    ));
    bad("PastSlice.ipa", &b.ipa(), "section __TEXT,__cstring");
    // So is an encrypted range that runs past the end.
    let e = Macho {
        extra_cmds: vec![fixture::encryption_cmd(16384, 1 << 30, 1)],
        ..Macho::default()
    };
    b.exe = Some(("Phone".into(), e.build()));
    bad("Crypt.ipa", &b.ipa(), "the encrypted range ends at offset");
    // A section inside the file is fine.
    let mut ok = Spec::good();
    ok.macho.extra_cmds = vec![fixture::segment_cmd("__TEXT", "__text", 32, 64)];
    assert_eq!(check_spec(&ok, &[]).code, 0);
}

#[test]
fn issue_16_distribution_comes_from_the_embedded_profile() {
    for (kind, name) in [
        (Kind::Development, "development"),
        (Kind::Adhoc, "adhoc"),
        (Kind::Enterprise, "enterprise"),
    ] {
        let mut sp = Spec::good().ent(
            "get-task-allow",
            plist::Value::Boolean(kind == Kind::Development),
        );
        if kind == Kind::Development {
            sp = sp.ent("aps-environment", s("development"));
        }
        sp.profile = Some((kind, fixture::TEAM.into(), 2099));
        let j = check_spec(&sp, &[]);
        assert_eq!(j.code, 0, "{name}: {:?}", j.findings);
        assert_eq!(j.summary.distribution, name);
        assert_eq!(j.summary.distribution_from, "profile");
        let d = tmp();
        let out = human(&write_ipa(d.path(), "App.ipa", &sp.build()), &[]);
        assert!(
            out.stdout.contains(&format!(
                "distribution: {name}, from the embedded profile; `--distribution appstore` to preflight an upload"
            )),
            "{}",
            out.stdout
        );
        // The flag still wins: an App Store preflight of the same build fails on the profile.
        let j = check_spec(&sp, &["--distribution", "appstore"]);
        assert_eq!(j.code, 1, "{name}");
        assert_eq!(j.summary.distribution_from, "flag");
        assert!(j.has("VOIP041", "error"), "{name}");
        if kind == Kind::Development {
            assert!(j.has("VOIP032", "error"));
            assert!(j.has("VOIP031", "error"));
        }
    }
    // An App Store profile says appstore; no profile keeps the App Store default.
    let j = check_spec(&Spec::good(), &[]);
    assert_eq!(
        (
            j.summary.distribution.as_str(),
            j.summary.distribution_from.as_str()
        ),
        ("appstore", "profile")
    );
    let mut none = Spec::good();
    none.profile = None;
    let j = check_spec(&none, &[]);
    assert_eq!(
        (
            j.summary.distribution.as_str(),
            j.summary.distribution_from.as_str()
        ),
        ("appstore", "default")
    );
    assert!(j.has("VOIP040", "error"));
    assert_eq!(j.code, 1);
}

#[test]
fn issue_16_privacy_manifests() {
    use fixture::manifest;
    const DEFAULTS: &str = "NSPrivacyAccessedAPICategoryUserDefaults";
    const BOOT: &str = "NSPrivacyAccessedAPICategorySystemBootTime";
    const FILES: &str = "NSPrivacyAccessedAPICategoryFileTimestamp";
    let mut uses = Spec::good();
    uses.macho.strings = vec![
        "x",
        "PKPushRegistry",
        "reportNewIncomingCallWithUUID:update:completion:",
        "_OBJC_CLASS_$_NSUserDefaults",
        "_mach_absolute_time",
    ];
    // Present and complete.
    let full = uses.clone().privacy(Some(manifest(&[
        (DEFAULTS, &["CA92.1"]),
        (BOOT, &["35F9.1"]),
    ])));
    let j = check_spec(&full, &[]);
    assert_eq!(j.code, 0, "{:?}", j.findings);
    assert!(!j.ids().contains("VOIP053"));
    // Missing.
    let j = check_spec(&uses.clone().privacy(None), &[]);
    assert_eq!(j.code, 1);
    assert!(j.has("VOIP052", "warning"));
    assert!(j.has("VOIP053", "error"));
    let none = check_spec(&Spec::good().privacy(None), &[]);
    assert_eq!(
        none.code, 0,
        "no required-reason API: only the missing-manifest warning"
    );
    assert_eq!(none.ids(), BTreeSet::from(["VOIP021", "VOIP052"]));
    // Incomplete: user defaults declared, boot time not.
    let part = uses.clone().privacy(Some(manifest(&[
        (DEFAULTS, &["CA92.1"]),
        (FILES, &["C617.1"]),
    ])));
    let j = check_spec(&part, &[]);
    assert_eq!(j.code, 1);
    assert_eq!(
        j.msg("VOIP053"),
        "the executable uses required-reason APIs no privacy manifest declares (ITMS-91053): NSPrivacyAccessedAPICategorySystemBootTime (_mach_absolute_time)"
    );
    // Malformed: a category without a reason, an unknown category.
    let invalid = Spec::good().privacy(Some(manifest(&[
        (DEFAULTS, &[]),
        ("NSPrivacyAccessedAPICategoryTelepathy", &["AB12.1"]),
    ])));
    let j = check_spec(&invalid, &[]);
    assert!(j.has("VOIP054", "error"));
    assert!(j.msg("VOIP054").contains("declared without a reason"));
    assert!(j.msg("VOIP054").contains("Telepathy"));
    // Not even a plist: a finding, not unreadable input.
    let j = check_spec(&Spec::good().privacy(Some(b"{".to_vec())), &[]);
    assert!(j.has("VOIP054", "error"));
    // An SDK that uses stat() without its own manifest: ITMS-91053 unless someone declares it,
    // and a warning for the SDK either way.
    let sdk = macho_with(&[], &["_stat"]).build();
    let j = check_spec(&Spec::good().framework("Logger", sdk.clone(), None), &[]);
    assert!(j.has("VOIP053", "error"));
    assert!(
        j.msg("VOIP053")
            .starts_with("Frameworks/Logger.framework uses required-reason APIs")
    );
    assert!(j.has("VOIP055", "warning"));
    let covered = Spec::good()
        .privacy(Some(manifest(&[(FILES, &["C617.1"])])))
        .framework("Logger", sdk.clone(), None);
    let j = check_spec(&covered, &[]);
    assert!(!j.ids().contains("VOIP053"), "{:?}", j.findings);
    assert!(j.has("VOIP055", "warning"));
    let own = Spec::good().framework("Logger", sdk, Some(manifest(&[(FILES, &["0A2A.1"])])));
    let j = check_spec(&own, &[]);
    assert_eq!(j.code, 0, "{:?}", j.findings);
    assert!(!j.ids().contains("VOIP055"));
    // A symbol inside a longer name is not a use.
    let mut longer = Spec::good();
    longer.macho.strings = vec!["x", "my_mach_absolute_time"];
    assert!(!check_spec(&longer, &[]).ids().contains("VOIP053"));
}

#[test]
fn issue_16_der_entitlements_team_and_certificate() {
    let mut no_der = Spec::good();
    no_der.macho.der = fixture::Der::Absent;
    let j = check_spec(&no_der, &[]);
    assert!(j.has("VOIP038", "warning"), "{:?}", j.findings);
    assert!(j.msg("VOIP038").contains("iOS 15"));
    assert_eq!(j.code, 0);
    let mut adhoc = no_der.clone().ent("get-task-allow", t());
    adhoc.profile = Some((Kind::Adhoc, fixture::TEAM.into(), 2099));
    let adhoc = adhoc.ent("get-task-allow", plist::Value::Boolean(false));
    assert!(check_spec(&adhoc, &[]).has("VOIP038", "error"));

    let mut garbage = Spec::good();
    garbage.macho.der = fixture::Der::Raw(vec![0x70, 0x03, 0x02, 0x01]);
    assert!(
        check_spec(&garbage, &[])
            .msg("VOIP038")
            .contains("do not parse")
    );
    let mut differs = Spec::good();
    differs.macho.der = fixture::Der::Raw(voipctl::bundle::der_entitlements::encode(&dict(
        &Spec::good().ent("aps-environment", s("development")).ents,
    )));
    let j = check_spec(&differs, &[]);
    assert_eq!(
        j.msg("VOIP038"),
        "the XML and DER entitlements differ: aps-environment"
    );
    // Only DER entitlements: they are the entitlements.
    let mut only_der = Spec::good();
    only_der.macho.der = fixture::Der::Raw(voipctl::bundle::der_entitlements::encode(&dict(
        &Spec::good().ents,
    )));
    let mut b = only_der.build();
    let mut m = only_der.macho.clone();
    m.entitlements = Some(None);
    b.exe = Some(("Phone".into(), m.build()));
    let d = tmp();
    let j = json(&write_ipa(d.path(), "Der.ipa", &b), &[]);
    assert_eq!(j.code, 0, "{:?}", j.findings);

    let mut team = Spec::good();
    team.macho.team = Some("OTHERTEAM1".into());
    let j = check_spec(&team, &[]);
    assert!(j.has("VOIP039", "error"));
    assert_eq!(
        j.msg("VOIP039"),
        "the CodeDirectory's team is \"OTHERTEAM1\" but the entitlements' team is \"TEAM123456\""
    );
    let mut no_team = Spec::good();
    no_team.macho.team = None;
    assert!(not_checked(&check_spec(&no_team, &[]), "VOIP039").is_some());

    let mut other = Spec::good();
    other.macho.cert = Some(fixture::certificate("iPhone Distribution: Someone Else", 7));
    let j = check_spec(&other, &[]);
    assert!(j.has("VOIP045", "error"));
    assert!(
        j.msg("VOIP045")
            .contains("not one of the profile's 1 DeveloperCertificates")
    );
    assert_eq!(j.code, 1);
    let mut unsigned_cms = Spec::good();
    unsigned_cms.macho.cert = None;
    assert!(
        check_spec(&unsigned_cms, &[])
            .msg("VOIP045")
            .contains("ad hoc")
    );
}

fn nested_app(name: &str, id: &str, dylibs: &[&'static str], modes: &[&str]) -> Bundle {
    let mut sp = Spec::good().mode(modes);
    sp.id = id.into();
    sp.name = name.into();
    sp.info = fixture::good_info(id, name);
    sp.info.insert("UIBackgroundModes".into(), arr(modes));
    sp.ents = fixture::good_ents(id);
    sp.macho = macho_with(dylibs, &[]);
    sp.build()
}

#[test]
fn issue_16_watch_app_clips_and_every_extension_kind() {
    let mut app = Spec::good();
    let clip = nested_app(
        "PhoneClip",
        "com.example.phone.Clip",
        &[fixture::CALLKIT],
        &["voip"],
    );
    let mut watch = nested_app(
        "PhoneWatch",
        "com.example.phone.watchkitapp",
        &[],
        &["audio"],
    );
    watch.profile = None;
    let kit = Spec::extension("Widget", "com.apple.widgetkit-extension").build();
    app.nested = vec![
        ("AppClips".into(), clip),
        ("Watch".into(), watch),
        ("Extensions".into(), kit),
    ];
    let j = check_spec(&app, &[]);
    assert_eq!(j.summary.extensions, 3, "{:?}", j.findings);
    assert_eq!(j.code, 1);
    let clip_findings: Vec<&JFinding> = j
        .findings
        .iter()
        .filter(|f| f.component == "Payload/Phone.app/AppClips/PhoneClip.app")
        .collect();
    assert!(
        clip_findings
            .iter()
            .any(|f| f.id == "VOIP061" && f.message.contains("`voip` background mode"))
    );
    assert!(clip_findings.iter().any(|f| f.id == "VOIP061"
        && f.message
            == "the App Clip links CallKit, which provides no functionality in an App Clip"));
    assert!(
        j.findings
            .iter()
            .any(|f| f.id == "VOIP040" && f.component == "Payload/Phone.app/Watch/PhoneWatch.app")
    );
    assert!(
        !j.findings
            .iter()
            .any(|f| f.component.contains("Widget.appex")),
        "{:?}",
        j.findings
    );
}
