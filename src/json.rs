//! JSON values as the Janus APIs carry them: objects keep their keys in insertion order,
//! because transports serialise with `JSON_PRESERVE_ORDER` and clients see that order.
//! Integers and reals stay distinct, as in jansson (Janus validates `session_id` as an
//! integer, not a number).

use std::fmt::{self, Write};

#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Object),
}

/// A JSON object: ordered, keys unique. Setting an existing key replaces its value in place.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object(Vec<(String, Json)>);

impl Object {
    pub fn new() -> Object {
        Object(Vec::new())
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn set(&mut self, key: impl Into<String>, value: impl Into<Json>) {
        let key = key.into();
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// Builder form of [`Object::set`].
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Json>) -> Object {
        self.set(key, value);
        self
    }

    pub fn remove(&mut self, key: &str) -> Option<Json> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(i).1)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, Json)> for Object {
    fn from_iter<I: IntoIterator<Item = (String, Json)>>(iter: I) -> Object {
        let mut o = Object::new();
        for (k, v) in iter {
            o.set(k, v);
        }
        o
    }
}

impl Json {
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Int(i) => Some(*i),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// Member lookup on objects; `None` for any other value.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object().and_then(|o| o.get(key))
    }

    /// Compact text, with jansson's `JSON_COMPACT` separators.
    pub fn to_compact_string(&self) -> String {
        let mut s = String::new();
        self.write_compact(&mut s).expect("writing to a String cannot fail");
        s
    }

    fn write_compact(&self, out: &mut String) -> fmt::Result {
        match self {
            Json::Null => out.write_str("null"),
            Json::Bool(b) => write!(out, "{b}"),
            Json::Int(i) => write!(out, "{i}"),
            Json::Real(r) => write_real(out, *r),
            Json::Str(s) => write_string(out, s),
            Json::Array(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write_compact(out)?;
                }
                out.write_char(']')
            }
            Json::Object(o) => {
                out.push('{');
                for (i, (k, v)) in o.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(out, k)?;
                    out.push(':');
                    v.write_compact(out)?;
                }
                out.write_char('}')
            }
        }
    }
}

/// Reals as jansson prints them (`%.17g`, with ".0" added when that looks like an integer).
fn write_real(out: &mut String, r: f64) -> fmt::Result {
    if !r.is_finite() {
        return out.write_str("null");
    }
    let mut s = format!("{r:?}");
    if !s.contains(['.', 'e', 'E']) {
        s.push_str(".0");
    }
    out.write_str(&s)
}

fn write_string(out: &mut String, s: &str) -> fmt::Result {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32)?,
            c => out.push(c),
        }
    }
    out.write_char('"')
}

impl From<bool> for Json {
    fn from(b: bool) -> Json {
        Json::Bool(b)
    }
}
impl From<i64> for Json {
    fn from(i: i64) -> Json {
        Json::Int(i)
    }
}
impl From<i32> for Json {
    fn from(i: i32) -> Json {
        Json::Int(i64::from(i))
    }
}
impl From<u32> for Json {
    fn from(i: u32) -> Json {
        Json::Int(i64::from(i))
    }
}
/// Janus ids are 53-bit, so they always fit.
impl From<u64> for Json {
    fn from(i: u64) -> Json {
        Json::Int(i as i64)
    }
}
impl From<f64> for Json {
    fn from(r: f64) -> Json {
        Json::Real(r)
    }
}
impl From<&str> for Json {
    fn from(s: &str) -> Json {
        Json::Str(s.to_string())
    }
}
impl From<String> for Json {
    fn from(s: String) -> Json {
        Json::Str(s)
    }
}
impl From<Object> for Json {
    fn from(o: Object) -> Json {
        Json::Object(o)
    }
}
impl From<Vec<Json>> for Json {
    fn from(a: Vec<Json>) -> Json {
        Json::Array(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_insertion_order_and_replace_in_place() {
        let mut o = Object::new().with("janus", "success").with("transaction", "t").with("data", Object::new());
        o.set("transaction", "u");
        let keys: Vec<_> = o.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["janus", "transaction", "data"]);
        assert_eq!(Json::from(o).to_compact_string(), r#"{"janus":"success","transaction":"u","data":{}}"#);
    }

    #[test]
    fn compact_text() {
        let v = Json::Array(vec![Json::Null, true.into(), 3.into(), 0.5.into(), 2.0.into(), "a\"\n\u{1}".into()]);
        assert_eq!(v.to_compact_string(), r#"[null,true,3,0.5,2.0,"a\"\n\u0001"]"#);
    }
}
