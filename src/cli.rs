//! The command line: `intoto-studio [CHAIN]` (the TUI) and the headless subcommands.
//!
//! Exit codes: 0 success, 1 verification failed or bad input, 2 usage error.

use crate::Exc;
use crate::tools::print_out;
use crate::verify::{self, VerifyOptions, render};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "intoto-studio",
    version,
    about = "Author, sign, verify and diagnose in-toto supply-chain layouts",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// A layout file, or a folder holding `root.layout` (and `owner*.pub`, `links/`).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,

    #[command(flatten)]
    pub chain: ChainArgs,

    #[command(flatten)]
    pub ui: UiArgs,
}

/// Options of the terminal UI.
#[derive(Args, Debug, Clone, Default)]
pub struct UiArgs {
    /// Theme: dark, light, high-contrast, colorblind, or a path to a theme file.
    #[arg(long, value_name = "NAME|PATH")]
    pub theme: Option<String>,

    /// Turn mouse support off (on by default; `M` toggles it).
    #[arg(long)]
    pub no_mouse: bool,

    /// Run the layout's inspections without asking (they are shown and confirmed otherwise).
    #[arg(long)]
    pub run_inspections: bool,

    /// Config file (default: config.toml in the platform config directory).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

/// The chain to open: in-toto-verify's flags (shared by `verify` and the TUI).
#[derive(Args, Debug, Clone, Default)]
pub struct ChainArgs {
    /// Path to the layout to verify.
    #[arg(short = 'l', long = "layout", value_name = "PATH")]
    pub layout: Option<PathBuf>,

    /// Public keys (PEM SubjectPublicKeyInfo) that must all have signed the layout.
    #[arg(long = "verification-keys", value_name = "PATH", num_args = 1..)]
    pub verification_keys: Vec<PathBuf>,

    /// Directory to load link metadata from.
    #[arg(long = "link-dir", value_name = "PATH")]
    pub link_dir: Option<PathBuf>,

    /// Pull the links from the image's OCI registry (the evidence `evidence push` put
    /// beside it) instead of reading --link-dir.
    #[arg(
        long = "evidence-from",
        value_name = "IMAGE@sha256:HEX",
        conflicts_with = "link_dir"
    )]
    pub evidence_from: Option<String>,

    #[command(flatten)]
    pub registry: RegistryArgs,

    /// Timeout in seconds for each inspection command.
    #[arg(
        long = "inspection-timeout",
        value_name = "SECONDS",
        default_value_t = 10
    )]
    pub inspection_timeout: u64,

    /// Substitute `{NAME}` in rules, expected commands and inspection commands.
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,

    /// GPG keys (not supported by this tool).
    #[arg(short = 'g', long = "gpg", value_name = "ID", num_args = 0.., hide = true)]
    pub gpg: Option<Vec<String>>,

    /// GPG home (not supported by this tool).
    #[arg(long = "gpg-home", value_name = "PATH", hide = true)]
    pub gpg_home: Option<PathBuf>,
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got '{s}'")),
    }
}

/// Output format of `verify`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Verify a supply chain (in-toto-verify's flags and exit codes).
    ///
    /// Exit status: 0 the chain passed; 1 it failed — any error (an unreadable or malformed
    /// file, a bad signature, a rule, an inspection, a timeout) is a failure, never a pass;
    /// 2 wrong arguments.
    Verify(VerifyArgs),
    #[command(flatten)]
    Tools(crate::tools::ToolCommand),
    /// Check a layout for mistakes (exit 1 when there is an error).
    ///
    /// Exit status: 0 no error-level finding; 1 an error-level finding, or a file that is
    /// not a layout; 2 wrong arguments or a file that cannot be read.
    Lint(LintArgs),
    /// Show a public key's keyid, or the key dict to put into a layout's `keys`.
    Key(KeyArgs),
    /// Print the layout's graph (edges are MATCH rules).
    Graph(GraphArgs),
    /// Decide a recorded Kubernetes AdmissionReview offline, as `serve` would: may its
    /// images run?
    ///
    /// Each image is matched to a policy rule, its in-toto chain verified from the
    /// evidence store and bound to the image digest. Exit status: 0 allowed; 1 denied (any
    /// error is a denial); 2 wrong arguments, an unreadable policy or a body that is no
    /// AdmissionReview.
    Admit(AdmitArgs),
    /// The Kubernetes admission webhook: HTTPS only, `POST /verify` answers
    /// AdmissionReviews as `admit` decides them; `GET /healthz`, `/readyz`, `/metrics`.
    ///
    /// The policy and the certificate are reloaded when their files change (a bad new policy
    /// is refused and the old one kept); SIGTERM shuts down gracefully. Exit status: 0 after
    /// a shutdown; 2 wrong arguments, an unreadable policy or certificate.
    Serve(ServeArgs),
    /// Evidence beside the image: push a link directory to an OCI registry as an artifact
    /// whose subject is the image, pull it back, or put it into `serve`'s directory store.
    ///
    /// Exit status: 0 done; 1 the registry or the store failed (nothing partial is left as
    /// evidence); 2 wrong arguments.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
}

/// `intoto-studio evidence …`.
#[derive(Subcommand, Debug)]
pub enum EvidenceCommand {
    /// Push the links (sublayout folders too) as one OCI artifact referring to the image
    /// (the referrers tag `sha256-<hex>` too where the registry has no referrers API).
    /// Pushing the same links twice gives the same artifact.
    Push {
        /// The image, by digest: REGISTRY/REPO@sha256:HEX.
        #[arg(value_name = "IMAGE@sha256:HEX")]
        image: String,
        #[arg(long = "link-dir", value_name = "DIR")]
        link_dir: PathBuf,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Fetch every in-toto evidence artifact that refers to the image, check each layer's
    /// digest, and write them as a link directory `verify` takes.
    Pull {
        #[arg(value_name = "IMAGE@sha256:HEX")]
        image: String,
        /// The link directory to write (must not exist or be empty).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Put the links into `serve`'s directory store: `<store>/sha256/<hex>/` is replaced
    /// whole, atomically; nothing is written outside it.
    Put {
        #[arg(long, value_name = "DIR")]
        store: PathBuf,
        #[arg(value_name = "IMAGE@sha256:HEX")]
        image: String,
        #[arg(long = "link-dir", value_name = "DIR")]
        link_dir: PathBuf,
    },
}

/// How `evidence` (and `--evidence-from`) reaches a registry.
#[derive(Args, Debug, Clone)]
pub struct RegistryArgs {
    /// Plain HTTP instead of HTTPS (a registry on localhost).
    #[arg(long)]
    pub plain_http: bool,
    /// CA certificate (PEM) to trust besides the system's roots.
    #[arg(long, value_name = "CA.pem")]
    pub registry_ca: Option<PathBuf>,
    /// Docker `config.json` with the registry's credentials (default:
    /// `$DOCKER_CONFIG/config.json`, else anonymous).
    #[arg(long, value_name = "PATH")]
    pub registry_config: Option<PathBuf>,
    /// Seconds the whole transfer may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub registry_timeout: u64,
}

impl Default for RegistryArgs {
    fn default() -> Self {
        RegistryArgs {
            plain_http: false,
            registry_ca: None,
            registry_config: None,
            registry_timeout: 60,
        }
    }
}

impl RegistryArgs {
    /// The options for `image`'s registry; the credentials from --registry-config, else
    /// `$DOCKER_CONFIG/config.json`, else none. An image not named by digest, or a file
    /// that cannot be read, is an error.
    pub fn options(
        &self,
        image: &str,
    ) -> Result<crate::evidence::registry::RegistryOptions, String> {
        crate::evidence::registry::check_image(image)?;
        let config = self.registry_config.clone().or_else(|| {
            std::env::var_os("DOCKER_CONFIG").map(|d| PathBuf::from(d).join("config.json"))
        });
        crate::evidence::registry::RegistryOptions::for_image(
            image,
            self.plain_http,
            self.registry_ca.as_deref(),
            config.as_deref(),
            Duration::from_secs(self.registry_timeout.max(1)),
        )
    }
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The admission policy (TOML).
    #[arg(
        long,
        value_name = "POLICY.toml",
        required_unless_present = "print_webhook_config"
    )]
    pub policy: Option<PathBuf>,
    /// The server certificate chain (PEM).
    #[arg(
        long,
        value_name = "CERT.pem",
        required_unless_present = "print_webhook_config"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The server's private key (PEM).
    #[arg(
        long,
        value_name = "KEY.pem",
        required_unless_present = "print_webhook_config"
    )]
    pub tls_key: Option<PathBuf>,
    /// Print the ValidatingWebhookConfiguration (YAML) that sends this webhook every Pod
    /// and workload, and exit.
    #[arg(long, requires_all = ["ca", "service", "namespace"])]
    pub print_webhook_config: bool,
    /// With --print-webhook-config: the CA certificate (PEM) that signed the server's.
    #[arg(long, value_name = "CA.pem")]
    pub ca: Option<PathBuf>,
    /// With --print-webhook-config: the webhook's Service.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// With --print-webhook-config: the namespace of the Service (left out of the checks).
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// With --print-webhook-config: the API server's timeout for each call (1 to 30).
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub timeout_seconds: u8,
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8443")]
    pub listen: std::net::SocketAddr,
    /// Decisions in flight at most; more are denied at once ("overloaded").
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_in_flight: usize,
    /// Verification outcomes kept (an LRU; 0: verify every review).
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub cache_entries: usize,
    /// Seconds an outcome is kept at most (a success never past its layout's expiry).
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub cache_ttl: u64,
}

#[derive(Args, Debug)]
pub struct AdmitArgs {
    /// The AdmissionReview (JSON, admission.k8s.io/v1 or v1beta1).
    #[arg(value_name = "REVIEW.json")]
    pub review: PathBuf,
    /// The admission policy (TOML).
    #[arg(long, value_name = "POLICY.toml")]
    pub policy: PathBuf,
    /// text: the decision and each image's verification; json: the decision, the
    /// AdmissionReview response and the reports.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,
    /// Open the chain of the denied image (the first image's, if none was denied) in the
    /// terminal UI, with the failure in view; the decision is printed when it closes.
    #[arg(long)]
    pub tui: bool,
    #[command(flatten)]
    pub ui: UiArgs,
}

/// Output format of `lint`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LintFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct LintArgs {
    /// The layout file (signed or not, either format).
    #[arg(value_name = "LAYOUT")]
    pub layout: PathBuf,
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,
}

/// What `key` prints.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyShow {
    /// The keyid.
    Id,
    /// The securesystemslib key dict, as in a layout's `keys`.
    Layout,
}

#[derive(Args, Debug)]
pub struct KeyArgs {
    /// What to print.
    #[arg(value_enum)]
    pub show: KeyShow,
    /// A public key (PEM SubjectPublicKeyInfo).
    #[arg(value_name = "PUBLIC_KEY")]
    pub key: PathBuf,
}

/// Output format of `graph`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    Text,
    Dot,
    Mermaid,
}

#[derive(Args, Debug)]
pub struct GraphArgs {
    /// The layout file.
    #[arg(value_name = "LAYOUT")]
    pub layout: PathBuf,
    #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
    pub format: GraphFormat,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub chain: ChainArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    /// Show every item, link and rule.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,

    /// Print nothing; the exit code tells.
    #[arg(short, long)]
    pub quiet: bool,

    /// Do not write `<inspection>.link` files into the working directory.
    #[arg(long)]
    pub no_inspection_links: bool,
}

/// A usage error (exit 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl ChainArgs {
    /// The parameters as a map (`None` when no `--param` was given).
    pub fn params(&self) -> Option<BTreeMap<String, String>> {
        if self.params.is_empty() {
            None
        } else {
            Some(self.params.iter().cloned().collect())
        }
    }

    /// Verification options from the flags.
    pub fn verify_options(&self) -> VerifyOptions {
        VerifyOptions {
            link_dir: self.link_dir.clone().unwrap_or_else(|| PathBuf::from(".")),
            params: self.params(),
            inspection_timeout: Duration::from_secs(self.inspection_timeout),
            ..VerifyOptions::default()
        }
    }

    /// The flags the TUI opens a chain with.
    pub fn tui_flags(&self) -> crate::tui::ChainFlags {
        crate::tui::ChainFlags {
            layout: self.layout.clone(),
            verification_keys: self.verification_keys.clone(),
            link_dir: self.link_dir.clone(),
            inspection_timeout: self.inspection_timeout,
            params: self.params.clone(),
        }
    }

    /// The image and registry options of --evidence-from (`None` without it); an image not
    /// named by digest or an unreadable CA or config file is a usage error.
    pub fn evidence_source(
        &self,
    ) -> Result<Option<(String, crate::evidence::registry::RegistryOptions)>, UsageError> {
        let Some(image) = &self.evidence_from else {
            return Ok(None);
        };
        let opts = self
            .registry
            .options(image)
            .map_err(|e| UsageError(format!("--evidence-from: {e}")))?;
        Ok(Some((image.clone(), opts)))
    }

    /// Refuse what this tool does not support, as a usage error.
    pub fn check_supported(&self) -> Result<(), UsageError> {
        if self.gpg.is_some() || self.gpg_home.is_some() {
            return Err(UsageError(
                "GPG keys are not supported: pass PEM public keys with --verification-keys".into(),
            ));
        }
        Ok(())
    }
}

/// `intoto-studio verify`: returns the exit code.
pub fn run_verify(args: &VerifyArgs) -> Result<i32, UsageError> {
    let chain = &args.chain;
    chain.check_supported()?;
    let Some(layout_path) = &chain.layout else {
        return Err(UsageError(
            "the following arguments are required: -l/--layout".into(),
        ));
    };
    if chain.verification_keys.is_empty() {
        return Err(UsageError(
            "wrong arguments: specify at least one layout verification key: \
             '--verification-keys path [path ...]'"
                .into(),
        ));
    }
    let mut opts = chain.verify_options();
    opts.persist_inspection_links = !args.no_inspection_links;
    // --evidence-from: the links are pulled first, into a scratch folder that lives until
    // the report is printed; a registry failure fails verification.
    let mut pulled = None;
    let mut report = match chain.evidence_source()?.map(|(image, ro)| {
        let got = crate::evidence::registry::pull_to_scratch(&image, &ro);
        (image, got)
    }) {
        Some((image, Err(e))) => verify::links_failure(crate::Error::new(
            Exc::OSError,
            format!("the evidence of {image} in its registry: {e}"),
        )),
        got => {
            if let Some((image, Ok((scratch, p)))) = got {
                opts.link_dir = scratch.path().join("links");
                pulled = Some((scratch, evidence_note(&image, &p)));
            }
            match crate::model::envelope::Metadata::load(layout_path) {
                Err(e) => verify::load_failure(e.context(layout_path.display())),
                Ok(md) => match crate::crypto::load_public_keys(&chain.verification_keys) {
                    Err(e) => verify::key_failure(e),
                    Ok(keys) => verify::verify_metadata(&md, &keys, &opts, &verify::FsLinks),
                },
            }
        }
    };
    if let Some((_, note)) = &pulled {
        report.notes.insert(0, note.clone());
    }
    report.key_names =
        verify::report::KeyNames::for_chain(&chain.verification_keys, Some(layout_path));
    if !args.quiet {
        let out = match args.format {
            OutputFormat::Json => {
                serde_json::to_string_pretty(&report).expect("report serialises") + "\n"
            }
            OutputFormat::Markdown => render::terminal_safe(&render::markdown(&report)).into(),
            OutputFormat::Text => render::terminal_safe(&render::text(
                &report,
                if args.verbose {
                    render::Detail::Verbose
                } else {
                    render::Detail::Normal
                },
            ))
            .into(),
        };
        print_out(&out);
    }
    Ok(if report.passed { 0 } else { 1 })
}

/// What --evidence-from pulled, as a note of the report.
fn evidence_note(image: &str, p: &crate::evidence::registry::Pulled) -> String {
    format!(
        "the links were pulled from the registry: {} file(s) of {} referring to {image} \
         (found through the {})",
        p.files,
        p.artifacts.join(", "),
        p.via
    )
}

/// `intoto-studio lint`.
pub fn run_lint(args: &LintArgs) -> i32 {
    let findings = match crate::lint::lint_file(&args.layout, process_clock().now()) {
        Ok(f) => f,
        Err(e) => {
            crate::tools::eprint_line(&crate::tools::error_line("intoto-studio lint", &e));
            // Nothing was linted when the file cannot be read: a usage error, as for
            // the other subcommands.
            let unreadable = matches!(
                e.class,
                Exc::FileNotFoundError
                    | Exc::PermissionError
                    | Exc::IsADirectoryError
                    | Exc::NotADirectoryError
                    | Exc::OSError
            );
            return if unreadable { 2 } else { 1 };
        }
    };
    match args.format {
        LintFormat::Json => print_out(
            &(serde_json::to_string_pretty(&crate::lint::to_json(&findings)).unwrap_or_default()
                + "\n"),
        ),
        LintFormat::Text => print_out(&render::terminal_safe(&crate::lint::render_text(&findings))),
    }
    if crate::lint::has_errors(&findings) {
        1
    } else {
        0
    }
}

/// `intoto-studio key id|layout PUB`.
pub fn run_key(args: &KeyArgs) -> i32 {
    match crate::crypto::load_public_keys(std::slice::from_ref(&args.key)) {
        Ok(keys) => {
            let k = &keys[0];
            match args.show {
                KeyShow::Id => print_out(&format!("{}\n", k.keyid)),
                KeyShow::Layout => {
                    let dict = serde_json::Value::Object(k.to_key_dict());
                    print_out(&(serde_json::to_string_pretty(&dict).unwrap_or_default() + "\n"))
                }
            }
            0
        }
        Err(e) => {
            crate::tools::eprint_line(&crate::tools::error_line("intoto-studio key", &e));
            1
        }
    }
}

/// `intoto-studio serve`.
pub fn run_serve(args: &ServeArgs) -> i32 {
    if args.print_webhook_config {
        let (Some(ca), Some(service), Some(ns)) = (&args.ca, &args.service, &args.namespace) else {
            return 2;
        };
        let pem = match crate::fsutil::read_regular(ca) {
            Ok(b) => b,
            Err(e) => {
                return crate::tools::usage_error(
                    crate::serve::PROG,
                    &format!("{}: {e}", ca.display()),
                );
            }
        };
        if !(1..=30).contains(&args.timeout_seconds) {
            return crate::tools::usage_error(crate::serve::PROG, "--timeout-seconds is 1 to 30");
        }
        print_out(&crate::serve::webhook_config(
            &pem,
            service,
            ns,
            args.listen.port(),
            args.timeout_seconds,
        ));
        return 0;
    }
    let (Some(policy), Some(tls_cert), Some(tls_key)) =
        (&args.policy, &args.tls_cert, &args.tls_key)
    else {
        return 2;
    };
    crate::serve::run(crate::serve::ServeOptions {
        policy: policy.clone(),
        tls_cert: tls_cert.clone(),
        tls_key: tls_key.clone(),
        listen: args.listen,
        reload_every: std::time::Duration::from_secs(2),
        max_in_flight: args.max_in_flight,
        cache_entries: args.cache_entries,
        cache_ttl: std::time::Duration::from_secs(args.cache_ttl),
    })
}

/// `intoto-studio evidence`.
pub fn run_evidence(cmd: &EvidenceCommand) -> i32 {
    use crate::evidence::registry;
    const PROG: &str = "intoto-studio evidence";
    let fail = |e: String| {
        let e = crate::Error::new(crate::Exc::OSError, e);
        crate::tools::eprint_line(&crate::tools::error_line(PROG, &e));
        1
    };
    let usage = |e: String| crate::tools::usage_error(PROG, &e);
    match cmd {
        EvidenceCommand::Push {
            image,
            link_dir,
            registry: a,
        } => {
            let opts = match a.options(image) {
                Ok(o) => o,
                Err(e) => return usage(e),
            };
            match registry::push(image, link_dir, &opts) {
                Ok(p) => {
                    print_out(&format!(
                        "pushed {} link file(s) as {}{}\n",
                        p.files,
                        p.artifact,
                        if p.tag_schema {
                            " (and the referrers tag: the registry has no referrers API)"
                        } else {
                            ""
                        }
                    ));
                    0
                }
                Err(e) => fail(e),
            }
        }
        EvidenceCommand::Pull {
            image,
            out,
            registry: a,
        } => {
            let opts = match a.options(image) {
                Ok(o) => o,
                Err(e) => return usage(e),
            };
            match registry::pull(image, out, &opts) {
                Ok(p) => {
                    print_out(&format!(
                        "wrote {} link file(s) from {} ({}) to {}\n",
                        p.files,
                        p.artifacts.join(", "),
                        p.via,
                        out.display()
                    ));
                    0
                }
                Err(e) => fail(e),
            }
        }
        EvidenceCommand::Put {
            store,
            image,
            link_dir,
        } => {
            let hex = image
                .rsplit_once("@sha256:")
                .map(|(_, h)| h)
                .unwrap_or(image.as_str());
            match crate::evidence::put(store, hex, link_dir) {
                Ok(at) => {
                    print_out(&format!("put the links into {}\n", at.display()));
                    0
                }
                Err(e) if e.contains("no sha256 digest") => usage(format!("{image}: {e}")),
                Err(e) => fail(e),
            }
        }
    }
}

/// `intoto-studio admit`.
pub fn run_admit(args: &AdmitArgs) -> i32 {
    const PROG: &str = "intoto-studio admit";
    let usage = |e: String| crate::tools::usage_error(PROG, &e);
    let policy = match crate::admission::policy::Policy::load(&args.policy) {
        Ok(p) => p,
        Err(e) => return usage(format!("policy {e}")),
    };
    let body = match crate::fsutil::read_regular(&args.review) {
        Ok(b) => b,
        Err(e) => return usage(format!("{}: {e}", args.review.display())),
    };
    let req = match crate::admission::review::parse(&body) {
        Ok(Some(r)) => r,
        Ok(None) => {
            let why = "the AdmissionReview has no request: nothing to admit";
            match args.format {
                LintFormat::Json => print_out(
                    &(serde_json::to_string_pretty(&serde_json::json!({
                        "allowed": false,
                        "message": why,
                        "review": crate::admission::review::refuse_without_request(why),
                    }))
                    .unwrap_or_default()
                        + "\n"),
                ),
                LintFormat::Text => print_out(&format!("DENIED\n{why}\n")),
            }
            return 1;
        }
        Err(e) => return usage(format!("{}: {e}", args.review.display())),
    };
    let d = crate::admission::decide(&policy, &req, &process_clock(), None);
    if args.tui {
        let Some(chain) = d.chain_in_question(&policy) else {
            return usage(format!(
                "no image of this review has a chain to open{}",
                if d.message.is_empty() {
                    String::new()
                } else {
                    format!(": {}", d.message)
                }
            ));
        };
        if let Err(e) = open_tui(judged_chain_opened(&chain), &args.ui) {
            return usage(e.0);
        }
    }
    match args.format {
        LintFormat::Json => {
            let response =
                crate::admission::review::respond(&req, d.allowed, &d.message, d.warnings.clone());
            let mut v = serde_json::to_value(&d).unwrap_or_default();
            v["review"] = response;
            print_out(&(serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"));
        }
        LintFormat::Text => {
            let mut o = format!(
                "{} (request {})\n",
                if d.allowed { "ALLOWED" } else { "DENIED" },
                d.uid
            );
            if !d.message.is_empty() {
                o.push_str(&format!("{}\n", d.message));
            }
            for i in &d.images {
                o.push_str(&format!(
                    "\n{} {} (rule: {})\n",
                    if i.allowed { "✓" } else { "✗" },
                    i.image,
                    i.rule.as_deref().unwrap_or("none")
                ));
                if let Some(b) = &i.bound_by {
                    o.push_str(&format!("  bound by {b}\n"));
                }
                if !i.reason.is_empty() {
                    o.push_str(&format!("  {}\n", i.reason));
                }
                for w in &i.warnings {
                    o.push_str(&format!("  ! {w}\n"));
                }
                if let Some(r) = &i.report {
                    for line in render::text(r, render::Detail::Normal).lines() {
                        o.push_str(&format!("  | {line}\n"));
                    }
                }
            }
            print_out(&render::terminal_safe(&o));
        }
    }
    if d.allowed { 0 } else { 1 }
}

/// `intoto-studio graph`.
pub fn run_graph(args: &GraphArgs) -> i32 {
    let layout = match crate::lint::load_layout(&args.layout) {
        Ok(l) => l,
        Err(e) => {
            crate::tools::eprint_line(&crate::tools::error_line("intoto-studio graph", &e));
            return 1;
        }
    };
    let g = crate::graph::Graph::from_layout(&layout);
    print_out(&render::terminal_safe(&match args.format {
        GraphFormat::Text => g.to_text(),
        GraphFormat::Dot => g.to_dot(),
        GraphFormat::Mermaid => g.to_mermaid(),
    }));
    0
}

/// `intoto-studio [PATH] [verify flags]`: the terminal UI.
pub fn run_tui(cli: &Cli) -> Result<i32, UsageError> {
    cli.chain.check_supported()?;
    let mut flags = cli.chain.tui_flags();
    // --evidence-from: the links are pulled into a scratch folder that lives as long as the
    // UI; a registry failure ends here, with the reason.
    let mut _scratch = None;
    if let Some((image, ro)) = cli.chain.evidence_source()? {
        match crate::evidence::registry::pull_to_scratch(&image, &ro) {
            Ok((scratch, _)) => {
                flags.link_dir = Some(scratch.path().join("links"));
                _scratch = Some(scratch);
            }
            Err(e) => {
                eprintln!("intoto-studio: error: the evidence of {image} in its registry: {e}");
                return Ok(1);
            }
        }
    }
    let opened = crate::tui::resolve_chain(cli.path.as_deref(), &flags).map_err(UsageError)?;
    open_tui(opened, &cli.ui)
}

/// Run the TUI on a resolved chain with the UI flags (config, theme, mouse).
fn open_tui(mut opened: crate::tui::Opened, ui: &UiArgs) -> Result<i32, UsageError> {
    use std::io::IsTerminal;
    let config = crate::tui::config::load(ui.config.as_deref()).map_err(UsageError)?;
    crate::tui::check_owner_trust(&mut opened.chain, &config.trusted_owner_keys)
        .map_err(UsageError)?;
    let keymap = config.keymap().map_err(UsageError)?;
    let theme = crate::tui::theme::Theme::resolve(
        ui.theme.as_deref().or(config.theme.as_deref()),
        crate::tui::theme::no_color_env(),
    )
    .map_err(UsageError)?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(UsageError(
            "the terminal UI needs a terminal; for scripts use `verify`, `lint` or `graph`".into(),
        ));
    }
    let opts = crate::tui::app::Options {
        path: opened.layout.clone(),
        chain: opened.chain.clone(),
        theme,
        keymap,
        mouse: !ui.no_mouse && config.mouse.unwrap_or(true),
        run_inspections: ui.run_inspections,
        clock: process_clock(),
        autosave_dir: crate::tui::doc::autosave::default_dir(),
    };
    Ok(crate::tui::run(opened, opts))
}

/// The chain an admission decision judged, opened as the TUI opens `--layout`,
/// `--verification-keys`, `--link-dir` and `--param`.
pub fn judged_chain_opened(c: &crate::admission::JudgedChain) -> crate::tui::Opened {
    crate::tui::Opened {
        layout: Some(c.layout.clone()),
        chain: crate::tui::app::ChainSpec {
            keys: c.owner_keys.clone(),
            owner_trust: crate::tui::app::OwnerTrust::Given,
            link_dir: Some(c.link_dir.clone()),
            params: Some(c.params.clone()),
            workdir: None,
            inspection_timeout: 10,
        },
    }
}

/// The process clock ([`crate::clock::Clock::process`]), checked by [`run`] before any
/// command runs.
fn process_clock() -> crate::clock::Clock {
    crate::clock::Clock::process().unwrap_or_default()
}

/// Run the parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match crate::clock::Clock::process() {
        Err(msg) => {
            eprintln!("intoto-studio: error: {msg}");
            return 2;
        }
        Ok(crate::clock::Clock::Fixed(t)) => {
            eprintln!(
                "intoto-studio: warning: the clock is pinned to {t} by {}",
                crate::clock::NOW_ENV
            );
        }
        Ok(crate::clock::Clock::System) => {}
    }
    let result = match &cli.command {
        Some(Command::Verify(args)) => run_verify(args),
        Some(Command::Tools(cmd)) => Ok(crate::tools::run(cmd)),
        Some(Command::Lint(args)) => Ok(run_lint(args)),
        Some(Command::Graph(args)) => Ok(run_graph(args)),
        Some(Command::Admit(args)) => Ok(run_admit(args)),
        Some(Command::Serve(args)) => Ok(run_serve(args)),
        Some(Command::Evidence(cmd)) => Ok(run_evidence(cmd)),
        Some(Command::Key(args)) => Ok(run_key(args)),
        None => run_tui(&cli),
    };
    match result {
        Ok(code) => code,
        Err(UsageError(msg)) => {
            eprintln!("intoto-studio: error: {msg}");
            2
        }
    }
}
