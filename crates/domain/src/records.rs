//! The records Agentyard keeps, as the store returns them.

use crate::{AgentId, MessageId, ProjectId, RunState, SessionId, SessionMode, SessionStatus};
use chrono::{DateTime, Utc};
use std::path::PathBuf;

/// A git repository under `PROJECTS_ROOT` that sessions work in.
#[derive(Clone, Debug, PartialEq)]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    pub description: String,
    /// Canonical absolute path, inside `PROJECTS_ROOT`.
    pub path: PathBuf,
    /// Image for this project's sessions when neither the request nor the agent names one.
    pub agent_image: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What creating a project needs once its path has been resolved and prepared.
#[derive(Clone, Debug)]
pub struct NewProject {
    pub name: String,
    pub description: String,
    pub path: PathBuf,
    pub agent_image: Option<String>,
}

/// An agent persona: a system prompt, a model and an image.
#[derive(Clone, Debug, PartialEq)]
pub struct Agent {
    pub id: AgentId,
    pub name: String,
    pub system_prompt: String,
    pub model: Option<String>,
    pub icon: Option<String>,
    pub is_default: bool,
    pub docker_image: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewAgent {
    pub name: String,
    pub system_prompt: String,
    pub model: Option<String>,
    pub icon: Option<String>,
    pub docker_image: Option<String>,
}

/// One conversation of one agent in one project.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub id: SessionId,
    pub project_id: ProjectId,
    pub agent_id: AgentId,
    pub title: String,
    pub status: SessionStatus,
    pub mode: SessionMode,
    /// Set when the session works in its own worktree rather than the main checkout.
    pub worktree_path: Option<PathBuf>,
    pub branch: Option<String>,
    /// The branch the main checkout had when the worktree was cut (`None` without a worktree).
    pub base_branch: Option<String>,
    /// The commit the session branch started from; commits beyond it are the session's work.
    pub base_commit: Option<String>,
    /// Where the files git does not track (ignored files, nested repositories) went when the
    /// session's worktree was removed.
    pub kept_path: Option<PathBuf>,
    /// The image explicitly requested for this session.
    pub docker_image: Option<String>,
    /// The image the last spawn actually used.
    pub image: Option<String>,
    /// Claude Code's own session id, for `--resume`.
    pub cc_session_id: Option<String>,
    pub run_state: RunState,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewSession {
    pub project_id: ProjectId,
    pub agent_id: AgentId,
    pub title: String,
    pub mode: SessionMode,
    pub docker_image: Option<String>,
}

/// A tool the agent called during a turn, with its result once known.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolUse {
    pub id: String,
    pub tool: String,
    /// The tool's input as JSON text.
    pub input: String,
    pub result: Option<String>,
}

/// A stored chat message: the user's, or the agent's reply to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub id: MessageId,
    pub session_id: SessionId,
    pub role: Role,
    pub content: String,
    pub tool_use: Vec<ToolUse>,
    pub cost_usd: Option<f64>,
    pub interrupted: bool,
    pub created_at: DateTime<Utc>,
}

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}
