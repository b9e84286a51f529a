//! The connection to the Docker Engine and every call Agentyard makes through it:
//! health, images, networks, runtimes and the lifecycle of session containers.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bollard::models::{ContainerSummaryStateEnum, NetworkCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, InspectContainerOptions, InspectNetworkOptions,
    ListContainersOptionsBuilder, RemoveContainerOptionsBuilder, StartContainerOptions,
};
use domain::{ImageRef, NetworkChoice};
use tokio::sync::OnceCell;

use crate::error::{DockerError, translate};
use crate::spec::{
    ContainerSpec, DOCKER_SOCKET, INSTANCE_LABEL, MANAGED_LABEL, PROJECT_LABEL, SESSION_LABEL,
    container_config,
};

/// Seconds bollard waits for the engine to start answering a request (streams may run longer).
const REQUEST_TIMEOUT_SECS: u64 = 30;
/// How long a removal waits for another caller's removal of the same container to finish.
const REMOVAL_WAIT: Duration = Duration::from_secs(20);
/// How long a health check waits for the engine before calling it unreachable.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// A handle on the Docker Engine. Cheap to clone; clones share one connection pool.
#[derive(Clone, Debug)]
pub struct Docker {
    client: bollard::Docker,
    /// Set once the API version was negotiated with the engine. `connect` cannot do it because it
    /// is synchronous and the engine may not be up yet; bollard keeps the negotiated version in
    /// state shared by all clones, so negotiating once per `connect` is enough.
    negotiated: Arc<OnceCell<()>>,
}

/// What the engine says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineVersion {
    pub version: String,
    pub api_version: String,
}

/// The docker part of `GET /api/health`. Each check is false when it failed for any reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    pub socket_connected: bool,
    pub image_available: bool,
    pub image_name: String,
    pub network_exists: bool,
}

/// A container labelled as belonging to a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionContainer {
    pub id: String,
    pub name: String,
    pub session_id: String,
    /// Empty when the container carries no project label.
    pub project_id: String,
    /// The installation that created it; empty for containers made before instances were labelled.
    pub instance: String,
    pub running: bool,
}

/// What Agentyard needs to know about one container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerDetails {
    pub id: String,
    /// Without Docker's leading `/`.
    pub name: String,
    pub image: String,
    pub running: bool,
    pub labels: BTreeMap<String, String>,
    /// The `uid:gid` (or name) the container runs as; empty for the image's default.
    pub user: String,
    /// What is mounted where: (source on the engine's host, destination in the container).
    pub mounts: Vec<(PathBuf, PathBuf)>,
}

impl Docker {
    /// Connects to `DOCKER_HOST` when set, else to the local socket. Nothing is sent yet: the first
    /// call negotiates the API version (Agentyard needs 1.41, Docker 20.10, or newer).
    pub fn connect() -> Result<Docker, DockerError> {
        match std::env::var("DOCKER_HOST") {
            Ok(host) if !host.is_empty() => Docker::connect_to(&host),
            _ => Docker::connect_to(&format!("unix://{DOCKER_SOCKET}")),
        }
    }

    /// Connects to an explicit engine address: `unix:///path`, `tcp://host:port` or `http://host:port`.
    pub fn connect_to(host: &str) -> Result<Docker, DockerError> {
        let version = bollard::API_DEFAULT_VERSION;
        let client = if host.starts_with("unix://") {
            bollard::Docker::connect_with_unix(host, REQUEST_TIMEOUT_SECS, version)
        } else if host.starts_with("tcp://") || host.starts_with("http://") {
            bollard::Docker::connect_with_http(host, REQUEST_TIMEOUT_SECS, version)
        } else {
            return Err(DockerError::EngineUnavailable {
                detail: format!("DOCKER_HOST `{host}` is neither unix://, tcp:// nor http://"),
            });
        };
        let client = client.map_err(|error| translate(error, None))?;
        Ok(Docker {
            client,
            negotiated: Arc::new(OnceCell::new()),
        })
    }

    /// The bollard client, after the API version was negotiated.
    pub(crate) async fn api(&self) -> Result<&bollard::Docker, DockerError> {
        self.negotiated
            .get_or_try_init(|| async {
                self.client
                    .clone()
                    .negotiate_version()
                    .await
                    .map(drop)
                    .map_err(|error| translate(error, None))
            })
            .await?;
        Ok(&self.client)
    }

    pub async fn ping(&self) -> Result<(), DockerError> {
        let answer = tokio::time::timeout(PING_TIMEOUT, async {
            self.api()
                .await?
                .ping()
                .await
                .map_err(|e| translate(e, None))
        });
        match answer.await {
            Ok(result) => result.map(drop),
            Err(_) => Err(DockerError::EngineUnavailable {
                detail: format!("no answer within {} s", PING_TIMEOUT.as_secs()),
            }),
        }
    }

    pub async fn version(&self) -> Result<EngineVersion, DockerError> {
        let version = self
            .api()
            .await?
            .version()
            .await
            .map_err(|e| translate(e, None))?;
        Ok(EngineVersion {
            version: version.version.unwrap_or_default(),
            api_version: version.api_version.unwrap_or_default(),
        })
    }

    pub async fn image_exists(&self, image: &ImageRef) -> Result<bool, DockerError> {
        match self.api().await?.inspect_image(image.as_str()).await {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(error) => Err(translate(error, None)),
        }
    }

    /// Makes sure the network agents join exists: a named network is created as a bridge,
    /// labelled as Agentyard's, when missing. `host` and `none` always exist.
    pub async fn ensure_network(&self, network: &NetworkChoice) -> Result<(), DockerError> {
        let NetworkChoice::Named(name) = network else {
            return Ok(());
        };
        if self.network_exists(network).await? {
            return Ok(());
        }
        let request = NetworkCreateRequest {
            name: name.clone(),
            driver: Some("bridge".to_owned()),
            labels: Some(HashMap::from([(
                MANAGED_LABEL.to_owned(),
                "true".to_owned(),
            )])),
            ..Default::default()
        };
        match self.api().await?.create_network(request).await {
            Ok(_) => Ok(()),
            // Another caller created it between our check and our create.
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 409, ..
            }) => Ok(()),
            Err(error) => Err(translate(error, None)),
        }
    }

    pub async fn network_exists(&self, network: &NetworkChoice) -> Result<bool, DockerError> {
        let NetworkChoice::Named(name) = network else {
            return Ok(true);
        };
        match self
            .api()
            .await?
            .inspect_network(name, None::<InspectNetworkOptions>)
            .await
        {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(error) => Err(translate(error, None)),
        }
    }

    /// The OCI runtimes the engine knows, sorted (`runc`, maybe `sysbox-runc`).
    pub async fn runtimes(&self) -> Result<Vec<String>, DockerError> {
        let info = self
            .api()
            .await?
            .info()
            .await
            .map_err(|e| translate(e, None))?;
        let mut runtimes: Vec<String> = info.runtimes.unwrap_or_default().into_keys().collect();
        runtimes.sort();
        Ok(runtimes)
    }

    /// Socket, default image and network, each checked on its own. Never fails.
    pub async fn health(&self, default_image: &ImageRef, network: &NetworkChoice) -> Health {
        let socket_connected = self.ping().await.is_ok();
        let image_available =
            socket_connected && self.image_exists(default_image).await.unwrap_or(false);
        let network_exists =
            socket_connected && self.network_exists(network).await.unwrap_or(false);
        Health {
            socket_connected,
            image_available,
            image_name: default_image.to_string(),
            network_exists,
        }
    }

    /// Creates and starts a hardened container from `spec`; returns its id.
    /// A missing image or runtime is reported before anything is created.
    pub async fn create_container(&self, spec: &ContainerSpec) -> Result<String, DockerError> {
        if !self.image_exists(&spec.image).await? {
            return Err(DockerError::ImageMissing {
                image: spec.image.clone(),
            });
        }
        if let Some(runtime) = &spec.runtime {
            let available = self.runtimes().await?;
            if !available.contains(runtime) {
                return Err(DockerError::RuntimeMissing {
                    runtime: runtime.clone(),
                    available,
                });
            }
        }
        let socket_gid = if spec.mount_docker_socket {
            std::fs::metadata(DOCKER_SOCKET)
                .ok()
                .map(|metadata| metadata.gid())
        } else {
            None
        };
        let api = self.api().await?;
        let options = CreateContainerOptionsBuilder::new()
            .name(&spec.name)
            .build();
        let created = api
            .create_container(Some(options), container_config(spec, socket_gid))
            .await
            .map_err(|error| {
                translate(
                    error,
                    Some(DockerError::ImageMissing {
                        image: spec.image.clone(),
                    }),
                )
            })?;
        if let Err(error) = api
            .start_container(&created.id, None::<StartContainerOptions>)
            .await
        {
            // A container that cannot start is of no use to anyone: do not leave it behind.
            if let Err(cleanup) = self.remove_container(&created.id).await {
                tracing::warn!(container = %created.id, error = %cleanup, "could not remove a container that failed to start");
            }
            return Err(translate(error, None));
        }
        tracing::debug!(container = %created.id, name = %spec.name, image = %spec.image, "container started");
        Ok(created.id)
    }

    /// Removes a container, running or not. A container that is already gone is not an error.
    pub async fn remove_container(&self, name_or_id: &str) -> Result<(), DockerError> {
        let options = RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(true)
            .build();
        match self
            .api()
            .await?
            .remove_container(name_or_id, Some(options))
            .await
        {
            Ok(()) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            // 409: a removal is already in progress (another caller). Wait for it to finish, so
            // that the name is free again when this returns.
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 409, ..
            }) => {
                let deadline = tokio::time::Instant::now() + REMOVAL_WAIT;
                while self.inspect_container(name_or_id).await?.is_some() {
                    if tokio::time::Instant::now() >= deadline {
                        return Err(DockerError::Unexpected(anyhow::anyhow!(
                            "container {name_or_id} is still being removed after {} s",
                            REMOVAL_WAIT.as_secs()
                        )));
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Ok(())
            }
            Err(error) => Err(translate(error, None)),
        }
    }

    /// Every container labelled `agentyard.session`, running or not.
    pub async fn session_containers(&self) -> Result<Vec<SessionContainer>, DockerError> {
        let filters = HashMap::from([("label", vec![SESSION_LABEL])]);
        let options = ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&filters)
            .build();
        let summaries = self
            .api()
            .await?
            .list_containers(Some(options))
            .await
            .map_err(|e| translate(e, None))?;
        Ok(summaries
            .into_iter()
            .map(|summary| {
                let labels = summary.labels.unwrap_or_default();
                let name = summary
                    .names
                    .unwrap_or_default()
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                SessionContainer {
                    id: summary.id.unwrap_or_default(),
                    name: name.trim_start_matches('/').to_owned(),
                    session_id: labels.get(SESSION_LABEL).cloned().unwrap_or_default(),
                    project_id: labels.get(PROJECT_LABEL).cloned().unwrap_or_default(),
                    instance: labels.get(INSTANCE_LABEL).cloned().unwrap_or_default(),
                    running: summary.state == Some(ContainerSummaryStateEnum::RUNNING),
                }
            })
            .collect())
    }

    /// The container's details, or `None` when there is no such container.
    pub async fn inspect_container(
        &self,
        name_or_id: &str,
    ) -> Result<Option<ContainerDetails>, DockerError> {
        let response = match self
            .api()
            .await?
            .inspect_container(name_or_id, None::<InspectContainerOptions>)
            .await
        {
            Ok(response) => response,
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok(None),
            Err(error) => return Err(translate(error, None)),
        };
        let config = response.config.unwrap_or_default();
        let mounts = response
            .mounts
            .unwrap_or_default()
            .into_iter()
            .filter_map(|mount| Some((mount.source?.into(), mount.destination?.into())))
            .collect();
        Ok(Some(ContainerDetails {
            id: response.id.unwrap_or_default(),
            name: response
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_owned(),
            image: config.image.unwrap_or_default(),
            running: response
                .state
                .and_then(|state| state.running)
                .unwrap_or(false),
            labels: config.labels.unwrap_or_default().into_iter().collect(),
            user: config.user.unwrap_or_default(),
            mounts,
        }))
    }

    /// The container's address on `network`, or `None` when there is no such container or it is
    /// not attached there (not running, or on another network).
    pub async fn container_address(
        &self,
        name_or_id: &str,
        network: &str,
    ) -> Result<Option<IpAddr>, DockerError> {
        let response = match self
            .api()
            .await?
            .inspect_container(name_or_id, None::<InspectContainerOptions>)
            .await
        {
            Ok(response) => response,
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok(None),
            Err(error) => return Err(translate(error, None)),
        };
        let running = response
            .state
            .and_then(|state| state.running)
            .unwrap_or(false);
        let address = response
            .network_settings
            .and_then(|settings| settings.networks)
            .and_then(|mut networks| networks.remove(network))
            .and_then(|endpoint| endpoint.ip_address)
            .and_then(|address| address.parse().ok());
        Ok(address.filter(|_| running))
    }

    /// The value of one label of an image, or `None` when the image lacks it (or is missing).
    pub async fn image_label(
        &self,
        image: &ImageRef,
        label: &str,
    ) -> Result<Option<String>, DockerError> {
        match self.api().await?.inspect_image(image.as_str()).await {
            Ok(inspected) => Ok(inspected
                .config
                .and_then(|config| config.labels)
                .and_then(|mut labels| labels.remove(label))),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(error) => Err(translate(error, None)),
        }
    }
}
