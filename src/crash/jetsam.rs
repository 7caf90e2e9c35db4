//! `JetsamEvent-YYYY-MM-DD-HHMMSS.ips` (bug_type 298): the report iOS writes when jetsam kills
//! processes for memory. It is system-wide — one JSON header line (`bug_type`, `timestamp`,
//! `os_version`), then a JSON body with `date`, `largestProcess`, `pageSize` (iOS 12+; in
//! `memoryStatus` on some versions) and `processes: [{name, pid, rpages, states, reason?, …}]`
//! listing every process alive at that moment; the ones jetsam killed carry a `reason`
//! (`per-process-limit`, `vm-pageshortage`, `highwater`, `fc-thrashing`, `vnode-limit`…).
//!
//! [`JetsamEvent::find`] (and [`parse_jetsam`], parse + find) finds the entry of one process (by
//! pid, else by name) and turns it into a [`CrashReport`] whose termination reason reads
//! "jetsam: per-process-limit (412 MiB)"; `watch` uses it on the reports it pulls from the phone,
//! `analyze --crash-report` on a saved one, for each death in the log.
//! Untrusted bytes: bounded, never panics.

use super::{CrashError, CrashFormat, CrashReport, MAX_HEADER, MAX_REPORT, clip, json_str};
use serde_json::Value;

/// The page size when the report does not say (16 KiB on every arm64 iPhone since the A9).
const DEFAULT_PAGE: u64 = 16 * 1024;
/// How many process entries are looked at at most.
const MAX_PROCESSES: usize = 4096;
/// `proc_name` truncates names (MAXCOMLEN 16 / 2×MAXCOMLEN 32): a name this long may be cut.
const TRUNCATED_NAME: usize = 15;

/// Whether a crash-report file name is a jetsam report (`JetsamEvent-2025-11-25-102030.ips`,
/// also `.ips.synced`).
pub fn is_jetsam_name(file: &str) -> bool {
    let base = file.rsplit('/').next().unwrap_or(file);
    let lower = base.to_ascii_lowercase();
    lower.starts_with("jetsamevent")
        && [".ips", ".ips.synced", ".ips.beta"]
            .iter()
            .any(|e| lower.ends_with(e))
}

/// What a jetsam reason means.
pub fn reason_meaning(reason: &str) -> &'static str {
    match reason {
        "per-process-limit" => "jetsam: the process went over its own memory limit",
        "vm-pageshortage" => {
            "jetsam: the phone ran short of free memory and iOS killed the process to get it back"
        }
        "highwater" => "jetsam: the process was over its high-water mark while memory was short",
        "fc-thrashing" => "jetsam: the file cache was thrashing and iOS killed the process",
        "vnode-limit" => "jetsam: the system ran out of vnodes (too many open files)",
        "vm-compressor-thrashing" | "vm-compressor-space-shortage" => {
            "jetsam: the memory compressor was thrashing or full"
        }
        "zone-map-exhaustion" => "jetsam: the kernel ran out of zone memory",
        "idle-exit" => "jetsam: an idle process was reclaimed",
        "memory-diagnostic" => "jetsam: killed for a memory diagnostic",
        _ => "jetsam: iOS killed the process to reclaim memory",
    }
}

fn name_is(entry: &str, want: &str) -> bool {
    if entry.eq_ignore_ascii_case(want) {
        return true;
    }
    // A name cut by the kernel: the wanted name starts with it.
    entry.len() >= TRUNCATED_NAME
        && want.len() > entry.len()
        && want
            .get(..entry.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(entry))
}

/// A JSON object.
type Object = serde_json::Map<String, Value>;

/// The header and body objects of a JetsamEvent report, or `NotACrashReport`.
fn split(bytes: &[u8]) -> Result<(Option<Object>, Object), CrashError> {
    if bytes.len() > MAX_REPORT {
        return Err(CrashError::TooLarge(bytes.len()));
    }
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let (first, rest) = match text.find('\n') {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, ""),
    };
    // One line only: that is the body, not a header.
    let header = if first.len() <= MAX_HEADER && !rest.trim().is_empty() {
        match serde_json::from_str::<Value>(first.trim()) {
            Ok(Value::Object(h)) => Some(h),
            _ => None,
        }
    } else {
        None
    };
    let body = match &header {
        // Header line + body.
        Some(_) => serde_json::from_str::<Value>(rest.trim()),
        // The whole file is the body (re-saved by a tool, or an old form without a header).
        None => serde_json::from_str::<Value>(text),
    };
    let Ok(Value::Object(body)) = body else {
        return Err(CrashError::NotACrashReport);
    };
    let bug = header
        .as_ref()
        .and_then(|h| json_str(h.get("bug_type")))
        .or_else(|| json_str(body.get("bug_type")));
    let jetsam = bug.as_deref() == Some("298")
        || (bug.is_none() && body.get("processes").is_some_and(Value::is_array));
    if !jetsam {
        return Err(CrashError::NotACrashReport);
    }
    Ok((header, body))
}

/// A parsed JetsamEvent report: what is needed to describe any of its entries.
#[derive(Debug, Clone, PartialEq)]
pub struct JetsamEvent {
    file: Option<String>,
    /// The report's time (`date`, else the header's `timestamp`).
    time: Option<String>,
    os_version: Option<String>,
    largest: Option<String>,
    /// Bytes per page.
    page: u64,
    /// The process entries (objects only, at most [`MAX_PROCESSES`]).
    processes: Vec<Object>,
}

/// One process jetsam killed, as a JetsamEvent lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JetsamKill {
    /// Process name.
    pub name: String,
    /// Process id.
    pub pid: Option<u32>,
    /// The kill reason (`per-process-limit`…).
    pub reason: String,
}

fn entry_pid(e: &Object) -> Option<u32> {
    e.get("pid")
        .and_then(Value::as_u64)
        .and_then(|p| u32::try_from(p).ok())
}

fn entry_name(e: &Object) -> &str {
    e.get("name").and_then(Value::as_str).unwrap_or("")
}

impl JetsamEvent {
    /// Read a JetsamEvent report (`file` is its name, kept in the reports made of it); `Err` when
    /// the bytes are not one.
    pub fn parse(bytes: &[u8], file: Option<&str>) -> Result<JetsamEvent, CrashError> {
        let (header, mut body) = split(bytes)?;
        let page = body
            .get("pageSize")
            .and_then(Value::as_u64)
            .or_else(|| {
                body.get("memoryStatus")
                    .and_then(|m| m.get("pageSize"))
                    .and_then(Value::as_u64)
            })
            .filter(|p| (512..=1024 * 1024).contains(p))
            .unwrap_or(DEFAULT_PAGE);
        let processes = match body.remove("processes") {
            Some(Value::Array(procs)) => procs
                .into_iter()
                .take(MAX_PROCESSES)
                .filter_map(|e| match e {
                    Value::Object(o) => Some(o),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok(JetsamEvent {
            file: file.map(|f| clip(f).to_string()),
            time: json_str(body.get("date"))
                .or_else(|| header.as_ref().and_then(|h| json_str(h.get("timestamp")))),
            os_version: header
                .as_ref()
                .and_then(|h| json_str(h.get("os_version")))
                .or_else(|| json_str(body.get("build"))),
            largest: json_str(body.get("largestProcess")),
            page,
            processes,
        })
    }

    /// The report's file name, when known.
    pub fn file(&self) -> Option<&str> {
        self.file.as_deref()
    }

    /// The report's time as Unix seconds, when it can be read.
    pub fn unix_time(&self) -> Option<f64> {
        self.time.as_deref().and_then(super::parse_report_time)
    }

    /// The processes it lists as killed (those with a `reason`), in the report's order.
    pub fn killed(&self) -> Vec<JetsamKill> {
        self.processes
            .iter()
            .filter_map(|e| {
                Some(JetsamKill {
                    name: clip(entry_name(e)).to_string(),
                    pid: entry_pid(e),
                    reason: json_str(e.get("reason"))?,
                })
            })
            .collect()
    }

    /// What the report says about the process `pid` (when given) or named one of `names`: `None`
    /// when it has no entry for it or the entry has no kill reason (the process was alive, not
    /// killed). With both a pid and names, the pid's entry must still bear one of the names
    /// (pids are reused).
    pub fn find(&self, names: &[String], pid: Option<u32>) -> Option<CrashReport> {
        let e = self.processes.iter().find(|e| match pid {
            Some(p) => entry_pid(e) == Some(p),
            None => {
                let n = entry_name(e);
                !n.is_empty() && names.iter().any(|w| name_is(n, w)) && e.get("reason").is_some()
            }
        })?;
        if pid.is_some() && !names.is_empty() && !names.iter().any(|w| name_is(entry_name(e), w)) {
            return None;
        }
        let reason = json_str(e.get("reason"))?;
        let mut r = CrashReport::empty(CrashFormat::IpsJson, self.file.as_deref());
        r.bug_type = Some("298".into());
        r.process = json_str(e.get("name"));
        r.pid = entry_pid(e);
        r.time.clone_from(&self.time);
        r.os_version.clone_from(&self.os_version);
        r.signal = Some("SIGKILL".into());
        let mib = e
            .get("rpages")
            .and_then(Value::as_u64)
            .map(|p| p.saturating_mul(self.page).div_ceil(1024 * 1024));
        let mut why = format!("jetsam: {reason}");
        if let Some(m) = mib {
            why.push_str(&format!(" ({m} MiB)"));
        }
        if let Some(Value::Array(states)) = e.get("states") {
            let s: Vec<String> = states
                .iter()
                .take(8)
                .filter_map(|v| json_str(Some(v)))
                .collect();
            if !s.is_empty() {
                why.push_str(&format!(", state {}", s.join("/")));
            }
        }
        if let Some(l) = &self.largest {
            why.push_str(&format!(", largest process {l}"));
        }
        r.termination_reason = Some(clip(&why).to_string());
        r.code_meaning = Some(reason_meaning(&reason).to_string());
        Some(r)
    }
}

/// Read a JetsamEvent report and return what it says about the process `pid` (when given) or
/// named one of `names` ([`JetsamEvent::find`]); `Err` when the bytes are not a JetsamEvent
/// report.
pub fn parse_jetsam(
    bytes: &[u8],
    file: Option<&str>,
    names: &[String],
    pid: Option<u32>,
) -> Result<Option<CrashReport>, CrashError> {
    Ok(JetsamEvent::parse(bytes, file)?.find(names, pid))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// iOS 16/17 shape (header line + pretty body), fields as in JetsamEvent reports quoted in
    /// public issues (e.g. kstenerud/KSCrash #278).
    const EVENT: &str = r#"{"bug_type":"298","timestamp":"2025-11-25 10:24:10.00 +0000","os_version":"iPhone OS 15.8.2 (19H384)","incident_id":"1F0E2D3C-0000-4000-8000-000000000298"}
{
  "crashReporterKey" : "c0ffee",
  "kernel" : "Darwin Kernel Version 21.6.0",
  "product" : "iPhone10,4",
  "incident" : "1F0E2D3C-0000-4000-8000-000000000298",
  "date" : "2025-11-25 10:24:10.42 +0000",
  "build" : "iPhone OS 15.8.2 (19H384)",
  "timeDelta" : 4,
  "memoryStatus" : {"compressorSize" : 21504, "pageSize" : 16384, "uncompressed" : 60201},
  "largestProcess" : "LegacyPhone",
  "genCounter" : 0,
  "pageSize" : 16384,
  "processes" : [
  {
    "uuid" : "aa11bb22-0000-4000-8000-000000000001",
    "states" : ["daemon", "idle"],
    "rpages" : 1210,
    "pid" : 57,
    "name" : "SpringBoard"
  },
  {
    "uuid" : "aa11bb22-0000-4000-8000-000000000002",
    "states" : ["suspended"],
    "killDelta" : 13593,
    "lifetimeMax" : 26400,
    "age" : 1001079202730,
    "purgeable" : 0,
    "fds" : 50,
    "genCount" : 0,
    "coalition" : 633,
    "rpages" : 26368,
    "reason" : "per-process-limit",
    "pid" : 561,
    "idleDelta" : 4,
    "name" : "LegacyPhone",
    "cpuTime" : 12.5
  }
  ]
}
"#;

    #[test]
    fn finds_the_killed_process_by_pid_and_by_name() {
        let r = parse_jetsam(EVENT.as_bytes(), Some("JetsamEvent-x.ips"), &[], Some(561))
            .unwrap()
            .unwrap();
        assert_eq!(r.pid, Some(561));
        assert_eq!(r.process.as_deref(), Some("LegacyPhone"));
        assert_eq!(r.bug_type.as_deref(), Some("298"));
        assert_eq!(
            r.termination_reason.as_deref(),
            Some(
                "jetsam: per-process-limit (412 MiB), state suspended, largest process LegacyPhone"
            )
        );
        assert!(r.code_meaning.as_deref().unwrap().contains("memory limit"));
        assert_eq!(r.time.as_deref(), Some("2025-11-25 10:24:10.42 +0000"));
        assert_eq!(r.os_version.as_deref(), Some("iPhone OS 15.8.2 (19H384)"));
        assert!(r.headline().contains("jetsam: per-process-limit (412 MiB)"));
        let by_name = parse_jetsam(EVENT.as_bytes(), None, &["legacyphone".into()], None)
            .unwrap()
            .unwrap();
        assert_eq!(by_name.pid, Some(561));
    }

    #[test]
    fn a_listed_process_without_a_reason_was_not_killed() {
        assert_eq!(
            parse_jetsam(EVENT.as_bytes(), None, &[], Some(57)).unwrap(),
            None
        );
        assert_eq!(
            parse_jetsam(EVENT.as_bytes(), None, &["SpringBoard".into()], None).unwrap(),
            None
        );
        assert_eq!(
            parse_jetsam(EVENT.as_bytes(), None, &[], Some(999)).unwrap(),
            None
        );
        assert_eq!(
            parse_jetsam(EVENT.as_bytes(), None, &[], None).unwrap(),
            None
        );
    }

    #[test]
    fn one_parse_answers_for_every_process_and_lists_the_killed() {
        let ev = JetsamEvent::parse(EVENT.as_bytes(), Some("JetsamEvent-x.ips")).unwrap();
        assert_eq!(ev.file(), Some("JetsamEvent-x.ips"));
        assert_eq!(
            ev.killed(),
            vec![JetsamKill {
                name: "LegacyPhone".into(),
                pid: Some(561),
                reason: "per-process-limit".into(),
            }]
        );
        let t = ev.unix_time().unwrap();
        assert!((t - 1_764_066_250.42).abs() < 1e-3, "{t}");
        // The same report as parse_jetsam makes.
        assert_eq!(
            ev.find(&["LegacyPhone".into()], Some(561)),
            parse_jetsam(
                EVENT.as_bytes(),
                Some("JetsamEvent-x.ips"),
                &["LegacyPhone".into()],
                Some(561)
            )
            .unwrap()
        );
        assert!(ev.find(&[], Some(561)).is_some());
        // With a pid, the entry must still bear one of the names (pids are reused), a cut one
        // included.
        assert_eq!(ev.find(&["OtherName".into()], Some(561)), None);
        assert!(
            ev.find(&["OtherName".into(), "legacyphone".into()], Some(561))
                .is_some()
        );
        let cut = r#"{"bug_type":"298"}
{"processes":[{"name":"VeryLongAppNameX","pid":77,"rpages":1,"reason":"highwater"}]}"#;
        let cut = JetsamEvent::parse(cut.as_bytes(), None).unwrap();
        assert!(cut.find(&["VeryLongAppNameXYZ".into()], Some(77)).is_some());
        assert_eq!(cut.unix_time(), None);
        // No processes at all: nothing killed, nothing found.
        let none = JetsamEvent::parse(b"{\"bug_type\":\"298\"}\n{\"date\":\"x\"}", None).unwrap();
        assert!(none.killed().is_empty());
        assert_eq!(none.find(&["A".into()], None), None);
    }

    #[test]
    fn old_forms_and_page_sizes() {
        // No header line (iOS 10/11 re-saved), 4 KiB pages in memoryStatus, a cut name.
        let body = r#"{"bug_type":"298","memoryStatus":{"pageSize":4096},"processes":[{"name":"VeryLongAppNameX","pid":77,"rpages":2560,"reason":"vm-pageshortage","states":["frontmost","resume"]}]}"#;
        let r = parse_jetsam(body.as_bytes(), None, &["VeryLongAppNameXYZ".into()], None)
            .unwrap()
            .unwrap();
        assert_eq!(
            r.termination_reason.as_deref(),
            Some("jetsam: vm-pageshortage (10 MiB), state frontmost/resume")
        );
        // No page size at all: 16 KiB.
        let body = r#"{"bug_type":"298"}
{"processes":[{"name":"A","pid":1,"rpages":64,"reason":"highwater"}]}"#;
        let r = parse_jetsam(body.as_bytes(), None, &[], Some(1))
            .unwrap()
            .unwrap();
        assert_eq!(
            r.termination_reason.as_deref(),
            Some("jetsam: highwater (1 MiB)")
        );
    }

    #[test]
    fn other_reports_are_not_jetsam() {
        let crash = r#"{"bug_type":"309","name":"X"}
{"procName":"X","pid":1}"#;
        assert_eq!(
            parse_jetsam(crash.as_bytes(), None, &[], Some(1)),
            Err(CrashError::NotACrashReport)
        );
        assert_eq!(
            parse_jetsam(b"hello", None, &[], None),
            Err(CrashError::NotACrashReport)
        );
        assert!(is_jetsam_name("/JetsamEvent-2025-11-25-102410.ips"));
        assert!(is_jetsam_name("JetsamEvent-2025-11-25-102410.ips.synced"));
        assert!(!is_jetsam_name("LegacyPhone-2025-11-25-102410.ips"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048),
                                 pid in proptest::option::of(0u32..100)) {
            let _ = parse_jetsam(&bytes, None, &["A".into()], pid);
        }

        #[test]
        fn never_panics_on_entries(name in "[A-Za-z]{0,20}", pid in proptest::num::u64::ANY,
                                   rpages in proptest::num::u64::ANY, page in proptest::num::u64::ANY,
                                   reason in "[a-z-]{0,20}", want in "[A-Za-z]{0,20}") {
            let text = format!(
                "{{\"bug_type\":\"298\"}}\n{{\"pageSize\":{page},\"processes\":[{{\"name\":\"{name}\",\"pid\":{pid},\"rpages\":{rpages},\"reason\":\"{reason}\"}}]}}"
            );
            if let Ok(Some(r)) = parse_jetsam(text.as_bytes(), None, &[want], None) {
                proptest::prop_assert!(r.termination_reason.unwrap().starts_with("jetsam: "));
            }
        }
    }
}
