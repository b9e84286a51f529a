//! Agent images: the list present in the engine, and `create_agent_image`, which builds
//! `claude-agent-<name>` from a base and package lists.
//!
//! Every value of a build request is parsed before anything starts ([`prepare_build`]): the name
//! as an [`ImageSlug`], each package against its ecosystem's grammar, the base as an agent image
//! present in the engine. A refused request starts no build. The build itself runs in the
//! background and reports through [`EngineEvent::ImageProgress`], `ImageDone` and `ImageError`.
//! The REST route, the MCP tool and the CLI share this code.

use crate::agents::same_image;
use crate::{Engine, EngineError, EngineEvent};
pub use docker::AgentImage;
use docker::{AgentImageRecipe, Docker};
use domain::{
    AptPackage, DEFAULT_IMAGE, ImageRef, ImageSlug, NpmPackage, PackageError, PipPackage, ProjectId,
};
use std::path::Path;

/// The most packages one list of a build may name.
const MAX_PACKAGES: usize = 50;

/// Where this machine keeps the extra CA certificates it trusts (Debian's
/// `update-ca-certificates` directory). Builds trust them too, so that package registries
/// answer through a TLS-inspecting proxy exactly as they do for `scripts/setup-docker.sh`.
pub const MACHINE_CA_DIR: &str = "/usr/local/share/ca-certificates";

/// What a client asks to build. Nothing in it is trusted yet.
#[derive(Clone, Debug, Default)]
pub struct ImageBuildRequest {
    /// The short name: `acc-jq` builds `claude-agent-acc-jq`.
    pub name: String,
    /// An agent image present in the engine; `claude-agent-base` when absent or empty.
    pub base: Option<String>,
    pub apt_packages: Vec<String>,
    pub npm_packages: Vec<String>,
    pub pip_packages: Vec<String>,
}

/// The PEM certificates of `dir/*.crt`, concatenated in name order; `None` when there are none.
pub fn machine_extra_ca(dir: &Path) -> Option<Vec<u8>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "crt") && path.is_file())
        .collect();
    files.sort();
    let mut pem = Vec::new();
    for file in files {
        let content = std::fs::read(&file).ok()?;
        pem.extend_from_slice(&content);
        if !pem.ends_with(b"\n") {
            pem.push(b'\n');
        }
    }
    (!pem.is_empty()).then_some(pem)
}

/// Parses every value of `request` and checks its base against the agent images `available`.
/// All problems are reported at once, in one 422.
pub fn prepare_build(
    request: &ImageBuildRequest,
    available: &[AgentImage],
    extra_ca_pem: Option<Vec<u8>>,
) -> Result<AgentImageRecipe, EngineError> {
    let mut problems: Vec<String> = Vec::new();
    let mut note = |error: PackageError| problems.push(error.to_string());
    let slug = ImageSlug::parse(&request.name).map_err(&mut note).ok();
    let apt = parse_all(&request.apt_packages, AptPackage::parse, &mut note);
    let npm = parse_all(&request.npm_packages, NpmPackage::parse, &mut note);
    let pip = parse_all(&request.pip_packages, PipPackage::parse, &mut note);
    for (ecosystem, count) in [
        ("apt", request.apt_packages.len()),
        ("npm", request.npm_packages.len()),
        ("pip", request.pip_packages.len()),
    ] {
        if count > MAX_PACKAGES {
            problems.push(format!(
                "{count} {ecosystem} packages are more than the {MAX_PACKAGES} one build may install"
            ));
        }
    }
    let base_name = request
        .base
        .as_deref()
        .map(str::trim)
        .filter(|base| !base.is_empty())
        .unwrap_or(DEFAULT_IMAGE);
    let base = match ImageRef::parse(base_name) {
        Ok(base)
            if available
                .iter()
                .any(|image| same_image(&image.name, base.as_str())) =>
        {
            Some(base)
        }
        Ok(base) => {
            let names: Vec<&str> = available.iter().map(|image| image.name.as_str()).collect();
            problems.push(format!(
                "base `{base}` is not an agent image present in the engine (available: {})",
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            ));
            None
        }
        Err(error) => {
            problems.push(error.to_string());
            None
        }
    };
    match (slug, base, problems.is_empty()) {
        (Some(slug), Some(base), true) => Ok(AgentImageRecipe {
            tag: ImageRef::parse(&slug.image_name())
                .expect("a parsed slug always makes a valid image name"),
            base,
            apt,
            npm,
            pip,
            extra_ca_pem,
        }),
        _ => Err(EngineError::Invalid {
            code: "invalid_image_build",
            message: problems.join("; "),
            remediation: Some(
                "name the image with 2 to 32 of a-z 0-9 and dashes, list packages by their registry names \
                 (optionally pinned: jq=1.6-2.1, typescript@5.4.5, requests==2.32.3), and pick a base from \
                 GET /api/agents/images"
                    .to_owned(),
            ),
        }),
    }
}

fn parse_all<T>(
    texts: &[String],
    parse: fn(&str) -> Result<T, PackageError>,
    note: &mut impl FnMut(PackageError),
) -> Vec<T> {
    texts
        .iter()
        .filter_map(|text| parse(text).map_err(&mut *note).ok())
        .collect()
}

impl Engine {
    /// The agent images present in the engine; none in local mode.
    pub async fn agent_images(&self) -> Result<Vec<AgentImage>, EngineError> {
        match self.runtime().docker() {
            Some(docker) => Ok(docker.agent_images().await?),
            None => Ok(Vec::new()),
        }
    }

    /// Validates `request`, starts building its image in the background and returns the tag.
    /// Progress, completion and failure arrive as engine events naming that tag.
    pub async fn build_agent_image(
        &self,
        request: ImageBuildRequest,
    ) -> Result<String, EngineError> {
        self.build_agent_image_by(request, None).await
    }

    /// As [`Engine::build_agent_image`]; with `project` (an agent's request through MCP), the
    /// image is labelled with that project and an existing image of the same name is replaced
    /// only when that same project built it.
    pub(crate) async fn build_agent_image_by(
        &self,
        request: ImageBuildRequest,
        project: Option<ProjectId>,
    ) -> Result<String, EngineError> {
        let docker = self.builder()?;
        let available = docker.agent_images().await?;
        let recipe = prepare_build(
            &request,
            &available,
            machine_extra_ca(Path::new(MACHINE_CA_DIR)),
        )?;
        let tag = recipe.tag.to_string();
        if !self
            .inner
            .image_builds
            .lock()
            .expect("image builds lock")
            .insert(tag.clone())
        {
            return Err(EngineError::Conflict(format!(
                "image `{tag}` is being built already; wait for its image:done or image:error"
            )));
        }
        // Checked once this build holds the tag, so no other build can land between the check
        // and the build.
        if let Some(project) = project
            && let Err(error) = check_owner(&docker, &tag, project).await
        {
            self.inner
                .image_builds
                .lock()
                .expect("image builds lock")
                .remove(&tag);
            return Err(error);
        }
        let engine = self.clone();
        tokio::spawn(async move {
            let progress_tag = recipe.tag.to_string();
            let emitter = engine.clone();
            let progress = move |line: &str| {
                emitter.emit(EngineEvent::ImageProgress {
                    tag: progress_tag.clone(),
                    line: line.to_owned(),
                });
            };
            let outcome = match project {
                Some(project) => {
                    docker
                        .build_agent_image_for_project(&recipe, &project.to_string(), progress)
                        .await
                }
                None => docker.build_agent_image(&recipe, progress).await,
            };
            let tag = recipe.tag.to_string();
            engine
                .inner
                .image_builds
                .lock()
                .expect("image builds lock")
                .remove(&tag);
            match outcome {
                Ok(()) => {
                    tracing::info!(image = %tag, "agent image built");
                    engine.emit(EngineEvent::ImageDone { tag });
                }
                Err(error) => {
                    tracing::warn!(image = %tag, %error, "agent image build failed");
                    engine.emit(EngineEvent::ImageError {
                        tag,
                        error: error.to_string(),
                    });
                }
            }
        });
        Ok(tag)
    }

    fn builder(&self) -> Result<Docker, EngineError> {
        self.runtime().docker().cloned().ok_or_else(|| EngineError::Invalid {
            code: "images_need_docker",
            message: "agent images are built in the Docker Engine, and this platform runs in local mode"
                .to_owned(),
            remediation: Some("start the platform with AGENT_MODE=docker".to_owned()),
        })
    }
}

/// An agent may build `tag` only when no image has that name yet, or when its own project built
/// the image there (the label set by [`Docker::build_agent_image_for_project`]).
async fn check_owner(docker: &Docker, tag: &str, project: ProjectId) -> Result<(), EngineError> {
    match docker.image_project(tag).await? {
        None => Ok(()),
        Some(Some(owner)) if owner == project.to_string() => Ok(()),
        Some(_) => Err(EngineError::Conflict(format!(
            "image `{tag}` already exists and was not built by this session's project, so an agent may not \
             replace it (other projects' sessions may use it); choose another name for the image"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn available() -> Vec<AgentImage> {
        ["claude-agent-base", "claude-agent-node"]
            .into_iter()
            .map(|name| AgentImage {
                name: name.to_owned(),
                id: "sha256:0".to_owned(),
                size_bytes: 1,
                created_unix: 1,
                built_in: true,
            })
            .collect()
    }

    fn request() -> ImageBuildRequest {
        ImageBuildRequest {
            name: "acc-jq".to_owned(),
            apt_packages: vec!["jq".to_owned()],
            ..Default::default()
        }
    }

    fn refusal(request: ImageBuildRequest) -> String {
        prepare_build(&request, &available(), None)
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn a_valid_request_builds_claude_agent_name_from_the_default_base() {
        let recipe = prepare_build(&request(), &available(), None).unwrap();
        assert_eq!(recipe.tag.as_str(), "claude-agent-acc-jq");
        assert_eq!(recipe.base.as_str(), "claude-agent-base");
        assert_eq!(recipe.apt[0].as_str(), "jq");
    }

    #[test]
    fn the_base_may_be_any_present_agent_image_with_or_without_latest() {
        for base in ["claude-agent-node", "claude-agent-node:latest"] {
            let recipe = prepare_build(
                &ImageBuildRequest {
                    base: Some(base.to_owned()),
                    ..request()
                },
                &available(),
                None,
            )
            .unwrap();
            assert_eq!(recipe.base.as_str(), base);
        }
    }

    #[test]
    fn a_base_that_is_not_a_present_agent_image_is_refused_with_the_list() {
        let message = refusal(ImageBuildRequest {
            base: Some("debian:bookworm-slim".to_owned()),
            ..request()
        });
        assert!(
            message.contains("available: claude-agent-base, claude-agent-node"),
            "{message}"
        );
    }

    #[test]
    fn every_bad_value_is_named_in_one_refusal() {
        let message = refusal(ImageBuildRequest {
            name: "Bad Name".to_owned(),
            apt_packages: vec!["jq;id".to_owned()],
            npm_packages: vec!["--global".to_owned()],
            pip_packages: vec!["x>/tmp/y".to_owned()],
            base: None,
        });
        for part in ["image name", "jq;id", "--global", "x>/tmp/y"] {
            assert!(message.contains(part), "{part} missing from {message}");
        }
    }

    #[test]
    fn too_many_packages_are_refused() {
        let message = refusal(ImageBuildRequest {
            apt_packages: vec!["jq".to_owned(); MAX_PACKAGES + 1],
            ..request()
        });
        assert!(message.contains("51 apt packages"), "{message}");
    }

    #[test]
    fn the_machine_ca_is_every_crt_file_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.crt"), "B").unwrap();
        std::fs::write(dir.path().join("a.crt"), "A\n").unwrap();
        std::fs::write(dir.path().join("ignored.pem"), "C").unwrap();
        assert_eq!(machine_extra_ca(dir.path()).unwrap(), b"A\nB\n");
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(machine_extra_ca(empty.path()), None);
    }
}
