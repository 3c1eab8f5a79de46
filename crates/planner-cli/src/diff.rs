//! `wireplan diff OLD NEW`: what a change does to the graph: services and
//! dependencies added and removed (from the descriptors, so broken graphs
//! compare too), how start-up order and layers moved (from the core's plans,
//! when both sides are valid), and which errors are new.
//!
//! ```text
//! services: 1 added, 0 removed
//!   + `cache`
//! dependencies: 1 added, 0 removed
//!   + `db` needs `cache`
//! start-up order changed:
//!   old: `config`, `db`, `server`
//!   new: `config`, `cache`, `db`, `server`
//! layers changed:
//!   `db`: 1 -> 2
//! ```
//!
//! Ids, keys and messages in the human form go through the core's `escape`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{json, Value};
use wireplan::{escape, Descriptors, Diagnostic, Options, Plan, Report, Severity};

/// One side of the comparison.
pub struct Side<'a> {
    /// The parsed descriptors.
    pub descriptors: Descriptors<'a>,
    /// The core's plan, or its report of why there is none.
    pub plan: Result<Plan, Report>,
}

type Dep = (String, String, bool, bool, bool);

/// What changed.
pub struct Changes {
    services_added: Vec<String>,
    services_removed: Vec<String>,
    deps_added: Vec<Dep>,
    deps_removed: Vec<Dep>,
    /// Both start-up orders, when both sides could be planned.
    startup: Option<(Vec<String>, Vec<String>)>,
    /// Services whose layer changed: id, old, new.
    layers: Vec<(String, Option<u32>, Option<u32>)>,
    /// Errors of NEW that OLD did not have.
    pub new_errors: Vec<Diagnostic>,
    /// Errors of OLD that NEW no longer has.
    fixed_errors: Vec<Diagnostic>,
}

fn services(d: &Descriptors<'_>, options: &Options) -> BTreeSet<String> {
    let profile = options.profile.as_deref();
    d.services.iter().filter(|s| s.active_in(profile)).map(|s| s.id.as_str().to_owned()).collect()
}

fn deps(d: &Descriptors<'_>, options: &Options) -> BTreeSet<Dep> {
    let profile = options.profile.as_deref();
    d.services
        .iter()
        .filter(|s| s.active_in(profile))
        .flat_map(|s| {
            s.deps.iter().map(move |x| (s.id.as_str().to_owned(), x.key.as_str().to_owned(), x.optional, x.many, x.lazy))
        })
        .collect()
}

fn errors(plan: &Result<Plan, Report>) -> Vec<Diagnostic> {
    match plan {
        Ok(_) => Vec::new(),
        Err(r) => r.diagnostics.iter().filter(|d| d.severity == Severity::Error).cloned().collect(),
    }
}

/// Two diagnostics are the same problem when code, message, services and
/// key agree (locations move when a file is edited).
fn same(a: &Diagnostic, b: &Diagnostic) -> bool {
    a.code == b.code && a.message == b.message && a.services == b.services && a.key == b.key
}

/// Compares two sides planned with the same options.
pub fn compare(old: &Side<'_>, new: &Side<'_>, options: &Options) -> Changes {
    let (so, sn) = (services(&old.descriptors, options), services(&new.descriptors, options));
    let (d_old, d_new) = (deps(&old.descriptors, options), deps(&new.descriptors, options));
    let mut startup = None;
    let mut layers = Vec::new();
    if let (Ok(po), Ok(pn)) = (&old.plan, &new.plan) {
        let order = |p: &Plan| p.startup().filter_map(|i| p.service(i)).map(|s| s.id().to_owned()).collect::<Vec<_>>();
        let (oo, on) = (order(po), order(pn));
        if oo != on {
            startup = Some((oo, on));
        }
        let layer_map = |p: &Plan| p.services().map(|s| (s.id().to_owned(), s.layer())).collect::<BTreeMap<_, _>>();
        let (lo, ln) = (layer_map(po), layer_map(pn));
        for (id, &l_old) in &lo {
            if let Some(&l_new) = ln.get(id) {
                if l_old != l_new {
                    layers.push((id.clone(), l_old, l_new));
                }
            }
        }
    }
    let (eo, en) = (errors(&old.plan), errors(&new.plan));
    Changes {
        services_added: sn.difference(&so).cloned().collect(),
        services_removed: so.difference(&sn).cloned().collect(),
        deps_added: d_new.difference(&d_old).cloned().collect(),
        deps_removed: d_old.difference(&d_new).cloned().collect(),
        startup,
        layers,
        new_errors: en.iter().filter(|d| !eo.iter().any(|o| same(o, d))).cloned().collect(),
        fixed_errors: eo.iter().filter(|d| !en.iter().any(|n| same(n, d))).cloned().collect(),
    }
}

/// Whether the plans could be compared at all.
fn planned(old: &Side<'_>, new: &Side<'_>) -> bool {
    old.plan.is_ok() && new.plan.is_ok()
}

fn dep_words(d: &Dep) -> String {
    let (service, key, optional, many, lazy) = d;
    let flags: Vec<&str> =
        [(*optional, "optional"), (*many, "many"), (*lazy, "lazy")].iter().filter(|f| f.0).map(|f| f.1).collect();
    let (service, key) = (escape(service), escape(key));
    if flags.is_empty() {
        format!("`{service}` needs `{key}`")
    } else {
        format!("`{service}` needs `{key}` ({})", flags.join(", "))
    }
}

fn layer_words(l: Option<u32>) -> String {
    l.map_or_else(|| "none".to_owned(), |l| l.to_string())
}

/// The longest order printed in full; longer ones are elided in the middle.
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
pub fn human(old: &Side<'_>, new: &Side<'_>, c: &Changes, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "services: {} added, {} removed", c.services_added.len(), c.services_removed.len());
    for s in &c.services_added {
        let _ = writeln!(out, "  + `{}`", escape(s));
    }
    for s in &c.services_removed {
        let _ = writeln!(out, "  - `{}`", escape(s));
    }
    let _ = writeln!(out, "dependencies: {} added, {} removed", c.deps_added.len(), c.deps_removed.len());
    for d in &c.deps_added {
        let _ = writeln!(out, "  + {}", dep_words(d));
    }
    for d in &c.deps_removed {
        let _ = writeln!(out, "  - {}", dep_words(d));
    }
    if !planned(old, new) {
        let which = match (&old.plan, &new.plan) {
            (Err(_), Err(_)) => "OLD and NEW have errors",
            (Err(_), _) => "OLD has errors",
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
    if !c.layers.is_empty() {
        out.push_str("layers changed:\n");
        for (id, o, n) in &c.layers {
            let _ = writeln!(out, "  `{}`: {} -> {}", escape(id), layer_words(*o), layer_words(*n));
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
        let report = Report { diagnostics: c.new_errors.clone() };
        out.push_str(&crate::output::human::render(&report, color));
    }
    out
}

/// The changes for a tool.
pub fn json(old: &Side<'_>, new: &Side<'_>, c: &Changes) -> String {
    let dep = |d: &Dep| json!({ "service": d.0, "key": d.1, "optional": d.2, "many": d.3, "lazy": d.4 });
    let value: Value = json!({
        "services": { "added": c.services_added, "removed": c.services_removed },
        "dependencies": {
            "added": c.deps_added.iter().map(dep).collect::<Vec<_>>(),
            "removed": c.deps_removed.iter().map(dep).collect::<Vec<_>>(),
        },
        "startup": {
            "compared": planned(old, new),
            "changed": c.startup.is_some(),
            "old": c.startup.as_ref().map(|s| &s.0),
            "new": c.startup.as_ref().map(|s| &s.1),
        },
        "layers": c.layers.iter().map(|(id, o, n)| json!({ "service": id, "old": o, "new": n })).collect::<Vec<_>>(),
        "errors": { "new": c.new_errors, "fixed": c.fixed_errors },
    });
    let mut out = serde_json::to_string_pretty(&value).unwrap_or_default();
    out.push('\n');
    out
}
