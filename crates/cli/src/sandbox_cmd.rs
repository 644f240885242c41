//! `sandbox serve`: run the provider sandbox on its own, for trying flows by hand or pointing a
//! second app instance at it.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use clap::Subcommand;

use advisor_desk_sandbox::SandboxConfig;

#[derive(Subcommand)]
pub enum SandboxCommand {
    /// Serve the Flanks and Flinks imitation until Ctrl-C.
    Serve {
        /// Address to listen on. Only loopback is allowed: the sandbox is for this machine.
        #[arg(long, default_value = "127.0.0.1")]
        host: IpAddr,
        /// Port (0 picks a free one).
        #[arg(long, default_value_t = 8377)]
        port: u16,
        /// Seed of the generated book.
        #[arg(long, default_value_t = SandboxConfig::default().seed)]
        seed: u64,
        /// Number of credentials in the book (8:3 Flanks to Flinks).
        #[arg(long, default_value_t = SandboxConfig::default().credentials)]
        credentials: usize,
    },
}

pub fn run(cmd: SandboxCommand) -> ExitCode {
    match serve(cmd) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(crate::exit::FAILURE)
        }
    }
}

fn serve(cmd: SandboxCommand) -> anyhow::Result<()> {
    match cmd {
        SandboxCommand::Serve {
            host,
            port,
            seed,
            credentials,
        } => {
            anyhow::ensure!(
                host.is_loopback(),
                "the sandbox only listens on loopback addresses"
            );
            anyhow::ensure!(credentials >= 1, "the book needs at least one credential");
            let config = SandboxConfig {
                seed,
                credentials,
                ..SandboxConfig::default()
            };
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(advisor_desk_sandbox::serve(
                config,
                SocketAddr::new(host, port),
            ))?;
            Ok(())
        }
    }
}
