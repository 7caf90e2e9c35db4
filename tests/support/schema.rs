//! Every command's JSON output checked against `voipctl schema`: the JSON Schema generated from
//! the record types (issue 15). The validator is Python's `jsonschema` (draft 2020-12), which
//! `.ci/run` installs; a missing validator fails the test and says how to install it.
//!
//! Include with `#[path = "support/schema.rs"] mod schema;` and call [`validate`] on a
//! command's stdout.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// At most this many lines of one output are validated (the first ones and the summary), so
/// that a test feeding a large log stays quick.
const MAX_LINES: usize = 3000;

const VALIDATE: &str = r#"
import json, sys
try:
    from jsonschema import Draft202012Validator
except ImportError:
    print("python3 has no jsonschema module: python3 -m pip install jsonschema (.ci/run does)")
    sys.exit(2)
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
bad = []
for i, line in enumerate(sys.stdin, 1):
    line = line.strip()
    if not line:
        continue
    rec = json.loads(line)
    for e in list(v.iter_errors(rec))[:3]:
        path = "/".join(str(p) for p in e.absolute_path)
        bad.append(f"line {i} (type {rec.get('type')!r}) at /{path}: {e.message[:300]}")
print("\n".join(bad[:20]))
sys.exit(1 if bad else 0)
"#;

fn schema_file() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let out = Command::new(env!("CARGO_BIN_EXE_voipctl"))
            .arg("schema")
            .output()
            .unwrap_or_else(|e| panic!("run voipctl schema: {e}"));
        assert_eq!(out.status.code(), Some(0), "voipctl schema failed");
        let dir = std::env::temp_dir().join(format!("voipctl-schema-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let path = dir.join("schema.json");
        std::fs::write(&path, &out.stdout).unwrap_or_else(|e| panic!("{e}"));
        path
    })
}

/// Panics unless every JSON line of `out` (a command's stdout) is valid against the schema.
/// Output without JSON lines (human text, a run that failed before its first record) passes.
pub fn validate(out: &str) {
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with('{')).collect();
    if lines.is_empty() {
        return;
    }
    let picked: Vec<&str> = if lines.len() > MAX_LINES {
        let mut v = lines[..MAX_LINES - 1].to_vec();
        v.extend(lines.last());
        v
    } else {
        lines
    };
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(VALIDATE)
        .arg(schema_file())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run python3 to validate the JSON output: {e}"));
    let mut stdin = child.stdin.take().unwrap_or_else(|| panic!("stdin"));
    let body = picked.join("\n");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(body.as_bytes());
    });
    let res = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("python3: {e}"));
    let _ = writer.join();
    assert!(
        res.status.success(),
        "JSON output does not match `voipctl schema`:\n{}{}",
        String::from_utf8_lossy(&res.stdout),
        String::from_utf8_lossy(&res.stderr)
    );
}
