//! Where agent processes run: the [`Runtime`] interface and its two implementations,
//! [`LocalRuntime`] (a child process in the work path) and [`DockerRuntime`] (an exec in the
//! session's hardened container).

mod docker;
mod host_paths;
mod live;
mod local;

pub use self::docker::{CONTAINER_RUNTIME_DIR, DockerRuntime};
pub use live::{LaunchKey, LiveAgent};
pub use local::LocalRuntime;

use crate::EngineError;
use async_trait::async_trait;
use bytes::Bytes;
use domain::{AgentMode, ImageRef, ProjectId, SessionId};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use tokio::io::AsyncWrite;

/// What of the project a session may touch, decided with its work path. A container gets exactly
/// this; in local mode the agent runs with the user's rights and this only names the paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkspaceAccess {
    /// The main checkout, read-only (explore sessions).
    ReadOnly,
    /// The main checkout, writable; its git directory's settings (`config`, `hooks`, `info`)
    /// read-only, and other sessions' worktrees hidden. `git_dir` is `None` outside git.
    MainCheckout { git_dir: Option<PathBuf> },
    /// The session's own worktree and the git directory the platform made for it (mounted where
    /// the worktree's `.git` file names it, its settings read-only), and the project's object
    /// store, read-only, where that git directory's alternates name it.
    Worktree { git_dir: PathBuf, objects: PathBuf },
}

/// Everything a runtime needs to start one agent process for a turn.
#[derive(Clone, Debug)]
pub struct Launch {
    pub session: SessionId,
    pub project: ProjectId,
    /// The effective work path on the host: the worktree, else the project directory.
    pub work_path: PathBuf,
    /// The project's directory (its owner decides the agent's uid in docker mode).
    pub project_dir: PathBuf,
    pub access: WorkspaceAccess,
    /// The per-session state directory, the agent's HOME.
    pub home: PathBuf,
    pub image: ImageRef,
    pub program: String,
    pub args: Vec<String>,
    /// The agent's environment, already filtered through the allowlist.
    pub env: Vec<(String, String)>,
    /// The session's runtime directory (MCP socket and bridge), when the platform serves MCP.
    pub runtime_dir: Option<PathBuf>,
}

/// A running agent process: its stdin, its stdout as byte chunks (not aligned to lines),
/// a way to kill it from any task, and its end.
pub struct AgentProcess {
    pub stdin: Pin<Box<dyn AsyncWrite + Send>>,
    pub stdout: BoxStream<'static, Bytes>,
    pub killer: Arc<dyn Killer>,
    /// Resolves when the process has ended: its exit code and the tail of its stderr.
    pub exit: BoxFuture<'static, Result<ProcessExit, EngineError>>,
}

#[derive(Clone, Debug)]
pub struct ProcessExit {
    pub code: i64,
    pub stderr_tail: String,
}

/// Ends a running agent process at once.
#[async_trait]
pub trait Killer: Send + Sync {
    /// Kills the process and what it started in its process group.
    async fn kill(&self) -> Result<(), EngineError>;

    /// Asks the process to stop its turn with SIGINT (for a CLI that is interrupted by a signal,
    /// not by a line on its stdin).
    async fn interrupt(&self) -> Result<(), EngineError>;

    /// The last resort, when a killed process's output does not end (something it started left
    /// its group and holds the output open): ends everything the session runs. In docker mode
    /// the container is removed and made again for the next turn.
    async fn kill_everything(&self) -> Result<(), EngineError> {
        self.kill().await
    }
}

/// What a runtime needs to start a session's dev server for a preview, apart from any turn.
#[derive(Clone, Debug)]
pub struct DevServerLaunch {
    pub session: SessionId,
    /// The session's work path on the host (local mode runs the script there; a container has it
    /// at `/workspace`).
    pub work_path: PathBuf,
    /// The session's state directory, the script's HOME in local mode.
    pub home: PathBuf,
    /// The project's `dev_script`: shell text, run by `sh -c`.
    pub script: String,
    /// Added to the script's environment (`PORT` when the project names one).
    pub env: Vec<(String, String)>,
}

/// The shell text a dev server runs: the project's script with its stderr joined to its stdout,
/// so the preview's log has both in order.
pub(crate) fn dev_server_script(script: &str) -> String {
    format!("exec 2>&1\n{script}")
}

/// The MCP server an agent image offers for driving its own browser (the image's
/// `agentyard.browser-mcp` labels): the command and the browser, as the container sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrowserMcp {
    pub command: String,
    pub chromium: String,
}

impl BrowserMcp {
    /// The server's entry in `--mcp-config`: a headless Chromium of the session's own, with a
    /// temporary profile (`--isolated`), so no cookie or tab is shared with anything. Chromium's
    /// own sandbox is off because it cannot work in a container without capabilities; the
    /// container is the sandbox. Nothing is sent to Google (usage statistics, CrUX lookups).
    pub fn server_config(&self) -> serde_json::Value {
        serde_json::json!({
            "type": "stdio",
            "command": self.command,
            "args": [
                "--headless",
                "--isolated",
                "--executablePath", self.chromium,
                "--chromeArg=--no-sandbox",
                "--chromeArg=--disable-dev-shm-usage",
                "--no-page-id-routing",
                "--no-usage-statistics",
                "--no-performance-crux",
            ],
        })
    }
}

/// The health of a runtime, as `/api/health` reports it.
#[derive(Clone, Debug, Default)]
pub struct RuntimeHealth {
    pub socket_connected: bool,
    pub image_available: bool,
    pub image_name: String,
    pub network_exists: bool,
}

impl RuntimeHealth {
    pub fn ok(&self) -> bool {
        self.socket_connected && self.image_available && self.network_exists
    }
}

#[async_trait]
pub trait Runtime: Send + Sync {
    fn mode(&self) -> AgentMode;

    /// The work path as the agent sees it (inside a container, `/workspace`).
    fn agent_work_path(&self, launch_work_path: &std::path::Path) -> PathBuf;

    /// Starts one agent process.
    async fn start(&self, launch: Launch) -> Result<AgentProcess, EngineError>;

    /// Frees what the session holds in the runtime (its container). Nothing to do for local.
    async fn release(&self, session: SessionId) -> Result<(), EngineError>;

    /// Removes whatever the runtime holds for sessions that are not in `live`, and everything
    /// left over from a previous run of the platform. Returns what was removed, for the log.
    async fn reconcile(
        &self,
        live: &HashSet<SessionId>,
        at_boot: bool,
    ) -> Result<Vec<String>, EngineError>;

    /// Agent images present in the engine, or `None` when this runtime has no images.
    async fn agent_image_names(&self) -> Result<Option<Vec<String>>, EngineError>;

    /// Fails when the runtime cannot start an agent now (the Docker Engine is unreachable), so a
    /// request is refused before it changes anything. Always ready in local mode.
    async fn ready(&self) -> Result<(), EngineError> {
        Ok(())
    }

    /// `None` in local mode.
    async fn health(&self) -> Option<RuntimeHealth>;

    /// The Docker Engine this runtime uses, for listing and building agent images; `None` when
    /// it uses none (local mode).
    fn docker(&self) -> Option<&::docker::Docker> {
        None
    }

    /// Starts a session's dev server, detached from turns: in docker mode an exec in the
    /// session's running container (refused when it has none, or on `AGENT_NETWORK=none`, where
    /// nothing could reach it), in local mode a child in the work path. Its stdout carries
    /// stdout and stderr together; its stdin is not used.
    async fn start_dev_server(&self, launch: DevServerLaunch) -> Result<AgentProcess, EngineError>;

    /// Where the platform reaches `port` of the session's dev server: the session's container on
    /// the agent network, or this machine's loopback (local mode, `AGENT_NETWORK=host`).
    async fn dev_server_address(
        &self,
        session: SessionId,
        port: u16,
    ) -> Result<SocketAddr, EngineError>;

    /// Refuses an image that does not carry `cli` (its `agentyard.clis` label), before a
    /// container of it starts. Nothing to check in local mode, where the CLI is a program on the
    /// host.
    async fn check_image_cli(
        &self,
        _image: &ImageRef,
        _cli: domain::AgentCli,
    ) -> Result<(), EngineError> {
        Ok(())
    }

    /// The browser MCP server `image` offers, if any. Never fails: an image that cannot be
    /// inspected offers none (the turn then fails on the image itself, with its own message).
    async fn browser_mcp(&self, _image: &ImageRef) -> Option<BrowserMcp> {
        None
    }
}
