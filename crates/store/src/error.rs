//! The store's error type, and the translation of SQLite constraint failures into it.

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The request contradicts what is stored (a duplicate project path or agent name, an agent
    /// still in use, a session naming a project that does not exist). The message says what to do.
    #[error("{0}")]
    Conflict(String),
    /// The database failed in a way the caller cannot fix; the detail is for the log.
    #[error("unexpected database error: {0:#}")]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::Unexpected(error.into())
    }
}

/// Whether `error` is SQLite refusing a duplicate value of a UNIQUE column.
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|database| database.is_unique_violation())
}

/// Whether `error` is SQLite refusing a row that names a missing (or still referenced) row.
pub(crate) fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|database| database.is_foreign_key_violation())
}

/// Turns a value read from the database that does not parse into an `Unexpected` error that
/// names the column, since it means the file was edited outside the store.
pub(crate) fn corrupt(column: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Unexpected(anyhow::anyhow!(
        "the stored value of `{column}` is invalid: {error}"
    ))
}
