//! Nothing is orphaned: idle containers are removed after AGENT_IDLE_TIMEOUT, strays of unknown
//! sessions are removed periodically, and a platform killed mid-turn leaves nothing behind once
//! it restarts.

use crate::docker_support::{
    Platform, PlatformDirs, Sweep, containers_of, docker, docker_app, require_docker,
};
use crate::support::{Options, model};
use reqwest::{Method, StatusCode};
use scripted_model::{Reply, Script};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TURN: Duration = Duration::from_secs(90);

fn script() -> Script {
    Script::new()
        .rule("remember", [Reply::text("noted")])
        .rule("what did I say", [Reply::Echo])
        .rule(
            "go slowly",
            [Reply::slow_text(
                "one two three four five six seven eight nine ten eleven twelve thirteen fourteen",
                700,
            )],
        )
}

async fn until(limit: Duration, what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn idle_containers_and_strays_of_unknown_sessions_are_removed_periodically() {
    let model = model(script());
    let (app, sweep) = docker_app(
        Some(model.base_url()),
        Options {
            tweak: Some(Arc::new(|config| {
                config.idle_timeout = Duration::from_secs(1);
            })),
            ..Options::default()
        },
    )
    .await;
    let project = app.create_project("idle").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "remember apricot"}))
        .await;
    ws.done(id, TURN).await;
    until(
        Duration::from_secs(15),
        "the idle container's removal",
        || containers_of(id).is_empty(),
    )
    .await;

    // A container of this installation whose session the store does not know.
    let instance = std::fs::read_to_string(app.data_dir.path().join("instance")).unwrap();
    let stray_session = "00000000-0000-4000-8000-000000000001";
    docker(&[
        "run",
        "-d",
        "--label",
        &format!("agentyard.session={stray_session}"),
        "--label",
        &format!("agentyard.instance={}", instance.trim()),
        "--entrypoint",
        "sleep",
        "claude-agent-base",
        "infinity",
    ]);
    until(Duration::from_secs(15), "the stray's removal", || {
        containers_of(stray_session).is_empty()
    })
    .await;

    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "what did I say"}))
        .await;
    ws.wait_count(id, "chat:done", 2, TURN).await;
    let last = app.messages(id).await.pop().unwrap();
    assert!(
        last["content"].as_str().unwrap().contains("apricot"),
        "a new container resumed: {last}"
    );
    drop(sweep);
}

#[tokio::test]
async fn a_platform_killed_mid_turn_leaves_no_orphan_and_the_session_answers_after_restart() {
    require_docker();
    let model = model(script());
    let url = model.base_url();
    let env = [
        ("ANTHROPIC_API_KEY", "sk-test-key"),
        ("ANTHROPIC_BASE_URL", url.as_str()),
        ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
    ];
    let dirs = PlatformDirs::new();
    let platform = Platform::serve(&dirs, &env);
    let _sweep = Sweep::of_data_dir(dirs.data.path());
    let (_, project) = platform
        .request(
            Method::POST,
            "/api/projects",
            Some(json!({"name": "killed"})),
        )
        .await;
    let (_, session) = platform
        .request(
            Method::POST,
            "/api/sessions",
            Some(json!({"project_id": project["id"], "mode": "execute"})),
        )
        .await;
    let id = session["id"].as_str().unwrap().to_owned();
    let (status, _) = platform
        .request(
            Method::POST,
            &format!("/api/sessions/{id}/messages"),
            Some(json!({"content": "go slowly"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    platform
        .wait_until(&format!("/api/sessions/{id}/messages"), TURN, |messages| {
            messages[1]["content"]
                .as_str()
                .is_some_and(|text| text.contains("two"))
        })
        .await;
    assert_eq!(
        containers_of(&id).len(),
        1,
        "the turn runs in its container"
    );
    platform.kill();
    assert_eq!(
        containers_of(&id).len(),
        1,
        "SIGKILL left the container behind"
    );

    let platform = Platform::serve(&dirs, &env);
    assert!(
        containers_of(&id).is_empty(),
        "the restart removed the orphan"
    );
    let (_, session) = platform
        .request(Method::GET, &format!("/api/sessions/{id}"), None)
        .await;
    assert_eq!(session["run_state"], "idle");
    platform
        .request(
            Method::POST,
            &format!("/api/sessions/{id}/messages"),
            Some(json!({"content": "what did I say"})),
        )
        .await;
    let messages = platform
        .wait_until(&format!("/api/sessions/{id}/messages"), TURN, |messages| {
            messages.as_array().is_some_and(|all| {
                all.len() == 4 && all[3]["content"].as_str().is_some_and(|t| !t.is_empty())
            }) && messages[3]["content"]
                .as_str()
                .is_some_and(|text| text.contains("go slowly"))
        })
        .await;
    assert_eq!(messages[3]["role"], "assistant");
}
