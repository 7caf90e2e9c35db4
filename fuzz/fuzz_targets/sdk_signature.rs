#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = voipctl::bundle::sdk_signature::parse(data);
    let s = voipctl::bundle::sdk_signature::SdkSignature::read(
        "Signatures/X.xcframework-ios.signature",
        data,
    );
    let _ = s.is_for("X");
});
