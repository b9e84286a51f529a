//! The `agentyard` command line.

mod image_command;

use agentyard::config::ConfigArgs;
use clap::{Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "agentyard",
    version,
    about = "Runs AI coding-agent sessions in isolated containers, streamed to a web UI"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// The enum is parsed once per run: the size of its largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Start the platform: API, WebSocket and web UI.
    Serve(ConfigArgs),
    /// Agent images: `agentyard image build <name> --apt … --npm … --pip …`.
    #[command(subcommand)]
    Image(image_command::ImageCommand),
    /// Check what the configured mode needs (Docker Engine, default image, network) and print
    /// each check with its fix; exits non-zero when something is wrong.
    Health(ConfigArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => match serve(args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("agentyard: {error:#}");
                ExitCode::FAILURE
            }
        },
        Command::Image(command) => match image_command::run(command).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("agentyard: {error:#}");
                ExitCode::FAILURE
            }
        },
        Command::Health(args) => match args.into_config() {
            Ok(config) => {
                let report = agentyard::health::check(&config).await;
                print!("{report}");
                if report.ok() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
            Err(error) => {
                eprintln!("agentyard: {error:#}");
                ExitCode::FAILURE
            }
        },
    }
}

async fn serve(args: ConfigArgs) -> anyhow::Result<()> {
    let config = args.into_config()?;
    let mode = config.mode;
    let running = agentyard::start(config, None).await?;
    // Where to sign in, on one write: a reader that closed stdout after the first line (a
    // supervisor, a test) must never end the platform with a broken pipe.
    let banner = format!(
        "Agentyard is listening on {} ({} mode). Sign in: {}\nPreviews are served on their own origin, port {}.\n",
        running.base_url(),
        mode.as_str(),
        running.login_url(),
        running.preview_addr.port()
    );
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout.write_all(banner.as_bytes()).and(stdout.flush()) {
        tracing::warn!(%error, "could not print the sign-in address");
    }
    drop(stdout);
    let stop = running.shutdown_token();
    tokio::select! {
        () = shutdown_signal() => tracing::info!("shutting down"),
        () = stop.cancelled() => {}
    }
    running.stop().await
}

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
