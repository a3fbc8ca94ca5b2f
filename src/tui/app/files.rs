//! Saving and quitting: the save effect and its outcome, and the unsaved-changes guard.

use super::*;

impl App {
    pub(in crate::tui) fn ask_save_as(&mut self, then_quit: bool) {
        let cur = self
            .doc
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "root.layout".into());
        self.push(Overlay::Input(Input::new(
            "Save as",
            "path of the layout file",
            InputPurpose::SaveAs { then_quit },
            InputKind::Path,
            &cur,
        )));
    }

    pub(in crate::tui) fn save(&mut self, path: Option<PathBuf>, then_quit: bool) {
        if path.is_none() && self.doc.path.is_none() {
            self.ask_save_as(then_quit);
            return;
        }
        match self.doc.save_bytes(path.as_deref()) {
            Ok((target, bytes)) => self.effects.push(Effect::Save {
                forget: vec![self.doc.path.clone(), Some(target.clone())],
                path: target,
                bytes,
                layout: Box::new(self.doc.layout.clone()),
                autosave_dir: self.autosave_dir.clone(),
                then_quit,
            }),
            Err(e) => self.error(format!("save failed: {e}")),
        }
    }

    pub(in crate::tui) fn saved(
        &mut self,
        path: PathBuf,
        layout: crate::model::layout::Layout,
        result: Result<(), String>,
        then_quit: bool,
    ) {
        if let Err(e) = result {
            return self.error(format!("save failed: {e}"));
        }
        self.doc.mark_saved(path.clone(), layout);
        let state = match self.doc.sign_state() {
            SignState::Signed(ids) => format!(
                "signed by {}",
                ids.iter()
                    .map(|i| crate::py::prefix(i, 8))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            SignState::Stale(_) => "unsigned (edited since signing: sign again with S)".into(),
            SignState::Unsigned => "unsigned".into(),
        };
        self.info(format!("saved {} ({state})", path.display()));
        if then_quit {
            self.quit = true;
        }
    }

    pub(in crate::tui) fn request_quit(&mut self) {
        // What-if edits are never saved: quitting leaves what-if first (back to the real
        // document, whose own unsaved changes are guarded as always).
        if self.verify.what_if.is_some() {
            self.leave_what_if();
        }
        if self.doc.is_dirty() {
            self.push(Overlay::Confirm(Confirm {
                title: "Unsaved changes".into(),
                body: vec![format!("{} has unsaved changes.", self.doc.title())],
                purpose: ConfirmPurpose::QuitUnsaved,
                choices: vec![
                    ('s', "save and quit".into()),
                    ('d', "discard the changes and quit".into()),
                ],
            }));
        } else {
            self.autosave_clear(self.doc.path.clone());
            self.quit = true;
        }
    }
}
