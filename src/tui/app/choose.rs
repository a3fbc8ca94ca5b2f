//! Choosing the chain to verify with in the TUI (`C`): the owner keys, then the link
//! directory; checked and remembered for the layout by an effect, then verified.

use super::*;
use crate::tui::chosen::Chosen;

impl App {
    pub(in crate::tui) fn start_choose_chain(&mut self) {
        let keys: Vec<String> = self
            .chain
            .keys
            .iter()
            .map(|k| k.display().to_string())
            .collect();
        self.push(Overlay::Input(Input::new(
            "Owner keys",
            "the owner's public key files to verify the layout with (shell words: quote a path with spaces)",
            InputPurpose::ChainKeys,
            InputKind::Words,
            &crate::model::rule::join_line(&keys),
        )));
    }

    pub(in crate::tui) fn submit_chain_keys(&mut self, text: &str) {
        let keys = match crate::model::rule::split_line(text) {
            Ok(words) if !words.is_empty() => words.into_iter().map(PathBuf::from).collect(),
            Ok(_) => return self.error("name at least one owner public key"),
            Err(e) => return self.error(e.message),
        };
        let dir = self
            .chain
            .link_dir
            .as_ref()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        self.push(Overlay::Input(Input::new(
            "Link directory",
            "the folder holding the chain's .link files (empty: the current folder)",
            InputPurpose::ChainLinkDir { keys },
            InputKind::Path,
            &dir,
        )));
    }

    pub(in crate::tui) fn submit_chain_link_dir(&mut self, keys: Vec<PathBuf>, text: &str) {
        let text = text.trim();
        let remember = match (&self.autosave_dir, &self.doc.path) {
            (Some(dir), Some(layout)) => Some((dir.clone(), layout.clone())),
            _ => None,
        };
        self.effects.push(Effect::ChooseChain {
            keys,
            link_dir: (!text.is_empty()).then(|| PathBuf::from(text)),
            remember,
        });
    }

    pub(in crate::tui) fn chain_chosen(
        &mut self,
        result: Result<(Chosen, crate::verify::report::KeyNames), String>,
    ) {
        match result {
            Ok((chosen, names)) => {
                let n = chosen.keys.len();
                self.use_chosen(chosen, names);
                let kept = if self.doc.path.is_some() && self.autosave_dir.is_some() {
                    ", remembered for this layout"
                } else {
                    ""
                };
                self.info(format!("verifying with {n} owner key(s){kept}"));
                self.start_verify();
            }
            Err(e) => self.error(e),
        }
    }

    /// Verify with these owner keys (the user's own choice: a trust anchor) and links.
    pub(in crate::tui) fn use_chosen(
        &mut self,
        chosen: Chosen,
        names: crate::verify::report::KeyNames,
    ) {
        self.chain.keys = chosen.keys;
        self.chain.link_dir = chosen.link_dir;
        self.chain.owner_trust = OwnerTrust::Given;
        self.key_names.extend(names);
    }
}
