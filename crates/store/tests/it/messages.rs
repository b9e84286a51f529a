//! Messages and the raw event log: order, partial updates, tool uses.

use crate::TestStore;
use domain::{Message, MessageId, Role, Session, SessionId, ToolUse};
use store::{MessageUpdate, NewMessage, StoreError, TurnOutput};

fn user_message(session_id: SessionId, content: &str) -> NewMessage {
    NewMessage {
        session_id,
        role: Role::User,
        content: content.into(),
        tool_use: Vec::new(),
        cost_usd: None,
        interrupted: false,
    }
}

fn write_tool_use() -> ToolUse {
    ToolUse {
        id: "toolu_01".into(),
        tool: "Write".into(),
        input: r#"{"file_path":"/workspace/hello.txt","content":"hello\n"}"#.into(),
        result: None,
    }
}

/// A project, a session of it, and an assistant message with `content` in that session.
async fn session_with_reply(test: &TestStore, content: &str) -> (Session, Message) {
    let project = test.project("alpha").await;
    let session = test.session(&project).await;
    let reply = test
        .store
        .insert_message(NewMessage {
            role: Role::Assistant,
            ..user_message(session.id, content)
        })
        .await
        .unwrap();
    (session, reply)
}

#[tokio::test]
async fn a_stored_message_reads_back_unchanged() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let session = test.session(&project).await;

    let message = test
        .store
        .insert_message(NewMessage {
            session_id: session.id,
            role: Role::Assistant,
            content: "Done.".into(),
            tool_use: vec![write_tool_use()],
            cost_usd: Some(0.0123),
            interrupted: true,
        })
        .await
        .unwrap();
    assert_eq!(message.session_id, session.id);
    assert_eq!(message.role, Role::Assistant);
    assert_eq!(message.content, "Done.");
    assert_eq!(message.tool_use, [write_tool_use()]);
    assert_eq!(message.cost_usd, Some(0.0123));
    assert!(message.interrupted);
    assert_eq!(test.store.messages(session.id).await.unwrap(), [message]);
}

#[tokio::test]
async fn messages_come_back_in_the_order_they_were_written() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let session = test.session(&project).await;
    let other = test.session(&project).await;

    for index in 0..50 {
        test.store
            .insert_message(user_message(session.id, &index.to_string()))
            .await
            .unwrap();
        test.store
            .insert_message(user_message(other.id, "elsewhere"))
            .await
            .unwrap();
    }

    let contents: Vec<String> = test
        .store
        .messages(session.id)
        .await
        .unwrap()
        .into_iter()
        .map(|message| message.content)
        .collect();
    let expected: Vec<String> = (0..50).map(|index: i32| index.to_string()).collect();
    assert_eq!(contents, expected);
}

#[tokio::test]
async fn updating_a_message_changes_only_the_given_fields() {
    let test = TestStore::new().await;
    let (session, message) = session_with_reply(&test, "Writ").await;

    test.store
        .update_message(
            message.id,
            MessageUpdate {
                content: Some("Writing the file.".into()),
                tool_use: Some(vec![write_tool_use()]),
                ..MessageUpdate::default()
            },
        )
        .await
        .unwrap();
    let finished_tool = ToolUse {
        result: Some("File created successfully".into()),
        ..write_tool_use()
    };
    test.store
        .update_message(
            message.id,
            MessageUpdate {
                tool_use: Some(vec![finished_tool.clone()]),
                cost_usd: Some(0.5),
                interrupted: Some(true),
                ..MessageUpdate::default()
            },
        )
        .await
        .unwrap();

    let stored = test.store.messages(session.id).await.unwrap().remove(0);
    assert_eq!(stored.id, message.id);
    assert_eq!(stored.content, "Writing the file.");
    assert_eq!(stored.tool_use, [finished_tool]);
    assert_eq!(stored.cost_usd, Some(0.5));
    assert!(stored.interrupted);
    assert_eq!(stored.created_at, message.created_at);
}

#[tokio::test]
async fn a_message_for_a_missing_session_is_a_conflict() {
    let test = TestStore::new().await;
    let id = SessionId::new();

    let error = test
        .store
        .insert_message(user_message(id, "hello"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::Conflict(ref message) if message.contains(&id.to_string()))
    );
}

#[tokio::test]
async fn updating_a_missing_message_is_a_conflict() {
    let test = TestStore::new().await;
    let error = test
        .store
        .update_message(MessageId::new(), MessageUpdate::default())
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Conflict(_)), "{error:?}");
}

#[tokio::test]
async fn events_are_appended_in_order_per_session() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let session = test.session(&project).await;
    let other = test.session(&project).await;

    let first = test
        .store
        .append_event(
            session.id,
            "system",
            r#"{"type":"system","subtype":"init"}"#,
        )
        .await
        .unwrap();
    test.store
        .append_event(other.id, "assistant", "{}")
        .await
        .unwrap();
    let last = test
        .store
        .append_event(session.id, "result", r#"{"type":"result"}"#)
        .await
        .unwrap();
    assert!(last > first);

    let events = test.store.events(session.id).await.unwrap();
    let summary: Vec<(i64, &str, &str)> = events
        .iter()
        .map(|event| (event.seq, event.kind.as_str(), event.payload_json.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (first, "system", r#"{"type":"system","subtype":"init"}"#),
            (last, "result", r#"{"type":"result"}"#),
        ]
    );
    assert!(events[0].created_at <= events[1].created_at);
}

#[tokio::test]
async fn an_event_for_a_missing_session_is_a_conflict() {
    let test = TestStore::new().await;
    let error = test
        .store
        .append_event(SessionId::new(), "system", "{}")
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Conflict(_)), "{error:?}");
}

#[tokio::test]
async fn concurrent_writers_from_cloned_stores_all_succeed() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let session = test.session(&project).await;

    let writers: Vec<_> = (0..20)
        .map(|index| {
            let store = test.store.clone();
            tokio::spawn(async move {
                store
                    .insert_message(user_message(session.id, &format!("message {index}")))
                    .await
                    .map(|_| ())
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("the writer task ran").unwrap();
    }
    assert_eq!(test.store.messages(session.id).await.unwrap().len(), 20);
}

#[tokio::test]
async fn appended_text_reads_back_whole_before_and_after_folding() {
    let test = TestStore::new().await;
    let (session, reply) = session_with_reply(&test, "").await;
    let mut expected = String::new();
    for part in 0..500 {
        let text = format!("part {part}; ");
        test.store
            .append_message_text(reply.id, &text)
            .await
            .unwrap();
        expected.push_str(&text);
    }
    let read = |messages: Vec<domain::Message>| messages[0].content.clone();
    assert_eq!(
        read(test.store.messages(session.id).await.unwrap()),
        expected
    );
    test.store.fold_message_text(reply.id).await.unwrap();
    test.store.fold_message_text(reply.id).await.unwrap();
    assert_eq!(
        read(test.store.messages(session.id).await.unwrap()),
        expected
    );
    test.store
        .append_message_text(reply.id, "more")
        .await
        .unwrap();
    expected.push_str("more");
    assert_eq!(
        read(test.store.messages(session.id).await.unwrap()),
        expected
    );
    let error = test
        .store
        .append_message_text(MessageId::new(), "lost")
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Conflict(_)), "{error}");
}

#[tokio::test]
async fn a_stretch_of_output_is_stored_whole_and_in_order() {
    let test = TestStore::new().await;
    let (session, reply) = session_with_reply(&test, "").await;
    // 300 events are written in batches of 256, 32, 8 and 4 rows; 7 in batches of 4, 2 and 1.
    for (stretch, count) in [(0, 300), (1, 7)] {
        let events: Vec<(String, String)> = (0..count)
            .map(|event| {
                (
                    "assistant".to_owned(),
                    format!(r#"{{"stretch":{stretch},"event":{event}}}"#),
                )
            })
            .collect();
        test.store
            .append_output(TurnOutput {
                session: session.id,
                message: reply.id,
                events: &events,
                text: &format!("stretch {stretch}. "),
                tool_use: Some(&[write_tool_use()]),
            })
            .await
            .unwrap();
    }
    let stored = test.store.events(session.id).await.unwrap();
    let payloads: Vec<String> = stored
        .iter()
        .map(|event| event.payload_json.clone())
        .collect();
    let expected: Vec<String> = [(0, 300), (1, 7)]
        .into_iter()
        .flat_map(|(stretch, count)| {
            (0..count).map(move |event| format!(r#"{{"stretch":{stretch},"event":{event}}}"#))
        })
        .collect();
    assert_eq!(payloads, expected);
    assert!(stored.windows(2).all(|pair| pair[0].seq < pair[1].seq));
    let message = &test.store.messages(session.id).await.unwrap()[0];
    assert_eq!(message.content, "stretch 0. stretch 1. ");
    assert_eq!(message.tool_use, [write_tool_use()]);

    let error = test
        .store
        .append_output(TurnOutput {
            session: SessionId::new(),
            message: reply.id,
            events: &[("assistant".to_owned(), "{}".to_owned())],
            text: "",
            tool_use: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Conflict(_)), "{error}");
}

#[tokio::test]
async fn the_event_log_keeps_the_newest_events_within_count_and_bytes() {
    let test = TestStore::new().await;
    let project = test.project("alpha").await;
    let session = test.session(&project).await;
    let other = test.session(&project).await;
    for n in 0..30 {
        let payload = format!(r#"{{"n":{n}}}"#);
        test.store
            .append_event(session.id, "system", &payload)
            .await
            .unwrap();
        test.store
            .append_event(other.id, "system", &payload)
            .await
            .unwrap();
    }
    let by_count = store::EventRetention {
        events: 10,
        bytes: 1 << 20,
    };
    assert_eq!(
        test.store.trim_events(session.id, by_count).await.unwrap(),
        20
    );
    let kept = test.store.events(session.id).await.unwrap();
    assert_eq!(kept.len(), 10);
    assert_eq!(kept[0].payload_json, r#"{"n":20}"#);
    assert_eq!(kept[9].payload_json, r#"{"n":29}"#);
    assert_eq!(test.store.events(other.id).await.unwrap().len(), 30);

    // Each payload here is 8 bytes: 3 fit in 24.
    let by_bytes = store::EventRetention {
        events: 100,
        bytes: 24,
    };
    test.store.trim_events(session.id, by_bytes).await.unwrap();
    let kept = test.store.events(session.id).await.unwrap();
    assert_eq!(kept.len(), 3);
    assert_eq!(kept[0].payload_json, r#"{"n":27}"#);
    assert_eq!(
        test.store.trim_events(session.id, by_bytes).await.unwrap(),
        0
    );
}
