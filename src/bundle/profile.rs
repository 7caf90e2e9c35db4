//! `embedded.mobileprovision`: a CMS SignedData (RFC 5652) whose encapsulated content is an XML
//! property list. voipctl reads the plist; it does not verify Apple's signature (the device and
//! App Store Connect do that), so a profile is trusted only as far as what it says about itself.

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::Decode;
use der::asn1::OctetString;
use der::oid::ObjectIdentifier;
use std::time::SystemTime;

/// `id-signedData` (RFC 5652).
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");

/// Largest profile accepted (real ones: 10–30 kB; thousands of devices: under 1 MB).
pub const MAX_PROFILE: u64 = 4 << 20;

/// A malformed profile.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// Not CMS, and no plist inside.
    #[error("not a CMS-signed provisioning profile: {0}")]
    Cms(String),
    /// The content is not a plist dictionary.
    #[error("the profile's content is not a property-list dictionary: {0}")]
    Plist(String),
}

/// How a profile distributes the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProfileKind {
    /// Listed devices, debugger allowed.
    Development,
    /// Listed devices, no debugger.
    Adhoc,
    /// Every device (`ProvisionsAllDevices`).
    Enterprise,
    /// No device list.
    Appstore,
}

impl ProfileKind {
    /// Lowercase name (`appstore`).
    pub fn name(self) -> &'static str {
        match self {
            ProfileKind::Development => "development",
            ProfileKind::Adhoc => "adhoc",
            ProfileKind::Enterprise => "enterprise",
            ProfileKind::Appstore => "appstore",
        }
    }
}

/// What a provisioning profile says.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// `Name`.
    pub name: Option<String>,
    /// `UUID`.
    pub uuid: Option<String>,
    /// `TeamIdentifier`.
    pub team_ids: Vec<String>,
    /// `ExpirationDate`.
    pub expires: Option<SystemTime>,
    /// `Entitlements`.
    pub entitlements: plist::Dictionary,
    /// Number of `ProvisionedDevices`, when present.
    pub devices: Option<usize>,
    /// `ProvisionsAllDevices`.
    pub all_devices: bool,
    /// `DeveloperCertificates`: the DER of each certificate allowed to sign with this profile.
    pub certificates: Vec<Vec<u8>>,
}

impl Profile {
    /// Development / ad hoc / enterprise / App Store, from the device list and `get-task-allow`.
    pub fn kind(&self) -> ProfileKind {
        let debug = matches!(
            self.entitlements.get("get-task-allow"),
            Some(plist::Value::Boolean(true))
        );
        if self.all_devices {
            ProfileKind::Enterprise
        } else if self.devices.is_some() {
            if debug {
                ProfileKind::Development
            } else {
                ProfileKind::Adhoc
            }
        } else {
            ProfileKind::Appstore
        }
    }

    /// From the plist dictionary inside the profile.
    pub fn from_dict(d: &plist::Dictionary) -> Self {
        let s = |k: &str| d.get(k).and_then(|v| v.as_string()).map(str::to_string);
        Profile {
            name: s("Name"),
            uuid: s("UUID"),
            team_ids: d
                .get("TeamIdentifier")
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_string().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            expires: d
                .get("ExpirationDate")
                .and_then(|v| v.as_date())
                .map(SystemTime::from),
            entitlements: d
                .get("Entitlements")
                .and_then(|v| v.as_dictionary())
                .cloned()
                .unwrap_or_default(),
            devices: d
                .get("ProvisionedDevices")
                .and_then(|v| v.as_array())
                .map(|a| a.len()),
            all_devices: matches!(
                d.get("ProvisionsAllDevices"),
                Some(plist::Value::Boolean(true))
            ),
            certificates: d
                .get("DeveloperCertificates")
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_data().map(<[u8]>::to_vec))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// The plist inside a CMS SignedData, or (for BER-encoded profiles that a strict DER decoder
/// refuses) the one XML plist found in the bytes.
pub fn content(bytes: &[u8]) -> Result<Vec<u8>, ProfileError> {
    match cms_content(bytes) {
        Ok(c) => Ok(c),
        Err(e) => {
            if bytes.first() == Some(&0x30)
                && let Some(start) = memchr::memmem::find(bytes, b"<?xml")
                && let Some(end) = memchr::memmem::rfind(bytes, b"</plist>")
                && end > start
            {
                return Ok(bytes[start..end + 8].to_vec());
            }
            Err(ProfileError::Cms(e))
        }
    }
}

fn cms_content(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let ci = ContentInfo::from_der(bytes).map_err(|e| e.to_string())?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(format!(
            "content type {} is not SignedData",
            ci.content_type
        ));
    }
    let sd: SignedData = ci.content.decode_as().map_err(|e| e.to_string())?;
    let any = sd
        .encap_content_info
        .econtent
        .ok_or_else(|| "the SignedData has no content".to_string())?;
    let os: OctetString = any.decode_as().map_err(|e| e.to_string())?;
    Ok(os.into_bytes())
}

/// Parse a provisioning profile.
pub fn parse(bytes: &[u8]) -> Result<Profile, ProfileError> {
    let inner = content(bytes)?;
    let d = super::plist_dict(&inner).map_err(|e| ProfileError::Plist(e.to_string()))?;
    Ok(Profile::from_dict(&d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error() {
        assert!(parse(b"nope").is_err());
        assert!(parse(&[0x30, 0x03, 0x02, 0x01, 0x00]).is_err());
    }

    #[test]
    fn ber_profiles_fall_back_to_the_embedded_plist() -> Result<(), ProfileError> {
        // Indefinite-length BER (0x30 0x80 …) as some signing tools write it.
        let mut b = vec![
            0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
        ];
        b.extend_from_slice(b"\xa0\x80<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>TeamIdentifier</key><array><string>T1</string></array><key>ProvisionsAllDevices</key><true/></dict></plist>\x00\x00");
        let p = parse(&b)?;
        assert_eq!(p.team_ids, ["T1"]);
        assert_eq!(p.kind(), ProfileKind::Enterprise);
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse(&b);
        }

        #[test]
        fn der_like_prefixes_never_panic(
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..128),
            len in proptest::num::u8::ANY,
        ) {
            let mut b = vec![0x30, 0x82, 0x01, len, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0];
            b.extend_from_slice(&tail);
            let _ = parse(&b);
        }
    }
}
