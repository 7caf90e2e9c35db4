//! Lines copied from Console.app.

use super::*;

pub(super) fn console(line: &str) -> Option<Entry<'_>> {
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
pub(super) fn console_spaced(line: &str) -> Option<Entry<'_>> {
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
