//! Bind-mount sources must be paths of the Docker Engine's host. When the platform itself runs in
//! a container, its `PROJECTS_ROOT` and data dir are mounts whose host paths differ: they come from
//! `HOST_PROJECTS_DIR`/`HOST_DATA_DIR`, or, when those are unset, from inspecting the platform's
//! own container and reading where those directories are mounted from.

use docker::Docker;
use domain::Config;
use std::path::{Path, PathBuf};

/// Docker creates this file in every container it runs.
const IN_A_CONTAINER: &str = "/.dockerenv";

/// Fills `host_projects_dir`/`host_data_dir` that are unset from the mounts of the platform's own
/// container. Outside a container, or when the container cannot be inspected, nothing changes
/// (and the log says why: agents would then mount paths that exist only inside the platform).
pub(crate) async fn discover(docker: &Docker, config: &mut Config) {
    if config.host_projects_dir.is_some() && config.host_data_dir.is_some() {
        return;
    }
    if !Path::new(IN_A_CONTAINER).exists() {
        return;
    }
    // A container's hostname is the start of its id unless the operator replaced it.
    let Ok(hostname) = std::fs::read_to_string("/etc/hostname") else {
        return;
    };
    let me = match docker.inspect_container(hostname.trim()).await {
        Ok(Some(me)) => me,
        other => {
            tracing::warn!(
                hostname = hostname.trim(),
                ?other,
                "running in a container that cannot be inspected; set HOST_PROJECTS_DIR and HOST_DATA_DIR so agent containers mount the right host paths"
            );
            return;
        }
    };
    if config.host_projects_dir.is_none() {
        config.host_projects_dir = through_mounts(&config.projects_root, &me.mounts);
    }
    if config.host_data_dir.is_none() {
        config.host_data_dir = through_mounts(&config.data_dir, &me.mounts);
    }
    tracing::info!(
        projects = ?config.host_projects_dir, data = ?config.host_data_dir,
        "host paths discovered from the platform's own container"
    );
}

/// `path` as the host sees it, through the mount whose destination holds it most closely.
pub(crate) fn through_mounts(path: &Path, mounts: &[(PathBuf, PathBuf)]) -> Option<PathBuf> {
    mounts
        .iter()
        .filter_map(|(source, destination)| {
            let rest = path.strip_prefix(destination).ok()?;
            let host = if rest.as_os_str().is_empty() {
                source.clone()
            } else {
                source.join(rest)
            };
            Some((destination.components().count(), host))
        })
        .max_by_key(|(depth, _)| *depth)
        .map(|(_, host)| host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mounts() -> Vec<(PathBuf, PathBuf)> {
        vec![
            ("/srv/agentyard".into(), "/data".into()),
            ("/home/me/code".into(), "/projects".into()),
            ("/home/me/deep".into(), "/projects/deep".into()),
        ]
    }

    #[test]
    fn a_path_under_a_mount_becomes_the_host_path() {
        assert_eq!(
            through_mounts(Path::new("/projects"), &mounts()),
            Some("/home/me/code".into())
        );
        assert_eq!(
            through_mounts(Path::new("/data/sessions/x"), &mounts()),
            Some("/srv/agentyard/sessions/x".into())
        );
    }

    #[test]
    fn the_closest_mount_wins_and_unmounted_paths_have_no_host_path() {
        assert_eq!(
            through_mounts(Path::new("/projects/deep/a"), &mounts()),
            Some("/home/me/deep/a".into())
        );
        assert_eq!(through_mounts(Path::new("/elsewhere"), &mounts()), None);
        assert_eq!(through_mounts(Path::new("/database"), &mounts()), None);
    }
}
