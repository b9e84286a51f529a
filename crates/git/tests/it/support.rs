//! A temporary repository with a local identity, and a way to ask git about it directly.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

pub struct TestRepo {
    // Held so the directory lives as long as the test.
    _dir: TempDir,
    pub path: PathBuf,
    /// Stands for the platform's data dir: session git directories and kept files live here.
    pub data: PathBuf,
}

impl TestRepo {
    /// A repository made by `init_repository`, with a local identity configured.
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("project");
        git::init_repository(&path).await.expect("init_repository");
        run_git(&path, &["config", "user.name", "Test Person"]);
        run_git(&path, &["config", "user.email", "test@example.com"]);
        let data = dir.path().join("data");
        Self {
            _dir: dir,
            path,
            data,
        }
    }

    /// A repository with a local identity and no commit at all.
    pub fn empty() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("empty");
        std::fs::create_dir(&path).unwrap();
        run_git(&path, &["init", "--quiet", "--initial-branch=main"]);
        run_git(&path, &["config", "user.name", "Test Person"]);
        run_git(&path, &["config", "user.email", "test@example.com"]);
        let data = dir.path().join("data");
        Self {
            _dir: dir,
            path,
            data,
        }
    }

    /// The main checkout, as the platform names it to git.
    pub fn checkout(&self) -> git::Checkout {
        git::Checkout::main(&self.path).unwrap()
    }

    /// Where the platform keeps the git directory of `session`'s worktree.
    pub fn git_dir(&self, session: domain::SessionId) -> PathBuf {
        self.data.join(session.to_string()).join("git")
    }

    /// Where the files git does not track of `session`'s worktree are kept.
    pub fn keep_dir(&self, session: domain::SessionId) -> PathBuf {
        self.data.join(session.to_string()).join("kept")
    }

    pub async fn create_worktree(&self, session: domain::SessionId) -> git::Worktree {
        git::create_worktree(&self.path, session, &self.git_dir(session))
            .await
            .unwrap()
    }

    /// Finishes `worktree` as the platform does when its session ends.
    pub async fn finish(
        &self,
        worktree: &git::Worktree,
        session: domain::SessionId,
    ) -> git::Finish {
        git::finish_worktree(&git::SessionTree {
            project: &self.path,
            worktree: worktree.checkout.work_tree(),
            git_dir: worktree.checkout.git_dir(),
            branch: &worktree.branch,
            base_commit: Some(&worktree.base_commit),
            keep_dir: &self.keep_dir(session),
        })
        .await
        .unwrap()
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
