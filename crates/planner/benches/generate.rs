//! Deterministic generator of application-like service graphs, shared by
//! the benchmarks (and by `cargo run --example generate`).
//!
//! Services are laid out in layers of up to 1,000; each service outside the
//! first layer depends on 3 services of earlier layers (two of the layer
//! just below, one further down), chosen by a fixed linear congruential
//! generator, so every run and every language sees the same graph.

/// Fixed-seed LCG (Knuth's MMIX constants).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound.max(1)
    }
}

/// A layered graph of `n` services as descriptor JSON.
pub fn layered(n: usize) -> String {
    let width = 1000.min(n.max(1));
    let mut rng = Lcg(42);
    let mut out = String::with_capacity(n * 90);
    out.push_str("{\"version\":1,\"services\":[\n");
    for i in 0..n {
        let layer = i / width;
        out.push_str(&format!("{{\"id\":\"svc{i:07}\""));
        if layer > 0 {
            let below = (layer - 1) * width;
            let mut deps = [below + rng.next(width), below + rng.next(width), rng.next(below + 1).min(below)];
            deps.sort_unstable();
            out.push_str(",\"deps\":[");
            let mut last = usize::MAX;
            let mut first = true;
            for d in deps {
                if d == last {
                    continue;
                }
                last = d;
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&format!("\"svc{d:07}\""));
            }
            out.push(']');
        }
        out.push('}');
        if i + 1 < n {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str("]}\n");
    out
}

/// A chain: each service depends on the previous one.
#[allow(dead_code)]
pub fn chain(n: usize) -> String {
    let mut out = String::with_capacity(n * 40);
    out.push_str("{\"version\":1,\"services\":[\n");
    for i in 0..n {
        if i == 0 {
            out.push_str("{\"id\":\"svc0000000\"}");
        } else {
            out.push_str(&format!("{{\"id\":\"svc{i:07}\",\"deps\":[\"svc{:07}\"]}}", i - 1));
        }
        if i + 1 < n {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str("]}\n");
    out
}
