//! `voipctl probe`.

use super::device::DeviceArgs;
use super::push::{AuthArgs, EnvArg};
use crate::commands::probe::{FailOn, ProbeOptions, Via};
use crate::push::request::PushType;
use crate::push::send::RetryPolicy;
use crate::push::{Environment, Options, Source};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// `--via` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ViaArg {
    /// A VoIP push through APNs (the push options below, and --token).
    Push,
    /// A wake on the app's VoIP socket, which connects to --listen.
    Signal,
}

/// Arguments of `voipctl probe`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  voipctl probe -b com.example.call --token <pushkit-token> --key AuthKey_ABC123DEFG.p8 \\\n      --key-id ABC123DEFG --team-id TEAM123456 --env sandbox --rounds 10\n  voipctl probe -b com.example.call --via signal --listen tcp://0.0.0.0:5060 --rounds 5\n\nEach round: sent → accepted → delivered → running → delegate → reported, or killed / banned /\ndropped / lost, with a cause chain and a fix for every round that did not pass. Exit 1 when a\nround failed or a --fail-on threshold is over its limit."
)]
pub(crate) struct ProbeArgs {
    /// Which phone.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// The app's bundle ID (the push topic is <BUNDLE>.voip).
    #[arg(short, long, value_name = "BUNDLE")]
    pub bundle: String,
    /// How each round is triggered.
    #[arg(long, value_enum, default_value_t = ViaArg::Push)]
    pub via: ViaArg,
    /// How many rounds.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub rounds: u32,
    /// Pause between a round's end and the next trigger (lines after a round's end still join it).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = crate::duration::arg)]
    pub interval: Duration,
    /// How long a round waits for the report, the kill or the ban.
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = crate::duration::positive_arg)]
    pub round_timeout: Duration,
    /// A call reported later than this after sending makes the round late (failed).
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = crate::duration::positive_arg)]
    pub deadline: Duration,
    /// Fail when a stage's latency is over a limit, `STAGE[.p50|.p95|.max]=DURATION` (e.g.
    /// `reported.p95=2s`), or allow N failed rounds with `failed=N` (default failed=0).
    #[arg(long = "fail-on", value_name = "CHECK=LIMIT", value_parser = FailOn::parse)]
    pub fail_on: Vec<FailOn>,
    /// Every attached phone at once (--via push; give each phone's token as --token UDID=HEX);
    /// JUnit output has a testsuite per phone.
    #[arg(long, conflicts_with = "udid")]
    pub all: bool,
    /// Read com.apple.syslog_relay even where os_trace_relay is available (1 s stamps).
    #[arg(long)]
    pub syslog_relay: bool,
    /// Add recognition rules from a TOML file (as `analyze --rules`; repeatable).
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,

    /// The phone's PushKit token (hex) for the app; `UDID=HEX` gives one phone's (repeatable,
    /// for --all).
    #[arg(long, value_name = "HEX", help_heading = "Push (--via push)")]
    pub token: Vec<String>,
    /// APNs environment: sandbox for development (Xcode) builds, production for TestFlight/App Store.
    #[arg(
        long,
        value_enum,
        value_name = "ENV",
        help_heading = "Push (--via push)"
    )]
    pub env: Option<EnvArg>,
    /// Any other APNs-compatible endpoint (e.g. the simulator's look-alike, with --ca-cert).
    #[arg(long, value_name = "URL", help_heading = "Push (--via push)")]
    pub apns_url: Option<String>,
    /// Trust only this CA (PEM) for the server's certificate; repeatable.
    #[arg(long, value_name = "PEM", help_heading = "Push (--via push)")]
    pub ca_cert: Vec<PathBuf>,
    /// How to authenticate (--via push).
    #[command(flatten)]
    pub auth: AuthArgs,
    /// apns-topic, exactly (default: <BUNDLE>.voip).
    #[arg(long, value_name = "TOPIC", help_heading = "Push (--via push)")]
    pub topic: Option<String>,
    /// JSON payload (default: a minimal VoIP payload).
    #[arg(long, value_name = "JSON", help_heading = "Push (--via push)")]
    pub payload: Option<String>,
    /// Time to wait for APNs' answer.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = crate::duration::positive_arg, help_heading = "Push (--via push)")]
    pub apns_timeout: Duration,
    /// Retries per push on 429, 5xx, GOAWAY and resets.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 3,
        help_heading = "Push (--via push)"
    )]
    pub retries: u32,

    /// Where the app's VoIP socket connects (TCP): tcp://HOST:PORT. With --all, one listener per
    /// phone: --listen UDID=tcp://HOST:PORT for each (the server that phone's app connects to).
    #[arg(
        long,
        value_name = "ADDR",
        default_values = ["tcp://127.0.0.1:5060"],
        help_heading = "Signal (--via signal)"
    )]
    pub listen: Vec<String>,
    /// Send these bytes as the wake instead of a SIP INVITE.
    #[arg(long, value_name = "TEXT", help_heading = "Signal (--via signal)")]
    pub wake_raw: Option<String>,
}

impl ProbeArgs {
    /// Plain options for the command module.
    pub(crate) fn resolve(self) -> Result<ProbeOptions, crate::Error> {
        let sel = self.device.resolve()?;
        let mut tokens_by_udid: Vec<(String, String)> = Vec::new();
        let mut listen_by_udid: Vec<(String, std::net::SocketAddr)> = Vec::new();
        let via = match self.via {
            ViaArg::Push => {
                if self.token.is_empty() {
                    return Err(crate::Error::Usage(
                        "--via push needs --token: the PushKit token the app registered on this phone".into(),
                    ));
                }
                let mut plain = Vec::new();
                for t in &self.token {
                    match t.split_once('=') {
                        Some((u, hex)) => {
                            tokens_by_udid.push((u.trim().to_string(), hex.trim().to_string()))
                        }
                        None => plain.push(t.clone()),
                    }
                }
                if plain.len() > 1 {
                    return Err(crate::Error::Usage(
                        "give one --token HEX, or one --token UDID=HEX per phone".into(),
                    ));
                }
                let token = plain.pop().unwrap_or_default();
                let Some(auth) = self.auth.resolve(40 * 60) else {
                    return Err(crate::Error::Usage(
                        "--via push needs --key (token auth), --p12 or --cert (certificate auth)"
                            .into(),
                    ));
                };
                Via::Push(Box::new(Options {
                    env: self.env.map(|e| match e {
                        EnvArg::Production => Environment::Production,
                        EnvArg::Sandbox => Environment::Sandbox,
                    }),
                    apns_url: self.apns_url,
                    port: 443,
                    ca_certs: self.ca_cert,
                    auth,
                    bundle: self.topic.is_none().then(|| self.bundle.clone()),
                    topic: self.topic,
                    no_topic_check: false,
                    push_type: PushType::Voip,
                    priority: None,
                    expiration: None,
                    collapse_id: None,
                    apns_id: None,
                    headers: Vec::new(),
                    payload: self.payload.map(Source::Literal),
                    tokens: if token.is_empty() {
                        Vec::new()
                    } else {
                        vec![token]
                    },
                    tokens_from: None,
                    concurrency: 1,
                    retry: RetryPolicy {
                        retries: self.retries.min(20),
                        base: Duration::from_millis(250),
                    },
                    timeout: self.apns_timeout,
                }))
            }
            ViaArg::Signal => {
                let tcp = |url: &str| -> Result<std::net::SocketAddr, crate::Error> {
                    let l =
                        crate::commands::signal::Listen::parse(url).map_err(crate::Error::Usage)?;
                    if l.transport != crate::sip::Transport::Tcp {
                        return Err(crate::Error::Usage(format!(
                            "--listen {url}: probe serves the app's VoIP socket over TCP only (tcp://HOST:PORT)"
                        )));
                    }
                    Ok(l.addr)
                };
                let mut plain = Vec::new();
                for l in &self.listen {
                    // `UDID=URL`: a URL has no `=` before its `://`.
                    match l.split_once('=') {
                        Some((u, url)) if !u.contains("://") => {
                            listen_by_udid.push((u.trim().to_string(), tcp(url.trim())?))
                        }
                        _ => plain.push(tcp(l)?),
                    }
                }
                if plain.len() > 1 {
                    return Err(crate::Error::Usage(
                        "give one --listen URL, or one --listen UDID=URL per phone".into(),
                    ));
                }
                let default = crate::commands::signal::Listen::parse("tcp://127.0.0.1:5060")
                    .map_err(crate::Error::Usage)?
                    .addr;
                Via::Signal {
                    listen: plain.pop().unwrap_or(default),
                    wake: match self.wake_raw {
                        Some(t) => crate::signal::WakeKind::Raw(t.into_bytes()),
                        None => crate::signal::WakeKind::Invite,
                    },
                }
            }
        };
        Ok(ProbeOptions {
            sel,
            bundle: self.bundle,
            via,
            rounds: self.rounds,
            interval: self.interval,
            round_timeout: self.round_timeout,
            deadline: self.deadline,
            fail_on: self.fail_on,
            syslog_relay: self.syslog_relay,
            rules_files: self.rules,
            tokens_by_udid,
            listen_by_udid,
        })
    }
}
