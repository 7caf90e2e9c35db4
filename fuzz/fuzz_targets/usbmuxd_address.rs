#![no_main]
//! `--usbmuxd` / USBMUXD_SOCKET_ADDRESS values (no DNS).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(a) = voipctl::device::MuxAddr::parse_literal(s)
    {
        assert_eq!(voipctl::device::MuxAddr::parse_literal(&a.env_value()), Ok(a));
    }
});
