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
/// platform's. Symbolic links are given as themselves, never followed; a path that is gone (a
/// deletion) is skipped.
pub(crate) async fn give_back(
    checkout: &Checkout,
    changed: &BTreeSet<String>,
) -> Result<(), GitError> {
    let work_tree = checkout.work_tree().to_path_buf();
    let index = checkout.git_dir().join("index");
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
        let give = |path: &Path| match std::fs::symlink_metadata(path) {
            Ok(metadata) if metadata.uid() != owner.uid() || metadata.gid() != owner.gid() => {
                std::os::unix::fs::lchown(path, Some(owner.uid()), Some(owner.gid())).map_err(
                    |source| GitError::Io {
                        path: path.to_owned(),
                        source,
                    },
                )
            }
            _ => Ok(()),
        };
        give(&index)?;
        for relative in &changed {
            let mut path = work_tree.clone();
            for part in Path::new(relative).components() {
                path.push(part);
                give(&path)?;
            }
        }
        Ok(())
    })
    .await
    .map_err(|error| GitError::Io {
        path: std::path::PathBuf::new(),
        source: std::io::Error::other(error),
    })?
}
