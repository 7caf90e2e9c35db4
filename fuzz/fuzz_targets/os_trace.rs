#![no_main]
//! The os_trace_relay stream from a phone: frame splitting and entry decoding.
use libfuzzer_sys::fuzz_target;
use voipctl::device::ostrace::{Frame, decode_entry, split_frame};

fuzz_target!(|data: &[u8]| {
    let mut buf = data;
    while let Ok(Some((frame, used))) = split_frame(buf) {
        if let Frame::Entry(body) = frame {
            let _ = decode_entry(body);
        }
        buf = &buf[used..];
    }
    let _ = decode_entry(data);
});
