//! The toolbox subcommands: `keygen`, `sign`, `run` and `record start|stop`.
//!
//! `sign`, `run` and `record` take the flags of the reference's `in-toto-sign`,
//! `in-toto-run` and `in-toto-record` (in-toto 3.1.0), behave like them (exit codes, argument
//! rules, file names, error lines) and write byte-for-byte the layout the reference writes.
//! `keygen` replaces the reference's removed `in-toto-keygen` with PKCS#8/SPKI PEM files,
//! which the reference reads.
//!
//! Passwords: `-P/--password PW` passes a password inline; `-P` alone (and `sign -p`) reads
//! it from the environment variable [`PASSWORD_ENV`] when that is set, else prompts on the
//! terminal without echo.
//!
//! GPG keys are not supported: `-g/--gpg` is accepted by the parser (so that reference
//! command lines parse) and refused with a usage error.

mod keygen;
mod prompt;
mod record;
mod run;
mod sign;

pub use keygen::{KeyType, KeygenArgs};
pub use record::{RecordArgs, RecordCommand, RecordStartArgs, RecordStopArgs};
pub use run::RunArgs;
pub use sign::SignArgs;

use crate::Exc;
use crate::crypto::PrivateKey;
use crate::error::Error;
use crate::model::envelope::{Format, Metadata};
use crate::record::{Progress, RecordOptions, record_artifacts};
use clap::{Args, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The environment variable read instead of prompting when `-P` (or `sign -p`) is given
/// without a password: for scripts, which should not put passwords on command lines.
pub const PASSWORD_ENV: &str = "INTOTO_STUDIO_PASSWORD";

/// The toolbox subcommands (flattened into the main command line).
#[derive(Subcommand, Debug)]
pub enum ToolCommand {
    /// Generate a key pair: PATH (PKCS#8 PEM, mode 0600) and PATH.pub (SPKI PEM).
    ///
    /// Prints the keyid. Existing files are never overwritten unless --force is given.
    /// `-P PW` encrypts the private key with PW; `-P` alone reads the password from
    /// $INTOTO_STUDIO_PASSWORD if set, else prompts (twice) on the terminal.
    Keygen(KeygenArgs),
    /// Sign link or layout metadata, or verify its signatures (in-toto-sign's flags).
    ///
    /// Exit status: 0 success; 1 a signature did not verify (--verify); 2 wrong arguments,
    /// unreadable file or key, or signing error.
    Sign(SignArgs),
    /// Run a supply-chain step and write its signed link (in-toto-run's flags).
    ///
    /// Records materials, runs COMMAND, records products, and writes
    /// `<step>.<keyid[:8]>.link`. Exits with the command's exit status (1 on errors, 2 on
    /// wrong arguments). `-P` alone reads the password from $INTOTO_STUDIO_PASSWORD if set,
    /// else prompts.
    Run(RunArgs),
    /// Record a step in two parts: `record start` (materials), `record stop` (products).
    Record(RecordArgs),
}

/// Write to stdout, ignoring a closed pipe.
pub fn print_out(s: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

/// Run a toolbox subcommand; returns the process exit code.
pub fn run(cmd: &ToolCommand) -> i32 {
    match cmd {
        ToolCommand::Keygen(args) => keygen::run(args),
        ToolCommand::Sign(args) => sign::run(args),
        ToolCommand::Run(args) => run::run(args),
        ToolCommand::Record(args) => record::run(args),
    }
}

/// `-v | -q`
#[derive(Args, Debug, Clone, Default)]
pub struct Verbosity {
    /// Show more output.
    #[arg(short = 'v', long = "verbose", conflicts_with = "quiet")]
    pub verbose: bool,
    /// Suppress all output (also error messages; the exit status tells).
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
}

/// The signing key flags of in-toto-run and in-toto-record.
#[derive(Args, Debug, Clone, Default)]
pub struct SigningKeyArgs {
    /// Signing key (PEM: PKCS#8, also PKCS#1 RSA and SEC1 EC); ed25519, RSA or ECDSA.
    #[arg(long = "signing-key", value_name = "PATH")]
    pub signing_key: Option<PathBuf>,

    /// Password of an encrypted signing key; `-P` alone reads $INTOTO_STUDIO_PASSWORD if
    /// set, else prompts on the terminal.
    #[arg(short = 'P', long = "password", value_name = "PASSWORD", num_args = 0..=1)]
    pub password: Option<Option<String>>,

    /// GPG keys are not supported by this tool.
    #[arg(short = 'g', long = "gpg", value_name = "ID", num_args = 0..=1, hide = true)]
    pub gpg: Option<Option<String>>,

    /// GPG home directory (GPG keys are not supported by this tool).
    #[arg(long = "gpg-home", value_name = "PATH", hide = true)]
    pub gpg_home: Option<PathBuf>,
}

/// The artifact recording flags shared by in-toto-run and in-toto-record.
#[derive(Args, Debug, Clone, Default)]
pub struct RecordingArgs {
    /// Gitignore-style patterns of paths not to record; replaces the defaults
    /// (`*.link*`, `.git`, `*.pyc`, `*~`).
    #[arg(long = "exclude", value_name = "PATTERN", num_args = 1.., action = clap::ArgAction::Set)]
    pub exclude: Option<Vec<String>>,

    /// Record artifact paths relative to this directory (it is not part of the names).
    #[arg(long = "base-path", value_name = "PATH")]
    pub base_path: Option<PathBuf>,

    /// Prefixes to strip from the recorded paths (the first matching one is stripped).
    #[arg(long = "lstrip-paths", value_name = "PATH", num_args = 1.., action = clap::ArgAction::Set)]
    pub lstrip_paths: Option<Vec<String>>,
}

impl RecordingArgs {
    pub(crate) fn options(&self) -> RecordOptions {
        RecordOptions {
            exclude: self.exclude.clone(),
            base_path: self.base_path.clone(),
            lstrip_paths: self.lstrip_paths.clone().unwrap_or_default(),
            follow_symlink_dirs: true,
            normalize_line_endings: false,
        }
    }
}

/// What ends a subcommand early.
pub(crate) enum Fail {
    /// Wrong arguments: `<prog>: error: <message>`, exit 2.
    Usage(String),
    /// An error: `(<prog>) <Class>: <message>`, exit 1.
    Error(Error),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Error(e)
    }
}

/// Logging as the reference's CLIs do it: messages on stderr; `-v` shows INFO lines, `-q`
/// hides everything (errors too).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Log {
    pub verbose: bool,
    pub quiet: bool,
}

impl Log {
    pub fn new(v: &Verbosity) -> Log {
        Log {
            verbose: v.verbose,
            quiet: v.quiet && !v.verbose,
        }
    }

    pub fn info(&self, msg: impl AsRef<str>) {
        if self.verbose {
            eprint_line(msg.as_ref());
        }
    }

    pub fn error(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            eprint_line(msg.as_ref());
        }
    }
}

/// Write one line to stderr (control characters escaped), ignoring a closed stream.
pub(crate) fn eprint_line(msg: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", crate::verify::render::terminal_safe(msg));
    let _ = err.flush();
}

/// A usage error line (printed even with `-q`, as argparse does); returns exit code 2.
pub(crate) fn usage_error(prog: &str, msg: &str) -> i32 {
    eprint_line(&format!("{prog}: error: {msg}"));
    2
}

/// The one error line of every subcommand, as the reference's tools write theirs:
/// `(<prog>) <Class>: <message>`.
pub(crate) fn error_line(prog: &str, e: &Error) -> String {
    format!("({prog}) {e}")
}

/// [`error_line`] on stderr (unless quiet); returns exit code 1.
pub(crate) fn report_error(log: &Log, prog: &str, e: &Error) -> i32 {
    log.error(error_line(prog, e));
    1
}

/// Finish a subcommand: usage errors exit 2, errors exit 1.
pub(crate) fn finish(log: &Log, prog: &str, result: Result<i32, Fail>) -> i32 {
    match result {
        Ok(code) => code,
        Err(Fail::Usage(msg)) => usage_error(prog, &msg),
        Err(Fail::Error(e)) => report_error(log, prog, &e),
    }
}

/// in-toto-run's and in-toto-record's rule: exactly one of `--signing-key` and `--gpg`;
/// this tool supports only the first.
pub(crate) fn require_signing_key(args: &SigningKeyArgs) -> Result<&Path, Fail> {
    match (&args.signing_key, &args.gpg) {
        (Some(path), None) => Ok(path),
        (None, Some(_)) => Err(Fail::Usage(
            "GPG signing is not supported by intoto-studio; use '--signing-key <path>'".into(),
        )),
        _ => Err(Fail::Usage(
            "Specify '--signing-key <path>' (GPG signing, in-toto-run's other choice, is not \
             supported yet)"
                .into(),
        )),
    }
}

/// A password to use: inline (`-P PW`), from [`PASSWORD_ENV`] or the terminal (`-P`).
pub(crate) fn resolve_password(
    arg: &Option<Option<String>>,
    confirm: bool,
) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
    match arg {
        None => Ok(None),
        Some(Some(pw)) => Ok(Some(Zeroizing::new(pw.as_bytes().to_vec()))),
        Some(None) => prompted_password(confirm).map(Some),
    }
}

/// The password from [`PASSWORD_ENV`], else from a prompt (twice when `confirm`).
pub(crate) fn prompted_password(confirm: bool) -> Result<Zeroizing<Vec<u8>>, Error> {
    if let Some(pw) = std::env::var_os(PASSWORD_ENV) {
        use std::os::unix::ffi::OsStringExt;
        return Ok(Zeroizing::new(pw.into_vec()));
    }
    let pw = prompt::read_password("Password: ")?;
    if confirm {
        let again = prompt::read_password("Confirm password: ")?;
        if *again != *pw {
            return Err(Error::new(Exc::ValueError, "the passwords do not match"));
        }
    }
    Ok(pw)
}

/// Load a signing key file as `load_crypto_signer_from_pkcs8_file(path, password)`.
pub(crate) fn load_signing_key(path: &Path, password: Option<&[u8]>) -> Result<PrivateKey, Error> {
    let bytes = Zeroizing::new(
        crate::fsutil::read_regular(path).map_err(|e| crate::py::oserror::path_error(&e, path))?,
    );
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        Error::new(
            Exc::ValueError,
            "Could not deserialize key data. The data may be in an incorrect format, it may \
             be encrypted with an unsupported algorithm, or it may be an unsupported key type.",
        )
    })?;
    PrivateKey::from_pem(text, password)
}

pub(crate) use crate::crypto::kid8;

/// `os.path.join(dir, name)` when a directory is given.
pub(crate) fn in_dir(dir: Option<&Path>, name: &str) -> PathBuf {
    match dir {
        Some(d) => d.join(name),
        None => PathBuf::from(name),
    }
}

/// Write metadata as the reference's `dump` does (its byte layout), atomically. A missing
/// directory is reported for the file, as `open(path, "wb")` reports it.
pub(crate) fn write_metadata(path: &Path, md: &Metadata) -> Result<(), Error> {
    write_file(path, &md.to_bytes())
}

/// Write a file atomically, with errors naming `path` (as `open(path, "wb")` would), not
/// the temporary file.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match std::fs::metadata(parent) {
        Err(e) => return Err(crate::py::oserror::path_error(&e, path)),
        Ok(m) if !m.is_dir() => {
            return Err(Error::new(
                Exc::NotADirectoryError,
                format!("[Errno 20] Not a directory: '{}'", path.display()),
            ));
        }
        Ok(_) => {}
    }
    crate::fsutil::atomic_write(path, bytes, crate::fsutil::WriteOptions::default()).map_err(
        |mut e| {
            if e.is_os_error()
                && let Some((text, _)) =
                    (e.message.rsplit_once(": '")).or_else(|| e.message.rsplit_once(": \""))
            {
                let shown = crate::py::repr::repr(&path.to_string_lossy());
                e.message = format!("{text}: {shown}");
            }
            e
        },
    )
}

/// The envelope format for new metadata.
pub(crate) fn format_for(use_dsse: bool) -> Format {
    if use_dsse {
        Format::Dsse
    } else {
        Format::Legacy
    }
}

/// The reference's "Generating link metadata using ..." line.
pub(crate) fn generating_line(format: Format) -> &'static str {
    match format {
        Format::Dsse => "Generating link metadata using DSSE...",
        Format::Legacy => "Generating link metadata using Metablock...",
    }
}

/// The message of the reference's `SignatureVerificationError` for `md` and `keyid`: legacy
/// `No signature found for key '<id>'` / `Invalid signature for keyid '<id>'`, DSSE empty.
pub(crate) fn reference_signature_message(md: &Metadata, keyid: &str) -> String {
    match md {
        Metadata::Legacy { signatures, .. } => {
            if signatures.iter().any(|s| s.keyid.as_deref() == Some(keyid)) {
                format!("Invalid signature for keyid '{keyid}'")
            } else {
                format!("No signature found for key '{keyid}'")
            }
        }
        Metadata::Dsse { .. } => String::new(),
    }
}

/// Record artifacts, with a progress bar on stderr when it is a terminal.
pub(crate) fn record_with_progress(
    what: &str,
    paths: &[String],
    opts: &RecordOptions,
    log: &Log,
) -> Result<crate::model::link::Artifacts, Error> {
    if paths.is_empty() || log.quiet || !std::io::stderr().is_terminal() {
        return record_artifacts(paths, opts, None);
    }
    let bar = ProgressBar::new(what);
    let result = record_artifacts(paths, opts, Some(&|p| bar.update(p)));
    bar.clear();
    result
}

/// A one-line `\r` progress bar on stderr, redrawn at most every 100 ms, shown only when
/// hashing takes longer than a moment.
struct ProgressBar {
    label: String,
    start: Instant,
    state: Mutex<BarState>,
}

#[derive(Default)]
struct BarState {
    last: Option<Instant>,
    drawn: bool,
}

impl ProgressBar {
    fn new(label: &str) -> ProgressBar {
        ProgressBar {
            label: label.to_string(),
            start: Instant::now(),
            state: Mutex::new(BarState::default()),
        }
    }

    fn update(&self, p: Progress) {
        let now = Instant::now();
        if now.duration_since(self.start) < Duration::from_millis(300) {
            return;
        }
        let Ok(mut state) = self.state.try_lock() else {
            return;
        };
        if state
            .last
            .is_some_and(|t| now.duration_since(t) < Duration::from_millis(100))
            && p.files_done < p.files_total
        {
            return;
        }
        state.last = Some(now);
        state.drawn = true;
        let width = 24usize;
        let frac = if p.bytes_total > 0 {
            p.bytes_done as f64 / p.bytes_total as f64
        } else if p.files_total > 0 {
            p.files_done as f64 / p.files_total as f64
        } else {
            1.0
        };
        let filled = ((frac.clamp(0.0, 1.0)) * width as f64).round() as usize;
        let line = format!(
            "\r\x1b[K{} [{}{}] {}/{} files, {}/{}",
            self.label,
            "#".repeat(filled),
            "-".repeat(width - filled),
            p.files_done,
            p.files_total,
            human_bytes(p.bytes_done),
            human_bytes(p.bytes_total),
        );
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(line.as_bytes());
        let _ = err.flush();
    }

    fn clear(&self) {
        let drawn = self.state.lock().map(|s| s.drawn).unwrap_or(false);
        if drawn {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(b"\r\x1b[K");
            let _ = err.flush();
        }
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}
