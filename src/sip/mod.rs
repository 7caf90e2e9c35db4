//! SIP messages (RFC 3261) as plain data: a model, an encoder, a bounded parser for datagrams and
//! streams, request builders and client-transaction matching. Everything here is synchronous and
//! pure, so it is unit-, property- and fuzz-tested without sockets; `signal` does the I/O.
//!
//! The parser treats every byte as hostile: sizes are bounded ([`Limits`]) before anything is
//! buffered, a stream peer cannot make us hold more than one bounded message, and nothing panics.

mod build;
mod message;
mod parse;

pub use build::{
    Ids, RequestSpec, Transport, ViaSpec, ack_for, build_request, cancel_for, new_branch, new_tag,
    random_token, response_to, sdp_offer,
};
pub use message::{Header, Message, StartLine, canonical_name, encode};
pub use parse::{Frame, Framer, Limits, ParseError, parse_datagram, parse_message};

/// The RFC 3261 branch prefix that marks a branch as globally unique.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// True when `response` belongs to the client transaction that sent a request with this top-Via
/// `branch` and CSeq `method` (RFC 3261 §17.1.3).
pub fn matches_transaction(branch: &str, method: &str, response: &Message) -> bool {
    if !response.is_response() {
        return false;
    }
    let Some(via) = response.header("Via") else {
        return false;
    };
    let top = via.split(',').next().unwrap_or_default();
    let branch_ok = via_param(top, "branch").is_some_and(|b| b == branch);
    let method_ok = response
        .cseq()
        .is_some_and(|(_, m)| m.eq_ignore_ascii_case(method));
    branch_ok && method_ok
}

/// The value of parameter `name` in one header value (`a;b=c;d`), case-insensitive name.
/// `Some("")` for a flag parameter without a value.
pub fn via_param<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    value.split(';').skip(1).find_map(|p| {
        let p = p.trim();
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

/// The `tag` parameter of a From/To value, outside any `<…>` URI.
pub fn tag_of(value: &str) -> Option<&str> {
    let after = match value.rfind('>') {
        Some(i) => &value[i + 1..],
        None => value,
    };
    let pos = after.find(';')?;
    via_param(&after[pos..], "tag").filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests;
