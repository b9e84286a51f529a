//! Creating and recognising repositories.

use std::path::Path;

use git::GitError;

use crate::support::{TestRepo, run_git};

#[tokio::test]
async fn init_gives_a_repository_on_main_with_one_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new").join("project");
    git::init_repository(&path).await.unwrap();
    assert!(git::is_repository(&path).await);
    assert_eq!(run_git(&path, &["rev-list", "--count", "HEAD"]).trim(), "1");
    assert_eq!(run_git(&path, &["branch", "--show-current"]).trim(), "main");
}

#[tokio::test]
async fn init_of_a_repository_with_commits_changes_nothing() {
    let repo = TestRepo::new().await;
    repo.commit_file("a.txt", "a");
    git::init_repository(&repo.path).await.unwrap();
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]).trim(), "2");
}

#[tokio::test]
async fn init_gives_an_existing_repository_without_commits_its_first_commit() {
    let repo = TestRepo::empty();
    git::init_repository(&repo.path).await.unwrap();
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]).trim(), "1");
    assert_eq!(
        repo.git(&["log", "-1", "--format=%an"]).trim(),
        "Test Person"
    );
}

/// Set in the child run of [`without_any_identity_platform_commits_are_by_agentyard`].
const ISOLATED: &str = "AGENTYARD_GIT_TEST_WITHOUT_IDENTITY";

#[tokio::test]
async fn without_any_identity_platform_commits_are_by_agentyard() {
    if std::env::var_os(ISOLATED).is_none() {
        // The user's own git configuration may name an identity; run this test again in a child
        // process whose git sees no global or system configuration at all.
        let home = tempfile::tempdir().unwrap();
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "repository::without_any_identity_platform_commits_are_by_agentyard",
            ])
            .env(ISOLATED, "1")
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains("1 passed"),
            "the isolated run did not run the test: {stdout}"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("project");
    git::init_repository(&path).await.unwrap();
    assert_eq!(
        run_git(&path, &["log", "-1", "--format=%an <%ae>"]).trim(),
        "Agentyard <agentyard@localhost>"
    );
    std::fs::write(path.join("a.txt"), "a").unwrap();
    git::stage(
        &git::Checkout::main(&path).unwrap(),
        &[domain::RelPath::parse("a.txt").unwrap()],
    )
    .await
    .unwrap();
    git::commit(
        &git::Checkout::main(&path).unwrap(),
        "user commit without identity",
    )
    .await
    .unwrap();
    assert_eq!(
        run_git(&path, &["log", "-1", "--format=%ae"]).trim(),
        "agentyard@localhost"
    );
}

#[tokio::test]
async fn a_plain_directory_is_not_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    assert!(!git::is_repository(dir.path()).await);
}

#[tokio::test]
async fn a_directory_nested_inside_another_repository_is_not_a_repository() {
    let repo = TestRepo::new().await;
    let nested = repo.path.join("sub");
    std::fs::create_dir(&nested).unwrap();
    assert!(!git::is_repository(&nested).await);
}

#[tokio::test]
async fn relative_paths_are_refused() {
    let error = git::init_repository(Path::new("relative/project"))
        .await
        .unwrap_err();
    assert!(matches!(error, GitError::InvalidPath(_)), "{error}");
    assert!(!git::is_repository(Path::new(".")).await);
    let error = git::Checkout::main(Path::new("relative")).unwrap_err();
    assert!(matches!(error, GitError::InvalidPath(_)), "{error}");
}

#[tokio::test]
async fn a_project_whose_git_is_a_file_or_a_link_is_not_one_the_platform_acts_on() {
    // A `.git` file could name any git directory, an agent's among them.
    let repo = TestRepo::new().await;
    let elsewhere = tempfile::tempdir().unwrap();
    let linked = elsewhere.path().join("linked");
    std::fs::create_dir(&linked).unwrap();
    std::os::unix::fs::symlink(repo.path.join(".git"), linked.join(".git")).unwrap();
    assert!(!git::is_repository(&linked).await);
    let gitfile = elsewhere.path().join("gitfile");
    std::fs::create_dir(&gitfile).unwrap();
    std::fs::write(
        gitfile.join(".git"),
        format!("gitdir: {}\n", repo.path.join(".git").display()),
    )
    .unwrap();
    assert!(!git::is_repository(&gitfile).await);
    let error = git::init_repository(&gitfile).await.unwrap_err();
    assert!(matches!(error, GitError::NotARepository(_)), "{error}");
}

#[tokio::test]
async fn refreshing_the_index_after_a_change_of_every_files_ctime_makes_it_clean_again() {
    use std::os::unix::fs::PermissionsExt;
    let repo = TestRepo::new().await;
    repo.commit_file("a.txt", "a");
    repo.commit_file("b.txt", "b");
    // What giving a tree to another owner does to the index's view of it: every ctime changes,
    // so `diff-files` (which never refreshes) sees each file as possibly changed.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    for name in ["a.txt", "b.txt"] {
        let path = repo.path.join(name);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    assert_eq!(
        repo.git(&["diff-files", "--name-only"]).trim(),
        "a.txt\nb.txt"
    );

    git::refresh_index(&repo.checkout()).await.unwrap();
    assert_eq!(repo.git(&["diff-files", "--name-only"]).trim(), "");
    assert_eq!(repo.git(&["status", "--porcelain"]).trim(), "");
}
