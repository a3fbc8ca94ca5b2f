//! Artifact rule evaluation with the reference's queue semantics
//! (`verifylib.verify_item_rules`), traced.
//!
//! The queue starts as the item's materials (or products); CREATE, DELETE, MODIFY, ALLOW
//! and MATCH remove what they match; DISALLOW fails if its pattern matches anything still
//! queued; REQUIRE fails if its literal path is not queued; leftovers pass.

use super::report::{RuleReport, RuleSetReport, Status};
use crate::Exc;
use crate::model::link::{Artifacts, Link};
use crate::model::rule::{ArtifactKind, Rule, RuleKind};
use crate::py::fnmatch::Pattern;
use crate::py::json::{py_repr_list, py_repr_set};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// The links a rule set can see: step name (or inspection name) → its (reduced) link.
pub type LinkMap = HashMap<String, Arc<Link>>;

/// A failing rule.
#[derive(Debug, Clone)]
pub struct RuleFailure {
    /// `RuleVerificationError`, or `FormatError` / `KeyError` where the reference crashes.
    pub class: Exc,
    pub message: String,
    pub rule_index: usize,
    /// The offending artifacts, sorted.
    pub artifacts: Vec<String>,
}

/// The source prefix as MATCH uses it: `os.path.join(prefix, "")` with `\` turned to `/`.
pub fn normalized_prefix(prefix: &str) -> String {
    crate::py::path::join(prefix, "").replace('\\', "/")
}

/// Indices of queued artifacts whose path matches `pattern`, ascending.
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

/// Lookups of (mostly) increasing paths in one artifact list: each lookup gallops forward
/// from the previous position, so a walk over a sorted queue costs O(n) instead of
/// O(n log n) string comparisons. Out-of-order lookups (odd MATCH prefixes) fall back to a
/// binary search; the answers are always those of [`Artifacts::index_of`].
pub struct Seeker<'a> {
    arts: &'a Artifacts,
    /// Every entry before `pos` is at most the last path looked up.
    pos: usize,
    /// The caller promises strictly increasing lookups (walks over a sorted queue).
    increasing: bool,
}

impl<'a> Seeker<'a> {
    pub fn new(arts: &'a Artifacts) -> Seeker<'a> {
        Seeker {
            arts,
            pos: 0,
            increasing: false,
        }
    }

    /// A seeker for strictly increasing lookups only (no order check per lookup).
    fn increasing(arts: &'a Artifacts) -> Seeker<'a> {
        Seeker {
            increasing: true,
            ..Seeker::new(arts)
        }
    }

    /// The position of `path`, if present.
    pub fn find(&mut self, path: &str) -> Option<usize> {
        let res = if self.increasing || self.pos == 0 || self.arts.path(self.pos - 1) < path {
            self.arts.seek(self.pos, path)
        } else {
            self.arts.search(path)
        };
        match res {
            Ok(i) => {
                self.pos = i + 1;
                Some(i)
            }
            Err(i) => {
                self.pos = i;
                None
            }
        }
    }
}

/// Path lookups in one artifact list.
trait Lookup<'a> {
    fn artifacts(&self) -> &'a Artifacts;
    fn find(&mut self, path: &str) -> Option<usize>;
}

/// Binary search for each lookup.
struct Plain<'a>(&'a Artifacts);

impl<'a> Lookup<'a> for Plain<'a> {
    fn artifacts(&self) -> &'a Artifacts {
        self.0
    }
    fn find(&mut self, path: &str) -> Option<usize> {
        self.0.index_of(path)
    }
}

impl<'a> Lookup<'a> for Seeker<'a> {
    fn artifacts(&self) -> &'a Artifacts {
        self.arts
    }
    fn find(&mut self, path: &str) -> Option<usize> {
        Seeker::find(self, path)
    }
}

/// Where queued artifacts are among the link's materials and products: one side is the
/// queue's own list (the index is known); the other side's index of every path is found
/// once, by merging the two sorted lists, for all the rules of the set.
struct Sides {
    kind: ArtifactKind,
    /// For each artifact of the queue's list, the index of its path in the other list.
    other: Vec<Option<u32>>,
}

impl Sides {
    fn new(kind: ArtifactKind, materials: &Artifacts, products: &Artifacts) -> Sides {
        let (own, other) = match kind {
            ArtifactKind::Materials => (materials, products),
            ArtifactKind::Products => (products, materials),
        };
        let mut paired = Vec::with_capacity(own.len());
        let mut j = 0;
        for i in 0..own.len() {
            let path = own.path(i).as_bytes();
            while j < other.len() && other.path(j).as_bytes() < path {
                j += 1;
            }
            paired.push((j < other.len() && other.path(j).as_bytes() == path).then_some(j as u32));
        }
        Sides {
            kind,
            other: paired,
        }
    }

    /// The position among the materials of queued artifact `i`.
    fn material(&self, i: usize) -> Option<usize> {
        match self.kind {
            ArtifactKind::Materials => Some(i),
            ArtifactKind::Products => self.other[i].map(|j| j as usize),
        }
    }

    /// The position among the products of queued artifact `i`.
    fn product(&self, i: usize) -> Option<usize> {
        match self.kind {
            ArtifactKind::Products => Some(i),
            ArtifactKind::Materials => self.other[i].map(|j| j as usize),
        }
    }
}

/// The queue's own list as MATCH's source when there is no source prefix: the path looked
/// up is then the queued path itself, whose index is known.
struct QueueSource<'a> {
    seeker: Seeker<'a>,
    current: usize,
}

impl<'a> Lookup<'a> for QueueSource<'a> {
    fn artifacts(&self) -> &'a Artifacts {
        self.seeker.arts
    }
    fn find(&mut self, path: &str) -> Option<usize> {
        let queued = self.seeker.arts.path(self.current);
        if std::ptr::eq(queued.as_ptr(), path.as_ptr()) && queued.len() == path.len() {
            Some(self.current)
        } else {
            self.seeker.find(path)
        }
    }
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

/// [`MatchOutcome`] without allocations, plus the source's index when consumed.
enum Outcome<'p> {
    NotSelected,
    NoLink,
    DestAbsent(Cow<'p, str>),
    HashDiffers(Cow<'p, str>),
    SourceMissing(Cow<'p, str>),
    Consumed {
        source: usize,
        source_path: Cow<'p, str>,
        dest_path: Cow<'p, str>,
    },
}

/// A MATCH rule's pattern and prefixes, prepared for many paths.
struct MatchSpec<'r> {
    pattern: &'r Pattern,
    source_prefix: &'r str,
    /// `normalized_prefix(source_prefix)` (empty when there is no source prefix).
    normalized_source: String,
    dest_prefix: &'r str,
}

impl<'r> MatchSpec<'r> {
    fn new(pattern: &'r Pattern, source_prefix: &'r str, dest_prefix: &'r str) -> MatchSpec<'r> {
        MatchSpec {
            pattern,
            source_prefix,
            normalized_source: if source_prefix.is_empty() {
                String::new()
            } else {
                normalized_prefix(source_prefix)
            },
            dest_prefix,
        }
    }

    /// The reference's MATCH logic for one queued path, with the lookups given as plain
    /// or [`Seeker`] lookups: the single definition behind [`match_one`] and rule
    /// evaluation.
    fn eval<'p, 'a>(
        &self,
        path: &'p str,
        dest: Option<&mut impl Lookup<'a>>,
        source: &mut impl Lookup<'a>,
    ) -> Outcome<'p> {
        let remainder = if self.source_prefix.is_empty() {
            path
        } else {
            match path.strip_prefix(self.normalized_source.as_str()) {
                Some(r) => r,
                None => return Outcome::NotSelected,
            }
        };
        if !self.pattern.matches(remainder) {
            return Outcome::NotSelected;
        }
        let Some(dest) = dest else {
            return Outcome::NoLink;
        };
        let join = |prefix: &str| -> Cow<'p, str> {
            if prefix.is_empty() {
                Cow::Borrowed(remainder)
            } else {
                Cow::Owned(crate::py::path::join(prefix, remainder).replace('\\', "/"))
            }
        };
        let source_path = join(self.source_prefix);
        let dest_path = join(self.dest_prefix);
        let Some(si) = source.find(&source_path) else {
            return Outcome::SourceMissing(source_path);
        };
        match dest.find(&dest_path) {
            None => Outcome::DestAbsent(dest_path),
            Some(di) if !dest.artifacts().same_hashes(di, source.artifacts(), si) => {
                Outcome::HashDiffers(dest_path)
            }
            Some(_) => Outcome::Consumed {
                source: si,
                source_path,
                dest_path,
            },
        }
    }
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
    let spec = MatchSpec::new(pattern, source_prefix, dest_prefix);
    let mut dest = dest.map(Plain);
    match spec.eval(path, dest.as_mut(), &mut Plain(source)) {
        Outcome::NotSelected => MatchOutcome::NotSelected,
        Outcome::NoLink => MatchOutcome::NoLink,
        Outcome::DestAbsent(d) => MatchOutcome::DestAbsent {
            dest_path: d.into_owned(),
        },
        Outcome::HashDiffers(d) => MatchOutcome::HashDiffers {
            dest_path: d.into_owned(),
        },
        Outcome::SourceMissing(s) => MatchOutcome::SourceMissing {
            source_path: s.into_owned(),
        },
        Outcome::Consumed {
            source_path,
            dest_path,
            ..
        } => MatchOutcome::Consumed {
            source_path: source_path.into_owned(),
            dest_path: dest_path.into_owned(),
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
    // Built by the first CREATE, DELETE or MODIFY rule.
    let mut sides: Option<Sides> = None;
    for (idx, rule) in rules.iter().enumerate() {
        let parsed = match rule.kind() {
            Ok(k) => k,
            Err(e) => {
                report.rules[idx].status = Status::Failed;
                report.status = Status::Failed;
                return (
                    report,
                    Some(RuleFailure {
                        class: Exc::FormatError,
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
                let sides = sides.get_or_insert_with(|| Sides::new(kind, materials, products));
                consumed = filter(&queue, &artifacts, &Pattern::new(p))
                    .into_iter()
                    .filter(|&i| sides.product(i).is_some() && sides.material(i).is_none())
                    .collect();
            }
            RuleKind::Delete(p) => {
                let sides = sides.get_or_insert_with(|| Sides::new(kind, materials, products));
                consumed = filter(&queue, &artifacts, &Pattern::new(p))
                    .into_iter()
                    .filter(|&i| sides.material(i).is_some() && sides.product(i).is_none())
                    .collect();
            }
            RuleKind::Modify(p) => {
                let sides = sides.get_or_insert_with(|| Sides::new(kind, materials, products));
                consumed = filter(&queue, &artifacts, &Pattern::new(p))
                    .into_iter()
                    .filter(|&i| match (sides.material(i), sides.product(i)) {
                        (Some(m), Some(p)) => !materials.same_hashes(m, products, p),
                        _ => false,
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
                            class: Exc::RuleVerificationError,
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
                            class: Exc::RuleVerificationError,
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
                if let Some(dest_arts) = dest {
                    let spec = MatchSpec::new(&pat, source_prefix, dest_prefix);
                    // Destination paths increase with the queue unless a destination
                    // prefix is joined in (its `\\` → `/` rewrite can reorder them).
                    let mut dest_seek = if dest_prefix.is_empty() {
                        Seeker::increasing(dest_arts)
                    } else {
                        Seeker::new(dest_arts)
                    };
                    let mut source = QueueSource {
                        seeker: Seeker::new(&artifacts),
                        current: 0,
                    };
                    for i in (0..queue.len()).filter(|&i| queue[i]) {
                        source.current = i;
                        match spec.eval(artifacts.path(i), Some(&mut dest_seek), &mut source) {
                            Outcome::Consumed { source, .. } => consumed.push(source),
                            Outcome::SourceMissing(source_path) => {
                                report.rules[idx].status = Status::Failed;
                                report.status = Status::Failed;
                                return (
                                    report,
                                    Some(RuleFailure {
                                        class: Exc::KeyError,
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
