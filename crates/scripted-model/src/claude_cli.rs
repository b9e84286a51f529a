//! Where the pinned Claude Code CLI is installed, for tests that run the real `claude`.
//!
//! Owns the lookup order only; installing is `scripts/install-claude.sh`.

use std::path::{Path, PathBuf};

/// The variable that names the `claude` binary to test with, as an absolute path.
pub const CLAUDE_BIN_VARIABLE: &str = "AGENTYARD_CLAUDE_BIN";

/// The pinned CLI version that the install script installs and the transcripts were taken from.
pub const CLAUDE_VERSION: &str = "2.1.332";

/// The native binary inside an npm install prefix of `@anthropic-ai/claude-code`.
const BINARY_IN_PREFIX: &str = "node_modules/@anthropic-ai/claude-code-linux-x64/claude";

/// The prefix a machine-wide cache of the CLI uses.
const SHARED_CACHE_PREFIX: &str = "/root/.cache/agentyard/claude";

/// The `claude` binary tests should run: `$AGENTYARD_CLAUDE_BIN`, else the workspace's
/// `.tools/claude` install, else the machine's shared cache.
///
/// The error text says what is missing and how to install it, ready to be a test's failure message.
pub fn claude_binary() -> Result<PathBuf, String> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let from_variable = std::env::var_os(CLAUDE_BIN_VARIABLE).map(PathBuf::from);
    find_claude_binary(from_variable, &workspace, Path::new(SHARED_CACHE_PREFIX))
}

fn find_claude_binary(
    from_variable: Option<PathBuf>,
    workspace: &Path,
    shared_cache: &Path,
) -> Result<PathBuf, String> {
    if let Some(path) = from_variable {
        return if path.is_absolute() && path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "{CLAUDE_BIN_VARIABLE}={} is not an absolute path to an existing file; \
                 run scripts/install-claude.sh and set {CLAUDE_BIN_VARIABLE} to the path it prints",
                path.display()
            ))
        };
    }
    let candidates = [
        workspace.join(".tools/claude").join(BINARY_IN_PREFIX),
        shared_cache.join(BINARY_IN_PREFIX),
    ];
    if let Some(found) = candidates.iter().find(|path| path.is_file()) {
        return Ok(found.clone());
    }
    let looked_in: Vec<String> = candidates
        .iter()
        .map(|path| path.display().to_string())
        .collect();
    Err(format!(
        "the Claude Code CLI {CLAUDE_VERSION} is not installed (looked in {}); \
         run scripts/install-claude.sh, or set {CLAUDE_BIN_VARIABLE} to the absolute path of the `claude` binary",
        looked_in.join(", ")
    ))
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
        let error = find_claude_binary(None, &empty, &empty).expect_err("nothing installed");
        assert!(error.contains("scripts/install-claude.sh"), "{error}");
        assert!(error.contains(CLAUDE_BIN_VARIABLE), "{error}");
    }

    #[test]
    fn a_relative_variable_is_refused() {
        let empty = temp_dir("relative");
        let error =
            find_claude_binary(Some("claude".into()), &empty, &empty).expect_err("relative path");
        assert!(error.contains("not an absolute path"), "{error}");
    }

    #[test]
    fn the_workspace_install_is_found_before_the_shared_cache() {
        let root = temp_dir("found");
        let binary = root.join(".tools/claude").join(BINARY_IN_PREFIX);
        std::fs::create_dir_all(binary.parent().expect("a parent")).expect("dirs");
        std::fs::write(&binary, "").expect("a fake binary");
        assert_eq!(find_claude_binary(None, &root, &root), Ok(binary));
    }
}
