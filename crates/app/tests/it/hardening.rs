//! Container hardening and credential isolation, read back from the real engine with
//! `docker inspect` and from inside the container with the agent's own Bash tool.

use crate::docker_support::{
    Platform, PlatformDirs, Sweep, container_name, docker, docker_app, inspect, require_docker,
};
use crate::support::{Options, model};
use domain::DockerAccess;
use reqwest::{Method, StatusCode};
use scripted_model::{Reply, Script};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const TURN: Duration = Duration::from_secs(90);

fn hello() -> Script {
    Script::new().rule("hello", [Reply::text("hello back")])
}

/// Sends one message over the WebSocket of `app` and waits for its turn to end.
async fn one_turn(app: &crate::support::TestApp, session: &str, content: &str) {
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": session, "content": content}))
        .await;
    let done = ws.done(session, TURN).await;
    assert_eq!(done["interrupted"], false, "{:#?}", ws.of(session));
}

fn binds(container: &Value) -> Vec<String> {
    container["HostConfig"]["Binds"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|bind| bind.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_session_container_has_every_limit_and_flag_and_runs_as_the_project_owner() {
    let model = model(hello());
    let (app, _sweep) = docker_app(
        Some(model.base_url()),
        Options {
            tweak: Some(Arc::new(|config| {
                config.user = "1500:1501".parse().unwrap()
            })),
            ..Options::default()
        },
    )
    .await;
    let owned = app.create_project("owned").await;
    let rooted = app.create_project("rooted").await;
    std::os::unix::fs::chown(app.root().join("owned"), Some(4321), Some(4322)).unwrap();
    let owned_session = app.create_session(&owned, "execute").await;
    let rooted_session = app.create_session(&rooted, "execute").await;
    let owned_id = owned_session["id"].as_str().unwrap();
    let rooted_id = rooted_session["id"].as_str().unwrap();
    one_turn(&app, owned_id, "hello").await;
    let container = inspect(&container_name(owned_id));
    one_turn(&app, rooted_id, "hello").await;
    let rooted_container = inspect(&container_name(rooted_id));

    let host = &container["HostConfig"];
    assert_eq!(host["Memory"], 4_i64 << 30);
    assert_eq!(host["MemorySwap"], 4_i64 << 30);
    assert_eq!(host["NanoCpus"], 2_000_000_000_i64);
    assert_eq!(host["PidsLimit"], 512);
    assert_eq!(host["CapDrop"], json!(["ALL"]));
    assert!(
        host["CapAdd"].is_null() || host["CapAdd"] == json!([]),
        "{}",
        host["CapAdd"]
    );
    assert_eq!(host["SecurityOpt"], json!(["no-new-privileges"]));
    assert_eq!(host["Init"], true);
    assert_eq!(host["Privileged"], false);
    assert_eq!(host["NetworkMode"], "host");
    assert_eq!(
        container["Config"]["User"], "4321:4322",
        "the project's owner"
    );
    assert_eq!(container["Config"]["Labels"]["agentyard.session"], owned_id);
    let mounts = binds(&container);
    assert!(
        mounts.iter().all(|bind| !bind.contains("docker.sock")),
        "no Docker socket by default: {mounts:?}"
    );
    assert!(
        mounts.iter().all(|bind| !bind.starts_with("/root")),
        "the user's home is never mounted: {mounts:?}"
    );

    assert_eq!(
        rooted_container["Config"]["User"], "1500:1501",
        "AGENT_USER when root owns the project"
    );
    let metadata = std::fs::metadata(app.root().join("rooted")).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!((metadata.uid(), metadata.gid()), (1500, 1501));
}

#[tokio::test]
async fn socket_access_mounts_the_docker_socket_and_nothing_else_does() {
    let model = model(hello());
    let (app, _sweep) = docker_app(
        Some(model.base_url()),
        Options {
            tweak: Some(Arc::new(|config| {
                config.docker_access = DockerAccess::Socket;
            })),
            ..Options::default()
        },
    )
    .await;
    let project = app.create_project("socket").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    one_turn(&app, id, "hello").await;
    let mounts = binds(&inspect(&container_name(id)));
    assert!(
        mounts.contains(&"/var/run/docker.sock:/var/run/docker.sock".to_owned()),
        "{mounts:?}"
    );
}

#[test]
fn a_runtime_the_engine_lacks_stops_startup_with_a_clear_error() {
    require_docker();
    let dirs = PlatformDirs::new();
    let output = dirs
        .command(&["serve"], &[("AGENT_RUNTIME", "no-such-runc")])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`no-such-runc` (AGENT_RUNTIME) is not registered")
            && stderr.contains("unset AGENT_RUNTIME"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_missing_agent_network_is_created_at_start() {
    require_docker();
    let name = format!("agentyard-test-{}", uuid_like());
    let network = name.clone();
    let (app, _sweep) = docker_app(
        None,
        Options {
            tweak: Some(Arc::new(move |config| {
                config.network = domain::NetworkChoice::Named(network.clone());
            })),
            ..Options::default()
        },
    )
    .await;
    let labels = docker(&["network", "inspect", "--format", "{{json .Labels}}", &name]);
    docker(&["network", "rm", &name]);
    assert!(labels.contains("agentyard.managed"), "{labels}");
    let (status, health) = app.get("/api/health").await;
    // The network was removed behind the platform's back: health says so.
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{health}");
    assert_eq!(health["docker"]["networkExists"], false);
    assert_eq!(health["docker"]["socketConnected"], true);
}

fn uuid_like() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[tokio::test]
async fn no_canary_of_the_platforms_environment_reaches_a_container() {
    require_docker();
    const CANARY: &str = "canary-7f3a9c";
    // The agent's commands search for the canary with a pattern that does not contain it
    // literally, so the transcript of the command itself is not a false positive.
    let probe = "echo env:$(env | grep -c 'canary-[7]f3a9c'); \
                 echo files:$(grep -rls 'canary-[7]f3a9c' /home/agent /workspace /tmp /etc /run 2>/dev/null | wc -l); \
                 echo token:$(env | grep -c AGENTYARD_TOKEN); \
                 echo credentials:$(test -e /home/agent/.claude/.credentials.json && echo present || echo absent)";
    let model = model(Script::new().rule(
        "probe",
        [
            Reply::tool_use("Bash", json!({"command": probe, "description": "probe"})),
            Reply::text("probed"),
        ],
    ));
    let dirs = PlatformDirs::new();
    let credentials = dirs.home.path().join(".claude/.credentials.json");
    std::fs::create_dir_all(credentials.parent().unwrap()).unwrap();
    std::fs::write(&credentials, r#"{"note":"test credentials"}"#).unwrap();
    let token = format!("{CANARY}-platform-token");
    let url = model.base_url();
    let platform = Platform::serve(
        &dirs,
        &[
            ("AGENTYARD_TOKEN", token.as_str()),
            ("CANARY_SECRET", CANARY),
            ("AWS_SECRET_ACCESS_KEY", CANARY),
            ("ANTHROPIC_API_KEY", "sk-test-key"),
            ("ANTHROPIC_BASE_URL", url.as_str()),
            ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
        ],
    );
    let _sweep = Sweep::of_data_dir(dirs.data.path());
    let client = reqwest::Client::new();
    let call = |method: Method, path: &str, body: Value| {
        client
            .request(method, format!("{}{path}", platform.base_url))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let project: Value = call(Method::POST, "/api/projects", json!({"name": "canary"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session: Value = call(
        Method::POST,
        "/api/sessions",
        json!({"project_id": project["id"], "mode": "execute"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let id = session["id"].as_str().unwrap().to_owned();
    let sent = call(
        Method::POST,
        &format!("/api/sessions/{id}/messages"),
        json!({"content": "probe"}),
    )
    .await
    .unwrap();
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    let deadline = std::time::Instant::now() + TURN;
    let result = loop {
        let messages: Value = call(
            Method::GET,
            &format!("/api/sessions/{id}/messages"),
            json!(null),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let result = messages[1]["tool_use"][0]["result"]
            .as_str()
            .map(str::to_owned);
        if let Some(result) = result.filter(|_| messages[1]["content"] == "probed") {
            break result;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no probe result: {messages}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(result.contains("env:0"), "{result}");
    assert!(result.contains("files:0"), "{result}");
    assert!(result.contains("token:0"), "{result}");
    // With a platform key the user's login stays on the host (issue 12).
    assert!(result.contains("credentials:absent"), "{result}");
    let container = inspect(&container_name(&id));
    let env = container["Config"]["Env"].to_string();
    assert!(
        !env.contains(CANARY) && !env.contains("AGENTYARD_TOKEN"),
        "{env}"
    );
    // The model is reached through the platform's proxy (the bridge sets ANTHROPIC_BASE_URL for
    // the agent process): the container holds a placeholder key, never the platform's.
    assert!(
        env.contains("ANTHROPIC_API_KEY=agentyard-placeholder-key") && !env.contains("sk-test-key"),
        "{env}"
    );
    let copy = dirs
        .data
        .path()
        .join(format!("sessions/{id}/home/.claude/.credentials.json"));
    assert!(!copy.exists(), "the login was copied to {}", copy.display());
}
