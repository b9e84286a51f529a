//! Agents: create, read, list, update, delete, unique names and the protected default.

use crate::{TestStore, new_agent, tick};
use domain::{AgentId, NewAgent, NewSession, SessionMode};
use store::{AgentUpdate, StoreError};

fn conflict_message(error: StoreError) -> String {
    match error {
        StoreError::Conflict(message) => message,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn a_created_agent_reads_back_unchanged() {
    let test = TestStore::new().await;
    let mut new = new_agent("Reviewer");
    new.icon = Some("🔍".into());
    new.docker_image = Some("claude-agent-python".into());

    let agent = test.store.create_agent(new).await.unwrap();
    assert_eq!(agent.name, "Reviewer");
    assert_eq!(agent.system_prompt, "You are Reviewer.");
    assert_eq!(agent.model.as_deref(), Some("sonnet"));
    assert_eq!(agent.icon.as_deref(), Some("🔍"));
    assert_eq!(agent.docker_image.as_deref(), Some("claude-agent-python"));
    assert!(!agent.is_default);
    assert_eq!(test.store.agent(agent.id).await.unwrap(), Some(agent));
}

#[tokio::test]
async fn agents_are_found_by_name_ignoring_case() {
    let test = TestStore::new().await;
    let agent = test
        .store
        .create_agent(new_agent("Reviewer"))
        .await
        .unwrap();

    assert_eq!(
        test.store.agent_by_name("reviewer").await.unwrap(),
        Some(agent)
    );
    assert_eq!(test.store.agent_by_name("nobody").await.unwrap(), None);
}

#[tokio::test]
async fn agents_are_listed_oldest_first_after_the_default() {
    let test = TestStore::new().await;
    let default = test.store.default_agent().await.unwrap();
    let first = test.store.create_agent(new_agent("First")).await.unwrap();
    let second = test.store.create_agent(new_agent("Second")).await.unwrap();
    assert_eq!(test.store.agents().await.unwrap(), [default, first, second]);
}

#[tokio::test]
async fn two_agents_cannot_share_a_name_even_in_another_case() {
    let test = TestStore::new().await;
    test.store
        .create_agent(new_agent("Reviewer"))
        .await
        .unwrap();

    let error = test
        .store
        .create_agent(new_agent("REVIEWER"))
        .await
        .unwrap_err();
    assert!(conflict_message(error).contains("`REVIEWER`"));
}

#[tokio::test]
async fn renaming_an_agent_to_a_taken_name_is_a_conflict() {
    let test = TestStore::new().await;
    let agent = test
        .store
        .create_agent(new_agent("Reviewer"))
        .await
        .unwrap();

    let error = test
        .store
        .update_agent(
            agent.id,
            AgentUpdate {
                name: Some("claude".into()),
                ..AgentUpdate::default()
            },
        )
        .await
        .unwrap_err();
    assert!(conflict_message(error).contains("`claude`"));
    assert_eq!(test.store.agent(agent.id).await.unwrap(), Some(agent));
}

#[tokio::test]
async fn updating_an_agent_changes_only_the_given_fields() {
    let test = TestStore::new().await;
    let agent = test
        .store
        .create_agent(new_agent("Reviewer"))
        .await
        .unwrap();
    tick().await;

    let updated = test
        .store
        .update_agent(
            agent.id,
            AgentUpdate {
                system_prompt: Some("Review carefully.".into()),
                model: Some(None),
                icon: Some(Some("🦉".into())),
                ..AgentUpdate::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.name, "Reviewer");
    assert_eq!(updated.system_prompt, "Review carefully.");
    assert_eq!(updated.model, None);
    assert_eq!(updated.icon.as_deref(), Some("🦉"));
    assert_eq!(updated.docker_image, None);
    assert!(updated.updated_at > agent.updated_at);
    assert_eq!(test.store.agent(agent.id).await.unwrap(), Some(updated));
}

#[tokio::test]
async fn updating_an_unknown_agent_is_none() {
    let test = TestStore::new().await;
    let updated = test
        .store
        .update_agent(AgentId::new(), AgentUpdate::default())
        .await
        .unwrap();
    assert_eq!(updated, None);
}

#[tokio::test]
async fn the_default_agent_cannot_be_deleted() {
    let test = TestStore::new().await;
    let default = test.store.default_agent().await.unwrap();

    let error = test.store.delete_agent(default.id).await.unwrap_err();
    assert!(conflict_message(error).contains("default agent"));
    assert_eq!(test.store.agent(default.id).await.unwrap(), Some(default));
}

#[tokio::test]
async fn an_agent_in_use_cannot_be_deleted_and_the_error_says_by_how_many_sessions() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let agent = test
        .store
        .create_agent(new_agent("Reviewer"))
        .await
        .unwrap();
    for _ in 0..2 {
        test.store
            .create_session(NewSession {
                project_id: project.id,
                agent_id: agent.id,
                title: "review".into(),
                mode: SessionMode::Ask,
                docker_image: None,
            })
            .await
            .unwrap();
    }

    let error = test.store.delete_agent(agent.id).await.unwrap_err();
    assert!(conflict_message(error).contains("2 session(s)"));
    assert!(test.store.agent(agent.id).await.unwrap().is_some());
}

#[tokio::test]
async fn deleting_an_unused_agent_says_whether_it_existed() {
    let test = TestStore::new().await;
    let agent = test
        .store
        .create_agent(new_agent("Reviewer"))
        .await
        .unwrap();

    assert!(test.store.delete_agent(agent.id).await.unwrap());
    assert_eq!(test.store.agent(agent.id).await.unwrap(), None);
    assert!(!test.store.delete_agent(agent.id).await.unwrap());
}

#[tokio::test]
async fn an_agents_tool_scope_defaults_to_its_project_and_can_be_widened() {
    let test = TestStore::new().await;
    assert_eq!(
        test.store.default_agent().await.unwrap().tool_scope,
        domain::ToolScope::Project
    );
    let agent = test.store.create_agent(new_agent("Roamer")).await.unwrap();
    assert_eq!(agent.tool_scope, domain::ToolScope::Project);
    let widened = test
        .store
        .update_agent(
            agent.id,
            AgentUpdate {
                tool_scope: Some(domain::ToolScope::AllProjects),
                ..AgentUpdate::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(widened.tool_scope, domain::ToolScope::AllProjects);
    assert_eq!(widened.name, "Roamer", "only the scope changed");
    assert_eq!(test.store.agent(agent.id).await.unwrap(), Some(widened));
}

#[tokio::test]
async fn an_agent_runs_claude_unless_it_chooses_codex() {
    let test = TestStore::new().await;
    assert_eq!(
        test.store.default_agent().await.unwrap().cli,
        domain::AgentCli::Claude
    );
    let created = test
        .store
        .create_agent(NewAgent {
            cli: domain::AgentCli::Codex,
            ..new_agent("Coder")
        })
        .await
        .unwrap();
    assert_eq!(created.cli, domain::AgentCli::Codex);
    let switched = test
        .store
        .update_agent(
            created.id,
            AgentUpdate {
                cli: Some(domain::AgentCli::Claude),
                ..AgentUpdate::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(switched.cli, domain::AgentCli::Claude);
    assert_eq!(test.store.agent(created.id).await.unwrap(), Some(switched));
}
