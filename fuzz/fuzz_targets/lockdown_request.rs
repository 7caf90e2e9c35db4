#![no_main]
//! lockdownd / service request frames a client sends to the simulator, and the plist values the
//! device layer converts for output.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = voipctl::sim::decode_request(data) {
        let v = plist::Value::Dictionary(d.clone());
        let _ = voipctl::device::values::to_json(&v);
        let _ = voipctl::device::values::to_text(&v);
        let _ = voipctl::device::AppInfo::from_attributes(&d);
    }
});
