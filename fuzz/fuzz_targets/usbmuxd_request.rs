#![no_main]
//! usbmuxd requests a client sends to the simulator.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = voipctl::sim::decode_packet(data) {
        let _ = idevice::usbmuxd::server::UsbmuxdServerRequest::decode(&p);
    }
});
