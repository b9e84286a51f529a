//! Ignored files copied into a new worktree: what `copy_files` and `.worktreeinclude` name, and
//! nothing a link leads to outside the project.

use crate::support::{TestRepo, run_git};
use domain::{CopyPattern, SessionId};
use std::os::unix::fs::symlink;

fn patterns(texts: &[&str]) -> Vec<CopyPattern> {
    texts
        .iter()
        .map(|text| CopyPattern::parse(text).unwrap())
        .collect()
}

async fn repo_with_ignored_files() -> TestRepo {
    let repo = TestRepo::new().await;
    std::fs::write(repo.path.join(".gitignore"), ".env*\n*.local\nbuild/\n").unwrap();
    run_git(&repo.path, &["add", ".gitignore"]);
    run_git(&repo.path, &["commit", "--quiet", "-m", "ignore"]);
    std::fs::write(repo.path.join(".env"), "SECRET=1\n").unwrap();
    std::fs::create_dir_all(repo.path.join("config")).unwrap();
    std::fs::write(repo.path.join("config/app.local"), "local settings").unwrap();
    std::fs::create_dir_all(repo.path.join("build")).unwrap();
    std::fs::write(repo.path.join("build/out.bin"), "build output").unwrap();
    repo
}

#[tokio::test]
async fn named_ignored_files_are_copied_and_others_are_not() {
    let repo = repo_with_ignored_files().await;
    std::fs::write(
        repo.path.join(".worktreeinclude"),
        "# local config\n*.local\n",
    )
    .unwrap();
    let worktree = repo.create_worktree(SessionId::new()).await;
    let tree = worktree.checkout.work_tree();

    let report = git::copy_included(&repo.path, tree, &patterns(&[".env"]))
        .await
        .unwrap();

    assert_eq!(report.refused, vec![]);
    let mut copied = report.copied.clone();
    copied.sort();
    assert_eq!(copied, vec![".env", "config/app.local"]);
    assert_eq!(
        std::fs::read_to_string(tree.join(".env")).unwrap(),
        "SECRET=1\n"
    );
    assert_eq!(
        std::fs::read_to_string(tree.join("config/app.local")).unwrap(),
        "local settings"
    );
    assert!(
        !tree.join("build/out.bin").exists(),
        "an ignored file not named was copied"
    );
}

#[tokio::test]
async fn a_link_out_of_the_project_is_refused_and_not_followed() {
    let repo = repo_with_ignored_files().await;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("host-secret"), "host only").unwrap();
    std::fs::remove_file(repo.path.join(".env")).unwrap();
    symlink(outside.path().join("host-secret"), repo.path.join(".env")).unwrap();
    symlink(outside.path(), repo.path.join(".env.dir")).unwrap();
    let worktree = repo.create_worktree(SessionId::new()).await;
    let tree = worktree.checkout.work_tree();

    let report = git::copy_included(&repo.path, tree, &patterns(&[".env", ".env.dir/"]))
        .await
        .unwrap();

    assert!(report.copied.is_empty(), "{report:?}");
    let refused: Vec<_> = report.refused.iter().map(|r| r.path.as_str()).collect();
    assert!(refused.contains(&".env"), "{report:?}");
    assert!(
        report.refused[0].reason.contains("outside the project"),
        "{report:?}"
    );
    assert!(
        tree.join(".env").symlink_metadata().is_err(),
        "something was written for the link"
    );
}

#[tokio::test]
async fn a_file_the_worktree_has_already_is_left_as_it_is() {
    let repo = repo_with_ignored_files().await;
    let worktree = repo.create_worktree(SessionId::new()).await;
    let tree = worktree.checkout.work_tree();
    std::fs::write(tree.join(".env"), "MINE=1\n").unwrap();

    let report = git::copy_included(&repo.path, tree, &patterns(&[".env"]))
        .await
        .unwrap();

    assert!(
        report.copied.is_empty() && report.refused.is_empty(),
        "{report:?}"
    );
    assert_eq!(
        std::fs::read_to_string(tree.join(".env")).unwrap(),
        "MINE=1\n"
    );
}

#[tokio::test]
async fn bad_worktreeinclude_lines_are_reported_and_the_rest_applies() {
    let repo = repo_with_ignored_files().await;
    std::fs::write(
        repo.path.join(".worktreeinclude"),
        "../../etc/passwd\n.env\n",
    )
    .unwrap();
    let worktree = repo.create_worktree(SessionId::new()).await;

    let report = git::copy_included(&repo.path, worktree.checkout.work_tree(), &[])
        .await
        .unwrap();

    assert_eq!(report.copied, vec![".env"]);
    assert_eq!(report.refused.len(), 1, "{report:?}");
    assert_eq!(report.refused[0].path, ".worktreeinclude");
}
