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
    // Each plan finds an id by binary search (`index_of`): no table to build.
    for id in changed {
        let node = old.index_of(id).map(|i| i as usize).or_else(|| new.index_of(id).and_then(|j| node_of_new.get(j as usize).copied()));
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
