//! A start-up record, the same shape from every runtime, and what is read
//! from it: the critical chain (as `systemd-analyze critical-chain`) and a
//! blame list. [`crate::render::timeline`] draws it (text, SVG, Chrome
//! trace events).
//!
//! The record is JSON, so a runtime writes it without the core and a CI job
//! renders it later (`wireplan timeline start.json`):
//!
//! ```json
//! {"timeline": 1, "services": [
//!   {"id": "config", "layer": 0, "start_us": 0, "duration_us": 1200, "outcome": "started", "needs": []},
//!   {"id": "db", "layer": 1, "start_us": 1200, "duration_us": 50000, "outcome": "started", "needs": ["config"]}
//! ]}
//! ```
//!
//! Times are whole microseconds from the start of start-up, so every
//! language renders the same bytes. `needs` lists the services it waited
//! for (its non-lazy dependencies among singletons): the critical chain
//! follows them.

use serde_json::Value;

use crate::error::Error;
use crate::limits::{what, Limits};

/// The record format this planner reads and writes.
pub const TIMELINE_VERSION: u64 = 1;

/// How a service's start ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Built (and its start hook run).
    Started,
    /// Its factory or hook raised.
    Failed,
    /// Stopped before it finished: another service failed, or the start
    /// was cancelled.
    Cancelled,
    /// It took longer than its start timeout.
    TimedOut,
}

impl Outcome {
    /// The word in the record.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Started => "started",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
            Outcome::TimedOut => "timed-out",
        }
    }

    fn parse(word: &str) -> Option<Outcome> {
        Some(match word {
            "started" => Outcome::Started,
            "failed" => Outcome::Failed,
            "cancelled" => Outcome::Cancelled,
            "timed-out" => Outcome::TimedOut,
            _ => return None,
        })
    }
}

/// One service's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Service id.
    pub id: String,
    /// Start-up layer.
    pub layer: u32,
    /// When its factory was called, in microseconds from the start.
    pub start_us: u64,
    /// How long it took, in microseconds.
    pub duration_us: u64,
    /// How it ended.
    pub outcome: Outcome,
    /// Ids of the services it waited for.
    pub needs: Vec<String>,
}

impl Entry {
    /// When it was done, in microseconds from the start.
    pub fn end_us(&self) -> u64 {
        self.start_us.saturating_add(self.duration_us)
    }
}

/// A start-up record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Timeline {
    /// The services, sorted by start, then id.
    pub entries: Vec<Entry>,
}

impl Timeline {
    /// A record from entries in any order.
    pub fn new(mut entries: Vec<Entry>) -> Self {
        crate::sorting::stable(&mut entries, &mut |a, b| (a.start_us, &a.id).cmp(&(b.start_us, &b.id)));
        Timeline { entries }
    }

    /// Reads a record from its JSON text, named `document` in errors.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] past `limits` (the text's size, the number
    /// of services, an id's length, a `needs` list's length), and
    /// [`Error::Invalid`] or [`Error::Syntax`] naming the JSON path of
    /// what is wrong.
    pub fn parse(document: &str, text: &str, limits: &Limits) -> Result<Timeline, Error> {
        let over = |what: &str, limit: usize, found: usize, path: Option<String>| Error::LimitExceeded {
            document: document.to_owned(),
            what: what.to_owned(),
            limit,
            found,
            service: None,
            path,
            line: 0,
            column: 0,
        };
        if text.len() > limits.max_input_bytes {
            return Err(over(what::INPUT_BYTES, limits.max_input_bytes, text.len(), None));
        }
        let value: Value = serde_json::from_str(text).map_err(|e| Error::Syntax {
            document: document.to_owned(),
            path: String::new(),
            line: e.line(),
            column: e.column(),
            message: match e.classify() {
                serde_json::error::Category::Eof => "the file ends early".to_owned(),
                _ => "this is not JSON".to_owned(),
            },
        })?;
        // The place of a JSON path, found only for the one error reported.
        let invalid = |path: &str, message: &str| {
            let (line, column) = place(text, path);
            Error::Invalid { document: document.to_owned(), path: path.to_owned(), line, column, message: message.to_owned() }
        };
        let Value::Object(top) = &value else {
            return Err(invalid("(document)", "a timeline record is an object with `timeline` and `services`"));
        };
        if let Some(extra) = top.keys().find(|k| *k != "timeline" && *k != "services") {
            return Err(invalid(extra, "unknown field; a timeline record has `timeline` and `services`"));
        }
        match top.get("timeline") {
            Some(v) if v.as_u64() == Some(TIMELINE_VERSION) => {}
            Some(_) => return Err(invalid("timeline", "unsupported timeline record version (this planner reads version 1)")),
            None => return Err(invalid("timeline", "`timeline` is missing: it gives the record's version, 1")),
        }
        let Some(Value::Array(services)) = top.get("services") else {
            return Err(invalid("services", "`services` must be an array"));
        };
        if services.len() > limits.max_services {
            return Err(over(what::SERVICES, limits.max_services, services.len(), Some("services".to_owned())));
        }
        let mut entries = Vec::with_capacity(services.len());
        for (i, s) in services.iter().enumerate() {
            let at = |field: &str| format!("services[{i}].{field}");
            let Value::Object(o) = s else {
                return Err(invalid(&format!("services[{i}]"), "each service is an object"));
            };
            if let Some(extra) = o.keys().find(|k| !["id", "layer", "start_us", "duration_us", "outcome", "needs"].contains(&k.as_str())) {
                return Err(invalid(
                    &at(extra),
                    "unknown field; a service has `id`, `layer`, `start_us`, `duration_us`, `outcome` and `needs`",
                ));
            }
            let text_field = |field: &str| -> Result<String, Error> {
                let v = o.get(field).and_then(Value::as_str).ok_or_else(|| invalid(&at(field), "must be a string"))?;
                if v.len() > limits.max_key_bytes {
                    return Err(over(what::KEY_BYTES, limits.max_key_bytes, v.len(), Some(at(field))));
                }
                Ok(v.to_owned())
            };
            let number = |field: &str| -> Result<u64, Error> {
                o.get(field).and_then(Value::as_u64).ok_or_else(|| invalid(&at(field), "must be a whole number, 0 or more"))
            };
            let id = text_field("id")?;
            if id.is_empty() {
                return Err(invalid(&at("id"), "must not be empty"));
            }
            let layer = u32::try_from(number("layer")?).map_err(|_| invalid(&at("layer"), "is too large"))?;
            let outcome_word = text_field("outcome")?;
            let outcome = Outcome::parse(&outcome_word)
                .ok_or_else(|| invalid(&at("outcome"), "must be `started`, `failed`, `cancelled` or `timed-out`"))?;
            let needs = match o.get("needs") {
                None => Vec::new(),
                Some(Value::Array(list)) => {
                    if list.len() > limits.max_deps_per_service {
                        return Err(over(what::DEPS, limits.max_deps_per_service, list.len(), Some(at("needs"))));
                    }
                    let mut out = Vec::with_capacity(list.len());
                    for (j, n) in list.iter().enumerate() {
                        let n = n.as_str().ok_or_else(|| invalid(&format!("services[{i}].needs[{j}]"), "must be a string"))?;
                        if n.len() > limits.max_key_bytes {
                            return Err(over(what::KEY_BYTES, limits.max_key_bytes, n.len(), Some(format!("services[{i}].needs[{j}]"))));
                        }
                        out.push(n.to_owned());
                    }
                    out
                }
                Some(_) => return Err(invalid(&at("needs"), "must be an array of ids")),
            };
            entries.push(Entry { id, layer, start_us: number("start_us")?, duration_us: number("duration_us")?, outcome, needs });
        }
        let mut ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w.first() == w.get(1)) {
            let dup = w.first().copied().unwrap_or("");
            return Err(invalid("services", &format!("service `{dup}` is recorded more than once")));
        }
        Ok(Timeline::new(entries))
    }

    /// The record as JSON text (the format [`Timeline::parse`] reads).
    pub fn to_json(&self) -> String {
        let services: Vec<Value> = self
            .entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "id": e.id, "layer": e.layer, "start_us": e.start_us, "duration_us": e.duration_us,
                    "outcome": e.outcome.as_str(), "needs": e.needs,
                })
            })
            .collect();
        serde_json::json!({ "timeline": TIMELINE_VERSION, "services": services }).to_string()
    }

    /// When the last service was done: the total start-up time.
    pub fn total_us(&self) -> u64 {
        self.entries.iter().map(Entry::end_us).max().unwrap_or(0)
    }

    /// The chain of services that decided the total start-up time, first
    /// started first: from the service done last, back through the service
    /// it waited for that was done last, to one that waited for nothing.
    /// Of two done at once, the one started later (it waited for the other)
    /// is on the chain; then the smaller id.
    ///
    /// # Complexity
    /// O(S log S + N) for S services and N `needs` entries, iterative; a
    /// service is visited once, so a record whose `needs` loop ends.
    pub fn critical_chain(&self) -> Vec<&Entry> {
        let mut by_id: Vec<(&str, usize)> = self.entries.iter().enumerate().map(|(i, e)| (e.id.as_str(), i)).collect();
        by_id.sort_unstable();
        let find = |id: &str| by_id.binary_search_by(|(k, _)| (*k).cmp(id)).ok().and_then(|p| by_id.get(p)).map(|&(_, i)| i);
        // Done later; at the same time, started later (a service that waited
        // for the other); then the smaller id.
        let later =
            |a: &Entry, b: &Entry| (a.end_us(), a.start_us, std::cmp::Reverse(&a.id)) > (b.end_us(), b.start_us, std::cmp::Reverse(&b.id));
        let mut current: Option<usize> = None;
        for (i, e) in self.entries.iter().enumerate() {
            if current.and_then(|c| self.entries.get(c)).is_none_or(|c| later(e, c)) {
                current = Some(i);
            }
        }
        let mut seen = vec![false; self.entries.len()];
        let mut chain = Vec::new();
        while let Some(i) = current {
            let Some(e) = self.entries.get(i) else { break };
            if seen.get(i).copied().unwrap_or(true) {
                break;
            }
            if let Some(s) = seen.get_mut(i) {
                *s = true;
            }
            chain.push(e);
            current = None;
            for n in &e.needs {
                let Some(j) = find(n) else { continue };
                let Some(d) = self.entries.get(j) else { continue };
                if current.and_then(|c| self.entries.get(c)).is_none_or(|c| later(d, c)) {
                    current = Some(j);
                }
            }
        }
        chain.reverse();
        chain
    }

    /// Every service, slowest first (ties by id), as `systemd-analyze blame`.
    pub fn blame(&self) -> Vec<&Entry> {
        let mut list: Vec<&Entry> = self.entries.iter().collect();
        crate::sorting::stable(&mut list, &mut |a, b| {
            (std::cmp::Reverse(a.duration_us), &a.id).cmp(&(std::cmp::Reverse(b.duration_us), &b.id))
        });
        list
    }
}

/// Line and column of `path`, or of its nearest ancestor that is in the
/// text (a missing field is placed at its object).
fn place(text: &str, path: &str) -> (usize, usize) {
    let mut p = path;
    loop {
        if let Some(off) = crate::locate::path_offset(text, p) {
            return crate::locate::line_column(text, off);
        }
        match p.rfind(['.', '[']) {
            Some(cut) => p = p.get(..cut).unwrap_or(""),
            None => return (1, 1),
        }
    }
}
