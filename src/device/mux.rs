//! Connections to usbmuxd, with Nagle's algorithm off over TCP.
//!
//! lockdownd's framing writes a 4-byte length and then the body as two writes. Over a TCP
//! usbmuxd (a remote muxer, netmuxd, the simulated iPhone) Nagle's algorithm holds the body back
//! until the first write is acknowledged, and the muxer's delayed ACK makes that ~40 ms for
//! every request: `info` took 160 ms against a TCP muxer where it takes 10 ms over the Unix
//! socket. idevice's own provider connects without `TCP_NODELAY`, so voipctl makes the socket.

use idevice::pairing_file::PairingFile;
use idevice::provider::IdeviceProvider;
use idevice::usbmuxd::{UsbmuxdAddr, UsbmuxdConnection};
use idevice::{Idevice, IdeviceError, ReadWrite};
use std::future::Future;
use std::pin::Pin;

/// A socket to usbmuxd (`TCP_NODELAY` set when it is TCP).
pub(crate) async fn socket(addr: &UsbmuxdAddr) -> Result<Box<dyn ReadWrite>, IdeviceError> {
    match addr {
        UsbmuxdAddr::TcpSocket(a) => {
            let s = tokio::net::TcpStream::connect(a).await?;
            s.set_nodelay(true)?;
            Ok(Box::new(s))
        }
        #[allow(unreachable_patterns)]
        other => other.to_socket().await,
    }
}

/// A usbmuxd connection with this tag.
pub(crate) async fn connect(
    addr: &UsbmuxdAddr,
    tag: u32,
) -> Result<UsbmuxdConnection, IdeviceError> {
    Ok(UsbmuxdConnection::new(socket(addr).await?, tag))
}

/// idevice's `UsbmuxdProvider`, connecting through [`socket`].
#[derive(Debug, Clone)]
pub(crate) struct Provider {
    pub addr: UsbmuxdAddr,
    pub tag: u32,
    pub serial: String,
    pub device_id: u32,
    pub label: String,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, IdeviceError>> + Send>>;

impl IdeviceProvider for Provider {
    fn connect(&self, port: u16) -> BoxFuture<Idevice> {
        let (addr, tag, device_id, label) = (
            self.addr.clone(),
            self.tag,
            self.device_id,
            self.label.clone(),
        );
        Box::pin(async move {
            connect(&addr, tag)
                .await?
                .connect_to_device(device_id, port, &label)
                .await
        })
    }

    fn label(&self) -> &str {
        &self.label
    }

    fn get_pairing_file(&self) -> BoxFuture<PairingFile> {
        let (addr, tag, serial) = (self.addr.clone(), self.tag, self.serial.clone());
        Box::pin(async move { connect(&addr, tag).await?.get_pair_record(&serial).await })
    }
}
