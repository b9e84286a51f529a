//! The worktree lifecycle: creation, isolation, removal without losing work, stale cleanup.

use domain::{BranchName, SessionId};
use git::GitError;

use crate::support::{TestRepo, git_succeeds, run_git, write};

#[tokio::test]
async fn create_worktree_makes_the_directory_and_the_session_branch_from_head() {
    let repo = TestRepo::new().await;
    let session = SessionId::new();
    let worktree = git::create_worktree(&repo.path, session).await.unwrap();

    assert_eq!(
        worktree.path,
        repo.path.join(".worktrees").join(session.to_string())
    );
    assert!(worktree.path.is_dir());
    assert_eq!(
        worktree.branch.as_str(),
        format!("session/{}", session.short())
    );
    assert_eq!(
        worktree.base_commit,
        repo.git(&["rev-parse", "HEAD"]).trim()
    );
    assert_eq!(
        run_git(&worktree.path, &["branch", "--show-current"]).trim(),
        worktree.branch.as_str()
    );
    assert!(git::is_repository(&worktree.path).await);
}

#[tokio::test]
async fn worktrees_are_listed_in_gitignore_exactly_once() {
    let repo = TestRepo::new().await;
    repo.write(".gitignore", "target");
    git::create_worktree(&repo.path, SessionId::new())
        .await
        .unwrap();
    git::create_worktree(&repo.path, SessionId::new())
        .await
        .unwrap();
    let gitignore = std::fs::read_to_string(repo.path.join(".gitignore")).unwrap();
    assert_eq!(gitignore, "target\n.worktrees\n");
    let status = git::status(&repo.path).await.unwrap();
    let paths: Vec<_> = status.files.iter().map(|file| file.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![".gitignore"],
        "the worktrees themselves stay out of status"
    );
}

#[tokio::test]
async fn a_worktree_and_the_main_checkout_do_not_see_each_others_files() {
    let repo = TestRepo::new().await;
    let worktree = git::create_worktree(&repo.path, SessionId::new())
        .await
        .unwrap();
    write(&worktree.path, "from-worktree.txt", "w");
    repo.write("from-main.txt", "m");

    assert!(!repo.path.join("from-worktree.txt").exists());
    assert!(!worktree.path.join("from-main.txt").exists());
    let in_worktree = git::status(&worktree.path).await.unwrap();
    let paths: Vec<_> = in_worktree.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, vec!["from-worktree.txt"]);
}

#[tokio::test]
async fn removing_a_worktree_commits_tracked_and_untracked_changes_to_its_branch() {
    let repo = TestRepo::new().await;
    repo.commit_file("tracked.txt", "before");
    let worktree = git::create_worktree(&repo.path, SessionId::new())
        .await
        .unwrap();
    write(&worktree.path, "tracked.txt", "after");
    write(&worktree.path, "new/untracked.txt", "fresh");

    let removal = git::remove_worktree(&repo.path, &worktree.path, &worktree.branch)
        .await
        .unwrap();

    assert!(removal.committed_changes);
    assert!(removal.branch_kept);
    assert_eq!(removal.rescue_branch, None);
    assert!(!worktree.path.exists());
    let branch = worktree.branch.as_str();
    assert_eq!(
        repo.git(&["show", &format!("{branch}:tracked.txt")]),
        "after"
    );
    assert_eq!(
        repo.git(&["show", &format!("{branch}:new/untracked.txt")]),
        "fresh"
    );
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s", branch]).trim(),
        format!("agentyard: uncommitted work of session {branch}")
    );
    assert!(!repo.git(&["worktree", "list"]).contains(".worktrees"));
}

#[tokio::test]
async fn ignored_files_are_not_committed_when_a_worktree_is_removed() {
    let repo = TestRepo::new().await;
    repo.commit_file(".gitignore", "*.log\n");
    let worktree = git::create_worktree(&repo.path, SessionId::new())
        .await
        .unwrap();
    write(&worktree.path, "debug.log", "noise");
    let removal = git::remove_worktree(&repo.path, &worktree.path, &worktree.branch)
        .await
        .unwrap();
    assert!(!removal.committed_changes);
    assert!(!removal.branch_kept);
}

#[tokio::test]
async fn a_worktree_without_changes_or_commits_has_its_branch_deleted() {
    let repo = TestRepo::new().await;
    let worktree = git::create_worktree(&repo.path, SessionId::new())
        .await
        .unwrap();
    let removal = git::remove_worktree(&repo.path, &worktree.path, &worktree.branch)
        .await
        .unwrap();
    assert!(!removal.committed_changes);
    assert!(!removal.branch_kept);
    assert!(!worktree.path.exists());
    let reference = format!("refs/heads/{}", worktree.branch);
    assert!(!git_succeeds(
        &repo.path,
        &["show-ref", "--verify", "--quiet", &reference]
    ));
}

#[tokio::test]
async fn a_worktree_whose_branch_gained_commits_keeps_its_branch() {
    let repo = TestRepo::new().await;
    let worktree = git::create_worktree(&repo.path, SessionId::new())
        .await
        .unwrap();
    write(&worktree.path, "done.txt", "work");
    run_git(&worktree.path, &["add", "done.txt"]);
    run_git(&worktree.path, &["commit", "--quiet", "-m", "agent work"]);
    // The main checkout moving on does not make the session's commit count as nothing.
    repo.commit_file("main.txt", "main");

    let removal = git::remove_worktree(&repo.path, &worktree.path, &worktree.branch)
        .await
        .unwrap();
    assert!(!removal.committed_changes);
    assert!(removal.branch_kept);
    assert_eq!(
        repo.git(&["show", &format!("{}:done.txt", worktree.branch)]),
        "work"
    );
}

#[tokio::test]
async fn commits_on_a_detached_head_are_kept_on_a_rescue_branch() {
    let repo = TestRepo::new().await;
    let worktree = git::create_worktree(&repo.path, SessionId::new())
        .await
        .unwrap();
    run_git(&worktree.path, &["checkout", "--quiet", "--detach"]);
    write(&worktree.path, "loose.txt", "loose");

    let removal = git::remove_worktree(&repo.path, &worktree.path, &worktree.branch)
        .await
        .unwrap();
    assert!(removal.committed_changes);
    let rescue = removal.rescue_branch.expect("a rescue branch");
    assert!(
        rescue
            .as_str()
            .starts_with(&format!("{}-detached-", worktree.branch))
    );
    assert_eq!(repo.git(&["show", &format!("{rescue}:loose.txt")]), "loose");
    // The session branch itself gained nothing.
    assert!(!removal.branch_kept);
}

#[tokio::test]
async fn a_session_branch_continues_in_a_new_worktree_after_removal() {
    let repo = TestRepo::new().await;
    let session = SessionId::new();
    let first = git::create_worktree(&repo.path, session).await.unwrap();
    write(&first.path, "kept.txt", "kept");
    git::remove_worktree(&repo.path, &first.path, &first.branch)
        .await
        .unwrap();

    let second = git::create_worktree(&repo.path, session).await.unwrap();
    assert_eq!(second.branch, first.branch);
    assert_eq!(second.base_commit, first.base_commit);
    assert_eq!(
        std::fs::read_to_string(second.path.join("kept.txt")).unwrap(),
        "kept"
    );
}

#[tokio::test]
async fn creating_an_existing_worktree_again_returns_it() {
    let repo = TestRepo::new().await;
    let session = SessionId::new();
    let first = git::create_worktree(&repo.path, session).await.unwrap();
    let again = git::create_worktree(&repo.path, session).await.unwrap();
    assert_eq!(again, first);
}

#[tokio::test]
async fn the_main_checkout_and_unknown_directories_are_never_removed() {
    let repo = TestRepo::new().await;
    let main = BranchName::parse("main").unwrap();
    let error = git::remove_worktree(&repo.path, &repo.path, &main)
        .await
        .unwrap_err();
    assert!(matches!(error, GitError::NotAWorktree(_)), "{error}");

    let stray = repo.path.join("stray");
    std::fs::create_dir(&stray).unwrap();
    let error = git::remove_worktree(&repo.path, &stray, &main)
        .await
        .unwrap_err();
    assert!(matches!(error, GitError::NotAWorktree(_)), "{error}");
    assert!(stray.exists());
}

#[tokio::test]
async fn a_worktree_in_a_repository_without_commits_is_refused_clearly() {
    let repo = TestRepo::empty();
    let error = git::create_worktree(&repo.path, SessionId::new())
        .await
        .unwrap_err();
    assert!(matches!(error, GitError::NoCommits(_)), "{error}");
}

#[tokio::test]
async fn cleanup_removes_only_worktrees_of_unknown_sessions_and_keeps_their_work() {
    let repo = TestRepo::new().await;
    let active = SessionId::new();
    let gone = SessionId::new();
    let kept = git::create_worktree(&repo.path, active).await.unwrap();
    let stale = git::create_worktree(&repo.path, gone).await.unwrap();
    write(&stale.path, "unsaved.txt", "unsaved");
    // A directory git does not know may hold files found nowhere else: it stays.
    let stray = repo.path.join(".worktrees").join("not-a-worktree");
    std::fs::create_dir_all(&stray).unwrap();

    let removed = git::cleanup_stale_worktrees(&repo.path, |session| session == active)
        .await
        .unwrap();

    assert_eq!(removed, vec![stale.path.clone()]);
    assert!(kept.path.exists());
    assert!(!stale.path.exists());
    assert!(stray.exists());
    assert_eq!(
        repo.git(&["show", &format!("{}:unsaved.txt", stale.branch)]),
        "unsaved"
    );
}

#[tokio::test]
async fn cleanup_prunes_worktrees_whose_directory_was_deleted() {
    let repo = TestRepo::new().await;
    let worktree = git::create_worktree(&repo.path, SessionId::new())
        .await
        .unwrap();
    std::fs::remove_dir_all(&worktree.path).unwrap();
    let removed = git::cleanup_stale_worktrees(&repo.path, |_| false)
        .await
        .unwrap();
    assert!(removed.is_empty());
    assert!(!repo.git(&["worktree", "list"]).contains(".worktrees"));
}

#[tokio::test]
async fn a_prune_that_cannot_see_the_worktree_path_keeps_its_records() {
    let repo = TestRepo::new().await;
    let session = SessionId::new();
    let worktree = git::create_worktree(&repo.path, session).await.unwrap();
    // Inside a container the worktree is at /workspace, so the path git recorded does not exist there.
    let record = repo
        .path
        .join(".git/worktrees")
        .join(session.to_string())
        .join("gitdir");
    let recorded = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, "/workspace/.git\n").unwrap();
    repo.git(&["worktree", "prune"]);
    std::fs::write(&record, recorded).unwrap();

    assert!(git::is_repository(&worktree.path).await);
    assert_eq!(
        run_git(&worktree.path, &["branch", "--show-current"]).trim(),
        worktree.branch.as_str()
    );
}

#[tokio::test]
async fn removing_a_worktree_deleted_by_hand_drops_its_records_and_empty_branch() {
    let repo = TestRepo::new().await;
    let worktree = git::create_worktree(&repo.path, SessionId::new())
        .await
        .unwrap();
    std::fs::remove_dir_all(&worktree.path).unwrap();
    let removal = git::remove_worktree(&repo.path, &worktree.path, &worktree.branch)
        .await
        .unwrap();
    assert!(!removal.committed_changes && !removal.branch_kept);
    assert!(!repo.git(&["worktree", "list"]).contains(".worktrees"));
    assert!(!repo.git(&["branch"]).contains(worktree.branch.as_str()));
}
