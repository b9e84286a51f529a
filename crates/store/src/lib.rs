//! SQLite store: the schema (`migrations/`), and the conversion between rows and `domain` records.
//!
//! This is the only crate with SQL. It knows nothing of HTTP, Docker or git: it keeps projects,
//! agents, sessions, chat messages and the raw event log of each session, and reports the
//! conflicts a caller can act on (a duplicate path or name, an agent still in use) as
//! [`StoreError::Conflict`].

mod agents;
mod error;
mod messages;
mod projects;
mod sessions;
mod setup;
mod usage;

pub use agents::AgentUpdate;
pub use error::StoreError;
pub use messages::{
    EVENT_RETENTION, EventRetention, MessageUpdate, NewMessage, StoredEvent, TurnOutput,
};
pub use projects::ProjectUpdate;
pub use sessions::SessionUpdate;
pub use usage::SessionUsage;

use anyhow::Context;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::time::Duration;

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "agentyard.db";

/// How long a connection waits for another writer before it gives up with "database is locked".
/// SQLite lets one connection write at a time; the writes of turns queue in the store first (see
/// `Store::writes`), so the engine's own busy wait is for the rare writes of other requests.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The name of the agent seeded into a fresh database.
const DEFAULT_AGENT_NAME: &str = "Claude";

/// A handle on Agentyard's database. Cheap to clone: clones share one connection pool.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// The frequent writes of running turns (their output, messages, run states) take turns here,
    /// first come first served, instead of meeting in SQLite's busy handler, which polls with
    /// growing sleeps and lets an unlucky writer wait past any timeout when many sessions stream.
    writes: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl Store {
    /// Opens (creating when needed) `data_dir/agentyard.db`, brings its schema up to date and
    /// makes sure a default agent exists.
    pub async fn open(data_dir: &Path) -> Result<Store, StoreError> {
        tokio::fs::create_dir_all(data_dir).await.with_context(|| {
            format!(
                "cannot create the data directory {}; check that its parent exists and is writable, or choose another AGENTYARD_DATA_DIR",
                data_dir.display()
            )
        })?;
        let file = data_dir.join(DATABASE_FILE);
        let options = SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true)
            // WAL lets the UI read history while a turn is writing it.
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across application crashes in WAL mode, and much faster than FULL.
            .synchronous(SqliteSynchronous::Normal)
            // Cascading deletes and the "agent in use" guard depend on enforced foreign keys.
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .connect_with(options)
            .await
            .with_context(|| format!("cannot open the database {}", file.display()))?;
        sqlx::migrate!()
            .run(&pool)
            .await
            .with_context(|| format!("cannot migrate the database {}", file.display()))?;
        let store = Store {
            pool,
            writes: std::sync::Arc::default(),
        };
        store.seed_default_agent().await?;
        Ok(store)
    }

    /// Waits for the turn of a frequent write (see `writes`).
    async fn write_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.writes.lock().await
    }

    /// Inserts the default agent unless one exists, so it is seeded on the first open only
    /// (and a renamed default agent is not seeded again). `OR IGNORE` lets a second process
    /// opening the same fresh database lose the race quietly instead of failing.
    async fn seed_default_agent(&self) -> Result<(), StoreError> {
        let now = chrono::Utc::now();
        sqlx::query(
            "INSERT OR IGNORE INTO agents (id, name, system_prompt, is_default, created_at, updated_at)
             SELECT ?1, ?2, '', 1, ?3, ?3
             WHERE NOT EXISTS (SELECT 1 FROM agents WHERE is_default = 1)",
        )
        .bind(domain::AgentId::new().to_string())
        .bind(DEFAULT_AGENT_NAME)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The journal mode SQLite reports, such as `wal`; exposed so tests and health checks can
    /// confirm the database runs the way `open` configured it.
    pub async fn journal_mode(&self) -> Result<String, StoreError> {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&self.pool)
            .await?;
        Ok(mode)
    }
}

/// Paths are stored as text; a path that is not UTF-8 cannot be stored faithfully, so it is
/// refused rather than silently mangled.
fn path_text(path: &Path) -> Result<&str, StoreError> {
    path.to_str().ok_or_else(|| {
        StoreError::Unexpected(anyhow::anyhow!(
            "the path {} is not valid UTF-8 and cannot be stored; rename it",
            path.display()
        ))
    })
}
