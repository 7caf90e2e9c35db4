#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = voipctl::bundle::profile::parse(data) {
        let _ = p.kind();
    }
});
