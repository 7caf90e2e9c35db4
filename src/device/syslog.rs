//! Splitting the `com.apple.syslog_relay` byte stream into entries, with bounded memory.
//!
//! The phone ends each entry with `"\n\0"` (an entry may itself contain `\n`). `idevice`'s line
//! reader buffers until it sees the terminator, without limit, so anything at the usbmuxd address
//! that sends one endless entry grows memory without bound. [`Splitter`] holds at most
//! [`MAX_ENTRY`] bytes of one entry: an entry longer than that is handed out cut at the limit (as
//! soon as the limit is passed, so an entry that never ends is still reported) and the rest of it
//! is skipped up to its terminator; the stream goes on with the next entry.

use memchr::memchr;

/// Longest entry kept whole (1 MiB, the same bound as a line of `analyze`).
pub const MAX_ENTRY: usize = 1024 * 1024;

/// One entry, without its `"\n\0"` terminator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogEntry {
    /// The entry as the phone sent it (invalid UTF-8 replaced), or its first bytes when cut.
    pub text: String,
    /// It was longer than the limit; `text` is its beginning.
    pub cut: bool,
}

/// Incremental splitter: [`feed`](Splitter::feed) bytes as they arrive, collect entries.
#[derive(Debug)]
pub struct Splitter {
    max: usize,
    buf: Vec<u8>,
    /// The last byte seen was a `\n` not yet known to be part of a terminator.
    pending_nl: bool,
    /// Inside an entry that was already handed out cut: drop bytes up to its terminator.
    skipping: bool,
}

impl Default for Splitter {
    fn default() -> Self {
        Splitter::new(MAX_ENTRY)
    }
}

impl Splitter {
    /// A splitter keeping at most `max` bytes of one entry (at least 1).
    pub fn new(max: usize) -> Self {
        Splitter {
            max: max.max(1),
            buf: Vec::new(),
            pending_nl: false,
            skipping: false,
        }
    }

    /// Bytes held for the entry in progress (never more than the limit).
    pub fn held(&self) -> usize {
        self.buf.len()
    }

    /// Take in `data`; every entry completed (or cut) by it is pushed to `out`.
    pub fn feed(&mut self, mut data: &[u8], out: &mut Vec<SyslogEntry>) {
        while !data.is_empty() {
            if self.pending_nl {
                self.pending_nl = false;
                if data[0] == 0 {
                    data = &data[1..];
                    if std::mem::take(&mut self.skipping) {
                        continue;
                    }
                    out.push(SyslogEntry {
                        text: String::from_utf8_lossy(&self.buf).into_owned(),
                        cut: false,
                    });
                    self.buf.clear();
                    continue;
                }
                // A `\n` inside the entry.
                self.put(b"\n", out);
            }
            // Up to the next `\n`: a terminator if a NUL follows.
            match memchr(b'\n', data) {
                Some(i) => {
                    self.put(&data[..i], out);
                    self.pending_nl = true;
                    data = &data[i + 1..];
                }
                None => {
                    self.put(data, out);
                    data = &[];
                }
            }
        }
    }

    /// Append entry bytes, cutting the entry once it passes the limit.
    fn put(&mut self, bytes: &[u8], out: &mut Vec<SyslogEntry>) {
        if self.skipping || bytes.is_empty() {
            return;
        }
        let room = self.max - self.buf.len();
        if bytes.len() <= room {
            self.buf.extend_from_slice(bytes);
            return;
        }
        self.buf.extend_from_slice(&bytes[..room]);
        out.push(SyslogEntry {
            text: String::from_utf8_lossy(&self.buf).into_owned(),
            cut: true,
        });
        self.buf.clear();
        self.skipping = true;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn split(max: usize, chunks: &[&[u8]]) -> Vec<SyslogEntry> {
        let mut s = Splitter::new(max);
        let mut out = Vec::new();
        for c in chunks {
            s.feed(c, &mut out);
            assert!(s.held() <= max);
        }
        out
    }

    fn e(text: &str, cut: bool) -> SyslogEntry {
        SyslogEntry {
            text: text.into(),
            cut,
        }
    }

    #[test]
    fn entries_end_at_newline_nul_and_may_contain_newlines() {
        let got = split(64, &[b"one\n\0two\nstill two\n\0", b"thr", b"ee\n", b"\0"]);
        assert_eq!(
            got,
            [
                e("one", false),
                e("two\nstill two", false),
                e("three", false)
            ]
        );
    }

    #[test]
    fn an_over_long_entry_is_cut_at_once_and_the_stream_goes_on() {
        let mut s = Splitter::new(8);
        let mut out = Vec::new();
        s.feed(b"0123456789", &mut out);
        // Reported as soon as the limit is passed, before the entry ends.
        assert_eq!(out, [e("01234567", true)]);
        for _ in 0..1000 {
            s.feed(b"endless\nline without a terminator", &mut out);
            assert!(s.held() <= 8);
        }
        s.feed(b"\n\0next\n\0", &mut out);
        assert_eq!(out, [e("01234567", true), e("next", false)]);
    }

    #[test]
    fn an_entry_of_exactly_the_limit_is_whole() {
        assert_eq!(split(4, &[b"abcd\n", b"\0"]), [e("abcd", false)]);
        assert_eq!(split(4, &[b"abc\n\n\0"]), [e("abc\n", false)]);
        assert_eq!(split(4, &[b"ab\0c\n\0"]), [e("ab\0c", false)]);
    }

    proptest! {
        /// However the stream is chunked, the entries are the same; whole entries come out as
        /// they went in, over-long ones as their first `max` bytes, and memory stays bounded.
        #[test]
        fn chunking_does_not_matter(
            entries in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..12),
            cuts in proptest::collection::vec(0usize..400, 0..8),
            max in 1usize..32,
        ) {
            // Entries without the terminator inside them.
            let entries: Vec<Vec<u8>> = entries
                .into_iter()
                .map(|mut v| {
                    while let Some(i) = v.windows(2).position(|w| w == b"\n\0") {
                        v.remove(i + 1);
                    }
                    if v.last() == Some(&b'\n') {
                        v.push(b'x');
                    }
                    v
                })
                .collect();
            let mut stream = Vec::new();
            for v in &entries {
                stream.extend_from_slice(v);
                stream.extend_from_slice(b"\n\0");
            }
            let mut at: Vec<usize> = cuts.into_iter().map(|c| c.min(stream.len())).collect();
            at.sort_unstable();
            let mut chunks: Vec<&[u8]> = Vec::new();
            let mut from = 0;
            for c in at {
                chunks.push(&stream[from..c]);
                from = c;
            }
            chunks.push(&stream[from..]);
            let got = split(max, &chunks);
            let want: Vec<SyslogEntry> = entries
                .iter()
                .map(|v| SyslogEntry {
                    text: String::from_utf8_lossy(&v[..v.len().min(max)]).into_owned(),
                    cut: v.len() > max,
                })
                .collect();
            prop_assert_eq!(got, want);
        }
    }
}
