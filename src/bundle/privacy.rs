//! Privacy manifests (`PrivacyInfo.xcprivacy`) and the required-reason APIs.
//!
//! Since 1 May 2024 App Store Connect refuses uploads whose code uses a "required reason" API
//! without declaring a reason for its category in a privacy manifest (ITMS-91053, "Missing API
//! declaration"). The categories and the APIs in each come from Apple's "Describing use of
//! required reason API"
//! (<https://developer.apple.com/documentation/bundleresources/describing-use-of-required-reason-api>);
//! [`REQUIRED_REASON`] keeps to those categories and the symbols those APIs leave in a compiled
//! binary (C functions as `_name`, Foundation constants as `_NSName`, Objective-C selectors and
//! classes as they appear in the selector and symbol tables).

/// One required-reason API category and the binary symbols that mean its use.
#[derive(Debug)]
pub struct Category {
    /// `NSPrivacyAccessedAPICategoryFileTimestamp`.
    pub name: &'static str,
    /// Symbols as they occur in a Mach-O (each NUL-terminated there, preceded by a NUL).
    pub symbols: &'static [&'static str],
}

/// The documented categories. `getattrlist`-family functions are listed by Apple under both file
/// timestamps and disk space; a binary that uses them is satisfied by either declaration.
pub const REQUIRED_REASON: &[Category] = &[
    Category {
        name: "NSPrivacyAccessedAPICategoryFileTimestamp",
        // creationDate / modificationDate (FileAttributeKey → NSFileCreationDate,
        // NSFileModificationDate), fileModificationDate, contentModificationDateKey /
        // creationDateKey (NSURL…Key), getattrlist, getattrlistbulk, fgetattrlist, stat, fstat,
        // fstatat, lstat, getattrlistat.
        symbols: &[
            "_NSFileCreationDate",
            "_NSFileModificationDate",
            "fileModificationDate",
            "_NSURLContentModificationDateKey",
            "_NSURLCreationDateKey",
            "_getattrlist",
            "_getattrlistbulk",
            "_fgetattrlist",
            "_stat",
            "_fstat",
            "_fstatat",
            "_lstat",
            "_getattrlistat",
        ],
    },
    Category {
        name: "NSPrivacyAccessedAPICategorySystemBootTime",
        // systemUptime, mach_absolute_time().
        symbols: &["systemUptime", "_mach_absolute_time"],
    },
    Category {
        name: "NSPrivacyAccessedAPICategoryDiskSpace",
        // volumeAvailableCapacityKey, volumeAvailableCapacityForImportantUsageKey,
        // volumeAvailableCapacityForOpportunisticUsageKey, volumeTotalCapacityKey,
        // systemFreeSize, systemSize (NSFileSystem…), statfs, statvfs, fstatfs, fstatvfs,
        // getattrlist, fgetattrlist, getattrlistat.
        symbols: &[
            "_NSURLVolumeAvailableCapacityKey",
            "_NSURLVolumeAvailableCapacityForImportantUsageKey",
            "_NSURLVolumeAvailableCapacityForOpportunisticUsageKey",
            "_NSURLVolumeTotalCapacityKey",
            "_NSFileSystemFreeSize",
            "_NSFileSystemSize",
            "_statfs",
            "_statvfs",
            "_fstatfs",
            "_fstatvfs",
            "_getattrlist",
            "_fgetattrlist",
            "_getattrlistat",
        ],
    },
    Category {
        name: "NSPrivacyAccessedAPICategoryActiveKeyboards",
        // activeInputModes.
        symbols: &["activeInputModes"],
    },
    Category {
        name: "NSPrivacyAccessedAPICategoryUserDefaults",
        // UserDefaults / NSUserDefaults (the class reference).
        symbols: &["_OBJC_CLASS_$_NSUserDefaults"],
    },
];

/// Every symbol of [`REQUIRED_REASON`], once.
pub fn symbols() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = REQUIRED_REASON
        .iter()
        .flat_map(|c| c.symbols.iter().copied())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The categories whose symbols `used` contains, each with the symbols that matched.
pub fn categories_used<'a>(
    used: impl Fn(&str) -> bool + 'a,
) -> Vec<(&'static str, Vec<&'static str>)> {
    REQUIRED_REASON
        .iter()
        .filter_map(|c| {
            let hits: Vec<&'static str> = c.symbols.iter().copied().filter(|s| used(s)).collect();
            (!hits.is_empty()).then_some((c.name, hits))
        })
        .collect()
}

/// Largest privacy manifest accepted (real ones: a few kilobytes).
pub const MAX_MANIFEST: u64 = 1 << 20;

/// What a privacy manifest declares.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Manifest {
    /// `NSPrivacyAccessedAPITypes`: category → reasons.
    pub accessed: Vec<(String, Vec<String>)>,
    /// `NSPrivacyTracking`.
    pub tracking: Option<bool>,
    /// What is wrong with it (App Store Connect rejects invalid manifests: ITMS-91056).
    pub problems: Vec<String>,
}

impl Manifest {
    /// Declares `category` with at least one reason.
    pub fn declares(&self, category: &str) -> bool {
        self.accessed
            .iter()
            .any(|(c, r)| c == category && !r.is_empty())
    }
    /// A manifest that could not be read at all.
    pub fn unreadable(why: String) -> Self {
        Manifest {
            problems: vec![why],
            ..Manifest::default()
        }
    }
}

/// A privacy manifest that is not a property-list dictionary.
#[derive(Debug, thiserror::Error)]
#[error("PrivacyInfo.xcprivacy {0}")]
pub struct ManifestError(#[from] super::PlistError);

/// Reason codes look like `C617.1`: four letters or digits, a dot, a number.
fn reason_ok(r: &str) -> bool {
    let Some((a, b)) = r.split_once('.') else {
        return false;
    };
    a.len() == 4
        && a.bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && !b.is_empty()
        && b.bytes().all(|c| c.is_ascii_digit())
}

/// Parse a privacy manifest (XML or binary plist). Structural problems (wrong types, an unknown
/// category, a category without reasons, a malformed reason code) are collected in
/// [`Manifest::problems`]; only bytes that are not a plist dictionary are an error.
pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
    let d = super::plist_dict(bytes)?;
    let mut m = Manifest::default();
    match d.get("NSPrivacyTracking") {
        None => {}
        Some(plist::Value::Boolean(b)) => m.tracking = Some(*b),
        Some(_) => m.problems.push("NSPrivacyTracking is not a boolean".into()),
    }
    match d.get("NSPrivacyAccessedAPITypes") {
        None => {}
        Some(plist::Value::Array(a)) => {
            for (i, item) in a.iter().enumerate() {
                let Some(e) = item.as_dictionary() else {
                    m.problems.push(format!(
                        "NSPrivacyAccessedAPITypes[{i}] is not a dictionary"
                    ));
                    continue;
                };
                let Some(cat) = e
                    .get("NSPrivacyAccessedAPIType")
                    .and_then(|v| v.as_string())
                else {
                    m.problems.push(format!(
                        "NSPrivacyAccessedAPITypes[{i}] has no NSPrivacyAccessedAPIType string"
                    ));
                    continue;
                };
                if !REQUIRED_REASON.iter().any(|c| c.name == cat) {
                    m.problems.push(format!(
                        "NSPrivacyAccessedAPITypes[{i}]: {cat:?} is not a required-reason API category"
                    ));
                }
                let mut reasons = Vec::new();
                match e.get("NSPrivacyAccessedAPITypeReasons") {
                    Some(plist::Value::Array(rs)) => {
                        for r in rs {
                            match r.as_string() {
                                Some(r) if reason_ok(r) => reasons.push(r.to_string()),
                                Some(r) => m.problems.push(format!(
                                    "{cat}: {r:?} is not a reason code (like C617.1)"
                                )),
                                None => m
                                    .problems
                                    .push(format!("{cat}: a reason that is not a string")),
                            }
                        }
                        if rs.is_empty() {
                            m.problems
                                .push(format!("{cat} is declared without a reason"));
                        }
                    }
                    _ => m.problems.push(format!(
                        "{cat} has no NSPrivacyAccessedAPITypeReasons array"
                    )),
                }
                m.accessed.push((cat.to_string(), reasons));
            }
        }
        Some(_) => m
            .problems
            .push("NSPrivacyAccessedAPITypes is not an array".into()),
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>NSPrivacyAccessedAPITypes</key><array>
<dict><key>NSPrivacyAccessedAPIType</key><string>NSPrivacyAccessedAPICategoryFileTimestamp</string>
<key>NSPrivacyAccessedAPITypeReasons</key><array><string>C617.1</string></array></dict>
<dict><key>NSPrivacyAccessedAPIType</key><string>NSPrivacyAccessedAPICategoryUserDefaults</string>
<key>NSPrivacyAccessedAPITypeReasons</key><array/></dict>
<dict><key>NSPrivacyAccessedAPIType</key><string>NSPrivacyAccessedAPICategoryTelepathy</string>
<key>NSPrivacyAccessedAPITypeReasons</key><array><string>nope</string></array></dict>
</array>
<key>NSPrivacyTracking</key><false/>
</dict></plist>"#;

    #[test]
    fn declarations_and_problems() -> Result<(), ManifestError> {
        let m = parse(SAMPLE.as_bytes())?;
        assert!(m.declares("NSPrivacyAccessedAPICategoryFileTimestamp"));
        assert!(!m.declares("NSPrivacyAccessedAPICategoryUserDefaults"));
        assert_eq!(m.tracking, Some(false));
        assert_eq!(m.problems.len(), 3, "{:?}", m.problems);
        assert!(parse(b"<plist><array/></plist>").is_err());
        Ok(())
    }

    #[test]
    fn symbol_table_is_consistent() {
        assert_eq!(REQUIRED_REASON.len(), 5);
        let used = categories_used(|s| s == "_getattrlist");
        assert_eq!(used.len(), 2);
        assert!(symbols().iter().all(|s| !s.is_empty() && !s.contains('\0')));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse(&b);
        }

        #[test]
        fn mutated_manifests_never_panic(
            patch in proptest::collection::vec((0usize..900, proptest::num::u8::ANY), 1..8),
        ) {
            let mut b = SAMPLE.as_bytes().to_vec();
            for (i, v) in patch {
                let n = b.len();
                if let Some(x) = b.get_mut(i % n) { *x = v; }
            }
            let _ = parse(&b);
        }

        #[test]
        fn any_structure_parses_or_reports(
            cats in proptest::collection::vec(("[A-Za-z]{0,12}", proptest::collection::vec("[A-Z0-9.]{0,7}", 0..3)), 0..5),
        ) {
            let mut arr = Vec::new();
            for (c, rs) in &cats {
                let mut e = plist::Dictionary::new();
                e.insert("NSPrivacyAccessedAPIType".into(), plist::Value::String(c.clone()));
                e.insert("NSPrivacyAccessedAPITypeReasons".into(), plist::Value::Array(rs.iter().map(|r| plist::Value::String(r.clone())).collect()));
                arr.push(plist::Value::Dictionary(e));
            }
            let mut d = plist::Dictionary::new();
            d.insert("NSPrivacyAccessedAPITypes".into(), plist::Value::Array(arr));
            let mut bin = Vec::new();
            plist::Value::Dictionary(d).to_writer_binary(&mut bin).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            let m = parse(&bin).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            proptest::prop_assert_eq!(m.accessed.len(), cats.len());
            // Every category is either a known one or reported.
            for (c, _) in &cats {
                let known = REQUIRED_REASON.iter().any(|k| k.name == c);
                proptest::prop_assert!(known || m.problems.iter().any(|p| p.contains(c.as_str())));
            }
        }
    }
}
