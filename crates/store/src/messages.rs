//! Chat messages, and the append-only log of every raw event an agent emitted.
//!
//! Both keep an autoincrement `seq`, so their order is the order of writing even when two rows
//! share a timestamp.
//!
//! Costs stay proportional to what is written: a streaming reply's text is appended delta by
//! delta to `message_parts` (readers see `content` followed by its parts; the turn's end folds
//! them in), and each session's event log keeps only its newest events ([`EVENT_RETENTION`]).

use crate::error::{corrupt, is_foreign_key_violation};
use crate::sessions::session_gone;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use domain::{Message, MessageId, Role, SessionId, ToolUse};
use serde_json::{Map, Value};
use std::sync::LazyLock;
use uuid::fmt::Hyphenated;

/// How much of its raw event log a session keeps: the newest events within both bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventRetention {
    pub events: i64,
    pub bytes: i64,
}

/// Per session: the newest 20,000 events, and no more than 64 MiB of them.
pub const EVENT_RETENTION: EventRetention = EventRetention {
    events: 20_000,
    bytes: 64 * 1024 * 1024,
};

/// Retention is enforced once every this many appends (of any session): the log of a session may
/// exceed its bounds by the events of one period, and no append pays for a scan.
const RETENTION_PERIOD: i64 = 2048;

/// Multi-row inserts into the event log, one per power of two up to 256 rows: `(rows, SQL)`,
/// smallest first. The session (`?1`) and the time (`?2`) are shared by every row.
static EVENT_BATCHES: LazyLock<Vec<(usize, String)>> = LazyLock::new(|| {
    (0..=8)
        .map(|power| {
            let rows = 1usize << power;
            let values: Vec<String> = (0..rows)
                .map(|row| {
                    let first = 3 + row * 3;
                    format!("(?1, ?{first}, ?{}, ?{}, ?2)", first + 1, first + 2)
                })
                .collect();
            let sql = format!(
                "INSERT INTO events (session_id, kind, payload_json, size, created_at) VALUES {} RETURNING seq",
                values.join(", ")
            );
            (rows, sql)
        })
        .collect()
});

/// A message with its streamed parts appended, as readers must see it.
const SELECT_MESSAGES: &str = "SELECT m.id, m.session_id, m.role,
     m.content || COALESCE(
         (SELECT group_concat(p.text, '' ORDER BY p.seq) FROM message_parts p
          WHERE p.message_id = m.id), '') AS content,
     m.tool_use, m.cost_usd, m.interrupted, m.created_at
     FROM messages m WHERE m.session_id = ?1 ORDER BY m.seq";

/// What storing a message needs; the store gives it an id and a time.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub session_id: SessionId,
    pub role: Role,
    pub content: String,
    pub tool_use: Vec<ToolUse>,
    pub cost_usd: Option<f64>,
    pub interrupted: bool,
}

/// What a stretch of a turn's output adds to the store (see [`Store::append_output`]).
#[derive(Clone, Copy, Debug)]
pub struct TurnOutput<'a> {
    pub session: SessionId,
    pub message: MessageId,
    /// Raw events in the order the agent printed them: `(kind, JSON text)`.
    pub events: &'a [(String, String)],
    /// Text to append to the reply.
    pub text: &'a str,
    /// The reply's tool calls, when they changed.
    pub tool_use: Option<&'a [ToolUse]>,
}

/// A change to a message as its turn progresses; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct MessageUpdate {
    /// Replaces the whole text, appended parts included.
    pub content: Option<String>,
    /// Replaces the whole list.
    pub tool_use: Option<Vec<ToolUse>>,
    pub cost_usd: Option<f64>,
    pub interrupted: Option<bool>,
}

/// One raw agent event as it was logged.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    /// Position in the whole log: increases with every append, across sessions.
    pub seq: i64,
    pub kind: String,
    pub payload_json: String,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: Hyphenated,
    session_id: Hyphenated,
    role: String,
    content: String,
    tool_use: String,
    cost_usd: Option<f64>,
    interrupted: bool,
    created_at: DateTime<Utc>,
}

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;

    fn try_from(row: MessageRow) -> Result<Self, StoreError> {
        Ok(Message {
            id: MessageId::from_uuid(row.id.into_uuid()),
            session_id: SessionId::from_uuid(row.session_id.into_uuid()),
            role: role_from_text(&row.role)?,
            content: row.content,
            tool_use: tool_use_from_json(&row.tool_use)?,
            cost_usd: row.cost_usd,
            interrupted: row.interrupted,
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    kind: String,
    payload_json: String,
    created_at: DateTime<Utc>,
}

impl From<EventRow> for StoredEvent {
    fn from(row: EventRow) -> Self {
        StoredEvent {
            seq: row.seq,
            kind: row.kind,
            payload_json: row.payload_json,
            created_at: row.created_at,
        }
    }
}

fn role_from_text(text: &str) -> Result<Role, StoreError> {
    match text {
        "user" => Ok(Role::User),
        "assistant" => Ok(Role::Assistant),
        other => Err(corrupt(
            "messages.role",
            format!("`{other}` is neither `user` nor `assistant`"),
        )),
    }
}

/// Encodes tool uses as a JSON array of `{id, tool, input, result}`. `input` stays the JSON
/// text the agent sent, as a string, so it reads back byte for byte.
fn tool_use_to_json(tool_uses: &[ToolUse]) -> String {
    let array = tool_uses
        .iter()
        .map(|tool_use| {
            let mut object = Map::new();
            object.insert("id".into(), Value::String(tool_use.id.clone()));
            object.insert("tool".into(), Value::String(tool_use.tool.clone()));
            object.insert("input".into(), Value::String(tool_use.input.clone()));
            object.insert(
                "result".into(),
                tool_use.result.clone().map_or(Value::Null, Value::String),
            );
            Value::Object(object)
        })
        .collect();
    Value::Array(array).to_string()
}

fn tool_use_from_json(text: &str) -> Result<Vec<ToolUse>, StoreError> {
    const COLUMN: &str = "messages.tool_use";
    let value: Value = serde_json::from_str(text).map_err(|error| corrupt(COLUMN, error))?;
    let Value::Array(items) = value else {
        return Err(corrupt(COLUMN, "not a JSON array"));
    };
    items
        .iter()
        .map(|item| {
            let text_field = |name: &str| {
                item.get(name)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| corrupt(COLUMN, format!("an entry lacks the text `{name}`")))
            };
            let result = match item.get("result") {
                None | Some(Value::Null) => None,
                Some(_) => Some(text_field("result")?),
            };
            Ok(ToolUse {
                id: text_field("id")?,
                tool: text_field("tool")?,
                input: text_field("input")?,
                result,
            })
        })
        .collect()
}

impl Store {
    /// Stores a message at the end of its session's history.
    /// A `Conflict` when the session no longer exists.
    pub async fn insert_message(&self, new: NewMessage) -> Result<Message, StoreError> {
        let _turn = self.write_turn().await;
        let result = sqlx::query_as::<_, MessageRow>(
            "INSERT INTO messages
                 (id, session_id, role, content, tool_use, cost_usd, interrupted, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             RETURNING *",
        )
        .bind(MessageId::new().to_string())
        .bind(new.session_id.to_string())
        .bind(new.role.as_str())
        .bind(&new.content)
        .bind(tool_use_to_json(&new.tool_use))
        .bind(new.cost_usd)
        .bind(new.interrupted)
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await;
        match result {
            Ok(row) => row.try_into(),
            Err(error) if is_foreign_key_violation(&error) => Err(session_gone(new.session_id)),
            Err(error) => Err(error.into()),
        }
    }

    /// Updates a message as its turn streams in. A `Conflict` when the message no longer
    /// exists (its session was deleted).
    pub async fn update_message(
        &self,
        id: MessageId,
        update: MessageUpdate,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut transaction = self.pool.begin().await?;
        if update.content.is_some() {
            sqlx::query("DELETE FROM message_parts WHERE message_id = ?1")
                .bind(id.to_string())
                .execute(&mut *transaction)
                .await?;
        }
        let result = sqlx::query(
            "UPDATE messages SET
                 content = COALESCE(?2, content),
                 tool_use = COALESCE(?3, tool_use),
                 cost_usd = COALESCE(?4, cost_usd),
                 interrupted = COALESCE(?5, interrupted)
             WHERE id = ?1",
        )
        .bind(id.to_string())
        .bind(update.content)
        .bind(update.tool_use.as_deref().map(tool_use_to_json))
        .bind(update.cost_usd)
        .bind(update.interrupted)
        .execute(&mut *transaction)
        .await?;
        if result.rows_affected() == 0 {
            return Err(message_gone(id));
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Appends streamed text to a message: one small write, whatever the message's length.
    /// A `Conflict` when the message no longer exists.
    pub async fn append_message_text(&self, id: MessageId, text: &str) -> Result<(), StoreError> {
        if text.is_empty() {
            return Ok(());
        }
        let result = sqlx::query("INSERT INTO message_parts (message_id, text) VALUES (?1, ?2)")
            .bind(id.to_string())
            .bind(text)
            .execute(&self.pool)
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if is_foreign_key_violation(&error) => Err(message_gone(id)),
            Err(error) => Err(error.into()),
        }
    }

    /// Folds a message's appended parts into its content, once its turn has ended: the one
    /// write of the whole text.
    pub async fn fold_message_text(&self, id: MessageId) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut transaction = self.pool.begin().await?;
        sqlx::query(
            "UPDATE messages SET content = content || COALESCE(
                 (SELECT group_concat(text, '' ORDER BY seq) FROM message_parts
                  WHERE message_id = ?1), '')
             WHERE id = ?1 AND EXISTS (SELECT 1 FROM message_parts WHERE message_id = ?1)",
        )
        .bind(id.to_string())
        .execute(&mut *transaction)
        .await?;
        sqlx::query("DELETE FROM message_parts WHERE message_id = ?1")
            .bind(id.to_string())
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(())
    }

    /// A session's messages, oldest first.
    pub async fn messages(&self, session: SessionId) -> Result<Vec<Message>, StoreError> {
        sqlx::query_as::<_, MessageRow>(SELECT_MESSAGES)
            .bind(session.to_string())
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(Message::try_from)
            .collect()
    }

    /// Appends one raw agent event to the session's log and returns its `seq`. Every
    /// `RETENTION_PERIOD` appends, the session's log is cut to [`EVENT_RETENTION`].
    /// A `Conflict` when the session no longer exists.
    pub async fn append_event(
        &self,
        session: SessionId,
        kind: &str,
        payload_json: &str,
    ) -> Result<i64, StoreError> {
        let result = sqlx::query_scalar(
            "INSERT INTO events (session_id, kind, payload_json, size, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             RETURNING seq",
        )
        .bind(session.to_string())
        .bind(kind)
        .bind(payload_json)
        .bind(payload_json.len() as i64)
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await;
        let seq = match result {
            Ok(seq) => seq,
            Err(error) if is_foreign_key_violation(&error) => return Err(session_gone(session)),
            Err(error) => return Err(error.into()),
        };
        if seq % RETENTION_PERIOD == 0 {
            self.trim_events(session, EVENT_RETENTION).await?;
        }
        Ok(seq)
    }

    /// Writes what one stretch of a turn's output adds, in one transaction: its raw events
    /// appended to the session's log, its text appended to the reply, and the reply's tool calls
    /// when they changed. The cost is that of the new rows alone, so a reply streamed as thousands
    /// of deltas costs one commit per stretch read, not one per delta.
    /// A `Conflict` when the session or the message no longer exists.
    pub async fn append_output(&self, output: TurnOutput<'_>) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let gone = |error: sqlx::Error| {
            if is_foreign_key_violation(&error) {
                session_gone(output.session)
            } else {
                error.into()
            }
        };
        let session = output.session.to_string();
        let message = output.message.to_string();
        let now = Utc::now();
        let mut trim = false;
        let mut transaction = self.pool.begin().await?;
        let mut events = output.events;
        // A few multi-row inserts of fixed sizes: one round trip to the database per batch,
        // not per event, and never more than `EVENT_BATCHES.len()` distinct statements.
        for (size, sql) in EVENT_BATCHES.iter().rev() {
            while events.len() >= *size {
                let (batch, rest) = events.split_at(*size);
                events = rest;
                let mut insert = sqlx::query_scalar::<_, i64>(sql.as_str())
                    .bind(&session)
                    .bind(now);
                for (kind, payload_json) in batch {
                    insert = insert
                        .bind(kind)
                        .bind(payload_json)
                        .bind(payload_json.len() as i64);
                }
                let seqs = insert.fetch_all(&mut *transaction).await.map_err(gone)?;
                trim |= seqs.iter().any(|seq| seq % RETENTION_PERIOD == 0);
            }
        }
        if !output.text.is_empty() {
            sqlx::query("INSERT INTO message_parts (message_id, text) VALUES (?1, ?2)")
                .bind(&message)
                .bind(output.text)
                .execute(&mut *transaction)
                .await
                .map_err(|error| {
                    if is_foreign_key_violation(&error) {
                        message_gone(output.message)
                    } else {
                        error.into()
                    }
                })?;
        }
        if let Some(tool_use) = output.tool_use {
            let result = sqlx::query("UPDATE messages SET tool_use = ?2 WHERE id = ?1")
                .bind(&message)
                .bind(tool_use_to_json(tool_use))
                .execute(&mut *transaction)
                .await?;
            if result.rows_affected() == 0 {
                return Err(message_gone(output.message));
            }
        }
        transaction.commit().await?;
        if trim {
            self.trim_events(output.session, EVENT_RETENTION).await?;
        }
        Ok(())
    }

    /// Deletes a session's events beyond `retention`, oldest first. Reads only the index of
    /// `(session, seq, size)`, newest first, and stops at the first event to drop.
    pub async fn trim_events(
        &self,
        session: SessionId,
        retention: EventRetention,
    ) -> Result<u64, StoreError> {
        let oldest_dropped: Option<i64> = sqlx::query_scalar(
            "SELECT seq FROM (
                 SELECT seq,
                        row_number() OVER newest AS position,
                        sum(size) OVER newest AS bytes
                 FROM events WHERE session_id = ?1
                 WINDOW newest AS (ORDER BY seq DESC)
             )
             WHERE position > ?2 OR bytes > ?3
             ORDER BY seq DESC
             LIMIT 1",
        )
        .bind(session.to_string())
        .bind(retention.events)
        .bind(retention.bytes)
        .fetch_optional(&self.pool)
        .await?;
        let Some(oldest_dropped) = oldest_dropped else {
            return Ok(0);
        };
        let deleted = sqlx::query("DELETE FROM events WHERE session_id = ?1 AND seq <= ?2")
            .bind(session.to_string())
            .bind(oldest_dropped)
            .execute(&self.pool)
            .await?;
        Ok(deleted.rows_affected())
    }

    /// A session's event log, oldest first.
    pub async fn events(&self, session: SessionId) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query_as::<_, EventRow>(
            "SELECT seq, kind, payload_json, created_at FROM events
             WHERE session_id = ?1 ORDER BY seq",
        )
        .bind(session.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(StoredEvent::from).collect())
    }
}

fn message_gone(id: MessageId) -> StoreError {
    StoreError::Conflict(format!(
        "message {id} does not exist (its session may have just been deleted)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_uses_round_trip_through_json_unchanged() {
        let tool_uses = vec![
            ToolUse {
                id: "toolu_1".into(),
                tool: "Write".into(),
                input: r#"{"file_path":"/workspace/a.txt","content":"hi\n"}"#.into(),
                result: Some("File created".into()),
            },
            ToolUse {
                id: "toolu_2".into(),
                tool: "Bash".into(),
                input: r#"{ "command" : "ls" }"#.into(),
                result: None,
            },
        ];
        let json = tool_use_to_json(&tool_uses);
        assert_eq!(tool_use_from_json(&json).unwrap(), tool_uses);
    }

    #[test]
    fn no_tool_uses_are_stored_as_an_empty_array() {
        assert_eq!(tool_use_to_json(&[]), "[]");
        assert!(tool_use_from_json("[]").unwrap().is_empty());
    }

    #[test]
    fn a_tool_use_without_a_name_is_reported_as_corrupt() {
        let error = tool_use_from_json(r#"[{"id":"x","input":"{}"}]"#).unwrap_err();
        assert!(error.to_string().contains("`tool`"), "{error}");
    }

    #[test]
    fn unknown_roles_are_reported_as_corrupt() {
        let error = role_from_text("system").unwrap_err();
        assert!(error.to_string().contains("messages.role"), "{error}");
    }
}
