//! `voipctl probe --format html`: one lane per round (per phone and round when the records name
//! several phones) with its stages on a shared time axis (ms after sending), how it ended, the
//! per-stage p50/p95/max table of the summary, and each failed round's diagnosis chain.
//! Drawn from the `probe_round` records' and the summary's JSON values; a missing field leaves a
//! blank.

use super::page::badge;
use super::{clip, esc, esc_into, value_text};
use serde_json::Value;
use std::fmt::Write;

/// Stages in the order a round goes through them.
const STAGES: [&str; 6] = [
    "sent",
    "accepted",
    "delivered",
    "running",
    "delegate",
    "reported",
];
/// Chart width (SVG user units) of one lane.
const W: f64 = 720.0;
/// Left margin of a lane's chart.
const PAD: f64 = 8.0;

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn ms_text(v: Option<f64>) -> String {
    v.map_or("–".into(), |x| format!("{x:.0} ms"))
}

/// (stage, ms, line) of a round, in record order.
fn stages(r: &Value) -> Vec<(String, Option<f64>, Option<String>)> {
    r.get("stages")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| {
                    (
                        s(x, "stage").unwrap_or("?").to_string(),
                        x.get("ms")
                            .and_then(Value::as_f64)
                            .filter(|m| m.is_finite() && *m >= 0.0),
                        s(x, "line").map(clip),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The page's verdict for a probe summary: failed rounds or thresholds make it fail.
pub(super) fn verdict(summary: &Value) -> Option<(&'static str, String)> {
    if s(summary, "command") != Some("probe") {
        return None;
    }
    let n = |k: &str| summary.get(k).and_then(Value::as_u64).unwrap_or(0);
    if summary.get("interrupted").and_then(Value::as_bool) == Some(true)
        || s(summary, "outcome") == Some("interrupted")
    {
        return Some(("interrupted", "interrupted (partial)".into()));
    }
    let (rounds, passed, failed) = (n("rounds"), n("passed"), n("failed"));
    if failed > 0 || n("thresholds_failed") > 0 {
        return Some((
            "failed",
            format!("FAILED: {passed} of {rounds} rounds passed"),
        ));
    }
    if rounds == 0 {
        return Some(("unknown", "no round ran".into()));
    }
    if n("unknown") > 0 {
        return Some((
            "unknown",
            format!(
                "{passed} of {rounds} rounds passed, {} unknown",
                n("unknown")
            ),
        ));
    }
    Some(("passed", format!("passed: {passed} of {rounds} rounds")))
}

/// The rounds' lanes, the stage table and the diagnoses.
pub(super) fn section(o: &mut String, rounds: &[Value], total: u64, summary: &Value) {
    let multi = {
        let mut u: Vec<&str> = rounds.iter().filter_map(|r| s(r, "udid")).collect();
        u.sort_unstable();
        u.dedup();
        u.len() > 1
    };
    let span = rounds
        .iter()
        .flat_map(stages)
        .filter_map(|(_, ms, _)| ms)
        .chain(summary.get("deadline_ms").and_then(Value::as_f64))
        .filter(|x| x.is_finite())
        .fold(1.0f64, f64::max);
    let x = |ms: f64| PAD + (ms / span).clamp(0.0, 1.0) * (W - 2.0 * PAD);
    o.push_str("<section id=\"probe\" aria-labelledby=\"h-probe\"><h2 id=\"h-probe\">Rounds</h2>");
    let _ = write!(
        o,
        "<p class=\"small\">Each lane is one round: its stages ({}), or how it ended, in ms after sending (0 to {span:.0} ms).</p>",
        STAGES.join(" → ")
    );
    if (rounds.len() as u64) < total {
        let _ = write!(
            o,
            "<p class=\"small\">The first {} of {total} rounds (the JSON output has them all).</p>",
            rounds.len()
        );
    }
    o.push_str("<div class=\"scroll\"><table class=\"probe-lanes\"><thead><tr><th scope=\"col\">round</th><th scope=\"col\">verdict</th><th scope=\"col\">stages</th><th scope=\"col\">latency</th></tr></thead><tbody>");
    for r in rounds {
        let round = r.get("round").map(value_text).unwrap_or_default();
        let udid = s(r, "udid").unwrap_or("");
        let verdict = s(r, "verdict").unwrap_or("unknown");
        let ok = r.get("ok").and_then(Value::as_bool);
        let class = match (ok, verdict) {
            (Some(true), _) => "passed",
            (_, "unknown") => "unknown",
            (Some(false), _) => "failed",
            _ => "unknown",
        };
        let label = if multi {
            format!("{udid} round {round}")
        } else {
            format!("round {round}")
        };
        let st = stages(r);
        let _ = write!(
            o,
            "<tr class=\"probe-lane\" data-round=\"{}\" data-udid=\"{}\" data-verdict=\"{}\" data-status=\"{class}\"><th scope=\"row\">{}</th><td><span class=\"badge st-{class}\">{}</span>",
            esc(&round),
            esc(udid),
            esc(verdict),
            esc(&label),
            badge(class, verdict)
        );
        if let Some(end) = s(r, "end") {
            let _ = write!(o, " <span class=\"small\">{}</span>", esc(&clip(end)));
        }
        // The chart: a line from sending to the last stage, a mark per stage, the end.
        let last = st
            .iter()
            .filter_map(|(_, ms, _)| *ms)
            .fold(0.0f64, f64::max);
        let _ = write!(
            o,
            "</td><td><svg class=\"probe-chart\" viewBox=\"0 0 {W} 28\" width=\"{W}\" height=\"28\" role=\"img\" aria-label=\"{}\"><line class=\"axis\" x1=\"{PAD}\" y1=\"14\" x2=\"{:.1}\" y2=\"14\" stroke=\"#999\"/><line class=\"path\" x1=\"{:.1}\" y1=\"14\" x2=\"{:.1}\" y2=\"14\" stroke=\"#333\" stroke-width=\"3\"/>",
            esc(&format!(
                "{label}: {}",
                st.iter()
                    .map(|(n, ms, _)| format!("{n} {}", ms_text(*ms)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            W - PAD,
            x(0.0),
            x(last)
        );
        for (name, ms, line) in &st {
            let Some(ms) = ms else { continue };
            let _ = write!(
                o,
                "<circle class=\"stage\" data-stage=\"{}\" cx=\"{:.1}\" cy=\"14\" r=\"5\"><title>{}</title></circle>",
                esc(name),
                x(*ms),
                esc(&format!(
                    "{name} {}{}",
                    ms_text(Some(*ms)),
                    line.as_ref().map(|l| format!(" — {l}")).unwrap_or_default()
                ))
            );
        }
        if class != "passed" {
            let _ = write!(
                o,
                "<path class=\"end\" data-end=\"{}\" d=\"M{a:.1} 6 L{b:.1} 22 M{b:.1} 6 L{a:.1} 22\" stroke=\"#b00\" stroke-width=\"2\"><title>{}</title></path>",
                esc(verdict),
                esc(&format!(
                    "{verdict}{}",
                    s(r, "end")
                        .map(|e| format!(": {}", clip(e)))
                        .unwrap_or_default()
                )),
                a = x(last) + 4.0,
                b = x(last) + 12.0,
            );
        }
        o.push_str("</svg></td><td><ol class=\"stages\">");
        for (name, ms, line) in &st {
            let _ = write!(
                o,
                "<li data-stage=\"{}\"><b>{}</b> {}",
                esc(name),
                esc(name),
                esc(&ms_text(*ms))
            );
            if let Some(l) = line {
                o.push_str(" <span class=\"mono small\">");
                esc_into(o, l);
                o.push_str("</span>");
            }
            o.push_str("</li>");
        }
        if class != "passed" {
            let _ = write!(
                o,
                "<li data-stage=\"{}\"><b>{}</b></li>",
                esc(verdict),
                esc(verdict)
            );
        }
        o.push_str("</ol></td></tr>");
    }
    o.push_str("</tbody></table></div>");
    stage_table(o, summary);
    diagnoses(o, rounds, multi);
    o.push_str("</section>");
}

/// The summary's per-stage p50/p95/max, in stage order, then any stage this page does not know.
fn stage_table(o: &mut String, summary: &Value) {
    let Some(Value::Object(m)) = summary.get("stages") else {
        return;
    };
    let mut names: Vec<&str> = STAGES
        .iter()
        .copied()
        .filter(|k| m.contains_key(*k))
        .collect();
    for k in m.keys() {
        if !STAGES.contains(&k.as_str()) {
            names.push(k);
        }
    }
    o.push_str("<h3 id=\"h-probe-stages\">Stage latency (ms after sending)</h3><div class=\"scroll\"><table class=\"probe-stages\"><thead><tr><th scope=\"col\">stage</th><th scope=\"col\">rounds</th><th scope=\"col\">p50 ms</th><th scope=\"col\">p95 ms</th><th scope=\"col\">max ms</th></tr></thead><tbody>");
    for n in names {
        let v = &m[n];
        let f = |k: &str| {
            v.get(k)
                .and_then(Value::as_f64)
                .map_or("–".into(), |x| format!("{x:.1}"))
        };
        let _ = write!(
            o,
            "<tr data-stage=\"{}\"><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(n),
            esc(n),
            v.get("count").map_or("–".into(), value_text),
            f("p50"),
            f("p95"),
            f("max")
        );
    }
    o.push_str("</tbody></table></div>");
}

/// Each failed round's cause chain (seen with its line, or inferred) and fix.
fn diagnoses(o: &mut String, rounds: &[Value], multi: bool) {
    let with: Vec<&Value> = rounds
        .iter()
        .filter(|r| r.get("diagnosis").is_some_and(|d| !d.is_null()))
        .collect();
    if with.is_empty() {
        return;
    }
    o.push_str("<h3 id=\"h-probe-diag\">Diagnoses</h3>");
    for r in with {
        let d = &r["diagnosis"];
        let round = r.get("round").map(value_text).unwrap_or_default();
        let label = if multi {
            format!("{} round {round}", s(r, "udid").unwrap_or(""))
        } else {
            format!("round {round}")
        };
        let _ = write!(
            o,
            "<div class=\"diagnosis\" data-round=\"{}\"><h4>{}: {}</h4><div class=\"scroll\"><table><thead><tr><th scope=\"col\">evidence</th><th scope=\"col\">step</th><th scope=\"col\">line</th></tr></thead><tbody>",
            esc(&round),
            esc(&label),
            esc(s(r, "verdict").unwrap_or("unknown"))
        );
        for l in d
            .get("chain")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let ev = s(l, "evidence").unwrap_or("");
            let class = if ev == "seen" { "seen" } else { "unknown" };
            let _ = write!(
                o,
                "<tr class=\"chain-link\" data-evidence=\"{}\"><td>{}</td><td>{}</td><td class=\"mono small\">{}</td></tr>",
                esc(ev),
                badge(class, ev),
                esc(&clip(s(l, "step").unwrap_or(""))),
                esc(&clip(s(l, "line").unwrap_or("")))
            );
        }
        o.push_str("</tbody></table></div>");
        if let Some(fix) = s(d, "fix") {
            let _ = write!(o, "<p class=\"fix\"><b>fix:</b> {}</p>", esc(&clip(fix)));
        }
        o.push_str("</div>");
    }
}

#[cfg(test)]
mod tests {
    use super::super::Collector;
    use serde_json::json;

    fn page(c: &Collector, summary: &serde_json::Value) -> String {
        let mut out = Vec::new();
        super::super::write(&mut out, "voipctl probe X", c, summary).unwrap_or_default();
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn missing_fields_leave_blanks_and_text_stays_text() {
        let mut c = Collector::default();
        c.push("probe_round", json!({}));
        c.push(
            "probe_round",
            json!({"round": 2, "udid": "<u>", "verdict": "killed", "ok": false,
                   "stages": [{"stage": "sent", "ms": 0.0}, {"stage": "delivered"},
                              {"stage": "running", "ms": 40.5, "line": "<b>x</b>"}],
                   "end": "killed: <i>no report</i>",
                   "diagnosis": {"chain": [{"step": "delivered", "evidence": "seen", "line": "l"},
                                           {"evidence": "inferred"}, {}]}}),
        );
        let p = page(
            &c,
            &json!({"command": "probe", "failed": 1, "rounds": 2, "passed": 0,
                    "stages": {"running": {"count": 1, "p50": 40.5}, "odd": {}}}),
        );
        assert!(p.contains("class=\"result st-failed\""));
        assert!(p.contains("data-round=\"2\""));
        assert!(p.contains("<circle class=\"stage\" data-stage=\"running\""));
        assert!(p.contains("<li data-stage=\"delivered\"><b>delivered</b> –"));
        assert!(p.contains("<tr data-stage=\"running\""));
        assert!(p.contains("<tr data-stage=\"odd\""));
        assert!(p.contains("data-evidence=\"inferred\""));
        assert!(!p.contains("<b>x</b>") && !p.contains("<i>no report"));
        assert_eq!(p.matches("<script").count(), 1);
        // A summary alone (no round ran) still draws.
        let p = page(&Collector::default(), &json!({"command": "probe"}));
        assert!(p.contains("no round ran"));
    }
}
