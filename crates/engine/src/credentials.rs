//! Credential isolation: the platform user's Claude Code login reaches an agent only as a copy in
//! the session's own HOME (mode 0600), never as a mount of the user's home directory.
//!
//! The copy is refreshed when the user's file is newer, and otherwise left alone: the agent may
//! have refreshed its own OAuth token inside the copy, and an older file must not undo that.

use crate::EngineError;
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Where Claude Code looks for its credentials, relative to its HOME.
const CREDENTIALS: &str = ".claude/.credentials.json";

/// Copies `source` (the platform user's `~/.claude/.credentials.json`) into `home`, readable only
/// by its owner. Returns the copy's path, or `None` when the user has no credentials file.
pub(crate) fn copy_credentials(source: &Path, home: &Path) -> Result<Option<PathBuf>, EngineError> {
    let Ok(source_meta) = fs::metadata(source) else {
        return Ok(None);
    };
    if !source_meta.is_file() {
        return Ok(None);
    }
    let target = home.join(CREDENTIALS);
    let up_to_date = fs::metadata(&target)
        .and_then(|target_meta| Ok(target_meta.modified()? >= source_meta.modified()?))
        .unwrap_or(false);
    if up_to_date {
        return Ok(Some(target));
    }
    let failed = |error: std::io::Error| {
        EngineError::unexpected(format!(
            "cannot copy the Claude credentials {} into {}: {error}",
            source.display(),
            target.display()
        ))
    };
    let contents = fs::read(source).map_err(failed)?;
    fs::create_dir_all(target.parent().expect("the target is inside HOME")).map_err(failed)?;
    // Written beside the target and renamed over it, created 0600: the secret is never readable
    // by others, not even for an instant, and a reader never sees half a file.
    let partial = target.with_extension("json.partial");
    let _ = fs::remove_file(&partial);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .map_err(failed)?;
    file.write_all(&contents).map_err(failed)?;
    drop(file);
    fs::rename(&partial, &target).map_err(failed)?;
    Ok(Some(target))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn credentials_are_copied_into_the_agents_home_readable_only_by_their_owner() {
        let user = tempfile::tempdir().unwrap();
        let source = user.path().join(".claude/.credentials.json");
        fs::create_dir_all(source.parent().unwrap()).unwrap();
        fs::write(&source, r#"{"token":"t"}"#).unwrap();
        fs::set_permissions(&source, fs::Permissions::from_mode(0o644)).unwrap();
        let home = tempfile::tempdir().unwrap();
        let copy = copy_credentials(&source, home.path()).unwrap().unwrap();
        assert_eq!(copy, home.path().join(".claude/.credentials.json"));
        assert_eq!(fs::read_to_string(&copy).unwrap(), r#"{"token":"t"}"#);
        assert_eq!(
            fs::metadata(&copy).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn a_user_without_credentials_gets_nothing_copied() {
        let home = tempfile::tempdir().unwrap();
        let missing = home.path().join("nowhere/.credentials.json");
        assert_eq!(copy_credentials(&missing, home.path()).unwrap(), None);
        assert!(!home.path().join(".claude").exists());
    }

    #[test]
    fn a_copy_newer_than_the_users_file_is_kept() {
        let user = tempfile::tempdir().unwrap();
        let source = user.path().join(".credentials.json");
        fs::write(&source, "old").unwrap();
        let home = tempfile::tempdir().unwrap();
        let copy = copy_credentials(&source, home.path()).unwrap().unwrap();
        // The agent refreshed its token after the copy.
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(&copy, "refreshed by the agent").unwrap();
        copy_credentials(&source, home.path()).unwrap();
        assert_eq!(fs::read_to_string(&copy).unwrap(), "refreshed by the agent");
    }
}
