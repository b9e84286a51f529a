//! The operations behind the REST git routes, on a main checkout.

use domain::{BranchName, RelPath};
use git::{FileState, FileStatus, GitError};

use crate::support::TestRepo;

fn rel(text: &str) -> RelPath {
    RelPath::parse(text).unwrap()
}

fn entry(path: &str, status: FileState, staged: bool) -> FileStatus {
    FileStatus {
        path: path.to_owned(),
        original_path: None,
        status,
        staged,
    }
}

#[tokio::test]
async fn status_of_a_plain_directory_says_it_is_not_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let status = git::status(&git::Checkout::main(dir.path()).unwrap())
        .await
        .unwrap();
    assert!(!status.is_git_repo);
    assert!(status.files.is_empty());
}

#[tokio::test]
async fn status_lists_staged_unstaged_and_untracked_files() {
    let repo = TestRepo::new().await;
    repo.commit_file("both.txt", "1");
    repo.commit_file("gone.txt", "1");
    repo.write("both.txt", "2");
    repo.git(&["add", "both.txt"]);
    repo.write("both.txt", "3");
    std::fs::remove_file(repo.path.join("gone.txt")).unwrap();
    repo.write("dir/new file.txt", "new");

    let status = git::status(&repo.checkout()).await.unwrap();
    assert!(status.is_git_repo);
    assert_eq!(status.branch.as_deref(), Some("main"));
    assert_eq!((status.ahead, status.behind), (None, None));
    assert_eq!(
        status.files,
        vec![
            entry("both.txt", FileState::Modified, true),
            entry("both.txt", FileState::Modified, false),
            entry("gone.txt", FileState::Deleted, false),
            entry("dir/new file.txt", FileState::Untracked, false),
        ]
    );
    assert_eq!(FileState::Untracked.as_str(), "untracked");
}

#[tokio::test]
async fn diff_shows_unstaged_staged_and_untracked_changes() {
    let repo = TestRepo::new().await;
    repo.commit_file("a.txt", "one\n");
    repo.write("a.txt", "two\n");

    let unstaged = git::diff(&repo.checkout(), Some(&rel("a.txt")), false)
        .await
        .unwrap();
    assert!(unstaged.contains("-one\n+two"), "{unstaged}");
    assert_eq!(git::diff(&repo.checkout(), None, true).await.unwrap(), "");

    git::stage(&repo.checkout(), &[rel("a.txt")]).await.unwrap();
    let staged = git::diff(&repo.checkout(), Some(&rel("a.txt")), true)
        .await
        .unwrap();
    assert!(staged.contains("+two"), "{staged}");

    repo.write("fresh.txt", "hello\n");
    let fresh = git::diff(&repo.checkout(), Some(&rel("fresh.txt")), false)
        .await
        .unwrap();
    assert!(fresh.contains("new file mode"), "{fresh}");
    assert!(fresh.contains("+++ b/fresh.txt"), "{fresh}");
    assert!(fresh.contains("+hello"), "{fresh}");
}

#[tokio::test]
async fn stage_and_unstage_work_before_the_first_commit() {
    let repo = TestRepo::empty();
    repo.write("first.txt", "1");
    git::stage(&repo.checkout(), &[rel("first.txt")])
        .await
        .unwrap();
    let status = git::status(&repo.checkout()).await.unwrap();
    assert_eq!(
        status.files,
        vec![entry("first.txt", FileState::Added, true)]
    );

    git::unstage(&repo.checkout(), &[rel("first.txt")])
        .await
        .unwrap();
    let status = git::status(&repo.checkout()).await.unwrap();
    assert_eq!(
        status.files,
        vec![entry("first.txt", FileState::Untracked, false)]
    );
    assert!(git::log(&repo.checkout(), 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn staged_deletions_and_glob_like_names_are_taken_literally() {
    let repo = TestRepo::new().await;
    repo.commit_file("old.txt", "old");
    std::fs::remove_file(repo.path.join("old.txt")).unwrap();
    repo.write("*", "star");
    repo.write("other.txt", "other");

    git::stage(&repo.checkout(), &[rel("old.txt"), rel("*")])
        .await
        .unwrap();
    let status = git::status(&repo.checkout()).await.unwrap();
    assert_eq!(
        status.files,
        vec![
            entry("*", FileState::Added, true),
            entry("old.txt", FileState::Deleted, true),
            entry("other.txt", FileState::Untracked, false),
        ]
    );
}

#[tokio::test]
async fn commit_refuses_an_empty_message_and_an_empty_index() {
    let repo = TestRepo::new().await;
    repo.write("a.txt", "a");
    let error = git::commit(&repo.checkout(), "  \n").await.unwrap_err();
    assert!(matches!(error, GitError::EmptyCommitMessage), "{error}");
    let error = git::commit(&repo.checkout(), "nothing staged")
        .await
        .unwrap_err();
    assert!(matches!(error, GitError::NothingToCommit), "{error}");
}

#[tokio::test]
async fn commit_records_staged_changes_under_the_repository_identity() {
    let repo = TestRepo::new().await;
    repo.write("a.txt", "a");
    git::stage(&repo.checkout(), &[rel("a.txt")]).await.unwrap();
    let hash = git::commit(&repo.checkout(), "Add a").await.unwrap();
    assert_eq!(hash, repo.git(&["rev-parse", "HEAD"]).trim());

    let log = git::log(&repo.checkout(), 10).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].hash, hash);
    assert!(hash.starts_with(&log[0].short_hash));
    assert_eq!(log[0].message, "Add a");
    assert_eq!(log[0].author, "Test Person");
    assert!(log[0].date.contains('T'), "RFC 3339: {}", log[0].date);
    assert_eq!(log[1].message, "Initial commit");
    assert_eq!(git::log(&repo.checkout(), 1).await.unwrap().len(), 1);
}

#[tokio::test]
async fn branches_are_listed_and_checked_out() {
    let repo = TestRepo::new().await;
    repo.git(&["branch", "feature/x"]);
    let branches = git::branches(&repo.checkout()).await.unwrap();
    let listed: Vec<_> = branches
        .iter()
        .map(|branch| (branch.name.as_str(), branch.current, branch.remote))
        .collect();
    assert_eq!(
        listed,
        vec![("feature/x", false, false), ("main", true, false)]
    );

    git::checkout(&repo.checkout(), &BranchName::parse("feature/x").unwrap())
        .await
        .unwrap();
    let status = git::status(&repo.checkout()).await.unwrap();
    assert_eq!(status.branch.as_deref(), Some("feature/x"));

    let error = git::checkout(&repo.checkout(), &BranchName::parse("missing").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, GitError::InvalidBranch(_)), "{error}");
}

#[tokio::test]
async fn a_remote_branch_is_checked_out_as_a_tracking_branch() {
    let upstream = TestRepo::new().await;
    upstream.git(&["branch", "shared"]);
    let clone = TestRepo::new().await;
    let url = upstream.path.to_str().unwrap();
    clone.git(&["remote", "add", "origin", url]);
    clone.git(&["fetch", "--quiet", "origin"]);

    let branches = git::branches(&clone.checkout()).await.unwrap();
    assert!(
        branches
            .iter()
            .any(|b| b.name == "origin/shared" && b.remote)
    );

    git::checkout(&clone.checkout(), &BranchName::parse("shared").unwrap())
        .await
        .unwrap();
    let status = git::status(&clone.checkout()).await.unwrap();
    assert_eq!(status.branch.as_deref(), Some("shared"));
    assert_eq!((status.ahead, status.behind), (Some(0), Some(0)));
}

#[tokio::test]
async fn operations_on_a_plain_directory_say_it_is_not_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let error = git::log(&git::Checkout::main(dir.path()).unwrap(), 5)
        .await
        .unwrap_err();
    assert!(matches!(error, GitError::NotARepository(_)), "{error}");
    assert!(error.to_string().contains("git init"), "{error}");
}

#[tokio::test]
async fn hooks_in_the_repository_never_run() {
    // Agents can write `.git/hooks`; the platform must not run what they put there on the host.
    let repo = TestRepo::new().await;
    let marker = repo.path.join("hook-ran");
    let hook = repo.path.join(".git/hooks/pre-commit");
    std::fs::write(
        &hook,
        format!("#!/bin/sh\ntouch '{}'\nexit 1\n", marker.display()),
    )
    .unwrap();
    let mut permissions = std::fs::metadata(&hook).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&hook, permissions).unwrap();

    repo.write("a.txt", "a");
    git::stage(&repo.checkout(), &[rel("a.txt")]).await.unwrap();
    git::commit(&repo.checkout(), "no hook").await.unwrap();
    assert!(!marker.exists());
}

#[tokio::test]
async fn files_a_checkout_writes_belong_to_the_work_trees_owner() {
    // The platform may run as root; a project belongs to its user, who must keep owning its files.
    use std::os::unix::fs::MetadataExt;
    let repo = TestRepo::new().await;
    repo.git(&["checkout", "--quiet", "-b", "feature"]);
    repo.commit_file("src/new.txt", "new");
    repo.git(&["checkout", "--quiet", "main"]);
    let chown = std::process::Command::new("chown")
        .args(["-R", "4321:4322"])
        .arg(&repo.path)
        .status()
        .unwrap();
    assert!(chown.success());

    git::checkout(&repo.checkout(), &BranchName::parse("feature").unwrap())
        .await
        .unwrap();

    for path in ["src", "src/new.txt", ".git/index"] {
        let metadata = std::fs::symlink_metadata(repo.path.join(path)).unwrap();
        assert_eq!((metadata.uid(), metadata.gid()), (4321, 4322), "{path}");
    }
}
