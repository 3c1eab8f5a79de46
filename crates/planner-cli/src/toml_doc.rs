//! TOML to JSON text, under a bound on what the TOML library may build.
//!
//! A TOML file can define a table's keys anywhere in the file, so the TOML
//! library reads the whole file into a tree before anything can be
//! converted, at 150 to 300 bytes per value (a 40 MB array of small
//! numbers took 3 GB). So the values are counted first, by one cheap pass
//! over the bytes, and a file with more than [`MAX_VALUES`] is refused
//! before the library sees it. The tree is then written straight out as
//! JSON text (no second tree), held to `max_input_bytes` as it grows.
//!
//! # Complexity
//! O(n) time and memory for n bytes.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer as _, MapAccess, SeqAccess, Visitor};

/// Most values in one TOML file: about 300 MB of the TOML library's tree,
/// and more than any hand-written descriptor file holds (a service takes
/// about six). Larger graphs: JSON, which the core reads as it goes.
pub const MAX_VALUES: usize = 1_000_000;

/// The words of the limit this module checks.
pub const VALUES: &str = "the number of values in a TOML file";

/// Why a TOML file was not converted, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Not TOML. `offset` is a byte offset, when the library knows one.
    Syntax {
        /// Byte offset of the fault.
        offset: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A limit was reached.
    Limit {
        /// Byte offset of the value that went over.
        offset: usize,
        /// Which limit, in words.
        what: &'static str,
        /// The limit in force.
        limit: usize,
        /// What the input has, at least.
        found: usize,
    },
}

/// An upper bound on the values in a TOML document: every `=`, `,`, `[`
/// and `{` outside strings and comments (each key-value pair has a `=`,
/// each array element past the first a `,`, each array, inline table and
/// table header a bracket). Stops at `limit + 1`, giving that offset.
///
/// # Complexity
/// O(n), one pass, no allocation.
pub fn count_values(text: &str, limit: usize) -> Result<usize, (usize, usize)> {
    let bytes = text.as_bytes();
    let mut count = 0usize;
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'#' => {
                while bytes.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
                continue;
            }
            b'"' | b'\'' => {
                i = skip_string(bytes, i);
                continue;
            }
            b'=' | b',' | b'[' | b'{' => {
                count += 1;
                if count > limit {
                    return Err((i, count));
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(count)
}

/// The offset just past the string starting at `i` (or the end of text).
fn skip_string(bytes: &[u8], i: usize) -> usize {
    let quote = bytes.get(i).copied().unwrap_or(b'"');
    let triple = bytes.get(i..i + 3).is_some_and(|t| t.iter().all(|&c| c == quote));
    let escapes = quote == b'"';
    let mut j = if triple { i + 3 } else { i + 1 };
    while let Some(&c) = bytes.get(j) {
        if escapes && c == b'\\' {
            j += 2;
            continue;
        }
        if c == quote {
            if !triple {
                return j + 1;
            }
            if bytes.get(j..j + 3).is_some_and(|t| t.iter().all(|&x| x == quote)) {
                // A closing `"""` may be followed by up to two more quotes
                // that belong to the string.
                let mut end = j + 3;
                while bytes.get(end) == Some(&quote) && end < j + 5 {
                    end += 1;
                }
                return end;
            }
        } else if c == b'\n' && !triple {
            // An unterminated one-line string: the library will say so.
            return j;
        }
        j += 1;
    }
    j
}

/// Converts a TOML document to compact JSON text.
///
/// # Errors
/// A [`Fault`] with the byte offset of the first problem.
pub fn to_json(text: &str, max_bytes: usize) -> Result<String, Fault> {
    count_values(text, MAX_VALUES).map_err(|(offset, found)| Fault::Limit { offset, what: VALUES, limit: MAX_VALUES, found })?;
    let syntax = |e: toml::de::Error| Fault::Syntax {
        offset: e.span().map(|s| s.start),
        message: e.message().lines().next().unwrap_or("").trim().to_owned(),
    };
    let de = toml::de::Deserializer::parse(text).map_err(syntax)?;
    let mut out = String::with_capacity(text.len().min(max_bytes));
    let over = std::cell::Cell::new(None);
    let seed = Json { out: &mut out, max_bytes, over: &over };
    match de.deserialize_any(seed) {
        Ok(()) => Ok(out),
        Err(e) => match over.get() {
            Some(found) => {
                Err(Fault::Limit { offset: e.span().map_or(0, |s| s.start), what: super::yaml::what::INPUT_BYTES, limit: max_bytes, found })
            }
            None => Err(syntax(e)),
        },
    }
}

/// Where in the TOML `text` each of the core's JSON `paths` is: the byte
/// offset of the value, or `None` when it is not found. The core names
/// places in the JSON it was given; this turns them back into places in
/// the file a person wrote.
///
/// # Complexity
/// One more parse of the file (held to [`MAX_VALUES`] before), on the error
/// path only: O(n + paths x d) for n bytes and paths of d steps.
pub fn places(text: &str, paths: &[&str]) -> Vec<Option<usize>> {
    use super::yaml::{steps, Step};
    use toml::de::{DeTable, DeValue};
    let Ok(root) = DeTable::parse(text) else {
        return vec![None; paths.len()];
    };
    let find = |path: &str| -> Option<usize> {
        let mut span = root.span();
        let mut table = Some(root.get_ref());
        let mut array = None;
        for step in steps(path)? {
            let value = match step {
                Step::Key(key) => table?.iter().find(|(k, _)| k.get_ref().as_ref() == key.as_str()).map(|(_, v)| v)?,
                Step::Index(i) => array.and_then(|a: &toml::de::DeArray<'_>| a.get(i))?,
            };
            span = value.span();
            (table, array) = match value.get_ref() {
                DeValue::Table(t) => (Some(t), None),
                DeValue::Array(a) => (None, Some(a)),
                _ => (None, None),
            };
        }
        Some(span.start)
    };
    paths.iter().map(|p| find(p)).collect()
}

/// The private key under which the TOML library hands out a date-time.
const DATETIME: &str = "$__toml_private_datetime";

/// Writes the value it is given as JSON text into `out`.
struct Json<'a> {
    out: &'a mut String,
    max_bytes: usize,
    over: &'a std::cell::Cell<Option<usize>>,
}

impl Json<'_> {
    fn reborrow(&mut self) -> Json<'_> {
        Json { out: self.out, max_bytes: self.max_bytes, over: self.over }
    }

    fn check<E: de::Error>(&self) -> Result<(), E> {
        if self.out.len() > self.max_bytes {
            self.over.set(Some(self.out.len()));
            return Err(E::custom("the converted document is over the size limit"));
        }
        Ok(())
    }

    fn string(&mut self, s: &str) {
        let _ = serde_json::to_writer(super::yaml::StringWriter(self.out), s);
    }
}

impl<'de> DeserializeSeed<'de> for Json<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Json<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.out.push_str(if v { "true" } else { "false" });
        self.check()
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.out.push_str(&v.to_string());
        self.check()
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.out.push_str(&v.to_string());
        self.check()
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        // JSON has no infinity or NaN: they become `null`, as serde_json writes them.
        let text = serde_json::Number::from_f64(v).map_or_else(|| "null".to_owned(), |n| n.to_string());
        self.out.push_str(&text);
        self.check()
    }

    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<(), E> {
        self.string(v);
        self.check()
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        self.out.push('[');
        let mut first = true;
        loop {
            if !first {
                self.out.push(',');
            }
            let start = self.out.len();
            if seq.next_element_seed(self.reborrow())?.is_none() {
                if !first {
                    self.out.truncate(start - 1);
                }
                break;
            }
            first = false;
        }
        self.out.push(']');
        self.check()
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut first = true;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if first && key == DATETIME {
                let text: String = map.next_value()?;
                self.string(&text);
                return self.check();
            }
            self.out.push(if first { '{' } else { ',' });
            first = false;
            self.string(&key);
            self.out.push(':');
            map.next_value_seed(self.reborrow())?;
        }
        self.out.push_str(if first { "{}" } else { "}" });
        self.check()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn converts_tables_arrays_and_dates() {
        let text =
            "version = 1\n[[services]]\nid = \"a\"\ndeps = [\"b\", 'c']\nat = 1979-05-27T07:32:00Z\n[[services]]\nid = \"b\"\nmeta = {}\n";
        assert_eq!(
            to_json(text, 1 << 20).unwrap(),
            r#"{"services":[{"at":"1979-05-27T07:32:00Z","deps":["b","c"],"id":"a"},{"id":"b","meta":{}}],"version":1}"#
        );
        assert_eq!(to_json("a = []\nb = [1]", 1 << 20).unwrap(), r#"{"a":[],"b":[1]}"#);
    }

    #[test]
    fn values_are_counted_outside_strings_and_comments() {
        assert_eq!(count_values("a = \"=,[{\" # = , [\nb = '''x = [\n''' \n", 100), Ok(2));
        assert_eq!(count_values("a = [1, 2, 3]", 100), Ok(4));
        assert_eq!(count_values("a = \"\\\"=\"", 100), Ok(1));
        assert_eq!(count_values("a = [1, 2, 3]", 2), Err((6, 3)));
    }

    #[test]
    fn too_many_values_are_refused_before_parsing() {
        let text = format!("a = [{}]", "1,".repeat(MAX_VALUES));
        assert!(matches!(to_json(&text, 256 << 20), Err(Fault::Limit { what: VALUES, limit: MAX_VALUES, .. })));
    }

    #[test]
    fn places_turn_json_paths_into_offsets() {
        let text = "version = 1\n[[services]]\nid = \"a\"\n[[services]]\nid = \"b\"\ndeps = [\"x\", { key = \"y\" }]\n";
        let at = |needle: &str| text.find(needle);
        let paths = ["services[1].id", "services[1].deps[1].key", "services[0].id", "services[2]", ""];
        assert_eq!(places(text, &paths), vec![at("\"b\""), at("\"y\""), at("\"a\""), None, None]);
    }

    #[test]
    fn output_is_held_to_the_byte_limit() {
        assert!(matches!(
            to_json("a = \"0123456789\"", 8),
            Err(Fault::Limit { what: super::super::yaml::what::INPUT_BYTES, limit: 8, .. })
        ));
    }
}
