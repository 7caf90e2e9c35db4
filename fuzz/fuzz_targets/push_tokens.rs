#![no_main]
//! Device-token lists (--tokens-file / stdin).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (good, _bad) = voipctl::push::request::parse_token_list(&text, "fuzz");
    for t in good {
        assert!(t.len() % 2 == 0 && t.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }
    let _ = voipctl::push::request::check_payload(data, voipctl::push::request::PushType::Voip);
});
