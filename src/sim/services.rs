//! The simulated services behind `StartService`: the text log, the binary log and the app list.
//! Log entries come from the scenario's timeline on the shared scenario clock: a client gets the
//! entries from the moment it connects onwards, at their times.

use super::lockdownd::{read_frame, write_frame};
use super::scenario::{LogSpec, Malformed};
use super::{Io, SimState};
use crate::device::ostrace::{self, Level, OsTraceEntry};
use std::sync::Arc;
use std::time::SystemTime;
use tokio::io::AsyncWriteExt;

/// A service a client can start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    Syslog,
    OsTrace,
    InstallationProxy,
    CrashMover,
    CrashCopy,
}

impl Service {
    pub(crate) fn from_name(name: &str) -> Option<Service> {
        Some(match name {
            "com.apple.syslog_relay" => Service::Syslog,
            "com.apple.os_trace_relay" => Service::OsTrace,
            "com.apple.mobile.installation_proxy" => Service::InstallationProxy,
            "com.apple.crashreportmover" => Service::CrashMover,
            "com.apple.crashreportcopymobile" => Service::CrashCopy,
            _ => return None,
        })
    }
}

pub(crate) async fn serve(
    state: Arc<SimState>,
    dev: usize,
    service: Service,
    io: Box<dyn Io>,
) -> std::io::Result<()> {
    match service {
        Service::Syslog => syslog(state, dev, io).await,
        Service::OsTrace => os_trace(state, dev, io).await,
        Service::InstallationProxy => installation_proxy(state, dev, io).await,
        Service::CrashMover => super::crash::mover(io).await,
        Service::CrashCopy => super::crash::serve(state, dev, io).await,
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Mon dd HH:MM:SS` (day space-padded), as syslog_relay prints it, in UTC.
pub fn syslog_time(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let dt =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{} {:>2} {:02}:{:02}:{:02}",
        MONTHS[usize::from(u8::from(dt.month()) - 1)],
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// vis(3)-style escaping of bytes above ASCII, as syslog_relay does (`\M-x`, `\M^X`).
pub fn vis_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b < 0x80 {
            out.push(char::from(b));
        } else {
            let low = b & 0x7f;
            if low < 0x20 {
                out.push_str(&format!("\\M^{}", char::from(low + 0x40)));
            } else if low == 0x7f {
                out.push_str("\\M^?");
            } else {
                out.push_str(&format!("\\M-{}", char::from(low)));
            }
        }
    }
    out
}

/// One syslog_relay line for a timeline entry. The host field is the device name as a host name
/// (spaces become dashes, like `Johns-iPhone`).
pub fn syslog_line(device_name: &str, l: &LogSpec, at: SystemTime) -> String {
    let host: String = device_name
        .chars()
        .map(|c| if c.is_whitespace() { '-' } else { c })
        .collect();
    let level = Level::from_word(&l.level).unwrap_or(Level::Notice);
    let image = l
        .image
        .as_ref()
        .map(|i| format!("({i})"))
        .unwrap_or_default();
    format!(
        "{} {} {}{}[{}] <{}>: {}",
        syslog_time(at),
        host,
        l.process,
        image,
        l.pid,
        level.syslog_word(),
        vis_escape(&l.message)
    )
}

async fn syslog(state: Arc<SimState>, dev: usize, mut io: Box<dyn Io>) -> std::io::Result<()> {
    let device = &state.devices[dev];
    let mut live = device.live.subscribe();
    let (clock, start) = state.start_clock_and_wait().await;
    let timeline = &device.timeline;
    let first = timeline.partition_point(|t| t.at < start);
    let garbage = device.spec.faults.malformed == Some(Malformed::Syslog);
    if let Some(len) = device.spec.faults.endless_line {
        endless_line(&mut io, len).await?;
    }
    if let Some(flood) = device.spec.faults.long_lines {
        for _ in 0..flood.count {
            endless_line(&mut io, flood.bytes).await?;
        }
    }
    let mut ticks = timeline[first..].iter().enumerate().peekable();
    loop {
        // Timeline entries at their times; lines written now (reactions, replays) as they come.
        let next_at = ticks.peek().map(|(_, t)| clock.when(t.at));
        let (line, at, message) = tokio::select! {
            biased;
            r = live.recv() => match r {
                Ok(e) => {
                    let line = match &e.raw {
                        Some(raw) => raw.clone(),
                        None => syslog_line(&device.spec.name, &e.spec, e.at),
                    };
                    (line.into_bytes(), e.at, e.spec.message.clone())
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    std::future::pending::<()>().await;
                    continue;
                }
            },
            () = sleep_until_opt(next_at) => {
                let Some((n, tick)) = ticks.next() else { continue };
                let spec = &device.spec.log[tick.line];
                let at = spec.stamp.unwrap_or_else(|| clock.wall(tick.at));
                let mut line = match &spec.raw {
                    Some(raw) => raw.clone().into_bytes(),
                    None => syslog_line(&device.spec.name, spec, at).into_bytes(),
                };
                if garbage && n % 2 == 1 {
                    line.extend_from_slice(b" \xff\xfe\x1b[31mred\x1b[0m\x07");
                }
                (line, at, spec.message.clone())
            }
        };
        let mut line = line;
        line.extend_from_slice(b"\n\0");
        io.write_all(&line).await?;
        io.flush().await?;
        device.note_sent("syslog_relay", at, &message);
    }
}

/// Sleep until `at`; forever when there is no `at`.
async fn sleep_until_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The `endless_line` fault: `len` bytes of filler (with a `\n` now and then, as entries may
/// have) and then the terminator, written in 64 KiB pieces.
async fn endless_line(io: &mut Box<dyn Io>, len: u64) -> std::io::Result<()> {
    let mut piece = vec![b'~'; 64 * 1024];
    for i in (99..piece.len()).step_by(100) {
        piece[i] = b'\n';
    }
    let mut left = len;
    while left > 0 {
        let n = usize::try_from(left.min(piece.len() as u64)).unwrap_or(piece.len());
        io.write_all(&piece[..n]).await?;
        left -= n as u64;
    }
    io.write_all(b"\n\0").await?;
    io.flush().await
}

fn entry_for(spec: &LogSpec, at: SystemTime) -> OsTraceEntry {
    let d = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    OsTraceEntry {
        pid: spec.pid,
        seconds: u32::try_from(d.as_secs()).unwrap_or(u32::MAX),
        micros: d.subsec_micros(),
        level: Level::from_word(&spec.level).unwrap_or(Level::Notice),
        image: spec.image.clone().unwrap_or_else(|| spec.process.clone()),
        filename: format!("/usr/libexec/{}", spec.process),
        message: spec.message.clone(),
        subsystem: spec.subsystem.clone(),
        category: spec
            .category
            .clone()
            .or(spec.subsystem.as_ref().map(|_| "default".into())),
    }
}

fn status_frame(d: plist::Dictionary) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    plist::Value::Dictionary(d)
        .to_writer_xml(&mut body)
        .map_err(std::io::Error::other)?;
    let mut out = vec![1u8];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

async fn os_trace(state: Arc<SimState>, dev: usize, mut io: Box<dyn Io>) -> std::io::Result<()> {
    let device = &state.devices[dev];
    let req = match read_frame(&mut io).await? {
        Some(Ok(r)) => r,
        _ => return Ok(()),
    };
    let mut ok = plist::Dictionary::new();
    ok.insert("Status".into(), "RequestSuccessful".into());
    match req.get("Request").and_then(|r| r.as_string()) {
        Some("StartActivity") => {}
        Some("PidList") => {
            let mut payload = plist::Dictionary::new();
            for l in &device.spec.log {
                let mut p = plist::Dictionary::new();
                p.insert("ProcessName".into(), l.process.clone().into());
                payload.insert(l.pid.to_string(), plist::Value::Dictionary(p));
            }
            ok.insert("Payload".into(), plist::Value::Dictionary(payload));
            io.write_all(&status_frame(ok)?).await?;
            return io.flush().await;
        }
        _ => {
            let mut e = plist::Dictionary::new();
            e.insert("Status".into(), "RequestFailed".into());
            io.write_all(&status_frame(e)?).await?;
            return io.flush().await;
        }
    }
    let pid_filter = req
        .get("Pid")
        .and_then(|p| p.as_signed_integer())
        .filter(|p| *p >= 0);
    io.write_all(&status_frame(ok)?).await?;
    io.flush().await?;
    let mut live = device.live.subscribe();
    let (clock, start) = state.start_clock_and_wait().await;
    let timeline = &device.timeline;
    let first = timeline.partition_point(|t| t.at < start);
    let garbage = device.spec.faults.malformed == Some(Malformed::OsTrace);
    let ticks = &timeline[first..];
    let wanted =
        |i: usize| pid_filter.is_none_or(|p| p == i64::from(device.spec.log[ticks[i].line].pid));
    let mut next = (0..ticks.len()).find(|i| wanted(*i));
    loop {
        let next_at = next.map(|i| clock.when(ticks[i].at));
        let (body, at, message) = tokio::select! {
            biased;
            r = live.recv() => match r {
                Ok(e) => {
                    if pid_filter.is_some_and(|p| p != i64::from(e.spec.pid)) {
                        continue;
                    }
                    (ostrace::encode_entry(&entry_for(&e.spec, e.at)), e.at, e.spec.message.clone())
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    std::future::pending::<()>().await;
                    continue;
                }
            },
            () = sleep_until_opt(next_at) => {
                let Some(n) = next else { continue };
                next = (n + 1..ticks.len()).find(|i| wanted(*i));
                let tick = &ticks[n];
                let spec = &device.spec.log[tick.line];
                let at = spec.stamp.unwrap_or_else(|| clock.wall(tick.at));
                let mut body = ostrace::encode_entry(&entry_for(spec, at));
                if garbage && n % 3 == 2 {
                    body.truncate(40);
                }
                (body, at, spec.message.clone())
            }
        };
        let mut frame = vec![2u8];
        frame.extend_from_slice(&(body.len() as u32).to_le_bytes());
        frame.extend_from_slice(&body);
        io.write_all(&frame).await?;
        io.flush().await?;
        device.note_sent("os_trace_relay", at, &message);
    }
}

async fn installation_proxy(
    state: Arc<SimState>,
    dev: usize,
    mut io: Box<dyn Io>,
) -> std::io::Result<()> {
    let device = &state.devices[dev];
    let faults = &device.spec.faults;
    loop {
        let req = match read_frame(&mut io).await? {
            Some(Ok(r)) => r,
            _ => return Ok(()),
        };
        if let Some(d) = faults.slow {
            tokio::time::sleep(d).await;
        }
        if faults.malformed == Some(Malformed::InstallationProxy) {
            let junk = b"<plist><dict><key>Status</key>";
            let mut out = (junk.len() as u32).to_be_bytes().to_vec();
            out.extend_from_slice(junk);
            io.write_all(&out).await?;
            io.flush().await?;
            continue;
        }
        let opts = req
            .get("ClientOptions")
            .and_then(|o| o.as_dictionary())
            .cloned()
            .unwrap_or_default();
        let kind = opts
            .get("ApplicationType")
            .and_then(|t| t.as_string())
            .unwrap_or("Any")
            .to_string();
        let attrs: Option<Vec<String>> = opts
            .get("ReturnAttributes")
            .and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_string().map(str::to_string))
                    .collect()
            });
        let ids: Option<Vec<String>> = opts.get("BundleIDs").and_then(|a| a.as_array()).map(|a| {
            a.iter()
                .filter_map(|x| x.as_string().map(str::to_string))
                .collect()
        });
        let apps: Vec<plist::Dictionary> = device
            .apps
            .iter()
            .filter(|a| {
                kind == "Any"
                    || a.get("ApplicationType").and_then(|t| t.as_string()) == Some(kind.as_str())
            })
            .filter(|a| {
                ids.as_ref().is_none_or(|ids| {
                    a.get("CFBundleIdentifier")
                        .and_then(|b| b.as_string())
                        .is_some_and(|b| ids.iter().any(|i| i == b))
                })
            })
            .map(|a| match &attrs {
                None => a.clone(),
                Some(keys) => a
                    .iter()
                    .filter(|(k, _)| keys.iter().any(|x| x == *k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            })
            .collect();
        match req.get("Command").and_then(|c| c.as_string()) {
            Some("Browse") => {
                let total = apps.len();
                for (i, chunk) in apps.chunks(2).enumerate() {
                    let mut d = plist::Dictionary::new();
                    d.insert("Status".into(), "BrowsingApplications".into());
                    d.insert("CurrentIndex".into(), ((i * 2) as u64).into());
                    d.insert("CurrentAmount".into(), (chunk.len() as u64).into());
                    d.insert("Total".into(), (total as u64).into());
                    d.insert(
                        "CurrentList".into(),
                        plist::Value::Array(
                            chunk
                                .iter()
                                .cloned()
                                .map(plist::Value::Dictionary)
                                .collect(),
                        ),
                    );
                    write_frame(&mut io, d).await?;
                }
                let mut done = plist::Dictionary::new();
                done.insert("Status".into(), "Complete".into());
                write_frame(&mut io, done).await?;
            }
            Some("Lookup") => {
                let result: plist::Dictionary = apps
                    .into_iter()
                    .filter_map(|a| {
                        let id = a
                            .get("CFBundleIdentifier")
                            .and_then(|b| b.as_string())
                            .map(str::to_string)?;
                        Some((id, plist::Value::Dictionary(a)))
                    })
                    .collect();
                let mut d = plist::Dictionary::new();
                d.insert("LookupResult".into(), plist::Value::Dictionary(result));
                d.insert("Status".into(), "Complete".into());
                write_frame(&mut io, d).await?;
            }
            other => {
                let mut d = plist::Dictionary::new();
                d.insert("Error".into(), "UnknownCommand".into());
                d.insert(
                    "ErrorDescription".into(),
                    format!("unknown command {:?}", other.unwrap_or("")).into(),
                );
                write_frame(&mut io, d).await?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn lines_look_like_idevicesyslog() {
        let spec = LogSpec {
            at: Duration::ZERO,
            process: "SpringBoard".into(),
            pid: 57,
            image: Some("FrontBoard".into()),
            level: "Notice".into(),
            message: "Bootstrapping com.example.call with intent background caf\u{e9}".into(),
            subsystem: None,
            category: None,
            repeat: 1,
            every: None,
            stamp: None,
            raw: None,
        };
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_064_801);
        assert_eq!(
            syslog_line("QA iPhone", &spec, t),
            // synthetic: decoder/plumbing input (prefix splitting, escapes), no verdict asserted
            "Nov 25 10:00:01 QA-iPhone SpringBoard(FrontBoard)[57] <Notice>: Bootstrapping com.example.call with intent background caf\\M-C\\M-)"
        );
    }
}
