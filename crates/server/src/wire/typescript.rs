//! The TypeScript declarations of the wire types, checked in under `web/src/api/generated/`
//! so the UI is compiled against exactly what the server sends and accepts.
//! The test fails when a checked-in file differs from what the Rust types give; run it with
//! `AGENTYARD_WRITE_WIRE_TYPES=1` (or `bash scripts/gen-wire-types.sh`) to rewrite them.

use super::*;
use crate::routes::{git, images, review};
use std::path::{Path, PathBuf};
use ts_rs::{Config, TS};

/// Every exported type: its name and its rendered file (header, imports, declaration).
fn declarations() -> Vec<(PathBuf, String)> {
    fn render<T: TS + 'static>() -> (PathBuf, String) {
        let config = Config::new();
        let path = T::output_path().expect("every wire type names its file with export_to");
        let text = T::export_to_string(&config).expect("a wire type renders to TypeScript");
        (path, text)
    }
    vec![
        render::<ErrorBody>(),
        render::<HealthBody>(),
        render::<DockerHealth>(),
        render::<ModelHealth>(),
        render::<ProjectBody>(),
        render::<CreateProject>(),
        render::<UpdateProject>(),
        render::<AgentBody>(),
        render::<CreateAgent>(),
        render::<UpdateAgent>(),
        render::<SessionBody>(),
        render::<CreateSession>(),
        render::<UpdateSession>(),
        render::<UpdateStatus>(),
        render::<SendMessage>(),
        render::<Queued>(),
        render::<SessionUsageBody>(),
        render::<SessionSetupBody>(),
        render::<CopyRefusalBody>(),
        render::<SetupActionRequest>(),
        render::<PreviewBody>(),
        render::<ToolUseBody>(),
        render::<MessageBody>(),
        render::<ServerEvent>(),
        render::<ClientEvent>(),
        render::<git::PathsBody>(),
        render::<git::CommitBody>(),
        render::<git::CheckoutBody>(),
        render::<git::StatusBody>(),
        render::<git::FileBody>(),
        render::<git::DiffBody>(),
        render::<git::BranchBody>(),
        render::<git::CommitLogBody>(),
        render::<git::CommittedBody>(),
        render::<review::ReviewBody>(),
        render::<review::ReviewFileBody>(),
        render::<review::ReviewDiffBody>(),
        render::<review::MergeBody>(),
        render::<review::MergedBody>(),
        render::<review::RebasedBody>(),
        render::<review::PushBody>(),
        render::<review::PushedBody>(),
        render::<images::ImageBody>(),
        render::<images::CreateImage>(),
        render::<images::BuildStarted>(),
    ]
}

fn generated_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/src/api/generated")
}

/// The index that re-exports every generated type, so `wire.ts` imports from one place.
fn index(declarations: &[(PathBuf, String)]) -> String {
    let mut names: Vec<String> = declarations
        .iter()
        .map(|(path, _)| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut text = String::from("// Generated from crates/server/src/wire.rs: do not edit.\n");
    for name in names {
        text.push_str(&format!("export type {{ {name} }} from './{name}';\n"));
    }
    text
}

#[test]
fn checked_in_typescript_matches_the_rust_wire_types() {
    let declarations = declarations();
    let mut files = declarations.clone();
    files.push((PathBuf::from("index.ts"), index(&declarations)));
    let dir = generated_dir();
    if std::env::var_os("AGENTYARD_WRITE_WIRE_TYPES").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (path, text) in &files {
            std::fs::write(dir.join(path), text).unwrap();
        }
    }
    let stale: Vec<String> = files
        .iter()
        .filter(|(path, text)| std::fs::read_to_string(dir.join(path)).ok().as_ref() != Some(text))
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(
        stale.is_empty(),
        "web/src/api/generated/ is out of date for {stale:?}: \
         run `bash scripts/gen-wire-types.sh` and commit the result"
    );
}
