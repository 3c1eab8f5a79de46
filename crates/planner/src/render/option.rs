//! Words for an option name a front end does not know (`provide(..., {disposer})`,
//! a dependency's `{optinal: true}`): every front end refuses unknown option
//! names instead of ignoring them, and says so in these words.
//!
//! ```text
//! unknown option `disposer` in the options of `db`; did you mean `dispose`? (known: `provides`, `lifetime`, `profiles`, `replaces`, `source`, `meta`, `dispose`)
//! ```

pub use crate::phrase::unknown_option;

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
