//! Certificate auth: load the client certificate and key from a `.p12` (as Keychain Access exports
//! it: often RC2-40 or 3DES PBES1 ciphers, sometimes an empty password) or from PEM files, and
//! read Apple's push extensions from the certificate — development / production OIDs and the
//! topic list — so the environment can be picked and the topic checked before anything is sent.

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::path::Path;

/// Development push environment (`1.2.840.113635.100.6.3.1`).
pub const OID_DEVELOPMENT: &str = "1.2.840.113635.100.6.3.1";
/// Production push environment (`1.2.840.113635.100.6.3.2`).
pub const OID_PRODUCTION: &str = "1.2.840.113635.100.6.3.2";
/// Topic list (`1.2.840.113635.100.6.3.6`).
pub const OID_TOPICS: &str = "1.2.840.113635.100.6.3.6";
const OID_UID: &str = "0.9.2342.19200300.100.1.1";
const OID_CN: &str = "2.5.4.3";

/// Why the certificate could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "open {path}: wrong password, or not a PKCS#12 file; set the password in ${env} (or run in a terminal to be asked), or re-export the certificate with its key from Keychain Access"
    )]
    P12 { path: String, env: String },
    #[error(
        "{path} is password-protected and there is no terminal to ask for it; set ${env}=<password> (CI: from a secret) and run again"
    )]
    NoPassword { path: String, env: String },
    #[error(
        "{path} has no private key with its certificate; export both from Keychain Access (select the certificate and its key) as .p12"
    )]
    NoKey { path: String },
    #[error("{path} holds no PEM certificate")]
    NoPemCert { path: String },
    #[error(
        "{path} holds no unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1); decrypt it with `openssl pkey -in {path} -out key.pem` or pass --cert-key"
    )]
    NoPemKey { path: String },
    #[error("{path}: the certificate is not valid DER")]
    BadCert { path: String },
}

/// What Apple's push certificate says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct CertInfo {
    /// Subject common name, e.g. `VoIP Services: com.example.app`.
    pub common_name: Option<String>,
    /// Subject UID: the topic of single-topic certificates.
    pub uid: Option<String>,
    /// Carries the development OID.
    pub development: bool,
    /// Carries the production OID.
    pub production: bool,
    /// Topics from the topic extension (empty when absent).
    pub topics: Vec<String>,
    /// Expiry (UNIX seconds).
    pub not_after: Option<u64>,
}

impl CertInfo {
    /// An Apple push certificate (has one of the push OIDs).
    pub fn is_apple_push(&self) -> bool {
        self.development || self.production || !self.topics.is_empty()
    }

    /// Whether the topic is one this certificate may push to; None when the certificate says
    /// nothing about topics (not an Apple certificate).
    pub fn allows_topic(&self, topic: &str) -> Option<bool> {
        if !self.topics.is_empty() {
            return Some(self.topics.iter().any(|t| t == topic));
        }
        if self.is_apple_push()
            && let Some(uid) = &self.uid
        {
            return Some(uid == topic);
        }
        None
    }

    /// Topics to offer when the user gave none.
    pub fn known_topics(&self) -> Vec<String> {
        if !self.topics.is_empty() {
            self.topics.clone()
        } else {
            self.uid.iter().cloned().collect()
        }
    }
}

/// A client identity. Debug never shows the key.
pub struct ClientIdentity {
    /// Leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key.
    pub key: PrivateKeyDer<'static>,
    /// The leaf's push facts.
    pub info: CertInfo,
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("chain_len", &self.chain.len())
            .field("key", &"[redacted]")
            .field("info", &self.info)
            .finish()
    }
}

/// A password that never shows in Debug output.
#[derive(Clone, Default)]
pub struct Password(String);

impl Password {
    /// Wrap a password.
    pub fn new(s: String) -> Self {
        Password(s)
    }
    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// Where the `.p12` password comes from.
#[derive(Debug, Clone)]
pub struct PasswordSource {
    /// Name of the environment variable holding it.
    pub env: String,
    /// May we prompt on the terminal?
    pub prompt: bool,
}

fn read(path: &Path) -> Result<Vec<u8>, CertError> {
    std::fs::read(path).map_err(|source| CertError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Open a `.p12`: first with an empty password (Keychain exports often have none), then with the
/// password from the environment variable, then by asking on the terminal.
pub fn load_p12(path: &Path, pw: &PasswordSource) -> Result<ClientIdentity, CertError> {
    let data = read(path)?;
    let name = path.display().to_string();
    if let Ok(id) = p12_identity(&data, &Password::default(), &name) {
        return Ok(id);
    }
    let password = match std::env::var(&pw.env) {
        Ok(p) => Password::new(p),
        Err(_) if pw.prompt => {
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            match rpassword::prompt_password(format!(
                "password for {}: ",
                crate::sanitize::terminal(&file)
            )) {
                Ok(p) => Password::new(p),
                Err(_) => {
                    return Err(CertError::NoPassword {
                        path: name,
                        env: pw.env.clone(),
                    });
                }
            }
        }
        Err(_) => {
            return Err(CertError::NoPassword {
                path: name,
                env: pw.env.clone(),
            });
        }
    };
    p12_identity(&data, &password, &name).map_err(|e| match e {
        CertError::P12 { path, .. } => CertError::P12 {
            path,
            env: pw.env.clone(),
        },
        other => other,
    })
}

/// Parse PKCS#12 bytes with a password. Legacy PBES1 ciphers (RC2-40, 3DES) and PBES2/AES are
/// all accepted. Public so the fuzzer can reach it.
pub fn p12_identity(
    data: &[u8],
    password: &Password,
    name: &str,
) -> Result<ClientIdentity, CertError> {
    let p12_err = || CertError::P12 {
        path: name.to_string(),
        env: String::new(),
    };
    let store = p12_keystore::KeyStore::from_pkcs12(
        data,
        password.expose(),
        p12_keystore::Pkcs12ImportPolicy::Relaxed,
    )
    .map_err(|_| p12_err())?;
    let (_, chain) = store.private_key_chain().ok_or_else(|| CertError::NoKey {
        path: name.to_string(),
    })?;
    let certs: Vec<CertificateDer<'static>> = chain
        .certs()
        .iter()
        .map(|c| CertificateDer::from(c.as_der().to_vec()))
        .collect();
    let Some(leaf) = certs.first() else {
        return Err(CertError::NoKey {
            path: name.to_string(),
        });
    };
    let info = cert_info(leaf).map_err(|_| CertError::BadCert {
        path: name.to_string(),
    })?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(chain.key().as_der().to_vec()));
    Ok(ClientIdentity {
        chain: certs,
        key,
        info,
    })
}

/// Load a PEM certificate (chain) and key; the key may sit in the certificate file.
pub fn load_pem(cert: &Path, key: Option<&Path>) -> Result<ClientIdentity, CertError> {
    let cert_bytes = read(cert)?;
    let cert_name = cert.display().to_string();
    let key_bytes;
    let (key_src, key_name) = match key {
        Some(k) => {
            key_bytes = read(k)?;
            (&key_bytes, k.display().to_string())
        }
        None => (&cert_bytes, cert_name.clone()),
    };
    pem_identity(&cert_bytes, key_src, &cert_name, &key_name)
}

/// Parse PEM bytes into an identity. Public so the fuzzer can reach it.
pub fn pem_identity(
    cert_pem: &[u8],
    key_pem: &[u8],
    cert_name: &str,
    key_name: &str,
) -> Result<ClientIdentity, CertError> {
    let chain: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut &cert_pem[..])
        .filter_map(Result::ok)
        .collect();
    let Some(leaf) = chain.first() else {
        return Err(CertError::NoPemCert {
            path: cert_name.to_string(),
        });
    };
    let info = cert_info(leaf).map_err(|_| CertError::BadCert {
        path: cert_name.to_string(),
    })?;
    let key = crate::net::tls::pem_private_key(key_pem).ok_or_else(|| CertError::NoPemKey {
        path: key_name.to_string(),
    })?;
    Ok(ClientIdentity { chain, key, info })
}

/// Read the push facts from a DER certificate.
pub fn cert_info(der_bytes: &[u8]) -> Result<CertInfo, der::Error> {
    use der::Decode;
    let cert = x509_cert::Certificate::from_der(der_bytes)?;
    let tbs = &cert.tbs_certificate;
    let mut info = CertInfo {
        not_after: Some(tbs.validity.not_after.to_unix_duration().as_secs()),
        ..CertInfo::default()
    };
    for rdn in tbs.subject.0.iter() {
        for atv in rdn.0.iter() {
            let oid = atv.oid.to_string();
            let text = String::from_utf8_lossy(atv.value.value()).into_owned();
            if oid == OID_UID {
                info.uid = Some(text);
            } else if oid == OID_CN {
                info.common_name = Some(text);
            }
        }
    }
    for ext in tbs.extensions.iter().flatten() {
        match ext.extn_id.to_string().as_str() {
            OID_DEVELOPMENT => info.development = true,
            OID_PRODUCTION => info.production = true,
            OID_TOPICS => info.topics = parse_topics(ext.extn_value.as_bytes()),
            _ => {}
        }
    }
    Ok(info)
}

/// Read one DER TLV: (tag, content, rest). Short and long definite lengths only.
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&len0, rest) = rest.split_first()?;
    let (len, rest) = if len0 < 0x80 {
        (len0 as usize, rest)
    } else {
        let n = (len0 & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, &x| (a << 8) | x as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// Parse Apple's topic extension: `SEQUENCE { UTF8String topic, SEQUENCE { UTF8String kind }, … }`.
/// Tolerant: anything malformed ends the list. Public so the fuzzer can reach it.
pub fn parse_topics(ext_value: &[u8]) -> Vec<String> {
    let mut topics = Vec::new();
    let Some((0x30, mut body, _)) = tlv(ext_value) else {
        return topics;
    };
    while let Some((tag, content, rest)) = tlv(body) {
        if tag == 0x0c
            && let Ok(s) = std::str::from_utf8(content)
            && !s.is_empty()
            && topics.len() < 64
        {
            topics.push(s.to_string());
        }
        body = rest;
    }
    topics
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf8(s: &str) -> Vec<u8> {
        let mut v = vec![0x0c, s.len() as u8];
        v.extend_from_slice(s.as_bytes());
        v
    }
    fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = parts.concat();
        let mut v = vec![0x30, body.len() as u8];
        v.extend(body);
        v
    }

    #[test]
    fn topic_extension_is_read() {
        let ext = seq(&[
            utf8("com.example.app"),
            seq(&[utf8("app")]),
            utf8("com.example.app.voip"),
            seq(&[utf8("voip")]),
        ]);
        assert_eq!(
            parse_topics(&ext),
            vec!["com.example.app", "com.example.app.voip"]
        );
        assert!(parse_topics(&[0x30, 0x05, 0x0c]).is_empty());
    }

    #[test]
    fn topic_rules() {
        let info = CertInfo {
            uid: Some("com.example.app.voip".into()),
            development: true,
            ..CertInfo::default()
        };
        assert_eq!(info.allows_topic("com.example.app.voip"), Some(true));
        assert_eq!(info.allows_topic("com.example.app"), Some(false));
        assert_eq!(CertInfo::default().allows_topic("x"), None);
    }

    #[test]
    fn password_debug_is_redacted() {
        assert_eq!(
            format!("{:?}", Password::new("hunter2".into())),
            "Password([redacted])"
        );
    }

    proptest::proptest! {
        #[test]
        fn topic_parser_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let t = parse_topics(&data);
            proptest::prop_assert!(t.len() <= 64);
        }

        #[test]
        fn pem_and_p12_loaders_never_panic(data in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = pem_identity(&data, &data, "c", "k");
            let _ = p12_identity(&data, &Password::default(), "p");
        }
    }
}
