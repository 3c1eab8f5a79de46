//! Turning a checked graph into a [`Plan`].

use crate::descriptor::Lifetime;
use crate::diagnostic::Diagnostic;
use crate::error::Error;
use crate::fingerprint::{canonical_json, Fingerprint};
use crate::graph::Graph;
use crate::limits::what;
use crate::options::Options;
use crate::order::Order;
use crate::plan::{DepRec, Plan, ServiceRec, Slice, SourceRec, Span, LAZY, MANY, OPTIONAL};

struct Arena {
    text: String,
}

impl Arena {
    fn push(&mut self, s: &str) -> Span {
        let start = self.text.len() as u32;
        self.text.push_str(s);
        Span { start, len: s.len() as u32 }
    }
}

/// What the plan holds for one key: its span in the arena and its bound
/// providers, each `u32::MAX` until first written.
#[derive(Clone, Copy)]
struct KeyOut {
    span: Span,
    bound: Slice,
}

impl KeyOut {
    const NONE: KeyOut = KeyOut { span: Span { start: 0, len: u32::MAX }, bound: Slice { start: u32::MAX, end: u32::MAX } };
}

/// Builds the plan of a graph that passed every check.
///
/// # Complexity
/// O(S log S) for sorting by id, plus O(S + E) and the size of the recipes.
pub(crate) fn assemble(
    graph: &Graph<'_, '_>,
    order: &Order,
    options: &Options,
    fingerprint: Fingerprint,
    warnings: Vec<Diagnostic>,
) -> Result<Plan, Error> {
    let n = graph.len();
    let planned: Vec<u32> = (0..n as u32).filter(|&i| graph.planned.get(i as usize).copied().unwrap_or(false)).collect();
    let level = |i: u32| order.level.get(i as usize).copied().unwrap_or(0);
    // One sort by id serves three orders: the lookup index, the singletons
    // (stably bucketed by level below), and the other services.
    let mut by_id_nodes = planned;
    by_id_nodes.sort_unstable_by(|&a, &b| graph.id(a).cmp(graph.id(b)));
    let max_level = by_id_nodes.iter().map(|&i| level(i)).max().unwrap_or(0) as usize;
    let mut bucket_start = vec![0u32; max_level + 2];
    let mut singleton_count = 0usize;
    for &i in &by_id_nodes {
        if graph.lifetime(i) == Lifetime::Singleton {
            if let Some(c) = bucket_start.get_mut(level(i) as usize + 1) {
                *c += 1;
            }
            singleton_count += 1;
        }
    }
    for l in 1..bucket_start.len() {
        let prev = bucket_start.get(l - 1).copied().unwrap_or(0);
        if let Some(c) = bucket_start.get_mut(l) {
            *c += prev;
        }
    }
    let mut order_nodes = vec![0u32; by_id_nodes.len()];
    let mut other_pos = singleton_count;
    for &i in &by_id_nodes {
        let slot = if graph.lifetime(i) == Lifetime::Singleton {
            let Some(c) = bucket_start.get_mut(level(i) as usize) else { continue };
            *c += 1;
            *c as usize - 1
        } else {
            other_pos += 1;
            other_pos - 1
        };
        if let Some(o) = order_nodes.get_mut(slot) {
            *o = i;
        }
    }
    let singletons = order_nodes.get(..singleton_count).unwrap_or(&[]);
    let mut number = vec![u32::MAX; n];
    for (pos, &node) in order_nodes.iter().enumerate() {
        if let Some(slot) = number.get_mut(node as usize) {
            *slot = pos as u32;
        }
    }
    let num = |node: u32| number.get(node as usize).copied().unwrap_or(u32::MAX);

    let mut arena = Arena { text: String::with_capacity(graph.desc.documents.iter().map(|d| d.text.len() / 2).sum()) };
    let mut services = Vec::with_capacity(order_nodes.len());
    let mut provides = Vec::with_capacity(order_nodes.len());
    let mut deps = Vec::with_capacity(graph.deps.len());
    let mut providers = Vec::with_capacity(graph.deps.len());
    let mut recipes = Vec::new();
    let mut layer_ends: Vec<u32> = Vec::new();
    let mut recipe_marks = vec![0u32; n];
    // Each distinct key is written to the arena once and bound once; records
    // share its span and its providers. One entry per key holds both, so a
    // dependency on a key costs one cache miss, not two (keys are visited in
    // no useful order).
    let mut key_out: Vec<KeyOut> = vec![KeyOut::NONE; graph.names.len()];
    let key_span = |arena: &mut Arena, key_out: &mut [KeyOut], k: u32| -> Span {
        match key_out.get_mut(k as usize) {
            Some(out) if out.span.len != u32::MAX => out.span,
            Some(out) => {
                out.span = arena.push(graph.key(k));
                out.span
            }
            None => arena.push(graph.key(k)),
        }
    };
    let mut recipe_stack: Vec<(u32, u32, u32)> = Vec::new();
    // Real graphs need a few recipe entries per scoped service; a long
    // chain of scoped services would need a quadratic number, and gets a
    // clear error instead of exhausting memory. The walks that find them
    // look at dependencies on singletons too, which are not entries: their
    // number is bounded as well, so that many scoped services each over a
    // wide layer of singletons cannot take quadratic time either.
    let max_entries = options.limits.max_recipe_entries;
    let growth = options.limits.growth(graph.desc.input_bytes());
    let max_work = max_entries.min(growth).saturating_mul(4).saturating_add(options.limits.max_bindings.min(growth));
    let mut work = 0usize;

    for (pos, &node) in order_nodes.iter().enumerate() {
        let Some(desc) = graph.service(node) else { continue };
        let id = arena.push(desc.id.as_str());
        let p_start = provides.len() as u32;
        for &k in graph.provides.row(node) {
            provides.push(key_span(&mut arena, &mut key_out, k));
        }
        let p_slice = Slice { start: p_start, end: provides.len() as u32 };
        let d_start = deps.len() as u32;
        for d in graph.deps_of(node) {
            let key = key_span(&mut arena, &mut key_out, d.key);
            // Every dependency on a key is bound to the same providers, so
            // they share one list: the plan grows with the keys' providers,
            // not with providers x askers (a `many` key of P providers asked
            // for by A services is P numbers, not P x A).
            let bound = match key_out.get_mut(d.key as usize) {
                Some(out) if out.bound.start != u32::MAX => out.bound,
                slot => {
                    let start = providers.len() as u32;
                    providers.extend(graph.providers_of(d).iter().map(|&p| num(p)));
                    let slice = Slice { start, end: providers.len() as u32 };
                    if let Some(out) = slot {
                        out.bound = slice;
                    }
                    slice
                }
            };
            let flags = if d.optional { OPTIONAL } else { 0 } | if d.many { MANY } else { 0 } | if d.lazy { LAZY } else { 0 };
            deps.push(DepRec { key, flags, providers: bound });
        }
        let d_slice = Slice { start: d_start, end: deps.len() as u32 };
        let lifetime = desc.lifetime;
        let layer = if lifetime == Lifetime::Singleton {
            let layer = level(node).saturating_sub(1);
            // Layers are contiguous in start-up order: close the previous ones.
            while layer_ends.len() <= layer as usize {
                layer_ends.push(pos as u32);
            }
            if let Some(end) = layer_ends.get_mut(layer as usize) {
                *end = pos as u32 + 1;
            }
            layer
        } else {
            u32::MAX
        };
        let recipe = if lifetime == Lifetime::Singleton {
            Slice::default()
        } else {
            let start = recipes.len() as u32;
            work = work.saturating_add(recipe_of(graph, node, pos as u32 + 1, &mut recipe_marks, &mut recipe_stack, &mut |x| {
                recipes.push(num(x))
            }));
            // Each error names the service whose recipe crossed the limit.
            let here = graph.node_desc.get(node as usize).copied().unwrap_or(0) as usize;
            if recipes.len() > max_entries {
                return Err(graph.desc.limit_at(here, what::RECIPES, max_entries, recipes.len()));
            }
            if recipes.len() > growth {
                return Err(graph.desc.limit_at(here, what::RECIPES_GROWTH, growth, recipes.len()));
            }
            if work > max_work {
                return Err(graph.desc.limit_at(here, what::RECIPE_WORK, max_work, work));
            }
            Slice { start, end: recipes.len() as u32 }
        };
        let source = desc.source.as_ref().map(|s| SourceRec {
            file: arena.push(s.file.as_str()),
            line: s.line.unwrap_or(0),
            column: s.column.unwrap_or(0),
        });
        let meta = desc.meta.as_ref().map(|m| arena.push(&canonical_json(m)));
        services.push(ServiceRec { id, lifetime, provides: p_slice, deps: d_slice, recipe, source, meta, layer });
    }
    if arena.text.len() > u32::MAX as usize / 2 {
        // Unreachable under the default limits (the arena holds each id,
        // key and meta once); named after the first document.
        let document = graph.desc.documents.first().map_or("<input>", |d| d.name);
        return Err(Error::limit(document, "the size of the plan's strings", u32::MAX as usize / 2, arena.text.len()));
    }
    let by_id: Vec<u32> = by_id_nodes.iter().map(|&node| num(node)).collect();
    let profile = options.profile.as_deref().map(|p| arena.push(p));
    let roots = options.canonical_roots().into_iter().map(|r| arena.push(r)).collect();
    let unused = graph.unused.iter().map(|&u| arena.push(graph.id(u))).collect();
    Ok(Plan {
        fingerprint,
        text: arena.text,
        profile,
        roots,
        services,
        provides,
        deps,
        providers,
        singletons: singletons.len() as u32,
        layer_ends,
        recipes,
        by_id,
        unused,
        warnings,
    })
}

/// The scoped and transient services `root` needs, dependencies first,
/// ending with `root`: an iterative post-order walk over non-lazy edges that
/// stops at singletons. `stamp` marks nodes seen in this walk. Returns the
/// number of bindings looked at.
fn recipe_of(
    graph: &Graph<'_, '_>,
    root: u32,
    stamp: u32,
    marks: &mut [u32],
    stack: &mut Vec<(u32, u32, u32)>,
    emit: &mut dyn FnMut(u32),
) -> usize {
    let mut work = 0usize;
    stack.clear();
    if let Some(m) = marks.get_mut(root as usize) {
        *m = stamp;
    }
    stack.push((root, 0, 0));
    while let Some(top) = stack.last_mut() {
        let (node, mut di, mut pi) = *top;
        let deps = graph.deps_of(node);
        let mut pushed = None;
        'deps: while let Some(d) = deps.get(di as usize) {
            if !d.lazy {
                let ps = graph.providers_of(d);
                while let Some(&p) = ps.get(pi as usize) {
                    pi += 1;
                    work += 1;
                    let fresh = graph.lifetime(p) != Lifetime::Singleton && marks.get(p as usize) != Some(&stamp);
                    if fresh {
                        pushed = Some(p);
                        break 'deps;
                    }
                }
            }
            di += 1;
            pi = 0;
        }
        *top = (node, di, pi);
        match pushed {
            Some(p) => {
                if let Some(m) = marks.get_mut(p as usize) {
                    *m = stamp;
                }
                stack.push((p, 0, 0));
            }
            None => {
                emit(node);
                stack.pop();
            }
        }
    }
    work
}
