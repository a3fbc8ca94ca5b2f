//! Parameter substitution with the reference's semantics (`substitute_parameters`): every
//! element of every step's and inspection's rules, of `expected_command` and of `run` goes
//! through Python's `str.format(**params)`: `{NAME}` is replaced, `{{` and `}}` become
//! single braces, an unknown name or a stray brace is an error. Parameter names match
//! `^[a-zA-Z0-9_-]+$`. Rules are re-parsed afterwards; a rule that no longer parses fails
//! when it is verified, as in the reference.

use crate::error::{Error, Result};
use crate::model::layout::Layout;
use crate::model::rule::Rule;
use serde_json::Value;
use std::collections::BTreeMap;

/// Check the parameter names (`_check_parameter_dict`).
pub fn check_params(params: &BTreeMap<String, String>) -> Result<()> {
    for name in params.keys() {
        let ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            return Err(Error::format(format!(
                "expected 'a-zA-Z0-9_-', got parameter name {name:?}"
            )));
        }
    }
    Ok(())
}

/// Python `template.format(**params)` for the replacement fields this tool supports:
/// `{name}`, `{name!s}`, `{name!r}`, `{name!a}` and a string format spec
/// (`[[fill]align][width][.precision]`).
pub fn format(template: &str, params: &BTreeMap<String, String>) -> Result<String> {
    let chars: Vec<char> = template.chars().collect();
    let mut out = String::with_capacity(template.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '{' {
            if chars.get(i + 1) == Some(&'{') {
                out.push('{');
                i += 2;
                continue;
            }
            // Find the end of the field, allowing one level of nested braces in the spec.
            let mut depth = 1;
            let mut j = i + 1;
            while j < chars.len() {
                match chars[j] {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            if j >= chars.len() {
                return Err(Error::new(
                    "ValueError",
                    "expected '}' before end of string",
                ));
            }
            let field: String = chars[i + 1..j].iter().collect();
            out.push_str(&replace_field(&field, params)?);
            i = j + 1;
        } else if c == '}' {
            if chars.get(i + 1) == Some(&'}') {
                out.push('}');
                i += 2;
                continue;
            }
            return Err(Error::new(
                "ValueError",
                "Single '}' encountered in format string",
            ));
        } else {
            out.push(c);
            i += 1;
        }
    }
    Ok(out)
}

fn replace_field(field: &str, params: &BTreeMap<String, String>) -> Result<String> {
    let (name_part, spec) = match field.find(':') {
        Some(p) => (&field[..p], Some(&field[p + 1..])),
        None => (field, None),
    };
    let (name, conversion) = match name_part.find('!') {
        Some(p) => (&name_part[..p], Some(&name_part[p + 1..])),
        None => (name_part, None),
    };
    if name.is_empty() || name.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::new(
            "IndexError",
            "Replacement index 0 out of range for positional args tuple",
        ));
    }
    if name.contains(['.', '[']) {
        return Err(Error::new(
            "ValueError",
            format!("attribute or index access in parameter '{{{field}}}' is not supported"),
        ));
    }
    let value = params
        .get(name)
        .ok_or_else(|| Error::new("KeyError", format!("'{name}'")))?;
    let value = match conversion {
        None | Some("s") => value.clone(),
        Some("r") | Some("a") => crate::model::json::py_repr_str(value),
        Some(other) => {
            return Err(Error::new(
                "ValueError",
                format!("Unknown conversion specifier {other}"),
            ));
        }
    };
    match spec {
        None | Some("") => Ok(value),
        Some(spec) => {
            let spec = if spec.contains('{') {
                format(spec, params)?
            } else {
                spec.to_string()
            };
            apply_str_spec(&value, &spec)
        }
    }
}

/// The string part of Python's format-spec mini-language.
/// The widest padding a `{NAME:width}` field may ask for (64 Mi characters).
const MAX_FORMAT_WIDTH: usize = 64 << 20;

/// A width or precision of a format spec, as CPython reads it: more than `sys.maxsize`
/// is `ValueError: Too many decimal digits in format string`. `Err(None)` for an empty
/// string (the caller's own error).
fn spec_number(digits: &str) -> std::result::Result<usize, Option<Error>> {
    if digits.is_empty() {
        return Err(None);
    }
    match digits.parse::<u64>() {
        Ok(n) if n <= i64::MAX as u64 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Err(Some(Error::new(
            "ValueError",
            "Too many decimal digits in format string",
        ))),
    }
}

fn apply_str_spec(value: &str, spec: &str) -> Result<String> {
    let bad = || {
        Error::new(
            "ValueError",
            format!("Invalid format specifier '{spec}' for object of type 'str'"),
        )
    };
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    let (mut fill, mut align) = (' ', '<');
    if chars.len() >= 2 && matches!(chars[1], '<' | '>' | '^') {
        fill = chars[0];
        align = chars[1];
        i = 2;
    } else if !chars.is_empty() && matches!(chars[0], '<' | '>' | '^') {
        align = chars[0];
        i = 1;
    }
    let mut width = String::new();
    while i < chars.len() && chars[i].is_ascii_digit() {
        width.push(chars[i]);
        i += 1;
    }
    let mut precision: Option<usize> = None;
    if i < chars.len() && chars[i] == '.' {
        i += 1;
        let mut p = String::new();
        while i < chars.len() && chars[i].is_ascii_digit() {
            p.push(chars[i]);
            i += 1;
        }
        precision = Some(spec_number(&p).map_err(|e| e.unwrap_or_else(bad))?);
    }
    if i < chars.len() && chars[i] == 's' {
        i += 1;
    }
    if i != chars.len() {
        return Err(bad());
    }
    let mut s: String = match precision {
        Some(p) => value.chars().take(p).collect(),
        None => value.to_string(),
    };
    let width: usize = if width.is_empty() {
        0
    } else {
        spec_number(&width).map_err(|e| e.unwrap_or_else(bad))?
    };
    if width > MAX_FORMAT_WIDTH {
        // Python tries to build the string and fails with MemoryError; here it is refused
        // before any allocation.
        return Err(Error::new(
            "MemoryError",
            format!("a format width of {width} characters is more than this tool allocates"),
        ));
    }
    let len = s.chars().count();
    if width > len {
        let pad = width - len;
        let (left, right) = match align {
            '>' => (pad, 0),
            '^' => (pad / 2, pad - pad / 2),
            _ => (0, pad),
        };
        s = format!(
            "{}{}{}",
            fill.to_string().repeat(left),
            s,
            fill.to_string().repeat(right)
        );
    }
    Ok(s)
}

fn format_value(v: &Value, params: &BTreeMap<String, String>) -> Result<Value> {
    match v {
        Value::String(s) => Ok(Value::String(format(s, params)?)),
        other => Err(Error::new(
            "AttributeError",
            format!(
                "'{}' object has no attribute 'format'",
                match other {
                    Value::Null => "NoneType",
                    Value::Bool(_) => "bool",
                    Value::Number(_) => "int",
                    Value::Array(_) => "list",
                    _ => "dict",
                }
            ),
        )),
    }
}

fn format_rules(rules: &mut Vec<Rule>, params: &BTreeMap<String, String>) -> Result<()> {
    let mut out = Vec::with_capacity(rules.len());
    for rule in rules.iter() {
        let tokens = rule
            .tokens()
            .iter()
            .map(|t| format(t, params))
            .collect::<Result<Vec<_>>>()?;
        out.push(Rule::from_tokens_lenient(tokens));
    }
    *rules = out;
    Ok(())
}

/// Substitute parameters into a layout in place (`substitute_parameters`).
pub fn substitute(layout: &mut Layout, params: &BTreeMap<String, String>) -> Result<()> {
    check_params(params)?;
    for step in &mut layout.steps {
        format_rules(&mut step.expected_materials, params)?;
        format_rules(&mut step.expected_products, params)?;
        step.expected_command = step
            .expected_command
            .iter()
            .map(|v| format_value(v, params))
            .collect::<Result<_>>()?;
    }
    for insp in &mut layout.inspect {
        format_rules(&mut insp.expected_materials, params)?;
        format_rules(&mut insp.expected_products, params)?;
        insp.run = insp
            .run
            .iter()
            .map(|v| format_value(v, params))
            .collect::<Result<_>>()?;
    }
    Ok(())
}

/// The `{NAME}` parameters a string uses (for lint and the editor).
pub fn placeholders(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = template.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '{' {
            if chars.get(i + 1) == Some(&'{') {
                i += 2;
                continue;
            }
            if let Some(end) = chars[i + 1..].iter().position(|&c| c == '}') {
                let field: String = chars[i + 1..i + 1 + end].iter().collect();
                let name = field.split([':', '!']).next().unwrap_or("").to_string();
                out.push(name);
                i += end + 2;
                continue;
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn python_format_semantics() {
        let params = p(&[("NAME", "demo"), ("V", "1.0")]);
        assert_eq!(
            format("{NAME}-{V}.tar.gz", &params).unwrap(),
            "demo-1.0.tar.gz"
        );
        assert_eq!(format("{{literal}}", &params).unwrap(), "{literal}");
        assert_eq!(format("{NAME!r}", &params).unwrap(), "'demo'");
        assert_eq!(format("{NAME:>6}", &params).unwrap(), "  demo");
        assert_eq!(format("{NAME:.2}", &params).unwrap(), "de");
        assert_eq!(format("{MISSING}", &params).unwrap_err().class, "KeyError");
        assert_eq!(format("a}b", &params).unwrap_err().class, "ValueError");
        assert_eq!(format("a{b", &params).unwrap_err().class, "ValueError");
        assert_eq!(format("{}", &params).unwrap_err().class, "IndexError");
        assert_eq!(placeholders("x{A}y{{z}}{B:>3}"), vec!["A", "B"]);
    }

    #[test]
    fn huge_widths_fail_cleanly() {
        let params = p(&[("N", "x")]);
        let e = format("{N:>1000000000000000}", &params).unwrap_err();
        assert_eq!(e.class, "MemoryError");
        let e = format("{N:99999999999999999999}", &params).unwrap_err();
        assert_eq!(
            (e.class, e.message.as_str()),
            ("ValueError", "Too many decimal digits in format string")
        );
        let e = format("{N:.99999999999999999999}", &params).unwrap_err();
        assert_eq!(e.class, "ValueError");
        assert_eq!(format("{N:.1000000000000}", &params).unwrap(), "x");
        assert_eq!(format("{N:>3}", &params).unwrap(), "  x");
    }

    #[test]
    fn names_are_checked() {
        assert!(check_params(&p(&[("ok_name-1", "x")])).is_ok());
        assert!(check_params(&p(&[("bad name", "x")])).is_err());
    }
}
