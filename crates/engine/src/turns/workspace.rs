//! Where a turn runs and with what: the work path and its access (main checkout or the session's
//! worktree, decided under the project's lock), the agent's command line, and the guard that
//! undoes git settings an agent planted during its turn.

use super::Workspace;
use crate::context::{Workplace, system_prompt};
use crate::runtime::{CONTAINER_RUNTIME_DIR, Launch, LaunchKey, WorkspaceAccess};
use crate::{Engine, EngineError, EngineEvent, SessionEndpoint};
use domain::{
    Agent, AgentMode, ImageChoice, ImageRef, Project, Session, SessionId, SessionStatus,
    resolve_image,
};
use std::path::Path;

/// A process to start for a turn, what decides whether a running one can serve instead, and the
/// model the turn runs.
pub(super) struct AgentLaunch {
    pub cli: &'static dyn agent::AgentCli,
    pub launch: Launch,
    pub key: LaunchKey,
    pub model: Option<String>,
}

/// How long Claude Code waits for an MCP server to start, in milliseconds. A live process lists
/// its MCP tools once, when it starts: a slow server (the browser stack's chrome-devtools-mcp on a
/// busy machine) must not be left out of every turn of the session for missing the CLI's default.
const MCP_STARTUP_TIMEOUT_MS: &str = "120000";

/// A Claude Code agent's environment: the platform's allowlisted variables, and the MCP start-up
/// timeout unless the user set one.
fn claude_env(agent_env: &[(String, String)]) -> Vec<(String, String)> {
    let mut env = agent_env.to_vec();
    if !env.iter().any(|(name, _)| name == "MCP_TIMEOUT") {
        env.push(("MCP_TIMEOUT".to_owned(), MCP_STARTUP_TIMEOUT_MS.to_owned()));
    }
    env
}

/// What [`Engine::codex_launch`] needs of a turn.
struct CodexTurn<'a> {
    session: &'a Session,
    project: &'a Project,
    workspace: &'a Workspace,
    endpoint: Option<&'a SessionEndpoint>,
    image: ImageRef,
    prompt: String,
    model: Option<String>,
    agent_path: &'a Path,
}

impl Engine {
    /// The agent process a turn of `session` needs, in `workspace`, running `model` (a model for
    /// this turn, else the agent's). Its key leaves out what a running process can change or
    /// already holds (the model and `--resume`), so a process started for an earlier turn is
    /// reused exactly when the key is equal.
    pub(super) async fn launch(
        &self,
        session: &Session,
        project: &Project,
        agent: &Agent,
        workspace: &Workspace,
        endpoint: Option<&SessionEndpoint>,
        model: Option<String>,
    ) -> Result<AgentLaunch, EngineError> {
        let config = self.config();
        let image = resolve_image(ImageChoice {
            explicit: session.docker_image.as_deref(),
            agent: agent.docker_image.as_deref(),
            project: project.agent_image.as_deref(),
            configured_default: Some(config.default_image.as_str()),
        })
        .map_err(|error| EngineError::invalid("invalid_image", error.to_string()))?;
        let agent_path = self.runtime().agent_work_path(&workspace.path);
        let prompt = system_prompt(
            agent,
            &Workplace {
                project,
                path: &agent_path,
                branch: workspace.branch.as_deref(),
                mode: session.mode,
            },
        );
        let model = model.or_else(|| agent.model.clone());
        let cli = agent::agent_cli(agent.cli);
        if agent.cli == domain::AgentCli::Codex {
            return self.codex_launch(CodexTurn {
                session,
                project,
                workspace,
                endpoint,
                image,
                prompt,
                model,
                agent_path: &agent_path,
            });
        }
        let mut command = agent::ClaudeCommand {
            model: None,
            resume: None,
            mode: session.mode,
            append_system_prompt: Some(prompt),
            mcp_config: match endpoint {
                Some(endpoint) => Some(self.mcp_config(endpoint, &image).await),
                None => None,
            },
            // Execute mode runs every platform tool without asking; ask and explore only the
            // read-only ones, so the acting ones arrive as permission requests in ask mode.
            allowed_tools: endpoint
                .map(|_| crate::tools::pre_approved_tools(session.mode))
                .unwrap_or_default(),
        };
        let line = |command: &agent::ClaudeCommand| {
            self.behind_model_proxy(
                endpoint,
                crate::model_proxy::AgentCommandLine {
                    program: config.agent_command.clone(),
                    args: command.args(),
                    env: claude_env(&config.agent_env),
                },
            )
        };
        let unchanging = line(&command);
        let runtime_dir = endpoint.map(|endpoint| endpoint.dir.clone());
        let key = LaunchKey {
            program: unchanging.program,
            args: unchanging.args,
            env: unchanging.env,
            image: image.clone(),
            work_path: workspace.path.clone(),
            access: workspace.access.clone(),
            runtime_dir: runtime_dir.clone(),
        };
        command.model = model.clone();
        command.resume = session.cc_session_id.clone();
        let line = line(&command);
        Ok(AgentLaunch {
            cli,
            launch: Launch {
                session: session.id,
                project: project.id,
                work_path: workspace.path.clone(),
                project_dir: project.path.clone(),
                access: workspace.access.clone(),
                home: self.session_state_dir(session.id).join("home"),
                image,
                program: line.program,
                args: line.args,
                env: line.env,
                runtime_dir,
            },
            key,
            model,
        })
    }

    /// A turn of a codex agent: `codex exec` with the platform's MCP server in its own
    /// configuration, its provider pointed at the model proxy (behind the bridge), one process
    /// per turn (codex keeps none between turns).
    fn codex_launch(&self, turn: CodexTurn<'_>) -> Result<AgentLaunch, EngineError> {
        let config = self.config();
        let cli = agent::agent_cli(domain::AgentCli::Codex);
        let mode = turn.session.mode;
        let spec = agent::TurnSpec {
            mode,
            model: turn.model.clone(),
            resume: turn.session.cc_session_id.clone(),
            system_prompt: Some(turn.prompt),
            mcp_server: turn.endpoint.map(|endpoint| agent::McpServer {
                name: crate::tools::MCP_SERVER.to_owned(),
                command: self.seen_by_agent(&endpoint.bridge).display().to_string(),
                args: vec![self.seen_by_agent(&endpoint.socket).display().to_string()],
                pre_approved: if mode == domain::SessionMode::Execute {
                    agent::PreApproved::All
                } else {
                    agent::PreApproved::Only(
                        crate::tools::READ_ONLY_TOOLS
                            .iter()
                            .map(|tool| (*tool).to_owned())
                            .collect(),
                    )
                },
            }),
            model_base_url: turn
                .endpoint
                .and_then(|endpoint| endpoint.model_socket.as_ref())
                .map(|_| crate::model_proxy::codex_model_base_url()),
            work_path: Some(turn.agent_path.display().to_string()),
            in_container: self.runtime().mode() == AgentMode::Docker,
        };
        let args = cli
            .args(&spec)
            .map_err(|unsupported| EngineError::invalid("cli_unsupported", unsupported.message))?;
        let program = match self.runtime().mode() {
            AgentMode::Docker => cli.program().to_owned(),
            AgentMode::Local => config.codex_command.clone(),
        };
        let line = self.behind_model_proxy(
            turn.endpoint,
            crate::model_proxy::AgentCommandLine {
                program,
                args,
                env: config.agent_env.clone(),
            },
        );
        let runtime_dir = turn.endpoint.map(|endpoint| endpoint.dir.clone());
        let launch = Launch {
            session: turn.session.id,
            project: turn.project.id,
            work_path: turn.workspace.path.clone(),
            project_dir: turn.project.path.clone(),
            access: turn.workspace.access.clone(),
            home: self.session_state_dir(turn.session.id).join("home"),
            image: turn.image,
            program: line.program,
            args: line.args,
            env: line.env,
            runtime_dir,
        };
        Ok(AgentLaunch {
            cli,
            key: LaunchKey {
                program: launch.program.clone(),
                args: launch.args.clone(),
                env: launch.env.clone(),
                image: launch.image.clone(),
                work_path: launch.work_path.clone(),
                access: launch.access.clone(),
                runtime_dir: launch.runtime_dir.clone(),
            },
            launch,
            model: turn.model,
        })
    }

    /// The `--mcp-config` that registers the platform's server as `agentyard`: the agent starts the
    /// bridge, which pipes its stdio to the session's socket. Paths are as the agent sees them.
    /// An image that offers a browser MCP server (the browser stack) gets it as `chrome-devtools`,
    /// driving the container's own headless Chromium.
    async fn mcp_config(&self, endpoint: &SessionEndpoint, image: &ImageRef) -> String {
        let seen_by_agent = |path: &Path| match self.runtime().mode() {
            AgentMode::Local => path.to_path_buf(),
            AgentMode::Docker => {
                Path::new(CONTAINER_RUNTIME_DIR).join(path.file_name().unwrap_or_default())
            }
        };
        let mut servers = serde_json::json!({
            crate::tools::MCP_SERVER: {
                "type": "stdio",
                "command": seen_by_agent(&endpoint.bridge),
                "args": [seen_by_agent(&endpoint.socket)],
            }
        });
        if let Some(browser) = self.runtime().browser_mcp(image).await {
            servers[crate::tools::BROWSER_MCP_SERVER] = browser.server_config();
        }
        serde_json::json!({ "mcpServers": servers }).to_string()
    }

    /// Decides where the session works: its worktree when it has one; the main checkout for
    /// explore sessions (read-only) and for the first writer; a new worktree for a writer when
    /// another active writer holds the main checkout. Serialized per project.
    pub(super) async fn prepare_workspace(
        &self,
        session: &Session,
        project: &Project,
    ) -> Result<Workspace, EngineError> {
        let main = |access| Workspace {
            path: project.path.clone(),
            access,
            branch: None,
        };
        if let Some(worktree) = session.worktree_path.as_ref().filter(|path| path.exists()) {
            return Ok(Workspace {
                path: worktree.clone(),
                access: self.worktree_access(session.id, project),
                branch: session.branch.clone(),
            });
        }
        if !session.mode.writes() {
            return Ok(main(WorkspaceAccess::ReadOnly));
        }
        // Asked only here: a turn in an existing worktree or an explore session needs no git.
        let is_repository = git::is_repository(&project.path).await;
        let main_checkout = WorkspaceAccess::MainCheckout {
            git_dir: is_repository.then(|| project.path.join(".git")),
        };
        if !is_repository {
            return Ok(main(main_checkout));
        }
        let lock = self.workspace_lock(project.id);
        let _serialized = lock.lock().await;
        let others = self.store().sessions(Some(project.id)).await?;
        let claims = self
            .inner
            .main_checkout_claims
            .lock()
            .expect("claims lock")
            .clone();
        let taken = others.iter().any(|other| {
            other.id != session.id
                && other.status != SessionStatus::Done
                && other.mode.writes()
                && other.worktree_path.is_none()
                && (claims.contains(&other.id) || other.cc_session_id.is_some())
        });
        if !git::needs_worktree(session.mode, taken) {
            self.inner
                .main_checkout_claims
                .lock()
                .expect("claims lock")
                .insert(session.id);
            return Ok(main(main_checkout));
        }
        let git_dir = self.session_git_dir(session.id);
        let worktree = git::create_worktree(&project.path, session.id, &git_dir).await?;
        let path = worktree.checkout.work_tree().to_path_buf();
        self.copy_included_files(session.id, project, &path).await;
        if !worktree.continued || session.base_commit.is_none() {
            self.store()
                .set_base(
                    session.id,
                    worktree.base_branch.as_deref(),
                    &worktree.base_commit,
                )
                .await?;
        }
        self.store()
            .set_worktree(session.id, Some(&path), Some(worktree.branch.as_str()))
            .await?;
        if let Ok(Some(updated)) = self.store().session(session.id).await {
            self.emit(EngineEvent::SessionUpdated(Box::new(updated)));
        }
        Ok(Workspace {
            path,
            access: self.worktree_access(session.id, project),
            branch: Some(worktree.branch.as_str().to_owned()),
        })
    }

    fn worktree_access(&self, session: SessionId, project: &Project) -> WorkspaceAccess {
        WorkspaceAccess::Worktree {
            git_dir: self.session_git_dir(session),
            objects: project.path.join(".git").join("objects"),
        }
    }

    /// Undoes what the agent planted in the git settings of its workspace during the turn, and
    /// reports it in the session. See [`GitGuard`].
    pub(super) async fn undo_git_tampering(
        &self,
        id: SessionId,
        project: &Path,
        workspace: &Workspace,
        guard: GitGuard,
    ) {
        let undone = match guard.undo(project, workspace) {
            Ok(undone) => undone,
            Err(error) => {
                tracing::error!(session = %id, %error, "could not check the session's git settings");
                return;
            }
        };
        if undone.is_empty() {
            return;
        }
        let report = format!(
            "The platform undid changes to git settings made during this turn: {}. \
             Git settings decide which programs git runs, so agents may not change them.",
            undone.join("; ")
        );
        tracing::warn!(session = %id, %report, "git settings restored");
        let raw = serde_json::json!({"type": "agentyard_git_settings_restored", "undone": undone});
        if let Err(error) = self
            .store()
            .append_event(id, "agentyard_git_settings_restored", &raw.to_string())
            .await
        {
            tracing::warn!(session = %id, %error, "could not record the git settings report");
        }
        self.emit(EngineEvent::Error {
            session: id,
            error: report,
            code: Some("git_settings_restored".to_owned()),
            remediation: Some(
                "Change git settings yourself, outside the session, if you meant to.".to_owned(),
            ),
        });
    }
}

/// What a turn may not leave changed in its workspace's git settings.
///
/// In docker mode the settings files are read-only in the container and the git directory cannot
/// be swapped, so only redirect files (`commondir`) and a rewritten worktree `.git` file can
/// appear. In local mode the agent runs with the user's rights, so the settings are snapshotted
/// before the turn and put back after it.
pub(super) struct GitGuard {
    snapshot: Option<git::SettingsSnapshot>,
}

impl GitGuard {
    pub(super) fn before_turn(workspace: &Workspace, mode: AgentMode) -> GitGuard {
        let snapshot = match (&workspace.access, mode) {
            (
                WorkspaceAccess::MainCheckout {
                    git_dir: Some(git_dir),
                },
                AgentMode::Local,
            ) => git::snapshot_settings(git_dir)
                .map_err(|error| tracing::warn!(%error, "could not snapshot git settings"))
                .ok(),
            _ => None,
        };
        GitGuard { snapshot }
    }

    fn undo(self, project: &Path, workspace: &Workspace) -> Result<Vec<String>, git::GitError> {
        match &workspace.access {
            WorkspaceAccess::ReadOnly | WorkspaceAccess::MainCheckout { git_dir: None } => {
                Ok(Vec::new())
            }
            WorkspaceAccess::MainCheckout {
                git_dir: Some(git_dir),
            } => match &self.snapshot {
                Some(snapshot) => git::restore_settings(git_dir, snapshot),
                None => git::remove_redirects(git_dir),
            },
            WorkspaceAccess::Worktree { git_dir, .. } => {
                git::restore_worktree_links(project, &workspace.path, git_dir)
            }
        }
    }
}
