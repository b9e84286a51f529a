//! The engine answers, reports its version, and a missing engine is named as such.

use docker::{Docker, DockerError};
use domain::NetworkChoice;

use crate::{default_image, engine};

#[tokio::test]
async fn the_engine_answers_a_ping_and_reports_its_version() {
    let Some(docker) = engine().await else { return };
    docker.ping().await.expect("ping");
    let version = docker.version().await.expect("version");
    assert!(!version.version.is_empty(), "{version:?}");
    let (major, minor) = version
        .api_version
        .split_once('.')
        .expect("api version is major.minor");
    let api: (u32, u32) = (major.parse().unwrap(), minor.parse().unwrap());
    assert!(
        api >= (1, 41),
        "Agentyard needs API 1.41 or newer, the engine has {api:?}"
    );
}

#[tokio::test]
async fn the_engine_lists_the_default_runtime() {
    let Some(docker) = engine().await else { return };
    let runtimes = docker.runtimes().await.expect("runtimes");
    assert!(
        runtimes.iter().any(|runtime| runtime == "runc"),
        "{runtimes:?}"
    );
}

#[tokio::test]
async fn health_reports_socket_image_and_network_and_a_missing_image_as_unavailable() {
    let Some(docker) = engine().await else { return };
    let health = docker.health(&default_image(), &NetworkChoice::None).await;
    assert!(
        health.socket_connected && health.image_available && health.network_exists,
        "{health:?}"
    );
    assert_eq!(health.image_name, "claude-agent-base");
    let missing = domain::ImageRef::parse("agentyard-test-no-such-image").unwrap();
    let health = docker
        .health(
            &missing,
            &NetworkChoice::Named("agentyard-test-no-such-net".to_owned()),
        )
        .await;
    assert!(
        health.socket_connected && !health.image_available && !health.network_exists,
        "{health:?}"
    );
}

#[tokio::test]
async fn a_socket_that_does_not_exist_is_an_unavailable_engine_that_names_the_fix() {
    let error = Docker::connect_to("unix:///nonexistent/agentyard-test.sock")
        .expect_err("no socket, no engine");
    assert!(
        matches!(error, DockerError::EngineUnavailable { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("bash scripts/setup-docker.sh"),
        "{error}"
    );
}

#[tokio::test]
async fn an_engine_that_does_not_answer_fails_every_health_check_without_an_error() {
    // Port 1 on loopback: nothing listens there.
    let docker = Docker::connect_to("tcp://127.0.0.1:1").expect("connecting sends nothing yet");
    assert!(matches!(
        docker.ping().await,
        Err(DockerError::EngineUnavailable { .. })
    ));
    let health = docker.health(&default_image(), &NetworkChoice::Host).await;
    assert!(
        !health.socket_connected && !health.image_available && !health.network_exists,
        "{health:?}"
    );
}
