//! Criterion benchmarks: parse, validate + plan, encode, decode, against
//! petgraph's bare toposort on the same graph as the floor.
//!
//! `cargo bench -p wireplan --bench planner` (add `-- 10k` to filter).

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use wireplan::{Descriptors, Document, Options, Plan};

#[path = "generate.rs"]
mod generate;

fn sizes() -> Vec<(&'static str, String)> {
    vec![
        ("1k", generate::layered(1_000)),
        ("10k", generate::layered(10_000)),
        ("100k", generate::layered(100_000)),
        ("1M", generate::layered(1_000_000)),
        ("1M-chain", generate::chain(1_000_000)),
    ]
}

/// The floor: what a straightforward program does with the same parsed
/// descriptors: map ids to nodes, add edges, run petgraph's toposort.
fn petgraph_floor(d: &Descriptors<'_>) -> usize {
    let mut g = petgraph::graph::DiGraph::<(), ()>::with_capacity(d.services.len(), d.services.len() * 3);
    let mut ids = HashMap::with_capacity(d.services.len());
    for s in &d.services {
        ids.insert(s.id.as_str(), g.add_node(()));
    }
    for s in &d.services {
        let Some(&from) = ids.get(s.id.as_str()) else { continue };
        for dep in &s.deps {
            if let Some(&to) = ids.get(dep.key.as_str()) {
                g.add_edge(to, from, ());
            }
        }
    }
    petgraph::algo::toposort(&g, None).map(|o| o.len()).unwrap_or(0)
}

fn bench(c: &mut Criterion) {
    let options = Options::default();
    for (name, text) in sizes() {
        let mut group = c.benchmark_group(name);
        if text.len() > 10_000_000 {
            group.sample_size(10).measurement_time(Duration::from_secs(8));
        }
        let doc = Document { name: "bench.json", text: &text };
        group.bench_function(BenchmarkId::new("parse", name), |b| b.iter(|| Descriptors::parse(black_box(doc)).map(|d| d.services.len())));
        group.bench_function(BenchmarkId::new("parse+plan", name), |b| {
            b.iter(|| wireplan::plan_documents(black_box(&[doc]), &options).map(|p| p.len()))
        });
        let Ok(parsed) = Descriptors::parse(doc) else { continue };
        group.bench_function(BenchmarkId::new("plan", name), |b| b.iter(|| wireplan::plan(black_box(&parsed), &options).map(|p| p.len())));
        group.bench_function(BenchmarkId::new("petgraph-toposort", name), |b| b.iter(|| petgraph_floor(black_box(&parsed))));
        let Ok(plan) = wireplan::plan(&parsed, &options) else { continue };
        group.bench_function(BenchmarkId::new("encode", name), |b| b.iter(|| black_box(&plan).encode().len()));
        let bytes = plan.encode();
        let fp = plan.fingerprint();
        group.bench_function(BenchmarkId::new("decode", name), |b| b.iter(|| Plan::decode(black_box(&bytes), Some(fp)).map(|p| p.len())));
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
