//! The examples in `examples/` say what they teach; these tests keep them honest.
//!
//! For every folder of `examples/` with a `root.layout`, its `README.md` has a verdict line
//! (`Verdict: PASSED`, or `Verdict: FAILED (<Class>) at <item> [in sublayout <path>]: …`, or
//! `… at the layout: …`) and the commands to verify a copy of it (a `cd` into the copy, the
//! `"$bin" verify …` line and the `in-toto-verify …` line). The tests parse both — no verdict is
//! written down here — and check that:
//!
//! 1. our `verify --format json`, run exactly as the README says on a fresh copy, agrees with
//!    the verdict: `passed`, `failure.reference_error`, `failure.item` and
//!    `failure.sublayout_path`, and the exit status;
//! 2. the reference `in-toto-verify` (in-toto 3.1.0), run the same way on another fresh copy,
//!    agrees too: exit 0 when passed, else non-zero with `(in-toto-verify) <Class>: …`. The
//!    reference is installed by `tests/support/ensure-reference.sh`; if that fails it says it
//!    skipped that part (under `.ci/run`, `INTOTO_STUDIO_REQUIRE_REFERENCE=1`, it fails);
//! 3. the layouts of the passing examples lint without errors; the index `examples/README.md`
//!    lists every example with its verdict; the `links/…` paths a README quotes exist; and
//!    `examples/keys/` holds nothing but TEST-ONLY keys.

mod common;
use common::*;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

fn examples_dir() -> PathBuf {
    Path::new(MANIFEST).join("examples")
}

/// Every example folder (one with a `root.layout`), sorted by name.
fn examples() -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(examples_dir())
        .expect("examples/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.join("root.layout").is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    v.sort();
    assert!(
        !v.is_empty(),
        "no example folder with a root.layout in examples/"
    );
    v
}

// ---------------------------------------------------------------------------------------
// The README: verdict line and commands
// ---------------------------------------------------------------------------------------

/// A README's `Verdict:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Verdict {
    passed: bool,
    /// The reference's exception class (failed only).
    class: Option<String>,
    /// The failing step or inspection; `None` for "the layout" (failed only).
    item: Option<String>,
    /// `in sublayout a/b`: the root steps whose sublayouts hold the item.
    sublayout: Vec<String>,
}

fn parse_verdict(readme: &str) -> Result<Verdict, String> {
    let lines: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("Verdict:"))
        .collect();
    let [line] = lines[..] else {
        return Err(format!(
            "want exactly one line starting with `Verdict:`, found {}",
            lines.len()
        ));
    };
    let rest = line["Verdict:".len()..].trim_start();
    if rest.trim_end() == "PASSED" {
        return Ok(Verdict {
            passed: true,
            class: None,
            item: None,
            sublayout: vec![],
        });
    }
    let bad = || {
        format!(
            "malformed verdict line {line:?}: want `Verdict: PASSED` or \
             `Verdict: FAILED (<Class>) at <item or \"the layout\"> …`"
        )
    };
    let rest = rest.strip_prefix("FAILED (").ok_or_else(bad)?;
    let (class, rest) = rest.split_once(')').ok_or_else(bad)?;
    if class.is_empty() || !class.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(bad());
    }
    let rest = rest.strip_prefix(" at ").ok_or_else(bad)?;
    let end_of_word = |s: &str| s.find([' ', ':', ',']).unwrap_or(s.len());
    let (item, rest) = if let Some(r) = rest.strip_prefix("the layout") {
        (None, r)
    } else {
        let n = end_of_word(rest);
        if n == 0 {
            return Err(bad());
        }
        (Some(rest[..n].to_string()), &rest[n..])
    };
    let sublayout = match rest.strip_prefix(" in sublayout ") {
        Some(r) => {
            let p = &r[..end_of_word(r)];
            if p.is_empty() || item.is_none() {
                return Err(bad());
            }
            p.split('/').map(str::to_string).collect()
        }
        None => vec![],
    };
    Ok(Verdict {
        passed: false,
        class: Some(class.to_string()),
        item,
        sublayout,
    })
}

/// How a README says to verify its example.
#[derive(Debug, Clone)]
struct Invocation {
    /// Run from the copy's `workdir/` (else from the copy itself).
    in_workdir: bool,
    /// The arguments after `intoto-studio verify`, as written (globs unexpanded).
    args: Vec<String>,
}

fn parse_invocation(name: &str, readme: &str) -> Result<Invocation, String> {
    let code: Vec<&str> = readme.lines().map(str::trim).collect();
    let cd = code
        .iter()
        .find_map(|l| l.split_once("&& cd ").map(|(_, d)| d.trim()))
        .ok_or("no `… && cd <copy>` line")?;
    let in_workdir = match cd.strip_suffix("/workdir") {
        Some(copy) if copy.ends_with(&format!("/{name}")) => true,
        None if cd.ends_with(&format!("/{name}")) => false,
        _ => return Err(format!("`cd {cd}` is not into a copy named {name}")),
    };
    let words = |prefix: &str| -> Result<Vec<String>, String> {
        let line = code
            .iter()
            .find(|l| l.starts_with(prefix))
            .ok_or(format!("no line starting with `{prefix}`"))?;
        Ok(line[prefix.len()..]
            .split_whitespace()
            .map(str::to_string)
            .collect())
    };
    let ours = words("\"$bin\" verify ")?;
    let reference = words("in-toto-verify ")?;
    if ours != reference {
        return Err(format!(
            "the README verifies differently with intoto-studio ({ours:?}) and in-toto-verify \
             ({reference:?})"
        ));
    }
    Ok(Invocation {
        in_workdir,
        args: ours,
    })
}

/// `*`-only glob match of one file name.
fn glob_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// Expand the shell globs (`*` in the file name) of `args` relative to `cwd`, as sh would.
fn expand(args: &[String], cwd: &Path) -> Vec<String> {
    let mut out = vec![];
    for a in args {
        if !a.contains('*') {
            out.push(a.clone());
            continue;
        }
        let (dir, pat) = match a.rsplit_once('/') {
            Some((d, p)) => (Some(d), p),
            None => (None, a.as_str()),
        };
        assert!(!dir.unwrap_or("").contains('*'), "glob in a directory: {a}");
        let base = cwd.join(dir.unwrap_or("."));
        let mut hits: Vec<String> = std::fs::read_dir(&base)
            .unwrap_or_else(|e| panic!("{}: {e}", base.display()))
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| glob_match(pat, n))
            .collect();
        hits.sort();
        if hits.is_empty() {
            out.push(a.clone()); // sh leaves an unmatched glob as is
        }
        for h in hits {
            out.push(match dir {
                Some(d) => format!("{d}/{h}"),
                None => h,
            });
        }
    }
    out
}

/// One example, read from its README.
#[derive(Debug)]
struct Example {
    name: String,
    dir: PathBuf,
    verdict: Verdict,
    invocation: Invocation,
}

fn load(name: &str, dir: &Path) -> Result<Example, String> {
    let readme = std::fs::read_to_string(dir.join("README.md"))
        .map_err(|e| format!("{name}/README.md: {e}"))?;
    let verdict = parse_verdict(&readme).map_err(|e| format!("{name}/README.md: {e}"))?;
    let invocation =
        parse_invocation(name, &readme).map_err(|e| format!("{name}/README.md: {e}"))?;
    // The README verifies as the examples do: from workdir/ when there is one.
    let has_workdir = dir.join("workdir").is_dir();
    let want: &[&str] = if has_workdir {
        &[
            "--layout",
            "../root.layout",
            "--verification-keys",
            "../owner*.pub",
            "--link-dir",
            "../links",
        ]
    } else {
        &[
            "--layout",
            "root.layout",
            "--verification-keys",
            "owner*.pub",
            "--link-dir",
            "links",
        ]
    };
    if invocation.in_workdir != has_workdir || invocation.args != want {
        return Err(format!(
            "{name}/README.md: verifies with {:?} from {}, want {want:?} from {}",
            invocation.args,
            if invocation.in_workdir {
                "workdir/"
            } else {
                "the folder"
            },
            if has_workdir {
                "workdir/"
            } else {
                "the folder"
            },
        ));
    }
    Ok(Example {
        name: name.to_string(),
        dir: dir.to_path_buf(),
        verdict,
        invocation,
    })
}

fn load_all() -> Vec<Example> {
    let mut all = vec![];
    let mut errors = vec![];
    for (name, dir) in examples() {
        match load(&name, &dir) {
            Ok(ex) => all.push(ex),
            Err(e) => errors.push(e),
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    all
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run `program ARGS` on a fresh copy of the example, from where its README says.
fn run_on_copy(ex: &Example, program: &Path, extra: &[&str]) -> Out {
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join(&ex.name);
    copy_dir(&ex.dir, &copy);
    let cwd = if ex.invocation.in_workdir {
        copy.join("workdir")
    } else {
        copy.clone()
    };
    let args = expand(&ex.invocation.args, &cwd);
    let out = Command::new(program)
        .args(extra)
        .args(&args)
        .current_dir(&cwd)
        .env_remove("INTOTO_STUDIO_PASSWORD")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Run `check` for every example in parallel; fail with every mismatch at once.
fn for_each_example(check: impl Fn(&Example) -> Result<String, String> + Sync) {
    let all = load_all();
    let results: Vec<Result<String, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = all.iter().map(|ex| s.spawn(|| check(ex))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut failures = vec![];
    for (ex, r) in all.iter().zip(results) {
        match r {
            Ok(note) => eprintln!("  {:<32} {note}", ex.name),
            Err(e) => failures.push(format!("{}: {e}", ex.name)),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

// ---------------------------------------------------------------------------------------
// The reference implementation
// ---------------------------------------------------------------------------------------

/// The exception class of `(in-toto-verify) <Class>: …` in the reference's output.
fn reference_class(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let rest = l.trim_start().strip_prefix("(in-toto-verify) ")?;
        let (class, _) = rest.split_once(':')?;
        let class = class.trim();
        (!class.is_empty() && class.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .then(|| class.to_string())
    })
}

fn describe(v: &Verdict) -> String {
    if v.passed {
        return "PASSED".into();
    }
    let mut s = format!(
        "FAILED ({}) at {}",
        v.class.as_deref().unwrap_or("?"),
        v.item.as_deref().unwrap_or("the layout")
    );
    if !v.sublayout.is_empty() {
        s += &format!(" in sublayout {}", v.sublayout.join("/"));
    }
    s
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[test]
fn our_verify_agrees_with_every_readme_verdict() {
    let bin = Path::new(env!("CARGO_BIN_EXE_intoto-studio"));
    for_each_example(|ex| {
        let out = run_on_copy(ex, bin, &["verify", "--format", "json"]);
        let report: Value = serde_json::from_str(&out.stdout).map_err(|e| {
            format!(
                "verify --format json printed no JSON ({e}); exit {}\n{}{}",
                out.code, out.stdout, out.stderr
            )
        })?;
        let failure = &report["failure"];
        let got = Verdict {
            passed: report["passed"] == Value::Bool(true),
            class: failure["reference_error"].as_str().map(str::to_string),
            item: failure["item"].as_str().map(str::to_string),
            sublayout: failure["sublayout_path"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        };
        let want = &ex.verdict;
        if got != *want {
            return Err(format!(
                "README says `{}`, intoto-studio verify says `{}` ({})",
                describe(want),
                describe(&got),
                failure["message"].as_str().unwrap_or("")
            ));
        }
        let want_code = if want.passed { 0 } else { 1 };
        if out.code != want_code {
            return Err(format!(
                "exit {} with verdict {}, want {want_code}",
                out.code,
                describe(want)
            ));
        }
        Ok(describe(&got))
    });
}

#[test]
fn reference_verify_agrees_with_every_readme_verdict() {
    let Some(refbin) = reference() else {
        return;
    };
    let program = refbin.join("in-toto-verify");
    for_each_example(|ex| {
        let out = run_on_copy(ex, &program, &[]);
        let text = format!("{}{}", out.stdout, out.stderr);
        let want = &ex.verdict;
        let got = reference_class(&text);
        let agrees = if want.passed {
            out.code == 0
        } else {
            out.code != 0 && got == want.class
        };
        if !agrees {
            return Err(format!(
                "README says `{}`, in-toto-verify exits {} ({})\n{text}",
                describe(want),
                out.code,
                got.as_deref()
                    .unwrap_or("no `(in-toto-verify) <Class>:` line"),
            ));
        }
        Ok(format!(
            "in-toto-verify: exit {}{}",
            out.code,
            got.map(|c| format!(", {c}")).unwrap_or_default()
        ))
    });
}

#[test]
fn passing_examples_lint_without_errors() {
    let bin = env!("CARGO_BIN_EXE_intoto-studio");
    for ex in load_all().iter().filter(|e| e.verdict.passed) {
        let out = Command::new(bin)
            .args(["lint", "--format", "json"])
            .arg(ex.dir.join("root.layout"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}: lint reports errors:\n{text}{}",
            ex.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn index_lists_every_example_with_its_verdict() {
    let index = std::fs::read_to_string(examples_dir().join("README.md")).unwrap();
    for ex in load_all() {
        let link = format!("[`{0}`]({0}/)", ex.name);
        let row = index
            .lines()
            .find(|l| l.trim_start().starts_with('|') && l.contains(&link))
            .unwrap_or_else(|| panic!("examples/README.md has no table row with {link}"));
        let want = if ex.verdict.passed {
            "PASSED".to_string()
        } else {
            ex.verdict.class.clone().unwrap()
        };
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert!(
            cells.get(2).is_some_and(|c| c.starts_with(&want)),
            "examples/README.md: the row of {} should give the verdict {want}: {row}",
            ex.name
        );
    }
}

#[test]
fn readmes_quote_link_paths_that_exist() {
    for ex in load_all() {
        let readme = std::fs::read_to_string(ex.dir.join("README.md")).unwrap();
        // Backquoted spans are the odd-numbered pieces between backquotes.
        for span in readme.split('`').skip(1).step_by(2) {
            if span.starts_with("links/") && !span.contains(' ') && !span.contains('<') {
                assert!(
                    ex.dir.join(span).exists(),
                    "{}/README.md quotes `{span}`, which does not exist",
                    ex.name
                );
            }
        }
    }
}

#[test]
fn example_keys_are_test_only() {
    let keys = examples_dir().join("keys");
    if !keys.is_dir() {
        return;
    }
    for e in std::fs::read_dir(&keys).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            name == "README.md" || name.starts_with("TEST-ONLY-"),
            "examples/keys/{name}: only TEST-ONLY-* keys (and README.md) belong there"
        );
    }
    let readme = std::fs::read_to_string(keys.join("README.md"))
        .expect("examples/keys/README.md explains the keys");
    assert!(readme.contains("TEST-ONLY"));
}

#[test]
fn verdict_lines_parse() {
    let p = |s: &str| parse_verdict(&format!("# x\n\n{s}\n"));
    assert_eq!(
        p("Verdict: PASSED").unwrap(),
        Verdict {
            passed: true,
            class: None,
            item: None,
            sublayout: vec![]
        }
    );
    assert_eq!(
        p("Verdict: FAILED (RuleVerificationError) at package: 'DISALLOW *' matched x").unwrap(),
        Verdict {
            passed: false,
            class: Some("RuleVerificationError".into()),
            item: Some("package".into()),
            sublayout: vec![]
        }
    );
    assert_eq!(
        p("Verdict: FAILED (LayoutExpiredError) at the layout: it expired").unwrap(),
        Verdict {
            passed: false,
            class: Some("LayoutExpiredError".into()),
            item: None,
            sublayout: vec![]
        }
    );
    assert_eq!(
        p("Verdict: FAILED (RuleVerificationError) at tar in sublayout package/inner: x").unwrap(),
        Verdict {
            passed: false,
            class: Some("RuleVerificationError".into()),
            item: Some("tar".into()),
            sublayout: vec!["package".into(), "inner".into()]
        }
    );
    assert!(p("Verdict: FAILED at package").is_err());
    assert!(p("Verdict: FAILED (Rule Error) at package").is_err());
    assert!(p("Verdict: passed").is_err());
    assert!(parse_verdict("no verdict here").is_err());
    assert!(parse_verdict("Verdict: PASSED\nVerdict: PASSED\n").is_err());
    assert_eq!(
        reference_class("(in-toto-verify) LinkNotFoundError: Step 'x' requires"),
        Some("LinkNotFoundError".into())
    );
    assert_eq!(reference_class("all good\n"), None);
    assert!(glob_match("owner*.pub", "owner.pub"));
    assert!(glob_match("owner*.pub", "owner-bob.pub"));
    assert!(!glob_match("owner*.pub", "bob.pub"));
    assert!(!glob_match("owner*.pub", "owner.pub.bak"));
}

/// The text, Markdown and JSON reports name keyids after the `.pub` files beside the
/// layout: the unauthorized-functionary example's failure lists the package link, its
/// authorized key (carl) and who really signed it (mallory).
#[test]
fn reports_name_keys_after_their_files() {
    let dir = examples_dir().join("demo-unauthorized-functionary");
    let run = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_intoto-studio"))
            .args([
                "verify",
                "-l",
                "root.layout",
                "--verification-keys",
                "owner.pub",
            ])
            .args([
                "--link-dir",
                "links",
                "--no-inspection-links",
                "--format",
                format,
            ])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stdout).unwrap()
    };
    for format in ["text", "markdown"] {
        let out = run(format);
        let line = out
            .lines()
            .find(|l| l.contains("package.0d58c865.link"))
            .unwrap_or_else(|| panic!("{format}: no line for the package link:\n{out}"));
        assert!(line.contains("for key 0d58c865 (carl)"), "{format}: {line}");
        assert!(
            line.contains("signed by b03101d5 (mallory)"),
            "{format}: {line}"
        );
    }
    let json: Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(
        json["key_names"]["b03101d536bb812548bc07f3ec6b05994de3dac25825b1534902be6bb20300e4"],
        "mallory"
    );
}
