//! The enums that describe a session: its workflow column, its mode and its live process state.

use std::fmt;
use std::str::FromStr;

/// A text that names none of an enum's values.
#[derive(Debug, thiserror::Error)]
#[error("`{value}` is not a valid {what}; expected one of: {expected}")]
pub struct ParseEnumError {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseEnumError;
            fn from_str(text: &str) -> Result<Self, ParseEnumError> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(ParseEnumError {
                        what: $what,
                        value: text.to_owned(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }
    };
}

text_enum!(
    /// The workflow column of a session on the board.
    SessionStatus, "status", {
        Backlog => "backlog",
        InProgress => "in_progress",
        Review => "review",
        Done => "done",
    }
);

text_enum!(
    /// What the agent may do: `explore` is read-only intent (never gets a worktree),
    /// `ask` asks the user before each tool, `execute` may edit and run commands.
    SessionMode, "mode", {
        Explore => "explore",
        Ask => "ask",
        Execute => "execute",
    }
);

text_enum!(
    /// The live process state of a session, separate from its workflow column.
    RunState, "run state", {
        Idle => "idle",
        Starting => "starting",
        Running => "running",
        Error => "error",
    }
);

impl SessionMode {
    /// Whether sessions in this mode intend to change files (and so may need a worktree).
    pub fn writes(&self) -> bool {
        !matches!(self, SessionMode::Explore)
    }

    /// The mode of a session created without one.
    pub const DEFAULT: SessionMode = SessionMode::Execute;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_text() {
        for status in SessionStatus::ALL {
            assert_eq!(status.as_str().parse::<SessionStatus>().unwrap(), *status);
        }
    }

    #[test]
    fn unknown_mode_names_the_accepted_values() {
        let error = "yolo".parse::<SessionMode>().unwrap_err().to_string();
        assert!(error.contains("explore ask execute"), "{error}");
    }

    #[test]
    fn explore_is_the_only_mode_that_does_not_write() {
        assert!(!SessionMode::Explore.writes());
        assert!(SessionMode::Ask.writes());
        assert!(SessionMode::Execute.writes());
    }
}
