//! The XCFramework signature receipts of an exported `.ipa` (`Signatures/*.signature`).
//!
//! For an SDK on Apple's list of commonly used third-party SDKs that is used as a binary, App
//! Store Connect requires the vendor's signature on the `.xcframework` (ITMS-91065 "Missing
//! signature"). A built app no longer contains the `.xcframework`: the embedded framework is
//! re-signed with the app team's certificate, so its own signature says nothing about where it
//! came from. What Xcode (15 and later) keeps of the original signature is one receipt per
//! XCFramework the app links, written into the exported `.ipa` as
//! `Signatures/<name>.xcframework-<platform>.signature`: a property list whose keys are those of
//! Swift Build's `CodeSignatureInfo` (swiftlang/swift-build, `SWBUtil`): `signed`,
//! `isSecureTimestamp`, `signatureType` (`AppleDeveloperProgram` or `SelfSigned`),
//! `signatureIdentifier` (the team), `metadata` (`library`, e.g. `sqflite_darwin.framework`, and
//! `platform`), plus `cdhashes`, `certificates` and others this reader does not need. That ITMS-91065
//! reads these receipts (`signed = false` → "Missing signature") is what
//! github.com/blokadaorg/blokada/pull/1137 found in a rejected `.ipa` and
//! github.com/flet-dev/serious-python/pull/244 confirmed; bazelbuild/rules_apple writes the same
//! file for imported XCFrameworks (issue #2420).

/// Largest receipt accepted (real ones: the certificate chain, a few kilobytes).
pub const MAX_RECEIPT: u64 = 1 << 20;

/// What one receipt says.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Receipt {
    /// `signed`: the `.xcframework` carried a code signature when the app was built.
    pub signed: bool,
    /// `isSecureTimestamp`.
    pub secure_timestamp: bool,
    /// `metadata.library`: the framework (or static library) the receipt is about.
    pub library: Option<String>,
    /// `metadata.platform` (`ios`).
    pub platform: Option<String>,
    /// `signatureType`: `AppleDeveloperProgram` or `SelfSigned`.
    pub signature_type: Option<String>,
    /// `signatureIdentifier`: the team ID (or a certificate hash when self-signed).
    pub identifier: Option<String>,
}

/// A receipt that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// Not a property-list dictionary.
    #[error("the signature receipt {0}")]
    Plist(#[from] super::PlistError),
    /// No `signed` boolean, the one key every receipt has.
    #[error("the signature receipt has no `signed` boolean")]
    NoSigned,
}

/// Parse a receipt (XML or binary plist).
pub fn parse(bytes: &[u8]) -> Result<Receipt, ReceiptError> {
    let d = super::plist_dict(bytes)?;
    let string =
        |d: &plist::Dictionary, k: &str| d.get(k).and_then(|v| v.as_string()).map(str::to_string);
    let Some(signed) = d.get("signed").and_then(|v| v.as_boolean()) else {
        return Err(ReceiptError::NoSigned);
    };
    let meta = d.get("metadata").and_then(|v| v.as_dictionary());
    Ok(Receipt {
        signed,
        secure_timestamp: d
            .get("isSecureTimestamp")
            .and_then(|v| v.as_boolean())
            .unwrap_or(false),
        library: meta.and_then(|m| string(m, "library")),
        platform: meta.and_then(|m| string(m, "platform")),
        signature_type: string(&d, "signatureType"),
        identifier: string(&d, "signatureIdentifier"),
    })
}

/// One receipt file of a source.
#[derive(Debug, Clone, PartialEq)]
pub struct SdkSignature {
    /// Its path in the source (`Signatures/Lottie.xcframework-ios.signature`).
    pub path: String,
    /// The XCFramework's name from the file name (`Lottie`).
    pub xcframework: String,
    /// What it says, or why it could not be read.
    pub receipt: Result<Receipt, String>,
}

impl SdkSignature {
    /// A receipt read from `path` (its file name gives the XCFramework's name).
    pub fn read(path: &str, bytes: &[u8]) -> Self {
        let file = path.rsplit('/').next().unwrap_or(path);
        SdkSignature {
            path: path.to_string(),
            xcframework: xcframework_name(file).unwrap_or(file).to_string(),
            receipt: parse(bytes).map_err(|e| e.to_string()),
        }
    }

    /// Is this the receipt of the embedded framework `name` (`sqflite_darwin` for
    /// `Frameworks/sqflite_darwin.framework`)? By `metadata.library` when the receipt names one,
    /// else by the XCFramework's name.
    pub fn is_for(&self, name: &str) -> bool {
        match self
            .receipt
            .as_ref()
            .ok()
            .and_then(|r| r.library.as_deref())
        {
            Some(lib) => lib.strip_suffix(".framework") == Some(name),
            None => self.xcframework == name,
        }
    }
}

/// `Lottie.xcframework-ios.signature` → `Lottie`.
pub fn xcframework_name(file: &str) -> Option<&str> {
    let stem = file.strip_suffix(".signature")?;
    let (name, _platform) = stem.rsplit_once(".xcframework-")?;
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The receipt blokadaorg/blokada#1137 quotes from a rejected .ipa (as `plutil -p` printed
    /// it), written back as a plist.
    fn unsigned() -> plist::Dictionary {
        let mut meta = plist::Dictionary::new();
        meta.insert("library".into(), "sqflite_darwin.framework".into());
        meta.insert("platform".into(), "ios".into());
        let mut d = plist::Dictionary::new();
        d.insert("signed".into(), false.into());
        d.insert("isSecureTimestamp".into(), false.into());
        d.insert("metadata".into(), plist::Value::Dictionary(meta));
        d
    }

    fn bytes(d: &plist::Dictionary, binary: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let v = plist::Value::Dictionary(d.clone());
        let r = if binary {
            v.to_writer_binary(&mut out)
        } else {
            v.to_writer_xml(&mut out)
        };
        assert!(r.is_ok());
        out
    }

    #[test]
    fn receipts_parse() -> Result<(), ReceiptError> {
        let r = parse(&bytes(&unsigned(), true))?;
        assert!(!r.signed);
        assert_eq!(r.library.as_deref(), Some("sqflite_darwin.framework"));
        assert_eq!(r.platform.as_deref(), Some("ios"));
        let mut d = unsigned();
        d.insert("signed".into(), true.into());
        d.insert("signatureType".into(), "AppleDeveloperProgram".into());
        d.insert("signatureIdentifier".into(), "ABCDE12345".into());
        let r = parse(&bytes(&d, false))?;
        assert!(r.signed);
        assert_eq!(r.identifier.as_deref(), Some("ABCDE12345"));
        d.remove("signed");
        assert!(matches!(
            parse(&bytes(&d, false)),
            Err(ReceiptError::NoSigned)
        ));
        assert!(parse(b"<plist><array/></plist>").is_err());
        Ok(())
    }

    #[test]
    fn receipts_name_their_framework() {
        assert_eq!(
            xcframework_name("Lottie.xcframework-ios.signature"),
            Some("Lottie")
        );
        assert_eq!(
            xcframework_name("a.b.xcframework-watchos.signature"),
            Some("a.b")
        );
        assert_eq!(xcframework_name(".xcframework-ios.signature"), None);
        assert_eq!(xcframework_name("Lottie.signature"), None);
        let s = SdkSignature::read(
            "Signatures/sqflite.xcframework-ios.signature",
            &bytes(&unsigned(), true),
        );
        assert_eq!(s.xcframework, "sqflite");
        assert!(s.is_for("sqflite_darwin"));
        assert!(!s.is_for("sqflite"));
        let bad = SdkSignature::read("Signatures/X.xcframework-ios.signature", b"junk");
        assert!(bad.receipt.is_err());
        assert!(bad.is_for("X"));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse(&b);
        }

        #[test]
        fn mutated_receipts_never_panic(
            patch in proptest::collection::vec((0usize..400, proptest::num::u8::ANY), 1..8),
            binary in proptest::bool::ANY,
        ) {
            let mut b = bytes(&unsigned(), binary);
            for (i, v) in patch {
                let n = b.len();
                if let Some(x) = b.get_mut(i % n) { *x = v; }
            }
            let _ = parse(&b);
        }

        #[test]
        fn any_receipt_reads_back(
            signed in proptest::bool::ANY,
            library in "[A-Za-z_]{0,12}",
            file in "[A-Za-z_.-]{0,20}",
        ) {
            let mut d = unsigned();
            d.insert("signed".into(), signed.into());
            if let Some(plist::Value::Dictionary(m)) = d.get_mut("metadata") {
                m.insert("library".into(), format!("{library}.framework").into());
            }
            let s = SdkSignature::read(&format!("Signatures/{file}"), &bytes(&d, true));
            let r = s.receipt.clone().map_err(proptest::test_runner::TestCaseError::fail)?;
            proptest::prop_assert_eq!(r.signed, signed);
            proptest::prop_assert!(s.is_for(&library));
        }
    }
}
