//! The usbmuxd side of the simulator: the plist protocol (version 1, message 8) as real clients
//! speak it. Requests are decoded with idevice's server-side types; replies are XML plists that
//! echo the request's tag (libusbmuxd parses only XML, pymobiledevice3 checks tags). BADVERSION is
//! never sent: libusbmuxd would fall back to its broken binary protocol.

use super::scenario::Malformed;
use super::{Io, MuxEvent, SimState};
use idevice::usbmuxd::server::{UsbmuxdServerRequest, UsbmuxdServerResponse};
use idevice::usbmuxd::{RawPacket, UsbmuxdConnection};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// usbmuxd result codes.
const RESULT_OK: u32 = 0;
const RESULT_BADCOMMAND: u32 = 1;
const RESULT_BADDEV: u32 = 2;
const RESULT_CONNREFUSED: u32 = 3;
/// ENOENT: no pair record.
const RESULT_ENOENT: u32 = 2;

/// Largest request accepted.
pub(super) const MAX_PACKET: usize = 1 << 20;

/// Why a request could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MuxDecodeError {
    /// The header's length is out of range.
    #[error("usbmuxd packet length {0} is out of range")]
    Length(u32),
    /// The body is not a plist dictionary.
    #[error("usbmuxd packet body is not a plist dictionary")]
    Body,
}

/// Parse one complete packet (header and body) sent by a client: the usbmuxd request parser,
/// safe on any bytes.
pub fn decode_packet(bytes: &[u8]) -> Result<RawPacket, MuxDecodeError> {
    let size = bytes
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or(MuxDecodeError::Length(0))?;
    if (size as usize) < 16 || size as usize > MAX_PACKET || size as usize > bytes.len() {
        return Err(MuxDecodeError::Length(size));
    }
    RawPacket::try_from(&bytes[..size as usize]).map_err(|()| MuxDecodeError::Body)
}

async fn read_packet(
    io: &mut Box<dyn Io>,
) -> std::io::Result<Option<Result<RawPacket, MuxDecodeError>>> {
    let mut header = [0u8; 16];
    match io.read_exact(&mut header).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let size = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    if (size as usize) < 16 || size as usize > MAX_PACKET {
        return Ok(Some(Err(MuxDecodeError::Length(size))));
    }
    let mut packet = header.to_vec();
    packet.resize(size as usize, 0);
    io.read_exact(&mut packet[16..]).await?;
    Ok(Some(decode_packet(&packet)))
}

async fn send(io: &mut Box<dyn Io>, r: UsbmuxdServerResponse, tag: u32) -> std::io::Result<()> {
    let bytes: Vec<u8> = r.into_packet(tag).into();
    io.write_all(&bytes).await?;
    io.flush().await
}

async fn send_garbage(io: &mut Box<dyn Io>, tag: u32) -> std::io::Result<()> {
    let body = b"<?xml version=\"1.0\"?><plist><dict><key>DeviceList</key><array><dict>";
    let mut out = Vec::new();
    out.extend_from_slice(&((body.len() + 16) as u32).to_le_bytes());
    out.extend_from_slice(&UsbmuxdConnection::XML_PLIST_VERSION.to_le_bytes());
    out.extend_from_slice(&UsbmuxdConnection::PLIST_MESSAGE_TYPE.to_le_bytes());
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(body);
    io.write_all(&out).await?;
    io.flush().await
}

/// Serve one client connection until it closes (or becomes a tunnel or a Listen stream).
pub(crate) async fn serve(state: Arc<SimState>, mut io: Box<dyn Io>) -> std::io::Result<()> {
    loop {
        let packet = match read_packet(&mut io).await? {
            None => return Ok(()),
            Some(Ok(p)) => p,
            Some(Err(MuxDecodeError::Length(_))) => return Ok(()),
            Some(Err(MuxDecodeError::Body)) => {
                send(&mut io, UsbmuxdServerResponse::Result(RESULT_BADCOMMAND), 0).await?;
                continue;
            }
        };
        let tag = packet.tag;
        if packet.message != UsbmuxdConnection::PLIST_MESSAGE_TYPE {
            send(
                &mut io,
                UsbmuxdServerResponse::Result(RESULT_BADCOMMAND),
                tag,
            )
            .await?;
            continue;
        }
        let req = match UsbmuxdServerRequest::decode(&packet) {
            Ok(r) => r,
            Err(_) => {
                let t = packet.plist.get("MessageType").and_then(|v| v.as_string());
                let code = match t {
                    Some("DeletePairRecord") => RESULT_OK,
                    _ => RESULT_BADCOMMAND,
                };
                send(&mut io, UsbmuxdServerResponse::Result(code), tag).await?;
                continue;
            }
        };
        match req {
            UsbmuxdServerRequest::ListDevices => {
                if state.any_fault(Malformed::Usbmuxd) {
                    send_garbage(&mut io, tag).await?;
                    continue;
                }
                let list = state.attached_list();
                send(&mut io, UsbmuxdServerResponse::DeviceList(list), tag).await?;
            }
            UsbmuxdServerRequest::ReadBuid => {
                send(
                    &mut io,
                    UsbmuxdServerResponse::Buid(state.pki.system_buid.clone()),
                    tag,
                )
                .await?;
            }
            UsbmuxdServerRequest::ReadPairRecord { pair_record_id } => {
                let reply = match state.pair_record(&pair_record_id) {
                    Some(rec) => UsbmuxdServerResponse::PairRecord(rec),
                    None => UsbmuxdServerResponse::Result(RESULT_ENOENT),
                };
                send(&mut io, reply, tag).await?;
            }
            UsbmuxdServerRequest::SavePairRecord { .. } => {
                send(&mut io, UsbmuxdServerResponse::Result(RESULT_OK), tag).await?;
            }
            UsbmuxdServerRequest::Listen => {
                return listen(state, io, tag).await;
            }
            UsbmuxdServerRequest::Connect { device_id, port } => {
                let Ok(id) = u32::try_from(device_id) else {
                    send(&mut io, UsbmuxdServerResponse::Result(RESULT_BADDEV), tag).await?;
                    continue;
                };
                let Some(dev) = state.device_by_id(id) else {
                    send(&mut io, UsbmuxdServerResponse::Result(RESULT_BADDEV), tag).await?;
                    continue;
                };
                let target = state.devices[dev].target(port);
                let Some(target) = target else {
                    send(
                        &mut io,
                        UsbmuxdServerResponse::Result(RESULT_CONNREFUSED),
                        tag,
                    )
                    .await?;
                    continue;
                };
                send(&mut io, UsbmuxdServerResponse::Result(RESULT_OK), tag).await?;
                return super::tunnel(state, dev, target, io).await;
            }
        }
    }
}

async fn listen(state: Arc<SimState>, mut io: Box<dyn Io>, tag: u32) -> std::io::Result<()> {
    let mut rx = state.events.subscribe();
    send(&mut io, UsbmuxdServerResponse::Result(RESULT_OK), tag).await?;
    for entry in state.attached_entries() {
        send(&mut io, UsbmuxdServerResponse::Attached(entry), 0).await?;
    }
    let mut probe = [0u8; 64];
    loop {
        tokio::select! {
            ev = rx.recv() => match ev {
                Ok(MuxEvent::Attached(entry)) => {
                    send(&mut io, UsbmuxdServerResponse::Attached(entry), 0).await?;
                }
                Ok(MuxEvent::Detached(id)) => {
                    send(&mut io, UsbmuxdServerResponse::Detached(u64::from(id)), 0).await?;
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
            },
            // The client hangs up (or sends something we ignore).
            n = io.read(&mut probe) => {
                if n? == 0 {
                    return Ok(());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_real_request_decodes() {
        let mut d = plist::Dictionary::new();
        d.insert("MessageType".into(), "ListDevices".into());
        let bytes: Vec<u8> = RawPacket::new(d, 1, 8, 7).into();
        let p = decode_packet(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.tag, 7);
        assert!(matches!(
            UsbmuxdServerRequest::decode(&p),
            Ok(UsbmuxdServerRequest::ListDevices)
        ));
    }

    proptest! {
        #[test]
        fn decode_never_panics(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(p) = decode_packet(&b) {
                let _ = UsbmuxdServerRequest::decode(&p);
            }
        }
    }
}
