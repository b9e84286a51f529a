//! Integration tests of the scripted model: its HTTP surface alone, and the real `claude` CLI
//! running whole turns against it.

mod claude;
mod claude_turns;
mod http;
