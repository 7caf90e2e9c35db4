//! vis(3) escapes, as idevicesyslog writes non-printable and non-ASCII bytes.

use super::*;

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

pub(super) fn control(c: u8) -> u8 {
    if c == b'?' { 0x7f } else { c & 0x1f }
}
