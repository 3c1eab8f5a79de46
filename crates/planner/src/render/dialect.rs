//! Help that speaks the caller's language. A diagnostic's help is written
//! once, here in the core, in the words of the descriptor format (JSON:
//! `"lazy": true`, `"replaces"`); a Python or JS user reads the same advice
//! in the words of the API they wrote (`wireplan.Lazy[T]`,
//! `registry.override(...)`; `{key, lazy: true}`, `replaces: [...]`).
//!
//! Each phrase the checks write that names a descriptor field is listed in
//! [`PHRASES`] with its Python and JS words; [`Dialect::help`] puts a help
//! text in a dialect, and [`Report::in_dialect`] a whole report (its JSON
//! and its rendering alike). A test keeps the table and the checks in step:
//! every phrase is met in some report, and no JSON field word is left in a
//! Python or JS help.

use std::borrow::Cow;

use crate::diagnostic::Report;

/// Whose words a help text uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    /// The descriptor format's (the CLI, tools reading descriptors).
    #[default]
    Json,
    /// Python's registry API.
    Python,
    /// The npm package's registry API.
    Js,
}

/// `(descriptor words, Python words, JS words)`, matched in the help texts
/// the checks write. Longer phrases come first, so that a phrase inside
/// another is not replaced on its own.
pub const PHRASES: &[(&str, &str, &str)] = &[
    (
        "make one of these dependencies lazy (`\"lazy\": true`)",
        "make one of these dependencies lazy (type the parameter `wireplan.Lazy[T]`)",
        "make one of these dependencies lazy (`{key, lazy: true}`)",
    ),
    (
        "ask for every one with `\"many\": true`",
        "ask for every one with a `list[T] = wireplan.many` parameter",
        "ask for every one with `{key, many: true}`",
    ),
    ("with `\"many\": true`", "as a `list[T] = wireplan.many` parameter", "with `{key, many: true}`"),
    (
        "mark the one that should win with `\"replaces\"`",
        "swap in the one that should win with `registry.override(key, ...)`",
        "mark the one that should win with `replaces: [...]`",
    ),
    ("declare `replaces` on the new one", "use `registry.override(key, ...)`", "declare `replaces: [...]` on the new one"),
    (
        "remove `replaces` from one of these services",
        "remove the override of one of these services",
        "remove `replaces` from one of these services",
    ),
    (
        "or mark the dependency optional",
        "or give the parameter a default (`x: T | None = None`)",
        "or mark the dependency optional (`{key, optional: true}`)",
    ),
    (
        "raise `max_diagnostics` in the planning options' limits",
        "raise it with `limits={\"max_diagnostics\": ...}`",
        "raise it with `limits: {max_diagnostics: ...}`",
    ),
    (
        "raise `max_report_bytes` in the planning options' limits",
        "raise it with `limits={\"max_report_bytes\": ...}`",
        "raise it with `limits: {max_report_bytes: ...}`",
    ),
    (
        "raise the limit in the planning options if this input is trusted",
        "raise it with `limits={...}` if this input is trusted",
        "raise it with `limits: {...}` if this input is trusted",
    ),
    ("give it a profile", "give it `profiles=[...]`", "give it `profiles: [...]`"),
];

impl Dialect {
    /// `help` in this dialect's words.
    pub fn help<'h>(self, help: &'h str) -> Cow<'h, str> {
        if self == Dialect::Json {
            return Cow::Borrowed(help);
        }
        let mut out = Cow::Borrowed(help);
        for &(json, python, js) in PHRASES {
            if out.contains(json) {
                let words = if self == Dialect::Python { python } else { js };
                out = Cow::Owned(out.replace(json, words));
            }
        }
        out
    }
}

impl Report {
    /// This report with every help in `dialect`'s words.
    pub fn in_dialect(&self, dialect: Dialect) -> Report {
        let mut out = self.clone();
        if dialect != Dialect::Json {
            for d in &mut out.diagnostics {
                if let Some(h) = &d.help {
                    if let Cow::Owned(words) = dialect.help(h) {
                        d.help = Some(words);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_words_are_kept_and_others_replaced() {
        let help = "break the cycle: make one of these dependencies lazy (`\"lazy\": true`), or remove it";
        assert_eq!(Dialect::Json.help(help), help);
        assert_eq!(
            Dialect::Python.help(help),
            "break the cycle: make one of these dependencies lazy (type the parameter `wireplan.Lazy[T]`), or remove it"
        );
        assert_eq!(Dialect::Js.help(help), "break the cycle: make one of these dependencies lazy (`{key, lazy: true}`), or remove it");
    }
}
