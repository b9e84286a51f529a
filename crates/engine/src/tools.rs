//! The platform's tools for agents: what a session's agent may ask of the platform through MCP,
//! and the hook through which the engine asks for the session's MCP endpoint.
//!
//! The MCP server itself (sockets, the protocol, result formatting) lives in the `mcp` crate, which
//! depends on the engine; the engine only knows the [`SessionEndpoints`] trait, so the dependency
//! points one way. A [`Tools`] value is bound to its caller's session: the socket a call came in on
//! is the caller's identity, so no tool takes a token or trusts a caller-supplied session id.

use crate::images::{AgentImage, ImageBuildRequest};
use crate::{Engine, EngineError, SendOptions, SessionInput};
use async_trait::async_trait;
use domain::{Project, ProjectId, RelPath, Session, SessionId, SessionMode};
use std::path::PathBuf;

/// The largest file `read_project_file` returns; larger files are refused rather than cut,
/// so an agent never mistakes a prefix for the whole file.
pub const MAX_READ_BYTES: u64 = 256 * 1024;

/// Where a session's agent reaches the platform's MCP server, as paths on this machine.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionEndpoint {
    /// The session's runtime directory: holds the socket and the bridge, and nothing else.
    pub dir: PathBuf,
    /// The unix socket the session's MCP server listens on, inside `dir`.
    pub socket: PathBuf,
    /// The `agentyard-bridge` executable the agent starts as its stdio MCP server, inside `dir`.
    pub bridge: PathBuf,
    /// The unix socket serving the model API with the platform's credentials, inside `dir`:
    /// the bridge forwards the agent's loopback port to it, so the agent never holds the real key.
    pub model_socket: Option<PathBuf>,
}

/// Serves each session's MCP endpoint; implemented by the `mcp` crate and set on the engine
/// with [`Engine::set_endpoints`].
#[async_trait]
pub trait SessionEndpoints: Send + Sync {
    /// Makes sure the session's endpoint is listening (idempotent) and says where it is.
    async fn open(
        &self,
        engine: &Engine,
        session: SessionId,
    ) -> Result<SessionEndpoint, EngineError>;

    /// Stops serving the session and removes its socket. Nothing happens when none is open.
    async fn close(&self, session: SessionId);
}

/// One session as `get_project_status` reports it.
#[derive(Clone, Debug)]
pub struct SessionSummary {
    pub session: Session,
    /// The latest of the session's last change and its last message.
    pub last_activity: chrono::DateTime<chrono::Utc>,
}

/// A project and its sessions, for `get_project_status`.
#[derive(Clone, Debug)]
pub struct ProjectStatus {
    pub project: Project,
    pub sessions: Vec<SessionSummary>,
}

/// A file read by `read_project_file`.
#[derive(Clone, Debug)]
pub struct ProjectFile {
    /// The path inside the project, as normalized.
    pub path: String,
    pub content: String,
}

/// What `delegate_task` needs.
#[derive(Clone, Debug)]
pub struct DelegateTask {
    pub project: ProjectId,
    /// The agent persona's name, matched without regard to case.
    pub agent_name: String,
    pub title: String,
    pub instruction: String,
    /// `explore`, `ask` or `execute`; the default mode when absent.
    pub mode: Option<String>,
}

/// The platform as seen by the agent of one session.
#[derive(Clone)]
pub struct Tools {
    engine: Engine,
    caller: SessionId,
}

impl Engine {
    /// The tools, bound to the session that calls them.
    pub fn tools(&self, caller: SessionId) -> Tools {
        Tools {
            engine: self.clone(),
            caller,
        }
    }

    /// Sets who serves sessions' MCP endpoints. Without it, agents run without the platform's tools.
    pub fn set_endpoints(&self, endpoints: std::sync::Arc<dyn SessionEndpoints>) {
        if self.inner.endpoints.set(endpoints).is_err() {
            tracing::warn!("the MCP endpoints were already set; keeping the first");
        }
    }

    /// The session's runtime directory on this machine: its MCP socket and the bridge live here,
    /// and it is the only directory of the platform a session's container sees at `/run/agentyard`.
    pub fn session_runtime_dir(&self, session: SessionId) -> PathBuf {
        self.session_state_dir(session).join("run")
    }

    /// Opens the session's MCP endpoint when endpoints are served at all.
    pub(crate) async fn open_endpoint(
        &self,
        session: SessionId,
    ) -> Result<Option<SessionEndpoint>, EngineError> {
        match self.inner.endpoints.get() {
            Some(endpoints) => Ok(Some(endpoints.open(self, session).await?)),
            None => Ok(None),
        }
    }

    /// Closes the session's MCP endpoint: its container or process is gone, or it has ended.
    pub(crate) async fn close_endpoint(&self, session: SessionId) {
        if let Some(endpoints) = self.inner.endpoints.get() {
            endpoints.close(session).await;
        }
    }
}

impl Tools {
    /// The session whose agent calls these tools.
    pub fn caller(&self) -> SessionId {
        self.caller
    }

    pub async fn list_projects(&self) -> Result<Vec<Project>, EngineError> {
        self.engine.projects().await
    }

    /// The project and each of its sessions: status, run state, branch and last activity.
    pub async fn project_status(&self, project: ProjectId) -> Result<ProjectStatus, EngineError> {
        let project = self.engine.project(project).await?;
        let mut sessions = Vec::new();
        for session in self.engine.sessions(Some(project.id)).await? {
            let last_message = self
                .engine
                .store()
                .messages(session.id)
                .await?
                .last()
                .map(|message| message.created_at);
            let last_activity =
                last_message.map_or(session.updated_at, |at| at.max(session.updated_at));
            sessions.push(SessionSummary {
                session,
                last_activity,
            });
        }
        Ok(ProjectStatus { project, sessions })
    }

    /// Reads a text file of a project's main checkout. `..`, absolute paths and symbolic links
    /// that lead out of the project are refused.
    pub async fn read_project_file(
        &self,
        project: ProjectId,
        path: &str,
    ) -> Result<ProjectFile, EngineError> {
        let project = self.engine.project(project).await?;
        let relative = RelPath::parse(path).map_err(|error| {
            EngineError::bad_request(
                "invalid_path",
                format!("{error}; name a file by its path inside the project, like `src/main.rs`"),
            )
        })?;
        let resolved = git::resolve_inside(&project.path, &relative)?;
        let metadata = tokio::fs::metadata(&resolved).await.map_err(|_| {
            EngineError::not_found("file", format!("`{relative}` in project {}", project.name))
        })?;
        if !metadata.is_file() {
            return Err(EngineError::bad_request(
                "not_a_file",
                format!("`{relative}` is not a file; name a file inside the project"),
            ));
        }
        if metadata.len() > MAX_READ_BYTES {
            return Err(EngineError::invalid(
                "file_too_large",
                format!(
                    "`{relative}` has {} bytes, more than the {MAX_READ_BYTES} bytes this tool returns",
                    metadata.len()
                ),
            ));
        }
        let bytes = tokio::fs::read(&resolved).await.map_err(|error| {
            EngineError::unexpected(format!("cannot read {}: {error}", resolved.display()))
        })?;
        let content = String::from_utf8(bytes).map_err(|_| {
            EngineError::invalid(
                "binary_file",
                format!("`{relative}` is not UTF-8 text; this tool reads text files only"),
            )
        })?;
        Ok(ProjectFile {
            path: relative.to_string(),
            content,
        })
    }

    /// Creates a session in the target project with the named agent and starts it with the instruction.
    pub async fn delegate_task(&self, task: DelegateTask) -> Result<Session, EngineError> {
        if task.instruction.trim().is_empty() {
            return Err(EngineError::invalid(
                "empty_message",
                "the instruction is empty; say what the new session should do",
            ));
        }
        let mode = task
            .mode
            .as_deref()
            .map(str::parse::<SessionMode>)
            .transpose()
            .map_err(|error| EngineError::invalid("invalid_mode", error.to_string()))?;
        self.engine.project(task.project).await?;
        let agents = self.engine.agents().await?;
        let wanted = task.agent_name.trim();
        let Some(agent) = agents
            .iter()
            .find(|agent| agent.name.eq_ignore_ascii_case(wanted))
        else {
            let names: Vec<&str> = agents.iter().map(|agent| agent.name.as_str()).collect();
            return Err(EngineError::not_found(
                "agent",
                format!("`{wanted}` (the agents are: {})", names.join(", ")),
            ));
        };
        let session = self
            .engine
            .create_session(SessionInput {
                project_id: task.project,
                agent_id: Some(agent.id),
                title: Some(task.title),
                mode,
                docker_image: None,
            })
            .await?;
        tracing::info!(caller = %self.caller, session = %session.id, "an agent delegated a task");
        self.engine
            .send_message(session.id, &task.instruction, SendOptions::default())
            .await?;
        self.engine.session(session.id).await
    }

    /// Sends a message to another session, as a user would; it runs now or after the turn in progress.
    /// Returns whether it was queued.
    pub async fn send_message(
        &self,
        session: SessionId,
        content: &str,
    ) -> Result<bool, EngineError> {
        if session == self.caller {
            return Err(EngineError::bad_request(
                "own_session",
                "a session cannot send a message to itself; name another session",
            ));
        }
        self.engine
            .send_message(session, content, SendOptions::default())
            .await
    }

    /// The agent images present in the engine.
    pub async fn list_agent_images(&self) -> Result<Vec<AgentImage>, EngineError> {
        self.engine.agent_images().await
    }

    /// Builds an agent image from validated package lists, with the same checks as the REST
    /// route; progress is broadcast as image events. Returns the tag at once.
    pub async fn create_agent_image(
        &self,
        request: ImageBuildRequest,
    ) -> Result<String, EngineError> {
        self.engine.build_agent_image(request).await
    }
}
