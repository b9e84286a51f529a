//! Turn scenarios that every runtime must pass the same way: `turns.rs` runs them in local mode,
//! `docker_turns.rs` in docker mode, each adding only what is particular to its runtime.

use crate::support::TestApp;
use scripted_model::{Reply, Script, ScriptedModelHandle};
use serde_json::{Value, json};
use std::time::Duration;

/// How long one turn of the real CLI may take on a loaded two-core machine.
pub const TURN: Duration = Duration::from_secs(90);

/// The agent CLI a scenario runs: every scenario passes the same way for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cli {
    Claude,
    Codex,
}

/// The model's script: `write hello` writes `hello.txt` with `content`, `what did I say` echoes
/// the conversation, `go slowly` streams for about five seconds, and three numbered replies.
pub fn script(content: &str) -> Script {
    script_for(Cli::Claude, content)
}

/// [`script`] for `cli`: each CLI writes its file with its own tool.
pub fn script_for(cli: Cli, content: &str) -> Script {
    let write = match cli {
        Cli::Claude => Reply::tool_use(
            "Write",
            json!({"file_path": "hello.txt", "content": content}),
        ),
        Cli::Codex => {
            let lines: String = content.lines().map(|line| format!("+{line}\n")).collect();
            Reply::tool_use(
                "apply_patch",
                json!(format!(
                    "*** Begin Patch\n*** Add File: hello.txt\n{lines}*** End Patch\n"
                )),
            )
        }
    };
    Script::new()
        .rule("write hello", [write, Reply::text("I wrote hello.txt.")])
        .rule("what did I say", [Reply::Echo])
        .rule(
            "go slowly",
            [Reply::slow_text(
                "one two three four five six seven eight nine ten eleven twelve",
                400,
            )],
        )
        .rule("first of three", [Reply::text("reply one")])
        .rule("second of three", [Reply::text("reply two")])
        .rule("third of three", [Reply::text("reply three")])
}

/// A new execute-mode session of `project` whose agent runs `cli` (a codex agent with a model
/// codex knows is made the first time).
pub async fn session_of(app: &TestApp, project: &Value, cli: Cli) -> String {
    let agent = match cli {
        Cli::Claude => Value::Null,
        Cli::Codex => {
            let (_, agents) = app.get("/api/agents").await;
            let known = agents
                .as_array()
                .and_then(|agents| agents.iter().find(|agent| agent["cli"] == "codex"))
                .map(|agent| agent["id"].clone());
            match known {
                Some(id) => id,
                None => Value::String(crate::codex::codex_agent(app).await),
            }
        }
    };
    let mut body = json!({"project_id": project["id"], "title": "test", "mode": "execute"});
    if !agent.is_null() {
        body["agent_id"] = agent;
    }
    let (status, session) = app.post("/api/sessions", body).await;
    assert_eq!(status, 201, "{session}");
    session["id"].as_str().unwrap().to_owned()
}

/// `chat:stop` ends a slow turn within 2 s, marked interrupted, and the next turn works.
pub async fn stop_ends_a_slow_turn_and_the_session_stays_usable(app: &TestApp, cli: Cli) {
    let project = app.create_project("slow").await;
    let id = session_of(app, &project, cli).await;
    let id = id.as_str();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "go slowly"}))
        .await;
    match cli {
        Cli::Claude => {
            ws.wait_for(TURN, |event| {
                event["type"] == "chat:chunk" && event["sessionId"] == id
            })
            .await;
        }
        // Codex prints a message only when it is whole: the turn is stopped while it streams.
        Cli::Codex => {
            ws.wait_for(TURN, |event| {
                event["type"] == "session:updated"
                    && event["session"]["id"] == id
                    && event["session"]["run_state"] == "running"
            })
            .await;
            tokio::time::sleep(Duration::from_millis(1500)).await;
        }
    }
    let stopped_at = std::time::Instant::now();
    ws.send(json!({"type": "chat:stop", "sessionId": id})).await;
    let done = ws.done(id, Duration::from_secs(10)).await;
    let took = stopped_at.elapsed();
    assert_eq!(done["interrupted"], true);
    assert!(took < Duration::from_secs(2), "stop took {took:?}");

    ws.seen.clear();
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "first of three"}))
        .await;
    let done = ws.done(id, TURN).await;
    assert_eq!(done["interrupted"], false);
    let messages = app.messages(id).await;
    assert_eq!(messages[1]["interrupted"], true);
    assert!(
        messages[3]["content"]
            .as_str()
            .unwrap()
            .contains("reply one")
    );
}

/// Three messages sent at once: the later two are queued, and the turns run in order.
pub async fn messages_sent_at_once_run_in_order(
    app: &TestApp,
    model: &ScriptedModelHandle,
    cli: Cli,
) {
    let project = app.create_project("queue").await;
    let id = session_of(app, &project, cli).await;
    let id = id.as_str();
    let mut ws = app.ws().await;
    for content in ["first of three", "second of three", "third of three"] {
        ws.send(json!({"type": "chat:send", "sessionId": id, "content": content}))
            .await;
    }
    ws.wait_for(TURN, |event| {
        event["type"] == "chat:queued" && event["sessionId"] == id
    })
    .await;
    ws.wait_count(id, "chat:done", 3, 3 * TURN).await;
    let messages = app.messages(id).await;
    let of_role = |role: &str| -> Vec<String> {
        messages
            .iter()
            .filter(|message| message["role"] == role)
            .map(|message| message["content"].as_str().unwrap().to_owned())
            .collect()
    };
    // Each message is stored the moment it arrives; the replies follow in the order the turns ran.
    assert_eq!(
        of_role("user"),
        ["first of three", "second of three", "third of three"]
    );
    assert_eq!(
        of_role("assistant"),
        ["reply one", "reply two", "reply three"]
    );
    // The second turn reached the model only after the first was answered, and so on.
    let bodies: Vec<String> = model
        .requests()
        .iter()
        .map(|request| request.body.to_string())
        .collect();
    let first_with = |needle: &str| {
        bodies
            .iter()
            .find(|body| body.contains(needle))
            .expect(needle)
            .clone()
    };
    assert!(first_with("second of three").contains("reply one"));
    assert!(first_with("third of three").contains("reply two"));
}

/// Two sessions of two projects streaming at the same time: each gets only its own events and
/// writes only into its own project. Returns the two session ids.
pub async fn two_sessions_streaming_at_once_never_mix(app: &TestApp, cli: Cli) -> (String, String) {
    let project_a = app.create_project("a").await;
    let project_b = app.create_project("b").await;
    let a = session_of(app, &project_a, cli).await;
    let b = session_of(app, &project_b, cli).await;
    let (a, b) = (a.as_str(), b.as_str());
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": a, "content": "go slowly"}))
        .await;
    ws.send(json!({"type": "chat:send", "sessionId": b, "content": "please write hello"}))
        .await;
    ws.done(a, TURN).await;
    ws.done(b, TURN).await;
    let chunks = |id: &str| -> String {
        ws.of(id)
            .iter()
            .filter(|event| event["type"] == "chat:chunk")
            .map(|event| event["content"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        chunks(a).contains("twelve") && !chunks(a).contains("hello.txt"),
        "{}",
        chunks(a)
    );
    assert!(
        chunks(b).contains("I wrote hello.txt.") && !chunks(b).contains("twelve"),
        "{}",
        chunks(b)
    );
    assert!(
        ws.of(a)
            .iter()
            .all(|event| event["type"] != "chat:tool_use")
    );
    assert!(app.root().join("b/hello.txt").is_file());
    assert!(!app.root().join("a/hello.txt").exists());
    (a.to_owned(), b.to_owned())
}
