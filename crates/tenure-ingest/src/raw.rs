//! Reading a JSON object one level deep: its fields keep their values as raw
//! JSON text, so a message's `properties` and `context` are stored as sent
//! instead of being built into a tree and written out again.
//!
//! serde_json checks raw values as strictly as it parses trees (string
//! escapes decoded, lone surrogates and out-of-range numbers refused), so
//! the text kept is JSON that DuckDB's reader accepts too.

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// A JSON object's fields in document order; a repeated key counts as its
/// last occurrence (as `serde_json::Value` does).
#[derive(Debug, Default)]
pub(crate) struct Shallow<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'a> Shallow<'a> {
    /// Reads `text` as an object. `Ok(None)`: valid JSON, not an object.
    pub(crate) fn parse(text: &'a str) -> Result<Option<Self>, serde_json::Error> {
        match serde_json::from_str::<Shallow<'a>>(text) {
            Ok(fields) => Ok(Some(fields)),
            Err(e) => match serde_json::from_str::<serde::de::IgnoredAny>(text) {
                Ok(_) => Ok(None),
                Err(_) => Err(e),
            },
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Shallow<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Fields<'a> {
            type Value = Shallow<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(12));
                while let Some(Key(key)) = map.next_key()? {
                    let value: &'de RawValue = map.next_value()?;
                    fields.push((key, value));
                }
                Ok(Shallow(fields))
            }
        }
        deserializer.deserialize_map(Fields(std::marker::PhantomData))
    }
}

/// An object key, borrowed from the text unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Text<'a> {
            type Value = Key<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_str(Text(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shallow_reads_top_level_fields_as_raw_text() {
        let text = r#"{"a": 1, "b\n": {"x": [1, 2]}, "a": "last"}"#;
        let s = Shallow::parse(text).unwrap().unwrap();
        assert_eq!(s.get("a").unwrap().get(), r#""last""#);
        assert_eq!(s.get("b\n").unwrap().get(), r#"{"x": [1, 2]}"#);
        assert!(s.get("c").is_none());
        assert!(Shallow::parse("[1]").unwrap().is_none());
        assert!(Shallow::parse("{oops").is_err());
    }
}
