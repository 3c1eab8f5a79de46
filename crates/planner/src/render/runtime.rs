//! The runtimes' words: what Python's and JS's runtimes say when a start
//! fails, a lookup misses, or a timeout expires. Written once, here, so both
//! runtimes say the same; each binding passes the facts (ids, keys, the
//! cause's text) and shows the text unchanged.
//!
//! Samples:
//!
//! ```text
//! service `db` (app/db.py:3) failed to start: ValueError: no route to host; 1 teardown error while rolling back
//! several services provide `Database`: `pg`, `sqlite`; get them all with `get_all`, or one with `get_by_id`
//! `admin` is registered but no root needs it
//! `pg` is replaced: `Database` is provided by `pg.fake`
//! no service has the id `dbb`; did you mean `db`?
//! cannot start synchronously: `db` and `cache` have async factories; start with `start_async()`
//! `db` did not start within 50 ms
//! `db` did not stop within 2 s: the teardown returned after 2.31 s (a synchronous call cannot be interrupted)
//! ```

use std::fmt::Write as _;

/// How many names a list in a message shows before "and N more": a message
/// stays one short line however large the plan.
const SHOWN: usize = 5;

/// User input (an id, a key, a profile) as the words show it: in backticks.
/// Every id and key goes through here, so that escaping (backticks or
/// control characters inside the input) can be added in one place.
fn quoted(text: &str) -> String {
    format!("`{}`", crate::escape::escape(text))
}

/// `` `a`, `b` `` ... with at most [`SHOWN`] names, then "and N more".
fn list(names: &[&str], last_word: &str) -> String {
    super::names(names, SHOWN, last_word, true)
}

/// Seconds for a message: `50 ms` below a second, else `2 s`, `1.5 s`
/// (rounded to milliseconds, so both languages print the same digits).
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return format!("{seconds} s");
    }
    let ms = (seconds * 1000.0).round();
    if ms < 1000.0 {
        format!("{ms} ms")
    } else {
        format!("{} s", ms / 1000.0)
    }
}

/// A factory failed while the app started:
/// ``service `db` (app/db.py:3) failed to start: <cause>``, and how many
/// teardowns failed while rolling back, when any did. `cause` is the
/// runtime's text for the error (Python: `TypeName: message`; JS: the
/// message).
pub fn start_failed(service: &str, source: Option<&str>, cause: &str, teardown_errors: usize) -> String {
    let mut text = format!("service {}", quoted(service));
    // The source and the cause are user text too: escaped, so the message
    // stays one line a terminal or a CI log cannot be steered by.
    if let Some(src) = source {
        let _ = write!(text, " ({})", crate::escape::escape(src));
    }
    let _ = write!(text, " failed to start: {}", crate::escape::escape(cause));
    if teardown_errors > 0 {
        let s = if teardown_errors == 1 { "" } else { "s" };
        let _ = write!(text, "; {teardown_errors} teardown error{s} while rolling back");
    }
    text
}

/// A lookup of a key that several services provide. `get_all` and
/// `get_by_id` are the runtime's names for the two lookups that work
/// (`get_all`/`get_by_id` in Python, `getAll`/`getById` in JS).
pub fn ambiguous_key(key: &str, providers: &[&str], get_all: &str, get_by_id: &str) -> String {
    format!(
        "several services provide {}: {}; get them all with `{get_all}`, or one with `{get_by_id}`",
        quoted(key),
        list(providers, "and")
    )
}

/// A lookup of a key whose providers are registered but were left out of
/// the plan: no root needs them, or (with `profile`) they belong to other
/// profiles.
pub fn not_planned(key: &str, profile: Option<&str>) -> String {
    match profile {
        None => format!("{} is registered but no root needs it", quoted(key)),
        Some(p) => format!("{} is registered but not for profile {}", quoted(key), quoted(p)),
    }
}

/// A lookup of a service that was replaced (an override, `replaces`): it is
/// not in the plan, `by` provides `key` in its stead.
pub fn replaced(id: &str, key: &str, by: &str) -> String {
    format!("{} is replaced: {} is provided by {}", quoted(id), quoted(key), quoted(by))
}

/// A lookup by id of a service that is not in the plan, with up to three
/// closest ids among `candidates`, best first.
pub fn unknown_id<'c>(id: &str, candidates: &[&'c str]) -> (String, Vec<&'c str>) {
    let suggestions = crate::suggest::suggest(id, candidates);
    let mut text = format!("no service has the id {}", quoted(id));
    if let Some(clause) = super::did_you_mean(&suggestions, true) {
        let _ = write!(text, "; {clause}");
    }
    (text, suggestions)
}

/// A synchronous start of a plan with async factories, refused before
/// anything starts. `start_async` is the runtime's name for the async start.
pub fn async_in_sync_start(services: &[&str], start_async: &str) -> String {
    let (verb, noun) = if services.len() == 1 { ("has", "an async factory") } else { ("have", "async factories") };
    format!("cannot start synchronously: {} {verb} {noun}; start with `{start_async}`", list(services, "and"))
}

/// A factory (`phase` `start`) or a teardown (`stop`) that did not finish
/// within `limit` seconds; `took`, when a synchronous call ran over and was
/// measured after it returned.
pub fn timed_out(service: &str, phase: &str, limit: f64, took: Option<f64>) -> String {
    let mut text = format!("{} did not {phase} within {}", quoted(service), duration(limit));
    if let Some(took) = took {
        let what = if phase == "start" { "factory" } else { "teardown" };
        let _ = write!(text, ": the {what} returned after {} (a synchronous call cannot be interrupted)", duration(took));
    }
    text
}

/// A health check that did not pass within `limit` seconds; `took`, when a
/// synchronous check ran over and was measured after it returned.
pub fn health_timed_out(service: &str, limit: f64, took: Option<f64>) -> String {
    let mut text = format!("the health check of {} did not pass within {}", quoted(service), duration(limit));
    if let Some(took) = took {
        let _ = write!(text, ": it returned after {} (a synchronous call cannot be interrupted)", duration(took));
    }
    text
}

/// A hot reload that failed: `failure` is the start failure's words (from
/// [`start_failed`]); `restored`, whether the old services run again, and
/// `restore_error`, why not when it is known.
pub fn reload_failed(failure: &str, restored: bool, restore_error: Option<&str>) -> String {
    // Escaped (a no-op on text these words already made): error texts are
    // user input, printed to stderr and logs.
    let failure = crate::escape::escape(failure);
    let restore_error = restore_error.map(crate::escape::escape);
    match (restored, restore_error.as_deref()) {
        (true, _) => format!("reload failed: {failure}; the app runs the old plan"),
        (false, Some(why)) => format!("reload failed: {failure}; the old services did not start again either ({why}): stop the app"),
        (false, None) => format!("reload failed: {failure}; the old services did not start again either: stop the app"),
    }
}

/// `run()`'s line when the first stop signal (`SIGINT`, `SIGTERM`) arrives.
pub fn signal_received(signal: &str) -> String {
    format!("received {signal}: stopping (send it again to exit at once)")
}

/// `run()`'s line when a second signal forces the exit with `code`.
pub fn signal_forced(signal: &str, code: i32) -> String {
    format!("received {signal} again: exiting at once with code {code}, without finishing the stop")
}

/// `run()`'s last line: a clean stop, or the stop's errors (each the
/// runtime's text of one error, escaped: one line whatever they hold).
pub fn stopped(errors: &[&str]) -> String {
    match errors.len() {
        0 => "stopped cleanly".to_owned(),
        n => {
            let texts: Vec<_> = errors.iter().map(|e| crate::escape::escape(e)).collect();
            format!("stopped with {n} error{}: {}", if n == 1 { "" } else { "s" }, texts.join("; "))
        }
    }
}

/// One lifecycle event as one line of a log (both runtimes' default log):
/// `constructed `db` in 0.12 ms`, `` `db` failed (start-hook): ValueError: boom ``.
/// Ids and the error's text are escaped: a control character in either
/// cannot start a line of its own.
pub fn event(kind: &str, id: Option<&str>, phase: Option<&str>, duration_us: Option<u64>, error: Option<&str>) -> String {
    let name = id.map_or_else(|| "the app".to_owned(), quoted);
    let took = duration_us.map_or_else(String::new, |us| {
        let ms = us as f64 / 1000.0;
        if us < 10_000 {
            format!(" in {ms:.2} ms")
        } else {
            format!(" in {ms:.1} ms")
        }
    });
    match kind {
        "constructing" => format!("constructing {name}"),
        "constructed" => format!("constructed {name}{took}"),
        "start-hook" => format!("ran a start hook of {name}{took}"),
        "started" => format!("started {name}"),
        "app-started" => format!("app started{took}"),
        "stop-hook" => format!("ran a stop hook of {name}{took}"),
        "stopped" => format!("stopped {name}{took}"),
        "app-stopped" => format!("app stopped{took}"),
        "reloaded" => format!("app reloaded{took}"),
        "failed" => {
            format!("{name} failed ({}): {}", crate::escape::escape(phase.unwrap_or("unknown")), crate::escape::escape(error.unwrap_or("")))
        }
        other => format!("{} {name}{took}", crate::escape::escape(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_lines_are_one_line_each_whatever_the_ids_hold() {
        assert_eq!(event("constructed", Some("db"), None, Some(120), None), "constructed `db` in 0.12 ms");
        assert_eq!(event("app-started", None, None, Some(12_345), None), "app started in 12.3 ms");
        assert_eq!(
            event("failed", Some("db"), Some("start-hook"), None, Some("ValueError: a\nb")),
            "`db` failed (start-hook): ValueError: a\\nb"
        );
        assert_eq!(event("failed", None, Some("health"), None, Some("x")), "the app failed (health): x");
        assert!(!event("started", Some("evil\n::error::x"), None, None, None).contains('\n'));
        assert_eq!(health_timed_out("db", 0.01, None), "the health check of `db` did not pass within 10 ms");
        assert_eq!(stopped(&[]), "stopped cleanly");
        assert_eq!(stopped(&["OSError: disk full"]), "stopped with 1 error: OSError: disk full");
        assert_eq!(stopped(&["a", "b"]), "stopped with 2 errors: a; b");
        assert_eq!(stopped(&["OSError: a\n::error::b\u{1b}[2J"]), "stopped with 1 error: OSError: a\\n::error::b\\u{1b}[2J");
        assert_eq!(
            reload_failed("x\ny", false, Some("z\u{202e}")),
            "reload failed: x\\ny; the old services did not start again either (z\\u{202e}): stop the app"
        );
        assert_eq!(signal_forced("SIGINT", 130), "received SIGINT again: exiting at once with code 130, without finishing the stop");
        assert_eq!(reload_failed("x", true, None), "reload failed: x; the app runs the old plan");
        assert_eq!(reload_failed("x", false, None), "reload failed: x; the old services did not start again either: stop the app");
    }

    #[test]
    fn a_start_failure_names_the_service_its_source_and_the_cause() {
        assert_eq!(
            start_failed("db", Some("app/db.py:3"), "ValueError: boom", 0),
            "service `db` (app/db.py:3) failed to start: ValueError: boom"
        );
        assert_eq!(start_failed("db", None, "boom", 2), "service `db` failed to start: boom; 2 teardown errors while rolling back");
        assert_eq!(start_failed("db", None, "boom", 1), "service `db` failed to start: boom; 1 teardown error while rolling back");
    }

    #[test]
    fn an_ambiguous_key_names_every_provider_up_to_five() {
        assert_eq!(
            ambiguous_key("Database", &["pg", "sqlite"], "get_all", "get_by_id"),
            "several services provide `Database`: `pg` and `sqlite`; get them all with `get_all`, or one with `get_by_id`"
        );
        let many = ["a", "b", "c", "d", "e", "f", "g"];
        assert_eq!(
            ambiguous_key("K", &many, "getAll", "getById"),
            "several services provide `K`: `a`, `b`, `c`, `d`, `e` and 2 more; get them all with `getAll`, or one with `getById`"
        );
    }

    #[test]
    fn a_key_left_out_of_the_plan_says_why() {
        assert_eq!(not_planned("admin", None), "`admin` is registered but no root needs it");
        assert_eq!(not_planned("admin", Some("prod")), "`admin` is registered but not for profile `prod`");
        assert_eq!(replaced("pg", "Database", "pg.fake"), "`pg` is replaced: `Database` is provided by `pg.fake`");
    }

    #[test]
    fn an_unknown_id_names_the_closest_ones() {
        let (text, names) = unknown_id("dbb", &["db", "cache"]);
        assert_eq!(text, "no service has the id `dbb`; did you mean `db`?");
        assert_eq!(names, ["db"]);
        assert_eq!(unknown_id("zzzzzz", &["db"]).0, "no service has the id `zzzzzz`");
    }

    #[test]
    fn a_sync_start_of_async_factories_names_them() {
        assert_eq!(
            async_in_sync_start(&["db"], "start_async()"),
            "cannot start synchronously: `db` has an async factory; start with `start_async()`"
        );
        assert_eq!(
            async_in_sync_start(&["db", "cache"], "start_async()"),
            "cannot start synchronously: `db` and `cache` have async factories; start with `start_async()`"
        );
    }

    #[test]
    fn timeouts_read_in_milliseconds_or_seconds() {
        assert_eq!(timed_out("db", "start", 0.05, None), "`db` did not start within 50 ms");
        assert_eq!(
            timed_out("db", "stop", 2.0, Some(2.3104)),
            "`db` did not stop within 2 s: the teardown returned after 2.31 s (a synchronous call cannot be interrupted)"
        );
        assert_eq!(duration(1.5), "1.5 s");
        assert_eq!(duration(0.0004), "0 ms");
    }
}
