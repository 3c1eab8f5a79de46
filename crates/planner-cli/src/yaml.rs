//! YAML to JSON text, streamed and held to the limits as it goes.
//!
//! The YAML library's events are written straight out as JSON text: no tree
//! of the whole document is ever built, so memory is the input plus the
//! output (the parser keeps only a small look-ahead). The output is held to
//! `max_input_bytes` while it grows, so a YAML file costs what the same
//! JSON would. Aliases are copied from the output already written, and
//! what they add is counted: at most as many bytes as the file itself (or
//! [`ALIAS_FLOOR`] for a small file), so a 100 KB file of aliases to
//! aliases (the "billion laughs") stops at once with `limit-exceeded`.
//!
//! Nesting stops at [`wireplan::MAX_NESTING`], the JSON parser's own depth,
//! before the next level is read. Duplicate keys are an error, as in JSON.
//! Plain scalars follow the YAML 1.2 core schema (`null`, `~`, `true`,
//! `false`, decimal, `0x` and `0o` integers, floats, `.inf` and `.nan` as
//! `null`, since JSON has no such numbers); everything else is a string.
//! Every fault names its line and column in the YAML file.
//!
//! # Complexity
//! O(n + m) time for n bytes of YAML and m bytes of JSON (m is at most
//! `max_input_bytes`); O(n + m) memory.

use std::collections::HashSet;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

/// The most bytes aliases may add to a file smaller than this: enough for
/// any real use of anchors in a small file, too little to hurt.
pub const ALIAS_FLOOR: usize = 1 << 20;

/// Why a YAML file was not converted, with its place (1-based line and
/// column, in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Not YAML, or YAML that has no JSON form (a mapping as a key).
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A limit was reached while converting.
    Limit {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// Which limit, in the words of the core's `limit-exceeded`.
        what: &'static str,
        /// The limit in force.
        limit: usize,
        /// What the input has, at least.
        found: usize,
    },
}

/// The words of the limits this module checks.
pub mod what {
    /// As the core names `max_input_bytes`: here, the converted JSON text.
    pub const INPUT_BYTES: &str = "the size of the document in bytes";
    /// As the core names the nesting depth.
    pub const NESTING: &str = "the nesting depth of JSON arrays and objects";
    /// What aliases add once expanded.
    pub const ALIASES: &str = "the size of expanded YAML aliases in bytes";
}

/// One open sequence or mapping.
struct Open {
    /// Where its JSON text starts in the output (for an anchor).
    start: usize,
    /// Its anchor id (0: none).
    anchor: usize,
    /// How deep the deepest value inside it goes, counting itself.
    depth: usize,
    /// No value written in it yet.
    empty: bool,
    kind: Kind,
}

enum Kind {
    Seq,
    /// A mapping, its keys so far (as JSON string text), and whether the
    /// next event is a key.
    Map {
        keys: HashSet<Box<str>>,
        want_key: bool,
    },
}

/// What an anchor stands for: a range of the output and its depth.
#[derive(Clone, Copy)]
struct Anchored {
    start: usize,
    end: usize,
    depth: usize,
}

/// The converter's state.
struct Writer {
    out: String,
    stack: Vec<Open>,
    /// Indexed by anchor id (ids are given in order, from 1).
    anchors: Vec<Option<Anchored>>,
    max_bytes: usize,
    alias_budget: usize,
    alias_bytes: usize,
    /// A whole document has been written.
    done: bool,
}

fn place(span: &Span) -> (usize, usize) {
    (span.start.line(), span.start.col() + 1)
}

fn syntax(span: &Span, message: impl Into<String>) -> Fault {
    let (line, column) = place(span);
    Fault::Syntax { line, column, message: message.into() }
}

/// Converts one YAML document to compact JSON text.
///
/// # Errors
/// A [`Fault`] naming the line and column of the first problem.
pub fn to_json(text: &str, max_bytes: usize) -> Result<String, Fault> {
    let mut w = Writer {
        out: String::with_capacity(text.len().min(max_bytes).saturating_add(16)),
        stack: Vec::new(),
        anchors: Vec::new(),
        max_bytes,
        alias_budget: text.len().max(ALIAS_FLOOR),
        alias_bytes: 0,
        done: false,
    };
    let mut parser = Parser::new_from_str(text);
    let mut started = false;
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(e) => e,
            Err(e) => {
                let m = e.marker();
                let (line, column) = (m.line(), m.col() + 1);
                if e.info() == "recursion limit exceeded" {
                    // The scanner looks ahead of the events: deep flow nesting
                    // reaches its own depth limit before this one.
                    let found = (w.stack.len() + 1).max(wireplan::MAX_NESTING + 1);
                    return Err(Fault::Limit { line, column, what: what::NESTING, limit: wireplan::MAX_NESTING, found });
                }
                return Err(Fault::Syntax { line, column, message: e.info().to_owned() });
            }
        };
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
            Event::DocumentStart(_) => {
                if started {
                    return Err(syntax(&span, "a descriptor file holds one YAML document; this is a second one"));
                }
                started = true;
            }
            Event::Alias(id) => w.alias(id, &span)?,
            Event::Scalar(value, style, anchor, tag) => w.scalar(&value, style, anchor, tag.as_deref(), &span)?,
            Event::SequenceStart(anchor, _) => w.open(anchor, Kind::Seq, &span)?,
            Event::MappingStart(anchor, _) => {
                w.open(anchor, Kind::Map { keys: HashSet::new(), want_key: true }, &span)?;
            }
            Event::SequenceEnd | Event::MappingEnd => w.close(),
        }
    }
    if !w.done {
        // An empty file: the document is `null`, as YAML says.
        w.out.push_str("null");
    }
    Ok(w.out)
}

impl Writer {
    /// Writes what comes before a value (a comma), or, where a mapping
    /// wants a key, checks that the value can be one. Returns whether the
    /// value is a key.
    fn before(&mut self, span: &Span, can_be_key: bool) -> Result<bool, Fault> {
        let Some(top) = self.stack.last_mut() else {
            return Ok(false);
        };
        let is_key = matches!(top.kind, Kind::Map { want_key: true, .. });
        if is_key && !can_be_key {
            return Err(syntax(span, "a mapping key must be a scalar to have a JSON form"));
        }
        if let Kind::Map { want_key, .. } = &mut top.kind {
            *want_key = !*want_key;
        }
        if is_key || matches!(top.kind, Kind::Seq) {
            if !top.empty {
                self.out.push(',');
            }
            top.empty = false;
        }
        Ok(is_key)
    }

    /// After a value: a key is followed by `:` and checked for duplicates;
    /// the output size is checked; the parent's depth grows.
    fn after(&mut self, start: usize, is_key: bool, depth: usize, span: &Span) -> Result<(), Fault> {
        if is_key {
            let key = self.out.get(start..).unwrap_or_default();
            if let Some(Open { kind: Kind::Map { keys, .. }, .. }) = self.stack.last_mut() {
                if !keys.insert(key.into()) {
                    return Err(syntax(span, format!("duplicate key {key}")));
                }
            }
            self.out.push(':');
        }
        self.check_size(span)?;
        match self.stack.last_mut() {
            Some(top) => top.depth = top.depth.max(depth + 1),
            None => self.done = true,
        }
        Ok(())
    }

    /// The output so far is within `max_input_bytes`.
    fn check_size(&self, span: &Span) -> Result<(), Fault> {
        if self.out.len() <= self.max_bytes {
            return Ok(());
        }
        let (line, column) = place(span);
        Err(Fault::Limit { line, column, what: what::INPUT_BYTES, limit: self.max_bytes, found: self.out.len() })
    }

    fn remember(&mut self, anchor: usize, value: Anchored) {
        if anchor == 0 {
            return;
        }
        if self.anchors.len() <= anchor {
            self.anchors.resize(anchor + 1, None);
        }
        if let Some(slot) = self.anchors.get_mut(anchor) {
            *slot = Some(value);
        }
    }

    fn scalar(&mut self, value: &str, style: ScalarStyle, anchor: usize, tag: Option<&Tag>, span: &Span) -> Result<(), Fault> {
        let is_key = self.before(span, true)?;
        let start = self.out.len();
        let is_str_tag = tag.is_some_and(|t| t.is_yaml_core_schema() && t.suffix == "str");
        match (style, is_key || is_str_tag) {
            (ScalarStyle::Plain, false) => match plain(value) {
                Some(json) => self.out.push_str(&json),
                None => string(&mut self.out, value),
            },
            _ => string(&mut self.out, value),
        }
        self.remember(anchor, Anchored { start, end: self.out.len(), depth: 0 });
        self.after(start, is_key, 0, span)
    }

    fn open(&mut self, anchor: usize, kind: Kind, span: &Span) -> Result<(), Fault> {
        self.before(span, false)?;
        let depth = self.stack.len() + 1;
        if depth > wireplan::MAX_NESTING {
            let (line, column) = place(span);
            return Err(Fault::Limit { line, column, what: what::NESTING, limit: wireplan::MAX_NESTING, found: depth });
        }
        let start = self.out.len();
        self.out.push(if matches!(kind, Kind::Seq) { '[' } else { '{' });
        self.stack.push(Open { start, anchor, depth: 1, empty: true, kind });
        self.check_size(span)
    }

    fn close(&mut self) {
        let Some(open) = self.stack.pop() else { return };
        self.out.push(if matches!(open.kind, Kind::Seq) { ']' } else { '}' });
        self.remember(open.anchor, Anchored { start: open.start, end: self.out.len(), depth: open.depth });
        match self.stack.last_mut() {
            Some(top) => top.depth = top.depth.max(open.depth + 1),
            None => self.done = true,
        }
    }

    fn alias(&mut self, id: usize, span: &Span) -> Result<(), Fault> {
        let Some(a) = self.anchors.get(id).copied().flatten() else {
            return Err(syntax(span, "an alias to an anchor that is not defined before it"));
        };
        let is_key = self.before(span, a.depth == 0)?;
        let (line, column) = place(span);
        let depth = self.stack.len() + a.depth;
        if depth > wireplan::MAX_NESTING {
            return Err(Fault::Limit { line, column, what: what::NESTING, limit: wireplan::MAX_NESTING, found: depth });
        }
        let len = a.end - a.start;
        self.alias_bytes = self.alias_bytes.saturating_add(len);
        if self.alias_bytes > self.alias_budget {
            return Err(Fault::Limit { line, column, what: what::ALIASES, limit: self.alias_budget, found: self.alias_bytes });
        }
        if self.out.len().saturating_add(len) > self.max_bytes {
            return Err(Fault::Limit {
                line,
                column,
                what: what::INPUT_BYTES,
                limit: self.max_bytes,
                found: self.out.len().saturating_add(len),
            });
        }
        let start = self.out.len();
        let copy = self.out.get(a.start..a.end).map(str::to_owned).unwrap_or_default();
        if is_key && !copy.starts_with('"') {
            // A scalar that resolved to a number, a boolean or null: as a key it
            // is its text; the anchor's text is not kept, so ask for quotes.
            return Err(syntax(span, "an alias used as a mapping key must stand for a string"));
        }
        self.out.push_str(&copy);
        self.after(start, is_key, a.depth, span)
    }
}

/// One step of a JSON path, as the core writes them (`services[3].deps[0]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

/// The steps of a core JSON path, or `None` for one this cannot follow.
pub(crate) fn steps(path: &str) -> Option<Vec<Step>> {
    if path.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (part.get(..i)?, part.get(i..)?),
            None => (part, ""),
        };
        if !name.is_empty() {
            out.push(Step::Key(name.to_owned()));
        }
        while let Some(stripped) = rest.strip_prefix('[') {
            let end = stripped.find(']')?;
            out.push(Step::Index(stripped.get(..end)?.parse().ok()?));
            rest = stripped.get(end + 1..)?;
        }
    }
    Some(out)
}

/// Where in the YAML `text` each of the core's JSON `paths` is: 1-based
/// line and column of the value, or `None` when the path is not found (a
/// value inside an alias's copy, a path this cannot read). The core names
/// places in the JSON text it was given; this turns them back into places
/// in the file a person wrote.
///
/// # Complexity
/// One more streaming pass over the file, on the error path only: O(n x d)
/// time for n bytes and the deepest wanted path d; O(d + paths) memory.
pub fn places(text: &str, paths: &[&str]) -> Vec<Option<(usize, usize)>> {
    let wanted: Vec<Option<Vec<Step>>> = paths.iter().map(|p| steps(p)).collect();
    let mut found: Vec<Option<(usize, usize)>> = vec![None; paths.len()];
    let deepest = wanted.iter().flatten().map(Vec::len).max().unwrap_or(0);
    if deepest == 0 {
        return found;
    }
    let mut missing = wanted.iter().filter(|w| w.is_some()).count();
    // The path to the node being read, and for each open collection how
    // many items it has had (sequences) or its pending key (mappings).
    let mut path: Vec<Step> = Vec::new();
    let mut open: Vec<(bool, usize, Option<String>)> = Vec::new();
    let mut parser = Parser::new_from_str(text);
    while let Some(Ok((event, span))) = parser.next_event() {
        let starts_value = matches!(event, Event::Scalar(..) | Event::Alias(_) | Event::SequenceStart(..) | Event::MappingStart(..));
        if starts_value {
            // A scalar where a mapping wants its key is the key, not a value.
            if let Some((false, _, key @ None)) = open.last_mut() {
                if let Event::Scalar(value, ..) = &event {
                    *key = Some(value.to_string());
                }
                continue;
            }
            let step = match open.last_mut() {
                Some((true, count, _)) => {
                    *count += 1;
                    Some(Step::Index(*count - 1))
                }
                Some((false, _, key)) => key.take().map(Step::Key),
                None => None,
            };
            if let Some(step) = step {
                path.push(step);
            }
            if path.len() <= deepest {
                for (i, w) in wanted.iter().enumerate() {
                    if found.get(i).is_some_and(Option::is_none) && w.as_deref() == Some(path.as_slice()) {
                        if let Some(slot) = found.get_mut(i) {
                            *slot = Some(place(&span));
                            missing -= 1;
                        }
                    }
                }
            }
            match event {
                Event::SequenceStart(..) => open.push((true, 0, None)),
                Event::MappingStart(..) => open.push((false, 0, None)),
                _ => {
                    if !open.is_empty() {
                        path.pop();
                    }
                }
            }
            if missing == 0 {
                break;
            }
        } else if matches!(event, Event::SequenceEnd | Event::MappingEnd) {
            open.pop();
            if !open.is_empty() {
                path.pop();
            }
        }
    }
    found
}

/// The JSON form of a plain scalar that is not a string in the YAML 1.2
/// core schema, or `None` for a string.
fn plain(s: &str) -> Option<String> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Some("null".to_owned()),
        "true" | "True" | "TRUE" => return Some("true".to_owned()),
        "false" | "False" | "FALSE" => return Some("false".to_owned()),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN" | ".NAN" => {
            return Some("null".to_owned())
        }
        _ => {}
    }
    if let Some(hex) = s.strip_prefix("0x") {
        return radix(hex, 16);
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return radix(oct, 8);
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().map(|n| n.to_string()).ok().or_else(|| float(s));
    }
    if is_float(digits) {
        return float(s);
    }
    None
}

fn radix(digits: &str, base: u32) -> Option<String> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(base)) {
        return None;
    }
    u64::from_str_radix(digits, base).ok().map(|n| n.to_string())
}

/// `[0-9]*(\.[0-9]*)?([eE][-+]?[0-9]+)?` with at least one digit before
/// the exponent: the core schema's float (sign already removed).
fn is_float(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (s.get(..i).unwrap_or(""), Some(s.get(i + 1..).unwrap_or(""))),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

fn float(s: &str) -> Option<String> {
    let f: f64 = s.parse().ok()?;
    Some(serde_json::Number::from_f64(f).map_or_else(|| "null".to_owned(), |n| n.to_string()))
}

/// Appends `s` as a JSON string.
fn string(out: &mut String, s: &str) {
    // Writing a str into a String cannot fail.
    let _ = serde_json::to_writer(StringWriter(out), s);
}

pub(crate) struct StringWriter<'a>(pub &'a mut String);

impl std::io::Write for StringWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // serde_json writes whole UTF-8 pieces of a valid str.
        self.0.push_str(std::str::from_utf8(buf).map_err(std::io::Error::other)?);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn json(yaml: &str) -> String {
        to_json(yaml, 1 << 20).unwrap()
    }

    #[test]
    fn core_schema_scalars() {
        assert_eq!(
            json("[a, '1', 1, -2, 0x1f, 0o17, 1.5, 1e3, .5, true, False, ~, null, .inf, 1_000]"),
            r#"["a","1",1,-2,31,15,1.5,1000.0,0.5,true,false,null,null,null,"1_000"]"#
        );
        assert_eq!(json("!!str 12"), r#""12""#);
        assert_eq!(json(""), "null");
    }

    #[test]
    fn mappings_and_nesting() {
        assert_eq!(json("a: 1\nb:\n  - x\n  - {c: d}\n"), r#"{"a":1,"b":["x",{"c":"d"}]}"#);
        assert_eq!(json("1: x\ntrue: y"), r#"{"1":"x","true":"y"}"#);
    }

    #[test]
    fn aliases_copy_the_anchored_value() {
        assert_eq!(json("a: &x [1, {b: c}]\nd: *x\n"), r#"{"a":[1,{"b":"c"}],"d":[1,{"b":"c"}]}"#);
        assert_eq!(json("k: &k key\n*k : v\n"), r#"{"k":"key","key":"v"}"#);
    }

    #[test]
    fn duplicate_keys_name_the_place() {
        let err = to_json("a: 1\nb: 2\na: 3\n", 1 << 20).unwrap_err();
        assert_eq!(err, Fault::Syntax { line: 3, column: 1, message: "duplicate key \"a\"".to_owned() });
    }

    #[test]
    fn a_second_document_is_refused() {
        assert!(matches!(to_json("a: 1\n---\nb: 2\n", 1 << 20), Err(Fault::Syntax { line: 2, .. })));
    }

    #[test]
    fn alias_amplification_is_refused() {
        let mut doc = String::from("a: &a [");
        doc.push_str(&"x, ".repeat(1000));
        doc.push_str("x]\nb: [");
        doc.push_str(&"*a, ".repeat(2000));
        doc.push_str("*a]\n");
        match to_json(&doc, 256 << 20) {
            Err(Fault::Limit { what, limit, .. }) => {
                assert_eq!(what, what::ALIASES);
                assert_eq!(limit, ALIAS_FLOOR);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nesting_stops_at_the_json_depth() {
        let flow = "[".repeat(200_000);
        let block: String = (0..200).map(|i| format!("{}- \n", "  ".repeat(i))).collect();
        for deep in [flow, block] {
            match to_json(&deep, 256 << 20) {
                Err(Fault::Limit { what, found, limit, .. }) => {
                    assert_eq!(what, what::NESTING);
                    assert_eq!(limit, wireplan::MAX_NESTING);
                    assert!(found > wireplan::MAX_NESTING);
                }
                other => panic!("{other:?}"),
            }
        }
        let ok = format!("{}{}", "[".repeat(wireplan::MAX_NESTING), "]".repeat(wireplan::MAX_NESTING));
        assert!(to_json(&ok, 1 << 20).is_ok());
    }

    #[test]
    fn places_turn_json_paths_into_yaml_lines() {
        let text = "version: 1\nservices:\n  - id: a\n  - id: b\n    deps:\n      - x\n      - {key: y, lazy: true}\n    colour: red\n";
        let paths = ["services[1]", "services[1].deps[1].key", "services[1].colour", "services[0].id", "services[9]", "(document)"];
        assert_eq!(places(text, &paths), vec![Some((4, 5)), Some((7, 15)), Some((8, 13)), Some((3, 9)), None, None]);
    }

    #[test]
    fn output_is_held_to_the_byte_limit() {
        assert!(matches!(to_json("[aaaa, bbbb, cccc]", 10), Err(Fault::Limit { what: what::INPUT_BYTES, limit: 10, .. })));
    }
}
