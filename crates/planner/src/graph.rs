//! The resolved graph: services of the active profile, keys interned,
//! each dependency bound to its providers, adjacency in compact arrays.
//!
//! Everything is indexed by `u32` node numbers in declaration order, and
//! adjacency is stored as offset arrays (CSR) rather than a `Vec` per node,
//! which keeps a 100k-service graph in a few flat allocations.

use rustc_hash::FxHashMap;

use crate::descriptor::{DepDesc, Descriptors, Lifetime, ServiceDesc};
use crate::diagnostic::{Location, Related};
use crate::error::Error;
use crate::intern::{self, Interner};
use crate::limits::what;
use crate::locate;
use crate::options::Options;

/// A key that no service provides has no providers; its slot is empty.
pub(crate) const NO_KEY: u32 = u32::MAX;

/// Why a `replaces` entry cannot be honoured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReplacementFault {
    /// A service names itself.
    Itself,
    /// The service is replaced by another one too (that one's node).
    Twice(u32),
    /// No service of any profile has that id.
    Unknown,
    /// Services that replace each other: the cycle as drawn.
    Cycle(String),
}

/// One dependency after resolution.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dep {
    /// Interned key.
    pub key: u32,
    /// Index of the dependency in the service's `deps`.
    pub optional: bool,
    pub many: bool,
    pub lazy: bool,
}

/// Compressed sparse rows: `items[start[i]..start[i + 1]]` belong to row `i`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Csr {
    pub start: Vec<u32>,
    pub items: Vec<u32>,
}

impl Csr {
    pub fn row(&self, i: u32) -> &[u32] {
        let i = i as usize;
        match (self.start.get(i), self.start.get(i + 1)) {
            (Some(&a), Some(&b)) => self.items.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Builds rows from `(row, item)` pairs, keeping the pairs' order inside a row.
    pub fn from_pairs(rows: usize, pairs: &[(u32, u32)]) -> Csr {
        let mut start = vec![0u32; rows + 1];
        for &(r, _) in pairs {
            if let Some(c) = start.get_mut(r as usize + 1) {
                *c += 1;
            }
        }
        for i in 0..rows {
            let prev = start.get(i).copied().unwrap_or(0);
            if let Some(c) = start.get_mut(i + 1) {
                *c += prev;
            }
        }
        let mut fill = start.clone();
        let mut items = vec![0u32; pairs.len()];
        for &(r, x) in pairs {
            if let Some(pos) = fill.get_mut(r as usize) {
                if let Some(slot) = items.get_mut(*pos as usize) {
                    *slot = x;
                }
                *pos += 1;
            }
        }
        Csr { start, items }
    }
}

/// The graph of the live services and what the checks need to know.
pub(crate) struct Graph<'d, 'a> {
    pub desc: &'d Descriptors<'a>,
    /// Index into `desc.services` of each node.
    pub node_desc: Vec<u32>,
    /// Keys each node provides (interned, deduplicated, replacements folded in).
    pub provides: Csr,
    /// Interned keys (ids included): numbered strings, looked up by text.
    pub names: Interner<'d>,
    /// Providers of each key, in declaration order.
    pub providers: Csr,
    /// Each node's dependencies, in declaration order: `dep_start[n]..dep_start[n+1]`.
    pub dep_start: Vec<u32>,
    pub deps: Vec<Dep>,
    /// Nodes that must be planned (all, or what the roots reach).
    pub planned: Vec<bool>,
    /// Nodes not replaced by another service (replaced ones stay numbered,
    /// but are out of the graph).
    pub live: Vec<bool>,
    /// Services declared again under an id already taken: `(the first's
    /// node, the duplicate's index in the descriptors)`, the first
    /// `max_diagnostics` in report order (`check/duplicate.rs` reports them).
    pub duplicates: Vec<(u32, usize)>,
    /// `replaces` that cannot be honoured: `(the replacer's index in the
    /// descriptors, the id it names, why)`, in report order
    /// (`check/replacement.rs` reports them).
    pub replacement_faults: Vec<(u32, &'d str, ReplacementFault)>,
    /// Roots that name no live service, sorted, the first `max_diagnostics`
    /// (`check/root.rs` reports them).
    pub unknown_roots: Vec<String>,
    /// Problems found but not built into `diagnostics`, past the limit.
    pub omitted: usize,
    /// The most diagnostics of one kind worth building.
    pub max_diagnostics: usize,
    /// For each interned string, the live node whose id it is (`u32::MAX` if none).
    pub key_node: Vec<u32>,
    /// Services that no root needs (with roots), by node.
    pub unused: Vec<u32>,
    /// Some dependency has no provider (it may be in an unplanned service).
    pub suspect_missing: bool,
    /// Some single dependency has several providers.
    pub suspect_ambiguous: bool,
    /// Room left for the report's text (`max_report_bytes`).
    pub room: crate::budget::Room,
    /// Service offsets in each document, found on demand for diagnostics.
    offsets: std::cell::RefCell<FxHashMap<u32, locate::DocumentIndex>>,
}

impl<'d, 'a> Graph<'d, 'a> {
    pub fn len(&self) -> usize {
        self.node_desc.len()
    }

    /// The live node with this id.
    pub fn node_of(&self, id: &str) -> Option<u32> {
        self.names.get(id).and_then(|k| self.key_node.get(k as usize)).copied().filter(|&n| n != u32::MAX)
    }

    pub fn service(&self, node: u32) -> Option<&'d ServiceDesc<'a>> {
        let desc: &'d Descriptors<'a> = self.desc;
        self.node_desc.get(node as usize).and_then(|&i| desc.services.get(i as usize))
    }

    pub fn id(&self, node: u32) -> &'d str {
        self.service(node).map_or("", |s| s.id.as_str())
    }

    pub fn lifetime(&self, node: u32) -> Lifetime {
        self.service(node).map_or(Lifetime::Singleton, |s| s.lifetime)
    }

    pub fn key(&self, key: u32) -> &'d str {
        self.names.keys().get(key as usize).copied().unwrap_or("")
    }

    pub fn deps_of(&self, node: u32) -> &[Dep] {
        let n = node as usize;
        match (self.dep_start.get(n), self.dep_start.get(n + 1)) {
            (Some(&a), Some(&b)) => self.deps.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Providers bound to a dependency (empty when the key has none).
    pub fn providers_of(&self, dep: &Dep) -> &[u32] {
        if dep.key == NO_KEY {
            &[]
        } else {
            self.providers.row(dep.key)
        }
    }

    /// Non-lazy edges of a node, each with the key it asks for.
    pub fn edges(&self, node: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.deps_of(node).iter().filter(|d| !d.lazy).flat_map(move |d| self.providers_of(d).iter().map(move |&p| (p, d.key)))
    }

    /// Every edge of a node, lazy ones too: `(provider, key, lazy)`.
    pub fn all_edges(&self, node: u32) -> impl Iterator<Item = (u32, u32, bool)> + '_ {
        self.deps_of(node).iter().flat_map(move |d| self.providers_of(d).iter().map(move |&p| (p, d.key, d.lazy)))
    }

    /// Where a service is: its provider source if it has one, else its place
    /// in the descriptor document.
    pub fn location(&self, node: u32) -> Option<Location> {
        let &desc_index = self.node_desc.get(node as usize)?;
        service_location(self.desc, desc_index as usize, &self.offsets)
    }

    /// Where the service at `index` of the descriptors is (a duplicate or
    /// a replacer, which may not be a node of the graph).
    pub fn desc_location(&self, index: usize) -> Option<Location> {
        service_location(self.desc, index, &self.offsets)
    }

    /// The text used for a service in rendered hops: ``id`` plus location.
    pub fn related(&self, node: u32, message: String, key: Option<&str>) -> Related {
        Related { message, service: Some(self.id(node).to_owned()), key: key.map(str::to_owned), location: self.location(node) }
    }
}

/// The location of a service of the descriptors, by its index there.
fn service_location(
    desc: &Descriptors<'_>,
    index: usize,
    offsets: &std::cell::RefCell<FxHashMap<u32, locate::DocumentIndex>>,
) -> Option<Location> {
    let s = desc.services.get(index)?;
    if let Some(src) = &s.source {
        return Some(Location { file: src.file.as_str().to_owned(), line: src.line, column: src.column, path: None });
    }
    let origin = desc.origins.get(index)?;
    let doc = desc.documents.get(origin.document as usize)?;
    let mut cache = offsets.borrow_mut();
    let index = cache.entry(origin.document).or_insert_with(|| locate::DocumentIndex::new(doc.text));
    let path = format!("services[{}]", origin.element);
    let (line, column) = index.services.get(origin.element as usize).map_or((0, 0), |&off| index.line_column(off));
    Some(Location::at(doc.name, line, column, Some(path)))
}

/// Builds the graph for the options' profile and roots.
///
/// # Errors
/// [`Error::LimitExceeded`] when the dependencies would be bound to more
/// providers than `max_bindings`, before any graph algorithm runs.
///
/// # Complexity
/// O(S log S + D + P) expected time and space for S services, D
/// dependencies and P provided keys (hashing interns each string once; the
/// sort is of the duplicate and invalid ids, for their report).
pub(crate) fn build<'d, 'a>(desc: &'d Descriptors<'a>, options: &Options) -> Result<Graph<'d, 'a>, Error> {
    let profile = options.profile.as_deref();
    let cap = options.limits.max_diagnostics;
    let mut omitted = 0usize;
    let mut replacement_faults = Vec::new();
    let offsets = std::cell::RefCell::new(FxHashMap::default());
    let room = crate::budget::Room::new(options.limits.max_report_bytes);

    // Keys and ids share one interning table: most ids are also keys (a
    // service provides its id by default), so each string is hashed once.
    let seed = intern::seed_of(desc.documents.iter().map(|d| d.text));
    let mut names = Interner::new(desc.services.len(), seed);
    // Live services: active in the profile, first of each id.
    let mut key_node: Vec<u32> = Vec::with_capacity(desc.services.len());
    let mut node_desc: Vec<u32> = Vec::with_capacity(desc.services.len());
    let mut id_key: Vec<u32> = Vec::with_capacity(desc.services.len());
    let mut duplicates: Vec<(u32, usize)> = Vec::new();
    let active = |s: &&'d ServiceDesc<'a>| s.active_in(profile);
    let mut id_keys = Vec::with_capacity(desc.services.len());
    names.intern_all(desc.services.iter().filter(active).map(|s| s.id.as_str()), &mut id_keys);
    let mut id_keys = id_keys.into_iter();
    for (i, s) in desc.services.iter().enumerate() {
        if !s.active_in(profile) {
            continue;
        }
        let Some(k) = id_keys.next() else { continue };
        if key_node.len() < names.len() {
            key_node.resize(names.len(), u32::MAX);
        }
        match key_node.get_mut(k as usize) {
            Some(first) if *first != u32::MAX => duplicates.push((*first, i)),
            Some(slot) => {
                *slot = node_desc.len() as u32;
                node_desc.push(i as u32);
                id_key.push(k);
            }
            None => {}
        }
    }
    let node_of = |id: &str, names: &Interner<'d>, key_node: &[u32]| -> Option<u32> {
        names.get(id).and_then(|k| key_node.get(k as usize)).copied().filter(|&n| n != u32::MAX)
    };
    // Only the first `cap` duplicates, in report order, are worth building.
    omitted += crate::budget::keep_first(&mut duplicates, cap, |&(_, dup)| (desc.services.get(dup).map_or("", |s| s.id.as_str()), dup));
    // Declaration order, which the report keeps among duplicates of one id.
    crate::sorting::unstable(&mut duplicates, &mut |a, b| a.1.cmp(&b.1));
    // Replacements: the replaced service leaves the graph; its replacer also
    // provides its keys.
    let mut replaced_by: FxHashMap<u32, u32> = FxHashMap::default();
    let any_replaces = node_desc.iter().any(|&i| desc.services.get(i as usize).is_some_and(|s| !s.replaces.is_empty()));
    if any_replaces {
        // Faults are gathered light, and only the first `cap` in report
        // order are built: a suggestion searches every id.
        let mut faults: Vec<(u32, &'d str, ReplacementFault)> = Vec::new(); // (replacer desc index, target, fault)
        let mut all_ids = Interner::new(desc.services.len(), seed);
        let mut numbers = Vec::with_capacity(desc.services.len());
        all_ids.intern_all(desc.services.iter().map(|s| s.id.as_str()), &mut numbers);
        for (n, &di) in node_desc.iter().enumerate() {
            let Some(s) = desc.services.get(di as usize) else { continue };
            for r in &s.replaces {
                let r = r.as_str();
                if let Some(target) = node_of(r, &names, &key_node) {
                    if target as usize == n {
                        faults.push((di, r, ReplacementFault::Itself));
                    } else if let Some(&other) = replaced_by.get(&target) {
                        faults.push((di, r, ReplacementFault::Twice(other)));
                    } else {
                        replaced_by.insert(target, n as u32);
                    }
                } else if all_ids.get(r).is_none() {
                    faults.push((di, r, ReplacementFault::Unknown));
                }
                // A replaced service that exists only in another profile: nothing to do.
            }
        }
        // Services that replace each other in a cycle (`a` replaces `b`,
        // which replaces `a`) would all leave the graph, their keys given to
        // no one: each cycle is one fault, and its services stay.
        // INVARIANT: after this, following `replaced_by` from any node ends
        // at a service that is not replaced, so chains fold into their last
        // replacer below.
        let mut targets: Vec<u32> = replaced_by.keys().copied().collect();
        targets.sort_unstable();
        // 0: not seen; 1: on the walk from the current start; 2: done.
        let mut state: FxHashMap<u32, u8> = FxHashMap::default();
        for start in targets {
            let mut walk = Vec::new();
            let mut cur = start;
            while state.get(&cur).copied().unwrap_or(0) == 0 && replaced_by.contains_key(&cur) {
                state.insert(cur, 1);
                walk.push(cur);
                cur = replaced_by.get(&cur).copied().unwrap_or(cur);
            }
            if state.get(&cur) == Some(&1) {
                // `cur` is on the walk: the walk from it is a cycle, each
                // node followed by its replacer; reversed, each node is
                // followed by the one it replaces.
                let from = walk.iter().position(|&x| x == cur).unwrap_or(0);
                let mut cycle: Vec<u32> = walk.get(from..).unwrap_or(&[]).to_vec();
                cycle.reverse();
                let first = (0..cycle.len()).min_by(|&a, &b| {
                    let id = |i: usize| {
                        cycle
                            .get(i)
                            .and_then(|&x| node_desc.get(x as usize))
                            .and_then(|&d| desc.services.get(d as usize))
                            .map_or("", |s| s.id.as_str())
                    };
                    id(a).cmp(id(b))
                });
                cycle.rotate_left(first.unwrap_or(0));
                for x in &cycle {
                    replaced_by.remove(x);
                }
                let id = |x: u32| node_desc.get(x as usize).and_then(|&d| desc.services.get(d as usize)).map_or("", |s| s.id.as_str());
                let shown = cycle.len().min(crate::budget::PATH_SHOWN);
                let mut drawn: Vec<String> = cycle.iter().take(shown).map(|&x| format!("`{}`", id(x))).collect();
                if cycle.len() > shown {
                    drawn.push(format!("... ({} more)", cycle.len() - shown));
                }
                let head = cycle.first().copied().unwrap_or(0);
                drawn.push(format!("`{}`", id(head)));
                let next = cycle.get(1).copied().unwrap_or(head);
                faults.push((node_desc.get(head as usize).copied().unwrap_or(0), id(next), ReplacementFault::Cycle(drawn.join(" -> "))));
            }
            for x in walk {
                state.insert(x, 2);
            }
        }
        let id_of_desc = |di: u32| desc.services.get(di as usize).map_or("", |s| s.id.as_str());
        fn order<'k>(id_of_desc: impl Fn(u32) -> &'k str, fault: &(u32, &'k str, ReplacementFault)) -> (&'k str, bool, &'k str, u32) {
            let &(di, r, ref f) = fault;
            (id_of_desc(di), matches!(f, ReplacementFault::Unknown), r, di)
        }
        omitted += crate::budget::keep_first(&mut faults, cap, |f| order(id_of_desc, f));
        // In report order, so that the suggestions go to the first ones.
        crate::sorting::unstable(&mut faults, &mut |a, b| order(id_of_desc, a).cmp(&order(id_of_desc, b)));
        replacement_faults = faults;
    }

    // The keys each service provides.
    let n = node_desc.len();
    let mut provide_pairs: Vec<(u32, u32)> = Vec::with_capacity(n); // (node, key)
                                                                    // `seen[key] == stamp`: the key is already in the list being read, so
                                                                    // a repeated key costs O(1) to drop, not a scan of the list.
    let mut seen: Vec<u32> = Vec::new();
    let mut stamp = 0u32;
    // The keys of node `from` (whose descriptor is `s`), given to `node`:
    // itself, or the replacer of `from`, which takes its keys, its own id
    // key (the default `provides`) included.
    let mut own_keys = |node: u32, from: u32, s: &'d ServiceDesc<'a>, names: &mut Interner<'d>, out: &mut Vec<(u32, u32)>| match &s.provides
    {
        None => out.push((node, id_key.get(from as usize).copied().unwrap_or_else(|| names.intern(s.id.as_str())))),
        Some(list) => {
            stamp = stamp.wrapping_add(1);
            if stamp == 0 {
                seen.iter_mut().for_each(|x| *x = 0);
                stamp = 1;
            }
            for k in list {
                let key = names.intern(k.as_str());
                if seen.len() <= key as usize {
                    seen.resize(key as usize + 1, 0);
                }
                if let Some(mark) = seen.get_mut(key as usize) {
                    if *mark != stamp {
                        *mark = stamp;
                        out.push((node, key));
                    }
                }
            }
        }
    };
    let mut removed = vec![false; n];
    for &target in replaced_by.keys() {
        if let Some(r) = removed.get_mut(target as usize) {
            *r = true;
        }
    }
    for node in 0..n as u32 {
        if removed.get(node as usize).copied().unwrap_or(false) {
            continue;
        }
        let Some(s) = node_desc.get(node as usize).and_then(|&d| desc.services.get(d as usize)) else { continue };
        own_keys(node, node, s, &mut names, &mut provide_pairs);
    }
    if !replaced_by.is_empty() {
        // Fold each replaced service's keys into its replacer, in a fixed order.
        let mut pairs: Vec<(u32, u32)> = replaced_by.iter().map(|(&t, &r)| (t, r)).collect();
        // By the replaced service's id, not its place: a replacer of several
        // services lists their keys in the same order whatever the
        // declaration order (each target is replaced once, so ids are unique).
        let id_of = |node: u32| node_desc.get(node as usize).and_then(|&d| desc.services.get(d as usize)).map_or("", |s| s.id.as_str());
        crate::sorting::unstable(&mut pairs, &mut |a, b| id_of(a.0).cmp(id_of(b.0)));
        let mut present: rustc_hash::FxHashSet<(u32, u32)> = provide_pairs.iter().copied().collect();
        // A chain (`a` replaces `b`, which replaces `c`): the last replacer,
        // the one that stays, takes every key. Each chain is walked once
        // (memoized), so a chain of a million replacements stays linear.
        let mut last: FxHashMap<u32, u32> = FxHashMap::default();
        for &(target, _) in &pairs {
            let mut walk = Vec::new();
            let mut cur = target;
            let end = loop {
                if let Some(&known) = last.get(&cur) {
                    break known;
                }
                match replaced_by.get(&cur) {
                    Some(&next) => {
                        walk.push(cur);
                        cur = next;
                    }
                    None => break cur,
                }
            };
            for x in walk {
                last.insert(x, end);
            }
        }
        for (target, replacer) in pairs {
            let replacer = last.get(&target).copied().unwrap_or(replacer);
            let Some(s) = node_desc.get(target as usize).and_then(|&d| desc.services.get(d as usize)) else { continue };
            let mut extra = Vec::new();
            own_keys(replacer, target, s, &mut names, &mut extra);
            for pair in extra {
                if present.insert(pair) {
                    provide_pairs.push(pair);
                }
            }
        }
        crate::sorting::stable(&mut provide_pairs, &mut |a, b| a.0.cmp(&b.0));
    }
    let provides = Csr::from_pairs(n, &provide_pairs);

    // `from_pairs` is a counting sort, stable: nodes stay in declaration
    // order within a key with no sort here.
    let key_provider_pairs: Vec<(u32, u32)> = provide_pairs.iter().map(|&(node, key)| (key, node)).collect();
    // Keys interned below, asked for but provided by nobody, have no row.
    let providers = Csr::from_pairs(names.len(), &key_provider_pairs);

    // Dependencies. Missing and ambiguous ones are noticed here, so that
    // their checks cost nothing on a valid graph.
    let mut suspect_missing = false;
    let mut suspect_ambiguous = false;
    let mut dep_start = Vec::with_capacity(n + 1);
    let mut deps = Vec::with_capacity(n * 3);
    let max_bindings = options.limits.max_bindings;
    let growth = options.limits.growth(desc.input_bytes());
    let mut bindings = 0usize;
    // Every dependency's key numbered first, in one batch (the order is the
    // loop's below, so numbers are the same as one by one).
    let live_services = (0..n)
        .filter(|&node| !removed.get(node).copied().unwrap_or(false))
        .filter_map(|node| node_desc.get(node))
        .filter_map(|&d| desc.services.get(d as usize));
    let mut dep_keys = Vec::with_capacity(n * 3);
    names.intern_all(live_services.flat_map(|s| s.deps.iter().map(|d| d.key.as_str())), &mut dep_keys);
    let mut dep_keys = dep_keys.into_iter();
    for node in 0..n {
        dep_start.push(deps.len() as u32);
        if removed.get(node).copied().unwrap_or(false) {
            continue;
        }
        let Some(s) = node_desc.get(node).and_then(|&d| desc.services.get(d as usize)) else { continue };
        for d in &s.deps {
            let DepDesc { optional, many, lazy, .. } = d;
            let Some(key) = dep_keys.next() else { break };
            let count = providers.row(key).len();
            bindings = bindings.saturating_add(count);
            if bindings > max_bindings.min(growth) {
                // Counting ahead is cheap; the rest of the graph is not
                // built. The error names the service that crossed it.
                let at = node_desc.get(node).copied().unwrap_or(0) as usize;
                return Err(if bindings > max_bindings {
                    desc.limit_at(at, what::BINDINGS, max_bindings, bindings)
                } else {
                    desc.limit_at(at, what::BINDINGS_GROWTH, growth, bindings)
                });
            }
            suspect_missing |= count == 0 && !*optional && !*many;
            suspect_ambiguous |= count > 1 && !*many;
            deps.push(Dep { key, optional: *optional, many: *many, lazy: *lazy });
        }
    }
    dep_start.push(deps.len() as u32);

    let mut graph = Graph {
        desc,
        node_desc,
        provides,
        names,
        providers,
        dep_start,
        deps,
        planned: Vec::new(),
        live: removed.iter().map(|r| !r).collect(),
        duplicates,
        replacement_faults,
        unknown_roots: Vec::new(),
        omitted,
        max_diagnostics: cap,
        key_node,
        unused: Vec::new(),
        suspect_missing,
        suspect_ambiguous,
        room,
        offsets,
    };
    graph.planned = plan_set(&mut graph, options, &removed);
    Ok(graph)
}

/// Which nodes are planned: all live ones, or what the roots reach through
/// any dependency (lazy ones too: a handle must have something behind it).
fn plan_set(graph: &mut Graph<'_, '_>, options: &Options, removed: &[bool]) -> Vec<bool> {
    let n = graph.len();
    let live: Vec<bool> = (0..n).map(|i| !removed.get(i).copied().unwrap_or(false)).collect();
    if options.roots.is_empty() {
        return live;
    }
    let mut planned = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut unknown: Vec<&str> = Vec::new();
    for root in options.canonical_roots() {
        match graph.node_of(root) {
            Some(node) if live.get(node as usize).copied().unwrap_or(false) => {
                if let Some(p) = planned.get_mut(node as usize) {
                    if !*p {
                        *p = true;
                        stack.push(node);
                    }
                }
            }
            _ => unknown.push(root),
        }
    }
    // Roots are sorted: the first `max_diagnostics` are the report's.
    graph.omitted += unknown.len().saturating_sub(graph.max_diagnostics);
    unknown.truncate(graph.max_diagnostics);
    graph.unknown_roots = unknown.into_iter().map(str::to_owned).collect();
    while let Some(node) = stack.pop() {
        for d in graph.deps_of(node) {
            for &p in graph.providers_of(d) {
                if let Some(slot) = planned.get_mut(p as usize) {
                    if !*slot {
                        *slot = true;
                        stack.push(p);
                    }
                }
            }
        }
    }
    let mut unused: Vec<u32> = (0..n as u32)
        .filter(|&i| live.get(i as usize).copied().unwrap_or(false) && !planned.get(i as usize).copied().unwrap_or(false))
        .collect();
    crate::sorting::unstable(&mut unused, &mut |&a, &b| graph.id(a).cmp(graph.id(b)));
    graph.unused = unused;
    planned
}
