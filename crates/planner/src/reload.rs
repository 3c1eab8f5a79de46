//! Hot reload: which services of a running app a new plan replaces.
//!
//! A runtime that applies a new plan to a running app stops exactly the
//! singletons that changed and everything that depends on them (in reverse
//! start order), starts their replacements (in the new plan's start order),
//! and keeps every other instance as it is. Deciding that set is planning,
//! so it is done here, once, for both runtimes.
//!
//! A service changed when its record differs between the two plans (lifetime,
//! provided keys, meta, source, or a dependency's key, flags or bound
//! providers by id), when it was added or removed, or when the runtime says
//! so (a factory replaced under the same id: the plan cannot see code). The
//! change spreads to dependents through both plans' edges at once (lazy ones
//! too: a lazy handle holds its provider's instance), so a kept singleton
//! never holds an instance that was stopped, whichever plan drew the edge.

use crate::plan::{Plan, ServiceRef};

/// What applying `new` to an app running `old` does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reload {
    /// Old singletons to stop, by number in the old plan, in stop order.
    pub stop: Vec<u32>,
    /// New singletons to start, by number in the new plan, in start order.
    pub start: Vec<u32>,
    /// Singletons kept running: (number in the old plan, number in the new).
    pub keep: Vec<(u32, u32)>,
    /// Ids that changed themselves (added, removed, edited, or named by the
    /// caller), sorted.
    pub changed: Vec<String>,
    /// Ids restarted only because something they depend on changed, sorted.
    pub dependents: Vec<String>,
}

impl Reload {
    /// Nothing to stop or start.
    pub fn is_empty(&self) -> bool {
        self.stop.is_empty() && self.start.is_empty()
    }
}

/// The services [`Reload`] stops, starts and keeps when an app running `old`
/// moves to `new`. `changed` names services whose factories the caller
/// replaced (unknown ids are ignored). Linear in the two plans' sizes.
pub fn reload(old: &Plan, new: &Plan, changed: &[&str]) -> Reload {
    let n_old = old.len();
    // One node per id of either plan: old numbers first, then new-only ids.
    // The usual reload (code edited, the graph the same) has the same ids
    // under the same numbers: one pass of comparisons, no search per id.
    let same_ids = old.len() == new.len() && old.services().zip(new.services()).all(|(a, b)| a.id() == b.id());
    let mut node_of_new = Vec::with_capacity(new.len());
    let mut extra = 0usize;
    if same_ids {
        node_of_new.extend(0..new.len());
    } else {
        for s in new.services() {
            match old.index_of(s.id()) {
                Some(i) => node_of_new.push(i as usize),
                None => {
                    node_of_new.push(n_old + extra);
                    extra += 1;
                }
            }
        }
    }
    let nodes = n_old + extra;
    let mut dirty = vec![false; nodes];
    let mut seeds = vec![false; nodes];
    let mut in_new = vec![false; nodes];
    for s in new.services() {
        let node = node_of_new[s.index() as usize];
        in_new[node] = true;
        let same = node < n_old && old.service(node as u32).is_some_and(|o| same_record(old, &o, new, &s));
        if !same {
            seeds[node] = true;
        }
    }
    for (node, present) in in_new.iter().enumerate().take(n_old) {
        if !present {
            seeds[node] = true;
        }
    }
    // The ids the caller names: a search each (they are few).
    for id in changed {
        let node = old.index_of(id).map(|i| i as usize).or_else(|| new.index_of(id).map(|j| node_of_new[j as usize]));
        if let Some(node) = node {
            seeds[node] = true;
        }
    }

    // Dependents of each node through either plan's edges (CSR).
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for s in old.services() {
        for d in s.deps() {
            edges.extend(d.providers().iter().map(|&p| (p as usize, s.index() as usize)));
        }
    }
    for s in new.services() {
        let to = node_of_new[s.index() as usize];
        for d in s.deps() {
            edges.extend(d.providers().iter().map(|&p| (node_of_new[p as usize], to)));
        }
    }
    let mut starts = vec![0u32; nodes + 1];
    for &(from, _) in &edges {
        starts[from + 1] += 1;
    }
    for i in 0..nodes {
        starts[i + 1] += starts[i];
    }
    let mut fill = starts.clone();
    let mut targets = vec![0u32; edges.len()];
    for &(from, to) in &edges {
        targets[fill[from] as usize] = to as u32;
        fill[from] += 1;
    }
    let mut stack: Vec<usize> = (0..nodes).filter(|&n| seeds[n]).collect();
    for &n in &stack {
        dirty[n] = true;
    }
    while let Some(n) = stack.pop() {
        for &t in &targets[starts[n] as usize..starts[n + 1] as usize] {
            if !dirty[t as usize] {
                dirty[t as usize] = true;
                stack.push(t as usize);
            }
        }
    }

    let stop: Vec<u32> = old.shutdown().filter(|&i| dirty[i as usize]).collect();
    let mut start = Vec::new();
    let mut keep = Vec::new();
    for j in new.startup() {
        let node = node_of_new[j as usize];
        if dirty[node] {
            start.push(j);
        } else {
            keep.push((node as u32, j));
        }
    }
    let mut names: Vec<(bool, String)> =
        (0..n_old).filter(|&n| dirty[n]).filter_map(|n| old.service(n as u32).map(|s| (seeds[n], s.id().to_owned()))).collect();
    // New-only ids are all seeds; name them without a search per node.
    for s in new.services() {
        if node_of_new[s.index() as usize] >= n_old {
            names.push((true, s.id().to_owned()));
        }
    }
    let mut changed: Vec<String> = names.iter().filter(|(seed, _)| *seed).map(|(_, id)| id.clone()).collect();
    let mut dependents: Vec<String> = names.into_iter().filter(|(seed, _)| !*seed).map(|(_, id)| id).collect();
    changed.sort_unstable();
    dependents.sort_unstable();
    Reload { stop, start, keep, changed, dependents }
}

/// The same service in both plans: everything a runtime builds it from.
fn same_record(old: &Plan, a: &ServiceRef<'_>, new: &Plan, b: &ServiceRef<'_>) -> bool {
    if a.lifetime() != b.lifetime() || a.meta() != b.meta() || a.source() != b.source() || !a.provides().eq(b.provides()) {
        return false;
    }
    a.deps().len() == b.deps().len()
        && a.deps().zip(b.deps()).all(|(x, y)| {
            x.key() == y.key()
                && x.flags() == y.flags()
                && x.providers().len() == y.providers().len()
                && x.providers().iter().zip(y.providers()).all(|(&p, &q)| id_of(old, p) == id_of(new, q))
        })
}

fn id_of(plan: &Plan, p: u32) -> Option<&str> {
    plan.service(p).map(|s| s.id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(json: &str) -> Plan {
        crate::plan_str(json, &crate::Options::default()).unwrap()
    }

    fn ids(plan: &Plan, numbers: &[u32]) -> Vec<String> {
        numbers.iter().map(|&i| plan.service(i).unwrap().id().to_owned()).collect()
    }

    const APP: &str = r#"{"version":1,"services":[
        {"id":"config"},
        {"id":"db","deps":["config"]},
        {"id":"cache","deps":["config"]},
        {"id":"repo","deps":["db"]},
        {"id":"api","deps":["repo","cache"]}]}"#;

    #[test]
    fn the_same_plan_reloads_nothing() {
        let a = plan(APP);
        let r = reload(&a, &a, &[]);
        assert!(r.is_empty());
        assert_eq!(r.keep.len(), 5);
    }

    #[test]
    fn a_replaced_factory_restarts_it_and_its_dependents_only() {
        let a = plan(APP);
        let r = reload(&a, &a, &["db"]);
        assert_eq!(ids(&a, &r.stop), ["api", "repo", "db"]);
        assert_eq!(ids(&a, &r.start), ["db", "repo", "api"]);
        assert_eq!(r.changed, ["db"]);
        assert_eq!(r.dependents, ["api", "repo"]);
        let kept: Vec<_> = r.keep.iter().map(|&(o, _)| a.service(o).unwrap().id()).collect();
        assert_eq!(kept, ["config", "cache"]);
    }

    #[test]
    fn an_added_dependency_restarts_the_service_that_takes_it() {
        let a = plan(APP);
        let b = plan(
            r#"{"version":1,"services":[
            {"id":"config"},
            {"id":"db","deps":["config"]},
            {"id":"cache","deps":["config","metrics"]},
            {"id":"metrics"},
            {"id":"repo","deps":["db"]},
            {"id":"api","deps":["repo","cache"]}]}"#,
        );
        let r = reload(&a, &b, &[]);
        assert_eq!(ids(&a, &r.stop), ["api", "cache"]);
        assert_eq!(ids(&b, &r.start), ["metrics", "cache", "api"]);
        assert_eq!(r.changed, ["cache", "metrics"]);
    }

    #[test]
    fn a_removed_service_is_stopped_with_what_took_it() {
        let a = plan(APP);
        let b = plan(
            r#"{"version":1,"services":[
            {"id":"config"},
            {"id":"db","deps":["config"]},
            {"id":"repo","deps":["db"]},
            {"id":"api","deps":["repo"]}]}"#,
        );
        let r = reload(&a, &b, &[]);
        assert_eq!(ids(&a, &r.stop), ["api", "cache"]);
        assert_eq!(ids(&b, &r.start), ["api"]);
    }

    #[test]
    fn a_singleton_through_a_changed_transient_restarts() {
        let a = plan(
            r#"{"version":1,"services":[
            {"id":"clock","lifetime":"transient"},
            {"id":"job","deps":["clock"]},
            {"id":"other"}]}"#,
        );
        let r = reload(&a, &a, &["clock"]);
        assert_eq!(ids(&a, &r.stop), ["job"]);
        assert_eq!(ids(&a, &r.start), ["job"]);
    }

    #[test]
    fn a_long_chain_reloads_at_its_leaf_without_recursion() {
        let mut doc = String::from(r#"{"version":1,"services":[{"id":"s0"}"#);
        for i in 1..200_000 {
            doc.push_str(&format!(r#",{{"id":"s{i}","deps":["s{}"]}}"#, i - 1));
        }
        doc.push_str("]}");
        let a = plan(&doc);
        let r = reload(&a, &a, &["s0"]);
        assert_eq!(r.stop.len(), 200_000);
        let r = reload(&a, &a, &["s199999"]);
        assert_eq!(r.stop.len(), 1);
    }
}
