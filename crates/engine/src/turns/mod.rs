//! Turns: the user's messages, run in order per session by one live agent process.
//!
//! A message is stored the moment it arrives. When a turn is already running it waits in the
//! session's queue (`Queued`); otherwise a worker task starts and runs queued work until none is
//! left. At most `AGENT_MAX_RUNNING` turns run at once across sessions; a turn beyond that waits
//! for a slot (`Queued` again), first come first served. Every event the agent prints is appended
//! to the store before anything is broadcast (`output.rs`), so a browser that reconnects gets the
//! whole history from the store.
//!
//! Each session keeps its agent process between turns ([`LiveAgent`]): a turn is one message
//! written into it, ended by the agent's `result`. A warm-up ([`Engine::warm`]) does ahead of time
//! what a first turn would: decides the work path (`workspace.rs`), starts the container and the
//! process. The process is replaced, resuming the conversation, when the turn needs settings it
//! cannot change live (mode, agent, image, work path; a model change is a control request), when
//! it died, and when its session went idle (`AGENT_IDLE_TIMEOUT`). A process that dies before
//! answering a turn is replaced and the message written again; one that dies during a turn ends
//! that turn with an error, and the next message resumes the conversation.
//!
//! The agent's output is the agent's: a line over `agent::MAX_LINE_BYTES` ends the turn with an
//! error, and Stop ends a turn whatever the agent does (interrupt, then kill after a grace period,
//! then the runtime's last resort when the killed process's output still does not end).

mod output;
mod workspace;

use self::output::KILL_GRACE;
use self::workspace::{AgentLaunch, GitGuard};
use crate::runtime::{LiveAgent, WorkspaceAccess};
use crate::{Engine, EngineError, EngineEvent};
use domain::{AgentMode, Role, RunState, SessionId, SessionMode, SessionStatus};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;
use store::{MessageUpdate, NewMessage};
use tokio::sync::{OwnedSemaphorePermit, mpsc, watch};

/// How long a warm-up waits for a new agent process to say it is ready.
const WARM_UP_LIMIT: Duration = Duration::from_secs(120);

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

/// What a session's worker does next.
enum Work {
    Turn(PendingTurn),
    /// Get the agent ready for the next message ([`Engine::warm`]).
    Warm,
    /// Give back the agent process, container and sockets of a session gone idle.
    Release,
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
    queue: VecDeque<Work>,
    /// The worker is running a turn (not only warming the agent up).
    turn_running: bool,
    /// Talks to the turn in progress; `None` between turns.
    commands: Option<mpsc::UnboundedSender<TurnCommand>>,
    /// Becomes true when the worker has finished every turn and exited.
    finished: watch::Receiver<bool>,
}

impl SessionRun {
    /// A run that starts with `work`, and the sender its worker says it has finished through.
    fn new(work: Work) -> (SessionRun, watch::Sender<bool>) {
        let (finished_tx, finished) = watch::channel(false);
        let run = SessionRun {
            queue: VecDeque::from([work]),
            turn_running: false,
            commands: None,
            finished,
        };
        (run, finished_tx)
    }

    fn has_turns(&self) -> bool {
        self.turn_running || self.queue.iter().any(|work| matches!(work, Work::Turn(_)))
    }
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
                // Behind a warm-up alone the message is not waiting for another turn.
                Some(run) if !run.has_turns() => {
                    run.queue.push_back(Work::Turn(pending));
                    Queue::None
                }
                Some(run) => {
                    run.queue.push_back(Work::Turn(pending));
                    Queue::Session
                }
                None => {
                    // Taken here, so the answer says truly whether the turn waits for a free slot
                    // (the worker then says so with `Queued` and waits its turn).
                    let slot = self.inner.running_turns.clone().try_acquire_owned().ok();
                    let waits_for_a_slot = slot.is_none();
                    let (run, finished_tx) = SessionRun::new(Work::Turn(pending));
                    runs.insert(id, run);
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

    /// Sessions with a turn in flight (a session only warming up has none).
    pub fn streaming_sessions(&self) -> Vec<SessionId> {
        self.inner
            .runs
            .lock()
            .expect("runs lock")
            .iter()
            .filter(|(_, run)| run.has_turns())
            .map(|(id, _)| *id)
            .collect()
    }

    /// Gets the session ready for its next message ahead of time: its work path decided, its
    /// container and agent process started. Returns at once; the work goes on in the background
    /// (`run_state` is `starting` until it is done). Nothing happens when the session has a
    /// process ready or work in flight.
    pub async fn warm(&self, id: SessionId) -> Result<(), EngineError> {
        let session = self.session(id).await?;
        if session.status == SessionStatus::Done {
            return Err(EngineError::Conflict(
                "the session is done; move it back to another column to continue it".to_owned(),
            ));
        }
        if self.is_ending(id) {
            return Err(ending_conflict());
        }
        self.runtime().ready().await?;
        let finished_tx = {
            let mut runs = self.inner.runs.lock().expect("runs lock");
            if self.is_ending(id) {
                return Err(ending_conflict());
            }
            if runs.contains_key(&id) {
                return Ok(());
            }
            let ready = self
                .inner
                .live
                .lock()
                .expect("live lock")
                .get_mut(&id)
                .is_some_and(|agent| !agent.has_ended());
            if ready {
                drop(runs);
                self.mark_idle_since(id);
                return Ok(());
            }
            let (run, finished_tx) = SessionRun::new(Work::Warm);
            runs.insert(id, run);
            finished_tx
        };
        // Said before the answer, so a client that polls sees the warm-up until it is over.
        self.set_run_state(id, RunState::Starting).await;
        let engine = self.clone();
        tokio::spawn(async move { engine.run_queue(id, finished_tx, None).await });
        Ok(())
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
            runs.get_mut(&id).map(|run| {
                run.queue.clear();
                if let Some(commands) = &run.commands {
                    let _ = commands.send(TurnCommand::Kill);
                }
                run.finished.clone()
            })
        };
        if let Some(mut finished) = finished {
            let _ = tokio::time::timeout(Duration::from_secs(30), finished.wait_for(|done| *done))
                .await;
        }
        self.release_agent(id).await;
    }

    /// Queues the release of an idle session as its own work, unless work is in flight (which
    /// makes it not idle).
    pub(crate) fn release_when_idle(&self, id: SessionId) {
        let finished_tx = {
            let mut runs = self.inner.runs.lock().expect("runs lock");
            if runs.contains_key(&id) || self.is_ending(id) {
                return;
            }
            let (run, finished_tx) = SessionRun::new(Work::Release);
            runs.insert(id, run);
            finished_tx
        };
        let engine = self.clone();
        tokio::spawn(async move { engine.run_queue(id, finished_tx, None).await });
    }

    async fn release_idle(&self, id: SessionId) -> Result<(), EngineError> {
        self.inner.idle_since.lock().expect("idle lock").remove(&id);
        self.release_agent(id).await;
        // The platform's own housekeeping: a failure is logged (the next maintenance and the
        // next turn meet the container again), never reported as the session's error.
        if let Err(error) = self.runtime().release(id).await {
            tracing::warn!(session = %id, %error, "could not release the container of an idle session");
        }
        self.close_endpoint(id).await;
        tracing::info!(session = %id, "released the agent and container of an idle session");
        Ok(())
    }

    /// Ends the session's agent process, if it has one between turns.
    pub(crate) async fn release_agent(&self, id: SessionId) {
        let agent = self.inner.live.lock().expect("live lock").remove(&id);
        if let Some(agent) = agent {
            agent.kill(KILL_GRACE).await;
        }
    }

    /// The worker of one session: runs queued work in order until none is left.
    async fn run_queue(
        self,
        id: SessionId,
        finished: watch::Sender<bool>,
        mut first_slot: Option<OwnedSemaphorePermit>,
    ) {
        // Whether the session used its agent (a turn or a warm-up), so it is idle from now on.
        let mut used = false;
        loop {
            let (work, commands) = {
                let mut runs = self.inner.runs.lock().expect("runs lock");
                let Some(run) = runs.get_mut(&id) else { break };
                match run.queue.pop_front() {
                    Some(work) => {
                        let (sender, receiver) = mpsc::unbounded_channel();
                        run.commands = Some(sender);
                        run.turn_running = matches!(work, Work::Turn(_));
                        (work, receiver)
                    }
                    None => {
                        runs.remove(&id);
                        break;
                    }
                }
            };
            let mut commands = commands;
            used |= !matches!(work, Work::Release);
            let result = match work {
                Work::Warm => self.warm_up(id).await,
                Work::Release => self.release_idle(id).await,
                Work::Turn(pending) => {
                    let slot = match first_slot.take() {
                        Some(slot) => Some(slot),
                        None => self.wait_for_slot(id, &mut commands).await,
                    };
                    match slot {
                        Some(slot) => {
                            let result = self.run_turn(id, pending, commands).await;
                            drop(slot);
                            result
                        }
                        None => {
                            self.emit(EngineEvent::Error {
                                session: id,
                                error: "the message was stopped before its turn started; it stays in the history but the agent did not get it".to_owned(),
                                code: Some("stopped_before_start".to_owned()),
                                remediation: None,
                            });
                            Ok(())
                        }
                    }
                }
            };
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
                run.turn_running = false;
            }
        }
        if used {
            self.mark_idle_since(id);
        }
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

    /// What a turn of the session needs, decided as a turn would: the work path (a worktree is
    /// made here when the session needs one), the session's MCP endpoint, the agent's launch.
    async fn prepare_turn(
        &self,
        id: SessionId,
        model: Option<String>,
    ) -> Result<PreparedTurn, EngineError> {
        let session = self.session(id).await?;
        let project = self.project(session.project_id).await?;
        let agent = match self.store().agent(session.agent_id).await? {
            Some(agent) => agent,
            None => self.store().default_agent().await?,
        };
        let workspace = self.prepare_workspace(&session, &project).await?;
        self.ensure_setup(
            &session,
            &project,
            &agent,
            &workspace.path,
            &workspace.access,
        )
        .await?;
        let endpoint = self.open_endpoint(id).await?;
        self.model_ready(endpoint.as_ref(), agent.cli)?;
        let launch = self
            .launch(
                &session,
                &project,
                &agent,
                &workspace,
                endpoint.as_ref(),
                model,
            )
            .await?;
        Ok(PreparedTurn {
            project_dir: project.path,
            workspace,
            launch,
        })
    }

    /// The session's agent process for `launch`: the running one when it fits (switched to the
    /// launch's model when that differs), else a new one (a running one that does not fit is
    /// ended first). The bool says whether it was running already.
    async fn agent_for(
        &self,
        id: SessionId,
        launch: &AgentLaunch,
    ) -> Result<(LiveAgent, bool), EngineError> {
        let running = self.inner.live.lock().expect("live lock").remove(&id);
        if let Some(mut agent) = running {
            let fits = agent.key == launch.key && agent.takes_turns() && !agent.has_ended();
            // A model is switched live; going back to the CLI's default takes a new process.
            let model_fits = agent.model == launch.model || launch.model.is_some();
            if fits && model_fits {
                if agent.model == launch.model {
                    return Ok((agent, true));
                }
                let model = launch.model.as_deref().unwrap_or_default();
                let request_id = format!("set-model-{}", uuid::Uuid::new_v4());
                if agent
                    .write_line(&agent::set_model_line(&request_id, model))
                    .await
                    .is_ok()
                {
                    agent.model.clone_from(&launch.model);
                    return Ok((agent, true));
                }
            }
            agent.kill(KILL_GRACE).await;
        }
        if self.runtime().mode() == AgentMode::Docker {
            // Refused before a container starts: the image must carry the agent's CLI.
            self.runtime()
                .check_image_cli(&launch.launch.image, launch.cli.kind())
                .await?;
            self.store()
                .set_image(id, launch.launch.image.as_str())
                .await?;
        }
        // The user's Claude login stays in the platform (the proxy presents it); a copy an
        // earlier version left in this HOME goes before the agent can read it.
        crate::credentials::remove_stale_copy(&launch.launch.home);
        let agent = LiveAgent::start(
            self.runtime().as_ref(),
            launch.cli,
            launch.launch.clone(),
            launch.key.clone(),
            launch.model.clone(),
        )
        .await?;
        Ok((agent, false))
    }

    /// Keeps the session's agent process for its next turn.
    fn keep_agent(&self, id: SessionId, agent: LiveAgent) {
        if self.is_ending(id) {
            // Ending the session releases what is kept; nothing new is kept after that.
            tokio::spawn(agent.kill(KILL_GRACE));
            return;
        }
        self.inner.live.lock().expect("live lock").insert(id, agent);
    }

    /// A warm-up: what a first turn does before it writes the message.
    /// `run_state` is `starting` already (see [`Engine::warm`]).
    async fn warm_up(&self, id: SessionId) -> Result<(), EngineError> {
        let prepared = self.prepare_turn(id, None).await;
        let started = match prepared {
            Ok(prepared) => match self.agent_for(id, &prepared.launch).await {
                // A new process is ready when its CLI says so, not when it was spawned.
                Ok((mut agent, false)) => match agent.initialize(WARM_UP_LIMIT).await {
                    Ok(()) => Ok((agent, false)),
                    Err(error) => {
                        agent.kill(KILL_GRACE).await;
                        Err(error)
                    }
                },
                other => other,
            },
            Err(error) => Err(error),
        };
        self.set_run_state(id, RunState::Idle).await;
        match started {
            Ok((agent, _)) => {
                self.keep_agent(id, agent);
                Ok(())
            }
            // A warm-up is the platform's own initiative: its failure is logged, and the first
            // message meets (and reports) the same problem.
            Err(error) => {
                tracing::info!(session = %id, %error, "warming the session up failed");
                Ok(())
            }
        }
    }

    async fn run_turn(
        &self,
        id: SessionId,
        pending: PendingTurn,
        mut commands: mpsc::UnboundedReceiver<TurnCommand>,
    ) -> Result<(), EngineError> {
        // A session with a turn is not idle: the idle release must not take what the turn uses.
        self.inner.idle_since.lock().expect("idle lock").remove(&id);
        self.set_run_state(id, RunState::Starting).await;
        let began = std::time::Instant::now();
        let PreparedTurn {
            project_dir,
            workspace,
            launch,
        } = self.prepare_turn(id, pending.model).await?;
        let prepared = began.elapsed();
        let guard = GitGuard::before_turn(&workspace, self.runtime().mode());
        let guarded = began.elapsed();
        let (mut agent, mut reused) = self.agent_for(id, &launch).await?;
        tracing::debug!(
            session = %id,
            prepare_ms = prepared.as_millis(),
            guard_ms = (guarded - prepared).as_millis(),
            agent_ms = (began.elapsed() - guarded).as_millis(),
            reused,
            "turn started"
        );
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
        let mut end = self
            .drive(id, reply.id, &pending.content, &mut agent, &mut commands)
            .await;
        // A process kept from before that died before answering (its container idled out or
        // was removed): a new one resumes the conversation and gets the message.
        while reused
            && end
                .as_ref()
                .is_ok_and(|end| !end.answered && !end.finished && !end.killed)
        {
            tracing::info!(session = %id, "the session's agent process had ended; starting a new one");
            let _ = agent.finish(KILL_GRACE).await;
            (agent, reused) = self.agent_for(id, &launch).await?;
            end = self
                .drive(id, reply.id, &pending.content, &mut agent, &mut commands)
                .await;
        }
        let outcome = match end {
            Ok(end) if end.finished && !end.killed && agent.is_live() => {
                self.keep_agent(id, agent);
                Ok(end)
            }
            Ok(end) => {
                let exit = if end.abandoned {
                    None
                } else {
                    agent.finish(KILL_GRACE).await
                };
                turn_failure(&end, exit.as_ref()).map_or(Ok(end), Err)
            }
            Err(error) => {
                agent.kill(KILL_GRACE).await;
                Err(error)
            }
        };
        let stored = self.finish_reply(reply.id, outcome.as_ref().ok()).await;
        self.set_run_state(id, RunState::Idle).await;
        let ended = stored.and(outcome).map(|end| {
            self.emit(EngineEvent::Done {
                session: id,
                message: reply.id,
                cost_usd: end.cost_usd,
                interrupted: end.interrupted,
            });
        });
        // Before the next turn can start, whether this one ended well or not.
        self.undo_git_tampering(id, &project_dir, &workspace, guard)
            .await;
        ended
    }

    /// Folds the reply's streamed text into it and records how the turn ended.
    async fn finish_reply(
        &self,
        reply: domain::MessageId,
        end: Option<&output::TurnEnd>,
    ) -> Result<(), EngineError> {
        self.store().fold_message_text(reply).await?;
        self.store()
            .update_message(
                reply,
                MessageUpdate {
                    content: None,
                    tool_use: None,
                    cost_usd: end.and_then(|end| end.cost_usd),
                    interrupted: end.map(|end| end.interrupted),
                },
            )
            .await?;
        Ok(())
    }

    fn mark_idle_since(&self, id: SessionId) {
        self.inner
            .idle_since
            .lock()
            .expect("idle lock")
            .insert(id, tokio::time::Instant::now());
    }
}

fn ending_conflict() -> EngineError {
    EngineError::Conflict(
        "the session is being ended (its work saved and its worktree removed); send the message again once it is done"
            .to_owned(),
    )
}

/// What a turn needs before its agent process: see [`Engine::prepare_turn`].
struct PreparedTurn {
    project_dir: PathBuf,
    workspace: Workspace,
    launch: AgentLaunch,
}

/// Why a turn that did not finish failed, from how it ended and how its process exited; `None`
/// when it was stopped by the user.
fn turn_failure(
    end: &output::TurnEnd,
    exit: Option<&crate::runtime::ProcessExit>,
) -> Option<EngineError> {
    if let Some(limit) = end.line_too_long {
        return Some(EngineError::Invalid {
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
    if end.finished || end.interrupted {
        return None;
    }
    let (code, detail) = exit.map_or((-1, ""), |exit| (exit.code, exit.stderr_tail.trim()));
    Some(EngineError::invalid(
        "agent_failed",
        format!(
            "the agent ended without finishing its turn (exit code {code}){}; the next message resumes the conversation",
            if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            }
        ),
    ))
}

/// Whether a message waits: behind its session's running turn, for a free slot, or not at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Queue {
    None,
    Session,
    Slot,
}
