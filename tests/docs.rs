//! `docs/cli.md` is generated from the clap definitions; this test keeps it current.
//! Regenerate with `INTOTO_STUDIO_UPDATE_DOCS=1 cargo test --test docs`.

use clap::CommandFactory;
use intoto_studio::cli::Cli;

fn section(out: &mut String, cmd: &mut clap::Command, path: &str) {
    let help = cmd.render_long_help().to_string();
    out.push_str(&format!(
        "## `{path}`\n\n```text\n{}\n```\n\n",
        help.trim_end()
    ));
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .filter(|n| n != "help")
        .collect();
    for name in names {
        let sub = cmd.find_subcommand_mut(&name).expect("listed");
        let mut sub = sub.clone();
        section(out, &mut sub, &format!("{path} {name}"));
    }
}

fn render() -> String {
    let mut cmd = Cli::command().term_width(100);
    cmd.build();
    let mut out = String::from(
        "# Command-line reference\n\nGenerated from the program's own argument definitions \
         (`tests/docs.rs` checks it is current; regenerate with \
         `INTOTO_STUDIO_UPDATE_DOCS=1 cargo test --test docs`).\n\nExit codes: 0 success, 1 \
         verification failed or bad input, 2 usage error (`run` exits with the wrapped \
         command's status). Errors are one line on stderr, the same for every subcommand: \
         `(intoto-studio <command>) <Class>: <message>`, the class named as the reference \
         (in-toto 3.1.0) names it; usage errors `intoto-studio [<command>]: error: <message>` (or \
         clap's own for a flag it cannot parse).\n\n",
    );
    section(&mut out, &mut cmd, "intoto-studio");
    out
}

#[test]
fn cli_reference_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md");
    let want = render();
    if std::env::var_os("INTOTO_STUDIO_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/cli.md is out of date: run INTOTO_STUDIO_UPDATE_DOCS=1 cargo test --test docs"
    );
}
