//! GitHub Actions workflow commands: one `::error` or `::warning` line per
//! diagnostic, placed on its location (the provider's `source` when the
//! service has one), so the problem shows on the pull request's diff. In the
//! core so that every command line (the Rust CLI, the Python package's, the
//! npm bin) writes the same lines.
//!
//! ```text
//! ::error file=app/clock.py,line=3,title=wireplan dependency-cycle::dependency cycle: `clock` -> `server` -> `clock`%0Ahelp: break the cycle: ...
//! ```

use std::fmt::Write as _;

use crate::diagnostic::{Report, Severity};

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
            props.push(format!("file={}", property(&loc.file)));
            if let Some(line) = loc.line {
                props.push(format!("line={line}"));
                if let Some(col) = loc.column {
                    props.push(format!("col={col}"));
                }
            }
        }
        props.push(format!("title={}", property(&format!("wireplan {}", d.code))));
        let mut message = d.message.clone();
        if let Some(loc) = &d.location {
            if let Some(path) = &loc.path {
                let _ = write!(message, " (at `{path}`)");
            }
        }
        for r in &d.related {
            match &r.location {
                Some(loc) => {
                    let _ = write!(message, "\n{} ({loc})", r.message);
                }
                None => {
                    let _ = write!(message, "\n{}", r.message);
                }
            }
        }
        if let Some(help) = &d.help {
            let _ = write!(message, "\nhelp: {help}");
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
}
