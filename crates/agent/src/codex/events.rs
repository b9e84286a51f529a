//! The events `codex exec --json` prints, one JSON object per stdout line, as common [`Event`]s.
//!
//! Owns the mapping only, each event keeping its raw JSON:
//!
//! | codex | common event |
//! |---|---|
//! | `thread.started` | [`Event::SystemInit`] (the thread id is the session id to resume) |
//! | `item.completed` `agent_message` | [`Event::Assistant`] with its text |
//! | `item.started` `command_execution` / `file_change` / `mcp_tool_call` | [`Event::Assistant`] with a tool call (`shell`, `apply_patch`, `mcp__<server>__<tool>`) |
//! | `item.completed` of those | [`Event::ToolResult`] (and the call first when it never started) |
//! | `turn.completed` | [`Event::Result`] `success`, with the last message and the usage |
//! | `turn.failed` | [`Event::Result`] `error` with its message |
//! | anything else (`turn.started`, `reasoning`, `error` notices while codex retries) | [`Event::Other`] |
//!
//! A top-level `error` line is not the end of a turn: codex prints one for each retry
//! (`Reconnecting... 2/5`) and ends a failed turn with `turn.failed`.

use crate::event::{ContentBlock, Event, ParsedEvent, TokenUsage, events_of_line};
use crate::parser::LineReader;
use serde_json::{Value, json};
use std::collections::HashSet;

/// The reader of one `codex exec` process's stdout.
#[derive(Debug, Default)]
pub struct CodexLines {
    /// The thread id from `thread.started`, repeated on the turn's result.
    thread: Option<String>,
    /// Tool items whose call was already reported, so their completion is only a result.
    started: HashSet<String>,
    /// The latest assistant text, which is the turn's result text.
    last_message: Option<String>,
}

impl LineReader for CodexLines {
    fn read_line(&mut self, line: &str) -> Vec<ParsedEvent> {
        events_of_line(line, |raw| self.events(raw), kind_of)
    }
}

impl CodexLines {
    fn events(&mut self, raw: &Value) -> Option<Vec<Event>> {
        match raw.get("type")?.as_str()? {
            "thread.started" => {
                let thread = raw.get("thread_id")?.as_str()?.to_owned();
                self.thread = Some(thread.clone());
                Some(vec![Event::SystemInit {
                    session_id: thread,
                    model: String::new(),
                    cwd: String::new(),
                    tools: Vec::new(),
                }])
            }
            "item.started" => {
                let call = tool_call(raw.get("item")?)?;
                self.started.insert(call.id.clone());
                Some(vec![call.event()])
            }
            "item.completed" => self.completed(raw.get("item")?),
            "turn.completed" => {
                let usage = raw.get("usage");
                let count = |key: &str| {
                    usage
                        .and_then(|usage| usage.get(key))
                        .and_then(Value::as_u64)
                        .unwrap_or(0)
                };
                Some(vec![Event::Result {
                    session_id: self.thread.clone().unwrap_or_default(),
                    subtype: "success".to_owned(),
                    is_error: false,
                    total_cost_usd: None,
                    result: self.last_message.take(),
                    usage: usage.map(|_| TokenUsage {
                        input_tokens: count("input_tokens"),
                        output_tokens: count("output_tokens"),
                        cached_input_tokens: count("cached_input_tokens"),
                    }),
                }])
            }
            "turn.failed" => {
                let message = raw
                    .get("error")
                    .and_then(|error| error.get("message"))
                    .and_then(Value::as_str)
                    .unwrap_or("codex reported a failed turn")
                    .to_owned();
                self.last_message = None;
                Some(vec![Event::Result {
                    session_id: self.thread.clone().unwrap_or_default(),
                    subtype: "error".to_owned(),
                    is_error: true,
                    total_cost_usd: None,
                    result: Some(message),
                    usage: None,
                }])
            }
            _ => None,
        }
    }

    fn completed(&mut self, item: &Value) -> Option<Vec<Event>> {
        if item.get("type")?.as_str()? == "agent_message" {
            let text = item.get("text")?.as_str()?.to_owned();
            self.last_message = Some(text.clone());
            return Some(vec![Event::Assistant {
                content: vec![ContentBlock::Text { text }],
            }]);
        }
        let call = tool_call(item)?;
        let mut events = Vec::new();
        if !self.started.remove(&call.id) {
            events.push(call.event());
        }
        events.push(Event::ToolResult {
            tool_use_id: call.id,
            content: tool_output(item),
            is_error: tool_failed(item),
        });
        Some(events)
    }
}

/// A tool item as a call: its id, the common tool name and its input.
struct ToolCall {
    id: String,
    name: String,
    input: Value,
}

impl ToolCall {
    fn event(&self) -> Event {
        Event::Assistant {
            content: vec![ContentBlock::ToolUse {
                id: self.id.clone(),
                name: self.name.clone(),
                input: self.input.clone(),
            }],
        }
    }
}

fn tool_call(item: &Value) -> Option<ToolCall> {
    let id = item.get("id")?.as_str()?.to_owned();
    let (name, input) = match item.get("type")?.as_str()? {
        "command_execution" => (
            "shell".to_owned(),
            json!({ "command": item.get("command").cloned().unwrap_or(Value::Null) }),
        ),
        "file_change" => (
            "apply_patch".to_owned(),
            json!({ "changes": item.get("changes").cloned().unwrap_or(Value::Null) }),
        ),
        "mcp_tool_call" => (
            format!(
                "mcp__{}__{}",
                item.get("server")?.as_str()?,
                item.get("tool")?.as_str()?
            ),
            item.get("arguments").cloned().unwrap_or(Value::Null),
        ),
        _ => return None,
    };
    Some(ToolCall { id, name, input })
}

/// What a finished tool item says: a command's output, the files a patch changed, an MCP tool's
/// text content or its error.
fn tool_output(item: &Value) -> String {
    let text = |value: Option<&Value>| value.and_then(Value::as_str).unwrap_or_default().to_owned();
    match item.get("type").and_then(Value::as_str) {
        Some("command_execution") => text(item.get("aggregated_output")),
        Some("file_change") => item
            .get("changes")
            .and_then(Value::as_array)
            .map(|changes| {
                changes
                    .iter()
                    .map(|change| {
                        format!("{} {}", text(change.get("kind")), text(change.get("path")))
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default(),
        _ => {
            if let Some(message) = item
                .get("error")
                .and_then(|error| error.get("message"))
                .and_then(Value::as_str)
            {
                return message.to_owned();
            }
            item.get("result")
                .and_then(|result| result.get("content"))
                .and_then(Value::as_array)
                .map(|blocks| {
                    blocks
                        .iter()
                        .filter_map(|block| block.get("text").and_then(Value::as_str))
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default()
        }
    }
}

fn tool_failed(item: &Value) -> bool {
    let failed_status = item.get("status").and_then(Value::as_str) != Some("completed");
    let failed_exit = item
        .get("exit_code")
        .and_then(Value::as_i64)
        .is_some_and(|code| code != 0);
    failed_status || failed_exit
}

/// `item.completed/reasoning`, `turn.started`, `error`.
fn kind_of(raw: &Value) -> String {
    let Some(kind) = raw.get("type").and_then(Value::as_str) else {
        return "untyped".to_owned();
    };
    match raw
        .get("item")
        .and_then(|item| item.get("type"))
        .and_then(Value::as_str)
    {
        Some(item) => format!("{kind}/{item}"),
        None => kind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::INVALID_LINE;

    fn read(lines: &[&str]) -> Vec<Event> {
        let mut reader = CodexLines::default();
        lines
            .iter()
            .flat_map(|line| reader.read_line(line))
            .map(|parsed| parsed.event)
            .collect()
    }

    #[test]
    fn a_text_turn_gives_the_thread_the_text_and_a_result_with_usage() {
        let events = read(&[
            r#"{"type":"thread.started","thread_id":"t-1"}"#,
            r#"{"type":"turn.started"}"#,
            r#"{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"hi"}}"#,
            r#"{"type":"turn.completed","usage":{"input_tokens":10,"cached_input_tokens":4,"output_tokens":3}}"#,
        ]);
        assert!(matches!(&events[0], Event::SystemInit { session_id, .. } if session_id == "t-1"));
        assert!(matches!(&events[1], Event::Other { kind, .. } if kind == "turn.started"));
        assert_eq!(
            events[3],
            Event::Result {
                session_id: "t-1".into(),
                subtype: "success".into(),
                is_error: false,
                total_cost_usd: None,
                result: Some("hi".into()),
                usage: Some(TokenUsage {
                    input_tokens: 10,
                    output_tokens: 3,
                    cached_input_tokens: 4
                }),
            }
        );
    }

    #[test]
    fn a_command_is_a_shell_call_then_its_output() {
        let events = read(&[
            r#"{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"ls","aggregated_output":"","exit_code":null,"status":"in_progress"}}"#,
            r#"{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"ls","aggregated_output":"a.txt\n","exit_code":0,"status":"completed"}}"#,
        ]);
        assert_eq!(events.len(), 2);
        assert!(matches!(&events[0], Event::Assistant { content }
            if matches!(&content[0], ContentBlock::ToolUse { id, name, .. } if id == "item_1" && name == "shell")));
        assert_eq!(
            events[1],
            Event::ToolResult {
                tool_use_id: "item_1".into(),
                content: "a.txt\n".into(),
                is_error: false
            }
        );
    }

    #[test]
    fn a_tool_that_only_completes_is_reported_as_call_and_result() {
        let events = read(&[
            r#"{"type":"item.completed","item":{"id":"item_2","type":"mcp_tool_call","server":"agentyard","tool":"list_projects","arguments":{},"result":null,"error":{"message":"denied"},"status":"failed"}}"#,
        ]);
        assert!(matches!(&events[0], Event::Assistant { content }
            if matches!(&content[0], ContentBlock::ToolUse { name, .. } if name == "mcp__agentyard__list_projects")));
        assert_eq!(
            events[1],
            Event::ToolResult {
                tool_use_id: "item_2".into(),
                content: "denied".into(),
                is_error: true
            }
        );
    }

    #[test]
    fn retry_notices_are_kept_and_a_failed_turn_is_an_error_result() {
        let events = read(&[
            r#"{"type":"error","message":"Reconnecting... 1/5"}"#,
            r#"{"type":"turn.failed","error":{"message":"unexpected status 400"}}"#,
        ]);
        assert!(matches!(&events[0], Event::Other { kind, .. } if kind == "error"));
        assert!(
            matches!(&events[1], Event::Result { is_error: true, result: Some(message), .. }
            if message == "unexpected status 400")
        );
    }

    #[test]
    fn a_line_that_is_not_an_object_is_kept_as_an_invalid_line() {
        let events = read(&["Reading additional input from stdin..."]);
        assert!(matches!(&events[0], Event::Other { kind, .. } if kind == INVALID_LINE));
    }
}
