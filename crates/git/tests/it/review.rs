//! Review and merge against real git: what a review lists, squash and merge commits, refusals that
//! change nothing (HEAD, index and files compared before and after), rebase, and push.

use std::path::Path;

use domain::SessionId;
use git::{GitError, MergeStrategy, SessionBranch};

use crate::support::{TestRepo, run_git, write};

/// What an agent does in its worktree: commits `relative` with `content`.
fn agent_commit(worktree: &Path, relative: &str, content: &str) {
    write(worktree, relative, content);
    run_git(worktree, &["add", "--", relative]);
    run_git(
        worktree,
        &[
            "-c",
            "user.name=Agent",
            "-c",
            "user.email=agent@example.com",
            "commit",
            "--quiet",
            "-m",
            &format!("agent: {relative}"),
        ],
    );
}

fn session<'a>(repo: &'a TestRepo, worktree: &'a git::Worktree) -> SessionBranch<'a> {
    SessionBranch {
        project: &repo.path,
        worktree: &worktree.checkout,
        branch: &worktree.branch,
        base_branch: "main",
    }
}

/// Everything a refused operation must leave as it was in a checkout.
#[derive(Debug, PartialEq, Eq)]
struct CheckoutState {
    head: String,
    refs: String,
    index: Vec<u8>,
    status: String,
}

fn state_of(work_tree: &Path, git_dir: &Path) -> CheckoutState {
    CheckoutState {
        head: run_git(work_tree, &["rev-parse", "HEAD"]),
        refs: run_git(work_tree, &["for-each-ref"]),
        index: std::fs::read(git_dir.join("index")).unwrap(),
        status: run_git(
            work_tree,
            &["status", "--porcelain", "--untracked-files=all"],
        ),
    }
}

/// A project with `shared.txt` committed on `main`, and one session worktree cut from it.
async fn project_with_session() -> (TestRepo, git::Worktree) {
    let repo = TestRepo::new().await;
    repo.commit_file("shared.txt", "one\ntwo\nthree\n");
    let worktree = repo.create_worktree(SessionId::new()).await;
    // The `.gitignore` entry the worktree added is the user's to commit; here it is committed so
    // the main checkout starts clean.
    repo.git(&["add", ".gitignore"]);
    repo.git(&["commit", "--quiet", "-m", "ignore worktrees"]);
    (repo, worktree)
}

#[tokio::test]
async fn a_review_lists_committed_and_uncommitted_work_without_touching_the_worktree() {
    let (repo, worktree) = project_with_session().await;
    let tree = worktree.checkout.work_tree();
    agent_commit(tree, "feature.txt", "a\nb\n");
    write(tree, "shared.txt", "one\n2\nthree\nfour\n");
    write(tree, "notes/new.txt", "untracked\n");
    let before = state_of(tree, worktree.checkout.git_dir());

    let review = git::review(&session(&repo, &worktree)).await.unwrap();

    assert_eq!(state_of(tree, worktree.checkout.git_dir()), before);
    assert_eq!((review.ahead, review.behind, review.uncommitted), (1, 1, 2));
    let files: Vec<_> = review
        .files
        .iter()
        .map(|file| {
            (
                file.path.as_str(),
                file.status.as_str(),
                file.additions,
                file.deletions,
            )
        })
        .collect();
    assert_eq!(
        files,
        vec![
            ("feature.txt", "added", 2, 0),
            ("notes/new.txt", "added", 1, 0),
            ("shared.txt", "modified", 2, 1),
        ]
    );
    assert!(review.conflicts.is_empty());
    assert!(review.mergeable());
    let diff = git::review_diff(
        &session(&repo, &worktree),
        &domain::RelPath::parse("shared.txt").unwrap(),
    )
    .await
    .unwrap();
    assert!(diff.contains("-two\n+2\n"), "{diff}");
    assert!(diff.contains("+four\n"), "{diff}");
}

#[tokio::test]
async fn a_conflict_is_found_ahead_and_the_merge_is_refused_changing_nothing() {
    let (repo, worktree) = project_with_session().await;
    let tree = worktree.checkout.work_tree();
    agent_commit(tree, "shared.txt", "one\nagent\nthree\n");
    repo.commit_file("shared.txt", "one\nuser\nthree\n");
    repo.write("local.txt", "the user's own work\n");

    let review = git::review(&session(&repo, &worktree)).await.unwrap();
    assert_eq!(review.conflicts, vec!["shared.txt"]);
    assert!(!review.mergeable());

    let main_before = state_of(&repo.path, &repo.path.join(".git"));
    let session_before = state_of(tree, worktree.checkout.git_dir());
    let refused = git::merge(&session(&repo, &worktree), MergeStrategy::Squash, "squash")
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, GitError::MergeConflict(files) if files == &["shared.txt"]),
        "{refused}"
    );
    assert_eq!(state_of(&repo.path, &repo.path.join(".git")), main_before);
    assert_eq!(state_of(tree, worktree.checkout.git_dir()), session_before);
    assert_eq!(
        std::fs::read_to_string(repo.path.join("shared.txt")).unwrap(),
        "one\nuser\nthree\n"
    );
}

#[tokio::test]
async fn a_squash_merge_lands_one_commit_and_keeps_unrelated_uncommitted_work() {
    let (repo, worktree) = project_with_session().await;
    let tree = worktree.checkout.work_tree();
    agent_commit(tree, "feature.txt", "feature\n");
    write(tree, "shared.txt", "one\ntwo\nthree\nagent\n");
    repo.commit_file("other.txt", "the user moved on\n");
    let base_before = repo.git(&["rev-parse", "main"]);
    // The user's uncommitted work in the main checkout, on files the merge does not touch.
    repo.commit_file("notes.txt", "notes\n");
    let base_before_notes = repo.git(&["rev-parse", "main"]);
    assert_ne!(base_before, base_before_notes);
    repo.write("notes.txt", "notes, edited and not committed\n");
    repo.write("scratch.txt", "untracked\n");
    repo.git(&["add", "scratch.txt"]);

    let merged = git::merge(
        &session(&repo, &worktree),
        MergeStrategy::Squash,
        "Add the feature",
    )
    .await
    .unwrap();

    assert!(merged.checkout_updated);
    assert_eq!(repo.git(&["rev-parse", "main"]).trim(), merged.commit);
    assert_eq!(
        repo.git(&["rev-parse", &format!("{}^@", merged.commit)])
            .trim(),
        base_before_notes.trim(),
        "a squash commit has the base as its only parent"
    );
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]).trim(),
        "Add the feature"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path.join("feature.txt")).unwrap(),
        "feature\n"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path.join("shared.txt")).unwrap(),
        "one\ntwo\nthree\nagent\n"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path.join("notes.txt")).unwrap(),
        "notes, edited and not committed\n"
    );
    assert_eq!(
        repo.git(&["status", "--porcelain", "--untracked-files=all"]),
        " M notes.txt\nA  scratch.txt\n",
        "the user's uncommitted work is exactly as it was, and the merge left nothing else"
    );
    // The worktree's uncommitted change was committed to the session branch, now in the project.
    assert_eq!(
        repo.git(&["rev-parse", &format!("refs/heads/{}", worktree.branch)])
            .trim(),
        merged.merged_tip
    );
    git::delete_merged_branch(&repo.path, &worktree.branch, &merged.merged_tip)
        .await
        .unwrap();
    assert!(!repo.git(&["branch"]).contains("session/"));
}

#[tokio::test]
async fn a_merge_commit_has_the_session_branch_as_second_parent() {
    let (repo, worktree) = project_with_session().await;
    agent_commit(worktree.checkout.work_tree(), "feature.txt", "feature\n");
    let base_before = repo.git(&["rev-parse", "main"]);

    let merged = git::merge(
        &session(&repo, &worktree),
        MergeStrategy::Merge,
        "Merge the session",
    )
    .await
    .unwrap();

    let parents = repo.git(&["rev-parse", &format!("{}^@", merged.commit)]);
    assert_eq!(
        parents.lines().collect::<Vec<_>>(),
        vec![base_before.trim(), merged.merged_tip.as_str()]
    );
    assert!(repo.path.join("feature.txt").is_file());
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[tokio::test]
async fn a_merge_that_would_overwrite_uncommitted_changes_in_the_main_checkout_is_refused() {
    let (repo, worktree) = project_with_session().await;
    agent_commit(
        worktree.checkout.work_tree(),
        "shared.txt",
        "one\nagent\nthree\n",
    );
    repo.write("shared.txt", "one\ntwo\nthree\nthe user's edit\n");
    let before = state_of(&repo.path, &repo.path.join(".git"));

    let refused = git::merge(&session(&repo, &worktree), MergeStrategy::Squash, "squash")
        .await
        .unwrap_err();

    assert!(
        matches!(&refused, GitError::CheckoutDirty(files) if files == &["shared.txt"]),
        "{refused}"
    );
    assert_eq!(state_of(&repo.path, &repo.path.join(".git")), before);
    assert_eq!(
        std::fs::read_to_string(repo.path.join("shared.txt")).unwrap(),
        "one\ntwo\nthree\nthe user's edit\n"
    );
}

#[tokio::test]
async fn a_merge_into_a_base_the_main_checkout_does_not_have_checked_out_moves_only_the_branch() {
    let (repo, worktree) = project_with_session().await;
    agent_commit(worktree.checkout.work_tree(), "feature.txt", "feature\n");
    repo.git(&["checkout", "--quiet", "-b", "elsewhere"]);

    let merged = git::merge(&session(&repo, &worktree), MergeStrategy::Squash, "squash")
        .await
        .unwrap();

    assert!(!merged.checkout_updated);
    assert_eq!(repo.git(&["rev-parse", "main"]).trim(), merged.commit);
    assert!(!repo.path.join("feature.txt").exists());
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[tokio::test]
async fn nothing_to_merge_is_refused() {
    let (repo, worktree) = project_with_session().await;
    let refused = git::merge(&session(&repo, &worktree), MergeStrategy::Squash, "squash")
        .await
        .unwrap_err();
    assert!(matches!(refused, GitError::NothingToMerge), "{refused}");
}

#[tokio::test]
async fn a_rebase_replays_the_work_onto_the_base_and_updates_the_worktree() {
    let (repo, worktree) = project_with_session().await;
    let tree = worktree.checkout.work_tree();
    agent_commit(tree, "feature.txt", "feature\n");
    write(tree, "shared.txt", "one\ntwo\nthree\nagent\n");
    repo.commit_file("other.txt", "the user moved on\n");
    let base_tip = repo.git(&["rev-parse", "main"]);

    let rebased = git::rebase(&session(&repo, &worktree)).await.unwrap();
    let tip = rebased.commit;
    assert_eq!(rebased.onto, base_tip.trim());

    assert_eq!(run_git(tree, &["rev-parse", "HEAD"]).trim(), tip);
    assert_eq!(
        run_git(
            tree,
            &["log", "--format=%s", &format!("{}..HEAD", base_tip.trim())]
        ),
        "agentyard: uncommitted work\nagent: feature.txt\n"
    );
    assert_eq!(
        run_git(tree, &["log", "-1", "--format=%an <%ae>", "HEAD~1"]).trim(),
        "Agent <agent@example.com>",
        "a replayed commit keeps its author"
    );
    assert!(git_ancestor(tree, base_tip.trim(), &tip));
    assert_eq!(
        std::fs::read_to_string(tree.join("other.txt")).unwrap(),
        "the user moved on\n"
    );
    assert_eq!(
        std::fs::read_to_string(tree.join("shared.txt")).unwrap(),
        "one\ntwo\nthree\nagent\n"
    );
    assert_eq!(run_git(tree, &["status", "--porcelain"]), "");
    let review = git::review(&session(&repo, &worktree)).await.unwrap();
    assert_eq!((review.ahead, review.behind, review.uncommitted), (2, 0, 0));
}

fn git_ancestor(directory: &Path, ancestor: &str, descendant: &str) -> bool {
    crate::support::git_succeeds(
        directory,
        &["merge-base", "--is-ancestor", ancestor, descendant],
    )
}

#[tokio::test]
async fn a_rebase_that_conflicts_leaves_branch_and_worktree_exactly_as_they_were() {
    let (repo, worktree) = project_with_session().await;
    let tree = worktree.checkout.work_tree();
    agent_commit(tree, "shared.txt", "one\nagent\nthree\n");
    write(tree, "feature.txt", "uncommitted\n");
    repo.commit_file("shared.txt", "one\nuser\nthree\n");
    let before = state_of(tree, worktree.checkout.git_dir());

    let refused = git::rebase(&session(&repo, &worktree)).await.unwrap_err();

    assert!(
        matches!(&refused, GitError::MergeConflict(files) if files == &["shared.txt"]),
        "{refused}"
    );
    assert_eq!(state_of(tree, worktree.checkout.git_dir()), before);
    assert_eq!(
        std::fs::read_to_string(tree.join("shared.txt")).unwrap(),
        "one\nagent\nthree\n"
    );
    assert!(!worktree.checkout.git_dir().join("rebase-merge").exists());
}

#[tokio::test]
async fn a_push_sends_the_session_branch_with_its_uncommitted_work_to_the_remote() {
    let (repo, worktree) = project_with_session().await;
    let tree = worktree.checkout.work_tree();
    agent_commit(tree, "feature.txt", "feature\n");
    write(tree, "more.txt", "uncommitted\n");
    let remote = repo.data.join("remote.git");
    std::fs::create_dir_all(&remote).unwrap();
    run_git(&remote, &["init", "--quiet", "--bare"]);
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);

    let pushed = git::push(&session(&repo, &worktree), "origin")
        .await
        .unwrap();

    assert_eq!(pushed.branch, worktree.branch.as_str());
    assert_eq!(pushed.compare_url, None, "a local path is no forge");
    let files = run_git(&remote, &["ls-tree", "--name-only", pushed.branch.as_str()]);
    assert!(
        files.contains("feature.txt") && files.contains("more.txt"),
        "{files}"
    );
    // Pushing again after a rebase replaces what the earlier push left.
    repo.commit_file("other.txt", "moved\n");
    git::rebase(&session(&repo, &worktree)).await.unwrap();
    git::push(&session(&repo, &worktree), "origin")
        .await
        .unwrap();
    let files = run_git(&remote, &["ls-tree", "--name-only", pushed.branch.as_str()]);
    assert!(files.contains("other.txt"), "{files}");

    let refused = git::push(&session(&repo, &worktree), "upstream")
        .await
        .unwrap_err();
    assert!(matches!(refused, GitError::InvalidRemote(_)), "{refused}");
}
