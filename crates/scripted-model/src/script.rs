//! The script: which reply the model gives to which conversation.
//!
//! Owns the rules and the choice of a reply from a received request body; knows nothing of HTTP.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The text of the reply when no rule matches or a rule has run out of steps.
pub const DEFAULT_REPLY: &str = "ok";

/// Everything the scripted model will say, as an ordered list of rules.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Script {
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// When the latest user text contains `when`, the model answers with `steps`, one per model call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub when: String,
    pub steps: Vec<Reply>,
}

/// One model call's answer, as written in a script.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    /// A plain text answer, streamed as one delta.
    Text { text: String },
    /// A call of any tool the CLI offers (`Write`, `Bash`, `mcp__agentyard__list_projects`, …).
    ToolUse { name: String, input: Value },
    /// A text streamed word by word with a pause before each word, so a turn can be interrupted.
    SlowText { text: String, chunk_delay_ms: u64 },
    /// A summary of the conversation received: every real user text, in order.
    /// Lets a test check that a resumed conversation reached the model.
    Echo,
}

/// What the model says to one request: a [`Reply`] with [`Reply::Echo`] already resolved to its text.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Text { text: String },
    ToolUse { name: String, input: Value },
    SlowText { text: String, chunk_delay_ms: u64 },
}

impl Answer {
    pub fn text(text: impl Into<String>) -> Self {
        Answer::Text { text: text.into() }
    }
}

impl Script {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a rule; rules are tried in the order they were added.
    pub fn rule(mut self, when: impl Into<String>, steps: impl IntoIterator<Item = Reply>) -> Self {
        self.rules.push(Rule {
            when: when.into(),
            steps: steps.into_iter().collect(),
        });
        self
    }

    /// The reply to a `/v1/messages` request body.
    ///
    /// Requests that offer no tools are the CLI's side requests (titles, summaries): they always get
    /// the default text, because a scripted tool call would make no sense there.
    pub fn answer(&self, body: &Value) -> Answer {
        let messages = body
            .get("messages")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let offers_tools = body
            .get("tools")
            .and_then(Value::as_array)
            .is_some_and(|tools| !tools.is_empty());
        if !offers_tools {
            return Answer::text(DEFAULT_REPLY);
        }
        let Some((position, prompt)) = latest_user_text(messages) else {
            return Answer::text(DEFAULT_REPLY);
        };
        let step = messages[position + 1..]
            .iter()
            .filter(|message| role(message) == Some("assistant"))
            .count();
        self.answer_to(&prompt, step, || echo_summary(messages))
    }

    /// The answer of the `step`th model call (from 0) after the user wrote `prompt`, whatever the
    /// API: `echo` gives the conversation's summary when the step is [`Reply::Echo`].
    pub fn answer_to(&self, prompt: &str, step: usize, echo: impl FnOnce() -> String) -> Answer {
        let chosen = self
            .rules
            .iter()
            .find(|rule| prompt.contains(&rule.when))
            .and_then(|rule| rule.steps.get(step));
        match chosen.cloned() {
            Some(Reply::Text { text }) => Answer::Text { text },
            Some(Reply::ToolUse { name, input }) => Answer::ToolUse { name, input },
            Some(Reply::SlowText {
                text,
                chunk_delay_ms,
            }) => Answer::SlowText {
                text,
                chunk_delay_ms,
            },
            Some(Reply::Echo) => Answer::text(echo()),
            None => Answer::text(DEFAULT_REPLY),
        }
    }
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Self {
        Reply::Text { text: text.into() }
    }

    pub fn tool_use(name: impl Into<String>, input: Value) -> Self {
        Reply::ToolUse {
            name: name.into(),
            input,
        }
    }

    pub fn slow_text(text: impl Into<String>, chunk_delay_ms: u64) -> Self {
        Reply::SlowText {
            text: text.into(),
            chunk_delay_ms,
        }
    }
}

fn role(message: &Value) -> Option<&str> {
    message.get("role").and_then(Value::as_str)
}

/// The index and the real text of the latest user message that has any, skipping messages that
/// carry only tool results or only the CLI's own `<system-reminder>` blocks.
fn latest_user_text(messages: &[Value]) -> Option<(usize, String)> {
    messages
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, message)| role(message) == Some("user"))
        .find_map(|(position, message)| {
            let text = user_text(message);
            (!text.is_empty()).then_some((position, text))
        })
}

/// The text a person wrote in one user message: text blocks without the CLI's reminders, joined.
fn user_text(message: &Value) -> String {
    let pieces: Vec<String> = match message.get("content") {
        Some(Value::String(text)) => vec![strip_system_reminders(text)],
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter(|block| block.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|block| block.get("text").and_then(Value::as_str))
            .map(strip_system_reminders)
            .collect(),
        _ => Vec::new(),
    };
    pieces
        .iter()
        .map(|piece| piece.trim())
        .filter(|piece| !piece.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Removes every `<system-reminder>…</system-reminder>` block; an unclosed one runs to the end.
fn strip_system_reminders(text: &str) -> String {
    const OPEN: &str = "<system-reminder>";
    const CLOSE: &str = "</system-reminder>";
    let mut kept = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        kept.push_str(&rest[..start]);
        let after_open = &rest[start + OPEN.len()..];
        rest = match after_open.find(CLOSE) {
            Some(end) => &after_open[end + CLOSE.len()..],
            None => "",
        };
    }
    kept.push_str(rest);
    kept
}

fn echo_summary(messages: &[Value]) -> String {
    let texts: Vec<String> = messages
        .iter()
        .filter(|message| role(message) == Some("user"))
        .map(user_text)
        .filter(|text| !text.is_empty())
        .map(|text| format!("[{text}]"))
        .collect();
    format!("echo: {}", texts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(messages: Value) -> Value {
        json!({ "model": "m", "tools": [{ "name": "Write" }], "messages": messages })
    }

    fn write_then_done() -> Script {
        Script::new().rule(
            "WRITE",
            [
                Reply::tool_use("Write", json!({ "file_path": "/w/a.txt", "content": "a" })),
                Reply::text("done"),
            ],
        )
    }

    #[test]
    fn the_first_call_of_a_turn_plays_the_first_step() {
        let body = request(json!([
            { "role": "user", "content": [
                { "type": "text", "text": "<system-reminder>WRITE nothing</system-reminder>" },
                { "type": "text", "text": "please WRITE a file" } ] },
            { "role": "system", "content": "environment" }
        ]));
        assert!(
            matches!(write_then_done().answer(&body), Answer::ToolUse { name, .. } if name == "Write")
        );
    }

    #[test]
    fn the_call_after_a_tool_result_plays_the_next_step() {
        let body = request(json!([
            { "role": "user", "content": "please WRITE a file" },
            { "role": "assistant", "content": [{ "type": "tool_use", "id": "t", "name": "Write", "input": {} }] },
            { "role": "user", "content": [{ "type": "tool_result", "tool_use_id": "t", "content": "ok" }] }
        ]));
        assert_eq!(write_then_done().answer(&body), Answer::text("done"));
    }

    #[test]
    fn exhausted_steps_and_unmatched_prompts_get_the_default_text() {
        let exhausted = request(json!([
            { "role": "user", "content": "WRITE" },
            { "role": "assistant", "content": "x" },
            { "role": "user", "content": [{ "type": "tool_result", "tool_use_id": "t", "content": "" }] },
            { "role": "assistant", "content": "y" },
            { "role": "user", "content": [{ "type": "tool_result", "tool_use_id": "u", "content": "" }] }
        ]));
        assert_eq!(
            write_then_done().answer(&exhausted),
            Answer::text(DEFAULT_REPLY)
        );
        let unmatched = request(json!([{ "role": "user", "content": "hello" }]));
        assert_eq!(
            write_then_done().answer(&unmatched),
            Answer::text(DEFAULT_REPLY)
        );
    }

    #[test]
    fn a_reminder_alone_does_not_count_as_the_users_text() {
        let body = request(json!([
            { "role": "user", "content": "please WRITE a file" },
            { "role": "assistant", "content": "x" },
            { "role": "user", "content": [
                { "type": "text", "text": "<system-reminder>hello</system-reminder>" },
                { "type": "tool_result", "tool_use_id": "t", "content": "" } ] }
        ]));
        assert_eq!(write_then_done().answer(&body), Answer::text("done"));
    }

    #[test]
    fn side_requests_without_tools_get_the_default_text() {
        let body = json!({ "messages": [{ "role": "user", "content": "WRITE" }] });
        assert_eq!(write_then_done().answer(&body), Answer::text(DEFAULT_REPLY));
    }

    #[test]
    fn echo_lists_every_user_text_of_the_conversation() {
        let script = Script::new().rule("second", [Reply::Echo]);
        let body = request(json!([
            { "role": "user", "content": "first question" },
            { "role": "assistant", "content": "answer" },
            { "role": "user", "content": [{ "type": "text", "text": "second question" }] }
        ]));
        assert_eq!(
            script.answer(&body),
            Answer::text("echo: [first question] [second question]")
        );
    }

    #[test]
    fn scripts_read_from_json() {
        let script: Script = serde_json::from_value(json!({ "rules": [
            { "when": "a", "steps": [
                { "type": "text", "text": "t" },
                { "type": "tool_use", "name": "Bash", "input": { "command": "ls" } },
                { "type": "slow_text", "text": "s", "chunk_delay_ms": 5 },
                { "type": "echo" } ] } ] }))
        .expect("a valid script");
        assert_eq!(script.rules[0].steps.len(), 4);
    }
}
