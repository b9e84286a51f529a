//! `TestApp`: the real platform started in-process on port 0, with a temp data dir and a temp
//! `PROJECTS_ROOT`, plus typed helpers for its HTTP API and WebSocket.

use agentyard::Running;
use agentyard::config::ConfigArgs;
use futures::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use scripted_model::{Script, ScriptedModel, ScriptedModelHandle};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;
use tokio_tungstenite::tungstenite::Message as WsMessage;

pub const TOKEN: &str = "test-token-0123456789abcdef";

/// A change a test makes to the configuration.
pub type Tweak = std::sync::Arc<dyn Fn(&mut domain::Config) + Send + Sync>;

/// How a test wants its platform.
#[derive(Clone)]
pub struct Options {
    pub mode: &'static str,
    /// The scripted model agents talk to, when the test runs turns.
    pub model_url: Option<String>,
    pub extra: Vec<(String, String)>,
    /// `AGENT_DEFAULT_IMAGE`, when the test sets it.
    pub default_image: Option<String>,
    /// Changes the configuration after the defaults above (idle timeout, Docker address, ...).
    pub tweak: Option<Tweak>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            mode: "local",
            model_url: None,
            extra: Vec::new(),
            default_image: None,
            tweak: None,
        }
    }
}

pub struct TestApp {
    running: Option<Running>,
    pub base_url: String,
    /// The preview origin (`AGENTYARD_PREVIEW_BIND`).
    pub preview_url: String,
    pub client: reqwest::Client,
    pub data_dir: TempDir,
    pub projects_root: TempDir,
    options: Options,
}

/// The `claude` binary under test; fails the test (never skips) when it is missing.
pub fn claude() -> PathBuf {
    scripted_model::claude_binary().unwrap_or_else(|error| panic!("{error}"))
}

/// The `codex` binary under test; fails the test (never skips) when it is missing.
pub fn codex() -> PathBuf {
    scripted_model::codex_binary().unwrap_or_else(|error| panic!("{error}"))
}

/// Builds `agentyard-bridge` (once per test run) next to the test binaries, where the platform
/// looks for it: `cargo test -p agentyard` alone does not build another crate's binary, and a
/// stale bridge would run agents with an older protocol.
fn ensure_bridge() {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = std::process::Command::new(cargo)
            .args(["build", "--quiet", "-p", "mcp", "--bin", "agentyard-bridge"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building agentyard-bridge failed");
    });
}

/// A scripted model serving `script` on loopback.
pub fn model(script: Script) -> ScriptedModelHandle {
    ScriptedModel::start(script)
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Options::default()).await
    }

    pub async fn spawn_with(options: Options) -> TestApp {
        ensure_bridge();
        let data_dir = tempfile::tempdir().expect("temp data dir");
        let projects_root = tempfile::tempdir().expect("temp projects root");
        let mut app = TestApp {
            running: None,
            base_url: String::new(),
            preview_url: String::new(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            data_dir,
            projects_root,
            options,
        };
        app.start().await;
        app
    }

    fn config(&self) -> domain::Config {
        let options = &self.options;
        // Inside an agent container the CLI is the image's own `claude`.
        let agent_command = if options.mode == "docker" {
            "claude".to_owned()
        } else if options.model_url.is_some() {
            claude().display().to_string()
        } else {
            "claude".to_owned()
        };
        let args = ConfigArgs {
            agent_mode: Some(options.mode.to_owned()),
            agent_command: Some(agent_command),
            // Local mode runs the pinned `codex` when it is installed; a codex test that needs it
            // asks for it with `codex()`, which fails (never skips) when it is missing.
            agent_codex_command: (options.mode != "docker")
                .then(|| scripted_model::codex_binary().ok())
                .flatten()
                .map(|path| path.display().to_string()),
            agent_network: Some("host".to_owned()),
            projects_root: Some(self.projects_root.path().display().to_string()),
            data_dir: Some(self.data_dir.path().display().to_string()),
            token: Some(TOKEN.to_owned()),
            agent_default_image: options.default_image.clone(),
            ..ConfigArgs::default()
        };
        let mut config = args.into_config().expect("test configuration is valid");
        config.agent_env = vec![
            ("ANTHROPIC_API_KEY".to_owned(), "sk-test-key".to_owned()),
            (
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC".to_owned(),
                "1".to_owned(),
            ),
        ];
        if let Some(url) = &options.model_url {
            config
                .agent_env
                .push(("ANTHROPIC_BASE_URL".to_owned(), url.clone()));
        }
        config.agent_env.extend(options.extra.iter().cloned());
        // Never copy the developer's own Claude login into test sessions.
        config.claude_credentials = None;
        if let Some(tweak) = &options.tweak {
            tweak(&mut config);
        }
        config
    }

    async fn start(&mut self) {
        let listeners = agentyard::Listeners::loopback().await.unwrap();
        let running = agentyard::start(self.config(), Some(listeners))
            .await
            .expect("the platform starts");
        self.base_url = running.base_url();
        self.preview_url = running.preview_base_url();
        self.running = Some(running);
    }

    /// Stops the platform and starts it again on the same data dir and projects root.
    pub async fn restart(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("the platform stops");
        }
        self.start().await;
    }

    pub fn root(&self) -> PathBuf {
        std::fs::canonicalize(self.projects_root.path()).unwrap()
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.request(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.request(Method::DELETE, path, None).await
    }

    /// Sends raw bytes as a JSON body.
    pub async fn post_raw(&self, path: &str, body: &'static str) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn create_project(&self, name: &str) -> Value {
        let (status, project) = self.post("/api/projects", json!({"name": name})).await;
        assert_eq!(status, StatusCode::CREATED, "{project}");
        project
    }

    pub async fn create_session(&self, project: &Value, mode: &str) -> Value {
        let (status, session) = self
            .post(
                "/api/sessions",
                json!({"project_id": project["id"], "title": "test", "mode": mode}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{session}");
        session
    }

    pub async fn session(&self, id: &str) -> Value {
        self.get(&format!("/api/sessions/{id}")).await.1
    }

    pub async fn messages(&self, id: &str) -> Vec<Value> {
        let (status, messages) = self.get(&format!("/api/sessions/{id}/messages")).await;
        assert_eq!(status, StatusCode::OK, "{messages}");
        messages.as_array().cloned().unwrap_or_default()
    }

    pub async fn ws(&self) -> Ws {
        let url = format!(
            "{}/ws?token={TOKEN}",
            self.base_url.replace("http://", "ws://")
        );
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("WebSocket connects");
        Ws {
            stream,
            seen: Vec::new(),
        }
    }

    /// Counts rows of a table straight from the database file, to prove a rejected request changed nothing.
    pub fn project_dirs(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.projects_root.path())
            .unwrap()
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// A WebSocket client that remembers every envelope it received.
pub struct Ws {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    pub seen: Vec<Value>,
}

impl Ws {
    pub async fn send(&mut self, message: Value) {
        self.stream
            .send(WsMessage::Text(message.to_string().into()))
            .await
            .expect("WebSocket send");
    }

    /// Waits (up to `limit`) for an envelope matching `wanted`, keeping every one received.
    pub async fn wait_for(&mut self, limit: Duration, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(found) = self.seen.iter().find(|event| wanted(event)) {
            return found.clone();
        }
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let next = tokio::time::timeout_at(deadline, self.stream.next()).await;
            match next {
                Ok(Some(Ok(WsMessage::Text(text)))) => {
                    let event: Value = serde_json::from_str(&text).expect("envelopes are JSON");
                    self.seen.push(event.clone());
                    if wanted(&event) {
                        return event;
                    }
                }
                Ok(Some(Ok(_))) => {}
                Ok(other) => panic!("the WebSocket ended: {other:?}"),
                Err(_) => panic!(
                    "no matching envelope within {limit:?}; received: {}",
                    serde_json::to_string_pretty(&self.seen).unwrap()
                ),
            }
        }
    }

    /// Waits (up to `limit`) for a `chat:error` of a session.
    pub async fn error_of(&mut self, session: &str, limit: Duration) -> Value {
        let wanted = session.to_owned();
        self.wait_for(limit, move |event| {
            event["type"] == "chat:error" && event["sessionId"] == wanted.as_str()
        })
        .await
    }

    /// Waits for the `chat:done` of a session; a `chat:error` of that session instead fails the
    /// test at once with the error, rather than after the time limit.
    pub async fn done(&mut self, session: &str, limit: Duration) -> Value {
        let wanted = session.to_owned();
        let ended = self
            .wait_for(limit, move |event| {
                (event["type"] == "chat:done" || event["type"] == "chat:error")
                    && event["sessionId"] == wanted.as_str()
            })
            .await;
        assert_eq!(ended["type"], "chat:done", "the turn failed: {ended}");
        ended
    }

    /// Waits until `count` envelopes of `kind` for `session` have arrived.
    pub async fn wait_count(&mut self, session: &str, kind: &str, count: usize, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self
            .of(session)
            .iter()
            .filter(|event| event["type"] == kind)
            .count()
            < count
        {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            assert!(
                !left.is_zero(),
                "fewer than {count} {kind}: {}",
                serde_json::to_string_pretty(&self.seen).unwrap()
            );
            self.next(left).await;
        }
    }

    /// Keeps every envelope that arrives within `limit`.
    pub async fn collect_for(&mut self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return;
            }
            self.next(left).await;
        }
    }

    async fn next(&mut self, limit: Duration) {
        if let Ok(Some(Ok(WsMessage::Text(text)))) =
            tokio::time::timeout(limit, self.stream.next()).await
        {
            self.seen
                .push(serde_json::from_str(&text).expect("envelopes are JSON"));
        }
    }

    /// Envelopes of one session, in order.
    pub fn of(&self, session: &str) -> Vec<&Value> {
        self.seen
            .iter()
            .filter(|event| event["sessionId"] == session)
            .collect()
    }
}

/// Reads a file of a project, for asserting what the agent wrote.
pub fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref())
        .unwrap_or_else(|error| panic!("{}: {error}", path.as_ref().display()))
}
