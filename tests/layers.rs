//! The layer rule of issue 15, enforced over the source: the print-free core never imports the
//! commands layer (the CLI, the reporter, the runner, the command context and the command-only
//! modules). It reads `src/` as text: every `crate::…` path (grouped `use crate::{a, b}` too) and
//! every `super::` that climbs to the crate root, in each file up to its `#[cfg(test)]` module.
//!
//! Covered core modules: see `CORE` — every module of `src/` but the commands layer (`cli/`,
//! `commands/`, `report/`, `run.rs`, `context.rs`). `probe/` and `sim/` are core: the probe's
//! stages, rounds, clock and cause chains, and the simulated iPhone, are data and protocols; their
//! runners are `commands::probe` and `commands::sim`. The violations that exist today are listed in
//! `KNOWN`; the test fails on any new one, and also when a known one is gone, so that the list only
//! shrinks.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Core modules (a folder or a file under `src/`) that must not import the commands layer.
const CORE: &[&str] = &[
    "bundle",
    "crash",
    "device",
    "diagnosis.rs",
    "duration.rs",
    "error.rs",
    "exit.rs",
    "logs",
    "net",
    "preflight",
    "probe",
    "push",
    "sanitize.rs",
    "severity.rs",
    "signal",
    "sim",
    "sip",
    "stats.rs",
    "timestamp.rs",
];

/// The commands layer: top-level modules (and crate-root re-exports of them) no core module
/// may name.
const COMMANDS: &[&str] = &[
    "cli", "commands", "report", "run", "context",
    // crate-root re-exports of `context` and `run`
    "Ctx", "Outcome", "Streams",
];

/// Imports of the commands layer by core modules that issue 15 lists and that are still there:
/// (core module, commands module). Remove an entry when it is fixed.
const KNOWN: &[(&str, &str)] = &[
    // none left: keep it empty.
];

/// Core-to-core imports that form a cycle (none left: `bundle` reads the facts, `preflight`
/// consumes them).
const KNOWN_CYCLES: &[(&str, &str)] = &[];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs")
            && p.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(p);
        }
    }
}

/// The code of a file without comments and test code: a `#[cfg(test)]` item declared on one
/// line (`mod tests;`) is skipped, an inline one (the trailing `mod tests { … }`) ends the file.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]" {
            match lines.peek() {
                Some(next) if next.trim_end().ends_with(';') => {
                    lines.next();
                    continue;
                }
                _ => break,
            }
        }
        let line = line.split("//").next().unwrap_or_default();
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Top-level crate modules (or root items) a file names: `crate::x…`, `crate::{x, y::z}`, and
/// `super::…` chains that climb to the crate root from a file `depth` modules deep.
fn crate_items(code: &str, depth: usize) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut roots: Vec<&str> = code.split("crate::").skip(1).collect();
    let climb = "super::".repeat(depth);
    if depth > 0 {
        roots.extend(code.split(climb.as_str()).skip(1).filter(|rest| {
            // Exactly `depth` levels: a longer chain would leave the crate (not compile).
            !rest.starts_with("super::")
        }));
    }
    for rest in roots {
        if let Some(group) = rest.strip_prefix('{') {
            // A grouped import: the first path segment of each entry at depth 0.
            let mut level = 0;
            let mut entry_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => level += 1,
                    '}' if level == 0 => break,
                    '}' => level -= 1,
                    ',' if level == 0 => entry_start = true,
                    _ if entry_start && !c.is_whitespace() => {
                        entry_start = false;
                        let name = ident(&group[i..]);
                        if !name.is_empty() {
                            found.insert(name);
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

/// Every (core module, top-level item) edge in the source.
fn edges() -> BTreeSet<(String, String)> {
    let root = src();
    let mut edges = BTreeSet::new();
    for module in CORE {
        let path = root.join(module);
        let mut files = Vec::new();
        if path.is_dir() {
            rust_files(&path, &mut files);
        } else {
            files.push(path.clone());
        }
        assert!(!files.is_empty(), "{} is gone: update CORE", path.display());
        let name = module.trim_end_matches(".rs");
        for f in files {
            let text = std::fs::read_to_string(&f)
                .unwrap_or_else(|e| panic!("could not read {}: {e}", f.display()));
            let rel = f.strip_prefix(&root).unwrap_or(&f);
            // Module depth: src/a.rs and src/a/mod.rs are 1 deep, src/a/b.rs 2 deep.
            let mut depth = rel.components().count();
            if rel.file_name().is_some_and(|n| n == "mod.rs") {
                depth -= 1;
            }
            for item in crate_items(&code(&text), depth) {
                if item != name {
                    edges.insert((name.to_string(), item));
                }
            }
        }
    }
    edges
}

#[test]
fn every_module_is_in_a_layer() {
    let mut unplaced = Vec::new();
    let Ok(entries) = std::fs::read_dir(src()) else {
        panic!("could not read src/");
    };
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        let module = name.trim_end_matches(".rs");
        let is_rust = e.path().is_dir() || name.ends_with(".rs");
        if !is_rust || name == "lib.rs" || name == "main.rs" {
            continue;
        }
        if !CORE.contains(&name.as_str()) && !COMMANDS.contains(&module) {
            unplaced.push(name);
        }
    }
    assert!(
        unplaced.is_empty(),
        "put these in CORE or COMMANDS in tests/layers.rs: {unplaced:?}"
    );
}

#[test]
fn the_reader_finds_imports_in_every_form() {
    let code = code(
        "use crate::report::Style;\nuse crate::{cli::Cli, exit::Code};\n\
         fn f() { crate::context::Ctx::new(); }\n// crate::run in a comment\n\
         use super::super::sim::X;\n#[cfg(test)]\nmod tests;\nuse crate::probe;\n\
         #[cfg(test)]\nmod tests {\nuse crate::farm;\n}",
    );
    let found = crate_items(&code, 2);
    let want: BTreeSet<String> = ["report", "cli", "exit", "context", "sim", "probe"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(found, want);
    // From src/a/mod.rs one `super::` is the crate root; from src/a/b.rs it is `a`.
    assert!(crate_items("use super::cli;", 1).contains("cli"));
    assert!(crate_items("use super::cli;", 2).is_empty());
}

#[test]
fn core_modules_do_not_import_the_commands_layer() {
    let edges = edges();
    let known: BTreeSet<(String, String)> = KNOWN
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let new: Vec<_> = edges
        .iter()
        .filter(|(_, to)| COMMANDS.contains(&to.as_str()))
        .filter(|e| !known.contains(*e))
        .map(|(from, to)| format!("src/{from} imports crate::{to}"))
        .collect();
    assert!(
        new.is_empty(),
        "the core must not import the commands layer (issue 15):\n  {}",
        new.join("\n  ")
    );
    let fixed: Vec<_> = known
        .iter()
        .filter(|e| !edges.contains(*e))
        .map(|(from, to)| format!("({from:?}, {to:?})"))
        .collect();
    assert!(
        fixed.is_empty(),
        "fixed, so remove from KNOWN in tests/layers.rs: {}",
        fixed.join(", ")
    );
}

#[test]
fn core_modules_import_each_other_without_new_cycles() {
    let edges = edges();
    let core: BTreeSet<&str> = CORE.iter().map(|m| m.trim_end_matches(".rs")).collect();
    let mut cycles = Vec::new();
    for (a, b) in &edges {
        if a < b
            && core.contains(b.as_str())
            && edges.contains(&(b.clone(), a.clone()))
            && !KNOWN_CYCLES.contains(&(a.as_str(), b.as_str()))
        {
            cycles.push(format!("{a} ↔ {b}"));
        }
    }
    assert!(cycles.is_empty(), "import cycles: {}", cycles.join(", "));
    for (a, b) in KNOWN_CYCLES {
        if !edges.contains(&(a.to_string(), b.to_string())) {
            panic!("{a} no longer imports {b}: remove the cycle from KNOWN_CYCLES");
        }
    }
}
