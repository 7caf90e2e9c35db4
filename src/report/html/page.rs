//! The document around the chart: the header with the verdict, the checks with their status and
//! evidence, findings, the summary (a table per app and the summary record itself), and any
//! other record as a table of its fields.

use super::timeline::{self, shape};
use super::{Collector, Ev, clip, esc, esc_into, value_text};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Rows of the events table; past this the violations and the first events are listed.
const TABLE_ROWS: usize = 2_000;
/// Events listed as a check's evidence when the check record names none.
const CHECK_EVIDENCE: usize = 8;

const CSS: &str = include_str!("page.css");
const JS: &str = include_str!("page.js");

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn num(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Null) | None => "–".into(),
        Some(x) => clip(&value_text(x)),
    }
}

/// The page's verdict from the summary: `failed`, `passed`, `interrupted` or `unknown`.
fn verdict(summary: &Value) -> (&'static str, String) {
    if let Some(st) = s(summary, "status") {
        let class = status_class(st);
        return (class, st.to_string());
    }
    // Schema 3: every summary says how the run ended in `outcome`.
    let logs = matches!(s(summary, "command"), Some("analyze" | "watch"));
    match s(summary, "outcome") {
        Some("failed") => return ("failed", "FAILED".into()),
        Some("interrupted") => return ("interrupted", "interrupted (partial)".into()),
        Some("ok") if logs => {
            return ("passed", "passed: no --fail-on threshold exceeded".into());
        }
        Some("ok") => return ("passed", "passed".into()),
        _ => {}
    }
    if summary.get("failed").and_then(Value::as_bool) == Some(true)
        || s(summary, "result") == Some("fail")
    {
        return ("failed", "FAILED".into());
    }
    if summary.get("interrupted").and_then(Value::as_bool) == Some(true) {
        return ("interrupted", "interrupted (partial)".into());
    }
    if summary.get("failed").and_then(Value::as_bool) == Some(false) {
        return ("passed", "passed: no --fail-on threshold exceeded".into());
    }
    if s(summary, "result") == Some("pass") {
        return ("passed", "passed".into());
    }
    ("unknown", "no verdict".into())
}

fn status_class(st: &str) -> &'static str {
    match st.to_ascii_lowercase().as_str() {
        "failed" | "fail" | "error" => "failed",
        "passed" | "pass" | "ok" => "passed",
        "unknown" | "undecided" => "unknown",
        "seen" => "seen",
        "interrupted" => "interrupted",
        _ => "other",
    }
}

/// A severity (or status) word as a class: errors read as failed, warnings as warnings.
fn sev_class(x: &str) -> &'static str {
    match x {
        "error" => "failed",
        "warning" | "warn" => "warn",
        "info" => "other",
        x => status_class(x),
    }
}

pub(super) fn badge(class: &str, text: &str) -> String {
    let sym = match class {
        "failed" => "✘",
        "passed" => "✔",
        "unknown" => "?",
        "seen" => "●",
        "interrupted" => "‖",
        "warn" => "!",
        _ => "·",
    };
    format!(
        "<span class=\"badge st-{class}\">{sym} {}</span>",
        esc(text)
    )
}

/// Evidence items of a record (`evidence`: strings or objects with line/time/text).
fn evidence_list(o: &mut String, v: &Value) {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    };
    if items.is_empty() {
        return;
    }
    o.push_str("<ul class=\"ev-list\">");
    for it in items.iter().take(50) {
        o.push_str("<li class=\"mono\">");
        match it {
            Value::Object(m) => {
                let mut parts: Vec<String> = Vec::new();
                for k in ["line", "time", "process", "source", "file"] {
                    if let Some(x) = m.get(k).filter(|x| !x.is_null()) {
                        parts.push(format!("{k} {}", value_text(x)));
                    }
                }
                for k in ["text", "message", "summary", "what", "entry"] {
                    if let Some(x) = m.get(k).filter(|x| !x.is_null()) {
                        parts.push(value_text(x));
                    }
                }
                if parts.is_empty() {
                    parts.push(Value::Object(m.clone()).to_string());
                }
                esc_into(o, &clip(&parts.join(" · ")));
            }
            other => esc_into(o, &clip(&value_text(other))),
        }
        o.push_str("</li>");
    }
    if items.len() > 50 {
        let _ = write!(o, "<li>… {} more</li>", items.len() - 50);
    }
    o.push_str("</ul>");
}

fn event_line(c: &Collector, e: &Ev) -> String {
    match &e.text {
        Some(x) => {
            let mut t = format!("line {} · {} · {}", e.line, x.time, x.summary);
            if let Some(n) = &x.note {
                t.push_str(" — ");
                t.push_str(n);
            }
            t
        }
        None => format!("line {} · {}", e.line, c.family(e)),
    }
}

fn checks(o: &mut String, c: &Collector) {
    if c.checks.is_empty() {
        return;
    }
    o.push_str(
        "<section id=\"checks\" aria-labelledby=\"h-checks\"><h2 id=\"h-checks\">Checks</h2>\
         <table><thead><tr><th scope=\"col\">check</th><th scope=\"col\">status</th>\
         <th scope=\"col\" class=\"num\">count</th><th scope=\"col\" class=\"num\">allowed</th>\
         <th scope=\"col\">evidence</th></tr></thead><tbody>",
    );
    const KNOWN: [&str; 12] = [
        "type", "check", "id", "name", "verdict", "detail", "status", "count", "max", "failed",
        "evidence", "missing",
    ];
    for v in &c.checks {
        let name = s(v, "check")
            .or_else(|| s(v, "id"))
            .or_else(|| s(v, "name"))
            .unwrap_or("?");
        let count = v.get("count").and_then(Value::as_u64);
        // The record's own verdict (`analyze`/`watch`: passed / failed / unknown) is the
        // source of truth; older or other records fall back to what their fields say.
        let (class, text) = match s(v, "verdict").or_else(|| s(v, "status")) {
            Some(st) => (status_class(st), st.to_string()),
            None => match (
                v.get("failed").and_then(Value::as_bool),
                v.get("max").filter(|m| !m.is_null()),
                count,
            ) {
                (Some(true), _, _) => ("failed", "failed".to_string()),
                (_, Some(_), _) => ("passed", "passed".to_string()),
                (_, None, Some(0)) => ("passed", "passed (none seen)".to_string()),
                (_, None, Some(_)) => ("seen", "seen (no --fail-on limit)".to_string()),
                _ => ("unknown", "unknown".to_string()),
            },
        };
        let _ = write!(
            o,
            "<tr data-check=\"{}\" data-status=\"{class}\"><th scope=\"row\" class=\"mono\">{}</th><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>",
            esc(name),
            esc(name),
            badge(class, &text),
            esc(&num(v, "count")),
            esc(&num(v, "max")),
        );
        let mut any = false;
        if let Some(d) = s(v, "detail").filter(|d| !d.is_empty()) {
            o.push_str("<p class=\"detail\">");
            esc_into(o, &clip(d));
            o.push_str("</p>");
            any = true;
        }
        if let Some(ev) = v.get("evidence").filter(|e| !e.is_null()) {
            evidence_list(o, ev);
            any = true;
        }
        if let Some(m) = v.get("missing").filter(|m| !m.is_null()) {
            let text = match m {
                Value::Array(a) => a.iter().map(value_text).collect::<Vec<_>>().join("; "),
                other => value_text(other),
            };
            o.push_str("<p><strong>missing:</strong> ");
            esc_into(o, &clip(&text));
            o.push_str("</p>");
            any = true;
        }
        if v.get("evidence").is_none() {
            // The timeline events that name this check are its evidence.
            let evs: Vec<&Ev> = c
                .events
                .iter()
                .filter(|e| c.check_name(e) == Some(name))
                .collect();
            if !evs.is_empty() {
                o.push_str("<ul class=\"ev-list\">");
                for e in evs.iter().take(CHECK_EVIDENCE) {
                    o.push_str("<li class=\"mono\">");
                    esc_into(o, &event_line(c, e));
                    o.push_str("</li>");
                }
                if evs.len() > CHECK_EVIDENCE {
                    let _ = write!(
                        o,
                        "<li>… {} more in the events table and the chart</li>",
                        evs.len() - CHECK_EVIDENCE
                    );
                }
                o.push_str("</ul>");
                any = true;
            }
        }
        if let Value::Object(m) = v {
            for (k, x) in m {
                if !KNOWN.contains(&k.as_str()) && !x.is_null() {
                    o.push_str("<div class=\"small\">");
                    esc_into(o, k);
                    o.push_str(": ");
                    esc_into(o, &clip(&value_text(x)));
                    o.push_str("</div>");
                    any = true;
                }
            }
        }
        if !any {
            o.push_str("<span class=\"small\">–</span>");
        }
        o.push_str("</td></tr>");
    }
    o.push_str("</tbody></table></section>");
}

const PREFERRED: [&str; 10] = [
    "severity",
    "status",
    "id",
    "name",
    "check",
    "rule",
    "component",
    "title",
    "message",
    "reason",
];
const LAST: [&str; 2] = ["fix", "explanation"];

/// Summary fields shown first in the header (the rest follow in name order); the verdict fields
/// are the badge.
const HEADER_FIRST: [&str; 12] = [
    "source",
    "path",
    "lines",
    "events",
    "span_s",
    "bytes",
    "distribution",
    "strict",
    "errors",
    "warnings",
    "infos",
    "rules",
];
const HEADER_SKIP: [&str; 8] = [
    "type",
    "failed",
    "interrupted",
    "result",
    "status",
    "outcome",
    "schema_version",
    "command",
];

/// A table of records of one type: a column per field (first seen order).
fn generic_table(o: &mut String, id: &str, heading: &str, rows: &[Value], total: u64) {
    let mut cols: Vec<String> = Vec::new();
    // The fields people read first, then the rest as they come, the long explanations last.
    for k in PREFERRED {
        if rows.iter().any(|r| r.get(k).is_some()) {
            cols.push(k.to_string());
        }
    }
    for r in rows {
        if let Value::Object(m) = r {
            for k in m.keys() {
                if k != "type"
                    && !cols.contains(k)
                    && !LAST.contains(&k.as_str())
                    && cols.len() < 16
                {
                    cols.push(k.clone());
                }
            }
        }
    }
    for k in LAST {
        if rows.iter().any(|r| r.get(k).is_some()) {
            cols.push(k.to_string());
        }
    }
    let _ = write!(o, "<section id=\"{}\"><h2>{}</h2>", esc(id), esc(heading));
    if (rows.len() as u64) < total {
        let _ = write!(
            o,
            "<p class=\"small\">The first {} of {total} (the JSON output has them all).</p>",
            rows.len()
        );
    }
    o.push_str("<div class=\"scroll\"><table><thead><tr>");
    for k in &cols {
        let _ = write!(o, "<th scope=\"col\">{}</th>", esc(k));
    }
    o.push_str("</tr></thead><tbody>");
    for r in rows {
        let sev = s(r, "severity").or_else(|| s(r, "status"));
        match sev {
            Some(x) => {
                let _ = write!(o, "<tr data-status=\"{}\">", sev_class(x));
            }
            None => o.push_str("<tr>"),
        }
        for k in &cols {
            let v = r.get(k.as_str()).unwrap_or(&Value::Null);
            o.push_str("<td>");
            if k == "severity" || k == "status" {
                let t = value_text(v);
                o.push_str(&badge(sev_class(&t), &t));
            } else if k == "evidence" {
                evidence_list(o, v);
            } else {
                esc_into(o, &clip(&value_text(v)));
            }
            o.push_str("</td>");
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table></div></section>");
}

fn apps_table(o: &mut String, apps: &[Value]) {
    if apps.is_empty() {
        return;
    }
    o.push_str(
        "<h3>Apps</h3><div class=\"scroll\"><table><thead><tr><th scope=\"col\">app</th>\
         <th scope=\"col\">launches (background / foreground; why)</th>\
         <th scope=\"col\">wakes (over budget; longest)</th>\
         <th scope=\"col\">keep-alive runs (late; interval ± jitter)</th>\
         <th scope=\"col\">pushes (reported / not; report latency)</th>\
         <th scope=\"col\">kills, bans</th><th scope=\"col\">exits (relaunched)</th></tr></thead><tbody>",
    );
    let p = |a: &Value, path: &str| -> String {
        match a.pointer(path) {
            Some(Value::Null) | None => "–".into(),
            Some(Value::Number(n)) => n.to_string(),
            Some(x) => value_text(x),
        }
    };
    for a in apps {
        let reasons = a
            .pointer("/launches/by_reason")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k} {}", value_text(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let exits = a.get("exits").and_then(Value::as_array);
        let relaunched = exits
            .map(|x| {
                x.iter()
                    .filter(|e| e.get("relaunched_after_s").is_some_and(|v| !v.is_null()))
                    .count()
            })
            .unwrap_or(0);
        let banned = a.pointer("/pushes/banned").and_then(Value::as_bool) == Some(true);
        let _ = write!(
            o,
            "<tr data-app=\"{}\"><th scope=\"row\" class=\"mono\">{}</th><td>{} ({} / {}{}{})</td>\
             <td>{} ({} over the {} s budget; longest {} s)</td>\
             <td>{} ({} late; {} ± {} s, timeout {} s)</td>\
             <td>{} received: {} reported, {} not; latency mean {} s, max {} s; {} dropped</td>\
             <td>{} CallKit kills, {} bans{}</td><td>{} ({})</td></tr>",
            esc(&p(a, "/app")),
            esc(&p(a, "/app")),
            esc(&p(a, "/launches/total")),
            esc(&p(a, "/launches/background")),
            esc(&p(a, "/launches/foreground")),
            if reasons.is_empty() { "" } else { "; " },
            esc(&reasons),
            esc(&p(a, "/wakes/count")),
            esc(&p(a, "/wakes/over_budget")),
            esc(&p(a, "/wakes/budget_s")),
            esc(&p(a, "/wakes/duration_s/max")),
            esc(&p(a, "/keepalive/runs")),
            esc(&p(a, "/keepalive/late")),
            esc(&p(a, "/keepalive/interval_s/mean")),
            esc(&p(a, "/keepalive/interval_s/stddev")),
            esc(&p(a, "/keepalive/timeout_s")),
            esc(&p(a, "/pushes/received")),
            esc(&p(a, "/pushes/reported")),
            esc(&p(a, "/pushes/not_reported")),
            esc(&p(a, "/pushes/report_latency_s/mean")),
            esc(&p(a, "/pushes/report_latency_s/max")),
            esc(&p(a, "/pushes/dropped")),
            esc(&p(a, "/pushes/callkit_kills")),
            esc(&p(a, "/pushes/bans")),
            if banned {
                "; <strong>banned at the end</strong>"
            } else {
                ""
            },
            exits.map(Vec::len).unwrap_or(0),
            relaunched,
        );
    }
    o.push_str("</tbody></table></div>");
}

fn summary_section(o: &mut String, summary: &Value) {
    o.push_str(
        "<section id=\"summary\" aria-labelledby=\"h-summary\"><h2 id=\"h-summary\">Summary</h2>",
    );
    if let Some(apps) = summary.get("apps").and_then(Value::as_array) {
        apps_table(o, apps);
    }
    if let Value::Object(m) = summary {
        for (k, v) in m {
            if k == "apps" || k == "checks" {
                continue;
            }
            match v {
                Value::Array(a) if !a.is_empty() => {
                    let _ = write!(o, "<h3>{}</h3>", esc(k));
                    if a.iter().all(Value::is_object) {
                        let mut inner = String::new();
                        generic_table(&mut inner, &format!("summary-{k}"), k, a, a.len() as u64);
                        // The generic table brings its own section and heading: keep the table.
                        if let (Some(st), Some(en)) =
                            (inner.find("<div"), inner.rfind("</section>"))
                        {
                            o.push_str(&inner[st..en]);
                        }
                    } else {
                        o.push_str("<ul>");
                        for x in a {
                            o.push_str("<li>");
                            esc_into(o, &clip(&value_text(x)));
                            o.push_str("</li>");
                        }
                        o.push_str("</ul>");
                    }
                }
                Value::Object(obj) if !obj.is_empty() => {
                    let _ = write!(o, "<h3>{}</h3><dl class=\"facts\">", esc(k));
                    for (kk, vv) in obj {
                        let _ = write!(
                            o,
                            "<div><dt>{}</dt><dd>{}</dd></div>",
                            esc(kk),
                            esc(&clip(&value_text(vv)))
                        );
                    }
                    o.push_str("</dl>");
                }
                _ => {}
            }
        }
    }
    let pretty = serde_json::to_string_pretty(summary).unwrap_or_default();
    o.push_str(
        "<details><summary>The summary record, as the JSON output carries it</summary><pre>",
    );
    esc_into(o, &pretty);
    o.push_str("</pre></details></section>");
}

fn events_table(o: &mut String, c: &Collector, chart: &timeline::Chart) {
    let n = c.events.len();
    let chosen: Vec<&Ev> = if n <= TABLE_ROWS {
        c.events.iter().collect()
    } else {
        let mut v: Vec<&Ev> = c
            .events
            .iter()
            .filter(|e| e.check.is_some())
            .take(TABLE_ROWS / 2)
            .collect();
        let room = TABLE_ROWS - v.len();
        v.extend(c.events.iter().filter(|e| e.check.is_none()).take(room));
        v.sort_by_key(|e| e.line);
        v
    };
    let _ = write!(
        o,
        "<details id=\"events\"><summary>The events as a table ({} of {n})</summary>",
        chosen.len()
    );
    if chosen.len() < n {
        let _ = write!(
            o,
            "<p class=\"small\">{} events are not listed: the table keeps every violation (up to {}) and the first events; `--json` has them all.</p>",
            n - chosen.len(),
            TABLE_ROWS / 2
        );
    }
    o.push_str(
        "<div class=\"scroll\"><table><thead><tr><th scope=\"col\" class=\"num\">line</th>\
         <th scope=\"col\">time</th><th scope=\"col\" class=\"num\">offset</th><th scope=\"col\">app</th>\
         <th scope=\"col\">event</th><th scope=\"col\">what happened</th><th scope=\"col\">check</th></tr></thead><tbody>",
    );
    let span = chart.t1 - chart.t0;
    for e in chosen {
        let _ = write!(
            o,
            "<tr><td class=\"num\">{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"mono\">{}</td><td><svg class=\"sym f-{fam}\" viewBox=\"-8 -8 16 16\" width=\"14\" height=\"14\" aria-hidden=\"true\"><g class=\"m\"><use href=\"#{}\"/></g></svg> {fam}</td><td>",
            e.line,
            esc(e.text.as_ref().map(|x| x.time.as_str()).unwrap_or("")),
            e.t.map(|t| esc(&timeline::label(t, span.max(0.0), false)))
                .unwrap_or_else(|| "–".into()),
            esc(c.lane_name(e).unwrap_or("system")),
            shape(c.family(e), e.foreground),
            fam = esc(c.family(e)),
        );
        match &e.text {
            Some(x) => {
                esc_into(o, &x.summary);
                if let Some(nt) = &x.note {
                    o.push_str(" — ");
                    esc_into(o, nt);
                }
                if !x.message.is_empty() {
                    o.push_str("<div class=\"small mono\">");
                    esc_into(o, &x.process);
                    if let Some(p) = x.pid {
                        let _ = write!(o, "[{p}]");
                    }
                    o.push_str(": ");
                    esc_into(o, &x.message);
                    o.push_str("</div>");
                }
                for (k, v) in &x.extra {
                    if ["status", "evidence", "missing"].contains(&k.as_str()) {
                        let _ = write!(o, "<div class=\"small\">{}: {}</div>", esc(k), esc(v));
                    }
                }
            }
            None => o.push_str("<span class=\"small\">(words not kept)</span>"),
        }
        o.push_str("</td><td class=\"mono\">");
        if let Some(ch) = c.check_name(e) {
            esc_into(o, ch);
        }
        o.push_str("</td></tr>");
    }
    o.push_str("</tbody></table></div></details>");
}

/// Legend entries: (symbol or class, text).
const LEGEND: [(&str, &str, &str); 16] = [
    ("f-launch", "k-up", "launch into the foreground"),
    ("f-launch", "k-up-hollow", "launch into the background"),
    (
        "f-launch-request",
        "k-chevron",
        "launch requested (by whom: hover)",
    ),
    (
        "f-resume",
        "k-tick-up",
        "wake (resume, socket data, assertion)",
    ),
    ("f-suspend", "k-tick-down", "suspend"),
    ("f-exit", "k-down", "exit"),
    ("f-callkit-kill", "k-x", "kill (CallKit, watchdog, jetsam)"),
    ("f-crash-report", "k-doc", "crash report"),
    ("f-keepalive", "k-square", "keep-alive handler"),
    (
        "f-socket-reconnect",
        "k-ring",
        "socket reconnect, ban lifted, phone back",
    ),
    (
        "f-push-apns",
        "k-diamond",
        "VoIP push (APNs, callservicesd, delegate)",
    ),
    ("f-push-dropped", "k-diamond-slash", "push dropped"),
    ("f-callkit-report", "k-circle", "call reported to CallKit"),
    ("f-ban", "k-stop", "ban"),
    ("f-disconnected", "k-bar", "phone disconnected"),
    (
        "f-other",
        "k-star",
        "other (wake limit, background time, config…)",
    ),
];

const LEGEND_AREAS: [(&str, &str); 9] = [
    ("awake", "awake (wake → suspend)"),
    ("over", "over the budget (hatched)"),
    ("ka-run", "keep-alive handler running"),
    ("ban", "banned (hatched)"),
    ("gap", "phone disconnected (cross-hatched)"),
    ("fold", "folded events (shade: how many)"),
    ("lat", "push → CallKit report latency"),
    ("ival", "interval between keep-alive runs"),
    ("budget", "budget / timeout (dashed tick)"),
];

fn legend(o: &mut String) {
    o.push_str("<ul class=\"legend\" aria-label=\"legend\">");
    for (class, sym, text) in LEGEND {
        let _ = write!(
            o,
            "<li><svg viewBox=\"-17 -9 34 18\" aria-hidden=\"true\"><g class=\"m {class}\"><use href=\"#{sym}\"/></g></svg>{text}</li>"
        );
    }
    for (class, text) in LEGEND_AREAS {
        let shape = match class {
            "lat" | "ival" => format!("<line class=\"{class}\" x1=\"-15\" x2=\"15\" y1=\"0\" y2=\"0\"/>"),
            "budget" => format!("<line class=\"{class}\" x1=\"0\" x2=\"0\" y1=\"-8\" y2=\"8\"/>"),
            "fold" => "<g class=\"fold\"><rect x=\"-15\" y=\"-6\" width=\"30\" height=\"12\" fill-opacity=\".6\"/></g>".into(),
            _ => format!("<rect class=\"{class}\" x=\"-15\" y=\"-6\" width=\"30\" height=\"12\"/>"),
        };
        let _ = write!(
            o,
            "<li><svg viewBox=\"-17 -9 34 18\" aria-hidden=\"true\">{shape}</svg>{text}</li>"
        );
    }
    o.push_str("</ul>");
}

fn timeline_section(o: &mut String, c: &Collector, summary: &Value) {
    let chart = timeline::chart(c, summary);
    let axis = if chart.by_line {
        "line numbers (this log has no timestamps)"
    } else {
        "seconds since the first timestamped line of the log"
    };
    let _ = write!(
        o,
        "<section id=\"timeline\" aria-labelledby=\"h-tl\"><h2 id=\"h-tl\">Timeline</h2>\
         <p class=\"small\">One lane per app; each lane has a row for the app's state (launches, wakes, suspends, exits, kills), one for keep-alive runs and one for pushes and CallKit. The axis is {axis}. Hover or focus (Tab) a mark for its evidence lines.</p>\
         <div class=\"controls needs-js\" role=\"group\" aria-label=\"zoom\">\
         <button type=\"button\" id=\"zoom-in\">Zoom in</button><button type=\"button\" id=\"zoom-out\">Zoom out</button>\
         <button type=\"button\" id=\"zoom-reset\">Whole log</button>\
         <label>from <input id=\"zoom-from\" type=\"number\" step=\"any\"></label>\
         <label>to <input id=\"zoom-to\" type=\"number\" step=\"any\"></label>\
         <button type=\"button\" id=\"zoom-apply\">Show range</button>\
         <span class=\"small\">showing <span id=\"zoom-range\">whole log</span> — or drag across the chart; keys + − 0</span></div>\
         <figure><div id=\"chart-title\" hidden>VoIP timeline, {} lanes</div><div id=\"chart-desc\" hidden>{}</div>",
        chart.lanes.len(),
        esc(&chart.desc.join(" "))
    );
    o.push_str(&chart.svg);
    o.push_str("<figcaption>");
    legend(o);
    o.push_str("</figcaption></figure>");
    o.push_str("<div id=\"evidence\" class=\"needs-js\" aria-live=\"polite\"><pre id=\"evidence-text\">Hover or focus a mark to see its evidence lines here.</pre></div>");
    if !chart.notes.is_empty() || c.texts_dropped > 0 {
        o.push_str("<ul class=\"notes\">");
        for n in &chart.notes {
            o.push_str("<li>");
            esc_into(o, n);
            o.push_str("</li>");
        }
        if c.texts_dropped > 0 {
            let _ = write!(
                o,
                "<li>{} informational events past the first {} of their lane keep only their time, family and line number here (warnings, errors and violations keep their words; the log line has them all).</li>",
                c.texts_dropped,
                super::TEXT_CAP
            );
        }
        o.push_str("</ul>");
    }
    // The text alternative of the chart, readable without the picture.
    o.push_str("<details><summary>The chart in words</summary><ul>");
    for d in &chart.desc {
        o.push_str("<li>");
        esc_into(o, d);
        o.push_str("</li>");
    }
    o.push_str("</ul></details>");
    events_table(o, c, &chart);
    o.push_str("</section>");
}

/// What the page is about: its kind (`VoIP probe`…) and its source, from the records and the
/// summary.
fn what(suite: &str, c: &Collector, summary: &Value) -> (&'static str, String, bool, bool) {
    let logs = suite.contains("logs") || !c.events.is_empty();
    let probe = s(summary, "command") == Some("probe")
        || c.others.iter().any(|(k, _, _)| k == "probe_round");
    let command = if logs {
        "VoIP timeline"
    } else if probe {
        "VoIP probe"
    } else if suite.contains("check") {
        "VoIP preflight"
    } else {
        "report"
    };
    let source = s(summary, "source")
        .filter(|_| logs)
        .or_else(|| s(summary, "path"))
        .or_else(|| s(summary, "source"))
        .or_else(|| s(summary, "bundle"))
        .unwrap_or("");
    let source = match (probe, s(summary, "bundle")) {
        (true, Some(b)) => b,
        _ => source,
    };
    (command, source.to_string(), logs, probe)
}

/// The document's head and the page header with the verdict and the summary's facts.
fn head(o: &mut String, command: &str, source: &str, vclass: &str, vtext: &str, summary: &Value) {
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    // Nothing may be fetched: only the page's own inline style and script run.
    o.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(
        o,
        "<meta name=\"generator\" content=\"voipctl {}\"><title>voipctl {command}: {}</title><style>{CSS}.m.hl use{{stroke:#000;stroke-width:3}}</style></head><body>",
        env!("CARGO_PKG_VERSION"),
        esc(source)
    );
    let _ = write!(
        o,
        "<header><h1>voipctl {command}: <span class=\"mono\">{}</span></h1><p>{}</p><dl class=\"facts\">",
        esc(source),
        {
            let mut r = format!("<span class=\"result st-{vclass}\">");
            r.push_str(&badge(vclass, vtext));
            r.push_str("</span>");
            r
        }
    );
    facts(o, summary);
    o.push_str("</dl></header><main>");
}

/// The summary's plain fields as `<dt>`/`<dd>` pairs.
fn facts(o: &mut String, summary: &Value) {
    if let Value::Object(m) = summary {
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort_by_key(|k| {
            HEADER_FIRST
                .iter()
                .position(|f| f == k)
                .unwrap_or(HEADER_FIRST.len())
        });
        for k in keys {
            let v = &m[k.as_str()];
            if HEADER_SKIP.contains(&k.as_str()) || v.is_array() || v.is_object() || v.is_null() {
                continue;
            }
            let text = if k == "span_s" {
                v.as_f64()
                    .map(|x| format!("{x:.1} s"))
                    .unwrap_or_else(|| value_text(v))
            } else {
                value_text(v)
            };
            let _ = write!(
                o,
                "<div><dt>{}</dt><dd>{}</dd></div>",
                esc(k),
                esc(&clip(&text))
            );
        }
    }
}

/// Everything below the header: the timeline or the rounds, the checks, other records, the
/// unrecognised lines and the summary.
fn body(o: &mut String, c: &Collector, summary: &Value, logs: bool, probe: bool) {
    if logs {
        timeline_section(o, c, summary);
    }
    if probe {
        let probe_rounds = c.others.iter().find(|(k, _, _)| k == "probe_round");
        let (rows, total) = probe_rounds.map_or((&[][..], 0), |(_, r, t)| (&r[..], *t));
        super::probe::section(o, rows, total, summary);
    }
    checks(o, c);
    let mut others: BTreeMap<usize, &(String, Vec<Value>, u64)> = BTreeMap::new();
    for (i, x) in c.others.iter().enumerate() {
        others.insert(i, x);
    }
    for (kind, rows, total) in others.values() {
        if probe && kind == "probe_round" {
            continue;
        }
        let heading = match kind.as_str() {
            "finding" => "Findings".to_string(),
            "rule" => "Rules".to_string(),
            k => format!("{k} records"),
        };
        generic_table(o, &format!("records-{kind}"), &heading, rows, *total);
    }
    if !c.lines.is_empty() {
        generic_table(
            o,
            "lines",
            "Unrecognised lines (--lines)",
            &c.lines,
            c.lines_total,
        );
    }
    summary_section(o, summary);
}

fn foot(o: &mut String) {
    let _ = writeln!(
        o,
        "</main><footer>voipctl {} — a self-contained page: no script, style or font is fetched; it reads the same records as <code>--json</code>.</footer><script>{JS}</script></body></html>",
        env!("CARGO_PKG_VERSION")
    );
}

/// The whole page.
pub(super) fn render(suite: &str, c: &Collector, summary: &Value) -> String {
    let mut o = String::with_capacity(64 * 1024);
    let (command, source, logs, probe) = what(suite, c, summary);
    let (vclass, vtext) = super::probe::verdict(summary).unwrap_or_else(|| verdict(summary));
    head(&mut o, command, &source, vclass, &vtext, summary);
    body(&mut o, c, summary, logs, probe);
    foot(&mut o);
    o
}

/// One page for a run on several phones (`--all`): the run's verdict and summary in the header,
/// then a section per phone with what its own page would show. Element ids get the part's
/// number so that they stay unique (our markup only: untrusted text is escaped, so it holds no
/// `id="`).
pub(super) fn render_parts(
    suite: &str,
    parts: &[(&str, &Collector, &Value)],
    summary: &Value,
) -> String {
    let mut o = String::with_capacity(64 * 1024 * parts.len().max(1));
    let mut verdicts = Vec::new();
    let mut command = "report";
    let mut source = String::new();
    for (_, c, sum) in parts {
        let (cmd, src, _, _) = what(suite, c, sum);
        command = cmd;
        if source.is_empty() {
            source = src;
        }
        verdicts.push(super::probe::verdict(sum).unwrap_or_else(|| verdict(sum)));
    }
    let bad = |d: &Value| s(d, "result").is_some_and(|r| r != "ok");
    let devices_bad = summary
        .get("devices")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(bad));
    let vclass = if verdicts.iter().any(|v| v.0 == "failed") || devices_bad {
        "failed"
    } else if verdicts.iter().any(|v| v.0 == "interrupted") {
        "interrupted"
    } else if parts.is_empty() || verdicts.iter().any(|v| v.0 != "passed") {
        "unknown"
    } else {
        "passed"
    };
    let vtext = format!(
        "{}: {} of {} phone(s) passed",
        match vclass {
            "failed" => "FAILED",
            "passed" => "passed",
            x => x,
        },
        verdicts.iter().filter(|v| v.0 == "passed").count(),
        parts.len()
    );
    head(&mut o, command, &source, vclass, &vtext, summary);
    o.push_str("<nav aria-label=\"phones\"><ul class=\"phones\">");
    for (i, ((name, _, _), (class, text))) in parts.iter().zip(&verdicts).enumerate() {
        let _ = write!(
            o,
            "<li><a href=\"#phone-{i}\" class=\"mono\">{}</a> {}</li>",
            esc(name),
            badge(class, text)
        );
    }
    o.push_str("</ul></nav>");
    for (i, ((name, c, sum), (class, text))) in parts.iter().zip(&verdicts).enumerate() {
        let (_, _, logs, probe) = what(suite, c, sum);
        let mut part = String::new();
        body(&mut part, c, sum, logs, probe);
        let part = part
            .replace(" id=\"", &format!(" id=\"p{i}-"))
            .replace(" aria-labelledby=\"", &format!(" aria-labelledby=\"p{i}-"))
            .replace(" href=\"#", &format!(" href=\"#p{i}-"));
        let _ = write!(
            o,
            "<section class=\"phone\" id=\"phone-{i}\" data-udid=\"{}\" data-status=\"{class}\" aria-labelledby=\"h-phone-{i}\"><h2 id=\"h-phone-{i}\">Phone <span class=\"mono\">{}</span> {}</h2><dl class=\"facts\">",
            esc(name),
            esc(name),
            badge(class, text)
        );
        facts(&mut o, sum);
        o.push_str("</dl>");
        o.push_str(&part);
        o.push_str("</section>");
    }
    summary_section(&mut o, summary);
    foot(&mut o);
    o
}
