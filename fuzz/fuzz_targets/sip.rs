//! SIP parser and encoder: any bytes either fail to parse or survive encode → parse unchanged;
//! the stream framer never panics and never holds more than its bound, however the bytes are split.

#![no_main]

use libfuzzer_sys::fuzz_target;
use voipctl::sip::{Framer, Limits, canonical_name, encode, parse_datagram};

fn without_length(m: &voipctl::sip::Message) -> Vec<voipctl::sip::Header> {
    m.headers
        .iter()
        .filter(|h| !canonical_name(&h.name).eq_ignore_ascii_case("Content-Length"))
        .cloned()
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(m) = parse_datagram(data, &limits) {
        let wire = encode(&m);
        let back = parse_datagram(&wire, &limits).expect("encoded message must parse");
        assert_eq!(back.start, m.start);
        assert_eq!(back.body, m.body);
        assert_eq!(without_length(&back), without_length(&m));
        assert_eq!(encode(&back), wire);
    }
    let small = Limits { max_head: 512, max_body: 512, max_headers: 16 };
    let split = data.first().map(|b| *b as usize).unwrap_or(1).max(1);
    let mut f = Framer::new(small);
    for chunk in data.chunks(split) {
        if f.push(chunk).is_err() {
            return;
        }
        loop {
            match f.next_frame() {
                Ok(Some(_)) => continue,
                Ok(None) => break,
                Err(_) => return,
            }
        }
        assert!(f.buffered() <= small.max_buffer());
    }
});
