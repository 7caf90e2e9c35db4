#!/usr/bin/env python3
"""Build the committed seed corpus of every fuzz target (fuzz/seeds/<target>/) from the test
fixtures: the real-log corpus and recorded sessions (tests/data/), the sample bundles
(samples/*.ipa), the scenarios, the built-in rules, the crash-report texts of the unit tests and
the wire formats the simulator speaks. Deterministic: run it again after the fixtures change and
commit the result.

    python3 fuzz/make_seeds.py

    python3 fuzz/make_seeds.py --check    # exit 1 (and name them) if committed seeds are stale

Deterministic: the same fixtures give the same bytes under the same names (no time stamps, inputs
read in sorted order; a seed is named after what it comes from, e.g. its rule id or file, and only
seeds with no natural name after a hash of their bytes), so running it twice leaves git clean.

Seeds are only starting points for libFuzzer; nothing here is an iOS log line of our own making:
log seeds are copied from the fixtures, which cite their sources.
"""

import hashlib
import json
import pathlib
import plistlib
import re
import shutil
import struct
import sys
import tempfile
import tomllib
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "fuzz" / "seeds"
SEEDS = COMMITTED
# Targets whose seeds are made by hand and kept as they are.
KEEP = {"push_cert"}


def put(target, data, name=None):
    if isinstance(data, str):
        data = data.encode()
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()[:16]
    (d / name).write_bytes(data)


def corpus_lines():
    for line in (ROOT / "tests/data/ios-log-corpus.jsonl").read_text().splitlines():
        if line.strip():
            yield json.loads(line)["line"]


def session_lines():
    for f in ["session-syslog.log"]:
        yield from (ROOT / "tests/data" / f).read_text().splitlines()


def pmd3_entries():
    for line in (ROOT / "tests/data/session-pymobiledevice3.jsonl").read_text().splitlines():
        if line.strip():
            yield json.loads(line)


def ipa_members():
    for ipa in sorted((ROOT / "samples").glob("*.ipa")):
        with zipfile.ZipFile(ipa) as z:
            for n in sorted(z.namelist()):
                yield ipa.stem, n, z.read(n)


def raw_strings(path):
    """The r#"…"# string literals of a Rust file (test fixtures)."""
    return re.findall(r'r#"(.*?)"#', (ROOT / path).read_text(), re.S)


def os_trace_entry(e):
    """One os_trace_relay entry frame, laid out as src/device/ostrace.rs encodes it."""
    nul = lambda s: s.encode() + b"\0"
    image = nul(e.get("image_name", "").rsplit("/", 1)[-1] or "proc")
    message = nul(e.get("message", ""))
    b = bytearray(129)
    pid = e.get("pid", 1)
    b[9:13] = struct.pack("<I", pid)
    b[13:21] = struct.pack("<Q", pid)
    b[55:59] = struct.pack("<I", 1764090000)
    b[63:67] = struct.pack("<I", 123456)
    b[68] = {"NOTICE": 0, "INFO": 1, "DEBUG": 2, "ERROR": 0x10, "FAULT": 0x11}.get(e.get("level"), 0)
    b[107:109] = struct.pack("<H", len(image))
    b[109:111] = struct.pack("<H", len(message))
    label = None
    if e.get("label"):
        label = (nul(e["label"].get("subsystem", "")), nul(e["label"].get("category", "")))
        b[117:121] = struct.pack("<I", len(label[0]))
        b[121:125] = struct.pack("<I", len(label[1]))
    body = bytes(b) + nul(e.get("filename", "/usr/libexec/x")) + image + message
    if label:
        body += label[0] + label[1]
    return b"\x02" + struct.pack("<I", len(body)) + body


SDP = "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"


def superblob_slot(blob, magic):
    """The payload (after its 8-byte header) of the blob with `magic` in a code signature."""
    if not blob or len(blob) < 12 or blob[:4] != b"\xfa\xde\x0c\xc0":
        return None
    count = struct.unpack_from(">I", blob, 8)[0]
    for i in range(count):
        if 12 + 8 * i + 8 > len(blob):
            return None
        _, off = struct.unpack_from(">II", blob, 12 + 8 * i)
        if off + 8 <= len(blob) and struct.unpack_from(">I", blob, off)[0] == magic:
            length = struct.unpack_from(">I", blob, off + 4)[0]
            return blob[off + 8 : off + length]
    return None


def code_signature(macho):
    """The code signature (SuperBlob) of a thin 64-bit Mach-O, from LC_CODE_SIGNATURE."""
    if macho[:4] != b"\xcf\xfa\xed\xfe":
        return None
    ncmds = struct.unpack_from("<I", macho, 16)[0]
    off = 32
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", macho, off)
        if cmd == 0x1D:
            dataoff, datasize = struct.unpack_from("<II", macho, off + 8)
            return macho[dataoff : dataoff + datasize]
        off += size
    return None


def usbmuxd_packet(d, tag=1):
    body = plistlib.dumps(d, fmt=plistlib.FMT_XML)
    return struct.pack("<IIII", 16 + len(body), 1, 8, tag) + body


def generate():
    for d in SEEDS.iterdir() if SEEDS.exists() else []:
        if d.is_dir() and d.name not in KEEP:
            shutil.rmtree(d)

    lines = list(corpus_lines())
    sessions = list(session_lines())
    entries = list(pmd3_entries())
    for l in lines + sessions:
        put("log_line", l)
    for l in lines[:40]:
        put("sanitize", l)
    put("sanitize", "red \x1b[31mtext\x1b[0m and a bell\x07 and \\M-C\\M-)")
    for f in ["session-syslog.log", "session-pymobiledevice3.jsonl"]:
        put("log_stream", (ROOT / "tests/data" / f).read_bytes(), f)
    put("log_stream", "\n".join(lines) + "\n", "corpus-lines.log")
    put("log_rules", (ROOT / "src/logs/rules.toml").read_bytes(), "builtin-rules.toml")
    # One seed per rule (the first 29 in file order), named after its id: a new or changed rule
    # changes one seed, not the names of all of them.
    rules = re.split(r"(?m)^\[\[rule\]\]$", (ROOT / "src/logs/rules.toml").read_text())
    for r in rules[1:30]:
        text = "[[rule]]" + r
        rid = tomllib.loads(text)["rule"][0]["id"]
        put("log_rules", text, "rule-" + re.sub(r"[^A-Za-z0-9._-]", "_", rid) + ".toml")
    for s in sorted((ROOT / "scenarios").glob("*.toml")):
        put("scenario", s.read_bytes(), s.name)

    for app, name, data in ipa_members():
        tag = f"{app}-{name.replace('/', '_')}"
        if name.endswith("Info.plist"):
            put("info_plist", data, tag)
        elif name.endswith(".mobileprovision"):
            put("profile", data, tag)
        elif name.endswith(".xcprivacy"):
            put("privacy_manifest", data, tag)
        elif data[:4] == b"\xcf\xfa\xed\xfe":
            put("macho", data, tag)
            put("code_signature", data, tag)
            blob = code_signature(data)
            if blob:
                put("code_signature", blob, tag + ".superblob")
                der = superblob_slot(blob, 0xFADE7172)
                if der:
                    put("der_entitlements", der, tag + ".der")

    for path in ["src/crash/mod.rs", "src/crash/jetsam.rs"]:
        for s in raw_strings(path):
            put("crash_report", s)

    for e in entries:
        put("os_trace", os_trace_entry(e))
    put("os_trace", b"".join(os_trace_entry(e) for e in entries), "stream")
    status = plistlib.dumps({"Status": "RequestSuccessful"}, fmt=plistlib.FMT_XML)
    put("os_trace", b"\x01" + struct.pack(">I", len(status)) + status, "status")

    for f in ["session-syslog.log", "session-pymobiledevice3.jsonl"]:
        put("replay", (ROOT / "tests/data" / f).read_bytes(), f)
    for f in sorted((ROOT / "tests/data/sessions").glob("*.log")):
        put("replay", f.read_bytes(), "session-" + f.name)

    syslog = "".join(l + "\n\0" for l in sessions).encode()
    put("syslog_relay", syslog, "session")
    put("syslog_relay", b"multi\nline entry\n\0" + b"~" * 200 + b"\n\0next\n\0", "long")

    sip = [
        "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:50000;branch=z9hG4bKr1;rport\r\n"
        "From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:alice@127.0.0.1>\r\nCall-ID: r1\r\n"
        "CSeq: 1 REGISTER\r\nContact: <sip:alice@127.0.0.1:50000;transport=tcp>\r\nExpires: 600\r\n"
        "Content-Length: 0\r\n\r\n",
        "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKo1;rport\r\n"
        "From: <sip:app@127.0.0.1>;tag=o1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: o1@127.0.0.1\r\n"
        "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        "INVITE sip:alice@127.0.0.1:50000;transport=tcp SIP/2.0\r\n"
        "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKw1\r\nFrom: <sip:voipctl@127.0.0.1>;tag=w1\r\n"
        "To: <sip:alice@127.0.0.1>\r\nCall-ID: w1\r\nCSeq: 1 INVITE\r\nContact: <sip:voipctl@127.0.0.1:5060>\r\n"
        f"Content-Type: application/sdp\r\nContent-Length: {len(SDP)}\r\n\r\n{SDP}",
        "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKw1\r\n"
        "From: <sip:voipctl@127.0.0.1>;tag=w1\r\nTo: <sip:alice@127.0.0.1>;tag=app1\r\nCall-ID: w1\r\n"
        "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
        "SIP/2.0 200 OK\r\nv: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKc\r\nf: <sip:a@b>;tag=1\r\nt: <sip:a@b>\r\n"
        "i: compact\r\nCSeq: 2 OPTIONS\r\nl: 0\r\n\r\n",
    ]
    for m in sip:
        put("sip", m)

    for body in [
        '{"reason":"BadDeviceToken"}',
        '{"reason":"Unregistered","timestamp":1700000000000}',
        '{"reason":"TooManyProviderTokenUpdates"}',
        '{"reason":"ExpiredProviderToken"}',
        "GOAWAY reason: Shutdown",
    ]:
        put("push_error_body", body)
    token = "a" * 64
    put("push_tokens", f"{token}\n# comment\n{'0123456789abcdef' * 4}\n\n")
    put("push_tokens", '{"aps":{"alert":"x"},"call":{"id":"1"}}')

    for a in ["UNIX:/var/run/usbmuxd", "/var/run/usbmuxd", "127.0.0.1:27015", "[::1]:27015", "localhost:27015"]:
        put("usbmuxd_address", a)

    for d in [
        {"MessageType": "ListDevices", "ClientVersionString": "voipctl", "ProgName": "voipctl", "kLibUSBMuxVersion": 3},
        {"MessageType": "Listen", "ClientVersionString": "voipctl", "ProgName": "voipctl", "kLibUSBMuxVersion": 3},
        {"MessageType": "Connect", "DeviceID": 1, "PortNumber": 0x7EF2, "ProgName": "voipctl"},
        {"MessageType": "ReadPairRecord", "PairRecordID": "00008110-000A1B2C3D4E5F6A"},
        {"MessageType": "ReadBUID"},
    ]:
        put("usbmuxd_request", usbmuxd_packet(d))

    for d in [
        {"Request": "QueryType", "Label": "voipctl"},
        {"Request": "GetValue", "Key": "ProductVersion", "Label": "voipctl"},
        {"Request": "GetValue", "Domain": "com.apple.disk_usage", "Label": "voipctl"},
        {"Request": "StartSession", "HostID": "HOST", "SystemBUID": "BUID", "Label": "voipctl"},
        {"Request": "StartService", "Service": "com.apple.syslog_relay", "Label": "voipctl"},
        {
            "CFBundleIdentifier": "com.example.call",
            "CFBundleDisplayName": "Example Call",
            "CFBundleShortVersionString": "7.1.0",
            "UIBackgroundModes": ["audio", "voip"],
            "Entitlements": {"aps-environment": "production"},
        },
    ]:
        put("lockdown_request", plistlib.dumps(d, fmt=plistlib.FMT_XML))
        put("lockdown_request", plistlib.dumps(d, fmt=plistlib.FMT_BINARY))

    # XCFramework signature receipts (Signatures/*.signature of an exported .ipa): the keys of
    # Swift Build's CodeSignatureInfo; the unsigned one as blokadaorg/blokada#1137 quotes it.
    for d in [
        {"signed": False, "isSecureTimestamp": False,
         "metadata": {"library": "sqflite_darwin.framework", "platform": "ios"}},
        {"signed": True, "isSecureTimestamp": False, "signatureType": "AppleDeveloperProgram",
         "signatureIdentifier": "EQHXZ8M8AV", "cdhashes": [b"\x01" * 20], "certificates": [b"0"],
         "metadata": {"library": "Lottie.framework", "platform": "ios"}},
    ]:
        put("sdk_signature", plistlib.dumps(d, fmt=plistlib.FMT_XML))
        put("sdk_signature", plistlib.dumps(d, fmt=plistlib.FMT_BINARY))


def files(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def main():
    global SEEDS
    if sys.argv[1:] == ["--check"]:
        with tempfile.TemporaryDirectory() as tmp:
            SEEDS = pathlib.Path(tmp)
            for k in KEEP:
                if (COMMITTED / k).is_dir():
                    shutil.copytree(COMMITTED / k, SEEDS / k)
            generate()
            want, have = files(SEEDS), files(COMMITTED)
        stale = sorted(str(p) for p in want.keys() | have.keys() if want.get(p) != have.get(p))
        for p in stale:
            print(f"stale: fuzz/seeds/{p}", file=sys.stderr)
        if stale:
            print("run python3 fuzz/make_seeds.py and commit fuzz/seeds", file=sys.stderr)
            sys.exit(1)
        print("fuzz/seeds is current")
        return
    if sys.argv[1:]:
        sys.exit("usage: python3 fuzz/make_seeds.py [--check]")
    generate()
    for d in sorted(SEEDS.iterdir()):
        print(f"{d.name}: {len(list(d.iterdir()))} seeds")


if __name__ == "__main__":
    main()
