//! The lines we write to the CLI's stdin: the user's message and control messages.
//!
//! Shapes are those the CLI 2.1.332 accepted in the reference transcripts.

use serde_json::{Value, json};

/// The answer to a `can_use_tool` permission request.
#[derive(Clone, Debug, PartialEq)]
pub enum PermissionDecision {
    /// Run the tool with `updated_input`; pass the request's own input to run it unchanged.
    Allow { updated_input: Value },
    /// Refuse the tool; the model is told `message`.
    Deny { message: String },
}

/// The first stdin line of a turn: the user's message.
pub fn user_message_line(content: &str) -> String {
    json!({ "type": "user", "message": { "role": "user", "content": content } }).to_string()
}

/// Asks the CLI to stop the running turn; it answers with a `control_response` carrying
/// `request_id` and ends the turn with a `result` of subtype `error_during_execution`.
pub fn interrupt_line(request_id: &str) -> String {
    json!({
        "type": "control_request",
        "request_id": request_id,
        "request": { "subtype": "interrupt" }
    })
    .to_string()
}

/// Asks the CLI to get ready for the session (what the Agent SDK sends first); it answers with a
/// `control_response` carrying `request_id` once it has started (MCP servers included).
pub fn initialize_line(request_id: &str) -> String {
    json!({
        "type": "control_request",
        "request_id": request_id,
        "request": { "subtype": "initialize" }
    })
    .to_string()
}

/// Switches the running CLI to `model` for the turns that follow; it answers with a
/// `control_response` carrying `request_id`.
pub fn set_model_line(request_id: &str, model: &str) -> String {
    json!({
        "type": "control_request",
        "request_id": request_id,
        "request": { "subtype": "set_model", "model": model }
    })
    .to_string()
}

/// The answer to the CLI's `control_request` `can_use_tool` with id `request_id`.
pub fn permission_response_line(request_id: &str, decision: &PermissionDecision) -> String {
    let response = match decision {
        PermissionDecision::Allow { updated_input } => {
            json!({ "behavior": "allow", "updatedInput": updated_input })
        }
        PermissionDecision::Deny { message } => json!({ "behavior": "deny", "message": message }),
    };
    json!({
        "type": "control_response",
        "response": { "subtype": "success", "request_id": request_id, "response": response }
    })
    .to_string()
}
