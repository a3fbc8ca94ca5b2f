//! A layout as a graph: who consumes whose artifacts.
//!
//! Nodes are the steps and inspections in layout order, plus *ghost* nodes for `MATCH ...
//! FROM` targets that name no item (typos, removed steps). There is one edge per MATCH rule,
//! from the `FROM` target (the producer) to the item that has the rule; rules between the
//! same pair are merged into one edge with all their labels and rule references.
//! Self-loops (`MATCH ... FROM` the item's own name) are kept in [`Graph::edges`] but take
//! no part in layering.
//!
//! Layout (a small Sugiyama scheme, deterministic and stable while editing):
//! * **layers**: longest path from the sources. Cycles are broken deterministically: inside
//!   a strongly connected component, an edge that points back in layout order is reversed
//!   (for layering only). Ghost nodes sit in the layer just before their first consumer.
//! * **order within a layer**: starts from layout order (a ghost right before its first
//!   consumer), then barycenter sweeps with ties broken by layout order; a sweep result is
//!   only kept when it has strictly fewer edge crossings, so a layout without crossings is
//!   never reshuffled and edits only move the nodes they concern.

use crate::model::layout::Layout;
use crate::model::rule::{ArtifactKind, RuleKind};
use serde::Serialize;
use std::collections::{BinaryHeap, HashMap};
use std::fmt::Write as _;

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    Step,
    Inspection,
    /// A `MATCH ... FROM` target that names no step or inspection.
    Ghost,
}

/// A step, an inspection or a ghost, with its place in the drawing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    pub name: String,
    pub kind: NodeKind,
    /// The column (0 = sources).
    pub layer: usize,
    /// The position within the layer (0 = top).
    pub order: usize,
}

/// All MATCH rules of one item against one producer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// The producer (the `FROM` target).
    pub from: String,
    /// The item that has the rules.
    pub to: String,
    /// The distinct labels of the rules (the MATCH pattern, with its `IN` prefixes), in
    /// rule order.
    pub labels: Vec<String>,
    /// Every rule: (item, rule set, rule index).
    pub rules: Vec<(String, ArtifactKind, usize)>,
}

impl Edge {
    pub fn is_self_loop(&self) -> bool {
        self.from == self.to
    }
}

/// The layout graph.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Graph {
    /// Steps, then inspections, in layout order; then ghost nodes in order of first use.
    pub nodes: Vec<Node>,
    /// Edges in the order of their first rule (items in layout order, materials before
    /// products, rules in order).
    pub edges: Vec<Edge>,
}

/// The nodes around one node, for keyboard navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Neighbours<'a> {
    /// In the previous layer, the node nearest by order (ties: the upper one).
    pub left: Option<&'a Node>,
    /// In the next layer, the node nearest by order (ties: the upper one).
    pub right: Option<&'a Node>,
    /// The node above in the same layer.
    pub up: Option<&'a Node>,
    /// The node below in the same layer.
    pub down: Option<&'a Node>,
}

/// How many barycenter sweeps (down and up) at most.
const SWEEPS: usize = 8;

/// The label of a MATCH rule: its pattern, its source prefix, and the destination part
/// when it is not the usual `WITH PRODUCTS`.
pub fn match_label(rk: &RuleKind) -> Option<String> {
    let RuleKind::Match {
        pattern,
        source_prefix,
        dest_type,
        dest_prefix,
        ..
    } = rk
    else {
        return None;
    };
    let mut s = pattern.clone();
    if !source_prefix.is_empty() {
        let _ = write!(s, " IN {source_prefix}");
    }
    if *dest_type == ArtifactKind::Materials || !dest_prefix.is_empty() {
        let _ = write!(s, " WITH {}", dest_type.as_str().to_uppercase());
        if !dest_prefix.is_empty() {
            let _ = write!(s, " IN {dest_prefix}");
        }
    }
    Some(s)
}

impl Graph {
    /// Build and lay out the graph of a layout.
    pub fn from_layout(layout: &Layout) -> Graph {
        let mut nodes: Vec<Node> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        // Layout-order key of each node: item p → (2p+1, 0); a ghost → (2p, k) for its
        // first consumer p and its ghost number k (so it sorts right before the consumer).
        let mut key: Vec<(usize, usize)> = Vec::new();
        let items = layout
            .steps
            .iter()
            .map(|s| (s.name.as_str(), NodeKind::Step))
            .chain(
                layout
                    .inspect
                    .iter()
                    .map(|i| (i.name.as_str(), NodeKind::Inspection)),
            );
        for (name, kind) in items {
            if index.contains_key(name) {
                continue; // a duplicate name (only in a layout built in code): one node
            }
            index.insert(name.to_string(), nodes.len());
            key.push((2 * nodes.len() + 1, 0));
            nodes.push(Node {
                name: name.to_string(),
                kind,
                layer: 0,
                order: 0,
            });
        }

        let mut edges: Vec<Edge> = Vec::new();
        let mut edge_index: HashMap<(usize, usize), usize> = HashMap::new();
        let mut ghosts = 0;
        let rule_sets = layout
            .steps
            .iter()
            .map(|s| (&s.name, &s.expected_materials, &s.expected_products))
            .chain(
                layout
                    .inspect
                    .iter()
                    .map(|i| (&i.name, &i.expected_materials, &i.expected_products)),
            );
        for (item, mats, prods) in rule_sets {
            let to = index[item.as_str()];
            for (kind, rules) in [
                (ArtifactKind::Materials, mats),
                (ArtifactKind::Products, prods),
            ] {
                for (ri, rule) in rules.iter().enumerate() {
                    let Ok(rk) = rule.kind() else { continue };
                    let RuleKind::Match { dest_name, .. } = rk else {
                        continue;
                    };
                    let label = match_label(rk).unwrap_or_default();
                    let from = match index.get(dest_name.as_str()) {
                        Some(&f) => f,
                        None => {
                            let f = nodes.len();
                            index.insert(dest_name.clone(), f);
                            key.push((key[to].0 - 1, ghosts));
                            ghosts += 1;
                            nodes.push(Node {
                                name: dest_name.clone(),
                                kind: NodeKind::Ghost,
                                layer: 0,
                                order: 0,
                            });
                            f
                        }
                    };
                    let e = *edge_index.entry((from, to)).or_insert_with(|| {
                        edges.push(Edge {
                            from: nodes[from].name.clone(),
                            to: nodes[to].name.clone(),
                            labels: Vec::new(),
                            rules: Vec::new(),
                        });
                        edges.len() - 1
                    });
                    if !edges[e].labels.contains(&label) {
                        edges[e].labels.push(label);
                    }
                    edges[e].rules.push((item.clone(), kind, ri));
                }
            }
        }

        let pairs: Vec<(usize, usize)> = edges
            .iter()
            .filter(|e| !e.is_self_loop())
            .map(|e| (index[&e.from], index[&e.to]))
            .collect();
        let mut g = Graph { nodes, edges };
        g.lay_out(&pairs, &key);
        g
    }

    /// Assign layers and orders.
    fn lay_out(&mut self, pairs: &[(usize, usize)], key: &[(usize, usize)]) {
        let n = self.nodes.len();
        if n == 0 {
            return;
        }
        // Break cycles: inside a strongly connected component, reverse edges that point
        // back in layout order.
        let comp = components(n, pairs);
        let mut layered: Vec<(usize, usize)> = pairs
            .iter()
            .map(|&(u, v)| {
                if comp[u] == comp[v] && key[u] > key[v] {
                    (v, u)
                } else {
                    (u, v)
                }
            })
            .collect();
        layered.sort_unstable();
        layered.dedup();

        let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut succs: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &(u, v) in &layered {
            succs[u].push(v);
            preds[v].push(u);
        }

        // Longest path from the sources, in a topological order that prefers layout order.
        let mut indeg: Vec<usize> = preds.iter().map(Vec::len).collect();
        let mut ready: BinaryHeap<std::cmp::Reverse<((usize, usize), usize)>> = (0..n)
            .filter(|&v| indeg[v] == 0)
            .map(|v| std::cmp::Reverse((key[v], v)))
            .collect();
        let mut layer = vec![0usize; n];
        while let Some(std::cmp::Reverse((_, u))) = ready.pop() {
            for &v in &succs[u] {
                layer[v] = layer[v].max(layer[u] + 1);
                indeg[v] -= 1;
                if indeg[v] == 0 {
                    ready.push(std::cmp::Reverse((key[v], v)));
                }
            }
        }
        // Ghosts: right before their first consumer.
        for v in 0..n {
            if self.nodes[v].kind == NodeKind::Ghost
                && let Some(min) = succs[v].iter().map(|&w| layer[w]).min()
            {
                layer[v] = min.saturating_sub(1);
            }
        }

        // Order within layers.
        let count = layer.iter().max().map_or(0, |m| m + 1);
        let mut layers: Vec<Vec<usize>> = vec![Vec::new(); count];
        for v in 0..n {
            layers[layer[v]].push(v);
        }
        for l in &mut layers {
            l.sort_by_key(|&v| key[v]);
        }
        let mut pos = vec![0usize; n];
        let set_pos = |layers: &[Vec<usize>], pos: &mut [usize]| {
            for l in layers {
                for (i, &v) in l.iter().enumerate() {
                    pos[v] = i;
                }
            }
        };
        set_pos(&layers, &mut pos);
        let mut best = layers.clone();
        let mut best_crossings = crossings(&layered, &layer, &pos);
        let mut round = 0;
        while best_crossings > 0 && round < SWEEPS {
            round += 1;
            for l in layers.iter_mut().skip(1) {
                reorder(l, &preds, &mut pos, key);
            }
            let c = crossings(&layered, &layer, &pos);
            if c < best_crossings {
                best_crossings = c;
                best = layers.clone();
            }
            for l in layers.iter_mut().rev().skip(1) {
                reorder(l, &succs, &mut pos, key);
            }
            let c = crossings(&layered, &layer, &pos);
            if c < best_crossings {
                best_crossings = c;
                best = layers.clone();
            }
        }
        set_pos(&best, &mut pos);
        for v in 0..n {
            self.nodes[v].layer = layer[v];
            self.nodes[v].order = pos[v];
        }
    }

    /// The nodes layer by layer, each layer in order.
    pub fn layers(&self) -> Vec<Vec<&Node>> {
        let count = self.nodes.iter().map(|n| n.layer + 1).max().unwrap_or(0);
        let mut out: Vec<Vec<&Node>> = vec![Vec::new(); count];
        for n in &self.nodes {
            out[n.layer].push(n);
        }
        for l in &mut out {
            l.sort_by_key(|n| n.order);
        }
        out
    }

    /// The node with this name.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// The node at (layer, order).
    pub fn node_at(&self, layer: usize, order: usize) -> Option<&Node> {
        self.nodes
            .iter()
            .find(|n| n.layer == layer && n.order == order)
    }

    /// The edges into a node (its producers), self-loops included.
    pub fn incoming<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Edge> + 'a {
        self.edges.iter().filter(move |e| e.to == name)
    }

    /// The edges out of a node (its consumers), self-loops included.
    pub fn outgoing<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Edge> + 'a {
        self.edges.iter().filter(move |e| e.from == name)
    }

    /// The nodes to move to from `name` with the arrow keys: left/right = the previous/next
    /// layer (nearest by order), up/down = within the layer. `None` for an unknown name.
    pub fn neighbours(&self, name: &str) -> Option<Neighbours<'_>> {
        let me = self.node(name)?;
        let nearest = |layer: Option<usize>| -> Option<&Node> {
            let layer = layer?;
            self.nodes
                .iter()
                .filter(|n| n.layer == layer)
                .min_by_key(|n| (n.order.abs_diff(me.order), n.order))
        };
        Some(Neighbours {
            left: nearest(me.layer.checked_sub(1)),
            right: nearest(Some(me.layer + 1)),
            up: me
                .order
                .checked_sub(1)
                .and_then(|o| self.node_at(me.layer, o)),
            down: self.node_at(me.layer, me.order + 1),
        })
    }

    fn text_name(&self, name: &str) -> String {
        match self.node(name).map(|n| n.kind) {
            Some(NodeKind::Inspection) => format!("{name} (inspection)"),
            Some(NodeKind::Ghost) => format!("{name} (missing)"),
            _ => name.to_string(),
        }
    }

    /// One line per edge, `clone -> update-version [demo-project/*]`, then one line per
    /// node without edges. Inspections are marked `(inspection)`, ghosts `(missing)`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for e in &self.edges {
            let _ = writeln!(
                out,
                "{} -> {} [{}]",
                self.text_name(&e.from),
                self.text_name(&e.to),
                e.labels.join(", ")
            );
        }
        for n in &self.nodes {
            if !self
                .edges
                .iter()
                .any(|e| e.from == n.name || e.to == n.name)
            {
                let _ = writeln!(out, "{}", self.text_name(&n.name));
            }
        }
        out
    }

    /// Graphviz DOT: `rankdir=LR`, node ids are the quoted item names, inspections are
    /// diamonds, ghosts dashed; edge lines `"a" -> "b" [label="..."]`.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph layout {\n  rankdir=LR;\n  node [shape=box];\n");
        for n in &self.nodes {
            let attrs = match n.kind {
                NodeKind::Step => "",
                NodeKind::Inspection => " [shape=diamond]",
                NodeKind::Ghost => " [style=dashed, color=gray50, fontcolor=gray50]",
            };
            let _ = writeln!(out, "  {}{attrs};", dot_quote(&n.name));
        }
        for e in &self.edges {
            let label = e
                .labels
                .iter()
                .map(|l| dot_escape(l))
                .collect::<Vec<_>>()
                .join("\\n");
            let style = if self.node(&e.from).map(|n| n.kind) == Some(NodeKind::Ghost) {
                ", style=dashed"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {} -> {} [label=\"{label}\"{style}];",
                dot_quote(&e.from),
                dot_quote(&e.to)
            );
        }
        out.push_str("}\n");
        out
    }

    /// Mermaid `flowchart LR`: node ids `n0`, `n1`, ... (position in [`Graph::nodes`]) with
    /// the name as quoted label; every edge line repeats both nodes, source first:
    /// `n0["clone"] -->|"demo-project/*"| n1["update-version"]`. Inspections are hexagons,
    /// ghosts use the dashed class `ghost` and dotted arrows.
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        let node_ref = |i: usize| -> String {
            let n = &self.nodes[i];
            let label = mermaid_escape(&n.name);
            match n.kind {
                NodeKind::Inspection => format!("n{i}{{{{\"{label}\"}}}}"),
                _ => format!("n{i}[\"{label}\"]"),
            }
        };
        let idx = |name: &str| self.nodes.iter().position(|n| n.name == name);
        for i in 0..self.nodes.len() {
            let _ = writeln!(out, "  {}", node_ref(i));
        }
        for e in &self.edges {
            let (Some(f), Some(t)) = (idx(&e.from), idx(&e.to)) else {
                continue;
            };
            let label = mermaid_escape(&e.labels.join(", "));
            let arrow = if self.nodes[f].kind == NodeKind::Ghost {
                "-.->"
            } else {
                "-->"
            };
            let _ = writeln!(
                out,
                "  {} {arrow}|\"{label}\"| {}",
                node_ref(f),
                node_ref(t)
            );
        }
        let ghosts: Vec<String> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.kind == NodeKind::Ghost)
            .map(|(i, _)| format!("n{i}"))
            .collect();
        if !ghosts.is_empty() {
            out.push_str("  classDef ghost stroke-dasharray: 5 5,color:#888;\n");
            let _ = writeln!(out, "  class {} ghost;", ghosts.join(","));
        }
        out
    }
}

/// Reorder one layer by the barycenter of each node's neighbours (in `adj`); nodes without
/// neighbours keep their position; ties go by layout order.
fn reorder(layer: &mut [usize], adj: &[Vec<usize>], pos: &mut [usize], key: &[(usize, usize)]) {
    if layer.len() < 2 {
        return;
    }
    let bary: HashMap<usize, f64> = layer
        .iter()
        .map(|&v| {
            let b = if adj[v].is_empty() {
                pos[v] as f64
            } else {
                adj[v].iter().map(|&u| pos[u] as f64).sum::<f64>() / adj[v].len() as f64
            };
            (v, b)
        })
        .collect();
    layer.sort_by(|a, b| bary[a].total_cmp(&bary[b]).then(key[*a].cmp(&key[*b])));
    for (i, &v) in layer.iter().enumerate() {
        pos[v] = i;
    }
}

/// Crossings between edges that join the same pair of layers.
fn crossings(edges: &[(usize, usize)], layer: &[usize], pos: &[usize]) -> usize {
    let mut c = 0;
    for (i, &(a, b)) in edges.iter().enumerate() {
        for &(x, y) in &edges[i + 1..] {
            if a == x || b == y || layer[a] != layer[x] || layer[b] != layer[y] {
                continue;
            }
            if (pos[a] < pos[x]) != (pos[b] < pos[y]) {
                c += 1;
            }
        }
    }
    c
}

/// Strongly connected components (Tarjan, iterative): a component id per node.
fn components(n: usize, pairs: &[(usize, usize)]) -> Vec<usize> {
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(u, v) in pairs {
        adj[u].push(v);
    }
    const UNSEEN: usize = usize::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut comp = vec![UNSEEN; n];
    let mut next = 0;
    let mut ncomp = 0;
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        // (node, next child position)
        let mut call: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut ci)) = call.last_mut() {
            if let Some(&w) = adj[v].get(*ci) {
                *ci += 1;
                if index[w] == UNSEEN {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(parent, _)) = call.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp[w] = ncomp;
                        if w == v {
                            break;
                        }
                    }
                    ncomp += 1;
                }
            }
        }
    }
    comp
}

/// A DOT quoted string: `"` and `\` escaped, line breaks as `\n`.
fn dot_quote(s: &str) -> String {
    format!("\"{}\"", dot_escape(s))
}

fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Text inside a Mermaid quoted label: entity codes for the characters Mermaid would
/// interpret (`"` → `#quot;`, and `#`, `<`, `>`, `|`, line breaks).
fn mermaid_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::layout::{Inspection, Step};
    use crate::model::rule::Rule;

    fn step(name: &str, rules: &[&str]) -> Step {
        let mut s = Step::new(name);
        s.expected_materials = rules.iter().map(|r| Rule::parse_line(r).unwrap()).collect();
        s
    }

    fn chain(names: &[&str]) -> Layout {
        let mut steps = vec![step(names[0], &[])];
        for w in names.windows(2) {
            steps.push(step(
                w[1],
                &[&format!("MATCH * WITH PRODUCTS FROM {}", w[0])],
            ));
        }
        Layout {
            steps,
            ..Layout::new(jiff::Timestamp::UNIX_EPOCH)
        }
    }

    #[test]
    fn scc_and_cycle_breaking() {
        assert_eq!(
            components(3, &[(0, 1), (1, 0), (1, 2)])[0],
            components(3, &[(0, 1), (1, 0), (1, 2)])[1]
        );
        // a <-> b: the back edge (b -> a in layout order) is reversed: a before b.
        let mut l = chain(&["a", "b"]);
        l.steps[0].expected_materials =
            vec![Rule::parse_line("MATCH * WITH PRODUCTS FROM b").unwrap()];
        let g = Graph::from_layout(&l);
        assert_eq!(g.node("a").unwrap().layer, 0);
        assert_eq!(g.node("b").unwrap().layer, 1);
        assert_eq!(g.edges.len(), 2);
    }

    #[test]
    fn back_edge_outside_a_cycle_keeps_its_direction() {
        // b is listed first but consumes from a: a is still the source.
        let l = Layout {
            steps: vec![step("b", &["MATCH * WITH PRODUCTS FROM a"]), step("a", &[])],
            ..Layout::new(jiff::Timestamp::UNIX_EPOCH)
        };
        let g = Graph::from_layout(&l);
        assert_eq!(g.node("a").unwrap().layer, 0);
        assert_eq!(g.node("b").unwrap().layer, 1);
    }

    #[test]
    fn labels() {
        let k = |l: &str| Rule::parse_line(l).unwrap().kind().unwrap().clone();
        assert_eq!(
            match_label(&k("MATCH * WITH PRODUCTS FROM a")).unwrap(),
            "*"
        );
        assert_eq!(
            match_label(&k("MATCH * IN src WITH PRODUCTS FROM a")).unwrap(),
            "* IN src"
        );
        assert_eq!(
            match_label(&k("MATCH * IN s WITH MATERIALS IN d FROM a")).unwrap(),
            "* IN s WITH MATERIALS IN d"
        );
        assert_eq!(match_label(&k("ALLOW *")), None);
    }

    #[test]
    fn crossings_are_removed() {
        // Layer 0: a, b; layer 1: c (from b), d (from a) → one crossing in layout order.
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
        let a = g.node("a").unwrap().order;
        let b = g.node("b").unwrap().order;
        let c = g.node("c").unwrap().order;
        let d = g.node("d").unwrap().order;
        assert_eq!(a < b, d < c, "{g:#?}");
    }

    #[test]
    fn self_loop_kept_not_layered() {
        let l = Layout {
            steps: vec![step("a", &["MATCH * WITH PRODUCTS FROM a"])],
            inspect: vec![Inspection::new("i")],
            ..Layout::new(jiff::Timestamp::UNIX_EPOCH)
        };
        let g = Graph::from_layout(&l);
        assert!(g.edges[0].is_self_loop());
        assert_eq!(g.node("a").unwrap().layer, 0);
        assert_eq!(g.to_text(), "a -> a [*]\ni (inspection)\n");
    }
}
