//! Opening the database: creation, pragmas, migrations and the default agent.

use crate::TestStore;
use store::{AgentUpdate, Store};

#[tokio::test]
async fn opening_twice_seeds_the_default_agent_only_once() {
    let test = TestStore::new().await;
    let again = Store::open(test.dir.path()).await.unwrap();

    let agents = again.agents().await.unwrap();
    assert_eq!(agents.len(), 1, "{agents:?}");
    let agent = &agents[0];
    assert_eq!(agent.name, "Claude");
    assert!(agent.is_default);
    assert_eq!(agent.system_prompt, "");
    assert_eq!(again.default_agent().await.unwrap(), *agent);
}

#[tokio::test]
async fn a_renamed_default_agent_is_not_seeded_again() {
    let test = TestStore::new().await;
    let default = test.store.default_agent().await.unwrap();
    test.store
        .update_agent(
            default.id,
            AgentUpdate {
                name: Some("Robin".into()),
                ..AgentUpdate::default()
            },
        )
        .await
        .unwrap();

    let again = Store::open(test.dir.path()).await.unwrap();
    let names: Vec<String> = again
        .agents()
        .await
        .unwrap()
        .into_iter()
        .map(|agent| agent.name)
        .collect();
    assert_eq!(names, ["Robin"]);
}

#[tokio::test]
async fn the_database_runs_in_wal_mode() {
    let test = TestStore::new().await;
    assert_eq!(test.store.journal_mode().await.unwrap(), "wal");
    assert!(test.dir.path().join(store::DATABASE_FILE).is_file());
}

#[tokio::test]
async fn open_creates_a_missing_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("nested").join("data");
    Store::open(&data_dir).await.unwrap();
    assert!(data_dir.join("agentyard.db").is_file());
}

#[tokio::test]
async fn open_reports_a_data_directory_it_cannot_create() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();

    let error = Store::open(&file.join("data")).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("cannot create the data directory"),
        "{error}"
    );
}

#[tokio::test]
async fn data_survives_reopening() {
    let test = TestStore::new().await;
    let project = test.project("kept").await;
    drop(test.store);

    let again = Store::open(test.dir.path()).await.unwrap();
    assert_eq!(again.project(project.id).await.unwrap(), Some(project));
}
