//! How a turn reaches the model through the platform's proxy: the agent runs under
//! `agentyard-bridge model-proxy`, which forwards a loopback port to the session's model socket,
//! and the agent's environment holds a placeholder key instead of the platform's credentials.
//!
//! The HTTP side (forwarding, credentials, accounting, budget) is the `mcp` crate's; the engine only
//! rewrites the command line and the environment, the same way in local and docker mode.

use crate::{Engine, SessionEndpoint};
use std::path::Path;

/// The key an agent is given: it is worthless anywhere but its own session's proxy, which drops it.
pub const PLACEHOLDER_API_KEY: &str = "agentyard-placeholder-key";

/// The platform's model credentials and upstream: kept by the platform, never given to an agent.
pub const PLATFORM_ONLY_VARIABLES: [&str; 4] = [
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
];

/// An agent's command line and environment.
pub(crate) struct AgentCommandLine {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

impl Engine {
    /// Puts the agent behind the session's model proxy when the endpoint serves one; otherwise
    /// returns the command line unchanged (the agent then talks to the model API itself).
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
        let (kept, platform_only): (Vec<_>, Vec<_>) = command
            .env
            .into_iter()
            .partition(|(name, _)| !PLATFORM_ONLY_VARIABLES.contains(&name.as_str()));
        let mut env = kept;
        // Without a key or token of the platform's, the agent keeps using its own login (a copied
        // credentials file), which the proxy then passes on; a placeholder would override it.
        if platform_only
            .iter()
            .any(|(name, _)| name != "ANTHROPIC_BASE_URL")
        {
            env.push((
                "ANTHROPIC_API_KEY".to_owned(),
                PLACEHOLDER_API_KEY.to_owned(),
            ));
        }
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

    /// What the session has used of the model: tokens counted by the proxy, cost reported by the agent.
    pub async fn session_usage(
        &self,
        session: domain::SessionId,
    ) -> Result<store::SessionUsage, crate::EngineError> {
        self.session(session).await?;
        Ok(self.store().session_usage(session).await?)
    }
}
