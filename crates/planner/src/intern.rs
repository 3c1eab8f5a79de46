//! The graph's interning table: every id and key string numbered once, in
//! the order first met.
//!
//! Why not a `HashMap<&str, u32>`: past the L2 cache (a 100k-service graph
//! and up), a lookup there reads the control bytes, then a 24-byte bucket,
//! then the stored key's text, and interning was a third of planning. Here
//! a slot is eight bytes, the hash's high half and the number (a table a
//! third the size, 16 MB where a 1M-service graph's buckets took 50), the
//! text compared only when the hash matches; and [`Interner::intern_all`]
//! looks a batch up in two passes, the first only touching each string's
//! slot, so the misses of a batch overlap instead of queueing (a 1M-service
//! plan takes 15% less time than with one lookup after another; at 100k,
//! where the table fits the L3 cache, no difference).
//!
//! Hash flooding: descriptors are hostile input, and a fixed public hash
//! lets an attacker write keys that all collide, turning each lookup into
//! a scan. The hash is xxh3 seeded from the input's own text
//! ([`seed_of`]): keys crafted to collide under one seed change the seed
//! they are hashed with. No output depends on the seed: numbers are given
//! in the order strings are first met, and nothing iterates the slots.

use xxhash_rust::xxh3::{xxh3_64_with_seed, Xxh3};

/// One slot: `key` is the string's number plus one (0: empty), `tag` the
/// high half of its hash; the text is `keys[key - 1]`.
#[derive(Clone, Copy, Default)]
struct Slot {
    tag: u32,
    key: u32,
}

/// Strings numbered in the order first met.
pub(crate) struct Interner<'d> {
    seed: u64,
    slots: Vec<Slot>,
    mask: usize,
    keys: Vec<&'d str>,
}

/// How many lookups [`Interner::intern_all`] overlaps.
const BATCH: usize = 16;

/// The seed for strings read from `texts`: their own hash.
pub(crate) fn seed_of<'t>(texts: impl Iterator<Item = &'t str>) -> u64 {
    let mut h = Xxh3::new();
    for t in texts {
        h.update(&(t.len() as u64).to_le_bytes());
        h.update(t.as_bytes());
    }
    h.digest()
}

fn hash(s: &str, seed: u64) -> u64 {
    xxh3_64_with_seed(s.as_bytes(), seed)
}

impl<'d> Interner<'d> {
    /// An empty table with room for about `expected` strings before it grows.
    pub fn new(expected: usize, seed: u64) -> Self {
        let slots = (expected.max(8) * 2).next_power_of_two();
        Interner { seed, slots: vec![Slot::default(); slots], mask: slots - 1, keys: Vec::with_capacity(expected) }
    }

    /// The strings, by number.
    pub fn keys(&self) -> &[&'d str] {
        &self.keys
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    fn hash(&self, s: &str) -> u64 {
        hash(s, self.seed)
    }

    /// The number of `s`, if it has one.
    pub fn get(&self, s: &str) -> Option<u32> {
        let h = self.hash(s);
        let tag = (h >> 32) as u32;
        let mut i = h as usize & self.mask;
        // INVARIANT: at most half the slots are taken, so an empty one ends the probe.
        loop {
            let slot = self.slots.get(i)?;
            if slot.key == 0 {
                return None;
            }
            if slot.tag == tag && self.keys.get(slot.key as usize - 1) == Some(&s) {
                return Some(slot.key - 1);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The number of `s`, adding it when new.
    pub fn intern(&mut self, s: &'d str) -> u32 {
        let h = self.hash(s);
        self.intern_hashed(s, h)
    }

    fn intern_hashed(&mut self, s: &'d str, h: u64) -> u32 {
        let tag = (h >> 32) as u32;
        let mut i = h as usize & self.mask;
        loop {
            match self.slots.get_mut(i) {
                Some(slot) if slot.key == 0 => {
                    let key = self.keys.len() as u32;
                    *slot = Slot { tag, key: key + 1 };
                    self.keys.push(s);
                    if self.keys.len() * 2 > self.slots.len() {
                        self.grow();
                    }
                    return key;
                }
                Some(slot) if slot.tag == tag && self.keys.get(slot.key as usize - 1) == Some(&s) => return slot.key - 1,
                Some(_) => i = (i + 1) & self.mask,
                // INVARIANT: `i` is masked; unreachable.
                None => i = 0,
            }
        }
    }

    /// Interns each string of `strs` in order, pushing its number to `out`:
    /// the same numbers as [`Interner::intern`] one by one, faster on big
    /// tables (see the module's doc).
    pub fn intern_all(&mut self, strs: impl Iterator<Item = &'d str>, out: &mut Vec<u32>) {
        let mut batch: [(&'d str, u64); BATCH] = [("", 0); BATCH];
        let mut strs = strs.peekable();
        while strs.peek().is_some() {
            let mut n = 0;
            // Pass one: hash, and touch each slot (independent loads the
            // processor overlaps); the sum keeps the loads from being dropped.
            let mut touched = 0u32;
            for (entry, s) in batch.iter_mut().zip(strs.by_ref()) {
                let h = self.hash(s);
                touched = touched.wrapping_add(self.slots.get(h as usize & self.mask).map_or(0, |slot| slot.tag));
                *entry = (s, h);
                n += 1;
            }
            std::hint::black_box(touched);
            // Pass two: the lookups themselves, in order.
            for &(s, h) in batch.iter().take(n) {
                out.push(self.intern_hashed(s, h));
            }
        }
    }

    /// Doubles the slots and places every string again.
    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        self.slots = vec![Slot::default(); size];
        self.mask = size - 1;
        for (key, &s) in self.keys.iter().enumerate() {
            let h = hash(s, self.seed);
            let tag = (h >> 32) as u32;
            let mut i = h as usize & self.mask;
            while let Some(slot) = self.slots.get_mut(i) {
                if slot.key == 0 {
                    *slot = Slot { tag, key: key as u32 + 1 };
                    break;
                }
                i = (i + 1) & self.mask;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_strings_in_the_order_first_met() {
        let mut t = Interner::new(1, 7);
        assert_eq!(t.intern("b"), 0);
        assert_eq!(t.intern("a"), 1);
        assert_eq!(t.intern("b"), 0);
        assert_eq!(t.get("a"), Some(1));
        assert_eq!(t.get("c"), None);
        assert_eq!(t.keys(), &["b", "a"]);
    }

    #[test]
    fn a_batch_gives_the_numbers_one_by_one_would_across_growth() {
        let words: Vec<String> = (0..5000).map(|i| format!("k{}", (i * 7919) % 3001)).collect();
        let mut one = Interner::new(4, 1);
        let singly: Vec<u32> = words.iter().map(|w| one.intern(w)).collect();
        let mut all = Interner::new(4, 2);
        let mut batched = Vec::new();
        all.intern_all(words.iter().map(String::as_str), &mut batched);
        assert_eq!(singly, batched);
        assert_eq!(one.keys(), all.keys());
        assert_eq!(all.len(), 3001);
        for (i, k) in all.keys().iter().enumerate() {
            assert_eq!(all.get(k), Some(i as u32));
        }
    }

    #[test]
    fn the_empty_string_is_a_key_like_any_other() {
        let mut t = Interner::new(2, 0);
        assert_eq!(t.intern(""), 0);
        assert_eq!(t.intern("x"), 1);
        assert_eq!(t.get(""), Some(0));
    }

    #[test]
    fn the_seed_is_the_input_text_and_changes_with_it() {
        assert_eq!(seed_of(["ab", "c"].into_iter()), seed_of(["ab", "c"].into_iter()));
        assert_ne!(seed_of(["ab", "c"].into_iter()), seed_of(["a", "bc"].into_iter()));
    }
}
