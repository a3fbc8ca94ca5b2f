//! `posixpath.normpath` and `posixpath.join`, as the recorder needs them.

/// `posixpath.normpath`: a purely lexical normalisation. `./a` → `a`, `a//b/../c` → `a/c`,
/// `` → `.`; leading `..` stay, `/..` → `/`, exactly two leading slashes are kept.
pub fn normpath(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let initial_slashes = if path.starts_with("//") && !path.starts_with("///") {
        2
    } else if path.starts_with('/') {
        1
    } else {
        0
    };
    let mut comps: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        if comp.is_empty() || comp == "." {
            continue;
        }
        if comp != ".." || (initial_slashes == 0 && comps.is_empty()) || comps.last() == Some(&"..")
        {
            comps.push(comp);
        } else if !comps.is_empty() {
            comps.pop();
        }
    }
    let mut out = "/".repeat(initial_slashes);
    out.push_str(&comps.join("/"));
    if out.is_empty() { ".".into() } else { out }
}

/// `posixpath.join(a, b)` for two parts.
pub fn join(a: &str, b: &str) -> String {
    if b.starts_with('/') {
        b.to_string()
    } else if a.is_empty() || a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normpath_like_python() {
        let cases = [
            ("", "."),
            (".", "."),
            ("./a", "a"),
            ("a/", "a"),
            ("sub/../a", "a"),
            ("a/./b//c/", "a/b/c"),
            ("..", ".."),
            ("../a", "../a"),
            ("../../a/..", "../.."),
            ("a/../..", ".."),
            ("/", "/"),
            ("/..", "/"),
            ("/../a", "/a"),
            ("//a", "//a"),
            ("///a", "/a"),
            ("//", "//"),
            ("////", "/"),
            ("a\\b", "a\\b"),
        ];
        for (input, want) in cases {
            assert_eq!(normpath(input), want, "normpath({input:?})");
        }
    }

    #[test]
    fn join_like_python() {
        assert_eq!(join(".", "a"), "./a");
        assert_eq!(join("/", "a"), "/a");
        assert_eq!(join("a/", "b"), "a/b");
        assert_eq!(join("a", "/b"), "/b");
    }
}
