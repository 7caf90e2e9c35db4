//! Decoder tests: one per format, auto-detection, stamps, vis(3), and proptests.

#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn idevicesyslog_line() {
    let e = decode_line(
        // synthetic: decoder/plumbing input (prefix splitting, escapes), no verdict asserted
        "Nov 25 17:09:56 iPhone SpringBoard(FrontBoard)[58] <Notice>: Bootstrapping com.example.voip with intent background",
    );
    assert_eq!(e.format, Format::Syslog);
    assert_eq!(e.process, "SpringBoard");
    assert_eq!(e.image.as_deref(), Some("FrontBoard"));
    assert_eq!(e.pid, Some(58));
    assert_eq!(e.level, Some(Level::Notice));
    assert_eq!(
        e.message,
        "Bootstrapping com.example.voip with intent background"
    );
    assert_eq!(e.time_text, "Nov 25 17:09:56");
}

#[test]
fn idevicesyslog_line_without_the_device_name() {
    let e = decode_line(
        "Nov 25 19:23:28 legacyphone(CFNetwork)[412] <Notice>: VOIPCTL keepalive.begin",
    );
    assert_eq!(e.format, Format::Syslog);
    assert_eq!(e.process, "legacyphone");
    assert_eq!(e.image.as_deref(), Some("CFNetwork"));
    assert_eq!(e.pid, Some(412));
    assert_eq!(e.message, "VOIPCTL keepalive.begin");
    let e = decode_line("Nov  5 09:03:01 SpringBoard[57] <Notice>: Process exited");
    assert_eq!((e.format, e.pid), (Format::Syslog, Some(57)));
    assert_eq!(e.process, "SpringBoard");
}

#[test]
fn syslog_day_is_space_padded_and_process_may_have_spaces() {
    let e = decode_line("Jan  5 01:02:03 Bobs-iPhone My App[321] <Error>: hello [x]: y");
    assert_eq!(e.process, "My App");
    assert_eq!(e.pid, Some(321));
    assert_eq!(e.message, "hello [x]: y");
    assert_eq!(e.time.unwrap().secs, 4.0 * 86400.0 + 3723.0);
}

#[test]
fn syslogd_without_level() {
    let e = decode_line("May 27 07:34:41 iPhone kernel[0]: memorystatus: killing_top_process");
    assert_eq!(e.process, "kernel");
    assert_eq!(e.level, None);
    assert_eq!(e.message, "memorystatus: killing_top_process");
}

#[test]
fn vis_escapes_are_decoded() {
    assert_eq!(unvis("caf\\M-C\\M-)"), "café");
    assert_eq!(unvis("\\M-b\\M^@\\M^Y"), "\u{2019}");
    assert_eq!(unvis("a\\^Ib"), "a\tb");
    assert_eq!(unvis("\\303\\251"), "é");
    assert_eq!(unvis("plain \\ backslash \\x"), "plain \\ backslash \\x");
    assert_eq!(unvis("\\M-"), "\\M-");
    // invalid UTF-8 after unescaping does not panic
    assert_eq!(unvis("\\M-\\"), "\u{fffd}");
}

#[test]
fn pymobiledevice3_text_and_json() {
    let e = decode_line(
        // synthetic: decoder/plumbing input (prefix splitting, escapes), no verdict asserted
        "2026-02-21 21:22:45.272141 callservicesd{CallKit}[97] <NOTICE>: Delivering 1 VoIP payload(s) to application com.x",
    );
    assert_eq!(e.format, Format::Pymobiledevice3);
    assert_eq!(e.process, "callservicesd");
    assert_eq!(e.image.as_deref(), Some("CallKit"));
    let j = r#"{"pid": 97, "procid": 1, "thread_id": 2, "timestamp": "2024-01-02T03:04:05.250000", "level": "NOTICE", "image_name": "/System/Library/Frameworks/CallKit.framework/CallKit", "image_offset": 1, "image_uuid": null, "process_image_uuid": null, "filename": "/usr/libexec/callservicesd", "mach_timestamp": 5, "message": "Successfully opened \"application\"", "label": {"subsystem": "com.apple.calls.callservicesd", "category": "Default"}}"#;
    let e = decode_line(j);
    assert_eq!(e.format, Format::Pymobiledevice3Json);
    assert_eq!(e.process, "callservicesd");
    assert_eq!(e.image.as_deref(), Some("CallKit"));
    assert_eq!(e.message, "Successfully opened \"application\"");
    assert_eq!(
        e.subsystem.as_deref(),
        Some("com.apple.calls.callservicesd")
    );
    assert_eq!(e.level, Some(Level::Notice));
    assert!((e.time.unwrap().secs - 1_704_164_645.25).abs() < 1e-6);
}

#[test]
fn xcode_console() {
    let e = decode_line(
        "2019-10-22 12:51:29.183432+0200 MyApp[1234:567890] Killing app because it never posted an incoming call to the system after receiving a PushKit VoIP push.",
    );
    assert_eq!(e.format, Format::Xcode);
    assert_eq!(e.process, "MyApp");
    assert_eq!(e.pid, Some(1234));
    assert!(e.message.starts_with("Killing app"));
    let t = e.time.unwrap();
    assert_eq!(t.scale, Scale::Unix);
    assert!((t.secs - (1_571_741_489.183_432)).abs() < 1e-3);
}

#[test]
fn log_show_default_and_compact() {
    let e = decode_line(
        // synthetic: decoder/plumbing input (prefix splitting, escapes), no verdict asserted
        "2021-03-12 10:52:51.123456+0100 0x1a2b     Default     0x0                  123    0    callservicesd: (CallKit) [com.apple.calls.callkit:Default] Delivering 1 VoIP payload(s) to application com.x",
    );
    assert_eq!(e.format, Format::LogShow);
    assert_eq!(e.process, "callservicesd");
    assert_eq!(e.pid, Some(123));
    assert_eq!(e.image.as_deref(), Some("CallKit"));
    assert_eq!(e.category.as_deref(), Some("Default"));
    assert_eq!(
        e.message,
        "Delivering 1 VoIP payload(s) to application com.x"
    );
    let e = decode_line(
        // synthetic: decoder/plumbing input (prefix splitting, escapes), no verdict asserted
        "2021-03-12 10:52:51.123 Df callservicesd[123:1a2b] [com.apple.calls:Default] Successfully opened application",
    );
    assert_eq!(e.format, Format::LogShow);
    assert_eq!(e.pid, Some(123));
    assert_eq!(e.message, "Successfully opened application");
}

#[test]
fn console_copy() {
    let e = decode_line(
        // synthetic: decoder/plumbing input (prefix splitting, escapes), no verdict asserted
        "default\t17:09:56.123456+0100\tSpringBoard\tBootstrapping com.x with intent background",
    );
    assert_eq!(e.format, Format::Console);
    assert_eq!(e.process, "SpringBoard");
    assert_eq!(e.message, "Bootstrapping com.x with intent background");
    let e = decode_line(
        // synthetic: decoder/plumbing input (prefix splitting, escapes), no verdict asserted
        "error\t2020-05-01 17:09:56.123+0000\tcallservicesd\tcom.apple.calls\tDefault\tmsg\twith tab",
    );
    assert_eq!(e.subsystem.as_deref(), Some("com.apple.calls"));
    assert_eq!(e.message, "msg\twith tab");
}

#[test]
fn jailbreak_syslog() {
    // github.com/SniperGER/Redstone/issues/33 (2017, a jailbroken iPhone), as posted.
    let e = decode_line(
        "Mon Jun  5 13:41:52 2017: SpringBoard (com.apple.springboard): AppList: Added -[SBApplication displayIdentifier] for compatibility purposes",
    );
    assert_eq!(e.format, Format::Jailbreak);
    assert_eq!(e.process, "SpringBoard");
    assert_eq!(e.image.as_deref(), Some("com.apple.springboard"));
    assert!(e.message.starts_with("AppList: Added"));
    let t = e.time.unwrap();
    assert_eq!(t.scale, Scale::Unix);
    // 2017-06-05 13:41:52 (the line's own year; no zone: read as UTC)
    assert!((t.secs - 1_496_670_112.0).abs() < 1.0, "{}", t.secs);
}

#[test]
fn recording_line_wraps_syslog() {
    let e = decode_line(
        r#"{"t":1764090596.5,"line":"Nov 25 17:09:56 iPhone SpringBoard[58] <Notice>: hi \\M-C\\M-)"}"#,
    );
    assert_eq!(e.format, Format::Recording);
    assert_eq!(e.process, "SpringBoard");
    assert_eq!(e.message, "hi é");
    // The line's own (device) time, put in the receive time's year.
    assert_eq!(e.time.unwrap().secs, 1764090596.0);
    assert_eq!(e.time_text, "2025-11-25 17:09:56.000");
    let e = decode_line(
        r#"{"t":1764090596.25,"pid":7,"process":"callservicesd","level":"error","subsystem":"com.apple.calls","message":"Successfully opened application"}"#,
    );
    assert_eq!(e.process, "callservicesd");
    assert_eq!(e.level, Some(Level::Error));
    assert_eq!(e.subsystem.as_deref(), Some("com.apple.calls"));
    assert_eq!(e.time.unwrap().secs, 1764090596.25);
    let e = decode_line(r#"{"voipctl_recording":1,"udid":"x"}"#);
    assert_eq!(e.format, Format::Recording);
}

#[test]
fn year_less_stamps_are_anchored_to_the_nearest_year() {
    let jan_2026 = 1_767_225_600.0 + 3600.0; // 2026-01-01 01:00 UTC
    let dec31 = syslog_stamp("Dec 31 23:59:00 h p[1]: m").unwrap().0;
    // A December line read just after New Year is last year's.
    assert_eq!(dec31.anchored(jan_2026).secs, 1_767_225_600.0 - 60.0);
    let mar1 = syslog_stamp("Mar  1 00:00:00 h p[1]: m").unwrap().0;
    let ref_2028 = 1_835_000_000.0; // 2028-02-24, a leap year
    assert_eq!(
        format_unix(mar1.anchored(ref_2028).secs),
        "2028-03-01 00:00:00.000"
    );
    let day = Stamp {
        secs: 3600.0,
        scale: Scale::DayRelative,
    };
    assert_eq!(day.anchored(jan_2026).secs, 1_767_225_600.0 + 3600.0);
}

#[test]
fn bare_lines() {
    let e = decode_line("Termination Reason: Namespace SPRINGBOARD, Code 0xbaadca11");
    assert_eq!(e.format, Format::Bare);
    assert_eq!(
        e.message,
        "Termination Reason: Namespace SPRINGBOARD, Code 0xbaadca11"
    );
}

proptest::proptest! {
    #[test]
    fn decoding_never_panics(s in "\\PC{0,200}") {
        let mut d = Decoder::new();
        let _ = d.decode(&s);
    }

    #[test]
    fn decoding_syslog_shaped_noise_never_panics(
        host in "[a-zA-Z-]{0,8}", proc_ in "[ -~]{0,20}", pid in "[0-9a-z]{0,11}", msg in "[ -~]{0,60}"
    ) {
        let line = format!("Nov  5 12:34:56 {host} {proc_}[{pid}] <Notice>: {msg}");
        let e = decode_line(&line);
        if e.format == Format::Syslog {
            proptest::prop_assert!(e.message.len() <= msg.len() + line.len());
        }
    }

    #[test]
    fn unvis_is_identity_without_backslashes(s in "[^\\\\]{0,100}") {
        proptest::prop_assert_eq!(unvis(&s), s.as_str());
    }

    #[test]
    fn unvis_roundtrips_meta_bytes(bytes in proptest::collection::vec(0x80u8..=0xff, 0..40)) {
        let mut escaped = String::new();
        for b in &bytes {
            let c = b & 0x7f;
            if c < 0x20 || c == 0x7f {
                escaped.push_str("\\M^");
                escaped.push(if c == 0x7f { '?' } else { (c + 0x40) as char });
            } else {
                escaped.push_str("\\M-");
                escaped.push(c as char);
            }
        }
        proptest::prop_assert_eq!(unvis(&escaped).into_owned(), String::from_utf8_lossy(&bytes).into_owned());
    }
}
