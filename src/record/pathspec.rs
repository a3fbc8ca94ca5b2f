//! Exclude patterns: gitignore patterns exactly as the reference's `pathspec` 1.1.1
//! `GitIgnoreSpec.from_lines("gitwildmatch", patterns).match_file(path)` treats them.
//!
//! Each pattern is translated the way `pathspec.patterns.gitignore.spec.GitIgnoreSpecPattern`
//! does it (segments normalised, `**` handled, a directory marker group `ps_d`), into a
//! regular expression for the `regex` crate with the same meaning as the Python `re`
//! expression pathspec builds (Python's `$` also matches before a final newline; bracket
//! expressions are parsed with Python's rules and re-emitted as escaped code points).
//! Matching follows pathspec's "simple" gitignore backend: the patterns are checked last to
//! first; the last pattern that matches the path itself (not through a directory marker)
//! decides, else the last pattern that matched through a directory marker.
//!
//! Errors are those the reference raises while compiling: `GitIgnorePatternError` for an
//! invalid pattern (`"!"`, a trailing `\`) and `error` (Python's `re.error`) for a bracket
//! expression with a reversed range such as `[z-a]`. Patterns with an unterminated bracket
//! expression are silently discarded, like Git (and pathspec) do.

use crate::Exc;
use crate::error::Error;
use crate::py::repr::repr as py_repr;
use regex::Regex;

/// The name of the directory-marker group (pathspec's `_DIR_MARK`).
const DIR_MARK: &str = "ps_d";

/// A compiled set of exclude patterns.
#[derive(Debug, Clone)]
pub struct ExcludeSpec {
    /// The patterns that are not no-ops, in the given order.
    patterns: Vec<Compiled>,
}

#[derive(Debug, Clone)]
struct Compiled {
    regex: Regex,
    /// `true` for a normal pattern, `false` for a `!` negation.
    include: bool,
    /// Whether the regex has the directory-marker group.
    has_dir_mark: bool,
}

impl ExcludeSpec {
    /// Compile the patterns like `GitIgnoreSpec.from_lines("gitwildmatch", patterns)`.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self, Error> {
        let mut out = Vec::new();
        for p in patterns {
            let p = p.as_ref();
            if p.is_empty() {
                // `from_lines` skips empty lines before compiling them.
                continue;
            }
            if let Some(c) = compile(p)? {
                out.push(c);
            }
        }
        Ok(ExcludeSpec { patterns: out })
    }

    /// Whether `path` matches (`GitIgnoreSpec.match_file`), i.e. is excluded.
    pub fn is_excluded(&self, path: &str) -> bool {
        let file = normalize_file(path);
        let mut out_include = None;
        let mut out_priority = 0;
        for p in self.patterns.iter().rev() {
            let dir_mark = if p.has_dir_mark {
                match p.regex.captures(file) {
                    None => continue,
                    Some(caps) => caps.name(DIR_MARK).is_some_and(|m| !m.as_str().is_empty()),
                }
            } else if p.regex.is_match(file) {
                false
            } else {
                continue;
            };
            let priority = if dir_mark { 1 } else { 2 };
            if priority > out_priority {
                out_include = Some(p.include);
                out_priority = priority;
            }
            if priority == 2 {
                break;
            }
        }
        out_include == Some(true)
    }

    /// Whether no pattern is active (every path is kept).
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

/// `pathspec.util.normalize_file` on POSIX: drop one leading `/`, else one leading `./`.
fn normalize_file(path: &str) -> &str {
    if let Some(rest) = path.strip_prefix('/') {
        rest
    } else if let Some(rest) = path.strip_prefix("./") {
        rest
    } else {
        path
    }
}

/// The regular expression of one pattern, built twice: as the Python text pathspec builds
/// (used for `re.error` positions) and as an equivalent `regex`-crate text.
#[derive(Default)]
struct Rx {
    py: String,
    rs: String,
    /// The first error Python's `re.compile` would raise on `py` (message, position); it
    /// only compiles after the whole pattern is translated, so a later discarding error
    /// takes precedence.
    re_error: Option<(String, usize)>,
}

impl Rx {
    fn push(&mut self, py: &str, rs: &str) {
        self.py.push_str(py);
        self.rs.push_str(rs);
    }

    fn same(&mut self, s: &str) {
        self.push(s, s);
    }

    /// A literal character (`re.escape` on the Python side).
    fn literal(&mut self, c: char) {
        if "()[]{}?*+-|^$\\.&~# \t\n\r\x0b\x0c".contains(c) {
            self.py.push('\\');
        }
        self.py.push(c);
        let mut buf = [0u8; 4];
        self.rs.push_str(&regex::escape(c.encode_utf8(&mut buf)));
    }
}

const DIR_MARK_CG_PY: &str = "(?P<ps_d>/)";
const DIR_MARK_OPT_PY: &str = "(?:(?P<ps_d>/)|$)";
// Python's `$` (no MULTILINE) also matches before a newline that ends the text. It only
// ever ends the expression, so consuming that newline changes nothing.
const DIR_MARK_OPT_RS: &str = "(?:(?P<ps_d>/)|\n?$)";

/// Why a segment glob could not be translated.
enum GlobError {
    /// Unterminated bracket expression: the pattern is discarded.
    Range,
    /// A trailing backslash: the pattern is invalid.
    Escape,
}

fn pattern_error(original: &str) -> Error {
    Error::new(
        Exc::GitIgnorePatternError,
        format!("Invalid git pattern: {}", py_repr(original)),
    )
}

/// Python `str.isspace()`.
fn py_isspace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\x0b'
            | '\x0c'
            | '\r'
            | '\x1c'..='\x1f'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// `GitIgnoreSpecPattern.pattern_to_regex` plus `re.compile`: `None` for a no-op pattern.
fn compile(original: &str) -> Result<Option<Compiled>, Error> {
    let Some((rx, include)) = pattern_to_regex(original)? else {
        return Ok(None);
    };
    if let Some((msg, pos)) = &rx.re_error {
        return Err(re_error(msg, &rx.py, *pos));
    }
    let regex = Regex::new(&rx.rs).map_err(|e| Error::new(Exc::ReError, e.to_string()))?;
    let has_dir_mark = regex.capture_names().any(|n| n == Some(DIR_MARK));
    Ok(Some(Compiled {
        regex,
        include,
        has_dir_mark,
    }))
}

fn pattern_to_regex(original: &str) -> Result<Option<(Rx, bool)>, Error> {
    let mut pattern = original;
    if !pattern.ends_with("\\ ") {
        pattern = pattern.trim_end_matches(py_isspace);
    }
    if pattern.is_empty() || pattern.starts_with('#') || pattern == "/" {
        return Ok(None);
    }
    let (include, pattern) = match pattern.strip_prefix('!') {
        Some(rest) => (false, rest),
        None => (true, pattern),
    };
    let mut segs: Vec<&str> = pattern.split('/').collect();
    let is_dir_pattern = segs.last().is_some_and(|s| s.is_empty());

    // __normalize_segments
    if segs[0].is_empty() {
        segs.remove(0);
    } else if (segs.len() == 1 || (segs.len() == 2 && segs[1].is_empty())) && segs[0] != "**" {
        segs.insert(0, "**");
    }
    if segs.is_empty() {
        return Err(pattern_error(original));
    }
    if let Some(last) = segs.last_mut()
        && last.is_empty()
    {
        *last = "**";
    }
    for i in (1..segs.len()).rev() {
        if segs[i - 1] == "**" && segs[i] == "**" {
            segs.remove(i);
        }
    }
    let overridden = match segs.as_slice() {
        ["**"] if is_dir_pattern => Some(DIR_MARK_CG_PY),
        ["**"] => Some("."),
        ["**", "*"] => Some("."),
        ["**", "*", "**"] if is_dir_pattern => Some(DIR_MARK_CG_PY),
        ["**", "*", "**"] => Some("/"),
        _ => None,
    };
    let mut rx = Rx::default();
    if let Some(o) = overridden {
        rx.same(o);
        return Ok(Some((rx, include)));
    }

    // __translate_segments
    let mut need_slash = false;
    let end = segs.len() - 1;
    for (i, seg) in segs.iter().enumerate() {
        if *seg == "**" {
            if i == 0 {
                rx.same("^(?:.+/)?");
            } else if i < end {
                rx.same("(?:/.+)?");
                need_slash = true;
            } else if is_dir_pattern {
                rx.same(DIR_MARK_CG_PY);
            } else {
                rx.same("/");
            }
        } else {
            if i == 0 {
                rx.same("^");
            }
            if need_slash {
                rx.same("/");
            }
            if *seg == "*" {
                rx.same("[^/]+");
            } else {
                match translate_glob(seg, &mut rx) {
                    Ok(()) => {}
                    Err(GlobError::Range) => return Ok(None),
                    Err(GlobError::Escape) => return Err(pattern_error(original)),
                }
            }
            if i == end {
                rx.push(DIR_MARK_OPT_PY, DIR_MARK_OPT_RS);
            }
            need_slash = true;
        }
    }
    Ok(Some((rx, include)))
}

/// `_GitIgnoreBasePattern._translate_segment_glob(pattern, 'raise')`.
fn translate_glob(seg: &str, rx: &mut Rx) -> Result<(), GlobError> {
    let chars: Vec<char> = seg.chars().collect();
    let end = chars.len();
    let mut escape = false;
    let mut i = 0;
    while i < end {
        let c = chars[i];
        i += 1;
        if escape {
            escape = false;
            rx.literal(c);
        } else if c == '\\' {
            escape = true;
        } else if c == '*' {
            rx.same("[^/]*");
        } else if c == '?' {
            rx.same("[^/]");
        } else if c == '[' {
            let mut j = i;
            if j < end && (chars[j] == '!' || chars[j] == '^') {
                j += 1;
            }
            if j < end && chars[j] == ']' {
                j += 1;
            }
            while j < end && chars[j] != ']' {
                j += 1;
            }
            if j >= end {
                return Err(GlobError::Range);
            }
            j += 1;
            let negate = chars[i] == '!' || chars[i] == '^';
            if negate {
                i += 1;
            }
            bracket(negate, &chars[i..j], rx);
            i = j;
        } else {
            rx.literal(c);
        }
    }
    if escape {
        return Err(GlobError::Escape);
    }
    Ok(())
}

/// One bracket expression: `content` runs up to and including the closing `]`. Python
/// receives `[` (`^`) and the content with every backslash doubled, and parses it with
/// `re._parser` rules; the same parse gives the `regex`-crate class.
fn bracket(negate: bool, content: &[char], rx: &mut Rx) {
    rx.py.push('[');
    if negate {
        rx.py.push('^');
    }
    // Python offsets (code points) of each content character in the regex text.
    let start = rx.py.chars().count();
    let mut offsets = Vec::with_capacity(content.len());
    let mut off = start;
    for &c in content {
        offsets.push(off);
        off += if c == '\\' { 2 } else { 1 };
    }
    for &c in content {
        if c == '\\' {
            rx.py.push_str("\\\\");
        } else {
            rx.py.push(c);
        }
    }
    let token = |c: char| {
        if c == '\\' {
            "\\\\".to_string()
        } else {
            c.to_string()
        }
    };

    let mut items: Vec<(char, char)> = Vec::new();
    let mut k = 0;
    loop {
        // The content always ends with the `]` that closes the Python set.
        let this = content[k];
        let this_at = k;
        k += 1;
        if this == ']' && !items.is_empty() {
            break;
        }
        if content.get(k) == Some(&'-') {
            k += 1;
            let that = content[k];
            k += 1;
            if that == ']' {
                items.push((this, this));
                items.push(('-', '-'));
                break;
            }
            if that < this {
                if rx.re_error.is_none() {
                    let msg = format!("bad character range {}-{}", token(this), token(that));
                    rx.re_error = Some((msg, offsets[this_at]));
                }
                // Python's set would end here; the expression is never compiled anyway.
                items.push((that, that));
            } else {
                items.push((this, that));
            }
        } else {
            items.push((this, this));
        }
    }

    rx.rs.push('[');
    if negate {
        rx.rs.push('^');
    }
    for (lo, hi) in items {
        rx.rs.push_str(&format!("\\x{{{:X}}}", lo as u32));
        if hi != lo {
            rx.rs.push_str(&format!("-\\x{{{:X}}}", hi as u32));
        }
    }
    rx.rs.push(']');
}

/// Python's `re.error(msg, pattern, pos)` text.
fn re_error(msg: &str, pattern: &str, pos: usize) -> Error {
    let mut text = format!("{msg} at position {pos}");
    if pattern.contains('\n') {
        let before: String = pattern.chars().take(pos).collect();
        let lineno = before.matches('\n').count() + 1;
        let colno = match before.rfind('\n') {
            Some(b) => pos - before.get(..b).unwrap_or_default().chars().count(),
            None => pos + 1,
        };
        text.push_str(&format!(" (line {lineno}, column {colno})"));
    }
    Error::new(Exc::ReError, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(p: &[&str]) -> ExcludeSpec {
        ExcludeSpec::new(p).unwrap()
    }

    #[test]
    fn defaults() {
        let s = spec(&["*.link*", ".git", "*.pyc", "*~"]);
        for p in [
            "a.link",
            "x/step.abcd1234.link",
            ".git",
            ".git/HEAD",
            "sub/.git/x",
            "a.pyc",
            "b~",
            "d/b~",
        ] {
            assert!(s.is_excluded(p), "{p}");
        }
        for p in ["a", "a.lin", "git", ".gitignore", "a.py", "~b", "sub/a.txt"] {
            assert!(!s.is_excluded(p), "{p}");
        }
    }

    #[test]
    fn anchoring_dir_only_and_globstar() {
        let s = spec(&["/top", "build/", "a/**/z", "**/deep"]);
        assert!(s.is_excluded("top"));
        assert!(s.is_excluded("top/x"));
        assert!(!s.is_excluded("sub/top"));
        assert!(!s.is_excluded("build"));
        assert!(s.is_excluded("build/x"));
        assert!(s.is_excluded("q/build/x"));
        assert!(s.is_excluded("a/z"));
        assert!(s.is_excluded("a/b/c/z"));
        assert!(s.is_excluded("x/y/deep"));
        assert!(!s.is_excluded("x/y/deeper"));
    }

    #[test]
    fn negation_priority() {
        // A file pattern beats a directory match, whatever the order.
        let s = spec(&["dir", "!dir/keep"]);
        assert!(s.is_excluded("dir/other"));
        assert!(!s.is_excluded("dir/keep"));
        let s = spec(&["!dir/keep", "dir"]);
        assert!(!s.is_excluded("dir/keep"));
        assert!(s.is_excluded("dir/other"));
        let s = spec(&["*.txt", "!a.txt"]);
        assert!(!s.is_excluded("a.txt"));
        assert!(s.is_excluded("b.txt"));
    }

    #[test]
    fn odd_paths_do_not_panic() {
        let s = spec(&["x", "/x", "../x", "**"]);
        for p in ["../x", "/x", "//x", "/", "", ".", "..", "a b/ü"] {
            let _ = s.is_excluded(p);
        }
        assert!(spec(&["x"]).is_excluded("../x"));
        assert!(spec(&["x"]).is_excluded("/x"));
    }

    #[test]
    fn errors_and_noops() {
        assert_eq!(
            ExcludeSpec::new(&["!"]).unwrap_err().class,
            "GitIgnorePatternError"
        );
        assert_eq!(
            ExcludeSpec::new(&["a\\"]).unwrap_err().message,
            "Invalid git pattern: 'a\\\\'"
        );
        let e = ExcludeSpec::new(&["[z-a]"]).unwrap_err();
        assert_eq!(
            (e.class, e.message.as_str()),
            (Exc::ReError, "bad character range z-a at position 10")
        );
        assert!(spec(&["[abc", "", "   ", "# c", "/"]).is_empty());
    }

    #[test]
    fn brackets() {
        let s = spec(&["[[:alpha:]]"]);
        assert!(s.is_excluded("a]"));
        assert!(!s.is_excluded("a"));
        let s = spec(&["[!a-c]x"]);
        assert!(s.is_excluded("dx"));
        assert!(!s.is_excluded("bx"));
        assert!(spec(&["[]-]"]).is_excluded("-"));
        assert!(spec(&["[\\]"]).is_excluded("\\"));
    }

    #[test]
    fn python_dollar_before_final_newline() {
        assert!(spec(&["a"]).is_excluded("a\n"));
        assert!(!spec(&["a"]).is_excluded("a\n\n"));
    }
}
