//! The agent network is created when missing, and only then.

use std::process::Command;

use domain::NetworkChoice;

use crate::{docker_inspect, engine, run_id};

/// Removes a test network when dropped.
struct NetworkCleanup(String);

impl Drop for NetworkCleanup {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["network", "rm", &self.0])
            .output();
    }
}

#[tokio::test]
async fn ensure_network_creates_a_missing_named_network_once() {
    let Some(docker) = engine().await else { return };
    let name = format!("agentyard-test-{}", run_id());
    let _cleanup = NetworkCleanup(name.clone());
    let network = NetworkChoice::Named(name.clone());
    assert!(!docker.network_exists(&network).await.unwrap());
    docker.ensure_network(&network).await.expect("created");
    docker
        .ensure_network(&network)
        .await
        .expect("an existing network is fine");
    assert!(docker.network_exists(&network).await.unwrap());
    let inspected = docker_inspect(&name);
    assert_eq!(inspected["Driver"], "bridge");
    assert_eq!(inspected["Labels"][docker::MANAGED_LABEL], "true");
}

#[tokio::test]
async fn host_and_none_networks_always_exist_and_need_nothing() {
    let Some(docker) = engine().await else { return };
    for network in [NetworkChoice::Host, NetworkChoice::None] {
        docker
            .ensure_network(&network)
            .await
            .expect("nothing to do");
        assert!(docker.network_exists(&network).await.unwrap());
    }
}
