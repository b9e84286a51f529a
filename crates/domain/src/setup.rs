//! Getting a session ready to work: the project's setup script, the ignored files copied into a
//! new worktree (`copy_files` and the project's `.worktreeinclude`), and what became of both.

use crate::{ParseEnumError, SessionId};
use chrono::{DateTime, Utc};
use std::fmt;
use std::str::FromStr;

/// The longest setup script a project may have: 64 KiB of shell text.
pub const MAX_SETUP_SCRIPT_BYTES: usize = 64 * 1024;
/// How many `copy_files` patterns a project may have.
pub const MAX_COPY_PATTERNS: usize = 64;
/// The longest `copy_files` pattern, in bytes.
pub const MAX_COPY_PATTERN_BYTES: usize = 256;

/// What a `copy_files` pattern (or a `.worktreeinclude` line) may look like, for error messages.
pub const COPY_PATTERN_GRAMMAR: &str = "a glob relative to the project, like `.env`, `*.local` or \
`config/secrets.json`: no leading `/`, no `..` or `.` parts, no `!`, no backslash, nothing in `.git` or \
`.worktrees`; a name without `/` matches at any depth, one with `/` from the project's root";

/// A glob naming files of the project, relative to its root, that can never name anything
/// outside it. As in `.gitignore`, a pattern without a `/` (a trailing one aside) matches a file
/// name at any depth; one with a `/` matches from the project's root; a trailing `/` names
/// everything in a directory.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CopyPattern(String);

impl CopyPattern {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let refuse = |why: &str| {
            Err(format!(
                "`{text}` {why}; a pattern is {COPY_PATTERN_GRAMMAR}"
            ))
        };
        if text.is_empty() {
            return refuse("is empty");
        }
        if text.len() > MAX_COPY_PATTERN_BYTES {
            return refuse(&format!("is longer than {MAX_COPY_PATTERN_BYTES} bytes"));
        }
        if text.chars().any(char::is_control) {
            return refuse("contains a control character");
        }
        if text.starts_with('/') {
            return refuse("is absolute");
        }
        if text.starts_with('!') {
            return refuse("is a negation, which is not supported");
        }
        if text.contains('\\') {
            return refuse("contains a backslash");
        }
        for part in text.strip_suffix('/').unwrap_or(text).split('/') {
            match part {
                "" => return refuse("has an empty part (`//`)"),
                ".." => return refuse("contains `..`"),
                "." => return refuse("contains a `.` part"),
                ".git" | ".worktrees" => {
                    return refuse(&format!("names `{part}`, which belongs to the platform"));
                }
                _ => {}
            }
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The pattern as a git pathspec with glob magic (`:(glob)…`), matching what it names.
    pub fn pathspec(&self) -> String {
        let (base, directory) = match self.0.strip_suffix('/') {
            Some(base) => (base, true),
            None => (self.0.as_str(), false),
        };
        let mut spec = if base.contains('/') {
            base.to_owned()
        } else {
            format!("**/{base}")
        };
        if directory {
            spec.push_str("/**");
        }
        format!(":(glob){spec}")
    }
}

impl fmt::Display for CopyPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a project's `copy_files`: every pattern must parse, and there may be at most
/// [`MAX_COPY_PATTERNS`]. Blank entries are dropped; the error names the first bad one.
pub fn parse_copy_patterns<S: AsRef<str>>(texts: &[S]) -> Result<Vec<CopyPattern>, String> {
    let patterns = texts
        .iter()
        .map(AsRef::as_ref)
        .filter(|text| !text.trim().is_empty())
        .map(CopyPattern::parse)
        .collect::<Result<Vec<_>, _>>()?;
    if patterns.len() > MAX_COPY_PATTERNS {
        return Err(format!(
            "{} patterns given; at most {MAX_COPY_PATTERNS} are accepted",
            patterns.len()
        ));
    }
    Ok(patterns)
}

/// The patterns of a `.worktreeinclude` file: one per line, blank lines and `#` comments skipped.
/// Lines that do not parse are returned apart with why, so they are reported, not fatal.
pub fn parse_worktree_include(text: &str) -> (Vec<CopyPattern>, Vec<String>) {
    let mut patterns = Vec::new();
    let mut refused = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match CopyPattern::parse(line) {
            Ok(pattern) if patterns.len() < MAX_COPY_PATTERNS => patterns.push(pattern),
            Ok(pattern) => refused.push(format!(
                "`{pattern}`: more than {MAX_COPY_PATTERNS} patterns; the rest are ignored"
            )),
            Err(why) => refused.push(why),
        }
    }
    (patterns, refused)
}

/// A file of the main checkout that was not copied into a new worktree, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyRefusal {
    pub path: String,
    pub reason: String,
}

/// What copying ignored files into a new worktree did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Paths copied, relative to the project.
    pub copied: Vec<String>,
    pub refused: Vec<CopyRefusal>,
}

impl CopyReport {
    pub fn is_empty(&self) -> bool {
        self.copied.is_empty() && self.refused.is_empty()
    }
}

/// Where a session's setup stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetupState {
    /// Not run yet (or to run again: the user asked for a retry).
    Pending,
    Running,
    /// The script exited with 0, or the project has none.
    Succeeded,
    /// The script exited with another code or could not run; turns are refused until the user
    /// retries or goes on without it.
    Failed,
    /// The user went on without it.
    Skipped,
}

impl SetupState {
    pub const ALL: &'static [SetupState] = &[
        SetupState::Pending,
        SetupState::Running,
        SetupState::Succeeded,
        SetupState::Failed,
        SetupState::Skipped,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            SetupState::Pending => "pending",
            SetupState::Running => "running",
            SetupState::Succeeded => "succeeded",
            SetupState::Failed => "failed",
            SetupState::Skipped => "skipped",
        }
    }
}

impl fmt::Display for SetupState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SetupState {
    type Err = ParseEnumError;

    fn from_str(text: &str) -> Result<Self, ParseEnumError> {
        SetupState::ALL
            .iter()
            .copied()
            .find(|state| state.as_str() == text)
            .ok_or_else(|| ParseEnumError {
                what: "setup state",
                value: text.to_owned(),
                expected: "pending running succeeded failed skipped",
            })
    }
}

/// A session's setup as stored: the script's state, exit code and output (its last part, the
/// agent's text, never trusted), and the report of the files copied into its worktree.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionSetup {
    pub session_id: SessionId,
    pub state: SetupState,
    pub exit_code: Option<i64>,
    pub output: String,
    pub copy_report: CopyReport,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_patterns_parse() {
        for text in [
            ".env",
            ".env.*",
            "*.local",
            "config/secrets.json",
            "certs/",
            "a/**/b",
        ] {
            assert_eq!(CopyPattern::parse(text).unwrap().as_str(), text);
        }
    }

    #[test]
    fn patterns_that_could_leave_the_project_are_refused() {
        for text in [
            "/etc/passwd",
            "../x",
            "a/../../x",
            "./x",
            "a//b",
            "!x",
            "a\\b",
            "",
        ] {
            let error = CopyPattern::parse(text).unwrap_err();
            assert!(error.contains("a pattern is"), "{text}: {error}");
        }
    }

    #[test]
    fn the_platforms_own_directories_are_refused() {
        assert!(CopyPattern::parse(".git/config").is_err());
        assert!(CopyPattern::parse(".worktrees/x/.env").is_err());
        assert!(CopyPattern::parse("sub/.git/").is_err());
    }

    #[test]
    fn patterns_are_bounded_in_length_and_count() {
        let long = "a".repeat(MAX_COPY_PATTERN_BYTES + 1);
        assert!(
            CopyPattern::parse(&long)
                .unwrap_err()
                .contains("longer than")
        );
        let many: Vec<String> = (0..=MAX_COPY_PATTERNS).map(|n| format!("f{n}")).collect();
        assert!(parse_copy_patterns(&many).unwrap_err().contains("at most"));
    }

    #[test]
    fn a_name_matches_at_any_depth_and_a_path_from_the_root() {
        let spec = |text| CopyPattern::parse(text).unwrap().pathspec();
        assert_eq!(spec(".env"), ":(glob)**/.env");
        assert_eq!(spec("config/*.json"), ":(glob)config/*.json");
        assert_eq!(spec("certs/"), ":(glob)**/certs/**");
        assert_eq!(spec("deploy/certs/"), ":(glob)deploy/certs/**");
    }

    #[test]
    fn worktree_include_skips_comments_and_reports_bad_lines() {
        let (patterns, refused) = parse_worktree_include("# secrets\n\n.env.local\n../up\n");
        assert_eq!(patterns, vec![CopyPattern::parse(".env.local").unwrap()]);
        assert_eq!(refused.len(), 1);
        assert!(refused[0].contains("`..`"), "{refused:?}");
    }

    #[test]
    fn every_setup_state_round_trips_through_text() {
        for state in SetupState::ALL {
            assert_eq!(state.as_str().parse::<SetupState>().unwrap(), *state);
        }
    }
}
