//! Names that come from users or agents and reach git or the filesystem: parsed once, trusted after.

use std::fmt;
use std::path::{Component, Path, PathBuf};

/// Why a branch name or a relative path was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NameError {
    #[error("branch name `{0}` is not valid: {1}")]
    Branch(String, &'static str),
    #[error("path `{0}` is not valid: {1}")]
    Path(String, &'static str),
}

/// A git branch name that satisfies `git check-ref-format --branch` and cannot be read as an option.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BranchName(String);

impl BranchName {
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let refuse = |why| Err(NameError::Branch(text.to_owned(), why));
        if text.is_empty() {
            return refuse("it is empty");
        }
        if text.len() > 200 {
            return refuse("it is longer than 200 characters");
        }
        if text.starts_with('-') {
            return refuse("it starts with `-`");
        }
        if text == "@" || text == "HEAD" {
            return refuse("it is a reserved name");
        }
        if text
            .chars()
            .any(|c| c.is_control() || c == ' ' || "~^:?*[\\".contains(c))
        {
            return refuse("it contains a space, a control character or one of ~ ^ : ? * [ \\");
        }
        if text.contains("..") || text.contains("@{") || text.contains("//") {
            return refuse("it contains `..`, `@{` or `//`");
        }
        if text.starts_with('/') || text.ends_with('/') || text.ends_with('.') {
            return refuse("it starts or ends with `/`, or ends with `.`");
        }
        if text
            .split('/')
            .any(|part| part.starts_with('.') || part.ends_with(".lock"))
        {
            return refuse("a component starts with `.` or ends with `.lock`");
        }
        Ok(Self(text.to_owned()))
    }

    /// The branch of a session's worktree: `session/<first 8 characters of its id>`.
    pub fn for_session(session: crate::SessionId) -> Self {
        Self(format!("session/{}", session.short()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BranchName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A relative path that stays lexically inside whatever directory it is joined to:
/// not absolute, no `..`, no NUL. Symlinks are checked where the path meets the filesystem.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RelPath(PathBuf);

impl RelPath {
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let refuse = |why| Err(NameError::Path(text.to_owned(), why));
        if text.is_empty() {
            return refuse("it is empty");
        }
        if text.contains('\0') {
            return refuse("it contains a NUL byte");
        }
        let path = Path::new(text);
        let mut clean = PathBuf::new();
        for component in path.components() {
            match component {
                Component::Normal(part) => clean.push(part),
                Component::CurDir => {}
                Component::ParentDir => return refuse("it contains `..`"),
                Component::RootDir | Component::Prefix(_) => return refuse("it is absolute"),
            }
        }
        if clean.as_os_str().is_empty() {
            return refuse("it names no file");
        }
        Ok(Self(clean))
    }

    pub fn as_path(&self) -> &Path {
        &self.0
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.display().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_branch_names_parse() {
        for name in ["main", "feature/login", "session/0b9c7c1e", "fix-1.2"] {
            assert!(BranchName::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn hostile_branch_names_are_refused() {
        for name in [
            "", "-f", "--force", "a..b", "a b", "a~1", "a^", "a:b", "a?", "a*", "a[", "a\\b", "/a",
            "a/", "a.", "a/.b", "a.lock", "a@{1}", "HEAD", "@", "a\nb", "a//b",
        ] {
            assert!(BranchName::parse(name).is_err(), "{name:?} was accepted");
        }
    }

    #[test]
    fn session_branch_uses_the_short_id() {
        let id: crate::SessionId = "0b9c7c1e-7a43-4c55-9a39-2f1a3c2e1d00".parse().unwrap();
        assert_eq!(BranchName::for_session(id).as_str(), "session/0b9c7c1e");
    }

    #[test]
    fn relative_paths_inside_parse_and_are_normalised() {
        assert_eq!(
            RelPath::parse("./src/main.rs").unwrap().as_path(),
            Path::new("src/main.rs")
        );
    }

    #[test]
    fn escaping_paths_are_refused() {
        for text in ["", "..", "../x", "a/../../x", "/etc/passwd", ".", "a\0b"] {
            assert!(RelPath::parse(text).is_err(), "{text:?} was accepted");
        }
    }
}
