//! The git settings an agent could plant for the platform's git, or the user's, to run: a
//! `commondir` that sends git to another configuration, and (where an agent can write them, as in
//! local mode) the `config`, `config.worktree`, `hooks/` and `info/` of a git directory.
//!
//! In docker mode those files are read-only to agents, so only a planted `commondir` can appear;
//! [`remove_redirects`] undoes it. Where an agent runs with the user's own rights, a
//! [`SettingsSnapshot`] taken before its turn lets [`restore_settings`] undo whatever it changed.
//! Both report what they undid, for the session to show.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::GitError;

/// Files of a git directory that decide which programs git runs.
const SETTINGS_FILES: &[&str] = &["config", "config.worktree"];
const SETTINGS_DIRS: &[&str] = &["hooks", "info"];
/// A settings directory larger than this is not snapshotted file by file.
const MAX_SNAPSHOT_BYTES: u64 = 4 << 20;

/// What a git directory's settings were, to put them back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsSnapshot {
    /// Regular files by path relative to the git directory.
    files: BTreeMap<PathBuf, Vec<u8>>,
    /// Settings directories that existed.
    dirs: Vec<PathBuf>,
}

/// Removes files that would make git read another repository's configuration: `commondir` in a
/// git directory that has no business with one. Returns what was removed.
pub fn remove_redirects(git_dir: &Path) -> Result<Vec<String>, GitError> {
    let mut undone = Vec::new();
    let commondir = git_dir.join("commondir");
    if commondir.symlink_metadata().is_ok() {
        remove_any(&commondir)?;
        undone.push(format!(
            "removed {} (it sent git to another configuration)",
            commondir.display()
        ));
    }
    Ok(undone)
}

/// Reads the settings of `git_dir`, without following symbolic links.
pub fn snapshot_settings(git_dir: &Path) -> Result<SettingsSnapshot, GitError> {
    let mut snapshot = SettingsSnapshot::default();
    let mut budget = MAX_SNAPSHOT_BYTES;
    for name in SETTINGS_FILES {
        read_into(git_dir, Path::new(name), &mut snapshot, &mut budget)?;
    }
    for name in SETTINGS_DIRS {
        read_into(git_dir, Path::new(name), &mut snapshot, &mut budget)?;
    }
    Ok(snapshot)
}

fn read_into(
    git_dir: &Path,
    relative: &Path,
    snapshot: &mut SettingsSnapshot,
    budget: &mut u64,
) -> Result<(), GitError> {
    let path = git_dir.join(relative);
    let Ok(metadata) = path.symlink_metadata() else {
        return Ok(());
    };
    if metadata.is_dir() {
        snapshot.dirs.push(relative.to_path_buf());
        for entry in std::fs::read_dir(&path).map_err(|source| io_error(&path, source))? {
            let entry = entry.map_err(|source| io_error(&path, source))?;
            read_into(git_dir, &relative.join(entry.file_name()), snapshot, budget)?;
        }
    } else if metadata.is_file() && metadata.len() <= *budget {
        *budget -= metadata.len();
        let bytes = std::fs::read(&path).map_err(|source| io_error(&path, source))?;
        snapshot.files.insert(relative.to_path_buf(), bytes);
    }
    Ok(())
}

/// Puts the settings of `git_dir` back as `snapshot` saw them: changed files rewritten, new files
/// and links removed, removed files restored. Returns what was undone, one line each.
pub fn restore_settings(
    git_dir: &Path,
    snapshot: &SettingsSnapshot,
) -> Result<Vec<String>, GitError> {
    let now = snapshot_settings(git_dir)?;
    let mut undone = remove_redirects(git_dir)?;
    // Anything in a settings directory that is not a regular file of the snapshot goes: new
    // files, and symbolic links an agent put in place of a file or a directory.
    for name in SETTINGS_FILES.iter().chain(SETTINGS_DIRS) {
        remove_unknown(git_dir, Path::new(name), snapshot, &mut undone)?;
    }
    for directory in &snapshot.dirs {
        let path = git_dir.join(directory);
        std::fs::create_dir_all(&path).map_err(|source| io_error(&path, source))?;
    }
    for (relative, bytes) in &snapshot.files {
        if now.files.get(relative) != Some(bytes) {
            let path = git_dir.join(relative);
            if path.symlink_metadata().is_ok() {
                remove_any(&path)?;
            }
            std::fs::write(&path, bytes).map_err(|source| io_error(&path, source))?;
            undone.push(format!("restored {}", path.display()));
        }
    }
    Ok(undone)
}

fn remove_unknown(
    git_dir: &Path,
    relative: &Path,
    snapshot: &SettingsSnapshot,
    undone: &mut Vec<String>,
) -> Result<(), GitError> {
    let path = git_dir.join(relative);
    let Ok(metadata) = path.symlink_metadata() else {
        return Ok(());
    };
    let known_dir = metadata.is_dir() && snapshot.dirs.iter().any(|dir| dir == relative);
    let known_file = metadata.is_file() && snapshot.files.contains_key(relative);
    if known_dir {
        let entries: Vec<_> = std::fs::read_dir(&path)
            .map_err(|source| io_error(&path, source))?
            .filter_map(Result::ok)
            .map(|entry| relative.join(entry.file_name()))
            .collect();
        for entry in entries {
            remove_unknown(git_dir, &entry, snapshot, undone)?;
        }
    } else if !known_file {
        remove_any(&path)?;
        undone.push(format!("removed {}", path.display()));
    }
    Ok(())
}

fn remove_any(path: &Path) -> Result<(), GitError> {
    let metadata = path
        .symlink_metadata()
        .map_err(|source| io_error(path, source))?;
    let removed = if metadata.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    removed.map_err(|source| io_error(path, source))
}

fn io_error(path: &Path, source: std::io::Error) -> GitError {
    GitError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config"), "[core]\n\tbare = false\n").unwrap();
        std::fs::create_dir(dir.path().join("hooks")).unwrap();
        std::fs::write(dir.path().join("hooks/pre-commit.sample"), "#!/bin/sh\n").unwrap();
        std::fs::create_dir(dir.path().join("info")).unwrap();
        std::fs::write(dir.path().join("info/exclude"), "").unwrap();
        dir
    }

    #[test]
    fn planted_settings_are_undone_and_reported() {
        let dir = git_dir();
        let path = dir.path();
        let snapshot = snapshot_settings(path).unwrap();
        std::fs::write(
            path.join("config"),
            "[core]\n\tfsmonitor = touch /tmp/owned\n",
        )
        .unwrap();
        std::fs::write(
            path.join("hooks/post-checkout"),
            "#!/bin/sh\ntouch /tmp/owned\n",
        )
        .unwrap();
        std::fs::write(path.join("info/attributes"), "* filter=x\n").unwrap();
        std::fs::write(path.join("commondir"), "../evil\n").unwrap();
        std::fs::remove_file(path.join("info/exclude")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", path.join("config.worktree")).unwrap();

        let undone = restore_settings(path, &snapshot).unwrap();

        assert_eq!(snapshot_settings(path).unwrap(), snapshot);
        assert!(!path.join("commondir").exists());
        assert!(path.join("config.worktree").symlink_metadata().is_err());
        for planted in [
            "commondir",
            "config",
            "post-checkout",
            "attributes",
            "exclude",
            "config.worktree",
        ] {
            assert!(
                undone.iter().any(|line| line.contains(planted)),
                "{planted} not reported in {undone:?}"
            );
        }
    }

    #[test]
    fn untouched_settings_report_nothing() {
        let dir = git_dir();
        let snapshot = snapshot_settings(dir.path()).unwrap();
        assert!(restore_settings(dir.path(), &snapshot).unwrap().is_empty());
    }

    #[test]
    fn a_hooks_directory_swapped_for_a_link_is_put_back() {
        let dir = git_dir();
        let path = dir.path();
        let snapshot = snapshot_settings(path).unwrap();
        std::fs::remove_dir_all(path.join("hooks")).unwrap();
        std::os::unix::fs::symlink("/tmp", path.join("hooks")).unwrap();
        restore_settings(path, &snapshot).unwrap();
        assert!(path.join("hooks").symlink_metadata().unwrap().is_dir());
        assert!(path.join("hooks/pre-commit.sample").is_file());
    }
}
