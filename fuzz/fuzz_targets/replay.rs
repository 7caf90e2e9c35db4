#![no_main]
//! Logs given to `voipctl sim --replay` (recordings, idevicesyslog, pymobiledevice3).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = voipctl::sim::replay::parse(&text, 1_764_064_801.0, "fuzz");
});
