//! First run: on an empty database, `serve` creates a sandbox reseller with a user and an API
//! key and writes their credentials to a file (mode 0600), so a newcomer can call the
//! Reseller API right away without any other set-up command.

use crate::admin::{self, AdminError};
use serde::Serialize;
use std::path::Path;
use tenantry_domain::Environment;
use tenantry_storage::{reseller as resellers, Database};

/// The reseller code the bootstrap creates.
pub const RESELLER_CODE: &str = "sandbox";

/// What the credentials file holds.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FirstCredentials {
    pub reseller: String,
    pub login: String,
    pub password: String,
    pub api_key: String,
    pub environment: Environment,
}

/// Creates the sandbox reseller if the database has no reseller yet; returns what it created.
pub fn run(db: &Database, credentials_file: &Path) -> Result<Option<FirstCredentials>, AdminError> {
    if db.read(resellers::count)? > 0 {
        return Ok(None);
    }
    admin::create_reseller(db, RESELLER_CODE, "Sandbox reseller", "", vec![])?;
    let user = admin::create_reseller_user(db, RESELLER_CODE, "admin", None, Environment::Sandbox)?;
    let key = admin::create_key(db, RESELLER_CODE, "first key", Environment::Sandbox, &[])?;
    let credentials = FirstCredentials {
        reseller: RESELLER_CODE.to_owned(),
        login: user.login,
        password: user.password,
        api_key: key.key,
        environment: Environment::Sandbox,
    };
    write_private(
        credentials_file,
        &(serde_json::to_string_pretty(&credentials).expect("serializable") + "\n"),
    )
    .map_err(|e| {
        AdminError::Conflict(format!(
            "could not write {}: {e}",
            credentials_file.display()
        ))
    })?;
    Ok(Some(credentials))
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}
