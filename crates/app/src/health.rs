//! The health report of docker mode, as `agentyard health` prints it and as startup checks it:
//! the engine answers, the default image is present, the agent network exists or can be created,
//! the configured runtime exists. Each failed check says what to run to fix it.

use docker::{Docker, DockerError, build_command};
use domain::{AgentMode, Config, ImageRef, NetworkChoice};
use std::fmt;

/// What to do when Docker cannot be used at all.
const START_ENGINE: &str = "start the Docker Engine (on a fresh Debian machine, as root: \
     `bash scripts/setup-docker.sh`), or run agents without Docker: `AGENT_MODE=local agentyard serve`";

/// One line of the report.
#[derive(Clone, Debug)]
pub struct Check {
    pub ok: bool,
    /// What was checked and what was found.
    pub summary: String,
    /// The command or setting that fixes a failed check.
    pub remediation: Option<String>,
}

impl Check {
    fn pass(summary: impl Into<String>) -> Check {
        Check {
            ok: true,
            summary: summary.into(),
            remediation: None,
        }
    }

    fn fail(summary: impl Into<String>, remediation: impl Into<String>) -> Check {
        Check {
            ok: false,
            summary: summary.into(),
            remediation: Some(remediation.into()),
        }
    }
}

/// Every check, in the order they depend on each other.
#[derive(Clone, Debug)]
pub struct HealthReport {
    pub mode: AgentMode,
    pub checks: Vec<Check>,
}

impl HealthReport {
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|check| check.ok)
    }
}

impl fmt::Display for HealthReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Agentyard health ({} mode):", self.mode.as_str())?;
        for check in &self.checks {
            let mark = if check.ok { '✓' } else { '✗' };
            writeln!(f, "  {mark} {}", check.summary)?;
            if let Some(remediation) = &check.remediation {
                writeln!(f, "      fix: {remediation}")?;
            }
        }
        Ok(())
    }
}

/// Runs every check for `config`'s mode. Never fails: a failure is a ✗ line.
pub async fn check(config: &Config) -> HealthReport {
    let checks = match config.mode {
        AgentMode::Local => vec![local_agent(&config.agent_command)],
        AgentMode::Docker => docker_checks(config).await,
    };
    HealthReport {
        mode: config.mode,
        checks,
    }
}

fn local_agent(command: &str) -> Check {
    let found = if command.contains('/') {
        std::path::Path::new(command).is_file()
    } else {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(command).is_file()))
    };
    if found {
        Check::pass(format!("the agent CLI `{command}` is installed"))
    } else {
        Check::fail(
            format!("the agent CLI `{command}` is not found"),
            "install it (`bash scripts/install-claude.sh`, or npm i -g @anthropic-ai/claude-code), \
             or set AGENT_COMMAND to its path",
        )
    }
}

async fn docker_checks(config: &Config) -> Vec<Check> {
    let address = config
        .docker_host
        .clone()
        .unwrap_or_else(|| format!("unix://{}", docker::DOCKER_SOCKET));
    let connected = match &config.docker_host {
        Some(host) => Docker::connect_to(host),
        None => Docker::connect(),
    };
    let docker = match connected {
        Ok(docker) => docker,
        Err(error) => return unreachable(&address, &error),
    };
    if let Err(error) = docker.ping().await {
        return unreachable(&address, &error);
    }
    let mut checks = vec![Check::pass(format!(
        "the Docker Engine answers at {address}"
    ))];
    checks.push(match ImageRef::parse(&config.default_image) {
        Err(error) => Check::fail(
            format!(
                "AGENT_DEFAULT_IMAGE `{}` is not an image name: {error}",
                config.default_image
            ),
            "set AGENT_DEFAULT_IMAGE to an image name such as claude-agent-base",
        ),
        Ok(image) => match docker.image_exists(&image).await {
            Ok(true) => Check::pass(format!("the default agent image `{image}` is present")),
            Ok(false) => Check::fail(
                format!("the default agent image `{image}` is missing"),
                format!(
                    "build it: `{}` (or AGENT_MODE=local)",
                    build_command(&image)
                ),
            ),
            Err(error) => Check::fail(
                format!("the default agent image `{image}` could not be checked: {error}"),
                START_ENGINE,
            ),
        },
    });
    checks.push(match &config.network {
        NetworkChoice::Named(name) => match docker.network_exists(&config.network).await {
            Ok(true) => Check::pass(format!("the agent network `{name}` exists")),
            Ok(false) => Check::pass(format!(
                "the agent network `{name}` is missing and is created at start"
            )),
            Err(error) => Check::fail(
                format!("the agent network `{name}` could not be checked: {error}"),
                format!("create it: `docker network create {name}`, or set AGENT_NETWORK=host"),
            ),
        },
        other => Check::pass(format!("agents use the `{}` network", other.as_str())),
    });
    if let Some(runtime) = &config.runtime {
        checks.push(match docker.runtimes().await {
            Ok(available) if available.contains(runtime) => {
                Check::pass(format!("the container runtime `{runtime}` is registered"))
            }
            Ok(available) => Check::fail(
                format!(
                    "the container runtime `{runtime}` (AGENT_RUNTIME) is not registered in the engine (available: {})",
                    available.join(", ")
                ),
                "install the runtime and register it in /etc/docker/daemon.json, or unset AGENT_RUNTIME",
            ),
            Err(error) => Check::fail(
                format!("the container runtimes could not be listed: {error}"),
                START_ENGINE,
            ),
        });
    }
    checks
}

fn unreachable(address: &str, error: &DockerError) -> Vec<Check> {
    let detail = match error {
        DockerError::EngineUnavailable { detail } => detail.clone(),
        other => other.to_string(),
    };
    vec![
        Check::fail(
            format!("the Docker Engine does not answer at {address} ({detail})"),
            START_ENGINE,
        ),
        Check::fail(
            "the default agent image, the agent network and the runtime were not checked",
            "fix the Docker Engine first",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_marks_each_check_and_prints_the_fix_of_failed_ones() {
        let report = HealthReport {
            mode: AgentMode::Docker,
            checks: vec![
                Check::pass("the Docker Engine answers"),
                Check::fail("the default agent image `x` is missing", "build it"),
            ],
        };
        assert!(!report.ok());
        let text = report.to_string();
        assert!(text.contains("✓ the Docker Engine answers"), "{text}");
        assert!(
            text.contains("✗ the default agent image `x` is missing\n      fix: build it"),
            "{text}"
        );
    }

    #[test]
    fn a_missing_local_agent_cli_says_how_to_install_it() {
        let check = local_agent("/nonexistent/claude");
        assert!(!check.ok);
        assert!(check.remediation.unwrap().contains("AGENT_COMMAND"));
    }
}
