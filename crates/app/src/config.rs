//! Configuration from the environment and `agentyard serve` flags (a flag wins over its variable).
//! Every value is checked here, and a bad one stops startup naming the variable and what it accepts.

use clap::Args;
use domain::{
    AgentMode, Config, ConfigError, CpuLimit, DockerAccess, MemoryLimit, NetworkChoice, UserSpec,
    Webhook, WebhookUrl,
};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The variables of docs/api.md's configuration table, each also a flag.
#[derive(Args, Clone, Debug, Default)]
pub struct ConfigArgs {
    /// `docker` runs each session in a container; `local` runs agents as child processes.
    #[arg(long, env = "AGENT_MODE")]
    pub agent_mode: Option<String>,
    /// Image when neither the session, the agent nor the project names one.
    #[arg(long, env = "AGENT_DEFAULT_IMAGE")]
    pub agent_default_image: Option<String>,
    /// Memory per container: bytes or k/m/g.
    #[arg(long, env = "AGENT_MEMORY_LIMIT")]
    pub agent_memory_limit: Option<String>,
    /// CPUs per container.
    #[arg(long, env = "AGENT_CPU_LIMIT")]
    pub agent_cpu_limit: Option<String>,
    /// Processes per container.
    #[arg(long, env = "AGENT_PIDS_LIMIT")]
    pub agent_pids_limit: Option<String>,
    /// `socket` mounts the Docker socket into agent containers.
    #[arg(long, env = "AGENT_DOCKER_ACCESS")]
    pub agent_docker_access: Option<String>,
    /// An OCI runtime such as `sysbox-runc`.
    #[arg(long, env = "AGENT_RUNTIME")]
    pub agent_runtime: Option<String>,
    /// Network agents join: a name (created when missing), `host` or `none`.
    #[arg(long, env = "AGENT_NETWORK")]
    pub agent_network: Option<String>,
    /// uid:gid for agents when the project's owner is root.
    #[arg(long, env = "AGENT_USER")]
    pub agent_user: Option<String>,
    /// Seconds before an idle session's container is removed.
    #[arg(long, env = "AGENT_IDLE_TIMEOUT")]
    pub agent_idle_timeout: Option<String>,
    /// The agent CLI: a path in local mode, a name inside the image in docker mode.
    #[arg(long, env = "AGENT_COMMAND")]
    pub agent_command: Option<String>,
    /// The Codex CLI, for agents whose `cli` is `codex`: a path in local mode, a name inside the
    /// image in docker mode.
    #[arg(long, env = "AGENT_CODEX_COMMAND")]
    pub agent_codex_command: Option<String>,
    /// Model spend in USD after which a session's model calls are refused.
    #[arg(long, env = "AGENT_SESSION_BUDGET_USD")]
    pub agent_session_budget_usd: Option<String>,
    /// Turns running at once, across sessions; further turns queue and start in order.
    #[arg(long, env = "AGENT_MAX_RUNNING")]
    pub agent_max_running: Option<String>,
    /// The OpenAI key the model proxy presents for Codex sessions; never given to an agent.
    #[arg(long, env = "OPENAI_API_KEY", hide_env_values = true)]
    pub openai_api_key: Option<String>,
    /// The OpenAI API the model proxy forwards Codex sessions to (default https://api.openai.com/v1).
    #[arg(long, env = "OPENAI_BASE_URL")]
    pub openai_base_url: Option<String>,
    /// Extra environment variable names copied into agent environments (comma-separated).
    #[arg(long, env = "AGENT_ENV_PASSTHROUGH")]
    pub agent_env_passthrough: Option<String>,
    /// Root of project directories.
    #[arg(long, env = "PROJECTS_ROOT")]
    pub projects_root: Option<String>,
    /// Database and per-session state.
    #[arg(long, env = "AGENTYARD_DATA_DIR")]
    pub data_dir: Option<String>,
    /// Listen address.
    #[arg(long, env = "AGENTYARD_BIND")]
    pub bind: Option<String>,
    /// Listen address of previews, an origin apart from the platform's (default: AGENTYARD_BIND's
    /// port + 1).
    #[arg(long, env = "AGENTYARD_PREVIEW_BIND")]
    pub preview_bind: Option<String>,
    /// API token (generated and saved in the data dir when unset).
    #[arg(long, env = "AGENTYARD_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Host path of PROJECTS_ROOT when the platform runs in a container.
    #[arg(long, env = "HOST_PROJECTS_DIR")]
    pub host_projects_dir: Option<String>,
    /// Host path of the data dir when the platform runs in a container.
    #[arg(long, env = "HOST_DATA_DIR")]
    pub host_data_dir: Option<String>,
    /// The Docker Engine's address: unix:///path, tcp://host:port (default: the local socket).
    #[arg(long, env = "DOCKER_HOST")]
    pub docker_host: Option<String>,
    /// An http(s) URL that gets a JSON POST when a turn ends, fails or waits for a permission answer.
    #[arg(long, env = "AGENTYARD_WEBHOOK_URL", hide_env_values = true)]
    pub webhook_url: Option<String>,
}

/// A value that stops startup: which variable, what it was, what is accepted.
#[derive(Debug, thiserror::Error)]
#[error(
    "{variable}={value} is not valid: {expected}. Set {variable} (or --{flag}) to an accepted value."
)]
pub struct InvalidSetting {
    pub variable: &'static str,
    pub flag: String,
    pub value: String,
    pub expected: String,
}

fn parse<T>(variable: &'static str, text: Option<&str>, default: &str) -> Result<T, InvalidSetting>
where
    T: FromStr<Err = ConfigError>,
{
    let text = text
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .unwrap_or(default);
    text.parse().map_err(|error: ConfigError| InvalidSetting {
        variable,
        flag: variable.to_ascii_lowercase().replace('_', "-"),
        value: text.to_owned(),
        expected: error.expected.to_owned(),
    })
}

fn invalid(variable: &'static str, value: &str, expected: &str) -> InvalidSetting {
    InvalidSetting {
        variable,
        flag: variable.to_ascii_lowercase().replace('_', "-"),
        value: value.to_owned(),
        expected: expected.to_owned(),
    }
}

fn non_empty(text: &Option<String>) -> Option<&str> {
    text.as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"))
}

fn absolute(variable: &'static str, text: &str) -> Result<PathBuf, InvalidSetting> {
    let path = match text.strip_prefix("~/") {
        Some(rest) => home().join(rest),
        None => PathBuf::from(text),
    };
    if path.is_absolute() {
        Ok(path)
    } else {
        std::env::current_dir()
            .map(|dir| dir.join(path))
            .map_err(|_| invalid(variable, text, "an absolute path"))
    }
}

impl ConfigArgs {
    pub fn into_config(self) -> Result<Config, InvalidSetting> {
        let default_image = non_empty(&self.agent_default_image)
            .unwrap_or(domain::DEFAULT_IMAGE)
            .to_owned();
        domain::ImageRef::parse(&default_image)
            .map_err(|error| invalid("AGENT_DEFAULT_IMAGE", &default_image, error.1))?;
        let pids_limit = match non_empty(&self.agent_pids_limit)
            .unwrap_or("512")
            .parse::<i64>()
        {
            Ok(pids) if pids >= 16 => pids,
            _ => {
                return Err(invalid(
                    "AGENT_PIDS_LIMIT",
                    non_empty(&self.agent_pids_limit).unwrap_or_default(),
                    "a whole number of processes, at least 16",
                ));
            }
        };
        let idle_timeout = match non_empty(&self.agent_idle_timeout)
            .unwrap_or("300")
            .parse::<u64>()
        {
            Ok(seconds) if seconds >= 1 => Duration::from_secs(seconds),
            _ => {
                return Err(invalid(
                    "AGENT_IDLE_TIMEOUT",
                    non_empty(&self.agent_idle_timeout).unwrap_or_default(),
                    "a whole number of seconds, at least 1",
                ));
            }
        };
        let default_max_running = domain::DEFAULT_MAX_RUNNING.to_string();
        let max_running = match non_empty(&self.agent_max_running)
            .unwrap_or(&default_max_running)
            .parse::<usize>()
        {
            // The semaphore's bound is far above this; more than a thousand agents is a typo.
            Ok(turns) if (1..=1024).contains(&turns) => turns,
            _ => {
                return Err(invalid(
                    "AGENT_MAX_RUNNING",
                    non_empty(&self.agent_max_running).unwrap_or_default(),
                    "a whole number of turns from 1 to 1024",
                ));
            }
        };
        let session_budget_usd = match non_empty(&self.agent_session_budget_usd) {
            None => None,
            Some(text) => match text.parse::<f64>() {
                Ok(budget) if budget.is_finite() && budget > 0.0 => Some(budget),
                _ => {
                    return Err(invalid(
                        "AGENT_SESSION_BUDGET_USD",
                        text,
                        "a positive amount in USD such as 5 or 0.50",
                    ));
                }
            },
        };
        let env_passthrough = non_empty(&self.agent_env_passthrough)
            .unwrap_or_default()
            .split([',', ' '])
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(|name| {
                let valid = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !name.starts_with(|c: char| c.is_ascii_digit());
                if valid {
                    Ok(name.to_owned())
                } else {
                    Err(invalid(
                        "AGENT_ENV_PASSTHROUGH",
                        name,
                        "comma-separated variable names (letters, digits, _)",
                    ))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let runtime = match non_empty(&self.agent_runtime) {
            None => None,
            Some(name)
                if name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) =>
            {
                Some(name.to_owned())
            }
            Some(name) => {
                return Err(invalid(
                    "AGENT_RUNTIME",
                    name,
                    "a runtime name such as sysbox-runc",
                ));
            }
        };
        let agent_command = non_empty(&self.agent_command)
            .unwrap_or("claude")
            .to_owned();
        let codex_command = non_empty(&self.agent_codex_command)
            .unwrap_or("codex")
            .to_owned();
        let bind_text = non_empty(&self.bind).unwrap_or("127.0.0.1:3001");
        let bind: SocketAddr = bind_text.parse().map_err(|_| {
            invalid(
                "AGENTYARD_BIND",
                bind_text,
                "an address and port such as 127.0.0.1:3001",
            )
        })?;
        let preview_bind = match non_empty(&self.preview_bind) {
            Some(text) => text.parse().map_err(|_| {
                invalid(
                    "AGENTYARD_PREVIEW_BIND",
                    text,
                    "an address and port such as 127.0.0.1:3002",
                )
            })?,
            // Port 0 (any free port) stays 0.
            None if bind.port() == 0 => bind,
            None => match bind.port().checked_add(1) {
                Some(port) => SocketAddr::new(bind.ip(), port),
                None => {
                    return Err(invalid(
                        "AGENTYARD_PREVIEW_BIND",
                        "(unset)",
                        "an address and port of its own when AGENTYARD_BIND's port is 65535",
                    ));
                }
            },
        };
        if preview_bind == bind && bind.port() != 0 {
            return Err(invalid(
                "AGENTYARD_PREVIEW_BIND",
                &preview_bind.to_string(),
                "another port than AGENTYARD_BIND's: previews are served on an origin of their own",
            ));
        }
        let token = non_empty(&self.token).map(str::to_owned);
        let unusable = |token: &String| {
            token.len() < 16
                || token
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == ';')
        };
        if token.as_ref().is_some_and(unusable) {
            return Err(invalid(
                "AGENTYARD_TOKEN",
                "(hidden)",
                "at least 16 characters, no spaces or `;`",
            ));
        }
        let projects_root = absolute(
            "PROJECTS_ROOT",
            non_empty(&self.projects_root).unwrap_or("~/projects"),
        )?;
        let data_dir = absolute(
            "AGENTYARD_DATA_DIR",
            non_empty(&self.data_dir).unwrap_or("~/.local/share/agentyard"),
        )?;
        let host_projects_dir = non_empty(&self.host_projects_dir)
            .map(|text| absolute("HOST_PROJECTS_DIR", text))
            .transpose()?;
        let host_data_dir = non_empty(&self.host_data_dir)
            .map(|text| absolute("HOST_DATA_DIR", text))
            .transpose()?;
        let webhook = non_empty(&self.webhook_url)
            .map(|text| {
                let url = parse::<WebhookUrl>("AGENTYARD_WEBHOOK_URL", Some(text), "")?;
                // The full grammar too, so the delivery task never meets a URL it cannot use.
                reqwest::Url::parse(url.as_str()).map_err(|error| {
                    invalid(
                        "AGENTYARD_WEBHOOK_URL",
                        text,
                        &format!("an http:// or https:// URL ({error})"),
                    )
                })?;
                Ok(Webhook::new(url))
            })
            .transpose()?;
        Ok(Config {
            mode: parse::<AgentMode>("AGENT_MODE", non_empty(&self.agent_mode), "docker")?,
            default_image,
            memory_limit: parse::<MemoryLimit>(
                "AGENT_MEMORY_LIMIT",
                non_empty(&self.agent_memory_limit),
                "4g",
            )?,
            cpu_limit: parse::<CpuLimit>("AGENT_CPU_LIMIT", non_empty(&self.agent_cpu_limit), "2")?,
            pids_limit,
            docker_access: parse::<DockerAccess>(
                "AGENT_DOCKER_ACCESS",
                non_empty(&self.agent_docker_access),
                "none",
            )?,
            runtime,
            network: parse::<NetworkChoice>(
                "AGENT_NETWORK",
                non_empty(&self.agent_network),
                "agentyard-net",
            )?,
            user: parse::<UserSpec>("AGENT_USER", non_empty(&self.agent_user), "1000:1000")?,
            idle_timeout,
            agent_command,
            codex_command,
            session_budget_usd,
            max_running,
            projects_root,
            data_dir,
            bind,
            preview_bind,
            token,
            agent_env: engine::agent_environment(&env_passthrough, |name| std::env::var(name).ok()),
            env_passthrough,
            host_projects_dir,
            host_data_dir,
            docker_host: non_empty(&self.docker_host).map(str::to_owned),
            claude_credentials: Some(home().join(".claude/.credentials.json")),
            webhook,
            openai_api_key: non_empty(&self.openai_api_key).map(str::to_owned),
            openai_base_url: non_empty(&self.openai_base_url).map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_configuration_table() {
        let config = ConfigArgs::default().into_config().unwrap();
        assert_eq!(config.mode, AgentMode::Docker);
        assert_eq!(config.default_image, "claude-agent-base");
        assert_eq!(config.memory_limit.bytes(), 4 << 30);
        assert_eq!(config.cpu_limit.nano_cpus(), 2_000_000_000);
        assert_eq!(config.pids_limit, 512);
        assert_eq!(config.network, NetworkChoice::Named("agentyard-net".into()));
        assert_eq!(config.user.to_string(), "1000:1000");
        assert_eq!(config.idle_timeout, Duration::from_secs(300));
        assert_eq!(config.max_running, 8);
        assert_eq!(config.bind.to_string(), "127.0.0.1:3001");
        assert_eq!(config.preview_bind.to_string(), "127.0.0.1:3002");
        assert!(config.projects_root.ends_with("projects"));
    }

    #[test]
    fn previews_listen_next_to_the_platform_unless_told_otherwise() {
        let args = ConfigArgs {
            bind: Some("0.0.0.0:8080".into()),
            ..Default::default()
        };
        assert_eq!(
            args.into_config().unwrap().preview_bind.to_string(),
            "0.0.0.0:8081"
        );
        let args = ConfigArgs {
            bind: Some("127.0.0.1:0".into()),
            ..Default::default()
        };
        assert_eq!(args.into_config().unwrap().preview_bind.port(), 0);
        let args = ConfigArgs {
            preview_bind: Some("127.0.0.1:4000".into()),
            ..Default::default()
        };
        assert_eq!(
            args.into_config().unwrap().preview_bind.to_string(),
            "127.0.0.1:4000"
        );
        for (bind, preview) in [
            ("127.0.0.1:65535", None),
            ("127.0.0.1:3001", Some("127.0.0.1:3001")),
            ("127.0.0.1:3001", Some("anywhere")),
        ] {
            let args = ConfigArgs {
                bind: Some(bind.into()),
                preview_bind: preview.map(str::to_owned),
                ..Default::default()
            };
            let message = args.into_config().unwrap_err().to_string();
            assert!(
                message.starts_with("AGENTYARD_PREVIEW_BIND"),
                "{bind} {preview:?}: {message}"
            );
        }
    }

    #[test]
    fn max_running_must_be_a_positive_number_of_turns() {
        for text in ["0", "many", "-2", "5000"] {
            let args = ConfigArgs {
                agent_max_running: Some(text.into()),
                ..Default::default()
            };
            let message = args.into_config().unwrap_err().to_string();
            assert!(message.contains("AGENT_MAX_RUNNING"), "{message}");
        }
        let args = ConfigArgs {
            agent_max_running: Some("2".into()),
            ..Default::default()
        };
        assert_eq!(args.into_config().unwrap().max_running, 2);
    }

    #[test]
    fn a_bad_memory_limit_names_the_variable_and_what_is_accepted() {
        let args = ConfigArgs {
            agent_memory_limit: Some("lots".into()),
            ..Default::default()
        };
        let message = args.into_config().unwrap_err().to_string();
        assert!(message.contains("AGENT_MEMORY_LIMIT=lots"), "{message}");
        assert!(message.contains("4g"), "{message}");
    }

    #[test]
    fn an_unknown_agent_mode_names_the_accepted_modes() {
        let args = ConfigArgs {
            agent_mode: Some("cloud".into()),
            ..Default::default()
        };
        let message = args.into_config().unwrap_err().to_string();
        assert!(
            message.contains("AGENT_MODE=cloud") && message.contains("`docker` or `local`"),
            "{message}"
        );
    }

    #[test]
    fn every_numeric_setting_refuses_words() {
        let cases: Vec<(&str, ConfigArgs)> = vec![
            (
                "AGENT_CPU_LIMIT",
                ConfigArgs {
                    agent_cpu_limit: Some("many".into()),
                    ..Default::default()
                },
            ),
            (
                "AGENT_PIDS_LIMIT",
                ConfigArgs {
                    agent_pids_limit: Some("lots".into()),
                    ..Default::default()
                },
            ),
            (
                "AGENT_IDLE_TIMEOUT",
                ConfigArgs {
                    agent_idle_timeout: Some("soon".into()),
                    ..Default::default()
                },
            ),
            (
                "AGENT_SESSION_BUDGET_USD",
                ConfigArgs {
                    agent_session_budget_usd: Some("-1".into()),
                    ..Default::default()
                },
            ),
            (
                "AGENTYARD_BIND",
                ConfigArgs {
                    bind: Some("everywhere".into()),
                    ..Default::default()
                },
            ),
            (
                "AGENT_USER",
                ConfigArgs {
                    agent_user: Some("root".into()),
                    ..Default::default()
                },
            ),
            (
                "AGENT_NETWORK",
                ConfigArgs {
                    agent_network: Some("a b".into()),
                    ..Default::default()
                },
            ),
            (
                "AGENT_DOCKER_ACCESS",
                ConfigArgs {
                    agent_docker_access: Some("tcp".into()),
                    ..Default::default()
                },
            ),
        ];
        for (variable, args) in cases {
            let message = args.into_config().unwrap_err().to_string();
            assert!(message.starts_with(variable), "{variable}: {message}");
        }
    }

    #[test]
    fn a_webhook_url_must_be_http_or_https() {
        for text in ["hooks.example.com", "ftp://example.com/x", "https://a@b/"] {
            let args = ConfigArgs {
                webhook_url: Some(text.into()),
                ..Default::default()
            };
            let message = args.into_config().unwrap_err().to_string();
            assert!(
                message.starts_with("AGENTYARD_WEBHOOK_URL=") && message.contains("https://"),
                "{message}"
            );
        }
        assert!(
            ConfigArgs::default()
                .into_config()
                .unwrap()
                .webhook
                .is_none()
        );
        let args = ConfigArgs {
            webhook_url: Some("https://hooks.example.com/agentyard".into()),
            ..Default::default()
        };
        let webhook = args.into_config().unwrap().webhook.unwrap();
        assert_eq!(webhook.url.as_str(), "https://hooks.example.com/agentyard");
        assert_eq!(webhook.retry_delays.len(), 5);
    }

    #[test]
    fn passthrough_names_are_split_and_checked() {
        let args = ConfigArgs {
            agent_env_passthrough: Some("FOO, BAR_2".into()),
            ..Default::default()
        };
        assert_eq!(
            args.into_config().unwrap().env_passthrough,
            vec!["FOO", "BAR_2"]
        );
        let args = ConfigArgs {
            agent_env_passthrough: Some("FOO;rm".into()),
            ..Default::default()
        };
        assert!(args.into_config().is_err());
    }
}
