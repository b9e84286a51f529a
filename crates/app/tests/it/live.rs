//! The live agent process: one `claude` per session serves turn after turn, a warm-up starts it
//! before the first message, and it is replaced (the conversation resumed) when it died, when the
//! turn needs other settings, or when its session went idle. Local mode, where the agent's
//! processes can be seen from the test; `docker_live` in `docker_turns.rs` covers the container.

use crate::support::{Options, TestApp, claude, model};
use crate::turn_scenarios::{self, TURN};
use serde_json::json;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn script() -> scripted_model::Script {
    turn_scenarios::script("hello from the live agent\n")
}

async fn app_with(model_url: String, tweak: Option<crate::support::Tweak>) -> TestApp {
    TestApp::spawn_with(Options {
        model_url: Some(model_url),
        tweak,
        ..Options::default()
    })
    .await
}

/// The `claude` processes running with the session's HOME.
fn agent_pids(app: &TestApp, session: &str) -> BTreeSet<u32> {
    let home = app
        .data_dir
        .path()
        .join("sessions")
        .join(session)
        .join("home");
    let claude = std::fs::canonicalize(claude()).unwrap();
    let wanted_home = format!("HOME={}", home.display());
    let mut pids = BTreeSet::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse().ok())
        else {
            continue;
        };
        let exe: Option<PathBuf> = std::fs::read_link(entry.path().join("exe")).ok();
        if exe.as_deref() != Some(claude.as_path()) {
            continue;
        }
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if environ
            .split(|byte| *byte == 0)
            .any(|variable| variable == wanted_home.as_bytes())
        {
            pids.insert(pid);
        }
    }
    pids
}

async fn wait_until(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < limit, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn kill(pids: &BTreeSet<u32>) {
    for pid in pids {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
}

fn text_of(ws: &crate::support::Ws, id: &str) -> String {
    ws.of(id)
        .iter()
        .filter(|event| event["type"] == "chat:chunk")
        .map(|event| event["content"].as_str().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn one_process_serves_every_turn_and_switches_models_live() {
    let model = model(script());
    let app = app_with(model.base_url(), None).await;
    let project = app.create_project("live").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;

    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "first of three"}))
        .await;
    ws.done(id, TURN).await;
    let first = agent_pids(&app, id);
    assert_eq!(first.len(), 1, "one agent process after the first turn");

    ws.seen.clear();
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "second of three", "model": "claude-live-test"}))
        .await;
    ws.done(id, TURN).await;
    assert!(text_of(&ws, id).contains("reply two"));
    assert_eq!(
        agent_pids(&app, id),
        first,
        "the second turn ran in the same process"
    );
    let last = model
        .requests()
        .into_iter()
        .last()
        .expect("a model request");
    assert_eq!(
        last.body["model"], "claude-live-test",
        "the model was switched in the running process"
    );

    ws.seen.clear();
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "what did I say"}))
        .await;
    ws.done(id, TURN).await;
    let echoed = text_of(&ws, id);
    assert!(
        echoed.contains("first of three") && echoed.contains("second of three"),
        "{echoed}"
    );
}

#[tokio::test]
async fn warm_starts_the_agent_before_the_first_message_which_it_then_serves() {
    let model = model(script());
    let app = app_with(model.base_url(), None).await;
    let project = app.create_project("warm").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();

    let (status, _) = app
        .post(&format!("/api/sessions/{id}/warm"), json!({}))
        .await;
    assert_eq!(status, 202);
    wait_until(TURN, "the warmed agent runs", async || {
        !agent_pids(&app, id).is_empty() && app.session(id).await["run_state"] == "idle"
    })
    .await;
    let warmed = agent_pids(&app, id);
    assert_eq!(warmed.len(), 1);
    assert!(
        app.messages(id).await.is_empty(),
        "warming sends nothing to the agent"
    );
    // A second warm-up of a ready session changes nothing.
    let (status, _) = app
        .post(&format!("/api/sessions/{id}/warm"), json!({}))
        .await;
    assert_eq!(status, 202);

    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "please write hello"}))
        .await;
    let done = ws.done(id, TURN).await;
    assert_eq!(done["interrupted"], false);
    assert_eq!(
        agent_pids(&app, id),
        warmed,
        "the warmed process took the turn"
    );
    assert_eq!(
        std::fs::read_to_string(app.root().join("warm/hello.txt")).unwrap(),
        "hello from the live agent\n"
    );

    let (status, body) = app
        .post(
            "/api/sessions/00000000-0000-4000-8000-000000000000/warm",
            json!({}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    app.patch(
        &format!("/api/sessions/{id}/status"),
        json!({"status": "done"}),
    )
    .await;
    wait_until(
        Duration::from_secs(10),
        "the agent ends with its session",
        async || agent_pids(&app, id).is_empty(),
    )
    .await;
    let (status, body) = app
        .post(&format!("/api/sessions/{id}/warm"), json!({}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"].as_str().unwrap().contains("done"), "{body}");
}

#[tokio::test]
async fn a_mode_change_starts_a_new_process_that_resumes_the_conversation() {
    let model = model(script());
    let app = app_with(model.base_url(), None).await;
    let project = app.create_project("modes").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "first of three"}))
        .await;
    ws.done(id, TURN).await;
    let first = agent_pids(&app, id);

    ws.seen.clear();
    ws.send(
        json!({"type": "chat:send", "sessionId": id, "content": "what did I say", "mode": "ask"}),
    )
    .await;
    ws.done(id, TURN).await;
    assert!(text_of(&ws, id).contains("first of three"));
    let second = agent_pids(&app, id);
    assert_eq!(second.len(), 1);
    assert!(
        first.is_disjoint(&second),
        "ask mode needs other flags: a new process ({first:?} then {second:?})"
    );
}

#[tokio::test]
async fn an_agent_that_died_between_turns_is_replaced_and_the_message_answered() {
    let model = model(script());
    let app = app_with(model.base_url(), None).await;
    let project = app.create_project("died").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "first of three"}))
        .await;
    ws.done(id, TURN).await;
    let first = agent_pids(&app, id);
    kill(&first);
    wait_until(Duration::from_secs(10), "the agent is gone", async || {
        agent_pids(&app, id).is_empty()
    })
    .await;

    ws.seen.clear();
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "what did I say"}))
        .await;
    let done = ws.done(id, TURN).await;
    assert_eq!(done["interrupted"], false);
    assert!(
        !ws.of(id).iter().any(|event| event["type"] == "chat:error"),
        "{:#?}",
        ws.of(id)
    );
    assert!(text_of(&ws, id).contains("first of three"));
    assert!(agent_pids(&app, id).is_disjoint(&first));
}

#[tokio::test]
async fn an_agent_that_dies_during_a_turn_ends_it_with_an_error_and_the_next_message_resumes() {
    let model = model(script());
    let app = app_with(model.base_url(), None).await;
    let project = app.create_project("crash").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "first of three"}))
        .await;
    ws.done(id, TURN).await;

    ws.seen.clear();
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "go slowly"}))
        .await;
    ws.wait_for(TURN, |event| {
        event["type"] == "chat:chunk" && event["sessionId"] == id
    })
    .await;
    kill(&agent_pids(&app, id));
    let error = ws.error_of(id, TURN).await;
    assert_eq!(error["code"], "agent_failed", "{error}");
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("the next message resumes"),
        "{error}"
    );
    wait_until(Duration::from_secs(10), "the turn is over", async || {
        app.session(id).await["run_state"] != "running"
    })
    .await;

    ws.seen.clear();
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "what did I say"}))
        .await;
    ws.done(id, TURN).await;
    assert!(text_of(&ws, id).contains("first of three"));
    let messages = app.messages(id).await;
    assert_eq!(messages.len(), 6, "every message kept: {messages:#?}");
}

#[tokio::test]
async fn an_idle_session_gives_its_agent_back_and_resumes_on_the_next_message() {
    let model = model(script());
    let tweak: crate::support::Tweak = std::sync::Arc::new(|config: &mut domain::Config| {
        config.idle_timeout = Duration::from_secs(1);
    });
    let app = app_with(model.base_url(), Some(tweak)).await;
    let project = app.create_project("idle").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "first of three"}))
        .await;
    ws.done(id, TURN).await;
    assert_eq!(agent_pids(&app, id).len(), 1);
    wait_until(
        Duration::from_secs(20),
        "the idle agent is released",
        async || agent_pids(&app, id).is_empty(),
    )
    .await;

    ws.seen.clear();
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "what did I say"}))
        .await;
    ws.done(id, TURN).await;
    assert!(text_of(&ws, id).contains("first of three"));
}
