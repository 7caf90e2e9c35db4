#![no_main]
use libfuzzer_sys::fuzz_target;

// The whole file at once, and the same bytes split in two chunks: both must agree.
fuzz_target!(|data: &[u8]| {
    let whole = voipctl::bundle::macho::parse(data);
    if data.len() > 1 {
        let split = usize::from(data[0]) % data.len();
        let mut s = voipctl::bundle::macho::Scanner::new();
        let chunked = s
            .feed(&data[..split])
            .and_then(|_| s.feed(&data[split..]))
            .and_then(|_| s.finish());
        assert_eq!(whole.is_ok(), chunked.is_ok());
    }
});
