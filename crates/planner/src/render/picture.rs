//! Pictures of a graph, valid or broken: Graphviz DOT and Mermaid, from
//! an [`Analysis`] (the core's own resolution, so a picture agrees with the
//! report).
//!
//! An edge points from the service that asks to the one that answers
//! (`server -> db`: the server needs the database). Layers are ranks, so
//! layer 0 (what needs nothing) sits at the bottom. Lazy edges are dashed
//! and do not constrain the ranks (a lazy handle is not a start-up
//! dependency); optional ones are dotted. Problems are painted: every edge
//! inside a cycle and missing keys red, captive edges orange, ambiguous
//! ones purple; services in a cycle red, unused ones grey. Ids and keys
//! are shown through [`escape`] (no control or bidi character reaches a
//! picture), then quoted for DOT or Mermaid. A sample:
//!
//! ```text
//! digraph wireplan {
//!   node [shape=box, fontname="Helvetica"];
//!   edge [fontname="Helvetica", fontsize=10];
//!   { rank=same; s0; }
//!   { rank=same; s1; }
//!   s0 [label="config"];
//!   s1 [label="db"];
//!   s1 -> s0;
//! }
//! ```

use std::fmt::Write as _;

use crate::analysis::{Analysis, Edge, EdgeProblem, Node, Target};
use crate::descriptor::Lifetime;
use crate::escape::escape;

/// Colors of the problems, one per kind, in both formats.
fn color(problem: EdgeProblem) -> &'static str {
    match problem {
        EdgeProblem::Cycle | EdgeProblem::Missing => "red",
        EdgeProblem::Captive => "darkorange",
        EdgeProblem::Ambiguous => "purple",
    }
}

/// The analysis as Graphviz DOT.
pub fn dot(analysis: &Analysis) -> String {
    let mut out =
        String::from("digraph wireplan {\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
    let nodes = analysis.nodes();
    let mut start = 0;
    while let Some(layer) = nodes.get(start).and_then(|n| n.layer) {
        let end = start + nodes.get(start..).map_or(0, |rest| rest.iter().take_while(|n| n.layer == Some(layer)).count());
        let _ = write!(out, "  {{ rank=same;");
        for i in start..end {
            let _ = write!(out, " s{i};");
        }
        out.push_str(" }\n");
        start = end;
    }
    for (i, n) in nodes.iter().enumerate() {
        let mut attrs = vec![format!("label={}", quote(&node_label(n)))];
        if n.lifetime != Lifetime::Singleton {
            attrs.push("style=rounded".to_owned());
        }
        if n.in_cycle {
            attrs.push("color=red, fontcolor=red".to_owned());
        } else if n.unused {
            attrs.push("color=gray, fontcolor=gray".to_owned());
        }
        let _ = writeln!(out, "  s{i} [{}];", attrs.join(", "));
    }
    for (i, key) in analysis.missing().iter().enumerate() {
        let reported = analysis.edges().iter().any(|e| e.to == Target::Missing(i as u32) && e.problem.is_some());
        let paint = if reported { ", color=red, fontcolor=red" } else { "" };
        let _ = writeln!(out, "  k{i} [label={}, shape=note, style=dashed{paint}];", quote(&format!("{}\n(missing)", escape(key))));
    }
    for e in analysis.edges() {
        let mut attrs = Vec::new();
        if let Some(label) = edge_label(analysis, e) {
            attrs.push(format!("label={}", quote(&label)));
        }
        if e.lazy {
            attrs.push("style=dashed, constraint=false".to_owned());
        } else if e.optional {
            attrs.push("style=dotted".to_owned());
        }
        if let Some(p) = e.problem {
            attrs.push(format!("color={}, penwidth=2", color(p)));
        }
        let target = target(e.to);
        if attrs.is_empty() {
            let _ = writeln!(out, "  s{} -> {target};", e.from);
        } else {
            let _ = writeln!(out, "  s{} -> {target} [{}];", e.from, attrs.join(", "));
        }
    }
    out.push_str("}\n");
    out
}

/// The analysis as a Mermaid flowchart (layer 0 at the bottom).
pub fn mermaid(analysis: &Analysis) -> String {
    let mut out = String::from("flowchart TB\n");
    let nodes = analysis.nodes();
    let mut start = 0;
    while let Some(layer) = nodes.get(start).and_then(|n| n.layer) {
        let end = start + nodes.get(start..).map_or(0, |rest| rest.iter().take_while(|n| n.layer == Some(layer)).count());
        let _ = writeln!(out, "  subgraph layer_{layer} [\"layer {layer}\"]");
        for i in start..end {
            if let Some(n) = nodes.get(i) {
                let _ = writeln!(out, "    {}", mermaid_node(i, n));
            }
        }
        out.push_str("  end\n");
        start = end;
    }
    for (i, n) in nodes.iter().enumerate().skip(start) {
        let _ = writeln!(out, "  {}", mermaid_node(i, n));
    }
    for (i, key) in analysis.missing().iter().enumerate() {
        let _ = writeln!(out, "  k{i}{{{{\"{}\"}}}}", mermaid_text(&format!("{} (missing)", escape(key))));
    }
    let mut styles = Vec::new();
    for (index, e) in analysis.edges().iter().enumerate() {
        let arrow = if e.lazy || e.optional { "-.->" } else { "-->" };
        let target = target(e.to);
        match edge_label(analysis, e) {
            Some(label) => {
                let _ = writeln!(out, "  s{} {arrow}|\"{}\"| {target}", e.from, mermaid_text(&label));
            }
            None => {
                let _ = writeln!(out, "  s{} {arrow} {target}", e.from);
            }
        }
        let mut style = Vec::new();
        if e.lazy {
            style.push("stroke-dasharray:6 4".to_owned());
        } else if e.optional {
            style.push("stroke-dasharray:2 2".to_owned());
        }
        if let Some(p) = e.problem {
            style.push(format!("stroke:{},stroke-width:2px", color(p)));
        }
        if !style.is_empty() {
            styles.push(format!("  linkStyle {index} {}", style.join(",")));
        }
    }
    for s in styles {
        out.push_str(&s);
        out.push('\n');
    }
    let red: Vec<String> = nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.in_cycle)
        .map(|(i, _)| format!("s{i}"))
        .chain(
            (0..analysis.missing().len())
                .filter(|&i| analysis.edges().iter().any(|e| e.to == Target::Missing(i as u32) && e.problem.is_some()))
                .map(|i| format!("k{i}")),
        )
        .collect();
    if !red.is_empty() {
        out.push_str("  classDef problem stroke:red,color:red,stroke-width:2px\n");
        let _ = writeln!(out, "  class {} problem", red.join(","));
    }
    let grey: Vec<String> = nodes.iter().enumerate().filter(|(_, n)| n.unused && !n.in_cycle).map(|(i, _)| format!("s{i}")).collect();
    if !grey.is_empty() {
        out.push_str("  classDef unused stroke:gray,color:gray\n");
        let _ = writeln!(out, "  class {} unused", grey.join(","));
    }
    out
}

fn target(t: Target) -> String {
    match t {
        Target::Service(t) => format!("s{t}"),
        Target::Missing(m) => format!("k{m}"),
    }
}

fn node_label(n: &Node) -> String {
    match n.lifetime {
        Lifetime::Singleton => escape(&n.id).into_owned(),
        other => format!("{}\n({})", escape(&n.id), other.as_str()),
    }
}

fn mermaid_node(i: usize, n: &Node) -> String {
    match n.lifetime {
        Lifetime::Singleton => format!("s{i}[\"{}\"]", mermaid_text(&escape(&n.id))),
        other => format!("s{i}(\"{}\")", mermaid_text(&format!("{} ({})", escape(&n.id), other.as_str()))),
    }
}

/// The key on an edge, when it says more than the target's id; `many`
/// marked.
fn edge_label(analysis: &Analysis, e: &Edge) -> Option<String> {
    let target_id = match e.to {
        Target::Service(t) => analysis.nodes().get(t as usize).map(|n| n.id.as_str()),
        Target::Missing(_) => None,
    };
    let key = escape(analysis.key(e.key));
    let label = match target_id {
        Some(id) if id != analysis.key(e.key) => key.clone().into_owned(),
        _ => String::new(),
    };
    if e.many {
        return Some(if label.is_empty() { format!("many {key}") } else { format!("many {label}") });
    }
    (!label.is_empty()).then_some(label)
}

/// A DOT double-quoted string.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text inside a Mermaid `"..."` label: quotes and markup-significant
/// characters as entity codes.
fn mermaid_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(mermaid_text("a\"<b>#"), "a#quot;#lt;b#gt;#35;");
    }
}
