//! `/` search in the list in view: the graph's items, the Keys tab, lint findings, the
//! Verify tab's items, the link browser's links and artifacts, and the help overlay. Enter
//! jumps to the first match from the selection on; `n` and `N` go to the next and previous,
//! wrapping around.

use super::*;
use crate::tui::tabs::verify::View;

impl App {
    pub(in crate::tui) fn start_search(&mut self) {
        self.push(Overlay::Input(Input::new(
            "Search",
            "text to find in the list in view (case-insensitive); then n: next, N: previous",
            InputPurpose::Search,
            InputKind::Plain,
            self.search.as_deref().unwrap_or(""),
        )));
    }

    pub(in crate::tui) fn submit_search(&mut self, text: String) {
        if text.is_empty() {
            self.search = None;
            return;
        }
        self.search = Some(text);
        self.search_step(true, true);
    }

    /// Go to the next (`forward`) or previous match; `here` lets the selected row match.
    pub(in crate::tui) fn search_step(&mut self, forward: bool, here: bool) {
        let Some(query) = self.search.clone() else {
            self.info("no search yet: / searches");
            return;
        };
        let Some((hay, current)) = self.search_list() else {
            self.info("nothing to search here");
            return;
        };
        match find(&hay, current, forward, here, &query) {
            Some(i) => self.search_go(i),
            None => self.info(format!("no match for '{query}'")),
        }
    }

    /// The rows of the list in view, as text, and the selected one.
    fn search_list(&self) -> Option<(Vec<String>, usize)> {
        if let Some(top) = self.overlays.last() {
            return match top {
                Overlay::Help { scroll, contexts } => Some((
                    crate::tui::dialogs::help_rows(&self.keymap, contexts)
                        .into_iter()
                        .map(|r| r.text())
                        .collect(),
                    usize::from(*scroll),
                )),
                _ => None,
            };
        }
        match self.tab {
            Tab::Chain => {
                let items = edit::names(&self.doc.layout);
                let cur = self
                    .selected_name()
                    .and_then(|n| items.iter().position(|i| *i == n))
                    .unwrap_or(0);
                Some((items, cur))
            }
            Tab::Keys => Some((
                self.doc
                    .layout
                    .keys
                    .keys()
                    .map(|id| match self.key_names.name(id) {
                        Some(n) => format!("{id} {n}"),
                        None => id.clone(),
                    })
                    .collect(),
                self.keys_tab.row,
            )),
            Tab::Lint => Some((
                self.lint
                    .iter()
                    .map(|f| {
                        format!(
                            "{} {} {}",
                            f.item.as_deref().unwrap_or(""),
                            f.code,
                            f.message
                        )
                    })
                    .collect(),
                self.lint_tab.row,
            )),
            Tab::Layout => None,
            Tab::Report => {
                let r = self.verify.report.as_deref()?;
                let v = &self.report_view;
                match v.view {
                    View::Summary => Some((v.item_names(r), v.row)),
                    View::Links => {
                        let rows = v.link_rows(r);
                        let cur = rows
                            .iter()
                            .position(|(at, _)| *at == (v.link, v.art_row))
                            .unwrap_or(0);
                        Some((rows.into_iter().map(|(_, t)| t).collect(), cur))
                    }
                    View::Lineage(_) => None,
                }
            }
        }
    }

    fn search_go(&mut self, i: usize) {
        if let Some(Overlay::Help { scroll, .. }) = self.overlays.last_mut() {
            *scroll = u16::try_from(i).unwrap_or(u16::MAX);
            return;
        }
        match self.tab {
            Tab::Chain => {
                if let Some(name) = edit::names(&self.doc.layout).get(i).cloned() {
                    self.select_name(&name);
                }
            }
            Tab::Keys => self.keys_tab.row = i,
            Tab::Lint => self.lint_tab.row = i,
            Tab::Layout => {}
            Tab::Report => {
                let Some(r) = self.verify.report.as_deref() else {
                    return;
                };
                let v = &mut self.report_view;
                match v.view {
                    View::Summary => {
                        v.row = i;
                        v.scroll = 0;
                    }
                    View::Links => {
                        if let Some(&((link, row), _)) = v.link_rows(r).get(i) {
                            (v.link, v.art_row) = (link, row);
                        }
                    }
                    View::Lineage(_) => {}
                }
            }
        }
    }
}

/// The first row from `current` on (after it unless `here`), going `forward` or back and
/// wrapping around, whose text holds `query` (case-insensitive).
fn find(hay: &[String], current: usize, forward: bool, here: bool, query: &str) -> Option<usize> {
    let n = hay.len();
    if n == 0 {
        return None;
    }
    let q = query.to_lowercase();
    let start = current.min(n - 1);
    (0..n)
        .map(|k| {
            let k = if here { k } else { k + 1 };
            if forward {
                (start + k) % n
            } else {
                (start + n * 2 - k % n) % n
            }
        })
        .find(|&i| hay[i].to_lowercase().contains(&q))
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn find_wraps_both_ways() {
        let hay: Vec<String> = ["clone", "build", "test", "Build-docs"]
            .map(String::from)
            .to_vec();
        assert_eq!(find(&hay, 0, true, true, "BUILD"), Some(1));
        assert_eq!(find(&hay, 1, true, true, "build"), Some(1));
        assert_eq!(find(&hay, 1, true, false, "build"), Some(3));
        assert_eq!(find(&hay, 3, true, false, "build"), Some(1));
        assert_eq!(find(&hay, 1, false, false, "build"), Some(3));
        assert_eq!(find(&hay, 0, false, false, "clone"), Some(0));
        assert_eq!(find(&hay, 0, true, false, "nothing"), None);
        assert_eq!(find(&[], 0, true, true, "x"), None);
    }
}
