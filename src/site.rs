//! A site: the typed settings of one cloud (`sites/<name>/site.rhai`).
//!
//! The script evaluates to a map; this module reads it into [`Site`] and hands it to
//! scripts as the constant `site`. Loading, overrides (`--set`, environment) and
//! validation live here; secrets do not (see `config.rs`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Everything a runbook may know about the cloud it runs against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    pub name: String,
    /// Juju models this site may destroy (short names, e.g. `openstack`).
    pub models: Vec<String>,
    /// MAAS hostnames this site may release.
    pub targets: Vec<String>,
    pub maas: MaasSettings,
    pub juju: JujuSettings,
    pub backup_root: PathBuf,
    pub backup_prefix: String,
    pub pointer_file: PathBuf,
    /// Where runs keep their journals; `None` means the XDG state dir.
    pub state_dir: Option<PathBuf>,
    /// Glob of the OSD qcow2 disks (empty: the site has none).
    pub osd_disks: String,
    /// Bytes an OSD disk may have allocated and still count as wiped.
    pub wipe_threshold: u64,
    pub wipe_osd: bool,
    /// `wipe_qcow2` only touches files under this directory.
    pub disk_root: PathBuf,
    pub require_backup: bool,
    pub timeouts: Timeouts,
    /// Only the `demo` site: start the built-in simulator.
    pub sim: Option<SimSettings>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaasSettings {
    pub url: Option<String>,
    pub api_key_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    pub concurrency: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JujuSettings {
    pub bin: Option<String>,
    /// Seconds one juju command may run before it is killed.
    pub timeout: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    pub model_gone: u64,
    pub machines_ready: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimSettings {
    pub scenario: String,
    pub speed: f64,
}
