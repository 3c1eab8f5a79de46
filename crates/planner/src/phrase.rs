//! Phrases that diagnostics are made of: lists of names, the did-you-mean
//! clause, unknown names with the known ones. Written once, used by the
//! checks, the parser and the options reader as they build a diagnostic's
//! message, and by the renderers; below all of them, so none needs another.

use crate::escape::escape;

/// `` `a`, `b` and `c` `` (`last_word` before the last), or the first
/// `most` and "and N more": names listed in words, written once. With
/// `escaped`, each name goes through [`escape`]; without, they stay exact
/// (a diagnostic's text, escaped when rendered).
pub(crate) fn names(names: &[&str], most: usize, last_word: &str, escaped: bool) -> String {
    let shown: Vec<String> = names.iter().take(most).map(|n| if escaped { format!("`{}`", escape(n)) } else { format!("`{n}`") }).collect();
    let rest = names.len().saturating_sub(most);
    match (shown.as_slice(), rest) {
        ([], _) => String::new(),
        ([one], 0) => one.clone(),
        ([init @ .., last], 0) => format!("{} {last_word} {last}", init.join(", ")),
        (all, rest) => format!("{} and {rest} more", all.join(", ")),
    }
}

/// The did-you-mean clause, written once for every suggestion of every
/// front end: `did you mean `a`?`, `did you mean `a` or `b`?`, `did you
/// mean `a`, `b` or `c`?`; `None` for no names. With `escaped`, each name
/// goes through [`escape`] (text shown as it is); without, the names stay
/// exact (a diagnostic's message or help, escaped when rendered).
pub(crate) fn did_you_mean(names: &[&str], escaped: bool) -> Option<String> {
    (!names.is_empty()).then(|| format!("did you mean {}?", self::names(names, names.len(), "or", escaped)))
}

/// The message for option `name` given in `place` (the caller's words, such as
/// ``the options of `db` ``), where `known` are the valid names.
pub fn unknown_option(place: &str, name: &str, known: &[&str]) -> String {
    unknown_name("option", place, name, &crate::escape::escape(name), known)
}

/// The same words for a field of a descriptor document that the format
/// does not have: ``unknown field `lazzy` in a dependency; did you mean
/// `lazy`? (known: `key`, `optional`, `many`, `lazy`)``. Not escaped here:
/// it is a diagnostic's message, escaped when rendered.
pub(crate) fn unknown_field(place: &str, name: &str, known: &[&str]) -> String {
    unknown_name("field", place, name, name, known)
}

/// `unknown {noun} `{shown}` in {place}`, the closest known names, and
/// every known name.
fn unknown_name(noun: &str, place: &str, name: &str, shown: &str, known: &[&str]) -> String {
    // `place` is the caller's words, with user input already quoted by it.
    let mut text = format!("unknown {noun} `{shown}` in {place}");
    if let Some(clause) = did_you_mean(&crate::suggest::suggest(name, known), false) {
        text.push_str("; ");
        text.push_str(&clause);
    }
    let all: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
    text.push_str(&format!(" (known: {})", all.join(", ")));
    text
}
