//! Snapshots of what users read: every `--help` and the human output of a few commands that need
//! no device, with colour on and off. A change to any of them fails here until it is reviewed and
//! the snapshot files under `tests/snapshots/` are refreshed:
//!
//! ```sh
//! VOIPCTL_BLESS=1 cargo nextest run --test snapshots
//! ```
//!
//! Volatile parts are redacted before comparing (the version, the checkout's path). Output that
//! depends on timing or on a device is deliberately left out.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Runs voipctl from the checkout's root with a fixed, minimal environment (no `VOIPCTL_*`
/// variables, whose values clap would show under `--help`; no `NO_COLOR`; a fixed width).
fn voipctl(args: &[&str]) -> Output {
    common::output(
        common::voipctl()
            .args(args)
            .current_dir(ROOT)
            .env_clear()
            .env("TERM", "xterm-256color")
            .env("COLUMNS", "100")
            .env("LANG", "C.UTF-8"),
    )
}

/// The transcript compared against a snapshot: exit code, stdout, stderr, redacted, with the
/// escape character shown as `\e` so that colour codes read in a diff.
fn transcript(args: &[&str], out: &Output) -> String {
    let redact = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .replace(ROOT, "[ROOT]")
            .replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
            .replace('\x1b', "\\e")
    };
    format!(
        "$ voipctl {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        out.status
            .code()
            .map_or_else(|| "signal".to_owned(), |c| c.to_string()),
        redact(&out.stdout),
        redact(&out.stderr),
    )
}

fn snapshot_dir(group: &str) -> PathBuf {
    Path::new(ROOT).join("tests/snapshots").join(group)
}

fn blessing() -> bool {
    std::env::var_os("VOIPCTL_BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// The first difference between two texts, as a short report.
fn first_difference(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<_>, Vec<_>) = (expected.lines().collect(), actual.lines().collect());
    let at = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    format!(
        "line {}:\n  snapshot: {}\n  now:      {}",
        at + 1,
        e.get(at).copied().unwrap_or("<end of snapshot>"),
        a.get(at).copied().unwrap_or("<end of output>"),
    )
}

/// Compares every `(file name, transcript)` of a group against its snapshot directory; with
/// `VOIPCTL_BLESS=1` writes them instead and removes snapshots no case produces any more.
fn check_group(group: &str, cases: &[(String, String)]) {
    let dir = snapshot_dir(group);
    let names: BTreeSet<_> = cases.iter().map(|(name, _)| name.clone()).collect();
    assert_eq!(names.len(), cases.len(), "two cases share a snapshot name");
    let existing: BTreeSet<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.ends_with(".txt"))
                .collect()
        })
        .unwrap_or_default();

    if blessing() {
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for (name, text) in cases {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        for stale in existing.difference(&names) {
            let path = dir.join(stale);
            std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        return;
    }

    let mut problems = Vec::new();
    for (name, text) in cases {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(expected) if expected == *text => {}
            Ok(expected) => problems.push(format!(
                "{} differs at {}",
                path.display(),
                first_difference(&expected, text)
            )),
            Err(e) => problems.push(format!("{}: {e} (no snapshot yet?)", path.display())),
        }
    }
    for stale in existing.difference(&names) {
        problems.push(format!(
            "{}: no case produces this snapshot any more",
            dir.join(stale).display()
        ));
    }
    assert!(
        problems.is_empty(),
        "{} snapshot(s) out of date; review, then refresh with \
         `VOIPCTL_BLESS=1 cargo nextest run --test snapshots`:\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

/// The subcommand names listed under `Commands:` in a help text.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim_end() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        // Entries sit at two spaces; wrapped descriptions are indented further.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn every_help_matches_its_snapshot() {
    let mut cases = Vec::new();
    let mut queue: Vec<Vec<String>> = vec![Vec::new()];
    while let Some(path) = queue.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = voipctl(&args);
        assert_eq!(out.status.code(), Some(0), "voipctl {args:?}");
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        for sub in subcommands(&help) {
            let mut next = path.clone();
            next.push(sub);
            queue.push(next);
        }
        let name = if path.is_empty() {
            "voipctl.txt".to_owned()
        } else {
            format!("voipctl-{}.txt", path.join("-"))
        };
        cases.push((name, transcript(&args, &out)));
    }
    // The walk must have found the commands, or the snapshots would pin too little.
    assert!(cases.len() > 10, "found only {} help texts", cases.len());
    check_group("help", &cases);
}

#[test]
fn human_output_matches_its_snapshot_with_colour_on_and_off() {
    let commands: &[(&str, &[&str])] = &[
        ("check-phone", &["check", "samples/Phone.ipa"]),
        ("check-legacy", &["check", "samples/Legacy.ipa"]),
        (
            "check-legacy-verbose",
            &["check", "-v", "samples/Legacy.ipa"],
        ),
        (
            "analyze-syslog",
            &["analyze", "tests/data/session-syslog.log"],
        ),
        (
            "analyze-syslog-quiet",
            &["analyze", "-q", "tests/data/session-syslog.log"],
        ),
        ("check-missing-file", &["check", "no-such-app.ipa"]),
        ("usage-error", &["check", "--no-such-flag"]),
    ];
    let mut cases = Vec::new();
    for (name, args) in commands {
        for colour in ["always", "never"] {
            let mut all = args.to_vec();
            all.extend(["--color", colour]);
            let out = voipctl(&all);
            cases.push((format!("{name}.color-{colour}.txt"), transcript(&all, &out)));
        }
    }
    check_group("human", &cases);
}
