//! `record start|stop`: in-toto-record (in-toto 3.1.0) — a link in two parts, for steps
//! that are not a single command. `start` records the materials in a signed preliminary
//! link `.<step>.<keyid prefix>.link-unfinished` in the working directory; `stop` checks
//! that file's signature with the same key, records the products and writes
//! `<step>.<keyid prefix>.link` in the same format, then deletes the preliminary file.

use super::{
    Fail, Log, RecordingArgs, SigningKeyArgs, Verbosity, finish, format_for, generating_line,
    in_dir, kid8, load_signing_key, record_with_progress, reference_signature_message,
    require_signing_key, resolve_password, write_metadata,
};
use crate::Exc;
use crate::crypto::PrivateKey;
use crate::error::Error;
use crate::model::envelope::{Metadata, Payload};
use crate::model::link::{Artifacts, Link};
use clap::{Args, Subcommand};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Args, Debug, Clone)]
pub struct RecordArgs {
    #[command(subcommand)]
    pub command: RecordCommand,
}

#[derive(Subcommand, Debug, Clone)]
pub enum RecordCommand {
    /// Record the materials in a signed preliminary link
    /// `.<name>.<keyid prefix>.link-unfinished`.
    Start(RecordStartArgs),
    /// Record the products, finish the preliminary link of the same key and write
    /// `<name>.<keyid prefix>.link`.
    Stop(RecordStopArgs),
}

/// The flags `start` and `stop` share.
#[derive(Args, Debug, Clone)]
pub struct RecordCommon {
    /// Step name (links are written to `<name>.<keyid prefix>.link`).
    #[arg(short = 'n', long = "step-name", value_name = "NAME")]
    pub step_name: String,

    #[command(flatten)]
    pub key: SigningKeyArgs,

    #[command(flatten)]
    pub recording: RecordingArgs,

    /// Write a DSSE envelope instead of a legacy (Metablock) file (`stop` keeps the format
    /// of the preliminary link).
    #[arg(long = "use-dsse")]
    pub use_dsse: bool,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

#[derive(Args, Debug, Clone)]
#[command(args_override_self = true, infer_long_args = true)]
pub struct RecordStartArgs {
    #[command(flatten)]
    pub common: RecordCommon,

    /// Paths recorded (with their hashes) as materials.
    #[arg(short = 'm', long = "materials", value_name = "PATH", num_args = 1.., action = clap::ArgAction::Set)]
    pub materials: Option<Vec<String>>,
}

#[derive(Args, Debug, Clone)]
#[command(args_override_self = true, infer_long_args = true)]
pub struct RecordStopArgs {
    #[command(flatten)]
    pub common: RecordCommon,

    /// Paths recorded (with their hashes) as products.
    #[arg(short = 'p', long = "products", value_name = "PATH", num_args = 1.., action = clap::ArgAction::Set)]
    pub products: Option<Vec<String>>,

    /// Directory to write the link to (default: the working directory).
    #[arg(short = 'd', long = "metadata-directory", value_name = "DIR")]
    pub metadata_directory: Option<PathBuf>,
}

pub(crate) fn run(args: &RecordArgs) -> i32 {
    match &args.command {
        RecordCommand::Start(a) => {
            let log = Log::new(&a.common.verbosity);
            finish(&log, "intoto-studio record start", start(a, &log))
        }
        RecordCommand::Stop(a) => {
            let log = Log::new(&a.common.verbosity);
            finish(&log, "intoto-studio record stop", stop(a, &log))
        }
    }
}

fn load_key(common: &RecordCommon) -> Result<PrivateKey, Fail> {
    let path = require_signing_key(&common.key)?;
    let password = resolve_password(&common.key.password, false)?;
    Ok(load_signing_key(
        path,
        password.as_ref().map(|p| p.as_slice()),
    )?)
}

/// `.<name>.<keyid prefix>.link-unfinished`
fn unfinished_name(step: &str, keyid: &str) -> String {
    format!(".{step}.{}.link-unfinished", kid8(keyid))
}

fn start(args: &RecordStartArgs, log: &Log) -> Result<i32, Fail> {
    let common = &args.common;
    let key = load_key(common)?;
    let name = &common.step_name;
    log.info(format!("Start recording '{name}'..."));
    let materials = args.materials.clone().unwrap_or_default();
    if !materials.is_empty() {
        log.info(format!("Recording materials '{}'...", materials.join(", ")));
    }
    let opts = common.recording.options();
    let materials = record_with_progress("materials", &materials, &opts, log)?;
    log.info("Creating preliminary link metadata...");
    let link = Link {
        name: Value::String(name.clone()),
        command: Vec::new(),
        materials: Arc::new(materials),
        products: Arc::new(Artifacts::default()),
        byproducts: Map::new(),
        environment: Map::new(),
    };
    link.check_encodable()?;
    let format = format_for(common.use_dsse);
    log.info(generating_line(format));
    let mut md = Metadata::new(Payload::Link(Arc::new(link)), format);
    log.info("Signing link metadata using passed signer...");
    md.sign(&key)?;
    let path = unfinished_name(name, &key.public_key().keyid);
    log.info(format!("Storing preliminary link metadata to '{path}'..."));
    write_metadata(Path::new(&path), &md)?;
    Ok(0)
}

fn stop(args: &RecordStopArgs, log: &Log) -> Result<i32, Fail> {
    let common = &args.common;
    let key = load_key(common)?;
    let name = &common.step_name;
    let keyid = &key.public_key().keyid;
    log.info(format!("Stop recording '{name}'..."));
    let unfinished = unfinished_name(name, keyid);
    log.info(format!(
        "Loading preliminary link metadata '{unfinished}'..."
    ));
    let preliminary = Metadata::load(Path::new(&unfinished))?;
    log.info("Verifying preliminary link signature using passed signer...");
    if let Err(e) = preliminary.verify_signature(key.public_key()) {
        if e.class != Exc::SignatureVerificationError {
            return Err(e.into());
        }
        log.info(format!("Details: {}", e.message));
        return Err(Error::new(
            Exc::SignatureVerificationError,
            reference_signature_message(&preliminary, keyid),
        )
        .into());
    }
    log.info("Extracting Link from metadata...");
    let mut link = match preliminary.payload()? {
        Payload::Link(link) => Link::clone(link),
        Payload::Layout(_) => {
            return Err(Error::format(format!(
                "'{unfinished}' holds layout metadata, not a preliminary link"
            ))
            .into());
        }
    };
    let products = args.products.clone().unwrap_or_default();
    if !products.is_empty() {
        log.info(format!("Recording products '{}'...", products.join(", ")));
    }
    let opts = common.recording.options();
    link.products = Arc::new(record_with_progress("products", &products, &opts, log)?);
    link.check_encodable()?;
    let format = preliminary.format();
    log.info(generating_line(format));
    let mut md = Metadata::new(Payload::Link(Arc::new(link)), format);
    log.info(format!(
        "Updating signature with signer '{}...'...",
        kid8(keyid)
    ));
    md.sign(&key)?;
    let path = in_dir(
        args.metadata_directory.as_deref(),
        &format!("{name}.{}.link", kid8(keyid)),
    );
    log.info(format!("Storing link metadata to '{}'...", path.display()));
    write_metadata(&path, &md)?;
    log.info(format!(
        "Removing unfinished link metadata '{unfinished}'..."
    ));
    std::fs::remove_file(&unfinished)
        .map_err(|e| crate::py::oserror::path_error(&e, Path::new(&unfinished)))?;
    Ok(0)
}
