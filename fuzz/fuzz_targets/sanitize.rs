#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let out = voipctl::sanitize::terminal(&s);
    assert!(!out.chars().any(|c| c.is_control() && c != '\t'));
});
