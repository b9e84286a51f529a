//! Files the platform's git writes into a work tree belong to the work tree's owner.
//!
//! The platform may run as root while a project (and a session's worktree) belongs to the user or
//! to the agent's uid: a file that a merge, a rebase or a checkout wrote would otherwise be
//! root's, and neither the user nor the agent could change it afterwards.

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::GitError;
use crate::repository::Checkout;

/// Gives the `changed` paths of `checkout` (relative to its work tree), the directories leading to
/// them inside it, and its index to the owner of the work tree, when that is another uid than the
/// platform's. Nothing is followed through a symbolic link (see `give_beneath`); a path that is
/// gone (a deletion) is skipped.
pub(crate) async fn give_back(
    checkout: &Checkout,
    changed: &BTreeSet<String>,
) -> Result<(), GitError> {
    let work_tree = checkout.work_tree().to_path_buf();
    let checkout_git_dir = checkout.git_dir().to_path_buf();
    let changed: Vec<String> = changed.iter().cloned().collect();
    tokio::task::spawn_blocking(move || {
        let owner = std::fs::metadata(&work_tree).map_err(|source| GitError::Io {
            path: work_tree.clone(),
            source,
        })?;
        let platform = std::fs::metadata("/proc/self")
            .map(|me| me.uid())
            .unwrap_or(0);
        if owner.uid() == platform {
            return Ok(());
        }
        let owner = (owner.uid(), owner.gid());
        give_beneath(checkout_git_dir.as_path(), Path::new("index"), owner)?;
        for relative in &changed {
            give_beneath(&work_tree, Path::new(relative), owner)?;
        }
        Ok(())
    })
    .await
    .map_err(|error| GitError::Io {
        path: std::path::PathBuf::new(),
        source: std::io::Error::other(error),
    })?
}

/// Gives `relative` and every directory on the way to it, inside `root`, to `owner`, walking from
/// directory descriptor to directory descriptor without following a symbolic link: an agent that
/// swaps a directory for a link while this runs makes the walk stop, never lead out of `root`.
fn give_beneath(root: &Path, relative: &Path, owner: (u32, u32)) -> Result<(), GitError> {
    use rustix::fs::{AtFlags, CWD, Gid, Mode, OFlags, Uid, chownat, openat};
    let io = |path: &Path, errno: rustix::io::Errno| GitError::Io {
        path: path.to_owned(),
        source: std::io::Error::from(errno),
    };
    let (uid, gid) = (Uid::from_raw(owner.0), Gid::from_raw(owner.1));
    let directory_flags = OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::PATH;
    let mut directory =
        openat(CWD, root, directory_flags, Mode::empty()).map_err(|errno| io(root, errno))?;
    let parts: Vec<_> = relative.components().collect();
    for (at, part) in parts.iter().enumerate() {
        let name = part.as_os_str();
        match chownat(
            &directory,
            name,
            Some(uid),
            Some(gid),
            AtFlags::SYMLINK_NOFOLLOW,
        ) {
            Ok(()) => {}
            // A deletion (the path is gone) or a link in the way: nothing of the owner's to give.
            Err(rustix::io::Errno::NOENT) => return Ok(()),
            Err(errno) => return Err(io(&root.join(relative), errno)),
        }
        if at + 1 < parts.len() {
            directory = match openat(&directory, name, directory_flags, Mode::empty()) {
                Ok(next) => next,
                Err(
                    rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR | rustix::io::Errno::NOENT,
                ) => {
                    return Ok(());
                }
                Err(errno) => return Err(io(&root.join(relative), errno)),
            };
        }
    }
    Ok(())
}

/// Refreshes the stat information in `checkout`'s index, then gives the index back to the work
/// tree's owner. Called after the platform changed the owner of every file (which changes their
/// ctime): otherwise each later `git status` that may not write the index (as the agent CLIs run
/// it, with `--no-optional-locks`) reads every file again to learn that nothing changed.
pub async fn refresh_index(checkout: &Checkout) -> Result<(), GitError> {
    crate::command::Git::at(checkout)
        .run_accepting(["update-index", "-q", "--refresh"], &[0, 1])
        .await?;
    give_back(checkout, &BTreeSet::new()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_swapped_for_a_link_stops_the_walk_inside_the_root() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("passwd"), "host file").unwrap();
        std::fs::create_dir(root.path().join("kept")).unwrap();
        std::fs::write(root.path().join("kept/file"), "mine").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("src")).unwrap();

        give_beneath(root.path(), Path::new("src/passwd"), (4321, 4322)).unwrap();
        give_beneath(root.path(), Path::new("kept/file"), (4321, 4322)).unwrap();

        let host = std::fs::metadata(outside.path().join("passwd")).unwrap();
        assert_ne!(host.uid(), 4321, "a file outside the root was given away");
        let link = std::fs::symlink_metadata(root.path().join("src")).unwrap();
        assert_eq!(link.uid(), 4321, "the link itself is the owner's");
        let file = std::fs::metadata(root.path().join("kept/file")).unwrap();
        assert_eq!((file.uid(), file.gid()), (4321, 4322));
    }
}
