//! Lines copied from Xcode's console.

use super::*;

pub(super) fn xcode(line: &str) -> Option<Entry<'_>> {
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
pub(super) fn bracket_label(msg: &str) -> Label<'_> {
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
