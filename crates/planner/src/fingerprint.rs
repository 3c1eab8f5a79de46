//! A stable hash of the canonical descriptors and options.
//!
//! Any change that could change the plan changes the fingerprint; the
//! order of keys in a JSON object and whitespace do not, because the hash is
//! taken over the parsed values, each written with a length prefix, and
//! `meta` is written canonically (object keys sorted). XXH3-128 is used for
//! its fixed specification (the same bits on every platform and in every
//! language) and its speed; this is a cache key, not a security boundary.

use std::fmt;

use xxhash_rust::xxh3::Xxh3;

use crate::descriptor::{Descriptors, ServiceDesc};
use crate::options::Options;

/// 128-bit fingerprint, shown as 32 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fingerprint(pub u128);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl Fingerprint {
    /// Parses the 32-hex-digit form.
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 32 {
            return None;
        }
        u128::from_str_radix(s, 16).ok().map(Fingerprint)
    }

    /// Big-endian bytes, as stored in the binary plan header.
    pub fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }
}

/// Bumped when the planning rules change, so old fingerprints stop matching.
const RULES_VERSION: u32 = 1;

/// Buffers small writes: XXH3's streaming update has a fixed cost per call
/// that would dominate when fed one short id at a time.
struct Writer {
    hasher: Xxh3,
    buf: Vec<u8>,
}

impl Writer {
    const FLUSH: usize = 1 << 16;

    fn flush_if_full(&mut self) {
        if self.buf.len() >= Self::FLUSH {
            self.hasher.update(&self.buf);
            self.buf.clear();
        }
    }
    fn str(&mut self, s: &str) {
        self.buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(s.as_bytes());
        self.flush_if_full();
    }
    fn tag(&mut self, t: u8) {
        self.buf.push(t);
    }
    fn num(&mut self, n: u64) {
        self.buf.extend_from_slice(&n.to_le_bytes());
    }
    fn finish(mut self) -> u128 {
        self.hasher.update(&self.buf);
        self.hasher.digest128()
    }
    fn opt_num(&mut self, n: Option<u32>) {
        match n {
            None => self.tag(0),
            Some(n) => {
                self.tag(1);
                self.num(u64::from(n));
            }
        }
    }
}

/// Fingerprint of the descriptors (every document, in merge order) and options.
///
/// Of the options, the profile and the roots are hashed; the
/// [`crate::Limits`] are not: they decide whether a plan is made, never what
/// it is, so raising a limit keeps every cached plan valid.
///
/// # Complexity
/// O(total size of the descriptors).
pub fn fingerprint(descriptors: &Descriptors<'_>, options: &Options) -> Fingerprint {
    let mut w = Writer { hasher: Xxh3::new(), buf: Vec::with_capacity(Writer::FLUSH + 4096) };
    w.num(u64::from(RULES_VERSION));
    match &options.profile {
        None => w.tag(0),
        Some(p) => {
            w.tag(1);
            w.str(p);
        }
    }
    let roots = options.canonical_roots();
    w.num(roots.len() as u64);
    for r in roots {
        w.str(r);
    }
    w.num(descriptors.services.len() as u64);
    for s in &descriptors.services {
        service(&mut w, s);
    }
    Fingerprint(w.finish())
}

fn service(w: &mut Writer, s: &ServiceDesc<'_>) {
    w.str(s.id.as_str());
    match &s.provides {
        None => w.tag(0),
        Some(list) => {
            w.tag(1);
            w.num(list.len() as u64);
            for k in list {
                w.str(k.as_str());
            }
        }
    }
    w.num(s.deps.len() as u64);
    for d in &s.deps {
        w.str(d.key.as_str());
        w.tag(u8::from(d.optional) | u8::from(d.many) << 1 | u8::from(d.lazy) << 2);
    }
    w.tag(s.lifetime.to_u8());
    match &s.profiles {
        None => w.tag(0),
        Some(list) => {
            w.tag(1);
            w.num(list.len() as u64);
            for p in list {
                w.str(p.as_str());
            }
        }
    }
    w.num(s.replaces.len() as u64);
    for r in &s.replaces {
        w.str(r.as_str());
    }
    match &s.source {
        None => w.tag(0),
        Some(src) => {
            w.tag(1);
            w.str(src.file.as_str());
            w.opt_num(src.line);
            w.opt_num(src.column);
        }
    }
    match &s.meta {
        None => w.tag(0),
        Some(v) => {
            w.tag(1);
            w.str(&canonical_json(v));
        }
    }
}

/// JSON text with object keys sorted, whatever serde_json's map type is.
///
/// Iterative, so deeply nested `meta` cannot overflow the stack.
pub fn canonical_json(value: &serde_json::Value) -> String {
    use serde_json::Value;
    enum Item<'v> {
        Value(&'v Value),
        Text(&'static str),
        Key(&'v str),
    }
    let mut out = String::new();
    let mut stack = vec![Item::Value(value)];
    while let Some(item) = stack.pop() {
        match item {
            Item::Text(t) => out.push_str(t),
            Item::Key(k) => {
                out.push_str(&Value::String(k.to_owned()).to_string());
                out.push(':');
            }
            Item::Value(Value::Array(items)) => {
                stack.push(Item::Text("]"));
                for (i, v) in items.iter().enumerate().rev() {
                    stack.push(Item::Value(v));
                    if i > 0 {
                        stack.push(Item::Text(","));
                    }
                }
                stack.push(Item::Text("["));
            }
            Item::Value(Value::Object(map)) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                stack.push(Item::Text("}"));
                for (i, (k, v)) in entries.into_iter().enumerate().rev() {
                    stack.push(Item::Value(v));
                    stack.push(Item::Key(k));
                    if i > 0 {
                        stack.push(Item::Text(","));
                    }
                }
                stack.push(Item::Text("{"));
            }
            Item::Value(scalar) => out.push_str(&scalar.to_string()),
        }
    }
    out
}
