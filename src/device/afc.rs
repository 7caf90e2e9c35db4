//! Apple File Conduit (AFC) framing, bounded: the packet codec shared by voipctl's crash-report
//! client ([`super::crash`]) and the simulator's `com.apple.crashreportcopymobile` server.
//!
//! A packet is a 40-byte little-endian header — magic `CFA6LPAA`, entire length, header length
//! ("this length": header + operation arguments), packet number, operation — then the
//! operation's arguments (path, handle, …) and a payload (file data, NUL-separated lists).
//! Replies echo the request's packet number: `DATA` (payload), `FILE_OPEN_RES` (handle) or
//! `STATUS` (an 8-byte error code, 0 = success).
//!
//! voipctl does not use the `idevice` crate's AFC reader for this: it subtracts the header
//! length from lengths the phone sends without checking and allocates whatever length the phone
//! announces, so one bad packet panics or aborts the process. Here every length is checked
//! against the header size and a maximum before anything is allocated.

use tokio::io::{AsyncRead, AsyncReadExt};

/// The magic at the start of every packet.
pub const MAGIC: &[u8; 8] = b"CFA6LPAA";
/// Header size.
pub const HEADER_LEN: u64 = 40;
/// The largest packet either side accepts (a file read is at most [`MAX_READ`] of data).
pub const MAX_PACKET: u64 = 8 * 1024 * 1024;
/// The most file data one read asks for / one reply carries.
pub const MAX_READ: u64 = 4 * 1024 * 1024;

/// Operations (the numbers libimobiledevice's `afc.h` and Apple's afcd use).
pub mod op {
    /// Status reply (8-byte error code).
    pub const STATUS: u64 = 0x01;
    /// Data reply.
    pub const DATA: u64 = 0x02;
    /// List a directory.
    pub const READ_DIR: u64 = 0x03;
    /// Remove a file or an empty directory.
    pub const REMOVE_PATH: u64 = 0x08;
    /// Create a directory.
    pub const MAKE_DIR: u64 = 0x09;
    /// File attributes.
    pub const GET_FILE_INFO: u64 = 0x0a;
    /// File-system attributes.
    pub const GET_DEVINFO: u64 = 0x0b;
    /// Write a whole file.
    pub const WRITE_FILE_ATOM: u64 = 0x0c;
    /// Open a file.
    pub const FILE_OPEN: u64 = 0x0d;
    /// Open reply (handle).
    pub const FILE_OPEN_RES: u64 = 0x0e;
    /// Read from a handle.
    pub const READ: u64 = 0x0f;
    /// Write to a handle.
    pub const WRITE: u64 = 0x10;
    /// Seek.
    pub const FILE_SEEK: u64 = 0x11;
    /// Tell.
    pub const FILE_TELL: u64 = 0x12;
    /// Close a handle.
    pub const FILE_CLOSE: u64 = 0x14;
    /// Rename.
    pub const RENAME_PATH: u64 = 0x18;
    /// Remove recursively.
    pub const REMOVE_PATH_AND_CONTENTS: u64 = 0x22;
}

/// AFC error codes (libimobiledevice's `afc_error_t`).
pub mod status {
    /// Success.
    pub const SUCCESS: u64 = 0;
    /// Unknown error.
    pub const UNKNOWN: u64 = 1;
    /// Bad operation header.
    pub const OP_HEADER_INVALID: u64 = 2;
    /// Read error.
    pub const READ_ERROR: u64 = 4;
    /// Unknown packet type.
    pub const UNKNOWN_PACKET_TYPE: u64 = 6;
    /// Invalid argument.
    pub const INVALID_ARG: u64 = 7;
    /// No such file or directory.
    pub const OBJECT_NOT_FOUND: u64 = 8;
    /// It is a directory.
    pub const OBJECT_IS_DIR: u64 = 9;
    /// Permission denied.
    pub const PERM_DENIED: u64 = 10;
    /// Operation not supported.
    pub const OP_NOT_SUPPORTED: u64 = 15;
    /// Directory not empty.
    pub const DIR_NOT_EMPTY: u64 = 33;

    /// A word for an error code.
    pub fn name(code: u64) -> &'static str {
        match code {
            SUCCESS => "success",
            UNKNOWN => "unknown error",
            OP_HEADER_INVALID => "invalid operation header",
            READ_ERROR => "read error",
            UNKNOWN_PACKET_TYPE => "unknown packet type",
            INVALID_ARG => "invalid argument",
            OBJECT_NOT_FOUND => "no such file",
            OBJECT_IS_DIR => "is a directory",
            PERM_DENIED => "permission denied",
            OP_NOT_SUPPORTED => "operation not supported",
            DIR_NOT_EMPTY => "directory not empty",
            _ => "error",
        }
    }
}

/// Why bytes are not an AFC packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AfcFrameError {
    /// The magic is missing.
    #[error("not an AFC packet (no CFA6LPAA magic)")]
    Magic,
    /// Lengths that contradict each other or the limit.
    #[error("AFC packet lengths are invalid (entire {entire}, header {this})")]
    Lengths {
        /// Entire length.
        entire: u64,
        /// Header length.
        this: u64,
    },
}

/// A decoded header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Header + arguments + payload.
    pub entire_len: u64,
    /// Header + arguments.
    pub this_len: u64,
    /// Request number (echoed by replies).
    pub packet_num: u64,
    /// Operation.
    pub op: u64,
}

impl Header {
    /// Bytes of arguments after the header.
    pub fn args_len(&self) -> usize {
        (self.this_len - HEADER_LEN) as usize
    }
    /// Bytes of payload after the arguments.
    pub fn payload_len(&self) -> usize {
        (self.entire_len - self.this_len) as usize
    }
}

fn le(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

/// Decode and check a header (`max`: the largest entire length accepted).
pub fn decode_header(b: &[u8; 40], max: u64) -> Result<Header, AfcFrameError> {
    if &b[..8] != MAGIC {
        return Err(AfcFrameError::Magic);
    }
    let h = Header {
        entire_len: le(&b[8..]),
        this_len: le(&b[16..]),
        packet_num: le(&b[24..]),
        op: le(&b[32..]),
    };
    if h.this_len < HEADER_LEN || h.entire_len < h.this_len || h.entire_len > max {
        return Err(AfcFrameError::Lengths {
            entire: h.entire_len,
            this: h.this_len,
        });
    }
    Ok(h)
}

/// Build a packet.
pub fn encode(op: u64, packet_num: u64, args: &[u8], payload: &[u8]) -> Vec<u8> {
    let this = HEADER_LEN + args.len() as u64;
    let entire = this + payload.len() as u64;
    let mut out = Vec::with_capacity(entire as usize);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&entire.to_le_bytes());
    out.extend_from_slice(&this.to_le_bytes());
    out.extend_from_slice(&packet_num.to_le_bytes());
    out.extend_from_slice(&op.to_le_bytes());
    out.extend_from_slice(args);
    out.extend_from_slice(payload);
    out
}

/// A whole packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The header.
    pub header: Header,
    /// Operation arguments.
    pub args: Vec<u8>,
    /// Payload.
    pub payload: Vec<u8>,
}

impl Packet {
    /// The first 8 bytes of the arguments as a number (status code, handle), or of the payload
    /// when the arguments are empty (some peers put them there).
    pub fn first_u64(&self) -> Option<u64> {
        let src = if self.args.len() >= 8 {
            &self.args
        } else {
            &self.payload
        };
        (src.len() >= 8).then(|| le(src))
    }
}

/// Split one packet off the front of `buf`: `Ok(None)` when more bytes are needed.
pub fn split_packet(buf: &[u8], max: u64) -> Result<Option<(Packet, usize)>, AfcFrameError> {
    if buf.len() < HEADER_LEN as usize {
        return Ok(None);
    }
    let mut hb = [0u8; 40];
    hb.copy_from_slice(&buf[..40]);
    let header = decode_header(&hb, max)?;
    let total = header.entire_len as usize;
    if buf.len() < total {
        return Ok(None);
    }
    let this = header.this_len as usize;
    Ok(Some((
        Packet {
            header,
            args: buf[40..this].to_vec(),
            payload: buf[this..total].to_vec(),
        },
        total,
    )))
}

/// Read one packet from a stream; `Ok(None)` at a clean end of stream before a header.
pub async fn read_packet<R: AsyncRead + Unpin + ?Sized>(
    r: &mut R,
    max: u64,
) -> std::io::Result<Option<Packet>> {
    let mut hb = [0u8; 40];
    let mut got = 0;
    while got < hb.len() {
        let n = r.read(&mut hb[got..]).await?;
        if n == 0 {
            if got == 0 {
                return Ok(None);
            }
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        got += n;
    }
    let header = decode_header(&hb, max)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let mut args = vec![0u8; header.args_len()];
    r.read_exact(&mut args).await?;
    let mut payload = vec![0u8; header.payload_len()];
    r.read_exact(&mut payload).await?;
    Ok(Some(Packet {
        header,
        args,
        payload,
    }))
}

/// NUL-separated strings (a directory listing), empty ones dropped.
pub fn strings(b: &[u8]) -> Vec<String> {
    b.split(|x| *x == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// NUL-separated key/value pairs (file info, device info).
pub fn pairs(b: &[u8]) -> Vec<(String, String)> {
    let s = strings(b);
    s.chunks_exact(2)
        .map(|kv| (kv[0].clone(), kv[1].clone()))
        .collect()
}

/// A path argument: the bytes up to the first NUL.
pub fn path_arg(b: &[u8]) -> String {
    let end = b.iter().position(|x| *x == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let p = encode(
            op::FILE_OPEN,
            7,
            &[1, 0, 0, 0, 0, 0, 0, 0, b'/', b'a'],
            b"xyz",
        );
        let (pk, used) = split_packet(&p, MAX_PACKET).unwrap().unwrap();
        assert_eq!(used, p.len());
        assert_eq!(pk.header.packet_num, 7);
        assert_eq!(pk.header.op, op::FILE_OPEN);
        assert_eq!(pk.first_u64(), Some(1));
        assert_eq!(path_arg(&pk.args[8..]), "/a");
        assert_eq!(pk.payload, b"xyz");
        assert_eq!(split_packet(&p[..p.len() - 1], MAX_PACKET).unwrap(), None);
    }

    #[test]
    fn bad_lengths_are_errors() {
        let mut p = encode(op::STATUS, 1, &0u64.to_le_bytes(), &[]);
        p[16..24].copy_from_slice(&3u64.to_le_bytes());
        assert!(matches!(
            split_packet(&p, MAX_PACKET),
            Err(AfcFrameError::Lengths { .. })
        ));
        let mut p = encode(op::STATUS, 1, &[], &[]);
        p[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(split_packet(&p, MAX_PACKET).is_err());
        p[0] = b'X';
        assert_eq!(split_packet(&p, MAX_PACKET), Err(AfcFrameError::Magic));
    }

    #[test]
    fn lists_and_pairs() {
        assert_eq!(strings(b".\0..\0a.ips\0"), vec![".", "..", "a.ips"]);
        assert_eq!(
            pairs(b"st_size\x0012\x00st_ifmt\x00S_IFREG\x00"),
            vec![
                ("st_size".to_string(), "12".to_string()),
                ("st_ifmt".to_string(), "S_IFREG".to_string())
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn split_never_panics(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let mut v = b.clone();
            if v.len() >= 8 { v[..8].copy_from_slice(MAGIC); }
            let _ = split_packet(&v, MAX_PACKET);
            let _ = split_packet(&b, MAX_PACKET);
            let _ = pairs(&b);
        }
    }
}
