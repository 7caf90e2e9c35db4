//! Decoding device log lines in every shape real people save them in, auto-detected per line.
//!
//! Logs reach voipctl from many tools, and a saved file may even mix them (a recording pasted into
//! an issue next to Xcode's console). So every line is decoded on its own: the format that
//! decoded the previous line is tried first, then the others, and a line that matches none is a
//! *bare* message (a crash-report field, a continuation line, an Xcode 15 console line) rather than
//! an error. Decoding borrows from the line; only escaped text (vis(3), JSON) is copied.
//! No input makes a decoder panic: they are fuzzed (`fuzz/fuzz_targets/log_line.rs`).

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The prefix style a line was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// syslog_relay / `idevicesyslog`: `Mon dd HH:MM:SS host proc(image)[pid] <Level>: msg`
    /// (also the old jailbreak syslogd files, which have no `<Level>`).
    Syslog,
    /// voipctl's own recording (`watch --record`): JSON Lines around the raw stream.
    Recording,
    /// pymobiledevice3 `syslog live --format json`.
    Pymobiledevice3Json,
    /// pymobiledevice3 `syslog live` text: `YYYY-MM-DD HH:MM:SS.ffffff proc{image}[pid] <LEVEL>: msg`.
    Pymobiledevice3,
    /// Xcode's debug console: `YYYY-MM-DD HH:MM:SS.ffffff+ZZZZ App[pid:tid] msg`.
    Xcode,
    /// macOS `log show`/`log stream` (sysdiagnose archives), default and compact styles.
    LogShow,
    /// Console.app "Copy": tab-separated `type  time  process  [subsystem  category]  message`.
    Console,
    /// Old jailbreak syslog: `Wed May 27 07:34:41 2015: SpringBoard (…): msg`.
    Jailbreak,
    /// A binary os_trace_relay entry (live only; recorded as structured JSON).
    OsTrace,
    /// No recognised prefix: the whole line is the message.
    Bare,
}

impl Format {
    /// Every format, in the order they are tried after the previous line's.
    pub const ALL: [Format; 8] = [
        Format::Syslog,
        Format::Recording,
        Format::Pymobiledevice3Json,
        Format::Pymobiledevice3,
        Format::Xcode,
        Format::LogShow,
        Format::Console,
        Format::Jailbreak,
    ];

    /// The name used in the summary and the README.
    pub fn name(self) -> &'static str {
        match self {
            Format::Syslog => "syslog",
            Format::Recording => "recording",
            Format::Pymobiledevice3Json => "pymobiledevice3-json",
            Format::Pymobiledevice3 => "pymobiledevice3",
            Format::Xcode => "xcode",
            Format::LogShow => "log-show",
            Format::Console => "console",
            Format::Jailbreak => "jailbreak",
            Format::OsTrace => "os-trace",
            Format::Bare => "bare",
        }
    }
}

/// Severity of a line, ordered from least to most severe.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Debug.
    Debug,
    /// Info.
    Info,
    /// Notice / Default.
    Notice,
    /// Warning.
    Warning,
    /// Error.
    Error,
    /// Fault / Critical / Alert / Emergency.
    Fault,
}

impl Level {
    /// Parse the level names the tools print (`Notice`, `<NOTICE>`, `default`, `Df`, `E`…).
    pub fn parse(s: &str) -> Option<Level> {
        let s = s.trim_matches(|c| c == '<' || c == '>' || c == ' ');
        Some(match s.to_ascii_lowercase().as_str() {
            "debug" | "db" | "d" => Level::Debug,
            "info" | "i" => Level::Info,
            "notice" | "default" | "df" | "user_action" | "activity" | "par défaut"
            | "standard" | "standaard" | "predeterminado" | "predefinito" | "padrão" => {
                Level::Notice
            }
            "warning" | "warn" | "w" => Level::Warning,
            "error" | "err" | "e" => Level::Error,
            "fault" | "critical" | "crit" | "alert" | "emergency" | "emerg" | "f" | "fa" => {
                Level::Fault
            }
            _ => return None,
        })
    }
    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Notice => "notice",
            Level::Warning => "warning",
            Level::Error => "error",
            Level::Fault => "fault",
        }
    }
}

/// A point in time as far as the line tells it.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Stamp {
    /// Seconds on this stamp's scale.
    pub secs: f64,
    /// What the seconds count from.
    pub scale: Scale,
}

/// The reference of a [`Stamp`]: only stamps of the same scale can be subtracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd)]
pub enum Scale {
    /// Unix time (a full date was given; time zone applied when given).
    Unix,
    /// From the start of an unknown year (syslog stamps have no year).
    YearRelative,
    /// From the start of an unknown day (Console.app copies may carry only the time).
    DayRelative,
}

impl Stamp {
    /// A Unix stamp.
    pub fn unix(secs: f64) -> Stamp {
        Stamp {
            secs,
            scale: Scale::Unix,
        }
    }

    /// Put a stamp without year (or date) on the Unix scale, using `reference` (Unix seconds,
    /// e.g. when the line was received) for what the stamp does not say: the year nearest to the
    /// reference (a December line read in January is last year's), or the reference's day.
    pub fn anchored(self, reference: f64) -> Stamp {
        if !reference.is_finite() {
            return self;
        }
        match self.scale {
            Scale::Unix => self,
            Scale::DayRelative => {
                let day = (reference / 86400.0).floor() * 86400.0;
                let mut t = day + self.secs;
                if t > reference + 43200.0 {
                    t -= 86400.0;
                }
                Stamp::unix(t)
            }
            Scale::YearRelative => {
                let (year, _, _) = civil_from_days((reference / 86400.0).floor() as i64);
                let doy = (self.secs / 86400.0).floor().clamp(0.0, 364.0) as u32;
                let sod = self.secs - f64::from(doy) * 86400.0;
                let month = DAYS_BEFORE_MONTH
                    .iter()
                    .rposition(|d| *d <= doy)
                    .unwrap_or(0);
                let day = doy - DAYS_BEFORE_MONTH[month] + 1;
                let at = |y: i64| days_from_civil(y, month as u32 + 1, day) as f64 * 86400.0 + sod;
                let mut t = at(year);
                if t > reference + 180.0 * 86400.0 {
                    t = at(year - 1);
                }
                Stamp::unix(t)
            }
        }
    }
}

/// One decoded log line. Strings borrow from the input where no unescaping was needed.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<'a> {
    /// The prefix style.
    pub format: Format,
    /// The timestamp text as written (empty when none).
    pub time_text: Cow<'a, str>,
    /// The timestamp, when it could be read.
    pub time: Option<Stamp>,
    /// The emitting process (executable name), empty when unknown.
    pub process: Cow<'a, str>,
    /// The image (library) that logged, when given.
    pub image: Option<Cow<'a, str>>,
    /// Process ID, when given.
    pub pid: Option<u32>,
    /// Level, when given.
    pub level: Option<Level>,
    /// os_log subsystem, when given.
    pub subsystem: Option<Cow<'a, str>>,
    /// os_log category, when given.
    pub category: Option<Cow<'a, str>>,
    /// The message (vis(3) and JSON escapes decoded).
    pub message: Cow<'a, str>,
}

impl<'a> Entry<'a> {
    /// A line without any recognised prefix.
    pub fn bare(line: &'a str) -> Self {
        Entry {
            format: Format::Bare,
            time_text: Cow::Borrowed(""),
            time: None,
            process: Cow::Borrowed(""),
            image: None,
            pid: None,
            level: None,
            subsystem: None,
            category: None,
            message: Cow::Borrowed(line),
        }
    }

    /// Copy every borrowed field so the entry outlives its buffer.
    pub fn into_owned(self) -> Entry<'static> {
        fn own(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        Entry {
            format: self.format,
            time_text: own(self.time_text),
            time: self.time,
            process: own(self.process),
            image: self.image.map(own),
            pid: self.pid,
            level: self.level,
            subsystem: self.subsystem.map(own),
            category: self.category.map(own),
            message: own(self.message),
        }
    }
}

/// Decodes lines, remembering which format matched last (files are rarely mixed, so the first
/// try nearly always hits).
#[derive(Debug, Clone)]
pub struct Decoder {
    last: Format,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            last: Format::Syslog,
        }
    }
}

impl Decoder {
    /// A decoder with no history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decode one line (without its line terminator). Never fails: unknown shapes are bare.
    pub fn decode<'a>(&mut self, line: &'a str) -> Entry<'a> {
        let line = line.trim_end_matches(['\r', '\n', '\0']);
        if let Some(e) = decode_as(self.last, line) {
            return e;
        }
        for f in Format::ALL {
            if f == self.last {
                continue;
            }
            if let Some(e) = decode_as(f, line) {
                self.last = f;
                return e;
            }
        }
        Entry::bare(line)
    }
}

/// Decode one line in one given format; `None` when the line is not in that format.
pub fn decode_as(format: Format, line: &str) -> Option<Entry<'_>> {
    match format {
        Format::Syslog => syslog(line),
        Format::Recording => recording(line),
        Format::Pymobiledevice3Json => pmd3_json(line),
        Format::Pymobiledevice3 => pmd3_text(line),
        Format::Xcode => xcode(line),
        Format::LogShow => log_show(line),
        Format::Console => console(line),
        Format::Jailbreak => jailbreak(line),
        Format::OsTrace => None,
        Format::Bare => Some(Entry::bare(line)),
    }
}

/// Decode one line with a fresh decoder (for tests, fuzzing and one-off use).
pub fn decode_line(line: &str) -> Entry<'_> {
    Decoder::new().decode(line)
}

// ---------------------------------------------------------------------------------------------
// syslog_relay / idevicesyslog

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS_BEFORE_MONTH: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

fn month_index(s: &str) -> Option<usize> {
    MONTHS.iter().position(|m| *m == s)
}

/// `HH:MM:SS[.fff…]` at the start of `s`: (seconds in day, bytes used).
fn clock(s: &str) -> Option<(f64, usize)> {
    let b = s.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let h = two(&b[0..2])?;
    let m = two(&b[3..5])?;
    let sec = two(&b[6..8])?;
    if h > 24 || m > 59 || sec > 60 {
        return None;
    }
    let mut used = 8;
    let mut frac = 0.0;
    if b.get(8) == Some(&b'.') {
        let digits = b[9..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let mut scale = 0.1;
        for d in &b[9..9 + digits.min(9)] {
            frac += f64::from(d - b'0') * scale;
            scale /= 10.0;
        }
        used = 9 + digits;
    }
    Some((f64::from(h * 3600 + m * 60 + sec) + frac, used))
}

fn two(b: &[u8]) -> Option<u32> {
    match b {
        [a, c] if a.is_ascii_digit() && c.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(c - b'0'))
        }
        _ => None,
    }
}

fn digits_u32(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `Mon dd HH:MM:SS[.fff]` → (stamp, rest after the following space).
fn syslog_stamp(line: &str) -> Option<(Stamp, &str, &str)> {
    let b = line.as_bytes();
    if b.len() < 16 || b[3] != b' ' {
        return None;
    }
    let month = month_index(line.get(0..3)?)?;
    let day_s = line.get(4..6)?;
    let day = day_s.trim_start().parse::<u32>().ok()?;
    if !(1..=31).contains(&day) || b[6] != b' ' {
        return None;
    }
    let (secs, used) = clock(line.get(7..)?)?;
    let end = 7 + used;
    let rest = line.get(end..)?.strip_prefix(' ')?;
    let doy = DAYS_BEFORE_MONTH[month] + day - 1;
    Some((
        Stamp {
            secs: f64::from(doy) * 86400.0 + secs,
            scale: Scale::YearRelative,
        },
        line.get(..end)?,
        rest,
    ))
}

/// `proc(image)[pid] <Level>: msg` or `proc[pid]: msg` (after the host).
/// Returns (process, image, pid, level, message).
fn proc_part(rest: &str) -> Option<ProcPart<'_>> {
    // The header ends at the first "]: " or "] <"; the process name may contain spaces.
    let close = find_header_end(rest)?;
    let head = &rest[..close]; // "proc(image)[pid"
    let open = head.rfind('[')?;
    let pid = digits_u32(&head[open + 1..])?;
    let name = &head[..open];
    let (process, image) = match name
        .strip_suffix(')')
        .and_then(|n| n.rfind('(').map(|i| (n, i)))
    {
        Some((n, i)) => (&n[..i], Some(&n[i + 1..])),
        None => match name
            .strip_suffix('}')
            .and_then(|n| n.rfind('{').map(|i| (n, i)))
        {
            Some((n, i)) => (&n[..i], Some(&n[i + 1..])),
            None => (name, None),
        },
    };
    let after = &rest[close + 1..];
    let (level, message) = if let Some(lv) = after.strip_prefix(" <") {
        let gt = lv.find(">:")?;
        let level = Level::parse(&lv[..gt]);
        let msg = &lv[gt + 2..];
        (level, msg.strip_prefix(' ').unwrap_or(msg))
    } else {
        let msg = after.strip_prefix(':')?;
        (None, msg.strip_prefix(' ').unwrap_or(msg))
    };
    if process.is_empty() {
        return None;
    }
    Some(ProcPart {
        process,
        image: image.filter(|i| !i.is_empty()),
        pid,
        level,
        message,
    })
}

struct ProcPart<'a> {
    process: &'a str,
    image: Option<&'a str>,
    pid: u32,
    level: Option<Level>,
    message: &'a str,
}

fn find_header_end(rest: &str) -> Option<usize> {
    let b = rest.as_bytes();
    let mut i = 0;
    while let Some(off) = memchr::memchr(b']', &b[i..]) {
        let at = i + off;
        match b.get(at + 1) {
            Some(b':') | None => return Some(at),
            Some(b' ') if b.get(at + 2) == Some(&b'<') => return Some(at),
            _ => {}
        }
        i = at + 1;
        if i > 512 {
            return None;
        }
    }
    None
}

fn syslog(line: &str) -> Option<Entry<'_>> {
    let (stamp, time_text, rest) = syslog_stamp(line)?;
    let sp = rest.find(' ')?;
    let host = &rest[..sp];
    let p = if host.contains('[') {
        // idevicesyslog (libimobiledevice 1.3) leaves the device name out by default:
        // `Mon dd HH:MM:SS proc(image)[pid] <Level>: msg`.
        proc_part(rest)?
    } else if host.is_empty() {
        return None;
    } else {
        proc_part(&rest[sp + 1..])?
    };
    Some(Entry {
        format: Format::Syslog,
        time_text: Cow::Borrowed(time_text),
        time: Some(stamp),
        process: Cow::Borrowed(p.process),
        image: p.image.map(Cow::Borrowed),
        pid: Some(p.pid),
        level: p.level,
        subsystem: None,
        category: None,
        message: unvis(p.message),
    })
}

// ---------------------------------------------------------------------------------------------
// vis(3)

/// Undo vis(3) escaping as syslog_relay applies it to bytes above ASCII and control bytes:
/// `\M-x` (meta), `\M^X` (meta-control), `\^X` (control), `\ddd` (octal), `\\`. Anything else
/// is kept as written; bytes that are not UTF-8 afterwards become U+FFFD.
pub fn unvis(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut changed = false;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let rest = &b[i + 1..];
        match rest {
            [b'M', b'-', c, ..] => {
                out.push(c | 0x80);
                i += 4;
                changed = true;
            }
            [b'M', b'^', c, ..] => {
                out.push(control(*c) | 0x80);
                i += 4;
                changed = true;
            }
            [b'^', c, ..]
                if c.is_ascii_uppercase()
                    || matches!(c, b'@' | b'[' | b'\\' | b']' | b'^' | b'_' | b'?') =>
            {
                out.push(control(*c));
                i += 3;
                changed = true;
            }
            [a, bb, c, ..]
                if (b'0'..=b'3').contains(a)
                    && (b'0'..=b'7').contains(bb)
                    && (b'0'..=b'7').contains(c) =>
            {
                out.push((a - b'0') * 64 + (bb - b'0') * 8 + (c - b'0'));
                i += 4;
                changed = true;
            }
            [b'\\', ..] => {
                out.push(b'\\');
                i += 2;
                changed = true;
            }
            _ => {
                out.push(b'\\');
                i += 1;
            }
        }
    }
    if !changed {
        return Cow::Borrowed(s);
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn control(c: u8) -> u8 {
    if c == b'?' { 0x7f } else { c & 0x1f }
}

// ---------------------------------------------------------------------------------------------
// Dates with a year

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    // Howard Hinnant's algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD[ T]HH:MM:SS[.fff][±ZZZZ|±ZZ:ZZ|Z]` at the start of `s` → (stamp, bytes used).
fn iso_stamp(s: &str) -> Option<(Stamp, usize)> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b' ' || b[10] == b'T') {
        return None;
    }
    let y: i64 = s.get(0..4)?.parse().ok()?;
    let m = two(&b[5..7])?;
    let d = two(&b[8..10])?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let (secs, used) = clock(s.get(11..)?)?;
    let mut end = 11 + used;
    let mut offset = 0i64;
    match b.get(end) {
        Some(b'Z') => end += 1,
        Some(sign @ (b'+' | b'-')) => {
            let z = &b[end + 1..];
            let (hh, mm, n) = match z {
                [a, b1, b':', c, d1, ..] => (two(&[*a, *b1])?, two(&[*c, *d1])?, 6),
                [a, b1, c, d1, ..] if c.is_ascii_digit() => (two(&[*a, *b1])?, two(&[*c, *d1])?, 5),
                [a, b1, ..] => (two(&[*a, *b1])?, 0, 3),
                _ => return None,
            };
            offset = i64::from(hh * 3600 + mm * 60);
            if *sign == b'-' {
                offset = -offset;
            }
            end += n;
        }
        _ => {}
    }
    let day = days_from_civil(y, m, d);
    Some((
        Stamp {
            secs: (day * 86400 - offset) as f64 + secs,
            scale: Scale::Unix,
        },
        end,
    ))
}

// ---------------------------------------------------------------------------------------------
// pymobiledevice3

fn pmd3_text(line: &str) -> Option<Entry<'_>> {
    let (stamp, used) = iso_stamp(line)?;
    let rest = line.get(used..)?.strip_prefix(' ')?;
    // proc{image}[pid] <LEVEL>: msg
    let brace = rest.find('{')?;
    let sp = rest.find(' ').unwrap_or(usize::MAX);
    if brace > sp && !rest[..brace].ends_with(char::is_alphanumeric) {
        return None;
    }
    let p = proc_part(rest)?;
    p.image?;
    if !rest.contains("}[") {
        return None;
    }
    Some(Entry {
        format: Format::Pymobiledevice3,
        time_text: Cow::Borrowed(&line[..used]),
        time: Some(stamp),
        process: Cow::Borrowed(p.process),
        image: p.image.map(Cow::Borrowed),
        pid: Some(p.pid),
        level: p.level,
        subsystem: None,
        category: None,
        message: Cow::Borrowed(p.message),
    })
}

#[derive(Deserialize)]
struct Pmd3Json<'a> {
    pid: Option<u32>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    level: Option<Cow<'a, str>>,
    #[serde(borrow)]
    image_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    filename: Option<Cow<'a, str>>,
    #[serde(borrow)]
    message: Cow<'a, str>,
    #[serde(borrow)]
    label: Option<Pmd3Label<'a>>,
}

#[derive(Deserialize)]
struct Pmd3Label<'a> {
    #[serde(borrow)]
    subsystem: Option<Cow<'a, str>>,
    #[serde(borrow)]
    category: Option<Cow<'a, str>>,
}

fn basename(c: Cow<'_, str>) -> Cow<'_, str> {
    match c {
        Cow::Borrowed(s) => Cow::Borrowed(s.rsplit('/').next().unwrap_or(s)),
        Cow::Owned(s) => Cow::Owned(s.rsplit('/').next().unwrap_or(&s).to_string()),
    }
}

fn pmd3_json(line: &str) -> Option<Entry<'_>> {
    let t = line.trim_start();
    if !t.starts_with('{') || !t.contains("\"message\"") {
        return None;
    }
    let j: Pmd3Json<'_> = serde_json::from_str(t).ok()?;
    let time = j.timestamp.as_deref().and_then(iso_stamp).map(|(s, _)| s);
    let (subsystem, category) = match j.label {
        Some(l) => (l.subsystem, l.category),
        None => (None, None),
    };
    Some(Entry {
        format: Format::Pymobiledevice3Json,
        time_text: j.timestamp.unwrap_or(Cow::Borrowed("")),
        time,
        process: j.filename.map(basename).unwrap_or(Cow::Borrowed("")),
        image: j.image_name.map(basename),
        pid: j.pid,
        level: j.level.as_deref().and_then(Level::parse),
        subsystem,
        category,
        message: j.message,
    })
}

// ---------------------------------------------------------------------------------------------
// voipctl recording

/// One line of a voipctl recording (`watch --record`). The first line is a header
/// (`{"voipctl_recording":1,…}`); then one object per log entry (`line` for syslog_relay text
/// exactly as the phone sent it; `message` and the other fields for os_trace_relay entries), or
/// per connection event (`event`: `disconnected` / `reconnected`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordingLine<'a> {
    /// Host receive time (syslog_relay, connection events) or the entry's own time
    /// (os_trace_relay), Unix seconds.
    pub t: f64,
    /// The raw syslog_relay entry (vis-escaped as the phone sent it).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub line: Option<Cow<'a, str>>,
    /// Connection event: `disconnected` or `reconnected`.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Cow<'a, str>>,
    /// os_trace: process id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// os_trace: process name.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub process: Option<Cow<'a, str>>,
    /// os_trace: image.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Cow<'a, str>>,
    /// os_trace: level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// os_trace: subsystem.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub subsystem: Option<Cow<'a, str>>,
    /// os_trace: category.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Cow<'a, str>>,
    /// os_trace: message.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Cow<'a, str>>,
}

fn recording(line: &str) -> Option<Entry<'_>> {
    if line.starts_with("{\"voipctl_recording\":") {
        return Some(Entry {
            format: Format::Recording,
            process: Cow::Borrowed("voipctl"),
            ..Entry::bare(line)
        });
    }
    if !line.starts_with("{\"t\":") {
        return None;
    }
    let r: RecordingLine<'_> = serde_json::from_str(line).ok()?;
    if !r.t.is_finite() {
        return None;
    }
    let received = Stamp::unix(r.t);
    if let Some(raw) = r.line {
        let inner: Entry<'_> = Decoder::new().decode(&raw).into_owned();
        // The line's own stamp (device time) wins; the receive time gives it its year.
        let time = inner.time.map_or(received, |s| s.anchored(r.t));
        return Some(Entry {
            format: Format::Recording,
            time_text: Cow::Owned(format_unix(time.secs)),
            time: Some(time),
            ..inner
        });
    }
    if let Some(message) = r.message {
        return Some(Entry {
            format: Format::Recording,
            time_text: Cow::Owned(format_unix(r.t)),
            time: Some(received),
            process: r.process.unwrap_or(Cow::Borrowed("")),
            image: r.image,
            pid: r.pid,
            level: r.level,
            subsystem: r.subsystem,
            category: r.category,
            message,
        });
    }
    let what = r.event.unwrap_or(Cow::Borrowed("event"));
    Some(Entry {
        format: Format::Recording,
        time_text: Cow::Owned(format_unix(r.t)),
        time: Some(received),
        process: Cow::Borrowed("voipctl"),
        message: Cow::Owned(format!("voipctl.{what}")),
        ..Entry::bare("")
    })
}

/// `YYYY-MM-DD HH:MM:SS.mmm` (UTC) for Unix seconds.
pub fn format_unix(t: f64) -> String {
    if !t.is_finite() {
        return String::new();
    }
    let ms_total = (t * 1000.0).round() as i64;
    let ms = ms_total.rem_euclid(1000);
    let secs = ms_total.div_euclid(1000);
    let days = secs.div_euclid(86400);
    let sod = secs.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{ms:03}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

// ---------------------------------------------------------------------------------------------
// Xcode console

fn xcode(line: &str) -> Option<Entry<'_>> {
    let (stamp, used) = iso_stamp(line)?;
    let rest = line.get(used..)?.strip_prefix(' ')?;
    // App[pid:tid] msg
    let open = rest.find('[')?;
    let close = open + rest[open..].find(']')?;
    let inner = &rest[open + 1..close];
    let (pid, tid) = inner.split_once(':')?;
    let pid = digits_u32(pid)?;
    if !tid.bytes().all(|c| c.is_ascii_hexdigit() || c == b'x') || tid.is_empty() {
        return None;
    }
    let process = &rest[..open];
    if process.is_empty()
        || process
            .split_once(' ')
            .is_some_and(|(first, _)| Level::parse(first).is_some())
    {
        // `log show --style compact` ("Df proc[pid:tid]"), not Xcode.
        return None;
    }
    let msg = &rest[close + 1..];
    let msg = msg.strip_prefix(' ').unwrap_or(msg);
    // Newer Xcode may add "[subsystem:category] " after the header.
    let (subsystem, category, msg) = bracket_label(msg);
    Some(Entry {
        format: Format::Xcode,
        time_text: Cow::Borrowed(&line[..used]),
        time: Some(stamp),
        process: Cow::Borrowed(process),
        image: None,
        pid: Some(pid),
        level: None,
        subsystem,
        category,
        message: Cow::Borrowed(msg),
    })
}

type Label<'a> = (Option<Cow<'a, str>>, Option<Cow<'a, str>>, &'a str);

/// `[subsystem:category] rest` → the label and the rest; otherwise the text unchanged.
fn bracket_label(msg: &str) -> Label<'_> {
    if let Some(inner) = msg.strip_prefix('[')
        && let Some(close) = inner.find("] ")
    {
        let label = &inner[..close];
        if let Some((s, c)) = label.split_once(':')
            && s.contains('.')
            && !s.contains(' ')
        {
            return (
                Some(Cow::Borrowed(s)),
                Some(Cow::Borrowed(c)),
                &inner[close + 2..],
            );
        }
    }
    (None, None, msg)
}

// ---------------------------------------------------------------------------------------------
// log show / log stream (macOS, sysdiagnose archives)

fn log_show(line: &str) -> Option<Entry<'_>> {
    let (stamp, used) = iso_stamp(line)?;
    let rest = line.get(used..)?;
    let mut fields = rest.split_ascii_whitespace();
    let first = fields.next()?;
    if let Some(process) = first.strip_suffix(':') {
        // condensed (as quoted in forums): TS process: [sub:cat] msg
        let msg = rest.trim_start().get(first.len()..)?.trim_start();
        return Some(condensed(line, used, stamp, process, None, msg));
    }
    if first.bytes().all(|b| b.is_ascii_digit())
        && let Some(second) = fields.next()
        && let Some(process) = second.strip_suffix(':')
    {
        // TS pid  process: msg
        let at = rest.find(second)? + second.len();
        let msg = rest[at..].trim_start();
        return Some(condensed(
            line,
            used,
            stamp,
            process,
            digits_u32(first),
            msg,
        ));
    }
    if first.starts_with("0x") {
        // default style: TS Thread Type Activity PID TTL Process: (Image) [sub:cat] msg
        let ty = fields.next()?;
        let level = Level::parse(ty);
        let _activity = fields.next()?;
        let pid = digits_u32(fields.next()?)?;
        // The message part starts after the TTL column.
        let ttl = fields.next()?;
        let pos = rest.find(&format!(" {ttl} ")).map(|i| i + ttl.len() + 2)?;
        let tail = rest[pos..].trim_start();
        let colon = tail.find(": ")?;
        let process = &tail[..colon];
        if process.is_empty() || process.contains(' ') && !process.ends_with(')') {
            return None;
        }
        let mut msg = &tail[colon + 2..];
        let mut image = None;
        if let Some(r) = msg.strip_prefix('(')
            && let Some(c) = r.find(") ")
        {
            image = Some(Cow::Borrowed(&r[..c]));
            msg = &r[c + 2..];
        }
        let (subsystem, category, msg) = bracket_label(msg);
        return Some(Entry {
            format: Format::LogShow,
            time_text: Cow::Borrowed(&line[..used]),
            time: Some(stamp),
            process: Cow::Borrowed(process),
            image,
            pid: Some(pid),
            level,
            subsystem,
            category,
            message: Cow::Borrowed(msg),
        });
    }
    // compact style: TS Ty Process[PID:TID] (Image) [sub:cat] msg
    let level = Level::parse(first)?;
    let after_ty = rest.trim_start().get(first.len()..)?.trim_start();
    let open = after_ty.find('[')?;
    let close = open + after_ty[open..].find(']')?;
    let (pid, _tid) = after_ty[open + 1..close].split_once(':')?;
    let pid = digits_u32(pid)?;
    let process = &after_ty[..open];
    if process.is_empty() || process.contains(' ') {
        return None;
    }
    let mut msg = after_ty[close + 1..].trim_start();
    let mut image = None;
    if let Some(r) = msg.strip_prefix('(')
        && let Some(c) = r.find(") ")
    {
        image = Some(Cow::Borrowed(&r[..c]));
        msg = &r[c + 2..];
    }
    let (subsystem, category, msg) = bracket_label(msg);
    Some(Entry {
        format: Format::LogShow,
        time_text: Cow::Borrowed(&line[..used]),
        time: Some(stamp),
        process: Cow::Borrowed(process),
        image,
        pid: Some(pid),
        level: Some(level),
        subsystem,
        category,
        message: Cow::Borrowed(msg),
    })
}

fn condensed<'a>(
    line: &'a str,
    used: usize,
    stamp: Stamp,
    process: &'a str,
    pid: Option<u32>,
    msg: &'a str,
) -> Entry<'a> {
    let (subsystem, category, msg) = bracket_label(msg);
    Entry {
        format: Format::LogShow,
        time_text: Cow::Borrowed(&line[..used]),
        time: Some(stamp),
        process: Cow::Borrowed(process),
        image: None,
        pid,
        level: None,
        subsystem,
        category,
        message: Cow::Borrowed(msg),
    }
}

// ---------------------------------------------------------------------------------------------
// Console.app copies

fn console(line: &str) -> Option<Entry<'_>> {
    if !line.contains('\t') {
        return console_spaced(line);
    }
    let mut cols = line.split('\t');
    let ty = cols.next()?;
    let level = Level::parse(ty)?;
    let time_s = cols.next()?.trim();
    let stamp = if let Some((s, _)) = iso_stamp(time_s) {
        s
    } else {
        let (secs, _) = clock(time_s)?;
        Stamp {
            secs,
            scale: Scale::DayRelative,
        }
    };
    let process = cols.next()?.trim();
    if process.is_empty() {
        return None;
    }
    let rest: Vec<&str> = cols.collect();
    let (subsystem, category, message) = match rest.as_slice() {
        [] => return None,
        [msg] => (None, None, *msg),
        [sub, msg] => (Some(*sub), None, *msg),
        [sub, cat, msg @ ..] => {
            // A message can itself contain tabs: keep everything after the category column.
            let start = msg
                .first()
                .map(|m| m.as_ptr() as usize - line.as_ptr() as usize);
            (
                Some(*sub),
                Some(*cat),
                start.and_then(|s| line.get(s..)).unwrap_or(""),
            )
        }
    };
    Some(Entry {
        format: Format::Console,
        time_text: Cow::Borrowed(time_s),
        time: Some(stamp),
        process: Cow::Borrowed(process),
        image: None,
        pid: None,
        level: Some(level),
        subsystem: subsystem.filter(|s| !s.is_empty()).map(Cow::Borrowed),
        category: category.filter(|s| !s.is_empty()).map(Cow::Borrowed),
        message: Cow::Borrowed(message),
    })
}

/// A Console.app copy whose tabs became spaces (pasted into a web page or an issue):
/// `default 14:29:55.265753-0400 dasd message`.
fn console_spaced(line: &str) -> Option<Entry<'_>> {
    let (ty, rest) = line.split_once(' ')?;
    let level = Level::parse(ty)?;
    let (time_s, rest) = rest.split_once(' ')?;
    let (secs, used) = clock(time_s)?;
    let tail = &time_s[used..];
    if !(tail.is_empty() || tail.starts_with(['+', '-', 'Z'])) {
        return None;
    }
    let (process, message) = rest.split_once(' ')?;
    if process.is_empty() {
        return None;
    }
    Some(Entry {
        format: Format::Console,
        time_text: Cow::Borrowed(time_s),
        time: Some(Stamp {
            secs,
            scale: Scale::DayRelative,
        }),
        process: Cow::Borrowed(process),
        image: None,
        pid: None,
        level: Some(level),
        subsystem: None,
        category: None,
        message: Cow::Borrowed(message),
    })
}

// ---------------------------------------------------------------------------------------------
// Old jailbreak syslog

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn jailbreak(line: &str) -> Option<Entry<'_>> {
    // "Wed May 27 07:34:41 2015: SpringBoard (com.apple.springboard): msg"
    if !WEEKDAYS.contains(&line.get(0..3)?) || line.as_bytes().get(3) != Some(&b' ') {
        return None;
    }
    let (stamp, _, rest) = syslog_stamp(line.get(4..)?)?;
    let year: i64 = rest.get(0..4)?.parse().ok()?;
    let rest = rest.get(4..)?.strip_prefix(": ")?;
    let time_end = line.len() - rest.len() - 2;
    let doy = (stamp.secs / 86400.0).floor();
    let jan1 = days_from_civil(year, 1, 1) as f64;
    // syslog_stamp counts days without leap years; good enough inside one year.
    let secs = (jan1 + doy) * 86400.0 + (stamp.secs - doy * 86400.0);
    let time = Some(Stamp {
        secs,
        scale: Scale::Unix,
    });
    let time_text = Cow::Borrowed(&line[..time_end]);
    if let Some(p) = proc_part(rest) {
        return Some(Entry {
            format: Format::Jailbreak,
            time_text,
            time,
            process: Cow::Borrowed(p.process),
            image: p.image.map(Cow::Borrowed),
            pid: Some(p.pid),
            level: p.level,
            subsystem: None,
            category: None,
            message: unvis(p.message),
        });
    }
    let colon = rest.find(": ")?;
    let head = &rest[..colon];
    let (process, image) = match head.split_once(" (") {
        Some((p, i)) => (p, i.strip_suffix(')')),
        None => (head, None),
    };
    if process.is_empty() || process.contains(' ') {
        return None;
    }
    Some(Entry {
        format: Format::Jailbreak,
        time_text,
        time,
        process: Cow::Borrowed(process),
        image: image.map(Cow::Borrowed),
        pid: None,
        level: None,
        subsystem: None,
        category: None,
        message: Cow::Borrowed(&rest[colon + 2..]),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn idevicesyslog_line() {
        let e = decode_line(
            // synthetic: decoder/plumbing input (prefix splitting, escapes), no verdict asserted
            "Nov 25 17:09:56 iPhone SpringBoard(FrontBoard)[58] <Notice>: Bootstrapping com.example.voip with intent background",
        );
        assert_eq!(e.format, Format::Syslog);
        assert_eq!(e.process, "SpringBoard");
        assert_eq!(e.image.as_deref(), Some("FrontBoard"));
        assert_eq!(e.pid, Some(58));
        assert_eq!(e.level, Some(Level::Notice));
        assert_eq!(
            e.message,
            "Bootstrapping com.example.voip with intent background"
        );
        assert_eq!(e.time_text, "Nov 25 17:09:56");
    }

    #[test]
    fn idevicesyslog_line_without_the_device_name() {
        let e = decode_line(
            "Nov 25 19:23:28 legacyphone(CFNetwork)[412] <Notice>: VOIPCTL keepalive.begin",
        );
        assert_eq!(e.format, Format::Syslog);
        assert_eq!(e.process, "legacyphone");
        assert_eq!(e.image.as_deref(), Some("CFNetwork"));
        assert_eq!(e.pid, Some(412));
        assert_eq!(e.message, "VOIPCTL keepalive.begin");
        let e = decode_line("Nov  5 09:03:01 SpringBoard[57] <Notice>: Process exited");
        assert_eq!((e.format, e.pid), (Format::Syslog, Some(57)));
        assert_eq!(e.process, "SpringBoard");
    }

    #[test]
    fn syslog_day_is_space_padded_and_process_may_have_spaces() {
        let e = decode_line("Jan  5 01:02:03 Bobs-iPhone My App[321] <Error>: hello [x]: y");
        assert_eq!(e.process, "My App");
        assert_eq!(e.pid, Some(321));
        assert_eq!(e.message, "hello [x]: y");
        assert_eq!(e.time.unwrap().secs, 4.0 * 86400.0 + 3723.0);
    }

    #[test]
    fn syslogd_without_level() {
        let e = decode_line("May 27 07:34:41 iPhone kernel[0]: memorystatus: killing_top_process");
        assert_eq!(e.process, "kernel");
        assert_eq!(e.level, None);
        assert_eq!(e.message, "memorystatus: killing_top_process");
    }

    #[test]
    fn vis_escapes_are_decoded() {
        assert_eq!(unvis("caf\\M-C\\M-)"), "café");
        assert_eq!(unvis("\\M-b\\M^@\\M^Y"), "\u{2019}");
        assert_eq!(unvis("a\\^Ib"), "a\tb");
        assert_eq!(unvis("\\303\\251"), "é");
        assert_eq!(unvis("plain \\ backslash \\x"), "plain \\ backslash \\x");
        assert_eq!(unvis("\\M-"), "\\M-");
        // invalid UTF-8 after unescaping does not panic
        assert_eq!(unvis("\\M-\\"), "\u{fffd}");
    }

    #[test]
    fn pymobiledevice3_text_and_json() {
        let e = decode_line(
            // synthetic: decoder/plumbing input (prefix splitting, escapes), no verdict asserted
            "2026-02-21 21:22:45.272141 callservicesd{CallKit}[97] <NOTICE>: Delivering 1 VoIP payload(s) to application com.x",
        );
        assert_eq!(e.format, Format::Pymobiledevice3);
        assert_eq!(e.process, "callservicesd");
        assert_eq!(e.image.as_deref(), Some("CallKit"));
        let j = r#"{"pid": 97, "procid": 1, "thread_id": 2, "timestamp": "2024-01-02T03:04:05.250000", "level": "NOTICE", "image_name": "/System/Library/Frameworks/CallKit.framework/CallKit", "image_offset": 1, "image_uuid": null, "process_image_uuid": null, "filename": "/usr/libexec/callservicesd", "mach_timestamp": 5, "message": "Successfully opened \"application\"", "label": {"subsystem": "com.apple.calls.callservicesd", "category": "Default"}}"#;
        let e = decode_line(j);
        assert_eq!(e.format, Format::Pymobiledevice3Json);
        assert_eq!(e.process, "callservicesd");
        assert_eq!(e.image.as_deref(), Some("CallKit"));
        assert_eq!(e.message, "Successfully opened \"application\"");
        assert_eq!(
            e.subsystem.as_deref(),
            Some("com.apple.calls.callservicesd")
        );
        assert_eq!(e.level, Some(Level::Notice));
        assert!((e.time.unwrap().secs - 1_704_164_645.25).abs() < 1e-6);
    }

    #[test]
    fn xcode_console() {
        let e = decode_line(
            "2019-10-22 12:51:29.183432+0200 MyApp[1234:567890] Killing app because it never posted an incoming call to the system after receiving a PushKit VoIP push.",
        );
        assert_eq!(e.format, Format::Xcode);
        assert_eq!(e.process, "MyApp");
        assert_eq!(e.pid, Some(1234));
        assert!(e.message.starts_with("Killing app"));
        let t = e.time.unwrap();
        assert_eq!(t.scale, Scale::Unix);
        assert!((t.secs - (1_571_741_489.183_432)).abs() < 1e-3);
    }

    #[test]
    fn log_show_default_and_compact() {
        let e = decode_line(
            // synthetic: decoder/plumbing input (prefix splitting, escapes), no verdict asserted
            "2021-03-12 10:52:51.123456+0100 0x1a2b     Default     0x0                  123    0    callservicesd: (CallKit) [com.apple.calls.callkit:Default] Delivering 1 VoIP payload(s) to application com.x",
        );
        assert_eq!(e.format, Format::LogShow);
        assert_eq!(e.process, "callservicesd");
        assert_eq!(e.pid, Some(123));
        assert_eq!(e.image.as_deref(), Some("CallKit"));
        assert_eq!(e.category.as_deref(), Some("Default"));
        assert_eq!(
            e.message,
            "Delivering 1 VoIP payload(s) to application com.x"
        );
        let e = decode_line(
            // synthetic: decoder/plumbing input (prefix splitting, escapes), no verdict asserted
            "2021-03-12 10:52:51.123 Df callservicesd[123:1a2b] [com.apple.calls:Default] Successfully opened application",
        );
        assert_eq!(e.format, Format::LogShow);
        assert_eq!(e.pid, Some(123));
        assert_eq!(e.message, "Successfully opened application");
    }

    #[test]
    fn console_copy() {
        let e = decode_line(
            // synthetic: decoder/plumbing input (prefix splitting, escapes), no verdict asserted
            "default\t17:09:56.123456+0100\tSpringBoard\tBootstrapping com.x with intent background",
        );
        assert_eq!(e.format, Format::Console);
        assert_eq!(e.process, "SpringBoard");
        assert_eq!(e.message, "Bootstrapping com.x with intent background");
        let e = decode_line(
            // synthetic: decoder/plumbing input (prefix splitting, escapes), no verdict asserted
            "error\t2020-05-01 17:09:56.123+0000\tcallservicesd\tcom.apple.calls\tDefault\tmsg\twith tab",
        );
        assert_eq!(e.subsystem.as_deref(), Some("com.apple.calls"));
        assert_eq!(e.message, "msg\twith tab");
    }

    #[test]
    fn jailbreak_syslog() {
        let e = decode_line(
            // synthetic: decoder/plumbing input (prefix splitting, escapes), no verdict asserted
            "Wed May 27 07:34:41 2015: SpringBoard (com.apple.springboard): Application 'UIKitApplication:com.x[0x1]' exited abnormally with signal 9: Killed: 9",
        );
        assert_eq!(e.format, Format::Jailbreak);
        assert_eq!(e.process, "SpringBoard");
        assert!(e.message.starts_with("Application "));
        assert_eq!(e.time.unwrap().scale, Scale::Unix);
    }

    #[test]
    fn recording_line_wraps_syslog() {
        let e = decode_line(
            r#"{"t":1764090596.5,"line":"Nov 25 17:09:56 iPhone SpringBoard[58] <Notice>: hi \\M-C\\M-)"}"#,
        );
        assert_eq!(e.format, Format::Recording);
        assert_eq!(e.process, "SpringBoard");
        assert_eq!(e.message, "hi é");
        // The line's own (device) time, put in the receive time's year.
        assert_eq!(e.time.unwrap().secs, 1764090596.0);
        assert_eq!(e.time_text, "2025-11-25 17:09:56.000");
        let e = decode_line(
            r#"{"t":1764090596.25,"pid":7,"process":"callservicesd","level":"error","subsystem":"com.apple.calls","message":"Successfully opened application"}"#,
        );
        assert_eq!(e.process, "callservicesd");
        assert_eq!(e.level, Some(Level::Error));
        assert_eq!(e.subsystem.as_deref(), Some("com.apple.calls"));
        assert_eq!(e.time.unwrap().secs, 1764090596.25);
        let e = decode_line(r#"{"voipctl_recording":1,"udid":"x"}"#);
        assert_eq!(e.format, Format::Recording);
    }

    #[test]
    fn year_less_stamps_are_anchored_to_the_nearest_year() {
        let jan_2026 = 1_767_225_600.0 + 3600.0; // 2026-01-01 01:00 UTC
        let dec31 = syslog_stamp("Dec 31 23:59:00 h p[1]: m").unwrap().0;
        // A December line read just after New Year is last year's.
        assert_eq!(dec31.anchored(jan_2026).secs, 1_767_225_600.0 - 60.0);
        let mar1 = syslog_stamp("Mar  1 00:00:00 h p[1]: m").unwrap().0;
        let ref_2028 = 1_835_000_000.0; // 2028-02-24, a leap year
        assert_eq!(
            format_unix(mar1.anchored(ref_2028).secs),
            "2028-03-01 00:00:00.000"
        );
        let day = Stamp {
            secs: 3600.0,
            scale: Scale::DayRelative,
        };
        assert_eq!(day.anchored(jan_2026).secs, 1_767_225_600.0 + 3600.0);
    }

    #[test]
    fn bare_lines() {
        let e = decode_line("Termination Reason: Namespace SPRINGBOARD, Code 0xbaadca11");
        assert_eq!(e.format, Format::Bare);
        assert_eq!(
            e.message,
            "Termination Reason: Namespace SPRINGBOARD, Code 0xbaadca11"
        );
    }

    proptest::proptest! {
        #[test]
        fn decoding_never_panics(s in "\\PC{0,200}") {
            let mut d = Decoder::new();
            let _ = d.decode(&s);
        }

        #[test]
        fn decoding_syslog_shaped_noise_never_panics(
            host in "[a-zA-Z-]{0,8}", proc_ in "[ -~]{0,20}", pid in "[0-9a-z]{0,11}", msg in "[ -~]{0,60}"
        ) {
            let line = format!("Nov  5 12:34:56 {host} {proc_}[{pid}] <Notice>: {msg}");
            let e = decode_line(&line);
            if e.format == Format::Syslog {
                proptest::prop_assert!(e.message.len() <= msg.len() + line.len());
            }
        }

        #[test]
        fn unvis_is_identity_without_backslashes(s in "[^\\\\]{0,100}") {
            proptest::prop_assert_eq!(unvis(&s), s.as_str());
        }

        #[test]
        fn unvis_roundtrips_meta_bytes(bytes in proptest::collection::vec(0x80u8..=0xff, 0..40)) {
            let mut escaped = String::new();
            for b in &bytes {
                let c = b & 0x7f;
                if c < 0x20 || c == 0x7f {
                    escaped.push_str("\\M^");
                    escaped.push(if c == 0x7f { '?' } else { (c + 0x40) as char });
                } else {
                    escaped.push_str("\\M-");
                    escaped.push(c as char);
                }
            }
            proptest::prop_assert_eq!(unvis(&escaped).into_owned(), String::from_utf8_lossy(&bytes).into_owned());
        }
    }
}
