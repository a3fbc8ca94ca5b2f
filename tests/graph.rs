//! The layout graph: edges of the demo layout, DOT/Mermaid/text output and escaping, ghost
//! nodes, layering and stability while editing.

use intoto_studio::graph::{Graph, NodeKind};
use intoto_studio::lint::load_layout;
use intoto_studio::model::layout::{Inspection, Layout, Step};
use intoto_studio::model::rule::{ArtifactKind, Rule};
use std::path::Path;

const DEMO: &str = "tests/fixtures/conformance/cases/pass-demo-chain-legacy/root.layout";

fn demo() -> Layout {
    load_layout(Path::new(DEMO)).unwrap()
}

fn rules(lines: &[&str]) -> Vec<Rule> {
    lines.iter().map(|l| Rule::parse_line(l).unwrap()).collect()
}

fn step(name: &str, mats: &[&str]) -> Step {
    let mut s = Step::new(name);
    s.expected_materials = rules(mats);
    s
}

fn pairs(g: &Graph) -> Vec<(&str, &str)> {
    g.edges
        .iter()
        .map(|e| (e.from.as_str(), e.to.as_str()))
        .collect()
}

fn positions(g: &Graph) -> Vec<(String, usize, usize)> {
    let mut v: Vec<_> = g
        .nodes
        .iter()
        .map(|n| (n.name.clone(), n.layer, n.order))
        .collect();
    v.sort();
    v
}

/// Whether some line names `a` and then `b`.
fn has_edge_line(text: &str, a: &str, b: &str) -> bool {
    text.lines().any(|l| {
        let (Some(i), Some(j)) = (l.find(a), l.rfind(b)) else {
            return false;
        };
        i < j && l.contains("->")
    })
}

#[test]
fn demo_edges_and_layers() {
    let g = Graph::from_layout(&demo());
    assert_eq!(
        pairs(&g),
        vec![
            ("clone", "update-version"),
            ("update-version", "package"),
            ("package", "untar"),
            ("update-version", "untar"),
        ]
    );
    // The two MATCH rules of untar against package (materials and products) are one edge.
    let e = &g.edges[2];
    assert_eq!(e.labels, vec!["demo-project.tar.gz"]);
    assert_eq!(
        e.rules,
        vec![
            ("untar".to_string(), ArtifactKind::Materials, 0),
            ("untar".to_string(), ArtifactKind::Products, 1),
        ]
    );
    assert_eq!(g.edges[0].labels, vec!["demo-project/*"]);
    assert_eq!(
        g.edges[3].rules,
        vec![("untar".to_string(), ArtifactKind::Products, 0)]
    );

    let kinds: Vec<_> = g.nodes.iter().map(|n| (n.name.as_str(), n.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            ("clone", NodeKind::Step),
            ("update-version", NodeKind::Step),
            ("package", NodeKind::Step),
            ("untar", NodeKind::Inspection),
        ]
    );
    let layer = |n: &str| g.node(n).unwrap().layer;
    assert_eq!(layer("clone"), 0, "sources in layer 0");
    assert_eq!(layer("update-version"), 1);
    assert_eq!(layer("package"), 2);
    assert_eq!(layer("untar"), 3, "longest path");
    let layers = g.layers();
    assert_eq!(layers.len(), 4);
    assert!(layers.iter().all(|l| l.len() == 1 && l[0].order == 0));
}

#[test]
fn text_output() {
    let g = Graph::from_layout(&demo());
    assert_eq!(
        g.to_text(),
        "clone -> update-version [demo-project/*]\n\
         update-version -> package [demo-project/*]\n\
         package -> untar (inspection) [demo-project.tar.gz]\n\
         update-version -> untar (inspection) [demo-project/foo.py]\n"
    );
    let mut l = demo();
    l.steps.push(Step::new("lonely"));
    l.inspect.push(Inspection::new("check"));
    let t = Graph::from_layout(&l).to_text();
    assert!(t.ends_with("lonely\ncheck (inspection)\n"), "{t}");
}

#[test]
fn dot_and_mermaid_edge_lines_name_both_items_source_first() {
    let g = Graph::from_layout(&demo());
    let dot = g.to_dot();
    assert!(dot.starts_with("digraph"));
    assert!(dot.contains("rankdir=LR"));
    assert!(
        dot.contains(r#""clone" -> "update-version" [label="demo-project/*"]"#),
        "{dot}"
    );
    assert!(dot.contains(r#""untar" [shape=diamond]"#), "{dot}");
    let mermaid = g.to_mermaid();
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert!(
        mermaid.contains(r#"n0["clone"] -->|"demo-project/*"| n1["update-version"]"#),
        "{mermaid}"
    );
    assert!(mermaid.contains(r#"n2["package"] -->|"demo-project.tar.gz"| n3{{"untar"}}"#));
    for (a, b) in [
        ("clone", "update-version"),
        ("update-version", "package"),
        ("package", "untar"),
        ("update-version", "untar"),
    ] {
        assert!(
            has_edge_line(&dot, &format!("\"{a}\""), &format!("\"{b}\"")),
            "dot {a} -> {b}"
        );
        assert!(
            has_edge_line(&mermaid, &format!("\"{a}\""), &format!("\"{b}\"")),
            "mermaid {a} -> {b}"
        );
    }
    // No edge line in the wrong direction.
    assert!(!has_edge_line(&dot, "\"untar\"", "\"package\""));
}

#[test]
fn names_with_quotes_spaces_and_backslashes_are_escaped() {
    let l = Layout {
        steps: vec![
            step("say \"hi\"", &[]),
            step(
                "with space",
                &["MATCH 'a \"b\"' WITH PRODUCTS FROM 'say \"hi\"'"],
            ),
            step(
                "back\\slash",
                &["MATCH x#1 WITH PRODUCTS FROM 'with space'"],
            ),
        ],
        ..Layout::new(jiff::Timestamp::UNIX_EPOCH)
    };
    let g = Graph::from_layout(&l);
    assert_eq!(pairs(&g).len(), 2);
    let dot = g.to_dot();
    assert!(
        dot.contains(r#""say \"hi\"" -> "with space" [label="a \"b\""]"#),
        "{dot}"
    );
    assert!(
        dot.contains(r#""with space" -> "back\\slash" [label="x#1"]"#),
        "{dot}"
    );
    let mermaid = g.to_mermaid();
    assert!(
        mermaid.contains(r#"n0["say #quot;hi#quot;"] -->|"a #quot;b#quot;"| n1["with space"]"#),
        "{mermaid}"
    );
    assert!(
        mermaid.contains(r#"n1["with space"] -->|"x#35;1"| n2["back\slash"]"#),
        "{mermaid}"
    );
    // No raw quote inside any Mermaid label.
    for line in mermaid.lines().skip(1) {
        assert_eq!(line.matches('"').count() % 2, 0, "{line}");
    }
}

#[test]
fn ghost_node_for_a_typo() {
    let mut l = demo();
    l.steps[2].expected_materials = rules(&[
        "MATCH demo-project/* WITH PRODUCTS FROM update-verison",
        "DISALLOW *",
    ]);
    let g = Graph::from_layout(&l);
    let ghost = g.node("update-verison").unwrap();
    assert_eq!(ghost.kind, NodeKind::Ghost);
    assert_eq!(g.nodes.last().unwrap().name, "update-verison");
    assert!(pairs(&g).contains(&("update-verison", "package")));
    // Next to its consumer: in the layer just before it.
    assert_eq!(ghost.layer + 1, g.node("package").unwrap().layer);
    assert!(
        g.to_text()
            .contains("update-verison (missing) -> package [demo-project/*]")
    );
    let dot = g.to_dot();
    assert!(dot.contains(r#""update-verison" [style=dashed"#), "{dot}");
    assert!(has_edge_line(&dot, "\"update-verison\"", "\"package\""));
    let mermaid = g.to_mermaid();
    assert!(mermaid.contains(r#"n4["update-verison"] -.->|"demo-project/*"| n2["package"]"#));
    assert!(mermaid.contains("class n4 ghost;"), "{mermaid}");
    assert!(mermaid.contains("classDef ghost"));
}

#[test]
fn labels_include_in_prefixes() {
    let l = Layout {
        steps: vec![
            step("a", &[]),
            step(
                "b",
                &[
                    "MATCH *.c IN src WITH PRODUCTS FROM a",
                    "MATCH * WITH PRODUCTS IN out FROM a",
                    "MATCH *.c IN src WITH PRODUCTS FROM a",
                ],
            ),
        ],
        ..Layout::new(jiff::Timestamp::UNIX_EPOCH)
    };
    let g = Graph::from_layout(&l);
    assert_eq!(g.edges.len(), 1);
    assert_eq!(
        g.edges[0].labels,
        vec!["*.c IN src", "* WITH PRODUCTS IN out"],
        "distinct labels, rule order"
    );
    assert_eq!(g.edges[0].rules.len(), 3, "every rule is kept");
    assert!(
        g.to_dot()
            .contains(r#"[label="*.c IN src\n* WITH PRODUCTS IN out"]"#)
    );
}

#[test]
fn self_loops_are_kept_but_not_layered() {
    let mut l = demo();
    l.steps[1].expected_materials.insert(
        0,
        Rule::parse_line("MATCH * WITH MATERIALS FROM update-version").unwrap(),
    );
    let before = positions(&Graph::from_layout(&demo()));
    let g = Graph::from_layout(&l);
    assert!(g.edges.iter().any(|e| e.is_self_loop()));
    assert_eq!(positions(&g), before);
}

#[test]
fn cycles_are_broken_deterministically() {
    let l = Layout {
        steps: vec![
            step("a", &["MATCH * WITH PRODUCTS FROM c"]),
            step("b", &["MATCH * WITH PRODUCTS FROM a"]),
            step("c", &["MATCH * WITH PRODUCTS FROM b"]),
        ],
        ..Layout::new(jiff::Timestamp::UNIX_EPOCH)
    };
    let g = Graph::from_layout(&l);
    assert_eq!(g.edges.len(), 3, "all edges kept");
    let layer = |n: &str| g.node(n).unwrap().layer;
    assert_eq!((layer("a"), layer("b"), layer("c")), (0, 1, 2));
    assert_eq!(Graph::from_layout(&l), g);
}

#[test]
fn stable_while_editing() {
    let base = demo();
    let before = positions(&Graph::from_layout(&base));

    // A rule that is no MATCH changes nothing.
    let mut l = base.clone();
    l.steps[0]
        .expected_products
        .insert(1, Rule::parse_line("ALLOW README.md").unwrap());
    assert_eq!(positions(&Graph::from_layout(&l)), before);

    // A MATCH between nodes already ordered by layers keeps every position.
    let mut l = base.clone();
    l.inspect[0].expected_materials.insert(
        0,
        Rule::parse_line("MATCH * WITH PRODUCTS FROM clone").unwrap(),
    );
    assert_eq!(positions(&Graph::from_layout(&l)), before);

    // Two independent chains: a new rule in one keeps the other where it was.
    let chains = Layout {
        steps: vec![
            step("a1", &[]),
            step("b1", &[]),
            step("a2", &["MATCH * WITH PRODUCTS FROM a1"]),
            step("b2", &["MATCH * WITH PRODUCTS FROM b1"]),
            step("a3", &["MATCH * WITH PRODUCTS FROM a2"]),
            step("b3", &["MATCH * WITH PRODUCTS FROM b2"]),
        ],
        ..Layout::new(jiff::Timestamp::UNIX_EPOCH)
    };
    let g0 = Graph::from_layout(&chains);
    let mut edited = chains.clone();
    edited.steps[4]
        .expected_materials
        .push(Rule::parse_line("MATCH *.h WITH PRODUCTS FROM a1").unwrap());
    let g1 = Graph::from_layout(&edited);
    assert_eq!(positions(&g0), positions(&g1));
    for n in ["b1", "b2", "b3"] {
        let (x, y) = (g0.node(n).unwrap(), g1.node(n).unwrap());
        assert_eq!((x.layer, x.order), (y.layer, y.order), "{n}");
    }
}

#[test]
fn crossings_are_reduced() {
    // Layout order gives a crossing (a->d, b->c); the sweeps remove it.
    let l = Layout {
        steps: vec![
            step("a", &[]),
            step("b", &[]),
            step("c", &["MATCH * WITH PRODUCTS FROM b"]),
            step("d", &["MATCH * WITH PRODUCTS FROM a"]),
        ],
        ..Layout::new(jiff::Timestamp::UNIX_EPOCH)
    };
    let g = Graph::from_layout(&l);
    let o = |n: &str| g.node(n).unwrap().order;
    assert_eq!(o("a") < o("b"), o("d") < o("c"));
}

#[test]
fn keyboard_neighbours() {
    let l = Layout {
        steps: vec![
            step("a", &[]),
            step("b", &[]),
            step("c", &[]),
            step("x", &["MATCH * WITH PRODUCTS FROM a"]),
            step("y", &["MATCH * WITH PRODUCTS FROM c"]),
        ],
        ..Layout::new(jiff::Timestamp::UNIX_EPOCH)
    };
    let g = Graph::from_layout(&l);
    let layers: Vec<Vec<&str>> = g
        .layers()
        .iter()
        .map(|l| l.iter().map(|n| n.name.as_str()).collect())
        .collect();
    assert_eq!(layers, vec![vec!["a", "b", "c"], vec!["x", "y"]]);
    let name = |n: Option<&intoto_studio::graph::Node>| n.map(|n| n.name.clone());
    let nb = g.neighbours("b").unwrap();
    assert_eq!(name(nb.up), Some("a".into()));
    assert_eq!(name(nb.down), Some("c".into()));
    assert_eq!(name(nb.left), None);
    assert_eq!(name(nb.right), Some("y".into()), "nearest by order");
    let nc = g.neighbours("c").unwrap();
    assert_eq!(name(nc.right), Some("y".into()));
    assert_eq!(name(nc.down), None);
    let ny = g.neighbours("y").unwrap();
    assert_eq!(name(ny.left), Some("b".into()));
    assert_eq!(name(ny.up), Some("x".into()));
    assert!(g.neighbours("nope").is_none());
    assert_eq!(g.incoming("x").count(), 1);
    assert_eq!(g.outgoing("a").count(), 1);
    assert_eq!(g.node_at(1, 1).unwrap().name, "y");
}

#[test]
fn empty_layout() {
    let g = Graph::from_layout(&Layout::new(jiff::Timestamp::UNIX_EPOCH));
    assert!(g.nodes.is_empty() && g.edges.is_empty());
    assert!(g.layers().is_empty());
    assert_eq!(g.to_text(), "");
    assert!(g.to_dot().contains("digraph"));
    assert_eq!(g.to_mermaid(), "flowchart LR\n");
}

#[test]
fn json_serialisation() {
    let g = Graph::from_layout(&demo());
    let v = serde_json::to_value(&g).unwrap();
    assert_eq!(v["nodes"][3]["kind"], "inspection");
    assert_eq!(v["edges"][0]["from"], "clone");
    assert_eq!(
        v["edges"][2]["rules"][1],
        serde_json::json!(["untar", "products", 1])
    );
}

#[test]
fn lays_out_large_layouts_quickly() {
    // 60 steps, each consuming from up to three earlier ones, plus a few back edges.
    let n = 60;
    let mut steps = Vec::new();
    for i in 0..n {
        let mut r: Vec<String> = Vec::new();
        for d in [1usize, 3, 7] {
            if i >= d && (i * 31 + d) % 3 != 0 {
                r.push(format!("MATCH f{d}/* WITH PRODUCTS FROM s{}", i - d));
            }
        }
        if i % 11 == 5 {
            r.push(format!("MATCH back/* WITH PRODUCTS FROM s{}", i + 3));
        }
        let refs: Vec<&str> = r.iter().map(String::as_str).collect();
        steps.push(step(&format!("s{i}"), &refs));
    }
    let l = Layout {
        steps,
        inspect: vec![Inspection::new("final")],
        ..Layout::new(jiff::Timestamp::UNIX_EPOCH)
    };
    let g = Graph::from_layout(&l);
    assert_eq!(g.nodes.len(), n + 1);
    // Every non-self edge points forward in the layering once cycles are broken,
    // except the reversed back edges.
    let forward = g
        .edges
        .iter()
        .filter(|e| g.node(&e.from).unwrap().layer < g.node(&e.to).unwrap().layer)
        .count();
    assert!(
        forward >= g.edges.len() - 6,
        "{forward} of {}",
        g.edges.len()
    );
    let runs = 20;
    let start = std::time::Instant::now();
    for _ in 0..runs {
        std::hint::black_box(Graph::from_layout(std::hint::black_box(&l)));
    }
    let each = start.elapsed() / runs;
    // Far below a millisecond in release builds; generous for unoptimised test builds.
    assert!(each.as_millis() < 20, "{each:?} per layout");
    // Each layer's orders are 0..len.
    for layer in g.layers() {
        for (i, node) in layer.iter().enumerate() {
            assert_eq!(node.order, i);
        }
    }
}
