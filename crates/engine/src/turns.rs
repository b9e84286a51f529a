//! Turns: one agent process per user message, run in order per session.
//!
//! A message is stored the moment it arrives. When a turn is already running it waits in the
//! session's queue (`Queued`); otherwise a worker task starts and runs queued turns until none is
//! left. At most `AGENT_MAX_RUNNING` turns run at once across sessions; a turn beyond that waits
//! for a slot (`Queued` again), first come first served. Every event the agent prints is appended
//! to the store before anything is broadcast, and the assistant message is kept up to date as text
//! (appended delta by delta) and tool calls arrive, so a browser that reconnects gets the whole
//! history from the store.
//!
//! The agent's output is the agent's: a line over `agent::MAX_LINE_BYTES` ends the turn with an
//! error, and Stop ends a turn whatever the agent does (interrupt, then kill after a grace period,
//! then the runtime's last resort when the killed process's output still does not end).

use crate::context::{Workplace, system_prompt};
use crate::runtime::{
    AgentProcess, CONTAINER_RUNTIME_DIR, Killer, Launch, ProcessExit, WorkspaceAccess,
};
use crate::{Engine, EngineError, EngineEvent, SessionEndpoint};
use agent::{ContentBlock, Event, LineParser, PermissionDecision};
use domain::{
    Agent, AgentMode, ImageChoice, ImageRef, MessageId, Project, Role, RunState, Session,
    SessionId, SessionMode, SessionStatus, ToolUse, resolve_image,
};
use futures::StreamExt;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;
use store::{MessageUpdate, NewMessage};
use tokio::io::AsyncWriteExt;
use tokio::sync::{OwnedSemaphorePermit, mpsc, watch};

/// How long an interrupted agent gets to end its turn by itself before it is killed.
const INTERRUPT_GRACE: Duration = Duration::from_millis(1500);

/// How long a killed agent's output may take to end before the runtime's last resort (in docker
/// mode the session's container is removed) and the turn ends without it.
const KILL_GRACE: Duration = Duration::from_secs(3);

/// The longest chat message the platform takes: 1 MiB of text. Larger content belongs in a file
/// of the project, which the agent can read.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

/// Options of one message.
#[derive(Clone, Debug, Default)]
pub struct SendOptions {
    /// A model for this turn, over the agent's.
    pub model: Option<String>,
    /// Switches the session to this mode before the turn.
    pub mode: Option<SessionMode>,
}

/// The user's answer to an ask-mode permission request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PermissionAnswer {
    Allow,
    Deny,
}

/// A message waiting for its turn.
struct PendingTurn {
    content: String,
    model: Option<String>,
}

/// What can be said to the turn in progress.
enum TurnCommand {
    /// Ask the agent to stop, and kill it if it has not after a grace period.
    Interrupt,
    /// Kill at once (the session is ending).
    Kill,
    Permission {
        request_id: String,
        answer: PermissionAnswer,
    },
}

/// The work in flight for one session.
pub(crate) struct SessionRun {
    queue: VecDeque<PendingTurn>,
    /// Talks to the turn in progress; `None` between turns.
    commands: Option<mpsc::UnboundedSender<TurnCommand>>,
    /// Becomes true when the worker has finished every turn and exited.
    finished: watch::Receiver<bool>,
}

/// Where a turn runs, decided at spawn.
struct Workspace {
    path: PathBuf,
    access: WorkspaceAccess,
    branch: Option<String>,
}

impl Engine {
    /// Stores the user's message and runs it now, or queues it behind the running turn.
    /// Returns whether it was queued.
    pub async fn send_message(
        &self,
        id: SessionId,
        content: &str,
        options: SendOptions,
    ) -> Result<bool, EngineError> {
        if content.trim().is_empty() {
            return Err(EngineError::invalid(
                "empty_message",
                "the message is empty; write something to send",
            ));
        }
        if content.len() > MAX_MESSAGE_BYTES {
            return Err(EngineError::Invalid {
                code: "message_too_long",
                message: format!(
                    "the message is {} KiB; a message may be at most {} KiB",
                    content.len().div_ceil(1024),
                    MAX_MESSAGE_BYTES / 1024
                ),
                remediation: Some(
                    "put the long text in a file of the project and ask the agent to read it"
                        .to_owned(),
                ),
            });
        }
        let mut session = self.session(id).await?;
        if session.status == SessionStatus::Done {
            return Err(EngineError::Conflict(
                "the session is done; move it back to another column to continue it".to_owned(),
            ));
        }
        if self.is_ending(id) {
            return Err(ending_conflict());
        }
        // Refused before anything is written when the Docker Engine is away (503 with remediation).
        self.runtime().ready().await?;
        if let Some(mode) = options.mode.filter(|mode| *mode != session.mode) {
            session = self
                .update_session(
                    id,
                    crate::SessionChanges {
                        mode: Some(mode),
                        ..Default::default()
                    },
                )
                .await?;
        }
        if session.status == SessionStatus::Backlog {
            self.set_session_status(id, SessionStatus::InProgress)
                .await?;
        }
        self.store()
            .insert_message(NewMessage {
                session_id: id,
                role: Role::User,
                content: content.to_owned(),
                tool_use: Vec::new(),
                cost_usd: None,
                interrupted: false,
            })
            .await?;
        let pending = PendingTurn {
            content: content.to_owned(),
            model: options.model,
        };
        let queued = {
            let mut runs = self.inner.runs.lock().expect("runs lock");
            if self.is_ending(id) {
                return Err(ending_conflict());
            }
            match runs.get_mut(&id) {
                Some(run) => {
                    run.queue.push_back(pending);
                    Queue::Session
                }
                None => {
                    // Taken here, so the answer says truly whether the turn waits for a free slot
                    // (the worker then says so with `Queued` and waits its turn).
                    let slot = self.inner.running_turns.clone().try_acquire_owned().ok();
                    let waits_for_a_slot = slot.is_none();
                    let (finished_tx, finished) = watch::channel(false);
                    runs.insert(
                        id,
                        SessionRun {
                            queue: VecDeque::from([pending]),
                            commands: None,
                            finished,
                        },
                    );
                    let engine = self.clone();
                    tokio::spawn(async move { engine.run_queue(id, finished_tx, slot).await });
                    if waits_for_a_slot {
                        Queue::Slot
                    } else {
                        Queue::None
                    }
                }
            }
        };
        match queued {
            Queue::Session => self.emit(EngineEvent::Queued { session: id }),
            Queue::Slot | Queue::None => self.emit_streaming(),
        }
        Ok(queued != Queue::None)
    }

    /// Interrupts the running turn, if any. Queued messages run after it.
    pub async fn stop(&self, id: SessionId) -> Result<(), EngineError> {
        self.session(id).await?;
        self.command(id, TurnCommand::Interrupt);
        Ok(())
    }

    /// Answers an ask-mode permission request of the running turn.
    pub async fn answer_permission(
        &self,
        id: SessionId,
        request_id: &str,
        answer: PermissionAnswer,
    ) -> Result<(), EngineError> {
        self.session(id).await?;
        if self.command(
            id,
            TurnCommand::Permission {
                request_id: request_id.to_owned(),
                answer,
            },
        ) {
            Ok(())
        } else {
            Err(EngineError::Conflict(
                "no turn of this session is waiting for a permission".to_owned(),
            ))
        }
    }

    /// Sessions with a turn in flight.
    pub fn streaming_sessions(&self) -> Vec<SessionId> {
        self.inner
            .runs
            .lock()
            .expect("runs lock")
            .keys()
            .copied()
            .collect()
    }

    fn command(&self, id: SessionId, command: TurnCommand) -> bool {
        let runs = self.inner.runs.lock().expect("runs lock");
        match runs.get(&id).and_then(|run| run.commands.as_ref()) {
            Some(commands) => commands.send(command).is_ok(),
            None => false,
        }
    }

    fn emit_streaming(&self) {
        self.emit(EngineEvent::Streaming {
            session_ids: self.streaming_sessions(),
        });
    }

    fn is_ending(&self, id: SessionId) -> bool {
        self.inner.ending.lock().expect("ending lock").contains(&id)
    }

    /// Marks the session as ending (no new turn starts), drops its queue, kills its running turn
    /// and waits until its worker has exited. [`Engine::ended`] lifts the mark.
    pub(crate) async fn end_turns(&self, id: SessionId) {
        let finished = {
            let mut runs = self.inner.runs.lock().expect("runs lock");
            self.inner.ending.lock().expect("ending lock").insert(id);
            let Some(run) = runs.get_mut(&id) else { return };
            run.queue.clear();
            if let Some(commands) = &run.commands {
                let _ = commands.send(TurnCommand::Kill);
            }
            run.finished.clone()
        };
        let mut finished = finished;
        let _ =
            tokio::time::timeout(Duration::from_secs(30), finished.wait_for(|done| *done)).await;
    }

    /// The worker of one session: runs queued turns in order until none is left.
    async fn run_queue(
        self,
        id: SessionId,
        finished: watch::Sender<bool>,
        mut first_slot: Option<OwnedSemaphorePermit>,
    ) {
        loop {
            let (pending, commands) = {
                let mut runs = self.inner.runs.lock().expect("runs lock");
                let Some(run) = runs.get_mut(&id) else { break };
                match run.queue.pop_front() {
                    Some(pending) => {
                        let (sender, receiver) = mpsc::unbounded_channel();
                        run.commands = Some(sender);
                        (pending, receiver)
                    }
                    None => {
                        runs.remove(&id);
                        break;
                    }
                }
            };
            let mut commands = commands;
            let slot = match first_slot.take() {
                Some(slot) => Some(slot),
                None => self.wait_for_slot(id, &mut commands).await,
            };
            let Some(slot) = slot else {
                if let Some(run) = self.inner.runs.lock().expect("runs lock").get_mut(&id) {
                    run.commands = None;
                }
                self.emit(EngineEvent::Error {
                    session: id,
                    error: "the message was stopped before its turn started; it stays in the history but the agent did not get it".to_owned(),
                    code: Some("stopped_before_start".to_owned()),
                    remediation: None,
                });
                continue;
            };
            let result = self.run_turn(id, pending, commands).await;
            drop(slot);
            if let Err(error) = result {
                tracing::warn!(session = %id, %error, "turn failed");
                self.emit(EngineEvent::Error {
                    session: id,
                    error: error.to_string(),
                    code: Some(error.code().to_owned()),
                    remediation: error.remediation().map(str::to_owned),
                });
                self.set_run_state(id, RunState::Error).await;
            }
            if let Some(run) = self.inner.runs.lock().expect("runs lock").get_mut(&id) {
                run.commands = None;
            }
        }
        self.mark_idle_since(id);
        let _ = finished.send(true);
        self.emit_streaming();
    }

    /// Waits for one of the `AGENT_MAX_RUNNING` slots, saying `Queued` when it has to wait.
    /// `None` when the turn was stopped (or its session ended) while it waited.
    async fn wait_for_slot(
        &self,
        id: SessionId,
        commands: &mut mpsc::UnboundedReceiver<TurnCommand>,
    ) -> Option<OwnedSemaphorePermit> {
        let slots = self.inner.running_turns.clone();
        if let Ok(slot) = slots.clone().try_acquire_owned() {
            return Some(slot);
        }
        self.emit(EngineEvent::Queued { session: id });
        // One acquire for the whole wait: the semaphore is fair, and a new acquire would lose
        // this turn's place in line.
        let acquire = slots.acquire_owned();
        tokio::pin!(acquire);
        loop {
            tokio::select! {
                slot = &mut acquire => return slot.ok(),
                command = commands.recv() => match command {
                    Some(TurnCommand::Interrupt | TurnCommand::Kill) | None => return None,
                    Some(TurnCommand::Permission { .. }) => {}
                },
            }
        }
    }

    async fn set_run_state(&self, id: SessionId, state: RunState) {
        match self.store().set_run_state(id, state).await {
            Ok(Some(session)) => self.emit(EngineEvent::SessionUpdated(Box::new(session))),
            Ok(None) => {}
            Err(error) => tracing::warn!(session = %id, %error, "could not record the run state"),
        }
    }

    async fn run_turn(
        &self,
        id: SessionId,
        pending: PendingTurn,
        commands: mpsc::UnboundedReceiver<TurnCommand>,
    ) -> Result<(), EngineError> {
        self.set_run_state(id, RunState::Starting).await;
        let session = self.session(id).await?;
        let project = self.project(session.project_id).await?;
        let agent = match self.store().agent(session.agent_id).await? {
            Some(agent) => agent,
            None => self.store().default_agent().await?,
        };
        let workspace = self.prepare_workspace(&session, &project).await?;
        let guard = GitGuard::before_turn(&workspace, self.runtime().mode());
        let endpoint = self.open_endpoint(id).await?;
        self.model_ready(endpoint.as_ref())?;
        let launch = self
            .launch(
                &session,
                &project,
                &agent,
                &workspace,
                endpoint.as_ref(),
                pending.model,
            )
            .await?;
        // Only a container runs an image; asking the runtime its mode costs nothing, unlike a
        // health check (which pings the engine and inspects images) on every turn.
        if self.runtime().mode() == AgentMode::Docker {
            self.store().set_image(id, launch.image.as_str()).await?;
        }
        // The user's Claude login stays in the platform (the proxy presents it); a copy an
        // earlier version left in this HOME goes before the agent can read it.
        crate::credentials::remove_stale_copy(&launch.home);
        let process = self.runtime().start(launch).await?;
        self.set_run_state(id, RunState::Running).await;
        let reply = self
            .store()
            .insert_message(NewMessage {
                session_id: id,
                role: Role::Assistant,
                content: String::new(),
                tool_use: Vec::new(),
                cost_usd: None,
                interrupted: false,
            })
            .await?;
        let outcome = self
            .drive(id, reply.id, &pending.content, process, commands)
            .await;
        self.set_run_state(id, RunState::Idle).await;
        let ended = outcome.map(|outcome| {
            self.emit(EngineEvent::Done {
                session: id,
                message: reply.id,
                cost_usd: outcome.cost_usd,
                interrupted: outcome.interrupted,
            });
        });
        // Before the next turn can start, whether this one ended well or not.
        self.undo_git_tampering(id, &project.path, &workspace, guard)
            .await;
        ended
    }

    async fn launch(
        &self,
        session: &Session,
        project: &Project,
        agent: &Agent,
        workspace: &Workspace,
        endpoint: Option<&SessionEndpoint>,
        model: Option<String>,
    ) -> Result<Launch, EngineError> {
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
        let command = agent::ClaudeCommand {
            model: model.or_else(|| agent.model.clone()),
            resume: session.cc_session_id.clone(),
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
        let line = self.behind_model_proxy(
            endpoint,
            crate::model_proxy::AgentCommandLine {
                program: config.agent_command.clone(),
                args: command.args(),
                env: config.agent_env.clone(),
            },
        );
        Ok(Launch {
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
            runtime_dir: endpoint.map(|endpoint| endpoint.dir.clone()),
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
    async fn prepare_workspace(
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
    async fn undo_git_tampering(
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

    /// Feeds the message to the agent and follows its output to the end of the turn.
    async fn drive(
        &self,
        id: SessionId,
        reply: MessageId,
        content: &str,
        process: AgentProcess,
        mut commands: mpsc::UnboundedReceiver<TurnCommand>,
    ) -> Result<TurnOutcome, EngineError> {
        let AgentProcess {
            stdin,
            mut stdout,
            killer,
            exit,
        } = process;
        let mut stdin = Some(stdin);
        let mut reply_state = Reply::default();
        let mut parser = LineParser::default();
        let mut stopping = Stopping::default();
        let mut line_too_long = None;
        let mut saw_result = false;
        if let Some(input) = stdin.as_mut() {
            write_line(input, &agent::user_message_line(content)).await?;
        }
        loop {
            let deadline = stopping.deadline();
            tokio::select! {
                chunk = stdout.next() => {
                    let Some(chunk) = chunk else { break };
                    let events = match parser.push(&chunk) {
                        Ok(events) => events,
                        Err(too_long) => {
                            if line_too_long.is_none() {
                                tracing::warn!(session = %id, limit = too_long.limit, "the agent printed a line over the limit; ending its turn");
                                line_too_long = Some(too_long.limit);
                                stopping.kill(&*killer).await;
                            }
                            too_long.events_before
                        }
                    };
                    for parsed in events {
                        if self.handle_event(id, reply, &mut reply_state, parsed).await? {
                            saw_result = true;
                            // The turn is over: closing stdin lets the CLI exit. An explicit
                            // shutdown, because dropping a Docker exec's stdin does not end it.
                            if let Some(mut input) = stdin.take() {
                                let _ = input.shutdown().await;
                            }
                        }
                    }
                }
                Some(command) = commands.recv() => match command {
                    TurnCommand::Interrupt if !reply_state.interrupted => {
                        reply_state.interrupted = true;
                        if let Some(input) = stdin.as_mut() {
                            let request_id = format!("interrupt-{}", uuid::Uuid::new_v4());
                            let _ = write_line(input, &agent::interrupt_line(&request_id)).await;
                        }
                        stopping.kill_at.get_or_insert(tokio::time::Instant::now() + INTERRUPT_GRACE);
                    }
                    TurnCommand::Interrupt => {}
                    TurnCommand::Kill => {
                        reply_state.interrupted = true;
                        stopping.kill(&*killer).await;
                    }
                    TurnCommand::Permission { request_id, answer } => {
                        let Some(input) = reply_state.permissions.iter().position(|(known, _)| *known == request_id)
                            .map(|at| reply_state.permissions.remove(at).1) else { continue };
                        let decision = match answer {
                            PermissionAnswer::Allow => PermissionDecision::Allow { updated_input: input },
                            PermissionAnswer::Deny => PermissionDecision::Deny { message: "The user denied this tool use.".to_owned() },
                        };
                        if let Some(stdin) = stdin.as_mut() {
                            write_line(stdin, &agent::permission_response_line(&request_id, &decision)).await?;
                        }
                    }
                },
                () = tokio::time::sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)), if deadline.is_some() => {
                    let now = tokio::time::Instant::now();
                    if stopping.give_up_at.is_none_or(|at| at > now) {
                        stopping.kill(&*killer).await;
                    } else {
                        // Killed, and its output still has not ended: something the agent
                        // started holds it open. The last resort ends everything it runs.
                        tracing::warn!(session = %id, "a killed agent's output did not end; using the runtime's last resort");
                        if let Err(error) = killer.kill_everything().await {
                            tracing::warn!(session = %id, %error, "the last resort failed");
                        }
                        stopping.abandoned = true;
                        break;
                    }
                }
            }
        }
        if !stopping.abandoned && line_too_long.is_none() {
            for parsed in parser.finish() {
                saw_result |= self
                    .handle_event(id, reply, &mut reply_state, parsed)
                    .await?;
            }
        }
        if let Some(mut input) = stdin.take() {
            let _ = input.shutdown().await;
        }
        // The output has ended, so the process has or is about to; one that lingers is killed.
        let exit = match tokio::time::timeout(KILL_GRACE, exit).await {
            Ok(Ok(exit)) => exit,
            // The last resort took the process's whole environment (its container) with it,
            // and with it the record of how it ended.
            Ok(Err(error)) if stopping.abandoned => {
                tracing::debug!(session = %id, %error, "no exit status after the last resort");
                ProcessExit {
                    code: -1,
                    stderr_tail: String::new(),
                }
            }
            Ok(Err(error)) => return Err(error),
            Err(_) => {
                stopping.kill(&*killer).await;
                ProcessExit {
                    code: -1,
                    stderr_tail: String::new(),
                }
            }
        };
        self.store().fold_message_text(reply).await?;
        self.store()
            .update_message(
                reply,
                MessageUpdate {
                    content: None,
                    tool_use: None,
                    cost_usd: reply_state.cost_usd,
                    interrupted: Some(reply_state.interrupted),
                },
            )
            .await?;
        if let Some(limit) = line_too_long {
            return Err(EngineError::Invalid {
                code: "agent_output_too_long",
                message: format!(
                    "the agent printed a line longer than {} MiB, so its turn was ended",
                    limit / (1024 * 1024)
                ),
                remediation: Some(
                    "send the next message to continue the session; ask the agent to write large output to a file instead of printing it".to_owned(),
                ),
            });
        }
        if !saw_result && !reply_state.interrupted {
            let detail = exit.stderr_tail.trim();
            return Err(EngineError::invalid(
                "agent_failed",
                format!(
                    "the agent ended without finishing its turn (exit code {}){}",
                    exit.code,
                    if detail.is_empty() {
                        String::new()
                    } else {
                        format!(": {detail}")
                    }
                ),
            ));
        }
        Ok(TurnOutcome {
            cost_usd: reply_state.cost_usd,
            interrupted: reply_state.interrupted,
        })
    }

    /// Persists one agent event, updates the reply, then broadcasts. Returns true for the turn's result.
    async fn handle_event(
        &self,
        id: SessionId,
        reply: MessageId,
        state: &mut Reply,
        parsed: agent::ParsedEvent,
    ) -> Result<bool, EngineError> {
        let kind = parsed
            .raw
            .get("type")
            .and_then(|kind| kind.as_str())
            .unwrap_or("invalid_line");
        // One stdout line can give several events (a `user` line with several tool results
        // gives one per result, each with the line's JSON): the log keeps the line once.
        let raw = parsed.raw.to_string();
        if raw != state.last_event {
            self.store().append_event(id, kind, &raw).await?;
            state.last_event = raw;
        }
        let mut broadcasts = Vec::new();
        // What this event adds to the stored reply: text to append, and whether the tool calls
        // changed (only then is their JSON written).
        let mut text_added = String::new();
        let mut tools_changed = false;
        let mut is_result = false;
        match parsed.event {
            Event::SystemInit { session_id, .. } => {
                self.store().set_cc_session_id(id, &session_id).await?;
            }
            Event::TextDelta { text } => {
                state.streamed = true;
                let text = state.append_text(&text);
                text_added.push_str(&text);
                broadcasts.push(EngineEvent::Chunk { session: id, text });
            }
            Event::Assistant { content } => {
                for block in content {
                    match block {
                        ContentBlock::Text { text } if !state.streamed => {
                            let text = state.append_text(&text);
                            text_added.push_str(&text);
                            broadcasts.push(EngineEvent::Chunk { session: id, text });
                        }
                        ContentBlock::ToolUse {
                            id: tool_id,
                            name,
                            input,
                        } => {
                            state.after_tool = true;
                            tools_changed = true;
                            state.tools.push(ToolUse {
                                id: tool_id,
                                tool: name.clone(),
                                input: input.to_string(),
                                result: None,
                            });
                            broadcasts.push(EngineEvent::ToolUse {
                                session: id,
                                tool: name,
                                input,
                            });
                        }
                        _ => {}
                    }
                }
                state.streamed = false;
            }
            Event::ToolResult {
                tool_use_id,
                content,
                ..
            } => {
                if let Some(tool) = state.tools.iter_mut().find(|tool| tool.id == tool_use_id) {
                    tool.result = Some(content.clone());
                    tools_changed = true;
                    broadcasts.push(EngineEvent::ToolResult {
                        session: id,
                        tool: tool.tool.clone(),
                        result: content,
                    });
                }
            }
            Event::PermissionRequest {
                request_id,
                tool_name,
                input,
                ..
            } => {
                state.permissions.push((request_id.clone(), input.clone()));
                broadcasts.push(EngineEvent::Permission {
                    session: id,
                    request_id,
                    tool: tool_name,
                    input,
                });
            }
            Event::Result {
                session_id,
                total_cost_usd,
                is_error,
                result,
                ..
            } => {
                is_result = true;
                if !session_id.is_empty() {
                    self.store().set_cc_session_id(id, &session_id).await?;
                }
                state.cost_usd = total_cost_usd;
                if is_error && !state.interrupted {
                    broadcasts.push(EngineEvent::Error {
                        session: id,
                        error: result.unwrap_or_else(|| "the agent reported an error".to_owned()),
                        code: Some("agent_error".to_owned()),
                        remediation: None,
                    });
                }
            }
            _ => {}
        }
        self.store().append_message_text(reply, &text_added).await?;
        if tools_changed {
            self.store()
                .update_message(
                    reply,
                    MessageUpdate {
                        tool_use: Some(state.tools.clone()),
                        ..MessageUpdate::default()
                    },
                )
                .await?;
        }
        for event in broadcasts {
            self.emit(event);
        }
        Ok(is_result)
    }

    fn mark_idle_since(&self, id: SessionId) {
        self.inner
            .idle_since
            .lock()
            .expect("idle lock")
            .insert(id, tokio::time::Instant::now());
    }
}

/// What a turn may not leave changed in its workspace's git settings.
///
/// In docker mode the settings files are read-only in the container and the git directory cannot
/// be swapped, so only redirect files (`commondir`) and a rewritten worktree `.git` file can
/// appear. In local mode the agent runs with the user's rights, so the settings are snapshotted
/// before the turn and put back after it.
struct GitGuard {
    snapshot: Option<git::SettingsSnapshot>,
}

impl GitGuard {
    fn before_turn(workspace: &Workspace, mode: AgentMode) -> GitGuard {
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

fn ending_conflict() -> EngineError {
    EngineError::Conflict(
        "the session is being ended (its work saved and its worktree removed); send the message again once it is done"
            .to_owned(),
    )
}

/// The agent's reply as it is built during a turn. Its text is in the store alone (appended
/// as it comes); only what the next append needs to know of it is kept here.
#[derive(Default)]
struct Reply {
    has_text: bool,
    ends_with_newline: bool,
    tools: Vec<ToolUse>,
    cost_usd: Option<f64>,
    interrupted: bool,
    /// Text of the current model message already arrived as deltas (so the complete message
    /// must not add it again).
    streamed: bool,
    /// A tool call came since the last text, so new text starts a new paragraph.
    after_tool: bool,
    /// Permission requests waiting for the user, with the input to allow.
    permissions: Vec<(String, serde_json::Value)>,
    /// The JSON of the last event appended to the session's event log.
    last_event: String,
}

impl Reply {
    /// Appends text and returns what was appended (with a paragraph break after a tool call).
    fn append_text(&mut self, text: &str) -> String {
        let mut added = String::new();
        if self.after_tool && self.has_text && !self.ends_with_newline {
            added.push_str("\n\n");
        }
        self.after_tool = false;
        added.push_str(text);
        if !added.is_empty() {
            self.has_text = true;
            self.ends_with_newline = added.ends_with('\n');
        }
        added
    }
}

/// Where stopping a turn has got to: the interrupt's grace period, then the kill's.
#[derive(Default)]
struct Stopping {
    /// When an interrupted agent that has not ended is killed.
    kill_at: Option<tokio::time::Instant>,
    /// When a killed agent whose output has not ended meets the runtime's last resort.
    give_up_at: Option<tokio::time::Instant>,
    /// The last resort was used: the output was left unread.
    abandoned: bool,
}

impl Stopping {
    fn deadline(&self) -> Option<tokio::time::Instant> {
        match (self.kill_at, self.give_up_at) {
            (Some(kill), Some(give_up)) => Some(kill.min(give_up)),
            (kill, give_up) => kill.or(give_up),
        }
    }

    /// Kills the agent now, and starts the wait for its output to end. A kill that fails goes
    /// straight to the last resort.
    async fn kill(&mut self, killer: &dyn Killer) {
        self.kill_at = None;
        if self.give_up_at.is_some() {
            return;
        }
        self.give_up_at = Some(tokio::time::Instant::now() + KILL_GRACE);
        if let Err(error) = killer.kill().await {
            tracing::warn!(%error, "killing an agent failed; using the runtime's last resort");
            if let Err(error) = killer.kill_everything().await {
                tracing::warn!(%error, "the last resort failed");
            }
        }
    }
}

/// Whether a message waits: behind its session's running turn, for a free slot, or not at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Queue {
    None,
    Session,
    Slot,
}

struct TurnOutcome {
    cost_usd: Option<f64>,
    interrupted: bool,
}

async fn write_line(
    stdin: &mut std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
    line: &str,
) -> Result<(), EngineError> {
    let mut line = line.to_owned();
    if !line.ends_with('\n') {
        line.push('\n');
    }
    stdin
        .write_all(line.as_bytes())
        .await
        .and(stdin.flush().await)
        .map_err(|error| EngineError::unexpected(format!("cannot write to the agent: {error}")))
}
