//! Where a pinned agent CLI is installed, for tests that run the real binary.
//!
//! Owns the lookup order only (a variable, the workspace's `.tools`, a machine-wide cache);
//! installing is the CLI's `scripts/install-*.sh`.

use std::path::{Path, PathBuf};

/// One pinned CLI: how tests find it and how a person installs it.
pub(crate) struct PinnedCli {
    /// Shown in messages: `the Claude Code CLI`.
    pub title: &'static str,
    pub version: &'static str,
    /// The variable that names the binary as an absolute path.
    pub variable: &'static str,
    /// The install prefix's directory under `.tools` and under the shared cache.
    pub directory: &'static str,
    /// The native binary inside an npm install prefix.
    pub binary_in_prefix: &'static str,
    pub install_script: &'static str,
}

impl PinnedCli {
    /// `$variable`, else the workspace's `.tools/<directory>` install, else `shared_cache/<directory>`.
    ///
    /// The error text says what is missing and how to install it, ready to be a test's failure message.
    pub fn find(
        &self,
        from_variable: Option<PathBuf>,
        workspace: &Path,
        shared_cache: &Path,
    ) -> Result<PathBuf, String> {
        let Self {
            title,
            version,
            variable,
            directory,
            binary_in_prefix,
            install_script,
        } = self;
        if let Some(path) = from_variable {
            return if path.is_absolute() && path.is_file() {
                Ok(path)
            } else {
                Err(format!(
                    "{variable}={} is not an absolute path to an existing file; \
                     run {install_script} and set {variable} to the path it prints",
                    path.display()
                ))
            };
        }
        let candidates = [
            workspace
                .join(".tools")
                .join(directory)
                .join(binary_in_prefix),
            shared_cache.join(directory).join(binary_in_prefix),
        ];
        if let Some(found) = candidates.iter().find(|path| path.is_file()) {
            return Ok(found.clone());
        }
        let looked_in: Vec<String> = candidates
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        Err(format!(
            "{title} {version} is not installed (looked in {}); \
             run {install_script}, or set {variable} to the absolute path of its binary",
            looked_in.join(", ")
        ))
    }

    /// [`PinnedCli::find`] from this process's environment and this workspace.
    pub fn find_here(&self) -> Result<PathBuf, String> {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let from_variable = std::env::var_os(self.variable).map(PathBuf::from);
        self.find(from_variable, &workspace, Path::new(SHARED_CACHE))
    }
}

/// The directory a machine-wide cache of the CLIs uses, one install prefix per CLI.
const SHARED_CACHE: &str = "/root/.cache/agentyard";
