//! A [`Timeline`] drawn: the critical chain and the blame list as text (as
//! `systemd-analyze critical-chain` and `blame`), an SVG chart (as
//! `systemd-analyze plot`), and Chrome trace-event JSON that opens in
//! Perfetto or `chrome://tracing`.
//!
//! ```text
//! start-up took 51.2ms; the critical chain (start after "@", duration after "+"):
//! server @51.2ms +0.0ms
//! └─db @1.2ms +50.0ms
//!   └─config @0.0ms +1.2ms
//! ```
//!
//! Times are integers of microseconds rendered with integer arithmetic, so
//! every language prints the same bytes. Ids go through [`escape`], and
//! into SVG as XML text.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::escape::escape;
use crate::timeline::{Outcome, Timeline};

/// A duration for a person: `850us`, `12.3ms`, `1.234s`.
pub fn duration(us: u64) -> String {
    if us < 1_000 {
        format!("{us}us")
    } else if us < 1_000_000 {
        format!("{}.{}ms", us / 1_000, (us % 1_000) / 100)
    } else {
        format!("{}.{:03}s", us / 1_000_000, (us % 1_000_000) / 1_000)
    }
}

fn mark(o: Outcome) -> &'static str {
    match o {
        Outcome::Started => "",
        Outcome::Failed => " (failed)",
        Outcome::Cancelled => " (cancelled)",
        Outcome::TimedOut => " (timed out)",
    }
}

/// The critical chain, most recent first, each step indented under the one
/// that waited for it.
pub fn critical_chain(t: &Timeline) -> String {
    let chain = t.critical_chain();
    let mut out = format!("start-up took {}; the critical chain (start after \"@\", duration after \"+\"):\n", duration(t.total_us()));
    for (depth, e) in chain.iter().rev().enumerate() {
        let indent = if depth == 0 { String::new() } else { format!("{}└─", "  ".repeat(depth - 1)) };
        let _ = writeln!(out, "{indent}{} @{} +{}{}", escape(&e.id), duration(e.start_us), duration(e.duration_us), mark(e.outcome));
    }
    out
}

/// Every service, slowest first.
pub fn blame(t: &Timeline) -> String {
    let list = t.blame();
    let width = list.iter().map(|e| duration(e.duration_us).len()).max().unwrap_or(0);
    let mut out = String::new();
    for e in list {
        let _ = writeln!(out, "{:>width$} {}{}", duration(e.duration_us), escape(&e.id), mark(e.outcome));
    }
    out
}

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in escape(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn fill(o: Outcome) -> &'static str {
    match o {
        Outcome::Started => "#4c8bd6",
        Outcome::Failed => "#d64c4c",
        Outcome::Cancelled => "#9a9a9a",
        Outcome::TimedOut => "#e09a2c",
    }
}

/// One row per service in start order: a bar from its start, as long as
/// it took, colored by outcome, with a time axis.
pub fn svg(t: &Timeline) -> String {
    const ROW: u64 = 20;
    const TOP: u64 = 40;
    const LEFT: u64 = 10;
    const PLOT: u64 = 1000;
    let total = t.total_us().max(1);
    let rows = t.entries.len() as u64;
    let height = TOP + rows * ROW + 20;
    let labels = 400;
    let width = LEFT + PLOT + labels;
    let x = |us: u64| LEFT + us.saturating_mul(PLOT) / total;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(out, "<title>wireplan start-up: {}</title>", duration(t.total_us()));
    let _ = writeln!(out, "<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
    // Ten ticks, at whole tenths of the total.
    for i in 0..=10u64 {
        let at = total.saturating_mul(i) / 10;
        let px = x(at);
        let _ = writeln!(out, "<line x1=\"{px}\" y1=\"{}\" x2=\"{px}\" y2=\"{}\" stroke=\"#dddddd\"/>", TOP - 10, height - 20);
        let _ = writeln!(out, "<text x=\"{px}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555555\">{}</text>", TOP - 15, duration(at));
    }
    for (i, e) in t.entries.iter().enumerate() {
        let y = TOP + i as u64 * ROW;
        let (x0, x1) = (x(e.start_us), x(e.end_us()));
        let w = x1.saturating_sub(x0).max(1);
        let _ = writeln!(
            out,
            "<rect x=\"{x0}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"{}\"><title>{} layer {} @{} +{}{}</title></rect>",
            y + 2,
            ROW - 4,
            fill(e.outcome),
            xml(&e.id),
            e.layer,
            duration(e.start_us),
            duration(e.duration_us),
            mark(e.outcome)
        );
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\">{} ({}){}</text>",
            x1 + 4,
            y + ROW - 6,
            xml(&e.id),
            duration(e.duration_us),
            mark(e.outcome)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// Chrome trace events (the JSON object form): one complete event per
/// service, each on its own named row (events on one row must nest, and
/// services of one layer overlap without nesting).
pub fn chrome_trace(t: &Timeline) -> String {
    let mut events: Vec<Value> =
        vec![json!({"name": "process_name", "ph": "M", "pid": 1, "tid": 0, "args": {"name": "wireplan start-up"}})];
    for (i, e) in t.entries.iter().enumerate() {
        let tid = i as u64 + 1;
        events.push(json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": tid, "args": {"name": e.id}}));
        events.push(json!({"name": "thread_sort_index", "ph": "M", "pid": 1, "tid": tid, "args": {"sort_index": tid}}));
        events.push(json!({
            "name": e.id,
            "cat": "service",
            "ph": "X",
            "ts": e.start_us,
            "dur": e.duration_us,
            "pid": 1,
            "tid": tid,
            "args": {"layer": e.layer, "outcome": e.outcome.as_str(), "needs": e.needs},
        }));
    }
    let mut out = serde_json::to_string(&json!({"traceEvents": events, "displayTimeUnit": "ms"})).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_person_writes_them() {
        assert_eq!(duration(0), "0us");
        assert_eq!(duration(999), "999us");
        assert_eq!(duration(1_000), "1.0ms");
        assert_eq!(duration(12_345), "12.3ms");
        assert_eq!(duration(999_999), "999.9ms");
        assert_eq!(duration(1_234_567), "1.234s");
    }

    #[test]
    fn svg_text_is_xml_escaped() {
        assert_eq!(xml("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
    }
}
