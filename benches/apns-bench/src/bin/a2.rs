//! N VoIP pushes with the `a2` crate (as published on crates.io), the way its README sends them:
//! one `Client::token`, `send` per push, up to C in flight.
//!
//!   a2-bench KEY.p8 KEY_ID TEAM_ID TOPIC N C
//!
//! a2 0.10 always connects to api.push.apple.com:443 (Endpoint::Production) and trusts only the
//! webpki-roots list; see benches/push.sh for how the benchmark points that at the local server.

use a2::{
    Client, ClientConfig, DefaultNotificationBuilder, Endpoint, NotificationBuilder,
    NotificationOptions, Priority, PushType,
};
use futures_util::StreamExt;

type R<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() -> R<()> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 7 {
        return Err("usage: a2-bench KEY.p8 KEY_ID TEAM_ID TOPIC N CONCURRENCY".into());
    }
    let (key, key_id, team_id, topic) = (&a[1], &a[2], &a[3], a[4].clone());
    let n: usize = a[5].parse()?;
    let c: usize = a[6].parse()?;
    let mut f = std::fs::File::open(key)?;
    let client = Client::token(
        &mut f,
        key_id,
        team_id,
        ClientConfig::new(Endpoint::Production),
    )?;
    let started = std::time::Instant::now();
    let results = futures_util::stream::iter(0..n)
        .map(|i| {
            let client = client.clone();
            let topic = topic.clone();
            async move {
                let token = format!("{i:064x}");
                let payload = DefaultNotificationBuilder::new().build(
                    &token,
                    NotificationOptions {
                        apns_topic: Some(&topic),
                        apns_push_type: Some(PushType::Voip),
                        apns_priority: Some(Priority::High),
                        apns_expiration: Some(0),
                        ..Default::default()
                    },
                );
                match client.send(payload).await {
                    Ok(_) => true,
                    Err(e) => {
                        if i == 0 {
                            eprintln!("a2: first failure: {e:?}");
                        }
                        false
                    }
                }
            }
        })
        .buffer_unordered(c)
        .collect::<Vec<bool>>()
        .await;
    let ok = results.iter().filter(|r| **r).count();
    let secs = started.elapsed().as_secs_f64();
    println!("a2: {ok}/{n} ok in {secs:.3} s, {:.0}/s", n as f64 / secs);
    if ok != n {
        return Err(format!("{} pushes failed", n - ok).into());
    }
    Ok(())
}
