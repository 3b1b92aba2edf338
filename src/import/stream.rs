//! Streams the items of a large JSON document: each element of its
//! top-level array, or of the array under one key of its top-level
//! object (a Kubernetes `List`'s `items`), is handed over as it is
//! parsed and then dropped, so memory holds one item at a time however
//! large the file.

use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::io::Read;

/// What the document was, after its items went by.
#[derive(Debug, PartialEq)]
pub enum Top {
    /// A top-level array of this many items.
    Array(usize),
    /// A top-level object: how many items its key held (`None`: no such
    /// key), and its other members (small: `kind`, `metadata`, ...).
    Object {
        items: Option<usize>,
        rest: Map<String, Value>,
    },
}

/// Why streaming stopped.
#[derive(Debug)]
pub enum Stop {
    /// Not JSON, or not the shape expected: line and column.
    Json(serde_json::Error),
    /// `each` refused an item: its message.
    Item(String),
}

/// A callback for each item: its index, whether it is in the object's
/// key (`false`: in a top-level array), and its value.
type Each<'a> = dyn FnMut(usize, bool, Value) -> Result<(), String> + 'a;

/// Streams `reader`'s document, calling `each` on every item of its
/// top-level array or of its top-level object's `key` array.
pub fn items(reader: impl Read, key: &str, each: &mut Each) -> Result<Top, Stop> {
    items_at(reader, &[key], each)
}

/// [`items`] for an array deeper down: `path` names the keys from the
/// top-level object to it (`["data", "result"]`); the members beside it
/// below the top level are skipped. `items` is the count there.
pub fn items_at(reader: impl Read, path: &[&str], each: &mut Each) -> Result<Top, Stop> {
    let mut failed = None;
    let mut de = serde_json::Deserializer::from_reader(reader);
    let top = TopSeed {
        path,
        each,
        failed: &mut failed,
    }
    .deserialize(&mut de)
    .and_then(|t| de.end().map(|()| t));
    match (top, failed) {
        (_, Some(msg)) => Err(Stop::Item(msg)),
        (Ok(t), None) => Ok(t),
        (Err(e), None) => Err(Stop::Json(e)),
    }
}

struct TopSeed<'a, 'b> {
    path: &'a [&'a str],
    each: &'a mut Each<'b>,
    failed: &'a mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = Top;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Top, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a JSON object or array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Top, A::Error> {
        each_item(seq, false, self.each, self.failed).map(Top::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Top, A::Error> {
        let mut rest = Map::new();
        let items = walk(map, self.path, self.each, self.failed, Some(&mut rest))?;
        Ok(Top::Object { items, rest })
    }
}

/// Walks an object's members: the one named `path[0]` leads to the array
/// at the rest of `path`; the others are kept in `rest`, or skipped
/// without one. Returns how many items the array held, if it was there.
fn walk<'de, A: MapAccess<'de>>(
    mut map: A,
    path: &[&str],
    each: &mut Each,
    failed: &mut Option<String>,
    mut rest: Option<&mut Map<String, Value>>,
) -> Result<Option<usize>, A::Error> {
    let mut items = None;
    while let Some(k) = map.next_key::<String>()? {
        if path.first() == Some(&k.as_str()) && items.is_none() {
            items = Some(map.next_value_seed(ItemsSeed {
                path: &path[1..],
                each: &mut *each,
                failed: &mut *failed,
            })?);
        } else if let Some(rest) = rest.as_deref_mut() {
            rest.insert(k, map.next_value()?);
        } else {
            map.next_value::<serde::de::IgnoredAny>()?;
        }
    }
    Ok(items)
}

/// The array at `path` below here (empty: here), its items handed over.
struct ItemsSeed<'a, 'b> {
    path: &'a [&'a str],
    each: &'a mut Each<'b>,
    failed: &'a mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_, '_> {
    type Value = usize;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        if self.path.is_empty() {
            d.deserialize_seq(self)
        } else {
            d.deserialize_map(self)
        }
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_, '_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.path.first() {
            None => write!(f, "an array of items"),
            Some(k) => write!(f, "an object with {k:?}"),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<usize, A::Error> {
        each_item(seq, true, self.each, self.failed)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<usize, A::Error> {
        let n = walk(map, self.path, self.each, self.failed, None)?;
        n.ok_or_else(|| A::Error::custom(format!("no {:?}", self.path[0])))
    }
}

/// Hands every element of `seq` to `each`; on its refusal, keeps the
/// message in `failed` and stops the parse.
fn each_item<'de, A: SeqAccess<'de>>(
    mut seq: A,
    in_key: bool,
    each: &mut Each,
    failed: &mut Option<String>,
) -> Result<usize, A::Error> {
    let mut n = 0;
    while let Some(v) = seq.next_element::<Value>()? {
        if let Err(msg) = each(n, in_key, v) {
            *failed = Some(msg);
            return Err(A::Error::custom("an item was refused"));
        }
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str) -> (Result<Top, Stop>, Vec<(usize, Value)>) {
        let mut seen = Vec::new();
        let top = items(text.as_bytes(), "items", &mut |i, _, v| {
            if v == Value::String("bad".into()) {
                return Err(format!("items[{i}] is bad"));
            }
            seen.push((i, v));
            Ok(())
        });
        (top, seen)
    }

    #[test]
    fn a_list_streams_its_items_and_keeps_the_rest() {
        let (top, seen) = collect(r#"{"kind": "List", "items": [1, {"a": 2}], "metadata": {}}"#);
        let Ok(Top::Object { items, rest }) = top else {
            panic!("{top:?}")
        };
        assert_eq!(items, Some(2));
        assert_eq!(rest.len(), 2);
        assert_eq!(seen[1], (1, serde_json::json!({"a": 2})));

        let (top, seen) = collect(r#"[3, 4, 5]"#);
        assert_eq!(top.unwrap(), Top::Array(3));
        assert_eq!(seen.len(), 3);

        // An object without the key: every member kept (one Event).
        let (top, _) = collect(r#"{"reason": "NodeReady"}"#);
        assert!(matches!(top, Ok(Top::Object { items: None, .. })));
    }

    #[test]
    fn errors_say_where() {
        let (top, seen) = collect("{\"items\": [1,\n 2,\n ]}");
        let Err(Stop::Json(e)) = top else {
            panic!("{top:?}")
        };
        assert_eq!((e.line(), seen.len()), (3, 2));
        let (top, _) = collect(r#"{"items": [1, "bad", 3]}"#);
        assert!(matches!(top, Err(Stop::Item(m)) if m == "items[1] is bad"));
        let (top, _) = collect(r#"{"items": []} trailing"#);
        assert!(matches!(top, Err(Stop::Json(_))));
    }

    #[test]
    fn a_deeper_array_streams_too() {
        let mut seen = Vec::new();
        let text = r#"{"status": "success", "data": {"resultType": "matrix", "result": [1, 2]}}"#;
        let top = items_at(text.as_bytes(), &["data", "result"], &mut |i, _, v| {
            seen.push((i, v));
            Ok(())
        });
        let Ok(Top::Object { items, rest }) = top else {
            panic!("{top:?}")
        };
        assert_eq!(
            (items, rest["status"].as_str(), seen.len()),
            (Some(2), Some("success"), 2)
        );
        let top = items_at(
            r#"{"data": {}}"#.as_bytes(),
            &["data", "result"],
            &mut |_, _, _| Ok(()),
        );
        assert!(matches!(top, Err(Stop::Json(e)) if e.to_string().starts_with("no \"result\"")));
    }
}
