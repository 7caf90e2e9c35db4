//! iOS crash reports, as the phone's `com.apple.crashreportcopymobile` service hands them out and
//! as people save them: the iOS 15+ `.ips` form (a one-line JSON header, then a JSON body with
//! `exception`, `termination`, `procName`, `pid`, `captureTime`…), the older `.ips` form (the
//! same header line, then the classic text report), and legacy `.crash` text ("Process:",
//! "Exception Type:", "Termination Reason:", …).
//!
//! [`parse`] turns any of them into a typed [`CrashReport`] with what a VoIP developer needs next
//! to the log timeline: which process died, how (exception type, signal) and why (termination
//! namespace, code and reason, with the meaning of the well-known codes such as `0x8badf00d` and
//! `0xbaadca11`). Input is untrusted bytes: sizes are bounded and nothing panics.

use serde::Serialize;
use serde_json::Value;

mod jetsam;
pub use jetsam::{JetsamEvent, JetsamKill, is_jetsam_name, parse_jetsam, reason_meaning};

/// The largest report [`parse`] reads (real ones are well under 2 MiB).
pub const MAX_REPORT: usize = 16 * 1024 * 1024;
/// The longest the header line of an `.ips` may be.
const MAX_HEADER: usize = 64 * 1024;
/// How much of a text report is scanned for the fields (they are all near the top).
const MAX_TEXT_SCAN: usize = 256 * 1024;
/// The longest a field value is kept.
const MAX_FIELD: usize = 2048;

/// Why bytes are not a crash report.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CrashError {
    /// Larger than [`MAX_REPORT`].
    #[error(
        "read the crash report: it is {0} bytes, more than the {MAX_REPORT} bytes a crash report can be"
    )]
    TooLarge(usize),
    /// Neither an `.ips` nor a text report.
    #[error(
        "read the crash report: not an .ips or .crash report (no JSON header line, no \"Exception Type:\" or \"Termination Reason:\" line)"
    )]
    NotACrashReport,
}

/// The shape the report came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CrashFormat {
    /// iOS 15+: JSON header line + JSON body.
    IpsJson,
    /// iOS 10–14: JSON header line + text body.
    IpsText,
    /// Text only (`.crash`, Xcode/Organizer exports).
    CrashText,
}

/// What a crash report says about a process's death.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CrashReport {
    /// The report's file name, when known.
    pub file: Option<String>,
    /// The shape of the report.
    pub format: CrashFormat,
    /// `bug_type` of the header (`309` = app crash, `109` = older app crash, `298` = jetsam…).
    pub bug_type: Option<String>,
    /// Process name (`procName`, `Process:`, header `name`/`app_name`).
    pub process: Option<String>,
    /// Bundle ID (`bundleInfo.CFBundleIdentifier`, `Identifier:`, header `bundleID`).
    pub bundle_id: Option<String>,
    /// Process id.
    pub pid: Option<u32>,
    /// When the crash was captured, as the report writes it (`captureTime`, `Date/Time:`).
    pub time: Option<String>,
    /// iOS version (`osVersion`, `OS Version:`, header `os_version`).
    pub os_version: Option<String>,
    /// Mach exception type (`EXC_CRASH`, `EXC_BAD_ACCESS`…).
    pub exception_type: Option<String>,
    /// Signal (`SIGABRT`, `SIGKILL`, `SIGSEGV`…).
    pub signal: Option<String>,
    /// Exception codes as written.
    pub exception_codes: Option<String>,
    /// The uncaught exception, when the app threw one (`exceptionReason`, "Application Specific
    /// Information: *** Terminating app due to uncaught exception …").
    pub exception_reason: Option<String>,
    /// Who terminated the process (`SIGNAL`, `FRONTBOARD`, `RUNNINGBOARD`, `SPRINGBOARD`…).
    pub termination_namespace: Option<String>,
    /// The termination code (`0x8badf00d`, `0xbaadca11`, or a signal number in the SIGNAL
    /// namespace).
    pub termination_code: Option<String>,
    /// The termination reason text (indicator, reasons, description).
    pub termination_reason: Option<String>,
    /// What a well-known termination code means.
    pub code_meaning: Option<String>,
}

impl CrashReport {
    fn empty(format: CrashFormat, file: Option<&str>) -> Self {
        CrashReport {
            file: file.map(|f| clip(f).to_string()),
            format,
            bug_type: None,
            process: None,
            bundle_id: None,
            pid: None,
            time: None,
            os_version: None,
            exception_type: None,
            signal: None,
            exception_codes: None,
            exception_reason: None,
            termination_namespace: None,
            termination_code: None,
            termination_reason: None,
            code_meaning: None,
        }
    }

    /// One line for the timeline: "EXC_CRASH (SIGABRT), termination SIGNAL 6: Abort trap: 6".
    pub fn headline(&self) -> String {
        let mut parts = Vec::new();
        match (&self.exception_type, &self.signal) {
            (Some(t), Some(s)) => parts.push(format!("{t} ({s})")),
            (Some(t), None) => parts.push(t.clone()),
            (None, Some(s)) => parts.push(s.clone()),
            (None, None) => {}
        }
        let term = match (&self.termination_namespace, &self.termination_code) {
            (Some(n), Some(c)) => Some(format!("termination {n} {c}")),
            (Some(n), None) => Some(format!("termination {n}")),
            (None, Some(c)) => Some(format!("termination code {c}")),
            (None, None) => None,
        };
        if let Some(t) = term {
            parts.push(t);
        }
        let mut s = if parts.is_empty() {
            "no exception or termination recorded".to_string()
        } else {
            parts.join(", ")
        };
        if let Some(r) = &self.termination_reason {
            s.push_str(": ");
            s.push_str(&short(r, 200));
        }
        if let Some(e) = &self.exception_reason {
            s.push_str(" — ");
            s.push_str(&short(e, 200));
        }
        s
    }

    /// The capture time as Unix seconds, when the report's time can be read
    /// (`2025-11-25 10:20:30.12 +0100`).
    pub fn unix_time(&self) -> Option<f64> {
        self.time.as_deref().and_then(parse_report_time)
    }
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut o: String = s.chars().take(n.saturating_sub(1)).collect();
    o.push('…');
    o
}

fn clip(s: &str) -> &str {
    if s.len() <= MAX_FIELD {
        return s;
    }
    let mut end = MAX_FIELD;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn field(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| clip(s).to_string())
}

/// What the well-known termination codes mean (Apple's "Understanding the exception types in a
/// crash report" and "Addressing watchdog terminations").
pub fn code_meaning(code: &str) -> Option<&'static str> {
    let c = code.trim().to_ascii_lowercase();
    let c = c.strip_prefix("0x").map(|h| h.trim_start_matches('0'));
    Some(match c? {
        "8badf00d" => {
            "watchdog: the app took too long (launch, scene update, background task) and iOS killed it"
        }
        "baadca11" => {
            "CallKit enforcement: a VoIP push was not reported as an incoming call to CallKit in time"
        }
        "bad22222" => "VoIP: the app was woken too often by its VoIP socket and iOS killed it",
        "dead10cc" => "the app held a file lock or SQLite lock while being suspended",
        "c00010ff" => "thermal: iOS killed the app because the device was too hot",
        "deadfa11" => "the user force-quit the app",
        "badf0a10" | "badfa110" => "the app was terminated while in the background",
        "2bad45ec" => "a security violation",
        "bada5e47" => "the app exceeded its background assertion time",
        _ => return None,
    })
}

/// A numeric termination code as people see it: the signal number in the SIGNAL namespace,
/// hex otherwise (`2343432205` → `0x8badf00d`).
fn code_text(namespace: Option<&str>, n: u64) -> String {
    if namespace == Some("SIGNAL") || n < 0x1_0000 {
        n.to_string()
    } else {
        format!("{n:#x}")
    }
}

/// Parse a crash report. `file` is its name (kept in the result).
pub fn parse(bytes: &[u8], file: Option<&str>) -> Result<CrashReport, CrashError> {
    if bytes.len() > MAX_REPORT {
        return Err(CrashError::TooLarge(bytes.len()));
    }
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with('{') {
        let (first, rest) = match text.find('\n') {
            Some(i) => (&text[..i], &text[i + 1..]),
            None => (text, ""),
        };
        let header = if first.len() <= MAX_HEADER {
            serde_json::from_str::<Value>(first.trim()).ok()
        } else {
            None
        };
        match header {
            Some(Value::Object(h)) => {
                let body = rest.trim_start();
                if body.starts_with('{')
                    && let Ok(Value::Object(b)) = serde_json::from_str::<Value>(body)
                {
                    let mut r = CrashReport::empty(CrashFormat::IpsJson, file);
                    apply_header(&mut r, &h);
                    apply_json_body(&mut r, &b);
                    return Ok(finish(r));
                }
                // A text body, or a JSON body cut short (a report being written, or truncated):
                // what the header says, and the fields a text scan of the body finds.
                let mut r = CrashReport::empty(CrashFormat::IpsText, file);
                apply_header(&mut r, &h);
                let seen = apply_text(&mut r, body);
                if !seen && r.bug_type.is_none() {
                    return Err(CrashError::NotACrashReport);
                }
                if body.starts_with('{') {
                    apply_json_fragments(&mut r, body);
                }
                return Ok(finish(r));
            }
            _ => {
                // The whole file may be one JSON object (a report re-saved by a tool).
                if let Ok(Value::Object(b)) = serde_json::from_str::<Value>(text) {
                    let mut r = CrashReport::empty(CrashFormat::IpsJson, file);
                    apply_json_body(&mut r, &b);
                    if r.exception_type.is_some()
                        || r.termination_namespace.is_some()
                        || r.process.is_some()
                    {
                        return Ok(finish(r));
                    }
                }
                return Err(CrashError::NotACrashReport);
            }
        }
    }
    let mut r = CrashReport::empty(CrashFormat::CrashText, file);
    let seen = apply_text(&mut r, text);
    if !seen {
        return Err(CrashError::NotACrashReport);
    }
    Ok(finish(r))
}

fn finish(mut r: CrashReport) -> CrashReport {
    r.code_meaning = r
        .termination_code
        .as_deref()
        .and_then(code_meaning)
        .map(str::to_string);
    r
}

fn json_str(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => field(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn apply_header(r: &mut CrashReport, h: &serde_json::Map<String, Value>) {
    r.bug_type = json_str(h.get("bug_type"));
    r.process = json_str(h.get("name")).or_else(|| json_str(h.get("app_name")));
    r.bundle_id = json_str(h.get("bundleID"));
    r.time = json_str(h.get("timestamp"));
    r.os_version = json_str(h.get("os_version"));
}

fn apply_json_body(r: &mut CrashReport, b: &serde_json::Map<String, Value>) {
    if let Some(p) = json_str(b.get("procName")) {
        r.process = Some(p);
    }
    if let Some(pid) = b.get("pid").and_then(Value::as_u64) {
        r.pid = u32::try_from(pid).ok();
    }
    if let Some(id) = b
        .get("bundleInfo")
        .and_then(|i| i.get("CFBundleIdentifier"))
        .and_then(|v| json_str(Some(v)))
    {
        r.bundle_id = Some(id);
    } else if r.bundle_id.is_none() {
        r.bundle_id = json_str(b.get("coalitionName"));
    }
    if let Some(t) = json_str(b.get("captureTime")) {
        r.time = Some(t);
    }
    if let Some(os) = b.get("osVersion") {
        let train = json_str(os.get("train"));
        let build = json_str(os.get("build"));
        r.os_version = match (train, build) {
            (Some(t), Some(b)) => Some(format!("{t} ({b})")),
            (Some(t), None) => Some(t),
            _ => r.os_version.take(),
        };
    }
    if let Some(e) = b.get("exception") {
        r.exception_type = json_str(e.get("type"));
        r.signal = json_str(e.get("signal"));
        r.exception_codes = json_str(e.get("codes"));
    }
    if let Some(t) = b.get("termination") {
        r.termination_namespace = json_str(t.get("namespace"));
        r.termination_code = match t.get("code") {
            Some(Value::Number(n)) => n
                .as_u64()
                .map(|n| code_text(r.termination_namespace.as_deref(), n))
                .or_else(|| Some(n.to_string())),
            other => json_str(other),
        };
        let mut reason = Vec::new();
        if let Some(i) = json_str(t.get("indicator")) {
            reason.push(i);
        }
        match t.get("reasons") {
            Some(Value::Array(a)) => {
                for x in a.iter().take(16) {
                    if let Some(s) = json_str(Some(x)) {
                        reason.push(s);
                    }
                }
            }
            other => {
                if let Some(s) = json_str(other) {
                    reason.push(s);
                }
            }
        }
        if let Some(d) = json_str(t.get("details")) {
            reason.push(d);
        }
        if !reason.is_empty() {
            r.termination_reason = Some(clip(&reason.join(" | ")).to_string());
        }
    }
    if let Some(er) = b.get("exceptionReason") {
        r.exception_reason =
            json_str(er.get("composed_message")).or_else(|| json_str(er.get("reason")));
    }
}

/// Fields of a JSON body that does not parse as a whole (cut short): look for the simple
/// `"key" : "value"` / `"key" : 123` pairs.
fn apply_json_fragments(r: &mut CrashReport, body: &str) {
    let scan = &body[..floor_boundary(body, MAX_TEXT_SCAN)];
    let get = |key: &str| -> Option<String> {
        let pat = format!("\"{key}\"");
        let at = scan.find(&pat)? + pat.len();
        let rest = scan[at..].trim_start().strip_prefix(':')?.trim_start();
        if let Some(q) = rest.strip_prefix('"') {
            let end = q.find('"')?;
            field(&q[..end])
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
                .unwrap_or(rest.len());
            field(&rest[..end])
        }
    };
    r.process = get("procName").or(r.process.take());
    r.pid = r.pid.or_else(|| get("pid").and_then(|p| p.parse().ok()));
    r.time = get("captureTime").or(r.time.take());
    r.exception_type = r.exception_type.take().or_else(|| get("type"));
    r.signal = r.signal.take().or_else(|| get("signal"));
    r.termination_namespace = r.termination_namespace.take().or_else(|| get("namespace"));
    if r.termination_code.is_none() {
        r.termination_code = get("code").map(|c| match c.parse::<u64>() {
            Ok(n) => code_text(r.termination_namespace.as_deref(), n),
            Err(_) => c,
        });
    }
    r.termination_reason = r.termination_reason.take().or_else(|| get("indicator"));
}

fn floor_boundary(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// Scan a text report; true when it had any crash-report field.
fn apply_text(r: &mut CrashReport, text: &str) -> bool {
    let scan = &text[..floor_boundary(text, MAX_TEXT_SCAN)];
    let mut seen = false;
    let mut description: Option<String> = None;
    let mut term_signal: Option<String> = None;
    let mut asi = false;
    for line in scan.lines().take(4000) {
        let line = line.trim_end_matches('\r');
        if asi {
            asi = false;
            if line.contains("uncaught exception") || line.starts_with("***") {
                r.exception_reason = field(line);
                continue;
            }
        }
        if line.trim() == "Application Specific Information:" {
            asi = true;
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim();
        let value = value.trim();
        match key {
            "Process" => {
                seen = true;
                // "ExampleCall [601]"
                match value.rsplit_once('[') {
                    Some((name, pid)) => {
                        r.process = field(name).or(r.process.take());
                        r.pid = pid.trim_end_matches(']').trim().parse().ok().or(r.pid);
                    }
                    None => r.process = field(value).or(r.process.take()),
                }
            }
            "Identifier" => r.bundle_id = field(value).or(r.bundle_id.take()),
            "Date/Time" => {
                seen = true;
                r.time = field(value).or(r.time.take());
            }
            "OS Version" => r.os_version = field(value).or(r.os_version.take()),
            "Exception Type" => {
                seen = true;
                // "EXC_CRASH (SIGKILL)"
                match value.split_once('(') {
                    Some((t, s)) => {
                        r.exception_type = field(t);
                        r.signal = field(s.trim_end_matches(')'));
                    }
                    None => r.exception_type = field(value),
                }
            }
            "Exception Codes" => r.exception_codes = field(value),
            "Termination Reason" => {
                seen = true;
                parse_termination(r, value);
            }
            "Termination Description" => description = field(value),
            "Termination Signal" => term_signal = field(value),
            _ => {}
        }
    }
    if let Some(d) = description {
        r.termination_reason = Some(match r.termination_reason.take() {
            Some(x) => clip(&format!("{x} | {d}")).to_string(),
            None => d,
        });
    }
    if r.signal.is_none()
        && let Some(s) = term_signal
    {
        r.signal = Some(s);
    }
    seen
}

/// `Namespace SPRINGBOARD, Code 0x8badf00d`, `FRONTBOARD 0xbaadca11`,
/// `SIGNAL 6 Abort trap: 6`, `Namespace SIGNAL, Code 0x6`.
fn parse_termination(r: &mut CrashReport, value: &str) {
    let v = value.trim();
    let v = v
        .strip_prefix("Namespace")
        .map(str::trim_start)
        .unwrap_or(v);
    let end = v
        .find(|c: char| c == ',' || c.is_whitespace())
        .unwrap_or(v.len());
    let (ns, rest) = v.split_at(end);
    if ns.is_empty() {
        return;
    }
    r.termination_namespace = field(ns);
    let rest = rest.trim_start_matches(',').trim_start();
    let rest = rest
        .strip_prefix("Code")
        .map(str::trim_start)
        .unwrap_or(rest);
    let end = rest
        .find(|c: char| c == ',' || c.is_whitespace())
        .unwrap_or(rest.len());
    let (code, tail) = rest.split_at(end);
    if !code.is_empty() {
        r.termination_code = Some(match code.parse::<u64>() {
            Ok(n) => code_text(r.termination_namespace.as_deref(), n),
            Err(_) => clip(code).to_ascii_lowercase(),
        });
    }
    let tail = tail.trim_start_matches(',').trim();
    if !tail.is_empty() {
        r.termination_reason = field(tail);
    }
}

/// `2025-11-25 10:20:30.1234 +0100` (also without fraction or zone) → Unix seconds.
pub fn parse_report_time(s: &str) -> Option<f64> {
    let s = s.trim();
    let (date, rest) = s.split_once(' ')?;
    let mut d = date.split('-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    if d.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let rest = rest.trim();
    let (clock, zone) = match rest.split_once(' ') {
        Some((c, z)) => (c, Some(z.trim())),
        None => (rest, None),
    };
    let mut c = clock.split(':');
    let h: f64 = c.next()?.parse::<u32>().ok().filter(|h| *h < 24)?.into();
    let m: f64 = c.next()?.parse::<u32>().ok().filter(|m| *m < 60)?.into();
    let sec: f64 = c
        .next()?
        .parse()
        .ok()
        .filter(|s: &f64| (0.0..61.0).contains(s))?;
    let offset = match zone {
        Some(z) if z.len() == 5 && (z.starts_with('+') || z.starts_with('-')) => {
            let hh: i64 = z[1..3].parse().ok()?;
            let mm: i64 = z[3..5].parse().ok()?;
            let o = (hh * 3600 + mm * 60) as f64;
            if z.starts_with('-') { -o } else { o }
        }
        _ => 0.0,
    };
    if !(1970..=9999).contains(&year) {
        return None;
    }
    let days = crate::timestamp::days_from_civil(year, month, day);
    Some(days as f64 * 86400.0 + h * 3600.0 + m * 60.0 + sec - offset)
}

/// Whether a file name in the crash-report directory looks like a report of `process`
/// (`ExampleCall-2025-11-25-102030.ips`, `ExampleCall.crash`, `…ips.synced`).
pub fn name_matches(file: &str, process: &str) -> bool {
    let base = file.rsplit('/').next().unwrap_or(file);
    let lower = base.to_ascii_lowercase();
    let is_report = [
        ".ips",
        ".crash",
        ".ips.synced",
        ".crash.synced",
        ".ips.beta",
    ]
    .iter()
    .any(|e| lower.ends_with(e));
    if !is_report || process.is_empty() {
        return false;
    }
    let p = process.to_ascii_lowercase();
    lower
        .strip_prefix(&p)
        .is_some_and(|rest| rest.starts_with('-') || rest.starts_with('.') || rest.starts_with('_'))
}

/// The date in a report's file name (`Proc-2025-11-25-100020.ips` → `2025-11-25-100020`), for
/// ordering reports of any process by age; `None` when the name is not a report's or has no date.
pub fn name_date(file: &str) -> Option<String> {
    let base = file.rsplit('/').next().unwrap_or(file);
    let lower = base.to_ascii_lowercase();
    let stem = [".ips.synced", ".crash.synced", ".ips", ".crash"]
        .iter()
        .find_map(|e| lower.strip_suffix(e))?;
    let b = stem.as_bytes();
    // The last 17 bytes: YYYY-MM-DD-HHMMSS.
    if b.len() < 17 {
        return None;
    }
    let d = &b[b.len() - 17..];
    let shape = d.iter().enumerate().all(|(i, c)| match i {
        4 | 7 | 10 => *c == b'-',
        _ => c.is_ascii_digit(),
    });
    shape.then(|| String::from_utf8_lossy(d).into_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const IPS_CALLKIT: &str = r#"{"app_name":"ExampleCall","timestamp":"2025-11-25 10:00:20.00 +0000","app_version":"7.1.0","slice_uuid":"1b2c3d4e-0000-4000-8000-000000000001","adam_id":"0","build_version":"7100","platform":2,"bundleID":"com.example.call","share_with_app_devs":0,"is_first_party":0,"bug_type":"309","os_version":"iPhone OS 17.5.1 (21F90)","roots_installed":0,"name":"ExampleCall","incident_id":"0C4D3E2F-0000-4000-8000-000000000001"}
{
  "uptime" : 86400,
  "procRole" : "Background",
  "version" : 2,
  "userID" : 501,
  "modelCode" : "iPhone14,4",
  "captureTime" : "2025-11-25 10:00:20.6512 +0000",
  "incident" : "0C4D3E2F-0000-4000-8000-000000000001",
  "pid" : 601,
  "procName" : "ExampleCall",
  "bundleInfo" : {"CFBundleShortVersionString":"7.1.0","CFBundleVersion":"7100","CFBundleIdentifier":"com.example.call"},
  "osVersion" : {"isEmbedded":true,"train":"iPhone OS 17.5.1","releaseType":"User","build":"21F90"},
  "exception" : {"codes":"0x0000000000000000, 0x0000000000000000","rawCodes":[0,0],"type":"EXC_CRASH","signal":"SIGKILL"},
  "termination" : {"flags":6,"code":3131951633,"namespace":"FRONTBOARD","reasons":["<RBSTerminateContext| domain:10 code:0xBAADCA11 explanation:<FBApplicationProcess: 0x2818a4e00; application<com.example.call>:601> killed because it failed to report an incoming call>"]},
  "faultingThread" : 0,
  "threads" : [{"id":1,"triggered":true,"queue":"com.apple.main-thread","frames":[]}]
}"#;

    #[test]
    fn ips_json_callkit_kill() {
        let r = parse(
            IPS_CALLKIT.as_bytes(),
            Some("ExampleCall-2025-11-25-100020.ips"),
        )
        .unwrap();
        assert_eq!(r.format, CrashFormat::IpsJson);
        assert_eq!(r.bug_type.as_deref(), Some("309"));
        assert_eq!(r.process.as_deref(), Some("ExampleCall"));
        assert_eq!(r.bundle_id.as_deref(), Some("com.example.call"));
        assert_eq!(r.pid, Some(601));
        assert_eq!(r.exception_type.as_deref(), Some("EXC_CRASH"));
        assert_eq!(r.signal.as_deref(), Some("SIGKILL"));
        assert_eq!(r.termination_namespace.as_deref(), Some("FRONTBOARD"));
        assert_eq!(r.termination_code.as_deref(), Some("0xbaadca11"));
        assert!(
            r.termination_reason
                .as_deref()
                .unwrap()
                .contains("failed to report an incoming call")
        );
        assert!(r.code_meaning.as_deref().unwrap().contains("CallKit"));
        assert_eq!(r.os_version.as_deref(), Some("iPhone OS 17.5.1 (21F90)"));
        let t = r.unix_time().unwrap();
        assert!((t - 1_764_064_820.651_2).abs() < 1e-3, "{t}");
        assert!(
            r.headline()
                .starts_with("EXC_CRASH (SIGKILL), termination FRONTBOARD 0xbaadca11")
        );
    }

    #[test]
    fn ips_json_signal_namespace_is_decimal() {
        let body = r#"{"bug_type":"309","name":"LegacyPhone"}
{"procName":"LegacyPhone","pid":412,"exception":{"type":"EXC_BAD_ACCESS","signal":"SIGSEGV","codes":"KERN_INVALID_ADDRESS at 0x0000000000000010"},"termination":{"namespace":"SIGNAL","code":11,"indicator":"Segmentation fault: 11","byProc":"exc handler","byPid":412}}"#;
        let r = parse(body.as_bytes(), None).unwrap();
        assert_eq!(r.termination_code.as_deref(), Some("11"));
        assert_eq!(
            r.termination_reason.as_deref(),
            Some("Segmentation fault: 11")
        );
        assert_eq!(r.signal.as_deref(), Some("SIGSEGV"));
        assert_eq!(r.code_meaning, None);
    }

    #[test]
    fn legacy_crash_text_watchdog() {
        // The shape of the iOS 10–13 reports quoted in public issue trackers.
        let text = "Incident Identifier: FC76951E-C141-4FBF-937A-2E3F9C206561\r\nHardware Model:      iPhone9,1\r\nProcess:             LegacyPhone [412]\r\nIdentifier:          com.example.legacyphone\r\nDate/Time:           2017-01-25 22:59:47.2962 -0800\r\nOS Version:          iPhone OS 10.3 (14E5230e)\r\n\r\nException Type:  EXC_CRASH (SIGKILL)\r\nException Codes: 0x0000000000000000, 0x0000000000000000\r\nException Note:  EXC_CORPSE_NOTIFY\r\nTermination Reason: Namespace SPRINGBOARD, Code 0x8badf00d\r\nTermination Description: SPRINGBOARD, process-exit watchdog transgression: application<com.example.legacyphone>:412 exhausted real (wall clock) time allowance of 5.00 seconds\r\nTriggered by Thread:  0\r\n";
        let r = parse(text.as_bytes(), Some("LegacyPhone.crash")).unwrap();
        assert_eq!(r.format, CrashFormat::CrashText);
        assert_eq!(r.process.as_deref(), Some("LegacyPhone"));
        assert_eq!(r.pid, Some(412));
        assert_eq!(r.bundle_id.as_deref(), Some("com.example.legacyphone"));
        assert_eq!(r.exception_type.as_deref(), Some("EXC_CRASH"));
        assert_eq!(r.signal.as_deref(), Some("SIGKILL"));
        assert_eq!(r.termination_namespace.as_deref(), Some("SPRINGBOARD"));
        assert_eq!(r.termination_code.as_deref(), Some("0x8badf00d"));
        assert!(
            r.termination_reason
                .as_deref()
                .unwrap()
                .contains("watchdog transgression")
        );
        assert!(r.code_meaning.as_deref().unwrap().starts_with("watchdog"));
        let t = r.unix_time().unwrap();
        assert!((t - 1_485_413_987.296_2).abs() < 1e-3, "{t}");
    }

    #[test]
    fn ips_header_with_text_body_and_short_termination() {
        let text = "{\"app_name\":\"ExampleCall\",\"bug_type\":\"109\",\"bundleID\":\"com.example.call\",\"timestamp\":\"2020-05-01 10:00:00.00 +0200\"}\nProcess: ExampleCall [77]\nException Type: EXC_CRASH (SIGKILL)\nTermination Reason: FRONTBOARD 0xbaadca11\n";
        let r = parse(text.as_bytes(), None).unwrap();
        assert_eq!(r.format, CrashFormat::IpsText);
        assert_eq!(r.bug_type.as_deref(), Some("109"));
        assert_eq!(r.termination_namespace.as_deref(), Some("FRONTBOARD"));
        assert_eq!(r.termination_code.as_deref(), Some("0xbaadca11"));
        assert_eq!(r.pid, Some(77));
        let r = parse(b"Termination Reason: SIGNAL 6 Abort trap: 6\n", None).unwrap();
        assert_eq!(r.termination_code.as_deref(), Some("6"));
        assert_eq!(r.termination_reason.as_deref(), Some("Abort trap: 6"));
    }

    #[test]
    fn truncated_json_body_keeps_what_it_can() {
        let cut = &IPS_CALLKIT[..IPS_CALLKIT.find("\"faultingThread\"").unwrap()];
        let r = parse(cut.as_bytes(), None).unwrap();
        assert_eq!(r.format, CrashFormat::IpsText);
        assert_eq!(r.process.as_deref(), Some("ExampleCall"));
        assert_eq!(r.pid, Some(601));
        assert_eq!(r.termination_namespace.as_deref(), Some("FRONTBOARD"));
    }

    #[test]
    fn not_a_report() {
        assert_eq!(
            parse(b"hello\nworld", None),
            Err(CrashError::NotACrashReport)
        );
        assert_eq!(parse(b"", None), Err(CrashError::NotACrashReport));
        assert_eq!(parse(b"{\"a\":1}", None), Err(CrashError::NotACrashReport));
    }

    #[test]
    fn names_match_process() {
        assert!(name_matches(
            "ExampleCall-2025-11-25-100020.ips",
            "ExampleCall"
        ));
        assert!(name_matches(
            "/ExampleCall-2025-11-25-100020.ips",
            "examplecall"
        ));
        assert!(name_matches("LegacyPhone.crash", "LegacyPhone"));
        assert!(!name_matches("ExampleCallKit-2025.ips", "ExampleCall"));
        assert!(!name_matches("ExampleCall-2025.txt", "ExampleCall"));
        assert!(!name_matches("JetsamEvent-2025.ips", ""));
    }

    #[test]
    fn name_dates() {
        assert_eq!(
            name_date("/ExampleCall-2025-11-25-100020.ips").as_deref(),
            Some("2025-11-25-100020")
        );
        assert_eq!(
            name_date("A-2024-01-02-030405.crash.synced").as_deref(),
            Some("2024-01-02-030405")
        );
        assert_eq!(name_date("Retired"), None);
        assert_eq!(name_date("x.ips"), None);
        assert_eq!(name_date("ExampleCall-2025-11-25-10002x.ips"), None);
    }

    #[test]
    fn report_times() {
        assert_eq!(parse_report_time("1970-01-01 00:00:00"), Some(0.0));
        assert_eq!(parse_report_time("1970-01-01 01:00:00 +0100"), Some(0.0));
        assert_eq!(parse_report_time("1970-13-01 01:00:00"), None);
        assert_eq!(parse_report_time("garbage"), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000)) {
            let _ = parse(&b, Some("x.ips"));
        }

        #[test]
        fn never_panics_on_report_like_text(
            lines in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::Just("Termination Reason: ".to_string()),
                    proptest::prelude::Just("Process: ".to_string()),
                    proptest::prelude::Just("Exception Type: ".to_string()),
                    proptest::prelude::Just("{\"bug_type\":\"309\"}".to_string()),
                    "\\PC{0,40}",
                ],
                0..12,
            )
        ) {
            let text = lines.join("\n");
            if let Ok(r) = parse(text.as_bytes(), None) {
                for f in [&r.process, &r.termination_reason, &r.termination_code] {
                    proptest::prop_assert!(f.as_ref().is_none_or(|s| s.len() <= MAX_FIELD));
                }
                let _ = r.headline();
                let _ = r.unix_time();
            }
        }

        #[test]
        fn times_never_panic(s in "\\PC{0,40}") {
            let _ = parse_report_time(&s);
            if let Some(d) = name_date(&s) {
                proptest::prop_assert_eq!(d.len(), 17);
            }
            let _ = name_matches(&s, "ExampleCall");
        }
    }
}
