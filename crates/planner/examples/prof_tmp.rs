#![allow(clippy::disallowed_methods, clippy::disallowed_types, clippy::unwrap_used)]
#[path = "../benches/generate.rs"]
mod generate;
fn main() {
    let n: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(100_000);
    let text = generate::layered(n);
    let t = std::time::Instant::now();
    let reps = if n >= 1_000_000 { 3 } else { 20 };
    for _ in 0..reps {
        std::hint::black_box(wireplan::plan_str(&text, &wireplan::Options::default()).map(|p| p.len()).unwrap_or(0));
    }
    eprintln!("{:.1} ms", t.elapsed().as_secs_f64() * 1e3 / reps as f64);
}
