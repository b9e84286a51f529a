//! The worktree lifecycle: creation, isolation, finishing without losing work, and the walls an
//! agent in a worktree meets (it works on a git directory of its own).

use domain::SessionId;
use git::GitError;

use crate::support::{TestRepo, git_succeeds, run_git, write};

#[tokio::test]
async fn create_worktree_makes_the_directory_and_the_session_branch_from_head() {
    let repo = TestRepo::new().await;
    let session = SessionId::new();
    let worktree = repo.create_worktree(session).await;
    let path = worktree.checkout.work_tree();

    assert_eq!(path, repo.path.join(".worktrees").join(session.to_string()));
    assert!(path.is_dir());
    assert_eq!(
        worktree.branch.as_str(),
        format!("session/{}", session.short())
    );
    assert_eq!(worktree.base_branch.as_deref(), Some("main"));
    assert_eq!(
        worktree.base_commit,
        repo.git(&["rev-parse", "HEAD"]).trim()
    );
    assert!(!worktree.continued);
    // The agent's own git finds its git directory through the `.git` file.
    assert_eq!(
        run_git(path, &["branch", "--show-current"]).trim(),
        worktree.branch.as_str()
    );
    assert_eq!(
        std::fs::read_to_string(path.join(".git")).unwrap(),
        format!("gitdir: {}\n", repo.git_dir(session).display())
    );
    // The project knows nothing of it until the session ends: no branch, no worktree record.
    assert!(!repo.git(&["branch"]).contains("session/"));
    assert!(!repo.git(&["worktree", "list"]).contains(".worktrees"));
}

#[tokio::test]
async fn worktrees_are_listed_in_gitignore_exactly_once() {
    let repo = TestRepo::new().await;
    repo.write(".gitignore", "target");
    repo.create_worktree(SessionId::new()).await;
    repo.create_worktree(SessionId::new()).await;
    let gitignore = std::fs::read_to_string(repo.path.join(".gitignore")).unwrap();
    assert_eq!(gitignore, "target\n.worktrees\n");
    let status = git::status(&repo.checkout()).await.unwrap();
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
    let worktree = repo.create_worktree(SessionId::new()).await;
    write(worktree.checkout.work_tree(), "from-worktree.txt", "w");
    repo.write("from-main.txt", "m");

    assert!(!repo.path.join("from-worktree.txt").exists());
    assert!(!worktree.checkout.work_tree().join("from-main.txt").exists());
    let in_worktree = git::status(&worktree.checkout).await.unwrap();
    let paths: Vec<_> = in_worktree.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, vec!["from-worktree.txt"]);
}

#[tokio::test]
async fn finishing_a_worktree_commits_tracked_and_untracked_changes_to_its_branch() {
    let repo = TestRepo::new().await;
    repo.commit_file("tracked.txt", "before");
    let session = SessionId::new();
    let worktree = repo.create_worktree(session).await;
    write(worktree.checkout.work_tree(), "tracked.txt", "after");
    write(worktree.checkout.work_tree(), "new/untracked.txt", "fresh");

    let finish = repo.finish(&worktree, session).await;

    assert!(finish.committed_changes);
    assert!(finish.branch_kept);
    assert!(finish.rescued.is_empty());
    assert!(!worktree.checkout.work_tree().exists());
    assert!(!worktree.checkout.git_dir().exists());
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
    assert!(
        !repo.git(&["for-each-ref"]).contains("refs/agentyard"),
        "no staging refs are left behind"
    );
}

#[tokio::test]
async fn ignored_files_and_nested_repositories_are_kept_and_build_output_is_not() {
    let repo = TestRepo::new().await;
    repo.commit_file(".gitignore", ".env\n*.log\nnode_modules/\n");
    let session = SessionId::new();
    let worktree = repo.create_worktree(session).await;
    let tree = worktree.checkout.work_tree();
    write(tree, ".env", "SECRET=1");
    write(tree, "logs/debug.log", "noise");
    write(tree, "node_modules/left-pad/index.js", "module.exports = 1");
    write(tree, "vendor/lib/README", "nested");
    run_git(&tree.join("vendor/lib"), &["init", "--quiet"]);

    let finish = repo.finish(&worktree, session).await;

    let kept = repo.keep_dir(session);
    assert_eq!(
        std::fs::read_to_string(kept.join(".env")).unwrap(),
        "SECRET=1"
    );
    assert_eq!(
        std::fs::read_to_string(kept.join("logs/debug.log")).unwrap(),
        "noise"
    );
    assert!(
        kept.join("vendor/lib/.git").is_dir(),
        "the nested repository is whole"
    );
    assert!(
        !kept.join("node_modules").exists(),
        "build output is disposable"
    );
    let mut listed = finish.kept_files.clone();
    listed.sort();
    assert_eq!(listed, vec![".env", "logs", "vendor/lib"]);
    // The nested repository was kept whole, not committed as a bare gitlink.
    assert!(!finish.committed_changes);
    assert!(!finish.branch_kept);
}

#[tokio::test]
async fn a_worktree_without_changes_or_commits_has_its_branch_deleted() {
    let repo = TestRepo::new().await;
    let session = SessionId::new();
    let worktree = repo.create_worktree(session).await;
    let finish = repo.finish(&worktree, session).await;
    assert!(!finish.committed_changes);
    assert!(!finish.branch_kept);
    let reference = format!("refs/heads/{}", worktree.branch);
    assert!(!git_succeeds(
        &repo.path,
        &["show-ref", "--verify", "--quiet", &reference]
    ));
}

#[tokio::test]
async fn a_worktree_whose_branch_gained_commits_keeps_its_branch() {
    let repo = TestRepo::new().await;
    let session = SessionId::new();
    let worktree = repo.create_worktree(session).await;
    let tree = worktree.checkout.work_tree();
    write(tree, "done.txt", "work");
    run_git(tree, &["add", "done.txt"]);
    run_git(tree, &["commit", "--quiet", "-m", "agent work"]);
    // The main checkout moving on does not make the session's commit count as nothing.
    repo.commit_file("main.txt", "main");

    let finish = repo.finish(&worktree, session).await;
    assert!(!finish.committed_changes);
    assert!(finish.branch_kept);
    assert_eq!(
        repo.git(&["show", &format!("{}:done.txt", worktree.branch)]),
        "work"
    );
}

#[tokio::test]
async fn work_on_a_detached_head_or_another_branch_is_rescued() {
    let repo = TestRepo::new().await;
    let session = SessionId::new();
    let worktree = repo.create_worktree(session).await;
    let tree = worktree.checkout.work_tree();
    run_git(tree, &["checkout", "--quiet", "-b", "feature/x"]);
    write(tree, "feature.txt", "feature");
    run_git(tree, &["add", "feature.txt"]);
    run_git(tree, &["commit", "--quiet", "-m", "feature"]);
    run_git(tree, &["checkout", "--quiet", "--detach"]);
    write(tree, "loose.txt", "loose");

    let finish = repo.finish(&worktree, session).await;

    assert!(finish.committed_changes);
    let names: Vec<String> = finish.rescued.iter().map(ToString::to_string).collect();
    let detached = names
        .iter()
        .find(|name| name.ends_with("-HEAD"))
        .unwrap_or_else(|| panic!("no rescue of HEAD in {names:?}"));
    assert_eq!(
        repo.git(&["show", &format!("{detached}:loose.txt")]),
        "loose"
    );
    // The feature branch's commit is held by the rescued HEAD, so it needs no branch of its own.
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        !finish.branch_kept,
        "the session branch itself gained nothing"
    );
}

#[tokio::test]
async fn a_session_branch_continues_in_a_new_worktree_after_finishing() {
    let repo = TestRepo::new().await;
    let session = SessionId::new();
    let first = repo.create_worktree(session).await;
    write(first.checkout.work_tree(), "kept.txt", "kept");
    repo.finish(&first, session).await;

    let second = repo.create_worktree(session).await;
    assert_eq!(second.branch, first.branch);
    assert!(second.continued);
    assert_eq!(
        std::fs::read_to_string(second.checkout.work_tree().join("kept.txt")).unwrap(),
        "kept"
    );
}

#[tokio::test]
async fn creating_an_existing_worktree_again_returns_it() {
    let repo = TestRepo::new().await;
    let session = SessionId::new();
    let first = repo.create_worktree(session).await;
    write(first.checkout.work_tree(), "unsaved.txt", "unsaved");
    let again = repo.create_worktree(session).await;
    assert_eq!(again.checkout, first.checkout);
    assert!(again.continued);
    assert!(first.checkout.work_tree().join("unsaved.txt").exists());
}

#[tokio::test]
async fn a_worktree_deleted_by_hand_still_gives_its_commits_back() {
    let repo = TestRepo::new().await;
    let session = SessionId::new();
    let worktree = repo.create_worktree(session).await;
    let tree = worktree.checkout.work_tree();
    write(tree, "committed.txt", "c");
    run_git(tree, &["add", "committed.txt"]);
    run_git(tree, &["commit", "--quiet", "-m", "c"]);
    std::fs::remove_dir_all(tree).unwrap();

    let finish = repo.finish(&worktree, session).await;
    assert!(finish.branch_kept);
    assert_eq!(
        repo.git(&["show", &format!("{}:committed.txt", worktree.branch)]),
        "c"
    );
}

#[tokio::test]
async fn a_directory_the_platform_did_not_make_is_left_in_place() {
    let repo = TestRepo::new().await;
    let session = SessionId::new();
    let stray = git::worktree_path(&repo.path, session);
    write(&stray, "precious.txt", "precious");
    let worktree = git::Worktree {
        checkout: git::Checkout::session(&stray, &repo.git_dir(session)).unwrap(),
        branch: domain::BranchName::for_session(session),
        base_branch: None,
        base_commit: repo.git(&["rev-parse", "HEAD"]).trim().to_owned(),
        continued: false,
    };
    let finish = repo.finish(&worktree, session).await;
    assert!(finish.left_in_place);
    assert!(stray.join("precious.txt").exists());
}

#[tokio::test]
async fn a_worktree_in_a_repository_without_commits_is_refused_clearly() {
    let repo = TestRepo::empty();
    let session = SessionId::new();
    let error = git::create_worktree(&repo.path, session, &repo.git_dir(session))
        .await
        .unwrap_err();
    assert!(matches!(error, GitError::NoCommits(_)), "{error}");
}

#[tokio::test]
async fn worktree_dirs_names_each_directory_with_its_session() {
    let repo = TestRepo::new().await;
    let session = SessionId::new();
    repo.create_worktree(session).await;
    std::fs::create_dir_all(repo.path.join(".worktrees/not-a-session")).unwrap();
    let dirs = git::worktree_dirs(&repo.path).await.unwrap();
    assert_eq!(dirs.len(), 2);
    assert!(dirs.contains(&(git::worktree_path(&repo.path, session), Some(session))));
    assert!(dirs.iter().any(|(_, id)| id.is_none()));
}

// --- walls ---------------------------------------------------------------------------------------

/// A marker path that a planted command would create if the platform's git ran it.
fn marker(repo: &TestRepo, name: &str) -> std::path::PathBuf {
    repo.data.parent().unwrap().join(format!("owned-{name}"))
}

#[tokio::test]
async fn an_agent_in_a_worktree_cannot_move_the_projects_branches() {
    let repo = TestRepo::new().await;
    let main_before = repo.git(&["rev-parse", "main"]);
    let session = SessionId::new();
    let worktree = repo.create_worktree(session).await;
    let tree = worktree.checkout.work_tree();
    // The agent rewrites `main` as far as its own git can see.
    write(tree, "evil.txt", "evil");
    run_git(tree, &["add", "evil.txt"]);
    run_git(tree, &["commit", "--quiet", "-m", "evil"]);
    let evil = run_git(tree, &["rev-parse", "HEAD"]);
    run_git(tree, &["update-ref", "refs/heads/main", evil.trim()]);
    run_git(tree, &["branch", "--quiet", "also-evil"]);

    assert_eq!(repo.git(&["rev-parse", "main"]), main_before);
    repo.finish(&worktree, session).await;
    assert_eq!(
        repo.git(&["rev-parse", "main"]),
        main_before,
        "main never moves"
    );
    assert!(!repo.git(&["branch"]).contains(" also-evil"));
}

#[tokio::test]
async fn a_rewritten_git_file_or_planted_commondir_never_reaches_the_platforms_git() {
    let repo = TestRepo::new().await;
    let session = SessionId::new();
    let worktree = repo.create_worktree(session).await;
    let tree = worktree.checkout.work_tree();
    // A git directory of the agent's own, whose settings run a program.
    let evil = tree.join("evil-gitdir");
    std::fs::create_dir_all(&evil).unwrap();
    run_git(&evil, &["init", "--quiet", "--bare"]);
    let owned = marker(&repo, "gitfile");
    run_git(
        &evil,
        &[
            "config",
            "filter.evil.clean",
            &format!("touch {}", owned.display()),
        ],
    );
    std::fs::write(tree.join(".git"), format!("gitdir: {}\n", evil.display())).unwrap();
    let owned_commondir = marker(&repo, "commondir");
    let evil_common = repo.data.join("evil-common");
    std::fs::create_dir_all(&evil_common).unwrap();
    run_git(&evil_common, &["init", "--quiet", "--bare"]);
    run_git(
        &evil_common,
        &[
            "config",
            "filter.evil.clean",
            &format!("touch {}", owned_commondir.display()),
        ],
    );
    std::fs::write(
        worktree.checkout.git_dir().join("commondir"),
        format!("{}\n", evil_common.display()),
    )
    .unwrap();
    // Filters, unlike hooks or the fsmonitor, are not switched off by the platform's settings:
    // only naming the git directory keeps the agent's from running.
    write(tree, "work.txt", "work");
    write(tree, ".gitattributes", "* filter=evil\n");

    git::status(&worktree.checkout).await.unwrap();
    git::diff(&worktree.checkout, None, false).await.unwrap();
    git::stage(
        &worktree.checkout,
        &[domain::RelPath::parse("work.txt").unwrap()],
    )
    .await
    .unwrap();
    let finish = repo.finish(&worktree, session).await;

    assert!(finish.committed_changes);
    assert_eq!(
        repo.git(&["show", &format!("{}:work.txt", worktree.branch)]),
        "work"
    );
    assert!(
        !owned.exists(),
        "the filter of the agent's git directory ran on the host"
    );
    assert!(
        !owned_commondir.exists(),
        "the filter of the agent's common dir ran on the host"
    );
}

#[tokio::test]
async fn a_base_that_looks_like_an_option_writes_nothing() {
    let repo = TestRepo::new().await;
    let session = SessionId::new();
    let worktree = repo.create_worktree(session).await;
    let owned = marker(&repo, "output");
    let option = format!("--output={}", owned.display());
    git::finish_worktree(&git::SessionTree {
        project: &repo.path,
        worktree: worktree.checkout.work_tree(),
        git_dir: worktree.checkout.git_dir(),
        branch: &worktree.branch,
        base_commit: Some(&option),
        keep_dir: &repo.keep_dir(session),
    })
    .await
    .unwrap();
    assert!(!owned.exists());
}

#[tokio::test]
async fn filters_named_by_attributes_an_agent_wrote_do_not_run() {
    let repo = TestRepo::new().await;
    let owned = marker(&repo, "filter");
    let session = SessionId::new();
    let worktree = repo.create_worktree(session).await;
    let tree = worktree.checkout.work_tree();
    // Attributes in the tree are the agent's; the filter they name is not defined anywhere the
    // platform's git reads, so nothing runs.
    write(tree, ".gitattributes", "* filter=evil diff=evil\n");
    write(tree, "file.txt", "content");
    let settings = format!("touch {}", owned.display());
    run_git(
        tree,
        &[
            "config",
            "--file",
            ".gitconfig",
            "filter.evil.clean",
            &settings,
        ],
    );
    git::stage(
        &worktree.checkout,
        &[domain::RelPath::parse("file.txt").unwrap()],
    )
    .await
    .unwrap();
    git::diff(&worktree.checkout, None, true).await.unwrap();
    repo.finish(&worktree, session).await;
    assert!(!owned.exists());
}
