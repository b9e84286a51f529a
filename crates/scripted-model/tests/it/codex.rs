//! Runs the real `codex` CLI against the scripted model's Responses API, with the command line
//! `agent`'s Codex implementation renders: one process per turn, as the engine will.

use agent::{ContentBlock, Event, Interrupt, MessageInput, TurnSpec, agent_cli};
use domain::SessionMode;
use scripted_model::{Reply, Script, ScriptedModel, ScriptedModelHandle, codex_binary};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TURN_TIMEOUT: Duration = Duration::from_secs(90);

/// The CLI to test with, or `None` (with a note on stderr) when it is missing outside CI.
/// Under `CI=true` a missing CLI fails the test with the text that says how to install it.
fn codex_or_explain() -> Option<PathBuf> {
    crate::claude::cli_or_explain(codex_binary())
}

/// A temp workspace and `CODEX_HOME` shared by the turns of one conversation.
struct Sandbox {
    root: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let root = tempfile::tempdir().expect("a temp dir");
        for dir in ["workspace", "home", "home/.codex"] {
            std::fs::create_dir(root.path().join(dir)).expect("a sandbox dir");
        }
        Self { root }
    }

    fn workspace(&self) -> PathBuf {
        self.root.path().join("workspace")
    }

    fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }
}

fn turn(mode: SessionMode, model: &ScriptedModelHandle, resume: Option<String>) -> TurnSpec {
    TurnSpec {
        mode,
        model: Some("gpt-5.5".into()),
        resume,
        system_prompt: Some("You are a scripted test agent.".into()),
        mcp_server: None,
        model_base_url: Some(format!("{}/v1", model.base_url())),
        work_path: None,
        in_container: false,
    }
}

/// Starts `codex` for `spec` in the sandbox and writes `message` as its CLI wants it.
async fn start(
    codex: &Path,
    sandbox: &Sandbox,
    spec: &TurnSpec,
    message: &str,
) -> tokio::process::Child {
    let cli = agent_cli(domain::AgentCli::Codex);
    let args = cli.args(spec).expect("codex runs this mode");
    // A clean environment: nothing of the developer's own Codex setup may leak into the test.
    let mut child = tokio::process::Command::new(codex)
        .args(args)
        .current_dir(sandbox.workspace())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", sandbox.home())
        .env("CODEX_HOME", sandbox.home().join(".codex"))
        .env(agent::codex::API_KEY_VARIABLE, "test-key")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {}: {error}", codex.display()));
    let MessageInput::StdinThenClose(text) = cli.message(message) else {
        panic!("codex reads its prompt to the end of stdin");
    };
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin
        .write_all(text.as_bytes())
        .await
        .expect("codex reads its stdin");
    drop(stdin);
    child
}

/// Every event of a process, until it exits, and its exit code.
async fn run_to_end(mut child: tokio::process::Child) -> (Vec<Event>, Option<i32>) {
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut parser = agent_cli(domain::AgentCli::Codex).parser();
    let mut events = Vec::new();
    let mut buffer = vec![0u8; 8192];
    let read = async {
        loop {
            match stdout.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(count) => events.extend(
                    parser
                        .push(&buffer[..count])
                        .expect("codex prints bounded lines")
                        .into_iter()
                        .map(|parsed| parsed.event),
                ),
            }
        }
    };
    tokio::time::timeout(TURN_TIMEOUT, read)
        .await
        .unwrap_or_else(|_| panic!("codex did not finish within {TURN_TIMEOUT:?}"));
    events.extend(parser.finish().into_iter().map(|parsed| parsed.event));
    let status = child.wait().await.expect("codex's exit status");
    (events, status.code())
}

fn thread_of(events: &[Event]) -> String {
    match events.first() {
        Some(Event::SystemInit { session_id, .. }) => session_id.clone(),
        other => panic!("the turn did not start with its thread: {other:?}"),
    }
}

fn result_text(events: &[Event]) -> Option<String> {
    match events.last() {
        Some(Event::Result {
            is_error: false,
            result,
            ..
        }) => result.clone(),
        other => panic!("the turn did not end with a successful result: {other:?}"),
    }
}

#[tokio::test]
async fn codex_writes_a_file_with_apply_patch_and_runs_a_command() {
    let Some(codex) = codex_or_explain() else {
        return;
    };
    let script = Script::new().rule(
        "WORK",
        [
            Reply::tool_use(
                "apply_patch",
                json!("*** Begin Patch\n*** Add File: notes/a.txt\n+written by the script\n*** End Patch\n"),
            ),
            Reply::tool_use("exec_command", json!({ "cmd": "wc -l notes/a.txt" })),
            Reply::text("done"),
        ],
    );
    let model = ScriptedModel::start(script);
    let sandbox = Sandbox::new();
    let spec = turn(SessionMode::Execute, &model, None);
    let (events, code) = run_to_end(start(&codex, &sandbox, &spec, "WORK please").await).await;
    assert_eq!(code, Some(0), "{events:?}");
    let written = std::fs::read_to_string(sandbox.workspace().join("notes/a.txt"))
        .unwrap_or_else(|error| panic!("notes/a.txt was not written ({error}): {events:?}"));
    assert_eq!(written, "written by the script\n");
    let outputs: Vec<&str> = events
        .iter()
        .filter_map(|event| match event {
            Event::ToolResult {
                content,
                is_error: false,
                ..
            } => Some(content.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        outputs
            .iter()
            .any(|output| output.contains("1 notes/a.txt")),
        "{outputs:?}"
    );
    assert_eq!(result_text(&events).as_deref(), Some("done"));
    let requests = model.requests();
    assert!(
        requests
            .iter()
            .all(|request| request.path == "/v1/responses")
    );
    assert!(
        requests
            .iter()
            .all(|request| request.headers["authorization"] == "Bearer test-key")
    );
}

#[tokio::test]
async fn explore_mode_cannot_write_and_a_resumed_thread_remembers_the_first_turn() {
    let Some(codex) = codex_or_explain() else {
        return;
    };
    let script = Script::new()
        .rule(
            "TRY",
            [
                Reply::tool_use("exec_command", json!({ "cmd": "touch forbidden.txt" })),
                Reply::text("tried"),
            ],
        )
        .rule("AGAIN", [Reply::Echo]);
    let model = ScriptedModel::start(script);
    let sandbox = Sandbox::new();
    let first = turn(SessionMode::Explore, &model, None);
    let (events, _) = run_to_end(start(&codex, &sandbox, &first, "TRY to write").await).await;
    assert!(
        !sandbox.workspace().join("forbidden.txt").exists(),
        "explore mode wrote a file: {events:?}"
    );
    let thread = thread_of(&events);
    let second = turn(SessionMode::Explore, &model, Some(thread.clone()));
    let (resumed, code) = run_to_end(start(&codex, &sandbox, &second, "AGAIN").await).await;
    assert_eq!(code, Some(0), "{resumed:?}");
    assert_eq!(thread_of(&resumed), thread);
    assert_eq!(
        result_text(&resumed).as_deref(),
        Some("echo: [TRY to write] [AGAIN]")
    );
}

#[tokio::test]
async fn sigint_stops_a_running_turn_and_the_thread_resumes() {
    let Some(codex) = codex_or_explain() else {
        return;
    };
    let script = Script::new()
        .rule(
            "SLOW",
            [Reply::tool_use(
                "exec_command",
                json!({ "cmd": "sleep 30" }),
            )],
        )
        .rule("AFTER", [Reply::Echo]);
    let model = ScriptedModel::start(script);
    let sandbox = Sandbox::new();
    let spec = turn(SessionMode::Execute, &model, None);
    let child = start(&codex, &sandbox, &spec, "SLOW please").await;
    let pid = child.id().expect("a running codex");
    let started = std::time::Instant::now();
    let interrupt = async {
        // The command is running once codex has asked the model and the tool started.
        while model.requests().is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(
            agent_cli(domain::AgentCli::Codex).interrupt("unused"),
            Interrupt::SigInt
        );
        // SAFETY: kill(2) with the pid of our own child, which has not been waited for yet.
        let sent = unsafe { libc::kill(pid as i32, libc::SIGINT) };
        assert_eq!(sent, 0, "cannot send SIGINT to codex");
    };
    let ((events, code), ()) = tokio::join!(run_to_end(child), interrupt);
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "codex ran the whole command"
    );
    assert_eq!(code, Some(1), "{events:?}");
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, Event::Result { .. }))
    );
    assert!(
        events
            .iter()
            .any(|event| matches!(event, Event::Assistant { content }
        if matches!(&content[0], ContentBlock::ToolUse { name, .. } if name == "shell")))
    );
    let thread = thread_of(&events);
    let resume = turn(SessionMode::Execute, &model, Some(thread.clone()));
    let (resumed, code) = run_to_end(start(&codex, &sandbox, &resume, "AFTER").await).await;
    assert_eq!(code, Some(0), "{resumed:?}");
    assert_eq!(
        result_text(&resumed).as_deref(),
        Some("echo: [SLOW please] [AFTER]")
    );
}
