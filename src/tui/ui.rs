//! Drawing the app state (one frame). Reads the state; the only thing it writes back is
//! what the mouse needs (where things were drawn).

use super::app::{App, HitMap, Tab};
use super::doc::SignState;
use super::tabs;
use super::tabs::verify::view::verdict_line;
use crate::lint::Severity;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout as Split, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// Below this size only a notice is drawn.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;

/// Draw the whole screen from the state; returns what went where (for the reducer, as
/// [`crate::tui::action::Action::Drawn`]).
pub fn draw(f: &mut Frame, app: &App) -> HitMap {
    let mut hits = HitMap::default();
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "The terminal is too small ({}x{}): intoto-studio needs at least \
             {MIN_WIDTH}x{MIN_HEIGHT}. Nothing is lost: enlarge it, or q to quit.",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(Span::styled(text, app.theme.warning)).wrap(Wrap { trim: true }),
            area,
        );
        return hits;
    }
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
        Tab::Chain => tabs::chain::draw(f, app, body, &mut hits),
        Tab::Keys => tabs::keys::draw(f, app, body),
        Tab::Layout => tabs::layout::draw(f, app, body),
        Tab::Lint => tabs::lint::draw(f, app, body),
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
                &app.key_names,
                &mut hits,
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
    let mut spans = vec![Span::styled(" intoto-studio ", t.title)];
    // The verdict first: what is cut on a narrow terminal is the rest.
    if let Some(r) = &app.verify.report {
        if app.verify.stale {
            spans.push(Span::styled(
                "(stale: edited since; re-verifying) ",
                t.warning,
            ));
        }
        spans.extend(verdict_line(r, app.chain.owner_trust, t).spans);
        spans.push(Span::styled("  ", t.dim));
    } else if app.verify.running {
        spans.push(Span::styled(format!("{}  ", app.verify.progress), t.info));
    }
    spans.push(Span::styled(app.doc.title(), t.text));
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
            let mut counts = Vec::new();
            if errors > 0 {
                counts.push(format!("✗{errors}"));
            }
            if warnings > 0 {
                counts.push(format!("!{warnings}"));
            }
            label = format!(" {} {} ", tab.title(), counts.join(" "));
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
