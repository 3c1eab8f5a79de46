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
use crate::limits::{what, Limits, MAX_NESTING};
use crate::locate;
use crate::parse::{json_words, Budget, FileDesc, FileSeed, Hit};
use serde_json::error::Category;

/// The descriptor format version this planner reads.
pub const FORMAT_VERSION: u64 = 1;

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

/// The `version` of a document that did not parse, as raw text: whatever
/// it is (a hostile `"version": [1, 1, ...]` too), nothing is built from it.
#[derive(Deserialize)]
struct VersionProbe<'a> {
    #[serde(borrow)]
    version: &'a serde_json::value::RawValue,
}

/// Longest `version` value shown whole in an error.
const VERSION_SHOWN: usize = 64;

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
    entries: usize,
}

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
            return Err(limit_error(document, Hit { what: what::INPUT_BYTES, limit: limits.max_input_bytes, found: document.text.len() }, None));
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
        if file.version != FORMAT_VERSION {
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
        self.origins.extend((0..file.services.len()).map(|i| Origin {
            document: doc_index,
            element: u32::try_from(i).unwrap_or(u32::MAX),
        }));
        if self.services.is_empty() {
            // Moved, not copied: the first document's services are most of them.
            self.services = file.services;
        } else {
            self.services.extend(file.services);
        }
        self.documents.push(document);
        Ok(())
    }

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
        self.origins
            .get(service)
            .and_then(|o| self.documents.get(o.document as usize))
            .map_or("<input>", |d| d.name)
    }
}

fn check_non_empty(
    document: Document<'_>,
    s: &Str<'_>,
    path: impl FnOnce() -> String,
    message: &str,
) -> Result<(), Error> {
    if !s.as_str().is_empty() {
        return Ok(());
    }
    let path = path();
    let (line, column) = locate::path_offset(document.text, &path)
        .map_or((0, 0), |off| locate::line_column(document.text, off));
    Err(Error::Invalid {
        document: document.name.to_owned(),
        path,
        line,
        column,
        message: message.to_owned(),
    })
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
    let (line, column) = locate::path_offset(document.text, "version")
        .map_or((0, 0), |off| locate::line_column(document.text, off));
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
            if version.as_u64() != Some(FORMAT_VERSION) && !version.is_null() {
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

