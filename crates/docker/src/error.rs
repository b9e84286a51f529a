//! The one error type of this crate: what went wrong with the Docker Engine, and what to do.
//!
//! bollard's errors stop here; callers match on these variants, never on bollard types.

use domain::{DEFAULT_IMAGE, ImageRef};

/// Agent image directories that ship with Agentyard (`docker/agent/<name>/Dockerfile`).
const SHIPPED_AGENT_IMAGES: [&str; 4] = ["node", "python", "browser", "flutter"];

/// What went wrong while talking to the Docker Engine. Every message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error(
        "the Docker Engine is not reachable ({detail}); start it (on a fresh Debian machine, as root: \
         `bash scripts/setup-docker.sh`), or run agents without Docker with AGENT_MODE=local"
    )]
    EngineUnavailable { detail: String },

    #[error(
        "image `{image}` is not present in the Docker Engine; build it with `{}`",
        build_command(image)
    )]
    ImageMissing { image: ImageRef },

    #[error(
        "the container runtime `{runtime}` is not configured in the Docker Engine (available: {}); \
         install and register it with the engine, or unset AGENT_RUNTIME",
        available.join(", ")
    )]
    RuntimeMissing {
        runtime: String,
        available: Vec<String>,
    },

    #[error(
        "building image `{image}` failed: {detail}; check the package names and that the registries are reachable"
    )]
    BuildFailed { image: ImageRef, detail: String },

    #[error("container `{container}` does not exist (it was removed); start the session again")]
    ContainerMissing { container: String },

    #[error("the Docker Engine failed unexpectedly: {0:#}")]
    Unexpected(anyhow::Error),
}

impl DockerError {
    /// A stable snake_case code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            DockerError::EngineUnavailable { .. } => "docker_unavailable",
            DockerError::ImageMissing { .. } => "image_missing",
            DockerError::RuntimeMissing { .. } => "runtime_missing",
            DockerError::BuildFailed { .. } => "image_build_failed",
            DockerError::ContainerMissing { .. } => "container_missing",
            DockerError::Unexpected(_) => "docker_error",
        }
    }

    /// What the user can do about it, for the `remediation` field of API error bodies.
    pub fn remediation(&self) -> Option<String> {
        match self {
            DockerError::EngineUnavailable { .. } => Some(
                "start the Docker Engine (as root: `bash scripts/setup-docker.sh`), or set AGENT_MODE=local"
                    .to_owned(),
            ),
            DockerError::ImageMissing { image } => Some(build_command(image)),
            DockerError::RuntimeMissing { .. } => {
                Some("install the runtime and register it with the engine, or unset AGENT_RUNTIME".to_owned())
            }
            DockerError::BuildFailed { .. } => Some(
                "check that every package exists in its registry under that name, then build again"
                    .to_owned(),
            ),
            DockerError::ContainerMissing { .. } => Some("start the session again".to_owned()),
            DockerError::Unexpected(_) => None,
        }
    }
}

/// The exact command that makes `image` present, run from the repository root.
pub fn build_command(image: &ImageRef) -> String {
    let name = image.as_str();
    let bare = name.strip_suffix(":latest").unwrap_or(name);
    if bare == DEFAULT_IMAGE {
        return "bash scripts/setup-docker.sh".to_owned();
    }
    match bare.strip_prefix("claude-agent-") {
        Some(flavour) if SHIPPED_AGENT_IMAGES.contains(&flavour) => format!(
            "DOCKER_BUILDKIT=0 docker build -t {bare} docker/agent/{flavour} (after `bash scripts/setup-docker.sh`)"
        ),
        Some(_) => format!(
            "create_agent_image (POST /api/agents/images), or docker build -t {name} <directory with its Dockerfile>"
        ),
        None => {
            format!("docker pull {name}, or docker build -t {name} <directory with its Dockerfile>")
        }
    }
}

/// Turns a bollard error into ours. `not_found` says what a 404 means for this call, when it is
/// not an engine failure.
pub(crate) fn translate(
    error: bollard::errors::Error,
    not_found: Option<DockerError>,
) -> DockerError {
    use bollard::errors::Error as E;
    if let (
        E::DockerResponseServerError {
            status_code: 404, ..
        },
        Some(meaning),
    ) = (&error, not_found)
    {
        return meaning;
    }
    match error {
        E::SocketNotFoundError(path) => DockerError::EngineUnavailable {
            detail: format!("no socket at {path}"),
        },
        E::RequestTimeoutError => DockerError::EngineUnavailable {
            detail: "the engine did not answer in time".to_owned(),
        },
        E::HyperLegacyError { .. } | E::IOError { .. } | E::HttpClientError { .. } => {
            DockerError::EngineUnavailable {
                detail: error.to_string(),
            }
        }
        other => DockerError::Unexpected(anyhow::Error::new(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(name: &str) -> ImageRef {
        ImageRef::parse(name).unwrap()
    }

    #[test]
    fn the_default_image_is_built_by_the_setup_script() {
        assert_eq!(
            build_command(&image("claude-agent-base")),
            "bash scripts/setup-docker.sh"
        );
        assert_eq!(
            build_command(&image("claude-agent-base:latest")),
            "bash scripts/setup-docker.sh"
        );
    }

    #[test]
    fn shipped_agent_images_are_built_from_their_directory() {
        let command = build_command(&image("claude-agent-node"));
        assert!(
            command.starts_with(
                "DOCKER_BUILDKIT=0 docker build -t claude-agent-node docker/agent/node"
            )
        );
    }

    #[test]
    fn other_images_name_pull_and_build() {
        let command = build_command(&image("example/tool:1"));
        assert!(command.contains("docker pull example/tool:1"), "{command}");
    }

    #[test]
    fn a_missing_image_message_names_the_image_and_the_command() {
        let message = DockerError::ImageMissing {
            image: image("claude-agent-base"),
        }
        .to_string();
        assert!(message.contains("`claude-agent-base`"), "{message}");
        assert!(
            message.contains("bash scripts/setup-docker.sh"),
            "{message}"
        );
    }

    #[test]
    fn an_unreachable_engine_points_at_the_setup_script_and_local_mode() {
        let error = DockerError::EngineUnavailable {
            detail: "no socket".to_owned(),
        };
        let message = error.to_string();
        assert!(
            message.contains("bash scripts/setup-docker.sh")
                && message.contains("AGENT_MODE=local")
        );
        assert_eq!(error.code(), "docker_unavailable");
    }

    #[test]
    fn a_missing_runtime_lists_the_available_ones() {
        let error = DockerError::RuntimeMissing {
            runtime: "sysbox-runc".to_owned(),
            available: vec!["io.containerd.runc.v2".to_owned(), "runc".to_owned()],
        };
        assert!(
            error
                .to_string()
                .contains("available: io.containerd.runc.v2, runc")
        );
    }

    #[test]
    fn a_404_means_what_the_caller_says_and_a_missing_socket_means_no_engine() {
        let not_found = bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            message: "no such container".to_owned(),
        };
        let error = translate(
            not_found,
            Some(DockerError::ContainerMissing {
                container: "c".to_owned(),
            }),
        );
        assert!(matches!(error, DockerError::ContainerMissing { .. }));
        let missing = bollard::errors::Error::SocketNotFoundError("/nowhere.sock".to_owned());
        assert!(matches!(
            translate(missing, None),
            DockerError::EngineUnavailable { .. }
        ));
    }
}
