//! What the preflight rules look at, independent of where it came from. The facts live with the
//! bundle reader that extracts them; `preflight` consumes them (one way: the bundle layer never
//! imports the rules).
//!
//! A bundle on disk (`.ipa`, `.app`, `.xcarchive`, bare `Info.plist`) and an app installed on a
//! phone (installation_proxy: Info.plist keys plus the entitlements, no executable, no profile)
//! both become an [`AppFacts`]. Each part a source may not have is a [`Part`]: a rule that needs
//! an [`Part::Unknown`] part reports "not checked" instead of passing or failing.

use super::codesign::Signature;
use super::macho::{BuildVersion, Dylib, MachoFacts};
use super::privacy::Manifest;
use super::profile::Profile;
use super::sdk_signature::SdkSignature;
use std::collections::BTreeSet;

/// A piece of evidence a source may or may not provide.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Part<T> {
    /// Present.
    Present(T),
    /// The source was searched and this is not there (a finding in itself).
    Missing,
    /// The source cannot tell (e.g. a phone does not hand out executables): rules that need it
    /// are "not checked".
    #[default]
    Unknown,
}

impl<T> Part<T> {
    /// The value, if present.
    pub fn get(&self) -> Option<&T> {
        match self {
            Part::Present(t) => Some(t),
            _ => None,
        }
    }
    /// `Part::Unknown`.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Part::Unknown)
    }
}

/// The app and its extensions.
#[derive(Debug, Clone, PartialEq)]
pub struct AppFacts {
    /// Where the facts came from, for people (`ipa`, `app`, `xcarchive`, `plist`, `macho`,
    /// `device`).
    pub source: String,
    /// The main app.
    pub app: Target,
    /// Nested bundles: app extensions (`PlugIns/*.appex`, `Extensions/*.appex`), Watch apps
    /// (`Watch/*.app`) and App Clips (`AppClips/*.app`), with their own extensions.
    pub extensions: Vec<Target>,
    /// The XCFramework signature receipts of an exported `.ipa` (`Signatures/*.signature`):
    /// `Missing` for an `.ipa` without any, `Unknown` for sources that cannot have them (an
    /// `.app`, a phone) or where they were not found (an `.xcarchive`).
    pub sdk_signatures: Part<Vec<SdkSignature>>,
}

impl AppFacts {
    /// Facts with only an Info.plist (and whatever else the caller fills in).
    pub fn from_info(source: &str, path: &str, info: plist::Dictionary) -> Self {
        AppFacts {
            source: source.to_string(),
            app: Target::new(path, info),
            extensions: Vec::new(),
            sdk_signatures: Part::Unknown,
        }
    }

    /// The app followed by its extensions.
    pub fn targets(&self) -> impl Iterator<Item = &Target> {
        std::iter::once(&self.app).chain(self.extensions.iter())
    }
}

/// One bundle: the app or an extension.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Path shown in findings (`Payload/Phone.app`, `Payload/Phone.app/PlugIns/Ext.appex`).
    pub path: String,
    /// Info.plist.
    pub info: plist::Dictionary,
    /// What the main executable says.
    pub executable: Part<Executable>,
    /// Entitlements (code signature, or installation_proxy's `Entitlements`).
    pub entitlements: Part<plist::Dictionary>,
    /// `embedded.mobileprovision`.
    pub profile: Part<Profile>,
    /// False when there is no Info.plist to look at (a bare executable): rules that read it are
    /// "not checked".
    pub info_known: bool,
    /// What kind of bundle this is.
    pub role: Role,
    /// Embedded frameworks and dylibs (`Frameworks/`); `Unknown` when the source cannot tell (a
    /// phone, a bare executable).
    pub frameworks: Part<Vec<Framework>>,
    /// `PrivacyInfo.xcprivacy`.
    pub privacy: Part<Manifest>,
}

/// What kind of bundle a [`Target`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// The main app.
    #[default]
    App,
    /// An app extension (`PlugIns/*.appex`, `Extensions/*.appex`).
    Extension,
    /// A Watch app (`Watch/*.app`).
    WatchApp,
    /// An App Clip (`AppClips/*.app`).
    AppClip,
}

/// An embedded framework (`Frameworks/X.framework`) or dylib (`Frameworks/libX.dylib`), or one
/// nested inside a framework (`Frameworks/X.framework/Frameworks/Y.framework`).
#[derive(Debug, Clone, PartialEq)]
pub struct Framework {
    /// Path shown in findings (`Payload/Phone.app/Frameworks/VoipSDK.framework`).
    pub path: String,
    /// `VoipSDK` (the bundle or file name without its extension).
    pub name: String,
    /// The executable's file name (`CFBundleExecutable`, else the bundle name; a dylib's own).
    pub binary: String,
    /// The framework's `CFBundleIdentifier` (none for a dylib).
    pub bundle_id: Option<String>,
    /// The framework's Mach-O.
    pub executable: Part<Executable>,
    /// Its `PrivacyInfo.xcprivacy` (`Missing` for a bare dylib).
    pub privacy: Part<Manifest>,
}

impl Target {
    /// A target with an Info.plist and nothing else known.
    pub fn new(path: &str, info: plist::Dictionary) -> Self {
        Target {
            path: path.to_string(),
            info,
            executable: Part::Unknown,
            entitlements: Part::Unknown,
            profile: Part::Unknown,
            info_known: true,
            role: Role::App,
            frameworks: Part::Unknown,
            privacy: Part::Unknown,
        }
    }

    /// The embedded frameworks (none when unknown).
    pub fn embedded(&self) -> &[Framework] {
        self.frameworks.get().map(Vec::as_slice).unwrap_or(&[])
    }

    /// The main executable and each framework's, with the path to name in findings.
    pub fn binaries(&self) -> impl Iterator<Item = (&str, &Executable)> {
        let app = self.executable.get().map(|e| (self.path.as_str(), e));
        app.into_iter().chain(
            self.embedded()
                .iter()
                .filter_map(|f| f.executable.get().map(|e| (f.path.as_str(), e))),
        )
    }

    /// An Info.plist string.
    pub fn info_str(&self, key: &str) -> Option<&str> {
        self.info.get(key).and_then(|v| v.as_string())
    }

    /// `CFBundleIdentifier`.
    pub fn bundle_id(&self) -> Option<&str> {
        self.info_str("CFBundleIdentifier")
    }

    /// `NSExtension.NSExtensionPointIdentifier`, for extensions.
    pub fn extension_point(&self) -> Option<&str> {
        self.info
            .get("NSExtension")
            .and_then(|v| v.as_dictionary())
            .and_then(|d| d.get("NSExtensionPointIdentifier"))
            .and_then(|v| v.as_string())
    }

    /// The `UIBackgroundModes` strings as written (non-strings skipped).
    pub fn background_modes(&self) -> Vec<&str> {
        self.info
            .get("UIBackgroundModes")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_string()).collect())
            .unwrap_or_default()
    }
}

/// What the main executable says (the arm64/arm64e slices of a fat file, or the thin file).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Executable {
    /// Architectures of every slice.
    pub archs: Vec<String>,
    /// Libraries linked by the slices considered.
    pub dylibs: Vec<Dylib>,
    /// Build version (highest SDK among the slices considered).
    pub build: Option<BuildVersion>,
    /// Marker strings found ([`crate::bundle::macho::MARKERS`]).
    pub markers: BTreeSet<String>,
    /// Every considered slice has a code signature.
    pub signed: bool,
    /// A considered slice is FairPlay-encrypted: its strings cannot be searched, so a marker not
    /// found proves nothing.
    pub encrypted: bool,
    /// The code signature of the first signed slice considered.
    pub signature: Option<Signature>,
}

/// Executable facts and the entitlements of its signature.
pub fn from_macho(m: MachoFacts) -> (Executable, Part<plist::Dictionary>) {
    let archs = m.slices.iter().map(|s| s.arch.clone()).collect();
    let arm: Vec<_> = m
        .slices
        .iter()
        .filter(|s| s.arch.starts_with("arm64"))
        .collect();
    let chosen: Vec<_> = if arm.is_empty() {
        m.slices.iter().collect()
    } else {
        arm
    };
    let mut dylibs: Vec<Dylib> = Vec::new();
    for s in &chosen {
        for d in &s.dylibs {
            if !dylibs.contains(d) {
                dylibs.push(d.clone());
            }
        }
    }
    let build = chosen.iter().filter_map(|s| s.build).max_by_key(|b| b.sdk);
    let signed = !chosen.is_empty() && chosen.iter().all(|s| s.signed);
    let encrypted = chosen.iter().any(|s| s.encrypted);
    let signature = chosen.iter().find_map(|s| s.signature.clone());
    // The XML blob, else the DER one (signers that write only DER, for iOS 15 and later).
    let ents = chosen
        .iter()
        .find_map(|s| s.entitlements.clone())
        .or_else(|| {
            chosen.iter().find_map(|s| {
                s.signature
                    .as_ref()
                    .and_then(|g| g.der_entitlements.clone())
                    .and_then(Result::ok)
            })
        });
    let ents = match (signed, ents) {
        (_, Some(e)) => Part::Present(e),
        (true, None) => Part::Present(plist::Dictionary::new()),
        (false, None) => Part::Missing,
    };
    (
        Executable {
            archs,
            dylibs,
            build,
            markers: m.markers,
            signed,
            encrypted,
            signature,
        },
        ents,
    )
}

impl Executable {
    /// Linked against the framework with this name (`PushKit`), and whether weakly.
    pub fn links(&self, framework: &str) -> Option<&Dylib> {
        let needle = format!("/{framework}.framework/");
        self.dylibs.iter().find(|d| d.path.contains(&needle))
    }
    /// The marker string occurs in the executable.
    pub fn mentions(&self, marker: &str) -> bool {
        self.markers.contains(marker)
    }
    /// Linked against any of these frameworks.
    pub fn links_any(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.links(n).is_some())
    }
}
