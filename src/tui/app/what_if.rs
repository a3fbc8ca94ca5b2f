//! What-if mode: edits and link changes on a copy, never written; leaving restores the real
//! document exactly.

use super::*;

/// One what-if change, for undoing it.
#[derive(Debug)]
pub(in crate::tui) enum Step {
    /// An edit of the layout's copy (undone on the copy's own undo stack).
    Layout,
    /// A change of the links or the clock: what they were before.
    Chain(Box<crate::tui::whatif::WhatIf>),
}

impl App {
    /// Change the what-if links or clock, as one step to undo, and replay.
    pub(in crate::tui) fn what_if_change(
        &mut self,
        f: impl FnOnce(&mut crate::tui::whatif::WhatIf),
    ) {
        if let Some(w) = &mut self.verify.what_if {
            self.what_if_log.push(Step::Chain(Box::new(w.clone())));
            f(w);
        }
        self.start_verify();
    }

    /// Undo the last what-if change (`u` in what-if mode): only what-if changes, one by one.
    pub(in crate::tui) fn undo_what_if(&mut self) {
        match self.what_if_log.pop() {
            None => self.info("no what-if change to undo (! leaves what-if)"),
            Some(Step::Layout) => {
                if let Some(l) = self.doc.undo() {
                    self.changed();
                    self.info(format!("undid the what-if edit: {l}"));
                }
            }
            Some(Step::Chain(prev)) => {
                self.verify.what_if = Some(*prev);
                self.info("undid the last what-if change of the links or the clock");
                self.start_verify();
            }
        }
    }

    /// Turn what-if on: from now on edits go to a copy of the document.
    pub(in crate::tui) fn enter_what_if(&mut self) {
        if self.verify.what_if.is_none() {
            self.what_if_real = Some(self.doc.clone());
            self.what_if_log.clear();
            self.verify.what_if = Some(crate::tui::whatif::WhatIf::default());
        }
    }

    /// Turn what-if off: the real document comes back exactly as it was.
    pub(in crate::tui) fn leave_what_if(&mut self) {
        self.verify.what_if = None;
        self.what_if_log.clear();
        if let Some(real) = self.what_if_real.take() {
            self.doc = real;
            self.refresh();
        }
    }

    /// In what-if mode nothing is written: say so and refuse `what`.
    pub(in crate::tui) fn refused_in_what_if(&mut self, what: &str) -> bool {
        if self.verify.what_if.is_some() {
            self.error(format!(
                "{what} is refused in what-if mode (nothing is written); press ! to leave it"
            ));
            return true;
        }
        false
    }

    pub(in crate::tui) fn toggle_what_if(&mut self) {
        if self.verify.what_if.is_some() {
            self.leave_what_if();
            self.info("what-if off: back to the real chain");
            self.start_verify_if_possible();
        } else {
            if !self.can_verify() {
                return self.error("what-if needs a chain to verify (verification keys and links)");
            }
            self.enter_what_if();
            let rows = crate::tui::whatif::WhatIf::menu();
            self.push(Overlay::Picker(Picker::new(
                "What-if (in memory only)",
                PickerPurpose::WhatIf,
                rows,
                None,
            )));
        }
    }

    pub(in crate::tui) fn start_verify_if_possible(&mut self) {
        if self.can_verify() {
            self.start_verify();
        }
    }

    pub(in crate::tui) fn what_if_picked(&mut self, rows: Vec<usize>) {
        let Some(choice) = rows.first().copied() else {
            return;
        };
        match choice {
            0 => {
                // Change an artifact's hash: go to the link browser.
                self.tab = Tab::Report;
                self.report_view.open_links(self.verify.report.as_deref());
                self.info("what-if: pick an artifact in the link browser and press Enter");
            }
            1 => {
                self.tab = Tab::Report;
                self.report_view.open_links(self.verify.report.as_deref());
                self.info("what-if: pick a link in the link browser and press Enter to drop it or strip its signature");
            }
            2 => {
                self.tab = Tab::Chain;
                self.info("what-if: edit any rule in the Chain tab; the replay uses your edits (nothing is saved unless you save)");
                self.start_verify();
            }
            3 => {
                // Ask for the time, offering a second past the layout's expiry.
                let past_expiry = crate::model::layout::parse_expires(&self.doc.layout.expires)
                    .ok()
                    .and_then(|e| e.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok())
                    .map(|z| {
                        (z.timestamp() + jiff::SignedDuration::from_secs(1))
                            .strftime("%Y-%m-%dT%H:%M:%SZ")
                            .to_string()
                    })
                    .unwrap_or_default();
                self.push(Overlay::Input(Input::new(
                    "What-if: verify at",
                    "a time (YYYY-MM-DDTHH:MM:SSZ); offered: a second past the expiry",
                    InputPurpose::WhatIfClock,
                    InputKind::Plain,
                    &past_expiry,
                )));
            }
            _ => {}
        }
    }

    pub(in crate::tui) fn what_if_request(
        &mut self,
        req: crate::tui::tabs::verify::view::WhatIfRequest,
    ) {
        use crate::tui::tabs::verify::view::WhatIfRequest;
        self.enter_what_if();
        match req {
            WhatIfRequest::Hash {
                file,
                kind,
                path,
                current,
            } => self.push(Overlay::Input(Input::new(
                format!("What-if: new hash for {path}"),
                format!("now {}… — the new sha256 (hex) of {path} among the {} of this link; it counts as validly signed", crate::py::prefix(&current, 12), kind.as_str()),
                InputPurpose::WhatIfHash { file, kind, path },
                InputKind::Hex,
                "",
            ))),
            WhatIfRequest::Link { file } => self.push(Overlay::Confirm(Confirm {
                title: "What-if: link".into(),
                body: vec![format!("Link file {file}")],
                purpose: ConfirmPurpose::WhatIfLink { file },
                choices: vec![
                    ('d', "drop the link (as if the file were missing)".into()),
                    ('s', "strip its signature".into()),
                ],
            })),
        }
    }

    /// The banner text while what-if is on: every hypothetical change, rule edits included.
    pub fn what_if_banner(&self) -> Option<String> {
        let w = self.verify.what_if.as_ref()?;
        let edits = self
            .what_if_real
            .as_ref()
            .map(|real| crate::tui::whatif::layout_edits(&real.layout, &self.doc.layout))
            .unwrap_or_default();
        Some(w.describe(&edits))
    }
}
