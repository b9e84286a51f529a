//! `/ws`: every engine event as an API.md envelope to every authenticated client, and
//! `chat:send` / `chat:stop` / `chat:permission` from clients to the engine.

use crate::AppState;
use crate::wire::SessionBody;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use domain::SessionId;
use engine::{Engine, EngineError, EngineEvent, PermissionAnswer, SendOptions};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

pub async fn upgrade(State(state): State<AppState>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| connection(state.engine, socket))
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum ClientMessage {
    #[serde(rename = "chat:send", rename_all = "camelCase")]
    Send {
        session_id: String,
        content: String,
        model: Option<String>,
        mode: Option<String>,
    },
    #[serde(rename = "chat:stop", rename_all = "camelCase")]
    Stop { session_id: String },
    #[serde(rename = "chat:permission", rename_all = "camelCase")]
    Permission {
        session_id: String,
        request_id: String,
        allow: bool,
    },
}

async fn connection(engine: Engine, mut socket: WebSocket) {
    let mut events = engine.subscribe();
    let hello = json!({"type": "chat:streaming", "sessionIds": ids(&engine.streaming_sessions())});
    if socket
        .send(Message::Text(hello.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(event) => {
                    if socket.send(Message::Text(envelope(event).to_string().into())).await.is_err() {
                        break;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    // The client missed events; the store has them, so tell it to reload.
                    tracing::warn!(missed, "a WebSocket client fell behind");
                    let resync = json!({"type": "chat:streaming", "sessionIds": ids(&engine.streaming_sessions()), "resync": true});
                    if socket.send(Message::Text(resync.to_string().into())).await.is_err() {
                        break;
                    }
                }
                Err(RecvError::Closed) => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Some(reply) = handle_client_message(&engine, &text).await
                        && socket.send(Message::Text(reply.to_string().into())).await.is_err()
                    {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// Runs a client's request; returns an error envelope for that client alone when it fails.
async fn handle_client_message(engine: &Engine, text: &str) -> Option<Value> {
    let message: ClientMessage = match serde_json::from_str(text) {
        Ok(message) => message,
        Err(error) => {
            return Some(json!({
                "type": "chat:error",
                "sessionId": Value::Null,
                "error": format!("unreadable message: {error}"),
                "code": "invalid_message",
                "remediation": "send {\"type\":\"chat:send\",\"sessionId\":…,\"content\":…} or {\"type\":\"chat:stop\",\"sessionId\":…}",
            }));
        }
    };
    let (session_text, result) = match message {
        ClientMessage::Send {
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
        ClientMessage::Stop { session_id } => {
            let result = async { engine.stop(parse_session(&session_id)?).await }.await;
            (session_id, result)
        }
        ClientMessage::Permission {
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
    result.err().map(|error| {
        json!({
            "type": "chat:error",
            "sessionId": session_text,
            "error": error.to_string(),
            "code": error.code(),
            "remediation": error.remediation(),
        })
    })
}

fn parse_session(text: &str) -> Result<SessionId, EngineError> {
    text.parse()
        .map_err(|error: domain::IdError| EngineError::bad_request("invalid_id", error.to_string()))
}

fn ids(sessions: &[SessionId]) -> Vec<String> {
    sessions.iter().map(SessionId::to_string).collect()
}

/// The API.md envelope of an engine event.
fn envelope(event: EngineEvent) -> Value {
    match event {
        EngineEvent::Streaming { session_ids } => {
            json!({"type": "chat:streaming", "sessionIds": ids(&session_ids)})
        }
        EngineEvent::Queued { session } => {
            json!({"type": "chat:queued", "sessionId": session.to_string()})
        }
        EngineEvent::Chunk { session, text } => {
            json!({"type": "chat:chunk", "sessionId": session.to_string(), "content": text})
        }
        EngineEvent::ToolUse {
            session,
            tool,
            input,
        } => {
            json!({"type": "chat:tool_use", "sessionId": session.to_string(), "tool": tool, "input": input})
        }
        EngineEvent::ToolResult {
            session,
            tool,
            result,
        } => {
            json!({"type": "chat:tool_result", "sessionId": session.to_string(), "tool": tool, "result": result})
        }
        EngineEvent::Permission {
            session,
            request_id,
            tool,
            input,
        } => json!({
            "type": "chat:permission", "sessionId": session.to_string(), "requestId": request_id, "tool": tool, "input": input,
        }),
        EngineEvent::Done {
            session,
            message,
            cost_usd,
            interrupted,
        } => json!({
            "type": "chat:done", "sessionId": session.to_string(), "messageId": message.to_string(),
            "cost": cost_usd, "interrupted": interrupted,
        }),
        EngineEvent::Error {
            session,
            error,
            code,
            remediation,
        } => json!({
            "type": "chat:error", "sessionId": session.to_string(), "error": error, "code": code, "remediation": remediation,
        }),
        EngineEvent::SessionUpdated(session) => {
            json!({"type": "session:updated", "session": SessionBody::from(session)})
        }
        EngineEvent::ImageProgress { tag, line } => {
            json!({"type": "image:progress", "tag": tag, "line": line})
        }
        EngineEvent::ImageDone { tag } => json!({"type": "image:done", "tag": tag}),
        EngineEvent::ImageError { tag, error } => {
            json!({"type": "image:error", "tag": tag, "error": error})
        }
    }
}
