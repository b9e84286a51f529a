//! Bind-mount sources must be paths of the Docker Engine's host. When the platform itself runs in
//! a container, its `PROJECTS_ROOT` and data dir are mounts whose host paths differ: they come from
//! `HOST_PROJECTS_DIR`/`HOST_DATA_DIR`, or, when those are unset, from inspecting the platform's
//! own container and reading where those directories are mounted from.
//!
//! The platform finds its own container by the id in its mount table: Docker bind-mounts
//! `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf` from `…/containers/<id>/`, on every network
//! (with `--network host` the hostname is the host's, so it cannot serve). The cgroup path and then
//! the hostname are the fallbacks.

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
    let Some(me) = own_container_id() else {
        tracing::warn!(
            "running in a container whose id cannot be found; set HOST_PROJECTS_DIR and HOST_DATA_DIR so agent containers mount the right host paths"
        );
        return;
    };
    let me = match docker.inspect_container(&me).await {
        Ok(Some(found)) => found,
        other => {
            tracing::warn!(
                container = me,
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

/// The id (or, from the hostname, the start of the id) of the container this process runs in.
fn own_container_id() -> Option<String> {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    read("/proc/self/mountinfo")
        .and_then(|text| id_in_mountinfo(&text))
        .or_else(|| read("/proc/self/cgroup").and_then(|text| id_in_cgroup(&text)))
        // A container's hostname is the start of its id unless the operator replaced it.
        .or_else(|| read("/etc/hostname").map(|name| name.trim().to_owned()))
        .filter(|id| !id.is_empty())
}

/// A container id: 64 lowercase hex digits.
fn is_container_id(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
}

/// The id in the source of the per-container files Docker bind-mounts
/// (`…/containers/<id>/hostname` mounted at `/etc/hostname`); the fourth field of a mountinfo line
/// is the source path inside its filesystem.
fn id_in_mountinfo(mountinfo: &str) -> Option<String> {
    mountinfo.lines().find_map(|line| {
        let source = line.split(' ').nth(3)?;
        let mut segments = source.split('/');
        segments.find(|segment| *segment == "containers")?;
        segments
            .next()
            .filter(|id| is_container_id(id))
            .map(str::to_owned)
    })
}

/// The id in a cgroup path (`/docker/<id>`, `/system.slice/docker-<id>.scope`); cgroup v2 with its
/// own namespace shows only `/`, hence the mount table first.
fn id_in_cgroup(cgroup: &str) -> Option<String> {
    cgroup.lines().find_map(|line| {
        let path = line.splitn(3, ':').nth(2)?;
        path.split('/').find_map(|segment| {
            let id = segment
                .strip_prefix("docker-")
                .and_then(|rest| rest.strip_suffix(".scope"))
                .unwrap_or(segment);
            is_container_id(id).then(|| id.to_owned())
        })
    })
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

    const ID: &str = "3f4e8c1d2b7a9e6f5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6";

    #[test]
    fn the_container_id_is_read_from_the_files_docker_mounts_into_it() {
        let mountinfo = format!(
            "617 571 0:52 / / rw,relatime master:313 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X\n\
             640 617 8:1 /var/lib/docker/containers/{ID}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/sda1 rw\n\
             641 617 8:1 /var/lib/docker/containers/{ID}/hostname /etc/hostname rw,relatime - ext4 /dev/sda1 rw\n"
        );
        assert_eq!(id_in_mountinfo(&mountinfo).as_deref(), Some(ID));
        // Docker's data root on a file system of its own: the source starts below it.
        let own_fs = format!(
            "641 617 8:17 /containers/{ID}/hostname /etc/hostname rw - ext4 /dev/sdb1 rw\n"
        );
        assert_eq!(id_in_mountinfo(&own_fs).as_deref(), Some(ID));
        assert_eq!(
            id_in_mountinfo("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"),
            None,
            "a host's mount table names no container"
        );
    }

    #[test]
    fn the_container_id_is_read_from_cgroup_paths() {
        assert_eq!(
            id_in_cgroup(&format!("12:memory:/docker/{ID}\n")).as_deref(),
            Some(ID)
        );
        assert_eq!(
            id_in_cgroup(&format!("0::/system.slice/docker-{ID}.scope\n")).as_deref(),
            Some(ID)
        );
        assert_eq!(id_in_cgroup("0::/\n"), None);
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
