//! `voipctl push`.

use crate::push::cert::PasswordSource;
use crate::push::request::PushType;
use crate::push::send::RetryPolicy;
use crate::push::{AuthOptions, Environment, Options, Source};
use clap::{ArgGroup, Args, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `voipctl push`.
#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("auth").required(true).args(["key", "p12", "cert"])),
    after_help = "Examples:\n  voipctl push --key AuthKey_ABC123DEFG.p8 --key-id ABC123DEFG --team-id TEAM123456 \\\n      --bundle com.example.app <pushkit-token>\n  VOIPCTL_P12_PASSWORD=… voipctl push --p12 voip.p12 --env production --tokens-file tokens.txt\n\nPasswords are read from $VOIPCTL_P12_PASSWORD (see --password-env) or asked on the terminal, never from the command line."
)]
pub struct PushArgs {
    /// Device tokens (hex; the PushKit token for VoIP pushes).
    #[arg(value_name = "TOKEN")]
    pub tokens: Vec<String>,
    /// Read device tokens from FILE, one per line (`-` for stdin; `#` comments, CSV first column).
    #[arg(long, value_name = "FILE")]
    pub tokens_file: Option<PathBuf>,

    /// APNs environment: sandbox for development (Xcode) builds, production for TestFlight/App Store.
    #[arg(long, value_enum, value_name = "ENV")]
    pub env: Option<EnvArg>,
    /// Any other APNs-compatible endpoint, e.g. https://apns.internal:8443 (with --ca-cert for a private CA).
    #[arg(long, value_name = "URL")]
    pub apns_url: Option<String>,
    /// Port of api.push.apple.com / api.sandbox.push.apple.com.
    #[arg(long, value_name = "PORT", default_value_t = 443, value_parser = parse_port)]
    pub port: u16,
    /// Trust only this CA (PEM) for the server's certificate; repeatable. Verification is never turned off.
    #[arg(long, value_name = "PEM")]
    pub ca_cert: Vec<PathBuf>,

    /// Token auth: the .p8 key from Certificates, Identifiers & Profiles → Keys.
    #[arg(long, value_name = "P8", requires_all = ["key_id", "team_id"], help_heading = "Token auth")]
    pub key: Option<PathBuf>,
    /// Token auth: the key's 10-character key ID.
    #[arg(
        long,
        value_name = "ID",
        env = "VOIPCTL_KEY_ID",
        help_heading = "Token auth"
    )]
    pub key_id: Option<String>,
    /// Token auth: your 10-character team ID.
    #[arg(
        long,
        value_name = "ID",
        env = "VOIPCTL_TEAM_ID",
        help_heading = "Token auth"
    )]
    pub team_id: Option<String>,
    /// Token auth: renew the token after this many minutes (20-60).
    #[arg(
        long,
        value_name = "MIN",
        default_value_t = 40,
        help_heading = "Token auth"
    )]
    pub token_refresh: u64,

    /// Certificate auth: a .p12 exported from Keychain Access (legacy ciphers and empty passwords work).
    #[arg(long, value_name = "P12", conflicts_with_all = ["key", "cert"], help_heading = "Certificate auth")]
    pub p12: Option<PathBuf>,
    /// Certificate auth: environment variable that holds the .p12 password.
    #[arg(
        long,
        value_name = "VAR",
        default_value = "VOIPCTL_P12_PASSWORD",
        help_heading = "Certificate auth"
    )]
    pub password_env: String,
    /// Certificate auth: PEM certificate (chain); the key may be in the same file.
    #[arg(
        long,
        value_name = "PEM",
        conflicts_with = "key",
        help_heading = "Certificate auth"
    )]
    pub cert: Option<PathBuf>,
    /// Certificate auth: PEM private key for --cert.
    #[arg(
        long,
        value_name = "PEM",
        requires = "cert",
        help_heading = "Certificate auth"
    )]
    pub cert_key: Option<PathBuf>,

    /// App bundle ID; the topic becomes <bundle>.voip for VoIP pushes (<bundle> for alerts…).
    #[arg(short, long, value_name = "BUNDLE", help_heading = "Request")]
    pub bundle: Option<String>,
    /// apns-topic, exactly (default: from --bundle or the certificate).
    #[arg(
        long,
        value_name = "TOPIC",
        conflicts_with = "bundle",
        help_heading = "Request"
    )]
    pub topic: Option<String>,
    /// Send a topic that does not fit the push type (missing or doubled suffix) anyway.
    #[arg(long, help_heading = "Request")]
    pub no_topic_check: bool,
    /// apns-push-type.
    #[arg(long, value_enum, default_value_t = PushTypeArg::Voip, value_name = "TYPE", help_heading = "Request")]
    pub push_type: PushTypeArg,
    /// apns-priority: 10, 5 or 1 (default 10; 5 for background).
    #[arg(long, value_name = "N", help_heading = "Request")]
    pub priority: Option<u8>,
    /// apns-expiration: UNIX time, 0 = deliver now or never (default 0 for VoIP).
    #[arg(long, value_name = "UNIX", help_heading = "Request")]
    pub expiration: Option<u64>,
    /// apns-collapse-id (at most 64 bytes).
    #[arg(long, value_name = "ID", help_heading = "Request")]
    pub collapse_id: Option<String>,
    /// apns-id (lowercase UUID; APNs makes one when absent).
    #[arg(long, value_name = "UUID", help_heading = "Request")]
    pub apns_id: Option<String>,
    /// Any header, `name:value` (repeatable; overrides the options above).
    #[arg(
        short = 'H',
        long = "header",
        value_name = "NAME:VALUE",
        help_heading = "Request"
    )]
    pub headers: Vec<String>,
    /// JSON payload (default: a minimal one for the push type).
    #[arg(
        long,
        value_name = "JSON",
        conflicts_with = "payload_file",
        help_heading = "Request"
    )]
    pub payload: Option<String>,
    /// Read the JSON payload from FILE (`-` for stdin).
    #[arg(long, value_name = "FILE", help_heading = "Request")]
    pub payload_file: Option<PathBuf>,

    /// Pushes in flight at once, as streams of one HTTP/2 connection (the server's limit applies too).
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=10_000), help_heading = "Sending")]
    pub concurrency: u32,
    /// Retries per push on 429, 5xx, GOAWAY and resets (never on permanent reasons).
    #[arg(long, value_name = "N", default_value_t = 3, help_heading = "Sending")]
    pub retries: u32,
    /// Seconds to wait for each answer.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600), help_heading = "Sending")]
    pub timeout: u64,
    /// First retry delay in milliseconds (doubles each retry).
    #[arg(long, value_name = "MS", default_value_t = 250, hide = true)]
    pub backoff_ms: u64,
}

/// `--env` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvArg {
    /// api.push.apple.com.
    Production,
    /// api.sandbox.push.apple.com.
    Sandbox,
}

/// `--push-type` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PushTypeArg {
    /// PushKit VoIP push.
    Voip,
    /// Visible notification.
    Alert,
    /// Silent background push.
    Background,
    /// watchOS complication.
    Complication,
    /// File Provider.
    Fileprovider,
    /// MDM.
    Mdm,
    /// Location query.
    Location,
    /// Live Activity.
    Liveactivity,
    /// Push to Talk.
    Pushtotalk,
}

fn parse_port(s: &str) -> Result<u16, String> {
    match s {
        "443" => Ok(443),
        "2197" => Ok(2197),
        _ => Err("APNs listens on 443 or 2197".into()),
    }
}

/// A path argument, with `-` meaning stdin.
fn source(p: PathBuf) -> Source {
    if p.as_os_str() == "-" {
        Source::Stdin
    } else {
        Source::File(p)
    }
}

impl PushArgs {
    /// Plain options for the command module.
    pub fn resolve(self) -> Result<Options, crate::Error> {
        let stdin_users = usize::from(
            self.tokens_file
                .as_deref()
                .is_some_and(|p| p.as_os_str() == "-"),
        ) + usize::from(
            self.payload_file
                .as_deref()
                .is_some_and(|p| p.as_os_str() == "-"),
        );
        if stdin_users > 1 {
            return Err(crate::Error::Usage(
                "only one of --tokens-file and --payload-file can read stdin (`-`)".into(),
            ));
        }
        let auth = if let Some(key) = self.key {
            AuthOptions::Token {
                key,
                key_id: self.key_id.unwrap_or_default(),
                team_id: self.team_id.unwrap_or_default(),
                refresh_secs: self.token_refresh.saturating_mul(60),
            }
        } else if let Some(path) = self.p12 {
            AuthOptions::P12 {
                path,
                password: PasswordSource {
                    env: self.password_env,
                    prompt: std::io::stdin().is_terminal(),
                },
            }
        } else if let Some(cert) = self.cert {
            AuthOptions::Pem {
                cert,
                key: self.cert_key,
            }
        } else {
            return Err(crate::Error::Usage(
                "pass --key (token auth), --p12 or --cert (certificate auth)".into(),
            ));
        };
        let push_type = match self.push_type {
            PushTypeArg::Voip => PushType::Voip,
            PushTypeArg::Alert => PushType::Alert,
            PushTypeArg::Background => PushType::Background,
            PushTypeArg::Complication => PushType::Complication,
            PushTypeArg::Fileprovider => PushType::Fileprovider,
            PushTypeArg::Mdm => PushType::Mdm,
            PushTypeArg::Location => PushType::Location,
            PushTypeArg::Liveactivity => PushType::Liveactivity,
            PushTypeArg::Pushtotalk => PushType::Pushtotalk,
        };
        Ok(Options {
            env: self.env.map(|e| match e {
                EnvArg::Production => Environment::Production,
                EnvArg::Sandbox => Environment::Sandbox,
            }),
            apns_url: self.apns_url,
            port: self.port,
            ca_certs: self.ca_cert,
            auth,
            topic: self.topic,
            bundle: self.bundle,
            no_topic_check: self.no_topic_check,
            push_type,
            priority: self.priority,
            expiration: self.expiration,
            collapse_id: self.collapse_id,
            apns_id: self.apns_id,
            headers: self.headers,
            payload: self
                .payload
                .map(Source::Literal)
                .or(self.payload_file.map(source)),
            tokens: self.tokens,
            tokens_from: self.tokens_file.map(source),
            concurrency: self.concurrency as usize,
            retry: RetryPolicy {
                retries: self.retries.min(20),
                base: Duration::from_millis(self.backoff_ms.clamp(1, 60_000)),
            },
            timeout: Duration::from_secs(self.timeout),
        })
    }
}
