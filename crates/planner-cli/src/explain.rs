//! `wireplan explain`: one service's place in a valid plan, from the core's
//! queries (`Plan::dependencies`, `Plan::dependents`, `Plan::path`,
//! `ServiceRef::layer`).
//!
//! ```text
//! `db`: singleton, start-up layer 1
//! needs (1): `config`
//! needed by (1), restarted when `db` changes: `server`
//! why `config` starts before `server`:
//!   `server` needs `Database` (provided by `db`)
//!   `db` needs `config`
//! ```
//!
//! Ids and keys are shown through the core's `escape`: a descriptor cannot
//! put control or bidi characters on a terminal through them.

use std::fmt::Write as _;

use serde_json::{json, Value};
use wireplan::{escape, Plan};

use crate::failure::Failure;

/// What `explain` found, ready to print.
pub struct Explanation {
    service: u32,
    dependencies: Vec<u32>,
    dependents: Vec<u32>,
    why: Option<Why>,
}

struct Why {
    other: u32,
    /// `[a, ..., b]`, each needing the next: `b` starts before `a`.
    path: Option<Vec<u32>>,
}

/// The service numbered by `id`, or a one-line usage failure with the
/// core's did-you-mean suggestions.
///
/// # Errors
/// [`Failure::Usage`] when no planned service has that id.
pub fn lookup(plan: &Plan, id: &str) -> Result<u32, Failure> {
    if let Some(i) = plan.index_of(id) {
        return Ok(i);
    }
    let ids: Vec<&str> = plan.services().map(|s| s.id()).collect();
    let hints = wireplan::suggest(id, &ids);
    let hint = match hints.first() {
        Some(h) => format!("; did you mean `{}`?", escape(h)),
        None => String::new(),
    };
    Err(Failure::Usage(format!("no service `{}` in the plan{hint}", escape(id))))
}

/// Asks the plan about `service` (and `other`, for `--why`).
pub fn explain(plan: &Plan, service: u32, other: Option<u32>) -> Explanation {
    let why = other.map(|o| Why { other: o, path: plan.path(service, o).or_else(|| plan.path(o, service)) });
    Explanation { service, dependencies: plan.dependencies(service), dependents: plan.dependents(service), why }
}

fn id(plan: &Plan, i: u32) -> &str {
    plan.service(i).map_or("?", |s| s.id())
}

/// The ids of `list`, quoted and escaped, for a person.
fn ids(plan: &Plan, list: &[u32]) -> String {
    list.iter().map(|&i| format!("`{}`", escape(id(plan, i)))).collect::<Vec<_>>().join(", ")
}

/// The key through which `from` needs `to` (its first non-lazy binding to it).
fn key_between(plan: &Plan, from: u32, to: u32) -> Option<&str> {
    plan.service(from)?.deps().find(|b| !b.lazy() && b.providers().contains(&to)).map(|b| b.key())
}

/// The explanation for a person.
pub fn human(plan: &Plan, e: &Explanation) -> String {
    let mut out = String::new();
    let Some(svc) = plan.service(e.service) else { return out };
    match svc.layer() {
        Some(layer) => {
            let _ = writeln!(out, "`{}`: {}, start-up layer {layer}", escape(svc.id()), svc.lifetime().as_str());
        }
        None => {
            let _ = writeln!(out, "`{}`: {}, built on demand (not part of start-up)", escape(svc.id()), svc.lifetime().as_str());
            if !svc.recipe().is_empty() {
                let _ = writeln!(out, "recipe: {}", ids(plan, svc.recipe()));
            }
        }
    }
    if e.dependencies.is_empty() {
        out.push_str("needs nothing\n");
    } else {
        let _ = writeln!(out, "needs ({}): {}", e.dependencies.len(), ids(plan, &e.dependencies));
    }
    if e.dependents.is_empty() {
        out.push_str("needed by nothing\n");
    } else {
        let _ = writeln!(
            out,
            "needed by ({}), restarted when `{}` changes: {}",
            e.dependents.len(),
            escape(svc.id()),
            ids(plan, &e.dependents)
        );
    }
    if let Some(why) = &e.why {
        match &why.path {
            Some(path) if path.len() >= 2 => {
                let (first, last) = (path.first().copied().unwrap_or(0), path.last().copied().unwrap_or(0));
                let _ = writeln!(out, "why `{}` starts before `{}`:", escape(id(plan, last)), escape(id(plan, first)));
                for pair in path.windows(2) {
                    if let [a, b] = *pair {
                        match key_between(plan, a, b) {
                            Some(key) if key != id(plan, b) => {
                                let _ = writeln!(out, "  `{}` needs `{}` (provided by `{}`)", escape(id(plan, a)), escape(key), escape(id(plan, b)));
                            }
                            _ => {
                                let _ = writeln!(out, "  `{}` needs `{}`", escape(id(plan, a)), escape(id(plan, b)));
                            }
                        }
                    }
                }
            }
            Some(_) => {
                let _ = writeln!(out, "`{}` is the service itself", escape(id(plan, why.other)));
            }
            None => {
                let _ = writeln!(
                    out,
                    "neither `{}` nor `{}` needs the other through non-lazy dependencies: their order is only the tie-break rule",
                    escape(svc.id()),
                    escape(id(plan, why.other))
                );
            }
        }
    }
    out
}

/// The explanation for a tool.
pub fn json(plan: &Plan, e: &Explanation) -> String {
    let svc = plan.service(e.service);
    let names = |list: &[u32]| list.iter().map(|&i| id(plan, i).to_owned()).collect::<Vec<_>>();
    let why = e.why.as_ref().map(|w| {
        let path = w.path.as_ref().map(|p| names(p));
        let (before, after) = match &w.path {
            Some(p) if p.len() >= 2 => (
                p.last().map(|&i| id(plan, i).to_owned()),
                p.first().map(|&i| id(plan, i).to_owned()),
            ),
            _ => (None, None),
        };
        json!({ "other": id(plan, w.other), "path": path, "before": before, "after": after })
    });
    let value: Value = json!({
        "service": svc.map(|s| s.id()),
        "lifetime": svc.map(|s| s.lifetime().as_str()),
        "layer": svc.and_then(|s| s.layer()),
        "recipe": svc.map(|s| names(s.recipe())),
        "dependencies": names(&e.dependencies),
        "dependents": names(&e.dependents),
        "why": why,
    });
    let mut out = serde_json::to_string_pretty(&value).unwrap_or_default();
    out.push('\n');
    out
}
