//! Words for an option name a front end does not know (`provide(..., {disposer})`,
//! a dependency's `{optinal: true}`): every front end refuses unknown option
//! names instead of ignoring them, and says so in these words.
//!
//! ```text
//! unknown option `disposer` in the options of `db`; did you mean `dispose`? (known: `provides`, `lifetime`, `profiles`, `replaces`, `source`, `meta`, `dispose`)
//! ```

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
    if let Some(clause) = super::did_you_mean(&crate::suggest::suggest(name, known), false) {
        text.push_str("; ");
        text.push_str(&clause);
    }
    let all: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
    text.push_str(&format!(" (known: {})", all.join(", ")));
    text
}

#[cfg(test)]
mod tests {
    use super::unknown_option;

    #[test]
    fn an_unknown_option_names_the_closest_and_every_known_one() {
        assert_eq!(
            unknown_option("the options of `db`", "disposer", &["lifetime", "dispose"]),
            "unknown option `disposer` in the options of `db`; did you mean `dispose`? (known: `lifetime`, `dispose`)"
        );
        assert_eq!(
            unknown_option("dependency 0 of `db`", "zzz", &["key", "many"]),
            "unknown option `zzz` in dependency 0 of `db` (known: `key`, `many`)"
        );
    }
}
