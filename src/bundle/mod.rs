//! Reading an app bundle from any source into [`AppFacts`], memory-bounded.
//!
//! Sources: an `.ipa` (zip), an `.app` (or `.appex`) directory, an `.xcarchive`, a bare
//! `Info.plist` (XML or binary) or a bare Mach-O executable. From a zip only the entries the rules
//! need are inflated — `Info.plist`, the main executable, `embedded.mobileprovision`,
//! `PrivacyInfo.xcprivacy`, each embedded framework's executable and manifest (frameworks nested
//! in frameworks too), the XCFramework signature receipts (`Signatures/*.signature`), the same
//! for every nested bundle (`PlugIns/*.appex`, `Extensions/*.appex`, `Watch/*.app`, `AppClips/*.app`) — and
//! nothing is written to disk. Each entry has a decompressed-size cap (zip bombs) and executables
//! are streamed through [`macho::Scanner`], never held whole. Symbolic links are never followed,
//! in archives or on disk.

pub mod codesign;
pub mod der_entitlements;
pub mod facts;
pub mod macho;
pub mod privacy;
pub mod profile;
pub mod sdk_signature;

use facts::{AppFacts, Framework, Part, Role, Target};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// Largest Info.plist accepted (real ones: a few kilobytes).
pub const MAX_PLIST: u64 = 8 << 20;
/// Largest executable inflated (streamed, so this bounds time, not memory).
pub const MAX_EXECUTABLE: u64 = 4 << 30;
/// Most entries in an archive's central directory.
pub const MAX_ENTRIES: usize = 1_000_000;
/// Most nested bundles (extensions, Watch apps, App Clips) looked at.
pub const MAX_EXTENSIONS: usize = 256;
/// Most embedded frameworks and dylibs looked at per bundle (nested ones included).
pub const MAX_FRAMEWORKS: usize = 1024;
/// How deep frameworks are looked for inside frameworks:
/// `Frameworks/A.framework/Frameworks/B.framework` is depth 2.
pub const MAX_FRAMEWORK_DEPTH: usize = 4;

/// Why a bundle could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The path does not exist or cannot be opened.
    #[error("open {}", .0.display())]
    Open(PathBuf, #[source] std::io::Error),
    /// Not a kind of path `check` knows.
    #[error(
        "{} is not an .ipa, .app, .xcarchive or Info.plist; pass one of those (see `voipctl check --help`)",
        .0.display()
    )]
    Unknown(PathBuf),
    /// The zip is corrupt or truncated.
    #[error("read the archive (corrupt or truncated zip?)")]
    Zip(#[source] zip::result::ZipError),
    /// An entry could not be inflated.
    #[error("read {0} from the archive (corrupt entry?)")]
    Entry(String, #[source] std::io::Error),
    /// A file could not be read.
    #[error("read {0}")]
    Read(String, #[source] std::io::Error),
    /// The zip has no `Payload/*.app`.
    #[error("the archive has no Payload/<name>.app folder; is it really an .ipa?")]
    NoPayload,
    /// The xcarchive has no app.
    #[error("{} has no Products/Applications/<name>.app; was the archive exported for an app target?", .0.display())]
    NoArchivedApp(PathBuf),
    /// A required file is missing.
    #[error("{0} is missing")]
    Missing(String),
    /// A file inflates to more than its cap.
    #[error("{0} is larger than {1} bytes when decompressed; refusing it (a zip bomb?)")]
    TooLarge(String, u64),
    /// Too many archive entries.
    #[error("the archive has more than {MAX_ENTRIES} entries; refusing it (a zip bomb?)")]
    TooManyEntries,
    /// A symbolic link where a file is expected.
    #[error("{0} is a symbolic link; voipctl does not follow links in bundles")]
    Symlink(String),
    /// A name that is not UTF-8.
    #[error("the archive entry name {0} is not UTF-8; iOS bundles need UTF-8 names")]
    NonUtf8(String),
    /// A plist that does not parse.
    #[error("{0} is not a property list")]
    Plist(String, #[source] plist::Error),
    /// A plist whose top level is not a dictionary.
    #[error("{0} is a property list but not a dictionary")]
    NotDict(String),
    /// A bad executable.
    #[error("{0}: {1}")]
    Macho(String, #[source] macho::MachoError),
    /// A bad profile.
    #[error("{0}: {1}")]
    Profile(String, #[source] profile::ProfileError),
    /// Several apps and no choice.
    #[error(
        "{dir}/ holds {} apps ({}); choose one with --app {}",
        .apps.len(),
        .apps.join(", "),
        .apps.first().map(String::as_str).unwrap_or("NAME")
    )]
    SeveralApps {
        /// `Payload` or `Products/Applications`.
        dir: String,
        /// The app folder names (`Phone.app`).
        apps: Vec<String>,
    },
    /// `--app` names no app of the source.
    #[error("{dir}/ has no app {want:?}; it holds {}", .apps.join(", "))]
    NoSuchApp {
        /// `Payload` or `Products/Applications`.
        dir: String,
        /// What `--app` said.
        want: String,
        /// The app folder names.
        apps: Vec<String>,
    },
}

/// How to read a source.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Which app of a `Payload/` (or an archive's `Products/Applications/`) holding several
    /// (`Phone` or `Phone.app`).
    pub app: Option<String>,
}

/// What the reader found, plus anything people should know about how it read it.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The facts for the rules.
    pub facts: AppFacts,
    /// Notes (e.g. "several apps in Payload/, checked the first").
    pub notes: Vec<String>,
}

/// Parse a plist (XML or binary) that must be a dictionary.
pub fn plist_dict(bytes: &[u8]) -> Result<plist::Dictionary, PlistError> {
    let v = plist::Value::from_reader(std::io::Cursor::new(bytes)).map_err(PlistError::Parse)?;
    match v {
        plist::Value::Dictionary(d) => Ok(d),
        _ => Err(PlistError::NotDict),
    }
}

/// A plist that is not a dictionary.
#[derive(Debug, thiserror::Error)]
pub enum PlistError {
    /// Does not parse.
    #[error("not a property list: {0}")]
    Parse(#[source] plist::Error),
    /// Parses, but is not a dictionary.
    #[error("the property list is not a dictionary")]
    NotDict,
}

/// Parse an Info.plist (XML or binary). Public for fuzzing.
pub fn parse_info_plist(bytes: &[u8]) -> Result<plist::Dictionary, PlistError> {
    plist_dict(bytes)
}

fn dict_for(name: &str, bytes: &[u8]) -> Result<plist::Dictionary, BundleError> {
    plist_dict(bytes).map_err(|e| match e {
        PlistError::Parse(p) => BundleError::Plist(name.to_string(), p),
        PlistError::NotDict => BundleError::NotDict(name.to_string()),
    })
}

/// Files inside one source, addressed by `/`-separated relative paths.
trait Tree {
    fn read_small(&mut self, path: &str, cap: u64) -> Result<Option<Vec<u8>>, BundleError>;
    fn scan_macho(&mut self, path: &str) -> Result<Option<macho::MachoFacts>, BundleError>;
    /// Immediate subdirectories of `dir` whose names end in `suffix`, sorted.
    fn subdirs(&mut self, dir: &str, suffix: &str) -> Vec<String>;
    /// Files (or links) directly in `dir` whose names end in `suffix`, sorted.
    fn files(&mut self, dir: &str, suffix: &str) -> Vec<String>;
}

/// Pick the app to check among `apps` (full paths under `dir`).
fn choose(dir: &str, apps: Vec<String>, opts: &ReadOptions) -> Result<String, BundleError> {
    let short: Vec<String> = apps
        .iter()
        .map(|a| a.rsplit('/').next().unwrap_or(a).to_string())
        .collect();
    if let Some(want) = &opts.app {
        let w = want.trim_end_matches('/');
        let w = w.rsplit('/').next().unwrap_or(w);
        let with_ext = if w.ends_with(".app") {
            w.to_string()
        } else {
            format!("{w}.app")
        };
        return short
            .iter()
            .position(|s| *s == with_ext)
            .and_then(|i| apps.get(i).cloned())
            .ok_or(BundleError::NoSuchApp {
                dir: dir.to_string(),
                want: want.clone(),
                apps: short,
            });
    }
    match apps.len() {
        1 => Ok(apps.into_iter().next().unwrap_or_default()),
        _ => Err(BundleError::SeveralApps {
            dir: dir.to_string(),
            apps: short,
        }),
    }
}

/// Read a bundle from `path` (several apps in one source are an error: see [`read_with`]).
pub fn read(path: &Path) -> Result<Loaded, BundleError> {
    read_with(path, &ReadOptions::default())
}

/// Read a bundle from `path`.
pub fn read_with(path: &Path, opts: &ReadOptions) -> Result<Loaded, BundleError> {
    let meta = std::fs::metadata(path).map_err(|e| BundleError::Open(path.to_path_buf(), e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let lower = name.to_ascii_lowercase();
    let mut notes = Vec::new();
    if meta.is_dir() {
        let mut tree = DirTree {
            root: path.to_path_buf(),
        };
        if lower.ends_with(".xcarchive") {
            let apps = tree.subdirs("Products/Applications", ".app");
            if apps.is_empty() {
                return Err(BundleError::NoArchivedApp(path.to_path_buf()));
            }
            let n = apps.len();
            let first = choose("Products/Applications", apps, opts)?;
            if n > 1 {
                notes.push(format!(
                    "{n} apps in Products/Applications; checked {first}"
                ));
            }
            let mut facts = read_app(&mut tree, &first, "xcarchive")?;
            facts.sdk_signatures = signatures(&mut tree, false)?;
            return Ok(Loaded { facts, notes });
        }
        if path.join("Payload").is_dir() {
            // An unzipped .ipa.
            let apps = tree.subdirs("Payload", ".app");
            if apps.is_empty() {
                return Err(BundleError::NoPayload);
            }
            let n = apps.len();
            let first = choose("Payload", apps, opts)?;
            if n > 1 {
                notes.push(format!("{n} apps in Payload/; checked {first}"));
            }
            let mut facts = read_app(&mut tree, &first, "app")?;
            facts.sdk_signatures = signatures(&mut tree, true)?;
            return Ok(Loaded { facts, notes });
        }
        if !path.join("Info.plist").exists() {
            return Err(BundleError::Unknown(path.to_path_buf()));
        }
        let mut tree = DirTree {
            root: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
        };
        let facts = read_app(&mut tree, &name, "app")?;
        return Ok(Loaded { facts, notes });
    }
    let mut file = File::open(path).map_err(|e| BundleError::Open(path.to_path_buf(), e))?;
    let mut magic = [0u8; 4];
    let n = read_up_to(&mut file, &mut magic).map_err(|e| BundleError::Read(name.clone(), e))?;
    let is_zip = n == 4 && &magic == b"PK\x03\x04";
    if is_zip || lower.ends_with(".ipa") {
        let file = File::open(path).map_err(|e| BundleError::Open(path.to_path_buf(), e))?;
        let mut tree = ZipTree::open(file)?;
        let apps = tree.subdirs("Payload", ".app");
        if let Some(bad) = &tree.bad_app_name {
            return Err(BundleError::NonUtf8(bad.clone()));
        }
        if apps.is_empty() {
            return Err(BundleError::NoPayload);
        }
        let n = apps.len();
        let first = choose("Payload", apps, opts)?;
        if n > 1 {
            notes.push(format!("{n} apps in Payload/; checked {first}"));
        }
        let mut facts = read_app(&mut tree, &first, "ipa")?;
        facts.sdk_signatures = signatures(&mut tree, true)?;
        return Ok(Loaded { facts, notes });
    }
    if n >= 4 && is_macho_magic(&magic) {
        // A bare executable (from a build folder): what the Mach-O says, nothing else.
        let file = File::open(path).map_err(|e| BundleError::Open(path.to_path_buf(), e))?;
        let m = scan(file, &name)?;
        let (exe, ents) = facts::from_macho(m);
        let mut t = Target::new(&name, plist::Dictionary::new());
        t.info_known = false;
        t.executable = Part::Present(exe);
        t.entitlements = ents;
        return Ok(Loaded {
            facts: AppFacts {
                source: "macho".to_string(),
                app: t,
                extensions: Vec::new(),
                sdk_signatures: Part::Unknown,
            },
            notes,
        });
    }
    if lower.ends_with(".plist") || n >= 4 && (&magic == b"bpli" || &magic[..] == b"<?xm") {
        let meta_len = meta.len();
        if meta_len > MAX_PLIST {
            return Err(BundleError::TooLarge(name, MAX_PLIST));
        }
        let bytes = std::fs::read(path).map_err(|e| BundleError::Read(name.clone(), e))?;
        let info = dict_for(&name, &bytes)?;
        return Ok(Loaded {
            facts: AppFacts::from_info("plist", &name, info),
            notes,
        });
    }
    Err(BundleError::Unknown(path.to_path_buf()))
}

/// Thin Mach-O (little-endian, as every iOS executable) or fat.
fn is_macho_magic(m: &[u8; 4]) -> bool {
    matches!(
        m,
        [0xcf, 0xfa, 0xed, 0xfe] | [0xce, 0xfa, 0xed, 0xfe] | [0xca, 0xfe, 0xba, 0xbe | 0xbf]
    )
}

fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn read_app(tree: &mut dyn Tree, root: &str, source: &str) -> Result<AppFacts, BundleError> {
    let app = read_target(tree, root, Role::App)?;
    let mut extensions = Vec::new();
    nested(tree, root, &mut extensions)?;
    Ok(AppFacts {
        source: source.to_string(),
        app,
        extensions,
        sdk_signatures: Part::Unknown,
    })
}

/// The XCFramework signature receipts at the root of an exported `.ipa` (or an `.xcarchive`):
/// `Signatures/*.signature`. None in an `.ipa` is `Missing`; none in an archive is `Unknown`
/// (where an archive keeps them was not confirmed). A receipt that does not parse is kept with
/// its error: the rule that needs it says it could not be checked.
fn signatures(
    tree: &mut dyn Tree,
    exported: bool,
) -> Result<Part<Vec<sdk_signature::SdkSignature>>, BundleError> {
    let files = tree.files("Signatures", ".signature");
    if files.is_empty() {
        return Ok(if exported {
            Part::Missing
        } else {
            Part::Unknown
        });
    }
    let mut out = Vec::new();
    for f in files.into_iter().take(MAX_FRAMEWORKS) {
        if let Some(b) = tree.read_small(&f, sdk_signature::MAX_RECEIPT)? {
            out.push(sdk_signature::SdkSignature::read(&f, &b));
        }
    }
    Ok(Part::Present(out))
}

/// Every bundle nested in `root`: extensions (`PlugIns/`, ExtensionKit's `Extensions/`), Watch
/// apps (`Watch/`) and App Clips (`AppClips/`), each with its own nested bundles.
fn nested(tree: &mut dyn Tree, root: &str, out: &mut Vec<Target>) -> Result<(), BundleError> {
    let places = [
        ("PlugIns", ".appex", Role::Extension),
        ("Extensions", ".appex", Role::Extension),
        ("Watch", ".app", Role::WatchApp),
        ("AppClips", ".app", Role::AppClip),
    ];
    for (dir, suffix, role) in places {
        for sub in tree.subdirs(&format!("{root}/{dir}"), suffix) {
            if out.len() >= MAX_EXTENSIONS {
                return Ok(());
            }
            out.push(read_target(tree, &sub, role)?);
            if role != Role::Extension {
                nested(tree, &sub, out)?;
            }
        }
    }
    Ok(())
}

/// Read a privacy manifest; one that does not parse is a finding, not unreadable input.
fn read_privacy(tree: &mut dyn Tree, root: &str) -> Result<Part<privacy::Manifest>, BundleError> {
    let p = format!("{root}/PrivacyInfo.xcprivacy");
    Ok(match tree.read_small(&p, privacy::MAX_MANIFEST)? {
        Some(b) => Part::Present(
            privacy::parse(&b).unwrap_or_else(|e| privacy::Manifest::unreadable(e.to_string())),
        ),
        None => Part::Missing,
    })
}

/// The executable name a bundle's Info.plist gives, if it cannot leave the bundle.
fn exe_name(info: &plist::Dictionary) -> Option<String> {
    info.get("CFBundleExecutable")
        .and_then(|v| v.as_string())
        .filter(|n| {
            !n.is_empty() && !n.contains('/') && !n.contains('\\') && *n != ".." && *n != "."
        })
        .map(str::to_string)
}

/// `Frameworks/*.framework` and `Frameworks/*.dylib` of a bundle, and those nested inside the
/// frameworks (see [`embedded_in`]).
fn frameworks(tree: &mut dyn Tree, root: &str) -> Result<Vec<Framework>, BundleError> {
    let mut out = Vec::new();
    embedded_in(tree, &format!("{root}/Frameworks"), 1, &mut out)?;
    Ok(out)
}

/// The frameworks and dylibs directly in `dir`, each framework followed by what it embeds itself
/// (its own `Frameworks/*.framework` and `*.dylib`, and `*.dylib` at its top level), down to
/// [`MAX_FRAMEWORK_DEPTH`] levels and at most [`MAX_FRAMEWORKS`] in all. Listings never follow
/// symbolic links (a linked folder is not listed; a linked file is refused when read), so the scan
/// cannot leave the bundle.
fn embedded_in(
    tree: &mut dyn Tree,
    dir: &str,
    depth: usize,
    out: &mut Vec<Framework>,
) -> Result<(), BundleError> {
    for fw in tree.subdirs(dir, ".framework") {
        if out.len() >= MAX_FRAMEWORKS {
            return Ok(());
        }
        let base = fw.rsplit('/').next().unwrap_or(&fw);
        let name = base.trim_end_matches(".framework").to_string();
        let info_path = format!("{fw}/Info.plist");
        // A framework's Info.plist that does not parse: fall back to the folder name, as dyld
        // loads the install name, not the plist.
        let info = match tree.read_small(&info_path, MAX_PLIST)? {
            Some(b) => plist_dict(&b).ok(),
            None => None,
        };
        let binary = info
            .as_ref()
            .and_then(exe_name)
            .unwrap_or_else(|| name.clone());
        let bundle_id = info
            .as_ref()
            .and_then(|d| d.get("CFBundleIdentifier"))
            .and_then(|v| v.as_string())
            .map(str::to_string);
        let executable = match tree.scan_macho(&format!("{fw}/{binary}"))? {
            Some(m) => Part::Present(facts::from_macho(m).0),
            None => Part::Missing,
        };
        let privacy = read_privacy(tree, &fw)?;
        out.push(Framework {
            path: fw.clone(),
            name,
            binary,
            bundle_id,
            executable,
            privacy,
        });
        if depth < MAX_FRAMEWORK_DEPTH {
            embedded_in(tree, &format!("{fw}/Frameworks"), depth + 1, out)?;
            dylibs_in(tree, &fw, out)?;
        }
    }
    dylibs_in(tree, dir, out)
}

/// The `*.dylib` files directly in `dir`.
fn dylibs_in(tree: &mut dyn Tree, dir: &str, out: &mut Vec<Framework>) -> Result<(), BundleError> {
    for lib in tree.files(dir, ".dylib") {
        if out.len() >= MAX_FRAMEWORKS {
            return Ok(());
        }
        let base = lib.rsplit('/').next().unwrap_or(&lib);
        let name = base.trim_end_matches(".dylib").to_string();
        let executable = match tree.scan_macho(&lib)? {
            Some(m) => Part::Present(facts::from_macho(m).0),
            None => Part::Missing,
        };
        out.push(Framework {
            path: lib.clone(),
            name,
            binary: base.to_string(),
            bundle_id: None,
            executable,
            privacy: Part::Missing,
        });
    }
    Ok(())
}

fn read_target(tree: &mut dyn Tree, root: &str, role: Role) -> Result<Target, BundleError> {
    let info_path = format!("{root}/Info.plist");
    let info_bytes = tree
        .read_small(&info_path, MAX_PLIST)?
        .ok_or_else(|| BundleError::Missing(info_path.clone()))?;
    let info = dict_for(&info_path, &info_bytes)?;
    let mut t = Target::new(root, info);
    t.role = role;
    // The executable's name comes from the plist: refuse anything that could leave the bundle.
    let exe = exe_name(&t.info);
    match exe {
        Some(exe) => {
            let exe_path = format!("{root}/{exe}");
            match tree.scan_macho(&exe_path)? {
                Some(m) => {
                    let (e, ents) = facts::from_macho(m);
                    t.executable = Part::Present(e);
                    t.entitlements = ents;
                }
                None => {
                    t.executable = Part::Missing;
                    t.entitlements = Part::Missing;
                }
            }
        }
        None => {
            t.executable = Part::Missing;
            t.entitlements = Part::Missing;
        }
    }
    let prof_path = format!("{root}/embedded.mobileprovision");
    t.profile = match tree.read_small(&prof_path, profile::MAX_PROFILE)? {
        Some(b) => Part::Present(
            profile::parse(&b).map_err(|e| BundleError::Profile(prof_path.clone(), e))?,
        ),
        None => Part::Missing,
    };
    t.privacy = read_privacy(tree, root)?;
    t.frameworks = Part::Present(frameworks(tree, root)?);
    Ok(t)
}

/// Read at most `cap` bytes; more is an error.
fn read_capped(r: &mut dyn Read, name: &str, cap: u64) -> Result<Vec<u8>, BundleError> {
    let mut buf = Vec::new();
    r.take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(|e| BundleError::Entry(name.to_string(), e))?;
    if buf.len() as u64 > cap {
        return Err(BundleError::TooLarge(name.to_string(), cap));
    }
    Ok(buf)
}

/// Caps a reader, failing (rather than truncating) past the cap.
struct Capped<R> {
    inner: R,
    left: u64,
    name: String,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(std::io::Error::other(format!(
                "{} is larger than {MAX_EXECUTABLE} bytes when decompressed; refusing it (a zip bomb?)",
                self.name
            )));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn scan(r: impl Read, name: &str) -> Result<macho::MachoFacts, BundleError> {
    let mut capped = Capped {
        inner: r,
        left: MAX_EXECUTABLE,
        name: name.to_string(),
    };
    macho::parse_reader(&mut capped).map_err(|e| match e {
        macho::ReadError::Io(io) => BundleError::Entry(name.to_string(), io),
        macho::ReadError::Macho(m) => BundleError::Macho(name.to_string(), m),
    })
}

struct DirTree {
    root: PathBuf,
}

impl DirTree {
    fn open(&self, rel: &str) -> Result<Option<File>, BundleError> {
        let p = self.root.join(rel);
        let meta = match std::fs::symlink_metadata(&p) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(BundleError::Read(rel.to_string(), e)),
        };
        if meta.file_type().is_symlink() {
            return Err(BundleError::Symlink(rel.to_string()));
        }
        if !meta.is_file() {
            return Ok(None);
        }
        File::open(&p)
            .map(Some)
            .map_err(|e| BundleError::Read(rel.to_string(), e))
    }
}

impl Tree for DirTree {
    fn read_small(&mut self, path: &str, cap: u64) -> Result<Option<Vec<u8>>, BundleError> {
        match self.open(path)? {
            Some(f) => read_capped(&mut BufReader::new(f), path, cap).map(Some),
            None => Ok(None),
        }
    }
    fn scan_macho(&mut self, path: &str) -> Result<Option<macho::MachoFacts>, BundleError> {
        match self.open(path)? {
            Some(f) => scan(f, path).map(Some),
            None => Ok(None),
        }
    }
    fn subdirs(&mut self, dir: &str, suffix: &str) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(self.root.join(dir)) else {
            return Vec::new();
        };
        let mut out: Vec<String> = rd
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(suffix))
            .map(|n| format!("{dir}/{n}"))
            .collect();
        out.sort();
        out
    }
    fn files(&mut self, dir: &str, suffix: &str) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(self.root.join(dir)) else {
            return Vec::new();
        };
        let mut out: Vec<String> = rd
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_type()
                    .map(|t| t.is_file() || t.is_symlink())
                    .unwrap_or(false)
            })
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(suffix) && n.len() > suffix.len())
            .map(|n| format!("{dir}/{n}"))
            .collect();
        out.sort();
        out
    }
}

struct ZipTree {
    zip: zip::ZipArchive<BufReader<File>>,
    /// UTF-8 entry names → index, sorted, so that a folder's entries are one range (nested
    /// frameworks list many small folders of a large archive).
    names: std::collections::BTreeMap<String, usize>,
    /// An app folder under Payload/ whose name is not UTF-8.
    bad_app_name: Option<String>,
}

impl ZipTree {
    fn open(file: File) -> Result<Self, BundleError> {
        let zip = zip::ZipArchive::new(BufReader::new(file)).map_err(BundleError::Zip)?;
        if zip.len() > MAX_ENTRIES {
            return Err(BundleError::TooManyEntries);
        }
        let mut names = std::collections::BTreeMap::new();
        let mut bad_app_name = None;
        for (i, raw) in zip.file_names_raw().enumerate() {
            match std::str::from_utf8(raw) {
                Ok(s) => {
                    names.insert(s.to_string(), i);
                }
                Err(_) => {
                    // Only a non-UTF-8 app folder matters; other odd names are never read.
                    let mut parts = raw.split(|&b| b == b'/');
                    if parts.next() == Some(b"Payload")
                        && let Some(app) = parts.next()
                        && std::str::from_utf8(app).is_err()
                        && bad_app_name.is_none()
                    {
                        bad_app_name = Some(format!(
                            "Payload/{}",
                            crate::sanitize::terminal(&String::from_utf8_lossy(app))
                        ));
                    }
                }
            }
        }
        Ok(ZipTree {
            zip,
            names,
            bad_app_name,
        })
    }

    fn entry(
        &mut self,
        path: &str,
    ) -> Result<Option<zip::read::ZipFile<'_, BufReader<File>>>, BundleError> {
        let Some(&i) = self.names.get(path) else {
            return Ok(None);
        };
        let f = self.zip.by_index(i).map_err(|e| match e {
            zip::result::ZipError::Io(io) => BundleError::Entry(path.to_string(), io),
            other => BundleError::Entry(path.to_string(), std::io::Error::other(other)),
        })?;
        if f.is_symlink() {
            return Err(BundleError::Symlink(path.to_string()));
        }
        if f.is_dir() {
            return Ok(None);
        }
        Ok(Some(f))
    }
}

impl Tree for ZipTree {
    fn read_small(&mut self, path: &str, cap: u64) -> Result<Option<Vec<u8>>, BundleError> {
        match self.entry(path)? {
            Some(mut f) => {
                if f.size() > cap {
                    return Err(BundleError::TooLarge(path.to_string(), cap));
                }
                read_capped(&mut f, path, cap).map(Some)
            }
            None => Ok(None),
        }
    }
    fn scan_macho(&mut self, path: &str) -> Result<Option<macho::MachoFacts>, BundleError> {
        match self.entry(path)? {
            Some(f) => {
                if f.size() > MAX_EXECUTABLE {
                    return Err(BundleError::TooLarge(path.to_string(), MAX_EXECUTABLE));
                }
                scan(f, path).map(Some)
            }
            None => Ok(None),
        }
    }
    fn subdirs(&mut self, dir: &str, suffix: &str) -> Vec<String> {
        let prefix = format!("{dir}/");
        let mut out: Vec<String> = self
            .under(&prefix)
            .filter_map(|rest| rest.split('/').next().filter(|_| rest.contains('/')))
            .filter(|d| d.ends_with(suffix) && d.len() > suffix.len())
            .map(|d| format!("{prefix}{d}"))
            .collect();
        out.sort();
        out.dedup();
        out
    }
    fn files(&mut self, dir: &str, suffix: &str) -> Vec<String> {
        let prefix = format!("{dir}/");
        self.under(&prefix)
            .filter(|rest| {
                !rest.contains('/') && rest.ends_with(suffix) && rest.len() > suffix.len()
            })
            .map(|rest| format!("{prefix}{rest}"))
            .collect()
    }
}

impl ZipTree {
    /// The entry names under `prefix` (which ends in `/`), without it, in order.
    fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.names
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .map(|(n, _)| n.as_str())
            .take_while(move |n| n.starts_with(prefix))
            .map(move |n| &n[prefix.len()..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> plist::Dictionary {
        let mut d = plist::Dictionary::new();
        d.insert("CFBundleIdentifier".into(), "com.example.phone".into());
        d.insert(
            "UIBackgroundModes".into(),
            plist::Value::Array(vec!["voip".into(), "audio".into()]),
        );
        d.insert("n".into(), plist::Value::Integer(7.into()));
        d
    }

    #[test]
    fn xml_and_binary_plists_parse_alike() -> Result<(), Box<dyn std::error::Error>> {
        let mut xml = Vec::new();
        plist::Value::Dictionary(sample()).to_writer_xml(&mut xml)?;
        let mut bin = Vec::new();
        plist::Value::Dictionary(sample()).to_writer_binary(&mut bin)?;
        assert_eq!(parse_info_plist(&xml)?, sample());
        assert_eq!(parse_info_plist(&bin)?, sample());
        assert!(matches!(
            parse_info_plist(b"<?xml version=\"1.0\"?><plist><array/></plist>"),
            Err(PlistError::NotDict)
        ));
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse_info_plist(&b);
        }

        #[test]
        fn mutated_binary_plists_never_panic(
            patch in proptest::collection::vec((0usize..400, proptest::num::u8::ANY), 1..8),
            cut in 0usize..400,
        ) {
            let mut bin = Vec::new();
            let _ = plist::Value::Dictionary(sample()).to_writer_binary(&mut bin);
            for (i, v) in patch {
                let n = bin.len();
                if let Some(x) = bin.get_mut(i % n) { *x = v; }
            }
            bin.truncate(cut.max(8));
            let _ = parse_info_plist(&bin);
        }

        #[test]
        fn mutated_xml_plists_never_panic(
            patch in proptest::collection::vec((0usize..600, proptest::num::u8::ANY), 1..8),
        ) {
            let mut xml = Vec::new();
            let _ = plist::Value::Dictionary(sample()).to_writer_xml(&mut xml);
            for (i, v) in patch {
                let n = xml.len();
                if let Some(x) = xml.get_mut(i % n) { *x = v; }
            }
            let _ = parse_info_plist(&xml);
        }
    }
}
