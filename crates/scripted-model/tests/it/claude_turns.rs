//! Whole turns of the real `claude` CLI against the scripted model, in the modes the engine uses.

use crate::claude::{Sandbox, Turn, claude_or_explain, result_of, streamed_text};
use agent::{ClaudeCommand, Event, PermissionDecision, interrupt_line, permission_response_line};
use domain::SessionMode;
use scripted_model::{Reply, Script, ScriptedModel};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn execute() -> ClaudeCommand {
    ClaudeCommand::new(SessionMode::Execute)
}

#[tokio::test]
async fn a_text_turn_streams_deltas_and_ends_with_a_result() {
    let Some(claude) = claude_or_explain() else {
        return;
    };
    let model =
        ScriptedModel::start(Script::new().rule("hello", [Reply::text("hi from the script")]));
    let sandbox = Sandbox::new();
    let events = Turn::start(&claude, &sandbox, &model, &execute(), "hello there")
        .await
        .finish()
        .await;
    assert!(
        matches!(&events[0], Event::SystemInit { .. }),
        "{:?}",
        events[0]
    );
    assert_eq!(streamed_text(&events), "hi from the script");
    let (_, subtype, result) = result_of(&events);
    assert_eq!(subtype, "success");
    assert_eq!(result.as_deref(), Some("hi from the script"));
    let requests = model.requests();
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|request| request.headers["x-api-key"] == "test-key")
    );
}

#[tokio::test]
async fn a_write_tool_call_really_creates_the_file() {
    let Some(claude) = claude_or_explain() else {
        return;
    };
    let sandbox = Sandbox::new();
    let target = sandbox.workspace().join("notes").join("a.txt");
    let script = Script::new().rule(
        "WRITE",
        [
            Reply::tool_use(
                "Write",
                json!({ "file_path": target, "content": "written by the script\n" }),
            ),
            Reply::text("wrote it"),
        ],
    );
    let model = ScriptedModel::start(script);
    let events = Turn::start(&claude, &sandbox, &model, &execute(), "WRITE a note")
        .await
        .finish()
        .await;
    let content = std::fs::read_to_string(&target).unwrap_or_else(|error| {
        panic!(
            "{} was not written ({error}); events: {events:?}",
            target.display()
        )
    });
    assert_eq!(content, "written by the script\n");
    assert!(events.iter().any(|event| matches!(
        event,
        Event::ToolResult {
            is_error: false,
            ..
        }
    )));
    assert_eq!(result_of(&events).2.as_deref(), Some("wrote it"));
}

#[tokio::test]
async fn a_bash_tool_call_runs_without_a_prompt_in_execute_mode() {
    let Some(claude) = claude_or_explain() else {
        return;
    };
    let sandbox = Sandbox::new();
    // `uname` is not a file operation: `acceptEdits` alone would refuse it, so this proves the
    // explicit Bash allowance of execute mode.
    let script = Script::new().rule(
        "SHELL",
        [
            Reply::tool_use(
                "Bash",
                json!({ "command": "uname -s > bash-out.txt && echo ran >> bash-out.txt", "description": "write a file" }),
            ),
            Reply::text("ran it"),
        ],
    );
    let model = ScriptedModel::start(script);
    let events = Turn::start(&claude, &sandbox, &model, &execute(), "SHELL please")
        .await
        .finish()
        .await;
    let output = std::fs::read_to_string(sandbox.workspace().join("bash-out.txt"))
        .unwrap_or_else(|error| panic!("the command did not run ({error}); events: {events:?}"));
    assert_eq!(output, "Linux\nran\n");
}

#[tokio::test]
async fn a_resumed_turn_sends_the_model_the_earlier_conversation() {
    let Some(claude) = claude_or_explain() else {
        return;
    };
    let sandbox = Sandbox::new();
    let script = Script::new()
        .rule("FIRST", [Reply::text("the first answer")])
        .rule("SECOND", [Reply::Echo]);
    let model = ScriptedModel::start(script);
    let first = Turn::start(&claude, &sandbox, &model, &execute(), "FIRST question")
        .await
        .finish()
        .await;
    let (session_id, _, _) = result_of(&first);
    let resumed = ClaudeCommand {
        resume: Some(session_id),
        ..execute()
    };
    let second = Turn::start(&claude, &sandbox, &model, &resumed, "SECOND question")
        .await
        .finish()
        .await;
    let echoed = result_of(&second).2.unwrap_or_default();
    assert!(
        echoed.contains("FIRST question") && echoed.contains("SECOND question"),
        "{echoed}"
    );
    let last = model.requests().pop().expect("requests").body;
    let conversation = last["messages"].to_string();
    assert!(conversation.contains("FIRST question"), "{conversation}");
    assert!(conversation.contains("the first answer"), "{conversation}");
}

#[tokio::test]
async fn an_interrupted_slow_turn_ends_quickly_with_a_result() {
    let Some(claude) = claude_or_explain() else {
        return;
    };
    let sandbox = Sandbox::new();
    let slow = (0..50)
        .map(|tick| format!("tick {tick} "))
        .collect::<String>();
    let model = ScriptedModel::start(Script::new().rule("SLOW", [Reply::slow_text(slow, 200)]));
    let mut turn = Turn::start(&claude, &sandbox, &model, &execute(), "SLOW please").await;
    while !matches!(turn.next_event().await.event, Event::TextDelta { .. }) {}
    let interrupted_at = Instant::now();
    turn.send(&interrupt_line("req-interrupt-1")).await;
    let events = turn.finish().await;
    assert!(
        interrupted_at.elapsed() < Duration::from_secs(5),
        "the turn went on for {:?} after the interrupt",
        interrupted_at.elapsed()
    );
    assert!(events.contains(&Event::ControlResponse {
        request_id: "req-interrupt-1".into(),
        success: true,
        error: None
    }));
    assert_eq!(result_of(&events).1, "error_during_execution");
}

#[tokio::test]
async fn ask_mode_waits_for_permission_and_proceeds_when_allowed() {
    let Some(claude) = claude_or_explain() else {
        return;
    };
    let sandbox = Sandbox::new();
    let target = sandbox.workspace().join("asked.txt");
    let script = Script::new().rule(
        "ASK",
        [
            Reply::tool_use(
                "Write",
                json!({ "file_path": target, "content": "allowed\n" }),
            ),
            Reply::text("done"),
        ],
    );
    let model = ScriptedModel::start(script);
    let ask = ClaudeCommand::new(SessionMode::Ask);
    let mut turn = Turn::start(&claude, &sandbox, &model, &ask, "ASK before writing").await;
    let (request_id, input): (String, Value) = loop {
        match turn.next_event().await.event {
            Event::PermissionRequest {
                request_id,
                tool_name,
                input,
                ..
            } => {
                assert_eq!(tool_name, "Write");
                break (request_id, input);
            }
            Event::Result { .. } => panic!("the turn ended without asking for permission"),
            _ => {}
        }
    };
    assert!(
        !target.exists(),
        "the file was written before permission was given"
    );
    turn.send(&permission_response_line(
        &request_id,
        &PermissionDecision::Allow {
            updated_input: input,
        },
    ))
    .await;
    let events = turn.finish().await;
    assert_eq!(
        std::fs::read_to_string(&target).expect("the allowed write"),
        "allowed\n"
    );
    assert_eq!(result_of(&events).2.as_deref(), Some("done"));
}
