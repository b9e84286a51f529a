//! Processes run inside a session container with `docker exec`: one per agent turn.
//!
//! Docker has no API to kill an exec, so every command is wrapped to write its pid to a file
//! first; `kill` is a second exec that signals that pid's process group.

use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::ExecConfig;
use bytes::Bytes;
use domain::UserSpec;
use futures::{Stream, StreamExt};
use tokio::io::AsyncWrite;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::client::Docker;
use crate::error::{DockerError, translate};

/// Stdout chunks buffered between the engine and a slow reader before the process is slowed down.
const STDOUT_CHUNKS: usize = 256;
/// How much of the end of stderr is kept for the error message of a failed turn.
const STDERR_TAIL_BYTES: usize = 64 * 1024;
/// How often `wait` asks the engine whether a process whose output has ended has exited.
const EXIT_POLL: Duration = Duration::from_millis(50);

/// One command to run in a container.
#[derive(Clone, Debug, Default)]
pub struct ExecSpec {
    pub cmd: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Defaults to the container's user.
    pub user: Option<UserSpec>,
    /// Defaults to the container's working directory.
    pub working_dir: Option<PathBuf>,
}

/// A running exec. Read `stdout` to its end (or drop it) while the process runs: a reader that
/// stops reading slows the process down, as a pipe would.
pub struct ExecProcess {
    pub stdin: Pin<Box<dyn AsyncWrite + Send>>,
    /// Stdout as the engine delivers it: chunks do not follow line breaks.
    pub stdout: mpsc::Receiver<Bytes>,
    exec_id: String,
    killer: ExecKiller,
    /// Forwards the engine's multiplexed output; yields the tail of stderr when output ends.
    pump: Option<JoinHandle<Vec<u8>>>,
    stderr_tail: Vec<u8>,
}

/// Kills one exec from anywhere (it can be cloned away from the task reading the output).
#[derive(Clone, Debug)]
pub struct ExecKiller {
    docker: Docker,
    container: String,
    pid_file: String,
    user: Option<UserSpec>,
}

impl std::fmt::Debug for ExecProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecProcess")
            .field("exec_id", &self.exec_id)
            .field("killer", &self.killer)
            .finish_non_exhaustive()
    }
}

impl ExecProcess {
    /// Waits until the process has exited and returns its exit code. A non-zero exit code is a
    /// result, not an error (137 after `kill`).
    pub async fn wait(&mut self) -> Result<i64, DockerError> {
        if let Some(pump) = self.pump.take() {
            self.stderr_tail = pump.await.unwrap_or_default();
        }
        let api = self.killer.docker.api().await?;
        loop {
            let inspected = api
                .inspect_exec(&self.exec_id)
                .await
                .map_err(|e| translate(e, None))?;
            if inspected.running != Some(true) {
                return inspected.exit_code.ok_or_else(|| {
                    DockerError::Unexpected(anyhow::anyhow!(
                        "exec {} ended without an exit code",
                        self.exec_id
                    ))
                });
            }
            tokio::time::sleep(EXIT_POLL).await;
        }
    }

    /// The last part of what the process wrote to stderr; complete once `wait` has returned.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr_tail).into_owned()
    }

    /// Kills the process (and its process group) at once.
    pub async fn kill(&self) -> Result<(), DockerError> {
        self.killer.kill().await
    }

    /// A handle that kills this process, for another task.
    pub fn killer(&self) -> ExecKiller {
        self.killer.clone()
    }
}

impl ExecKiller {
    /// Sends SIGKILL to the process group of the exec. Killing a process that already ended is fine.
    pub async fn kill(&self) -> Result<(), DockerError> {
        let spec = ExecSpec {
            cmd: vec![
                "sh".to_owned(),
                "-c".to_owned(),
                kill_script(&self.pid_file),
            ],
            env: Vec::new(),
            user: self.user,
            working_dir: None,
        };
        let api = self.docker.api().await?;
        let created = api
            .create_exec(&self.container, exec_config(&spec, false))
            .await
            .map_err(|e| {
                translate(
                    e,
                    Some(DockerError::ContainerMissing {
                        container: self.container.clone(),
                    }),
                )
            })?;
        let started = api
            .start_exec(&created.id, Some(attached()))
            .await
            .map_err(|e| translate(e, None))?;
        if let StartExecResults::Attached { mut output, .. } = started {
            // The kill script ends as soon as the signal is sent; its output is only the end marker.
            while output.next().await.is_some() {}
        }
        Ok(())
    }
}

impl Docker {
    /// Starts `spec` in a running container, attached to its stdin, stdout and stderr.
    pub async fn exec(&self, container: &str, spec: &ExecSpec) -> Result<ExecProcess, DockerError> {
        let pid_file = format!("/tmp/agentyard-exec-{}.pid", uuid::Uuid::new_v4().simple());
        let wrapped = ExecSpec {
            cmd: wrapped_command(&pid_file, &spec.cmd),
            ..spec.clone()
        };
        let missing = || DockerError::ContainerMissing {
            container: container.to_owned(),
        };
        let api = self.api().await?;
        let created = api
            .create_exec(container, exec_config(&wrapped, true))
            .await
            .map_err(|e| translate(e, Some(missing())))?;
        let started = api
            .start_exec(&created.id, Some(attached()))
            .await
            .map_err(|e| translate(e, None))?;
        let StartExecResults::Attached { output, input } = started else {
            return Err(DockerError::Unexpected(anyhow::anyhow!(
                "the engine started exec {} detached",
                created.id
            )));
        };
        let (stdout_sender, stdout) = mpsc::channel(STDOUT_CHUNKS);
        let pump = tokio::spawn(pump(output, stdout_sender));
        Ok(ExecProcess {
            stdin: input,
            stdout,
            exec_id: created.id,
            killer: ExecKiller {
                docker: self.clone(),
                container: container.to_owned(),
                pid_file,
                user: spec.user,
            },
            pump: Some(pump),
            stderr_tail: Vec::new(),
        })
    }
}

fn attached() -> StartExecOptions {
    StartExecOptions {
        detach: false,
        tty: false,
        output_capacity: None,
    }
}

/// The create-exec body: attached to all three streams, no TTY (stdout must stay a clean byte stream).
fn exec_config(spec: &ExecSpec, attach_stdin: bool) -> ExecConfig {
    ExecConfig {
        attach_stdin: Some(attach_stdin),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(false),
        privileged: Some(false),
        cmd: Some(spec.cmd.clone()),
        env: Some(
            spec.env
                .iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect(),
        ),
        user: spec.user.map(|user| user.to_string()),
        working_dir: spec
            .working_dir
            .as_ref()
            .map(|dir| dir.display().to_string()),
        ..Default::default()
    }
}

/// `cmd` behind a shell that records its pid, then becomes `cmd` (same pid, same process group:
/// an exec'd process leads its own group, so killing the group also ends what it started).
fn wrapped_command(pid_file: &str, cmd: &[String]) -> Vec<String> {
    let mut wrapped = vec![
        "sh".to_owned(),
        "-c".to_owned(),
        format!("echo $$ > {pid_file} && exec \"$@\""),
        "sh".to_owned(),
    ];
    wrapped.extend(cmd.iter().cloned());
    wrapped
}

/// Waits briefly for the pid file (a kill right after start may race the wrapper), then kills the
/// process group, or the process alone when it does not lead one.
fn kill_script(pid_file: &str) -> String {
    format!(
        "i=0; while [ ! -s {pid_file} ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i+1)); done; \
         pid=$(cat {pid_file} 2>/dev/null) || exit 0; \
         kill -KILL -$pid 2>/dev/null || kill -KILL $pid 2>/dev/null; exit 0"
    )
}

/// Forwards stdout chunks to the reader and keeps the tail of stderr, until the output ends.
async fn pump(
    mut output: Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>,
    stdout: mpsc::Sender<Bytes>,
) -> Vec<u8> {
    let mut stderr_tail = Vec::new();
    let mut reader_gone = false;
    while let Some(chunk) = output.next().await {
        match chunk {
            Ok(LogOutput::StdOut { message } | LogOutput::Console { message }) => {
                // Once the reader is gone, keep draining so the process never blocks on a full pipe.
                if !reader_gone && stdout.send(message).await.is_err() {
                    reader_gone = true;
                }
            }
            Ok(LogOutput::StdErr { message }) => {
                tracing::debug!(stderr = %String::from_utf8_lossy(&message), "exec stderr");
                stderr_tail.extend_from_slice(&message);
                let excess = stderr_tail.len().saturating_sub(STDERR_TAIL_BYTES);
                stderr_tail.drain(..excess);
            }
            Ok(LogOutput::StdIn { .. }) => {}
            Err(error) => {
                tracing::warn!(%error, "exec output stream ended with an error");
                break;
            }
        }
    }
    stderr_tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_wrapped_to_record_their_pid_and_keep_their_arguments() {
        let cmd = vec![
            "claude".to_owned(),
            "-p".to_owned(),
            "it's \"quoted\"".to_owned(),
        ];
        let wrapped = wrapped_command("/tmp/agentyard-exec-1.pid", &cmd);
        assert_eq!(wrapped[..2], ["sh", "-c"]);
        assert_eq!(
            wrapped[2],
            "echo $$ > /tmp/agentyard-exec-1.pid && exec \"$@\""
        );
        assert_eq!(wrapped[3], "sh");
        assert_eq!(wrapped[4..], cmd[..]);
    }

    #[test]
    fn the_kill_script_signals_the_process_group_named_in_the_pid_file() {
        let script = kill_script("/tmp/agentyard-exec-1.pid");
        assert!(script.contains("cat /tmp/agentyard-exec-1.pid"));
        assert!(script.contains("kill -KILL -$pid"));
    }

    #[test]
    fn execs_attach_every_stream_without_a_tty() {
        let spec = ExecSpec {
            cmd: vec!["true".to_owned()],
            env: vec![("A".to_owned(), "1".to_owned())],
            user: Some(UserSpec {
                uid: 1000,
                gid: 1000,
            }),
            working_dir: Some("/workspace".into()),
        };
        let config = exec_config(&spec, true);
        assert_eq!(
            (
                config.attach_stdin,
                config.attach_stdout,
                config.attach_stderr
            ),
            (Some(true), Some(true), Some(true))
        );
        assert_eq!(config.tty, Some(false));
        assert_eq!(config.privileged, Some(false));
        assert_eq!(config.env, Some(vec!["A=1".to_owned()]));
        assert_eq!(config.user.as_deref(), Some("1000:1000"));
        assert_eq!(config.working_dir.as_deref(), Some("/workspace"));
    }

    #[test]
    fn an_exec_without_a_user_runs_as_the_container_user() {
        assert_eq!(exec_config(&ExecSpec::default(), true).user, None);
    }
}
