//! The code signature (`LC_CODE_SIGNATURE` → SuperBlob) and the entitlements it carries.
//!
//! Layout (all big-endian): SuperBlob `{magic 0xfade0cc0, length, count, index[count] {type,
//! offset}}`; each blob starts with `{magic, length}`. The entitlements blob (magic 0xfade7171)
//! holds an XML plist after its 8-byte header. Everything is bounds-checked: offsets come from
//! the file. The CodeDirectory (`0xfade0c02`) names the signing identifier and team; the CMS
//! blob (`0xfade0b01`, slot 0x10000) carries the signing certificate; the DER entitlements
//! (`0xfade7172`) are read by [`super::der_entitlements`].

/// SuperBlob magic (`CSMAGIC_EMBEDDED_SIGNATURE`).
pub const SUPERBLOB_MAGIC: u32 = 0xfade_0cc0;
/// Entitlements blob magic (`CSMAGIC_EMBEDDED_ENTITLEMENTS`).
pub const ENTITLEMENTS_MAGIC: u32 = 0xfade_7171;
const MAX_BLOBS: u32 = 1024;

/// A malformed code signature.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    /// Not a SuperBlob.
    #[error("not an embedded signature (magic {0:#010x})")]
    Magic(u32),
    /// A length or offset points outside the signature.
    #[error("{0} lies outside the signature")]
    OutOfBounds(&'static str),
    /// Too many blobs.
    #[error("implausible blob count {0}")]
    Count(u32),
    /// The entitlements are not a plist dictionary.
    #[error("entitlements are not a property-list dictionary: {0}")]
    Plist(String),
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_be_bytes)
}

/// What a code signature says.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Signature {
    /// The XML entitlements blob (`0xfade7171`), if any.
    pub entitlements: Option<plist::Dictionary>,
    /// The DER entitlements blob (`0xfade7172`): `None` when absent, `Some(Err)` when it does not
    /// parse (reported as a finding, not as unreadable input).
    pub der_entitlements: Option<Result<plist::Dictionary, String>>,
    /// The CodeDirectory's identifier (`com.example.phone`).
    pub identifier: Option<String>,
    /// The CodeDirectory's team identifier (CodeDirectory version 0x20200 and later).
    pub team_id: Option<String>,
    /// The CMS signature blob (`0xfade0b01`).
    pub cms: Cms,
}

/// The CMS blob of a code signature.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Cms {
    /// No CMS blob.
    #[default]
    Absent,
    /// An empty blob: an ad hoc signature, no certificate.
    AdHoc,
    /// The certificate that signed (DER), when the CMS names it.
    Signed(Vec<u8>),
    /// A CMS blob voipctl could not read (why).
    Unreadable(String),
}

/// `CSMAGIC_CODEDIRECTORY`.
pub const CODEDIRECTORY_MAGIC: u32 = 0xfade_0c02;
/// `CSMAGIC_EMBEDDED_DER_ENTITLEMENTS`.
pub const DER_ENTITLEMENTS_MAGIC: u32 = 0xfade_7172;
/// `CSMAGIC_BLOBWRAPPER` (the CMS signature).
pub const BLOBWRAPPER_MAGIC: u32 = 0xfade_0b01;
/// Slot of the CMS signature.
const SLOT_SIGNATURE: u32 = 0x10000;

/// The entitlements dictionary inside a code signature, if it has one.
pub fn entitlements(sig: &[u8]) -> Result<Option<plist::Dictionary>, SignatureError> {
    parse(sig).map(|s| s.entitlements)
}

/// A NUL-terminated string at `off` inside `b`.
fn c_string(b: &[u8], off: usize) -> Option<String> {
    let raw = b.get(off..)?;
    let end = memchr::memchr(0, raw)?;
    std::str::from_utf8(&raw[..end]).ok().map(str::to_string)
}

/// Parse a SuperBlob: entitlements (XML and DER), the first CodeDirectory's identifier and team,
/// and the signing certificate.
pub fn parse(sig: &[u8]) -> Result<Signature, SignatureError> {
    let magic = be32(sig, 0).ok_or(SignatureError::OutOfBounds("the SuperBlob header"))?;
    if magic != SUPERBLOB_MAGIC {
        return Err(SignatureError::Magic(magic));
    }
    let length = be32(sig, 4).ok_or(SignatureError::OutOfBounds("the SuperBlob header"))? as usize;
    let count = be32(sig, 8).ok_or(SignatureError::OutOfBounds("the SuperBlob header"))?;
    if length > sig.len() || length < 12 {
        return Err(SignatureError::OutOfBounds("the SuperBlob length"));
    }
    if count > MAX_BLOBS {
        return Err(SignatureError::Count(count));
    }
    let sig = &sig[..length];
    let mut out = Signature::default();
    let mut seen_cd = false;
    for i in 0..count as usize {
        let at = 12 + i * 8;
        let slot = be32(sig, at).ok_or(SignatureError::OutOfBounds("the blob index"))?;
        let off = be32(sig, at + 4).ok_or(SignatureError::OutOfBounds("the blob index"))? as usize;
        let Some(bmagic) = be32(sig, off) else {
            return Err(SignatureError::OutOfBounds("a blob"));
        };
        let blen = be32(sig, off + 4).ok_or(SignatureError::OutOfBounds("a blob"))? as usize;
        let end = off
            .checked_add(blen)
            .ok_or(SignatureError::OutOfBounds("a blob"))?;
        if blen < 8 || end > sig.len() {
            return Err(SignatureError::OutOfBounds(blob_name(bmagic)));
        }
        let blob = &sig[off..end];
        let body = &blob[8..];
        match bmagic {
            ENTITLEMENTS_MAGIC if out.entitlements.is_none() => {
                out.entitlements = Some(
                    super::plist_dict(body).map_err(|e| SignatureError::Plist(e.to_string()))?,
                );
            }
            DER_ENTITLEMENTS_MAGIC if out.der_entitlements.is_none() => {
                out.der_entitlements =
                    Some(super::der_entitlements::parse(body).map_err(|e| e.to_string()));
            }
            CODEDIRECTORY_MAGIC if !seen_cd => {
                seen_cd = true;
                code_directory(blob, &mut out)?;
            }
            BLOBWRAPPER_MAGIC if slot == SLOT_SIGNATURE => {
                out.cms = if body.is_empty() {
                    Cms::AdHoc
                } else {
                    match signer_certificate(body) {
                        Ok(c) => Cms::Signed(c),
                        Err(e) => Cms::Unreadable(e),
                    }
                };
            }
            _ => {}
        }
    }
    Ok(out)
}

fn blob_name(magic: u32) -> &'static str {
    match magic {
        ENTITLEMENTS_MAGIC => "the entitlements blob",
        DER_ENTITLEMENTS_MAGIC => "the DER entitlements blob",
        CODEDIRECTORY_MAGIC => "the code directory",
        BLOBWRAPPER_MAGIC => "the CMS signature",
        _ => "a blob",
    }
}

/// Identifier and team of a CodeDirectory (`cs_blobs.h`: version at 8, identOffset at 20,
/// teamOffset at 48 from version 0x20200).
fn code_directory(cd: &[u8], out: &mut Signature) -> Result<(), SignatureError> {
    let version = be32(cd, 8).ok_or(SignatureError::OutOfBounds("the code directory"))?;
    if let Some(ident) = be32(cd, 20).filter(|&o| o != 0) {
        out.identifier = Some(
            c_string(cd, ident as usize)
                .ok_or(SignatureError::OutOfBounds("the code directory identifier"))?,
        );
    }
    if version >= 0x20200 {
        let team = be32(cd, 48).ok_or(SignatureError::OutOfBounds("the code directory"))?;
        if team != 0 {
            out.team_id = Some(
                c_string(cd, team as usize)
                    .ok_or(SignatureError::OutOfBounds("the code directory team"))?,
            );
        }
    }
    Ok(())
}

/// The DER of the certificate that signed the CMS (the first signer's, by issuer and serial
/// number); the only certificate when the CMS does not say.
fn signer_certificate(cms_der: &[u8]) -> Result<Vec<u8>, String> {
    use cms::cert::CertificateChoices;
    use cms::content_info::ContentInfo;
    use cms::signed_data::{SignedData, SignerIdentifier};
    use der::{Decode, Encode};
    let ci = ContentInfo::from_der(cms_der).map_err(|e| e.to_string())?;
    let sd: SignedData = ci.content.decode_as().map_err(|e| e.to_string())?;
    let certs: Vec<_> = sd
        .certificates
        .map(|c| {
            c.0.into_vec()
                .into_iter()
                .filter_map(|c| match c {
                    CertificateChoices::Certificate(c) => Some(c),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let signer = sd.signer_infos.0.iter().next().map(|s| s.sid.clone());
    let found = match signer {
        Some(SignerIdentifier::IssuerAndSerialNumber(ias)) => certs.iter().find(|c| {
            c.tbs_certificate.serial_number == ias.serial_number
                && c.tbs_certificate.issuer == ias.issuer
        }),
        _ if certs.len() == 1 => certs.first(),
        _ => None,
    };
    found
        .ok_or_else(|| "the CMS does not include the signing certificate".to_string())?
        .to_der()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_past_the_end_is_an_error() {
        let mut b = Vec::new();
        b.extend_from_slice(&SUPERBLOB_MAGIC.to_be_bytes());
        b.extend_from_slice(&20u32.to_be_bytes());
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&5u32.to_be_bytes());
        b.extend_from_slice(&9999u32.to_be_bytes());
        assert_eq!(entitlements(&b), Err(SignatureError::OutOfBounds("a blob")));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = parse(&b);
        }

        #[test]
        fn mutated_signature_never_panics(
            patch in proptest::collection::vec((0usize..64, proptest::num::u8::ANY), 0..6),
        ) {
            let xml = b"<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>a</key><true/></dict></plist>";
            let mut b = Vec::new();
            b.extend_from_slice(&SUPERBLOB_MAGIC.to_be_bytes());
            b.extend_from_slice(&((20 + 8 + xml.len()) as u32).to_be_bytes());
            b.extend_from_slice(&1u32.to_be_bytes());
            b.extend_from_slice(&5u32.to_be_bytes());
            b.extend_from_slice(&20u32.to_be_bytes());
            b.extend_from_slice(&ENTITLEMENTS_MAGIC.to_be_bytes());
            b.extend_from_slice(&((8 + xml.len()) as u32).to_be_bytes());
            b.extend_from_slice(xml);
            for (i, v) in patch {
                if let Some(x) = b.get_mut(i) { *x = v; }
            }
            let _ = parse(&b);
        }
    }
}
