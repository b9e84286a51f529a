//! The JSON shapes of API.md, converted from domain records at the edge.

use domain::{Agent, Message, Project, Session};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Deserializes a field that may be absent, null, or a value: absent is `None`,
/// null is `Some(None)`, a value is `Some(Some(value))`.
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Serialize)]
pub struct ErrorBody {
    pub error: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
}

#[derive(Serialize)]
pub struct HealthBody {
    pub ok: bool,
    pub mode: &'static str,
    pub docker: Option<DockerHealth>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DockerHealth {
    pub socket_connected: bool,
    pub image_available: bool,
    pub image_name: String,
    pub network_exists: bool,
}

#[derive(Serialize)]
pub struct ProjectBody {
    pub id: String,
    pub name: String,
    pub description: String,
    pub path: String,
    pub agent_image: Option<String>,
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
            created_at: project.created_at.to_rfc3339(),
            updated_at: project.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    pub name: String,
    pub path: Option<String>,
    pub description: Option<String>,
    pub agent_image: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub agent_image: Option<Option<String>>,
}

#[derive(Serialize)]
pub struct AgentBody {
    pub id: String,
    pub name: String,
    pub system_prompt: String,
    pub model: Option<String>,
    pub icon: Option<String>,
    pub is_default: bool,
    pub docker_image: Option<String>,
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
            created_at: agent.created_at.to_rfc3339(),
            updated_at: agent.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAgent {
    pub name: String,
    pub system_prompt: Option<String>,
    pub model: Option<String>,
    pub icon: Option<String>,
    pub docker_image: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateAgent {
    pub name: Option<String>,
    pub system_prompt: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub model: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub icon: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub docker_image: Option<Option<String>>,
}

#[derive(Clone, Serialize)]
pub struct SessionBody {
    pub id: String,
    pub project_id: String,
    pub agent_id: String,
    pub title: String,
    pub status: &'static str,
    pub mode: &'static str,
    pub worktree_path: Option<String>,
    pub branch: Option<String>,
    pub docker_image: Option<String>,
    pub image: Option<String>,
    pub cc_session_id: Option<String>,
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
            docker_image: session.docker_image,
            image: session.image,
            cc_session_id: session.cc_session_id,
            run_state: session.run_state.as_str(),
            created_at: session.created_at.to_rfc3339(),
            updated_at: session.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    pub project_id: String,
    pub agent_id: Option<String>,
    pub title: Option<String>,
    pub mode: Option<String>,
    pub docker_image: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateSession {
    pub title: Option<String>,
    pub agent_id: Option<String>,
    pub mode: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub docker_image: Option<Option<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateStatus {
    pub status: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    pub content: String,
    pub model: Option<String>,
    pub mode: Option<String>,
}

#[derive(Serialize)]
pub struct Queued {
    pub queued: bool,
}

#[derive(Serialize)]
pub struct ToolUseBody {
    pub tool: String,
    pub input: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}

#[derive(Serialize)]
pub struct MessageBody {
    pub id: String,
    pub session_id: String,
    pub role: &'static str,
    pub content: String,
    pub tool_use: Option<Vec<ToolUseBody>>,
    #[serde(skip_serializing_if = "Option::is_none")]
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
