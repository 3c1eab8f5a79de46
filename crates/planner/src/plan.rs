//! The plan: what a runtime in any language needs to start, stop and
//! resolve services without looking anything up.
//!
//! Services are numbered so that the singletons come first, in start-up
//! order (`0..singleton_count`), then the scoped and transient services by
//! id. Every binding refers to providers by that number. Strings live in one
//! arena and records hold spans into it, so a decoded plan is a handful of
//! allocations whatever its size.

use std::ops::Range;

/// The version of the plan JSON (`"version"` in [`Plan::to_json`]); not
/// the descriptor format's ([`crate::DESCRIPTOR_VERSION`]) nor the binary
/// layout's ([`crate::codec::BINARY_VERSION`]).
pub const PLAN_JSON_VERSION: u16 = 1;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::descriptor::Lifetime;
use crate::diagnostic::Diagnostic;
use crate::fingerprint::Fingerprint;

/// A part of the plan's string arena.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: u32,
    pub len: u32,
}

/// A part of one of the plan's index arrays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Slice {
    pub start: u32,
    pub end: u32,
}

impl Slice {
    fn of<T>(self, items: &[T]) -> &[T] {
        items.get(self.start as usize..self.end as usize).unwrap_or(&[])
    }
}

/// Dependency flag: may be absent.
pub const OPTIONAL: u8 = 1;
/// Dependency flag: binds every provider.
pub const MANY: u8 = 2;
/// Dependency flag: handed over lazily.
pub const LAZY: u8 = 4;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SourceRec {
    pub file: Span,
    /// 0 when unknown.
    pub line: u32,
    /// 0 when unknown.
    pub column: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServiceRec {
    pub id: Span,
    pub lifetime: Lifetime,
    /// Into `Plan::provides`.
    pub provides: Slice,
    /// Into `Plan::deps`.
    pub deps: Slice,
    /// Into `Plan::recipes` (empty for singletons).
    pub recipe: Slice,
    pub source: Option<SourceRec>,
    /// Canonical JSON text of `meta`.
    pub meta: Option<Span>,
    /// `u32::MAX` for services that are not singletons.
    pub layer: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DepRec {
    pub key: Span,
    pub flags: u8,
    /// Into `Plan::providers`.
    pub providers: Slice,
}

/// A validated plan. Build one with [`crate::plan`], or load a cached one
/// with [`Plan::decode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub(crate) fingerprint: Fingerprint,
    pub(crate) text: String,
    pub(crate) profile: Option<Span>,
    pub(crate) roots: Vec<Span>,
    pub(crate) services: Vec<ServiceRec>,
    pub(crate) provides: Vec<Span>,
    pub(crate) deps: Vec<DepRec>,
    pub(crate) providers: Vec<u32>,
    pub(crate) singletons: u32,
    /// Layer `i` is `layer_ends[i-1]..layer_ends[i]` (from 0 for the first).
    pub(crate) layer_ends: Vec<u32>,
    pub(crate) recipes: Vec<u32>,
    /// Service numbers sorted by id, for lookups.
    pub(crate) by_id: Vec<u32>,
    pub(crate) unused: Vec<Span>,
    pub(crate) warnings: Vec<Diagnostic>,
}

/// One planned service.
#[derive(Debug, Clone, Copy)]
pub struct ServiceRef<'p> {
    plan: &'p Plan,
    index: u32,
    rec: &'p ServiceRec,
}

/// One dependency of a planned service, bound to its providers.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'p> {
    plan: &'p Plan,
    rec: &'p DepRec,
}

/// Where a provider is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Source<'p> {
    /// Source file.
    pub file: &'p str,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column, when known.
    pub column: Option<u32>,
}

impl Plan {
    pub(crate) fn str(&self, span: Span) -> &str {
        self.text.get(span.start as usize..(span.start as usize).saturating_add(span.len as usize)).unwrap_or("")
    }

    /// The fingerprint of the descriptors and options this plan was made from.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// The profile planned for.
    pub fn profile(&self) -> Option<&str> {
        self.profile.map(|s| self.str(s))
    }

    /// The roots planned for (sorted; empty when every service was planned).
    pub fn roots(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.roots.iter().map(|&s| self.str(s))
    }

    /// Number of planned services.
    pub fn len(&self) -> usize {
        self.services.len()
    }

    /// True when nothing was planned.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// A service by number.
    pub fn service(&self, index: u32) -> Option<ServiceRef<'_>> {
        self.services.get(index as usize).map(|rec| ServiceRef { plan: self, index, rec })
    }

    /// Every service, by number.
    pub fn services(&self) -> impl ExactSizeIterator<Item = ServiceRef<'_>> + '_ {
        self.services.iter().enumerate().map(move |(index, rec)| ServiceRef { plan: self, index: index as u32, rec })
    }

    /// The number of a service, by id.
    ///
    /// # Complexity
    /// O(log S) string comparisons.
    pub fn index_of(&self, id: &str) -> Option<u32> {
        self.by_id
            .binary_search_by(|&i| self.services.get(i as usize).map_or("", |r| self.str(r.id)).cmp(id))
            .ok()
            .and_then(|pos| self.by_id.get(pos).copied())
    }

    /// The singletons in start-up order: they are numbered `0..n` in that order.
    pub fn startup(&self) -> Range<u32> {
        0..self.singletons
    }

    /// Shutdown order: the exact reverse of start-up.
    pub fn shutdown(&self) -> impl Iterator<Item = u32> {
        (0..self.singletons).rev()
    }

    /// Start-up layers: every singleton depends only on earlier layers, so
    /// each layer's services can be started concurrently.
    pub fn layers(&self) -> impl ExactSizeIterator<Item = Range<u32>> + '_ {
        self.layer_ends.iter().enumerate().map(move |(i, &end)| {
            let start = if i == 0 { 0 } else { self.layer_ends.get(i - 1).copied().unwrap_or(0) };
            start..end
        })
    }

    /// Shutdown layers: the start-up layers in reverse.
    pub fn shutdown_layers(&self) -> impl Iterator<Item = Range<u32>> + '_ {
        self.layers().collect::<Vec<_>>().into_iter().rev()
    }

    /// Ids of services that no root needs (with roots), sorted.
    pub fn unused(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.unused.iter().map(|&s| self.str(s))
    }

    /// Warnings found while planning (services no root needs).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The plan as pretty JSON: services named by id in `services`,
    /// `startup`, `layers` and `shutdown`, and by number (their place in
    /// `services`) in `bindings` and `recipes`, so that the text grows with
    /// the input plus the number of bindings, never with bindings x id
    /// length. This is the form the test vectors store, byte for byte.
    pub fn to_json(&self) -> String {
        // Measured first, then written once into a buffer of its exact
        // size: a growing buffer would need up to twice the text at its
        // last reallocation, and the text of a large plan is the largest
        // thing a front end holds.
        let mut counter = Counter(0);
        let _ = self.write_json(&mut counter);
        let mut out = Vec::with_capacity(counter.0);
        // Writing to a Vec cannot fail, and the JSON is UTF-8.
        let _ = self.write_json(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Writes [`Plan::to_json`]'s text to `out` as it is produced, without
    /// holding it all in memory (for a large plan written to a file or a pipe).
    ///
    /// # Errors
    /// The writer's.
    pub fn write_json<W: std::io::Write>(&self, out: W) -> std::io::Result<()> {
        serde_json::to_writer_pretty(out, &JsonPlan(self)).map_err(std::io::Error::from)
    }
}

impl<'p> ServiceRef<'p> {
    /// The service's number in the plan.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The service's id.
    pub fn id(&self) -> &'p str {
        self.plan.str(self.rec.id)
    }

    /// How long an instance lives.
    pub fn lifetime(&self) -> Lifetime {
        self.rec.lifetime
    }

    /// The keys it provides.
    pub fn provides(&self) -> impl ExactSizeIterator<Item = &'p str> + 'p {
        let plan = self.plan;
        self.rec.provides.of(&plan.provides).iter().map(move |&s| plan.str(s))
    }

    /// Its dependencies, in declaration order, each bound to its providers.
    pub fn deps(&self) -> impl ExactSizeIterator<Item = Binding<'p>> + 'p {
        let plan = self.plan;
        self.rec.deps.of(&plan.deps).iter().map(move |rec| Binding { plan, rec })
    }

    /// The start-up layer of a singleton; `None` for scoped and transient.
    pub fn layer(&self) -> Option<u32> {
        (self.rec.layer != u32::MAX).then_some(self.rec.layer)
    }

    /// For a scoped or transient service, what to build for one instance:
    /// the scoped and transient services it needs (not singletons, which are
    /// already started), dependencies first, ending with itself.
    pub fn recipe(&self) -> &'p [u32] {
        self.rec.recipe.of(&self.plan.recipes)
    }

    /// Where the provider is defined.
    pub fn source(&self) -> Option<Source<'p>> {
        self.rec.source.map(|s| Source {
            file: self.plan.str(s.file),
            line: (s.line != 0).then_some(s.line),
            column: (s.column != 0).then_some(s.column),
        })
    }

    /// `meta`, as canonical JSON text.
    pub fn meta(&self) -> Option<&'p str> {
        self.rec.meta.map(|s| self.plan.str(s))
    }
}

impl<'p> Binding<'p> {
    /// The key asked for.
    pub fn key(&self) -> &'p str {
        self.plan.str(self.rec.key)
    }

    /// A missing provider is not an error.
    pub fn optional(&self) -> bool {
        self.rec.flags & OPTIONAL != 0
    }

    /// Every provider is bound, in declaration order.
    pub fn many(&self) -> bool {
        self.rec.flags & MANY != 0
    }

    /// Handed over as a deferred handle.
    pub fn lazy(&self) -> bool {
        self.rec.flags & LAZY != 0
    }

    /// The flags: [`OPTIONAL`] | [`MANY`] | [`LAZY`].
    pub fn flags(&self) -> u8 {
        self.rec.flags & (OPTIONAL | MANY | LAZY)
    }

    /// The providers, by service number: one for a plain dependency, zero or
    /// one for an optional one, any number for `many`.
    pub fn providers(&self) -> &'p [u32] {
        self.rec.providers.of(&self.plan.providers)
    }
}

// ---- JSON form -------------------------------------------------------------

/// A writer that only counts the bytes written to it.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct JsonPlan<'p>(&'p Plan);

struct Ids<'p, I: Iterator<Item = u32> + Clone>(&'p Plan, I);

impl<I: Iterator<Item = u32> + Clone> Serialize for Ids<'_, I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for i in self.1.clone() {
            seq.serialize_element(self.0.service(i).map_or("", |x| x.id()))?;
        }
        seq.end()
    }
}

struct Layers<'p>(&'p Plan, bool);

impl Serialize for Layers<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut layers: Vec<Range<u32>> = self.0.layers().collect();
        if self.1 {
            layers.reverse();
        }
        let mut seq = s.serialize_seq(Some(layers.len()))?;
        for l in layers {
            seq.serialize_element(&Ids(self.0, l))?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct JsonService<'p> {
    id: &'p str,
    lifetime: Lifetime,
    provides: Vec<&'p str>,
    layer: Option<u32>,
    source: Option<Source<'p>>,
    meta: Option<&'p serde_json::value::RawValue>,
}

/// Service numbers on one line (`[0, 3]`) even in pretty JSON: a list of
/// numbers one per line would be four times the size and no easier to read.
struct Numbers<'p>(&'p [u32]);

impl Serialize for Numbers<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use std::fmt::Write as _;
        let mut text = String::with_capacity(2 + self.0.len() * 4);
        text.push('[');
        for (i, n) in self.0.iter().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            let _ = write!(text, "{n}");
        }
        text.push(']');
        match serde_json::value::RawValue::from_string(text) {
            Ok(raw) => raw.serialize(s),
            Err(_) => self.0.serialize(s),
        }
    }
}

#[derive(Serialize)]
struct JsonBinding<'p> {
    key: &'p str,
    optional: bool,
    many: bool,
    lazy: bool,
    providers: Numbers<'p>,
}

struct Services<'p>(&'p Plan);

impl Serialize for Services<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for svc in self.0.services() {
            let meta = svc.meta().and_then(|m| serde_json::from_str::<&serde_json::value::RawValue>(m).ok());
            seq.serialize_element(&JsonService {
                id: svc.id(),
                lifetime: svc.lifetime(),
                provides: svc.provides().collect(),
                layer: svc.layer(),
                source: svc.source(),
                meta,
            })?;
        }
        seq.end()
    }
}

struct Bindings<'p>(&'p Plan);

impl Serialize for Bindings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for svc in self.0.services() {
            let deps: Vec<JsonBinding<'_>> = svc
                .deps()
                .map(|b| JsonBinding {
                    key: b.key(),
                    optional: b.optional(),
                    many: b.many(),
                    lazy: b.lazy(),
                    providers: Numbers(b.providers()),
                })
                .collect();
            map.serialize_entry(svc.id(), &deps)?;
        }
        map.end()
    }
}

struct Recipes<'p>(&'p Plan);

impl Serialize for Recipes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for svc in self.0.services().filter(|s| s.lifetime() != Lifetime::Singleton) {
            map.serialize_entry(svc.id(), &Numbers(svc.recipe()))?;
        }
        map.end()
    }
}

impl Serialize for JsonPlan<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("version", &PLAN_JSON_VERSION)?;
        map.serialize_entry("fingerprint", &p.fingerprint.to_string())?;
        map.serialize_entry("profile", &p.profile())?;
        map.serialize_entry("roots", &p.roots().collect::<Vec<_>>())?;
        map.serialize_entry("services", &Services(p))?;
        map.serialize_entry("startup", &Ids(p, p.startup()))?;
        map.serialize_entry("layers", &Layers(p, false))?;
        map.serialize_entry("shutdown", &Ids(p, p.startup().rev()))?;
        map.serialize_entry("shutdown_layers", &Layers(p, true))?;
        map.serialize_entry("bindings", &Bindings(p))?;
        map.serialize_entry("recipes", &Recipes(p))?;
        map.serialize_entry("unused", &p.unused().collect::<Vec<_>>())?;
        map.serialize_entry("warnings", &p.warnings)?;
        map.end()
    }
}

// ---- Runtime form ----------------------------------------------------------

/// The plan as runtimes consume it: services by number, bindings by number.
/// Compact JSON, one shape for Python and JS:
///
/// ```json
/// {"fingerprint": "…", "profile": null, "singletons": 3,
///  "layers": [[0, 1], [2]],
///  "services": [{"id": "db", "lifetime": "singleton", "provides": ["Database"],
///                "layer": 1, "source": {"file": "app/db.py", "line": 12, "column": null},
///                "meta": null, "recipe": [],
///                "deps": [{"key": "config", "optional": false, "many": false,
///                          "lazy": false, "providers": [0]}]}],
///  "warnings": []}
/// ```
/// Singletons are `0..singletons`, in start-up order; shutdown is the reverse.
pub struct RuntimeView<'p>(pub &'p Plan);

#[derive(Serialize)]
struct RtDep<'p> {
    key: &'p str,
    optional: bool,
    many: bool,
    lazy: bool,
    providers: &'p [u32],
}

#[derive(Serialize)]
struct RtService<'p> {
    id: &'p str,
    lifetime: Lifetime,
    provides: Vec<&'p str>,
    layer: Option<u32>,
    source: Option<Source<'p>>,
    meta: Option<&'p serde_json::value::RawValue>,
    recipe: &'p [u32],
    deps: Vec<RtDep<'p>>,
}

impl Serialize for RuntimeView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("fingerprint", &p.fingerprint.to_string())?;
        map.serialize_entry("profile", &p.profile())?;
        map.serialize_entry("singletons", &p.singletons)?;
        let layers: Vec<Vec<u32>> = p.layers().map(|r| r.collect()).collect();
        map.serialize_entry("layers", &layers)?;
        let services: Vec<RtService<'_>> = p
            .services()
            .map(|svc| RtService {
                id: svc.id(),
                lifetime: svc.lifetime(),
                provides: svc.provides().collect(),
                layer: svc.layer(),
                source: svc.source(),
                meta: svc.meta().and_then(|m| serde_json::from_str(m).ok()),
                recipe: svc.recipe(),
                deps: svc
                    .deps()
                    .map(|b| RtDep { key: b.key(), optional: b.optional(), many: b.many(), lazy: b.lazy(), providers: b.providers() })
                    .collect(),
            })
            .collect();
        map.serialize_entry("services", &services)?;
        map.serialize_entry("warnings", &p.warnings)?;
        map.end()
    }
}

impl Plan {
    /// The runtime form as compact JSON (see [`RuntimeView`]).
    pub fn to_runtime_json(&self) -> String {
        serde_json::to_string(&RuntimeView(self)).unwrap_or_default()
    }
}
