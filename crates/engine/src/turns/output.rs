//! Following one turn of a live agent: its message written in, its output read until the turn's
//! `result`, every event persisted before it is broadcast, and Stop escalating from an interrupt
//! to a kill to the runtime's last resort.
//!
//! Output is handled a stretch at a time: whatever the agent has printed by the time the platform
//! reads (up to [`MAX_STRETCH_BYTES`]) is parsed, written to the store in one transaction, then
//! broadcast, with adjacent text deltas joined into one chunk. A slow agent's every delta still goes
//! out as it comes; a fast one costs one commit and one broadcast per stretch, not per delta.
//! Reading goes on while a stretch is written (what arrives meanwhile is the next stretch), so
//! the agent never waits for the store unless a whole [`MAX_STRETCH_BYTES`] is waiting.

use super::{PermissionAnswer, TurnCommand};
use crate::runtime::{Killer, LiveAgent};
use crate::{Engine, EngineError, EngineEvent};
use agent::{ContentBlock, Event, ParsedEvent, PermissionDecision};
use domain::{MessageId, SessionId, ToolUse};
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use std::time::Duration;
use store::TurnOutput;
use tokio::sync::mpsc;

/// How long an interrupted agent gets to end its turn by itself before it is killed.
const INTERRUPT_GRACE: Duration = Duration::from_millis(1500);

/// How long a killed agent's output may take to end before the runtime's last resort (in docker
/// mode the session's container is removed) and the turn ends without it.
pub(super) const KILL_GRACE: Duration = Duration::from_secs(3);

/// The most output read before it is stored and broadcast.
const MAX_STRETCH_BYTES: usize = 1024 * 1024;

/// How a turn of a live agent ended.
pub(super) struct TurnEnd {
    /// The agent finished the turn (its `result` arrived): the process can take the next one.
    pub finished: bool,
    /// Events of this turn arrived (a process that died before any did can be replaced and the
    /// message written again without anything doubled).
    pub answered: bool,
    /// The process was killed (Stop's escalation, the session ending, a line over the limit).
    pub killed: bool,
    /// The last resort was used: the output was left unread.
    pub abandoned: bool,
    /// The agent printed a line over this limit.
    pub line_too_long: Option<usize>,
    pub interrupted: bool,
    pub cost_usd: Option<f64>,
}

impl Engine {
    /// Writes the message into the agent and follows its output until the turn's result, the
    /// end of its output, or the last resort.
    pub(super) async fn drive(
        &self,
        id: SessionId,
        reply_id: MessageId,
        content: &str,
        agent: &mut LiveAgent,
        commands: &mut mpsc::UnboundedReceiver<TurnCommand>,
    ) -> Result<TurnEnd, EngineError> {
        let mut reply = Reply::default();
        let mut stopping = Stopping::default();
        let mut end = TurnEnd {
            finished: false,
            answered: false,
            killed: false,
            abandoned: false,
            line_too_long: None,
            interrupted: false,
            cost_usd: None,
        };
        if agent.write_message(content).await.is_err() {
            // The process is gone; the caller replaces it.
            return Ok(end);
        }
        let mut output_ended = false;
        // Output read while the previous stretch is being written waits here, parsed; it is
        // written as the next stretch as soon as that write ends. Reading never waits for the
        // store, so an agent that prints fast is not held back by a commit.
        let mut waiting: Vec<ParsedEvent> = Vec::new();
        let mut waiting_bytes = 0;
        let mut writing: Option<BoxFuture<'static, Result<bool, EngineError>>> = None;
        // The turn's result has been read: nothing after it belongs to this turn.
        let mut result_read = false;
        loop {
            if writing.is_none() && !waiting.is_empty() {
                let stretch = digest(id, &mut reply, std::mem::take(&mut waiting));
                writing = Some(self.clone().commit(id, reply_id, stretch).boxed());
            }
            if waiting.is_empty() {
                // Bytes read that gave no events (a line still arriving, or one over the limit
                // being skipped) hold nothing back.
                waiting_bytes = 0;
            }
            if writing.is_none() && (result_read || output_ended) {
                break;
            }
            let deadline = stopping.deadline();
            let reading = !result_read && !output_ended && waiting_bytes < MAX_STRETCH_BYTES;
            tokio::select! {
                chunk = agent.stdout.next(), if reading => {
                    let Some(chunk) = chunk else {
                        output_ended = true;
                        continue;
                    };
                    let mut size = waiting_bytes + chunk.len();
                    let mut stretch = vec![chunk];
                    // Whatever else is already there joins this stretch.
                    while size < MAX_STRETCH_BYTES {
                        match agent.stdout.next().now_or_never() {
                            Some(Some(more)) => {
                                size += more.len();
                                stretch.push(more);
                            }
                            Some(None) => {
                                output_ended = true;
                                break;
                            }
                            None => break,
                        }
                    }
                    let already_waiting = waiting.len();
                    for chunk in &stretch {
                        waiting_bytes += chunk.len();
                        match agent.parser.push(chunk) {
                            Ok(parsed) => waiting.extend(parsed),
                            Err(too_long) => {
                                waiting.extend(too_long.events_before);
                                if end.line_too_long.is_none() {
                                    tracing::warn!(session = %id, limit = too_long.limit, "the agent printed a line over the limit; ending its turn");
                                    end.line_too_long = Some(too_long.limit);
                                    stopping.kill(&*agent.killer).await;
                                }
                                break;
                            }
                        }
                    }
                    end.answered |= !waiting.is_empty();
                    result_read |= waiting[already_waiting..].iter().any(|parsed| matches!(parsed.event, Event::Result { .. }));
                }
                finished = async { writing.as_mut().expect("the branch runs only while writing").await }, if writing.is_some() => {
                    writing = None;
                    end.finished |= finished?;
                }
                Some(command) = commands.recv() => match command {
                    TurnCommand::Interrupt if !reply.interrupted => {
                        reply.interrupted = true;
                        if let Err(error) = agent.interrupt().await {
                            tracing::warn!(session = %id, %error, "interrupting the agent failed; it is killed after the grace period");
                        }
                        stopping.kill_at.get_or_insert(tokio::time::Instant::now() + INTERRUPT_GRACE);
                    }
                    TurnCommand::Interrupt => {}
                    TurnCommand::Kill => {
                        reply.interrupted = true;
                        stopping.kill(&*agent.killer).await;
                    }
                    TurnCommand::Permission { request_id, answer } => {
                        let Some(input) = reply.permissions.iter().position(|(known, _)| *known == request_id)
                            .map(|at| reply.permissions.remove(at).1) else { continue };
                        let decision = match answer {
                            PermissionAnswer::Allow => PermissionDecision::Allow { updated_input: input },
                            PermissionAnswer::Deny => PermissionDecision::Deny { message: "The user denied this tool use.".to_owned() },
                        };
                        if let Some(line) = agent.cli.permission_answer(&request_id, &decision) {
                            agent.write_line(&line).await?;
                        }
                    }
                },
                () = tokio::time::sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)), if deadline.is_some() => {
                    let now = tokio::time::Instant::now();
                    if stopping.give_up_at.is_none_or(|at| at > now) {
                        stopping.kill(&*agent.killer).await;
                    } else {
                        // Killed, and its output still has not ended: something the agent
                        // started holds it open. The last resort ends everything it runs.
                        tracing::warn!(session = %id, "a killed agent's output did not end; using the runtime's last resort");
                        if let Err(error) = agent.killer.kill_everything().await {
                            tracing::warn!(session = %id, %error, "the last resort failed");
                        }
                        end.abandoned = true;
                        break;
                    }
                }
            }
        }
        // What was read is written, even when the rest of the output is abandoned.
        if let Some(write) = writing {
            end.finished |= write.await?;
        }
        if output_ended && end.line_too_long.is_none() {
            // The process has ended: a last line without its newline still counts.
            waiting.extend(std::mem::take(&mut agent.parser).finish());
        }
        if !waiting.is_empty() {
            end.answered = true;
            let stretch = digest(id, &mut reply, waiting);
            end.finished |= self.clone().commit(id, reply_id, stretch).await?;
        }
        end.killed = stopping.give_up_at.is_some();
        end.interrupted = reply.interrupted;
        end.cost_usd = reply.cost_usd;
        Ok(end)
    }

    /// Persists what a stretch adds in one write, then broadcasts its events. Returns true when
    /// the turn's result is among them. Owns the engine so that the turn can read on meanwhile.
    async fn commit(
        self,
        id: SessionId,
        reply_id: MessageId,
        stretch: Stretch,
    ) -> Result<bool, EngineError> {
        for conversation in &stretch.conversations {
            self.record_conversation(id, conversation).await?;
        }
        self.store()
            .append_output(TurnOutput {
                session: id,
                message: reply_id,
                events: &stretch.logged,
                text: &stretch.text,
                tool_use: stretch.tool_use.as_deref(),
            })
            .await?;
        for event in stretch.broadcasts {
            self.emit(event);
        }
        Ok(stretch.is_result)
    }
}

/// What a stretch of output adds: to the store, to the clients, to the conversation.
struct Stretch {
    /// The event log's entries.
    logged: Vec<(String, String)>,
    /// Text appended to the reply.
    text: String,
    /// The reply's tool calls, when they changed (only then is their JSON written).
    tool_use: Option<Vec<ToolUse>>,
    broadcasts: Vec<EngineEvent>,
    /// Conversation ids the agent printed, in order.
    conversations: Vec<String>,
    is_result: bool,
}

/// Reads a stretch of events into the reply being built and what is to be stored and broadcast.
fn digest(id: SessionId, reply: &mut Reply, events: Vec<ParsedEvent>) -> Stretch {
    let mut logged = EventLog::default();
    let mut broadcasts = Vec::new();
    let mut text_added = String::new();
    let mut tools_changed = false;
    let mut is_result = false;
    let mut conversations = Vec::new();
    for parsed in events {
        let kind = parsed
            .raw
            .get("type")
            .and_then(|kind| kind.as_str())
            .unwrap_or("invalid_line")
            .to_owned();
        // One stdout line can give several events (a `user` line with several tool results
        // gives one per result, each with the line's JSON): the log keeps the line once.
        let raw = parsed.raw.to_string();
        if raw != reply.last_event {
            reply.last_event.clone_from(&raw);
            logged.push(kind, raw);
        }
        match parsed.event {
            Event::SystemInit { session_id, .. } => {
                conversations.push(session_id);
            }
            Event::TextDelta { text } => {
                reply.streamed = true;
                let text = reply.append_text(&text);
                text_added.push_str(&text);
                push_chunk(&mut broadcasts, id, text);
            }
            Event::Assistant { content } => {
                for block in content {
                    match block {
                        ContentBlock::Text { text } if !reply.streamed => {
                            let text = reply.append_text(&text);
                            text_added.push_str(&text);
                            push_chunk(&mut broadcasts, id, text);
                        }
                        ContentBlock::ToolUse {
                            id: tool_id,
                            name,
                            input,
                        } => {
                            reply.after_tool = true;
                            tools_changed = true;
                            reply.tools.push(ToolUse {
                                id: tool_id,
                                tool: name.clone(),
                                input: input.to_string(),
                                result: None,
                            });
                            broadcasts.push(EngineEvent::ToolUse {
                                session: id,
                                tool: name,
                                input,
                            });
                        }
                        _ => {}
                    }
                }
                reply.streamed = false;
            }
            Event::ToolResult {
                tool_use_id,
                content,
                ..
            } => {
                if let Some(tool) = reply.tools.iter_mut().find(|tool| tool.id == tool_use_id) {
                    tool.result = Some(content.clone());
                    tools_changed = true;
                    broadcasts.push(EngineEvent::ToolResult {
                        session: id,
                        tool: tool.tool.clone(),
                        result: content,
                    });
                }
            }
            Event::PermissionRequest {
                request_id,
                tool_name,
                input,
                ..
            } => {
                reply.permissions.push((request_id.clone(), input.clone()));
                broadcasts.push(EngineEvent::Permission {
                    session: id,
                    request_id,
                    tool: tool_name,
                    input,
                });
            }
            Event::Result {
                session_id,
                total_cost_usd,
                is_error,
                result,
                ..
            } => {
                is_result = true;
                conversations.push(session_id);
                reply.cost_usd = total_cost_usd;
                if is_error && !reply.interrupted {
                    broadcasts.push(EngineEvent::Error {
                        session: id,
                        error: result.unwrap_or_else(|| "the agent reported an error".to_owned()),
                        code: Some("agent_error".to_owned()),
                        remediation: None,
                    });
                }
            }
            _ => {}
        }
    }
    Stretch {
        logged: logged.finish(),
        text: text_added,
        tool_use: tools_changed.then(|| reply.tools.clone()),
        broadcasts,
        conversations,
        is_result,
    }
}

impl Engine {
    /// Records the CLI's conversation id, which the next process gets as `--resume <id>` (or
    /// `resume <id>`). It is the agent's output, so only a UUID, what both CLIs print, is kept:
    /// anything else could reach the next command line as a flag of its own.
    async fn record_conversation(
        &self,
        id: SessionId,
        conversation: &str,
    ) -> Result<(), EngineError> {
        if uuid::Uuid::parse_str(conversation).is_err() {
            if !conversation.is_empty() {
                tracing::warn!(session = %id, "the agent printed a conversation id that is not a UUID; it is not kept");
            }
            return Ok(());
        }
        Ok(self.store().set_cc_session_id(id, conversation).await?)
    }
}

/// The raw lines of a stretch as the session's event log keeps them: one entry per line, except
/// that consecutive `stream_event` lines (partial messages, a delta each, whose whole message
/// follows as an `assistant` line) are kept as one entry of kind `stream_events` holding their
/// JSON array. A long reply then costs the log an entry per stretch, not per delta, and does
/// not push older events out of its bounds.
#[derive(Default)]
struct EventLog {
    entries: Vec<(String, String)>,
}

const PARTIAL_KIND: &str = "stream_event";
const PARTIALS_KIND: &str = "stream_events";

impl EventLog {
    fn push(&mut self, kind: String, raw: String) {
        if kind != PARTIAL_KIND {
            self.entries.push((kind, raw));
            return;
        }
        match self.entries.last_mut() {
            Some((last_kind, array)) if last_kind == PARTIALS_KIND => {
                array.push(',');
                array.push_str(&raw);
            }
            _ => self
                .entries
                .push((PARTIALS_KIND.to_owned(), format!("[{raw}"))),
        }
    }

    fn finish(mut self) -> Vec<(String, String)> {
        for (kind, array) in &mut self.entries {
            if kind == PARTIALS_KIND {
                array.push(']');
            }
        }
        self.entries
    }
}

/// Adds text to the broadcasts of a stretch, joined to the chunk before it when that is the last.
fn push_chunk(broadcasts: &mut Vec<EngineEvent>, id: SessionId, text: String) {
    if text.is_empty() {
        return;
    }
    if let Some(EngineEvent::Chunk { text: last, .. }) = broadcasts.last_mut() {
        last.push_str(&text);
    } else {
        broadcasts.push(EngineEvent::Chunk { session: id, text });
    }
}

/// The agent's reply as it is built during a turn. Its text is in the store alone (appended
/// as it comes); only what the next append needs to know of it is kept here.
#[derive(Default)]
struct Reply {
    has_text: bool,
    ends_with_newline: bool,
    tools: Vec<ToolUse>,
    cost_usd: Option<f64>,
    interrupted: bool,
    /// Text of the current model message already arrived as deltas (so the complete message
    /// must not add it again).
    streamed: bool,
    /// A tool call came since the last text, so new text starts a new paragraph.
    after_tool: bool,
    /// Permission requests waiting for the user, with the input to allow.
    permissions: Vec<(String, serde_json::Value)>,
    /// The JSON of the last event appended to the session's event log.
    last_event: String,
}

impl Reply {
    /// Appends text and returns what was appended (with a paragraph break after a tool call).
    fn append_text(&mut self, text: &str) -> String {
        let mut added = String::new();
        if self.after_tool && self.has_text && !self.ends_with_newline {
            added.push_str("\n\n");
        }
        self.after_tool = false;
        added.push_str(text);
        if !added.is_empty() {
            self.has_text = true;
            self.ends_with_newline = added.ends_with('\n');
        }
        added
    }
}

/// Where stopping a turn has got to: the interrupt's grace period, then the kill's.
#[derive(Default)]
struct Stopping {
    /// When an interrupted agent that has not ended its turn is killed.
    kill_at: Option<tokio::time::Instant>,
    /// When a killed agent whose output has not ended meets the runtime's last resort.
    give_up_at: Option<tokio::time::Instant>,
}

impl Stopping {
    fn deadline(&self) -> Option<tokio::time::Instant> {
        match (self.kill_at, self.give_up_at) {
            (Some(kill), Some(give_up)) => Some(kill.min(give_up)),
            (kill, give_up) => kill.or(give_up),
        }
    }

    /// Kills the agent now, and starts the wait for its output to end. A kill that fails goes
    /// straight to the last resort.
    async fn kill(&mut self, killer: &dyn Killer) {
        self.kill_at = None;
        if self.give_up_at.is_some() {
            return;
        }
        self.give_up_at = Some(tokio::time::Instant::now() + KILL_GRACE);
        if let Err(error) = killer.kill().await {
            tracing::warn!(%error, "killing an agent failed; using the runtime's last resort");
            if let Err(error) = killer.kill_everything().await {
                tracing::warn!(%error, "the last resort failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_partial_messages_are_logged_as_one_array() {
        let mut log = EventLog::default();
        log.push("system".to_owned(), r#"{"type":"system"}"#.to_owned());
        for delta in ["a", "b", "c"] {
            log.push(
                PARTIAL_KIND.to_owned(),
                format!(r#"{{"type":"stream_event","d":"{delta}"}}"#),
            );
        }
        log.push("assistant".to_owned(), r#"{"type":"assistant"}"#.to_owned());
        log.push(
            PARTIAL_KIND.to_owned(),
            r#"{"type":"stream_event","d":"d"}"#.to_owned(),
        );
        let entries = log.finish();
        let kinds: Vec<&str> = entries.iter().map(|(kind, _)| kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["system", "stream_events", "assistant", "stream_events"]
        );
        let partials: serde_json::Value = serde_json::from_str(&entries[1].1).unwrap();
        assert_eq!(
            partials,
            serde_json::json!([
                {"type": "stream_event", "d": "a"},
                {"type": "stream_event", "d": "b"},
                {"type": "stream_event", "d": "c"},
            ])
        );
        let last: serde_json::Value = serde_json::from_str(&entries[3].1).unwrap();
        assert_eq!(
            last,
            serde_json::json!([{"type": "stream_event", "d": "d"}])
        );
    }
}
