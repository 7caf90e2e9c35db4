//! The swimlane chart: one lane per app over the log's time axis, three rows per lane (the app's
//! state; keep-alive and socket; pushes and CallKit), drawn as SVG in the page.
//!
//! Everything is drawn from the event records: an awake stretch is a `suspend` event's
//! `duration_s` back from its time, a keep-alive interval a `keepalive` event's `latency_s`, a
//! push → report latency a `callkit-report` event's `latency_s`, an exit → relaunch a `launch`
//! event's `latency_s`; budgets and the keep-alive timeout come from the summary's `apps`. A ban
//! lasts from a `ban` event to the next `ban-lifted`, a disconnect from `disconnected` to
//! `reconnected`.
//!
//! A lane with more than [`LANE_MARKS`] marks is folded: the axis is cut into [`BINS`] bins and
//! a bin holding more than [`BIN_KEEP`] events becomes one box per row whose shade says how
//! many events it holds and whose title lists them by family; an event that violates a check
//! keeps a mark on top (one per check and bin, saying how many it stands for). The page says what was folded.

use super::{Collector, Ev, esc, esc_into};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Marks a lane may draw one by one before it folds.
const LANE_MARKS: usize = 600;
/// Bins of a folded lane.
const BINS: usize = 240;
/// Events a bin of a folded lane draws one by one.
const BIN_KEEP: usize = 2;

/// viewBox width, left label column, right margin.
pub(super) const W: f64 = 1200.0;
pub(super) const X0: f64 = 118.0;
pub(super) const X1: f64 = W - 12.0;
const AXIS_H: f64 = 30.0;
/// The strip with the app's name above its rows.
const LANE_HEAD: f64 = 17.0;
const ROW_H: f64 = 20.0;
const LANE_GAP: f64 = 8.0;
const LANE_H: f64 = LANE_HEAD + 3.0 * ROW_H + LANE_GAP;

/// The chart and what goes with it.
#[derive(Debug, Default)]
pub(super) struct Chart {
    /// The `<svg>` element.
    pub svg: String,
    /// A text alternative: one sentence per lane.
    pub desc: Vec<String>,
    /// What was folded or left out.
    pub notes: Vec<String>,
    /// Lanes drawn, in order.
    pub lanes: Vec<String>,
    /// Axis range (seconds, or line numbers when the log has no times).
    pub t0: f64,
    pub t1: f64,
    /// The axis counts lines, not seconds.
    pub by_line: bool,
}

/// Row of a family: 0 state, 1 keep-alive and socket, 2 pushes and CallKit.
fn row(family: &str) -> usize {
    match family {
        "keepalive" | "keepalive-end" | "socket-reconnect" => 1,
        "push-apns"
        | "push-dropped"
        | "push-callservicesd"
        | "push-delegate"
        | "callkit-report"
        | "callkit-report-failed"
        | "ban"
        | "ban-lifted" => 2,
        _ => 0,
    }
}

/// The symbol (in the page's `<defs>`) of a family.
pub(super) fn shape(family: &str, foreground: bool) -> &'static str {
    match family {
        "launch" if foreground => "k-up",
        "launch" => "k-up-hollow",
        "launch-request" => "k-chevron",
        "exit" => "k-down",
        "callkit-kill" | "watchdog" | "jetsam" => "k-x",
        "push-apns" | "push-callservicesd" | "push-delegate" => "k-diamond",
        "push-dropped" => "k-diamond-slash",
        "callkit-report" => "k-circle",
        "callkit-report-failed" => "k-circle-hollow",
        "keepalive" | "keepalive-end" => "k-square",
        "socket-reconnect" | "reconnected" | "ban-lifted" => "k-ring",
        "resume" | "socket-wake" | "assertion" => "k-tick-up",
        "suspend" => "k-tick-down",
        "ban" => "k-stop",
        "crash-report" => "k-doc",
        "disconnected" => "k-bar",
        _ => "k-star",
    }
}

fn f3(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// `+12.5 s`, `+12:05`, `+1:02:05` (or `line 1234`).
pub(super) fn label(t: f64, span: f64, by_line: bool) -> String {
    if by_line {
        return format!("line {}", t.round() as i64);
    }
    let neg = t < 0.0;
    let a = t.abs();
    let sign = if neg { "-" } else { "+" };
    if span < 120.0 {
        let d = if span < 2.0 {
            3
        } else if span < 20.0 {
            2
        } else {
            1
        };
        return format!("{sign}{a:.d$} s");
    }
    let s = a.round() as u64;
    if s >= 3600 {
        format!("{sign}{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{sign}{}:{:02}", s / 60, s % 60)
    }
}

/// A tick step that gives 5–12 ticks.
pub(super) fn step(span: f64, by_line: bool) -> f64 {
    let steps: &[f64] = if by_line || span < 120.0 {
        &[]
    } else {
        &[
            60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 10800.0, 21600.0, 43200.0,
            86400.0,
        ]
    };
    for s in steps {
        if span / s <= 12.0 {
            return *s;
        }
    }
    let raw = span / 8.0;
    let p = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if raw <= m * p {
            return (m * p).max(if by_line { 1.0 } else { 0.001 });
        }
    }
    raw
}

/// Per-app figures from the summary that the chart draws against.
#[derive(Debug, Default, Clone, Copy)]
struct Budgets {
    wake: Option<f64>,
    handler: Option<f64>,
    timeout: Option<f64>,
}

fn budgets(summary: &Value, app: &str) -> Budgets {
    let Some(a) = summary
        .get("apps")
        .and_then(Value::as_array)
        .and_then(|apps| {
            apps.iter()
                .find(|a| a.get("app").and_then(Value::as_str) == Some(app))
        })
    else {
        return Budgets::default();
    };
    let f = |v: Option<&Value>| v.and_then(Value::as_f64).filter(|x| *x > 0.0);
    Budgets {
        wake: f(a.pointer("/wakes/budget_s")),
        handler: f(a.pointer("/keepalive/handler_budget_s")),
        timeout: f(a.pointer("/keepalive/timeout_s")),
    }
}

struct Ctx<'a> {
    c: &'a Collector,
    t0: f64,
    t1: f64,
    by_line: bool,
}

impl Ctx<'_> {
    fn x(&self, t: f64) -> f64 {
        X0 + (t - self.t0) / (self.t1 - self.t0) * (X1 - X0)
    }
    fn t(&self, e: &Ev) -> Option<f64> {
        if self.by_line {
            Some(e.line as f64)
        } else {
            e.t
        }
    }
    fn when(&self, t: f64) -> String {
        label(t, self.t1 - self.t0, self.by_line)
    }

    /// The evidence of an event, as the lines of its `<title>`.
    fn title(&self, e: &Ev) -> String {
        let fam = self.c.family(e);
        let mut o = String::new();
        match &e.text {
            Some(x) => {
                o.push_str(&x.summary);
                if let Some(n) = &x.note {
                    o.push_str(" — ");
                    o.push_str(n);
                }
                let _ = write!(
                    o,
                    "\n{} · {fam}{}",
                    self.c.lane_name(e).unwrap_or("system"),
                    self.c
                        .check_name(e)
                        .map(|c| format!(" · check {c}"))
                        .unwrap_or_default()
                );
                if let Some(d) = e.duration {
                    let _ = write!(o, " · lasted {} s", f3(d));
                }
                if let Some(l) = e.latency {
                    let _ = write!(o, " · after {} s", f3(l));
                }
                let _ = write!(o, "\nline {} · {} · {}", e.line, x.time, x.process);
                if let Some(p) = x.pid {
                    let _ = write!(o, "[{p}]");
                }
                if !x.rule.is_empty() {
                    let _ = write!(o, " · rule {}", x.rule);
                }
                if !x.message.is_empty() {
                    o.push('\n');
                    o.push_str(&x.message);
                }
                for (k, v) in &x.extra {
                    let _ = write!(o, "\n{k}: {v}");
                }
            }
            None => {
                let _ = write!(
                    o,
                    "{fam} at line {} (past the first {} events of a lane, informational ones \
                     keep only time and family here; the log line has the words)",
                    e.line,
                    super::TEXT_CAP
                );
            }
        }
        o
    }
}

/// Draw the chart.
pub(super) fn chart(c: &Collector, summary: &Value) -> Chart {
    let mut out = Chart::default();
    let timed = c.events.iter().filter(|e| e.t.is_some()).count();
    let by_line = timed == 0;
    let ts = c
        .events
        .iter()
        .filter_map(|e| if by_line { Some(e.line as f64) } else { e.t });
    let (mut t0, mut t1) = ts.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), t| {
        (a.min(t), b.max(t))
    });
    // A segment that ends at the first event may start before it.
    if !by_line {
        for e in &c.events {
            if let Some(t) = e.t {
                let back = e.duration.unwrap_or(0.0).max(e.latency.unwrap_or(0.0));
                t0 = t0.min(t - back);
            }
        }
    }
    if !t0.is_finite() || !t1.is_finite() {
        t0 = 0.0;
        t1 = 1.0;
    }
    if t1 - t0 < 1e-6 {
        t1 = t0 + 1.0;
    }
    let pad = (t1 - t0) * 0.01;
    t0 -= pad;
    t1 += pad;
    out.t0 = t0;
    out.t1 = t1;
    out.by_line = by_line;
    if !by_line && timed < c.events.len() {
        out.notes.push(format!(
            "{} events have no timestamp and are not drawn (they are in the table).",
            c.events.len() - timed
        ));
    }
    let cx = Ctx { c, t0, t1, by_line };

    // Lanes: the summary's apps first (its order), then apps as they appeared, then system.
    let mut order: Vec<Option<u32>> = Vec::new();
    if let Some(apps) = summary.get("apps").and_then(Value::as_array) {
        for a in apps {
            if let Some(name) = a.get("app").and_then(Value::as_str)
                && let Some(i) = c.lane_ix.get(name)
                && !order.contains(&Some(*i))
            {
                order.push(Some(*i));
            }
        }
    }
    for i in 0..c.lanes.len() as u32 {
        if !order.contains(&Some(i)) {
            order.push(Some(i));
        }
    }
    let mut per_lane: BTreeMap<Option<u32>, Vec<&Ev>> = BTreeMap::new();
    for e in &c.events {
        if cx.t(e).is_some() {
            per_lane.entry(e.lane).or_default().push(e);
        }
    }
    if per_lane.contains_key(&None) {
        order.push(None);
    }
    order.retain(|l| per_lane.contains_key(l));

    let height = AXIS_H + LANE_H * order.len().max(1) as f64 + 8.0;
    let svg = &mut out.svg;
    let _ = write!(
        svg,
        "<svg id=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {}\" \
         role=\"group\" aria-labelledby=\"chart-title chart-desc\" data-t0=\"{}\" data-t1=\"{}\" \
         data-x0=\"{X0}\" data-x1=\"{X1}\" data-by-line=\"{}\">",
        f3(height),
        f3(t0),
        f3(t1),
        by_line as u8
    );
    let head_at = svg.len();
    svg.push_str(DEFS);
    let _ = write!(
        svg,
        "<clipPath id=\"plot\"><rect x=\"{X0}\" y=\"0\" width=\"{}\" height=\"{}\"/></clipPath>",
        f3(X1 - X0),
        f3(height)
    );
    // Axis (the script redraws it on zoom).
    let _ = write!(svg, "<g id=\"axis\" class=\"axis\" aria-hidden=\"true\">");
    axis(svg, &cx, height);
    svg.push_str("</g>");

    // Disconnect gaps: across every lane.
    let mut gaps = String::new();
    let mut open: Option<f64> = None;
    let mut sorted: Vec<&Ev> = c.events.iter().filter(|e| cx.t(e).is_some()).collect();
    sorted.sort_by(|a, b| {
        cx.t(a)
            .partial_cmp(&cx.t(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut ban_lifts: Vec<f64> = Vec::new();
    for e in &sorted {
        let t = cx.t(e).unwrap_or(0.0);
        match c.family(e) {
            "disconnected" => {
                open.get_or_insert(t);
            }
            "reconnected" => {
                if let Some(a) = open.take() {
                    seg(
                        &mut gaps,
                        &cx,
                        "gap",
                        a,
                        t,
                        AXIS_H,
                        height - AXIS_H - 4.0,
                        &format!(
                            "phone disconnected {} → {} ({} s without the log)",
                            cx.when(a),
                            cx.when(t),
                            f3(t - a)
                        ),
                    );
                }
            }
            "ban-lifted" => ban_lifts.push(t),
            _ => {}
        }
    }
    if let Some(a) = open {
        seg(
            &mut gaps,
            &cx,
            "gap",
            a,
            t1,
            AXIS_H,
            height - AXIS_H - 4.0,
            &format!(
                "phone disconnected at {} and not back by the end",
                cx.when(a)
            ),
        );
    }

    let _ = write!(svg, "<g clip-path=\"url(#plot)\">{gaps}</g>");
    for (li, lane) in order.iter().enumerate() {
        let name = match lane {
            Some(i) => c.lanes.get(*i as usize).map(String::as_str).unwrap_or("?"),
            None => "system",
        };
        let top = AXIS_H + LANE_H * li as f64;
        let y = top + LANE_HEAD;
        let evs = per_lane.get(lane).map(Vec::as_slice).unwrap_or(&[]);
        let b = budgets(summary, name);
        let (body, desc, note) = lane_body(&cx, name, evs, y, b, &ban_lifts);
        let shown = if name.chars().count() > 120 {
            let s: String = name.chars().take(119).collect();
            format!("{s}…")
        } else {
            name.to_string()
        };
        let _ = write!(
            svg,
            "<g class=\"lane\" data-lane=\"{}\"><title>{}</title>\
             <rect class=\"lane-bg\" x=\"0\" y=\"{}\" width=\"{W}\" height=\"{}\"/>\
             <text class=\"lane-name\" x=\"6\" y=\"{}\">{}</text>\
             <text class=\"row-name\" x=\"{}\" y=\"{}\">state</text>\
             <text class=\"row-name\" x=\"{}\" y=\"{}\">keep-alive</text>\
             <text class=\"row-name\" x=\"{}\" y=\"{}\">push / CallKit</text>\
             <g clip-path=\"url(#plot)\">{body}</g></g>",
            esc(name),
            esc(&desc),
            f3(top),
            f3(LANE_HEAD + 3.0 * ROW_H),
            f3(top + 13.0),
            esc(&shown),
            X0 - 6.0,
            f3(y + ROW_H * 0.5 + 4.0),
            X0 - 6.0,
            f3(y + ROW_H * 1.5 + 4.0),
            X0 - 6.0,
            f3(y + ROW_H * 2.5 + 4.0),
        );
        out.desc.push(desc);
        if let Some(n) = note {
            out.notes.push(n);
        }
        out.lanes.push(name.to_string());
    }
    if order.is_empty() {
        let _ = write!(
            svg,
            "<text class=\"empty\" x=\"{}\" y=\"{}\">no VoIP event recognised</text>",
            f3((X0 + X1) / 2.0),
            f3(AXIS_H + 24.0)
        );
    }
    // The SVG's own text alternative, now that every lane has its sentence.
    let mut head = String::from("<title>");
    let _ = write!(head, "VoIP timeline, {} lanes", out.lanes.len());
    head.push_str("</title><desc>");
    esc_into(&mut head, &out.desc.join(" "));
    head.push_str("</desc>");
    out.svg.insert_str(head_at, &head);
    let svg = &mut out.svg;
    // The brush the script draws while selecting a range.
    let _ = write!(
        svg,
        "<rect id=\"brush\" class=\"brush\" x=\"0\" y=\"0\" width=\"0\" height=\"{}\"/></svg>",
        f3(height)
    );
    out
}

fn axis(svg: &mut String, cx: &Ctx<'_>, height: f64) {
    let span = cx.t1 - cx.t0;
    let st = step(span, cx.by_line);
    let mut t = (cx.t0 / st).ceil() * st;
    let mut n = 0;
    while t <= cx.t1 && n < 40 {
        let x = cx.x(t);
        let _ = write!(
            svg,
            "<line x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\"/><text x=\"{x}\" y=\"14\">{}</text>",
            f3(AXIS_H - 6.0),
            f3(height - 4.0),
            esc(&label(t, span, cx.by_line)),
            x = f3(x)
        );
        t += st;
        n += 1;
    }
}

#[allow(clippy::too_many_arguments)]
fn seg(o: &mut String, cx: &Ctx<'_>, class: &str, a: f64, b: f64, y: f64, h: f64, title: &str) {
    let (xa, xb) = (cx.x(a), cx.x(b));
    let _ = write!(
        o,
        "<rect class=\"{class}\" data-a=\"{}\" data-b=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>",
        f3(a),
        f3(b),
        f3(xa),
        f3(y),
        f3((xb - xa).max(1.0)),
        f3(h)
    );
    esc_into(o, title);
    o.push_str("</title></rect>");
}

/// A line from `a` to `b` at height `y`.
fn span_line(o: &mut String, cx: &Ctx<'_>, class: &str, a: f64, b: f64, y: f64, title: &str) {
    let _ = write!(
        o,
        "<line class=\"{class}\" data-a=\"{}\" data-b=\"{}\" x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\"><title>",
        f3(a),
        f3(b),
        f3(cx.x(a)),
        f3(cx.x(b)),
        y = f3(y)
    );
    esc_into(o, title);
    o.push_str("</title></line>");
}

/// A vertical tick at `t` (a budget or a deadline).
fn tick(o: &mut String, cx: &Ctx<'_>, class: &str, t: f64, y: f64, h: f64, title: &str) {
    let _ = write!(
        o,
        "<line class=\"{class}\" data-a=\"{t}\" data-b=\"{t}\" x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\"><title>",
        f3(y),
        f3(y + h),
        t = f3(t),
        x = f3(cx.x(t))
    );
    esc_into(o, title);
    o.push_str("</title></line>");
}

/// The marks of some events: first the stretches they end (awake, handler run, interval,
/// latency), then their symbols, errors last so that nothing hides them.
fn events_marks(o: &mut String, cx: &Ctx<'_>, evs: &[&Ev], y: f64, b: Budgets) {
    for e in evs {
        if let Some(t) = cx.t(e) {
            spans(o, cx, e, t, y, b);
        }
    }
    let mut order: Vec<&&Ev> = evs.iter().collect();
    order.sort_by_key(|e| (e.severity, e.check.is_some()));
    for e in order {
        if let Some(t) = cx.t(e) {
            let fam = cx.c.family(e);
            let ry = y + ROW_H * row(fam) as f64 + ROW_H / 2.0;
            point(o, cx, e, t, ry, &cx.title(e), cx.c.check_name(e));
        }
    }
}

/// The stretch an event ends, drawn from its `duration_s` or `latency_s`.
fn spans(o: &mut String, cx: &Ctx<'_>, e: &Ev, t: f64, y: f64, b: Budgets) {
    let fam = cx.c.family(e);
    let check = cx.c.check_name(e);
    if !cx.by_line {
        match (fam, e.duration, e.latency) {
            ("suspend", Some(d), _) if d > 0.0 => {
                let a = t - d;
                seg(
                    o,
                    cx,
                    "awake",
                    a,
                    t,
                    y + 4.0,
                    ROW_H - 8.0,
                    &format!("awake {} s ({} → {})", f3(d), cx.when(a), cx.when(t)),
                );
                if let Some(bud) = b.wake {
                    if d > bud {
                        seg(
                            o,
                            cx,
                            "over",
                            a + bud,
                            t,
                            y + 4.0,
                            ROW_H - 8.0,
                            &format!(
                                "{} s over the {} s wake budget{}",
                                f3(d - bud),
                                f3(bud),
                                check.map(|c| format!(" (check {c})")).unwrap_or_default()
                            ),
                        );
                    }
                    tick(
                        o,
                        cx,
                        "budget",
                        a + bud,
                        y + 1.0,
                        ROW_H - 2.0,
                        &format!(
                            "wake budget: {} s after the wake at {}",
                            f3(bud),
                            cx.when(a)
                        ),
                    );
                }
            }
            ("keepalive-end", Some(d), _) if d > 0.0 => {
                let a = t - d;
                let class = if check.is_some() {
                    "ka-run over"
                } else {
                    "ka-run"
                };
                seg(
                    o,
                    cx,
                    class,
                    a,
                    t,
                    y + ROW_H + 4.0,
                    ROW_H - 8.0,
                    &format!("keep-alive handler ran {} s", f3(d)),
                );
                if let Some(bud) = b.handler.filter(|bud| d > *bud && check.is_none()) {
                    seg(
                        o,
                        cx,
                        "over",
                        a + bud,
                        t,
                        y + ROW_H + 4.0,
                        ROW_H - 8.0,
                        &format!("{} s over the {} s handler budget", f3(d - bud), f3(bud)),
                    );
                }
            }
            ("keepalive", _, Some(l)) if l > 0.0 => {
                let a = t - l;
                let class = if check.is_some() { "ival late" } else { "ival" };
                span_line(
                    o,
                    cx,
                    class,
                    a,
                    t,
                    y + ROW_H * 1.5,
                    &format!(
                        "{} s between keep-alive runs{}",
                        f3(l),
                        b.timeout
                            .map(|to| format!(" (timeout {} s)", f3(to)))
                            .unwrap_or_default()
                    ),
                );
                if let Some(to) = b.timeout {
                    tick(
                        o,
                        cx,
                        "due",
                        a + to,
                        y + ROW_H + 2.0,
                        ROW_H - 4.0,
                        &format!(
                            "keep-alive timeout: {} s after the run at {}",
                            f3(to),
                            cx.when(a)
                        ),
                    );
                }
            }
            ("callkit-report" | "callkit-report-failed", _, Some(l)) => {
                let class = if check.is_some() { "lat late" } else { "lat" };
                span_line(
                    o,
                    cx,
                    class,
                    t - l,
                    t,
                    y + ROW_H * 2.5,
                    &format!("push → CallKit report: {} s", f3(l)),
                );
            }
            ("launch", _, Some(l)) if l > 0.0 => {
                span_line(
                    o,
                    cx,
                    "relaunch",
                    t - l,
                    t,
                    y + ROW_H - 2.0,
                    &format!("exit → relaunch: {} s", f3(l)),
                );
            }
            _ => {}
        }
    }
}

fn point(o: &mut String, cx: &Ctx<'_>, e: &Ev, t: f64, y: f64, title: &str, check: Option<&str>) {
    let fam = cx.c.family(e);
    let sev = ["info", "warn", "error"][e.severity.min(2) as usize];
    let _ = write!(
        o,
        "<g class=\"m f-{} s-{sev}{}\" data-t=\"{}\" data-y=\"{}\" transform=\"translate({} {})\" tabindex=\"0\" data-line=\"{}\"{}><title>",
        esc(fam),
        if check.is_some() { " v" } else { "" },
        f3(t),
        f3(y),
        f3(cx.x(t)),
        f3(y),
        e.line,
        check
            .map(|c| format!(" data-check=\"{}\"", esc(c)))
            .unwrap_or_default()
    );
    esc_into(o, title);
    let _ = write!(
        o,
        "</title><use href=\"#{}\"/></g>",
        shape(fam, e.foreground)
    );
}

/// One lane's marks, its sentence for the text alternative, and what was folded.
fn lane_body(
    cx: &Ctx<'_>,
    name: &str,
    evs: &[&Ev],
    y: f64,
    b: Budgets,
    ban_lifts: &[f64],
) -> (String, String, Option<String>) {
    let mut o = String::new();
    let c = cx.c;
    // Bans: from the ban to the next lift (or the end).
    let mut banned: Option<f64> = None;
    let mut bans = String::new();
    let mut sorted: Vec<&Ev> = evs.to_vec();
    sorted.sort_by(|a, b| {
        cx.t(a)
            .partial_cmp(&cx.t(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    for e in &sorted {
        if c.family(e) == "ban" && banned.is_none() {
            let t = cx.t(e).unwrap_or(0.0);
            let end = ban_lifts.iter().copied().find(|l| *l > t);
            let until = end.unwrap_or(cx.t1);
            seg(
                &mut bans,
                cx,
                "ban",
                t,
                until,
                y + 1.0,
                3.0 * ROW_H - 2.0,
                &format!(
                    "banned from VoIP launches {} → {}",
                    cx.when(t),
                    end.map(|e| cx.when(e)).unwrap_or_else(|| "the end".into())
                ),
            );
            banned = end.or(Some(f64::INFINITY));
        } else if let Some(until) = banned
            && cx.t(e).is_some_and(|t| t > until)
        {
            banned = None;
        }
    }
    o.push_str(&bans);

    // Counts for the text alternative.
    let mut fam_counts: BTreeMap<&str, u64> = BTreeMap::new();
    let mut viol: BTreeMap<&str, u64> = BTreeMap::new();
    for e in evs {
        *fam_counts.entry(c.family(e)).or_default() += 1;
        if let Some(ch) = c.check_name(e) {
            *viol.entry(ch).or_default() += 1;
        }
    }
    let mut desc = format!("{name}: {} events", evs.len());
    if !fam_counts.is_empty() {
        let parts: Vec<String> = fam_counts.iter().map(|(f, n)| format!("{n} {f}")).collect();
        let _ = write!(desc, " ({})", parts.join(", "));
    }
    if viol.is_empty() {
        desc.push_str("; no check violated.");
    } else {
        let parts: Vec<String> = viol.iter().map(|(f, n)| format!("{f} ×{n}")).collect();
        let _ = write!(desc, "; violations: {}.", parts.join(", "));
    }

    // Each event makes about two marks (its symbol, the stretch it ends).
    if evs.len() * 2 <= LANE_MARKS {
        events_marks(&mut o, cx, &sorted, y, b);
        return (o, desc, None);
    }

    // Fold: bins over the whole axis.
    let width = (cx.t1 - cx.t0) / BINS as f64;
    let mut bins: Vec<Vec<&Ev>> = vec![Vec::new(); BINS];
    for e in &sorted {
        if let Some(t) = cx.t(e) {
            let i = (((t - cx.t0) / width).floor().max(0.0) as usize).min(BINS - 1);
            bins[i].push(e);
        }
    }
    let max = bins.iter().map(Vec::len).max().unwrap_or(1).max(1) as f64;
    let mut folded = 0u64;
    let mut folded_bins = 0u64;
    let mut violations_drawn = 0usize;
    for (i, bin) in bins.iter().enumerate() {
        if bin.is_empty() {
            continue;
        }
        if bin.len() <= BIN_KEEP {
            events_marks(&mut o, cx, bin, y, b);
            continue;
        }
        folded += bin.len() as u64;
        folded_bins += 1;
        let a = cx.t0 + width * i as f64;
        let z = a + width;
        for r in 0..3 {
            let in_row: Vec<&&Ev> = bin.iter().filter(|e| row(c.family(e)) == r).collect();
            if in_row.is_empty() {
                continue;
            }
            let mut by_fam: BTreeMap<&str, u64> = BTreeMap::new();
            let mut awake = 0.0;
            for e in &in_row {
                *by_fam.entry(c.family(e)).or_default() += 1;
                if c.family(e) == "suspend" {
                    awake += e.duration.unwrap_or(0.0);
                }
            }
            let first = in_row.iter().map(|e| e.line).min().unwrap_or(0);
            let last = in_row.iter().map(|e| e.line).max().unwrap_or(0);
            let parts: Vec<String> = by_fam.iter().map(|(f, n)| format!("{n} {f}")).collect();
            let mut title = format!(
                "{} events folded, {} → {}: {}; log lines {first}–{last}",
                in_row.len(),
                cx.when(a),
                cx.when(z),
                parts.join(", ")
            );
            if awake > 0.0 {
                let _ = write!(title, "; awake {} s in all", f3(awake));
            }
            let shade = 0.25 + 0.75 * (in_row.len() as f64).ln_1p() / max.ln_1p();
            let _ = write!(
                o,
                "<g class=\"m fold r{r}\" tabindex=\"0\" data-line=\"{first}\"><rect data-a=\"{}\" data-b=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill-opacity=\"{:.2}\"/><title>",
                f3(a),
                f3(z),
                f3(cx.x(a)),
                f3(y + ROW_H * r as f64 + 3.0),
                f3((cx.x(z) - cx.x(a)).max(1.0)),
                f3(ROW_H - 6.0),
                shade
            );
            esc_into(&mut o, &title);
            o.push_str("</title></g>");
        }
        // Violations stay visible: the first of each check in the bin, with how many it stands
        // for.
        let mut seen: BTreeMap<&str, (usize, &Ev)> = BTreeMap::new();
        for e in bin.iter() {
            if let Some(ch) = c.check_name(e) {
                seen.entry(ch).or_insert((0, e)).0 += 1;
            }
        }
        for (ch, (n, e)) in seen {
            violations_drawn += n;
            if let Some(t) = cx.t(e) {
                let fam = c.family(e);
                let ry = y + ROW_H * row(fam) as f64 + ROW_H / 2.0;
                let mut title = cx.title(e);
                if n > 1 {
                    let _ = write!(
                        title,
                        "\n(+{} more {ch} violations in this stretch, {} → {})",
                        n - 1,
                        cx.when(a),
                        cx.when(z)
                    );
                }
                point(&mut o, cx, e, t, ry, &title, Some(ch));
            }
        }
    }
    let note = format!(
        "{name}: {folded} of {} events fall in dense stretches and are folded into {folded_bins} \
         bins of {} each (shade: how many; hover or focus a bin for its families and log lines); \
         each check violated in a bin keeps a mark ({violations_drawn} violations in all).",
        evs.len(),
        if cx.by_line {
            format!("{} lines", f3(width))
        } else {
            format!("{} s", f3(width))
        },
    );
    (o, desc, Some(note))
}

/// Symbols, patterns and the hatch of over-budget stretches, bans and gaps.
const DEFS: &str = concat!(
    "<defs>",
    "<pattern id=\"hatch-over\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#D55E00\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#fff\" stroke-width=\"2.5\"/></pattern>",
    "<pattern id=\"hatch-ban\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(-45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#CC79A7\" stroke-width=\"3\"/></pattern>",
    "<pattern id=\"hatch-gap\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\"><path d=\"M0,0L8,8M8,0L0,8\" stroke=\"#777\" stroke-width=\"1\"/></pattern>",
    "<path id=\"k-up\" d=\"M0,-6L6,5H-6Z\"/>",
    "<path id=\"k-up-hollow\" class=\"hollow\" d=\"M0,-5L5,4.5H-5Z\"/>",
    "<path id=\"k-down\" d=\"M0,6L6,-5H-6Z\"/>",
    "<path id=\"k-chevron\" class=\"stroke\" d=\"M-4,3L0,-3L4,3\"/>",
    "<path id=\"k-x\" class=\"stroke thick\" d=\"M-5,-5L5,5M5,-5L-5,5\"/>",
    "<path id=\"k-diamond\" d=\"M0,-6L6,0L0,6L-6,0Z\"/>",
    "<path id=\"k-diamond-slash\" class=\"hollow\" d=\"M0,-6L6,0L0,6L-6,0ZM-6,6L6,-6\"/>",
    "<circle id=\"k-circle\" r=\"5\"/>",
    "<circle id=\"k-circle-hollow\" class=\"hollow\" r=\"4.5\"/>",
    "<rect id=\"k-square\" x=\"-4\" y=\"-4\" width=\"8\" height=\"8\"/>",
    "<circle id=\"k-ring\" class=\"hollow\" r=\"3.5\"/>",
    "<path id=\"k-tick-up\" d=\"M-2,6V-2H-4L0,-7L4,-2H2V6Z\"/>",
    "<path id=\"k-tick-down\" d=\"M-2,-6V2H-4L0,7L4,2H2V-6Z\"/>",
    "<path id=\"k-stop\" d=\"M-2.5,-6H2.5L6,-2.5V2.5L2.5,6H-2.5L-6,2.5V-2.5Z\"/>",
    "<path id=\"k-doc\" d=\"M-4,-6H2L5,-3V6H-4Z\"/>",
    "<path id=\"k-bar\" class=\"stroke thick\" d=\"M0,-9V9\"/>",
    "<path id=\"k-star\" d=\"M0,-6L1.8,-1.8L6,0L1.8,1.8L0,6L-1.8,1.8L-6,0L-1.8,-1.8Z\"/>",
    "</defs>"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_labels_and_steps() {
        assert_eq!(label(12.5, 50.0, false), "+12.5 s");
        assert_eq!(label(125.0, 1500.0, false), "+2:05");
        assert_eq!(label(3725.0, 8000.0, false), "+1:02:05");
        assert_eq!(label(40.0, 100.0, true), "line 40");
        assert_eq!(step(1500.0, false), 300.0);
        assert_eq!(step(50.0, false), 10.0);
        assert!(step(0.5, false) > 0.0);
    }
}
