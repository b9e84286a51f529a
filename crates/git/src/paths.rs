//! Where paths from requests meet the filesystem: absolute work paths only, and relative paths
//! that must stay inside their work path even through symbolic links.

use std::io;
use std::path::{Path, PathBuf};

use domain::RelPath;

use crate::GitError;

/// Refuses a relative path: this crate never interprets a path against the current directory.
pub(crate) fn require_absolute(path: &Path) -> Result<(), GitError> {
    if path.is_absolute() {
        Ok(())
    } else {
        Err(GitError::InvalidPath(path.display().to_string()))
    }
}

pub(crate) fn canonical(path: &Path) -> Result<PathBuf, GitError> {
    std::fs::canonicalize(path).map_err(|source| GitError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Resolves `path` inside `work` and returns it as an absolute, canonical path.
///
/// The deepest part of the path that exists is canonicalised, so a symbolic link anywhere on the
/// way that leads outside `work` is refused; the part that does not exist yet (a file about to be
/// created, or one deleted from the work tree) is appended as written, which is safe because a
/// [`RelPath`] has no `..`. A dangling symbolic link is refused: where it leads cannot be checked.
pub fn resolve_inside(work: &Path, path: &RelPath) -> Result<PathBuf, GitError> {
    require_absolute(work)?;
    let root = canonical(work)?;
    let refuse = || GitError::PathOutside(path.to_string());
    let joined = work.join(path.as_path());

    let mut existing = joined.as_path();
    let mut missing = Vec::new();
    let resolved_existing = loop {
        match std::fs::canonicalize(existing) {
            Ok(resolved) => break resolved,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                if existing.symlink_metadata().is_ok() {
                    return Err(refuse());
                }
                let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
                    return Err(refuse());
                };
                missing.push(name.to_owned());
                existing = parent;
            }
            Err(source) => {
                return Err(GitError::Io {
                    path: existing.to_owned(),
                    source,
                });
            }
        }
    };
    let resolved = missing
        .iter()
        .rev()
        .fold(resolved_existing, |resolved, name| resolved.join(name));
    if resolved.starts_with(&root) {
        Ok(resolved)
    } else {
        Err(refuse())
    }
}
