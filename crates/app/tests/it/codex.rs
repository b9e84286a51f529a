//! Codex sessions end to end: the real `codex` CLI (pinned) in a real hardened container against
//! the scripted model's Responses API, reached only through the session's model proxy. A codex
//! session writes a file in its worktree, runs a command, uses the platform's MCP tools, resumes
//! after its container is removed and stops, as a claude session does; the platform's OpenAI key
//! never enters the container.

use crate::docker_support::{containers_of, docker, docker_app};
use crate::support::{Options, TestApp, Tweak, codex, read};
use crate::turn_scenarios::TURN;
use scripted_model::{Reply, Script, ScriptedModelHandle};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The key the platform holds for OpenAI: only the proxy may present it, upstream.
const OPENAI_KEY: &str = "sk-openai-platform-secret";

fn script() -> Script {
    Script::new()
        .rule(
            "WRITE",
            [
                Reply::tool_use(
                    "apply_patch",
                    json!("*** Begin Patch\n*** Add File: notes.txt\n+written by codex\n*** End Patch\n"),
                ),
                Reply::tool_use("exec_command", json!({ "cmd": "wc -c notes.txt" })),
                Reply::text("I wrote notes.txt."),
            ],
        )
        .rule(
            "PROJECTS",
            [
                Reply::tool_use("mcp__agentyard__list_projects", json!({})),
                Reply::text("listed"),
            ],
        )
        .rule(
            "SLOW",
            [
                Reply::tool_use("exec_command", json!({ "cmd": "sleep 60" })),
                Reply::text("slept"),
            ],
        )
        .rule("AGAIN", [Reply::Echo])
}

/// A platform whose codex sessions reach `model` through the proxy, with the platform's key.
fn codex_options(model: &ScriptedModelHandle, mode: &'static str) -> Options {
    let base_url = format!("{}/v1", model.base_url());
    let tweak: Tweak = Arc::new(move |config: &mut domain::Config| {
        config.openai_base_url = Some(base_url.clone());
        config.openai_api_key = Some(OPENAI_KEY.to_owned());
    });
    Options {
        mode,
        model_url: Some(model.base_url()),
        tweak: Some(tweak),
        ..Options::default()
    }
}

/// A Codex agent with a model codex knows.
pub(crate) async fn codex_agent(app: &TestApp) -> String {
    let (status, agent) = app
        .post(
            "/api/agents",
            json!({"name": "Codex", "cli": "codex", "model": "gpt-5.5"}),
        )
        .await;
    assert_eq!(status, 201, "{agent}");
    assert_eq!(agent["cli"], "codex");
    agent["id"].as_str().unwrap().to_owned()
}

async fn codex_session(app: &TestApp, project: &Value, agent: &str, mode: &str) -> String {
    let (status, session) = app
        .post(
            "/api/sessions",
            json!({"project_id": project["id"], "agent_id": agent, "title": "codex", "mode": mode}),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    session["id"].as_str().unwrap().to_owned()
}

fn tool_results(ws: &crate::support::Ws, id: &str) -> Vec<String> {
    ws.of(id)
        .iter()
        .filter(|event| event["type"] == "chat:tool_result")
        .map(|event| event["result"].to_string())
        .collect()
}

#[tokio::test]
async fn a_codex_session_in_a_container_writes_in_its_worktree_uses_mcp_resumes_and_stops() {
    codex();
    let model = crate::support::model(script());
    let (app, _sweep) = docker_app(Some(model.base_url()), codex_options(&model, "docker")).await;
    let agent = codex_agent(&app).await;
    let project = app.create_project("codex").await;
    // A claude session holds the main checkout, so the codex session gets a worktree.
    let holder = app.create_session(&project, "execute").await;
    let holder = holder["id"].as_str().unwrap();
    let (status, _) = app
        .post(&format!("/api/sessions/{holder}/warm"), json!({}))
        .await;
    assert_eq!(status, 202);
    let started = std::time::Instant::now();
    while app.session(holder).await["run_state"] != "idle" {
        assert!(
            started.elapsed() < TURN,
            "the claude session never got ready"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let id = codex_session(&app, &project, &agent, "execute").await;
    let mut ws = app.ws().await;

    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "WRITE a note"}))
        .await;
    let done = ws.done(&id, TURN).await;
    assert_eq!(done["interrupted"], false, "{:#?}", ws.of(&id));
    let session = app.session(&id).await;
    let worktree = session["worktree_path"]
        .as_str()
        .unwrap_or_else(|| panic!("the codex session got a worktree: {session}"));
    assert_eq!(
        read(std::path::Path::new(worktree).join("notes.txt")),
        "written by codex\n"
    );
    assert!(
        !app.root().join("codex/notes.txt").exists(),
        "the main checkout is untouched"
    );
    assert!(
        tool_results(&ws, &id)
            .iter()
            .any(|result| result.contains("17 notes.txt")),
        "{:#?}",
        ws.of(&id)
    );
    assert_eq!(session["image"], "claude-agent-base");

    // The platform's key reached the model from the proxy, and never the container.
    let requests = model.requests();
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|request| request.headers["authorization"] == format!("Bearer {OPENAI_KEY}"))
    );
    let container = containers_of(&id).pop().expect("the session's container");
    let inspected = docker(&["inspect", &container]);
    assert!(!inspected.contains(OPENAI_KEY));
    let environments = docker(&[
        "exec",
        &container,
        "sh",
        "-c",
        "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'",
    ]);
    assert!(!environments.contains(OPENAI_KEY), "{environments}");

    // The platform's MCP tools, through the bridge.
    ws.seen.clear();
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "PROJECTS please"}))
        .await;
    ws.done(&id, TURN).await;
    assert!(
        tool_results(&ws, &id)
            .iter()
            .any(|result| result.contains("codex")),
        "list_projects answered with the project: {:#?}",
        ws.of(&id)
    );

    // Resume after the container is removed: the conversation lives in the session's HOME.
    docker(&["rm", "-f", &container]);
    ws.seen.clear();
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "AGAIN: what did I say"}))
        .await;
    ws.done(&id, TURN).await;
    let text: String = ws
        .of(&id)
        .iter()
        .filter(|event| event["type"] == "chat:chunk")
        .map(|event| event["content"].as_str().unwrap_or_default())
        .collect();
    assert!(text.contains("WRITE a note"), "{text}");

    // Stop: SIGINT ends the turn at once, marked interrupted, and the next turn works.
    ws.seen.clear();
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "SLOW down"}))
        .await;
    ws.wait_for(TURN, |event| {
        event["type"] == "chat:tool_use" && event["sessionId"] == id.as_str()
    })
    .await;
    let stopped_at = std::time::Instant::now();
    ws.send(json!({"type": "chat:stop", "sessionId": id})).await;
    let done = ws.done(&id, Duration::from_secs(20)).await;
    assert_eq!(done["interrupted"], true, "{:#?}", ws.of(&id));
    assert!(stopped_at.elapsed() < Duration::from_secs(10));
    ws.seen.clear();
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "AGAIN after the stop"}))
        .await;
    let done = ws.done(&id, TURN).await;
    assert_eq!(done["interrupted"], false, "{:#?}", ws.of(&id));
}

#[tokio::test]
async fn a_local_codex_session_writes_its_file_and_ask_mode_is_refused_with_what_to_do() {
    codex();
    let model = crate::support::model(script());
    let app = TestApp::spawn_with(codex_options(&model, "local")).await;
    let agent = codex_agent(&app).await;
    let project = app.create_project("codex-local").await;
    let id = codex_session(&app, &project, &agent, "execute").await;
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "WRITE a note"}))
        .await;
    let done = ws.done(&id, TURN).await;
    assert_eq!(done["interrupted"], false, "{:#?}", ws.of(&id));
    assert_eq!(
        std::fs::read_to_string(app.root().join("codex-local/notes.txt"))
            .unwrap_or_else(|error| panic!("{error}: {:#?}", ws.of(&id))),
        "written by codex\n"
    );
    let messages = app.messages(&id).await;
    assert!(
        messages[1]["content"]
            .as_str()
            .unwrap()
            .contains("I wrote notes.txt."),
        "{messages:#?}"
    );

    let asking = codex_session(&app, &project, &agent, "ask").await;
    ws.send(json!({"type": "chat:send", "sessionId": asking, "content": "WRITE a note"}))
        .await;
    let error = ws.error_of(&asking, TURN).await;
    assert_eq!(error["code"], "cli_unsupported", "{error}");
    assert!(
        error["error"].as_str().unwrap().contains("execute mode"),
        "{error}"
    );
}

#[tokio::test]
async fn a_codex_agent_on_an_image_without_codex_is_refused_before_a_container_starts() {
    // An agent image of an older build: labelled as one, without the label listing its CLIs,
    // so it carries only claude.
    let built = std::process::Command::new("sh")
        .args([
            "-c",
            "printf 'FROM debian:bookworm-slim\\nLABEL agentyard.agent-image=true\\n' | DOCKER_BUILDKIT=0 docker build -q -t agentyard-test-claude-only -",
        ])
        .output()
        .expect("docker build runs");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let model = crate::support::model(script());
    let (app, _sweep) = docker_app(Some(model.base_url()), codex_options(&model, "docker")).await;
    let (status, agent) = app
        .post(
            "/api/agents",
            json!({"name": "Codex, old image", "cli": "codex", "model": "gpt-5.5",
                   "docker_image": "agentyard-test-claude-only"}),
        )
        .await;
    assert_eq!(status, 201, "{agent}");
    let project = app.create_project("no-codex").await;
    let id = codex_session(&app, &project, agent["id"].as_str().unwrap(), "execute").await;
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "WRITE a note"}))
        .await;
    let error = ws.error_of(&id, TURN).await;
    assert_eq!(error["code"], "cli_missing", "{error}");
    assert!(
        error["error"].as_str().unwrap().contains("codex"),
        "{error}"
    );
    assert!(containers_of(&id).is_empty(), "no container was started");
}

/// The turn scenarios every CLI passes, run for codex in local mode and in containers.
mod scenarios {
    use super::codex_options;
    use crate::docker_support::docker_app;
    use crate::support::{TestApp, codex, model};
    use crate::turn_scenarios::{self, Cli};

    fn script() -> scripted_model::Script {
        turn_scenarios::script_for(Cli::Codex, "hello from codex\n")
    }

    #[tokio::test]
    async fn local_codex_stop_ends_a_slow_turn_and_the_session_stays_usable() {
        codex();
        let model = model(script());
        let app = TestApp::spawn_with(codex_options(&model, "local")).await;
        turn_scenarios::stop_ends_a_slow_turn_and_the_session_stays_usable(&app, Cli::Codex).await;
    }

    #[tokio::test]
    async fn local_codex_messages_sent_at_once_run_in_order() {
        codex();
        let model = model(script());
        let app = TestApp::spawn_with(codex_options(&model, "local")).await;
        turn_scenarios::messages_sent_at_once_run_in_order(&app, &model, Cli::Codex).await;
    }

    #[tokio::test]
    async fn local_codex_sessions_streaming_at_once_never_mix() {
        codex();
        let model = model(script());
        let app = TestApp::spawn_with(codex_options(&model, "local")).await;
        turn_scenarios::two_sessions_streaming_at_once_never_mix(&app, Cli::Codex).await;
    }

    #[tokio::test]
    async fn docker_codex_stop_ends_a_slow_turn_and_the_session_stays_usable() {
        let model = model(script());
        let (app, _sweep) =
            docker_app(Some(model.base_url()), codex_options(&model, "docker")).await;
        turn_scenarios::stop_ends_a_slow_turn_and_the_session_stays_usable(&app, Cli::Codex).await;
    }

    #[tokio::test]
    async fn docker_codex_messages_sent_at_once_run_in_order() {
        let model = model(script());
        let (app, _sweep) =
            docker_app(Some(model.base_url()), codex_options(&model, "docker")).await;
        turn_scenarios::messages_sent_at_once_run_in_order(&app, &model, Cli::Codex).await;
    }

    #[tokio::test]
    async fn docker_codex_sessions_streaming_at_once_never_mix() {
        let model = model(script());
        let (app, _sweep) =
            docker_app(Some(model.base_url()), codex_options(&model, "docker")).await;
        turn_scenarios::two_sessions_streaming_at_once_never_mix(&app, Cli::Codex).await;
    }
}
