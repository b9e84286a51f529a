//! The events `claude --output-format stream-json` prints, one JSON object per stdout line.
//!
//! Owns the typed view of the few event kinds the engine acts on; every other kind stays raw JSON
//! in [`Event::Other`], because the CLI has dozens of event types and adds more in new versions.

use serde::Deserialize;
use serde_json::Value;

/// One event with the exact JSON it came from, so the engine can persist what the CLI said.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedEvent {
    pub event: Event,
    pub raw: Value,
}

/// What the engine needs to know of one stdout line.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// `system` / `init`: the first line of every turn.
    SystemInit {
        session_id: String,
        model: String,
        cwd: String,
        tools: Vec<String>,
    },
    /// A piece of the model's text as it streams (`stream_event` `content_block_delta` `text_delta`).
    TextDelta { text: String },
    /// A complete assistant message.
    Assistant { content: Vec<ContentBlock> },
    /// A tool's result, from a `user` line carrying `tool_result` blocks.
    ToolResult {
        tool_use_id: String,
        content: String,
        is_error: bool,
    },
    /// The last line of a turn; `subtype` is `success`, or e.g. `error_during_execution` after an interrupt.
    Result {
        session_id: String,
        subtype: String,
        is_error: bool,
        total_cost_usd: Option<f64>,
        result: Option<String>,
        /// The tokens of the turn, as the CLI counted them.
        usage: Option<TokenUsage>,
    },
    /// `control_request` `can_use_tool`: the CLI waits for a permission answer (ask mode).
    PermissionRequest {
        request_id: String,
        tool_name: String,
        input: Value,
        tool_use_id: Option<String>,
    },
    /// The CLI's answer to one of our control requests, such as an interrupt.
    ControlResponse {
        request_id: String,
        success: bool,
        /// The CLI's error text when `success` is false.
        error: Option<String>,
    },
    /// Anything else. `kind` is the line's `type`, followed by `/` and its `subtype` (or, for a
    /// `stream_event`, the inner event's type) when there is one: `system/status`,
    /// `stream_event/message_start`, `user`. A line that is not a JSON object is kind
    /// `invalid_line` with the line as a JSON string.
    Other { kind: String, raw: Value },
}

/// The tokens one turn used, as its CLI reports them at its end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Input tokens read from the provider's prompt cache (part of `input_tokens` for OpenAI,
    /// counted apart from it by Anthropic).
    pub cached_input_tokens: u64,
}

/// One block of an assistant message.
#[derive(Clone, Debug, PartialEq)]
pub enum ContentBlock {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    /// Thinking and any other block, as the CLI printed it.
    Other(Value),
}

/// The `kind` of a line that is not a JSON object.
pub const INVALID_LINE: &str = "invalid_line";

/// The events of one stdout line, without its line break.
///
/// Almost always one event. A `user` line that carries several tool results gives one
/// [`Event::ToolResult`] per result, each with the same `raw` line.
pub fn parse_line(line: &str) -> Vec<ParsedEvent> {
    events_of_line(line, typed_events, kind_of)
}

/// A stdout line as events, each with the line's JSON: `typed` maps a JSON object to the events
/// the engine acts on; a line it does not map is one [`Event::Other`] of the kind `kind` names,
/// and a line that is not a JSON object one of kind [`INVALID_LINE`].
pub(crate) fn events_of_line(
    line: &str,
    typed: impl FnOnce(&Value) -> Option<Vec<Event>>,
    kind: impl FnOnce(&Value) -> String,
) -> Vec<ParsedEvent> {
    let raw: Value = match serde_json::from_str(line) {
        Ok(raw @ Value::Object(_)) => raw,
        _ => {
            let raw = Value::String(line.to_owned());
            return vec![ParsedEvent {
                event: Event::Other {
                    kind: INVALID_LINE.to_owned(),
                    raw: raw.clone(),
                },
                raw,
            }];
        }
    };
    let events = typed(&raw).unwrap_or_else(|| {
        vec![Event::Other {
            kind: kind(&raw),
            raw: raw.clone(),
        }]
    });
    events
        .into_iter()
        .map(|event| ParsedEvent {
            event,
            raw: raw.clone(),
        })
        .collect()
}

/// The typed events of a line, or `None` when the line is of no kind the engine acts on
/// (or of a known kind but an unexpected shape, which is kept raw rather than dropped).
fn typed_events(raw: &Value) -> Option<Vec<Event>> {
    let text = |key: &str| raw.get(key).and_then(Value::as_str);
    match (text("type")?, text("subtype")) {
        ("system", Some("init")) => {
            let init = SystemInitLine::deserialize(raw).ok()?;
            Some(vec![Event::SystemInit {
                session_id: init.session_id,
                model: init.model,
                cwd: init.cwd,
                tools: init.tools,
            }])
        }
        ("stream_event", _) => {
            let stream_event = raw.get("event")?;
            let delta = stream_event.get("delta")?;
            if stream_event.get("type")?.as_str()? != "content_block_delta"
                || delta.get("type")?.as_str()? != "text_delta"
            {
                return None;
            }
            Some(vec![Event::TextDelta {
                text: delta.get("text")?.as_str()?.to_owned(),
            }])
        }
        ("assistant", _) => {
            let blocks = raw.get("message")?.get("content")?.as_array()?;
            Some(vec![Event::Assistant {
                content: blocks.iter().map(content_block).collect(),
            }])
        }
        ("user", _) => {
            let blocks = raw.get("message")?.get("content")?.as_array()?;
            let results: Vec<Event> = blocks
                .iter()
                .filter(|block| block.get("type").and_then(Value::as_str) == Some("tool_result"))
                .map(tool_result)
                .collect::<Option<_>>()?;
            (!results.is_empty()).then_some(results)
        }
        ("result", _) => {
            let result = ResultLine::deserialize(raw).ok()?;
            Some(vec![Event::Result {
                session_id: result.session_id,
                subtype: result.subtype,
                is_error: result.is_error,
                total_cost_usd: result.total_cost_usd,
                result: result.result,
                usage: result.usage.map(|usage| TokenUsage {
                    input_tokens: usage.input_tokens,
                    output_tokens: usage.output_tokens,
                    cached_input_tokens: usage.cache_read_input_tokens,
                }),
            }])
        }
        ("control_request", _) => {
            let request = raw.get("request")?;
            if request.get("subtype")?.as_str()? != "can_use_tool" {
                return None;
            }
            Some(vec![Event::PermissionRequest {
                request_id: text("request_id")?.to_owned(),
                tool_name: request.get("tool_name")?.as_str()?.to_owned(),
                input: request.get("input").cloned().unwrap_or(Value::Null),
                tool_use_id: request
                    .get("tool_use_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            }])
        }
        ("control_response", _) => {
            let response = raw.get("response")?;
            Some(vec![Event::ControlResponse {
                request_id: response.get("request_id")?.as_str()?.to_owned(),
                success: response.get("subtype").and_then(Value::as_str) == Some("success"),
                error: response
                    .get("error")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            }])
        }
        _ => None,
    }
}

#[derive(Deserialize)]
struct SystemInitLine {
    session_id: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    cwd: String,
    #[serde(default)]
    tools: Vec<String>,
}

#[derive(Deserialize)]
struct ResultLine {
    session_id: String,
    subtype: String,
    #[serde(default)]
    is_error: bool,
    total_cost_usd: Option<f64>,
    result: Option<String>,
    usage: Option<ResultUsage>,
}

#[derive(Deserialize)]
struct ResultUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    cache_read_input_tokens: u64,
}

fn content_block(block: &Value) -> ContentBlock {
    let text = |key: &str| block.get(key).and_then(Value::as_str).map(str::to_owned);
    match block.get("type").and_then(Value::as_str) {
        Some("text") => match text("text") {
            Some(text) => ContentBlock::Text { text },
            None => ContentBlock::Other(block.clone()),
        },
        Some("tool_use") => match (text("id"), text("name")) {
            (Some(id), Some(name)) => ContentBlock::ToolUse {
                id,
                name,
                input: block.get("input").cloned().unwrap_or(Value::Null),
            },
            _ => ContentBlock::Other(block.clone()),
        },
        _ => ContentBlock::Other(block.clone()),
    }
}

fn tool_result(block: &Value) -> Option<Event> {
    Some(Event::ToolResult {
        tool_use_id: block.get("tool_use_id")?.as_str()?.to_owned(),
        content: tool_result_text(block.get("content")),
        is_error: block.get("is_error").and_then(Value::as_bool) == Some(true),
    })
}

/// A tool result's content is a string, or a list of blocks whose texts are joined here.
fn tool_result_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|block| block.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn kind_of(raw: &Value) -> String {
    let Some(kind) = raw.get("type").and_then(Value::as_str) else {
        return "untyped".to_owned();
    };
    let detail = if kind == "stream_event" {
        raw.get("event").and_then(|event| event.get("type"))
    } else {
        raw.get("subtype")
    };
    match detail.and_then(Value::as_str) {
        Some(detail) => format!("{kind}/{detail}"),
        None => kind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn only_event(line: &str) -> Event {
        let mut events = parse_line(line);
        assert_eq!(events.len(), 1, "{events:?}");
        events.remove(0).event
    }

    #[test]
    fn a_text_delta_is_read_from_a_stream_event() {
        let line = r#"{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hé"}}}"#;
        assert_eq!(only_event(line), Event::TextDelta { text: "hé".into() });
    }

    #[test]
    fn other_stream_events_keep_the_inner_type_as_their_kind() {
        let line = r#"{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{"}}}"#;
        assert!(
            matches!(only_event(line), Event::Other { kind, .. } if kind == "stream_event/content_block_delta")
        );
    }

    #[test]
    fn an_assistant_message_keeps_unknown_blocks_raw() {
        let line = json!({ "type": "assistant", "message": { "content": [
            { "type": "thinking", "thinking": "hm" },
            { "type": "text", "text": "hi" },
            { "type": "tool_use", "id": "t1", "name": "Bash", "input": { "command": "ls" } } ] } });
        assert_eq!(
            only_event(&line.to_string()),
            Event::Assistant {
                content: vec![
                    ContentBlock::Other(json!({ "type": "thinking", "thinking": "hm" })),
                    ContentBlock::Text { text: "hi".into() },
                    ContentBlock::ToolUse {
                        id: "t1".into(),
                        name: "Bash".into(),
                        input: json!({ "command": "ls" })
                    },
                ]
            }
        );
    }

    #[test]
    fn each_tool_result_of_a_user_line_is_an_event_with_the_same_raw_line() {
        let line = json!({ "type": "user", "message": { "role": "user", "content": [
            { "type": "tool_result", "tool_use_id": "a", "content": "one" },
            { "type": "tool_result", "tool_use_id": "b", "is_error": true,
              "content": [{ "type": "text", "text": "two" }, { "type": "text", "text": "lines" }] } ] } });
        let events = parse_line(&line.to_string());
        assert_eq!(events.len(), 2);
        assert!(events.iter().all(|event| event.raw == line));
        assert_eq!(
            events[1].event,
            Event::ToolResult {
                tool_use_id: "b".into(),
                content: "two\nlines".into(),
                is_error: true
            }
        );
    }

    #[test]
    fn a_user_line_without_tool_results_is_kept_as_other() {
        let line = r#"{"type":"user","message":{"role":"user","content":[{"type":"text","text":"[Request interrupted by user]"}]}}"#;
        assert!(matches!(only_event(line), Event::Other { kind, .. } if kind == "user"));
    }

    #[test]
    fn a_control_error_response_carries_its_message() {
        let line = r#"{"type":"control_response","response":{"subtype":"error","request_id":"r1","error":"no turn running"}}"#;
        assert_eq!(
            only_event(line),
            Event::ControlResponse {
                request_id: "r1".into(),
                success: false,
                error: Some("no turn running".into())
            }
        );
    }

    #[test]
    fn other_control_requests_are_kept_raw() {
        let line =
            r#"{"type":"control_request","request_id":"r","request":{"subtype":"hook_callback"}}"#;
        assert!(matches!(only_event(line), Event::Other { kind, .. } if kind == "control_request"));
    }

    #[test]
    fn a_known_kind_with_an_unexpected_shape_is_kept_rather_than_dropped() {
        let line = r#"{"type":"result","subtype":"success"}"#;
        assert!(matches!(only_event(line), Event::Other { kind, .. } if kind == "result/success"));
    }

    #[test]
    fn text_that_is_not_a_json_object_is_an_invalid_line() {
        for line in ["not json", "42", "[1]"] {
            assert_eq!(
                only_event(line),
                Event::Other {
                    kind: INVALID_LINE.into(),
                    raw: Value::String(line.into())
                }
            );
        }
    }

    #[test]
    fn json_without_a_type_is_untyped() {
        assert!(matches!(only_event("{}"), Event::Other { kind, .. } if kind == "untyped"));
    }
}
