//! CLI contract: the real binary, its exit codes and its streams.

#[path = "support/schema.rs"]
mod schema;

mod common;

use std::process::Output;

fn voipctl(args: &[&str]) -> Output {
    common::output(common::voipctl().args(args).env_remove("NO_COLOR"))
}

#[test]
fn help_goes_to_stdout_and_exits_0() {
    let out = voipctl(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Usage: voipctl"), "{text}");
    assert!(text.contains("Exit codes:"), "{text}");
    assert!(out.stderr.is_empty());
}

#[test]
fn version_exits_0() {
    let out = voipctl(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("voipctl "));
}

#[test]
fn usage_error_exits_2_on_stderr() {
    let out = voipctl(&["no-such-command"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unrecognized subcommand"));
}

#[test]
fn conflicting_output_flags_are_a_usage_error() {
    let out = voipctl(&["--json", "--format", "junit", "completions", "bash"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn completions_print_a_script() {
    let out = voipctl(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("_voipctl()"));
}

/// Issue 17: writing our own output is not an input problem.
#[test]
fn completions_dir_that_cannot_be_written_is_exit_6() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap_or_else(|e| panic!("{e}"));
    let out = voipctl(&["completions", "--dir", file.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(6));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: write"), "{err}");
}

/// Issue 17: a stdout that cannot take the output (here a full disk) exits 6 with a message; a
/// stdout whose reader went away (`| head`) exits 0 quietly.
#[test]
fn stdout_write_failures_exit_6_but_a_closed_pipe_is_quiet() {
    use std::process::Stdio;
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // not Linux: no full device to write to
    };
    let out = common::voipctl()
        .args(["completions", "bash"])
        .stdout(Stdio::from(full))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(6));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: write output"), "{err}");

    let mut child = common::voipctl()
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Issue 15: a scenario file's TOML error keeps its line breaks (it printed `\n` literally).
#[test]
fn scenario_toml_error_prints_real_line_breaks() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[device]\nfoo = \n").unwrap_or_else(|e| panic!("{e}"));
    let out = voipctl(&["sim", file.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: read the scenario: TOML parse error at line 2"),
        "{err}"
    );
    assert!(!err.contains("\\n"), "{err}");
    assert!(err.lines().count() >= 4, "{err}");
    assert!(
        err.lines()
            .any(|l| l.trim() == "^" || l.trim_end().ends_with('^')),
        "{err}"
    );
}

/// Issue 15: a command that cannot run still writes a JUnit document, with an `<error>` element,
/// so that CI shows why instead of a missing report.
#[test]
fn junit_gets_an_error_element_when_the_command_cannot_run() {
    let out = voipctl(&["--format", "junit", "check", "no-such-app.ipa"]);
    assert_eq!(out.status.code(), Some(3));
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains("errors=\"1\""), "{xml}");
    assert!(
        xml.contains("<testcase classname=\"voipctl\" name=\"check\">"),
        "{xml}"
    );
    assert!(
        xml.contains("<error message=\"open no-such-app.ipa\">"),
        "{xml}"
    );
    assert!(xml.trim_end().ends_with("</testsuites>"), "{xml}");
    // The error is still said on stderr, and JSON output stays without a document.
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: open no-such-app.ipa"));
    let json = voipctl(&["--json", "check", "no-such-app.ipa"]);
    assert!(json.stdout.is_empty());
}

/// `voipctl schema` is a draft 2020-12 schema that accepts what voipctl writes and refuses what
/// breaks the contract (so the validation in every command's tests can fail).
#[test]
fn schema_accepts_the_contract_and_refuses_breaks_of_it() {
    let out = voipctl(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let good = r#"{"type":"summary","schema_version":3,"outcome":"ok","command":"sim","devices":1,"seconds":0.5}"#;
    schema::validate(good);
    for bad in [
        // no `command`
        r#"{"type":"summary","schema_version":3,"outcome":"ok","devices":1,"seconds":0.5}"#,
        // an outcome that does not exist
        r#"{"type":"summary","schema_version":3,"outcome":"pass","command":"sim","devices":1,"seconds":0.5}"#,
        // an unknown record type
        r#"{"type":"nonsense"}"#,
        // the old severity spelling
        r#"{"type":"rule","id":"VOIP001","name":"n","group":"g","severity":"warn","title":"t","explanation":"e","fix":"f"}"#,
    ] {
        let caught = std::panic::catch_unwind(|| schema::validate(bad));
        assert!(caught.is_err(), "accepted: {bad}");
    }
}
