//! The binary entries of `com.apple.os_trace_relay` (the stream behind `log stream` on a Mac and
//! pymobiledevice3's `syslog live`): process, pid, millisecond timestamp, level, image,
//! subsystem/category and message. voipctl owns this decoder because the upstream ones index
//! into short packets and panic; this one checks every length and reports a
//! [`OsTraceError`] instead, so a live stream can count bad entries and keep going.
//!
//! Entry layout (little-endian), after the frame header `0x02, u32 length`:
//! ```text
//!   0  9 bytes   unknown
//!   9  u32       pid
//!  13  42 bytes  procid u64, process image UUID (16) …
//!  55  u32       seconds since 1970
//!  59  u32       unknown
//!  63  u32       microseconds
//!  67  u8        unknown
//!  68  u8        level (0 default, 1 info, 2 debug, 0x10 error, 0x11 fault)
//!  69  38 bytes  mach time (+4), thread id (+14), image UUID (+22)
//! 107  u16       image name size (with NUL)     109  u16  message size (with NUL)
//! 111  6 bytes   unknown, image offset          117  u32  subsystem size   121 u32 category size
//! 125  4 bytes   unknown
//! 129  filename NUL-terminated, image name, message, subsystem, category (each NUL-terminated)
//! ```

use serde::Serialize;

/// Fixed header length of an entry.
pub const HEADER_LEN: usize = 129;
/// Largest entry accepted from the wire (real ones are a few hundred bytes).
pub const MAX_ENTRY: usize = 1 << 20;

/// Level of an os_log entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// `Default` / Notice.
    Notice,
    /// Info.
    Info,
    /// Debug.
    Debug,
    /// User action.
    UserAction,
    /// Error.
    Error,
    /// Fault.
    Fault,
    /// A level this decoder does not know.
    Other(u8),
}

impl Level {
    /// From the wire byte.
    pub fn from_byte(b: u8) -> Self {
        match b {
            0 => Level::Notice,
            1 => Level::Info,
            2 => Level::Debug,
            3 => Level::UserAction,
            0x10 => Level::Error,
            0x11 => Level::Fault,
            x => Level::Other(x),
        }
    }
    /// To the wire byte.
    pub fn to_byte(self) -> u8 {
        match self {
            Level::Notice => 0,
            Level::Info => 1,
            Level::Debug => 2,
            Level::UserAction => 3,
            Level::Error => 0x10,
            Level::Fault => 0x11,
            Level::Other(x) => x,
        }
    }
    /// The word syslog_relay uses for this level (`Notice`, `Error`, …).
    pub fn syslog_word(self) -> &'static str {
        match self {
            Level::Notice | Level::Other(_) => "Notice",
            Level::Info => "Info",
            Level::Debug => "Debug",
            Level::UserAction => "Notice",
            Level::Error => "Error",
            Level::Fault => "Fault",
        }
    }
    /// Parse a syslog level word (case-insensitive): Notice/Default, Info, Debug, Error, Fault,
    /// Warning (maps to Error).
    pub fn from_word(w: &str) -> Option<Self> {
        Some(match w.to_ascii_lowercase().as_str() {
            "notice" | "default" => Level::Notice,
            "info" => Level::Info,
            "debug" => Level::Debug,
            "error" | "warning" => Level::Error,
            "fault" => Level::Fault,
            _ => return None,
        })
    }
}

/// One decoded entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct OsTraceEntry {
    /// Process id.
    pub pid: u32,
    /// Seconds since the Unix epoch.
    pub seconds: u32,
    /// Microseconds within the second.
    pub micros: u32,
    /// Level.
    pub level: Level,
    /// Image that logged (framework or the executable).
    pub image: String,
    /// Path of the process's executable.
    pub filename: String,
    /// The message.
    pub message: String,
    /// os_log subsystem, when set.
    pub subsystem: Option<String>,
    /// os_log category, when set.
    pub category: Option<String>,
}

impl OsTraceEntry {
    /// Bytes its strings hold on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.image.capacity()
            + self.filename.capacity()
            + self.message.capacity()
            + self.subsystem.as_ref().map_or(0, String::capacity)
            + self.category.as_ref().map_or(0, String::capacity)
    }

    /// The process name (last path component of `filename`).
    pub fn process(&self) -> &str {
        self.filename.rsplit('/').next().unwrap_or(&self.filename)
    }
}

/// Why an entry could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OsTraceError {
    /// Fewer bytes than the fixed header.
    #[error("decode an os_trace entry: {0} bytes is shorter than the {HEADER_LEN}-byte header")]
    Short(usize),
    /// A string runs past the end of the entry.
    #[error("decode an os_trace entry: the {0} runs past the end of the entry")]
    Truncated(&'static str),
    /// A frame larger than any real entry.
    #[error("decode an os_trace frame: length {0} is larger than {MAX_ENTRY}")]
    TooLarge(usize),
    /// A frame type other than 1 (status) or 2 (entry).
    #[error("decode an os_trace frame: unknown frame type {0:#04x}")]
    FrameType(u8),
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x)
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// A NUL-terminated string of `size` bytes (size includes the NUL; 0 means absent).
fn sized_str(
    b: &[u8],
    pos: &mut usize,
    size: usize,
    what: &'static str,
) -> Result<String, OsTraceError> {
    let end = pos.checked_add(size).ok_or(OsTraceError::Truncated(what))?;
    let field = b.get(*pos..end).ok_or(OsTraceError::Truncated(what))?;
    *pos = end;
    let text = match field.iter().position(|&c| c == 0) {
        Some(n) => &field[..n],
        None => field,
    };
    Ok(String::from_utf8_lossy(text).into_owned())
}

/// Decode one entry (the bytes after the frame header).
pub fn decode_entry(b: &[u8]) -> Result<OsTraceEntry, OsTraceError> {
    if b.len() < HEADER_LEN {
        return Err(OsTraceError::Short(b.len()));
    }
    let pid = u32_at(b, 9);
    let seconds = u32_at(b, 55);
    let micros = u32_at(b, 63);
    let level = Level::from_byte(b[68]);
    let image_size = usize::from(u16_at(b, 107));
    let message_size = usize::from(u16_at(b, 109));
    let subsystem_size = u32_at(b, 117) as usize;
    let category_size = u32_at(b, 121) as usize;
    let mut pos = HEADER_LEN;
    let rest = &b[pos..];
    let nul = rest
        .iter()
        .position(|&c| c == 0)
        .ok_or(OsTraceError::Truncated("filename"))?;
    let filename = String::from_utf8_lossy(&rest[..nul]).into_owned();
    pos += nul + 1;
    let image = sized_str(b, &mut pos, image_size, "image name")?;
    let message = sized_str(b, &mut pos, message_size, "message")?;
    let (subsystem, category) = if subsystem_size > 0 && category_size > 0 && pos < b.len() {
        (
            Some(sized_str(b, &mut pos, subsystem_size, "subsystem")?),
            Some(sized_str(b, &mut pos, category_size, "category")?),
        )
    } else {
        (None, None)
    };
    Ok(OsTraceEntry {
        pid,
        seconds,
        micros,
        level,
        image,
        filename,
        message,
        subsystem,
        category,
    })
}

fn nul_terminated(s: &str) -> Vec<u8> {
    let mut v: Vec<u8> = s.bytes().filter(|&c| c != 0).collect();
    v.push(0);
    v
}

/// Encode one entry (what the simulated iPhone sends; the inverse of [`decode_entry`]).
/// Strings longer than the 16-bit size fields allow are cut.
pub fn encode_entry(e: &OsTraceEntry) -> Vec<u8> {
    let cap = |mut v: Vec<u8>| {
        if v.len() > usize::from(u16::MAX) {
            v.truncate(usize::from(u16::MAX) - 1);
            v.push(0);
        }
        v
    };
    let image = cap(nul_terminated(&e.image));
    let message = cap(nul_terminated(&e.message));
    let label = match (&e.subsystem, &e.category) {
        (Some(s), Some(c)) => Some((nul_terminated(s), nul_terminated(c))),
        _ => None,
    };
    let mut b = vec![0u8; HEADER_LEN];
    b[9..13].copy_from_slice(&e.pid.to_le_bytes());
    b[13..21].copy_from_slice(&u64::from(e.pid).to_le_bytes());
    b[55..59].copy_from_slice(&e.seconds.to_le_bytes());
    b[63..67].copy_from_slice(&e.micros.to_le_bytes());
    b[68] = e.level.to_byte();
    b[107..109].copy_from_slice(&(image.len() as u16).to_le_bytes());
    b[109..111].copy_from_slice(&(message.len() as u16).to_le_bytes());
    if let Some((s, c)) = &label {
        b[117..121].copy_from_slice(&(s.len() as u32).to_le_bytes());
        b[121..125].copy_from_slice(&(c.len() as u32).to_le_bytes());
    }
    b.extend_from_slice(&nul_terminated(&e.filename));
    b.extend_from_slice(&image);
    b.extend_from_slice(&message);
    if let Some((s, c)) = label {
        b.extend_from_slice(&s);
        b.extend_from_slice(&c);
    }
    b
}

/// A frame of the relay stream, as [`split_frame`] finds it.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// Type 1: a big-endian length and a plist (status replies).
    Status(&'a [u8]),
    /// Type 2: a little-endian length and an entry.
    Entry(&'a [u8]),
}

/// Find the first complete frame in `buf`: `Ok(Some((frame, consumed)))`, `Ok(None)` when more
/// bytes are needed, or an error when the stream cannot be a relay stream.
pub fn split_frame(buf: &[u8]) -> Result<Option<(Frame<'_>, usize)>, OsTraceError> {
    let Some(&kind) = buf.first() else {
        return Ok(None);
    };
    let Some(len_bytes) = buf.get(1..5) else {
        return Ok(None);
    };
    let mut l = [0u8; 4];
    l.copy_from_slice(len_bytes);
    let len = match kind {
        1 => u32::from_be_bytes(l),
        2 => u32::from_le_bytes(l),
        x => return Err(OsTraceError::FrameType(x)),
    } as usize;
    if len > MAX_ENTRY {
        return Err(OsTraceError::TooLarge(len));
    }
    let Some(body) = buf.get(5..5 + len) else {
        return Ok(None);
    };
    let frame = if kind == 1 {
        Frame::Status(body)
    } else {
        Frame::Entry(body)
    };
    Ok(Some((frame, 5 + len)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> OsTraceEntry {
        OsTraceEntry {
            pid: 412,
            seconds: 1_764_000_000,
            micros: 123_456,
            level: Level::Error,
            image: "PushKit".into(),
            filename: "/private/var/containers/Bundle/Application/X/Call.app/Call".into(),
            message: "Received VoIP push".into(),
            subsystem: Some("com.apple.pushkit".into()),
            category: Some("voip".into()),
        }
    }

    #[test]
    fn round_trips() {
        let e = sample();
        assert_eq!(decode_entry(&encode_entry(&e)), Ok(e.clone()));
        assert_eq!(e.process(), "Call");
        let plain = OsTraceEntry {
            subsystem: None,
            category: None,
            ..e
        };
        assert_eq!(decode_entry(&encode_entry(&plain)), Ok(plain));
    }

    #[test]
    fn short_and_truncated_entries_are_errors() {
        assert_eq!(decode_entry(&[0; 10]), Err(OsTraceError::Short(10)));
        let mut b = encode_entry(&sample());
        b.truncate(b.len() - 3);
        assert!(decode_entry(&b).is_err());
    }

    #[test]
    fn frames_split() {
        let body = encode_entry(&sample());
        let mut buf = vec![2u8];
        buf.extend_from_slice(&(body.len() as u32).to_le_bytes());
        buf.extend_from_slice(&body);
        match split_frame(&buf) {
            Ok(Some((Frame::Entry(b), n))) => {
                assert_eq!(b, &body[..]);
                assert_eq!(n, buf.len());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(split_frame(&buf[..3]), Ok(None));
        assert!(split_frame(&[7, 0, 0, 0, 0]).is_err());
    }

    proptest! {
        #[test]
        fn decode_never_panics(b in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = decode_entry(&b);
            let _ = split_frame(&b);
        }

        #[test]
        fn encode_decode(pid in any::<u32>(), msg in "[^\u{0}]{0,60}", img in "[^\u{0}]{0,20}",
                         level in any::<u8>(), sub in proptest::option::of("[a-z.]{1,12}")) {
            let e = OsTraceEntry {
                pid, seconds: 1, micros: 2, level: Level::from_byte(level), image: img,
                filename: "/usr/bin/x".into(), message: msg,
                category: sub.as_ref().map(|_| "c".to_string()), subsystem: sub,
            };
            prop_assert_eq!(decode_entry(&encode_entry(&e)), Ok(e));
        }
    }
}
