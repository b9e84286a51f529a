//! Per-session model usage: the tokens the model proxy counted, and the cost the agent reported.

use crate::{Store, StoreError};
use domain::SessionId;

/// What a session has used of the model so far.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SessionUsage {
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// The sum of the costs the agent reported at the end of each turn, in US dollars.
    pub cost_usd: f64,
}

impl Store {
    /// Adds one answer's tokens to the session's account. Nothing happens when the session is gone.
    pub async fn add_session_usage(
        &self,
        session: SessionId,
        input_tokens: i64,
        output_tokens: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO session_usage (session_id, input_tokens, output_tokens)
             SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM sessions WHERE id = ?1)
             ON CONFLICT (session_id) DO UPDATE SET
                 input_tokens = input_tokens + excluded.input_tokens,
                 output_tokens = output_tokens + excluded.output_tokens",
        )
        .bind(session.to_string())
        .bind(input_tokens)
        .bind(output_tokens)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// What the session has spent, from the costs recorded on its messages.
    pub async fn session_cost(&self, session: SessionId) -> Result<f64, StoreError> {
        let (cost,): (Option<f64>,) =
            sqlx::query_as("SELECT SUM(cost_usd) FROM messages WHERE session_id = ?1")
                .bind(session.to_string())
                .fetch_one(&self.pool)
                .await?;
        Ok(cost.unwrap_or(0.0))
    }

    /// The session's tokens and cost; zeros for a session that has not called the model.
    pub async fn session_usage(&self, session: SessionId) -> Result<SessionUsage, StoreError> {
        let tokens: Option<(i64, i64)> = sqlx::query_as(
            "SELECT input_tokens, output_tokens FROM session_usage WHERE session_id = ?1",
        )
        .bind(session.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let (input_tokens, output_tokens) = tokens.unwrap_or_default();
        Ok(SessionUsage {
            input_tokens,
            output_tokens,
            cost_usd: self.session_cost(session).await?,
        })
    }
}
