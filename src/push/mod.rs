//! `voipctl push`: send test VoIP (or other) pushes through APNs and explain every failure.
//!
//! Why it exists: the failures VoIP developers hit with APNs — sandbox/production mix-ups, the
//! APNs token used where the PushKit token belongs, a missing or doubled `.voip` suffix, p12
//! passwords and legacy ciphers, token pacing, connections that die on GOAWAY — are all cheap to
//! detect before sending or to explain after, and expensive to guess at. Pure checks live in
//! `request`, `cert` and `reason`; I/O in `client` and `send`.

pub mod cert;
pub(crate) mod client;
pub(crate) mod jwt;
pub mod reason;
pub mod request;
pub(crate) mod send;

use cert::{ClientIdentity, PasswordSource};
use client::{Apns, Auth};
use request::PushType;
use send::{Engine, RetryPolicy};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// APNs environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// api.push.apple.com (TestFlight, App Store, Ad Hoc builds).
    Production,
    /// api.sandbox.push.apple.com (development builds from Xcode).
    Sandbox,
}

impl Environment {
    fn host(self) -> &'static str {
        match self {
            Environment::Production => "api.push.apple.com",
            Environment::Sandbox => "api.sandbox.push.apple.com",
        }
    }
    fn name(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Sandbox => "sandbox",
        }
    }
}

/// How to authenticate.
#[derive(Debug, Clone)]
pub enum AuthOptions {
    /// `.p8` key, key ID, team ID.
    Token {
        /// The `.p8` file.
        key: PathBuf,
        /// 10-character key ID.
        key_id: String,
        /// 10-character team ID.
        team_id: String,
        /// Renewal interval in seconds (clamped to 20–60 minutes).
        refresh_secs: u64,
    },
    /// A `.p12` file.
    P12 {
        /// The file.
        path: PathBuf,
        /// Where the password comes from.
        password: PasswordSource,
    },
    /// PEM certificate and key.
    Pem {
        /// Certificate (chain) file.
        cert: PathBuf,
        /// Key file (default: in the certificate file).
        key: Option<PathBuf>,
    },
}

/// A source of bytes: a literal, a file, or stdin.
#[derive(Debug, Clone)]
pub enum Source {
    /// Given on the command line.
    Literal(String),
    /// A file.
    File(PathBuf),
    /// Standard input.
    Stdin,
}

/// Resolved options of `voipctl push`.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--env`.
    pub env: Option<Environment>,
    /// `--apns-url`.
    pub apns_url: Option<String>,
    /// `--port`.
    pub port: u16,
    /// `--ca-cert` files.
    pub ca_certs: Vec<PathBuf>,
    /// Authentication.
    pub auth: AuthOptions,
    /// `--topic`.
    pub topic: Option<String>,
    /// `--bundle`.
    pub bundle: Option<String>,
    /// `--no-topic-check`.
    pub no_topic_check: bool,
    /// `--push-type`.
    pub push_type: PushType,
    /// `--priority`.
    pub priority: Option<u8>,
    /// `--expiration`.
    pub expiration: Option<u64>,
    /// `--collapse-id`.
    pub collapse_id: Option<String>,
    /// `--apns-id`.
    pub apns_id: Option<String>,
    /// `--header name:value`, raw.
    pub headers: Vec<String>,
    /// Payload.
    pub payload: Option<Source>,
    /// Tokens given as arguments.
    pub tokens: Vec<String>,
    /// `--tokens-file` (or stdin).
    pub tokens_from: Option<Source>,
    /// Concurrent requests.
    pub concurrency: usize,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// Errors before anything is sent (all are input errors: exit 3).
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    Request(#[from] request::RequestError),
    #[error(transparent)]
    Jwt(#[from] jwt::JwtError),
    #[error(transparent)]
    Cert(#[from] cert::CertError),
    #[error(transparent)]
    Client(#[from] client::ClientError),
    #[error("could not read {what}")]
    Read {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    BadTokens(String),
    #[error("no device token: pass one or more hex tokens, or --tokens-file FILE (- for stdin)")]
    NoTokens,
    #[error(
        "the certificate is for {cert_env} only, but --env {asked} was asked; use --env {cert_env} or a certificate for {asked}"
    )]
    WrongEnvironment {
        cert_env: &'static str,
        asked: &'static str,
    },
    #[error(
        "the certificate does not cover topic `{topic}` (it covers: {known}); pass --topic with one of those, or use the certificate of the right app"
    )]
    TopicNotInCert { topic: String, known: String },
    #[error("--apns-url `{0}` is not an https:// URL")]
    BadUrl(String),
}

/// A network or service failure that left pushes without an answer (exit 5).
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message())]
pub struct ServiceFailure {
    /// Pushes that failed on the service's side (network, 5xx, no answer).
    pub failed: usize,
    /// Pushes in the run.
    pub total: usize,
    /// The first such failure, as said to the user.
    pub first: String,
    /// The server refused the client certificate: `first` says so and what to check.
    pub certificate_refused: bool,
}

impl ServiceFailure {
    fn message(&self) -> String {
        let ServiceFailure {
            failed,
            total,
            first,
            ..
        } = self;
        if self.certificate_refused {
            format!("{first} ({failed} of {total} pushes not delivered)")
        } else {
            format!(
                "{failed} of {total} pushes got no answer from APNs ({first}); check the network and --env/--apns-url, then run again"
            )
        }
    }
}

fn read_source(src: &Source, what: &str) -> Result<Vec<u8>, PushError> {
    match src {
        Source::Literal(s) => Ok(s.as_bytes().to_vec()),
        Source::File(p) => std::fs::read(p).map_err(|source| PushError::Read {
            what: format!("{what} {}", p.display()),
            source,
        }),
        Source::Stdin => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|source| PushError::Read {
                    what: format!("{what} from stdin"),
                    source,
                })?;
            Ok(buf)
        }
    }
}

/// Load the identity/key and decide the environment.
fn load_auth(opts: &Options) -> Result<(Auth, Option<ClientIdentity>), PushError> {
    match &opts.auth {
        AuthOptions::Token {
            key,
            key_id,
            team_id,
            refresh_secs,
        } => {
            let signer = jwt::TokenSigner::from_file(key, key_id, team_id, *refresh_secs)?;
            Ok((Auth::Token(Arc::new(signer)), None))
        }
        AuthOptions::P12 { path, password } => {
            Ok((Auth::Certificate, Some(cert::load_p12(path, password)?)))
        }
        AuthOptions::Pem { cert, key } => Ok((
            Auth::Certificate,
            Some(cert::load_pem(cert, key.as_deref())?),
        )),
    }
}

pub(crate) struct Prepared {
    pub(crate) engine: Engine,
    pub(crate) tokens: Vec<String>,
    pub(crate) environment: String,
    pub(crate) auth_name: &'static str,
    pub(crate) topic: Option<String>,
}

/// Something to tell the user while preparing (the command layer says it, on stderr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Shown with `-v`.
    Note(String),
    /// A warning.
    Warning(String),
}

/// Check the options and build the engine; what to tell the user is added to `notices` (also
/// when an error follows, so that it is said before the error).
pub(crate) fn prepare(opts: &Options, notices: &mut Vec<Notice>) -> Result<Prepared, PushError> {
    let (auth, identity) = load_auth(opts)?;
    let info = identity.as_ref().map(|i| &i.info);

    // Environment: explicit, or what the certificate allows (sandbox when both).
    let mut env = opts.env;
    if let Some(info) = info.filter(|i| i.development != i.production) {
        let only = if info.development {
            Environment::Sandbox
        } else {
            Environment::Production
        };
        match env {
            Some(asked) if asked != only && opts.apns_url.is_none() => {
                return Err(PushError::WrongEnvironment {
                    cert_env: only.name(),
                    asked: asked.name(),
                });
            }
            None => {
                env = Some(only);
                notices.push(Notice::Note(format!(
                    "the certificate is for {} only: sending to {}",
                    only.name(),
                    only.host()
                )));
            }
            _ => {}
        }
    }
    let (base, environment) = match &opts.apns_url {
        Some(url) => {
            if !url.starts_with("https://") {
                return Err(PushError::BadUrl(url.clone()));
            }
            (
                url.trim_end_matches('/').to_string(),
                env.map_or("custom", Environment::name).to_string(),
            )
        }
        None => {
            let e = env.unwrap_or(Environment::Sandbox);
            if env.is_none() {
                notices.push(Notice::Note("no --env: using sandbox (development builds); TestFlight/App Store builds need --env production".into()));
            }
            (
                format!("https://{}:{}", e.host(), opts.port),
                e.name().to_string(),
            )
        }
    };

    // Topic: explicit, derived from --bundle, or the certificate's.
    let mut topic = request::resolve_topic(
        opts.topic.as_deref(),
        opts.bundle.as_deref(),
        opts.push_type,
    )?;
    if topic.is_none()
        && let Some(info) = info
    {
        let known = info.known_topics();
        let suffix = opts.push_type.topic_suffix();
        topic = known
            .iter()
            .find(|t| {
                if suffix.is_empty() {
                    !t.contains(".voip") && !t.contains(".complication")
                } else {
                    t.ends_with(suffix)
                }
            })
            .cloned();
    }
    let Some(topic) = topic else {
        return Err(request::RequestError::MissingTopic(opts.push_type.topic_suffix()).into());
    };
    if !opts.no_topic_check {
        request::check_topic(&topic, opts.push_type)?;
    }
    if let Some(info) = info
        && info.allows_topic(&topic) == Some(false)
        && !opts.no_topic_check
    {
        return Err(PushError::TopicNotInCert {
            topic,
            known: info.known_topics().join(", "),
        });
    }
    if let Some(info) = info
        && let Some(na) = info.not_after
        && na < jwt::now_secs()
    {
        notices.push(Notice::Warning("the client certificate has expired: APNs will refuse the connection (BadCertificate); create a new one in the developer portal".into()));
    }

    // Headers.
    let priority = opts
        .priority
        .unwrap_or_else(|| opts.push_type.default_priority());
    request::check_priority(priority)?;
    if opts.push_type == PushType::Background && priority == 10 {
        notices.push(Notice::Warning(
            "background pushes must use priority 5; APNs may reject priority 10".into(),
        ));
    }
    let mut pairs: Vec<(String, String)> = vec![
        ("apns-push-type".into(), opts.push_type.as_str().into()),
        ("apns-topic".into(), topic.clone()),
        ("apns-priority".into(), priority.to_string()),
    ];
    let expiration = opts
        .expiration
        .or((opts.push_type == PushType::Voip).then_some(0));
    if let Some(e) = expiration {
        pairs.push(("apns-expiration".into(), e.to_string()));
    }
    if let Some(c) = &opts.collapse_id {
        request::check_collapse_id(c)?;
        pairs.push(("apns-collapse-id".into(), c.clone()));
    }
    if let Some(id) = &opts.apns_id {
        pairs.push(("apns-id".into(), request::check_apns_id(id)?));
    }
    for h in &opts.headers {
        let (k, v) = request::parse_header(h)?;
        if k == "authorization" {
            return Err(request::RequestError::BadHeader(
                "authorization (use --key/--key-id/--team-id)".into(),
            )
            .into());
        }
        pairs.retain(|(name, _)| *name != k);
        pairs.push((k, v));
    }
    let headers = client::headers(&pairs)?;

    // Payload.
    let raw = match &opts.payload {
        Some(src) => read_source(src, "the payload")?,
        None => opts.push_type.default_payload().as_bytes().to_vec(),
    };
    let payload = request::check_payload(&raw, opts.push_type)?;

    // Tokens.
    let mut tokens = Vec::new();
    let mut bad = Vec::new();
    for (i, t) in opts.tokens.iter().enumerate() {
        match request::normalize_token(t) {
            Ok(t) => tokens.push(t),
            Err(why) => bad.push(request::BadToken {
                source_name: "argument".into(),
                line: i + 1,
                shown: t.chars().take(24).collect(),
                why,
            }),
        }
    }
    if let Some(src) = &opts.tokens_from {
        let bytes = read_source(src, "the device tokens")?;
        let name = match src {
            Source::File(p) => p.display().to_string(),
            _ => "stdin".into(),
        };
        let (good, b) = request::parse_token_list(&String::from_utf8_lossy(&bytes), &name);
        tokens.extend(good);
        bad.extend(b);
    }
    if !bad.is_empty() {
        let mut msg: Vec<String> = bad.iter().take(5).map(ToString::to_string).collect();
        if bad.len() > 5 {
            msg.push(format!("…and {} more", bad.len() - 5));
        }
        return Err(PushError::BadTokens(msg.join("; ")));
    }
    if tokens.is_empty() {
        return Err(PushError::NoTokens);
    }

    // Connection.
    let mut ca = Vec::new();
    for p in &opts.ca_certs {
        ca.extend(client::read_ca(p)?);
    }
    let http = client::build_http(&ca, identity.as_ref())?;
    let auth_name = match auth {
        Auth::Token(_) => "token",
        Auth::Certificate => "certificate",
    };
    let apns = Apns::new(http, base, auth, headers, payload, opts.timeout)?;
    Ok(Prepared {
        engine: Engine::new(apns, opts.retry),
        tokens,
        environment,
        auth_name,
        topic: Some(topic),
    })
}

/// A prepared sender for `voipctl probe`: the same checks and set-up as `push` (auth,
/// environment, topic, headers, payload) for the token(s) in `opts`.
pub(crate) struct Sender {
    /// Sends one push to the end (retries included).
    pub(crate) engine: Engine,
    /// The tokens.
    pub(crate) tokens: Vec<String>,
    /// `sandbox`, `production` or `custom`.
    pub(crate) environment: String,
    /// apns-topic.
    pub(crate) topic: Option<String>,
}

/// Prepare pushes as `push` does, without sending (errors are input errors: exit 3).
pub(crate) fn sender(opts: &Options, notices: &mut Vec<Notice>) -> Result<Sender, PushError> {
    let p = prepare(opts, notices)?;
    Ok(Sender {
        engine: p.engine,
        tokens: p.tokens,
        environment: p.environment,
        topic: p.topic,
    })
}
