//! The benchmark's APNs look-alike: the same server as voipctl's tests
//! (`tests/support/apns_server.rs`, included by path), as a binary.
//!
//!   apns-bench-server gen DIR               CA, server certificate (api.push.apple.com,
//!                                           localhost, 127.0.0.1) and a .p8 signing key
//!   apns-bench-server serve DIR ADDR        serve on ADDR until stdin closes; prints the port
//!                                           and, at the end, requests / 200s / connections;
//!                                           on one thread (APNS_BENCH_THREADS=N: N workers)

#[path = "../../../../tests/support/apns_server.rs"]
mod apns_server;

use std::io::{BufRead, Write};
use std::path::Path;

type R<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn generate(dir: &Path) -> R<()> {
    std::fs::create_dir_all(dir)?;
    let pki = apns_server::Pki::new()?;
    let server = pki.server(&[
        "api.push.apple.com",
        "api.sandbox.push.apple.com",
        "api.development.push.apple.com",
        "localhost",
        "127.0.0.1",
    ])?;
    std::fs::write(dir.join("ca.pem"), &pki.ca_pem)?;
    let ca_der = rustls_pemfile::certs(&mut pki.ca_pem.as_bytes())
        .next()
        .ok_or("no CA")??;
    std::fs::write(dir.join("ca.der"), ca_der.as_ref())?;
    std::fs::write(dir.join("server.pem"), &server.cert_pem)?;
    std::fs::write(dir.join("server-key.pem"), &server.key_pem)?;
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    std::fs::write(dir.join("AuthKey.p8"), key.serialize_pem())?;
    std::fs::write(dir.join("AuthKey.pub.pem"), key.public_key_pem())?;
    Ok(())
}

async fn serve(dir: &Path, bind: &str) -> R<()> {
    let read = |n: &str| std::fs::read_to_string(dir.join(n));
    let server_cert =
        apns_server::Issued::from_pem(&read("server.pem")?, &read("server-key.pem")?)?;
    let config = apns_server::Config {
        jwt_public_pem: Some(read("AuthKey.pub.pem")?),
        record: false,
        ..apns_server::Config::default()
    };
    let server = apns_server::start(&read("ca.pem")?, &server_cert, config, bind.parse()?).await?;
    println!("listening {}", server.addr.port());
    std::io::stdout().flush()?;
    // Serve until stdin closes (the benchmark script holds it open).
    tokio::task::spawn_blocking(|| {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            if line.is_err() {
                break;
            }
        }
    })
    .await?;
    let s = &server.stats;
    use std::sync::atomic::Ordering::SeqCst;
    eprintln!(
        "server: {} requests, {} ok, {} connections, peak {} concurrent streams",
        s.requests.load(SeqCst),
        s.ok.load(SeqCst),
        s.connections.load(SeqCst),
        s.peak_in_flight.load(SeqCst)
    );
    Ok(())
}

/// One thread by default: APNs runs on other machines, so its stand-in should take as little of
/// this one as it can. One connection's work is serial anyway; spread over a multi-thread
/// runtime it cost 0.30 s of CPU per 10,000 requests instead of 0.20 s (the h2 stream tasks move
/// between the workers) and took both cores from the client under test.
/// `APNS_BENCH_THREADS=N` (N >= 1) serves on a multi-thread runtime with N workers instead.
fn runtime() -> R<tokio::runtime::Runtime> {
    let threads = match std::env::var("APNS_BENCH_THREADS") {
        Ok(v) => v
            .parse::<usize>()
            .map_err(|_| format!("APNS_BENCH_THREADS={v}: not a number"))?,
        Err(_) => 0,
    };
    let mut b = if threads == 0 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    };
    Ok(b.enable_all().build()?)
}

fn main() -> R<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") if args.len() == 3 => generate(Path::new(&args[2])),
        Some("serve") if args.len() == 4 => {
            runtime()?.block_on(serve(Path::new(&args[2]), &args[3]))
        }
        _ => Err("usage: apns-bench-server gen DIR | serve DIR ADDR".into()),
    }
}
