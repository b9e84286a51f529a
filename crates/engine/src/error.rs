//! The engine's error: what a caller can act on, each with a stable code and, where it helps,
//! what to do about it. Infrastructure errors are translated here, at the edge that meets them.

use docker::DockerError;
use git::GitError;
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The named record does not exist.
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: String },
    /// The request itself is malformed or names something unusable (400).
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// The request is well formed but a value is not acceptable (422).
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: String,
        remediation: Option<String>,
    },
    /// The request conflicts with the current state (409).
    #[error("{0}")]
    Conflict(String),
    /// The state refuses this operation for a reason a client acts on by its code, naming the
    /// files concerned when there are any (409): `merge_conflict`, `checkout_dirty`, `checkout_busy`.
    #[error("{message}")]
    Refused {
        code: &'static str,
        message: String,
        files: Vec<String>,
    },
    /// The Docker Engine cannot be reached (503).
    #[error("{message}")]
    Unavailable {
        message: String,
        remediation: String,
    },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl EngineError {
    pub fn not_found(what: &'static str, id: impl ToString) -> Self {
        EngineError::NotFound {
            what,
            id: id.to_string(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        EngineError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        EngineError::Invalid {
            code,
            message: message.into(),
            remediation: None,
        }
    }

    pub fn refused(code: &'static str, message: impl Into<String>) -> Self {
        EngineError::Refused {
            code,
            message: message.into(),
            files: Vec::new(),
        }
    }

    /// The files a refusal names (conflicting, or with uncommitted changes in the way).
    pub fn files(&self) -> &[String] {
        match self {
            EngineError::Refused { files, .. } => files,
            _ => &[],
        }
    }

    pub fn unexpected(message: impl Into<String>) -> Self {
        EngineError::Unexpected(anyhow::anyhow!(message.into()))
    }

    /// A stable snake_case code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::NotFound { .. } => "not_found",
            EngineError::BadRequest { code, .. }
            | EngineError::Invalid { code, .. }
            | EngineError::Refused { code, .. } => code,
            EngineError::Conflict(_) => "conflict",
            EngineError::Unavailable { .. } => "docker_unavailable",
            EngineError::Unexpected(_) => "internal",
        }
    }

    /// What the user can do about it, when the error itself does not say.
    pub fn remediation(&self) -> Option<&str> {
        match self {
            EngineError::Invalid { remediation, .. } => remediation.as_deref(),
            EngineError::Unavailable { remediation, .. } => Some(remediation),
            _ => None,
        }
    }
}

impl From<StoreError> for EngineError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(message) => EngineError::Conflict(message),
            other => EngineError::Unexpected(anyhow::Error::new(other)),
        }
    }
}

impl From<GitError> for EngineError {
    fn from(error: GitError) -> Self {
        match error {
            GitError::InvalidPath(_) | GitError::PathOutside(_) => {
                EngineError::bad_request("invalid_path", error.to_string())
            }
            GitError::InvalidBranch(_) => {
                EngineError::bad_request("invalid_branch", error.to_string())
            }
            GitError::NotARepository(_) => {
                EngineError::bad_request("not_a_repository", error.to_string())
            }
            GitError::EmptyCommitMessage => {
                EngineError::bad_request("empty_commit_message", error.to_string())
            }
            GitError::NothingToCommit => EngineError::Conflict(error.to_string()),
            GitError::MergeConflict(ref files) => EngineError::Refused {
                code: "merge_conflict",
                message: error.to_string(),
                files: files.clone(),
            },
            GitError::CheckoutDirty(ref files) => EngineError::Refused {
                code: "checkout_dirty",
                message: error.to_string(),
                files: files.clone(),
            },
            GitError::BaseMoved(_) => EngineError::refused("base_moved", error.to_string()),
            GitError::BaseMissing(_) => EngineError::refused("base_missing", error.to_string()),
            GitError::NothingToMerge => EngineError::refused("nothing_to_merge", error.to_string()),
            GitError::NotOnSessionBranch { .. } => {
                EngineError::refused("not_on_session_branch", error.to_string())
            }
            GitError::InvalidRemote(_) => {
                EngineError::bad_request("invalid_remote", error.to_string())
            }
            other => EngineError::invalid("git_failed", other.to_string()),
        }
    }
}

impl From<DockerError> for EngineError {
    fn from(error: DockerError) -> Self {
        let remediation = error.remediation();
        match error {
            DockerError::EngineUnavailable { .. } => EngineError::Unavailable {
                message: error.to_string(),
                remediation: remediation.unwrap_or_default(),
            },
            DockerError::ImageMissing { .. } => EngineError::Invalid {
                code: "image_missing",
                message: error.to_string(),
                remediation,
            },
            DockerError::RuntimeMissing { .. } => EngineError::Invalid {
                code: "runtime_missing",
                message: error.to_string(),
                remediation,
            },
            other => EngineError::Unexpected(anyhow::Error::new(other)),
        }
    }
}
