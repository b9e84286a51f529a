//! The MCP server one session's agent talks to: each rmcp tool parses its arguments, calls the
//! engine's [`Tools`] bound to the caller's session, and formats the result as JSON text.
//! Engine errors become MCP tool errors (`isError: true`) whose text says what is wrong and what to do.
//! Every wall (reach, explore sessions, delegation limits) is the engine's: see `engine::Tools`.

use domain::{Project, ProjectId, Session, SessionId};
use engine::{DelegateTask, EngineError, ImageBuildRequest, Tools};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};
use rmcp::schemars::JsonSchema;
use rmcp::{ServerHandler, tool, tool_handler, tool_router};
use serde::Deserialize;
use serde_json::{Value, json};

/// What a tool returns to the agent: JSON text, or the error's text.
type ToolOutput = Result<String, String>;

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct ProjectParams {
    /// The project's id, as `list_projects` gives it.
    pub project_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct ReadFileParams {
    /// The project's id, as `list_projects` gives it.
    pub project_id: String,
    /// The file's path relative to the project directory, like `src/main.rs`.
    pub path: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct DelegateParams {
    /// The project the new session works in.
    pub project_id: String,
    /// The name of the agent persona that runs the task.
    pub agent_name: String,
    /// The new session's title.
    pub title: String,
    /// The first message of the new session: what to do.
    pub instruction: String,
    /// `explore`, `ask` or `execute`; this session's own mode when absent. Never above this
    /// session's mode: a higher one is capped, and the answer says so.
    pub mode: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct SendParams {
    /// The session that receives the message.
    pub session_id: String,
    /// The message, as a user would write it.
    pub content: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct ImageParams {
    /// The image is tagged `claude-agent-<name>`.
    pub name: String,
    /// The agent image to build on; `claude-agent-base` when absent.
    pub base: Option<String>,
    pub apt_packages: Option<Vec<String>>,
    pub npm_packages: Option<Vec<String>>,
    pub pip_packages: Option<Vec<String>>,
}

/// The `agentyard` MCP server of one session.
#[derive(Clone)]
pub struct SessionServer {
    tools: Tools,
    tool_router: ToolRouter<Self>,
}

impl SessionServer {
    pub fn new(tools: Tools) -> Self {
        Self {
            tools,
            tool_router: Self::tool_router(),
        }
    }
}

#[tool_router]
impl SessionServer {
    #[tool(
        description = "List the projects this agent's tools reach: id, name, description and path. With the agent's tool_scope `project` (the default) that is this session's project only.",
        annotations(read_only_hint = true)
    )]
    async fn list_projects(&self) -> ToolOutput {
        let projects = self.tools.list_projects().await.map_err(tool_error)?;
        Ok(to_text(&Value::Array(
            projects.iter().map(project_json).collect(),
        )))
    }

    #[tool(
        description = "A project's sessions: for each its id, title, status, mode, run state, branch and last activity.",
        annotations(read_only_hint = true)
    )]
    async fn get_project_status(
        &self,
        Parameters(params): Parameters<ProjectParams>,
    ) -> ToolOutput {
        let project = parse_id::<ProjectId>(&params.project_id, "project_id")?;
        let status = self
            .tools
            .project_status(project)
            .await
            .map_err(tool_error)?;
        let sessions: Vec<Value> = status
            .sessions
            .iter()
            .map(|summary| {
                let mut session = session_json(&summary.session);
                session["last_activity"] = json!(summary.last_activity.to_rfc3339());
                session
            })
            .collect();
        Ok(to_text(&json!({
            "project": project_json(&status.project),
            "sessions": sessions,
        })))
    }

    #[tool(
        description = "Read a text file (at most 256 KiB) of a project by its path inside the project. Paths with `..`, absolute paths, links out of the project, other sessions' worktrees and anything but regular files are refused.",
        annotations(read_only_hint = true)
    )]
    async fn read_project_file(
        &self,
        Parameters(params): Parameters<ReadFileParams>,
    ) -> ToolOutput {
        let project = parse_id::<ProjectId>(&params.project_id, "project_id")?;
        let file = self
            .tools
            .read_project_file(project, &params.path)
            .await
            .map_err(tool_error)?;
        Ok(file.content)
    }

    #[tool(
        description = "Create a session in a project with the named agent and start it with the instruction. Returns the new session. Its mode is never above this session's, and delegation chains stop at a depth of 3."
    )]
    async fn delegate_task(&self, Parameters(params): Parameters<DelegateParams>) -> ToolOutput {
        let project = parse_id::<ProjectId>(&params.project_id, "project_id")?;
        let delegated = self
            .tools
            .delegate_task(DelegateTask {
                project,
                agent_name: params.agent_name,
                title: params.title,
                instruction: params.instruction,
                mode: params.mode,
            })
            .await
            .map_err(tool_error)?;
        let mut answer = session_json(&delegated.session);
        if let Some(asked) = delegated.capped_from {
            answer["mode_capped"] = json!(format!(
                "{asked} mode was asked for; the session runs in {} mode, because a delegated session never gets a mode above its creator's",
                delegated.session.mode
            ));
        }
        Ok(to_text(&answer))
    }

    #[tool(
        description = "Send a message to another session of a project this agent reaches, as a user would. It runs now, or after the turn in progress (queued). Sessions in a higher mode than this one, or whose agent reaches more projects, are refused."
    )]
    async fn send_message(&self, Parameters(params): Parameters<SendParams>) -> ToolOutput {
        let session = parse_id::<SessionId>(&params.session_id, "session_id")?;
        let queued = self
            .tools
            .send_message(session, &params.content)
            .await
            .map_err(tool_error)?;
        Ok(to_text(
            &json!({"session_id": session.to_string(), "queued": queued}),
        ))
    }

    #[tool(
        description = "List the agent images present in the Docker engine.",
        annotations(read_only_hint = true)
    )]
    async fn list_agent_images(&self) -> ToolOutput {
        let images = self.tools.list_agent_images().await.map_err(tool_error)?;
        let images: Vec<_> = images
            .into_iter()
            .map(|image| {
                json!({
                    "name": image.name,
                    "size_mb": image.size_bytes / 1_000_000,
                    "built_in": image.built_in,
                })
            })
            .collect();
        Ok(to_text(&json!(images)))
    }

    #[tool(
        description = "Build the agent image `claude-agent-<name>` from a base plus apt, npm and pip packages. Progress shows in this session's stream. An existing image is replaced only when this project built it."
    )]
    async fn create_agent_image(&self, Parameters(params): Parameters<ImageParams>) -> ToolOutput {
        let tag = self
            .tools
            .create_agent_image(ImageBuildRequest {
                name: params.name,
                base: params.base,
                apt_packages: params.apt_packages.unwrap_or_default(),
                npm_packages: params.npm_packages.unwrap_or_default(),
                pip_packages: params.pip_packages.unwrap_or_default(),
            })
            .await
            .map_err(tool_error)?;
        Ok(to_text(&json!({"tag": tag})))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for SessionServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("agentyard", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Agentyard's platform tools: see projects and their sessions, read project files, delegate tasks to new sessions and message existing ones. They act on this session's own project unless the agent is granted all projects; in ask mode the user approves each call of delegate_task, send_message and create_agent_image; explore sessions may only read.",
            )
    }
}

fn parse_id<T: std::str::FromStr>(text: &str, field: &str) -> Result<T, String> {
    text.trim().parse().map_err(|_| {
        format!("`{text}` is not a valid {field}; use an id as list_projects or get_project_status gives it")
    })
}

/// The text an agent sees for an engine error: what is wrong, then what to do when known.
fn tool_error(error: EngineError) -> String {
    if let EngineError::Unexpected(error) = &error {
        tracing::warn!(%error, "an MCP tool failed");
    }
    match error.remediation() {
        Some(remediation) => format!("{error} ({remediation})"),
        None => error.to_string(),
    }
}

fn to_text(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn project_json(project: &Project) -> Value {
    json!({
        "id": project.id.to_string(),
        "name": project.name,
        "description": project.description,
        "path": project.path,
    })
}

fn session_json(session: &Session) -> Value {
    json!({
        "id": session.id.to_string(),
        "project_id": session.project_id.to_string(),
        "title": session.title,
        "status": session.status.as_str(),
        "mode": session.mode.as_str(),
        "run_state": session.run_state.as_str(),
        "branch": session.branch,
        "created_by": session.delegation.and_then(|delegation| delegation.creator).map(|id| id.to_string()),
        "delegation_depth": session.delegation.map_or(0, |delegation| delegation.depth),
    })
}
