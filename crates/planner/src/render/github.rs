//! GitHub Actions workflow commands: one `::error` or `::warning` line per
//! diagnostic, placed on its location (the provider's `source` when the
//! service has one), so the problem shows on the pull request's diff. In the
//! core so that every command line (the Rust CLI, the Python package's)
//! writes the same lines.
//!
//! ```text
//! ::error file=app/clock.py,line=3,title=wireplan dependency-cycle::dependency cycle: `clock` -> `server` -> `clock`%0Ahelp: break the cycle: ...
//! ```
//!
//! Descriptors may come from the pull request being checked, so nothing in
//! them may write a workflow command of its own: user text is first made
//! visible with the core's [`escape`] (a newline in an id becomes `\n`, an
//! ESC `\u{1b}`), then written with GitHub's own escaping (`%`, CR and LF
//! everywhere; also `:` and `,` in properties), so each diagnostic stays
//! one line and one command.

use std::fmt::Write as _;

use crate::diagnostic::{Report, Severity};
use crate::escape::escape;

/// One workflow command per diagnostic.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for d in &report.diagnostics {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = Vec::new();
        if let Some(loc) = &d.location {
            props.push(format!("file={}", property(&escape(&loc.file))));
            if let Some(line) = loc.line {
                props.push(format!("line={line}"));
                if let Some(col) = loc.column {
                    props.push(format!("col={col}"));
                }
            }
        }
        props.push(format!("title={}", property(&format!("wireplan {}", d.code))));
        // Each piece escaped on its own: the newlines between them are ours.
        let mut message = escape(&d.message).into_owned();
        if let Some(loc) = &d.location {
            if let Some(path) = &loc.path {
                let _ = write!(message, " (at `{}`)", escape(path));
            }
        }
        for r in &d.related {
            match &r.location {
                Some(loc) => {
                    let _ = write!(message, "\n{} ({})", escape(&r.message), escape(&loc.to_string()));
                }
                None => {
                    let _ = write!(message, "\n{}", escape(&r.message));
                }
            }
        }
        if let Some(help) = &d.help {
            let _ = write!(message, "\nhelp: {}", escape(help));
        }
        let _ = writeln!(out, "::{level} {}::{}", props.join(","), data(&message));
    }
    out
}

/// Escapes a command's message.
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a command's property value.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(data("50%\na"), "50%25%0Aa");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn user_text_cannot_start_a_command() {
        let mut d = crate::error::Error::Syntax {
            document: "x.json\n::error file=evil,line=1::".to_owned(),
            path: "services[0].id".to_owned(),
            line: 1,
            column: 2,
            message: "bad `a\r\n::warning::pwned%0A\u{1b}[31m`".to_owned(),
        }
        .to_diagnostic();
        d.help = Some("h\ni".to_owned());
        let text = render(&Report { diagnostics: vec![d] });
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.starts_with("::error file=x.json\\n%3A%3Aerror file=evil%2Cline=1%3A%3A,line=1,col=2,"), "{text}");
        assert!(text.contains("bad `a\\r\\n::warning::pwned%250A\\u{1b}[31m`"), "{text}");
        assert!(text.contains("%0Ahelp: h\\ni"), "{text}");
        assert!(!text.contains('\u{1b}'));
    }
}
