//! Processes run inside a session container with `docker exec`: one per agent turn.
//!
//! Docker has no API to kill an exec, so every command is wrapped in a shell that prints its pid
//! on stderr, then becomes the command. The platform reads that first line before the command
//! runs and keeps the pid in its own memory: nothing the agent can write inside the container
//! (files in `/tmp`, its later stderr) changes which process `kill` signals. `kill` is a second
//! exec, as the same user, that signals that pid's process group; `kill_container` is the last
//! resort when something the agent started outlives its group and holds the output open.

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
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::client::Docker;
use crate::error::{DockerError, translate};

/// Stdout chunks buffered between the engine and a slow reader before the process is slowed down.
const STDOUT_CHUNKS: usize = 256;
/// How much of the end of stderr is kept for the error message of a failed turn.
const STDERR_TAIL_BYTES: usize = 64 * 1024;
/// How often `wait` asks the engine whether a process whose output has ended has exited.
const EXIT_POLL: Duration = Duration::from_millis(50);
/// What the wrapper prints on stderr, followed by its pid, before the command starts.
const PID_MARKER: &str = "agentyard-exec-pid ";
/// How long a kill right after start waits for the wrapper's pid line.
const PID_WAIT: Duration = Duration::from_secs(2);

/// The pid of an exec inside its container, as the wrapper announced it: `None` while unknown,
/// `Some(None)` when the output ended or began without the announcement.
type PidSlot = Option<Option<u32>>;

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
    exec_id: String,
    /// The exec's pid in the container, read by the pump from the wrapper's first stderr line.
    pid: watch::Receiver<PidSlot>,
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
    /// Sends SIGKILL to the process group of the exec. Killing a process that already ended is
    /// fine. When the exec never announced its pid, the container is removed instead.
    pub async fn kill(&self) -> Result<(), DockerError> {
        let Some(pid) = self.pid().await else {
            tracing::warn!(container = %self.container, "an exec announced no pid; removing its container to end it");
            return self.kill_container().await;
        };
        self.signal(&kill_script(pid)).await
    }

    /// Sends SIGINT to the exec's process (not its group: the process decides how to stop what it
    /// started). Nothing happens when it already ended or never announced its pid.
    pub async fn interrupt(&self) -> Result<(), DockerError> {
        let Some(pid) = self.pid().await else {
            return Ok(());
        };
        self.signal(&format!("kill -INT {pid} 2>/dev/null; exit 0"))
            .await
    }

    /// Runs `script` (a `kill` of the exec's pid) beside the exec, while the exec still runs.
    async fn signal(&self, script: &str) -> Result<(), DockerError> {
        let api = self.docker.api().await?;
        // A pid is reused once its process has gone: signal it only while the exec still runs.
        match api.inspect_exec(&self.exec_id).await {
            Ok(inspected) if inspected.running != Some(true) => return Ok(()),
            _ => {}
        }
        let spec = ExecSpec {
            cmd: vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()],
            env: Vec::new(),
            user: self.user,
            working_dir: None,
        };
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
            // The script ends as soon as the signal is sent; its output is only the end marker.
            while output.next().await.is_some() {}
        }
        Ok(())
    }

    /// The last resort: removes the whole container, which ends every process in it whatever
    /// it did (left its process group, kept the output open). The runtime creates a new
    /// container for the session's next turn.
    pub async fn kill_container(&self) -> Result<(), DockerError> {
        self.docker.remove_container(&self.container).await
    }

    /// The exec's pid, waiting briefly for the wrapper to announce it.
    async fn pid(&self) -> Option<u32> {
        let mut pid = self.pid.clone();
        let announced = tokio::time::timeout(PID_WAIT, pid.wait_for(Option::is_some)).await;
        match announced {
            Ok(Ok(slot)) => slot.flatten(),
            _ => None,
        }
    }
}

impl Docker {
    /// Starts `spec` in a running container, attached to its stdin, stdout and stderr.
    pub async fn exec(&self, container: &str, spec: &ExecSpec) -> Result<ExecProcess, DockerError> {
        let wrapped = ExecSpec {
            cmd: wrapped_command(&spec.cmd),
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
        let (pid_sender, pid) = watch::channel(None);
        let pump = tokio::spawn(pump(output, stdout_sender, pid_sender));
        Ok(ExecProcess {
            stdin: input,
            stdout,
            exec_id: created.id.clone(),
            killer: ExecKiller {
                docker: self.clone(),
                container: container.to_owned(),
                exec_id: created.id,
                pid,
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

/// `cmd` behind a shell that announces its pid on stderr, then becomes `cmd` (same pid, same
/// process group: an exec'd process leads its own group, so killing the group also ends what it
/// started).
fn wrapped_command(cmd: &[String]) -> Vec<String> {
    let mut wrapped = vec![
        "sh".to_owned(),
        "-c".to_owned(),
        format!("echo \"{PID_MARKER}$$\" >&2 && exec \"$@\""),
        "sh".to_owned(),
    ];
    wrapped.extend(cmd.iter().cloned());
    wrapped
}

/// Kills the process group led by `pid`, or the process alone when it does not lead one. The
/// pid is the platform's own number, never text from the container.
fn kill_script(pid: u32) -> String {
    format!("kill -KILL -{pid} 2>/dev/null || kill -KILL {pid} 2>/dev/null; exit 0")
}

/// The pid in the wrapper's announcement line.
fn announced_pid(line: &[u8]) -> Option<u32> {
    std::str::from_utf8(line)
        .ok()?
        .trim_end_matches('\r')
        .strip_prefix(PID_MARKER)?
        .parse()
        .ok()
}

/// Reads the wrapper's announcement from the first stderr bytes: the first line, which the
/// wrapper writes before the command runs. Yields what follows it, for the stderr tail.
struct PidReader {
    line: Vec<u8>,
    sender: Option<watch::Sender<PidSlot>>,
}

impl PidReader {
    fn read<'a>(&mut self, message: &'a [u8]) -> &'a [u8] {
        let Some(sender) = &self.sender else {
            return message;
        };
        match message.iter().position(|byte| *byte == b'\n') {
            Some(end) => {
                self.line.extend_from_slice(&message[..end]);
                let _ = sender.send(Some(announced_pid(&self.line)));
                self.sender = None;
                &message[end + 1..]
            }
            None if self.line.len() + message.len() > 64 => {
                let _ = sender.send(Some(None));
                self.sender = None;
                message
            }
            None => {
                self.line.extend_from_slice(message);
                &[]
            }
        }
    }
}

impl Drop for PidReader {
    fn drop(&mut self) {
        if let Some(sender) = self.sender.take() {
            let _ = sender.send(Some(None));
        }
    }
}

/// Forwards stdout chunks to the reader and keeps the tail of stderr, until the output ends.
async fn pump(
    mut output: Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>,
    stdout: mpsc::Sender<Bytes>,
    pid: watch::Sender<PidSlot>,
) -> Vec<u8> {
    let mut pid = PidReader {
        line: Vec::new(),
        sender: Some(pid),
    };
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
                let message = pid.read(&message);
                if message.is_empty() {
                    continue;
                }
                tracing::debug!(stderr = %String::from_utf8_lossy(message), "exec stderr");
                stderr_tail.extend_from_slice(message);
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
    fn commands_are_wrapped_to_announce_their_pid_and_keep_their_arguments() {
        let cmd = vec![
            "claude".to_owned(),
            "-p".to_owned(),
            "it's \"quoted\"".to_owned(),
        ];
        let wrapped = wrapped_command(&cmd);
        assert_eq!(wrapped[..2], ["sh", "-c"]);
        assert_eq!(
            wrapped[2],
            "echo \"agentyard-exec-pid $$\" >&2 && exec \"$@\""
        );
        assert_eq!(wrapped[3], "sh");
        assert_eq!(wrapped[4..], cmd[..]);
    }

    #[test]
    fn the_kill_script_signals_the_process_group_of_the_known_pid() {
        let script = kill_script(42);
        assert!(script.contains("kill -KILL -42"), "{script}");
        assert!(!script.contains("/tmp"), "no file is read: {script}");
    }

    #[test]
    fn the_pid_comes_from_the_first_stderr_line_even_when_split() {
        let (sender, receiver) = watch::channel(None);
        let mut reader = PidReader {
            line: Vec::new(),
            sender: Some(sender),
        };
        assert!(reader.read(b"agentyard-exec-").is_empty());
        assert_eq!(reader.read(b"pid 57\nwarning: x\n"), b"warning: x\n");
        assert_eq!(*receiver.borrow(), Some(Some(57)));
        // What the command writes later cannot change it.
        assert_eq!(
            reader.read(b"agentyard-exec-pid 1\n"),
            b"agentyard-exec-pid 1\n"
        );
        assert_eq!(*receiver.borrow(), Some(Some(57)));
    }

    #[test]
    fn output_without_the_announcement_gives_no_pid() {
        let (sender, receiver) = watch::channel(None);
        let mut reader = PidReader {
            line: Vec::new(),
            sender: Some(sender),
        };
        reader.read(b"something else\n");
        assert_eq!(*receiver.borrow(), Some(None));
        let (sender, receiver) = watch::channel(None);
        drop(PidReader {
            line: Vec::new(),
            sender: Some(sender),
        });
        assert_eq!(*receiver.borrow(), Some(None), "an output that ended");
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
