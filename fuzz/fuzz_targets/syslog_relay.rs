//! The syslog_relay entry splitter: any bytes, any chunking — bounded, never a panic, and the
//! same entries whether the stream arrives whole or in two pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voipctl::device::syslog::Splitter;

const MAX: usize = 64;

fuzz_target!(|data: &[u8]| {
    let mut whole = Vec::new();
    let mut s = Splitter::new(MAX);
    s.feed(data, &mut whole);
    assert!(s.held() <= MAX);
    for e in &whole {
        // Lossy UTF-8 can grow a byte to three.
        assert!(e.text.len() <= 3 * MAX);
    }
    if data.len() > 1 {
        let split = usize::from(data[0]) % data.len();
        let mut parts = Vec::new();
        let mut s = Splitter::new(MAX);
        s.feed(&data[..split], &mut parts);
        s.feed(&data[split..], &mut parts);
        assert_eq!(whole, parts);
    }
});
