#![no_main]
//! Crash reports from the phone (`.ips` JSON header + body, legacy `.crash` text) and the AFC
//! packets that carry them.
use libfuzzer_sys::fuzz_target;
use voipctl::crash::{name_date, name_matches, parse, parse_report_time};
use voipctl::device::afc::{MAX_PACKET, pairs, split_packet};

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = parse(data, Some("fuzz.ips")) {
        let _ = r.headline();
        let _ = r.unix_time();
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = parse_report_time(s);
        if let Some(d) = name_date(s) {
            assert_eq!(d.len(), 17);
        }
        let _ = name_matches(s, "ExampleCall");
    }
    let mut buf = data;
    while let Ok(Some((p, used))) = split_packet(buf, MAX_PACKET) {
        let _ = pairs(&p.payload);
        let _ = p.first_u64();
        buf = &buf[used..];
    }
});
