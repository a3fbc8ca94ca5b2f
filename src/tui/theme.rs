//! Themes: semantic colour roles loaded from TOML (`themes/*.toml` are built in; a user
//! file may override any role). `NO_COLOR` gives a monochrome theme that keeps emphasis
//! through bold, underline and reverse video only.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::str::FromStr;

/// The built-in themes, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
];

/// Every role a theme defines.
pub const ROLES: &[&str] = &[
    "text",
    "dim",
    "title",
    "border",
    "border_focus",
    "selection",
    "step",
    "inspection",
    "ghost",
    "edge",
    "edge_label",
    "ok",
    "error",
    "warning",
    "info",
    "not_reached",
    "key",
    "hint",
    "banner",
    "input",
    "tab",
    "tab_active",
];

#[derive(Deserialize, Debug, Clone, Default)]
struct RoleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    modifiers: Vec<String>,
}

#[derive(Deserialize, Debug)]
struct ThemeFile {
    name: Option<String>,
    #[serde(default)]
    roles: BTreeMap<String, RoleSpec>,
}

/// A resolved theme.
#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub border: Style,
    pub border_focus: Style,
    pub selection: Style,
    pub step: Style,
    pub inspection: Style,
    pub ghost: Style,
    pub edge: Style,
    pub edge_label: Style,
    pub ok: Style,
    pub error: Style,
    pub warning: Style,
    pub info: Style,
    pub not_reached: Style,
    pub key: Style,
    pub hint: Style,
    pub banner: Style,
    pub input: Style,
    pub tab: Style,
    pub tab_active: Style,
}

fn parse_color(s: &str) -> Result<Color, String> {
    Color::from_str(s).map_err(|_| format!("unknown colour '{s}'"))
}

fn parse_modifier(s: &str) -> Result<Modifier, String> {
    Ok(match s {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" | "underline" => Modifier::UNDERLINED,
        "reversed" | "reverse" => Modifier::REVERSED,
        "crossed_out" => Modifier::CROSSED_OUT,
        other => return Err(format!("unknown modifier '{other}'")),
    })
}

fn style_of(spec: &RoleSpec) -> Result<Style, String> {
    let mut st = Style::default();
    if let Some(fg) = &spec.fg {
        st = st.fg(parse_color(fg)?);
    }
    if let Some(bg) = &spec.bg {
        st = st.bg(parse_color(bg)?);
    }
    for m in &spec.modifiers {
        st = st.add_modifier(parse_modifier(m)?);
    }
    Ok(st)
}

impl Theme {
    /// Parse a theme file; roles it leaves out come from `base`.
    pub fn from_toml(text: &str, base: Option<&Theme>) -> Result<Theme, String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| e.to_string())?;
        for k in file.roles.keys() {
            if !ROLES.contains(&k.as_str()) {
                return Err(format!("unknown role '{k}' (roles: {})", ROLES.join(", ")));
            }
        }
        let get = |role: &str, fallback: Option<Style>| -> Result<Style, String> {
            match file.roles.get(role) {
                Some(spec) => style_of(spec).map_err(|e| format!("role '{role}': {e}")),
                None => fallback.ok_or_else(|| format!("role '{role}' is missing")),
            }
        };
        let b = |f: fn(&Theme) -> Style| base.map(f);
        Ok(Theme {
            name: file
                .name
                .or_else(|| base.map(|t| t.name.clone()))
                .unwrap_or_else(|| "custom".into()),
            text: get("text", b(|t| t.text))?,
            dim: get("dim", b(|t| t.dim))?,
            title: get("title", b(|t| t.title))?,
            border: get("border", b(|t| t.border))?,
            border_focus: get("border_focus", b(|t| t.border_focus))?,
            selection: get("selection", b(|t| t.selection))?,
            step: get("step", b(|t| t.step))?,
            inspection: get("inspection", b(|t| t.inspection))?,
            ghost: get("ghost", b(|t| t.ghost))?,
            edge: get("edge", b(|t| t.edge))?,
            edge_label: get("edge_label", b(|t| t.edge_label))?,
            ok: get("ok", b(|t| t.ok))?,
            error: get("error", b(|t| t.error))?,
            warning: get("warning", b(|t| t.warning))?,
            info: get("info", b(|t| t.info))?,
            not_reached: get("not_reached", b(|t| t.not_reached))?,
            key: get("key", b(|t| t.key))?,
            hint: get("hint", b(|t| t.hint))?,
            banner: get("banner", b(|t| t.banner))?,
            input: get("input", b(|t| t.input))?,
            tab: get("tab", b(|t| t.tab))?,
            tab_active: get("tab_active", b(|t| t.tab_active))?,
        })
    }

    /// A built-in theme by name.
    pub fn builtin(name: &str) -> Option<Theme> {
        BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| Theme::from_toml(text, None).expect("built-in themes are valid"))
    }

    /// The default (dark) theme.
    pub fn dark() -> Theme {
        Theme::builtin("dark").expect("dark theme")
    }

    /// No colours at all (`NO_COLOR`): emphasis by modifiers only.
    pub fn monochrome() -> Theme {
        let plain = Style::default();
        let bold = Style::default().add_modifier(Modifier::BOLD);
        let rev = Style::default().add_modifier(Modifier::REVERSED);
        Theme {
            name: "monochrome".into(),
            text: plain,
            dim: plain,
            title: bold,
            border: plain,
            border_focus: bold,
            selection: rev,
            step: plain,
            inspection: Style::default().add_modifier(Modifier::ITALIC),
            ghost: Style::default().add_modifier(Modifier::ITALIC),
            edge: plain,
            edge_label: plain,
            ok: plain,
            error: bold.add_modifier(Modifier::UNDERLINED),
            warning: bold,
            info: plain,
            not_reached: plain,
            key: bold,
            hint: plain,
            banner: rev.add_modifier(Modifier::BOLD),
            input: Style::default().add_modifier(Modifier::UNDERLINED),
            tab: plain,
            tab_active: rev,
        }
    }

    /// Pick the theme: `NO_COLOR` wins, then the requested name or file, then dark.
    pub fn resolve(requested: Option<&str>, no_color: bool) -> Result<Theme, String> {
        if no_color {
            return Ok(Theme::monochrome());
        }
        match requested {
            None => Ok(Theme::dark()),
            Some(name) => {
                if let Some(t) = Theme::builtin(name) {
                    return Ok(t);
                }
                let text = crate::fsutil::read_regular_to_string(std::path::Path::new(name))
                    .map_err(|e| {
                        format!(
                            "theme '{name}' is neither built in ({}) nor a readable file: {e}",
                            BUILTIN
                                .iter()
                                .map(|(n, _)| *n)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })?;
                Theme::from_toml(&text, Some(&Theme::dark())).map_err(|e| format!("{name}: {e}"))
            }
        }
    }
}

/// Whether `NO_COLOR` is set to a non-empty value (<https://no-color.org>).
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_define_every_role() {
        for (name, text) in BUILTIN {
            let t = Theme::from_toml(text, None).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&t.name, name);
            assert_ne!(t.error, t.ok, "{name}: pass and fail must differ");
            assert_ne!(t.selection, t.text, "{name}: selection must stand out");
        }
    }

    #[test]
    fn partial_override_and_errors() {
        let t = Theme::from_toml(
            "[roles]\nerror = { fg = \"#ff0000\" }",
            Some(&Theme::dark()),
        )
        .unwrap();
        assert_eq!(t.error.fg, Some(Color::Rgb(255, 0, 0)));
        assert_eq!(t.ok, Theme::dark().ok);
        assert!(Theme::from_toml("[roles]\nnope = {}", Some(&Theme::dark())).is_err());
        assert!(
            Theme::from_toml("[roles]\nok = { fg = \"nocolour\" }", Some(&Theme::dark())).is_err()
        );
        assert!(
            Theme::from_toml("[roles]\nok = {}", None).is_err(),
            "missing roles without a base"
        );
    }

    #[test]
    fn no_color_is_monochrome() {
        let t = Theme::resolve(Some("light"), true).unwrap();
        assert_eq!(t.name, "monochrome");
        for st in [t.text, t.error, t.ok, t.selection, t.banner] {
            assert!(st.fg.is_none() && st.bg.is_none());
        }
    }
}
