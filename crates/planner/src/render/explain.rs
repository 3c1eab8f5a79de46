//! An [`Explanation`] in words and as JSON, the same from every front end.
//!
//! ```text
//! `db`: singleton, start-up layer 1
//!   declared at services.json:3:5 (services[1])
//! provides: `db`, `Database`
//! needs (1):
//!   `config` -> `config`
//! needed by (1): `server`
//! a change to `db` restarts (1): `server`
//! why `config` starts before `server`:
//!   `server` needs `Database`, provided by `db`
//!   `db` needs `config`
//! ```
//!
//! Long lists show their first [`SHOWN`] entries and how many more; the
//! JSON form has them all. Ids and keys go through [`escape`].

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::analysis::{Analysis, Target};
use crate::descriptor::Lifetime;
use crate::escape::escape;
use crate::explain::{Explanation, Subject};
use crate::render::{render_diagnostic, Style};

/// The most entries of a list shown in words.
pub const SHOWN: usize = 40;

fn id(a: &Analysis, i: u32) -> &str {
    a.nodes().get(i as usize).map_or("?", |n| n.id.as_str())
}

/// `a`, `b`, ... (N more): ids quoted and escaped, for a person.
pub(crate) fn quoted_list<'s>(items: impl ExactSizeIterator<Item = &'s str>) -> String {
    let total = items.len();
    let mut out: Vec<String> = items.take(SHOWN).map(|s| format!("`{}`", escape(s))).collect();
    if total > SHOWN {
        out.push(format!("... ({} more)", total - SHOWN));
    }
    out.join(", ")
}

fn ids(a: &Analysis, list: &[u32]) -> String {
    quoted_list(list.iter().map(|&i| id(a, i)))
}

fn flags(optional: bool, many: bool, lazy: bool) -> String {
    let f: Vec<&str> = [(optional, "optional"), (many, "many"), (lazy, "lazy")].iter().filter(|f| f.0).map(|f| f.1).collect();
    if f.is_empty() {
        String::new()
    } else {
        format!(" ({})", f.join(", "))
    }
}

/// The explanation for a person.
pub fn human(a: &Analysis, e: &Explanation, style: &Style) -> String {
    let mut out = String::new();
    match &e.subject {
        Subject::Service { node, via } => service_words(a, e, *node, via.as_deref(), &mut out),
        Subject::Key { key, providers, askers } => {
            let _ = writeln!(out, "key `{}`", escape(key));
            if providers.is_empty() {
                out.push_str("provided by no service\n");
            } else {
                let _ = writeln!(out, "provided by ({}): {}", providers.len(), ids(a, providers));
            }
            let who: Vec<u32> = askers.iter().map(|&(n, _)| n).collect();
            if who.is_empty() {
                out.push_str("asked for by no service\n");
            } else {
                let _ = writeln!(out, "asked for by ({}): {}", who.len(), ids(a, &who));
            }
        }
    }
    if !e.problems.is_empty() {
        let _ = writeln!(out, "problems ({}):", e.problems.len());
        for &i in e.problems.iter().take(SHOWN) {
            if let Some(d) = a.report().diagnostics.get(i) {
                for line in render_diagnostic(d, style).lines() {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
        if e.problems.len() > SHOWN {
            let _ = writeln!(out, "  ... ({} more)", e.problems.len() - SHOWN);
        }
    }
    out
}

fn service_words(a: &Analysis, e: &Explanation, node: u32, via: Option<&str>, out: &mut String) {
    let Some(n) = a.nodes().get(node as usize) else { return };
    let sid = escape(&n.id);
    if let Some(key) = via {
        let _ = writeln!(out, "key `{}` is provided by `{sid}`", escape(key));
    }
    match (n.layer, n.lifetime) {
        (Some(layer), _) => {
            let _ = writeln!(out, "`{sid}`: {}, start-up layer {layer}", n.lifetime.as_str());
        }
        (None, Lifetime::Singleton) => {
            let why = if n.in_cycle { "it is in a dependency cycle" } else { "what it needs cannot start" };
            let _ = writeln!(out, "`{sid}`: singleton, no start-up layer: {why}");
        }
        (None, other) => {
            let _ = writeln!(out, "`{sid}`: {}, built on demand (not part of start-up)", other.as_str());
        }
    }
    if let Some(loc) = &n.location {
        let _ = writeln!(out, "  declared at {}", escape(&loc.to_string()));
    }
    if n.unused {
        out.push_str("  not needed by any root\n");
    }
    if let Some(recipe) = recipe(a, node) {
        if !recipe.is_empty() {
            let _ = writeln!(out, "recipe: {}", quoted_list(recipe.iter().map(String::as_str)));
        }
    }
    let _ = writeln!(out, "provides: {}", quoted_list(n.provides.iter().map(String::as_str)));
    let deps = a.deps_of(node);
    if deps.is_empty() {
        out.push_str("needs nothing\n");
    } else {
        let _ = writeln!(out, "needs ({}):", deps.len());
        for (i, (key, optional, many, lazy)) in deps.iter().enumerate().take(SHOWN) {
            let edges: Vec<_> = a.edges_of(node).iter().filter(|x| x.dep == i as u32).collect();
            let bound = match edges.first().map(|x| x.to) {
                None => "nothing provides it".to_owned(),
                Some(Target::Missing(_)) => "missing: no service provides it".to_owned(),
                Some(Target::Service(_)) => {
                    let mut s = quoted_list(
                        edges
                            .iter()
                            .filter_map(|x| match x.to {
                                Target::Service(t) => Some(id(a, t)),
                                Target::Missing(_) => None,
                            })
                            .collect::<Vec<_>>()
                            .into_iter(),
                    );
                    if let Some(p) = edges.iter().find_map(|x| x.problem) {
                        let _ = write!(s, "  [{}]", p.as_str());
                    }
                    s
                }
            };
            let _ = writeln!(out, "  `{}`{} -> {bound}", escape(a.key(*key)), flags(*optional, *many, *lazy));
        }
        if deps.len() > SHOWN {
            let _ = writeln!(out, "  ... ({} more)", deps.len() - SHOWN);
        }
    }
    if e.dependents.is_empty() {
        out.push_str("needed by nothing\n");
    } else {
        let _ = writeln!(out, "needed by ({}): {}", e.dependents.len(), ids(a, &e.dependents));
    }
    if !e.affected.is_empty() {
        let _ = writeln!(out, "a change to `{sid}` restarts ({}): {}", e.affected.len(), ids(a, &e.affected));
    }
    if let Some(why) = &e.why {
        match &why.path {
            Some(path) if path.len() >= 2 => {
                let (first, last) = (path.first().copied().unwrap_or(0), path.last().copied().unwrap_or(0));
                let _ = writeln!(out, "why `{}` starts before `{}`:", escape(id(a, last)), escape(id(a, first)));
                for pair in path.windows(2) {
                    if let [x, y] = *pair {
                        match a.key_between(x, y) {
                            Some(key) if key != id(a, y) => {
                                let _ =
                                    writeln!(out, "  `{}` needs `{}`, provided by `{}`", escape(id(a, x)), escape(key), escape(id(a, y)));
                            }
                            _ => {
                                let _ = writeln!(out, "  `{}` needs `{}`", escape(id(a, x)), escape(id(a, y)));
                            }
                        }
                    }
                }
            }
            Some(_) => {
                let _ = writeln!(out, "`{}` is the service itself", escape(id(a, why.other)));
            }
            None => {
                let _ = writeln!(
                    out,
                    "neither `{sid}` nor `{}` needs the other through non-lazy dependencies: their order is only the tie-break rule (layer, then id)",
                    escape(id(a, why.other))
                );
            }
        }
    }
}

/// The plan's recipe of a scoped or transient service, as ids.
fn recipe(a: &Analysis, node: u32) -> Option<Vec<String>> {
    let plan = a.plan()?;
    let n = a.nodes().get(node as usize)?;
    let s = plan.service(plan.index_of(&n.id)?)?;
    Some(s.recipe().iter().filter_map(|&i| plan.service(i)).map(|s| s.id().to_owned()).collect())
}

/// The explanation for a tool: every list whole.
pub fn json(a: &Analysis, e: &Explanation) -> String {
    let names = |list: &[u32]| list.iter().map(|&i| id(a, i).to_owned()).collect::<Vec<_>>();
    let problems: Vec<_> = e.problems.iter().filter_map(|&i| a.report().diagnostics.get(i)).collect();
    let value: Value = match &e.subject {
        Subject::Service { node, via } => {
            let n = a.nodes().get(*node as usize);
            let deps: Vec<Value> = a
                .deps_of(*node)
                .iter()
                .enumerate()
                .map(|(i, (key, optional, many, lazy))| {
                    let edges: Vec<_> = a.edges_of(*node).iter().filter(|x| x.dep == i as u32).collect();
                    let providers: Vec<&str> = edges
                        .iter()
                        .filter_map(|x| match x.to {
                            Target::Service(t) => Some(id(a, t)),
                            Target::Missing(_) => None,
                        })
                        .collect();
                    json!({
                        "key": a.key(*key), "optional": optional, "many": many, "lazy": lazy,
                        "providers": providers,
                        "problem": edges.iter().find_map(|x| x.problem).map(|p| p.as_str()),
                    })
                })
                .collect();
            let why = e.why.as_ref().map(|w| {
                let path = w.path.as_ref().map(|p| names(p));
                let (before, after) = match &w.path {
                    Some(p) if p.len() >= 2 => (p.last().map(|&i| id(a, i)), p.first().map(|&i| id(a, i))),
                    _ => (None, None),
                };
                json!({ "other": id(a, w.other), "path": path, "before": before, "after": after })
            });
            json!({
                "kind": "service",
                "service": n.map(|n| n.id.as_str()),
                "via_key": via,
                "lifetime": n.map(|n| n.lifetime.as_str()),
                "layer": n.and_then(|n| n.layer),
                "location": n.and_then(|n| n.location.as_ref()),
                "unused": n.is_some_and(|n| n.unused),
                "provides": n.map(|n| &n.provides),
                "recipe": recipe(a, *node),
                "needs": deps,
                "needed_by": names(&e.dependents),
                "affected": names(&e.affected),
                "problems": problems,
                "why": why,
            })
        }
        Subject::Key { key, providers, askers } => {
            let who: Vec<u32> = askers.iter().map(|&(n, _)| n).collect();
            json!({
                "kind": "key",
                "key": key,
                "providers": names(providers),
                "asked_by": names(&who),
                "problems": problems,
            })
        }
    };
    let mut out = serde_json::to_string_pretty(&value).unwrap_or_default();
    out.push('\n');
    out
}
