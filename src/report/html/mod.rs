//! `--format html`: one self-contained page (inline CSS and SVG, a small inline script for zoom
//! and hover; no request to any network) that a CI system can keep as an artifact and anyone can
//! open offline.
//!
//! One source of truth: the page is drawn from the records the JSON reporter would have written,
//! each taken as its serialized JSON value. The renderer reads the fields it knows and shows any
//! other field as it is, so a record that gains a field (a check's `status`, `evidence` or
//! `missing`) reaches the page without a change here, and a missing field only leaves a blank.
//!
//! Big logs stay usable: events are kept compactly as they arrive (the words of at most
//! [`TEXT_CAP`] informational ones per lane), and a lane with more marks than the chart can show folds its dense
//! stretches into bins that say what they hold ([`timeline`]). The page size is bounded by the
//! number of lanes, not by the log.

mod page;
mod probe;
mod timeline;

use serde_json::Value;
use std::collections::HashMap;
use std::io::{self, Write};

/// Events per lane whose words (summary, message, evidence) are kept; past this only warnings,
/// errors and violations keep theirs (a lane this busy is folded anyway). Every event keeps its
/// time, family, line and verdict.
const TEXT_CAP: usize = 3_000;
/// Unrecognised lines (`--lines`) shown; the rest are counted.
const LINES_KEPT: usize = 200;
/// Records of other types (findings, rules, checks…) shown per type; the rest are counted.
const OTHER_KEPT: usize = 2_000;
/// Characters of one log message or field value kept for the page.
const TEXT_MAX: usize = 600;

/// What the page needs of one `event` record.
#[derive(Debug, Clone)]
struct Ev {
    /// `offset_s`: seconds since the first timestamped line.
    t: Option<f64>,
    /// `line`.
    line: u64,
    /// Index into [`Collector::lanes`]; `None`: no app (system-wide).
    lane: Option<u32>,
    /// Index into [`Collector::families`].
    family: u16,
    /// 0 info, 1 warn, 2 error.
    severity: u8,
    /// Index into [`Collector::check_names`].
    check: Option<u16>,
    duration: Option<f64>,
    latency: Option<f64>,
    /// `fields.intent` says foreground.
    foreground: bool,
    text: Option<Box<EvText>>,
}

/// The words of one event: its evidence.
#[derive(Debug, Clone, Default)]
struct EvText {
    time: String,
    rule: String,
    process: String,
    pid: Option<u64>,
    summary: String,
    note: Option<String>,
    message: String,
    /// `fields` and any field the page does not know (`status`, `evidence`, …), as text.
    extra: Vec<(String, String)>,
}

/// Gathers the records of one run for the page.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    events: Vec<Ev>,
    lanes: Vec<String>,
    lane_ix: HashMap<String, u32>,
    families: Vec<String>,
    check_names: Vec<String>,
    /// Events whose words were kept, per lane (the last slot: no app).
    texts: Vec<usize>,
    texts_dropped: u64,
    checks: Vec<Value>,
    lines: Vec<Value>,
    lines_total: u64,
    /// Other record types in order of first appearance: (type, kept records, total).
    others: Vec<(String, Vec<Value>, u64)>,
}

fn intern(v: &mut Vec<String>, s: &str) -> u16 {
    match v.iter().position(|x| x == s) {
        Some(i) => i as u16,
        None if v.len() < u16::MAX as usize => {
            v.push(s.to_string());
            (v.len() - 1) as u16
        }
        None => (v.len() - 1) as u16,
    }
}

/// A JSON value as one line of text (strings without quotes).
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// At most [`TEXT_MAX`] characters, with `…` when cut.
fn clip(s: &str) -> String {
    if s.len() <= TEXT_MAX {
        return s.to_string();
    }
    let mut o: String = s.chars().take(TEXT_MAX).collect();
    if o.len() < s.len() {
        o.push('…');
    }
    o
}

const EVENT_FIELDS: [&str; 16] = [
    "type",
    "time",
    "offset_s",
    "line",
    "rule",
    "family",
    "severity",
    "app",
    "process",
    "pid",
    "summary",
    "fields",
    "duration_s",
    "latency_s",
    "check",
    "note",
];

impl Collector {
    /// Take one record (its JSON `type` and serialized value).
    pub(crate) fn push(&mut self, kind: &str, v: Value) {
        match kind {
            "event" => self.event(&v),
            "check" => self.checks.push(v),
            "line" => {
                self.lines_total += 1;
                if self.lines.len() < LINES_KEPT {
                    self.lines.push(v);
                }
            }
            _ => {
                let i = match self.others.iter().position(|(k, _, _)| k == kind) {
                    Some(i) => i,
                    None => {
                        self.others.push((kind.to_string(), Vec::new(), 0));
                        self.others.len() - 1
                    }
                };
                let (_, kept, total) = &mut self.others[i];
                *total += 1;
                if kept.len() < OTHER_KEPT {
                    kept.push(v);
                }
            }
        }
    }

    fn event(&mut self, v: &Value) {
        let s = |k: &str| v.get(k).and_then(Value::as_str);
        let lane = s("app").map(|a| match self.lane_ix.get(a) {
            Some(i) => *i,
            None => {
                let i = self.lanes.len() as u32;
                self.lanes.push(a.to_string());
                self.lane_ix.insert(a.to_string(), i);
                i
            }
        });
        let family = intern(&mut self.families, s("family").unwrap_or("event"));
        let severity = match s("severity") {
            Some("error") => 2,
            Some("warn") | Some("warning") => 1,
            _ => 0,
        };
        let check = s("check").map(|c| intern(&mut self.check_names, c));
        let intent = v
            .get("fields")
            .and_then(|f| f.get("intent"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let slot = lane.map(|l| l as usize + 1).unwrap_or(0);
        if self.texts.len() <= slot {
            self.texts.resize(slot + 1, 0);
        }
        let keep = self.texts[slot] < TEXT_CAP || severity > 0 || check.is_some();
        let text = if keep {
            self.texts[slot] += 1;
            let mut extra: Vec<(String, String)> = Vec::new();
            if let Some(Value::Object(f)) = v.get("fields") {
                for (k, x) in f {
                    extra.push((k.clone(), clip(&value_text(x))));
                }
            }
            if let Value::Object(m) = v {
                for (k, x) in m {
                    if !EVENT_FIELDS.contains(&k.as_str()) && k != "message" {
                        extra.push((k.clone(), clip(&value_text(x))));
                    }
                }
            }
            Some(Box::new(EvText {
                time: s("time").unwrap_or("").to_string(),
                rule: s("rule").unwrap_or("").to_string(),
                process: s("process").unwrap_or("").to_string(),
                pid: v.get("pid").and_then(Value::as_u64),
                summary: clip(s("summary").unwrap_or("")),
                note: s("note").map(clip),
                message: clip(s("message").unwrap_or("")),
                extra,
            }))
        } else {
            self.texts_dropped += 1;
            None
        };
        self.events.push(Ev {
            t: v.get("offset_s")
                .and_then(Value::as_f64)
                .filter(|x| x.is_finite()),
            line: v.get("line").and_then(Value::as_u64).unwrap_or(0),
            lane,
            family,
            severity,
            check,
            duration: v
                .get("duration_s")
                .and_then(Value::as_f64)
                .filter(|x| x.is_finite() && *x >= 0.0),
            latency: v
                .get("latency_s")
                .and_then(Value::as_f64)
                .filter(|x| x.is_finite() && *x >= 0.0),
            foreground: intent.contains("foreground") || intent.contains("active"),
            text,
        });
    }

    fn family(&self, e: &Ev) -> &str {
        self.families
            .get(e.family as usize)
            .map(String::as_str)
            .unwrap_or("event")
    }

    fn check_name(&self, e: &Ev) -> Option<&str> {
        e.check
            .and_then(|c| self.check_names.get(c as usize))
            .map(String::as_str)
    }

    fn lane_name(&self, e: &Ev) -> Option<&str> {
        e.lane
            .and_then(|l| self.lanes.get(l as usize))
            .map(String::as_str)
    }
}

/// Write the page: the collected records and the final `summary` record. `suite` names the
/// command (`voipctl.logs`, `voipctl check`).
pub(crate) fn write(
    out: &mut dyn Write,
    suite: &str,
    c: &Collector,
    summary: &Value,
) -> io::Result<()> {
    let html = page::render(suite, c, summary);
    out.write_all(html.as_bytes())
}

/// One page with a section per part (a phone of `--all`: its name, records and summary), under
/// the run's `summary`.
pub(crate) fn write_parts(
    out: &mut dyn Write,
    suite: &str,
    parts: &[(&str, &Collector, &Value)],
    summary: &Value,
) -> io::Result<()> {
    let html = page::render_parts(suite, parts, summary);
    out.write_all(html.as_bytes())
}

/// HTML text and attribute escaping; characters HTML cannot carry become U+FFFD.
fn esc_into(o: &mut String, s: &str) {
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            '\t' | '\n' => o.push(ch),
            c if (c as u32) < 0x20 || (0x7f..0xa0).contains(&(c as u32)) => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    esc_into(&mut o, s);
    o
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(c: &Collector, summary: &Value) -> String {
        let mut out = Vec::new();
        write(&mut out, "voipctl.logs", c, summary).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn ev(t: f64, line: u64, app: &str, family: &str) -> Value {
        json!({"time": format!("t{t}"), "offset_s": t, "line": line, "rule": "r", "family": family,
               "severity": "info", "app": app, "process": "p", "pid": 1, "summary": "s",
               "fields": {}, "message": "m"})
    }

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            esc("<a href='x'>&\"\u{1b}"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;\u{fffd}"
        );
    }

    #[test]
    fn untrusted_text_cannot_open_markup_or_reach_the_network() {
        let mut c = Collector::default();
        let mut e = ev(1.0, 1, "<script>x</script>", "launch");
        e["message"] = json!("<img src=http://evil.example/x> </script><script>alert(1)</script>");
        e["summary"] = json!("<b>bold</b>");
        c.push("event", e);
        c.push(
            "check",
            json!({"check": "<i>c</i>", "count": 1, "max": null, "failed": false}),
        );
        let p = page(&c, &json!({"source": "<x>", "apps": []}));
        assert_eq!(p.matches("<script").count(), 1, "only our own script");
        assert!(!p.contains("<img"));
        assert!(!p.contains("<b>bold"));
        assert!(p.contains("&lt;img src=http://evil.example/x&gt;"));
    }

    #[test]
    fn unknown_and_missing_fields_are_tolerated_and_shown() {
        let mut c = Collector::default();
        // An event with almost nothing, and one with fields this renderer does not know.
        c.push("event", json!({"family": "exit"}));
        let mut e = ev(2.0, 7, "com.example.call", "callkit-kill");
        e["check"] = json!("callkit-kill");
        e["evidence"] = json!(["line 7: Killing app because it never posted an incoming call"]);
        c.push("event", e);
        c.push(
            "check",
            json!({"check": "callkit-kill", "status": "failed", "count": 1,
                   "evidence": [{"line": 7, "text": "Killing app"}], "missing": null,
                   "brand_new_field": 42}),
        );
        c.push(
            "check",
            json!({"check": "report-late", "status": "unknown",
                   "missing": "no CallKit report line and no app marker"}),
        );
        c.push("check", json!({}));
        let p = page(&c, &json!({"weird": {"nested": [1, 2]}}));
        assert!(p.contains("data-status=\"failed\""), "{p}");
        assert!(p.contains("data-status=\"unknown\""));
        assert!(p.contains("no CallKit report line and no app marker"));
        assert!(p.contains("brand_new_field"));
        assert!(p.contains("Killing app because it never posted"));
        assert!(p.contains("data-lane=\"com.example.call\""));
    }

    #[test]
    fn a_huge_log_folds_into_a_bounded_page_and_says_so() {
        let mut c = Collector::default();
        let n = 120_000u64;
        for i in 0..n {
            let fam = ["resume", "suspend", "keepalive", "push-apns"][(i % 4) as usize];
            let mut e = ev(i as f64 * 0.05, i + 1, "com.example.legacyphone", fam);
            if fam == "suspend" {
                e["duration_s"] = json!(0.04);
            }
            if i == 93_457 {
                e["check"] = json!("wake-over-budget");
                e["severity"] = json!("error");
            }
            c.push("event", e);
        }
        let p = page(&c, &json!({"events": n, "apps": []}));
        assert!(p.len() < 3 << 20, "page is {} bytes", p.len());
        assert!(p.contains("folded"), "the page says what was folded");
        // The one violation stays visible on its own inside the folded stretch.
        assert!(p.contains("wake-over-budget"));
        // The events table is bounded too, and says how many it leaves out.
        assert!(p.contains("not listed"));
    }

    #[test]
    fn gaps_bans_and_budgets_are_drawn_from_the_records() {
        let mut c = Collector::default();
        let mut e = ev(3.0, 1, "com.example.voip", "suspend");
        e["duration_s"] = json!(15.0);
        e["check"] = json!("wake-over-budget");
        c.push("event", e);
        c.push("event", ev(5.0, 2, "com.example.voip", "ban"));
        let mut d = ev(6.0, 3, "x", "disconnected");
        d["app"] = Value::Null;
        c.push("event", d);
        let mut r = ev(9.0, 4, "x", "reconnected");
        r["app"] = Value::Null;
        c.push("event", r);
        let mut k = ev(20.0, 5, "com.example.voip", "keepalive");
        k["latency_s"] = json!(1300.0);
        k["check"] = json!("keepalive-late");
        c.push("event", k);
        let summary = json!({"apps": [{"app": "com.example.voip",
            "wakes": {"budget_s": 10.0}, "keepalive": {"timeout_s": 600.0}}]});
        let p = page(&c, &summary);
        assert!(p.contains("<rect class=\"gap\""), "disconnect gap");
        assert!(p.contains("<rect class=\"ban\""), "ban band until the end");
        assert!(p.contains("<rect class=\"awake\""));
        assert!(
            p.contains("<rect class=\"over\""),
            "the part over the 10 s budget"
        );
        assert!(p.contains("<line class=\"budget\""));
        assert!(
            p.contains("<line class=\"ival late\""),
            "late keep-alive interval"
        );
        assert!(p.contains("<line class=\"due\""), "keep-alive timeout tick");
        assert!(p.contains("data-lane=\"system\""));
    }

    proptest::proptest! {
        #[test]
        fn any_text_stays_text(msg in ".{0,80}", app in ".{0,20}") {
            let mut c = Collector::default();
            let mut e = ev(1.0, 1, &app, "launch");
            e["message"] = json!(msg);
            e["summary"] = json!(msg);
            c.push("event", e);
            c.push("check", json!({"check": msg, "evidence": [msg]}));
            let p = page(&c, &json!({"source": msg}));
            proptest::prop_assert_eq!(p.matches("<script").count(), 1);
            proptest::prop_assert_eq!(p.matches("</script>").count(), 1);
        }
    }
}
