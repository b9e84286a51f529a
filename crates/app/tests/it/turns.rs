//! Turns with the real `claude` CLI against the scripted model, in local mode.

use crate::support::{Options, TestApp, model, read};
use scripted_model::{Reply, Script};
use serde_json::json;
use std::time::Duration;

const TURN: Duration = Duration::from_secs(60);

fn script() -> Script {
    Script::new()
        .rule(
            "write hello",
            [
                Reply::tool_use(
                    "Write",
                    json!({"file_path": "hello.txt", "content": "hello from the agent\n"}),
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

async fn local_app(model_url: String) -> TestApp {
    TestApp::spawn_with(Options {
        model_url: Some(model_url),
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn a_turn_streams_the_tool_call_and_really_writes_the_file() {
    let model = model(script());
    let app = local_app(model.base_url()).await;
    let project = app.create_project("hello").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "please write hello"}))
        .await;
    let done = ws.done(id, TURN).await;
    assert_eq!(done["interrupted"], false);

    let events = ws.of(id);
    let tool = events
        .iter()
        .find(|event| event["type"] == "chat:tool_use")
        .expect("a tool_use envelope");
    assert_eq!(tool["tool"], "Write");
    assert!(
        events
            .iter()
            .any(|event| event["type"] == "chat:tool_result")
    );
    let text: String = events
        .iter()
        .filter(|event| event["type"] == "chat:chunk")
        .map(|event| event["content"].as_str().unwrap())
        .collect();
    assert!(text.contains("I wrote hello.txt."), "{text}");
    assert_eq!(
        read(app.root().join("hello/hello.txt")),
        "hello from the agent\n"
    );

    let messages = app.messages(id).await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[1]["role"], "assistant");
    assert!(
        messages[1]["content"]
            .as_str()
            .unwrap()
            .contains("I wrote hello.txt.")
    );
    assert_eq!(messages[1]["tool_use"][0]["tool"], "Write");
    assert!(messages[1]["tool_use"][0]["result"].is_string());
    let session = app.session(id).await;
    assert_eq!(session["run_state"], "idle");
    assert_eq!(session["status"], "in_progress");
    assert!(session["cc_session_id"].is_string());
}

#[tokio::test]
async fn the_second_turn_resumes_even_after_a_restart() {
    let model = model(script());
    let mut app = local_app(model.base_url()).await;
    let project = app.create_project("resume").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap().to_owned();
    let mut ws = app.ws().await;
    ws.send(
        json!({"type": "chat:send", "sessionId": id, "content": "remember the word pineapple"}),
    )
    .await;
    ws.done(&id, TURN).await;

    app.restart().await;
    assert_eq!(
        app.messages(&id).await.len(),
        2,
        "history survives the restart"
    );
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "what did I say"}))
        .await;
    ws.done(&id, TURN).await;
    let last = app.messages(&id).await.pop().unwrap();
    assert!(
        last["content"].as_str().unwrap().contains("pineapple"),
        "the model saw the first turn: {last}"
    );
}

#[tokio::test]
async fn stop_ends_a_slow_turn_quickly_and_the_session_stays_usable() {
    let model = model(script());
    let app = local_app(model.base_url()).await;
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

#[tokio::test]
async fn messages_sent_at_once_are_queued_and_run_in_order() {
    let model = model(script());
    let app = local_app(model.base_url()).await;
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

#[tokio::test]
async fn two_sessions_streaming_at_once_never_mix_events() {
    let model = model(script());
    let app = local_app(model.base_url()).await;
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
}
