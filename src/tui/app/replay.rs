//! Verification (replay): starting it as an effect, and putting its outcome in view.

use super::*;

impl App {
    /// Whether the chain has what verification needs (keys).
    pub fn can_verify(&self) -> bool {
        !self.chain.keys.is_empty()
    }

    /// Start (or restart) a verification in the background.
    pub fn start_verify(&mut self) {
        if self.chain.keys.is_empty() {
            self.error("no verification keys: press C to choose the owner keys and link directory (or open the chain with --verification-keys, or a folder with owner*.pub)");
            return;
        }
        let md = match &self.verify.what_if {
            Some(w) => w.layout_metadata(&self.doc),
            None => self.doc.to_metadata(),
        };
        let has_inspections = !self.doc.layout.inspect.is_empty();
        let opts = VerifyOptions {
            link_dir: self
                .chain
                .link_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(".")),
            params: self.chain.params.clone(),
            inspection_timeout: Duration::from_secs(self.chain.inspection_timeout.max(1)),
            run_inspections: self.verify.inspections_confirmed || !has_inspections,
            persist_inspection_links: false,
            workdir: self
                .chain
                .workdir
                .clone()
                .unwrap_or_else(|| PathBuf::from(".")),
            clock: self
                .verify
                .what_if
                .as_ref()
                .and_then(|w| w.clock)
                .map_or(self.clock, Clock::Fixed),
            assume_layout_signed: self.verify.what_if.is_some()
                && matches!(self.doc.sign_state(), SignState::Stale(_)),
            progress: None,
        };
        self.verify.generation += 1;
        self.verify.running = true;
        self.verify.progress = "verifying…".into();
        self.effects.push(Effect::Verify(Job::Verify {
            layout: Box::new(md),
            key_paths: self.chain.keys.clone(),
            opts,
            generation: self.verify.generation,
            what_if: self.verify.what_if.clone(),
            scratch_inspections: self.chain.workdir.is_some(),
        }));
    }

    pub(in crate::tui) fn after_verify(&mut self, r: &Report) {
        if let Some(f) = &r.failure {
            // Put the failure in view without a key press.
            if f.sublayout_path.is_empty() {
                if let Some(item) = &f.item {
                    self.select_name(item);
                }
            } else if let Some(step) = f.sublayout_path.first() {
                self.select_name(step);
            }
            if self.tab != Tab::Chain {
                self.tab = Tab::Report;
            }
        } else if !r.complete && !self.verify.inspections_confirmed {
            self.info(
                "the layout has inspections: press R in the Verify tab (5) to review and run them",
            );
        }
    }
}
