//! Reading lines from a file or a pipe with flat memory, whatever the input size.
//!
//! Input is read in fixed chunks into one reusable buffer. A line longer than [`MAX_LINE`] is cut
//! (the rest of it is skipped and counted), so one endless line cannot grow memory. When a
//! prefilter is given, only lines that contain one of its literals are handed out, and the search
//! runs over the whole buffer at once (as ripgrep does) instead of line by line: lines that
//! cannot match any rule are never even split out.

use aho_corasick::AhoCorasick;
use std::io::{self, Read};

/// Lines longer than this are cut; the cut part is counted in [`Stats::truncated`].
pub const MAX_LINE: usize = 1024 * 1024;
const CHUNK: usize = MAX_LINE;

/// What the reader saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes read.
    pub bytes: u64,
    /// Lines read (handed out or not).
    pub lines: u64,
    /// Lines cut at [`MAX_LINE`].
    pub truncated: u64,
}

/// A line handed to the consumer: its 1-based number and its text (lossy UTF-8, without the
/// terminator).
#[derive(Debug)]
pub struct Line<'a> {
    /// 1-based line number in the input.
    pub number: u64,
    /// The text.
    pub text: std::borrow::Cow<'a, str>,
}

/// Streams lines from `R`.
#[derive(Debug)]
pub struct LineReader<R> {
    src: R,
    buf: Vec<u8>,
    /// Valid bytes in `buf`.
    len: usize,
    eof: bool,
    skipping: bool,
    stats: Stats,
}

/// What the consumer wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep going.
    Continue,
    /// Stop reading.
    Stop,
}

impl<R: Read> LineReader<R> {
    /// A reader over `src`.
    pub fn new(src: R) -> Self {
        LineReader {
            src,
            buf: vec![0; 2 * CHUNK],
            len: 0,
            eof: false,
            skipping: false,
            stats: Stats::default(),
        }
    }

    /// What was read so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Hand every line (or, with `prefilter`, every line containing one of its literals) to `f`
    /// until the input ends or `f` says stop.
    pub fn for_each(
        &mut self,
        prefilter: Option<&AhoCorasick>,
        mut f: impl FnMut(Line<'_>) -> Flow,
    ) -> io::Result<()> {
        loop {
            self.fill()?;
            if self.len == 0 {
                return Ok(());
            }
            // The complete lines in the buffer: up to the last newline (or everything at EOF).
            let end = match memchr::memrchr(b'\n', &self.buf[..self.len]) {
                Some(i) => i + 1,
                None if self.eof || self.len >= CHUNK => self.len,
                None => continue,
            };
            let mut start = 0;
            if self.skipping {
                // Finish skipping the tail of an over-long line.
                match memchr::memchr(b'\n', &self.buf[..end]) {
                    Some(i) => {
                        start = i + 1;
                        self.skipping = false;
                    }
                    None => {
                        self.consume(end);
                        continue;
                    }
                }
            }
            let first_line_no = self.stats.lines;
            let region = &self.buf[start..end];
            let n_lines = memchr::memchr_iter(b'\n', region).count() as u64
                + u64::from(!region.ends_with(b"\n") && !region.is_empty());
            let flow = emit_region(region, first_line_no, prefilter, &mut f);
            self.stats.lines += n_lines;
            // A line without newline that fills the buffer is cut: skip the rest of it.
            if end == self.len && !self.buf[..end].ends_with(b"\n") && !self.eof {
                self.stats.truncated += 1;
                self.skipping = true;
            }
            self.consume(end);
            if flow == Flow::Stop {
                return Ok(());
            }
        }
    }

    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.len, 0);
        self.len -= n;
    }

    fn fill(&mut self) -> io::Result<()> {
        while !self.eof && self.len < CHUNK {
            let cap = self.buf.len();
            match self.src.read(&mut self.buf[self.len..cap]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.len += n;
                    self.stats.bytes += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Hand out the lines of `region` (complete lines) to `f`.
fn emit_region(
    region: &[u8],
    first_line_no: u64,
    prefilter: Option<&AhoCorasick>,
    f: &mut impl FnMut(Line<'_>) -> Flow,
) -> Flow {
    let mut pos = 0;
    // Line numbers are counted lazily: only for lines handed out.
    let mut counted_to = 0;
    let mut line_no = first_line_no;
    while pos < region.len() {
        let line_start = match prefilter {
            None => pos,
            Some(ac) => match ac.find(&region[pos..]) {
                None => return Flow::Continue,
                Some(m) => {
                    let at = pos + m.start();
                    memchr::memrchr(b'\n', &region[pos..at]).map_or(pos, |i| pos + i + 1)
                }
            },
        };
        let line_end =
            memchr::memchr(b'\n', &region[line_start..]).map_or(region.len(), |i| line_start + i);
        line_no += memchr::memchr_iter(b'\n', &region[counted_to..line_start]).count() as u64;
        counted_to = line_start;
        let raw = &region[line_start..line_end];
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = String::from_utf8_lossy(raw);
        if f(Line {
            number: line_no + 1,
            text,
        }) == Flow::Stop
        {
            return Flow::Stop;
        }
        pos = line_end + 1;
    }
    Flow::Continue
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn collect(input: &[u8], pre: Option<&AhoCorasick>) -> (Vec<(u64, String)>, Stats) {
        let mut r = LineReader::new(input);
        let mut out = Vec::new();
        r.for_each(pre, |l| {
            out.push((l.number, l.text.into_owned()));
            Flow::Continue
        })
        .unwrap();
        (out, r.stats())
    }

    #[test]
    fn all_lines_with_numbers() {
        let (lines, stats) = collect(b"a\nb\r\n\nlast", None);
        assert_eq!(
            lines,
            vec![
                (1, "a".into()),
                (2, "b".into()),
                (3, String::new()),
                (4, "last".into())
            ]
        );
        assert_eq!(stats.lines, 4);
        assert_eq!(stats.bytes, 10);
    }

    #[test]
    fn prefilter_hands_out_only_candidates_with_right_numbers() {
        let ac = AhoCorasick::new(["needle"]).unwrap();
        let (lines, stats) = collect(b"x\nhay needle\ny\nz needle needle\nno", Some(&ac));
        assert_eq!(
            lines,
            vec![(2, "hay needle".into()), (4, "z needle needle".into())]
        );
        assert_eq!(stats.lines, 5);
    }

    #[test]
    fn over_long_lines_are_cut_and_counted() {
        let mut input = vec![b'x'; MAX_LINE * 3 + 7];
        input.extend_from_slice(b"\nshort\n");
        let (lines, stats) = collect(&input, None);
        assert_eq!(lines.last().unwrap().1, "short");
        assert!(stats.truncated >= 1);
        assert!(lines.iter().all(|(_, l)| l.len() <= 2 * MAX_LINE));
    }

    #[test]
    fn lines_across_chunk_boundaries_stay_whole() {
        let mut input = Vec::new();
        let mut n = 0;
        while input.len() < CHUNK * 3 {
            input.extend_from_slice(format!("line {n} needle\n").as_bytes());
            n += 1;
        }
        let ac = AhoCorasick::new(["needle"]).unwrap();
        let (lines, stats) = collect(&input, Some(&ac));
        assert_eq!(lines.len(), n);
        assert_eq!(stats.lines, n as u64);
        for (i, (no, l)) in lines.iter().enumerate() {
            assert_eq!(*no, i as u64 + 1);
            assert_eq!(l, &format!("line {i} needle"));
        }
    }

    proptest::proptest! {
        #[test]
        fn prefiltered_lines_equal_filtered_all_lines(
            lines in proptest::collection::vec("[a-c\r]{0,12}", 0..40)
        ) {
            let input = lines.join("\n");
            let ac = AhoCorasick::new(["ab", "cc"]).unwrap();
            let (all, s1) = collect(input.as_bytes(), None);
            let (pre, s2) = collect(input.as_bytes(), Some(&ac));
            let expect: Vec<_> = all.into_iter().filter(|(_, l)| l.contains("ab") || l.contains("cc")).collect();
            proptest::prop_assert_eq!(pre, expect);
            proptest::prop_assert_eq!(s1, s2);
        }
    }
}
