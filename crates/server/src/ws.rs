//! `/ws`: every engine event as a docs/api.md envelope to every authenticated client, and
//! `chat:send` / `chat:stop` / `chat:permission` from clients to the engine.
//!
//! Only the platform's own pages (and programs that send no `Origin`) may open it: a browser sends
//! the login cookie whatever page opens a socket, so without the check any page on the machine,
//! an agent's dev server included, could drive sessions.

use crate::auth::same_origin;
use crate::error::ApiError;
use crate::wire::{ClientEvent, ServerEvent, SessionBody};
use crate::{AppState, BODY_LIMIT_BYTES};
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::SessionId;
use engine::{Engine, EngineError, EngineEvent, PermissionAnswer, SendOptions};
use futures::{SinkExt, StreamExt};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

#[utoipa::path(
    get,
    path = "/ws",
    tag = "platform",
    responses(
        (status = 101, description = "Switches to the WebSocket; the envelopes are described in docs/api.md (schemas `ServerEvent` and `ClientEvent`). Browsers, which cannot set headers here, may pass `?token=`"),
        (status = 401, description = "No valid token", body = crate::wire::ErrorBody),
    )
)]
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !same_origin(&headers) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "foreign_origin",
            "this WebSocket was opened by a page of another origin; only Agentyard's own pages may open it",
        )
        .with_remediation(
            "open Agentyard at the address it serves (behind a reverse proxy, pass `Host` or `X-Forwarded-Host` and `X-Forwarded-Proto`)",
        )
        .into_response();
    }
    // A client frame is held whole before it is read: the same bound as a request body.
    upgrade
        .max_message_size(BODY_LIMIT_BYTES)
        .max_frame_size(BODY_LIMIT_BYTES)
        .on_upgrade(move |socket| connection(state.engine, socket))
}

/// How many replies to a client's own requests may wait for its socket; a client that sends
/// faster than it reads is read no further until they are out.
const REPLIES_WAITING: usize = 16;

async fn connection(engine: Engine, socket: WebSocket) {
    let mut events = engine.subscribe();
    let (mut sink, mut stream) = socket.split();
    let hello = ServerEvent::Streaming {
        session_ids: ids(&engine.streaming_sessions()),
        resync: None,
    };
    if sink.send(frame(&hello)).await.is_err() {
        return;
    }
    // The client's messages are read on a task of their own, woken only when something arrives:
    // polling the socket for reading beside every event sent costs a read attempt per event.
    let (replies, mut replies_waiting) = mpsc::channel::<ServerEvent>(REPLIES_WAITING);
    let reader = {
        let engine = engine.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                match message {
                    Message::Text(text) => {
                        if let Some(reply) = handle_client_message(&engine, &text).await
                            && replies.send(reply).await.is_err()
                        {
                            break;
                        }
                    }
                    Message::Close(_) => break,
                    _ => {}
                }
            }
        })
    };
    loop {
        let outgoing = tokio::select! {
            event = events.recv() => match event {
                Ok(event) => envelope(event),
                Err(RecvError::Lagged(missed)) => {
                    // The client missed events; the store has them, so tell it to reload.
                    tracing::warn!(missed, "a WebSocket client fell behind");
                    ServerEvent::Streaming {
                        session_ids: ids(&engine.streaming_sessions()),
                        resync: Some(true),
                    }
                }
                Err(RecvError::Closed) => break,
            },
            // `None`: the client closed the socket or its reading failed.
            reply = replies_waiting.recv() => match reply {
                Some(reply) => reply,
                None => break,
            },
        };
        if sink.send(frame(&outgoing)).await.is_err() {
            break;
        }
    }
    reader.abort();
}

/// Runs a client's request; returns an error envelope for that client alone when it fails.
async fn handle_client_message(engine: &Engine, text: &str) -> Option<ServerEvent> {
    let message: ClientEvent = match serde_json::from_str(text) {
        Ok(message) => message,
        Err(error) => {
            return Some(ServerEvent::Error {
                session_id: None,
                error: format!("unreadable message: {error}"),
                code: Some("invalid_message".to_owned()),
                remediation: Some("send {\"type\":\"chat:send\",\"sessionId\":…,\"content\":…} or {\"type\":\"chat:stop\",\"sessionId\":…}".to_owned()),
            });
        }
    };
    let (session_text, result) = match message {
        ClientEvent::Send {
            session_id,
            content,
            model,
            mode,
        } => {
            let result = async {
                let id = parse_session(&session_id)?;
                let mode = mode.as_deref().map(str::parse).transpose().map_err(
                    |error: domain::ParseEnumError| {
                        EngineError::invalid("invalid_value", error.to_string())
                    },
                )?;
                engine
                    .send_message(id, &content, SendOptions { model, mode })
                    .await
                    .map(|_| ())
            }
            .await;
            (session_id, result)
        }
        ClientEvent::Stop { session_id } => {
            let result = async { engine.stop(parse_session(&session_id)?).await }.await;
            (session_id, result)
        }
        ClientEvent::Permission {
            session_id,
            request_id,
            allow,
        } => {
            let answer = if allow {
                PermissionAnswer::Allow
            } else {
                PermissionAnswer::Deny
            };
            let result = async {
                engine
                    .answer_permission(parse_session(&session_id)?, &request_id, answer)
                    .await
            }
            .await;
            (session_id, result)
        }
    };
    result.err().map(|error| ServerEvent::Error {
        session_id: Some(session_text),
        error: error.to_string(),
        code: Some(error.code().to_owned()),
        remediation: error.remediation().map(str::to_owned),
    })
}

fn parse_session(text: &str) -> Result<SessionId, EngineError> {
    text.parse()
        .map_err(|error: domain::IdError| EngineError::bad_request("invalid_id", error.to_string()))
}

fn ids(sessions: &[SessionId]) -> Vec<String> {
    sessions.iter().map(SessionId::to_string).collect()
}

/// An envelope as a WebSocket text frame.
fn frame(event: &ServerEvent) -> Message {
    let json = serde_json::to_string(event).expect("a ServerEvent always serializes");
    Message::Text(json.into())
}

/// The docs/api.md envelope of an engine event.
fn envelope(event: EngineEvent) -> ServerEvent {
    match event {
        EngineEvent::Streaming { session_ids } => ServerEvent::Streaming {
            session_ids: ids(&session_ids),
            resync: None,
        },
        EngineEvent::Queued { session } => ServerEvent::Queued {
            session_id: session.to_string(),
        },
        EngineEvent::Chunk { session, text } => ServerEvent::Chunk {
            session_id: session.to_string(),
            content: text,
        },
        EngineEvent::ToolUse {
            session,
            tool,
            input,
        } => ServerEvent::ToolUse {
            session_id: session.to_string(),
            tool,
            input,
        },
        EngineEvent::ToolResult {
            session,
            tool,
            result,
        } => ServerEvent::ToolResult {
            session_id: session.to_string(),
            tool,
            result,
        },
        EngineEvent::Permission {
            session,
            request_id,
            tool,
            input,
        } => ServerEvent::Permission {
            session_id: session.to_string(),
            request_id,
            tool,
            input,
        },
        EngineEvent::Done {
            session,
            message,
            cost_usd,
            interrupted,
        } => ServerEvent::Done {
            session_id: session.to_string(),
            message_id: message.to_string(),
            cost: cost_usd,
            interrupted,
        },
        EngineEvent::Error {
            session,
            error,
            code,
            remediation,
        } => ServerEvent::Error {
            session_id: Some(session.to_string()),
            error,
            code,
            remediation,
        },
        EngineEvent::SessionUpdated(session) => ServerEvent::SessionUpdated {
            session: Box::new(SessionBody::from(*session)),
        },
        EngineEvent::SetupOutput { session, text } => ServerEvent::SetupOutput {
            session_id: session.to_string(),
            content: text,
        },
        EngineEvent::Setup(setup) => ServerEvent::SetupState {
            session_id: setup.session_id.to_string(),
            setup: Box::new(crate::wire::SessionSetupBody::from(*setup)),
        },
        EngineEvent::ImageProgress { tag, line } => ServerEvent::ImageProgress { tag, line },
        EngineEvent::ImageDone { tag } => ServerEvent::ImageDone { tag },
        EngineEvent::ImageError { tag, error } => ServerEvent::ImageError { tag, error },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelopes_keep_null_fields_and_api_md_names() {
        let done = ServerEvent::Done {
            session_id: "s".to_owned(),
            message_id: "m".to_owned(),
            cost: None,
            interrupted: false,
        };
        assert_eq!(
            serde_json::to_value(&done).unwrap(),
            json!({"type": "chat:done", "sessionId": "s", "messageId": "m", "cost": null, "interrupted": false})
        );
        let hello = ServerEvent::Streaming {
            session_ids: vec!["a".to_owned()],
            resync: None,
        };
        assert_eq!(
            serde_json::to_value(&hello).unwrap(),
            json!({"type": "chat:streaming", "sessionIds": ["a"]})
        );
    }

    #[test]
    fn client_envelopes_read_camel_case_fields() {
        let send: ClientEvent = serde_json::from_value(
            json!({"type": "chat:send", "sessionId": "s", "content": "hi", "mode": "ask"}),
        )
        .unwrap();
        assert!(
            matches!(send, ClientEvent::Send { session_id, mode: Some(mode), .. } if session_id == "s" && mode == "ask")
        );
    }
}
