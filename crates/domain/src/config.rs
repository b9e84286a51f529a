//! Configuration values, each parsed from the text of an environment variable or flag.
//! The `app` crate reads the environment; this module only knows what a valid value is.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// A configuration value that is not acceptable, with what would be.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{value}` is not accepted: {expected}")]
pub struct ConfigError {
    pub value: String,
    pub expected: &'static str,
}

fn refuse<T>(value: &str, expected: &'static str) -> Result<T, ConfigError> {
    Err(ConfigError {
        value: value.to_owned(),
        expected,
    })
}

/// Where agents run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentMode {
    Docker,
    Local,
}

impl AgentMode {
    pub fn as_str(&self) -> &'static str {
        match self {
            AgentMode::Docker => "docker",
            AgentMode::Local => "local",
        }
    }
}

impl FromStr for AgentMode {
    type Err = ConfigError;
    fn from_str(text: &str) -> Result<Self, ConfigError> {
        match text {
            "docker" => Ok(AgentMode::Docker),
            "local" => Ok(AgentMode::Local),
            _ => refuse(text, "`docker` or `local`"),
        }
    }
}

/// A memory limit in bytes, written as bytes or with a k/m/g suffix (powers of 1024).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryLimit(u64);

impl MemoryLimit {
    pub fn bytes(&self) -> u64 {
        self.0
    }
}

impl FromStr for MemoryLimit {
    type Err = ConfigError;
    fn from_str(text: &str) -> Result<Self, ConfigError> {
        const EXPECTED: &str =
            "a size in bytes, or a number with k, m or g (for example 4g or 512m), at least 6m";
        let lower = text.trim().to_ascii_lowercase();
        let (digits, unit) = match lower.find(|c: char| !c.is_ascii_digit()) {
            Some(at) => lower.split_at(at),
            None => (lower.as_str(), ""),
        };
        let multiplier: u64 = match unit.trim_end_matches('b') {
            "" => 1,
            "k" => 1 << 10,
            "m" => 1 << 20,
            "g" => 1 << 30,
            _ => return refuse(text, EXPECTED),
        };
        let bytes = digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(multiplier))
            .filter(|bytes| *bytes >= 6 << 20);
        match bytes {
            Some(bytes) => Ok(MemoryLimit(bytes)),
            None => refuse(text, EXPECTED),
        }
    }
}

/// A CPU limit in (possibly fractional) CPUs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CpuLimit(f64);

impl CpuLimit {
    /// The limit as Docker's `NanoCpus`.
    pub fn nano_cpus(&self) -> i64 {
        (self.0 * 1e9).round() as i64
    }
}

impl FromStr for CpuLimit {
    type Err = ConfigError;
    fn from_str(text: &str) -> Result<Self, ConfigError> {
        match text.trim().parse::<f64>() {
            Ok(cpus) if (0.01..=1024.0).contains(&cpus) => Ok(CpuLimit(cpus)),
            _ => refuse(text, "a number of CPUs such as 2 or 0.5"),
        }
    }
}

/// Whether agents may reach the Docker Engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DockerAccess {
    #[default]
    None,
    /// The Docker socket is mounted into agent containers.
    Socket,
}

impl FromStr for DockerAccess {
    type Err = ConfigError;
    fn from_str(text: &str) -> Result<Self, ConfigError> {
        match text {
            "" | "none" => Ok(DockerAccess::None),
            "socket" => Ok(DockerAccess::Socket),
            _ => refuse(text, "`socket`, or nothing"),
        }
    }
}

/// The network agent containers join.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkChoice {
    /// A user-defined bridge network, created when missing.
    Named(String),
    Host,
    None,
}

impl NetworkChoice {
    pub fn as_str(&self) -> &str {
        match self {
            NetworkChoice::Named(name) => name,
            NetworkChoice::Host => "host",
            NetworkChoice::None => "none",
        }
    }
}

impl FromStr for NetworkChoice {
    type Err = ConfigError;
    fn from_str(text: &str) -> Result<Self, ConfigError> {
        let valid_name = !text.is_empty()
            && text.len() <= 64
            && text.starts_with(|c: char| c.is_ascii_alphanumeric())
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        match text {
            "host" => Ok(NetworkChoice::Host),
            "none" => Ok(NetworkChoice::None),
            _ if valid_name => Ok(NetworkChoice::Named(text.to_owned())),
            _ => refuse(
                text,
                "`host`, `none`, or a network name of letters, digits, `_`, `.` and `-`",
            ),
        }
    }
}

/// A numeric `uid:gid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserSpec {
    pub uid: u32,
    pub gid: u32,
}

impl fmt::Display for UserSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.uid, self.gid)
    }
}

impl FromStr for UserSpec {
    type Err = ConfigError;
    fn from_str(text: &str) -> Result<Self, ConfigError> {
        const EXPECTED: &str = "numeric `uid:gid` other than root, for example 1000:1000";
        let Some((uid, gid)) = text.split_once(':') else {
            return refuse(text, EXPECTED);
        };
        match (uid.parse(), gid.parse()) {
            (Ok(uid), Ok(gid)) if uid != 0 => Ok(UserSpec { uid, gid }),
            _ => refuse(text, EXPECTED),
        }
    }
}

/// Where the webhook posts (`AGENTYARD_WEBHOOK_URL`): an `http` or `https` URL with a host, an
/// optional port and path, and no user name or password (a secret belongs in the path or query,
/// which is never logged).
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The scheme, host and port: what may appear in a log line.
    pub fn origin(&self) -> &str {
        let after_scheme = self.0.find("://").map_or(0, |index| index + 3);
        let end = self.0[after_scheme..]
            .find(['/', '?', '#'])
            .map_or(self.0.len(), |index| after_scheme + index);
        &self.0[..end]
    }
}

/// Shows only the origin, so a token in the path never reaches a log through `Config`'s `Debug`.
impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({}/…)", self.origin())
    }
}

impl FromStr for WebhookUrl {
    type Err = ConfigError;
    fn from_str(text: &str) -> Result<Self, ConfigError> {
        const EXPECTED: &str =
            "an http:// or https:// URL with a host, such as https://hooks.example.com/agentyard";
        let lower = text.to_ascii_lowercase();
        let Some(rest) = ["http://", "https://"]
            .iter()
            .find_map(|scheme| lower.strip_prefix(scheme).map(|_| &text[scheme.len()..]))
        else {
            return refuse(text, EXPECTED);
        };
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        // `[v6 address]:port` or `name:port`, the port optional.
        let (host, port) = match authority.strip_prefix('[') {
            Some(bracketed) => match bracketed.split_once(']') {
                Some((address, "")) => (address, None),
                Some((address, port)) => (address, Some(port.strip_prefix(':').unwrap_or(port))),
                None => return refuse(text, EXPECTED),
            },
            None => match authority.split_once(':') {
                Some((name, port)) => (name, Some(port)),
                None => (authority, None),
            },
        };
        let host_valid = !host.is_empty()
            && host.len() <= 253
            && host.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || c == '-'
                    || c == '.'
                    || (c == ':' && authority.starts_with('['))
            });
        let port_valid = port.is_none_or(|port| port.parse::<u16>().is_ok_and(|port| port > 0));
        let printable = text.len() <= 2048 && text.chars().all(|c| c.is_ascii_graphic());
        if host_valid && port_valid && printable {
            Ok(WebhookUrl(text.to_owned()))
        } else {
            refuse(text, EXPECTED)
        }
    }
}

/// The webhook's delivery: where, and how patiently. Only the URL is configurable; the waits
/// are the platform's, shortened by tests.
#[derive(Clone, Debug)]
pub struct Webhook {
    pub url: WebhookUrl,
    /// How long one POST may take before it counts as failed.
    pub timeout: Duration,
    /// The waits before each retry of a delivery that failed with a network error, a 5xx or 429.
    pub retry_delays: Vec<Duration>,
}

impl Webhook {
    /// Each POST gets 10 s; a failed one is retried 5 times, after 1, 2, 4, 8 and 16 s.
    pub fn new(url: WebhookUrl) -> Self {
        Self {
            url,
            timeout: Duration::from_secs(10),
            retry_delays: [1, 2, 4, 8, 16].map(Duration::from_secs).to_vec(),
        }
    }
}

/// `AGENT_MAX_RUNNING` when unset: each running agent holds a few hundred MB and a CPU while it
/// works, so 8 keeps a 4-core, 8 GB machine responsive; raise it on a bigger machine.
pub const DEFAULT_MAX_RUNNING: usize = 8;

/// Everything the platform is configured with, after parsing.
#[derive(Clone, Debug)]
pub struct Config {
    pub mode: AgentMode,
    pub default_image: String,
    pub memory_limit: MemoryLimit,
    pub cpu_limit: CpuLimit,
    pub pids_limit: i64,
    pub docker_access: DockerAccess,
    /// An OCI runtime other than the engine's default, such as `sysbox-runc`.
    pub runtime: Option<String>,
    pub network: NetworkChoice,
    /// Who agents run as when the project directory is owned by root.
    pub user: UserSpec,
    pub idle_timeout: Duration,
    /// The agent CLI: a path in local mode, a name inside the image in docker mode.
    pub agent_command: String,
    /// The Codex CLI (`AGENT_CODEX_COMMAND`), for agents whose `cli` is `codex`.
    pub codex_command: String,
    pub session_budget_usd: Option<f64>,
    /// Turns running at once, across sessions (`AGENT_MAX_RUNNING`); further turns queue.
    pub max_running: usize,
    /// Extra environment variable names copied into agent environments.
    pub env_passthrough: Vec<String>,
    pub projects_root: PathBuf,
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    /// Where previews are served (`AGENTYARD_PREVIEW_BIND`): an origin of their own, so a page an
    /// agent wrote never runs on the platform's origin.
    pub preview_bind: SocketAddr,
    /// The API token when configured; otherwise one is generated and saved in the data dir.
    pub token: Option<String>,
    pub host_projects_dir: Option<PathBuf>,
    pub host_data_dir: Option<PathBuf>,
    /// The Docker Engine's address (`DOCKER_HOST`); `None` is the local socket.
    pub docker_host: Option<String>,
    /// The platform user's Claude Code login (`~/.claude/.credentials.json`): read by the model
    /// proxy when the platform has no key or token; never copied into a session or mounted.
    pub claude_credentials: Option<PathBuf>,
    /// The variables agents receive, already filtered through the allowlist when the platform
    /// started (model credentials and endpoint, git identity, `AGENT_ENV_PASSTHROUGH` names).
    pub agent_env: Vec<(String, String)>,
    /// Where turn notifications are posted (`AGENTYARD_WEBHOOK_URL`), when anywhere.
    pub webhook: Option<Webhook>,
    /// The OpenAI key the model proxy presents for Codex sessions (`OPENAI_API_KEY`); kept by the
    /// platform, never in an agent's environment.
    pub openai_api_key: Option<String>,
    /// The OpenAI upstream for Codex sessions (`OPENAI_BASE_URL`); `None` is OpenAI's public API.
    pub openai_base_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_are_http_or_https_with_a_host() {
        for text in [
            "https://hooks.example.com/agentyard?token=abc",
            "http://127.0.0.1:8080/hook",
            "HTTPS://example.com",
            "http://[::1]:9000/x",
        ] {
            assert!(text.parse::<WebhookUrl>().is_ok(), "{text}");
        }
        for text in [
            "example.com/hook",
            "ftp://example.com/",
            "https://",
            "https:///path",
            "https://user:pass@example.com/",
            "https://example.com:99999/",
            "https://example.com:0/",
            "https://exa mple.com/",
            "http://[::1/x",
            "file:///etc/passwd",
        ] {
            assert!(text.parse::<WebhookUrl>().is_err(), "{text}");
        }
    }

    #[test]
    fn a_webhook_url_shows_only_its_origin_when_debugged() {
        let url: WebhookUrl = "https://hooks.example.com:8443/services/SECRET?key=SECRET"
            .parse()
            .unwrap();
        assert_eq!(url.origin(), "https://hooks.example.com:8443");
        let shown = format!("{url:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }

    #[test]
    fn memory_limits_accept_bytes_and_suffixes() {
        assert_eq!("4g".parse::<MemoryLimit>().unwrap().bytes(), 4 << 30);
        assert_eq!("512m".parse::<MemoryLimit>().unwrap().bytes(), 512 << 20);
        assert_eq!("512MB".parse::<MemoryLimit>().unwrap().bytes(), 512 << 20);
        assert_eq!(
            "104857600".parse::<MemoryLimit>().unwrap().bytes(),
            104_857_600
        );
    }

    #[test]
    fn memory_limits_refuse_words_and_tiny_values() {
        for text in ["lots", "", "4x", "-1g", "1k", "99999999999999999999g"] {
            assert!(text.parse::<MemoryLimit>().is_err(), "{text:?}");
        }
    }

    #[test]
    fn cpu_limits_become_nano_cpus() {
        assert_eq!(
            "1.5".parse::<CpuLimit>().unwrap().nano_cpus(),
            1_500_000_000
        );
        assert!("zero".parse::<CpuLimit>().is_err());
        assert!("0".parse::<CpuLimit>().is_err());
    }

    #[test]
    fn unknown_agent_modes_are_refused_with_the_accepted_values() {
        let error = "cloud".parse::<AgentMode>().unwrap_err();
        assert!(error.to_string().contains("`docker` or `local`"));
    }

    #[test]
    fn networks_accept_host_none_and_names() {
        assert_eq!(
            "host".parse::<NetworkChoice>().unwrap(),
            NetworkChoice::Host
        );
        assert_eq!(
            "none".parse::<NetworkChoice>().unwrap(),
            NetworkChoice::None
        );
        assert!("--net=x".parse::<NetworkChoice>().is_err());
    }

    #[test]
    fn root_is_not_an_agent_user() {
        assert!("0:0".parse::<UserSpec>().is_err());
        assert_eq!(
            "1000:1000".parse::<UserSpec>().unwrap().to_string(),
            "1000:1000"
        );
    }
}
