//! Helpers for tests against the real Docker Engine: a docker-mode `TestApp`, `docker inspect`,
//! and a guard that removes every container the test's platform created.

use crate::support::{Options, TestApp};
use serde_json::Value;
use std::process::Command;

/// Fails (never skips) when the engine or the default agent image is missing.
pub fn require_docker() {
    let ping = Command::new("docker")
        .args([
            "image",
            "inspect",
            "--format",
            "{{.Id}}",
            "claude-agent-base",
        ])
        .output();
    match ping {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!(
            "docker-mode tests need the Docker Engine and the image claude-agent-base \
             (run `bash scripts/setup-docker.sh` as root): {}",
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(error) => panic!(
            "docker-mode tests need the docker CLI and engine (run `bash scripts/setup-docker.sh` as root): {error}"
        ),
    }
}

/// A platform in docker mode whose agents reach `model_url` over the host network.
pub async fn docker_app(model_url: Option<String>, options: Options) -> (TestApp, Sweep) {
    require_docker();
    let app = TestApp::spawn_with(Options {
        mode: "docker",
        model_url,
        ..options
    })
    .await;
    let sweep = Sweep::of(&app);
    (app, sweep)
}

/// Runs the docker CLI and returns its stdout; panics with its stderr when it fails.
pub fn docker(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI runs");
    assert!(
        output.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `docker inspect` of one container.
pub fn inspect(container: &str) -> Value {
    let text = docker(&["inspect", container]);
    let all: Value = serde_json::from_str(&text).expect("docker inspect prints JSON");
    all[0].clone()
}

/// Ids of the containers (running or not) labelled with `session`.
pub fn containers_of(session: &str) -> Vec<String> {
    docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=agentyard.session={session}"),
    ])
    .split_whitespace()
    .map(str::to_owned)
    .collect()
}

/// The name every session container gets.
pub fn container_name(session: &str) -> String {
    format!("agentyard-{session}")
}

/// Removes, when dropped, every container labelled with the platform instance of a data dir.
pub struct Sweep {
    instance: String,
}

impl Sweep {
    pub fn of(app: &TestApp) -> Sweep {
        Sweep::of_data_dir(app.data_dir.path())
    }

    pub fn of_data_dir(data_dir: &std::path::Path) -> Sweep {
        let instance = std::fs::read_to_string(data_dir.join("instance"))
            .expect("a docker-mode platform saved its instance id")
            .trim()
            .to_owned();
        Sweep { instance }
    }

    pub fn containers(&self) -> Vec<String> {
        docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=agentyard.instance={}", self.instance),
        ])
        .split_whitespace()
        .map(str::to_owned)
        .collect()
    }
}

impl Drop for Sweep {
    fn drop(&mut self) {
        for id in self.containers() {
            let _ = Command::new("docker").args(["rm", "-f", &id]).output();
        }
    }
}

/// The real `agentyard` binary serving in docker mode as a child process, with an environment
/// the test controls entirely. Killed when dropped.
pub struct Platform {
    child: std::process::Child,
    pub base_url: String,
}

/// Directories a `Platform` keeps across restarts.
pub struct PlatformDirs {
    pub home: tempfile::TempDir,
    pub data: tempfile::TempDir,
    pub projects: tempfile::TempDir,
}

impl PlatformDirs {
    pub fn new() -> PlatformDirs {
        PlatformDirs {
            home: tempfile::tempdir().unwrap(),
            data: tempfile::tempdir().unwrap(),
            projects: tempfile::tempdir().unwrap(),
        }
    }

    /// `agentyard <args>` with only PATH, these directories and `env` in its environment.
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_agentyard"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("AGENTYARD_DATA_DIR", self.data.path())
            .env("PROJECTS_ROOT", self.projects.path())
            .env("AGENTYARD_BIND", "127.0.0.1:0")
            .env("AGENTYARD_TOKEN", crate::support::TOKEN)
            .env("AGENT_MODE", "docker")
            .env("AGENT_NETWORK", "host")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied());
        command
    }
}

impl Platform {
    /// Starts `agentyard serve` and waits until it prints where it listens.
    pub fn serve(dirs: &PlatformDirs, env: &[(&str, &str)]) -> Platform {
        use std::io::BufRead;
        let mut child = dirs
            .command(&["serve"], env)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("the agentyard binary starts");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the platform prints its address");
        let base_url = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        Platform { child, base_url }
    }

    /// Ends the platform with SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }

    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (reqwest::StatusCode, Value) {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(crate::support::TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Polls `GET path` until `wanted` holds, or panics with the last answer after `limit`.
    pub async fn wait_until(
        &self,
        path: &str,
        limit: std::time::Duration,
        wanted: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let (_, body) = self.request(reqwest::Method::GET, path, None).await;
            if wanted(&body) {
                return body;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "GET {path} never matched: {body}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
