//! Service descriptors, format version 1, and their parsing.
//!
//! Strings borrow from the input text wherever JSON escapes allow, so a
//! 100k-service document is parsed without one allocation per id or key.
//! Parsing is fast-path first: the limit-checking readers of `parse.rs` run
//! once, and only when they fail is the document read again, the same way,
//! with path tracking, to name the place.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::error::Error;
use crate::locate;

/// The descriptor format version this planner reads.
pub const DESCRIPTOR_VERSION: u64 = 1;

/// A string of the input, borrowed when the JSON had no escapes in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Str<'a>(pub Cow<'a, str>);

impl<'a> Str<'a> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for StrVisitor<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(StrVisitor(std::marker::PhantomData))
    }
}

/// How long an instance lives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lifetime {
    /// One instance for the whole application, started in plan order.
    #[default]
    Singleton,
    /// One instance per scope (a request, a job), built from a recipe.
    Scoped,
    /// A new instance every time one is needed, built from a recipe.
    Transient,
}

impl Lifetime {
    /// `singleton`, `scoped` or `transient`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lifetime::Singleton => "singleton",
            Lifetime::Scoped => "scoped",
            Lifetime::Transient => "transient",
        }
    }

    /// The compact code used by the binary plan.
    pub(crate) fn to_u8(self) -> u8 {
        match self {
            Lifetime::Singleton => 0,
            Lifetime::Scoped => 1,
            Lifetime::Transient => 2,
        }
    }

    /// Inverse of [`Lifetime::to_u8`].
    pub(crate) fn from_u8(code: u8) -> Option<Self> {
        match code {
            0 => Some(Lifetime::Singleton),
            1 => Some(Lifetime::Scoped),
            2 => Some(Lifetime::Transient),
            _ => None,
        }
    }
}

/// Where a provider is defined, shown in every diagnostic about it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceDesc<'a> {
    /// Source file of the provider.
    #[serde(borrow)]
    pub file: Str<'a>,
    /// 1-based line.
    #[serde(default)]
    pub line: Option<u32>,
    /// 1-based column.
    #[serde(default)]
    pub column: Option<u32>,
}

/// One dependency of a service.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DepDesc<'a> {
    /// The key asked for.
    pub key: Str<'a>,
    /// A missing provider is not an error.
    pub optional: bool,
    /// Bind every provider of the key, in declaration order.
    pub many: bool,
    /// Handed over as a deferred handle: no start-up order, may close a cycle.
    pub lazy: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DepObject<'a> {
    #[serde(borrow)]
    key: Str<'a>,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    many: bool,
    #[serde(default)]
    lazy: bool,
}

impl<'de: 'a, 'a> Deserialize<'de> for DepDesc<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DepVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for DepVisitor<'a> {
            type Value = DepDesc<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key string or an object {\"key\", \"optional\", \"many\", \"lazy\"}")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(DepDesc::plain(Str(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(DepDesc::plain(Str(Cow::Owned(v.to_owned()))))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let o = DepObject::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(DepDesc { key: o.key, optional: o.optional, many: o.many, lazy: o.lazy })
            }
        }
        deserializer.deserialize_any(DepVisitor(std::marker::PhantomData))
    }
}

impl<'a> DepDesc<'a> {
    fn plain(key: Str<'a>) -> Self {
        DepDesc { key, optional: false, many: false, lazy: false }
    }
}

/// One registered service, as written. Read by `parse.rs`, which checks
/// the limits while reading (so there is no serde derive to bypass them).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceDesc<'a> {
    /// Unique, non-empty id.
    pub id: Str<'a>,
    /// Keys the service satisfies; `None` means `[id]`.
    pub provides: Option<Vec<Str<'a>>>,
    /// Dependencies, in the order the factory takes them.
    pub deps: Vec<DepDesc<'a>>,
    /// How long an instance lives.
    pub lifetime: Lifetime,
    /// Profiles the service exists in; `None` (or empty) means always.
    pub profiles: Option<Vec<Str<'a>>>,
    /// Ids of services this one takes the place of (test overrides).
    pub replaces: Vec<Str<'a>>,
    /// Where the provider is defined.
    pub source: Option<SourceDesc<'a>>,
    /// Anything, carried through to the plan untouched.
    pub meta: Option<serde_json::Value>,
}

impl ServiceDesc<'_> {
    /// Whether the service exists when planning for `profile`.
    pub fn active_in(&self, profile: Option<&str>) -> bool {
        match &self.profiles {
            None => true,
            Some(list) if list.is_empty() => true,
            Some(list) => profile.is_some_and(|p| list.iter().any(|q| q.as_str() == p)),
        }
    }
}

/// One input document: its name (for diagnostics) and its text.
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    /// File name or a placeholder such as `<stdin>`.
    pub name: &'a str,
    /// The JSON text.
    pub text: &'a str,
}

/// Where a service was declared: which document, which element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// Index of the document in [`Descriptors::documents`].
    pub document: u32,
    /// Index of the element in that document's `services` array.
    pub element: u32,
}

/// Services from one or more documents, merged in order.
#[derive(Debug, Clone, Default)]
pub struct Descriptors<'a> {
    /// The documents, in merge order.
    pub documents: Vec<Document<'a>>,
    /// Every service of every document, in merge (declaration) order.
    pub services: Vec<ServiceDesc<'a>>,
    /// Where each service of [`Descriptors::services`] was declared.
    pub origins: Vec<Origin>,
    /// List entries and meta values read so far, for `max_entries`.
    pub(crate) entries: usize,
}

impl<'a> Descriptors<'a> {
    /// Bytes of JSON text of all documents together: what
    /// [`Limits::max_growth_per_byte`] is measured against.
    pub fn input_bytes(&self) -> usize {
        self.documents.iter().map(|d| d.text.len()).sum()
    }

    /// A limit crossed by service number `service` (an index into
    /// [`Descriptors::services`]): the error names the service and its
    /// place in its document.
    pub(crate) fn limit_at(&self, service: usize, what: &str, limit: usize, found: usize) -> Error {
        let name = self.document_name(service);
        let mut error = Error::limit(name, what, limit, found);
        if let Error::LimitExceeded { service: who, path, line, column, .. } = &mut error {
            *who = self.services.get(service).map(|s| s.id.as_str().to_owned());
            if let Some(origin) = self.origins.get(service) {
                let at = format!("services[{}]", origin.element);
                if let Some(doc) = self.documents.get(origin.document as usize) {
                    let (l, c) = locate::path_offset(doc.text, &at).map_or((0, 0), |off| locate::line_column(doc.text, off));
                    (*line, *column) = (u32::try_from(l).unwrap_or(0), u32::try_from(c).unwrap_or(0));
                }
                *path = Some(at);
            }
        }
        error
    }

    /// The name of the document a service came from.
    pub fn document_name(&self, service: usize) -> &str {
        self.origins.get(service).and_then(|o| self.documents.get(o.document as usize)).map_or("<input>", |d| d.name)
    }
}
