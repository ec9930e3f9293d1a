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
            c if (c as u32) < 0x20 => write!(out, "\\u{:04X}", c as u32)?,
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

/// jansson's `json_type` values, in their C numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    Object = 0,
    Array = 1,
    String = 2,
    Integer = 3,
    Real = 4,
    True = 5,
    False = 6,
    Null = 7,
}

impl JsonType {
    pub fn from_c(t: i32) -> Option<JsonType> {
        use JsonType::*;
        [Object, Array, String, Integer, Real, True, False, Null].into_iter().find(|k| *k as i32 == t)
    }
}

/// `JANUS_JSON_PARAM_*` flags of a validated parameter.
pub const JSON_PARAM_REQUIRED: u32 = 1;
pub const JSON_PARAM_POSITIVE: u32 = 2;
pub const JSON_PARAM_NONEMPTY: u32 = 4;

/// What parameter validation needs to know of a JSON value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum JsonValue<'a> {
    Object,
    Array { len: usize },
    String(&'a [u8]),
    Integer(i64),
    Real(f64),
    True,
    False,
    Null,
}

impl JsonValue<'_> {
    fn json_type(&self) -> JsonType {
        match self {
            JsonValue::Object => JsonType::Object,
            JsonValue::Array { .. } => JsonType::Array,
            JsonValue::String(_) => JsonType::String,
            JsonValue::Integer(_) => JsonType::Integer,
            JsonValue::Real(_) => JsonType::Real,
            JsonValue::True => JsonType::True,
            JsonValue::False => JsonType::False,
            JsonValue::Null => JsonType::Null,
        }
    }
}

/// Janus' `janus_json_is_valid`: `value` has type `expected` (`True` stands for any boolean)
/// and, with POSITIVE, a non-negative number, or else with NONEMPTY, a non-empty string/array.
pub fn json_is_valid(value: JsonValue, expected: i32, flags: u32) -> bool {
    let actual = value.json_type() as i32;
    if actual != expected && !(expected == JsonType::True as i32 && value == JsonValue::False) {
        return false;
    }
    if flags & JSON_PARAM_POSITIVE != 0 {
        match value {
            JsonValue::Integer(i) => i >= 0,
            JsonValue::Real(r) => r >= 0.0,
            _ => true,
        }
    } else if flags & JSON_PARAM_NONEMPTY != 0 {
        match value {
            JsonValue::String(s) => !s.is_empty(),
            JsonValue::Array { len } => len > 0,
            _ => true,
        }
    } else {
        true
    }
}

/// Janus' `janus_get_json_type_name`: how an error message names an expected type, e.g.
/// "an integer", "a positive real", "a non-empty string" (POSITIVE wins over NONEMPTY).
pub fn json_type_name(jtype: i32, flags: u32) -> String {
    let kind = JsonType::from_c(jtype);
    let article = if flags & JSON_PARAM_POSITIVE != 0 {
        "a positive "
    } else if flags & JSON_PARAM_NONEMPTY != 0 {
        "a non-empty "
    } else if matches!(kind, Some(JsonType::Integer | JsonType::Array | JsonType::Object)) {
        "an "
    } else {
        "a "
    };
    let noun = match kind {
        Some(JsonType::True) => "boolean",
        Some(JsonType::Integer) => "integer",
        Some(JsonType::Real) => "real",
        Some(JsonType::String) => "string",
        Some(JsonType::Array) => "array",
        Some(JsonType::Object) => "object",
        _ => "",
    };
    format!("{article}{noun}")
}

impl Json {
    /// The view validation works on.
    pub fn value_view(&self) -> JsonValue<'_> {
        match self {
            Json::Object(_) => JsonValue::Object,
            Json::Array(a) => JsonValue::Array { len: a.len() },
            Json::Str(s) => JsonValue::String(s.as_bytes()),
            Json::Int(i) => JsonValue::Integer(*i),
            Json::Real(r) => JsonValue::Real(*r),
            Json::Bool(true) => JsonValue::True,
            Json::Bool(false) => JsonValue::False,
            Json::Null => JsonValue::Null,
        }
    }
}

/// One expected member of a request object.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    pub ty: JsonType,
    /// `JSON_PARAM_*` bits.
    pub flags: u32,
}

/// Why validation failed; `Display` gives Janus' default texts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalid {
    Missing(&'static str),
    WrongType { name: &'static str, expected: String },
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Missing(name) => write!(f, "Missing mandatory element ({name})"),
            Invalid::WrongType { name, expected } => write!(f, "Invalid element type ({name} should be {expected})"),
        }
    }
}

impl Invalid {
    /// The texts Janus uses when validating a request's `jsep`.
    pub fn jsep_reason(&self) -> String {
        match self {
            Invalid::Missing(name) => format!("JSEP error: missing mandatory element ({name})"),
            Invalid::WrongType { name, expected } => format!("JSEP error: invalid element type ({name} should be {expected})"),
        }
    }
}

/// `JANUS_VALIDATE_JSON_OBJECT`: the first failing parameter, in list order. A non-object
/// `value` has no members, so only its required parameters fail.
pub fn validate(value: &Json, params: &[Param]) -> Result<(), Invalid> {
    for p in params {
        match value.get(p.name) {
            None if p.flags & JSON_PARAM_REQUIRED != 0 => return Err(Invalid::Missing(p.name)),
            None => {}
            Some(v) if !json_is_valid(v.value_view(), p.ty as i32, p.flags) => {
                return Err(Invalid::WrongType { name: p.name, expected: json_type_name(p.ty as i32, p.flags) })
            }
            Some(_) => {}
        }
    }
    Ok(())
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
    fn validation_texts_and_order() {
        const PARAMS: [Param; 3] = [
            Param { name: "transaction", ty: JsonType::String, flags: JSON_PARAM_REQUIRED },
            Param { name: "janus", ty: JsonType::String, flags: JSON_PARAM_REQUIRED },
            Param { name: "id", ty: JsonType::Integer, flags: JSON_PARAM_POSITIVE },
        ];
        let req = |o: Object| Json::Object(o);
        assert_eq!(validate(&req(Object::new()), &PARAMS).unwrap_err().to_string(), "Missing mandatory element (transaction)");
        let r = req(Object::new().with("transaction", 1).with("janus", "x"));
        assert_eq!(validate(&r, &PARAMS).unwrap_err().to_string(), "Invalid element type (transaction should be a string)");
        let r = req(Object::new().with("transaction", "t").with("janus", "x").with("id", -1));
        assert_eq!(validate(&r, &PARAMS).unwrap_err().to_string(), "Invalid element type (id should be a positive integer)");
        let r = req(Object::new().with("transaction", "t").with("janus", "x").with("id", 5));
        assert!(validate(&r, &PARAMS).is_ok());
    }

    #[test]
    fn type_names_and_booleans() {
        assert_eq!(json_type_name(JsonType::Object as i32, 0), "an object");
        assert_eq!(json_type_name(JsonType::String as i32, JSON_PARAM_REQUIRED | JSON_PARAM_NONEMPTY), "a non-empty string");
        assert_eq!(json_type_name(JsonType::True as i32, 0), "a boolean");
        assert!(json_is_valid(Json::Bool(false).value_view(), JsonType::True as i32, 0));
        assert!(!json_is_valid(Json::Int(1).value_view(), JsonType::Real as i32, 0));
        assert!(!json_is_valid(Json::Str(String::new()).value_view(), JsonType::String as i32, JSON_PARAM_NONEMPTY));
    }

    #[test]
    fn compact_text() {
        let v = Json::Array(vec![Json::Null, true.into(), 3.into(), 0.5.into(), 2.0.into(), "a\"\n\u{1}\u{1f}".into()]);
        assert_eq!(v.to_compact_string(), r#"[null,true,3,0.5,2.0,"a\"\n\u0001\u001F"]"#);
    }

    #[test]
    fn json_validation() {
        let t = |k: JsonType| k as i32;
        assert!(json_is_valid(JsonValue::False, t(JsonType::True), 0), "TRUE means any boolean");
        assert!(!json_is_valid(JsonValue::True, t(JsonType::False), 0));
        assert!(json_is_valid(JsonValue::Integer(0), t(JsonType::Integer), JSON_PARAM_POSITIVE));
        assert!(!json_is_valid(JsonValue::Integer(-1), t(JsonType::Integer), JSON_PARAM_POSITIVE));
        assert!(!json_is_valid(JsonValue::Real(-0.5), t(JsonType::Real), JSON_PARAM_POSITIVE));
        assert!(!json_is_valid(JsonValue::Integer(3), t(JsonType::Real), 0), "no int/real coercion");
        assert!(!json_is_valid(JsonValue::String(b""), t(JsonType::String), JSON_PARAM_NONEMPTY));
        assert!(json_is_valid(JsonValue::String(b""), t(JsonType::String), JSON_PARAM_NONEMPTY | JSON_PARAM_POSITIVE));
        assert!(!json_is_valid(JsonValue::Array { len: 0 }, t(JsonType::Array), JSON_PARAM_NONEMPTY));
        assert!(json_is_valid(JsonValue::Array { len: 1 }, t(JsonType::Array), JSON_PARAM_NONEMPTY));
    }

    #[test]
    fn json_type_names() {
        let t = |k: JsonType| k as i32;
        assert_eq!(json_type_name(t(JsonType::Integer), 0), "an integer");
        assert_eq!(json_type_name(t(JsonType::Object), JSON_PARAM_REQUIRED), "an object");
        assert_eq!(json_type_name(t(JsonType::True), 0), "a boolean");
        assert_eq!(json_type_name(t(JsonType::String), JSON_PARAM_NONEMPTY), "a non-empty string");
        assert_eq!(json_type_name(t(JsonType::Real), JSON_PARAM_POSITIVE | JSON_PARAM_NONEMPTY), "a positive real");
        assert_eq!(json_type_name(t(JsonType::True), JSON_PARAM_NONEMPTY), "a non-empty boolean");
        assert_eq!(json_type_name(t(JsonType::Null), 0), "a ");
    }
}
