//! `keygen`: a key pair as PKCS#8 (private, mode 0600) and SPKI (public) PEM files, the
//! formats in-toto 3.x reads (`--signing-key`, `--verification-keys`, `in-toto-sign -k`).

use super::{Fail, Log, Verbosity, finish, resolve_password};
use crate::Exc;
use crate::crypto::{KeyKind, PrivateKey};
use crate::error::Error;
use crate::fsutil::{WriteOptions, atomic_write};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

const PROG: &str = "intoto-studio keygen";

/// Key types `keygen` creates.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeyType {
    /// Ed25519 (scheme `ed25519`).
    #[default]
    Ed25519,
    /// RSA 3072 bits (scheme `rsassa-pss-sha256`).
    Rsa,
    /// ECDSA NIST P-256 (scheme `ecdsa-sha2-nistp256`).
    Ecdsa,
}

impl From<KeyType> for KeyKind {
    fn from(t: KeyType) -> KeyKind {
        match t {
            KeyType::Ed25519 => KeyKind::Ed25519,
            KeyType::Rsa => KeyKind::Rsa,
            KeyType::Ecdsa => KeyKind::Ecdsa,
        }
    }
}

#[derive(Args, Debug, Clone)]
#[command(args_override_self = true, infer_long_args = true)]
pub struct KeygenArgs {
    /// Key type.
    #[arg(short = 't', long = "type", value_enum, default_value_t = KeyType::Ed25519)]
    pub key_type: KeyType,

    /// Encrypt the private key (PKCS#8 PBES2, AES-256-CBC) with PASSWORD; `-P` alone reads
    /// $INTOTO_STUDIO_PASSWORD if set, else prompts twice on the terminal.
    #[arg(short = 'P', long = "password", value_name = "PASSWORD", num_args = 0..=1)]
    pub password: Option<Option<String>>,

    /// Overwrite existing key files.
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub verbosity: Verbosity,

    /// The private key file; the public key goes to PATH.pub.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
}

/// `PATH.pub`
fn pub_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

fn exists_error(path: &Path) -> Error {
    Error::new(
        Exc::FileExistsError,
        format!(
            "[Errno 17] File exists: '{}' (use --force to overwrite)",
            path.display()
        ),
    )
}

pub(crate) fn run(args: &KeygenArgs) -> i32 {
    let log = Log::new(&args.verbosity);
    finish(&log, PROG, keygen(args, &log))
}

fn keygen(args: &KeygenArgs, log: &Log) -> Result<i32, Fail> {
    let public_path = pub_path(&args.path);
    if args.path.as_os_str().is_empty() {
        return Err(Fail::Usage("PATH must not be empty".into()));
    }
    if !args.force {
        for p in [&args.path, &public_path] {
            if std::fs::symlink_metadata(p).is_ok() {
                return Err(exists_error(p).into());
            }
        }
    }
    for p in [&args.path, &public_path] {
        if std::fs::metadata(p).is_ok_and(|m| m.is_dir()) {
            return Err(Error::new(
                Exc::IsADirectoryError,
                format!("[Errno 21] Is a directory: '{}'", p.display()),
            )
            .into());
        }
    }
    let password = resolve_password(&args.password, true)?;
    if password.as_ref().is_some_and(|p| p.is_empty()) {
        return Err(Error::new(Exc::ValueError, "the password must not be empty").into());
    }
    let label = match args.key_type {
        KeyType::Ed25519 => "an ed25519",
        KeyType::Rsa => "an RSA 3072",
        KeyType::Ecdsa => "an ECDSA P-256",
    };
    log.info(format!("Generating {label} key..."));
    let key = PrivateKey::generate(args.key_type.into())?;
    let private_pem = key.to_pkcs8_pem(password.as_ref().map(|p| p.as_slice()))?;
    let private_opts = WriteOptions {
        create_new: !args.force,
        ..WriteOptions::private_key()
    };
    atomic_write(&args.path, private_pem.as_bytes(), private_opts)?;
    let public_opts = WriteOptions {
        mode: Some(0o644),
        force_mode: true,
        backup: false,
        create_new: !args.force,
    };
    atomic_write(&public_path, key.public_pem().as_bytes(), public_opts)?;
    log.info(format!(
        "Wrote private key '{}' and public key '{}'",
        args.path.display(),
        public_path.display()
    ));
    super::print_out(&format!("{}\n", key.public_key().keyid));
    Ok(0)
}
