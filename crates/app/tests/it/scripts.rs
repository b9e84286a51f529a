//! The decisions of the setup script that `scripts/start.sh` and `scripts/test.sh` run first.
//!
//! `scripts/setup-docker.sh` with `AGENTYARD_SETUP_DECIDE_ONLY=1` prints the Debian packages it would
//! install and stops; these tests run it with a `PATH` of stubs, so what it finds is what they put
//! there.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A directory to serve as the whole `PATH`: the programs bash needs to start the script, plus
/// stubs named by the test.
struct StubPath {
    dir: tempfile::TempDir,
}

impl StubPath {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        // The script finds its own directory with `dirname`; everything else it runs before the
        // decision is a bash builtin.
        std::os::unix::fs::symlink(which("dirname"), dir.path().join("dirname"))
            .expect("link dirname");
        Self { dir }
    }

    /// A program that answers every call with `exit_code`.
    fn stub(self, name: &str, exit_code: i32) -> Self {
        let path = self.dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\nexit {exit_code}\n")).expect("write a stub");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("make the stub executable");
        self
    }

    /// The packages the script would install on a machine with this `PATH` (and `DOCKER_HOST`).
    fn packages_to_install(&self, docker_host: Option<&str>) -> Vec<String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/setup-docker.sh");
        let mut command = Command::new(which("bash"));
        command
            .arg(&script)
            .env_clear()
            .env("PATH", self.dir.path())
            .env("AGENTYARD_SETUP_DECIDE_ONLY", "1");
        if let Some(host) = docker_host {
            command.env("DOCKER_HOST", host);
        }
        let output = command.output().expect("run bash");
        assert!(
            output.status.success(),
            "setup-docker.sh failed to decide: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .expect("the package list is UTF-8")
            .lines()
            .map(str::to_owned)
            .filter(|line| !line.is_empty())
            .collect()
    }
}

/// The absolute path of a program of this machine (the tests' `PATH` holds only stubs).
fn which(program: &str) -> PathBuf {
    ["/usr/bin", "/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(program))
        .find(|path| path.exists())
        .unwrap_or_else(|| panic!("{program} is not in /usr/bin or /bin"))
}

#[test]
fn a_docker_client_without_an_engine_gets_the_engine_installed() {
    let path = StubPath::new().stub("docker", 1);
    let packages = path.packages_to_install(None);
    assert!(
        packages.iter().any(|package| package == "docker.io"),
        "with only a docker client on the PATH the script must install docker.io, it chose {packages:?}"
    );
}

#[test]
fn an_installed_engine_is_not_installed_again() {
    let path = StubPath::new()
        .stub("dockerd", 0)
        .stub("docker", 0)
        .stub("debootstrap", 0)
        .stub("git", 0)
        .stub("docker-compose", 0);
    assert_eq!(path.packages_to_install(None), Vec::<String>::new());
}

#[test]
fn a_reachable_docker_host_counts_as_an_engine() {
    // The stub client's `docker info` succeeds: the engine at DOCKER_HOST answers.
    let path = StubPath::new().stub("docker", 0);
    let packages = path.packages_to_install(Some("tcp://127.0.0.1:2375"));
    assert!(
        !packages.iter().any(|package| package == "docker.io"),
        "an engine answering at DOCKER_HOST needs no docker.io, the script chose {packages:?}"
    );
}

#[test]
fn an_unreachable_docker_host_does_not_count_as_an_engine() {
    let path = StubPath::new().stub("docker", 1);
    let packages = path.packages_to_install(Some("tcp://127.0.0.1:2375"));
    assert!(
        packages.iter().any(|package| package == "docker.io"),
        "a DOCKER_HOST that does not answer is no engine, the script chose {packages:?}"
    );
}
