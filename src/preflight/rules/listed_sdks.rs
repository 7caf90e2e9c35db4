//! Apple's list of commonly used third-party SDKs, which must ship a privacy manifest
//! (ITMS-91061) and, when used as a binary, a signature (ITMS-91065).
//!
//! Source: "SDKs that require a privacy manifest and signature" on
//! <https://developer.apple.com/support/third-party-SDK-requirements> (the page App Store
//! Connect's ITMS-91061/91065 mails link to), read through the search tool on 2026-12-02: the
//! English page and its Chinese and Japanese translations list the names from Abseil to
//! GTMSessionFetcher; the rest of the list (hermes to webview_flutter_wkwebview) is as two
//! public repositories quote the same page, in the same order, and agree with each other. "The
//! requirement applies to any version of a listed SDK, and to SDKs that repackage those on the
//! list."

/// The list, as Apple writes the names (one entry names two: "BoringSSL / openssl_grpc").
pub(super) const LISTED: &[&str] = &[
    "Abseil",
    "AFNetworking",
    "Alamofire",
    "AppAuth",
    "BoringSSL / openssl_grpc",
    "Capacitor",
    "Charts",
    "connectivity_plus",
    "Cordova",
    "device_info_plus",
    "DKImagePickerController",
    "DKPhotoGallery",
    "FBAEMKit",
    "FBLPromises",
    "FBSDKCoreKit",
    "FBSDKCoreKit_Basics",
    "FBSDKLoginKit",
    "FBSDKShareKit",
    "file_picker",
    "FirebaseABTesting",
    "FirebaseAuth",
    "FirebaseCore",
    "FirebaseCoreDiagnostics",
    "FirebaseCoreExtension",
    "FirebaseCoreInternal",
    "FirebaseCrashlytics",
    "FirebaseDynamicLinks",
    "FirebaseFirestore",
    "FirebaseInstallations",
    "FirebaseMessaging",
    "FirebaseRemoteConfig",
    "Flutter",
    "flutter_inappwebview",
    "flutter_local_notifications",
    "fluttertoast",
    "FMDB",
    "geolocator_apple",
    "GoogleDataTransport",
    "GoogleSignIn",
    "GoogleToolboxForMac",
    "GoogleUtilities",
    "grpcpp",
    "GTMAppAuth",
    "GTMSessionFetcher",
    "hermes",
    "image_picker_ios",
    "IQKeyboardManager",
    "IQKeyboardManagerSwift",
    "Kingfisher",
    "leveldb",
    "Lottie",
    "MBProgressHUD",
    "nanopb",
    "OneSignal",
    "OneSignalCore",
    "OneSignalExtension",
    "OneSignalOutcomes",
    "OpenSSL",
    "OrderedSet",
    "package_info",
    "package_info_plus",
    "path_provider",
    "path_provider_ios",
    "Promises",
    "Protobuf",
    "Reachability",
    "RealmSwift",
    "RxCocoa",
    "RxRelay",
    "RxSwift",
    "SDWebImage",
    "share_plus",
    "shared_preferences_ios",
    "SnapKit",
    "sqflite",
    "Starscream",
    "SVProgressHUD",
    "SwiftyGif",
    "SwiftyJSON",
    "Toast",
    "UnityFramework",
    "url_launcher",
    "url_launcher_ios",
    "video_player_avfoundation",
    "wakelock",
    "webview_flutter_wkwebview",
];

/// Framework names App Store Connect was seen to report as a listed SDK under another name:
/// `Frameworks/sqflite_darwin.framework` "includes sqflite" (ITMS-91065 quoted in
/// github.com/blokadaorg/blokada/pull/1133).
const REPACKAGED: &[(&str, &str)] = &[("sqflite_darwin", "sqflite")];

/// The listed SDK an embedded framework is, by its bundle name, its executable's name or the last
/// part of its `CFBundleIdentifier` (`org.cocoapods.Alamofire`), compared without case.
pub(super) fn listed(f: &super::Framework) -> Option<&'static str> {
    let id_tail = f.bundle_id.as_deref().and_then(|id| id.rsplit('.').next());
    [Some(f.name.as_str()), Some(f.binary.as_str()), id_tail]
        .into_iter()
        .flatten()
        .find_map(lookup)
}

fn lookup(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return None;
    }
    if let Some((_, to)) = REPACKAGED
        .iter()
        .find(|(from, _)| from.eq_ignore_ascii_case(name))
    {
        return LISTED.iter().copied().find(|l| l == to);
    }
    LISTED
        .iter()
        .copied()
        .find(|l| l.split(" / ").any(|n| n.eq_ignore_ascii_case(name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::facts::{Framework, Part};

    fn fw(name: &str, binary: &str, id: Option<&str>) -> Framework {
        Framework {
            path: format!("Frameworks/{name}.framework"),
            name: name.into(),
            binary: binary.into(),
            bundle_id: id.map(str::to_string),
            executable: Part::Unknown,
            privacy: Part::Missing,
        }
    }

    #[test]
    fn the_list_is_apples() {
        assert_eq!(LISTED.len(), 86);
        assert!(
            LISTED
                .windows(2)
                .all(|w| w[0].to_lowercase() < w[1].to_lowercase())
        );
    }

    #[test]
    fn frameworks_are_matched_by_name_executable_or_identifier() {
        assert_eq!(
            listed(&fw("FirebaseCore", "FirebaseCore", None)),
            Some("FirebaseCore")
        );
        assert_eq!(listed(&fw("alamofire", "x", None)), Some("Alamofire"));
        assert_eq!(
            listed(&fw("Net", "Net", Some("org.cocoapods.Alamofire"))),
            Some("Alamofire")
        );
        assert_eq!(
            listed(&fw("openssl_grpc", "openssl_grpc", None)),
            Some("BoringSSL / openssl_grpc")
        );
        assert_eq!(
            listed(&fw("sqflite_darwin", "sqflite_darwin", None)),
            Some("sqflite")
        );
        assert_eq!(
            listed(&fw("VoipSDK", "VoipSDK", Some("com.vendor.VoipSDK"))),
            None
        );
        assert_eq!(listed(&fw("FirebaseCoreX", "FirebaseCoreX", None)), None);
        assert_eq!(listed(&fw("", "", Some(""))), None);
    }
}
