//! The Codex parser against real transcripts of Codex 0.171.0.
//!
//! The transcripts are the crate's own fixtures (`tests/fixtures/codex-cli-0.171.0/`, see its README).

use agent::{ContentBlock, Event, TokenUsage, agent_cli};

const TRANSCRIPTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/codex-cli-0.171.0"
);

fn events(name: &str) -> Vec<Event> {
    let path = format!("{TRANSCRIPTS}/{name}");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read the reference transcript {path}: {error}"));
    let mut parser = agent_cli(domain::AgentCli::Codex).parser();
    // Fed in small chunks, as a pipe delivers them.
    let mut events: Vec<Event> = text
        .as_bytes()
        .chunks(7)
        .flat_map(|chunk| parser.push(chunk).expect("transcript lines are short"))
        .map(|parsed| parsed.event)
        .collect();
    events.extend(parser.finish().into_iter().map(|parsed| parsed.event));
    events
}

fn thread_of(events: &[Event]) -> String {
    match &events[0] {
        Event::SystemInit { session_id, .. } => session_id.clone(),
        other => panic!("the first event is not the thread: {other:?}"),
    }
}

fn tool_calls(events: &[Event]) -> Vec<(String, String)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Assistant { content } => Some(content),
            _ => None,
        })
        .flatten()
        .filter_map(|block| match block {
            ContentBlock::ToolUse { id, name, .. } => Some((id.clone(), name.clone())),
            _ => None,
        })
        .collect()
}

fn results(events: &[Event]) -> Vec<(String, String, bool)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::ToolResult {
                tool_use_id,
                content,
                is_error,
            } => Some((tool_use_id.clone(), content.clone(), *is_error)),
            _ => None,
        })
        .collect()
}

fn final_result(events: &[Event]) -> (String, Option<String>, Option<TokenUsage>) {
    match events.last() {
        Some(Event::Result {
            session_id,
            is_error: false,
            result,
            usage,
            ..
        }) => (session_id.clone(), result.clone(), *usage),
        other => panic!("the last event is not a successful result: {other:?}"),
    }
}

#[test]
fn the_text_turn_gives_the_thread_the_message_and_the_usage() {
    let events = events("text-turn.jsonl");
    let thread = thread_of(&events);
    assert!(events.contains(&Event::Assistant {
        content: vec![ContentBlock::Text {
            text: "hi from the script".into()
        }]
    }));
    let (session, result, usage) = final_result(&events);
    assert_eq!(session, thread);
    assert_eq!(result.as_deref(), Some("hi from the script"));
    assert!(usage.is_some_and(|usage| usage.input_tokens > 0 && usage.output_tokens > 0));
}

#[test]
fn the_resumed_turn_continues_the_same_thread() {
    let first = thread_of(&events("text-turn.jsonl"));
    let resumed = events("resume-turn.jsonl");
    assert_eq!(thread_of(&resumed), first);
    assert_eq!(
        final_result(&resumed).1.as_deref(),
        Some("echo: [hello there] [again, please]")
    );
}

#[test]
fn a_command_is_a_shell_call_paired_with_its_output() {
    let events = events("command-turn.jsonl");
    assert_eq!(tool_calls(&events), [("item_0".into(), "shell".into())]);
    let results = results(&events);
    assert_eq!(results.len(), 1);
    assert!(results[0].1.ends_with("a.txt\n"), "{:?}", results[0]);
    assert!(!results[0].2);
    assert_eq!(final_result(&events).1.as_deref(), Some("ran it"));
}

#[test]
fn a_patch_is_an_apply_patch_call_naming_the_changed_files() {
    let events = events("patch-turn.jsonl");
    assert_eq!(
        tool_calls(&events),
        [("item_0".into(), "apply_patch".into())]
    );
    assert_eq!(
        results(&events),
        [("item_0".into(), "add /workspace/notes/b.txt".into(), false)]
    );
}

#[test]
fn an_mcp_call_is_named_as_claude_names_it_and_carries_the_tools_text() {
    let events = events("mcp-tool-turn.jsonl");
    assert_eq!(
        tool_calls(&events),
        [("item_0".into(), "mcp__agentyard__list_projects".into())]
    );
    assert_eq!(
        results(&events),
        [("item_0".into(), r#"[{"name":"demo"}]"#.into(), false)]
    );
}

#[test]
fn an_interrupted_turn_ends_without_a_result() {
    let events = events("interrupt.jsonl");
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, Event::Result { .. }))
    );
}

#[test]
fn every_raw_line_is_kept() {
    let mut parser = agent_cli(domain::AgentCli::Codex).parser();
    let text = std::fs::read_to_string(format!("{TRANSCRIPTS}/command-turn.jsonl"))
        .expect("the transcript");
    let parsed = parser.push(text.as_bytes()).expect("short lines");
    let kinds: Vec<&str> = parsed
        .iter()
        .filter_map(|parsed| parsed.raw.get("type").and_then(|kind| kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            "thread.started",
            "turn.started",
            "item.started",
            "item.completed",
            "item.completed",
            "turn.completed"
        ]
    );
}
