//! The graph widget: steps and inspections as boxes in layers (left to right, or top down
//! on narrow terminals), MATCH rules as routed edges, painted straight into a ratatui
//! `Buffer`. Large graphs or tiny areas fall back to a list.
//!
//! Layering and order come from [`crate::graph::Graph`] (the same model the `graph`
//! subcommand prints), so the picture is stable while editing.

use super::theme::Theme;
use super::view::GraphMode;
use crate::graph::{Graph, NodeKind};
use crate::verify::report::Status;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use std::collections::HashMap;

/// What a node shows besides its name.
#[derive(Debug, Clone, Default)]
pub struct NodeInfo {
    /// Verification status, if a report is shown.
    pub status: Option<Status>,
    /// A short second line (e.g. `2/3 keys`).
    pub subtitle: String,
    /// Lint errors on the item.
    pub lint_errors: usize,
}

/// Everything the widget needs.
pub struct GraphView<'a> {
    pub graph: &'a Graph,
    pub info: &'a HashMap<String, NodeInfo>,
    pub selected: Option<&'a str>,
    /// Edges to emphasise (from, to): the failing rule's.
    pub highlight: &'a [(String, String)],
    pub theme: &'a Theme,
    pub mode: GraphMode,
    /// Draw edge labels when there is room.
    pub labels: bool,
}

/// What the last render did (for hit-testing and navigation).
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub nodes: Vec<(Rect, String)>,
    pub mode: Option<GraphMode>,
}

const BOX_H: u16 = 4;
const MIN_BOX_W: u16 = 12;
const MAX_BOX_W: u16 = 26;
const MAX_LABEL: usize = 16;

/// Direction bits of an edge cell.
const UP: u8 = 1;
const DOWN: u8 = 2;
const LEFT: u8 = 4;
const RIGHT: u8 = 8;

fn glyph(bits: u8) -> char {
    match bits {
        b if b == LEFT | RIGHT || b == LEFT || b == RIGHT => '─',
        b if b == UP | DOWN || b == UP || b == DOWN => '│',
        b if b == DOWN | RIGHT => '╭',
        b if b == DOWN | LEFT => '╮',
        b if b == UP | RIGHT => '╰',
        b if b == UP | LEFT => '╯',
        b if b == UP | DOWN | RIGHT => '├',
        b if b == UP | DOWN | LEFT => '┤',
        b if b == LEFT | RIGHT | DOWN => '┬',
        b if b == LEFT | RIGHT | UP => '┴',
        _ => '┼',
    }
}

fn truncate(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        s.to_string()
    } else if w == 0 {
        String::new()
    } else {
        let mut t: String = s.chars().take(w.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A canvas in graph coordinates (may be larger than the screen; scrolled when drawn).
struct Canvas {
    w: u16,
    h: u16,
    edges: Vec<u8>,
    edge_hot: Vec<bool>,
    text: Vec<Option<(char, Style)>>,
}

impl Canvas {
    fn new(w: u16, h: u16) -> Canvas {
        let n = w as usize * h as usize;
        Canvas {
            w,
            h,
            edges: vec![0; n],
            edge_hot: vec![false; n],
            text: vec![None; n],
        }
    }
    fn idx(&self, x: u16, y: u16) -> Option<usize> {
        (x < self.w && y < self.h).then(|| y as usize * self.w as usize + x as usize)
    }
    fn line(&mut self, (x0, y0): (u16, u16), (x1, y1): (u16, u16), hot: bool) {
        if y0 == y1 {
            let (a, b) = (x0.min(x1), x0.max(x1));
            for x in a..=b {
                if let Some(i) = self.idx(x, y0) {
                    if x > a {
                        self.edges[i] |= LEFT;
                    }
                    if x < b {
                        self.edges[i] |= RIGHT;
                    }
                    self.edge_hot[i] |= hot;
                }
            }
        } else if x0 == x1 {
            let (a, b) = (y0.min(y1), y0.max(y1));
            for y in a..=b {
                if let Some(i) = self.idx(x0, y) {
                    if y > a {
                        self.edges[i] |= UP;
                    }
                    if y < b {
                        self.edges[i] |= DOWN;
                    }
                    self.edge_hot[i] |= hot;
                }
            }
        }
    }
    fn put(&mut self, x: u16, y: u16, c: char, st: Style) {
        if let Some(i) = self.idx(x, y) {
            self.text[i] = Some((c, st));
        }
    }
    fn put_str(&mut self, x: u16, y: u16, s: &str, st: Style) {
        for (k, c) in s.chars().enumerate() {
            self.put(x + k as u16, y, c, st);
        }
    }
    fn free(&self, x: u16, y: u16) -> bool {
        self.idx(x, y)
            .is_some_and(|i| self.text[i].is_none() && self.edges[i] == 0)
    }
}

impl GraphView<'_> {
    /// Choose LR, TB or list for `area`: the first that fits without scrolling.
    pub fn resolve_mode(&self, area: Rect) -> GraphMode {
        let layers = self.graph.layers();
        let depth = layers.len() as u16;
        let breadth = layers.iter().map(|l| l.len()).max().unwrap_or(0) as u16;
        let box_w = self.box_width();
        let lr_w = depth * box_w + depth.saturating_sub(1) * 4 + 1;
        let lr_h = breadth * (BOX_H + 1);
        let tb_w = breadth.saturating_sub(1) * (box_w + 2) + box_w + 1;
        let tb_h = depth.saturating_sub(1) * (BOX_H + 3) + BOX_H + 1;
        match self.mode {
            GraphMode::Auto => {
                if self.graph.nodes.len() > 40 {
                    GraphMode::List
                } else if lr_w <= area.width && lr_h <= area.height {
                    GraphMode::LeftRight
                } else if tb_w <= area.width && tb_h <= area.height {
                    GraphMode::TopDown
                } else {
                    GraphMode::List
                }
            }
            m => m,
        }
    }

    fn box_width(&self) -> u16 {
        let longest = self
            .graph
            .nodes
            .iter()
            .map(|n| n.name.chars().count() as u16 + 4)
            .max()
            .unwrap_or(MIN_BOX_W);
        longest.clamp(MIN_BOX_W, MAX_BOX_W)
    }

    fn node_style(&self, kind: NodeKind) -> Style {
        match kind {
            NodeKind::Step => self.theme.step,
            NodeKind::Inspection => self.theme.inspection,
            NodeKind::Ghost => self.theme.ghost,
        }
    }

    fn status_style(&self, s: Option<Status>) -> Style {
        match s {
            Some(Status::Passed) => self.theme.ok,
            Some(Status::Failed) => self.theme.error,
            Some(Status::Warning) => self.theme.warning,
            Some(Status::NotReached) | Some(Status::Skipped) => self.theme.not_reached,
            None => self.theme.dim,
        }
    }

    /// Paint into `buf` within `area`, scrolled so the selection is visible.
    pub fn render(&self, area: Rect, buf: &mut Buffer) -> Rendered {
        let mode = self.resolve_mode(area);
        let mut out = Rendered {
            nodes: Vec::new(),
            mode: Some(mode),
        };
        if self.graph.nodes.is_empty() {
            buf.set_string(
                area.x + 1,
                area.y,
                "empty layout: press a to add a step",
                self.theme.dim,
            );
            return out;
        }
        if mode == GraphMode::List {
            self.render_list(area, buf, &mut out);
            return out;
        }
        let lr = mode == GraphMode::LeftRight;
        let layers = self.graph.layers();
        let box_w = self.box_width();
        let max_label = self
            .graph
            .edges
            .iter()
            .flat_map(|e| e.labels.iter())
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0)
            .min(MAX_LABEL) as u16;
        // Gap between layers: room for labels when they fit.
        let depth = layers.len() as u16;
        let want_gap = if self.labels { max_label + 4 } else { 4 };
        let gap = if lr {
            // As much room for labels as the width allows.
            let spare =
                area.width.saturating_sub(depth * box_w + 2) / depth.saturating_sub(1).max(1);
            spare.clamp(4, want_gap.max(4))
        } else {
            3
        };
        // Node positions.
        let mut pos: HashMap<&str, (u16, u16)> = HashMap::new();
        for (li, layer) in layers.iter().enumerate() {
            for n in layer {
                let (x, y) = if lr {
                    (li as u16 * (box_w + gap), n.order as u16 * (BOX_H + 1))
                } else {
                    (n.order as u16 * (box_w + 2), li as u16 * (BOX_H + gap))
                };
                pos.insert(&n.name, (x, y));
            }
        }
        let (cw, ch) = pos.values().fold((0, 0), |(w, h), (x, y)| {
            (w.max(x + box_w + 1), h.max(y + BOX_H + 1))
        });
        let mut c = Canvas::new(cw, ch);
        // Edges first, boxes on top.
        for e in &self.graph.edges {
            if e.is_self_loop() {
                continue;
            }
            let (Some(&(fx, fy)), Some(&(tx, ty))) =
                (pos.get(e.from.as_str()), pos.get(e.to.as_str()))
            else {
                continue;
            };
            let hot = self
                .highlight
                .iter()
                .any(|(a, b)| *a == e.from && *b == e.to);
            let label = e.labels.join(", ");
            let (arrow, label_style) = if hot {
                (self.theme.error, self.theme.error)
            } else {
                (self.theme.edge, self.theme.edge_label)
            };
            if lr {
                let sy = fy + BOX_H / 2;
                let ty_mid = ty + BOX_H / 2;
                let sx = fx + box_w;
                let ex = tx.saturating_sub(1);
                if tx > fx {
                    // Forward: out of the right side, over the channel, into the left side.
                    let turn = tx.saturating_sub(2);
                    if tx - fx <= box_w + gap {
                        c.line((sx, sy), (turn, sy), hot);
                        c.line((turn, sy), (turn, ty_mid), hot);
                        c.line((turn, ty_mid), (ex, ty_mid), hot);
                    } else {
                        // Long edge: along the free row between slots.
                        let lane = (sy.max(ty_mid) / (BOX_H + 1)) * (BOX_H + 1) + BOX_H;
                        let first = sx + 1;
                        c.line((sx, sy), (first, sy), hot);
                        c.line((first, sy), (first, lane), hot);
                        c.line((first, lane), (turn, lane), hot);
                        c.line((turn, lane), (turn, ty_mid), hot);
                        c.line((turn, ty_mid), (ex, ty_mid), hot);
                    }
                    c.put(ex, ty_mid, '▶', arrow);
                    if self.labels && gap > 4 && !label.is_empty() {
                        let room = (tx - turn).saturating_sub(0) as usize + (gap as usize - 3);
                        let text = truncate(&label, room.min(MAX_LABEL));
                        let lx = tx.saturating_sub(text.chars().count() as u16 + 1);
                        let ly = ty_mid.saturating_sub(1);
                        if (0..text.chars().count() as u16).all(|k| c.free(lx + k, ly)) {
                            c.put_str(lx, ly, &text, label_style);
                        }
                    }
                } else {
                    // Backward (a cycle in MATCH terms): loop under the boxes.
                    let lane = fy.max(ty) + BOX_H;
                    c.line((sx, sy), (sx + 1, sy), hot);
                    c.line((sx + 1, sy), (sx + 1, lane), hot);
                    c.line((sx + 1, lane), (ex.saturating_sub(1), lane), hot);
                    c.line(
                        (ex.saturating_sub(1), lane),
                        (ex.saturating_sub(1), ty_mid),
                        hot,
                    );
                    c.line((ex.saturating_sub(1), ty_mid), (ex, ty_mid), hot);
                    c.put(ex, ty_mid, '▶', arrow);
                }
            } else {
                let sx = fx + box_w / 2;
                let sy = fy + BOX_H;
                let tx_mid = tx + box_w / 2;
                let ey = ty.saturating_sub(1);
                let turn = ty.saturating_sub(2);
                if ty > fy {
                    if ty - fy <= BOX_H + gap {
                        c.line((sx, sy), (sx, turn), hot);
                        c.line((sx, turn), (tx_mid, turn), hot);
                    } else {
                        // Long edge: down the free column right of the source's column.
                        let lane = fx + box_w;
                        let below = sy + 1;
                        c.line((sx, sy), (sx, below), hot);
                        c.line((sx, below), (lane, below), hot);
                        c.line((lane, below), (lane, turn), hot);
                        c.line((lane, turn), (tx_mid, turn), hot);
                    }
                    c.line((tx_mid, turn), (tx_mid, ey), hot);
                    c.put(tx_mid, ey, '▼', arrow);
                    if self.labels && !label.is_empty() {
                        let text = truncate(&label, box_w as usize);
                        let lx = tx_mid + 2;
                        if (0..text.chars().count() as u16).all(|k| c.free(lx + k, ey)) {
                            c.put_str(lx, ey, &text, label_style);
                        }
                    }
                }
            }
        }
        // Boxes.
        for n in &self.graph.nodes {
            let Some(&(x, y)) = pos.get(n.name.as_str()) else {
                continue;
            };
            let info = self.info.get(&n.name).cloned().unwrap_or_default();
            let selected = self.selected == Some(n.name.as_str());
            let base = self.node_style(n.kind);
            let border = if selected {
                self.theme.border_focus.add_modifier(Modifier::BOLD)
            } else if info.status == Some(Status::Failed) {
                self.theme.error
            } else {
                base
            };
            let (tl, tr, bl, br, hz, vt) = match (n.kind, selected) {
                (_, true) => ('┏', '┓', '┗', '┛', '━', '┃'),
                (NodeKind::Inspection, _) => ('╔', '╗', '╚', '╝', '═', '║'),
                (NodeKind::Ghost, _) => ('┌', '┐', '└', '┘', '╌', '╎'),
                (NodeKind::Step, _) => ('╭', '╮', '╰', '╯', '─', '│'),
            };
            for k in 0..box_w {
                let ch = if k == 0 {
                    tl
                } else if k == box_w - 1 {
                    tr
                } else {
                    hz
                };
                c.put(x + k, y, ch, border);
                let ch = if k == 0 {
                    bl
                } else if k == box_w - 1 {
                    br
                } else {
                    hz
                };
                c.put(x + k, y + BOX_H - 1, ch, border);
            }
            for r in 1..BOX_H - 1 {
                c.put(x, y + r, vt, border);
                c.put(x + box_w - 1, y + r, vt, border);
                for k in 1..box_w - 1 {
                    c.put(x + k, y + r, ' ', base);
                }
            }
            let glyph = match n.kind {
                NodeKind::Ghost => "?".to_string(),
                _ => info
                    .status
                    .map(|s| s.glyph().to_string())
                    .unwrap_or_else(|| match n.kind {
                        NodeKind::Inspection => "◇".into(),
                        _ => "□".into(),
                    }),
            };
            let inner = box_w as usize - 4;
            let name_style = if selected {
                self.theme.selection
            } else {
                base.add_modifier(Modifier::BOLD)
            };
            c.put_str(x + 1, y + 1, &glyph, self.status_style(info.status));
            c.put_str(x + 3, y + 1, &truncate(&n.name, inner), name_style);
            let sub = match n.kind {
                NodeKind::Ghost => "not in layout".to_string(),
                NodeKind::Inspection if info.subtitle.is_empty() => "inspection".to_string(),
                _ => info.subtitle.clone(),
            };
            let sub = if info.lint_errors > 0 {
                format!("{sub} !{}", info.lint_errors)
            } else {
                sub
            };
            c.put_str(
                x + 2,
                y + 2,
                &truncate(&sub, box_w as usize - 3),
                if info.lint_errors > 0 {
                    self.theme.warning
                } else {
                    self.theme.dim
                },
            );
        }
        // Scroll so the selection is visible.
        let (sx, sy) = self
            .selected
            .and_then(|s| pos.get(s))
            .copied()
            .unwrap_or((0, 0));
        let off_x = if c.w > area.width {
            sx.saturating_sub(area.width.saturating_sub(box_w) / 2)
                .min(c.w - area.width)
        } else {
            0
        };
        let off_y = if c.h > area.height {
            sy.saturating_sub(area.height.saturating_sub(BOX_H) / 2)
                .min(c.h - area.height)
        } else {
            0
        };
        for yy in 0..area.height.min(c.h.saturating_sub(off_y)) {
            for xx in 0..area.width.min(c.w.saturating_sub(off_x)) {
                let Some(i) = c.idx(xx + off_x, yy + off_y) else {
                    continue;
                };
                let cell = &mut buf[(area.x + xx, area.y + yy)];
                if let Some((ch, st)) = c.text[i] {
                    cell.set_char(ch).set_style(st);
                } else if c.edges[i] != 0 {
                    let st = if c.edge_hot[i] {
                        self.theme.error
                    } else {
                        self.theme.edge
                    };
                    cell.set_char(glyph(c.edges[i])).set_style(st);
                }
            }
        }
        for n in &self.graph.nodes {
            let Some(&(x, y)) = pos.get(n.name.as_str()) else {
                continue;
            };
            if x + box_w <= off_x || y + BOX_H <= off_y {
                continue;
            }
            let rx = area.x + x.saturating_sub(off_x);
            let ry = area.y + y.saturating_sub(off_y);
            if rx < area.x + area.width && ry < area.y + area.height {
                let w = box_w.min(area.x + area.width - rx);
                let h = BOX_H.min(area.y + area.height - ry);
                out.nodes.push((Rect::new(rx, ry, w, h), n.name.clone()));
            }
        }
        if off_x > 0 || off_y > 0 || c.w > area.width || c.h > area.height {
            let hint = "◂ scrolled ▸";
            let hx = area.x + area.width.saturating_sub(hint.chars().count() as u16);
            buf.set_string(
                hx,
                area.y + area.height.saturating_sub(1),
                hint,
                self.theme.dim,
            );
        }
        out
    }

    fn render_list(&self, area: Rect, buf: &mut Buffer, out: &mut Rendered) {
        let sel = self
            .selected
            .and_then(|s| self.graph.nodes.iter().position(|n| n.name == s))
            .unwrap_or(0);
        let h = area.height as usize;
        let start = if sel >= h { sel + 1 - h } else { 0 };
        for (row, n) in self.graph.nodes.iter().enumerate().skip(start).take(h) {
            let y = area.y + (row - start) as u16;
            let info = self.info.get(&n.name).cloned().unwrap_or_default();
            let glyph = match n.kind {
                NodeKind::Ghost => "?".to_string(),
                _ => info
                    .status
                    .map(|s| s.glyph().to_string())
                    .unwrap_or_else(|| {
                        if n.kind == NodeKind::Inspection {
                            "◇".into()
                        } else {
                            "□".into()
                        }
                    }),
            };
            let froms: Vec<String> = self
                .graph
                .incoming(&n.name)
                .filter(|e| !e.is_self_loop())
                .map(|e| format!("{} [{}]", e.from, e.labels.join(", ")))
                .collect();
            let selected = self.selected == Some(n.name.as_str());
            let st = if selected {
                self.theme.selection
            } else {
                self.node_style(n.kind)
            };
            buf.set_string(area.x, y, &glyph, self.status_style(info.status));
            let kind = match n.kind {
                NodeKind::Step => "",
                NodeKind::Inspection => " (inspection)",
                NodeKind::Ghost => " (missing)",
            };
            let text = format!("{}{kind}", n.name);
            buf.set_string(
                area.x + 2,
                y,
                truncate(&text, area.width.saturating_sub(3) as usize),
                st,
            );
            let used = text.chars().count() as u16 + 3;
            if !froms.is_empty() && used + 4 < area.width {
                buf.set_string(
                    area.x + used,
                    y,
                    truncate(
                        &format!("← {}", froms.join("; ")),
                        (area.width - used) as usize,
                    ),
                    self.theme.dim,
                );
            }
            out.nodes
                .push((Rect::new(area.x, y, area.width, 1), n.name.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::envelope::{Metadata, Payload};

    fn demo_graph() -> Graph {
        let md = Metadata::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/conformance/cases/pass-demo-chain-legacy/root.layout"
        )))
        .unwrap();
        let Payload::Layout(l) = md.payload().unwrap() else {
            panic!()
        };
        Graph::from_layout(l)
    }

    fn text_of(buf: &Buffer) -> String {
        let a = buf.area;
        (0..a.height)
            .map(|y| {
                (0..a.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn every_node_is_drawn_in_each_mode() {
        let g = demo_graph();
        let info = HashMap::new();
        let theme = Theme::dark();
        for mode in [GraphMode::LeftRight, GraphMode::TopDown, GraphMode::List] {
            let view = GraphView {
                graph: &g,
                info: &info,
                selected: Some("clone"),
                highlight: &[],
                theme: &theme,
                mode,
                labels: true,
            };
            let area = Rect::new(0, 0, 140, 40);
            let mut buf = Buffer::empty(area);
            let r = view.render(area, &mut buf);
            let text = text_of(&buf);
            for n in ["clone", "update-version", "package", "untar"] {
                assert!(text.contains(n), "{mode:?}: {n} missing\n{text}");
            }
            assert_eq!(r.nodes.len(), 4);
        }
    }

    #[test]
    fn auto_picks_a_list_when_tiny() {
        let g = demo_graph();
        let info = HashMap::new();
        let theme = Theme::dark();
        let view = GraphView {
            graph: &g,
            info: &info,
            selected: None,
            highlight: &[],
            theme: &theme,
            mode: GraphMode::Auto,
            labels: true,
        };
        let area = Rect::new(0, 0, 20, 4);
        let mut buf = Buffer::empty(area);
        assert_eq!(view.render(area, &mut buf).mode, Some(GraphMode::List));
    }
}
