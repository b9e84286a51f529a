//! Local mode: the agent is a child process of the platform, run in the work path.

use super::{
    AgentProcess, DevServerLaunch, Killer, Launch, ProcessExit, Runtime, RuntimeHealth,
    dev_server_script,
};
use crate::EngineError;
use async_trait::async_trait;
use domain::{AgentMode, SessionId};
use futures::{FutureExt, StreamExt};
use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::sync::Notify;
use tokio_util::io::ReaderStream;

/// Variables of the platform's own environment a local agent needs to run at all.
/// Nothing secret is among them; secrets reach the agent only through the allowlist in `Launch::env`.
const LOCAL_BASE_ENV: &[&str] = &[
    "PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "LOGNAME", "SHELL",
];

/// How much of an agent's stderr is kept for error messages.
const STDERR_TAIL: usize = 4096;

#[derive(Default)]
pub struct LocalRuntime;

impl LocalRuntime {
    pub fn new() -> Self {
        Self
    }
}

#[async_trait]
impl Runtime for LocalRuntime {
    fn mode(&self) -> AgentMode {
        AgentMode::Local
    }

    fn agent_work_path(&self, launch_work_path: &Path) -> PathBuf {
        launch_work_path.to_path_buf()
    }

    async fn start(&self, launch: Launch) -> Result<AgentProcess, EngineError> {
        let mut command = agent_command(
            &launch.program,
            &launch.work_path,
            &launch.env,
            &launch.home,
        )?;
        command
            .args(&launch.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|error| EngineError::Invalid {
            code: "agent_not_found",
            message: format!("cannot start the agent CLI `{}`: {error}", launch.program),
            remediation: Some(
                "install the Claude Code CLI (npm i -g @anthropic-ai/claude-code) or set AGENT_COMMAND to its path".to_owned(),
            ),
        })?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let stderr_tail = tokio::spawn(async move {
            let mut all = Vec::new();
            let _ = stderr.read_to_end(&mut all).await;
            let start = all.len().saturating_sub(STDERR_TAIL);
            String::from_utf8_lossy(&all[start..]).into_owned()
        });
        let kill = Arc::new(Notify::new());
        let pid = child
            .id()
            .and_then(|pid| rustix::process::Pid::from_raw(pid as i32));
        Ok(AgentProcess {
            stdin: Box::pin(stdin),
            stdout: ReaderStream::new(stdout)
                .filter_map(|chunk| async move { chunk.ok() })
                .boxed(),
            killer: Arc::new(LocalKiller {
                kill: kill.clone(),
                pid,
            }),
            exit: wait_for_exit(child, kill, stderr_tail).boxed(),
        })
    }

    async fn release(&self, _session: SessionId) -> Result<(), EngineError> {
        Ok(())
    }

    async fn reconcile(
        &self,
        _live: &HashSet<SessionId>,
        _at_boot: bool,
    ) -> Result<Vec<String>, EngineError> {
        Ok(Vec::new())
    }

    async fn agent_image_names(&self) -> Result<Option<Vec<String>>, EngineError> {
        Ok(None)
    }

    async fn health(&self) -> Option<RuntimeHealth> {
        None
    }

    async fn start_dev_server(&self, launch: DevServerLaunch) -> Result<AgentProcess, EngineError> {
        let mut command = agent_command("sh", &launch.work_path, &launch.env, &launch.home)?;
        command
            .arg("-c")
            .arg(dev_server_script(&launch.script))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own process group, so stop ends what the script started too.
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|error| {
            EngineError::unexpected(format!("cannot start the dev script with sh: {error}"))
        })?;
        let group = child
            .id()
            .and_then(|pid| rustix::process::Pid::from_raw(pid as i32));
        let stdout = child.stdout.take().expect("stdout is piped");
        let kill = Arc::new(Notify::new());
        let killer = Arc::new(LocalKiller {
            kill: kill.clone(),
            pid: group,
        });
        let exit = async move {
            let status = tokio::select! {
                status = child.wait() => status,
                () = kill.notified() => {
                    if let Some(group) = group {
                        // Already gone is fine: the goal is that nothing of it runs.
                        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
                    }
                    child.wait().await
                }
            }
            .map_err(anyhow::Error::new)?;
            Ok(ProcessExit {
                code: status.code().map(i64::from).unwrap_or(-1),
                stderr_tail: String::new(),
            })
        };
        Ok(AgentProcess {
            stdin: Box::pin(tokio::io::sink()),
            stdout: ReaderStream::new(stdout)
                .filter_map(|chunk| async move { chunk.ok() })
                .boxed(),
            killer,
            exit: exit.boxed(),
        })
    }

    async fn dev_server_address(
        &self,
        _session: SessionId,
        port: u16,
    ) -> Result<SocketAddr, EngineError> {
        Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
    }
}

/// `program` run as an agent runs: in `work_path`, with only the platform's base variables and the
/// agent's allowlisted `env`, HOME the session's state dir (created when missing).
fn agent_command(
    program: &str,
    work_path: &Path,
    env: &[(String, String)],
    home: &Path,
) -> Result<Command, EngineError> {
    std::fs::create_dir_all(home).map_err(|error| {
        EngineError::unexpected(format!("cannot create {}: {error}", home.display()))
    })?;
    let mut command = Command::new(program);
    command
        .current_dir(work_path)
        .env_clear()
        .envs(
            LOCAL_BASE_ENV
                .iter()
                .filter_map(|name| std::env::var(name).ok().map(|value| (*name, value))),
        )
        .envs(
            env.iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
        )
        .env("HOME", home);
    Ok(command)
}

/// Kills a local agent by waking the task that owns its child. A stored permit means a kill
/// that comes before the owner waits is not lost.
struct LocalKiller {
    kill: Arc<Notify>,
    /// The child's pid, for SIGINT; the child is reaped only by the task that owns it, after a
    /// kill or its exit, so the pid names it while this killer can be used for a turn.
    pid: Option<rustix::process::Pid>,
}

#[async_trait]
impl Killer for LocalKiller {
    async fn kill(&self) -> Result<(), EngineError> {
        self.kill.notify_one();
        Ok(())
    }

    async fn interrupt(&self) -> Result<(), EngineError> {
        match self.pid {
            Some(pid) => {
                rustix::process::kill_process(pid, rustix::process::Signal::INT).or_else(|error| {
                    // Already gone is fine: the turn is over.
                    if error == rustix::io::Errno::SRCH {
                        Ok(())
                    } else {
                        Err(EngineError::unexpected(format!(
                            "cannot interrupt the agent: {error}"
                        )))
                    }
                })
            }
            None => self.kill().await,
        }
    }
}

async fn wait_for_exit(
    mut child: Child,
    kill: Arc<Notify>,
    stderr_tail: tokio::task::JoinHandle<String>,
) -> Result<ProcessExit, EngineError> {
    let status = tokio::select! {
        status = child.wait() => status,
        () = kill.notified() => {
            // Already exited is fine: the goal is that it is not running.
            let _ = child.start_kill();
            child.wait().await
        }
    }
    .map_err(anyhow::Error::new)?;
    Ok(ProcessExit {
        code: status.code().map(i64::from).unwrap_or(-1),
        stderr_tail: stderr_tail.await.unwrap_or_default(),
    })
}
