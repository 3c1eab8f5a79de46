//! Did-you-mean suggestions for keys and ids that name nothing.
//!
//! A candidate is close when it differs only in case; when it has the same
//! last segment (`app.db.Database` for `Database`); when one is the other
//! with whole segments added (a module path `app.db.`, a `#name`), never a
//! letter or two (`ab` is no suggestion for `a`); or when the last segments
//! are a small edit distance apart for their length: none for one or two
//! characters, 1 for three to five, 2 for six to eight, 3 past that. The
//! distance is measured on the last segment of qualified names, so that a
//! long module path does not allow a larger distance, nor a typo in it hide
//! a match of the name itself.
//!
//! Work is bounded by what it costs, not by how many candidates there are:
//! every comparison is charged the bytes it may read, the edit distance is
//! computed only between names of nearly the same length and only inside a
//! band of width 2k + 1 (k the largest distance that counts), and a report
//! spends at most [`REPORT_WORK`] units on all its suggestions together.
//! So 200 missing keys against 200 near-identical 4 KiB keys cost a few
//! milliseconds, and no report's suggestions cost more than a fixed amount
//! whatever the input.

/// Work units (about one byte compared each) that the suggestions of one
/// check of a report may spend in all: about 0.1 s on one core.
pub(crate) const REPORT_WORK: usize = 64 << 20;

/// Work units one call of [`suggest`] may spend (a runtime's lookup).
const CALL_WORK: usize = 16 << 20;

/// Most suggestions one check of a report computes, however cheap.
const MOST_SUGGESTIONS: usize = 200;

/// The suggestions of one check of a report, under one budget: up to 200
/// searches, and [`REPORT_WORK`] units for all of them. Once either is
/// spent, the remaining diagnostics get no suggestion.
pub(crate) struct Suggester {
    work: usize,
    searches: usize,
}

impl Suggester {
    pub(crate) fn new() -> Self {
        Suggester { work: REPORT_WORK, searches: MOST_SUGGESTIONS }
    }

    /// Up to three suggestions for `wanted`, best first; none once the
    /// budget is spent.
    pub(crate) fn next<'c>(&mut self, wanted: &str, candidates: &[&'c str]) -> Vec<&'c str> {
        if self.searches == 0 || self.work == 0 {
            return Vec::new();
        }
        self.searches -= 1;
        search(wanted, candidates, &mut self.work)
    }
}

/// Up to three suggestions for `wanted` among `candidates`, best first.
///
/// # Complexity
/// O(C · L) for C candidates of length L, and never more than a fixed
/// budget of work (about 16 million bytes compared): past it, the
/// candidates not yet looked at are not suggested.
pub fn suggest<'c>(wanted: &str, candidates: &[&'c str]) -> Vec<&'c str> {
    let mut work = CALL_WORK;
    search(wanted, candidates, &mut work)
}

/// The search itself, charging `work` as it goes and stopping when it is
/// spent.
fn search<'c>(wanted: &str, candidates: &[&'c str], work: &mut usize) -> Vec<&'c str> {
    let lower: Vec<char> = wanted.chars().flat_map(char::to_lowercase).collect();
    let tail = last_segment(wanted);
    let tail_lower: Vec<char> = tail.chars().flat_map(char::to_lowercase).collect();
    let max_distance = (tail_lower.len() / 3).min(3);
    let band = 2 * max_distance + 1;
    let mut scored: Vec<(usize, &'c str)> = Vec::new();
    let mut buffer: Vec<char> = Vec::new();
    let mut rows = (Vec::new(), Vec::new());
    for &c in candidates {
        // The cheap checks read each name a few times at most.
        let cost = c.len().saturating_add(wanted.len()).saturating_mul(4).saturating_add(1);
        let Some(left) = work.checked_sub(cost) else { break };
        *work = left;
        if c == wanted {
            continue;
        }
        let c_tail = last_segment(c);
        let score = if c.chars().flat_map(char::to_lowercase).eq(lower.iter().copied()) {
            Some(0)
        } else if c_tail == tail || segment_suffix(c, wanted) || segment_suffix(wanted, c) {
            Some(1)
        } else if segment_prefix(c, wanted) || segment_prefix(wanted, c) {
            Some(2)
        } else if max_distance > 0 && c_tail.chars().count().abs_diff(tail_lower.len()) <= max_distance {
            // The banded distance reads `band` cells per character.
            let cost = c_tail.len().saturating_mul(band);
            let Some(left) = work.checked_sub(cost) else { break };
            *work = left;
            buffer.clear();
            buffer.extend(c_tail.chars().flat_map(char::to_lowercase));
            distance(&tail_lower, &buffer, max_distance, &mut rows).map(|d| 2 + d)
        } else {
            None
        };
        if let Some(score) = score {
            scored.push((score, c));
        }
    }
    scored.sort_unstable();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// Where qualified names are cut into segments.
fn is_separator(c: char) -> bool {
    matches!(c, '.' | ':' | '/' | '\\' | '#')
}

/// Whether `long` is `short` with whole segments in front (`app.db.Database`
/// and `Database`), not a letter or two (`ab` and `b`).
fn segment_suffix(long: &str, short: &str) -> bool {
    !short.is_empty()
        && long.len() > short.len()
        && long.ends_with(short)
        && long.get(..long.len() - short.len()).and_then(|head| head.chars().next_back()).is_some_and(is_separator)
}

/// Whether `long` is `short` with whole segments after it (`Database#replica`
/// and `Database`), not a letter or two (`ab` and `a`).
fn segment_prefix(long: &str, short: &str) -> bool {
    !short.is_empty()
        && long.len() > short.len()
        && long.starts_with(short)
        && long.get(short.len()..).and_then(|rest| rest.chars().next()).is_some_and(is_separator)
}

/// The last part of a qualified name: `app.db.Database` gives `Database`,
/// and so does `app.db.Database#replica`.
fn last_segment(s: &str) -> &str {
    let base = s.split('#').next().unwrap_or(s);
    base.rsplit(['.', ':', '/', '\\']).next().unwrap_or(base)
}

/// The element of a collection type written as a key: `app.Plugin` of
/// `list[app.Plugin]`, `builtins.list[app.Plugin]`,
/// `collections.abc.Sequence[app.Plugin]` or `tuple[app.Plugin, ...]`: what
/// a Python user means when they forget `many` (the registry keys a hint
/// by its text). `None` for anything else.
pub(crate) fn collection_element(key: &str) -> Option<&str> {
    const COLLECTIONS: &[&str] = &[
        "list",
        "List",
        "tuple",
        "Tuple",
        "set",
        "Set",
        "frozenset",
        "FrozenSet",
        "Sequence",
        "MutableSequence",
        "Iterable",
        "Collection",
        "Iterator",
    ];
    let inner = key.strip_suffix(']')?;
    let open = inner.find('[')?;
    let outer = inner.get(..open)?;
    if !COLLECTIONS.contains(&last_segment(outer)) {
        return None;
    }
    let element = inner.get(open + 1..)?.trim();
    let element = element.strip_suffix(", ...").unwrap_or(element).trim();
    (!element.is_empty() && !element.contains([',', '[', ']'])).then_some(element)
}

/// Levenshtein distance between `a` and `b`, or `None` when it is over `k`.
///
/// # Complexity
/// O(len · (2k + 1)): only the cells within `k` of the diagonal can hold a
/// distance of at most `k`, so only those are computed (Ukkonen's cut-off);
/// `rows` are reused buffers.
fn distance(a: &[char], b: &[char], k: usize, rows: &mut (Vec<usize>, Vec<usize>)) -> Option<usize> {
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > k {
        return None;
    }
    // Anything over `k` is as good as infinite; capping keeps it small.
    let big = k + 1;
    let (prev, cur) = (&mut rows.0, &mut rows.1);
    prev.clear();
    prev.extend((0..=m).map(|j| j.min(big)));
    cur.clear();
    cur.resize(m + 1, big);
    for i in 1..=n {
        let lo = i.saturating_sub(k).max(1);
        let hi = (i + k).min(m);
        let first = if lo == 1 { i.min(big) } else { big };
        if let Some(slot) = cur.get_mut(lo - 1) {
            *slot = first;
        }
        let mut row_min = first;
        let ca = a.get(i - 1).copied();
        for j in lo..=hi {
            let same = ca == b.get(j - 1).copied();
            let sub = prev.get(j - 1).copied().unwrap_or(big) + usize::from(!same);
            let del = prev.get(j).copied().unwrap_or(big) + 1;
            let ins = cur.get(j - 1).copied().unwrap_or(big) + 1;
            let v = sub.min(del).min(ins).min(big);
            if let Some(slot) = cur.get_mut(j) {
                *slot = v;
            }
            row_min = row_min.min(v);
        }
        // The next row reads one cell past this band: it is out of reach.
        if let Some(slot) = cur.get_mut(hi + 1) {
            *slot = big;
        }
        if row_min > k {
            return None;
        }
        std::mem::swap(prev, cur);
    }
    prev.get(m).copied().filter(|&d| d <= k)
}

#[cfg(test)]
mod tests {
    use super::{collection_element, distance, suggest};

    #[test]
    fn the_element_of_a_collection_key() {
        assert_eq!(collection_element("list[app.Plugin]"), Some("app.Plugin"));
        assert_eq!(collection_element("builtins.list[app.Plugin]"), Some("app.Plugin"));
        assert_eq!(collection_element("collections.abc.Sequence[app.Plugin]"), Some("app.Plugin"));
        assert_eq!(collection_element("tuple[app.Plugin, ...]"), Some("app.Plugin"));
        assert_eq!(collection_element("dict[str, int]"), None);
        assert_eq!(collection_element("tuple[a, b]"), None);
        assert_eq!(collection_element("app.Plugin"), None);
        assert_eq!(collection_element("Box[app.Plugin]"), None);
    }

    #[test]
    fn no_letter_or_two_added_is_a_suggestion_but_whole_segments_are() {
        assert!(suggest("a", &["ab", "ba", "b"]).is_empty());
        assert!(suggest("db", &["dbs", "xdb"]).is_empty());
        assert_eq!(suggest("Database", &["app.db.Database", "Databases"]), vec!["app.db.Database", "Databases"]);
        assert_eq!(suggest("Database", &["Database#replica"]), vec!["Database#replica"]);
        assert_eq!(suggest("Db", &["DB"]), vec!["DB"]);
    }

    #[test]
    fn the_distance_is_measured_on_the_last_segment() {
        // Whole names 2 apart, but `Db` and `Xy` are nothing alike.
        assert!(suggest("app.models.Db", &["app.models.Xy"]).is_empty());
        // A typo in the name, in another module.
        assert_eq!(suggest("app.Databse", &["lib.db.Database"]), vec!["lib.db.Database"]);
        // A long module path allows no larger distance.
        assert!(suggest("very.long.module.path.Cahe", &["very.long.module.path.Queue"]).is_empty());
    }

    #[test]
    fn suggests_case_suffix_and_typos() {
        let c = ["Database", "app.cache.Cache", "Clock", "Settings"];
        assert_eq!(suggest("database", &c), vec!["Database"]);
        assert_eq!(suggest("Cache", &c), vec!["app.cache.Cache"]);
        assert_eq!(suggest("Databse", &c), vec!["Database"]);
        assert!(suggest("Unrelated", &c).is_empty());
    }

    fn d(a: &str, b: &str, k: usize) -> Option<usize> {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        distance(&a, &b, k, &mut (Vec::new(), Vec::new()))
    }

    #[test]
    fn banded_distance_is_levenshtein_up_to_the_cut_off() {
        assert_eq!(d("kitten", "sitting", 3), Some(3));
        assert_eq!(d("kitten", "sitting", 2), None);
        assert_eq!(d("", "abc", 3), Some(3));
        assert_eq!(d("abc", "", 2), None);
        assert_eq!(d("flaw", "lawn", 3), Some(2));
        assert_eq!(d("same", "same", 1), Some(0));
        assert_eq!(d("abcdef", "abcdeg", 1), Some(1));
        assert_eq!(d("abcdef", "bcdefa", 1), None);
        assert_eq!(d("abcdef", "bcdefa", 2), Some(2));
        assert_eq!(d("日本語", "日本", 1), Some(1));
    }
}
