//! What a change does to a graph: two [`Analysis`]es compared, valid or
//! broken; [`crate::render::diff`] puts it in words and JSON.
//!
//! Services are matched by id. For a service on both sides, everything a
//! reviewer acts on is compared: lifetime, provided keys, profiles,
//! dependencies, the providers each dependency is bound to, the recipe of
//! a scoped or transient service, and the start-up layer. Then the
//! start-up order (when both sides are valid) and the errors that are new
//! or fixed. Every list is sorted, so a diff does not depend on
//! declaration order.

use std::collections::{BTreeMap, BTreeSet};

use crate::analysis::{Analysis, Target};
use crate::descriptor::Lifetime;
use crate::diagnostic::{Diagnostic, Severity};

/// A dependency as declared: who asks, for which key, how.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dependency {
    /// The asking service.
    pub service: String,
    /// The key.
    pub key: String,
    /// May be absent.
    pub optional: bool,
    /// Binds every provider.
    pub many: bool,
    /// Handed over lazily.
    pub lazy: bool,
}

/// A dependency now bound to other providers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rebinding {
    /// The asking service.
    pub service: String,
    /// The key.
    pub key: String,
    /// Providers before (ids; empty: none).
    pub old: Vec<String>,
    /// Providers after.
    pub new: Vec<String>,
}

/// What changed in one service present on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceChange {
    /// The service.
    pub id: String,
    /// Old and new lifetime, when it changed.
    pub lifetime: Option<(Lifetime, Lifetime)>,
    /// Keys it provides now and did not.
    pub provides_added: Vec<String>,
    /// Keys it no longer provides.
    pub provides_removed: Vec<String>,
    /// Old and new profiles, when they changed.
    pub profiles: Option<(Vec<String>, Vec<String>)>,
    /// Old and new recipe (ids), when it changed.
    pub recipe: Option<(Vec<String>, Vec<String>)>,
    /// Old and new start-up layer, when it changed.
    pub layer: Option<(Option<u32>, Option<u32>)>,
}

impl ServiceChange {
    fn is_empty(&self) -> bool {
        self.lifetime.is_none()
            && self.provides_added.is_empty()
            && self.provides_removed.is_empty()
            && self.profiles.is_none()
            && self.recipe.is_none()
            && self.layer.is_none()
    }
}

/// What changed between two graphs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Changes {
    /// Ids of services only NEW has.
    pub services_added: Vec<String>,
    /// Ids of services only OLD has.
    pub services_removed: Vec<String>,
    /// Services on both sides that changed, by id.
    pub services_changed: Vec<ServiceChange>,
    /// Dependencies only NEW declares.
    pub deps_added: Vec<Dependency>,
    /// Dependencies only OLD declares.
    pub deps_removed: Vec<Dependency>,
    /// Dependencies on both sides bound to other providers.
    pub rebound: Vec<Rebinding>,
    /// Whether both sides are valid, so orders could be compared.
    pub compared: bool,
    /// Both start-up orders, when both are valid and they differ.
    pub startup: Option<(Vec<String>, Vec<String>)>,
    /// Errors of NEW that OLD did not have.
    pub new_errors: Vec<Diagnostic>,
    /// Errors of OLD that NEW no longer has.
    pub fixed_errors: Vec<Diagnostic>,
    /// Which sides have errors: (old, new).
    pub invalid: (bool, bool),
    /// What a hot reload from OLD to NEW does to a running app, when both
    /// are valid ([`crate::reload`]).
    pub reload: Option<ReloadSummary>,
}

/// A hot reload in words: which running singletons it stops and which it
/// starts (ids, sorted), and how many it leaves running.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReloadSummary {
    /// Old singletons stopped.
    pub stop: Vec<String>,
    /// New singletons started.
    pub start: Vec<String>,
    /// Singletons kept running, untouched.
    pub keep: usize,
}

impl Changes {
    /// Whether nothing changed at all.
    pub fn is_empty(&self) -> bool {
        self.services_added.is_empty()
            && self.services_removed.is_empty()
            && self.services_changed.is_empty()
            && self.deps_added.is_empty()
            && self.deps_removed.is_empty()
            && self.rebound.is_empty()
            && self.startup.is_none()
            && self.new_errors.is_empty()
            && self.fixed_errors.is_empty()
    }
}

fn by_id(a: &Analysis) -> BTreeMap<&str, u32> {
    a.nodes().iter().enumerate().map(|(i, n)| (n.id.as_str(), i as u32)).collect()
}

fn dependencies(a: &Analysis) -> BTreeSet<Dependency> {
    let mut out = BTreeSet::new();
    for (i, n) in a.nodes().iter().enumerate() {
        for (key, optional, many, lazy) in a.deps_of(i as u32) {
            out.insert(Dependency { service: n.id.clone(), key: a.key(*key).to_owned(), optional: *optional, many: *many, lazy: *lazy });
        }
    }
    out
}

/// `(service, key) -> sorted provider ids`, for every declared dependency.
fn bindings(a: &Analysis) -> BTreeMap<(String, String), Vec<String>> {
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (i, n) in a.nodes().iter().enumerate() {
        for (key, ..) in a.deps_of(i as u32) {
            out.entry((n.id.clone(), a.key(*key).to_owned())).or_default();
        }
        for e in a.edges_of(i as u32) {
            if let Target::Service(t) = e.to {
                if let Some(p) = a.nodes().get(t as usize) {
                    out.entry((n.id.clone(), a.key(e.key).to_owned())).or_default().push(p.id.clone());
                }
            }
        }
    }
    for list in out.values_mut() {
        list.sort_unstable();
        list.dedup();
    }
    out
}

fn errors(a: &Analysis) -> Vec<&Diagnostic> {
    a.report().diagnostics.iter().filter(|d| d.severity == Severity::Error).collect()
}

/// Two diagnostics are the same problem when code, message, services and
/// key agree (locations move when a file is edited).
fn same(a: &Diagnostic, b: &Diagnostic) -> bool {
    a.code == b.code && a.message == b.message && a.services == b.services && a.key == b.key
}

fn recipe(a: &Analysis, id: &str) -> Option<Vec<String>> {
    let plan = a.plan()?;
    let s = plan.service(plan.index_of(id)?)?;
    Some(s.recipe().iter().filter_map(|&i| plan.service(i)).map(|s| s.id().to_owned()).collect())
}

fn sorted(list: &[String]) -> Vec<String> {
    let mut v = list.to_vec();
    v.sort_unstable();
    v
}

/// Compares OLD with NEW.
///
/// # Complexity
/// O((S + E) log (S + E)): sets keyed by id.
pub fn diff(old: &Analysis, new: &Analysis) -> Changes {
    let (io, in_) = (by_id(old), by_id(new));
    let services_added = in_.keys().filter(|k| !io.contains_key(*k)).map(|k| (*k).to_owned()).collect();
    let services_removed = io.keys().filter(|k| !in_.contains_key(*k)).map(|k| (*k).to_owned()).collect();
    let mut services_changed = Vec::new();
    for (id, &o) in &io {
        let Some(&n) = in_.get(id) else { continue };
        let (Some(a), Some(b)) = (old.nodes().get(o as usize), new.nodes().get(n as usize)) else { continue };
        let mut c = ServiceChange { id: (*id).to_owned(), ..ServiceChange::default() };
        if a.lifetime != b.lifetime {
            c.lifetime = Some((a.lifetime, b.lifetime));
        }
        let (pa, pb): (BTreeSet<&String>, BTreeSet<&String>) = (a.provides.iter().collect(), b.provides.iter().collect());
        c.provides_added = pb.difference(&pa).map(|s| (*s).clone()).collect();
        c.provides_removed = pa.difference(&pb).map(|s| (*s).clone()).collect();
        let (fa, fb) = (sorted(&a.profiles), sorted(&b.profiles));
        if fa != fb {
            c.profiles = Some((fa, fb));
        }
        if old.is_valid() && new.is_valid() {
            let (ra, rb) = (recipe(old, id).unwrap_or_default(), recipe(new, id).unwrap_or_default());
            if ra != rb {
                c.recipe = Some((ra, rb));
            }
        }
        if a.layer != b.layer {
            c.layer = Some((a.layer, b.layer));
        }
        if !c.is_empty() {
            services_changed.push(c);
        }
    }
    let (d_old, d_new) = (dependencies(old), dependencies(new));
    let (b_old, b_new) = (bindings(old), bindings(new));
    let rebound = b_old
        .iter()
        .filter_map(|((service, key), o)| {
            let n = b_new.get(&(service.clone(), key.clone()))?;
            (o != n).then(|| Rebinding { service: service.clone(), key: key.clone(), old: o.clone(), new: n.clone() })
        })
        .collect();
    let compared = old.is_valid() && new.is_valid();
    let startup = match (old.plan(), new.plan()) {
        (Some(po), Some(pn)) => {
            let order = |p: &crate::Plan| p.startup().filter_map(|i| p.service(i)).map(|s| s.id().to_owned()).collect::<Vec<_>>();
            let (oo, on) = (order(po), order(pn));
            (oo != on).then_some((oo, on))
        }
        _ => None,
    };
    let reload = match (old.plan(), new.plan()) {
        (Some(po), Some(pn)) => {
            let r = crate::reload::reload(po, pn, &[]);
            let ids = |p: &crate::Plan, numbers: &[u32]| {
                let mut v: Vec<String> = numbers.iter().filter_map(|&i| p.service(i)).map(|s| s.id().to_owned()).collect();
                v.sort_unstable();
                v
            };
            Some(ReloadSummary { stop: ids(po, &r.stop), start: ids(pn, &r.start), keep: r.keep.len() })
        }
        _ => None,
    };
    let (eo, en) = (errors(old), errors(new));
    Changes {
        services_added,
        services_removed,
        services_changed,
        deps_added: d_new.difference(&d_old).cloned().collect(),
        deps_removed: d_old.difference(&d_new).cloned().collect(),
        rebound,
        compared,
        startup,
        new_errors: en.iter().filter(|d| !eo.iter().any(|o| same(o, d))).map(|d| (*d).clone()).collect(),
        fixed_errors: eo.iter().filter(|d| !en.iter().any(|n| same(n, d))).map(|d| (*d).clone()).collect(),
        invalid: (!old.is_valid(), !new.is_valid()),
        reload,
    }
}
