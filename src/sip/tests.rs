#![allow(clippy::unwrap_used)]

use super::*;
use proptest::prelude::*;

const OPTIONS: &[u8] = b"OPTIONS sip:kamailio@127.0.0.1:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKabc;rport\r\n\
Max-Forwards: 70\r\n\
f: <sip:voipctl@127.0.0.1>;tag=1234\r\n\
t: <sip:kamailio@127.0.0.1>\r\n\
i: abc@voipctl\r\n\
CSeq: 7 OPTIONS\r\n\
Subject: folded\r\n  across\r\n\tlines\r\n\
l: 4\r\n\
\r\n\
bodyEXTRA";

#[test]
fn parses_compact_folded_datagram_and_drops_trailing_bytes() {
    let m = parse_message(OPTIONS).unwrap();
    assert_eq!(m.method(), Some("OPTIONS"));
    assert_eq!(m.header("Call-ID"), Some("abc@voipctl"));
    assert_eq!(m.header("from"), Some("<sip:voipctl@127.0.0.1>;tag=1234"));
    assert_eq!(m.header("Subject"), Some("folded across lines"));
    assert_eq!(m.cseq(), Some((7, "OPTIONS")));
    assert_eq!(m.top_branch(), Some("z9hG4bKabc"));
    assert_eq!(m.body, b"body");
    assert_eq!(tag_of(m.header("From").unwrap()), Some("1234"));
    assert_eq!(tag_of(m.header("To").unwrap()), None);
}

#[test]
fn parses_status_lines() {
    let m = parse_message(b"SIP/2.0 486 Busy Here\r\nContent-Length: 0\r\n\r\n").unwrap();
    assert_eq!(m.status(), Some(486));
    assert_eq!(m.summary_line(), "486 Busy Here");
    let m = parse_message(b"SIP/2.0 200 \r\n\r\n").unwrap();
    assert_eq!(m.status(), Some(200));
    for bad in [
        &b"SIP/2.0 99 Low\r\n\r\n"[..],
        b"SIP/2.0 1000 High\r\n\r\n",
        b"SIP/3.0 200 OK\r\n\r\n",
        b"OPTIONS sip:x HTTP/1.1\r\n\r\n",
        b"OPTIONS\r\n\r\n",
        b"GET / SIP/2.0 extra\r\n\r\n",
        b"OPTIONS sip:x SIP/2.0\r\nno colon here\r\n\r\n",
        b"OPTIONS sip:x SIP/2.0\r\n folded-first\r\n\r\n",
        b"OPTIONS sip:x SIP/2.0\r\nContent-Length: -1\r\n\r\n",
        b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab",
        b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 10\r\n\r\nshort",
        b"OPTIONS sip:x SIP/2.0\r\nVia: x\r\n",
    ] {
        assert!(
            parse_message(bad).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn multibyte_start_line_is_an_error_not_a_panic() {
    assert!(parse_message("\u{5d0}\u{5e9}\r\n\r\n".as_bytes()).is_err());
    assert!(parse_message("S\u{5e9}P/2.0 200 OK\r\n\r\n".as_bytes()).is_err());
}

#[test]
fn limits_are_enforced_before_buffering() {
    let limits = Limits {
        max_head: 256,
        max_body: 100,
        max_headers: 4,
    };
    let mut huge = b"OPTIONS sip:x SIP/2.0\r\nX: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 1000));
    assert!(matches!(
        parse_datagram(&huge, &limits),
        Err(ParseError::HeadTooLarge { .. })
    ));
    let mut f = Framer::new(limits);
    f.push(&huge).unwrap();
    assert!(matches!(
        f.next_frame(),
        Err(ParseError::HeadTooLarge { .. })
    ));
    let big_body = b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 4000000000\r\n\r\n";
    let mut f = Framer::new(limits);
    f.push(big_body).unwrap();
    assert!(matches!(
        f.next_frame(),
        Err(ParseError::BodyTooLarge { .. })
    ));
    let many = b"OPTIONS sip:x SIP/2.0\r\na: 1\r\nb: 1\r\nc: 1\r\nd: 1\r\ne: 1\r\n\r\n";
    assert!(matches!(
        parse_datagram(many, &limits),
        Err(ParseError::TooManyHeaders { .. })
    ));
    let mut f = Framer::new(limits);
    let flood = vec![b'x'; limits.max_buffer() + 1];
    assert!(matches!(f.push(&flood), Err(ParseError::BufferFull { .. })));
}

#[test]
fn framer_handles_many_messages_per_read_and_keepalives() {
    let one = b"SIP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    let mut stream = b"\r\n\r\n".to_vec();
    stream.extend_from_slice(one);
    stream.extend_from_slice(b"\r\n");
    stream.extend_from_slice(one);
    let mut f = Framer::new(Limits::default());
    f.push(&stream).unwrap();
    assert_eq!(f.next_frame().unwrap(), Some(Frame::Ping));
    assert!(matches!(f.next_frame().unwrap(), Some(Frame::Message(m)) if m.body == b"hi"));
    assert_eq!(f.next_frame().unwrap(), Some(Frame::Pong));
    assert!(matches!(f.next_frame().unwrap(), Some(Frame::Message(_))));
    assert_eq!(f.next_frame().unwrap(), None);
    assert_eq!(f.buffered(), 0);
    f.push(b"\r\n").unwrap();
    assert_eq!(f.next_frame().unwrap(), None);
    assert!(f.lone_crlf_pending());
    assert_eq!(f.take_pong(), Some(Frame::Pong));
}

#[test]
fn builders_set_the_identifiers() {
    let ids = Ids::new();
    let spec = RequestSpec {
        method: "INVITE".into(),
        request_uri: "sip:app@127.0.0.1:5060".into(),
        from: "sip:voipctl@127.0.0.1".into(),
        to: "sip:app@127.0.0.1".into(),
        to_tag: None,
        ids: ids.clone(),
        via: ViaSpec {
            transport: Transport::Tcp,
            sent_by: "127.0.0.1:1234".into(),
            branch: new_branch(),
            rport: true,
        },
        contact: Some("sip:voipctl@127.0.0.1:1234;transport=tcp".into()),
        max_forwards: 70,
        user_agent: Some("voipctl".into()),
        content_type: Some("application/sdp".into()),
        body: sdp_offer("127.0.0.1".parse().unwrap(), 4000, 1).into_bytes(),
        extra: vec![],
    };
    let m = build_request(&spec);
    let wire = m.to_bytes();
    let back = parse_message(&wire).unwrap();
    assert_eq!(back, m);
    let branch = back.top_branch().unwrap();
    assert!(branch.starts_with(MAGIC_COOKIE) && branch.len() == 23);
    assert!(back.header("Via").unwrap().ends_with(";rport"));
    assert_eq!(
        tag_of(back.header("From").unwrap()),
        Some(ids.from_tag.as_str())
    );
    assert_eq!(back.header("Max-Forwards"), Some("70"));
    assert_eq!(
        back.header("Content-Length").unwrap(),
        spec.body.len().to_string()
    );

    let ringing = response_to(&m, 180, "Ringing", "t1");
    let busy = response_to(&m, 486, "Busy Here", "t1");
    assert!(matches_transaction(branch, "INVITE", &ringing));
    assert!(matches_transaction(branch, "INVITE", &busy));
    assert!(!matches_transaction(branch, "CANCEL", &busy));
    assert!(!matches_transaction("z9hG4bKother", "INVITE", &busy));
    assert_eq!(tag_of(busy.header("To").unwrap()), Some("t1"));
    let ack = ack_for(&m, &busy, None);
    assert_eq!(ack.top_branch(), Some(branch));
    assert_eq!(ack.cseq(), Some((1, "ACK")));
    assert_eq!(tag_of(ack.header("To").unwrap()), Some("t1"));
    let ack2 = ack_for(&m, &busy, Some("z9hG4bKnew"));
    assert_eq!(ack2.top_branch(), Some("z9hG4bKnew"));
    let cancel = cancel_for(&m);
    assert_eq!(cancel.top_branch(), Some(branch));
    assert_eq!(cancel.cseq(), Some((1, "CANCEL")));
}

#[test]
fn tokens_are_unique_and_sized() {
    let mut seen = std::collections::HashSet::new();
    for _ in 0..10_000 {
        let t = random_token(8);
        assert_eq!(t.len(), 16);
        assert!(t.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(seen.insert(t));
    }
    assert_eq!(random_token(12).len(), 24);
}

#[test]
fn encoder_keeps_one_true_content_length() {
    let mut m = Message::request("MESSAGE", "sip:x");
    m.push("l", "999");
    m.push("Content-Length", "5");
    m.body = b"abc".to_vec();
    let wire = m.to_bytes();
    let text = String::from_utf8(wire.clone()).unwrap();
    assert!(text.contains("l: 3\r\n") && !text.contains("Content-Length"));
    assert_eq!(parse_message(&wire).unwrap().body, b"abc");
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9.!%*_+`'~-]{0,12}"
}

fn message() -> impl Strategy<Value = Message> {
    let start = prop_oneof![
        (token(), "sip:[a-z0-9@.:;=]{1,30}")
            .prop_map(|(method, uri)| StartLine::Request { method, uri }),
        (100u16..700, "[A-Za-z0-9 ]{0,20}").prop_map(|(code, reason)| StartLine::Response {
            code,
            reason: reason.trim().to_string()
        }),
    ];
    let header = (token(), "[ -~]{0,40}").prop_filter_map("no content-length", |(n, v)| {
        (!canonical_name(&n).eq_ignore_ascii_case("Content-Length"))
            .then(|| Header::new(n, v.trim()))
    });
    (
        start,
        proptest::collection::vec(header, 0..12),
        proptest::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|(start, headers, body)| Message {
            start,
            headers,
            body,
        })
}

fn without_length(m: &Message) -> Vec<Header> {
    m.headers
        .iter()
        .filter(|h| !canonical_name(&h.name).eq_ignore_ascii_case("Content-Length"))
        .cloned()
        .collect()
}

proptest! {
    #[test]
    fn encode_parse_round_trip(m in message()) {
        let wire = encode(&m);
        let back = parse_message(&wire).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back.start, &m.start);
        prop_assert_eq!(&back.body, &m.body);
        prop_assert_eq!(without_length(&back), m.headers.clone());
        prop_assert_eq!(encode(&back), wire);
    }

    #[test]
    fn stream_framing_is_independent_of_read_sizes(
        msgs in proptest::collection::vec(message(), 1..5),
        cuts in proptest::collection::vec(1usize..64, 1..40),
    ) {
        let mut stream = Vec::new();
        for m in &msgs {
            stream.extend_from_slice(b"\r\n\r\n");
            stream.extend_from_slice(&encode(m));
        }
        let mut f = Framer::new(Limits::default());
        let mut got = Vec::new();
        let mut rest = &stream[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = cuts[i % cuts.len()].min(rest.len());
            i += 1;
            f.push(&rest[..n]).map_err(|e| TestCaseError::fail(e.to_string()))?;
            rest = &rest[n..];
            while let Some(frame) = f.next_frame().map_err(|e| TestCaseError::fail(e.to_string()))? {
                got.push(frame);
            }
        }
        let messages: Vec<&Message> = got.iter().filter_map(|fr| match fr { Frame::Message(m) => Some(m), _ => None }).collect();
        prop_assert_eq!(messages.len(), msgs.len());
        for (a, b) in messages.iter().zip(&msgs) {
            prop_assert_eq!(&a.body, &b.body);
            prop_assert_eq!(&a.start, &b.start);
        }
        prop_assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse_message(&bytes);
        let mut f = Framer::new(Limits { max_head: 128, max_body: 128, max_headers: 8 });
        if f.push(&bytes).is_ok() {
            while let Ok(Some(_)) = f.next_frame() {}
        }
    }
}
