//! Credential isolation: the platform user's Claude Code login (`~/.claude/.credentials.json`)
//! stays in the platform. It is never copied into a session's HOME or a container; when the
//! platform has no key or token of its own, the model proxy reads the login's access token from
//! the platform's own file at each call and presents it upstream itself, as Claude Code does.
//!
//! A previous version copied the file into every session's HOME; [`remove_stale_copy`] deletes
//! such copies at boot and before each turn.

use std::fs;
use std::path::{Path, PathBuf};

/// Where Claude Code keeps its login, relative to its HOME.
const CREDENTIALS: &str = ".claude/.credentials.json";
/// The half-written copy the previous version left beside it while copying.
const PARTIAL_CREDENTIALS: &str = ".claude/.credentials.json.partial";

/// The OAuth access token of a Claude Code login file (`claudeAiOauth.accessToken`).
///
/// Read afresh at each call, so a login the user's own `claude` refreshed on the host is used at
/// once. The error says what is wrong with the file and how to fix it.
pub fn read_login_token(path: &Path) -> Result<String, String> {
    let text = fs::read_to_string(path).map_err(|error| {
        format!(
            "cannot read the Claude login {}: {error}; run `claude` on the platform's host and log in, or set ANTHROPIC_API_KEY",
            path.display()
        )
    })?;
    let login: serde_json::Value = serde_json::from_str(&text).map_err(|error| {
        format!(
            "the Claude login {} is not JSON ({error}); run `claude` on the platform's host and log in again, or set ANTHROPIC_API_KEY",
            path.display()
        )
    })?;
    login["claudeAiOauth"]["accessToken"]
        .as_str()
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "the Claude login {} holds no claudeAiOauth.accessToken; run `claude` on the platform's host and log in again, or set ANTHROPIC_API_KEY",
                path.display()
            )
        })
}

/// Deletes a login copied into a session's HOME by a previous version. Returns whether one was there.
pub(crate) fn remove_stale_copy(home: &Path) -> bool {
    let mut removed = false;
    for relative in [CREDENTIALS, PARTIAL_CREDENTIALS] {
        let path = home.join(relative);
        match fs::remove_file(&path) {
            Ok(()) => removed = true,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "could not delete a stale copy of the Claude login")
            }
        }
    }
    removed
}

/// The HOMEs of every session under `<data dir>/sessions`, where earlier versions copied the login.
fn session_homes(data_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(data_dir.join("sessions")) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("home"))
        .collect()
}

impl crate::Engine {
    /// Deletes every copy of the Claude login a previous version left in session HOMEs.
    /// Called at boot; each turn also checks its own HOME before it starts.
    pub fn remove_stale_credentials(&self) -> usize {
        let removed = session_homes(&self.config().data_dir)
            .iter()
            .filter(|home| remove_stale_copy(home))
            .count();
        if removed > 0 {
            tracing::info!(
                sessions = removed,
                "deleted copies of the Claude login that an earlier version left in session HOMEs"
            );
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_access_token_is_read_from_the_login_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".credentials.json");
        fs::write(
            &path,
            r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-x","refreshToken":"r","expiresAt":1}}"#,
        )
        .unwrap();
        assert_eq!(read_login_token(&path).unwrap(), "sk-ant-oat01-x");
    }

    #[test]
    fn a_login_without_a_token_says_how_to_log_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".credentials.json");
        fs::write(&path, r#"{"other":{}}"#).unwrap();
        let error = read_login_token(&path).unwrap_err();
        assert!(
            error.contains("accessToken") && error.contains("ANTHROPIC_API_KEY"),
            "{error}"
        );
        let missing = read_login_token(&dir.path().join("nothing.json")).unwrap_err();
        assert!(missing.contains("log in"), "{missing}");
    }

    #[test]
    fn a_stale_copy_and_its_partial_file_are_deleted_and_nothing_else() {
        let home = tempfile::tempdir().unwrap();
        fs::create_dir_all(home.path().join(".claude")).unwrap();
        fs::write(home.path().join(CREDENTIALS), "secret").unwrap();
        fs::write(home.path().join(PARTIAL_CREDENTIALS), "secr").unwrap();
        fs::write(home.path().join(".claude/settings.json"), "{}").unwrap();
        assert!(remove_stale_copy(home.path()));
        assert!(!home.path().join(CREDENTIALS).exists());
        assert!(!home.path().join(PARTIAL_CREDENTIALS).exists());
        assert!(home.path().join(".claude/settings.json").exists());
        assert!(!remove_stale_copy(home.path()));
    }
}
