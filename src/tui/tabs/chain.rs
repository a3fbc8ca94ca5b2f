//! The Chain tab: the layout as a graph of steps and inspections, and the detail pane of
//! the selected item (its rules, functionaries, command), with their commands and drawing.

use super::super::action::*;
use super::super::app::*;
use super::super::dialogs::*;
use super::super::graph_view::{GraphView, NodeInfo};
use super::super::keys::Cmd;
use super::verify::view::{failure_lines, status_style, verdict_line};
use crate::lint::Severity;
use crate::model::edit::{self, ItemKind, ItemRef};
use crate::model::rule::ArtifactKind;
use crate::tui::view::panel;
use crate::verify::report::Stage;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout as Split, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use std::collections::HashMap;

impl App {
    /// Select another item: its detail pane starts at its first row, so the cursor is
    /// always on a row that is drawn.
    pub(in crate::tui) fn select(&mut self, sel: Selection) {
        if self.selection.as_ref() != Some(&sel) {
            self.detail_row = 0;
        }
        self.selection = Some(sel);
        let rows = self.detail_rows().len();
        self.detail_row = self.detail_row.min(rows.saturating_sub(1));
    }

    pub(in crate::tui) fn select_name(&mut self, name: &str) {
        self.selection = match edit::find(&self.doc.layout, name) {
            Some(r) => Some(Selection::Item(r)),
            None if self.graph.node(name).is_some() => Some(Selection::Ghost(name.to_string())),
            None => self.selection.clone(),
        };
        self.detail_row = 0;
    }

    pub(in crate::tui) fn graph_command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Left | Cmd::Right | Cmd::Up | Cmd::Down => {
                let Some(name) = self.selected_name() else {
                    self.selection = self.first_item();
                    return;
                };
                let list_mode = self.effective_graph_mode_hint() == GraphMode::List;
                let target = if list_mode {
                    // In the list, up/down walk the node order.
                    let idx = self
                        .graph
                        .nodes
                        .iter()
                        .position(|n| n.name == name)
                        .unwrap_or(0);
                    let j = match cmd {
                        Cmd::Up | Cmd::Left => idx.checked_sub(1),
                        _ => Some(idx + 1).filter(|j| *j < self.graph.nodes.len()),
                    };
                    j.map(|j| self.graph.nodes[j].name.clone())
                } else {
                    let nb = self.graph.neighbours(&name);
                    let top_down = self.effective_graph_mode_hint() == GraphMode::TopDown;
                    nb.and_then(|nb| {
                        let n = match (cmd, top_down) {
                            (Cmd::Left, false) | (Cmd::Up, true) => nb.left,
                            (Cmd::Right, false) | (Cmd::Down, true) => nb.right,
                            (Cmd::Up, false) | (Cmd::Left, true) => nb.up,
                            _ => nb.down,
                        };
                        n.map(|n| n.name.clone())
                    })
                };
                if let Some(t) = target {
                    self.select_name(&t);
                }
            }
            Cmd::FocusNext if self.selected_item().is_some() => self.focus = Focus::Detail,
            Cmd::AddStep => {
                let after = match self.selected_item() {
                    Some(ItemRef {
                        kind: ItemKind::Step,
                        index,
                    }) => Some(index),
                    _ => None,
                };
                let fresh = edit::fresh_name(&self.doc.layout, "step");
                self.push(Overlay::Input(Input::new(
                    "Add a step",
                    "name of the new step (after the selected step)",
                    InputPurpose::AddStep { after },
                    InputKind::Name {
                        taken: edit::names(&self.doc.layout),
                    },
                    &fresh,
                )));
            }
            Cmd::AddInspection => {
                let fresh = edit::fresh_name(&self.doc.layout, "inspection");
                self.push(Overlay::Input(Input::new(
                    "Add an inspection",
                    "name of the new inspection",
                    InputPurpose::AddInspection,
                    InputKind::Name {
                        taken: edit::names(&self.doc.layout),
                    },
                    &fresh,
                )));
            }
            Cmd::Rename => {
                let Some(item) = self.selected_item() else {
                    return;
                };
                let name = edit::name_of(&self.doc.layout, item)
                    .unwrap_or("")
                    .to_string();
                let taken = edit::names(&self.doc.layout)
                    .into_iter()
                    .filter(|n| *n != name)
                    .collect();
                self.push(Overlay::Input(Input::new(
                    format!("Rename '{name}'"),
                    "every MATCH … FROM naming it is updated too",
                    InputPurpose::Rename(item),
                    InputKind::Name { taken },
                    &name,
                )));
            }
            Cmd::Delete => {
                let Some(item) = self.selected_item() else {
                    return;
                };
                let name = edit::name_of(&self.doc.layout, item)
                    .unwrap_or("")
                    .to_string();
                let refs = edit::references_to(&self.doc.layout, &name);
                let mut body = vec![format!("Delete '{name}'?")];
                if !refs.is_empty() {
                    body.push(format!(
                        "{} rule(s) MATCH FROM it and will match nothing:",
                        refs.len()
                    ));
                    body.extend(refs.into_iter().take(8).map(|r| format!("  {r}")));
                }
                self.push(Overlay::Confirm(Confirm {
                    title: "Delete".into(),
                    body,
                    purpose: ConfirmPurpose::DeleteItem(item),
                    choices: vec![('y', "delete (undo with u)".into())],
                }));
            }
            Cmd::MoveUp | Cmd::MoveDown => {
                let Some(item) = self.selected_item() else {
                    return;
                };
                let d = if cmd == Cmd::MoveUp { -1 } else { 1 };
                if let Some(new) = self.edit("move item", |l| Ok(edit::move_item(l, item, d))) {
                    // The same item, elsewhere: its detail row stays.
                    self.selection = Some(Selection::Item(new));
                }
            }
            Cmd::ToggleDirection => {
                self.graph_mode = match self.graph_mode {
                    GraphMode::Auto => GraphMode::LeftRight,
                    GraphMode::LeftRight => GraphMode::TopDown,
                    GraphMode::TopDown => GraphMode::List,
                    GraphMode::List => GraphMode::Auto,
                };
                self.info(format!("graph: {:?}", self.graph_mode).to_lowercase());
            }
            Cmd::OpenSublayout => self.report_view_open_sublayout(),
            _ => {}
        }
    }

    /// The mode the last render used (Auto resolved), for navigation.
    pub(in crate::tui) fn effective_graph_mode_hint(&self) -> GraphMode {
        self.hits.graph_mode.unwrap_or(match self.graph_mode {
            GraphMode::Auto => GraphMode::LeftRight,
            m => m,
        })
    }

    pub(in crate::tui) fn detail_command(&mut self, cmd: Cmd) {
        let rows = self.detail_rows();
        let Some(item) = self.selected_item() else {
            self.focus = Focus::Graph;
            return;
        };
        match cmd {
            Cmd::Up => self.detail_row = self.detail_row.saturating_sub(1),
            Cmd::Down => self.detail_row = (self.detail_row + 1).min(rows.len().saturating_sub(1)),
            Cmd::FocusNext => self.focus = Focus::Graph,
            Cmd::Activate => self.activate_row(item),
            Cmd::AddRule | Cmd::RuleTemplate => {
                let (kind, insert_at) = match self.current_row() {
                    Some(Row::Rule(k, i)) => (k, i + 1),
                    Some(Row::RuleSet(k)) => (
                        k,
                        edit::rules(&self.doc.layout, item, k)
                            .map(|r| r.len())
                            .unwrap_or(0),
                    ),
                    _ => (
                        ArtifactKind::Materials,
                        edit::rules(&self.doc.layout, item, ArtifactKind::Materials)
                            .map(|r| r.len())
                            .unwrap_or(0),
                    ),
                };
                if cmd == Cmd::AddRule {
                    self.open_rule_editor(item, kind, None, insert_at);
                } else {
                    let templates = edit::rule_templates(&self.doc.layout, item, kind);
                    self.push(Overlay::Picker(Picker::new(
                        format!("Add a rule to {}", kind.rule_set()),
                        PickerPurpose::RuleTemplate {
                            item,
                            kind,
                            insert_at,
                        },
                        templates,
                        None,
                    )));
                }
            }
            Cmd::Delete => {
                if let Some(Row::Rule(kind, i)) = self.current_row() {
                    self.edit("delete rule", |l| {
                        if let Some(r) = edit::rules_mut(l, item, kind) {
                            r.remove(i);
                        }
                        Ok(())
                    });
                }
            }
            Cmd::MoveUp | Cmd::MoveDown => {
                if let Some(Row::Rule(kind, i)) = self.current_row() {
                    let up = cmd == Cmd::MoveUp;
                    let n = edit::rules(&self.doc.layout, item, kind)
                        .map(|r| r.len())
                        .unwrap_or(0);
                    let j = if up {
                        i.checked_sub(1)
                    } else {
                        Some(i + 1).filter(|j| *j < n)
                    };
                    if let Some(j) = j {
                        self.edit("move rule", |l| {
                            if let Some(r) = edit::rules_mut(l, item, kind) {
                                r.swap(i, j);
                            }
                            Ok(())
                        });
                        if up {
                            self.detail_row -= 1;
                        } else {
                            self.detail_row += 1;
                        }
                    }
                }
            }
            Cmd::ShowTrace => {
                self.tab = Tab::Report;
                if let Some(name) = self.selected_name() {
                    self.report_view
                        .focus_item(&name, self.verify.report.as_deref());
                }
            }
            _ => {}
        }
    }

    pub(in crate::tui) fn open_rule_editor(
        &mut self,
        item: ItemRef,
        kind: ArtifactKind,
        index: Option<usize>,
        insert_at: usize,
    ) {
        let current = index
            .and_then(|i| edit::rules(&self.doc.layout, item, kind).and_then(|r| r.get(i)))
            .map(|r| r.to_line())
            .unwrap_or_default();
        let name = edit::name_of(&self.doc.layout, item)
            .unwrap_or("")
            .to_string();
        self.push(Overlay::Input(Input::new(
            format!(
                "{} rule of '{name}' ({})",
                if index.is_some() { "Edit" } else { "New" },
                kind.rule_set()
            ),
            "e.g. MATCH src/* WITH PRODUCTS FROM clone · CREATE *.tar.gz · DISALLOW *",
            InputPurpose::Rule {
                item,
                kind,
                index,
                insert_at,
            },
            InputKind::Rule {
                names: edit::names(&self.doc.layout),
            },
            &current,
        )));
    }

    pub(in crate::tui) fn activate_row(&mut self, item: ItemRef) {
        let Some(row) = self.current_row() else {
            return;
        };
        let layout = &self.doc.layout;
        match row {
            Row::Name => self.command_rename(),
            Row::Threshold => {
                let t = layout.steps[item.index].threshold;
                self.push(Overlay::Input(Input::new(
                    "Threshold",
                    "how many distinct functionaries must provide a link for this step",
                    InputPurpose::Threshold(item.index),
                    InputKind::Number,
                    &t.to_string(),
                )));
            }
            Row::Functionaries => {
                let step = &layout.steps[item.index];
                let ids: Vec<String> = layout.keys.keys().cloned().collect();
                if ids.is_empty() {
                    self.error("the layout has no keys yet: add one in the Keys tab (2)");
                    return;
                }
                let rows = ids
                    .iter()
                    .map(|id| {
                        format!(
                            "{}  {}",
                            self.key_names.show(id, 16),
                            layout.keys[id].key.kind_label()
                        )
                    })
                    .collect();
                let checked = ids.iter().map(|id| step.pubkeys.contains(id)).collect();
                self.push(Overlay::Picker(Picker::new(
                    format!("Functionaries of '{}'", step.name),
                    PickerPurpose::Functionaries(item.index),
                    rows,
                    Some(checked),
                )));
            }
            Row::ExpectedCommand => {
                let cmd = crate::model::rule::join_line(
                    &layout.steps[item.index].expected_command_strings(),
                );
                self.push(Overlay::Input(Input::new(
                    "Expected command",
                    "shell words; a different recorded command is only a warning",
                    InputPurpose::ExpectedCommand(item.index),
                    InputKind::Words,
                    &cmd,
                )));
            }
            Row::Run => {
                let run = &layout.inspect[item.index];
                let text = crate::model::rule::join_line(&run.run_strings());
                self.push(Overlay::Editor(Editor::new(
                    format!("Command of inspection '{}' (shell words)", run.name),
                    EditorPurpose::Run(item.index),
                    vec![text],
                    true,
                )));
            }
            Row::RuleSet(kind) => {
                let n = edit::rules(layout, item, kind)
                    .map(|r| r.len())
                    .unwrap_or(0);
                self.open_rule_editor(item, kind, None, n);
            }
            Row::Rule(kind, i) => self.open_rule_editor(item, kind, Some(i), i),
        }
    }

    pub(in crate::tui) fn command_rename(&mut self) {
        self.graph_command(Cmd::Rename);
    }

    /// Select an item (and a rule of it) in the chain tab.
    pub fn jump_to(
        &mut self,
        item: Option<&str>,
        rule_set: Option<ArtifactKind>,
        rule_index: Option<usize>,
    ) {
        match item {
            None => {
                self.tab = Tab::Layout;
            }
            Some(name) => {
                self.tab = Tab::Chain;
                self.select_name(name);
                self.focus = Focus::Detail;
                let rows = self.detail_rows();
                let want = match (rule_set, rule_index) {
                    (Some(kind), Some(i)) => rows.iter().position(|r| *r == Row::Rule(kind, i)),
                    (Some(kind), None) => rows.iter().position(|r| *r == Row::RuleSet(kind)),
                    _ => None,
                };
                self.detail_row = want.unwrap_or(0);
            }
        }
    }

    /// The rows of the detail pane for the selection.
    pub fn detail_rows(&self) -> Vec<Row> {
        let Some(item) = self.selected_item() else {
            return Vec::new();
        };
        let mut rows = vec![Row::Name];
        match item.kind {
            ItemKind::Step => {
                rows.extend([Row::Threshold, Row::Functionaries, Row::ExpectedCommand])
            }
            ItemKind::Inspection => rows.push(Row::Run),
        }
        for kind in [ArtifactKind::Materials, ArtifactKind::Products] {
            rows.push(Row::RuleSet(kind));
            let n = edit::rules(&self.doc.layout, item, kind)
                .map(|r| r.len())
                .unwrap_or(0);
            rows.extend((0..n).map(|i| Row::Rule(kind, i)));
        }
        rows
    }

    pub fn current_row(&self) -> Option<Row> {
        self.detail_rows().get(self.detail_row).cloned()
    }
}

/// Status and subtitle of every node, from the layout, lint and the report.
fn node_info(app: &App) -> HashMap<String, NodeInfo> {
    let l = &app.doc.layout;
    let mut m: HashMap<String, NodeInfo> = HashMap::new();
    for s in &l.steps {
        let n = s.pubkeys.len();
        m.insert(
            s.name.clone(),
            NodeInfo {
                subtitle: format!("{}/{} key{}", s.threshold, n, if n == 1 { "" } else { "s" }),
                ..Default::default()
            },
        );
    }
    for i in &l.inspect {
        m.insert(
            i.name.clone(),
            NodeInfo {
                subtitle: "◇ inspection".into(),
                ..Default::default()
            },
        );
    }
    for finding in &app.lint {
        if finding.severity == Severity::Error
            && let Some(item) = &finding.item
        {
            m.entry(item.clone()).or_default().lint_errors += 1;
        }
    }
    if let Some(r) = &app.verify.report {
        for s in &r.steps {
            m.entry(s.name.clone()).or_default().status = Some(s.status);
        }
        for i in &r.inspections {
            m.entry(i.name.clone()).or_default().status = Some(i.status);
        }
    }
    m
}

/// Edges to emphasise: the MATCH rules a root cause names.
fn highlighted_edges(app: &App) -> Vec<(String, String)> {
    let Some(r) = &app.verify.report else {
        return Vec::new();
    };
    let Some(f) = &r.failure else {
        return Vec::new();
    };
    if !f.sublayout_path.is_empty() {
        return Vec::new();
    }
    let Some(item) = &f.item else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in &f.root_causes {
        if let Some(rule) = &c.rule
            && rule
                .first()
                .is_some_and(|k| k.eq_ignore_ascii_case("match"))
            && let Some(from) = rule.last()
        {
            out.push((from.clone(), item.clone()));
        }
    }
    out.dedup();
    out
}

pub fn draw(f: &mut Frame, app: &App, area: Rect, hits: &mut HitMap) {
    let narrow = area.width < 100;
    let info = node_info(app);
    let hl = highlighted_edges(app);
    let sel = app.selected_name();
    let view = GraphView {
        graph: &app.graph,
        info: &info,
        selected: sel.as_deref(),
        highlight: &hl,
        theme: &app.theme,
        mode: app.graph_mode,
        labels: true,
    };
    let [graph_area, detail_area] = if narrow {
        // Stacked: a graph drawn as a list takes only its rows, leaving the rest to the
        // details (the diagnosis) on small screens.
        let [half, _] =
            Split::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
        let probe = Block::default().borders(Borders::ALL).inner(half);
        let items = (app.doc.layout.steps.len() + app.doc.layout.inspect.len()) as u16;
        let graph_h = match view.resolve_mode(probe) {
            GraphMode::List => half.height.min(items.max(1) + 2),
            _ => half.height,
        };
        Split::vertical([Constraint::Length(graph_h), Constraint::Min(0)]).areas(area)
    } else {
        Split::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(area)
    };
    // The mode is resolved for the inner area before the frame's title is written.
    let probe = Block::default().borders(Borders::ALL).inner(graph_area);
    let mode_name = match view.resolve_mode(probe) {
        GraphMode::TopDown => "top-down",
        GraphMode::List => "list",
        _ => "left→right",
    };
    let title = format!(
        " Graph ({} items, {mode_name}) ",
        app.doc.layout.steps.len() + app.doc.layout.inspect.len()
    );
    let mut layout_note = None;
    if let Some(r) = &app.verify.report
        && let Some(fl) = &r.failure
        && matches!(
            fl.stage,
            Stage::LayoutSignatures | Stage::Expiry | Stage::LoadLayout | Stage::LayoutPayload
        )
        && fl.sublayout_path.is_empty()
    {
        let what = if fl.stage == Stage::Expiry {
            "layout expired".to_string()
        } else {
            format!("layout {}: {}", fl.stage.title(), fl.reference_error)
        };
        layout_note = Some(what);
    }
    let mut block = panel(title, &app.theme, app.focus == Focus::Graph);
    if let Some(n) = &layout_note {
        block = block.title_bottom(Line::from(Span::styled(
            format!(" ✗ {n} "),
            app.theme.error,
        )));
    }
    let inner = block.inner(graph_area);
    f.render_widget(block, graph_area);
    let rendered = view.render(inner, f.buffer_mut());
    hits.nodes = rendered.nodes;
    hits.graph_mode = rendered.mode;
    hits.graph = Some(inner);
    draw_detail(f, app, detail_area, hits);
}

fn draw_detail(f: &mut Frame, app: &App, area: Rect, hits: &mut HitMap) {
    let t = app.theme.clone();
    let focus = app.focus == Focus::Detail;
    let Some(sel) = app.selection.clone() else {
        f.render_widget(
            Paragraph::new(vec![
                Line::from(Span::styled("The layout is empty.", t.text)),
                Line::from(Span::styled("a: add a step · i: add an inspection · 2: keys · 3: expiry and readme · ?: help", t.dim)),
            ])
            .wrap(Wrap { trim: true })
            .block(panel(" Details ".into(), &app.theme, focus)),
            area,
        );
        hits.detail = None;
        return;
    };
    let item = match sel {
        Selection::Ghost(name) => {
            let refs = crate::model::edit::references_to(&app.doc.layout, &name);
            let mut lines = vec![
                Line::from(Span::styled(
                    format!("'{name}' is not a step or inspection of this layout."),
                    t.warning,
                )),
                Line::from(Span::styled(
                    "These rules MATCH FROM it and can never consume anything:",
                    t.text,
                )),
            ];
            lines.extend(
                refs.into_iter()
                    .map(|r| Line::from(Span::styled(format!("  {r}"), t.text))),
            );
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(panel(format!(" ?{name} "), &app.theme, focus)),
                area,
            );
            hits.detail = None;
            return;
        }
        Selection::Item(i) => i,
    };
    let layout = &app.doc.layout;
    let name = crate::model::edit::name_of(layout, item)
        .unwrap_or("")
        .to_string();
    // Verification box on top when the report says something about this item.
    let mut top: Vec<Line> = Vec::new();
    if let Some(r) = &app.verify.report {
        if let Some(fl) = &r.failure {
            let concerns =
                fl.item.as_deref() == Some(&name) || fl.sublayout_path.first() == Some(&name);
            if concerns {
                failure_lines(&mut top, r, fl, &t);
            }
        }
        if top.is_empty() {
            let st = r
                .step(&name)
                .map(|s| s.status)
                .or_else(|| r.inspection(&name).map(|i| i.status));
            if let Some(st) = st {
                // The item's own result, and the chain's apart: a passing item of a
                // failed chain is not a passed verification.
                top.push(Line::from(Span::styled(
                    format!("{} {name}: {}", st.glyph(), st.word()),
                    status_style(st, &t),
                )));
                let mut chain = vec![Span::styled("chain: ", t.dim)];
                chain.extend(verdict_line(r, app.chain.owner_trust, &t).spans);
                if let Some(fl) = &r.failure
                    && let Some(item) = &fl.item
                {
                    chain.push(Span::styled(format!(" (at {item})"), t.dim));
                }
                top.push(Line::from(chain));
            }
        }
    }
    let rows = app.detail_rows();
    // Height of the wrapped verification text (approximate: by characters).
    let width = area.width.saturating_sub(2).max(1) as usize;
    let wrapped: usize = top.iter().map(|l| wrapped_rows(l, width)).sum();
    // The diagnosis of this item comes first: all of it when it fits, leaving a row of
    // the item's own details.
    let top_h = if top.is_empty() {
        0
    } else {
        (wrapped as u16 + 2).min(area.height.saturating_sub(3).max(area.height * 3 / 5))
    };
    let [top_area, rows_area] =
        Split::vertical([Constraint::Length(top_h), Constraint::Min(3)]).areas(area);
    if !top.is_empty() {
        f.render_widget(
            Paragraph::new(top).wrap(Wrap { trim: false }).block(panel(
                " Verification ".into(),
                &app.theme,
                false,
            )),
            top_area,
        );
    }
    let kind = if item.kind == ItemKind::Step {
        "Step"
    } else {
        "Inspection"
    };
    let block = panel(format!(" {kind} {name} "), &app.theme, focus);
    let inner = block.inner(rows_area);
    f.render_widget(block, rows_area);
    let mut lines: Vec<Line> = Vec::new();
    let label = |s: &str| Span::styled(format!("{s:<18}"), t.dim);
    let failing_rule = app
        .verify
        .report
        .as_ref()
        .and_then(|r| r.failure.as_ref())
        .filter(|fl| fl.item.as_deref() == Some(&name) && fl.sublayout_path.is_empty())
        .and_then(|fl| {
            let kind = fl.rule_set.unwrap_or(ArtifactKind::Products);
            fl.rule_index.map(|i| (kind, i))
        });
    let cause_rules: Vec<(ArtifactKind, usize)> = app
        .verify
        .report
        .as_ref()
        .and_then(|r| r.failure.as_ref())
        .filter(|fl| fl.item.as_deref() == Some(&name) && fl.sublayout_path.is_empty())
        .map(|fl| {
            let kind = fl.rule_set.unwrap_or(ArtifactKind::Products);
            fl.root_causes
                .iter()
                .filter_map(|c| c.rule_index.map(|i| (kind, i)))
                .collect()
        })
        .unwrap_or_default();
    for (idx, row) in rows.iter().enumerate() {
        let selected = focus && idx == app.detail_row;
        let sel_style = |st| if selected { t.selection } else { st };
        let line = match row {
            Row::Name => Line::from(vec![
                label("name"),
                Span::styled(name.clone(), sel_style(t.text)),
            ]),
            Row::Threshold => {
                let s = &layout.steps[item.index];
                Line::from(vec![
                    label("threshold"),
                    Span::styled(
                        format!("{} of {} key(s)", s.threshold, s.pubkeys.len()),
                        sel_style(t.text),
                    ),
                ])
            }
            Row::Functionaries => {
                let s = &layout.steps[item.index];
                let text = if s.pubkeys.is_empty() {
                    "(none — Enter to pick keys)".to_string()
                } else {
                    s.pubkeys
                        .iter()
                        .map(|k| {
                            let kind = layout
                                .keys
                                .get(k)
                                .map(|lk| lk.key.kind_label())
                                .unwrap_or_else(|| "not in keys!".into());
                            format!("{} {kind}", app.key_names.show(k, 8))
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                Line::from(vec![
                    label("functionaries"),
                    Span::styled(text, sel_style(t.text)),
                ])
            }
            Row::ExpectedCommand => {
                let c = crate::model::rule::join_line(
                    &layout.steps[item.index].expected_command_strings(),
                );
                Line::from(vec![
                    label("expected command"),
                    Span::styled(
                        if c.is_empty() { "(none)".into() } else { c },
                        sel_style(t.text),
                    ),
                ])
            }
            Row::Run => {
                let c = crate::model::rule::join_line(&layout.inspect[item.index].run_strings());
                Line::from(vec![
                    label("run"),
                    Span::styled(
                        if c.is_empty() {
                            "(empty — it will fail)".into()
                        } else {
                            c
                        },
                        sel_style(if c_is_empty(layout, item) {
                            t.error
                        } else {
                            t.text
                        }),
                    ),
                ])
            }
            Row::RuleSet(kind) => {
                let n = crate::model::edit::rules(layout, item, *kind)
                    .map(|r| r.len())
                    .unwrap_or(0);
                Line::from(vec![Span::styled(
                    format!("{} ({n})", kind.rule_set()),
                    sel_style(t.title),
                )])
            }
            Row::Rule(kind, i) => {
                let rule = crate::model::edit::rules(layout, item, *kind).and_then(|r| r.get(*i));
                let text = rule.map(|r| r.to_line()).unwrap_or_default();
                let lint_err = app.lint.iter().any(|fd| {
                    fd.item.as_deref() == Some(&name)
                        && fd.rule_set == Some(*kind)
                        && fd.rule_index == Some(*i)
                        && fd.severity == Severity::Error
                });
                let failing = failing_rule == Some((*kind, *i));
                let cause = cause_rules.contains(&(*kind, *i));
                let mark = if failing {
                    "✗"
                } else if cause {
                    "→"
                } else if lint_err {
                    "!"
                } else {
                    " "
                };
                let st = if failing || cause {
                    t.error
                } else if lint_err {
                    t.warning
                } else {
                    t.text
                };
                Line::from(vec![
                    Span::styled(
                        format!("  {mark}{:>2} ", i + 1),
                        if failing || cause { t.error } else { t.dim },
                    ),
                    Span::styled(text, sel_style(st)),
                ])
            }
        };
        lines.push(line);
    }
    // Keep the selected row visible.
    let h = inner.height as usize;
    let first = if app.detail_row >= h {
        app.detail_row + 1 - h
    } else {
        0
    };
    hits.detail = Some(inner);
    hits.detail_first_row = first;
    let visible: Vec<Line> = lines.into_iter().skip(first).take(h).collect();
    f.render_widget(Paragraph::new(visible), inner);
}

/// How many rows `line` takes in `width` columns, wrapped at words as `Wrap` does
/// (greedy; a word longer than the width is broken).
fn wrapped_rows(line: &Line, width: usize) -> usize {
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let mut rows = 1;
    let mut col = 0;
    for word in text.split(' ') {
        let w = unicode_width(word);
        let need = if col == 0 { w } else { col + 1 + w };
        if need <= width {
            col = need;
        } else if w <= width {
            rows += 1;
            col = w;
        } else {
            rows += usize::from(col > 0) + (w - 1) / width;
            col = (w - 1) % width + 1;
        }
    }
    rows
}

fn unicode_width(s: &str) -> usize {
    Line::from(s).width()
}

fn c_is_empty(layout: &crate::model::layout::Layout, item: crate::model::edit::ItemRef) -> bool {
    layout
        .inspect
        .get(item.index)
        .is_some_and(|i| i.run.is_empty())
}
