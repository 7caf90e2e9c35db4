//! The simulated phone's pairing: a root CA, a host certificate and a device certificate, all
//! RSA-2048 with SHA-256 and PKCS#1 PEM keys, because libimobiledevice loads the keys with
//! `PEM_read_bio_RSAPrivateKey`. Generated once per process (RSA key generation is the slow part
//! of starting a simulator) with rcgen on aws-lc-rs.
//!
//! The TLS server accepts any client certificate (or none): libimobiledevice presents the root
//! certificate, pymobiledevice3 and idevice the host certificate, and WebPKI verification would
//! reject the root one as an end-entity certificate. Signatures in the handshake are still
//! checked against the presented key.

use base64::Engine;
use rustls::DistinguishedName;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use std::sync::{Arc, OnceLock};

/// Why the pairing material could not be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PkiError {
    /// Key or certificate generation failed.
    #[error("generate the simulator's certificates")]
    Rcgen(#[from] rcgen::Error),
    /// A generated key could not be re-encoded.
    #[error("encode the simulator's keys")]
    Der(#[from] der::Error),
    /// rustls refused the configuration.
    #[error("configure TLS for the simulator")]
    Tls(#[from] rustls::Error),
}

/// Certificates and keys of one simulated host/phone pairing.
#[derive(Debug)]
pub(crate) struct Pki {
    /// RootCertificate (PEM).
    pub root_cert_pem: String,
    /// RootPrivateKey (PKCS#1 PEM).
    pub root_key_pem: String,
    /// HostCertificate (PEM).
    pub host_cert_pem: String,
    /// HostPrivateKey (PKCS#1 PEM).
    pub host_key_pem: String,
    /// DeviceCertificate (PEM).
    pub device_cert_pem: String,
    /// HostID.
    pub host_id: String,
    /// SystemBUID.
    pub system_buid: String,
    /// The device side of lockdown TLS.
    pub server: Arc<rustls::ServerConfig>,
}

static PKI: OnceLock<Result<Arc<Pki>, String>> = OnceLock::new();

/// The process-wide pairing material (generated on first use).
pub(crate) fn shared() -> Result<Arc<Pki>, String> {
    PKI.get_or_init(|| {
        generate().map(Arc::new).map_err(|e| {
            let mut s = e.to_string();
            if let Some(src) = std::error::Error::source(&e) {
                s.push_str(&format!(": {src}"));
            }
            s
        })
    })
    .clone()
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The RSAPrivateKey (PKCS#1) inside a PKCS#8 PrivateKeyInfo.
pub(crate) fn pkcs8_to_pkcs1(pkcs8: &[u8]) -> Result<Vec<u8>, der::Error> {
    use der::asn1::{AnyRef, OctetStringRef};
    use der::{Decode, Reader, SliceReader};
    let mut r = SliceReader::new(pkcs8)?;
    r.sequence(|seq| {
        let _version = u8::decode(seq)?;
        let _algorithm = AnyRef::decode(seq)?;
        let key = OctetStringRef::decode(seq)?;
        while !seq.is_finished() {
            let _ = AnyRef::decode(seq)?;
        }
        Ok(key.as_bytes().to_vec())
    })
}

fn uuid_like(bytes: &[u8; 16]) -> String {
    let h: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A random UUID-shaped identifier.
pub(crate) fn random_uuid() -> String {
    let mut b = [0u8; 16];
    // aws-lc's RNG through rustls' provider.
    let _ = crate::net::tls::provider().secure_random.fill(&mut b);
    uuid_like(&b)
}

fn generate() -> Result<Pki, PkiError> {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName as Dn, DnType, IsCa, Issuer,
        KeyPair, KeyUsagePurpose, PKCS_RSA_SHA256,
    };
    let validity = |p: &mut CertificateParams| {
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2045, 1, 1);
    };
    let root_key = KeyPair::generate_for(&PKCS_RSA_SHA256)?;
    let mut root_params = CertificateParams::new(Vec::<String>::new())?;
    root_params.distinguished_name = Dn::new();
    root_params
        .distinguished_name
        .push(DnType::CommonName, "voipctl sim root");
    root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    validity(&mut root_params);
    let root_cert = root_params.self_signed(&root_key)?;
    let issuer = Issuer::from_params(&root_params, &root_key);

    let leaf = |cn: &str| -> Result<(KeyPair, rcgen::Certificate), PkiError> {
        let key = KeyPair::generate_for(&PKCS_RSA_SHA256)?;
        let mut p = CertificateParams::new(Vec::<String>::new())?;
        p.distinguished_name = Dn::new();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        validity(&mut p);
        let cert = p.signed_by(&key, &issuer)?;
        Ok((key, cert))
    };
    let (host_key, host_cert) = leaf("voipctl sim host")?;
    let (device_key, device_cert) = leaf("voipctl sim device")?;

    let provider = crate::net::tls::provider();
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(Arc::new(AnyClientCert(provider)))
        .with_single_cert(
            vec![device_cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(device_key.serialize_der())),
        )?;

    Ok(Pki {
        root_cert_pem: root_cert.pem(),
        root_key_pem: pem(
            "RSA PRIVATE KEY",
            &pkcs8_to_pkcs1(root_key.serialized_der())?,
        ),
        host_cert_pem: host_cert.pem(),
        host_key_pem: pem(
            "RSA PRIVATE KEY",
            &pkcs8_to_pkcs1(host_key.serialized_der())?,
        ),
        device_cert_pem: device_cert.pem(),
        host_id: random_uuid(),
        system_buid: random_uuid(),
        server: Arc::new(server),
    })
}

impl Pki {
    /// The pair record usbmuxd hands out for `udid` (an XML plist).
    pub(crate) fn pair_record(&self, udid: &str) -> Vec<u8> {
        let mut d = plist::Dictionary::new();
        let data = |s: &str| plist::Value::Data(s.as_bytes().to_vec());
        d.insert("DeviceCertificate".into(), data(&self.device_cert_pem));
        d.insert("EscrowBag".into(), plist::Value::Data(vec![0x5a; 32]));
        d.insert("HostCertificate".into(), data(&self.host_cert_pem));
        d.insert("HostID".into(), self.host_id.clone().into());
        d.insert("HostPrivateKey".into(), data(&self.host_key_pem));
        d.insert("RootCertificate".into(), data(&self.root_cert_pem));
        d.insert("RootPrivateKey".into(), data(&self.root_key_pem));
        d.insert("SystemBUID".into(), self.system_buid.clone().into());
        d.insert("UDID".into(), udid.into());
        d.insert("WiFiMACAddress".into(), "a4:83:e7:00:00:01".into());
        let mut out = Vec::new();
        // Writing a dictionary of strings and data to memory cannot fail.
        let _ = plist::Value::Dictionary(d).to_writer_xml(&mut out);
        out
    }
}

#[derive(Debug)]
struct AnyClientCert(Arc<CryptoProvider>);

impl ClientCertVerifier for AnyClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }
    fn client_auth_mandatory(&self) -> bool {
        false
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_record_is_what_idevice_reads() -> Result<(), String> {
        let pki = shared()?;
        assert!(
            pki.host_key_pem
                .starts_with("-----BEGIN RSA PRIVATE KEY-----\n")
        );
        let rec = pki.pair_record("abc");
        let parsed =
            idevice::pairing_file::PairingFile::from_bytes(&rec).map_err(|e| e.to_string())?;
        assert_eq!(parsed.host_id, pki.host_id);
        Ok(())
    }
}
