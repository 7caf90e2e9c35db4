//! voipctl's own recording format (`watch --record`): one JSON object per line.

use super::*;

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

pub(super) fn recording(line: &str) -> Option<Entry<'_>> {
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
