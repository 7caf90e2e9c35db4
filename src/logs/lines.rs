//! Reading lines from a file or a pipe with flat memory, whatever the input size.
//!
//! Input is read in fixed chunks into one reusable buffer. A line longer than [`MAX_LINE`] is cut
//! (the rest of it is skipped and counted), so one endless line cannot grow memory. When a
//! prefilter is given, only lines that contain one of its literals are handed out, and the search
//! runs over the whole buffer at once (as ripgrep does) instead of line by line: lines that
//! cannot match any rule are never even split out.
//!
//! The whole-buffer scan is the hot loop of `analyze`. Aho-Corasick's SIMD searcher (Teddy) only
//! takes up to 64 patterns; past that it falls back to a byte-at-a-time automaton several times
//! slower. So [`Prefilter`] scans with a *cover* of the literals — at most 64 needles, each a
//! substring of some literals, such that every literal contains one (see [`cover`]) — and checks
//! each candidate line against the full literal set before handing it out. The lines handed out
//! are exactly the lines that contain a literal.

use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::HashMap;
use std::io::{self, Read};

/// Most needles the whole-buffer scan uses (the SIMD searcher's limit).
pub const MAX_NEEDLES: usize = 64;
/// Shortest needle [`cover`] makes by merging literals (shorter literals are kept as they are).
pub const MIN_NEEDLE: usize = 5;

/// The literal prefilter: which lines can match a rule.
#[derive(Debug, Clone)]
pub struct Prefilter {
    /// The needles of the whole-buffer scan (a cover of the literals, at most [`MAX_NEEDLES`]
    /// when the literals allow it).
    scan: AhoCorasick,
    /// Every literal, to confirm a candidate line; `None` when the scan uses the literals
    /// themselves.
    confirm: Option<AhoCorasick>,
    needles: Vec<String>,
    /// Per needle: it is a literal itself (a line containing it needs no confirmation).
    is_literal: Vec<bool>,
}

impl Prefilter {
    /// A prefilter passing exactly the lines that contain one of `literals`.
    pub fn new<S: AsRef<str>>(literals: &[S]) -> Result<Prefilter, aho_corasick::BuildError> {
        let needles = cover(literals, MAX_NEEDLES, MIN_NEEDLE);
        let exact = {
            let mut lits: Vec<&str> = literals.iter().map(AsRef::as_ref).collect();
            lits.sort_unstable();
            lits.dedup();
            let mut n: Vec<&str> = needles.iter().map(String::as_str).collect();
            n.sort_unstable();
            lits == n
        };
        let build = |pats: &[&str]| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(pats)
        };
        let scan = build(&needles.iter().map(String::as_str).collect::<Vec<_>>())?;
        let is_literal = needles
            .iter()
            .map(|n| literals.iter().any(|l| l.as_ref() == n))
            .collect();
        let confirm = if exact {
            None
        } else {
            Some(build(
                &literals.iter().map(AsRef::as_ref).collect::<Vec<_>>(),
            )?)
        };
        Ok(Prefilter {
            scan,
            confirm,
            needles,
            is_literal,
        })
    }

    /// Whether `hay` contains one of the literals.
    pub fn is_match(&self, hay: &[u8]) -> bool {
        match &self.confirm {
            Some(c) => c.is_match(hay),
            None => self.scan.is_match(hay),
        }
    }

    /// Whether a line in which the scan found `needle` contains a literal.
    fn confirms(&self, needle: aho_corasick::PatternID, line: &[u8]) -> bool {
        self.is_literal
            .get(needle.as_usize())
            .copied()
            .unwrap_or(false)
            || self.confirm.as_ref().is_none_or(|c| c.is_match(line))
    }

    /// The needles of the whole-buffer scan.
    pub fn needles(&self) -> &[String] {
        &self.needles
    }
}

/// A small set of needles such that every one of `literals` contains at least one needle: a line
/// without any needle contains no literal, so it can be skipped by a scan for the needles alone.
///
/// Literals containing another literal are dropped first (the shorter one finds both). While
/// there are more than `max` needles, the most `specific` substring (at least `min_len` bytes)
/// shared by two or more needles replaces them: `VOIPCTL keepalive.begin` and
/// `VOIPCTL keepalive.end` become `VOIPCTL keepalive.`. A needle found on many noise lines makes
/// them all candidates to confirm, so specificity matters more than length: `VOIPCTL ` (upper case,
/// a space) beats ` process` (a common word), which plain length would pick first. When no shared
/// substring is left, the result has more than `max` needles (still correct, slower).
pub fn cover<S: AsRef<str>>(literals: &[S], max: usize, min_len: usize) -> Vec<String> {
    let mut set: Vec<&str> = literals.iter().map(AsRef::as_ref).collect();
    set.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then(a.cmp(b)));
    set.dedup();
    // Shortest first: keep a literal only if no kept one is inside it.
    let mut needles: Vec<&str> = Vec::with_capacity(set.len());
    for l in set {
        if !needles.iter().any(|n| l.contains(n)) {
            needles.push(l);
        }
    }
    if needles.len() > max {
        // Every substring shared by two or more needles. Merging only removes needles (and adds
        // one contained in all it removes), so a substring's count never grows: one pass over
        // the candidates, most specific first, re-counting each, is the greedy algorithm.
        let mut seen: HashMap<&str, (usize, usize)> = HashMap::new();
        for (i, n) in needles.iter().enumerate() {
            for a in (0..n.len()).filter(|&a| n.is_char_boundary(a)) {
                for b in (a + min_len..=n.len()).filter(|&b| n.is_char_boundary(b)) {
                    let e = seen.entry(&n[a..b]).or_insert((0, usize::MAX));
                    if e.1 != i {
                        *e = (e.0 + 1, i);
                    }
                }
            }
        }
        let mut shared: Vec<&str> = seen
            .into_iter()
            .filter(|(_, (count, _))| *count >= 2)
            .map(|(s, _)| s)
            .collect();
        shared.sort_unstable_by(|a, b| {
            specific(b)
                .cmp(&specific(a))
                .then(b.len().cmp(&a.len()))
                .then(a.cmp(b))
        });
        for s in shared {
            if needles.len() <= max {
                break;
            }
            if needles.iter().filter(|n| n.contains(s)).count() >= 2 {
                needles.retain(|n| !n.contains(s));
                needles.push(s);
            }
        }
    }
    needles.into_iter().map(str::to_string).collect()
}

/// How rarely a substring is likely to occur in log text, as a score: lower-case letters are what
/// most of every message is made of (2 each), spaces separate any words (1), and upper case,
/// digits and punctuation mark identifiers and formats (6). On 20,000 lines of the benchmark's
/// log, ordering the merges of the built-in literals by this instead of by length cut the lines
/// the scan stops at from 4,156 to 211 (the 211 that hold a literal).
fn specific(s: &str) -> usize {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' => 2,
            b' ' => 1,
            _ => 6,
        })
        .sum()
}

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
    /// The last few lines read, with their numbers (see [`LineReader::tail`]).
    tail: std::collections::VecDeque<(u64, Vec<u8>)>,
}

/// Lines kept by [`LineReader::tail`], and the most bytes they may take.
const TAIL_LINES: usize = 16;
const TAIL_BYTES: usize = 64 * 1024;

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
            tail: std::collections::VecDeque::new(),
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
        prefilter: Option<&Prefilter>,
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
            let (flow, n_lines) = emit_region(region, first_line_no, prefilter, &mut f);
            self.stats.lines += n_lines;
            if n_lines > 0 {
                keep_tail(&mut self.tail, &self.buf[start..end], self.stats.lines);
            }
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

    /// The last lines read (up to 16, and 64 KiB), with their 1-based numbers: the prefilter
    /// skips lines that cannot match a rule, but their times still count (the log's end is the
    /// last line's time, whether or not a rule knows that line).
    pub fn tail(&self) -> Vec<Line<'_>> {
        self.tail
            .iter()
            .map(|(number, raw)| Line {
                number: *number,
                text: String::from_utf8_lossy(raw.strip_suffix(b"\r").unwrap_or(raw)),
            })
            .collect()
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

/// Keep the last lines read in `tail` (up to [`TAIL_LINES`], each of the last [`TAIL_BYTES`]
/// bytes of its region): `region` holds complete lines (the last may lack its newline at the
/// end of the input), the last of them numbered `last_no`.
fn keep_tail(tail: &mut std::collections::VecDeque<(u64, Vec<u8>)>, region: &[u8], last_no: u64) {
    if region.is_empty() {
        return;
    }
    let body = region.strip_suffix(b"\n").unwrap_or(region);
    let floor = body.len().saturating_sub(TAIL_BYTES);
    let mut pieces: Vec<&[u8]> = body[floor..]
        .rsplit(|b| *b == b'\n')
        .take(TAIL_LINES)
        .collect();
    // A first piece cut by the floor is not a whole line.
    if floor > 0 && pieces.len() == body[floor..].split(|b| *b == b'\n').count() {
        pieces.pop();
    }
    let mut no = last_no;
    let mut fresh = std::collections::VecDeque::new();
    for piece in pieces {
        fresh.push_front((no, piece.to_vec()));
        no = no.saturating_sub(1);
    }
    // Lines from earlier regions come first.
    while tail.len() + fresh.len() > TAIL_LINES {
        tail.pop_front();
    }
    tail.extend(fresh);
}

/// Hand out the lines of `region` (complete lines) to `f`; also returns how many lines
/// `region` holds.
fn emit_region(
    region: &[u8],
    first_line_no: u64,
    prefilter: Option<&Prefilter>,
    f: &mut impl FnMut(Line<'_>) -> Flow,
) -> (Flow, u64) {
    let mut pos = 0;
    // Lines are counted lazily: up to each line handed out, then the rest at the end, so every
    // byte is counted once.
    let mut counted_to = 0;
    let mut line_no = first_line_no;
    let mut flow = Flow::Continue;
    while pos < region.len() {
        let (line_start, needle) = match prefilter {
            None => (pos, None),
            Some(pre) => match pre.scan.find(&region[pos..]) {
                None => break,
                Some(m) => {
                    let at = pos + m.start();
                    let start =
                        memchr::memrchr(b'\n', &region[pos..at]).map_or(pos, |i| pos + i + 1);
                    (start, Some(m.pattern()))
                }
            },
        };
        let line_end =
            memchr::memchr(b'\n', &region[line_start..]).map_or(region.len(), |i| line_start + i);
        let raw = &region[line_start..line_end];
        if let (Some(pre), Some(needle)) = (prefilter, needle)
            && !pre.confirms(needle, raw)
        {
            // A needle but no literal: not a candidate.
            pos = line_end + 1;
            continue;
        }
        line_no += memchr::memchr_iter(b'\n', &region[counted_to..line_start]).count() as u64;
        counted_to = line_start;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = String::from_utf8_lossy(raw);
        if f(Line {
            number: line_no + 1,
            text,
        }) == Flow::Stop
        {
            flow = Flow::Stop;
            break;
        }
        pos = line_end + 1;
    }
    let rest = &region[counted_to..];
    let n_lines = line_no - first_line_no
        + memchr::memchr_iter(b'\n', rest).count() as u64
        + u64::from(!rest.is_empty() && !rest.ends_with(b"\n"));
    (flow, n_lines)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn collect(input: &[u8], pre: Option<&Prefilter>) -> (Vec<(u64, String)>, Stats) {
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

    fn tail_of(input: &[u8], pre: Option<&Prefilter>) -> Vec<(u64, String)> {
        let mut r = LineReader::new(input);
        r.for_each(pre, |_| Flow::Continue).unwrap();
        r.tail()
            .into_iter()
            .map(|l| (l.number, l.text.into_owned()))
            .collect()
    }

    #[test]
    fn the_tail_is_the_last_lines_whatever_the_prefilter_handed_out() {
        let ac = Prefilter::new(&["needle"]).unwrap();
        let t = tail_of(
            b"a needle
b
c
",
            Some(&ac),
        );
        assert_eq!(
            t,
            vec![(1, "a needle".into()), (2, "b".into()), (3, "c".into())]
        );
        let mut input = Vec::new();
        for n in 1..=40 {
            input.extend_from_slice(format!("line {n}\n").as_bytes());
        }
        let t = tail_of(&input, Some(&ac));
        assert_eq!(t.len(), TAIL_LINES);
        assert_eq!(t[0], (25, "line 25".into()));
        assert_eq!(t.last().unwrap(), &(40, "line 40".into()));
        assert!(tail_of(b"", None).is_empty());
        // Without a final newline, the last line still counts.
        assert_eq!(tail_of(b"x\ny", None).last().unwrap(), &(2, "y".into()));
        // Across chunks, the tail is the input's end.
        let mut big = Vec::new();
        let mut n = 0;
        while big.len() < CHUNK * 2 + 100 {
            n += 1;
            big.extend_from_slice(format!("l{n}\n").as_bytes());
        }
        assert_eq!(
            tail_of(&big, Some(&ac)).last().unwrap(),
            &(n, format!("l{n}"))
        );
    }

    #[test]
    fn prefilter_hands_out_only_candidates_with_right_numbers() {
        let ac = Prefilter::new(&["needle"]).unwrap();
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
        let ac = Prefilter::new(&["needle"]).unwrap();
        let (lines, stats) = collect(&input, Some(&ac));
        assert_eq!(lines.len(), n);
        assert_eq!(stats.lines, n as u64);
        for (i, (no, l)) in lines.iter().enumerate() {
            assert_eq!(*no, i as u64 + 1);
            assert_eq!(l, &format!("line {i} needle"));
        }
    }

    #[test]
    fn cover_merges_shared_substrings_longest_first() {
        let lits = [
            "VOIPCTL keepalive.begin",
            "VOIPCTL keepalive.end",
            "VOIPCTL socket.wake",
            "abc",
            "xxabcxx",
            "abc",
        ];
        // Containment and duplicates only: no merging needed.
        let mut c = cover(&lits, 10, 5);
        c.sort();
        assert_eq!(
            c,
            [
                "VOIPCTL keepalive.begin",
                "VOIPCTL keepalive.end",
                "VOIPCTL socket.wake",
                "abc"
            ]
        );
        let mut c = cover(&lits, 3, 5);
        c.sort();
        assert_eq!(c, ["VOIPCTL keepalive.", "VOIPCTL socket.wake", "abc"]);
        let mut c = cover(&lits, 2, 5);
        c.sort();
        assert_eq!(c, ["VOIPCTL ", "abc"]);
        // Nothing shared of the minimum length: more needles than asked, still a cover.
        assert_eq!(cover(&["abcdef", "uvwxyz"], 1, 5).len(), 2);
        // Multi-byte characters are never cut.
        let c = cover(&["caf\u{e9} au lait", "caf\u{e9} noir"], 1, 4);
        assert_eq!(c, ["caf\u{e9} "]);
    }

    #[test]
    fn prefilter_confirms_candidates_against_every_literal() {
        let lits: Vec<String> = (0..100)
            .map(|i| format!("common prefix {i:03} end"))
            .collect();
        let pre = Prefilter::new(&lits).unwrap();
        assert!(pre.needles().len() <= MAX_NEEDLES, "{:?}", pre.needles());
        let input = "a common prefix 999 end\nb common prefix 042 end\nc common prefix\n";
        let (lines, stats) = collect(input.as_bytes(), Some(&pre));
        assert_eq!(lines, vec![(2, "b common prefix 042 end".into())]);
        assert_eq!(stats.lines, 3);
    }

    proptest::proptest! {
        // Each case builds automata over ~80 literals: fewer cases keep the debug-build test fast.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Every literal contains a needle, so a line without needles has no literal.
        #[test]
        fn cover_covers_every_literal(
            lits in proptest::collection::vec("[ab\u{e9} ]{3,12}", 1..40),
            max in 1usize..20,
            min_len in 1usize..6,
        ) {
            let c = cover(&lits, max, min_len);
            for l in &lits {
                proptest::prop_assert!(c.iter().any(|n| l.contains(n.as_str())), "{l:?} not covered by {c:?}");
            }
            for n in &c {
                proptest::prop_assert!(lits.contains(n) || n.len() >= min_len);
            }
        }

        /// The tail is the input's last lines (up to 16), numbered as the reader numbers them.
        #[test]
        fn the_tail_is_the_last_lines(
            lines in proptest::collection::vec("[ab\r]{0,12}", 0..60),
            newline_at_end in proptest::bool::ANY,
        ) {
            let mut input = lines.join("\n");
            if newline_at_end && !input.is_empty() {
                input.push('\n');
            }
            let (all, _) = collect(input.as_bytes(), None);
            let want: Vec<_> = all[all.len().saturating_sub(TAIL_LINES)..].to_vec();
            let pre = Prefilter::new(&["b"]).unwrap();
            proptest::prop_assert_eq!(tail_of(input.as_bytes(), None), want.clone());
            proptest::prop_assert_eq!(tail_of(input.as_bytes(), Some(&pre)), want);
        }

        /// With merged needles, the prefilter hands out exactly the lines containing a literal.
        #[test]
        fn merged_prefilter_equals_literal_filter(
            lits in proptest::collection::vec("[abc]{6,9}", 70..90),
            lines in proptest::collection::vec("[abc\r]{0,24}", 0..60),
        ) {
            let input = lines.join("\n");
            let pre = Prefilter::new(&lits).unwrap();
            let (all, s1) = collect(input.as_bytes(), None);
            let (got, s2) = collect(input.as_bytes(), Some(&pre));
            let expect: Vec<_> = all
                .into_iter()
                .filter(|(_, l)| lits.iter().any(|x| l.contains(x.as_str())))
                .collect();
            proptest::prop_assert_eq!(got, expect);
            proptest::prop_assert_eq!(s1, s2);
        }
    }

    proptest::proptest! {
        #[test]
        fn prefiltered_lines_equal_filtered_all_lines(
            lines in proptest::collection::vec("[a-c\r]{0,12}", 0..40)
        ) {
            let input = lines.join("\n");
            let ac = Prefilter::new(&["ab", "cc"]).unwrap();
            let (all, s1) = collect(input.as_bytes(), None);
            let (pre, s2) = collect(input.as_bytes(), Some(&ac));
            let expect: Vec<_> = all.into_iter().filter(|(_, l)| l.contains("ab") || l.contains("cc")).collect();
            proptest::prop_assert_eq!(pre, expect);
            proptest::prop_assert_eq!(s1, s2);
        }
    }
}
