//! Turns with the real `claude` CLI inside real agent containers, against the scripted model
//! (reached over `AGENT_NETWORK=host`).

use crate::docker_support::{containers_of, docker_app};
use crate::support::{Options, model, read};
use crate::turn_scenarios::{self, TURN};
use serde_json::json;
use std::os::unix::fs::MetadataExt;

fn script() -> scripted_model::Script {
    turn_scenarios::script("hello from the container\n")
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
    turn_scenarios::stop_ends_a_slow_turn_and_the_session_stays_usable(
        &app,
        turn_scenarios::Cli::Claude,
    )
    .await;
}

#[tokio::test]
async fn docker_messages_sent_at_once_run_in_order() {
    let model = model(script());
    let (app, _sweep) = docker_app(Some(model.base_url()), Options::default()).await;
    turn_scenarios::messages_sent_at_once_run_in_order(&app, &model, turn_scenarios::Cli::Claude)
        .await;
}

#[tokio::test]
async fn two_docker_sessions_streaming_at_once_never_mix_events() {
    let model = model(script());
    let (app, _sweep) = docker_app(Some(model.base_url()), Options::default()).await;
    let (a, b) =
        turn_scenarios::two_sessions_streaming_at_once_never_mix(&app, turn_scenarios::Cli::Claude)
            .await;
    assert_ne!(containers_of(&a), containers_of(&b));
}

#[tokio::test]
async fn a_warmed_docker_session_has_its_container_and_agent_before_the_first_message() {
    let model = model(script());
    let (app, _sweep) = docker_app(Some(model.base_url()), Options::default()).await;
    let project = app.create_project("warm").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let (status, body) = app
        .post(&format!("/api/sessions/{id}/warm"), json!({}))
        .await;
    assert_eq!(status, 202, "{body}");
    let started = std::time::Instant::now();
    // A container being created or started has no processes to list yet.
    let agent_running = |container: &str| {
        std::process::Command::new("docker")
            .args(["top", container, "-eo", "pid,args"])
            .output()
            .is_ok_and(|output| {
                output.status.success()
                    && String::from_utf8_lossy(&output.stdout).contains("claude")
            })
    };
    loop {
        let containers = containers_of(id);
        if containers.len() == 1
            && agent_running(&containers[0])
            && app.session(id).await["run_state"] == "idle"
        {
            break;
        }
        assert!(
            started.elapsed() < TURN,
            "the warm-up did not start the agent"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(app.messages(id).await.is_empty());

    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "please write hello"}))
        .await;
    let done = ws.done(id, TURN).await;
    assert_eq!(done["interrupted"], false, "{:#?}", ws.of(id));
    assert_eq!(
        read(app.root().join("warm/hello.txt")),
        "hello from the container\n"
    );
    assert_eq!(
        containers_of(id).len(),
        1,
        "the warmed container took the turn"
    );
}
