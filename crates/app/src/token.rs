//! The API token: `AGENTYARD_TOKEN` when set, else one generated on first start and kept in
//! `<data dir>/api-token`, readable by its owner only.

use anyhow::Context;
use domain::Config;
use rand::RngExt;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

const TOKEN_FILE: &str = "api-token";

pub fn load_or_create(config: &Config) -> anyhow::Result<String> {
    if let Some(token) = &config.token {
        return Ok(token.clone());
    }
    let path = config.data_dir.join(TOKEN_FILE);
    if let Ok(saved) = std::fs::read_to_string(&path) {
        let saved = saved.trim();
        if !saved.is_empty() {
            // Keep it private even if someone loosened it.
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            return Ok(saved.to_owned());
        }
    }
    let bytes: [u8; 24] = rand::rng().random();
    let token: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot save the API token in {}", path.display()))?;
    file.write_all(token.as_bytes())?;
    Ok(token)
}
