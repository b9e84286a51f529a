//! Runs the real `claude` CLI against a scripted model: one process per turn, as the engine does.

use agent::{ClaudeCommand, Event, LineParser, ParsedEvent};
use scripted_model::{ScriptedModelHandle, claude_binary};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin};
use tokio::sync::mpsc;

/// How long one turn may take before the test fails instead of hanging.
pub const TURN_TIMEOUT: Duration = Duration::from_secs(60);

/// The CLI to test with, or `None` (with a note on stderr) when it is missing outside CI.
/// Under `CI=true` a missing CLI fails the test with the text that says how to install it.
pub fn claude_or_explain() -> Option<PathBuf> {
    cli_or_explain(claude_binary())
}

/// A pinned CLI found by `found`, or `None` (with a note on stderr) when it is missing outside
/// CI; under `CI=true` a missing CLI fails the test with the text that says how to install it.
pub fn cli_or_explain(found: Result<PathBuf, String>) -> Option<PathBuf> {
    match found {
        Ok(path) => Some(path),
        Err(problem) if std::env::var("CI").as_deref() == Ok("true") => panic!("{problem}"),
        Err(problem) => {
            eprintln!("not running this test against the real CLI: {problem}");
            None
        }
    }
}

/// A temp workspace and home shared by the turns of one conversation, so `--resume` finds
/// the first turn's `~/.claude`.
pub struct Sandbox {
    root: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let root = tempfile::tempdir().expect("a temp dir");
        std::fs::create_dir(root.path().join("workspace")).expect("a workspace dir");
        std::fs::create_dir(root.path().join("home")).expect("a home dir");
        Self { root }
    }

    pub fn workspace(&self) -> PathBuf {
        self.root.path().join("workspace")
    }

    fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }
}

/// One running `claude` process: its stdin, and its stdout as parsed events.
pub struct Turn {
    child: Child,
    stdin: Option<ChildStdin>,
    events: mpsc::UnboundedReceiver<ParsedEvent>,
    stderr: tokio::task::JoinHandle<String>,
}

impl Turn {
    /// Starts `claude` with `command`'s arguments in the sandbox's workspace and sends `message`.
    pub async fn start(
        claude: &Path,
        sandbox: &Sandbox,
        model: &ScriptedModelHandle,
        command: &ClaudeCommand,
        message: &str,
    ) -> Self {
        // A clean environment: nothing of the developer's own Claude setup may leak into the test.
        let mut child = tokio::process::Command::new(claude)
            .args(command.args())
            .current_dir(sandbox.workspace())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", sandbox.home())
            .env("ANTHROPIC_BASE_URL", model.base_url())
            .env("ANTHROPIC_API_KEY", "test-key")
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", claude.display()));
        let mut stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let (sender, events) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut parser = LineParser::new();
            let mut buffer = vec![0u8; 8192];
            loop {
                match stdout.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(read) => {
                        for event in parser
                            .push(&buffer[..read])
                            .expect("the CLI prints bounded lines")
                        {
                            let _ = sender.send(event);
                        }
                    }
                }
            }
            for event in parser.finish() {
                let _ = sender.send(event);
            }
        });
        let stderr = tokio::spawn(async move {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text).await;
            text
        });
        let mut turn = Self {
            stdin: child.stdin.take(),
            child,
            events,
            stderr,
        };
        turn.send(&agent::user_message_line(message)).await;
        turn
    }

    /// Writes one line to the CLI's stdin.
    pub async fn send(&mut self, line: &str) {
        let stdin = self
            .stdin
            .as_mut()
            .expect("stdin is open until the turn ends");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("the CLI reads its stdin");
        stdin.flush().await.expect("stdin flushes");
    }

    /// The next event, failing the test when none comes in time.
    pub async fn next_event(&mut self) -> ParsedEvent {
        match tokio::time::timeout(TURN_TIMEOUT, self.events.recv()).await {
            Ok(Some(event)) => event,
            Ok(None) => panic!(
                "claude ended without a result; stderr: {}",
                self.stderr_text().await
            ),
            Err(_) => panic!("no event from claude within {TURN_TIMEOUT:?}"),
        }
    }

    /// Every event up to and including the `result`; then closes stdin and waits for the exit.
    pub async fn finish(mut self) -> Vec<Event> {
        let mut events = Vec::new();
        loop {
            let parsed = self.next_event().await;
            let done = matches!(parsed.event, Event::Result { .. });
            events.push(parsed.event);
            if done {
                break;
            }
        }
        self.close().await;
        events
    }

    /// Closes stdin, which lets the CLI exit after its result, and waits for it.
    pub async fn close(mut self) {
        drop(self.stdin.take());
        match tokio::time::timeout(TURN_TIMEOUT, self.child.wait()).await {
            Ok(status) => {
                let status = status.expect("claude's exit status");
                // Exit code 1 follows a turn that ended in error, such as an interrupted one;
                // anything else (a signal, another code) means the CLI broke.
                assert!(
                    status.success() || status.code() == Some(1),
                    "claude exited with {status}"
                );
            }
            Err(_) => panic!("claude did not exit within {TURN_TIMEOUT:?} after stdin closed"),
        }
    }

    async fn stderr_text(&mut self) -> String {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        match tokio::time::timeout(Duration::from_secs(5), &mut self.stderr).await {
            Ok(Ok(text)) => text,
            _ => "(not available)".to_owned(),
        }
    }
}

/// The session id and the text of a turn's final `result`.
pub fn result_of(events: &[Event]) -> (String, String, Option<String>) {
    match events.last() {
        Some(Event::Result {
            session_id,
            subtype,
            result,
            ..
        }) => (session_id.clone(), subtype.clone(), result.clone()),
        other => panic!("the turn did not end with a result: {other:?}"),
    }
}

/// Every streamed text delta of a turn, joined.
pub fn streamed_text(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|event| match event {
            Event::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}
