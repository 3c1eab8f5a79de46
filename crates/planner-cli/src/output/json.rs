//! The core's report JSON, unchanged: `{"diagnostics": [...]}`.

use wireplan::Report;

/// The report JSON, with a final newline.
pub fn render(report: &Report) -> String {
    let mut out = report.to_json();
    out.push('\n');
    out
}
