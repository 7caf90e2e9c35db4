#![no_main]
//! Scenario files for `voipctl sim`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(s) = voipctl::sim::Scenario::parse(text)
    {
        for d in &s.devices {
            let _ = d.timeline();
        }
    }
});
