//! Previews: a session's dev server (its project's `dev_script`), run apart from turns in the
//! session's container (or, in local mode, in its work path), and the address `server` proxies
//! `/preview/<session>/` to.
//!
//! The platform keeps the last [`LOG_TAIL_BYTES`] of the script's output and the port it serves:
//! the project's `dev_port`, else the first port the output names. Both are the agent's to write
//! (it controls the script's files), so neither is trusted for more than it is: the address is
//! always the session's own container (or loopback, where the agent already runs on this machine),
//! whatever port is named.

use crate::runtime::{AgentProcess, DevServerLaunch, Killer};
use crate::{Engine, EngineError};
use domain::{RunState, Session, SessionId, SessionStatus};
use futures::StreamExt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How much of the dev server's output is kept: its recent log, not a history.
pub const LOG_TAIL_BYTES: usize = 64 * 1024;

/// The longest line the port is looked for in; a longer one is only logged.
const PORT_LINE_BYTES: usize = 4096;

/// How long a preview's start waits for the session's warm-up (its work path, container and agent).
const WARM_UP_TIMEOUT: Duration = Duration::from_secs(120);
/// How often the warm-up's end is looked for.
const WARM_UP_POLL: Duration = Duration::from_millis(200);

/// What `GET /api/sessions/{id}/preview` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviewStatus {
    pub running: bool,
    /// The port the dev server serves, once known.
    pub port: Option<u16>,
    /// The last part of the script's output (stdout and stderr together).
    pub log_tail: String,
}

/// One run of a session's dev server.
pub(crate) struct Preview {
    killer: Arc<dyn Killer>,
    /// Output, port and whether it still runs. A std mutex: held only to read or append, never
    /// across an await.
    state: Mutex<PreviewState>,
}

#[derive(Default)]
struct PreviewState {
    running: bool,
    port: Option<u16>,
    log: Vec<u8>,
    /// The unfinished last line, looked at for the port until it ends.
    line: Vec<u8>,
}

impl PreviewState {
    fn append(&mut self, chunk: &[u8]) {
        self.log.extend_from_slice(chunk);
        let excess = self.log.len().saturating_sub(LOG_TAIL_BYTES);
        self.log.drain(..excess);
        if self.port.is_some() {
            return;
        }
        for byte in chunk {
            if *byte == b'\n' {
                self.port = port_in_output(&String::from_utf8_lossy(&self.line));
                self.line.clear();
                if self.port.is_some() {
                    return;
                }
            } else if self.line.len() < PORT_LINE_BYTES {
                self.line.push(*byte);
            }
        }
    }
}

impl Engine {
    /// Starts the project's dev script for the session, apart from any turn; a no-op while it
    /// runs. The session is warmed up first (`Engine::warm`: its work path, container and agent, as
    /// before a first message) and waited for, up to [`WARM_UP_TIMEOUT`]. Refused when the project
    /// has none, the session is done or could not be started, and on `AGENT_NETWORK=none`.
    pub async fn start_preview(&self, id: SessionId) -> Result<(), EngineError> {
        let session = self.session(id).await?;
        if session.status == SessionStatus::Done {
            return Err(EngineError::Conflict(
                "the session is done; move it back to another column to preview it".to_owned(),
            ));
        }
        let project = self.project(session.project_id).await?;
        let Some(script) = project.dev_script.clone() else {
            return Err(EngineError::refused(
                "no_dev_script",
                format!(
                    "project `{}` has no dev script; set one (and its port) in the project's settings",
                    project.name
                ),
            ));
        };
        if self
            .preview_run(id)
            .is_some_and(|preview| preview.is_running())
        {
            return Ok(());
        }
        let session = self.warmed_up(id).await?;
        // Where a session works is decided as its turns decide it (main checkout or a worktree of
        // its own); a preview runs there and never decides it.
        let work_path = match &session.worktree_path {
            Some(worktree) => worktree.clone(),
            None if self.works_in_main_checkout(&session) => project.path.clone(),
            None => return Err(not_started()),
        };
        self.runtime().ready().await?;
        let env = project
            .dev_port
            .map(|port| vec![("PORT".to_owned(), port.to_string())])
            .unwrap_or_default();
        let process = self
            .runtime()
            .start_dev_server(DevServerLaunch {
                session: id,
                work_path,
                home: self.session_state_dir(id).join("home"),
                script,
                env,
            })
            .await
            .map_err(|error| match error {
                // Warming up did not leave a container (its failure is the first message's to report).
                EngineError::Refused {
                    code: "session_not_started",
                    ..
                } => not_started(),
                other => other,
            })?;
        let preview = Arc::new(Preview {
            killer: process.killer.clone(),
            state: Mutex::new(PreviewState {
                running: true,
                port: project.dev_port,
                ..PreviewState::default()
            }),
        });
        let raced = {
            let mut previews = self.inner.previews.lock().expect("previews lock");
            if previews.get(&id).is_some_and(|other| other.is_running()) {
                true
            } else {
                // A run of before has ended: only its log is replaced.
                previews.insert(id, preview.clone());
                false
            }
        };
        if raced {
            // Another start of the same session won the race: one dev server per session.
            process.killer.kill().await?;
            return Ok(());
        }
        tokio::spawn(follow(id, preview, process));
        Ok(())
    }

    /// Warms the session up and waits until it is no longer `starting`: then its work path is
    /// decided and (in docker mode) its container runs, unless warming up failed.
    async fn warmed_up(&self, id: SessionId) -> Result<Session, EngineError> {
        self.warm(id).await?;
        let deadline = tokio::time::Instant::now() + WARM_UP_TIMEOUT;
        loop {
            let session = self.session(id).await?;
            if session.run_state != RunState::Starting {
                return Ok(session);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(EngineError::refused(
                    "session_not_started",
                    format!(
                        "the session is still starting after {} s; start the preview again once it has started",
                        WARM_UP_TIMEOUT.as_secs()
                    ),
                ));
            }
            tokio::time::sleep(WARM_UP_POLL).await;
        }
    }

    /// Whether the session works in its project's main checkout: read-only, or a writer that has
    /// claimed it (by a turn or a warm-up).
    fn works_in_main_checkout(&self, session: &Session) -> bool {
        !session.mode.writes()
            || session.cc_session_id.is_some()
            || self
                .inner
                .main_checkout_claims
                .lock()
                .expect("claims lock")
                .contains(&session.id)
    }

    /// Stops the session's dev server (its whole process group); its log stays readable.
    /// Stopping none is fine.
    pub async fn stop_preview(&self, id: SessionId) -> Result<(), EngineError> {
        self.session(id).await?;
        match self.preview_run(id) {
            Some(preview) => preview.stop().await,
            None => Ok(()),
        }
    }

    /// Stops and forgets the dev server, if any, of a session that is ending.
    pub(crate) async fn end_preview(&self, id: SessionId) -> Result<(), EngineError> {
        let removed = self
            .inner
            .previews
            .lock()
            .expect("previews lock")
            .remove(&id);
        match removed {
            Some(preview) => preview.stop().await,
            None => Ok(()),
        }
    }

    /// The session's preview: whether it runs, its port, the end of its log.
    pub async fn preview(&self, id: SessionId) -> Result<PreviewStatus, EngineError> {
        self.session(id).await?;
        Ok(match self.preview_run(id) {
            Some(preview) => {
                let state = preview.state.lock().expect("preview lock");
                PreviewStatus {
                    running: state.running,
                    port: state.port,
                    log_tail: String::from_utf8_lossy(&state.log).into_owned(),
                }
            }
            None => PreviewStatus {
                running: false,
                port: None,
                log_tail: String::new(),
            },
        })
    }

    /// Where `server` sends a request for the session's preview: its dev server's port in the
    /// session's own container (or loopback). Refused when no preview runs or its port is not
    /// known yet.
    pub async fn preview_target(&self, id: SessionId) -> Result<SocketAddr, EngineError> {
        let port = match self.preview_run(id) {
            Some(preview) => {
                let state = preview.state.lock().expect("preview lock");
                if !state.running {
                    return Err(no_preview(id));
                }
                state.port.ok_or_else(|| {
                    EngineError::refused(
                        "preview_port_unknown",
                        "the dev server has not said which port it serves; set dev_port in the project's settings",
                    )
                })?
            }
            None => {
                // Unknown sessions are told apart from sessions without a preview.
                self.session(id).await?;
                return Err(no_preview(id));
            }
        };
        self.runtime().dev_server_address(id, port).await
    }

    /// Whether the session's dev server runs (its container is then not released for idleness).
    pub(crate) fn preview_running(&self, id: SessionId) -> bool {
        self.preview_run(id)
            .is_some_and(|preview| preview.is_running())
    }

    fn preview_run(&self, id: SessionId) -> Option<Arc<Preview>> {
        self.inner
            .previews
            .lock()
            .expect("previews lock")
            .get(&id)
            .cloned()
    }
}

impl Preview {
    fn is_running(&self) -> bool {
        self.state.lock().expect("preview lock").running
    }

    async fn stop(&self) -> Result<(), EngineError> {
        if self.is_running() {
            self.killer.kill().await?;
            self.state.lock().expect("preview lock").running = false;
        }
        Ok(())
    }
}

fn not_started() -> EngineError {
    EngineError::refused(
        "session_not_started",
        "the session's container did not start (warming the session up failed); send the session a message to see why, then start the preview",
    )
}

fn no_preview(id: SessionId) -> EngineError {
    EngineError::refused(
        "preview_not_running",
        format!("session {id} has no preview running; start it from the session's Preview tab"),
    )
}

/// Keeps the dev server's output until it ends, then records how it ended.
async fn follow(id: SessionId, preview: Arc<Preview>, process: AgentProcess) {
    let AgentProcess {
        mut stdout, exit, ..
    } = process;
    let read = async {
        while let Some(chunk) = stdout.next().await {
            preview.state.lock().expect("preview lock").append(&chunk);
        }
    };
    // Both at once: in local mode the kill is carried out by the exit future.
    let ((), exit) = tokio::join!(read, exit);
    let ending = match exit {
        Ok(exit) => format!("\n[the dev server exited with code {}]\n", exit.code),
        Err(error) => format!("\n[the dev server ended: {error}]\n"),
    };
    tracing::info!(session = %id, ending = ending.trim(), "preview ended");
    let mut state = preview.state.lock().expect("preview lock");
    state.append(ending.as_bytes());
    state.running = false;
}

/// The first port a line of a dev server's output names: in a URL (`http://host:PORT`), after
/// `localhost:`, or as `port PORT`. Colour codes are ignored.
pub fn port_in_output(line: &str) -> Option<u16> {
    let text = without_escapes(line).to_ascii_lowercase();
    let mut best: Option<(usize, u16)> = None;
    let mut consider = |at: usize, digits: &str| {
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        if let Ok(port) = digits[..end].parse::<u16>()
            && port != 0
            && best.is_none_or(|(first, _)| at < first)
        {
            best = Some((at, port));
        }
    };
    for (at, _) in text.match_indices("://") {
        let rest = &text[at + 3..];
        let host_end = rest
            .find(|c: char| c == '/' || c.is_whitespace())
            .unwrap_or(rest.len());
        let host = &rest[..host_end];
        // The port follows the last colon of the authority (an IPv6 host is in brackets).
        if let Some(colon) = host
            .rfind(':')
            .filter(|colon| !host[*colon..].contains(']'))
        {
            consider(at, &host[colon + 1..]);
        }
    }
    for (at, _) in text.match_indices("localhost:") {
        consider(at, &text[at + "localhost:".len()..]);
    }
    for (at, _) in text.match_indices("port ") {
        consider(at, &text[at + "port ".len()..]);
    }
    best.map(|(_, port)| port)
}

/// `line` without ANSI escape sequences (`ESC [ … letter`).
fn without_escapes(line: &str) -> String {
    let mut text = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            text.push(c);
            continue;
        }
        if chars.next() == Some('[') {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_is_read_from_what_common_dev_servers_print() {
        assert_eq!(
            port_in_output("Serving HTTP on 0.0.0.0 port 8000 (http://0.0.0.0:8000/) ..."),
            Some(8000)
        );
        assert_eq!(
            port_in_output(
                "  \u{1b}[32m➜\u{1b}[39m  \u{1b}[1mLocal\u{1b}[22m:   \u{1b}[36mhttp://localhost:\u{1b}[1m5173\u{1b}[22m/\u{1b}[39m"
            ),
            Some(5173)
        );
        assert_eq!(port_in_output("ready on localhost:3000"), Some(3000));
        assert_eq!(
            port_in_output("Listening on https://[::1]:8443/app"),
            Some(8443)
        );
    }

    #[test]
    fn the_first_port_named_wins_and_lines_without_one_give_none() {
        assert_eq!(
            port_in_output("port 4000, also at http://127.0.0.1:5000/"),
            Some(4000)
        );
        assert_eq!(port_in_output("compiling 12 modules"), None);
        assert_eq!(port_in_output("http://example.test/ has no port"), None);
        assert_eq!(port_in_output("port 99999"), None);
    }

    #[test]
    fn the_log_keeps_its_tail_and_the_port_once_a_line_names_it() {
        let mut state = PreviewState::default();
        state.append(b"starting\nServing on port ");
        assert_eq!(state.port, None);
        state.append(b"8123\nnext line port 9\n");
        assert_eq!(state.port, Some(8123));
        state.append(&vec![b'x'; LOG_TAIL_BYTES]);
        assert_eq!(state.log.len(), LOG_TAIL_BYTES);
    }
}
