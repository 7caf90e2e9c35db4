//! idevicesyslog and the syslog_relay service: a syslog stamp, the device name, the process
//! (with its image and pid), the level and the message.

use super::*;

/// `Mon dd HH:MM:SS[.fff]` → (stamp, rest after the following space).
pub(super) fn syslog_stamp(line: &str) -> Option<(Stamp, &str, &str)> {
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
pub(super) fn proc_part(rest: &str) -> Option<ProcPart<'_>> {
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

pub(super) struct ProcPart<'a> {
    pub(super) process: &'a str,
    pub(super) image: Option<&'a str>,
    pub(super) pid: u32,
    pub(super) level: Option<Level>,
    pub(super) message: &'a str,
}

pub(super) fn find_header_end(rest: &str) -> Option<usize> {
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

pub(super) fn syslog(line: &str) -> Option<Entry<'_>> {
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
