//! The platform in its own container, as `docker-compose.yml` runs it: the image built from the
//! host's binaries by `scripts/build-platform-image.sh`, the host's Docker socket, and the projects
//! and data directories as volumes. Run with `--network host` (so the scripted model on the host's
//! loopback answers it), it must still find its own container to learn the host paths of its
//! volumes, ship the bridge so its agents get the MCP tools and the model proxy, and keep the model
//! key out of the agent containers.

use crate::docker_support::{Sweep, container_name, docker, inspect, require_docker};
use crate::support::{TOKEN, model};
use reqwest::StatusCode;
use scripted_model::{Reply, Script};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The platform's model key: it must reach the model (added by the proxy), and no agent container.
const REAL_KEY: &str = "sk-ant-real-key-held-by-the-platform-only";
const IMAGE: &str = "agentyard-platform:it";

/// Removes the platform's container however the test ends.
struct PlatformContainer {
    name: String,
}

impl PlatformContainer {
    fn logs(&self) -> String {
        Command::new("docker")
            .args(["logs", &self.name])
            .output()
            .map(|output| {
                String::from_utf8_lossy(&output.stdout).into_owned()
                    + &String::from_utf8_lossy(&output.stderr)
            })
            .unwrap_or_default()
    }
}

impl Drop for PlatformContainer {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rm", "-f", &self.name])
            .output();
    }
}

fn build_image() {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::new("bash")
        .arg("scripts/build-platform-image.sh")
        .current_dir(&repository)
        .env("PROFILE", "debug")
        .env("TAG", IMAGE)
        .output()
        .expect("bash runs");
    assert!(
        output.status.success(),
        "scripts/build-platform-image.sh failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn the_platform_image_runs_agents_with_their_tools_and_without_the_key() {
    require_docker();
    build_image();
    let script = Script::new().rule(
        "which projects exist",
        [
            Reply::tool_use("mcp__agentyard__list_projects", json!({})),
            Reply::text("listed from a container"),
        ],
    );
    let model = model(script);
    let projects = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let platform = PlatformContainer {
        name: format!("agentyard-platform-it-{port}"),
    };
    let volume = |host: &Path, inside: &str| format!("{}:{inside}", host.display());
    docker(&[
        "run",
        "-d",
        "--name",
        &platform.name,
        "--network",
        "host",
        "-v",
        "/var/run/docker.sock:/var/run/docker.sock",
        "-v",
        &volume(projects.path(), "/projects"),
        "-v",
        &volume(data.path(), "/data"),
        "-e",
        &format!("AGENTYARD_TOKEN={TOKEN}"),
        "-e",
        &format!("AGENTYARD_BIND=127.0.0.1:{port}"),
        // The agent reaches its model and its tools through the sockets of its session alone.
        "-e",
        "AGENT_NETWORK=none",
        "-e",
        &format!("ANTHROPIC_BASE_URL={}", model.base_url()),
        "-e",
        &format!("ANTHROPIC_API_KEY={REAL_KEY}"),
        "-e",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
        IMAGE,
    ]);

    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let health = client.get(format!("{base}/api/health")).send().await;
        if health.is_ok_and(|response| response.status() == StatusCode::OK) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the platform in its container did not become healthy:\n{}",
            platform.logs()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _sweep = Sweep::of_data_dir(data.path());
    let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut request = client
            .request(method, format!("{base}{path}"))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.expect("the platform answers");
            let status = response.status();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };

    let (status, project) = call(
        reqwest::Method::POST,
        "/api/projects",
        Some(json!({"name": "in-a-container"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    let (status, session) = call(
        reqwest::Method::POST,
        "/api/sessions",
        Some(json!({"project_id": project["id"], "mode": "execute"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let id = session["id"].as_str().unwrap().to_owned();
    let (status, body) = call(
        reqwest::Method::POST,
        &format!("/api/sessions/{id}/messages"),
        Some(json!({"content": "which projects exist?"})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    let started = Instant::now();
    let answer = loop {
        let (_, messages) = call(
            reqwest::Method::GET,
            &format!("/api/sessions/{id}/messages"),
            None,
        )
        .await;
        let (_, session) = call(reqwest::Method::GET, &format!("/api/sessions/{id}"), None).await;
        let finished = messages[1]["content"]
            .as_str()
            .is_some_and(|content| content.contains("listed from a container"));
        if finished && session["run_state"] != "running" {
            break messages[1].clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "the turn did not finish: {messages}\n{}",
            platform.logs()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(
        answer["tool_use"][0]["tool"], "mcp__agentyard__list_projects",
        "{answer}"
    );
    assert!(
        answer["tool_use"][0]["result"]
            .as_str()
            .is_some_and(|result| result.contains("in-a-container")),
        "the MCP tool answered through the bridge: {answer}"
    );

    // Every model call went through the platform's proxy, which added the real key.
    let requests = model.requests();
    assert!(requests.len() >= 2, "{requests:?}");
    for request in &requests {
        assert_eq!(
            request.headers.get("x-api-key").map(String::as_str),
            Some(REAL_KEY),
            "{:?}",
            request.headers
        );
    }

    // The agent's container holds no real key, and mounts the host's paths of the volumes.
    let agent = inspect(&container_name(&id));
    let env = agent["Config"]["Env"].to_string();
    assert!(
        !env.contains(REAL_KEY),
        "the real key is in the agent container: {env}"
    );
    assert_eq!(agent["HostConfig"]["NetworkMode"], "none");
    let mounts = agent["Mounts"].to_string();
    let host_projects = std::fs::canonicalize(projects.path()).unwrap();
    assert!(
        mounts.contains(&host_projects.display().to_string()),
        "the agent mounts the host path of the projects volume: {mounts}"
    );

    let logs = platform.logs();
    assert!(
        logs.contains("host paths discovered"),
        "the platform found its own container: {logs}"
    );
    assert!(
        !logs.contains("is not next to"),
        "the bridge ships in the image: {logs}"
    );
}
