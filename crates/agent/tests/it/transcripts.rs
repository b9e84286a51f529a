//! The parser and the encoders against real transcripts of Claude Code 2.1.332.
//!
//! The transcripts are the crate's own fixtures (`tests/fixtures/claude-cli-2.1.332/`, see its README).

use agent::{
    ContentBlock, Event, INVALID_LINE, LineParser, ParsedEvent, PermissionDecision, interrupt_line,
    permission_response_line, user_message_line,
};
use serde_json::Value;

const TRANSCRIPTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/claude-cli-2.1.332"
);

const ALL: [&str; 4] = [
    "text-turn.jsonl",
    "write-tool-turn.jsonl",
    "ask-mode-permission.jsonl",
    "interrupt.jsonl",
];

/// A transcript's lines in one direction. Files with `dir` fields store each line as JSON under
/// `line`; the others are plain stdout.
fn lines(name: &str, direction: &str) -> Vec<String> {
    let path = format!("{TRANSCRIPTS}/{name}");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read the reference transcript {path}: {error}"));
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .filter_map(|line| {
            let value: Value = serde_json::from_str(line).expect("a transcript line is JSON");
            match value.get("dir").and_then(Value::as_str) {
                None if direction == "stdout" => Some(line.to_owned()),
                None => None,
                Some(dir) if dir == direction => match &value["line"] {
                    Value::String(line) => Some(line.clone()),
                    line => Some(line.to_string()),
                },
                Some(_) => None,
            }
        })
        .collect()
}

fn stdout_text(name: &str) -> String {
    lines(name, "stdout")
        .iter()
        .map(|line| format!("{line}\n"))
        .collect()
}

fn parse_all(name: &str) -> Vec<ParsedEvent> {
    let mut parser = LineParser::new();
    let mut events = parser
        .push(stdout_text(name).as_bytes())
        .expect("transcript lines are short");
    events.extend(parser.finish());
    events
}

fn stdin_json(name: &str) -> Vec<Value> {
    lines(name, "stdin")
        .iter()
        .map(|line| serde_json::from_str(line).expect("a stdin line is JSON"))
        .collect()
}

fn json(line: &str) -> Value {
    serde_json::from_str(line).expect("an encoder writes JSON")
}

#[test]
fn every_transcript_line_parses_into_at_least_one_valid_event() {
    for name in ALL {
        let count = lines(name, "stdout").len();
        let events = parse_all(name);
        assert!(
            events.len() >= count,
            "{name}: {} events for {count} lines",
            events.len()
        );
        for parsed in &events {
            assert!(
                !matches!(&parsed.event, Event::Other { kind, .. } if kind == INVALID_LINE),
                "{name}: {:?}",
                parsed.raw
            );
        }
    }
}

#[test]
fn a_stream_split_at_any_byte_gives_the_same_events_as_whole() {
    // The parser keeps nothing but the unfinished line between chunks, so splitting each line at
    // each of its bytes covers every split of the whole stream at a fraction of the cost.
    for name in ALL {
        for line in lines(name, "stdout") {
            let line = format!("{line}\n");
            let mut whole_parser = LineParser::new();
            let whole = whole_parser.push(line.as_bytes()).unwrap();
            assert!(whole_parser.finish().is_empty());
            for offset in 0..=line.len() {
                let mut parser = LineParser::new();
                let mut events = parser.push(&line.as_bytes()[..offset]).unwrap();
                events.extend(parser.push(&line.as_bytes()[offset..]).unwrap());
                events.extend(parser.finish());
                assert!(
                    events == whole,
                    "{name}: split at byte {offset} of {line} changed the events"
                );
            }
        }
    }
}

#[test]
fn a_stream_in_small_chunks_gives_the_same_events_as_whole() {
    for name in ALL {
        let text = stdout_text(name);
        let mut parser = LineParser::new();
        let mut events = Vec::new();
        for chunk in text.as_bytes().chunks(7) {
            events.extend(parser.push(chunk).unwrap());
        }
        events.extend(parser.finish());
        assert!(
            events == parse_all(name),
            "{name}: chunking changed the events"
        );
    }
}

#[test]
fn the_text_turn_gives_init_deltas_the_message_and_a_successful_result() {
    let events: Vec<Event> = parse_all("text-turn.jsonl")
        .into_iter()
        .map(|parsed| parsed.event)
        .collect();
    let Event::SystemInit {
        session_id,
        model,
        cwd,
        tools,
    } = &events[0]
    else {
        panic!("the first event is not the init: {:?}", events[0]);
    };
    assert_eq!(session_id, "0e82a8a0-eea6-47f3-b15d-a89284c49805");
    assert_eq!(model, "claude-opus-5-5");
    assert_eq!(cwd, "/workspace");
    assert!(tools.iter().any(|tool| tool == "Write"));
    assert!(events.contains(&Event::TextDelta {
        text: "echo: hello there".into()
    }));
    assert!(events.contains(&Event::Assistant {
        content: vec![ContentBlock::Text {
            text: "echo: hello there".into()
        }]
    }));
    let Some(Event::Result {
        session_id: result_session,
        subtype,
        is_error,
        total_cost_usd,
        result,
        usage,
    }) = events.last()
    else {
        panic!("the last event is not the result: {:?}", events.last());
    };
    assert_eq!(result_session, session_id);
    assert_eq!(subtype, "success");
    assert!(!is_error);
    assert!(total_cost_usd.is_some_and(|cost| cost > 0.0));
    assert_eq!(result.as_deref(), Some("echo: hello there"));
    assert_eq!(
        *usage,
        Some(agent::TokenUsage {
            input_tokens: 10,
            output_tokens: 5,
            cached_input_tokens: 0
        })
    );
}

#[test]
fn the_write_turn_pairs_the_tool_call_with_its_result() {
    let events: Vec<Event> = parse_all("write-tool-turn.jsonl")
        .into_iter()
        .map(|parsed| parsed.event)
        .collect();
    let tool_use = events
        .iter()
        .find_map(|event| match event {
            Event::Assistant { content } => content.iter().find_map(|block| match block {
                ContentBlock::ToolUse { id, name, input } => {
                    Some((id.clone(), name.clone(), input.clone()))
                }
                _ => None,
            }),
            _ => None,
        })
        .expect("a tool call");
    assert_eq!(tool_use.1, "Write");
    assert_eq!(tool_use.2["file_path"], "/workspace/notes/b.txt");
    let result = events
        .iter()
        .find_map(|event| match event {
            Event::ToolResult {
                tool_use_id,
                content,
                is_error,
            } => Some((tool_use_id, content, is_error)),
            _ => None,
        })
        .expect("a tool result");
    assert_eq!(result.0, &tool_use.0);
    assert!(result.1.starts_with("File created successfully"));
    assert!(!result.2);
}

#[test]
fn the_user_message_encoder_writes_what_the_cli_accepted() {
    for name in ["ask-mode-permission.jsonl", "interrupt.jsonl"] {
        let first = stdin_json(name).remove(0);
        let content = first["message"]["content"]
            .as_str()
            .expect("a text message");
        assert_eq!(json(&user_message_line(content)), first, "{name}");
    }
}

#[test]
fn the_ask_transcript_asks_and_the_allow_encoder_writes_what_the_cli_accepted() {
    let events = parse_all("ask-mode-permission.jsonl");
    let (request_id, input) = events
        .iter()
        .find_map(|parsed| match &parsed.event {
            Event::PermissionRequest {
                request_id,
                tool_name,
                input,
                tool_use_id,
            } => {
                assert_eq!(tool_name, "Write");
                assert_eq!(tool_use_id.as_deref(), Some("toolu_1795735207581"));
                Some((request_id.clone(), input.clone()))
            }
            _ => None,
        })
        .expect("a permission request");
    let line = permission_response_line(
        &request_id,
        &PermissionDecision::Allow {
            updated_input: input,
        },
    );
    assert_eq!(json(&line), stdin_json("ask-mode-permission.jsonl")[1]);
}

#[test]
fn a_deny_answer_has_the_shape_of_an_allow_with_a_message() {
    let line = permission_response_line(
        "r1",
        &PermissionDecision::Deny {
            message: "not now".into(),
        },
    );
    assert_eq!(
        json(&line),
        serde_json::json!({ "type": "control_response", "response": {
            "subtype": "success", "request_id": "r1",
            "response": { "behavior": "deny", "message": "not now" } } })
    );
}

#[test]
fn the_interrupt_encoder_writes_what_the_cli_accepted_and_the_turn_ends_in_error() {
    let stdin = stdin_json("interrupt.jsonl");
    assert_eq!(json(&interrupt_line("req-interrupt-1")), stdin[1]);
    let events: Vec<Event> = parse_all("interrupt.jsonl")
        .into_iter()
        .map(|parsed| parsed.event)
        .collect();
    assert!(events.contains(&Event::ControlResponse {
        request_id: "req-interrupt-1".into(),
        success: true,
        error: None
    }));
    assert!(matches!(
        events.last(),
        Some(Event::Result { subtype, is_error: true, result: None, .. }) if subtype == "error_during_execution"
    ));
}

#[test]
fn the_raw_json_of_each_event_is_the_line_it_came_from() {
    let stdout = lines("text-turn.jsonl", "stdout");
    let events = parse_all("text-turn.jsonl");
    assert_eq!(events.len(), stdout.len());
    for (parsed, line) in events.iter().zip(&stdout) {
        assert_eq!(
            parsed.raw,
            serde_json::from_str::<Value>(line).expect("json")
        );
    }
}
