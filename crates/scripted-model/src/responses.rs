//! The OpenAI Responses API (`POST /v1/responses`, streamed), as the Codex CLI calls it.
//!
//! Owns reading a Responses request (which user text, which step of the turn) and rendering an
//! [`Answer`] as the API's server-sent events; the choice of reply is the [`Script`]'s, exactly as
//! for the Anthropic side. Shapes follow what `codex` 0.171.0 sends and accepts:
//!
//! - the conversation is the `input` array: `message` items (the CLI adds its own user messages,
//!   each one block such as `<environment_context>…</environment_context>`, which are not the
//!   user's text), then the calls and their `*_output` items;
//! - a text is a `message` item, streamed as `response.output_text.delta`;
//! - a tool the request offers as `custom` (Codex's `apply_patch`) is called with a
//!   `custom_tool_call` whose `input` is the raw text; any other tool with a `function_call`
//!   whose `arguments` are JSON text;
//! - MCP tools are offered in namespaces (`mcp__agentyard` holding `list_projects`); the script
//!   names them as Claude does (`mcp__agentyard__list_projects`). When the namespace is not in the
//!   request (Codex defers MCP tools behind its `tool_search` tool), the model first searches for
//!   the tool with a `tool_search_call`, as a real model would, and calls it on the next request.

use crate::script::{Answer, DEFAULT_REPLY, Script};
use crate::server::{ServerState, event_stream, invalid_request, record};
use crate::wire::{Frame, estimate_input_tokens, words};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// `POST /v1/responses`: records the request and streams the script's answer.
pub(crate) async fn responses(
    State(state): State<ServerState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(error) => return invalid_request(&format!("the body is not JSON: {error}")),
    };
    record(&state, &uri, &headers, &body);
    let number = state.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let call = ResponseCall::plan(&state.script, &body);
    event_stream(call.frames(number, estimate_input_tokens(&body)))
}

/// What one request is answered with.
#[derive(Clone, Debug, PartialEq)]
enum ResponseCall {
    Answer(Answer),
    /// The tool `name` is offered only behind `tool_search`: search for it first.
    SearchFor {
        name: String,
    },
    /// A tool of an MCP namespace, called as `namespace` + `name`.
    NamespacedCall {
        namespace: String,
        name: String,
        input: Value,
    },
    /// A freeform tool (`apply_patch`), called with its raw text.
    CustomCall {
        name: String,
        input: String,
    },
}

impl ResponseCall {
    fn plan(script: &Script, body: &Value) -> ResponseCall {
        let conversation = Conversation::read(body);
        let answer = if conversation.offers_tools {
            match conversation.prompt() {
                Some((prompt, step)) => {
                    script.answer_to(&prompt, step, || conversation.echo_summary())
                }
                None => Answer::text(DEFAULT_REPLY),
            }
        } else {
            // Side requests (titles, summaries) never get a scripted tool call.
            Answer::text(DEFAULT_REPLY)
        };
        let Answer::ToolUse { name, input } = answer else {
            return ResponseCall::Answer(answer);
        };
        if conversation.custom_tools.contains(&name) {
            let input = match input {
                Value::String(text) => text,
                other => other.to_string(),
            };
            return ResponseCall::CustomCall { name, input };
        }
        if let Some((namespace, tool)) = conversation.namespaced(&name) {
            return ResponseCall::NamespacedCall {
                namespace,
                name: tool,
                input,
            };
        }
        if name.starts_with("mcp__") && conversation.offers_tool_search {
            return ResponseCall::SearchFor { name };
        }
        ResponseCall::Answer(Answer::ToolUse { name, input })
    }

    /// The events of the answer, in the order the real API streams them.
    fn frames(&self, number: u64, input_tokens: u64) -> Vec<Frame> {
        let response_id = format!("resp_scripted_{number:06}");
        let call_id = format!("call_scripted_{number:06}");
        let item_id = format!("item_scripted_{number:06}");
        let mut frames = vec![event(json!({
            "type": "response.created",
            "response": { "id": response_id, "status": "in_progress" }
        }))];
        let (item, deltas, output_length) = match self {
            ResponseCall::Answer(Answer::Text { text }) => (
                message_item(&item_id, text),
                vec![(0, text.as_str())],
                text.len(),
            ),
            ResponseCall::Answer(Answer::SlowText {
                text,
                chunk_delay_ms,
            }) => (
                message_item(&item_id, text),
                words(text)
                    .into_iter()
                    .map(|word| (*chunk_delay_ms, word))
                    .collect(),
                text.len(),
            ),
            ResponseCall::Answer(Answer::ToolUse { name, input }) => {
                let arguments = input.to_string();
                let length = arguments.len();
                (
                    json!({ "type": "function_call", "id": item_id, "call_id": call_id,
                            "name": name, "arguments": arguments, "status": "completed" }),
                    Vec::new(),
                    length,
                )
            }
            ResponseCall::NamespacedCall {
                namespace,
                name,
                input,
            } => {
                let arguments = input.to_string();
                let length = arguments.len();
                (
                    json!({ "type": "function_call", "id": item_id, "call_id": call_id,
                            "namespace": namespace, "name": name, "arguments": arguments,
                            "status": "completed" }),
                    Vec::new(),
                    length,
                )
            }
            ResponseCall::CustomCall { name, input } => (
                json!({ "type": "custom_tool_call", "id": item_id, "call_id": call_id,
                        "name": name, "input": input, "status": "completed" }),
                Vec::new(),
                input.len(),
            ),
            ResponseCall::SearchFor { name } => (
                json!({ "type": "tool_search_call", "id": item_id, "call_id": call_id,
                        "execution": "client", "status": "completed",
                        "arguments": { "query": search_query(name), "limit": 8 } }),
                Vec::new(),
                name.len(),
            ),
        };
        let mut added = item.clone();
        if added["type"] == "message" {
            added["content"] = json!([]);
        }
        frames.push(event(
            json!({ "type": "response.output_item.added", "output_index": 0, "item": added }),
        ));
        for (delay_ms, delta) in deltas {
            let mut frame = event(json!({
                "type": "response.output_text.delta",
                "item_id": item_id, "output_index": 0, "content_index": 0, "delta": delta
            }));
            frame.delay = Duration::from_millis(delay_ms);
            frames.push(frame);
        }
        frames.push(event(
            json!({ "type": "response.output_item.done", "output_index": 0, "item": item }),
        ));
        let output_tokens = (output_length as u64 / 4).max(1);
        frames.push(event(json!({
            "type": "response.completed",
            "response": {
                "id": response_id, "status": "completed",
                "usage": {
                    "input_tokens": input_tokens,
                    "input_tokens_details": { "cached_tokens": 0 },
                    "output_tokens": output_tokens,
                    "output_tokens_details": { "reasoning_tokens": 0 },
                    "total_tokens": input_tokens + output_tokens
                }
            }
        })));
        frames
    }
}

/// What the model needs to know of a request.
struct Conversation {
    offers_tools: bool,
    offers_tool_search: bool,
    /// Names of the tools offered as `custom` (freeform) tools.
    custom_tools: Vec<String>,
    /// Every namespace the model can call into: offered in `tools`, or found by a tool search
    /// earlier in the conversation. Each is `(namespace, tool names)`.
    namespaces: Vec<(String, Vec<String>)>,
    /// The user's own texts, with the position of their message in `input`.
    user_texts: Vec<(usize, String)>,
    input: Vec<Value>,
}

impl Conversation {
    fn read(body: &Value) -> Conversation {
        let tools = body
            .get("tools")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let input = body
            .get("input")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let type_of = |item: &Value| item.get("type").and_then(Value::as_str).map(str::to_owned);
        let name_of = |item: &Value| item.get("name").and_then(Value::as_str).map(str::to_owned);
        let mut namespaces = namespaces_in(&tools);
        for item in &input {
            if type_of(item).as_deref() == Some("tool_search_output") {
                let found = item
                    .get("tools")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                namespaces.extend(namespaces_in(&found));
            }
        }
        let user_texts = input
            .iter()
            .enumerate()
            .filter(|(_, item)| {
                type_of(item).as_deref() == Some("message")
                    && item.get("role").and_then(Value::as_str) == Some("user")
            })
            .map(|(position, item)| (position, user_text(item)))
            .filter(|(_, text)| !text.is_empty())
            .collect();
        Conversation {
            offers_tools: !tools.is_empty(),
            offers_tool_search: tools
                .iter()
                .any(|tool| type_of(tool).as_deref() == Some("tool_search")),
            custom_tools: tools
                .iter()
                .filter(|tool| type_of(tool).as_deref() == Some("custom"))
                .filter_map(name_of)
                .collect(),
            namespaces,
            user_texts,
            input,
        }
    }

    /// The latest user text and how many tool calls the model made since (its step).
    fn prompt(&self) -> Option<(String, usize)> {
        let (position, text) = self.user_texts.last()?;
        let step = self.input[position + 1..]
            .iter()
            .filter(|item| {
                matches!(
                    item.get("type").and_then(Value::as_str),
                    Some("function_call_output" | "custom_tool_call_output")
                )
            })
            .count();
        Some((text.clone(), step))
    }

    /// Every user text of the conversation, as [`crate::Reply::Echo`] reports it.
    fn echo_summary(&self) -> String {
        let texts: Vec<String> = self
            .user_texts
            .iter()
            .map(|(_, text)| format!("[{text}]"))
            .collect();
        format!("echo: {}", texts.join(" "))
    }

    /// `mcp__agentyard__list_projects` as `("mcp__agentyard", "list_projects")` when a namespace
    /// the model can call holds it.
    fn namespaced(&self, name: &str) -> Option<(String, String)> {
        self.namespaces.iter().find_map(|(namespace, tools)| {
            let tool = name.strip_prefix(namespace.as_str())?.strip_prefix("__")?;
            tools
                .iter()
                .any(|offered| offered == tool)
                .then(|| (namespace.clone(), tool.to_owned()))
        })
    }
}

/// The namespaces among `tools`, each with the names of its tools.
fn namespaces_in(tools: &[Value]) -> Vec<(String, Vec<String>)> {
    tools
        .iter()
        .filter(|tool| tool.get("type").and_then(Value::as_str) == Some("namespace"))
        .filter_map(|namespace| {
            let name = namespace.get("name")?.as_str()?.to_owned();
            let tools = namespace
                .get("tools")?
                .as_array()?
                .iter()
                .filter_map(|tool| tool.get("name")?.as_str().map(str::to_owned))
                .collect();
            Some((name, tools))
        })
        .collect()
}

/// The words a tool search looks for: the tool's own name, without its server's prefix.
fn search_query(name: &str) -> String {
    name.rsplit("__").next().unwrap_or(name).replace('_', " ")
}

/// The text a person wrote in one user message: its `input_text` blocks without the blocks the
/// CLI adds itself, joined.
fn user_text(message: &Value) -> String {
    let blocks = message
        .get("content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    blocks
        .iter()
        .filter(|block| block.get("type").and_then(Value::as_str) == Some("input_text"))
        .filter_map(|block| block.get("text").and_then(Value::as_str))
        .map(str::trim)
        .filter(|text| !text.is_empty() && !is_cli_block(text))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a text is one `<tag>…</tag>` block, as Codex wraps the context it adds
/// (`<environment_context>`, `<turn_aborted>`, `<permissions instructions>`).
fn is_cli_block(text: &str) -> bool {
    let Some(opening) = text.strip_prefix('<') else {
        return false;
    };
    let Some(end) = opening.find('>') else {
        return false;
    };
    let tag = &opening[..end];
    !tag.is_empty() && text.ends_with(&format!("</{tag}>"))
}

fn message_item(id: &str, text: &str) -> Value {
    json!({
        "type": "message", "id": id, "role": "assistant", "status": "completed",
        "content": [{ "type": "output_text", "text": text, "annotations": [] }]
    })
}

fn event(data: Value) -> Frame {
    let name = data["type"].as_str().unwrap_or("message").to_owned();
    Frame {
        delay: Duration::ZERO,
        text: format!("event: {name}\ndata: {data}\n\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::Reply;

    fn user(text: &str) -> Value {
        json!({ "type": "message", "role": "user", "content": [{ "type": "input_text", "text": text }] })
    }

    fn request(input: Value) -> Value {
        json!({
            "model": "gpt-5.5",
            "tools": [
                { "type": "function", "name": "exec_command" },
                { "type": "custom", "name": "apply_patch" },
                { "type": "tool_search", "execution": "client" }
            ],
            "input": input
        })
    }

    fn script() -> Script {
        Script::new()
            .rule(
                "RUN",
                [
                    Reply::tool_use("exec_command", json!({ "cmd": "ls" })),
                    Reply::text("ran"),
                ],
            )
            .rule(
                "PATCH",
                [Reply::tool_use(
                    "apply_patch",
                    json!("*** Begin Patch\n*** End Patch\n"),
                )],
            )
            .rule(
                "TOOLS",
                [Reply::tool_use("mcp__agentyard__list_projects", json!({}))],
            )
            .rule("ECHO", [Reply::Echo])
    }

    fn events(call: &ResponseCall) -> Vec<Value> {
        call.frames(1, 10)
            .iter()
            .map(|frame| {
                let data = frame.text.split("data: ").nth(1).expect("a data line");
                serde_json::from_str(data.trim()).expect("json data")
            })
            .collect()
    }

    #[test]
    fn the_cli_context_blocks_are_not_the_users_text() {
        let body = request(json!([
            user("<environment_context>\n  <cwd>/w</cwd>\n</environment_context>"),
            user("please RUN it"),
            user("<turn_aborted>\nstopped\n</turn_aborted>")
        ]));
        let call = ResponseCall::plan(&script(), &body);
        assert_eq!(
            call,
            ResponseCall::Answer(Answer::ToolUse {
                name: "exec_command".into(),
                input: json!({ "cmd": "ls" })
            })
        );
    }

    #[test]
    fn a_function_call_output_moves_to_the_next_step() {
        let body = request(json!([
            user("please RUN it"),
            { "type": "function_call", "call_id": "c", "name": "exec_command", "arguments": "{}" },
            { "type": "function_call_output", "call_id": "c", "output": "a.txt" }
        ]));
        assert_eq!(
            ResponseCall::plan(&script(), &body),
            ResponseCall::Answer(Answer::text("ran"))
        );
    }

    #[test]
    fn a_function_call_streams_its_arguments_as_json_text() {
        let call = ResponseCall::plan(&script(), &request(json!([user("RUN")])));
        let events = events(&call);
        let types: Vec<&str> = events
            .iter()
            .map(|event| event["type"].as_str().expect("a type"))
            .collect();
        assert_eq!(
            types,
            [
                "response.created",
                "response.output_item.added",
                "response.output_item.done",
                "response.completed"
            ]
        );
        assert_eq!(events[2]["item"]["type"], "function_call");
        assert_eq!(events[2]["item"]["arguments"], r#"{"cmd":"ls"}"#);
        assert_eq!(events[3]["response"]["usage"]["input_tokens"], 10);
    }

    #[test]
    fn a_freeform_tool_gets_its_raw_text() {
        let call = ResponseCall::plan(&script(), &request(json!([user("PATCH")])));
        assert_eq!(
            call,
            ResponseCall::CustomCall {
                name: "apply_patch".into(),
                input: "*** Begin Patch\n*** End Patch\n".into()
            }
        );
    }

    #[test]
    fn a_deferred_mcp_tool_is_searched_for_then_called_in_its_namespace() {
        let first = ResponseCall::plan(&script(), &request(json!([user("TOOLS")])));
        assert_eq!(
            first,
            ResponseCall::SearchFor {
                name: "mcp__agentyard__list_projects".into()
            }
        );
        assert_eq!(
            events(&first)[2]["item"]["arguments"]["query"],
            "list projects"
        );
        let found = request(json!([
            user("TOOLS"),
            { "type": "tool_search_call", "call_id": "s", "arguments": { "query": "list projects" } },
            { "type": "tool_search_output", "call_id": "s", "tools": [
                { "type": "namespace", "name": "mcp__agentyard", "tools": [
                    { "type": "function", "name": "list_projects" } ] } ] }
        ]));
        assert_eq!(
            ResponseCall::plan(&script(), &found),
            ResponseCall::NamespacedCall {
                namespace: "mcp__agentyard".into(),
                name: "list_projects".into(),
                input: json!({})
            }
        );
    }

    #[test]
    fn a_text_streams_one_delta_and_a_complete_message() {
        let call = ResponseCall::plan(
            &script(),
            &request(json!([user("ECHO one"), user("ECHO two")])),
        );
        let events = events(&call);
        assert_eq!(events[2]["type"], "response.output_text.delta");
        assert_eq!(events[2]["delta"], "echo: [ECHO one] [ECHO two]");
        assert_eq!(
            events[3]["item"]["content"][0]["text"],
            "echo: [ECHO one] [ECHO two]"
        );
    }

    #[test]
    fn side_requests_without_tools_get_the_default_text() {
        let body = json!({ "input": [user("RUN")] });
        assert_eq!(
            ResponseCall::plan(&script(), &body),
            ResponseCall::Answer(Answer::text(DEFAULT_REPLY))
        );
    }
}
