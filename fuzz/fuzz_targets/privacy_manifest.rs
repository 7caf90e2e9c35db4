#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = voipctl::bundle::privacy::parse(data) {
        for (cat, _) in &m.accessed {
            let _ = m.declares(cat);
        }
    }
});
