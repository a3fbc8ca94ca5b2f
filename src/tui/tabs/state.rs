//! The small tabs' own state, held by the app.

/// The Keys tab's own state.
#[derive(Debug, Clone, Default)]
pub struct KeysTab {
    /// The selected key (in keyid order).
    pub row: usize,
}

/// The Lint tab's own state.
#[derive(Debug, Clone, Default)]
pub struct LintTab {
    /// The selected finding.
    pub row: usize,
}
