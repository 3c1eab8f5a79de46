//! Words for a descriptor value a host language could not write as JSON (a
//! JS `BigInt`, an object that contains itself, nesting past the parser's
//! depth): the value never reaches the core's parser, but the report is
//! still the core's, in the layout and words of every other diagnostic.
//!
//! ```text
//! error[invalid-descriptor]: invalid value: `services[0].meta.n` is a BigInt, which JSON cannot hold
//!   --> app.json (at `services[0].meta.n`)
//!    = help: descriptors are JSON: use numbers, strings, arrays and plain objects in `meta`
//! ```

use crate::diagnostic::Report;
use crate::error::Error;
use crate::limits::{what, MAX_NESTING};

/// Why a value is not JSON, as a host reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unrepresentable {
    /// An integer type JSON has no number for (JS `BigInt`).
    BigInt,
    /// An object or array that contains itself.
    Cycle,
    /// Arrays and objects nested past [`MAX_NESTING`].
    Nesting,
    /// A custom conversion (`toJSON`) that failed.
    Conversion,
    /// Anything else the host could not write.
    Other,
}

impl Unrepresentable {
    /// From the host's tag (`bigint`, `cycle`, `nesting`, `to-json`); anything else is [`Unrepresentable::Other`].
    pub fn from_tag(tag: &str) -> Self {
        match tag {
            "bigint" => Unrepresentable::BigInt,
            "cycle" => Unrepresentable::Cycle,
            "nesting" => Unrepresentable::Nesting,
            "to-json" => Unrepresentable::Conversion,
            _ => Unrepresentable::Other,
        }
    }

    fn words(self) -> String {
        match self {
            Unrepresentable::BigInt => "is a BigInt, which JSON cannot hold".to_owned(),
            Unrepresentable::Cycle => "refers back to an object that contains it (a cycle), which JSON cannot hold".to_owned(),
            Unrepresentable::Nesting => format!("nests deeper than {MAX_NESTING} levels of arrays and objects"),
            Unrepresentable::Conversion => "has a `toJSON` that throws".to_owned(),
            Unrepresentable::Other => "cannot be written as JSON".to_owned(),
        }
    }
}

/// The report for a value at `path` of `document` that is not JSON.
pub fn unrepresentable(document: &str, path: &str, why: Unrepresentable) -> Report {
    let mut diagnostic = Error::Invalid {
        document: document.to_owned(),
        path: path.to_owned(),
        line: 0,
        column: 0,
        message: format!("`{path}` {}", why.words()),
    }
    .to_diagnostic();
    diagnostic.help = Some("descriptors are JSON: use numbers, strings, arrays and plain objects in `meta`".to_owned());
    Report { diagnostics: vec![diagnostic] }
}

/// The report for a document a front end refused while reading it, before
/// it was all in memory: it holds at least `found` bytes, over `limit`
/// (`max_input_bytes`). The same words as the core's own check of the size.
pub fn input_too_large(document: &str, limit: usize, found: usize) -> Report {
    Report::from(Error::limit(document, what::INPUT_BYTES, limit, found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bigint_is_named_with_its_path_in_the_cores_layout() {
        let report = unrepresentable("app.json", "services[0].meta.n", Unrepresentable::from_tag("bigint"));
        assert_eq!(
            report.render(),
            "error[invalid-descriptor]: invalid value: `services[0].meta.n` is a BigInt, which JSON cannot hold\n  --> app.json (at `services[0].meta.n`)\n   = help: descriptors are JSON: use numbers, strings, arrays and plain objects in `meta`\n\nerror: 1 error\n"
        );
    }

    #[test]
    fn an_input_refused_while_reading_reads_as_the_cores_own_size_check() {
        let read = input_too_large("big.json", 10, 11).render();
        let parsed = match crate::Descriptors::parse_all_with(
            &[crate::Document { name: "big.json", text: "{\"version\": 1}" }],
            &crate::Limits { max_input_bytes: 10, ..crate::Limits::DEFAULT },
        ) {
            Err(e) => Report::from(e).render(),
            Ok(_) => String::new(),
        };
        assert!(
            read.starts_with("error[limit-exceeded]: the size of the document in bytes is 11, over the limit of 10\n  --> big.json\n"),
            "{read}"
        );
        assert_eq!(read.lines().next(), parsed.lines().next().map(|l| l.replace("is 14", "is 11")).as_deref());
    }

    #[test]
    fn user_text_in_the_path_is_escaped() {
        let text = unrepresentable("a\nb", "x\u{1b}y", Unrepresentable::Cycle).render();
        assert!(!text.contains('\u{1b}') && text.contains("x\\u{1b}y"), "{text}");
        assert_eq!(text.lines().filter(|l| l.starts_with("error[")).count(), 1);
    }
}
