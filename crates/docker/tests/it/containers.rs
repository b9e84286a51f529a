//! Session containers: the hardening the engine really applies, missing images, listing.

use std::collections::BTreeMap;

use docker::{ContainerSpec, DockerError, ExecSpec, PROJECT_LABEL, SESSION_LABEL};
use domain::ImageRef;

use crate::{Cleanup, containers_of, docker_inspect, engine, run_id, test_spec};

#[tokio::test]
async fn a_created_container_is_hardened_as_docker_inspect_shows() {
    let Some(docker) = engine().await else { return };
    let run = run_id();
    let _cleanup = Cleanup { run: run.clone() };
    let workspace = tempfile::tempdir().unwrap();
    let spec = test_spec(&run, workspace.path());
    let id = docker
        .create_container(&spec)
        .await
        .expect("container starts");

    let inspected = docker_inspect(&id);
    let host = &inspected["HostConfig"];
    assert_eq!(host["CapDrop"], serde_json::json!(["ALL"]));
    assert!(
        host["CapAdd"].as_array().is_none_or(Vec::is_empty),
        "{}",
        host["CapAdd"]
    );
    assert_eq!(
        host["SecurityOpt"],
        serde_json::json!(["no-new-privileges"])
    );
    assert_eq!(host["Init"], true);
    assert_eq!(host["Privileged"], false);
    assert_eq!(host["Memory"], 256 << 20);
    assert_eq!(host["NanoCpus"], 500_000_000);
    assert_eq!(host["PidsLimit"], 64);
    assert_eq!(host["NetworkMode"], "none");
    assert_eq!(inspected["Config"]["User"], "4321:4321");
    assert_eq!(inspected["State"]["Running"], true);
    let binds = host["Binds"].to_string();
    assert!(!binds.contains("docker.sock"), "{binds}");
    assert!(binds.contains(":/workspace"), "{binds}");

    let details = docker
        .inspect_container(&spec.name)
        .await
        .unwrap()
        .expect("the container exists");
    assert_eq!(
        (details.id.as_str(), details.name.as_str(), details.running),
        (id.as_str(), spec.name.as_str(), true)
    );
    assert_eq!(details.user, "4321:4321");

    docker.remove_container(&id).await.expect("removed");
    assert_eq!(docker.inspect_container(&id).await.unwrap(), None);
    docker
        .remove_container(&id)
        .await
        .expect("removing a removed container is fine");
}

#[tokio::test]
async fn socket_access_binds_the_docker_socket_into_the_container() {
    let Some(docker) = engine().await else { return };
    let run = run_id();
    let _cleanup = Cleanup { run: run.clone() };
    let workspace = tempfile::tempdir().unwrap();
    let spec = ContainerSpec {
        mount_docker_socket: true,
        ..test_spec(&run, workspace.path())
    };
    let id = docker
        .create_container(&spec)
        .await
        .expect("container starts");
    let binds = docker_inspect(&id)["HostConfig"]["Binds"].to_string();
    assert!(
        binds.contains("/var/run/docker.sock:/var/run/docker.sock"),
        "{binds}"
    );

    // The agent's uid is not root: it reaches the socket through the socket's group.
    let probe = ExecSpec {
        cmd: vec![
            "sh".to_owned(),
            "-c".to_owned(),
            "test -r /var/run/docker.sock -a -w /var/run/docker.sock".to_owned(),
        ],
        ..Default::default()
    };
    let mut process = docker.exec(&id, &probe).await.expect("exec starts");
    while process.stdout.recv().await.is_some() {}
    assert_eq!(
        process.wait().await.unwrap(),
        0,
        "the agent user cannot use the socket"
    );
}

#[tokio::test]
async fn a_missing_image_is_reported_by_name_and_no_container_is_created() {
    let Some(docker) = engine().await else { return };
    let run = run_id();
    let _cleanup = Cleanup { run: run.clone() };
    let workspace = tempfile::tempdir().unwrap();
    let image = ImageRef::parse(&format!("agentyard-test-missing-{run}")).unwrap();
    let spec = ContainerSpec {
        image: image.clone(),
        ..test_spec(&run, workspace.path())
    };
    let error = docker
        .create_container(&spec)
        .await
        .expect_err("the image is missing");
    assert!(
        matches!(&error, DockerError::ImageMissing { image: named } if *named == image),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains(&format!("docker build -t {image}")),
        "{error}"
    );
    assert_eq!(containers_of(&run), Vec::<String>::new());
}

#[tokio::test]
async fn an_unknown_runtime_is_reported_with_the_available_ones_and_no_container_is_created() {
    let Some(docker) = engine().await else { return };
    let run = run_id();
    let _cleanup = Cleanup { run: run.clone() };
    let workspace = tempfile::tempdir().unwrap();
    let spec = ContainerSpec {
        runtime: Some("agentyard-no-such-runtime".to_owned()),
        ..test_spec(&run, workspace.path())
    };
    let error = docker
        .create_container(&spec)
        .await
        .expect_err("the runtime is unknown");
    let DockerError::RuntimeMissing { available, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(available.contains(&"runc".to_owned()), "{available:?}");
    assert_eq!(containers_of(&run), Vec::<String>::new());
}

#[tokio::test]
async fn session_containers_lists_labelled_containers_with_their_session_and_project() {
    let Some(docker) = engine().await else { return };
    let run = run_id();
    let _cleanup = Cleanup { run: run.clone() };
    let workspace = tempfile::tempdir().unwrap();
    let mut spec = test_spec(&run, workspace.path());
    spec.labels = BTreeMap::from([
        (crate::TEST_LABEL.to_owned(), run.clone()),
        (SESSION_LABEL.to_owned(), format!("session-{run}")),
        (PROJECT_LABEL.to_owned(), format!("project-{run}")),
    ]);
    let id = docker
        .create_container(&spec)
        .await
        .expect("container starts");
    let listed = docker.session_containers().await.expect("listed");
    let mine = listed
        .iter()
        .find(|container| container.id == id)
        .expect("the labelled container is listed");
    assert_eq!(mine.name, spec.name);
    assert_eq!(mine.session_id, format!("session-{run}"));
    assert_eq!(mine.project_id, format!("project-{run}"));
    assert!(mine.running);
}
