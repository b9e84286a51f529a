//! Names that reach an image build: package names of apt, npm and pip, and the slug of an agent
//! image. Each is parsed once against its ecosystem's grammar, narrowed to what is safe to place
//! in a generated Dockerfile: ASCII only, no whitespace, no quotes or shell metacharacters, never
//! a leading `-` (so no value can be read as an option), and bounded in length.
//!
//! The grammars are deliberately stricter than the ecosystems' own: an unusual but valid name is
//! refused with a message saying what is allowed, never passed on for a shell to interpret.

use std::fmt;

/// The stacks shipped with Agentyard (`docker/agent/<stack>/Dockerfile`, image `claude-agent-<stack>`).
/// Their names are reserved: a build from the platform may not replace them.
pub const SHIPPED_STACKS: [&str; 5] = ["base", "node", "python", "browser", "flutter"];

/// The prefix of every image the platform builds: `claude-agent-<slug>`.
pub const AGENT_IMAGE_PREFIX: &str = "claude-agent-";

/// Why a package name or an image name was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{kind} `{}` is not valid: {why}", printable(.text))]
pub struct PackageError {
    pub kind: &'static str,
    pub text: String,
    pub why: &'static str,
}

/// The refused text as it can be shown safely: control characters and non-ASCII escaped,
/// cut to a readable length.
fn printable(text: &str) -> String {
    let escaped: String = text.escape_default().collect();
    if escaped.chars().count() > 80 {
        format!("{}…", escaped.chars().take(80).collect::<String>())
    } else {
        escaped
    }
}

/// Checks shared by every grammar: not empty, short enough, ASCII without whitespace or controls,
/// and no leading `-`.
fn common(kind: &'static str, text: &str, max: usize) -> Result<(), PackageError> {
    let refuse = |why| {
        Err(PackageError {
            kind,
            text: text.to_owned(),
            why,
        })
    };
    if text.is_empty() {
        return refuse("it is empty");
    }
    if text.len() > max {
        return refuse("it is too long");
    }
    if !text.is_ascii() {
        return refuse("only ASCII characters are allowed");
    }
    if text
        .chars()
        .any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
    {
        return refuse("it contains whitespace or a control character");
    }
    if text.starts_with('-') {
        return refuse("it starts with `-`");
    }
    Ok(())
}

fn is_lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// A Debian package (`jq`, `libstdc++6`, `g++`), optionally pinned: `jq=1.6-2.1`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AptPackage(String);

impl AptPackage {
    pub fn parse(text: &str) -> Result<Self, PackageError> {
        const KIND: &str = "apt package";
        common(KIND, text, 120)?;
        let refuse = |why| {
            Err(PackageError {
                kind: KIND,
                text: text.to_owned(),
                why,
            })
        };
        let (name, version) = match text.split_once('=') {
            Some((name, version)) => (name, Some(version)),
            None => (text, None),
        };
        // Debian policy 5.6.7: lowercase letters, digits, + - . ; at least two characters,
        // starting with a letter or digit.
        if name.len() < 2
            || !name.starts_with(is_lower_alnum)
            || !name.chars().all(|c| is_lower_alnum(c) || "+-.".contains(c))
        {
            return refuse(
                "a Debian package name is at least two of a-z 0-9 + - . and starts with a letter or digit",
            );
        }
        if let Some(version) = version {
            // Debian policy 5.6.12: [epoch:]upstream[-revision], starting with a digit.
            if version.is_empty()
                || !version.starts_with(|c: char| c.is_ascii_digit())
                || !version
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".+~:-".contains(c))
            {
                return refuse(
                    "a version after `=` starts with a digit and has only letters, digits and . + ~ : -",
                );
            }
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An npm package (`typescript`, `@types/node`), optionally with a version, a simple range or a
/// dist-tag: `typescript@5.4.5`, `left-pad@^1.3`, `next@canary`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NpmPackage(String);

impl NpmPackage {
    pub fn parse(text: &str) -> Result<Self, PackageError> {
        const KIND: &str = "npm package";
        common(KIND, text, 214)?;
        let refuse = |why| {
            Err(PackageError {
                kind: KIND,
                text: text.to_owned(),
                why,
            })
        };
        // The version follows the last `@` that is not the scope's.
        let (name, version) = match text[1..].rfind('@') {
            Some(at) => (&text[..at + 1], Some(&text[at + 2..])),
            None => (text, None),
        };
        let part_ok = |part: &str| {
            !part.is_empty()
                && part.starts_with(is_lower_alnum)
                && part
                    .chars()
                    .all(|c| is_lower_alnum(c) || "-._~".contains(c))
        };
        let name_ok = match name.strip_prefix('@') {
            Some(scoped) => match scoped.split_once('/') {
                Some((scope, bare)) => part_ok(scope) && part_ok(bare),
                None => false,
            },
            None => part_ok(name),
        };
        if !name_ok {
            return refuse(
                "an npm name is lowercase a-z 0-9 - . _ ~, starts with a letter or digit, and may have one `@scope/` prefix",
            );
        }
        if let Some(version) = version
            && !(npm_version(version) || npm_tag(version))
        {
            return refuse(
                "a version after `@` is a version or simple range (1.2.3, ^1.2, ~1.2.3, 1.x) or a tag (latest, next)",
            );
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `1`, `1.2`, `1.2.3`, `1.x`, each optionally after `^` or `~`, with an optional pre-release
/// (`-rc.1`) and build (`+abc`) suffix.
fn npm_version(text: &str) -> bool {
    let text = text.strip_prefix(['^', '~']).unwrap_or(text);
    let (core, suffix) = match text.find(['-', '+']) {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    let core_ok = (1..=3).contains(&parts.len())
        && !parts[0].is_empty()
        && parts[0].chars().all(|c| c.is_ascii_digit())
        && parts[1..].iter().all(|part| {
            *part == "x" || (!part.is_empty() && part.chars().all(|c| c.is_ascii_digit()))
        });
    let suffix_ok = suffix.len() <= 64
        && suffix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c));
    core_ok && suffix_ok && (suffix.is_empty() == (core.len() == text.len()))
}

/// A dist-tag: `latest`, `next`, `beta-2`.
fn npm_tag(text: &str) -> bool {
    text.len() <= 64
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text.chars().all(|c| is_lower_alnum(c) || "-._".contains(c))
}

/// A Python distribution (PEP 508 name: `requests`, `ruamel.yaml`), optionally with one simple
/// version specifier: `requests==2.32.3`, `django>=5.0`, `numpy~=1.26`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PipPackage(String);

impl PipPackage {
    pub fn parse(text: &str) -> Result<Self, PackageError> {
        const KIND: &str = "pip package";
        common(KIND, text, 120)?;
        let refuse = |why| {
            Err(PackageError {
                kind: KIND,
                text: text.to_owned(),
                why,
            })
        };
        let (name, specifier) = match text.find(['=', '>', '<', '~', '!']) {
            Some(at) => (&text[..at], Some(&text[at..])),
            None => (text, None),
        };
        // PEP 508: ^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$, case-insensitive.
        if name.is_empty()
            || !name.starts_with(|c: char| c.is_ascii_alphanumeric())
            || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            return refuse(
                "a Python package name has letters, digits and . _ - and starts and ends with a letter or digit",
            );
        }
        if let Some(specifier) = specifier {
            let version = ["==", ">=", "<=", "~=", "!="]
                .iter()
                .find_map(|operator| specifier.strip_prefix(operator));
            let version_ok = version.is_some_and(|version| {
                version.len() <= 64
                    && version.starts_with(|c: char| c.is_ascii_digit())
                    && version.ends_with(|c: char| c.is_ascii_alphanumeric())
                    && version
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.')
                    && !version.contains("..")
            });
            if !version_ok {
                return refuse(
                    "a version specifier is one of == >= <= ~= != followed by a version such as 2.32.3 or 1.0rc1",
                );
            }
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The short name of an agent image the platform builds: `acc-jq` becomes `claude-agent-acc-jq`.
/// Lowercase letters, digits and single inner dashes, 2 to 32 characters; the names of the
/// shipped stacks are reserved.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ImageSlug(String);

impl ImageSlug {
    pub fn parse(text: &str) -> Result<Self, PackageError> {
        const KIND: &str = "image name";
        common(KIND, text, 32)?;
        let refuse = |why| {
            Err(PackageError {
                kind: KIND,
                text: text.to_owned(),
                why,
            })
        };
        if text.len() < 2
            || !text.chars().all(|c| is_lower_alnum(c) || c == '-')
            || text.ends_with('-')
            || text.contains("--")
        {
            return refuse(
                "an image name is 2 to 32 of a-z 0-9 and single dashes, starting and ending with a letter or digit",
            );
        }
        if SHIPPED_STACKS.contains(&text) {
            return refuse(
                "it is the name of an image shipped with Agentyard (base, node, python, browser, flutter)",
            );
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The image this slug names: `claude-agent-<slug>`.
    pub fn image_name(&self) -> String {
        format!("{AGENT_IMAGE_PREFIX}{}", self.0)
    }
}

macro_rules! display_as_str {
    ($($name:ty),*) => {$(
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}

display_as_str!(AptPackage, NpmPackage, PipPackage, ImageSlug);

#[cfg(test)]
mod tests {
    use super::*;

    /// Text that no grammar here may accept: shell syntax, options, paths, look-alikes.
    const HOSTILE: [&str; 24] = [
        "",
        "-y",
        "--allow-unauthenticated",
        "a b",
        "a\nb",
        "a\tb",
        "a;rm",
        "a&&b",
        "a|b",
        "$(id)",
        "`id`",
        "a'b",
        "a\"b",
        "a\\b",
        "a>b",
        "../etc",
        "/etc/passwd",
        "јq",
        "ｊｑ",
        "a\u{200b}b",
        "a#b",
        "a$b",
        "a*",
        "a\0b",
    ];

    #[test]
    fn ordinary_apt_packages_parse() {
        for text in [
            "jq",
            "libstdc++6",
            "g++",
            "python3.11",
            "jq=1.6-2.1",
            "tzdata=2024a-0+deb12u1",
            "vim=2:9.0.1378-2",
        ] {
            assert!(AptPackage::parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn hostile_or_malformed_apt_packages_are_refused() {
        let malformed = [
            "j", "Jq", "jq=", "jq=abc", "jq=1;ls", "jq==1", ".jq", "jq:amd64",
        ];
        for text in HOSTILE.iter().chain(&malformed) {
            assert!(AptPackage::parse(text).is_err(), "{text:?} was accepted");
        }
        assert!(AptPackage::parse(&"a".repeat(121)).is_err());
    }

    #[test]
    fn ordinary_npm_packages_parse() {
        for text in [
            "typescript",
            "@types/node",
            "typescript@5.4.5",
            "@scope/pkg@^1.2",
            "left-pad@~1.3.0",
            "react@18.x",
            "next@canary",
            "pkg@1.0.0-rc.1",
            "lodash.merge",
        ] {
            assert!(NpmPackage::parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn hostile_or_malformed_npm_packages_are_refused() {
        let malformed = [
            "@",
            "@scope",
            "@scope/",
            "TypeScript",
            "pkg@",
            "pkg@>=1",
            "pkg@1 || 2",
            "pkg@file:../x",
            "pkg@git+https://x",
            "_private",
            ".hidden",
            "a/b",
            "pkg@^",
            "pkg@1.2.3.4",
        ];
        for text in HOSTILE.iter().chain(&malformed) {
            assert!(NpmPackage::parse(text).is_err(), "{text:?} was accepted");
        }
        assert!(NpmPackage::parse(&"a".repeat(215)).is_err());
    }

    #[test]
    fn ordinary_pip_packages_parse() {
        for text in [
            "requests",
            "ruamel.yaml",
            "Django",
            "requests==2.32.3",
            "django>=5.0",
            "numpy~=1.26",
            "pkg!=1.0rc1",
            "typing_extensions",
        ] {
            assert!(PipPackage::parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn hostile_or_malformed_pip_packages_are_refused() {
        let malformed = [
            "requests>2",
            "requests<2",
            "requests>/tmp/x",
            "requests==",
            "requests==2.*",
            "requests[socks]",
            "requests==2,<3",
            "-e.",
            "git+https://x",
            "_x",
            "x.",
            "requests==1..2",
        ];
        for text in HOSTILE.iter().chain(&malformed) {
            assert!(PipPackage::parse(text).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn image_slugs_name_claude_agent_images() {
        let slug = ImageSlug::parse("acc-jq").unwrap();
        assert_eq!(slug.image_name(), "claude-agent-acc-jq");
        for text in ["ab", "data-science", "py3"] {
            assert!(ImageSlug::parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn hostile_malformed_and_reserved_image_slugs_are_refused() {
        let malformed = [
            "a",
            "Acc",
            "acc_jq",
            "acc.jq",
            "acc-",
            "a--b",
            "acc:latest",
            "acc/jq",
            "base",
            "node",
            "flutter",
        ];
        for text in HOSTILE.iter().chain(&malformed) {
            assert!(ImageSlug::parse(text).is_err(), "{text:?} was accepted");
        }
        assert!(ImageSlug::parse(&"a".repeat(33)).is_err());
    }

    #[test]
    fn a_refusal_shows_control_characters_escaped() {
        let error = AptPackage::parse("jq\nRUN id").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("jq\\nRUN id"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }
}
