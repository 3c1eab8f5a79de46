//! Reading a descriptor document under [`Limits`].
//!
//! The top level and each service are read by hand-written seeds rather
//! than serde's derive, so that the limits are checked while reading: the
//! services array stops at `max_services + 1` elements and a list at
//! `max_deps_per_service + 1` entries, before the next element is even
//! looked at, so a hostile document never becomes gigabytes of structs.
//! The seeds say exactly what the derive would say about a fault (`unknown
//! field`, `missing field`, `invalid type`), so reports do not change.
//!
//! A limit that is hit is recorded in the shared [`Budget`] (serde errors
//! carry only text) and turned into [`crate::Error::LimitExceeded`] by the
//! caller.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::descriptor::{DepDesc, Lifetime, ServiceDesc, SourceDesc, Str};
use crate::limits::{what, Limits, MAX_NESTING};

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
}

impl<'l> Budget<'l> {
    pub fn new(limits: &'l Limits, text: &'l str, services_before: usize, entries_before: usize) -> Self {
        Budget { limits, services_before, entries: Cell::new(entries_before), hit: Cell::new(None), text, meta_fault: Cell::new(None) }
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
        E::custom(format_args!("{what} is {found}, over the limit of {limit}"))
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
            E::custom(strip_place(&e.to_string()))
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

/// The top level of a document, as read.
pub(crate) struct FileDesc<'de> {
    pub version: u64,
    pub services: Vec<ServiceDesc<'de>>,
}

const FILE_FIELDS: &[&str] = &["version", "services"];
const SERVICE_FIELDS: &[&str] = &["id", "provides", "deps", "lifetime", "profiles", "replaces", "source", "meta"];

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum FileField {
    Version,
    Services,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum ServiceField {
    Id,
    Provides,
    Deps,
    Lifetime,
    Profiles,
    Replaces,
    Source,
    Meta,
}

/// Reads a whole document: `{"version", "services"}`.
pub(crate) struct FileSeed<'b, 'l>(pub &'b Budget<'l>);

impl<'de> DeserializeSeed<'de> for FileSeed<'_, '_> {
    type Value = FileDesc<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_struct("FileDesc", FILE_FIELDS, self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_, '_> {
    type Value = FileDesc<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct FileDesc")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut version = None;
        let mut services = None;
        while let Some(field) = map.next_key::<FileField>()? {
            match field {
                FileField::Version => {
                    if version.is_some() {
                        return Err(de::Error::duplicate_field("version"));
                    }
                    version = Some(map.next_value::<u64>()?);
                }
                FileField::Services => {
                    if services.is_some() {
                        return Err(de::Error::duplicate_field("services"));
                    }
                    services = Some(map.next_value_seed(ServicesSeed(self.0))?);
                }
            }
        }
        let version = version.ok_or_else(|| de::Error::missing_field("version"))?;
        let services = services.ok_or_else(|| de::Error::missing_field("services"))?;
        Ok(FileDesc { version, services })
    }
}

/// The `services` array, counted against `max_services` as it is read.
struct ServicesSeed<'b, 'l>(&'b Budget<'l>);

impl<'de> DeserializeSeed<'de> for ServicesSeed<'_, '_> {
    type Value = Vec<ServiceDesc<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ServicesSeed<'_, '_> {
    type Value = Vec<ServiceDesc<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let budget = self.0;
        let limit = budget.limits.max_services;
        let mut out = Vec::new();
        while let Some(s) = seq.next_element_seed(ServiceSeed(budget))? {
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
struct ServiceSeed<'b, 'l>(&'b Budget<'l>);

impl<'de> DeserializeSeed<'de> for ServiceSeed<'_, '_> {
    type Value = ServiceDesc<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_struct("ServiceDesc", SERVICE_FIELDS, self)
    }
}

fn once<T, E: de::Error>(slot: &Option<T>, name: &'static str) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(name));
    }
    Ok(())
}

impl<'de> Visitor<'de> for ServiceSeed<'_, '_> {
    type Value = ServiceDesc<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct ServiceDesc")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let budget = self.0;
        let mut id: Option<Str<'de>> = None;
        let mut provides: Option<Option<Vec<Str<'de>>>> = None;
        let mut deps: Option<Vec<DepDesc<'de>>> = None;
        let mut lifetime: Option<Lifetime> = None;
        let mut profiles: Option<Option<Vec<Str<'de>>>> = None;
        let mut replaces: Option<Vec<Str<'de>>> = None;
        let mut source: Option<Option<SourceDesc<'de>>> = None;
        let mut meta: Option<Option<serde_json::Value>> = None;
        while let Some(field) = map.next_key::<ServiceField>()? {
            match field {
                ServiceField::Id => {
                    once(&id, "id")?;
                    let s = map.next_value::<Str<'de>>()?;
                    budget.key(&s)?;
                    id = Some(s);
                }
                ServiceField::Provides => {
                    once(&provides, "provides")?;
                    provides = Some(map.next_value_seed(OptionSeed(ListSeed { budget, what: what::PROVIDES }))?);
                }
                ServiceField::Deps => {
                    once(&deps, "deps")?;
                    deps = Some(map.next_value_seed(DepsSeed(budget))?);
                }
                ServiceField::Lifetime => {
                    once(&lifetime, "lifetime")?;
                    lifetime = Some(map.next_value::<Lifetime>()?);
                }
                ServiceField::Profiles => {
                    once(&profiles, "profiles")?;
                    profiles = Some(map.next_value_seed(OptionSeed(ListSeed { budget, what: what::PROFILES }))?);
                }
                ServiceField::Replaces => {
                    once(&replaces, "replaces")?;
                    replaces = Some(map.next_value_seed(OneOrManySeed(budget))?);
                }
                ServiceField::Source => {
                    once(&source, "source")?;
                    let read = map.next_value::<Option<SourceDesc<'de>>>()?;
                    if let Some(src) = &read {
                        // Shown in every diagnostic about the service: as
                        // bounded as an id.
                        budget.file(&src.file)?;
                    }
                    source = Some(read);
                }
                ServiceField::Meta => {
                    once(&meta, "meta")?;
                    // Read raw first (serde_json skips it without building
                    // anything), so its size and depth are known before a
                    // `Value` of 32 bytes per element is built from it.
                    let raw = map.next_value::<Option<&'de RawValue>>()?;
                    meta = Some(match raw {
                        None => None,
                        Some(raw) => Some(budget.meta(raw.get())?),
                    });
                }
            }
        }
        Ok(ServiceDesc {
            id: id.ok_or_else(|| de::Error::missing_field("id"))?,
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
        f.write_str("option")
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

/// A list of ids or keys, counted and each one's length checked.
struct ListSeed<'b, 'l> {
    budget: &'b Budget<'l>,
    what: &'static str,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_, '_> {
    type Value = Vec<Str<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_, '_> {
    type Value = Vec<Str<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        read_list(self.budget, self.what, seq)
    }
}

fn read_list<'de, A: SeqAccess<'de>>(budget: &Budget<'_>, what: &'static str, mut seq: A) -> Result<Vec<Str<'de>>, A::Error> {
    let mut out = Vec::new();
    while let Some(s) = seq.next_element::<Str<'de>>()? {
        budget.entry(what, out.len() + 1)?;
        budget.key(&s)?;
        out.push(s);
    }
    Ok(out)
}

/// `deps`: counted, each key's length checked.
struct DepsSeed<'b, 'l>(&'b Budget<'l>);

impl<'de> DeserializeSeed<'de> for DepsSeed<'_, '_> {
    type Value = Vec<DepDesc<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for DepsSeed<'_, '_> {
    type Value = Vec<DepDesc<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let budget = self.0;
        let mut out = Vec::new();
        while let Some(d) = seq.next_element::<DepDesc<'de>>()? {
            budget.entry(what::DEPS, out.len() + 1)?;
            budget.key(&d.key)?;
            out.push(d);
        }
        Ok(out)
    }
}

/// `replaces`: one id or a list of ids.
struct OneOrManySeed<'b, 'l>(&'b Budget<'l>);

impl<'de> DeserializeSeed<'de> for OneOrManySeed<'_, '_> {
    type Value = Vec<Str<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for OneOrManySeed<'_, '_> {
    type Value = Vec<Str<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a service id or a list of service ids")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        let s = Str(std::borrow::Cow::Borrowed(v));
        self.0.key(&s)?;
        Ok(vec![s])
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.0.key(&Str(std::borrow::Cow::Borrowed(v)))?;
        Ok(vec![Str(std::borrow::Cow::Owned(v.to_owned()))])
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        read_list(self.0, what::REPLACES, seq)
    }
}

/// serde_json's message without its " at line L column C".
fn strip_place(message: &str) -> &str {
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
