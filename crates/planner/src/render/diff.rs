//! [`Changes`] in words and as JSON, the same from every front end.
//!
//! ```text
//! services: 1 added, 0 removed, 1 changed
//!   + `cache`
//!   ~ `db`: lifetime singleton -> scoped
//! dependencies: 1 added, 0 removed
//!   + `db` needs `cache`
//! bindings changed:
//!   `server` needs `Database`: `db` -> `fake_db`
//! start-up order changed:
//!   old: `config`, `db`, `server`
//!   new: `config`, `cache`, `db`, `server`
//! new errors: none
//! ```
//!
//! Ids, keys and messages go through [`escape`]; a long order shows its
//! ends and how many are between.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::diagnostic::Report;
use crate::diff::{Changes, Dependency};
use crate::escape::escape;
use crate::render::explain::quoted_list;
use crate::render::{render_report, Style};

fn dep_words(d: &Dependency) -> String {
    let flags: Vec<&str> = [(d.optional, "optional"), (d.many, "many"), (d.lazy, "lazy")].iter().filter(|f| f.0).map(|f| f.1).collect();
    let (service, key) = (escape(&d.service), escape(&d.key));
    if flags.is_empty() {
        format!("`{service}` needs `{key}`")
    } else {
        format!("`{service}` needs `{key}` ({})", flags.join(", "))
    }
}

fn layer_words(l: Option<u32>) -> String {
    l.map_or_else(|| "none".to_owned(), |l| l.to_string())
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        quoted_list(items.iter().map(String::as_str))
    }
}

/// The most entries of an order printed whole; longer ones show their ends.
const ORDER_SHOWN: usize = 40;

fn order_words(ids: &[String]) -> String {
    let quoted = |s: &[String]| s.iter().map(|i| format!("`{}`", escape(i))).collect::<Vec<_>>().join(", ");
    if ids.len() <= ORDER_SHOWN {
        return quoted(ids);
    }
    let head = ids.get(..ORDER_SHOWN / 2).unwrap_or(&[]);
    let tail = ids.get(ids.len() - ORDER_SHOWN / 2..).unwrap_or(&[]);
    format!("{}, ... ({} more), {}", quoted(head), ids.len() - ORDER_SHOWN, quoted(tail))
}

/// The changes for a person; new errors in the core's rendering.
pub fn human(c: &Changes, style: &Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "services: {} added, {} removed, {} changed",
        c.services_added.len(),
        c.services_removed.len(),
        c.services_changed.len()
    );
    for s in &c.services_added {
        let _ = writeln!(out, "  + `{}`", escape(s));
    }
    for s in &c.services_removed {
        let _ = writeln!(out, "  - `{}`", escape(s));
    }
    for s in &c.services_changed {
        let id = escape(&s.id);
        if let Some((o, n)) = s.lifetime {
            let _ = writeln!(out, "  ~ `{id}`: lifetime {} -> {}", o.as_str(), n.as_str());
        }
        if !s.provides_added.is_empty() {
            let _ = writeln!(out, "  ~ `{id}`: now provides {}", list_or_none(&s.provides_added));
        }
        if !s.provides_removed.is_empty() {
            let _ = writeln!(out, "  ~ `{id}`: no longer provides {}", list_or_none(&s.provides_removed));
        }
        if let Some((o, n)) = &s.profiles {
            let words = |p: &[String]| if p.is_empty() { "every profile".to_owned() } else { quoted_list(p.iter().map(String::as_str)) };
            let _ = writeln!(out, "  ~ `{id}`: profiles {} -> {}", words(o), words(n));
        }
        if let Some((o, n)) = &s.recipe {
            let _ = writeln!(out, "  ~ `{id}`: recipe {} -> {}", list_or_none(o), list_or_none(n));
        }
    }
    let _ = writeln!(out, "dependencies: {} added, {} removed", c.deps_added.len(), c.deps_removed.len());
    for d in &c.deps_added {
        let _ = writeln!(out, "  + {}", dep_words(d));
    }
    for d in &c.deps_removed {
        let _ = writeln!(out, "  - {}", dep_words(d));
    }
    if !c.rebound.is_empty() {
        out.push_str("bindings changed:\n");
        for r in &c.rebound {
            let _ = writeln!(
                out,
                "  `{}` needs `{}`: {} -> {}",
                escape(&r.service),
                escape(&r.key),
                list_or_none(&r.old),
                list_or_none(&r.new)
            );
        }
    }
    if !c.compared {
        let which = match c.invalid {
            (true, true) => "OLD and NEW have errors",
            (true, false) => "OLD has errors",
            _ => "NEW has errors",
        };
        let _ = writeln!(out, "start-up order not compared: {which}");
    } else if let Some((o, n)) = &c.startup {
        out.push_str("start-up order changed:\n");
        let _ = writeln!(out, "  old: {}", order_words(o));
        let _ = writeln!(out, "  new: {}", order_words(n));
    } else {
        out.push_str("start-up order unchanged\n");
    }
    let moved: Vec<_> = c.services_changed.iter().filter_map(|s| s.layer.map(|l| (&s.id, l))).collect();
    if !moved.is_empty() {
        out.push_str("layers changed:\n");
        for (id, (o, n)) in moved {
            let _ = writeln!(out, "  `{}`: {} -> {}", escape(id), layer_words(o), layer_words(n));
        }
    }
    if let Some(r) = &c.reload {
        if r.stop.is_empty() && r.start.is_empty() {
            let _ = writeln!(out, "hot reload: nothing to restart ({} running services kept)", r.keep);
        } else {
            let _ = writeln!(out, "hot reload: stops {}, starts {}, keeps {} running", r.stop.len(), r.start.len(), r.keep);
            if !r.stop.is_empty() {
                let _ = writeln!(out, "  stops: {}", order_words(&r.stop));
            }
            if !r.start.is_empty() {
                let _ = writeln!(out, "  starts: {}", order_words(&r.start));
            }
        }
    }
    if !c.fixed_errors.is_empty() {
        let _ = writeln!(out, "fixed errors: {}", c.fixed_errors.len());
        for d in &c.fixed_errors {
            let _ = writeln!(out, "  - {}[{}]: {}", d.severity.as_str(), d.code, escape(&d.message));
        }
    }
    if c.new_errors.is_empty() {
        out.push_str("new errors: none\n");
    } else {
        let _ = writeln!(out, "new errors: {}\n", c.new_errors.len());
        out.push_str(&render_report(&Report { diagnostics: c.new_errors.clone() }, style));
    }
    out
}

/// The changes for a tool.
pub fn json(c: &Changes) -> String {
    let dep = |d: &Dependency| json!({ "service": d.service, "key": d.key, "optional": d.optional, "many": d.many, "lazy": d.lazy });
    let pair = |o: &Value, n: &Value| json!({ "old": o, "new": n });
    let changed: Vec<Value> = c
        .services_changed
        .iter()
        .map(|s| {
            json!({
                "service": s.id,
                "lifetime": s.lifetime.map(|(o, n)| pair(&json!(o.as_str()), &json!(n.as_str()))),
                "provides": { "added": s.provides_added, "removed": s.provides_removed },
                "profiles": s.profiles.as_ref().map(|(o, n)| pair(&json!(o), &json!(n))),
                "recipe": s.recipe.as_ref().map(|(o, n)| pair(&json!(o), &json!(n))),
                "layer": s.layer.map(|(o, n)| pair(&json!(o), &json!(n))),
            })
        })
        .collect();
    let value: Value = json!({
        "services": { "added": c.services_added, "removed": c.services_removed, "changed": changed },
        "dependencies": {
            "added": c.deps_added.iter().map(dep).collect::<Vec<_>>(),
            "removed": c.deps_removed.iter().map(dep).collect::<Vec<_>>(),
        },
        "bindings": c.rebound.iter().map(|r| json!({ "service": r.service, "key": r.key, "old": r.old, "new": r.new })).collect::<Vec<_>>(),
        "startup": {
            "compared": c.compared,
            "changed": c.startup.is_some(),
            "old": c.startup.as_ref().map(|s| &s.0),
            "new": c.startup.as_ref().map(|s| &s.1),
        },
        "layers": c.services_changed.iter().filter_map(|s| s.layer.map(|(o, n)| json!({ "service": s.id, "old": o, "new": n }))).collect::<Vec<_>>(),
        "reload": c.reload.as_ref().map(|r| json!({ "stop": r.stop, "start": r.start, "keep": r.keep })),
        "errors": { "new": c.new_errors, "fixed": c.fixed_errors },
    });
    let mut out = serde_json::to_string_pretty(&value).unwrap_or_default();
    out.push('\n');
    out
}
