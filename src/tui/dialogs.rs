//! Overlays: help, inputs with live validation and completion, multi-line editors,
//! confirmations, pickers and messages. An overlay consumes keys and answers with actions;
//! it never touches the app's state itself.

use super::action::{Action, ConfirmPurpose, EditorPurpose, InputPurpose, PickerPurpose};
use super::keys::{Cmd, Ctx, KeyMap};
use super::theme::Theme;
use crate::model::rule::Rule;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout as Split, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{
    Block, BorderType, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap,
};
use ratatui_textarea::TextArea;

/// How an input's text is checked while typing.
#[derive(Debug, Clone)]
pub enum InputKind {
    Plain,
    /// A non-empty name, checked against `taken`.
    Name {
        taken: Vec<String>,
    },
    /// An integer.
    Number,
    /// Shell words (`shlex`).
    Words,
    /// An artifact rule; step/inspection names complete after FROM.
    Rule {
        names: Vec<String>,
    },
    /// A file path (Tab completes).
    Path,
    /// An expiry: `YYYY-MM-DD[THH:MM:SSZ]` or `+6m`, `+1y`, `+30d`, `+12h`. Relative input
    /// counts from `at`, the moment the input opened: the preview is what is stored.
    Expiry {
        at: jiff::Timestamp,
    },
    /// Hidden text (passwords).
    Secret,
    /// Hex digest.
    Hex,
}

/// A single-line input.
pub struct Input {
    pub title: String,
    pub help: String,
    pub purpose: InputPurpose,
    pub kind: InputKind,
    pub area: TextArea<'static>,
    /// The prefilled text is untouched: the first character typed replaces it (as a
    /// selected field does), Backspace clears it, a cursor key starts editing it.
    pub pristine: bool,
}

impl Input {
    pub fn new(
        title: impl Into<String>,
        help: impl Into<String>,
        purpose: InputPurpose,
        kind: InputKind,
        initial: &str,
    ) -> Input {
        let mut area = TextArea::new(vec![initial.to_string()]);
        area.move_cursor(ratatui_textarea::CursorMove::End);
        let pristine = !initial.is_empty();
        if pristine {
            area.select_all();
        }
        if matches!(kind, InputKind::Secret) {
            area.set_mask_char('•');
        }
        Input {
            title: title.into(),
            help: help.into(),
            purpose,
            kind,
            area,
            pristine,
        }
    }

    /// A key for the text field (not Enter, Esc or Tab): readline's Ctrl-U and Ctrl-K,
    /// and the prefilled text replaced by the first character typed.
    pub fn edit_key(&mut self, key: KeyEvent) {
        use ratatui_textarea::CursorMove;
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let pristine = std::mem::take(&mut self.pristine);
        self.area.cancel_selection();
        match key.code {
            KeyCode::Char('u') if ctrl => {
                self.area.delete_line_by_head();
            }
            KeyCode::Char('k') if ctrl => {
                self.area.delete_line_by_end();
            }
            KeyCode::Char(_) if pristine && !ctrl && !alt => {
                self.clear();
                self.area.input(key);
            }
            KeyCode::Backspace | KeyCode::Delete if pristine => self.clear(),
            _ => {
                if pristine {
                    self.area.move_cursor(CursorMove::End);
                }
                self.area.input(key);
            }
        }
    }

    fn clear(&mut self) {
        self.area.move_cursor(ratatui_textarea::CursorMove::End);
        self.area.delete_line_by_head();
    }

    pub fn text(&self) -> String {
        self.area.lines().first().cloned().unwrap_or_default()
    }

    /// What Enter submits: the text, or for an expiry the timestamp its preview shows.
    pub fn submitted(&self) -> String {
        match &self.kind {
            InputKind::Expiry { at } => {
                parse_expiry_input(&self.text(), *at).unwrap_or_else(|_| self.text())
            }
            _ => self.text(),
        }
    }

    /// The live check: `Err(message)` disables Enter.
    pub fn check(&self) -> Result<String, String> {
        let t = self.text();
        match &self.kind {
            InputKind::Plain | InputKind::Secret => Ok(String::new()),
            InputKind::Name { taken } => {
                if t.trim().is_empty() {
                    Err("a name is required".into())
                } else if t.contains('/') || t.contains('\\') || t == "." || t == ".." {
                    Err(
                        "no '/', '\\', '.' or '..': link files are named <step>.<keyid>.link"
                            .into(),
                    )
                } else if taken.contains(&t) {
                    Err(format!("'{t}' is already taken"))
                } else {
                    Ok(String::new())
                }
            }
            InputKind::Number => t
                .trim()
                .parse::<i64>()
                .map(|n| format!("= {n}"))
                .map_err(|_| "a whole number".into()),
            InputKind::Words => crate::model::rule::split_line(&t)
                .map(|w| format!("{} argument(s)", w.len()))
                .map_err(|e| e.message),
            InputKind::Rule { names } => match Rule::parse_line(&t) {
                Ok(r) => match r.kind() {
                    Ok(crate::model::rule::RuleKind::Match { dest_name, .. })
                        if !names.contains(dest_name) =>
                    {
                        Ok(format!(
                            "ok — note: no step or inspection is named '{dest_name}'"
                        ))
                    }
                    _ => Ok("ok".into()),
                },
                Err(e) => Err(e.message.lines().next().unwrap_or("").to_string()),
            },
            InputKind::Path => {
                if t.trim().is_empty() {
                    Err("a path is required".into())
                } else {
                    Ok(String::new())
                }
            }
            InputKind::Expiry { at } => parse_expiry_input(&t, *at).map(|s| format!("→ {s}")),
            InputKind::Hex => {
                if crate::model::link::is_hex(t.trim()) {
                    Ok(String::new())
                } else {
                    Err("hex digits".into())
                }
            }
        }
    }

    /// Tab completion of step names after FROM (a path is completed by an effect, which
    /// reads the folder, then [`Input::set_completion`]).
    pub fn complete(&mut self) {
        let t = self.text();
        let new = match &self.kind {
            InputKind::Rule { names } => complete_rule(&t, names),
            _ => None,
        };
        self.set_completion(new);
    }

    /// Replace the text with a completion of it.
    pub fn set_completion(&mut self, new: Option<String>) {
        self.pristine = false;
        self.area.cancel_selection();
        if let Some(n) = new {
            self.area = TextArea::new(vec![n]);
            self.area.move_cursor(ratatui_textarea::CursorMove::End);
        }
    }
}

/// Complete the word after a trailing `FROM` in a rule line.
pub fn complete_rule(text: &str, names: &[String]) -> Option<String> {
    let words: Vec<&str> = text.split(' ').collect();
    let n = words.len();
    if n >= 2 && words[n - 2].eq_ignore_ascii_case("from") {
        let prefix = words[n - 1];
        let hits: Vec<&String> = names.iter().filter(|s| s.starts_with(prefix)).collect();
        let common = common_prefix(&hits)?;
        if common.len() > prefix.len() || hits.len() == 1 {
            let quoted = if hits.len() == 1 {
                crate::model::rule::join_line(std::slice::from_ref(hits[0]))
            } else {
                common
            };
            let head = text.strip_suffix(prefix).unwrap_or(text);
            return Some(format!("{head}{quoted}"));
        }
        None
    } else if text.ends_with(' ') && n >= 2 && words[n - 2].eq_ignore_ascii_case("from") {
        None
    } else {
        // Keyword completion at the start.
        let kws = [
            "MATCH", "CREATE", "DELETE", "MODIFY", "ALLOW", "DISALLOW", "REQUIRE",
        ];
        if n == 1 && !text.is_empty() {
            let up = text.to_ascii_uppercase();
            let hits: Vec<&&str> = kws.iter().filter(|k| k.starts_with(&up)).collect();
            if hits.len() == 1 {
                return Some(format!("{} ", hits[0]));
            }
        }
        None
    }
}

fn common_prefix(items: &[&String]) -> Option<String> {
    let first = items.first()?;
    let mut end = first.len();
    for s in &items[1..] {
        end = end.min(
            first
                .chars()
                .zip(s.chars())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a.len_utf8())
                .sum(),
        );
    }
    first.get(..end).map(str::to_string)
}

/// The completion of a typed path from the entries of its folder (reads the folder: run
/// as an effect).
pub fn complete_path(text: &str) -> Option<String> {
    let (dir, prefix) = match text.rfind('/') {
        Some(i) => text.split_at(i + 1),
        None => ("", text),
    };
    let read = std::fs::read_dir(if dir.is_empty() { "." } else { dir }).ok()?;
    let mut hits: Vec<String> = read
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
            Some(if is_dir { format!("{name}/") } else { name })
        })
        .collect();
    hits.sort();
    let refs: Vec<&String> = hits.iter().collect();
    let common = common_prefix(&refs)?;
    Some(format!("{dir}{common}"))
}

/// Parse an expiry as typed in the editor: a date (`2027-06-30`), a full timestamp, or a
/// relative time from `now` (`+6m`, `+1y`, `+30d`, `+12h`).
pub fn parse_expiry_input(text: &str, now: jiff::Timestamp) -> Result<String, String> {
    let t = text.trim();
    if let Some(rel) = t.strip_prefix('+') {
        let (num, unit) =
            rel.split_at(rel.find(|c: char| !c.is_ascii_digit()).unwrap_or(rel.len()));
        let n: i64 = num
            .parse()
            .map_err(|_| "expected +<number><unit>, e.g. +6m".to_string())?;
        let span = match unit {
            "y" => jiff::Span::new().try_years(n),
            "m" => jiff::Span::new().try_months(n),
            "w" => jiff::Span::new().try_weeks(n),
            "d" => jiff::Span::new().try_days(n),
            "h" => jiff::Span::new().try_hours(n),
            _ => return Err("units: y (years), m (months), w, d, h".into()),
        }
        .map_err(|e| e.to_string())?;
        let z = now.to_zoned_datetime(jiff::tz::TimeZone::UTC);
        let later = z.checked_add(span).map_err(|e| e.to_string())?;
        return Ok(crate::model::layout::format_expires(later.datetime()));
    }
    let full = if t.len() == 10 {
        format!("{t}T00:00:00Z")
    } else {
        t.to_string()
    };
    crate::model::layout::parse_expires(&full)
        .map(|_| full)
        .map_err(|_| "expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or +6m".into())
}

/// A multi-line editor.
pub struct Editor {
    pub title: String,
    pub purpose: EditorPurpose,
    pub area: TextArea<'static>,
    /// Shell words: check that the text splits.
    pub words: bool,
}

impl Editor {
    pub fn new(
        title: impl Into<String>,
        purpose: EditorPurpose,
        lines: Vec<String>,
        words: bool,
    ) -> Editor {
        let mut area = TextArea::new(if lines.is_empty() {
            vec![String::new()]
        } else {
            lines
        });
        area.move_cursor(ratatui_textarea::CursorMove::Bottom);
        area.move_cursor(ratatui_textarea::CursorMove::End);
        Editor {
            title: title.into(),
            purpose,
            area,
            words,
        }
    }

    pub fn check(&self) -> Result<String, String> {
        if self.words {
            crate::model::rule::split_line(&self.area.lines().join("\n"))
                .map(|w| format!("{} argument(s)", w.len()))
                .map_err(|e| e.message)
        } else {
            Ok(String::new())
        }
    }
}

/// A question with a few answers, each chosen by a key.
pub struct Confirm {
    pub title: String,
    pub body: Vec<String>,
    pub purpose: ConfirmPurpose,
    /// (key, label); Esc always cancels.
    pub choices: Vec<(char, String)>,
}

/// A list to pick one row from, or to check several rows of.
pub struct Picker {
    pub title: String,
    pub purpose: PickerPurpose,
    pub rows: Vec<String>,
    pub checked: Option<Vec<bool>>,
    pub state: ListState,
}

impl Picker {
    pub fn new(
        title: impl Into<String>,
        purpose: PickerPurpose,
        rows: Vec<String>,
        checked: Option<Vec<bool>>,
    ) -> Picker {
        let mut state = ListState::default();
        if !rows.is_empty() {
            state.select(Some(0));
        }
        Picker {
            title: title.into(),
            purpose,
            rows,
            checked,
            state,
        }
    }
}

/// An overlay.
pub enum Overlay {
    Help {
        scroll: u16,
        contexts: Vec<Ctx>,
    },
    Input(Input),
    Editor(Editor),
    Confirm(Confirm),
    Picker(Picker),
    Message {
        title: String,
        text: String,
        error: bool,
    },
}

/// What an overlay did with a key.
pub enum Handled {
    /// Consumed; maybe with an action for the app.
    Consumed(Option<Action>),
}

/// A line of the help overlay.
pub enum HelpRow {
    Title(&'static str),
    Binding(String, &'static str),
    Blank,
}

impl HelpRow {
    /// The row as plain text (for search).
    pub fn text(&self) -> String {
        match self {
            HelpRow::Title(t) => t.to_string(),
            HelpRow::Binding(keys, desc) => format!("{keys} {desc}"),
            HelpRow::Blank => String::new(),
        }
    }
}

/// The help overlay's lines: each context's title, then its bindings (keys, description).
pub fn help_rows(keymap: &KeyMap, contexts: &[Ctx]) -> Vec<HelpRow> {
    let mut rows = Vec::new();
    for (ctx, bindings) in keymap.help(contexts) {
        rows.push(HelpRow::Title(ctx.title()));
        for b in bindings {
            let keys: Vec<String> = b.keys.iter().map(|k| k.to_string()).collect();
            rows.push(HelpRow::Binding(keys.join(" / "), b.desc));
        }
        rows.push(HelpRow::Blank);
    }
    rows
}

impl Overlay {
    /// Handle a key; overlays consume every key while open.
    pub fn handle_key(&mut self, key: KeyEvent) -> Option<Action> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match self {
            Overlay::Help { scroll, .. } => match key.code {
                KeyCode::Down | KeyCode::Char('j') => {
                    *scroll = scroll.saturating_add(1);
                    None
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    *scroll = scroll.saturating_sub(1);
                    None
                }
                KeyCode::PageDown => {
                    *scroll = scroll.saturating_add(10);
                    None
                }
                KeyCode::PageUp => {
                    *scroll = scroll.saturating_sub(10);
                    None
                }
                KeyCode::Char('/') => Some(Action::Cmd(Cmd::Search)),
                KeyCode::Char('n') => Some(Action::Cmd(Cmd::SearchNext)),
                KeyCode::Char('N') => Some(Action::Cmd(Cmd::SearchPrev)),
                _ => Some(Action::CloseOverlay),
            },
            Overlay::Message { .. } => Some(Action::CloseOverlay),
            Overlay::Input(inp) => match key.code {
                KeyCode::Esc => Some(Action::CloseOverlay),
                KeyCode::Enter => match inp.check() {
                    Ok(_) => Some(Action::Submit(inp.purpose.clone(), inp.submitted())),
                    Err(_) => None,
                },
                KeyCode::Tab if matches!(inp.kind, InputKind::Path) => {
                    Some(Action::CompletePath(inp.text()))
                }
                KeyCode::Tab => {
                    inp.complete();
                    None
                }
                _ => {
                    if !(ctrl && matches!(key.code, KeyCode::Char('m') | KeyCode::Char('j'))) {
                        inp.edit_key(key);
                    }
                    None
                }
            },
            Overlay::Editor(ed) => match key.code {
                KeyCode::Esc => Some(Action::CloseOverlay),
                KeyCode::Char('s') if ctrl => match ed.check() {
                    Ok(_) => Some(Action::SubmitLines(
                        ed.purpose.clone(),
                        ed.area.lines().to_vec(),
                    )),
                    Err(_) => None,
                },
                KeyCode::F(2) => match ed.check() {
                    Ok(_) => Some(Action::SubmitLines(
                        ed.purpose.clone(),
                        ed.area.lines().to_vec(),
                    )),
                    Err(_) => None,
                },
                _ => {
                    ed.area.input(key);
                    None
                }
            },
            Overlay::Confirm(c) => match key.code {
                KeyCode::Esc => Some(Action::CloseOverlay),
                KeyCode::Char(ch) => {
                    let lower = ch.to_ascii_lowercase();
                    c.choices
                        .iter()
                        .find(|(k, _)| *k == ch || *k == lower)
                        .map(|(k, _)| Action::Confirm(c.purpose.clone(), *k))
                }
                KeyCode::Enter => c
                    .choices
                    .first()
                    .map(|(k, _)| Action::Confirm(c.purpose.clone(), *k)),
                _ => None,
            },
            Overlay::Picker(p) => {
                let n = p.rows.len();
                let sel = p.state.selected().unwrap_or(0);
                match key.code {
                    KeyCode::Esc => Some(Action::CloseOverlay),
                    KeyCode::Down | KeyCode::Char('j') if n > 0 => {
                        p.state.select(Some((sel + 1).min(n - 1)));
                        None
                    }
                    KeyCode::Up | KeyCode::Char('k') => {
                        p.state.select(Some(sel.saturating_sub(1)));
                        None
                    }
                    KeyCode::Char(' ') => {
                        if let Some(c) = &mut p.checked
                            && let Some(v) = c.get_mut(sel)
                        {
                            *v = !*v;
                        }
                        None
                    }
                    KeyCode::Enter => Some(Action::Picked(
                        p.purpose.clone(),
                        match &p.checked {
                            Some(c) => c
                                .iter()
                                .enumerate()
                                .filter(|(_, v)| **v)
                                .map(|(i, _)| i)
                                .collect(),
                            None if n > 0 => vec![sel],
                            None => vec![],
                        },
                    )),
                    _ => None,
                }
            }
        }
    }

    /// The hint shown at the bottom while this overlay is open.
    pub fn hint(&self) -> &'static str {
        match self {
            Overlay::Help { .. } => {
                "↑↓ scroll · / search, n N next/previous · any other key closes"
            }
            Overlay::Input(i) if matches!(i.kind, InputKind::Rule { .. } | InputKind::Path) => {
                "Enter apply · Tab complete · Esc cancel"
            }
            Overlay::Input(_) => "Enter apply · Esc cancel",
            Overlay::Editor(_) => "Ctrl-s or F2 apply · Esc cancel",
            Overlay::Confirm(_) => "choose with the key shown · Esc cancel",
            Overlay::Picker(p) if p.checked.is_some() => "Space toggle · Enter apply · Esc cancel",
            Overlay::Picker(_) => "↑↓ choose · Enter apply · Esc cancel",
            Overlay::Message { .. } => "any key closes",
        }
    }

    /// Draw the overlay centred on `area`.
    /// Give text fields the theme's input style (they are drawn as they are).
    pub fn apply_theme(&mut self, theme: &Theme) {
        match self {
            Overlay::Input(inp) => {
                inp.area.set_style(theme.input);
                inp.area.set_cursor_line_style(Style::default());
            }
            Overlay::Editor(ed) => ed.area.set_style(theme.input),
            _ => {}
        }
    }

    /// Draw the overlay centred on `area`; what it learnt of the screen goes into `hits`.
    pub fn render(
        &self,
        f: &mut Frame,
        area: Rect,
        theme: &Theme,
        keymap: &KeyMap,
        hits: &mut super::view::HitMap,
    ) {
        let block = |title: &str, style: Style| {
            Block::default()
                .borders(Borders::ALL)
                .border_type(BorderType::Rounded)
                .border_style(style)
                .title(Span::styled(format!(" {title} "), theme.title))
        };
        match self {
            Overlay::Help { scroll, contexts } => {
                let r = centered(area, 76, area.height.saturating_sub(4).max(8));
                f.render_widget(Clear, r);
                let lines: Vec<Line> = help_rows(keymap, contexts)
                    .into_iter()
                    .map(|row| match row {
                        HelpRow::Title(t) => Line::from(Span::styled(t, theme.title)),
                        HelpRow::Binding(keys, desc) => Line::from(vec![
                            Span::styled(format!("  {keys:<16}"), theme.key),
                            Span::styled(desc, theme.text),
                        ]),
                        HelpRow::Blank => Line::from(""),
                    })
                    .collect();
                let max = (lines.len() as u16).saturating_sub(r.height.saturating_sub(2));
                hits.help_scroll_max = Some(max);
                f.render_widget(
                    Paragraph::new(lines)
                        .block(block("Help — keys", theme.border_focus))
                        .scroll(((*scroll).min(max), 0)),
                    r,
                );
            }
            Overlay::Message { title, text, error } => {
                let width = 70.min(area.width);
                let height = (text.lines().count() as u16 + 4).min(area.height);
                let r = centered(area, width, height);
                f.render_widget(Clear, r);
                let st = if *error {
                    theme.error
                } else {
                    theme.border_focus
                };
                f.render_widget(
                    Paragraph::new(Text::styled(text.clone(), theme.text))
                        .wrap(Wrap { trim: false })
                        .block(block(title, st)),
                    r,
                );
            }
            Overlay::Input(inp) => {
                let r = centered(area, 80.min(area.width), 7);
                f.render_widget(Clear, r);
                let outer = block(&inp.title, theme.border_focus);
                let inner = outer.inner(r);
                f.render_widget(outer, r);
                let [help, field, status] = Split::vertical([
                    Constraint::Length(1),
                    Constraint::Length(1),
                    Constraint::Min(1),
                ])
                .areas(inner);
                f.render_widget(
                    Paragraph::new(Span::styled(inp.help.clone(), theme.dim)),
                    help,
                );
                f.render_widget(&inp.area, field);
                let (msg, st) = match inp.check() {
                    Ok(m) => (m, theme.ok),
                    Err(m) => (format!("✗ {m}"), theme.error),
                };
                f.render_widget(
                    Paragraph::new(Span::styled(msg, st)).wrap(Wrap { trim: true }),
                    status,
                );
            }
            Overlay::Editor(ed) => {
                let r = centered(
                    area,
                    90.min(area.width),
                    area.height.saturating_sub(6).clamp(6, 20),
                );
                f.render_widget(Clear, r);
                let status = match ed.check() {
                    Ok(m) => Span::styled(m, theme.ok),
                    Err(m) => Span::styled(format!("✗ {m}"), theme.error),
                };
                let outer = block(&ed.title, theme.border_focus).title_bottom(Line::from(status));
                let inner = outer.inner(r);
                f.render_widget(outer, r);
                f.render_widget(&ed.area, inner);
            }
            Overlay::Confirm(c) => {
                let h = (c.body.len() as u16 + c.choices.len() as u16 + 5).min(area.height);
                let r = centered(area, 80.min(area.width), h);
                f.render_widget(Clear, r);
                let mut lines: Vec<Line> = c
                    .body
                    .iter()
                    .map(|l| Line::from(Span::styled(l.clone(), theme.text)))
                    .collect();
                lines.push(Line::from(""));
                for (k, label) in &c.choices {
                    lines.push(Line::from(vec![
                        Span::styled(format!("  [{k}] "), theme.key),
                        Span::styled(label.clone(), theme.text),
                    ]));
                }
                lines.push(Line::from(vec![
                    Span::styled("  [Esc] ", theme.key),
                    Span::styled("cancel", theme.text),
                ]));
                f.render_widget(
                    Paragraph::new(lines)
                        .wrap(Wrap { trim: false })
                        .block(block(&c.title, theme.border_focus)),
                    r,
                );
            }
            Overlay::Picker(p) => {
                let h = (p.rows.len() as u16 + 2).clamp(3, area.height.saturating_sub(4).max(3));
                let r = centered(area, 80.min(area.width), h);
                f.render_widget(Clear, r);
                let items: Vec<ListItem> = p
                    .rows
                    .iter()
                    .enumerate()
                    .map(|(i, row)| {
                        let mark = match &p.checked {
                            Some(c) if c[i] => "[x] ",
                            Some(_) => "[ ] ",
                            None => "",
                        };
                        ListItem::new(format!("{mark}{row}"))
                    })
                    .collect();
                let list = List::new(items)
                    .style(theme.text)
                    .highlight_style(theme.selection)
                    .highlight_symbol("▶ ")
                    .block(block(&p.title, theme.border_focus));
                let mut state = p.state;
                f.render_stateful_widget(list, r, &mut state);
                hits.picker_offset = Some(state.offset());
            }
        }
    }
}

/// A rectangle of at most `w`×`h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [v] = Split::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Split::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A relative expiry is stored as its preview showed it: both count from when the
    /// input opened, however long the typing took.
    #[test]
    fn relative_expiry_stores_what_the_preview_showed() {
        let at: jiff::Timestamp = "2026-03-04T05:06:07Z".parse().unwrap();
        let mut o = Overlay::Input(Input::new(
            "Expiry",
            "",
            InputPurpose::Expiry,
            InputKind::Expiry { at },
            "",
        ));
        for c in "+1d".chars() {
            o.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        let Overlay::Input(inp) = &o else {
            unreachable!()
        };
        assert_eq!(inp.check().unwrap(), "→ 2026-03-05T05:06:07Z");
        match o.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)) {
            Some(Action::Submit(InputPurpose::Expiry, v)) => {
                assert_eq!(v, "2026-03-05T05:06:07Z")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn typing_replaces_prefilled_text_and_ctrl_u_kills_the_line() {
        let press =
            |inp: &mut Input, code: KeyCode, m: KeyModifiers| inp.edit_key(KeyEvent::new(code, m));
        let new =
            |initial: &str| Input::new("t", "h", InputPurpose::ImportKey, InputKind::Path, initial);
        let mut inp = new("step-1");
        press(&mut inp, KeyCode::Char('b'), KeyModifiers::NONE);
        press(&mut inp, KeyCode::Char('u'), KeyModifiers::NONE);
        assert_eq!(
            inp.text(),
            "bu",
            "the first character replaces the prefilled text"
        );
        let mut inp = new("step-1");
        press(&mut inp, KeyCode::Left, KeyModifiers::NONE);
        press(&mut inp, KeyCode::Char('x'), KeyModifiers::NONE);
        assert_eq!(inp.text(), "step-x1", "a cursor key starts editing it");
        let mut inp = new("2099-01-01");
        press(&mut inp, KeyCode::Backspace, KeyModifiers::NONE);
        assert_eq!(inp.text(), "");
        let mut inp = new("");
        for c in "abc def".chars() {
            press(&mut inp, KeyCode::Char(c), KeyModifiers::NONE);
        }
        press(&mut inp, KeyCode::Char('u'), KeyModifiers::CONTROL);
        assert_eq!(inp.text(), "", "Ctrl-U deletes the line, not one character");
        for c in "abc".chars() {
            press(&mut inp, KeyCode::Char(c), KeyModifiers::NONE);
        }
        press(&mut inp, KeyCode::Home, KeyModifiers::NONE);
        press(&mut inp, KeyCode::Char('k'), KeyModifiers::CONTROL);
        assert_eq!(inp.text(), "");
    }

    #[test]
    fn completes_step_names_after_from() {
        let names = vec![
            "clone".to_string(),
            "compile".to_string(),
            "update-version".to_string(),
        ];
        assert_eq!(
            complete_rule("MATCH * WITH PRODUCTS FROM u", &names).as_deref(),
            Some("MATCH * WITH PRODUCTS FROM update-version")
        );
        assert_eq!(
            complete_rule("MATCH * WITH PRODUCTS FROM c", &names).as_deref(),
            None,
            "ambiguous, no longer prefix"
        );
        assert_eq!(
            complete_rule("MATCH * WITH PRODUCTS FROM cl", &names).as_deref(),
            Some("MATCH * WITH PRODUCTS FROM clone")
        );
        assert_eq!(complete_rule("dis", &names).as_deref(), Some("DISALLOW "));
    }

    #[test]
    fn expiry_input_forms() {
        let now: jiff::Timestamp = "2026-01-31T10:00:00Z".parse().unwrap();
        assert_eq!(
            parse_expiry_input("+1m", now).unwrap(),
            "2026-02-28T10:00:00Z"
        );
        assert_eq!(
            parse_expiry_input("+1y", now).unwrap(),
            "2027-01-31T10:00:00Z"
        );
        assert_eq!(
            parse_expiry_input("2030-05-01", now).unwrap(),
            "2030-05-01T00:00:00Z"
        );
        assert!(parse_expiry_input("2030-02-30", now).is_err());
        assert!(parse_expiry_input("+3x", now).is_err());
    }

    #[test]
    fn rule_input_checks_live() {
        let mut i = Input::new(
            "r",
            "",
            InputPurpose::ExportReport,
            InputKind::Rule {
                names: vec!["a".into()],
            },
            "MATCH * WITH",
        );
        assert!(i.check().is_err());
        i.area = TextArea::new(vec!["MATCH * WITH PRODUCTS FROM b".into()]);
        assert!(i.check().unwrap().contains("no step or inspection"));
    }
}
