//! The agent Dockerfiles of `docker/agent/` parse, without an engine: every instruction is one
//! Docker knows, each stack starts `FROM ${BASE_IMAGE}` with `claude-agent-base` as the ARG's
//! default, and every image is labelled as an agent image and ends as the `agent` user.
//! Flutter's SDK cannot be downloaded on the machines that run CI, so this is its check.

use std::path::PathBuf;

use docker::AgentImageRecipe;
use domain::{AptPackage, ImageRef, NpmPackage, PipPackage};

const INSTRUCTIONS: [&str; 18] = [
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
    "MAINTAINER",
];

/// One instruction: its keyword (upper case) and its arguments, continuation lines joined.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    arguments: String,
}

/// Parses Dockerfile text the way the classic builder reads it: comments and blank lines
/// dropped, lines ending in `\` continued, each instruction a known keyword with arguments.
fn parse(text: &str) -> Result<Vec<Instruction>, String> {
    let mut instructions = Vec::new();
    let mut pending = String::new();
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if pending.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if !pending.is_empty() && trimmed.starts_with('#') {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(trimmed);
        let (keyword, arguments) = pending
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("line {}: an instruction without arguments", number + 1))?;
        let keyword = keyword.to_ascii_uppercase();
        if !INSTRUCTIONS.contains(&keyword.as_str()) {
            return Err(format!(
                "line {}: unknown instruction {keyword}",
                number + 1
            ));
        }
        instructions.push(Instruction {
            keyword,
            arguments: arguments.trim().to_owned(),
        });
        pending.clear();
    }
    if !pending.is_empty() {
        return Err("the file ends inside a continued line".to_owned());
    }
    let first = instructions
        .iter()
        .find(|instruction| instruction.keyword != "ARG")
        .ok_or("no instruction but ARG")?;
    if first.keyword != "FROM" {
        return Err(format!(
            "the first instruction after ARGs is {}",
            first.keyword
        ));
    }
    Ok(instructions)
}

fn agent_dockerfile(stack: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docker/agent")
        .join(stack)
        .join("Dockerfile");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn check_agent_image(stack: &str, instructions: &[Instruction]) {
    let label = instructions.iter().any(|i| {
        i.keyword == "LABEL"
            && i.arguments
                .split_whitespace()
                .any(|pair| pair == "agentyard.agent-image=true")
    });
    assert!(label, "{stack}: no LABEL agentyard.agent-image=true");
    let last_user = instructions
        .iter()
        .rev()
        .find(|i| i.keyword == "USER")
        .map(|i| i.arguments.as_str());
    assert_eq!(
        last_user,
        Some("agent"),
        "{stack}: must end as the agent user"
    );
}

#[test]
fn every_stack_dockerfile_parses_and_starts_from_the_base_through_an_arg() {
    for stack in ["node", "python", "browser", "flutter"] {
        let instructions =
            parse(&agent_dockerfile(stack)).unwrap_or_else(|e| panic!("{stack}: {e}"));
        assert_eq!(instructions[0].keyword, "ARG", "{stack}");
        assert_eq!(
            instructions[0].arguments, "BASE_IMAGE=claude-agent-base",
            "{stack}"
        );
        let froms: Vec<&str> = instructions
            .iter()
            .filter(|i| i.keyword == "FROM")
            .map(|i| i.arguments.as_str())
            .collect();
        assert_eq!(froms, ["${BASE_IMAGE}"], "{stack}");
        check_agent_image(stack, &instructions);
    }
}

#[test]
fn the_base_dockerfile_parses_and_takes_debian_through_an_arg() {
    let instructions = parse(&agent_dockerfile("base")).expect("base parses");
    assert_eq!(instructions[0].arguments, "BASE_IMAGE=debian:bookworm-slim");
    check_agent_image("base", &instructions);
}

#[test]
fn the_flutter_dockerfile_installs_the_sdk_on_the_path() {
    let instructions = parse(&agent_dockerfile("flutter")).unwrap();
    assert!(
        instructions
            .iter()
            .any(|i| i.keyword == "ARG" && i.arguments.starts_with("FLUTTER_VERSION="))
    );
    assert!(
        instructions
            .iter()
            .any(|i| i.keyword == "ENV" && i.arguments.contains("/opt/flutter/bin"))
    );
}

#[test]
fn a_generated_dockerfile_parses_as_well() {
    let recipe = AgentImageRecipe {
        tag: ImageRef::parse("claude-agent-acc").unwrap(),
        base: ImageRef::parse("claude-agent-base").unwrap(),
        apt: vec![AptPackage::parse("jq").unwrap()],
        npm: vec![NpmPackage::parse("typescript").unwrap()],
        pip: vec![PipPackage::parse("requests").unwrap()],
        extra_ca_pem: Some(b"pem".to_vec()),
    };
    let instructions = parse(&docker::dockerfile(&recipe, Some("agent"))).expect("parses");
    check_agent_image("generated", &instructions);
}

#[test]
fn the_parser_refuses_unknown_instructions_and_dangling_continuations() {
    assert!(parse("FROM x\nRUNN true\n").is_err());
    assert!(parse("FROM x\nRUN true \\\n").is_err());
    assert!(parse("RUN true\n").is_err());
}
