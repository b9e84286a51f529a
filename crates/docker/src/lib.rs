//! Everything that speaks to the Docker Engine (bollard): health, images, networks, hardened
//! session containers, execs and the listing that boot reconcile needs.
//!
//! This is the only crate that imports bollard; its errors and types stop here. It knows nothing
//! of sessions beyond their labels, of HTTP, or of the agent's protocol.

mod client;
mod error;
mod exec;
mod spec;

pub use client::{ContainerDetails, Docker, EngineVersion, Health, SessionContainer};
pub use error::{DockerError, build_command};
pub use exec::{ExecKiller, ExecProcess, ExecSpec};
pub use spec::{
    Bind, ContainerSpec, DOCKER_SOCKET, INSTANCE_LABEL, Limits, MANAGED_LABEL, PROJECT_LABEL,
    SESSION_LABEL, container_config,
};
