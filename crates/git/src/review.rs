//! Review and merge: a session's work against its base branch, and bringing it back.
//!
//! A session's work is its branch plus whatever is uncommitted in its worktree. To look at it
//! without touching the worktree's index or files, [`snapshot`] stages the work tree into an
//! index file of the platform's own and writes a commit of it that no ref names. Conflicts are
//! found with `git merge-tree --write-tree`, which writes only objects: no checkout is touched
//! until an operation is known to succeed, and a refused operation changes no ref, index or file.
//!
//! The base branch and its project come from the caller (the store), never from git config an
//! agent could write. Every command runs on a [`Checkout`] through the hardened `Git` command.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use domain::{BranchName, RelPath};

use crate::GitError;
use crate::command::{Git, split_nul};
use crate::repository::{
    Checkout, changed_paths, identity_settings, platform_git, require_repository, resolve_commit,
};
use crate::status::FileState;
use crate::worktree::{commit_uncommitted_work, current_branch, import_branches};

/// A session worktree's branch and the base it is reviewed against, as the store knows them.
#[derive(Clone, Copy, Debug)]
pub struct SessionBranch<'a> {
    /// The project's main checkout, which holds the base branch.
    pub project: &'a Path,
    /// The session's worktree, with the git directory the platform made for it.
    pub worktree: &'a Checkout,
    pub branch: &'a BranchName,
    /// The branch the worktree was cut from.
    pub base_branch: &'a str,
}

/// A session's work against the current tip of its base.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    /// Commits of the session branch the base does not have, and the reverse.
    pub ahead: u32,
    pub behind: u32,
    /// Files changed in the worktree and not committed yet.
    pub uncommitted: u32,
    /// Every file the work changes since it left the base (committed or not).
    pub files: Vec<ReviewFile>,
    /// Files a merge into the base's tip would conflict on.
    pub conflicts: Vec<String>,
}

impl Review {
    /// Whether merging now would bring something and conflict on nothing.
    pub fn mergeable(&self) -> bool {
        self.conflicts.is_empty() && !self.files.is_empty()
    }
}

/// One changed file: how, and by how many lines (0 and 0 for binary files).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewFile {
    pub path: String,
    pub status: FileState,
    pub additions: u32,
    pub deletions: u32,
}

/// How a session's work lands on its base.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MergeStrategy {
    /// One new commit on the base with all of the session's changes.
    #[default]
    Squash,
    /// A merge commit whose second parent is the session branch.
    Merge,
}

/// What a merge did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merged {
    /// The base's new tip.
    pub commit: String,
    /// The session branch's tip that was merged: its work is on the base now.
    pub merged_tip: String,
    /// Whether the main checkout had the base checked out and was brought up to date.
    pub checkout_updated: bool,
}

/// What a rebase did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rebased {
    /// The session branch's new tip.
    pub commit: String,
    /// The base tip it now starts from: the session's new base commit.
    pub onto: String,
}

/// What a push did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pushed {
    pub remote: String,
    pub branch: String,
    /// The forge's page to open a pull or merge request, when the remote is a known forge.
    pub compare_url: Option<String>,
}

/// The session's work against its base: files, ahead/behind, uncommitted files and conflicts.
pub async fn review(session: &SessionBranch<'_>) -> Result<Review, GitError> {
    let work = prepare(session).await?;
    let git = Git::at(session.worktree);
    let head = work.head.as_str();
    let ahead = count(&git, &format!("{}..{head}", work.base_tip)).await?;
    let behind = count(&git, &format!("{head}..{}", work.base_tip)).await?;
    let uncommitted = changed_paths(session.worktree, head, &work.snapshot)
        .await?
        .len();
    let fork = merge_base(session.worktree, &work.base_tip, &work.snapshot).await?;
    let files = changed_files(session.worktree, &fork, &work.snapshot).await?;
    let conflicts = match merge_trees(session.worktree, &work.base_tip, &work.snapshot).await? {
        Merge::Clean(_) => Vec::new(),
        Merge::Conflicts(files) => files,
    };
    Ok(Review {
        ahead,
        behind,
        uncommitted: u32::try_from(uncommitted).unwrap_or(u32::MAX),
        files,
        conflicts,
    })
}

/// The unified diff of one file of the session's work against its base.
pub async fn review_diff(session: &SessionBranch<'_>, path: &RelPath) -> Result<String, GitError> {
    let work = prepare(session).await?;
    let fork = merge_base(session.worktree, &work.base_tip, &work.snapshot).await?;
    let path = path.as_path().to_string_lossy();
    Git::at(session.worktree)
        .literal_pathspecs()
        .text([
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--no-renames",
            &fork,
            &work.snapshot,
            "--",
            &path,
        ])
        .await
}

/// The uncommitted changes of a main checkout (untracked files included) against its `HEAD`.
pub async fn uncommitted_files(project: &Path) -> Result<Vec<ReviewFile>, GitError> {
    let main = Checkout::main(project)?;
    require_repository(&main).await?;
    let head = resolve_commit(&main, "HEAD")
        .await?
        .ok_or_else(|| GitError::NoCommits(project.to_owned()))?;
    let snapshot = snapshot(&main, &head).await?;
    changed_files(&main, &head, &snapshot).await
}

/// Merges the session's work into its base branch.
///
/// Checked first, with nothing changed when a check fails: the merge must not conflict, must
/// bring something, and, when the main checkout has the base checked out, must not touch a file
/// with uncommitted changes there. Then the worktree's uncommitted work is committed to the
/// session branch, which is fetched into the project; the merge commit is written with
/// `commit-tree` and the base moved with `update-ref` from the tip the checks saw (a base that
/// moved meanwhile is refused, not overwritten); the main checkout's index and files follow with
/// `read-tree -m -u`, which leaves unrelated uncommitted changes as they are.
///
/// Call it only when no agent writes to the worktree or the main checkout.
pub async fn merge(
    session: &SessionBranch<'_>,
    strategy: MergeStrategy,
    message: &str,
) -> Result<Merged, GitError> {
    let work = prepare(session).await?;
    let merged_tree = match merge_trees(session.worktree, &work.base_tip, &work.snapshot).await? {
        Merge::Clean(tree) => tree,
        Merge::Conflicts(files) => return Err(GitError::MergeConflict(files)),
    };
    let base_tree = tree_of(session.worktree, &work.base_tip).await?;
    if merged_tree == base_tree {
        return Err(GitError::NothingToMerge);
    }
    let main = Checkout::main(session.project)?;
    let checkout_on_base = current_branch(&main).await?.as_deref() == Some(session.base_branch);
    if checkout_on_base {
        let touched = changed_paths(session.worktree, &work.base_tip, &merged_tree).await?;
        let dirty = dirty_paths(&main).await?;
        let overwritten: Vec<String> = touched.intersection(&dirty).cloned().collect();
        if !overwritten.is_empty() {
            return Err(GitError::CheckoutDirty(overwritten));
        }
    }

    // Every check passed: from here on the work is saved first, then the base moves.
    commit_uncommitted_work(session.worktree, session.branch).await?;
    import_branches(&main, session.worktree.git_dir(), session.branch).await?;
    let tip = resolve_commit(&main, &format!("refs/heads/{}", session.branch))
        .await?
        .ok_or_else(|| GitError::InvalidBranch(session.branch.to_string()))?;
    let tree = match merge_trees(&main, &work.base_tip, &tip).await? {
        Merge::Clean(tree) => tree,
        Merge::Conflicts(files) => return Err(GitError::MergeConflict(files)),
    };
    let mut arguments = vec!["commit-tree", tree.as_str(), "-p", work.base_tip.as_str()];
    if strategy == MergeStrategy::Merge {
        arguments.extend(["-p", tip.as_str()]);
    }
    arguments.extend(["-m", message]);
    let commit = platform_git(&main)
        .await?
        .text(arguments)
        .await?
        .trim()
        .to_owned();
    let base_ref = format!("refs/heads/{}", session.base_branch);
    move_ref(&main, &base_ref, &commit, &work.base_tip)
        .await
        .map_err(|_| GitError::BaseMoved(session.base_branch.to_owned()))?;
    if checkout_on_base && let Err(error) = update_checkout(&main, &work.base_tip, &commit).await {
        move_ref(&main, &base_ref, &work.base_tip, &commit).await?;
        tracing::warn!(%error, "the main checkout refused the merge; the base was put back");
        let touched = changed_paths(&main, &work.base_tip, &commit).await?;
        let dirty = dirty_paths(&main).await?;
        return Err(GitError::CheckoutDirty(
            touched.intersection(&dirty).cloned().collect(),
        ));
    }
    Ok(Merged {
        commit,
        merged_tip: tip,
        checkout_updated: checkout_on_base,
    })
}

/// Replays the session's work (its uncommitted changes as one more commit) onto the base's tip,
/// and moves the session branch and its worktree there.
///
/// Each commit is replayed with `merge-tree --merge-base` and `commit-tree`, keeping its author
/// and message; merge commits are dropped, as `git rebase` does. A conflict anywhere refuses the
/// rebase before any ref, index or file changed, so no half-done rebase is ever left behind.
///
/// Call it only when no agent writes to the worktree.
pub async fn rebase(session: &SessionBranch<'_>) -> Result<Rebased, GitError> {
    let work = prepare(session).await?;
    let worktree = session.worktree;
    let git = Git::at(worktree);
    let fork = merge_base(worktree, &work.base_tip, &work.snapshot).await?;
    if fork == work.base_tip {
        // Already on the base's tip: nothing to replay.
        return Ok(Rebased {
            commit: work.head,
            onto: work.base_tip,
        });
    }
    let listed = git
        .text([
            "rev-list",
            "--reverse",
            "--topo-order",
            "--no-merges",
            &format!("{}..{}", work.base_tip, work.snapshot),
            "--",
        ])
        .await?;
    let identity = identity_settings(worktree).await?;
    let mut tip = work.base_tip.clone();
    for commit in listed.lines().filter(|line| !line.is_empty()) {
        let parent = format!("{commit}^");
        let tree = match Git::at(worktree)
            .run_accepting(merge_tree_args(Some(&parent), &tip, commit), &[0, 1])
            .await?
        {
            finished if finished.code == 0 => first_field(&finished.stdout),
            finished => return Err(GitError::MergeConflict(conflicted_paths(&finished.stdout))),
        };
        if tree == tree_of(worktree, &tip).await? {
            // The base already has this change.
            continue;
        }
        tip = replay(&identity, worktree, commit, &tree, &tip).await?;
    }

    // Replayed without conflict: the work is staged as the snapshot has it, then the branch and
    // the files move together.
    git.run(["add", "--all"]).await?;
    move_ref(
        worktree,
        &format!("refs/heads/{}", session.branch),
        &tip,
        &work.head,
    )
    .await?;
    git.run(["read-tree", "-m", "-u", &work.snapshot, &tip])
        .await?;
    crate::ownership::give_back(
        worktree,
        &changed_paths(worktree, &work.snapshot, &tip).await?,
    )
    .await?;
    if session.base_branch != session.branch.as_str() {
        git.run([
            "update-ref",
            "--no-deref",
            "--end-of-options",
            &format!("refs/heads/{}", session.base_branch),
            &work.base_tip,
        ])
        .await?;
    }
    Ok(Rebased {
        commit: tip,
        onto: work.base_tip,
    })
}

/// Pushes the session branch (its uncommitted work committed first) to `remote` of the project.
///
/// The remote's URL is the project's configuration, which agents cannot write. The push may
/// replace what an earlier push of this branch left (after a rebase), but nothing else: it is
/// forced only with the lease of the remote-tracking branch.
pub async fn push(session: &SessionBranch<'_>, remote: &str) -> Result<Pushed, GitError> {
    let main = Checkout::main(session.project)?;
    require_repository(&main).await?;
    let valid_name = !remote.is_empty()
        && !remote.starts_with('-')
        && remote
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !valid_name {
        return Err(GitError::InvalidRemote(remote.to_owned()));
    }
    let configured = Git::at(&main)
        .run_accepting(
            ["config", "--get", &format!("remote.{remote}.url")],
            &[0, 1],
        )
        .await?;
    let url = configured.text().trim().to_owned();
    if configured.code != 0 || url.is_empty() {
        return Err(GitError::InvalidRemote(remote.to_owned()));
    }
    require_session_branch(session).await?;
    commit_uncommitted_work(session.worktree, session.branch).await?;
    import_branches(&main, session.worktree.git_dir(), session.branch).await?;
    let branch = session.branch.as_str();
    Git::at(&main)
        // The user's own ssh, never prompting; the hardening refuses ssh to every other command.
        .env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
        .run([
            "push",
            "--quiet",
            "--no-verify",
            "--force-with-lease",
            "--end-of-options",
            remote,
            &format!("refs/heads/{branch}:refs/heads/{branch}"),
        ])
        .await?;
    Ok(Pushed {
        remote: remote.to_owned(),
        branch: branch.to_owned(),
        compare_url: compare_url(&url, session.base_branch, branch),
    })
}

/// Deletes the session branch of the project if it is still at `tip` (its work is on the base).
pub async fn delete_merged_branch(
    project: &Path,
    branch: &BranchName,
    tip: &str,
) -> Result<(), GitError> {
    let main = Checkout::main(project)?;
    Git::at(&main)
        .run([
            "update-ref",
            "--no-deref",
            "-d",
            "--end-of-options",
            &format!("refs/heads/{branch}"),
            tip,
        ])
        .await
        .map(drop)
}

/// The web page that opens a pull or merge request of `branch` into `base`, for remotes on
/// GitHub, GitLab and Gitea/Forgejo (https, `ssh://` and scp-like `git@host:owner/repo` URLs).
pub fn compare_url(remote_url: &str, base: &str, branch: &str) -> Option<String> {
    let (host, path) = forge_location(remote_url)?;
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    if path.split('/').filter(|part| !part.is_empty()).count() < 2 {
        return None;
    }
    let host_name = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let repository = format!("https://{host_name}/{path}");
    let (base, branch) = (encode(base), encode(branch));
    if host_name.contains("github") {
        Some(format!("{repository}/compare/{base}...{branch}?expand=1"))
    } else if host_name.contains("gitlab") {
        Some(format!(
            "{repository}/-/merge_requests/new?merge_request%5Bsource_branch%5D={branch}&merge_request%5Btarget_branch%5D={base}"
        ))
    } else if ["gitea", "forgejo", "codeberg"]
        .iter()
        .any(|forge| host_name.contains(forge))
    {
        Some(format!("{repository}/compare/{base}...{branch}"))
    } else {
        None
    }
}

/// The host (with any port) and repository path of a remote URL.
fn forge_location(url: &str) -> Option<(&str, &str)> {
    if let Some((scheme, rest)) = url.split_once("://") {
        if !matches!(scheme, "https" | "http" | "ssh" | "git") {
            return None;
        }
        let (authority, path) = rest.split_once('/')?;
        let host = authority.rsplit('@').next()?;
        return Some((host, path));
    }
    // scp-like: `[user@]host:owner/repo.git`.
    let (authority, path) = url.split_once(':')?;
    if authority.contains('/') || path.starts_with('/') {
        return None;
    }
    Some((authority.rsplit('@').next()?, path))
}

/// Percent-encodes what a branch name may hold that a URL would misread; `/` stays.
fn encode(text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The commits a review or merge starts from.
struct Work {
    /// The base branch's tip in the project.
    base_tip: String,
    /// The session branch's tip in the worktree.
    head: String,
    /// A commit of the worktree as it is (uncommitted work included), or `head` when clean.
    snapshot: String,
}

async fn prepare(session: &SessionBranch<'_>) -> Result<Work, GitError> {
    let main = Checkout::main(session.project)?;
    require_repository(&main).await?;
    let base_tip = resolve_commit(&main, &format!("refs/heads/{}", session.base_branch))
        .await?
        .ok_or_else(|| GitError::BaseMissing(session.base_branch.to_owned()))?;
    let head = require_session_branch(session).await?;
    let snapshot = snapshot(session.worktree, &head).await?;
    Ok(Work {
        base_tip,
        head,
        snapshot,
    })
}

/// The worktree's `HEAD`, which must be the session branch.
async fn require_session_branch(session: &SessionBranch<'_>) -> Result<String, GitError> {
    let found = current_branch(session.worktree).await?;
    if found.as_deref() != Some(session.branch.as_str()) {
        return Err(GitError::NotOnSessionBranch {
            expected: session.branch.to_string(),
            found: found.unwrap_or_else(|| "a detached HEAD".to_owned()),
        });
    }
    resolve_commit(session.worktree, "HEAD")
        .await?
        .ok_or_else(|| GitError::NoCommits(session.worktree.work_tree().to_owned()))
}

/// An index file of the platform's own, removed when dropped.
struct TemporaryIndex(PathBuf);

impl TemporaryIndex {
    fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "agentyard-review-{}-{}.index",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        Self(std::env::temp_dir().join(name))
    }
}

impl Drop for TemporaryIndex {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_file(self.0.with_extension("index.lock"));
    }
}

/// A commit (parent `head`) of the work tree as it is, untracked files included and ignored ones
/// not, written through an index of the platform's own; `head` itself when nothing is uncommitted.
/// The checkout's index and files are not touched.
async fn snapshot(checkout: &Checkout, head: &str) -> Result<String, GitError> {
    let index = TemporaryIndex::new();
    let git = Git::at(checkout).index_file(&index.0);
    git.run(["read-tree", head]).await?;
    git.run(["add", "--all"]).await?;
    let tree = git.text(["write-tree"]).await?.trim().to_owned();
    if tree == tree_of(checkout, head).await? {
        return Ok(head.to_owned());
    }
    let commit = platform_git(checkout)
        .await?
        .text([
            "commit-tree",
            &tree,
            "-p",
            head,
            "-m",
            "agentyard: uncommitted work",
        ])
        .await?;
    Ok(commit.trim().to_owned())
}

enum Merge {
    Clean(String),
    Conflicts(Vec<String>),
}

fn merge_tree_args<'a>(base: Option<&'a str>, ours: &'a str, theirs: &'a str) -> Vec<&'a str> {
    let mut arguments = vec![
        "merge-tree",
        "--write-tree",
        "--name-only",
        "--no-messages",
        "-z",
    ];
    if let Some(base) = base {
        arguments.extend(["--merge-base", base]);
    }
    arguments.extend(["--end-of-options", ours, theirs]);
    arguments
}

/// Merges `theirs` into `ours` in objects only: the resulting tree, or the conflicted files.
async fn merge_trees(checkout: &Checkout, ours: &str, theirs: &str) -> Result<Merge, GitError> {
    let finished = Git::at(checkout)
        .run_accepting(merge_tree_args(None, ours, theirs), &[0, 1])
        .await?;
    Ok(if finished.code == 0 {
        Merge::Clean(first_field(&finished.stdout))
    } else {
        Merge::Conflicts(conflicted_paths(&finished.stdout))
    })
}

fn first_field(output: &[u8]) -> String {
    split_nul(output).into_iter().next().unwrap_or_default()
}

/// The files of `merge-tree -z --name-only` output after the tree, each once.
fn conflicted_paths(output: &[u8]) -> Vec<String> {
    let paths: BTreeSet<String> = split_nul(output).into_iter().skip(1).collect();
    paths.into_iter().collect()
}

/// Writes `commit` again as `tree` on `parent`, with its author, date and message.
async fn replay(
    identity: &[String],
    checkout: &Checkout,
    commit: &str,
    tree: &str,
    parent: &str,
) -> Result<String, GitError> {
    let described = Git::at(checkout)
        .run([
            "log",
            "-1",
            "--no-show-signature",
            "--format=%an%x00%ae%x00%ad%x00%B",
            "--date=raw",
            commit,
            "--",
        ])
        .await?;
    let text = String::from_utf8_lossy(&described).into_owned();
    let mut fields = text.splitn(4, '\0');
    let (name, email, date, message) = (
        fields.next().unwrap_or_default(),
        fields.next().unwrap_or_default(),
        fields.next().unwrap_or_default(),
        fields.next().unwrap_or_default().trim_end(),
    );
    let replayed = Git::at(checkout)
        .configs(identity.to_vec())
        .env("GIT_AUTHOR_NAME", name)
        .env("GIT_AUTHOR_EMAIL", email)
        .env("GIT_AUTHOR_DATE", date)
        .text(["commit-tree", tree, "-p", parent, "-m", message])
        .await?;
    Ok(replayed.trim().to_owned())
}

/// Moves `reference` to `new` only if it is still at `old`.
async fn move_ref(
    checkout: &Checkout,
    reference: &str,
    new: &str,
    old: &str,
) -> Result<(), GitError> {
    Git::at(checkout)
        .run([
            "update-ref",
            "--no-deref",
            "--end-of-options",
            reference,
            new,
            old,
        ])
        .await
        .map(drop)
}

/// Brings a main checkout's index and files from `old` to `new`; refuses, changing nothing, when
/// that would overwrite a local change. Unrelated local changes are carried over as they are.
async fn update_checkout(main: &Checkout, old: &str, new: &str) -> Result<(), GitError> {
    let git = Git::at(main);
    // Stale stat information would make an unchanged file look modified to `read-tree`.
    git.run_accepting(["update-index", "-q", "--refresh"], &[0, 1])
        .await?;
    git.run(["read-tree", "-m", "-u", old, new]).await?;
    crate::ownership::give_back(main, &changed_paths(main, old, new).await?).await
}

async fn tree_of(checkout: &Checkout, commit: &str) -> Result<String, GitError> {
    Ok(Git::at(checkout)
        .text([
            "rev-parse",
            "--verify",
            "--end-of-options",
            &format!("{commit}^{{tree}}"),
        ])
        .await?
        .trim()
        .to_owned())
}

async fn merge_base(checkout: &Checkout, one: &str, other: &str) -> Result<String, GitError> {
    Ok(Git::at(checkout)
        .text(["merge-base", "--end-of-options", one, other])
        .await?
        .trim()
        .to_owned())
}

async fn count(git: &Git<'_>, range: &str) -> Result<u32, GitError> {
    Ok(git
        .text(["rev-list", "--count", range, "--"])
        .await?
        .trim()
        .parse()
        .unwrap_or(0))
}

/// The paths with any uncommitted change in a checkout (staged, unstaged or untracked).
async fn dirty_paths(checkout: &Checkout) -> Result<BTreeSet<String>, GitError> {
    let listed = Git::at(checkout)
        .run([
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--no-renames",
        ])
        .await?;
    Ok(split_nul(&listed)
        .into_iter()
        .filter_map(|entry| entry.get(3..).map(str::to_owned))
        .collect())
}

/// The files that differ between two commits, with their status and line counts.
async fn changed_files(
    checkout: &Checkout,
    from: &str,
    to: &str,
) -> Result<Vec<ReviewFile>, GitError> {
    let git = Git::at(checkout);
    let statuses = git
        .run([
            "diff",
            "--name-status",
            "--no-renames",
            "-z",
            from,
            to,
            "--",
        ])
        .await?;
    let numbers = git
        .run(["diff", "--numstat", "--no-renames", "-z", from, to, "--"])
        .await?;
    let statuses = String::from_utf8_lossy(&statuses).into_owned();
    let mut files: Vec<ReviewFile> = statuses
        .split('\0')
        .collect::<Vec<_>>()
        .chunks(2)
        .filter_map(|pair| match pair {
            [code, path] if !path.is_empty() => Some(ReviewFile {
                path: (*path).to_owned(),
                status: match code.chars().next() {
                    Some('A') => FileState::Added,
                    Some('D') => FileState::Deleted,
                    Some('T') => FileState::TypeChanged,
                    _ => FileState::Modified,
                },
                additions: 0,
                deletions: 0,
            }),
            _ => None,
        })
        .collect();
    for entry in String::from_utf8_lossy(&numbers).split('\0') {
        let mut parts = entry.splitn(3, '\t');
        let (Some(additions), Some(deletions), Some(path)) =
            (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if let Some(file) = files.iter_mut().find(|file| file.path == path) {
            file.additions = additions.parse().unwrap_or(0);
            file.deletions = deletions.parse().unwrap_or(0);
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "main";
    const BRANCH: &str = "session/0a1b2c3d";

    #[test]
    fn github_remotes_compare_in_every_url_shape() {
        let expected = "https://github.com/acme/widget/compare/main...session/0a1b2c3d?expand=1";
        for url in [
            "https://github.com/acme/widget.git",
            "https://github.com/acme/widget",
            "git@github.com:acme/widget.git",
            "ssh://git@github.com/acme/widget.git",
        ] {
            assert_eq!(
                compare_url(url, BASE, BRANCH).as_deref(),
                Some(expected),
                "{url}"
            );
        }
    }

    #[test]
    fn gitlab_remotes_open_a_new_merge_request() {
        let expected = "https://gitlab.example.com/group/sub/widget/-/merge_requests/new?merge_request%5Bsource_branch%5D=session/0a1b2c3d&merge_request%5Btarget_branch%5D=main";
        for url in [
            "https://gitlab.example.com/group/sub/widget.git",
            "git@gitlab.example.com:group/sub/widget.git",
            "ssh://git@gitlab.example.com:2222/group/sub/widget.git",
        ] {
            assert_eq!(
                compare_url(url, BASE, BRANCH).as_deref(),
                Some(expected),
                "{url}"
            );
        }
    }

    #[test]
    fn gitea_and_forgejo_remotes_compare_branches() {
        assert_eq!(
            compare_url("https://codeberg.org/acme/widget.git", BASE, BRANCH).as_deref(),
            Some("https://codeberg.org/acme/widget/compare/main...session/0a1b2c3d")
        );
        assert_eq!(
            compare_url("git@gitea.acme.io:acme/widget.git", BASE, BRANCH).as_deref(),
            Some("https://gitea.acme.io/acme/widget/compare/main...session/0a1b2c3d")
        );
        assert_eq!(
            compare_url("https://forgejo.acme.io/acme/widget", BASE, BRANCH).as_deref(),
            Some("https://forgejo.acme.io/acme/widget/compare/main...session/0a1b2c3d")
        );
    }

    #[test]
    fn unknown_hosts_and_local_paths_have_no_compare_page() {
        for url in [
            "/srv/git/widget.git",
            "file:///srv/git/widget.git",
            "https://example.com/acme/widget.git",
            "git@github.com:widget.git",
        ] {
            assert_eq!(compare_url(url, BASE, BRANCH), None, "{url}");
        }
    }

    #[test]
    fn branch_names_are_encoded_for_urls() {
        assert_eq!(encode("feature/a+b#1"), "feature/a%2Bb%231");
    }
}
