//! The JSON shapes of docs/api.md, converted from domain records at the edge.
//! Each shape also derives `TS`: `web/src/api/generated/` holds their TypeScript declarations,
//! and a test (`wire/typescript.rs`) fails when those files differ from what these types give.

use domain::{Agent, Message, Project, Session, SessionSetup};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;
use utoipa::ToSchema;

/// Deserializes a field that may be absent, null, or a value: absent is `None`,
/// null is `Some(None)`, a value is `Some(Some(value))`.
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "ApiError", export_to = "ApiError.ts")]
#[schema(as = ApiError)]
pub struct ErrorBody {
    pub error: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub remediation: Option<String>,
    /// The files a refusal concerns (`merge_conflict`, `checkout_dirty`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub files: Option<Vec<String>>,
}

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "Health", export_to = "Health.ts")]
#[schema(as = Health)]
pub struct HealthBody {
    pub ok: bool,
    /// The platform's version, as `agentyard --version` prints it.
    pub version: &'static str,
    #[ts(type = r#""docker" | "local""#)]
    pub mode: &'static str,
    pub docker: Option<DockerHealth>,
    pub model: ModelHealth,
}

/// Which model credentials the platform's proxy presents, and where it sends model calls.
#[derive(Serialize, TS, ToSchema)]
#[ts(export_to = "ModelHealth.ts")]
pub struct ModelHealth {
    #[ts(type = r#""api_key" | "auth_token" | "oauth_token" | "claude_login" | "none""#)]
    #[schema(value_type = String, example = "api_key")]
    pub credentials: &'static str,
    pub upstream: String,
    /// What is wrong and how to fix it, when no model call can succeed.
    pub problem: Option<String>,
}

#[derive(Serialize, TS, ToSchema)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "DockerHealth.ts")]
pub struct DockerHealth {
    pub socket_connected: bool,
    pub image_available: bool,
    pub image_name: String,
    pub network_exists: bool,
}

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "Project", export_to = "Project.ts")]
#[schema(as = Project)]
pub struct ProjectBody {
    pub id: String,
    pub name: String,
    pub description: String,
    pub path: String,
    pub agent_image: Option<String>,
    /// Shell text run once in each session's container, in its work path, before its first turn.
    pub setup_script: Option<String>,
    /// Glob patterns of ignored files copied from the main checkout into each new worktree.
    pub copy_files: Vec<String>,
    /// Shell text a preview runs in the session's container.
    pub dev_script: Option<String>,
    /// The port the dev server listens on; `null`: read from the script's output.
    pub dev_port: Option<u16>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Project> for ProjectBody {
    fn from(project: Project) -> Self {
        Self {
            id: project.id.to_string(),
            name: project.name,
            description: project.description,
            path: project.path.display().to_string(),
            agent_image: project.agent_image,
            setup_script: project.setup_script,
            copy_files: project
                .copy_files
                .iter()
                .map(|pattern| pattern.as_str().to_owned())
                .collect(),
            dev_script: project.dev_script,
            dev_port: project.dev_port,
            created_at: project.created_at.to_rfc3339(),
            updated_at: project.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields, export_to = "CreateProject.ts")]
pub struct CreateProject {
    pub name: String,
    pub path: Option<String>,
    pub description: Option<String>,
    pub agent_image: Option<String>,
    pub setup_script: Option<String>,
    pub copy_files: Option<Vec<String>>,
    pub dev_script: Option<String>,
    /// 1 to 65535.
    #[ts(as = "Option<u32>")]
    pub dev_port: Option<i64>,
}

#[derive(Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields, export_to = "UpdateProject.ts")]
pub struct UpdateProject {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub agent_image: Option<Option<String>>,
    /// `null` or blank removes the setup script.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub setup_script: Option<Option<String>>,
    pub copy_files: Option<Vec<String>>,
    /// `null` or blank clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub dev_script: Option<Option<String>>,
    /// 1 to 65535; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    #[ts(as = "Option<Option<u32>>")]
    pub dev_port: Option<Option<i64>>,
}

/// A session's setup: its setup script's state, exit code and output, and the files copied into
/// its worktree (docs/api.md "Sessions").
#[derive(Clone, Serialize, TS, ToSchema)]
#[ts(rename = "SessionSetup", export_to = "SessionSetup.ts")]
#[schema(as = SessionSetup)]
pub struct SessionSetupBody {
    pub session_id: String,
    #[ts(type = r#""pending" | "running" | "succeeded" | "failed" | "skipped""#)]
    pub state: String,
    pub exit_code: Option<i64>,
    /// The script's output (stdout and stderr), its last MiB: text the agent controls.
    pub output: String,
    /// Paths copied into the worktree, relative to the project.
    pub copied: Vec<String>,
    pub refused: Vec<CopyRefusalBody>,
    pub updated_at: String,
}

/// A file that was not copied into the worktree, and why.
#[derive(Clone, Serialize, TS, ToSchema)]
#[ts(rename = "CopyRefusal", export_to = "CopyRefusal.ts")]
#[schema(as = CopyRefusal)]
pub struct CopyRefusalBody {
    pub path: String,
    pub reason: String,
}

impl From<SessionSetup> for SessionSetupBody {
    fn from(setup: SessionSetup) -> Self {
        Self {
            session_id: setup.session_id.to_string(),
            state: setup.state.as_str().to_owned(),
            exit_code: setup.exit_code,
            output: setup.output,
            copied: setup.copy_report.copied,
            refused: setup
                .copy_report
                .refused
                .into_iter()
                .map(|refusal| CopyRefusalBody {
                    path: refusal.path,
                    reason: refusal.reason,
                })
                .collect(),
            updated_at: setup.updated_at.to_rfc3339(),
        }
    }
}

/// `POST /api/sessions/{id}/setup`: what to do about a failed setup.
#[derive(Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export_to = "SetupActionRequest.ts")]
pub struct SetupActionRequest {
    /// `retry`: run the setup script again before the next turn; `skip`: go on without it.
    #[ts(type = r#""retry" | "skip""#)]
    pub action: String,
}

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "Agent", export_to = "Agent.ts")]
#[schema(as = Agent)]
pub struct AgentBody {
    pub id: String,
    pub name: String,
    pub system_prompt: String,
    pub model: Option<String>,
    pub icon: Option<String>,
    pub is_default: bool,
    pub docker_image: Option<String>,
    #[ts(type = r#""project" | "all_projects""#)]
    pub tool_scope: &'static str,
    /// The agent CLI the persona runs.
    #[ts(type = r#""claude" | "codex""#)]
    pub cli: &'static str,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Agent> for AgentBody {
    fn from(agent: Agent) -> Self {
        Self {
            id: agent.id.to_string(),
            name: agent.name,
            system_prompt: agent.system_prompt,
            model: agent.model,
            icon: agent.icon,
            is_default: agent.is_default,
            docker_image: agent.docker_image,
            tool_scope: agent.tool_scope.as_str(),
            cli: agent.cli.as_str(),
            created_at: agent.created_at.to_rfc3339(),
            updated_at: agent.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields, export_to = "CreateAgent.ts")]
pub struct CreateAgent {
    pub name: String,
    pub system_prompt: Option<String>,
    pub model: Option<String>,
    pub icon: Option<String>,
    pub docker_image: Option<String>,
    #[ts(optional, type = r#""project" | "all_projects""#)]
    pub tool_scope: Option<String>,
    /// `claude` (the default) or `codex`.
    #[ts(optional, type = r#""claude" | "codex""#)]
    pub cli: Option<String>,
}

#[derive(Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields, export_to = "UpdateAgent.ts")]
pub struct UpdateAgent {
    pub name: Option<String>,
    pub system_prompt: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub model: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub icon: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub docker_image: Option<Option<String>>,
    #[ts(optional, type = r#""project" | "all_projects""#)]
    pub tool_scope: Option<String>,
    /// `claude` (the default) or `codex`.
    #[ts(optional, type = r#""claude" | "codex""#)]
    pub cli: Option<String>,
}

#[derive(Clone, Serialize, TS, ToSchema)]
#[ts(rename = "Session", export_to = "Session.ts")]
#[schema(as = Session)]
pub struct SessionBody {
    pub id: String,
    pub project_id: String,
    pub agent_id: String,
    pub title: String,
    #[ts(type = r#""backlog" | "in_progress" | "review" | "done""#)]
    pub status: &'static str,
    #[ts(type = r#""explore" | "ask" | "execute""#)]
    pub mode: &'static str,
    pub worktree_path: Option<String>,
    pub branch: Option<String>,
    /// The branch the session's worktree was cut from; its work merges back there.
    pub base_branch: Option<String>,
    /// Where the files git does not track (ignored files such as `.env`, nested repositories)
    /// were kept when the session's worktree was removed.
    pub kept_path: Option<String>,
    pub docker_image: Option<String>,
    pub image: Option<String>,
    pub cc_session_id: Option<String>,
    #[ts(type = r#""idle" | "starting" | "running" | "error""#)]
    pub run_state: &'static str,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Session> for SessionBody {
    fn from(session: Session) -> Self {
        Self {
            id: session.id.to_string(),
            project_id: session.project_id.to_string(),
            agent_id: session.agent_id.to_string(),
            title: session.title,
            status: session.status.as_str(),
            mode: session.mode.as_str(),
            worktree_path: session.worktree_path.map(|path| path.display().to_string()),
            branch: session.branch,
            base_branch: session.base_branch,
            kept_path: session.kept_path.map(|path| path.display().to_string()),
            docker_image: session.docker_image,
            image: session.image,
            cc_session_id: session.cc_session_id,
            run_state: session.run_state.as_str(),
            created_at: session.created_at.to_rfc3339(),
            updated_at: session.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields, export_to = "CreateSession.ts")]
pub struct CreateSession {
    pub project_id: String,
    pub agent_id: Option<String>,
    pub title: Option<String>,
    #[ts(type = r#""explore" | "ask" | "execute""#)]
    pub mode: Option<String>,
    pub docker_image: Option<String>,
}

#[derive(Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields, export_to = "UpdateSession.ts")]
pub struct UpdateSession {
    pub title: Option<String>,
    pub agent_id: Option<String>,
    #[ts(type = r#""explore" | "ask" | "execute""#)]
    pub mode: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub docker_image: Option<Option<String>>,
}

#[derive(Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(rename = "UpdateSessionStatus", export_to = "UpdateSessionStatus.ts")]
#[schema(as = UpdateSessionStatus)]
pub struct UpdateStatus {
    #[ts(type = r#""backlog" | "in_progress" | "review" | "done""#)]
    pub status: String,
}

#[derive(Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields, export_to = "SendMessage.ts")]
pub struct SendMessage {
    pub content: String,
    pub model: Option<String>,
    #[ts(type = r#""explore" | "ask" | "execute""#)]
    pub mode: Option<String>,
}

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "SendMessageAccepted", export_to = "SendMessageAccepted.ts")]
#[schema(as = SendMessageAccepted)]
pub struct Queued {
    pub queued: bool,
}

/// `GET /api/sessions/{id}/preview`: the session's dev server.
#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "Preview", export_to = "Preview.ts")]
#[schema(as = Preview)]
pub struct PreviewBody {
    pub running: bool,
    /// The port the dev server serves: the project's `dev_port`, else the first one its output names.
    pub port: Option<u16>,
    /// Where the app answers, on the preview origin (the host the request named, the preview
    /// listener's port): `http://<host>:<preview port>/preview/{id}/`.
    pub url: String,
    /// The end of the script's output (stdout and stderr), at most 64 KiB.
    pub log_tail: String,
}

impl PreviewBody {
    pub fn new(origin: &str, session: domain::SessionId, status: engine::PreviewStatus) -> Self {
        Self {
            running: status.running,
            port: status.port,
            url: format!("{origin}/preview/{session}/"),
            log_tail: status.log_tail,
        }
    }
}

/// `GET /api/sessions/{id}/usage`: what the session's agent used of the model, as the
/// platform's model proxy counted it, and its budget when one is set.
#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "SessionUsage", export_to = "SessionUsage.ts")]
#[schema(as = SessionUsage)]
pub struct SessionUsageBody {
    #[ts(type = "number")]
    pub input_tokens: i64,
    #[ts(type = "number")]
    pub output_tokens: i64,
    pub cost_usd: f64,
    pub budget_usd: Option<f64>,
}

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "ToolUse", export_to = "ToolUse.ts")]
#[schema(as = ToolUse)]
pub struct ToolUseBody {
    pub tool: String,
    #[ts(type = "unknown")]
    pub input: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub result: Option<String>,
}

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "Message", export_to = "Message.ts")]
#[schema(as = Message)]
pub struct MessageBody {
    pub id: String,
    pub session_id: String,
    #[ts(type = r#""user" | "assistant""#)]
    pub role: &'static str,
    pub content: String,
    pub tool_use: Option<Vec<ToolUseBody>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cost_usd: Option<f64>,
    pub interrupted: bool,
    pub created_at: String,
}

impl From<Message> for MessageBody {
    fn from(message: Message) -> Self {
        let tool_use = (!message.tool_use.is_empty()).then(|| {
            message
                .tool_use
                .into_iter()
                .map(|tool| ToolUseBody {
                    tool: tool.tool,
                    input: serde_json::from_str(&tool.input).unwrap_or(Value::String(tool.input)),
                    result: tool.result,
                })
                .collect()
        });
        Self {
            id: message.id.to_string(),
            session_id: message.session_id.to_string(),
            role: message.role.as_str(),
            content: message.content,
            tool_use,
            cost_usd: message.cost_usd,
            interrupted: message.interrupted,
            created_at: message.created_at.to_rfc3339(),
        }
    }
}

/// A WebSocket envelope from the server (docs/api.md "WebSocket"). Fields that may be null are sent
/// as `null` rather than left out, as clients of the original system expect.
#[derive(Clone, Serialize, TS, ToSchema)]
#[serde(tag = "type")]
#[ts(export_to = "ServerEvent.ts")]
pub enum ServerEvent {
    #[serde(rename = "chat:streaming", rename_all = "camelCase")]
    Streaming {
        session_ids: Vec<String>,
        /// Present (true) when the client fell behind and must reload what it shows.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        resync: Option<bool>,
    },
    #[serde(rename = "chat:queued", rename_all = "camelCase")]
    Queued { session_id: String },
    #[serde(rename = "chat:chunk", rename_all = "camelCase")]
    Chunk { session_id: String, content: String },
    #[serde(rename = "chat:tool_use", rename_all = "camelCase")]
    ToolUse {
        session_id: String,
        tool: String,
        #[ts(type = "unknown")]
        input: Value,
    },
    #[serde(rename = "chat:tool_result", rename_all = "camelCase")]
    ToolResult {
        session_id: String,
        tool: String,
        result: String,
    },
    /// An ask-mode permission request (the CLI's `can_use_tool`), answered by `chat:permission`.
    #[serde(rename = "chat:permission", rename_all = "camelCase")]
    Permission {
        session_id: String,
        request_id: String,
        tool: String,
        #[ts(type = "unknown")]
        input: Value,
    },
    #[serde(rename = "chat:done", rename_all = "camelCase")]
    Done {
        session_id: String,
        message_id: String,
        cost: Option<f64>,
        interrupted: bool,
    },
    /// `session_id` is null only for a message the server could not read at all.
    #[serde(rename = "chat:error", rename_all = "camelCase")]
    Error {
        session_id: Option<String>,
        error: String,
        code: Option<String>,
        remediation: Option<String>,
    },
    #[serde(rename = "session:updated")]
    SessionUpdated { session: Box<SessionBody> },
    /// Output of a session's setup script, as it arrives.
    #[serde(rename = "setup:output", rename_all = "camelCase")]
    SetupOutput { session_id: String, content: String },
    /// A session's setup changed (files copied, script started, ended, retried or skipped).
    #[serde(rename = "setup:state", rename_all = "camelCase")]
    SetupState {
        session_id: String,
        setup: Box<SessionSetupBody>,
    },
    #[serde(rename = "image:progress")]
    ImageProgress { tag: String, line: String },
    #[serde(rename = "image:done")]
    ImageDone { tag: String },
    #[serde(rename = "image:error")]
    ImageError { tag: String, error: String },
}

/// A WebSocket envelope from a client (docs/api.md "WebSocket").
#[derive(Deserialize, TS, ToSchema)]
#[serde(tag = "type")]
#[ts(export_to = "ClientEvent.ts")]
pub enum ClientEvent {
    #[serde(rename = "chat:send", rename_all = "camelCase")]
    Send {
        session_id: String,
        content: String,
        #[ts(optional)]
        model: Option<String>,
        #[ts(optional, type = r#""explore" | "ask" | "execute""#)]
        mode: Option<String>,
    },
    #[serde(rename = "chat:stop", rename_all = "camelCase")]
    Stop { session_id: String },
    /// Answers a `chat:permission` request of the server.
    #[serde(rename = "chat:permission", rename_all = "camelCase")]
    Permission {
        session_id: String,
        request_id: String,
        allow: bool,
    },
}

#[cfg(test)]
mod typescript;
