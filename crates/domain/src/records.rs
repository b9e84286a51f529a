//! The records Agentyard keeps, as the store returns them.

use crate::{
    AgentCli, AgentId, CopyPattern, MessageId, ParseEnumError, ProjectId, RunState, SessionId,
    SessionMode, SessionStatus,
};
use chrono::{DateTime, Utc};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

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
    /// Shell text run once in each session's container, in its work path, before its first turn.
    pub setup_script: Option<String>,
    /// Ignored files of the main checkout copied into each new worktree.
    pub copy_files: Vec<CopyPattern>,
    /// Shell text a preview runs in a session's container (its dev server), in the work path.
    pub dev_script: Option<String>,
    /// The port the dev server listens on; `None`: read from the script's output.
    pub dev_port: Option<u16>,
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
    pub setup_script: Option<String>,
    pub copy_files: Vec<CopyPattern>,
    pub dev_script: Option<String>,
    pub dev_port: Option<u16>,
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
    /// Which projects the agent's MCP tools reach.
    pub tool_scope: ToolScope,
    /// The agent CLI the persona runs.
    pub cli: AgentCli,
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
    pub tool_scope: ToolScope,
    pub cli: AgentCli,
}

/// Which projects an agent's MCP tools act on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ToolScope {
    /// Only the project of the calling session (the default).
    #[default]
    Project,
    /// Every project of the platform.
    AllProjects,
}

impl ToolScope {
    pub const ALL: &'static [ToolScope] = &[ToolScope::Project, ToolScope::AllProjects];

    pub fn as_str(&self) -> &'static str {
        match self {
            ToolScope::Project => "project",
            ToolScope::AllProjects => "all_projects",
        }
    }
}

impl fmt::Display for ToolScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ToolScope {
    type Err = ParseEnumError;

    fn from_str(text: &str) -> Result<Self, ParseEnumError> {
        ToolScope::ALL
            .iter()
            .copied()
            .find(|scope| scope.as_str() == text)
            .ok_or_else(|| ParseEnumError {
                what: "tool scope",
                value: text.to_owned(),
                expected: "project all_projects",
            })
    }
}

/// Who created a session through `delegate_task`, and how deep in a chain of delegations it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delegation {
    /// The session whose agent delegated; `None` once that session was deleted.
    pub creator: Option<SessionId>,
    /// 1 for a session delegated by a session a user created, one more for each further step.
    pub depth: u32,
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
    /// Set when another session's agent created this one with `delegate_task`.
    pub delegation: Option<Delegation>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_scope_round_trips_through_text() {
        for scope in ToolScope::ALL {
            assert_eq!(scope.as_str().parse::<ToolScope>().unwrap(), *scope);
        }
    }

    #[test]
    fn an_unknown_tool_scope_names_the_accepted_values() {
        let error = "everything".parse::<ToolScope>().unwrap_err().to_string();
        assert!(error.contains("project all_projects"), "{error}");
    }

    #[test]
    fn agents_reach_only_their_sessions_project_by_default() {
        assert_eq!(ToolScope::default(), ToolScope::Project);
    }
}
