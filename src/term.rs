//! Terminal safety: text from Juju, MAAS, a file or a script is printed with its control
//! characters escaped, so it can never move the cursor, clear the screen or rewrite what is
//! above a typed confirmation (a hostile `owner` or `status_message` stays visible as text).

use std::borrow::Cow;

/// `text` with every control character written as an escape (`\x1b`, `\u{9b}`, ...), and the
/// Unicode direction overrides too; newlines and tabs are kept (multi-line text stays so).
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_with(text, |c| c == '\n' || c == '\t')
}

/// As [`escape`], but newlines and tabs are escaped too: for one-line fields (table cells,
/// a hostname in a prompt).
pub fn escape_line(text: &str) -> Cow<'_, str> {
    escape_with(text, |_| false)
}

fn escape_with(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| unsafe_char(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !unsafe_char(c) || keep(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

/// C0 and C1 controls, DEL, and the bidirectional overrides that reorder what is shown.
fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape("plain text"), "plain text");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(escape("a\u{1b}[2Jb"), "a\\x1b[2Jb");
        assert_eq!(escape("bell\u{7}"), "bell\\x07");
        assert_eq!(escape("csi\u{9b}2J"), "csi\\u{9b}2J");
        assert_eq!(escape("cr\rover"), "cr\\x0dover");
        assert_eq!(escape("rtl\u{202e}txt"), "rtl\\u{202e}txt");
        assert_eq!(escape("two\nlines\tok"), "two\nlines\tok");
        assert_eq!(escape_line("two\nlines"), "two\\x0alines");
    }
}
