#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Whatever parses must encode and parse back to the same dictionary.
    if let Ok(d) = voipctl::bundle::der_entitlements::parse(data) {
        let again = voipctl::bundle::der_entitlements::parse(
            &voipctl::bundle::der_entitlements::encode(&d),
        );
        assert_eq!(again.ok(), Some(d));
    }
});
