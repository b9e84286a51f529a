//! Projects: a git repository under `PROJECTS_ROOT`, one row per directory.

use crate::error::corrupt;
use crate::error::is_unique_violation;
use crate::{Store, StoreError, path_text};
use chrono::{DateTime, Utc};
use domain::{CopyPattern, NewProject, Project, ProjectId};
use std::path::PathBuf;
use uuid::fmt::Hyphenated;

/// A change to a project; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct ProjectUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `Some(None)` clears the project's image.
    pub agent_image: Option<Option<String>>,
    /// `Some(None)` removes the setup script.
    pub setup_script: Option<Option<String>>,
    pub copy_files: Option<Vec<CopyPattern>>,
    /// `Some(None)` clears the dev script.
    pub dev_script: Option<Option<String>>,
    /// `Some(None)` clears the dev port.
    pub dev_port: Option<Option<u16>>,
}

#[derive(sqlx::FromRow)]
struct ProjectRow {
    id: Hyphenated,
    name: String,
    description: String,
    path: String,
    agent_image: Option<String>,
    setup_script: Option<String>,
    copy_files: String,
    dev_script: Option<String>,
    dev_port: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ProjectRow> for Project {
    type Error = StoreError;

    fn try_from(row: ProjectRow) -> Result<Self, StoreError> {
        const COLUMN: &str = "projects.copy_files";
        let texts: Vec<String> =
            serde_json::from_str(&row.copy_files).map_err(|error| corrupt(COLUMN, error))?;
        let copy_files =
            domain::parse_copy_patterns(&texts).map_err(|error| corrupt(COLUMN, error))?;
        Ok(Project {
            id: ProjectId::from_uuid(row.id.into_uuid()),
            name: row.name,
            description: row.description,
            path: PathBuf::from(row.path),
            agent_image: row.agent_image,
            setup_script: row.setup_script,
            copy_files,
            dev_script: row.dev_script,
            // Written only from a `u16`; anything else in the column is treated as unset.
            dev_port: row.dev_port.and_then(|port| u16::try_from(port).ok()),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn patterns_json(patterns: &[CopyPattern]) -> String {
    serde_json::Value::from(patterns.iter().map(CopyPattern::as_str).collect::<Vec<_>>())
        .to_string()
}

impl Store {
    /// Stores a new project. Two projects cannot share a directory.
    pub async fn create_project(&self, new: NewProject) -> Result<Project, StoreError> {
        let path = path_text(&new.path)?;
        let now = Utc::now();
        sqlx::query_as::<_, ProjectRow>(
            "INSERT INTO projects (id, name, description, path, agent_image, setup_script,
                                   copy_files, dev_script, dev_port, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
             RETURNING *",
        )
        .bind(ProjectId::new().to_string())
        .bind(&new.name)
        .bind(&new.description)
        .bind(path)
        .bind(&new.agent_image)
        .bind(&new.setup_script)
        .bind(patterns_json(&new.copy_files))
        .bind(&new.dev_script)
        .bind(new.dev_port.map(i64::from))
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|error| {
            if is_unique_violation(&error) {
                StoreError::Conflict(format!(
                    "another project already uses the directory {path}; open that project or choose another path"
                ))
            } else {
                error.into()
            }
        })?
        .try_into()
    }

    pub async fn project(&self, id: ProjectId) -> Result<Option<Project>, StoreError> {
        let row = sqlx::query_as::<_, ProjectRow>("SELECT * FROM projects WHERE id = ?1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(Project::try_from).transpose()
    }

    /// Every project, oldest first.
    pub async fn projects(&self) -> Result<Vec<Project>, StoreError> {
        let rows =
            sqlx::query_as::<_, ProjectRow>("SELECT * FROM projects ORDER BY created_at, rowid")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(Project::try_from).collect()
    }

    /// Applies `update`; `None` when no project has this id.
    pub async fn update_project(
        &self,
        id: ProjectId,
        update: ProjectUpdate,
    ) -> Result<Option<Project>, StoreError> {
        let row = sqlx::query_as::<_, ProjectRow>(
            "UPDATE projects SET
                 name = COALESCE(?2, name),
                 description = COALESCE(?3, description),
                 agent_image = CASE WHEN ?4 THEN ?5 ELSE agent_image END,
                 updated_at = ?6,
                 setup_script = CASE WHEN ?7 THEN ?8 ELSE setup_script END,
                 copy_files = COALESCE(?9, copy_files),
                 dev_script = CASE WHEN ?10 THEN ?11 ELSE dev_script END,
                 dev_port = CASE WHEN ?12 THEN ?13 ELSE dev_port END
             WHERE id = ?1
             RETURNING *",
        )
        .bind(id.to_string())
        .bind(update.name)
        .bind(update.description)
        .bind(update.agent_image.is_some())
        .bind(update.agent_image.flatten())
        .bind(Utc::now())
        .bind(update.setup_script.is_some())
        .bind(update.setup_script.flatten())
        .bind(update.copy_files.as_deref().map(patterns_json))
        .bind(update.dev_script.is_some())
        .bind(update.dev_script.flatten())
        .bind(update.dev_port.is_some())
        .bind(update.dev_port.flatten().map(i64::from))
        .fetch_optional(&self.pool)
        .await?;
        row.map(Project::try_from).transpose()
    }

    /// Deletes the project's row, its sessions and their messages and events (the directory on
    /// disk is not the store's business). `false` when no project has this id.
    pub async fn delete_project(&self, id: ProjectId) -> Result<bool, StoreError> {
        let result = sqlx::query("DELETE FROM projects WHERE id = ?1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }
}
