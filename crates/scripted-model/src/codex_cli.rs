//! Where the pinned OpenAI Codex CLI is installed, for tests that run the real `codex`.
//!
//! Owns the lookup order only; installing is `scripts/install-codex.sh`.

use crate::pinned_cli::PinnedCli;
use std::path::PathBuf;

/// The variable that names the `codex` binary to test with, as an absolute path.
pub const CODEX_BIN_VARIABLE: &str = "AGENTYARD_CODEX_BIN";

/// The pinned CLI version that the install script installs and the transcripts were taken from.
pub const CODEX_VERSION: &str = "0.171.0";

/// The pinned Codex CLI: npm installs its static musl binary as the optional dependency
/// `@openai/codex-linux-x64`.
const CODEX: PinnedCli = PinnedCli {
    title: "the OpenAI Codex CLI",
    version: CODEX_VERSION,
    variable: CODEX_BIN_VARIABLE,
    directory: "codex",
    binary_in_prefix: "node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex",
    install_script: "scripts/install-codex.sh",
};

/// The `codex` binary tests should run: `$AGENTYARD_CODEX_BIN`, else the workspace's
/// `.tools/codex` install, else the machine's shared cache.
///
/// The error text says what is missing and how to install it, ready to be a test's failure message.
pub fn codex_binary() -> Result<PathBuf, String> {
    CODEX.find_here()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_codex_is_an_error_that_names_its_install_script() {
        let empty =
            std::env::temp_dir().join(format!("scripted-model-codex-{}", std::process::id()));
        std::fs::create_dir_all(&empty).expect("a temp dir");
        let error = CODEX
            .find(None, &empty, &empty)
            .expect_err("nothing installed");
        assert!(error.contains("scripts/install-codex.sh"), "{error}");
        assert!(error.contains(CODEX_BIN_VARIABLE), "{error}");
        assert!(error.contains(CODEX_VERSION), "{error}");
    }
}
