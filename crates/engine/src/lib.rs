//! Agentyard's use cases: projects, agents, sessions and their turns.
//!
//! The engine owns the life of a session: where it works (main checkout or worktree), which image
//! it runs, the runtime that hosts the agent process, the per-session queue of turns, and the fan-out
//! of every agent event (persisted first, then broadcast). It speaks to the store, Docker, git and the
//! agent protocol only through their crates, and knows no wire format: `server` and `mcp` translate
//! [`EngineEvent`]s and [`EngineError`]s for their clients.

mod agents;
mod context;
mod credentials;
mod error;
mod events;
mod git_ops;
pub mod images;
pub mod model_proxy;
mod preview;
mod projects;
mod reconcile;
mod review;
pub mod runtime;
mod sessions;
mod setup;
mod tools;
mod turns;

pub use agents::{AgentChanges, AgentInput};
pub use context::agent_environment;
pub use error::EngineError;
pub use events::EngineEvent;
pub use git_ops::{
    DEFAULT_LOG_LIMIT, GitBranch, GitCommit, GitFileStatus, GitStatus, MAX_LOG_LIMIT,
};
pub use images::ImageBuildRequest;
pub use preview::{LOG_TAIL_BYTES, PreviewStatus};
pub use projects::{ProjectChanges, ProjectInput};
pub use review::{DEFAULT_REMOTE, MergeOutcome, MergeStrategy, Pushed, ReviewFile, SessionReview};
pub use sessions::{SessionChanges, SessionInput};
pub use setup::{MAX_SETUP_OUTPUT_BYTES, SetupAction};
pub use tools::{
    ACTING_TOOLS, DelegateTask, Delegated, MAX_DELEGATION_DEPTH, MAX_READ_BYTES, ProjectFile,
    ProjectStatus, READ_ONLY_TOOLS, SessionEndpoint, SessionEndpoints, SessionSummary, Tools,
};
pub use turns::{MAX_MESSAGE_BYTES, PermissionAnswer, SendOptions};

use domain::{Config, ProjectId, SessionId};
use runtime::Runtime;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use store::Store;
use tokio::sync::broadcast;

/// How many engine events a slow subscriber may fall behind before it misses some.
const EVENT_BUFFER: usize = 4096;

/// The platform's use cases, shared by the HTTP server, the MCP servers and background tasks.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    /// `PROJECTS_ROOT`, canonicalized once at start.
    projects_root: PathBuf,
    store: Store,
    runtime: Arc<dyn Runtime>,
    /// Every engine event goes through this one channel; each WebSocket client subscribes.
    events: broadcast::Sender<EngineEvent>,
    /// The turn queue and running-turn controls of each session with work in flight.
    /// A std mutex: it is held only for short bookkeeping, never across an await.
    runs: Mutex<HashMap<SessionId, turns::SessionRun>>,
    /// Serializes the worktree decision, creation and removal per project, so two sessions starting
    /// at the same instant cannot both take the main checkout, and a stale-worktree sweep cannot
    /// remove a worktree that a starting session has just created.
    workspace_locks: Mutex<HashMap<ProjectId, Arc<tokio::sync::Mutex<()>>>>,
    /// Write sessions that took their project's main checkout in this run of the platform
    /// (after a restart, a resumable session on the main checkout counts as holding it).
    main_checkout_claims: Mutex<HashSet<SessionId>>,
    /// Sessions being ended (done or deleted): no turn may start while their worktree is finished.
    /// Read and written only while `runs` is locked, so a message either starts its turn before
    /// the session is marked (and that turn is cancelled with the session) or is refused.
    ending: Mutex<HashSet<SessionId>>,
    /// One permit per turn allowed to run at once (`AGENT_MAX_RUNNING`): each agent process holds
    /// hundreds of MB, so further turns wait here, first come first served (the semaphore is fair).
    running_turns: Arc<tokio::sync::Semaphore>,
    /// Each session's agent process while it is between turns (a running turn holds its own).
    live: Mutex<HashMap<SessionId, runtime::LiveAgent>>,
    /// When each session's last turn ended, for the idle timeout of its container.
    idle_since: Mutex<HashMap<SessionId, tokio::time::Instant>>,
    /// Each session's dev server (its last run, kept after it ended for its log). A std mutex:
    /// held only to look up or replace an entry.
    previews: Mutex<HashMap<SessionId, Arc<preview::Preview>>>,
    /// Tags of agent images being built now, so one tag is never built twice at once.
    image_builds: Mutex<HashSet<String>>,
    /// Serves each session's MCP socket; set once by the app after the engine is built, because
    /// the server needs the engine (see `tools.rs`).
    endpoints: OnceLock<Arc<dyn SessionEndpoints>>,
}

impl Engine {
    /// Builds the engine. `config.projects_root` must exist (the app creates it).
    pub fn new(
        config: Config,
        store: Store,
        runtime: Arc<dyn Runtime>,
    ) -> Result<Self, EngineError> {
        let projects_root = std::fs::canonicalize(&config.projects_root).map_err(|error| {
            EngineError::unexpected(format!(
                "PROJECTS_ROOT {} cannot be used: {error}",
                config.projects_root.display()
            ))
        })?;
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let running_turns = Arc::new(tokio::sync::Semaphore::new(config.max_running));
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                projects_root,
                store,
                runtime,
                events,
                runs: Mutex::new(HashMap::new()),
                workspace_locks: Mutex::new(HashMap::new()),
                main_checkout_claims: Mutex::new(HashSet::new()),
                ending: Mutex::new(HashSet::new()),
                running_turns,
                live: Mutex::new(HashMap::new()),
                idle_since: Mutex::new(HashMap::new()),
                previews: Mutex::new(HashMap::new()),
                image_builds: Mutex::new(HashSet::new()),
                endpoints: OnceLock::new(),
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn runtime(&self) -> &Arc<dyn Runtime> {
        &self.inner.runtime
    }

    /// A new subscription to every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }

    fn emit(&self, event: EngineEvent) {
        // No subscriber is not an error: events are already persisted.
        let _ = self.inner.events.send(event);
    }

    /// The lock that serializes worktree changes of one project (see `workspace_locks`).
    fn workspace_lock(&self, project: ProjectId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.inner.workspace_locks.lock().expect("workspace locks");
        locks.entry(project).or_default().clone()
    }

    /// The per-session state directory on the host (the agent's HOME).
    pub fn session_state_dir(&self, session: SessionId) -> PathBuf {
        self.inner
            .config
            .data_dir
            .join("sessions")
            .join(session.to_string())
    }

    /// The git directory of a session's worktree, outside the project (see `git::create_worktree`).
    pub fn session_git_dir(&self, session: SessionId) -> PathBuf {
        self.session_state_dir(session).join("git")
    }

    /// Where the files git does not track are kept when the session's worktree is removed.
    pub fn session_kept_dir(&self, session: SessionId) -> PathBuf {
        self.session_state_dir(session).join("kept")
    }
}
