//! Session setup: what became of a session's setup script and of the files copied into its
//! worktree, one row per session (`session_setup`).

use crate::error::corrupt;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use domain::{CopyRefusal, CopyReport, SessionId, SessionSetup, SetupState};
use serde_json::{Value, json};
use uuid::fmt::Hyphenated;

#[derive(sqlx::FromRow)]
struct SetupRow {
    session_id: Hyphenated,
    state: String,
    exit_code: Option<i64>,
    output: String,
    copy_report: String,
    updated_at: DateTime<Utc>,
}

impl TryFrom<SetupRow> for SessionSetup {
    type Error = StoreError;

    fn try_from(row: SetupRow) -> Result<Self, StoreError> {
        Ok(SessionSetup {
            session_id: SessionId::from_uuid(row.session_id.into_uuid()),
            state: row
                .state
                .parse()
                .map_err(|error| corrupt("session_setup.state", error))?,
            exit_code: row.exit_code,
            output: row.output,
            copy_report: report_from_json(&row.copy_report)?,
            updated_at: row.updated_at,
        })
    }
}

fn report_json(report: &CopyReport) -> String {
    json!({
        "copied": report.copied,
        "refused": report
            .refused
            .iter()
            .map(|refusal| json!({"path": refusal.path, "reason": refusal.reason}))
            .collect::<Vec<_>>(),
    })
    .to_string()
}

fn report_from_json(text: &str) -> Result<CopyReport, StoreError> {
    const COLUMN: &str = "session_setup.copy_report";
    let value: Value = serde_json::from_str(text).map_err(|error| corrupt(COLUMN, error))?;
    let texts = |value: Option<&Value>| -> Vec<String> {
        value
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let refused = value
        .get("refused")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|item| CopyRefusal {
                    path: item["path"].as_str().unwrap_or_default().to_owned(),
                    reason: item["reason"].as_str().unwrap_or_default().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(CopyReport {
        copied: texts(value.get("copied")),
        refused,
    })
}

impl Store {
    /// The session's setup, `None` when nothing was copied for it and no script ran.
    pub async fn session_setup(&self, id: SessionId) -> Result<Option<SessionSetup>, StoreError> {
        sqlx::query_as::<_, SetupRow>("SELECT * FROM session_setup WHERE session_id = ?1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(SessionSetup::try_from)
            .transpose()
    }

    /// Records what copying files into the session's new worktree did; a new row is `pending`.
    pub async fn save_copy_report(
        &self,
        id: SessionId,
        report: &CopyReport,
    ) -> Result<SessionSetup, StoreError> {
        sqlx::query_as::<_, SetupRow>(
            "INSERT INTO session_setup (session_id, state, copy_report, created_at, updated_at)
             VALUES (?1, 'pending', ?2, ?3, ?3)
             ON CONFLICT (session_id) DO UPDATE SET copy_report = ?2, updated_at = ?3
             RETURNING *",
        )
        .bind(id.to_string())
        .bind(report_json(report))
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await?
        .try_into()
    }

    /// Records the state of the session's setup script with its exit code and output so far.
    pub async fn save_setup_run(
        &self,
        id: SessionId,
        state: SetupState,
        exit_code: Option<i64>,
        output: &str,
    ) -> Result<SessionSetup, StoreError> {
        sqlx::query_as::<_, SetupRow>(
            "INSERT INTO session_setup (session_id, state, exit_code, output, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT (session_id) DO UPDATE
                 SET state = ?2, exit_code = ?3, output = ?4, updated_at = ?5
             RETURNING *",
        )
        .bind(id.to_string())
        .bind(state.as_str())
        .bind(exit_code)
        .bind(output)
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await?
        .try_into()
    }

    /// Moves the session's setup to `to` when it is in one of the states `from`; `None` when it
    /// is not (or the session has no setup), and nothing changes.
    pub async fn change_setup_state(
        &self,
        id: SessionId,
        from: &[SetupState],
        to: SetupState,
    ) -> Result<Option<SessionSetup>, StoreError> {
        let from = Value::from(from.iter().map(SetupState::as_str).collect::<Vec<_>>());
        sqlx::query_as::<_, SetupRow>(
            "UPDATE session_setup SET state = ?2, updated_at = ?3
             WHERE session_id = ?1 AND state IN (SELECT value FROM json_each(?4))
             RETURNING *",
        )
        .bind(id.to_string())
        .bind(to.as_str())
        .bind(Utc::now())
        .bind(from.to_string())
        .fetch_optional(&self.pool)
        .await?
        .map(SessionSetup::try_from)
        .transpose()
    }
}
