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
pub(crate) struct PushArgs {
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

    /// How to authenticate.
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Token auth: renew the token after this long, 20 to 60 minutes (`40m`, `1h`; a plain
    /// number is seconds).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "40m",
        value_parser = parse_token_refresh,
        help_heading = "Token auth"
    )]
    pub token_refresh: Duration,

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
    /// Time to wait for each answer, at most 10m (seconds, or `500ms`, `2m`…).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_timeout, help_heading = "Sending")]
    pub timeout: Duration,
    /// First retry delay, doubling each retry (seconds, or `250ms`…).
    #[arg(long, value_name = "DURATION", default_value = "250ms", value_parser = crate::duration::arg, hide = true)]
    pub backoff: Duration,
}

/// How to authenticate to APNs: token (.p8) or certificate (.p12, PEM). Shared by `push` and
/// `probe --via push`.
#[derive(Debug, Args)]
pub(crate) struct AuthArgs {
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
}

impl AuthArgs {
    /// The auth options, `None` when none was given (token auth renews after `refresh_secs`).
    pub(crate) fn resolve(self, refresh_secs: u64) -> Option<AuthOptions> {
        if let Some(key) = self.key {
            Some(AuthOptions::Token {
                key,
                key_id: self.key_id.unwrap_or_default(),
                team_id: self.team_id.unwrap_or_default(),
                refresh_secs,
            })
        } else if let Some(path) = self.p12 {
            Some(AuthOptions::P12 {
                path,
                password: PasswordSource {
                    env: self.password_env,
                    prompt: std::io::stdin().is_terminal(),
                },
            })
        } else {
            self.cert.map(|cert| AuthOptions::Pem {
                cert,
                key: self.cert_key,
            })
        }
    }
}

/// `--env` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum EnvArg {
    /// api.push.apple.com.
    Production,
    /// api.sandbox.push.apple.com.
    Sandbox,
}

/// `--push-type` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PushTypeArg {
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

/// The longest `--timeout`.
const MAX_TIMEOUT: Duration = Duration::from_secs(600);

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = crate::duration::positive_arg(s)?;
    if d > MAX_TIMEOUT {
        return Err(format!("{:?} is longer than 10m (600 s)", s.trim()));
    }
    Ok(d)
}

fn parse_token_refresh(s: &str) -> Result<Duration, String> {
    let d = crate::duration::arg(s)?;
    let window = Duration::from_secs(crate::push::jwt::MIN_REFRESH_SECS)
        ..=Duration::from_secs(crate::push::jwt::MAX_REFRESH_SECS);
    if !window.contains(&d) {
        return Err(format!(
            "{:?} is not 20 to 60 minutes, the renewal window APNs accepts (e.g. `40m`; a plain number is seconds)",
            s.trim()
        ));
    }
    Ok(d)
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
    pub(crate) fn resolve(self) -> Result<Options, crate::Error> {
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
        let Some(auth) = self.auth.resolve(self.token_refresh.as_secs()) else {
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
                base: self
                    .backoff
                    .clamp(Duration::from_millis(1), Duration::from_secs(60)),
            },
            timeout: self.timeout,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parse(extra: &[&str]) -> Result<Options, String> {
        let mut args = vec![
            "voipctl",
            "push",
            "--key",
            "k.p8",
            "--key-id",
            "A",
            "--team-id",
            "B",
        ];
        args.extend_from_slice(extra);
        let cli = Cli::try_parse_from(args).map_err(|e| e.to_string())?;
        match cli.command {
            Command::Push(a) => a.resolve().map_err(|e| e.to_string()),
            _ => Err("not push".into()),
        }
    }

    fn refresh_secs(o: &Options) -> u64 {
        match o.auth {
            AuthOptions::Token { refresh_secs, .. } => refresh_secs,
            _ => 0,
        }
    }

    #[test]
    fn durations_take_units_and_plain_seconds() {
        let d = parse(&[]).unwrap();
        assert_eq!(d.timeout, Duration::from_secs(30));
        assert_eq!(d.retry.base, Duration::from_millis(250));
        assert_eq!(refresh_secs(&d), 40 * 60);

        assert_eq!(
            parse(&["--timeout", "500ms"]).unwrap().timeout,
            Duration::from_millis(500)
        );
        assert_eq!(
            parse(&["--timeout", "30"]).unwrap().timeout,
            Duration::from_secs(30)
        );
        assert_eq!(
            parse(&["--timeout", "1m30s"]).unwrap().timeout,
            Duration::from_secs(90)
        );
        assert_eq!(
            parse(&["--timeout", "10m"]).unwrap().timeout,
            Duration::from_secs(600)
        );
        assert_eq!(
            refresh_secs(&parse(&["--token-refresh", "1h"]).unwrap()),
            3600
        );
        assert_eq!(
            refresh_secs(&parse(&["--token-refresh", "20m"]).unwrap()),
            1200
        );
        assert_eq!(
            parse(&["--backoff", "5ms"]).unwrap().retry.base,
            Duration::from_millis(5)
        );
        assert_eq!(
            parse(&["--backoff", "0"]).unwrap().retry.base,
            Duration::from_millis(1)
        );
    }

    #[test]
    fn bad_durations_are_explained() {
        for (args, needle) in [
            (&["--timeout", "0"][..], "longer than zero"),
            (&["--timeout", "0ms"][..], "longer than zero"),
            (&["--timeout", "abc"][..], "not a duration"),
            (&["--timeout", "5 parsecs"][..], "unknown unit"),
            (&["--timeout", "11m"][..], "longer than 10m"),
            (&["--token-refresh", "40"][..], "20 to 60 minutes"),
            (&["--token-refresh", "61m"][..], "20 to 60 minutes"),
            (&["--token-refresh", "19m59s"][..], "20 to 60 minutes"),
        ] {
            let e = parse(args).unwrap_err();
            assert!(e.contains(needle), "{args:?}: {e}");
            assert!(e.contains(args[0]), "{args:?}: {e}");
        }
    }
}
