//! `voipctl signal send` and `voipctl signal serve`.

use crate::commands::signal::{Expect, Listen, Payload, SendOptions, ServeOptions};
use crate::error::Error;
use crate::signal::{SignalError, Target, WakeKind};
use crate::sip::{Limits, Transport};
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `voipctl signal`.
#[derive(Debug, Args)]
pub(crate) struct SignalArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: SignalCommand,
}

/// `voipctl signal` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum SignalCommand {
    /// Send SIP requests or raw bytes to a signalling server; report replies and round-trip times.
    #[command(
        after_help = "Examples:\n  voipctl signal send udp://sip.example.com:5060\n  voipctl signal send tcp://127.0.0.1:5060 -m invite --count 10 --interval 200ms\n  voipctl signal send tls://sip.example.com:5061 --ca-cert ca.pem\n  voipctl signal send wss://sip.example.com/ws -m register\n  voipctl signal send tcp://10.0.0.5:5060 --text $'\\r\\n\\r\\n'"
    )]
    Send(Box<SendArgs>),
    /// Act as the server an app's VoIP socket connects to: hold connections, answer, send wakes.
    #[command(
        after_help = "Examples:\n  voipctl signal serve --listen tcp://0.0.0.0:5060 --wake-every 5m\n  voipctl signal serve --wake-on-stdin      # type `wake`, `wake 2` or `quit`\n  voipctl signal serve --listen tls://0.0.0.0:5061 --write-cert ca.pem --duration 1h"
    )]
    Serve(Box<ServeArgs>),
}

/// `--transport` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TransportArg {
    /// Datagrams.
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
    /// WebSocket (subprotocol sip).
    Ws,
    /// WebSocket over TLS.
    Wss,
}

impl From<TransportArg> for Transport {
    fn from(t: TransportArg) -> Self {
        match t {
            TransportArg::Udp => Transport::Udp,
            TransportArg::Tcp => Transport::Tcp,
            TransportArg::Tls => Transport::Tls,
            TransportArg::Ws => Transport::Ws,
            TransportArg::Wss => Transport::Wss,
        }
    }
}

/// SIP methods voipctl can build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum MethodArg {
    /// OPTIONS (a ping).
    Options,
    /// REGISTER (Expires: 60).
    Register,
    /// INVITE with an SDP audio offer; ACKed, and hung up with BYE if answered.
    Invite,
    /// MESSAGE with a text body.
    Message,
    /// NOTIFY (Event: check-sync).
    Notify,
    /// CANCEL (stand-alone).
    Cancel,
    /// BYE (stand-alone).
    Bye,
}

fn duration(s: &str) -> Result<Duration, String> {
    crate::duration::arg(s)
}

/// Bytes given as hex on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HexBytes(pub Vec<u8>);

fn hex_arg(s: &str) -> Result<HexBytes, String> {
    hex(s).map(HexBytes)
}

fn hex(s: &str) -> Result<Vec<u8>, String> {
    let clean: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    let clean = clean.strip_prefix("0x").unwrap_or(&clean);
    if !clean.len().is_multiple_of(2) {
        return Err("odd number of hex digits".into());
    }
    (0..clean.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&clean[i..i + 2], 16)
                .map_err(|_| format!("{:?} is not hex", &clean[i..i + 2]))
        })
        .collect()
}

/// Arguments of `voipctl signal send`.
#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// Where: udp://HOST:PORT, tcp://…, tls://…, ws://HOST:PORT/PATH, wss://…, sip:HOST[:PORT][;transport=…], or HOST[:PORT] (UDP unless --transport).
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// Transport for a TARGET without a scheme.
    #[arg(short, long, value_enum, value_name = "TRANSPORT")]
    pub transport: Option<TransportArg>,
    /// SIP request to build and send, in any case (`invite` or `INVITE`; the default is OPTIONS).
    #[arg(short, long, value_enum, ignore_case = true, value_name = "METHOD", conflicts_with_all = ["text", "hex", "file"])]
    pub method: Option<MethodArg>,
    /// Send this text as is (C-style escapes such as \r\n are not interpreted; use $'…' in the shell).
    #[arg(long, value_name = "TEXT", conflicts_with_all = ["hex", "file"])]
    pub text: Option<String>,
    /// Send these bytes, written as hex (spaces and colons allowed).
    #[arg(long, value_name = "HEX", value_parser = hex_arg, conflicts_with = "file")]
    pub hex: Option<HexBytes>,
    /// Send the contents of this file as is.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Request-URI (default sip:HOST:PORT).
    #[arg(long, value_name = "SIPURI")]
    pub uri: Option<String>,
    /// From URI (default sip:voipctl@LOCAL-IP).
    #[arg(long, value_name = "SIPURI")]
    pub from: Option<String>,
    /// To URI (default: the Request-URI; for REGISTER the From URI).
    #[arg(long, value_name = "SIPURI")]
    pub to: Option<String>,
    /// Request body (text/plain unless INVITE).
    #[arg(long, value_name = "TEXT")]
    pub body: Option<String>,
    /// Extra header, "Name: value" (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Number of requests.
    #[arg(short, long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub count: u32,
    /// Time between the starts of two requests (0 = back to back).
    #[arg(short, long, default_value = "1s", value_name = "DURATION", value_parser = duration)]
    pub interval: Duration,
    /// How long to wait for connecting and for each final reply.
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = duration)]
    pub timeout: Duration,
    /// Final statuses that count as success, e.g. 2xx or 2xx,486.
    #[arg(long, default_value = "2xx", value_name = "CODES", value_delimiter = ',', value_parser = Expect::parse)]
    pub expect: Vec<Expect>,
    /// Send without waiting for replies.
    #[arg(long)]
    pub no_wait: bool,
    /// Trust only the CA certificates in this PEM file for TLS/WSS (default: the system's trust store).
    #[arg(long, value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,
    /// Name to verify the server certificate against (default: the target host).
    #[arg(long, value_name = "NAME")]
    pub server_name: Option<String>,
}

impl SendArgs {
    /// Plain options for the command module.
    pub(crate) fn resolve(self: Box<Self>) -> crate::Result<SendOptions> {
        let this = *self;
        this.resolve_inner()
    }

    fn resolve_inner(self) -> crate::Result<SendOptions> {
        let target = Target::parse(&self.target, self.transport.map(Transport::from))
            .map_err(|e| Error::Usage(format!("invalid TARGET: {e}")))?;
        let payload = if let Some(t) = self.text {
            Payload::Raw(t.into_bytes())
        } else if let Some(h) = self.hex {
            Payload::Raw(h.0)
        } else if let Some(path) = self.file {
            let data = std::fs::read(&path).map_err(|source| {
                Error::input(SignalError::Payload {
                    path: path.display().to_string(),
                    source,
                })
            })?;
            Payload::Raw(data)
        } else {
            let m = self.method.unwrap_or(MethodArg::Options);
            let name = m
                .to_possible_value()
                .map(|v| v.get_name().to_ascii_uppercase())
                .unwrap_or_else(|| "OPTIONS".into());
            Payload::Sip(name)
        };
        let mut headers = Vec::new();
        for h in self.headers {
            let (n, v) = h.split_once(':').ok_or_else(|| {
                Error::Usage(format!("--header {h:?}: write it as \"Name: value\""))
            })?;
            let n = n.trim();
            if n.is_empty() || n.contains(char::is_whitespace) || v.contains(['\r', '\n']) {
                return Err(Error::Usage(format!(
                    "--header {h:?} is not a valid header"
                )));
            }
            headers.push((n.to_string(), v.trim().to_string()));
        }
        Ok(SendOptions {
            target,
            payload,
            uri: self.uri,
            from: self.from,
            to: self.to,
            body: self.body,
            headers,
            count: self.count,
            interval: self.interval,
            timeout: self.timeout,
            expect: self.expect,
            wait: !self.no_wait,
            ca_cert: self.ca_cert,
            server_name: self.server_name,
            limits: Limits::default(),
        })
    }
}

/// `--wake` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum WakeArg {
    /// A SIP INVITE to the contact the app registered (or to the connection).
    Invite,
    /// Raw bytes: --wake-text or --wake-hex (default a double CRLF).
    Raw,
}

/// Arguments of `voipctl signal serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Listen here (repeatable): udp://IP:PORT, tcp://…, tls://…, ws://…, wss://… (port 0 = any free port).
    #[arg(short, long = "listen", value_name = "URL", default_values = ["udp://127.0.0.1:5060", "tcp://127.0.0.1:5060"])]
    pub listen: Vec<String>,
    /// TLS certificate chain (PEM) for tls:// and wss:// (default: a fresh self-signed one for localhost).
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Write the TLS certificate to this file (give it to the client as --ca-cert).
    #[arg(long, value_name = "PATH")]
    pub write_cert: Option<PathBuf>,
    /// What a wake packet is.
    #[arg(long, value_enum, default_value_t = WakeArg::Invite, value_name = "KIND")]
    pub wake: WakeArg,
    /// Raw wake payload as text (implies --wake raw).
    #[arg(long, value_name = "TEXT", conflicts_with = "wake_hex")]
    pub wake_text: Option<String>,
    /// Raw wake payload as hex (implies --wake raw).
    #[arg(long, value_name = "HEX", value_parser = hex_arg)]
    pub wake_hex: Option<HexBytes>,
    /// Send a wake to every held connection this often.
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub wake_every: Option<Duration>,
    /// Read control lines on stdin: `wake` (all), `wake N` (connection N), `quit`.
    #[arg(long)]
    pub wake_on_stdin: bool,
    /// How long a wake waits for the app to answer (iOS gives a woken app about 10 s).
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = duration)]
    pub wake_timeout: Duration,
    /// Stop after this long and print the summary (default: until Ctrl-C, SIGTERM or `quit`).
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub duration: Option<Duration>,
    /// Most connections held at once, per transport (TCP, TLS, WS, WSS and UDP peers each have their own).
    /// At the limit a peer that has not yet sent a complete message makes room; others never do.
    #[arg(long, default_value_t = 256, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Most connections held at once from one IP address, per transport.
    #[arg(long, default_value_t = 64, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_per_address: u32,
    /// Deadline for one message to arrive completely, and for TLS/WebSocket handshakes (slow senders are dropped).
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = duration)]
    pub message_timeout: Duration,
    /// Drop a connection after this long without data (default: hold forever; UDP peers: 300 s).
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub idle_timeout: Option<Duration>,
    /// Record requests without answering them.
    #[arg(long)]
    pub no_answer: bool,
}

impl ServeArgs {
    /// Plain options for the command module.
    pub(crate) fn resolve(self: Box<Self>) -> crate::Result<ServeOptions> {
        let this = *self;
        this.resolve_inner()
    }

    fn resolve_inner(self) -> crate::Result<ServeOptions> {
        let listen = self
            .listen
            .iter()
            .map(|l| Listen::parse(l).map_err(|e| Error::Usage(format!("invalid --listen: {e}"))))
            .collect::<crate::Result<Vec<_>>>()?;
        let raw = self
            .wake_text
            .map(String::into_bytes)
            .or(self.wake_hex.map(|h| h.0));
        let wake = match (self.wake, raw) {
            (_, Some(bytes)) => WakeKind::Raw(bytes),
            (WakeArg::Raw, None) => WakeKind::Raw(b"\r\n\r\n".to_vec()),
            (WakeArg::Invite, None) => WakeKind::Invite,
        };
        Ok(ServeOptions {
            listen,
            cert: self.cert,
            key: self.key,
            write_cert: self.write_cert,
            wake,
            wake_every: self.wake_every.filter(|d| !d.is_zero()),
            wake_on_stdin: self.wake_on_stdin,
            wake_timeout: self.wake_timeout,
            duration: self.duration,
            max_connections: self.max_connections as usize,
            max_per_address: self.max_per_address as usize,
            message_timeout: self.message_timeout,
            idle_timeout: self.idle_timeout.filter(|d| !d.is_zero()),
            answer: !self.no_answer,
            limits: Limits::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hex_payloads() {
        assert_eq!(hex("0d 0a:0D0A").unwrap(), b"\r\n\r\n");
        assert!(hex("abc").is_err());
        assert!(hex("zz").is_err());
    }

    /// Issue 15: SIP writes methods in capitals, so `-m INVITE` is as good as `-m invite`.
    #[test]
    fn methods_are_accepted_in_any_case() {
        use crate::cli::{Cli, Command};
        use clap::Parser;
        for (given, want) in [
            ("invite", MethodArg::Invite),
            ("INVITE", MethodArg::Invite),
            ("Register", MethodArg::Register),
            ("OPTIONS", MethodArg::Options),
        ] {
            let cli =
                Cli::try_parse_from(["voipctl", "signal", "send", "udp://h:5060", "-m", given])
                    .unwrap_or_else(|e| panic!("-m {given}: {e}"));
            let Command::Signal(SignalArgs {
                command: SignalCommand::Send(send),
            }) = cli.command
            else {
                panic!("not signal send");
            };
            assert_eq!(send.method, Some(want), "-m {given}");
        }
        assert!(
            Cli::try_parse_from(["voipctl", "signal", "send", "udp://h", "-m", "SUBSCRIBE"])
                .is_err()
        );
    }
}
