#![no_main]
//! One device log line in any format: decoding (every format, vis(3), JSON) and classification
//! must never panic, whatever the bytes.
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use voipctl::logs::decode::{unvis, Decoder};
use voipctl::logs::rules::RuleSet;

fuzz_target!(|data: &[u8]| {
    static RULES: OnceLock<Option<RuleSet>> = OnceLock::new();
    let line = String::from_utf8_lossy(data);
    let _ = unvis(&line);
    let mut d = Decoder::new();
    for l in line.split('\n') {
        let e = d.decode(l);
        if let Some(rules) = RULES.get_or_init(|| RuleSet::builtin().ok()) {
            if let Some(hit) = rules.classify(&e) {
                let _ = hit.summary();
            }
        }
    }
});
