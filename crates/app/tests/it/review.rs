//! Review and merge through the API, with real git and the real `claude` CLI (local mode) writing
//! files: a worktree session's review and diff, a squash merge that keeps the main checkout's
//! uncommitted work and ends the session, refusals that change nothing, and the sessions that
//! have no branch to merge (explore, main checkout).

use crate::support::{TestApp, model};
use crate::worktrees::{git, id8, local_app, turn};
use scripted_model::{Reply, Script};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn script() -> Script {
    let write = |file: &str, content: &str| {
        [
            Reply::tool_use("Write", json!({"file_path": file, "content": content})),
            Reply::text(format!("I wrote {file}.")),
        ]
    };
    Script::new()
        .rule("write alpha", write("alpha.txt", "alpha\n"))
        .rule("write beta", write("beta.txt", "beta\nmore beta\n"))
        .rule("write another alpha", write("alpha.txt", "another alpha\n"))
        .rule("say hello", [Reply::text("hello")])
}

/// A user's commit in the main checkout.
fn user_commit(main: &Path, file: &str) {
    git(main, &["add", "--", file]);
    git(
        main,
        &[
            "-c",
            "user.name=User",
            "-c",
            "user.email=user@example.com",
            "commit",
            "--quiet",
            "-m",
            &format!("user: {file}"),
        ],
    );
}

/// HEAD, the index and what git reports of the main checkout: what a refusal must leave as it was.
fn checkout_state(main: &Path) -> (String, Vec<u8>, String) {
    (
        git(main, &["rev-parse", "HEAD"]),
        std::fs::read(main.join(".git/index")).unwrap(),
        git(main, &["status", "--porcelain", "--untracked-files=all"]),
    )
}

/// A project whose first writer (on the main checkout) wrote `alpha.txt` and whose second writer
/// got a worktree after the message `second`.
async fn two_writers(app: &TestApp, second_message: &str) -> (PathBuf, Value, Value) {
    let project = app.create_project("reviewed").await;
    let main = PathBuf::from(project["path"].as_str().unwrap());
    let first = app.create_session(&project, "execute").await;
    let second = app.create_session(&project, "execute").await;
    let first = turn(app, &first, "please write alpha").await;
    let second = turn(app, &second, second_message).await;
    assert_eq!(
        second["branch"],
        format!("session/{}", id8(&second)),
        "{second}"
    );
    assert_eq!(second["base_branch"], "main", "{second}");
    (main, first, second)
}

#[tokio::test]
async fn a_worktree_session_is_reviewed_and_squash_merged_keeping_the_main_checkouts_work() {
    let model = model(script());
    let app = local_app(model.base_url()).await;
    let (main, first, second) = two_writers(&app, "please write beta").await;
    let id = second["id"].as_str().unwrap();
    let branch = second["branch"].as_str().unwrap().to_owned();

    let (status, review) = app.get(&format!("/api/sessions/{id}/review")).await;
    assert_eq!(status, 200, "{review}");
    assert_eq!(review["branch"], branch.as_str());
    assert_eq!(review["base"], "main");
    assert_eq!(
        (review["ahead"].as_u64(), review["behind"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(review["uncommitted"], 1, "{review}");
    assert_eq!(
        review["files"],
        json!([{"path": "beta.txt", "status": "added", "additions": 2, "deletions": 0}])
    );
    assert_eq!(review["conflicts"], json!([]));
    assert_eq!(review["mergeable"], true);

    let (status, diff) = app
        .get(&format!("/api/sessions/{id}/review/diff?path=beta.txt"))
        .await;
    assert_eq!(status, 200, "{diff}");
    assert!(
        diff["diff"].as_str().unwrap().contains("+more beta"),
        "{diff}"
    );

    // The first session works on the main checkout: its review is its uncommitted work, and it
    // has no branch to merge.
    let first_id = first["id"].as_str().unwrap();
    let (status, first_review) = app.get(&format!("/api/sessions/{first_id}/review")).await;
    assert_eq!(status, 200, "{first_review}");
    assert_eq!(first_review["branch"], Value::Null);
    assert_eq!(first_review["mergeable"], false);
    assert!(
        first_review["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|file| file["path"] == "alpha.txt"),
        "{first_review}"
    );
    let (status, refused) = app
        .post(&format!("/api/sessions/{first_id}/merge"), json!({}))
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["code"], "no_session_branch");

    let status_before = git(&main, &["status", "--porcelain", "--untracked-files=all"]);
    let (status, merged) = app
        .post(
            &format!("/api/sessions/{id}/merge"),
            json!({"strategy": "squash", "message": "Add beta"}),
        )
        .await;
    assert_eq!(status, 200, "{merged}");
    assert_eq!(merged["base"], "main");
    assert_eq!(git(&main, &["rev-parse", "main"]).trim(), merged["commit"]);
    assert_eq!(git(&main, &["log", "-1", "--format=%s"]).trim(), "Add beta");
    assert_eq!(
        std::fs::read_to_string(main.join("beta.txt")).unwrap(),
        "beta\nmore beta\n"
    );
    // The first session's uncommitted work in the main checkout is exactly as it was.
    assert_eq!(
        git(&main, &["status", "--porcelain", "--untracked-files=all"]),
        status_before
    );
    assert_eq!(
        std::fs::read_to_string(main.join("alpha.txt")).unwrap(),
        "alpha\n"
    );

    let ended = app.session(id).await;
    assert_eq!(ended["status"], "done", "{ended}");
    assert_eq!(ended["worktree_path"], Value::Null);
    assert!(!main.join(".worktrees").join(id).exists());
    assert!(
        !git(&main, &["branch", "--list", &branch]).contains(&branch),
        "the merged branch is deleted"
    );
}

#[tokio::test]
async fn refused_merges_and_rebases_change_nothing_and_explore_sessions_are_refused() {
    let model = model(script());
    let app = local_app(model.base_url()).await;
    let (main, _first, second) = two_writers(&app, "please write another alpha").await;
    let id = second["id"].as_str().unwrap();
    let worktree = PathBuf::from(second["worktree_path"].as_str().unwrap());

    // `alpha.txt` is the first session's uncommitted (untracked) file in the main checkout: the
    // merge would overwrite it.
    let before = checkout_state(&main);
    let (status, refused) = app
        .post(&format!("/api/sessions/{id}/merge"), json!({}))
        .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["code"], "checkout_dirty");
    assert_eq!(refused["files"], json!(["alpha.txt"]));
    assert_eq!(checkout_state(&main), before);

    // Once the user commits it, the two `alpha.txt` conflict: found ahead, refused on merge and rebase.
    user_commit(&main, "alpha.txt");
    let (status, review) = app.get(&format!("/api/sessions/{id}/review")).await;
    assert_eq!(status, 200, "{review}");
    assert_eq!(review["conflicts"], json!(["alpha.txt"]));
    assert_eq!(review["behind"], 1);
    assert_eq!(review["mergeable"], false);
    let before = checkout_state(&main);
    let worktree_before = git(
        &worktree,
        &["status", "--porcelain", "--untracked-files=all"],
    );
    for route in ["merge", "rebase"] {
        let (status, refused) = app
            .post(&format!("/api/sessions/{id}/{route}"), json!({}))
            .await;
        assert_eq!(status, 409, "{route}: {refused}");
        assert_eq!(refused["code"], "merge_conflict", "{route}");
        assert_eq!(refused["files"], json!(["alpha.txt"]), "{route}");
        assert_eq!(checkout_state(&main), before, "{route}");
        assert_eq!(
            git(
                &worktree,
                &["status", "--porcelain", "--untracked-files=all"]
            ),
            worktree_before,
            "{route}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(worktree.join("alpha.txt")).unwrap(),
        "another alpha\n"
    );
    assert_ne!(app.session(id).await["status"], "done");

    let project = app.get("/api/projects").await.1[0].clone();
    let explorer = app.create_session(&project, "explore").await;
    let explorer = turn(&app, &explorer, "say hello").await;
    let explorer_id = explorer["id"].as_str().unwrap();
    for (route, body) in [
        ("review", None),
        ("merge", Some(json!({}))),
        ("push", Some(json!({}))),
    ] {
        let path = format!("/api/sessions/{explorer_id}/{route}");
        let (status, refused) = match body {
            Some(body) => app.post(&path, body).await,
            None => app.get(&path).await,
        };
        assert_eq!(status, 400, "{route}: {refused}");
        assert_eq!(refused["code"], "explore_session", "{route}");
    }
}

#[tokio::test]
async fn in_docker_mode_a_contained_agents_work_is_rebased_and_merged_with_files_its_owner_keeps() {
    use std::os::unix::fs::MetadataExt;
    let model = model(script());
    let (app, _sweep) = crate::docker_support::docker_app(
        Some(model.base_url()),
        crate::support::Options::default(),
    )
    .await;
    let (main, _first, second) = two_writers(&app, "please write beta").await;
    let id = second["id"].as_str().unwrap();
    // The base moves on while the session works.
    std::fs::write(main.join("gamma.txt"), "gamma\n").unwrap();
    user_commit(&main, "gamma.txt");
    let (_, review) = app.get(&format!("/api/sessions/{id}/review")).await;
    assert_eq!(review["behind"], 1, "{review}");

    let (status, rebased) = app
        .post(&format!("/api/sessions/{id}/rebase"), json!({}))
        .await;
    assert_eq!(status, 200, "{rebased}");
    let (_, review) = app.get(&format!("/api/sessions/{id}/review")).await;
    assert_eq!(review["behind"], 0, "{review}");
    assert_eq!(review["ahead"], 1, "{review}");

    let (status, merged) = app
        .post(
            &format!("/api/sessions/{id}/merge"),
            json!({"strategy": "merge"}),
        )
        .await;
    assert_eq!(status, 200, "{merged}");
    assert_eq!(
        std::fs::read_to_string(main.join("beta.txt")).unwrap(),
        "beta\nmore beta\n"
    );
    let owner = std::fs::metadata(&main).unwrap();
    let written = std::fs::metadata(main.join("beta.txt")).unwrap();
    assert_eq!(
        (written.uid(), written.gid()),
        (owner.uid(), owner.gid()),
        "a merged file belongs to the project's owner, not to the platform"
    );
    assert_eq!(app.session(id).await["status"], "done");
}
