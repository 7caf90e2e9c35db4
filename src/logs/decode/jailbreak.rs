//! Old jailbreak syslog (`/var/log/syslog`): a weekday, the syslog stamp and the year, then
//! the process.

use super::*;
use crate::timestamp::days_from_civil;

pub(super) const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

pub(super) fn jailbreak(line: &str) -> Option<Entry<'_>> {
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
