//! Mach-O facts from a main executable, in one forward pass over its bytes.
//!
//! Executables in an `.ipa` are compressed and can be hundreds of megabytes, so the reader never
//! holds one: [`Scanner`] takes the bytes in chunks as they are inflated, keeps only the ranges
//! it needs (fat header, each slice's load commands, each slice's code signature) and searches
//! every byte for the legacy-API strings on the way. Everything a header points to lies *after*
//! the header in real files, so one pass is enough; a file that points backwards is reported, not
//! guessed at. Every count and size is checked against the file before use.

use super::codesign;
use aho_corasick::AhoCorasick;
use std::collections::BTreeSet;

/// Largest load-command area we accept (real apps: tens of kilobytes).
const MAX_LOAD_COMMANDS: u64 = 8 << 20;
/// Largest code signature we keep (real 100 MB apps: a few megabytes).
const MAX_SIGNATURE: u64 = 64 << 20;
/// Most slices in a fat file.
const MAX_SLICES: u32 = 32;
/// Most load commands in one slice.
const MAX_NCMDS: u32 = 65_536;
/// Most bytes held at once over all slices (headers, load commands, signatures), so a hostile fat
/// file cannot make us buffer 32 × 64 MiB.
const MAX_HELD: u64 = 128 << 20;

const FAT_MAGIC: u32 = 0xcafe_babe;
const FAT_MAGIC_64: u32 = 0xcafe_babf;
const MH_MAGIC: u32 = 0xfeed_face;
const MH_MAGIC_64: u32 = 0xfeed_facf;
const MH_CIGAM: u32 = 0xcefa_edfe;
const MH_CIGAM_64: u32 = 0xcffa_edfe;

const LC_REQ_DYLD: u32 = 0x8000_0000;
const LC_LOAD_DYLIB: u32 = 0xc;
const LC_LOAD_WEAK_DYLIB: u32 = 0x18 | LC_REQ_DYLD;
const LC_REEXPORT_DYLIB: u32 = 0x1f | LC_REQ_DYLD;
const LC_LAZY_LOAD_DYLIB: u32 = 0x20;
const LC_LOAD_UPWARD_DYLIB: u32 = 0x23 | LC_REQ_DYLD;
const LC_CODE_SIGNATURE: u32 = 0x1d;
const LC_VERSION_MIN_IPHONEOS: u32 = 0x25;
const LC_BUILD_VERSION: u32 = 0x32;
const LC_SEGMENT: u32 = 0x1;
const LC_SEGMENT_64: u32 = 0x19;
const LC_ENCRYPTION_INFO: u32 = 0x21;
const LC_ENCRYPTION_INFO_64: u32 = 0x2c;
/// Section types without bytes in the file (`S_ZEROFILL`, `S_GB_ZEROFILL`,
/// `S_THREAD_LOCAL_ZEROFILL`).
const ZEROFILL: [u32; 3] = [0x1, 0xc, 0x12];

/// `CPU_TYPE_ARM64`.
pub const CPU_ARM64: u32 = 0x0100_000c;
const CPU_ARM: u32 = 12;
const CPU_X86_64: u32 = 0x0100_0007;
const CPU_X86: u32 = 7;
const CPU_ARM64_32: u32 = 0x0200_000c;

/// Strings in the executable that voipctl looks for anywhere. The required-reason API symbols of
/// [`super::privacy::REQUIRED_REASON`] are looked for too, as whole NUL-delimited strings.
pub const MARKERS: [&str; 9] = [
    "setKeepAliveTimeout:handler:",
    "kCFStreamNetworkServiceTypeVoIP",
    "NSStreamNetworkServiceTypeVoIP",
    "PKPushRegistry",
    "reportNewIncomingCall",
    "reportNewIncomingConversation",
    "reportNewIncomingVoIPPushPayload",
    "CXProvider",
    "NEAppPushProvider",
];

/// Errors reading a Mach-O file.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum MachoError {
    /// Not a Mach-O file at all.
    #[error("not a Mach-O executable (magic {0:#010x})")]
    NotMacho(u32),
    /// Shorter than its headers say.
    #[error("truncated Mach-O: {what} needs bytes up to offset {end}, the file has {len}")]
    Truncated {
        /// The structure.
        what: &'static str,
        /// Where it ends.
        end: u64,
        /// File length.
        len: u64,
    },
    /// A count or size no real file has.
    #[error("implausible Mach-O {what}: {value}")]
    Absurd {
        /// The field.
        what: &'static str,
        /// Its value.
        value: u64,
    },
    /// Offsets point backwards or overlap.
    #[error("malformed Mach-O: {0}")]
    Malformed(&'static str),
    /// The code signature is malformed.
    #[error("malformed code signature: {0}")]
    Signature(#[from] codesign::SignatureError),
    /// A segment or section says its bytes lie past the end of the file.
    #[error(
        "malformed Mach-O: {what} ends at offset {end}, past the end of the file ({len} bytes)"
    )]
    PastEnd {
        /// The segment or section (`section __TEXT,__cstring`).
        what: String,
        /// Where it ends.
        end: u64,
        /// File length.
        len: u64,
    },
}

/// `LC_BUILD_VERSION` / `LC_VERSION_MIN_IPHONEOS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildVersion {
    /// `PLATFORM_*` (2 = iOS, 7 = iOS simulator), 0 for `LC_VERSION_MIN_IPHONEOS`.
    pub platform: u32,
    /// Minimum OS, `(major, minor, patch)`.
    pub minos: (u16, u8, u8),
    /// SDK, `(major, minor, patch)`.
    pub sdk: (u16, u8, u8),
}

/// A linked library.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dylib {
    /// Install name (`/System/Library/Frameworks/PushKit.framework/PushKit`).
    pub path: String,
    /// `LC_LOAD_WEAK_DYLIB`.
    pub weak: bool,
}

/// One architecture slice.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    /// Offset of the slice in the file.
    pub offset: u64,
    /// `arm64`, `arm64e`, `x86_64`…
    pub arch: String,
    /// Linked libraries.
    pub dylibs: Vec<Dylib>,
    /// Build version, when the slice has one.
    pub build: Option<BuildVersion>,
    /// Entitlements from the code signature (`None`: unsigned, or no entitlements blob).
    pub entitlements: Option<plist::Dictionary>,
    /// The whole code signature (`None`: unsigned).
    pub signature: Option<codesign::Signature>,
    /// The slice has an `LC_CODE_SIGNATURE`.
    pub signed: bool,
    /// `LC_ENCRYPTION_INFO(_64)` with a non-zero `cryptid`: FairPlay-encrypted, so its text
    /// (strings, selectors) is opaque.
    pub encrypted: bool,
}

/// What the whole file says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MachoFacts {
    /// Every slice, in file order.
    pub slices: Vec<Slice>,
    /// [`MARKERS`] and required-reason symbols found in the file.
    pub markers: BTreeSet<String>,
    /// Bytes read.
    pub len: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Magic,
    FatArchs {
        count: u32,
        wide: bool,
    },
    Header {
        base: u64,
        size: u64,
        cpu: u32,
        sub: u32,
    },
    Commands {
        base: u64,
        size: u64,
        ncmds: u32,
        wide: bool,
        cpu: u32,
        sub: u32,
    },
    Signature {
        slice: usize,
    },
}

#[derive(Debug)]
struct Pending {
    start: u64,
    len: u64,
    want: Want,
    buf: Vec<u8>,
}

/// Feeds on consecutive chunks of one Mach-O file.
#[derive(Debug)]
pub struct Scanner {
    pos: u64,
    pending: Vec<Pending>,
    slices: Vec<Slice>,
    markers: BTreeSet<usize>,
    finder: Option<&'static Patterns>,
    tail: Vec<u8>,
    longest: usize,
    error: Option<MachoError>,
    held: u64,
    /// The furthest offset segments and sections claim; must not lie past the end of the file.
    need: Option<(u64, String)>,
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

impl Scanner {
    /// A scanner at offset 0.
    pub fn new() -> Self {
        let finder = patterns();
        Scanner {
            pos: 0,
            pending: vec![Pending {
                start: 0,
                len: 8,
                want: Want::Magic,
                buf: Vec::new(),
            }],
            slices: Vec::new(),
            markers: BTreeSet::new(),
            finder,
            tail: Vec::new(),
            longest: finder.map(|p| p.longest).unwrap_or(0),
            error: None,
            held: 8,
            need: None,
        }
    }

    /// The next chunk of the file.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), MachoError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        self.search(chunk);
        let start = self.pos;
        let end = start + chunk.len() as u64;
        // Satisfying one want may add wants inside the same chunk, so loop until stable.
        loop {
            let mut progressed = false;
            let mut done = Vec::new();
            for (i, p) in self.pending.iter_mut().enumerate() {
                let have = p.start + p.buf.len() as u64;
                let need_end = p.start + p.len;
                if have >= need_end || have >= end || need_end <= start {
                    if have >= need_end {
                        done.push(i);
                    }
                    continue;
                }
                if have < start {
                    self.error = Some(MachoError::Malformed(
                        "a header points backwards into data already read",
                    ));
                    return Err(MachoError::Malformed(
                        "a header points backwards into data already read",
                    ));
                }
                let from = (have - start) as usize;
                let to = (need_end.min(end) - start) as usize;
                p.buf.extend_from_slice(&chunk[from..to]);
                progressed = true;
                if p.start + p.buf.len() as u64 >= need_end {
                    done.push(i);
                }
            }
            for i in done.into_iter().rev() {
                let p = self.pending.swap_remove(i);
                if let Err(e) = self.complete(p) {
                    self.error = Some(e.clone());
                    return Err(e);
                }
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
        self.pos = end;
        Ok(())
    }

    /// End of file: every wanted range must have been seen.
    pub fn finish(mut self) -> Result<MachoFacts, MachoError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if let Some(p) = self.pending.iter().min_by_key(|p| p.start) {
            if p.want == Want::Magic && self.pos < 4 {
                return Err(MachoError::Truncated {
                    what: "the magic number",
                    end: 4,
                    len: self.pos,
                });
            }
            if p.want == Want::Magic && self.pos >= 4 {
                // Thin 32-bit or tiny files: 4..8 bytes are enough for the magic.
                let magic = u32::from_be_bytes(take4(&p.buf, 0));
                return Err(MachoError::NotMacho(magic));
            }
            return Err(MachoError::Truncated {
                what: want_name(&p.want),
                end: p.start + p.len,
                len: self.pos,
            });
        }
        if let Some((end, what)) = self.need.take()
            && end > self.pos
        {
            return Err(MachoError::PastEnd {
                what,
                end,
                len: self.pos,
            });
        }
        self.slices.sort_by_key(|s| s.offset);
        let names = self.finder.map(|p| p.names.as_slice()).unwrap_or(&[]);
        Ok(MachoFacts {
            slices: self.slices,
            markers: self
                .markers
                .iter()
                .filter_map(|&i| names.get(i).map(|s| s.to_string()))
                .collect(),
            len: self.pos,
        })
    }

    fn search(&mut self, chunk: &[u8]) {
        let Some(p) = self.finder else { return };
        if self.markers.len() == p.names.len() || chunk.is_empty() {
            return;
        }
        // The byte before a match decides whether a NUL-delimited symbol starts there; before the
        // first byte of the file counts as a NUL.
        let before_chunk = if self.pos == 0 {
            Some(0)
        } else {
            self.tail.last().copied()
        };
        // Matches that straddle two chunks: search the seam (the last `longest` bytes of the
        // previous chunks plus the head of this one); a straddling match starts at 1 or later, so
        // the byte before it is in the seam. Matches inside either side alone are found by the
        // searches of their own chunk.
        if !self.tail.is_empty() {
            let tail_len = self.tail.len();
            let tail_start = self.pos - tail_len as u64;
            let head = &chunk[..chunk.len().min(self.longest)];
            let mut seam = std::mem::take(&mut self.tail);
            seam.extend_from_slice(head);
            for m in p.finder.find_iter(&seam) {
                if m.end() <= tail_len {
                    continue;
                }
                let i = m.pattern().as_usize();
                let prev = match m.start() {
                    0 if tail_start == 0 => Some(0),
                    0 => None,
                    k => seam.get(k - 1).copied(),
                };
                if !p.bounded[i] || prev == Some(0) {
                    self.markers.insert(i);
                }
            }
            seam.truncate(tail_len);
            self.tail = seam;
        }
        for m in p.finder.find_iter(chunk) {
            let i = m.pattern().as_usize();
            let prev = match m.start() {
                0 => before_chunk,
                k => chunk.get(k - 1).copied(),
            };
            if !p.bounded[i] || prev == Some(0) {
                self.markers.insert(i);
            }
        }
        let keep = self.longest;
        if chunk.len() >= keep {
            self.tail = chunk[chunk.len() - keep..].to_vec();
        } else {
            let mut t = std::mem::take(&mut self.tail);
            t.extend_from_slice(chunk);
            let cut = t.len().saturating_sub(keep);
            self.tail = t.split_off(cut);
        }
    }

    fn want(&mut self, start: u64, len: u64, want: Want) -> Result<(), MachoError> {
        if start < self.pos_floor() {
            return Err(MachoError::Malformed(
                "a header points backwards into data already read",
            ));
        }
        self.held = self.held.saturating_add(len);
        if self.held > MAX_HELD {
            return Err(MachoError::Absurd {
                what: "total size of load commands and signatures",
                value: self.held,
            });
        }
        self.pending.push(Pending {
            start,
            len,
            want,
            buf: Vec::new(),
        });
        Ok(())
    }

    /// Anything before this offset has been consumed already.
    fn pos_floor(&self) -> u64 {
        // Wants are registered while the current chunk is processed; data before the chunk start
        // is gone, data inside it is still available (feed() copies from the chunk).
        self.pos
    }

    fn complete(&mut self, p: Pending) -> Result<(), MachoError> {
        let b = &p.buf;
        match p.want {
            Want::Magic => {
                let be = u32::from_be_bytes(take4(b, 0));
                match be {
                    FAT_MAGIC | FAT_MAGIC_64 => {
                        let count = u32::from_be_bytes(take4(b, 4));
                        if count == 0 || count > MAX_SLICES {
                            return Err(MachoError::Absurd {
                                what: "fat slice count",
                                value: count.into(),
                            });
                        }
                        let wide = be == FAT_MAGIC_64;
                        let each = if wide { 32 } else { 20 };
                        self.want(8, u64::from(count) * each, Want::FatArchs { count, wide })
                    }
                    MH_CIGAM | MH_CIGAM_64 => {
                        let cpu = u32::from_le_bytes(take4(b, 4));
                        let size = if be == MH_CIGAM_64 { 32 } else { 28 };
                        // The header starts at 0 and we hold its first 8 bytes already.
                        self.pending.push(Pending {
                            start: 0,
                            len: size,
                            want: Want::Header {
                                base: 0,
                                size: u64::MAX,
                                cpu,
                                sub: 0,
                            },
                            buf: b.clone(),
                        });
                        Ok(())
                    }
                    MH_MAGIC | MH_MAGIC_64 => Err(MachoError::Malformed(
                        "big-endian Mach-O is not an iOS executable",
                    )),
                    other => Err(MachoError::NotMacho(other)),
                }
            }
            Want::FatArchs { count, wide } => {
                let each = if wide { 32 } else { 20 };
                let mut arches = Vec::new();
                for i in 0..count as usize {
                    let e = &b[i * each..(i + 1) * each];
                    let cpu = u32::from_be_bytes(take4(e, 0));
                    let sub = u32::from_be_bytes(take4(e, 4));
                    let (off, size) = if wide {
                        (
                            u64::from_be_bytes(take8(e, 8)),
                            u64::from_be_bytes(take8(e, 16)),
                        )
                    } else {
                        (
                            u64::from(u32::from_be_bytes(take4(e, 8))),
                            u64::from(u32::from_be_bytes(take4(e, 12))),
                        )
                    };
                    arches.push((off, size, cpu, sub));
                }
                arches.sort_by_key(|a| a.0);
                let header_end = 8 + u64::from(count) * each as u64;
                let mut prev_end = header_end;
                for (off, size, cpu, sub) in arches {
                    if off < prev_end {
                        return Err(MachoError::Malformed("fat slices overlap"));
                    }
                    prev_end = off.checked_add(size).ok_or(MachoError::Absurd {
                        what: "fat slice size",
                        value: size,
                    })?;
                    let hdr = if cpu & 0x0100_0000 != 0 { 32 } else { 28 };
                    if size < hdr {
                        return Err(MachoError::Absurd {
                            what: "fat slice size",
                            value: size,
                        });
                    }
                    self.want(
                        off,
                        hdr,
                        Want::Header {
                            base: off,
                            size,
                            cpu,
                            sub,
                        },
                    )?;
                }
                Ok(())
            }
            Want::Header {
                base,
                size,
                cpu,
                sub,
            } => {
                let magic = u32::from_be_bytes(take4(b, 0));
                let wide = match magic {
                    MH_CIGAM_64 => true,
                    MH_CIGAM => false,
                    MH_MAGIC | MH_MAGIC_64 => {
                        return Err(MachoError::Malformed(
                            "big-endian Mach-O is not an iOS executable",
                        ));
                    }
                    other => return Err(MachoError::NotMacho(other)),
                };
                let hcpu = u32::from_le_bytes(take4(b, 4));
                let hsub = u32::from_le_bytes(take4(b, 8));
                if size != u64::MAX && hcpu != cpu {
                    return Err(MachoError::Malformed(
                        "fat header and slice disagree on the CPU type",
                    ));
                }
                let _ = sub;
                let ncmds = u32::from_le_bytes(take4(b, 16));
                let sizeofcmds = u64::from(u32::from_le_bytes(take4(b, 20)));
                if ncmds > MAX_NCMDS {
                    return Err(MachoError::Absurd {
                        what: "load command count",
                        value: ncmds.into(),
                    });
                }
                if sizeofcmds > MAX_LOAD_COMMANDS {
                    return Err(MachoError::Absurd {
                        what: "load command size",
                        value: sizeofcmds,
                    });
                }
                let hdr = if wide { 32 } else { 28 };
                if size != u64::MAX && hdr + sizeofcmds > size {
                    return Err(MachoError::Malformed(
                        "load commands run past the end of their slice",
                    ));
                }
                self.want(
                    base + hdr,
                    sizeofcmds,
                    Want::Commands {
                        base,
                        size,
                        ncmds,
                        wide,
                        cpu: hcpu,
                        sub: hsub,
                    },
                )
            }
            Want::Commands {
                base,
                size,
                ncmds,
                wide,
                cpu,
                sub,
            } => {
                let (mut slice, sig, need) = parse_commands(b, ncmds, wide, cpu, sub)?;
                slice.offset = base;
                self.slices.push(slice);
                if let Some((end, what)) = need {
                    if size != u64::MAX && end > size {
                        return Err(MachoError::PastEnd {
                            what: format!("{what} (in the slice at offset {base})"),
                            end: base.saturating_add(end),
                            len: base.saturating_add(size),
                        });
                    }
                    let abs = base.saturating_add(end);
                    if self.need.as_ref().is_none_or(|(e, _)| abs > *e) {
                        self.need = Some((abs, what));
                    }
                }
                if let Some((off, len)) = sig {
                    if len > MAX_SIGNATURE {
                        return Err(MachoError::Absurd {
                            what: "code signature size",
                            value: len,
                        });
                    }
                    let hdr = if wide { 32 } else { 28 };
                    if off < hdr + b.len() as u64 {
                        return Err(MachoError::Malformed(
                            "the code signature overlaps the load commands",
                        ));
                    }
                    if size != u64::MAX && off.saturating_add(len) > size {
                        return Err(MachoError::Malformed(
                            "the code signature runs past the end of its slice",
                        ));
                    }
                    let idx = self.slices.len() - 1;
                    self.want(base + off, len, Want::Signature { slice: idx })?;
                }
                Ok(())
            }
            Want::Signature { slice } => {
                let sig = codesign::parse(b)?;
                if let Some(s) = self.slices.get_mut(slice) {
                    s.entitlements = sig.entitlements.clone();
                    s.signature = Some(sig);
                }
                Ok(())
            }
        }
    }
}

/// The strings looked for: [`MARKERS`] anywhere, and required-reason symbols as whole
/// NUL-terminated strings preceded by a NUL (symbol, selector and class-name tables).
#[derive(Debug)]
struct Patterns {
    finder: AhoCorasick,
    /// Name of each pattern (without the NUL).
    names: Vec<&'static str>,
    /// The pattern must be preceded by a NUL.
    bounded: Vec<bool>,
    longest: usize,
}

/// Built once per process: constructing the automaton costs far more than scanning a small file.
fn patterns() -> Option<&'static Patterns> {
    static PATTERNS: std::sync::OnceLock<Option<Patterns>> = std::sync::OnceLock::new();
    PATTERNS
        .get_or_init(|| {
            let mut names: Vec<&'static str> = MARKERS.to_vec();
            let mut bounded = vec![false; names.len()];
            let mut bytes: Vec<Vec<u8>> = MARKERS.iter().map(|m| m.as_bytes().to_vec()).collect();
            for sym in super::privacy::symbols() {
                names.push(sym);
                bounded.push(true);
                let mut b = sym.as_bytes().to_vec();
                b.push(0);
                bytes.push(b);
            }
            let longest = bytes.iter().map(Vec::len).max().unwrap_or(0);
            // No pattern contains another (the symbols end in a NUL), so leftmost-first finds
            // every one that occurs and lets aho-corasick use its SIMD prefilter.
            let finder = AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .build(&bytes)
                .ok()?;
            Some(Patterns {
                finder,
                names,
                bounded,
                longest,
            })
        })
        .as_ref()
}

fn want_name(w: &Want) -> &'static str {
    match w {
        Want::Magic => "the magic number",
        Want::FatArchs { .. } => "the fat header",
        Want::Header { .. } => "a Mach-O header",
        Want::Commands { .. } => "the load commands",
        Want::Signature { .. } => "the code signature",
    }
}

type SigRange = Option<(u64, u64)>;
/// The furthest slice-relative offset a segment or section needs, and which one.
type Need = Option<(u64, String)>;

fn name16(b: &[u8]) -> String {
    let end = memchr::memchr(0, b).unwrap_or(b.len());
    crate::sanitize::terminal(&String::from_utf8_lossy(&b[..end])).into_owned()
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(take8(b, at))
}

fn le32(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(take4(b, at)))
}

/// `LC_SEGMENT(_64)`: the segment's and each section's file range (zero-fill sections have none).
fn segment_need(c: &[u8], wide: bool, need: &mut Need) -> Result<(), MachoError> {
    let (hdr, each) = if wide { (72, 80) } else { (56, 68) };
    if c.len() < hdr {
        return Err(MachoError::Malformed("a segment command is too short"));
    }
    let seg = name16(&c[8..24]);
    let (fileoff, filesize, nsects) = if wide {
        (le64(c, 40), le64(c, 48), le32(c, 64))
    } else {
        (le32(c, 32), le32(c, 36), le32(c, 48))
    };
    let mut note = |end: Option<u64>, what: String| -> Result<(), MachoError> {
        let end = end.ok_or(MachoError::Absurd {
            what: "segment or section size",
            value: u64::MAX,
        })?;
        if need.as_ref().is_none_or(|(e, _)| end > *e) {
            *need = Some((end, what));
        }
        Ok(())
    };
    if filesize > 0 {
        note(fileoff.checked_add(filesize), format!("segment {seg}"))?;
    }
    let nsects = usize::try_from(nsects).unwrap_or(usize::MAX);
    if nsects > (c.len() - hdr) / each {
        return Err(MachoError::Malformed(
            "a segment has more sections than its command holds",
        ));
    }
    for i in 0..nsects {
        let sc = &c[hdr + i * each..hdr + (i + 1) * each];
        let (size, offset, flags) = if wide {
            (le64(sc, 40), le32(sc, 48), le32(sc, 64))
        } else {
            (le32(sc, 36), le32(sc, 40), le32(sc, 56))
        };
        let kind = (flags & 0xff) as u32;
        if size == 0 || ZEROFILL.contains(&kind) {
            continue;
        }
        note(
            offset.checked_add(size),
            format!("section {},{}", name16(&sc[16..32]), name16(&sc[0..16])),
        )?;
    }
    Ok(())
}

fn parse_commands(
    b: &[u8],
    ncmds: u32,
    _wide: bool,
    cpu: u32,
    sub: u32,
) -> Result<(Slice, SigRange, Need), MachoError> {
    let mut slice = Slice {
        offset: 0,
        arch: arch_name(cpu, sub),
        dylibs: Vec::new(),
        build: None,
        entitlements: None,
        signature: None,
        signed: false,
        encrypted: false,
    };
    let mut sig = None;
    let mut need: Need = None;
    let mut off = 0usize;
    for _ in 0..ncmds {
        if off + 8 > b.len() {
            return Err(MachoError::Malformed("load commands run past sizeofcmds"));
        }
        let cmd = u32::from_le_bytes(take4(b, off));
        let size = u32::from_le_bytes(take4(b, off + 4)) as usize;
        if size < 8 || off + size > b.len() {
            return Err(MachoError::Malformed(
                "a load command has an impossible size",
            ));
        }
        let c = &b[off..off + size];
        match cmd {
            LC_LOAD_DYLIB | LC_LOAD_WEAK_DYLIB | LC_REEXPORT_DYLIB | LC_LAZY_LOAD_DYLIB
            | LC_LOAD_UPWARD_DYLIB => {
                if c.len() < 24 {
                    return Err(MachoError::Malformed("a dylib command is too short"));
                }
                let name_off = u32::from_le_bytes(take4(c, 8)) as usize;
                if name_off < 12 || name_off >= c.len() {
                    return Err(MachoError::Malformed(
                        "a dylib name lies outside its command",
                    ));
                }
                let raw = &c[name_off..];
                let end = memchr::memchr(0, raw).unwrap_or(raw.len());
                slice.dylibs.push(Dylib {
                    path: String::from_utf8_lossy(&raw[..end]).into_owned(),
                    weak: cmd == LC_LOAD_WEAK_DYLIB,
                });
            }
            LC_BUILD_VERSION => {
                if c.len() < 24 {
                    return Err(MachoError::Malformed("LC_BUILD_VERSION is too short"));
                }
                slice.build = Some(BuildVersion {
                    platform: u32::from_le_bytes(take4(c, 8)),
                    minos: nibbles(u32::from_le_bytes(take4(c, 12))),
                    sdk: nibbles(u32::from_le_bytes(take4(c, 16))),
                });
            }
            LC_VERSION_MIN_IPHONEOS => {
                if c.len() < 16 {
                    return Err(MachoError::Malformed(
                        "LC_VERSION_MIN_IPHONEOS is too short",
                    ));
                }
                if slice.build.is_none() {
                    slice.build = Some(BuildVersion {
                        platform: 0,
                        minos: nibbles(u32::from_le_bytes(take4(c, 8))),
                        sdk: nibbles(u32::from_le_bytes(take4(c, 12))),
                    });
                }
            }
            LC_SEGMENT | LC_SEGMENT_64 => {
                segment_need(c, cmd == LC_SEGMENT_64, &mut need)?;
            }
            LC_ENCRYPTION_INFO | LC_ENCRYPTION_INFO_64 => {
                if c.len() < 20 {
                    return Err(MachoError::Malformed("LC_ENCRYPTION_INFO is too short"));
                }
                let (off, size, id) = (le32(c, 8), le32(c, 12), le32(c, 16));
                if id != 0 {
                    slice.encrypted = true;
                }
                if size > 0 {
                    let end = off.checked_add(size).ok_or(MachoError::Absurd {
                        what: "encrypted range",
                        value: size,
                    })?;
                    if need.as_ref().is_none_or(|(e, _)| end > *e) {
                        need = Some((end, "the encrypted range".to_string()));
                    }
                }
            }
            LC_CODE_SIGNATURE => {
                if c.len() < 16 {
                    return Err(MachoError::Malformed("LC_CODE_SIGNATURE is too short"));
                }
                slice.signed = true;
                sig = Some((
                    u64::from(u32::from_le_bytes(take4(c, 8))),
                    u64::from(u32::from_le_bytes(take4(c, 12))),
                ));
            }
            _ => {}
        }
        off += size;
    }
    Ok((slice, sig, need))
}

fn nibbles(v: u32) -> (u16, u8, u8) {
    ((v >> 16) as u16, (v >> 8) as u8, v as u8)
}

/// Human name of a CPU type.
pub fn arch_name(cpu: u32, sub: u32) -> String {
    match (cpu, sub & 0x00ff_ffff) {
        (CPU_ARM64, 2) => "arm64e".into(),
        (CPU_ARM64, _) => "arm64".into(),
        (CPU_ARM64_32, _) => "arm64_32".into(),
        (CPU_ARM, 9) => "armv7".into(),
        (CPU_ARM, 11) => "armv7s".into(),
        (CPU_ARM, _) => "arm".into(),
        (CPU_X86_64, _) => "x86_64".into(),
        (CPU_X86, _) => "i386".into(),
        (c, s) => format!("cpu{c:#x}/{s}"),
    }
}

fn take4(b: &[u8], at: usize) -> [u8; 4] {
    let mut o = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        o.copy_from_slice(s);
    }
    o
}

fn take8(b: &[u8], at: usize) -> [u8; 8] {
    let mut o = [0u8; 8];
    if let Some(s) = b.get(at..at + 8) {
        o.copy_from_slice(s);
    }
    o
}

/// Parse a whole Mach-O file held in memory (tests, fuzzing, small files).
pub fn parse(bytes: &[u8]) -> Result<MachoFacts, MachoError> {
    let mut s = Scanner::new();
    s.feed(bytes)?;
    s.finish()
}

/// Parse from a reader in 256 KiB chunks, never holding the file.
pub fn parse_reader(r: &mut dyn std::io::Read) -> Result<MachoFacts, ReadError> {
    let mut s = Scanner::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::Io(e)),
        };
        s.feed(&buf[..n]).map_err(ReadError::Macho)?;
    }
    s.finish().map_err(ReadError::Macho)
}

/// Reading failed, or the bytes are not a good Mach-O.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The reader failed (corrupt zip, size cap…).
    #[error(transparent)]
    Io(std::io::Error),
    /// The bytes are not a good Mach-O.
    #[error(transparent)]
    Macho(MachoError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_garbage_are_errors() {
        assert!(matches!(parse(b""), Err(MachoError::Truncated { .. })));
        assert!(matches!(
            parse(b"hello world!"),
            Err(MachoError::NotMacho(_))
        ));
    }

    #[test]
    fn absurd_fat_count_is_rejected() {
        let mut b = vec![0xca, 0xfe, 0xba, 0xbe];
        b.extend_from_slice(&1_000_000u32.to_be_bytes());
        assert!(matches!(parse(&b), Err(MachoError::Absurd { .. })));
    }

    #[test]
    fn signature_inside_the_load_commands_is_malformed() {
        let mut b = vec![
            0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0,
        ];
        b.extend_from_slice(&[1, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&[0x1d, 0, 0, 0, 16, 0, 0, 0, 8, 0, 0, 0, 16, 0, 0, 0]);
        assert_eq!(
            parse(&b),
            Err(MachoError::Malformed(
                "the code signature overlaps the load commands"
            ))
        );
    }

    #[test]
    fn overlapping_fat_slices_are_malformed() {
        let mut b = vec![0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2];
        for _ in 0..2 {
            b.extend_from_slice(&CPU_ARM64.to_be_bytes());
            b.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0x10, 0, 0, 0, 0, 14]);
        }
        assert_eq!(parse(&b), Err(MachoError::Malformed("fat slices overlap")));
    }

    #[test]
    fn markers_across_chunk_seams_are_found() -> Result<(), MachoError> {
        let mut file = vec![0xcf, 0xfa, 0xed, 0xfe];
        file.extend_from_slice(&CPU_ARM64.to_le_bytes());
        file.extend_from_slice(&[0u8; 24]);
        file.extend_from_slice(b"xxsetKeepAliveTimeout:handler:yy");
        for split in 0..file.len() {
            let mut s = Scanner::new();
            s.feed(&file[..split])?;
            s.feed(&file[split..])?;
            let f = s.finish()?;
            assert!(
                f.markers.contains("setKeepAliveTimeout:handler:"),
                "split at {split}"
            );
        }
        Ok(())
    }

    #[test]
    fn symbols_are_whole_nul_delimited_strings_across_seams() -> Result<(), MachoError> {
        let mut file = vec![0xcf, 0xfa, 0xed, 0xfe];
        file.extend_from_slice(&CPU_ARM64.to_le_bytes());
        file.extend_from_slice(&[0u8; 24]);
        file.extend_from_slice(b"\0_mach_absolute_time\0my_stat\0_OBJC_CLASS_$_NSUserDefaults\0");
        for split in 0..file.len() {
            for step in [1, 3, 7, file.len()] {
                let mut s = Scanner::new();
                s.feed(&file[..split])?;
                for c in file[split..].chunks(step) {
                    s.feed(c)?;
                }
                let f = s.finish()?;
                assert!(
                    f.markers.contains("_mach_absolute_time"),
                    "split {split}/{step}"
                );
                assert!(
                    f.markers.contains("_OBJC_CLASS_$_NSUserDefaults"),
                    "split {split}/{step}"
                );
                // `_stat` inside `my_stat` is not a use of stat().
                assert!(!f.markers.contains("_stat"), "split {split}/{step}");
            }
        }
        Ok(())
    }

    #[test]
    fn encryption_and_sections_are_read() -> Result<(), MachoError> {
        let mut b = vec![0xcf, 0xfa, 0xed, 0xfe];
        b.extend_from_slice(&CPU_ARM64.to_le_bytes());
        b.extend_from_slice(&[
            0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ]);
        // LC_ENCRYPTION_INFO_64: cryptoff 0, cryptsize 56, cryptid 1.
        b.extend_from_slice(&[
            0x2c, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0, 56, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
        ]);
        let f = parse(&b)?;
        assert!(f.slices[0].encrypted);
        // The same range one byte longer than the file.
        b[44] = 57;
        assert!(matches!(parse(&b), Err(MachoError::PastEnd { .. })));
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse(&b);
        }

        #[test]
        fn mutated_headers_never_panic(
            patch in proptest::collection::vec((0usize..96, proptest::num::u8::ANY), 0..8),
            split in 0usize..96,
        ) {
            let mut b = vec![0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 48, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            b.extend_from_slice(&[0x1d, 0, 0, 0, 16, 0, 0, 0, 80, 0, 0, 0, 16, 0, 0, 0]);
            b.extend_from_slice(&[0x32, 0, 0, 0, 24, 0, 0, 0, 2, 0, 0, 0, 0, 0, 17, 0, 0, 0, 18, 0, 0, 0, 0, 0]);
            b.extend_from_slice(&[0xfa, 0xde, 0x0c, 0xc0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0]);
            for (i, v) in patch {
                if let Some(x) = b.get_mut(i) { *x = v; }
            }
            let split = split.min(b.len());
            let whole = parse(&b);
            let mut s = Scanner::new();
            let chunked = s.feed(&b[..split]).and_then(|_| s.feed(&b[split..])).and_then(|_| s.finish());
            // Chunking never changes the verdict.
            proptest::prop_assert_eq!(whole.is_ok(), chunked.is_ok());
            if let (Ok(w), Ok(c)) = (whole, chunked) {
                proptest::prop_assert_eq!(w, c);
            }
        }
    }
}
