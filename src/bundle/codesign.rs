//! The code signature (`LC_CODE_SIGNATURE` → SuperBlob) and the entitlements it carries.
//!
//! Layout (all big-endian): SuperBlob `{magic 0xfade0cc0, length, count, index[count] {type,
//! offset}}`; each blob starts with `{magic, length}`. The entitlements blob (magic 0xfade7171)
//! holds an XML plist after its 8-byte header. Everything is bounds-checked: offsets come from
//! the file.

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

/// The entitlements dictionary inside a code signature, if it has one.
pub fn entitlements(sig: &[u8]) -> Result<Option<plist::Dictionary>, SignatureError> {
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
    for i in 0..count as usize {
        let at = 12 + i * 8;
        let off = be32(sig, at + 4).ok_or(SignatureError::OutOfBounds("the blob index"))? as usize;
        let Some(bmagic) = be32(sig, off) else {
            return Err(SignatureError::OutOfBounds("a blob"));
        };
        if bmagic != ENTITLEMENTS_MAGIC {
            continue;
        }
        let blen = be32(sig, off + 4).ok_or(SignatureError::OutOfBounds("a blob"))? as usize;
        let end = off
            .checked_add(blen)
            .ok_or(SignatureError::OutOfBounds("the entitlements blob"))?;
        if blen < 8 || end > sig.len() {
            return Err(SignatureError::OutOfBounds("the entitlements blob"));
        }
        let body = &sig[off + 8..end];
        return super::plist_dict(body)
            .map(Some)
            .map_err(|e| SignatureError::Plist(e.to_string()));
    }
    Ok(None)
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
            let _ = entitlements(&b);
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
            let _ = entitlements(&b);
        }
    }
}
