//! `run`: in-toto-run (in-toto 3.1.0) — record materials, run a command, record products,
//! write the signed link — with the same flags, byproducts, file name and exit codes.
//!
//! The command inherits stdin. Without `-s` its stdout and stderr go to /dev/null and are
//! recorded as `""`; with `-s` they go to temporary files that are echoed while the command
//! runs (as the reference does, so that background processes holding them open do not
//! block) and recorded as the reference records them: decoded as UTF-8 (strictly) with
//! universal newlines (`\r\n` and `\r` become `\n`).
//!
//! When this process is in the foreground of its terminal, the command runs in the same
//! process group, as in the reference (interactive programs and Ctrl-C work as usual).
//! Otherwise it runs in a process group of its own that is killed as a whole on timeout,
//! and SIGINT, SIGTERM, SIGHUP and SIGQUIT are passed on to it.

use super::{
    Fail, Log, RecordingArgs, SigningKeyArgs, Verbosity, finish, format_for, generating_line,
    in_dir, kid8, load_signing_key, record_with_progress, require_signing_key, resolve_password,
    write_metadata,
};
use crate::Exc;
use crate::error::Error;
use crate::model::envelope::{Metadata, Payload};
use crate::model::link::Link;
use crate::process;
use crate::py::json::py_repr_list;
use clap::Args;
use rustix::process::{Pid, Signal};
use serde_json::{Map, Value};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

const PROG: &str = "intoto-studio run";

#[derive(Args, Debug, Clone)]
#[command(args_override_self = true, infer_long_args = true)]
pub struct RunArgs {
    /// Step name: the link is written to `<name>.<keyid prefix>.link`.
    #[arg(short = 'n', long = "step-name", value_name = "NAME")]
    pub step_name: String,

    /// Paths recorded (with their hashes) before the command runs.
    #[arg(short = 'm', long = "materials", value_name = "PATH", num_args = 1.., action = clap::ArgAction::Set)]
    pub materials: Option<Vec<String>>,

    /// Paths recorded (with their hashes) after the command ran.
    #[arg(short = 'p', long = "products", value_name = "PATH", num_args = 1.., action = clap::ArgAction::Set)]
    pub products: Option<Vec<String>>,

    /// Show the command's stdout and stderr and record them in the link.
    #[arg(short = 's', long = "record-streams")]
    pub record_streams: bool,

    /// Run no command (e.g. for a review step).
    #[arg(short = 'x', long = "no-command")]
    pub no_command: bool,

    #[command(flatten)]
    pub key: SigningKeyArgs,

    #[command(flatten)]
    pub recording: RecordingArgs,

    /// Directory to write the link to (default: the working directory).
    #[arg(short = 'd', long = "metadata-directory", value_name = "DIR")]
    pub metadata_directory: Option<PathBuf>,

    /// Write a DSSE envelope instead of a legacy (Metablock) file.
    #[arg(long = "use-dsse")]
    pub use_dsse: bool,

    /// Seconds before the command is killed (and the run fails).
    #[arg(
        long = "run-timeout",
        value_name = "SECONDS",
        default_value_t = 10,
        allow_negative_numbers = true
    )]
    pub run_timeout: i64,

    #[command(flatten)]
    pub verbosity: Verbosity,

    /// The command to run, after `--`.
    #[arg(value_name = "COMMAND", trailing_var_arg = true)]
    pub command: Vec<String>,
}

pub(crate) fn run(args: &RunArgs) -> i32 {
    let log = Log::new(&args.verbosity);
    finish(&log, PROG, run_step(args, &log))
}

fn run_step(args: &RunArgs, log: &Log) -> Result<i32, Fail> {
    let key_path = require_signing_key(&args.key)?;
    let command: &[String] = if args.no_command {
        &[]
    } else if args.command.is_empty() {
        return Err(Fail::Usage(
            "No command specified. Please specify (or use the --no-command option)".into(),
        ));
    } else {
        &args.command
    };
    let password = resolve_password(&args.key.password, false)?;
    let key = load_signing_key(key_path, password.as_ref().map(|p| p.as_slice()))?;
    drop(password);

    let name = &args.step_name;
    log.info(format!("Running '{name}'..."));
    let opts = args.recording.options();
    let materials = args.materials.clone().unwrap_or_default();
    if !materials.is_empty() {
        log.info(format!("Recording materials '{}'...", materials.join(", ")));
    }
    let materials = record_with_progress("materials", &materials, &opts, log)?;

    let mut byproducts = Map::new();
    if !command.is_empty() {
        log.info(format!("Running command '{}'...", command.join(" ")));
        let timeout = Duration::from_secs(args.run_timeout.max(0) as u64);
        let out = execute(command, args.record_streams, timeout)?;
        byproducts.insert("return-value".into(), Value::from(out.return_value));
        byproducts.insert("stderr".into(), Value::String(out.stderr));
        byproducts.insert("stdout".into(), Value::String(out.stdout));
    }

    let products = args.products.clone().unwrap_or_default();
    if !products.is_empty() {
        log.info(format!("Recording products '{}'...", products.join(", ")));
    }
    let products = record_with_progress("products", &products, &opts, log)?;

    log.info("Creating link metadata...");
    let link = Link {
        name: Value::String(name.clone()),
        command: command.iter().map(|s| Value::String(s.clone())).collect(),
        materials: Arc::new(materials),
        products: Arc::new(products),
        byproducts,
        environment: Map::new(),
    };
    link.check_encodable()?;
    let return_value = link.return_value().unwrap_or(0);
    let format = format_for(args.use_dsse);
    log.info(generating_line(format));
    let mut md = Metadata::new(Payload::Link(Arc::new(link)), format);
    log.info("Signing link metadata using passed signer...");
    md.sign(&key)?;
    let path = in_dir(
        args.metadata_directory.as_deref(),
        &format!("{name}.{}.link", kid8(&key.public_key().keyid)),
    );
    log.info(format!("Storing link metadata to '{}'...", path.display()));
    write_metadata(&path, &md)?;
    // `sys.exit(return_value)`: the low 8 bits, so a signal -9 exits 247.
    Ok((return_value & 0xff) as i32)
}

/// What the command left behind.
struct Executed {
    return_value: i64,
    stdout: String,
    stderr: String,
}

/// The pid of the process group to pass signals on to (0: none).
static CHILD_GROUP: AtomicI32 = AtomicI32::new(0);

const FORWARDED: [(i32, Signal); 4] = [
    (signal_hook::consts::SIGINT, Signal::INT),
    (signal_hook::consts::SIGTERM, Signal::TERM),
    (signal_hook::consts::SIGHUP, Signal::HUP),
    (signal_hook::consts::SIGQUIT, Signal::QUIT),
];

/// Pass a signal on to the command's process group, then take it as if unhandled.
fn forward(sig: i32, signal: Signal) {
    if let Some(group) = Pid::from_raw(CHILD_GROUP.load(Ordering::SeqCst)) {
        let _ = rustix::process::kill_process_group(group, signal);
    }
    let _ = signal_hook::low_level::emulate_default_handler(sig);
}

/// The signals this process ignores (`SigIgn` of `/proc/self/status`, bit `n - 1` for
/// signal `n`).
fn ignored_signals() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .unwrap_or(0)
}

/// While alive, signals are passed on to the command's process group; a signal that was
/// ignored stays ignored (e.g. `SIGHUP` under `nohup`), for the command too.
struct Forwarding;

impl Forwarding {
    fn install(group: i32) -> Forwarding {
        static HANDLERS: std::sync::Once = std::sync::Once::new();
        HANDLERS.call_once(|| {
            let ignored = ignored_signals();
            for (sig, signal) in FORWARDED {
                if ignored & (1 << (sig - 1)) != 0 {
                    continue;
                }
                // SAFETY: the action is async-signal-safe: an atomic load, `kill` (one
                // system call) and signal-hook's emulation of the default action.
                let _ =
                    unsafe { signal_hook::low_level::register(sig, move || forward(sig, signal)) };
            }
        });
        CHILD_GROUP.store(group, Ordering::SeqCst);
        Forwarding
    }
}

impl Drop for Forwarding {
    fn drop(&mut self) {
        // The handlers stay; with no group they act as the default action.
        CHILD_GROUP.store(0, Ordering::SeqCst);
    }
}

/// Whether this process is the foreground process group of its controlling terminal.
fn in_terminal_foreground() -> bool {
    let Ok(tty) = File::open("/dev/tty") else {
        return false;
    };
    rustix::termios::tcgetpgrp(&tty).is_ok_and(|group| group == rustix::process::getpgrp())
}

fn timeout_error(argv: &[String], timeout: Duration) -> Error {
    Error::new(
        Exc::TimeoutExpired,
        format!(
            "Command '{}' timed out after {} seconds",
            py_repr_list(argv),
            timeout.as_secs()
        ),
    )
}

/// A temporary file for one output stream: the write end for the command and a separate
/// read end for us; the name is gone from the file system before the command starts.
fn capture_file(tag: &str) -> Result<(File, File), Error> {
    let dir = std::env::temp_dir();
    for attempt in 0..100u32 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = dir.join(format!(
            ".intoto-studio-{tag}-{}-{nanos}-{attempt}",
            std::process::id()
        ));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(writer) => {
                let reader = File::open(&path);
                let _ = std::fs::remove_file(&path);
                let reader = reader.map_err(|e| crate::py::oserror::path_error(&e, &path))?;
                return Ok((writer, reader));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(crate::py::oserror::path_error(&e, &path)),
        }
    }
    Err(Error::new(
        Exc::FileExistsError,
        "could not create a temporary file",
    ))
}

/// Copy what is new in `reader` to `echo` and `buf`.
fn pump(reader: &mut File, buf: &mut Vec<u8>, echo: &mut dyn Write) {
    let mut chunk = [0u8; 8192];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                let _ = echo.write_all(&chunk[..n]);
                let _ = echo.flush();
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
}

/// Python's strict UTF-8 decoding with universal newlines (text-mode `open()`).
fn decode_stream(bytes: Vec<u8>) -> Result<String, Error> {
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let bytes = e.as_bytes();
            let pos = e.utf8_error().valid_up_to();
            let byte = bytes[pos];
            if e.utf8_error().error_len().is_none() {
                let end = bytes.len() - 1;
                return Err(Error::new(
                    Exc::UnicodeDecodeError,
                    if end > pos {
                        format!(
                            "'utf-8' codec can't decode bytes in position {pos}-{end}: \
                             unexpected end of data"
                        )
                    } else {
                        format!(
                            "'utf-8' codec can't decode byte 0x{byte:02x} in position {pos}: \
                             unexpected end of data"
                        )
                    },
                ));
            }
            let reason = if matches!(byte, 0x80..=0xc1 | 0xf5..=0xff) {
                "invalid start byte"
            } else {
                "invalid continuation byte"
            };
            return Err(Error::new(
                Exc::UnicodeDecodeError,
                format!("'utf-8' codec can't decode byte 0x{byte:02x} in position {pos}: {reason}"),
            ));
        }
    };
    if !text.contains('\r') {
        return Ok(text);
    }
    Ok(text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// Run `argv` like the reference's `execute_link`.
fn execute(argv: &[String], record_streams: bool, timeout: Duration) -> Result<Executed, Error> {
    use std::os::unix::process::CommandExt;
    let (prog, rest) = argv
        .split_first()
        .ok_or_else(|| Error::new(Exc::IndexError, "list index out of range"))?;
    let own_group = !in_terminal_foreground();
    let mut cmd = Command::new(prog);
    cmd.args(rest).stdin(Stdio::inherit());
    if own_group {
        cmd.process_group(0);
    }
    let mut captures = None;
    if record_streams {
        let (out_w, out_r) = capture_file("stdout")?;
        let (err_w, err_r) = capture_file("stderr")?;
        cmd.stdout(Stdio::from(out_w)).stderr(Stdio::from(err_w));
        captures = Some((out_r, err_r));
    } else {
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
    }
    let forwarding = own_group.then(|| Forwarding::install(0));
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Err(crate::py::oserror::os_error(&e, Some(prog))),
    };
    // Drop the parent's copies of the write ends (moved into `cmd`).
    drop(cmd);
    if own_group {
        CHILD_GROUP.store(child.id() as i32, Ordering::SeqCst);
    }
    let (mut out_buf, mut err_buf) = (Vec::new(), Vec::new());
    let status = process::wait_timeout(&mut child, timeout, || {
        if let Some((out_r, err_r)) = captures.as_mut() {
            pump(out_r, &mut out_buf, &mut std::io::stdout().lock());
            pump(err_r, &mut err_buf, &mut std::io::stderr().lock());
        }
    })?;
    let Some(status) = status else {
        process::kill(&mut child, own_group);
        drop(forwarding);
        return Err(timeout_error(argv, timeout));
    };
    drop(forwarding);
    let (stdout, stderr) = if captures.is_some() {
        (decode_stream(out_buf)?, decode_stream(err_buf)?)
    } else {
        (String::new(), String::new())
    };
    Ok(Executed {
        return_value: process::return_value(status),
        stdout,
        stderr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_decode_like_python_text_mode() {
        assert_eq!(decode_stream(b"a\r\nb\rc\n".to_vec()).unwrap(), "a\nb\nc\n");
        let e = decode_stream(b"abc\xffdef".to_vec()).unwrap_err();
        assert_eq!(e.class, "UnicodeDecodeError");
        assert_eq!(
            e.message,
            "'utf-8' codec can't decode byte 0xff in position 3: invalid start byte"
        );
        let e = decode_stream(b"\xe2\x28\xa1".to_vec()).unwrap_err();
        assert_eq!(
            e.message,
            "'utf-8' codec can't decode byte 0xe2 in position 0: invalid continuation byte"
        );
        let e = decode_stream(b"ok\xe2\x82".to_vec()).unwrap_err();
        assert_eq!(
            e.message,
            "'utf-8' codec can't decode bytes in position 2-3: unexpected end of data"
        );
        let e = decode_stream(b"ok\xe2".to_vec()).unwrap_err();
        assert_eq!(
            e.message,
            "'utf-8' codec can't decode byte 0xe2 in position 2: unexpected end of data"
        );
        for (bytes, reason) in [
            (
                &b"\xed\xa0\x80"[..],
                "0xed in position 0: invalid continuation byte",
            ),
            (b"\xc0\x80", "0xc0 in position 0: invalid start byte"),
            (
                b"\xf4\x90\x80\x80",
                "0xf4 in position 0: invalid continuation byte",
            ),
        ] {
            let e = decode_stream(bytes.to_vec()).unwrap_err();
            assert_eq!(
                e.message,
                format!("'utf-8' codec can't decode byte {reason}")
            );
        }
    }

    #[test]
    fn timeout_message() {
        let e = timeout_error(&["sleep".into(), "5".into()], Duration::from_secs(1));
        assert_eq!(
            e.message,
            "Command '['sleep', '5']' timed out after 1 seconds"
        );
    }
}
