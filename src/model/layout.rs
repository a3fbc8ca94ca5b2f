//! Layouts: the project owner's policy (steps, inspections, functionary keys, expiry).
//!
//! Parsing reproduces the reference's `Layout.read` / `Step.read` / `Inspection.read`:
//! defaults are filled in, unknown fields dropped, every field type-checked with the
//! reference's `FormatError`s, and names must be unique across steps and inspections.
//! [`Layout::to_value`] gives the normalised object, whose canonical JSON is what a legacy
//! layout signature covers.

use crate::Exc;
use crate::crypto::PublicKey;
use crate::error::{Error, Result};
use crate::model::link::is_hex;
use crate::model::rule::{ArtifactKind, Rule};
use crate::py::json::{self, number_is_int, py_repr, py_str, py_type};
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;
use std::fmt;

/// What a layout item is: a step (performed by functionaries, evidenced by links) or an
/// inspection (run at verification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    Step,
    Inspection,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Step => "step",
            ItemKind::Inspection => "inspection",
        }
    }
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A functionary or owner key listed in a layout's `keys`.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutKey {
    /// The key dict exactly as it is in the layout (signed verbatim).
    pub dict: Map<String, Value>,
    /// The parsed key.
    pub key: PublicKey,
}

impl LayoutKey {
    /// The entry in-toto writes for a public key.
    pub fn from_public_key(key: PublicKey) -> LayoutKey {
        LayoutKey {
            dict: key.to_key_dict(),
            key,
        }
    }
}

/// A step of the supply chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: String,
    /// The original `name` when it was not a JSON string (kept for the signed bytes).
    pub name_json: Option<Value>,
    pub threshold: i64,
    /// The original `threshold` when it was a boolean or outside `i64` (kept for the signed
    /// bytes).
    pub threshold_json: Option<Value>,
    pub pubkeys: Vec<String>,
    pub expected_command: Vec<Value>,
    pub expected_materials: Vec<Rule>,
    pub expected_products: Vec<Rule>,
}

/// An inspection: a command run at verification time.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    pub name: String,
    pub name_json: Option<Value>,
    pub run: Vec<Value>,
    pub expected_materials: Vec<Rule>,
    pub expected_products: Vec<Rule>,
}

/// A layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub steps: Vec<Step>,
    pub inspect: Vec<Inspection>,
    pub keys: BTreeMap<String, LayoutKey>,
    pub expires: String,
    pub readme: String,
}

impl Layout {
    /// A new, empty layout made at `now` (it expires a month later, as the reference's).
    pub fn new(now: jiff::Timestamp) -> Layout {
        Layout {
            steps: Vec::new(),
            inspect: Vec::new(),
            keys: BTreeMap::new(),
            expires: default_expires(now),
            readme: String::new(),
        }
    }
}

impl Step {
    pub fn new(name: impl Into<String>) -> Step {
        Step {
            name: name.into(),
            name_json: None,
            threshold: 1,
            threshold_json: None,
            pubkeys: Vec::new(),
            expected_command: Vec::new(),
            expected_materials: Vec::new(),
            expected_products: Vec::new(),
        }
    }

    /// Set the threshold (forgets an unusual original encoding).
    pub fn set_threshold(&mut self, t: i64) {
        self.threshold = t;
        self.threshold_json = None;
    }

    pub fn expected_command_strings(&self) -> Vec<String> {
        self.expected_command.iter().map(py_str).collect()
    }

    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("_type".into(), "step".into());
        m.insert(
            "expected_command".into(),
            Value::Array(self.expected_command.clone()),
        );
        m.insert(
            "expected_materials".into(),
            rules_value(&self.expected_materials),
        );
        m.insert(
            "expected_products".into(),
            rules_value(&self.expected_products),
        );
        m.insert("name".into(), self.name_value());
        m.insert(
            "pubkeys".into(),
            Value::Array(self.pubkeys.iter().cloned().map(Value::String).collect()),
        );
        m.insert(
            "threshold".into(),
            self.threshold_json
                .clone()
                .unwrap_or_else(|| Value::from(self.threshold)),
        );
        Value::Object(m)
    }
}

impl Inspection {
    pub fn new(name: impl Into<String>) -> Inspection {
        Inspection {
            name: name.into(),
            name_json: None,
            run: Vec::new(),
            expected_materials: Vec::new(),
            expected_products: Vec::new(),
        }
    }

    pub fn run_strings(&self) -> Vec<String> {
        self.run.iter().map(py_str).collect()
    }

    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("_type".into(), "inspection".into());
        m.insert(
            "expected_materials".into(),
            rules_value(&self.expected_materials),
        );
        m.insert(
            "expected_products".into(),
            rules_value(&self.expected_products),
        );
        m.insert("name".into(), self.name_value());
        m.insert("run".into(), Value::Array(self.run.clone()));
        Value::Object(m)
    }
}

/// What steps and inspections share: their rule lists and their name.
macro_rules! item_accessors {
    ($t:ty) => {
        impl $t {
            /// The rule list for materials or products.
            pub fn rules(&self, kind: ArtifactKind) -> &[Rule] {
                match kind {
                    ArtifactKind::Materials => &self.expected_materials,
                    ArtifactKind::Products => &self.expected_products,
                }
            }

            /// The name with both rule lists (materials, products): what rule checks
            /// take.
            pub fn named_rules(&self) -> (&str, &[Rule], &[Rule]) {
                (
                    &self.name,
                    &self.expected_materials,
                    &self.expected_products,
                )
            }

            pub fn rules_mut(&mut self, kind: ArtifactKind) -> &mut Vec<Rule> {
                match kind {
                    ArtifactKind::Materials => &mut self.expected_materials,
                    ArtifactKind::Products => &mut self.expected_products,
                }
            }

            /// The name as the reference keeps it (its original JSON when not a string).
            fn name_value(&self) -> Value {
                self.name_json
                    .clone()
                    .unwrap_or_else(|| Value::String(self.name.clone()))
            }
        }
    };
}

item_accessors!(Step);
item_accessors!(Inspection);

fn rules_value(rules: &[Rule]) -> Value {
    Value::Array(
        rules
            .iter()
            .map(|r| Value::Array(r.tokens().iter().cloned().map(Value::String).collect()))
            .collect(),
    )
}

/// `now + 1 month` in the reference's date format (the default `expires`), in UTC.
pub fn default_expires(now: jiff::Timestamp) -> String {
    let now = now.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    let later = now.checked_add(jiff::Span::new().months(1)).unwrap_or(now);
    later.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Parse an `expires` value as the reference validates it: the exact form
/// `YYYY-MM-DDTHH:MM:SSZ` and a real date and time (a civil date-time in UTC, so the whole
/// range up to 9999-12-31T23:59:59Z works).
pub fn parse_expires(s: &str) -> Result<jiff::civil::DateTime> {
    let bad = || {
        Error::format(format!(
            "Malformed date string in layout. Exception: expected 'YYYY-MM-DDTHH:MM:SSZ', got \
             '{s} (<class 'str'>)'"
        ))
    };
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || b[10] != b'T'
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
        || b[19] != b'Z'
    {
        return Err(bad());
    }
    let num =
        |r: std::ops::Range<usize>| s.get(r).and_then(|d| d.parse::<i16>().ok()).unwrap_or(-1);
    let (y, mo, d, h, mi, se) = (
        num(0..4),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
    );
    let invalid = |why: &str| {
        Error::format(format!(
            "Malformed date string in layout. Exception: {why}: {s}"
        ))
    };
    if y < 1 {
        return Err(invalid("year 0 is out of range"));
    }
    jiff::civil::DateTime::new(y, mo as i8, d as i8, h as i8, mi as i8, se as i8, 0)
        .map_err(|_| invalid("day is out of range for month or time out of range"))
}

/// A timestamp as a civil date-time in UTC.
pub fn utc_civil(t: jiff::Timestamp) -> jiff::civil::DateTime {
    t.to_zoned_datetime(jiff::tz::TimeZone::UTC).datetime()
}

/// Format a UTC date-time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_expires(t: jiff::civil::DateTime) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn err_expected(what: &str, v: &Value) -> Error {
    Error::format(format!(
        "expected {what}, got '{} ({})'",
        py_str(v),
        py_type(v)
    ))
}

/// `_check_str_list` + `unpack_rule` for one rule list.
fn parse_rules(v: Option<&Value>, which: &str) -> Result<Vec<Rule>> {
    let list = match v {
        None => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(Error::format(match which {
                "materials" => "Material rules should be a list!",
                _ => "Product rules should be a list!",
            }));
        }
    };
    list.iter()
        .map(|rule| {
            let items = match rule {
                Value::Array(items) => items,
                other => return Err(err_expected("list", other)),
            };
            let tokens = items
                .iter()
                .map(|t| match t {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(err_expected("str", other)),
                })
                .collect::<Result<Vec<String>>>()?;
            Rule::from_tokens(tokens)
        })
        .collect()
}

/// Name as the reference keeps it: any JSON value, `None` when missing.
fn parse_name(v: Option<&Value>) -> (String, Option<Value>) {
    match v {
        Some(Value::String(s)) => (s.clone(), None),
        Some(other) => (py_str(other), Some(other.clone())),
        None => ("None".into(), Some(Value::Null)),
    }
}

fn as_object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| {
        Error::new(
            Exc::TypeError,
            format!(
                "{what}() argument after ** must be a mapping, not {}",
                short_type(v)
            ),
        )
    })
}

fn short_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if number_is_int(n) => "int",
        Value::Number(_) => "float",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

impl Step {
    /// `Step.read(data)`.
    pub fn from_value(v: &Value) -> Result<Step> {
        let m = as_object(v, "Step")?;
        let (name, name_json) = parse_name(m.get("name"));
        let expected_command = match m.get("expected_command") {
            None => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => return Err(Error::format("The expected command field is malformed!")),
        };
        let expected_materials = parse_rules(m.get("expected_materials"), "materials")?;
        let expected_products = parse_rules(m.get("expected_products"), "products")?;
        let pubkeys = match m.get("pubkeys") {
            None => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|k| match k {
                    Value::String(s) if is_hex(s) => Ok(s.clone()),
                    Value::String(_) => Err(err_expected("hex string", k)),
                    other => Err(err_expected("str", other)),
                })
                .collect::<Result<Vec<_>>>()?,
            Some(_) => return Err(Error::format("The pubkeys field should be a list!")),
        };
        let (threshold, threshold_json) = match m.get("threshold") {
            None => (1, None),
            Some(Value::Bool(b)) => (*b as i64, Some(Value::Bool(*b))),
            Some(Value::Number(n)) if number_is_int(n) => int_threshold(n),
            Some(other) => {
                return Err(Error::format(format!(
                    "Invalid threshold '{}', value must be an int.",
                    py_str(other)
                )));
            }
        };
        Ok(Step {
            name,
            name_json,
            threshold,
            threshold_json,
            pubkeys,
            expected_command,
            expected_materials,
            expected_products,
        })
    }
}

fn int_threshold(n: &Number) -> (i64, Option<Value>) {
    let text = json::int_text(n);
    match text.parse::<i64>() {
        Ok(t) => (t, None),
        Err(_) => {
            let t = if text.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            };
            (t, Some(Value::Number(n.clone())))
        }
    }
}

impl Inspection {
    /// `Inspection.read(data)`.
    pub fn from_value(v: &Value) -> Result<Inspection> {
        let m = as_object(v, "Inspection")?;
        let (name, name_json) = parse_name(m.get("name"));
        let expected_materials = parse_rules(m.get("expected_materials"), "materials")?;
        let expected_products = parse_rules(m.get("expected_products"), "products")?;
        let run = match m.get("run") {
            None => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => return Err(Error::format("The run field is malformed!")),
        };
        Ok(Inspection {
            name,
            name_json,
            run,
            expected_materials,
            expected_products,
        })
    }
}

/// Iterate a `steps`/`inspect` value as the reference's `for x in data.get(...)` does.
fn iterate_items(v: Option<&Value>) -> Result<Vec<&Value>> {
    match v {
        None | Some(Value::Null) => Err(Error::new(
            Exc::TypeError,
            "'NoneType' object is not iterable",
        )),
        Some(Value::Array(a)) => Ok(a.iter().collect()),
        // Iterating an empty dict or string yields nothing: accepted as an empty list.
        Some(Value::Object(o)) if o.is_empty() => Ok(Vec::new()),
        Some(Value::String(s)) if s.is_empty() => Ok(Vec::new()),
        Some(Value::Object(_)) | Some(Value::String(_)) => Err(Error::new(
            Exc::TypeError,
            "Step() argument after ** must be a mapping, not str",
        )),
        Some(other) => Err(Error::new(
            Exc::TypeError,
            format!("'{}' object is not iterable", short_type(other)),
        )),
    }
}

impl Layout {
    /// `Layout.read(data)`: parse and validate the signed body of a layout.
    pub fn from_value(v: &Value) -> Result<Layout> {
        Layout::from_value_marked(v, None)
    }

    /// [`Layout::from_value`] for a document in which lone UTF-16 surrogates were replaced by
    /// [`json::LONE_SURROGATE_MARK`] (`marked`): the reference cannot encode such strings.
    pub(crate) fn from_value_marked(v: &Value, marked: Option<char>) -> Result<Layout> {
        let m = v
            .as_object()
            .ok_or_else(|| Error::format("Invalid Metadata format"))?;
        let steps = iterate_items(m.get("steps"))?
            .into_iter()
            .map(Step::from_value)
            .collect::<Result<Vec<_>>>()?;
        let inspect = iterate_items(m.get("inspect"))?
            .into_iter()
            .map(Inspection::from_value)
            .collect::<Result<Vec<_>>>()?;
        // The reference computes the signable bytes (canonical JSON) while validating the new
        // Layout object, before its field checks: floats and lone surrogates fail here.
        {
            let mut n = Map::new();
            n.insert("_type".into(), "layout".into());
            let expires = match m.get("expires") {
                Some(e) if !is_falsy(e) => e.clone(),
                _ => Value::String(String::new()),
            };
            n.insert("expires".into(), expires);
            n.insert(
                "inspect".into(),
                Value::Array(inspect.iter().map(Inspection::to_value).collect()),
            );
            n.insert(
                "keys".into(),
                m.get("keys").cloned().unwrap_or(Value::Object(Map::new())),
            );
            n.insert(
                "readme".into(),
                m.get("readme")
                    .cloned()
                    .unwrap_or(Value::String(String::new())),
            );
            n.insert(
                "steps".into(),
                Value::Array(steps.iter().map(Step::to_value).collect()),
            );
            json::check_encodable(&Value::Object(n), marked)?;
        }

        // A missing or falsy `expires` is "a month from now" when the reference loads it; the
        // process clock stands for its load-time `datetime.today()`.
        let loaded_at =
            || default_expires(crate::clock::Clock::process().unwrap_or_default().now());
        let expires = match m.get("expires") {
            None | Some(Value::Null) => loaded_at(),
            Some(v) if is_falsy(v) => loaded_at(),
            Some(Value::String(s)) => {
                parse_expires(s)?;
                s.clone()
            }
            Some(other) => {
                return Err(Error::format(format!(
                    "Malformed date string in layout. Exception: Parser must be a string or \
                     character stream, not {}",
                    short_type(other)
                )));
            }
        };

        let mut keys = BTreeMap::new();
        match m.get("keys") {
            None => {}
            Some(Value::Object(km)) => {
                for (k, kv) in km {
                    if !is_hex(k) {
                        return Err(err_expected("hex string", &Value::String(k.clone())));
                    }
                    let dict = kv.as_object().ok_or_else(|| err_expected("dict", kv))?;
                    let key = check_public_key(dict)?;
                    keys.insert(
                        k.clone(),
                        LayoutKey {
                            dict: dict.clone(),
                            key,
                        },
                    );
                }
            }
            Some(other) => return Err(err_expected("dict", other)),
        }

        let readme = match m.get("readme") {
            None => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(Error::format(format!(
                    "Invalid readme '{}', value must be a string.",
                    py_str(other)
                )));
            }
        };

        let layout = Layout {
            steps,
            inspect,
            keys,
            expires,
            readme,
        };
        layout.check_unique_names()?;
        Ok(layout)
    }

    /// Names must be unique across steps and inspections (the reference's rule).
    pub fn check_unique_names(&self) -> Result<()> {
        let mut seen: Vec<Value> = Vec::new();
        // The reference keeps the names in a set: a list or dict name is unhashable.
        let hashable = |n: &Value| match n {
            Value::Array(_) | Value::Object(_) => Err(Error::new(
                Exc::TypeError,
                format!("unhashable type: '{}'", short_type(n)),
            )),
            _ => Ok(()),
        };
        for s in &self.steps {
            let n = s.name_value();
            hashable(&n)?;
            if seen.contains(&n) {
                return Err(Error::format(format!(
                    "There is already a step with name '{}'. Step names must be unique within a \
                     layout.",
                    s.name
                )));
            }
            seen.push(n);
        }
        for i in &self.inspect {
            let n = i.name_value();
            hashable(&n)?;
            if seen.contains(&n) {
                return Err(Error::format(format!(
                    "There is already an inspection with name '{}'. Inspection names must be \
                     unique within a layout.",
                    i.name
                )));
            }
            seen.push(n);
        }
        Ok(())
    }

    /// The normalised layout object (`attr.asdict(layout)`).
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("_type".into(), "layout".into());
        m.insert("expires".into(), Value::String(self.expires.clone()));
        m.insert(
            "inspect".into(),
            Value::Array(self.inspect.iter().map(Inspection::to_value).collect()),
        );
        m.insert(
            "keys".into(),
            Value::Object(
                self.keys
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::Object(v.dict.clone())))
                    .collect(),
            ),
        );
        m.insert("readme".into(), Value::String(self.readme.clone()));
        m.insert(
            "steps".into(),
            Value::Array(self.steps.iter().map(Step::to_value).collect()),
        );
        Value::Object(m)
    }

    /// Canonical JSON of the normalised layout: the bytes a legacy signature covers.
    pub fn canonical(&self) -> Result<Vec<u8>> {
        json::canonical(&self.to_value()).map_err(|e| Error::format(e.to_string()))
    }

    /// The expiry as a timestamp.
    pub fn expires_at(&self) -> Result<jiff::civil::DateTime> {
        parse_expires(&self.expires)
    }

    pub fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }

    pub fn inspection(&self, name: &str) -> Option<&Inspection> {
        self.inspect.iter().find(|s| s.name == name)
    }

    /// The public key for a keyid listed in `keys`.
    pub fn key(&self, keyid: &str) -> Option<&PublicKey> {
        self.keys.get(keyid).map(|k| &k.key)
    }

    /// Add (or replace) a functionary key; returns its keyid.
    pub fn add_key(&mut self, key: PublicKey) -> String {
        let id = key.keyid.clone();
        self.keys
            .insert(id.clone(), LayoutKey::from_public_key(key));
        id
    }
}

/// `in_toto.formats._check_public_key`: the dict's own `keyid` names the key.
fn check_public_key(dict: &Map<String, Value>) -> Result<PublicKey> {
    match dict.get("keyid") {
        Some(Value::String(id)) => PublicKey::from_key_dict(id, dict),
        // A keyid that is not a string: securesystemslib checks the other fields first and
        // then raises `TypeError: Unexpected Key attributes types!`.
        Some(_) => PublicKey::from_key_dict("", dict).and(Err(Error::new(
            Exc::TypeError,
            "Unexpected Key attributes types!",
        ))),
        None => Err(Error::format(format!(
            "expected public key dict, got '{} (<class 'dict'>)'",
            py_repr(&Value::Object(dict.clone()))
        ))),
    }
}

/// Python truthiness of a JSON value.
fn is_falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => {
            let t = json::int_text(n);
            if number_is_int(n) {
                t == "0"
            } else {
                n.as_str().parse::<f64>().map(|f| f == 0.0).unwrap_or(false)
            }
        }
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// The Python repr of a value, for messages.
pub fn repr(v: &Value) -> String {
    py_repr(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> Value {
        json!({"_type": "layout", "steps": [], "inspect": [], "expires": "2030-01-01T00:00:00Z"})
    }

    #[test]
    fn defaults_are_filled_and_unknown_fields_dropped() {
        let mut v = minimal();
        v["steps"] = json!([{"name": "a", "bogus": 1, "_type": "bogus"}]);
        v["extra"] = json!(true);
        let l = Layout::from_value(&v).unwrap();
        let out = l.to_value();
        assert_eq!(
            out,
            json!({"_type": "layout", "expires": "2030-01-01T00:00:00Z", "inspect": [], "keys": {},
                   "readme": "", "steps": [{"_type": "step", "expected_command": [],
                   "expected_materials": [], "expected_products": [], "name": "a", "pubkeys": [],
                   "threshold": 1}]})
        );
    }

    #[test]
    fn field_checks() {
        let with = |k: &str, val: Value| {
            let mut v = minimal();
            v["steps"] = json!([{"name": "a"}]);
            v["steps"][0][k] = val;
            Layout::from_value(&v)
        };
        assert!(with("threshold", json!("1")).is_err());
        assert!(with("threshold", json!(1.0)).is_err());
        assert_eq!(with("threshold", json!(0)).unwrap().steps[0].threshold, 0);
        assert_eq!(
            with("threshold", json!(true)).unwrap().steps[0].to_value()["threshold"],
            json!(true)
        );
        assert!(with("pubkeys", json!(["zz"])).is_err());
        assert!(with("pubkeys", json!("ab")).is_err());
        assert!(with("expected_command", json!("make")).is_err());
        assert!(with("expected_materials", json!([["CREATE"]])).is_err());
        assert!(with("expected_materials", json!([["CREATE", 1]])).is_err());
        let mut v = minimal();
        v.as_object_mut().unwrap().remove("steps");
        assert_eq!(Layout::from_value(&v).unwrap_err().class, "TypeError");
    }

    #[test]
    fn names_unique_across_steps_and_inspections() {
        let mut v = minimal();
        v["steps"] = json!([{"name": "a"}]);
        v["inspect"] = json!([{"name": "a"}]);
        let e = Layout::from_value(&v).unwrap_err();
        assert!(e.message.contains("already an inspection"), "{e}");
    }

    #[test]
    fn expiry_format_is_strict() {
        assert!(parse_expires("2030-01-01T00:00:00Z").is_ok());
        assert!(parse_expires("2000-02-29T00:00:00Z").is_ok());
        for bad in [
            "2030-01-01T00:00:00",
            "2030-01-01T00:00:00.5Z",
            "2030-01-01T00:00:00+00:00",
            "2000-01-35T00:00:00Z",
            "2001-02-29T00:00:00Z",
            "2030-01-01T24:00:00Z",
            "0000-01-01T00:00:00Z",
            "2030-1-01T00:00:00Z",
        ] {
            assert!(parse_expires(bad).is_err(), "{bad}");
        }
    }
}
