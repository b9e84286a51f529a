//! Integration tests of the scripted model: its HTTP surface alone, and the real `claude` and
//! `codex` CLIs running whole turns against it.

mod claude;
mod claude_turns;
mod codex;
mod http;
