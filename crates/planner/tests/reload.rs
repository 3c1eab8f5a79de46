//! Hot reload: a new plan applied to a running app stops exactly what
//! changed and what depends on it, starts the replacements, keeps the rest.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use wireplan::{reload, Options, Plan};

fn plan(json: &str) -> Plan {
    wireplan::plan_str(json, &Options::default()).unwrap()
}

fn ids(plan: &Plan, numbers: &[u32]) -> Vec<String> {
    numbers.iter().map(|&i| plan.service(i).unwrap().id().to_owned()).collect()
}

const APP: &str = r#"{"version":1,"services":[
    {"id":"config"},
    {"id":"db","deps":["config"]},
    {"id":"cache","deps":["config"]},
    {"id":"repo","deps":["db"]},
    {"id":"api","deps":["repo","cache"]}]}"#;

#[test]
fn the_same_plan_reloads_nothing() {
    let a = plan(APP);
    let r = reload(&a, &a, &[]);
    assert!(r.is_empty());
    assert_eq!(r.keep.len(), 5);
}

#[test]
fn a_replaced_factory_restarts_it_and_its_dependents_only() {
    let a = plan(APP);
    let r = reload(&a, &a, &["db"]);
    assert_eq!(ids(&a, &r.stop), ["api", "repo", "db"]);
    assert_eq!(ids(&a, &r.start), ["db", "repo", "api"]);
    assert_eq!(r.changed, ["db"]);
    assert_eq!(r.dependents, ["api", "repo"]);
    let kept: Vec<_> = r.keep.iter().map(|&(o, _)| a.service(o).unwrap().id()).collect();
    assert_eq!(kept, ["config", "cache"]);
}

#[test]
fn an_added_dependency_restarts_the_service_that_takes_it() {
    let a = plan(APP);
    let b = plan(
        r#"{"version":1,"services":[
        {"id":"config"},
        {"id":"db","deps":["config"]},
        {"id":"cache","deps":["config","metrics"]},
        {"id":"metrics"},
        {"id":"repo","deps":["db"]},
        {"id":"api","deps":["repo","cache"]}]}"#,
    );
    let r = reload(&a, &b, &[]);
    assert_eq!(ids(&a, &r.stop), ["api", "cache"]);
    assert_eq!(ids(&b, &r.start), ["metrics", "cache", "api"]);
    assert_eq!(r.changed, ["cache", "metrics"]);
}

#[test]
fn a_removed_service_is_stopped_with_what_took_it() {
    let a = plan(APP);
    let b = plan(
        r#"{"version":1,"services":[
        {"id":"config"},
        {"id":"db","deps":["config"]},
        {"id":"repo","deps":["db"]},
        {"id":"api","deps":["repo"]}]}"#,
    );
    let r = reload(&a, &b, &[]);
    assert_eq!(ids(&a, &r.stop), ["api", "cache"]);
    assert_eq!(ids(&b, &r.start), ["api"]);
}

#[test]
fn a_singleton_through_a_changed_transient_restarts() {
    let a = plan(
        r#"{"version":1,"services":[
        {"id":"clock","lifetime":"transient"},
        {"id":"job","deps":["clock"]},
        {"id":"other"}]}"#,
    );
    let r = reload(&a, &a, &["clock"]);
    assert_eq!(ids(&a, &r.stop), ["job"]);
    assert_eq!(ids(&a, &r.start), ["job"]);
}

#[test]
fn a_long_chain_reloads_at_its_leaf_without_recursion() {
    let mut doc = String::from(r#"{"version":1,"services":[{"id":"s0"}"#);
    for i in 1..200_000 {
        doc.push_str(&format!(r#",{{"id":"s{i}","deps":["s{}"]}}"#, i - 1));
    }
    doc.push_str("]}");
    let a = plan(&doc);
    let r = reload(&a, &a, &["s0"]);
    assert_eq!(r.stop.len(), 200_000);
    let r = reload(&a, &a, &["s199999"]);
    assert_eq!(r.stop.len(), 1);
}
