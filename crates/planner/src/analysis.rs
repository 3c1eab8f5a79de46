//! The graph as the core resolved it, valid or not: what pictures,
//! `explain` and `diff` are made of.
//!
//! A [`Plan`] exists only for a valid graph, but people draw and question a
//! graph most when it is broken. An [`Analysis`] is built from the same
//! resolution the checks use (profiles applied, `replaces` folded, each
//! dependency bound to its providers), so a picture never disagrees with a
//! report: when `fake_db` replaces `db`, the edge to `Database` goes to
//! `fake_db`, in a broken graph as in a valid one. Each edge carries the
//! problem it is part of, found by the same rules as the report's checks
//! but over every edge (the report shows the first problems; a picture
//! marks them all).

use std::collections::VecDeque;

use crate::descriptor::{Descriptors, Lifetime};
use crate::diagnostic::{Location, Report};
use crate::graph::Graph;
use crate::plan::Plan;

/// A problem an edge is part of, as drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum EdgeProblem {
    /// Both ends are in one cycle (a non-lazy edge inside a strongly
    /// connected component).
    Cycle,
    /// A singleton holds on to a scoped service through it (directly, or
    /// through transient services built for the singleton).
    Captive,
    /// A single dependency with several providers: each of its edges.
    Ambiguous,
    /// A required key that no service provides.
    Missing,
}

impl EdgeProblem {
    /// The report code of the problem.
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeProblem::Cycle => "dependency-cycle",
            EdgeProblem::Captive => "captive-dependency",
            EdgeProblem::Ambiguous => "ambiguous-dependency",
            EdgeProblem::Missing => "missing-dependency",
        }
    }
}

/// A service of the active profile (replaced ones are gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Service id.
    pub id: String,
    /// How long an instance lives.
    pub lifetime: Lifetime,
    /// Keys it provides, replaced services' keys folded in, in order.
    pub provides: Vec<String>,
    /// Profiles it exists in (empty: every profile).
    pub profiles: Vec<String>,
    /// Services it replaces, as declared.
    pub replaces: Vec<String>,
    /// Start-up layer: the plan's, or for a broken graph the layer it
    /// would have (none for what is in or above a cycle or a missing key).
    pub layer: Option<u32>,
    /// Where it is declared.
    pub location: Option<Location>,
    /// Part of a cycle.
    pub in_cycle: bool,
    /// Not needed by any root (with roots).
    pub unused: bool,
}

/// What an edge points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// A service, by index into [`Analysis::nodes`].
    Service(u32),
    /// A key nobody provides, by index into [`Analysis::missing`].
    Missing(u32),
}

/// "`from` needs `to` through `key`": one dependency bound to one provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// The service that asks, by index into [`Analysis::nodes`].
    pub from: u32,
    /// What answers.
    pub to: Target,
    /// The key asked for, by number ([`Analysis::key`]): a graph has far
    /// fewer keys than edges, each kept once.
    pub key: u32,
    /// Index of the dependency in the asking service's `deps`.
    pub dep: u32,
    /// Handed over lazily.
    pub lazy: bool,
    /// May be absent.
    pub optional: bool,
    /// Binds every provider.
    pub many: bool,
    /// The problem it is part of, if any.
    pub problem: Option<EdgeProblem>,
}

/// The resolved graph of one set of descriptors and options, with the
/// core's report and, when the graph is valid, its plan.
#[derive(Debug, Clone)]
pub struct Analysis {
    nodes: Vec<Node>,
    /// Grouped by `from`, in node order; inside a node, in `deps` order,
    /// then provider order.
    edges: Vec<Edge>,
    /// `edges[edge_start[i]..edge_start[i + 1]]` are node `i`'s.
    edge_start: Vec<u32>,
    /// Each node's declared dependencies: `(key, optional, many, lazy)`.
    deps: Vec<Vec<(u32, bool, bool, bool)>>,
    /// The keys edges and dependencies name, by number.
    keys: Vec<String>,
    missing: Vec<String>,
    report: Report,
    plan: Option<Plan>,
}

impl Analysis {
    /// Services, sorted by layer (those without one last), then by id: the
    /// same for any declaration or merge order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Every edge, grouped by the asking service in [`Self::nodes`] order.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// The edges of one node.
    pub fn edges_of(&self, node: u32) -> &[Edge] {
        let i = node as usize;
        match (self.edge_start.get(i), self.edge_start.get(i + 1)) {
            (Some(&a), Some(&b)) => self.edges.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// A node's dependencies as declared: `(key, optional, many, lazy)`,
    /// the key by number ([`Self::key`]).
    pub fn deps_of(&self, node: u32) -> &[(u32, bool, bool, bool)] {
        self.deps.get(node as usize).map_or(&[], Vec::as_slice)
    }

    /// The key numbered `k` (of an [`Edge`] or a dependency).
    pub fn key(&self, k: u32) -> &str {
        self.keys.get(k as usize).map_or("", String::as_str)
    }

    /// Keys that a service needs and no service provides, sorted.
    pub fn missing(&self) -> &[String] {
        &self.missing
    }

    /// The core's report: every problem (errors and warnings).
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// Lets a front end rewrite the report's places (a CLI that converted
    /// YAML to JSON points them back into the YAML).
    pub fn place_report(&mut self, place: impl FnOnce(&mut Report)) {
        place(&mut self.report);
    }

    /// The plan, when the graph is valid.
    pub fn plan(&self) -> Option<&Plan> {
        self.plan.as_ref()
    }

    /// Takes the plan out (a front end keeps it after drawing).
    pub fn into_plan(self) -> Option<Plan> {
        self.plan
    }

    /// Whether the graph is valid (it has a plan).
    pub fn is_valid(&self) -> bool {
        self.plan.is_some()
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<u32> {
        // Nodes are sorted by layer then id, not by id alone: a scan, as
        // for a person's one question.
        self.nodes.iter().position(|n| n.id == id).map(|i| i as u32)
    }

    /// The services that provide `key`, in node order.
    pub fn providers(&self, key: &str) -> Vec<u32> {
        (0..self.nodes.len() as u32).filter(|&i| self.nodes.get(i as usize).is_some_and(|n| n.provides.iter().any(|k| k == key))).collect()
    }

    /// The services that depend on `node` directly (any edge), each once,
    /// in node order.
    pub fn dependents(&self, node: u32) -> Vec<u32> {
        let mut seen = vec![false; self.nodes.len()];
        for e in &self.edges {
            if e.to == Target::Service(node) {
                if let Some(s) = seen.get_mut(e.from as usize) {
                    *s = true;
                }
            }
        }
        (0..self.nodes.len() as u32).filter(|&i| seen.get(i as usize).copied().unwrap_or(false)).collect()
    }

    /// Everything that depends on `node`, directly or not, through any
    /// edge: what a change to it touches. In node order.
    ///
    /// # Complexity
    /// O(S + E), iterative.
    pub fn affected(&self, node: u32) -> Vec<u32> {
        let n = self.nodes.len();
        let back = self.reverse();
        let mut seen = vec![false; n];
        let mut stack = vec![node];
        while let Some(x) = stack.pop() {
            for &d in back.get(x as usize).map_or(&[][..], Vec::as_slice) {
                if let Some(s) = seen.get_mut(d as usize) {
                    if !*s {
                        *s = true;
                        stack.push(d);
                    }
                }
            }
        }
        (0..n as u32).filter(|&i| i != node && seen.get(i as usize).copied().unwrap_or(false)).collect()
    }

    /// Reverse adjacency over service edges: `back[to]` lists `from`s.
    fn reverse(&self) -> Vec<Vec<u32>> {
        let mut back: Vec<Vec<u32>> = vec![Vec::new(); self.nodes.len()];
        for e in &self.edges {
            if let Target::Service(t) = e.to {
                if let Some(list) = back.get_mut(t as usize) {
                    if list.last() != Some(&e.from) {
                        list.push(e.from);
                    }
                }
            }
        }
        back
    }

    /// The shortest chain of non-lazy dependencies from `from` to `to`
    /// (`[from, ..., to]`, each needing the next), or `None`.
    ///
    /// # Complexity
    /// O(S + E), breadth-first, iterative; edges in `deps` order, so the
    /// chain is the same every time.
    pub fn path(&self, from: u32, to: u32) -> Option<Vec<u32>> {
        let n = self.nodes.len();
        if from as usize >= n || to as usize >= n {
            return None;
        }
        if from == to {
            return Some(vec![from]);
        }
        let mut parent = vec![u32::MAX; n];
        let mut queue = VecDeque::from([from]);
        if let Some(p) = parent.get_mut(from as usize) {
            *p = from;
        }
        while let Some(u) = queue.pop_front() {
            for e in self.edges_of(u) {
                let Target::Service(v) = e.to else { continue };
                if e.lazy || parent.get(v as usize) != Some(&u32::MAX) {
                    continue;
                }
                if let Some(p) = parent.get_mut(v as usize) {
                    *p = u;
                }
                if v == to {
                    let mut path = vec![to];
                    let mut cur = to;
                    while cur != from {
                        cur = parent.get(cur as usize).copied().unwrap_or(from);
                        path.push(cur);
                    }
                    path.reverse();
                    return Some(path);
                }
                queue.push_back(v);
            }
        }
        None
    }

    /// Only `focus`, everything it needs and everything that needs it,
    /// through any edge, as another analysis (indexes renumbered; the
    /// report and plan are kept whole).
    ///
    /// # Complexity
    /// O(S + E), iterative.
    pub fn focus(&self, focus: u32) -> Analysis {
        let n = self.nodes.len();
        let back = self.reverse();
        let mut keep = vec![false; n];
        for forward in [true, false] {
            let mut seen = vec![false; n];
            let mut stack = vec![focus];
            while let Some(x) = stack.pop() {
                if seen.get(x as usize).copied().unwrap_or(true) {
                    continue;
                }
                if let Some(s) = seen.get_mut(x as usize) {
                    *s = true;
                }
                if let Some(k) = keep.get_mut(x as usize) {
                    *k = true;
                }
                if forward {
                    stack.extend(self.edges_of(x).iter().filter_map(|e| match e.to {
                        Target::Service(t) => Some(t),
                        Target::Missing(_) => None,
                    }));
                } else {
                    stack.extend(back.get(x as usize).map_or(&[][..], Vec::as_slice).iter().copied());
                }
            }
        }
        let mut renumber = vec![u32::MAX; n];
        let mut nodes = Vec::new();
        let mut deps = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            if keep.get(i).copied().unwrap_or(false) {
                if let Some(r) = renumber.get_mut(i) {
                    *r = nodes.len() as u32;
                }
                nodes.push(node.clone());
                deps.push(self.deps.get(i).cloned().unwrap_or_default());
            }
        }
        let mut missing_renumber = vec![u32::MAX; self.missing.len()];
        let mut missing = Vec::new();
        let mut edges = Vec::new();
        let mut edge_start = Vec::with_capacity(nodes.len() + 1);
        for (i, _) in self.nodes.iter().enumerate() {
            let Some(&from) = renumber.get(i).filter(|&&r| r != u32::MAX) else { continue };
            edge_start.push(edges.len() as u32);
            for e in self.edges_of(i as u32) {
                let to = match e.to {
                    Target::Service(t) => match renumber.get(t as usize) {
                        Some(&r) if r != u32::MAX => Target::Service(r),
                        _ => continue,
                    },
                    Target::Missing(m) => {
                        let Some(slot) = missing_renumber.get_mut(m as usize) else { continue };
                        if *slot == u32::MAX {
                            *slot = missing.len() as u32;
                            missing.push(self.missing.get(m as usize).cloned().unwrap_or_default());
                        }
                        Target::Missing(*slot)
                    }
                };
                edges.push(Edge { from, to, ..e.clone() });
            }
        }
        edge_start.push(edges.len() as u32);
        Analysis { nodes, edges, edge_start, deps, keys: self.keys.clone(), missing, report: self.report.clone(), plan: self.plan.clone() }
    }
}

impl Analysis {
    /// The analysis of a valid plan alone, without its descriptors (a plan
    /// loaded from a cache): what [`Self::explain`] and the pictures need.
    /// Profiles and `replaces` are not in a plan, so they are empty; the
    /// plan's warnings are the report.
    ///
    /// # Complexity
    /// O(S + E).
    pub fn from_plan(plan: Plan) -> Analysis {
        let mut nodes = Vec::with_capacity(plan.len());
        let mut edges = Vec::new();
        let mut edge_start = Vec::with_capacity(plan.len() + 1);
        let mut deps = Vec::with_capacity(plan.len());
        let mut keys: Vec<String> = Vec::new();
        // A cached plan is input too: its keys are numbered by a table seeded
        // from the keys themselves (see `intern.rs`).
        let seed = crate::intern::seed_of(plan.services().flat_map(|s| s.deps().map(|b| b.key())));
        let mut numbers = crate::intern::Interner::new(plan.len(), seed);
        for s in plan.services() {
            let from = s.index();
            edge_start.push(edges.len() as u32);
            let mut declared = Vec::new();
            for (di, b) in s.deps().enumerate() {
                let key = numbers.intern(b.key());
                if key as usize == keys.len() {
                    keys.push(b.key().to_owned());
                }
                declared.push((key, b.optional(), b.many(), b.lazy()));
                for &p in b.providers() {
                    edges.push(Edge {
                        from,
                        to: Target::Service(p),
                        key,
                        dep: di as u32,
                        lazy: b.lazy(),
                        optional: b.optional(),
                        many: b.many(),
                        problem: None,
                    });
                }
            }
            deps.push(declared);
            nodes.push(Node {
                id: s.id().to_owned(),
                lifetime: s.lifetime(),
                provides: s.provides().map(str::to_owned).collect(),
                profiles: Vec::new(),
                replaces: Vec::new(),
                layer: s.layer(),
                location: s.source().map(|src| Location { file: src.file.to_owned(), line: src.line, column: src.column, path: None }),
                in_cycle: false,
                unused: false,
            });
        }
        edge_start.push(edges.len() as u32);
        let report = Report { diagnostics: plan.warnings().to_vec() };
        drop(numbers);
        Analysis { nodes, edges, edge_start, deps, keys, missing: Vec::new(), report, plan: Some(plan) }
    }
}

/// What the edge marks need to know of each graph node.
struct Roles {
    /// A singleton, or a transient a singleton holds (through transients).
    held: Vec<bool>,
    /// A scoped service, or a transient that leads to one (through transients).
    leads_to_scoped: Vec<bool>,
}

/// Which nodes hold and which lead to scoped services, for captive edges:
/// the same rule as the captive check, over every edge.
///
/// # Complexity
/// O(S + E), two searches, iterative.
fn roles(graph: &Graph<'_, '_>) -> Roles {
    let n = graph.len();
    let planned = |i: u32| graph.planned.get(i as usize).copied().unwrap_or(false);
    let mut held = vec![false; n];
    let mut stack: Vec<u32> = (0..n as u32).filter(|&i| planned(i) && graph.lifetime(i) == Lifetime::Singleton).collect();
    for &s in &stack {
        if let Some(h) = held.get_mut(s as usize) {
            *h = true;
        }
    }
    while let Some(x) = stack.pop() {
        for (p, _, _) in graph.all_edges(x) {
            if graph.lifetime(p) == Lifetime::Transient && planned(p) {
                if let Some(h) = held.get_mut(p as usize) {
                    if !*h {
                        *h = true;
                        stack.push(p);
                    }
                }
            }
        }
    }
    let mut back: Vec<Vec<u32>> = vec![Vec::new(); n];
    for x in 0..n as u32 {
        if planned(x) && graph.lifetime(x) == Lifetime::Transient {
            for (p, _, _) in graph.all_edges(x) {
                if let Some(list) = back.get_mut(p as usize) {
                    list.push(x);
                }
            }
        }
    }
    let mut leads = vec![false; n];
    let mut stack: Vec<u32> = (0..n as u32).filter(|&i| planned(i) && graph.lifetime(i) == Lifetime::Scoped).collect();
    for &s in &stack {
        if let Some(l) = leads.get_mut(s as usize) {
            *l = true;
        }
    }
    while let Some(x) = stack.pop() {
        for &t in back.get(x as usize).map_or(&[][..], Vec::as_slice) {
            if let Some(l) = leads.get_mut(t as usize) {
                if !*l {
                    *l = true;
                    stack.push(t);
                }
            }
        }
    }
    Roles { held, leads_to_scoped: leads }
}

/// Layers for a graph without a plan: as the plan's rule (a singleton's
/// layer is the longest chain of non-lazy dependencies below it, counting
/// singletons), for what can be ordered; none for what is in or above a
/// cycle or a missing key, and none for scoped and transient services.
///
/// # Complexity
/// O(S + E), Kahn's algorithm, iterative.
fn broken_layers(graph: &Graph<'_, '_>) -> Vec<Option<u32>> {
    let n = graph.len();
    let planned = |i: u32| graph.planned.get(i as usize).copied().unwrap_or(false);
    let mut pending = vec![0u32; n];
    let mut dependents: Vec<Vec<u32>> = vec![Vec::new(); n];
    for x in 0..n as u32 {
        if !planned(x) {
            continue;
        }
        for d in graph.deps_of(x).iter().filter(|d| !d.lazy) {
            let providers = graph.providers_of(d);
            if providers.is_empty() && !d.optional && !d.many {
                // Never satisfied: what needs a missing key has no layer.
                if let Some(p) = pending.get_mut(x as usize) {
                    *p += 1;
                }
            }
            for &p in providers {
                if let (Some(c), Some(list)) = (pending.get_mut(x as usize), dependents.get_mut(p as usize)) {
                    *c += 1;
                    list.push(x);
                }
            }
        }
    }
    let mut level = vec![0u32; n];
    let mut done = vec![false; n];
    let mut queue: VecDeque<u32> = (0..n as u32).filter(|&i| planned(i) && pending.get(i as usize) == Some(&0)).collect();
    while let Some(x) = queue.pop_front() {
        let own = u32::from(graph.lifetime(x) == Lifetime::Singleton);
        let lx = level.get(x as usize).copied().unwrap_or(0).saturating_add(own);
        if let Some(l) = level.get_mut(x as usize) {
            *l = lx;
        }
        if let Some(d) = done.get_mut(x as usize) {
            *d = true;
        }
        for &d in dependents.get(x as usize).map_or(&[][..], Vec::as_slice) {
            if let Some(l) = level.get_mut(d as usize) {
                *l = (*l).max(lx);
            }
            if let Some(p) = pending.get_mut(d as usize) {
                *p -= 1;
                if *p == 0 {
                    queue.push_back(d);
                }
            }
        }
    }
    (0..n as u32)
        .map(|i| {
            let ok = done.get(i as usize).copied().unwrap_or(false) && graph.lifetime(i) == Lifetime::Singleton;
            ok.then(|| level.get(i as usize).copied().unwrap_or(1).saturating_sub(1))
        })
        .collect()
}

/// The analysis of a built graph and the core's verdict on it.
pub(crate) fn build(graph: &Graph<'_, '_>, verdict: Result<Plan, Report>) -> Analysis {
    let n = graph.len();
    let (report, plan) = match verdict {
        Ok(plan) => (Report { diagnostics: plan.warnings().to_vec() }, Some(plan)),
        Err(report) => (report, None),
    };
    let live = |i: u32| graph.live.get(i as usize).copied().unwrap_or(false);
    let planned = |i: u32| graph.planned.get(i as usize).copied().unwrap_or(false);
    let layers: Vec<Option<u32>> = match &plan {
        Some(p) => (0..n as u32).map(|i| p.index_of(graph.id(i)).and_then(|x| p.service(x)).and_then(|s| s.layer())).collect(),
        None => broken_layers(graph),
    };
    let (component, _) = crate::check::cycle::components(graph);
    let roles = roles(graph);
    let mut unused = vec![false; n];
    for &u in &graph.unused {
        if let Some(x) = unused.get_mut(u as usize) {
            *x = true;
        }
    }
    // Node order: by layer (none last), then id.
    let mut order: Vec<u32> = (0..n as u32).filter(|&i| live(i)).collect();
    crate::sorting::unstable(&mut order, &mut |&a, &b| {
        let la = layers.get(a as usize).copied().flatten().unwrap_or(u32::MAX);
        let lb = layers.get(b as usize).copied().flatten().unwrap_or(u32::MAX);
        (la, graph.id(a)).cmp(&(lb, graph.id(b)))
    });
    let mut number = vec![u32::MAX; n];
    for (pos, &g) in order.iter().enumerate() {
        if let Some(x) = number.get_mut(g as usize) {
            *x = pos as u32;
        }
    }
    let in_cycle = |g: u32| component.get(g as usize).is_some_and(|&c| c != u32::MAX);
    let nodes: Vec<Node> = order
        .iter()
        .map(|&g| {
            let s = graph.service(g);
            Node {
                id: graph.id(g).to_owned(),
                lifetime: graph.lifetime(g),
                provides: graph.provides.row(g).iter().map(|&k| graph.key(k).to_owned()).collect(),
                profiles: s
                    .and_then(|s| s.profiles.as_ref())
                    .map(|p| p.iter().map(|x| x.as_str().to_owned()).collect())
                    .unwrap_or_default(),
                replaces: s.map(|s| s.replaces.iter().map(|x| x.as_str().to_owned()).collect()).unwrap_or_default(),
                layer: layers.get(g as usize).copied().flatten(),
                location: graph.location(g),
                in_cycle: in_cycle(g),
                unused: unused.get(g as usize).copied().unwrap_or(false),
            }
        })
        .collect();
    let mut missing_keys: Vec<u32> = Vec::new();
    let mut missing_slot: rustc_hash::FxHashMap<u32, u32> = rustc_hash::FxHashMap::default();
    let mut edges = Vec::new();
    let mut edge_start = Vec::with_capacity(order.len() + 1);
    let mut deps = Vec::with_capacity(order.len());
    for &g in &order {
        edge_start.push(edges.len() as u32);
        let from = number.get(g as usize).copied().unwrap_or(0);
        let mut declared = Vec::new();
        for (di, d) in graph.deps_of(g).iter().enumerate() {
            declared.push((d.key, d.optional, d.many, d.lazy));
            let providers = graph.providers_of(d);
            let base = Edge {
                from,
                to: Target::Missing(0),
                key: d.key,
                dep: di as u32,
                lazy: d.lazy,
                optional: d.optional,
                many: d.many,
                problem: None,
            };
            if providers.is_empty() {
                if d.optional || d.many {
                    continue;
                }
                let next = missing_keys.len() as u32;
                let slot = *missing_slot.entry(d.key).or_insert(next);
                if slot == next {
                    missing_keys.push(d.key);
                }
                let problem = planned(g).then_some(EdgeProblem::Missing);
                edges.push(Edge { to: Target::Missing(slot), problem, ..base });
                continue;
            }
            let ambiguous = providers.len() > 1 && !d.many;
            for &p in providers {
                let cycle = !d.lazy && in_cycle(g) && component.get(g as usize) == component.get(p as usize);
                let captive = planned(g)
                    && roles.held.get(g as usize).copied().unwrap_or(false)
                    && roles.leads_to_scoped.get(p as usize).copied().unwrap_or(false)
                    && graph.lifetime(g) != Lifetime::Scoped;
                let problem = if !planned(g) {
                    None
                } else if cycle {
                    Some(EdgeProblem::Cycle)
                } else if captive {
                    Some(EdgeProblem::Captive)
                } else if ambiguous {
                    Some(EdgeProblem::Ambiguous)
                } else {
                    None
                };
                let to = Target::Service(number.get(p as usize).copied().unwrap_or(0));
                edges.push(Edge { to, problem, ..base.clone() });
            }
        }
        deps.push(declared);
    }
    edge_start.push(edges.len() as u32);
    // Missing keys sorted, edges renumbered to match.
    let mut sorted: Vec<u32> = (0..missing_keys.len() as u32).collect();
    crate::sorting::unstable(&mut sorted, &mut |&a, &b| {
        let key = |i: u32| missing_keys.get(i as usize).map_or("", |&k| graph.key(k));
        key(a).cmp(key(b))
    });
    let mut rank = vec![0u32; sorted.len()];
    for (r, &i) in sorted.iter().enumerate() {
        if let Some(x) = rank.get_mut(i as usize) {
            *x = r as u32;
        }
    }
    for e in &mut edges {
        if let Target::Missing(m) = e.to {
            e.to = Target::Missing(rank.get(m as usize).copied().unwrap_or(m));
        }
    }
    let missing = sorted.iter().map(|&i| missing_keys.get(i as usize).map_or("", |&k| graph.key(k)).to_owned()).collect();
    let keys = graph.names.keys().iter().map(|k| (*k).to_owned()).collect();
    Analysis { nodes, edges, edge_start, deps, keys, missing, report, plan }
}

/// Parses nothing, plans `descriptors`, and keeps the resolution.
pub(crate) fn analyze(descriptors: &Descriptors<'_>, options: &crate::options::Options) -> Result<Analysis, Report> {
    let mut graph = crate::graph::build(descriptors, options).map_err(Report::from)?;
    let verdict = crate::plan_graph(&mut graph, descriptors, options);
    Ok(build(&graph, verdict))
}
