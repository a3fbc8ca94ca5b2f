//! Artifact rules (`expected_materials` / `expected_products`).
//!
//! A rule is stored as the list of strings written in the layout ([`Rule::tokens`], printed
//! back exactly, keyword case included) and parsed into a typed [`RuleKind`] with the
//! reference's grammar (`in_toto.rulelib.unpack_rule`): keywords are case-insensitive;
//! patterns, prefixes and step names keep their case.
//!
//! ```text
//! CREATE|DELETE|MODIFY|ALLOW|DISALLOW <pattern>      REQUIRE <file>
//! MATCH <pattern> [IN <source-prefix>] WITH (MATERIALS|PRODUCTS) [IN <dest-prefix>] FROM <step>
//! ```

use crate::error::{Error, Result};
use crate::py::json::py_repr_list;
use std::fmt;

/// Which artifacts of the destination a MATCH rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ArtifactKind {
    Materials,
    Products,
}

impl ArtifactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::Materials => "materials",
            ArtifactKind::Products => "products",
        }
    }

    /// The layout field holding the rules for this kind.
    pub fn rule_set(self) -> &'static str {
        match self {
            ArtifactKind::Materials => "expected_materials",
            ArtifactKind::Products => "expected_products",
        }
    }
}

/// Serialise an optional kind as the name of its rule set (`expected_materials`).
pub fn serialize_rule_set<S: serde::Serializer>(
    kind: &Option<ArtifactKind>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match kind {
        Some(k) => s.serialize_some(k.rule_set()),
        None => s.serialize_none(),
    }
}

/// A parsed artifact rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleKind {
    Create(String),
    Delete(String),
    Modify(String),
    Allow(String),
    Disallow(String),
    Require(String),
    Match {
        pattern: String,
        /// Empty when absent (the reference treats `IN ""` like no prefix).
        source_prefix: String,
        dest_type: ArtifactKind,
        dest_prefix: String,
        dest_name: String,
    },
}

impl RuleKind {
    /// The rule keyword in upper case.
    pub fn keyword(&self) -> &'static str {
        match self {
            RuleKind::Create(_) => "CREATE",
            RuleKind::Delete(_) => "DELETE",
            RuleKind::Modify(_) => "MODIFY",
            RuleKind::Allow(_) => "ALLOW",
            RuleKind::Disallow(_) => "DISALLOW",
            RuleKind::Require(_) => "REQUIRE",
            RuleKind::Match { .. } => "MATCH",
        }
    }

    /// The pattern (for REQUIRE: the literal file name).
    pub fn pattern(&self) -> &str {
        match self {
            RuleKind::Create(p)
            | RuleKind::Delete(p)
            | RuleKind::Modify(p)
            | RuleKind::Allow(p)
            | RuleKind::Disallow(p)
            | RuleKind::Require(p) => p,
            RuleKind::Match { pattern, .. } => pattern,
        }
    }

    /// Whether the rule removes what it matches from the queue.
    pub fn consumes(&self) -> bool {
        !matches!(self, RuleKind::Disallow(_) | RuleKind::Require(_))
    }

    /// The canonical token list (keywords upper case, as the reference's `pack_rule`).
    pub fn to_tokens(&self) -> Vec<String> {
        match self {
            RuleKind::Match {
                pattern,
                source_prefix,
                dest_type,
                dest_prefix,
                dest_name,
            } => {
                let mut t = vec!["MATCH".to_string(), pattern.clone()];
                if !source_prefix.is_empty() {
                    t.push("IN".into());
                    t.push(source_prefix.clone());
                }
                t.push("WITH".into());
                t.push(dest_type.as_str().to_uppercase());
                if !dest_prefix.is_empty() {
                    t.push("IN".into());
                    t.push(dest_prefix.clone());
                }
                t.push("FROM".into());
                t.push(dest_name.clone());
                t
            }
            other => vec![other.keyword().to_string(), other.pattern().to_string()],
        }
    }
}

/// An artifact rule as written in a layout, with its parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    tokens: Vec<String>,
    kind: std::result::Result<RuleKind, String>,
}

impl Rule {
    /// Parse a rule from its list form; the error is the reference's `FormatError`.
    pub fn from_tokens(tokens: Vec<String>) -> Result<Rule> {
        let kind = unpack(&tokens)?;
        Ok(Rule {
            tokens,
            kind: Ok(kind),
        })
    }

    /// Keep a rule whose tokens no longer parse (after parameter substitution); the error
    /// surfaces when the rule is verified, as in the reference.
    pub fn from_tokens_lenient(tokens: Vec<String>) -> Rule {
        let kind = unpack(&tokens).map_err(|e| e.message);
        Rule { tokens, kind }
    }

    /// Parse a rule from one line of text, split like POSIX `shlex.split`.
    pub fn parse_line(line: &str) -> Result<Rule> {
        let tokens = split_line(line)?;
        Rule::from_tokens(tokens)
    }

    /// Build a rule from a typed kind (keywords in upper case).
    pub fn from_kind(kind: RuleKind) -> Rule {
        Rule {
            tokens: kind.to_tokens(),
            kind: Ok(kind),
        }
    }

    /// The tokens exactly as written in the layout.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// The parsed rule.
    pub fn kind(&self) -> std::result::Result<&RuleKind, Error> {
        self.kind.as_ref().map_err(|m| Error::format(m.clone()))
    }

    /// The tokens joined by single spaces, as the reference prints rules in messages.
    pub fn joined(&self) -> String {
        self.tokens.join(" ")
    }

    /// One editable line: tokens quoted where needed so that [`Rule::parse_line`] gives
    /// them back.
    pub fn to_line(&self) -> String {
        join_line(&self.tokens)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.joined())
    }
}

pub use crate::py::shlex::split as split_line;

/// Quote tokens only where [`split_line`] needs it, so rules read as written:
/// `MATCH src/* WITH PRODUCTS FROM clone`, `CREATE 'my file.txt'`.
pub fn join_line(tokens: &[String]) -> String {
    tokens
        .iter()
        .map(|t| {
            let plain = !t.is_empty()
                && !t
                    .chars()
                    .any(|c| c.is_whitespace() || matches!(c, '\'' | '"' | '\\'));
            if plain {
                t.clone()
            } else {
                format!("'{}'", t.replace('\'', "'\"'\"'"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

const RULE_NAMES: &str = "match, create, modify, delete, allow, disallow, require";

/// `in_toto.rulelib.unpack_rule`.
fn unpack(rule: &[String]) -> Result<RuleKind> {
    let lower: Vec<String> = rule.iter().map(|s| s.to_lowercase()).collect();
    let n = rule.len();
    let first = lower.first().map(String::as_str).unwrap_or("");
    let known = matches!(
        first,
        "match" | "create" | "modify" | "delete" | "allow" | "disallow" | "require"
    );
    if n < 2 || !known {
        return Err(Error::format(format!(
            "Wrong rule format, rules must start with one of '{RULE_NAMES}' and specify a \
             'pattern' as second element.\nGot: \n\t'{}'",
            py_repr_list(rule)
        )));
    }
    let pattern = rule[1].clone();
    if first != "match" {
        if n != 2 {
            return Err(Error::format(format!(
                "Wrong rule format, generic rules must have one of the formats:\n\tCREATE \
                 <pattern>\n\tMODIFY <pattern>\n\tDELETE <pattern>\n\tALLOW <pattern>\n\t\
                 DISALLOW <pattern>\nREQUIRE <file>\nGot:\n\t{}",
                py_repr_list(rule)
            )));
        }
        return Ok(match first {
            "create" => RuleKind::Create(pattern),
            "modify" => RuleKind::Modify(pattern),
            "delete" => RuleKind::Delete(pattern),
            "allow" => RuleKind::Allow(pattern),
            "disallow" => RuleKind::Disallow(pattern),
            _ => RuleKind::Require(pattern),
        });
    }
    let l = |i: usize| lower[i].as_str();
    let (source_prefix, dest_type, dest_prefix, dest_name) =
        if n == 10 && l(2) == "in" && l(4) == "with" && l(6) == "in" && l(8) == "from" {
            (rule[3].clone(), l(5), rule[7].clone(), rule[9].clone())
        } else if n == 8 && l(2) == "in" && l(4) == "with" && l(6) == "from" {
            (rule[3].clone(), l(5), String::new(), rule[7].clone())
        } else if n == 8 && l(2) == "with" && l(4) == "in" && l(6) == "from" {
            (String::new(), l(3), rule[5].clone(), rule[7].clone())
        } else if n == 6 && l(2) == "with" && l(4) == "from" {
            (String::new(), l(3), String::new(), rule[5].clone())
        } else {
            return Err(Error::format(format!(
                "Wrong rule format, match rules must have the format:\n\t MATCH <pattern> [IN \
                 <source-path-prefix>] WITH (MATERIALS|PRODUCTS) [IN <destination-path-prefix>] \
                 FROM <step>.\nGot: \n\t{}",
                py_repr_list(rule)
            )));
        };
    let dest_type = match dest_type {
        "materials" => ArtifactKind::Materials,
        "products" => ArtifactKind::Products,
        _ => {
            return Err(Error::format(format!(
                "Wrong rule format, match rules must have either MATERIALS or PRODUCTS (case \
                 insensitive) as destination.\nGot: \n\t{}",
                py_repr_list(rule)
            )));
        }
    };
    Ok(RuleKind::Match {
        pattern,
        source_prefix,
        dest_type,
        dest_prefix,
        dest_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn every_generic_rule() {
        for (kw, expect) in [
            ("CREATE", RuleKind::Create("a".into())),
            ("delete", RuleKind::Delete("a".into())),
            ("Modify", RuleKind::Modify("a".into())),
            ("allow", RuleKind::Allow("a".into())),
            ("DISALLOW", RuleKind::Disallow("a".into())),
            ("require", RuleKind::Require("a".into())),
        ] {
            let r = Rule::from_tokens(toks(&[kw, "a"])).unwrap();
            assert_eq!(r.kind().unwrap(), &expect);
            assert_eq!(r.tokens(), &toks(&[kw, "a"])[..], "printed back exactly");
        }
        assert!(Rule::from_tokens(toks(&["CREATE"])).is_err());
        assert!(Rule::from_tokens(toks(&["CREATE", "a", "b"])).is_err());
        assert!(Rule::from_tokens(toks(&["COPY", "a"])).is_err());
    }

    #[test]
    fn every_match_form() {
        let r = Rule::from_tokens(toks(&["match", "*", "with", "products", "from", "s"])).unwrap();
        assert_eq!(
            r.kind().unwrap(),
            &RuleKind::Match {
                pattern: "*".into(),
                source_prefix: "".into(),
                dest_type: ArtifactKind::Products,
                dest_prefix: "".into(),
                dest_name: "s".into()
            }
        );
        let r = Rule::from_tokens(toks(&[
            "MATCH",
            "*",
            "IN",
            "a",
            "WITH",
            "MATERIALS",
            "FROM",
            "S",
        ]))
        .unwrap();
        assert!(
            matches!(r.kind().unwrap(), RuleKind::Match { source_prefix, dest_name, dest_type: ArtifactKind::Materials, .. } if source_prefix == "a" && dest_name == "S")
        );
        let r = Rule::from_tokens(toks(&[
            "MATCH", "*", "WITH", "PRODUCTS", "IN", "b", "FROM", "s",
        ]))
        .unwrap();
        assert!(
            matches!(r.kind().unwrap(), RuleKind::Match { dest_prefix, source_prefix, .. } if dest_prefix == "b" && source_prefix.is_empty())
        );
        let r = Rule::from_tokens(toks(&[
            "MATCH", "*", "IN", "a", "WITH", "PRODUCTS", "IN", "b", "FROM", "s",
        ]))
        .unwrap();
        assert!(
            matches!(r.kind().unwrap(), RuleKind::Match { dest_prefix, source_prefix, .. } if dest_prefix == "b" && source_prefix == "a")
        );
        let bad = Rule::from_tokens(toks(&["MATCH", "*", "WITH", "FILES", "FROM", "s"]));
        assert!(bad.unwrap_err().message.contains("MATERIALS or PRODUCTS"));
        assert!(Rule::from_tokens(toks(&["MATCH", "*", "FROM", "s"])).is_err());
    }

    #[test]
    fn line_round_trip_with_quotes() {
        let r = Rule::parse_line("MATCH 'my file.txt' WITH PRODUCTS FROM \"the step\"").unwrap();
        assert_eq!(
            r.tokens(),
            &toks(&[
                "MATCH",
                "my file.txt",
                "WITH",
                "PRODUCTS",
                "FROM",
                "the step"
            ])[..]
        );
        let again = Rule::parse_line(&r.to_line()).unwrap();
        assert_eq!(again, r);
        assert!(Rule::parse_line("MATCH 'unclosed").is_err());
    }

    #[test]
    fn split_like_python_shlex() {
        // Answers of Python's shlex.split.
        let cases: &[(&str, &[&str])] = &[
            ("MATCH #x WITH", &["MATCH", "#x", "WITH"]),
            ("a\\ b", &["a b"]),
            ("\"a\\\"b\" c", &["a\"b", "c"]),
            ("'a\\b'", &["a\\b"]),
            ("\"x\\y\"", &["x\\y"]),
            ("a\"b c\"d", &["ab cd"]),
            ("", &[]),
            ("x \"\" y", &["x", "", "y"]),
        ];
        for (line, want) in cases {
            assert_eq!(
                split_line(line).unwrap(),
                want.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "{line:?}"
            );
        }
        let tokens: Vec<String> = vec!["it's".into(), "".into(), "a\"b\\c".into(), "*.py".into()];
        assert_eq!(split_line(&join_line(&tokens)).unwrap(), tokens);
        assert_eq!(join_line(&["MATCH".into(), "src/*".into()]), "MATCH src/*");
    }

    #[test]
    fn kind_to_tokens_round_trip() {
        for line in [
            "MATCH * IN a WITH PRODUCTS IN b FROM s",
            "MATCH * WITH MATERIALS FROM s",
            "DISALLOW *",
        ] {
            let r = Rule::parse_line(line).unwrap();
            assert_eq!(Rule::from_kind(r.kind().unwrap().clone()), r);
        }
    }
}
