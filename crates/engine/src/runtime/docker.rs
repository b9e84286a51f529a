//! Docker mode: one hardened container per active session, each turn an exec inside it.
//!
//! The container mounts the work path at `/workspace`, the session's state directory as the
//! agent's HOME (so `--resume` survives the container), and the git records its
//! [`WorkspaceAccess`] allows: on the main checkout, the project's `.git` with its settings
//! read-only and `.worktrees` hidden; on a worktree, the session's own git directory (settings
//! read-only) and the project's objects (read-only) at the absolute paths the worktree names.
//! It runs as the owner of the project directory, never as root.

use super::{
    AgentProcess, BrowserMcp, DevServerLaunch, Killer, Launch, ProcessExit, Runtime, RuntimeHealth,
    WorkspaceAccess, dev_server_script,
};
use crate::EngineError;
use async_trait::async_trait;
use docker::{
    Bind, ContainerSpec, Docker, ExecKiller, ExecSpec, INSTANCE_LABEL, Limits, PROJECT_LABEL,
    SESSION_LABEL,
};
use domain::{AgentMode, Config, ImageRef, NetworkChoice, SessionId, UserSpec};
use futures::FutureExt;
use futures::StreamExt;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_stream::wrappers::ReceiverStream;

/// Where the work path appears inside a container.
pub const CONTAINER_WORKSPACE: &str = "/workspace";
/// Where the session's state directory appears inside a container (the agent's HOME).
pub const CONTAINER_HOME: &str = "/home/agent";
/// Where the session's runtime directory (its MCP socket and the bridge) appears, read-only.
/// Only this session's directory is mounted, so a container cannot reach another session's socket.
pub const CONTAINER_RUNTIME_DIR: &str = "/run/agentyard";
/// The image label naming the browser MCP server's command (see `docker/agent/browser/Dockerfile`).
pub const BROWSER_MCP_LABEL: &str = "agentyard.browser-mcp";
/// The image label naming the Chromium that server drives.
pub const BROWSER_MCP_CHROMIUM_LABEL: &str = "agentyard.browser-mcp.chromium";

/// What a session's container was created with; a turn that needs something else gets a new one.
#[derive(Clone, Debug, PartialEq)]
struct ContainerShape {
    image: ImageRef,
    work_path: PathBuf,
    access: WorkspaceAccess,
    runtime_dir: Option<PathBuf>,
    user: UserSpec,
}

pub struct DockerRuntime {
    docker: Docker,
    config: Config,
    /// This installation's id (saved in the data dir), labelled on every container it creates:
    /// reconcile removes only containers of this installation, never another platform's on the same engine.
    instance: String,
    /// The container each session has now, and what it was made with. A tokio mutex: held
    /// across the create call so two turns of one session cannot both create a container.
    containers: Mutex<HashMap<SessionId, ContainerShape>>,
}

impl DockerRuntime {
    /// Connects and checks what docker mode needs: the engine answers, the agent network exists
    /// (created when missing), the default image is present and the configured runtime exists.
    pub async fn connect(config: &Config) -> Result<Self, EngineError> {
        let docker = match &config.docker_host {
            Some(host) => Docker::connect_to(host)?,
            None => Docker::connect()?,
        };
        docker.ping().await?;
        docker.ensure_network(&config.network).await?;
        let image = ImageRef::parse(&config.default_image)
            .map_err(|error| EngineError::invalid("invalid_image", error.to_string()))?;
        if !docker.image_exists(&image).await? {
            return Err(docker::DockerError::ImageMissing { image }.into());
        }
        if let Some(runtime) = &config.runtime {
            let available = docker.runtimes().await?;
            if !available.contains(runtime) {
                return Err(docker::DockerError::RuntimeMissing {
                    runtime: runtime.clone(),
                    available,
                }
                .into());
            }
        }
        let mut config = config.clone();
        super::host_paths::discover(&docker, &mut config).await;
        Ok(Self {
            instance: instance_id(&config.data_dir)?,
            docker,
            config,
            containers: Mutex::new(HashMap::new()),
        })
    }

    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    fn container_name(session: SessionId) -> String {
        format!("agentyard-{session}")
    }

    /// The uid:gid the agent runs as: the project directory's owner, or `AGENT_USER` when that is root.
    fn agent_user(&self, project_dir: &Path) -> Result<(UserSpec, bool), EngineError> {
        let metadata = std::fs::metadata(project_dir).map_err(|error| {
            EngineError::unexpected(format!("cannot read {}: {error}", project_dir.display()))
        })?;
        if metadata.uid() == 0 {
            Ok((self.config.user, true))
        } else {
            Ok((
                UserSpec {
                    uid: metadata.uid(),
                    gid: metadata.gid(),
                },
                false,
            ))
        }
    }

    /// A path of this machine as the Docker Engine's host sees it (they differ when the platform
    /// itself runs in a container: `HOST_PROJECTS_DIR` / `HOST_DATA_DIR`).
    fn host_path(&self, path: &Path) -> PathBuf {
        let translations = [
            (&self.config.projects_root, &self.config.host_projects_dir),
            (&self.config.data_dir, &self.config.host_data_dir),
        ];
        for (inside, host) in translations {
            if let (Some(host), Ok(rest)) = (host, path.strip_prefix(inside)) {
                return host.join(rest);
            }
        }
        path.to_path_buf()
    }

    async fn ensure_container(&self, launch: &Launch) -> Result<(String, UserSpec), EngineError> {
        let (user, owner_is_root) = self.agent_user(&launch.project_dir)?;
        std::fs::create_dir_all(&launch.home).map_err(|error| {
            EngineError::unexpected(format!("cannot create {}: {error}", launch.home.display()))
        })?;
        // Only the directory itself: what is inside HOME the agent made, and a walk through a
        // tree the agent can change could be led elsewhere by a swapped symbolic link.
        give_dir(&launch.home, user)?;
        if let Some(runtime_dir) = &launch.runtime_dir {
            // The agent must be able to connect to the sockets; nobody else on the machine may.
            // The directory is the platform's alone (read-only in the container), so it can be walked.
            give_to(runtime_dir, user)?;
        }
        let shape = ContainerShape {
            image: launch.image.clone(),
            work_path: launch.work_path.clone(),
            access: launch.access.clone(),
            runtime_dir: launch.runtime_dir.clone(),
            user,
        };
        let name = Self::container_name(launch.session);
        let mut containers = self.containers.lock().await;
        let running = match self.docker.inspect_container(&name).await? {
            Some(details) => details.running && containers.get(&launch.session) == Some(&shape),
            None => false,
        };
        if running {
            return Ok((name, user));
        }
        self.docker.remove_container(&name).await?;
        // Ownership is settled once, before any container of the session can write there: a
        // project owned by root is given to AGENT_USER (after which its owner is that user), and
        // a new worktree with its git directory (made by the platform's uid) to the agent's.
        if owner_is_root {
            tracing::info!(
                session = %launch.session, user = %user, path = %launch.project_dir.display(),
                "the project is owned by root; giving it to AGENT_USER so the agent never runs as root"
            );
            give_to(&launch.project_dir, user)?;
            if let Ok(main) = git::Checkout::main(&launch.project_dir) {
                refresh_index(&main).await;
            }
        }
        if let WorkspaceAccess::Worktree { git_dir, .. } = &launch.access {
            let mut given = false;
            for path in [&launch.work_path, git_dir] {
                if !owned_by(path, user) {
                    give_to(path, user)?;
                    given = true;
                }
            }
            if given && let Ok(worktree) = git::Checkout::session(&launch.work_path, git_dir) {
                refresh_index(&worktree).await;
            }
        }
        let binds = self.workspace_binds(launch)?;
        let mut env = launch.env.clone();
        env.push(("HOME".to_owned(), CONTAINER_HOME.to_owned()));
        let spec = ContainerSpec {
            name: name.clone(),
            image: launch.image.clone(),
            labels: BTreeMap::from([
                (SESSION_LABEL.to_owned(), launch.session.to_string()),
                (PROJECT_LABEL.to_owned(), launch.project.to_string()),
                (INSTANCE_LABEL.to_owned(), self.instance.clone()),
            ]),
            env,
            binds,
            user,
            working_dir: CONTAINER_WORKSPACE.into(),
            limits: Limits {
                memory_bytes: self.config.memory_limit.bytes(),
                nano_cpus: self.config.cpu_limit.nano_cpus(),
                pids: self.config.pids_limit,
            },
            network: self.config.network.clone(),
            runtime: self.config.runtime.clone(),
            mount_docker_socket: self.config.docker_access == domain::DockerAccess::Socket,
        };
        self.docker.create_container(&spec).await?;
        containers.insert(launch.session, shape);
        Ok((name, user))
    }

    /// The bind mounts of the work path and the git records the session's access allows.
    ///
    /// A git directory is itself a mount point, so an agent cannot rename it away and put another
    /// in its place; its `config`, `config.worktree`, `hooks` and `info` (what decides which
    /// programs git runs) are mounted read-only over it. Other sessions' worktrees under
    /// `.worktrees` are covered by an empty read-only directory.
    fn workspace_binds(&self, launch: &Launch) -> Result<Vec<Bind>, EngineError> {
        let bind = |host: &Path, container: PathBuf, read_only: bool| Bind {
            host: self.host_path(host),
            container,
            read_only,
        };
        let workspace = PathBuf::from(CONTAINER_WORKSPACE);
        let mut binds = vec![
            bind(
                &launch.work_path,
                workspace.clone(),
                launch.access == WorkspaceAccess::ReadOnly,
            ),
            bind(&launch.home, CONTAINER_HOME.into(), false),
        ];
        if let Some(runtime_dir) = &launch.runtime_dir {
            binds.push(bind(runtime_dir, CONTAINER_RUNTIME_DIR.into(), true));
        }
        let mut protect_git_dir = |git_dir: &Path, seen_at: PathBuf| -> Result<(), EngineError> {
            binds.push(bind(git_dir, seen_at.clone(), false));
            for name in GIT_SETTINGS {
                let path = git_dir.join(name);
                ensure_exists(&path, name.ends_with('/'))?;
                binds.push(bind(&path, seen_at.join(name.trim_end_matches('/')), true));
            }
            Ok(())
        };
        match &launch.access {
            WorkspaceAccess::ReadOnly | WorkspaceAccess::MainCheckout { git_dir: None } => {}
            WorkspaceAccess::MainCheckout {
                git_dir: Some(git_dir),
            } => protect_git_dir(git_dir, workspace.join(".git"))?,
            WorkspaceAccess::Worktree { git_dir, objects } => {
                protect_git_dir(git_dir, git_dir.clone())?;
                binds.push(bind(objects, objects.clone(), true));
            }
        }
        if !matches!(launch.access, WorkspaceAccess::Worktree { .. }) {
            // The mount point must exist before the container starts: a read-only workspace
            // cannot have it made there.
            ensure_exists(&launch.work_path.join(git::WORKTREES_DIR), true)?;
            binds.push(bind(
                &self.empty_dir()?,
                workspace.join(git::WORKTREES_DIR),
                true,
            ));
        }
        Ok(binds)
    }

    /// An empty directory of the platform's, to cover what a container must not see.
    fn empty_dir(&self) -> Result<PathBuf, EngineError> {
        let path = self.config.data_dir.join("empty");
        std::fs::create_dir_all(&path).map_err(|error| {
            EngineError::unexpected(format!("cannot create {}: {error}", path.display()))
        })?;
        Ok(path)
    }
}

/// What decides which programs git runs, in a git directory: read-only in every container.
/// A trailing slash marks a directory.
const GIT_SETTINGS: &[&str] = &["config", "config.worktree", "hooks/", "info/"];

/// Creates an empty file or directory where a read-only mount needs one, so an agent cannot
/// create it itself later.
fn ensure_exists(path: &Path, directory: bool) -> Result<(), EngineError> {
    if path.symlink_metadata().is_ok() {
        return Ok(());
    }
    let made = if directory {
        std::fs::create_dir_all(path)
    } else {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map(drop)
    };
    made.map_err(|error| {
        EngineError::unexpected(format!("cannot create {}: {error}", path.display()))
    })
}

/// Whether `path` itself belongs to `user` (not following a symbolic link).
fn owned_by(path: &Path, user: UserSpec) -> bool {
    std::fs::symlink_metadata(path)
        .is_ok_and(|metadata| metadata.uid() == user.uid && metadata.gid() == user.gid)
}

/// Gives one directory (not what is in it) to `user`.
fn give_dir(path: &Path, user: UserSpec) -> Result<(), EngineError> {
    if owned_by(path, user) {
        return Ok(());
    }
    std::os::unix::fs::lchown(path, Some(user.uid), Some(user.gid)).map_err(|error| {
        EngineError::unexpected(format!("cannot give {} to {user}: {error}", path.display()))
    })
}

/// The id of the installation whose data dir is `data_dir`: read from `<data dir>/instance`,
/// created there on first use.
fn instance_id(data_dir: &Path) -> Result<String, EngineError> {
    let file = data_dir.join("instance");
    if let Ok(text) = std::fs::read_to_string(&file) {
        let id = text.trim();
        if !id.is_empty() {
            return Ok(id.to_owned());
        }
    }
    let id = uuid::Uuid::new_v4().to_string();
    std::fs::create_dir_all(data_dir)
        .and_then(|()| std::fs::write(&file, &id))
        .map_err(|error| {
            EngineError::unexpected(format!(
                "cannot write {}: {error}; check that AGENTYARD_DATA_DIR is writable",
                file.display()
            ))
        })?;
    Ok(id)
}

/// After a tree was given to the agent's user: see [`git::refresh_index`]. A failure costs only
/// time (the agent's `git status` reads every file), so it is logged and the turn goes on.
async fn refresh_index(checkout: &git::Checkout) {
    if let Err(error) = git::refresh_index(checkout).await {
        tracing::warn!(path = %checkout.work_tree().display(), %error, "refreshing the index after a change of owner failed");
    }
}

/// Gives a directory tree to `user`, so an agent that is not root can work in it. Called only
/// where no agent can change the tree during the walk (see `ensure_container`); symbolic links
/// are given as themselves, never followed.
fn give_to(path: &Path, user: UserSpec) -> Result<(), EngineError> {
    let chown = |path: &Path| {
        std::os::unix::fs::lchown(path, Some(user.uid), Some(user.gid)).map_err(|error| {
            EngineError::unexpected(format!("cannot give {} to {user}: {error}", path.display()))
        })
    };
    let mut pending = vec![path.to_path_buf()];
    while let Some(path) = pending.pop() {
        let metadata = std::fs::symlink_metadata(&path).map_err(|error| {
            EngineError::unexpected(format!("cannot read {}: {error}", path.display()))
        })?;
        if metadata.uid() != user.uid || metadata.gid() != user.gid {
            chown(&path)?;
        }
        if metadata.is_dir() {
            let entries = std::fs::read_dir(&path).map_err(|error| {
                EngineError::unexpected(format!("cannot read {}: {error}", path.display()))
            })?;
            pending.extend(entries.filter_map(Result::ok).map(|entry| entry.path()));
        }
    }
    Ok(())
}

struct DockerKiller(ExecKiller);

#[async_trait]
impl Killer for DockerKiller {
    async fn kill(&self) -> Result<(), EngineError> {
        Ok(self.0.kill().await?)
    }

    async fn interrupt(&self) -> Result<(), EngineError> {
        Ok(self.0.interrupt().await?)
    }

    async fn kill_everything(&self) -> Result<(), EngineError> {
        Ok(self.0.kill_container().await?)
    }
}

#[async_trait]
impl Runtime for DockerRuntime {
    fn mode(&self) -> AgentMode {
        AgentMode::Docker
    }

    fn agent_work_path(&self, _launch_work_path: &Path) -> PathBuf {
        PathBuf::from(CONTAINER_WORKSPACE)
    }

    async fn start(&self, launch: Launch) -> Result<AgentProcess, EngineError> {
        let began = std::time::Instant::now();
        let (container, user) = self.ensure_container(&launch).await?;
        tracing::debug!(session = %launch.session, container_ms = began.elapsed().as_millis(), "container ready");
        let mut cmd = vec![launch.program.clone()];
        cmd.extend(launch.args.iter().cloned());
        let spec = ExecSpec {
            cmd,
            env: Vec::new(),
            user: Some(user),
            working_dir: Some(CONTAINER_WORKSPACE.into()),
        };
        let mut process = self.docker.exec(&container, &spec).await?;
        let stdin = std::mem::replace(&mut process.stdin, Box::pin(tokio::io::sink()));
        let (_, closed) = tokio::sync::mpsc::channel(1);
        let stdout = std::mem::replace(&mut process.stdout, closed);
        let killer = Arc::new(DockerKiller(process.killer()));
        let exit = async move {
            let code = process.wait().await?;
            Ok(ProcessExit {
                code,
                stderr_tail: process.stderr(),
            })
        };
        Ok(AgentProcess {
            stdin,
            stdout: ReceiverStream::new(stdout).boxed(),
            killer,
            exit: exit.boxed(),
        })
    }

    async fn release(&self, session: SessionId) -> Result<(), EngineError> {
        let mut containers = self.containers.lock().await;
        self.docker
            .remove_container(&Self::container_name(session))
            .await?;
        containers.remove(&session);
        Ok(())
    }

    async fn reconcile(
        &self,
        live: &HashSet<SessionId>,
        at_boot: bool,
    ) -> Result<Vec<String>, EngineError> {
        let mut removed = Vec::new();
        let ours = self
            .docker
            .session_containers()
            .await?
            .into_iter()
            .filter(|container| container.instance == self.instance);
        for container in ours {
            let session = container.session_id.parse::<SessionId>().ok();
            // At boot no turn is running, so every container is left over: remove them all;
            // the next message of a live session creates a fresh one and resumes.
            let stale = at_boot || session.is_none_or(|id| !live.contains(&id));
            if stale {
                self.docker.remove_container(&container.id).await?;
                if let Some(id) = session {
                    self.containers.lock().await.remove(&id);
                }
                removed.push(container.name);
            }
        }
        Ok(removed)
    }

    async fn agent_image_names(&self) -> Result<Option<Vec<String>>, EngineError> {
        let images = self.docker.agent_images().await?;
        Ok(Some(images.into_iter().map(|image| image.name).collect()))
    }

    fn docker(&self) -> Option<&Docker> {
        Some(&self.docker)
    }

    async fn ready(&self) -> Result<(), EngineError> {
        Ok(self.docker.ping().await?)
    }

    async fn health(&self) -> Option<RuntimeHealth> {
        let image = ImageRef::parse(&self.config.default_image).ok()?;
        let health = self.docker.health(&image, &self.config.network).await;
        Some(RuntimeHealth {
            socket_connected: health.socket_connected,
            image_available: health.image_available,
            image_name: health.image_name,
            network_exists: health.network_exists,
        })
    }

    async fn start_dev_server(&self, launch: DevServerLaunch) -> Result<AgentProcess, EngineError> {
        if self.config.network == NetworkChoice::None {
            return Err(no_preview_without_network());
        }
        let name = Self::container_name(launch.session);
        // The container a turn made, with the user it runs as; a preview never makes one itself,
        // because only a turn knows the session's work path, access and image.
        let user = {
            let containers = self.containers.lock().await;
            let running = self
                .docker
                .inspect_container(&name)
                .await?
                .is_some_and(|details| details.running);
            match containers.get(&launch.session) {
                Some(shape) if running => shape.user,
                _ => {
                    return Err(EngineError::refused(
                        "session_not_started",
                        "the session's container is not running (it starts with a turn and stops when the session idles); send the session a message, then start the preview",
                    ));
                }
            }
        };
        let spec = ExecSpec {
            cmd: vec![
                "sh".to_owned(),
                "-c".to_owned(),
                dev_server_script(&launch.script),
            ],
            env: launch.env,
            user: Some(user),
            working_dir: Some(CONTAINER_WORKSPACE.into()),
        };
        let mut process = self.docker.exec(&name, &spec).await?;
        let (_, closed) = tokio::sync::mpsc::channel(1);
        let output = std::mem::replace(&mut process.stdout, closed);
        let killer = Arc::new(DockerKiller(process.killer()));
        let exit = async move {
            let code = process.wait().await?;
            Ok(ProcessExit {
                code,
                stderr_tail: process.stderr(),
            })
        };
        Ok(AgentProcess {
            stdin: Box::pin(tokio::io::sink()),
            stdout: ReceiverStream::new(output).boxed(),
            killer,
            exit: exit.boxed(),
        })
    }

    async fn dev_server_address(
        &self,
        session: SessionId,
        port: u16,
    ) -> Result<SocketAddr, EngineError> {
        let network = match &self.config.network {
            NetworkChoice::None => return Err(no_preview_without_network()),
            NetworkChoice::Host => return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port))),
            NetworkChoice::Named(network) => network,
        };
        let address = self
            .docker
            .container_address(&Self::container_name(session), network)
            .await?
            .ok_or_else(|| {
                EngineError::refused(
                    "preview_not_running",
                    format!("the session's container is not running on the agent network `{network}`; start the preview again"),
                )
            })?;
        Ok(SocketAddr::new(address, port))
    }

    async fn check_image_cli(
        &self,
        image: &ImageRef,
        cli: domain::AgentCli,
    ) -> Result<(), EngineError> {
        // A missing image is reported by the container's creation, with its own remedy.
        let Ok(label) = self
            .docker
            .image_label(image, domain::IMAGE_CLIS_LABEL)
            .await
        else {
            return Ok(());
        };
        domain::check_image_cli(cli, image.as_str(), label.as_deref())
            .map_err(|missing| EngineError::invalid("cli_missing", missing.to_string()))
    }

    async fn browser_mcp(&self, image: &ImageRef) -> Option<BrowserMcp> {
        let label = |name: &'static str| async move {
            match self.docker.image_label(image, name).await {
                Ok(value) => value.filter(|value| value.starts_with('/')),
                Err(error) => {
                    tracing::warn!(%image, %error, "could not read the image's labels");
                    None
                }
            }
        };
        Some(BrowserMcp {
            command: label(BROWSER_MCP_LABEL).await?,
            chromium: label(BROWSER_MCP_CHROMIUM_LABEL).await?,
        })
    }
}

/// Why a preview cannot run on `AGENT_NETWORK=none`.
fn no_preview_without_network() -> EngineError {
    EngineError::Invalid {
        code: "preview_unavailable",
        message: "previews are not available with AGENT_NETWORK=none: a container without a network cannot be reached".to_owned(),
        remediation: Some(
            "set AGENT_NETWORK to a bridge network (the default, agentyard-net) or host to use previews"
                .to_owned(),
        ),
    }
}
