use clap::Parser;
use intoto_studio::cli;

#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOC: intoto_studio::hugealloc::HugePageAlloc = intoto_studio::hugealloc::HugePageAlloc;

fn main() {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version exit 0; real usage errors exit 2.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    std::process::exit(cli::run(cli));
}
