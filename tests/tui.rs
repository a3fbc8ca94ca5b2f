//! The TUI without a terminal: state/action tests for editing, and insta snapshots of
//! every screen rendered on ratatui's `TestBackend`.

mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use intoto_studio::clock::Clock;
use intoto_studio::model::edit::{ItemKind, ItemRef};
use intoto_studio::tui::ChainFlags;
use intoto_studio::tui::action::Action;
use intoto_studio::tui::app::{App, Job, Options, Tab};
use intoto_studio::tui::keys::KeyMap;
use intoto_studio::tui::theme::Theme;
use intoto_studio::tui::{self, resolve_chain};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};

const CASES: &str = "tests/fixtures/conformance/cases";

/// The instant every test here runs at: no test depends on today's date.
const T0: &str = "2026-01-01T00:00:00Z";

/// Autosave goes to a scratch folder, never the user's data dir.
fn autosave_dir() -> PathBuf {
    std::env::temp_dir().join(format!("intoto-studio-test-{}", std::process::id()))
}

fn options(theme: Theme) -> Options {
    Options {
        path: None,
        chain: Default::default(),
        theme,
        keymap: KeyMap::default(),
        mouse: true,
        run_inspections: false,
        clock: Clock::Fixed(T0.parse().unwrap()),
        autosave_dir: Some(autosave_dir()),
    }
}

/// Open a conformance case like `intoto-studio --layout … --verification-keys … --link-dir …`
/// and finish its verification.
fn open_case(name: &str) -> App {
    open_case_at(&PathBuf::from(CASES).join(name))
}

/// [`open_case`] for a case folder anywhere (a copy made with [`copy_case`]).
fn open_case_at(dir: &Path) -> App {
    let flags = ChainFlags {
        layout: Some(dir.join("root.layout")),
        verification_keys: vec![dir.join("alice.pub")],
        link_dir: Some(dir.join("links")),
        inspection_timeout: 10,
        ..Default::default()
    };
    let opened = resolve_chain(None, &flags).unwrap();
    let mut app = tui::build_app(&opened, options(Theme::dark())).unwrap();
    finish_jobs(&mut app);
    app
}

/// A copy of a conformance case in a scratch folder: (the folder's guard, the case folder).
fn copy_case(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    common::copy_dir(&PathBuf::from(CASES).join(name), &dir);
    (tmp, dir)
}

thread_local! {
    /// Verifications the app asked for, not run yet.
    static JOBS: std::cell::RefCell<std::collections::VecDeque<Job>> = Default::default();
}

fn queue(job: Job) {
    JOBS.with(|j| j.borrow_mut().push_back(job));
}

/// An action through the reducer, its file effects carried out as the event loop does;
/// verifications are queued for [`take_job`].
fn update(app: &mut App, action: Action) {
    tui::dispatch(app, action, &mut queue);
}

/// The next verification the app asked for.
fn take_job(app: &mut App) -> Option<Job> {
    let effects = app.take_effects();
    tui::drive(app, effects, &mut queue);
    JOBS.with(|j| j.borrow_mut().pop_front())
}

fn finish_jobs(app: &mut App) {
    while let Some(job) = take_job(app) {
        let done = tui::run_job(job, None);
        update(app, done);
    }
}

fn new_app() -> App {
    let opened = resolve_chain(None, &ChainFlags::default()).unwrap();
    tui::build_app(&opened, options(Theme::dark())).unwrap()
}

fn key(app: &mut App, code: KeyCode) {
    tui::dispatch_key(app, KeyEvent::new(code, KeyModifiers::NONE), &mut queue);
}

fn ch(app: &mut App, c: char) {
    key(app, KeyCode::Char(c));
}

fn ctrl(app: &mut App, c: char) {
    tui::dispatch_key(
        app,
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL),
        &mut queue,
    );
}

fn typ(app: &mut App, text: &str) {
    for c in text.chars() {
        ch(app, c);
    }
}

/// Clear an input line (Ctrl-u deletes to the start in the editor widget).
fn clear_input(app: &mut App) {
    tui::dispatch_key(
        app,
        KeyEvent::new(KeyCode::End, KeyModifiers::NONE),
        &mut queue,
    );
    for _ in 0..80 {
        key(app, KeyCode::Backspace);
    }
}

fn render(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut hits = Default::default();
    t.draw(|f| hits = tui::ui::draw(f, app)).unwrap();
    update(app, Action::Drawn(Box::new(hits)));
    let buf = t.backend().buffer().clone();
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ---- editing: state and actions ---------------------------------------------------------

#[test]
fn author_a_layout_with_keys_only() {
    let mut app = new_app();
    ch(&mut app, 'a');
    clear_input(&mut app);
    typ(&mut app, "clone");
    key(&mut app, KeyCode::Enter);
    ch(&mut app, 'a');
    clear_input(&mut app);
    typ(&mut app, "build");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.doc
            .layout
            .steps
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["clone", "build"]
    );
    // Add a rule to build's materials: detail pane, go to the materials header, `a`.
    key(&mut app, KeyCode::Enter); // focus details
    let rows = app.detail_rows();
    let header = rows
        .iter()
        .position(|r| matches!(r, tui::app::Row::RuleSet(_)))
        .unwrap();
    for _ in 0..header {
        key(&mut app, KeyCode::Down);
    }
    ch(&mut app, 'a');
    typ(&mut app, "MATCH * WITH PRODUCTS FROM cl");
    key(&mut app, KeyCode::Tab); // completes "clone"
    key(&mut app, KeyCode::Enter);
    ch(&mut app, 'a');
    typ(&mut app, "DISALLOW *");
    key(&mut app, KeyCode::Enter);
    let b = &app.doc.layout.steps[1];
    assert_eq!(
        b.expected_materials
            .iter()
            .map(|r| r.joined())
            .collect::<Vec<_>>(),
        ["MATCH * WITH PRODUCTS FROM clone", "DISALLOW *"]
    );
    // Reorder: the selected rule is DISALLOW *; move it up.
    ch(&mut app, 'K');
    assert_eq!(
        app.doc.layout.steps[1].expected_materials[0].joined(),
        "DISALLOW *"
    );
    // Undo the move, then redo it, then undo again.
    ch(&mut app, 'u');
    assert_eq!(
        app.doc.layout.steps[1].expected_materials[1].joined(),
        "DISALLOW *"
    );
    ctrl(&mut app, 'r');
    assert_eq!(
        app.doc.layout.steps[1].expected_materials[0].joined(),
        "DISALLOW *"
    );
    ch(&mut app, 'u');
    // Rename clone: the MATCH rule follows.
    key(&mut app, KeyCode::Esc);
    app.selection = Some(tui::app::Selection::Item(ItemRef {
        kind: ItemKind::Step,
        index: 0,
    }));
    ch(&mut app, 'r');
    clear_input(&mut app);
    typ(&mut app, "fetch");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.doc.layout.steps[0].name, "fetch");
    assert_eq!(
        app.doc.layout.steps[1].expected_materials[0].joined(),
        "MATCH * WITH PRODUCTS FROM fetch"
    );
    assert!(app.doc.is_dirty());
}

#[test]
fn invalid_rules_are_refused_live() {
    let mut app = new_app();
    ch(&mut app, 'a');
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter); // details
    ch(&mut app, 'a');
    typ(&mut app, "MATCH * FROM nowhere");
    key(&mut app, KeyCode::Enter); // refused: the input stays open
    assert_eq!(app.overlays.len(), 1);
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("✗ Wrong rule format"), "{screen}");
    key(&mut app, KeyCode::Esc);
    assert!(app.overlays.is_empty());
    assert!(app.doc.layout.steps[0].expected_materials.is_empty());
}

#[test]
fn quitting_with_unsaved_changes_asks() {
    let mut app = new_app();
    ch(&mut app, 'q');
    assert!(app.quit, "an unmodified layout quits at once");
    let mut app = new_app();
    ch(&mut app, 'a');
    key(&mut app, KeyCode::Enter);
    ch(&mut app, 'q');
    assert!(!app.quit);
    assert_eq!(app.overlays.len(), 1);
    key(&mut app, KeyCode::Esc);
    assert!(!app.quit && app.overlays.is_empty());
    ch(&mut app, 'q');
    ch(&mut app, 'd');
    assert!(app.quit);
}

#[test]
fn save_sign_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app();
    ch(&mut app, 'a');
    key(&mut app, KeyCode::Enter);
    // Sign with alice's key (DSSE), then save under a new name.
    ch(&mut app, 'S');
    typ(
        &mut app,
        "tests/fixtures/keys/TEST-ONLY-alice-ed25519.private.pem",
    );
    key(&mut app, KeyCode::Enter);
    ch(&mut app, 'f'); // switch to DSSE
    ch(&mut app, 's');
    ctrl(&mut app, 's'); // no file name yet: asks
    clear_input(&mut app);
    let target = dir.path().join("root.layout");
    typ(&mut app, &target.display().to_string());
    key(&mut app, KeyCode::Enter);
    assert!(!app.doc.is_dirty());
    let md = intoto_studio::model::envelope::Metadata::load(&target).unwrap();
    assert_eq!(md.format(), intoto_studio::model::envelope::Format::Dsse);
    let alice = intoto_studio::crypto::load_public_keys(&[Path::new(
        "tests/fixtures/keys/TEST-ONLY-alice-ed25519.pub.pem",
    )
    .to_path_buf()])
    .unwrap();
    md.verify_signature(&alice[0]).unwrap();
    // No private key text ever reaches the screen.
    let screen = render(&mut app, 120, 30);
    assert!(!screen.contains("PRIVATE KEY"));
}

/// The sign dialog offers to generate the owner key when no file is at the path given:
/// the new key (private 0600, public beside it) signs the layout, which then verifies with
/// the new public key, and it is not added to the functionaries' keys.
#[test]
fn the_sign_dialog_generates_the_owner_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app();
    ch(&mut app, 'a');
    key(&mut app, KeyCode::Enter);
    ch(&mut app, 'S');
    let owner = dir.path().join("owner");
    typ(&mut app, &owner.display().to_string());
    key(&mut app, KeyCode::Enter);
    take_job(&mut app);
    let screen = render(&mut app, 120, 30);
    assert!(
        screen.contains("Generate a new ed25519 owner key"),
        "{screen}"
    );
    assert!(!owner.exists());
    ch(&mut app, 'g');
    take_job(&mut app);
    let screen = render(&mut app, 120, 30);
    assert!(screen.contains("Signer:"), "{screen}");
    ch(&mut app, 's');
    assert!(
        app.doc.layout.keys.is_empty(),
        "the owner key is no functionary key"
    );
    ctrl(&mut app, 's');
    clear_input(&mut app);
    let target = dir.path().join("root.layout");
    typ(&mut app, &target.display().to_string());
    key(&mut app, KeyCode::Enter);
    take_job(&mut app);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&owner).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let md = intoto_studio::model::envelope::Metadata::load(&target).unwrap();
    let pubkey = intoto_studio::crypto::load_public_keys(&[dir.path().join("owner.pub")]).unwrap();
    md.verify_signature(&pubkey[0]).unwrap();
}

/// The reducer changes state only: saving, reading a key and verifying come back as
/// effects, and nothing reaches the disk until the event loop carries them out.
#[test]
fn the_reducer_asks_for_file_work_and_does_none() {
    use intoto_studio::tui::effect::Effect;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("root.layout");
    let mut app = new_app();
    app.doc.path = Some(target.clone());
    ch(&mut app, 'a');
    key(&mut app, KeyCode::Enter);
    assert!(app.doc.is_dirty());

    let effects = app.on_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
    assert!(
        matches!(&effects[..], [Effect::Save { path, .. }] if *path == target),
        "{effects:?}"
    );
    assert!(!target.exists(), "the reducer wrote nothing");
    assert!(app.doc.is_dirty(), "not saved until the write is done");
    tui::drive(&mut app, effects, &mut queue);
    assert!(target.exists());
    assert!(!app.doc.is_dirty());

    // A failed write is reported, and the document stays unsaved.
    ch(&mut app, 'a');
    key(&mut app, KeyCode::Enter);
    app.doc.path = Some(dir.path().join("no-such-dir").join("root.layout"));
    ctrl(&mut app, 's');
    assert!(app.doc.is_dirty());
    let status = app.status.as_ref().expect("a message");
    assert!(
        status.error && status.text.starts_with("save failed"),
        "{}",
        status.text
    );

    // The signing key is read by an effect too.
    ch(&mut app, 'S');
    typ(
        &mut app,
        "tests/fixtures/keys/TEST-ONLY-alice-ed25519.private.pem",
    );
    let effects = app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert!(
        matches!(&effects[..], [Effect::ReadSignKey { password: None, .. }]),
        "{effects:?}"
    );

    // Tab in a path input: the folder is read by an effect, and the completion lands in
    // the input.
    tui::drive(&mut app, effects, &mut queue);
    key(&mut app, KeyCode::Esc);
    ch(&mut app, 'S');
    typ(&mut app, "tests/fixtures/keys/TEST-ONLY-alice-ed25519.pri");
    let effects = app.on_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    assert!(
        matches!(&effects[..], [Effect::CompletePath { .. }]),
        "{effects:?}"
    );
    tui::drive(&mut app, effects, &mut queue);
    let Some(tui::dialogs::Overlay::Input(inp)) = app.overlays.last() else {
        panic!("the key input is open");
    };
    assert_eq!(
        inp.text(),
        "tests/fixtures/keys/TEST-ONLY-alice-ed25519.private.pem"
    );
}

#[test]
fn lint_enter_jumps_to_the_rule() {
    let mut app = new_app();
    ch(&mut app, 'a');
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    ch(&mut app, 'a');
    typ(&mut app, "MATCH * WITH PRODUCTS FROM ghost");
    key(&mut app, KeyCode::Enter);
    ch(&mut app, '4');
    assert_eq!(app.tab, Tab::Lint);
    let row = app
        .lint
        .iter()
        .position(|f| f.rule_index == Some(0))
        .expect("a finding on the rule");
    app.lint_tab.row = row;
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.tab, Tab::Chain);
    assert!(matches!(app.current_row(), Some(tui::app::Row::Rule(_, 0))));
}

// ---- snapshots ---------------------------------------------------------------------------

#[test]
fn snapshot_graph_and_details() {
    let mut app = open_case("pass-demo-chain-legacy");
    insta::assert_snapshot!(
        "chain_passed_inspections_pending",
        render(&mut app, 140, 34)
    );
}

#[test]
fn snapshot_help_overlay() {
    let mut app = open_case("pass-demo-chain-legacy");
    ch(&mut app, '?');
    let s = render(&mut app, 120, 40);
    assert!(s.contains("quit"));
    insta::assert_snapshot!("help", s);
    key(&mut app, KeyCode::Esc);
    assert!(app.overlays.is_empty());
}

#[test]
fn snapshot_editors() {
    let mut app = open_case("pass-demo-chain-legacy");
    key(&mut app, KeyCode::Enter);
    // A rule editor on the first material rule of the first step with rules.
    let rows = app.detail_rows();
    let first_rule = rows
        .iter()
        .position(|r| matches!(r, tui::app::Row::Rule(..)));
    if let Some(p) = first_rule {
        app.detail_row = p;
    }
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("rule_editor", render(&mut app, 120, 30));
    key(&mut app, KeyCode::Esc);
    app.detail_row = 1; // threshold
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("threshold_editor", render(&mut app, 120, 30));
    key(&mut app, KeyCode::Esc);
    app.detail_row = 2; // functionaries
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("functionaries_picker", render(&mut app, 120, 30));
    key(&mut app, KeyCode::Esc);
    // The inspection's command editor.
    app.selection = Some(tui::app::Selection::Item(ItemRef {
        kind: ItemKind::Inspection,
        index: 0,
    }));
    app.detail_row = 1;
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("run_editor", render(&mut app, 120, 30));
    key(&mut app, KeyCode::Esc);
    ch(&mut app, '3');
    ch(&mut app, 'x');
    insta::assert_snapshot!("expiry_editor", render(&mut app, 120, 30));
    key(&mut app, KeyCode::Esc);
    ch(&mut app, 'e');
    insta::assert_snapshot!("readme_editor", render(&mut app, 120, 30));
}

#[test]
fn snapshot_tabs() {
    let mut app = open_case("pass-demo-chain-legacy");
    ch(&mut app, '2');
    insta::assert_snapshot!("keys_tab", render(&mut app, 120, 24));
    ch(&mut app, '3');
    insta::assert_snapshot!("layout_tab", render(&mut app, 120, 24));
    ch(&mut app, '4');
    insta::assert_snapshot!("lint_tab", render(&mut app, 120, 24));
    ch(&mut app, '5');
    insta::assert_snapshot!("verify_tab", render(&mut app, 120, 30));
}

#[test]
fn snapshot_sign_dialog_and_unsaved_prompt() {
    let mut app = open_case("pass-demo-chain-legacy");
    ch(&mut app, 'S');
    typ(
        &mut app,
        "tests/fixtures/keys/TEST-ONLY-alice-ed25519.private.pem",
    );
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("sign_summary", render(&mut app, 120, 30));
    key(&mut app, KeyCode::Esc);
    update(
        &mut app,
        tui::action::Action::Cmd(tui::keys::Cmd::AddInspection),
    );
    key(&mut app, KeyCode::Enter);
    ch(&mut app, 'q');
    insta::assert_snapshot!("unsaved_changes", render(&mut app, 120, 30));
}

#[test]
fn snapshot_narrow_terminal() {
    let mut app = open_case("pass-demo-chain-legacy");
    let s = render(&mut app, 60, 24);
    for n in ["clone", "update-version", "package", "untar"] {
        assert!(s.contains(n), "{n} visible on a narrow terminal:\n{s}");
    }
    insta::assert_snapshot!("narrow", s);
}

#[test]
fn snapshot_empty_layout() {
    let mut app = new_app();
    insta::assert_snapshot!("empty", render(&mut app, 100, 20));
}

/// A screen with its styles: the text, then each distinct style as a letter grid and a
/// legend. Pins what every theme looks like, not just the characters.
fn render_styled(app: &mut App, w: u16, h: u16) -> (String, Vec<(ratatui::style::Style, String)>) {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut hits = Default::default();
    t.draw(|f| hits = tui::ui::draw(f, app)).unwrap();
    update(app, Action::Drawn(Box::new(hits)));
    let buf = t.backend().buffer().clone();
    let mut styles: Vec<ratatui::style::Style> = Vec::new();
    let mut grid = String::new();
    let mut cells = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let c = &buf[(x, y)];
            let st = c.style();
            let i = styles.iter().position(|s| *s == st).unwrap_or_else(|| {
                styles.push(st);
                styles.len() - 1
            });
            grid.push((b'a' + (i % 26) as u8) as char);
            cells.push((st, c.symbol().to_string()));
        }
        grid.push('\n');
    }
    let legend: String = styles
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "{}: fg={:?} bg={:?} mod={:?}\n",
                (b'a' + (i % 26) as u8) as char,
                s.fg,
                s.bg,
                s.add_modifier
            )
        })
        .collect();
    let text = render(app, w, h);
    (format!("{text}\n\n{grid}\n{legend}"), cells)
}

#[test]
fn snapshot_every_theme_is_legible() {
    use intoto_studio::tui::theme::BUILTIN;
    let mut themes: Vec<Theme> = BUILTIN
        .iter()
        .map(|(n, _)| Theme::builtin(n).unwrap())
        .collect();
    themes.push(Theme::monochrome());
    for theme in themes {
        let mut app = open_case("fail-tampered-artifact-legacy");
        app.theme = theme.clone();
        let (w, h) = (120, 24);
        let (snap, cells) = render_styled(&mut app, w, h);
        // The hint bar (last row) and every status glyph must be legible: a colour pair
        // that differs, or no colours at all (the terminal's own).
        let legible = |st: &ratatui::style::Style| match (st.fg, st.bg) {
            (Some(ratatui::style::Color::Reset), _) | (_, Some(ratatui::style::Color::Reset)) => {
                true
            }
            (Some(f), Some(b)) => f != b,
            _ => true,
        };
        for (i, (st, sym)) in cells.iter().enumerate() {
            let last_row = i / w as usize == h as usize - 1;
            if (last_row && sym.trim() != "") || ["✓", "✗", "!", "·"].contains(&sym.as_str()) {
                assert!(legible(st), "{}: '{sym}' is illegible ({st:?})", theme.name);
            }
        }
        assert_ne!(theme.ok, theme.error, "{}", theme.name);
        insta::assert_snapshot!(format!("theme_{}", theme.name), snap);
    }
}

/// Open a conformance case as a chain folder (links/ and workdir/ found by the folder,
/// the owner key given like --verification-keys), with inspections confirmed.
fn open_case_folder(name: &str) -> App {
    let mut app = open_folder_unverified(&PathBuf::from(CASES).join(name));
    finish_jobs(&mut app);
    app
}

/// A chain folder opened with inspections confirmed; its verification job not yet run.
fn open_folder_unverified(dir: &Path) -> App {
    let flags = ChainFlags {
        verification_keys: vec![dir.join("alice.pub")],
        inspection_timeout: 10,
        ..Default::default()
    };
    let opened = resolve_chain(Some(dir), &flags).unwrap();
    let mut opts = options(Theme::dark());
    opts.run_inspections = true;
    tui::build_app(&opened, opts).unwrap()
}

/// A layout file opened beside `owner.pub` and `links/` is verified like its folder; a
/// folder without `root.layout` says so and names the layouts it has.
#[test]
fn a_layout_beside_its_chain_opens_verified() {
    let dir = Path::new("examples/demo-tampered-artifact");
    let opened = resolve_chain(Some(&dir.join("root.layout")), &ChainFlags::default()).unwrap();
    assert_eq!(opened.chain.keys, vec![dir.join("owner.pub")]);
    assert_eq!(opened.chain.link_dir.as_deref(), Some(&*dir.join("links")));
    let mut app = tui::build_app(&opened, options(Theme::dark())).unwrap();
    finish_jobs(&mut app);
    let report = app.verify.report.clone().expect("verified at once");
    let failure = report
        .failure
        .as_ref()
        .expect("the tampered artifact fails");
    assert_eq!(failure.item.as_deref(), Some("package"));

    // A layout alone (no keys or links beside it) opens for editing, unverified.
    let lone = tempfile::tempdir().unwrap();
    std::fs::copy(dir.join("root.layout"), lone.path().join("a.layout")).unwrap();
    let opened =
        resolve_chain(Some(&lone.path().join("a.layout")), &ChainFlags::default()).unwrap();
    assert!(opened.chain.keys.is_empty());

    let err = resolve_chain(Some(lone.path()), &ChainFlags::default()).unwrap_err();
    assert!(err.contains("has no root.layout"), "{err}");
    assert!(err.contains("a.layout"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let err = resolve_chain(Some(empty.path()), &ChainFlags::default()).unwrap_err();
    assert!(err.contains("has no root.layout"), "{err}");
}

/// Keyids are shown with the names of the `.pub` files beside the layout: the link of the
/// unauthorized-functionary example is signed by `mallory`, the step's key is `bob`'s.
#[test]
fn keys_are_named_after_their_files() {
    let dir = Path::new("examples/demo-unauthorized-functionary");
    let opened = resolve_chain(Some(dir), &ChainFlags::default()).unwrap();
    let mut app = tui::build_app(&opened, options(Theme::dark())).unwrap();
    finish_jobs(&mut app);
    ch(&mut app, '5');
    let screen = render(&mut app, 200, 40);
    assert!(screen.contains("(mallory)"), "{screen}");
    ch(&mut app, '2');
    let screen = render(&mut app, 200, 40);
    assert!(screen.contains("bob"), "{screen}");
    assert!(screen.contains("name"), "{screen}");
}

/// A failed inspection shows what it printed: the CRITICAL finding of the release gate.
#[test]
fn a_failed_inspection_shows_its_output() {
    let dir = Path::new("examples/container-failing-inspection");
    let flags = ChainFlags {
        inspection_timeout: 10,
        ..Default::default()
    };
    let opened = resolve_chain(Some(dir), &flags).unwrap();
    let mut opts = options(Theme::dark());
    opts.run_inspections = true;
    let mut app = tui::build_app(&opened, opts).unwrap();
    finish_jobs(&mut app);
    let report = app.verify.report.clone().expect("a report");
    let fl = report.failure.as_ref().expect("the gate fails");
    assert_eq!(fl.item.as_deref(), Some("check-report"));
    let screen = render(&mut app, 200, 40);
    assert!(screen.contains("stderr"), "{screen}");
    assert!(screen.contains("EXAMPLE-2024-0001"), "{screen}");
    ch(&mut app, '5');
    let screen = render(&mut app, 200, 40);
    assert!(
        screen.contains("CRITICAL finding(s) in scan-report.json"),
        "{screen}"
    );
}

/// Each failure class of the shared corpus: with no key press the failing item is
/// selected and the screen shows the failing rule and artifact (as the reference judged).
#[test]
fn snapshot_each_failure_class() {
    for case in [
        "fail-layout-bad-signature-dsse",
        "fail-expired-layout-legacy",
        "fail-missing-link-legacy",
        "fail-threshold-not-met-legacy",
        "fail-threshold-disagree-legacy",
        "fail-tampered-artifact-legacy",
        "fail-inspection-command-legacy",
        "fail-inspection-rule-legacy",
        "fail-sublayout-rule-legacy",
    ] {
        let expected: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(PathBuf::from(CASES).join(case).join("expected.json"))
                .unwrap(),
        )
        .unwrap();
        let mut app = open_case_folder(case);
        let report = app.verify.report.clone().expect("verified");
        assert!(!report.passed, "{case}");
        let screen = render(&mut app, 150, 40);
        let item = expected["failing_item"].as_str();
        let sub = expected["sublayout_path"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(|v| v.as_str());
        if let Some(want) = sub.or(item) {
            assert_eq!(
                app.selected_name().as_deref(),
                Some(want),
                "{case}: the failing item is selected"
            );
        }
        if let Some(rule) = expected["failing_rule"].as_array() {
            let text = rule
                .iter()
                .map(|t| t.as_str().unwrap())
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                screen.contains(&text),
                "{case}: rule '{text}' in view:\n{screen}"
            );
        }
        if let Some(a) = expected["failing_artifact"].as_str() {
            assert!(
                screen.contains(a),
                "{case}: artifact '{a}' in view:\n{screen}"
            );
        }
        if expected["error_class"] == "LayoutExpiredError" {
            assert!(screen.contains("expired"), "{case}:\n{screen}");
        }
        insta::assert_snapshot!(format!("failure_{case}"), screen);
    }
}

#[test]
fn sublayout_opens_as_its_own_graph() {
    let mut app = open_case_folder("fail-sublayout-rule-legacy");
    ch(&mut app, '5');
    // The failure is inside the sublayout: the tab opens it, with its graph.
    let s = render(&mut app, 140, 40);
    assert!(s.contains("Sublayout build"), "{s}");
    assert!(s.contains("compile") && s.contains("test"), "{s}");
    key(&mut app, KeyCode::Esc);
    let s = render(&mut app, 140, 40);
    assert!(!s.contains("Sublayout build"), "{s}");
    // O on the build row opens it again.
    app.report_view.row = 0;
    ch(&mut app, 'O');
    let s = render(&mut app, 140, 40);
    assert!(s.contains("Sublayout build"), "{s}");
    insta::assert_snapshot!("sublayout_graph", s);
}

/// What-if from the link browser: change an artifact's hash, the chain re-verifies at once
/// and fails where in-toto would; a banner says the view is hypothetical; nothing is written.
#[test]
fn what_if_hash_change_from_the_link_browser() {
    let mut app = open_case("pass-sublayout-legacy");
    assert!(app.verify.report.as_ref().unwrap().passed);
    let before = std::fs::read(
        PathBuf::from(CASES).join("pass-sublayout-legacy/links/package.2f898e60.link"),
    )
    .unwrap();
    ch(&mut app, '5');
    ch(&mut app, 'L');
    // Pick package's link and its first material.
    let report = app.verify.report.clone().unwrap();
    let idx = report
        .steps
        .iter()
        .flat_map(|s| s.links.iter())
        .position(|l| l.file.ends_with("package.2f898e60.link"))
        .unwrap();
    app.report_view.link = idx;
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert!(
        matches!(app.overlays.last(), Some(tui::dialogs::Overlay::Input(_))),
        "a hash input opens"
    );
    clear_input(&mut app);
    typ(&mut app, "00ff");
    key(&mut app, KeyCode::Enter);
    finish_jobs(&mut app);
    let r = app.verify.report.clone().unwrap();
    let f = r
        .failure
        .as_ref()
        .expect("the changed material no longer matches");
    assert_eq!(f.reference_error, "RuleVerificationError");
    assert_eq!(f.item.as_deref(), Some("package"));
    let screen = render(&mut app, 140, 30);
    assert!(screen.contains("WHAT-IF"), "{screen}");
    let after = std::fs::read(
        PathBuf::from(CASES).join("pass-sublayout-legacy/links/package.2f898e60.link"),
    )
    .unwrap();
    assert_eq!(before, after, "nothing is written to disk");
    // Leaving what-if verifies the real chain again.
    ch(&mut app, '!');
    finish_jobs(&mut app);
    assert!(app.verify.report.as_ref().unwrap().passed);
}

/// In the Chain tab: replace step #2's first material rule through the detail pane.
fn replace_first_material_rule_of_step_1(app: &mut App, rule: &str) {
    app.selection = Some(tui::app::Selection::Item(ItemRef {
        kind: ItemKind::Step,
        index: 1,
    }));
    app.focus = tui::app::Focus::Detail;
    app.detail_row = app
        .detail_rows()
        .iter()
        .position(|r| {
            matches!(
                r,
                tui::app::Row::Rule(intoto_studio::model::rule::ArtifactKind::Materials, 0)
            )
        })
        .unwrap();
    key(app, KeyCode::Enter);
    clear_input(app);
    typ(app, rule);
    key(app, KeyCode::Enter);
}

/// What-if: editing a rule re-verifies at once with the owner's signature assumed.
#[test]
fn what_if_rule_edit_replays_at_once() {
    let mut app = open_case("pass-sublayout-legacy");
    ch(&mut app, '!');
    // Pick "edit a rule" from the menu.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    finish_jobs(&mut app);
    assert!(app.verify.report.as_ref().unwrap().passed);
    // package: replace its first material rule by one that consumes nothing useful.
    replace_first_material_rule_of_step_1(&mut app, "ALLOW nothing-here");
    finish_jobs(&mut app);
    let r = app.verify.report.clone().unwrap();
    let f = r
        .failure
        .as_ref()
        .expect("the edited rule no longer accounts for bin/hello");
    assert_eq!(f.reference_error, "RuleVerificationError");
    assert_eq!(
        r.stage(intoto_studio::verify::report::Stage::LayoutSignatures)
            .status,
        intoto_studio::verify::report::Status::Passed
    );
}

/// What-if works on a copy: a rule edited there is named in the banner, saving and
/// signing are refused (the signed file stays as it was), autosave stays off, and `!`
/// brings back the real document exactly.
#[test]
fn what_if_never_writes_and_leaving_it_restores_the_real_layout() {
    let (_tmp, dir) = copy_case("pass-sublayout-legacy");
    let mut app = open_case_at(&dir);
    let signed = std::fs::read(dir.join("root.layout")).unwrap();
    let real = app.doc.layout.clone();
    ch(&mut app, '!');
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    finish_jobs(&mut app);
    replace_first_material_rule_of_step_1(&mut app, "ALLOW nothing-here");
    finish_jobs(&mut app);
    assert_ne!(app.doc.layout, real, "the copy is edited");
    let banner = app.what_if_banner().unwrap();
    assert!(banner.contains("rules of 'package' edited"), "{banner}");
    ctrl(&mut app, 's');
    let screen = render(&mut app, 160, 40);
    assert!(screen.contains("refused in what-if mode"), "{screen}");
    ch(&mut app, 'S');
    assert!(app.overlays.is_empty(), "no sign dialog in what-if");
    assert_eq!(std::fs::read(dir.join("root.layout")).unwrap(), signed);
    ch(&mut app, '!');
    assert!(app.verify.what_if.is_none());
    assert_eq!(app.doc.layout, real, "the real layout is back");
    assert!(!app.doc.is_dirty());
    finish_jobs(&mut app);
    assert!(app.verify.report.as_ref().unwrap().passed);
    ctrl(&mut app, 's');
    assert_eq!(
        std::fs::read(dir.join("root.layout")).unwrap(),
        signed,
        "nothing to save"
    );
}

/// Unsaved work left by a crash is offered back at the next start.
#[test]
fn autosave_is_offered_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("root.layout");
    let flags = ChainFlags {
        layout: Some(path.clone()),
        ..Default::default()
    };
    let opened = resolve_chain(None, &flags).unwrap();
    let mut app = tui::build_app(&opened, options(Theme::dark())).unwrap();
    ch(&mut app, 'a');
    key(&mut app, KeyCode::Enter);
    app.autosave_now().unwrap();
    drop(app); // the "crash": no save, no clean exit
    let mut again = tui::build_app(&opened, options(Theme::dark())).unwrap();
    assert!(again.doc.layout.steps.is_empty());
    let screen = render(&mut again, 100, 30);
    assert!(screen.contains("Recover unsaved work?"), "{screen}");
    ch(&mut again, 'r');
    assert_eq!(again.doc.layout.steps.len(), 1);
    assert!(again.doc.is_dirty());
}

/// The autosave belongs to one file: a new `a.layout` in another folder is not offered
/// the first one's work, the same file reached through a symlinked folder is, the prompt
/// names the file's full path, and a clean save removes it.
#[test]
fn autosave_is_keyed_by_the_canonical_path() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    std::os::unix::fs::symlink(&a, tmp.path().join("link-to-a")).unwrap();
    let open = |path: PathBuf| {
        let flags = ChainFlags {
            layout: Some(path),
            ..Default::default()
        };
        let opened = resolve_chain(None, &flags).unwrap();
        tui::build_app(&opened, options(Theme::dark())).unwrap()
    };
    let mut first = open(a.join("x.layout"));
    ch(&mut first, 'a');
    key(&mut first, KeyCode::Enter);
    first.autosave_now().unwrap();
    drop(first);
    let mut other = open(b.join("x.layout"));
    assert!(!render(&mut other, 120, 30).contains("Recover unsaved work?"));
    let mut same = open(tmp.path().join("link-to-a/x.layout"));
    let screen = render(&mut same, 160, 30);
    assert!(screen.contains("Recover unsaved work?"), "{screen}");
    let full = std::fs::canonicalize(&a).unwrap().join("x.layout");
    assert!(screen.contains(&full.display().to_string()), "{screen}");
    ch(&mut same, 'r');
    ctrl(&mut same, 's');
    assert!(a.join("x.layout").exists(), "saved");
    let again = open(a.join("x.layout"));
    assert!(
        again.overlays.is_empty(),
        "nothing left to recover after a clean save"
    );
}

/// After adding an item the detail cursor is on the new item's first row, never on a row
/// left from the item selected before.
#[test]
fn adding_an_item_puts_the_detail_cursor_on_its_first_row() {
    let mut app = open_case("pass-sublayout-legacy");
    app.selection = Some(tui::app::Selection::Item(ItemRef {
        kind: ItemKind::Step,
        index: 1,
    }));
    app.focus = tui::app::Focus::Detail;
    app.detail_row = app.detail_rows().len() - 1;
    for (add, name) in [('a', "fresh-step"), ('i', "fresh-inspection")] {
        app.focus = tui::app::Focus::Graph;
        ch(&mut app, add);
        clear_input(&mut app);
        typ(&mut app, name);
        key(&mut app, KeyCode::Enter);
        assert!(app.overlays.is_empty(), "{name} added");
        assert_eq!(app.detail_row, 0, "{name}");
        assert!(
            matches!(app.detail_rows()[0], tui::app::Row::Name),
            "{name}"
        );
        app.detail_row = app.detail_rows().len() - 1;
    }
}

/// An edit marks the verdict stale at once; the next idle tick replays the chain.
#[test]
fn an_edit_marks_the_verdict_stale_and_the_next_idle_tick_replays_it() {
    let mut app = open_case("pass-sublayout-legacy");
    assert!(app.verify.report.as_ref().unwrap().passed);
    let before = app.verify.generation;
    app.selection = Some(tui::app::Selection::Item(ItemRef {
        kind: ItemKind::Step,
        index: 1,
    }));
    ch(&mut app, 'd'); // delete the step (asks), then confirm
    ch(&mut app, 'y');
    assert!(app.doc.is_dirty(), "edited");
    assert!(app.verify.stale);
    let screen = render(&mut app, 200, 30);
    assert!(screen.contains("stale: edited since"), "{screen}");
    update(&mut app, tui::action::Action::Tick);
    assert!(app.verify.generation > before, "a replay started");
    finish_jobs(&mut app);
    assert!(!app.verify.stale);
    let r = app.verify.report.as_ref().unwrap();
    assert!(
        !r.passed,
        "the edited layout no longer carries the owner's signature"
    );
    assert!(!render(&mut app, 200, 30).contains("stale"));
}

/// The link browser lists every link file in the link directory, also the ones that
/// verification never read, and says why.
#[test]
fn the_link_browser_lists_link_files_verification_never_read() {
    let mut app = open_case("fail-layout-bad-signature-dsse");
    ch(&mut app, '5');
    ch(&mut app, 'L');
    let screen = render(&mut app, 160, 30);
    for name in ["build.407ea2a0.link", "fetch.2f898e60.link"] {
        assert!(screen.contains(name), "{name}:\n{screen}");
    }
    assert!(
        screen.contains("verification stopped before loading links"),
        "{screen}"
    );

    let (_tmp, dir) = copy_case("pass-sublayout-legacy");
    let links = dir.join("links");
    std::fs::copy(
        std::fs::read_dir(&links)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "link"))
            .unwrap(),
        links.join("stray.deadbeef.link"),
    )
    .unwrap();
    let mut app = open_case_at(&dir);
    ch(&mut app, '5');
    ch(&mut app, 'L');
    let screen = render(&mut app, 160, 30);
    assert!(screen.contains("not read:"), "{screen}");
    assert!(screen.contains("stray.deadbeef.link"), "{screen}");
}

/// The link browser opens on the failing link, with the failing artifact selected.
#[test]
fn the_link_browser_opens_on_the_failing_link() {
    let mut app = open_case("fail-tampered-artifact-legacy");
    ch(&mut app, '5');
    ch(&mut app, 'L');
    let v = &app.report_view;
    assert_eq!(v.view, tui::tabs::verify::View::Links);
    // Links are listed by step: clone, update-version, package (the failing step).
    assert_eq!(v.link, 2);
    let r = app.verify.report.as_deref().unwrap();
    let link = r.steps[2].links[0].link.as_deref().unwrap();
    assert_eq!(r.steps[2].name, "package");
    assert_eq!(link.materials.path(v.art_row - 1), "demo-project/foo.py");

    let mut app = open_case("fail-link-bad-signature-legacy");
    ch(&mut app, '5');
    ch(&mut app, 'L');
    assert_eq!((app.report_view.link, app.report_view.art_row), (0, 0));
}

/// An artifact's MATCH note in the link browser compares with the loaded link of the
/// step it names even when verification stopped before the rules (here at the threshold
/// agreement of `build`): no "no link for fetch" while fetch's link is loaded.
#[test]
fn match_notes_use_a_loaded_link_before_the_rules_ran() {
    let mut app = open_case("fail-threshold-disagree-legacy");
    ch(&mut app, '5');
    ch(&mut app, 'L');
    assert_eq!(
        app.report_view.link, 1,
        "build's first link (after fetch's)"
    );
    ch(&mut app, 'j');
    let screen = render(&mut app, 160, 40);
    assert!(!screen.contains("no link for fetch"), "{screen}");
    assert!(screen.contains("= fetch"), "{screen}");
}

/// The mouse wheel scrolls the pane under the pointer: the Verify tab's item list or its
/// detail text, the link list or the artifacts; on the Chain tab the graph or the details.
#[test]
fn the_mouse_wheel_scrolls_the_pane_under_the_pointer() {
    let wheel = |app: &mut App, col, row, delta| update(app, Action::Scroll { col, row, delta });
    let mut app = open_case("pass-demo-chain-legacy");
    ch(&mut app, '5');
    render(&mut app, 160, 40);
    let row = app.report_view.row;
    wheel(&mut app, 100, 10, 1);
    assert_eq!(
        (app.report_view.row, app.report_view.scroll),
        (row, 3),
        "detail text"
    );
    wheel(&mut app, 5, 10, 1);
    assert_eq!(app.report_view.row, row + 1, "item list");
    assert_eq!(app.report_view.scroll, 0);

    ch(&mut app, 'L');
    render(&mut app, 160, 40);
    let link = app.report_view.link;
    wheel(&mut app, 100, 10, 1);
    assert_eq!(
        (app.report_view.link, app.report_view.art_row),
        (link, 1),
        "artifacts"
    );
    wheel(&mut app, 5, 10, 1);
    assert_eq!(app.report_view.link, link + 1, "link list");

    ch(&mut app, '1');
    render(&mut app, 160, 40);
    let detail = app.hits.detail.unwrap();
    wheel(&mut app, detail.x + 2, detail.y + 1, 1);
    assert_eq!(app.focus, tui::app::Focus::Detail);
    assert_eq!(app.detail_row, 1);
    let graph = app.hits.graph.unwrap();
    wheel(&mut app, graph.x + 1, graph.y + 1, 1);
    assert_eq!(app.focus, tui::app::Focus::Graph);
}

/// `/` searches the list in view: the graph's items, lint findings, the link browser's
/// links and artifacts, and the help overlay; `n` and `N` go to the next and previous match,
/// wrapping around; a query nothing matches says so.
#[test]
fn slash_searches_the_list_in_view() {
    let search = |app: &mut App, q: &str| {
        ch(app, '/');
        typ(app, q); // replaces the last query, which the input offers
        key(app, KeyCode::Enter);
    };
    let mut app = open_case("fail-tampered-artifact-legacy");
    search(&mut app, "PACK");
    assert_eq!(app.selected_name().as_deref(), Some("package"));
    search(&mut app, "e");
    let first = app.selected_name();
    ch(&mut app, 'n');
    assert_ne!(app.selected_name(), first, "n moves on");
    ch(&mut app, 'N');
    assert_eq!(app.selected_name(), first, "N moves back");
    search(&mut app, "no such item");
    let screen = render(&mut app, 120, 30);
    assert!(screen.contains("no match for 'no such item'"), "{screen}");

    // The link browser: a link file, then an artifact path.
    ch(&mut app, '5');
    ch(&mut app, 'L');
    search(&mut app, "update-version.");
    assert_eq!((app.report_view.link, app.report_view.art_row), (1, 0));
    search(&mut app, "foo.py");
    let r = app.verify.report.as_deref().unwrap();
    let lr = &r.steps[app.report_view.link].links[0];
    let l = lr.link.as_deref().unwrap();
    let row = app.report_view.art_row - 1;
    let path = if row < l.materials.len() {
        l.materials.path(row)
    } else {
        l.products.path(row - l.materials.len())
    };
    assert!(path.ends_with("foo.py"), "{path}");

    // Lint.
    ch(&mut app, '4');
    assert!(app.lint.len() > 1, "{:?}", app.lint);
    let last = app.lint.last().unwrap().message.clone();
    let target = app.lint.iter().position(|f| f.message == last).unwrap();
    assert!(target > 0);
    search(&mut app, &last.to_uppercase());
    assert_eq!(app.lint_tab.row, target);

    // Help.
    ch(&mut app, '?');
    search(&mut app, "mouse on/off");
    let screen = render(&mut app, 100, 20);
    assert!(screen.contains("mouse on/off"), "{screen}");
    let Some(tui::dialogs::Overlay::Help { scroll, .. }) = app.overlays.last() else {
        panic!("help stays open");
    };
    assert!(
        *scroll > 0,
        "the help scrolled to the match: {:?}\n{screen}",
        app.status
    );
}

/// `f` on a lint finding applies its fix (here: a new expiry for an expired layout) as
/// one undoable edit; a finding without one says what to do instead.
#[test]
fn lint_f_applies_the_findings_fix() {
    let mut app = new_app();
    ch(&mut app, 'a');
    key(&mut app, KeyCode::Enter);
    ch(&mut app, '3');
    ch(&mut app, 'x');
    typ(&mut app, "2025-06-01T00:00:00Z");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.doc.layout.expires, "2025-06-01T00:00:00Z");
    ch(&mut app, '4');
    let expired = |app: &App| app.lint.iter().position(|f| f.code.code() == "expired");
    let row = expired(&app).expect("an expired finding");
    for _ in 0..row {
        ch(&mut app, 'j');
    }
    let screen = render(&mut app, 120, 30);
    assert!(
        screen.contains("f set `expires` to 2027-01-01T00:00:00Z"),
        "{screen}"
    );
    ch(&mut app, 'f');
    assert_eq!(app.doc.layout.expires, "2027-01-01T00:00:00Z");
    assert_eq!(expired(&app), None);
    ch(&mut app, 'u');
    assert_eq!(app.doc.layout.expires, "2025-06-01T00:00:00Z");

    let plain = app.lint.iter().position(|f| f.fix.is_none()).unwrap();
    app.lint_tab.row = plain;
    let before = app.doc.layout.clone();
    ch(&mut app, 'f');
    assert_eq!(app.doc.layout, before);
    let screen = render(&mut app, 120, 30);
    assert!(screen.contains("no automatic fix for this one"), "{screen}");
}

/// `C` chooses the owner keys and the link directory of a layout opened without them; the
/// chain verifies with them, and the next start with that layout uses them again.
#[test]
fn owner_keys_and_link_dir_are_chosen_in_the_tui_and_remembered() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chain");
    common::copy_dir(&PathBuf::from(CASES).join("pass-demo-chain-legacy"), &dir);
    std::fs::rename(dir.join("links"), dir.join("evidence")).unwrap();
    let open = || {
        let flags = ChainFlags {
            layout: Some(dir.join("root.layout")),
            ..Default::default()
        };
        let opened = resolve_chain(None, &flags).unwrap();
        let mut app = tui::build_app(&opened, options(Theme::dark())).unwrap();
        finish_jobs(&mut app);
        app
    };
    let mut app = open();
    assert!(app.verify.report.is_none());
    ch(&mut app, 'C');
    typ(&mut app, &dir.join("alice.pub").display().to_string());
    key(&mut app, KeyCode::Enter);
    typ(&mut app, &dir.join("evidence").display().to_string());
    key(&mut app, KeyCode::Enter);
    finish_jobs(&mut app);
    // Every step verifies (the inspections wait for confirmation).
    let r = app.verify.report.as_deref().expect("verified");
    assert!(r.failure.is_none(), "{:?}", r.failure);
    assert!(!r.steps.is_empty() && r.steps.iter().all(|s| s.used_link.is_some()));

    // A key file that is no key is refused, and the choice stays as it was.
    ch(&mut app, 'C');
    typ(&mut app, &dir.join("root.layout").display().to_string());
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    finish_jobs(&mut app);
    let screen = render(&mut app, 120, 30);
    assert!(
        app.status.as_ref().is_some_and(|s| s.error),
        "{:?}\n{screen}",
        app.status
    );
    assert_eq!(app.chain.keys, vec![dir.join("alice.pub")]);

    let app = open();
    let r = app
        .verify
        .report
        .as_deref()
        .expect("verified with the remembered choice");
    assert!(r.failure.is_none(), "{:?}", r.failure);
    assert!(r.steps.iter().all(|s| s.used_link.is_some()));
}

/// At 80x24 the Chain tab keeps the diagnosis in view (verdict, rule, artifact and the
/// whole why); below the minimum size a notice says so.
#[test]
fn small_terminals_keep_the_diagnosis() {
    let dir = Path::new("examples/demo-tampered-artifact");
    let opened = resolve_chain(Some(dir), &ChainFlags::default()).unwrap();
    let mut app = tui::build_app(&opened, options(Theme::dark())).unwrap();
    finish_jobs(&mut app);
    let screen = render(&mut app, 80, 24);
    let head = screen.lines().next().unwrap_or_default();
    assert!(head.contains("FAILED: RuleVerificationError"), "{screen}");
    assert!(
        screen.contains("artifacts  demo-project/foo.py"),
        "{screen}"
    );
    assert!(
        screen.contains("'update-version')"),
        "the whole why:\n{screen}"
    );
    let tiny = render(&mut app, 30, 10);
    assert!(tiny.contains("too small"), "{tiny}");
    ch(&mut app, 'q');
    assert!(app.quit, "keys still work");
}

/// What-if's clock asks for a time; `u` undoes what-if changes one by one, the clock and
/// a rule edit alike, and never what was done before what-if.
#[test]
fn what_if_changes_undo_one_by_one_and_the_clock_asks() {
    let (_tmp, dir) = copy_case("pass-sublayout-legacy");
    let mut app = open_case_at(&dir);
    assert!(app.verify.report.as_ref().unwrap().passed);
    ch(&mut app, '!');
    for _ in 0..3 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Enter);
    let Some(tui::dialogs::Overlay::Input(inp)) = app.overlays.last() else {
        panic!("the clock asks for a time");
    };
    assert!(
        inp.text().ends_with('Z'),
        "a time past the expiry is offered"
    );
    clear_input(&mut app);
    typ(&mut app, "2200-01-01T00:00:00Z");
    key(&mut app, KeyCode::Enter);
    finish_jobs(&mut app);
    let r = app.verify.report.clone().unwrap();
    assert_eq!(
        r.failure.as_ref().unwrap().reference_error,
        "LayoutExpiredError"
    );

    // A rule edit on top, then undo both, newest first.
    replace_first_material_rule_of_step_1(&mut app, "ALLOW nothing-here");
    finish_jobs(&mut app);
    assert!(app.what_if_banner().unwrap().contains("edited"));
    ch(&mut app, 'u');
    finish_jobs(&mut app);
    assert!(!app.what_if_banner().unwrap_or_default().contains("edited"));
    assert!(
        app.verify.what_if.as_ref().unwrap().clock.is_some(),
        "the clock stays"
    );
    ch(&mut app, 'u');
    finish_jobs(&mut app);
    assert!(app.verify.what_if.as_ref().unwrap().clock.is_none());
    assert!(app.verify.report.as_ref().unwrap().passed);
    ch(&mut app, 'u');
    let status = app.status.as_ref().expect("a message");
    assert!(
        status.text.contains("no what-if change to undo"),
        "{}",
        status.text
    );
}

/// Keys of the Verify tab work from the others (the tab opens); a key that can do
/// nothing says why.
#[test]
fn keys_that_cannot_act_here_say_so_or_go_where_they_can() {
    let mut app = open_case("fail-tampered-artifact-legacy");
    ch(&mut app, '1');
    ch(&mut app, 'L');
    assert_eq!(app.tab, Tab::Report);
    assert_eq!(app.report_view.view, tui::tabs::verify::View::Links);
    key(&mut app, KeyCode::Esc);

    let mut app = open_case("pass-demo-chain-legacy");
    ch(&mut app, '5');
    ch(&mut app, 'A');
    let status = app.status.as_ref().expect("a message");
    assert!(status.text.contains("has none"), "{}", status.text);

    let mut app = new_app();
    ch(&mut app, '2');
    ch(&mut app, 'L');
    let status = app.status.as_ref().expect("a message");
    assert!(status.text.contains("verify first"), "{}", status.text);
}

/// Tiny and odd terminal sizes never panic, in any tab or overlay.
#[test]
fn tiny_terminals_never_panic() {
    let mut app = open_case_folder("fail-sublayout-rule-legacy");
    for (w, h) in [
        (1, 1),
        (10, 3),
        (20, 5),
        (40, 10),
        (80, 6),
        (200, 8),
        (30, 60),
    ] {
        for tab in ['1', '2', '3', '4', '5'] {
            ch(&mut app, tab);
            render(&mut app, w, h);
            ch(&mut app, '?');
            render(&mut app, w, h);
            key(&mut app, KeyCode::Esc);
        }
        ch(&mut app, '5');
        ch(&mut app, 'L');
        render(&mut app, w, h);
        ch(&mut app, 'A');
        render(&mut app, w, h);
        key(&mut app, KeyCode::Esc);
        key(&mut app, KeyCode::Esc);
        ch(&mut app, '1');
        ch(&mut app, 'a');
        render(&mut app, w, h);
        key(&mut app, KeyCode::Esc);
    }
}

#[allow(dead_code)]
#[path = "../examples/gen-chain.rs"]
mod gen_chain;

/// Replaying a big chain: the verification runs as a job outside the UI (as the event loop
/// runs it, on its own thread), the screen shows its progress while keys are handled, and
/// the link browser then moves through a link of 100,000 artifacts (a virtualised list:
/// only the visible rows are built).
#[test]
fn big_chain_replays_with_progress_and_its_link_browses_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let spec = gen_chain::ChainSpec {
        steps: 2,
        artifacts: 50_000,
        format: intoto_studio::model::envelope::Format::Dsse,
    };
    gen_chain::generate(&spec, dir.path()).unwrap();
    let flags = ChainFlags {
        layout: Some(dir.path().join("root.layout")),
        verification_keys: vec![dir.path().join("owner.pub")],
        link_dir: Some(dir.path().join("links")),
        ..Default::default()
    };
    let opened = resolve_chain(None, &flags).unwrap();
    let mut app = tui::build_app(&opened, options(Theme::dark())).unwrap();

    // The job runs elsewhere; its progress messages come back as actions.
    let job = take_job(&mut app).expect("a verification job");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let worker = std::thread::spawn(move || {
        let progress = intoto_studio::verify::Progress::new(move |p: &str| {
            let _ = tx.send(p.to_string());
        });
        tui::run_job(job, Some(progress))
    });
    ch(&mut app, '5');
    let first = rx.recv().expect("a progress message");
    update(&mut app, tui::action::Action::VerifyProgress(first.clone()));
    assert!(app.verify.running);
    let screen = render(&mut app, 140, 30);
    assert!(screen.contains(first.trim()), "progress shown:\n{screen}");
    // Keys keep working meanwhile (help opens and closes).
    ch(&mut app, '?');
    assert!(!app.overlays.is_empty(), "help opens during the replay");
    key(&mut app, KeyCode::Esc);
    assert!(app.overlays.is_empty());
    let done = worker.join().unwrap();
    for p in rx.try_iter() {
        update(&mut app, tui::action::Action::VerifyProgress(p));
    }
    update(&mut app, done);
    finish_jobs(&mut app);
    let report = app.verify.report.clone().expect("a report");
    assert!(report.passed, "the generated chain verifies");

    // The link browser: step-01's link, then its last row and back.
    ch(&mut app, 'L');
    app.report_view.link = report
        .steps
        .iter()
        .flat_map(|s| s.links.iter())
        .position(|l| l.file.contains("step-01."))
        .unwrap();
    let link = report.steps[1].links[0].link.clone().expect("link content");
    let total = 1 + link.materials.len() + link.products.len();
    assert!(total > 100_000, "{total}");
    key(&mut app, KeyCode::End);
    let screen = render(&mut app, 160, 30);
    assert!(
        screen.contains(&format!("Artifacts {total}/{total}")),
        "{screen}"
    );
    let last = link.products.path(link.products.len() - 1);
    assert!(
        screen.contains(last),
        "the last product is on screen:\n{screen}"
    );
    key(&mut app, KeyCode::Home);
    let screen = render(&mut app, 160, 30);
    assert!(screen.contains(&format!("Artifacts 1/{total}")), "{screen}");
}

/// A chain of 360 nested sublayouts (as deep as Linux paths allow) replays on a worker
/// thread with a small stack, as the event loop runs it, and every tab draws its report.
#[test]
fn a_deep_sublayout_chain_replays_and_draws() {
    let dir = tempfile::tempdir().unwrap();
    common::write_sublayout_chain(dir.path(), 360);
    let flags = ChainFlags {
        layout: Some(dir.path().join("root.layout")),
        verification_keys: vec![dir.path().join("alice.pub")],
        link_dir: Some(dir.path().join("links")),
        ..Default::default()
    };
    let opened = resolve_chain(None, &flags).unwrap();
    let mut app = tui::build_app(&opened, options(Theme::dark())).unwrap();
    let job = take_job(&mut app).expect("a verification job");
    let done = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || tui::run_job(job, None))
        .unwrap()
        .join()
        .unwrap();
    update(&mut app, done);
    finish_jobs(&mut app);
    let report = app.verify.report.clone().expect("a report");
    assert!(report.passed, "{:?}", report.failure);
    for tab in ['1', '2', '3', '4', '5', '6'] {
        ch(&mut app, tab);
        let screen = render(&mut app, 140, 40);
        assert!(!screen.trim().is_empty());
    }
    ch(&mut app, '5');
    assert!(render(&mut app, 140, 40).contains("PASSED"));
}

/// Open a copy of examples/demo as a folder (`intoto-studio DIR`, no key flags), with the
/// config's `trusted_owner_keys`, and finish its verification (inspections included).
fn open_demo_folder(trusted: &[&str]) -> (App, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    common::copy_dir(&Path::new(common::MANIFEST).join("examples/demo"), &dir);
    let flags = ChainFlags {
        inspection_timeout: 10,
        ..Default::default()
    };
    let mut opened = resolve_chain(Some(&dir), &flags).unwrap();
    let trusted: Vec<PathBuf> = trusted.iter().map(|k| dir.join(k)).collect();
    tui::check_owner_trust(&mut opened.chain, &trusted).unwrap();
    let mut opts = options(Theme::dark());
    opts.run_inspections = true;
    let mut app = tui::build_app(&opened, opts).unwrap();
    finish_jobs(&mut app);
    (app, tmp)
}

#[test]
fn a_folders_own_owner_key_is_no_trust_anchor() {
    // Anyone can forge a whole bundle, their own owner key included: the pass is shown
    // qualified, and the first screen says where the key came from.
    let (mut app, _tmp) = open_demo_folder(&[]);
    let report = app.verify.report.clone().expect("verified");
    assert!(report.passed, "{:?}", report.failure);
    let screen = render(&mut app, 200, 40);
    assert!(
        screen.contains("owner key taken from the bundle itself"),
        "{screen}"
    );
    assert!(!screen.contains("✓ PASSED"), "{screen}");
    ch(&mut app, '5');
    let screen = render(&mut app, 200, 40);
    assert!(screen.contains("! PASSED, untrusted owner key"), "{screen}");
    assert!(screen.contains("not a trust"), "{screen}");
    assert!(screen.contains("trusted_owner_keys"), "{screen}");
    assert!(screen.contains("5 Verify !"), "{screen}");
    // Another trusted key does not make this one trusted.
    let (mut app, _tmp) = open_demo_folder(&["bob.pub"]);
    assert!(!render(&mut app, 200, 40).contains("✓ PASSED"));
}

#[test]
fn a_folders_owner_key_listed_as_trusted_passes_unqualified() {
    let (mut app, _tmp) = open_demo_folder(&["owner.pub"]);
    let screen = render(&mut app, 200, 40);
    assert!(screen.contains("✓ PASSED"), "{screen}");
    assert!(!screen.contains("bundle itself"), "{screen}");
    let e = {
        let mut chain = app.chain.clone();
        chain.owner_trust = tui::app::OwnerTrust::FromBundle;
        tui::check_owner_trust(&mut chain, &[PathBuf::from("/nonexistent/owner.pub")]).unwrap_err()
    };
    assert!(e.contains("trusted_owner_keys"), "{e}");
}

/// Keyids come from files anyone can write: ones whose 8th or 16th byte falls inside a
/// character, and ones shorter than a prefix, go through every screen without a panic.
#[test]
fn hostile_keyids_draw_on_every_screen() {
    let case =
        Path::new(common::MANIFEST).join("tests/fixtures/conformance/cases/pass-demo-chain-legacy");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    common::copy_dir(&case, &dir);
    let layout_path = dir.join("root.layout");
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&layout_path).unwrap()).unwrap();
    let alice = v["signed"]["keys"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();
    v["signed"]["keys"]["ab"] = alice; // hex, as the reference demands, but short
    v["signed"]["steps"][0]["pubkeys"]
        .as_array_mut()
        .unwrap()
        .push("ab".into());
    v["signatures"] = serde_json::json!([]);
    std::fs::write(&layout_path, v.to_string()).unwrap();
    let private = Path::new(common::MANIFEST)
        .join("tests/fixtures/conformance/keys/TEST-ONLY-alice-ed25519.private.pem");
    let signed = std::process::Command::new(env!("CARGO_BIN_EXE_intoto-studio"))
        .args(["sign", "-f", "root.layout", "-k", private.to_str().unwrap()])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(signed.status.success(), "{signed:?}");
    // A second, foreign signature with a short keyid, and hostile keyids on a link.
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&layout_path).unwrap()).unwrap();
    v["signatures"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"keyid": "abcdefg\u{e9}12", "sig": "00"}));
    std::fs::write(&layout_path, v.to_string()).unwrap();
    for entry in std::fs::read_dir(dir.join("links")).unwrap() {
        let p = entry.unwrap().path();
        let mut l: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        l["signatures"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"keyid": "0123456789abcde\u{e9}", "sig": "00"}));
        l["signatures"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"keyid": "ab", "sig": "00"}));
        std::fs::write(&p, l.to_string()).unwrap();
    }
    let mut app = open_folder_unverified(&dir);
    finish_jobs(&mut app);
    assert!(app.verify.report.is_some());
    for tab in ['1', '2', '3', '4', '5'] {
        ch(&mut app, tab);
        for _ in 0..4 {
            key(&mut app, KeyCode::Down);
            render(&mut app, 160, 40);
        }
    }
    ch(&mut app, '5');
    ch(&mut app, 'L');
    for _ in 0..6 {
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Right);
        render(&mut app, 160, 40);
    }
    key(&mut app, KeyCode::Esc);
    ch(&mut app, 'S');
    let screen = render(&mut app, 160, 40);
    assert!(screen.contains("ab"), "{screen}");
}

/// Importing a key from a FIFO or a device is refused at once (no hang, no endless read).
#[test]
fn importing_a_key_from_a_fifo_or_device_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("key.pub");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for path in [fifo.to_str().unwrap(), "/dev/zero"] {
        let mut app = new_app();
        ch(&mut app, '2');
        let (tx, rx) = std::sync::mpsc::channel();
        let path = path.to_string();
        std::thread::spawn(move || {
            ch(&mut app, 'I');
            typ(&mut app, &path);
            key(&mut app, KeyCode::Enter);
            let _ = tx.send(render(&mut app, 160, 30));
        });
        let screen = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the import returns instead of blocking");
        assert!(
            screen.contains("not a regular file") || screen.contains("regular"),
            "{screen}"
        );
    }
}

// ---- the clock: every date the TUI shows or writes comes from `Options::clock` ------------

fn app_at(when: &str) -> App {
    let opened = resolve_chain(None, &ChainFlags::default()).unwrap();
    let mut opts = options(Theme::dark());
    opts.clock = Clock::fixed(when).unwrap();
    tui::build_app(&opened, opts).unwrap()
}

#[test]
fn a_new_layout_expires_a_month_after_the_apps_clock() {
    // February is 28 days long: a month's validity is inside the 30-day warning window;
    // December's 31 days are not. The verdicts follow the injected clock, not the machine's.
    let feb = app_at("2026-02-01T12:00:00Z");
    assert_eq!(feb.doc.layout.expires, "2026-03-01T12:00:00Z");
    assert!(
        feb.lint.iter().any(|f| f.code == "expires-soon"),
        "{:?}",
        feb.lint
    );
    let dec = app_at("2026-12-31T23:59:30Z");
    assert_eq!(dec.doc.layout.expires, "2027-01-31T23:59:30Z");
    assert!(!dec.lint.iter().any(|f| f.code == "expires-soon"));
}

#[test]
fn relative_expiry_counts_from_the_apps_clock() {
    let mut app = app_at("2027-07-15T08:30:00Z");
    ch(&mut app, '3');
    ch(&mut app, 'x');
    clear_input(&mut app);
    typ(&mut app, "+1d");
    assert!(
        render(&mut app, 120, 30).contains("→ 2027-07-16T08:30:00Z"),
        "the preview shows the value that will be stored"
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.doc.layout.expires, "2027-07-16T08:30:00Z");
}

#[test]
fn days_left_are_counted_by_the_apps_clock() {
    let mut app = app_at("2030-02-28T00:00:00Z");
    app.doc.layout.expires = "2030-03-10T00:00:00Z".into();
    ch(&mut app, '3');
    assert!(render(&mut app, 120, 24).contains("(valid, 10 day(s) left)"));
    app.doc.layout.expires = "2030-02-28T00:00:00Z".into();
    assert!(render(&mut app, 120, 24).contains("(expired)"));
}

#[test]
fn a_fifo_in_the_working_dir_neither_hangs_inspections_nor_is_hidden() {
    // The scratch copy used to open the FIFO and block for ever.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    common::copy_dir(&PathBuf::from(CASES).join("pass-demo-chain-legacy"), &dir);
    let fifo = std::ffi::CString::new(dir.join("workdir/pipe").to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let mut app = open_folder_unverified(&dir);
    while let Some(job) = take_job(&mut app) {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(tui::run_job(job, None));
        });
        let done = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("verification with a FIFO in the working dir finished");
        update(&mut app, done);
    }
    let report = app.verify.report.as_ref().expect("a report");
    assert!(report.passed, "{:?}", report.failure);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("pipe") && n.contains("FIFO")),
        "{:?}",
        report.notes
    );
}
