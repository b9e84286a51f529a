//! Per-session model usage: the tokens and cost the model proxy counted, and the cost the agent reported.

use crate::{Store, StoreError};
use domain::SessionId;

/// What a session has used of the model so far.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SessionUsage {
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// The sum of the costs the agent reported at the end of each turn, in US dollars.
    pub cost_usd: f64,
    /// The cost of the session's model calls as the proxy priced them while they streamed, in US dollars.
    pub metered_cost_usd: f64,
}

impl Store {
    /// Adds one answer's tokens and its price to the session's account. Nothing happens when the
    /// session is gone.
    pub async fn add_session_usage(
        &self,
        session: SessionId,
        input_tokens: i64,
        output_tokens: i64,
        cost_usd: f64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO session_usage (session_id, input_tokens, output_tokens, cost_usd)
             SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM sessions WHERE id = ?1)
             ON CONFLICT (session_id) DO UPDATE SET
                 input_tokens = input_tokens + excluded.input_tokens,
                 output_tokens = output_tokens + excluded.output_tokens,
                 cost_usd = cost_usd + excluded.cost_usd",
        )
        .bind(session.to_string())
        .bind(input_tokens)
        .bind(output_tokens)
        .bind(cost_usd)
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

    /// What the session has spent as far as the budget is concerned: the proxy's own count, or the
    /// agent's reported cost when that is higher (calls made before the proxy metered cost).
    pub async fn session_spent(&self, session: SessionId) -> Result<f64, StoreError> {
        let usage = self.session_usage(session).await?;
        Ok(usage.metered_cost_usd.max(usage.cost_usd))
    }

    /// The session's tokens and costs; zeros for a session that has not called the model.
    pub async fn session_usage(&self, session: SessionId) -> Result<SessionUsage, StoreError> {
        let tokens: Option<(i64, i64, f64)> = sqlx::query_as(
            "SELECT input_tokens, output_tokens, cost_usd FROM session_usage WHERE session_id = ?1",
        )
        .bind(session.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let (input_tokens, output_tokens, metered_cost_usd) = tokens.unwrap_or_default();
        Ok(SessionUsage {
            input_tokens,
            output_tokens,
            cost_usd: self.session_cost(session).await?,
            metered_cost_usd,
        })
    }
}
