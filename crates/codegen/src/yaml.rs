//! Reading the document's YAML into a JSON value, as progenitor's input is
//! one: like `serde_yaml::from_str::<serde_json::Value>`, but a key written
//! twice in one mapping is an error (YAML forbids it) instead of the last
//! one silently replacing the first, and a text nested deeper than
//! [`MAX_NESTING`] is refused before it is read (the YAML scanner's work
//! grows with the square of the nesting: 100,000 nested `[` took a minute).

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// How deep mappings and sequences may be nested in one document (the YAML
/// reader's own limit, applied before reading).
pub const MAX_NESTING: usize = 128;

/// Why the text is not a YAML document we can read.
#[derive(Debug)]
pub struct Invalid {
    /// The 1-based line of the problem, when known.
    pub line: Option<usize>,
    /// The 1-based column of the problem, when known.
    pub column: Option<usize>,
    /// What is wrong, lowercase.
    pub message: String,
    /// The YAML reader's error; `None` when the text was refused before it
    /// was read (nested deeper than [`MAX_NESTING`]).
    pub source: Option<serde_yaml::Error>,
}

impl Invalid {
    /// What is wrong, for a message about a file: `not valid yaml: …`, or
    /// why it was refused before it was read.
    pub fn describe(&self) -> String {
        match self.source {
            Some(_) => format!("not valid yaml: {}", self.message),
            None => self.message.clone(),
        }
    }
}

/// Parses `text` into a JSON value, refusing a key written twice in one
/// mapping (the error then points at the second), and refusing before
/// reading it a text nested deeper than [`MAX_NESTING`].
pub fn parse(text: &str) -> Result<Value, Invalid> {
    if let Some(line) = super::lines::nesting_beyond(text, MAX_NESTING) {
        return Err(Invalid {
            line: Some(line),
            column: None,
            message: format!(
                "nested deeper than {MAX_NESTING} levels of mappings and sequences; refused before reading it"
            ),
            source: None,
        });
    }
    let duplicate = RefCell::new(None);
    serde_yaml::Deserializer::from_str(text)
        .deserialize_any(JsonValue(&duplicate))
        .map_err(|source| {
            let location = source.location();
            let (line, column) = (
                location.as_ref().map(|l| l.line()),
                location.as_ref().map(|l| l.column()),
            );
            // The reader points at the mapping; point at the second key.
            if let (Some(key), Some(line), Some(column)) = (duplicate.take(), line, column)
                && let Some((first, second)) = key_lines(text, line, column, &key)
            {
                return Invalid {
                    line: Some(second),
                    column: Some(column),
                    message: format!(
                        "the key `{}` is written twice in one mapping (lines {first} and {second})",
                        super::excerpt(&key, super::QUOTED)
                    ),
                    source: Some(source),
                };
            }
            Invalid {
                line,
                column,
                message: super::lowercase_first(&source.to_string()),
                source: Some(source),
            }
        })
}

/// The lines of the first two `key`s of the block mapping whose first key
/// is at `line`, `column` (1-based).
fn key_lines(text: &str, line: usize, column: usize, key: &str) -> Option<(usize, usize)> {
    let indent = column.checked_sub(1)?;
    let mut found = Vec::new();
    for (number, raw) in text.lines().enumerate().skip(line - 1) {
        let content = raw.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let here = raw.len() - content.len();
        if here < indent && number + 1 > line {
            break;
        }
        if here == indent && super::lines::split_key(content).is_some_and(|(k, _)| k == key) {
            found.push(number + 1);
            if let [first, second] = found[..] {
                return Some((first, second));
            }
        }
    }
    None
}

/// Builds a [`Value`] from what the YAML deserializer reports, noting a
/// duplicate key.
#[derive(Clone, Copy)]
struct JsonValue<'a>(&'a RefCell<Option<String>>);

impl<'de> de::DeserializeSeed<'de> for JsonValue<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a yaml value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // As serde_json reads them: `.nan` and `.inf` have no JSON number.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                let error = de::Error::custom(format_args!(
                    "duplicate key `{}`",
                    super::excerpt(&key, super::QUOTED)
                ));
                *self.0.borrow_mut() = Some(key);
                return Err(error);
            }
            let value = map.next_value_seed(self)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_yaml_as_serde_yaml_does() {
        let text = "a: 1\nb: [true, ~, 2.5, -3, 'x']\n'200': {c: null}\nd: .inf\n";
        let ours = parse(text).unwrap();
        let theirs: Value = serde_yaml::from_str(text).unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused_at_its_line_before_reading() {
        let deep = format!("a: 1\nb: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let error = parse(&deep).unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(error.source.is_none());
        assert_eq!(
            error.describe(),
            "nested deeper than 128 levels of mappings and sequences; refused before reading it"
        );
        let within = format!("a: {}{}\n", "[".repeat(100), "]".repeat(100));
        assert!(parse(&within).is_ok());
    }

    #[test]
    fn a_duplicate_key_is_an_error_with_its_line() {
        let text = "a:\n  b: 1\n  c: 2\n  b: 3\n";
        let error = parse(text).unwrap_err();
        assert_eq!(
            error.message,
            "the key `b` is written twice in one mapping (lines 2 and 4)"
        );
        assert_eq!((error.line, error.column), (Some(4), Some(3)));
        let flow = parse("a: {b: 1, b: 2}\n").unwrap_err();
        assert!(
            flow.message.contains("duplicate key `b`"),
            "{}",
            flow.message
        );
    }
}
