//! Typed UUID ids, so a session id can never be passed where a project id is expected.

use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// An id string that is not a UUID.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a valid id (expected a UUID such as 0b9c7c1e-7a43-4c55-9a39-2f1a3c2e1d00)")]
pub struct IdError(pub String);

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh random id.
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }
            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
            /// The first eight characters, as used in branch and container names.
            pub fn short(&self) -> String {
                self.0.simple().to_string()[..8].to_owned()
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<Self, IdError> {
                Uuid::parse_str(text).map(Self).map_err(|_| IdError(text.to_owned()))
            }
        }
    };
}

id_type!(
    /// Identifies a project (a git repository under `PROJECTS_ROOT`).
    ProjectId
);
id_type!(
    /// Identifies an agent persona.
    AgentId
);
id_type!(
    /// Identifies a session: one conversation of one agent in one project.
    SessionId
);
id_type!(
    /// Identifies a stored chat message.
    MessageId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let id = SessionId::new();
        assert_eq!(id.to_string().parse::<SessionId>().unwrap(), id);
    }

    #[test]
    fn short_id_is_first_eight_hex_characters() {
        let id: SessionId = "0b9c7c1e-7a43-4c55-9a39-2f1a3c2e1d00".parse().unwrap();
        assert_eq!(id.short(), "0b9c7c1e");
    }

    #[test]
    fn malformed_ids_are_rejected() {
        assert!("not-a-uuid".parse::<ProjectId>().is_err());
    }
}
