//! Live sources from a phone, for `watch` and `probe`: the text log (`com.apple.syslog_relay`),
//! the binary log (`com.apple.os_trace_relay`) and usbmuxd attach/detach events.
//!
//! Disconnects are explicit: when the phone goes away, `next()` returns
//! [`DeviceError::Disconnected`] (check with [`DeviceError::is_disconnect`]); a caller that wants to
//! reconnect waits with [`wait_attached`] and opens the stream again. A decoding problem in one
//! os_trace entry is not fatal: it comes back as the inner `Err` and the stream goes on.
//!
//! usbmuxd events are read here rather than through `UsbmuxdConnection::listen`, whose stream
//! borrows the connection and is not `Send`; [`Watcher`] owns its socket and can live in a task.
//! It still uses idevice's packet type for the framing.

use super::ostrace::{self, Frame, OsTraceEntry, OsTraceError};
use super::syslog::{self, SyslogEntry};
use super::{Device, DeviceError, Link, MuxAddr, Selector, display_udid, within};
use idevice::usbmuxd::{RawPacket, UsbmuxdConnection};
use idevice::{Idevice, IdeviceService, ReadWrite};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The text log service.
pub(crate) const SYSLOG_SERVICE: &str = "com.apple.syslog_relay";
/// The binary log service.
pub(crate) const OS_TRACE_SERVICE: &str = "com.apple.os_trace_relay";

/// A live `syslog_relay` stream: one entry per `next()`, as the phone wrote it (without the
/// `"\n\0"` terminator; an entry may contain `\n`; bytes above ASCII are vis-escaped by iOS).
/// Memory is bounded: an entry longer than [`syslog::MAX_ENTRY`] comes back cut (see
/// [`syslog::Splitter`]).
#[derive(Debug)]
pub struct SyslogStream {
    idevice: Idevice,
    splitter: syslog::Splitter,
    ready: std::collections::VecDeque<SyslogEntry>,
    udid: String,
}

struct SyslogService(Idevice);

impl IdeviceService for SyslogService {
    fn service_name() -> std::borrow::Cow<'static, str> {
        SYSLOG_SERVICE.into()
    }
    async fn from_stream(idevice: Idevice) -> Result<Self, idevice::IdeviceError> {
        Ok(SyslogService(idevice))
    }
}

impl SyslogStream {
    /// The next entry's text (the beginning of it when it was cut). Waits as long as the phone
    /// is quiet; `Err(Disconnected)` when it goes away.
    pub async fn next(&mut self) -> Result<String, DeviceError> {
        self.next_entry().await.map(|e| e.text)
    }

    /// The next entry, saying whether it was cut.
    pub async fn next_entry(&mut self) -> Result<SyslogEntry, DeviceError> {
        let mut out = Vec::new();
        loop {
            if let Some(e) = self.ready.pop_front() {
                return Ok(e);
            }
            let chunk = self
                .idevice
                .read_any(64 * 1024)
                .await
                .map_err(|e| DeviceError::from_idevice(e, &self.udid, "read the device log"))?;
            if chunk.is_empty() {
                return Err(DeviceError::Disconnected {
                    what: "read the device log".into(),
                    udid: self.udid.clone(),
                });
            }
            self.splitter.feed(&chunk, &mut out);
            self.ready.extend(out.drain(..));
        }
    }

    /// The UDID this stream reads.
    pub fn udid(&self) -> &str {
        &self.udid
    }
}

/// A live `os_trace_relay` stream of decoded entries.
#[derive(Debug)]
pub struct OsTraceStream {
    idevice: Idevice,
    buf: Vec<u8>,
    udid: String,
}

struct OsTraceService(Idevice);

impl IdeviceService for OsTraceService {
    fn service_name() -> std::borrow::Cow<'static, str> {
        OS_TRACE_SERVICE.into()
    }
    async fn from_stream(idevice: Idevice) -> Result<Self, idevice::IdeviceError> {
        Ok(OsTraceService(idevice))
    }
}

impl OsTraceStream {
    /// The next entry: `Ok(Ok(entry))`, `Ok(Err(_))` for an entry that could not be decoded
    /// (skip it and go on), `Err(_)` when the stream is over (disconnect, or a desynchronised
    /// stream).
    pub async fn next(&mut self) -> Result<Result<OsTraceEntry, OsTraceError>, DeviceError> {
        loop {
            match ostrace::split_frame(&self.buf) {
                Ok(Some((frame, used))) => {
                    let out = match frame {
                        Frame::Entry(body) => Some(ostrace::decode_entry(body)),
                        Frame::Status(_) => None,
                    };
                    self.buf.drain(..used);
                    if let Some(e) = out {
                        return Ok(e);
                    }
                }
                Ok(None) => {
                    let chunk = self.idevice.read_any(64 * 1024).await.map_err(|e| {
                        DeviceError::from_idevice(e, &self.udid, "read the device log")
                    })?;
                    if chunk.is_empty() {
                        return Err(DeviceError::Disconnected {
                            what: "read the device log".into(),
                            udid: self.udid.clone(),
                        });
                    }
                    self.buf.extend_from_slice(&chunk);
                }
                Err(e) => {
                    return Err(DeviceError::Malformed {
                        what: "read the device log".into(),
                        detail: e.to_string(),
                    });
                }
            }
        }
    }

    /// The UDID this stream reads.
    pub fn udid(&self) -> &str {
        &self.udid
    }
}

/// Build `4-byte big-endian length + binary plist`, the framing of lockdown services.
fn framed_bplist(v: &plist::Value) -> Result<Vec<u8>, plist::Error> {
    let mut body = Vec::new();
    v.to_writer_binary(&mut body)?;
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    Ok(out)
}

/// The live device log, from whichever service the phone gave.
#[derive(Debug)]
pub enum LogStream {
    /// syslog_relay: text lines, 1 s stamps.
    Syslog(SyslogStream),
    /// os_trace_relay: binary entries with microsecond stamps.
    OsTrace(OsTraceStream),
}

impl LogStream {
    /// The service's name, as users know it.
    pub fn name(&self) -> &'static str {
        match self {
            LogStream::Syslog(_) => "syslog_relay",
            LogStream::OsTrace(_) => "os_trace_relay",
        }
    }
}

impl Device {
    /// Open the text log.
    pub async fn syslog(&self) -> Result<SyslogStream, DeviceError> {
        let SyslogService(idevice) = self.service(SYSLOG_SERVICE).await?;
        Ok(SyslogStream {
            idevice,
            splitter: syslog::Splitter::default(),
            ready: std::collections::VecDeque::new(),
            udid: self.udid.clone(),
        })
    }

    /// Open the device log: os_trace_relay (for every process, or `pid`), or syslog_relay when
    /// `force_syslog` or when the phone refuses os_trace_relay — then with the reason, for the
    /// caller to tell the user. A phone that went away or does not answer is an error, not a
    /// reason to fall back.
    pub async fn log_stream(
        &self,
        pid: Option<u32>,
        force_syslog: bool,
    ) -> Result<(LogStream, Option<DeviceError>), DeviceError> {
        let mut fallback = None;
        if !force_syslog {
            match self.os_trace(pid).await {
                Ok(s) => return Ok((LogStream::OsTrace(s), None)),
                Err(e @ (DeviceError::Disconnected { .. } | DeviceError::Timeout { .. })) => {
                    return Err(e);
                }
                Err(e) => fallback = Some(e),
            }
        }
        Ok((LogStream::Syslog(self.syslog().await?), fallback))
    }

    /// Open the binary log, for every process (`pid` None) or one.
    pub async fn os_trace(&self, pid: Option<u32>) -> Result<OsTraceStream, DeviceError> {
        let OsTraceService(mut idevice) = self.service(OS_TRACE_SERVICE).await?;
        let what = format!("start the os_trace log stream on {}", self.udid);
        let mut req = plist::Dictionary::new();
        req.insert("Request".into(), "StartActivity".into());
        req.insert("Pid".into(), pid.map_or(-1, i64::from).into());
        req.insert("MessageFilter".into(), 65_535.into());
        req.insert("StreamFlags".into(), 60.into());
        let bytes =
            framed_bplist(&plist::Value::Dictionary(req)).map_err(|e| DeviceError::Malformed {
                what: what.clone(),
                detail: e.to_string(),
            })?;
        let mut buf: Vec<u8> = Vec::new();
        within(self.timeout, &what, async {
            idevice.send_raw(&bytes).await.map_err(self.err(&what))?;
            // The reply is a status frame: 0x01, big-endian length, plist {Status}.
            loop {
                match ostrace::split_frame(&buf) {
                    Ok(Some((Frame::Status(body), used))) => {
                        let status: Result<plist::Dictionary, _> = plist::from_bytes(body);
                        let ok = status
                            .as_ref()
                            .ok()
                            .and_then(|d| d.get("Status"))
                            .and_then(|s| s.as_string())
                            == Some("RequestSuccessful");
                        let detail = format!("{status:?}");
                        buf.drain(..used);
                        return if ok {
                            Ok(())
                        } else {
                            Err(DeviceError::Malformed {
                                what: what.clone(),
                                detail,
                            })
                        };
                    }
                    Ok(Some((Frame::Entry(_), _))) | Err(_) => {
                        return Err(DeviceError::Malformed {
                            what: what.clone(),
                            detail: "no StartActivity status".into(),
                        });
                    }
                    Ok(None) => {
                        let chunk = idevice.read_any(4096).await.map_err(self.err(&what))?;
                        if chunk.is_empty() {
                            return Err(DeviceError::Disconnected {
                                what: what.clone(),
                                udid: self.udid.clone(),
                            });
                        }
                        buf.extend_from_slice(&chunk);
                    }
                }
            }
        })
        .await?;
        Ok(OsTraceStream {
            idevice,
            buf,
            udid: self.udid.clone(),
        })
    }
}

/// An attach or detach reported by usbmuxd.
#[derive(Debug, Clone)]
pub(crate) enum DeviceEvent {
    /// A device was attached (also sent for each device present when watching starts).
    Attached(Device),
    /// A device went away.
    Detached {
        /// usbmuxd's handle (the `device_id` of the `Attached` event).
        device_id: u32,
    },
}

/// A usbmuxd `Listen` connection: attach/detach events for as long as it is open.
#[derive(Debug)]
pub struct Watcher {
    socket: Box<dyn ReadWrite>,
    addr: idevice::usbmuxd::UsbmuxdAddr,
    timeout: Duration,
}

impl Watcher {
    /// Start listening (connect and send `Listen`).
    pub async fn start(sel: &Selector) -> Result<Watcher, DeviceError> {
        let what = format!("listen for devices on usbmuxd at {}", sel.addr);
        within(sel.timeout, &what, async {
            let addr = sel.addr.to_idevice()?;
            let mut socket = super::mux::socket(&addr).await.map_err(|e| match e {
                idevice::IdeviceError::Socket(io) => DeviceError::NoUsbmuxd {
                    addr: sel.addr.clone(),
                    source: io,
                },
                other => DeviceError::Protocol {
                    what: what.clone(),
                    source: other,
                },
            })?;
            let mut req = plist::Dictionary::new();
            req.insert("MessageType".into(), "Listen".into());
            req.insert("ClientVersionString".into(), "voipctl".into());
            req.insert("ProgName".into(), "voipctl".into());
            req.insert("kLibUSBMuxVersion".into(), 3.into());
            let packet: Vec<u8> = RawPacket::new(
                req,
                UsbmuxdConnection::XML_PLIST_VERSION,
                UsbmuxdConnection::PLIST_MESSAGE_TYPE,
                1,
            )
            .into();
            socket
                .write_all(&packet)
                .await
                .map_err(|e| mux_io(&sel.addr, &what, e))?;
            let reply = read_packet(&mut socket)
                .await
                .map_err(|e| mux_io(&sel.addr, &what, e))?;
            match reply
                .plist
                .get("Number")
                .and_then(|n| n.as_unsigned_integer())
            {
                Some(0) => Ok(Watcher {
                    socket,
                    addr,
                    timeout: sel.timeout,
                }),
                other => Err(DeviceError::Malformed {
                    what: what.clone(),
                    detail: format!("Listen result {other:?}"),
                }),
            }
        })
        .await
    }

    /// The next event; waits as long as nothing changes. An error means usbmuxd went away.
    pub(crate) async fn next(&mut self) -> Result<DeviceEvent, DeviceError> {
        loop {
            let p = read_packet(&mut self.socket)
                .await
                .map_err(|e| DeviceError::Malformed {
                    what: "listen for devices on usbmuxd".into(),
                    detail: e.to_string(),
                })?;
            if let Some(ev) = event_from_plist(&p.plist, &self.addr, self.timeout) {
                return Ok(ev);
            }
        }
    }
}

fn mux_io(addr: &MuxAddr, what: &str, e: std::io::Error) -> DeviceError {
    DeviceError::Malformed {
        what: what.to_string(),
        detail: format!("usbmuxd at {addr}: {e}"),
    }
}

/// Read one usbmuxd packet (16-byte little-endian header, then a plist), bounded in size.
async fn read_packet(socket: &mut Box<dyn ReadWrite>) -> std::io::Result<RawPacket> {
    let mut header = [0u8; 16];
    socket.read_exact(&mut header).await?;
    let size = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    if !(16..=(4 << 20)).contains(&size) {
        return Err(std::io::Error::other(format!("bad packet length {size}")));
    }
    let mut packet = header.to_vec();
    packet.resize(size, 0);
    socket.read_exact(&mut packet[16..]).await?;
    RawPacket::try_from(&packet[..]).map_err(|()| std::io::Error::other("undecodable packet"))
}

/// Turn a `Listen` message (`Attached` / `Detached`; others are ignored) into an event.
pub(crate) fn event_from_plist(
    d: &plist::Dictionary,
    addr: &idevice::usbmuxd::UsbmuxdAddr,
    timeout: Duration,
) -> Option<DeviceEvent> {
    let id = d
        .get("DeviceID")
        .and_then(|v| v.as_unsigned_integer())
        .and_then(|v| u32::try_from(v).ok())?;
    match d.get("MessageType").and_then(|v| v.as_string())? {
        "Detached" => Some(DeviceEvent::Detached { device_id: id }),
        "Attached" => {
            let props = d.get("Properties").and_then(|p| p.as_dictionary())?;
            let serial = props.get("SerialNumber").and_then(|s| s.as_string())?;
            let link = match props.get("ConnectionType").and_then(|s| s.as_string()) {
                Some("USB") => Link::Usb,
                _ => Link::Network(
                    props
                        .get("NetworkAddress")
                        .and_then(|a| a.as_data())
                        .and_then(sockaddr_ip),
                ),
            };
            Some(DeviceEvent::Attached(Device {
                udid: display_udid(serial),
                serial: serial.to_string(),
                device_id: id,
                link,
                addr: addr.clone(),
                timeout,
            }))
        }
        _ => None,
    }
}

/// The IP address in a `NetworkAddress` sockaddr (first byte its length, then the family:
/// 2 for IPv4, 30 (macOS) or 10 (Linux) for IPv6).
pub(crate) fn sockaddr_ip(b: &[u8]) -> Option<IpAddr> {
    let family = *b.get(1)?;
    match family {
        2 => {
            let o = b.get(4..8)?;
            Some(IpAddr::V4(Ipv4Addr::new(o[0], o[1], o[2], o[3])))
        }
        10 | 23 | 28 | 30 => {
            let o: [u8; 16] = b.get(8..24)?.try_into().ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(o)))
        }
        _ => None,
    }
}

/// Wait until the device `udid` is attached (for reconnecting after a detach), up to `limit`.
pub async fn wait_attached(
    sel: &Selector,
    udid: &str,
    limit: Duration,
) -> Result<Device, DeviceError> {
    let what = format!("wait for {udid} to be reconnected");
    let want = Selector {
        udid: Some(udid.to_string()),
        ..sel.clone()
    };
    within(limit, &what, async {
        let mut w = Watcher::start(&want).await?;
        loop {
            if let DeviceEvent::Attached(d) = w.next().await?
                && super::same_udid(&d.udid, udid)
                && want.network == matches!(d.link, Link::Network(_))
            {
                return Ok(d);
            }
        }
    })
    .await
}
