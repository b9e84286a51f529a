//! Ignored files copied from the main checkout into a new worktree (`.env`, `.env.local`, …):
//! the ones a project's `copy_files` patterns or its `.worktreeinclude` lines name.
//!
//! Git says which files of the main checkout are ignored and match (`ls-files --others --ignored`
//! with the patterns as glob pathspecs; other sessions' worktrees are left out). Each is opened
//! from the project's directory descriptor with `openat2(RESOLVE_BENEATH)`, so a symbolic link
//! (the file or a directory on its way) that leads outside the project is refused, never followed;
//! where `openat2` is missing no link is followed at all. Only regular files are copied, at most
//! [`MAX_COPY_BYTES`] in all, into a worktree the platform has just made (nothing else writes
//! there yet), again descriptor by descriptor without following links. Files that already exist
//! in the worktree are left as they are.

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use domain::{CopyPattern, CopyRefusal, CopyReport, RelPath, parse_worktree_include};
use rustix::fd::OwnedFd;
use rustix::fs::{FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use crate::GitError;
use crate::command::{Git, split_nul};
use crate::repository::Checkout;
use crate::worktree::WORKTREES_DIR;

/// The file of a project whose lines name more files to copy, like `copy_files`.
pub const WORKTREE_INCLUDE: &str = ".worktreeinclude";

/// The most bytes copied into one worktree: larger sets are dependencies or build output, which
/// the setup script should make.
pub const MAX_COPY_BYTES: u64 = 64 * 1024 * 1024;

/// The longest `.worktreeinclude` read.
const MAX_INCLUDE_FILE_BYTES: u64 = 64 * 1024;

const READ_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::NONBLOCK)
    .union(OFlags::NOCTTY)
    .union(OFlags::CLOEXEC);

const DIRECTORY_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// Copies the ignored files of `project`'s main checkout that `patterns` or the project's
/// `.worktreeinclude` name into `worktree` (a new worktree of the project), at the same relative
/// paths. Files refused (a link out of the project, not a regular file, over the size budget) and
/// `.worktreeinclude` lines that do not parse are reported, not fatal.
pub async fn copy_included(
    project: &Path,
    worktree: &Path,
    patterns: &[CopyPattern],
) -> Result<CopyReport, GitError> {
    let main = Checkout::main(project)?;
    let mut report = CopyReport::default();
    let mut patterns = patterns.to_vec();
    let include = {
        let project = project.to_path_buf();
        blocking(move || read_include_file(&project)).await?
    };
    match include {
        Ok(Some(text)) => {
            let (more, refused) = parse_worktree_include(&text);
            patterns.extend(more);
            report
                .refused
                .extend(refused.into_iter().map(|reason| CopyRefusal {
                    path: WORKTREE_INCLUDE.to_owned(),
                    reason,
                }));
        }
        Ok(None) => {}
        Err(reason) => report.refused.push(CopyRefusal {
            path: WORKTREE_INCLUDE.to_owned(),
            reason,
        }),
    }
    if patterns.is_empty() {
        return Ok(report);
    }
    let mut args: Vec<String> = [
        "ls-files",
        "--others",
        "--ignored",
        "--exclude-standard",
        "-z",
        "--",
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(patterns.iter().map(CopyPattern::pathspec));
    // Nested repositories (other sessions' worktrees among them) are listed as directories, with
    // a trailing `/`: none of them is copied.
    let listed: Vec<String> = split_nul(&Git::at(&main).run(&args).await?)
        .into_iter()
        .filter(|path| !path.ends_with('/') && !path.starts_with(&format!("{WORKTREES_DIR}/")))
        .collect();
    let project = project.to_path_buf();
    let worktree = worktree.to_path_buf();
    blocking(move || {
        copy_files(&project, &worktree, &listed, &mut report);
        report
    })
    .await
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, GitError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| GitError::Io {
            path: PathBuf::new(),
            source: std::io::Error::other(error),
        })
}

/// The project's `.worktreeinclude`: `None` when it has none, the refusal when it cannot be read
/// as a small regular file inside the project.
fn read_include_file(project: &Path) -> Result<Option<String>, String> {
    let root =
        open_directory(project).map_err(|errno| format!("cannot open the project: {errno}"))?;
    let file = match open_beneath(&root, Path::new(WORKTREE_INCLUDE)) {
        Ok(file) => file,
        Err(Errno::NOENT) => return Ok(None),
        Err(errno) => return Err(refusal(errno)),
    };
    let bytes = read_regular(file, MAX_INCLUDE_FILE_BYTES).map_err(|refused| match refused {
        Refused::TooLarge => {
            format!("is larger than {MAX_INCLUDE_FILE_BYTES} bytes; it was not read")
        }
        other => other.reason(),
    })?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| "is not UTF-8 text; it was not read".to_owned())
}

fn copy_files(project: &Path, worktree: &Path, listed: &[String], report: &mut CopyReport) {
    let mut refuse = |path: &str, reason: String| {
        report.refused.push(CopyRefusal {
            path: path.to_owned(),
            reason,
        })
    };
    let roots =
        open_directory(project).and_then(|project| Ok((project, open_directory(worktree)?)));
    let (project_root, worktree_root) = match roots {
        Ok(roots) => roots,
        Err(errno) => {
            refuse(
                ".",
                format!("the project or the worktree cannot be opened: {errno}"),
            );
            return;
        }
    };
    let mut budget = MAX_COPY_BYTES;
    let mut copied = Vec::new();
    for path in listed {
        let Ok(relative) = RelPath::parse(path) else {
            refuse(path, "is not a path inside the project".to_owned());
            continue;
        };
        match copy_one(
            &project_root,
            &worktree_root,
            relative.as_path(),
            &mut budget,
        ) {
            Ok(true) => copied.push(path.clone()),
            Ok(false) => {}
            Err(refused) => refuse(path, refused.reason()),
        }
    }
    report.copied.extend(copied);
}

/// Why one file was not copied.
#[derive(Debug)]
enum Refused {
    /// A symbolic link on the way leads outside the project.
    Outside,
    /// A symbolic link where none may be followed (no `openat2`), or too many of them.
    Link,
    NotAFile,
    TooLarge,
    /// It resolves into another session's worktree.
    OtherWorktree,
    Failed(String),
}

impl Refused {
    fn reason(&self) -> String {
        match self {
            Refused::Outside => {
                "is a symbolic link (or lies under one) that points outside the project; it was not followed".to_owned()
            }
            Refused::Link => "is a symbolic link (or lies under one); it was not followed".to_owned(),
            Refused::NotAFile => "is not a regular file; only regular files are copied".to_owned(),
            Refused::TooLarge => format!(
                "would take the files copied into the worktree past {} MiB; copy it yourself, or make it in the setup script",
                MAX_COPY_BYTES / (1024 * 1024)
            ),
            Refused::OtherWorktree => "resolves into another session's worktree".to_owned(),
            Refused::Failed(why) => format!("could not be copied: {why}"),
        }
    }
}

impl From<Errno> for Refused {
    fn from(errno: Errno) -> Self {
        match errno {
            Errno::XDEV => Refused::Outside,
            Errno::LOOP => Refused::Link,
            other => Refused::Failed(std::io::Error::from(other).to_string()),
        }
    }
}

fn refusal(errno: Errno) -> String {
    Refused::from(errno).reason()
}

/// Copies one file; `false` when the worktree has it already.
fn copy_one(
    project: &OwnedFd,
    worktree: &OwnedFd,
    relative: &Path,
    budget: &mut u64,
) -> Result<bool, Refused> {
    let source = open_beneath(project, relative)?;
    let resolved = std::fs::read_link(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(&source)
    ))
    .ok();
    let project_path = std::fs::read_link(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(project)
    ))
    .ok();
    if let (Some(resolved), Some(project_path)) = (resolved, project_path)
        && resolved.starts_with(project_path.join(WORKTREES_DIR))
    {
        return Err(Refused::OtherWorktree);
    }
    let stat = rustix::fs::fstat(&source)?;
    let mode = stat.st_mode & 0o777;
    let bytes = read_regular(source, *budget)?;
    let parent = create_parents(worktree, relative)?;
    let name = relative.file_name().ok_or(Refused::NotAFile)?;
    let target = match rustix::fs::openat(
        &parent,
        name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(mode),
    ) {
        Ok(target) => target,
        Err(Errno::EXIST) => return Ok(false),
        Err(errno) => return Err(errno.into()),
    };
    std::fs::File::from(target)
        .write_all(&bytes)
        .map_err(|error| Refused::Failed(error.to_string()))?;
    *budget -= bytes.len() as u64;
    Ok(true)
}

/// The content of an open file when it is a regular file of at most `limit` bytes.
fn read_regular(file: OwnedFd, limit: u64) -> Result<Vec<u8>, Refused> {
    let stat = rustix::fs::fstat(&file)?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(Refused::NotAFile);
    }
    if stat.st_size as u64 > limit {
        return Err(Refused::TooLarge);
    }
    let mut bytes = Vec::new();
    // The file may grow after fstat: read one byte past the limit to know.
    std::fs::File::from(file)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| Refused::Failed(error.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(Refused::TooLarge);
    }
    Ok(bytes)
}

fn open_directory(path: &Path) -> Result<OwnedFd, Errno> {
    rustix::fs::open(path, DIRECTORY_FLAGS, Mode::empty())
}

/// Opens `relative` for reading, resolved by the kernel beneath `root` (links followed only
/// while they stay inside); without `openat2`, one component at a time following no link.
fn open_beneath(root: &OwnedFd, relative: &Path) -> Result<OwnedFd, Errno> {
    match rustix::fs::openat2(
        root,
        relative,
        READ_FLAGS,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
    ) {
        Err(Errno::NOSYS | Errno::PERM) => walk_without_links(root, relative),
        other => other,
    }
}

fn walk_without_links(root: &OwnedFd, relative: &Path) -> Result<OwnedFd, Errno> {
    let components: Vec<_> = relative.components().collect();
    let (last, parents) = components.split_last().ok_or(Errno::INVAL)?;
    let mut current = rustix::fs::openat(root, ".", DIRECTORY_FLAGS, Mode::empty())?;
    for component in parents {
        current = match rustix::fs::openat(
            &current,
            component.as_os_str(),
            DIRECTORY_FLAGS,
            Mode::empty(),
        ) {
            // A link where a directory is expected reads as "not a directory".
            Err(Errno::NOTDIR) => return Err(Errno::LOOP),
            other => other?,
        };
    }
    rustix::fs::openat(
        &current,
        last.as_os_str(),
        READ_FLAGS | OFlags::NOFOLLOW,
        Mode::empty(),
    )
}

/// Opens (making them when missing) the directories leading to `relative` inside `root`,
/// following no link; returns the last one.
fn create_parents(root: &OwnedFd, relative: &Path) -> Result<OwnedFd, Refused> {
    let mut current = rustix::fs::openat(root, ".", DIRECTORY_FLAGS, Mode::empty())?;
    let Some(parent) = relative.parent() else {
        return Ok(current);
    };
    for component in parent.components() {
        let name = component.as_os_str();
        match rustix::fs::mkdirat(&current, name, Mode::from_raw_mode(0o755)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(errno) => return Err(errno.into()),
        }
        current = rustix::fs::openat(current.as_fd(), name, DIRECTORY_FLAGS, Mode::empty())
            .map_err(|errno| match errno {
                Errno::NOTDIR | Errno::LOOP => Refused::Link,
                other => other.into(),
            })?;
    }
    Ok(current)
}
