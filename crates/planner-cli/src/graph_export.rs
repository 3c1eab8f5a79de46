//! Pictures of the graph: Graphviz DOT and Mermaid.
//!
//! An edge points from the service that asks to the one that answers
//! (`server -> db`: the server needs the database). Layers are ranks, so
//! layer 0 (what needs nothing) sits at the bottom. Lazy edges are dashed,
//! optional ones dotted; cycle edges and missing keys are red. Ids and keys
//! are shown through the core's `escape` (no control or bidi character
//! reaches a picture or the terminal it is printed on), then quoted for
//! DOT or Mermaid. A sample:
//!
//! ```text
//! digraph wireplan {
//!   node [shape=box];
//!   { rank=same; s0; }
//!   { rank=same; s1; }
//!   s0 [label="config"];
//!   s1 [label="db"];
//!   s1 -> s0;
//! }
//! ```

use std::fmt::Write as _;

use wireplan::{escape, Lifetime};

use crate::graph_model::{Edge, Model, Node, Target};

/// The model as Graphviz DOT.
pub fn dot(model: &Model) -> String {
    let mut out = String::from("digraph wireplan {\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
    let (layers, _) = model.by_layer();
    for (layer, members) in &layers {
        let _ = write!(out, "  subgraph layer_{layer} {{ rank=same;");
        for m in members {
            let _ = write!(out, " s{m};");
        }
        out.push_str(" }\n");
    }
    for (i, n) in model.nodes.iter().enumerate() {
        let mut attrs = vec![format!("label={}", quote(&node_label(n)))];
        if n.lifetime != Lifetime::Singleton {
            attrs.push("style=rounded".to_owned());
        }
        if n.in_cycle {
            attrs.push("color=red".to_owned());
        }
        let _ = writeln!(out, "  s{i} [{}];", attrs.join(", "));
    }
    for (i, m) in model.missing.iter().enumerate() {
        let color = if m.reported { ", color=red, fontcolor=red" } else { "" };
        let _ = writeln!(out, "  k{i} [label={}, shape=note, style=dashed{color}];", quote(&format!("{}\n(missing)", escape(&m.key))));
    }
    for e in &model.edges {
        let target = match e.to {
            Target::Service(t) => format!("s{t}"),
            Target::Missing(m) => format!("k{m}"),
        };
        let mut attrs = Vec::new();
        if let Some(label) = edge_label(model, e) {
            attrs.push(format!("label={}", quote(&label)));
        }
        if e.lazy {
            attrs.push("style=dashed".to_owned());
        } else if e.optional {
            attrs.push("style=dotted".to_owned());
        }
        if e.red || matches!(e.to, Target::Missing(m) if model.missing.get(m).is_some_and(|k| k.reported)) {
            attrs.push("color=red, penwidth=2".to_owned());
        }
        if attrs.is_empty() {
            let _ = writeln!(out, "  s{} -> {target};", e.from);
        } else {
            let _ = writeln!(out, "  s{} -> {target} [{}];", e.from, attrs.join(", "));
        }
    }
    out.push_str("}\n");
    out
}

/// The model as a Mermaid flowchart.
pub fn mermaid(model: &Model) -> String {
    let mut out = String::from("flowchart TB\n");
    let (layers, loose) = model.by_layer();
    for (layer, members) in &layers {
        let _ = writeln!(out, "  subgraph layer_{layer} [\"layer {layer}\"]");
        for &m in members {
            if let Some(n) = model.nodes.get(m) {
                let _ = writeln!(out, "    {}", mermaid_node(m, n));
            }
        }
        out.push_str("  end\n");
    }
    for &m in &loose {
        if let Some(n) = model.nodes.get(m) {
            let _ = writeln!(out, "  {}", mermaid_node(m, n));
        }
    }
    for (i, k) in model.missing.iter().enumerate() {
        let _ = writeln!(out, "  k{i}{{{{\"{}\"}}}}", mermaid_text(&format!("{} (missing)", escape(&k.key))));
    }
    let mut styles = Vec::new();
    for (index, e) in model.edges.iter().enumerate() {
        let target = match e.to {
            Target::Service(t) => format!("s{t}"),
            Target::Missing(m) => format!("k{m}"),
        };
        let arrow = if e.lazy || e.optional { "-.->" } else { "-->" };
        match edge_label(model, e) {
            Some(label) => {
                let _ = writeln!(out, "  s{} {arrow}|\"{}\"| {target}", e.from, mermaid_text(&label));
            }
            None => {
                let _ = writeln!(out, "  s{} {arrow} {target}", e.from);
            }
        }
        let mut style = Vec::new();
        if e.lazy {
            style.push("stroke-dasharray:6 4");
        } else if e.optional {
            style.push("stroke-dasharray:2 2");
        }
        if e.red || matches!(e.to, Target::Missing(m) if model.missing.get(m).is_some_and(|k| k.reported)) {
            style.push("stroke:red,stroke-width:2px");
        }
        if !style.is_empty() {
            styles.push(format!("  linkStyle {index} {}", style.join(",")));
        }
    }
    for s in styles {
        out.push_str(&s);
        out.push('\n');
    }
    let red: Vec<String> = model
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.in_cycle)
        .map(|(i, _)| format!("s{i}"))
        .chain(model.missing.iter().enumerate().filter(|(_, k)| k.reported).map(|(i, _)| format!("k{i}")))
        .collect();
    if !red.is_empty() {
        out.push_str("  classDef problem stroke:red,color:red,stroke-width:2px\n");
        let _ = writeln!(out, "  class {} problem", red.join(","));
    }
    out
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

/// The key on an edge, when it says more than the target's id; `many` marked.
fn edge_label(model: &Model, e: &Edge) -> Option<String> {
    let target_id = match e.to {
        Target::Service(t) => model.nodes.get(t).map(|n| n.id.as_str()),
        Target::Missing(_) => None,
    };
    let key = escape(&e.key);
    let mut label = match target_id {
        Some(id) if id == e.key => String::new(),
        Some(_) => key.clone().into_owned(),
        None => String::new(),
    };
    if e.many {
        label = if label.is_empty() { format!("many {key}") } else { format!("many {label}") };
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
