//! The git routes of docs/api.md through the real HTTP API and real git: on the main checkout, on a
//! session's worktree with `?session_id=`, and every bad input refused with 400 and nothing changed.

use crate::support::{Options, TestApp, model};
use crate::worktrees::git;
use reqwest::StatusCode;
use scripted_model::{Reply, Script};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn project_path(project: &Value) -> PathBuf {
    PathBuf::from(project["path"].as_str().unwrap())
}

fn route(kind: &str, project: &Value, query: &str) -> String {
    let id = project["id"].as_str().unwrap();
    if query.is_empty() {
        format!("/api/git/{kind}/{id}")
    } else {
        format!("/api/git/{kind}/{id}?{query}")
    }
}

fn head(dir: &Path) -> String {
    git(dir, &["rev-parse", "HEAD"])
}

#[tokio::test]
async fn status_diff_stage_unstage_commit_and_log_work_on_the_main_checkout() {
    let app = TestApp::spawn().await;
    let project = app.create_project("source control").await;
    let dir = project_path(&project);
    std::fs::write(dir.join("notes.txt"), "first line\n").unwrap();

    let (status, body) = app.get(&route("status", &project, "")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["isGitRepo"], true);
    assert_eq!(body["branch"], "main");
    assert_eq!(
        body["files"],
        json!([{"path": "notes.txt", "status": "untracked", "staged": false}])
    );

    let (status, body) = app.get(&route("diff", &project, "path=notes.txt")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["path"], "notes.txt");
    assert!(
        body["diff"].as_str().unwrap().contains("+first line"),
        "{body}"
    );

    let (status, body) = app
        .post(
            &route("stage", &project, ""),
            json!({"paths": ["notes.txt"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["files"],
        json!([{"path": "notes.txt", "status": "added", "staged": true}])
    );
    let (_, body) = app
        .get(&route("diff", &project, "path=notes.txt&staged=true"))
        .await;
    assert!(body["diff"].as_str().unwrap().contains("+first line"));

    let (status, body) = app
        .post(
            &route("commit", &project, ""),
            json!({"message": "Add notes"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let hash = body["hash"].as_str().unwrap().to_owned();
    assert_eq!(hash, head(&dir).trim());

    let (status, body) = app.get(&route("log", &project, "limit=1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let log = body.as_array().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["hash"], hash.as_str());
    assert_eq!(
        log[0]["shortHash"],
        git(&dir, &["rev-parse", "--short", "HEAD"]).trim()
    );
    assert_eq!(log[0]["message"], "Add notes");
    assert!(log[0]["author"].is_string() && log[0]["date"].is_string());
    let (_, body) = app.get(&route("log", &project, "")).await;
    assert_eq!(body.as_array().unwrap().len(), 2, "with the initial commit");

    std::fs::write(dir.join("notes.txt"), "first line\nsecond line\n").unwrap();
    app.post(
        &route("stage", &project, ""),
        json!({"paths": ["notes.txt"]}),
    )
    .await;
    let (status, body) = app
        .post(
            &route("unstage", &project, ""),
            json!({"paths": ["notes.txt"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["files"],
        json!([{"path": "notes.txt", "status": "modified", "staged": false}])
    );
    let (_, body) = app.get(&route("diff", &project, "")).await;
    assert_eq!(body["path"], Value::Null);
    assert!(body["diff"].as_str().unwrap().contains("+second line"));

    let (status, body) = app
        .post(
            &route("commit", &project, ""),
            json!({"message": "Nothing"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing staged: {body}");
}

#[tokio::test]
async fn branches_and_checkout_switch_the_main_checkout() {
    let app = TestApp::spawn().await;
    let project = app.create_project("branches").await;
    let dir = project_path(&project);
    git(&dir, &["branch", "feature/login"]);

    let (status, body) = app.get(&route("branches", &project, "")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!([
            {"name": "feature/login", "current": false, "remote": false},
            {"name": "main", "current": true, "remote": false},
        ])
    );
    let (status, body) = app
        .post(
            &route("checkout", &project, ""),
            json!({"branch": "feature/login"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["branch"], "feature/login");
    assert_eq!(
        git(&dir, &["branch", "--show-current"]).trim(),
        "feature/login"
    );
}

#[tokio::test]
async fn a_directory_that_is_not_a_repository_reports_so() {
    let app = TestApp::spawn().await;
    let project = app.create_project("plain").await;
    // A user may take the repository away from a project directory after the fact.
    std::fs::remove_dir_all(project_path(&project).join(".git")).unwrap();
    let (status, body) = app.get(&route("status", &project, "")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"isGitRepo": false}));
}

#[tokio::test]
async fn with_a_session_id_every_route_acts_on_that_sessions_worktree() {
    let model = model(Script::new().rule("say hello", [Reply::text("hello")]));
    let app = TestApp::spawn_with(Options {
        model_url: Some(model.base_url()),
        ..Options::default()
    })
    .await;
    let project = app.create_project("aware").await;
    let main = project_path(&project);
    let holder = app.create_session(&project, "execute").await;
    let worker = app.create_session(&project, "execute").await;
    let mut ws = app.ws().await;
    for session in [&holder, &worker] {
        let id = session["id"].as_str().unwrap();
        app.post(
            &format!("/api/sessions/{id}/messages"),
            json!({"content": "say hello"}),
        )
        .await;
        ws.done(id, Duration::from_secs(90)).await;
    }
    let worker = app.session(worker["id"].as_str().unwrap()).await;
    let worktree = PathBuf::from(worker["worktree_path"].as_str().expect("a worktree"));
    let branch = worker["branch"].as_str().unwrap().to_owned();
    let on_worker = format!("session_id={}", worker["id"].as_str().unwrap());
    let on_holder = format!("session_id={}", holder["id"].as_str().unwrap());
    std::fs::write(worktree.join("only-here.txt"), "worktree\n").unwrap();

    let (status, body) = app.get(&route("status", &project, &on_worker)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["branch"], branch.as_str());
    assert_eq!(body["files"][0]["path"], "only-here.txt");
    let (_, body) = app.get(&route("status", &project, &on_holder)).await;
    assert_eq!(
        body["branch"], "main",
        "the holder works on the main checkout"
    );
    assert!(
        !body["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|file| file["path"] == "only-here.txt"),
        "{body}"
    );

    let (_, body) = app
        .get(&route(
            "diff",
            &project,
            &format!("{on_worker}&path=only-here.txt"),
        ))
        .await;
    assert!(body["diff"].as_str().unwrap().contains("+worktree"));
    let (_, body) = app.get(&route("branches", &project, &on_worker)).await;
    let current: Vec<&Value> = body
        .as_array()
        .unwrap()
        .iter()
        .filter(|branch| branch["current"] == true)
        .collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["name"], branch.as_str());

    let (status, body) = app
        .post(
            &route("stage", &project, &on_worker),
            json!({"paths": ["only-here.txt"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post(
            &route("unstage", &project, &on_worker),
            json!({"paths": ["only-here.txt"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["files"][0]["staged"], false);
    app.post(
        &route("stage", &project, &on_worker),
        json!({"paths": ["only-here.txt"]}),
    )
    .await;
    let main_head = head(&main);
    let (status, body) = app
        .post(
            &route("commit", &project, &on_worker),
            json!({"message": "Work of the session"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["hash"].as_str().unwrap(), head(&worktree).trim());
    assert_eq!(head(&main), main_head, "the main checkout did not move");
    let (_, body) = app.get(&route("log", &project, &on_worker)).await;
    assert_eq!(body[0]["message"], "Work of the session");
    let (_, body) = app.get(&route("log", &project, "")).await;
    assert_ne!(body[0]["message"], "Work of the session");

    // A worktree has branches of its own: the project's are not there to switch to.
    git(&worktree, &["branch", "elsewhere"]);
    let (status, body) = app
        .post(
            &route("checkout", &project, &on_worker),
            json!({"branch": "elsewhere"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        git(&worktree, &["branch", "--show-current"]).trim(),
        "elsewhere"
    );
    assert_eq!(git(&main, &["branch", "--show-current"]).trim(), "main");
}

/// Status and `HEAD` of a work path, to prove a rejected request changed nothing.
fn snapshot(dir: &Path) -> (String, String, String) {
    (
        git(dir, &["status", "--porcelain=v2", "--branch"]),
        head(dir),
        git(dir, &["for-each-ref"]),
    )
}

#[tokio::test]
async fn bad_inputs_are_400_and_change_nothing() {
    let app = TestApp::spawn().await;
    let project = app.create_project("guarded").await;
    let other = app.create_project("other").await;
    let dir = project_path(&project);
    std::fs::write(dir.join("file.txt"), "content\n").unwrap();
    let outside = app.root().join("secret.txt");
    std::fs::write(&outside, "secret\n").unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("link-out")).unwrap();
    std::os::unix::fs::symlink(app.root(), dir.join("dir-out")).unwrap();
    let foreign = app.create_session(&other, "execute").await;
    let foreign = format!("session_id={}", foreign["id"].as_str().unwrap());
    let before = snapshot(&dir);

    let mut cases: Vec<(String, Option<Value>, &str)> = Vec::new();
    for kind in ["status", "branches", "log", "diff"] {
        cases.push((
            route(kind, &project, &foreign),
            None,
            "session_not_in_project",
        ));
    }
    for (kind, body) in [
        ("stage", json!({"paths": ["file.txt"]})),
        ("unstage", json!({"paths": ["file.txt"]})),
        ("commit", json!({"message": "x"})),
        ("checkout", json!({"branch": "main"})),
    ] {
        cases.push((
            route(kind, &project, &foreign),
            Some(body),
            "session_not_in_project",
        ));
    }
    for path in [
        "../other/x",
        "/etc/passwd",
        "link-out",
        "dir-out/secret.txt",
        "a/../../x",
    ] {
        let query = format!("path={}", urlencode(path));
        cases.push((route("diff", &project, &query), None, "invalid_path"));
        for kind in ["stage", "unstage"] {
            cases.push((
                route(kind, &project, ""),
                Some(json!({"paths": ["file.txt", path]})),
                "invalid_path",
            ));
        }
    }
    for branch in ["--force", "a..b", "has space", "HEAD", "no-such-branch", ""] {
        cases.push((
            route("checkout", &project, ""),
            Some(json!({"branch": branch})),
            "invalid_branch",
        ));
    }
    cases.push((
        route("status", &project, "session_id=not-an-id"),
        None,
        "invalid_id",
    ));
    cases.push((
        route("commit", &project, ""),
        Some(json!({"message": "  "})),
        "empty_commit_message",
    ));

    for (path, body, code) in cases {
        let (status, answer) = match body {
            Some(body) => app.post(&path, body).await,
            None => app.get(&path).await,
        };
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert_eq!(answer["code"], code, "{path}: {answer}");
        assert!(
            answer["error"]
                .as_str()
                .is_some_and(|error| !error.is_empty())
        );
        assert_eq!(snapshot(&dir), before, "{path} changed the repository");
    }
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "secret\n");
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}
