//! The core's own rendering, colored on a terminal that wants it.

use wireplan::render::{render_report, Style};
use wireplan::Report;

/// The report as the core renders it.
pub fn render(report: &Report, color: bool) -> String {
    let style = if color { Style::colored() } else { Style::plain() };
    render_report(report, &style)
}
