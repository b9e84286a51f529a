//! Projects: create, read, list, update, delete, and the one-project-per-directory rule.

use crate::{TestStore, new_project, tick};
use domain::ProjectId;
use std::path::Path;
use store::{ProjectUpdate, StoreError};

#[tokio::test]
async fn a_created_project_reads_back_unchanged() {
    let test = TestStore::new().await;
    let mut new = new_project("alpha");
    new.agent_image = Some("claude-agent-node".into());

    let project = test.store.create_project(new).await.unwrap();
    assert_eq!(project.name, "alpha");
    assert_eq!(project.description, "the alpha project");
    assert_eq!(project.path, Path::new("/projects/alpha"));
    assert_eq!(project.agent_image.as_deref(), Some("claude-agent-node"));
    assert_eq!(project.created_at, project.updated_at);
    assert_eq!(test.store.project(project.id).await.unwrap(), Some(project));
}

#[tokio::test]
async fn an_unknown_project_is_none() {
    let test = TestStore::new().await;
    assert_eq!(test.store.project(ProjectId::new()).await.unwrap(), None);
}

#[tokio::test]
async fn projects_are_listed_oldest_first() {
    let test = TestStore::new().await;
    let first = test.project("first").await;
    let second = test.project("second").await;
    let third = test.project("third").await;
    assert_eq!(test.store.projects().await.unwrap(), [first, second, third]);
}

#[tokio::test]
async fn two_projects_cannot_share_a_directory() {
    let test = TestStore::new().await;
    test.project("alpha").await;

    let mut twin = new_project("alpha");
    twin.name = "another name".into();
    let error = test.store.create_project(twin).await.unwrap_err();
    let StoreError::Conflict(message) = error else {
        panic!("expected a conflict, got {error:?}");
    };
    assert!(message.contains("/projects/alpha"), "{message}");
    assert_eq!(test.store.projects().await.unwrap().len(), 1);
}

#[tokio::test]
async fn updating_a_project_changes_only_the_given_fields() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    tick().await;

    let updated = test
        .store
        .update_project(
            project.id,
            ProjectUpdate {
                name: Some("Alpha".into()),
                agent_image: Some(Some("claude-agent-python".into())),
                ..ProjectUpdate::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.name, "Alpha");
    assert_eq!(updated.description, project.description);
    assert_eq!(updated.agent_image.as_deref(), Some("claude-agent-python"));
    assert_eq!(updated.created_at, project.created_at);
    assert!(updated.updated_at > project.updated_at);
    assert_eq!(test.store.project(project.id).await.unwrap(), Some(updated));
}

#[tokio::test]
async fn a_project_image_can_be_cleared() {
    let test = TestStore::new().await;
    let mut new = new_project("alpha");
    new.agent_image = Some("claude-agent-node".into());
    let project = test.store.create_project(new).await.unwrap();

    let untouched = test
        .store
        .update_project(project.id, ProjectUpdate::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(untouched.agent_image.as_deref(), Some("claude-agent-node"));

    let cleared = test
        .store
        .update_project(
            project.id,
            ProjectUpdate {
                agent_image: Some(None),
                ..ProjectUpdate::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cleared.agent_image, None);
}

#[tokio::test]
async fn updating_an_unknown_project_is_none() {
    let test = TestStore::new().await;
    let update = ProjectUpdate {
        name: Some("ghost".into()),
        ..ProjectUpdate::default()
    };
    assert_eq!(
        test.store
            .update_project(ProjectId::new(), update)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn deleting_a_project_says_whether_it_existed() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;

    assert!(test.store.delete_project(project.id).await.unwrap());
    assert_eq!(test.store.project(project.id).await.unwrap(), None);
    assert!(!test.store.delete_project(project.id).await.unwrap());
}

#[tokio::test]
async fn a_deleted_projects_directory_can_be_used_again() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    test.store.delete_project(project.id).await.unwrap();

    test.project("alpha").await;
}
