//! CLI contract: the real binary, its exit codes and its streams.

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
    assert!(err.starts_with("error: could not write"), "{err}");
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
    assert!(err.starts_with("error: could not write output"), "{err}");

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
