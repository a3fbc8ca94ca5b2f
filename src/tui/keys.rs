//! The command table: one list of bindings that routes keys, builds the `?` help overlay
//! and the hint bar. Keys can be rebound in the config file (`[keys] save = "ctrl-s"`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;
use std::fmt;

/// Where a binding applies. The app lists the active contexts, innermost first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ctx {
    Global,
    /// Chain tab, graph pane focused.
    Graph,
    /// Chain tab, detail pane focused.
    Detail,
    /// Detail pane, a rule row selected.
    Rule,
    Keys,
    Layout,
    Lint,
    Report,
    Links,
    Lineage,
    WhatIf,
}

impl Ctx {
    pub fn title(self) -> &'static str {
        match self {
            Ctx::Global => "Everywhere",
            Ctx::Graph => "Graph",
            Ctx::Detail => "Detail pane",
            Ctx::Rule => "Artifact rules",
            Ctx::Keys => "Functionaries",
            Ctx::Layout => "Layout",
            Ctx::Lint => "Lint",
            Ctx::Report => "Verification",
            Ctx::Links => "Link browser",
            Ctx::Lineage => "Artifact lineage",
            Ctx::WhatIf => "What-if",
        }
    }
}

/// A key-level command. The app turns it into an action according to its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cmd {
    Quit,
    Help,
    Save,
    SaveAs,
    Sign,
    Undo,
    Redo,
    NextTab,
    PrevTab,
    TabChain,
    TabKeys,
    TabLayout,
    TabLint,
    TabReport,
    FocusNext,
    Left,
    Right,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Activate,
    Back,
    AddStep,
    AddInspection,
    Rename,
    Delete,
    MoveUp,
    MoveDown,
    AddRule,
    EditRule,
    RuleTemplate,
    ImportKey,
    GenerateKey,
    EditExpiry,
    EditReadme,
    Verify,
    RunInspections,
    ToggleWhatIf,
    ExportReport,
    ToggleDirection,
    OpenSublayout,
    Links,
    Lineage,
    ShowTrace,
    ToggleMouse,
    WriteLinks,
    Fix,
    ChooseChain,
    Search,
    SearchNext,
    SearchPrev,
}

/// A key with modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeySpec {
    pub const fn plain(c: char) -> KeySpec {
        KeySpec {
            code: KeyCode::Char(c),
            mods: KeyModifiers::NONE,
        }
    }
    pub const fn ctrl(c: char) -> KeySpec {
        KeySpec {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }
    pub const fn code(code: KeyCode) -> KeySpec {
        KeySpec {
            code,
            mods: KeyModifiers::NONE,
        }
    }

    /// Whether a terminal key event is this key (shift is part of the character).
    pub fn matches(&self, ev: &KeyEvent) -> bool {
        let mods = ev.modifiers - KeyModifiers::SHIFT;
        let want = self.mods - KeyModifiers::SHIFT;
        match (self.code, ev.code) {
            (KeyCode::Char(a), KeyCode::Char(b)) => a == b && mods == want,
            (KeyCode::BackTab, KeyCode::BackTab) => true,
            (a, b) => a == b && ev.modifiers == self.mods,
        }
    }

    /// Parse `"ctrl-s"`, `"?"`, `"enter"`, `"shift-tab"`, `"f2"`, `"alt-up"`.
    pub fn parse(text: &str) -> Result<KeySpec, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            // A modifier prefix, in any case (ASCII: `split_at_checked` cannot cut a
            // character of what follows).
            let prefix = |p: &str| {
                rest.split_at_checked(p.len())
                    .filter(|(head, _)| head.eq_ignore_ascii_case(p))
                    .map(|(_, tail)| tail)
            };
            if let Some(r) = prefix("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = prefix("alt-") {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else if let Some(r) = prefix("shift-").filter(|r| !r.is_empty()) {
                mods |= KeyModifiers::SHIFT;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdn" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "delete" | "del" => KeyCode::Delete,
            "backspace" => KeyCode::Backspace,
            f if f.strip_prefix('f').is_some_and(|n| n.parse::<u8>().is_ok()) => KeyCode::F(
                f.strip_prefix('f')
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1),
            ),
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(c),
                    _ => return Err(format!("unknown key '{text}'")),
                }
            }
        };
        Ok(KeySpec { code, mods })
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// One row of the command table.
#[derive(Debug, Clone)]
pub struct Binding {
    pub keys: Vec<KeySpec>,
    pub cmd: Cmd,
    pub ctx: Ctx,
    /// The config name (`[keys] <name> = "..."`).
    pub name: &'static str,
    pub desc: &'static str,
    /// The short label in the bottom hint bar ("" = not shown there).
    pub hint: &'static str,
}

/// The key table.
#[derive(Debug, Clone)]
pub struct KeyMap {
    pub bindings: Vec<Binding>,
}

/// The default key table, one binding per row: context, command, config name,
/// description (the `?` overlay), hint-bar label (empty: not in the hint bar), keys.
macro_rules! bindings {
    ($($ctx:ident $cmd:ident $name:literal $desc:literal $hint:literal [$($k:expr),+];)*) => {
        vec![$(Binding {
            keys: vec![$($k),+],
            cmd: Cmd::$cmd,
            ctx: Ctx::$ctx,
            name: $name,
            desc: $desc,
            hint: $hint,
        },)*]
    };
}

impl Default for KeyMap {
    fn default() -> Self {
        use KeyCode::*;
        let k = KeySpec::plain;
        let c = KeySpec::ctrl;
        let code = KeySpec::code;
        let alt = |code| KeySpec {
            code,
            mods: KeyModifiers::ALT,
        };
        KeyMap {
            bindings: bindings! {
                // Everywhere.
                Global Help "help" "show this help" "help" [k('?')];
                Global Quit "quit" "quit (asks when there are unsaved changes)" "quit" [k('q'), c('c')];
                Global Save "save" "save the layout" "save" [c('s')];
                Global SaveAs "save_as" "save the layout under another name" "" [k('W')];
                Global Sign "sign" "sign the layout with the owner's key" "" [k('S')];
                Global Undo "undo" "undo the last edit" "" [k('u'), c('z')];
                Global Redo "redo" "redo" "" [c('r'), c('y')];
                Global NextTab "next_tab" "next tab" "" [code(Tab)];
                Global PrevTab "prev_tab" "previous tab" "" [code(BackTab)];
                Global TabChain "tab_chain" "chain: graph and details" "" [k('1')];
                Global TabKeys "tab_keys" "functionaries (keys)" "" [k('2')];
                Global TabLayout "tab_layout" "layout: expiry, readme, signatures" "" [k('3')];
                Global TabLint "tab_lint" "lint findings" "" [k('4')];
                Global TabReport "tab_report" "verification report" "" [k('5')];
                Global Verify "verify" "verify the chain (replay)" "" [k('V')];
                Global ToggleWhatIf "what_if" "what-if mode on/off (nothing is written)" "" [k('!')];
                Global ToggleMouse "mouse" "mouse on/off" "" [k('M')];
                Global ChooseChain "choose_chain" "choose the owner keys and the link directory to verify with (remembered for this layout)" "" [k('C')];
                Global Back "back" "close overlay / go back" "" [code(Esc)];
                Global Search "search" "search the list in view (graph items, keys, lint, links and artifacts, help)" "search" [k('/')];
                Global SearchNext "search_next" "next search match" "" [k('n')];
                Global SearchPrev "search_prev" "previous search match" "" [k('N')];
                // Graph.
                Graph Left "left" "previous item (left)" "" [code(Left), k('h')];
                Graph Right "right" "next item (right)" "" [code(Right), k('l')];
                Graph Up "up" "item above" "" [code(Up), k('k')];
                Graph Down "down" "item below" "" [code(Down), k('j')];
                Graph FocusNext "focus" "switch between graph and details" "details" [code(Enter)];
                Graph AddStep "add_step" "add a step" "add step" [k('a')];
                Graph AddInspection "add_inspection" "add an inspection" "add inspection" [k('i')];
                Graph Rename "rename" "rename (updates MATCH … FROM)" "rename" [k('r')];
                Graph Delete "delete" "delete the item" "" [k('d')];
                Graph MoveUp "move_up" "move the item earlier in the layout" "" [k('K')];
                Graph MoveDown "move_down" "move the item later in the layout" "" [k('J')];
                Graph ToggleDirection "direction" "graph direction: left-right / top-down / list" "" [k('o')];
                Graph OpenSublayout "open_sublayout" "open the selected step's sublayout" "" [k('O')];
                // Detail pane.
                Detail Up "up" "previous field" "" [code(Up), k('k')];
                Detail Down "down" "next field" "" [code(Down), k('j')];
                Detail Activate "edit" "edit the field / rule" "edit" [code(Enter), k('e')];
                Detail AddRule "add_rule" "add a rule" "add rule" [k('a')];
                Detail RuleTemplate "template" "add a rule from a template" "template" [k('t')];
                Detail FocusNext "focus" "back to the graph" "" [code(Left), k('h')];
                Detail ShowTrace "trace" "show the verification trace of this item" "" [k('T')];
                // Rule rows.
                Rule Delete "delete_rule" "delete the rule" "delete" [k('d'), code(Delete)];
                Rule MoveUp "rule_up" "move the rule up (order matters)" "up" [k('K'), alt(Up)];
                Rule MoveDown "rule_down" "move the rule down" "down" [k('J'), alt(Down)];
                // Keys tab.
                Keys Up "up" "previous key" "" [code(Up), k('k')];
                Keys Down "down" "next key" "" [code(Down), k('j')];
                Keys ImportKey "import_key" "import a public key (PEM)" "import" [k('I')];
                Keys GenerateKey "generate_key" "generate an ed25519 key pair" "generate" [k('g')];
                Keys Delete "remove_key" "remove the key" "remove" [k('d')];
                // Layout tab.
                Layout EditExpiry "expiry" "set the expiry (date or +6m, +1y, +30d)" "expiry" [k('x')];
                Layout EditReadme "readme" "edit the readme" "readme" [k('e')];
                // Lint tab.
                Lint Up "up" "previous finding" "" [code(Up), k('k')];
                Lint Down "down" "next finding" "" [code(Down), k('j')];
                Lint Activate "jump" "jump to the finding" "jump" [code(Enter)];
                Lint Fix "fix" "apply the finding's fix (when it has one; u undoes it)" "fix" [k('f')];
                // Report tab.
                Report Up "up" "previous row" "" [code(Up), k('k')];
                Report Down "down" "next row" "" [code(Down), k('j')];
                Report PageUp "page_up" "page up" "" [code(PageUp)];
                Report PageDown "page_down" "page down" "" [code(PageDown)];
                Report Activate "show" "show the selected item on the graph" "show" [code(Enter)];
                Report RunInspections "run_inspections" "run the inspections (shows the commands first)" "run inspections" [k('R')];
                Report Links "links" "link browser" "links" [k('L')];
                Report Lineage "lineage" "artifact lineage" "lineage" [k('A')];
                Report OpenSublayout "open_sublayout" "open the selected step's sublayout (its own graph)" "" [k('O')];
                Report WriteLinks "write_links" "write the inspections' (unsigned) links into the workdir" "" [k('w')];
                Report ExportReport "export" "export the report (Markdown and JSON)" "export" [k('E')];
                // Link browser and lineage lists.
                Links Up "up" "previous row" "" [code(Up), k('k')];
                Links Down "down" "next row" "" [code(Down), k('j')];
                Links PageUp "page_up" "page up" "" [code(PageUp)];
                Links PageDown "page_down" "page down" "" [code(PageDown)];
                Links Top "top" "first row" "" [code(Home), k('g')];
                Links Bottom "bottom" "last row" "" [code(End), k('G')];
                Links Left "prev_link" "previous link" "" [code(Left), k('h')];
                Links Right "next_link" "next link" "" [code(Right), k('l')];
                Links Lineage "lineage" "lineage of the selected artifact" "lineage" [k('A')];
                Links Activate "what_if_edit" "what-if: change this artifact's hash / drop the link" "what-if" [code(Enter)];
                Lineage Up "up" "previous row" "" [code(Up), k('k')];
                Lineage Down "down" "next row" "" [code(Down), k('j')];
            },
        }
    }
}

impl KeyMap {
    /// The first command bound to `ev` in the given contexts (innermost first).
    pub fn lookup(&self, ev: &KeyEvent, contexts: &[Ctx]) -> Option<Cmd> {
        for ctx in contexts {
            if let Some(b) = self
                .bindings
                .iter()
                .find(|b| b.ctx == *ctx && b.keys.iter().any(|k| k.matches(ev)))
            {
                return Some(b.cmd);
            }
        }
        None
    }

    /// The binding of a key in any context (for saying where a key that does nothing here
    /// works).
    pub fn anywhere(&self, ev: &KeyEvent) -> Option<&Binding> {
        self.bindings
            .iter()
            .find(|b| b.keys.iter().any(|k| k.matches(ev)))
    }

    /// The bindings of the active contexts, grouped, innermost first (for `?`).
    pub fn help(&self, contexts: &[Ctx]) -> Vec<(Ctx, Vec<&Binding>)> {
        contexts
            .iter()
            .map(|c| {
                (
                    *c,
                    self.bindings
                        .iter()
                        .filter(|b| b.ctx == *c)
                        .collect::<Vec<_>>(),
                )
            })
            .filter(|(_, v)| !v.is_empty())
            .collect()
    }

    /// `key  description` pairs for the hint bar, innermost context first.
    pub fn hints(&self, contexts: &[Ctx]) -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = Vec::new();
        for ctx in contexts {
            for b in self
                .bindings
                .iter()
                .filter(|b| b.ctx == *ctx && !b.hint.is_empty())
            {
                if let Some(k) = b.keys.first() {
                    let label = k.to_string();
                    if !out.iter().any(|(l, _)| *l == label) {
                        out.push((label, b.hint));
                    }
                }
            }
        }
        out
    }

    /// Apply `[keys]` overrides from the config: `name = "key"` or `name = ["k1", "k2"]`,
    /// optionally scoped as `"ctx.name"`.
    pub fn apply_overrides(
        &mut self,
        overrides: &BTreeMap<String, Vec<String>>,
    ) -> Result<(), String> {
        for (name, keys) in overrides {
            let specs = keys
                .iter()
                .map(|k| KeySpec::parse(k))
                .collect::<Result<Vec<_>, _>>()?;
            let (ctx_filter, bare) = match name.split_once('.') {
                Some((c, n)) => (Some(c.to_ascii_lowercase()), n),
                None => (None, name.as_str()),
            };
            let mut hit = false;
            for b in &mut self.bindings {
                let ctx_ok = ctx_filter
                    .as_deref()
                    .is_none_or(|c| format!("{:?}", b.ctx).to_ascii_lowercase() == c);
                if b.name == bare && ctx_ok {
                    b.keys = specs.clone();
                    hit = true;
                }
            }
            if !hit {
                return Err(format!("unknown key binding '{name}'"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn routing_prefers_inner_contexts() {
        let km = KeyMap::default();
        let d = ev(KeyCode::Char('d'), KeyModifiers::NONE);
        assert_eq!(
            km.lookup(&d, &[Ctx::Rule, Ctx::Detail, Ctx::Global]),
            Some(Cmd::Delete)
        );
        assert_eq!(km.lookup(&d, &[Ctx::Keys, Ctx::Global]), Some(Cmd::Delete));
        assert_eq!(
            km.lookup(
                &ev(KeyCode::Char('q'), KeyModifiers::NONE),
                &[Ctx::Graph, Ctx::Global]
            ),
            Some(Cmd::Quit)
        );
        assert_eq!(
            km.lookup(
                &ev(KeyCode::Char('s'), KeyModifiers::CONTROL),
                &[Ctx::Global]
            ),
            Some(Cmd::Save)
        );
        assert_eq!(
            km.lookup(&ev(KeyCode::Char('K'), KeyModifiers::SHIFT), &[Ctx::Rule]),
            Some(Cmd::MoveUp)
        );
        assert_eq!(
            km.lookup(&ev(KeyCode::Char('z'), KeyModifiers::NONE), &[Ctx::Global]),
            None
        );
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        let km = KeyMap::default();
        let mut seen = std::collections::HashSet::new();
        for b in &km.bindings {
            for k in &b.keys {
                assert!(seen.insert((b.ctx, *k)), "{k} bound twice in {:?}", b.ctx);
            }
        }
    }

    #[test]
    fn help_and_hints_come_from_the_table() {
        let km = KeyMap::default();
        let help = km.help(&[Ctx::Graph, Ctx::Global]);
        assert!(
            help.iter()
                .any(|(c, bs)| *c == Ctx::Global && bs.iter().any(|b| b.cmd == Cmd::Quit))
        );
        let hints = km.hints(&[Ctx::Graph, Ctx::Global]);
        assert!(hints.iter().any(|(k, _)| k == "?"));
        assert!(hints.iter().any(|(k, _)| k == "q"));
    }

    #[test]
    fn overrides_rebind_keys() {
        let mut km = KeyMap::default();
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), vec!["ctrl-q".to_string()]);
        km.apply_overrides(&o).unwrap();
        assert_eq!(
            km.lookup(
                &ev(KeyCode::Char('q'), KeyModifiers::CONTROL),
                &[Ctx::Global]
            ),
            Some(Cmd::Quit)
        );
        assert_eq!(
            km.lookup(&ev(KeyCode::Char('q'), KeyModifiers::NONE), &[Ctx::Global]),
            None
        );
        o.clear();
        o.insert("nonsense".to_string(), vec!["x".to_string()]);
        assert!(km.apply_overrides(&o).is_err());
        assert_eq!(KeySpec::parse("shift-tab").unwrap().code, KeyCode::BackTab);
        assert_eq!(KeySpec::parse("F2").unwrap().code, KeyCode::F(2));
        assert!(KeySpec::parse("nope").is_err());
    }
}
