//! Artifact rule evaluation with the reference's queue semantics
//! (`verifylib.verify_item_rules`), traced.
//!
//! The queue starts as the item's materials (or products); CREATE, DELETE, MODIFY, ALLOW
//! and MATCH remove what they match; DISALLOW fails if its pattern matches anything still
//! queued; REQUIRE fails if its literal path is not queued; leftovers pass.

use super::report::{RuleReport, RuleSetReport, Status};
use crate::model::fnmatch::Pattern;
use crate::model::json::{py_repr_list, py_repr_set};
use crate::model::link::{Artifacts, Link};
use crate::model::rule::{ArtifactKind, Rule, RuleKind};
use std::collections::HashMap;
use std::sync::Arc;

/// The links a rule set can see: step name (or inspection name) → its (reduced) link.
pub type LinkMap = HashMap<String, Arc<Link>>;

/// A failing rule.
#[derive(Debug, Clone)]
pub struct RuleFailure {
    /// `RuleVerificationError`, or `FormatError` / `KeyError` where the reference crashes.
    pub class: &'static str,
    pub message: String,
    pub rule_index: usize,
    /// The offending artifacts, sorted.
    pub artifacts: Vec<String>,
}

/// Python `os.path.join(a, b)` for two POSIX components.
pub fn py_join(a: &str, b: &str) -> String {
    if b.starts_with('/') {
        b.to_string()
    } else if a.is_empty() || a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

/// The source prefix as MATCH uses it: `os.path.join(prefix, "")` with `\` turned to `/`.
pub fn normalized_prefix(prefix: &str) -> String {
    py_join(prefix, "").replace('\\', "/")
}

/// Indices of queued artifacts whose path matches `pattern`.
fn filter(queue: &[bool], artifacts: &Artifacts, pattern: &Pattern) -> Vec<usize> {
    if let Some(lit) = pattern.literal() {
        return match artifacts.index_of(lit) {
            Some(i) if queue[i] => vec![i],
            _ => Vec::new(),
        };
    }
    (0..artifacts.len())
        .filter(|&i| queue[i] && pattern.matches(artifacts.path(i)))
        .collect()
}

/// What one MATCH rule does with a queued artifact.
#[derive(Debug, Clone, PartialEq)]
pub enum MatchOutcome {
    /// The rule does not look at this artifact (prefix or pattern does not fit).
    NotSelected,
    /// The destination step has no link in scope.
    NoLink,
    /// Selected, and the destination path is absent in the destination artifacts.
    DestAbsent { dest_path: String },
    /// Selected, but the hashes differ.
    HashDiffers { dest_path: String },
    /// The reference looks up a source path that does not exist (it crashes with KeyError).
    SourceMissing { source_path: String },
    /// Consumed (the source path may differ from the queued path in odd prefix cases).
    Consumed {
        source_path: String,
        dest_path: String,
    },
}

/// Evaluate a MATCH rule for one queued path (shared by evaluation and root-cause
/// analysis, so both always agree).
pub fn match_one(
    path: &str,
    pattern: &Pattern,
    source_prefix: &str,
    dest_prefix: &str,
    dest: Option<&Artifacts>,
    source: &Artifacts,
) -> MatchOutcome {
    let remainder = if source_prefix.is_empty() {
        path
    } else {
        let ns = normalized_prefix(source_prefix);
        match path.strip_prefix(ns.as_str()) {
            Some(r) => r,
            None => return MatchOutcome::NotSelected,
        }
    };
    if !pattern.matches(remainder) {
        return MatchOutcome::NotSelected;
    }
    let Some(dest) = dest else {
        return MatchOutcome::NoLink;
    };
    let source_path = if source_prefix.is_empty() {
        remainder.to_string()
    } else {
        py_join(source_prefix, remainder).replace('\\', "/")
    };
    let dest_path = if dest_prefix.is_empty() {
        remainder.to_string()
    } else {
        py_join(dest_prefix, remainder).replace('\\', "/")
    };
    let Some(src_hash) = source.get(&source_path) else {
        return MatchOutcome::SourceMissing { source_path };
    };
    match dest.get(&dest_path) {
        None => MatchOutcome::DestAbsent { dest_path },
        Some(h) if h != src_hash => MatchOutcome::HashDiffers { dest_path },
        Some(_) => MatchOutcome::Consumed {
            source_path,
            dest_path,
        },
    }
}

/// Verify one rule list of an item against its link, tracing every rule.
pub fn verify_rule_set(
    item: &str,
    link: &Link,
    kind: ArtifactKind,
    rules: &[Rule],
    links: &LinkMap,
) -> (RuleSetReport, Option<RuleFailure>) {
    let artifacts: Arc<Artifacts> = match kind {
        ArtifactKind::Materials => link.materials.clone(),
        ArtifactKind::Products => link.products.clone(),
    };
    let (materials, products) = (&*link.materials, &*link.products);
    let mut queue = vec![true; artifacts.len()];
    let mut report = RuleSetReport {
        kind,
        status: Status::Passed,
        artifacts: artifacts.clone(),
        rules: rules
            .iter()
            .map(|r| RuleReport {
                rule: r.tokens().to_vec(),
                status: Status::NotReached,
                consumed: Vec::new(),
                matched: Vec::new(),
                missing: None,
                note: None,
            })
            .collect(),
    };
    for (idx, rule) in rules.iter().enumerate() {
        let parsed = match rule.kind() {
            Ok(k) => k,
            Err(e) => {
                report.rules[idx].status = Status::Failed;
                report.status = Status::Failed;
                return (
                    report,
                    Some(RuleFailure {
                        class: "FormatError",
                        message: e.message,
                        rule_index: idx,
                        artifacts: Vec::new(),
                    }),
                );
            }
        };
        let mut consumed: Vec<usize> = Vec::new();
        match parsed {
            RuleKind::Create(p) => {
                let pat = Pattern::new(p);
                consumed = filter(&queue, &artifacts, &pat)
                    .into_iter()
                    .filter(|&i| {
                        let path = artifacts.path(i);
                        products.contains(path) && !materials.contains(path)
                    })
                    .collect();
            }
            RuleKind::Delete(p) => {
                let pat = Pattern::new(p);
                consumed = filter(&queue, &artifacts, &pat)
                    .into_iter()
                    .filter(|&i| {
                        let path = artifacts.path(i);
                        materials.contains(path) && !products.contains(path)
                    })
                    .collect();
            }
            RuleKind::Modify(p) => {
                let pat = Pattern::new(p);
                consumed = filter(&queue, &artifacts, &pat)
                    .into_iter()
                    .filter(|&i| {
                        let path = artifacts.path(i);
                        matches!((materials.get(path), products.get(path)), (Some(m), Some(p)) if m != p)
                    })
                    .collect();
            }
            RuleKind::Allow(p) => consumed = filter(&queue, &artifacts, &Pattern::new(p)),
            RuleKind::Disallow(p) => {
                let hits = filter(&queue, &artifacts, &Pattern::new(p));
                if !hits.is_empty() {
                    let paths: Vec<String> = hits
                        .iter()
                        .map(|&i| artifacts.path(i).to_string())
                        .collect();
                    report.rules[idx].status = Status::Failed;
                    report.rules[idx].matched = hits.iter().map(|&i| i as u32).collect();
                    report.status = Status::Failed;
                    let message = format!(
                        "'DISALLOW {p}' matched the following artifacts: {}\n{}",
                        py_repr_list(&paths),
                        trace_text(item, kind, link, &report, idx)
                    );
                    return (
                        report,
                        Some(RuleFailure {
                            class: "RuleVerificationError",
                            message,
                            rule_index: idx,
                            artifacts: paths,
                        }),
                    );
                }
            }
            RuleKind::Require(name) => {
                let present = artifacts.index_of(name).is_some_and(|i| queue[i]);
                if !present {
                    report.rules[idx].status = Status::Failed;
                    report.rules[idx].missing = Some(name.clone());
                    report.status = Status::Failed;
                    let queued: Vec<&str> = (0..artifacts.len())
                        .filter(|&i| queue[i])
                        .map(|i| artifacts.path(i))
                        .collect();
                    let message = format!(
                        "'REQUIRE {name}' did not find {name} in: {}\n{}",
                        py_repr_set(&truncate(&queued)),
                        trace_text(item, kind, link, &report, idx)
                    );
                    return (
                        report,
                        Some(RuleFailure {
                            class: "RuleVerificationError",
                            message,
                            rule_index: idx,
                            artifacts: vec![name.clone()],
                        }),
                    );
                }
            }
            RuleKind::Match {
                pattern,
                source_prefix,
                dest_type,
                dest_prefix,
                dest_name,
            } => {
                let pat = Pattern::new(pattern);
                let dest = links.get(dest_name).map(|l| l.artifacts(*dest_type));
                if dest.is_none() {
                    report.rules[idx].note = Some(format!(
                        "no link for '{dest_name}' is in scope: this rule consumes nothing"
                    ));
                }
                if dest.is_some() {
                    for (i, _) in queue.iter().enumerate().filter(|(_, q)| **q) {
                        match match_one(
                            artifacts.path(i),
                            &pat,
                            source_prefix,
                            dest_prefix,
                            dest,
                            &artifacts,
                        ) {
                            MatchOutcome::Consumed { source_path, .. } => {
                                if let Some(j) = artifacts.index_of(&source_path) {
                                    consumed.push(j);
                                }
                            }
                            MatchOutcome::SourceMissing { source_path } => {
                                report.rules[idx].status = Status::Failed;
                                report.status = Status::Failed;
                                return (
                                    report,
                                    Some(RuleFailure {
                                        class: "KeyError",
                                        message: format!(
                                            "'{source_path}' (the reference looks up this joined \
                                             source path, which is not an artifact, and crashes)"
                                        ),
                                        rule_index: idx,
                                        artifacts: vec![artifacts.path(i).to_string()],
                                    }),
                                );
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        consumed.sort_unstable();
        consumed.dedup();
        for &c in &consumed {
            queue[c] = false;
        }
        report.rules[idx].consumed = consumed.into_iter().map(|c| c as u32).collect();
        report.rules[idx].status = Status::Passed;
    }
    (report, None)
}

const MESSAGE_LIST_LIMIT: usize = 50;

fn truncate<'a>(items: &[&'a str]) -> Vec<&'a str> {
    items.iter().take(MESSAGE_LIST_LIMIT).copied().collect()
}

fn list_text(items: Vec<&str>) -> String {
    let n = items.len();
    let shown = truncate(&items);
    let mut s = py_repr_list(&shown);
    if n > MESSAGE_LIST_LIMIT {
        s.push_str(&format!(" (and {} more)", n - MESSAGE_LIST_LIMIT));
    }
    s
}

/// The reference's "Full trace for ..." block (lists sorted, long lists shortened).
fn trace_text(
    item: &str,
    kind: ArtifactKind,
    link: &Link,
    report: &RuleSetReport,
    failing: usize,
) -> String {
    let mut s = format!("Full trace for '{}' of item '{item}':\n", kind.rule_set());
    for (k, arts) in [
        (ArtifactKind::Materials, &link.materials),
        (ArtifactKind::Products, &link.products),
    ] {
        let used = if k == kind { " (used for queue)" } else { "" };
        s.push_str(&format!(
            "Available {}{used}:\n{}\n",
            k.as_str(),
            list_text(arts.paths().collect())
        ));
    }
    for i in 0..failing {
        s.push_str(&format!(
            "Queue after '{}':\n{}\n",
            report.rules[i].rule.join(" "),
            list_text(report.queue_after(i))
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::link::HashDict;

    fn arts(pairs: &[(&str, &str)]) -> Arc<Artifacts> {
        Arc::new(Artifacts::from_pairs(
            pairs
                .iter()
                .map(|(p, h)| ((*p).into(), HashDict::sha256(h)))
                .collect(),
        ))
    }

    fn link(m: &[(&str, &str)], p: &[(&str, &str)]) -> Arc<Link> {
        Arc::new(Link {
            materials: arts(m),
            products: arts(p),
            ..Link::default()
        })
    }

    fn rules(lines: &[&str]) -> Vec<Rule> {
        lines.iter().map(|l| Rule::parse_line(l).unwrap()).collect()
    }

    fn run(
        l: &Arc<Link>,
        kind: ArtifactKind,
        r: &[&str],
        links: &LinkMap,
    ) -> (RuleSetReport, Option<RuleFailure>) {
        verify_rule_set("item", l, kind, &rules(r), links)
    }

    #[test]
    fn create_delete_modify_allow() {
        let l = link(
            &[("a", "01"), ("b", "02"), ("c", "03")],
            &[("b", "02"), ("c", "09"), ("d", "04")],
        );
        let links = LinkMap::new();
        let (rep, fail) = run(
            &l,
            ArtifactKind::Products,
            &["CREATE *", "MODIFY *", "DISALLOW *"],
            &links,
        );
        assert!(fail.is_some(), "b is unchanged, so it stays queued");
        assert_eq!(rep.consumed_paths(0), vec!["d"]);
        assert_eq!(rep.consumed_paths(1), vec!["c"]);
        assert_eq!(fail.unwrap().artifacts, vec!["b"]);
        let (rep, fail) = run(
            &l,
            ArtifactKind::Materials,
            &["DELETE *", "CREATE *", "ALLOW b", "MODIFY c", "DISALLOW *"],
            &links,
        );
        assert!(fail.is_none());
        assert_eq!(rep.consumed_paths(0), vec!["a"]);
        assert!(
            rep.consumed_paths(1).is_empty(),
            "CREATE never consumes materials"
        );
        assert_eq!(rep.queue_after(4), Vec::<&str>::new());
    }

    #[test]
    fn require_is_literal_and_does_not_consume() {
        let l = link(&[], &[("x*", "01"), ("xy", "02")]);
        let links = LinkMap::new();
        let (_, fail) = run(
            &l,
            ArtifactKind::Products,
            &["REQUIRE x*", "REQUIRE xy", "ALLOW *", "DISALLOW *"],
            &links,
        );
        assert!(fail.is_none());
        let (_, fail) = run(
            &l,
            ArtifactKind::Products,
            &["ALLOW xy", "REQUIRE xy"],
            &links,
        );
        let fail = fail.unwrap();
        assert_eq!(fail.rule_index, 1);
        assert_eq!(fail.artifacts, vec!["xy"]);
        let (_, fail) = run(&l, ArtifactKind::Products, &["REQUIRE x"], &links);
        assert!(
            fail.unwrap()
                .message
                .starts_with("'REQUIRE x' did not find x in: {")
        );
    }

    #[test]
    fn match_with_prefixes_and_hashes() {
        let src = link(
            &[("build/a.o", "01"), ("build/b.o", "02"), ("c", "03")],
            &[],
        );
        let other = link(&[], &[("out/a.o", "01"), ("out/b.o", "ff"), ("c", "03")]);
        let mut links = LinkMap::new();
        links.insert("compile".into(), other);
        let (rep, _) = run(
            &src,
            ArtifactKind::Materials,
            &[
                "MATCH *.o IN build WITH PRODUCTS IN out FROM compile",
                "MATCH * WITH PRODUCTS FROM compile",
            ],
            &links,
        );
        assert_eq!(rep.consumed_paths(0), vec!["build/a.o"], "b.o hash differs");
        assert_eq!(rep.consumed_paths(1), vec!["c"]);
        // A trailing slash is equivalent; './build' and 'build//' match nothing.
        for (prefix, n) in [("build/", 1), ("./build", 0), ("build//", 0)] {
            let (rep, _) = run(
                &src,
                ArtifactKind::Materials,
                &[&format!(
                    "MATCH *.o IN {prefix} WITH PRODUCTS IN out FROM compile"
                )],
                &links,
            );
            assert_eq!(rep.rules[0].consumed.len(), n, "prefix {prefix}");
        }
        // MATCH from a name without a link consumes nothing, silently.
        let (rep, fail) = run(
            &src,
            ArtifactKind::Materials,
            &["MATCH * WITH PRODUCTS FROM nope"],
            &links,
        );
        assert!(fail.is_none());
        assert!(rep.rules[0].consumed.is_empty());
        assert!(rep.rules[0].note.is_some());
    }

    #[test]
    fn hash_dicts_compare_whole() {
        let two = HashDict::new(vec![
            ("sha256".into(), "01".into()),
            ("sha512".into(), "02".into()),
        ]);
        let src = Arc::new(Link {
            materials: Arc::new(Artifacts::from_pairs(vec![
                ("a".into(), HashDict::sha256("01")),
                ("b".into(), HashDict::sha256("AA")),
            ])),
            ..Link::default()
        });
        let dest = Arc::new(Link {
            products: Arc::new(Artifacts::from_pairs(vec![
                ("a".into(), two),
                ("b".into(), HashDict::sha256("aa")),
            ])),
            ..Link::default()
        });
        let mut links = LinkMap::new();
        links.insert("s".into(), dest);
        let (rep, _) = run(
            &src,
            ArtifactKind::Materials,
            &["MATCH * WITH PRODUCTS FROM s"],
            &links,
        );
        assert!(
            rep.rules[0].consumed.is_empty(),
            "algorithm sets and hex case must match exactly"
        );
    }
}
