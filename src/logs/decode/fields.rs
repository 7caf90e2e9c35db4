//! The pieces of a stamp every format shares: month names, `HH:MM:SS[.fff]` clocks, two-digit
//! fields, ISO 8601 dates; and Unix seconds written back as text. The calendar maths is in
//! [`crate::timestamp`].

use super::*;
use crate::timestamp::{civil_from_days, days_from_civil};

pub(super) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
pub(super) const DAYS_BEFORE_MONTH: [u32; 12] =
    [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

pub(super) fn month_index(s: &str) -> Option<usize> {
    MONTHS.iter().position(|m| *m == s)
}

/// `HH:MM:SS[.fff…]` at the start of `s`: (seconds in day, bytes used).
pub(super) fn clock(s: &str) -> Option<(f64, usize)> {
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

pub(super) fn two(b: &[u8]) -> Option<u32> {
    match b {
        [a, c] if a.is_ascii_digit() && c.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(c - b'0'))
        }
        _ => None,
    }
}

pub(super) fn digits_u32(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `YYYY-MM-DD[ T]HH:MM:SS[.fff][±ZZZZ|±ZZ:ZZ|Z]` at the start of `s` → (stamp, bytes used).
pub(super) fn iso_stamp(s: &str) -> Option<(Stamp, usize)> {
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
