//! Turns with the real `claude` CLI inside real agent containers, against the scripted model
//! (reached over `AGENT_NETWORK=host`).

use crate::docker_support::{containers_of, docker_app};
use crate::support::{Options, model, read};
use scripted_model::{Reply, Script};
use serde_json::json;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

const TURN: Duration = Duration::from_secs(90);

fn script() -> Script {
    Script::new()
        .rule(
            "write hello",
            [
                Reply::tool_use(
                    "Write",
                    json!({"file_path": "hello.txt", "content": "hello from the container\n"}),
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

#[tokio::test]
async fn a_docker_turn_streams_the_tool_call_and_writes_the_file_as_the_agent_user() {
    let model = model(script());
    let (app, _sweep) = docker_app(Some(model.base_url()), Options::default()).await;
    let project = app.create_project("hello").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "please write hello"}))
        .await;
    let done = ws.done(id, TURN).await;
    assert_eq!(done["interrupted"], false, "{:#?}", ws.of(id));
    let tool = ws
        .of(id)
        .into_iter()
        .find(|event| event["type"] == "chat:tool_use")
        .cloned()
        .expect("a tool_use envelope");
    assert_eq!(tool["tool"], "Write");

    let file = app.root().join("hello/hello.txt");
    assert_eq!(read(&file), "hello from the container\n");
    // The platform runs as root here, so the project is root's and the agent ran as AGENT_USER.
    let owner = std::fs::metadata(&file).unwrap();
    assert_eq!((owner.uid(), owner.gid()), (1000, 1000));
    let session = app.session(id).await;
    assert_eq!(session["image"], "claude-agent-base");
    assert_eq!(session["run_state"], "idle");
    assert_eq!(containers_of(id).len(), 1, "one container per session");
}

#[tokio::test]
async fn docker_history_and_resume_survive_a_restart_and_the_containers_removal() {
    let model = model(script());
    let (mut app, _sweep) = docker_app(Some(model.base_url()), Options::default()).await;
    let project = app.create_project("resume").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap().to_owned();
    let mut ws = app.ws().await;
    ws.send(
        json!({"type": "chat:send", "sessionId": id, "content": "remember the word pineapple"}),
    )
    .await;
    ws.done(&id, TURN).await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "what did I say"}))
        .await;
    ws.wait_count(&id, "chat:done", 2, TURN).await;
    let second = app.messages(&id).await.pop().unwrap();
    assert!(
        second["content"].as_str().unwrap().contains("pineapple"),
        "the second turn resumed: {second}"
    );

    app.restart().await;
    assert!(
        containers_of(&id).is_empty(),
        "the boot reconcile removed the container"
    );
    assert_eq!(app.messages(&id).await.len(), 4, "history survives");
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "what did I say last"}))
        .await;
    ws.done(&id, TURN).await;
    let last = app.messages(&id).await.pop().unwrap();
    assert!(
        last["content"].as_str().unwrap().contains("pineapple"),
        "a new container resumed the conversation: {last}"
    );
    assert_eq!(containers_of(&id).len(), 1);
}

#[tokio::test]
async fn docker_stop_ends_a_slow_turn_quickly_and_the_session_stays_usable() {
    let model = model(script());
    let (app, _sweep) = docker_app(Some(model.base_url()), Options::default()).await;
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
async fn docker_messages_sent_at_once_run_in_order() {
    let model = model(script());
    let (app, _sweep) = docker_app(Some(model.base_url()), Options::default()).await;
    let project = app.create_project("queue").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    for content in ["first of three", "second of three", "third of three"] {
        ws.send(json!({"type": "chat:send", "sessionId": id, "content": content}))
            .await;
    }
    ws.wait_count(id, "chat:done", 3, 3 * TURN).await;
    let contents: Vec<String> = app
        .messages(id)
        .await
        .iter()
        .map(|message| message["content"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        contents,
        [
            "first of three",
            "second of three",
            "third of three",
            "reply one",
            "reply two",
            "reply three"
        ]
    );
}

#[tokio::test]
async fn two_docker_sessions_streaming_at_once_never_mix_events() {
    let model = model(script());
    let (app, _sweep) = docker_app(Some(model.base_url()), Options::default()).await;
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
    assert!(app.root().join("b/hello.txt").is_file());
    assert!(!app.root().join("a/hello.txt").exists());
    assert_ne!(containers_of(a), containers_of(b));
}
