//! Drawing the app state (one frame). Reads the state; the only thing it writes back is
//! what the mouse needs (where things were drawn).

use super::app::{App, Focus, GraphMode, HitMap, Row, Selection, Tab};
use super::doc::SignState;
use super::graph_view::{GraphView, NodeInfo};
use super::report_view::{failure_lines, status_style, verdict_line};
use crate::lint::Severity;
use crate::model::edit::ItemKind;
use crate::model::rule::ArtifactKind;
use crate::verify::report::Stage;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout as Split, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use std::collections::HashMap;

/// Draw the whole screen from the state; returns what went where (for the reducer, as
/// [`crate::tui::action::Action::Drawn`]).
pub fn draw(f: &mut Frame, app: &App) -> HitMap {
    let mut hits = HitMap::default();
    let area = f.area();
    let banner = app.what_if_banner();
    let [header, tabs, banner_area, body, status, hints] = Split::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(if banner.is_some() { 1 } else { 0 }),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(f, app, header);
    draw_tabs(f, app, tabs, &mut hits);
    if let Some(b) = banner {
        f.render_widget(
            Paragraph::new(Span::styled(format!(" {b} "), app.theme.banner))
                .style(app.theme.banner),
            banner_area,
        );
    }
    match app.tab {
        Tab::Chain => draw_chain(f, app, body, &mut hits),
        Tab::Keys => draw_keys(f, app, body),
        Tab::Layout => draw_layout(f, app, body),
        Tab::Lint => draw_lint(f, app, body),
        Tab::Report => {
            let progress = if app.verify.running {
                app.verify.progress.as_str()
            } else {
                ""
            };
            app.report_view.render(
                f,
                body,
                app.verify.report.as_deref(),
                app.chain.owner_trust,
                &app.theme,
                progress,
            );
        }
    }
    draw_status(f, app, status);
    draw_hints(f, app, hints);
    if let Some(o) = app.overlays.last() {
        o.render(f, body, &app.theme, &app.keymap, &mut hits);
    }
    hits
}

fn draw_header(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let mut spans = vec![
        Span::styled(" intoto-studio ", t.title),
        Span::styled(app.doc.title(), t.text),
    ];
    if app.doc.is_dirty() {
        spans.push(Span::styled(" [modified]", t.warning));
    }
    spans.push(Span::styled(
        format!("  {} · ", app.doc.format.as_str()),
        t.dim,
    ));
    match app.doc.sign_state() {
        SignState::Signed(ids) => spans.push(Span::styled(
            format!(
                "signed by {}",
                ids.iter()
                    .map(|i| crate::py::prefix(i, 8))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            t.ok,
        )),
        SignState::Stale(_) => spans.push(Span::styled("signature outdated (edited)", t.warning)),
        SignState::Unsigned => spans.push(Span::styled("unsigned", t.dim)),
    }
    if app.chain.owner_trust.notice().is_some() {
        spans.push(Span::styled(
            "  ⚠ owner key taken from the bundle itself",
            t.warning,
        ));
    }
    if let Some(r) = &app.verify.report {
        spans.push(Span::styled("  ", t.dim));
        if app.verify.stale {
            spans.push(Span::styled(
                "(stale: edited since; re-verifying) ",
                t.warning,
            ));
        }
        spans.extend(verdict_line(r, app.chain.owner_trust, t).spans);
    } else if app.verify.running {
        spans.push(Span::styled(format!("  {}", app.verify.progress), t.info));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_tabs(f: &mut Frame, app: &App, area: Rect, hits: &mut HitMap) {
    let t = &app.theme;
    let mut x = area.x;
    let errors = app
        .lint
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = app
        .lint
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    for tab in Tab::ALL {
        let mut label = format!(" {} ", tab.title());
        if tab == Tab::Lint && errors + warnings > 0 {
            label = format!(" {} ✗{errors} !{warnings} ", tab.title());
        }
        if tab == Tab::Report
            && let Some(r) = &app.verify.report
        {
            label = format!(
                " {} {} ",
                tab.title(),
                if r.failure.is_some() {
                    "✗"
                } else if r.complete && app.chain.owner_trust.notice().is_some() {
                    "!"
                } else if r.complete {
                    "✓"
                } else {
                    "…"
                }
            );
        }
        let w = label.chars().count() as u16;
        if x + w > area.x + area.width {
            break;
        }
        let st = if tab == app.tab { t.tab_active } else { t.tab };
        f.render_widget(
            Paragraph::new(Span::styled(label, st)),
            Rect::new(x, area.y, w, 1),
        );
        hits.tabs.push((Rect::new(x, area.y, w, 1), tab));
        x += w + 1;
    }
}

fn draw_status(f: &mut Frame, app: &App, area: Rect) {
    if let Some(s) = &app.status {
        let st = if s.error {
            app.theme.error
        } else {
            app.theme.info
        };
        f.render_widget(
            Paragraph::new(Span::styled(format!(" {}", s.text), st)),
            area,
        );
    }
}

fn draw_hints(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let mut spans = Vec::new();
    if let Some(o) = app.overlays.last() {
        spans.push(Span::styled(format!(" {}", o.hint()), t.hint));
    } else {
        for (k, d) in app.keymap.hints(&app.contexts()) {
            spans.push(Span::styled(format!(" {k}"), t.key));
            spans.push(Span::styled(format!(" {d} "), t.hint));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn panel<'a>(title: String, app: &App, focus: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focus {
            app.theme.border_focus
        } else {
            app.theme.border
        })
        .title(Span::styled(title, app.theme.title))
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

fn draw_chain(f: &mut Frame, app: &App, area: Rect, hits: &mut HitMap) {
    let narrow = area.width < 100;
    let [graph_area, detail_area] = if narrow {
        Split::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area)
    } else {
        Split::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(area)
    };
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
    let mut block = panel(title, app, app.focus == Focus::Graph);
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
            .block(panel(" Details ".into(), app, focus)),
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
                    .block(panel(format!(" ?{name} "), app, focus)),
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
                top.push(Line::from(Span::styled(
                    format!("{} verification: {}", st.glyph(), st.word()),
                    status_style(st, &t),
                )));
            }
        }
    }
    let rows = app.detail_rows();
    // Height of the wrapped verification text (approximate: by characters).
    let width = area.width.saturating_sub(2).max(1) as usize;
    let wrapped: usize = top.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    let top_h = if top.is_empty() {
        0
    } else {
        (wrapped as u16 + 2).min(area.height * 3 / 5)
    };
    let [top_area, rows_area] =
        Split::vertical([Constraint::Length(top_h), Constraint::Min(3)]).areas(area);
    if !top.is_empty() {
        f.render_widget(
            Paragraph::new(top).wrap(Wrap { trim: false }).block(panel(
                " Verification ".into(),
                app,
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
    let block = panel(format!(" {kind} {name} "), app, focus);
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
                            format!("{} {kind}", crate::py::prefix(k, 8))
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

fn c_is_empty(layout: &crate::model::layout::Layout, item: crate::model::edit::ItemRef) -> bool {
    layout
        .inspect
        .get(item.index)
        .is_some_and(|i| i.run.is_empty())
}

fn draw_keys(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme.clone();
    let l = &app.doc.layout;
    let mut lines: Vec<Line> = vec![Line::from(vec![Span::styled(
        format!("{:<18}{:<16}{}", "keyid", "type", "authorized for"),
        t.dim,
    )])];
    for (i, (id, k)) in l.keys.iter().enumerate() {
        let users = crate::model::edit::steps_using_key(l, id);
        let st = if i == app.keys_row {
            t.selection
        } else {
            t.text
        };
        let used = if users.is_empty() {
            "(unused)".to_string()
        } else {
            users.join(", ")
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<18}", crate::py::prefix(id, 16)), st),
            Span::styled(format!("{:<16}", k.key.kind_label()), t.text),
            Span::styled(used, if users.is_empty() { t.warning } else { t.text }),
        ]));
    }
    if l.keys.is_empty() {
        lines.push(Line::from(Span::styled(
            "No keys yet. I: import a PEM public key · g: generate an ed25519 key pair",
            t.dim,
        )));
    }
    if let Some((id, k)) = l.keys.iter().nth(app.keys_row) {
        lines.push(Line::from(""));
        lines.push(Line::from(vec![
            Span::styled("keyid   ", t.dim),
            Span::styled(id.clone(), t.text),
        ]));
        lines.push(Line::from(vec![
            Span::styled("scheme  ", t.dim),
            Span::styled(k.key.scheme.clone(), t.text),
        ]));
        if let Some(why) = k.key.unusable_reason() {
            lines.push(Line::from(Span::styled(
                format!("cannot verify: {why}"),
                t.error,
            )));
        }
    }
    f.render_widget(
        Paragraph::new(lines).block(panel(
            format!(" Functionary keys ({}) ", l.keys.len()),
            app,
            true,
        )),
        area,
    );
}

fn draw_layout(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme.clone();
    let l = &app.doc.layout;
    let mut lines: Vec<Line> = Vec::new();
    let now = crate::model::layout::utc_civil(app.clock.now());
    let exp = crate::model::layout::parse_expires(&l.expires);
    let (state, st) = match &exp {
        Ok(e) if *e <= now => ("expired".to_string(), t.error),
        Ok(e) => {
            // Whole days of 24 hours, as lint counts them (a civil span has no days total).
            let days = e.duration_since(now).as_secs() / 86_400;
            (
                format!("valid, {days} day(s) left"),
                if days < crate::lint::EXPIRY_WARNING_DAYS {
                    t.warning
                } else {
                    t.ok
                },
            )
        }
        Err(_) => ("malformed".into(), t.error),
    };
    lines.push(Line::from(vec![
        Span::styled("expires    ", t.dim),
        Span::styled(l.expires.clone(), t.text),
        Span::styled(format!("  ({state})"), st),
    ]));
    lines.push(Line::from(vec![
        Span::styled("format     ", t.dim),
        Span::styled(app.doc.format.as_str().to_string(), t.text),
    ]));
    let sig = match app.doc.sign_state() {
        SignState::Signed(ids) => (format!("signed by {}", ids.join(", ")), t.ok),
        SignState::Stale(ids) => (
            format!(
                "was signed by {} — edited since, sign again (S)",
                ids.join(", ")
            ),
            t.warning,
        ),
        SignState::Unsigned => ("unsigned — S signs it with the owner's key".into(), t.dim),
    };
    lines.push(Line::from(vec![
        Span::styled("signatures ", t.dim),
        Span::styled(sig.0, sig.1),
    ]));
    if let Some(r) = &app.verify.report {
        for kc in &r.layout.key_checks {
            lines.push(Line::from(vec![
                Span::styled("  owner key ", t.dim),
                Span::styled(
                    format!(
                        "{} {}",
                        if kc.ok { "✓" } else { "✗" },
                        crate::py::prefix(&kc.keyid, 16)
                    ),
                    if kc.ok { t.ok } else { t.error },
                ),
                Span::styled(format!("  {}", kc.message), t.text),
            ]));
        }
        if r.layout.expired == Some(true) {
            lines.push(Line::from(Span::styled(
                "✗ verification: the layout expired",
                t.error,
            )));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("readme", t.title)));
    if l.readme.is_empty() {
        lines.push(Line::from(Span::styled("(empty — e to edit)", t.dim)));
    }
    for line in l.readme.lines() {
        lines.push(Line::from(Span::styled(line.to_string(), t.text)));
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(panel(" Layout ".into(), app, true)),
        area,
    );
}

fn draw_lint(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme.clone();
    let [list, detail] = Split::vertical([Constraint::Min(3), Constraint::Length(6)]).areas(area);
    let mut lines: Vec<Line> = Vec::new();
    if app.lint.is_empty() {
        lines.push(Line::from(Span::styled("✓ no findings", t.ok)));
    }
    let h = list.height.saturating_sub(2) as usize;
    let first = if app.lint_row >= h {
        app.lint_row + 1 - h
    } else {
        0
    };
    for (i, fd) in app.lint.iter().enumerate().skip(first).take(h) {
        let (g, st) = match fd.severity {
            Severity::Error => ("✗", t.error),
            Severity::Warning => ("!", t.warning),
            Severity::Info => ("i", t.info),
        };
        let loc = match (&fd.item, &fd.rule_set, fd.rule_index) {
            (Some(it), Some(set), Some(ix)) => format!("{it} · {} #{}", set.rule_set(), ix + 1),
            (Some(it), Some(set), None) => format!("{it} · {}", set.rule_set()),
            (Some(it), _, _) => it.clone(),
            _ => "layout".into(),
        };
        let sel = if i == app.lint_row {
            t.selection
        } else {
            t.text
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{g} "), st),
            Span::styled(format!("{loc:<36} "), t.dim),
            Span::styled(fd.message.clone(), sel),
        ]));
    }
    f.render_widget(
        Paragraph::new(lines).block(panel(
            format!(" Lint ({}) — Enter jumps to it ", app.lint.len()),
            app,
            true,
        )),
        list,
    );
    if let Some(fd) = app.lint.get(app.lint_row) {
        let d = vec![
            Line::from(vec![
                Span::styled(format!("[{}] ", fd.code), t.dim),
                Span::styled(fd.message.clone(), t.text),
            ]),
            Line::from(vec![
                Span::styled("→ ", t.ok),
                Span::styled(fd.suggestion.clone(), t.text),
            ]),
        ];
        f.render_widget(
            Paragraph::new(d).wrap(Wrap { trim: true }).block(panel(
                " Finding ".into(),
                app,
                false,
            )),
            detail,
        );
    }
}
