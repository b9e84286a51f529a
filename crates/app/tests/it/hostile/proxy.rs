//! The model proxy attacked from inside a container: a scripted Bash tool call of the real `claude`
//! CLI sends raw HTTP to the proxy's loopback port (its `ANTHROPIC_BASE_URL`) for other API routes,
//! path tricks and a huge body, and looks for the user's Claude login; a budget stops the second
//! call of a turn. Nothing may reach the scripted model but `POST /v1/messages`.

use crate::docker_support::{container_name, docker, docker_app};
use crate::support::{Options, TestApp, model};
use domain::NetworkChoice;
use scripted_model::{Reply, Script, ScriptedModelHandle};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const TURN: Duration = Duration::from_secs(240);
/// The platform's key: it must reach the model and nothing else.
const PLATFORM_KEY: &str = "sk-platform-7d3c1b9e5a";
/// The access token of the fake Claude login seeded in the platform's HOME.
const LOGIN_TOKEN: &str = "sk-ant-oat01-login-canary-4b8f2e";

/// Raw HTTP probes of the proxy port, in bash alone (the agent image has no curl): each prints
/// `PROBE <label> <status line> <error type>`. The huge body declares 40 MiB: the proxy answers
/// before reading it (a body streamed past the limit is `crates/mcp/tests/proxy.rs`'s case).
const PROBES: &str = r#"
port=${ANTHROPIC_BASE_URL##*:}
body='{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"x"}]}'
probe() {
  exec 3<>/dev/tcp/127.0.0.1/$port
  printf '%s %s HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: %s\r\n\r\n%s' "$2" "$3" "${#4}" "$4" >&3
  answer=$(cat <&3 | tr -d '\r'); exec 3<&-
  echo "PROBE $1 $(echo "$answer" | head -1) $(echo "$answer" | grep -o '[a-z_]*_error' | head -1)"
}
probe files POST /v1/files "$body"
probe batches POST /v1/messages/batches "$body"
probe models GET /v1/models ""
probe dotdot POST /v1/messages/../files "$body"
probe slashes POST //v1/files "$body"
probe encoded POST /v1/messages/%2e%2e/files "$body"
exec 3<>/dev/tcp/127.0.0.1/$port
printf 'POST /v1/messages HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: 41943040\r\n\r\n' >&3
answer=$(cat <&3 | tr -d '\r'); exec 3<&-
echo "PROBE huge $(echo "$answer" | head -1)"
"#;

/// The fake login file in a directory standing for the platform user's HOME.
fn seed_login(home: &Path) -> PathBuf {
    let login = home.join(".claude/.credentials.json");
    std::fs::create_dir_all(login.parent().unwrap()).unwrap();
    std::fs::write(
        &login,
        format!(r#"{{"claudeAiOauth":{{"accessToken":"{LOGIN_TOKEN}","refreshToken":"r","expiresAt":1}}}}"#),
    )
    .unwrap();
    login
}

/// A docker-mode platform with no network for agents, the platform's key, a Claude login in its
/// HOME and an optional budget.
async fn platform(
    model_url: String,
    login: PathBuf,
    budget: Option<f64>,
) -> (TestApp, crate::docker_support::Sweep) {
    docker_app(
        Some(model_url),
        Options {
            tweak: Some(Arc::new(move |config: &mut domain::Config| {
                config.network = NetworkChoice::None;
                config.session_budget_usd = budget;
                config.claude_credentials = Some(login.clone());
                for (name, value) in &mut config.agent_env {
                    if name == "ANTHROPIC_API_KEY" {
                        *value = PLATFORM_KEY.to_owned();
                    }
                }
            })),
            ..Options::default()
        },
    )
    .await
}

/// The text of every tool result the CLI sent back to the model in conversations with `prompt`.
fn tool_results(model: &ScriptedModelHandle, prompt: &str) -> String {
    model
        .requests()
        .iter()
        .filter(|request| request.body.to_string().contains(prompt))
        .flat_map(|request| {
            request.body["messages"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|message| message["content"].as_array().cloned())
        .flatten()
        .filter(|block| block["type"] == "tool_result")
        .map(|block| match &block["content"] {
            Value::String(text) => text.clone(),
            Value::Array(parts) => parts
                .iter()
                .filter_map(|part| part["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn an_agent_reaches_no_other_model_route_and_never_the_users_login() {
    let login_home = tempfile::tempdir().unwrap();
    let login = seed_login(login_home.path());
    // A pattern that does not match itself, so the CLI's transcript of this command is no finding.
    let (head, last) = LOGIN_TOKEN.split_at(LOGIN_TOKEN.len() - 1);
    let command = format!(
        "{PROBES}\n\
         test -e ~/.claude/.credentials.json && echo LOGIN-PRESENT || echo LOGIN-ABSENT; \
         grep -rlE '{head}[{last}]' / --exclude-dir=proc --exclude-dir=sys 2>/dev/null | head -3; echo SEARCHED"
    );
    let script = Script::new().rule(
        "probe the proxy",
        [
            Reply::tool_use("Bash", json!({"command": command, "timeout": 120000})),
            Reply::text("probed"),
        ],
    );
    let model = model(script);
    let (app, _sweep) = platform(model.base_url(), login, None).await;
    let project = app.create_project("probe").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    // A copy an earlier version left in the session's HOME goes before the agent runs.
    let home = app.data_dir.path().join(format!("sessions/{id}/home"));
    let stale = seed_login(&home);

    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "please probe the proxy"}))
        .await;
    ws.done(id, TURN).await;

    let seen = tool_results(&model, "probe the proxy");
    for label in ["files", "batches", "models", "dotdot", "slashes", "encoded"] {
        let line = seen
            .lines()
            .find(|line| line.starts_with(&format!("PROBE {label} ")))
            .unwrap_or_else(|| panic!("no probe {label} in {seen}"));
        assert!(
            line.contains(" 403 ") && line.contains("permission_error"),
            "the agent saw the refusal: {line}"
        );
    }
    let huge = seen
        .lines()
        .find(|line| line.starts_with("PROBE huge "))
        .unwrap_or_else(|| panic!("no huge probe in {seen}"));
    assert!(huge.contains(" 413 "), "{huge}");
    assert!(seen.contains("LOGIN-ABSENT"), "{seen}");
    let (findings, _) = seen.split_once("SEARCHED").expect("the search ran");
    let findings: Vec<&str> = findings
        .lines()
        .filter(|line| line.starts_with('/'))
        .collect();
    assert!(
        findings.is_empty(),
        "the login token is in the container: {findings:?}"
    );

    // Upstream: only model calls, each with the platform's key, never the login.
    assert!(
        model.other_requests().is_empty(),
        "{:?}",
        model.other_requests()
    );
    let requests = model.requests();
    assert!(!requests.is_empty());
    for request in &requests {
        assert!(request.path.starts_with("/v1/messages"), "{}", request.path);
        assert_eq!(
            request.headers.get("x-api-key").map(String::as_str),
            Some(PLATFORM_KEY)
        );
        assert!(
            !format!("{:?}", request.headers).contains(LOGIN_TOKEN),
            "{:?}",
            request.headers
        );
        assert!(
            !request.body.to_string().contains("\"content\":\"x\""),
            "a probe reached the model: {}",
            request.body
        );
    }

    // The session's state dir holds no login, not even the stale copy, and the container has none.
    assert!(!stale.exists(), "the stale copy was deleted");
    let state = app.data_dir.path().join(format!("sessions/{id}"));
    let found = std::process::Command::new("grep")
        .args(["-rl", LOGIN_TOKEN])
        .arg(&state)
        .output()
        .unwrap();
    assert!(
        found.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&found.stdout)
    );
    let inside = docker(&[
        "exec",
        &container_name(id),
        "sh",
        "-c",
        "test -e \"$HOME/.claude/.credentials.json\" && echo present || echo absent",
    ]);
    assert_eq!(inside.trim(), "absent");
}

#[tokio::test]
async fn a_spent_budget_refuses_the_second_call_of_the_same_turn() {
    let login_home = tempfile::tempdir().unwrap();
    let login = seed_login(login_home.path());
    let script = Script::new().rule(
        "spend it all",
        [
            Reply::tool_use("Bash", json!({"command": "echo SECOND-CALL-NEEDED"})),
            Reply::text("the second call answered"),
        ],
    );
    let model = model(script);
    // The CLI's first call carries its whole system prompt and tools (tens of thousands of
    // tokens): its usage alone is far more than a cent.
    let (app, _sweep) = platform(model.base_url(), login, Some(0.01)).await;
    let project = app.create_project("budget").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();

    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "please spend it all"}))
        .await;
    ws.wait_for(TURN, |event| {
        event["type"] == "chat:done" && event["sessionId"] == id
    })
    .await;

    let calls: Vec<_> = model
        .requests()
        .into_iter()
        .filter(|request| request.body.to_string().contains("spend it all"))
        .collect();
    assert_eq!(calls.len(), 1, "only the first call reached the model");
    let (_, usage) = app.get(&format!("/api/sessions/{id}/usage")).await;
    assert!(usage["input_tokens"].as_i64().unwrap() > 1000, "{usage}");
    let messages = app.messages(id).await;
    let reply = messages.last().unwrap().to_string();
    assert!(
        reply.contains("budget is spent") && reply.contains("AGENT_SESSION_BUDGET_USD"),
        "{messages:#?}"
    );
    assert!(!reply.contains("the second call answered"), "{reply}");
}
