//! One way to build a rustls client configuration: aws-lc-rs, safe default protocol versions,
//! and either the platform's verifier or only the CAs the user passed (`--ca-cert`).
//! Verification is never switched off. Callers add their ALPN protocols.

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;

/// Why a client configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientTlsError {
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
pub type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// A client configuration. `ca` empty: the platform's trust store and verifier; otherwise only
/// these CAs are trusted. `identity`: a client certificate. `alpn`: the protocols to offer.
pub fn client_config(
    ca: &[CertificateDer<'static>],
    identity: Option<Identity>,
    alpn: &[&[u8]],
) -> Result<rustls::ClientConfig, ClientTlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
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
