//! Sessions ready to work: the ignored files copied into a new worktree, and the project's setup
//! script, run once per session before its first turn.
//!
//! The script runs where the agent runs and as the agent: an exec as the agent's user in the
//! session's container (docker mode), or `sh -c` in the work path (local mode), with the
//! environment the agent's turn gets: behind the model proxy that is the placeholder key, never
//! the platform's model credentials. Its output and exit
//! code are the agent's territory: kept as bounded, untrusted text (the last
//! [`MAX_SETUP_OUTPUT_BYTES`]), shown to the user, never parsed or acted upon beyond "0 or not".
//! A failed setup refuses the session's turns (`setup_failed`) until the user retries it or goes
//! on without it.

use crate::runtime::{Launch, WorkspaceAccess};
use crate::{Engine, EngineError, EngineEvent};
use domain::{
    Agent, CopyRefusal, CopyReport, ImageChoice, Project, Session, SessionId, SessionSetup,
    SetupState, resolve_image,
};
use futures::StreamExt;
use std::path::Path;
use std::time::Duration;

/// How much of a setup script's output is kept: its last MiB.
pub const MAX_SETUP_OUTPUT_BYTES: usize = 1024 * 1024;

/// How long a setup script may run before it is stopped and counted as failed.
const SETUP_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// How often the output of a running script is saved, so a browser that reconnects sees it.
const SAVE_EVERY: Duration = Duration::from_secs(1);

/// What the user decided about a failed setup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupAction {
    /// Run the script again before the session's next turn.
    Retry,
    /// Go on without it: turns are no longer refused.
    Skip,
}

impl Engine {
    /// The session's setup; `None` when nothing was copied for it and no script ran.
    pub async fn session_setup(&self, id: SessionId) -> Result<Option<SessionSetup>, EngineError> {
        self.session(id).await?;
        Ok(self.store().session_setup(id).await?)
    }

    /// Retries the session's failed (or skipped) setup before its next turn, or goes on without it.
    pub async fn setup_action(
        &self,
        id: SessionId,
        action: SetupAction,
    ) -> Result<SessionSetup, EngineError> {
        self.session(id).await?;
        let (from, to, refusal): (&[SetupState], _, _) = match action {
            SetupAction::Retry => (
                &[SetupState::Failed, SetupState::Skipped],
                SetupState::Pending,
                "only a failed or skipped setup can be retried",
            ),
            SetupAction::Skip => (
                &[SetupState::Failed, SetupState::Pending],
                SetupState::Skipped,
                "only a failed or pending setup can be skipped",
            ),
        };
        let changed = self.store().change_setup_state(id, from, to).await?;
        let Some(setup) = changed else {
            let now = match self.store().session_setup(id).await? {
                Some(setup) => format!("it is {}", setup.state),
                None => "the session has no setup".to_owned(),
            };
            return Err(EngineError::Conflict(format!(
                "{refusal}; {now}. Reload the session to see where its setup stands"
            )));
        };
        self.emit(EngineEvent::Setup(Box::new(setup.clone())));
        if action == SetupAction::Retry {
            // A retry runs the script now: a warm-up does what a first turn does before the
            // message, setup included. When it cannot start, the next message runs the script.
            if let Err(error) = self.warm(id).await {
                tracing::info!(session = %id, %error, "the retried setup waits for the next message");
            }
        }
        Ok(setup)
    }

    /// Copies the ignored files the project names (`copy_files`, `.worktreeinclude`) from its main
    /// checkout into the session's new worktree, and records what was copied and refused in the
    /// session. A failure is reported there too: it never stops the session.
    pub(crate) async fn copy_included_files(
        &self,
        session: SessionId,
        project: &Project,
        worktree: &Path,
    ) {
        let report = match git::copy_included(&project.path, worktree, &project.copy_files).await {
            Ok(report) => report,
            Err(error) => CopyReport {
                copied: Vec::new(),
                refused: vec![CopyRefusal {
                    path: ".".to_owned(),
                    reason: format!("the files to copy could not be listed: {error}"),
                }],
            },
        };
        if report.is_empty() {
            return;
        }
        if !report.refused.is_empty() {
            tracing::warn!(session = %session, refused = ?report.refused, "files not copied into the worktree");
        }
        match self.store().save_copy_report(session, &report).await {
            Ok(setup) => self.emit(EngineEvent::Setup(Box::new(setup))),
            Err(error) => {
                tracing::warn!(session = %session, %error, "could not record the copied files")
            }
        }
    }

    /// Runs the project's setup script in the session's work path unless it ran already: once per
    /// session, before its first turn (or again after a retry). A failed setup refuses the turn.
    /// Explore sessions (read-only) and sessions that had turns before the project got a script
    /// are left as they are.
    pub(crate) async fn ensure_setup(
        &self,
        session: &Session,
        project: &Project,
        agent: &Agent,
        work_path: &Path,
        access: &WorkspaceAccess,
    ) -> Result<(), EngineError> {
        if *access == WorkspaceAccess::ReadOnly {
            return Ok(());
        }
        let current = self.store().session_setup(session.id).await?;
        match current.as_ref().map(|setup| setup.state) {
            Some(SetupState::Succeeded | SetupState::Skipped) => return Ok(()),
            Some(SetupState::Failed) => return Err(setup_failed(session.id, current.as_ref())),
            None if session.cc_session_id.is_some() => return Ok(()),
            None | Some(SetupState::Pending | SetupState::Running) => {}
        }
        let script = project
            .setup_script
            .as_deref()
            .filter(|script| !script.trim().is_empty());
        let Some(script) = script else {
            if current.is_some() {
                let setup = self
                    .store()
                    .save_setup_run(session.id, SetupState::Succeeded, None, "")
                    .await?;
                self.emit(EngineEvent::Setup(Box::new(setup)));
            }
            return Ok(());
        };
        let launch = self
            .setup_launch(session, project, agent, work_path, access, script)
            .await?;
        let setup = self.run_setup(session.id, launch).await?;
        match setup.state {
            SetupState::Succeeded => Ok(()),
            _ => Err(setup_failed(session.id, Some(&setup))),
        }
    }

    /// The script as a process of the session's runtime: `sh -c` with stderr joined to stdout, the
    /// agent's environment without the platform's model credentials, in the session's container.
    async fn setup_launch(
        &self,
        session: &Session,
        project: &Project,
        agent: &Agent,
        work_path: &Path,
        access: &WorkspaceAccess,
        script: &str,
    ) -> Result<Launch, EngineError> {
        let config = self.config();
        let image = resolve_image(ImageChoice {
            explicit: session.docker_image.as_deref(),
            agent: agent.docker_image.as_deref(),
            project: project.agent_image.as_deref(),
            configured_default: Some(config.default_image.as_str()),
        })
        .map_err(|error| EngineError::invalid("invalid_image", error.to_string()))?;
        // The same runtime directory as the turn's, so the turn reuses the container setup made.
        let endpoint = self.open_endpoint(session.id).await?;
        // The agent's own environment, as its turn gets it: in docker mode the container keeps the
        // environment it was created with, and the turn runs in the container made here.
        let env = self
            .behind_model_proxy(
                endpoint.as_ref(),
                crate::model_proxy::AgentCommandLine {
                    program: String::new(),
                    args: Vec::new(),
                    env: config.agent_env.clone(),
                },
            )
            .env;
        let home = self.session_state_dir(session.id).join("home");
        crate::credentials::remove_stale_copy(&home);
        Ok(Launch {
            session: session.id,
            project: project.id,
            work_path: work_path.to_path_buf(),
            project_dir: project.path.clone(),
            access: access.clone(),
            home,
            image,
            program: "sh".to_owned(),
            args: vec![
                "-c".to_owned(),
                r#"exec 2>&1; eval "$1""#.to_owned(),
                "agentyard-setup".to_owned(),
                script.to_owned(),
            ],
            env,
            runtime_dir: endpoint.map(|endpoint| endpoint.dir),
        })
    }

    /// Runs the script to its end (or [`SETUP_TIMEOUT`]), streaming its output to the session and
    /// saving it as it goes; returns the setup as finally recorded.
    async fn run_setup(&self, id: SessionId, launch: Launch) -> Result<SessionSetup, EngineError> {
        let running = self
            .store()
            .save_setup_run(id, SetupState::Running, None, "")
            .await?;
        self.emit(EngineEvent::Setup(Box::new(running)));
        let mut output = Output::default();
        let mut process = match self.runtime().start(launch).await {
            Ok(process) => process,
            Err(error) => {
                output.push(
                    format!("[agentyard] the setup script could not start: {error}\n").as_bytes(),
                );
                return self
                    .finish_setup(id, SetupState::Failed, None, &output)
                    .await;
            }
        };
        // The script reads nothing: its stdin ends at once.
        drop(std::mem::replace(
            &mut process.stdin,
            Box::pin(tokio::io::sink()),
        ));
        let deadline = tokio::time::Instant::now() + SETUP_TIMEOUT;
        let mut saved_at = tokio::time::Instant::now();
        let mut timed_out = false;
        loop {
            let chunk = match tokio::time::timeout_at(deadline, process.stdout.next()).await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(_) => {
                    timed_out = true;
                    let _ = process.killer.kill().await;
                    break;
                }
            };
            let text = output.push(&chunk);
            if !text.is_empty() {
                self.emit(EngineEvent::SetupOutput { session: id, text });
            }
            if saved_at.elapsed() >= SAVE_EVERY {
                saved_at = tokio::time::Instant::now();
                self.store()
                    .save_setup_run(id, SetupState::Running, None, &output.text())
                    .await?;
            }
        }
        let exit = tokio::time::timeout(Duration::from_secs(10), process.exit).await;
        let code = match exit {
            Ok(Ok(exit)) => Some(exit.code),
            Ok(Err(error)) => {
                output.push(
                    format!("\n[agentyard] the setup script's end was not seen: {error}\n")
                        .as_bytes(),
                );
                None
            }
            Err(_) => None,
        };
        if timed_out {
            output.push(
                format!(
                    "\n[agentyard] the setup script ran longer than {} minutes and was stopped\n",
                    SETUP_TIMEOUT.as_secs() / 60
                )
                .as_bytes(),
            );
        }
        let state = if !timed_out && code == Some(0) {
            SetupState::Succeeded
        } else {
            SetupState::Failed
        };
        self.finish_setup(id, state, code, &output).await
    }

    async fn finish_setup(
        &self,
        id: SessionId,
        state: SetupState,
        code: Option<i64>,
        output: &Output,
    ) -> Result<SessionSetup, EngineError> {
        let setup = self
            .store()
            .save_setup_run(id, state, code, &output.text())
            .await?;
        self.emit(EngineEvent::Setup(Box::new(setup.clone())));
        Ok(setup)
    }
}

fn setup_failed(id: SessionId, setup: Option<&SessionSetup>) -> EngineError {
    let how = match setup.and_then(|setup| setup.exit_code) {
        Some(code) => format!("exited with code {code}"),
        None => "did not finish".to_owned(),
    };
    EngineError::Invalid {
        code: "setup_failed",
        message: format!(
            "the project's setup script {how} in this session, so the agent was not started; its output is shown in the session"
        ),
        remediation: Some(format!(
            "fix the setup script in the project's settings and retry it (POST /api/sessions/{id}/setup {{\"action\":\"retry\"}}), or go on without it ({{\"action\":\"skip\"}}), then send the message again"
        )),
    }
}

/// A script's output as it arrives: decoded as UTF-8 across chunk boundaries, with only the last
/// [`MAX_SETUP_OUTPUT_BYTES`] kept.
#[derive(Default)]
struct Output {
    kept: String,
    /// The start of a character split across chunks.
    partial: Vec<u8>,
    dropped: bool,
}

impl Output {
    /// Adds a chunk; returns the text it completes.
    fn push(&mut self, chunk: &[u8]) -> String {
        self.partial.extend_from_slice(chunk);
        let complete = match std::str::from_utf8(&self.partial) {
            Ok(_) => self.partial.len(),
            // An incomplete character at the end waits for the next chunk; anything else invalid
            // is replaced.
            Err(error) if error.error_len().is_none() => error.valid_up_to(),
            Err(_) => self.partial.len(),
        };
        let rest = self.partial.split_off(complete);
        let text = String::from_utf8_lossy(&self.partial).into_owned();
        self.partial = rest;
        self.kept.push_str(&text);
        if self.kept.len() > MAX_SETUP_OUTPUT_BYTES {
            let mut cut = self.kept.len() - MAX_SETUP_OUTPUT_BYTES;
            while !self.kept.is_char_boundary(cut) {
                cut += 1;
            }
            self.kept.drain(..cut);
            self.dropped = true;
        }
        text
    }

    fn text(&self) -> String {
        if self.dropped {
            format!(
                "[agentyard] earlier output was dropped; the last {} KiB are kept\n{}",
                MAX_SETUP_OUTPUT_BYTES / 1024,
                self.kept
            )
        } else {
            self.kept.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_split_across_chunks_arrives_whole() {
        let mut output = Output::default();
        let bytes = "é".as_bytes();
        assert_eq!(output.push(&bytes[..1]), "");
        assert_eq!(output.push(&bytes[1..]), "é");
        assert_eq!(output.text(), "é");
    }

    #[test]
    fn only_the_last_mebibyte_of_output_is_kept() {
        let mut output = Output::default();
        output.push(&vec![b'a'; MAX_SETUP_OUTPUT_BYTES]);
        output.push(b"the end");
        let text = output.text();
        assert!(text.starts_with("[agentyard] earlier output was dropped"));
        assert!(text.ends_with("the end"));
        assert!(text.len() < MAX_SETUP_OUTPUT_BYTES + 100);
    }
}
