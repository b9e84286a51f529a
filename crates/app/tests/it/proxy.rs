//! The model-API proxy with the real `claude` CLI in real containers, the scripted model as the
//! upstream: agents work with `AGENT_NETWORK=none`, the platform's key never enters a container,
//! usage is counted per session, and a spent budget stops the next turn with a clear error.

use crate::docker_support::{container_name, docker, docker_app};
use crate::support::{Options, TestApp, model};
use domain::NetworkChoice;
use scripted_model::{Reply, Script};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const TURN: Duration = Duration::from_secs(90);
/// The platform's key in these tests: it must reach the model and nothing else.
const CANARY: &str = "sk-canary-5f1e9a7c3b2d4e6f";

fn script() -> Script {
    Script::new()
        .rule(
            "write hello",
            [
                Reply::tool_use(
                    "Write",
                    json!({"file_path": "hello.txt", "content": "written offline\n"}),
                ),
                Reply::text("I wrote hello.txt."),
            ],
        )
        .rule("say hi", [Reply::text("hi")])
        .rule(
            "list the projects",
            [
                Reply::tool_use("mcp__agentyard__list_projects", json!({})),
                Reply::text("listed"),
            ],
        )
        .rule(
            "go slowly",
            [Reply::slow_text(
                "one two three four five six seven eight",
                300,
            )],
        )
}

/// A docker-mode platform whose agents have no network and whose key is the canary.
async fn offline_app(
    model_url: String,
    budget: Option<f64>,
) -> (TestApp, crate::docker_support::Sweep) {
    docker_app(
        Some(model_url),
        Options {
            tweak: Some(Arc::new(move |config: &mut domain::Config| {
                config.network = NetworkChoice::None;
                config.session_budget_usd = budget;
                for (name, value) in &mut config.agent_env {
                    if name == "ANTHROPIC_API_KEY" {
                        *value = CANARY.to_owned();
                    }
                }
            })),
            ..Options::default()
        },
    )
    .await
}

/// Runs one turn to its `chat:done`, whether or not it reported an error on the way (a refused
/// model call ends the turn with an error and then `chat:done`).
async fn turn(app: &TestApp, session: &str, content: &str) -> Value {
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": session, "content": content}))
        .await;
    let wanted = session.to_owned();
    ws.wait_for(TURN, move |event| {
        event["type"] == "chat:done" && event["sessionId"] == wanted.as_str()
    })
    .await
}

#[tokio::test]
async fn an_offline_container_works_through_the_proxy_and_never_sees_the_platform_key() {
    let model = model(script());
    let (app, _sweep) = offline_app(model.base_url(), None).await;
    let project = app.create_project("offline").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();

    let done = turn(&app, id, "please write hello").await;
    assert_eq!(done["interrupted"], false);
    assert_eq!(
        crate::support::read(app.root().join("offline/hello.txt")),
        "written offline\n"
    );

    // The platform's MCP tools answer over the mounted socket, with no network either.
    turn(&app, id, "please list the projects").await;
    let messages = app.messages(id).await;
    let listed = &messages.last().unwrap()["tool_use"][0];
    assert_eq!(
        listed["tool"], "mcp__agentyard__list_projects",
        "{messages:#?}"
    );
    assert!(
        listed["result"]
            .as_str()
            .unwrap_or_default()
            .contains("offline"),
        "{listed}"
    );

    let container = container_name(id);
    let network = docker(&["inspect", "-f", "{{.HostConfig.NetworkMode}}", &container]);
    assert_eq!(network.trim(), "none");
    let requests = model.requests();
    assert!(!requests.is_empty(), "the model was called");
    for request in &requests {
        assert_eq!(
            request.headers.get("x-api-key").map(String::as_str),
            Some(CANARY),
            "every call reaches the model with the platform's key"
        );
    }

    let env = docker(&["inspect", "-f", "{{json .Config.Env}}", &container]);
    assert!(!env.contains(CANARY), "the container's environment: {env}");
    assert!(env.contains("agentyard-placeholder-key"), "{env}");
    // Every file of the container (its mounts included) and every process's command line and
    // environment, read as root while a turn runs. The pattern is a regex that does not match
    // itself, so the search's own command line is not a finding.
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "go slowly"}))
        .await;
    ws.wait_for(TURN, |event| {
        event["type"] == "chat:chunk" && event["sessionId"] == id
    })
    .await;
    let (head, last) = CANARY.split_at(CANARY.len() - 1);
    let pattern = format!("{head}[{last}]");
    let search = format!(
        "grep -rlE --exclude-dir=proc --exclude-dir=sys '{pattern}' / 2>/dev/null; \
         cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -E '{pattern}'; \
         echo searched; cat /proc/[0-9]*/cmdline | tr '\\0' ' ' | grep -c 'model-[p]roxy'"
    );
    let found = docker(&["exec", "-u", "0", &container, "sh", "-c", &search]);
    ws.done(id, TURN).await;
    let (findings, running) = found.trim().split_once("searched").unwrap();
    assert_eq!(
        findings.trim(),
        "",
        "the canary key is inside the container"
    );
    assert_ne!(
        running.trim(),
        "0",
        "the agent was running during the search"
    );

    let (status, usage) = app.get(&format!("/api/sessions/{id}/usage")).await;
    assert_eq!(status, 200, "{usage}");
    assert!(usage["input_tokens"].as_i64().unwrap() > 0, "{usage}");
    assert!(usage["output_tokens"].as_i64().unwrap() > 0, "{usage}");
    assert!(usage["budget_usd"].is_null(), "{usage}");
}

#[tokio::test]
async fn a_local_agent_reaches_the_model_through_the_proxy_and_its_home_never_holds_the_key() {
    let model = model(script());
    let app = TestApp::spawn_with(Options {
        model_url: Some(model.base_url()),
        tweak: Some(Arc::new(|config: &mut domain::Config| {
            for (name, value) in &mut config.agent_env {
                if name == "ANTHROPIC_API_KEY" {
                    *value = CANARY.to_owned();
                }
            }
        })),
        ..Options::default()
    })
    .await;
    let project = app.create_project("local").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    turn(&app, id, "please write hello").await;
    assert_eq!(
        crate::support::read(app.root().join("local/hello.txt")),
        "written offline\n"
    );
    let requests = model.requests();
    assert!(!requests.is_empty(), "the model was called");
    assert!(
        requests
            .iter()
            .all(|request| request.headers.get("x-api-key").map(String::as_str) == Some(CANARY)),
        "every call reaches the model with the platform's key"
    );
    // The agent's HOME (its settings, history and logs) never saw the key either.
    let home = app.data_dir.path().join(format!("sessions/{id}/home"));
    let found = std::process::Command::new("grep")
        .args(["-rlF", CANARY])
        .arg(&home)
        .output()
        .unwrap();
    assert!(
        found.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&found.stdout)
    );
    // Only the proxy counts tokens, so a count proves the calls went through it.
    let (_, usage) = app.get(&format!("/api/sessions/{id}/usage")).await;
    assert!(usage["output_tokens"].as_i64().unwrap() > 0, "{usage}");
}

#[tokio::test]
async fn a_spent_budget_stops_the_next_turn_with_a_clear_error() {
    let model = model(script());
    let (app, _sweep) = offline_app(model.base_url(), Some(1e-9)).await;
    let project = app.create_project("budget").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();

    turn(&app, id, "say hi").await;
    let (_, usage) = app.get(&format!("/api/sessions/{id}/usage")).await;
    assert!(usage["cost_usd"].as_f64().unwrap() > 1e-9, "{usage}");
    let calls = model.requests().len();

    turn(&app, id, "say hi again").await;
    assert_eq!(model.requests().len(), calls, "no call passed the budget");
    let messages = app.messages(id).await;
    let last = messages.last().unwrap();
    let text = last.to_string();
    assert!(
        text.contains("budget is spent") && text.contains("AGENT_SESSION_BUDGET_USD"),
        "{messages:#?}"
    );
}

/// A local-mode platform whose model variables are exactly `env` (no key unless given).
async fn app_with_model_env(env: Vec<(String, String)>) -> TestApp {
    TestApp::spawn_with(Options {
        tweak: Some(Arc::new(move |config: &mut domain::Config| {
            config.agent_env.retain(|(name, _)| {
                !engine::model_proxy::PLATFORM_ONLY_VARIABLES.contains(&name.as_str())
            });
            config.agent_env.extend(env.iter().cloned());
        })),
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn without_credentials_a_message_gets_an_immediate_error_naming_the_variable_to_set() {
    let app = app_with_model_env(Vec::new()).await;
    let (status, health) = app.get("/api/health").await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["model"]["credentials"], "none", "{health}");
    assert_eq!(health["model"]["upstream"], "https://api.anthropic.com");
    assert!(
        health["model"]["problem"]
            .as_str()
            .unwrap()
            .contains("ANTHROPIC_API_KEY"),
        "{health}"
    );
    let project = app.create_project("nokey").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "hello"}))
        .await;
    let error = ws.error_of(id, Duration::from_secs(5)).await;
    assert_eq!(error["code"], "model_credentials_missing", "{error}");
    assert!(
        error["remediation"]
            .as_str()
            .unwrap()
            .contains("ANTHROPIC_API_KEY"),
        "{error}"
    );
}

#[tokio::test]
async fn a_platform_with_a_key_says_so_in_its_health() {
    let app = app_with_model_env(vec![
        ("ANTHROPIC_API_KEY".to_owned(), CANARY.to_owned()),
        (
            "ANTHROPIC_BASE_URL".to_owned(),
            "http://127.0.0.1:9/".to_owned(),
        ),
    ])
    .await;
    let (_, health) = app.get("/api/health").await;
    assert_eq!(health["model"]["credentials"], "api_key", "{health}");
    assert_eq!(health["model"]["upstream"], "http://127.0.0.1:9");
    assert!(health["model"]["problem"].is_null(), "{health}");
    assert!(!health.to_string().contains(CANARY), "{health}");
}

#[tokio::test]
async fn an_unreachable_upstream_shows_in_the_session_within_seconds_and_the_turn_can_be_stopped() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = TestApp::spawn_with(Options {
        model_url: Some(upstream.clone()),
        ..Options::default()
    })
    .await;
    let project = app.create_project("unreachable").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "hello"}))
        .await;
    let error = ws.error_of(id, Duration::from_secs(20)).await;
    assert_eq!(error["code"], "model_upstream", "{error}");
    let text = error["error"].as_str().unwrap();
    assert!(
        text.contains(&upstream) && text.contains("cannot be reached"),
        "{error}"
    );
    // The CLI keeps retrying; the user stops the turn.
    ws.send(json!({"type": "chat:stop", "sessionId": id})).await;
    ws.wait_for(Duration::from_secs(30), |event| {
        event["type"] == "chat:done" && event["sessionId"] == id
    })
    .await;
}
