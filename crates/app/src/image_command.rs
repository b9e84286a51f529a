//! `agentyard image build`: builds an agent image from the command line, with the same checks
//! as `POST /api/agents/images` (`engine::images::prepare_build`), talking to the Docker Engine
//! directly, and a progress bar drawn from the builder's `Step N/M` lines.

use clap::{Args, Subcommand};
use engine::images::{ImageBuildRequest, MACHINE_CA_DIR, machine_extra_ca, prepare_build};
use std::io::{IsTerminal, Write};
use std::path::Path;

#[derive(Subcommand)]
pub enum ImageCommand {
    /// Build `claude-agent-<name>` from a base agent image plus apt, npm and pip packages.
    Build(BuildArgs),
}

#[derive(Args)]
pub struct BuildArgs {
    /// Short name: 2 to 32 of a-z 0-9 and dashes (`acc-jq` builds `claude-agent-acc-jq`).
    name: String,
    /// The agent image to start from (default: claude-agent-base).
    #[arg(long)]
    base: Option<String>,
    /// Debian packages, optionally pinned (`jq`, `jq=1.6-2.1`).
    #[arg(long = "apt", num_args = 1.., value_name = "PACKAGE")]
    apt: Vec<String>,
    /// npm packages, installed globally (`typescript`, `@types/node@^20`).
    #[arg(long = "npm", num_args = 1.., value_name = "PACKAGE")]
    npm: Vec<String>,
    /// Python packages (`requests`, `requests==2.32.3`).
    #[arg(long = "pip", num_args = 1.., value_name = "PACKAGE")]
    pip: Vec<String>,
}

pub async fn run(command: ImageCommand) -> anyhow::Result<()> {
    let ImageCommand::Build(args) = command;
    let docker = docker::Docker::connect()?;
    docker.ping().await?;
    let available = docker.agent_images().await?;
    let request = ImageBuildRequest {
        name: args.name,
        base: args.base,
        apt_packages: args.apt,
        npm_packages: args.npm,
        pip_packages: args.pip,
    };
    let recipe = prepare_build(
        &request,
        &available,
        machine_extra_ca(Path::new(MACHINE_CA_DIR)),
    )
    .map_err(|error| match error.remediation() {
        Some(remediation) => anyhow::anyhow!("{error}\n  {remediation}"),
        None => anyhow::Error::new(error),
    })?;
    eprintln!("building {} from {}", recipe.tag, recipe.base);
    let mut bar = ProgressBar::new(std::io::stderr().is_terminal());
    let outcome = docker
        .build_agent_image(&recipe, |line| bar.line(line))
        .await;
    bar.finish();
    outcome?;
    println!("{}", recipe.tag);
    Ok(())
}

/// Width of the bar in characters.
const BAR_WIDTH: usize = 30;
/// How much of the current output line fits next to the bar.
const LINE_WIDTH: usize = 60;

/// A one-line progress bar on a terminal (steps done of steps in the Dockerfile, and the latest
/// output line); elsewhere, the builder's lines as they come.
struct ProgressBar {
    terminal: bool,
    step: usize,
    steps: usize,
}

impl ProgressBar {
    fn new(terminal: bool) -> Self {
        Self {
            terminal,
            step: 0,
            steps: 0,
        }
    }

    fn line(&mut self, line: &str) {
        if let Some((step, steps)) = parse_step(line) {
            (self.step, self.steps) = (step, steps);
        }
        let mut stderr = std::io::stderr().lock();
        if !self.terminal {
            let _ = writeln!(stderr, "{line}");
            return;
        }
        let filled = (BAR_WIDTH * self.step.saturating_sub(1))
            .checked_div(self.steps)
            .unwrap_or(0);
        let shown: String = line
            .chars()
            .filter(|c| !c.is_control())
            .take(LINE_WIDTH)
            .collect();
        let _ = write!(
            stderr,
            "\r\x1b[2K[{}{}] {}/{} {shown}",
            "#".repeat(filled),
            " ".repeat(BAR_WIDTH - filled),
            self.step,
            self.steps,
        );
        let _ = stderr.flush();
    }

    fn finish(&mut self) {
        if self.terminal {
            eprintln!();
        }
    }
}

/// `Step 3/7 : RUN …` → `(3, 7)`.
fn parse_step(line: &str) -> Option<(usize, usize)> {
    let rest = line.strip_prefix("Step ")?;
    let (fraction, _) = rest.split_once(' ').unwrap_or((rest, ""));
    let (step, steps) = fraction.split_once('/')?;
    Some((step.parse().ok()?, steps.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_lines_of_the_classic_builder_give_the_progress() {
        assert_eq!(parse_step("Step 3/7 : RUN apt-get update"), Some((3, 7)));
        assert_eq!(parse_step(" ---> Running in 1234"), None);
        assert_eq!(parse_step("Step x/7 :"), None);
    }
}
