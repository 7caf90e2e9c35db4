//! Installed apps, from installation_proxy `Browse`. The attribute dictionaries come from the
//! phone: every field is optional and may have any type, so [`AppInfo::from_attributes`] reads
//! what it can and never fails.

use super::values::{dict_to_json, string};
use super::{Device, DeviceError, within};
use idevice::installation_proxy::InstallationProxyClient;
use serde::Serialize;

/// The installation_proxy service.
pub(crate) const SERVICE: &str = "com.apple.mobile.installation_proxy";

/// Attributes `voipctl apps` asks for (the Info.plist keys and installation extras it shows).
pub(crate) const LIST_ATTRIBUTES: &[&str] = &[
    "CFBundleIdentifier",
    "CFBundleDisplayName",
    "CFBundleName",
    "CFBundleShortVersionString",
    "CFBundleVersion",
    "CFBundleExecutable",
    "MinimumOSVersion",
    "UIBackgroundModes",
    "Entitlements",
    "Path",
    "SignerIdentity",
    "ApplicationType",
];

/// What `apps` shows about one installed app.
#[derive(Debug, Clone, Default, Serialize, PartialEq, schemars::JsonSchema)]
pub struct AppInfo {
    /// CFBundleIdentifier.
    pub bundle_id: String,
    /// CFBundleDisplayName, else CFBundleName.
    pub name: Option<String>,
    /// CFBundleShortVersionString.
    pub version: Option<String>,
    /// CFBundleVersion.
    pub build: Option<String>,
    /// UIBackgroundModes.
    pub background_modes: Vec<String>,
    /// `voip` is among the background modes (the app can use PushKit VoIP pushes or a VoIP socket).
    pub voip: bool,
    /// The app's code-signing entitlements as installed.
    pub entitlements: serde_json::Map<String, serde_json::Value>,
    /// Path of the .app on the phone.
    pub path: Option<String>,
    /// Signing identity (e.g. "Apple Development: …", "Apple iPhone OS Application Signing").
    pub signer: Option<String>,
    /// User, System…
    pub app_type: Option<String>,
}

impl AppInfo {
    /// Read an installation_proxy attribute dictionary.
    pub fn from_attributes(d: &plist::Dictionary) -> Self {
        let s = |k: &str| string(d, k).map(str::to_string);
        let background_modes: Vec<String> = d
            .get("UIBackgroundModes")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|m| m.as_string().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        AppInfo {
            bundle_id: s("CFBundleIdentifier").unwrap_or_default(),
            name: s("CFBundleDisplayName").or_else(|| s("CFBundleName")),
            version: s("CFBundleShortVersionString"),
            build: s("CFBundleVersion"),
            voip: background_modes.iter().any(|m| m == "voip"),
            background_modes,
            entitlements: d
                .get("Entitlements")
                .and_then(|v| v.as_dictionary())
                .map(dict_to_json)
                .unwrap_or_default(),
            path: s("Path"),
            signer: s("SignerIdentity"),
            app_type: s("ApplicationType"),
        }
    }
}

/// Which apps to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppKind {
    /// Apps the user installed (App Store, TestFlight, Xcode).
    User,
    /// Apple's apps.
    System,
    /// Both.
    Any,
}

impl AppKind {
    fn wire(self) -> &'static str {
        match self {
            AppKind::User => "User",
            AppKind::System => "System",
            AppKind::Any => "Any",
        }
    }
}

impl Device {
    /// Browse installed apps. `attributes` None returns every attribute (the whole Info.plist
    /// plus `Entitlements`, `Path`, `SignerIdentity`…); `bundle_ids` restricts the list.
    pub async fn browse_apps(
        &self,
        kind: AppKind,
        attributes: Option<&[&str]>,
        bundle_ids: Option<&[String]>,
    ) -> Result<Vec<plist::Dictionary>, DeviceError> {
        let mut client: InstallationProxyClient = self.service(SERVICE).await?;
        let what = format!("list the apps installed on {}", self.udid);
        let mut opts = plist::Dictionary::new();
        opts.insert("ApplicationType".into(), kind.wire().into());
        if let Some(attrs) = attributes {
            opts.insert(
                "ReturnAttributes".into(),
                plist::Value::Array(attrs.iter().map(|a| (*a).into()).collect()),
            );
        }
        if let Some(ids) = bundle_ids {
            opts.insert(
                "BundleIDs".into(),
                plist::Value::Array(ids.iter().map(|a| a.clone().into()).collect()),
            );
        }
        let values = within(self.timeout, &what, async {
            client
                .browse(Some(plist::Value::Dictionary(opts)))
                .await
                .map_err(self.err(&what))
        })
        .await?;
        Ok(values
            .into_iter()
            .filter_map(|v| v.into_dictionary())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_a_voip_app() {
        let mut d = plist::Dictionary::new();
        d.insert("CFBundleIdentifier".into(), "com.example.call".into());
        d.insert("CFBundleName".into(), "Call".into());
        d.insert(
            "UIBackgroundModes".into(),
            plist::Value::Array(vec!["audio".into(), "voip".into(), 3.into()]),
        );
        let mut ent = plist::Dictionary::new();
        ent.insert("aps-environment".into(), "production".into());
        d.insert("Entitlements".into(), plist::Value::Dictionary(ent));
        let a = AppInfo::from_attributes(&d);
        assert_eq!(a.bundle_id, "com.example.call");
        assert_eq!(a.name.as_deref(), Some("Call"));
        assert!(a.voip);
        assert_eq!(a.background_modes, ["audio", "voip"]);
        assert_eq!(a.entitlements["aps-environment"], "production");
    }

    proptest! {
        #[test]
        fn any_attributes_are_read_without_panicking(
            keys in proptest::collection::vec(
                prop_oneof![
                    Just("CFBundleIdentifier"), Just("UIBackgroundModes"), Just("Entitlements"),
                    Just("CFBundleName"), Just("Path"), Just("x")
                ], 0..6),
            vals in proptest::collection::vec(
                prop_oneof![
                    any::<bool>().prop_map(plist::Value::Boolean),
                    ".{0,8}".prop_map(plist::Value::String),
                    proptest::collection::vec(".{0,4}".prop_map(plist::Value::String), 0..3)
                        .prop_map(plist::Value::Array),
                    Just(plist::Value::Dictionary(plist::Dictionary::new())),
                ], 6)
        ) {
            let d: plist::Dictionary =
                keys.iter().zip(vals).map(|(k, v)| (k.to_string(), v)).collect();
            let _ = AppInfo::from_attributes(&d);
        }
    }
}
