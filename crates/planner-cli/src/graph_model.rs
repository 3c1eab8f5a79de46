//! The graph to draw: services, the edges between them and the keys nobody
//! provides, with what to highlight.
//!
//! A valid graph is drawn from the core's [`Plan`] (its bindings and
//! layers). An invalid one cannot be planned, so it is drawn from the parsed
//! descriptors, and the core's [`Report`] says what to paint red: each
//! `dependency-cycle` lists its path in `services`, each
//! `missing-dependency` names its `key`. The CLI resolves keys only to draw
//! them; whether the graph is valid is always the core's answer.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use wireplan::{Code, Descriptors, Lifetime, Options, Plan, Report};

/// A service box.
#[derive(Debug, Clone)]
pub struct Node {
    /// Service id.
    pub id: String,
    /// Start-up layer, when it has one (singletons of a plannable part).
    pub layer: Option<u32>,
    /// How long an instance lives.
    pub lifetime: Lifetime,
    /// Part of a reported cycle.
    pub in_cycle: bool,
}

/// What an edge points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A service, by index into [`Model::nodes`].
    Service(usize),
    /// A key nobody provides, by index into [`Model::missing`].
    Missing(usize),
}

/// "`from` needs `to` through `key`".
#[derive(Debug, Clone)]
pub struct Edge {
    /// The service that asks.
    pub from: usize,
    /// What answers.
    pub to: Target,
    /// The key asked for.
    pub key: String,
    /// Handed over lazily (drawn dashed).
    pub lazy: bool,
    /// May be absent (drawn dotted).
    pub optional: bool,
    /// Binds every provider.
    pub many: bool,
    /// Part of a reported cycle.
    pub red: bool,
}

/// A key nobody provides.
#[derive(Debug, Clone)]
pub struct Missing {
    /// The key.
    pub key: String,
    /// The core reported it as a `missing-dependency`.
    pub reported: bool,
}

/// Everything a picture shows.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// Services, in plan order (valid) or declaration order (invalid).
    pub nodes: Vec<Node>,
    /// Edges, in declaration order of dependencies.
    pub edges: Vec<Edge>,
    /// Missing keys.
    pub missing: Vec<Missing>,
}

impl Model {
    /// The model of a valid plan.
    pub fn from_plan(plan: &Plan) -> Self {
        let nodes = plan
            .services()
            .map(|s| Node { id: s.id().to_owned(), layer: s.layer(), lifetime: s.lifetime(), in_cycle: false })
            .collect();
        let mut edges = Vec::new();
        for s in plan.services() {
            for b in s.deps() {
                for &p in b.providers() {
                    edges.push(Edge {
                        from: s.index() as usize,
                        to: Target::Service(p as usize),
                        key: b.key().to_owned(),
                        lazy: b.lazy(),
                        optional: b.optional(),
                        many: b.many(),
                        red: false,
                    });
                }
            }
        }
        Model { nodes, edges, missing: Vec::new() }
    }

    /// The model of descriptors that could not be planned, highlighted from
    /// the core's report.
    ///
    /// # Complexity
    /// O(S + D) plus sorting, iterative.
    pub fn from_descriptors(desc: &Descriptors<'_>, options: &Options, report: &Report) -> Self {
        let profile = options.profile.as_deref();
        let active: Vec<_> = desc.services.iter().filter(|s| s.active_in(profile)).collect();
        let replaced: HashSet<&str> = active.iter().flat_map(|s| s.replaces.iter().map(|r| r.as_str())).collect();
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut nodes = Vec::new();
        let mut kept = Vec::new();
        for s in active.iter().filter(|s| !replaced.contains(s.id.as_str())) {
            if index.contains_key(s.id.as_str()) {
                continue;
            }
            index.insert(s.id.as_str(), nodes.len());
            nodes.push(Node { id: s.id.as_str().to_owned(), layer: None, lifetime: s.lifetime, in_cycle: false });
            kept.push(*s);
        }
        let mut providers: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, s) in kept.iter().enumerate() {
            match &s.provides {
                Some(keys) => {
                    for k in keys {
                        providers.entry(k.as_str()).or_default().push(i);
                    }
                }
                None => providers.entry(s.id.as_str()).or_default().push(i),
            }
        }
        let reported_missing: HashSet<&str> = report
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::MissingDependency)
            .filter_map(|d| d.key.as_deref())
            .collect();
        let mut cycle_pairs: HashSet<(&str, &str)> = HashSet::new();
        let mut cycle_nodes: HashSet<&str> = HashSet::new();
        for d in report.diagnostics.iter().filter(|d| d.code == Code::DependencyCycle) {
            for pair in d.services.windows(2) {
                if let [a, b] = pair {
                    cycle_pairs.insert((a.as_str(), b.as_str()));
                }
            }
            cycle_nodes.extend(d.services.iter().map(String::as_str));
        }
        for n in &mut nodes {
            n.in_cycle = cycle_nodes.contains(n.id.as_str());
        }
        let mut missing: Vec<Missing> = Vec::new();
        let mut missing_index: HashMap<&str, usize> = HashMap::new();
        let mut edges = Vec::new();
        for (from, s) in kept.iter().enumerate() {
            for d in &s.deps {
                let key = d.key.as_str();
                let found = providers.get(key).map_or(&[][..], Vec::as_slice);
                if found.is_empty() {
                    if d.optional || d.many {
                        continue;
                    }
                    let m = *missing_index.entry(key).or_insert_with(|| {
                        missing.push(Missing { key: key.to_owned(), reported: reported_missing.contains(key) });
                        missing.len() - 1
                    });
                    edges.push(Edge {
                        from,
                        to: Target::Missing(m),
                        key: key.to_owned(),
                        lazy: d.lazy,
                        optional: d.optional,
                        many: d.many,
                        red: reported_missing.contains(key),
                    });
                    continue;
                }
                for &p in found {
                    let red = !d.lazy && cycle_pairs.contains(&(s.id.as_str(), kept.get(p).map_or("", |t| t.id.as_str())));
                    edges.push(Edge {
                        from,
                        to: Target::Service(p),
                        key: key.to_owned(),
                        lazy: d.lazy,
                        optional: d.optional,
                        many: d.many,
                        red,
                    });
                }
            }
        }
        let mut model = Model { nodes, edges, missing };
        model.assign_layers();
        model
    }

    /// Layers for a graph the core could not plan: the longest chain of
    /// non-lazy dependencies below each singleton; services in or above a
    /// cycle, and scoped or transient ones, get none.
    ///
    /// # Complexity
    /// O(S + E), Kahn's algorithm, iterative.
    fn assign_layers(&mut self) {
        let n = self.nodes.len();
        let mut pending = vec![0usize; n];
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
        for e in self.edges.iter().filter(|e| !e.lazy) {
            match e.to {
                Target::Service(t) => {
                    if let (Some(p), Some(list)) = (pending.get_mut(e.from), dependents.get_mut(t)) {
                        *p += 1;
                        list.push(e.from);
                    }
                }
                // Never satisfied: what needs a missing key has no layer.
                Target::Missing(_) => {
                    if let Some(p) = pending.get_mut(e.from) {
                        *p += 1;
                    }
                }
            }
        }
        let mut layer = vec![0u32; n];
        let mut queue: VecDeque<usize> = (0..n).filter(|&i| pending.get(i) == Some(&0)).collect();
        while let Some(x) = queue.pop_front() {
            let lx = layer.get(x).copied().unwrap_or(0);
            if let Some(node) = self.nodes.get_mut(x) {
                node.layer = (node.lifetime == Lifetime::Singleton).then_some(lx);
            }
            for &d in dependents.get(x).map_or(&[][..], Vec::as_slice) {
                if let Some(l) = layer.get_mut(d) {
                    *l = (*l).max(lx + 1);
                }
                if let Some(p) = pending.get_mut(d) {
                    *p -= 1;
                    if *p == 0 {
                        queue.push_back(d);
                    }
                }
            }
        }
    }

    /// Index of a service by id.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }

    /// Only `focus`, everything it needs and everything that needs it,
    /// through any edge.
    ///
    /// # Complexity
    /// O(S + E), iterative.
    pub fn focus(&self, focus: usize) -> Model {
        let n = self.nodes.len();
        let mut forward: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut backward: Vec<Vec<usize>> = vec![Vec::new(); n];
        for e in &self.edges {
            if let Target::Service(t) = e.to {
                if let Some(f) = forward.get_mut(e.from) {
                    f.push(t);
                }
                if let Some(b) = backward.get_mut(t) {
                    b.push(e.from);
                }
            }
        }
        let mut keep = vec![false; n];
        for adjacency in [&forward, &backward] {
            let mut stack = vec![focus];
            let mut seen = vec![false; n];
            while let Some(x) = stack.pop() {
                if seen.get(x).copied().unwrap_or(true) {
                    continue;
                }
                if let Some(s) = seen.get_mut(x) {
                    *s = true;
                }
                if let Some(k) = keep.get_mut(x) {
                    *k = true;
                }
                stack.extend(adjacency.get(x).map_or(&[][..], Vec::as_slice).iter().copied());
            }
        }
        let mut renumber: BTreeMap<usize, usize> = BTreeMap::new();
        let mut nodes = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            if keep.get(i).copied().unwrap_or(false) {
                renumber.insert(i, nodes.len());
                nodes.push(node.clone());
            }
        }
        // Missing keys asked for by what is kept.
        let mut missing_keep: BTreeSet<usize> = BTreeSet::new();
        let mut edges = Vec::new();
        for e in &self.edges {
            let Some(&from) = renumber.get(&e.from) else { continue };
            let to = match e.to {
                Target::Service(t) => match renumber.get(&t) {
                    Some(&t) => Target::Service(t),
                    None => continue,
                },
                Target::Missing(m) => {
                    missing_keep.insert(m);
                    Target::Missing(m)
                }
            };
            edges.push(Edge { from, to, ..e.clone() });
        }
        let mut missing_renumber: HashMap<usize, usize> = HashMap::new();
        let mut missing = Vec::new();
        for m in missing_keep {
            if let Some(k) = self.missing.get(m) {
                missing_renumber.insert(m, missing.len());
                missing.push(k.clone());
            }
        }
        for e in &mut edges {
            if let Target::Missing(m) = e.to {
                e.to = Target::Missing(missing_renumber.get(&m).copied().unwrap_or(0));
            }
        }
        Model { nodes, edges, missing }
    }

    /// Services grouped by layer (ascending), then the services with none.
    pub fn by_layer(&self) -> (BTreeMap<u32, Vec<usize>>, Vec<usize>) {
        let mut layers: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        let mut loose = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            match n.layer {
                Some(l) => layers.entry(l).or_default().push(i),
                None => loose.push(i),
            }
        }
        (layers, loose)
    }
}
