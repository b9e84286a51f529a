//! `GET /api/sessions/{id}/usage`: a session's model tokens, cost and budget.

use crate::AppState;
use crate::error::{ApiError, parse_id};
use crate::extract::{Json, Path};
use crate::wire::SessionUsageBody;
use axum::extract::State;

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/usage",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    responses(
        (status = 200, description = "Tokens counted by the model proxy, cost reported by the agent, and the budget", body = SessionUsageBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SessionUsageBody>, ApiError> {
    let usage = state.engine.session_usage(parse_id(&id)?).await?;
    Ok(Json(SessionUsageBody {
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        cost_usd: usage.cost_usd,
        budget_usd: state.engine.config().session_budget_usd,
    }))
}
