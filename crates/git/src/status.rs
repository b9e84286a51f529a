//! The state of a work path: branch, distance to its upstream, and changed files, read from
//! `git status --porcelain=v2 -z --branch`.

use crate::GitError;
use crate::command::Git;
use crate::repository::{Checkout, require_repository};

/// The status of a work path. A directory that is not a repository is reported, not an error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    pub is_git_repo: bool,
    /// The checked-out branch; `None` when `HEAD` is detached.
    pub branch: Option<String>,
    /// Commits ahead of and behind the upstream; `None` without an upstream.
    pub ahead: Option<u32>,
    pub behind: Option<u32>,
    /// A file both staged and changed again in the work tree appears twice: staged, and not.
    pub files: Vec<FileStatus>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileStatus {
    /// Relative to the top of the work path.
    pub path: String,
    /// For a rename or copy, the path it came from.
    pub original_path: Option<String>,
    pub status: FileState,
    /// Whether this entry is a change in the index (staged) rather than in the work tree.
    pub staged: bool,
}

/// What happened to a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileState {
    Modified,
    Added,
    Deleted,
    Renamed,
    Copied,
    TypeChanged,
    Untracked,
    Conflicted,
}

impl FileState {
    pub fn as_str(&self) -> &'static str {
        match self {
            FileState::Modified => "modified",
            FileState::Added => "added",
            FileState::Deleted => "deleted",
            FileState::Renamed => "renamed",
            FileState::Copied => "copied",
            FileState::TypeChanged => "type_changed",
            FileState::Untracked => "untracked",
            FileState::Conflicted => "conflicted",
        }
    }

    /// Reads one side (index or work tree) of a porcelain `XY` code; `.` means unchanged.
    fn from_code(code: char) -> Option<Self> {
        match code {
            'M' => Some(FileState::Modified),
            'A' => Some(FileState::Added),
            'D' => Some(FileState::Deleted),
            'R' => Some(FileState::Renamed),
            'C' => Some(FileState::Copied),
            'T' => Some(FileState::TypeChanged),
            'U' => Some(FileState::Conflicted),
            _ => None,
        }
    }
}

impl std::fmt::Display for FileState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The status of `work`; untracked files are listed one by one, not collapsed into directories.
pub async fn status(work: &Checkout) -> Result<Status, GitError> {
    if require_repository(work).await.is_err() {
        return Ok(Status::default());
    }
    let stdout = Git::at(work)
        .run([
            "status",
            "--porcelain=v2",
            "-z",
            "--branch",
            "--untracked-files=all",
            "--ignore-submodules=all",
        ])
        .await?;
    Ok(parse_status(&String::from_utf8_lossy(&stdout)))
}

/// Parses `git status --porcelain=v2 -z --branch` output.
fn parse_status(text: &str) -> Status {
    let mut status = Status {
        is_git_repo: true,
        ..Status::default()
    };
    let mut fields = text.split('\0').filter(|field| !field.is_empty());
    while let Some(field) = fields.next() {
        let mut parts = field.splitn(2, ' ');
        let kind = parts.next().unwrap_or_default();
        let rest = parts.next().unwrap_or_default();
        match kind {
            "#" => read_header(rest, &mut status),
            "1" => {
                // 1 XY sub mH mI mW hH hI path
                let parts: Vec<&str> = rest.splitn(8, ' ').collect();
                if let [xy, .., path] = parts.as_slice() {
                    push_sides(&mut status.files, xy, path, None);
                }
            }
            "2" => {
                // 2 XY sub mH mI mW hH hI Xscore path, then the original path as its own field.
                let parts: Vec<&str> = rest.splitn(9, ' ').collect();
                let original = fields.next();
                if let [xy, .., path] = parts.as_slice() {
                    push_sides(&mut status.files, xy, path, original);
                }
            }
            "u" => {
                // u XY sub m1 m2 m3 mW h1 h2 h3 path
                if let Some(path) = rest.splitn(10, ' ').nth(9) {
                    status.files.push(FileStatus {
                        path: path.to_owned(),
                        original_path: None,
                        status: FileState::Conflicted,
                        staged: false,
                    });
                }
            }
            "?" => status.files.push(FileStatus {
                path: rest.to_owned(),
                original_path: None,
                status: FileState::Untracked,
                staged: false,
            }),
            _ => {}
        }
    }
    status
}

fn read_header(header: &str, status: &mut Status) {
    if let Some(head) = header.strip_prefix("branch.head ") {
        status.branch = (head != "(detached)").then(|| head.to_owned());
    } else if let Some(counts) = header.strip_prefix("branch.ab ") {
        for count in counts.split(' ') {
            if let Some(ahead) = count.strip_prefix('+') {
                status.ahead = ahead.parse().ok();
            } else if let Some(behind) = count.strip_prefix('-') {
                status.behind = behind.parse().ok();
            }
        }
    }
}

fn push_sides(files: &mut Vec<FileStatus>, xy: &str, path: &str, original: Option<&str>) {
    let mut codes = xy.chars();
    let sides = [(codes.next(), true), (codes.next(), false)];
    for (code, staged) in sides {
        if let Some(state) = code.and_then(FileState::from_code) {
            files.push(FileStatus {
                path: path.to_owned(),
                original_path: original.map(str::to_owned),
                status: state,
                staged,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, status: FileState, staged: bool) -> FileStatus {
        FileStatus {
            path: path.to_owned(),
            original_path: None,
            status,
            staged,
        }
    }

    #[test]
    fn branch_headers_give_branch_and_upstream_distance() {
        let status = parse_status(
            "# branch.oid abc\0# branch.head main\0# branch.upstream origin/main\0# branch.ab +2 -1\0",
        );
        assert_eq!(status.branch.as_deref(), Some("main"));
        assert_eq!((status.ahead, status.behind), (Some(2), Some(1)));
    }

    #[test]
    fn a_detached_head_without_upstream_has_no_branch_or_distance() {
        let status = parse_status("# branch.oid abc\0# branch.head (detached)\0");
        assert!(status.is_git_repo);
        assert_eq!(status.branch, None);
        assert_eq!((status.ahead, status.behind), (None, None));
    }

    #[test]
    fn a_file_staged_and_changed_again_appears_on_both_sides() {
        let status = parse_status("1 MM N... 100644 100644 100644 aaa bbb dir/with space.rs\0");
        assert_eq!(
            status.files,
            vec![
                file("dir/with space.rs", FileState::Modified, true),
                file("dir/with space.rs", FileState::Modified, false),
            ]
        );
    }

    #[test]
    fn renames_untracked_and_conflicted_files_are_read() {
        let text = "2 R. N... 100644 100644 100644 aaa aaa R100 new name.txt\0old.txt\0\
                    u UU N... 100644 100644 100644 100644 a b c clash.txt\0\
                    ? fresh.txt\0\
                    1 .D N... 100644 100644 000000 aaa aaa gone.txt\0";
        let status = parse_status(text);
        assert_eq!(
            status.files,
            vec![
                FileStatus {
                    original_path: Some("old.txt".into()),
                    ..file("new name.txt", FileState::Renamed, true)
                },
                file("clash.txt", FileState::Conflicted, false),
                file("fresh.txt", FileState::Untracked, false),
                file("gone.txt", FileState::Deleted, false),
            ]
        );
    }
}
