//! Integration tests of the `docker` crate against the real Docker Engine.
//!
//! Every container and network a test makes is labelled `agentyard.test=<run id>` and removed by a
//! guard when the test ends, whether it passed or not. Without an engine the tests say so; under
//! CI=true they fail, naming the command that sets the engine up.

mod containers;
mod dockerfiles;
mod engine;
mod exec;
mod images;
mod networks;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use docker::{ContainerSpec, Docker, Limits};
use domain::{DEFAULT_IMAGE, ImageRef, NetworkChoice, UserSpec};

/// The label that marks what one test made.
const TEST_LABEL: &str = "agentyard.test";

/// The engine, or `None` (with a message) when there is none outside CI. Under CI a missing engine
/// or a missing `claude-agent-base` fails the test.
async fn engine() -> Option<Docker> {
    let problem = match Docker::connect() {
        Err(error) => Some(error.to_string()),
        Ok(docker) => match docker.ping().await {
            Err(error) => Some(error.to_string()),
            Ok(()) => match docker.image_exists(&default_image()).await {
                Ok(true) => return Some(docker),
                Ok(false) => Some(format!("image {DEFAULT_IMAGE} is missing")),
                Err(error) => Some(error.to_string()),
            },
        },
    };
    let problem = problem.expect("every path without a problem returned");
    let message = format!(
        "Docker tests need a running engine and {DEFAULT_IMAGE}: {problem}. Run `bash scripts/setup-docker.sh` as root."
    );
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{message}");
    }
    eprintln!("NOT RUN: {message}");
    None
}

fn default_image() -> ImageRef {
    ImageRef::parse(DEFAULT_IMAGE).expect("the default image name parses")
}

/// A fresh id for names and labels of one test.
fn run_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

/// A container spec like the engine's, with small limits, an arbitrary uid and no network.
fn test_spec(run: &str, workspace: &Path) -> ContainerSpec {
    ContainerSpec {
        name: format!("agentyard-test-{run}"),
        image: default_image(),
        labels: BTreeMap::from([(TEST_LABEL.to_owned(), run.to_owned())]),
        env: vec![("HOME".to_owned(), "/tmp".to_owned())],
        binds: vec![docker::Bind {
            host: workspace.to_owned(),
            container: "/workspace".into(),
            read_only: false,
        }],
        user: UserSpec {
            uid: 4321,
            gid: 4321,
        },
        working_dir: "/workspace".into(),
        limits: Limits {
            memory_bytes: 256 << 20,
            nano_cpus: 500_000_000,
            pids: 64,
        },
        network: NetworkChoice::None,
        runtime: None,
        mount_docker_socket: false,
    }
}

/// Removes a test's containers when dropped, even when the test panicked.
struct Cleanup {
    run: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let filter = format!("label={TEST_LABEL}={}", self.run);
        let listed = Command::new("docker")
            .args(["ps", "-aq", "--filter", &filter])
            .output();
        let ids = listed
            .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
            .unwrap_or_default();
        for id in ids.split_whitespace() {
            let _ = Command::new("docker").args(["rm", "-f", id]).output();
        }
    }
}

/// Containers carrying this run's label, by the docker CLI (independent of the code under test).
fn containers_of(run: &str) -> Vec<String> {
    let filter = format!("label={TEST_LABEL}={run}");
    let output = Command::new("docker")
        .args(["ps", "-aq", "--filter", &filter])
        .output()
        .expect("docker CLI runs");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// `docker inspect` of one object, as JSON.
fn docker_inspect(name: &str) -> serde_json::Value {
    let output = Command::new("docker")
        .args(["inspect", name])
        .output()
        .expect("docker CLI runs");
    assert!(
        output.status.success(),
        "docker inspect {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut list: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("docker inspect prints JSON");
    list.remove(0)
}
