//! Entitlements in the DER form of the code signature (blob magic `0xfade7172`, slot 7), which
//! iOS 15 and later read instead of the XML blob ("Using the latest code signature format",
//! <https://developer.apple.com/documentation/xcode/using-the-latest-code-signature-format>).
//!
//! Layout, as `codesign --generate-entitlement-der` writes it: `[APPLICATION 16] { INTEGER 1,
//! dict }` where a dict is `[CONTEXT 16] { SEQUENCE { UTF8String key, value }… }` and a value is a
//! BOOLEAN, INTEGER, UTF8String, SEQUENCE (array) or dict. Some signers write the top-level dict
//! as a SET of the same entries. Every length is checked against the bytes; nesting is bounded.

/// Most nesting of arrays and dictionaries accepted (real entitlements: 3).
const MAX_DEPTH: usize = 32;

/// Why DER entitlements could not be read.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DerError {
    /// The bytes end inside an element.
    #[error("DER entitlements end inside an element at offset {0}")]
    Truncated(usize),
    /// A tag the format does not use, or in a place it does not belong.
    #[error("unexpected DER tag {tag:#04x} at offset {at} (expected {expected})")]
    Tag {
        /// The tag found.
        tag: u8,
        /// Where.
        at: usize,
        /// What was expected.
        expected: &'static str,
    },
    /// A length form DER does not allow (indefinite, or longer than 4 bytes).
    #[error("bad DER length at offset {0}")]
    Length(usize),
    /// Nested deeper than any real entitlements.
    #[error("DER entitlements nest deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// An INTEGER that does not fit in 64 bits, or a BOOLEAN that is not one byte.
    #[error("bad DER value at offset {0}")]
    Value(usize),
    /// A string that is not UTF-8.
    #[error("a DER string at offset {0} is not UTF-8")]
    Utf8(usize),
    /// Bytes left after the top-level element.
    #[error("{0} bytes after the DER entitlements")]
    Trailing(usize),
}

struct Tlv<'a> {
    tag: u8,
    at: usize,
    body: &'a [u8],
    /// Offset of `body` in the whole input.
    body_at: usize,
}

/// Read one TLV from `b` (which starts at `base` in the whole input); returns it and the rest.
fn tlv(b: &[u8], base: usize) -> Result<(Tlv<'_>, &[u8]), DerError> {
    let tag = *b.first().ok_or(DerError::Truncated(base))?;
    if tag & 0x1f == 0x1f {
        // High tag numbers are never used by the format.
        return Err(DerError::Tag {
            tag,
            at: base,
            expected: "a low tag number",
        });
    }
    let first = *b.get(1).ok_or(DerError::Truncated(base + 1))?;
    let (len, hdr) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return Err(DerError::Length(base + 1));
        }
        let bytes = b.get(2..2 + n).ok_or(DerError::Truncated(base + 2))?;
        let len = bytes.iter().fold(0usize, |a, &x| (a << 8) | usize::from(x));
        (len, 2 + n)
    };
    let end = hdr.checked_add(len).ok_or(DerError::Length(base + 1))?;
    let body = b.get(hdr..end).ok_or(DerError::Truncated(base + hdr))?;
    Ok((
        Tlv {
            tag,
            at: base,
            body,
            body_at: base + hdr,
        },
        &b[end..],
    ))
}

/// Parse DER entitlements (the blob's payload, after its 8-byte header) into a dictionary.
pub fn parse(b: &[u8]) -> Result<plist::Dictionary, DerError> {
    let (top, rest) = tlv(b, 0)?;
    if !rest.is_empty() {
        return Err(DerError::Trailing(rest.len()));
    }
    match top.tag {
        // [APPLICATION 16] constructed: version, then the dictionary.
        0x70 => {
            let (version, rest) = tlv(top.body, top.body_at)?;
            if version.tag != 0x02 {
                return Err(DerError::Tag {
                    tag: version.tag,
                    at: version.at,
                    expected: "the INTEGER version",
                });
            }
            let at = top.body_at + (top.body.len() - rest.len());
            let (dict, tail) = tlv(rest, at)?;
            if !tail.is_empty() {
                return Err(DerError::Trailing(tail.len()));
            }
            if dict.tag != 0xb0 {
                return Err(DerError::Tag {
                    tag: dict.tag,
                    at: dict.at,
                    expected: "a dictionary",
                });
            }
            entries(dict.body, dict.body_at, 0)
        }
        // A SET of entries.
        0x31 => entries(top.body, top.body_at, 0),
        tag => Err(DerError::Tag {
            tag,
            at: 0,
            expected: "[APPLICATION 16] or SET",
        }),
    }
}

fn entries(mut b: &[u8], mut at: usize, depth: usize) -> Result<plist::Dictionary, DerError> {
    if depth > MAX_DEPTH {
        return Err(DerError::TooDeep);
    }
    let mut d = plist::Dictionary::new();
    while !b.is_empty() {
        let (entry, rest) = tlv(b, at)?;
        at += b.len() - rest.len();
        b = rest;
        if entry.tag != 0x30 {
            return Err(DerError::Tag {
                tag: entry.tag,
                at: entry.at,
                expected: "a SEQUENCE (key, value)",
            });
        }
        let (key, rest) = tlv(entry.body, entry.body_at)?;
        if key.tag != 0x0c {
            return Err(DerError::Tag {
                tag: key.tag,
                at: key.at,
                expected: "a UTF8String key",
            });
        }
        let key_s = std::str::from_utf8(key.body).map_err(|_| DerError::Utf8(key.at))?;
        let vat = entry.body_at + (entry.body.len() - rest.len());
        let (value, tail) = tlv(rest, vat)?;
        if !tail.is_empty() {
            return Err(DerError::Trailing(tail.len()));
        }
        d.insert(key_s.to_string(), self::value(&value, depth + 1)?);
    }
    Ok(d)
}

fn value(v: &Tlv<'_>, depth: usize) -> Result<plist::Value, DerError> {
    if depth > MAX_DEPTH {
        return Err(DerError::TooDeep);
    }
    match v.tag {
        0x01 => match v.body {
            [0] => Ok(plist::Value::Boolean(false)),
            [_] => Ok(plist::Value::Boolean(true)),
            _ => Err(DerError::Value(v.at)),
        },
        0x02 => {
            if v.body.is_empty() || v.body.len() > 8 {
                return Err(DerError::Value(v.at));
            }
            // Two's complement, big-endian, sign-extended.
            let neg = v.body[0] & 0x80 != 0;
            let mut n: i64 = if neg { -1 } else { 0 };
            for &x in v.body {
                n = (n << 8) | i64::from(x);
            }
            Ok(plist::Value::Integer(n.into()))
        }
        0x0c => std::str::from_utf8(v.body)
            .map(|s| plist::Value::String(s.to_string()))
            .map_err(|_| DerError::Utf8(v.at)),
        0x30 => {
            let mut out = Vec::new();
            let mut b = v.body;
            let mut at = v.body_at;
            while !b.is_empty() {
                let (item, rest) = tlv(b, at)?;
                at += b.len() - rest.len();
                b = rest;
                out.push(value(&item, depth + 1)?);
            }
            Ok(plist::Value::Array(out))
        }
        0xb0 => entries(v.body, v.body_at, depth + 1).map(plist::Value::Dictionary),
        tag => Err(DerError::Tag {
            tag,
            at: v.at,
            expected: "BOOLEAN, INTEGER, UTF8String, SEQUENCE or dictionary",
        }),
    }
}

/// Encode a dictionary the way `codesign` does (keys sorted). Strings, booleans, integers,
/// arrays and dictionaries only; other values are skipped. Public for tests and fuzz seeds.
pub fn encode(d: &plist::Dictionary) -> Vec<u8> {
    let mut body = vec![0x02, 0x01, 0x01];
    body.extend(enc_dict(d));
    wrap(0x70, &body)
}

fn wrap(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = body.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = (n as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|&&x| x == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(body);
    out
}

fn enc_dict(d: &plist::Dictionary) -> Vec<u8> {
    let mut keys: Vec<&String> = d.keys().collect();
    keys.sort();
    let mut body = Vec::new();
    for k in keys {
        let Some(v) = d.get(k).and_then(enc_value) else {
            continue;
        };
        let mut e = wrap(0x0c, k.as_bytes());
        e.extend(v);
        body.extend(wrap(0x30, &e));
    }
    wrap(0xb0, &body)
}

fn enc_value(v: &plist::Value) -> Option<Vec<u8>> {
    use plist::Value as V;
    Some(match v {
        V::Boolean(b) => vec![0x01, 0x01, if *b { 0xff } else { 0 }],
        V::Integer(i) => {
            let n = i.as_signed()?;
            let bytes = n.to_be_bytes();
            // Minimal two's complement.
            let mut start = 0;
            while start < 7
                && ((bytes[start] == 0 && bytes[start + 1] & 0x80 == 0)
                    || (bytes[start] == 0xff && bytes[start + 1] & 0x80 != 0))
            {
                start += 1;
            }
            wrap(0x02, &bytes[start..])
        }
        V::String(s) => wrap(0x0c, s.as_bytes()),
        V::Array(a) => {
            let body: Vec<u8> = a.iter().filter_map(enc_value).flatten().collect();
            wrap(0x30, &body)
        }
        V::Dictionary(d) => enc_dict(d),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Byte strings as `codesign --generate-entitlement-der` writes them, recorded in
    // indygreg/apple-platform-rs, apple-codesign/src/plist_der.rs (tests).
    const EMPTY: &[u8] = &[112, 5, 2, 1, 1, 176, 0];
    const BOOL_TRUE: &[u8] = &[
        112, 15, 2, 1, 1, 176, 10, 48, 8, 12, 3, 107, 101, 121, 1, 1, 255,
    ];
    const INT_NEG1: &[u8] = &[
        112, 15, 2, 1, 1, 176, 10, 48, 8, 12, 3, 107, 101, 121, 2, 1, 255,
    ];
    const ARRAY_TRUE_FOO: &[u8] = &[
        112, 22, 2, 1, 1, 176, 17, 48, 15, 12, 3, 107, 101, 121, 48, 8, 1, 1, 255, 12, 3, 102, 111,
        111,
    ];
    const DICT_BOOL: &[u8] = &[
        112, 26, 2, 1, 1, 176, 21, 48, 19, 12, 3, 107, 101, 121, 176, 12, 48, 10, 12, 5, 105, 110,
        110, 101, 114, 1, 1, 0,
    ];

    fn one(k: &str, v: plist::Value) -> plist::Dictionary {
        let mut d = plist::Dictionary::new();
        d.insert(k.into(), v);
        d
    }

    #[test]
    fn codesign_encodings_decode() -> Result<(), DerError> {
        use plist::Value as V;
        assert_eq!(parse(EMPTY)?, plist::Dictionary::new());
        assert_eq!(parse(BOOL_TRUE)?, one("key", V::Boolean(true)));
        assert_eq!(parse(INT_NEG1)?, one("key", V::Integer((-1).into())));
        assert_eq!(
            parse(ARRAY_TRUE_FOO)?,
            one(
                "key",
                V::Array(vec![V::Boolean(true), V::String("foo".into())])
            )
        );
        assert_eq!(
            parse(DICT_BOOL)?,
            one("key", V::Dictionary(one("inner", V::Boolean(false))))
        );
        assert_eq!(encode(&parse(DICT_BOOL)?), DICT_BOOL);
        assert_eq!(encode(&parse(ARRAY_TRUE_FOO)?), ARRAY_TRUE_FOO);
        Ok(())
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(parse(b""), Err(DerError::Truncated(0)));
        assert!(matches!(parse(&[0x70, 0x80]), Err(DerError::Length(1))));
        assert!(matches!(
            parse(&BOOL_TRUE[..10]),
            Err(DerError::Truncated(_))
        ));
        let mut deep = Vec::new();
        for _ in 0..100 {
            deep = wrap(0x30, &deep);
        }
        let mut e = wrap(0x0c, b"k");
        e.extend(deep);
        let mut body = vec![2, 1, 1];
        body.extend(wrap(0xb0, &wrap(0x30, &e)));
        assert_eq!(parse(&wrap(0x70, &body)), Err(DerError::TooDeep));
    }

    fn arb_value() -> impl proptest::strategy::Strategy<Value = plist::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            any::<bool>().prop_map(plist::Value::Boolean),
            any::<i64>().prop_map(|n| plist::Value::Integer(n.into())),
            "[a-z.-]{0,12}".prop_map(plist::Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(plist::Value::Array),
                proptest::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                    .prop_map(|m| { plist::Value::Dictionary(m.into_iter().collect()) }),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = parse(&b);
        }

        #[test]
        fn encode_then_parse_round_trips(
            m in proptest::collection::btree_map("[a-z.-]{1,16}", arb_value(), 0..6)
        ) {
            let d: plist::Dictionary = m.into_iter().collect();
            proptest::prop_assert_eq!(parse(&encode(&d)), Ok(d));
        }

        #[test]
        fn mutated_encodings_never_panic(
            patch in proptest::collection::vec((0usize..64, proptest::num::u8::ANY), 1..6),
            cut in 0usize..64,
        ) {
            let mut b = ARRAY_TRUE_FOO.to_vec();
            for (i, v) in patch {
                let n = b.len();
                if let Some(x) = b.get_mut(i % n) { *x = v; }
            }
            b.truncate(cut.max(2));
            let _ = parse(&b);
        }
    }
}
