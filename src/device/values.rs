//! Plist values from a phone, made presentable: JSON for `--json` (data as base64, dates as
//! RFC 3339) and one-line text for people. Every value here came from outside.

use base64::Engine;
use serde_json::{Map, Number, Value as Json};

/// Convert a plist value to JSON. Never fails: data becomes base64, dates RFC 3339 text,
/// non-finite reals `null`.
pub fn to_json(v: &plist::Value) -> Json {
    match v {
        plist::Value::Array(a) => Json::Array(a.iter().map(to_json).collect()),
        plist::Value::Dictionary(d) => Json::Object(dict_to_json(d)),
        plist::Value::Boolean(b) => Json::Bool(*b),
        plist::Value::Data(d) => Json::String(base64::engine::general_purpose::STANDARD.encode(d)),
        plist::Value::Date(d) => Json::String(d.to_xml_format()),
        plist::Value::Real(r) => Number::from_f64(*r).map_or(Json::Null, Json::Number),
        plist::Value::Integer(i) => {
            if let Some(u) = i.as_unsigned() {
                Json::Number(u.into())
            } else if let Some(s) = i.as_signed() {
                Json::Number(s.into())
            } else {
                Json::Null
            }
        }
        plist::Value::String(s) => Json::String(s.clone()),
        plist::Value::Uid(u) => Json::Number(u.get().into()),
        _ => Json::Null,
    }
}

/// Convert a plist dictionary to a JSON object (keys kept in the phone's order).
pub fn dict_to_json(d: &plist::Dictionary) -> Map<String, Json> {
    d.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()
}

/// One line of text for a value: strings as they are, scalars plainly, containers as compact
/// JSON. Callers still sanitise it for the terminal.
pub fn to_text(v: &plist::Value) -> String {
    match v {
        plist::Value::String(s) => s.clone(),
        plist::Value::Boolean(b) => b.to_string(),
        plist::Value::Integer(_) | plist::Value::Real(_) | plist::Value::Date(_) => {
            match to_json(v) {
                Json::String(s) => s,
                other => other.to_string(),
            }
        }
        plist::Value::Data(d) => format!("<{} bytes>", d.len()),
        other => to_json(other).to_string(),
    }
}

/// A string value by key.
pub fn string<'a>(d: &'a plist::Dictionary, key: &str) -> Option<&'a str> {
    d.get(key).and_then(|v| v.as_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_plist() -> impl Strategy<Value = plist::Value> {
        let leaf = prop_oneof![
            any::<bool>().prop_map(plist::Value::Boolean),
            any::<i64>().prop_map(|i| plist::Value::Integer(i.into())),
            any::<f64>().prop_map(plist::Value::Real),
            ".{0,12}".prop_map(plist::Value::String),
            proptest::collection::vec(any::<u8>(), 0..16).prop_map(plist::Value::Data),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(plist::Value::Array),
                proptest::collection::vec((".{0,6}", inner), 0..4)
                    .prop_map(|kv| plist::Value::Dictionary(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_plist_converts_and_serialises(v in arb_plist()) {
            let j = to_json(&v);
            prop_assert!(serde_json::to_string(&j).is_ok());
            let _ = to_text(&v);
        }
    }

    #[test]
    fn data_is_base64() {
        assert_eq!(
            to_json(&plist::Value::Data(vec![1, 2, 3])),
            Json::String("AQID".into())
        );
        assert_eq!(to_text(&plist::Value::Data(vec![1, 2, 3])), "<3 bytes>");
    }
}
