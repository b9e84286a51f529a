//! A temporary repository with a local identity, and a way to ask git about it directly.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

pub struct TestRepo {
    // Held so the directory lives as long as the test.
    _dir: TempDir,
    pub path: PathBuf,
}

impl TestRepo {
    /// A repository made by `init_repository`, with a local identity configured.
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("project");
        git::init_repository(&path).await.expect("init_repository");
        run_git(&path, &["config", "user.name", "Test Person"]);
        run_git(&path, &["config", "user.email", "test@example.com"]);
        Self { _dir: dir, path }
    }

    /// A repository with a local identity and no commit at all.
    pub fn empty() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("empty");
        std::fs::create_dir(&path).unwrap();
        run_git(&path, &["init", "--quiet", "--initial-branch=main"]);
        run_git(&path, &["config", "user.name", "Test Person"]);
        run_git(&path, &["config", "user.email", "test@example.com"]);
        Self { _dir: dir, path }
    }

    pub fn write(&self, relative: &str, content: &str) {
        write(&self.path, relative, content);
    }

    pub fn git(&self, args: &[&str]) -> String {
        run_git(&self.path, args)
    }

    /// Commits `relative` with `content` directly through git.
    pub fn commit_file(&self, relative: &str, content: &str) {
        self.write(relative, content);
        self.git(&["add", "--", relative]);
        self.git(&["commit", "--quiet", "-m", &format!("add {relative}")]);
    }
}

pub fn write(directory: &Path, relative: &str, content: &str) {
    let path = directory.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, content).unwrap();
}

/// Runs git in `directory` and returns its output; a failure fails the test.
pub fn run_git(directory: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(directory)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Whether git succeeds in `directory` with `args`.
pub fn git_succeeds(directory: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(directory)
        .args(args)
        .output()
        .expect("git runs")
        .status
        .success()
}
