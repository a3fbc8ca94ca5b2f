//! The Keys tab: the layout's public keys, which steps trust each, and adding (import,
//! generate) and removing keys.

use super::super::action::*;
use super::super::app::*;
use super::super::dialogs::*;
use super::super::keys::Cmd;
use crate::model::edit;
use crate::tui::view::panel;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

impl App {
    pub(in crate::tui) fn keys_command(&mut self, cmd: Cmd) {
        let n = self.doc.layout.keys.len();
        match cmd {
            Cmd::Up => self.keys_tab.row = self.keys_tab.row.saturating_sub(1),
            Cmd::Down => self.keys_tab.row = (self.keys_tab.row + 1).min(n.saturating_sub(1)),
            Cmd::ImportKey => self.push(Overlay::Input(Input::new(
                "Import a functionary's public key",
                "path of a PEM public key (SubjectPublicKeyInfo)",
                InputPurpose::ImportKey,
                InputKind::Path,
                "",
            ))),
            Cmd::GenerateKey => self.push(Overlay::Input(Input::new(
                "Generate an ed25519 key pair",
                "path of the new private key (mode 0600); the public key goes to <path>.pub",
                InputPurpose::GenerateKey,
                InputKind::Path,
                "",
            ))),
            Cmd::Delete => {
                let Some(id) = self.doc.layout.keys.keys().nth(self.keys_tab.row).cloned() else {
                    return;
                };
                let users = edit::steps_using_key(&self.doc.layout, &id);
                let mut body = vec![format!("Remove key {}?", crate::py::prefix(&id, 16))];
                if !users.is_empty() {
                    body.push(format!("It is still authorized for: {}.", users.join(", ")));
                    body.push("It will be removed from those steps too.".into());
                }
                self.push(Overlay::Confirm(Confirm {
                    title: "Remove key".into(),
                    body,
                    purpose: ConfirmPurpose::RemoveKey(id),
                    choices: vec![('y', "remove (undo with u)".into())],
                }));
            }
            _ => {}
        }
    }
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme.clone();
    let l = &app.doc.layout;
    let mut lines: Vec<Line> = vec![Line::from(vec![Span::styled(
        format!(
            "{:<18}{:<14}{:<16}{}",
            "keyid", "name", "type", "authorized for"
        ),
        t.dim,
    )])];
    for (i, (id, k)) in l.keys.iter().enumerate() {
        let users = crate::model::edit::steps_using_key(l, id);
        let st = if i == app.keys_tab.row {
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
            Span::styled(
                format!("{:<14}", app.key_names.name(id).unwrap_or("")),
                t.text,
            ),
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
    if let Some((id, k)) = l.keys.iter().nth(app.keys_tab.row) {
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
            &app.theme,
            true,
        )),
        area,
    );
}
