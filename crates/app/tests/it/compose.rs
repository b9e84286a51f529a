//! The shipped `docker-compose.yml` is a file Compose accepts.

use std::path::Path;
use std::process::Command;

#[test]
fn docker_compose_accepts_the_compose_file() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docker-compose.yml");
    let output = Command::new("docker-compose")
        .arg("-f")
        .arg(&file)
        .args(["config", "-q"])
        .env("AGENTYARD_TOKEN", "0123456789abcdef0123")
        .output()
        .unwrap_or_else(|error| {
            panic!("docker-compose is needed (Debian: apt-get install docker-compose): {error}")
        });
    assert!(
        output.status.success(),
        "docker-compose config rejected {}: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}
