#![no_main]
//! A whole log through the streaming reader (with and without the literal prefilter) and the
//! analysis pipeline: no panic, and the prefilter never changes what is recognised.
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use voipctl::logs::lines::{Flow, LineReader};
use voipctl::logs::rules::RuleSet;
use voipctl::logs::{CommonOptions, Output, Pipeline};

/// The built-in rules, compiled once per process (compiling them per input made the target run
/// at about one input a second).
fn rules() -> Option<&'static RuleSet> {
    static RULES: OnceLock<Option<RuleSet>> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin().ok()).as_ref()
}

fn run(data: &[u8], prefilter: bool) -> Vec<String> {
    let opts = CommonOptions::default();
    let Some(rules) = rules() else { return Vec::new() };
    let Ok(mut p) = Pipeline::with_rules(&opts, rules.clone()) else { return Vec::new() };
    let pre = if prefilter { p.prefilter().cloned() } else { None };
    let mut out = Vec::new();
    let mut r = LineReader::new(data);
    let _ = r.for_each(pre.as_ref(), |l| {
        for o in p.line(&l.text, l.number) {
            if let Output::Event(e) = o {
                out.push(format!("{}:{}", e.line, e.rule));
            }
        }
        Flow::Continue
    });
    // As `analyze` does: the lines after the last one handed out still move the clock.
    let last = p.last_line();
    for l in r.tail() {
        if l.number > last {
            for o in p.tick_line(&l.text, l.number) {
                if let Output::Event(e) = o {
                    out.push(format!("{}:{}", e.line, e.rule));
                }
            }
        }
    }
    let (_, ended) = p.finish();
    let summary = voipctl::commands::logs::records::Summary::build(
        voipctl::commands::logs::records::SummaryMeta::default(),
        ended,
        &[],
    );
    assert_eq!(summary.checks.len(), voipctl::logs::track::Check::ALL.len());
    out
}

fuzz_target!(|data: &[u8]| {
    let a = run(data, true);
    let b = run(data, false);
    // Conclusions (voipctl.*) depend on which lines moved the clock; recognised lines must agree.
    let a: Vec<_> = a.into_iter().filter(|s| !s.contains("voipctl.")).collect();
    let b: Vec<_> = b.into_iter().filter(|s| !s.contains("voipctl.")).collect();
    assert_eq!(a, b);
});
