//! SARIF 2.1.0, so code-scanning tools show a graph error on the
//! provider's line. `ruleId` is the diagnostic's stable code; the message
//! is the core's, with its help line; related places (each hop of a cycle,
//! each service that asked for a missing key) become `relatedLocations`.

use serde_json::{json, Map, Value};
use wireplan::{Location, Report, Severity};

/// The SARIF schema this output follows.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// One run of the `wireplan` tool with one result per diagnostic.
pub fn render(report: &Report) -> String {
    let mut rules: Vec<&str> = report.diagnostics.iter().map(|d| d.code.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(help) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            let mut result = Map::new();
            result.insert("ruleId".into(), json!(d.code.as_str()));
            if let Ok(index) = rules.binary_search(&d.code.as_str()) {
                result.insert("ruleIndex".into(), json!(index));
            }
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            result.insert("level".into(), json!(level));
            result.insert("message".into(), json!({ "text": text }));
            if let Some(loc) = &d.location {
                result.insert("locations".into(), json!([location(loc, None)]));
            }
            let related: Vec<Value> = d
                .related
                .iter()
                .filter_map(|r| r.location.as_ref().map(|loc| (r, loc)))
                .enumerate()
                .map(|(i, (r, loc))| {
                    let mut v = location(loc, Some(&r.message));
                    if let Some(obj) = v.as_object_mut() {
                        obj.insert("id".into(), json!(i));
                    }
                    v
                })
                .collect();
            if !related.is_empty() {
                result.insert("relatedLocations".into(), Value::Array(related));
            }
            let mut props = Map::new();
            if !d.services.is_empty() {
                props.insert("services".into(), json!(d.services));
            }
            if let Some(key) = &d.key {
                props.insert("key".into(), json!(key));
            }
            if !props.is_empty() {
                result.insert("properties".into(), Value::Object(props));
            }
            Value::Object(result)
        })
        .collect();
    let rules: Vec<Value> = rules.iter().map(|id| json!({ "id": id, "name": id })).collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "wireplan",
                "version": wireplan::VERSION,
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

/// A SARIF `location`: the file as a relative URI, the region when the line
/// is known, the JSON path inside a descriptor as a logical location.
fn location(loc: &Location, message: Option<&str>) -> Value {
    let mut physical = Map::new();
    physical.insert("artifactLocation".into(), json!({ "uri": uri(&loc.file) }));
    if let Some(line) = loc.line.filter(|&l| l >= 1) {
        let mut region = Map::new();
        region.insert("startLine".into(), json!(line));
        if let Some(col) = loc.column.filter(|&c| c >= 1) {
            region.insert("startColumn".into(), json!(col));
        }
        physical.insert("region".into(), Value::Object(region));
    }
    let mut out = Map::new();
    out.insert("physicalLocation".into(), Value::Object(physical));
    if let Some(path) = &loc.path {
        out.insert("logicalLocations".into(), json!([{ "fullyQualifiedName": path, "kind": "element" }]));
    }
    if let Some(text) = message {
        out.insert("message".into(), json!({ "text": text }));
    }
    Value::Object(out)
}

/// A file name as a URI reference: unreserved characters and `/` kept,
/// everything else percent-encoded (spaces, `<stdin>`'s angle brackets).
fn uri(file: &str) -> String {
    let mut out = String::with_capacity(file.len());
    for b in file.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_escaped() {
        assert_eq!(uri("app/my db.py"), "app/my%20db.py");
        assert_eq!(uri("<stdin>"), "%3Cstdin%3E");
    }
}
