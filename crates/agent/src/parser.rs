//! Turns the CLI's stdout, in chunks of any size, into events.
//!
//! Owns line framing; what a line means is its CLI's [`LineReader`] (Claude's by default). Framing: chunks from a pipe or a Docker attach stream do not follow line
//! breaks, and may even split a UTF-8 character. Lines are bounded: the agent's stdout is the
//! agent's, and a line that never ends must not fill the platform's memory.

use crate::event::{ParsedEvent, parse_line};
use std::fmt::Debug;

/// The longest stdout line the platform reads: 16 MiB. The CLI prints a whole assistant message
/// (a tool call's input included) as one line, so the bound is far above any real message.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// What one CLI's stdout lines mean: the events of each line, in order. A reader may keep state
/// from line to line (Codex's conversation id, which tool calls have started).
pub trait LineReader: Send + Debug {
    fn read_line(&mut self, line: &str) -> Vec<ParsedEvent>;
}

/// Claude Code's lines: each one stands alone ([`parse_line`]).
#[derive(Debug, Default)]
pub struct ClaudeLines;

impl LineReader for ClaudeLines {
    fn read_line(&mut self, line: &str) -> Vec<ParsedEvent> {
        parse_line(line)
    }
}

/// Buffers stdout bytes and yields the events of each complete line.
#[derive(Debug)]
pub struct LineParser {
    /// Bytes after the last line break seen, waiting for the rest of their line.
    pending: Vec<u8>,
    limit: usize,
    /// A line went over the limit: nothing more is read.
    overflowed: bool,
    reader: Box<dyn LineReader>,
}

/// A line went over the limit. The events of the lines completed before it, in the same chunk,
/// are kept, so nothing the agent said before is lost.
#[derive(Debug)]
pub struct LineTooLong {
    pub limit: usize,
    pub events_before: Vec<ParsedEvent>,
}

impl Default for LineParser {
    fn default() -> Self {
        Self::with_limit(MAX_LINE_BYTES)
    }
}

impl LineParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// A parser of Claude Code's lines that may not be longer than `limit` bytes.
    pub fn with_limit(limit: usize) -> Self {
        Self::with_reader(Box::new(ClaudeLines), limit)
    }

    /// A parser whose lines, no longer than `limit` bytes, mean what `reader` says.
    pub fn with_reader(reader: Box<dyn LineReader>, limit: usize) -> Self {
        Self {
            pending: Vec::new(),
            limit,
            overflowed: false,
            reader,
        }
    }

    /// The events of every line that `chunk` completes, or `LineTooLong` once a line is longer
    /// than the limit (then, and after, the parser reads nothing more).
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<ParsedEvent>, LineTooLong> {
        let mut events = Vec::new();
        if self.overflowed {
            return Err(self.too_long(events));
        }
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|byte| *byte == b'\n') {
            if self.pending.len() + end > self.limit {
                return Err(self.too_long(events));
            }
            self.pending.extend_from_slice(&rest[..end]);
            rest = &rest[end + 1..];
            let line = std::mem::take(&mut self.pending);
            events.extend(events_of(self.reader.as_mut(), &line));
        }
        if self.pending.len() + rest.len() > self.limit {
            return Err(self.too_long(events));
        }
        self.pending.extend_from_slice(rest);
        Ok(events)
    }

    fn too_long(&mut self, events_before: Vec<ParsedEvent>) -> LineTooLong {
        self.overflowed = true;
        self.pending = Vec::new();
        LineTooLong {
            limit: self.limit,
            events_before,
        }
    }

    /// The events of a last line that had no line break, at the end of the stream.
    pub fn finish(mut self) -> Vec<ParsedEvent> {
        events_of(self.reader.as_mut(), &self.pending)
    }
}

fn events_of(reader: &mut dyn LineReader, line: &[u8]) -> Vec<ParsedEvent> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    // Lossy decoding keeps a line with invalid UTF-8 visible as an invalid line instead of losing it.
    let text = String::from_utf8_lossy(line);
    if text.trim().is_empty() {
        return Vec::new();
    }
    reader.read_line(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, INVALID_LINE};
    use serde_json::Value;

    const DELTA: &str = r#"{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"né"}}}"#;

    fn texts(events: &[ParsedEvent]) -> Vec<String> {
        events
            .iter()
            .map(|parsed| match &parsed.event {
                Event::TextDelta { text } => text.clone(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_line_split_inside_a_character_is_parsed_once_whole() {
        let bytes = format!("{DELTA}\n");
        let split = bytes.find('é').expect("an accent") + 1;
        let mut parser = LineParser::new();
        assert!(parser.push(&bytes.as_bytes()[..split]).unwrap().is_empty());
        assert_eq!(
            texts(&parser.push(&bytes.as_bytes()[split..]).unwrap()),
            ["né"]
        );
        assert!(parser.finish().is_empty());
    }

    #[test]
    fn blank_lines_are_skipped_and_crlf_is_accepted() {
        let mut parser = LineParser::new();
        let events = parser
            .push(format!("\n  \r\n{DELTA}\r\n\r\n").as_bytes())
            .unwrap();
        assert_eq!(texts(&events), ["né"]);
    }

    #[test]
    fn a_last_line_without_a_line_break_is_parsed_at_the_end() {
        let mut parser = LineParser::new();
        assert!(parser.push(DELTA.as_bytes()).unwrap().is_empty());
        assert_eq!(texts(&parser.finish()), ["né"]);
    }

    #[test]
    fn a_line_that_is_not_json_becomes_an_invalid_line_event() {
        let mut parser = LineParser::new();
        let events = parser.push(b"Error: something broke\n").unwrap();
        assert_eq!(
            events[0].event,
            Event::Other {
                kind: INVALID_LINE.into(),
                raw: Value::String("Error: something broke".into())
            }
        );
    }

    #[test]
    fn a_line_longer_than_the_limit_is_refused_without_being_kept() {
        let mut parser = LineParser::with_limit(64);
        let endless = vec![b'a'; 40];
        assert!(parser.push(&endless).unwrap().is_empty());
        let error = parser.push(&endless).unwrap_err();
        assert_eq!(error.limit, 64);
        assert!(parser.pending.capacity() < 64, "the long line was dropped");
        assert!(parser.push(b"\n").is_err(), "nothing is read after it");
    }

    #[test]
    fn lines_before_a_long_line_keep_their_events() {
        let mut parser = LineParser::with_limit(DELTA.len());
        let mut chunk = format!("{DELTA}\n").into_bytes();
        chunk.extend(vec![b'a'; DELTA.len() + 1]);
        chunk.push(b'\n');
        let error = parser.push(&chunk).unwrap_err();
        assert_eq!(texts(&error.events_before), ["né"]);
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_read() {
        let mut parser = LineParser::with_limit(DELTA.len());
        let events = parser.push(format!("{DELTA}\n").as_bytes()).unwrap();
        assert_eq!(texts(&events), ["né"]);
    }
}
