//! Projects: directories inside `PROJECTS_ROOT` that are git repositories.
//!
//! Every path from a request is resolved against the canonical root and must stay inside it:
//! `..` is refused outright, absolute paths elsewhere are refused, and symlinks are followed
//! before the check so one that points out is refused too. Nothing is created until every check
//! has passed, and deleting a project never touches its directory.

use crate::{Engine, EngineError};
use domain::{NewProject, Project, ProjectId, SessionStatus};
use std::path::{Component, Path, PathBuf};

/// What a client sends to create a project.
#[derive(Clone, Debug, Default)]
pub struct ProjectInput {
    pub name: String,
    pub path: Option<String>,
    pub description: Option<String>,
    pub agent_image: Option<String>,
    pub setup_script: Option<String>,
    pub copy_files: Option<Vec<String>>,
    pub dev_script: Option<String>,
    /// Checked to be a TCP port (1-65535).
    pub dev_port: Option<i64>,
}

/// What a client may change on a project; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct ProjectChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `Some(None)` or `Some(Some(""))` clears the image.
    pub agent_image: Option<Option<String>>,
    /// `Some(None)` or a blank script removes the setup script.
    pub setup_script: Option<Option<String>>,
    pub copy_files: Option<Vec<String>>,
    /// `Some(None)` or `Some(Some(""))` clears the dev script.
    pub dev_script: Option<Option<String>>,
    /// `Some(None)` clears the dev port.
    pub dev_port: Option<Option<i64>>,
}

/// A setup script as given: blank means none; bounded, no NUL byte (it is shell text).
fn checked_setup_script(script: Option<String>) -> Result<Option<String>, EngineError> {
    let Some(script) = script.filter(|script| !script.trim().is_empty()) else {
        return Ok(None);
    };
    if script.len() > domain::MAX_SETUP_SCRIPT_BYTES || script.contains('\0') {
        return Err(EngineError::invalid(
            "invalid_setup_script",
            format!(
                "setup_script must be shell text of at most {} KiB with no NUL byte",
                domain::MAX_SETUP_SCRIPT_BYTES / 1024
            ),
        ));
    }
    Ok(Some(script))
}

fn checked_copy_files(patterns: &[String]) -> Result<Vec<domain::CopyPattern>, EngineError> {
    domain::parse_copy_patterns(patterns)
        .map_err(|error| EngineError::invalid("invalid_copy_files", format!("copy_files: {error}")))
}

const MAX_NAME: usize = 100;

/// The longest dev script taken: a few commands, not a program (that belongs in a file of the project).
const MAX_DEV_SCRIPT_BYTES: usize = 16 * 1024;

/// A dev script as stored: blank means none; NUL bytes and oversized text are refused.
fn checked_dev_script(script: Option<String>) -> Result<Option<String>, EngineError> {
    let Some(script) = optional_text(script) else {
        return Ok(None);
    };
    if script.len() > MAX_DEV_SCRIPT_BYTES || script.contains('\0') {
        return Err(EngineError::invalid(
            "invalid_dev_script",
            format!(
                "the dev script must be at most {} KiB of text without NUL bytes; put a longer one in a file of the project and run that",
                MAX_DEV_SCRIPT_BYTES / 1024
            ),
        ));
    }
    Ok(Some(script))
}

/// A dev port: a TCP port number, 1 to 65535.
fn checked_dev_port(port: i64) -> Result<u16, EngineError> {
    u16::try_from(port)
        .ok()
        .filter(|port| *port != 0)
        .ok_or_else(|| {
            EngineError::invalid(
                "invalid_dev_port",
                format!("dev_port {port} is not a TCP port; give a number from 1 to 65535, or none to read it from the script's output"),
            )
        })
}

pub(crate) fn checked_name(name: &str, what: &'static str) -> Result<String, EngineError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(EngineError::invalid(
            "invalid_name",
            format!("{what} name is empty; give it a name"),
        ));
    }
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(EngineError::invalid(
            "invalid_name",
            format!("{what} name must be at most {MAX_NAME} characters with no control characters"),
        ));
    }
    Ok(name.to_owned())
}

/// Empty or blank means "not set".
pub(crate) fn optional_text(text: Option<String>) -> Option<String> {
    text.map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

/// A directory name from a project name: lowercase letters, digits and single dashes.
fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// Resolves a requested project path to an absolute path inside `root` (which is canonical),
/// following symlinks of the part that exists. Creates nothing.
fn resolve_project_path(
    root: &Path,
    name: &str,
    requested: Option<&str>,
) -> Result<PathBuf, EngineError> {
    let outside = |shown: &str| {
        EngineError::bad_request(
            "path_outside_projects_root",
            format!(
                "project path `{shown}` is outside PROJECTS_ROOT ({}); give a path inside it, or a relative one",
                root.display()
            ),
        )
    };
    let requested = match requested.map(str::trim).filter(|path| !path.is_empty()) {
        Some(path) => path.to_owned(),
        None => {
            let slug = slug(name);
            if slug.is_empty() {
                return Err(EngineError::invalid(
                    "invalid_name",
                    "the project name gives no usable directory name; pass a `path` as well",
                ));
            }
            slug
        }
    };
    if requested.contains('\0') {
        return Err(EngineError::bad_request(
            "invalid_path",
            "project path contains a NUL byte",
        ));
    }
    let path = Path::new(&requested);
    if path.components().any(|part| part == Component::ParentDir) {
        return Err(EngineError::bad_request(
            "path_outside_projects_root",
            format!(
                "project path `{requested}` contains `..`; give a path inside PROJECTS_ROOT without `..`"
            ),
        ));
    }
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    };

    // Canonicalize the deepest part that exists, so symlinks are followed before the check.
    let mut existing = joined.clone();
    let mut missing = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(part), Some(parent)) => {
                missing.push(part.to_owned());
                existing = parent.to_path_buf();
            }
            _ => return Err(outside(&requested)),
        }
    }
    let mut resolved = std::fs::canonicalize(&existing).map_err(|_| outside(&requested))?;
    for part in missing.into_iter().rev() {
        resolved.push(part);
    }
    if !resolved.starts_with(root) || resolved == root {
        return Err(outside(&requested));
    }
    if resolved.exists() && !resolved.is_dir() {
        return Err(EngineError::bad_request(
            "path_not_a_directory",
            format!("project path `{requested}` exists and is not a directory"),
        ));
    }
    Ok(resolved)
}

impl Engine {
    pub async fn projects(&self) -> Result<Vec<Project>, EngineError> {
        Ok(self.store().projects().await?)
    }

    pub async fn project(&self, id: ProjectId) -> Result<Project, EngineError> {
        self.store()
            .project(id)
            .await?
            .ok_or_else(|| EngineError::not_found("project", id))
    }

    /// Creates a project: resolves and checks its path, creates the directory when missing and
    /// makes it a git repository with an initial commit when it is not one.
    pub async fn create_project(&self, input: ProjectInput) -> Result<Project, EngineError> {
        let name = checked_name(&input.name, "project")?;
        let path = resolve_project_path(&self.inner.projects_root, &name, input.path.as_deref())?;
        let agent_image = optional_text(input.agent_image);
        let setup_script = checked_setup_script(input.setup_script)?;
        let copy_files = checked_copy_files(input.copy_files.as_deref().unwrap_or_default())?;
        let dev_script = checked_dev_script(input.dev_script)?;
        let dev_port = input.dev_port.map(checked_dev_port).transpose()?;
        if let Some(image) = &agent_image {
            self.check_agent_image(image).await?;
        }
        if let Some(existing) = self
            .store()
            .projects()
            .await?
            .into_iter()
            .find(|p| p.path == path)
        {
            return Err(EngineError::Conflict(format!(
                "project `{}` already uses {}; open it instead",
                existing.name,
                path.display()
            )));
        }
        let created_dir = !path.exists();
        if created_dir {
            std::fs::create_dir_all(&path).map_err(|error| {
                EngineError::invalid(
                    "path_unusable",
                    format!("cannot create {}: {error}", path.display()),
                )
            })?;
        }
        let prepared = async {
            if !git::is_repository(&path).await {
                git::init_repository(&path).await?;
            }
            let project = self
                .store()
                .create_project(NewProject {
                    name,
                    description: input.description.unwrap_or_default(),
                    path: path.clone(),
                    agent_image,
                    setup_script,
                    copy_files,
                    dev_script,
                    dev_port,
                })
                .await?;
            Ok::<_, EngineError>(project)
        }
        .await;
        if prepared.is_err() && created_dir {
            // A rejected request changes nothing: remove only what this request created.
            let _ = std::fs::remove_dir_all(&path);
        }
        prepared
    }

    pub async fn update_project(
        &self,
        id: ProjectId,
        changes: ProjectChanges,
    ) -> Result<Project, EngineError> {
        let name = changes
            .name
            .as_deref()
            .map(|name| checked_name(name, "project"))
            .transpose()?;
        let agent_image = changes.agent_image.map(optional_text);
        let setup_script = changes.setup_script.map(checked_setup_script).transpose()?;
        let copy_files = changes
            .copy_files
            .as_deref()
            .map(checked_copy_files)
            .transpose()?;
        let dev_script = changes.dev_script.map(checked_dev_script).transpose()?;
        let dev_port = changes
            .dev_port
            .map(|port| port.map(checked_dev_port).transpose())
            .transpose()?;
        if let Some(Some(image)) = &agent_image {
            self.check_agent_image(image).await?;
        }
        self.store()
            .update_project(
                id,
                store::ProjectUpdate {
                    name,
                    description: changes.description,
                    agent_image,
                    setup_script,
                    copy_files,
                    dev_script,
                    dev_port,
                },
            )
            .await?
            .ok_or_else(|| EngineError::not_found("project", id))
    }

    /// Ends the project's sessions as a session delete does, then forgets the project.
    /// Its directory, and every branch holding session work, stay.
    pub async fn delete_project(&self, id: ProjectId) -> Result<(), EngineError> {
        self.project(id).await?;
        for session in self.store().sessions(Some(id)).await? {
            if session.status != SessionStatus::Done || session.worktree_path.is_some() {
                self.end_session(&session).await?;
            }
            self.store().delete_session(session.id).await?;
        }
        self.store().delete_project(id).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        (dir, root)
    }

    #[test]
    fn a_missing_path_becomes_the_slug_of_the_name() {
        let (_dir, root) = root();
        assert_eq!(
            resolve_project_path(&root, "My App!", None).unwrap(),
            root.join("my-app")
        );
    }

    #[test]
    fn relative_and_absolute_paths_inside_the_root_are_accepted() {
        let (_dir, root) = root();
        assert_eq!(
            resolve_project_path(&root, "x", Some("a/b")).unwrap(),
            root.join("a/b")
        );
        let absolute = root.join("c");
        assert_eq!(
            resolve_project_path(&root, "x", absolute.to_str()).unwrap(),
            absolute
        );
    }

    #[test]
    fn parent_components_are_refused() {
        let (_dir, root) = root();
        assert!(resolve_project_path(&root, "x", Some("../escape")).is_err());
        assert!(resolve_project_path(&root, "x", Some("a/../../escape")).is_err());
    }

    #[test]
    fn absolute_paths_elsewhere_are_refused() {
        let (_dir, root) = root();
        assert!(resolve_project_path(&root, "x", Some("/etc")).is_err());
        assert!(resolve_project_path(&root, "x", root.to_str()).is_err());
    }

    #[test]
    fn symlinks_that_point_out_are_refused() {
        let (_dir, root) = root();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("link")).unwrap();
        assert!(resolve_project_path(&root, "x", Some("link")).is_err());
        assert!(resolve_project_path(&root, "x", Some("link/sub")).is_err());
    }

    #[test]
    fn a_blank_setup_script_is_none_and_a_huge_one_is_refused() {
        assert_eq!(checked_setup_script(Some("  \n".into())).unwrap(), None);
        let huge = "x".repeat(domain::MAX_SETUP_SCRIPT_BYTES + 1);
        let error = checked_setup_script(Some(huge)).unwrap_err();
        assert_eq!(error.code(), "invalid_setup_script");
    }

    #[test]
    fn bad_copy_files_name_the_field_and_what_is_accepted() {
        let error = checked_copy_files(&["../secrets".into()]).unwrap_err();
        assert_eq!(error.code(), "invalid_copy_files");
        assert!(error.to_string().starts_with("copy_files:"), "{error}");
        assert!(error.to_string().contains("a pattern is"), "{error}");
    }

    #[test]
    fn dev_ports_are_tcp_ports() {
        assert_eq!(checked_dev_port(1).unwrap(), 1);
        assert_eq!(checked_dev_port(65535).unwrap(), 65535);
        for port in [0, -1, 65536, i64::MAX] {
            assert!(checked_dev_port(port).is_err(), "{port}");
        }
    }

    #[test]
    fn blank_dev_scripts_are_none_and_nul_bytes_are_refused() {
        assert_eq!(checked_dev_script(Some("  ".into())).unwrap(), None);
        assert_eq!(
            checked_dev_script(Some(" npm run dev \n".into())).unwrap(),
            Some("npm run dev".into())
        );
        assert!(checked_dev_script(Some("a\0b".into())).is_err());
        assert!(checked_dev_script(Some("x".repeat(MAX_DEV_SCRIPT_BYTES + 1))).is_err());
    }

    #[test]
    fn slugs_keep_letters_and_digits() {
        assert_eq!(slug("  Hello, World 2 "), "hello-world-2");
        assert_eq!(slug("!!!"), "");
    }
}
