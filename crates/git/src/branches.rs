//! Branches and history of a work path: listing branches, switching to one, and the commit log.

use domain::BranchName;

use crate::GitError;
use crate::command::Git;
use crate::repository::{Checkout, changed_paths, head_commit, require_repository};

/// A local or remote-tracking branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branch {
    /// `main` for a local branch, `origin/main` for a remote-tracking one.
    pub name: String,
    /// Checked out in this work path.
    pub current: bool,
    pub remote: bool,
}

/// One commit of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    pub hash: String,
    pub short_hash: String,
    /// The subject line.
    pub message: String,
    pub author: String,
    /// The author date, RFC 3339.
    pub date: String,
}

/// Local branches, then remote-tracking ones (without the symbolic `origin/HEAD`).
pub async fn branches(work: &Checkout) -> Result<Vec<Branch>, GitError> {
    require_repository(work).await?;
    let text = Git::at(work)
        .text([
            "for-each-ref",
            "--format=%(HEAD)%00%(refname)%00%(symref)",
            "refs/heads",
            "refs/remotes",
        ])
        .await?;
    Ok(text.lines().filter_map(parse_branch_line).collect())
}

fn parse_branch_line(line: &str) -> Option<Branch> {
    let mut fields = line.split('\0');
    let head = fields.next()?;
    let reference = fields.next()?;
    let symbolic_target = fields.next().unwrap_or_default();
    if !symbolic_target.is_empty() {
        return None;
    }
    let (name, remote) = match reference.strip_prefix("refs/heads/") {
        Some(name) => (name, false),
        None => (reference.strip_prefix("refs/remotes/")?, true),
    };
    Some(Branch {
        name: name.to_owned(),
        current: head == "*",
        remote,
    })
}

/// The newest `limit` commits reachable from `HEAD`; an empty list before the first commit.
pub async fn log(work: &Checkout, limit: usize) -> Result<Vec<Commit>, GitError> {
    require_repository(work).await?;
    if limit == 0 || head_commit(work).await?.is_none() {
        return Ok(Vec::new());
    }
    let count = format!("--max-count={limit}");
    let stdout = Git::at(work)
        .run([
            "log",
            "-z",
            "--no-color",
            "--no-show-signature",
            &count,
            "--format=%H%x00%h%x00%an%x00%aI%x00%s",
            "HEAD",
            "--",
        ])
        .await?;
    Ok(parse_log(&String::from_utf8_lossy(&stdout)))
}

/// Commits are NUL-terminated with `-z`, and their fields NUL-separated; no field can hold a NUL.
fn parse_log(text: &str) -> Vec<Commit> {
    let fields: Vec<&str> = text.split('\0').collect();
    fields
        .chunks_exact(5)
        .map(|commit| Commit {
            hash: commit[0].trim().to_owned(),
            short_hash: commit[1].to_owned(),
            author: commit[2].to_owned(),
            date: commit[3].to_owned(),
            message: commit[4].to_owned(),
        })
        .collect()
}

/// Checks out a local branch; a remote-tracking one (`origin/x`), or a name only a single remote
/// has, is checked out as a local branch that tracks it, as `git checkout` would.
pub async fn checkout(work: &Checkout, branch: &BranchName) -> Result<(), GitError> {
    require_repository(work).await?;
    let before = head_commit(work).await?;
    switch(work, branch).await?;
    let after = head_commit(work).await?;
    if let (Some(before), Some(after)) = (before, after) {
        let changed = changed_paths(work, &before, &after).await?;
        crate::ownership::give_back(work, &changed).await?;
    }
    Ok(())
}

async fn switch(work: &Checkout, branch: &BranchName) -> Result<(), GitError> {
    let git = Git::at(work);
    if reference_exists(&git, &format!("refs/heads/{branch}")).await? {
        git.run(["checkout", "--quiet", branch.as_str(), "--"])
            .await?;
        return Ok(());
    }
    let remote = if reference_exists(&git, &format!("refs/remotes/{branch}")).await? {
        let local = branch.as_str().split_once('/').map(|(_, name)| name);
        local.map(|local| (branch.as_str().to_owned(), local.to_owned()))
    } else {
        single_remote_with(&git, branch).await?
    };
    let Some((remote, local)) = remote else {
        return Err(GitError::InvalidBranch(branch.to_string()));
    };
    if reference_exists(&git, &format!("refs/heads/{local}")).await? {
        git.run(["checkout", "--quiet", &local, "--"]).await?;
    } else {
        let start = format!("refs/remotes/{remote}");
        git.run(["checkout", "--quiet", "--track", "-b", &local, &start, "--"])
            .await?;
    }
    Ok(())
}

/// `(remote/name, name)` when exactly one remote has a branch called `branch`.
async fn single_remote_with(
    git: &Git<'_>,
    branch: &BranchName,
) -> Result<Option<(String, String)>, GitError> {
    let text = git
        .text(["for-each-ref", "--format=%(refname)", "refs/remotes"])
        .await?;
    let matching: Vec<&str> = text
        .lines()
        .filter_map(|reference| reference.strip_prefix("refs/remotes/"))
        .filter(|name| {
            name.split_once('/')
                .is_some_and(|(_, rest)| rest == branch.as_str())
        })
        .collect();
    match matching.as_slice() {
        [only] => Ok(Some(((*only).to_owned(), branch.to_string()))),
        _ => Ok(None),
    }
}

async fn reference_exists(git: &Git<'_>, reference: &str) -> Result<bool, GitError> {
    let found = git
        .run_accepting(["show-ref", "--verify", "--quiet", reference], &[0, 1])
        .await?;
    Ok(found.code == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_lines_tell_local_remote_and_current_apart() {
        assert_eq!(
            parse_branch_line("*\0refs/heads/main\0"),
            Some(Branch {
                name: "main".into(),
                current: true,
                remote: false
            })
        );
        assert_eq!(
            parse_branch_line(" \0refs/remotes/origin/dev\0"),
            Some(Branch {
                name: "origin/dev".into(),
                current: false,
                remote: true
            })
        );
        assert_eq!(
            parse_branch_line(" \0refs/remotes/origin/HEAD\0refs/remotes/origin/main"),
            None
        );
    }

    #[test]
    fn log_records_split_into_commits() {
        let text = "h1\0s1\0Ann\x002024-01-02T03:04:05+00:00\0first: subject\0\
                    h2\0s2\0Bob\x002024-01-01T00:00:00+01:00\0older\0";
        let commits = parse_log(text);
        assert_eq!(commits.len(), 2);
        assert_eq!(commits[0].message, "first: subject");
        assert_eq!(commits[1].author, "Bob");
        assert_eq!(commits[1].date, "2024-01-01T00:00:00+01:00");
    }
}
