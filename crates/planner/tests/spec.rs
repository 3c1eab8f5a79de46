//! The planner's rules, one test each, in the words of the spec.
// A failing test panics with its message; that is how tests report.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use wireplan::{Code, Descriptors, Document, Lifetime, Options, Plan};

fn plan(text: &str) -> Plan {
    wireplan::plan_str(text, &Options::default()).unwrap_or_else(|r| panic!("{}", r.render()))
}

fn ids(plan: &Plan, items: impl IntoIterator<Item = u32>) -> Vec<String> {
    items.into_iter().filter_map(|i| plan.service(i)).map(|s| s.id().to_owned()).collect()
}

const APP: &str = r#"{"version": 1, "services": [
    {"id": "config"},
    {"id": "db", "provides": ["Database"], "deps": ["config"]},
    {"id": "cache", "deps": ["config"]},
    {"id": "repo", "deps": ["Database", "cache"]},
    {"id": "server", "deps": ["repo", {"key": "clock", "lazy": true}]},
    {"id": "clock", "deps": ["server"]}
]}"#;

#[test]
fn startup_is_layer_by_layer_with_ties_broken_by_id_and_shutdown_is_its_reverse() {
    let p = plan(APP);
    assert_eq!(ids(&p, p.startup()), ["config", "cache", "db", "repo", "server", "clock"]);
    let layers: Vec<Vec<String>> = p.layers().map(|l| ids(&p, l)).collect();
    assert_eq!(layers, vec![vec!["config"], vec!["cache", "db"], vec!["repo"], vec!["server"], vec!["clock"]]);
    assert_eq!(ids(&p, p.shutdown()), ["clock", "server", "repo", "db", "cache", "config"]);
    let down: Vec<Vec<String>> = p.shutdown_layers().map(|l| ids(&p, l)).collect();
    assert_eq!(down.first().map(Vec::as_slice), Some(&["clock".to_owned()][..]));
}

#[test]
fn bindings_name_providers_by_index() {
    let p = plan(APP);
    let repo = p.index_of("repo").and_then(|i| p.service(i)).unwrap_or_else(|| panic!("repo"));
    let bound: Vec<(String, Vec<String>)> = repo.deps().map(|b| (b.key().to_owned(), ids(&p, b.providers().iter().copied()))).collect();
    assert_eq!(bound, vec![("Database".to_owned(), vec!["db".to_owned()]), ("cache".to_owned(), vec!["cache".to_owned()])]);
}

#[test]
fn queries_answer_what_a_service_needs_what_needs_it_and_why() {
    let p = plan(APP);
    let at = |id: &str| p.index_of(id).unwrap_or(u32::MAX);
    let mut needs = ids(&p, p.dependencies(at("repo")));
    needs.sort();
    assert_eq!(needs, ["cache", "config", "db"]);
    let mut dependents = ids(&p, p.dependents(at("db")));
    dependents.sort();
    // clock needs server which needs repo which needs db; server needs clock lazily.
    assert_eq!(dependents, ["clock", "repo", "server"]);
    assert_eq!(
        p.path(at("server"), at("config")).map(|path| ids(&p, path)),
        Some(vec!["server".into(), "repo".into(), "db".into(), "config".into()])
    );
    assert_eq!(p.path(at("config"), at("server")), None);
}

#[test]
fn the_fingerprint_ignores_key_order_and_whitespace_but_not_meaning() {
    let a = r#"{"version": 1, "services": [{"id": "a", "deps": ["b"], "meta": {"x": 1, "y": 2}}, {"id": "b"}]}"#;
    let b = "{\"services\":[{\"meta\":{\"y\":2,\"x\":1},\"deps\":[\"b\"],\"id\":\"a\"},\n\n {\"id\":\"b\"}],\"version\":1}";
    let c = r#"{"version": 1, "services": [{"id": "a", "deps": [{"key": "b", "lazy": true}], "meta": {"x": 1, "y": 2}}, {"id": "b"}]}"#;
    let fp = |t: &str| plan(t).fingerprint();
    assert_eq!(fp(a), fp(b));
    assert_ne!(fp(a), fp(c));
    assert_eq!(plan(a).encode(), plan(b).encode());
    let prod = wireplan::plan_str(a, &Options::profile("prod")).map(|p| p.fingerprint());
    assert_ne!(prod.ok(), Some(fp(a)));
}

#[test]
fn a_plan_of_other_descriptors_is_rejected() {
    let bytes = plan(APP).encode();
    let other = plan(r#"{"version": 1, "services": [{"id": "x"}]}"#).fingerprint();
    let err = Plan::decode(&bytes, Some(other)).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("fingerprint"), "{err}");
    assert!(Plan::decode(&bytes[..bytes.len() - 1], None).is_err());
    assert!(Plan::decode(b"not a plan at all, just some text here.........", None).is_err());
}

#[test]
fn a_header_with_another_fingerprint_written_in_fails_the_checksum() {
    // The checksum covers the header, so a plan whose fingerprint was
    // rewritten (to pass for another project's) is corrupt, not trusted.
    let mut bytes = plan(APP).encode();
    let other = plan(r#"{"version": 1, "services": [{"id": "x"}]}"#).fingerprint();
    bytes[16..32].copy_from_slice(&other.to_bytes());
    let err = Plan::decode(&bytes, Some(other)).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("checksum"), "{err}");
}

#[test]
fn scoped_and_transient_services_get_recipes_not_start_up_places() {
    let p = plan(
        r#"{"version": 1, "services": [
        {"id": "db"},
        {"id": "session", "lifetime": "scoped", "deps": ["db"]},
        {"id": "clock", "lifetime": "transient"},
        {"id": "repo", "lifetime": "scoped", "deps": ["session", "clock", "db"]}
    ]}"#,
    );
    assert_eq!(ids(&p, p.startup()), ["db"]);
    let repo = p.index_of("repo").and_then(|i| p.service(i)).unwrap_or_else(|| panic!("repo"));
    assert_eq!(repo.lifetime(), Lifetime::Scoped);
    assert_eq!(repo.layer(), None);
    assert_eq!(ids(&p, repo.recipe().iter().copied()), ["session", "clock", "repo"]);
}

#[test]
fn a_transient_built_for_a_singleton_orders_the_singleton_after_its_needs() {
    let p = plan(
        r#"{"version": 1, "services": [
        {"id": "a"}, {"id": "t", "lifetime": "transient", "deps": ["a"]}, {"id": "s", "deps": ["t"]}
    ]}"#,
    );
    assert_eq!(p.layers().count(), 2);
    assert_eq!(ids(&p, p.startup()), ["a", "s"]);
}

#[test]
fn with_roots_only_what_they_need_is_planned_and_the_rest_is_a_warning() {
    let options = Options { roots: vec!["server".into()], ..Options::default() };
    let p = wireplan::plan_str(APP, &options).unwrap_or_else(|r| panic!("{}", r.render()));
    assert_eq!(p.unused().count(), 0);
    let options = Options { roots: vec!["repo".into()], ..Options::default() };
    let p = wireplan::plan_str(APP, &options).unwrap_or_else(|r| panic!("{}", r.render()));
    assert_eq!(p.unused().collect::<Vec<_>>(), ["clock", "server"]);
    assert!(p.warnings().iter().all(|w| w.code == Code::UnusedService));
    assert_eq!(p.warnings().len(), 2);
}

#[test]
fn a_replacement_takes_the_place_of_the_replaced_service() {
    let p = plan(
        r#"{"version": 1, "services": [
        {"id": "db", "provides": ["Database"]},
        {"id": "fake", "replaces": "db"},
        {"id": "repo", "deps": ["Database"]}
    ]}"#,
    );
    assert_eq!(p.index_of("db"), None);
    let repo = p.index_of("repo").and_then(|i| p.service(i)).unwrap_or_else(|| panic!("repo"));
    let providers: Vec<String> = repo.deps().flat_map(|b| ids(&p, b.providers().iter().copied())).collect();
    assert_eq!(providers, ["fake"]);
}

#[test]
fn several_documents_merge_in_order_and_diagnostics_name_the_document() {
    let a = r#"{"version": 1, "services": [{"id": "p1", "provides": ["Plugin"]}]}"#;
    let b = r#"{"version": 1, "services": [{"id": "p0", "provides": ["Plugin"]}, {"id": "host", "deps": [{"key": "Plugin", "many": true}, "nope"]}]}"#;
    let docs = [Document { name: "a.json", text: a }, Document { name: "b.json", text: b }];
    let d = Descriptors::parse_all(&docs).unwrap_or_else(|e| panic!("{e}"));
    let report = wireplan::check(&d, &Options::default());
    let missing = report.diagnostics.first().unwrap_or_else(|| panic!("no diagnostic"));
    assert_eq!(missing.location.as_ref().map(|l| l.file.as_str()), Some("b.json"));
    let without_nope = b.replace(", \"nope\"", "");
    let docs = [Document { name: "a.json", text: a }, Document { name: "b.json", text: &without_nope }];
    let p = wireplan::plan_documents(&docs, &Options::default()).unwrap_or_else(|r| panic!("{}", r.render()));
    let host = p.index_of("host").and_then(|i| p.service(i)).unwrap_or_else(|| panic!("host"));
    let plugins: Vec<String> = host.deps().flat_map(|b| ids(&p, b.providers().iter().copied())).collect();
    assert_eq!(plugins, ["p1", "p0"], "many keeps declaration (merge) order");
}

#[test]
fn a_chain_of_a_million_services_plans_without_overflowing_the_stack() {
    let n = 1_000_000;
    let mut text = String::with_capacity(n * 40);
    text.push_str("{\"version\":1,\"services\":[");
    for i in 0..n {
        if i > 0 {
            text.push(',');
        }
        if i == 0 {
            text.push_str("{\"id\":\"s0\"}");
        } else {
            text.push_str(&format!("{{\"id\":\"s{i}\",\"deps\":[\"s{}\"]}}", i - 1));
        }
    }
    text.push_str("]}");
    // Run on a small stack: iteration, not recursion, is what makes this pass.
    let handle = std::thread::Builder::new().stack_size(1024 * 1024).spawn(move || {
        let p = wireplan::plan_str(&text, &Options::default()).map_err(|r| r.render())?;
        let bytes = p.encode();
        let back = Plan::decode(&bytes, None).map_err(|e| e.to_string())?;
        let last = back.index_of(&format!("s{}", n - 1)).unwrap_or(0);
        let path_len = back.path(last, 0).map_or(0, |p| p.len());
        Ok::<_, String>((p.layers().count(), back.dependencies(last).len(), path_len))
    });
    let result = handle.map_err(|e| e.to_string()).and_then(|h| h.join().map_err(|_| "thread panicked".to_owned()));
    assert_eq!(result, Ok(Ok((n, n - 1, n))));
}

#[test]
fn a_cycle_of_a_million_services_is_reported_without_overflowing_the_stack() {
    let n = 200_000;
    let services: Vec<String> = (0..n).map(|i| format!("{{\"id\":\"s{i}\",\"deps\":[\"s{}\"]}}", (i + 1) % n)).collect();
    let text = format!("{{\"version\":1,\"services\":[{}]}}", services.join(","));
    let handle = std::thread::Builder::new().stack_size(1024 * 1024).spawn(move || {
        wireplan::plan_str(&text, &Options::default())
            .err()
            .map(|r| (r.diagnostics.len(), r.diagnostics.first().map_or(0, |d| d.services.len())))
    });
    let result = handle.ok().and_then(|h| h.join().ok()).flatten();
    assert_eq!(result, Some((1, n + 1)));
}
