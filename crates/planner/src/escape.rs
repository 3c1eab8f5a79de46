//! Visible escapes for user input in human text.
//!
//! Ids, keys and file names come from descriptors, which may come from a
//! pull request. Printed raw, a `\n::error file=...::` in an id writes a
//! line of its own into a GitHub Actions log, an ESC or OSC sequence
//! rewrites a terminal, and a bidi override (U+202E) makes a line read
//! differently from what it is. Every human rendering passes user input
//! through [`escape`] once, the way rustc shows such characters in its
//! diagnostics: `\n`, `\t`, `\u{1b}`, `\u{202e}`. JSON output stays exact
//! (serde escapes what JSON needs), so tools see the real strings.
//!
//! A leaf module: it depends on nothing in the crate, so the renderer and
//! every front end (the CLI's `github` format, explain, diff) share it.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal or a log as itself: C0 controls,
/// DEL, C1 controls, line and paragraph separators, bidi marks, embeddings,
/// overrides and isolates, and the invisible format characters (Unicode
/// category Cf: zero-width spaces and joiners, the soft hyphen, the word
/// joiner, invisible operators, the byte-order mark, interlinear
/// annotations, tag characters, ...).
pub fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{ad}'
            | '\u{600}'..='\u{605}'
            | '\u{61c}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{890}'..='\u{891}'
            | '\u{8e2}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}'
            | '\u{110cd}'
            | '\u{13430}'..='\u{1343f}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

/// `text` with every character of [`needs_escape`] written as a visible
/// escape: `\0`, `\t`, `\n`, `\r`, and `\u{hex}` for the others (lowercase
/// hex, no leading zeros, as Rust's `char::escape_debug` writes them).
/// Backslashes are left as they are, so Windows paths stay readable.
/// Borrows when there is nothing to escape, which is the common case.
///
/// # Complexity
/// O(n) for n bytes; one allocation only when something is escaped.
pub fn escape(text: &str) -> Cow<'_, str> {
    let Some(first) = text.char_indices().find(|&(_, c)| needs_escape(c)).map(|(i, _)| i) else {
        return Cow::Borrowed(text);
    };
    let (clean, rest) = text.split_at(first);
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(clean);
    for c in rest.chars() {
        if !needs_escape(c) {
            out.push(c);
            continue;
        }
        match c {
            '\0' => out.push_str("\\0"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    Cow::Owned(out)
}

/// The length in bytes of `escape(text)`, without building it: what a
/// report's byte budget counts, so that a rendering full of escapes is
/// bounded like any other.
pub fn escaped_len(text: &str) -> usize {
    text.chars()
        .filter(|&c| needs_escape(c))
        .map(|c| {
            match c {
                '\0' | '\t' | '\n' | '\r' => 2,
                // `\u{` + hex digits + `}`, minus the character's own bytes.
                _ => 4 + (32 - u32::from(c).leading_zeros()).div_ceil(4).max(1) as usize,
            }
            .saturating_sub(c.len_utf8())
        })
        .sum::<usize>()
        + text.len()
}

#[cfg(test)]
mod tests {
    use super::{escape, escaped_len};

    #[test]
    fn escaped_len_is_the_length_of_the_escape() {
        for text in ["", "plain", "a\nb", "\u{1b}[0m", "\u{7f}\u{85}", "\u{202e}x", "\u{e0041}", "\0\t"] {
            assert_eq!(escaped_len(text), escape(text).len(), "{text:?}");
        }
    }

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(escape("app.Database#primary \\ é 日本"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn controls_and_bidi_become_visible() {
        assert_eq!(escape("a\nb"), "a\\nb");
        assert_eq!(escape("\r\t\0"), "\\r\\t\\0");
        assert_eq!(escape("\x1b[31mred"), "\\u{1b}[31mred");
        assert_eq!(escape("\u{7f}\u{85}\u{9b}"), "\\u{7f}\\u{85}\\u{9b}");
        assert_eq!(escape("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(escape("\u{2066}\u{2069}\u{200e}\u{200f}\u{61c}"), "\\u{2066}\\u{2069}\\u{200e}\\u{200f}\\u{61c}");
        assert_eq!(escape("zero\u{200b}width\u{feff}"), "zero\\u{200b}width\\u{feff}");
        assert_eq!(escape("line\u{2028}sep"), "line\\u{2028}sep");
        assert_eq!(escape("tag\u{e0041}"), "tag\\u{e0041}");
    }
}
