//! Sessions: create, read, list, settings, status, run state, worktree, images, reset at boot.

use crate::{TestStore, new_agent, tick};
use domain::{AgentId, NewSession, ProjectId, RunState, SessionId, SessionMode, SessionStatus};
use std::path::Path;
use store::{SessionUpdate, StoreError};

fn conflict_message(error: StoreError) -> String {
    match error {
        StoreError::Conflict(message) => message,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn a_new_session_starts_in_the_backlog_and_idle() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let agent = test.store.default_agent().await.unwrap();

    let session = test
        .store
        .create_session(NewSession {
            project_id: project.id,
            agent_id: agent.id,
            title: "Fix the build".into(),
            mode: SessionMode::Explore,
            docker_image: Some("claude-agent-node".into()),
        })
        .await
        .unwrap();
    assert_eq!(session.project_id, project.id);
    assert_eq!(session.agent_id, agent.id);
    assert_eq!(session.title, "Fix the build");
    assert_eq!(session.status, SessionStatus::Backlog);
    assert_eq!(session.mode, SessionMode::Explore);
    assert_eq!(session.run_state, RunState::Idle);
    assert_eq!(session.docker_image.as_deref(), Some("claude-agent-node"));
    assert_eq!(session.worktree_path, None);
    assert_eq!(session.branch, None);
    assert_eq!(session.image, None);
    assert_eq!(session.cc_session_id, None);
    assert_eq!(test.store.session(session.id).await.unwrap(), Some(session));
}

#[tokio::test]
async fn a_session_of_an_unknown_project_is_a_conflict_naming_the_project() {
    let test = TestStore::new().await;
    let agent = test.store.default_agent().await.unwrap();
    let missing = ProjectId::new();

    let error = test
        .store
        .create_session(NewSession {
            project_id: missing,
            agent_id: agent.id,
            title: String::new(),
            mode: SessionMode::Execute,
            docker_image: None,
        })
        .await
        .unwrap_err();
    assert!(conflict_message(error).contains(&format!("project {missing}")));
}

#[tokio::test]
async fn a_session_of_an_unknown_agent_is_a_conflict_naming_the_agent() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let missing = AgentId::new();

    let error = test
        .store
        .create_session(NewSession {
            project_id: project.id,
            agent_id: missing,
            title: String::new(),
            mode: SessionMode::Execute,
            docker_image: None,
        })
        .await
        .unwrap_err();
    assert!(conflict_message(error).contains(&format!("agent {missing}")));
}

#[tokio::test]
async fn sessions_are_listed_oldest_first_for_one_project_or_all() {
    let test = TestStore::new().await;
    let alpha = test.project("alpha").await;
    let beta = test.project("beta").await;
    let first = test.session(&alpha).await;
    let second = test.session(&beta).await;
    let third = test.session(&alpha).await;

    assert_eq!(
        test.store.sessions(Some(alpha.id)).await.unwrap(),
        [first.clone(), third.clone()]
    );
    assert_eq!(
        test.store.sessions(Some(beta.id)).await.unwrap(),
        std::slice::from_ref(&second)
    );
    assert_eq!(
        test.store.sessions(None).await.unwrap(),
        [first, second, third]
    );
}

#[tokio::test]
async fn updating_a_session_changes_only_the_given_fields() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let session = test.session(&project).await;
    let reviewer = test
        .store
        .create_agent(new_agent("Reviewer"))
        .await
        .unwrap();
    tick().await;

    let updated = test
        .store
        .update_session(
            session.id,
            SessionUpdate {
                agent_id: Some(reviewer.id),
                mode: Some(SessionMode::Ask),
                docker_image: Some(Some("claude-agent-python".into())),
                ..SessionUpdate::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.title, session.title);
    assert_eq!(updated.agent_id, reviewer.id);
    assert_eq!(updated.mode, SessionMode::Ask);
    assert_eq!(updated.docker_image.as_deref(), Some("claude-agent-python"));
    assert!(updated.updated_at > session.updated_at);

    let cleared = test
        .store
        .update_session(
            session.id,
            SessionUpdate {
                title: Some("Renamed".into()),
                docker_image: Some(None),
                ..SessionUpdate::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cleared.title, "Renamed");
    assert_eq!(cleared.agent_id, reviewer.id);
    assert_eq!(cleared.docker_image, None);
}

#[tokio::test]
async fn moving_a_session_to_an_unknown_agent_is_a_conflict() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let session = test.session(&project).await;

    let error = test
        .store
        .update_session(
            session.id,
            SessionUpdate {
                agent_id: Some(AgentId::new()),
                ..SessionUpdate::default()
            },
        )
        .await
        .unwrap_err();
    assert!(conflict_message(error).contains("does not exist"));
    assert_eq!(test.store.session(session.id).await.unwrap(), Some(session));
}

#[tokio::test]
async fn updating_an_unknown_session_is_none() {
    let test = TestStore::new().await;
    let id = SessionId::new();
    let store = &test.store;
    assert_eq!(
        store
            .update_session(id, SessionUpdate::default())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.set_status(id, SessionStatus::Done).await.unwrap(),
        None
    );
    assert_eq!(
        store.set_run_state(id, RunState::Running).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn status_and_run_state_are_set_independently() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let session = test.session(&project).await;
    tick().await;

    let moved = test
        .store
        .set_status(session.id, SessionStatus::InProgress)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.status, SessionStatus::InProgress);
    assert_eq!(moved.run_state, RunState::Idle);
    assert!(moved.updated_at > session.updated_at);

    let running = test
        .store
        .set_run_state(session.id, RunState::Running)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(running.status, SessionStatus::InProgress);
    assert_eq!(running.run_state, RunState::Running);
}

#[tokio::test]
async fn a_worktree_and_branch_are_recorded_and_cleared_together() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let session = test.session(&project).await;
    let worktree = project.path.join(".worktrees").join(session.id.to_string());
    let branch = format!("session/{}", session.id.short());

    test.store
        .set_worktree(session.id, Some(&worktree), Some(&branch))
        .await
        .unwrap();
    let stored = test.store.session(session.id).await.unwrap().unwrap();
    assert_eq!(stored.worktree_path.as_deref(), Some(worktree.as_path()));
    assert_eq!(stored.branch.as_deref(), Some(branch.as_str()));

    test.store
        .set_worktree(session.id, None, None)
        .await
        .unwrap();
    let stored = test.store.session(session.id).await.unwrap().unwrap();
    assert_eq!(stored.worktree_path, None);
    assert_eq!(stored.branch, None);
}

#[tokio::test]
async fn the_spawned_image_and_claude_session_id_are_recorded() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let session = test.session(&project).await;

    test.store
        .set_image(session.id, "claude-agent-base")
        .await
        .unwrap();
    test.store
        .set_cc_session_id(session.id, "4f1c0a9e-cc")
        .await
        .unwrap();
    let stored = test.store.session(session.id).await.unwrap().unwrap();
    assert_eq!(stored.image.as_deref(), Some("claude-agent-base"));
    assert_eq!(stored.cc_session_id.as_deref(), Some("4f1c0a9e-cc"));
    assert_eq!(stored.docker_image, None, "the requested image is separate");
}

#[tokio::test]
async fn recording_on_a_deleted_session_is_a_conflict() {
    let test = TestStore::new().await;
    let id = SessionId::new();
    let store = &test.store;

    let errors = [
        store
            .set_worktree(id, Some(Path::new("/projects/x")), Some("b"))
            .await
            .unwrap_err(),
        store.set_image(id, "claude-agent-base").await.unwrap_err(),
        store.set_cc_session_id(id, "cc").await.unwrap_err(),
    ];
    for error in errors {
        assert!(conflict_message(error).contains(&id.to_string()));
    }
}

#[tokio::test]
async fn reset_run_states_makes_every_session_idle_and_counts_the_changed_ones() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let running = test.session(&project).await;
    let starting = test.session(&project).await;
    let idle = test.session(&project).await;
    test.store
        .set_run_state(running.id, RunState::Running)
        .await
        .unwrap();
    test.store
        .set_run_state(starting.id, RunState::Starting)
        .await
        .unwrap();

    assert_eq!(test.store.reset_run_states().await.unwrap(), 2);
    for session in test.store.sessions(None).await.unwrap() {
        assert_eq!(session.run_state, RunState::Idle);
    }
    let untouched = test.store.session(idle.id).await.unwrap().unwrap();
    assert_eq!(untouched.updated_at, idle.updated_at);
    assert_eq!(test.store.reset_run_states().await.unwrap(), 0);
}

#[tokio::test]
async fn deleting_a_session_says_whether_it_existed() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let session = test.session(&project).await;

    assert!(test.store.delete_session(session.id).await.unwrap());
    assert_eq!(test.store.session(session.id).await.unwrap(), None);
    assert!(!test.store.delete_session(session.id).await.unwrap());
    assert!(test.store.project(project.id).await.unwrap().is_some());
}

#[tokio::test]
async fn a_delegated_session_records_its_creator_and_depth_until_the_creator_is_deleted() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let creator = test.session(&project).await;
    assert_eq!(creator.delegation, None, "a user's session has no creator");
    let agent = test.store.default_agent().await.unwrap();
    let delegated = test
        .store
        .create_delegated_session(
            NewSession {
                project_id: project.id,
                agent_id: agent.id,
                title: "delegated".into(),
                mode: SessionMode::Ask,
                docker_image: None,
            },
            creator.id,
            2,
        )
        .await
        .unwrap();
    let recorded = delegated.delegation.expect("recorded");
    assert_eq!(recorded.creator, Some(creator.id));
    assert_eq!(recorded.depth, 2);
    assert_eq!(
        test.store.session(delegated.id).await.unwrap(),
        Some(delegated.clone())
    );

    assert!(test.store.delete_session(creator.id).await.unwrap());
    let orphan = test.store.session(delegated.id).await.unwrap().unwrap();
    assert_eq!(
        orphan.delegation,
        Some(domain::Delegation {
            creator: None,
            depth: 2
        }),
        "the depth outlives the creator"
    );
}
