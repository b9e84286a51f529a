//! Docker image references and the chain that decides which image a session runs.

use std::fmt;

/// The image used when nothing more specific is configured.
pub const DEFAULT_IMAGE: &str = "claude-agent-base";

/// A Docker image reference (`name[:tag]`, optionally with a registry/namespace path),
/// restricted to the characters Docker accepts so it can never be read as an option.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ImageRef(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("image `{0}` is not a valid image reference: {1}")]
pub struct ImageRefError(pub String, pub &'static str);

impl ImageRef {
    pub fn parse(text: &str) -> Result<Self, ImageRefError> {
        let refuse = |why| Err(ImageRefError(text.to_owned(), why));
        if text.is_empty() {
            return refuse("it is empty");
        }
        if text.len() > 255 {
            return refuse("it is longer than 255 characters");
        }
        let allowed =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/:@".contains(c);
        if !text.chars().all(|c| allowed(c) || c.is_ascii_uppercase()) {
            return refuse("only letters, digits and . _ - / : @ are allowed");
        }
        let (name, tag) = match text.rsplit_once(':') {
            Some((name, tag)) if !tag.contains('/') => (name, Some(tag)),
            _ => (text, None),
        };
        if name.chars().any(|c| c.is_ascii_uppercase()) {
            return refuse("the repository name must be lowercase");
        }
        if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return refuse("it must start with a letter or digit");
        }
        if tag.is_some_and(|tag| tag.is_empty() || tag.starts_with(['.', '-'])) {
            return refuse("the tag is empty or starts with `.` or `-`");
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Every place an image can be named, most specific first. Empty strings count as unset.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImageChoice<'a> {
    /// Named in the request that created the session (`docker_image` of the session).
    pub explicit: Option<&'a str>,
    /// The agent persona's `docker_image`.
    pub agent: Option<&'a str>,
    /// The project's `agent_image`.
    pub project: Option<&'a str>,
    /// `AGENT_DEFAULT_IMAGE`.
    pub configured_default: Option<&'a str>,
}

/// The resolution chain: explicit > agent > project > `AGENT_DEFAULT_IMAGE` > `claude-agent-base`.
pub fn resolve_image(choice: ImageChoice<'_>) -> Result<ImageRef, ImageRefError> {
    let named = [
        choice.explicit,
        choice.agent,
        choice.project,
        choice.configured_default,
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .find(|name| !name.is_empty())
    .unwrap_or(DEFAULT_IMAGE);
    ImageRef::parse(named)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> ImageChoice<'static> {
        ImageChoice {
            explicit: Some("explicit"),
            agent: Some("agent"),
            project: Some("project"),
            configured_default: Some("configured"),
        }
    }

    fn resolved(choice: ImageChoice<'_>) -> String {
        resolve_image(choice).unwrap().to_string()
    }

    #[test]
    fn an_explicit_image_wins_over_everything() {
        assert_eq!(resolved(full()), "explicit");
    }

    #[test]
    fn the_agent_image_wins_when_nothing_explicit_is_named() {
        assert_eq!(
            resolved(ImageChoice {
                explicit: Some(""),
                ..full()
            }),
            "agent"
        );
    }

    #[test]
    fn the_project_image_wins_over_the_configured_default() {
        assert_eq!(
            resolved(ImageChoice {
                explicit: None,
                agent: Some("  "),
                ..full()
            }),
            "project"
        );
    }

    #[test]
    fn the_configured_default_wins_over_the_built_in_one() {
        let choice = ImageChoice {
            configured_default: Some("configured"),
            ..Default::default()
        };
        assert_eq!(resolved(choice), "configured");
    }

    #[test]
    fn the_built_in_default_is_used_when_nothing_is_set() {
        assert_eq!(resolved(ImageChoice::default()), DEFAULT_IMAGE);
    }

    #[test]
    fn image_references_with_tags_and_registries_parse() {
        for name in [
            "claude-agent-base",
            "claude-agent-node:latest",
            "localhost:5000/team/agent:1.2",
        ] {
            assert!(ImageRef::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn hostile_image_references_are_refused() {
        for name in [
            "",
            "--privileged",
            "a b",
            "a;rm -rf /",
            "Upper",
            "a\nb",
            "x:",
            "x:-t",
        ] {
            assert!(ImageRef::parse(name).is_err(), "{name:?} was accepted");
        }
    }
}
