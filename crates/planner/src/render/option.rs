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
    let suggestions = crate::suggest::suggest(name, known);
    // `place` is the caller's words, with user input already quoted by it.
    let mut text = format!("unknown option `{}` in {place}", crate::escape::escape(name));
    if !suggestions.is_empty() {
        let names: Vec<String> = suggestions.iter().map(|s| format!("`{s}`")).collect();
        text.push_str(&format!("; did you mean {}?", names.join(" or ")));
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
