//! `log show` / `log stream` on macOS (also sysdiagnose archives): default, compact and syslog styles.

use super::*;

pub(super) fn log_show(line: &str) -> Option<Entry<'_>> {
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

pub(super) fn condensed<'a>(
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
