//! Extract the subject and SubjectPublicKeyInfo (contents, without their outer SEQUENCE headers,
//! as webpki wants them) from the CA certificate named by $BENCH_CA_DER.
use std::io::Write;

fn tlv(b: &[u8]) -> (u8, usize, usize) {
    // (tag, header length, content length)
    let tag = b[0];
    let l0 = b[1] as usize;
    if l0 < 0x80 {
        (tag, 2, l0)
    } else {
        let n = l0 & 0x7f;
        let len = b[2..2 + n].iter().fold(0usize, |a, &x| (a << 8) | x as usize);
        (tag, 2 + n, len)
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed=BENCH_CA_DER");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("anchor.rs");
    let (subject, spki) = match std::env::var("BENCH_CA_DER") {
        Ok(path) => {
            println!("cargo:rerun-if-changed={path}");
            let der = std::fs::read(&path).expect("BENCH_CA_DER");
            let (_, h, _) = tlv(&der); // Certificate
            let tbs = &der[h..];
            let (_, h, _) = tlv(tbs); // TBSCertificate
            let mut p = &tbs[h..];
            let mut fields = Vec::new();
            while fields.len() < 7 && !p.is_empty() {
                let (tag, h, l) = tlv(p);
                fields.push((tag, &p[h..h + l]));
                p = &p[h + l..];
            }
            // [0] version, serial, signature, issuer, validity, subject, spki
            let off = if fields[0].0 == 0xa0 { 1 } else { 0 };
            (fields[4 + off].1.to_vec(), fields[5 + off].1.to_vec())
        }
        Err(_) => (Vec::new(), Vec::new()),
    };
    let mut f = std::fs::File::create(out).unwrap();
    writeln!(f, "const SUBJECT: &[u8] = &{subject:?};").unwrap();
    writeln!(f, "const SPKI: &[u8] = &{spki:?};").unwrap();
}
