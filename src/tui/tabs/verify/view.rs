//! The Verify tab's view: the replayed verification (stages, items, rule traces), the link
//! browser (links per step with their signature state and artifacts, compared with each
//! MATCH source), artifact lineage and sublayouts. All views of one [`Report`].

use crate::model::link::{Artifacts, Link};
use crate::model::rule::{ArtifactKind, RuleKind};
use crate::py::fnmatch::Pattern;
use crate::tui::keys::{Cmd, Ctx};
use crate::tui::theme::Theme;
use crate::tui::view::{HitMap, OwnerTrust, Pane, panel};
use crate::verify::render::wrap_words;
use crate::verify::report::{KeyNames, LinkState, Report, RuleSetReport, Stage, Status};
use crate::verify::rules::{MatchOutcome, match_one};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout as Split, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use std::sync::Arc;

/// Which sub-view of the tab is shown.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum View {
    #[default]
    Summary,
    Links,
    Lineage(String),
}

/// A what-if change the user asked for from the link browser.
#[derive(Debug, Clone, PartialEq)]
pub enum WhatIfRequest {
    Hash {
        file: String,
        kind: ArtifactKind,
        path: String,
        current: String,
    },
    Link {
        file: String,
    },
}

/// State of the Verify tab.
#[derive(Debug, Clone, Default)]
pub struct ReportView {
    pub view: View,
    /// The `.link` files in the chain's link directory (set by the app with each report),
    /// so that the link browser can list the ones verification never read, and why.
    pub disk_links: Vec<std::path::PathBuf>,
    /// Sublayout steps entered, outermost first.
    pub stack: Vec<String>,
    /// Selected item row in the summary.
    pub row: usize,
    /// Scroll of the detail text.
    pub scroll: u16,
    /// Link browser: selected link and artifact row.
    pub link: usize,
    pub art_row: usize,
    pub lineage_row: usize,
    /// An item to select once a report is drawn (from the chain tab's trace key).
    pub pending_focus: Option<String>,
}

/// One selectable row of the summary: an item of the current (sub)layout.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ItemRow {
    name: String,
    inspection: bool,
    status: Status,
}

fn items(r: &Report) -> Vec<ItemRow> {
    r.steps
        .iter()
        .map(|s| ItemRow {
            name: s.name.clone(),
            inspection: false,
            status: s.status,
        })
        .chain(r.inspections.iter().map(|i| ItemRow {
            name: i.name.clone(),
            inspection: true,
            status: i.status,
        }))
        .collect()
}

/// A link file of the current report: (step, index into its links).
fn link_list(r: &Report) -> Vec<(usize, usize)> {
    r.steps
        .iter()
        .enumerate()
        .flat_map(|(si, s)| (0..s.links.len()).map(move |li| (si, li)))
        .collect()
}

impl ReportView {
    pub fn contexts(&self) -> Vec<Ctx> {
        match self.view {
            View::Summary => vec![Ctx::Report],
            View::Links => vec![Ctx::Links, Ctx::Report],
            View::Lineage(_) => vec![Ctx::Lineage, Ctx::Report],
        }
    }

    /// Esc: leave a sub-view or a sublayout. Returns whether it did something.
    pub fn back(&mut self) -> bool {
        match self.view {
            View::Summary if self.stack.is_empty() => false,
            View::Summary => {
                self.stack.pop();
                self.row = 0;
                true
            }
            _ => {
                self.view = View::Summary;
                true
            }
        }
    }

    /// A new report arrived: select the failure.
    pub fn on_new_report(&mut self, r: &Arc<Report>) {
        self.stack.clear();
        self.view = View::Summary;
        self.scroll = 0;
        self.row = 0;
        if let Some(f) = &r.failure {
            self.stack = f.sublayout_path.clone();
            let cur = self.current(r);
            if let Some(item) = &f.item {
                if let Some(i) = items(cur).iter().position(|x| &x.name == item) {
                    self.row = i;
                }
            } else if let Some(i) = items(cur).iter().position(|x| x.status == Status::Failed) {
                self.row = i;
            }
        }
        if self.stack.is_empty() {
            self.take_focus(r);
        }
    }

    /// The report being viewed (following the sublayout stack).
    pub fn current<'a>(&self, r: &'a Report) -> &'a Report {
        let mut cur = r;
        for s in &self.stack {
            match cur.step(s).and_then(|x| x.sublayout.as_deref()) {
                Some(sub) => cur = sub,
                None => break,
            }
        }
        cur
    }

    /// Select the item `name` in the summary: now if there is a report, else when one
    /// arrives.
    pub fn focus_item(&mut self, name: &str, r: Option<&Report>) {
        self.view = View::Summary;
        self.stack.clear();
        self.pending_focus = Some(name.to_string());
        if let Some(r) = r {
            self.take_focus(r);
        }
    }

    fn take_focus(&mut self, r: &Report) {
        if let Some(name) = self.pending_focus.take()
            && let Some(i) = items(r).iter().position(|x| x.name == name)
        {
            self.row = i;
        }
    }

    /// Open the link browser on the failing link: the failing step's first link that is not
    /// verified (else its first link), with the failing artifact selected when it is there.
    pub fn open_links(&mut self, r: Option<&Report>) {
        self.view = View::Links;
        self.art_row = 0;
        let Some(r) = r else { return };
        let Some(f) = r
            .failure
            .as_ref()
            .filter(|f| f.sublayout_path == self.stack)
        else {
            return;
        };
        let cur = self.current(r);
        let links = link_list(cur);
        let of_item: Vec<usize> = (0..links.len())
            .filter(|&i| Some(&cur.steps[links[i].0].name) == f.item.as_ref())
            .collect();
        let state = |i: usize| &cur.steps[links[i].0].links[links[i].1].state;
        let Some(&pick) = of_item
            .iter()
            .find(|&&i| *state(i) != LinkState::Verified)
            .or(of_item.first())
        else {
            return;
        };
        self.link = pick;
        let link = cur.steps[links[pick].0].links[links[pick].1]
            .link
            .as_deref();
        if let (Some(l), Some(kind), Some(a)) = (link, f.rule_set, f.artifacts.first()) {
            let (m, p) = (&l.materials, &l.products);
            let row = match kind {
                ArtifactKind::Materials => (0..m.len()).find(|&i| m.path(i) == a),
                ArtifactKind::Products => {
                    (0..p.len()).find(|&i| p.path(i) == a).map(|i| m.len() + i)
                }
            };
            self.art_row = row.map_or(0, |i| i + 1);
        }
    }

    pub fn open_sublayout(&mut self, step: &str, r: Option<&Report>) -> bool {
        let Some(r) = r else { return false };
        let cur = self.current(r);
        if cur.step(step).and_then(|s| s.sublayout.as_ref()).is_some() {
            self.stack.push(step.to_string());
            self.view = View::Summary;
            self.row = 0;
            true
        } else {
            false
        }
    }

    /// The item rows' names (for search).
    pub fn item_names(&self, r: &Report) -> Vec<String> {
        items(self.current(r)).into_iter().map(|i| i.name).collect()
    }

    /// The link browser's rows for search: ((link, row), text), row 0 being the link file
    /// and the rest its materials, then its products.
    pub fn link_rows(&self, r: &Report) -> Vec<((usize, usize), String)> {
        let cur = self.current(r);
        let mut rows = Vec::new();
        for (k, &(si, li)) in link_list(cur).iter().enumerate() {
            let lr = &cur.steps[si].links[li];
            rows.push(((k, 0), lr.file.clone()));
            if let Some(l) = &lr.link {
                let paths = (0..l.materials.len())
                    .map(|i| l.materials.path(i))
                    .chain((0..l.products.len()).map(|i| l.products.path(i)));
                rows.extend(paths.enumerate().map(|(i, p)| ((k, i + 1), p.to_string())));
            }
        }
        rows
    }

    /// The name of the selected item row.
    pub fn selected_name(&self, r: Option<&Report>) -> Option<String> {
        let r = r?;
        items(self.current(r)).get(self.row).map(|i| i.name.clone())
    }

    /// The item (and rule) to show in the chain tab for the selected row.
    pub fn selected_target(
        &self,
        r: Option<&Report>,
    ) -> Option<(String, Option<ArtifactKind>, Option<usize>)> {
        let r = r?;
        if !self.stack.is_empty() {
            return Some((self.stack[0].clone(), None, None));
        }
        let it = items(r).get(self.row)?.clone();
        let f = r
            .failure
            .as_ref()
            .filter(|f| f.item.as_deref() == Some(&it.name));
        Some((
            it.name,
            f.and_then(|f| f.rule_set),
            f.and_then(|f| f.rule_index),
        ))
    }

    /// A key command; may ask for a what-if change.
    pub fn command(&mut self, cmd: Cmd, r: Option<&Report>) -> Option<WhatIfRequest> {
        let r = r?;
        let cur = self.current(r);
        match &self.view {
            View::Summary => {
                let n = items(cur).len();
                self.row = self.row.min(n.saturating_sub(1));
                match cmd {
                    Cmd::Up => self.row = self.row.saturating_sub(1),
                    Cmd::Down => self.row = (self.row + 1).min(n.saturating_sub(1)),
                    Cmd::PageDown => self.scroll = self.scroll.saturating_add(10),
                    Cmd::PageUp => self.scroll = self.scroll.saturating_sub(10),
                    Cmd::Links => self.open_links(Some(r)),
                    Cmd::Lineage => {
                        if let Some(a) = first_failing_artifact(r) {
                            self.view = View::Lineage(a);
                            self.lineage_row = 0;
                        }
                    }
                    _ => {}
                }
                if matches!(cmd, Cmd::Up | Cmd::Down) {
                    self.scroll = 0;
                }
                None
            }
            View::Links => {
                let links = link_list(cur);
                self.link = self.link.min(links.len().saturating_sub(1));
                let &(si, li) = links.get(self.link)?;
                let lr = &cur.steps[si].links[li];
                let (m, p) = lr
                    .link
                    .as_ref()
                    .map(|l| (l.materials.len(), l.products.len()))
                    .unwrap_or((0, 0));
                let rows = 1 + m + p;
                self.art_row = self.art_row.min(rows - 1);
                match cmd {
                    Cmd::Left => {
                        self.link = self.link.saturating_sub(1);
                        self.art_row = 0;
                    }
                    Cmd::Right => {
                        self.link = (self.link + 1).min(links.len().saturating_sub(1));
                        self.art_row = 0;
                    }
                    Cmd::Up => self.art_row = self.art_row.saturating_sub(1),
                    Cmd::Down => self.art_row = (self.art_row + 1).min(rows.saturating_sub(1)),
                    Cmd::PageUp => self.art_row = self.art_row.saturating_sub(20),
                    Cmd::PageDown => self.art_row = (self.art_row + 20).min(rows.saturating_sub(1)),
                    Cmd::Top => self.art_row = 0,
                    Cmd::Bottom => self.art_row = rows.saturating_sub(1),
                    Cmd::Lineage => {
                        if let Some((_, path)) = artifact_at(lr.link.as_deref(), self.art_row) {
                            self.view = View::Lineage(path);
                            self.lineage_row = 0;
                        }
                    }
                    Cmd::Activate => {
                        return match artifact_at(lr.link.as_deref(), self.art_row) {
                            Some((kind, path)) => {
                                let current = lr
                                    .link
                                    .as_ref()
                                    .and_then(|l| {
                                        l.artifacts(kind)
                                            .get(&path)
                                            .and_then(|h| h.get("sha256").map(str::to_string))
                                    })
                                    .unwrap_or_default();
                                Some(WhatIfRequest::Hash {
                                    file: lr.file.clone(),
                                    kind,
                                    path,
                                    current,
                                })
                            }
                            None => Some(WhatIfRequest::Link {
                                file: lr.file.clone(),
                            }),
                        };
                    }
                    _ => {}
                }
                None
            }
            View::Lineage(_) => {
                match cmd {
                    Cmd::Up => self.lineage_row = self.lineage_row.saturating_sub(1),
                    Cmd::Down => self.lineage_row += 1,
                    _ => {}
                }
                None
            }
        }
    }

    /// Draw the tab.
    #[allow(clippy::too_many_arguments)]
    pub fn render(
        &self,
        f: &mut Frame,
        area: Rect,
        report: Option<&Report>,
        trust: OwnerTrust,
        theme: &Theme,
        progress: &str,
        names: &KeyNames,
        hits: &mut HitMap,
    ) {
        let Some(r) = report else {
            let msg = if progress.is_empty() {
                "No verification yet. Open a chain with --verification-keys (or a folder with owner*.pub and links/) and press V."
            } else {
                progress
            };
            f.render_widget(
                Paragraph::new(Span::styled(msg, theme.dim))
                    .wrap(Wrap { trim: true })
                    .block(panel(" Verification ".into(), theme, true)),
                area,
            );
            return;
        };
        match self.view.clone() {
            View::Summary => self.render_summary(f, area, r, trust, theme, progress, names, hits),
            View::Links => self.render_links(f, area, r, theme, names, hits),
            View::Lineage(path) => self.render_lineage(f, area, r, &path, theme),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn render_summary(
        &self,
        f: &mut Frame,
        area: Rect,
        top: &Report,
        trust: OwnerTrust,
        theme: &Theme,
        progress: &str,
        names: &KeyNames,
        hits: &mut HitMap,
    ) {
        let r = self.current(top);
        let [left, right] =
            Split::horizontal([Constraint::Length(34), Constraint::Min(20)]).areas(area);
        hits.panes = vec![(left, Pane::Items), (right, Pane::Detail)];
        // Left: verdict, stages, items.
        let mut lines: Vec<Line> = Vec::new();
        lines.push(verdict_line(top, trust, theme));
        if let (Some(notice), None) = (trust.notice(), &top.failure) {
            let width = usize::from(left.width.saturating_sub(2)).max(10);
            for line in wrap_words(notice, width) {
                lines.push(Line::from(Span::styled(line, theme.warning)));
            }
        }
        if !self.stack.is_empty() {
            lines.push(Line::from(Span::styled(
                format!("sublayout: {}", self.stack.join(" › ")),
                theme.warning,
            )));
        }
        if !progress.is_empty() {
            lines.push(Line::from(Span::styled(progress.to_string(), theme.info)));
        }
        lines.push(Line::from(""));
        for s in &r.stages {
            let st = status_style(s.status, theme);
            lines.push(Line::from(vec![
                Span::styled(format!("{} ", s.status.glyph()), st),
                Span::styled(
                    s.stage.title().to_string(),
                    if s.status == Status::NotReached {
                        theme.not_reached
                    } else {
                        theme.text
                    },
                ),
            ]));
        }
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("Items", theme.title)));
        let rows = items(r);
        let row = self.row.min(rows.len().saturating_sub(1));
        for (i, it) in rows.iter().enumerate() {
            let mut name = it.name.clone();
            if it.inspection {
                name.push_str(" ◇");
            }
            if r.step(&it.name).is_some_and(|s| s.sublayout.is_some()) {
                name.push_str(" ▸");
            }
            let st = if i == row {
                theme.selection
            } else {
                theme.text
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{} ", it.status.glyph()),
                    status_style(it.status, theme),
                ),
                Span::styled(name, st),
            ]));
        }
        f.render_widget(
            Paragraph::new(lines).block(panel(" Verification ".into(), theme, false)),
            left,
        );

        // Right: a sublayout's own graph, the failure, and the selected item's trace.
        let right = match (self.stack.is_empty(), r.layout_model.as_deref()) {
            (false, Some(sub_layout)) => {
                let graph = crate::graph::Graph::from_layout(sub_layout);
                let breadth = graph.layers().iter().map(|l| l.len()).max().unwrap_or(1) as u16;
                let h = (breadth * 5 + 3).min(right.height / 2).max(7);
                let [g, rest] =
                    Split::vertical([Constraint::Length(h), Constraint::Min(3)]).areas(right);
                let mut info = std::collections::HashMap::new();
                for s in &r.steps {
                    let n = sub_layout
                        .step(&s.name)
                        .map(|st| st.pubkeys.len())
                        .unwrap_or(0);
                    let sub = format!("{}/{n} key{}", s.threshold, if n == 1 { "" } else { "s" });
                    info.insert(
                        s.name.clone(),
                        crate::tui::graph_view::NodeInfo {
                            status: Some(s.status),
                            subtitle: sub,
                            lint_errors: 0,
                        },
                    );
                }
                for i in &r.inspections {
                    let ni = crate::tui::graph_view::NodeInfo {
                        status: Some(i.status),
                        subtitle: "inspection".into(),
                        lint_errors: 0,
                    };
                    info.insert(i.name.clone(), ni);
                }
                let sel = rows.get(row).map(|i| i.name.clone());
                let block = panel(
                    format!(" Sublayout {} ", self.stack.join(" › ")),
                    theme,
                    false,
                );
                let inner = block.inner(g);
                f.render_widget(block, g);
                let view = crate::tui::graph_view::GraphView {
                    graph: &graph,
                    info: &info,
                    selected: sel.as_deref(),
                    highlight: &[],
                    theme,
                    mode: crate::tui::view::GraphMode::Auto,
                    labels: true,
                };
                view.render(inner, f.buffer_mut());
                rest
            }
            _ => right,
        };
        let mut d: Vec<Line> = Vec::new();
        if let Some(fl) = &top.failure {
            failure_lines(&mut d, top, fl, theme);
            d.push(Line::from(""));
        } else if top.complete {
            d.push(Line::from(Span::styled("✓ Every check passed.", theme.ok)));
            d.push(Line::from(""));
        }
        for w in &top.warnings {
            d.push(Line::from(Span::styled(format!("! {w}"), theme.warning)));
        }
        if let Some(it) = rows.get(row) {
            item_lines(&mut d, r, &it.name, theme, names);
        }
        let title = rows
            .get(row)
            .map(|it| format!(" {} ", it.name))
            .unwrap_or_default();
        f.render_widget(
            Paragraph::new(d)
                .wrap(Wrap { trim: false })
                .scroll((self.scroll, 0))
                .block(panel(title.clone(), theme, true)),
            right,
        );
    }

    /// The link directory's files that the report does not mention, with why.
    fn unread_links(&self, r: &Report) -> Vec<(String, &'static str)> {
        if !self.stack.is_empty() {
            return Vec::new();
        }
        let read: Vec<&std::path::Path> = r
            .steps
            .iter()
            .flat_map(|s| s.links.iter().map(|l| std::path::Path::new(&l.file)))
            .collect();
        let why = if r.steps.iter().all(|s| s.links.is_empty()) {
            "not read: verification stopped before loading links"
        } else {
            "not read: no step of the layout names it (step and key)"
        };
        self.disk_links
            .iter()
            .filter(|p| {
                !read
                    .iter()
                    .any(|q| q == p || q.file_name() == p.file_name())
            })
            .map(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                (name, why)
            })
            .collect()
    }

    fn render_links(
        &self,
        f: &mut Frame,
        area: Rect,
        top: &Report,
        theme: &Theme,
        names: &KeyNames,
        hits: &mut HitMap,
    ) {
        let r = self.current(top);
        let links = link_list(r);
        let unread = self.unread_links(r);
        if links.is_empty() {
            let mut l = vec![Line::from(
                "No link files were looked up (verification stopped before loading links).",
            )];
            if !unread.is_empty() {
                l.push(Line::from(""));
                l.push(Line::from(Span::styled(
                    "In the link directory:",
                    theme.dim,
                )));
            }
            for (name, why) in &unread {
                l.push(Line::from(vec![
                    Span::styled("· ", theme.not_reached),
                    Span::styled(name.clone(), theme.text),
                    Span::styled(format!("  {why}"), theme.dim),
                ]));
            }
            f.render_widget(
                Paragraph::new(l).block(panel(" Link browser ".into(), theme, true)),
                area,
            );
            return;
        }
        let link = self.link.min(links.len() - 1);
        let [left, right] =
            Split::horizontal([Constraint::Length(40), Constraint::Min(20)]).areas(area);
        hits.panes = vec![(left, Pane::LinkList), (right, Pane::Artifacts)];
        let mut l: Vec<Line> = Vec::new();
        for (k, (si, li)) in links.iter().enumerate() {
            let s = &r.steps[*si];
            let lr = &s.links[*li];
            let (glyph, st) = link_state_glyph(&lr.state, theme);
            let name = std::path::Path::new(&lr.file)
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| lr.file.clone());
            let sel = if k == link {
                theme.selection
            } else {
                theme.text
            };
            l.push(Line::from(vec![
                Span::styled(format!("{glyph} "), st),
                Span::styled(name, sel),
            ]));
        }
        if !unread.is_empty() {
            l.push(Line::from(Span::styled("not read:", theme.dim)));
        }
        for (name, _) in &unread {
            l.push(Line::from(vec![
                Span::styled("· ", theme.not_reached),
                Span::styled(name.clone(), theme.dim),
            ]));
        }
        f.render_widget(
            Paragraph::new(l).block(panel(" Links (←→) ".into(), theme, false)),
            left,
        );

        let (si, li) = links[link];
        let step = &r.steps[si];
        let lr = &step.links[li];
        let layout = r.layout_model.as_deref();
        let mut head: Vec<Line> = vec![
            Line::from(vec![
                Span::styled("file      ", theme.dim),
                Span::styled(lr.file.clone(), theme.text),
            ]),
            Line::from(vec![
                Span::styled("step      ", theme.dim),
                Span::styled(
                    format!("{} (threshold {})", step.name, step.threshold),
                    theme.text,
                ),
            ]),
            Line::from(vec![
                Span::styled("key       ", theme.dim),
                Span::styled(names.show(&lr.keyid, 64), theme.text),
            ]),
        ];
        let (glyph, st) = link_state_glyph(&lr.state, theme);
        head.push(Line::from(vec![
            Span::styled("signature ", theme.dim),
            Span::styled(format!("{glyph} {}", link_state_text(&lr.state)), st),
        ]));
        if !lr.signed_by.is_empty() {
            head.push(Line::from(vec![
                Span::styled("signed by ", theme.dim),
                Span::styled(
                    lr.signed_by
                        .iter()
                        .map(|k| names.show(k, 16))
                        .collect::<Vec<_>>()
                        .join(", "),
                    theme.text,
                ),
            ]));
        }
        if let Some(cmd) = &lr.command {
            let expected = layout
                .and_then(|l| l.step(&step.name))
                .map(|s| s.expected_command_strings())
                .unwrap_or_default();
            let same = *cmd == expected;
            head.push(Line::from(vec![
                Span::styled("command   ", theme.dim),
                Span::styled(cmd.join(" "), if same { theme.text } else { theme.warning }),
            ]));
            if !same {
                head.push(Line::from(vec![
                    Span::styled("expected  ", theme.dim),
                    Span::styled(expected.join(" "), theme.text),
                ]));
            }
        }
        if let Some(n) = &lr.name_mismatch {
            head.push(Line::from(Span::styled(
                format!("note: the link's own name is '{n}' (the reference ignores it)"),
                theme.warning,
            )));
        }
        let hh = head.len() as u16 + 2;
        let [top_area, list_area] =
            Split::vertical([Constraint::Length(hh), Constraint::Min(3)]).areas(right);
        f.render_widget(
            Paragraph::new(head).block(panel(" Link ".into(), theme, true)),
            top_area,
        );

        // Artifacts: a virtualised list (only visible rows are built).
        let Some(link) = lr.link.as_deref() else {
            f.render_widget(
                Paragraph::new(Span::styled(
                    "no link content (missing, unreadable or a sublayout)",
                    theme.dim,
                ))
                .block(panel(" Artifacts ".into(), theme, false)),
                list_area,
            );
            return;
        };
        let total = 1 + link.materials.len() + link.products.len();
        let art_row = self.art_row.min(total.saturating_sub(1));
        let inner_h = list_area.height.saturating_sub(2) as usize;
        let start = if art_row >= inner_h {
            art_row + 1 - inner_h
        } else {
            0
        };
        let ctx = MatchContext {
            report: r,
            layout,
            step: &step.name,
        };
        let mut rows: Vec<Line> = Vec::with_capacity(inner_h);
        for i in start..(start + inner_h).min(total) {
            let sel = i == art_row;
            rows.push(artifact_row(link, i, sel, &ctx, theme));
        }
        let title = format!(
            " Artifacts {}/{} — Enter: what-if · A: lineage ",
            art_row + 1,
            total
        );
        f.render_widget(
            Paragraph::new(rows).block(panel(title.clone(), theme, false)),
            list_area,
        );
    }

    fn render_lineage(&self, f: &mut Frame, area: Rect, top: &Report, path: &str, theme: &Theme) {
        let r = self.current(top);
        let mut lines: Vec<Line> = vec![
            Line::from(Span::styled(
                format!("Where '{path}' appears, in layout order (hash changes marked ✱):"),
                theme.title,
            )),
            Line::from(""),
        ];
        let mut last: Option<String> = None;
        let mut rows = 0;
        let mut add = |who: &str, kind: &str, link: &Link, lines: &mut Vec<Line>| {
            for (k, arts) in [("material", &link.materials), ("product", &link.products)] {
                if let Some(h) = arts.get(path) {
                    let hs = h.short();
                    let changed = last.as_ref().is_some_and(|l| *l != hs);
                    let mark = if changed { "✱ " } else { "  " };
                    lines.push(Line::from(vec![
                        Span::styled(
                            mark.to_string(),
                            if changed { theme.warning } else { theme.dim },
                        ),
                        Span::styled(format!("{who:<20} "), theme.text),
                        Span::styled(format!("{kind:<10} {k:<8} "), theme.dim),
                        Span::styled(hs.clone(), if changed { theme.warning } else { theme.text }),
                    ]));
                    last = Some(hs);
                    rows += 1;
                }
            }
        };
        for s in &r.steps {
            if let Some(l) = &s.link {
                add(&s.name, "step", l, &mut lines);
            }
        }
        for i in &r.inspections {
            if let Some(l) = &i.link {
                add(&i.name, "inspection", l, &mut lines);
            }
        }
        if rows == 0 {
            lines.push(Line::from(Span::styled(
                "no verified link records it",
                theme.dim,
            )));
        }
        f.render_widget(
            Paragraph::new(lines).block(panel(" Artifact lineage ".into(), theme, true)),
            area,
        );
    }
}

pub fn status_style(s: Status, theme: &Theme) -> Style {
    match s {
        Status::Passed => theme.ok,
        Status::Failed => theme.error,
        Status::Warning => theme.warning,
        Status::NotReached | Status::Skipped => theme.not_reached,
    }
}

/// `text` in lines of at most `width` characters, broken between words.
/// `✓ PASSED` / `✗ FAILED (Class)` / `… INCOMPLETE`. A pass against owner keys the
/// bundle brought itself is no proof of who approved the layout, and says so.
pub fn verdict_line(r: &Report, trust: OwnerTrust, theme: &Theme) -> Line<'static> {
    match (&r.failure, r.complete) {
        (None, true) if trust == OwnerTrust::FromBundle => {
            Line::from(Span::styled("! PASSED, untrusted owner key", theme.warning))
        }
        (None, true) => Line::from(Span::styled("✓ PASSED", theme.ok)),
        (None, false) => Line::from(Span::styled(
            "… INCOMPLETE: inspections not run (R)",
            theme.warning,
        )),
        (Some(f), _) => Line::from(Span::styled(
            format!("✗ FAILED: {}", f.reference_error),
            theme.error,
        )),
    }
}

/// The failure: check, item, rule as written, artifacts, root cause.
pub fn failure_lines(
    d: &mut Vec<Line>,
    top: &Report,
    fl: &crate::verify::report::Failure,
    theme: &Theme,
) {
    let label = |s: &str| Span::styled(format!("{s:<11}"), theme.dim);
    let check = match fl.stage {
        Stage::Expiry => "layout expired".to_string(),
        s => s.title().to_string(),
    };
    d.push(Line::from(vec![
        label("failed"),
        Span::styled(format!("{check} ({})", fl.reference_error), theme.error),
    ]));
    if !fl.sublayout_path.is_empty() {
        d.push(Line::from(vec![
            label("sublayout"),
            Span::styled(fl.sublayout_path.join(" › "), theme.warning),
        ]));
    }
    let item = match (&fl.item, &fl.item_kind) {
        (Some(i), Some(k)) => format!("{i} ({k})"),
        _ => "the layout".to_string(),
    };
    d.push(Line::from(vec![
        label("item"),
        Span::styled(item, theme.text),
    ]));
    match (&fl.rule_set, &fl.rule) {
        (set, Some(rule)) => {
            let idx = fl
                .rule_index
                .map(|i| format!("#{} ", i + 1))
                .unwrap_or_default();
            let mut line = vec![
                label("rule"),
                Span::styled(format!("{idx}{}", rule.join(" ")), theme.error),
            ];
            if let Some(set) = set {
                line.push(Span::styled(format!("  in {}", set.rule_set()), theme.dim));
            }
            d.push(Line::from(line));
        }
        (Some(set), None) => d.push(Line::from(vec![
            label("rule set"),
            Span::styled(set.rule_set(), theme.text),
        ])),
        (None, None) => {}
    }
    if !fl.artifacts.is_empty() {
        let mut a = fl
            .artifacts
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if fl.artifacts.len() > 8 {
            a.push_str(&format!(" … (+{})", fl.artifacts.len() - 8));
        }
        d.push(Line::from(vec![
            label("artifacts"),
            Span::styled(a, theme.error),
        ]));
    }
    if fl.root_causes.is_empty() {
        let first = fl.message.lines().next().unwrap_or("").to_string();
        if !first.is_empty() {
            d.push(Line::from(vec![
                label("why"),
                Span::styled(first, theme.text),
            ]));
        }
    } else {
        d.push(Line::from(label("why")));
        for c in fl.root_causes.iter().take(12) {
            d.push(Line::from(vec![
                Span::styled("  • ", theme.error),
                Span::styled(format!("{}: ", c.artifact), theme.text),
                Span::styled(c.explanation.clone(), theme.text),
            ]));
        }
    }
    // A failed inspection's own words (what it printed).
    if fl.sublayout_path.is_empty()
        && let Some(i) = fl.item.as_deref().and_then(|n| top.inspection(n))
    {
        let streams = [("stderr", &i.stderr), ("stdout", &i.stdout)];
        for (head, line) in crate::verify::render::output_rows(&streams) {
            d.push(Line::from(vec![
                label(head),
                Span::styled(line, theme.text),
            ]));
        }
    }
    if top.layout.expired == Some(true) {
        d.push(Line::from(Span::styled(
            format!(
                "The layout expired on {}.",
                top.layout.expires.clone().unwrap_or_default()
            ),
            theme.error,
        )));
    }
}

/// An item's status, links and rule traces.
pub fn item_lines(d: &mut Vec<Line>, r: &Report, name: &str, theme: &Theme, names: &KeyNames) {
    if let Some(s) = r.step(name) {
        d.push(Line::from(vec![
            Span::styled(
                format!("{} step {} ", s.status.glyph(), s.name),
                status_style(s.status, theme),
            ),
            Span::styled(
                format!("— {} (threshold {})", s.status.word(), s.threshold),
                theme.dim,
            ),
        ]));
        for l in &s.links {
            let (g, st) = link_state_glyph(&l.state, theme);
            let used = if s.used_link.as_deref() == Some(&l.keyid) {
                " [used]"
            } else {
                ""
            };
            let mut line = vec![
                Span::styled(format!("  {g} "), st),
                Span::styled(
                    format!("{} — {}{used}", l.file, link_state_text(&l.state)),
                    theme.text,
                ),
            ];
            if !matches!(l.state, LinkState::Verified) && !l.signed_by.is_empty() {
                line.push(Span::styled(
                    format!(
                        " (signed by {})",
                        l.signed_by
                            .iter()
                            .map(|k| names.show(k, 8))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    theme.text,
                ));
            }
            d.push(Line::from(line));
        }
        for w in &s.command_warnings {
            d.push(Line::from(Span::styled(format!("  ! {w}"), theme.warning)));
        }
        if let Some(sub) = &s.sublayout {
            d.push(Line::from(vec![
                Span::styled("  ▸ sublayout: ", theme.text),
                verdict_line(sub, OwnerTrust::Given, theme)
                    .spans
                    .into_iter()
                    .next()
                    .unwrap_or_default(),
                Span::styled(" (O opens it)", theme.dim),
            ]));
        }
        for set in [&s.materials, &s.products].into_iter().flatten() {
            rule_set_lines(d, set, theme);
        }
    } else if let Some(i) = r.inspection(name) {
        let rv = i
            .return_value
            .map(|v| format!(", exit {v}"))
            .unwrap_or_default();
        d.push(Line::from(vec![
            Span::styled(
                format!("{} inspection {} ", i.status.glyph(), i.name),
                status_style(i.status, theme),
            ),
            Span::styled(format!("— {}{rv}", i.status.word()), theme.dim),
        ]));
        d.push(Line::from(vec![
            Span::styled("  run: ", theme.dim),
            Span::styled(i.run.join(" "), theme.text),
        ]));
        if let Some(e) = &i.error {
            d.push(Line::from(Span::styled(format!("  {e}"), theme.error)));
        }
        let streams = [("stdout", &i.stdout), ("stderr", &i.stderr)];
        for (head, line) in crate::verify::render::output_rows(&streams) {
            d.push(Line::from(vec![
                Span::styled(format!("  {head:<7} "), theme.dim),
                Span::styled(line, theme.text),
            ]));
        }
        for set in [&i.materials, &i.products].into_iter().flatten() {
            rule_set_lines(d, set, theme);
        }
    }
}

const TRACE_LIST: usize = 6;

fn short_list(paths: &[&str]) -> String {
    let mut s = paths
        .iter()
        .take(TRACE_LIST)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > TRACE_LIST {
        s.push_str(&format!(" … (+{})", paths.len() - TRACE_LIST));
    }
    s
}

/// Every rule with what it consumed and the queue after it.
pub fn rule_set_lines(d: &mut Vec<Line>, set: &RuleSetReport, theme: &Theme) {
    d.push(Line::from(""));
    d.push(Line::from(vec![
        Span::styled(
            format!("  {} {}", set.status.glyph(), set.rule_set()),
            status_style(set.status, theme),
        ),
        Span::styled(
            format!("  queue: {} artifact(s)", set.artifacts.len()),
            theme.dim,
        ),
    ]));
    for (i, rule) in set.rules.iter().enumerate() {
        let st = status_style(rule.status, theme);
        d.push(Line::from(vec![
            Span::styled(format!("    {} #{} ", rule.status.glyph(), i + 1), st),
            Span::styled(
                rule.rule.join(" "),
                if rule.status == Status::Failed {
                    theme.error
                } else {
                    theme.text
                },
            ),
        ]));
        if rule.status == Status::NotReached {
            continue;
        }
        let consumed = set.consumed_paths(i);
        if !consumed.is_empty() {
            d.push(Line::from(Span::styled(
                format!(
                    "        consumed {}: {}",
                    consumed.len(),
                    short_list(&consumed)
                ),
                theme.dim,
            )));
        }
        if !rule.matched.is_empty() {
            let m = set.matched_paths(i);
            d.push(Line::from(Span::styled(
                format!("        matched {}: {}", m.len(), short_list(&m)),
                theme.error,
            )));
        }
        if let Some(miss) = &rule.missing {
            d.push(Line::from(Span::styled(
                format!("        not in the queue: {miss}"),
                theme.error,
            )));
        }
        if let Some(n) = &rule.note {
            d.push(Line::from(Span::styled(
                format!("        note: {n}"),
                theme.warning,
            )));
        }
        let q = set.queue_after(i);
        d.push(Line::from(Span::styled(
            format!(
                "        queue after: {}",
                if q.is_empty() {
                    "∅".into()
                } else {
                    format!("{} — {}", q.len(), short_list(&q))
                }
            ),
            theme.dim,
        )));
    }
}

pub fn link_state_glyph(s: &LinkState, theme: &Theme) -> (&'static str, Style) {
    match s {
        LinkState::Verified => ("✓", theme.ok),
        LinkState::Missing => ("∅", theme.not_reached),
        LinkState::NotChecked => ("·", theme.not_reached),
        LinkState::LoadError(_) => ("✗", theme.error),
        LinkState::Unauthorized(_) | LinkState::BadSignature(_) => ("✗", theme.error),
    }
}

pub fn link_state_text(s: &LinkState) -> String {
    match s {
        LinkState::Verified => "signature verified".into(),
        LinkState::Missing => "missing".into(),
        LinkState::NotChecked => "not checked".into(),
        LinkState::LoadError(e) => format!("unreadable: {e}"),
        LinkState::Unauthorized(e) => format!("skipped: {e}"),
        LinkState::BadSignature(e) => format!("skipped (bad signature): {e}"),
    }
}

pub(super) fn first_failing_artifact(r: &Report) -> Option<String> {
    r.failure
        .as_ref()
        .and_then(|f| f.artifacts.first().cloned())
}

/// The artifact at a row of the link browser (row 0 is the header).
fn artifact_at(link: Option<&Link>, row: usize) -> Option<(ArtifactKind, String)> {
    let link = link?;
    if row == 0 {
        return None;
    }
    let i = row - 1;
    if i < link.materials.len() {
        Some((ArtifactKind::Materials, link.materials.path(i).to_string()))
    } else {
        let j = i - link.materials.len();
        (j < link.products.len())
            .then(|| (ArtifactKind::Products, link.products.path(j).to_string()))
    }
}

struct MatchContext<'a> {
    report: &'a Report,
    layout: Option<&'a crate::model::layout::Layout>,
    step: &'a str,
}

/// How this artifact fares against each MATCH rule of the step that selects it.
fn match_notes(
    link: &Link,
    kind: ArtifactKind,
    path: &str,
    ctx: &MatchContext,
) -> Vec<(bool, String)> {
    let Some(step) = ctx.layout.and_then(|l| l.step(ctx.step)) else {
        return Vec::new();
    };
    let source: &Artifacts = link.artifacts(kind);
    let mut out = Vec::new();
    for rule in step.rules(kind) {
        let Ok(RuleKind::Match {
            pattern,
            source_prefix,
            dest_type,
            dest_prefix,
            dest_name,
        }) = rule.kind()
        else {
            continue;
        };
        // The link the rules used; before the rules ran, a verified link of that step.
        let step = ctx.report.step(dest_name);
        let dest_link = step
            .and_then(|s| {
                s.link.clone().or_else(|| {
                    s.links
                        .iter()
                        .find(|l| l.state == LinkState::Verified)
                        .and_then(|l| l.link.clone())
                })
            })
            .or_else(|| {
                ctx.report
                    .inspection(dest_name)
                    .and_then(|i| i.link.clone())
            });
        let dest = dest_link.as_deref().map(|l| l.artifacts(*dest_type));
        match match_one(
            path,
            &Pattern::new(pattern),
            source_prefix,
            dest_prefix,
            dest,
            source,
        ) {
            MatchOutcome::NotSelected => {}
            MatchOutcome::Consumed { .. } => out.push((true, format!("= {dest_name}"))),
            MatchOutcome::HashDiffers { .. } => {
                out.push((false, format!("≠ {dest_name} (hash differs)")))
            }
            MatchOutcome::DestAbsent { .. } => out.push((false, format!("∉ {dest_name}"))),
            MatchOutcome::NoLink => out.push((
                false,
                match step {
                    Some(_) => format!("no verified link for {dest_name}"),
                    None if ctx.report.inspection(dest_name).is_some() => {
                        format!("inspection {dest_name} has not run")
                    }
                    None => format!("no item {dest_name} in the layout"),
                },
            )),
            MatchOutcome::SourceMissing { .. } => out.push((false, "prefix join".into())),
        }
    }
    out
}

fn artifact_row(
    link: &Link,
    row: usize,
    selected: bool,
    ctx: &MatchContext,
    theme: &Theme,
) -> Line<'static> {
    if row == 0 {
        let st = if selected {
            theme.selection
        } else {
            theme.title
        };
        return Line::from(Span::styled(
            format!(
                "{} material(s), {} product(s) — Enter here: drop the link / strip its signature",
                link.materials.len(),
                link.products.len()
            ),
            st,
        ));
    }
    let Some((kind, path)) = artifact_at(Some(link), row) else {
        return Line::from("");
    };
    let hashes = link
        .artifacts(kind)
        .get(&path)
        .map(|h| h.short())
        .unwrap_or_default();
    let tag = if kind == ArtifactKind::Materials {
        "M"
    } else {
        "P"
    };
    let notes = match_notes(link, kind, &path, ctx);
    let mut spans = vec![
        Span::styled(format!("{tag} "), theme.dim),
        Span::styled(
            format!("{path:<40} "),
            if selected {
                theme.selection
            } else {
                theme.text
            },
        ),
        Span::styled(format!("{hashes} "), theme.dim),
    ];
    for (ok, n) in notes {
        spans.push(Span::styled(
            format!("{n} "),
            if ok { theme.ok } else { theme.error },
        ));
    }
    Line::from(spans)
}
