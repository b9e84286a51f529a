//! How a turn reaches the model through the platform's proxy: the agent runs under
//! `agentyard-bridge model-proxy`, which forwards a loopback port to the session's model socket,
//! and the agent's environment holds a placeholder key instead of the platform's credentials.
//!
//! The HTTP side (allowlist, forwarding, accounting, budget) is the `mcp` crate's; the engine
//! rewrites the command line and the environment, the same way in local and docker mode, knows
//! which credentials the platform has ([`ModelAccess`]), refuses a turn that could never reach the
//! model, and tells the session when the upstream fails ([`Engine::report_model_failure`]).

use crate::{Engine, EngineError, EngineEvent, SessionEndpoint};
use domain::{AgentMode, SessionId};
use std::path::{Path, PathBuf};

pub use crate::credentials::read_login_token;

/// The key an agent is given: it is worthless anywhere but its own session's proxy, which drops it.
pub const PLACEHOLDER_API_KEY: &str = "agentyard-placeholder-key";
/// Stands for the model proxy's loopback URL (`http://127.0.0.1:PORT`) in an agent's arguments:
/// `agentyard-bridge model-proxy` puts the URL in its place, since only the bridge knows the port.
/// Codex takes its provider's base URL on the command line ([`codex_model_base_url`]).
pub const MODEL_PROXY_URL: &str = "{agentyard-model-proxy-url}";

/// The base URL a codex agent's provider calls: the model proxy's Responses API, behind the bridge.
pub fn codex_model_base_url() -> String {
    format!("{MODEL_PROXY_URL}/v1")
}
/// The upstream when the platform sets no `ANTHROPIC_BASE_URL`: Anthropic's public API.
pub const PUBLIC_UPSTREAM: &str = "https://api.anthropic.com";
/// The OpenAI upstream (Codex sessions) when the platform sets no `OPENAI_BASE_URL`.
pub const OPENAI_PUBLIC_UPSTREAM: &str = "https://api.openai.com/v1";

/// The platform's model credentials and upstream: kept by the platform, never given to an agent.
pub const PLATFORM_ONLY_VARIABLES: [&str; 4] = [
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
];

/// Which model credential the platform presents upstream, first match wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialKind {
    /// `ANTHROPIC_API_KEY`, sent as `x-api-key`.
    ApiKey,
    /// `ANTHROPIC_AUTH_TOKEN` (a gateway's token), sent as a bearer token.
    AuthToken,
    /// `CLAUDE_CODE_OAUTH_TOKEN` (`claude setup-token`), sent as a bearer token.
    OauthToken,
    /// The platform user's own `~/.claude/.credentials.json`, whose access token the proxy reads at each call.
    ClaudeLogin,
    /// Nothing: only a gateway that needs no key can answer.
    None,
}

impl CredentialKind {
    /// The name `GET /api/health` and the log use.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::ApiKey => "api_key",
            CredentialKind::AuthToken => "auth_token",
            CredentialKind::OauthToken => "oauth_token",
            CredentialKind::ClaudeLogin => "claude_login",
            CredentialKind::None => "none",
        }
    }
}

/// What the platform has to reach the model: read once from its configuration.
#[derive(Clone, Debug)]
pub struct ModelAccess {
    pub credentials: CredentialKind,
    /// The secret of `ApiKey`, `AuthToken` and `OauthToken`; a login is read at each call instead.
    pub secret: Option<String>,
    /// The login file the proxy reads for `ClaudeLogin`.
    pub login: Option<PathBuf>,
    /// `ANTHROPIC_BASE_URL` without its trailing slash, or the public API.
    pub upstream: String,
    /// The platform's `OPENAI_API_KEY`, presented as a bearer token on Codex sessions' calls.
    pub openai_key: Option<String>,
    /// `OPENAI_BASE_URL` without its trailing slash (it includes `/v1`), or OpenAI's public API.
    pub openai_upstream: String,
}

impl ModelAccess {
    /// From the platform's own model variables (the agent environment of its config, before the
    /// proxy strips them) and the user's Claude login file when it holds a token.
    pub fn new(env: &[(String, String)], login: Option<&Path>) -> ModelAccess {
        let get = |name: &str| {
            env.iter()
                .find(|(key, value)| key == name && !value.is_empty())
                .map(|(_, value)| value.clone())
        };
        let upstream = get("ANTHROPIC_BASE_URL")
            .unwrap_or_else(|| PUBLIC_UPSTREAM.to_owned())
            .trim_end_matches('/')
            .to_owned();
        let login = login
            .filter(|path| read_login_token(path).is_ok())
            .map(Path::to_path_buf);
        let (credentials, secret) = if let Some(key) = get("ANTHROPIC_API_KEY") {
            (CredentialKind::ApiKey, Some(key))
        } else if let Some(token) = get("ANTHROPIC_AUTH_TOKEN") {
            (CredentialKind::AuthToken, Some(token))
        } else if let Some(token) = get("CLAUDE_CODE_OAUTH_TOKEN") {
            (CredentialKind::OauthToken, Some(token))
        } else if login.is_some() {
            (CredentialKind::ClaudeLogin, None)
        } else {
            (CredentialKind::None, None)
        };
        ModelAccess {
            credentials,
            secret,
            login: login.filter(|_| credentials == CredentialKind::ClaudeLogin),
            upstream,
            openai_key: None,
            openai_upstream: OPENAI_PUBLIC_UPSTREAM.to_owned(),
        }
    }

    /// With the platform's OpenAI key and upstream (Codex sessions), from its configuration.
    pub fn with_openai(mut self, key: Option<&str>, base_url: Option<&str>) -> ModelAccess {
        self.openai_key = key.filter(|key| !key.is_empty()).map(str::to_owned);
        self.openai_upstream = base_url
            .filter(|url| !url.is_empty())
            .unwrap_or(OPENAI_PUBLIC_UPSTREAM)
            .trim_end_matches('/')
            .to_owned();
        self
    }

    /// Why no OpenAI call can succeed: no key against OpenAI's public API.
    pub fn openai_missing(&self) -> Option<EngineError> {
        (self.openai_key.is_none() && self.openai_upstream == OPENAI_PUBLIC_UPSTREAM).then(|| {
            EngineError::Invalid {
                code: "model_credentials_missing",
                message: format!(
                    "the platform has no OpenAI key, so codex agents cannot reach the model API at {}",
                    self.openai_upstream
                ),
                remediation: Some(
                    "set OPENAI_API_KEY in the platform's environment (or OPENAI_BASE_URL to a gateway that needs no key), then restart the platform"
                        .to_owned(),
                ),
            }
        })
    }

    /// Whether the upstream is Anthropic's public API, which answers nothing without a credential.
    pub fn is_public_upstream(&self) -> bool {
        self.upstream == PUBLIC_UPSTREAM
    }

    /// Why no model call can succeed, with the fix, when that is known before any call.
    pub fn missing(&self) -> Option<EngineError> {
        (self.credentials == CredentialKind::None && self.is_public_upstream()).then(|| {
            EngineError::Invalid {
                code: "model_credentials_missing",
                message: format!(
                    "the platform has no model credentials, so agents cannot reach the model API at {}",
                    self.upstream
                ),
                remediation: Some(
                    "set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN, or CLAUDE_CODE_OAUTH_TOKEN from `claude setup-token`) in the platform's environment, or log in with `claude` as the user the platform runs as, then restart the platform; a gateway that needs no key is set with ANTHROPIC_BASE_URL"
                        .to_owned(),
                ),
            }
        })
    }
}

/// How a model call failed upstream, as the proxy saw it.
#[derive(Clone, Debug)]
pub struct ModelFailure {
    pub upstream: String,
    /// The upstream's HTTP status; `None` when it could not be reached at all.
    pub status: Option<u16>,
    /// The upstream's own message, or the connection error.
    pub detail: String,
}

/// An agent's command line and environment.
pub(crate) struct AgentCommandLine {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

impl Engine {
    /// Which credentials and upstream the platform's model proxy uses.
    pub fn model_access(&self) -> ModelAccess {
        let config = self.config();
        ModelAccess::new(&config.agent_env, config.claude_credentials.as_deref()).with_openai(
            config.openai_api_key.as_deref(),
            config.openai_base_url.as_deref(),
        )
    }

    /// Checks, before a turn starts, that its agent can reach the model through the proxy: a
    /// docker-mode agent without the bridge could only run with the real key in its container,
    /// and with no credentials at all the public API answers nothing.
    pub(crate) fn model_ready(
        &self,
        endpoint: Option<&SessionEndpoint>,
        cli: domain::AgentCli,
    ) -> Result<(), EngineError> {
        if self.runtime().mode() == AgentMode::Docker
            && endpoint.is_none_or(|endpoint| endpoint.model_socket.is_none())
        {
            return Err(EngineError::Invalid {
                code: "bridge_missing",
                message: "agentyard-bridge was not found next to the agentyard binary, so a docker-mode agent could reach neither the model proxy nor the platform's MCP tools; the turn was not started (running it with the platform's key in the container is never done)".to_owned(),
                remediation: Some(
                    "build it with `cargo build --release --bin agentyard-bridge` and put it beside `agentyard` (or set AGENTYARD_BRIDGE to its path), then restart the platform"
                        .to_owned(),
                ),
            });
        }
        let access = self.model_access();
        let missing = match cli {
            domain::AgentCli::Claude => access.missing(),
            domain::AgentCli::Codex => access.openai_missing(),
        };
        match missing {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Tells the session that the model upstream failed, while its agent CLI retries: a
    /// `chat:error` with the code `model_upstream` naming the upstream and its status, then the
    /// session itself, which still runs, so the user can stop the turn.
    pub async fn report_model_failure(&self, session: SessionId, failure: ModelFailure) {
        let (error, remediation) = match failure.status {
            None => (
                format!(
                    "the model API at {} cannot be reached: {}; the agent retries",
                    failure.upstream, failure.detail
                ),
                "check the platform's network and ANTHROPIC_BASE_URL, or stop the turn",
            ),
            Some(status @ (401 | 403)) => (
                format!(
                    "the model API at {} refused the platform's credentials ({status}): {}",
                    failure.upstream, failure.detail
                ),
                "check ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN / CLAUDE_CODE_OAUTH_TOKEN (or log in again with `claude` on the host), restart the platform, and stop the turn",
            ),
            Some(429) => (
                format!(
                    "the model API at {} is rate limiting the platform (429): {}; the agent retries",
                    failure.upstream, failure.detail
                ),
                "wait, or stop the turn",
            ),
            Some(status) => (
                format!(
                    "the model API at {} failed ({status}): {}; the agent retries",
                    failure.upstream, failure.detail
                ),
                "wait, or stop the turn",
            ),
        };
        tracing::warn!(%session, "{error}");
        self.emit(EngineEvent::Error {
            session,
            error,
            code: Some("model_upstream".to_owned()),
            remediation: Some(remediation.to_owned()),
        });
        // A client takes `chat:error` as the end of the turn; the session as it is says it still runs.
        if let Ok(current) = self.session(session).await {
            self.emit(EngineEvent::SessionUpdated(Box::new(current)));
        }
    }

    /// Puts the agent behind the session's model proxy when the endpoint serves one; otherwise
    /// returns the command line unchanged (local mode without the bridge only: docker mode refuses
    /// the turn in [`Engine::model_ready`]).
    pub(crate) fn behind_model_proxy(
        &self,
        endpoint: Option<&SessionEndpoint>,
        command: AgentCommandLine,
    ) -> AgentCommandLine {
        let Some((endpoint, model_socket)) =
            endpoint.and_then(|endpoint| Some((endpoint, endpoint.model_socket.as_ref()?)))
        else {
            return command;
        };
        let mut args = vec![
            "model-proxy".to_owned(),
            self.seen_by_agent(model_socket).display().to_string(),
            "--".to_owned(),
            command.program,
        ];
        args.extend(command.args);
        // Whatever the platform holds (a key, a token, the user's login, or nothing for a gateway
        // that needs none), the proxy presents it; the agent only ever gets the placeholder.
        let mut env: Vec<_> = command
            .env
            .into_iter()
            .filter(|(name, _)| !PLATFORM_ONLY_VARIABLES.contains(&name.as_str()))
            .collect();
        env.push((
            "ANTHROPIC_API_KEY".to_owned(),
            PLACEHOLDER_API_KEY.to_owned(),
        ));
        // Codex reads its provider's key from OPENAI_API_KEY: the placeholder too.
        env.push(("OPENAI_API_KEY".to_owned(), PLACEHOLDER_API_KEY.to_owned()));
        AgentCommandLine {
            program: self.seen_by_agent(&endpoint.bridge).display().to_string(),
            args,
            env,
        }
    }

    /// A path of the session's runtime directory as the agent sees it.
    pub(crate) fn seen_by_agent(&self, path: &Path) -> std::path::PathBuf {
        match self.runtime().mode() {
            domain::AgentMode::Local => path.to_path_buf(),
            domain::AgentMode::Docker => Path::new(crate::runtime::CONTAINER_RUNTIME_DIR)
                .join(path.file_name().unwrap_or_default()),
        }
    }

    /// What the session has used of the model: tokens and cost counted by the proxy, cost reported by the agent.
    pub async fn session_usage(
        &self,
        session: domain::SessionId,
    ) -> Result<store::SessionUsage, crate::EngineError> {
        self.session(session).await?;
        Ok(self.store().session_usage(session).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    fn login_file(dir: &Path) -> PathBuf {
        let path = dir.join(".credentials.json");
        std::fs::write(&path, r#"{"claudeAiOauth":{"accessToken":"oat"}}"#).unwrap();
        path
    }

    #[test]
    fn a_key_wins_over_tokens_and_the_login() {
        let dir = tempfile::tempdir().unwrap();
        let login = login_file(dir.path());
        let access = ModelAccess::new(
            &env(&[
                ("ANTHROPIC_AUTH_TOKEN", "t"),
                ("ANTHROPIC_API_KEY", "k"),
                ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/"),
            ]),
            Some(&login),
        );
        assert_eq!(access.credentials, CredentialKind::ApiKey);
        assert_eq!(access.secret.as_deref(), Some("k"));
        assert_eq!(access.login, None, "the login is not used with a key");
        assert_eq!(access.upstream, "http://127.0.0.1:9");
        assert!(access.missing().is_none());
    }

    #[test]
    fn the_login_is_used_only_without_a_key_or_token() {
        let dir = tempfile::tempdir().unwrap();
        let login = login_file(dir.path());
        let access = ModelAccess::new(&[], Some(&login));
        assert_eq!(access.credentials, CredentialKind::ClaudeLogin);
        assert_eq!(access.login.as_deref(), Some(login.as_path()));
        assert!(access.is_public_upstream());
        let oauth = ModelAccess::new(&env(&[("CLAUDE_CODE_OAUTH_TOKEN", "o")]), Some(&login));
        assert_eq!(oauth.credentials, CredentialKind::OauthToken);
    }

    #[test]
    fn nothing_at_all_against_the_public_api_names_the_variable_to_set() {
        let dir = tempfile::tempdir().unwrap();
        let access = ModelAccess::new(&[], Some(&dir.path().join("absent.json")));
        assert_eq!(access.credentials.as_str(), "none");
        let error = access.missing().expect("refused");
        assert_eq!(error.code(), "model_credentials_missing");
        assert!(
            error.remediation().unwrap().contains("ANTHROPIC_API_KEY"),
            "{error:?}"
        );
    }

    #[test]
    fn a_gateway_may_need_no_key() {
        let access = ModelAccess::new(
            &env(&[("ANTHROPIC_BASE_URL", "http://127.0.0.1:4000")]),
            None,
        );
        assert_eq!(access.credentials, CredentialKind::None);
        assert!(access.missing().is_none());
    }
}
