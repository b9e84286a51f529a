//! Runs the real `git` binary on a [`Checkout`]: `git -C <work tree>` with `GIT_DIR` and
//! `GIT_COMMON_DIR` naming the checkout's git directory, so git never discovers a repository by
//! itself, cannot prompt, and cannot be redirected by inherited `GIT_*` variables.
//!
//! Agents write to the work trees this crate acts on. What decides which programs git runs (the
//! git directory's `config`, `hooks` and `info`) is read-only to them, and the git directory is
//! named here rather than read from an agent-writable `.git` file or `commondir`. Hooks, the
//! fsmonitor, pagers, signing and submodule recursion are also switched off for every command, as
//! a second wall.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;

use crate::GitError;
use crate::repository::Checkout;

/// Inherited variables that would make git act on another repository than the one named by `-C`.
const REDIRECTING_VARIABLES: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
];

/// What a finished git command printed, when its exit code was one the caller expects.
pub(crate) struct Finished {
    pub code: i32,
    pub stdout: Vec<u8>,
}

impl Finished {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Settings placed before every command: nothing a repository's configuration could name runs.
const HARDENING: &[&str] = &[
    "core.quotepath=off",
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.pager=cat",
    "commit.gpgsign=false",
    "tag.gpgsign=false",
    "submodule.recurse=false",
    "diff.ignoreSubmodules=all",
    "status.submoduleSummary=false",
    "protocol.ext.allow=never",
];

/// A git invocation bound to one checkout.
pub(crate) struct Git<'a> {
    checkout: &'a Checkout,
    /// `-c key=value` settings placed before the subcommand.
    config: Vec<String>,
    /// Set for commands that receive user-supplied paths, so `*` or `:(...)` are never patterns.
    literal_pathspecs: bool,
    /// An index file of the platform's own, so a command can stage a snapshot without touching
    /// the checkout's index.
    index_file: Option<PathBuf>,
    /// Variables set for this command only (a replayed commit's author and date, the transport of a push).
    envs: Vec<(&'static str, String)>,
}

impl<'a> Git<'a> {
    /// A git invocation on `checkout`, whose paths are absolute by construction.
    pub fn at(checkout: &'a Checkout) -> Self {
        Self {
            checkout,
            config: Vec::new(),
            literal_pathspecs: false,
            index_file: None,
            envs: Vec::new(),
        }
    }

    pub fn configs(mut self, settings: impl IntoIterator<Item = String>) -> Self {
        self.config.extend(settings);
        self
    }

    pub fn literal_pathspecs(mut self) -> Self {
        self.literal_pathspecs = true;
        self
    }

    pub fn index_file(mut self, path: &Path) -> Self {
        self.index_file = Some(path.to_path_buf());
        self
    }

    pub fn env(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.envs.push((key, value.into()));
        self
    }

    /// Runs git and returns its standard output; any exit code but 0 is an error.
    pub async fn run<I, S>(&self, args: I) -> Result<Vec<u8>, GitError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Ok(self.run_accepting(args, &[0]).await?.stdout)
    }

    /// Runs git and returns its standard output as text; any exit code but 0 is an error.
    pub async fn text<I, S>(&self, args: I) -> Result<String, GitError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Ok(self.run_accepting(args, &[0]).await?.text())
    }

    /// Runs git; an exit code listed in `accepted` is an answer (e.g. 1 for "differences found"), any other an error.
    pub async fn run_accepting<I, S>(&self, args: I, accepted: &[i32]) -> Result<Finished, GitError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let mut command = Command::new("git");
        command
            .arg("-C")
            .arg(self.checkout.work_tree())
            .arg("--no-pager");
        for setting in HARDENING {
            command.arg("-c").arg(setting);
        }
        for setting in &self.config {
            command.arg("-c").arg(setting);
        }
        if self.literal_pathspecs {
            command.arg("--literal-pathspecs");
        }
        command
            .args(&args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_ASKPASS", "true")
            .env("GIT_SSH_COMMAND", "false")
            .env("GIT_EDITOR", "true")
            .env("GIT_PAGER", "cat")
            // Reads (status, diff) must not take the index lock an agent's own git may need at that moment.
            .env("GIT_OPTIONAL_LOCKS", "0")
            // Stable English messages, so the few we recognise stay recognisable.
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for variable in REDIRECTING_VARIABLES {
            command.env_remove(variable);
        }
        command
            .env("GIT_DIR", self.checkout.git_dir())
            .env("GIT_COMMON_DIR", self.checkout.git_dir())
            .env("GIT_WORK_TREE", self.checkout.work_tree());
        if let Some(index_file) = &self.index_file {
            command.env("GIT_INDEX_FILE", index_file);
        }
        for (key, value) in &self.envs {
            command.env(key, value);
        }
        let output = command.output().await.map_err(GitError::GitMissing)?;
        let code = output.status.code().unwrap_or(-1);
        if accepted.contains(&code) {
            Ok(Finished {
                code,
                stdout: output.stdout,
            })
        } else {
            Err(GitError::CommandFailed {
                command: describe(self.checkout.work_tree(), &args),
                stderr: describe_failure(&output.stderr, code),
            })
        }
    }
}

fn describe(work: &Path, args: &[OsString]) -> String {
    let mut text = format!("git -C {}", work.display());
    for arg in args {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

fn describe_failure(stderr: &[u8], code: i32) -> String {
    let stderr = String::from_utf8_lossy(stderr).trim().to_owned();
    if stderr.is_empty() {
        format!("exit code {code}")
    } else {
        stderr
    }
}

/// The entries of git's NUL-separated output (`-z`), empty ones left out.
pub(crate) fn split_nul(output: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(output)
        .split('\0')
        .filter(|entry| !entry.is_empty())
        .map(str::to_owned)
        .collect()
}
