//! The Lint tab: the layout's lint findings, each jumping to what it is about.

use super::super::app::*;
use super::super::keys::Cmd;
use crate::lint::Severity;
use crate::tui::view::panel;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout as Split, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

impl App {
    pub(in crate::tui) fn lint_command(&mut self, cmd: Cmd) {
        let n = self.lint.len();
        match cmd {
            Cmd::Up => self.lint_tab.row = self.lint_tab.row.saturating_sub(1),
            Cmd::Down => self.lint_tab.row = (self.lint_tab.row + 1).min(n.saturating_sub(1)),
            Cmd::Activate => {
                let Some(f) = self.lint.get(self.lint_tab.row).cloned() else {
                    return;
                };
                self.jump_to(f.item.as_deref(), f.rule_set, f.rule_index);
            }
            Cmd::Fix => {
                let Some(f) = self.lint.get(self.lint_tab.row).cloned() else {
                    return;
                };
                match &f.fix {
                    None => self.info(format!("no automatic fix for this one: {}", f.suggestion)),
                    Some(fix) => {
                        if self.edit("lint fix", |l| f.apply_fix(l)).is_some() {
                            self.info(format!("fixed: {} (u undoes it)", fix.label()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme.clone();
    let [list, detail] = Split::vertical([Constraint::Min(3), Constraint::Length(6)]).areas(area);
    let mut lines: Vec<Line> = Vec::new();
    if app.lint.is_empty() {
        lines.push(Line::from(Span::styled("✓ no findings", t.ok)));
    }
    let h = list.height.saturating_sub(2) as usize;
    let first = if app.lint_tab.row >= h {
        app.lint_tab.row + 1 - h
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
        let sel = if i == app.lint_tab.row {
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
            &app.theme,
            true,
        )),
        list,
    );
    if let Some(fd) = app.lint.get(app.lint_tab.row) {
        let mut d = vec![
            Line::from(vec![
                Span::styled(format!("[{}] ", fd.code), t.dim),
                Span::styled(fd.message.clone(), t.text),
            ]),
            Line::from(vec![
                Span::styled("→ ", t.ok),
                Span::styled(fd.suggestion.clone(), t.text),
            ]),
        ];
        if let Some(fix) = &fd.fix {
            d.push(Line::from(vec![
                Span::styled("f ", t.key),
                Span::styled(fix.label(), t.text),
            ]));
        }
        f.render_widget(
            Paragraph::new(d).wrap(Wrap { trim: true }).block(panel(
                " Finding ".into(),
                &app.theme,
                false,
            )),
            detail,
        );
    }
}
