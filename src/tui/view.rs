//! What the screen is made of, below the app and every tab: the tabs, how the graph is
//! drawn, where things went on the last frame, and the framed panel every view draws in.

use super::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders};

/// The tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Chain,
    Keys,
    Layout,
    Lint,
    Report,
}

impl Tab {
    pub const ALL: [Tab; 5] = [Tab::Chain, Tab::Keys, Tab::Layout, Tab::Lint, Tab::Report];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Chain => "1 Chain",
            Tab::Keys => "2 Keys",
            Tab::Layout => "3 Layout",
            Tab::Lint => "4 Lint",
            Tab::Report => "5 Verify",
        }
    }
}

/// How the graph is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphMode {
    /// Left-to-right when it fits, else top-down, else a list.
    Auto,
    LeftRight,
    TopDown,
    List,
}

/// Whether a PASSED verdict rests on owner keys the user trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OwnerTrust {
    /// Given on the command line (`--verification-keys`): the user's own choice.
    #[default]
    Given,
    /// Taken from the opened folder (`owner*.pub`), and each is one of the config's
    /// `trusted_owner_keys`.
    Trusted,
    /// Taken from the folder being judged: whoever forged the bundle may have put their own
    /// key there, so a pass proves nothing about who approved the layout.
    FromBundle,
}

impl OwnerTrust {
    /// What the header says about the owner keys, if anything needs saying.
    pub fn notice(self) -> Option<&'static str> {
        (self == OwnerTrust::FromBundle).then_some(
            "owner key taken from the bundle itself: not a trust anchor (pass \
             --verification-keys, or list the key in the config's trusted_owner_keys)",
        )
    }
}

/// What the last frame drew where, for mouse hit-testing and scrolling: returned by
/// [`super::ui::draw`] and handed back through
/// [`super::action::Action::Drawn`].
#[derive(Debug, Clone, Default)]
pub struct HitMap {
    pub nodes: Vec<(Rect, String)>,
    pub tabs: Vec<(Rect, Tab)>,
    pub detail: Option<Rect>,
    pub detail_first_row: usize,
    pub graph: Option<Rect>,
    /// The graph mode the last frame used (Auto resolved).
    pub graph_mode: Option<GraphMode>,
    /// How far the help overlay can scroll in the last frame.
    pub help_scroll_max: Option<u16>,
    /// The first row a picker overlay showed in the last frame.
    pub picker_offset: Option<usize>,
    /// The Verify tab's panes in the last frame, for the mouse wheel.
    pub panes: Vec<(Rect, Pane)>,
}

/// A pane of the Verify tab the mouse wheel can scroll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Items,
    Detail,
    LinkList,
    Artifacts,
}

/// A framed panel with a title, highlighted when it has the focus.
pub fn panel<'a>(title: String, theme: &Theme, focus: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focus {
            theme.border_focus
        } else {
            theme.border
        })
        .title(Span::styled(title, theme.title))
}
