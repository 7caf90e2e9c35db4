//! The simulated lockdownd (port 62078): 4-byte big-endian length + plist frames, a TLS session
//! after `StartSession`, values, and service start-up. Replies are XML plists that echo
//! `Request`; errors are the strings real phones send (`PasswordProtected`, `InvalidHostID`, …).

use super::scenario::{Malformed, Pairing};
use super::{Io, SimState};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest lockdown/service frame accepted from a client.
pub(super) const MAX_FRAME: usize = 4 << 20;

/// Why a frame from a client could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// Length out of range.
    #[error("frame length {0} is out of range")]
    Length(u32),
    /// Not a plist dictionary.
    #[error("frame is not a plist dictionary")]
    Body,
}

/// Decode a frame body sent by a client (XML or binary plist dictionary): the lockdown and
/// service request parser, safe on any bytes.
pub fn decode_request(body: &[u8]) -> Result<plist::Dictionary, FrameError> {
    plist::from_bytes::<plist::Dictionary>(body).map_err(|_| FrameError::Body)
}

/// Read one frame; `Ok(None)` at a clean end of stream.
pub(crate) async fn read_frame<R: AsyncRead + Unpin + ?Sized>(
    r: &mut R,
) -> std::io::Result<Option<Result<plist::Dictionary, FrameError>>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
            ) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(e),
    }
    let n = u32::from_be_bytes(len);
    if n as usize > MAX_FRAME {
        return Ok(Some(Err(FrameError::Length(n))));
    }
    let mut body = vec![0u8; n as usize];
    r.read_exact(&mut body).await?;
    Ok(Some(decode_request(&body)))
}

/// Write one XML plist frame.
pub(crate) async fn write_frame<W: AsyncWrite + Unpin + ?Sized>(
    w: &mut W,
    d: plist::Dictionary,
) -> std::io::Result<()> {
    let mut body = Vec::new();
    plist::Value::Dictionary(d)
        .to_writer_xml(&mut body)
        .map_err(std::io::Error::other)?;
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    w.write_all(&out).await?;
    w.flush().await
}

enum Conn {
    Plain(Box<dyn Io>),
    Tls(Box<tokio_rustls::server::TlsStream<Box<dyn Io>>>),
}

impl Conn {
    fn io(&mut self) -> &mut (dyn Io + '_) {
        match self {
            Conn::Plain(p) => p.as_mut(),
            Conn::Tls(t) => t.as_mut(),
        }
    }
}

fn reply(req: &str) -> plist::Dictionary {
    let mut d = plist::Dictionary::new();
    d.insert("Request".into(), req.into());
    d
}

fn error(req: &str, e: &str) -> plist::Dictionary {
    let mut d = reply(req);
    d.insert("Error".into(), e.into());
    d
}

/// Serve lockdownd on a tunnel to device `dev`.
pub(crate) async fn serve(
    state: Arc<SimState>,
    dev: usize,
    io: Box<dyn Io>,
) -> std::io::Result<()> {
    let device = &state.devices[dev];
    let faults = &device.spec.faults;
    let mut conn = Conn::Plain(io);
    let mut session: Option<String> = None;
    loop {
        let req = match read_frame(conn.io()).await? {
            None => return Ok(()),
            Some(Err(_)) => return Ok(()),
            Some(Ok(r)) => r,
        };
        state
            .lockdown_requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = req
            .get("Request")
            .and_then(|r| r.as_string())
            .unwrap_or("")
            .to_string();
        if let Some(d) = faults.slow {
            tokio::time::sleep(d).await;
        }
        if faults.malformed == Some(Malformed::Lockdown) {
            let junk = b"<?xml version=\"1.0\"?><plist><dict><key>Request";
            let mut out = (junk.len() as u32).to_be_bytes().to_vec();
            out.extend_from_slice(junk);
            conn.io().write_all(&out).await?;
            conn.io().flush().await?;
            continue;
        }
        let key = req.get("Key").and_then(|k| k.as_string());
        let domain = req.get("Domain").and_then(|k| k.as_string());
        match name.as_str() {
            "QueryType" => {
                let mut d = reply(&name);
                d.insert("Type".into(), "com.apple.mobile.lockdown".into());
                write_frame(conn.io(), d).await?;
            }
            "GetValue" => {
                let all = device.values(domain);
                let d = match key {
                    None => {
                        let mut d = reply(&name);
                        if let Some(dom) = domain {
                            d.insert("Domain".into(), dom.into());
                        }
                        d.insert("Value".into(), plist::Value::Dictionary(all));
                        d
                    }
                    Some(k) => match all.get(k) {
                        Some(v) => {
                            let mut d = reply(&name);
                            d.insert("Key".into(), k.into());
                            if let Some(dom) = domain {
                                d.insert("Domain".into(), dom.into());
                            }
                            d.insert("Value".into(), v.clone());
                            d
                        }
                        None => {
                            let mut d = error(&name, "MissingValue");
                            d.insert("Key".into(), k.into());
                            d
                        }
                    },
                };
                write_frame(conn.io(), d).await?;
            }
            "SetValue" | "RemoveValue" | "ValidatePair" | "EnterRecovery" => {
                write_frame(conn.io(), reply(&name)).await?;
            }
            "Pair" => {
                let d = match (faults.locked, faults.pairing) {
                    (true, _) => error(&name, "PasswordProtected"),
                    (_, Pairing::Pending) => error(&name, "PairingDialogResponsePending"),
                    (_, Pairing::Denied) => error(&name, "UserDeniedPairing"),
                    _ => {
                        let mut d = reply(&name);
                        d.insert("EscrowBag".into(), plist::Value::Data(vec![0x5a; 32]));
                        d
                    }
                };
                write_frame(conn.io(), d).await?;
            }
            "StartSession" => {
                let host = req.get("HostID").and_then(|h| h.as_string()).unwrap_or("");
                let refuse = match faults.pairing {
                    Pairing::Pending => Some("PairingDialogResponsePending"),
                    Pairing::Denied => Some("UserDeniedPairing"),
                    Pairing::InvalidHost | Pairing::None => Some("InvalidHostID"),
                    Pairing::Ok if faults.locked => Some("PasswordProtected"),
                    Pairing::Ok if !host.eq_ignore_ascii_case(&state.pki.host_id) => {
                        Some("InvalidHostID")
                    }
                    Pairing::Ok => None,
                };
                if let Some(e) = refuse {
                    write_frame(conn.io(), error(&name, e)).await?;
                    continue;
                }
                let Conn::Plain(_) = conn else {
                    write_frame(conn.io(), error(&name, "SessionActive")).await?;
                    continue;
                };
                let id = super::pki::random_uuid();
                let mut d = reply(&name);
                d.insert("SessionID".into(), id.clone().into());
                d.insert("EnableSessionSSL".into(), true.into());
                write_frame(conn.io(), d).await?;
                session = Some(id);
                let Conn::Plain(io) = conn else {
                    return Ok(());
                };
                let acceptor = tokio_rustls::TlsAcceptor::from(state.pki.server.clone());
                let tls = match tokio::time::timeout(Duration::from_secs(20), acceptor.accept(io))
                    .await
                {
                    Ok(Ok(t)) => t,
                    // A failed handshake ends this connection, like a real phone.
                    _ => return Ok(()),
                };
                conn = Conn::Tls(Box::new(tls));
            }
            "StopSession" => {
                write_frame(conn.io(), reply(&name)).await?;
                session = None;
                if let Conn::Tls(tls) = conn {
                    conn = Conn::Plain(leave_tls(*tls).await?);
                }
            }
            "StartService" => {
                let service = req.get("Service").and_then(|s| s.as_string()).unwrap_or("");
                let d = if session.is_none() {
                    error(&name, "SessionInactive")
                } else if faults.locked
                    || (faults.crash_reports_locked && service.starts_with("com.apple.crashreport"))
                {
                    error(&name, "PasswordProtected")
                } else {
                    match device.open_service(&state, service) {
                        Some(port) => {
                            let mut d = reply(&name);
                            d.insert("Service".into(), service.into());
                            d.insert("Port".into(), u64::from(port).into());
                            d
                        }
                        None => {
                            let mut d = error(&name, "InvalidService");
                            d.insert("Service".into(), service.into());
                            d
                        }
                    }
                };
                write_frame(conn.io(), d).await?;
            }
            "Goodbye" => {
                let mut d = reply(&name);
                d.insert("Result".into(), "Success".into());
                write_frame(conn.io(), d).await?;
                return Ok(());
            }
            _ => {
                write_frame(conn.io(), error(&name, "InvalidRequest")).await?;
            }
        }
    }
}

/// End the TLS layer after StopSession and go on in plaintext, as lockdownd does: send
/// close_notify, then skip the client's close_notify record if it sends one.
async fn leave_tls(
    tls: tokio_rustls::server::TlsStream<Box<dyn Io>>,
) -> std::io::Result<Box<dyn Io>> {
    let (mut io, mut session) = tls.into_inner();
    session.send_close_notify();
    let mut out = Vec::new();
    while session.wants_write() {
        session.write_tls(&mut out)?;
    }
    io.write_all(&out).await?;
    io.flush().await?;
    Ok(Box::new(SkipTlsAlert::new(io)))
}

/// A stream that drops one leading TLS record of the alert type (the client's close_notify),
/// then passes bytes through.
struct SkipTlsAlert {
    inner: Box<dyn Io>,
    state: SkipState,
}

enum SkipState {
    Header(Vec<u8>),
    Body(usize),
    Done,
}

impl SkipTlsAlert {
    fn new(inner: Box<dyn Io>) -> Self {
        SkipTlsAlert {
            inner,
            state: SkipState::Header(Vec::new()),
        }
    }
}

impl AsyncRead for SkipTlsAlert {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        loop {
            let this = &mut *self;
            match &mut this.state {
                SkipState::Done => return std::pin::Pin::new(&mut this.inner).poll_read(cx, buf),
                SkipState::Header(h) => {
                    let mut one = [0u8; 1];
                    let mut rb = tokio::io::ReadBuf::new(&mut one);
                    match std::pin::Pin::new(&mut this.inner).poll_read(cx, &mut rb) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Ready(Ok(())) => {
                            if rb.filled().is_empty() {
                                this.state = SkipState::Done;
                                return Poll::Ready(Ok(()));
                            }
                            h.push(one[0]);
                            // Not an alert record (0x15, 0x03, …): hand the bytes back.
                            let looks_tls = h[0] == 0x15 && (h.len() < 2 || h[1] == 0x03);
                            if !looks_tls {
                                let bytes = std::mem::take(h);
                                this.state = SkipState::Done;
                                buf.put_slice(&bytes);
                                return Poll::Ready(Ok(()));
                            }
                            if h.len() == 5 {
                                let len = usize::from(u16::from_be_bytes([h[3], h[4]]));
                                this.state = SkipState::Body(len);
                            }
                        }
                    }
                }
                SkipState::Body(0) => this.state = SkipState::Done,
                SkipState::Body(left) => {
                    let mut scratch = [0u8; 256];
                    let take = (*left).min(scratch.len());
                    let mut rb = tokio::io::ReadBuf::new(&mut scratch[..take]);
                    match std::pin::Pin::new(&mut this.inner).poll_read(cx, &mut rb) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Ready(Ok(())) => {
                            let n = rb.filled().len();
                            if n == 0 {
                                this.state = SkipState::Done;
                                return Poll::Ready(Ok(()));
                            }
                            *left -= n;
                        }
                    }
                }
            }
        }
    }
}

impl AsyncWrite for SkipTlsAlert {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn decode_never_panics(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode_request(&b);
        }
    }
}
