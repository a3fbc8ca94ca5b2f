//! Root causes of rule failures: for each artifact a DISALLOW or REQUIRE caught, name the
//! earlier rule that would have consumed it and why it did not.

use super::report::{RootCause, RuleSetReport};
use super::rules::{LinkMap, MatchOutcome, match_one};
use crate::model::link::{HashDict, Link};
use crate::model::rule::{ArtifactKind, Rule, RuleKind};
use crate::py::fnmatch::Pattern;

/// What the rules of an item can see, for explanations.
pub struct Scope<'a> {
    pub steps: &'a [String],
    pub inspections: &'a [String],
    /// True while verifying step rules (inspection links are not available yet).
    pub step_rules: bool,
}

/// How many artifacts get an individual explanation.
const EXPLAIN_LIMIT: usize = 20;

/// Explain a failure at rule `failing` of a rule set.
#[allow(clippy::too_many_arguments)]
pub fn root_causes(
    item: &str,
    kind: ArtifactKind,
    link: &Link,
    rules: &[Rule],
    report: &RuleSetReport,
    failing: usize,
    artifacts: &[String],
    links: &LinkMap,
    scope: &Scope,
) -> Vec<RootCause> {
    let source = link.artifacts(kind);
    let mut out = Vec::new();
    let require = matches!(rules[failing].kind(), Ok(RuleKind::Require(_)));
    for a in artifacts.iter().take(EXPLAIN_LIMIT) {
        if require {
            out.push(explain_require(item, kind, report, a));
            continue;
        }
        let mut found = false;
        for (j, rule) in rules.iter().enumerate().take(failing) {
            let Ok(rk) = rule.kind() else { continue };
            if let Some(cause) =
                explain_rule(item, kind, link, rk, j, rule, a, links, scope, source)
            {
                out.push(cause);
                found = true;
            }
        }
        if !found {
            out.push(RootCause {
                artifact: a.clone(),
                rule_index: None,
                rule: None,
                explanation: format!(
                    "no earlier rule in {} of '{item}' matches '{a}': nothing accounts for it \
                     (add a MATCH, CREATE, MODIFY or ALLOW rule for it before the failing rule, \
                     or find out why the step recorded it)",
                    kind.rule_set()
                ),
                hashes: source.get(a).map(|h| (h.full(), None)),
            });
        }
    }
    out
}

fn explain_require(item: &str, kind: ArtifactKind, report: &RuleSetReport, a: &str) -> RootCause {
    match report.artifacts.index_of(a) {
        None => RootCause {
            artifact: a.to_string(),
            rule_index: None,
            rule: None,
            explanation: format!(
                "'{a}' is not among the {} of '{item}': the link does not record it",
                kind.as_str()
            ),
            hashes: None,
        },
        Some(i) => {
            let j = report.consumer_of(i);
            RootCause {
                artifact: a.to_string(),
                rule_index: j,
                rule: j.map(|j| report.rules[j].rule.clone()),
                explanation: match j {
                    Some(j) => format!(
                        "'{a}' was consumed by the earlier rule '{}' (#{}); REQUIRE only sees \
                         artifacts still in the queue, so it must come before that rule",
                        report.rules[j].rule.join(" "),
                        j + 1
                    ),
                    None => format!("'{a}' left the queue before this rule"),
                },
                hashes: None,
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn explain_rule(
    item: &str,
    kind: ArtifactKind,
    link: &Link,
    rk: &RuleKind,
    j: usize,
    rule: &Rule,
    a: &str,
    links: &LinkMap,
    scope: &Scope,
    source: &crate::model::link::Artifacts,
) -> Option<RootCause> {
    let (materials, products) = (&*link.materials, &*link.products);
    let here = source.get(a).map(|h| h.full());
    let cause = |explanation: String, theirs: Option<String>| RootCause {
        artifact: a.to_string(),
        rule_index: Some(j),
        rule: Some(rule.tokens().to_vec()),
        explanation,
        hashes: here.clone().map(|h| (h, theirs)),
    };
    let written = rule.joined();
    match rk {
        RuleKind::Match {
            pattern,
            source_prefix,
            dest_type,
            dest_prefix,
            dest_name,
        } => {
            let pat = Pattern::new(pattern);
            let dest = links.get(dest_name).map(|l| l.artifacts(*dest_type));
            let where_ = format!("{dest_name}'s {}", dest_type.as_str());
            match match_one(a, &pat, source_prefix, dest_prefix, dest, source) {
                MatchOutcome::NotSelected | MatchOutcome::Consumed { .. } => None,
                MatchOutcome::NoLink => {
                    let why = if scope.steps.iter().any(|s| s == dest_name) {
                        format!("there is no verified link for step '{dest_name}'")
                    } else if scope.inspections.iter().any(|s| s == dest_name) {
                        if scope.step_rules {
                            format!(
                                "'{dest_name}' is an inspection: step rules run before \
                                 inspections and cannot see their artifacts"
                            )
                        } else {
                            format!("there is no link for inspection '{dest_name}'")
                        }
                    } else {
                        let hint = closest(dest_name, scope.steps.iter().chain(scope.inspections))
                            .map(|c| format!(" (did you mean '{c}'?)"))
                            .unwrap_or_default();
                        format!("'{dest_name}' is not a step or inspection of this layout{hint}")
                    };
                    Some(cause(
                        format!("'{written}' could not consume '{a}': {why}"),
                        None,
                    ))
                }
                MatchOutcome::DestAbsent { dest_path } => Some(cause(
                    format!("'{written}' looked for '{dest_path}' in {where_}: absent there"),
                    None,
                )),
                MatchOutcome::HashDiffers { dest_path } => {
                    let (a_hash, dest_hash) = (source.get(a), dest.and_then(|d| d.get(&dest_path)));
                    let (ours, theirs) = distinguish(a_hash.as_ref(), dest_hash.as_ref());
                    let full = |h: Option<HashDict>| h.map(|h| h.full()).unwrap_or_default();
                    Some(RootCause {
                        // In full for machines; the explanation shows as much as tells
                        // them apart.
                        hashes: Some((full(a_hash), Some(full(dest_hash)))),
                        ..cause(
                            format!(
                                "'{written}' looked for '{dest_path}' in {where_}: hash differs \
                                 ({ours} in '{item}', {theirs} in '{dest_name}')"
                            ),
                            None,
                        )
                    })
                }
                MatchOutcome::SourceMissing { source_path } => Some(cause(
                    format!(
                        "'{written}' joins the prefix into '{source_path}', which is not an artifact"
                    ),
                    None,
                )),
            }
        }
        other => {
            if !Pattern::new(other.pattern()).matches(a) {
                return None;
            }
            let text = match other {
                RuleKind::Create(_) if kind == ArtifactKind::Materials => {
                    format!("'{written}' matches '{a}', but CREATE never consumes materials")
                }
                RuleKind::Create(_) => format!(
                    "'{written}' matches '{a}', but '{a}' is also a material of '{item}': it \
                     existed before the step, so it was not created (MODIFY or MATCH it)"
                ),
                RuleKind::Delete(_) if kind == ArtifactKind::Products => {
                    format!("'{written}' matches '{a}', but DELETE never consumes products")
                }
                RuleKind::Delete(_) => format!(
                    "'{written}' matches '{a}', but '{a}' is still a product of '{item}': it was \
                     not deleted"
                ),
                RuleKind::Modify(_) => match (materials.get(a), products.get(a)) {
                    (Some(m), Some(p)) if m == p => format!(
                        "'{written}' matches '{a}', but its hash is the same in materials and \
                         products: it was not modified"
                    ),
                    _ => format!(
                        "'{written}' matches '{a}', but '{a}' is not both a material and a \
                         product of '{item}'"
                    ),
                },
                _ => return None,
            };
            Some(cause(text, None))
        }
    }
}

/// Two hash dicts shown short, but long enough to see that they differ.
fn distinguish(a: Option<&HashDict>, b: Option<&HashDict>) -> (String, String) {
    let full = |h: Option<&HashDict>| h.map(HashDict::full).unwrap_or_default();
    let (sa, sb) = (
        a.map(HashDict::short).unwrap_or_default(),
        b.map(HashDict::short).unwrap_or_default(),
    );
    if sa != sb {
        (sa, sb)
    } else {
        (full(a), full(b))
    }
}

/// The candidate with the smallest edit distance, if it is close enough to be a typo.
fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a String>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::levenshtein(name, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_suggestions() {
        let names = ["clone".to_string(), "update-version".to_string()];
        assert_eq!(closest("clnoe", names.iter()), Some("clone"));
        assert_eq!(closest("package", names.iter()), None);
    }
}
