//! The app state and its one reducer, [`App::update`]. No terminal or file I/O here: the
//! event loop feeds actions in and draws the state; what the reducer wants done outside
//! (writing files, reading keys, verifying) it returns as [`Effect`]s.

use super::action::*;
use super::dialogs::{Confirm, Input, InputKind, Overlay, Picker, parse_expiry_input};
use super::doc::{Document, SignState, autosave};
use super::effect::Effect;
use super::keys::{Cmd, Ctx, KeyMap};
use super::theme::Theme;
use crate::Exc;
use crate::clock::Clock;
use crate::crypto::PrivateKey;
use crate::graph::Graph;
use crate::lint::{Finding, Severity};
use crate::model::edit::{self, ItemKind, ItemRef};
use crate::model::envelope::Format;
use crate::model::rule::{ArtifactKind, Rule};
use crate::verify::{Report, VerifyOptions};
use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod choose;
mod files;
mod replay;
mod search;
mod sign;
mod what_if;

pub use super::effect::Job;
pub use super::view::{GraphMode, HitMap, OwnerTrust, Pane, Tab};

/// Which pane of the chain tab has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Graph,
    Detail,
}

/// What is selected on the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    Item(ItemRef),
    Ghost(String),
}

/// A row of the detail pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Name,
    Threshold,
    Functionaries,
    ExpectedCommand,
    Run,
    RuleSet(ArtifactKind),
    Rule(ArtifactKind, usize),
}

/// Where verification inputs come from (the in-toto-verify flags, or a chain folder).
#[derive(Debug, Clone, Default)]
pub struct ChainSpec {
    pub keys: Vec<PathBuf>,
    /// Where the owner keys come from, and whether they are a trust anchor.
    pub owner_trust: OwnerTrust,
    pub link_dir: Option<PathBuf>,
    pub params: Option<BTreeMap<String, String>>,
    pub workdir: Option<PathBuf>,
    pub inspection_timeout: u64,
}

/// Verification state.
#[derive(Debug, Default)]
pub struct VerifyState {
    pub report: Option<Arc<Report>>,
    pub running: bool,
    pub progress: String,
    pub generation: u64,
    /// Inspections were confirmed (or `--run-inspections`).
    pub inspections_confirmed: bool,
    pub what_if: Option<super::whatif::WhatIf>,
    /// The report is of the layout before the latest edit; a replay is due at the next
    /// idle tick (the event loop ticks after half a second without input: the debounce).
    /// A newer replay supersedes one in flight (its result is dropped by generation).
    pub stale: bool,
}

/// A transient status-line message.
#[derive(Debug, Clone)]
pub struct Status {
    pub text: String,
    pub error: bool,
    pub at: Instant,
}

/// Startup options of the TUI.
#[derive(Debug, Clone)]
pub struct Options {
    pub path: Option<PathBuf>,
    pub chain: ChainSpec,
    pub theme: Theme,
    pub keymap: KeyMap,
    pub mouse: bool,
    pub run_inspections: bool,
    /// The clock for lint, new expiry dates, relative expiry input and verification.
    pub clock: Clock,
    /// Where unsaved work is kept for recovery after a crash (`None`: nowhere).
    pub autosave_dir: Option<PathBuf>,
}

/// The whole state.
pub struct App {
    pub doc: Document,
    pub keymap: KeyMap,
    pub theme: Theme,
    pub tab: Tab,
    pub focus: Focus,
    pub selection: Option<Selection>,
    pub detail_row: usize,
    pub keys_tab: super::tabs::state::KeysTab,
    pub lint_tab: super::tabs::state::LintTab,
    pub graph_mode: GraphMode,
    pub overlays: Vec<Overlay>,
    pub status: Option<Status>,
    pub lint: Vec<Finding>,
    pub graph: Graph,
    pub chain: ChainSpec,
    pub verify: VerifyState,
    pub mouse: bool,
    pub quit: bool,
    pub hits: HitMap,
    pub report_view: super::tabs::verify::view::ReportView,
    /// The clock used for lint, expiry dates and verification (tests pin it).
    pub clock: Clock,
    /// Where unsaved work is kept (`None`: nowhere).
    pub autosave_dir: Option<PathBuf>,
    /// An autosave of this document that differs from the file (found at start), until
    /// it is recovered or declined.
    pub recoverable: Option<crate::model::layout::Layout>,
    /// Names shown beside keyids (the `.pub` files they came from).
    pub key_names: crate::verify::report::KeyNames,
    /// The last `/` search.
    pub search: Option<String>,
    last_change: Option<Instant>,
    autosaved: bool,
    /// What the reducer has asked for so far in this update.
    effects: Vec<Effect>,
    /// The real document while what-if mode edits a copy of it; put back on leaving.
    what_if_real: Option<Document>,
    /// What-if changes in order, for undoing them one by one (`u`).
    what_if_log: Vec<what_if::Step>,
    /// The private key chosen in the sign dialog, until the signature is made.
    sign_key: Option<PrivateKey>,
    sign_format: Format,
}

impl App {
    /// Forget the autosave of the document at `path`.
    fn autosave_clear(&mut self, path: Option<PathBuf>) {
        if let Some(dir) = &self.autosave_dir {
            let dir = dir.clone();
            self.effects.push(Effect::ClearAutosave { dir, path });
        }
    }

    /// An autosave of this document that differs from the file: its layout and time.
    pub fn autosave_pending(&self) -> Option<(crate::model::layout::Layout, String)> {
        autosave::pending(self.autosave_dir.as_deref()?, &self.doc)
    }

    /// Keep unsaved work now (after a signal, outside the reducer).
    pub fn autosave_now(&self) -> crate::Result<()> {
        match &self.autosave_dir {
            Some(dir) => autosave::write(dir, &autosave::Snapshot::of(&self.doc, self.clock.now())),
            None => Ok(()),
        }
    }

    /// Build the app for a document.
    pub fn new(doc: Document, opts: Options) -> App {
        let mut app = App {
            sign_format: doc.format,
            doc,
            keymap: opts.keymap,
            theme: opts.theme,
            tab: Tab::Chain,
            focus: Focus::Graph,
            selection: None,
            detail_row: 0,
            keys_tab: Default::default(),
            lint_tab: Default::default(),
            graph_mode: GraphMode::Auto,
            overlays: Vec::new(),
            status: None,
            lint: Vec::new(),
            graph: Graph::default(),
            chain: opts.chain,
            verify: VerifyState {
                inspections_confirmed: opts.run_inspections,
                ..Default::default()
            },
            mouse: opts.mouse,
            quit: false,
            hits: HitMap::default(),
            report_view: Default::default(),
            clock: opts.clock,
            autosave_dir: opts.autosave_dir,
            last_change: None,
            autosaved: false,
            recoverable: None,
            key_names: Default::default(),
            search: None,
            effects: Vec::new(),
            what_if_real: None,
            what_if_log: Vec::new(),
            sign_key: None,
        };
        app.refresh();
        if !app.doc.layout.steps.is_empty() {
            app.selection = Some(Selection::Item(ItemRef {
                kind: ItemKind::Step,
                index: 0,
            }));
        } else if !app.doc.layout.inspect.is_empty() {
            app.selection = Some(Selection::Item(ItemRef {
                kind: ItemKind::Inspection,
                index: 0,
            }));
        }
        app
    }

    /// Recompute what derives from the layout (graph, lint).
    fn refresh(&mut self) {
        self.graph = Graph::from_layout(&self.doc.layout);
        self.lint = crate::lint::lint(&self.doc.layout, self.clock.now());
        self.lint_tab.row = self.lint_tab.row.min(self.lint.len().saturating_sub(1));
        // Keep the selection valid.
        match &self.selection {
            Some(Selection::Item(r)) if edit::name_of(&self.doc.layout, *r).is_none() => {
                self.selection = self.first_item();
            }
            Some(Selection::Ghost(n)) if self.graph.node(n).is_none() => {
                self.selection = self.first_item()
            }
            None => self.selection = self.first_item(),
            _ => {}
        }
        let rows = self.detail_rows().len();
        self.detail_row = self.detail_row.min(rows.saturating_sub(1));
        let nkeys = self.doc.layout.keys.len();
        self.keys_tab.row = self.keys_tab.row.min(nkeys.saturating_sub(1));
    }

    pub(in crate::tui) fn first_item(&self) -> Option<Selection> {
        if !self.doc.layout.steps.is_empty() {
            Some(Selection::Item(ItemRef {
                kind: ItemKind::Step,
                index: 0,
            }))
        } else if !self.doc.layout.inspect.is_empty() {
            Some(Selection::Item(ItemRef {
                kind: ItemKind::Inspection,
                index: 0,
            }))
        } else {
            None
        }
    }

    /// Take the pending background job, if any (the event loop runs it).
    /// The effects asked for outside [`App::update`] (by [`App::new`]'s caller starting
    /// the first verification).
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// A key that means nothing here: a Verify-tab command runs there (the tab opens);
    /// any other says where it works.
    fn unbound_here(&mut self, key: KeyEvent) {
        let Some(b) = self.keymap.anywhere(&key) else {
            return;
        };
        let (cmd, ctx, desc) = (b.cmd, b.ctx, b.desc);
        let key_name = b.keys.first().map(|k| k.to_string()).unwrap_or_default();
        if ctx == Ctx::Report && self.tab != Tab::Report {
            self.tab = Tab::Report;
            self.reduce(Action::Cmd(cmd));
            return;
        }
        self.info(format!("{key_name} ({desc}) works in: {}", ctx.title()));
    }

    /// Ask for an effect (returned by this update).
    pub(in crate::tui) fn effect(&mut self, e: Effect) {
        self.effects.push(e);
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
            at: Instant::now(),
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: true,
            at: Instant::now(),
        });
    }

    /// The selected item's name.
    pub fn selected_name(&self) -> Option<String> {
        match self.selection.as_ref()? {
            Selection::Item(r) => edit::name_of(&self.doc.layout, *r).map(str::to_string),
            Selection::Ghost(n) => Some(n.clone()),
        }
    }

    pub fn selected_item(&self) -> Option<ItemRef> {
        match self.selection.as_ref()? {
            Selection::Item(r) => Some(*r),
            Selection::Ghost(_) => None,
        }
    }

    /// The active key contexts, innermost first.
    pub fn contexts(&self) -> Vec<Ctx> {
        let mut v = match self.tab {
            Tab::Chain => match self.focus {
                Focus::Graph => vec![Ctx::Graph],
                Focus::Detail => match self.current_row() {
                    Some(Row::Rule(..)) => vec![Ctx::Rule, Ctx::Detail],
                    _ => vec![Ctx::Detail],
                },
            },
            Tab::Keys => vec![Ctx::Keys],
            Tab::Layout => vec![Ctx::Layout],
            Tab::Lint => vec![Ctx::Lint],
            Tab::Report => self.report_view.contexts(),
        };
        if self.verify.what_if.is_some() {
            v.push(Ctx::WhatIf);
        }
        v.push(Ctx::Global);
        v
    }

    /// A key press: the top overlay gets it, else the key table routes it.
    /// A key press: through the top overlay, or the key table. Returns the effects.
    pub fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if let Some(top) = self.overlays.last_mut() {
            if let Some(action) = top.handle_key(key) {
                return self.update(action);
            }
            top.apply_theme(&self.theme);
            return self.take_effects();
        }
        match self.keymap.lookup(&key, &self.contexts()) {
            Some(cmd) => self.update(Action::Cmd(cmd)),
            None => {
                self.unbound_here(key);
                self.take_effects()
            }
        }
    }

    pub(in crate::tui) fn push(&mut self, o: Overlay) {
        self.overlays.push(o);
    }

    fn close(&mut self) {
        self.overlays.pop();
    }

    /// Record that the layout changed (autosave, derived state).
    fn changed(&mut self) {
        self.last_change = Some(Instant::now());
        self.autosaved = false;
        self.refresh();
        // In what-if mode an edited rule is replayed at once; otherwise the verdict is
        // marked stale now and replayed once the user pauses.
        if self.verify.what_if.is_some() && self.can_verify() {
            self.start_verify();
        } else if self.verify.report.is_some() {
            self.verify.stale = true;
        }
    }

    /// Apply an edit to the document as one undo step; report errors in the status line.
    pub(in crate::tui) fn edit<T>(
        &mut self,
        label: &str,
        f: impl FnOnce(&mut crate::model::layout::Layout) -> crate::Result<T>,
    ) -> Option<T> {
        match self.doc.edit(label, f) {
            Ok(v) => {
                if self.verify.what_if.is_some() {
                    self.what_if_log.push(what_if::Step::Layout);
                }
                self.changed();
                Some(v)
            }
            Err(e) => {
                self.error(e.message);
                None
            }
        }
    }

    /// The one reducer: the new state, and the effects it asks for.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        self.reduce(action);
        if let Some(top) = self.overlays.last_mut() {
            top.apply_theme(&self.theme);
        }
        self.take_effects()
    }

    fn reduce(&mut self, action: Action) {
        match action {
            Action::Cmd(cmd) => self.command(cmd),
            Action::CloseOverlay => self.close(),
            Action::Submit(purpose, text) => self.submit(purpose, text),
            Action::SubmitLines(purpose, lines) => self.submit_lines(purpose, lines),
            Action::Confirm(purpose, choice) => self.confirm(purpose, choice),
            Action::Picked(purpose, rows) => self.picked(purpose, rows),
            Action::Click { col, row } => self.click(col, row),
            Action::Scroll { col, row, delta } => self.scroll(col, row, delta),
            Action::VerifyDone(report, generation, link_files) => {
                if generation == self.verify.generation {
                    self.verify.running = false;
                    self.verify.stale = false;
                    self.verify.progress.clear();
                    let r = Arc::new(*report);
                    self.report_view.disk_links = link_files;
                    self.report_view.on_new_report(&r);
                    self.verify.report = Some(r.clone());
                    self.after_verify(&r);
                }
            }
            Action::VerifyProgress(p) => self.verify.progress = p,
            Action::VerifyFailed(generation, e) => {
                if generation == self.verify.generation {
                    self.verify.running = false;
                    self.verify.progress.clear();
                    self.error(e);
                }
            }
            Action::Saved {
                path,
                layout,
                result,
                then_quit,
            } => self.saved(path, *layout, result, then_quit),
            Action::KeyGenerated {
                path,
                for_signing,
                result: Ok(key),
            } => {
                let pk = key.public_key().clone();
                let id = pk.keyid.clone();
                if let Some(stem) = path.file_stem() {
                    self.key_names.insert(&id, &stem.to_string_lossy());
                }
                self.info(format!(
                    "wrote {} (private, 0600) and its .pub; keyid {}",
                    path.display(),
                    crate::py::prefix(&id, 16)
                ));
                if for_signing {
                    self.sign_key = Some(*key);
                    self.show_sign_summary();
                } else {
                    self.edit("generate key", |l| Ok(l.add_key(pk)));
                }
            }
            Action::KeyGenerated { result: Err(e), .. } => {
                self.error(format!("key generation failed: {e}"))
            }
            Action::SignKeyRead { path, result } => self.sign_key_read(path, result),
            Action::ChainChosen(result) => self.chain_chosen(result),
            Action::KeyImported(path, result) => match result {
                Ok(key) => {
                    if let Some(stem) = path.file_stem() {
                        self.key_names.insert(&key.keyid, &stem.to_string_lossy());
                    }
                    let label = format!(
                        "{} {}",
                        self.key_names.show(&key.keyid, 8),
                        key.kind_label()
                    );
                    self.edit("import key", |l| Ok(l.add_key(*key)));
                    self.info(format!("imported key {label}"));
                }
                Err(e) => self.error(format!("{}: {e}", path.display())),
            },
            Action::Wrote(paths) => {
                let mut names: Vec<String> =
                    paths.iter().map(|p| p.display().to_string()).collect();
                let last = names.pop().unwrap_or_default();
                self.info(match names.is_empty() {
                    true => format!("wrote {last}"),
                    false => format!("wrote {} and {last}", names.join(", ")),
                });
            }
            Action::CompletePath(text) => self.effects.push(Effect::CompletePath { text }),
            Action::PathCompleted { text, completion } => {
                // Only into the input it was asked for, if it still holds that text.
                if let Some(Overlay::Input(inp)) = self.overlays.last_mut()
                    && inp.text() == text
                {
                    inp.set_completion(completion);
                }
            }
            Action::Failed(e) => self.error(e),
            Action::Drawn(hits) => {
                match self.overlays.last_mut() {
                    Some(Overlay::Help { scroll, .. }) => {
                        *scroll = (*scroll).min(hits.help_scroll_max.unwrap_or(*scroll));
                    }
                    Some(Overlay::Picker(p)) => {
                        if let Some(o) = hits.picker_offset {
                            *p.state.offset_mut() = o;
                        }
                    }
                    _ => {}
                }
                self.hits = *hits;
            }
            Action::Tick => self.tick(),
        }
    }

    fn tick(&mut self) {
        if self.verify.stale && !self.verify.running && self.can_verify() {
            self.start_verify();
        }
        if let Some(s) = &self.status
            && s.at.elapsed() > Duration::from_secs(8)
        {
            self.status = None;
        }
        if !self.autosaved
            && self.what_if_real.is_none()
            && self.doc.is_dirty()
            && self
                .last_change
                .is_some_and(|t| t.elapsed() > Duration::from_secs(2))
        {
            self.autosaved = true;
            if let Some(dir) = &self.autosave_dir {
                self.effects.push(Effect::Autosave {
                    dir: dir.clone(),
                    snapshot: Box::new(autosave::Snapshot::of(&self.doc, self.clock.now())),
                });
            }
        }
    }

    fn command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Search => self.start_search(),
            Cmd::SearchNext => self.search_step(true, false),
            Cmd::SearchPrev => self.search_step(false, false),
            Cmd::Help => {
                let contexts = self.contexts();
                self.push(Overlay::Help {
                    scroll: 0,
                    contexts,
                });
            }
            Cmd::Back => {
                if self.tab == Tab::Report && self.report_view.back() {
                } else if self.tab == Tab::Chain && self.focus == Focus::Detail {
                    self.focus = Focus::Graph;
                }
            }
            Cmd::Quit => self.request_quit(),
            Cmd::Save if self.refused_in_what_if("saving") => {}
            Cmd::SaveAs if self.refused_in_what_if("saving") => {}
            Cmd::Sign if self.refused_in_what_if("signing") => {}
            Cmd::GenerateKey if self.refused_in_what_if("generating a key") => {}
            Cmd::Save => self.save(None, false),
            Cmd::SaveAs => self.ask_save_as(false),
            Cmd::Sign => self.start_sign(),
            Cmd::Undo if self.verify.what_if.is_some() => self.undo_what_if(),
            Cmd::Undo => match self.doc.undo() {
                Some(l) => {
                    self.changed();
                    self.info(format!("undid: {l}"));
                }
                None => self.info("nothing to undo"),
            },
            Cmd::Redo => match self.doc.redo() {
                Some(l) => {
                    self.changed();
                    self.info(format!("redid: {l}"));
                }
                None => self.info("nothing to redo"),
            },
            Cmd::NextTab | Cmd::PrevTab => {
                let i = Tab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0);
                let n = Tab::ALL.len();
                let j = if cmd == Cmd::NextTab {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.tab = Tab::ALL[j];
            }
            Cmd::TabChain => self.tab = Tab::Chain,
            Cmd::TabKeys => self.tab = Tab::Keys,
            Cmd::TabLayout => self.tab = Tab::Layout,
            Cmd::TabLint => self.tab = Tab::Lint,
            Cmd::TabReport => self.tab = Tab::Report,
            Cmd::ToggleMouse => {
                self.mouse = !self.mouse;
                self.info(if self.mouse { "mouse on" } else { "mouse off" });
            }
            Cmd::Verify => self.start_verify(),
            Cmd::ChooseChain => self.start_choose_chain(),
            Cmd::ToggleWhatIf => self.toggle_what_if(),
            _ => match self.tab {
                Tab::Chain => match self.focus {
                    Focus::Graph => self.graph_command(cmd),
                    Focus::Detail => self.detail_command(cmd),
                },
                Tab::Keys => self.keys_command(cmd),
                Tab::Layout => self.layout_command(cmd),
                Tab::Lint => self.lint_command(cmd),
                Tab::Report => self.report_command(cmd),
            },
        }
    }

    // ---- overlays' results --------------------------------------------------------------

    fn submit(&mut self, purpose: InputPurpose, text: String) {
        self.close();
        match purpose {
            InputPurpose::AddStep { after } => {
                let name = text.trim().to_string();
                if let Some(r) = self.edit("add step", |l| edit::add_step(l, &name, after)) {
                    self.select(Selection::Item(r));
                    self.info(format!("added step '{name}' — Enter edits it"));
                }
            }
            InputPurpose::AddInspection => {
                let name = text.trim().to_string();
                if let Some(r) = self.edit("add inspection", |l| edit::add_inspection(l, &name)) {
                    self.select(Selection::Item(r));
                    self.info(format!("added inspection '{name}'"));
                }
            }
            InputPurpose::Rename(item) => {
                let new = text.trim().to_string();
                if self
                    .edit("rename", |l| edit::rename(l, item, &new))
                    .is_some()
                {
                    self.info(format!("renamed to '{new}'"));
                }
            }
            InputPurpose::Threshold(i) => {
                if let Ok(t) = text.trim().parse::<i64>() {
                    self.edit("threshold", |l| {
                        l.steps[i].set_threshold(t);
                        Ok(())
                    });
                }
            }
            InputPurpose::ExpectedCommand(i) => {
                if let Ok(words) = crate::model::rule::split_line(&text) {
                    self.edit("expected command", |l| {
                        l.steps[i].expected_command =
                            words.into_iter().map(Value::String).collect();
                        Ok(())
                    });
                }
            }
            InputPurpose::Rule {
                item,
                kind,
                index,
                insert_at,
            } => match Rule::parse_line(&text) {
                Ok(rule) => {
                    let label = if index.is_some() {
                        "edit rule"
                    } else {
                        "add rule"
                    };
                    self.edit(label, |l| {
                        let rules = edit::rules_mut(l, item, kind)
                            .ok_or_else(|| crate::Error::new(Exc::IndexError, "no such item"))?;
                        match index {
                            Some(i) => rules[i] = rule,
                            None => rules.insert(insert_at.min(rules.len()), rule),
                        }
                        Ok(())
                    });
                    let rows = self.detail_rows();
                    let target = index.unwrap_or(insert_at);
                    if let Some(p) = rows.iter().position(|r| *r == Row::Rule(kind, target)) {
                        self.detail_row = p;
                    }
                }
                Err(e) => self.error(e.message),
            },
            InputPurpose::ImportKey => self.effects.push(Effect::ImportKey {
                path: PathBuf::from(text.trim()),
            }),
            InputPurpose::GenerateKey => self.effects.push(Effect::GenerateKey {
                path: PathBuf::from(text.trim()),
                for_signing: false,
            }),
            InputPurpose::Expiry => match parse_expiry_input(&text, self.clock.now()) {
                Ok(e) => {
                    self.edit("expiry", |l| {
                        l.expires = e.clone();
                        Ok(())
                    });
                }
                Err(e) => self.error(e),
            },
            InputPurpose::SaveAs { then_quit } => {
                let p = PathBuf::from(text.trim());
                self.save(Some(p), then_quit);
            }
            InputPurpose::SignKey => self.effects.push(Effect::ReadSignKey {
                path: text.trim().to_string(),
                password: None,
            }),
            InputPurpose::SignPassword { path } => self.effects.push(Effect::ReadSignKey {
                path,
                password: Some(text),
            }),
            InputPurpose::ExportReport => self.export_report(PathBuf::from(text.trim())),
            InputPurpose::Search => self.submit_search(text),
            InputPurpose::ChainKeys => self.submit_chain_keys(&text),
            InputPurpose::ChainLinkDir { keys } => self.submit_chain_link_dir(keys, &text),
            InputPurpose::WhatIfHash { file, kind, path } => {
                let hex = text.trim().to_string();
                self.what_if_change(|w| w.set_hash(&file, kind, &path, &hex));
            }
            InputPurpose::WhatIfClock => match crate::model::layout::parse_expires(&text) {
                Ok(t) => match t.to_zoned_datetime(jiff::tz::TimeZone::UTC) {
                    Ok(z) => self.what_if_change(|w| w.clock = Some(z.timestamp())),
                    Err(e) => self.error(e.to_string()),
                },
                Err(e) => self.error(e.to_string()),
            },
        }
    }

    fn submit_lines(&mut self, purpose: EditorPurpose, lines: Vec<String>) {
        self.close();
        match purpose {
            EditorPurpose::Readme => {
                let text = lines.join("\n");
                self.edit("readme", |l| {
                    l.readme = text;
                    Ok(())
                });
            }
            EditorPurpose::Run(i) => {
                if let Ok(words) = crate::model::rule::split_line(&lines.join("\n")) {
                    self.edit("inspection command", |l| {
                        l.inspect[i].run = words.into_iter().map(Value::String).collect();
                        Ok(())
                    });
                }
            }
        }
    }

    fn confirm(&mut self, purpose: ConfirmPurpose, choice: char) {
        self.close();
        match (purpose, choice) {
            (ConfirmPurpose::QuitUnsaved, 's') => self.save(None, true),
            (ConfirmPurpose::QuitUnsaved, 'd') => {
                self.autosave_clear(self.doc.path.clone());
                self.quit = true;
            }
            (ConfirmPurpose::DeleteItem(item), 'y') => {
                if let Some(left) = self.edit("delete item", |l| Ok(edit::remove(l, item)))
                    && !left.is_empty()
                {
                    self.info(format!(
                        "deleted; {} rule(s) now MATCH FROM a missing item (see Lint)",
                        left.len()
                    ));
                }
            }
            (ConfirmPurpose::RemoveKey(id), 'y') => {
                self.edit("remove key", |l| {
                    edit::remove_key(l, &id);
                    Ok(())
                });
            }
            (ConfirmPurpose::Sign, 's') => self.finish_sign(),
            (ConfirmPurpose::GenerateOwnerKey(path), 'g') => {
                self.effects.push(Effect::GenerateKey {
                    path: PathBuf::from(path),
                    for_signing: true,
                })
            }
            (ConfirmPurpose::Sign, 'f') => {
                self.sign_format = match self.sign_format {
                    Format::Legacy => Format::Dsse,
                    Format::Dsse => Format::Legacy,
                };
                self.show_sign_summary();
            }
            (ConfirmPurpose::Recover, 'r') => {
                if let Some(layout) = self.recoverable.take() {
                    self.edit("recover autosave", |l| {
                        *l = layout;
                        Ok(())
                    });
                    self.info("recovered the unsaved changes — save with Ctrl-s");
                }
            }
            (ConfirmPurpose::Recover, 'd') => {
                self.recoverable = None;
                self.autosave_clear(self.doc.path.clone());
            }
            (ConfirmPurpose::RunInspections, 'r') => {
                self.verify.inspections_confirmed = true;
                self.start_verify();
            }
            (ConfirmPurpose::WhatIfLink { file }, 'd') => {
                self.what_if_change(|w| w.drop_link(&file))
            }
            (ConfirmPurpose::WhatIfLink { file }, 's') => {
                self.what_if_change(|w| w.strip_signature(&file))
            }
            _ => {}
        }
    }

    fn picked(&mut self, purpose: PickerPurpose, rows: Vec<usize>) {
        self.close();
        match purpose {
            PickerPurpose::Functionaries(i) => {
                let ids: Vec<String> = self.doc.layout.keys.keys().cloned().collect();
                self.edit("functionaries", |l| {
                    let chosen: Vec<String> =
                        rows.iter().filter_map(|r| ids.get(*r).cloned()).collect();
                    // Keep the existing order; append new ones.
                    let step = &mut l.steps[i];
                    step.pubkeys
                        .retain(|k| chosen.contains(k) || !ids.contains(k));
                    for k in chosen {
                        if !step.pubkeys.contains(&k) {
                            step.pubkeys.push(k);
                        }
                    }
                    Ok(())
                });
            }
            PickerPurpose::RuleTemplate {
                item,
                kind,
                insert_at,
            } => {
                let templates = edit::rule_templates(&self.doc.layout, item, kind);
                if let Some(t) = rows.first().and_then(|r| templates.get(*r)) {
                    // Open the editor on the template so the pattern can be adjusted.
                    let mut input_text = t.clone();
                    if t.ends_with("FROM ") {
                        input_text = t.clone();
                    }
                    self.open_rule_editor(item, kind, None, insert_at);
                    if let Some(Overlay::Input(inp)) = self.overlays.last_mut() {
                        inp.area = ratatui_textarea::TextArea::new(vec![input_text]);
                        inp.area.move_cursor(ratatui_textarea::CursorMove::End);
                    }
                }
            }
            PickerPurpose::WhatIf => self.what_if_picked(rows),
        }
    }

    // ---- mouse -----------------------------------------------------------------------------

    /// The mouse wheel scrolls the pane under the pointer (which takes the focus, as a
    /// click would); elsewhere, and over overlays, it moves the focused list.
    fn scroll(&mut self, col: u16, row: u16, delta: i16) {
        let inside = |r: &Rect| r.contains(ratatui::layout::Position::new(col, row));
        let (down, up) = if !self.mouse || !self.overlays.is_empty() {
            (Cmd::Down, Cmd::Up)
        } else if self.tab == Tab::Chain {
            if self.hits.graph.is_some_and(|r| inside(&r)) {
                self.focus = Focus::Graph;
            } else if self.hits.detail.is_some_and(|r| inside(&r)) {
                self.focus = Focus::Detail;
            }
            (Cmd::Down, Cmd::Up)
        } else if self.tab == Tab::Report {
            match self.hits.panes.iter().find(|(r, _)| inside(r)).map(|p| p.1) {
                Some(Pane::Detail) => {
                    let s = &mut self.report_view.scroll;
                    *s = if delta > 0 {
                        s.saturating_add(3)
                    } else {
                        s.saturating_sub(3)
                    };
                    return;
                }
                Some(Pane::LinkList) => (Cmd::Right, Cmd::Left),
                _ => (Cmd::Down, Cmd::Up),
            }
        } else {
            (Cmd::Down, Cmd::Up)
        };
        let cmd = if delta > 0 { down } else { up };
        for _ in 0..delta.unsigned_abs().min(10) {
            self.command(cmd);
        }
    }

    fn click(&mut self, col: u16, row: u16) {
        if !self.mouse || !self.overlays.is_empty() {
            return;
        }
        let inside =
            |r: &Rect| col >= r.x && col < r.x + r.width && row >= r.y && row < r.y + r.height;
        if let Some((_, tab)) = self.hits.tabs.iter().find(|(r, _)| inside(r)) {
            self.tab = *tab;
            return;
        }
        if self.tab == Tab::Chain {
            if let Some((_, name)) = self.hits.nodes.iter().find(|(r, _)| inside(r)).cloned() {
                self.select_name(&name);
                self.focus = Focus::Graph;
                return;
            }
            if let Some(d) = self.hits.detail
                && inside(&d)
            {
                self.focus = Focus::Detail;
                let idx = self.hits.detail_first_row + (row - d.y) as usize;
                if idx < self.detail_rows().len() {
                    self.detail_row = idx;
                }
            }
        }
    }
}
