//! Writes the sample bundles under `samples/` (a test checks the committed files are current):
//!
//!     cargo run --example gen_samples            # samples/Legacy.ipa, samples/Phone.ipa
//!     cargo run --release --example gen_samples -- --bench OUT.ipa [EXE_MB] [TOTAL_MB] [SDK_MB]
//!
//! `--bench` writes a large .ipa for `benches/check.sh`: a good app whose main executable has
//! EXE_MB (default 60) MB of compressible "code", SDK_MB (default 0) MB of embedded frameworks
//! under `Frameworks/` (five SDKs, one linking PushKit and CallKit, each with a privacy manifest),
//! plus resource files up to TOTAL_MB (default 300).

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/fixture/mod.rs"]
mod fixture;

use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--bench") {
        let out = args.get(1).cloned().unwrap_or_else(|| "bench.ipa".into());
        let exe_mb: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(60);
        let total_mb: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(300);
        let sdk_mb: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(0);
        bench(&out, exe_mb, total_mb, sdk_mb);
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in fixture::samples() {
        std::fs::write(dir.join(name), bytes).unwrap();
        println!("wrote samples/{name}");
    }
}

/// The benchmark's SDK names (the fifth links PushKit and CallKit).
pub const SDKS: [&str; 5] = ["Analytics", "Networking", "WebRTC", "Crash", "VoipSDK"];

fn bench(out: &str, exe_mb: usize, total_mb: usize, sdk_mb: usize) {
    let mut app = fixture::good_app();
    let mut m = fixture::Macho {
        dylibs: vec![
            (fixture::UIKIT, false),
            (fixture::PUSHKIT, false),
            (fixture::CALLKIT, false),
        ],
        strings: vec![
            "PKPushRegistry",
            "reportNewIncomingCallWithUUID:update:completion:",
        ],
        filler: exe_mb << 20,
        ..fixture::Macho::default()
    };
    m.entitlements = Some(Some(fixture::ents_xml(&fixture::good_ents(
        "com.example.phone",
    ))));
    app.exe = Some(("Phone".into(), m.build()));
    if sdk_mb > 0 {
        let each = (sdk_mb << 20) / SDKS.len();
        for (i, name) in SDKS.iter().enumerate() {
            let mut dylibs = vec![(fixture::UIKIT, false)];
            if i == SDKS.len() - 1 {
                dylibs.extend([(fixture::PUSHKIT, false), (fixture::CALLKIT, false)]);
            }
            let fw = fixture::Macho {
                dylibs,
                strings: vec!["x", "_OBJC_CLASS_$_NSUserDefaults"],
                filler: each,
                ..fixture::Macho::default()
            };
            let dir = format!("Frameworks/{name}.framework");
            let info = fixture::dict(&[
                ("CFBundleExecutable", fixture::s(name)),
                ("CFBundlePackageType", fixture::s("FMWK")),
            ]);
            app.extra
                .push((format!("{dir}/Info.plist"), fixture::binary(&info)));
            app.extra.push((format!("{dir}/{name}"), fw.build()));
            app.extra.push((
                format!("{dir}/PrivacyInfo.xcprivacy"),
                fixture::manifest(&[("NSPrivacyAccessedAPICategoryUserDefaults", &["C56D.1"])]),
            ));
        }
    }
    let file = std::fs::File::create(out).unwrap();
    let mut w = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let deflate = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    let stored = deflate.compression_method(zip::CompressionMethod::Stored);
    let mut written = 0usize;
    for (name, bytes) in app.all_files() {
        w.start_file(format!("Payload/{name}"), deflate).unwrap();
        w.write_all(&bytes).unwrap();
        written += bytes.len() / 2;
    }
    // Resources: already-compressed media, stored as-is (as in real apps).
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut i = 0;
    let chunk = 4 << 20;
    while written < total_mb << 20 {
        w.start_file(format!("Payload/Phone.app/Assets/media{i:03}.bin"), stored)
            .unwrap();
        let mut buf = vec![0u8; chunk];
        for b in buf.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b.copy_from_slice(&x.to_le_bytes()[..b.len()]);
        }
        w.write_all(&buf).unwrap();
        written += chunk;
        i += 1;
    }
    w.finish().unwrap();
    eprintln!("wrote {out}");
}
