//! pymobiledevice3 `syslog live`, as text and as JSON lines.

use super::*;

pub(super) fn pmd3_text(line: &str) -> Option<Entry<'_>> {
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
pub(super) struct Pmd3Json<'a> {
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
pub(super) struct Pmd3Label<'a> {
    #[serde(borrow)]
    subsystem: Option<Cow<'a, str>>,
    #[serde(borrow)]
    category: Option<Cow<'a, str>>,
}

pub(super) fn basename(c: Cow<'_, str>) -> Cow<'_, str> {
    match c {
        Cow::Borrowed(s) => Cow::Borrowed(s.rsplit('/').next().unwrap_or(s)),
        Cow::Owned(s) => Cow::Owned(s.rsplit('/').next().unwrap_or(&s).to_string()),
    }
}

pub(super) fn pmd3_json(line: &str) -> Option<Entry<'_>> {
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
