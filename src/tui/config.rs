//! The user's config file: `config.toml` in the platform config directory
//! (`$INTOTO_STUDIO_CONFIG` overrides the path).
//!
//! ```toml
//! theme = "light"          # a built-in theme or a path to a theme file
//! mouse = true
//! [keys]
//! quit = "ctrl-q"          # or a list: save = ["ctrl-s", "F2"]
//! "graph.add_step" = "n"   # scoped to one context
//! trusted_owner_keys = ["~/keys/owner.pub"]  # owner keys a folder's owner*.pub may be
//! ```

use super::keys::KeyMap;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub theme: Option<String>,
    pub mouse: Option<bool>,
    #[serde(default)]
    pub keys: BTreeMap<String, KeyList>,
    /// Public key files of the owners whose layouts this user trusts: a folder opened
    /// without `--verification-keys` passes unqualified only if its `owner*.pub` are these.
    #[serde(default)]
    pub trusted_owner_keys: Vec<PathBuf>,
}

/// One key or several.
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl KeyList {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            KeyList::One(k) => vec![k.clone()],
            KeyList::Many(v) => v.clone(),
        }
    }
}

/// The config file path.
pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("INTOTO_STUDIO_CONFIG") {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "intoto-studio")
        .map(|d| d.config_dir().join("config.toml"))
}

/// Load the config (a missing file is an empty config).
pub fn load(explicit: Option<&std::path::Path>) -> Result<Config, String> {
    let Some(p) = explicit.map(|p| p.to_path_buf()).or_else(path) else {
        return Ok(Config::default());
    };
    match crate::fsutil::read_regular_to_string(&p) {
        Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", p.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
            Ok(Config::default())
        }
        Err(e) => Err(format!("{}: {e}", p.display())),
    }
}

impl Config {
    /// The key table with this config's overrides.
    pub fn keymap(&self) -> Result<KeyMap, String> {
        let mut km = KeyMap::default();
        let overrides: BTreeMap<String, Vec<String>> = self
            .keys
            .iter()
            .map(|(k, v)| (k.clone(), v.to_vec()))
            .collect();
        km.apply_overrides(&overrides)?;
        Ok(km)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_unknown_fields() {
        let c: Config = toml::from_str("theme = \"light\"\nmouse = false\n[keys]\nquit = \"ctrl-q\"\nsave = [\"ctrl-s\", \"F2\"]\n").unwrap();
        assert_eq!(c.theme.as_deref(), Some("light"));
        assert!(c.keymap().is_ok());
        assert!(toml::from_str::<Config>("colour = 1").is_err());
        let bad: Config = toml::from_str("[keys]\nnope = \"x\"").unwrap();
        assert!(bad.keymap().is_err());
    }
}
