//! Artifact-rule patterns with the semantics of Python's `fnmatch` on POSIX, which the
//! reference uses (`fnmatch.filter`):
//!
//! * `*` matches any run of characters, **including `/`** and leading dots; `**` is `*`;
//! * `?` matches any one character, including `/`;
//! * `[seq]`, `[!seq]` and ranges `a-z`; `^` is not a negation; `]` right after `[` or `[!`
//!   is literal; a reversed range (`z-a`) is empty; an unclosed `[` is a literal `[`;
//! * no escaping: a backslash is an ordinary character;
//! * case-sensitive, anchored at both ends.
//!
//! `globset` cannot reproduce all of this (it treats `[!]]` and unclosed brackets
//! differently and has escapes), so the matcher is written here; `tests/fnmatch_table.rs`
//! checks it against answers recorded from the reference.

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    tokens: Vec<Token>,
    /// The whole pattern is a literal (no `*`, `?` or bracket): match by equality.
    literal: Option<String>,
    /// The pattern is a single `*` (after collapsing): matches everything.
    match_all: bool,
    /// The pattern is `prefix*suffix` with literal parts (`*.js`, `src/*`): matched with
    /// `starts_with` / `ends_with`.
    affixes: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Char(char),
    Any,
    Star,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Pattern {
    /// Compile a pattern the way `fnmatch.translate` (Python 3.11) reads it.
    pub fn new(pattern: &str) -> Pattern {
        let chars: Vec<char> = pattern.chars().collect();
        let n = chars.len();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < n {
            let c = chars[i];
            i += 1;
            match c {
                '*' => {
                    if tokens.last() != Some(&Token::Star) {
                        tokens.push(Token::Star);
                    }
                }
                '?' => tokens.push(Token::Any),
                '[' => {
                    let mut j = i;
                    if j < n && chars[j] == '!' {
                        j += 1;
                    }
                    if j < n && chars[j] == ']' {
                        j += 1;
                    }
                    while j < n && chars[j] != ']' {
                        j += 1;
                    }
                    if j >= n {
                        tokens.push(Token::Char('['));
                    } else {
                        tokens.push(parse_class(&chars[i..j]));
                        i = j + 1;
                    }
                }
                c => tokens.push(Token::Char(c)),
            }
        }
        let literal = if tokens.iter().all(|t| matches!(t, Token::Char(_))) {
            Some(
                tokens
                    .iter()
                    .map(|t| match t {
                        Token::Char(c) => *c,
                        _ => unreachable!(),
                    })
                    .collect(),
            )
        } else {
            None
        };
        let match_all = tokens == [Token::Star];
        let affixes = match tokens.iter().position(|t| *t == Token::Star) {
            Some(star) if !match_all => {
                let text = |ts: &[Token]| -> Option<String> {
                    ts.iter()
                        .map(|t| match t {
                            Token::Char(c) => Some(*c),
                            _ => None,
                        })
                        .collect()
                };
                text(&tokens[..star]).zip(text(&tokens[star + 1..]))
            }
            _ => None,
        };
        Pattern {
            tokens,
            literal,
            match_all,
            affixes,
        }
    }

    /// Whether `name` matches the whole pattern.
    pub fn matches(&self, name: &str) -> bool {
        if self.match_all {
            return true;
        }
        if let Some(lit) = &self.literal {
            return lit == name;
        }
        if let Some((prefix, suffix)) = &self.affixes {
            // UTF-8 is self-synchronising: character and byte affixes agree.
            return name.len() >= prefix.len() + suffix.len()
                && name.starts_with(prefix.as_str())
                && name.ends_with(suffix.as_str());
        }
        if name.is_ascii() {
            // One byte per character: no need to decode.
            return match_tokens(&self.tokens, name.as_bytes(), char::from);
        }
        let text: Vec<char> = name.chars().collect();
        match_tokens(&self.tokens, &text, |c| c)
    }

    /// The literal string, when the pattern has no wildcard at all.
    pub fn literal(&self) -> Option<&str> {
        self.literal.as_deref()
    }
}

/// `fnmatch.fnmatchcase(name, pattern)` for a one-off check.
pub fn fnmatch(name: &str, pattern: &str) -> bool {
    Pattern::new(pattern).matches(name)
}

/// Build a bracket class from the characters between `[` and `]`, exactly as
/// `fnmatch.translate` builds its regex set (`stuff`) and as `re` then reads that set.
fn parse_class(inner: &[char]) -> Token {
    // 1. translate(): the regex set text.
    let mut stuff: Vec<char> = Vec::new();
    if !inner.contains(&'-') {
        for &c in inner {
            if c == '\\' {
                stuff.extend(['\\', '\\']);
            } else {
                stuff.push(c);
            }
        }
    } else {
        let mut chunks: Vec<Vec<char>> = Vec::new();
        let mut i = 0;
        let mut k = if inner[0] == '!' { 2 } else { 1 };
        while let Some(p) = (k..inner.len()).find(|&p| inner[p] == '-') {
            chunks.push(inner[i..p].to_vec());
            i = p + 1;
            k = p + 3;
        }
        let chunk = inner[i..].to_vec();
        if !chunk.is_empty() {
            chunks.push(chunk);
        } else if let Some(last) = chunks.last_mut() {
            last.push('-');
        }
        // Remove empty ranges -- invalid in RE.
        let mut k = chunks.len();
        while k > 1 {
            k -= 1;
            let (prev_last, cur_first) = (chunks[k - 1].last(), chunks[k].first());
            if let (Some(&a), Some(&b)) = (prev_last, cur_first)
                && a > b
            {
                let cur = chunks.remove(k);
                let prev = &mut chunks[k - 1];
                prev.pop();
                prev.extend_from_slice(&cur[1..]);
            }
        }
        for (ci, chunk) in chunks.iter().enumerate() {
            if ci > 0 {
                stuff.push('-');
            }
            for &c in chunk {
                match c {
                    '\\' => stuff.extend(['\\', '\\']),
                    '-' => stuff.extend(['\\', '-']),
                    c => stuff.push(c),
                }
            }
        }
    }
    // Escape set operations (`&`, `~`, `|`): they stay literal members.
    let mut escaped = Vec::with_capacity(stuff.len());
    for c in stuff {
        if matches!(c, '&' | '~' | '|') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    let stuff = escaped;
    if stuff.is_empty() {
        return Token::Class {
            negated: false,
            ranges: Vec::new(),
        };
    }
    if stuff == ['!'] {
        return Token::Class {
            negated: true,
            ranges: Vec::new(),
        };
    }
    let (negated, body) = if stuff[0] == '!' {
        (true, &stuff[1..])
    } else {
        (false, &stuff[..])
    };
    // 2. re's reading of the set: items, `\x` escapes, `a-b` ranges, a `-` before the end
    //    is literal.
    let mut ranges = Vec::new();
    let mut pos = 0;
    let next_item = |pos: &mut usize| -> Option<char> {
        let c = *body.get(*pos)?;
        *pos += 1;
        if c == '\\' {
            let e = *body.get(*pos)?;
            *pos += 1;
            Some(e)
        } else {
            Some(c)
        }
    };
    while let Some(lo) = next_item(&mut pos) {
        if body.get(pos) == Some(&'-') {
            if pos + 1 >= body.len() {
                ranges.push((lo, lo));
                ranges.push(('-', '-'));
                pos += 1;
                continue;
            }
            pos += 1;
            match next_item(&mut pos) {
                Some(hi) => ranges.push((lo, hi)),
                None => ranges.push((lo, lo)),
            }
        } else {
            ranges.push((lo, lo));
        }
    }
    Token::Class { negated, ranges }
}

fn class_matches(negated: bool, ranges: &[(char, char)], c: char) -> bool {
    let hit = ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
    hit != negated
}

fn token_matches_char(token: &Token, c: char) -> bool {
    match token {
        Token::Char(t) => *t == c,
        Token::Any => true,
        Token::Class { negated, ranges } => class_matches(*negated, ranges, c),
        Token::Star => unreachable!("star handled by the matcher"),
    }
}

/// Classic wildcard matching with single-star backtracking: every token but `*` consumes
/// exactly one character, so remembering the last star is enough (O(n·m) worst case).
fn match_tokens<T: Copy>(tokens: &[Token], text: &[T], char_of: impl Fn(T) -> char) -> bool {
    let (mut t, mut s) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while s < text.len() {
        if t < tokens.len() {
            if tokens[t] == Token::Star {
                star = Some((t, s));
                t += 1;
                continue;
            }
            if token_matches_char(&tokens[t], char_of(text[s])) {
                t += 1;
                s += 1;
                continue;
            }
        }
        match star {
            Some((st, ss)) => {
                t = st + 1;
                s = ss + 1;
                star = Some((st, ss + 1));
            }
            None => return false,
        }
    }
    tokens[t..].iter().all(|tok| *tok == Token::Star)
}

#[cfg(test)]
mod tests {
    use super::fnmatch;

    #[test]
    fn star_crosses_slashes_and_dots() {
        assert!(fnmatch("a/b.py", "*.py"));
        assert!(fnmatch(".hidden.py", "*.py"));
        assert!(fnmatch("src/a/b/c", "src/*"));
        assert!(fnmatch("a/b", "a?b"));
        assert!(fnmatch("x\ny", "x*y"));
        assert!(!fnmatch("a.PY", "*.py"));
    }

    #[test]
    fn brackets() {
        assert!(fnmatch("a", "[abc]"));
        assert!(!fnmatch("d", "[abc]"));
        assert!(fnmatch("d", "[!abc]"));
        assert!(fnmatch("/", "[!abc]"));
        assert!(fnmatch("^", "[^a]"));
        assert!(fnmatch("]", "[]]"));
        assert!(fnmatch("x", "[!]]"));
        assert!(!fnmatch("]", "[!]]"));
        assert!(fnmatch("m", "[a-z]"));
        assert!(!fnmatch("m", "[z-a]"));
        assert!(fnmatch("-", "[a-]"));
        assert!(fnmatch("[", "["));
        assert!(fnmatch("[ab", "[ab"));
        assert!(fnmatch("\\", "[\\]"));
        assert!(fnmatch("a\\b", "a\\b"));
        assert!(fnmatch("[!]", "[!]"));
    }

    #[test]
    fn affix_and_ascii_fast_paths_agree_with_the_general_matcher() {
        use super::{Pattern, match_tokens};
        let patterns = [
            "*.js", "src/*", "a*b", "*", "**", "*é", "é*", "a*a", "ab*ba", "*.d.ts", "x?y*",
            "[a-c]*", "*[!/]", "é?", "?", "",
        ];
        let names = [
            "", "a", "ab", "aba", "abba", "aXba", "lib/x.js", "x.js.map", "src/a/b", "src", "srcX",
            "é", "aé", "éa", "ééé", "x/y.d.ts", "xzy", "xzyw", "b", "/",
        ];
        for p in patterns {
            let pat = Pattern::new(p);
            for n in names {
                let chars: Vec<char> = n.chars().collect();
                let general = match_tokens(&pat.tokens, &chars, |c| c);
                assert_eq!(pat.matches(n), general, "pattern {p:?} name {n:?}");
            }
        }
    }

    #[test]
    fn stars_backtrack() {
        assert!(fnmatch("abcabcabd", "*abd"));
        assert!(fnmatch("aaa", "a*a*a"));
        assert!(!fnmatch("aa", "a*a*a"));
        assert!(fnmatch("", "*"));
        assert!(fnmatch("", "**"));
        assert!(!fnmatch("", "?"));
    }
}
