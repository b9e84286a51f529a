//! The Anthropic Messages API wire format of a reply: server-sent events or one JSON message.
//!
//! Owns the exact event sequence the real API sends; knows nothing of rules or sockets.

use crate::script::Answer;
use serde_json::{Value, json};
use std::time::Duration;

/// One server-sent event, sent after waiting `delay`.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub delay: Duration,
    pub text: String,
}

/// Ids of one reply: the message id and, for a tool call, the tool use id.
pub struct ReplyIds {
    pub message_id: String,
    pub tool_use_id: String,
}

/// A rough token count (four bytes a token) of a request body, for `usage` and `count_tokens`.
pub fn estimate_input_tokens(body: &Value) -> u64 {
    (body.to_string().len() as u64 / 4).max(1)
}

/// The SSE events of a streamed reply, in the order the real API sends them.
pub fn stream_frames(
    answer: &Answer,
    model: &str,
    input_tokens: u64,
    ids: &ReplyIds,
) -> Vec<Frame> {
    let mut frames = vec![event(
        json!({
            "type": "message_start",
            "message": {
                "id": ids.message_id, "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": { "input_tokens": input_tokens, "output_tokens": 1 }
            }
        }),
        Duration::ZERO,
    )];
    let (start_block, deltas): (Value, Vec<(Duration, Value)>) = match answer {
        Answer::Text { text } => (
            json!({ "type": "text", "text": "" }),
            vec![(Duration::ZERO, text_delta(text))],
        ),
        Answer::SlowText {
            text,
            chunk_delay_ms,
        } => (
            json!({ "type": "text", "text": "" }),
            words(text)
                .into_iter()
                .map(|word| (Duration::from_millis(*chunk_delay_ms), text_delta(word)))
                .collect(),
        ),
        Answer::ToolUse { name, input } => (
            json!({ "type": "tool_use", "id": ids.tool_use_id, "name": name, "input": {} }),
            vec![(
                Duration::ZERO,
                json!({ "type": "input_json_delta", "partial_json": input.to_string() }),
            )],
        ),
    };
    frames.push(event(
        json!({ "type": "content_block_start", "index": 0, "content_block": start_block }),
        Duration::ZERO,
    ));
    frames.push(event(json!({ "type": "ping" }), Duration::ZERO));
    for (delay, delta) in deltas {
        frames.push(event(
            json!({ "type": "content_block_delta", "index": 0, "delta": delta }),
            delay,
        ));
    }
    frames.push(event(
        json!({ "type": "content_block_stop", "index": 0 }),
        Duration::ZERO,
    ));
    frames.push(event(
        json!({
            "type": "message_delta",
            "delta": { "stop_reason": stop_reason(answer), "stop_sequence": null },
            "usage": { "input_tokens": input_tokens, "output_tokens": output_tokens(answer) }
        }),
        Duration::ZERO,
    ));
    frames.push(event(json!({ "type": "message_stop" }), Duration::ZERO));
    frames
}

/// The whole reply as one JSON message, for `stream: false`.
pub fn message_json(answer: &Answer, model: &str, input_tokens: u64, ids: &ReplyIds) -> Value {
    let content = match answer {
        Answer::Text { text } | Answer::SlowText { text, .. } => {
            json!([{ "type": "text", "text": text }])
        }
        Answer::ToolUse { name, input } => {
            json!([{ "type": "tool_use", "id": ids.tool_use_id, "name": name, "input": input }])
        }
    };
    json!({
        "id": ids.message_id, "type": "message", "role": "assistant", "model": model,
        "content": content, "stop_reason": stop_reason(answer), "stop_sequence": null,
        "usage": { "input_tokens": input_tokens, "output_tokens": output_tokens(answer) }
    })
}

fn event(data: Value, delay: Duration) -> Frame {
    let name = data["type"].as_str().unwrap_or("message").to_owned();
    Frame {
        delay,
        text: format!("event: {name}\ndata: {data}\n\n"),
    }
}

fn text_delta(text: &str) -> Value {
    json!({ "type": "text_delta", "text": text })
}

/// Splits a text into words that keep their trailing whitespace, so the deltas join back exactly.
pub(crate) fn words(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut in_space = false;
    for (index, character) in text.char_indices() {
        if character.is_whitespace() {
            in_space = true;
        } else if in_space {
            pieces.push(&text[start..index]);
            start = index;
            in_space = false;
        }
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

fn stop_reason(answer: &Answer) -> &'static str {
    match answer {
        Answer::ToolUse { .. } => "tool_use",
        _ => "end_turn",
    }
}

fn output_tokens(answer: &Answer) -> u64 {
    let length = match answer {
        Answer::Text { text } | Answer::SlowText { text, .. } => text.len(),
        Answer::ToolUse { input, .. } => input.to_string().len(),
    };
    (length as u64 / 4).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> ReplyIds {
        ReplyIds {
            message_id: "msg_1".into(),
            tool_use_id: "toolu_1".into(),
        }
    }

    fn event_types(frames: &[Frame]) -> Vec<String> {
        frames
            .iter()
            .map(|frame| {
                let data = frame.text.split("data: ").nth(1).expect("a data line");
                let value: Value = serde_json::from_str(data.trim()).expect("json data");
                value["type"].as_str().expect("a type").to_owned()
            })
            .collect()
    }

    #[test]
    fn a_text_reply_streams_the_events_of_the_real_api_in_order() {
        let frames = stream_frames(&Answer::text("hi"), "m", 10, &ids());
        assert_eq!(
            event_types(&frames),
            [
                "message_start",
                "content_block_start",
                "ping",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        assert!(frames[0].text.starts_with("event: message_start\ndata: {"));
        assert!(frames[5].text.contains(r#""stop_reason":"end_turn""#));
    }

    #[test]
    fn a_tool_call_streams_its_input_as_json_and_stops_for_tool_use() {
        let reply = Answer::ToolUse {
            name: "Bash".into(),
            input: json!({ "command": "ls" }),
        };
        let frames = stream_frames(&reply, "m", 10, &ids());
        assert!(frames[1].text.contains(r#""type":"tool_use""#));
        assert!(
            frames[3]
                .text
                .contains(r#""partial_json":"{\"command\":\"ls\"}""#)
        );
        assert!(frames[5].text.contains(r#""stop_reason":"tool_use""#));
    }

    #[test]
    fn a_slow_text_streams_one_delayed_delta_per_word() {
        let frames = stream_frames(
            &Answer::SlowText {
                text: "one two  three".into(),
                chunk_delay_ms: 7,
            },
            "m",
            1,
            &ids(),
        );
        let deltas: Vec<&Frame> = frames
            .iter()
            .filter(|frame| frame.text.contains("text_delta"))
            .collect();
        assert_eq!(deltas.len(), 3);
        assert!(
            deltas
                .iter()
                .all(|frame| frame.delay == Duration::from_millis(7))
        );
        assert!(deltas[1].text.contains(r#""text":"two  ""#));
    }

    #[test]
    fn a_plain_message_carries_content_and_usage() {
        let message = message_json(&Answer::text("hi"), "m", 3, &ids());
        assert_eq!(message["content"][0]["text"], "hi");
        assert_eq!(message["usage"]["input_tokens"], 3);
        assert_eq!(message["stop_reason"], "end_turn");
    }
}
