//! Keeping request paths inside the work path.

use domain::RelPath;
use git::GitError;

use crate::support::TestRepo;

fn rel(text: &str) -> RelPath {
    RelPath::parse(text).unwrap()
}

#[tokio::test]
async fn files_that_do_not_exist_yet_resolve_inside_the_work_path() {
    let repo = TestRepo::new().await;
    let resolved = git::resolve_inside(&repo.path, &rel("new/dir/file.rs")).unwrap();
    let root = std::fs::canonicalize(&repo.path).unwrap();
    assert_eq!(resolved, root.join("new/dir/file.rs"));
}

#[tokio::test]
async fn a_symlink_that_points_outside_is_refused() {
    let repo = TestRepo::new().await;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "s").unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path.join("escape")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), repo.path.join("secret")).unwrap();

    for path in ["escape", "escape/secret", "escape/not-yet", "secret"] {
        let error = git::resolve_inside(&repo.path, &rel(path)).unwrap_err();
        assert!(matches!(error, GitError::PathOutside(_)), "{path}: {error}");
    }
    let error = git::stage(&repo.checkout(), &[rel("secret")])
        .await
        .unwrap_err();
    assert!(matches!(error, GitError::PathOutside(_)), "{error}");
    let error = git::diff(&repo.checkout(), Some(&rel("escape/secret")), false)
        .await
        .unwrap_err();
    assert!(matches!(error, GitError::PathOutside(_)), "{error}");
}

#[tokio::test]
async fn a_symlink_that_stays_inside_is_accepted() {
    let repo = TestRepo::new().await;
    repo.write("src/lib.rs", "");
    std::os::unix::fs::symlink(repo.path.join("src"), repo.path.join("code")).unwrap();
    assert!(git::resolve_inside(&repo.path, &rel("code/lib.rs")).is_ok());
}

#[tokio::test]
async fn a_dangling_symlink_is_refused_because_its_target_cannot_be_checked() {
    let repo = TestRepo::new().await;
    std::os::unix::fs::symlink("/nonexistent/target", repo.path.join("dangling")).unwrap();
    let error = git::resolve_inside(&repo.path, &rel("dangling")).unwrap_err();
    assert!(matches!(error, GitError::PathOutside(_)), "{error}");
}
