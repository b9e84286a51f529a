//! Where the pinned Claude Code CLI is installed, for tests that run the real `claude`.
//!
//! Owns the lookup order only; installing is `scripts/install-claude.sh`.

use crate::pinned_cli::PinnedCli;
use std::path::PathBuf;

/// The variable that names the `claude` binary to test with, as an absolute path.
pub const CLAUDE_BIN_VARIABLE: &str = "AGENTYARD_CLAUDE_BIN";

/// The pinned CLI version that the install script installs and the transcripts were taken from.
pub const CLAUDE_VERSION: &str = "2.1.332";

/// The pinned Claude Code CLI.
const CLAUDE: PinnedCli = PinnedCli {
    title: "the Claude Code CLI",
    version: CLAUDE_VERSION,
    variable: CLAUDE_BIN_VARIABLE,
    directory: "claude",
    binary_in_prefix: "node_modules/@anthropic-ai/claude-code-linux-x64/claude",
    install_script: "scripts/install-claude.sh",
};

/// The `claude` binary tests should run: `$AGENTYARD_CLAUDE_BIN`, else the workspace's
/// `.tools/claude` install, else the machine's shared cache.
///
/// The error text says what is missing and how to install it, ready to be a test's failure message.
pub fn claude_binary() -> Result<PathBuf, String> {
    CLAUDE.find_here()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("scripted-model-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        dir
    }

    #[test]
    fn a_missing_cli_is_an_error_that_names_the_install_script() {
        let empty = temp_dir("empty");
        let error = CLAUDE
            .find(None, &empty, &empty)
            .expect_err("nothing installed");
        assert!(error.contains("scripts/install-claude.sh"), "{error}");
        assert!(error.contains(CLAUDE_BIN_VARIABLE), "{error}");
    }

    #[test]
    fn a_relative_variable_is_refused() {
        let empty = temp_dir("relative");
        let error = CLAUDE
            .find(Some("claude".into()), &empty, &empty)
            .expect_err("relative path");
        assert!(error.contains("not an absolute path"), "{error}");
    }

    #[test]
    fn the_workspace_install_is_found_before_the_shared_cache() {
        let root = temp_dir("found");
        let binary = root.join(".tools/claude").join(CLAUDE.binary_in_prefix);
        std::fs::create_dir_all(binary.parent().expect("a parent")).expect("dirs");
        std::fs::write(&binary, "").expect("a fake binary");
        assert_eq!(CLAUDE.find(None, &root, &root), Ok(binary));
    }
}
