//! Agent images in the real engine: the listing, and a build from a recipe that streams its
//! progress and yields a labelled image.

use std::process::Command;

use docker::{AgentImageRecipe, DockerError};
use domain::{AptPackage, ImageRef};

use crate::{default_image, docker_inspect, engine, run_id};

/// Removes an image tag when dropped, even when the test panicked.
struct RemoveImage(String);

impl Drop for RemoveImage {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rmi", "-f", &self.0]).output();
    }
}

#[tokio::test]
async fn the_default_image_is_listed_as_a_built_in_agent_image() {
    let Some(docker) = engine().await else { return };
    let images = docker.agent_images().await.expect("images listed");
    let base = images
        .iter()
        .find(|image| image.name == "claude-agent-base")
        .unwrap_or_else(|| panic!("claude-agent-base is not listed: {images:?}"));
    assert!(
        base.built_in && base.size_bytes > 0 && base.created_unix > 0,
        "{base:?}"
    );
    assert!(base.id.starts_with("sha256:"), "{base:?}");
}

#[tokio::test]
async fn a_build_without_packages_streams_its_steps_and_labels_the_image() {
    let Some(docker) = engine().await else { return };
    let tag = format!("claude-agent-test-{}", run_id());
    let _remove = RemoveImage(tag.clone());
    let recipe = AgentImageRecipe {
        tag: ImageRef::parse(&tag).unwrap(),
        base: default_image(),
        apt: Vec::new(),
        npm: Vec::new(),
        pip: Vec::new(),
        extra_ca_pem: Some(b"not a certificate, only copied".to_vec()),
    };
    let mut lines = Vec::new();
    docker
        .build_agent_image(&recipe, |line| lines.push(line.to_owned()))
        .await
        .expect("the build succeeds");
    assert!(
        lines.iter().any(|line| line.starts_with("Step 1/")),
        "{lines:#?}"
    );
    let inspected = docker_inspect(&tag);
    assert_eq!(
        inspected["Config"]["Labels"]["agentyard.agent-image"], "true",
        "{inspected}"
    );
    assert_eq!(inspected["Config"]["User"], "agent");
    let listed = docker.agent_images().await.unwrap();
    let image = listed
        .iter()
        .find(|image| image.name == tag)
        .expect("the new image is listed");
    assert!(!image.built_in);
}

#[tokio::test]
async fn a_missing_base_is_named_before_anything_is_built() {
    let Some(docker) = engine().await else { return };
    let tag = format!("claude-agent-test-{}", run_id());
    let _remove = RemoveImage(tag.clone());
    let recipe = AgentImageRecipe {
        tag: ImageRef::parse(&tag).unwrap(),
        base: ImageRef::parse("agentyard-test-no-such-base").unwrap(),
        apt: vec![AptPackage::parse("jq").unwrap()],
        npm: Vec::new(),
        pip: Vec::new(),
        extra_ca_pem: None,
    };
    let error = docker
        .build_agent_image(&recipe, |_| {})
        .await
        .expect_err("a missing base fails");
    assert!(
        matches!(error, DockerError::ImageMissing { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("agentyard-test-no-such-base"));
}
