//! Which agent CLI a persona runs, and whether an image carries it.
//!
//! Pure: the engine reads an image's labels through `docker` and asks [`check_image_cli`] before a
//! container starts, so a persona whose CLI is missing from its image is refused with a clear error.

use crate::ParseEnumError;
use std::fmt;
use std::str::FromStr;

/// The agent CLI of a persona (`Agent.cli`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AgentCli {
    /// Claude Code (`claude`), the default.
    #[default]
    Claude,
    /// OpenAI Codex (`codex`).
    Codex,
}

/// The image label listing the CLIs an agent image carries, comma-separated: `claude,codex`.
pub const IMAGE_CLIS_LABEL: &str = "agentyard.clis";

impl AgentCli {
    pub const ALL: &'static [AgentCli] = &[AgentCli::Claude, AgentCli::Codex];

    pub fn as_str(&self) -> &'static str {
        match self {
            AgentCli::Claude => "claude",
            AgentCli::Codex => "codex",
        }
    }
}

impl fmt::Display for AgentCli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AgentCli {
    type Err = ParseEnumError;

    fn from_str(text: &str) -> Result<Self, ParseEnumError> {
        AgentCli::ALL
            .iter()
            .copied()
            .find(|cli| cli.as_str() == text)
            .ok_or_else(|| ParseEnumError {
                what: "agent CLI",
                value: text.to_owned(),
                expected: "claude codex",
            })
    }
}

/// The CLIs an image carries, from the value of its [`IMAGE_CLIS_LABEL`] label.
///
/// An image without the label was built before the label existed, when every agent image carried
/// Claude Code alone. Names this platform does not know are skipped.
pub fn image_clis(label: Option<&str>) -> Vec<AgentCli> {
    let Some(label) = label else {
        return vec![AgentCli::Claude];
    };
    let mut clis: Vec<AgentCli> = label
        .split(',')
        .filter_map(|name| name.trim().parse().ok())
        .collect();
    clis.dedup();
    clis
}

/// A persona's CLI is missing from the image its session would run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the image `{image}` does not carry the {cli} CLI the agent runs (it carries: {carried}); \
     choose an image that carries {cli} for the agent or the project (the default image \
     claude-agent-base carries claude and codex once rebuilt with `bash scripts/setup-docker.sh`), \
     or switch the agent to a CLI the image has"
)]
pub struct MissingCli {
    pub cli: AgentCli,
    pub image: String,
    pub carried: String,
}

/// Refuses running `cli` in `image` when the image's [`IMAGE_CLIS_LABEL`] label (`label`) does not list it.
pub fn check_image_cli(cli: AgentCli, image: &str, label: Option<&str>) -> Result<(), MissingCli> {
    let carried = image_clis(label);
    if carried.contains(&cli) {
        return Ok(());
    }
    let names: Vec<&str> = carried.iter().map(AgentCli::as_str).collect();
    Err(MissingCli {
        cli,
        image: image.to_owned(),
        carried: if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cli_round_trips_through_text_and_claude_is_the_default() {
        for cli in AgentCli::ALL {
            assert_eq!(cli.as_str().parse::<AgentCli>().ok(), Some(*cli));
        }
        assert_eq!(AgentCli::default(), AgentCli::Claude);
        let error = "gemini".parse::<AgentCli>().expect_err("unknown");
        assert!(error.to_string().contains("claude codex"), "{error}");
    }

    #[test]
    fn an_image_without_the_label_carries_claude_alone() {
        assert_eq!(image_clis(None), [AgentCli::Claude]);
        assert!(check_image_cli(AgentCli::Claude, "old", None).is_ok());
        let error = check_image_cli(AgentCli::Codex, "old", None).expect_err("no codex");
        assert_eq!(error.carried, "claude");
        assert!(error.to_string().contains("`old`"), "{error}");
    }

    #[test]
    fn the_label_lists_the_clis_an_image_carries() {
        assert_eq!(
            image_clis(Some("claude, codex,unknown")),
            [AgentCli::Claude, AgentCli::Codex]
        );
        assert!(check_image_cli(AgentCli::Codex, "base", Some("claude,codex")).is_ok());
        let error =
            check_image_cli(AgentCli::Claude, "codex-only", Some("codex")).expect_err("no claude");
        assert_eq!(error.carried, "codex");
    }

    #[test]
    fn an_image_whose_label_names_nothing_known_carries_none() {
        let error = check_image_cli(AgentCli::Claude, "odd", Some("")).expect_err("nothing");
        assert_eq!(error.carried, "none");
    }
}
