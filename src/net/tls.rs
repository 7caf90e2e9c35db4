//! One way to build a rustls client configuration: aws-lc-rs, safe default protocol versions,
//! and either the platform's verifier or only the CAs the user passed (`--ca-cert`).
//! Verification is never switched off. Callers add their ALPN protocols.

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

/// The crypto provider of every TLS configuration voipctl builds: aws-lc-rs, the only one.
pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Why a PEM file of certificates (`--ca-cert`) could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PemCertsError {
    /// The file could not be read.
    #[error("read {path}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A `CERTIFICATE` block is not valid PEM (bad base64, no end line): refused rather than
    /// skipped, so that a damaged file is not half-trusted.
    #[error("{path} has a PEM block that cannot be read ({reason}); export the certificate again")]
    Bad {
        /// The file.
        path: String,
        /// The PEM reader's reason.
        reason: String,
    },
    /// No `CERTIFICATE` block at all.
    #[error("{path} holds no PEM certificate (no BEGIN CERTIFICATE block)")]
    Empty {
        /// The file.
        path: String,
    },
}

/// The certificates of a PEM file, in order: every `CERTIFICATE` block; other blocks (keys,
/// parameters) are passed over; a block that cannot be read is an error.
pub(crate) fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, PemCertsError> {
    let name = || path.display().to_string();
    let data = std::fs::read(path).map_err(|source| PemCertsError::Read {
        path: name(),
        source,
    })?;
    let certs = rustls_pemfile::certs(&mut &data[..])
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PemCertsError::Bad {
            path: name(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(PemCertsError::Empty { path: name() });
    }
    Ok(certs)
}

/// The first private key (PKCS#1, PKCS#8 or SEC1) of PEM bytes; `None` when there is none or
/// it cannot be read.
pub(crate) fn pem_private_key(data: &[u8]) -> Option<PrivateKeyDer<'static>> {
    rustls_pemfile::private_key(&mut &data[..]).ok().flatten()
}

/// Why a client configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientTlsError {
    /// A `--ca-cert` certificate rustls cannot use as a trust anchor.
    #[error("bad CA certificate: {0}")]
    Ca(#[source] rustls::Error),
    /// The client certificate and key do not go together (rustls names why, never the key).
    #[error("the client certificate cannot be used: {0}")]
    Identity(#[source] rustls::Error),
    /// Protocol versions or the platform verifier.
    #[error("{0}")]
    Setup(#[source] rustls::Error),
}

/// The client certificate chain and its key, for mutual TLS.
pub(crate) type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// A client configuration. `ca` empty: the platform's trust store and verifier; otherwise only
/// these CAs are trusted. `identity`: a client certificate. `alpn`: the protocols to offer.
pub(crate) fn client_config(
    ca: &[CertificateDer<'static>],
    identity: Option<Identity>,
    alpn: &[&[u8]],
) -> Result<rustls::ClientConfig, ClientTlsError> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(ClientTlsError::Setup)?;
    let builder = if ca.is_empty() {
        use rustls_platform_verifier::BuilderVerifierExt;
        builder
            .with_platform_verifier()
            .map_err(ClientTlsError::Setup)?
    } else {
        let mut roots = rustls::RootCertStore::empty();
        for c in ca {
            roots.add(c.clone()).map_err(ClientTlsError::Ca)?;
        }
        builder.with_root_certificates(roots)
    };
    let mut config = match identity {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(ClientTlsError::Identity)?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pem_certificates_are_read_and_a_damaged_block_is_refused() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["ca.test".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        // A key block next to the certificate is passed over.
        let good = write(
            "good.pem",
            &format!("{}{}", key.serialize_pem(), cert.pem()),
        );
        assert_eq!(read_pem_certs(&good).unwrap().len(), 1);
        let damaged = format!("{}-----BEGIN CERTIFICATE-----\nnot base64!\n", cert.pem());
        assert!(matches!(
            read_pem_certs(&write("bad.pem", &damaged)),
            Err(PemCertsError::Bad { .. })
        ));
        assert!(matches!(
            read_pem_certs(&write("empty.pem", "nothing here\n")),
            Err(PemCertsError::Empty { .. })
        ));
        assert!(matches!(
            read_pem_certs(&dir.path().join("missing.pem")),
            Err(PemCertsError::Read { .. })
        ));
    }

    #[test]
    fn custom_ca_replaces_the_platform_roots_and_alpn_is_set() {
        let ca = rcgen::CertificateParams::new(vec!["ca.test".to_string()]).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = ca.self_signed(&key).unwrap();
        let der = CertificateDer::from(cert.der().to_vec());
        let config = client_config(&[der], None, &[b"h2"]).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec()]);
        assert!(!config.client_auth_cert_resolver.has_certs());
    }

    #[test]
    fn a_certificate_that_is_no_ca_is_refused() {
        let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        assert!(matches!(
            client_config(&[garbage], None, &[]),
            Err(ClientTlsError::Ca(_))
        ));
    }
}
