//! Integration tests of the agent protocol crate, one module per feature.

mod codex_transcripts;
mod transcripts;
