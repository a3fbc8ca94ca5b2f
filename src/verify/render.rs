//! Text and Markdown views of a [`Report`] (JSON is its serde form).

use super::report::*;
use std::fmt::Write as _;

/// How much the text view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Stages, the failure and its root cause, warnings.
    Normal,
    /// Also every item with its links and every rule with what it consumed.
    Verbose,
}

/// Text that is safe to print on a terminal: control characters (C0 but newline and tab,
/// DEL, C1), line and paragraph separators and the bidirectional overrides are shown as
/// Python shows them in a `repr` (`\x1b`, `\r`, `\u202e`), so a signed or unsigned name
/// can neither move the cursor, clear the screen nor reorder what is shown ("verification
/// PASSED" drawn over a failure). The text and Markdown views, lint and graph output pass
/// through this; JSON stays exact.
pub fn terminal_safe(s: &str) -> std::borrow::Cow<'_, str> {
    fn unsafe_char(c: char) -> bool {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
    }
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if !unsafe_char(c) {
            out.push(c);
            continue;
        }
        match c {
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Words joined into lines of at most `width` characters (a longer word stays whole on a
/// line of its own).
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("one line");
        let len = last.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if len > 0 {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

fn verdict(r: &Report) -> String {
    match (&r.failure, r.complete) {
        (None, true) => "PASSED".to_string(),
        (None, false) => "INCOMPLETE (inspections were not run)".to_string(),
        (Some(f), _) => format!("FAILED ({})", f.reference_error),
    }
}

fn list(items: &[String], limit: usize) -> String {
    let mut s = items
        .iter()
        .take(limit)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > limit {
        let _ = write!(s, " … and {} more", items.len() - limit);
    }
    s
}

/// The plain-text account: each stage, the failing check with rule and root cause.
pub fn text(r: &Report, detail: Detail) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Verification {}", verdict(r));
    let _ = writeln!(o);
    let _ = writeln!(o, "Stages");
    write_stages(&mut o, r, "  ");
    if let Some(f) = &r.failure {
        let _ = writeln!(o);
        let _ = writeln!(o, "Failure");
        let _ = writeln!(
            o,
            "  check:      {} ({})",
            f.stage.title(),
            f.reference_error
        );
        if !f.sublayout_path.is_empty() {
            let _ = writeln!(o, "  sublayout:  {}", f.sublayout_path.join(" › "));
        }
        match (&f.item, &f.item_kind) {
            (Some(i), Some(k)) => {
                let _ = writeln!(o, "  item:       {i} ({k})");
            }
            _ => {
                let _ = writeln!(o, "  item:       the layout");
            }
        }
        if let Some(set) = &f.rule_set {
            let _ = writeln!(o, "  rule set:   {}", set.rule_set());
        }
        if let Some(rule) = &f.rule {
            let idx = f
                .rule_index
                .map(|i| format!("  (rule #{})", i + 1))
                .unwrap_or_default();
            let _ = writeln!(o, "  rule:       {}{idx}", rule.join(" "));
        }
        if !f.artifacts.is_empty() {
            let _ = writeln!(o, "  artifacts:  {}", list(&f.artifacts, 10));
        }
        let first_line = f.message.lines().next().unwrap_or("");
        if !first_line.is_empty() {
            let _ = writeln!(o, "  message:    {first_line}");
        }
        if let Some(i) = f.item.as_deref().and_then(|n| r.inspection(n))
            && f.sublayout_path.is_empty()
        {
            for (what, line) in output_rows(&[("stdout", &i.stdout), ("stderr", &i.stderr)]) {
                let head = if what.is_empty() {
                    String::new()
                } else {
                    format!("{what}:")
                };
                let _ = writeln!(o, "  {head:<11} {line}");
            }
        }
        let links = failing_links(r);
        if !links.is_empty() {
            let _ = writeln!(o, "  links:");
            for l in links {
                let _ = writeln!(o, "    - {l}");
            }
        }
        if !f.root_causes.is_empty() {
            let _ = writeln!(o, "  why:");
            for c in &f.root_causes {
                let _ = writeln!(o, "    - {}: {}", c.artifact, c.explanation);
            }
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "Warnings");
        for w in &r.warnings {
            let _ = writeln!(o, "  ! {w}");
        }
    }
    if !r.notes.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "Notes");
        for n in &r.notes {
            let _ = writeln!(o, "  - {n}");
        }
    }
    if detail == Detail::Verbose {
        write_items(&mut o, r, "");
    }
    o
}

/// One link file and what became of it, keyids named: `links/package.0d58c865.link, for key
/// 0d58c865 carl): skipped: …; signed by b03101d5 (mallory)`.
fn link_line(l: &LinkReport, names: &KeyNames) -> String {
    let state = match &l.state {
        LinkState::Missing => "missing".to_string(),
        LinkState::LoadError(e) => format!("unreadable: {e}"),
        LinkState::NotChecked => "not checked".to_string(),
        LinkState::Unauthorized(e) | LinkState::BadSignature(e) => format!("skipped: {e}"),
        LinkState::Verified => "verified".to_string(),
    };
    let mut line = format!("{}, for key {}: {state}", l.file, names.show(&l.keyid, 8));
    if !l.signed_by.is_empty() && l.state != LinkState::Verified {
        let by: Vec<String> = l.signed_by.iter().map(|k| names.show(k, 8)).collect();
        let _ = write!(line, "; signed by {}", by.join(", "));
    }
    line
}

/// For a failure in checking a step's links (signatures, thresholds, agreement), every
/// link file of that step and what became of it.
fn failing_links(r: &Report) -> Vec<String> {
    let Some(f) = &r.failure else {
        return Vec::new();
    };
    if !f.sublayout_path.is_empty()
        || !matches!(
            f.stage,
            Stage::LoadLinks | Stage::LinkSignatures | Stage::ThresholdAgreement
        )
    {
        return Vec::new();
    }
    let Some(s) = f.item.as_deref().and_then(|n| r.step(n)) else {
        return Vec::new();
    };
    s.links.iter().map(|l| link_line(l, &r.key_names)).collect()
}

fn write_stages(o: &mut String, r: &Report, indent: &str) {
    let width = Stage::ALL
        .iter()
        .map(|s| s.title().len())
        .max()
        .unwrap_or(0);
    for s in &r.stages {
        let detail = s.detail.lines().next().unwrap_or("");
        let _ = writeln!(
            o,
            "{indent}{} {:<width$}  {}",
            s.status.glyph(),
            s.stage.title(),
            if s.status == Status::NotReached {
                "not reached"
            } else {
                detail
            }
        );
    }
}

fn write_rule_set(o: &mut String, set: &RuleSetReport, indent: &str) {
    let _ = writeln!(
        o,
        "{indent}{} {} ({} artifact(s))",
        set.status.glyph(),
        set.rule_set(),
        set.artifacts.len()
    );
    for (i, rule) in set.rules.iter().enumerate() {
        let _ = write!(
            o,
            "{indent}  {} {}",
            rule.status.glyph(),
            rule.rule.join(" ")
        );
        match rule.status {
            Status::NotReached => {
                let _ = writeln!(o);
            }
            _ => {
                let consumed = set.consumed_paths(i);
                let left = set.queue_after(i).len();
                let _ = writeln!(o, "  — consumed {}, queue {left}", consumed.len());
                if !rule.matched.is_empty() {
                    let m: Vec<String> =
                        set.matched_paths(i).iter().map(|s| s.to_string()).collect();
                    let _ = writeln!(o, "{indent}      matched: {}", list(&m, 10));
                }
                if let Some(missing) = &rule.missing {
                    let _ = writeln!(o, "{indent}      missing: {missing}");
                }
                if let Some(n) = &rule.note {
                    let _ = writeln!(o, "{indent}      note: {n}");
                }
            }
        }
    }
}

fn write_items(o: &mut String, r: &Report, indent: &str) {
    let _ = writeln!(o);
    let _ = writeln!(o, "{indent}Steps");
    for s in &r.steps {
        let _ = writeln!(
            o,
            "{indent}  {} {} (threshold {})",
            s.status.glyph(),
            s.name,
            s.threshold
        );
        for l in &s.links {
            let used = if s.used_link.as_deref() == Some(&l.keyid) {
                " [used]"
            } else {
                ""
            };
            let _ = writeln!(o, "{indent}      link {}{used}", link_line(l, &r.key_names));
        }
        for set in [&s.materials, &s.products].into_iter().flatten() {
            write_rule_set(o, set, &format!("{indent}    "));
        }
        if let Some(sub) = &s.sublayout {
            let _ = writeln!(o, "{indent}    sublayout: {}", verdict(sub));
            write_items(o, sub, &format!("{indent}      "));
        }
    }
    if !r.inspections.is_empty() {
        let _ = writeln!(o, "{indent}Inspections");
        for i in &r.inspections {
            let rv = i
                .return_value
                .map(|v| format!(" → exit {v}"))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "{indent}  {} {}: {}{rv}",
                i.status.glyph(),
                i.name,
                i.run.join(" ")
            );
            for (head, line) in output_rows(&[("stdout", &i.stdout), ("stderr", &i.stderr)]) {
                let _ = writeln!(o, "{indent}    {head:<7} {line}");
            }
            for set in [&i.materials, &i.products].into_iter().flatten() {
                write_rule_set(o, set, &format!("{indent}    "));
            }
        }
    }
}

/// An inspection's output as lines to show (escaped for a terminal): at most
/// [`OUTPUT_LINES`] of them, then how many more there are.
pub fn output_lines(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let mut out: Vec<String> = lines
        .iter()
        .take(OUTPUT_LINES)
        .map(|l| terminal_safe(l).into_owned())
        .collect();
    if lines.len() > OUTPUT_LINES {
        out.push(format!("… ({} more lines)", lines.len() - OUTPUT_LINES));
    }
    out
}

/// The lines of the streams given (label, text), each labelled on its first line only:
/// `("stderr", "first line"), ("", "second line")`.
pub fn output_rows(streams: &[(&'static str, &Option<String>)]) -> Vec<(&'static str, String)> {
    let mut rows = Vec::new();
    for (what, text) in streams {
        if let Some(t) = text {
            for (n, line) in output_lines(t).into_iter().enumerate() {
                rows.push((if n == 0 { *what } else { "" }, line));
            }
        }
    }
    rows
}

/// How many lines of an inspection's stdout or stderr a report shows.
pub const OUTPUT_LINES: usize = 20;

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('`', "'")
}

/// A Markdown report (for tickets and incident notes).
pub fn markdown(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# in-toto verification: {}", verdict(r));
    let _ = writeln!(o);
    if let Some(f) = &r.failure {
        let _ = writeln!(o, "## Failure");
        let _ = writeln!(o);
        let _ = writeln!(o, "| | |");
        let _ = writeln!(o, "|---|---|");
        let _ = writeln!(o, "| check | {} |", f.stage.title());
        let _ = writeln!(o, "| reference error | `{}` |", f.reference_error);
        if !f.sublayout_path.is_empty() {
            let _ = writeln!(
                o,
                "| sublayout | {} |",
                md_escape(&f.sublayout_path.join(" › "))
            );
        }
        let item = f
            .item
            .as_deref()
            .map(md_escape)
            .unwrap_or_else(|| "the layout".into());
        let _ = writeln!(o, "| item | {item} |");
        if let Some(set) = &f.rule_set {
            let _ = writeln!(o, "| rule set | {} |", set.rule_set());
        }
        if let Some(rule) = &f.rule {
            let _ = writeln!(o, "| rule | `{}` |", md_escape(&rule.join(" ")));
        }
        if !f.artifacts.is_empty() {
            let _ = writeln!(o, "| artifacts | {} |", md_escape(&list(&f.artifacts, 20)));
        }
        let _ = writeln!(o);
        let links = failing_links(r);
        if !links.is_empty() {
            let _ = writeln!(
                o,
                "### Links of {}",
                md_escape(f.item.as_deref().unwrap_or(""))
            );
            let _ = writeln!(o);
            for l in links {
                let _ = writeln!(o, "- {}", md_escape(&l));
            }
            let _ = writeln!(o);
        }
        if !f.root_causes.is_empty() {
            let _ = writeln!(o, "### Why");
            let _ = writeln!(o);
            for c in &f.root_causes {
                let _ = writeln!(
                    o,
                    "- `{}`: {}",
                    md_escape(&c.artifact),
                    md_escape(&c.explanation)
                );
            }
            let _ = writeln!(o);
        }
        let _ = writeln!(o, "```text\n{}\n```", f.message.trim_end());
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "## Stages");
    let _ = writeln!(o);
    let _ = writeln!(o, "| | stage | detail |");
    let _ = writeln!(o, "|---|---|---|");
    for s in &r.stages {
        let _ = writeln!(
            o,
            "| {} | {} | {} |",
            s.status.glyph(),
            s.stage.title(),
            md_escape(s.detail.lines().next().unwrap_or(""))
        );
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "## Warnings");
        let _ = writeln!(o);
        for w in &r.warnings {
            let _ = writeln!(o, "- {}", md_escape(w));
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "## Items");
    let _ = writeln!(o);
    let _ = writeln!(o, "| | item | kind |");
    let _ = writeln!(o, "|---|---|---|");
    for s in &r.steps {
        let _ = writeln!(
            o,
            "| {} | {} | step |",
            s.status.glyph(),
            md_escape(&s.name)
        );
    }
    for i in &r.inspections {
        let _ = writeln!(
            o,
            "| {} | {} | inspection |",
            i.status.glyph(),
            md_escape(&i.name)
        );
    }
    for i in &r.inspections {
        for (what, text) in [("stdout", &i.stdout), ("stderr", &i.stderr)] {
            if let Some(t) = text {
                let _ = writeln!(o);
                let _ = writeln!(o, "### Inspection {} ({what})", md_escape(&i.name));
                let _ = writeln!(o);
                // (A fence inside the output would end the block.)
                let body = output_lines(t).join("\n").replace("```", "` ` `");
                let _ = writeln!(o, "```text\n{body}\n```");
            }
        }
    }
    o
}

#[cfg(test)]
mod terminal_safe_tests {
    use super::terminal_safe;

    #[test]
    fn escapes_what_moves_the_cursor_and_keeps_the_rest() {
        assert_eq!(terminal_safe("a/b.txt\tok\n"), "a/b.txt\tok\n");
        assert_eq!(
            terminal_safe("x\u{1b}[2J\u{1b}[Hverification PASSED\r"),
            "x\\x1b[2J\\x1b[Hverification PASSED\\r"
        );
        assert_eq!(terminal_safe("\u{9b}31m \u{7f}"), "\\x9b31m \\x7f");
        assert_eq!(terminal_safe("evil\u{202e}txt.exe"), "evil\\u202etxt.exe");
        assert_eq!(terminal_safe("naïve ✓"), "naïve ✓");
    }
}
