//! Deleting cascades: a project takes its sessions, a session its messages and events.

use crate::TestStore;
use domain::Role;
use store::NewMessage;

async fn fill(test: &TestStore, session: domain::SessionId) {
    test.store
        .insert_message(NewMessage {
            session_id: session,
            role: Role::User,
            content: "hello".into(),
            tool_use: Vec::new(),
            cost_usd: None,
            interrupted: false,
        })
        .await
        .unwrap();
    test.store
        .append_event(session, "system", "{}")
        .await
        .unwrap();
}

#[tokio::test]
async fn deleting_a_session_deletes_its_messages_and_events_only() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let doomed = test.session(&project).await;
    let kept = test.session(&project).await;
    fill(&test, doomed.id).await;
    fill(&test, kept.id).await;

    test.store.delete_session(doomed.id).await.unwrap();

    assert!(test.store.messages(doomed.id).await.unwrap().is_empty());
    assert!(test.store.events(doomed.id).await.unwrap().is_empty());
    assert_eq!(test.store.messages(kept.id).await.unwrap().len(), 1);
    assert_eq!(test.store.events(kept.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn deleting_a_project_deletes_its_sessions_with_their_messages_and_events() {
    let test = TestStore::new().await;
    let doomed = test.project("doomed").await;
    let kept = test.project("kept").await;
    let doomed_session = test.session(&doomed).await;
    let kept_session = test.session(&kept).await;
    fill(&test, doomed_session.id).await;
    fill(&test, kept_session.id).await;

    assert!(test.store.delete_project(doomed.id).await.unwrap());

    assert_eq!(test.store.session(doomed_session.id).await.unwrap(), None);
    assert!(
        test.store
            .messages(doomed_session.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        test.store
            .events(doomed_session.id)
            .await
            .unwrap()
            .is_empty()
    );
    let remaining = test.store.sessions(None).await.unwrap();
    assert_eq!(remaining, std::slice::from_ref(&kept_session));
    assert_eq!(test.store.messages(kept_session.id).await.unwrap().len(), 1);
    assert_eq!(test.store.events(kept_session.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_agent_is_free_to_delete_once_its_sessions_are_gone() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let agent = test
        .store
        .create_agent(crate::new_agent("Reviewer"))
        .await
        .unwrap();
    test.store
        .create_session(domain::NewSession {
            project_id: project.id,
            agent_id: agent.id,
            title: String::new(),
            mode: domain::SessionMode::Execute,
            docker_image: None,
        })
        .await
        .unwrap();
    assert!(test.store.delete_agent(agent.id).await.is_err());

    test.store.delete_project(project.id).await.unwrap();
    assert!(test.store.delete_agent(agent.id).await.unwrap());
}
