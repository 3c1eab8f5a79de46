//! Reading a descriptor document under [`Limits`], in our own words.
//!
//! The top level, each service and each value in it are read by
//! hand-written seeds rather than serde's derive, for two reasons:
//! - the limits are checked while reading: the services array stops at
//!   `max_services + 1` elements and a list at `max_deps_per_service + 1`
//!   entries, before the next element is even looked at, so a hostile
//!   document never becomes gigabytes of structs;
//! - every fault of the schema is said in plain words, never serde's: each
//!   seed takes any JSON value (`deserialize_any`) and says what it found
//!   instead of what it wanted (`` `deps` should be an array, not the
//!   string `b` ``), names unknown fields with the known ones, and names a
//!   missing field (`a service has no `id``). serde's own texts (`invalid
//!   type: ..., expected struct ServiceDesc`) are never produced.
//!
//! Samples of the words (each rendered after `invalid descriptors: `):
//!
//! ```text
//! `deps` should be an array of dependencies, not the string `b`
//! a service has no `id`
//! unknown field `lazzy` in a dependency; did you mean `lazy`? (known: `key`, `optional`, `many`, `lazy`)
//! `lifetime` should be `singleton`, `scoped` or `transient`, not the string `forever`
//! the document ends early, inside an object (no closing `}`)
//! ```
//!
//! A limit that is hit is recorded in the shared [`Budget`] (serde errors
//! carry only text) and turned into [`crate::Error::LimitExceeded`] by the
//! caller; so is the first fault in our words, so that no other text can
//! stand in for it.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use serde::Deserialize;
use serde_json::error::Category;

use crate::descriptor::{DepDesc, Descriptors, Document, Lifetime, Origin, ServiceDesc, SourceDesc, Str, DESCRIPTOR_VERSION};
use crate::error::Error;
use crate::limits::{over_limit, what, Limits, MAX_NESTING};
use crate::locate;
use crate::phrase::unknown_field;

/// A limit that was hit: which, its value, and what the input has (at least).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub what: &'static str,
    pub limit: usize,
    pub found: usize,
}

/// What every seed of one parse shares: the limits and the first hit.
pub(crate) struct Budget<'l> {
    pub limits: &'l Limits,
    /// Services already read from earlier documents.
    pub services_before: usize,
    /// List entries and meta values read so far, earlier documents included.
    pub entries: Cell<usize>,
    pub hit: Cell<Option<Hit>>,
    /// The document's text, to place a fault inside `meta` in it.
    text: &'l str,
    /// Where in the document a `meta` value failed to build (1-based line
    /// and column): serde only knows the place inside `meta`'s own text.
    pub meta_fault: Cell<Option<(usize, usize)>>,
    /// The first fault of the schema, in our words, as a seed said it.
    fault: Cell<Option<String>>,
}

impl<'l> Budget<'l> {
    pub fn new(limits: &'l Limits, text: &'l str, services_before: usize, entries_before: usize) -> Self {
        Budget {
            limits,
            services_before,
            entries: Cell::new(entries_before),
            hit: Cell::new(None),
            text,
            meta_fault: Cell::new(None),
            fault: Cell::new(None),
        }
    }

    /// Counts `n` more list entries or meta values against `max_entries`.
    fn entries<E: de::Error>(&self, n: usize) -> Result<(), E> {
        let total = self.entries.get().saturating_add(n);
        self.entries.set(total);
        let limit = self.limits.max_entries;
        if total > limit {
            return Err(self.exceed(what::ENTRIES, limit, total));
        }
        Ok(())
    }

    /// Records the hit and returns the serde error that stops the parse.
    fn exceed<E: de::Error>(&self, what: &'static str, limit: usize, found: usize) -> E {
        if self.hit.get().is_none() {
            self.hit.set(Some(Hit { what, limit, found }));
        }
        E::custom(over_limit(what, Some(found), limit))
    }

    /// Records `message` (our words for a fault of the schema) as the
    /// parse's fault, when it is the first, and returns the error that
    /// stops the parse.
    fn say<E: de::Error>(&self, message: String) -> E {
        let first = self.fault.take().unwrap_or_else(|| message.clone());
        self.fault.set(Some(first));
        E::custom(message)
    }

    /// The fault a seed said, if one did.
    pub fn fault(&self) -> Option<String> {
        self.fault.take()
    }

    /// `` {what} should be {expected}, not {found} ``.
    fn wrong<E: de::Error>(&self, want: Want, found: Found<'_>) -> E {
        self.say(format!("{} should be {}, not {found}", want.what, want.expected))
    }

    /// Builds a `meta` value from its raw text once its values are counted
    /// against `max_entries` and its depth checked.
    fn meta<E: de::Error>(&self, raw: &str) -> Result<serde_json::Value, E> {
        let (values, depth) = shape(raw);
        // The document, `services` and the service object are three levels.
        if depth.saturating_add(3) > MAX_NESTING {
            return Err(self.exceed(what::NESTING, MAX_NESTING, depth.saturating_add(3)));
        }
        self.entries(values)?;
        serde_json::from_str(raw).map_err(|e| {
            // `e` is placed inside `raw`, which borrows from the document
            // (or is a copy of it, then the place is unknown): turn that
            // into the document's line and column.
            let start = (raw.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
            if start <= self.text.len() && self.meta_fault.get().is_none() {
                let inside = crate::locate::offset_of(raw, e.line(), e.column());
                self.meta_fault.set(Some(crate::locate::line_column(self.text, start.saturating_add(inside))));
            }
            self.say(json_words(&e, "the document"))
        })
    }

    fn key<E: de::Error>(&self, s: &Str<'_>) -> Result<(), E> {
        let len = s.as_str().len();
        let limit = self.limits.max_key_bytes;
        if len > limit {
            return Err(self.exceed(what::KEY_BYTES, limit, len));
        }
        Ok(())
    }

    fn file<E: de::Error>(&self, s: &Str<'_>) -> Result<(), E> {
        let len = s.as_str().len();
        let limit = self.limits.max_key_bytes;
        if len > limit {
            return Err(self.exceed(what::FILE_BYTES, limit, len));
        }
        Ok(())
    }

    /// Checks that a list about to take its `count`-th entry may.
    fn entry<E: de::Error>(&self, what: &'static str, count: usize) -> Result<(), E> {
        let limit = self.limits.max_deps_per_service;
        if count > limit {
            return Err(self.exceed(what, limit, count));
        }
        self.entries(1)
    }
}

/// What a value is, in the words a message shows it with (serde's
/// `Unexpected` would say `string "b"`, `sequence`, `map`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Found<'a> {
    Bool(bool),
    Signed(i64),
    Unsigned(u64),
    Float(f64),
    Str(&'a str),
    Null,
    Array,
    Object,
}

impl<'a> Found<'a> {
    /// What a parsed JSON value is.
    pub(crate) fn of(value: &'a serde_json::Value) -> Self {
        use serde_json::Value;
        match value {
            Value::Null => Found::Null,
            Value::Bool(b) => Found::Bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => Found::Unsigned(u),
                (None, Some(i), _) => Found::Signed(i),
                (None, None, f) => Found::Float(f.unwrap_or(f64::NAN)),
            },
            Value::String(s) => Found::Str(s),
            Value::Array(_) => Found::Array,
            Value::Object(_) => Found::Object,
        }
    }
}

/// Longest string value quoted whole in a message.
const VALUE_SHOWN: usize = 64;

/// `text`, cut to about `most` bytes (at a character boundary) with `...`.
pub(crate) fn clip(text: &str, most: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= most {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut end = most;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!("{}...", text.get(..end).unwrap_or("")))
}

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Bool(b) => write!(f, "`{b}`"),
            Found::Signed(n) => write!(f, "the number `{n}`"),
            Found::Unsigned(n) => write!(f, "the number `{n}`"),
            Found::Float(n) => write!(f, "the number `{n:?}`"),
            Found::Str(s) => write!(f, "the string `{}`", clip(s, VALUE_SHOWN)),
            Found::Null => f.write_str("`null`"),
            Found::Array => f.write_str("an array"),
            Found::Object => f.write_str("an object"),
        }
    }
}

/// A value of the format: what a message calls it and what it should be.
#[derive(Debug, Clone, Copy)]
struct Want {
    what: &'static str,
    expected: &'static str,
}

const DOCUMENT: Want = Want { what: "the document", expected: "an object with `version` and `services`" };
const VERSION: Want = Want { what: "`version`", expected: "`1`" };
const SERVICES: Want = Want { what: "`services`", expected: "an array of services" };
const SERVICE: Want = Want { what: "a service", expected: "an object with an `id`" };
const ID: Want = Want { what: "`id`", expected: "a string" };
const PROVIDES: Want = Want { what: "`provides`", expected: "an array of keys" };
const PROVIDED_KEY: Want = Want { what: "a key in `provides`", expected: "a string" };
const PROFILES: Want = Want { what: "`profiles`", expected: "an array of profile names" };
const PROFILE: Want = Want { what: "a profile in `profiles`", expected: "a string" };
const REPLACES: Want = Want { what: "`replaces`", expected: "a service id or an array of service ids" };
const REPLACED: Want = Want { what: "an id in `replaces`", expected: "a string" };
const DEPS: Want = Want { what: "`deps`", expected: "an array of dependencies" };
const DEP: Want = Want { what: "a dependency", expected: "a key string or an object with a `key`" };
const KEY: Want = Want { what: "`key`", expected: "a string" };
const OPTIONAL: Want = Want { what: "`optional`", expected: "`true` or `false`" };
const MANY: Want = Want { what: "`many`", expected: "`true` or `false`" };
const LAZY: Want = Want { what: "`lazy`", expected: "`true` or `false`" };
const LIFETIME: Want = Want { what: "`lifetime`", expected: "`singleton`, `scoped` or `transient`" };
const SOURCE: Want = Want { what: "`source`", expected: "an object with a `file`" };
const FILE: Want = Want { what: "`file`", expected: "a string" };
const LINE: Want = Want { what: "`line`", expected: "a whole number from 0 to 4294967295" };
const COLUMN: Want = Want { what: "`column`", expected: "a whole number from 0 to 4294967295" };

/// A seed that says, in our words, what it found when the value is not one
/// it takes.
trait Reject {
    fn reject<E: de::Error>(&self, found: Found<'_>) -> E;
}

/// The `visit_*` methods of the JSON values a visitor does not take, each
/// rejecting the value in our words (serde's defaults would say `invalid
/// type: ..., expected ...`). Every seed reads with `deserialize_any`, so
/// these are the only ways a value of the wrong kind is refused.
macro_rules! others {
    ($($kind:ident)*) => { $(others!(@ $kind);)* };
    (@ bool) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Err(Reject::reject(&self, Found::Bool(v)))
        }
    };
    (@ i64) => {
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Err(Reject::reject(&self, Found::Signed(v)))
        }
    };
    (@ u64) => {
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Err(Reject::reject(&self, Found::Unsigned(v)))
        }
    };
    (@ f64) => {
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Err(Reject::reject(&self, Found::Float(v)))
        }
    };
    (@ str) => {
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Err(Reject::reject(&self, Found::Str(v)))
        }
    };
    (@ unit) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Err(Reject::reject(&self, Found::Null))
        }
    };
    (@ seq) => {
        fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(Reject::reject(&self, Found::Array))
        }
    };
    (@ map) => {
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(Reject::reject(&self, Found::Object))
        }
    };
}

/// The `Reject`, `DeserializeSeed` (by `deserialize_any`) and the
/// `expecting` of a seed with a `b: &Budget` field, wanting `$want`.
macro_rules! seed {
    ($seed:ident, $value:ty, $want:expr) => {
        impl Reject for $seed<'_, '_> {
            fn reject<E: de::Error>(&self, found: Found<'_>) -> E {
                self.b.wrong($want(self), found)
            }
        }
        impl<'de> DeserializeSeed<'de> for $seed<'_, '_> {
            type Value = $value;
            fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
                deserializer.deserialize_any(self)
            }
        }
    };
}

/// `{owner} has no `{field}``.
fn missing<E: de::Error>(b: &Budget<'_>, owner: &str, field: &str) -> E {
    b.say(format!("{owner} has no `{field}`"))
}

/// Refuses a field given twice.
fn once<T, E: de::Error>(b: &Budget<'_>, slot: &Option<T>, owner: &str, field: &str) -> Result<(), E> {
    if slot.is_some() {
        return Err(b.say(format!("{owner} has `{field}` twice")));
    }
    Ok(())
}

/// The name of a field of `owner`, one of `known` (returned as written
/// there), or a fault naming every known one.
struct FieldSeed<'b, 'l> {
    b: &'b Budget<'l>,
    owner: &'static str,
    known: &'static [&'static str],
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, '_> {
    type Value = &'static str;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_, '_> {
    type Value = &'static str;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a field of {}", self.owner)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match self.known.iter().find(|&&k| k == v) {
            Some(k) => Ok(k),
            None => Err(self.b.say(unknown_field(self.owner, &clip(v, VALUE_SHOWN), self.known))),
        }
    }
}

/// The top level of a document, as read.
pub(crate) struct FileDesc<'de> {
    pub version: u64,
    pub services: Vec<ServiceDesc<'de>>,
}

const FILE_FIELDS: &[&str] = &["version", "services"];
const SERVICE_FIELDS: &[&str] = &["id", "provides", "deps", "lifetime", "profiles", "replaces", "source", "meta"];
const DEP_FIELDS: &[&str] = &["key", "optional", "many", "lazy"];
const SOURCE_FIELDS: &[&str] = &["file", "line", "column"];

/// Reads a whole document: `{"version", "services"}`.
pub(crate) struct FileSeed<'b, 'l>(pub &'b Budget<'l>);

impl Reject for FileSeed<'_, '_> {
    fn reject<E: de::Error>(&self, found: Found<'_>) -> E {
        self.0.wrong(DOCUMENT, found)
    }
}

impl<'de> DeserializeSeed<'de> for FileSeed<'_, '_> {
    type Value = FileDesc<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_, '_> {
    type Value = FileDesc<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(DOCUMENT.expected)
    }
    others!(bool i64 u64 f64 str unit seq);
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let b = self.0;
        let owner = DOCUMENT.what;
        let mut version = None;
        let mut services = None;
        while let Some(field) = map.next_key_seed(FieldSeed { b, owner, known: FILE_FIELDS })? {
            match field {
                "version" => {
                    once(b, &version, owner, field)?;
                    version = Some(map.next_value_seed(VersionSeed { b })?);
                }
                _ => {
                    once(b, &services, owner, field)?;
                    services = Some(map.next_value_seed(ServicesSeed { b })?);
                }
            }
        }
        let version = version.ok_or_else(|| missing(b, owner, "version"))?;
        let services = services.ok_or_else(|| missing(b, owner, "services"))?;
        Ok(FileDesc { version, services })
    }
}

/// `version`: any whole number here; the caller refuses all but 1 (and
/// the slow path names another version as such before this is read).
struct VersionSeed<'b, 'l> {
    b: &'b Budget<'l>,
}

seed!(VersionSeed, u64, |_| VERSION);

impl<'de> Visitor<'de> for VersionSeed<'_, '_> {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(VERSION.expected)
    }
    others!(bool i64 f64 str unit seq map);
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v)
    }
}

/// The `services` array, counted against `max_services` as it is read.
struct ServicesSeed<'b, 'l> {
    b: &'b Budget<'l>,
}

seed!(ServicesSeed, Vec<ServiceDesc<'de>>, |_| SERVICES);

impl<'de> Visitor<'de> for ServicesSeed<'_, '_> {
    type Value = Vec<ServiceDesc<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SERVICES.expected)
    }
    others!(bool i64 u64 f64 str unit map);
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let budget = self.b;
        let limit = budget.limits.max_services;
        let mut out = Vec::new();
        while let Some(s) = seq.next_element_seed(ServiceSeed { b: budget })? {
            let total = budget.services_before.saturating_add(out.len()).saturating_add(1);
            if total > limit {
                return Err(budget.exceed(what::SERVICES, limit, total));
            }
            out.push(s);
        }
        Ok(out)
    }
}

/// One service object.
struct ServiceSeed<'b, 'l> {
    b: &'b Budget<'l>,
}

seed!(ServiceSeed, ServiceDesc<'de>, |_| SERVICE);

impl<'de> Visitor<'de> for ServiceSeed<'_, '_> {
    type Value = ServiceDesc<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SERVICE.expected)
    }
    others!(bool i64 u64 f64 str unit seq);
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let b = self.b;
        let owner = SERVICE.what;
        let mut id: Option<Str<'de>> = None;
        let mut provides: Option<Option<Vec<Str<'de>>>> = None;
        let mut deps: Option<Vec<DepDesc<'de>>> = None;
        let mut lifetime: Option<Lifetime> = None;
        let mut profiles: Option<Option<Vec<Str<'de>>>> = None;
        let mut replaces: Option<Vec<Str<'de>>> = None;
        let mut source: Option<Option<SourceDesc<'de>>> = None;
        let mut meta: Option<Option<serde_json::Value>> = None;
        while let Some(field) = map.next_key_seed(FieldSeed { b, owner, known: SERVICE_FIELDS })? {
            match field {
                "id" => {
                    once(b, &id, owner, field)?;
                    let s = map.next_value_seed(StrSeed { b, want: ID })?;
                    b.key(&s)?;
                    id = Some(s);
                }
                "provides" => {
                    once(b, &provides, owner, field)?;
                    let list = ListSeed { b, what: what::PROVIDES, want: PROVIDES, item: PROVIDED_KEY };
                    provides = Some(map.next_value_seed(OptionSeed(list))?);
                }
                "deps" => {
                    once(b, &deps, owner, field)?;
                    deps = Some(map.next_value_seed(DepsSeed { b })?);
                }
                "lifetime" => {
                    once(b, &lifetime, owner, field)?;
                    lifetime = Some(map.next_value_seed(LifetimeSeed { b })?);
                }
                "profiles" => {
                    once(b, &profiles, owner, field)?;
                    let list = ListSeed { b, what: what::PROFILES, want: PROFILES, item: PROFILE };
                    profiles = Some(map.next_value_seed(OptionSeed(list))?);
                }
                "replaces" => {
                    once(b, &replaces, owner, field)?;
                    replaces = Some(map.next_value_seed(OneOrManySeed { b })?);
                }
                "source" => {
                    once(b, &source, owner, field)?;
                    let read = map.next_value_seed(OptionSeed(SourceSeed { b }))?;
                    if let Some(src) = &read {
                        // Shown in every diagnostic about the service: as
                        // bounded as an id.
                        b.file(&src.file)?;
                    }
                    source = Some(read);
                }
                _ => {
                    once(b, &meta, owner, field)?;
                    // Read raw first (serde_json skips it without building
                    // anything), so its size and depth are known before a
                    // `Value` of 32 bytes per element is built from it.
                    let raw = map.next_value::<Option<&'de RawValue>>()?;
                    meta = Some(match raw {
                        None => None,
                        Some(raw) => Some(b.meta(raw.get())?),
                    });
                }
            }
        }
        Ok(ServiceDesc {
            id: id.ok_or_else(|| missing(b, owner, "id"))?,
            provides: provides.flatten(),
            deps: deps.unwrap_or_default(),
            lifetime: lifetime.unwrap_or_default(),
            profiles: profiles.flatten(),
            replaces: replaces.unwrap_or_default(),
            source: source.flatten(),
            meta: meta.flatten(),
        })
    }
}

/// `null` or what the inner seed reads, as `Option<Vec<_>>` does.
struct OptionSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or `null`")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(deserializer).map(Some)
    }
}

/// A string, borrowed from the text when it has no escapes.
struct StrSeed<'b, 'l> {
    b: &'b Budget<'l>,
    want: Want,
}

seed!(StrSeed, Str<'de>, |s: &StrSeed<'_, '_>| s.want);

impl<'de> Visitor<'de> for StrSeed<'_, '_> {
    type Value = Str<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.want.expected)
    }
    others!(bool i64 u64 f64 unit seq map);
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Str(Cow::Owned(v.to_owned())))
    }
}

/// `true` or `false`.
struct BoolSeed<'b, 'l> {
    b: &'b Budget<'l>,
    want: Want,
}

seed!(BoolSeed, bool, |s: &BoolSeed<'_, '_>| s.want);

impl<'de> Visitor<'de> for BoolSeed<'_, '_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.want.expected)
    }
    others!(i64 u64 f64 str unit seq map);
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v)
    }
}

/// A line or column: a whole number that fits 32 bits.
struct U32Seed<'b, 'l> {
    b: &'b Budget<'l>,
    want: Want,
}

seed!(U32Seed, u32, |s: &U32Seed<'_, '_>| s.want);

impl<'de> Visitor<'de> for U32Seed<'_, '_> {
    type Value = u32;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.want.expected)
    }
    others!(bool i64 f64 str unit seq map);
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        u32::try_from(v).map_err(|_| self.reject(Found::Unsigned(v)))
    }
}

/// A list of ids or keys, counted and each one's length checked.
struct ListSeed<'b, 'l> {
    b: &'b Budget<'l>,
    /// The limit it counts against.
    what: &'static str,
    want: Want,
    item: Want,
}

seed!(ListSeed, Vec<Str<'de>>, |s: &ListSeed<'_, '_>| s.want);

impl<'de> Visitor<'de> for ListSeed<'_, '_> {
    type Value = Vec<Str<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.want.expected)
    }
    others!(bool i64 u64 f64 str unit map);
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        read_list(self.b, self.what, self.item, seq)
    }
}

fn read_list<'de, A: SeqAccess<'de>>(b: &Budget<'_>, what: &'static str, item: Want, mut seq: A) -> Result<Vec<Str<'de>>, A::Error> {
    let mut out = Vec::new();
    while let Some(s) = seq.next_element_seed(StrSeed { b, want: item })? {
        b.entry(what, out.len() + 1)?;
        b.key(&s)?;
        out.push(s);
    }
    Ok(out)
}

/// `deps`: counted, each key's length checked.
struct DepsSeed<'b, 'l> {
    b: &'b Budget<'l>,
}

seed!(DepsSeed, Vec<DepDesc<'de>>, |_| DEPS);

impl<'de> Visitor<'de> for DepsSeed<'_, '_> {
    type Value = Vec<DepDesc<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(DEPS.expected)
    }
    others!(bool i64 u64 f64 str unit map);
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let budget = self.b;
        let mut out = Vec::new();
        while let Some(d) = seq.next_element_seed(DepSeed { b: budget })? {
            budget.entry(what::DEPS, out.len() + 1)?;
            budget.key(&d.key)?;
            out.push(d);
        }
        Ok(out)
    }
}

/// One dependency: a key, or `{"key", "optional", "many", "lazy"}`.
struct DepSeed<'b, 'l> {
    b: &'b Budget<'l>,
}

seed!(DepSeed, DepDesc<'de>, |_| DEP);

impl<'de> Visitor<'de> for DepSeed<'_, '_> {
    type Value = DepDesc<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(DEP.expected)
    }
    others!(bool i64 u64 f64 unit seq);
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(DepDesc { key: Str(Cow::Borrowed(v)), optional: false, many: false, lazy: false })
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(DepDesc { key: Str(Cow::Owned(v.to_owned())), optional: false, many: false, lazy: false })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let b = self.b;
        let owner = DEP.what;
        let mut key = None;
        let (mut optional, mut many, mut lazy) = (None, None, None);
        while let Some(field) = map.next_key_seed(FieldSeed { b, owner, known: DEP_FIELDS })? {
            let (slot, want) = match field {
                "key" => {
                    once(b, &key, owner, field)?;
                    key = Some(map.next_value_seed(StrSeed { b, want: KEY })?);
                    continue;
                }
                "optional" => (&mut optional, OPTIONAL),
                "many" => (&mut many, MANY),
                _ => (&mut lazy, LAZY),
            };
            once(b, slot, owner, field)?;
            *slot = Some(map.next_value_seed(BoolSeed { b, want })?);
        }
        let key = key.ok_or_else(|| missing(b, owner, "key"))?;
        Ok(DepDesc { key, optional: optional.unwrap_or(false), many: many.unwrap_or(false), lazy: lazy.unwrap_or(false) })
    }
}

/// `lifetime`: `singleton`, `scoped` or `transient`.
struct LifetimeSeed<'b, 'l> {
    b: &'b Budget<'l>,
}

seed!(LifetimeSeed, Lifetime, |_| LIFETIME);

impl<'de> Visitor<'de> for LifetimeSeed<'_, '_> {
    type Value = Lifetime;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(LIFETIME.expected)
    }
    others!(bool i64 u64 f64 unit seq map);
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match v {
            "singleton" => Ok(Lifetime::Singleton),
            "scoped" => Ok(Lifetime::Scoped),
            "transient" => Ok(Lifetime::Transient),
            _ => {
                let mut message = format!("{} should be {}, not {}", LIFETIME.what, LIFETIME.expected, Found::Str(v));
                if let Some(clause) = crate::phrase::did_you_mean(&crate::suggest::suggest(v, LIFETIMES), false) {
                    message.push_str("; ");
                    message.push_str(&clause);
                }
                Err(self.b.say(message))
            }
        }
    }
}

const LIFETIMES: &[&str] = &["singleton", "scoped", "transient"];

/// `source`: `{"file", "line", "column"}`.
struct SourceSeed<'b, 'l> {
    b: &'b Budget<'l>,
}

seed!(SourceSeed, SourceDesc<'de>, |_| SOURCE);

impl<'de> Visitor<'de> for SourceSeed<'_, '_> {
    type Value = SourceDesc<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SOURCE.expected)
    }
    others!(bool i64 u64 f64 str unit seq);
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let b = self.b;
        let owner = SOURCE.what;
        let mut file = None;
        let (mut line, mut column) = (None, None);
        while let Some(field) = map.next_key_seed(FieldSeed { b, owner, known: SOURCE_FIELDS })? {
            let (slot, want) = match field {
                "file" => {
                    once(b, &file, owner, field)?;
                    file = Some(map.next_value_seed(StrSeed { b, want: FILE })?);
                    continue;
                }
                "line" => (&mut line, LINE),
                _ => (&mut column, COLUMN),
            };
            once(b, slot, owner, field)?;
            *slot = Some(map.next_value_seed(OptionSeed(U32Seed { b, want }))?);
        }
        let file = file.ok_or_else(|| missing(b, owner, "file"))?;
        Ok(SourceDesc { file, line: line.flatten(), column: column.flatten() })
    }
}

/// `replaces`: one id or a list of ids.
struct OneOrManySeed<'b, 'l> {
    b: &'b Budget<'l>,
}

seed!(OneOrManySeed, Vec<Str<'de>>, |_| REPLACES);

impl<'de> Visitor<'de> for OneOrManySeed<'_, '_> {
    type Value = Vec<Str<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REPLACES.expected)
    }
    others!(bool i64 u64 f64 unit map);
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        let s = Str(Cow::Borrowed(v));
        self.b.key(&s)?;
        Ok(vec![s])
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.b.key(&Str(Cow::Borrowed(v)))?;
        Ok(vec![Str(Cow::Owned(v.to_owned()))])
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        read_list(self.b, what::REPLACES, REPLACED, seq)
    }
}

/// serde_json's syntax faults in our words. serde_json has no public code
/// for them, only its fixed texts, so they are matched here, each one of
/// its list (`ErrorCode`'s `Display`); a text not in it (a newer
/// serde_json) still gets plain words from its category, never its own.
/// `whole` names the text (`the document`, `the options`).
pub(crate) fn json_words(e: &serde_json::Error, whole: &str) -> String {
    let text = e.to_string();
    let ends = |inside: &str| format!("{whole} ends early{inside}");
    let words = match strip_place(&text) {
        "EOF while parsing a value" => return ends(", where a value should be"),
        "EOF while parsing a list" => return ends(", inside an array (no closing `]`)"),
        "EOF while parsing an object" => return ends(", inside an object (no closing `}`)"),
        "EOF while parsing a string" => return ends(", inside a string (no closing `\"`)"),
        "expected `:`" => "a `:` should follow the field name",
        "expected `,` or `]`" => "a `,` or `]` should follow an element of an array",
        "expected `,` or `}`" => "a `,` or `}` should follow a value of an object",
        "expected ident" => "this is not a JSON value: only `true`, `false` and `null` are written without quotes",
        "expected value" => {
            "a value should be here: a string in double quotes, a number, an object, an array, `true`, `false` or `null`"
        }
        "expected `\"`" | "key must be a string" => "a field name in double quotes should be here",
        "invalid escape" => {
            "a string holds an escape JSON does not have (after `\\` come `\"`, `\\`, `/`, `b`, `f`, `n`, `r`, `t`, or `u` and four hex digits)"
        }
        "invalid number" => "this number is not written as JSON writes numbers",
        "number out of range" => "this number is too large",
        "invalid unicode code point" => "a `\\u` escape names no Unicode character",
        "control character (\\u0000-\\u001F) found while parsing a string" => {
            "a string holds a raw control character: write a line break as `\\n` and a tab as `\\t`"
        }
        "lone leading surrogate in hex escape" => "a `\\u` escape holds only half of a surrogate pair",
        "unexpected end of hex escape" => "a `\\u` escape needs four hex digits",
        "trailing comma" => "a `,` is followed by no value (JSON allows no trailing comma)",
        "trailing characters" => return format!("more text follows the end of {whole}"),
        _ => match e.classify() {
            serde_json::error::Category::Eof => return ends(""),
            _ => "this is not valid JSON",
        },
    };
    words.to_owned()
}

/// serde_json's message without its " at line L column C".
pub(crate) fn strip_place(message: &str) -> &str {
    message.rfind(" at line ").and_then(|i| message.get(..i)).unwrap_or(message)
}

/// The number of values in valid JSON text (an upper bound: object keys
/// count too) and its nesting depth, by one pass over its bytes.
fn shape(raw: &str) -> (usize, usize) {
    let mut values = 1usize;
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in raw.as_bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                values += 1;
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' | b':' => values += 1,
            _ => {}
        }
    }
    (values, deepest)
}

// Reading whole documents into `Descriptors`: the entry points.

/// The `version` of a document that did not parse, as raw text: whatever
/// it is (a hostile `"version": [1, 1, ...]` too), nothing is built from it.
#[derive(Deserialize)]
struct VersionProbe<'a> {
    #[serde(borrow)]
    version: &'a serde_json::value::RawValue,
}

/// Longest `version` value shown whole in an error.
const VERSION_SHOWN: usize = 64;

impl<'a> Descriptors<'a> {
    /// Parses one JSON document under the default [`Limits`].
    ///
    /// # Errors
    /// [`Error::Syntax`] naming the JSON path and line:column of the first
    /// fault, [`Error::UnsupportedVersion`], [`Error::Invalid`] for an
    /// empty id or key, or [`Error::LimitExceeded`].
    pub fn parse(document: Document<'a>) -> Result<Self, Error> {
        Descriptors::parse_with(document, &Limits::default())
    }

    /// Parses one JSON document under `limits`.
    ///
    /// # Errors
    /// As for [`Descriptors::parse`].
    pub fn parse_with(document: Document<'a>, limits: &Limits) -> Result<Self, Error> {
        let mut out = Descriptors::default();
        out.add_with(document, limits)?;
        Ok(out)
    }

    /// Parses several documents and merges them in order, under the
    /// default [`Limits`].
    ///
    /// # Errors
    /// The first document's error, as for [`Descriptors::parse`].
    pub fn parse_all(documents: &[Document<'a>]) -> Result<Self, Error> {
        Descriptors::parse_all_with(documents, &Limits::default())
    }

    /// Parses several documents and merges them in order, under `limits`
    /// (`max_services` counts the services of all of them).
    ///
    /// # Errors
    /// The first document's error, as for [`Descriptors::parse`].
    pub fn parse_all_with(documents: &[Document<'a>], limits: &Limits) -> Result<Self, Error> {
        let mut out = Descriptors::default();
        for d in documents {
            out.add_with(*d, limits)?;
        }
        Ok(out)
    }

    /// Parses one more document and appends its services, under the
    /// default [`Limits`].
    ///
    /// # Errors
    /// As for [`Descriptors::parse`].
    pub fn add(&mut self, document: Document<'a>) -> Result<(), Error> {
        self.add_with(document, &Limits::default())
    }

    /// Parses one more document and appends its services, under `limits`.
    ///
    /// The document's size is checked before it is parsed; the number of
    /// services, the length of each service's lists and of each id and key
    /// while it is parsed, so that no limit is exceeded by much before the
    /// parse stops.
    ///
    /// # Errors
    /// As for [`Descriptors::parse`].
    ///
    /// # Complexity
    /// O(bytes), and memory proportional to what the limits let through.
    pub fn add_with(&mut self, document: Document<'a>, limits: &Limits) -> Result<(), Error> {
        if document.text.len() > limits.max_input_bytes {
            return Err(limit_error(
                document,
                Hit { what: what::INPUT_BYTES, limit: limits.max_input_bytes, found: document.text.len() },
                None,
            ));
        }
        // One rule for every front end: a leading UTF-8 byte-order mark (as
        // some Windows editors write) is skipped, so lines and columns count
        // from the first character after it, as an editor shows them.
        let document = Document { name: document.name, text: document.text.strip_prefix('\u{feff}').unwrap_or(document.text) };
        let budget = Budget::new(limits, document.text, self.services.len(), self.entries);
        let mut de = serde_json::Deserializer::from_str(document.text);
        let parsed = serde::de::DeserializeSeed::deserialize(FileSeed(&budget), &mut de).and_then(|file| de.end().map(|()| file));
        let file = match parsed {
            Ok(file) => file,
            Err(e) => {
                if let Some(hit) = budget.hit.get() {
                    return Err(limit_error(document, hit, Some(&e)));
                }
                if is_too_deep(&e) {
                    return Err(limit_error(document, Hit { what: what::NESTING, limit: MAX_NESTING, found: MAX_NESTING + 1 }, Some(&e)));
                }
                return Err(explain_parse_error(document, limits));
            }
        };
        if file.version != DESCRIPTOR_VERSION {
            return Err(version_error(document, &file.version.to_string()));
        }
        let doc_index = u32::try_from(self.documents.len()).unwrap_or(u32::MAX);
        for (i, s) in file.services.iter().enumerate() {
            check_non_empty(document, &s.id, || format!("services[{i}].id"), "a service id must not be empty")?;
            for (j, k) in s.provides.iter().flatten().enumerate() {
                check_non_empty(document, k, || format!("services[{i}].provides[{j}]"), "a key must not be empty")?;
            }
            for (j, d) in s.deps.iter().enumerate() {
                check_non_empty(document, &d.key, || format!("services[{i}].deps[{j}]"), "a key must not be empty")?;
            }
        }
        self.entries = budget.entries.get();
        self.origins
            .extend((0..file.services.len()).map(|i| Origin { document: doc_index, element: u32::try_from(i).unwrap_or(u32::MAX) }));
        if self.services.is_empty() {
            // Moved, not copied: the first document's services are most of them.
            self.services = file.services;
        } else {
            self.services.extend(file.services);
        }
        self.documents.push(document);
        Ok(())
    }
}

fn check_non_empty(document: Document<'_>, s: &Str<'_>, path: impl FnOnce() -> String, message: &str) -> Result<(), Error> {
    if !s.as_str().is_empty() {
        return Ok(());
    }
    let path = path();
    let (line, column) = locate::path_offset(document.text, &path).map_or((0, 0), |off| locate::line_column(document.text, off));
    Err(Error::Invalid { document: document.name.to_owned(), path, line, column, message: message.to_owned() })
}

/// A limit hit while reading `document`; serde's error, when there is one,
/// says where the reading stopped (just past the value that crossed it).
fn limit_error(document: Document<'_>, hit: Hit, at: Option<&serde_json::Error>) -> Error {
    let mut error = Error::limit(document.name, hit.what, hit.limit, hit.found);
    if let (Error::LimitExceeded { line, column, .. }, Some(e)) = (&mut error, at) {
        *line = u32::try_from(e.line()).unwrap_or(0);
        *column = u32::try_from(e.column()).unwrap_or(0);
    }
    error
}

/// serde_json's recursion limit: a syntax error with no category of its own.
fn is_too_deep(e: &serde_json::Error) -> bool {
    e.is_syntax() && e.to_string().starts_with("recursion limit exceeded")
}

fn version_error(document: Document<'_>, found: &str) -> Error {
    let (line, column) = locate::path_offset(document.text, "version").map_or((0, 0), |off| locate::line_column(document.text, off));
    Error::UnsupportedVersion { document: document.name.to_owned(), found: found.to_owned(), line, column }
}

/// Slow path: the fast parse failed; find out where and why.
fn explain_parse_error(document: Document<'_>, limits: &Limits) -> Error {
    // A document of another version is reported as such, whatever else is
    // wrong with it: its other fields may be valid in that version.
    if let Ok(probe) = serde_json::from_str::<VersionProbe<'_>>(document.text) {
        let raw = probe.version.get();
        if raw.len() > VERSION_SHOWN {
            let mut end = VERSION_SHOWN / 2;
            while !raw.is_char_boundary(end) {
                end -= 1;
            }
            return version_error(document, &format!("{}...", raw.get(..end).unwrap_or("")));
        }
        if let Ok(version) = serde_json::from_str::<serde_json::Value>(raw) {
            if version.as_u64() != Some(DESCRIPTOR_VERSION) && !version.is_null() {
                return version_error(document, &version.to_string());
            }
        }
    }
    let trimmed = document.text.trim_start();
    if trimmed.is_empty() || !trimmed.starts_with('{') {
        let offset = document.text.len() - trimmed.len();
        let (line, column) = locate::line_column(document.text, offset);
        let message = if trimmed.is_empty() { "the document is empty" } else { "the document is not a JSON object" };
        return Error::Syntax {
            document: document.name.to_owned(),
            path: String::new(),
            line,
            column,
            message: format!("{message}: it should be an object with `version` and `services`"),
        };
    }
    // The same reading as the fast path, under the same limits (so this
    // second pass cannot cost more than the first), with path tracking.
    let budget = Budget::new(limits, document.text, 0, 0);
    let mut de = serde_json::Deserializer::from_str(document.text);
    let mut track = serde_path_to_error::Track::new();
    let result: Result<FileDesc<'_>, _> =
        serde::de::DeserializeSeed::deserialize(FileSeed(&budget), serde_path_to_error::Deserializer::new(&mut de, &mut track));
    let (path, err) = match result {
        Ok(_) => match de.end() {
            Ok(()) => (String::new(), None),
            Err(e) => (String::new(), Some(e)),
        },
        Err(e) => (track.path().to_string(), Some(e)),
    };
    let Some(err) = err else {
        // Both parsers agree the text is fine; should not happen, but never panic.
        return Error::Syntax {
            document: document.name.to_owned(),
            path: String::new(),
            line: 0,
            column: 0,
            message: "the document could not be read".to_owned(),
        };
    };
    // serde_path_to_error writes `?` for a place it could not name (inside
    // malformed JSON); the line and column say more than that.
    let mut path = path;
    while let Some(stripped) = path.strip_suffix(".?").or_else(|| path.strip_suffix('?')) {
        path = stripped.to_owned();
    }
    if path == "." {
        path.clear();
    }
    // An unknown field's name is part of the path: it may be megabytes too.
    let path = shorten(path);
    // A fault inside `meta` is placed by its own parse; serde would say
    // where `meta` ends.
    let (line, column) = budget.meta_fault.get().unwrap_or((err.line(), err.column()));
    let path = if budget.meta_fault.get().is_some() && !path.ends_with("meta") { format!("{path}.meta") } else { path };
    // Our words only: a seed's own (the fault it recorded), or serde_json's
    // syntax faults said again (a fault of the schema that no seed said
    // cannot happen, but would not be shown in serde's words either).
    let message = match (budget.fault(), err.classify()) {
        (Some(fault), _) => fault,
        (None, Category::Syntax | Category::Eof) => json_words(&err, "the document"),
        (None, _) => "a value here does not fit the descriptor format".to_owned(),
    };
    Error::Syntax { document: document.name.to_owned(), path, line, column, message: shorten(message) }
}

/// Longest message or JSON path kept whole: they quote the input (an
/// unknown field's name), which may be megabytes long.
const MESSAGE_SHOWN: usize = 1_024;

fn shorten(mut message: String) -> String {
    if message.len() > MESSAGE_SHOWN {
        let mut end = MESSAGE_SHOWN;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push_str("...");
    }
    message
}
