//! Docker failures as users meet them: an unreachable engine at startup, a missing image, and
//! an engine that goes away and comes back (through a socket proxy the test controls, never by
//! stopping the shared engine).

use crate::docker_support::{PlatformDirs, docker_app, require_docker};
use crate::support::{Options, model};
use reqwest::StatusCode;
use scripted_model::{Reply, Script};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinSet;

const TURN: Duration = Duration::from_secs(90);

#[test]
fn startup_with_an_unreachable_engine_exits_quickly_printing_the_fix() {
    let dirs = PlatformDirs::new();
    let started = Instant::now();
    let output = dirs
        .command(
            &["serve"],
            &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
        )
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(!output.status.success());
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("✗ the Docker Engine does not answer at unix:///nonexistent/docker.sock")
            && stderr.contains("bash scripts/setup-docker.sh")
            && stderr.contains("AGENT_MODE=local"),
        "{stderr}"
    );
}

#[test]
fn the_health_command_prints_every_check_and_fails_when_unhealthy() {
    require_docker();
    let dirs = PlatformDirs::new();
    let healthy = dirs.command(&["health"], &[]).output().unwrap();
    let report = String::from_utf8_lossy(&healthy.stdout);
    assert!(healthy.status.success(), "{report}");
    assert!(
        report.contains("✓ the Docker Engine answers")
            && report.contains("✓ the default agent image `claude-agent-base` is present")
            && report.contains("✓ agents use the `host` network"),
        "{report}"
    );
    let missing = dirs
        .command(
            &["health"],
            &[("AGENT_DEFAULT_IMAGE", "claude-agent-absent")],
        )
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&missing.stdout);
    assert!(!missing.status.success(), "{report}");
    assert!(
        report.contains("✗ the default agent image `claude-agent-absent` is missing")
            && report.contains("fix: build it"),
        "{report}"
    );
}

/// A unix socket that forwards to the real Docker socket until stopped: the engine "goes away"
/// for the platform without touching the engine itself.
struct EngineProxy {
    path: PathBuf,
    connections: Option<tokio::task::JoinHandle<()>>,
}

impl EngineProxy {
    fn start(path: &Path) -> EngineProxy {
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).expect("the proxy socket binds");
        let connections = tokio::spawn(async move {
            // Every forwarded connection lives in this set, so stopping the proxy ends them all,
            // pooled keep-alive connections included.
            let mut forwards = JoinSet::new();
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    break;
                };
                forwards.spawn(async move {
                    if let Ok(mut engine) = UnixStream::connect(docker::DOCKER_SOCKET).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut engine).await;
                    }
                });
            }
        });
        EngineProxy {
            path: path.to_path_buf(),
            connections: Some(connections),
        }
    }

    fn stop(&mut self) {
        if let Some(connections) = self.connections.take() {
            connections.abort();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for EngineProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn an_engine_that_goes_away_gives_503_with_remediation_and_the_platform_recovers() {
    require_docker();
    let model = model(Script::new().rule("hello", [Reply::text("hello back")]));
    let sockets = tempfile::tempdir().unwrap();
    let socket = sockets.path().join("docker.sock");
    let mut proxy = EngineProxy::start(&socket);
    let host = format!("unix://{}", socket.display());
    let (app, _sweep) = docker_app(
        Some(model.base_url()),
        Options {
            tweak: Some(Arc::new(move |config| {
                config.docker_host = Some(host.clone());
            })),
            ..Options::default()
        },
    )
    .await;
    let project = app.create_project("away").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();

    proxy.stop();
    // Wait for the JoinSet to be dropped by the aborted task before asserting.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (status, health) = app.get("/api/health").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{health}");
    assert_eq!(health["ok"], false);
    assert_eq!(health["docker"]["socketConnected"], false);
    let (status, error) = app
        .post(
            &format!("/api/sessions/{id}/messages"),
            json!({"content": "hello"}),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{error}");
    assert_eq!(error["code"], "docker_unavailable");
    assert!(
        error["remediation"]
            .as_str()
            .unwrap()
            .contains("AGENT_MODE=local"),
        "{error}"
    );
    assert!(
        app.messages(id).await.is_empty(),
        "a refused message is not stored"
    );

    let _proxy = EngineProxy::start(&socket);
    let (status, health) = app.get("/api/health").await;
    assert_eq!(status, StatusCode::OK, "{health}");
    let mut ws = app.ws().await;
    let (status, _) = app
        .post(
            &format!("/api/sessions/{id}/messages"),
            json!({"content": "hello"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    ws.done(id, TURN).await;
    assert!(
        app.messages(id).await[1]["content"]
            .as_str()
            .unwrap()
            .contains("hello back")
    );
}
