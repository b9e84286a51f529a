//! The one mapping from errors to HTTP statuses and docs/api.md's error body.
//! Internal detail goes to the log; the user gets what is wrong and what to do.

use crate::wire::ErrorBody;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use engine::EngineError;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: String,
    message: String,
    remediation: Option<String>,
    files: Option<Vec<String>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            remediation: None,
            files: None,
        }
    }

    pub fn with_remediation(mut self, remediation: impl Into<String>) -> Self {
        self.remediation = Some(remediation.into());
        self
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unprocessable(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid API token is required").with_remediation(
            "send `Authorization: Bearer <token>`, or open the login URL that `agentyard serve` printed at start",
        )
    }

    pub fn body_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!(
                "the request body is larger than {} MiB",
                crate::BODY_LIMIT_BYTES / (1024 * 1024)
            ),
        )
        .with_remediation("send less at once: put large content in a project file instead")
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        let status = match &error {
            EngineError::NotFound { .. } => StatusCode::NOT_FOUND,
            EngineError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            EngineError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            EngineError::Conflict(_) | EngineError::Refused { .. } => StatusCode::CONFLICT,
            EngineError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            EngineError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match &error {
            EngineError::Unexpected(detail) => {
                tracing::error!(error = ?detail, "unexpected error while serving a request");
                "something went wrong inside Agentyard; the server log has the details".to_owned()
            }
            other => other.to_string(),
        };
        Self {
            status,
            code: error.code().to_owned(),
            message,
            remediation: error.remediation().map(str::to_owned),
            files: Some(error.files().to_vec()).filter(|files| !files.is_empty()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::body_too_large();
        }
        match rejection {
            JsonRejection::JsonDataError(error) => ApiError::unprocessable(
                "invalid_body",
                format!(
                    "the JSON body does not fit this route: {}",
                    error.body_text()
                ),
            ),
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "json_required",
                "send the body as JSON with `Content-Type: application/json`",
            ),
            other => ApiError::bad_request(
                "malformed_json",
                format!("the body is not valid JSON: {}", other.body_text()),
            ),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::bad_request("invalid_path_parameter", rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request("invalid_query", rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.message,
            code: self.code,
            remediation: self.remediation,
            files: self.files,
        };
        (self.status, Json(body)).into_response()
    }
}

/// Parses an id from a path or body, answering 400 with the id that is wrong.
pub fn parse_id<T: std::str::FromStr<Err = domain::IdError>>(text: &str) -> Result<T, ApiError> {
    text.parse()
        .map_err(|error: domain::IdError| ApiError::bad_request("invalid_id", error.to_string()))
}

/// Parses an enum value from a body, answering 422 with the accepted values.
pub fn parse_enum<T: std::str::FromStr<Err = domain::ParseEnumError>>(
    text: &str,
) -> Result<T, ApiError> {
    text.parse().map_err(|error: domain::ParseEnumError| {
        ApiError::unprocessable("invalid_value", error.to_string())
    })
}
