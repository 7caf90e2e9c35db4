#![no_main]
//! A `--rules` file: the TOML parser, rule validation and regex compilation must reject bad input
//! with an error, never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(rules) = voipctl::logs::rules::parse_rules(&text, "fuzz") {
        let _ = voipctl::logs::rules::RuleSet::build(&[("fuzz".into(), text.into_owned())]);
        for r in rules {
            let _ = voipctl::logs::rules::fill_template(&r.summary, &Default::default());
        }
    }
});
