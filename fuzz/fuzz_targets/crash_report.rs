#![no_main]
//! Crash reports from the phone (`.ips` JSON header + body, legacy `.crash` text) and the AFC
//! packets that carry them.
use libfuzzer_sys::fuzz_target;
use voipctl::crash::{
    JetsamEvent, is_jetsam_name, name_date, name_matches, parse, parse_jetsam, parse_report_time,
};
use voipctl::device::afc::{MAX_PACKET, pairs, split_packet};

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = parse(data, Some("fuzz.ips")) {
        let _ = r.headline();
        let _ = r.unix_time();
    }
    // JetsamEvent reports (bug_type 298): by pid and by name.
    let names = ["ExampleCall".to_string()];
    for pid in [None, Some(561)] {
        if let Ok(Some(r)) = parse_jetsam(data, Some("JetsamEvent-fuzz.ips"), &names, pid) {
            assert!(r.termination_reason.is_some());
            let _ = r.headline();
        }
    }
    // Parsed once (analyze --crash-report), then looked up for each killed entry.
    if let Ok(ev) = JetsamEvent::parse(data, Some("JetsamEvent-fuzz.ips")) {
        let _ = ev.unix_time();
        for k in ev.killed().iter().take(64) {
            if let Some(r) = ev.find(std::slice::from_ref(&k.name), k.pid) {
                assert!(r.termination_reason.is_some_and(|t| t.starts_with("jetsam: ")));
            }
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = parse_report_time(s);
        if let Some(d) = name_date(s) {
            assert_eq!(d.len(), 17);
        }
        let _ = name_matches(s, "ExampleCall");
        let _ = is_jetsam_name(s);
    }
    let mut buf = data;
    while let Ok(Some((p, used))) = split_packet(buf, MAX_PACKET) {
        let _ = pairs(&p.payload);
        let _ = p.first_u64();
        buf = &buf[used..];
    }
});
