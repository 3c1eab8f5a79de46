//! Property tests: the plan respects every edge of random DAGs, every cycle
//! of random graphs is real and reported, encoding round-trips, and decoding
//! random or damaged bytes never panics and never yields a different plan.
// A failing test panics with its message; that is how tests report.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::needless_range_loop)]

use proptest::prelude::*;
use serde_json::json;
use wireplan::{Options, Plan};

/// A random graph of `n` services as (deps per service), with ids that do
/// not sort in index order, so id ordering and index ordering differ.
fn graph(max: usize, dag: bool) -> impl Strategy<Value = Vec<Vec<usize>>> {
    (1..max).prop_flat_map(move |n| {
        proptest::collection::vec(proptest::collection::vec(0..n, 0..4), n).prop_map(move |mut deps| {
            if dag {
                for (i, d) in deps.iter_mut().enumerate() {
                    d.retain(|&j| j < i);
                }
            }
            deps
        })
    })
}

fn id(i: usize) -> String {
    format!("s{}", (i * 7919) % 10007)
}

fn descriptors(deps: &[Vec<usize>]) -> String {
    let services: Vec<_> = deps
        .iter()
        .enumerate()
        .map(|(i, d)| json!({"id": id(i), "deps": d.iter().map(|&j| id(j)).collect::<Vec<_>>()}))
        .collect();
    json!({"version": 1, "services": services}).to_string()
}

/// Reachability by repeated squaring of a small boolean matrix.
fn reach(deps: &[Vec<usize>]) -> Vec<Vec<bool>> {
    let n = deps.len();
    let mut r = vec![vec![false; n]; n];
    for (i, d) in deps.iter().enumerate() {
        for &j in d {
            r[i][j] = true;
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
    r
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_edge_of_a_dag_is_respected_by_order_and_layers(deps in graph(40, true)) {
        let plan = wireplan::plan_str(&descriptors(&deps), &Options::default()).map_err(|r| TestCaseError::fail(r.render()))?;
        let pos = |i: usize| plan.index_of(&id(i)).unwrap_or(u32::MAX);
        for (i, d) in deps.iter().enumerate() {
            for &j in d {
                prop_assert!(pos(j) < pos(i), "{} must start before {}", id(j), id(i));
                let (li, lj) = (plan.service(pos(i)).and_then(|s| s.layer()), plan.service(pos(j)).and_then(|s| s.layer()));
                prop_assert!(lj < li, "layer of {} must be below layer of {}", id(j), id(i));
            }
        }
        // Layers partition the start-up order, in order.
        let mut next = 0;
        for layer in plan.layers() {
            prop_assert_eq!(layer.start, next);
            prop_assert!(layer.end > layer.start);
            next = layer.end;
        }
        prop_assert_eq!(next, plan.startup().end);
    }

    #[test]
    fn every_cycle_reported_is_real_and_every_cyclic_component_is_reported(deps in graph(14, false)) {
        let r = reach(&deps);
        let n = deps.len();
        // Components with a cycle: i is on a cycle when it reaches itself.
        let mut comps: Vec<Vec<usize>> = Vec::new();
        for i in 0..n {
            if r[i][i] && !comps.iter().any(|c| c.contains(&i)) {
                comps.push((0..n).filter(|&j| j == i || (r[i][j] && r[j][i])).collect());
            }
        }
        match wireplan::plan_str(&descriptors(&deps), &Options::default()) {
            Ok(_) => prop_assert!(comps.is_empty()),
            Err(report) => {
                let cycles: Vec<_> = report.diagnostics.iter().filter(|d| d.code == wireplan::Code::DependencyCycle).collect();
                prop_assert_eq!(cycles.len(), comps.len());
                let index = |s: &str| (0..n).find(|&i| id(i) == s);
                for c in cycles {
                    prop_assert_eq!(c.services.first(), c.services.last());
                    for hop in c.services.windows(2) {
                        let (a, b) = (index(&hop[0]), index(&hop[1]));
                        prop_assert!(matches!((a, b), (Some(a), Some(b)) if deps[a].contains(&b)), "{:?} is not an edge", hop);
                    }
                }
            }
        }
    }

    #[test]
    fn encoding_then_decoding_gives_the_same_plan(deps in graph(40, true)) {
        let plan = wireplan::plan_str(&descriptors(&deps), &Options::default()).map_err(|r| TestCaseError::fail(r.render()))?;
        let bytes = plan.encode();
        let back = Plan::decode(&bytes, Some(plan.fingerprint())).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, &plan);
        prop_assert_eq!(back.to_json(), plan.to_json());
    }

    #[test]
    fn decoding_random_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Plan::decode(&bytes, None);
        let mut with_magic = b"WIREPLAN".to_vec();
        with_magic.extend_from_slice(&bytes);
        let _ = Plan::decode(&with_magic, None);
    }

    #[test]
    fn damaged_plans_are_rejected_or_identical(deps in graph(20, true), at in any::<prop::sample::Index>(), bit in 0u8..8, cut in any::<prop::sample::Index>()) {
        let plan = wireplan::plan_str(&descriptors(&deps), &Options::default()).map_err(|r| TestCaseError::fail(r.render()))?;
        let bytes = plan.encode();
        let mut flipped = bytes.clone();
        let i = at.index(flipped.len());
        flipped[i] ^= 1 << bit;
        prop_assert!(Plan::decode(&flipped, Some(plan.fingerprint())).is_err(), "a flipped bit at {} was accepted", i);
        let truncated = &bytes[..cut.index(bytes.len())];
        prop_assert!(Plan::decode(truncated, None).is_err());
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = wireplan::plan_str(&text, &Options::default());
    }
}
