//! The compact binary form of a plan, for disk caches.
//!
//! ```text
//! offset  size  field
//! 0       8     magic  b"WIREPLAN"
//! 8       2     binary format version (u16 LE)
//! 10      6     planner version major, minor, patch (u16 LE each)
//! 16      16    fingerprint (u128 BE)
//! 32      8     body length (u64 LE)
//! 40      8     checksum of the body (XXH3-64, u64 LE)
//! 48      ...   body: the string arena, then columnar fixed-size records
//!               of little-endian u32 words (services, provides, deps,
//!               providers, recipes, layers, id index, unused, warnings)
//! ```
//!
//! Decoding trusts nothing: it checks the header, the length and the
//! checksum, then every span and index as it reads, then the plan's own
//! invariants (start-up order respects every dependency, ids are unique and
//! sorted). Any failure is a [`DecodeFault`]; a cache that fails is rebuilt.

use xxhash_rust::xxh3::Xxh3;

use crate::descriptor::Lifetime;
use crate::diagnostic::Diagnostic;
use crate::error::{DecodeFault, Error};
use crate::fingerprint::Fingerprint;
use crate::plan::{DepRec, Plan, ServiceRec, Slice, SourceRec, Span, LAZY, MANY, OPTIONAL};

/// Magic bytes at the start of every binary plan.
pub const MAGIC: &[u8; 8] = b"WIREPLAN";
/// Version of the binary layout. 2: the checksum covers the header too.
pub const BINARY_VERSION: u16 = 2;
const HEADER: usize = 48;

/// This planner's version, as stored in plan headers.
pub fn planner_version() -> [u16; 3] {
    let mut parts = env!("CARGO_PKG_VERSION").split(['.', '-']).map(|p| p.parse::<u16>().unwrap_or(0));
    [parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0)]
}

/// The checksum in a plan's header: XXH3-64 of the header's first 40 bytes
/// (magic, versions, fingerprint, body length) followed by the body, so a
/// rewritten fingerprint is caught like a flipped bit in the body.
pub fn checksum(head: &[u8], body: &[u8]) -> u64 {
    let mut h = Xxh3::new();
    h.update(head);
    h.update(body);
    h.digest()
}

/// Little-endian u32 words, the unit of the body.
struct Out(Vec<u8>);

impl Out {
    fn w(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn span(&mut self, s: Span) {
        self.w(s.start);
        self.w(s.len);
    }
    fn slice(&mut self, s: Slice) {
        self.w(s.start);
        self.w(s.end);
    }
    fn words(&mut self, items: &[u32]) {
        self.w(items.len() as u32);
        for &i in items {
            self.w(i);
        }
    }
    fn bytes(&mut self, b: &[u8]) {
        self.w(b.len() as u32);
        self.0.extend_from_slice(b);
        while self.0.len() % 4 != 0 {
            self.0.push(0);
        }
    }
}

/// Words per service record: id 2, lifetime 1, provides 2, deps 2,
/// recipe 2, source 5 (present, file 2, line, column), meta 3 (present, span 2).
const SERVICE_WORDS: usize = 17;
/// Words per dependency record: key 2, flags 1, providers 2.
const DEP_WORDS: usize = 5;

impl Plan {
    /// The binary form, for a disk cache. The body is columnar: the string
    /// arena, then fixed-size records in little-endian u32 words, so that
    /// decoding is a few tight loops rather than a parse.
    pub fn encode(&self) -> Vec<u8> {
        // The body is written after room for the header, which is filled in
        // last: one buffer, the body never copied (it is most of a plan).
        let mut b = Out(Vec::with_capacity(
            HEADER
                + self.text.len()
                + self.services.len() * 4 * SERVICE_WORDS
                + self.deps.len() * 4 * DEP_WORDS
                + self.providers.len() * 4
                + 64,
        ));
        b.0.resize(HEADER, 0);
        b.bytes(self.text.as_bytes());
        match self.profile {
            None => b.w(0),
            Some(p) => {
                b.w(1);
                b.span(p);
            }
        }
        b.w(self.roots.len() as u32);
        for &r in &self.roots {
            b.span(r);
        }
        b.w(self.services.len() as u32);
        b.w(self.singletons);
        for s in &self.services {
            b.span(s.id);
            b.w(u32::from(s.lifetime.to_u8()));
            b.slice(s.provides);
            b.slice(s.deps);
            b.slice(s.recipe);
            let src = s.source.unwrap_or_default();
            b.w(u32::from(s.source.is_some()));
            b.span(src.file);
            b.w(src.line);
            b.w(src.column);
            b.w(u32::from(s.meta.is_some()));
            b.span(s.meta.unwrap_or_default());
        }
        b.w(self.provides.len() as u32);
        for &p in &self.provides {
            b.span(p);
        }
        b.w(self.deps.len() as u32);
        for d in &self.deps {
            b.span(d.key);
            b.w(u32::from(d.flags));
            b.slice(d.providers);
        }
        b.words(&self.providers);
        b.words(&self.recipes);
        b.words(&self.layer_ends);
        b.words(&self.by_id);
        b.w(self.unused.len() as u32);
        for &u in &self.unused {
            b.span(u);
        }
        let warnings = if self.warnings.is_empty() { String::new() } else { serde_json::to_string(&self.warnings).unwrap_or_default() };
        b.bytes(warnings.as_bytes());

        let mut out = b.0;
        let body_len = out.len().saturating_sub(HEADER);
        let mut head = Vec::with_capacity(HEADER);
        head.extend_from_slice(MAGIC);
        head.extend_from_slice(&BINARY_VERSION.to_le_bytes());
        for part in planner_version() {
            head.extend_from_slice(&part.to_le_bytes());
        }
        head.extend_from_slice(&self.fingerprint.to_bytes());
        head.extend_from_slice(&(body_len as u64).to_le_bytes());
        let sum = checksum(&head, out.get(HEADER..).unwrap_or(&[]));
        head.extend_from_slice(&sum.to_le_bytes());
        if let Some(room) = out.get_mut(..HEADER) {
            room.copy_from_slice(&head);
        }
        out
    }

    /// Reads the fingerprint from a binary plan's header without decoding it.
    ///
    /// # Errors
    /// [`DecodeFault::BadMagic`] or [`DecodeFault::Truncated`].
    pub fn peek_fingerprint(bytes: &[u8]) -> Result<Fingerprint, Error> {
        if bytes.len() < HEADER {
            return Err(if bytes.starts_with(MAGIC.get(..bytes.len().min(8)).unwrap_or(&[])) {
                DecodeFault::Truncated
            } else {
                DecodeFault::BadMagic
            }
            .into());
        }
        if bytes.get(..8) != Some(&MAGIC[..]) {
            return Err(DecodeFault::BadMagic.into());
        }
        let mut fp = [0u8; 16];
        fp.copy_from_slice(bytes.get(16..32).ok_or(DecodeFault::Truncated)?);
        Ok(Fingerprint(u128::from_be_bytes(fp)))
    }

    /// Decodes a binary plan. With `expected`, the plan must have been made
    /// from descriptors and options of that fingerprint.
    ///
    /// # Errors
    /// [`Error::Decode`] for anything corrupt, truncated, of another format
    /// or planner version, or of another fingerprint. Never panics.
    ///
    /// # Complexity
    /// O(size): one pass to read, one to check the plan's invariants.
    pub fn decode(bytes: &[u8], expected: Option<Fingerprint>) -> Result<Plan, Error> {
        let fingerprint = Plan::peek_fingerprint(bytes)?;
        let u16_at = |i: usize| -> u16 {
            bytes.get(i..i + 2).map_or(0, |b| u16::from_le_bytes([b.first().copied().unwrap_or(0), b.get(1).copied().unwrap_or(0)]))
        };
        let format = u16_at(8);
        if format != BINARY_VERSION {
            return Err(DecodeFault::FormatVersion { found: format, expected: BINARY_VERSION }.into());
        }
        let version = [u16_at(10), u16_at(12), u16_at(14)];
        if version != planner_version() {
            let show = |v: [u16; 3]| format!("{}.{}.{}", v[0], v[1], v[2]);
            return Err(DecodeFault::PlannerVersion { found: show(version), expected: show(planner_version()) }.into());
        }
        if let Some(expected) = expected {
            if expected != fingerprint {
                return Err(DecodeFault::Fingerprint { expected: expected.to_string(), found: fingerprint.to_string() }.into());
            }
        }
        let u64_at = |i: usize| -> u64 {
            let mut a = [0u8; 8];
            if let Some(b) = bytes.get(i..i + 8) {
                a.copy_from_slice(b);
            }
            u64::from_le_bytes(a)
        };
        let body_len = u64_at(32);
        let body = bytes.get(HEADER..).ok_or(DecodeFault::Truncated)?;
        if (body.len() as u64) < body_len {
            return Err(DecodeFault::Truncated.into());
        }
        if body.len() as u64 != body_len {
            return Err(DecodeFault::Corrupt("trailing bytes after the plan".to_owned()).into());
        }
        if checksum(bytes.get(..40).unwrap_or_default(), body) != u64_at(40) {
            return Err(DecodeFault::Checksum.into());
        }
        let plan = Reader { b: body, pos: 0 }.plan(fingerprint)?;
        validate(&plan)?;
        Ok(plan)
    }
}

fn corrupt(what: &str) -> Error {
    DecodeFault::Corrupt(what.to_owned()).into()
}

struct Reader<'b> {
    b: &'b [u8],
    pos: usize,
}

impl<'b> Reader<'b> {
    fn w(&mut self) -> Result<u32, Error> {
        let bytes = self.b.get(self.pos..self.pos + 4).ok_or(DecodeFault::Truncated)?;
        self.pos += 4;
        let mut a = [0u8; 4];
        a.copy_from_slice(bytes);
        Ok(u32::from_le_bytes(a))
    }
    /// `count` records of `width` words, as one slice of the body.
    fn block(&mut self, count: usize, width: usize) -> Result<&'b [u8], Error> {
        let len = count.checked_mul(width * 4).ok_or(DecodeFault::Truncated)?;
        let out = self.b.get(self.pos..self.pos.saturating_add(len)).ok_or(DecodeFault::Truncated)?;
        self.pos += len;
        Ok(out)
    }
    fn bytes(&mut self) -> Result<&'b [u8], Error> {
        let len = self.w()? as usize;
        let out = self.b.get(self.pos..self.pos.saturating_add(len)).ok_or(DecodeFault::Truncated)?;
        let padded = len.div_ceil(4) * 4;
        // Padding is zeros, as the encoder writes it: only its own bytes decode.
        let padding = self.b.get(self.pos + len..self.pos.saturating_add(padded)).ok_or(DecodeFault::Truncated)?;
        if padding.iter().any(|&b| b != 0) {
            return Err(corrupt("padding is not zeros"));
        }
        self.pos += padded;
        Ok(out)
    }
    fn span(&mut self) -> Result<Span, Error> {
        Ok(Span { start: self.w()?, len: self.w()? })
    }
    fn words(&mut self) -> Result<Vec<u32>, Error> {
        let n = self.w()? as usize;
        Ok(words(self.block(n, 1)?).collect())
    }
    fn spans(&mut self) -> Result<Vec<Span>, Error> {
        let n = self.w()? as usize;
        let mut it = words(self.block(n, 2)?);
        let mut out = Vec::with_capacity(n);
        while let (Some(start), Some(len)) = (it.next(), it.next()) {
            out.push(Span { start, len });
        }
        Ok(out)
    }

    fn plan(mut self, fingerprint: Fingerprint) -> Result<Plan, Error> {
        let text = std::str::from_utf8(self.bytes()?).map_err(|_| corrupt("strings are not UTF-8"))?.to_owned();
        let profile = match self.w()? {
            0 => None,
            1 => Some(self.span()?),
            _ => return Err(corrupt("bad profile tag")),
        };
        let roots = self.spans()?;
        let n = self.w()? as usize;
        let singletons = self.w()?;
        let mut services = Vec::with_capacity(n.min(self.b.len() / (4 * SERVICE_WORDS)));
        let records = self.block(n, SERVICE_WORDS)?;
        for rec in records.chunks_exact(4 * SERVICE_WORDS) {
            let mut f = [0u32; SERVICE_WORDS];
            for (slot, word) in f.iter_mut().zip(words(rec)) {
                *slot = word;
            }
            let [id_s, id_l, life, ps, pe, ds, de, rs, re, has_src, fs, fl, line, column, has_meta, ms, ml] = f;
            let lifetime = u8::try_from(life).ok().and_then(Lifetime::from_u8).ok_or_else(|| corrupt("bad lifetime"))?;
            let source = match has_src {
                0 if fs == 0 && fl == 0 && line == 0 && column == 0 => None,
                1 => Some(SourceRec { file: Span { start: fs, len: fl }, line, column }),
                _ => return Err(corrupt("bad source tag")),
            };
            let meta = match has_meta {
                0 if ms == 0 && ml == 0 => None,
                1 => Some(Span { start: ms, len: ml }),
                _ => return Err(corrupt("bad meta tag")),
            };
            services.push(ServiceRec {
                id: Span { start: id_s, len: id_l },
                lifetime,
                provides: Slice { start: ps, end: pe },
                deps: Slice { start: ds, end: de },
                recipe: Slice { start: rs, end: re },
                source,
                meta,
                layer: u32::MAX,
            });
        }
        let provides = self.spans()?;
        let nd = self.w()? as usize;
        let mut deps = Vec::with_capacity(nd.min(self.b.len() / (4 * DEP_WORDS)));
        let mut it = words(self.block(nd, DEP_WORDS)?);
        while let (Some(ks), Some(kl), Some(flags), Some(ps), Some(pe)) = (it.next(), it.next(), it.next(), it.next(), it.next()) {
            let flags = u8::try_from(flags).ok().filter(|f| f & !(OPTIONAL | MANY | LAZY) == 0).ok_or_else(|| corrupt("bad flags"))?;
            deps.push(DepRec { key: Span { start: ks, len: kl }, flags, providers: Slice { start: ps, end: pe } });
        }
        let providers = self.words()?;
        let recipes = self.words()?;
        let layer_ends = self.words()?;
        let by_id = self.words()?;
        let unused = self.spans()?;
        let warnings_json = self.bytes()?;
        let warnings: Vec<Diagnostic> = if warnings_json.is_empty() {
            Vec::new()
        } else {
            serde_json::from_slice(warnings_json).map_err(|_| corrupt("bad warnings"))?
        };
        // The encoder writes no warnings as nothing, others compactly.
        if !warnings_json.is_empty() && (warnings.is_empty() || serde_json::to_vec(&warnings).ok().as_deref() != Some(warnings_json)) {
            return Err(corrupt("warnings not as written"));
        }
        if self.pos != self.b.len() {
            return Err(corrupt("trailing bytes in the body"));
        }
        if singletons as usize > n || by_id.len() != n {
            return Err(corrupt("service counts disagree"));
        }
        let mut prev = 0u32;
        for (i, &end) in layer_ends.iter().enumerate() {
            if end <= prev || end > singletons {
                return Err(corrupt("bad layer boundaries"));
            }
            for s in services.get_mut(prev as usize..end as usize).unwrap_or(&mut []) {
                s.layer = i as u32;
            }
            prev = end;
        }
        if prev != singletons {
            return Err(corrupt("layers do not cover the singletons"));
        }
        Ok(Plan {
            fingerprint,
            text,
            profile,
            roots,
            services,
            provides,
            deps,
            providers,
            singletons,
            layer_ends,
            recipes,
            by_id,
            unused,
            warnings,
        })
    }
}

/// The little-endian u32 words of a block.
fn words(block: &[u8]) -> impl Iterator<Item = u32> + '_ {
    block.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

/// Checks the invariants a plan must have, whatever bytes it came from.
fn validate(plan: &Plan) -> Result<(), Error> {
    let n = plan.services.len();
    let on_boundary = |s: Span| plan.text.get(s.start as usize..(s.start as usize).saturating_add(s.len as usize)).is_some();
    let within = |s: Slice, len: usize| s.start <= s.end && s.end as usize <= len;
    if plan.providers.iter().chain(plan.recipes.iter()).any(|&p| p as usize >= n) {
        return Err(corrupt("service number out of range"));
    }
    if plan.provides.iter().chain(plan.unused.iter()).chain(plan.roots.iter()).chain(plan.profile.iter()).any(|&p| !on_boundary(p)) {
        return Err(corrupt("string out of range"));
    }
    for d in &plan.deps {
        if !on_boundary(d.key) || !within(d.providers, plan.providers.len()) {
            return Err(corrupt("dependency out of range"));
        }
    }
    for (i, s) in plan.services.iter().enumerate() {
        let singleton = (i as u32) < plan.singletons;
        if singleton != (s.lifetime == Lifetime::Singleton) {
            return Err(corrupt("singletons are not first"));
        }
        if !on_boundary(s.id) || s.source.is_some_and(|src| !on_boundary(src.file)) || s.meta.is_some_and(|m| !on_boundary(m)) {
            return Err(corrupt("string out of range"));
        }
        if !within(s.provides, plan.provides.len()) || !within(s.deps, plan.deps.len()) || !within(s.recipe, plan.recipes.len()) {
            return Err(corrupt("record out of range"));
        }
        if singleton && s.recipe.start != s.recipe.end {
            return Err(corrupt("a singleton has a recipe"));
        }
        if !singleton {
            continue;
        }
        for d in plan.deps.get(s.deps.start as usize..s.deps.end as usize).unwrap_or(&[]) {
            if d.flags & LAZY != 0 {
                continue;
            }
            for &p in plan.providers.get(d.providers.start as usize..d.providers.end as usize).unwrap_or(&[]) {
                // A singleton's singleton dependencies start in an earlier layer.
                if plan.services.get(p as usize).is_some_and(|ps| ps.lifetime == Lifetime::Singleton && ps.layer >= s.layer) {
                    return Err(corrupt("start-up order breaks a dependency"));
                }
            }
        }
    }
    let mut seen = vec![false; n];
    let mut prev: Option<&str> = None;
    for &i in &plan.by_id {
        let slot = seen.get_mut(i as usize).ok_or_else(|| corrupt("service number out of range"))?;
        if *slot {
            return Err(corrupt("id index repeats a service"));
        }
        *slot = true;
        let id = plan.services.get(i as usize).map_or("", |s| plan.str(s.id));
        if prev.is_some_and(|p| p >= id) {
            return Err(corrupt("ids are not unique and sorted"));
        }
        prev = Some(id);
    }
    Ok(())
}
