//! The Layout tab: the layout's own fields (expiry, readme, signatures, format).

use super::super::action::*;
use super::super::app::*;
use super::super::dialogs::*;
use super::super::doc::SignState;
use super::super::keys::Cmd;
use crate::tui::view::panel;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

impl App {
    pub(in crate::tui) fn layout_command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::EditExpiry => {
                let cur = self.doc.layout.expires.clone();
                self.push(Overlay::Input(Input::new(
                    "Expiry",
                    "YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ, or relative: +6m, +1y, +30d",
                    InputPurpose::Expiry,
                    InputKind::Expiry {
                        at: self.clock.now(),
                    },
                    &cur,
                )));
            }
            Cmd::EditReadme => {
                let lines = self.doc.layout.readme.lines().map(str::to_string).collect();
                self.push(Overlay::Editor(Editor::new(
                    "Readme",
                    EditorPurpose::Readme,
                    lines,
                    false,
                )));
            }
            _ => {}
        }
    }
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
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
            .block(panel(" Layout ".into(), &app.theme, true)),
        area,
    );
}
