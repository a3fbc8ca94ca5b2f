//! `sign`: in-toto-sign (in-toto 3.1.0) — sign link or layout metadata, or verify its
//! signatures — with the same flags, argument rules, messages, output paths and exit codes,
//! plus `--use-dsse` to write a DSSE envelope from either format.

use super::{
    Log, Verbosity, kid8, load_signing_key, prompted_password, reference_signature_message,
    usage_error, write_metadata,
};
use crate::Exc;
use crate::crypto::PublicKey;
use crate::error::Error;
use crate::model::envelope::{Format, Metadata, Payload};
use crate::py::oserror::path_error;
use clap::Args;
use std::path::{Path, PathBuf};

const PROG: &str = "intoto-studio sign";

const LINK_ERROR: &str = "link metadata is associated with a single functionary and is usually \
                          namespaced accordingly: '<name>.<keyid prefix>.link'.";

#[derive(Args, Debug, Clone)]
#[command(args_override_self = true, infer_long_args = true)]
pub struct SignArgs {
    /// Link or layout file to sign or verify.
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub file: PathBuf,

    /// Key files: private keys (PEM PKCS#8) to sign, public keys (PEM SPKI) with --verify.
    #[arg(short = 'k', long = "key", value_name = "PATH", num_args = 1.., action = clap::ArgAction::Set)]
    pub key: Option<Vec<PathBuf>>,

    /// Prompt for the signing keys' password (one for all keys); reads
    /// $INTOTO_STUDIO_PASSWORD instead if it is set.
    #[arg(short = 'p', long = "prompt")]
    pub prompt: bool,

    /// GPG keys are not supported by this tool.
    #[arg(short = 'g', long = "gpg", value_name = "ID", num_args = 0.., action = clap::ArgAction::Set, hide = true)]
    pub gpg: Option<Vec<String>>,

    /// GPG home directory (GPG keys are not supported by this tool).
    #[arg(long = "gpg-home", value_name = "PATH", hide = true)]
    pub gpg_home: Option<PathBuf>,

    /// Write the signed metadata here (default: links to `<name>.<keyid prefix>.link`,
    /// layouts over the input file).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Add signatures instead of replacing the existing ones (layouts only).
    #[arg(short = 'a', long = "append")]
    pub append: bool,

    /// Verify the signatures by the public keys given with --key.
    #[arg(long = "verify")]
    pub verify: bool,

    /// Write a DSSE envelope, also from a legacy (Metablock) file.
    #[arg(long = "use-dsse", conflicts_with = "verify")]
    pub use_dsse: bool,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

pub(crate) fn run(args: &SignArgs) -> i32 {
    let log = Log::new(&args.verbosity);
    if args.verify && (args.append || args.output.is_some()) {
        return usage_error(
            PROG,
            "conflicting arguments: don't specify any of 'append' or 'output' when verifying \
             signatures",
        );
    }
    if args.key.is_none() == args.gpg.is_none() {
        return usage_error(
            PROG,
            "wrong arguments: specify '--key PATH [PATH ...]' (GPG keys, in-toto-sign's other \
             choice, are not supported yet)",
        );
    }
    if args.gpg.is_some() || args.gpg_home.is_some() {
        return usage_error(
            PROG,
            "GPG keys are not supported by intoto-studio; use '--key PATH [PATH ...]'",
        );
    }
    let keys = args.key.as_deref().unwrap_or_default();

    let md = match Metadata::load(&args.file) {
        Ok(md) => md,
        Err(e) => {
            log.error(format!(
                "({PROG}) {}: {}: {}",
                e.class,
                args.file.display(),
                e.message
            ));
            return 2;
        }
    };
    let payload = match md.payload() {
        Ok(p) => p.clone(),
        Err(e) => return super::report_error(&log, PROG, &e),
    };
    if let Payload::Link(_) = payload {
        if keys.len() > 1 {
            return usage_error(
                PROG,
                &format!(
                    "too many arguments: {LINK_ERROR} Hence signing Link metadata with multiple \
                     keys is not allowed."
                ),
            );
        }
        if args.append {
            return usage_error(
                PROG,
                &format!(
                    "wrong arguments: {LINK_ERROR}. Hence adding signatures to existing \
                     signatures on link metadata is not allowed."
                ),
            );
        }
    }
    if args.use_dsse && args.append && md.format() == Format::Legacy {
        return usage_error(
            PROG,
            "conflicting arguments: the signatures of a legacy file cannot be kept in a DSSE \
             envelope; don't specify 'append' with 'use-dsse'",
        );
    }
    if args.verify {
        verify(&md, keys, &log)
    } else {
        sign(md, payload, keys, args, &log)
    }
}

fn load_public_key(path: &Path) -> Result<PublicKey, Error> {
    let bytes = crate::fsutil::read_regular(path).map_err(|e| path_error(&e, path))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        Error::new(
            Exc::ValueError,
            "Could not deserialize key data. The data may be in an incorrect format.",
        )
    })?;
    PublicKey::from_pem(text)
}

/// `_verify_metadata`: 0 all verify, 1 a signature does not, 2 other errors.
fn verify(md: &Metadata, paths: &[PathBuf], log: &Log) -> i32 {
    let other_error = |e: &Error| {
        log.error(super::error_line(PROG, e));
        2
    };
    // A dict keyed by keyid, in first-insertion order.
    let mut keys: Vec<PublicKey> = Vec::new();
    for path in paths {
        match load_public_key(path) {
            Ok(key) => match keys.iter_mut().find(|k| k.keyid == key.keyid) {
                Some(slot) => *slot = key,
                None => keys.push(key),
            },
            Err(e) => return other_error(&e),
        }
    }
    for key in &keys {
        match md.verify_signature(key) {
            Ok(()) => log.info(format!(
                "Signature verification passed for keyid '{}'",
                key.keyid
            )),
            Err(e) if e.class == Exc::SignatureVerificationError => {
                log.error(format!(
                    "Signature verification failed: {}",
                    reference_signature_message(md, &key.keyid)
                ));
                log.info(format!("Details: {}", e.message));
                return 1;
            }
            Err(e) => return other_error(&e),
        }
    }
    0
}

/// `_sign_and_dump_metadata`: 0 written, 2 any error.
fn sign(md: Metadata, payload: Payload, paths: &[PathBuf], args: &SignArgs, log: &Log) -> i32 {
    match sign_and_write(md, payload, paths, args, log) {
        Ok(()) => 0,
        Err(e) => {
            log.error(super::error_line(PROG, &e));
            2
        }
    }
}

fn sign_and_write(
    mut md: Metadata,
    payload: Payload,
    paths: &[PathBuf],
    args: &SignArgs,
    log: &Log,
) -> Result<(), Error> {
    if args.use_dsse && md.format() == Format::Legacy {
        md = Metadata::new(payload.clone(), Format::Dsse);
    } else if !args.append {
        md.clear_signatures();
    }
    let password = if args.prompt {
        Some(prompted_password(false)?)
    } else {
        None
    };
    let mut last_keyid = String::new();
    for path in paths {
        let key = load_signing_key(path, password.as_ref().map(|p| p.as_slice()))?;
        md.sign(&key)?;
        last_keyid = key.public_key().keyid.clone();
    }
    let out = match (&args.output, &payload) {
        (Some(out), _) => out.clone(),
        (None, Payload::Link(link)) => {
            // The name comes from the (untrusted) link: a path separator would write
            // outside the current directory (the reference writes there; we refuse).
            let name = link.name_str();
            if name.contains('/') || name.contains('\0') {
                return Err(Error::new(
                    Exc::ValueError,
                    format!(
                        "the link's name '{}' holds a path separator, so '<name>.<keyid>.link' \
                         would be written outside the current directory: not written (pass -o \
                         to choose the output file)",
                        name.escape_debug()
                    ),
                ));
            }
            PathBuf::from(format!("{name}.{}.link", kid8(&last_keyid)))
        }
        (None, Payload::Layout(_)) => args.file.clone(),
    };
    log.info(format!(
        "Dumping {} to '{}'...",
        payload.type_name(),
        out.display()
    ));
    write_metadata(&out, &md)
}
