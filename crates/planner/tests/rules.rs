//! The report's rules (docs/report.md, "The report"), one test each, with
//! the expected codes, services, keys and words written here by a person:
//! never read from the blessed vectors, which the planner itself writes.
// A failing test panics with its message; that is how tests report.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use wireplan::{Code, Diagnostic, Limits, Options, Plan, Report, Severity};

/// The report of a graph that must not plan.
fn report_with(text: &str, options: &Options) -> Report {
    match wireplan::plan_str(text, options) {
        Ok(plan) => panic!("expected a report, got a plan of {} services", plan.len()),
        Err(report) => report,
    }
}

fn report(text: &str) -> Report {
    report_with(text, &Options::default())
}

fn plan_with(text: &str, options: &Options) -> Plan {
    wireplan::plan_str(text, options).unwrap_or_else(|r| panic!("expected a plan, got:\n{}", r.render()))
}

fn plan(text: &str) -> Plan {
    plan_with(text, &Options::default())
}

/// The diagnostics of one code.
fn of(report: &Report, code: Code) -> Vec<&Diagnostic> {
    report.diagnostics.iter().filter(|d| d.code == code).collect()
}

/// The one diagnostic of the report, which must have this code.
fn single(report: &Report, code: Code) -> &Diagnostic {
    let codes: Vec<Code> = report.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [code], "{}", report.render());
    &report.diagnostics[0]
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The services a dependency of `id` (its `n`th) is bound to, by id.
fn bound(plan: &Plan, id: &str, n: usize) -> Vec<String> {
    let service = plan.index_of(id).and_then(|i| plan.service(i)).unwrap_or_else(|| panic!("no service `{id}`"));
    let binding = service.deps().nth(n).unwrap_or_else(|| panic!("`{id}` has no dependency {n}"));
    binding
        .providers()
        .iter()
        .map(|&p| plan.service(p).map(|s| s.id().to_owned()).unwrap_or_else(|| panic!("provider {p} of `{id}` is not a service")))
        .collect()
}

fn doc(services: &str) -> String {
    format!(r#"{{"version": 1, "services": [{services}]}}"#)
}

// dependency-cycle

#[test]
fn a_cycle_is_reported_from_its_smallest_id_in_dependency_order_with_the_first_hops_key() {
    // a -> b -> c -> a, declared out of order, `a` asking for a key that is
    // not an id; `z` needs the cycle but is not on it.
    let r = report(&doc(
        r#"{"id": "c", "deps": ["a"]}, {"id": "b", "provides": ["B"], "deps": ["c"]}, {"id": "a", "deps": ["B"]}, {"id": "z", "deps": ["a"]}"#,
    ));
    let d = single(&r, Code::DependencyCycle);
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.services, strings(&["a", "b", "c", "a"]));
    assert_eq!(d.key.as_deref(), Some("B"), "the key of the first hop, `a` needs `B`");
    assert_eq!(d.message, "dependency cycle: `a` -> `b` -> `c` -> `a`");
    let hops: Vec<&str> = d.related.iter().map(|x| x.message.as_str()).collect();
    assert_eq!(hops, ["`a` needs `B`, provided by `b`", "`b` needs `c`", "`c` needs `a`", "which is `a` again"]);
    assert!(d.help.as_deref().is_some_and(|h| h.contains("lazy")), "{:?}", d.help);
}

#[test]
fn a_service_that_depends_on_itself_is_a_cycle_of_one() {
    let r = report(&doc(r#"{"id": "loop", "deps": ["loop"]}, {"id": "fine"}"#));
    let d = single(&r, Code::DependencyCycle);
    assert_eq!(d.services, strings(&["loop", "loop"]));
    assert_eq!(d.key.as_deref(), Some("loop"));
    assert_eq!(d.message, "service `loop` depends on itself");
}

#[test]
fn each_cyclic_component_is_reported_once_with_one_shortest_cycle() {
    // Component {a, b, c}: a -> b -> c -> a, and a -> c -> a, the shortest.
    // Component {x, y}: x -> y -> x. And z, which needs a, is on no cycle.
    let r = report(&doc(r#"{"id": "a", "deps": ["b", "c"]}, {"id": "b", "deps": ["c"]}, {"id": "c", "deps": ["a"]},
        {"id": "y", "deps": ["x"]}, {"id": "x", "deps": ["y"]}, {"id": "z", "deps": ["a", "x"]}"#));
    let cycles: Vec<Vec<String>> = of(&r, Code::DependencyCycle).iter().map(|d| d.services.clone()).collect();
    assert_eq!(cycles, vec![strings(&["a", "c", "a"]), strings(&["x", "y", "x"])]);
    assert_eq!(r.diagnostics.len(), 2, "{}", r.render());
}

#[test]
fn a_lazy_dependency_imposes_no_order_and_may_close_a_cycle() {
    let p = plan(&doc(r#"{"id": "server", "deps": ["db"]}, {"id": "db", "deps": [{"key": "server", "lazy": true}]}"#));
    let order: Vec<&str> = p.startup().filter_map(|i| p.service(i)).map(|s| s.id()).collect();
    assert_eq!(order, ["db", "server"]);
    assert_eq!(bound(&p, "db", 0), ["server"], "a lazy dependency is still bound");
}

#[test]
fn a_cycle_through_a_transient_service_is_a_cycle() {
    let r = report(&doc(r#"{"id": "a", "deps": ["t"]}, {"id": "t", "lifetime": "transient", "deps": ["a"]}"#));
    assert_eq!(single(&r, Code::DependencyCycle).services, strings(&["a", "t", "a"]));
}

// missing-dependency

#[test]
fn a_required_key_nobody_provides_is_missing_and_names_every_service_that_asked() {
    let r = report(&doc(
        r#"{"id": "web", "deps": ["Mailer"]}, {"id": "api", "deps": ["Mailer"]}, {"id": "cron", "deps": ["Mailer", "Mailer"]}"#,
    ));
    let d = single(&r, Code::MissingDependency);
    assert_eq!(d.key.as_deref(), Some("Mailer"));
    assert_eq!(d.services, strings(&["api", "cron", "web"]), "who asked, by id, each once");
    assert_eq!(d.message, "no service provides `Mailer`, needed by 3 services");
    let one = report(&doc(r#"{"id": "web", "deps": ["Mailer"]}"#));
    assert_eq!(single(&one, Code::MissingDependency).message, "no service provides `Mailer`, needed by `web`");
}

#[test]
fn a_missing_key_close_to_a_provided_one_gets_a_did_you_mean() {
    let services = r#"{"id": "db", "provides": ["Database"]}, {"id": "app", "deps": ["database", "Databse", "app.Database", "Queue"]}"#;
    let r = report(&doc(services));
    let help = |key: &str| {
        let d = of(&r, Code::MissingDependency)
            .into_iter()
            .find(|d| d.key.as_deref() == Some(key))
            .unwrap_or_else(|| panic!("`{key}` not reported"));
        d.help.clone().unwrap_or_default()
    };
    // Best first: `Database` is the first (or only) suggestion for each.
    for near in ["database", "Databse", "app.Database"] {
        let h = help(near);
        assert!(
            h.starts_with("did you mean `Database`?")
                || h.starts_with("did you mean `Database`,")
                || h.starts_with("did you mean `Database` or"),
            "{near}: {h}"
        );
        assert!(h.ends_with(&format!("otherwise register a provider of `{near}`, or mark the dependency optional")), "{near}: {h}");
    }
    assert_eq!(help("Queue"), "register a provider of `Queue`, or mark the dependency optional");
    assert_eq!(of(&r, Code::MissingDependency).len(), 4);
}

#[test]
fn a_did_you_mean_never_names_the_asking_service_itself() {
    // `db` needs `DB`: only `db` provides `db`, so naming it would make `db`
    // depend on itself.
    let r = report(&doc(r#"{"id": "db", "deps": ["DB"]}"#));
    let d = single(&r, Code::MissingDependency);
    assert_eq!(d.help.as_deref(), Some("register a provider of `DB`, or mark the dependency optional"));
    // Another service that needs `DB` is pointed at `db`.
    let r = report(&doc(r#"{"id": "db", "deps": ["DB"]}, {"id": "app", "deps": ["DB"]}"#));
    let d = single(&r, Code::MissingDependency);
    assert_eq!(d.services, strings(&["app", "db"]));
    assert_eq!(
        d.help.as_deref(),
        Some("register a provider of `DB`, or mark the dependency optional"),
        "one diagnostic for both askers: `db` is one of them"
    );
    let r = report(&doc(r#"{"id": "db"}, {"id": "app", "deps": ["DB"]}"#));
    assert_eq!(
        single(&r, Code::MissingDependency).help.as_deref(),
        Some("did you mean `db`? otherwise register a provider of `DB`, or mark the dependency optional")
    );
}

#[test]
fn a_letter_or_two_added_is_no_suggestion_but_a_module_path_is() {
    let help = |services: &str| single(&report(&doc(services)), Code::MissingDependency).help.clone().unwrap_or_default();
    // `a` and `ab`: a letter added, and two letters are too short to have a typo.
    assert_eq!(help(r#"{"id": "ab"}, {"id": "app", "deps": ["a"]}"#), "register a provider of `a`, or mark the dependency optional");
    // A whole module path in front is the same name.
    assert!(help(r#"{"id": "pg", "provides": ["app.db.Database"]}, {"id": "app", "deps": ["Database"]}"#)
        .starts_with("did you mean `app.db.Database`?"));
    // So is a `#name` after it.
    assert!(help(r#"{"id": "pg", "provides": ["Database#replica"]}, {"id": "app", "deps": ["Database"]}"#)
        .starts_with("did you mean `Database#replica`?"));
    // The distance is the last segment's: `Db` and `Xy` are two edits apart
    // in names of 13 characters, and nothing alike.
    assert_eq!(
        help(r#"{"id": "x", "provides": ["app.models.Xy"]}, {"id": "app", "deps": ["app.models.Db"]}"#),
        "register a provider of `app.models.Db`, or mark the dependency optional"
    );
    // A typo in the name, whatever the module.
    assert!(help(r#"{"id": "pg", "provides": ["lib.db.Database"]}, {"id": "app", "deps": ["app.Databse"]}"#)
        .starts_with("did you mean `lib.db.Database`?"));
}

#[test]
fn a_list_of_a_provided_key_is_a_forgotten_many() {
    let r = report(&doc(
        r#"{"id": "a", "provides": ["app.Plugin"]}, {"id": "b", "provides": ["app.Plugin"]}, {"id": "host", "deps": ["builtins.list[app.Plugin]"]}"#,
    ));
    let d = single(&r, Code::MissingDependency);
    assert_eq!(d.message, "no service provides `builtins.list[app.Plugin]`, needed by `host`");
    assert_eq!(
        d.help.as_deref(),
        Some("`app.Plugin` is provided: to get every provider of `app.Plugin`, ask for `app.Plugin` with `\"many\": true`")
    );
    // A list of something nobody provides is an ordinary missing key.
    let r = report(&doc(r#"{"id": "host", "deps": ["list[app.Plugin]"]}"#));
    assert_eq!(
        single(&r, Code::MissingDependency).help.as_deref(),
        Some("register a provider of `list[app.Plugin]`, or mark the dependency optional")
    );
}

#[test]
fn a_missing_lazy_dependency_is_missing_too() {
    // A lazy handle must have something behind it: otherwise the service
    // would receive a handle that can never resolve.
    let r = report(&doc(r#"{"id": "server", "deps": [{"key": "clock", "lazy": true}]}"#));
    let d = single(&r, Code::MissingDependency);
    assert_eq!(d.key.as_deref(), Some("clock"));
    assert_eq!(d.services, strings(&["server"]));
}

#[test]
fn a_missing_optional_dependency_and_a_many_with_no_provider_are_fine() {
    let p = plan(&doc(
        r#"{"id": "server", "deps": [{"key": "Cache", "optional": true}, {"key": "Plugin", "many": true}, {"key": "Tracer", "optional": true, "lazy": true}]}"#,
    ));
    for n in 0..3 {
        assert_eq!(bound(&p, "server", n), Vec::<String>::new());
    }
    assert!(p.warnings().is_empty());
}

#[test]
fn a_dependency_on_a_service_of_another_profile_is_missing() {
    let text = doc(r#"{"id": "fake-mail", "provides": ["Mailer"], "profiles": ["test"]}, {"id": "web", "deps": ["Mailer"]}"#);
    let r = report_with(&text, &Options::profile("prod"));
    let codes: Vec<Code> = r.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::MissingDependency, Code::UnknownProfile], "no service lists `prod` either");
    assert_eq!(r.diagnostics[0].key.as_deref(), Some("Mailer"));
    assert_eq!(bound(&plan_with(&text, &Options::profile("test")), "web", 0), ["fake-mail"]);
}

// ambiguous-dependency

#[test]
fn a_single_dependency_with_two_providers_is_ambiguous() {
    let r =
        report(&doc(r#"{"id": "smtp", "provides": ["Mailer"]}, {"id": "ses", "provides": ["Mailer"]}, {"id": "web", "deps": ["Mailer"]}"#));
    let d = single(&r, Code::AmbiguousDependency);
    assert_eq!(d.key.as_deref(), Some("Mailer"));
    assert_eq!(d.services, strings(&["web"]));
    assert_eq!(d.message, "`Mailer` has 2 providers (`smtp`, `ses`), but `web` needs exactly one", "providers in declaration order");
    let related: Vec<(&str, Option<&str>)> = d.related.iter().map(|x| (x.message.as_str(), x.service.as_deref())).collect();
    assert_eq!(
        related,
        [("`smtp` provides `Mailer`", Some("smtp")), ("`ses` provides `Mailer`", Some("ses")), ("`web` needs one `Mailer`", Some("web"))]
    );
}

#[test]
fn an_optional_dependency_with_two_providers_is_still_ambiguous() {
    // Optional means "none is fine", not "any one will do".
    let r = report(&doc(
        r#"{"id": "smtp", "provides": ["Mailer"]}, {"id": "ses", "provides": ["Mailer"]}, {"id": "web", "deps": [{"key": "Mailer", "optional": true}]}"#,
    ));
    let d = single(&r, Code::AmbiguousDependency);
    assert_eq!((d.key.as_deref(), d.services.clone()), (Some("Mailer"), strings(&["web"])));
}

#[test]
fn a_lazy_dependency_with_two_providers_is_ambiguous() {
    let r = report(&doc(
        r#"{"id": "smtp", "provides": ["Mailer"]}, {"id": "ses", "provides": ["Mailer"]}, {"id": "web", "deps": [{"key": "Mailer", "lazy": true}]}"#,
    ));
    assert_eq!(single(&r, Code::AmbiguousDependency).key.as_deref(), Some("Mailer"));
}

#[test]
fn many_takes_every_provider_in_declaration_order_and_is_not_ambiguous() {
    let p = plan(&doc(
        r#"{"id": "zeta", "provides": ["Plugin"]}, {"id": "alpha", "provides": ["Plugin"]}, {"id": "mid", "provides": ["Plugin"]},
        {"id": "host", "deps": [{"key": "Plugin", "many": true}]}"#,
    ));
    assert_eq!(bound(&p, "host", 0), ["zeta", "alpha", "mid"]);
}

#[test]
fn an_ambiguous_key_lists_ten_providers_then_counts_the_rest() {
    let providers: Vec<String> = (0..13).map(|i| format!(r#"{{"id": "p{i:02}", "provides": ["K"]}}"#)).collect();
    let r = report(&doc(&format!(r#"{}, {{"id": "host", "deps": ["K"]}}"#, providers.join(", "))));
    let d = single(&r, Code::AmbiguousDependency);
    assert_eq!(d.message, "`K` has 13 providers (`p00`, `p01`, `p02`, and 10 more), but `host` needs exactly one");
    let messages: Vec<&str> = d.related.iter().map(|x| x.message.as_str()).collect();
    assert_eq!(messages.len(), 12, "{messages:?}");
    assert_eq!(messages[9], "`p09` provides `K`");
    assert_eq!(messages[10], "and 3 more providers of `K`");
    assert_eq!(messages[11], "`host` needs one `K`");
}

// captive-dependency

#[test]
fn a_singleton_depending_on_a_scoped_service_is_captive() {
    let r = report(&doc(r#"{"id": "session", "lifetime": "scoped", "provides": ["Session"]}, {"id": "app", "deps": ["Session"]}"#));
    let d = single(&r, Code::CaptiveDependency);
    assert_eq!(d.services, strings(&["app", "session"]));
    assert_eq!(d.key.as_deref(), Some("Session"));
    assert_eq!(d.message, "singleton `app` depends on scoped `session`, which would outlive its scope");
    assert!(d.help.as_deref().is_some_and(|h| h.starts_with("make `app` scoped")), "{:?}", d.help);
}

#[test]
fn a_singleton_holding_a_scoped_service_through_transients_is_captive() {
    let r = report(&doc(r#"{"id": "app", "deps": ["t1"]}, {"id": "t1", "lifetime": "transient", "deps": ["t2"]},
        {"id": "t2", "lifetime": "transient", "deps": ["session"]}, {"id": "session", "lifetime": "scoped"}"#));
    let d = single(&r, Code::CaptiveDependency);
    assert_eq!(d.services, strings(&["app", "t1", "t2", "session"]));
    assert_eq!(d.key.as_deref(), Some("t1"), "the key the singleton asked");
    assert_eq!(d.message, "singleton `app` depends on scoped `session` through transient `t1`, `t2`, which would outlive its scope");
}

#[test]
fn a_singleton_holding_a_lazy_handle_to_a_scoped_service_is_captive() {
    let r = report(&doc(r#"{"id": "app", "deps": [{"key": "session", "lazy": true}]}, {"id": "session", "lifetime": "scoped"}"#));
    let d = single(&r, Code::CaptiveDependency);
    assert_eq!(d.services, strings(&["app", "session"]));
    assert_eq!(d.message, "singleton `app` takes a lazy handle to scoped `session`, which would resolve outside any scope");
    let through = report(&doc(
        r#"{"id": "app", "deps": [{"key": "t", "lazy": true}]}, {"id": "t", "lifetime": "transient", "deps": ["session"]}, {"id": "session", "lifetime": "scoped"}"#,
    ));
    assert_eq!(single(&through, Code::CaptiveDependency).services, strings(&["app", "t", "session"]));
}

#[test]
fn scoped_and_transient_services_may_hold_what_lives_at_least_as_long() {
    // scoped -> singleton, scoped -> transient -> scoped, transient -> scoped
    // (built inside a scope), singleton -> transient -> singleton: all fine.
    let p = plan(&doc(r#"{"id": "db"}, {"id": "session", "lifetime": "scoped", "deps": ["db", "t"]},
        {"id": "t", "lifetime": "transient", "deps": ["user"]}, {"id": "user", "lifetime": "scoped"},
        {"id": "clock", "lifetime": "transient", "deps": ["db"]}, {"id": "app", "deps": ["clock"]}"#));
    assert_eq!(p.len(), 6);
}

#[test]
fn each_scoped_service_a_singleton_captures_is_one_diagnostic() {
    let r = report(&doc(r#"{"id": "app", "deps": ["s1", "t", "s1"]}, {"id": "t", "lifetime": "transient", "deps": ["s2"]},
        {"id": "s1", "lifetime": "scoped"}, {"id": "s2", "lifetime": "scoped"}"#));
    let captured: Vec<Vec<String>> = of(&r, Code::CaptiveDependency).iter().map(|d| d.services.clone()).collect();
    assert_eq!(captured, vec![strings(&["app", "s1"]), strings(&["app", "t", "s2"])]);
}

// duplicate-id

#[test]
fn an_id_declared_twice_is_a_duplicate_pointing_at_both_places() {
    let r = report(&doc(r#"{"id": "db"}, {"id": "cache"}, {"id": "db", "provides": ["Database"]}"#));
    let d = single(&r, Code::DuplicateId);
    assert_eq!(d.services, strings(&["db"]));
    assert_eq!(d.key, None);
    assert_eq!(d.message, "service id `db` is declared more than once");
    let places: Vec<(&str, Option<&str>)> =
        d.related.iter().map(|x| (x.message.as_str(), x.location.as_ref().and_then(|l| l.path.as_deref()))).collect();
    assert_eq!(places, [("`db` first declared here", Some("services[0]")), ("`db` declared again here", Some("services[2]"))]);
}

#[test]
fn the_same_id_in_two_profiles_is_not_a_duplicate() {
    let text = doc(r#"{"id": "mailer", "profiles": ["prod"]}, {"id": "mailer", "profiles": ["test"], "provides": ["FakeMailer"]}"#);
    let p = plan_with(&text, &Options::profile("test"));
    let mailer = p.index_of("mailer").and_then(|i| p.service(i)).unwrap();
    assert_eq!(mailer.provides().collect::<Vec<_>>(), ["FakeMailer"]);
    let both = r#"{"version": 1, "services": [{"id": "mailer"}, {"id": "mailer", "profiles": ["test"]}]}"#;
    assert_eq!(single(&report_with(both, &Options::profile("test")), Code::DuplicateId).services, strings(&["mailer"]));
    assert!(wireplan::plan_str(both, &Options::default()).is_ok(), "without a profile the second one does not exist");
}

// invalid-replacement

#[test]
fn replacing_a_service_that_is_not_declared_is_invalid_with_a_did_you_mean() {
    let r = report(&doc(r#"{"id": "database"}, {"id": "fake", "replaces": "databse"}"#));
    let d = single(&r, Code::InvalidReplacement);
    assert_eq!(d.services, strings(&["fake"]));
    assert_eq!(d.message, "service `fake` replaces `databse`, which is not declared");
    assert_eq!(d.help.as_deref(), Some("did you mean `database`?"));
}

#[test]
fn a_service_replaced_twice_is_invalid() {
    let r = report(&doc(r#"{"id": "db"}, {"id": "fake1", "replaces": "db"}, {"id": "fake2", "replaces": ["db"]}"#));
    let d = single(&r, Code::InvalidReplacement);
    assert_eq!(d.services, strings(&["fake2"]));
    assert_eq!(d.message, "service `db` is replaced by both `fake1` and `fake2`");
}

#[test]
fn a_service_that_replaces_itself_is_invalid() {
    let r = report(&doc(r#"{"id": "db", "replaces": "db"}"#));
    let d = single(&r, Code::InvalidReplacement);
    assert_eq!(d.services, strings(&["db"]));
    assert_eq!(d.message, "service `db` declares that it replaces itself");
}

#[test]
fn replacing_a_service_of_another_profile_is_not_an_error() {
    let p = plan(&doc(r#"{"id": "db", "profiles": ["prod"]}, {"id": "fake", "replaces": "db"}"#));
    assert_eq!(p.len(), 1);
}

// replaces

#[test]
fn a_replacement_provides_its_own_keys_and_the_replaced_ones_and_the_replaced_deps_go_with_it() {
    let p = plan(&doc(
        r#"{"id": "db", "provides": ["Database", "Health"], "deps": ["NoSuchThing"]}, {"id": "fake", "replaces": "db", "provides": ["Fake"]},
        {"id": "repo", "deps": ["Database", "Fake", "Health"]}"#,
    ));
    assert_eq!(p.index_of("db"), None);
    let fake = p.index_of("fake").and_then(|i| p.service(i)).unwrap();
    assert_eq!(fake.deps().count(), 0);
    let mut keys: Vec<&str> = fake.provides().collect();
    keys.sort_unstable();
    assert_eq!(keys, ["Database", "Fake", "Health"], "its own and the replaced service's");
    for n in 0..3 {
        assert_eq!(bound(&p, "repo", n), ["fake"]);
    }
    // A replaced service that provides its id (the default) gives the id.
    let p = plan(&doc(r#"{"id": "db"}, {"id": "fake", "replaces": ["db"]}, {"id": "repo", "deps": ["db"]}"#));
    assert_eq!(bound(&p, "repo", 0), ["fake"]);
    let fake = p.index_of("fake").and_then(|i| p.service(i)).unwrap();
    assert_eq!(fake.provides().collect::<Vec<_>>(), ["fake", "db"]);
}

#[test]
fn a_chain_of_replacements_gives_every_replaced_key_to_the_last_replacer() {
    // `a` replaces `b`, which replaces `c`: `b` and `c` both leave the graph
    // and `a` provides their keys (found by this test: `C` was bound to the
    // removed `b`, which has no number in the plan).
    let p = plan(&doc(r#"{"id": "a", "replaces": "b"}, {"id": "b", "replaces": "c", "provides": ["B"]}, {"id": "c"},
        {"id": "d", "deps": ["c", "B", "a"]}"#));
    assert_eq!((p.index_of("b"), p.index_of("c")), (None, None));
    for n in 0..3 {
        assert_eq!(bound(&p, "d", n), ["a"]);
    }
    let a = p.index_of("a").and_then(|i| p.service(i)).unwrap();
    let mut keys: Vec<&str> = a.provides().collect();
    keys.sort_unstable();
    assert_eq!(keys, ["B", "a", "c"]);
    let bytes = p.encode();
    assert_eq!(Plan::decode(&bytes, Some(p.fingerprint())).ok().as_ref(), Some(&p));
}

#[test]
fn services_that_replace_each_other_are_an_invalid_replacement() {
    let r = report(&doc(r#"{"id": "a", "replaces": "b"}, {"id": "b", "replaces": "a"}, {"id": "d", "deps": ["a"]}"#));
    let d = single(&r, Code::InvalidReplacement);
    assert_eq!(d.services, strings(&["a"]));
    assert_eq!(d.message, "services `a` -> `b` -> `a` replace each other in a cycle");
    let three = report(&doc(r#"{"id": "c", "replaces": "a"}, {"id": "a", "replaces": "b"}, {"id": "b", "replaces": "c"}"#));
    assert_eq!(single(&three, Code::InvalidReplacement).message, "services `a` -> `b` -> `c` -> `a` replace each other in a cycle");
}

// profiles

#[test]
fn a_service_with_profiles_exists_only_when_planning_for_one_of_them() {
    let text = doc(
        r#"{"id": "always"}, {"id": "also", "profiles": []}, {"id": "prod-only", "profiles": ["prod"]}, {"id": "both", "profiles": ["prod", "staging"]}"#,
    );
    let ids = |options: &Options| {
        let p = plan_with(&text, options);
        let mut ids: Vec<String> = p.services().map(|s| s.id().to_owned()).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&Options::default()), strings(&["also", "always"]));
    assert_eq!(ids(&Options::profile("prod")), strings(&["also", "always", "both", "prod-only"]));
    assert_eq!(ids(&Options::profile("staging")), strings(&["also", "always", "both"]));
    assert_eq!(plan_with(&text, &Options::profile("prod")).profile(), Some("prod"));
}

#[test]
fn a_profile_no_service_lists_is_a_warning_with_the_closest_profiles() {
    let text = doc(r#"{"id": "pg", "profiles": ["prod"]}, {"id": "sqlite", "profiles": ["test"]}, {"id": "app"}"#);
    let p = plan_with(&text, &Options::profile("prd"));
    let warnings: Vec<(Code, Severity, &str, Option<&str>)> =
        p.warnings().iter().map(|w| (w.code, w.severity, w.message.as_str(), w.help.as_deref())).collect();
    assert_eq!(
        warnings,
        [(
            Code::UnknownProfile,
            Severity::Warning,
            "profile `prd` matches no service",
            Some("did you mean `prod`? otherwise only the services without `profiles` are planned")
        )]
    );
    assert_eq!(p.len(), 1, "only `app`");
    let p = plan_with(&text, &Options::profile("staging"));
    assert_eq!(
        p.warnings()[0].help.as_deref(),
        Some("only the services without `profiles` are planned; the services list `prod` and `test`")
    );
    let p = plan_with(&doc(r#"{"id": "app"}"#), &Options::profile("dev"));
    assert_eq!(p.warnings()[0].help.as_deref(), Some("no service has `profiles`, so only the services without `profiles` are planned"));
    assert!(plan_with(&text, &Options::profile("prod")).warnings().is_empty());
    assert!(plan(&text).warnings().is_empty(), "no profile, nothing to match");
}

// unknown-root and unused-service

#[test]
fn a_root_that_names_no_service_is_unknown_with_a_did_you_mean() {
    let text = doc(r#"{"id": "server"}, {"id": "worker"}"#);
    let r = report_with(&text, &Options { roots: strings(&["servr", "worker"]), ..Options::default() });
    let unknown = of(&r, Code::UnknownRoot);
    assert_eq!(unknown.len(), 1, "{}", r.render());
    let d = unknown[0];
    assert_eq!(d.services, strings(&["servr"]));
    assert_eq!(d.message, "root `servr` is not a service of this graph");
    assert_eq!(d.help.as_deref(), Some("did you mean `server`?"));
    // A service of another profile is not a service of this graph.
    let prod = doc(r#"{"id": "server", "profiles": ["prod"]}"#);
    assert_eq!(
        single(&report_with(&prod, &Options { roots: strings(&["server"]), ..Options::default() }), Code::UnknownRoot).services,
        strings(&["server"])
    );
}

#[test]
fn with_roots_a_service_no_root_needs_is_an_unused_warning_and_the_plan_is_made() {
    let text = doc(
        r#"{"id": "server", "deps": [{"key": "clock", "lazy": true}]}, {"id": "clock"}, {"id": "orphan"}, {"id": "old", "deps": ["Gone"]}"#,
    );
    let options = Options { roots: strings(&["server"]), ..Options::default() };
    let p = plan_with(&text, &options);
    assert_eq!(
        p.unused().collect::<Vec<_>>(),
        ["old", "orphan"],
        "a lazy dependency counts as a need; an unplanned service's missing key is not an error"
    );
    let warnings: Vec<(Code, Severity, &str)> = p.warnings().iter().map(|w| (w.code, w.severity, w.message.as_str())).collect();
    assert_eq!(
        warnings,
        [
            (Code::UnusedService, Severity::Warning, "service `old` is not needed by any root"),
            (Code::UnusedService, Severity::Warning, "service `orphan` is not needed by any root"),
        ]
    );
    let checked = wireplan::check(&wireplan::Descriptors::parse(wireplan::Document { name: "<input>", text: &text }).unwrap(), &options);
    assert!(!checked.has_errors());
    assert_eq!(checked.warning_count(), 2);
    assert!(plan(&text.replace(r#"{"id": "old", "deps": ["Gone"]}"#, r#"{"id": "old"}"#)).warnings().is_empty(), "no roots, no unused");
}

// invalid-descriptor, unsupported-version, limit-exceeded

#[test]
fn text_that_is_not_json_is_one_invalid_descriptor_with_its_line_and_column() {
    let r = report("{\"version\": 1,\n \"services\": [{\"id\": \"a\",}]}");
    let d = single(&r, Code::InvalidDescriptor);
    let at = d.location.as_ref().map(|l| (l.file.as_str(), l.line, l.column));
    assert_eq!(at, Some(("<input>", Some(2), Some(26))), "the `}}` after the trailing comma");
    assert!(d.message.starts_with("invalid descriptors: "), "{}", d.message);
}

#[test]
fn an_unknown_field_is_an_invalid_descriptor_naming_its_json_path() {
    let r = report(&doc(r#"{"id": "a"}, {"id": "b", "deps": [{"key": "a", "lazzy": true}]}"#));
    let d = single(&r, Code::InvalidDescriptor);
    assert_eq!(d.location.as_ref().and_then(|l| l.path.as_deref()), Some("services[1].deps[0].lazzy"), "{}", r.render());
    assert!(d.message.contains("lazzy"), "{}", d.message);
    let empty = report(&doc(r#"{"id": ""}"#));
    assert_eq!(single(&empty, Code::InvalidDescriptor).location.as_ref().and_then(|l| l.path.as_deref()), Some("services[0].id"));
    let lifetime = report(&doc(r#"{"id": "a", "lifetime": "forever"}"#));
    assert_eq!(single(&lifetime, Code::InvalidDescriptor).location.as_ref().and_then(|l| l.path.as_deref()), Some("services[0].lifetime"));
}

#[test]
fn another_format_version_is_unsupported() {
    let r = report(r#"{"version": 2, "services": []}"#);
    let d = single(&r, Code::UnsupportedVersion);
    assert_eq!(d.message, "unsupported descriptor format version 2");
    assert_eq!(d.location.as_ref().and_then(|l| l.path.as_deref()), Some("version"));
}

#[test]
fn input_over_a_limit_is_one_limit_exceeded_naming_the_limit() {
    let options = Options { limits: Limits { max_services: 2, ..Limits::DEFAULT }, ..Options::default() };
    let r = report_with(&doc(r#"{"id": "a"}, {"id": "b"}, {"id": "c"}"#), &options);
    let d = single(&r, Code::LimitExceeded);
    assert!(d.message.starts_with("the number of services is 3, over the limit of 2"), "{}", d.message);
}

#[test]
fn a_report_past_max_diagnostics_keeps_the_first_ones_and_ends_with_a_count_of_the_rest() {
    // Five missing keys, asked by services e, d, c, b, a (declared in that
    // order); the first three in report order are those of a, b and c.
    let services: Vec<String> = ["e", "d", "c", "b", "a"].iter().map(|s| format!(r#"{{"id": "{s}", "deps": ["{s}-missing"]}}"#)).collect();
    let options = Options { limits: Limits { max_diagnostics: 3, ..Limits::DEFAULT }, ..Options::default() };
    let r = report_with(&doc(&services.join(", ")), &options);
    let shown: Vec<(Code, Option<&str>)> = r.diagnostics.iter().map(|d| (d.code, d.key.as_deref())).collect();
    assert_eq!(
        shown,
        [
            (Code::MissingDependency, Some("a-missing")),
            (Code::MissingDependency, Some("b-missing")),
            (Code::MissingDependency, Some("c-missing")),
            (Code::LimitExceeded, None),
        ]
    );
    let last = r.diagnostics.last().unwrap();
    assert_eq!(last.severity, Severity::Error);
    assert_eq!(last.message, "the number of diagnostics is 5, over the limit of 3: 2 more not shown");
    // At the limit exactly, nothing is cut.
    let options = Options { limits: Limits { max_diagnostics: 5, ..Limits::DEFAULT }, ..Options::default() };
    assert!(of(&report_with(&doc(&services.join(", ")), &options), Code::LimitExceeded).is_empty());
}

#[test]
fn every_problem_is_reported_at_once_errors_first_by_code_then_service() {
    let options = Options { roots: strings(&["app", "ghost"]), ..Options::default() };
    let r = report_with(
        &doc(
            r#"{"id": "app", "deps": ["loop", "Nope", "Mailer", "session"]}, {"id": "loop", "deps": ["loop"]}, {"id": "session", "lifetime": "scoped"},
        {"id": "m1", "provides": ["Mailer"]}, {"id": "m2", "provides": ["Mailer"]}, {"id": "app", "profiles": []}, {"id": "unused"}"#,
        ),
        &options,
    );
    let codes: Vec<(Severity, Code, Option<&str>)> =
        r.diagnostics.iter().map(|d| (d.severity, d.code, d.services.first().map(String::as_str))).collect();
    assert_eq!(
        codes,
        [
            (Severity::Error, Code::DependencyCycle, Some("loop")),
            (Severity::Error, Code::MissingDependency, Some("app")),
            (Severity::Error, Code::AmbiguousDependency, Some("app")),
            (Severity::Error, Code::CaptiveDependency, Some("app")),
            (Severity::Error, Code::DuplicateId, Some("app")),
            (Severity::Error, Code::UnknownRoot, Some("ghost")),
            (Severity::Warning, Code::UnusedService, Some("unused")),
        ]
    );
}

#[test]
fn beside_a_real_missing_key_an_optional_or_many_dependency_with_no_provider_is_still_fine() {
    let r = report(&doc(r#"{"id": "server", "deps": ["Nope", {"key": "Cache", "optional": true}, {"key": "Plugin", "many": true}]}"#));
    assert_eq!(single(&r, Code::MissingDependency).key.as_deref(), Some("Nope"));
}

#[test]
fn beside_a_real_ambiguous_key_many_is_still_not_ambiguous() {
    let r = report(&doc(r#"{"id": "p1", "provides": ["Plugin", "Mailer"]}, {"id": "p2", "provides": ["Plugin", "Mailer"]},
        {"id": "host", "deps": [{"key": "Plugin", "many": true}, "Mailer"]}"#));
    assert_eq!(single(&r, Code::AmbiguousDependency).key.as_deref(), Some("Mailer"));
}

#[test]
fn two_singletons_capturing_one_scoped_service_are_two_diagnostics() {
    let r = report(&doc(
        r#"{"id": "a", "deps": ["session"]}, {"id": "b", "deps": ["t"]}, {"id": "t", "lifetime": "transient", "deps": ["session"]},
        {"id": "session", "lifetime": "scoped"}"#,
    ));
    let captured: Vec<Vec<String>> = of(&r, Code::CaptiveDependency).iter().map(|d| d.services.clone()).collect();
    assert_eq!(captured, vec![strings(&["a", "session"]), strings(&["b", "t", "session"])]);
}

#[test]
fn a_report_of_several_kinds_past_max_diagnostics_is_cut_in_report_order() {
    // Two self-cycles and two missing keys: each check alone is under the
    // limit of 3, the report is not.
    let options = Options { limits: Limits { max_diagnostics: 3, ..Limits::DEFAULT }, ..Options::default() };
    let r = report_with(
        &doc(
            r#"{"id": "m2", "deps": ["gone2"]}, {"id": "m1", "deps": ["gone1"]}, {"id": "c2", "deps": ["c2"]}, {"id": "c1", "deps": ["c1"]}"#,
        ),
        &options,
    );
    let shown: Vec<(Code, Option<&str>)> = r.diagnostics.iter().map(|d| (d.code, d.services.first().map(String::as_str))).collect();
    assert_eq!(
        shown,
        [
            (Code::DependencyCycle, Some("c1")),
            (Code::DependencyCycle, Some("c2")),
            (Code::MissingDependency, Some("m1")),
            (Code::LimitExceeded, None)
        ]
    );
    assert_eq!(r.diagnostics[3].message, "the number of diagnostics is 4, over the limit of 3: 1 more not shown");
}

#[test]
fn a_replacer_of_several_services_lists_their_keys_whatever_their_declaration_order() {
    let (x, y) = (r#"{"id": "x", "provides": ["X"]}"#, r#"{"id": "y", "provides": ["Y"]}"#);
    let keys = |services: String| {
        let p = plan(&doc(&services));
        let r = p.index_of("r").and_then(|i| p.service(i)).unwrap();
        r.provides().map(str::to_owned).collect::<Vec<_>>()
    };
    let expected = strings(&["r", "X", "Y"]);
    assert_eq!(keys(format!(r#"{x}, {y}, {{"id": "r", "replaces": ["x", "y"]}}"#)), expected);
    assert_eq!(keys(format!(r#"{y}, {x}, {{"id": "r", "replaces": ["x", "y"]}}"#)), expected);
    assert_eq!(keys(format!(r#"{y}, {{"id": "r", "replaces": ["y", "x"]}}, {x}"#)), expected);
}

/// A singleton `app` held captive through `hops` transients `t00`, `t01`, ...
/// to the scoped `session`: a path of `hops + 2` services.
fn captive_chain(hops: usize) -> Report {
    let mut services = vec![r#"{"id": "app", "deps": ["t00"]}"#.to_owned()];
    for i in 0..hops {
        let next = if i + 1 == hops { "session".to_owned() } else { format!("t{:02}", i + 1) };
        services.push(format!(r#"{{"id": "t{i:02}", "lifetime": "transient", "deps": ["{next}"]}}"#));
    }
    services.push(r#"{"id": "session", "lifetime": "scoped"}"#.to_owned());
    report(&doc(&services.join(", ")))
}

#[test]
fn a_captive_path_of_33_services_is_drawn_whole_and_a_longer_one_shows_32_then_counts_the_rest() {
    // 31 transients: the path is 33 long, the longest drawn whole.
    let r = captive_chain(31);
    let d = single(&r, Code::CaptiveDependency);
    assert_eq!(d.services.len(), 33);
    assert_eq!(d.related.len(), 33, "every service of the path, each with its place");
    assert!(!d.message.contains("more"), "{}", d.message);
    // 40 transients: the message names 32 of them, then the 8 others as a count;
    // related lists the first 32 services of the path, counts the transients
    // left, and keeps the scoped service at the end in view.
    let r = captive_chain(40);
    let d = single(&r, Code::CaptiveDependency);
    assert_eq!(d.services.len(), 42, "`services` keeps the whole path");
    assert!(d.message.ends_with("`t31`, and 8 more, which would outlive its scope"), "{}", d.message);
    assert_eq!(d.related.len(), 34);
    assert_eq!(d.related[31].message, "`t30` is transient");
    assert_eq!(d.related[32].message, "and 9 more transient services");
    assert_eq!(d.related[33].message, "`session` is scoped");
}

#[test]
fn many_short_captive_paths_are_each_reported_in_a_small_graph() {
    // 60 singletons, each held through the same two transients: 60 paths of
    // 4 services, 240 in all for a graph of 63 services, all shown (the cut
    // for long shared paths starts at 65,536 services shown).
    let mut services: Vec<String> = (0..60).map(|i| format!(r#"{{"id": "s{i:02}", "deps": ["t1"]}}"#)).collect();
    services.push(r#"{"id": "t1", "lifetime": "transient", "deps": ["t2"]}"#.to_owned());
    services.push(r#"{"id": "t2", "lifetime": "transient", "deps": ["session"]}"#.to_owned());
    services.push(r#"{"id": "session", "lifetime": "scoped"}"#.to_owned());
    let r = report(&doc(&services.join(", ")));
    assert_eq!(of(&r, Code::CaptiveDependency).len(), 60);
    assert!(of(&r, Code::LimitExceeded).is_empty());
}

#[test]
fn a_cycle_of_32_hops_is_drawn_whole_and_a_longer_one_is_cut_after_32() {
    let cycle = |n: usize| {
        let services: Vec<String> = (0..n).map(|i| format!(r#"{{"id": "c{i:02}", "deps": ["c{:02}"]}}"#, (i + 1) % n)).collect();
        report(&doc(&services.join(", ")))
    };
    let r = cycle(32);
    let d = single(&r, Code::DependencyCycle);
    assert!(d.message.ends_with("`c30` -> `c31` -> `c00`"), "{}", d.message);
    assert!(!d.message.contains("more") && d.related.iter().all(|x| !x.message.contains("more")), "{}", d.message);
    let r = cycle(33);
    let d = single(&r, Code::DependencyCycle);
    assert!(d.message.ends_with("`c31` -> ... (1 more) -> `c00`"), "{}", d.message);
    assert!(d.related.iter().any(|x| x.message == "and 1 more hops"), "{:?}", d.related.iter().map(|x| &x.message).collect::<Vec<_>>());
}

#[test]
fn a_missing_base_class_with_a_registered_subclass_says_so() {
    use wireplan::reading::{check_with_findings, Finding};
    let text = r#"{"version": 1, "services": [{"id": "app.Repo", "deps": ["app.Store"]}, {"id": "app.MemoryStore"}]}"#;
    let docs = [wireplan::Document { name: "<registry>", text }];
    let hint = Finding::SubclassRegistered { key: "app.Store".to_owned(), subclasses: vec!["app.MemoryStore".to_owned()] };
    let report = check_with_findings(&docs, &wireplan::Options::default(), &[hint]);
    assert_eq!(report.diagnostics.len(), 1, "a hint is no diagnostic of its own");
    assert_eq!(
        report.diagnostics[0].help.as_deref(),
        Some("`app.MemoryStore`, a subclass of `app.Store`, is registered, but a provider is found by the key it provides, not by its base classes: register it as `Store` too (`provides=[...]`), or ask for the subclass")
    );
}
