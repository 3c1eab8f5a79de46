//! wireplan for JavaScript: the core planner behind wasm-bindgen.
//!
//! Nothing here plans, checks or words anything: every export converts its
//! arguments, calls the core, and returns a *tagged result*, a plain object
//! `{ok: true, ...}` or `{ok: false, report, text, json}`. Throwing is the
//! JS layer's job (`js/src/api.js` turns a failure into a `PlanError` whose
//! message is `text`, the core's rendering), so data, not exceptions,
//! crosses the boundary.
//!
//! A successful plan stays on the Rust side as a [`PlanHandle`]: JS reads the
//! compact runtime form once, and asks for the id-keyed JSON, the binary
//! form or a query only when it needs one.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wireplan::render::dialect::Dialect;
use wireplan::render::{render_report, Style};
use wireplan::{Document, Error, Fingerprint, Options, Plan, Report};

/// One descriptor document as JS hands it over.
#[derive(Deserialize)]
struct Doc {
    name: String,
    text: String,
}

thread_local! {
    /// The documents' text for the next `plan`, `check` or `fingerprint`
    /// call, as UTF-8: JS writes it straight into wasm memory
    /// (`TextEncoder.encodeInto`, no copy in JS and no walk of the string
    /// code unit by code unit), and the call takes it (the buffer lives
    /// from `inputBuffer` to that call, as a passed string would).
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Makes the input buffer `len` bytes long, keeping its first bytes, and
/// returns where it starts in wasm memory (it moves when it grows: JS
/// asks again, and views the memory anew, as it may have grown too).
#[wasm_bindgen(js_name = inputBuffer)]
pub fn input_buffer(len: usize) -> usize {
    INPUT.with_borrow_mut(|b| {
        b.resize(len, 0);
        b.as_mut_ptr() as usize
    })
}

/// The module's memory, for JS to write the input buffer (not named
/// `memory`: that is the name of the memory's own export).
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// The documents JS wrote into the input buffer: their text, concatenated,
/// with the byte offset where each ends and its name.
struct Staged {
    text: String,
    names: Vec<String>,
    ends: Vec<u32>,
}

impl Staged {
    /// Takes the input buffer (emptying it): `len` bytes written, split at
    /// `ends`. JS's encoder writes only UTF-8 and ends each document on a
    /// character boundary; anything else is refused, never read.
    fn take(len: usize, names: Vec<String>, ends: Vec<u32>) -> Result<Staged, Report> {
        let mut bytes = INPUT.with_borrow_mut(std::mem::take);
        let refused = |what: &str| Report::from(Error::Options { message: format!("the documents' text {what}") });
        if len > bytes.len() {
            return Err(refused("is longer than its buffer"));
        }
        bytes.truncate(len);
        let text = String::from_utf8(bytes).map_err(|_| refused("is not UTF-8"))?;
        let mut start = 0usize;
        for &end in &ends {
            let end = end as usize;
            if end < start || text.get(start..end).is_none() {
                return Err(refused("is split off a character boundary"));
            }
            start = end;
        }
        if names.len() != ends.len() || start != text.len() {
            return Err(refused("does not match its names"));
        }
        Ok(Staged { text, names, ends })
    }

    /// The documents as the core borrows them.
    fn documents(&self) -> Vec<Document<'_>> {
        let mut start = 0usize;
        self.names
            .iter()
            .zip(&self.ends)
            .map(|(name, &end)| {
                let end = end as usize;
                // INVARIANT: `take` checked every range.
                let text = self.text.get(start..end).unwrap_or("");
                start = end;
                Document { name, text }
            })
            .collect()
    }
}

/// A validated plan, kept in wasm memory for queries and serialization.
#[wasm_bindgen]
pub struct PlanHandle {
    plan: Plan,
    /// The core's runtime tables (`Plan::tables`), made once: JS copies
    /// each array out in one call.
    tables: wireplan::Tables,
}

impl PlanHandle {
    fn new(plan: Plan) -> Self {
        let tables = plan.tables();
        PlanHandle { plan, tables }
    }
}

#[wasm_bindgen]
impl PlanHandle {
    /// The plan as pretty JSON with ids (`Plan::to_json`), byte for byte
    /// what the test vectors hold.
    pub fn json(&self) -> String {
        self.plan.to_json()
    }

    /// The compact runtime form (`Plan::to_runtime_json`), with sources,
    /// meta, provided keys and warnings: read when JS asks for them.
    pub fn runtime(&self) -> String {
        self.plan.to_runtime_json()
    }

    // ---- Tables: the plan as flat arrays, the hot path of JS ---------------
    // `plan()` in JS reads these instead of the runtime JSON: a few typed
    // arrays cross the boundary in one copy each, where the JSON form of a
    // 10k-service plan is megabytes to write, decode and parse.

    /// Service ids by number, concatenated: JS cuts them at `id_ends`
    /// (one string to decode instead of a JSON array to write and parse).
    pub fn id_text(&self) -> String {
        let mut text = String::with_capacity(self.plan.services().map(|s| s.id().len()).sum());
        for s in self.plan.services() {
            text.push_str(s.id());
        }
        text
    }

    /// Where each id ends in `id_text`, in UTF-16 code units (JS's string
    /// indices).
    pub fn id_ends(&self) -> Vec<u32> {
        let mut at = 0u32;
        self.plan
            .services()
            .map(|s| {
                let id = s.id();
                let units = if id.is_ascii() { id.len() } else { id.encode_utf16().count() };
                at = at.saturating_add(u32::try_from(units).unwrap_or(u32::MAX));
                at
            })
            .collect()
    }

    /// Number of singletons: they are `0..singletons`, in start-up order.
    pub fn singletons(&self) -> u32 {
        self.tables.singletons
    }

    /// End (exclusive) of each start-up layer.
    pub fn layer_ends(&self) -> js_sys::Uint32Array {
        js_sys::Uint32Array::from(&self.tables.layer_ends[..])
    }

    /// Lifetime of each service: 0 singleton, 1 scoped, 2 transient.
    pub fn lifetimes(&self) -> js_sys::Uint8Array {
        js_sys::Uint8Array::from(&self.tables.lifetimes[..])
    }

    /// Service `i`'s dependencies are `dep_start[i]..dep_start[i + 1]`.
    pub fn dep_start(&self) -> js_sys::Uint32Array {
        js_sys::Uint32Array::from(&self.tables.dep_start[..])
    }

    /// Flags of each dependency: 1 optional, 2 many, 4 lazy.
    pub fn dep_flags(&self) -> js_sys::Uint8Array {
        js_sys::Uint8Array::from(&self.tables.dep_flags[..])
    }

    /// Dependency `d`'s providers are `providers[prov_start[d]..prov_start[d + 1]]`.
    pub fn prov_start(&self) -> js_sys::Uint32Array {
        js_sys::Uint32Array::from(&self.tables.prov_start[..])
    }

    /// Providers of every dependency, by service number.
    pub fn providers(&self) -> js_sys::Uint32Array {
        js_sys::Uint32Array::from(&self.tables.providers[..])
    }

    /// Service `i`'s recipe is `recipes[recipe_start[i]..recipe_start[i + 1]]`.
    pub fn recipe_start(&self) -> js_sys::Uint32Array {
        js_sys::Uint32Array::from(&self.tables.recipe_start[..])
    }

    /// Every recipe, concatenated.
    pub fn recipes(&self) -> js_sys::Uint32Array {
        js_sys::Uint32Array::from(&self.tables.recipes[..])
    }

    /// The profile planned for.
    pub fn profile(&self) -> Option<String> {
        self.plan.profile().map(str::to_owned)
    }

    /// The binary form, for a cache.
    pub fn encode(&self) -> Vec<u8> {
        self.plan.encode()
    }

    /// The fingerprint, 32 hex digits.
    pub fn fingerprint(&self) -> String {
        self.plan.fingerprint().to_string()
    }

    /// Transitive dependencies of service `index`, by number.
    pub fn dependencies(&self, index: u32) -> Vec<u32> {
        self.plan.dependencies(index)
    }

    /// Transitive dependents of service `index`, by number.
    pub fn dependents(&self, index: u32) -> Vec<u32> {
        self.plan.dependents(index)
    }

    /// One shortest non-lazy dependency path from `from` down to `to`.
    pub fn path(&self, from: u32, to: u32) -> Option<Vec<u32>> {
        self.plan.path(from, to)
    }
}

/// The tagged failure: the structured report plus its two renderings.
#[derive(Serialize)]
struct Failure<'r> {
    ok: bool,
    report: &'r Report,
    text: String,
    json: String,
}

/// The tagged result of `check`: like [`Failure`], with `ok` true when the
/// report holds no error.
fn report_value(report: &Report, ok: bool) -> JsValue {
    colored_report_value(report, ok, false)
}

/// As [`report_value`], with the text in ANSI colors when `color` (for a terminal).
fn colored_report_value(report: &Report, ok: bool, color: bool) -> JsValue {
    // Help in the words of the JS API (`{key, lazy: true}`, `replaces: [...]`).
    words_value(&report.in_dialect(Dialect::Js), ok, color)
}

/// As [`colored_report_value`], the help in the descriptor format's words:
/// an analysis's report, byte for byte the command line's.
fn words_value(report: &Report, ok: bool, color: bool) -> JsValue {
    let text = if color { render_report(report, &Style::colored()) } else { report.render() };
    let failure = Failure { ok, report, text, json: report.to_json() };
    // INVARIANT: a Report is strings, numbers, options and vectors, which
    // serde-wasm-bindgen always converts; the fallback is unreachable.
    failure.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap_or_else(|_| JsValue::from_str(&failure.text))
}

fn set(object: &js_sys::Object, key: &str, value: &JsValue) {
    // INVARIANT: setting a property of a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(object, &JsValue::from_str(key), value);
}

fn read_documents(documents: JsValue) -> Result<Vec<Doc>, Report> {
    serde_wasm_bindgen::from_value(documents)
        .map_err(|e| Report::from(Error::Options { message: format!("documents must be `[{{name, text}}]`: {e}") }))
}

/// Options as JSON text (what `js/src/api.js` passes) or an object. The text
/// goes through the core's own reader, which refuses unknown names
/// (serde-wasm-bindgen looks up only the fields it knows, so a misspelt
/// option in an object would be ignored).
fn read_options(options: JsValue) -> Result<Options, Report> {
    if options.is_undefined() || options.is_null() {
        return Ok(Options::default());
    }
    if let Some(text) = options.as_string() {
        return Options::from_json(&text).map_err(Report::from);
    }
    serde_wasm_bindgen::from_value(options).map_err(|e| Report::from(Error::Options { message: e.to_string() }))
}

/// The documents as the core borrows them.
fn borrowed(docs: &[Doc]) -> Vec<Document<'_>> {
    docs.iter().map(|d| Document { name: &d.name, text: &d.text }).collect()
}

/// Plans the staged documents (see [`Staged`]).
fn planned(len: usize, names: Vec<String>, ends: Vec<u32>, options: JsValue) -> Result<Plan, Report> {
    let staged = Staged::take(len, names, ends)?;
    let options = read_options(options)?;
    wireplan::plan_documents(&staged.documents(), &options)
}

/// Plans the documents JS wrote into the input buffer (`len` bytes of
/// UTF-8, document `k` named `names[k]` and ending at byte `ends[k]`,
/// merged in order) with `options` (`{profile?, roots?}`). Returns
/// `{ok: true, plan: PlanHandle}` or `{ok: false, report, text, json}`.
#[wasm_bindgen]
pub fn plan(len: usize, names: Vec<String>, ends: Vec<u32>, options: JsValue) -> JsValue {
    match planned(len, names, ends, options) {
        Ok(plan) => {
            let out = js_sys::Object::new();
            set(&out, "ok", &JsValue::TRUE);
            set(&out, "plan", &JsValue::from(PlanHandle::new(plan)));
            out.into()
        }
        Err(report) => report_value(&report, false),
    }
}

/// Checks `documents`: every problem, errors and warnings. Returns
/// `{ok, report, text, json}` with `ok` false when there is an error, and
/// `text` in ANSI colors when `color` (the CLI on a terminal).
/// The documents are staged as for [`plan`].
#[wasm_bindgen]
pub fn check(len: usize, names: Vec<String>, ends: Vec<u32>, options: JsValue, color: bool) -> JsValue {
    let report = match planned(len, names, ends, options) {
        Ok(plan) => Report { diagnostics: plan.warnings().to_vec() },
        Err(report) => report,
    };
    colored_report_value(&report, !report.has_errors(), color)
}

/// The fingerprint `documents` and `options` would give a plan, without
/// planning: `{ok: true, fingerprint}` or the tagged failure. The
/// documents are staged as for [`plan`].
#[wasm_bindgen]
pub fn fingerprint(len: usize, names: Vec<String>, ends: Vec<u32>, options: JsValue) -> JsValue {
    let result = Staged::take(len, names, ends).and_then(|staged| {
        let options = read_options(options)?;
        // Parsed under the caller's limits, as `plan` parses: a document
        // `plan` refuses has no fingerprint either.
        let descriptors = wireplan::Descriptors::parse_all_with(&staged.documents(), &options.limits).map_err(Report::from)?;
        Ok(wireplan::fingerprint(&descriptors, &options))
    });
    match result {
        Ok(fp) => {
            let out = js_sys::Object::new();
            set(&out, "ok", &JsValue::TRUE);
            set(&out, "fingerprint", &JsValue::from_str(&fp.to_string()));
            out.into()
        }
        Err(report) => report_value(&report, false),
    }
}

/// Decodes a binary plan; with `expected` (32 hex digits) it must have that
/// fingerprint. Returns `{ok: true, plan: PlanHandle}` or the tagged failure.
#[wasm_bindgen]
pub fn decode(bytes: &[u8], expected: Option<String>) -> JsValue {
    let expected = match expected.as_deref().map(Fingerprint::from_hex) {
        None => None,
        Some(Some(fp)) => Some(fp),
        Some(None) => {
            let message = "the expected fingerprint must be 32 hex digits".to_owned();
            return report_value(&Report::from(Error::Options { message }), false);
        }
    };
    match Plan::decode(bytes, expected) {
        Ok(plan) => {
            let out = js_sys::Object::new();
            set(&out, "ok", &JsValue::TRUE);
            set(&out, "plan", &JsValue::from(PlanHandle::new(plan)));
            out.into()
        }
        Err(error) => report_value(&Report::from(error), false),
    }
}

// ---- the analysis: pictures, explain, diff (valid or broken graphs) --------
// Stateless, as a `Plan` keeps nothing in wasm memory: each call analyzes
// the documents again (O(S log S + E)) and frees the analysis before
// returning, so a loop of calls leaves wasm memory flat.

/// The analysis of `documents` under `options`, or the tagged failure when
/// they cannot be read or the graph cannot be built at all (a limit).
fn analyzed(documents: JsValue, options: JsValue) -> Result<wireplan::Analysis, Report> {
    let docs = read_documents(documents)?;
    let options = read_options(options)?;
    let descriptors = wireplan::Descriptors::parse_all_with(&borrowed(&docs), &options.limits).map_err(Report::from)?;
    wireplan::analyze(&descriptors, &options)
}

/// `{ok: true, text}`: what JS hands to the caller.
fn text_value(text: &str) -> JsValue {
    let out = js_sys::Object::new();
    set(&out, "ok", &JsValue::TRUE);
    set(&out, "text", &JsValue::from_str(text));
    out.into()
}

/// A name that means no service (or a key of several): `{ok: false,
/// unknown: {name, message, suggestions, notOne}}`, the core's words, for
/// JS to throw as a `LookupError`.
fn unknown_value(u: &wireplan::explain::Unknown) -> JsValue {
    let out = js_sys::Object::new();
    let unknown = js_sys::Object::new();
    set(&unknown, "name", &JsValue::from_str(&u.name));
    set(&unknown, "message", &JsValue::from_str(&u.to_string()));
    let suggestions: js_sys::Array = u.suggestions.iter().map(|s| JsValue::from_str(s)).collect();
    set(&unknown, "suggestions", &suggestions);
    set(&unknown, "notOne", &JsValue::from_bool(u.not_one));
    set(&out, "ok", &JsValue::FALSE);
    set(&out, "unknown", &unknown);
    out.into()
}

/// Analyzes `documents`, valid or broken: `{ok: true, valid, report, text,
/// json}` (`ok`: the analysis was made; `valid`: the graph plans; the
/// report of a valid graph holds its warnings), or the tagged failure when
/// the documents cannot be read or a limit is exceeded.
#[wasm_bindgen]
pub fn analyze(documents: JsValue, options: JsValue) -> JsValue {
    match analyzed(documents, options) {
        Ok(analysis) => {
            let out = words_value(analysis.report(), true, false);
            set(&js_sys::Object::from(out.clone()), "valid", &JsValue::from_bool(analysis.is_valid()));
            out
        }
        Err(report) => report_value(&report, false),
    }
}

/// The graph drawn (`format` `dot` or `mermaid`, the core's
/// `render::picture`), only `focus` and what it touches when given (an id,
/// or a key only one service provides): `{ok: true, text}`, the tagged
/// failure, or `{ok: false, unknown}` for a focus that names no service.
#[wasm_bindgen]
pub fn picture(documents: JsValue, options: JsValue, format: &str, focus: Option<String>) -> JsValue {
    let analysis = match analyzed(documents, options) {
        Ok(a) => a,
        Err(report) => return report_value(&report, false),
    };
    let analysis = match focus.as_deref().map(|name| analysis.find_service(name)) {
        None => analysis,
        Some(Ok(node)) => analysis.focus(node),
        Some(Err(u)) => return unknown_value(&u),
    };
    let text = match format {
        "mermaid" => wireplan::render::picture::mermaid(&analysis),
        _ => wireplan::render::picture::dot(&analysis),
    };
    text_value(&text)
}

/// One service or key explained (`render::explain`), as text (`json`
/// false) or JSON, with the chain to `why` when given: `{ok: true, text}`,
/// the tagged failure, or `{ok: false, unknown}`.
#[wasm_bindgen]
pub fn explain(documents: JsValue, options: JsValue, name: &str, why: Option<String>, json: bool) -> JsValue {
    let analysis = match analyzed(documents, options) {
        Ok(a) => a,
        Err(report) => return report_value(&report, false),
    };
    match analysis.explain(name, why.as_deref()) {
        Ok(e) if json => text_value(&wireplan::render::explain::json(&analysis, &e)),
        Ok(e) => text_value(&wireplan::render::explain::human(&analysis, &e, &Style::plain())),
        Err(u) => unknown_value(&u),
    }
}

/// What changed from the old documents to the new (`render::diff`), as
/// text or JSON: `{ok: true, text}` or the tagged failure of either side.
#[wasm_bindgen]
pub fn diff(old: JsValue, old_options: JsValue, new: JsValue, new_options: JsValue, json: bool) -> JsValue {
    let (old, new) = match (analyzed(old, old_options), analyzed(new, new_options)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(report), _) | (_, Err(report)) => return report_value(&report, false),
    };
    let changes = wireplan::diff(&old, &new);
    let text = if json { wireplan::render::diff::json(&changes) } else { wireplan::render::diff::human(&changes, &Style::plain()) };
    text_value(&text)
}

/// A start-up record (JSON text, named `name` in errors) rendered by
/// `render::timeline`: `format` `chain`, `blame`, `svg` or `trace`.
/// `{ok: true, text}`, or the tagged failure for a record that cannot be
/// read, with the JSON place of what is wrong.
/// A binary plan's header and verdict (`wireplan::inspect`): `{usable,
/// text, json}`, `name` being the file's; with `fingerprint`, the plan
/// must carry it, as a cache for given descriptors requires.
#[wasm_bindgen]
pub fn inspect(bytes: &[u8], name: &str, fingerprint: Option<String>) -> JsValue {
    let expected = match fingerprint.as_deref().map(Fingerprint::from_hex) {
        Some(None) => {
            let message = format!("`{}` is not a fingerprint (32 hex digits)", wireplan::escape(fingerprint.as_deref().unwrap_or("")));
            return report_value(&Report::from(Error::Options { message }), false);
        }
        Some(Some(f)) => Some(f),
        None => None,
    };
    let found = wireplan::inspect(bytes, expected);
    let out = js_sys::Object::new();
    set(&out, "ok", &JsValue::TRUE);
    set(&out, "usable", &JsValue::from_bool(found.usable()));
    set(&out, "text", &JsValue::from_str(&found.human(name)));
    set(&out, "json", &JsValue::from_str(&found.json()));
    out.into()
}

#[wasm_bindgen(js_name = renderTimeline)]
pub fn render_timeline(name: &str, text: &str, format: &str, options: JsValue) -> JsValue {
    let options = match read_options(options) {
        Ok(o) => o,
        Err(report) => return report_value(&report, false),
    };
    match wireplan::Timeline::parse(name, text, &options.limits) {
        Ok(t) => text_value(&match format {
            "blame" => wireplan::render::timeline::blame(&t),
            "svg" => wireplan::render::timeline::svg(&t),
            "trace" => wireplan::render::timeline::chrome_trace(&t),
            _ => wireplan::render::timeline::critical_chain(&t),
        }),
        Err(error) => report_value(&Report::from(error), false),
    }
}

/// The core planner's version.
#[wasm_bindgen]
pub fn version() -> String {
    wireplan::VERSION.to_owned()
}

/// User text (a file name) made safe to print on one line, as the core's
/// renderer shows it (the npm bin's few words of its own).
#[wasm_bindgen]
pub fn escape(text: &str) -> String {
    wireplan::escape(text).into_owned()
}

/// The core's words for a lookup of a key no service provides, naming the
/// closest of `candidates` (the JS runtime's `get`; Python says the same).
#[wasm_bindgen(js_name = unknownKey)]
pub fn unknown_key(key: &str, candidates: Vec<String>) -> String {
    let refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
    wireplan::render::unknown_key(key, &refs).0
}

/// The core's report for a descriptor value the host could not write as JSON
/// (`tag`: `bigint`, `cycle`, `nesting`, `to-json`), as the tagged failure
/// `plan()` returns, so JS throws it like any other `PlanError`.
#[wasm_bindgen(js_name = invalidValue)]
pub fn invalid_value(document: &str, path: &str, tag: &str) -> JsValue {
    let why = wireplan::render::host::Unrepresentable::from_tag(tag);
    report_value(&wireplan::render::host::unrepresentable(document, path, why), false)
}

/// The core's report for a document refused while reading it (the npm bin
/// reads at most `limit` + 1 bytes): `limit-exceeded`, as the core's own size
/// check says it.
#[wasm_bindgen(js_name = inputTooLarge)]
pub fn input_too_large(document: &str, limit: usize, found: usize) -> JsValue {
    report_value(&wireplan::render::host::input_too_large(document, limit, found), false)
}

/// The core's words for an option name not known in `place` (`provide`'s
/// options, a dependency's fields), naming the closest of `known`.
#[wasm_bindgen(js_name = unknownOption)]
pub fn unknown_option(place: &str, name: &str, known: Vec<String>) -> String {
    let refs: Vec<&str> = known.iter().map(String::as_str).collect();
    wireplan::render::option::unknown_option(place, name, &refs)
}

// ---- the runtime's words (`wireplan::render::runtime`), for `js/src/runtime.js` ----

/// The core's words for a factory that failed while the app started.
#[wasm_bindgen(js_name = startFailed)]
pub fn start_failed(service: &str, source: Option<String>, cause: &str, teardown_errors: u32) -> String {
    wireplan::render::runtime::start_failed(service, source.as_deref(), cause, teardown_errors as usize)
}

/// The core's words for a lookup of a key several services provide.
#[wasm_bindgen(js_name = ambiguousKey)]
pub fn ambiguous_key(key: &str, providers: Vec<String>, get_all: &str, get_by_id: &str) -> String {
    let refs: Vec<&str> = providers.iter().map(String::as_str).collect();
    wireplan::render::runtime::ambiguous_key(key, &refs, get_all, get_by_id)
}

/// The core's words for a key registered but left out of the plan.
#[wasm_bindgen(js_name = notPlanned)]
pub fn not_planned(key: &str, profile: Option<String>) -> String {
    wireplan::render::runtime::not_planned(key, profile.as_deref())
}

/// The core's words for a service replaced by another (`replaces`).
#[wasm_bindgen]
pub fn replaced(id: &str, key: &str, by: &str) -> String {
    wireplan::render::runtime::replaced(id, key, by)
}

/// The core's words for a lookup by an id not in the plan, naming the
/// closest of `candidates`.
#[wasm_bindgen(js_name = unknownId)]
pub fn unknown_id(id: &str, candidates: Vec<String>) -> String {
    let refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
    wireplan::render::runtime::unknown_id(id, &refs).0
}

/// The core's words refusing a synchronous start of async factories.
#[wasm_bindgen(js_name = asyncInSyncStart)]
pub fn async_in_sync_start(services: Vec<String>, start_async: &str) -> String {
    let refs: Vec<&str> = services.iter().map(String::as_str).collect();
    wireplan::render::runtime::async_in_sync_start(&refs, start_async)
}

/// The core's words for a factory (`phase` `"start"`) or a dispose
/// (`"stop"`) over its timeout; `limit` and `took` in seconds.
#[wasm_bindgen(js_name = timedOut)]
pub fn timed_out(service: &str, phase: &str, limit: f64, took: Option<f64>) -> String {
    wireplan::render::runtime::timed_out(service, phase, limit, took)
}

/// A health check over its timeout (seconds).
#[wasm_bindgen(js_name = healthTimedOut)]
pub fn health_timed_out(service: &str, limit: f64, took: Option<f64>) -> String {
    wireplan::render::runtime::health_timed_out(service, limit, took)
}

/// A hot reload that failed (`failure`: the start failure's words).
#[wasm_bindgen(js_name = reloadFailed)]
pub fn reload_failed(failure: &str, restored: bool, restore_error: Option<String>) -> String {
    wireplan::render::runtime::reload_failed(failure, restored, restore_error.as_deref())
}

/// `run()`'s line for the first stop signal.
#[wasm_bindgen(js_name = signalReceived)]
pub fn signal_received(signal: &str) -> String {
    wireplan::render::runtime::signal_received(signal)
}

/// `run()`'s line for a second signal forcing the exit.
#[wasm_bindgen(js_name = signalForced)]
pub fn signal_forced(signal: &str, code: i32) -> String {
    wireplan::render::runtime::signal_forced(signal, code)
}

/// `run()`'s last line: a clean stop, or its errors.
#[wasm_bindgen]
pub fn stopped(errors: Vec<String>) -> String {
    let errors: Vec<&str> = errors.iter().map(String::as_str).collect();
    wireplan::render::runtime::stopped(&errors)
}

/// One lifecycle event as one log line (`durationUs` a whole number).
#[wasm_bindgen(js_name = lifecycleEvent)]
pub fn lifecycle_event(kind: &str, id: Option<String>, phase: Option<String>, duration_us: Option<f64>, error: Option<String>) -> String {
    let us = duration_us.filter(|d| d.is_finite() && *d >= 0.0).map(|d| d as u64);
    wireplan::render::runtime::event(kind, id.as_deref(), phase.as_deref(), us, error.as_deref())
}

/// Hot reload (`wireplan::reload`): what moving a running app from `old` to
/// `new` stops, starts and keeps; `changed` names services whose factories
/// JS saw replaced. The numbers as `Uint32Array`s (`keep` flat: old, new,
/// old, new, …), one copy each instead of an array per kept pair.
/// Returns `{stop, start, keep, changed, dependents}`.
#[wasm_bindgen(js_name = reloadFlat)]
pub fn reload_flat(old: &PlanHandle, new: &PlanHandle, changed: Vec<String>) -> JsValue {
    let changed: Vec<&str> = changed.iter().map(String::as_str).collect();
    let r = wireplan::reload(&old.plan, &new.plan, &changed);
    let keep: Vec<u32> = r.keep.iter().flat_map(|&(o, n)| [o, n]).collect();
    let names = |ids: &[String]| -> js_sys::Array { ids.iter().map(|s| JsValue::from_str(s)).collect() };
    let out = js_sys::Object::new();
    set(&out, "stop", &js_sys::Uint32Array::from(&r.stop[..]));
    set(&out, "start", &js_sys::Uint32Array::from(&r.start[..]));
    set(&out, "keep", &js_sys::Uint32Array::from(&keep[..]));
    set(&out, "changed", &names(&r.changed));
    set(&out, "dependents", &names(&r.dependents));
    out.into()
}
