//! The simulated app's VoIP socket: a TCP connection from the phone to the signalling server
//! named by `[device.react] signal`, reconnected every second while it is down (as apps do from
//! their keep-alive handler). Data from the server is a trigger: the phone wakes the app
//! ([`super::react`]). Nothing is written back: what the app does is read from its log.

use super::SimState;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Keep the socket to `target` until the simulator stops.
pub(crate) async fn run(state: Arc<SimState>, dev: usize, target: String) {
    let mut stop = state.stop.subscribe();
    let run = async {
        let Ok(t) = crate::signal::Target::parse(&target, None) else {
            return;
        };
        let addr = format!("{}:{}", t.host, t.port);
        loop {
            if let Ok(mut s) = tokio::net::TcpStream::connect(&addr).await {
                let _ = s.set_nodelay(true);
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    state.trigger(dev, super::react::Trigger::Signal);
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    };
    tokio::select! {
        () = run => {}
        _ = stop.wait_for(|s| *s) => {}
    }
}
