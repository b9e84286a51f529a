//! Turns the CLI's stdout, in chunks of any size, into events.
//!
//! Owns line framing only: chunks from a pipe or a Docker attach stream do not follow line
//! breaks, and may even split a UTF-8 character.

use crate::event::{ParsedEvent, parse_line};

/// Buffers stdout bytes and yields the events of each complete line.
#[derive(Debug, Default)]
pub struct LineParser {
    /// Bytes after the last line break seen, waiting for the rest of their line.
    pending: Vec<u8>,
}

impl LineParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// The events of every line that `chunk` completes.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<ParsedEvent> {
        let mut events = Vec::new();
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|byte| *byte == b'\n') {
            self.pending.extend_from_slice(&rest[..end]);
            rest = &rest[end + 1..];
            let line = std::mem::take(&mut self.pending);
            events.extend(events_of(&line));
        }
        self.pending.extend_from_slice(rest);
        events
    }

    /// The events of a last line that had no line break, at the end of the stream.
    pub fn finish(self) -> Vec<ParsedEvent> {
        events_of(&self.pending)
    }
}

fn events_of(line: &[u8]) -> Vec<ParsedEvent> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    // Lossy decoding keeps a line with invalid UTF-8 visible as an invalid line instead of losing it.
    let text = String::from_utf8_lossy(line);
    if text.trim().is_empty() {
        return Vec::new();
    }
    parse_line(&text)
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
        assert!(parser.push(&bytes.as_bytes()[..split]).is_empty());
        assert_eq!(texts(&parser.push(&bytes.as_bytes()[split..])), ["né"]);
        assert!(parser.finish().is_empty());
    }

    #[test]
    fn blank_lines_are_skipped_and_crlf_is_accepted() {
        let mut parser = LineParser::new();
        let events = parser.push(format!("\n  \r\n{DELTA}\r\n\r\n").as_bytes());
        assert_eq!(texts(&events), ["né"]);
    }

    #[test]
    fn a_last_line_without_a_line_break_is_parsed_at_the_end() {
        let mut parser = LineParser::new();
        assert!(parser.push(DELTA.as_bytes()).is_empty());
        assert_eq!(texts(&parser.finish()), ["né"]);
    }

    #[test]
    fn a_line_that_is_not_json_becomes_an_invalid_line_event() {
        let mut parser = LineParser::new();
        let events = parser.push(b"Error: something broke\n");
        assert_eq!(
            events[0].event,
            Event::Other {
                kind: INVALID_LINE.into(),
                raw: Value::String("Error: something broke".into())
            }
        );
    }
}
