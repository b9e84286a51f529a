//! Turn scenarios that every runtime must pass the same way: `turns.rs` runs them in local mode,
//! `docker_turns.rs` in docker mode, each adding only what is particular to its runtime.

use crate::support::TestApp;
use scripted_model::{Reply, Script, ScriptedModelHandle};
use serde_json::json;
use std::time::Duration;

/// How long one turn of the real CLI may take on a loaded two-core machine.
pub const TURN: Duration = Duration::from_secs(90);

/// The model's script: `write hello` writes `hello.txt` with `content`, `what did I say` echoes
/// the conversation, `go slowly` streams for about five seconds, and three numbered replies.
pub fn script(content: &str) -> Script {
    Script::new()
        .rule(
            "write hello",
            [
                Reply::tool_use(
                    "Write",
                    json!({"file_path": "hello.txt", "content": content}),
                ),
                Reply::text("I wrote hello.txt."),
            ],
        )
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

/// `chat:stop` ends a slow turn within 2 s, marked interrupted, and the next turn works.
pub async fn stop_ends_a_slow_turn_and_the_session_stays_usable(app: &TestApp) {
    let project = app.create_project("slow").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "go slowly"}))
        .await;
    ws.wait_for(TURN, |event| {
        event["type"] == "chat:chunk" && event["sessionId"] == id
    })
    .await;
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
pub async fn messages_sent_at_once_run_in_order(app: &TestApp, model: &ScriptedModelHandle) {
    let project = app.create_project("queue").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
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
pub async fn two_sessions_streaming_at_once_never_mix(app: &TestApp) -> (String, String) {
    let project_a = app.create_project("a").await;
    let project_b = app.create_project("b").await;
    let a = app.create_session(&project_a, "execute").await;
    let b = app.create_session(&project_b, "execute").await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
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
