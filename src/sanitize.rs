//! Untrusted text (device log lines, plist strings, server replies, file names) must not be able
//! to drive the user's terminal: escape sequences and other control characters are made visible
//! before they reach human output. JSON output escapes them by itself.

use std::borrow::Cow;

/// Replace control characters (except tab) and escape sequences with a visible `\xNN`/`\u{…}`
/// form. Newlines become `\n` so one record stays one line.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
                c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(terminal("hello\tworld"), Cow::Borrowed(_)));
    }

    #[test]
    fn escapes_are_made_visible() {
        assert_eq!(terminal("a\x1b[31mred\x07"), "a\\x1b[31mred\\x07");
        assert_eq!(terminal("two\nlines"), "two\\nlines");
        assert_eq!(terminal("\u{9b}x"), "\\x9bx");
        assert_eq!(terminal("rtl\u{202e}x"), "rtl\\u{202e}x");
    }

    proptest::proptest! {
        #[test]
        fn output_has_no_control_chars(s in ".*") {
            let t = terminal(&s);
            proptest::prop_assert!(!t.chars().any(|c| c.is_control() && c != '\t'));
        }
    }
}
