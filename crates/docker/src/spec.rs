//! What an agent container is made of, and the hardening every one of them gets.
//!
//! `container_config` is pure: it turns a `ContainerSpec` into the body of Docker's create call,
//! so the hardening flags are tested without an engine. Nothing here talks to Docker.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use bollard::models::{ContainerCreateBody, HostConfig};
use domain::{CpuLimit, ImageRef, MemoryLimit, NetworkChoice, UserSpec};

/// Label every session container carries: the session id.
pub const SESSION_LABEL: &str = "agentyard.session";
/// Label every session container carries: the project id.
pub const PROJECT_LABEL: &str = "agentyard.project";
/// Label every session container carries: the installation (data dir) that created it, so that
/// several platforms sharing one engine only ever reconcile their own containers.
pub const INSTANCE_LABEL: &str = "agentyard.instance";
/// Label on networks Agentyard created.
pub const MANAGED_LABEL: &str = "agentyard.managed";
/// Where the Docker socket is, on the host and inside containers given access to it.
pub const DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// The container's main process: it only keeps the container alive, turns run as execs.
const KEEP_ALIVE: [&str; 2] = ["sleep", "infinity"];

/// A host directory or file mounted into the container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bind {
    pub host: PathBuf,
    pub container: PathBuf,
    pub read_only: bool,
}

impl Bind {
    /// Docker's `host:container[:ro]` form.
    fn to_docker(&self) -> String {
        let mode = if self.read_only { ":ro" } else { "" };
        format!("{}:{}{mode}", self.host.display(), self.container.display())
    }
}

/// Resource limits of one container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub memory_bytes: u64,
    pub nano_cpus: i64,
    pub pids: i64,
}

impl Limits {
    /// The limits as configured (AGENT_MEMORY_LIMIT, AGENT_CPU_LIMIT, AGENT_PIDS_LIMIT).
    pub fn new(memory: MemoryLimit, cpu: CpuLimit, pids: i64) -> Limits {
        Limits {
            memory_bytes: memory.bytes(),
            nano_cpus: cpu.nano_cpus(),
            pids,
        }
    }
}

/// Everything that makes one agent container.
#[derive(Clone, Debug)]
pub struct ContainerSpec {
    pub name: String,
    pub image: ImageRef,
    pub labels: BTreeMap<String, String>,
    pub env: Vec<(String, String)>,
    pub binds: Vec<Bind>,
    pub user: UserSpec,
    pub working_dir: PathBuf,
    pub limits: Limits,
    pub network: NetworkChoice,
    /// An OCI runtime other than the engine's default, such as `sysbox-runc`.
    pub runtime: Option<String>,
    /// Mount the Docker socket (AGENT_DOCKER_ACCESS=socket). Off unless asked for.
    pub mount_docker_socket: bool,
}

/// The body of Docker's create call for `spec`, hardening included.
///
/// `docker_socket_gid` is the group owning the host's Docker socket; with socket access the
/// container joins that group, because the agent runs as a non-root uid that could not use it otherwise.
pub fn container_config(
    spec: &ContainerSpec,
    docker_socket_gid: Option<u32>,
) -> ContainerCreateBody {
    let mut binds: Vec<String> = spec.binds.iter().map(Bind::to_docker).collect();
    let mut group_add = None;
    if spec.mount_docker_socket {
        binds.push(format!("{DOCKER_SOCKET}:{DOCKER_SOCKET}"));
        group_add = docker_socket_gid.map(|gid| vec![gid.to_string()]);
    }
    let memory = i64::try_from(spec.limits.memory_bytes).unwrap_or(i64::MAX);
    let host_config = HostConfig {
        binds: Some(binds),
        // Nothing is added back: `claude`, git and the usual tools run fine without capabilities.
        cap_drop: Some(vec!["ALL".to_owned()]),
        cap_add: Some(Vec::new()),
        security_opt: Some(vec!["no-new-privileges".to_owned()]),
        privileged: Some(false),
        // An init process reaps the zombies that killed turns leave behind.
        init: Some(true),
        memory: Some(memory),
        // Equal to the memory limit: no swap on top of it.
        memory_swap: Some(memory),
        nano_cpus: Some(spec.limits.nano_cpus),
        pids_limit: Some(spec.limits.pids),
        network_mode: Some(spec.network.as_str().to_owned()),
        runtime: spec.runtime.clone(),
        group_add,
        ..Default::default()
    };
    ContainerCreateBody {
        image: Some(spec.image.as_str().to_owned()),
        user: Some(spec.user.to_string()),
        working_dir: Some(spec.working_dir.display().to_string()),
        env: Some(
            spec.env
                .iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect(),
        ),
        labels: Some(
            spec.labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<HashMap<_, _>>(),
        ),
        // The entrypoint, not the command, so that an image's own ENTRYPOINT cannot replace it.
        entrypoint: Some(KEEP_ALIVE.iter().map(|part| (*part).to_owned()).collect()),
        tty: Some(false),
        open_stdin: Some(false),
        host_config: Some(host_config),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ContainerSpec {
        ContainerSpec {
            name: "agentyard-test".to_owned(),
            image: ImageRef::parse("claude-agent-base").unwrap(),
            labels: BTreeMap::from([(SESSION_LABEL.to_owned(), "s-1".to_owned())]),
            env: vec![("HOME".to_owned(), "/home/agent".to_owned())],
            binds: vec![
                Bind {
                    host: "/p".into(),
                    container: "/workspace".into(),
                    read_only: false,
                },
                Bind {
                    host: "/b".into(),
                    container: "/run/agentyard".into(),
                    read_only: true,
                },
            ],
            user: UserSpec {
                uid: 1234,
                gid: 5678,
            },
            working_dir: "/workspace".into(),
            limits: Limits {
                memory_bytes: 4 << 30,
                nano_cpus: 2_000_000_000,
                pids: 512,
            },
            network: NetworkChoice::Named("agentyard-net".to_owned()),
            runtime: None,
            mount_docker_socket: false,
        }
    }

    fn host(config: &ContainerCreateBody) -> &HostConfig {
        config.host_config.as_ref().unwrap()
    }

    #[test]
    fn every_capability_is_dropped_and_none_added() {
        let config = container_config(&spec(), None);
        assert_eq!(host(&config).cap_drop, Some(vec!["ALL".to_owned()]));
        assert_eq!(host(&config).cap_add, Some(vec![]));
    }

    #[test]
    fn new_privileges_are_forbidden_and_nothing_is_privileged() {
        let config = container_config(&spec(), None);
        assert_eq!(
            host(&config).security_opt,
            Some(vec!["no-new-privileges".to_owned()])
        );
        assert_eq!(host(&config).privileged, Some(false));
    }

    #[test]
    fn an_init_process_runs_and_the_main_process_only_keeps_the_container_alive() {
        let config = container_config(&spec(), None);
        assert_eq!(host(&config).init, Some(true));
        assert_eq!(
            config.entrypoint,
            Some(vec!["sleep".to_owned(), "infinity".to_owned()])
        );
        assert_eq!(config.cmd, None);
    }

    #[test]
    fn memory_cpu_and_pids_are_limited_without_extra_swap() {
        let config = container_config(&spec(), None);
        assert_eq!(host(&config).memory, Some(4 << 30));
        assert_eq!(host(&config).memory_swap, Some(4 << 30));
        assert_eq!(host(&config).nano_cpus, Some(2_000_000_000));
        assert_eq!(host(&config).pids_limit, Some(512));
    }

    #[test]
    fn the_container_runs_as_the_given_uid_and_gid() {
        assert_eq!(
            container_config(&spec(), None).user.as_deref(),
            Some("1234:5678")
        );
    }

    #[test]
    fn binds_keep_their_read_only_flag_and_the_docker_socket_is_absent_by_default() {
        let config = container_config(&spec(), Some(999));
        assert_eq!(
            host(&config).binds,
            Some(vec![
                "/p:/workspace".to_owned(),
                "/b:/run/agentyard:ro".to_owned()
            ])
        );
        assert_eq!(host(&config).group_add, None);
    }

    #[test]
    fn socket_access_mounts_the_docker_socket_and_joins_its_group() {
        let config = container_config(
            &ContainerSpec {
                mount_docker_socket: true,
                ..spec()
            },
            Some(999),
        );
        let binds = host(&config).binds.clone().unwrap();
        assert!(
            binds.contains(&"/var/run/docker.sock:/var/run/docker.sock".to_owned()),
            "{binds:?}"
        );
        assert_eq!(host(&config).group_add, Some(vec!["999".to_owned()]));
    }

    #[test]
    fn network_runtime_labels_and_environment_come_from_the_spec() {
        let sysbox = ContainerSpec {
            runtime: Some("sysbox-runc".to_owned()),
            network: NetworkChoice::Host,
            ..spec()
        };
        let config = container_config(&sysbox, None);
        assert_eq!(host(&config).network_mode.as_deref(), Some("host"));
        assert_eq!(host(&config).runtime.as_deref(), Some("sysbox-runc"));
        assert_eq!(config.labels.unwrap()[SESSION_LABEL], "s-1");
        assert_eq!(config.env, Some(vec!["HOME=/home/agent".to_owned()]));
        assert_eq!(config.image.as_deref(), Some("claude-agent-base"));
        assert_eq!(config.working_dir.as_deref(), Some("/workspace"));
    }

    #[test]
    fn configured_limits_become_bytes_and_nano_cpus() {
        let limits = Limits::new("4g".parse().unwrap(), "1.5".parse().unwrap(), 512);
        assert_eq!(
            limits,
            Limits {
                memory_bytes: 4 << 30,
                nano_cpus: 1_500_000_000,
                pids: 512
            }
        );
    }

    #[test]
    fn the_default_runtime_is_left_to_the_engine() {
        assert_eq!(host(&container_config(&spec(), None)).runtime, None);
    }
}
