//! Integration tests of the agent protocol crate, one module per feature.

mod transcripts;
