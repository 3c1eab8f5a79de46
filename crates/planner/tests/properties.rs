//! Property tests over random graphs with every feature of the format:
//! lifetimes, optional / many / lazy dependencies, keys shared by several
//! providers, profiles and `replaces`. Each property has an oracle written
//! here (a small model of the rules), not only "no panic": the plan's
//! bindings are the model's providers, every non-lazy edge goes to an
//! earlier layer, layers are sorted by id, shuffling the services changes
//! nothing but the fingerprint, each cyclic component is reported exactly
//! once with one shortest cycle, encoding round-trips, damaged bytes are
//! refused, and text that is not JSON is one `invalid-descriptor`.
// A failing test panics with its message; that is how tests report.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::needless_range_loop, clippy::indexing_slicing)]

use proptest::prelude::*;
use serde_json::{json, Value};
use wireplan::{Code, Lifetime, Options, Plan};

/// Where a dependency points.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    /// The id of service `n`.
    Service(usize),
    /// A key shared by every member of group `g` (`G0`, `G1`).
    Group(u8),
    /// A key nobody provides.
    Missing(u8),
}

#[derive(Debug, Clone)]
struct Dep {
    target: Target,
    optional: bool,
    many: bool,
    lazy: bool,
}

#[derive(Debug, Clone)]
struct Svc {
    lifetime: Lifetime,
    group: Option<u8>,
    /// None: always; Some([]): always; Some(["p1"]) ...
    profiles: Option<Vec<&'static str>>,
    deps: Vec<Dep>,
    replaces: Option<usize>,
}

/// ids that do not sort in index order, so id order and index order differ.
fn id(i: usize) -> String {
    format!("s{}", (i * 7919) % 10007)
}

fn key(t: Target) -> String {
    match t {
        Target::Service(j) => id(j),
        Target::Group(g) => format!("G{g}"),
        Target::Missing(m) => format!("nobody{m}"),
    }
}

type RawDep = (usize, u8, u8);
type RawSvc = (u8, u8, u8, Vec<RawDep>, Option<usize>);

/// Random services as raw numbers; [`model`] makes them a graph.
fn raw(max: usize) -> impl Strategy<Value = Vec<RawSvc>> {
    (1..max).prop_flat_map(|n| {
        let dep = (0..n, 0u8..10, 0u8..16);
        proptest::collection::vec(
            (0u8..10, 0u8..8, 0u8..10, proptest::collection::vec(dep, 0..4), proptest::option::weighted(0.15, 0..n)),
            n,
        )
    })
}

/// The graph of `raw`. With `valid`, only what plans: non-lazy edges go to
/// lower indices (lazy ones anywhere), a dependency on a service that may
/// be absent or on a key nobody provides is optional or `many`, a shared
/// key is asked for with `many`, a singleton holds nothing that reaches a
/// scoped service, and a replacer has its target's lifetime and no
/// dependencies, each target replaced once. Without, anything goes.
fn model(raw: &[RawSvc], valid: bool) -> Vec<Svc> {
    let n = raw.len();
    let mut svcs: Vec<Svc> = raw
        .iter()
        .enumerate()
        .map(|(i, (lt, group, prof, deps, replaces))| {
            let lifetime = match lt {
                0..=5 => Lifetime::Singleton,
                6 | 7 => Lifetime::Scoped,
                _ => Lifetime::Transient,
            };
            let group = (*group < 3).then_some(group % 2);
            let profiles = match prof {
                0..=5 => None,
                6 => Some(vec![]),
                7 | 8 => Some(vec!["p1"]),
                _ => Some(vec!["p1", "p2"]),
            };
            let deps = deps
                .iter()
                .map(|&(j, kind, flags)| {
                    let target = match kind {
                        0..=6 => Target::Service(j),
                        7 | 8 => Target::Group((j % 2) as u8),
                        _ => Target::Missing((j % 3) as u8),
                    };
                    Dep { target, optional: flags & 1 != 0, many: flags & 2 != 0, lazy: flags & 12 == 12 }
                })
                .collect();
            Svc { lifetime, group, profiles, deps, replaces: replaces.filter(|&j| !valid || j < i) }
        })
        .collect();
    if !valid {
        return svcs;
    }
    // Replacements: a target once, same lifetime, a replacer without deps.
    let mut targeted = vec![false; n];
    for i in 0..n {
        if let Some(j) = svcs[i].replaces {
            if targeted[j] || svcs[j].lifetime != svcs[i].lifetime {
                svcs[i].replaces = None;
            } else {
                targeted[j] = true;
                svcs[i].deps.clear();
            }
        }
    }
    let members = |svcs: &[Svc], g: u8| -> Vec<usize> { (0..svcs.len()).filter(|&m| svcs[m].group == Some(g)).collect() };
    for i in 0..n {
        let mut deps = std::mem::take(&mut svcs[i].deps);
        for d in &mut deps {
            match d.target {
                Target::Service(j) => {
                    if j >= i {
                        d.lazy = true;
                    }
                    if svcs[j].profiles.as_ref().is_some_and(|p| !p.is_empty()) && !d.many {
                        d.optional = true;
                    }
                }
                Target::Group(g) => {
                    d.many = true;
                    if members(&svcs, g).iter().any(|&m| m >= i) {
                        d.lazy = true;
                    }
                }
                Target::Missing(_) => {
                    if !d.many {
                        d.optional = true;
                    }
                }
            }
        }
        svcs[i].deps = deps;
    }
    // What reaches a scoped service through transients (every edge counts:
    // a lazy handle resolves too); a singleton may hold none of it.
    let targets = |svcs: &[Svc], t: Target| -> Vec<usize> {
        match t {
            Target::Service(j) => vec![j],
            Target::Group(g) => members(svcs, g),
            Target::Missing(_) => vec![],
        }
    };
    let mut reaches: Vec<bool> = svcs.iter().map(|s| s.lifetime == Lifetime::Scoped).collect();
    loop {
        let mut changed = false;
        for i in 0..n {
            if svcs[i].lifetime == Lifetime::Transient
                && !reaches[i]
                && svcs[i].deps.iter().any(|d| targets(&svcs, d.target).iter().any(|&j| reaches[j]))
            {
                reaches[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for i in 0..n {
        if svcs[i].lifetime == Lifetime::Singleton {
            let kept: Vec<Dep> = svcs[i].deps.iter().filter(|d| !targets(&svcs, d.target).iter().any(|&j| reaches[j])).cloned().collect();
            svcs[i].deps = kept;
        }
    }
    svcs
}

fn service_json(i: usize, s: &Svc) -> Value {
    let mut o = serde_json::Map::new();
    o.insert("id".into(), json!(id(i)));
    if let Some(g) = s.group {
        o.insert("provides".into(), json!([id(i), format!("G{g}")]));
    }
    if s.lifetime != Lifetime::Singleton || i % 3 == 0 {
        o.insert("lifetime".into(), json!(s.lifetime.as_str()));
    }
    if let Some(p) = &s.profiles {
        o.insert("profiles".into(), json!(p));
    }
    if let Some(j) = s.replaces {
        o.insert("replaces".into(), json!(id(j)));
    }
    let deps: Vec<Value> = s
        .deps
        .iter()
        .map(|d| {
            if !d.optional && !d.many && !d.lazy {
                json!(key(d.target))
            } else {
                json!({"key": key(d.target), "optional": d.optional, "many": d.many, "lazy": d.lazy})
            }
        })
        .collect();
    if !deps.is_empty() || i % 2 == 0 {
        o.insert("deps".into(), json!(deps));
    }
    Value::Object(o)
}

/// The document with the services in the order `order` (indices into `svcs`).
fn document(svcs: &[Svc], order: &[usize]) -> String {
    let services: Vec<Value> = order.iter().map(|&i| service_json(i, &svcs[i])).collect();
    json!({"version": 1, "services": services}).to_string()
}

fn descriptors(svcs: &[Svc]) -> String {
    document(svcs, &(0..svcs.len()).collect::<Vec<_>>())
}

fn options(profile: u8) -> Options {
    match profile {
        0 => Options::default(),
        1 => Options::profile("p1"),
        _ => Options::profile("p2"),
    }
}

/// The model's bindings: for each live service (active, not replaced), the
/// providers of each key, by id, in declaration order of the provider.
fn model_providers(svcs: &[Svc], profile: Option<&str>, k: &str) -> Vec<String> {
    let n = svcs.len();
    let active = |i: usize| match &svcs[i].profiles {
        None => true,
        Some(p) => p.is_empty() || profile.is_some_and(|q| p.contains(&q)),
    };
    let mut replacer = vec![None; n];
    for i in (0..n).filter(|&i| active(i)) {
        if let Some(j) = svcs[i].replaces.filter(|&j| active(j)) {
            replacer[j] = Some(i);
        }
    }
    let last = |mut x: usize| {
        while let Some(r) = replacer[x] {
            x = r;
        }
        x
    };
    let own = |i: usize| -> Vec<String> { std::iter::once(id(i)).chain(svcs[i].group.map(|g| format!("G{g}"))).collect() };
    (0..n)
        .filter(|&x| active(x) && replacer[x].is_none())
        .filter(|&x| (0..n).any(|y| active(y) && last(y) == x && own(y).iter().any(|o| o == k)))
        .map(id)
        .collect()
}

/// Every promise of a plan that the model can check.
fn check_plan(plan: &Plan, svcs: &[Svc], profile: Option<&str>) -> Result<(), TestCaseError> {
    let ids = |xs: &[u32]| -> Vec<String> { xs.iter().filter_map(|&p| plan.service(p)).map(|s| s.id().to_owned()).collect() };
    let layer = |i: u32| plan.service(i).and_then(|s| s.layer());
    // Layers partition the start-up order, in order, each sorted by id.
    let mut next = 0;
    for (l, range) in plan.layers().enumerate() {
        prop_assert_eq!(range.start, next);
        prop_assert!(range.end > range.start, "an empty layer");
        let members: Vec<String> = ids(&range.clone().collect::<Vec<_>>());
        let mut sorted = members.clone();
        sorted.sort();
        prop_assert_eq!(&members, &sorted, "layer {} is not sorted by id", l);
        for i in range.clone() {
            prop_assert_eq!(layer(i), Some(l as u32));
        }
        next = range.end;
    }
    prop_assert_eq!(next, plan.startup().end);
    // Past the singletons, the other services by id, with no layer.
    let rest: Vec<String> = ids(&(plan.startup().end..plan.len() as u32).collect::<Vec<_>>());
    let mut sorted = rest.clone();
    sorted.sort();
    prop_assert_eq!(rest, sorted);
    for s in plan.services() {
        prop_assert_eq!(s.layer().is_some(), s.lifetime() == Lifetime::Singleton);
        let i: usize = (0..svcs.len()).find(|&i| id(i) == s.id()).unwrap();
        prop_assert_eq!(s.lifetime(), svcs[i].lifetime);
        prop_assert_eq!(s.deps().len(), svcs[i].deps.len());
        for (b, d) in s.deps().zip(&svcs[i].deps) {
            // The bindings are the model's providers, in declaration order.
            prop_assert_eq!(b.key(), key(d.target));
            prop_assert_eq!((b.optional(), b.many(), b.lazy()), (d.optional, d.many, d.lazy));
            prop_assert_eq!(ids(b.providers()), model_providers(svcs, profile, b.key()), "providers of `{}` for `{}`", b.key(), s.id());
        }
    }
    // Every non-lazy edge goes from a later layer to an earlier one; a
    // singleton comes after every singleton it needs through transients.
    for s in plan.services().filter(|s| s.lifetime() == Lifetime::Singleton) {
        let mut stack: Vec<u32> = vec![s.index()];
        let mut seen = vec![false; plan.len()];
        while let Some(x) = stack.pop() {
            for b in plan.service(x).unwrap().deps().filter(|b| !b.lazy()) {
                for &p in b.providers() {
                    let ps = plan.service(p).unwrap();
                    match ps.lifetime() {
                        Lifetime::Singleton => prop_assert!(
                            layer(p) < s.layer(),
                            "`{}` (layer {:?}) needs `{}` (layer {:?})",
                            s.id(),
                            s.layer(),
                            ps.id(),
                            layer(p)
                        ),
                        Lifetime::Transient if !seen[p as usize] => {
                            seen[p as usize] = true;
                            stack.push(p);
                        }
                        Lifetime::Transient => {}
                        Lifetime::Scoped => prop_assert!(false, "singleton `{}` holds scoped `{}`", s.id(), ps.id()),
                    }
                }
            }
        }
    }
    // A recipe lists the scoped and transient services one instance needs,
    // dependencies first, ending with the service itself.
    for s in plan.services().filter(|s| s.lifetime() != Lifetime::Singleton) {
        let recipe = s.recipe();
        prop_assert_eq!(recipe.last(), Some(&s.index()));
        for (at, &x) in recipe.iter().enumerate() {
            for b in plan.service(x).unwrap().deps().filter(|b| !b.lazy()) {
                for &p in b.providers() {
                    if plan.service(p).unwrap().lifetime() != Lifetime::Singleton {
                        prop_assert!(recipe[..at].contains(&p), "recipe of `{}`: a dependency of an entry comes after it", s.id());
                    }
                }
            }
        }
    }
    Ok(())
}

/// A permutation of `0..n` from `shuffle`, in which the services whose
/// declaration order means something (the providers of a shared key and
/// the replacers, whose keys join one) keep their relative order.
fn keep_meaningful_order(svcs: &[Svc], shuffle: &[usize]) -> Vec<usize> {
    let n = svcs.len();
    let fixed = |i: usize| svcs[i].group.is_some() || svcs[i].replaces.is_some();
    let mut order: Vec<usize> = shuffle.iter().copied().filter(|&i| i < n).collect();
    let mut in_order = (0..n).filter(|&i| fixed(i));
    for slot in order.iter_mut() {
        if fixed(*slot) {
            *slot = in_order.next().unwrap();
        }
    }
    order
}

/// The binary plan without its fingerprint and checksum (bytes 16..32 and
/// 40..48 of the header), which hash the descriptors in declaration order.
fn without_fingerprint(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[16..32].fill(0);
    out[40..48].fill(0);
    out
}

fn json_without_fingerprint(plan: &Plan) -> String {
    plan.to_json().lines().filter(|l| !l.trim_start().starts_with("\"fingerprint\"")).collect::<Vec<_>>().join("\n")
}

/// A graph of plain dependencies, lazy ones marked, for the cycle oracle.
fn cyclic(max: usize) -> impl Strategy<Value = Vec<Vec<(usize, bool)>>> {
    (1..max).prop_flat_map(|n| proptest::collection::vec(proptest::collection::vec((0..n, proptest::bool::weighted(0.2)), 0..4), n))
}

/// Strongly connected components of the non-lazy edges (by reachability:
/// the graphs are small), with more than one node or a self-loop.
fn cyclic_components(deps: &[Vec<(usize, bool)>]) -> Vec<Vec<usize>> {
    let n = deps.len();
    let mut r = vec![vec![false; n]; n];
    for (i, d) in deps.iter().enumerate() {
        for &(j, lazy) in d {
            if !lazy {
                r[i][j] = true;
            }
        }
    }
    for k in 0..n {
        for i in 0..n {
            if r[i][k] {
                for j in 0..n {
                    if r[k][j] {
                        r[i][j] = true;
                    }
                }
            }
        }
    }
    let mut comps: Vec<Vec<usize>> = Vec::new();
    for i in 0..n {
        if r[i][i] && !comps.iter().any(|c| c.contains(&i)) {
            comps.push((0..n).filter(|&j| j == i || (r[i][j] && r[j][i])).collect());
        }
    }
    comps
}

/// The length of a shortest non-lazy cycle through `start`, by breadth-first search.
fn shortest_cycle_through(deps: &[Vec<(usize, bool)>], start: usize) -> Option<usize> {
    let mut dist = vec![usize::MAX; deps.len()];
    let mut queue = std::collections::VecDeque::from([(start, 0usize)]);
    while let Some((u, du)) = queue.pop_front() {
        for &(v, lazy) in &deps[u] {
            if lazy {
                continue;
            }
            if v == start {
                return Some(du + 1);
            }
            if dist[v] == usize::MAX {
                dist[v] = du + 1;
                queue.push_back((v, du + 1));
            }
        }
    }
    None
}

/// Valid descriptors, then changed by a few edits at the JSON level (a key
/// dropped, a value of the wrong type, an element duplicated, a version
/// changed): text the parser sees as JSON far more often than random text.
fn json_text() -> impl Strategy<Value = String> {
    let edits = proptest::collection::vec((0u8..8, any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..4);
    (raw(10), edits, any::<bool>()).prop_map(|(raw, edits, cut)| {
        let svcs = model(&raw, true);
        let mut doc: Value = serde_json::from_str(&descriptors(&svcs)).unwrap();
        for (op, a, b) in edits {
            let services = doc["services"].as_array_mut().unwrap();
            if services.is_empty() {
                break;
            }
            let i = a.index(services.len());
            let s = services[i].as_object_mut().unwrap();
            let fields: Vec<String> = s.keys().cloned().collect();
            if fields.is_empty() {
                continue;
            }
            let field = fields[b.index(fields.len())].clone();
            match op {
                0 => {
                    s.remove(&field);
                }
                1 => {
                    s.insert(field, json!(7));
                }
                2 => {
                    s.insert("unknown".into(), json!(true));
                }
                3 => {
                    let copy = services[i].clone();
                    services.push(copy);
                }
                4 => {
                    s.insert("lifetime".into(), json!("forever"));
                }
                5 => {
                    s.insert("deps".into(), json!([{"key": "x", "lazy": "yes"}]));
                }
                6 => doc["version"] = json!(2),
                _ => {
                    s.insert("id".into(), json!(""));
                }
            }
        }
        let text = doc.to_string();
        if cut {
            let at = text.len() * 3 / 4;
            text.get(..at).unwrap_or(&text).to_owned()
        } else {
            text
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_valid_graph_plans_and_its_plan_keeps_every_promise(raw in raw(40), profile in 0u8..3) {
        let svcs = model(&raw, true);
        let options = options(profile);
        let plan = wireplan::plan_str(&descriptors(&svcs), &options).map_err(|r| TestCaseError::fail(r.render()))?;
        check_plan(&plan, &svcs, options.profile.as_deref())?;
    }

    #[test]
    fn shuffling_the_services_changes_nothing_but_the_fingerprint(raw in raw(30), valid in proptest::bool::weighted(0.7), profile in 0u8..3, shuffle in Just((0..30).collect::<Vec<usize>>()).prop_shuffle()) {
        let svcs = model(&raw, valid);
        let order = keep_meaningful_order(&svcs, &shuffle);
        let options = options(profile);
        let a = wireplan::plan_str(&descriptors(&svcs), &options);
        let b = wireplan::plan_str(&document(&svcs, &order), &options);
        match (a, b) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(without_fingerprint(&a.encode()), without_fingerprint(&b.encode()));
                prop_assert_eq!(json_without_fingerprint(&a), json_without_fingerprint(&b));
                let line = format!("\"fingerprint\": \"{}\"", a.fingerprint());
                prop_assert!(a.to_json().contains(&line), "the JSON does not hold the fingerprint");
            }
            (Err(a), Err(b)) => {
                let codes = |r: &wireplan::Report| { let mut c: Vec<Code> = r.diagnostics.iter().map(|d| d.code).collect(); c.sort(); c };
                if !codes(&a).contains(&Code::InvalidReplacement) {
                    prop_assert_eq!(codes(&a), codes(&b));
                }
            }
            (a, b) => prop_assert!(false, "one order plans and the other does not: {:?} / {:?}", a.err().map(|r| r.render()), b.err().map(|r| r.render())),
        }
    }

    #[test]
    fn each_cyclic_component_is_reported_exactly_once_with_a_shortest_cycle(deps in cyclic(14)) {
        let n = deps.len();
        let svcs: Vec<Svc> = deps.iter().map(|d| Svc {
            lifetime: Lifetime::Singleton,
            group: None,
            profiles: None,
            deps: d.iter().map(|&(j, lazy)| Dep { target: Target::Service(j), optional: false, many: false, lazy }).collect(),
            replaces: None,
        }).collect();
        let comps = cyclic_components(&deps);
        match wireplan::plan_str(&descriptors(&svcs), &Options::default()) {
            Ok(_) => prop_assert!(comps.is_empty()),
            Err(report) => {
                let cycles: Vec<_> = report.diagnostics.iter().filter(|d| d.code == Code::DependencyCycle).collect();
                prop_assert_eq!(cycles.len(), comps.len());
                prop_assert_eq!(report.diagnostics.len(), comps.len(), "a graph of plain singletons has no other problem");
                let index = |s: &str| (0..n).find(|&i| id(i) == s).unwrap();
                let mut reported = vec![0usize; comps.len()];
                for c in cycles {
                    prop_assert_eq!(c.services.first(), c.services.last());
                    let start = index(&c.services[0]);
                    let comp = comps.iter().position(|comp| comp.contains(&start)).unwrap();
                    reported[comp] += 1;
                    // It starts at the component's smallest id, and is as short as any cycle through it.
                    let smallest = comps[comp].iter().map(|&i| id(i)).min().unwrap();
                    prop_assert_eq!(&c.services[0], &smallest);
                    prop_assert_eq!(Some(c.services.len() - 1), shortest_cycle_through(&deps, start));
                    for hop in c.services.windows(2) {
                        let (a, b) = (index(&hop[0]), index(&hop[1]));
                        prop_assert!(deps[a].contains(&(b, false)), "{:?} is not a non-lazy edge", hop);
                        prop_assert!(comps[comp].contains(&b));
                    }
                }
                prop_assert!(reported.iter().all(|&r| r == 1), "{:?}", reported);
            }
        }
    }

    #[test]
    fn encoding_then_decoding_gives_the_same_plan(raw in raw(40), profile in 0u8..3) {
        let svcs = model(&raw, true);
        let plan = wireplan::plan_str(&descriptors(&svcs), &options(profile)).map_err(|r| TestCaseError::fail(r.render()))?;
        let bytes = plan.encode();
        let back = Plan::decode(&bytes, Some(plan.fingerprint())).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, &plan);
        prop_assert_eq!(back.to_json(), plan.to_json());
        prop_assert_eq!(back.encode(), bytes);
    }

    #[test]
    fn random_bytes_are_never_a_plan(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        prop_assert!(Plan::decode(&bytes, None).is_err());
        let mut with_magic = b"WIREPLAN".to_vec();
        with_magic.extend_from_slice(&bytes);
        prop_assert!(Plan::decode(&with_magic, None).is_err());
    }

    #[test]
    fn damaged_plans_are_rejected_and_other_fingerprints_refused(raw in raw(20), at in any::<prop::sample::Index>(), bit in 0u8..8, cut in any::<prop::sample::Index>(), other in any::<u128>()) {
        let svcs = model(&raw, true);
        let plan = wireplan::plan_str(&descriptors(&svcs), &Options::default()).map_err(|r| TestCaseError::fail(r.render()))?;
        let bytes = plan.encode();
        let mut flipped = bytes.clone();
        let i = at.index(flipped.len());
        flipped[i] ^= 1 << bit;
        prop_assert!(Plan::decode(&flipped, Some(plan.fingerprint())).is_err(), "a flipped bit at {} was accepted", i);
        prop_assert!(Plan::decode(&flipped, None).is_err(), "a flipped bit at {} was accepted without a fingerprint", i);
        let truncated = &bytes[..cut.index(bytes.len())];
        prop_assert!(Plan::decode(truncated, None).is_err());
        if other != plan.fingerprint().0 {
            prop_assert!(Plan::decode(&bytes, Some(wireplan::Fingerprint(other))).is_err(), "a plan decoded under another fingerprint");
        }
    }

    #[test]
    fn text_plans_or_reports_and_text_that_is_not_json_is_one_invalid_descriptor(text in prop_oneof![1 => ".{0,200}", 3 => json_text()]) {
        match wireplan::plan_str(&text, &Options::default()) {
            Ok(plan) => {
                let back = Plan::decode(&plan.encode(), Some(plan.fingerprint())).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(back, plan);
            }
            Err(report) => {
                prop_assert!(report.has_errors());
                if serde_json::from_str::<Value>(&text).is_err() {
                    let codes: Vec<Code> = report.diagnostics.iter().map(|d| d.code).collect();
                    prop_assert_eq!(codes, [Code::InvalidDescriptor]);
                    let d = &report.diagnostics[0];
                    prop_assert!(d.location.as_ref().is_some_and(|l| l.line.is_some()), "no line for {:?}", text);
                }
            }
        }
    }
}
