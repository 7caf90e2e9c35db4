#![no_main]
//! Client certificates and keys: .p12 (PKCS#12), PEM, DER certificates and Apple's topic extension.
use libfuzzer_sys::fuzz_target;
use voipctl::push::cert;

fuzz_target!(|data: &[u8]| {
    let _ = cert::parse_topics(data);
    let _ = cert::cert_info(data);
    let _ = cert::pem_identity(data, data, "c", "k");
    let _ = cert::p12_identity(data, &cert::Password::default(), "p");
});
