//! Turns with the real `claude` CLI against the scripted model, in local mode.

use crate::support::{Options, TestApp, model, read};
use crate::turn_scenarios::{self, TURN};
use serde_json::json;

fn script() -> scripted_model::Script {
    turn_scenarios::script("hello from the agent\n")
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
    turn_scenarios::stop_ends_a_slow_turn_and_the_session_stays_usable(
        &app,
        turn_scenarios::Cli::Claude,
    )
    .await;
}

#[tokio::test]
async fn messages_sent_at_once_are_queued_and_run_in_order() {
    let model = model(script());
    let app = local_app(model.base_url()).await;
    turn_scenarios::messages_sent_at_once_run_in_order(&app, &model, turn_scenarios::Cli::Claude)
        .await;
}

#[tokio::test]
async fn two_sessions_streaming_at_once_never_mix_events() {
    let model = model(script());
    let app = local_app(model.base_url()).await;
    turn_scenarios::two_sessions_streaming_at_once_never_mix(&app, turn_scenarios::Cli::Claude)
        .await;
}
