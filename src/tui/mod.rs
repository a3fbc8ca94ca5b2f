//! The terminal UI. Data flows one way: terminal event → action → [`app::App::update`]
//! (state, and the [`effect::Effect`]s it asks for) → render from `&App`. Effects run in
//! the event loop ([`drive`]); their outcomes, and background verification's, come back
//! as actions. Rendering is coalesced: all pending events are applied before the next
//! frame is drawn.

pub mod action;
pub mod app;
pub mod chosen;
pub mod config;
pub mod dialogs;
pub mod doc;
pub mod effect;
mod fatal;
pub mod graph_view;
pub mod keys;
pub mod tabs;
pub mod theme;
pub mod ui;
pub mod view;
pub mod whatif;

use action::Action;
use app::{App, ChainSpec, Job, Options};
use crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind, MouseButton, MouseEventKind,
};
use crossterm::execute;
use effect::Effect;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

/// What the event loop receives.
enum Msg {
    Term(Event),
    Action(Action),
}

/// Where a chain opened from the command line lives.
#[derive(Debug, Clone, Default)]
pub struct Opened {
    pub layout: Option<PathBuf>,
    pub chain: ChainSpec,
}

/// The verify flags the TUI opens a chain with (`--layout`, `--verification-keys`,
/// `--link-dir`, `--inspection-timeout`, `--param`).
#[derive(Debug, Clone, Default)]
pub struct ChainFlags {
    pub layout: Option<PathBuf>,
    pub verification_keys: Vec<PathBuf>,
    pub link_dir: Option<PathBuf>,
    pub inspection_timeout: u64,
    pub params: Vec<(String, String)>,
}

/// Resolve `PATH` and the verify flags: PATH is a layout file, or a folder with
/// `root.layout`, owner keys `owner*.pub`, `links/` and (for inspections) `workdir/`. A
/// layout file whose folder holds `owner*.pub` or `links/` opens with them, as that folder.
pub fn resolve_chain(path: Option<&Path>, flags: &ChainFlags) -> Result<Opened, String> {
    let mut o = Opened {
        layout: flags.layout.clone(),
        chain: ChainSpec {
            keys: flags.verification_keys.clone(),
            owner_trust: app::OwnerTrust::Given,
            link_dir: flags.link_dir.clone(),
            params: (!flags.params.is_empty()).then(|| flags.params.iter().cloned().collect()),
            workdir: None,
            inspection_timeout: flags.inspection_timeout,
        },
    };
    if let Some(p) = path {
        if p.is_dir() {
            let root = p.join("root.layout");
            if o.layout.is_none() {
                if !root.exists() {
                    return Err(no_root_layout(p));
                }
                o.layout = Some(root);
            }
            discover(p, &mut o)?;
        } else if o.layout.is_none() {
            o.layout = Some(p.to_path_buf());
        } else {
            return Err("give the layout either as PATH or with --layout, not both".into());
        }
    }
    // A layout file opened beside its chain: the folder's keys and links.
    if let Some(layout) = o.layout.clone()
        && path.is_none_or(|p| !p.is_dir())
        && layout.is_file()
    {
        let dir = match layout.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if dir.join("links").is_dir() || !owner_keys_in(&dir)?.is_empty() {
            discover(&dir, &mut o)?;
        }
    }
    if o.chain.link_dir.is_none() && !o.chain.keys.is_empty() {
        o.chain.link_dir = Some(PathBuf::from("."));
    }
    Ok(o)
}

/// What a chain's folder brings that the flags did not give: owner keys `owner*.pub`
/// (trusted as the bundle's own), `links/` and `workdir/`.
fn discover(dir: &Path, o: &mut Opened) -> Result<(), String> {
    if o.chain.keys.is_empty() {
        let keys = owner_keys_in(dir)?;
        if !keys.is_empty() {
            o.chain.owner_trust = app::OwnerTrust::FromBundle;
            o.chain.keys = keys;
        }
    }
    if o.chain.link_dir.is_none() && dir.join("links").is_dir() {
        o.chain.link_dir = Some(dir.join("links"));
    }
    if o.chain.workdir.is_none() && dir.join("workdir").is_dir() {
        o.chain.workdir = Some(dir.join("workdir"));
    }
    if o.chain.link_dir.is_none() && !o.chain.keys.is_empty() {
        o.chain.link_dir = Some(dir.to_path_buf());
    }
    Ok(())
}

/// The `owner*.pub` files in `dir`, sorted.
fn owner_keys_in(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut keys: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|f| {
            let n = f
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            n.starts_with("owner") && n.ends_with(".pub") && f.is_file()
        })
        .collect();
    keys.sort();
    Ok(keys)
}

/// The error for a folder without `root.layout`: the layouts it has, if any.
fn no_root_layout(dir: &Path) -> String {
    let mut layouts: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "layout") && p.is_file())
                .map(|p| p.display().to_string())
                .collect()
        })
        .unwrap_or_default();
    layouts.sort();
    if layouts.is_empty() {
        format!(
            "{} has no root.layout: give a layout file (a new file name starts a new layout)",
            dir.display()
        )
    } else {
        format!(
            "{} has no root.layout; layouts there: {} (open one of them)",
            dir.display(),
            layouts.join(", ")
        )
    }
}

/// Trust the owner keys a folder brought (`owner*.pub`) only if each is one of `trusted`
/// (the config's `trusted_owner_keys`), compared by keyid. A trusted key file that cannot
/// be read is an error (the user asked for it).
pub fn check_owner_trust(chain: &mut ChainSpec, trusted: &[PathBuf]) -> Result<(), String> {
    if chain.owner_trust != app::OwnerTrust::FromBundle || trusted.is_empty() {
        return Ok(());
    }
    let anchors: Vec<String> = crate::crypto::load_public_keys(trusted)
        .map_err(|e| format!("trusted_owner_keys: {e}"))?
        .into_iter()
        .map(|k| k.keyid)
        .collect();
    let all_trusted = !chain.keys.is_empty()
        && crate::crypto::load_public_keys(&chain.keys)
            .is_ok_and(|keys| keys.iter().all(|k| anchors.contains(&k.keyid)));
    if all_trusted {
        chain.owner_trust = app::OwnerTrust::Trusted;
    }
    Ok(())
}

/// Restore the terminal (mouse off, cursor shown, then ratatui's restore: raw mode off,
/// main screen).
pub fn restore_terminal() {
    // The alternate screen is cleared before it is left: tmux copies lines of it to the
    // main screen when the pane grew while it was shown.
    let _ = execute!(
        std::io::stdout(),
        DisableMouseCapture,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All),
        crossterm::cursor::Show
    );
    ratatui::restore();
}

/// Raw mode and the alternate screen (ratatui's `init`, which also restores the terminal
/// before a panic message), mouse reporting if asked, and the `SIGABRT` restore.
fn setup_terminal(mouse: bool) -> std::io::Result<ratatui::DefaultTerminal> {
    fatal::install();
    let terminal = ratatui::try_init()?;
    if mouse {
        execute!(std::io::stdout(), EnableMouseCapture)?;
    }
    Ok(terminal)
}

/// Build the app (document, autosave recovery, first verification) without a terminal.
pub fn build_app(opened: &Opened, opts: Options) -> Result<App, String> {
    let mut opts = opts;
    opts.path = opened.layout.clone();
    opts.chain = opened.chain.clone();
    let doc = match &opened.layout {
        Some(p) if p.exists() => doc::Document::open(p).map_err(|e| e.to_string())?,
        Some(p) => {
            let mut d = doc::Document::new(opts.clock.now());
            d.path = Some(p.clone());
            d
        }
        None => doc::Document::new(opts.clock.now()),
    };
    let mut app = App::new(doc, opts);
    app.key_names =
        crate::verify::report::KeyNames::for_chain(&opened.chain.keys, opened.layout.as_deref());
    if let Some((layout, when)) = app.autosave_pending() {
        app.recoverable = Some(layout);
        app.overlays
            .push(dialogs::Overlay::Confirm(dialogs::Confirm {
                title: "Recover unsaved work?".into(),
                body: vec![
                    format!(
                        "An autosave of {} from {when} differs from the file.",
                        app.doc
                            .path
                            .as_deref()
                            .map(|p| doc::autosave::canonical(p).display().to_string())
                            .unwrap_or_else(|| app.doc.title())
                    ),
                    "It is left from a session that did not end cleanly.".into(),
                ],
                purpose: action::ConfirmPurpose::Recover,
                choices: vec![('r', "recover it".into()), ('d', "discard it".into())],
            }));
    }
    // Owner keys and links chosen for this layout in an earlier session (C), unless the
    // command line gave keys.
    if !app.can_verify()
        && let (Some(dir), Some(layout)) = (app.autosave_dir.clone(), opened.layout.as_deref())
        && let Some(chosen) = chosen::load(&dir, layout)
    {
        let names = crate::verify::report::KeyNames::from_files(&chosen.keys, &[]);
        app.use_chosen(chosen, names);
        app.info("verifying with the owner keys and link directory chosen for this layout before (C changes them)");
    }
    if app.can_verify() && opened.layout.as_ref().is_some_and(|p| p.exists()) {
        app.start_verify();
    }
    Ok(app)
}

/// Run a background job to completion (on the calling thread); `progress` gets stage
/// descriptions.
pub fn run_job(job: Job, progress: Option<crate::verify::Progress>) -> Action {
    match job {
        Job::Verify {
            layout,
            key_paths,
            mut opts,
            generation,
            what_if,
            scratch_inspections,
        } => {
            let keys = match crate::crypto::load_public_keys(&key_paths) {
                Ok(k) => k,
                Err(e) => return Action::VerifyFailed(generation, e.to_string()),
            };
            opts.progress = progress;
            // Inspections run in a scratch copy of the working directory, so the chain's
            // folder is never changed (inspections often extract files) and replays repeat.
            // If no scratch copy can be made, inspections do not run at all (never in the
            // chain's own folder).
            let mut not_copied = Vec::new();
            let _scratch = if opts.run_inspections && scratch_inspections {
                let copied =
                    crate::fsutil::ScratchDir::new("intoto-studio-inspect").and_then(|d| {
                        let copy = d.path().join("workdir");
                        let skipped = crate::fsutil::copy_tree(&opts.workdir, &copy)?;
                        Ok((d, copy, skipped))
                    });
                match copied {
                    Ok((d, copy, skipped)) => {
                        opts.workdir = copy;
                        not_copied = skipped;
                        Some(d)
                    }
                    Err(e) => {
                        let e =
                            e.context("the scratch copy of the working directory for inspections");
                        return Action::VerifyDone(
                            Box::new(crate::verify::load_failure(e)),
                            generation,
                            link_files_in(&opts.link_dir),
                        );
                    }
                }
            } else {
                None
            };
            let mut report = match &what_if {
                Some(w) => crate::verify::verify_metadata(
                    &layout,
                    &keys,
                    &opts,
                    &whatif::WhatIfLinks { what_if: w },
                ),
                None => {
                    crate::verify::verify_metadata(&layout, &keys, &opts, &crate::verify::FsLinks)
                }
            };
            for p in not_copied {
                report.notes.push(format!(
                    "{} was not copied into the inspections' scratch folder: it is no regular \
                     file, directory or symlink (a FIFO, socket or device)",
                    p.display()
                ));
            }
            Action::VerifyDone(Box::new(report), generation, link_files_in(&opts.link_dir))
        }
    }
}

/// The `.link` files directly in `dir`, sorted (for the link browser's list of files that
/// verification did not read).
fn link_files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "link") && p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Carry out `effects` and whatever their outcomes lead to: file work here and now (its
/// outcome goes through the reducer at once), verifications handed to `spawn`.
pub fn drive(app: &mut App, effects: Vec<Effect>, spawn: &mut dyn FnMut(Job)) {
    let mut queue = std::collections::VecDeque::from(effects);
    while let Some(e) = queue.pop_front() {
        match e {
            Effect::Verify(job) => spawn(job),
            other => {
                if let Some(outcome) = effect::run(other) {
                    queue.extend(app.update(outcome));
                }
            }
        }
    }
}

/// [`App::update`] followed by [`drive`].
pub fn dispatch(app: &mut App, action: Action, spawn: &mut dyn FnMut(Job)) {
    let effects = app.update(action);
    drive(app, effects, spawn);
}

/// [`App::on_key`] followed by [`drive`].
pub fn dispatch_key(app: &mut App, key: event::KeyEvent, spawn: &mut dyn FnMut(Job)) {
    let effects = app.on_key(key);
    drive(app, effects, spawn);
}

fn spawn_job(job: Job, tx: mpsc::Sender<Msg>) {
    std::thread::spawn(move || {
        let ptx = tx.clone();
        let progress = crate::verify::Progress::new(move |p: &str| {
            let _ = ptx.send(Msg::Action(Action::VerifyProgress(p.to_string())));
        });
        let done = run_job(job, Some(progress));
        let _ = tx.send(Msg::Action(done));
    });
}

/// Run the TUI until the user quits. Returns the process exit code.
pub fn run(opened: Opened, opts: Options) -> i32 {
    let mut app = match build_app(&opened, opts) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("intoto-studio: {e}");
            return 1;
        }
    };
    // Restore the terminal on panic, keeping the panic message readable.
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        prev(info);
    }));
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
    ] {
        let _ = signal_hook::flag::register(sig, stop.clone());
    }
    let mut terminal = match setup_terminal(app.mouse) {
        Ok(t) => t,
        Err(e) => {
            restore_terminal();
            eprintln!("intoto-studio: cannot use the terminal: {e}");
            return 1;
        }
    };
    let (tx, rx) = mpsc::channel::<Msg>();
    {
        let tx = tx.clone();
        std::thread::spawn(move || {
            loop {
                match event::poll(Duration::from_millis(200)) {
                    Ok(true) => match event::read() {
                        Ok(ev) => {
                            if tx.send(Msg::Term(ev)).is_err() {
                                break;
                            }
                        }
                        Err(_) => break,
                    },
                    Ok(false) => {}
                    Err(_) => break,
                }
            }
        });
    }
    let mut mouse_on = app.mouse;
    let mut dirty = true;
    let spawn_tx = tx.clone();
    let mut spawn = move |job: Job| spawn_job(job, spawn_tx.clone());
    let first = app.take_effects();
    drive(&mut app, first, &mut spawn);
    loop {
        if app.mouse != mouse_on {
            mouse_on = app.mouse;
            let _ = if mouse_on {
                execute!(std::io::stdout(), EnableMouseCapture)
            } else {
                execute!(std::io::stdout(), DisableMouseCapture)
            };
        }
        if dirty {
            let mut hits = app::HitMap::default();
            if let Err(e) = terminal.draw(|f| hits = ui::draw(f, &app)) {
                restore_terminal();
                eprintln!("intoto-studio: drawing failed: {e}");
                return 1;
            }
            // Where things went on screen: no effects come of it, and no new frame.
            dispatch(&mut app, Action::Drawn(Box::new(hits)), &mut spawn);
            dirty = false;
        }
        if app.quit || stop.load(Ordering::Relaxed) {
            break;
        }
        let first = match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(m) => Some(m),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let mut batch: Vec<Msg> = first.into_iter().collect();
        while let Ok(m) = rx.try_recv() {
            batch.push(m);
        }
        if batch.is_empty() {
            dispatch(&mut app, Action::Tick, &mut spawn);
            dirty = true;
            continue;
        }
        for m in batch {
            dirty = true;
            match m {
                Msg::Action(a) => dispatch(&mut app, a, &mut spawn),
                Msg::Term(Event::Key(k)) if k.kind != KeyEventKind::Release => {
                    dispatch_key(&mut app, k, &mut spawn)
                }
                Msg::Term(Event::Mouse(me)) => {
                    let action = match me.kind {
                        MouseEventKind::Down(MouseButton::Left) => Action::Click {
                            col: me.column,
                            row: me.row,
                        },
                        MouseEventKind::ScrollDown => Action::Scroll {
                            col: me.column,
                            row: me.row,
                            delta: 1,
                        },
                        MouseEventKind::ScrollUp => Action::Scroll {
                            col: me.column,
                            row: me.row,
                            delta: -1,
                        },
                        _ => {
                            dirty = false;
                            continue;
                        }
                    };
                    dispatch(&mut app, action, &mut spawn);
                }
                Msg::Term(_) => {}
            }
            if app.quit {
                break;
            }
        }
    }
    // Unsaved work survives a signal: keep an autosave.
    if app.doc.is_dirty() && !app.quit {
        let _ = app.autosave_now();
    }
    restore_terminal();
    0
}
