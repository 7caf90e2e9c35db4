#![no_main]
//! APNs error bodies and GOAWAY debug data: bytes a server sends us.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let body = voipctl::push::reason::parse_error_body(data);
    if let Some(r) = body.reason {
        assert!(r.chars().count() <= 200);
    }
    let text = String::from_utf8_lossy(data);
    if let Some(r) = voipctl::push::reason::goaway_reason(&text) {
        assert!(r.chars().all(|c| c.is_ascii_alphanumeric()));
    }
});
