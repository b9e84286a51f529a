//! A live agent process: one per session, started before its first turn (or by a warm-up) and
//! kept between turns, each turn written into its stdin.
//!
//! A process is reused only while it runs with exactly the settings the next turn needs
//! ([`LaunchKey`]); the model alone can change live. It is replaced (the conversation resumed with
//! `--resume`) when those settings change, when it has died, or when its session went idle.

use super::{AgentProcess, Killer, Launch, ProcessExit, Runtime, WorkspaceAccess};
use crate::EngineError;
use agent::{AgentCli, LineParser};
use bytes::Bytes;
use domain::ImageRef;
use futures::FutureExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Everything a process was started with that it cannot change while it runs: a turn that needs
/// anything else gets a new process. The model and `--resume` are not part of it (the model is
/// switched with a control request; a running process already holds its conversation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchKey {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub image: ImageRef,
    pub work_path: PathBuf,
    pub access: WorkspaceAccess,
    pub runtime_dir: Option<PathBuf>,
}

/// A session's agent process between and during turns.
pub struct LiveAgent {
    /// The CLI it runs: how a message goes in, how a turn is interrupted, how its output reads.
    pub cli: &'static dyn AgentCli,
    pub key: LaunchKey,
    /// The model it runs now; `None` is the CLI's default.
    pub model: Option<String>,
    pub stdin: Pin<Box<dyn AsyncWrite + Send>>,
    pub stdout: BoxStream<'static, Bytes>,
    /// Keeps a line the process has begun to print across turns.
    pub parser: LineParser,
    pub killer: Arc<dyn Killer>,
    exit: BoxFuture<'static, Result<ProcessExit, EngineError>>,
    /// No message was written in yet (a warmed process of a CLI that takes one turn per process
    /// can still take its turn).
    fresh: bool,
    /// How it ended, once that was seen while it was idle.
    ended: Option<Result<ProcessExit, EngineError>>,
}

impl LiveAgent {
    /// Starts a process of `cli` with `launch`, which runs `model`.
    pub async fn start(
        runtime: &dyn Runtime,
        cli: &'static dyn AgentCli,
        launch: Launch,
        key: LaunchKey,
        model: Option<String>,
    ) -> Result<LiveAgent, EngineError> {
        let AgentProcess {
            stdin,
            stdout,
            killer,
            exit,
        } = runtime.start(launch).await?;
        Ok(LiveAgent {
            cli,
            key,
            model,
            stdin,
            stdout,
            parser: cli.parser(),
            killer,
            exit,
            fresh: true,
            ended: None,
        })
    }

    /// Whether the process has ended (seen without waiting).
    pub fn has_ended(&mut self) -> bool {
        if self.ended.is_none() {
            self.ended = (&mut self.exit).now_or_never();
        }
        self.ended.is_some()
    }

    /// Whether the process takes turn after turn (otherwise it ends with its turn).
    pub fn is_live(&self) -> bool {
        self.cli.capabilities().live_process
    }

    /// Whether the process can take a turn: a live one always, another before its first message.
    pub fn takes_turns(&self) -> bool {
        self.is_live() || self.fresh
    }

    /// Writes the user's message in, as the CLI takes it.
    pub async fn write_message(&mut self, content: &str) -> Result<(), EngineError> {
        self.fresh = false;
        match self.cli.message(content) {
            agent::MessageInput::StdinLine(line) => self.write_line(&line).await,
            agent::MessageInput::StdinThenClose(text) => {
                self.stdin
                    .write_all(text.as_bytes())
                    .await
                    .map_err(|error| {
                        EngineError::unexpected(format!("cannot write to the agent: {error}"))
                    })?;
                // The CLI reads its prompt to the end of its input: a Docker exec's input ends
                // with a shutdown, a child's when its pipe is closed (dropped).
                let closed = self.stdin.shutdown().await;
                self.stdin = Box::pin(tokio::io::sink());
                closed.map_err(|error| {
                    EngineError::unexpected(format!("cannot close the agent's input: {error}"))
                })
            }
        }
    }

    /// Asks the CLI to stop the running turn (a line on its stdin, or SIGINT).
    pub async fn interrupt(&mut self) -> Result<(), EngineError> {
        let request_id = format!("interrupt-{}", uuid::Uuid::new_v4());
        match self.cli.interrupt(&request_id) {
            agent::Interrupt::StdinLine(line) => self.write_line(&line).await,
            agent::Interrupt::SigInt => self.killer.interrupt().await,
        }
    }

    /// Asks a freshly started process to get ready and waits, at most `limit`, until it says it
    /// is (its CLI started, its MCP servers connected), so a warmed session's first message is
    /// answered at once. Nothing to wait for when the CLI has no such request.
    pub async fn initialize(&mut self, limit: std::time::Duration) -> Result<(), EngineError> {
        let request_id = format!("initialize-{}", uuid::Uuid::new_v4());
        let Some(line) = self.cli.initialize(&request_id) else {
            return Ok(());
        };
        self.write_line(&line).await?;
        let answered = async {
            while let Some(chunk) = futures::StreamExt::next(&mut self.stdout).await {
                let events = self.parser.push(&chunk).map_err(|too_long| {
                    EngineError::unexpected(format!(
                        "the agent printed a line over {} bytes while starting",
                        too_long.limit
                    ))
                })?;
                if events.iter().any(|event| {
                    event.raw["type"] == "control_response"
                        && event.raw["response"]["request_id"] == request_id.as_str()
                }) {
                    return Ok(());
                }
            }
            Err(EngineError::unexpected(
                "the agent ended while it was starting",
            ))
        };
        tokio::time::timeout(limit, answered)
            .await
            .map_err(|_| EngineError::unexpected("the agent did not get ready in time"))?
    }

    /// Writes one line (a newline is added when missing).
    pub async fn write_line(&mut self, line: &str) -> Result<(), EngineError> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        if !line.ends_with('\n') {
            bytes.push(b'\n');
        }
        self.stdin
            .write_all(&bytes)
            .await
            .and(self.stdin.flush().await)
            .map_err(|error| EngineError::unexpected(format!("cannot write to the agent: {error}")))
    }

    /// Ends the process: closes its stdin and waits for its exit, killing it when it lingers
    /// longer than `grace`. Returns how it ended (`None` when no status could be had).
    pub async fn finish(mut self, grace: std::time::Duration) -> Option<ProcessExit> {
        let _ = self.stdin.shutdown().await;
        let exit = match self.ended.take() {
            Some(ended) => ended,
            None => match tokio::time::timeout(grace, &mut self.exit).await {
                Ok(ended) => ended,
                Err(_) => {
                    if let Err(error) = self.killer.kill().await {
                        tracing::warn!(%error, "killing a lingering agent failed");
                        let _ = self.killer.kill_everything().await;
                    }
                    return None;
                }
            },
        };
        exit.map_err(|error| tracing::debug!(%error, "no exit status of an agent"))
            .ok()
    }

    /// Kills the process at once (its session ends or went idle) and waits briefly for its end.
    pub async fn kill(self, grace: std::time::Duration) {
        if let Err(error) = self.killer.kill().await {
            tracing::warn!(%error, "killing an agent failed; using the runtime's last resort");
            let _ = self.killer.kill_everything().await;
        }
        let _ = self.finish(grace).await;
    }
}
