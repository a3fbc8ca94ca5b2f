//! Parameter substitution with the reference's semantics (`substitute_parameters`): every
//! element of every step's and inspection's rules, of `expected_command` and of `run` goes
//! through Python's `str.format(**params)`: `{NAME}` is replaced, `{{` and `}}` become
//! single braces, an unknown name or a stray brace is an error. Parameter names match
//! `^[a-zA-Z0-9_-]+$`. Rules are re-parsed afterwards; a rule that no longer parses fails
//! when it is verified, as in the reference.

use crate::Exc;
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

/// Python `template.format(**params)` ([`crate::py::format`]).
pub fn format(template: &str, params: &BTreeMap<String, String>) -> Result<String> {
    crate::py::format::format(template, params)
}

fn format_value(v: &Value, params: &BTreeMap<String, String>) -> Result<Value> {
    match v {
        Value::String(s) => Ok(Value::String(format(s, params)?)),
        other => Err(Error::new(
            Exc::AttributeError,
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
                let name = field
                    .split([':', '!', '.', '['])
                    .next()
                    .unwrap_or("")
                    .to_string();
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
    fn names_are_checked() {
        assert!(check_params(&p(&[("ok_name-1", "x")])).is_ok());
        assert!(check_params(&p(&[("bad name", "x")])).is_err());
    }
}
