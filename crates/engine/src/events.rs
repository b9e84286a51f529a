//! What the engine tells the world. `server` turns each into a WebSocket envelope.

use domain::{MessageId, Session, SessionId, SessionSetup};
use serde_json::Value;

#[derive(Clone, Debug)]
pub enum EngineEvent {
    /// The set of sessions with a turn running changed.
    Streaming {
        session_ids: Vec<SessionId>,
    },
    /// A message was queued behind a running turn.
    Queued {
        session: SessionId,
    },
    /// Text of the agent's reply, as it arrives.
    Chunk {
        session: SessionId,
        text: String,
    },
    ToolUse {
        session: SessionId,
        tool: String,
        input: Value,
    },
    ToolResult {
        session: SessionId,
        tool: String,
        result: String,
    },
    /// An ask-mode agent wants to use a tool and waits for the user's answer.
    Permission {
        session: SessionId,
        request_id: String,
        tool: String,
        input: Value,
    },
    Done {
        session: SessionId,
        message: MessageId,
        cost_usd: Option<f64>,
        interrupted: bool,
    },
    Error {
        session: SessionId,
        error: String,
        code: Option<String>,
        remediation: Option<String>,
    },
    SessionUpdated(Box<Session>),
    /// Output of a session's setup script, as it arrives (untrusted text).
    SetupOutput {
        session: SessionId,
        text: String,
    },
    /// A session's setup changed: files copied, its script started, ended, retried or skipped.
    Setup(Box<SessionSetup>),
    ImageProgress {
        tag: String,
        line: String,
    },
    ImageDone {
        tag: String,
    },
    ImageError {
        tag: String,
        error: String,
    },
}
