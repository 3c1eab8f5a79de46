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
//! 48      ...   body: LEB128 integers and one string arena
//! ```
//!
//! Decoding trusts nothing: it checks the header, the length and the
//! checksum, then every span and index as it reads, then the plan's own
//! invariants (start-up order respects every dependency, ids are unique and
//! sorted). Any failure is a [`DecodeFault`]; a cache that fails is rebuilt.

use xxhash_rust::xxh3::xxh3_64;

use crate::descriptor::Lifetime;
use crate::diagnostic::Diagnostic;
use crate::error::{DecodeFault, Error};
use crate::fingerprint::Fingerprint;
use crate::plan::{DepRec, Plan, ServiceRec, Slice, SourceRec, Span, LAZY, MANY, OPTIONAL};

/// Magic bytes at the start of every binary plan.
pub const MAGIC: &[u8; 8] = b"WIREPLAN";
/// Version of the binary layout (and of the plan JSON).
pub const FORMAT_VERSION: u16 = 1;
const HEADER: usize = 48;

/// This planner's version, as stored in plan headers.
pub fn planner_version() -> [u16; 3] {
    let mut parts = env!("CARGO_PKG_VERSION").split(['.', '-']).map(|p| p.parse::<u16>().unwrap_or(0));
    [parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0)]
}

struct Out(Vec<u8>);

impl Out {
    fn u(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    fn span(&mut self, s: Span) {
        self.u(u64::from(s.start));
        self.u(u64::from(s.len));
    }
}

impl Plan {
    /// The binary form, for a disk cache.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Out(Vec::with_capacity(self.text.len() + self.services.len() * 16 + self.deps.len() * 8));
        b.u(self.text.len() as u64);
        b.0.extend_from_slice(self.text.as_bytes());
        match self.profile {
            None => b.u(0),
            Some(p) => {
                b.u(1);
                b.span(p);
            }
        }
        b.u(self.roots.len() as u64);
        for &r in &self.roots {
            b.span(r);
        }
        b.u(self.services.len() as u64);
        b.u(u64::from(self.singletons));
        for s in &self.services {
            b.span(s.id);
            b.u(u64::from(s.lifetime.to_u8()));
            let provides = self.provides.get(s.provides.start as usize..s.provides.end as usize).unwrap_or(&[]);
            b.u(provides.len() as u64);
            for &p in provides {
                b.span(p);
            }
            let deps = self.deps.get(s.deps.start as usize..s.deps.end as usize).unwrap_or(&[]);
            b.u(deps.len() as u64);
            for d in deps {
                b.span(d.key);
                b.u(u64::from(d.flags));
                let ps = self.providers.get(d.providers.start as usize..d.providers.end as usize).unwrap_or(&[]);
                b.u(ps.len() as u64);
                for &p in ps {
                    b.u(u64::from(p));
                }
            }
            let recipe = self.recipes.get(s.recipe.start as usize..s.recipe.end as usize).unwrap_or(&[]);
            b.u(recipe.len() as u64);
            for &r in recipe {
                b.u(u64::from(r));
            }
            match s.source {
                None => b.u(0),
                Some(src) => {
                    b.u(1);
                    b.span(src.file);
                    b.u(u64::from(src.line));
                    b.u(u64::from(src.column));
                }
            }
            match s.meta {
                None => b.u(0),
                Some(m) => {
                    b.u(1);
                    b.span(m);
                }
            }
        }
        b.u(self.layer_ends.len() as u64);
        for &e in &self.layer_ends {
            b.u(u64::from(e));
        }
        for &i in &self.by_id {
            b.u(u64::from(i));
        }
        b.u(self.unused.len() as u64);
        for &u in &self.unused {
            b.span(u);
        }
        let warnings = if self.warnings.is_empty() { String::new() } else { serde_json::to_string(&self.warnings).unwrap_or_default() };
        b.u(warnings.len() as u64);
        b.0.extend_from_slice(warnings.as_bytes());

        let body = b.0;
        let mut out = Vec::with_capacity(HEADER + body.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        for part in planner_version() {
            out.extend_from_slice(&part.to_le_bytes());
        }
        out.extend_from_slice(&self.fingerprint.to_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&xxh3_64(&body).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// Reads the fingerprint from a binary plan's header without decoding it.
    ///
    /// # Errors
    /// [`DecodeFault::BadMagic`] or [`DecodeFault::Truncated`].
    pub fn peek_fingerprint(bytes: &[u8]) -> Result<Fingerprint, Error> {
        if bytes.len() < HEADER {
            return Err(if bytes.starts_with(MAGIC.get(..bytes.len().min(8)).unwrap_or(&[])) { DecodeFault::Truncated } else { DecodeFault::BadMagic }.into());
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
        let u16_at = |i: usize| -> u16 { bytes.get(i..i + 2).map_or(0, |b| u16::from_le_bytes([b.first().copied().unwrap_or(0), b.get(1).copied().unwrap_or(0)])) };
        let format = u16_at(8);
        if format != FORMAT_VERSION {
            return Err(DecodeFault::FormatVersion { found: format, expected: FORMAT_VERSION }.into());
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
        if xxh3_64(body) != u64_at(40) {
            return Err(DecodeFault::Checksum.into());
        }
        let plan = Reader { b: body, pos: 0, text_len: 0 }.plan(fingerprint)?;
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
    text_len: u32,
}

impl Reader<'_> {
    fn u(&mut self) -> Result<u64, Error> {
        let mut v: u64 = 0;
        let mut shift = 0u32;
        loop {
            let byte = *self.b.get(self.pos).ok_or(DecodeFault::Truncated)?;
            self.pos += 1;
            if shift >= 64 || (shift == 63 && byte > 1) {
                return Err(corrupt("integer too large"));
            }
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }
    fn u32(&mut self) -> Result<u32, Error> {
        u32::try_from(self.u()?).map_err(|_| corrupt("integer too large"))
    }
    /// A count of items each taking at least one byte: bounded by what is left.
    fn count(&mut self) -> Result<usize, Error> {
        let n = self.u()?;
        let left = (self.b.len() - self.pos.min(self.b.len())) as u64;
        if n > left {
            return Err(DecodeFault::Truncated.into());
        }
        Ok(n as usize)
    }
    fn span(&mut self) -> Result<Span, Error> {
        let start = self.u32()?;
        let len = self.u32()?;
        if u64::from(start) + u64::from(len) > u64::from(self.text_len) {
            return Err(corrupt("string out of range"));
        }
        Ok(Span { start, len })
    }
    fn index(&mut self, n: usize) -> Result<u32, Error> {
        let i = self.u32()?;
        if i as usize >= n {
            return Err(corrupt("service number out of range"));
        }
        Ok(i)
    }

    fn plan(mut self, fingerprint: Fingerprint) -> Result<Plan, Error> {
        let text_len = self.count()?;
        let text_bytes = self.b.get(self.pos..self.pos + text_len).ok_or(DecodeFault::Truncated)?;
        let text = std::str::from_utf8(text_bytes).map_err(|_| corrupt("strings are not UTF-8"))?.to_owned();
        self.pos += text_len;
        self.text_len = u32::try_from(text_len).map_err(|_| corrupt("string arena too large"))?;
        let profile = match self.u()? {
            0 => None,
            1 => Some(self.span()?),
            _ => return Err(corrupt("bad profile tag")),
        };
        let nroots = self.count()?;
        let roots = (0..nroots).map(|_| self.span()).collect::<Result<Vec<_>, _>>()?;
        let n = self.count()?;
        let singletons = self.u32()?;
        if singletons as usize > n {
            return Err(corrupt("more singletons than services"));
        }
        let mut services = Vec::with_capacity(n);
        let mut provides = Vec::new();
        let mut deps = Vec::new();
        let mut providers = Vec::new();
        let mut recipes = Vec::new();
        for _ in 0..n {
            let id = self.span()?;
            let lifetime = Lifetime::from_u8(u8::try_from(self.u()?).unwrap_or(u8::MAX)).ok_or_else(|| corrupt("bad lifetime"))?;
            let np = self.count()?;
            let p_start = provides.len() as u32;
            for _ in 0..np {
                provides.push(self.span()?);
            }
            let nd = self.count()?;
            let d_start = deps.len() as u32;
            for _ in 0..nd {
                let key = self.span()?;
                let flags = u8::try_from(self.u()?).map_err(|_| corrupt("bad flags"))?;
                if flags & !(OPTIONAL | MANY | LAZY) != 0 {
                    return Err(corrupt("bad flags"));
                }
                let k = self.count()?;
                let pr_start = providers.len() as u32;
                for _ in 0..k {
                    providers.push(self.index(n)?);
                }
                deps.push(DepRec { key, flags, providers: Slice { start: pr_start, end: providers.len() as u32 } });
            }
            let nr = self.count()?;
            let r_start = recipes.len() as u32;
            for _ in 0..nr {
                recipes.push(self.index(n)?);
            }
            let source = match self.u()? {
                0 => None,
                1 => Some(SourceRec { file: self.span()?, line: self.u32()?, column: self.u32()? }),
                _ => return Err(corrupt("bad source tag")),
            };
            let meta = match self.u()? {
                0 => None,
                1 => Some(self.span()?),
                _ => return Err(corrupt("bad meta tag")),
            };
            services.push(ServiceRec {
                id,
                lifetime,
                provides: Slice { start: p_start, end: provides.len() as u32 },
                deps: Slice { start: d_start, end: deps.len() as u32 },
                recipe: Slice { start: r_start, end: recipes.len() as u32 },
                source,
                meta,
                layer: u32::MAX,
            });
        }
        let nl = self.count()?;
        let mut layer_ends = Vec::with_capacity(nl);
        let mut prev = 0u32;
        for i in 0..nl {
            let e = self.u32()?;
            if e <= prev || e > singletons {
                return Err(corrupt("bad layer boundaries"));
            }
            for s in services.get_mut(prev as usize..e as usize).unwrap_or(&mut []) {
                s.layer = i as u32;
            }
            prev = e;
            layer_ends.push(e);
        }
        if prev != singletons {
            return Err(corrupt("layers do not cover the singletons"));
        }
        let mut by_id = Vec::with_capacity(n);
        for _ in 0..n {
            by_id.push(self.index(n)?);
        }
        let nu = self.count()?;
        let unused = (0..nu).map(|_| self.span()).collect::<Result<Vec<_>, _>>()?;
        let wl = self.count()?;
        let wbytes = self.b.get(self.pos..self.pos + wl).ok_or(DecodeFault::Truncated)?;
        self.pos += wl;
        let warnings: Vec<Diagnostic> = if wl == 0 { Vec::new() } else { serde_json::from_slice(wbytes).map_err(|_| corrupt("bad warnings"))? };
        if self.pos != self.b.len() {
            return Err(corrupt("trailing bytes in the body"));
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

/// Checks the invariants a plan must have, whatever bytes it came from.
fn validate(plan: &Plan) -> Result<(), Error> {
    let n = plan.services.len();
    let on_boundary = |s: Span| plan.text.get(s.start as usize..(s.start as usize + s.len as usize)).is_some();
    for (i, s) in plan.services.iter().enumerate() {
        let singleton = (i as u32) < plan.singletons;
        if singleton != (s.lifetime == Lifetime::Singleton) {
            return Err(corrupt("singletons are not first"));
        }
        if !on_boundary(s.id) || s.source.is_some_and(|src| !on_boundary(src.file)) || s.meta.is_some_and(|m| !on_boundary(m)) {
            return Err(corrupt("string not on a character boundary"));
        }
        if singleton && s.recipe.start != s.recipe.end {
            return Err(corrupt("a singleton has a recipe"));
        }
        for d in plan.deps.get(s.deps.start as usize..s.deps.end as usize).unwrap_or(&[]) {
            if !on_boundary(d.key) {
                return Err(corrupt("string not on a character boundary"));
            }
            if d.flags & LAZY != 0 {
                continue;
            }
            for &p in plan.providers.get(d.providers.start as usize..d.providers.end as usize).unwrap_or(&[]) {
                let ps = plan.services.get(p as usize).ok_or_else(|| corrupt("service number out of range"))?;
                // A singleton's singleton dependencies start in an earlier layer.
                if singleton && ps.lifetime == Lifetime::Singleton && ps.layer >= s.layer {
                    return Err(corrupt("start-up order breaks a dependency"));
                }
            }
        }
    }
    if plan.provides.iter().any(|&p| !on_boundary(p)) || plan.unused.iter().chain(plan.roots.iter()).any(|&p| !on_boundary(p)) {
        return Err(corrupt("string not on a character boundary"));
    }
    if plan.profile.is_some_and(|p| !on_boundary(p)) {
        return Err(corrupt("string not on a character boundary"));
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
