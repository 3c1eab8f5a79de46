//! The README's Rust example, compiled by `cargo test` (and run by
//! `tests/readme.rs`), so the README cannot go stale.

fn main() {
    let text = r#"{"version": 1, "services": [{"id": "config"}, {"id": "db", "deps": ["config"]}]}"#;
    match wireplan::plan_str(text, &wireplan::Options::default()) {
        Ok(plan) => {
            for i in plan.startup() {
                println!("start {}", plan.service(i).map_or("", |s| s.id()));
            }
            let cached: Vec<u8> = plan.encode();
            let again = wireplan::Plan::decode(&cached, Some(plan.fingerprint()));
            assert!(again.is_ok());
        }
        Err(report) => eprintln!("{report}"),
    }
}
