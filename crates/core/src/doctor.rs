//! `doctor`: a health report of the installation, for the CLI and the settings screen.

use std::path::Path;

use serde::Serialize;

use crate::error::{IpcError, Result};
use crate::paths;
use crate::secrets::SecretStore;
use crate::settings;
use crate::store::{Store, LATEST_VERSION};

/// Setting key naming the provider environment (`sandbox` or `production`).
pub const PROVIDER_ENVIRONMENT_SETTING: &str = "provider.environment";

#[derive(Debug, Serialize)]
pub struct DoctorReport {
    pub data_dir: String,
    pub database: String,
    pub schema_version: i64,
    pub supported_schema_version: i64,
    pub integrity: String,
    pub keychain: CheckResult,
    pub provider_environment: String,
}

#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CheckResult {
    Ok,
    Failed { error: IpcError },
}

impl DoctorReport {
    pub fn healthy(&self) -> bool {
        self.integrity == "ok" && matches!(self.keychain, CheckResult::Ok)
    }
}

/// What `doctor` says about a database `Store::open` refused as damaged: the refusal and the
/// full integrity check of the file (run read-only, the file is not changed).
#[derive(Debug, Serialize)]
pub struct DamagedReport {
    pub data_dir: String,
    pub database: String,
    pub error: IpcError,
    pub integrity: Vec<String>,
}

pub fn damaged(data_dir: &Path, refusal: &crate::CoreError) -> DamagedReport {
    let database = paths::database_path(data_dir);
    let integrity = match crate::store::integrity::full_check(&database) {
        Ok(found) => found,
        Err(e) => vec![e.to_string()],
    };
    DamagedReport {
        data_dir: data_dir.display().to_string(),
        database: database.display().to_string(),
        error: IpcError::from(refusal),
        integrity,
    }
}

pub fn run(data_dir: &Path, store: &Store, secrets: &dyn SecretStore) -> Result<DoctorReport> {
    let keychain = match secrets.check() {
        Ok(()) => CheckResult::Ok,
        Err(e) => CheckResult::Failed {
            error: IpcError::from(crate::CoreError::from(e)),
        },
    };
    Ok(DoctorReport {
        data_dir: data_dir.display().to_string(),
        database: paths::database_path(data_dir).display().to_string(),
        schema_version: store.schema_version()?,
        supported_schema_version: LATEST_VERSION,
        integrity: store.integrity_check()?,
        keychain,
        provider_environment: settings::get(store, PROVIDER_ENVIRONMENT_SETTING)?
            .unwrap_or_else(|| "sandbox".to_string()),
    })
}
