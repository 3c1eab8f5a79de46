//! The analysis of a graph, valid or broken, as the pictures, `explain` and
//! `diff` see it. Every expectation here is written by hand.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use wireplan::render::{self, Style};
use wireplan::{Analysis, Descriptors, Document, EdgeProblem, Options, Target};

fn analyze(services: &str) -> Analysis {
    analyze_with(services, &Options::default())
}

fn analyze_with(services: &str, options: &Options) -> Analysis {
    let text = format!(r#"{{"version": 1, "services": [{services}]}}"#);
    let d = Descriptors::parse_all(&[Document { name: "t.json", text: &text }]).unwrap();
    wireplan::analyze(&d, options).unwrap()
}

/// Every edge as `from -> to [problem]`, by id.
fn edges(a: &Analysis) -> Vec<String> {
    a.edges()
        .iter()
        .map(|e| {
            let from = &a.nodes()[e.from as usize].id;
            let to = match e.to {
                Target::Service(t) => a.nodes()[t as usize].id.clone(),
                Target::Missing(m) => format!("missing {}", a.missing()[m as usize]),
            };
            match e.problem {
                Some(p) => format!("{from} -> {to} [{}]", p.as_str()),
                None => format!("{from} -> {to}"),
            }
        })
        .collect()
}

#[test]
fn every_edge_of_every_cycle_is_marked_not_only_the_shortest_cycle() {
    // a -> b -> c -> a is the shortest cycle; c -> b closes another inside
    // the same component, and d -> a only leads into it.
    let a = analyze(
        r#"{"id": "a", "deps": ["b"]}, {"id": "b", "deps": ["c"]}, {"id": "c", "deps": ["a", "b"]}, {"id": "d", "deps": ["a"]},
        {"id": "x", "deps": ["y"]}, {"id": "y", "deps": ["x"]}"#,
    );
    assert!(!a.is_valid());
    let mut e = edges(&a);
    e.sort();
    assert_eq!(
        e,
        [
            "a -> b [dependency-cycle]",
            "b -> c [dependency-cycle]",
            "c -> a [dependency-cycle]",
            "c -> b [dependency-cycle]",
            "d -> a",
            "x -> y [dependency-cycle]",
            "y -> x [dependency-cycle]",
        ]
    );
    let in_cycle: Vec<&str> = a.nodes().iter().filter(|n| n.in_cycle).map(|n| n.id.as_str()).collect();
    assert_eq!(in_cycle, ["a", "b", "c", "x", "y"]);
}

#[test]
fn a_lazy_edge_closes_no_cycle_and_does_not_constrain_ranks() {
    let a = analyze(r#"{"id": "server", "deps": [{"key": "clock", "lazy": true}]}, {"id": "clock", "deps": ["server"]}"#);
    assert!(a.is_valid());
    assert_eq!(edges(&a), ["server -> clock", "clock -> server"]);
    let dot = render::picture::dot(&a);
    assert!(dot.contains("s0 -> s1 [style=dashed, constraint=false];"), "{dot}");
    assert!(dot.contains("  s1 -> s0;\n"), "{dot}");
}

#[test]
fn a_replaced_service_is_drawn_as_its_replacer_in_a_broken_graph_too() {
    // `fake_db` replaces `db`; the graph is broken elsewhere (a missing key).
    let a = analyze(
        r#"{"id": "db", "provides": ["Database"]}, {"id": "fake_db", "replaces": ["db"]},
        {"id": "server", "deps": ["Database", "Cahce"]}"#,
    );
    assert!(!a.is_valid());
    assert_eq!(edges(&a), ["server -> fake_db", "server -> missing Cahce [missing-dependency]"]);
    let ids: Vec<&str> = a.nodes().iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["fake_db", "server"], "`db` is gone");
    assert_eq!(a.nodes()[0].provides, ["fake_db", "Database"], "its own id, and the keys of what it replaces");
    assert!(!render::picture::dot(&a).contains("Database\\n(missing)"));
}

#[test]
fn ambiguous_captive_and_missing_edges_are_marked() {
    let a = analyze(
        r#"{"id": "p1", "provides": ["Plugin"]}, {"id": "p2", "provides": ["Plugin"]},
        {"id": "one", "deps": ["Plugin"]}, {"id": "all", "deps": [{"key": "Plugin", "many": true}]},
        {"id": "request", "lifetime": "scoped"}, {"id": "handler", "lifetime": "transient", "deps": ["request"]},
        {"id": "app", "deps": ["handler"]}, {"id": "view", "lifetime": "scoped", "deps": ["handler"]},
        {"id": "opt", "deps": [{"key": "nothing", "optional": true}, "gone"]}"#,
    );
    let mut e = edges(&a);
    e.sort();
    assert_eq!(
        e,
        [
            "all -> p1",
            "all -> p2",
            "app -> handler [captive-dependency]",
            "handler -> request [captive-dependency]",
            "one -> p1 [ambiguous-dependency]",
            "one -> p2 [ambiguous-dependency]",
            "opt -> missing gone [missing-dependency]",
            "view -> handler",
        ]
    );
    let problems: Vec<EdgeProblem> = a.edges().iter().filter_map(|e| e.problem).collect();
    assert_eq!(problems.len(), 5);
}

#[test]
fn layers_of_a_broken_graph_stop_below_its_problems() {
    // config and db can start; server waits for a missing key, api for server.
    let a = analyze(
        r#"{"id": "config"}, {"id": "db", "deps": ["config"]}, {"id": "server", "deps": ["db", "gone"]}, {"id": "api", "deps": ["server"]}"#,
    );
    let layers: Vec<(&str, Option<u32>)> = a.nodes().iter().map(|n| (n.id.as_str(), n.layer)).collect();
    assert_eq!(layers, [("config", Some(0)), ("db", Some(1)), ("api", None), ("server", None)]);
}

#[test]
fn explain_answers_by_id_by_key_and_says_what_is_missing() {
    let a = analyze(
        r#"{"id": "config"}, {"id": "db", "provides": ["Database"], "deps": ["config", "Cahce"]}, {"id": "server", "deps": ["Database"]}"#,
    );
    let by_key = a.explain("Database", None).unwrap();
    let text = render::explain::human(&a, &by_key, &Style::plain());
    assert!(
        text.starts_with("key `Database` is provided by `db`\n`db`: singleton, no start-up layer: what it needs cannot start\n"),
        "{text}"
    );
    assert!(text.contains("  `Cahce` -> missing: no service provides it\n"), "{text}");
    assert!(text.contains("needed by (1): `server`\n"), "{text}");
    assert!(text.contains("problems (1):\n  error[missing-dependency]: no service provides `Cahce`"), "{text}");
    let unknown = a.explain("serverr", None).unwrap_err();
    assert_eq!(unknown.to_string(), "no service or key `serverr` in the graph; did you mean `server`?");
}

#[test]
fn explain_why_gives_the_chain_that_orders_two_services() {
    let a = analyze(
        r#"{"id": "config"}, {"id": "db", "provides": ["Database"], "deps": ["config"]}, {"id": "server", "deps": ["Database"]}, {"id": "cron"}"#,
    );
    let e = a.explain("config", Some("server")).unwrap();
    let text = render::explain::human(&a, &e, &Style::plain());
    assert!(
        text.ends_with("why `config` starts before `server`:\n  `server` needs `Database`, provided by `db`\n  `db` needs `config`\n"),
        "{text}"
    );
    let e = a.explain("cron", Some("db")).unwrap();
    assert!(render::explain::human(&a, &e, &Style::plain()).contains("their order is only the tie-break rule"));
}

#[test]
fn a_key_of_several_services_is_explained_as_a_key_and_cannot_be_one_service() {
    let a = analyze(
        r#"{"id": "p1", "provides": ["Plugin"]}, {"id": "p2", "provides": ["Plugin"]}, {"id": "app", "deps": [{"key": "Plugin", "many": true}]}"#,
    );
    let e = a.explain("Plugin", None).unwrap();
    let text = render::explain::human(&a, &e, &Style::plain());
    assert_eq!(text, "key `Plugin`\nprovided by (2): `p1`, `p2`\nasked for by (1): `app`\n");
    assert_eq!(
        a.find_service("Plugin").unwrap_err().to_string(),
        "key `Plugin` is provided by several services; name one of them: `p1`, `p2`"
    );
}

#[test]
fn focus_keeps_what_a_service_needs_and_what_needs_it() {
    let a = analyze(
        r#"{"id": "config"}, {"id": "db", "deps": ["config"]}, {"id": "server", "deps": ["db"]}, {"id": "cron", "deps": ["config"]}"#,
    );
    let f = a.focus(a.node("db").unwrap());
    let ids: Vec<&str> = f.nodes().iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["config", "db", "server"]);
    assert_eq!(edges(&f), ["db -> config", "server -> db"]);
}

#[test]
fn diff_sees_lifetimes_provides_profiles_bindings_and_recipes() {
    let old = analyze(
        r#"{"id": "db", "provides": ["Database"]}, {"id": "repo", "lifetime": "scoped", "deps": ["Database"]}, {"id": "job", "profiles": ["prod"]}"#,
    );
    let new = analyze(
        r#"{"id": "db", "provides": ["Database", "Health"], "lifetime": "singleton"}, {"id": "fake_db", "replaces": ["db"]},
        {"id": "repo", "lifetime": "transient", "deps": ["Database"]}, {"id": "job", "profiles": ["prod", "staging"]}"#,
    );
    let c = wireplan::diff(&old, &new);
    let text = render::diff::human(&c, &Style::plain());
    assert!(
        text.starts_with("services: 1 added, 1 removed, 1 changed\n  + `fake_db`\n  - `db`\n  ~ `repo`: lifetime scoped -> transient\n"),
        "{text}"
    );
    assert!(text.contains("bindings changed:\n  `repo` needs `Database`: `db` -> `fake_db`\n"), "{text}");
    let prod = Options { profile: Some("prod".to_owned()), ..Options::default() };
    let old = analyze_with(r#"{"id": "a", "profiles": ["prod"]}"#, &prod);
    let new = analyze_with(r#"{"id": "a", "profiles": ["prod", "dev"], "provides": ["A"]}"#, &prod);
    let text = render::diff::human(&wireplan::diff(&old, &new), &Style::plain());
    assert!(
        text.contains("  ~ `a`: now provides `A`\n  ~ `a`: no longer provides `a`\n  ~ `a`: profiles `prod` -> `dev`, `prod`\n"),
        "{text}"
    );
}

#[test]
fn a_cached_plan_explains_and_draws_as_its_descriptors_do() {
    let text = r#"{"version": 1, "services": [{"id": "config"}, {"id": "db", "deps": ["config"]}, {"id": "req", "lifetime": "scoped", "deps": ["db"]}]}"#;
    let d = Descriptors::parse_all(&[Document { name: "t.json", text }]).unwrap();
    let full = wireplan::analyze(&d, &Options::default()).unwrap();
    let plan = wireplan::Plan::decode(&full.plan().unwrap().encode(), None).unwrap();
    let cached = Analysis::from_plan(plan);
    assert_eq!(render::picture::dot(&cached), render::picture::dot(&full));
    assert_eq!(render::picture::mermaid(&cached), render::picture::mermaid(&full));
    let e = cached.explain("req", None).unwrap();
    assert!(render::explain::human(&cached, &e, &Style::plain()).contains("recipe: `req`\n"));
}
